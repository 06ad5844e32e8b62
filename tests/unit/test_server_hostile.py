"""The HTTP API under hostile or careless clients: auth before the body, a streaming upload cap, JSON
errors for every failure, jobs owned by their key, expiry, an attempt cap, Idempotency-Key and parallel
workers. Fake engines; the byte-level tests use a real uvicorn server on loopback and raw sockets."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi")
import uvicorn
from fastapi.testclient import TestClient

from clearocr.client import Client
from clearocr.document import Line, Word
from clearocr.engines import EngineInfo, OcrEngine, register_engine
from clearocr.options import ReadOptions
from clearocr.pipeline import Reader
from clearocr.server import ServerSettings, create_app, hash_key
from clearocr.server.jobs import FAILED, QUEUED, JobStore
from clearocr.testing.http import chunked_upload

KEY_A, KEY_B = "key-a", "key-b"
AUTH_A = {"Authorization": f"Bearer {KEY_A}"}
AUTH_B = {"X-API-Key": KEY_B}


@register_engine("sleepy")
class SleepyEngine(OcrEngine):
    """Sleeps ``delay`` seconds per page (the GIL is released, as in onnxruntime); counts its calls."""

    LANGUAGES = {"en": "en"}
    delay = 0.0
    calls = 0
    lock = threading.Lock()

    @classmethod
    def info(cls) -> EngineInfo:
        return EngineInfo(cls.name, "sleepy 1.0", ["en"])

    def recognize(self, image: np.ndarray, languages: Sequence[str]) -> list[Line]:
        time.sleep(SleepyEngine.delay)
        with SleepyEngine.lock:
            SleepyEngine.calls += 1
        box = (10, 10, 100, 30)
        return [Line("Hello", box, 0.9, [Word("Hello", box, 0.9)])]


def png(size=(300, 200), colour="white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def settings(tmp_path, engine="sleepy", **extra) -> ServerSettings:
    return ServerSettings(
        api_key_hashes=[hash_key(KEY_A), hash_key(KEY_B)],
        db_path=str(tmp_path / "jobs.sqlite3"),
        options=ReadOptions(engine=engine, orientation=False),
        warm_up=False,
        **extra,
    )


@pytest.fixture
def api(tmp_path):
    SleepyEngine.delay = 0.0
    config = settings(tmp_path, max_upload_bytes=1_000_000)
    with TestClient(
        create_app(config, reader=Reader(config.options)), raise_server_exceptions=False
    ) as client:
        yield client


def _error(response) -> dict:
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    return response.json()["error"]


def test_options_that_are_not_a_json_object_get_422_json(api):
    deep = "[" * 30_000 + "]" * 30_000  # far past json's recursion limit
    for options in ("[1,2,3]", "123", "null", '"en"', "{not json", deep, json.dumps({"x": "y" * 70_000})):
        response = api.post(
            "/v1/documents", headers=AUTH_A, files={"file": ("a.png", png())}, data={"options": options}
        )
        assert response.status_code == 422, (options[:20], response.text[:200])
        assert _error(response)["type"] == "OptionsError"


def test_open_page_range_is_an_ordinary_request(api, samples):
    pdf = (samples / "invoice-3pages-scanned.pdf").read_bytes()
    response = api.post(
        "/v1/documents", headers=AUTH_A, files={"file": ("three.pdf", pdf)}, data={"pages": "2-", "dpi": "72"}
    )
    assert response.status_code == 200
    assert [p["number"] for p in response.json()["pages"]] == [2, 3]
    response = api.post(
        "/v1/documents", headers=AUTH_A, files={"file": ("three.pdf", pdf)}, data={"pages": "4-"}
    )
    assert response.status_code == 422 and "3 page(s)" in _error(response)["message"]


def test_operator_caps_on_dpi_and_max_side(api):
    for field, value in (("dpi", "1200"), ("max_side", "20000")):
        response = api.post(
            "/v1/documents", headers=AUTH_A, files={"file": ("a.png", png())}, data={field: value}
        )
        assert response.status_code == 422 and "server's limit" in _error(response)["message"]


def test_every_failure_is_json_including_404_405_and_500(api, monkeypatch):
    assert _error(api.get("/nowhere", headers=AUTH_A))["type"] == "NotFound"
    assert _error(api.put("/v1/documents", headers=AUTH_A))["type"] == "MethodNotAllowed"
    assert _error(api.get("/nowhere"))["type"] == "Unauthorized"  # auth comes first, even for 404s

    def broken() -> int:
        raise RuntimeError("disk on fire")

    from clearocr.server import jobs

    monkeypatch.setattr(jobs.JobStore, "pending", lambda self: broken())
    response = api.post("/v1/documents", headers=AUTH_A, files={"file": ("a.png", png())})
    assert response.status_code == 500
    error = _error(response)
    assert error["type"] == "InternalServerError" and "disk on fire" not in error["message"]


def test_a_key_sees_and_deletes_only_its_own_jobs(api):
    job = api.post("/v1/documents?async=true", headers=AUTH_A, files={"file": ("a.png", png())}).json()
    assert api.get(f"/v1/jobs/{job['id']}", headers=AUTH_B).status_code == 404
    assert api.delete(f"/v1/jobs/{job['id']}", headers=AUTH_B).status_code == 404
    assert api.get(f"/v1/jobs/{job['id']}", headers=AUTH_A).status_code == 200
    assert api.delete(f"/v1/jobs/{job['id']}", headers=AUTH_A).status_code == 204


def test_idempotency_key_makes_a_retried_post_one_job(api):
    SleepyEngine.calls = 0
    headers = {**AUTH_A, "Idempotency-Key": "upload-1"}
    first = api.post("/v1/documents?async=true", headers=headers, files={"file": ("a.png", png())})
    second = api.post("/v1/documents?async=true", headers=headers, files={"file": ("a.png", png())})
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    # The same key from another API key is another client's upload.
    other = api.post(
        "/v1/documents?async=true",
        headers={**AUTH_B, "Idempotency-Key": "upload-1"},
        files={"file": ("a.png", png())},
    )
    assert other.json()["id"] != first.json()["id"]
    # The same key for a different document is a client bug: 409, nothing queued.
    conflict = api.post(
        "/v1/documents?async=true", headers=headers, files={"file": ("b.png", png(colour="grey"))}
    )
    assert conflict.status_code == 409 and _error(conflict)["type"] == "IdempotencyConflict"
    # A synchronous retry of a finished upload answers from the stored job, which says its id.
    sync = api.post(
        "/v1/documents", headers={**AUTH_A, "Idempotency-Key": "upload-2"}, files={"file": ("c.png", png())}
    )
    again = api.post(
        "/v1/documents", headers={**AUTH_A, "Idempotency-Key": "upload-2"}, files={"file": ("c.png", png())}
    )
    assert (
        sync.status_code == again.status_code == 200 and sync.headers["x-job-id"] == again.headers["x-job-id"]
    )
    deadline = time.time() + 10
    while (
        api.get(f"/v1/jobs/{first.json()['id']}", headers=AUTH_A).json()["status"] != "done"
        and time.time() < deadline
    ):
        time.sleep(0.02)
    assert SleepyEngine.calls == 3  # a, the other client's a, c


def test_finished_jobs_expire(tmp_path):
    config = settings(tmp_path, result_ttl=0.3)
    with TestClient(create_app(config, reader=Reader(config.options))) as api:
        job = api.post("/v1/documents?async=true", headers=AUTH_A, files={"file": ("a.png", png())}).json()
        assert job["expires"] is None
        deadline = time.time() + 5
        while (
            status := api.get(f"/v1/jobs/{job['id']}", headers=AUTH_A)
        ).status_code == 200 and time.time() < deadline:
            if status.json()["status"] == "done":
                assert status.json()["expires"] == pytest.approx(status.json()["finished"] + 0.3)
            time.sleep(0.05)
        assert status.status_code == 404


def test_a_job_the_server_keeps_dying_on_is_failed_after_max_attempts(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    job_id, _ = store.add(b"data", "killer.pdf", {}, sync=False, owner="o")
    for attempt in range(3):
        claimed = store.claim()
        assert claimed is not None and claimed[0].runs == attempt + 1
        store.recover(max_attempts=3)  # the process died while reading it
    job = store.get(job_id)
    assert job.status == FAILED and job.error["type"] == "JobAbandoned" and "3 times" in job.error["message"]
    assert store.claim() is None
    other, _ = store.add(b"data", "fine.pdf", {}, sync=False, owner="o")
    store.claim()
    store.recover(max_attempts=3)
    assert store.get(other).status == QUEUED
    store.close()


def test_workers_read_in_parallel_each_with_its_own_reader(tmp_path):
    SleepyEngine.delay = 0.5
    try:
        timings = {}
        for workers in (1, 2):
            config = settings(tmp_path / str(workers), workers=workers)
            with TestClient(create_app(config)) as api:  # no shared reader: one per worker

                def post(i: int) -> int:
                    return api.post(
                        "/v1/documents", headers=AUTH_A, files={"file": (f"{i}.png", png())}
                    ).status_code

                started = time.perf_counter()
                with ThreadPoolExecutor(4) as pool:
                    assert list(pool.map(post, range(4))) == [200] * 4
                timings[workers] = time.perf_counter() - started
        assert timings[2] < timings[1] * 0.75, timings
    finally:
        SleepyEngine.delay = 0.0


# --- byte level, against a real server ----------------------------------------------------------------


@pytest.fixture
def live(tmp_path):
    SleepyEngine.delay = 0.0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = settings(tmp_path, max_upload_bytes=1_000_000)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, reader=Reader(config.options)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(10)


def test_unauthenticated_chunked_upload_is_refused_before_its_body(live):
    status, sent, _, _ = chunked_upload(live, {"Authorization": "Bearer wrong"}, 600 * 1024 * 1024)
    assert status == 401
    assert sent < 16 * 1024 * 1024  # what the socket buffers took before the answer arrived


def test_authenticated_chunked_upload_over_the_cap_is_413_while_streaming(live):
    status, sent, _, _ = chunked_upload(live, AUTH_A, 600 * 1024 * 1024)
    assert status == 413
    assert sent < 32 * 1024 * 1024


def test_client_retry_after_a_timeout_makes_one_job(live):
    """The client's read timeout fires while the server reads; its retry carries the same
    Idempotency-Key and gets the first job's result."""
    SleepyEngine.delay = 1.0
    SleepyEngine.calls = 0
    try:
        with Client(
            f"http://127.0.0.1:{live}", api_key=KEY_A, timeout=0.4, retries=10, backoff=0.2
        ) as client:
            document = client.read(png(), filename="slow.png")
        assert document["source"] == "slow.png"
        time.sleep(0.2)
        assert SleepyEngine.calls == 1
    finally:
        SleepyEngine.delay = 0.0
