"""Any OpenAI-compatible chat server (vLLM, TGI, llama.cpp, ...), streamed over SSE.

The API key is read from the environment variable *named* in the config, at
call time; it is never logged, stored or shown.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from workbench.config import OpenAIColumn
from workbench.dialogue import Dialogue
from workbench.errors import GenerationError, ModelLoadError
from workbench.models.base import Backend, Plan, Trace
from workbench.models.hf_causal import chat_messages


class OpenAICompatible(Backend):
    kind = "openai-compatible"

    def __init__(self, cfg: OpenAIColumn) -> None:
        super().__init__(cfg.name)
        self.cfg = cfg

    def params(self) -> dict[str, Any]:
        return self.cfg.generation.model_dump()

    def _headers(self) -> dict[str, str]:
        h = {"Content-Type": "application/json"}
        if self.cfg.api_key_env:
            key = os.environ.get(self.cfg.api_key_env)
            if not key:
                raise ModelLoadError(f"{self.name}: environment variable {self.cfg.api_key_env} is not set")
            h["Authorization"] = f"Bearer {key}"
        return h

    def check_ready(self) -> None:
        self._headers()

    def request_body(self, dialogue: Dialogue, seed: int | None) -> dict[str, Any]:
        dialogue.require_patient_last()
        body: dict[str, Any] = {
            "model": self.cfg.model_name,
            "messages": chat_messages(dialogue, self.cfg.system_prompt),
            "stream": True,
            "stream_options": {"include_usage": True},
            **self.params(),
        }
        if seed is not None:
            body["seed"] = seed
        return body

    def plan(self, dialogue: Dialogue) -> Plan:
        body = self.request_body(dialogue, self.cfg.seed)
        return Plan(json.dumps(body["messages"], ensure_ascii=False), "openai-compatible", None,
                    f"{self.cfg.base_url} model {self.cfg.model_name}")

    def stream(
        self, dialogue: Dialogue, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        body = self.request_body(dialogue, seed)
        trace.route, trace.seed, trace.params = "openai-compatible", seed, self.params()
        trace.input_text = json.dumps(body["messages"], ensure_ascii=False)
        trace.model_name, trace.model_revision = self.cfg.model_name, self.cfg.base_url
        url = self.cfg.base_url.rstrip("/") + "/chat/completions"
        text = ""
        try:
            with httpx.stream("POST", url, json=body, headers=self._headers(), timeout=self.cfg.timeout_s) as r:
                if r.status_code >= 400:
                    r.read()
                    raise GenerationError(f"{self.name}: server answered {r.status_code}: {r.text[:300]}")
                for line in r.iter_lines():
                    if stop is not None and stop.is_set():
                        return
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    usage = chunk.get("usage")
                    if usage:
                        trace.prompt_tokens = usage.get("prompt_tokens")
                        trace.output_tokens = usage.get("completion_tokens")
                    for choice in chunk.get("choices") or []:
                        piece = (choice.get("delta") or {}).get("content")
                        if piece:
                            text += piece
                            yield text
        except httpx.HTTPError as e:
            raise GenerationError(f"{self.name}: cannot reach {self.cfg.base_url}: {type(e).__name__}") from e
        except json.JSONDecodeError as e:
            raise GenerationError(f"{self.name}: the server sent invalid JSON: {e}") from e
        if not text:
            yield ""
