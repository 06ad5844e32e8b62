"""The real server in a subprocess: killed (SIGKILL) with queued jobs, restarted, every job finishes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

pytest.importorskip("fastapi")
from clearocr.client import Client

pytestmark = pytest.mark.slow
KEY = "restart-test-key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(db, port):
    env = {**os.environ, "CLEAROCR_API_KEYS": KEY}
    process = subprocess.Popen(
        [sys.executable, "-m", "clearocr", "serve", "--port", str(port), "--db", str(db)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    client = Client(f"http://127.0.0.1:{port}", api_key=KEY, retries=3, backoff=0.1)
    deadline = time.time() + 60
    while not client.healthy():
        if process.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"server did not start: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    return process, client


def test_kill_with_queued_jobs_then_restart_finishes_every_job_once(tmp_path, samples):
    db = tmp_path / "jobs.sqlite3"
    port = _free_port()
    process, client = _start(db, port)
    try:
        ids = [
            client.submit(samples / "invoice.png", filename=f"job{i}.png", orientation=False)
            for i in range(4)
        ]
        deadline = time.time() + 60
        while client.job(ids[0])["status"] != "done" and time.time() < deadline:
            time.sleep(0.05)
        statuses = [client.job(i)["status"] for i in ids]
        assert statuses[0] == "done" and "queued" in statuses, statuses
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        client.close()

    process, client = _start(db, port)
    try:
        results = [client.wait(i, timeout=120, delete=False) for i in ids]  # kept to read their runs
        jobs = [client.job(i) for i in ids]
    finally:
        process.terminate()
        process.wait(20)
        client.close()
    assert [r["source"] for r in results] == [f"job{i}.png" for i in range(4)]
    assert all("INV-2024-00172" in " ".join(ln["text"] for ln in r["pages"][0]["lines"]) for r in results)
    # Completed once each; only a job running at the kill is started a second time.
    runs = [j["runs"] for j in jobs]
    assert runs[0] == 1 and all(r in (1, 2) for r in runs) and runs.count(2) <= 1, runs
