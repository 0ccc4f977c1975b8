"""The statistics' store read: ``load_frames`` (what Compare, Quality and ``stats`` start from) on a SQLite
store of N rated replies with their rating queue and turn-type suggestions, against a baseline measured in
the same run: ``SELECT *`` of the tables it reads, fetched as plain tuples.

The queue matters: building it stores a turn-type suggestion per reply, and the newest-suggestion lookup
was quadratic in them (30,000 replies: about 140 s before, 2 s after).

``--json`` makes the last line ``{"rows": ..., "ratings": ..., "seconds": ..., "baseline_seconds": ...,
"ratio": ...}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from export_store_read import baseline, fill  # noqa: E402

from workbench.analysis.from_store import load_frames  # noqa: E402
from workbench.annotate.queue import sync_queue  # noqa: E402
from workbench.store.engine import Store  # noqa: E402

TABLES = ("generations", "suggestions", "ratings", "preferences", "turns", "dialogues", "users")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=30_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        n_ratings = fill(store, args.rows)
        with store.session() as s:
            sync_queue(s)  # the queue's turn-type suggestions, as a real store has them
        load_frames(store)  # warm: imports, caches
        base = min(baseline(store, TABLES) for _ in range(3))
        t = time.perf_counter()
        frames = load_frames(store)
        seconds = time.perf_counter() - t
        store.dispose()
    assert len(frames.ratings) == n_ratings and frames.generations["turn_type_auto"].notna().all()
    print(f"{args.rows} replies, {n_ratings} ratings: load_frames {seconds:.2f} s, "
          f"SELECT * baseline {base:.2f} s, ratio {seconds / base:.1f}x")
    if args.json:
        print(json.dumps({"rows": args.rows, "ratings": n_ratings, "seconds": round(seconds, 4),
                          "baseline_seconds": round(base, 4), "ratio": round(seconds / base, 2)}))


if __name__ == "__main__":
    main()
