"""Leave-one-session-out accuracy of the turn-type classifier's learned model, alone and blended with the rules.

The labelled sets are grouped by the session that wrote them (``classifier_s52.jsonl`` and ``classifier_s52b.jsonl``
are session 52). For each session the model is refitted on every other set, ``annotations/labelled_replies.jsonl``
and the sets of no session (fresh, final, heldout) always among them, and scored on that session's replies: the
model alone, and the blend of :func:`workbench.annotate.classifier.blend` at each ``--weights``.

The rules at HEAD were tuned on every one of these sets after reading its misses, so the blend's figure here is
optimistic (the rules already know the held-out session). The fair comparison for the blend is the rules' own
first contact with a set, recorded in the README and the commit messages (e.g. session 66: 0.900, 0.925, 0.867,
0.900, 0.892, 0.950); the model-alone column is fair as it stands.

Printed: one row per session (replies, model, blend per weight), then the means over sessions. ``--json`` makes
the last line ``{"per_session": {session: {"n", "model", "blend": {weight: acc}}}, "model_mean", "blend_mean",
"weight"}`` where ``blend_mean`` is at ``weight``, the classifier's :data:`BLEND_WEIGHT`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.annotate.classifier import BLEND_WEIGHT, blend, classify_rules  # noqa: E402
from workbench.annotate.turn_type_training import fit_model, read_labelled, training_files  # noqa: E402

_SESSION = re.compile(r"classifier_(s\d+)[a-z]?$")


def sessions(files: list[Path]) -> tuple[dict[str, list[Path]], list[Path]]:
    """Session -> its files, and the files of no session (always trained on)."""
    by: dict[str, list[Path]] = defaultdict(list)
    always = []
    for f in files:
        m = _SESSION.match(f.stem)
        (by[m.group(1)] if m else always).append(f)
    return dict(sorted(by.items(), key=lambda kv: int(kv[0][1:]))), always


def score_session(held: list[Path], train: list[Path], weights: list[float]) -> dict[str, object]:
    """Fit without ``held`` and score the model and each blend on it."""
    model = fit_model(read_labelled(train))
    rows = [(t, y) for t, y in read_labelled(held)]
    model_ok, blend_ok = 0, dict.fromkeys(weights, 0)
    for text, gold in rows:
        probs = model.predict_proba(text)
        model_ok += max(probs, key=probs.__getitem__) == gold
        rules = classify_rules(text)
        for w in weights:
            blend_ok[w] += blend(rules, probs, w).turn_type == gold
    n = len(rows)
    return {"n": n, "model": round(model_ok / n, 4), "blend": {str(w): round(k / n, 4) for w, k in blend_ok.items()}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", type=float, nargs="+", default=[0.2, BLEND_WEIGHT, 0.5, 1.0])
    ap.add_argument("--only", nargs="*", default=None, help="sessions to hold out (default: all)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    weights = sorted(set(args.weights) | {BLEND_WEIGHT})
    files = training_files()
    by, _always = sessions(files)
    per: dict[str, dict[str, object]] = {}
    print(f"{'session':8} {'n':>5} {'model':>6} " + " ".join(f"w={w:<5}" for w in weights))
    for s, held in by.items():
        if args.only and s not in args.only:
            continue
        r = score_session(held, [f for f in files if f not in held], weights)
        per[s] = r
        b = r["blend"]
        assert isinstance(b, dict)
        print(f"{s:8} {r['n']:>5} {r['model']:>6.3f} " + " ".join(f"{b[str(w)]:<7.3f}" for w in weights), flush=True)

    def mean(key: str, w: float | None = None) -> float:
        vals = [r[key][str(w)] if w is not None else r[key] for r in per.values()]  # type: ignore[index]
        return round(sum(vals) / len(vals), 4)  # type: ignore[arg-type]

    print(f"{'mean':8} {'':>5} {mean('model'):>6.3f} " + " ".join(f"{mean('blend', w):<7.3f}" for w in weights))
    if args.json:
        print(json.dumps({"per_session": per, "model_mean": mean("model"), "blend_mean": mean("blend", BLEND_WEIGHT),
                          "weight": BLEND_WEIGHT}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
