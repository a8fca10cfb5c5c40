"""The exception hierarchy, one class per wf_status."""
import builtins
import os
import re
from typing import Dict, Optional, Type

OK = 0
INVALID_ARGUMENT = 1
BUFFER_TOO_SMALL = 2
AUTH_REQUIRED = 3
AUTH_FAILED = 4
FORBIDDEN = 5
NOT_FOUND = 6
BAD_REQUEST = 7
SERVER_ERROR = 8
UNEXPECTED_RESPONSE = 9
CONNECT_FAILED = 10
TLS_ERROR = 11
TIMEOUT = 12
IO_ERROR = 13
ABORTED = 14
OUT_OF_MEMORY = 15
INTERNAL_ERROR = 99


class WorkflowError(Exception):
    """A failed call: `status` (the C wf_status), `http_status` (0 when there was no HTTP
    answer) and `message` (what happened, with the server's own words when there were some).
    `op_id` names the operation when a wait for several operations raises for one of them
    (``wait_any``, ``wait_all``, ``as_completed``, and the asyncio waits); else None."""

    op_id: Optional[str] = None

    def __init__(self, status: int, http_status: int, message: str):
        super().__init__(message)
        self.status = status
        self.http_status = http_status
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, http_status={self.http_status}, message={self.message!r})"


class InvalidArgumentError(WorkflowError, ValueError):
    """An argument was refused before anything was sent (e.g. an operation id with '/')."""


class ClosedError(InvalidArgumentError):
    """A call on a :class:`Client` or an :class:`Abort` after its ``close()``: a ``ValueError``,
    as I/O on a closed file is. Calls already running when ``close()`` was called are not
    affected; they finish normally."""


class AuthRequiredError(WorkflowError):
    """HTTP 401 and no credentials were configured."""


class AuthError(WorkflowError):
    """HTTP 401: the credentials sent were rejected (after one automatic re-login)."""


class ForbiddenError(WorkflowError):
    """HTTP 403: the user lacks the role, or (older servers) the credentials are invalid."""


class NotFoundError(WorkflowError):
    """HTTP 404: the operation or file is not on the server."""


class BadRequestError(WorkflowError):
    """HTTP 400: e.g. a File Store resource named in the configuration does not exist."""


class ServerError(WorkflowError):
    """HTTP 5xx: the operation or the server failed."""


class UnexpectedResponseError(WorkflowError):
    """An answer that breaks the protocol: truncated body, connection lost mid-body, ..."""


class ConnectError(WorkflowError, ConnectionError):
    """The server could not be reached (DNS, refused, reset, proxy)."""


class TLSError(WorkflowError):
    """The TLS handshake or the certificate verification failed."""


class TimeoutException(WorkflowError, builtins.TimeoutError):
    """A timeout or a wait deadline expired."""


#: The former name, kept working; it shadows the builtin TimeoutError where star-imported, so
#: it is not exported by ``from olconnect_wf import *`` (use TimeoutException).
TimeoutError = TimeoutException


class LocalIOError(WorkflowError, OSError):
    """A local file could not be read, written or renamed. As an ``OSError`` it carries
    ``errno`` (and ``strerror``) when the system reported one, and ``filename``, the local file
    of the call (the destination of a download, the data file of an upload), when there is one;
    else they are None."""


class AbortedError(WorkflowError):
    """A callback asked to stop, or the operation waited on was cancelled."""


class OutOfMemoryError(WorkflowError):
    """A body asked for in memory did not fit; use the streaming or file calls for large results."""


class InternalError(WorkflowError):
    """A bug in the library; please report it."""


_BY_STATUS: Dict[int, Type[WorkflowError]] = {
    INVALID_ARGUMENT: InvalidArgumentError,
    AUTH_REQUIRED: AuthRequiredError,
    AUTH_FAILED: AuthError,
    FORBIDDEN: ForbiddenError,
    NOT_FOUND: NotFoundError,
    BAD_REQUEST: BadRequestError,
    SERVER_ERROR: ServerError,
    UNEXPECTED_RESPONSE: UnexpectedResponseError,
    CONNECT_FAILED: ConnectError,
    TLS_ERROR: TLSError,
    TIMEOUT: TimeoutException,
    IO_ERROR: LocalIOError,
    ABORTED: AbortedError,
    OUT_OF_MEMORY: OutOfMemoryError,
    INTERNAL_ERROR: InternalError,
}


#: How the library quotes the system's error in a message ("... (os error 2)").
_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def error_for(
    status: int, http_status: int, message: str, op_id: Optional[str] = None, filename: Optional[str] = None
) -> WorkflowError:
    """The exception of ``status``; a :class:`LocalIOError` gets ``errno``/``strerror`` from the
    system error the message quotes and ``filename`` from the caller."""
    cls = _BY_STATUS.get(status, WorkflowError)
    # OSError's constructor treats extra arguments specially; build it as a plain WorkflowError.
    err = cls.__new__(cls)
    WorkflowError.__init__(err, status, http_status, message)
    if op_id is not None:
        err.op_id = op_id
    if isinstance(err, LocalIOError):
        found = _OS_ERROR.search(message)
        if found is not None:
            err.errno = int(found.group(1))
            err.strerror = os.strerror(err.errno)
        err.filename = filename
    return err
