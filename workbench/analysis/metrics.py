"""Reference metrics as in the BianQue paper: BLEU-1..4 and ROUGE-1/2/L on jieba-segmented text, plus
distinct-1/2.

Choices (documented because papers differ):

- Tokens: ``jieba.lcut`` with whitespace tokens dropped, for every metric.
- BLEU-n: nltk ``corpus_bleu`` (n-gram counts pooled over all pairs of a column, one brevity penalty),
  *cumulative* (uniform weights over 1..n-grams), with ``SmoothingFunction().method1``, which only changes
  an order that has zero matches (epsilon 0.1 instead of a zero that would null the geometric mean).
- ROUGE-1/2/L: ``rouge_chinese.Rouge`` F-scores on the space-joined tokens, averaged over pairs.
  An empty reply scores 0; a pair whose reference is empty is skipped (nothing to compare with).
- distinct-n: distinct n-grams / all n-grams over every "ok" reply of the column (corpus level), and the
  same over the reference texts as the "reference" row.

jieba is imported and its dictionary loaded on first use only (about a second), with its log quiet.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis.frames import REFERENCE_LABEL, validate_frame
from workbench.vocab import GenerationStatus


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.ERROR)
    jieba.initialize()
    return jieba


def tokenize(text: str | None) -> list[str]:
    """jieba tokens of ``text`` without whitespace tokens; [] for empty or missing text."""
    if not isinstance(text, str) or not text.strip():
        return []
    return [t for t in _jieba().lcut(text) if t.strip()]


def _tokenize_all(texts: Iterable[object]) -> list[list[str]]:
    cache: dict[object, list[str]] = {}
    out = []
    for t in texts:
        if t not in cache:
            cache[t] = tokenize(t if isinstance(t, str) else None)
        out.append(cache[t])
    return out


def bleu_scores(hyps: Sequence[list[str]], refs: Sequence[list[str]], max_n: int = 4) -> list[float]:
    """Cumulative corpus BLEU-1..max_n of tokenised hypotheses against one reference each."""
    from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu

    if not hyps:
        return [float("nan")] * max_n
    weights = [tuple([1.0 / n] * n) for n in range(1, max_n + 1)]
    with warnings.catch_warnings():
        # nltk warns when an order has no match at all; smoothing already handles it.
        warnings.simplefilter("ignore")
        scores = corpus_bleu(
            [[r] for r in refs], list(hyps), weights=weights, smoothing_function=SmoothingFunction().method1
        )
    # nltk returns a bare float when given a single weight tuple.
    return [float(s) for s in np.atleast_1d(scores)]


def rouge_scores(hyps: Sequence[list[str]], refs: Sequence[list[str]]) -> tuple[float, float, float]:
    """Mean ROUGE-1/2/L F over pairs (rouge_chinese on space-joined tokens); empty replies score 0."""
    from rouge_chinese import Rouge

    if not hyps:
        return (float("nan"),) * 3
    rouge = Rouge()
    total = np.zeros(3)
    for h, r in zip(hyps, refs, strict=True):
        if not h or not r:
            continue
        s = rouge.get_scores(" ".join(h), " ".join(r))[0]
        total += (s["rouge-1"]["f"], s["rouge-2"]["f"], s["rouge-l"]["f"])
    mean = total / len(hyps)
    return float(mean[0]), float(mean[1]), float(mean[2])


def distinct_n(token_lists: Iterable[list[str]], n: int) -> float:
    """Distinct n-grams over all n-grams in the given tokenised texts; NaN when there are none."""
    seen: set[tuple[str, ...]] = set()
    total = 0
    for toks in token_lists:
        grams = [tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)]
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else float("nan")


# The registry: adding a metric is a function (in its own module when it is more than a few lines) plus one
# line here. Functions receive jieba token lists (see ``tokenize``).
PairMetric = Callable[[Sequence[list[str]], Sequence[list[str]]], Sequence[float]]
TextsMetric = Callable[[Sequence[list[str]]], float]

#: metrics of (reply, reference) pairs: the columns they fill -> f(replies, references)
PAIR_METRICS: dict[tuple[str, ...], PairMetric] = {
    ("bleu_1", "bleu_2", "bleu_3", "bleu_4"): bleu_scores,
    ("rouge_1", "rouge_2", "rouge_l"): rouge_scores,
}
#: metrics of a set of texts alone (a column's replies; the references, as the "reference" row)
TEXTS_METRICS: dict[str, TextsMetric] = {
    "distinct_1": functools.partial(distinct_n, n=1),
    "distinct_2": functools.partial(distinct_n, n=2),
}


def metric_names() -> list[str]:
    """Every registered metric's column, in table order (read at call time: the registries are the list)."""
    return [*(n for names in PAIR_METRICS for n in names), *TEXTS_METRICS]


def metric_columns() -> list[str]:
    """The columns of :func:`reference_metrics`' table."""
    return ["column", "n_pairs", *(n for names in PAIR_METRICS for n in names), "n_replies", *TEXTS_METRICS]


def reference_metrics(generations: pd.DataFrame, references: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per column: every registered metric (BLEU-1..4, ROUGE-1/2/L against the stored reference,
    distinct-1/2; module docstring).

    ``references`` (optional) adds a "reference" row with the texts metrics of the gold doctor turns.
    """
    validate_frame(generations, "generations", ["column", "output", "status", "reference"])
    ok = generations[generations["status"] == GenerationStatus.OK]
    rows = []
    for col, group in ok.groupby("column", sort=True):
        out_tokens = _tokenize_all(group["output"])
        has_ref = (
            group["reference"].map(lambda t: isinstance(t, str) and bool(t.strip())).to_numpy(dtype=bool)
        )
        ref_tokens = _tokenize_all(group["reference"][has_ref])
        hyps = [t for t, keep in zip(out_tokens, has_ref, strict=True) if keep]
        pairs = [(h, r) for h, r in zip(hyps, ref_tokens, strict=True) if r]
        hyp_l, ref_l = [p[0] for p in pairs], [p[1] for p in pairs]
        row: dict[str, Any] = {"column": col, "n_pairs": len(pairs)}
        for names, pair_metric in PAIR_METRICS.items():
            row.update(zip(names, pair_metric(hyp_l, ref_l), strict=True))
        row["n_replies"] = len(group)
        row.update({name: texts_metric(out_tokens) for name, texts_metric in TEXTS_METRICS.items()})
        rows.append(row)
    if references is not None and len(references):
        validate_frame(references, "references", ["text"])
        ref_tokens = _tokenize_all(references["text"])
        rows.append({
            "column": REFERENCE_LABEL, "n_pairs": 0, "n_replies": len(references),
            **{name: texts_metric(ref_tokens) for name, texts_metric in TEXTS_METRICS.items()},
        })
    return pd.DataFrame(rows, columns=metric_columns())
