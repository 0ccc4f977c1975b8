"""Training of the learned de-identification tagger (sklearn) and its deterministic npz file.

Only this module imports sklearn; :mod:`workbench.privacy_tagger` reads what it writes. Every labelled set
trains it: ``annotations/deid_*.jsonl`` (built from ``annotations/deid/*.txt`` by its ``build.py``). The file
records a hash of them: :func:`ensure_built` fits it at first use and again when a set is added or edited.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench import model_files
from workbench.config import REPO_ROOT
from workbench.model_files import write_npz
from workbench.privacy_tagger import (
    N_TEMPLATES,
    DeidModel,
    ModelUnavailable,
    encode,
    feature_keys,
    hashed,
    load_model,
    model_path,
    model_view,
)

log = logging.getLogger(__name__)

#: What the tagger tells apart: none, and the labels whose spans differ in shape. The other labels (numbers,
#: addresses by their digits, e-mail, plate, IP) are learned as ``other``: where the rules missed one, [编号]
#: hides it as well as its own token would, and five fewer classes make the file and the fit a third.
CLASSES: tuple[str, ...] = ("O", "name", "address", "date_of_birth", "account", "other")
MIN_DF = 3
C = 1.0
MAX_ITER = 100
#: The share of probability (1 - P(O)) at which a character is taken: of 0.5-0.9, the blend's best F1 held out
#: (bench/deid_heldout.py, 2026-12-07: 0.927 against the rules' 0.904 at first contact), though its precision
#: is then 0.944 on average and 0.90-0.96 per group, so :func:`workbench.privacy.detect` does not use it.
THRESHOLD = 0.9

#: A labelled line: its text and its (start, end, label) spans.
Row = tuple[str, list[tuple[int, int, str]]]


def training_files(root: Path = REPO_ROOT) -> list[Path]:
    """Every labelled de-identification set, in a fixed order."""
    return sorted((root / "annotations").glob("deid_*.jsonl"))


def data_hash(files: Sequence[Path], root: Path = REPO_ROOT) -> str:
    """:func:`workbench.model_files.data_hash` of these files under the repository."""
    return model_files.data_hash(files, root)


def read_labelled(files: Sequence[Path]) -> list[Row]:
    """(text, spans) of every labelled line."""
    rows: list[Row] = []
    for f in files:
        with f.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    d = json.loads(line)
                    rows.append((d["text"], [(s["start"], s["end"], s["label"]) for s in d.get("spans", [])]))
    return rows


def char_matrix(rows: Sequence[Row]) -> tuple[np.ndarray, np.ndarray]:
    """Feature keys (characters, templates) and class index (``CLASSES``) of every character of ``rows``."""
    keys, ys = [], []
    for text, spans in rows:
        if not text:
            continue
        keys.append(feature_keys(*encode(model_view(text))))
        y = np.zeros(len(text), dtype=np.int64)
        for s, e, label in spans:
            y[s:e] = CLASSES.index(label if label in CLASSES else "other")
        ys.append(y)
    return np.vstack(keys), np.concatenate(ys)


def vocabulary(keys: np.ndarray, min_df: int = MIN_DF) -> np.ndarray:
    """The sorted :func:`workbench.privacy_tagger.hashed` keys of the features seen at least ``min_df`` times."""
    h = hashed(keys)
    u, n = np.unique(h, return_counts=True)
    distinct = sum(len(np.unique(keys[:, t])) for t in range(keys.shape[1]))
    if distinct != len(u):  # two features met in the 64-bit key space: change _MIX
        raise RuntimeError(f"{distinct - len(u)} feature keys collide")
    return u[n >= min_df]


def design_matrix(keys: np.ndarray, vocab: np.ndarray) -> Any:
    """The binary (characters, features) CSR matrix sklearn fits: one column per vocabulary key, as
    :meth:`workbench.privacy_tagger.DeidModel.columns` looks them up."""
    from scipy.sparse import csr_matrix

    cols = DeidModel(vocab, np.zeros((1, 1)), np.zeros(1), ("O",), 0.5, "", "").columns(keys)
    hit = cols < len(vocab)
    return csr_matrix((np.ones(int(hit.sum())), (np.nonzero(hit)[0], cols[hit])), shape=(len(keys), len(vocab)))


def fit(rows: Sequence[Row], *, min_df: int = MIN_DF, c: float = C, threshold: float = THRESHOLD,
        data_hash: str = "", dtype: type = np.float32) -> dict[str, np.ndarray]:
    """Fit the tagger and return the arrays :func:`workbench.privacy_tagger.load_model` reads."""
    from sklearn.linear_model import LogisticRegression

    keys, y = char_matrix(rows)
    vocab = vocabulary(keys, min_df)
    x = design_matrix(keys, vocab)
    present = sorted(set(y.tolist()))  # sklearn's coefficient rows: the classes seen, in order
    opts: dict[str, Any] = {"C": c, "max_iter": MAX_ITER}
    clf = LogisticRegression(**opts).fit(x, y)
    coef = np.zeros((len(CLASSES), len(vocab)))
    intercept = np.full(len(CLASSES), -1e4)  # a class no line has is never predicted
    if len(present) == 2:  # sklearn keeps one row: P(second) = sigmoid(row), i.e. softmax with a zero first row
        coef[present[1]], intercept[present[1]] = clf.coef_[0], clf.intercept_[0]
        intercept[present[0]] = 0.0
    else:
        coef[present], intercept[present] = clf.coef_, clf.intercept_
    params = {"templates": N_TEMPLATES, "min_df": min_df, "C": c, "max_iter": MAX_ITER, "n_chars": len(y),
              "n_lines": len(rows), "n_features": len(vocab)}
    return {"keys": vocab, "coef": coef.astype(dtype),
            "intercept": intercept.astype(dtype), "classes": np.array(CLASSES), "threshold": np.array(threshold),
            "data_hash": np.array(data_hash), "params": np.array(json.dumps(params, sort_keys=True))}


def fit_model(rows: Sequence[Row], **kw: Any) -> DeidModel:
    """Fit in memory and return the numpy model (the held-out bench and tests use this)."""
    buf = io.BytesIO()
    write_npz(buf, fit(rows, **kw))
    buf.seek(0)
    return load_model(buf)


def train(root: Path = REPO_ROOT, out: Path | None = None) -> dict[str, object]:
    """Fit on every labelled set under ``root`` and write ``out`` (this machine's tagger by default) atomically;
    returns a summary for the CLI."""
    import warnings

    out = out or model_path()
    files = training_files(root)
    if not files:
        raise ModelUnavailable(f"no labelled de-identification sets (annotations/deid_*.jsonl) under {root}")
    rows = read_labelled(files)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name, suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*converge")  # lbfgs stops at MAX_ITER on purpose
            write_npz(f, fit(rows, data_hash=data_hash(files, root)))
        os.replace(tmp, out)  # a reader never sees half a file
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return {"out": str(out), "files": len(files), "lines": len(rows), "bytes": out.stat().st_size}


def current_model(out: Path, root: Path = REPO_ROOT) -> DeidModel | None:
    """The tagger at ``out`` when it can be read and was fitted on the labelled sets under ``root`` as they are
    now; else None."""
    try:
        model = load_model(out)
    except ModelUnavailable:
        return None
    return model if model.data_hash == data_hash(training_files(root), root) else None


def ensure_built(out: Path, root: Path = REPO_ROOT) -> DeidModel:
    """The tagger at ``out``, fitted first when it is absent, unreadable or trained on other labelled sets than
    those under ``root`` now. Two processes starting at once fit it once (a lock file beside it). Raises
    :class:`ModelUnavailable` when it cannot be fitted (no sets, no sklearn, a cache that cannot be written)."""
    if (model := current_model(out, root)) is not None:
        return model
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with _locked(out.with_name(out.name + ".lock")):
            if (model := current_model(out, root)) is None:  # (another process may have built it meanwhile)
                log.warning("building de-identification's tagger from the labelled sets into %s "
                            "(about 30 s on two free cores, minutes on a busy machine; once per machine and after a set changes)", out)
                started = time.monotonic()
                summary = train(root, out)
                log.warning("built the tagger from %s lines in %.0f s", summary["lines"], time.monotonic() - started)
                model = load_model(out)
    except ImportError as e:
        raise ModelUnavailable(f"building the de-identification tagger needs scikit-learn ({e})") from None
    except OSError as e:
        raise ModelUnavailable(f"{out}: cannot build the de-identification tagger: {e}") from None
    return model


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # (Windows: no lock; two fits then write the same file twice, atomically)
        yield
        return
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


__all__ = ["CLASSES", "THRESHOLD", "char_matrix", "data_hash", "current_model", "design_matrix", "ensure_built", "fit", "fit_model",
           "read_labelled",
           "train", "training_files", "vocabulary", "write_npz"]
