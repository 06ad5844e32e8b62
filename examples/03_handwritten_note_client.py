"""Tutorial flow 3 (seed 002): a handwritten note through an OCR *service* with credentials,
upscaling a low-resolution image first, and retries. The cloud service becomes a local
``clearocr serve`` (started here on loopback) that knows the client id and secret (OAuth 2.0 client
credentials: the engine gets a bearer token from the server's ``POST /v1/token``); the client retries
503/429/connection errors with backoff and jitter itself, and the tutorial's ``safe_recognize`` loop,
catching ``ocr.exceptions.OcrException``, still works on top.

    python examples/03_handwritten_note_client.py [IMAGE]
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

import clearocr.engine as ocr  # was: import asposeocrcloud as ocr
from clearocr.ai import AI
from clearocr.client import Client

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "handwritten-note.png"
IMAGE_PATH = sys.argv[1] if len(sys.argv) > 1 else str(SAMPLE)

# --- a local service instead of the cloud, with this client registered ------------------------------
CLIENT_ID = "handwriting-demo"
CLIENT_SECRET = secrets.token_urlsafe(16)
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    PORT = probe.getsockname()[1]
workdir = tempfile.mkdtemp()
server = subprocess.Popen(
    [
        sys.executable,
        "-m",
        "clearocr",
        "serve",
        "--port",
        str(PORT),
        "--db",
        os.path.join(workdir, "jobs.sqlite3"),
    ],
    env={**os.environ, "CLEAROCR_CLIENTS": f"{CLIENT_ID}:{CLIENT_SECRET}"},
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)


def upscale_image(path, min_pixels=600):
    img = Image.open(path)
    width, height = img.size
    if width < min_pixels or height < min_pixels:
        img = img.resize((width * 2, height * 2), Image.LANCZOS)
        path = os.path.join(workdir, "upscaled.png")  # a temp file: the input stays as it was
        img.save(path)
    return path


def safe_recognize(engine, retries=3, backoff=2):
    for attempt in range(1, retries + 1):
        try:
            return engine.recognize()
        except ocr.exceptions.OcrException as e:
            print(f"Attempt {attempt} failed: {e}")
            if attempt < retries:
                time.sleep(backoff * attempt)
    raise RuntimeError("All OCR attempts failed.")


try:
    with Client(f"http://127.0.0.1:{PORT}") as probe:  # wait for the server to start
        deadline = time.time() + 60
        while not probe.healthy() and time.time() < deadline:
            time.sleep(0.2)
    ocr_engine = ocr.OcrEngine(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=f"http://127.0.0.1:{PORT}"
    )

    upscaled_path = upscale_image(IMAGE_PATH)
    ocr_engine.load_image(upscaled_path)
    ocr_engine.set_recognition_mode(ocr.RecognitionMode.HANDWRITTEN)
    result = safe_recognize(ocr_engine)

    print("\n=== Recognized Text ===")
    print(result.text)

    ai = AI()
    ai.set_post_processor("spell_check", None)  # guarded: no invented words, numbers left alone
    print("\n=== Corrected Text ===")
    print(ai.run_postprocessor(result).text)
    ai.free_resources()
    ocr_engine.dispose()
finally:
    server.terminate()
    server.wait(30)
    shutil.rmtree(workdir, ignore_errors=True)
