"""Waiting for many operations (issue 31): Client.wait_any, wait_all and as_completed on the
caller's thread, never a thread per wait. Request counts come from the simulator's log."""
import logging
import random
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
    """``n`` operations running from ``low`` to ``high`` ms, and their durations."""
    rnd = random.Random(seed)
    durations = [rnd.randint(low, high) for _ in range(n)]
    return [client.submit(config(sim_duration_ms=d)) for d in durations], durations


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
        ops, durations = staggered(c, 500)
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
    by_id = dict(zip(ops, durations))
    # In the order they ended, give or take the watcher's intervals.
    late = sum(1 for a, b in zip(ended, ended[20:]) if by_id[a] > by_id[b] + 2000)
    assert late == 0
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
