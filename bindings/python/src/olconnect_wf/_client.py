"""The public API: Client and the values it returns. Idiom only; the logic is in the library."""
import atexit
import ctypes
import enum
import io
import json
import logging
import os
import contextlib
import queue
import signal
import stat
import threading
from ctypes import byref, c_bool, c_int32, c_size_t, c_uint64
from typing import Any, Callable, Dict, Generator, Iterable, Iterator, List, NamedTuple, Optional, Tuple, Union

from . import _errors
from ._errors import InvalidArgumentError, error_for
from ._ffi import (
    LANGUAGE_PYTHON, LOG_FN, PROGRESS_FN, READ_FN, TRANSFER_FN, WRITE_FN, AdhocJob, abort_p, client_p, data_p, lib, result_p,
)
from ._handle import Handle
from ._watch import Batch, Completed, run_round, timeout_error, timeout_ms, wait_any_call

#: Where the library's log lines go (one per HTTP exchange at INFO, retries and re-logins at
#: WARNING, the message of each failed call at DEBUG; never a secret). Silent until the
#: application configures logging (a NullHandler keeps ``logging.lastResort`` from printing).
logger = logging.getLogger("olconnect_wf")
logger.addHandler(logging.NullHandler())
#: The library's levels (WF_LOG_ERROR ... WF_LOG_DEBUG) as logging's. WF_LOG_ERROR is the message
#: of a failed call, which reaches the caller as the exception that call raises (the library's
#: watcher's failures end the waits they concern the same way; the ones it handles are WARNING
#: lines of their own): logged above DEBUG it would be reported twice, and printed even when
#: the caller caught it.
_LOG_LEVELS = {1: logging.DEBUG, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG}

#: Called with (bytes received so far, total or None when the server did not announce it).
OnBytes = Callable[[int, Optional[int]], Any]

PathLike = Union[str, "os.PathLike[str]"]

#: Capacity of the operation id buffer of wf_submit (WF_OPERATION_ID_CAPACITY).
OPERATION_ID_CAPACITY = 128


class _NamedIntEnum(enum.IntEnum):
    """An IntEnum of a C enum that prints as its name."""

    def __str__(self) -> str:
        return self.name


class ResultType(_NamedIntEnum):
    """What a result holds, from the server's X-Result-Type header. Prints as its name."""

    UNKNOWN = 0
    DATA_SET_ID = 1
    CONTENT_SET_ID = 2
    JOB_SET_ID = 3
    OUTPUT_STREAMED = 4
    OUTPUT_PATHS = 5
    OUTPUT_MANAGED = 6


class ResourceKind(_NamedIntEnum):
    """What an upload is; by default it comes from the file name's extension. Prints as its name."""

    DATA_FILE = 1
    DATA_MAPPING = 2
    TEMPLATE = 3
    JOB_PRESET = 4
    OUTPUT_PRESET = 5


#: Data to send: a path (str or os.PathLike), bytes-like, or a binary file object.
DataSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, Any]


class Progress(NamedTuple):
    """The progress of an operation: a percentage, and whether it has finished."""

    percent: int
    done: bool


class Result(NamedTuple):
    """A fetched result: its bytes (empty when it went to a file), what the headers said about
    it, the paths of a multi-file result, and the local file it was written to, if any."""

    data: bytes
    type: ResultType
    data_set_id: Optional[int]
    content_set_id: Optional[int]
    job_set_id: Optional[int]
    paths: List[str]
    file: Optional[str] = None


def _op_ids(op_ids: Iterable[str]) -> Tuple[List[str], Dict[str, bytes]]:
    """The distinct ids of ``op_ids`` in order, and each one encoded for the library."""
    if isinstance(op_ids, (str, bytes)):
        raise InvalidArgumentError(
            _errors.INVALID_ARGUMENT, 0, "op_ids must be a list (or any iterable) of operation ids, not one str"
        )
    encoded: Dict[str, bytes] = {}
    for op_id in op_ids:
        value = _encode(op_id, "each of op_ids")
        assert value is not None
        encoded.setdefault(op_id, value)
    return list(encoded), encoded


def _encode(value: Optional[str], name: str) -> Optional[bytes]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgumentError(_errors.INVALID_ARGUMENT, 0, f"{name} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise InvalidArgumentError(_errors.INVALID_ARGUMENT, 0, f"{name} contains a NUL character")
    return value.encode("utf-8", "surrogatepass")


def _path(value: PathLike, name: str) -> bytes:
    try:
        text = os.fspath(value)
    except TypeError:
        raise InvalidArgumentError(_errors.INVALID_ARGUMENT, 0, f"{name} must be a str or os.PathLike") from None
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    encoded = _encode(text, name)
    assert encoded is not None
    return encoded


def _check(status: int, filename: Optional[bytes] = None) -> None:
    """Raises the error of a native call that returned ``status``; ``filename``, the local file
    the call read or wrote, goes to a :class:`LocalIOError`."""
    if status != _errors.OK:
        message = (lib.wf_last_error_message() or b"").decode("utf-8", "replace")
        name = os.fsdecode(filename) if filename is not None else None
        raise error_for(status, lib.wf_last_http_status(), message, filename=name)


class _ResultOut:
    """The wf_result a call writes (``byref(out.handle)``), freed when the ``with`` block ends
    whatever happens; it never leaves the call that made it."""

    def __init__(self) -> None:
        self.handle = result_p()

    def __enter__(self) -> "_ResultOut":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        lib.wf_result_free(self.handle)  # NULL (the call failed) does nothing

    def read(self, file: Optional[str] = None) -> Result:
        handle = self.handle
        size = c_size_t(0)
        ptr = lib.wf_result_data(handle, byref(size))
        data = ctypes.string_at(ptr, size.value) if ptr and size.value else b""
        ids = [lib.wf_result_data_set_id(handle), lib.wf_result_content_set_id(handle), lib.wf_result_job_set_id(handle)]
        paths = [lib.wf_result_path(handle, i).decode("utf-8") for i in range(lib.wf_result_path_count(handle))]
        kind = lib.wf_result_type_of(handle)
        return Result(
            data=data,
            type=ResultType(kind) if kind in ResultType._value2member_map_ else ResultType.UNKNOWN,
            data_set_id=ids[0] if ids[0] >= 0 else None,
            content_set_id=ids[1] if ids[1] >= 0 else None,
            job_set_id=ids[2] if ids[2] >= 0 else None,
            paths=paths,
            file=file,
        )


class _CallbackGuard:
    """Carries an exception raised inside a callback out of the native call that invoked it."""

    def __init__(self) -> None:
        self.error: Optional[BaseException] = None

    def reraise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error


class Abort:
    """A switch that stops the calls made under it (see :meth:`Client.abort_on`): triggering it
    from any thread stops them within a quarter of a second with :class:`AbortedError`.
    :meth:`close` (or garbage collection) frees it once no call uses it; after ``close()``
    its methods, and calls made under it, raise :class:`ClosedError`."""

    def __init__(self) -> None:
        handle = abort_p()
        _check(lib.wf_abort_new(byref(handle)))
        self._handle: Handle["ctypes._Pointer[Any]"] = Handle(handle, lib.wf_abort_free, "Abort")

    def trigger(self) -> None:
        """Stops the calls made under this switch (safe from any thread and a signal handler)."""
        with self._handle as h:
            lib.wf_abort_trigger(h)

    @property
    def triggered(self) -> bool:
        with self._handle as h:
            return bool(lib.wf_abort_is_triggered(h))

    def reset(self) -> None:
        """Lets calls made under this switch run again."""
        with self._handle as h:
            lib.wf_abort_reset(h)

    def close(self) -> None:
        """Frees the switch now, or when the last call made under it returns. Idempotent."""
        self._handle.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._handle.closed


#: The abort switch the calls of this thread obey (set by :meth:`Client.abort_on`).
_calls = threading.local()

#: Stands for "no abort switch" where a call takes a use of one.
_NO_HANDLE: "contextlib.nullcontext[None]" = contextlib.nullcontext(None)


class _Running:
    """The native calls in progress, so that the interpreter's exit stops them and lets them
    return first. A daemon thread still inside one when the interpreter finalizes is ended as
    its next callback asks for the GIL, by an unwinding the library's frames cannot let through:
    the whole process aborts. So at exit (atexit) every call in progress is stopped through its
    transfer callback (called at least every 100 ms), new ones are refused, and the exit waits up
    to ``EXIT_WAIT`` seconds for them to return."""

    EXIT_WAIT = 2.0

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.RLock())
        self._count = 0
        self.stopping = False

    def __enter__(self) -> None:
        with self._changed:
            refused = self.stopping
            if not refused:
                self._count += 1
        if refused:
            raise _errors.AbortedError(_errors.ABORTED, 0, "the Python interpreter is exiting: no new call starts")

    def __exit__(self, *exc_info: Any) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self.stopping = True
            self._changed.wait_for(lambda: self._count <= 0, self.EXIT_WAIT)


_running = _Running()
atexit.register(_running.stop)


@contextlib.contextmanager
def _signals_to(guard: _CallbackGuard) -> Generator[None, None, None]:
    """While a native call runs on the main thread, a SIGINT (or any handler's exception) is
    recorded in ``guard`` instead of being raised inside a ctypes callback, where CPython raises
    it on entry to the callback, before any ``try`` of it can catch it. The call then stops
    (the transfer callback sees it within 100 ms) and the exception is raised after it."""
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    if not callable(previous):
        yield
        return

    def record(signum: int, frame: Any) -> None:
        try:
            previous(signum, frame)
        except BaseException as e:
            guard.error = guard.error or e

    signal.signal(signal.SIGINT, record)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _log_line(_user: Any, level: int, message: bytes) -> None:
    try:
        python_level = _LOG_LEVELS.get(level, logging.DEBUG)
        if not logger.isEnabledFor(python_level):
            return
        logger.log(python_level, "%s", message.decode("utf-8", "replace"))
    except BaseException:  # a log hook must never disturb the call it reports on
        pass


_LOG_HOOK = LOG_FN(_log_line)


class Client:
    """A client of one OL Connect server; thread-safe (share one across threads).

    Credentials: ``username``/``password`` log in at once and the token is renewed as needed
    (or sent as HTTP Basic on every call with ``basic=True``); ``token`` sends a fixed
    ``auth_token``. ``timeout`` (seconds) bounds connecting and each silence while reading;
    ``ca_file`` trusts only that PEM file's certificates; ``insecure`` accepts any certificate;
    ``proxy`` sends every request through that proxy URL. ``durable_files=False`` skips the sync
    of downloaded files (faster; a file is still complete or absent, but a machine crash shortly
    after may lose it). ``kept_body_limit`` (bytes) bounds the result bodies kept between a
    too-small buffer and its retry (default 32 MiB; see :meth:`set_kept_body_limit`).
    ``max_concurrent`` caps the requests in flight at once (see :meth:`set_max_concurrent`).
    ``retry_attempts`` and ``retry_max_backoff`` (seconds) say how a request that is safe to
    repeat is sent again after a transient failure (default 4 attempts, 2 s; see
    :meth:`set_retry`). Use it as a context manager, or call :meth:`close`.

    Every call can be interrupted: Ctrl-C raises :class:`KeyboardInterrupt` within half a second
    whatever the call is doing (the native call is stopped, no partial file is left), and calls
    made inside ``with client.abort_on(abort):`` stop when ``abort.trigger()`` is called from
    another thread. Log lines go to ``logging.getLogger("olconnect_wf")``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: Optional[str] = None,
        password: Optional[str] = None,
        token: Optional[str] = None,
        basic: bool = False,
        timeout: Optional[float] = 60.0,
        connect_timeout: Optional[float] = 10.0,
        ca_file: Optional[PathLike] = None,
        insecure: bool = False,
        proxy: Optional[str] = None,
        durable_files: bool = True,
        kept_body_limit: Optional[int] = None,
        max_concurrent: Optional[int] = None,
        retry_attempts: Optional[int] = None,
        retry_max_backoff: Optional[float] = None,
    ) -> None:
        handle = client_p()
        _check(lib.wf_client_new(_encode(base_url, "base_url"), byref(handle)))
        self._handle: Handle["ctypes._Pointer[Any]"] = Handle(handle, lib.wf_client_free, "Client")
        try:
            self._set(lib.wf_client_set_message_language, LANGUAGE_PYTHON)
            self._set(lib.wf_client_set_log, _LOG_HOOK, None)
            if max_concurrent is not None:
                self.set_max_concurrent(max_concurrent)
            if retry_attempts is not None or retry_max_backoff is not None:
                self.set_retry(4 if retry_attempts is None else retry_attempts,
                               2.0 if retry_max_backoff is None else retry_max_backoff)
            self.set_timeouts(timeout=timeout, connect_timeout=connect_timeout)
            if ca_file is not None:
                ca_path = _path(ca_file, "ca_file")
                with self._handle as ptr:
                    _check(lib.wf_client_set_tls_ca_file(ptr, ca_path), filename=ca_path)
            if insecure:
                self._set(lib.wf_client_set_tls_insecure, True)
            if proxy is not None:
                self._set(lib.wf_client_set_proxy, _encode(proxy, "proxy"))
            if not durable_files:
                self.set_durable_files(False)
            if kept_body_limit is not None:
                self.set_kept_body_limit(kept_body_limit)
            if token is not None:
                self.set_token(token)
            elif username is not None:
                if password is None:
                    raise InvalidArgumentError(_errors.INVALID_ARGUMENT, 0, "a username needs a password")
                if basic:
                    self.set_basic_auth(username, password)
                else:
                    self.login(username, password)
        except BaseException:
            self.close()
            raise

    # -- life cycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the client: calls made after it raise :class:`ClosedError` (a ``ValueError``).
        Calls already running, on other threads or the call whose callback closes it, are not
        interrupted: they finish normally (stop them with an :class:`Abort` if you need to), and
        the native client (connections, kept bodies, credentials) is freed when the last of them
        returns, at once when none runs. Never waits for them; idempotent; safe from any thread.
        Garbage collection of an unclosed client does the same."""
        self._handle.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (calls running then may still be finishing)."""
        return self._handle.closed

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _set(self, fn: Any, *args: Any) -> None:
        """Calls the setter ``fn(client, *args)`` holding a use of the handle; raises its error."""
        with self._handle as ptr:
            _check(fn(ptr, *args))

    # -- credentials and options --------------------------------------------------------------

    def login(self, username: str, password: str) -> None:
        """Logs in now; the token is then renewed before it expires and after a 401/403."""
        _check(self._native(lib.wf_client_login, _encode(username, "username"), _encode(password, "password")))

    def set_token(self, token: str) -> None:
        """Sends this ``auth_token`` on every request (it cannot be renewed)."""
        self._set(lib.wf_client_set_token, _encode(token, "token"))

    def set_basic_auth(self, username: str, password: str) -> None:
        """Sends HTTP Basic credentials on every request."""
        self._set(lib.wf_client_set_basic_auth, _encode(username, "username"), _encode(password, "password"))

    def clear_auth(self) -> None:
        """Sends no credentials from now on."""
        self._set(lib.wf_client_clear_auth)

    def set_durable_files(self, durable: bool) -> None:
        """Whether downloaded files are synced to the disk before they appear (default True)."""
        self._set(lib.wf_client_set_durable_files, bool(durable))

    def set_kept_body_limit(self, limit: int) -> None:
        """Bytes of result bodies kept for the buffer protocol (0 keeps none; oldest released first)."""
        if limit < 0:
            raise ValueError("kept_body_limit must be 0 or more")
        self._set(lib.wf_client_set_kept_body_limit, int(limit))

    def set_max_concurrent(self, limit: int) -> None:
        """At most ``limit`` requests in flight at once (0: no cap, the default); callers beyond
        it wait their turn, and a running download keeps its slot."""
        if limit < 0:
            raise ValueError("max_concurrent must be 0 or more")
        self._set(lib.wf_client_set_max_concurrent, int(limit))

    def set_outage_limit(self, seconds: Optional[float]) -> None:
        """How long a wait goes on while the server cannot be asked about its operations (no
        connection, timeouts, HTTP 502/503/504 for every look) before it raises the last
        failure, naming the operation and how to resume; ``None``: through any outage, until the
        wait's own timeout. Default 600 s."""
        if seconds is not None and not 0 < seconds <= 4294967.295:
            raise ValueError("the outage limit must be from 0.001 to 4294967 seconds, or None")
        ms = 0 if seconds is None else max(1, int(round(seconds * 1000)))
        self._set(lib.wf_client_set_outage_limit, ms)

    def set_retry(self, attempts: int, max_backoff: float = 2.0) -> None:
        """Sends a request that is safe to repeat (progress, the operation list, the version,
        ``exists``, File Store downloads, a login) at most ``attempts`` times in all (1: never
        again) after a transient failure (no connection, the connection lost before an answer,
        HTTP 502/503/504), pausing from 0.25 s up to ``max_backoff`` seconds between attempts,
        within the call's timeout and abort. Results, cancel and delete are sent again only when
        the connection could not be made; submit and uploads never."""
        if attempts < 1:
            raise ValueError("retry_attempts counts the first attempt: give at least 1")
        if not 0 <= max_backoff <= 4294967.295:
            raise ValueError("retry_max_backoff must be from 0 to 4294967 seconds")
        self._set(lib.wf_client_set_retry, min(int(attempts), 0xFFFFFFFF), int(round(max_backoff * 1000)))

    @property
    def retry_count(self) -> int:
        """How many times this client has sent a request again since it was created."""
        count = c_uint64()
        self._set(lib.wf_client_retry_count, byref(count))
        return count.value

    def abort_on(self, abort: Abort) -> "_AbortScope":
        """``with client.abort_on(abort): ...``: the calls this thread makes inside the block
        stop with :class:`AbortedError` when ``abort.trigger()`` is called from another thread."""
        return _AbortScope(abort)

    def _native(
        self, fn: Any, *args: Any, on_bytes: Optional[OnBytes] = None, on_sent: Optional[OnBytes] = None,
        on_tick: Optional[Callable[[], bool]] = None, guard: Optional[_CallbackGuard] = None,
    ) -> int:
        """Calls ``fn(view, *args)`` on a view of this client whose call can be stopped: by
        Ctrl-C (the transfer callback runs at least every 100 ms on this thread, so a pending
        KeyboardInterrupt is raised there and stops the call), by this thread's abort switch,
        and by ``on_bytes`` (bytes received) or ``on_sent`` (bytes sent) returning False.
        ``on_tick()`` is called with each transfer callback (the first at once, then at least
        every 100 ms); returning False stops the call (its status is then ABORTED), and it may
        call the library itself (the waits for many operations do, see ``_watch``).
        Returns the native status; a callback's exception
        is raised instead."""
        guard = guard if guard is not None else _CallbackGuard()

        def transfer(_user: Any, t: Any) -> int:
            if _running.stopping and guard.error is None:
                guard.error = _errors.AbortedError(_errors.ABORTED, 0, "stopped: the Python interpreter is exiting")
            if guard.error is not None:
                return 1
            try:
                if on_tick is not None and on_tick() is False:
                    return 1
                info = t.contents
                if on_sent is not None and info.sent:
                    if on_sent(info.sent, info.send_total if info.send_total >= 0 else None) is False:
                        return 1
                if on_bytes is not None and info.received:
                    if on_bytes(info.received, info.receive_total if info.receive_total >= 0 else None) is False:
                        return 1
                return 0
            except BaseException as e:  # KeyboardInterrupt lands here; carried out below
                guard.error = e
                return 1

        callback = TRANSFER_FN(transfer)
        abort: Optional[Abort] = getattr(_calls, "abort", None)
        # The call holds a use of the client and of its abort switch until the view is freed, so
        # a close() meanwhile (another thread, a callback) defers their free to the end of it.
        # The view itself never leaves this call: it is freed here, on every path.
        with _running, self._handle as client, (abort._handle if abort is not None else _NO_HANDLE) as switch:
            view = client_p()
            try:
                _check(lib.wf_client_with_controls(client, switch, 0, callback, None, byref(view)))
                with _signals_to(guard):
                    status: int = fn(view, *args)
            finally:
                lib.wf_client_free(view)  # NULL when the view was not made: does nothing
        guard.reraise()
        return status

    def set_timeouts(self, *, timeout: Optional[float] = 60.0, connect_timeout: Optional[float] = 10.0) -> None:
        """Seconds; ``None`` or 0 means no limit. ``timeout`` bounds each silence while reading."""

        def ms(seconds: Optional[float], name: str) -> int:
            if seconds is None:
                return 0
            if seconds < 0:
                raise InvalidArgumentError(_errors.INVALID_ARGUMENT, 0, f"{name} must not be negative")
            return min(max(int(seconds * 1000), 1 if seconds > 0 else 0), 0xFFFFFFFF)

        self._set(lib.wf_client_set_timeouts, ms(connect_timeout, "connect_timeout"), ms(timeout, "timeout"))

    # -- results ------------------------------------------------------------------------------

    def get_result(self, op_id: str) -> bytes:
        """The result body: an entity ID, a path list or a spool file's bytes (one request)."""
        return self.get_result_ex(op_id).data

    def result(self, op_id: str, on_bytes: Optional[OnBytes] = None) -> Result:
        """The result with its type, set IDs and parsed path list (``result.data`` holds the
        bytes; for large results prefer :meth:`get_result_to_file` or :meth:`iter_result`)."""
        return self.get_result_ex(op_id, on_bytes=on_bytes)

    def get_result_ex(self, op_id: str, on_bytes: Optional[OnBytes] = None) -> Result:
        """The former name of :meth:`result` (same behaviour), kept working."""
        with _ResultOut() as out:
            _check(self._native(lib.wf_get_result_ex, _encode(op_id, "op_id"), byref(out.handle), on_bytes=on_bytes))
            return out.read()

    def get_result_to_file(self, op_id: str, path: PathLike, on_bytes: Optional[OnBytes] = None) -> Result:
        """Streams the result to ``path`` (complete or not at all); returns its type and IDs.
        ``on_bytes(received, total)`` reports the download (``total`` None when unknown);
        returning ``False`` stops it with :class:`AbortedError`. With tqdm:
        ``bar = tqdm(unit="B", unit_scale=True)`` and
        ``on_bytes=lambda n, total: (setattr(bar, "total", total), bar.update(n - bar.n))``."""
        encoded = _path(path, "path")
        with _ResultOut() as out:
            _check(
                self._native(lib.wf_get_result_to_file_ex, _encode(op_id, "op_id"), encoded, byref(out.handle), on_bytes=on_bytes),
                filename=encoded,
            )
            return out.read(file=os.fsdecode(encoded))

    def stream_result(self, op_id: str, write: Callable[[bytes], Any], on_bytes: Optional[OnBytes] = None) -> int:
        """Calls ``write(chunk)`` with each chunk of the result in order; returns the byte
        count. ``write`` returning ``False`` stops with :class:`AbortedError`; an exception it
        raises stops the download and is raised from here."""
        guard = _CallbackGuard()
        total = 0

        def on_chunk(_user: Any, chunk: Any, length: int) -> int:
            nonlocal total
            try:
                total += length
                return 1 if write(ctypes.string_at(chunk, length)) is False else 0
            except BaseException as e:  # carried to the caller after the native call returns
                guard.error = e
                return 1

        callback = WRITE_FN(on_chunk)
        status = self._native(lib.wf_get_result_stream, _encode(op_id, "op_id"), callback, None, on_bytes=on_bytes, guard=guard)
        _check(status)
        return total

    def iter_result(self, op_id: str, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
        """Yields the result in chunks of ``chunk_size`` bytes (the last may be shorter),
        with bounded memory; closing the iterator early stops the download."""
        if chunk_size <= 0:
            raise InvalidArgumentError(_errors.INVALID_ARGUMENT, 0, "chunk_size must be positive")
        chunks: "queue.Queue[Any]" = queue.Queue(maxsize=8)
        stop = threading.Event()
        done = object()
        outcome: List[BaseException] = []

        def write(chunk: bytes) -> bool:
            while not stop.is_set():
                try:
                    chunks.put(chunk, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def pump() -> None:
            try:
                self.stream_result(op_id, write)
            except BaseException as e:
                outcome.append(e)
            finally:
                while True:
                    try:
                        chunks.put(done, timeout=0.1)
                        break
                    except queue.Full:
                        if stop.is_set():
                            break

        worker = threading.Thread(target=pump, name="olconnect-wf-iter", daemon=True)
        worker.start()
        pending = b""
        try:
            while True:
                item = chunks.get()
                if item is done:
                    break
                pending += item
                start = 0
                while len(pending) - start >= chunk_size:
                    yield pending[start : start + chunk_size]
                    start += chunk_size
                pending = pending[start:]
            if outcome:
                raise outcome[0]
            if pending:
                yield pending
        finally:
            stop.set()
            worker.join()

    def get_result_text(self, op_id: str) -> str:
        """The result as text (getResultTxt): an entity ID or the spool file path(s)."""
        return self._text(lib.wf_get_result_text, _encode(op_id, "op_id"))

    def managed_result(self, op_id: str) -> Dict[str, Any]:
        """The managed result (getManagedResult) as a dict: ``identifier`` and ``files``."""
        managed: Dict[str, Any] = json.loads(self._text(lib.wf_get_managed_result, _encode(op_id, "op_id")))
        return managed

    def download_managed(
        self, file_id: Union[str, int], path: PathLike, file_name: Optional[str] = None, on_bytes: Optional[OnBytes] = None
    ) -> str:
        """Downloads managed output from the File Store to ``path``: one file of a folder
        (``file_name``), or the whole folder as a ZIP archive. Returns the path."""
        encoded = _path(path, "path")
        name = _encode(file_name, "file_name")
        _check(
            self._native(lib.wf_download_managed, _encode(str(file_id), "file_id"), name, encoded, on_bytes=on_bytes),
            filename=encoded,
        )
        return os.fsdecode(encoded)

    # -- local data ---------------------------------------------------------------------------

    def upload(
        self, data: DataSource, *, kind: Optional[ResourceKind] = None, filename: Optional[str] = None,
        persistent: bool = False, on_bytes: Optional[OnBytes] = None,
    ) -> str:
        """Uploads a data file or a resource to the File Store (streamed, in constant memory);
        returns its Managed File ID. ``data``: a path, bytes, or a binary file object. ``kind``
        defaults to the one the name's extension selects (``filename``, else the file's name).
        ``on_bytes(sent, total)`` reports the upload."""
        guard = _CallbackGuard()
        buf = ctypes.create_string_buffer(1024)
        size = c_size_t(1024)
        with _Data(data, guard) as handle:
            status = self._native(
                lib.wf_upload, int(kind or 0), handle, _encode(filename, "filename"), bool(persistent), buf, byref(size),
                on_sent=on_bytes, guard=guard,
            )
        _check(status, filename=_data_path(data))
        return buf.value.decode("utf-8")

    def delete(self, file_id: Union[str, int]) -> bool:
        """Deletes a File Store file or folder; the server's answer (True: deleted)."""
        deleted = c_bool(False)
        _check(self._native(lib.wf_delete_managed, _encode(str(file_id), "file_id"), byref(deleted)))
        return deleted.value

    def exists(self, file_id: Union[str, int]) -> bool:
        """Whether a File Store file or folder exists (servers 2023.2+)."""
        found = c_bool(False)
        _check(self._native(lib.wf_managed_exists, _encode(str(file_id), "file_id"), byref(found)))
        return found.value

    def submit_adhoc(
        self, data: DataSource, *, data_mapping: str, template: str, output_preset: str, job_preset: Optional[str] = None,
        create_only: bool = False, print_range: Optional[str] = None, filename: Optional[str] = None,
        on_bytes: Optional[OnBytes] = None,
    ) -> str:
        """Starts an ad-hoc All-In-One job whose data is ``data``; returns the operation id."""
        job = _adhoc_job(data_mapping, template, output_preset, job_preset, create_only, False, print_range, filename)
        guard = _CallbackGuard()
        buf = ctypes.create_string_buffer(OPERATION_ID_CAPACITY)
        size = c_size_t(OPERATION_ID_CAPACITY)
        with _Data(data, guard) as handle:
            status = self._native(lib.wf_submit_adhoc, byref(job), handle, buf, byref(size), on_sent=on_bytes, guard=guard)
        _check(status, filename=_data_path(data))
        return buf.value.decode("utf-8")

    def run_adhoc(
        self, data: DataSource, *, data_mapping: str, template: str, output_preset: str, job_preset: Optional[str] = None,
        to_file: Optional[PathLike] = None, create_only: bool = False, result_as_text: bool = False,
        print_range: Optional[str] = None, filename: Optional[str] = None,
    ) -> Result:
        """Runs an ad-hoc All-In-One job synchronously: the result streamed to ``to_file``
        (complete or absent), else in memory (``result_as_text``: the spool file paths)."""
        job = _adhoc_job(data_mapping, template, output_preset, job_preset, create_only, result_as_text, print_range, filename)
        guard = _CallbackGuard()
        encoded = _path(to_file, "to_file") if to_file is not None else None
        with _ResultOut() as out:
            with _Data(data, guard) as handle:
                if encoded is not None:
                    status = self._native(lib.wf_run_adhoc_to_file, byref(job), handle, encoded, byref(out.handle), guard=guard)
                else:
                    status = self._native(lib.wf_run_adhoc_ex, byref(job), handle, byref(out.handle), guard=guard)
            # The one local file of the call that a failure concerns: the result's, else the data's.
            _check(status, filename=encoded if encoded is not None else _data_path(data))
            return out.read(file=os.fsdecode(encoded) if encoded is not None else None)

    # -- workflow -----------------------------------------------------------------------------

    def submit(self, config: Union[Dict[str, Any], str]) -> str:
        """Submits an All-In-One configuration (a dict, or JSON text); returns the operation id."""
        text = config if isinstance(config, str) else json.dumps(config)
        buf = ctypes.create_string_buffer(OPERATION_ID_CAPACITY)
        size = c_size_t(OPERATION_ID_CAPACITY)
        _check(self._native(lib.wf_submit, _encode(text, "config"), buf, byref(size)))
        return buf.value.decode("utf-8")

    def progress(self, op_id: str) -> Progress:
        """The progress of an operation (getProgress)."""
        percent, done = c_int32(0), c_bool(False)
        _check(self._native(lib.wf_get_progress, _encode(op_id, "op_id"), byref(percent), byref(done)))
        return Progress(percent.value, done.value)

    def wait(self, op_id: str, timeout: Optional[float] = None, on_progress: Optional[Callable[[int], Any]] = None) -> None:
        """Waits until the operation has finished. ``on_progress(percent)`` is called with each
        new percentage; returning ``False`` stops with :class:`AbortedError`, an exception it
        raises is raised from here. ``timeout`` in seconds raises :class:`TimeoutException`."""
        guard = _CallbackGuard()

        def report(_user: Any, percent: int) -> int:
            try:
                return 1 if on_progress is not None and on_progress(percent) is False else 0
            except BaseException as e:
                guard.error = e
                return 1

        callback = PROGRESS_FN(report) if on_progress is not None else PROGRESS_FN()
        ms = 0 if timeout is None else max(1, min(int(timeout * 1000), 0xFFFFFFFF))
        _check(self._native(lib.wf_wait, _encode(op_id, "op_id"), ms, callback, None, guard=guard))

    def wait_any(self, op_ids: Iterable[str], timeout: Optional[float] = None) -> str:
        """Waits until the first of the operations ends and returns its id. One that did not
        finish (cancelled, unknown to the server, failed) raises its error, whose ``op_id`` names
        it. ``timeout`` in seconds raises :class:`TimeoutException` when none ended; an empty
        ``op_ids`` is an :class:`InvalidArgumentError`. The operations are watched by the
        client's watcher, one ``getOperations`` per interval for all of them."""
        ids, encoded = _op_ids(op_ids)
        if not ids:
            raise InvalidArgumentError(_errors.INVALID_ARGUMENT, 0, "wait_any needs at least one operation id")
        index, status, error = wait_any_call(self, [encoded[i] for i in ids], timeout_ms(timeout))
        if index < len(ids):
            if error is not None:
                error.op_id = ids[index]
                raise error
            return ids[index]
        if status == _errors.TIMEOUT:
            raise timeout_error(f"none of the {len(ids)} operations waited on ended", timeout)
        assert error is not None
        raise error

    def wait_all(self, op_ids: Iterable[str], timeout: Optional[float] = None) -> None:
        """Waits until every operation has ended. Then, when one did not finish, raises the
        error of the first such in the order given (its ``op_id`` names it; see
        :meth:`as_completed` for every outcome). ``timeout`` in seconds (for them all) raises
        :class:`TimeoutException`; no ids returns at once. One thread, whatever their number."""
        ids, _ = _op_ids(op_ids)
        if not ids:
            return
        batch = Batch(ids, timeout, batch=False)
        while batch.pending():
            run_round(self, batch)
        failures = {done.op_id: done.error for done in batch.done if done.error is not None}
        for op_id in ids:
            if op_id in failures:
                raise failures[op_id]

    def as_completed(self, op_ids: Iterable[str], timeout: Optional[float] = None) -> Iterator[Completed]:
        """Yields each operation as it ends, as a :class:`Completed` (``op_id, error``: the
        error is None when it finished, else what :meth:`wait` would have raised; ``check()``
        raises it), like ``concurrent.futures.as_completed``: a failed operation does not stop
        the iteration. Each id is given once (duplicates are dropped). ``timeout`` in seconds,
        from this call, for them all: the iteration then raises :class:`TimeoutException` once
        what ended before it was given. One thread (the caller's), whatever the number of ids;
        the server sees one ``getOperations`` per interval and one ``getProgress`` per ended
        operation. Ids are checked here, at once."""
        ids, _ = _op_ids(op_ids)
        batch = Batch(ids, timeout, batch=True)

        def completions() -> Iterator[Completed]:
            given = 0
            while batch.pending():
                failure: Optional[_errors.WorkflowError] = None
                try:
                    run_round(self, batch)
                except _errors.WorkflowError as e:  # a timeout, say: give what ended first
                    failure = e
                while given < len(batch.done):
                    given += 1
                    yield batch.done[given - 1]
                if failure is not None:
                    raise failure

        return completions()

    def cancel(self, op_id: str) -> None:
        """Cancels an operation; a :meth:`wait` on it in another thread raises AbortedError."""
        _check(self._native(lib.wf_cancel, _encode(op_id, "op_id")))

    def operations(self) -> List[Dict[str, Any]]:
        """The operations running on the server (getOperations)."""
        running: List[Dict[str, Any]] = json.loads(self._text(lib.wf_get_operations))
        return running

    def server_version(self) -> str:
        """The server's version string."""
        return self._text(lib.wf_server_version)

    def run(
        self,
        config: Union[Dict[str, Any], str],
        *,
        to_file: Optional[PathLike] = None,
        on_progress: Optional[Callable[[int], Any]] = None,
        on_bytes: Optional[OnBytes] = None,
        timeout: Optional[float] = None,
    ) -> Result:
        """Submits, waits and fetches: the result in memory, or streamed to ``to_file``."""
        op_id = self.submit(config)
        self.wait(op_id, timeout=timeout, on_progress=on_progress)
        if to_file is not None:
            return self.get_result_to_file(op_id, to_file, on_bytes=on_bytes)
        return self.get_result_ex(op_id, on_bytes=on_bytes)

    def _text(self, fn: Any, *args: Any) -> str:
        size = c_size_t(4096)
        while True:
            buf = ctypes.create_string_buffer(size.value)
            status = self._native(fn, *args, buf, byref(size))
            if status != _errors.BUFFER_TOO_SMALL:
                _check(status)
                return buf.value.decode("utf-8")


class _Data:
    """A wf_data for one call: from a path, a bytes-like object (not copied for bytes and
    bytearray) or a file object (read through a callback; its exceptions come out of the call)."""

    def __init__(self, source: DataSource, guard: _CallbackGuard) -> None:
        self.handle = data_p()
        self._keep: Any = None
        if isinstance(source, (str, os.PathLike)):
            path = _path(source, "data")
            _check(lib.wf_data_from_file(path, byref(self.handle)), filename=path)
        elif isinstance(source, (bytes, bytearray, memoryview)):
            raw = bytes(source) if isinstance(source, memoryview) else source
            buf: Any
            if isinstance(raw, bytearray):
                buf = (ctypes.c_uint8 * len(raw)).from_buffer(raw) if raw else None
            else:
                buf = ctypes.c_char_p(raw)
            self._keep = (raw, buf)
            _check(lib.wf_data_from_buffer(ctypes.cast(buf, ctypes.c_void_p) if buf is not None else None, len(raw), byref(self.handle)))
        elif hasattr(source, "read"):
            length = _exact_length(source)

            def read(_user: Any, buf: Any, capacity: int) -> int:
                try:
                    chunk = source.read(capacity)
                    if not isinstance(chunk, (bytes, bytearray)):
                        raise TypeError("the file object must be opened in binary mode")
                    if len(chunk) > capacity:
                        raise ValueError(
                            f"the file object's read({capacity}) returned {len(chunk)} bytes; "
                            "read(n) must return at most n bytes"
                        )
                    ctypes.memmove(buf, bytes(chunk), len(chunk))
                    return len(chunk)
                except BaseException as e:
                    guard.error = guard.error or e
                    return -1

            self._keep = READ_FN(read)
            _check(lib.wf_data_from_reader(self._keep, None, length, byref(self.handle)))
        else:
            raise InvalidArgumentError(_errors.INVALID_ARGUMENT, 0, "data must be a path, bytes or a binary file object")

    def __enter__(self) -> "ctypes._Pointer[Any]":
        return self.handle

    def __exit__(self, *exc_info: Any) -> None:
        lib.wf_data_free(self.handle)


def _data_path(source: DataSource) -> Optional[bytes]:
    """The path of data given as a path (for the ``filename`` of a LocalIOError), else None."""
    return _path(source, "data") if isinstance(source, (str, os.PathLike)) else None


def _exact_length(source: Any) -> int:
    """The bytes a file object will still give, announced as the upload's length only when
    certain: a plain binary file (``open(path, "rb")``: an io.FileIO, or an io.BufferedReader or
    BufferedRandom over one) of a regular file, whose size less the current position is exactly
    what reads will return. Anything else gives -1 (unknown: sent chunked), e.g. ``gzip.open``,
    whose ``fileno()`` is the compressed file, not the bytes it reads."""
    raw = source.raw if type(source) in (io.BufferedReader, io.BufferedRandom) else source
    if type(raw) is not io.FileIO:
        return -1
    try:
        info = os.fstat(raw.fileno())
        remaining = info.st_size - source.tell()
    except (OSError, ValueError):
        return -1
    return remaining if stat.S_ISREG(info.st_mode) and remaining >= 0 else -1


def _adhoc_job(
    data_mapping: str, template: str, output_preset: str, job_preset: Optional[str], create_only: bool,
    result_as_text: bool, print_range: Optional[str], filename: Optional[str],
) -> AdhocJob:
    return AdhocJob(
        _encode(data_mapping, "data_mapping"), _encode(template, "template"), _encode(job_preset, "job_preset"),
        _encode(output_preset, "output_preset"), bool(create_only), bool(result_as_text),
        _encode(print_range, "print_range"), _encode(filename, "filename"),
    )


class _AbortScope:
    """The block of :meth:`Client.abort_on`: this thread's calls obey ``abort`` inside it."""

    def __init__(self, abort: Abort) -> None:
        self._abort = abort
        self._outer: Optional[Abort] = None

    def __enter__(self) -> Abort:
        self._outer = getattr(_calls, "abort", None)
        _calls.abort = self._abort
        return self._abort

    def __exit__(self, *exc_info: Any) -> None:
        _calls.abort = self._outer
