"""olconnect_wf: drive the All-In-One service of an OL Connect Server from Python.

>>> with Client("http://localhost:9340", username="ol-admin", password="secret") as c:
...     result = c.run(config, to_file="out.pdf")
"""
from ._async import AsyncClient
from ._client import Abort, Client, Progress, ResourceKind, Result, ResultType
from ._errors import (
    AbortedError,
    AuthError,
    AuthRequiredError,
    BadRequestError,
    ClosedError,
    ConnectError,
    ForbiddenError,
    InternalError,
    InvalidArgumentError,
    LocalIOError,
    NotFoundError,
    OutOfMemoryError,
    ServerError,
    TimeoutError,
    TimeoutException,
    TLSError,
    UnexpectedResponseError,
    WorkflowError,
)
from ._ffi import ABI_VERSION, lib as _lib
from ._watch import Completed

#: Version of the native library in use.
library_version: str = _lib.wf_version().decode("ascii")
__version__ = "0.1.0"

__all__ = [
    "ABI_VERSION",
    "Abort",
    "AbortedError",
    "AsyncClient",
    "AuthError",
    "AuthRequiredError",
    "BadRequestError",
    "Client",
    "ClosedError",
    "Completed",
    "ConnectError",
    "ForbiddenError",
    "InternalError",
    "InvalidArgumentError",
    "LocalIOError",
    "NotFoundError",
    "OutOfMemoryError",
    "Progress",
    "ResourceKind",
    "Result",
    "ResultType",
    "ServerError",
    "TLSError",
    "TimeoutException",
    "UnexpectedResponseError",
    "WorkflowError",
    "library_version",
]
