"""Waiting for many operations (issue 31; issue 28, items 2 and 4): Client.wait_any, wait_all and
as_completed on the caller's thread, and the asyncio waits of AsyncClient served by one
dispatcher thread, never a thread per wait. Request counts come from the simulator's log."""
import asyncio
import concurrent.futures
import gc
import logging
import random
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest

import olconnect_wf as wf

from conftest import config


def native_threads() -> int:
    """Threads of this process, native ones included (the library's watcher)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads line in /proc/self/status")


def python_thread_count() -> int:
    """Python's own threads (not the stand-ins Python makes for native threads that call it,
    such as the library's watcher calling the log hook)."""
    return sum(not isinstance(t, threading._DummyThread) for t in threading.enumerate())


def counts(sim):
    requests = [r["target"] for r in sim.requests()]
    progress = Counter(t.rsplit("/", 1)[1] for t in requests if "/getProgress/" in t)
    return sum("/getOperations" in t for t in requests), progress


def staggered(client, n, low=500, high=3000, seed=31):
    """``n`` operations running from ``low`` to ``high`` ms, and when each should end
    (``time.monotonic()`` at its submission plus its duration)."""
    rnd = random.Random(seed)
    ops, ends = [], []
    for _ in range(n):
        duration = rnd.randint(low, high)
        ops.append(client.submit(config(sim_duration_ms=duration)))
        ends.append(time.monotonic() + duration / 1000)
    return ops, ends


class LoopErrors:
    """What the event loop reports to its exception handler ("Future exception was never
    retrieved" among them), and the same from the asyncio logger."""

    def __init__(self):
        self.seen = []

    def install(self, loop):
        loop.set_exception_handler(lambda _loop, context: self.seen.append(context.get("message")))


# -- the synchronous waits ----------------------------------------------------------------------


def test_wait_any_gives_the_first_operation_that_ended(client):
    slow = client.submit(config(sim_duration_ms=5000))
    fast = client.submit(config(sim_duration_ms=300))
    start = time.monotonic()
    assert client.wait_any([slow, fast]) == fast
    assert time.monotonic() - start < 3.0
    assert client.progress(slow).done is False


def test_wait_any_raises_the_failure_of_the_operation_that_ended_naming_it(client):
    slow = client.submit(config(sim_duration_ms=5000))
    with pytest.raises(wf.NotFoundError) as caught:
        client.wait_any([slow, "no-such-op"])
    assert caught.value.op_id == "no-such-op" and "no-such-op" in str(caught.value)
    client.cancel(slow)


def test_wait_any_timeout_and_arguments(client):
    slow = client.submit(config(sim_duration_ms=5000))
    start = time.monotonic()
    with pytest.raises(wf.TimeoutException) as caught:
        client.wait_any([slow], timeout=0.3)
    assert 0.25 < time.monotonic() - start < 2.0
    assert isinstance(caught.value, TimeoutError) and caught.value.op_id is None
    assert "none of the 1 operations waited on ended within the timeout" in str(caught.value)
    with pytest.raises(wf.InvalidArgumentError, match="at least one"):
        client.wait_any([])
    with pytest.raises(wf.InvalidArgumentError, match="not one str"):
        client.wait_any(slow)  # a str is an iterable of characters: refused, not split
    with pytest.raises(wf.InvalidArgumentError):
        client.wait_any([slow, "a/b"])
    with pytest.raises(ValueError, match="must be a str"):
        client.wait_any([slow, 5])
    client.cancel(slow)


def test_wait_all_waits_for_every_operation_then_raises_the_first_failure_in_order(client):
    ops = [client.submit(config(sim_duration_ms=d)) for d in (200, 900, 500)]
    start = time.monotonic()
    client.wait_all(ops)
    assert time.monotonic() - start >= 0.85
    assert all(client.progress(op).done for op in ops)
    client.wait_all([])  # nothing to wait for

    late = client.submit(config(sim_duration_ms=1200))
    start = time.monotonic()
    with pytest.raises(wf.NotFoundError) as caught:
        client.wait_all([ops[0], "gone-1", late, "gone-2"])
    assert caught.value.op_id == "gone-1", "the first failure in the order given"
    assert time.monotonic() - start >= 1.0, "only once every operation ended"
    assert client.progress(late).done

    slow = client.submit(config(sim_duration_ms=5000))
    with pytest.raises(wf.TimeoutException, match="1 of the 2 operations waited on did not end"):
        client.wait_all([ops[0], slow], timeout=0.5)
    client.cancel(slow)


def test_as_completed_yields_each_operation_as_it_ends_and_goes_on_after_a_failure(client):
    short, mid, long = (client.submit(config(sim_duration_ms=d)) for d in (200, 1000, 2500))
    ops = [long, short, mid]  # so that the order they end in is not the order given
    seen = []
    for done in client.as_completed([ops[0], ops[1], "no-such-op", ops[2], ops[1]]):
        assert isinstance(done, wf.Completed)
        seen.append(done)
    assert [d.op_id for d in seen if d.ok] == [ops[1], ops[2], ops[0]], "in the order they ended"
    failed = [d for d in seen if not d.ok]
    assert len(seen) == 4, "each id once"
    assert [d.op_id for d in failed] == ["no-such-op"] and isinstance(failed[0].error, wf.NotFoundError)
    assert failed[0].error.op_id == "no-such-op"
    with pytest.raises(wf.NotFoundError):
        failed[0].check()
    op_id, error = seen[-1] if seen[-1].ok else seen[0]
    assert error is None and op_id in ops
    assert list(client.as_completed([])) == []


def test_as_completed_timeout_gives_what_ended_then_raises(client):
    fast = client.submit(config(sim_duration_ms=200))
    slow = client.submit(config(sim_duration_ms=5000))
    got = []
    start = time.monotonic()
    with pytest.raises(wf.TimeoutException, match="1 of the 2 operations waited on did not end"):
        for done in client.as_completed([slow, fast], timeout=1.0):
            got.append(done.check())
    assert got == [fast]
    assert 0.95 < time.monotonic() - start < 2.5
    client.cancel(slow)


def test_as_completed_checks_its_ids_at_once(client):
    with pytest.raises(wf.InvalidArgumentError):
        client.as_completed(["ok", 7])
    with pytest.raises(wf.InvalidArgumentError):
        client.as_completed("abc")
    with pytest.raises(wf.InvalidArgumentError):
        next(client.as_completed(["ok", "a/b"]))  # refused by the library's own check


def test_a_cancelled_operation_ends_its_wait_with_aborted_error(client):
    slow = client.submit(config(sim_duration_ms=10000))
    other = client.submit(config(sim_duration_ms=1000))
    threading.Timer(0.4, client.cancel, args=(slow,)).start()
    first = next(client.as_completed([slow, other]))
    assert first.op_id == slow and isinstance(first.error, wf.AbortedError)


def test_as_completed_over_500_operations_on_one_thread(fresh_sim, caplog):
    caplog.set_level(logging.DEBUG, logger="olconnect_wf")
    with wf.Client(fresh_sim.url, username="ol-admin", password="secret") as c:
        ops, ends = staggered(c, 500)
        fresh_sim.clear_requests()
        python_threads = python_thread_count()
        peak = native_threads()
        start = time.monotonic()
        ended = []
        for done in c.as_completed(ops):
            assert done.ok, done
            ended.append(done.op_id)
            peak = max(peak, native_threads())
        elapsed = time.monotonic() - start
        assert python_thread_count() == python_threads, "no Python thread was started"
    assert sorted(ended) == sorted(ops)
    assert peak <= native_threads() + 2, "the library's watcher at most, not a thread per operation"
    end_of = dict(zip(ops, ends))
    # In the order they ended, give or take the watcher's longest interval (2 s) and a margin.
    late = [(a, b) for a, b in zip(ended, ended[20:]) if end_of[a] > end_of[b] + 3.0]
    assert late == [], [(end_of[a] - end_of[b]) for a, b in late]
    lists, progress = counts(fresh_sim)
    # One getOperations per interval for all of them (the interval shortened while operations
    # end), never one per operation; about one getProgress per operation.
    assert lists <= 20 + 40 * elapsed, (lists, elapsed)
    assert sum(progress.values()) <= 1.3 * len(ops), sum(progress.values())
    assert max(progress.values()) <= 3
    # The waits' own calls (a collecting call's timeout, a call stopped on purpose) log no ERROR.
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


def test_wait_all_costs_one_progress_call_per_operation(fresh_sim):
    with wf.Client(fresh_sim.url, username="ol-admin", password="secret") as c:
        ops, _ = staggered(c, 200, 300, 1500)
        fresh_sim.clear_requests()
        c.wait_all(ops)
    lists, progress = counts(fresh_sim)
    assert sorted(progress) == sorted(ops) and set(progress.values()) == {1}
    assert lists < 80


def test_while_nothing_ends_the_watcher_backs_off(fresh_sim):
    with wf.Client(fresh_sim.url, username="ol-admin", password="secret") as c:
        ops = [c.submit(config(sim_duration_ms=60000)) for _ in range(100)]
        fresh_sim.clear_requests()
        with pytest.raises(wf.TimeoutException):
            for _ in c.as_completed(ops, timeout=3.0):
                pass
        lists, progress = counts(fresh_sim)
        for op in ops:
            c.cancel(op)
    assert lists <= 14 and not progress, (lists, progress)


# -- asyncio --------------------------------------------------------------------------------------


def run_async(main, workers=2):
    """Runs ``main()`` on a loop whose default executor has ``workers`` threads."""

    async def runner():
        asyncio.get_running_loop().set_default_executor(concurrent.futures.ThreadPoolExecutor(workers))
        return await main()

    return asyncio.run(runner())


def test_500_awaited_waits_on_a_small_thread_budget(fresh_sim):
    with wf.Client(fresh_sim.url, username="ol-admin", password="secret") as c:
        ops, _ = staggered(c, 500)
        fresh_sim.clear_requests()

        async def main():
            ac = wf.AsyncClient(c)
            peak = 0
            ended = []

            async def wait(op):
                await ac.wait(op)
                ended.append(op)

            tasks = [asyncio.ensure_future(wait(op)) for op in ops]
            start = time.monotonic()
            while not all(t.done() for t in tasks):
                peak = max(peak, native_threads())
                await asyncio.sleep(0.05)
            await asyncio.gather(*tasks)
            return peak, time.monotonic() - start, ended, ac

        peak, elapsed, ended, ac = run_async(main)
        assert peak < 10, peak
        assert sorted(ended) == sorted(ops)
        assert elapsed < 8.0
        lists, progress = counts(fresh_sim)
        assert lists <= 20 + 40 * elapsed, (lists, elapsed)
        assert sorted(progress) == sorted(ops), "about one getProgress per operation"
        assert sum(progress.values()) <= 1.1 * len(ops) and max(progress.values()) <= 2, progress.most_common(3)
        deadline = time.monotonic() + 3
        while ac._dispatcher.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not ac._dispatcher.running, "the dispatcher ends when idle"


def test_a_plain_call_is_not_starved_by_200_awaited_waits(client):
    # Before, each awaited wait held an executor thread: with the threads of the executor busy
    # waiting, a plain call waited for the jobs to end (measured 8.4 s with 6 threads). Here the
    # executor has 4 threads, and the process's threads stay bounded whatever the waits.
    ops = [client.submit(config(sim_duration_ms=5000)) for _ in range(200)]
    before = native_threads()

    async def main():
        ac = wf.AsyncClient(client)
        tasks = [asyncio.ensure_future(ac.wait(op)) for op in ops]
        peak = 0
        for _ in range(10):
            await asyncio.sleep(0.05)
            peak = max(peak, native_threads())

        async def timed():
            start = time.monotonic()
            version = await ac.server_version()
            return time.monotonic() - start, version

        # Three at once, the fastest counts: a starved executor delays them all, a load spike
        # of the machine hardly all three.
        (took, version), *_ = sorted(await asyncio.gather(timed(), timed(), timed()))
        still_waiting = sum(not t.done() for t in tasks)
        peak = max(peak, native_threads())
        await asyncio.gather(*tasks)
        return version, took, still_waiting, peak

    version, took, still_waiting, peak = run_async(main, workers=4)
    assert took < 1.0, took
    assert version and still_waiting == 200
    # The executor's 4, the dispatcher and the library's watcher: never a thread per wait.
    assert peak <= before + 4 + 2, (before, peak)


def test_awaited_waits_cancel_time_out_and_leave_no_unretrieved_exception(fresh_sim):
    errors = LoopErrors()

    async def main():
        errors.install(asyncio.get_running_loop())
        async with wf.AsyncClient(wf.Client(fresh_sim.url, username="ol-admin", password="secret")) as ac:
            long = [await ac.submit(config(sim_duration_ms=60000)) for _ in range(20)]
            short = await ac.submit(config(sim_duration_ms=800))
            tasks = [asyncio.ensure_future(ac.wait(op)) for op in long]
            kept = asyncio.ensure_future(ac.wait(short))
            await asyncio.sleep(0.3)
            for t in tasks:
                t.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) for r in results)
            start = time.monotonic()
            with pytest.raises(wf.TimeoutException, match="did not finish within the timeout") as caught:
                await ac.wait(long[0], timeout=0.3)
            assert caught.value.op_id == long[0] and time.monotonic() - start < 3.0  # (a loaded machine)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ac.wait(long[1]), 0.2)
            await kept  # the others' cancellation did not disturb it
            # Nothing waited on: the dispatcher and the watcher stop, the server sees no more polls.
            await asyncio.sleep(1.0)
            assert not ac._dispatcher.running
            fresh_sim.clear_requests()
            await asyncio.sleep(2.5)
            lists, progress = counts(fresh_sim)
            assert lists == 0 and not progress
            for op in long:
                await ac.cancel(op)
        gc.collect()
        await asyncio.sleep(0)

    asyncio.run(main())
    assert errors.seen == []


def test_async_failures_progress_and_many_ids(client):
    async def main():
        ac = wf.AsyncClient(client)
        with pytest.raises(wf.NotFoundError) as caught:
            await ac.wait("no-such-op")
        assert caught.value.op_id == "no-such-op"
        with pytest.raises(wf.InvalidArgumentError):
            await ac.wait("a/b")  # refused by the library: the other waits are not disturbed
        with pytest.raises(ValueError):
            await ac.wait(5)

        op = await ac.submit(config(sim_duration_ms=1500))
        seen = []
        loop_thread = threading.get_ident()

        def on_progress(percent):
            assert threading.get_ident() == loop_thread, "progress runs in the event loop"
            seen.append(percent)

        await ac.wait(op, on_progress=on_progress)
        assert seen[-1] == 100 and len(seen) >= 2 and seen == sorted(seen), seen

        op = await ac.submit(config(sim_duration_ms=5000))
        with pytest.raises(wf.AbortedError, match="progress callback"):
            await ac.wait(op, on_progress=lambda p: False)

        def boom(_percent):
            raise KeyError("from the callback")

        with pytest.raises(KeyError):
            await ac.wait(op, on_progress=boom)
        await ac.cancel(op)

        short, mid, long = [await ac.submit(config(sim_duration_ms=d)) for d in (200, 1000, 2500)]
        ops = [long, short, mid]
        got = [done async for done in ac.as_completed(ops + ["gone"])]
        assert [d.op_id for d in got if d.ok] == [ops[1], ops[2], ops[0]], "in the order they ended"
        assert [(d.op_id, type(d.error)) for d in got if not d.ok] == [("gone", wf.NotFoundError)]

        slow = await ac.submit(config(sim_duration_ms=5000))
        fast = await ac.submit(config(sim_duration_ms=300))
        assert await ac.wait_any([slow, fast]) == fast
        with pytest.raises(wf.TimeoutException, match="none of the 1 operations"):
            await ac.wait_any([slow], timeout=0.3)
        with pytest.raises(wf.NotFoundError) as caught:
            await ac.wait_all([fast, "gone-a", "gone-b"])
        assert caught.value.op_id == "gone-a"
        await ac.wait_all([fast])
        with pytest.raises(wf.TimeoutException, match="1 of the 2 operations"):
            async for _ in ac.as_completed([fast, slow], timeout=0.5):
                pass
        await ac.cancel(slow)
        result = await ac.run(config(sim_output_size=1234, sim_duration_ms=300))
        assert len(result.data) == 1234

    asyncio.run(main())


def test_close_during_awaited_waits_ends_them_and_the_dispatcher(fresh_sim):
    async def main():
        ac = wf.AsyncClient(wf.Client(fresh_sim.url, username="ol-admin", password="secret"))
        ops = [await ac.submit(config(sim_duration_ms=60000)) for _ in range(50)]
        tasks = [asyncio.ensure_future(ac.wait(op)) for op in ops]
        completions = ac.as_completed(ops)
        iterating = asyncio.ensure_future(completions.__anext__())
        await asyncio.sleep(0.5)
        assert ac._dispatcher.running
        start = time.monotonic()
        ac.close()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        took = time.monotonic() - start
        assert all(isinstance(r, wf.ClosedError) for r in results), results[:3]
        assert {r.op_id for r in results} == set(ops)
        done = await iterating
        assert isinstance(done.error, wf.ClosedError)
        await completions.aclose()
        assert took < 1.0, took
        await asyncio.sleep(0.3)
        assert not ac._dispatcher.running
        with pytest.raises(wf.ClosedError):
            await ac.wait(ops[0])

        # Closing the Client underneath ends them too.
        c = wf.Client(fresh_sim.url, username="ol-admin", password="secret")
        ac = wf.AsyncClient(c)
        task = asyncio.ensure_future(ac.wait(ops[0]))
        await asyncio.sleep(0.3)
        c.close()
        with pytest.raises(wf.ClosedError):
            await task

    asyncio.run(main())


EXIT = textwrap.dedent(
    """
    import asyncio, sys, threading, time
    import olconnect_wf as wf
    c = wf.Client(sys.argv[1], username="ol-admin", password="secret")
    ops = [c.submit({slow!r}) for _ in range(20)]
    ac = wf.AsyncClient(c)

    def awaited():
        async def main():
            try:
                await asyncio.gather(*(ac.wait(op, on_progress=lambda p: None) for op in ops))
            except wf.AbortedError as e:
                print("async:", e, flush=True)
        asyncio.run(main())

    def iterated():
        try:
            for _ in c.as_completed(ops):
                pass
        except wf.AbortedError as e:
            print("sync:", e, flush=True)

    threading.Thread(target=awaited, daemon=True).start()
    threading.Thread(target=iterated, daemon=True).start()
    garbage = [{{"k": [i]}} for i in range(1_000_000)]  # a finalization that lasts
    time.sleep(1.0)
    print("exiting", flush=True)
    """
)


def test_interpreter_exit_with_waits_in_progress(sim):
    # The dispatcher's and the iterating thread's native calls, nested ones included, are
    # stopped at exit like any call in progress (docs: "Closing, threads, exit").
    script = EXIT.format(slow=config(sim_duration_ms=60000))
    out = subprocess.run([sys.executable, "-c", script, sim.url], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, (out.returncode, out.stdout, out.stderr[-2000:])
    # (What the daemon threads print as the interpreter finalizes may be cut short.)
    assert out.stdout.startswith("exiting\n"), (out.stdout, out.stderr[-2000:])
    assert "Exception ignored" not in out.stderr and "Fatal" not in out.stderr, out.stderr
