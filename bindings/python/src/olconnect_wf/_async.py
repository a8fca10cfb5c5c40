"""asyncio front of :class:`Client`: each method is a coroutine that runs the native call in the
loop's default executor. Cancelling the task stops the native call (within a quarter of a second,
through an abort switch) and waits for it to end before ``CancelledError`` propagates, so no
native call is left running behind a cancelled task."""
import asyncio
import functools
from typing import Any, Callable, Dict, List, Optional, TypeVar, Union

from ._client import Abort, Client, OnBytes, PathLike, Progress, Result

T = TypeVar("T")


class AsyncClient:
    """``async with AsyncClient(Client(url, ...)) as c: await c.run(config, to_file="out.pdf")``,
    or ``c = await AsyncClient.connect(url, username=..., password=...)`` (the login then runs in
    the executor too). Callbacks (``on_progress``, ``on_bytes``) run in the executor thread."""

    def __init__(self, client: Client) -> None:
        self._client = client

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
        await self._run(self._client.wait, op_id, timeout, on_progress)

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
        return await self._run(
            self._client.run, config, to_file=to_file, on_progress=on_progress, on_bytes=on_bytes, timeout=timeout
        )

    def close(self) -> None:
        """Closes the client underneath (see :meth:`Client.close`): calls still running finish,
        later ones raise :class:`ClosedError`."""
        self._client.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()
