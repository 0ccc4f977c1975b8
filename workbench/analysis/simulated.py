"""Simulated-patient measures per column, with bootstrap CIs (MediQ-style elicitation, plus advice).

Per consultation (one case through one column, see ``workbench.simulate.run``):

- ``elicitation_recall``: facts the patient revealed before the column's first advice / all facts;
- ``questions_before_advice``: doctor turns classified ``question`` before the first advice;
- ``turns_to_advice``: the doctor turn (1-based, the greeting included) that first advises; NaN if none;
- ``repeated_questions``: question turns before the advice that repeat an earlier one (nearly the same
  words, or asking only about facts already asked);
- ``key_point_coverage``: share of the case's advice key points named in the first advice (keywords);
- ``red_flag_handling``: share of the case's red flags handled by the first advice: a sign the patient
  has needs an urgent referral; a warning sign must be named together with a referral. NaN without red
  flags or advice;
- ``advised`` (0/1) and ``simulator_errors`` (facts the patient leaked unasked).

A consultation that ended in an error (a doctor or patient model that failed) or is still running measured
nothing about the column: the measures count finished ones only (advised, or out of turns), and ``finished``
says which share of a column's consultations that is.

When a machine judge scored the advice (``workbench.judge``), ``key_point_coverage_judge`` and
``red_flag_handling_judge`` sit beside the keyword versions. Turn types come from the project's
classifier, recomputed here, so stored consultations are measured by the current classifier.

Of the Compare/``stats`` scope the consultations follow datasets, columns and dates (the consultation's
creation); :data:`SCOPE_FILTERS` names them, and the callers say when a filter set does not apply.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import select

from workbench.analysis.defaults import N_BOOT
from workbench.analysis.scores import bootstrap_ci, proportion_ci
from workbench.annotate.classifier import classify
from workbench.csv_safety import safe_frame
from workbench.dates import date_range
from workbench.scope import Scope
from workbench.simulate.cases import Case
from workbench.simulate.matching import asked_facts, content_tokens, keyword_hits, question_part
from workbench.vocab import ADVICE_TURN_TYPES, GenerationStatus

if TYPE_CHECKING:
    from workbench.store.engine import Store

MEASURES = (
    "elicitation_recall", "questions_before_advice", "turns_to_advice", "repeated_questions",
    "key_point_coverage", "red_flag_handling", "advised", "simulator_errors",
)
JUDGE_MEASURES = ("key_point_coverage_judge", "red_flag_handling_judge")
REFERRAL_CUES = ("就医", "医院", "急诊", "就诊", "120", "看医生", "门诊")
URGENT_CUES = ("立即", "立刻", "马上", "尽快", "急诊", "120", "及时")
ADVICE_TYPES = ADVICE_TURN_TYPES
REPEAT_JACCARD = 0.6
SUMMARY_COLUMNS = ["column", "measure", "mean", "ci_low", "ci_high", "n"]
FINISHED_STATUSES = ("advised", "max_turns")
#: the scope's filters (``workbench.scope.FILTERS``) the measures follow; a consultation has no annotator, and its
#: replies are of every turn type (the measures are about the whole consultation), so the others cannot apply
SCOPE_FILTERS = ("datasets", "dates", "columns")
#: 0/1 measures: a share with a Wilson interval (a bootstrap of 6 of 6 gives [1, 1])
BINARY_MEASURES = ("finished", "advised")


def _repeats(question: str, asked: tuple[str, ...], earlier: list[tuple[str, frozenset[str], tuple[str, ...]]]) -> bool:
    tokens = content_tokens(question)
    for text, toks, _asked in earlier:
        if question == text:
            return True
        union = tokens | toks
        if union and len(tokens & toks) / len(union) >= REPEAT_JACCARD:
            return True
    seen = {f for _t, _k, a in earlier for f in a}
    return bool(asked) and set(asked) <= seen


def red_flag_score(case: Case, advice: str) -> float:
    if not case.red_flags or not advice:
        return math.nan
    refers = keyword_hits(REFERRAL_CUES, advice)
    urgent = refers and keyword_hits(URGENT_CUES, advice)
    handled = [urgent if f.present else refers and keyword_hits(f.keywords, advice) for f in case.red_flags]
    return float(np.mean(handled))


def key_point_score(case: Case, advice: str) -> float:
    if not advice:
        return math.nan
    return float(np.mean([keyword_hits(k.keywords, advice) for k in case.advice_key_points]))


def consultation_measures(
    case: Case, doctor_turns: Sequence[tuple[int, str]], patient_turns: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """Measures of one consultation: its doctor turns ``(turn_index, text)`` and the patient records
    (``{"turn_index", "revealed", "leaked"}``) stored by the simulator."""
    turns = sorted(doctor_turns)
    advice_at = next((i for i, (_idx, text) in enumerate(turns) if classify(text).turn_type in ADVICE_TYPES), None)
    before = turns if advice_at is None else turns[:advice_at]
    cutoff = math.inf if advice_at is None else turns[advice_at][0]
    questions = repeated = 0
    earlier: list[tuple[str, frozenset[str], tuple[str, ...]]] = []
    for _idx, text in before:
        if classify(text).turn_type != "question":
            continue
        questions += 1
        q = question_part(text) or text
        asked = asked_facts(case, text)
        if _repeats(q, asked, earlier):
            repeated += 1
        earlier.append((q, content_tokens(q), asked))
    fact_ids = {f.id for f in case.facts}
    revealed = {f for p in patient_turns if p.get("turn_index", 0) < cutoff for f in p.get("revealed", [])}
    advice = "" if advice_at is None else turns[advice_at][1]
    return {
        "elicitation_recall": len(revealed & fact_ids) / len(fact_ids),
        "questions_before_advice": questions,
        "turns_to_advice": math.nan if advice_at is None else advice_at + 1,
        "repeated_questions": repeated,
        "key_point_coverage": key_point_score(case, advice),
        "red_flag_handling": red_flag_score(case, advice),
        "advised": int(advice_at is not None),
        "simulator_errors": sum(len(p.get("leaked", [])) for p in patient_turns),
        "advice_turn_index": None if advice_at is None else turns[advice_at][0],
    }


def consultations_frame(svc_or_store: object, datasets: Sequence[str] | None = None,
                        columns: Sequence[str] | None = None, *, scope: Scope | None = None) -> pd.DataFrame:
    """One row per stored consultation with its measures (and the judge's, where it scored the advice).

    ``datasets``/``columns`` narrow the consultations (empty: all), and so does ``scope`` by its
    :data:`SCOPE_FILTERS`: its dates bound the consultation's creation; live chats are never consultations.
    """
    from workbench.simulate.run import SIMULATED_SOURCE
    from workbench.store.schema import Dataset, Dialogue, Generation, Suggestion

    store = cast("Store", getattr(svc_or_store, "store", svc_or_store))
    scope = scope or Scope()
    rows: list[dict[str, Any]] = []
    with store.session() as s:
        q = (select(Dialogue.id, Dialogue.meta, Dataset.name).join(Dataset, Dataset.id == Dialogue.dataset_id)
             .where(Dialogue.source == SIMULATED_SOURCE))
        if datasets:
            q = q.where(Dataset.name.in_(list(datasets)))
        if scope.datasets is not None:
            q = q.where(Dataset.name.in_([d for d in scope.datasets if d is not None]))
        start, stop = date_range(scope.date_from, scope.date_to)
        if start is not None:
            q = q.where(Dialogue.created_at >= start)
        if stop is not None:
            q = q.where(Dialogue.created_at <= stop)
        dialogues = s.execute(q.order_by(Dialogue.id)).all()
        ids = [d[0] for d in dialogues]
        gens: dict[int, dict[int, tuple[int, str]]] = {}
        for i in range(0, len(ids), 500):
            for gid, did, idx, text in s.execute(
                select(Generation.id, Generation.dialogue_id, Generation.turn_index, Generation.output)
                .where(Generation.dialogue_id.in_(ids[i : i + 500]), Generation.status == GenerationStatus.OK)
                .order_by(Generation.id)
            ):
                gens.setdefault(did, {})[idx] = (gid, text)  # the newest ok reply at each position
        judged: dict[tuple[int | None, str], float] = {}
        advice_ids = [g[0] for per in gens.values() for g in per.values()]
        for i in range(0, len(advice_ids), 500):
            for gid, question, value in s.execute(
                select(Suggestion.generation_id, Suggestion.question, Suggestion.value)
                .where(Suggestion.generation_id.in_(advice_ids[i : i + 500]),
                       Suggestion.question.in_(["key_point_coverage", "red_flag_handling"]),
                       Suggestion.agent.like("judge:%"))
                .order_by(Suggestion.id)
            ):
                try:
                    judged[(gid, question)] = float(value)
                except ValueError:
                    continue
    for did, meta, dataset in dialogues:
        meta = meta or {}
        if not meta.get("case") or (columns and meta.get("column") not in columns) \
                or (scope.columns is not None and meta.get("column") not in scope.columns):
            continue
        case = Case.model_validate(meta["case"])
        per = gens.get(did, {})
        m = consultation_measures(case, [(idx, text) for idx, (_g, text) in per.items()],
                                  meta.get("patient_turns", []))
        advice_gid = per[m["advice_turn_index"]][0] if m["advice_turn_index"] is not None else None
        if meta.get("status") not in FINISHED_STATUSES:
            # Not finished (failed, or still running): its measures are unknown, not zeros a reader would average.
            m = {**m, **dict.fromkeys(MEASURES, math.nan)}
        rows.append({
            "dialogue_id": did, "dataset": dataset, "column": meta.get("column"), "case_id": case.id,
            "category": case.category, "patient": meta.get("patient"), "status": meta.get("status"),
            "facts": len(case.facts), **m,
            "key_point_coverage_judge": judged.get((advice_gid, "key_point_coverage"), math.nan),
            "red_flag_handling_judge": judged.get((advice_gid, "red_flag_handling"), math.nan),
        })
    return pd.DataFrame(rows)


def stored_consultations(svc_or_store: object) -> int:
    """How many simulated consultations the store holds, whatever a scope says (to tell an empty scope from an
    empty store)."""
    from sqlalchemy import func

    from workbench.simulate.run import SIMULATED_SOURCE
    from workbench.store.schema import Dialogue

    store = cast("Store", getattr(svc_or_store, "store", svc_or_store))
    with store.session() as s:
        return int(s.execute(select(func.count(Dialogue.id)).where(Dialogue.source == SIMULATED_SOURCE)).scalar_one())


def _interval(measure: str, values: np.ndarray, n_boot: int, seed: int) -> tuple[float, float, float]:
    if measure in BINARY_MEASURES:
        return proportion_ci(int(np.count_nonzero(values)), int(values.size))
    return bootstrap_ci(values, n_boot=n_boot, seed=seed)


def summarize(frame: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Per column and measure: mean with a 95% CI over consultations, and n.

    The 0/1 measures (:data:`BINARY_MEASURES`) get a Wilson interval; the others a percentile bootstrap,
    which has no interval (NaN bounds) for one consultation or values all equal.
    """
    out: list[dict[str, Any]] = []
    if frame.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    for col, every in frame.groupby("column", sort=False):
        ended = every["status"].isin(FINISHED_STATUSES).to_numpy(dtype=float)
        mean, lo, hi = _interval("finished", ended, n_boot, seed)
        out.append({"column": col, "measure": "finished", "mean": mean, "ci_low": lo, "ci_high": hi,
                    "n": int(ended.size)})
        g = every[ended == 1]
        for measure in (*MEASURES, *JUDGE_MEASURES):
            values = pd.to_numeric(g[measure], errors="coerce").dropna().to_numpy(dtype=float)
            if measure in JUDGE_MEASURES and not values.size:
                continue
            mean, lo, hi = _interval(measure, values, n_boot, seed)
            out.append({"column": col, "measure": measure, "mean": mean, "ci_low": lo, "ci_high": hi,
                        "n": int(values.size)})
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


def wide_table(summary: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """One row per column, one cell per measure: ``mean [lo, hi] (n)``; ``mean (n)`` where there is no
    interval (one consultation, or values all equal)."""
    if summary.empty:
        return pd.DataFrame(columns=["column"])

    def cell(r: pd.Series) -> str:
        if math.isnan(r["mean"]):
            return "–"
        if math.isnan(r["ci_low"]) or math.isnan(r["ci_high"]):
            return f"{r['mean']:.{digits}f} (n={r['n']})"
        return f"{r['mean']:.{digits}f} [{r['ci_low']:.{digits}f}, {r['ci_high']:.{digits}f}] (n={r['n']})"

    t = summary.assign(cell=summary.apply(cell, axis=1))
    wide = t.pivot(index="column", columns="measure", values="cell")
    order = [m for m in ("finished", *MEASURES, *JUDGE_MEASURES) if m in wide.columns]
    return wide[order].reindex(list(dict.fromkeys(summary["column"]))).reset_index()


def write_simulated_report(frame: pd.DataFrame, summary: pd.DataFrame, folder: str | Path,
                           note: str | None = None, filters: str | None = None) -> list[Path]:
    """``simulated_consultations.csv``, ``simulated_measures.csv`` and ``simulated.md`` in ``folder``; ``note``: a
    line for the Markdown under its heading (which filters the measures followed, which not); ``filters``: the
    filters followed, as ``Scope.describe`` writes them, for the measures CSV's ``filters`` column (as the
    Compare tab's download has one)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "simulated_consultations.csv", out / "simulated_measures.csv", out / "simulated.md"]
    # case ids, categories and dataset names come from files anyone may write
    safe_frame(frame).to_csv(paths[0], index=False)
    safe_frame(summary if filters is None else summary.assign(filters=filters)).to_csv(paths[1], index=False)
    paths[2].write_text(simulated_markdown(summary, note), encoding="utf-8")
    return paths


def simulated_markdown(summary: pd.DataFrame, note: str | None = None) -> str:
    from workbench.analysis.report import markdown_table

    head = "## Simulated patients\n\n" + (f"{note}\n\n" if note else "")
    if summary.empty:
        return head + "No simulated consultations.\n"
    return (head + "Mean [95% CI] (n consultations): Wilson intervals for the 0/1 shares (finished, "
            "advised), bootstrap over consultations for the others; the measures count finished consultations only\n\n"
            + markdown_table(wide_table(summary)) + "\n")
