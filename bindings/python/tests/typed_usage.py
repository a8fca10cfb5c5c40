"""A user's script, type-checked with mypy --strict by test_typing.py (never run)."""
import asyncio
from typing import List, Optional

import olconnect_wf as wf


def sync_waits(client: wf.Client, ops: List[str]) -> List[str]:
    first: str = client.wait_any(ops, timeout=5.0)
    client.wait_all(ops)
    ended: List[str] = [first]
    for done in client.as_completed(ops, timeout=60):
        error: Optional[wf.WorkflowError] = done.error
        if error is not None and error.op_id is not None:
            ended.append(error.op_id)
        ended.append(done.check() if done.ok else done.op_id)
    for op_id, failure in client.as_completed(ops):
        print(op_id, failure)
    return ended


async def async_waits(client: wf.AsyncClient, ops: List[str]) -> None:
    await client.wait(ops[0], timeout=2.5, on_progress=lambda percent: print(percent))
    first: str = await client.wait_any(ops)
    await client.wait_all(ops, timeout=None)
    completions = client.as_completed(ops)
    async for done in completions:
        print(first, done.op_id, done.error)
    await completions.aclose()


async def async_everything(url: str, data: bytes) -> int:
    ac = await wf.AsyncClient.connect(url, username="ol-admin", password="secret", timeout=5.0, max_concurrent=4)
    async with ac:
        ac.set_timeouts(timeout=30, connect_timeout=None)
        file_id: str = await ac.upload(data, filename="x.csv", kind=wf.ResourceKind.DATA_FILE)
        there: bool = await ac.exists(file_id)
        op: str = await ac.submit_adhoc(data, data_mapping="m", template="t", output_preset="o")
        ran: wf.Result = await ac.run_adhoc(data, data_mapping="m", template="t", output_preset="o", to_file="x.pdf")
        size = 0
        async for chunk in ac.iter_result(op, chunk_size=65536):
            size += len(chunk)
        size += await ac.stream_result(op, lambda piece: None)
        deleted: bool = await ac.delete(file_id)
        return size + int(there) + int(deleted) + len(ran.paths)


if __name__ == "__main__":
    c = wf.Client("http://localhost:9340", token="t")
    sync_waits(c, ["a"])
    asyncio.run(async_waits(wf.AsyncClient(c), ["a"]))
