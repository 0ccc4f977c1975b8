"""Everything the Compare tab and ``python -m workbench stats`` show, computed in one call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from workbench.analysis.aggregate_tables import aggregated_scores
from workbench.analysis.agreement import agreement_table
from workbench.analysis.coq import Classifier, coq_curve, label_turns, questions_before_first_suggestion
from workbench.analysis.defaults import N_BOOT
from workbench.analysis.differences import column_differences
from workbench.analysis.filters import apply_scope
from workbench.analysis.frames import Frames
from workbench.analysis.metrics import reference_metrics
from workbench.analysis.preference import bradley_terry, pairwise_counts, position_bias, tally_preferences
from workbench.analysis.preference import win_rates as win_rate_matrix
from workbench.analysis.scores import column_scores, scores_by_slot
from workbench.analysis.twins import one_rating_per_text
from workbench.scope import Scope


@dataclass(frozen=True)
class Dashboard:
    """Every table of the dashboard (pandas DataFrames; column meanings in each function's docstring)."""

    scope: Scope  # what the tables were computed over
    counts: dict[str, int]  # rows per input frame after filtering
    scores: pd.DataFrame  # scores.column_scores
    differences: pd.DataFrame  # differences.column_differences
    slot_scores: pd.DataFrame  # scores.scores_by_slot
    coq: pd.DataFrame  # coq.coq_curve
    questions_first: pd.DataFrame  # coq.questions_before_first_suggestion(...).summary
    questions_first_dist: pd.DataFrame  # ... .distribution
    win_rates: pd.DataFrame  # preference.pairwise_matrix
    win_counts: pd.DataFrame  # comparisons behind each win rate
    bradley_terry: pd.DataFrame  # preference.bradley_terry
    position_bias: pd.DataFrame  # preference.position_bias
    agreement: pd.DataFrame  # agreement.agreement_table
    metrics: pd.DataFrame | None = field(default=None)  # metrics.reference_metrics; None when skipped
    aggregated: pd.DataFrame | None = field(default=None)  # aggregate_tables.aggregated_scores; None when skipped
    greetings: int = 0  # greeting replies after filtering: left out of every table above, counted here
    annotators: int = 0  # distinct annotators among the ratings after filtering (the score CIs resample them)


def compute_dashboard(
    frames: Frames,
    scope: Scope | None = None,
    *,
    metrics: bool = True,
    classify: Classifier | None = None,
    n_boot: int = N_BOOT,
    bt_boot: int = 200,
    seed: int = 0,
    all_bad: str = "exclude",
    aggregates: Sequence[str] = (),
    column_order: Sequence[str] = (),
) -> Dashboard:
    """Filter the frames, then compute every table.

    ``metrics=False`` skips BLEU/ROUGE/distinct, the one part that must segment every reply's text with
    jieba (seconds on large sets, against milliseconds for the rest); the UI can compute it on demand.
    ``aggregates`` (e.g. ``("mean", "dawid-skene", "mace")``) adds the per-column scores aggregated by each
    method side by side; the EM methods take seconds on thousands of ratings, so the default is none.
    ``column_order`` (the configured columns) orders the pairs of the differences table.
    """
    scope = scope or Scope()
    f = apply_scope(frames.validate(), scope)
    tally = tally_preferences(f.preferences)  # one pass over the judgements serves all three tables
    wins, n = pairwise_counts(tally, all_bad=all_bad)
    turns = label_turns(f.generations, f.references, classify)
    runs = questions_before_first_suggestion(f.generations, f.references, turns=turns)
    # Score CIs resample dialogues: take each reply's dialogue from the unfiltered frame, since a rating
    # kept by a filter (its human turn type, its date) may rate a reply the filter left out.
    gens = frames.generations
    dialogues = gens.drop_duplicates("generation_id").set_index("generation_id")["dialogue_id"]
    # a box of identical replies is one answer: in one slot, and one unit of agreement
    one_per_box = one_rating_per_text(f.ratings, f.generations)
    return Dashboard(
        scope=scope,
        counts={
            "generations": len(f.generations),
            "ratings": len(f.ratings),
            "preferences": len(f.preferences),
            "references": len(f.references),
        },
        greetings=len(f.greetings),
        annotators=int(f.ratings["annotator"].nunique()) if "annotator" in f.ratings.columns else 0,
        scores=column_scores(f.generations, f.ratings, n_boot=n_boot, seed=seed, dialogues=dialogues),
        differences=column_differences(f.generations, f.ratings, column_order, n_boot=n_boot, seed=seed,
                                       dialogues=dialogues),
        slot_scores=scores_by_slot(one_per_box, n_boot=n_boot, seed=seed, dialogues=dialogues),
        coq=coq_curve(f.generations, f.references, turns=turns),
        questions_first=runs.summary,
        questions_first_dist=runs.distribution,
        win_rates=win_rate_matrix(wins, n),
        win_counts=n.round().astype("int64"),  # whole comparisons (a tie's halves add up), not 5.0
        bradley_terry=bradley_terry(tally, n_boot=bt_boot, seed=seed, all_bad=all_bad),
        position_bias=position_bias(tally),
        agreement=agreement_table(one_per_box),
        metrics=reference_metrics(f.generations, f.references) if metrics else None,
        aggregated=aggregated_scores(f.ratings, aggregates, seed=seed) if aggregates else None,
    )
