"""Leave-one-group-out precision and recall of de-identification: the rules alone, the learned tagger alone,
and the blend (the rules' spans plus the tagger's where the rules found nothing) at several thresholds, with
every label of the tagger ("blend") and with its name and account spans only ("blend_na", the
exports' thorough mode: ``workbench.privacy_model.BLEND_LABELS``).

The labelled sets (``annotations/deid_*.jsonl``) are taken in the order they were written (eval, heldout,
heldout2, heldout3, ...) and cut into groups of ``--group-size`` files, which roughly follow the sessions that
wrote them. For each group the tagger is refitted on every other group and scored on that one.

The rules at HEAD were tuned on every one of these sets after reading its misses, so the rules' figures here
(and the blend's, which keeps every rule span) are optimistic: on sets nobody tuned them on the rules reached
only 0.73-0.93 recall at first contact (README). The tagger-alone column is fair as it stands, and what the
blend adds over the rules is what the tagger finds that tuned rules still miss. ``--first-contact`` gives the
fair figures: each set is also scored by the rules as they were in the parent of the commit that added it
(``git archive`` of that commit's ``workbench/``, run in a subprocess), alone and blended with the tagger fitted
without the group; sets whose old code cannot run are left out of that row.

Scores are span-level with any label (a predicted span is right when it overlaps a labelled one, a labelled
span is found when a predicted span overlaps it), as the README's "precision, all labels"; ``name R`` is the
recall of names by spans labelled name. Printed: one row per group, then the means over groups. ``--json``
makes the last line ``{"groups": {group: {"files", "lines", "gold", "rules": {...}, "model": {...},
"blend": {threshold: {...}}}}, "mean": {...}, "threshold": chosen}`` where each {...} holds p, r, f1, name_r
and ``chosen`` is the lowest threshold whose blend keeps precision >= 0.95 on every group; with
``--first-contact`` each group also holds ``first_contact`` and the means ``mean.first_contact``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.privacy import Span, detect  # noqa: E402
from workbench.privacy_model import BLEND_LABELS, blend_spans, decode, model_view  # noqa: E402
from workbench.privacy_training import fit_model, read_labelled, training_files  # noqa: E402

Spans = list[tuple[int, int, str]]
ROOT = Path(__file__).resolve().parents[1]
_OLD_RULES = """
import json, sys
from workbench.privacy import detect
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        print(json.dumps([(s.start, s.end, s.label) for s in detect(json.loads(line)["text"])]))
"""


def first_contact(f: Path, work: Path, memo: dict[str, Path]) -> list[Spans] | None:
    """The spans of the rules as they were just before ``f`` was committed (the parent of the commit that added
    it: the rules had not seen it), run from ``git archive`` of that commit's ``workbench/``; None when git or
    that code cannot tell."""
    rel = f.resolve().relative_to(ROOT).as_posix()
    try:
        added = subprocess.run(["git", "-C", str(ROOT), "log", "--diff-filter=A", "--format=%H", "--", rel],
                               capture_output=True, text=True, check=True).stdout.split()
        if not added:
            return None
        parent = added[-1] + "^"
        if parent not in memo:
            src = work / added[-1][:12]
            src.mkdir()
            tar = subprocess.run(["git", "-C", str(ROOT), "archive", parent, "workbench"], capture_output=True, check=True)
            with tarfile.open(fileobj=__import__("io").BytesIO(tar.stdout)) as t:
                t.extractall(src, filter="data")
            memo[parent] = src
        # (run in the old tree: python -c puts the working directory first on the path)
        out = subprocess.run([sys.executable, "-c", _OLD_RULES, str(f.resolve())], capture_output=True, text=True,
                             check=True, cwd=memo[parent],
                             env={"PYTHONPATH": str(memo[parent]), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"})
    except (subprocess.CalledProcessError, OSError):
        return None
    return [[tuple(x) for x in json.loads(line)] for line in out.stdout.splitlines()]


def ordered(files: list[Path]) -> list[Path]:
    """The sets in the order they were written: eval, heldout, then heldoutN by N."""
    def key(f: Path) -> tuple[int, int]:
        m = re.fullmatch(r"deid_heldout(\d*)", f.stem)
        return (0, 0) if not m else (1, int(m.group(1) or 1))
    return sorted(files, key=key)


def tally(gold: list[Spans], pred: list[Spans]) -> dict[str, float]:
    """Overlap precision, recall and F1 with any label, and name recall, over lines."""
    pp = pok = gg = gok = ng = nok = 0
    for g, p in zip(gold, pred, strict=True):
        pp += len(p)
        pok += sum(any(a < e and s < b for s, e, _ in g) for a, b, _ in p)
        gg += len(g)
        gok += sum(any(a < e and s < b for a, b, _ in p) for s, e, _ in g)
        names = [x for x in g if x[2] == "name"]
        ng += len(names)
        nok += sum(any(a < e and s < b and lab == "name" for a, b, lab in p) for s, e, _ in names)
    prec, rec = pok / pp if pp else 1.0, gok / gg if gg else 1.0
    return {"p": round(prec, 4), "r": round(rec, 4), "f1": round(2 * prec * rec / (prec + rec) if prec + rec else 0.0, 4),
            "name_r": round(nok / ng if ng else 1.0, 4)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--group-size", type=int, default=5)
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    ap.add_argument("--only", type=int, nargs="*", default=None, help="group numbers to hold out (default: all)")
    ap.add_argument("--first-contact", action="store_true",
                    help="also score the rules as they were before each set was committed, alone and blended")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="deid_first_contact_"))
    memo: dict[str, Path] = {}
    warnings.filterwarnings("ignore", message=".*converge")  # lbfgs stops at MAX_ITER on purpose
    files = ordered(training_files())
    groups = [files[i : i + args.group_size] for i in range(0, len(files), args.group_size)]
    rows = {f: read_labelled([f]) for f in files}
    rules = {f: [[(s.start, s.end, s.label) for s in detect(t)] for t, _ in rows[f]] for f in files}
    per: dict[str, dict] = {}
    print(f"{'group':22} {'lines':>5} {'gold':>5}  rules P/R/F1/nameR      model P/R/F1   "
          + "  ".join(f"blend@{t} P/R" for t in args.thresholds), flush=True)
    for gi, held in enumerate(groups):
        if args.only is not None and gi not in args.only:
            continue
        t0 = time.time()
        model = fit_model([r for f in files if f not in held for r in rows[f]])
        gold, rule_pred, model_pred = [], [], []
        blend_pred: dict[float, list[Spans]] = {t: [] for t in args.thresholds}
        na_pred: dict[float, list[Spans]] = {t: [] for t in args.thresholds}  # the blend of BLEND_LABELS only
        for f in held:
            for (text, spans), rule_spans in zip(rows[f], rules[f], strict=True):
                gold.append(spans)
                rule_pred.append(rule_spans)
                norm = model_view(text)
                proba = model.proba(norm)
                model_pred.append(decode(norm, proba, model.classes, model.threshold))
                rs = [s for s in detect(text)]
                for t in args.thresholds:
                    found = decode(norm, proba, model.classes, t) if len(norm) else []
                    blend_pred[t].append([(s.start, s.end, s.label) for s in blend_spans(rs, found, None)])
                    na_pred[t].append([(s.start, s.end, s.label) for s in blend_spans(rs, found)])
        first_contact_scores = None
        if args.first_contact:  # on the group's files whose first contact git can tell
            fc_gold: list[Spans] = []
            first: list[Spans] = []
            fc_blend: dict[float, list[Spans]] = {t: [] for t in args.thresholds}
            fc_na: dict[float, list[Spans]] = {t: [] for t in args.thresholds}
            fc_files = []
            for f in held:
                old_spans = first_contact(f, work, memo)
                if old_spans is None or len(old_spans) != len(rows[f]):
                    continue
                fc_files.append(f.name)
                for (text, spans), old in zip(rows[f], old_spans, strict=True):
                    fc_gold.append(spans)
                    first.append(old)
                    norm = model_view(text)
                    proba = model.proba(norm)
                    for t in args.thresholds:
                        found = decode(norm, proba, model.classes, t) if len(norm) else []
                        old_rules = [Span(a, b, lab) for a, b, lab in old]
                        fc_blend[t].append([(s.start, s.end, s.label) for s in blend_spans(old_rules, found, None)])
                        fc_na[t].append([(s.start, s.end, s.label) for s in blend_spans(old_rules, found)])
            if fc_files:
                first_contact_scores = {"files": fc_files, "lines": len(fc_gold), "rules": tally(fc_gold, first),
                                        "blend": {str(t): tally(fc_gold, fc_blend[t]) for t in args.thresholds},
                                        "blend_na": {str(t): tally(fc_gold, fc_na[t]) for t in args.thresholds}}
        name = f"{gi}:{held[0].stem.removeprefix('deid_')}..{held[-1].stem.removeprefix('deid_')}"
        r = {"files": [f.name for f in held], "lines": len(gold), "gold": sum(map(len, gold)),
             "rules": tally(gold, rule_pred), "model": tally(gold, model_pred),
             "blend": {str(t): tally(gold, blend_pred[t]) for t in args.thresholds},
             "blend_na": {str(t): tally(gold, na_pred[t]) for t in args.thresholds}, "seconds": round(time.time() - t0, 1)}
        if args.first_contact:
            r["first_contact"] = first_contact_scores
        per[name] = r
        ru, mo = r["rules"], r["model"]
        print(f"{name:22} {r['lines']:>5} {r['gold']:>5}  {ru['p']:.3f}/{ru['r']:.3f}/{ru['f1']:.3f}/{ru['name_r']:.3f}  "
              f"{mo['p']:.3f}/{mo['r']:.3f}/{mo['f1']:.3f}  "
              + "  ".join(f"{r['blend'][str(t)]['p']:.3f}/{r['blend'][str(t)]['r']:.3f}" for t in args.thresholds), flush=True)
        if args.first_contact and first_contact_scores:
            fr = first_contact_scores["rules"]
            print(f"{'  first contact':22} {first_contact_scores['lines']:>5} {'':>5}  {fr['p']:.3f}/{fr['r']:.3f}/{fr['f1']:.3f}/{fr['name_r']:.3f}  "
                  f"{'':>17}  " + "  ".join(f"{first_contact_scores['blend'][str(t)]['p']:.3f}/"
                                          f"{first_contact_scores['blend'][str(t)]['r']:.3f}" for t in args.thresholds),
                  flush=True)

    def mean(rows_: list[dict[str, float]]) -> dict[str, float]:
        return {k: round(sum(x[k] for x in rows_) / len(rows_), 4) for k in ("p", "r", "f1", "name_r")}

    means = {"rules": mean([r["rules"] for r in per.values()]), "model": mean([r["model"] for r in per.values()]),
             "blend": {str(t): mean([r["blend"][str(t)] for r in per.values()]) for t in args.thresholds},
             "blend_min_p": {str(t): min(r["blend"][str(t)]["p"] for r in per.values()) for t in args.thresholds},
             "blend_na": {str(t): mean([r["blend_na"][str(t)] for r in per.values()]) for t in args.thresholds},
             "blend_na_min_p": {str(t): min(r["blend_na"][str(t)]["p"] for r in per.values()) for t in args.thresholds}}
    fcs = [r["first_contact"] for r in per.values() if r.get("first_contact")]
    if fcs:
        means["first_contact"] = {"groups": len(fcs), "rules": mean([x["rules"] for x in fcs]),
                                  "blend": {str(t): mean([x["blend"][str(t)] for x in fcs]) for t in args.thresholds},
                                  "blend_min_p": {str(t): min(x["blend"][str(t)]["p"] for x in fcs) for t in args.thresholds},
                                  "blend_na": {str(t): mean([x["blend_na"][str(t)] for x in fcs]) for t in args.thresholds},
                                  "blend_na_min_p": {str(t): min(x["blend_na"][str(t)]["p"] for x in fcs)
                                                     for t in args.thresholds}}
    ok = [t for t in args.thresholds if means["blend_min_p"][str(t)] >= 0.95]
    chosen = min(ok) if ok else None
    ru, mo = means["rules"], means["model"]
    print(f"{'mean':22} {'':>5} {'':>5}  {ru['p']:.3f}/{ru['r']:.3f}/{ru['f1']:.3f}/{ru['name_r']:.3f}  "
          f"{mo['p']:.3f}/{mo['r']:.3f}/{mo['f1']:.3f}  "
          + "  ".join(f"{means['blend'][str(t)]['p']:.3f}/{means['blend'][str(t)]['r']:.3f}" for t in args.thresholds))
    print("blend F1/nameR: " + "  ".join(f"@{t} {means['blend'][str(t)]['f1']:.3f}/{means['blend'][str(t)]['name_r']:.3f}"
                                        for t in args.thresholds))
    print("blend worst group precision: " + "  ".join(f"@{t} {means['blend_min_p'][str(t)]:.3f}" for t in args.thresholds)
          + f"; lowest threshold with every group >= 0.95: {chosen}")
    labels = "+".join(sorted(BLEND_LABELS))
    print(f"blend of {labels} only (the exports' thorough mode) P/R/F1/nameR (worst group P): "
          + "  ".join(f"@{t} {means['blend_na'][str(t)]['p']:.3f}/{means['blend_na'][str(t)]['r']:.3f}/"
                      f"{means['blend_na'][str(t)]['f1']:.3f}/{means['blend_na'][str(t)]['name_r']:.3f} "
                      f"({means['blend_na_min_p'][str(t)]:.3f})" for t in args.thresholds))
    if fcs:
        fm = means["first_contact"]
        print(f"first contact, blend of {labels} only: "
              + "  ".join(f"@{t} {fm['blend_na'][str(t)]['p']:.3f}/{fm['blend_na'][str(t)]['r']:.3f}/"
                          f"{fm['blend_na'][str(t)]['f1']:.3f}/{fm['blend_na'][str(t)]['name_r']:.3f} "
                          f"({fm['blend_na_min_p'][str(t)]:.3f})" for t in args.thresholds))
        print(f"first contact ({len(fcs)} groups): rules {fm['rules']['p']:.3f}/{fm['rules']['r']:.3f}/{fm['rules']['f1']:.3f}"
              f"/{fm['rules']['name_r']:.3f}; blend P/R/F1/nameR (worst group P) "
              + "  ".join(f"@{t} {fm['blend'][str(t)]['p']:.3f}/{fm['blend'][str(t)]['r']:.3f}/{fm['blend'][str(t)]['f1']:.3f}"
                          f"/{fm['blend'][str(t)]['name_r']:.3f} ({fm['blend_min_p'][str(t)]:.3f})" for t in args.thresholds))
    if args.json:
        print(json.dumps({"groups": per, "mean": means, "threshold": chosen}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
