"""Any OpenAI-compatible chat/completions server (Ollama, vLLM, llama.cpp's server) over HTTP (httpx).

Greedy decoding (temperature 0, repeat penalty 1.0: llama.cpp's default 1.1 derails constrained JSON).
Token log-probabilities are asked for on completions; servers that return them make :meth:`score`
unavailable anyway (the prompt's own log-probabilities are not part of the OpenAI API).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

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

    def __init__(
        self,
        base_url: str,
        model: str = "default",
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 2,
    ) -> None:
        import httpx

        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._schema_style: str | None = None
        self._client: Any = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
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

    def complete(
        self, prompt: str, *, max_tokens: int = 256, stop: Sequence[str] | None = None
    ) -> Completion:
        data = self._post(
            "/completions",
            {
                "model": self.model,
                "prompt": prompt,
                "max_tokens": max_tokens,
                "temperature": 0.0,
                "repeat_penalty": 1.0,
                "stop": list(stop or []) or None,
                "logprobs": 1,
            },
        )
        choice = data["choices"][0]
        logprobs = choice.get("logprobs") or {}
        return Completion(
            text=choice.get("text", ""),
            finish_reason=choice.get("finish_reason"),
            tokens=list(logprobs.get("tokens") or []),
            token_logprobs=[float(v) for v in (logprobs.get("token_logprobs") or []) if v is not None],
        )

    def chat(self, messages, *, max_tokens: int = 256, response_format=None) -> Completion:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "repeat_penalty": 1.0,
        }
        formats = self._response_formats(response_format)
        data: dict[str, Any] = {}
        for index, form in enumerate(formats):
            if form is not None:
                payload["response_format"] = form
            try:
                data = self._post("/chat/completions", payload)
            except LLMError as exc:
                if index + 1 < len(formats) and "HTTP" in str(exc):
                    continue  # the server does not take this response_format spelling: try the next one
                raise
            self._schema_style = form.get("type") if form else self._schema_style
            break
        choice = data["choices"][0]
        return Completion(
            text=(choice.get("message") or {}).get("content") or "", finish_reason=choice.get("finish_reason")
        )

    def _response_formats(self, response_format: dict[str, Any] | None) -> list[dict[str, Any] | None]:
        """The spellings of a JSON-schema constraint to try, the one that worked last time first.

        ``{"type": "json_object", "schema": S}`` (how clearocr asks) is sent as OpenAI's
        ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`` (OpenAI, vLLM, Ollama) and,
        if the server refuses that, as ``json_object`` + ``schema`` (llama-cpp-python's server, which
        answers 500 to ``json_schema``).
        """
        if response_format is None or "schema" not in response_format:
            return [response_format]
        schema = response_format["schema"]
        openai_style = {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": schema, "strict": True},
        }
        llamacpp_style = {"type": "json_object", "schema": schema}
        styles: list[dict[str, Any] | None] = [openai_style, llamacpp_style]
        if getattr(self, "_schema_style", None) == "json_object":
            styles.reverse()
        return styles

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
