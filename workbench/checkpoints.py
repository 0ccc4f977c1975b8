"""Checkpoint folders: which files hold the weights, and the one fingerprint that identifies them.

The fingerprint is the model revision stored with every generation, for every backend.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from workbench.errors import ModelLoadError

SAFETENSORS_INDEX = "model.safetensors.index.json"
SAFETENSORS_FILE = "model.safetensors"
BIN_INDEX = "pytorch_model.bin.index.json"
BIN_FILE = "pytorch_model.bin"

_SAMPLE = 64 * 1024
_SMALL_JSON = 1_000_000


def find_weight_files(folder: str | Path) -> list[Path]:
    """The checkpoint files of ``folder``, preferring safetensors, then ``.bin``; shards via their index."""
    root = Path(folder)
    for index_name, single in ((SAFETENSORS_INDEX, SAFETENSORS_FILE), (BIN_INDEX, BIN_FILE)):
        index = root / index_name
        if index.is_file():
            try:
                weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            except (KeyError, json.JSONDecodeError) as exc:
                raise ModelLoadError(f"{index} is not a valid checkpoint index: {exc}") from exc
            files = sorted({root / name for name in weight_map.values()})
            missing = [f.name for f in files if not f.is_file()]
            if missing:
                raise ModelLoadError(f"{index} names missing shard files: {missing}")
            return files
        if (root / single).is_file():
            return [root / single]
    raise ModelLoadError(f"no weights in {root}: expected {SAFETENSORS_FILE}, {BIN_FILE} or a sharded index")


def weights_fingerprint(folder: str | Path) -> str:
    """A cheap content fingerprint of a checkpoint folder, for use as the model revision.

    Hashes the small JSON files (config, tokenizer settings) whole, the names and sizes of tokenizer
    models, and for each weight file its name, size and 64 KiB samples from the start, middle and end
    (safetensors headers and .bin zip directories included), never the whole 12 GB. Copies of a folder
    get the same fingerprint; a retrained checkpoint or a changed tokenizer gets another one.
    """
    root = Path(folder)
    weights = find_weight_files(root)
    digest = hashlib.sha256()
    for path in sorted(root.iterdir()):
        if not path.is_file():
            continue
        if path.suffix == ".json" and path.stat().st_size < _SMALL_JSON:
            digest.update(f"{path.name}\0".encode() + path.read_bytes())
        elif path.suffix == ".model":
            digest.update(f"{path.name}\0{path.stat().st_size}\0".encode())
    for path in weights:
        size = path.stat().st_size
        digest.update(f"{path.name}\0{size}\0".encode())
        with open(path, "rb") as fh:
            for pos in sorted({0, max(size // 2 - _SAMPLE // 2, 0), max(size - _SAMPLE, 0)}):
                fh.seek(pos)
                digest.update(fh.read(_SAMPLE))
    return "sha256:" + digest.hexdigest()[:16]


def model_revision(path: str, revision: str | None = None) -> str:
    """What a generation records as its model revision: the fingerprint of a local folder, else the hub
    revision asked for (``main`` by default)."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        return revision or "main"
    return weights_fingerprint(folder)
