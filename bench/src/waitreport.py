"""The "wait" section of bench/RESULTS.md, from the runs of bench/wait.sh: for each run NAME,
NAME.kv (waitbench's key=value figures, then the simulator's and the whole machine's CPU seconds
and the wall time of the run) and NAME.log (the simulator's access log). Usage: waitreport.py DIR NS MODES ANY_THREADS MIN_MS MAX_MS
SECONDS DAY MACHINE."""

import datetime
import pathlib
import re
import sys

# The watcher's schedule (docs/architecture.md, "Waiting"): looks every 100 ms growing x1.5 to 2 s,
# from start to start; a wait joining with an operation never looked at starts it again, looks
# staying 100 ms apart however waits join.
FIRST, LONGEST = 0.1, 2.0
LINE = re.compile(r'^(\S+Z) (\S+) "(\S+) (\S+)" (\d+) (\d+) ')


def epoch_ms(stamp):
    t = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return t.timestamp() * 1e3


def kind(path):
    for k in ("getOperations", "getProgress", "submit"):
        if f"/workflow/print/{k}" in path:
            return k
    return "other"


def looks_allowed(seconds):
    """Looks of a back-off started afresh, within `seconds`: one at once, then one per interval."""
    looks, t, interval = 1, 0.0, FIRST
    while t + interval <= seconds:
        t += interval
        looks += 1
        interval = min(interval * 1.5, LONGEST)
    return looks


def measure(out, name):
    kv = {}
    for line in (out / f"{name}.kv").read_text().splitlines():
        k, _, v = line.partition("=")
        kv[k] = v
    if "failed" in kv or "wait_end_ms" not in kv:
        return kv
    start, joined, end, first_end = (float(kv[k]) for k in ("wait_start_ms", "all_joined_ms", "wait_end_ms", "first_end_ms"))
    reqs = []
    for line in (out / f"{name}.log").read_text().splitlines():
        m = LINE.match(line)
        if m:
            reqs.append((epoch_ms(m[1]), kind(m[4]), int(m[6]), m[4].rsplit("/", 1)[-1], m[2]))
    # The access log stamps a request when its answer is written: up to 1 ms after the last return.
    window = [(t, k, b) for t, k, b, _, _ in reqs if start <= t <= end + 1]
    kv["connections"] = len({peer for t, _, _, _, peer in reqs if start <= t <= end + 1})
    per_op = {}
    for t, k, _, op, _ in reqs:
        if k == "getProgress" and start <= t <= end + 1:
            per_op[op] = per_op.get(op, 0) + 1
    kv["progress_ops"] = len(per_op)
    kv["progress_max_per_op"] = max(per_op.values(), default=0)
    kv["window_s"] = seconds = (end - start) / 1e3
    for k in ("getOperations", "getProgress", "submit", "other"):
        hits = [t for t, kk, _ in window if kk == k]
        kv[f"{k}_n"] = len(hits)
        kv[f"{k}_rate"] = len(hits) / seconds
        buckets = {}
        for t in hits:
            buckets[int((t - start) // 1000)] = buckets.get(int((t - start) // 1000), 0) + 1
        kv[f"{k}_peak"] = max(buckets.values(), default=0)
        kv[f"{k}_bytes"] = sum(b for t, kk, b in window if kk == k)
    # Two phases: the start (waits joining, the back-off growing) until the first operation ends,
    # then the completions. Joins happen inside the library a little after the program's stamp of
    # its last call, so the completions are held to the looks of a back-off started at that stamp,
    # one more for that edge.
    looks = [t for t, k, _ in window if k == "getOperations"]
    kv["start_s"] = (first_end - start) / 1e3
    kv["ops_start"] = sum(1 for t in looks if t < first_end)
    kv["ops_done_phase"] = sum(1 for t in looks if t >= first_end)
    kv["done_phase_s"] = (end - first_end) / 1e3
    if joined <= first_end:
        kv["ops_allowed"] = looks_allowed((end - joined) / 1e3) - looks_allowed((first_end - joined) / 1e3) + 2
    else:  # waits still joining after the first end: looks 100 ms apart until the last, then the back-off
        kv["ops_allowed"] = int((joined - first_end) / (FIRST * 1e3)) + 1 + looks_allowed(max(0.0, end - joined) / 1e3) + 1
    kv["joined_s"] = (joined - start) / 1e3
    kv["spawned_s"] = (float(kv["spawned_ms"]) - start) / 1e3
    return kv


def others(kv):
    """Cores kept busy by everything but this run (its program and simulator), on average."""
    own = float(kv["cpu_total_s"]) + float(kv["sim_cpu_s"])
    return max(0.0, float(kv["machine_cpu_s"]) - own) / float(kv["run_s"])


def f(x, digits=1):
    return f"{float(x):,.{digits}f}"


def main():
    out, ns, modes, any_threads, min_ms, max_ms, took, day, machine = sys.argv[1:]
    out = pathlib.Path(out)
    labels = {
        "baseline": "**baseline**: a thread per wait polling `wf_get_progress` (before the watcher)",
        "wait": "(a) a thread per wait in `wf_wait`",
        "any": f"(b) {any_threads} threads looping `wf_wait_any`",
    }
    rows, verdicts, notes = [], [], []
    for n in ns.split():
        for mode in modes.split():
            name = f"{mode}_{n}"
            kv = measure(out, name)
            if "failed" in kv or "wait_end_ms" not in kv:
                why = kv.get("failed", "no result")
                if "threads_started" in kv:
                    why += f" ({kv['threads_started']} threads started)"
                rows.append(f"| {labels[mode]} | {n} | not measured: {why} ||||||||||")
                continue
            returned = int(kv["delay_count"])
            rows.append(
                f"| {labels[mode]} | {n} | {f(kv['window_s'])} "
                f"| {f(kv['getOperations_rate'], 2)} ({kv['getOperations_peak']}) "
                f"| {f(kv['getProgress_rate'])} ({kv['getProgress_peak']}) "
                f"| {kv['getOperations_n']:,} / {kv['getProgress_n']:,} "
                f"| {f(kv['getOperations_bytes'] / 1e6 / kv['window_s'], 2)} | {int(kv['peak_threads']):,} "
                f"| {f(int(kv['peak_rss_kib']) / 1024)} | {f(kv['cpu_wait_s'])} "
                f"| {f(kv['delay_median_ms'], 0)} / {f(kv['delay_p99_ms'], 0)} / {f(kv['delay_max_ms'], 0)}"
                f"{'' if returned == int(n) else f' ({returned:,} of {int(n):,})'} "
                f"| {f(kv['sim_cpu_s'])} | {f(others(kv), 2)} |")
            if mode != "baseline":
                req_ok = kv["getProgress_n"] <= int(n) and kv["ops_done_phase"] <= kv["ops_allowed"]
                delay_ok = float(kv["delay_max_ms"]) <= LONGEST * 1e3 and returned == int(n)
                verdicts.append(
                    f"| {labels[mode]} | {n} | {kv['ops_done_phase']:,} getOperations in the {f(kv['done_phase_s'])} s "
                    f"of completions (the schedule allows {kv['ops_allowed']}); {kv['getProgress_n']:,} getProgress "
                    f"for {int(n):,} operations (up to {kv['progress_max_per_op']:,} for one): "
                    f"**{'met' if req_ok else 'not met'}** "
                    f"| {kv['ops_start']:,} in {f(kv['start_s'])} s | {int(kv['peak_threads']):,} "
                    f"| p99 {f(kv['delay_p99_ms'], 0)} ms, max {f(kv['delay_max_ms'], 0)} ms: "
                    f"**{'met' if delay_ok else 'not met'}** |")
            extra = []
            for key, what in (("timed_out", "had not returned at the deadline (the last end + 30 s)"),
                              ("errors", "failed"),
                              ("ended_before_waits_began", "ended before the waits began (left out of the delays)"),
                              ("ended_before_its_waiter_ran", "ended before their waiter had called the library")):
                if int(kv.get(key, 0)):
                    extra.append(f"{int(kv[key]):,} {what}")
            notes.append(
                f"{labels[mode]}, N = {int(n):,}: submitting took {f(kv['submit_s'], 2)} s (planned "
                f"{f(kv['submit_planned_s'], 2)} s; round trip median {kv['submit_rtt_median_ms']} ms, max "
                f"{kv['submit_rtt_max_ms']} ms); the operations ended {f((float(kv['first_end_ms']) - float(kv['wait_start_ms'])) / 1e3)}"
                f"–{f((float(kv['last_end_ms']) - float(kv['wait_start_ms'])) / 1e3)} s after the waits began; "
                f"waiter threads started in {f(kv['spawned_s'], 2)} s, the last one called the library after "
                f"{f(kv['joined_s'], 2)} s; RSS before the waits {f(int(kv['rss_before_wait_kib']) / 1024)} MiB; "
                f"{kv['connections']:,} connections to the server during the wait"
                + ("; " + "; ".join(extra) if extra else ""))

    print(f"""## Many concurrent waits (bench/wait.sh)

{day}, {machine}; the whole run took {took} s. The machine was shared with other sessions
working at the same time: the last column is the CPU they used during each run (the machine's
CPU time less this run's program and simulator, over the run's wall time, in cores of 2). One
run of each (`bench/src/waitbench.c`): N operations submitted to a fresh simulator (release
build, security on, one `wf_client`), each with its own duration (`sim_duration_ms`) so that
they end one after another, evenly spread over about {int(min_ms) // 1000}–{int(max_ms) // 1000} s after the waits begin (the
actual spread is in the notes below), then all waited on at once in one process.
Requests are counted from the simulator's access log over the wait (first waiter started to last
waiter returned): rates per second over that window, the busiest second in parentheses. Delay:
from an operation's end (its submit sent + its duration; at most one submit round trip early, so
an upper bound) to its waiter's return. Threads (sampled every 50 ms) and peak RSS (`VmHWM`) of
the waiting process from `/proc/self/status`; waiter threads have 256 KiB stacks. CPU: user +
system seconds of the process during the wait; server CPU: the simulator's, over the whole run
(its submissions included, well under a second).

| waits | N | window s | getOperations/s (peak) | getProgress/s (peak) | getOperations / getProgress in all | getOperations MB/s served | threads | peak RSS MiB | CPU s | delay ms median / p99 / max | server CPU s | others' CPU, cores |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
""" + "\n".join(rows) + """

Targets of issue 31 for the watcher's waits: requests ≤ one getOperations per interval + one
getProgress per finished operation (held to the watcher's schedule once the waits have joined:
the back-off from 100 ms growing ×1.5 to 2 s; the looks while waits start, 100 ms apart at most,
are shown apart); threads independent of N; notice delay ≤ one poll interval (2 s, strict: the
look's own round trips count).

| waits | N | requests | getOperations before the first end | threads | notice delay |
|---|---|---|---|---|---|
""" + "\n".join(verdicts) + "\n\n" + "\n".join(f"- {x}" for x in notes))


main()
