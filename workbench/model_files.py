"""What the learned models' training writes: a deterministic npz file and the hash of the data it was fit on.

Shared by the turn-type model (:mod:`workbench.annotate.turn_type_training`) and de-identification's tagger
(:mod:`workbench.privacy_training`): each commits its npz, and a test compares the hash it holds with the
labelled files, so a set added without retraining is noticed.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def data_hash(files: Sequence[Path], root: Path) -> str:
    """SHA-256 over each file's path (relative to ``root``) and bytes: changes when a set is added or edited."""
    h = hashlib.sha256()
    for f in files:
        h.update(f.resolve().relative_to(root.resolve()).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()


def write_npz(target: Path | io.BytesIO, arrays: dict[str, np.ndarray]) -> None:
    """An npz numpy can read, byte for byte the same for the same arrays (np.savez stamps the time)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name in sorted(arrays):
            body = io.BytesIO()
            np.lib.format.write_array(body, np.asarray(arrays[name], order="C"), allow_pickle=False)
            z.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), body.getvalue(),
                       compress_type=zipfile.ZIP_DEFLATED)


__all__ = ["data_hash", "write_npz"]
