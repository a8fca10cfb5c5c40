"""A native handle shared by threads, with the discipline of .NET's SafeHandle.

Every native call that passes the handle holds a use of it for the call's duration
(``with handle as ptr: lib.wf_...(ptr)``). ``close()`` marks it closed, so later uses raise
:class:`ClosedError`, and never waits: the native free runs exactly once, when the last use in
progress has ended (at once if there is none). So ``close()`` from another thread, from a
callback of a running call or from a signal handler never frees a handle under a call.

The bookkeeping runs under a reentrant lock, so a signal handler that interrupts it on the same
thread and closes or uses the same handle neither deadlocks nor breaks it: whatever order the two
interleave in, the free is taken at most once (one ``list.pop``) and only when the handle is
closed with no use counted.
"""
import sys
import threading
from typing import Any, Callable, Generic, List, TypeVar

from ._errors import INVALID_ARGUMENT, ClosedError

P = TypeVar("P")

_finalizing = sys.is_finalizing


class Handle(Generic[P]):
    """Owns ``ptr`` (a ctypes pointer from the library) and frees it with ``free(ptr)``;
    ``what`` names the owner in the :class:`ClosedError` message ("Client", "Abort")."""

    __slots__ = ("_ptr", "_free", "_what", "_lock", "_uses", "_closed", "_owned")

    def __init__(self, ptr: P, free: Callable[[P], Any], what: str) -> None:
        self._ptr = ptr
        self._free = free
        self._what = what
        self._lock = threading.RLock()
        self._uses = 0
        self._closed = False
        #: Holds one item until the free is taken: popping it is the one atomic "free now".
        self._owned: List[bool] = [True]

    def __enter__(self) -> P:
        with self._lock:
            self._uses += 1
            refused = self._closed
        if refused:
            self._release()
            raise ClosedError(
                INVALID_ARGUMENT, 0, f"this {self._what} is closed (close() was called); create a new {self._what}"
            )
        return self._ptr

    def __exit__(self, *exc_info: Any) -> None:
        self._release()

    def _release(self) -> None:
        with self._lock:
            self._uses -= 1
            last = self._closed and self._uses == 0
        if last:
            self._free_once()

    def close(self) -> None:
        """Refuses new uses; frees the native handle now, or when the last use in progress ends.
        Idempotent; never blocks on a call in progress."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            last = self._uses == 0
        if last:
            self._free_once()

    def _free_once(self) -> None:
        try:
            self._owned.pop()
        except IndexError:  # freed already (a nested close or release took it)
            return
        self._free(self._ptr)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (the native free may still wait for calls to end)."""
        return self._closed

    def __del__(self) -> None:
        # Unreachable, so no call is using it. At interpreter exit, leave it to the process's end:
        # a native thread may still be running, and the library may already be unloaded.
        if not _finalizing():
            self.close()
