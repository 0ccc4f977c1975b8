"""Training of the learned turn-type model (sklearn) and its deterministic npz file.

Only this module imports sklearn; :mod:`workbench.annotate.turn_type_model` reads what it writes. Every
labelled file trains it: ``tests/data/classifier_*.jsonl`` and ``annotations/labelled_replies.jsonl``. The
file records a hash of them, so a set added without retraining is noticed (tests/test_turn_type_model.py).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench import model_files
from workbench.annotate.turn_type_model import MODEL_PATH, TurnTypeModel, load_model
from workbench.config import REPO_ROOT
from workbench.model_files import write_npz

TRAIN_COMMAND = "python -m workbench train-classifier"
NGRAM_RANGE = (1, 4)
MIN_DF = 2
C = 5.0
MAX_ITER = 3000


def training_files(root: Path = REPO_ROOT) -> list[Path]:
    """Every labelled reply file, in a fixed order."""
    return sorted((root / "tests" / "data").glob("classifier_*.jsonl")) + [
        root / "annotations" / "labelled_replies.jsonl"]


def data_hash(files: Sequence[Path], root: Path = REPO_ROOT) -> str:
    """:func:`workbench.model_files.data_hash` of these files under the repository."""
    return model_files.data_hash(files, root)


def read_labelled(files: Sequence[Path]) -> list[tuple[str, str]]:
    """(text, turn_type) of every labelled line; empty replies are left out (the rules call them other)."""
    rows = []
    for f in files:
        with f.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                d = json.loads(line)
                text, label = d.get("text"), d.get("turn_type")
                if isinstance(text, str) and text.strip() and label:
                    rows.append((text, label))
    return rows


def fit(texts: Sequence[str], labels: Sequence[str], *, min_df: int = MIN_DF, c: float = C,
        data_hash: str = "", dtype: type = np.float32) -> dict[str, np.ndarray]:
    """Fit TF-IDF + logistic regression and return the arrays :func:`load_model` reads."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, min_df=min_df, sublinear_tf=True)
    clf = LogisticRegression(C=c, max_iter=MAX_ITER).fit(vec.fit_transform(texts), list(labels))
    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
    params = {"analyzer": "char_wb", "ngram_range": list(NGRAM_RANGE), "min_df": min_df, "sublinear_tf": True,
              "C": c, "max_iter": MAX_ITER, "n_train": len(texts)}
    return {"vocabulary": np.array(vocab, dtype=str), "idf": vec.idf_.astype(dtype),
            "coef": clf.coef_.astype(dtype), "intercept": clf.intercept_.astype(dtype),
            "classes": np.array([str(c) for c in clf.classes_]), "ngram_range": np.array(NGRAM_RANGE),
            "data_hash": np.array(data_hash), "params": np.array(json.dumps(params, sort_keys=True))}


def fit_model(rows: Sequence[tuple[str, str]], **kw: Any) -> TurnTypeModel:
    """Fit in memory and return the numpy model (the held-out bench and tests use this)."""
    buf = io.BytesIO()
    write_npz(buf, fit([t for t, _ in rows], [y for _, y in rows], **kw))
    buf.seek(0)
    return load_model(buf)


def train(root: Path = REPO_ROOT, out: Path = MODEL_PATH) -> dict[str, object]:
    """Fit on every labelled file under ``root`` and write ``out``; returns a summary for the CLI."""
    files = training_files(root)
    rows = read_labelled(files)
    write_npz(out, fit([t for t, _ in rows], [y for _, y in rows], data_hash=data_hash(files, root)))
    return {"out": str(out), "files": len(files), "replies": len(rows), "bytes": out.stat().st_size}


__all__ = ["TRAIN_COMMAND", "data_hash", "fit", "fit_model", "read_labelled", "train", "training_files",
           "write_npz"]
