"""The learned half of the turn-type classifier: a char n-gram TF-IDF + logistic regression, run in numpy.

Trained by :mod:`workbench.annotate.turn_type_training` (sklearn) and stored in ``turn_type_model.npz``
as plain arrays, read with ``allow_pickle=False``: no pickle and no sklearn at run time. The features are
sklearn's ``TfidfVectorizer(analyzer="char_wb", sublinear_tf=True)`` reproduced exactly, so the
probabilities equal ``predict_proba`` of the fitted model (tests/test_turn_type_model.py).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from workbench.errors import WorkbenchError

MODEL_PATH = Path(__file__).with_name("turn_type_model.npz")
FIELDS = ("vocabulary", "idf", "coef", "intercept", "classes", "ngram_range", "data_hash", "params")


class ModelUnavailable(WorkbenchError):
    """The stored model is missing or unreadable; the classifier then uses its rules alone."""


@dataclass(frozen=True)
class TurnTypeModel:
    """A fitted model's arrays: ``coef`` is (classes, features), ``vocabulary`` maps n-gram -> column."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    classes: tuple[str, ...]
    ngram_range: tuple[int, int]
    data_hash: str
    params: str

    def predict_proba(self, text: str) -> dict[str, float]:
        """Class probabilities for one text (softmax of the linear scores on its TF-IDF vector)."""
        counts = Counter(g for g in char_wb_ngrams(text, self.ngram_range) if g in self.vocabulary)
        scores = self.intercept.astype(np.float64)
        if counts:
            cols = np.fromiter((self.vocabulary[g] for g in counts), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            x = (1.0 + np.log(tf)) * self.idf[cols]
            x /= np.sqrt(x @ x)
            scores = scores + self.coef[:, cols].astype(np.float64) @ x
        e = np.exp(scores - scores.max())
        p = e / e.sum()
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}


_WHITE_SPACES = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, ngram_range: tuple[int, int] = (1, 4)) -> list[str]:
    """sklearn's ``char_wb`` analyzer (lowercase, then ``_char_wb_ngrams``): n-grams inside each
    whitespace-separated word padded with one space each side. Kept loop for loop so the features match."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    min_n, max_n = ngram_range
    out: list[str] = []
    for w in text.split():
        w = " " + w + " "
        w_len = len(w)
        for n in range(min_n, max_n + 1):
            offset = 0
            out.append(w[offset:offset + n])
            while offset + n < w_len:
                offset += 1
                out.append(w[offset:offset + n])
            if offset == 0:  # a word shorter than n is counted once, as sklearn does
                break
    return out


def load_model(path: Path | BinaryIO = MODEL_PATH) -> TurnTypeModel:
    """Read a stored model; raises :class:`ModelUnavailable` naming the path when it cannot."""
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [f for f in FIELDS if f not in z.files]
            if missing:
                raise ModelUnavailable(f"{path}: not a turn-type model (missing {', '.join(missing)})")
            vocab = z["vocabulary"].tolist()
            idf, coef, intercept = z["idf"], z["coef"], z["intercept"]
            classes = tuple(str(c) for c in z["classes"].tolist())
            lo, hi = (int(v) for v in z["ngram_range"])
            data_hash, params = str(z["data_hash"]), str(z["params"])
    except (OSError, ValueError, KeyError) as e:  # absent, truncated, or an object array
        raise ModelUnavailable(f"{path}: cannot read the turn-type model: {e}") from None
    if coef.shape != (len(classes), len(vocab)) or idf.shape != (len(vocab),) or intercept.shape != (len(classes),):
        raise ModelUnavailable(f"{path}: the model's arrays disagree in shape")
    return TurnTypeModel({g: i for i, g in enumerate(vocab)}, idf.astype(np.float64), coef, intercept, classes,
                         (lo, hi), data_hash, params)


@functools.cache
def default_model() -> TurnTypeModel:
    """The committed model, read once per process (a failure is cached by the caller, not here)."""
    return load_model(MODEL_PATH)


__all__ = ["MODEL_PATH", "ModelUnavailable", "TurnTypeModel", "char_wb_ngrams", "default_model", "load_model"]
