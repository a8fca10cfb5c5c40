"""Local data from Python: uploads from a path, bytes and a file object, delete and exists, ad-hoc
jobs; the exceptions of a failing file object come out of the call."""
import io

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
