"""The Python idiom of the package: names, aliases, enums that print their name, constants that
match the C header, and where the native library is loaded from."""
import os
import re
from pathlib import Path

import pytest

import olconnect_wf as wf
from olconnect_wf import _errors, _ffi

from conftest import REPO, config

HEADER = (REPO / "include" / "olconnect_wf.h").read_text()


def header_enum(name: str) -> dict:
    body = HEADER.split(f"enum {name}\n", 1)[1].split("};", 1)[0]
    return {n: int(v) for n, v in re.findall(r"^\s*(\w+) = (-?\d+),$", body, re.M)}


def test_status_numbers_match_the_header():
    statuses = header_enum("wf_status")
    assert len(statuses) >= 16
    for name, value in statuses.items():
        assert getattr(_errors, name[len("WF_") :]) == value, name
    assert int(re.search(r"#define WF_ABI_VERSION (\d+)", HEADER).group(1)) == _ffi.ABI_VERSION


def test_resource_kinds_match_the_header():
    assert {f"WF_RESOURCE_{k.name}": k.value for k in wf.ResourceKind} == header_enum("wf_resource_kind")


def test_result_types_match_the_header():
    assert {f"WF_RESULT_{t.name}": t.value for t in wf.ResultType} == header_enum("wf_result_type")


def test_enum_values_print_their_name(client):
    op = client.submit(config(sim_output_size=10))
    client.wait(op)
    result = client.result(op)
    assert str(result.type) == "OUTPUT_STREAMED" and f"{result.type}" == "OUTPUT_STREAMED"
    assert result.type == 4 and result.type is wf.ResultType.OUTPUT_STREAMED
    assert client.get_result_ex(op).data == result.data, "the former name still works"


def test_timeout_exception_does_not_shadow_the_builtin():
    assert issubclass(wf.TimeoutException, TimeoutError) and issubclass(wf.TimeoutException, wf.WorkflowError)
    assert wf.TimeoutError is wf.TimeoutException, "the former name still works"
    namespace: dict = {}
    exec("from olconnect_wf import *", namespace)
    assert "TimeoutError" not in namespace and "TimeoutException" in namespace


def test_the_loader_knows_each_platforms_library_name():
    assert _ffi.LIB_FILES == {"linux": "libolconnect_wf.so", "darwin": "libolconnect_wf.dylib", "win32": "olconnect_wf.dll"}


@pytest.mark.skipif(not os.environ.get("OLCONNECT_WF_EXPECT_BUNDLED"), reason="only when testing an installed wheel")
def test_the_library_is_the_one_bundled_in_the_installed_package():
    loaded = Path(_ffi.lib._name).resolve()
    assert loaded == (Path(wf.__file__).resolve().parent / "_lib" / _ffi.LIB_FILE), loaded
    assert "site-packages" in str(loaded)
