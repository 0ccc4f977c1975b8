"""Many annotators at once: 20 logged-in gradio_client users each submit 200 ratings, concurrently.

Starts the REAL server as a subprocess (``python launch.py --config <tmp> --users <tmp> --port P
--no-warm-up``) on a fresh database, inserts stored generations (one ratable reply per item, so one
submit = one rating; ``k`` annotators per item), then runs one thread per annotator. Each annotator
loops: ``/rate_next`` (claim an item through the queue) then ``/rate_submit`` (the Rate tab's own
submit, with the server resolving the user from the login). A submit counts as *acknowledged* only when
the server's answer says "✅ Item #N submitted".

Afterwards the database is read directly:
- lost: acknowledged submits with no submitted rating by that user on that item's reply;
- duplicated: more than one rating row per (user, reply), more than one version snapshot per
  (rating, version), an annotator holding an item twice, or an item with more than k annotators;
- locked_errors: any answer, exception or server log line mentioning "database is locked" / busy.

Before the crowd arrives, one annotator works alone on the idle server through the Rate tab's own
events, as the browser does: ``/rate_submit`` (save, complete the item, render the tab) then
``/rate_next``. ``solo_p50_ms`` / ``solo_p95_ms`` are that submit's round trip; the baseline is a
queued event that does no rating work (``/new_dialogue``: one login lookup, an empty render), timed in
the same loop, so ``solo_ratio`` = solo p50 / baseline p50 separates our work from Gradio's and the
machine's (the goal: solo p95 <= 300 ms).

Usage: python bench/annotator_load.py [--annotators 20] [--ratings 200] [--k 4] [--solo 40] [--db-url URL]
[--json]. ``--db-url`` may be a PostgreSQL URL (a fresh schema is created for the run). The last line
with ``--json`` is ``{"annotators", "ratings", "lost", "duplicated", "locked_errors", "p50_ms", "p95_ms",
"solo_p50_ms", "solo_p95_ms", ...}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


from workbench.store.engine import Store  # noqa: E402
from workbench.testing.load import (  # noqa: E402
    AnnotatorResult,
    audit,
    count_locked,
    fresh_pg_url,
    percentile,
    run_annotators,
    seed_items,
    solo_latency,
    start_server,
    write_config,
    write_users,
)

# ---------------------------------------------------------------------------------------------------


def run(annotators: int = 20, ratings: int = 200, k: int = 4, db_url: str | None = None,
        concurrency: int = 8, workdir: Path | None = None, endpoint: str = "api", solo: int = 40) -> dict[str, Any]:
    """The whole load run; returns the summary dict (also what ``--json`` prints)."""
    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="annotator-load-")
        workdir = Path(tmp.name)
    try:
        url = fresh_pg_url(db_url) if db_url and db_url.startswith("postgresql") else (
            db_url or f"sqlite:///{workdir / 'load.db'}")
        store = Store(url)
        # Enough for every annotator to find `ratings` items it has not taken yet, whoever is fastest.
        n_items = -(-annotators * ratings // k) + ratings + solo
        seed_items(store, n_items)
        config = write_config(workdir, url, k, concurrency)
        users, logins = write_users(workdir, annotators + (1 if solo else 0))
        solo_login = logins.pop() if solo else None
        server = start_server(config, users, log_path=workdir / "server.log")
        solo_result = AnnotatorResult(solo_login[0] if solo_login else "")
        try:
            solo_out = solo_latency(server.url, solo_login, solo, solo_result) if solo_login else {}
            results, wall = run_annotators(server.url, logins, ratings, endpoint)
        finally:
            server.stop()
        a = audit(store, results, k)
        solo_audit = audit(store, [solo_result], k) if solo_login else None
        store.dispose()
        submit_ms = [x for r in results for x in r.submit_ms]
        next_ms = [x for r in results for x in r.next_ms]
        errors = [e for r in results for e in r.errors]
        return {
            "annotators": annotators, "ratings": a.acknowledged, "lost": a.lost, "duplicated": a.duplicated,
            "locked_errors": count_locked(results, server.log()),
            "p50_ms": round(percentile(submit_ms, 50), 1), "p95_ms": round(percentile(submit_ms, 95), 1),
            "next_p50_ms": round(percentile(next_ms, 50), 1), "next_p95_ms": round(percentile(next_ms, 95), 1),
            "errors": len(errors), "first_error": errors[0][:300] if errors else None,
            "requested": annotators * ratings, "submitted_in_db": a.submitted_in_db, "k": k,
            "wall_s": round(wall, 1), "submits_per_s": round(a.acknowledged / wall, 1) if wall else None,
            "database": "postgresql" if url.startswith("postgresql") else "sqlite", "endpoint": endpoint,
            "starved": sum(r.empty for r in results),
            "mean_submit_ms": round(statistics.fmean(submit_ms), 1) if submit_ms else None,
            **solo_out,
            "solo_lost": solo_audit.lost if solo_audit else None,
        }
    finally:
        if tmp is not None:
            tmp.cleanup()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--annotators", type=int, default=20)
    p.add_argument("--ratings", type=int, default=200, help="ratings per annotator")
    p.add_argument("--k", type=int, default=4, help="annotators per item")
    p.add_argument("--concurrency", type=int, default=8, help="the server's concurrency_limit")
    p.add_argument("--db-url", help="SQLAlchemy URL (default: a fresh SQLite file); PostgreSQL gets a new schema")
    p.add_argument("--endpoint", choices=("api", "ui"), default="api",
                   help="api: /rate_api_submit (one call per submit); ui: /rate_next + /rate_submit (the buttons)")
    p.add_argument("--solo", type=int, default=40,
                   help="submits of one annotator alone on the idle server, before the load (0: skip)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line at the end")
    args = p.parse_args(argv)
    out = run(args.annotators, args.ratings, args.k, args.db_url, args.concurrency, endpoint=args.endpoint,
              solo=args.solo)
    if args.solo:
        print(f"solo annotator on the idle server (Rate tab submit): p50 {out['solo_p50_ms']} ms, "
              f"p95 {out['solo_p95_ms']} ms; baseline event p50 {out['solo_baseline_p50_ms']} ms "
              f"(ratio {out['solo_ratio']}); next item p50 {out['solo_next_p50_ms']} ms")
    print(f"{out['annotators']} annotators x {args.ratings} ratings on {out['database']} via {args.endpoint}: "
          f"{out['ratings']} acknowledged in {out['wall_s']} s ({out['submits_per_s']}/s)")
    print(f"submit latency p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms "
          f"(next item p50 {out['next_p50_ms']} ms, p95 {out['next_p95_ms']} ms)")
    print(f"lost {out['lost']}, duplicated {out['duplicated']}, 'database is locked' {out['locked_errors']}, "
          f"other errors {out['errors']}" + (f" (first: {out['first_error']})" if out["first_error"] else ""))
    if args.json:
        keys = ("annotators", "ratings", "lost", "duplicated", "locked_errors", "p50_ms", "p95_ms", "solo_p50_ms",
                "solo_p95_ms")
        print(json.dumps({**{k: out[k] for k in keys}, **{k: v for k, v in out.items() if k not in keys}},
                         ensure_ascii=False))
    ok = (out["lost"] == 0 and out["duplicated"] == 0 and out["locked_errors"] == 0 and out["errors"] == 0
          and not out.get("solo_errors") and not out.get("solo_lost"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
