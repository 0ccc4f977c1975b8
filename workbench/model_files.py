"""What the learned models' training writes: a deterministic npz file, the hash of the data it was fit on, and
the cache directory that files built on this machine go to.

Shared by the turn-type model (:mod:`workbench.annotate.turn_type_training`, whose 1.5 MB npz is committed and
checked against its labelled files by a test) and de-identification's tagger (:mod:`workbench.privacy_training`,
whose 5.8 MB npz is built into :func:`cache_dir` at first use and rebuilt when its labelled files change).
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

CACHE_DIR_ENV = "WORKBENCH_CACHE_DIR"
_DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[1] / ".cache"


def cache_dir() -> Path:
    """The workbench cache directory (built models, native kernels, machine choices): ``$WORKBENCH_CACHE_DIR``
    or the repository's ``.cache``."""
    configured = os.environ.get(CACHE_DIR_ENV)
    return Path(configured) if configured else _DEFAULT_CACHE_DIR


def data_hash(files: Sequence[Path], root: Path) -> str:
    """SHA-256 over each file's path (relative to ``root``) and bytes: changes when a set is added or edited."""
    h = hashlib.sha256()
    for f in files:
        h.update(f.resolve().relative_to(root.resolve()).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()


def write_npz(target: Path | BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """An npz numpy can read, byte for byte the same for the same arrays (np.savez stamps the time)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name in sorted(arrays):
            body = io.BytesIO()
            np.lib.format.write_array(body, np.asarray(arrays[name], order="C"), allow_pickle=False)
            z.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), body.getvalue(),
                       compress_type=zipfile.ZIP_DEFLATED)


__all__ = ["CACHE_DIR_ENV", "cache_dir", "data_hash", "write_npz"]
