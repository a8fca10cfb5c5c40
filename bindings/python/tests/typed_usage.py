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


if __name__ == "__main__":
    c = wf.Client("http://localhost:9340", token="t")
    sync_waits(c, ["a"])
    asyncio.run(async_waits(wf.AsyncClient(c), ["a"]))
