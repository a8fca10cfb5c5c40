"""The main job in Python, as examples/fetch_result.c does it in C: upload a local data file to
the File Store, submit an All-In-One configuration that maps it, wait with progress, download
the result to a file with byte progress, and delete the upload whatever happened. Ctrl-C stops
whichever call is running within half a second and leaves no partial file.

    python3 examples/python_job.py BASE_URL [OUTPUT_FILE] [--data DATA_FILE]

Credentials come from OLCONNECT_USER / OLCONNECT_PASSWORD (default ol-admin / secret, the
simulator's); the resources are those of olconnect-sim's demo File Store.
"""
import argparse
import os
import sys
from pathlib import Path
from typing import Optional

import olconnect_wf as wf

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description="Upload, run, wait, fetch to a file, clean up.")
    parser.add_argument("base_url")
    parser.add_argument("output", nargs="?", default="result.pdf")
    parser.add_argument("--data", default=str(HERE / "invoices.csv"))
    args = parser.parse_args()

    user = os.environ.get("OLCONNECT_USER", "ol-admin")
    password = os.environ.get("OLCONNECT_PASSWORD", "secret")
    try:
        with wf.Client(args.base_url, username=user, password=password, timeout=60) as client:
            file_id = client.upload(args.data)  # its Managed File ID
            op: Optional[str] = None
            ended = False
            try:
                config = {
                    "datamining": {"identifier": file_id, "config": "Invoice.OL-datamapper"},
                    "contentcreation": {"config": "Invoice.OL-template"},
                    "jobcreation": {},
                    "outputcreation": {"config": "Invoice-PDF.OL-outputpreset"},
                    "returnIdInHeader": True,
                }
                op = client.submit(config)
                client.wait(op, timeout=600, on_progress=lambda pct: print(f"\rrunning {pct:3d}%", end="", file=sys.stderr))
                ended = True
                print(file=sys.stderr)

                def show_bytes(received: int, total: Optional[int]) -> None:
                    print(f"\r{received} / {total if total is not None else '?'} bytes", end="", file=sys.stderr)

                result = client.get_result_to_file(op, args.output, on_bytes=show_bytes)  # complete or absent
                print(file=sys.stderr)
            finally:
                # A running job holds its data file (the server refuses to delete a file in use).
                if op is not None and not ended:
                    try:
                        client.cancel(op)
                    except wf.WorkflowError:
                        pass
                try:
                    client.delete(file_id)
                except wf.WorkflowError as e:
                    print(f"\nleft on the server: the upload {file_id} ({e})", file=sys.stderr)
        size = os.path.getsize(args.output)
        print(f"{result.type} job set {result.job_set_id}: {size} bytes in {args.output}")
        return 0
    except wf.WorkflowError as e:  # AuthError, NotFoundError, TimeoutException, ...
        print(f"\nfailed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: no partial file was left", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
