"""Time the Compare tab's statistics on 100k synthetic ratings (goal: <= 1 s).

Builds, with numpy only, a store-sized synthetic set: 3 columns x 2,000 dialogues x 5 doctor turns
(30k generations, each reply a distinct text), 10k reference turns, 100k ratings by 12 annotators and
~30k preferences (best / tie / all bad / ranking, shuffled display order, a slight slot-0 bias).

Timed: ``compute_dashboard(frames, metrics=False)``: filters, score table with 2,000-replicate bootstrap
CIs, slot scores, CoQ curve and questions-before-first-suggestion (classifier run on every text),
pairwise matrix, Bradley-Terry with 200 bootstrap refits, position bias with binomial tests, and
Krippendorff's alpha on three axes. Left out: BLEU/ROUGE/distinct, which must jieba-segment every reply
(the UI computes them on demand); they are timed separately on a 3,000-generation subset and reported
as an extra key. Plot building is timed separately too.

Baseline, measured in the same run: a plain ``ratings.groupby("column")[axes].mean()``; the ratio says
how many such group-bys the whole dashboard costs.

Usage: python bench/stats_scale.py [--ratings N] [--preferences N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.analysis.dashboard import compute_dashboard  # noqa: E402
from workbench.analysis.frames import Frames  # noqa: E402
from workbench.analysis.metrics import reference_metrics  # noqa: E402
from workbench.analysis.plots import dashboard_figures  # noqa: E402

COLUMNS = ["BianQue-1.0", "BianQue-2.0", "BianQue-hybrid"]
QUESTIONS = [
    "请问您发烧多久了？",
    "有没有咳嗽或者流鼻涕？",
    "孩子多大了？平时吃饭怎么样",
    "疼痛是持续的还是阵发的？",
]
ADVICE = [
    "建议多喝水，注意休息。",
    "可以先观察两天，如果加重请及时就医。",
    "建议到医院做个血常规检查。",
    "饮食清淡，避免辛辣刺激。",
]


def synthetic_frames(
    n_ratings: int = 100_000, n_preferences: int = 30_000, n_dialogues: int = 2000, seed: int = 0
) -> Frames:
    """A synthetic store of the given size, shaped like a real batch run plus annotation
    (3 columns x ``n_dialogues`` x 5 doctor turns of generations)."""
    rng = np.random.default_rng(seed)
    n_turns, k = 5, len(COLUMNS)
    base = pd.Timestamp("2025-01-01")

    d_idx = np.repeat(np.arange(n_dialogues), n_turns)
    t_idx = np.tile(np.arange(n_turns), n_dialogues)
    ref_q = rng.random(d_idx.size) < np.clip(0.8 - 0.18 * t_idx, 0.05, 1)
    ref_text = [(QUESTIONS[i % 4] if q else ADVICE[i % 4]) + f"（参考{i}）" for i, q in enumerate(ref_q)]
    datasets = np.where(d_idx % 4 == 0, "meddialog", "bianque-eval").astype(object)
    references = pd.DataFrame(
        {"dialogue_id": d_idx, "dataset": datasets, "turn_index": t_idx, "text": ref_text}
    )

    n_gen = d_idx.size * k
    g_col = np.repeat(np.arange(k), d_idx.size)
    g_d, g_t = np.tile(d_idx, k), np.tile(t_idx, k)
    q_prob = np.clip(np.array([0.9, 0.6, 0.75])[g_col] - 0.15 * g_t, 0.05, 1)
    asks = rng.random(n_gen) < q_prob
    outputs = [(QUESTIONS[i % 4] if q else ADVICE[i % 4]) + f"（{i}）" for i, q in enumerate(asks)]
    status = np.where(rng.random(n_gen) < 0.01, "error", "ok").astype(object)
    gen_created = base + pd.to_timedelta(rng.integers(0, 90 * 86400, n_gen), unit="s")
    generations = pd.DataFrame(
        {
            "generation_id": np.arange(1, n_gen + 1),
            "dialogue_id": g_d,
            "dataset": np.tile(datasets, k),
            "column": np.array(COLUMNS, dtype=object)[g_col],
            "model": np.array(["t5", "chatglm", "hybrid"], dtype=object)[g_col],
            "turn_index": g_t,
            "output": outputs,
            "status": status,
            "latency_ms": rng.gamma(4.0, 150.0, n_gen) * np.array([1.0, 3.0, 2.0])[g_col],
            "output_tokens": rng.integers(5, 120, n_gen),
            "asks_question": asks,
            "question_count": asks.astype(int),
            "length_chars": np.fromiter((len(o) for o in outputs), dtype=int, count=n_gen),
            "turn_type_auto": np.where(asks, "question", "suggestion").astype(object),
            "reference": np.tile(np.asarray(ref_text, dtype=object), k),
            "created_at": gen_created,
        }
    )

    annotators = np.array([f"ann{i:02d}" for i in range(12)], dtype=object)
    r_gen = rng.integers(0, n_gen, n_ratings)
    r_ann = rng.integers(0, annotators.size, n_ratings)
    quality_q = np.array([3.2, 3.6, 3.9])[g_col[r_gen]] + rng.normal(0, 0.6, n_gen)[r_gen]
    quality_s = np.array([2.8, 3.9, 3.7])[g_col[r_gen]] + rng.normal(0, 0.6, n_gen)[r_gen]
    questioning = np.clip(np.rint(quality_q + rng.normal(0, 0.8, n_ratings)), 1, 5)
    suggestion = np.clip(np.rint(quality_s + rng.normal(0, 0.8, n_ratings)), 1, 5)
    questioning[rng.random(n_ratings) < 0.1] = np.nan
    suggestion[rng.random(n_ratings) < 0.15] = np.nan
    human_tt = np.where(asks[r_gen] ^ (rng.random(n_ratings) < 0.1), "question", "suggestion").astype(object)
    ratings = pd.DataFrame(
        {
            "rating_id": np.arange(1, n_ratings + 1),
            "generation_id": r_gen + 1,
            "annotator": annotators[r_ann],
            "column": generations["column"].to_numpy()[r_gen],
            "dataset": generations["dataset"].to_numpy()[r_gen],
            "turn_index": g_t[r_gen],
            "turn_type": human_tt,
            "questioning": questioning,
            "suggestion": suggestion,
            "safety_flag": rng.random(n_ratings) < 0.02,
            "display_slot": rng.integers(0, k, n_ratings),
            "created_at": gen_created[r_gen] + pd.to_timedelta(rng.integers(0, 86400, n_ratings), unit="s"),
        }
    )

    strength = np.array([0.6, 1.4, 1.2])
    p_slot = np.array([1.15, 1.0, 0.95])
    orders = np.argsort(rng.random((n_preferences, k)), axis=1)
    weights = strength[orders] * p_slot
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    win_slot = (rng.random((n_preferences, 1)) > cum).sum(axis=1)
    kind = rng.choice(["best", "tie", "all_bad", "ranking"], size=n_preferences, p=[0.7, 0.1, 0.05, 0.15])
    col_arr = np.array(COLUMNS, dtype=object)
    shown = [list(col_arr[o]) for o in orders]
    winner = [s[w] if kd == "best" else None for s, w, kd in zip(shown, win_slot, kind, strict=True)]
    ranking = [
        [s[w]] + [c for c in s if c != s[w]] if kd == "ranking" else None
        for s, w, kd in zip(shown, win_slot, kind, strict=True)
    ]
    p_turn = rng.integers(0, d_idx.size, n_preferences)
    preferences = pd.DataFrame(
        {
            "preference_id": np.arange(1, n_preferences + 1),
            "annotator": annotators[rng.integers(0, annotators.size, n_preferences)],
            "dialogue_id": d_idx[p_turn],
            "turn_index": t_idx[p_turn],
            "shown": pd.Series(shown, dtype=object),
            "outcome": kind.astype(object),
            "winner": pd.Series(winner, dtype=object),
            "ranking": pd.Series(ranking, dtype=object),
            "dataset": datasets[p_turn],
            "created_at": base + pd.to_timedelta(rng.integers(0, 90 * 86400, n_preferences), unit="s"),
        }
    )
    return Frames(generations, ratings, preferences, references)


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    """(first, best) wall seconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times[0], min(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=100_000)
    parser.add_argument("--preferences", type=int, default=30_000)
    parser.add_argument("--dialogues", type=int, default=2000, help="x 5 turns x 3 columns = generations")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    frames = synthetic_frames(args.ratings, args.preferences, args.dialogues)
    build_s = time.perf_counter() - t0
    axes = ["questioning", "suggestion"]
    _, baseline_s, _ = _timed(lambda: frames.ratings.groupby("column")[axes].mean(), max(5, args.repeat))
    first_s, best_s, dash = _timed(lambda: compute_dashboard(frames, metrics=False), args.repeat)
    _, plots_s, figs = _timed(lambda: dashboard_figures(dash), 1)
    subset = frames.generations.iloc[:3000]
    metrics_first_s, _, _ = _timed(lambda: reference_metrics(subset), 1)  # includes jieba's dict load
    _, metrics_s, _ = _timed(lambda: reference_metrics(subset), 1)
    n_metrics = len(subset)

    print(
        f"synthetic data: {len(frames.generations)} generations, {len(frames.ratings)} ratings, "
        f"{len(frames.preferences)} preferences, {len(frames.references)} references ({build_s:.2f} s to build)"
    )
    print(
        f"compute_dashboard(metrics=False): first {first_s:.3f} s, best of {args.repeat} {best_s:.3f} s "
        f"(goal <= 1 s)"
    )
    print(
        f"baseline groupby-mean over the ratings: {baseline_s * 1000:.2f} ms -> dashboard = "
        f"{best_s / baseline_s:.0f}x baseline"
    )
    print(f"plots ({len(figs)} figures): {plots_s:.3f} s")
    print(
        f"reference metrics on {n_metrics} generations: {metrics_s:.3f} s (first call incl. jieba load "
        f"{metrics_first_s:.3f} s)"
    )
    print(dash.bradley_terry.round(3).to_string(index=False))
    result = {
        "ratings": len(frames.ratings),
        "seconds": round(best_s, 4),
        "first_seconds": round(first_s, 4),
        "baseline_groupby_seconds": round(baseline_s, 5),
        "ratio_vs_baseline": round(best_s / baseline_s, 1),
        "preferences": len(frames.preferences),
        "generations": len(frames.generations),
        "plots_seconds": round(plots_s, 4),
        "metrics_generations": n_metrics,
        "metrics_seconds": round(metrics_s, 4),
    }
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
