"""Where the time of one Rate submit goes, from the Enter key to the next item on screen, in Chromium.

The same set-up and keys as ``bench/rate_ui_latency.py`` (the real app with logins, one annotator rating from the
keyboard), with clocks at each hop. Browser and server run on one machine, so their epoch clocks agree:

* ``key_to_request_ms``: Enter keydown to the ``queue/join`` request leaving the page (the key script, Gradio's
  client collecting the inputs);
* ``request_to_handler_ms``: that request to the handler starting (HTTP, queue, login check, preprocess);
* ``handler_ms``: the Python handler (``workflow.submit``: store the answers, claim and read the next item;
  then the render of the updates); ``store_ms`` is the ``workflow.submit`` part alone;
* ``handler_to_sent_ms``: handler end to the answer (``process_completed``) handed to the page's event stream
  (postprocess, the queue);
* ``sent_to_screen_ms``: from there to the first frame showing the next item (the stream, the page applying
  every update and drawing);
* ``payload_bytes``: the size of the submit's answer as sent (its updates, JSON).

Usage: python bench/rate_submit_breakdown.py [--items 20] [--json]; with ``--json`` the last line is one JSON
object with the p50 of each hop, ``key_to_next_item_ms`` {p50, p95}, a baseline (the H key's light round trip,
as rate_ui_latency.py) and ``ratio_p50``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))
for name, value in {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}.items():
    os.environ.setdefault(name, value)

from rate_ui_latency import PROBE_JS, percentile  # noqa: E402
from rate_ui_support import add_item, item_shown, open_rate_tab, wait_until  # noqa: E402

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
    from ui_server import _launch

    from workbench.services import build_services
    from workbench.ui.app import build_app

    clocks = Clocks()
    with tempfile.TemporaryDirectory() as tmp:
        svc = build_services(test_config(Path(tmp) / "rate.db", k=1, blind=True), auth_enabled=True)
        make_users(svc.store, "ann")
        for i in range(n_items + 1):
            add_item(svc.store, [f"咳嗽{i}天了吗？有没有发烧？", f"考虑上呼吸道感染，建议多喝水（{i}）。",
                                 f"建议先量体温。咳嗽有痰吗？（{i}）"])
        demo = build_app(svc)
        instrument(demo, clocks)
        port = _launch(demo, svc, None)
        instrument_queue(demo, clocks)
        url = f"http://127.0.0.1:{port}/"
        try:
            with sync_playwright() as pw:
                browser = launch(pw)
                ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
                page.evaluate(PROBE_JS)
                page.evaluate(FETCH_JS)
                kb = page.keyboard
                kb.press("n")
                wait_until(lambda: item_shown(page) == 1, what="the first item")
                shown_at: list[float] = []
                for _ in range(n_items):
                    item = item_shown(page)
                    for key in ("h", "h"):
                        before = len(page.evaluate("window.__probe.samples.diff"))
                        kb.press(key)
                        wait_until(lambda b=before: len(page.evaluate("window.__probe.samples.diff")) > b,
                                   what="the diff toggle")
                    for _ in range(3):
                        for key in ("y", "4", "0"):
                            kb.press(key)
                    kb.press("a")
                    before = len(page.evaluate("window.__probe.samples.next"))
                    joins_before = len(page.evaluate("window.__joins"))
                    kb.press("Enter")
                    wait_until(lambda b=before, old=item: len(page.evaluate("window.__probe.samples.next")) > b
                               and item_shown(page) != old, what="the next item")
                    keys = page.evaluate("window.__keys")
                    shown_at.append(keys[-1] + page.evaluate("window.__probe.samples.next")[-1])
                    joins = page.evaluate("window.__joins")[joins_before:]
                    # the submit's join is the first one sent after the key
                    page.evaluate("(j) => { window.__submitJoins = (window.__submitJoins || []).concat([j]); }",
                                  next((j for j in joins if j >= keys[-1]), None))
                samples = page.evaluate("window.__probe.samples")
                keys = page.evaluate("window.__keys")
                joins = page.evaluate("window.__submitJoins")
                ctx.close()
                browser.close()
        finally:
            demo.close()
            svc.close()
    n = min(len(keys), len(joins), len(clocks.handler), len(shown_at))
    n = min(n, len(clocks.sent))
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
    nxt, base = samples["next"], samples["diff"]
    out: dict[str, Any] = {name: round(percentile(v, 50), 1) for name, v in hops.items()}
    out.update({"store_ms": round(percentile(clocks.store, 50), 1),
                "payload_bytes": int(statistics.median(clocks.payload)) if clocks.payload else None,
                "key_to_next_item_ms": {"p50": round(percentile(nxt, 50), 1), "p95": round(percentile(nxt, 95), 1)},
                "baseline_round_trip_ms": {"p50": round(percentile(base, 50), 1),
                                           "p95": round(percentile(base, 95), 1)},
                "ratio_p50": round(statistics.median(nxt) / statistics.median(base), 2) if base else None,
                "items": len(nxt), "load_average": round(os.getloadavg()[0], 2)})
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
          "answer {payload_bytes} bytes".format(**r))
    if args.json:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
