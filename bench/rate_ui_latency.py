"""How long from the Enter key (submit) to the next item on screen, in Chromium, over 20 items.

Starts the real app in-process with logins on 127.0.0.1 (``tests/ui_server.py``), stores ``--items`` items of
three replies each, signs one annotator in with Debian's Chromium and rates every item from the keyboard
(``bench/rate_probe.py``, shared with rate_submit_breakdown.py).

* ``key_to_next_item_ms``: from the Enter keydown (a capturing listener's ``performance.now()``) to the first
  animation frame whose item line shows another item number: the submit stored, the next item claimed, sent and
  drawn. (Until this was fixed the probe compared the line's whole text, so the timer of a progress overlay
  drawn into the line counted as "the next item": earlier figures measured that overlay, not the item.)
* baseline, measured in the same run and page: the H key (highlight differences) to the first frame showing
  the diff: one round trip of a light event through the same queue, login check and item read, so
  ``ratio_p50`` = key-to-next p50 / baseline p50 separates the submit's own work from the page and the machine.

Usage: python bench/rate_ui_latency.py [--items 20] [--json]. With ``--json`` the last line is one JSON object:
``{"key_to_next_item_ms": {"p50", "p95"}, "baseline_round_trip_ms": {"p50", "p95"}, "ratio_p50", "items"}``.
The goal is p95 <= 300 ms on an idle machine; the load average is printed too, since a loaded machine is slower.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rate_probe import open_first_item, rate_and_submit, seed_items, summary  # noqa: E402
from rate_ui_support import rate_server  # noqa: E402

from tests.browser import launch  # noqa: E402


def run(n_items: int) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, rate_server(Path(tmp), blind=True) as (svc, url):
        seed_items(svc.store, n_items + 1)
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx, page = open_first_item(browser, url)
            for _ in range(n_items):
                rate_and_submit(page)
            result = summary(page)
            ctx.close()
            browser.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()
    result = run(args.items)
    k, b = result["key_to_next_item_ms"], result["baseline_round_trip_ms"]
    print(f"Enter to next item over {result['items']} items: p50 {k['p50']} ms, p95 {k['p95']} ms "
          f"(goal p95 <= 300 ms on an idle machine)")
    print(f"baseline (H: a light round trip): p50 {b['p50']} ms, p95 {b['p95']} ms; "
          f"ratio p50 {result['ratio_p50']}; load average {result['load_average']}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
