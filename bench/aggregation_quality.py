"""How much better than a majority vote Dawid-Skene and MACE label a simulated crowd (goal: >= +0.05).

Simulates 10 annotators over 500 items with known true turn types (question 45%, suggestion 30%,
mixed 15%, other 10%): 4 reliable (know the answer 80-95% of the time), 3 noisy (35-55%), 2 who always
answer "question" and 1 who clicks at random. Each item goes to ``--per-item`` annotators drawn at random,
as the rating queue does. Otherwise an annotator who does not know picks a label at random.

Measured: each method's accuracy against the true labels, and the Spearman correlation of the estimated
reliabilities with the true ones (goal: >= 0.8). ``reliability_rank_correlation`` is that of the more
accurate of Dawid-Skene and MACE, the aggregate one would use.

Baseline, measured in the same run: the majority vote. ``ratio`` is the better EM method's accuracy
divided by the majority's; ``time_ratio`` its fitting time divided by the majority's.

Usage: python bench/aggregation_quality.py [--items N] [--per-item K] [--seed S] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.analysis.aggregation import aggregate  # noqa: E402
from workbench.analysis.crowd_simulation import accuracy, reliability_rank_correlation, simulate  # noqa: E402

METHODS = (("majority", "mean"), ("dawid_skene", "dawid-skene"), ("mace", "mace"))


def run(n_items: int, per_item: int, seed: int) -> dict:
    crowd = simulate(n_items=n_items, per_item=per_item, seed=seed)
    acc: dict[str, float] = {}
    rho: dict[str, float] = {}
    secs: dict[str, float] = {}
    for key, method in METHODS:
        t0 = time.perf_counter()
        res = aggregate(crowd.answers, method, seed=seed)
        secs[key] = time.perf_counter() - t0
        acc[key] = round(accuracy(res, crowd.truth), 4)
        rho[key] = round(reliability_rank_correlation(res, crowd), 4)
    best = max(("dawid_skene", "mace"), key=lambda k: acc[k])
    return {
        "accuracy": acc,
        "reliability_rank_correlation": rho[best],
        "reliability_rank_correlation_by_method": rho,
        "best_method": best,
        "gain_over_majority": round(acc[best] - acc["majority"], 4),
        "ratio": round(acc[best] / acc["majority"], 4),
        "seconds": {k: round(v, 3) for k, v in secs.items()},
        "time_ratio": round(secs[best] / max(secs["majority"], 1e-9), 1),
        "items": n_items,
        "annotators": 10,
        "per_item": per_item,
        "seed": seed,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=500)
    ap.add_argument("--per-item", type=int, default=5, help="annotators per item (1-10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="last line: one JSON object")
    args = ap.parse_args(argv)
    out = run(args.items, args.per_item, args.seed)
    acc = out["accuracy"]
    print(f"{out['items']} items, 10 annotators, {out['per_item']} per item (seed {out['seed']})")
    for key, _ in METHODS:
        print(f"  {key:12s} accuracy {acc[key]:.3f}  reliability Spearman "
              f"{out['reliability_rank_correlation_by_method'][key]:.3f}  ({out['seconds'][key]:.2f} s)")
    print(f"best EM ({out['best_method']}) vs majority: +{out['gain_over_majority']:.3f} "
          f"(ratio {out['ratio']:.3f}, goal >= +0.05); time ratio {out['time_ratio']}x")
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
