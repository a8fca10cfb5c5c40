"""Waiting for many operations on one thread, through the client's watcher.

The library watches every operation waited on through a client with one ``getOperations`` per
interval (docs/architecture.md, "Waiting"), but it keeps what it learnt of an operation only while
a wait holds it: when ``wf_wait_any`` returns, the other operations that ended in the same look
are forgotten, and waiting for them again costs a ``getProgress`` each, again and again while
they pile up. A loop of ``wf_wait_any`` over the pending ids (the obvious ``as_completed``)
measured 9,819 ``getProgress`` for 500 operations. So a *round* here holds every operation with
one ``wf_wait_all`` (the outer call), and from its transfer callback, which the library calls on
this thread and which may call the library, ``wf_wait_any`` calls (the inner calls) over the
operations still pending collect each end while the outer call keeps what the watcher learnt:
one ``getProgress`` per operation. Every wait call the library starts makes the watcher look at
once, so the inner calls that block are paced (at most one per ``PACE``); the ones in between
only collect what is known already (1 ms).

A *source* says which operations are pending and takes each end: the synchronous waits
(:class:`Batch`) and the asyncio dispatcher (``_dispatch``).
"""
import ctypes
import math
import time
from ctypes import byref, c_char_p, c_size_t
from typing import TYPE_CHECKING, Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

from . import _errors
from ._errors import WorkflowError, error_for
from ._ffi import lib

if TYPE_CHECKING:  # pragma: no cover
    from ._client import Client, _CallbackGuard

#: The shortest time between two inner calls that block (each makes the watcher look at once).
PACE = 0.1
#: The inner calls that only collect what the watcher knows already.
COLLECT_MS = 1


class Completed(NamedTuple):
    """An operation that ended, as ``as_completed`` gives it: its id, and the error its wait
    would have raised when it did not finish (``None`` when it finished). It unpacks as
    ``op_id, error``; :meth:`check` returns the id or raises the error."""

    op_id: str
    error: Optional[WorkflowError]

    @property
    def ok(self) -> bool:
        """Whether the operation finished."""
        return self.error is None

    def check(self) -> str:
        """The operation id when it finished; else raises its error."""
        if self.error is not None:
            raise self.error
        return self.op_id


def last_error(status: int, op_id: Optional[str] = None) -> WorkflowError:
    """The error of the call that just returned ``status`` on this thread."""
    message = (lib.wf_last_error_message() or b"").decode("utf-8", "replace")
    return error_for(status, lib.wf_last_http_status(), message, op_id)


def timeout_ms(seconds: Optional[float]) -> int:
    """A wait's timeout in milliseconds for the library (0: none)."""
    if seconds is None:
        return 0
    return max(1, min(int(seconds * 1000), 0xFFFFFFFF)) if seconds > 0 else 1


def wait_any_call(
    client: "Client", ids: Sequence[bytes], ms: int, on_tick: Optional[Callable[[], bool]] = None
) -> Tuple[int, int, Optional[WorkflowError]]:
    """One ``wf_wait_any``: (index of the operation that ended, or ``len(ids)`` when the wait
    itself ended; its status; the error, None for OK). Raises what a callback raised."""
    array = (c_char_p * len(ids))(*ids)
    index = c_size_t(len(ids))
    status = client._native(lib.wf_wait_any, array, len(ids), ms, byref(index), on_tick=on_tick)
    return index.value, status, (None if status == _errors.OK else last_error(status))


class Source:
    """The operations a round waits for, and where their ends go (see the module's comment)."""

    #: End the round once something ended and all that is known was collected (a generator
    #: that must return to yield); else go on until nothing is pending.
    batch = False

    def __init__(self) -> None:
        self.last_block = -math.inf
        #: Set by the round: the exception waiting to end the outer call (Ctrl-C, say).
        self.outer_guard: Optional["_CallbackGuard"] = None

    def pending(self) -> List[str]:
        raise NotImplementedError

    def encoded(self, op_id: str) -> bytes:
        """``op_id`` for the library (checked already as a str without NUL)."""
        return op_id.encode("utf-8", "surrogatepass")

    def ended(self, op_id: str, error: Optional[WorkflowError]) -> None:
        raise NotImplementedError

    def version(self) -> int:
        """Changes whenever the pending operations change (see :meth:`changed`)."""
        return 0

    def changed(self, version: int) -> bool:
        """Whether a blocking inner call must stop: the pending operations changed, or the
        source is closing."""
        return False

    def invalid(self, ids: List[str], error: WorkflowError) -> None:
        """A wait refused ``ids`` (an invalid id among them)."""
        raise error

    def timeout_ms(self) -> int:
        """The outer call's timeout (0: none)."""
        return 0

    def expired(self) -> bool:
        return False

    def timed_out(self, pending: List[str]) -> WorkflowError:
        return error_for(_errors.TIMEOUT, 0, f"{len(pending)} operations did not end within the timeout")

    def pause(self, seconds: float) -> None:
        time.sleep(seconds)

    def tick(self) -> None:
        """Called at least every 100 ms during a blocking inner call (it may call the library)."""

    def interrupted(self) -> bool:
        return self.outer_guard is not None and self.outer_guard.error is not None


def run_round(client: "Client", source: Source) -> None:
    """Holds the pending operations with one outer ``wf_wait_all`` and collects their ends from
    its transfer callback (see the module's comment). Raises what ends the wait itself (timeout,
    abort, Ctrl-C, ClosedError), never an operation's own failure (that goes to the source)."""
    from ._client import _CallbackGuard

    wait = source.last_block + PACE - time.monotonic()
    if wait > 0:  # so that this round's first calls come with its outer call's (see collect)
        source.pause(wait)
    held = source.pending()
    if not held:
        return
    entered = [False]

    def inside() -> bool:
        entered[0] = True
        collect(client, source, set(held))
        return False  # the round is over: stop the outer call

    guard = _CallbackGuard()
    source.outer_guard = guard
    array = (c_char_p * len(held))(*(source.encoded(i) for i in held))
    try:
        status = client._native(lib.wf_wait_all, array, len(held), source.timeout_ms(), on_tick=inside, guard=guard)
    finally:
        source.outer_guard = None
    if entered[0]:
        return
    # Ended before its first transfer callback: refused, timed out, or every operation had ended
    # already (what another wait on this client still holds). Collect without the outer call.
    if status == _errors.INVALID_ARGUMENT:
        source.invalid(held, last_error(status))
    elif status == _errors.TIMEOUT:
        raise source.timed_out(source.pending())
    else:
        collect(client, source, set(held))


def collect(client: "Client", source: Source, held: Set[str]) -> None:
    """The inner calls of a round: collects ends until nothing is pending, the round must end
    (a batch was collected, the outer call holds too few of the pending operations, the source
    closes), or the wait itself ends (raised). Each cycle waits for ``PACE`` since the last
    one began, collects what the watcher knows already, then blocks: the calls of a cycle
    follow each other within a few milliseconds, so the looks they cause come to one or two."""
    got = 0
    while True:
        if source.interrupted():
            return
        ids = source.pending()
        if not ids:
            return
        if source.expired():
            raise source.timed_out(ids)
        wait = source.last_block + PACE - time.monotonic()
        if wait > 0:
            source.pause(wait)
            continue
        # What the watcher knows already, without waiting.
        refused = False
        while ids:
            index, status, error = wait_any_call(client, [source.encoded(i) for i in ids], COLLECT_MS)
            if index < len(ids):
                got += 1
                source.ended(ids[index], _named(error, ids[index]))
                ids = source.pending()
            elif status == _errors.TIMEOUT:
                break
            else:
                _wait_failed(source, ids, status, error)
                refused = True
                break
        if refused:
            continue
        if (got and source.batch) or not ids or source.interrupted():
            return
        outside = sum(1 for i in ids if i not in held)
        if outside and outside >= max(8, len(ids) - outside):
            return  # most pending operations joined after the outer call: a new round holds them
        # Block until one ends, the pending operations change, or the wait itself ends.
        source.last_block = time.monotonic()
        version = source.version()
        stopped = [False]

        def on_tick() -> bool:
            if source.interrupted() or source.changed(version):
                stopped[0] = True
                return False
            source.tick()
            return True

        index, status, error = wait_any_call(client, [source.encoded(i) for i in ids], 0, on_tick)
        if index < len(ids):
            got += 1
            source.ended(ids[index], _named(error, ids[index]))
        elif not (stopped[0] and status == _errors.ABORTED):
            _wait_failed(source, ids, status, error)


def _named(error: Optional[WorkflowError], op_id: str) -> Optional[WorkflowError]:
    if error is not None:
        error.op_id = op_id
    return error


def _wait_failed(source: Source, ids: List[str], status: int, error: Optional[WorkflowError]) -> None:
    """An inner call ended for itself, not for an operation."""
    if status == _errors.TIMEOUT:
        raise source.timed_out(ids)
    if status == _errors.INVALID_ARGUMENT and error is not None:
        source.invalid(ids, error)
        return
    raise error if error is not None else error_for(status, 0, "the wait ended without an operation")


class Batch(Source):
    """The synchronous waits: ``ids`` (distinct, in order) with a deadline; each end is kept in
    :attr:`done`, in the order they ended."""

    def __init__(self, ids: List[str], timeout: Optional[float], batch: bool) -> None:
        super().__init__()
        self.batch = batch
        self._pending: Dict[str, None] = dict.fromkeys(ids)
        self._count = len(ids)
        self._timeout = timeout
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self.done: List[Completed] = []

    def pending(self) -> List[str]:
        return list(self._pending)

    def ended(self, op_id: str, error: Optional[WorkflowError]) -> None:
        if op_id in self._pending:
            del self._pending[op_id]
            self.done.append(Completed(op_id, error))

    def timeout_ms(self) -> int:
        if self._deadline is None:
            return 0
        return timeout_ms(max(self._deadline - time.monotonic(), 0.001))

    def expired(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def timed_out(self, pending: List[str]) -> WorkflowError:
        return timeout_error(f"{len(pending)} of the {self._count} operations waited on did not end", self._timeout)

    def pause(self, seconds: float) -> None:
        if self._deadline is not None:
            seconds = min(seconds, max(self._deadline - time.monotonic(), 0.0))
        time.sleep(seconds)


def timeout_error(what: str, timeout: Optional[float], op_id: Optional[str] = None) -> WorkflowError:
    """The error of a wait whose ``timeout`` (seconds) expired: "{what} within the timeout";
    ``op_id`` for the wait of one operation."""
    goes_on = "it goes on running on the server" if op_id is not None else "they go on running on the server"
    return error_for(_errors.TIMEOUT, 0, f"{what} within the timeout ({timeout or 0:g} s); {goes_on}", op_id)
