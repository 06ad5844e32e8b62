"""Load benchmark for ``clearocr serve`` (not a test): concurrent clients posting real receipts.

Starts the server in a subprocess on loopback, then ``--clients`` threads, each with its own
:class:`clearocr.client.Client` (retries on 503 with Retry-After), post SROIE receipts round-robin
until ``--requests`` have completed. Reports throughput, p50/p95 latency (a request's latency
includes its retries), errors, 503s that were retried, and the server's RSS after the first 100
and after all requests.

    python benchmarks/server_load.py --clients 50 --requests 1000 --json benchmarks/results/server_load.json
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from clearocr.client import APIError, Client

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "sroie2019" / "img"
KEY = "load-benchmark-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--receipts", type=int, default=20, help="distinct SROIE receipts to cycle through")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--queue-size", type=int, default=32)
    parser.add_argument("--json", type=Path, help="save the results here")
    args = parser.parse_args()

    receipts = sorted(DATA.glob("*.jpg"))[: args.receipts]
    payloads = [(p.name, p.read_bytes()) for p in receipts]
    port = free_port()
    db = Path("/tmp") / f"clearocr-load-{port}.sqlite3"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clearocr",
            "serve",
            "--port",
            str(port),
            "--db",
            str(db),
            "--workers",
            str(args.workers),
            "--queue-size",
            str(args.queue_size),
        ],
        env={**os.environ, "CLEAROCR_API_KEYS": KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    probe = Client(base, api_key=KEY)
    while not probe.healthy():
        if server.poll() is not None:
            raise SystemExit("server failed to start")
        time.sleep(0.2)
    server_process = psutil.Process(server.pid)
    rss_start = server_process.memory_info().rss

    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    attempts = 0
    issued = 0
    rss_at: dict[int, int] = {}

    def worker() -> None:
        nonlocal attempts, issued
        with Client(
            base, api_key=KEY, retries=100, backoff=0.5, max_backoff=20, max_retry_time=1800
        ) as client:
            while True:
                with lock:
                    if issued >= args.requests:
                        break
                    index = issued
                    issued += 1
                name, data = payloads[index % len(payloads)]
                started = time.perf_counter()
                try:
                    document = client.read(data, filename=name)
                    ok = document.get("source") == name and document["pages"]
                except APIError as exc:
                    ok = False
                    with lock:
                        errors.append(str(exc))
                elapsed = time.perf_counter() - started
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    done = len(latencies) + len(errors)
                    if done in (100, args.requests):
                        rss_at[done] = server_process.memory_info().rss
            with lock:
                attempts += client.attempts

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    rss_end = server_process.memory_info().rss
    server.terminate()
    server.wait(30)
    import sqlite3

    with sqlite3.connect(db) as connection:  # jobs left behind (the client deletes what it has read)
        jobs_left = connection.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
    db_bytes = sum(
        Path(str(db) + suffix).stat().st_size
        for suffix in ("", "-wal", "-shm")
        if Path(str(db) + suffix).exists()
    )
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)

    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    mb = 1024 * 1024
    results = {
        "clients": args.clients,
        "requests": args.requests,
        "workers": args.workers,
        "queue_size": args.queue_size,
        "ok": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "retried_attempts": attempts - args.requests,
        "throughput_rps": round(len(latencies) / wall, 3),
        "wall_s": round(wall, 1),
        "latency_p50_s": round(quantiles[49], 2),
        "latency_p95_s": round(quantiles[94], 2),
        "rss_start_mb": round(rss_start / mb, 1),
        "rss_after_100_mb": round(rss_at.get(100, 0) / mb, 1),
        f"rss_after_{args.requests}_mb": round(rss_at.get(args.requests, 0) / mb, 1),
        "rss_end_mb": round(rss_end / mb, 1),
        "jobs_left_in_db": jobs_left,
        "db_bytes": db_bytes,
        "cpu_count": os.cpu_count(),
    }
    print("| metric | value |\n|---|---|")
    for key, value in results.items():
        if key != "error_samples":
            print(f"| {key} | {value} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
