"""Export benchmark: 100k rated generations written to every export format, timed per format.

Prints each format's time and file size, and the ratio of its time to a baseline measured in the same
run: ``json.dumps`` of one flat dict per generation (the same texts), one line each. ``--json`` makes
the last line ``{"rows": ..., "seconds": {format: ...}, "total_seconds": ..., "deid_chars_per_s": ...}``.
Goal: <= 5 s in total. De-identification as the exports' default (the rules and the learned tagger);
``--rules-only`` for the rules alone, ``--no-deid`` for none; ``method`` in the JSON says which ran.

The synthetic data: dialogues of 5 doctor turns, 4 columns per turn, 1-3 annotators per generation,
some corrections, preferences and safety flags, and personal data in some patient turns so that the
de-identification does real work. ``total_seconds`` covers preparation (de-identification, scoring)
plus every writer, written as the app writes several formats (``write_formats``: from 20,000 replies on
two processes, see workbench/export/lanes.py, and de-identification's search on two cores, see
workbench/export/detect_in_two.py; ``second_process`` names the formats the child wrote, and
``seconds`` per format is its own process's wall time). ``cpu_seconds`` is the same in CPU time, both
processes together, the honest figure on a shared machine, where wall time also counts other people's
work. The same formats are then written again one after another in this process from a freshly prepared
context: ``one_lane_seconds`` (per step in ``one_lane``, CPU per step in ``cpu``) is the figure before the
two lanes (the search on one core too), and ``lanes_ratio`` = ``total_seconds`` / ``one_lane_seconds``. Before the clock starts, the writer
modules are imported (pandas and pyarrow: ``import_seconds``, paid once per process, reported apart) and
the garbage collector is run once, so that the export does not pay for collecting the synthetic input it
was handed (a running server has long since done both).

De-identification throughput is measured after the export (so that the export pays for loading the
tokenizer when it needs it), on the sentences of ``annotations/deid_eval.jsonl`` repeated to 10 MB of
UTF-8, with empty caches at the start: ``deid_chars_per_s`` goes through ``deidentify`` as the exporters
call it (each distinct text is analysed once, repeats are memo hits); ``deid_cold_chars_per_s`` analyses
every sentence from scratch (caches emptied before each pass). Both are per CPU second. Its baseline is
one ``str.translate`` pass over the same text.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import workbench.export.lanes as lanes  # noqa: E402
from workbench import privacy  # noqa: E402
from workbench.dialogue import Turn  # noqa: E402
from workbench.export import WRITERS, ExportCandidate, ExportContext, ExportFilters, RatingInfo  # noqa: E402
from workbench.export.api import write_format, write_formats  # noqa: E402
from workbench.export.registry import get_writer  # noqa: E402
from workbench.privacy_model import detect_thorough  # noqa: E402

EVAL_SET = Path(__file__).resolve().parents[1] / "annotations" / "deid_eval.jsonl"

COLUMNS = [("bianque1", "BianQue-1.0"), ("bianque2", "BianQue-2.0"), ("hybrid", "hybrid-v1v2"), ("ref", "reference")]
SYMPTOMS = ["头痛", "咳嗽", "发烧", "腹泻", "失眠", "胸闷", "腰痛", "皮疹"]
PII = ["我叫张伟，电话13812345678。", "我的邮箱是patient{}@163.com。", "本人刘洋，女。", ""]


def synthesize(n_rows: int, seed: int = 0) -> list[ExportCandidate]:
    """``n_rows`` candidates (5 turns x 4 columns per dialogue)."""
    rng = random.Random(seed)
    t0 = datetime(2025, 1, 1)
    per_dialogue = 5 * len(COLUMNS)
    out: list[ExportCandidate] = []
    for d in range((n_rows + per_dialogue - 1) // per_dialogue):
        sym = rng.choice(SYMPTOMS)
        history: list[Turn] = []
        for k in range(5):
            pii = rng.choice(PII).format(d) if k == 0 else ""
            history.append(Turn("patient", f"{pii}医生您好，我{sym}已经{rng.randint(1, 14)}天了，第{k + 1}次问诊。\n还有点乏力。"))
            hist = list(history)
            gens = []
            for j, (col, model) in enumerate(COLUMNS):
                if len(out) + len(gens) >= n_rows:
                    break
                ratings = []
                for a in rng.sample(["ann1", "ann2", "ann3"], rng.randint(1, 3)):
                    ratings.append(RatingInfo(
                        annotator=a, questioning=float(rng.randint(1, 5)), suggestion=float(rng.randint(1, 5)),
                        turn_type=rng.choice(["question", "suggestion"]), safety_flag=rng.random() < 0.02,
                        comment="回复不错" if rng.random() < 0.1 else None,
                        corrected_reply="请问您还有其他症状吗？\n比如发热。" if rng.random() < 0.03 else None,
                        created_at=t0 + timedelta(minutes=len(out)),
                    ))
                gens.append(ExportCandidate(
                    generation_id=f"g{d}-{k}-{j}", dialogue_id=d, dataset="synthetic", turn_index=2 * k + 1,
                    history=hist, column=col, model=model,
                    output=f"您好，{sym}持续多久了？\t有没有发热？建议多休息，必要时就医。（{col}）",
                    turn_type_auto="question" if j % 2 == 0 else "suggestion", ratings=ratings,
                    agreement=rng.random(), created_at=t0 + timedelta(minutes=len(out)),
                ))
            if gens:
                win = rng.randrange(len(gens))
                gens = [
                    ExportCandidate(**{**g.__dict__, "preferred_by": ["ann1"] if i == win else [],
                                       "dispreferred_by": [] if i == win else ["ann1"]})
                    for i, g in enumerate(gens)
                ]
            out.extend(gens)
            history.append(Turn("doctor", f"请问{sym}是持续性的吗？第{k + 1}轮。"))
        if len(out) >= n_rows:
            break
    return out


def baseline(cands: list[ExportCandidate], path: Path) -> float:
    """Seconds to write one plain json.dumps line per generation (same texts, no processing)."""
    t = time.perf_counter()
    with path.open("w", encoding="utf-8") as f:
        for c in cands:
            f.write(json.dumps({"id": c.generation_id, "dialogue_id": c.dialogue_id, "column": c.column,
                                "model": c.model, "history": [t.text for t in c.history], "output": c.output},
                               ensure_ascii=False) + "\n")
    return time.perf_counter() - t


def _timed_export(cands: list[ExportCandidate], no_deid: bool, out: Path, lanes_on: bool,
                  thorough: bool | None = None) -> dict:
    """Prepare a context and write every format: with ``lanes_on``, through ``write_formats`` as the app
    does (two processes where it pays: each format's wall time is its own process's, CPU is counted for
    the writers together); else one format after another in this process (the per-format CPU too). CPU
    seconds include finished child processes."""
    _clear_deid_caches()
    gc.collect()
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    t, c0 = time.perf_counter(), _cpu_with_children()
    # (one lane: the figure before, de-identification's search on one core too)
    ctx = ExportContext.build(cands, ExportFilters(), deidentify=not no_deid, thorough=thorough,
                              parallel=None if lanes_on else False)
    _ = ctx.selected
    seconds["prepare"] = time.perf_counter() - t
    cpu["prepare"] = _cpu_with_children() - c0
    t, c0 = time.perf_counter(), _cpu_with_children()
    if lanes_on:
        reports = write_formats(ctx, list(WRITERS), out)
        for fmt, rep in reports.items():
            seconds[fmt] = rep.seconds
    else:
        reports = {}
        for fmt in WRITERS:
            t1, c1 = time.perf_counter(), _cpu_with_children()
            reports[fmt] = write_format(ctx, fmt, out / fmt)
            seconds[fmt], cpu[fmt] = time.perf_counter() - t1, _cpu_with_children() - c1
    writers_s, cpu["writers"] = time.perf_counter() - t, _cpu_with_children() - c0
    _, child = lanes.plan(ctx, list(WRITERS)) if lanes_on else ([], [])
    return {"ctx": ctx, "seconds": seconds, "cpu": cpu, "rows": {fmt: rep.rows for fmt, rep in reports.items()},
            "sizes": {fmt: sum(p.stat().st_size for p in rep.files) for fmt, rep in reports.items()},
            "total": seconds["prepare"] + writers_s, "total_cpu": cpu["prepare"] + cpu["writers"],
            "child": child}


def _cpu_with_children() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _clear_deid_caches() -> None:
    for cached in (privacy.detect, privacy._tokens, privacy._hmm_names, privacy._confident_names,
                   privacy._deidentify_alone, detect_thorough):
        cached.cache_clear()


def deid_throughput(target_bytes: int = 10_000_000, cold_passes: int = 3) -> dict[str, float]:
    """Characters per CPU second of de-identification on the evaluation sentences (see the module
    docstring). CPU time, not wall time: on a shared machine it is the figure that stays put, and the
    work is single-threaded, so on an idle machine the two agree."""
    sentences = [json.loads(line)["text"] for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line]
    per_pass = sum(len(s.encode("utf-8")) for s in sentences)
    texts = sentences * max(1, round(target_bytes / per_pass))
    chars = sum(map(len, texts))
    t = time.process_time()
    privacy._jieba()  # loaded once per process (by the export already, when it ran first): not throughput
    load = time.process_time() - t
    t = time.process_time()
    for s in texts:
        s.translate(_IDENTITY)
    base = time.process_time() - t
    _clear_deid_caches()
    t = time.process_time()
    for s in texts:
        privacy.deidentify(s)
    memo = time.process_time() - t
    cold_chars, t = 0, time.process_time()
    for _ in range(cold_passes):
        _clear_deid_caches()
        for s in sentences:
            privacy.detect(s)
        cold_chars += sum(map(len, sentences))
    cold = time.process_time() - t
    return {"chars": chars, "bytes": per_pass * (len(texts) // len(sentences)), "baseline_seconds": base,
            "seconds": memo, "chars_per_s": chars / memo, "cold_chars_per_s": cold_chars / cold,
            "load_seconds": load}


_IDENTITY = {0xFF10: 0x30}  # a one-entry str.translate table: the baseline touches every character once


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    ap.add_argument("--no-deid", action="store_true", help="skip de-identification")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--thorough", action="store_true",
                      help="the thorough de-identification, the exports' default (the rules and the learned tagger)")
    mode.add_argument("--rules-only", action="store_true",
                      help="de-identification with the rules alone (the export's --deidentify-rules-only)")
    ap.add_argument("--integer-ids", action="store_true",
                    help="number the generations 1, 2, ... as the store does (default: text ids 'g<dialogue>-<turn>-<column>', "
                         "as a caller's own candidates may have)")
    args = ap.parse_args(argv)

    cands = synthesize(args.rows)
    if args.integer_ids:
        # Python orders a set of integer ids by their values and of text ids by PYTHONHASHSEED, so some writers
        # take other paths for each (DPO's pair order, see workbench/export/dpo.py): a store export has these.
        cands = [dataclasses.replace(c, generation_id=i) for i, c in enumerate(cands, start=1)]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        c0 = time.process_time()
        base = baseline(cands, out / "baseline.jsonl")
        base_cpu = time.process_time() - c0
        base_size = (out / "baseline.jsonl").stat().st_size
        t, c0 = time.perf_counter(), time.process_time()
        for fmt in WRITERS:
            get_writer(fmt)
        imports = (time.perf_counter() - t, time.process_time() - c0)
        # The export as the app runs it (write_formats: on two cores where it pays), then the same formats one
        # after another in this process (the figure before the two lanes), each from a freshly prepared context
        # with the de-identification caches emptied, so that neither run reuses the other's work.
        thorough = False if args.rules_only else None
        run = _timed_export(cands, args.no_deid, out / "lanes", lanes_on=True, thorough=thorough)
        one = _timed_export(cands, args.no_deid, out / "sequential", lanes_on=False, thorough=thorough)
    seconds, total, total_cpu, ctx = run["seconds"], run["total"], run["total_cpu"], run["ctx"]
    print(f"{len(cands)} candidates; baseline json.dumps: {base:.3f} s ({base_cpu:.3f} s CPU), "
          f"{base_size / 1e6:.1f} MB; writer imports (not timed below): {imports[1]:.3f} s CPU")
    print("writers: " + (f"{', '.join(run['child'])} in a second process, the rest in this one" if run["child"]
                         else "one process (no second lane here)"))
    print(f"{'step':<16}{'seconds':>9}{'one lane':>10}{'cpu s':>9}{'x base CPU':>12}{'rows':>9}{'MB':>9}")
    for k, v in seconds.items():
        print(f"{k:<16}{v:>9.3f}{one['seconds'][k]:>10.3f}{one['cpu'][k]:>9.3f}{one['cpu'][k] / base_cpu:>12.2f}"
              f"{run['rows'].get(k, ''):>9}{run['sizes'].get(k, 0) / 1e6:>9.1f}")
    print(f"total {total:.3f} s wall ({total / base:.1f} x baseline), {total_cpu:.3f} s CPU in all processes "
          f"({total_cpu / base_cpu:.1f} x baseline) (goal <= 5 s), de-identified: {ctx.deid.total} redactions")
    print(f"one lane, the same formats one after another: {one['total']:.3f} s wall ({one['total_cpu']:.3f} s CPU); "
          f"two lanes take {total / one['total']:.2f} x that")
    deid = deid_throughput()
    print(f"de-identification: {deid['bytes'] / 1e6:.1f} MB ({deid['chars']} characters) in {deid['seconds']:.3f} CPU s "
          f"= {deid['chars_per_s']:,.0f} chars/s ({deid['seconds'] / deid['baseline_seconds']:.1f} x one "
          f"str.translate pass); from scratch, every text analysed: {deid['cold_chars_per_s']:,.0f} chars/s")
    if args.json:
        print(json.dumps({"rows": len(cands), "ids": "integer" if args.integer_ids else "text",
                          "method": "none" if args.no_deid else (ctx.deid.thorough or {"name": "rules"})["name"],
                          "seconds": {k: round(v, 4) for k, v in seconds.items()},
                          "total_seconds": round(total, 4), "baseline_seconds": round(base, 4),
                          "cpu_seconds": round(total_cpu, 4), "cpu": {k: round(v, 4) for k, v in one["cpu"].items()},
                          "baseline_cpu_seconds": round(base_cpu, 4), "total_ratio": round(total / base, 2),
                          "cpu_ratio": round(total_cpu / base_cpu, 2), "import_seconds": round(imports[1], 4),
                          "bytes": run["sizes"], "deid_chars_per_s": round(deid["chars_per_s"]),
                          "deid_cold_chars_per_s": round(deid["cold_chars_per_s"]),
                          "deid_baseline_ratio": round(deid["seconds"] / deid["baseline_seconds"], 2),
                          "deid_load_seconds": round(deid["load_seconds"], 3),
                          "second_process": run["child"],
                          "one_lane_seconds": round(one["total"], 4),
                          "one_lane_cpu_seconds": round(one["total_cpu"], 4),
                          "one_lane": {k: round(v, 4) for k, v in one["seconds"].items()},
                          "lanes_ratio": round(total / one["total"], 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
