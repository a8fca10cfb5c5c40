"""close() of a Client or an Abort racing calls (issue 26, defect 10): it never crashes, never frees
a native handle under a running call, never waits for one, and later calls raise ClosedError."""
import asyncio
import ctypes
import io
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import olconnect_wf as wf
from olconnect_wf._handle import Handle

from conftest import config

URL_OP = """
import sys, threading, time
import olconnect_wf as wf
url = sys.argv[1]
with wf.Client(url, username="ol-admin", password="secret") as setup:
    op = setup.submit({config!r})
    setup.wait(op)
"""

RACE = URL_OP + textwrap.dedent(
    """
    rounds = int(sys.argv[2])
    outcomes = []

    def caller(c, k):
        calls = [lambda: c.progress(op), c.server_version, lambda: c.get_result(op), lambda: c.wait(op),
                 lambda: c.set_durable_files(True)]
        while True:
            try:
                calls[k % len(calls)]()
                outcomes.append("ok")
            except ValueError as e:  # the documented exception after close()
                outcomes.append("closed" if "closed" in str(e) else repr(e))
                return
            except BaseException as e:
                outcomes.append(repr(e))
                return
            k += 1

    for r in range(rounds):
        c = wf.Client(url, username="ol-admin", password="secret", basic=True)
        threads = [threading.Thread(target=caller, args=(c, k)) for k in range(8)]
        for t in threads:
            t.start()
        time.sleep(0.001 * (r % 10))
        c.close()
        for t in threads:
            t.join()
    other = [o for o in outcomes if o not in ("ok", "closed")]
    print(outcomes.count("ok"), outcomes.count("closed"), other[:5], flush=True)
    sys.exit(3 if other else 0)
    """
)


def test_closing_a_client_under_calls_of_other_threads_never_crashes(sim):
    # Before the fix this child died of SIGSEGV (exit status -11) in every run: the handle was
    # freed between a thread reading it and the library using it.
    out = subprocess.run(
        [sys.executable, "-c", RACE.format(config=config(sim_output_size=100)), sim.url, "60"],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, (out.returncode, out.stdout, out.stderr[-2000:])
    ok, closed, _ = out.stdout.split(maxsplit=2)
    assert int(closed) == 8 * 60 and int(ok) > 0


class Frees(list):
    """The native frees of clients and abort switches, in order (the views each call makes and
    frees are left out: they never leave their call)."""

    def __init__(self):
        super().__init__()
        self.views = set()


@pytest.fixture
def frees(monkeypatch):
    freed = Frees()
    real_view = wf._ffi.lib.wf_client_with_controls

    def with_controls(client, abort, timeout, on_transfer, user, out):
        status = real_view(client, abort, timeout, on_transfer, user, out)
        freed.views.add(ctypes.cast(out._obj, ctypes.c_void_p).value)
        return status

    def recorder(name, real):
        def free(h):
            address = ctypes.cast(h, ctypes.c_void_p).value
            if address in freed.views:
                freed.views.discard(address)
            elif address:
                freed.append(name)
            real(h)

        return free

    monkeypatch.setattr(wf._ffi.lib, "wf_client_with_controls", with_controls)
    for name in ("wf_client_free", "wf_abort_free"):
        monkeypatch.setattr(wf._ffi.lib, name, recorder(name, getattr(wf._ffi.lib, name)))
    return freed


def test_close_during_a_running_call_lets_it_finish_and_frees_after_it(fresh_sim, frees):
    c = wf.Client(fresh_sim.url, username="ol-admin", password="secret")
    abort = wf.Abort()
    op = c.submit(config())
    fresh_sim.fault(path="getProgress", kind="delay", ms=1500, times="always")
    outcome = []

    def stalled(use_abort):
        try:
            if use_abort:  # a view of the client, holding the abort switch too
                with c.abort_on(abort):
                    outcome.append(c.progress(op))
            else:
                outcome.append(c.progress(op))
        except BaseException as e:
            outcome.append(e)

    threads = [threading.Thread(target=stalled, args=(use_abort,)) for use_abort in (False, True)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    start = time.monotonic()
    c.close()
    abort.close()
    assert time.monotonic() - start < 0.1, "close() does not wait for the calls"
    assert c.closed and abort.closed and frees == [], "freed under a running call"
    with pytest.raises(wf.ClosedError, match="this Client is closed"):
        c.server_version()
    with pytest.raises(wf.ClosedError, match="this Abort is closed"):
        abort.trigger()
    for t in threads:
        t.join(10)
    assert outcome == [wf.Progress(100, True)] * 2
    assert sorted(frees) == ["wf_abort_free", "wf_client_free"], "freed once, when the last call returned"
    c.close()
    abort.close()
    assert len(frees) == 2


def test_a_view_ends_while_its_client_is_in_use(fresh_sim, frees):
    with wf.Client(fresh_sim.url, username="ol-admin", password="secret") as c:
        slow = c.submit(config())
        fresh_sim.fault(path="getProgress", kind="delay", ms=1500, times=1)
        outcome = []
        t = threading.Thread(target=lambda: outcome.append(c.progress(slow)))
        t.start()
        time.sleep(0.3)
        abort = wf.Abort()
        threading.Timer(0.2, abort.trigger).start()
        with c.abort_on(abort):  # this view is stopped and freed while the other call runs
            with pytest.raises(wf.AbortedError):
                c.wait(c.submit(config(sim_duration_ms=60_000)))
        abort.close()
        assert frees == ["wf_abort_free"]
        t.join(10)
        assert outcome == [wf.Progress(100, True)]
    assert frees == ["wf_abort_free", "wf_client_free"]


def test_close_from_inside_a_callback(sim, frees):
    c = wf.Client(sim.url, username="ol-admin", password="secret")
    op = c.submit(config(sim_duration_ms=600))
    seen = []

    def on_progress(pct):
        seen.append(pct)
        c.close()
        assert frees == []

    c.wait(op, on_progress=on_progress)  # the call in progress finishes normally
    assert seen[-1] == 100 and len(seen) > 1
    assert frees == ["wf_client_free"]

    c = wf.Client(sim.url, username="ol-admin", password="secret")
    op = c.submit(config(sim_duration_ms=600))

    def close_and_call(pct):
        c.close()
        c.progress(op)  # raises ClosedError, which comes out of wait()

    with pytest.raises(wf.ClosedError) as e:
        c.wait(op, on_progress=close_and_call)
    assert isinstance(e.value, ValueError) and isinstance(e.value, wf.WorkflowError)
    assert frees == ["wf_client_free"] * 2


def test_double_close_and_closed_aborts(sim, frees):
    abort = wf.Abort()
    abort.close()
    abort.close()
    assert frees == ["wf_abort_free"]
    for use in (abort.trigger, abort.reset, lambda: abort.triggered):
        with pytest.raises(wf.ClosedError):
            use()
    with wf.Client(sim.url, username="ol-admin", password="secret") as c:
        with c.abort_on(abort):
            with pytest.raises(wf.ClosedError, match="Abort"):
                c.server_version()
        assert c.server_version()
        c.close()
        c.close()
    assert frees == ["wf_abort_free", "wf_client_free"]


def test_a_failing_callback_leaves_no_use_held(sim, frees, tmp_path):
    c = wf.Client(sim.url, username="ol-admin", password="secret")
    abort = wf.Abort()
    op = c.submit(config(sim_duration_ms=300, sim_output_size=100_000))

    def explode(*_):
        raise KeyError("from the callback")

    with c.abort_on(abort):
        with pytest.raises(KeyError):
            c.wait(op, on_progress=explode)
        with pytest.raises(KeyError):
            c.stream_result(c.submit(config(sim_output_size=100_000)), explode)
        with pytest.raises(KeyError):
            c.get_result_to_file(c.submit(config(sim_output_size=100_000)), tmp_path / "x", on_bytes=explode)

        class Broken(io.RawIOBase):
            def read(self, size=-1):
                raise KeyError("from the file object")

        with pytest.raises(KeyError):
            c.upload(Broken(), filename="broken.csv")
    c.close()
    abort.close()
    assert frees == ["wf_client_free", "wf_abort_free"], "every use was given back"


def test_async_client_close_while_a_task_runs(fresh_sim):
    async def main():
        c = await wf.AsyncClient.connect(fresh_sim.url, username="ol-admin", password="secret")
        op = await c.submit(config())
        fresh_sim.fault(path="getProgress", kind="delay", ms=800, times=1)
        task = asyncio.ensure_future(c.progress(op))
        await asyncio.sleep(0.3)
        c.close()
        assert await task == wf.Progress(100, True)
        with pytest.raises(wf.ClosedError):
            await c.server_version()

    asyncio.run(main())


def test_interpreter_exit_with_calls_running_and_handles_unclosed(sim):
    # Before, this child aborted ("FATAL: exception not rethrown", exit status -6) every time: a
    # daemon thread's callback, asking for the GIL while the interpreter finalized, was ended
    # by an unwinding through the library's frames.
    script = URL_OP.format(config=config()) + textwrap.dedent(
        """
        c = wf.Client(url, username="ol-admin", password="secret")
        a = wf.Abort()

        def busy(k):
            op = c.submit({slow!r})
            if k % 2:
                with c.abort_on(a):
                    c.wait(op)
            else:
                c.wait(op, on_progress=lambda pct: None)

        for k in range(8):
            threading.Thread(target=busy, args=(k,), daemon=True).start()
        # Module globals torn down at exit: the finalization lasts long enough for the waiting
        # threads' callbacks (every 100 ms) to run into it.
        garbage = [{{"k": [i]}} for i in range(1_000_000)]
        time.sleep(0.3)
        print("exiting", flush=True)
        """
    ).format(slow=config(sim_duration_ms=60_000))
    out = subprocess.run([sys.executable, "-c", script, sim.url], capture_output=True, text=True, timeout=60)
    # What the daemon threads print while the interpreter tears down is best effort (their
    # lines can come garbled or not at all): the exit status is what must hold.
    assert out.returncode == 0 and out.stdout == "exiting\n", (out.returncode, out.stdout, out.stderr[-2000:])


# -- the Handle discipline itself, with a close() (or a use) landing between any two bytecodes --


def _interleavings(nested):
    """Runs one use of a Handle and a close() after it, with ``nested(handle)`` run once, like a
    signal handler, at the k-th bytecode executed inside the Handle's own methods, for every k.
    Yields, for each k, the uses held at each free, and whether a use began after the free."""
    handle_codes = {f.__code__ for f in vars(Handle).values() if hasattr(f, "__code__")}
    k = 0
    while True:
        freed, state = [], {"in_use": 0, "step": 0, "fired": False, "late": False}
        h = Handle(object(), lambda ptr: freed.append(state["in_use"]), "Thing")

        def tracer(frame, event, arg):
            if frame.f_code not in handle_codes:
                return None
            frame.f_trace_opcodes = True

            def step(frame, event, arg):
                if event == "opcode" and not state["fired"]:
                    if state["step"] == k:
                        state["fired"] = True
                        sys.settrace(None)  # the nested code runs untraced
                        try:
                            nested(h, state, freed)
                        finally:
                            sys.settrace(tracer)
                    state["step"] += 1
                return step

            return step

        def scenario():
            sys.settrace(tracer)
            try:
                try:
                    with h:
                        _use(state, freed)
                except wf.ClosedError:
                    pass
                h.close()
            finally:
                sys.settrace(None)

        worker = threading.Thread(target=scenario, daemon=True)
        worker.start()
        worker.join(5)
        assert not worker.is_alive(), f"deadlock with the nested call at bytecode {k}"
        if not state["fired"]:
            return
        yield k, freed, state["late"]
        k += 1


def _use(state, freed):
    state["late"] = state["late"] or bool(freed)
    state["in_use"] += 1
    state["in_use"] -= 1


@pytest.mark.parametrize("what", ["close", "use", "use-then-close"])
def test_handle_bookkeeping_survives_a_nested_close_or_use_at_any_bytecode(what):
    def nested(h, state, freed):
        if what in ("use", "use-then-close"):
            try:
                with h:
                    _use(state, freed)
            except wf.ClosedError:
                pass
        if what in ("close", "use-then-close"):
            h.close()

    runs = list(_interleavings(nested))
    assert len(runs) > 20  # every bytecode of __enter__, _release, close and _free_once
    for k, freed, late in runs:
        assert freed == [0], f"nested {what} at bytecode {k}: frees {freed} (each: uses held)"
        assert not late, f"nested {what} at bytecode {k}: a use began after the free"

