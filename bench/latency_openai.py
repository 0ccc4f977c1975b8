"""A local OpenAI-compatible chat server that adds a fixed latency per request (bench and tests).

It answers ``tokens`` one-character SSE chunks after ``latency_s`` (one request per connection), reports usage, and records what a
client does to it: the peak number of requests in flight, each request's start time, and the bodies.
``fail`` scripts answers for the first requests (e.g. ``[429, 503]``) to exercise retries; a
``retry_after`` value is sent with them.

    with LatencyOpenAI(latency_s=0.2) as srv:  # srv.base_url, srv.peak_in_flight, srv.starts
        ...
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # listen backlog: many clients connecting at once must not be dropped


class LatencyOpenAI:
    def __init__(self, *, latency_s: float = 0.2, tokens: int = 20, fail: Sequence[int] = (),
                 retry_after: float | None = None, reply: str | None = None) -> None:
        self.latency_s, self.tokens, self.reply = latency_s, tokens, reply
        self.fail = list(fail)
        self.retry_after = retry_after
        self.in_flight = 0
        self.peak_in_flight = 0
        self.starts: list[float] = []
        self.statuses: list[int] = []
        self.bodies: list[dict] = []
        self._lock = threading.Lock()
        srv = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: simple and robust under many clients

            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with srv._lock:
                    srv.starts.append(time.monotonic())
                    srv.bodies.append(body)
                    status = srv.fail.pop(0) if srv.fail else 200
                    srv.statuses.append(status)
                    srv.in_flight += 1
                    srv.peak_in_flight = max(srv.peak_in_flight, srv.in_flight)
                counted = True

                def leave() -> None:
                    # Before the last bytes go out: once the client holds the whole reply it may send its next
                    # request, and a count still held here would read as one request too many in flight.
                    nonlocal counted
                    if counted:
                        counted = False
                        with srv._lock:
                            srv.in_flight -= 1

                try:
                    time.sleep(srv.latency_s)
                    if status != 200:
                        payload = json.dumps({"error": {"message": f"scripted {status}"}}).encode()
                        self.send_response(status)
                        if srv.retry_after is not None:
                            self.send_header("Retry-After", str(srv.retry_after))
                        self.send_header("Content-Length", str(len(payload)))
                        self.end_headers()
                        leave()
                        self.wfile.write(payload)
                        return
                    pieces = list(srv.reply) if srv.reply is not None else ["字"] * srv.tokens
                    events = [json.dumps({"choices": [{"index": 0, "delta": {"content": p}}]}, ensure_ascii=False)
                              for p in pieces]
                    events.append(json.dumps({"choices": [], "usage": {"prompt_tokens": 10,
                                                                        "completion_tokens": len(pieces)}}))
                    payload = "".join(f"data: {e}\n\n" for e in events).encode() + b"data: [DONE]\n\n"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    leave()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    leave()

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> LatencyOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def main() -> None:
    """``python bench/latency_openai.py --latency-ms 200``: serve until killed; prints the base URL first."""
    import argparse

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--latency-ms", type=float, default=200)
    p.add_argument("--tokens", type=int, default=20)
    args = p.parse_args()
    with LatencyOpenAI(latency_s=args.latency_ms / 1000, tokens=args.tokens) as srv:
        print(srv.base_url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
