"""asyncio front of :class:`Client`: each method is a coroutine that runs the native call in the
loop's default executor. Cancelling the task stops the native call (within a quarter of a second,
through an abort switch) and waits for it to end before ``CancelledError`` propagates, so no
native call is left running behind a cancelled task.

The waits are different: they hold no executor thread. One dispatcher thread per AsyncClient
(``_dispatch``) waits for every operation awaited by any coroutine and completes each awaiting
future from the event loop's side."""
import asyncio
import concurrent.futures
import functools
import threading
from typing import Any, AsyncGenerator, AsyncIterator, Callable, Dict, Iterable, List, Optional, Tuple, TypeVar, Union

from . import _errors
from ._client import Abort, Client, DataSource, OnBytes, PathLike, Progress, ResourceKind, Result, _encode, _op_ids
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
    async def connect(
        cls,
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
    ) -> "AsyncClient":
        """Creates the client (logging in when credentials are given) without blocking the loop;
        the arguments are those of :class:`Client`."""
        make = functools.partial(
            Client, base_url, username=username, password=password, token=token, basic=basic, timeout=timeout,
            connect_timeout=connect_timeout, ca_file=ca_file, insecure=insecure, proxy=proxy,
            durable_files=durable_files, kept_body_limit=kept_body_limit, max_concurrent=max_concurrent,
            retry_attempts=retry_attempts, retry_max_backoff=retry_max_backoff,
        )
        return cls(await asyncio.get_running_loop().run_in_executor(None, make))

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` (or a ``close()`` of the client underneath) was called."""
        return self._client.closed

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
        # Its outcome is always retrieved: a call stopped because its task was cancelled ends
        # with an error nobody awaits, which asyncio would otherwise report ("Future exception
        # was never retrieved") when the future is collected.
        future.add_done_callback(_retrieve)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            abort.trigger()
            await asyncio.wait([future])  # the native call ends within a tick of the trigger
            raise
        finally:
            abort.close()  # freed now, or by the call still using it when it returns

    # -- credentials and settings (no I/O: they apply to the calls that start after them) ------

    async def login(self, username: str, password: str) -> None:
        """Logs in now (in the executor); see :meth:`Client.login`."""
        await self._run(self._client.login, username, password)

    def set_token(self, token: str) -> None:
        """See :meth:`Client.set_token`."""
        self._client.set_token(token)

    def set_basic_auth(self, username: str, password: str) -> None:
        """See :meth:`Client.set_basic_auth`."""
        self._client.set_basic_auth(username, password)

    def clear_auth(self) -> None:
        """See :meth:`Client.clear_auth`."""
        self._client.clear_auth()

    def set_timeouts(self, *, timeout: Optional[float] = 60.0, connect_timeout: Optional[float] = 10.0) -> None:
        """See :meth:`Client.set_timeouts`."""
        self._client.set_timeouts(timeout=timeout, connect_timeout=connect_timeout)

    def set_durable_files(self, durable: bool) -> None:
        """See :meth:`Client.set_durable_files`."""
        self._client.set_durable_files(durable)

    def set_kept_body_limit(self, limit: int) -> None:
        """See :meth:`Client.set_kept_body_limit`."""
        self._client.set_kept_body_limit(limit)

    def set_max_concurrent(self, limit: int) -> None:
        """See :meth:`Client.set_max_concurrent`."""
        self._client.set_max_concurrent(limit)

    def set_outage_limit(self, seconds: Optional[float]) -> None:
        """See :meth:`Client.set_outage_limit`."""
        self._client.set_outage_limit(seconds)

    def set_retry(self, attempts: int, max_backoff: float = 2.0) -> None:
        """See :meth:`Client.set_retry`."""
        self._client.set_retry(attempts, max_backoff)

    @property
    def retry_count(self) -> int:
        """See :attr:`Client.retry_count`."""
        return self._client.retry_count

    # -- local data -----------------------------------------------------------------------------

    async def upload(
        self, data: DataSource, *, kind: Optional[ResourceKind] = None, filename: Optional[str] = None,
        persistent: bool = False, on_bytes: Optional[OnBytes] = None,
    ) -> str:
        """See :meth:`Client.upload` (a file object is read in the executor thread)."""
        return await self._run(
            self._client.upload, data, kind=kind, filename=filename, persistent=persistent, on_bytes=on_bytes
        )

    async def delete(self, file_id: Union[str, int]) -> bool:
        """See :meth:`Client.delete`."""
        return await self._run(self._client.delete, file_id)

    async def exists(self, file_id: Union[str, int]) -> bool:
        """See :meth:`Client.exists`."""
        return await self._run(self._client.exists, file_id)

    async def submit_adhoc(
        self, data: DataSource, *, data_mapping: str, template: str, output_preset: str, job_preset: Optional[str] = None,
        create_only: bool = False, print_range: Optional[str] = None, filename: Optional[str] = None,
        on_bytes: Optional[OnBytes] = None,
    ) -> str:
        """See :meth:`Client.submit_adhoc`."""
        return await self._run(
            self._client.submit_adhoc, data, data_mapping=data_mapping, template=template, output_preset=output_preset,
            job_preset=job_preset, create_only=create_only, print_range=print_range, filename=filename,
            on_bytes=on_bytes,
        )

    async def run_adhoc(
        self, data: DataSource, *, data_mapping: str, template: str, output_preset: str, job_preset: Optional[str] = None,
        to_file: Optional[PathLike] = None, create_only: bool = False, result_as_text: bool = False,
        print_range: Optional[str] = None, filename: Optional[str] = None,
    ) -> Result:
        """See :meth:`Client.run_adhoc`."""
        return await self._run(
            self._client.run_adhoc, data, data_mapping=data_mapping, template=template, output_preset=output_preset,
            job_preset=job_preset, to_file=to_file, create_only=create_only, result_as_text=result_as_text,
            print_range=print_range, filename=filename,
        )

    # -- workflow -------------------------------------------------------------------------------

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

    async def result(self, op_id: str, on_bytes: Optional[OnBytes] = None) -> Result:
        """See :meth:`Client.result`."""
        return await self._run(self._client.result, op_id, on_bytes)

    async def get_result_ex(self, op_id: str, on_bytes: Optional[OnBytes] = None) -> Result:
        return await self._run(self._client.get_result_ex, op_id, on_bytes)

    async def stream_result(
        self, op_id: str, write: Callable[[bytes], Any], on_bytes: Optional[OnBytes] = None
    ) -> int:
        """See :meth:`Client.stream_result`; ``write`` runs in the executor thread."""
        return await self._run(self._client.stream_result, op_id, write, on_bytes)

    async def iter_result(self, op_id: str, chunk_size: int = 256 * 1024) -> AsyncIterator[bytes]:
        """``async for chunk in ac.iter_result(op_id)``: the result in chunks of ``chunk_size``
        bytes (the last may be shorter), downloaded in the executor while the loop runs, with
        bounded memory (at most 8 pieces of the download wait for the consumer, who paces it).
        Leaving the loop early (``aclose()``, or the task cancelled) stops the download."""
        if chunk_size <= 0:
            raise InvalidArgumentError(_errors.INVALID_ARGUMENT, 0, "chunk_size must be positive")
        loop = asyncio.get_running_loop()
        pieces: "asyncio.Queue[bytes]" = asyncio.Queue(maxsize=8)
        stop = threading.Event()

        def write(piece: bytes) -> bool:  # in the executor thread
            put = asyncio.run_coroutine_threadsafe(pieces.put(piece), loop)
            while True:
                try:
                    put.result(timeout=0.1)
                    return True
                except concurrent.futures.TimeoutError:
                    if stop.is_set():
                        put.cancel()
                        return False

        download = asyncio.ensure_future(self._run(self._client.stream_result, op_id, write))
        pending = b""
        try:
            while True:
                if pieces.empty() and download.done():
                    break
                getter = asyncio.ensure_future(pieces.get())
                done, _ = await asyncio.wait({getter, download}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    continue
                pending += getter.result()
                start = 0
                while len(pending) - start >= chunk_size:
                    yield pending[start : start + chunk_size]
                    start += chunk_size
                pending = pending[start:]
            await download  # raises the download's error
            if pending:
                yield pending
        finally:
            stop.set()
            if not download.done():
                download.cancel()
                await asyncio.wait([download])
            if download.done() and not download.cancelled():
                download.exception()  # retrieved: the consumer left, its outcome is not news

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


def _retrieve(future: "asyncio.Future[Any]") -> None:
    """Marks a future's outcome as retrieved (see ``AsyncClient._run``)."""
    if not future.cancelled():
        future.exception()
