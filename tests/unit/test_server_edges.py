"""The HTTP API's edges (issue 26, items 14-18): an unknown engine is the client's error, connections and
header time are bounded, the token endpoint throttles failures and answers RFC 6749 errors, malformed
requests get JSON, and a synchronous request nobody waits for stops being read. A real uvicorn server
on loopback (with the protocol `clearocr serve` uses) and raw sockets where the bytes matter."""

from __future__ import annotations

import base64
import io
import socket
import threading
import time

import pytest
from PIL import Image

pytest.importorskip("fastapi")
import uvicorn
from fastapi.testclient import TestClient

from clearocr.client import APIError, Client
from clearocr.options import ReadOptions
from clearocr.pipeline import Reader
from clearocr.server import ServerSettings, create_app, hash_key
from clearocr.server.jobs import JobStore
from clearocr.server.protocol import uvicorn_config
from tests.unit.test_server_hostile import SleepyEngine

KEY = "edge-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


def _png(colour="white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _tiff(pages: int) -> bytes:
    frames = [Image.new("RGB", (300, 200), (255, 255, 255 - i)) for i in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def _settings(tmp_path, **extra) -> ServerSettings:
    return ServerSettings(
        api_key_hashes=[hash_key(KEY)],
        client_secret_hashes={"scanner": hash_key("right-secret")},
        db_path=str(tmp_path / "jobs.sqlite3"),
        options=ReadOptions(engine="sleepy", orientation=False, deskew=False),
        warm_up=False,
        **extra,
    )


@pytest.fixture
def api(tmp_path):
    SleepyEngine.delay = 0.0
    config = _settings(tmp_path)
    with TestClient(
        create_app(config, reader=Reader(config.options)), raise_server_exceptions=False
    ) as client:
        yield client, config


class _Live:
    def __init__(self, tmp_path, **extra) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.config = _settings(tmp_path, **extra)
        application = create_app(self.config, reader=Reader(self.config.options))
        self.server = uvicorn.Server(
            uvicorn_config(application, self.config, "127.0.0.1", self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _Live:
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started and time.time() < deadline:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _raw(port: int, data: bytes, source: str = "127.0.0.1", timeout: float = 5) -> bytes:
    with socket.socket() as sock:
        sock.settimeout(timeout)
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(data)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (TimeoutError, ConnectionError):
            pass
        return b"".join(chunks)


# --- item 14: an unknown engine ------------------------------------------------------------------


def test_unknown_engine_is_422_and_the_client_does_not_retry(api, tmp_path):
    client, config = api
    response = client.post(
        "/v1/documents", headers=AUTH, files={"file": ("a.png", _png())}, data={"engine": "nope"}
    )
    assert response.status_code == 422 and "retry-after" not in response.headers
    assert (
        response.json()["error"]["type"] == "OptionsError" and "nope" in response.json()["error"]["message"]
    )
    response = client.post(
        "/v1/documents", headers=AUTH, files={"file": ("a.png", _png())}, data={"languages": "xx"}
    )
    assert response.status_code == 422 and response.json()["error"]["type"] == "UnsupportedLanguageError"
    store = JobStore(config.db_path)
    try:
        assert store.pending() == 0
        assert store._db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 0
    finally:
        store.close()


def test_python_client_gives_up_on_422_at_once(tmp_path):
    with _Live(tmp_path) as live:
        started = time.perf_counter()
        with Client(f"http://127.0.0.1:{live.port}", api_key=KEY, retries=8, backoff=0.5) as client:
            with pytest.raises(APIError) as info:
                client.read(_png(), filename="a.png", engine="nope")
        assert info.value.status == 422 and info.value.attempts == 1
        assert time.perf_counter() - started < 5


# --- item 15: bounded connections and header time -------------------------------------------------


def test_slow_header_connections_cannot_starve_other_clients(tmp_path):
    with _Live(tmp_path, max_connections=40, max_connections_per_client=10, header_timeout=1.0) as live:
        slow = []
        for _ in range(30):  # a slowloris: 30 connections that never finish their headers
            sock = socket.create_connection(("127.0.0.1", live.port), timeout=5)
            sock.sendall(b"POST /v1/documents HTTP/1.1\r\nHo")
            slow.append(sock)
        try:
            # Another client still gets an answer at once.
            answer = _raw(
                live.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", "127.0.0.2"
            )
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            # Beyond the per-address cap, connections are refused with JSON and Retry-After.
            refused = [s for s in slow if _peek(s, 0.3).startswith(b"HTTP/1.1 503")]
            assert len(refused) == 20
            assert b'"TooManyConnections"' in _peek(refused[0], 0.5)
            assert b"retry-after: 5" in _peek(refused[0], 0.5).lower()
            # The ones that were let in are closed with 408 once their header time is up.
            time.sleep(1.5)
            kept = [s for s in slow if s not in refused]
            assert all(_peek(s, 1.0).startswith(b"HTTP/1.1 408") for s in kept)
        finally:
            for sock in slow:
                sock.close()


def _peek(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    try:
        data = sock.recv(4096, socket.MSG_PEEK)
    except (TimeoutError, ConnectionError):
        return b""
    return data


# --- item 16: the token endpoint -------------------------------------------------------------------


def test_token_failures_are_throttled_even_for_the_right_secret(api):
    client, _ = api
    for _ in range(10):
        response = client.post(
            "/v1/token",
            data={"grant_type": "client_credentials", "client_id": "scanner", "client_secret": "no"},
        )
        assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    response = client.post(
        "/v1/token",
        data={"grant_type": "client_credentials", "client_id": "scanner", "client_secret": "right-secret"},
    )
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    assert response.json()["error"] == "too_many_requests"


def test_token_errors_follow_rfc_6749(api):
    client, _ = api
    response = client.post("/v1/token", data={"client_id": "scanner", "client_secret": "right-secret"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert "grant_type" in response.json()["error_description"]
    for header in ("Basic !!!not-base64", "Basic " + base64.b64encode(b"no-colon").decode()):
        response = client.post(
            "/v1/token", headers={"Authorization": header}, data={"grant_type": "client_credentials"}
        )
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    good = "Basic " + base64.b64encode(b"scanner:right-secret").decode()
    response = client.post(
        "/v1/token", headers={"Authorization": good}, data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


# --- item 17: JSON for malformed requests, one file per request ---------------------------------


def test_malformed_requests_get_json_errors(tmp_path):
    with _Live(tmp_path) as live:
        huge = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-API-Key: " + b"k" * 1_000_000 + b"\r\n\r\n"
        for request in (
            huge,
            b"POST /v1/documents HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n",
        ):
            answer = _raw(live.port, request)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head, answer[:300]
            assert b'"BadRequest"' in body


def test_an_option_named_options_is_an_unknown_option_not_a_500(api):
    client, _ = api
    response = client.post(
        "/v1/documents",
        headers=AUTH,
        files={"file": ("a.png", _png())},
        data={"options": '{"options": {"dpi": 300}}'},
    )
    assert response.status_code == 422 and "options" in response.json()["error"]["message"]


def test_a_second_file_part_is_refused(api):
    client, _ = api
    response = client.post(
        "/v1/documents", headers=AUTH, files=[("file", ("a.png", _png())), ("file", ("b.png", _png("black")))]
    )
    assert response.status_code == 422 and "one document per request" in response.json()["error"]["message"]


# --- item 18: a synchronous request whose client went away ---------------------------------------


def test_work_for_a_disconnected_synchronous_request_stops(tmp_path):
    SleepyEngine.delay = 0.6
    SleepyEngine.calls = 0
    try:
        with _Live(tmp_path) as live:
            data = _tiff(5)
            boundary = "XyZ"
            body = (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="five.tif"\r\n'
                    "Content-Type: image/tiff\r\n\r\n"
                ).encode()
                + data
                + f"\r\n--{boundary}--\r\n".encode()
            )
            head = (
                "POST /v1/documents HTTP/1.1\r\nHost: t\r\n"
                f"Authorization: Bearer {KEY}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            with socket.create_connection(("127.0.0.1", live.port)) as sock:
                sock.sendall(head + body)
                time.sleep(0.8)  # the first page is being read
            time.sleep(3.5)  # five pages would take 3 s: the job stopped long before
            assert SleepyEngine.calls <= 3, SleepyEngine.calls
            store = JobStore(live.config.db_path)
            try:
                assert store._db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 0
            finally:
                store.close()
    finally:
        SleepyEngine.delay = 0.0
