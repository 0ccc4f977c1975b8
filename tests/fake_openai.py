"""A local OpenAI-compatible chat server that streams SSE chunks slowly; records what it receives.

Used where a real model server is needed but none exists here: the API-key test (is the key sent, and
never logged or stored?) and the crash test (a generation in flight when the workbench is killed).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    """``with FakeOpenAI(chunks, delay) as srv:`` then use ``srv.base_url``."""

    def __init__(self, chunks: list[str], *, delay_s: float = 0.0, hold_after: int | None = None) -> None:
        self.chunks = chunks
        self.delay_s = delay_s
        # with hold_after, every reply waits after that many chunks until the test calls release(): a reply then
        # streams for as long as the test needs, however loaded the machine is
        self.hold_after = hold_after
        self.gate = threading.Event()
        self.requests: list[dict] = []  # {"headers": {...}, "body": {...}}
        self.chunks_sent = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the body ends when the connection closes: no chunked framing

            def log_message(self, *_args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n) or b"{}")
                with fake._lock:
                    fake.requests.append({"headers": dict(self.headers.items()), "body": body})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for n, piece in enumerate(fake.chunks):
                        if n == fake.hold_after:
                            fake.gate.wait(timeout=120)
                        data = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                        self.wfile.write(f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode())
                        self.wfile.flush()
                        with fake._lock:
                            fake.chunks_sent += 1
                        if fake.delay_s:
                            time.sleep(fake.delay_s)
                    usage = {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": len(fake.chunks)}}
                    self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client went away (stopped or killed): nothing to do

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def release(self) -> None:
        """Let every reply held at ``hold_after`` go on (and any later one pass the gate)."""
        self.gate.set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()
