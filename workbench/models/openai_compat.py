"""Any OpenAI-compatible chat server (vLLM, TGI, llama.cpp, ``python -m workbench serve``), streamed over SSE.

The API key is read from the environment variable *named* in the config, at call time; it is never
logged, stored or shown.

At scale (batch runs, simulations, judging) a column keeps up to ``max_concurrency`` requests in
flight (:meth:`OpenAICompatible.map_concurrent`), retries 429 and 5xx answers with exponential back-off
(``Retry-After`` honoured), and spaces request starts to honour ``requests_per_minute``. A request is
retried only before any text arrived, so a reply is never stitched from two attempts.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx

from workbench.config import OpenAIColumn
from workbench.dialogue import Dialogue
from workbench.errors import GenerationError, ModelLoadError
from workbench.models.base import Backend, Plan, Trace
from workbench.models.hf_causal import chat_messages
from workbench.models.registry import ModelPool

T = TypeVar("T")
R = TypeVar("R")
BACKOFF_BASE_S = 0.2
BACKOFF_MAX_S = 20.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RateLimiter:
    """Spaces request starts ``60 / rpm`` seconds apart, across threads; no limit when rpm is None."""

    def __init__(self, requests_per_minute: float | None) -> None:
        self.interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


class _Retry(Exception):
    def __init__(self, message: str, after: float | None) -> None:
        super().__init__(message)
        self.after = after


def _retry_after(r: httpx.Response) -> float | None:
    try:
        return max(0.0, float(r.headers.get("retry-after", "")))
    except ValueError:
        return None


class OpenAICompatible(Backend):
    kind = "openai-compatible"

    def __init__(self, cfg: OpenAIColumn) -> None:
        super().__init__(cfg.name)
        self.cfg = cfg
        self.max_concurrency = cfg.max_concurrency
        self.limiter = RateLimiter(cfg.requests_per_minute)
        # One connection pool per column, shared by its threads (keep-alive instead of a handshake a request).
        self._client = httpx.Client(
            timeout=cfg.timeout_s,
            limits=httpx.Limits(max_connections=cfg.max_concurrency + 4, max_keepalive_connections=cfg.max_concurrency),
        )

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

    def chunk_size(self, requested: int) -> int:
        # Several rounds of max_concurrency per chunk, so a slow reply rarely leaves the others idle.
        return max(requested, 4 * self.max_concurrency)

    def messages_body(self, messages: list[dict[str, str]], seed: int | None, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.cfg.model_name,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            **self.params(),
            **overrides,
        }
        if seed is not None:
            body["seed"] = seed
        return body

    def request_body(self, dialogue: Dialogue, seed: int | None) -> dict[str, Any]:
        dialogue.require_patient_last()
        return self.messages_body(chat_messages(dialogue, self.cfg.system_prompt), seed)

    def plan(self, dialogue: Dialogue) -> Plan:
        body = self.request_body(dialogue, self.cfg.seed)
        return Plan(json.dumps(body["messages"], ensure_ascii=False), "openai-compatible", None,
                    f"{self.cfg.base_url} model {self.cfg.model_name}")

    def _attempt(self, url: str, body: dict[str, Any], trace: Trace, stop: threading.Event | None) -> Iterator[str]:
        """One request. Raises :class:`_Retry` for a retryable answer before any text arrived."""
        text = ""
        with self._client.stream("POST", url, json=body, headers=self._headers()) as r:
            if r.status_code >= 400:
                r.read()
                msg = f"{self.name}: server answered {r.status_code}: {r.text[:300]}"
                if r.status_code in RETRY_STATUSES:
                    raise _Retry(msg, _retry_after(r))
                raise GenerationError(msg)
            for line in r.iter_lines():
                if stop is not None and stop.is_set():
                    return
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                if isinstance(chunk, dict) and chunk.get("error"):
                    raise GenerationError(f"{self.name}: server error: {str(chunk['error'])[:300]}")
                usage = chunk.get("usage")
                if usage:
                    trace.prompt_tokens = usage.get("prompt_tokens")
                    trace.output_tokens = usage.get("completion_tokens")
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        text += piece
                        yield text

    def stream_body(self, body: dict[str, Any], trace: Trace, stop: threading.Event | None = None) -> Iterator[str]:
        """Stream one request body (cumulative text), with retries and the rate cap."""
        url = self.cfg.base_url.rstrip("/") + "/chat/completions"
        attempt = 0
        while True:
            self.limiter.acquire()
            got_text = False
            try:
                for text in self._attempt(url, body, trace, stop):
                    got_text = True
                    yield text
                if not got_text:
                    yield ""
                return
            except _Retry as e:
                if got_text or attempt >= self.cfg.max_retries:
                    raise GenerationError(f"{e} (after {attempt + 1} attempt(s))") from None
                delay = e.after if e.after is not None else BACKOFF_BASE_S * 2**attempt * (1 + random.random())
                attempt += 1
                time.sleep(min(BACKOFF_MAX_S, delay))
            except (httpx.ReadError, httpx.RemoteProtocolError) as e:
                # A connection dropped before any text (an overloaded server): worth another try.
                if got_text or attempt >= self.cfg.max_retries:
                    raise GenerationError(f"{self.name}: cannot reach {self.cfg.base_url}: {type(e).__name__}") from e
                attempt += 1
                time.sleep(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2**attempt * (1 + random.random())))
            except httpx.HTTPError as e:
                raise GenerationError(f"{self.name}: cannot reach {self.cfg.base_url}: {type(e).__name__}") from e
            except json.JSONDecodeError as e:
                raise GenerationError(f"{self.name}: the server sent invalid JSON: {e}") from e

    def stream(
        self, dialogue: Dialogue, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        body = self.request_body(dialogue, seed)
        trace.route, trace.seed, trace.params = "openai-compatible", seed, self.params()
        trace.input_text = json.dumps(body["messages"], ensure_ascii=False)
        trace.model_name, trace.model_revision = self.cfg.model_name, self.cfg.base_url
        yield from self.stream_body(body, trace, stop)

    def complete(self, messages: list[dict[str, str]], *, seed: int | None = None, **overrides: Any) -> tuple[str, Trace]:
        """One whole reply to raw chat ``messages`` (the patient simulator and the judge use this)."""
        body = self.messages_body(messages, seed, **overrides)
        trace = Trace(input_text=json.dumps(messages, ensure_ascii=False), route="openai-compatible", seed=seed,
                      params={**self.params(), **overrides}, model_name=self.cfg.model_name,
                      model_revision=self.cfg.base_url)
        text = ""
        for chunk in self.stream_body(body, trace):
            text = chunk
        return text, trace

    def map_concurrent(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R | Exception]:
        """``fn`` over ``items`` with up to ``max_concurrency`` in flight; each result or its exception, in order."""

        def safe(item: T) -> R | Exception:
            try:
                return fn(item)
            except Exception as e:  # returned, not raised: one failed request must not lose the others
                return e

        if len(items) <= 1 or self.max_concurrency == 1:
            return [safe(x) for x in items]
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(items)),
                                thread_name_prefix=f"openai-{self.name}") as pool:
            return list(pool.map(safe, items))

    def generate_batch(self, dialogues: Sequence[Dialogue], *, seed: int | None = None) -> list[tuple[str, Trace]]:
        """Up to ``max_concurrency`` requests in flight; the first failure is raised after all finished
        (callers then retry one by one, as for every backend)."""
        results = self.map_concurrent(lambda d: self.generate(d, seed=seed), dialogues)
        for r in results:
            if isinstance(r, Exception):
                raise r
        return results  # type: ignore[return-value]


def build(col: OpenAIColumn, pool: ModelPool, built: Mapping[str, Backend]) -> OpenAICompatible:
    """The registry's builder: a remote server needs no local weights."""
    return OpenAICompatible(col)
