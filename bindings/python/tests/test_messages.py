"""What a Python user reads (issue 28, items 1 and 5): messages in Python's words (never a C
function's name), a library that is silent unless the application configures logging, and
LocalIOError with errno and filename."""
import errno
import logging
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import olconnect_wf as wf

from conftest import config


def test_missing_credentials_say_how_to_give_them_in_python(sim):
    with wf.Client(sim.url) as c:
        with pytest.raises(wf.AuthRequiredError) as caught:
            c.server_version()
    message = caught.value.message
    assert "username=" in message and "login()" in message, message
    assert "wf_" not in message, message


def test_a_timeout_says_how_to_raise_it_in_python(fresh_sim):
    fresh_sim.fault(path="version", kind="delay", ms=2000, times=1)
    with wf.Client(fresh_sim.url, username="ol-admin", password="secret", timeout=0.3) as c:
        with pytest.raises(wf.TimeoutException) as caught:
            c.server_version()
    message = caught.value.message
    assert "timeout=" in message, message
    assert "wf_" not in message, message


def test_a_base_url_with_credentials_names_no_c_function():
    with pytest.raises(wf.InvalidArgumentError) as caught:
        wf.Client("http://user:pw@localhost:9340")
    assert "wf_" not in caught.value.message and "pw" not in caught.value.message, caught.value.message


def test_a_download_stopped_by_on_bytes_says_so_in_python(client, tmp_path):
    op = client.submit(config(sim_output_size=3_000_000))
    client.wait(op)
    with pytest.raises(wf.AbortedError) as caught:
        client.get_result_to_file(op, tmp_path / "out.pdf", on_bytes=lambda n, total: False)
    message = caught.value.message
    assert "on_bytes" in message and "transfer callback" not in message and "wf_" not in message, message
    assert not (tmp_path / "out.pdf").exists()


def test_local_io_error_carries_errno_and_filename(client, tmp_path):
    op = client.submit(config(sim_output_size=100))
    client.wait(op)
    missing = tmp_path / "no-such-folder" / "out.pdf"
    with pytest.raises(wf.LocalIOError) as caught:
        client.get_result_to_file(op, missing)
    assert caught.value.errno == errno.ENOENT, caught.value
    assert caught.value.filename == str(missing)
    assert isinstance(caught.value, OSError) and caught.value.status == 13
    with pytest.raises(wf.LocalIOError) as caught:
        client.upload(tmp_path / "absent.csv")
    assert caught.value.errno == errno.ENOENT and caught.value.filename == str(tmp_path / "absent.csv")
    # A Python OSError's usual view of it.
    assert isinstance(caught.value, FileNotFoundError) is False  # (the class is LocalIOError)
    assert caught.value.strerror


QUIET_CHILD = textwrap.dedent(
    """
    import logging, sys
    import olconnect_wf as wf
    url, level = sys.argv[1], sys.argv[2]
    if level != "none":
        logging.basicConfig(level=getattr(logging, level), stream=sys.stderr, format="%(levelname)s %(message)s")
    c = wf.Client(url)
    for _ in range(2):
        try:
            c.server_version()
        except wf.AuthRequiredError:
            pass
    print("done", flush=True)
    """
)


def run_quiet_child(url: str, level: str) -> str:
    out = subprocess.run([sys.executable, "-c", QUIET_CHILD, url, level], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "done", out
    return out.stderr


def test_a_caught_failure_prints_nothing_unless_logging_asks_for_debug(sim):
    # No logging configured: logging.lastResort would print each failure (WARNING and above).
    assert run_quiet_child(sim.url, "none") == ""
    # Logging configured at INFO: the exchanges, but not the failures the caller caught.
    info = run_quiet_child(sim.url, "INFO")
    assert "HTTP 401" in info and "ERROR" not in info and "Configure credentials" not in info, info
    # At DEBUG the failures are there, in Python's words.
    debug = run_quiet_child(sim.url, "DEBUG")
    assert debug.count("DEBUG") >= 2 and "Configure credentials: username=" in debug, debug


def test_the_package_logger_has_a_null_handler():
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("olconnect_wf").handlers)


CTRL_C_CHILD = textwrap.dedent(
    """
    import logging, sys
    import olconnect_wf as wf
    logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="LOG %(levelname)s %(message)s")
    c = wf.Client(sys.argv[1], username="ol-admin", password="secret")
    op = c.submit(sys.argv[2])
    print("started", flush=True)
    try:
        c.wait(op)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    """
)


def test_ctrl_c_is_said_to_interrupt_the_call(sim):
    import json

    proc = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_CHILD, sim.url, json.dumps(config(sim_duration_ms=60000))],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        lines = []
        while True:
            line = proc.stdout.readline()
            assert line, lines
            lines.append(line)
            if line.strip() == "started":
                break
        time.sleep(0.8)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    text = "".join(lines) + out
    assert "interrupted" in out.split("\n"), text
    failures = [l for l in text.splitlines() if l.startswith("LOG DEBUG")]
    assert failures and all("interrupted (Ctrl-C" in l for l in failures), text
    assert "transfer callback" not in text and "wf_" not in text, text
