"""Language-model backends behind one small protocol, chosen by name through one registry.

A backend completes a prompt (or a chat) greedily, and where it can, reports token log-probabilities
(for likelihood rescoring of OCR candidates). Backends load their model once; ``close()`` (or ``with``)
frees it. Modelled on simonw/llm's ``Model`` protocol with a fake backend for tests.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clearocr.errors import LLMError
from clearocr.registry import Registry


@dataclass
class Completion:
    """A model's answer.

    Attributes:
        text: the generated text.
        finish_reason: ``"stop"``, ``"length"`` ... as the backend reports it.
        tokens: the generated tokens, when known.
        token_logprobs: natural-log probability of each generated token, when known.
    """

    text: str
    finish_reason: str | None = None
    tokens: list[str] = field(default_factory=list)
    token_logprobs: list[float] = field(default_factory=list)


class LLMBackend(ABC):
    """Protocol (and base class) of language-model backends."""

    name: str = ""

    @property
    def can_score(self) -> bool:
        """Whether :meth:`score` works (the class overrides it)."""
        return type(self).score is not LLMBackend.score

    @abstractmethod
    def complete(
        self, prompt: str, *, max_tokens: int = 256, stop: Sequence[str] | None = None
    ) -> Completion:
        """Greedy completion of ``prompt``."""

    @abstractmethod
    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = 256,
        response_format: dict[str, Any] | None = None,
    ) -> Completion:
        """Greedy answer to chat ``messages`` (``[{"role", "content"}]``), optionally JSON-constrained."""

    def score(self, text: str) -> float:
        """Total log-probability of ``text`` under the model (higher is more likely).

        Raises:
            LLMError: the backend gives no log-probabilities.
        """
        raise LLMError(f"backend {self.name!r} cannot score text (no log-probabilities)")

    def score_variants(self, prefix: str, endings: Sequence[str]) -> list[float]:
        """``[score(prefix + ending) for ending in endings]``; backends that can reuse the work done
        on the shared ``prefix`` (llama.cpp's KV cache) override it.

        Raises:
            LLMError: the backend gives no log-probabilities.
        """
        return [self.score(prefix + ending) for ending in endings]

    def close(self) -> None:
        """Free the model. Safe to call twice."""

    def __enter__(self) -> LLMBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: LLM backends: built-ins, plus third-party ones in the ``clearocr.llm_backends`` entry-point group.
BACKENDS: Registry[type[LLMBackend]] = Registry(
    "LLM backend",
    "clearocr.llm_backends",
    {
        "llamacpp": "clearocr.llm.llamacpp:LlamaCppBackend",
        "fake": "clearocr.llm.fake:FakeBackend",
        "openai": "clearocr.llm.openai:OpenAICompatibleBackend",
    },
    LLMError,
)


def backend_class(name: str) -> type[LLMBackend]:
    """The backend class registered as ``name`` (LLMError for an unknown one)."""
    return BACKENDS.get(name)


def create_backend(name: str = "llamacpp", **options: Any) -> LLMBackend:
    """Instantiate the backend ``name`` with its options (see each backend's docstring)."""
    return backend_class(name)(**options)
