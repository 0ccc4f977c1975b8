"""Markdown and CSV reports of a :class:`Dashboard` (what ``python -m workbench stats`` writes)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.analysis.dashboard import Dashboard
from workbench.csv_safety import safe_frame
from workbench.errors import InputError

# (file stem, title, Dashboard attribute, keep the index as a column)
SECTIONS: tuple[tuple[str, str, str, bool], ...] = (
    ("scores", "Scores per column (mean, 95% bootstrap CI, dialogues and annotators resampled)", "scores", False),
    ("score_differences", "Differences between columns (second - first, dialogues rated in both; 95% CI per "
     "comparison, dialogues and annotators resampled, not adjusted for multiple comparisons)", "differences", False),
    ("slot_scores", "Scores by display slot", "slot_scores", False),
    ("coq_curve", "CoQ curve: share of question replies by turn", "coq", False),
    ("questions_first", "Questions before the first suggestion", "questions_first", False),
    (
        "questions_first_distribution",
        "Questions before the first suggestion: distribution",
        "questions_first_dist",
        False,
    ),
    ("win_rates", "Pairwise win rate (row beats column, ties half)", "win_rates", True),
    ("win_counts", "Pairwise comparisons", "win_counts", True),
    ("bradley_terry", "Bradley-Terry ratings (95% bootstrap CI)", "bradley_terry", False),
    ("position_bias", "Position bias: top choice by display slot", "position_bias", False),
    ("agreement", "Inter-annotator agreement (Krippendorff's alpha)", "agreement", False),
    ("metrics", "Reference metrics (BLEU cumulative corpus, ROUGE F, distinct-n)", "metrics", False),
    ("aggregated_scores", "Scores aggregated over annotators: plain mean vs reliability-weighted (Dawid-Skene, MACE)",
     "aggregated", False),
)


def _cell(value: object, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        if float(value).is_integer() and abs(float(value)) < 1e15:
            return str(int(value))
        return (
            f"{value:.{digits}g}"
            if abs(value) < 10 ** (-digits + 1) and value != 0
            else f"{value:.{digits}f}"
        )
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    text = str(value)
    return "" if text in {"nan", "NaT", "<NA>", "None"} else text


def markdown_table(df: pd.DataFrame, digits: int = 3, index: bool = False) -> str:
    """A GitHub-flavoured Markdown table (no tabulate needed); '|' inside cells is escaped."""
    frame = df.reset_index() if index else df
    if frame.empty and not len(frame.columns):
        return "_no data_"
    header = [str(c) for c in frame.columns]
    rows = [
        [_cell(v, digits).replace("|", "\\|").replace("\n", " ") for v in row]
        for row in frame.itertuples(index=False)
    ]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    lines = ["| " + " | ".join(h.replace("|", "\\|") for h in header) + " |"]
    lines.append("|" + "|".join("---:" if num else "---" for num in numeric) + "|")
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    if not rows:
        lines.append("| " + " | ".join("" for _ in header) + " |")
    return "\n".join(lines)


def _filters_text(d: Dashboard) -> str:
    # as judge_agreement.csv, judge_scores.csv and simulated.md beside it name them (not Python's tuple reprs)
    return d.scope.describe()


def dashboard_markdown(d: Dashboard, title: str = "BianQue Workbench statistics") -> str:
    """The whole dashboard as one Markdown document."""
    out = [f"# {title}", "", f"Filters: {_filters_text(d)}", ""]
    out.append("Rows after filtering: " + ", ".join(f"{k} {v}" for k, v in d.counts.items()))
    out.append(f"Greeting replies (the apps' fixed first reply, no model call) left out of every table: {d.greetings}")
    for _stem, heading, attr, keep_index in SECTIONS:
        table = getattr(d, attr)
        out += ["", f"## {heading}", ""]
        out.append(
            "_not computed_"
            if table is None
            else ("_no data_" if table.empty else markdown_table(table, index=keep_index))
        )
    return "\n".join(out) + "\n"


def write_report(d: Dashboard, folder: str | Path, sections: Sequence[str] | None = None) -> list[Path]:
    """Write ``report.md`` and one CSV per table into ``folder`` (created if needed); return the paths.

    ``sections`` limits the CSVs to the given file stems (see :data:`SECTIONS`); tables not computed
    (metrics skipped) are not written.
    """
    known = {stem for stem, *_ in SECTIONS}
    if sections is not None and not set(sections) <= known:
        raise InputError(f"unknown report section(s): {sorted(set(sections) - known)}")
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create report folder {root}: {exc}") from exc
    written = []
    md = root / "report.md"
    md.write_text(dashboard_markdown(d), encoding="utf-8")
    written.append(md)
    for stem, _heading, attr, keep_index in SECTIONS:
        table = getattr(d, attr)
        if table is None or (sections is not None and stem not in sections):
            continue
        path = root / f"{stem}.csv"
        safe_frame(table, index=keep_index).to_csv(path, index=keep_index)
        written.append(path)
    return written
