"""BLEU / ROUGE / distinct-n: hand cases, an independent BLEU implementation, empty strings, lazy jieba."""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.metrics import bleu_scores, distinct_n, reference_metrics, rouge_scores, tokenize

ROOT = Path(__file__).resolve().parents[1]


def test_bleu_by_hand():
    # hyp a b c e vs ref a b c d: clipped precisions p1 = 3/4, p2 = 2/3, p3 = 1/2, p4 = 0/1, which
    # smoothing method1 turns into 0.1/1. Same length -> brevity penalty 1.
    # BLEU-1 = 0.75; BLEU-2 = sqrt(0.75 * 2/3) = 0.70711; BLEU-3 = (0.75 * 2/3 * 0.5)^(1/3) = 0.25^(1/3)
    # = 0.62996; BLEU-4 = (0.25 * 0.1)^(1/4) = 0.39764.
    b = bleu_scores([list("abce")], [list("abcd")])
    assert b == pytest.approx([0.75, math.sqrt(0.5), 0.25 ** (1 / 3), 0.025**0.25])
    # hyp a b vs ref a b c d: all precisions 1, brevity penalty exp(1 - 4/2) = e^-1.
    assert bleu_scores([list("ab")], [list("abcd")], max_n=1)[0] == pytest.approx(math.exp(-1))
    assert bleu_scores([list("abcde")], [list("abcde")]) == pytest.approx([1.0] * 4)


def independent_corpus_bleu(hyps, refs, n_max):
    """Papineni et al. 2002, written from the definition: clipped n-gram counts pooled over the corpus,
    geometric mean with uniform weights, one brevity penalty from total lengths."""
    logs = []
    for n in range(1, n_max + 1):
        match = total = 0
        for h, r in zip(hyps, refs, strict=True):
            hc = Counter(tuple(h[i : i + n]) for i in range(len(h) - n + 1))
            rc = Counter(tuple(r[i : i + n]) for i in range(len(r) - n + 1))
            match += sum(min(c, rc[g]) for g, c in hc.items())
            total += sum(hc.values())
        logs.append(math.log(match / total))
    hyp_len, ref_len = sum(map(len, hyps)), sum(map(len, refs))
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return bp * math.exp(sum(logs) / n_max)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bleu_matches_independent_implementation(seed):
    rng = np.random.default_rng(seed)
    vocab = list("甲乙丙丁戊己")  # a small vocabulary so every order has matches (no smoothing involved)
    refs = [list(rng.choice(vocab, rng.integers(8, 20))) for _ in range(30)]
    hyps = [r[: rng.integers(4, len(r))] + list(rng.choice(vocab, 3)) for r in refs]
    ours = bleu_scores(hyps, refs)
    for n in range(1, 5):
        assert ours[n - 1] == pytest.approx(independent_corpus_bleu(hyps, refs, n), rel=1e-12)


def test_rouge_by_hand():
    # hyp a b c vs ref a b d: ROUGE-1 P = R = 2/3 -> F 2/3; ROUGE-2 bigrams {ab, bc} vs {ab, bd} -> 1/2;
    # ROUGE-L: LCS "a b" = 2 -> 2/3. (rouge adds 1e-8 to the F denominator, hence the tolerance.)
    r1, r2, rl = rouge_scores([["a", "b", "c"]], [["a", "b", "d"]])
    assert (r1, r2, rl) == pytest.approx((2 / 3, 0.5, 2 / 3), abs=1e-6)
    # An empty reply scores 0 and still counts in the mean: (1 + 0) / 2.
    r1, _, _ = rouge_scores([["a", "b"], []], [["a", "b"], ["c"]])
    assert r1 == pytest.approx(0.5, abs=1e-6)


def test_distinct_by_hand():
    # a b a: unigrams {a, b} of 3 -> 2/3; bigrams ab, ba of 2 -> 1. Two texts pool their n-grams.
    assert distinct_n([["a", "b", "a"]], 1) == pytest.approx(2 / 3)
    assert distinct_n([["a", "b", "a"]], 2) == 1.0
    assert distinct_n([["a", "b"], ["a", "b"]], 2) == 0.5
    assert math.isnan(distinct_n([[], ["a"]], 2))


def test_tokenize_segments_chinese_and_handles_empty():
    tokens = tokenize("我最近头疼，晚上睡不好。")
    assert "".join(tokens) == "我最近头疼，晚上睡不好。" and len(tokens) > 3
    assert tokenize("") == [] and tokenize("   ") == [] and tokenize(None) == []


def test_reference_metrics_per_column():
    ref = "建议您多喝水，注意休息，如果发烧超过三天请及时就医。"
    gens = pd.DataFrame(
        {
            "column": ["A", "A", "B", "B", "B"],
            "output": [ref, ref, "", "多喝水，注意休息。", "x"],
            "status": ["ok", "ok", "ok", "ok", "error"],
            "reference": [ref, None, ref, ref, ref],
        }
    )
    table = reference_metrics(gens, pd.DataFrame({"text": [ref, "请问孩子多大了？"]})).set_index("column")
    a, b = table.loc["A"], table.loc["B"]
    # A copies the reference: every BLEU order and ROUGE is 1; the second reply has no reference.
    assert a["n_pairs"] == 1 and a["n_replies"] == 2
    assert [a[f"bleu_{n}"] for n in range(1, 5)] == pytest.approx([1.0] * 4)
    assert a[["rouge_1", "rouge_2", "rouge_l"]].tolist() == pytest.approx([1.0] * 3, abs=1e-6)
    # B: the empty reply does not crash and pulls the ROUGE mean down; the error reply is not counted.
    assert b["n_pairs"] == 2 and b["n_replies"] == 2
    assert 0 < b["rouge_1"] < 0.5 and 0 < b["bleu_1"] < 1
    # The reference row carries distinct-n only.
    assert table.loc["reference", "distinct_1"] > 0 and np.isnan(table.loc["reference", "bleu_1"])


def test_reference_metrics_without_pairs():
    gens = pd.DataFrame({"column": ["A"], "output": ["你好"], "status": ["ok"], "reference": [None]})
    row = reference_metrics(gens).iloc[0]
    assert row["n_pairs"] == 0 and np.isnan(row["bleu_1"]) and np.isnan(row["rouge_1"])
    assert row["distinct_1"] == 1.0


def test_jieba_is_lazy_and_quiet():
    code = (
        "import sys\n"
        "import workbench.analysis.metrics as m\n"
        "assert 'jieba' not in sys.modules, 'jieba imported at module import'\n"
        "print(len(m.tokenize('我头疼发烧')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 2
    assert "Building prefix dict" not in proc.stderr and "Loading model" not in proc.stderr
