"""Where the time of one Rate submit goes, from the Enter key to the next item on screen, in Chromium.

The same set-up and keys as ``bench/rate_ui_latency.py`` (the real app with logins, one annotator rating from the
keyboard: ``bench/rate_probe.py``), with clocks at each hop. Browser and server run on one machine, so their epoch clocks agree:

* ``key_to_request_ms``: Enter keydown to the ``queue/join`` request leaving the page (the key script, Gradio's
  client collecting the inputs);
* ``request_to_handler_ms``: that request to the handler starting (HTTP, queue, login check, preprocess);
* ``handler_ms``: the Python handler (``workflow.submit``: store the answers, claim and read the next item;
  then the render of the updates); ``store_ms`` is the ``workflow.submit`` part alone;
* ``handler_to_sent_ms``: handler end to the answer (``process_completed``) handed to the page's event stream
  (postprocess, the queue);
* ``sent_to_screen_ms``: from there to the first frame showing the next item (the stream, the page applying
  every update and drawing);
* ``payload_bytes``: the size of the submit's answer as sent (its updates, JSON);
* ``autosave_handler_ms``, ``preference_handler_ms``: the p50 of the burst's own handlers (the autosaves and the
  preference the keys send just before Enter, which share the server with the submit).

Usage: python bench/rate_submit_breakdown.py [--items 20] [--json]; with ``--json`` the last line is one JSON
object with the p50 of each hop, ``key_to_next_item_ms`` {p50, p95}, a baseline (the H key's light round trip,
as rate_ui_latency.py) and ``ratio_p50``.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rate_probe import open_first_item, percentile, rate_and_submit, samples, seed_items, summary  # noqa: E402

from tests.browser import launch  # noqa: E402

#: the page's side: when each queue/join request leaves (epoch ms), beside rate_ui_latency's probe
FETCH_JS = """() => {
  if (window.__joins) return;
  window.__joins = [];
  window.__keys = [];
  const epoch = () => Date.now();  // the same clock as the server's time.time()
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (url.includes('queue/join')) window.__joins.push(epoch());
    return fetch0.apply(this, arguments);
  };
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') window.__keys.push(epoch());
  }, true);
}"""


class Clocks:
    """Server-side clocks around the submit handler and its store work (epoch ms)."""

    def __init__(self) -> None:
        self.handler: list[tuple[float, float]] = []
        self.store: list[float] = []
        self.payload: list[int] = []
        self.sent: list[float] = []  # the submit's process_completed message handed to the page's stream
        self.burst: dict[str, list[float]] = {"autosave": [], "preference": []}  # the burst's handlers (ms)


def instrument(demo: Any, clocks: Clocks) -> None:
    from workbench.annotate import workflow

    submit0 = workflow.submit

    def timed_submit(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return submit0(*args, **kwargs)
        finally:
            clocks.store.append((time.perf_counter() - t) * 1000)

    setattr(workflow, "submit", timed_submit)  # noqa: B010  # a bench-only clock around the store work
    for fn in demo.fns.values():
        if fn.api_name == "rate_submit":
            inner = fn.fn

            @functools.wraps(inner)  # Gradio reads the signature to pass the request
            def timed(*args: Any, _inner: Any = inner, **kwargs: Any) -> Any:
                t0 = time.time() * 1000
                try:
                    return _inner(*args, **kwargs)
                finally:
                    clocks.handler.append((t0, time.time() * 1000))

            fn.fn = timed
        elif fn.api_name and (fn.api_name.startswith("rate_autosave_") or fn.api_name == "rate_preference"):
            kind = "preference" if fn.api_name == "rate_preference" else "autosave"

            @functools.wraps(fn.fn)  # Gradio reads the signature to pass the request
            def timed_burst(*args: Any, _inner: Any = fn.fn, _kind: str = kind, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return _inner(*args, **kwargs)
                finally:
                    clocks.burst[_kind].append((time.perf_counter() - t0) * 1000)

            fn.fn = timed_burst
    process0 = demo.process_api

    async def measured(block_fn: Any, *args: Any, **kwargs: Any) -> Any:
        out = await process0(block_fn, *args, **kwargs)
        api_name = getattr(block_fn, "api_name", None) or getattr(demo.fns.get(block_fn), "api_name", None)
        if api_name == "rate_submit":
            clocks.payload.append(len(json.dumps(out.get("data"), default=str)))
        return out

    demo.process_api = measured


def instrument_queue(demo: Any, clocks: Clocks) -> None:
    queue = demo._queue
    send0 = queue.send_message

    def send(event: Any, message: Any) -> None:
        if event.fn.api_name == "rate_submit" and getattr(message, "msg", None) == "process_completed":
            clocks.sent.append(time.time() * 1000)
        send0(event, message)

    queue.send_message = send


def run(n_items: int) -> dict:
    from playwright.sync_api import sync_playwright
    from rating_fixtures import make_users, test_config
    from ui_server import launch_app

    from workbench.services import build_services
    from workbench.ui.app import build_app

    clocks = Clocks()
    with tempfile.TemporaryDirectory() as tmp:
        svc = build_services(test_config(Path(tmp) / "rate.db", k=1, blind=True), auth_enabled=True)
        make_users(svc.store, "ann")
        seed_items(svc.store, n_items + 1)
        demo = build_app(svc)
        instrument(demo, clocks)
        port = launch_app(demo, svc, None)
        instrument_queue(demo, clocks)
        try:
            with sync_playwright() as pw:
                browser = launch(pw)
                ctx, page = open_first_item(browser, f"http://127.0.0.1:{port}/")
                page.evaluate(FETCH_JS)
                shown_at: list[float] = []
                joins: list[float | None] = []
                for _ in range(n_items):
                    joins_before = len(page.evaluate("window.__joins"))
                    rate_and_submit(page)
                    keys = page.evaluate("window.__keys")
                    shown_at.append(keys[-1] + samples(page, "next")[-1])
                    # the submit's join is the first one sent after the key
                    joins.append(next((j for j in page.evaluate("window.__joins")[joins_before:] if j >= keys[-1]),
                                      None))
                overall = summary(page)
                keys = page.evaluate("window.__keys")
                ctx.close()
                browser.close()
        finally:
            demo.close()
            svc.close()
    n = min(len(keys), len(joins), len(clocks.handler), len(shown_at), len(clocks.sent))
    hops: dict[str, list[float]] = {"key_to_request_ms": [], "request_to_handler_ms": [], "handler_ms": [],
                                    "handler_to_sent_ms": [], "sent_to_screen_ms": []}
    for key, join, (h0, h1), sent, shown in zip(keys[-n:], joins[-n:], clocks.handler[-n:], clocks.sent[-n:],
                                                shown_at[-n:], strict=True):
        if join is None:
            continue
        hops["key_to_request_ms"].append(join - key)
        hops["request_to_handler_ms"].append(h0 - join)
        hops["handler_ms"].append(h1 - h0)
        hops["handler_to_sent_ms"].append(sent - h1)
        hops["sent_to_screen_ms"].append(shown - sent)
    out: dict[str, Any] = {name: round(percentile(v, 50), 1) for name, v in hops.items()}
    out.update({"store_ms": round(percentile(clocks.store, 50), 1),
                "payload_bytes": int(statistics.median(clocks.payload)) if clocks.payload else None,
                **{f"{kind}_handler_ms": round(percentile(v, 50), 1) for kind, v in clocks.burst.items()}, **overall})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()
    r = run(args.items)
    print(f"Enter to next item over {r['items']} items: p50 {r['key_to_next_item_ms']['p50']} ms, "
          f"p95 {r['key_to_next_item_ms']['p95']} ms; baseline p50 {r['baseline_round_trip_ms']['p50']} ms; "
          f"ratio p50 {r['ratio_p50']}; load average {r['load_average']}")
    print("p50 per hop: key -> request {key_to_request_ms} ms, request -> handler {request_to_handler_ms} ms, "
          "handler {handler_ms} ms (store {store_ms} ms), handler -> answer sent {handler_to_sent_ms} ms, "
          "sent -> screen {sent_to_screen_ms} ms; "
          "answer {payload_bytes} bytes; the burst's handlers: autosave {autosave_handler_ms} ms, "
          "preference {preference_handler_ms} ms".format(**r))
    if args.json:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
