"""A fake backend for tests: replays queued replies and records the prompts it was given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clearocr.llm import Completion, LLMBackend, LLMError


class FakeBackend(LLMBackend):
    """Answers with ``replies`` in order (the last one repeats); ``scores`` maps text -> log-probability.

    Args:
        replies: texts to answer with.
        scores: log-probabilities :meth:`score` returns for given texts (others score by length).
    """

    name = "fake"

    def __init__(self, replies: Sequence[str] = ("",), scores: dict[str, float] | None = None) -> None:
        self.replies = list(replies) or [""]
        self.scores = dict(scores or {})
        self.prompts: list[Any] = []
        self.closed = False

    def _next(self) -> str:
        if self.closed:
            raise LLMError("fake backend was closed")
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def complete(
        self, prompt: str, *, max_tokens: int = 256, stop: Sequence[str] | None = None
    ) -> Completion:
        self.prompts.append(prompt)
        return Completion(self._next(), "stop")

    def chat(self, messages, *, max_tokens: int = 256, response_format=None) -> Completion:
        self.prompts.append(messages)
        return Completion(self._next(), "stop")

    def score(self, text: str) -> float:
        return self.scores.get(text, -float(len(text)))

    def close(self) -> None:
        self.closed = True
