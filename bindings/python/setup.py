"""Bundles the olconnect-wf shared library into the package, and tags the wheel for what it
really needs.

- The library comes from OLCONNECT_WF_LIB when set (a prebuilt libolconnect_wf), else it is built
  with cargo: from the Rust sources inside an sdist (rust/), or from the workspace this package
  sits in (bindings/python -> ../..) in a checkout.
- The package is pure Python (ctypes) around that library, so the wheel is tagged
  py3-none-<platform>: any Python 3, and on Linux manylinux_X_Y for the newest glibc symbol
  version the library uses (read from the library itself; `auditwheel show` agrees).
- For another platform's library (scripts/dist.sh), OLCONNECT_WF_WHEEL_PLATFORM gives the
  platform tag (e.g. win_amd64, musllinux_1_2_x86_64) and the library keeps its own file name
  (olconnect_wf.dll, libolconnect_wf.so), which is the one the loader looks for there.
- The sdist carries the Rust sources the library needs, with a standalone Cargo.toml.
"""
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
LIB_NAMES = {"linux": "libolconnect_wf.so", "darwin": "libolconnect_wf.dylib", "win32": "olconnect_wf.dll"}
LIB_NAME = LIB_NAMES.get(sys.platform, LIB_NAMES["linux"])
# What the sdist carries from the workspace to build the library.
RUST_SOURCES = ["Cargo.lock", "build.rs", "cbindgen.toml", "src", "include", "rustfmt.toml"]


def cargo_build(manifest: Path) -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", manifest.parent / "target"))
    subprocess.run(
        ["cargo", "build", "--release", "--lib", "--manifest-path", str(manifest), "--target-dir", str(target)],
        check=True,
    )
    return target / "release" / LIB_NAME


def find_or_build_library() -> Path:
    prebuilt = os.environ.get("OLCONNECT_WF_LIB")
    if prebuilt:
        path = Path(prebuilt)
        if not path.is_file():
            raise RuntimeError(f"OLCONNECT_WF_LIB={prebuilt} is not a file")
        return path
    if (HERE / "rust" / "Cargo.toml").is_file():  # an sdist
        return cargo_build(HERE / "rust" / "Cargo.toml")
    manifest = HERE.parent.parent / "Cargo.toml"
    if not manifest.is_file():
        raise RuntimeError(
            "cannot find the olconnect-wf sources to build the library; set OLCONNECT_WF_LIB to a built "
            f"{LIB_NAME}, or install from the sdist or a checkout (both need cargo)"
        )
    return cargo_build(manifest)


def glibc_floor(library: Path):
    """The newest GLIBC_x.y symbol version the library needs, as (x, y)."""
    versions = re.findall(rb"GLIBC_(\d+)\.(\d+)", library.read_bytes())
    return max(((int(a), int(b)) for a, b in versions), default=(2, 17))


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "olconnect_wf" / "_lib"
        target.mkdir(parents=True, exist_ok=True)
        library = find_or_build_library()
        name = library.name if os.environ.get("OLCONNECT_WF_WHEEL_PLATFORM") else LIB_NAME
        shutil.copy2(library, target / name)
        self.distribution.bundled_library = library


class Wheel(bdist_wheel):
    """py3-none-<platform>: pure ctypes (any Python 3), one native library (this platform)."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        platform_tag = os.environ.get("OLCONNECT_WF_WHEEL_PLATFORM")
        if platform_tag:
            self.run_command("build_py")
            return "py3", "none", platform_tag
        if sys.platform.startswith("linux"):
            self.run_command("build_py")
            major, minor = glibc_floor(self.distribution.bundled_library)
            return "py3", "none", f"manylinux_{major}_{minor}_{platform.machine()}"
        _, _, plat = super().get_tag()
        return "py3", "none", plat


class SdistWithRust(sdist):
    """Adds the Rust sources and a standalone manifest (the workspace's, less its members)."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        workspace = HERE.parent.parent
        rust = Path(base_dir) / "rust"
        for name in RUST_SOURCES:
            source = workspace / name
            if source.is_dir():
                shutil.copytree(source, rust / name)
            elif source.is_file():
                rust.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, rust / name)
        manifest = (workspace / "Cargo.toml").read_text()
        manifest = re.sub(r"(?ms)^\[workspace\].*?(?=^\[)", "", manifest)
        manifest = re.sub(r"(?ms)^\[dev-dependencies\].*?(?=^\[|\Z)", "", manifest)
        (rust / "Cargo.toml").write_text(manifest)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: it is platform-specific."""

    bundled_library = None

    def has_ext_modules(self):
        return True


setup(
    cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": Wheel, "sdist": SdistWithRust},
    distclass=BinaryDistribution,
)
