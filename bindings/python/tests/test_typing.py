"""The package's type hints, for its users: mypy --strict accepts the package and a script using
the waits for many operations, and refuses a wrong use (skipped where mypy is not installed)."""
import os
import site
from pathlib import Path

import pytest

import olconnect_wf

api = pytest.importorskip("mypy.api")

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = Path(olconnect_wf.__file__).resolve().parent.parent


def mypy(*args: str):
    # From a checkout (PYTHONPATH=src) mypy is told where the package is; an installed one it
    # finds itself (and refuses site-packages in MYPYPATH).
    installed = {Path(p).resolve() for p in site.getsitepackages() + [site.getusersitepackages()]}
    env = {} if PACKAGE_ROOT in installed else {"MYPYPATH": str(PACKAGE_ROOT)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        out, err, status = api.run(["--strict", "--no-incremental", "--cache-dir", os.devnull, *args])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return status, out + err


def test_the_package_and_a_typed_user_script_pass_mypy_strict():
    example = HERE.parents[2] / "examples" / "python_job.py"  # the README's example
    for target in (["-p", "olconnect_wf"], [str(HERE / "typed_usage.py")], [str(example)]):
        status, out = mypy(*target)
        assert status == 0, out


def test_mypy_refuses_a_wrong_use_of_the_waits():
    status, out = mypy("-c", "import olconnect_wf as wf\nc = wf.Client('x')\nn: int = c.wait_any(['a'], timeout='5')\n")
    assert status == 1
    assert 'Argument "timeout" to "wait_any" of "Client" has incompatible type "str"' in out, out
    assert 'Incompatible types in assignment (expression has type "str", variable has type "int")' in out, out


def test_mypy_refuses_a_misspelt_or_mistyped_option_of_async_connect():
    status, out = mypy(
        "-c",
        "import asyncio\nimport olconnect_wf as wf\n"
        "async def main() -> None:\n"
        "    await wf.AsyncClient.connect('x', usernme='ol-admin')\n"
        "    await wf.AsyncClient.connect('x', timeout='5')\n",
    )
    assert status == 1
    assert 'Unexpected keyword argument "usernme" for "connect" of "AsyncClient"' in out, out
    assert 'Argument "timeout" to "connect" of "AsyncClient" has incompatible type "str"' in out, out
