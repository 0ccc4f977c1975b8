"""De-identification's learned tagger itself: its features, its numpy inference, its file (no sklearn, no rules).

Each character gets a fixed set of features: the characters around it (one, two and three at a time, in a
window of three each side), the pattern of character classes (Han, digit, Latin, space, punctuation) in
that window, and the class and length of the run it sits in. Every digit reads as 0 and Latin letters as
lower case, so a number or a handle is its shape. A multinomial logistic regression (fitted by
:mod:`workbench.privacy_training` with sklearn) gives each character a probability per label and ``O``
(none); a run of characters whose ``1 - P(O)`` reaches the threshold is a span, with the label of the
largest summed probability. :mod:`workbench.privacy_model` blends such spans with the rules'.

Features are int64 keys (up to three 21-bit code points), looked up in each template's sorted vocabulary
with ``searchsorted``: no Python loop per character, and exactly the columns the training matrix had, so
the probabilities equal sklearn's ``predict_proba`` (tests/test_privacy_model.py). The model is stored in
``privacy_model.npz`` as plain arrays, read with ``allow_pickle=False``. That file (5.8 MB) is not committed: it
is built from the labelled sets into the cache directory at first use (about half a minute on two cores) and
rebuilt when they change (:func:`workbench.privacy_training.ensure_built`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from workbench.errors import WorkbenchError
from workbench.model_files import cache_dir
from workbench.privacy import normalize, simplified_view

MODEL_FILE = "privacy_model.npz"
FIELDS = ("keys", "coef", "intercept", "classes", "threshold", "data_hash", "params")
PAD = 3  # the window: three characters each side
#: The features of a character: every n-gram (n = 1, 2, 3) of code points inside its window (7 + 6 + 5), the
#: pattern of classes in the window, and the class and length bucket of the run of one class it sits in.
N_TEMPLATES = 7 + 6 + 5 + 2
_RUN_EDGES = np.array([2, 3, 4, 5, 7, 10, 13, 16, 19, 22])  # run length buckets (a mobile is 11, an ID 18)
_CLASS_POWERS = 8 ** np.arange(2 * PAD, -1, -1, dtype=np.int64)
# A template's key (up to three 21-bit code points) -> one 64-bit key for all templates: a multiplication by an
# odd constant (one to one) and a per-template salt. Training checks that no two features meet (privacy_training).
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SALT = np.arange(1, N_TEMPLATES + 1, dtype=np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
# Character classes: 0 padding, 1 Han, 2 digit, 3 upper-case Latin, 4 lower-case Latin, 5 space, 6 ASCII
# punctuation, 7 anything else (CJK punctuation, other scripts).
_BATCH_CHARS = 32_768  # texts joined for one pass of spans_many: its feature keys take 160 bytes a character
class ModelUnavailable(WorkbenchError):
    """The stored model is missing or unreadable; de-identification then uses its rules alone."""


def encode(norm: str) -> tuple[np.ndarray, np.ndarray]:
    """Code points (digits as ``0``, Latin in lower case) and classes of ``norm``, padded by :data:`PAD` zeros
    each side."""
    cp = np.frombuffer(norm.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    cls = np.full(cp.shape, 7, dtype=np.int64)
    cls[cp < 128] = 6
    cls[(cp == 32) | (cp == 9) | (cp == 10) | (cp == 13) | (cp == 0x3000) | (cp == 0xA0)] = 5
    lower = (cp >= 97) & (cp <= 122)
    upper = (cp >= 65) & (cp <= 90)
    digit = (cp >= 48) & (cp <= 57)
    cls[lower] = 4
    cls[upper] = 3
    cls[digit] = 2
    cls[((cp >= 0x4E00) & (cp <= 0x9FFF)) | ((cp >= 0x3400) & (cp <= 0x4DBF))] = 1
    codes = np.where(digit, 48, np.where(upper, cp + 32, cp))
    pad = np.zeros(PAD, dtype=np.int64)
    return np.concatenate([pad, codes, pad]), np.concatenate([pad, cls, pad])


def feature_keys(codes: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """(characters, :data:`N_TEMPLATES`) int64 keys of one text's padded arrays from :func:`encode`."""
    n = len(codes) - 2 * PAD
    w = np.lib.stride_tricks.sliding_window_view(codes, 2 * PAD + 1)
    out = np.empty((n, N_TEMPLATES), dtype=np.int64)
    out[:, :7] = w
    out[:, 7:13] = (w[:, :-1] << 21) | w[:, 1:]
    out[:, 13:18] = (w[:, :-2] << 42) | (w[:, 1:-1] << 21) | w[:, 2:]
    out[:, 18] = np.lib.stride_tricks.sliding_window_view(cls, 2 * PAD + 1) @ _CLASS_POWERS
    c = cls[PAD : PAD + n]
    starts = np.flatnonzero(np.concatenate([[True], c[1:] != c[:-1]])) if n else np.zeros(0, dtype=np.int64)
    lengths = np.diff(np.concatenate([starts, [n]]))
    out[:, 19] = c * 16 + np.searchsorted(_RUN_EDGES, np.repeat(lengths, lengths), side="right")
    return out


def hashed(keys: np.ndarray) -> np.ndarray:
    """The templates' keys as one uint64 key space (see ``_MIX``)."""
    return (keys.astype(np.uint64) * _MIX) ^ _SALT[: keys.shape[1]]


@dataclass(frozen=True)
class DeidModel:
    """A fitted tagger: ``keys`` the sorted feature keys (:func:`hashed`), ``weights`` (features + 1, classes)
    the coefficients with a zero row for a feature the vocabulary lacks."""

    keys: np.ndarray
    weights: np.ndarray
    intercept: np.ndarray
    classes: tuple[str, ...]
    threshold: float
    data_hash: str
    params: str

    def columns(self, keys: np.ndarray) -> np.ndarray:
        """Feature column of each key (the zero row, ``len(self.keys)``, where the vocabulary lacks it)."""
        h = hashed(keys)
        if not len(self.keys):
            return np.full(h.shape, 0, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.keys, h), len(self.keys) - 1)
        return np.where(self.keys[pos] == h, pos, len(self.keys))

    def proba(self, norm: str) -> np.ndarray:
        """(characters, classes) probabilities for each character of ``norm``."""
        if not norm:
            return np.zeros((0, len(self.classes)))
        return self._proba_of(feature_keys(*encode(norm)))

    def _proba_of(self, keys: np.ndarray) -> np.ndarray:
        cols = self.columns(keys)
        # One template's weights at a time, added in the order sum(axis=1) adds them (the same floats), without
        # the (characters, templates, classes) array that gather would build: about half the time.
        scores = self.weights[cols[:, 0]]
        for j in range(1, cols.shape[1]):
            scores += self.weights[cols[:, j]]
        scores += self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores, out=scores)
        return e / e.sum(axis=1, keepdims=True)

    def spans(self, norm: str, threshold: float | None = None) -> list[tuple[int, int, str]]:
        """(start, end, label) of every run of characters whose probability of being personal data reaches
        ``threshold`` (the model's own by default); see :func:`decode`."""
        if not norm:
            return []
        return decode(norm, self.proba(norm), self.classes, self.threshold if threshold is None else threshold)

    def spans_many(self, norms: Sequence[str], threshold: float | None = None) -> list[list[tuple[int, int, str]]]:
        """:meth:`spans` of each text, scored a batch at a time: per text, the numpy calls cost more than the
        arithmetic (about 0.4 ms for a 45-character text). A batch's texts are joined with :data:`PAD` padding
        characters between them; a character's features read only its window and its run, which the padding
        bounds as a text's ends do, so each text scores exactly as it does alone (tests/test_privacy_model.py)."""
        threshold = self.threshold if threshold is None else threshold
        out: list[list[tuple[int, int, str]]] = [[] for _ in norms]
        batch: list[int] = []
        size = 0
        for i, norm in enumerate(norms):
            if not norm:
                continue
            if "\0" in norm:  # (its own NUL would read as padding)
                out[i] = self.spans(norm, threshold)
                continue
            batch.append(i)
            size += len(norm) + PAD
            if size >= _BATCH_CHARS:
                self._score_batch(norms, batch, threshold, out)
                batch, size = [], 0
        if batch:
            self._score_batch(norms, batch, threshold, out)
        return out

    def _score_batch(self, norms: Sequence[str], batch: list[int], threshold: float,
                     out: list[list[tuple[int, int, str]]]) -> None:
        codes, cls = encode(("\0" * PAD).join(norms[i] for i in batch))
        cls[codes == 0] = 0  # the joints are padding
        proba = self._proba_of(feature_keys(codes, cls))
        at = 0
        for i in batch:
            n = len(norms[i])
            out[i] = decode(norms[i], proba[at : at + n], self.classes, threshold)
            at += n + PAD


_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@")


#: A run's neighbouring letters join it where their ``1 - P(O)`` reaches this (below the model's threshold).
EXTEND = 0.5


def decode(norm: str, proba: np.ndarray, classes: Sequence[str], threshold: float) -> list[tuple[int, int, str]]:
    """Runs of characters whose ``1 - P(O)`` reaches ``threshold``, less spaces and punctuation at their ends,
    widened over the letters either side whose ``1 - P(O)`` reaches :data:`EXTEND`, each labelled by its largest
    summed probability. A run that ends inside a word of Latin letters and digits
    (a handle, an id) takes the whole word: ``tangtang_mama2019``, not ``gtang_mama2019``. Runs of one character
    are left out."""
    on = 1.0 - proba[:, 0] >= threshold
    if not on.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
    out: list[tuple[int, int, str]] = []
    for a, b in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        while a < b and not norm[a].isalnum():
            a += 1
        while b > a and not norm[b - 1].isalnum():
            b -= 1
        if b - a < 1:
            continue
        while a > 0 and norm[a] in _TOKEN_CHARS and norm[a - 1] in _TOKEN_CHARS:
            a -= 1
        while b < len(norm) and norm[b - 1] in _TOKEN_CHARS and norm[b] in _TOKEN_CHARS:
            b += 1
        while b > a and not norm[b - 1].isalnum():  # (a word's final full stop)
            b -= 1
        if b - a < 2:
            continue
        # The characters either side it is fairly sure of join the run (hysteresis): 昨天张丽华来复诊 gave 张丽 alone,
        # the given name's last character under the threshold, and the export read [姓名]华 (walk s69). On session
        # 69's unseen sets the exact-match precision / recall of the thorough mode went from 0.902 / 0.819 to
        # 0.904 / 0.821 (0.3: 0.902 / 0.819), overlap figures unchanged.
        while a > 0 and 1.0 - proba[a - 1, 0] >= EXTEND and norm[a - 1].isalnum():
            a -= 1
        while b < len(norm) and 1.0 - proba[b, 0] >= EXTEND and norm[b].isalnum():
            b += 1
        while out and a < out[-1][1]:  # two runs in one word: one span
            a = min(a, out.pop()[0])
        out.append((a, b, classes[1 + int(proba[a:b, 1:].sum(axis=0).argmax())]))
    return out


def load_model(path: Path | BinaryIO) -> DeidModel:
    """Read a stored model; raises :class:`ModelUnavailable` naming the path when it cannot."""
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [f for f in FIELDS if f not in z.files]
            if missing:
                raise ModelUnavailable(f"{path}: not a de-identification model (missing {', '.join(missing)})")
            keys, coef, intercept = z["keys"], z["coef"], z["intercept"]
            classes = tuple(str(c) for c in z["classes"].tolist())
            threshold, data_hash, params = float(z["threshold"]), str(z["data_hash"]), str(z["params"])
    except (OSError, ValueError, KeyError) as e:  # absent, truncated, or an object array
        raise ModelUnavailable(f"{path}: cannot read the de-identification model: {e}") from None
    if (coef.shape != (len(classes), len(keys)) or intercept.shape != (len(classes),) or keys.dtype != np.uint64
            or classes[:1] != ("O",)):
        raise ModelUnavailable(f"{path}: the de-identification model's arrays disagree in shape")
    weights = np.vstack([coef.T.astype(np.float64), np.zeros((1, len(classes)))])
    return DeidModel(keys, weights, intercept.astype(np.float64), classes, threshold, data_hash, params)


def model_path() -> Path:
    """Where this machine's tagger is built: ``privacy_model.npz`` in the cache directory."""
    return cache_dir() / MODEL_FILE


def model_view(text: str) -> str:
    """The text the tagger reads: full-width forms as ASCII, traditional characters as simplified (the offsets
    are the text's)."""
    return simplified_view(normalize(text))


__all__ = ["FIELDS", "MODEL_FILE", "N_TEMPLATES", "PAD", "DeidModel", "ModelUnavailable", "decode", "encode",
           "feature_keys", "hashed", "load_model", "model_path", "model_view"]
