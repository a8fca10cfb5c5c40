"""Bundles the olconnect-wf shared library into the package at build time.

The library comes from OLCONNECT_WF_LIB when set (a prebuilt libolconnect_wf.so), else it is
built with cargo from the workspace this package sits in (bindings/python -> ../..).
"""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
LIB_NAME = "libolconnect_wf.so"


def find_or_build_library() -> Path:
    prebuilt = os.environ.get("OLCONNECT_WF_LIB")
    if prebuilt:
        path = Path(prebuilt)
        if not path.is_file():
            raise RuntimeError(f"OLCONNECT_WF_LIB={prebuilt} is not a file")
        return path
    workspace = HERE.parent.parent
    manifest = workspace / "Cargo.toml"
    if not manifest.is_file():
        raise RuntimeError(
            "cannot find the olconnect-wf workspace to build the library; "
            "set OLCONNECT_WF_LIB to a built libolconnect_wf.so"
        )
    subprocess.run(
        ["cargo", "build", "--release", "-p", "olconnect-wf", "--manifest-path", str(manifest)],
        check=True,
    )
    return workspace / "target" / "release" / LIB_NAME


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "olconnect_wf" / "_lib"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(find_or_build_library(), target / LIB_NAME)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: it is platform-specific."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
