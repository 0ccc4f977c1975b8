"""Coverage of the Compare tab's 95% score CI, resampling replies against resampling dialogues.

A simulated study: ``--dialogues`` dialogues of ``--turns`` rated replies, each reply rated by k of 6
annotators. A reply's true score is 3 + a dialogue effect (shared by the dialogue's replies) + its own
effect; each rating adds noise (and, in the last scenario, a fixed annotator bias). The truth is the
population mean, 3.0. Each scenario runs ``--studies`` studies and counts how often the interval from
:func:`workbench.analysis.scores.cluster_bootstrap_mean_ci` covers 3.0, clustered by reply (what the
score table did before) and by dialogue (what it does now). Nominal coverage is 0.95.

Usage: python bench/score_ci_coverage.py [--studies N] [--n-boot B] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workbench.analysis.scores import cluster_bootstrap_mean_ci  # noqa: E402

SCENARIOS = {
    "dialogue effect sd 0.6": {},
    "no dialogue effect": {"dlg_sd": 0.0},
    "annotator bias sd 0.5, no dialogue effect": {"dlg_sd": 0.0, "ann_sd": 0.5},
}


def study(rng: np.random.Generator, n_dlg: int = 30, turns: int = 5, k: int = 3, dlg_sd: float = 0.6,
          reply_sd: float = 0.4, n_ann: int = 6, ann_sd: float = 0.0,
          noise: float = 0.4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ratings, their reply ids and their dialogue ids for one simulated study."""
    ann_bias = rng.normal(0, ann_sd, n_ann)
    vals, replies, dialogues = [], [], []
    reply = 0
    for d in range(n_dlg):
        effect = rng.normal(0, dlg_sd)
        for _t in range(turns):
            true = 3 + effect + rng.normal(0, reply_sd)
            for a in rng.choice(n_ann, k, replace=False):
                vals.append(true + ann_bias[a] + rng.normal(0, noise))
                replies.append(reply)
                dialogues.append(d)
            reply += 1
    return np.array(vals), np.array(replies), np.array(dialogues)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studies", type=int, default=300)
    ap.add_argument("--n-boot", type=int, default=500)
    ap.add_argument("--dialogues", type=int, default=30)
    ap.add_argument("--turns", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results = {}
    for label, kw in SCENARIOS.items():
        rng = np.random.default_rng(0)
        hits = {"reply": 0, "dialogue": 0}
        widths: dict[str, list[float]] = {"reply": [], "dialogue": []}
        for i in range(args.studies):
            v, replies, dialogues = study(rng, n_dlg=args.dialogues, turns=args.turns, **kw)
            for unit, clusters in (("reply", replies), ("dialogue", dialogues)):
                _m, lo, hi = cluster_bootstrap_mean_ci(v, clusters, n_boot=args.n_boot, seed=i)
                hits[unit] += int(lo <= 3.0 <= hi)
                widths[unit].append(hi - lo)
        results[label] = {unit: {"coverage": hits[unit] / args.studies,
                                 "mean_width": float(np.mean(widths[unit]))} for unit in hits}
        if not args.json:
            print(f"{label:44s} " + "  ".join(
                f"by {unit}: coverage {r['coverage']:.3f} width {r['mean_width']:.3f}"
                for unit, r in results[label].items()))
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
