"""Export's store read: ``load_export(with_tables=True)`` (labelled selects loaded with ``pandas.read_sql``,
scores spread from JSON) on a SQLite store of N rated replies, against a baseline measured in the same run:
``SELECT *`` of the same five tables fetched as plain tuples (no labels, no frames, no JSON spreading).

``--json`` makes the last line ``{"rows": ..., "ratings": ..., "seconds": ..., "baseline_seconds": ...,
"ratio": ...}``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from workbench.auth import upsert_user  # noqa: E402
from workbench.dialogue import Turn  # noqa: E402
from workbench.export.from_store import load_export  # noqa: E402
from workbench.store.dialogues import create_dialogue  # noqa: E402
from workbench.store.engine import Store  # noqa: E402
from workbench.store.schema import Generation, Rating  # noqa: E402

COLUMNS = ("BianQue-1.0", "BianQue-2.0", "Hybrid")


def fill(store: Store, n_rows: int, seed: int = 0) -> int:
    """``n_rows`` ok replies (3 columns per dialogue), each rated by 1-3 annotators; returns the ratings."""
    rng = random.Random(seed)
    users = [upsert_user(store, f"ann{i}", "secret-pass-bench", "annotator") for i in range(3)]
    n_ratings = 0
    with store.session() as s:
        for d in range(n_rows // len(COLUMNS)):
            dia = create_dialogue(s, (Turn("patient", f"我咳嗽{d}天了"),), source="dataset")
            gens = [Generation(dialogue_id=dia.id, turn_index=1, column_name=c, backend="bench",
                               output=f"{c}：咳嗽多久了？", status="ok") for c in COLUMNS]
            s.add_all(gens)
            s.flush()
            for g in gens:
                for u in rng.sample(users, rng.randint(1, 3)):
                    scores = {"questioning": rng.randint(1, 5), "suggestion": rng.choice([1, 2, 3, 4, 5, "na"])}
                    s.add(Rating(generation_id=g.id, user_id=u.id, status="submitted", turn_type="question",
                                 scores=scores))
                    n_ratings += 1
    return n_ratings


EXPORT_TABLES = ("dialogues", "turns", "generations", "ratings", "preferences")


def baseline(store: Store, tables: tuple[str, ...] = EXPORT_TABLES) -> float:
    """Seconds to fetch ``SELECT *`` of ``tables`` as plain tuples."""
    t = time.perf_counter()
    with store.read() as session:
        conn = session.connection()
        for table in tables:
            conn.execute(text(f"SELECT * FROM {table}")).all()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=30_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        n_ratings = fill(store, args.rows)
        load_export(store, with_tables=True)  # warm: imports, caches
        base = min(baseline(store) for _ in range(3))
        t = time.perf_counter()
        data = load_export(store, with_tables=True)
        seconds = time.perf_counter() - t
        store.dispose()
    assert data.tables is not None and len(data.tables["ratings"]) == n_ratings
    print(f"{args.rows} replies, {n_ratings} ratings: load_export {seconds:.2f} s, "
          f"SELECT * baseline {base:.2f} s, ratio {seconds / base:.1f}x")
    if args.json:
        print(json.dumps({"rows": args.rows, "ratings": n_ratings, "seconds": round(seconds, 3),
                          "baseline_seconds": round(base, 3), "ratio": round(seconds / base, 2)}))


if __name__ == "__main__":
    main()
