"""Hostile-client benchmark for ``clearocr serve`` (not a test): a real server in a subprocess on
loopback, attacked and used through raw sockets and :class:`clearocr.client.Client`.

Measures:
- an unauthenticated 600 MB chunked upload: the answer, how much the client could push before the
  server closed the connection, and the server's RSS;
- ``server_recv_bytes_strace``: every byte the server process took from its sockets during the upload
  (``strace -f -e trace=recvfrom``: the exact figure, when strace is installed);
- ``server_read_bytes``: when the connection is still open at the answer, what the server process had
  read from it (the kernel's count, ``ss -tin``: bytes received minus the receive queue);
- an authenticated 600 MB chunked upload: the answer and the server's RSS rise (psutil);
- key B asking for key A's job; two POSTs with one Idempotency-Key; ``pages=2-`` on a 3-page PDF;
- throughput with ``--workers 2`` vs ``--workers 1`` on 20 SROIE receipts (4 clients, same run).

    python benchmarks/server_hostile.py --json benchmarks/results/server_hostile.json
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

from clearocr.client import Client

ROOT = Path(__file__).resolve().parent.parent

from clearocr.testing.http import chunked_upload  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "sroie2019" / "img"
KEY_A, KEY_B = "hostile-bench-key-a", "hostile-bench-key-b"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``clearocr serve`` in a subprocess."""

    def __init__(self, workers: int = 1, extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.db = Path("/tmp") / f"clearocr-hostile-{self.port}.sqlite3"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clearocr",
                "serve",
                "--port",
                str(self.port),
                "--db",
                str(self.db),
                "--workers",
                str(workers),
                *(extra or []),
            ],
            env={**os.environ, "CLEAROCR_API_KEYS": f"{KEY_A},{KEY_B}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        self.ps = psutil.Process(self.process.pid)

    def rss_mb(self) -> float:
        return round(self.ps.memory_info().rss / 2**20, 1)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.db) + suffix).unlink(missing_ok=True)


class RecvCounter:
    """Counts the bytes the server process takes from its sockets (``recvfrom``/``recv`` results
    under ``strace -f``), attached for the duration of a ``with`` block. None when strace is missing."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.total: int | None = None

    def __enter__(self) -> RecvCounter:
        import shutil
        import tempfile

        self._log = Path(tempfile.mkstemp(suffix=".strace")[1])
        self._process = None
        if shutil.which("strace"):
            self._process = subprocess.Popen(
                [
                    "strace",
                    "-f",
                    "-qq",
                    "-e",
                    "trace=recvfrom,recvmsg,recv",
                    "-e",
                    "signal=none",
                    "-o",
                    str(self._log),
                    "-p",
                    str(self.pid),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # attached to every thread
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is None:
            return
        time.sleep(0.5)
        self._process.terminate()
        self._process.wait(10)
        import re

        total = 0
        for line in self._log.read_text(errors="replace").splitlines():
            match = re.search(r"= (\d+)$", line.strip())
            if match and ("recv" in line):
                total += int(match.group(1))
        self.total = total
        self._log.unlink(missing_ok=True)


def server_side_read(port: int) -> int | None:
    """Bytes the server process has read from its end of the connection on ``port``: the kernel's
    ``bytes_received`` minus what still waits in the receive queue (``ss -tin``)."""
    try:
        output = subprocess.run(
            ["ss", "-tinH", "state", "all", f"( sport = :{port} )"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    total = 0
    found = False
    lines = output.splitlines()
    for index, line in enumerate(lines):
        fields = line.split()
        if len(fields) < 3 or not fields[2].isdigit():
            continue
        queued = int(fields[1])
        detail = lines[index + 1] if index + 1 < len(lines) else ""
        for token in (line + " " + detail).split():
            if token.startswith("bytes_received:"):
                total += int(token.split(":")[1]) - queued
                found = True
    return total if found else None


def three_page_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A5")
    pdf.set_font("helvetica", size=14)
    for number in (1, 2, 3):
        pdf.add_page()
        pdf.text(40, 60, f"Page {number}: Total 9.00")
    return bytes(pdf.output())


def throughput(workers: int, receipts: list[tuple[str, bytes]], clients: int) -> dict:
    server = Server(workers)
    try:

        def read(item: tuple[str, bytes]) -> float:
            started = time.perf_counter()
            with Client(server.base, api_key=KEY_A, retries=20, backoff=0.2) as client:
                client.read(item[1], filename=item[0])
            return time.perf_counter() - started

        with ThreadPoolExecutor(clients) as pool:  # one warm-up round, then the measured one
            list(pool.map(read, receipts[:clients]))
            started = time.perf_counter()
            latencies = list(pool.map(read, receipts))
            seconds = time.perf_counter() - started
        return {
            "workers": workers,
            "receipts": len(receipts),
            "clients": clients,
            "seconds": round(seconds, 2),
            "receipts_per_second": round(len(receipts) / seconds, 3),
            "rss_mb": server.rss_mb(),
            "mean_latency_s": round(sum(latencies) / len(latencies), 2),
        }
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict = {}

    server = Server(1)
    try:
        time.sleep(1)
        rss_before = server.rss_mb()
        with RecvCounter(server.process.pid) as counter:
            status, sent, seconds, server_read = chunked_upload(
                server.port,
                {"Authorization": "Bearer wrong"},
                600 * 2**20,
                lambda: server_side_read(server.port),
            )
        time.sleep(0.5)
        # server_read is None when the server had already closed the connection (answered from the
        # headers); client_sent_bytes is then what loopback socket buffers took before the close.
        results["unauthenticated_600mb_chunked"] = {
            "status": status,
            "client_sent_bytes": sent,
            "server_read_bytes": server_read,
            "seconds": seconds,
            "server_recv_bytes_strace": counter.total,
            "rss_before_mb": rss_before,
            "rss_after_mb": server.rss_mb(),
        }
        rss_before = server.rss_mb()
        with RecvCounter(server.process.pid) as counter:
            status, sent, seconds, server_read = chunked_upload(
                server.port, {"X-API-Key": KEY_A}, 600 * 2**20, lambda: server_side_read(server.port)
            )
        time.sleep(0.5)
        results["authenticated_600mb_chunked"] = {
            "status": status,
            "client_sent_bytes": sent,
            "server_read_bytes": server_read,
            "server_recv_bytes_strace": counter.total,
            "rss_before_mb": rss_before,
            "rss_after_mb": server.rss_mb(),
            "rss_rise_mb": round(server.rss_mb() - rss_before, 1),
            "seconds": seconds,
        }

        receipt = sorted(DATA.glob("*.jpg"))[0]
        with httpx.Client(base_url=server.base, timeout=120) as http:
            job = http.post(
                "/v1/documents?async=true",
                headers={"X-API-Key": KEY_A},
                files={"file": (receipt.name, receipt.read_bytes())},
            ).json()
            results["key_b_reads_key_a_job"] = http.get(
                f"/v1/jobs/{job['id']}", headers={"X-API-Key": KEY_B}
            ).status_code
            results["key_b_deletes_key_a_job"] = http.delete(
                f"/v1/jobs/{job['id']}", headers={"X-API-Key": KEY_B}
            ).status_code
            results["key_a_reads_own_job"] = http.get(
                f"/v1/jobs/{job['id']}", headers={"X-API-Key": KEY_A}
            ).status_code
            headers = {"X-API-Key": KEY_A, "Idempotency-Key": "bench-1"}
            ids = [
                http.post(
                    "/v1/documents?async=true",
                    headers=headers,
                    files={"file": (receipt.name, receipt.read_bytes())},
                ).json()["id"]
                for _ in range(5)
            ]
            results["idempotent_posts"] = {"posts": 5, "distinct_jobs": len(set(ids))}
            response = http.post(
                "/v1/documents",
                headers={"X-API-Key": KEY_A},
                files={"file": ("three.pdf", three_page_pdf())},
                data={"pages": "2-"},
            )
            results["pages_2_open_range"] = {
                "status": response.status_code,
                "pages": [p["number"] for p in response.json().get("pages", [])],
            }
            for options in ("[1,2,3]", "123", "null", "[" * 30000 + "]" * 30000):
                response = http.post(
                    "/v1/documents",
                    headers={"X-API-Key": KEY_A},
                    files={"file": (receipt.name, receipt.read_bytes())},
                    data={"options": options},
                )
                results.setdefault("options_not_an_object", []).append(
                    {
                        "options": options[:12],
                        "status": response.status_code,
                        "json": response.headers.get("content-type", "").startswith("application/json"),
                    }
                )
        results["server_rss_end_mb"] = server.rss_mb()
    finally:
        server.close()

    receipts = [(p.name, p.read_bytes()) for p in sorted(DATA.glob("*.jpg"))[: args.receipts]]
    one = throughput(1, receipts, args.clients)
    two = throughput(2, receipts, args.clients)
    results["throughput"] = {
        "workers_1": one,
        "workers_2": two,
        "ratio_2_over_1": round(two["receipts_per_second"] / one["receipts_per_second"], 2),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
