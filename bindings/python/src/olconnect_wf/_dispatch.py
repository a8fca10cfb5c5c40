"""The asyncio waits of an :class:`AsyncClient`: one daemon thread for all of them.

Each awaited wait adds a *waiter* (its event loop and what to do when its operation ends) under
the operation's id. The dispatcher's thread, started by the first waiter and ending once none is
left for ``IDLE`` seconds, waits for every id awaited by any coroutine through the rounds of
``_watch`` (one ``wf_wait_all`` holding them, ``wf_wait_any`` calls collecting each end), and
hands each end to its waiters' loops with ``call_soon_threadsafe``. A waiter that joins or
leaves stops the blocking call at its next tick (100 ms) so that the next one waits for the new
set. So hundreds of awaited waits cost one thread, and the event loop never blocks.

Progress: while some waiter asked for it, one ``getOperations`` a second (at most, for all of
them) gives the percentages of the listed operations; each goes to its waiters' loops.

Closing: :meth:`Dispatcher.close` (or a ``close()`` of the client underneath) stops the blocking
call at its next tick; the waiters left get :class:`ClosedError` and the thread ends. Every
native call holds a use of the client (``_handle``), so a close meanwhile never frees it under
the call.
"""
import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from . import _errors
from ._errors import ClosedError, WorkflowError, error_for
from ._watch import PACE, Source, run_round

if TYPE_CHECKING:  # pragma: no cover
    from ._client import Client

logger = logging.getLogger("olconnect_wf")


class Waiter:
    """One awaited wait: ``ended(error)`` and ``progress(percent)`` run on ``loop`` (error is None
    when the operation finished); ``progress`` None when the wait did not ask for it."""

    __slots__ = ("loop", "ended", "progress")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        ended: Callable[[Optional[BaseException]], None],
        progress: Optional[Callable[[int], None]] = None,
    ) -> None:
        self.loop = loop
        self.ended = ended
        self.progress = progress

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # its loop is closed: nobody awaits it any more
            pass


class Dispatcher(Source):
    """The waits of one AsyncClient (see the module's comment)."""

    #: Seconds without waiters after which the thread ends.
    IDLE = 0.5
    #: Seconds between two operation lists fetched for progress.
    PROGRESS_EVERY = 1.0
    #: A round begins once no waiter joined for ``SETTLE`` seconds (at most ``PACE`` later), so
    #: that coroutines starting together join one round rather than one each.
    SETTLE = 0.01

    def __init__(self, client: "Client") -> None:
        super().__init__()
        self._client = client
        self._lock = threading.Condition(threading.Lock())
        self._waiters: Dict[str, List[Waiter]] = {}
        self._version = 0
        self._thread: Optional[threading.Thread] = None
        self._closed = False
        self._progress_at = 0.0

    # -- the coroutines' side (any thread) ------------------------------------------------------

    def add(self, entries: List[Tuple[str, Waiter]]) -> None:
        """Adds waiters (``op_id``, already checked as a str without NUL, and its waiter);
        starts the thread if needed. Raises :class:`ClosedError` once closed."""
        with self._lock:
            if self._closing():
                raise ClosedError(
                    _errors.INVALID_ARGUMENT, 0, "this AsyncClient is closed (close() was called); create a new one"
                )
            for op_id, waiter in entries:
                self._waiters.setdefault(op_id, []).append(waiter)
            self._version += 1
            self._lock.notify_all()
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="olconnect-wf asyncio waits", daemon=True)
                self._thread = thread
                thread.start()

    def remove(self, entries: List[Tuple[str, Waiter]]) -> None:
        """Removes waiters (their wait ended, was cancelled or timed out); idempotent."""
        with self._lock:
            removed = False
            for op_id, waiter in entries:
                waiters = self._waiters.get(op_id)
                if waiters is not None and waiter in waiters:
                    waiters.remove(waiter)
                    removed = True
                    if not waiters:
                        del self._waiters[op_id]
            if removed:  # (a wait that ended was removed already: nothing changed)
                self._version += 1
                self._lock.notify_all()

    def close(self) -> None:
        """Ends the waits in progress with :class:`ClosedError` (within 100 ms) and the thread."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    @property
    def running(self) -> bool:
        """Whether the thread runs."""
        with self._lock:
            return self._thread is not None

    # -- the thread ---------------------------------------------------------------------------

    def _closing(self) -> bool:
        return self._closed or self._client.closed

    def _run(self) -> None:
        failure: Optional[BaseException] = None
        try:
            while True:
                with self._lock:
                    self._lock.wait_for(lambda: self._closing() or bool(self._waiters), self.IDLE)
                    if self._closing() or not self._waiters:
                        break
                    settled = time.monotonic() + PACE
                    while time.monotonic() < settled and not self._closing():
                        version = self._version
                        if not self._lock.wait_for(lambda: self._version != version or self._closing(), self.SETTLE):
                            break
                run_round(self._client, self)
        except BaseException as e:  # ClosedError from the handle, interpreter exit, a bug
            failure = e
        finally:
            with self._lock:
                self._thread = None
                left = self._waiters if (failure is not None or self._closing()) else {}
                if left:
                    self._waiters = {}
                    self._version += 1
            for op_id, waiters in left.items():
                for waiter in waiters:
                    waiter.call(waiter.ended, _failure_for(op_id, failure))
            if failure is not None and not isinstance(failure, WorkflowError):
                logger.debug("the asyncio waits ended on an unexpected error", exc_info=failure)

    # -- the rounds' source (the thread) --------------------------------------------------------

    def pending(self) -> List[str]:
        with self._lock:
            return [] if self._closing() else list(self._waiters)

    def version(self) -> int:
        with self._lock:
            return self._version

    def changed(self, version: int) -> bool:
        with self._lock:
            return self._version != version or self._closing()

    def ended(self, op_id: str, error: Optional[WorkflowError]) -> None:
        with self._lock:
            waiters = self._waiters.pop(op_id, [])
            self._version += 1
        for i, waiter in enumerate(waiters):
            mine = error if i == 0 or error is None else error_for(error.status, error.http_status, error.message, op_id)
            waiter.call(waiter.ended, mine)

    def invalid(self, ids: List[str], error: WorkflowError) -> None:
        """One of ``ids`` was refused (the waits check their ids as Python can; the library
        refuses more, e.g. '/'): find which, one wait each, and end their waiters with it."""
        from ._watch import wait_any_call

        for op_id in ids:
            index, status, own = wait_any_call(self._client, [self.encoded(op_id)], 1)
            if index == 1 and status == _errors.INVALID_ARGUMENT:
                self.ended(op_id, own)
            elif index == 0:
                self.ended(op_id, own)

    def pause(self, seconds: float) -> None:
        with self._lock:
            if not self._closing():
                self._lock.wait(seconds)

    def tick(self) -> None:
        """Progress, when some waiter asked for it and a second has passed."""
        now = time.monotonic()
        if now - self._progress_at < self.PROGRESS_EVERY:
            return
        with self._lock:
            wanted = {op_id: [w for w in ws if w.progress is not None] for op_id, ws in self._waiters.items()}
        wanted = {op_id: ws for op_id, ws in wanted.items() if ws}
        if not wanted:
            return
        self._progress_at = now
        try:
            listed = self._client.operations()
        except WorkflowError as e:  # progress is a nicety: the waits go on
            logger.debug("the operation list for progress failed: %s", e)
            return
        for entry in listed:
            waiters = wanted.get(str(entry.get("id")))
            percent = entry.get("progress")
            if waiters and isinstance(percent, (int, float)):
                for waiter in waiters:
                    assert waiter.progress is not None
                    waiter.call(waiter.progress, max(0, min(100, int(percent))))


def _failure_for(op_id: str, failure: Optional[BaseException]) -> BaseException:
    """What a waiter left when the thread ends gets: ClosedError when closed, else a copy of the
    error that ended it, naming its operation."""
    if failure is None or isinstance(failure, ClosedError):
        error = ClosedError(
            _errors.INVALID_ARGUMENT, 0,
            f"the AsyncClient was closed while waiting for operation '{op_id}' (the operation goes on on the server)",
        )
        error.op_id = op_id
        return error
    if isinstance(failure, WorkflowError):
        return error_for(failure.status, failure.http_status, failure.message, op_id)
    return failure
