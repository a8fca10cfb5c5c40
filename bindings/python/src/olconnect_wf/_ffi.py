"""Loads the olconnect-wf shared library and declares the signature of every C function.

Lookup order: the library bundled in this package, then the OLCONNECT_WF_LIB environment
variable, then target/release of the Cargo workspace when running from a checkout.
"""
import ctypes
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    c_bool,
    c_char_p,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import List

#: The ABI version these bindings were written for (WF_ABI_VERSION of the header).
ABI_VERSION = 1

#: WF_LANGUAGE_PYTHON: the hints of the library's messages name this package's arguments and
#: methods (``timeout=``, ``login()``), never a C function.
LANGUAGE_PYTHON = 1

#: The library's file name on each platform we build for.
LIB_FILES = {"linux": "libolconnect_wf.so", "darwin": "libolconnect_wf.dylib", "win32": "olconnect_wf.dll"}
LIB_FILE = LIB_FILES.get(sys.platform, LIB_FILES["linux"])


class _Opaque(ctypes.Structure):
    pass


client_p = POINTER(_Opaque)
result_p = POINTER(_Opaque)
abort_p = POINTER(_Opaque)
data_p = POINTER(_Opaque)


class AdhocJob(ctypes.Structure):
    """struct wf_adhoc_job."""

    _fields_ = [
        ("data_mapping", c_char_p),
        ("template_name", c_char_p),
        ("job_preset", c_char_p),
        ("output_preset", c_char_p),
        ("create_only", c_bool),
        ("result_as_text", c_bool),
        ("print_range", c_char_p),
        ("filename", c_char_p),
    ]



class Transfer(ctypes.Structure):
    """struct wf_transfer: bytes received (and their total, -1 unknown), bytes sent."""

    _fields_ = [("received", c_uint64), ("receive_total", c_int64), ("sent", c_uint64), ("send_total", c_int64)]


#: int32_t (*)(void *user_data, const uint8_t *chunk, size_t len)
WRITE_FN = CFUNCTYPE(c_int32, c_void_p, POINTER(c_uint8), c_size_t)
#: int32_t (*)(void *user_data, int32_t percent)
PROGRESS_FN = CFUNCTYPE(c_int32, c_void_p, c_int32)
#: int32_t (*)(void *user_data, const wf_transfer *transfer)
TRANSFER_FN = CFUNCTYPE(c_int32, c_void_p, POINTER(Transfer))
#: int64_t (*)(void *user_data, uint8_t *buf, size_t capacity)
READ_FN = CFUNCTYPE(c_int64, c_void_p, POINTER(c_uint8), c_size_t)
#: void (*)(void *user_data, wf_log_level level, const char *message)
LOG_FN = CFUNCTYPE(None, c_void_p, c_int32, c_char_p)


def _candidates() -> List[Path]:
    found = [Path(__file__).resolve().parent / "_lib" / LIB_FILE]
    env = os.environ.get("OLCONNECT_WF_LIB")
    if env:
        found.append(Path(env))
    for parent in Path(__file__).resolve().parents:
        if (parent / "Cargo.toml").is_file() and (parent / "sim").is_dir():
            found.append(parent / "target" / "release" / LIB_FILE)
            break
    return found


def _load() -> ctypes.CDLL:
    tried = []
    for path in _candidates():
        if path.is_file():
            try:
                return ctypes.CDLL(str(path))
            except OSError as e:
                tried.append(f"{path} ({e})")
        else:
            tried.append(f"{path} (missing)")
    raise ImportError(
        "olconnect_wf cannot find its native library; tried: "
        + "; ".join(tried)
        + ". Install the package with pip (it bundles the library), set OLCONNECT_WF_LIB to a "
        "built libolconnect_wf.so, or run `cargo build --release` in the repository."
    )


lib = _load()

_SIGNATURES = {
    "wf_version": ([], c_char_p),
    "wf_abi_version": ([], c_uint32),
    "wf_status_name": ([c_int32], c_char_p),
    "wf_last_error_message": ([], c_char_p),
    "wf_last_http_status": ([], c_int32),
    "wf_client_new": ([c_char_p, POINTER(client_p)], c_int32),
    "wf_client_free": ([client_p], None),
    "wf_client_set_basic_auth": ([client_p, c_char_p, c_char_p], c_int32),
    "wf_client_set_token": ([client_p, c_char_p], c_int32),
    "wf_client_login": ([client_p, c_char_p, c_char_p], c_int32),
    "wf_client_clear_auth": ([client_p], c_int32),
    "wf_client_set_timeouts": ([client_p, c_uint32, c_uint32], c_int32),
    "wf_client_set_tls_ca_file": ([client_p, c_char_p], c_int32),
    "wf_client_set_tls_insecure": ([client_p, c_bool], c_int32),
    "wf_client_set_proxy": ([client_p, c_char_p], c_int32),
    "wf_client_set_durable_files": ([client_p, c_bool], c_int32),
    "wf_client_set_kept_body_limit": ([client_p, c_size_t], c_int32),
    "wf_abort_new": ([POINTER(abort_p)], c_int32),
    "wf_abort_trigger": ([abort_p], None),
    "wf_abort_is_triggered": ([abort_p], c_bool),
    "wf_abort_reset": ([abort_p], None),
    "wf_abort_free": ([abort_p], None),
    "wf_client_with_controls": ([client_p, abort_p, c_uint32, TRANSFER_FN, c_void_p, POINTER(client_p)], c_int32),
    "wf_client_set_log": ([client_p, LOG_FN, c_void_p], c_int32),
    "wf_client_set_max_concurrent": ([client_p, c_uint32], c_int32),
    "wf_client_set_message_language": ([client_p, c_int32], c_int32),
    "wf_client_set_retry": ([client_p, c_uint32, c_uint32], c_int32),
    "wf_client_set_outage_limit": ([client_p, c_uint32], c_int32),
    "wf_client_retry_count": ([client_p, POINTER(c_uint64)], c_int32),
    "wf_data_from_file": ([c_char_p, POINTER(data_p)], c_int32),
    "wf_data_from_buffer": ([c_void_p, c_size_t, POINTER(data_p)], c_int32),
    "wf_data_from_reader": ([READ_FN, c_void_p, c_int64, POINTER(data_p)], c_int32),
    "wf_data_free": ([data_p], None),
    "wf_upload": ([client_p, c_int32, data_p, c_char_p, c_bool, c_void_p, POINTER(c_size_t)], c_int32),
    "wf_delete_managed": ([client_p, c_char_p, POINTER(c_bool)], c_int32),
    "wf_managed_exists": ([client_p, c_char_p, POINTER(c_bool)], c_int32),
    "wf_submit_adhoc": ([client_p, POINTER(AdhocJob), data_p, c_void_p, POINTER(c_size_t)], c_int32),
    "wf_run_adhoc_to_file": ([client_p, POINTER(AdhocJob), data_p, c_char_p, POINTER(result_p)], c_int32),
    "wf_run_adhoc_ex": ([client_p, POINTER(AdhocJob), data_p, POINTER(result_p)], c_int32),
    "wf_get_result": ([client_p, c_char_p, c_void_p, POINTER(c_size_t)], c_int32),
    "wf_get_result_ex": ([client_p, c_char_p, POINTER(result_p)], c_int32),
    "wf_result_data": ([result_p, POINTER(c_size_t)], c_void_p),
    "wf_result_type_of": ([result_p], c_int32),
    "wf_result_data_set_id": ([result_p], c_int64),
    "wf_result_content_set_id": ([result_p], c_int64),
    "wf_result_job_set_id": ([result_p], c_int64),
    "wf_result_path_count": ([result_p], c_size_t),
    "wf_result_path": ([result_p, c_size_t], c_char_p),
    "wf_result_free": ([result_p], None),
    "wf_get_result_stream": ([client_p, c_char_p, WRITE_FN, c_void_p], c_int32),
    "wf_get_result_to_file": ([client_p, c_char_p, c_char_p], c_int32),
    "wf_get_result_to_file_ex": ([client_p, c_char_p, c_char_p, POINTER(result_p)], c_int32),
    "wf_submit": ([client_p, c_char_p, c_void_p, POINTER(c_size_t)], c_int32),
    "wf_get_progress": ([client_p, c_char_p, POINTER(c_int32), POINTER(c_bool)], c_int32),
    "wf_wait": ([client_p, c_char_p, c_uint32, PROGRESS_FN, c_void_p], c_int32),
    "wf_wait_any": ([client_p, POINTER(c_char_p), c_size_t, c_uint32, POINTER(c_size_t)], c_int32),
    "wf_wait_all": ([client_p, POINTER(c_char_p), c_size_t, c_uint32], c_int32),
    "wf_cancel": ([client_p, c_char_p], c_int32),
    "wf_get_result_text": ([client_p, c_char_p, c_void_p, POINTER(c_size_t)], c_int32),
    "wf_get_managed_result": ([client_p, c_char_p, c_void_p, POINTER(c_size_t)], c_int32),
    "wf_get_operations": ([client_p, c_void_p, POINTER(c_size_t)], c_int32),
    "wf_server_version": ([client_p, c_void_p, POINTER(c_size_t)], c_int32),
    "wf_download_managed": ([client_p, c_char_p, c_char_p, c_char_p], c_int32),
}

for _name, (_args, _ret) in _SIGNATURES.items():
    _fn = getattr(lib, _name)
    _fn.argtypes = _args
    _fn.restype = _ret

_abi = lib.wf_abi_version()
if _abi != ABI_VERSION:
    raise ImportError(
        f"olconnect_wf {ABI_VERSION} needs a library with ABI version {ABI_VERSION}, "
        f"but {lib._name} has ABI version {_abi}: install matching versions"
    )
