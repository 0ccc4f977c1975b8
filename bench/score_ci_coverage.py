"""Coverage and width of the Compare tab's 95% score CI, by what the bootstrap resamples.

A simulated study: ``--dialogues`` dialogues of ``--turns`` rated replies per column, each reply rated by
k of ``--annotators`` annotators (the same k rate every column's reply of a turn, as the Rate tab shows
them side by side). A reply's true score is 3 + a dialogue effect (shared by the dialogue's replies) +
its own effect; each rating adds noise and the annotator's fixed bias (lenient or strict). The truth is the
population mean, 3.0 (a column's effect is 0 unless said). Each scenario runs ``--studies`` studies and
counts how often the interval covers the truth, resampling:

- ``reply``: replies (what the score table did first);
- ``dialogue``: dialogues (:func:`workbench.analysis.scores.cluster_bootstrap_mean_ci`, what it did next);
- ``crossed``: dialogues and annotators independently
  (:func:`workbench.analysis.scores.crossed_bootstrap_mean_ci`, what it does now).

The paired scenario estimates column B minus column A (truth 0.3) with
:func:`workbench.analysis.scores.paired_difference_ci`; there ``columns apart`` is the crossed bootstrap
of each column on its own draws, the interval one gets by comparing the two columns' own intervals.
Nominal coverage is 0.95; a coverage's Monte Carlo standard error is about 0.013 at 300 studies.

Usage: python bench/score_ci_coverage.py [--studies N] [--n-boot B] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workbench.analysis.scores import (  # noqa: E402
    _codes,
    _crossed_replicates,
    _percentiles,
    cluster_bootstrap_mean_ci,
    crossed_bootstrap_mean_ci,
    paired_difference_ci,
)

PAIRED = "paired B - A, dialogue effect sd 0.6, annotator bias sd 0.5"
SCENARIOS: dict[str, dict[str, float]] = {
    "dialogue effect sd 0.6": {},
    "no dialogue effect": {"dlg_sd": 0.0},
    "annotator bias sd 0.5, no dialogue effect": {"dlg_sd": 0.0, "ann_sd": 0.5},
    "dialogue effect sd 0.6, annotator bias sd 0.5": {"ann_sd": 0.5},
    PAIRED: {"ann_sd": 0.5, "effect_b": 0.3},
}


def study(rng: np.random.Generator, n_dlg: int = 30, turns: int = 5, k: int = 3, dlg_sd: float = 0.6,
          reply_sd: float = 0.4, n_ann: int = 6, ann_sd: float = 0.0, noise: float = 0.4,
          columns: int = 1, effect_b: float = 0.0) -> dict[str, np.ndarray]:
    """Ratings with their reply, dialogue, annotator and column (0 = A, 1 = B) for one simulated study."""
    ann_bias = rng.normal(0, ann_sd, n_ann)
    rows = []
    reply = 0
    for d in range(n_dlg):
        effect = rng.normal(0, dlg_sd)
        for _t in range(turns):
            raters = rng.choice(n_ann, k, replace=False)
            for c in range(columns):
                true = 3 + effect + c * effect_b + rng.normal(0, reply_sd)
                rows += [(true + ann_bias[a] + rng.normal(0, noise), reply, d, a, c) for a in raters]
                reply += 1
    v, r, dl, an, col = (np.array(x) for x in zip(*rows, strict=True))
    return {"values": v, "reply": r, "dialogue": dl, "annotator": an, "column": col}


def _mean_intervals(s: dict[str, np.ndarray], n_boot: int, seed: int) -> dict[str, tuple[float, float, float]]:
    v = s["values"]
    return {
        "reply": cluster_bootstrap_mean_ci(v, s["reply"], n_boot=n_boot, seed=seed),
        "dialogue": cluster_bootstrap_mean_ci(v, s["dialogue"], n_boot=n_boot, seed=seed),
        "crossed": crossed_bootstrap_mean_ci(v, s["dialogue"], s["annotator"], n_boot=n_boot, seed=seed),
    }


def _diff_intervals(s: dict[str, np.ndarray], n_boot: int, seed: int) -> dict[str, tuple[float, float, float]]:
    v, b = s["values"], s["column"] == 1
    out = {
        "reply": paired_difference_ci(v, b, s["reply"], n_boot=n_boot, seed=seed),
        "dialogue": paired_difference_ci(v, b, s["dialogue"], n_boot=n_boot, seed=seed),
        "crossed": paired_difference_ci(v, b, s["dialogue"], s["annotator"], n_boot=n_boot, seed=seed),
    }
    # Each column on its own draws: the annotators' bias no longer cancels.
    rng = np.random.default_rng(seed)
    apart = [
        _crossed_replicates(v[m], _codes(s["dialogue"][m]), _codes(s["annotator"][m]),
                            np.zeros(int(m.sum()), dtype=np.int64), 1, n_boot, rng)[:, 0]
        for m in (~b, b)
    ]
    out["columns apart"] = (float(v[b].mean() - v[~b].mean()), *_percentiles(apart[1] - apart[0], 0.95))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--studies", type=int, default=300)
    ap.add_argument("--n-boot", type=int, default=500)
    ap.add_argument("--dialogues", type=int, default=30)
    ap.add_argument("--turns", type=int, default=5)
    ap.add_argument("--annotators", type=int, default=6)
    ap.add_argument("--json", action="store_true", help="end with one JSON line")
    args = ap.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    for label, kw in SCENARIOS.items():
        rng = np.random.default_rng(0)
        paired = label == PAIRED
        truth = kw.get("effect_b", 0.0) if paired else 3.0
        hits: dict[str, int] = {}
        widths: dict[str, list[float]] = {}
        for i in range(args.studies):
            s = study(rng, n_dlg=args.dialogues, turns=args.turns, n_ann=args.annotators,
                      columns=2 if paired else 1, **kw)
            intervals = (_diff_intervals if paired else _mean_intervals)(s, args.n_boot, i)
            for unit, (_m, lo, hi) in intervals.items():
                hits[unit] = hits.get(unit, 0) + int(lo <= truth <= hi)
                widths.setdefault(unit, []).append(hi - lo)
        results[label] = {unit: {"coverage": hits[unit] / args.studies,
                                 "mean_width": float(np.mean(widths[unit]))} for unit in hits}
        print(f"{label}:  " + "  ".join(
            f"by {unit}: coverage {r['coverage']:.3f} width {r['mean_width']:.3f}"
            for unit, r in results[label].items()), flush=True)
    if args.json:
        print(json.dumps({"studies": args.studies, "n_boot": args.n_boot, "nominal": 0.95, "scenarios": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
