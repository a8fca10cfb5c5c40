"""The Python wrapper against the simulator: every method, every exception, callbacks, threads,
large results with bounded memory, and cleanup."""
import gc
import os
import subprocess
import sys
import threading
import time

import pytest

import olconnect_wf as wf
from conftest import config


def test_package_metadata_and_library():
    assert wf.library_version == "0.1.0"
    assert wf.ABI_VERSION == 1
    assert os.path.exists(wf._ffi.lib._name)


def test_credential_modes(sim):
    with wf.Client(sim.url) as c:
        with pytest.raises(wf.AuthRequiredError) as e:
            c.server_version()
        assert e.value.http_status == 401 and "Authentication required" in e.value.message
        with pytest.raises(wf.AuthError):
            c.login("ol-admin", "wrong")
        c.set_basic_auth("ol-admin", "secret")
        assert c.server_version() == "2024.2.1.12345"
        c.clear_auth()
        with pytest.raises(wf.AuthRequiredError):
            c.server_version()
    with wf.Client(sim.url, username="ol-admin", password="secret", basic=True) as c:
        assert c.server_version() == "2024.2.1.12345"
    with wf.Client(sim.url, token="not-a-real-token") as c:
        with pytest.raises(wf.AuthError) as e:
            c.server_version()
        assert "not-a-real-token" not in str(e.value)
    with pytest.raises(wf.AuthError):
        wf.Client(sim.url, username="ol-admin", password="nope")
    with pytest.raises(wf.InvalidArgumentError):
        wf.Client(sim.url, username="ol-admin")


def test_forbidden_for_a_user_without_the_role(fresh_sim):
    fresh_sim.settings(users=["watcher:pw:monitor"])
    with wf.Client(fresh_sim.url, username="watcher", password="pw") as c:
        with pytest.raises(wf.ForbiddenError) as e:
            c.get_result("x")
        assert e.value.http_status == 403


def test_invalid_arguments_are_value_errors(client, sim):
    sim.clear_requests()
    for bad in ["", "..", "a/b", "a?b", "a#b", "a%2F", "a\r\nb"]:
        with pytest.raises(wf.InvalidArgumentError):
            client.get_result(bad)
        with pytest.raises(ValueError):
            client.cancel(bad)
    with pytest.raises(wf.InvalidArgumentError):
        client.get_result("a\0b")
    with pytest.raises(wf.InvalidArgumentError):
        client.set_token("t\r\nX-Evil: 1")
    with pytest.raises(wf.InvalidArgumentError):
        client.get_result(42)
    with pytest.raises(wf.InvalidArgumentError):
        wf.Client("localhost:9340")
    assert sim.requests() == []


def test_results_of_every_kind(client):
    op = client.submit(config(sim_output_size=5000))
    data = client.get_result(op)
    assert len(data) == 5000
    r = client.get_result_ex(op)
    assert r.type is wf.ResultType.OUTPUT_STREAMED and r.data == data
    assert r.data_set_id > 0 and r.content_set_id > 0 and r.job_set_id > 0 and r.paths == []

    op = client.submit(config("Invoice-Split.OL-outputpreset"))
    r = client.get_result_ex(op)
    assert r.type is wf.ResultType.OUTPUT_PATHS and len(r.paths) == 3
    assert all(p.startswith("/") and op in p for p in r.paths)
    assert client.get_result_text(op).split(",") == r.paths
    managed = client.managed_result(op)
    assert managed["files"] == ["job_0001.pdf", "job_0002.pdf", "job_0003.pdf"]

    op = client.submit({"datamining": {"identifier": "invoices.csv", "config": "Invoice.OL-datamapper"}, "returnIdInHeader": True})
    r = client.get_result_ex(op)
    assert r.type is wf.ResultType.DATA_SET_ID and int(r.data) == r.data_set_id and r.job_set_id is None


def test_one_request_per_result(client, sim):
    op = client.submit(config(sim_output_size=300_000))
    sim.clear_requests()
    assert len(client.get_result(op)) == 300_000
    assert sim.count("/getResult/") == 1


def test_files_and_managed_downloads(client, tmp_path):
    op = client.submit(config(sim_output_size=1_000_000))
    r = client.get_result_to_file(op, tmp_path / "out.pdf")
    assert r.file == str(tmp_path / "out.pdf") and r.type is wf.ResultType.OUTPUT_STREAMED and r.data == b""
    assert (tmp_path / "out.pdf").stat().st_size == 1_000_000
    with pytest.raises(wf.LocalIOError) as e:
        client.get_result_to_file(op, tmp_path / "missing" / "x.pdf")
    assert isinstance(e.value, OSError)
    with pytest.raises(wf.InvalidArgumentError):
        client.get_result_to_file(op, 12)

    op = client.submit(config("Invoice-Split.OL-outputpreset", sim_output_size=1000))
    folder = client.managed_result(op)["identifier"]
    one = client.download_managed(folder, tmp_path / "one.pdf", file_name="job_0002.pdf")
    assert os.path.getsize(one) == 1000
    client.download_managed(folder, tmp_path / "all.zip")
    assert (tmp_path / "all.zip").read_bytes()[:4] == b"PK\x03\x04"
    with pytest.raises(wf.NotFoundError):
        client.download_managed(987654, tmp_path / "none")


def test_files_without_sync(sim, tmp_path):
    with wf.Client(sim.url, username="ol-admin", password="secret", durable_files=False) as c:
        op = c.submit(config(sim_output_size=3_000_000))
        assert c.get_result_to_file(op, tmp_path / "fast.pdf").type is wf.ResultType.OUTPUT_STREAMED
        assert (tmp_path / "fast.pdf").read_bytes() == c.get_result(op)
        c.set_durable_files(True)


def test_statuses_map_to_exceptions(client, sim):
    # One failure per exception class: the mapping and the message and HTTP status it carries.
    # What the core does in each failure is tested once, in the Rust suite.
    op = client.submit(config(sim_output_size=10))
    sim.fault(kind="unavailable", path="getResult")
    with pytest.raises(wf.ServerError) as e:
        client.get_result(op)
    assert e.value.http_status == 503
    assert client.get_result(op) == client.get_result(op)
    sim.fault(kind="error_500_json", message="words for the Python test", path="getResult")
    with pytest.raises(wf.ServerError, match="words for the Python test"):
        client.get_result(op)
    with pytest.raises(wf.NotFoundError) as e:
        client.get_result("missing-op")
    assert e.value.http_status == 404
    with pytest.raises(wf.BadRequestError) as e:
        client.submit({"datamining": {"identifier": "nope.csv", "config": "Invoice.OL-datamapper"}})
    assert e.value.http_status == 400
    client.set_timeouts(timeout=0.2)
    sim.fault(kind="delay", ms=1000, path="getResult")
    with pytest.raises(wf.TimeoutException) as e:
        client.get_result(op)
    assert isinstance(e.value, TimeoutError)
    client.set_timeouts()
    with wf.Client("http://127.0.0.1:9") as down:
        with pytest.raises(wf.ConnectError):
            down.get_result("x")


def test_tls_to_a_plain_http_server_is_a_tls_error(sim):
    with wf.Client(sim.url.replace("http://", "https://")) as c:
        with pytest.raises(wf.TLSError, match="TLS failed"):
            c.server_version()


def test_wait_reports_progress_and_honours_callbacks(client):
    op = client.submit(config(sim_duration_ms=800))
    assert client.progress(op).done is False
    seen = []
    client.wait(op, on_progress=seen.append)
    assert seen[-1] == 100 and seen == sorted(set(seen))
    assert client.progress(op) == wf.Progress(100, True)

    op = client.submit(config(sim_duration_ms=60_000))
    with pytest.raises(wf.AbortedError):
        client.wait(op, on_progress=lambda pct: False)

    class Boom(Exception):
        pass

    def explode(pct):
        raise Boom(pct)

    with pytest.raises(Boom):
        client.wait(op, on_progress=explode)
    with pytest.raises(wf.TimeoutException):
        client.wait(op, timeout=0.3)
    client.cancel(op)
    with pytest.raises(wf.NotFoundError):
        client.cancel(op)


def test_cancel_from_another_thread_stops_wait(client):
    op = client.submit(config(sim_duration_ms=60_000))
    errors = []

    def waiter():
        try:
            client.wait(op)
        except wf.WorkflowError as e:
            errors.append(e)

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.3)
    client.cancel(op)
    t.join(10)
    assert len(errors) == 1 and isinstance(errors[0], wf.AbortedError)


def test_streaming_callback_and_iterator(client):
    op = client.submit(config(sim_output_size=3_000_000))
    chunks = []
    assert client.stream_result(op, chunks.append) == 3_000_000
    whole = b"".join(chunks)
    assert whole == client.get_result(op)
    pieces = list(client.iter_result(op, chunk_size=1_000_000))
    assert [len(p) for p in pieces] == [1_000_000] * 3 and b"".join(pieces) == whole
    odd = list(client.iter_result(op, chunk_size=777_777))
    assert b"".join(odd) == whole and all(len(p) == 777_777 for p in odd[:-1])
    it = client.iter_result(op, chunk_size=1000)
    assert len(next(it)) == 1000
    it.close()
    with pytest.raises(wf.AbortedError):
        client.stream_result(op, lambda chunk: False)

    def explode(chunk):
        raise KeyError("from the callback")

    with pytest.raises(KeyError):
        client.stream_result(op, explode)
    with pytest.raises(wf.NotFoundError):
        list(client.iter_result("missing-op"))


def test_operations_version_and_run(client, tmp_path):
    running = client.submit(config(sim_duration_ms=60_000))
    ops = client.operations()
    assert any(o["id"] == running and o["type"] == "PrintRestService" for o in ops)
    client.cancel(running)
    assert client.server_version() == "2024.2.1.12345"
    seen = []
    r = client.run(config(sim_output_size=4096, sim_duration_ms=300), on_progress=seen.append)
    assert len(r.data) == 4096 and seen[-1] == 100
    r = client.run(config(sim_output_size=4096), to_file=tmp_path / "run.pdf")
    assert r.file and os.path.getsize(r.file) == 4096


def test_threads_share_one_client(client):
    op = client.submit(config(sim_output_size=10_000))
    failures = []

    def worker():
        for _ in range(20):
            if len(client.get_result(op)) != 10_000:
                failures.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_close_and_garbage_collection_free_the_handle(sim, monkeypatch):
    freed = []
    real_free = wf._ffi.lib.wf_client_free
    monkeypatch.setattr(wf._ffi.lib, "wf_client_free", lambda h: (freed.append(1), real_free(h)))
    c = wf.Client(sim.url)
    c.close()
    c.close()
    assert freed == [1] and c.closed
    with pytest.raises(wf.InvalidArgumentError, match="closed"):
        c.server_version()
    c = wf.Client(sim.url)
    del c
    gc.collect()
    assert freed == [1, 1]
    with wf.Client(sim.url):
        pass
    assert freed == [1, 1, 1]


def test_large_result_to_file_in_bounded_memory(sim, tmp_path):
    size = 512 * 1024 * 1024
    script = f"""
import resource, olconnect_wf as wf
with wf.Client({sim.url!r}, username="ol-admin", password="secret") as c:
    op = c.submit({config(sim_output_size=size)!r})
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    c.get_result_to_file(op, {str(tmp_path / 'big.pdf')!r})
    print(base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=os.environ)
    before, peak = map(int, out.stdout.split())
    assert (tmp_path / "big.pdf").stat().st_size == size
    assert peak - before < 32 * 1024, f"peak RSS grew by {peak - before} KiB"
    assert peak < 96 * 1024, f"peak RSS {peak} KiB"


def test_retry_setting_and_count(sim):
    # What is repeated, and when, is tested in the Rust suite (tests/retry.rs); here the setting
    # reaches the library (requests counted by the simulator) and the count comes back.
    with wf.Client(sim.url, username="ol-admin", password="secret", retry_attempts=3, retry_max_backoff=0.02) as c:
        assert c.retry_count == 0
        sim.clear_requests()
        sim.fault(kind="unavailable", path="/version", times=2)
        assert c.server_version()
        assert sim.count("/version") == 3 and c.retry_count == 2
        sim.fault(kind="unavailable", path="/version", times=3)
        with pytest.raises(wf.ServerError, match="3 attempts") as e:
            c.server_version()
        assert e.value.http_status == 503 and c.retry_count == 4
        c.set_retry(1)
        sim.clear_requests()
        sim.fault(kind="unavailable", path="/version")
        with pytest.raises(wf.ServerError):
            c.server_version()
        assert sim.count("/version") == 1 and c.retry_count == 4
        with pytest.raises(ValueError):
            c.set_retry(0)
        with pytest.raises(ValueError):
            c.set_retry(2, -1)


def test_a_wait_gives_up_after_the_outage_limit(sim):
    with wf.Client(sim.url, username="ol-admin", password="secret", retry_max_backoff=0.02) as c:
        op = c.submit(config(sim_duration_ms=60000))
        c.set_outage_limit(0.8)
        sim.fault(kind="unavailable", path="/getOperations", times="always")
        sim.fault(kind="unavailable", path="/getProgress/", times="always")
        started = time.monotonic()
        with pytest.raises(wf.ServerError, match="outage") as e:
            c.wait(op)
        assert e.value.http_status == 503 and op in str(e.value)
        assert 0.7 < time.monotonic() - started < 3.0
        c.set_outage_limit(None)
        with pytest.raises(ValueError):
            c.set_outage_limit(0)


def test_kept_body_limit_and_out_of_memory_mapping(sim):
    with wf.Client(sim.url, username="ol-admin", password="secret", kept_body_limit=0) as c:
        assert c.get_result_text(c.submit(config("Invoice-Split.OL-outputpreset"))).count(",") == 2
        c.set_kept_body_limit(1 << 20)
        with pytest.raises(ValueError):
            c.set_kept_body_limit(-1)
    from olconnect_wf._errors import OUT_OF_MEMORY, error_for

    e = error_for(OUT_OF_MEMORY, 0, "not enough memory")
    assert isinstance(e, wf.OutOfMemoryError) and e.status == 15
