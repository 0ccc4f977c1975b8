"""The Chromium probe shared by the Rate benches (rate_ui_latency.py, rate_submit_breakdown.py).

One annotator rates items from the keyboard, as an annotator does: per reply Y (accept the suggested turn type),
a score and N/A, then A (best) and Enter. Before each submit the H key (highlight differences) is pressed twice,
each waited for: one light round trip through the same queue, login check and item read, the baseline that the
benches divide by.

* :data:`PROBE_JS`, installed in the page: the time from a keydown (a capturing listener's ``performance.now()``,
  before the app's own handler) to the first animation frame that shows its effect: for Enter, another item
  number in the item line (not merely another text: a progress overlay's timer once counted as "the next item");
  for H, the first reply's diff shown or hidden.
* :func:`seed_items` stores the items, :func:`open_first_item` signs the annotator in and opens item 1,
  :func:`rate_and_submit` rates the open item and waits for the next, :func:`summary` turns the samples into the
  JSON both benches print.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for path in (REPO, REPO / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
for name, value in {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}.items():
    os.environ.setdefault(name, value)

from rate_ui_support import add_item, item_shown, open_rate_tab, wait_until  # noqa: E402

from workbench.store.engine import Store  # noqa: E402

PROBE_JS = r"""() => {
  if (window.__probe) return;
  window.__probe = {samples: {next: [], diff: []}};
  const text = (sel) => { const e = document.querySelector(sel); return e ? e.innerText : ''; };
  const shown = (sel) => { const e = document.querySelector(sel); return !!(e && e.offsetParent !== null); };
  const watch = (kind, changed) => {
    const t0 = performance.now();
    const frame = () => {
      if (changed()) window.__probe.samples[kind].push(performance.now() - t0);
      else if (performance.now() - t0 < 60000) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  };
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      // The item's number, not the whole line: a progress overlay's running timer also changes the line's text.
      const item = () => (text('#rate-item-info').match(/#(\d+)/) || [])[1];
      const before = item();
      watch('next', () => item() !== before);
    } else if (ev.key === 'h') {
      const before = shown('#rate-diff-0');
      watch('diff', () => shown('#rate-diff-0') !== before);
    }
  }, true);
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def seed_items(store: Store, n: int) -> None:
    """``n`` items of three distinct replies each after the same three-turn history."""
    for i in range(n):
        add_item(store, [f"咳嗽{i}天了吗？有没有发烧？", f"考虑上呼吸道感染，建议多喝水（{i}）。",
                         f"建议先量体温。咳嗽有痰吗？（{i}）"])


def open_first_item(browser: Any, url: str) -> tuple[Any, Any]:
    """(context, page): the annotator ``ann`` signed in on the Rate tab with the probe installed and item 1 open."""
    ctx, page = open_rate_tab(browser, url, "ann", "en", keyboard_only=True)
    page.evaluate(PROBE_JS)
    page.keyboard.press("n")
    wait_until(lambda: item_shown(page) == 1, what="the first item")
    return ctx, page


def samples(page: Any, kind: str) -> list[float]:
    return page.evaluate(f"window.__probe.samples.{kind}")


def rate_and_submit(page: Any, before_enter: Any = None) -> None:
    """The baseline (H twice), then rate the open item from the keyboard, Enter, and wait for the next item.

    ``before_enter()``, if given, runs just before the Enter key (a bench's own clocks)."""
    kb = page.keyboard
    item = item_shown(page)
    for key in ("h", "h"):  # diff on, then off, each waited for
        n = len(samples(page, "diff"))
        kb.press(key)
        wait_until(lambda n=n: len(samples(page, "diff")) > n, what="the diff toggle")
    for _ in range(3):
        for key in ("y", "4", "0"):
            kb.press(key)
    kb.press("a")
    if before_enter is not None:
        before_enter()
    n = len(samples(page, "next"))
    kb.press("Enter")
    wait_until(lambda: len(samples(page, "next")) > n and item_shown(page) != item, what="the next item")


def summary(page: Any) -> dict[str, Any]:
    """``key_to_next_item_ms`` and the baseline (p50, p95), their p50 ratio, the item count and the load."""
    nxt, base = samples(page, "next"), samples(page, "diff")
    return {"key_to_next_item_ms": {"p50": round(percentile(nxt, 50), 1), "p95": round(percentile(nxt, 95), 1)},
            "baseline_round_trip_ms": {"p50": round(percentile(base, 50), 1), "p95": round(percentile(base, 95), 1)},
            "ratio_p50": round(statistics.median(nxt) / statistics.median(base), 2) if nxt and base else None,
            "items": len(nxt), "load_average": round(os.getloadavg()[0], 2)}
