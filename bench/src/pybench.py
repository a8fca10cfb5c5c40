"""Python side of the benchmarks. Prints "<seconds> <bytes or calls>".

    pybench.py requests-file URL OP PATH   requests, stream=True, iter_content(1 MiB) to a file
    pybench.py requests-small URL OP N     N POSTs through one requests.Session
    pybench.py wf-file URL OP PATH         olconnect_wf Client.get_result_to_file
    pybench.py wf-fastfile URL OP PATH     the same with durable_files=False (no fsync)
    pybench.py wf-small URL OP N           N Client.get_result calls on one client
"""
import sys
import time


def main() -> None:
    mode, url, op, arg = sys.argv[1:5]
    endpoint = f"{url}/rest/serverengine/workflow/print/getResult/{op}"
    if mode.startswith("requests"):
        import requests

        session = requests.Session()
        session.auth = ("ol-admin", "secret")
        if mode == "requests-file":
            t0 = time.perf_counter()
            with session.post(endpoint, stream=True) as r, open(arg, "wb") as f:
                r.raise_for_status()
                for chunk in r.iter_content(chunk_size=1 << 20):
                    f.write(chunk)
            print(f"{time.perf_counter() - t0:.6f} 0")
        else:
            session.post(endpoint).raise_for_status()
            t0 = time.perf_counter()
            for _ in range(int(arg)):
                r = session.post(endpoint)
                r.raise_for_status()
                r.content
            print(f"{time.perf_counter() - t0:.6f} {arg}")
    else:
        import olconnect_wf as wf

        durable = mode != "wf-fastfile"
        with wf.Client(url, username="ol-admin", password="secret", basic=True, durable_files=durable) as c:
            if mode in ("wf-file", "wf-fastfile"):
                t0 = time.perf_counter()
                c.get_result_to_file(op, arg)
                print(f"{time.perf_counter() - t0:.6f} 0")
            else:
                c.get_result(op)
                t0 = time.perf_counter()
                for _ in range(int(arg)):
                    c.get_result(op)
                print(f"{time.perf_counter() - t0:.6f} {arg}")


if __name__ == "__main__":
    main()
