"""Any OpenAI-compatible chat/completions server (Ollama, vLLM, llama.cpp's server) over HTTP (httpx).

Greedy decoding (temperature 0, repeat penalty 1.0: llama.cpp's default 1.1 derails constrained JSON).
Token log-probabilities are asked for on completions; servers that return them make :meth:`score`
unavailable anyway (the prompt's own log-probabilities are not part of the OpenAI API).
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from clearocr.llm import Completion, LLMBackend, LLMError


class OpenAICompatibleBackend(LLMBackend):
    """A model behind an OpenAI-compatible HTTP API.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000/v1`` (llama.cpp server) or ``http://localhost:11434/v1``.
        model: the server's model name.
        api_key: bearer token (default: ``$OPENAI_API_KEY``, or none).
        timeout: seconds per request.
        retries: transport retries on connection errors (httpx's own retry).

    Raises:
        LLMError: on connection failures and non-2xx answers, naming the URL and the status.
    """

    name = "openai"

    def __init__(self, base_url: str, model: str = "default", api_key: str | None = None,
                 timeout: float = 60.0, retries: int = 2) -> None:
        import httpx

        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._client: Any = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout,
            transport=httpx.HTTPTransport(retries=retries),
        )

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        import httpx

        if self._client is None:
            raise LLMError(f"{self.base_url}: the client was closed")
        try:
            response = self._client.post(path, json=payload)
        except httpx.HTTPError as exc:
            raise LLMError(f"{self.base_url}{path}: cannot reach the server ({exc})") from None
        if response.status_code >= 400:
            raise LLMError(f"{self.base_url}{path}: HTTP {response.status_code}: {response.text[:300]}")
        return response.json()

    def complete(self, prompt: str, *, max_tokens: int = 256, stop: Sequence[str] | None = None) -> Completion:
        data = self._post("/completions", {
            "model": self.model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0,
            "repeat_penalty": 1.0, "stop": list(stop or []) or None, "logprobs": 1,
        })
        choice = data["choices"][0]
        logprobs = choice.get("logprobs") or {}
        return Completion(
            text=choice.get("text", ""), finish_reason=choice.get("finish_reason"),
            tokens=list(logprobs.get("tokens") or []),
            token_logprobs=[float(v) for v in (logprobs.get("token_logprobs") or []) if v is not None],
        )

    def chat(self, messages, *, max_tokens: int = 256, response_format=None) -> Completion:
        payload: dict[str, Any] = {
            "model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": 0.0,
            "repeat_penalty": 1.0,
        }
        if response_format is not None:
            payload["response_format"] = response_format
        data = self._post("/chat/completions", payload)
        choice = data["choices"][0]
        return Completion(text=(choice.get("message") or {}).get("content") or "", finish_reason=choice.get("finish_reason"))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
