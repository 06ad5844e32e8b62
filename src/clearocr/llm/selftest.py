"""Self-test of the llama.cpp build, in a child process, before a GGUF model is first used in-process.

llama-cpp-python compiles llama.cpp on install for the CPU it builds on (``GGML_NATIVE=ON``). Some such
builds die natively on the first decode: on virtual machines with AMX-capable Xeons, 0.3.36 faults in
``ggml_backend_amx_mul_mat`` (SIGSEGV), which would kill the caller and every document it had not
written yet. So before :class:`~clearocr.llm.llamacpp.LlamaCppBackend` loads a model, a child process
(``python -m clearocr.llm.selftest``) loads the same file and decodes real tokens on the same paths
the backend uses (a batch with logits for every position, then greedy generation):

1. it passes: the model is used as is;
2. it dies: a second child tries with llama.cpp's *extra buffer types* off (``use_extra_bufts=False``:
   no weight repacking, which is where the AMX kernels live). If that passes, the backend loads that
   way (slower, with a warning naming the rebuild command);
3. both die: :class:`LLMBuildError` says which signal killed the decode and how to rebuild.

Results are cached per build (the version, size and mtime of the shared libraries), model file and
GPU offload in ``~/.cache/clearocr/llm-selftest.json``, so the check costs one child process per build
and model (about 1-5 s). ``CLEAROCR_LLM_SELFTEST=0`` skips it (at the caller's risk).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from clearocr.errors import LLMBuildError

log = logging.getLogger("clearocr.llm")

#: How a user rebuilds llama-cpp-python portably (no -march=native, so no AMX), with the pinned version.
REBUILD_COMMAND = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install --force-reinstall --no-cache-dir --no-deps llama-cpp-python=={version}"
)
PROMPT = "The capital of France is"
DEFAULT_TIMEOUT = 300.0
_lock = threading.Lock()  # one self-test at a time
_params_lock = threading.Lock()  # one patched model load at a time


@dataclass
class SelfTestResult:
    """Outcome of the self-test for one build, model and GPU offload.

    Attributes:
        ok: the model decodes (possibly only with extra buffer types off).
        extra_bufts: whether llama.cpp's extra buffer types (weight repacking, AMX) may be used.
        detail: what happened, e.g. ``"decoded ' Paris'"`` or ``"killed by SIGSEGV"``.
    """

    ok: bool
    extra_bufts: bool
    detail: str


def cache_path() -> Path:
    """Where results are cached (``$CLEAROCR_CACHE_DIR`` or ``~/.cache/clearocr``)."""
    root = Path(os.environ.get("CLEAROCR_CACHE_DIR", Path.home() / ".cache" / "clearocr"))
    return root / "llm-selftest.json"


def build_fingerprint() -> str:
    """Version, size and mtime of llama-cpp-python's shared libraries: a rebuild changes it."""
    import llama_cpp

    lib = Path(llama_cpp.__file__).parent / "lib"
    parts = [getattr(llama_cpp, "__version__", "?")]
    for library in sorted(lib.glob("*.so*")) + sorted(lib.glob("*.dylib")) + sorted(lib.glob("*.dll")):
        stat = library.stat()
        parts.append(f"{library.name}:{stat.st_size}:{int(stat.st_mtime)}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _key(model_path: Path, n_gpu_layers: int) -> str:
    stat = model_path.stat()
    return f"{build_fingerprint()}|{model_path.resolve()}|{stat.st_size}|{int(stat.st_mtime)}|gpu={n_gpu_layers != 0}"


def _load_cache() -> dict[str, Any]:
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_cache(key: str, result: SelfTestResult) -> None:
    data = _load_cache()
    data[key] = asdict(result)
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:  # a read-only home: the check just runs again next time
        log.debug("cannot cache the llama.cpp self-test result: %s", exc)


def _child_argv(model_path: Path, n_gpu_layers: int, extra_bufts: bool) -> list[str]:
    """The child's command line (tests replace it to inject native crashes)."""
    argv = [sys.executable, "-m", "clearocr.llm.selftest", str(model_path), "--gpu-layers", str(n_gpu_layers)]
    return argv + ([] if extra_bufts else ["--no-extra-bufts"])


def _run_child(model_path: Path, n_gpu_layers: int, extra_bufts: bool, timeout: float) -> tuple[bool, str]:
    try:
        done = subprocess.run(
            _child_argv(model_path, n_gpu_layers, extra_bufts),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return False, f"no answer within {timeout:.0f} s"
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        return False, f"killed by {name}"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        return False, f"exit code {done.returncode}: {tail[0][:300]}"
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return False, f"unreadable answer: {done.stdout[-200:]!r}"
    return True, f"decoded {answer.get('text', '')!r}"


def ensure_runs(model_path: Path, n_gpu_layers: int = 0, timeout: float = DEFAULT_TIMEOUT) -> SelfTestResult:
    """Check (once per build, model and offload) that llama.cpp can decode ``model_path`` here.

    Args:
        model_path: the GGUF file.
        n_gpu_layers: the offload the caller will use (a GPU build can crash where the CPU one does not).
        timeout: seconds per child process.

    Returns:
        The :class:`SelfTestResult` (``extra_bufts`` False: load with extra buffer types off).

    Raises:
        LLMBuildError: the build crashes or hangs even without extra buffer types; the message names
            the signal and the rebuild command.
    """
    if os.environ.get("CLEAROCR_LLM_SELFTEST", "1").strip().lower() in ("0", "false", "no", "off"):
        return SelfTestResult(True, True, "skipped (CLEAROCR_LLM_SELFTEST=0)")
    with _lock:
        key = _key(model_path, n_gpu_layers)
        cached = _load_cache().get(key)
        if isinstance(cached, dict) and cached.get("ok"):
            return SelfTestResult(**cached)
        import llama_cpp

        rebuild = REBUILD_COMMAND.format(version=getattr(llama_cpp, "__version__", "0.3.16"))
        ok, detail = _run_child(model_path, n_gpu_layers, True, timeout)
        if ok:
            result = SelfTestResult(True, True, detail)
        else:
            log.warning(
                "llama.cpp self-test on %s failed (%s); retrying without extra buffer types",
                model_path.name,
                detail,
            )
            ok, second = _run_child(model_path, n_gpu_layers, False, timeout)
            if not ok:
                raise LLMBuildError(
                    f"{model_path.name}: the installed llama.cpp build cannot decode on this machine "
                    f"(self-test in a child process: {detail}; without extra buffer types: {second}). "
                    f"Rebuild it portably: {rebuild}"
                )
            result = SelfTestResult(True, False, f"{detail} with extra buffer types; {second} without")
            log.warning(
                "llama.cpp crashes on this CPU with its repacked (AMX) kernels: %s loads without them (slower). "
                "For full speed rebuild it: %s",
                model_path.name,
                rebuild,
            )
        _save_cache(key, result)
        return result


@contextmanager
def extra_buffer_types(enabled: bool) -> Iterator[None]:
    """While active, llama-cpp-python's ``Llama(...)`` loads models with ``use_extra_bufts=enabled``.

    ``Llama`` has no argument for it; it takes its model parameters from
    ``llama_cpp.llama_model_default_params()``, which this wraps for the duration (under a lock).
    """
    if enabled:
        yield
        return
    import llama_cpp.llama_cpp as low

    with _params_lock:
        original = low.llama_model_default_params

        def defaults() -> Any:
            params = original()
            params.use_extra_bufts = False
            return params

        low.llama_model_default_params = defaults
        try:
            yield
        finally:
            low.llama_model_default_params = original


def _child(model: str, n_gpu_layers: int, extra_bufts: bool) -> None:
    """Load ``model`` and decode on the backend's paths: all-logits batch, then greedy tokens."""
    import math

    import numpy as np
    from llama_cpp import Llama

    with extra_buffer_types(extra_bufts):
        llm = Llama(
            model_path=model,
            n_ctx=256,
            n_gpu_layers=n_gpu_layers,
            logits_all=True,
            seed=0,
            n_threads=max(1, (os.cpu_count() or 2) - 1),
            verbose=False,
        )
    tokens = llm.tokenize(PROMPT.encode(), add_bos=True)
    llm.eval(tokens)
    rows = np.asarray(llm.scores[: len(tokens)], dtype=np.float64)
    if not np.isfinite(rows).all():
        raise SystemExit("non-finite logits")
    out = llm.create_completion(PROMPT, max_tokens=4, temperature=0.0, top_k=1)
    text = out["choices"][0]["text"]  # type: ignore[index]  # not streamed: one response dict
    print(json.dumps({"text": text, "tokens": len(tokens), "max_logit": float(rows.max())}))
    assert not math.isnan(float(rows.max()))
    llm.close()


def main(argv: list[str] | None = None) -> None:
    """``python -m clearocr.llm.selftest MODEL``: decode a few tokens in this process (the child the
    self-test watches); a build that crashes kills it."""
    parser = argparse.ArgumentParser(
        description="Decode a few tokens with a GGUF model (clearocr's llama.cpp self-test)."
    )
    parser.add_argument("model")
    parser.add_argument("--gpu-layers", type=int, default=0)
    parser.add_argument("--no-extra-bufts", action="store_true")
    args = parser.parse_args(argv)
    _child(args.model, args.gpu_layers, not args.no_extra_bufts)


if __name__ == "__main__":
    main()
