"""Local data from Python: uploads from a path, bytes and a file object, delete and exists, ad-hoc
jobs; the exceptions of a failing file object come out of the call."""
import bz2
import gzip
import io
import lzma
import os

import pytest

import olconnect_wf as wf

from conftest import HEADER_PATH, config  # noqa: F401

CSV = b"id,name,amount\n1,Alice,10.00\n2,Bob,20.00\n"
JOB = dict(data_mapping="Invoice.OL-datamapper", template="Invoice.OL-template", output_preset="Invoice-PDF.OL-outputpreset")


def test_uploads_from_paths_bytes_and_file_objects(client, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_bytes(CSV)
    sent = []
    ids = [
        client.upload(path, on_bytes=lambda n, total: sent.append((n, total))),
        client.upload(CSV, filename="b.csv", persistent=True),
        client.upload(bytearray(CSV), filename="c.csv"),
        client.upload(io.BytesIO(CSV), filename="d.csv"),
    ]
    with open(path, "rb") as f:
        ids.append(client.upload(f, kind=wf.ResourceKind.DATA_FILE))
    assert sent[-1] == (len(CSV), len(CSV))
    for file_id in ids:
        assert client.exists(file_id)
        client.download_managed(file_id, tmp_path / f"back-{file_id}")
        assert (tmp_path / f"back-{file_id}").read_bytes() == CSV
    assert client.delete(ids[0]) is True and client.exists(ids[0]) is False
    with pytest.raises(wf.NotFoundError):
        client.delete(ids[0])


def test_bad_data_is_refused_and_a_failing_file_object_raises(client, tmp_path):
    with pytest.raises(wf.LocalIOError):
        client.upload(tmp_path / "missing.csv")
    with pytest.raises(wf.InvalidArgumentError):
        client.upload(b"", filename="empty.csv")
    with pytest.raises(wf.InvalidArgumentError):
        client.upload(12345)

    class Broken(io.RawIOBase):
        def read(self, size=-1):
            raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke"):
        client.upload(Broken(), filename="broken.csv")


def test_adhoc_jobs(client, tmp_path):
    op = client.submit_adhoc(CSV, **JOB)
    client.wait(op)
    assert client.result(op).data
    result = client.run_adhoc(CSV, to_file=tmp_path / "out.pdf", create_only=True, **JOB)
    assert result.file and (tmp_path / "out.pdf").stat().st_size > 0
    paths = client.run_adhoc(io.BytesIO(CSV), result_as_text=True, print_range="1-2",
                             **{**JOB, "output_preset": "Invoice-Split.OL-outputpreset"})
    assert paths.data.decode().count(",") == 2


#: Compressible data, so its compressed file is much shorter than it.
ROWS = b"".join(b"%d,Customer %d,%d.00\n" % (i, i, i) for i in range(20_000))


def uploaded(sim, client, tmp_path, data, **kw):
    """Uploads data; gives the bytes the File Store got and the length the request announced
    (None: sent chunked)."""
    sim.clear_requests()
    file_id = client.upload(data, **kw)
    post = [r for r in sim.requests() if r["method"] == "POST" and "/filestore/" in r["target"]][-1]
    back = tmp_path / f"back-{file_id}"
    client.download_managed(file_id, back)
    assert ("content-length" in post["headers"]) != ("transfer-encoding" in post["headers"])
    length = post["headers"].get("content-length")
    return back.read_bytes(), None if length is None else int(length)


@pytest.mark.parametrize("module", [gzip, bz2, lzma])
def test_a_compressed_file_object_uploads_its_decompressed_bytes(sim, client, tmp_path, module):
    # Before, the size of the compressed file (its fileno()) was announced: the body ended early.
    path = tmp_path / "rows.csv.z"
    with module.open(path, "wb") as f:
        f.write(ROWS)
    assert os.path.getsize(path) < len(ROWS) // 4
    with module.open(path, "rb") as f:
        assert uploaded(sim, client, tmp_path, f, filename="rows.csv") == (ROWS, None)


def test_a_file_object_uploads_from_where_it_stands(sim, client, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(ROWS)
    with open(path, "rb") as f:  # a plain file: its exact length is announced
        assert uploaded(sim, client, tmp_path, f) == (ROWS, len(ROWS))
    with open(path, "rb") as f:
        f.read(1000)  # buffered further than that: the length counts from f.tell()
        assert uploaded(sim, client, tmp_path, f, filename="rest.csv") == (ROWS[1000:], len(ROWS) - 1000)
    with open(path, "rb", buffering=0) as f:
        f.seek(12345)
        assert uploaded(sim, client, tmp_path, f, filename="rest.csv") == (ROWS[12345:], len(ROWS) - 12345)
    with open(path, "r+b") as f:
        f.seek(7)
        assert uploaded(sim, client, tmp_path, f, filename="rest.csv") == (ROWS[7:], len(ROWS) - 7)
    assert uploaded(sim, client, tmp_path, path) == (ROWS, len(ROWS))
    assert uploaded(sim, client, tmp_path, memoryview(ROWS)[5:], filename="m.csv") == (ROWS[5:], len(ROWS) - 5)


def test_a_file_object_whose_fileno_is_another_stream_is_sent_chunked(sim, client, tmp_path):
    other = tmp_path / "other.bin"
    other.write_bytes(b"x" * 100)

    class Transformed(io.RawIOBase):
        """Reads ROWS, but its fileno() is a file of 100 bytes (like a decoding wrapper)."""

        def __init__(self):
            self._inner = io.BytesIO(ROWS)
            self._other = open(other, "rb")

        def readable(self):
            return True

        def seekable(self):
            return True

        def tell(self):
            return self._inner.tell()

        def readinto(self, buf):
            chunk = self._inner.read(len(buf))
            buf[: len(chunk)] = chunk
            return len(chunk)

        def fileno(self):
            return self._other.fileno()

        def close(self):
            self._other.close()
            super().close()

    with Transformed() as f:
        assert uploaded(sim, client, tmp_path, f, filename="t.csv") == (ROWS, None)
    with Transformed() as raw, io.BufferedReader(raw) as f:
        assert uploaded(sim, client, tmp_path, f, filename="t.csv") == (ROWS, None)


def test_a_file_object_reading_more_than_asked_is_refused(client):
    class Greedy(io.RawIOBase):
        def readable(self):
            return True

        def read(self, size=-1):
            return CSV * 100_000  # far more than the library's buffer

    with pytest.raises(ValueError, match="returned"):
        client.upload(Greedy(), filename="greedy.csv")
