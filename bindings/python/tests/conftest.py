"""A simulator per test module, started on a free port with its control routes on."""
import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
HEADER_PATH = REPO / "include" / "olconnect_wf.h"
SIM = Path(os.environ.get("OLCONNECT_SIM", REPO / "target" / "release" / "olconnect-sim"))


class Sim:
    """A running olconnect-sim and its /sim/ control routes."""

    def __init__(self, *flags: str) -> None:
        if not SIM.is_file():
            pytest.fail(f"{SIM} is missing: run `cargo build --release --workspace` first")
        self.proc = subprocess.Popen(
            [str(SIM), "--port", "0", "--control", "true", "--op-duration-ms", "0", "--spool-content", "pattern", *flags],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening on "), line
        self.url = line[len("listening on ") :]

    def _call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(req) as resp:
            return json.loads(resp.read() or b"null")

    def fault(self, **rule) -> None:
        self._call("POST", "/sim/faults", rule)

    def settings(self, **values) -> None:
        self._call("POST", "/sim/settings", values)

    def requests(self):
        return self._call("GET", "/sim/requests")

    def clear_requests(self) -> None:
        self._call("DELETE", "/sim/requests")

    def count(self, text: str) -> int:
        return sum(text in r["target"] for r in self.requests())

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture(scope="module")
def sim():
    s = Sim()
    yield s
    s.stop()


@pytest.fixture
def client(sim):
    import olconnect_wf as wf

    with wf.Client(sim.url, username="ol-admin", password="secret") as c:
        yield c


@pytest.fixture
def fresh_sim():
    s = Sim()
    yield s
    s.stop()


def config(preset="Invoice-PDF.OL-outputpreset", **params):
    return {
        "datamining": {"identifier": "invoices.csv", "config": "Invoice.OL-datamapper"},
        "contentcreation": {"config": "Invoice.OL-template"},
        "jobcreation": {},
        "outputcreation": {"config": preset, "parameters": params},
        "returnIdInHeader": True,
    }
