"""``python -m workbench serve``: the configured columns behind an OpenAI-compatible API.

``GET /v1/models`` lists the columns; ``POST /v1/chat/completions`` answers with one column (``model`` is
the column name), streamed as server-sent events or not. Any OpenAI client can then use BianQue-1.0,
BianQue-2.0 (on the project's own ChatGLM) and the hybrid, including this project's own
openai-compatible backend, LLM patient and judge.

Messages map onto the dialogue as the chat UI does: ``user`` is the patient, ``assistant`` the doctor;
``system`` messages are ignored (the BianQue models have no system prompt). Generation settings and the
default seed come from the config; a request's ``seed`` overrides the seed. Replies are not stored:
callers that need them stored (batch, simulate, judge) store them on their side.

Private by default: it listens on 127.0.0.1. Beyond loopback a bearer token is required, read from the
environment variable named by ``--token-env``; when that variable is set, every request must carry the
token, on loopback too.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from workbench.config import WorkbenchConfig
from workbench.dialogue import Dialogue, Turn
from workbench.errors import ConfigError, InputError, WorkbenchError
from workbench.models.base import Backend, Trace

log = logging.getLogger(__name__)
ROLE_MAP = {"user": "patient", "assistant": "doctor"}
IGNORED_ROLES = ("system", "developer")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _content(value: Any, where: str) -> str:
    """A message's content: a string, or a list of parts of which the text parts count."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for p in value:
            if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str):
                parts.append(p["text"])
            else:
                raise InputError(f"{where}: only text content parts are supported")
        return "".join(parts)
    raise InputError(f"{where}: content must be a string or a list of text parts")


def dialogue_from_messages(messages: Any, max_chars: int) -> Dialogue:
    """OpenAI chat messages -> a dialogue ending with the patient's message."""
    if not isinstance(messages, list) or not messages:
        raise InputError("messages must be a non-empty list")
    turns: list[Turn] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "role" not in m:
            raise InputError(f"messages[{i}] must be an object with a role")
        role = m["role"]
        if role in IGNORED_ROLES:
            continue
        if role not in ROLE_MAP:
            raise InputError(f"messages[{i}].role must be user, assistant or system, got {str(role)[:40]!r}")
        text = _content(m.get("content"), f"messages[{i}]")
        if len(text) > max_chars:
            raise InputError(f"messages[{i}] has {len(text)} characters; the limit is {max_chars}")
        turns.append(Turn(ROLE_MAP[role], text))  # type: ignore[arg-type]
    d = Dialogue(tuple(turns))
    if not d.ends_with_patient:
        raise InputError("the last non-system message must be from the user (the patient)")
    return d


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def _usage(trace: Trace) -> dict[str, int]:
    p, c = trace.prompt_tokens or 0, trace.output_tokens or 0
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def create_app(config: WorkbenchConfig, backends: dict[str, Backend], token: str | None = None) -> Any:
    """The FastAPI app. ``token``: when set, every request needs ``Authorization: Bearer <token>``."""
    # The greeting at a first message is the Chat tab's convention: a client of the API (a patient, a judge)
    # asked for the model's reply, and got the canned greeting with no model call.
    backends = {name: b.without_greeting() for name, b in backends.items()}
    app = FastAPI(title="BianQue Workbench OpenAI-compatible API", docs_url=None, redoc_url=None, openapi_url=None)
    created = int(time.time())

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Any:
        if token is not None:
            got = request.headers.get("authorization", "")
            if not hmac.compare_digest(got.encode(), f"Bearer {token}".encode()):
                return _error(401, "a valid bearer token is required", "authentication_error")
        return await call_next(request)

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [
            {"id": name, "object": "model", "created": created, "owned_by": f"workbench:{b.kind}"}
            for name, b in backends.items()
        ]}

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Any:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "the body must be JSON")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        name = body.get("model")
        if name not in backends:
            return _error(404, f"no model {str(name)[:80]!r}; models are {list(backends)}", "not_found_error")
        backend = backends[name]
        try:
            dialogue = dialogue_from_messages(body.get("messages"), config.limits.max_message_chars)
            seed = body.get("seed", config.column(name).seed)
            if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
                raise InputError("seed must be an integer")
        except WorkbenchError as e:
            return _error(400, str(e))
        rid = f"chatcmpl-{uuid.uuid4().hex}"
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(_sse(rid, name, backend, dialogue, seed, include_usage),
                                     media_type="text/event-stream")
        try:
            text, trace = await run_in_threadpool(backend.generate, dialogue, seed=seed)
        except WorkbenchError as e:
            return _error(500, str(e), "server_error")
        except Exception as e:  # a model bug: an error answer, never text
            log.exception("column %s failed", name)
            return _error(500, f"{type(e).__name__}: {e}", "server_error")
        return {
            "id": rid, "object": "chat.completion", "created": int(time.time()), "model": name,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": _usage(trace),
        }

    return app


def _chunk(rid: str, model: str, delta: dict[str, Any], finish: str | None = None) -> str:
    data = {"id": rid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _sse(rid: str, model: str, backend: Backend, dialogue: Dialogue, seed: int | None,
         include_usage: bool) -> Iterator[str]:
    """Server-sent events from the backend's cumulative stream (Starlette runs it in a thread)."""
    trace = Trace()
    stop = threading.Event()
    sent = ""
    yield _chunk(rid, model, {"role": "assistant", "content": ""})
    try:
        for text in backend.stream(dialogue, trace, seed=seed, stop=stop):
            # Backends stream cumulative text that only grows; send what is new.
            if text.startswith(sent) and len(text) > len(sent):
                yield _chunk(rid, model, {"content": text[len(sent):]})
                sent = text
    except GeneratorExit:  # the client went away
        stop.set()
        raise
    except Exception as e:
        if not isinstance(e, WorkbenchError):
            log.exception("column %s failed", model)
        yield f"data: {json.dumps({'error': {'message': str(e), 'type': 'server_error'}}, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"
        return
    yield _chunk(rid, model, {}, "stop")
    if include_usage:
        data = {"id": rid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                "choices": [], "usage": _usage(trace)}
        yield f"data: {json.dumps(data)}\n\n"
    yield "data: [DONE]\n\n"


def resolve_token(host: str, token_env: str) -> str | None:
    """The bearer token from ``token_env``; required (ConfigError) beyond loopback."""
    token = os.environ.get(token_env) or None
    if token is None and not is_loopback(host):
        raise ConfigError(f"listening on {host} needs a bearer token: set the environment variable {token_env} "
                          "(medical data must not be open to the network)")
    return token


class ServerThread:
    """``with ServerThread(app, port) as url:`` the app on 127.0.0.1 in a background thread (tests, bench)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        if port == 0:
            import socket

            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
        self.host, self.port = host, port
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="workbench-serve")

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.05)
        return self.base_url

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def serve(config: WorkbenchConfig, *, host: str = "127.0.0.1", port: int = 8000,
          token_env: str = "WORKBENCH_SERVE_TOKEN") -> int:
    """Run the API until interrupted."""
    import uvicorn

    from workbench.models.registry import ModelPool, build_backends

    token = resolve_token(host, token_env)
    backends = build_backends(config, ModelPool(config.resolve_path(config.cache_dir)))
    for name, b in backends.items():  # load now, so the first request is not the slow one
        try:
            b.check_ready()
        except WorkbenchError as e:
            log.error("column %s is not ready: %s", name, e)
    shown = f"[{host}]" if ":" in host else host
    print(f"OpenAI-compatible API: http://{shown}:{port}/v1 (models: {', '.join(backends)})"
          + ("; bearer token required" if token else ""), flush=True)
    uvicorn.run(create_app(config, backends, token), host=host, port=port, log_level="warning")
    return 0
