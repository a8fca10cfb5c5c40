"""AsyncClient (issue 28, items 2 and 3): the methods of Client as coroutines (local data,
streaming as an async iterator, the settings), typed connect(), and cancellation of a call run
in the executor that leaves nothing for asyncio to report."""
import asyncio
import gc
import io
import json

import pytest

import olconnect_wf as wf

from conftest import config

CSV = b"id,name,amount\n1,Alice,10.00\n2,Bob,20.00\n"
JOB = dict(data_mapping="Invoice.OL-datamapper", template="Invoice.OL-template", output_preset="Invoice-PDF.OL-outputpreset")


class LoopErrors:
    """What the loop reports to its exception handler ("Future exception was never retrieved")."""

    def __init__(self):
        self.seen = []

    def install(self, loop):
        loop.set_exception_handler(lambda _loop, context: self.seen.append(context.get("message")))


def test_a_cancelled_or_timed_out_call_leaves_no_unretrieved_exception(fresh_sim):
    # A slow answer keeps each call in the executor long enough to be cancelled midway.
    fresh_sim.fault(path="version", kind="delay", ms=3000, times="always")
    errors = LoopErrors()

    async def main():
        errors.install(asyncio.get_running_loop())
        ac = await wf.AsyncClient.connect(fresh_sim.url, username="ol-admin", password="secret")
        async with ac:
            for _ in range(3):
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(ac.server_version(), 0.2)
            task = asyncio.ensure_future(ac.server_version())
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            del task
            gc.collect()
            await asyncio.sleep(0.1)

    asyncio.run(main())
    gc.collect()
    assert errors.seen == []


def test_async_local_data_and_adhoc_jobs(sim, tmp_path):
    async def main():
        async with await wf.AsyncClient.connect(sim.url, username="ol-admin", password="secret") as ac:
            file_id = await ac.upload(CSV, filename="async.csv")
            from_file = await ac.upload(io.BytesIO(CSV), filename="async2.csv", kind=wf.ResourceKind.DATA_FILE)
            assert await ac.exists(file_id) and await ac.exists(from_file)
            assert await ac.delete(file_id) is True
            assert await ac.exists(file_id) is False
            op = await ac.submit_adhoc(CSV, **JOB)
            await ac.wait(op, timeout=30)
            fetched = await ac.result(op)
            assert fetched.data.startswith(b"%PDF") or fetched.data
            out = tmp_path / "adhoc.pdf"
            ran = await ac.run_adhoc(CSV, to_file=out, **JOB)
            assert ran.file == str(out) and out.stat().st_size > 0
            with pytest.raises(wf.LocalIOError) as caught:
                await ac.upload(tmp_path / "absent.csv")
            assert caught.value.filename == str(tmp_path / "absent.csv")
            await ac.delete(from_file)

    asyncio.run(main())


def test_async_streaming_gives_every_byte_in_chunks_and_stops_when_left(sim):
    size = 3_000_000

    async def main():
        ac = wf.AsyncClient(wf.Client(sim.url, username="ol-admin", password="secret"))
        async with ac:
            op = await ac.submit(config(sim_output_size=size))
            await ac.wait(op)
            chunks = [chunk async for chunk in ac.iter_result(op, chunk_size=100_000)]
            assert all(len(c) == 100_000 for c in chunks[:-1]) and 0 < len(chunks[-1]) <= 100_000
            whole = b"".join(chunks)
            assert len(whole) == size
            streamed = bytearray()
            assert await ac.stream_result(op, streamed.extend) == size
            assert bytes(streamed) == whole
            # Leaving early stops the download; the client goes on working.
            gen = ac.iter_result(op, chunk_size=1000)
            first = await gen.__anext__()
            await gen.aclose()
            assert first == whole[:1000]
            assert await ac.server_version()
            with pytest.raises(wf.NotFoundError):
                async for _ in ac.iter_result("no-such-op"):
                    pass
            with pytest.raises(wf.InvalidArgumentError):
                async for _ in ac.iter_result(op, chunk_size=0):
                    pass

    asyncio.run(main())


def test_async_settings_reach_the_client_underneath(sim):
    async def main():
        ac = await wf.AsyncClient.connect(sim.url, timeout=5, connect_timeout=2, max_concurrent=2, kept_body_limit=0)
        async with ac:
            with pytest.raises(wf.AuthRequiredError) as caught:
                await ac.server_version()
            assert "username=" in caught.value.message and "wf_" not in caught.value.message
            ac.set_basic_auth("ol-admin", "secret")
            assert await ac.server_version()
            ac.clear_auth()
            with pytest.raises(wf.AuthRequiredError):
                await ac.server_version()
            await ac.login("ol-admin", "secret")
            assert await ac.server_version()
            ac.set_token("not-a-token")
            with pytest.raises(wf.AuthError):
                await ac.server_version()
            ac.set_timeouts(timeout=10, connect_timeout=3)
            ac.set_durable_files(False)
            ac.set_kept_body_limit(1024)
            ac.set_max_concurrent(0)
            with pytest.raises(ValueError):
                ac.set_max_concurrent(-1)
            with pytest.raises(TypeError):
                await wf.AsyncClient.connect(sim.url, usernme="ol-admin")  # type: ignore[call-arg]

    asyncio.run(main())


def test_async_client_offers_every_public_method_of_client():
    sync = {n for n in dir(wf.Client) if not n.startswith("_")}
    only_sync = {"abort_on"}  # a thread's block of calls: a task is cancelled instead
    missing = sorted(n for n in sync - only_sync if not hasattr(wf.AsyncClient, n))
    assert missing == []


def test_async_connect_takes_every_option_of_client():
    import inspect

    sync = set(inspect.signature(wf.Client.__init__).parameters) - {"self"}
    both = set(inspect.signature(wf.AsyncClient.connect).parameters) - {"cls"}
    assert sorted(sync - both) == []
