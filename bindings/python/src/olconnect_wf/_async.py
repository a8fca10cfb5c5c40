"""asyncio front of :class:`Client`: each method is a coroutine that runs the native call in the
loop's default executor. Cancelling the task stops the native call (within a quarter of a second,
through an abort switch) and waits for it to end before ``CancelledError`` propagates, so no
native call is left running behind a cancelled task.

The waits are different: they hold no executor thread. One dispatcher thread per AsyncClient
(``_dispatch``) waits for every operation awaited by any coroutine and completes each awaiting
future from the event loop's side."""
import asyncio
import functools
from typing import Any, AsyncGenerator, Callable, Dict, Iterable, List, Optional, Tuple, TypeVar, Union

from . import _errors
from ._client import Abort, Client, OnBytes, PathLike, Progress, Result, _encode, _op_ids
from ._dispatch import Dispatcher, Waiter
from ._errors import AbortedError, InvalidArgumentError, WorkflowError
from ._watch import Completed, timeout_error

T = TypeVar("T")


class AsyncClient:
    """``async with AsyncClient(Client(url, ...)) as c: await c.run(config, to_file="out.pdf")``,
    or ``c = await AsyncClient.connect(url, username=..., password=...)`` (the login then runs in
    the executor too). Callbacks (``on_progress``, ``on_bytes``) run in the executor thread."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._dispatcher = Dispatcher(client)

    @classmethod
    async def connect(cls, base_url: str, **options: Any) -> "AsyncClient":
        """Creates the client (logging in when credentials are given) without blocking the loop."""
        return cls(await asyncio.get_running_loop().run_in_executor(None, functools.partial(Client, base_url, **options)))

    @property
    def client(self) -> Client:
        """The synchronous client underneath (share it with threads if you like)."""
        return self._client

    async def _run(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        abort = Abort()

        def call() -> T:
            with self._client.abort_on(abort):
                return method(*args, **kwargs)

        future = asyncio.get_running_loop().run_in_executor(None, call)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            abort.trigger()
            await asyncio.wait([future])  # the native call ends within a tick of the trigger
            raise
        finally:
            abort.close()  # freed now, or by the call still using it when it returns

    async def login(self, username: str, password: str) -> None:
        await self._run(self._client.login, username, password)

    async def submit(self, config: Union[Dict[str, Any], str]) -> str:
        return await self._run(self._client.submit, config)

    async def progress(self, op_id: str) -> Progress:
        return await self._run(self._client.progress, op_id)

    async def wait(
        self, op_id: str, timeout: Optional[float] = None, on_progress: Optional[Callable[[int], Any]] = None
    ) -> None:
        """Waits until the operation has finished, holding no thread: the client's dispatcher
        (one thread for all the waits of this AsyncClient) completes it. ``timeout`` in seconds
        raises :class:`TimeoutException`; cancelling the task just stops waiting (the operation
        goes on; :meth:`cancel` stops it). ``on_progress(percent)`` runs in the event loop with
        each new percentage, learnt from one operation list a second shared by every wait that
        asks for progress, and with 100 at the end; returning ``False`` stops the wait with
        :class:`AbortedError`, an exception it raises is raised from here."""
        _encode(op_id, "op_id")
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[None]" = loop.create_future()
        reported: List[int] = []

        def progress(percent: int) -> None:
            if future.done() or on_progress is None or (reported and reported[-1] == percent):
                return
            reported.append(percent)
            try:
                go_on = on_progress(percent)
            except Exception as e:
                future.set_exception(e)
                return
            if go_on is False:
                future.set_exception(
                    AbortedError(_errors.ABORTED, 0, f"waiting for operation '{op_id}' was stopped by the progress callback")
                )

        def ended(error: Optional[BaseException]) -> None:
            if error is None:
                progress(100)
            if future.done():
                return
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)

        def expire() -> None:
            if not future.done():
                future.set_exception(timeout_error(f"operation '{op_id}' did not finish", timeout, op_id))

        waiter = Waiter(loop, ended, progress if on_progress is not None else None)
        self._dispatcher.add([(op_id, waiter)])
        timer = loop.call_later(max(timeout, 0.0), expire) if timeout is not None else None
        try:
            await future
        finally:
            if timer is not None:
                timer.cancel()
            self._dispatcher.remove([(op_id, waiter)])

    async def as_completed(
        self, op_ids: Iterable[str], timeout: Optional[float] = None
    ) -> AsyncGenerator[Completed, None]:
        """``async for done in client.as_completed(ids)``: each operation as it ends, as
        :meth:`Client.as_completed` gives them (``Completed(op_id, error)``; a failed one does
        not stop the iteration), holding no thread. ``timeout`` in seconds from the first
        iteration, for them all, raises :class:`TimeoutException`. Leaving the loop early stops
        watching the rest when the generator is closed (``aclose()``, or at once with
        ``contextlib.aclosing``)."""
        ids, _ = _op_ids(op_ids)
        if not ids:
            return
        loop = asyncio.get_running_loop()
        queue: "asyncio.Queue[Completed]" = asyncio.Queue()

        def ended_for(op_id: str) -> Callable[[Optional[BaseException]], None]:
            def ended(error: Optional[BaseException]) -> None:
                if error is not None and not isinstance(error, WorkflowError):
                    error = _errors.error_for(_errors.INTERNAL_ERROR, 0, f"waiting for operation '{op_id}': {error!r}", op_id)
                queue.put_nowait(Completed(op_id, error))

            return ended

        entries = [(op_id, Waiter(loop, ended_for(op_id))) for op_id in ids]
        self._dispatcher.add(entries)
        deadline = None if timeout is None else loop.time() + timeout
        try:
            for given in range(len(ids)):
                try:
                    done = queue.get_nowait()
                except asyncio.QueueEmpty:
                    if deadline is None:
                        done = await queue.get()
                    else:
                        try:
                            done = await asyncio.wait_for(queue.get(), max(deadline - loop.time(), 0.0))
                        except asyncio.TimeoutError:
                            raise timeout_error(
                                f"{len(ids) - given} of the {len(ids)} operations waited on did not end", timeout
                            ) from None
                yield done
        finally:
            self._dispatcher.remove([(op_id, waiter) for op_id, waiter in entries])

    async def wait_any(self, op_ids: Iterable[str], timeout: Optional[float] = None) -> str:
        """As :meth:`Client.wait_any`, holding no thread: the id of the first operation that
        ends; one that did not finish raises its error (``op_id`` names it)."""
        ids, _ = _op_ids(op_ids)
        if not ids:
            raise InvalidArgumentError(_errors.INVALID_ARGUMENT, 0, "wait_any needs at least one operation id")
        completions = self.as_completed(ids, timeout)
        try:
            try:
                done = await completions.__anext__()
            except _errors.TimeoutException:
                raise timeout_error(f"none of the {len(ids)} operations waited on ended", timeout) from None
        finally:
            await completions.aclose()
        return done.check()

    async def wait_all(self, op_ids: Iterable[str], timeout: Optional[float] = None) -> None:
        """As :meth:`Client.wait_all`, holding no thread: once every operation has ended, the
        error of the first (in the order given) that did not finish is raised."""
        ids, _ = _op_ids(op_ids)
        failures: Dict[str, WorkflowError] = {}
        async for done in self.as_completed(ids, timeout):
            if done.error is not None:
                failures[done.op_id] = done.error
        for op_id in ids:
            if op_id in failures:
                raise failures[op_id]

    async def cancel(self, op_id: str) -> None:
        await self._run(self._client.cancel, op_id)

    async def get_result(self, op_id: str) -> bytes:
        return await self._run(self._client.get_result, op_id)

    async def get_result_ex(self, op_id: str, on_bytes: Optional[OnBytes] = None) -> Result:
        return await self._run(self._client.get_result_ex, op_id, on_bytes)

    async def get_result_to_file(self, op_id: str, path: PathLike, on_bytes: Optional[OnBytes] = None) -> Result:
        return await self._run(self._client.get_result_to_file, op_id, path, on_bytes)

    async def get_result_text(self, op_id: str) -> str:
        return await self._run(self._client.get_result_text, op_id)

    async def managed_result(self, op_id: str) -> Dict[str, Any]:
        return await self._run(self._client.managed_result, op_id)

    async def download_managed(
        self, file_id: Union[str, int], path: PathLike, file_name: Optional[str] = None, on_bytes: Optional[OnBytes] = None
    ) -> str:
        return await self._run(self._client.download_managed, file_id, path, file_name, on_bytes)

    async def operations(self) -> List[Dict[str, Any]]:
        return await self._run(self._client.operations)

    async def server_version(self) -> str:
        return await self._run(self._client.server_version)

    async def run(
        self,
        config: Union[Dict[str, Any], str],
        *,
        to_file: Optional[PathLike] = None,
        on_progress: Optional[Callable[[int], Any]] = None,
        on_bytes: Optional[OnBytes] = None,
        timeout: Optional[float] = None,
    ) -> Result:
        """Submits, waits (holding no thread, see :meth:`wait`) and fetches."""
        op_id = await self.submit(config)
        await self.wait(op_id, timeout=timeout, on_progress=on_progress)
        if to_file is not None:
            return await self.get_result_to_file(op_id, to_file, on_bytes=on_bytes)
        return await self.get_result_ex(op_id, on_bytes=on_bytes)

    def close(self) -> None:
        """Closes the client underneath (see :meth:`Client.close`): calls still running in the
        executor finish, later ones raise :class:`ClosedError`; the waits in progress
        (:meth:`wait`, :meth:`as_completed`...) end with :class:`ClosedError` within 100 ms,
        and the dispatcher's thread with them."""
        self._dispatcher.close()
        self._client.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()
