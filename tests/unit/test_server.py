"""HTTP API and client (fake engines; a real uvicorn server on loopback for the client)."""

from __future__ import annotations

import contextlib
import io
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

from clearocr.client import APIError, Client
from clearocr.document import Line, Word
from clearocr.engines import EngineInfo, OcrEngine, register_engine
from clearocr.options import ReadOptions
from clearocr.pipeline import Reader
from clearocr.server import ServerSettings, create_app, hash_key

KEY = "test-key-1"
AUTH = {"Authorization": f"Bearer {KEY}"}


@register_engine("gated")
class GatedEngine(OcrEngine):
    """Waits for ``gate`` before answering (to hold a job running), then sleeps ``delay`` seconds."""

    LANGUAGES = {"en": "en"}
    gate = threading.Event()
    delay = 0.0
    calls = 0

    @classmethod
    def info(cls) -> EngineInfo:
        return EngineInfo(cls.name, "gated 1.0", ["en"])

    def recognize(self, image: np.ndarray, languages: Sequence[str]) -> list[Line]:
        GatedEngine.gate.wait(10)
        time.sleep(GatedEngine.delay)
        GatedEngine.calls += 1
        box = (10, 10, 100, 30)
        return [Line("Hello", box, 0.9, [Word("Hello", box, 0.9)])]


def png(size=(300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG")
    return buffer.getvalue()


def make_app(tmp_path, engine="fake", **settings):
    options = ReadOptions(engine=engine, orientation=False)
    config = ServerSettings(
        api_key_hashes=[hash_key(KEY)],
        db_path=str(tmp_path / "jobs.sqlite3"),
        options=options,
        warm_up=False,
        **settings,
    )
    return create_app(config, reader=Reader(options))


@pytest.fixture
def api(tmp_path):
    GatedEngine.gate.set()
    with TestClient(make_app(tmp_path, max_upload_bytes=200_000)) as client:
        yield client


def test_auth_on_every_route_but_healthz(api):
    assert api.get("/healthz").status_code == 200
    for method, url in [
        ("get", "/readyz"),
        ("get", "/v1/jobs/x"),
        ("delete", "/v1/jobs/x"),
        ("get", "/openapi.json"),
        ("get", "/docs"),
    ]:
        response = getattr(api, method)(url)
        assert response.status_code == 401 and "API key" in response.json()["error"]["message"]
    assert api.post("/v1/documents", files={"file": ("a.png", png())}).status_code == 401
    assert api.get("/readyz", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert api.get("/readyz", headers={"X-API-Key": KEY}).json()["status"] == "ready"
    schema = api.get("/openapi.json", headers=AUTH).json()
    assert "/v1/documents" in schema["paths"] and "/v1/jobs/{job_id}" in schema["paths"]
    assert api.get("/docs", headers=AUTH).status_code == 200


def test_sync_read_returns_the_document_json(api):
    response = api.post(
        "/v1/documents",
        headers=AUTH,
        files={"file": ("scan.png", png())},
        data={"languages": "sv,en", "extract": "invoice"},
    )
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["schema"] == "clearocr.document/1" and document["source"] == "scan.png"
    assert "TOTAL" in document["pages"][0]["lines"][0]["text"]
    assert "fields" in document
    options = api.post(
        "/v1/documents",
        headers=AUTH,
        files={"file": ("s.png", png())},
        data={"options": '{"deskew": false, "pages": "1"}'},
    )
    assert options.status_code == 200


def test_bad_input_gets_a_json_error_naming_the_cause_and_serving_goes_on(api):
    response = api.post("/v1/documents", headers=AUTH, files={"file": ("broken.png", png()[:60])})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "CorruptInputError" and "broken.png" in error["message"]
    assert api.post("/v1/documents", headers=AUTH, files={"file": ("e.png", b"")}).status_code == 422
    assert (
        api.post("/v1/documents", headers=AUTH, files={"file": ("big.png", b"x" * 300_000)}).status_code
        == 413
    )
    bad = api.post("/v1/documents", headers=AUTH, files={"file": ("a.png", png())}, data={"dpi": "5"})
    assert bad.status_code == 422 and "dpi" in bad.json()["error"]["message"]
    unknown = api.post("/v1/documents", headers=AUTH, files={"file": ("a.png", png())}, data={"colour": "1"})
    assert unknown.status_code == 422 and "colour" in unknown.json()["error"]["message"]
    server_side = api.post(
        "/v1/documents", headers=AUTH, files={"file": ("a.png", png())}, data={"llm_model": "/etc/passwd"}
    )
    assert server_side.status_code == 422 and "server operator" in server_side.json()["error"]["message"]
    pages = api.post("/v1/documents", headers=AUTH, files={"file": ("a.png", png())}, data={"pages": "2"})
    assert pages.status_code == 422 and "1 page" in pages.json()["error"]["message"]
    assert api.post("/v1/documents", headers=AUTH, files={"file": ("ok.png", png())}).status_code == 200


def test_async_job_lifecycle(api):
    response = api.post("/v1/documents?async=true", headers=AUTH, files={"file": ("a.png", png())})
    assert response.status_code == 202 and response.headers["location"].startswith("/v1/jobs/")
    job_id = response.json()["id"]
    for _ in range(100):
        job = api.get(f"/v1/jobs/{job_id}", headers=AUTH).json()
        if job["status"] == "done":
            break
        time.sleep(0.05)
    assert job["status"] == "done" and job["runs"] == 1 and job["result"]["source"] == "a.png"
    assert api.delete(f"/v1/jobs/{job_id}", headers=AUTH).status_code == 204
    assert api.get(f"/v1/jobs/{job_id}", headers=AUTH).status_code == 404


def test_full_queue_is_503_with_retry_after(tmp_path):
    GatedEngine.gate.clear()
    try:
        with TestClient(make_app(tmp_path, engine="gated", queue_size=1)) as api:
            first = api.post("/v1/documents?async=true", headers=AUTH, files={"file": ("1.png", png())})
            second = api.post("/v1/documents?async=true", headers=AUTH, files={"file": ("2.png", png())})
            assert first.status_code == second.status_code == 202
            third = api.post("/v1/documents", headers=AUTH, files={"file": ("3.png", png())})
            assert third.status_code == 503 and int(third.headers["retry-after"]) >= 1
            GatedEngine.gate.set()
            ids = [first.json()["id"], second.json()["id"]]
            deadline = time.time() + 10
            while time.time() < deadline and any(
                api.get(f"/v1/jobs/{i}", headers=AUTH).json()["status"] != "done" for i in ids
            ):
                time.sleep(0.05)
            assert all(api.get(f"/v1/jobs/{i}", headers=AUTH).json()["status"] == "done" for i in ids)
    finally:
        GatedEngine.gate.set()


def test_queued_jobs_survive_a_restart_and_run_once(tmp_path):
    GatedEngine.gate.clear()
    GatedEngine.calls = 0
    try:
        with TestClient(make_app(tmp_path, engine="gated")) as api:
            ids = [
                api.post(
                    "/v1/documents?async=true", headers=AUTH, files={"file": (f"{i}.png", png())}
                ).json()["id"]
                for i in range(3)
            ]
            # Shutdown while job 0 is running and 1-2 are queued: the runner waits for job 0.
            threading.Timer(0.3, GatedEngine.gate.set).start()
        GatedEngine.gate.set()
        with TestClient(make_app(tmp_path, engine="gated")) as api:
            deadline = time.time() + 10
            jobs = []
            while time.time() < deadline:
                jobs = [api.get(f"/v1/jobs/{i}", headers=AUTH).json() for i in ids]
                if all(j["status"] == "done" for j in jobs):
                    break
                time.sleep(0.05)
        assert [j["status"] for j in jobs] == ["done"] * 3
        assert [j["runs"] for j in jobs] == [1, 1, 1] and GatedEngine.calls == 3
    finally:
        GatedEngine.gate.set()


def test_api_key_required_to_start(tmp_path):
    from clearocr.errors import OptionsError

    with pytest.raises(OptionsError, match="no API key"):
        create_app(ServerSettings(db_path=str(tmp_path / "j.sqlite3")))


def test_key_hashes_from_env_and_file(tmp_path):
    from clearocr.server import load_key_hashes

    keys_file = tmp_path / "keys"
    keys_file.write_text(f"# ops team\nsha256:{hash_key('b')}\n")
    assert load_key_hashes("a, ", keys_file) == [hash_key("a"), hash_key("b")]
    keys_file.write_text("plaintext-key\n")
    with pytest.raises(Exception, match="not a SHA-256"):
        load_key_hashes("", keys_file)


# --- the client against a real server on loopback ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(app):
    """A real uvicorn server for ``app`` on a free loopback port; yields its URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def live_server(tmp_path):
    GatedEngine.gate.set()
    GatedEngine.delay = 0.2
    with serving(make_app(tmp_path, engine="gated", queue_size=1)) as url:
        yield url
    GatedEngine.delay = 0.0


def test_client_retries_503s_until_every_request_succeeds(live_server):
    def read(i: int) -> tuple[dict, int]:
        with Client(live_server, api_key=KEY, backoff=0.05, max_backoff=1.0, retries=50) as client:
            return client.read(png(), filename=f"r{i}.png"), client.attempts

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(read, range(6)))
    assert sorted(doc["source"] for doc, _ in results) == [f"r{i}.png" for i in range(6)]
    assert sum(attempts for _, attempts in results) > 6  # some were refused with 503 and retried


def test_client_errors(live_server):
    with Client(live_server, api_key="wrong") as client:
        with pytest.raises(APIError) as info:
            client.read(png())
        assert info.value.status == 401 and info.value.attempts == 1  # not retried
    with Client(live_server, api_key=KEY) as client:
        with pytest.raises(APIError, match="broken.png") as info:
            client.read(png()[:50], filename="broken.png")
        assert info.value.status == 422
        job_id = client.submit(png(), filename="later.png")
        assert client.wait(job_id, timeout=10, delete=True)["source"] == "later.png"
    with Client(f"http://127.0.0.1:{_free_port()}", api_key=KEY, retries=3, backoff=0.01) as client:
        with pytest.raises(APIError, match="gave up after 3 attempts") as info:
            client.read(png())
        assert info.value.status == 0


def test_page_limit_and_slow_sync_request_becomes_a_job(tmp_path, samples):
    GatedEngine.gate.set()
    pdf = (samples / "invoice-3pages-scanned.pdf").read_bytes()
    with TestClient(make_app(tmp_path, max_pages=2)) as api:
        response = api.post("/v1/documents", headers=AUTH, files={"file": ("three.pdf", pdf)})
        assert response.status_code == 413 and "3 pages" in response.json()["error"]["message"]
        one_page = api.post(
            "/v1/documents",
            headers=AUTH,
            files={"file": ("three.pdf", pdf)},
            data={"pages": "2", "dpi": "72"},
        )
        assert one_page.status_code == 200 and [p["number"] for p in one_page.json()["pages"]] == [2]
    GatedEngine.gate.clear()
    try:
        with TestClient(make_app(tmp_path / "slow", engine="gated", request_timeout=0.2)) as api:
            response = api.post("/v1/documents", headers=AUTH, files={"file": ("slow.png", png())})
            assert response.status_code == 202  # the wait ran out: the job goes on, poll it
            job_id = response.json()["id"]
            GatedEngine.gate.set()
            deadline = time.time() + 10
            while (
                api.get(f"/v1/jobs/{job_id}", headers=AUTH).json()["status"] != "done"
                and time.time() < deadline
            ):
                time.sleep(0.05)
            assert api.get(f"/v1/jobs/{job_id}", headers=AUTH).json()["result"]["source"] == "slow.png"
    finally:
        GatedEngine.gate.set()


def test_review_page_of_a_job(api):
    """GET /v1/documents/{id}/review: the job's review page, behind the key and its owner; 409 until done."""
    response = api.post("/v1/documents?async=true", headers=AUTH, files={"file": ("a.png", png())})
    job_id = response.json()["id"]
    for _ in range(100):
        if api.get(f"/v1/jobs/{job_id}", headers=AUTH).json()["status"] == "done":
            break
        time.sleep(0.05)
    assert api.get(f"/v1/documents/{job_id}/review").status_code == 401
    page = api.get(f"/v1/documents/{job_id}/review", headers=AUTH)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<title>clearocr review: a.png</title>" in html and "data:image/jpeg;base64," in html
    assert html.count('class="word"') == 3  # the fake engine's three words
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched
    assert api.get("/v1/documents/nope/review", headers=AUTH).status_code == 404
    GatedEngine.gate.clear()
    try:
        pending = api.post(
            "/v1/documents?async=true",
            headers=AUTH,
            files={"file": ("b.png", png())},
            data={"engine": "gated"},
        ).json()["id"]
        assert api.get(f"/v1/documents/{pending}/review", headers=AUTH).status_code == 409
    finally:
        GatedEngine.gate.set()


CLIENT_ID, CLIENT_SECRET = "acme-books", "s3cret-for-tests"


def make_oauth_app(tmp_path, **settings):
    options = ReadOptions(engine="fake", orientation=False)
    config = ServerSettings(
        api_key_hashes=[hash_key(KEY)],
        client_secret_hashes={CLIENT_ID: hash_key(CLIENT_SECRET)},
        db_path=str(tmp_path / "jobs.sqlite3"),
        options=options,
        warm_up=False,
        **settings,
    )
    return create_app(config, reader=Reader(options))


def test_oauth_client_credentials_token_endpoint(tmp_path):
    """POST /v1/token (RFC 6749 section 4.4): form or HTTP Basic credentials, errors as section 5.2 says;
    the token authenticates like a key, and a client's jobs are its own across tokens."""
    with TestClient(make_oauth_app(tmp_path)) as api:
        bad_grant = api.post(
            "/v1/token",
            data={"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
        assert bad_grant.status_code == 400 and bad_grant.json()["error"] == "unsupported_grant_type"
        missing = api.post("/v1/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID})
        assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
        wrong = api.post(
            "/v1/token",
            data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "nope"},
        )
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        unknown = api.post(
            "/v1/token", auth=("someone", CLIENT_SECRET), data={"grant_type": "client_credentials"}
        )
        assert unknown.status_code == 401
        form = api.post(
            "/v1/token",
            data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
        assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
        body = form.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 900 and len(body["access_token"]) > 40
        basic = api.post(
            "/v1/token", auth=(CLIENT_ID, CLIENT_SECRET), data={"grant_type": "client_credentials"}
        )
        assert basic.status_code == 200 and basic.json()["access_token"] != body["access_token"]
        first = {"Authorization": f"Bearer {body['access_token']}"}
        second = {"Authorization": f"Bearer {basic.json()['access_token']}"}
        assert api.get("/readyz", headers=first).status_code == 200
        assert api.get("/readyz", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
        job = api.post("/v1/documents?async=true", headers=first, files={"file": ("a.png", png())}).json()[
            "id"
        ]
        assert api.get(f"/v1/jobs/{job}", headers=second).status_code == 200  # same client, other token
        assert api.get(f"/v1/jobs/{job}", headers=AUTH).status_code == 404  # an API key is another owner


def test_client_with_client_credentials_renews_its_token(tmp_path):
    """clearocr.client.Client(client_id=, client_secret=) against a real server on loopback: reads,
    renews an expired token by itself, and a wrong secret is an AuthenticationError (an OcrException)."""
    from clearocr.client import AuthenticationError
    from clearocr.exceptions import OcrException

    with serving(make_oauth_app(tmp_path, token_ttl=1.0)) as url:
        with Client(url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
            assert client.read(png(), filename="one.png")["source"] == "one.png"
            time.sleep(1.2)  # the token has expired
            assert client.read(png(), filename="two.png")["source"] == "two.png"
        with Client(url, client_id=CLIENT_ID, client_secret="wrong") as client:
            with pytest.raises(AuthenticationError) as refused:
                client.read(png())
            assert isinstance(refused.value, OcrException) and "invalid_client" in str(refused.value)
