"""Flat tables of a large imported dataset: ``export_from_store`` of ``tables_csv`` on a SQLite store holding
an imported BianQue CSV of N rows (every reply and dialogue in scope goes into the tables, rated or not) and
only a few ratings, against a baseline measured in the same run on the same store: the ``bianque_jsonl``
export (the rated replies only; the same store read and preparation).

The CSV is made from the repository's own texts: patient turns of ``workbench/data/demo_dialogues.jsonl``
with an age, a duration or a temperature added, doctor replies of the classifier sets
(``tests/data/classifier_*.jsonl``), their numbers changed, and one patient turn in 200 from
``annotations/deid_eval.jsonl`` (personal data, so that de-identification has work to do); most rows are
a dialogue of one round, some continue the row before. Each export runs in a fresh process
(``--one FORMAT``), so no de-identification cache is warm from the other one.

``--json`` makes the last line ``{"rows": ..., "texts": ..., "seconds": ..., "baseline_seconds": ...,
"ratio": ...}``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.auth import upsert_user  # noqa: E402
from workbench.datasets.store_import import import_dataset  # noqa: E402
from workbench.store.engine import Store  # noqa: E402
from workbench.store.schema import Dialogue, Generation, Rating  # noqa: E402

COLUMNS = ("BianQue-1.0", "BianQue-2.0", "Hybrid")


def write_csv(path: Path, n_rows: int, seed: int = 0) -> None:
    """A BianQue CSV of ``n_rows`` rows (see the module docstring)."""
    rng = random.Random(seed)
    patients: list[str] = []
    doctors: list[str] = []
    for line in (ROOT / "workbench/data/demo_dialogues.jsonl").read_text(encoding="utf-8").splitlines():
        for t in json.loads(line)["turns"]:
            (patients if t["role"] == "patient" else doctors).append(t["text"])
    for p in sorted((ROOT / "tests/data").glob("classifier_*.jsonl")):
        doctors += [t for x in p.read_text(encoding="utf-8").splitlines() if x.strip() and (t := json.loads(x)["text"]).strip()]
    personal = [json.loads(x)["text"] for x in (ROOT / "annotations/deid_eval.jsonl").read_text(encoding="utf-8")
                .splitlines() if x.strip()]

    def numbers(t: str) -> str:
        return re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(0, 9)), t)

    def patient() -> str:
        if rng.random() < 0.005:
            return rng.choice(personal)
        extra = rng.choice(["", f"已经{rng.randint(1, 30)}天了。", f"我今年{rng.randint(1, 90)}岁。",
                            f"体温{rng.randint(36, 40)}.{rng.randint(0, 9)}度。"])
        return numbers(rng.choice(patients)) + extra

    def escaped(t: str) -> str:
        return t.replace("\\", "\\\\").replace("\n", "\\n")

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["input", "target"])
        rows = 0
        while rows < n_rows:
            history = ""
            for _ in range(rng.choice([1, 1, 1, 1, 2, 3])):
                history += f"病人：{escaped(patient())}\\n医生："
                target = escaped(numbers(rng.choice(doctors)))
                w.writerow([history, target])
                rows += 1
                history += target + "\\n"
                if rows >= n_rows:
                    break


def fill(store: Store, csv_path: Path, n_rated: int = 12) -> int:
    """Import the CSV, then one reply per column on the first ``n_rated`` dialogues' first turn, each rated
    once (3 x 12 = 36 ratings, as in the report that found the slow export); returns the ratings."""
    import_dataset(store, csv_path, "bench")
    user = upsert_user(store, "ann0", "secret-pass-bench", "annotator")
    n = 0
    with store.session() as s:
        for did in s.scalars(Dialogue.__table__.select().with_only_columns(Dialogue.id).order_by(Dialogue.id)
                             .limit(n_rated)).all():
            gens = [Generation(dialogue_id=did, turn_index=1, column_name=c, backend="bench",
                               output=f"{c}：咳嗽多久了？", status="ok") for c in COLUMNS]
            s.add_all(gens)
            s.flush()
            for g in gens:
                s.add(Rating(generation_id=g.id, user_id=user.id, status="submitted", turn_type="question",
                             scores={"questioning": 4, "suggestion": 3}))
                n += 1
    return n


def one(db: str, fmt: str, out: str) -> None:
    """Export ``fmt`` of the store at ``db`` into ``out``; print the seconds and the texts de-identified."""
    import workbench.export.tables  # noqa: F401
    from workbench.export import from_store  # imports (pandas, pyarrow) before the clock

    store = Store(db)
    t = time.perf_counter()
    reports = from_store.export_from_store(store, [fmt], out)
    seconds = time.perf_counter() - t
    store.dispose()
    print(json.dumps({"seconds": seconds, "texts": reports[fmt].deid.texts_seen}))


def timed(db: str, fmt: str, out: Path) -> dict:
    got = subprocess.run([sys.executable, __file__, "--one", fmt, "--db", db, "--out", str(out)],
                         check=True, capture_output=True, text=True)
    return json.loads(got.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=150_000)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--db", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.db, args.one, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "bench.csv"
        write_csv(csv_path, args.rows)
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = Store(db)
        n_ratings = fill(store, csv_path)
        store.dispose()
        base = timed(db, "bianque_jsonl", Path(tmp) / "jsonl")
        tables = timed(db, "tables_csv", Path(tmp) / "tables")
    ratio = tables["seconds"] / base["seconds"]
    print(f"{args.rows} imported rows, {n_ratings} ratings: tables_csv {tables['seconds']:.2f} s "
          f"({tables['texts']} texts de-identified), bianque_jsonl baseline {base['seconds']:.2f} s, "
          f"ratio {ratio:.1f}x")
    if args.json:
        print(json.dumps({"rows": args.rows, "ratings": n_ratings, "texts": tables["texts"],
                          "seconds": round(tables["seconds"], 3), "baseline_seconds": round(base["seconds"], 3),
                          "ratio": round(ratio, 2)}))


if __name__ == "__main__":
    main()
