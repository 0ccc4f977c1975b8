"""Where the page spends a Rate submit: a Chromium CPU profile, the events it sends, the components it holds.

The same set-up and keys as ``bench/rate_ui_latency.py`` (the real app with logins, one annotator rating from the
keyboard: ``bench/rate_probe.py``). After two warm-up items, the Chrome DevTools Protocol ``Profiler`` samples the
page's main thread over ``--items`` submits (from just before the Enter key to the next item on screen), and:

* self time by function and by Gradio source file (top entries), as a share of the sampled time;
* the ``queue/join`` requests (events) the page sends from the Enter key until the next item is drawn, by the
  event's api name: the submit, and autosaves of keys pressed just before it (the probe rates in a burst);
  that the answer fires nothing is checked by ``tests/test_rate_events_browser.py``;
* the components in the page's config (every tab) and in the Rate tab alone.

Usage: python bench/rate_profile.py [--items 5] [--json]; with ``--json`` the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rate_probe import open_first_item, rate_and_submit, samples, seed_items  # noqa: E402

from tests.browser import launch  # noqa: E402

#: every queue/join request the page sends: (epoch ms, fn_index)
JOINS_JS = """() => {
  if (window.__joinLog) return;
  window.__joinLog = [];
  window.__enterAt = [];
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (url.includes('queue/join')) {
      let fn = null;
      try { fn = JSON.parse(init && init.body).fn_index; } catch (e) { /* not JSON */ }
      window.__joinLog.push([Date.now(), fn]);
    }
    return fetch0.apply(this, arguments);
  };
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') window.__enterAt.push(Date.now()); }, true);
}"""


def _descendants(layout: dict) -> list[int]:
    out = []
    for child in layout.get("children", []) or []:
        out.append(child["id"])
        out += _descendants(child)
    return out


def component_counts(config: dict) -> dict[str, int]:
    """Components in the page's config, and inside the Rate tab (``elem_id`` tab-rate)."""
    by_id = {c["id"]: c for c in config["components"]}

    def find(layout: dict) -> dict | None:
        if by_id.get(layout["id"], {}).get("props", {}).get("elem_id") == "tab-rate":
            return layout
        for child in layout.get("children", []) or []:
            hit = find(child)
            if hit is not None:
                return hit
        return None

    rate = find(config["layout"])
    return {"page": len(config["components"]), "rate_tab": len(_descendants(rate)) if rate else 0}


def aggregate(profile: dict, top: int = 25) -> dict[str, Any]:
    """Self time (ms) by ``function (file)`` and by file, from a CDP ``Profiler.stop`` profile."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    interval_ms = (profile["endTime"] - profile["startTime"]) / 1000 / max(1, len(profile["samples"]))
    by_fn: collections.Counter[str] = collections.Counter()
    by_file: collections.Counter[str] = collections.Counter()
    for sample in profile["samples"]:
        frame = nodes[sample]["callFrame"]
        file = frame["url"].rsplit("/", 1)[-1] or "(native)"
        name = frame["functionName"] or "(anonymous)"
        by_fn[f"{name} ({file}:{frame['lineNumber']}:{frame['columnNumber']})"] += interval_ms
        by_file[file] += interval_ms
    total = sum(by_file.values())
    return {"sampled_ms": round(total, 1),
            "by_function": [(k, round(v, 1)) for k, v in by_fn.most_common(top)],
            "by_file": [(k, round(v, 1)) for k, v in by_file.most_common(top)]}


def run(n_items: int, profile_path: Path | None) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright
    from rating_fixtures import make_users, test_config
    from ui_server import launch_app

    from workbench.services import build_services
    from workbench.ui.app import build_app

    with tempfile.TemporaryDirectory() as tmp:
        svc = build_services(test_config(Path(tmp) / "rate.db", k=1, blind=True), auth_enabled=True)
        make_users(svc.store, "ann")
        seed_items(svc.store, n_items + 4)
        demo = build_app(svc)
        names = {i: fn.api_name or f"fn{i}" for i, fn in demo.fns.items()}
        counts = component_counts(demo.get_config_file())
        port = launch_app(demo, svc, None)
        try:
            with sync_playwright() as pw:
                browser = launch(pw)
                ctx, page = open_first_item(browser, f"http://127.0.0.1:{port}/")
                page.evaluate(JOINS_JS)
                counts["page_mounted_elements"] = page.evaluate("document.querySelectorAll('*').length")
                for _ in range(2):
                    rate_and_submit(page)
                cdp = ctx.new_cdp_session(page)
                cdp.send("Profiler.enable")
                cdp.send("Profiler.setSamplingInterval", {"interval": 200})
                profiles = []
                for _ in range(n_items):
                    rate_and_submit(page, before_enter=lambda: cdp.send("Profiler.start"))
                    profiles.append(cdp.send("Profiler.stop")["profile"])
                enters = page.evaluate("window.__enterAt")[-n_items:]
                shown = [e + s for e, s in zip(enters, samples(page, "next")[-n_items:], strict=True)]
                joins = page.evaluate("window.__joinLog")
                ctx.close()
                browser.close()
        finally:
            demo.close()
            svc.close()
    if profile_path is not None:
        profile_path.write_text(json.dumps(profiles[-1]))
    merged: dict[str, Any] = {"by_function": collections.Counter(), "by_file": collections.Counter(), "sampled_ms": 0.0}
    for p in profiles:
        a = aggregate(p, top=10_000)
        merged["sampled_ms"] += a["sampled_ms"]
        for key in ("by_function", "by_file"):
            merged[key].update(dict(a[key]))
    per_submit: list[dict[str, int]] = []
    for enter, frame in zip(enters, shown, strict=True):
        sent = collections.Counter(names.get(fn, str(fn)) for t, fn in joins if enter <= t <= frame)
        per_submit.append(dict(sent))
    n = len(profiles)
    return {"items": n, "components": counts,
            "sampled_ms_per_submit": round(merged["sampled_ms"] / n, 1),
            "top_functions_ms_per_submit": [(k, round(v / n, 1)) for k, v in merged["by_function"].most_common(20)],
            "top_files_ms_per_submit": [(k, round(v / n, 1)) for k, v in merged["by_file"].most_common(12)],
            "events_per_submit": per_submit,
            "key_to_next_item_ms": [round(s, 1) for s in [f - e for e, f in zip(enters, shown, strict=True)]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--save-profile", type=Path, default=None, help="write the last submit's .cpuprofile")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()
    r = run(args.items, args.save_profile)
    print(f"components: {r['components']}")
    print(f"sampled main-thread time per submit: {r['sampled_ms_per_submit']} ms; Enter to next item: "
          f"{r['key_to_next_item_ms']} ms")
    print("self time per submit, by file:")
    for name, ms in r["top_files_ms_per_submit"]:
        print(f"  {ms:8.1f} ms  {name}")
    print("self time per submit, by function:")
    for name, ms in r["top_functions_ms_per_submit"]:
        print(f"  {ms:8.1f} ms  {name}")
    print(f"events sent from Enter to the next item: {r['events_per_submit']}")
    if args.json:
        print(json.dumps(r, ensure_ascii=False))


if __name__ == "__main__":
    main()
