"""Checkpoint folders: which files hold the weights, and the one fingerprint that identifies them.

The fingerprint is the model revision stored with every generation, for every backend.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zipfile
from pathlib import Path
from typing import Any

from workbench.errors import ModelLoadError

SAFETENSORS_INDEX = "model.safetensors.index.json"
SAFETENSORS_FILE = "model.safetensors"
BIN_INDEX = "pytorch_model.bin.index.json"
BIN_FILE = "pytorch_model.bin"

_SAMPLE = 64 * 1024
_SMALL_JSON = 1_000_000
_MAX_SAFETENSORS_HEADER = 100_000_000
#: the fix for a weight file that is cut short or damaged (an interrupted download or copy is the usual cause)
AGAIN = "copy or download it again"


def find_weight_files(folder: str | Path) -> list[Path]:
    """The checkpoint files of ``folder``, preferring safetensors, then ``.bin``; shards via their index.

    In transformers' order (the single file before the index of each format), so that a folder holding both,
    such as one re-saved over old shards, is fingerprinted by the weights transformers loads from it, and
    the native ChatGLM loads those same weights.
    """
    root = Path(folder)
    for index_name, single in ((SAFETENSORS_INDEX, SAFETENSORS_FILE), (BIN_INDEX, BIN_FILE)):
        if (root / single).is_file():
            return [root / single]
        index = root / index_name
        if index.is_file():
            try:
                weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            except OSError as exc:
                raise unreadable_error(index, exc) from exc
            except (KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ModelLoadError(f"{index} is not a valid checkpoint index: {exc}") from exc
            files = sorted({root / name for name in weight_map.values()})
            missing = [f.name for f in files if not f.is_file()]
            if missing:
                raise ModelLoadError(f"{index} names missing shard files: {missing}")
            return files
    raise ModelLoadError(f"no weights in {root}: expected {SAFETENSORS_FILE}, {BIN_FILE} or a sharded index")


def unreadable_error(path: Path, exc: OSError) -> ModelLoadError:
    """The error for a checkpoint file or folder the OS will not let us read, naming it (and the fix)."""
    if isinstance(exc, PermissionError):
        return ModelLoadError(f"cannot read {path}: permission denied (make it readable by the user who runs the workbench)")
    return ModelLoadError(f"cannot read {path}: {exc.strerror or exc}")


def is_unsafe_pickle(error: BaseException) -> bool:
    """Whether ``torch.load(weights_only=True)`` refused a ``.bin`` for holding objects other than tensors."""
    return "Weights only load failed" in str(error)


def unsafe_pickle_error(path: Path) -> ModelLoadError:
    """torch's own advice for such a file is to load it with weights_only=False, which would run its code."""
    return ModelLoadError(
        f"{path} holds Python objects besides tensors, which the workbench does not unpickle (they could run "
        "code): use the checkpoint's safetensors files, or convert it with a tool you trust")


def require_readable(path: Path) -> None:
    """Refuse a folder that cannot be listed or a file that cannot be opened, by name: loaders word it as a
    missing file ("No such file or directory") or fall back to other formats and fail on those."""
    try:
        if path.is_dir():
            next(path.iterdir(), None)
        else:
            with open(path, "rb"):
                pass
    except OSError as exc:
        raise unreadable_error(path, exc) from exc


def read_safetensors_header(path: Path) -> tuple[dict[str, Any], int]:
    """(header dict, offset of the data section) of a safetensors file, checked against the file's size.

    A file that is unreadable, not safetensors, or shorter than its header says (a download cut short) is
    refused here, with the file named, before any tensor is read: loaders report such damage as a bare
    "incomplete metadata" or a JSON error about the folder, or only after reading gigabytes.
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            raw = fh.read(8)
            if len(raw) != 8:
                raise ModelLoadError(f"{path} is not a safetensors file ({size} bytes): {AGAIN}")
            (length,) = struct.unpack("<Q", raw)
            if length > _MAX_SAFETENSORS_HEADER:
                raise ModelLoadError(f"{path} is not a safetensors file (its header is implausible): {AGAIN}")
            if 8 + length > size:
                raise ModelLoadError(
                    f"{path} is truncated: it holds {size} bytes, its header describes {8 + length}: {AGAIN}")
            header = json.loads(fh.read(length))
    except OSError as exc:
        raise unreadable_error(path, exc) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{path} has a corrupt safetensors header: {AGAIN}") from exc
    try:
        end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{path} has a corrupt safetensors header: {AGAIN}") from exc
    if 8 + length + end > size:
        raise ModelLoadError(f"{path} is truncated: it holds {size} bytes, its header describes {8 + length + end}: {AGAIN}")
    return header, 8 + length


def _check_bin(path: Path) -> None:
    """A ``.bin`` that cannot be read, or a zip archive (torch.save's format) cut short."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
        # The legacy (pre-zip) format is a bare pickle and has no end marker to check.
        if magic == b"PK\x03\x04" and not zipfile.is_zipfile(path):
            raise ModelLoadError(f"{path} is truncated or corrupt (its zip archive has no end): {AGAIN}")
        if not magic:
            raise ModelLoadError(f"{path} is empty: {AGAIN}")
    except OSError as exc:
        raise unreadable_error(path, exc) from exc


def check_weight_files(folder: str | Path) -> list[Path]:
    """The weight files of ``folder`` (:func:`find_weight_files`), each checked to be readable and whole.

    Cheap (headers and archive directories only), so a damaged or unreadable shard of a 12 GB checkpoint is
    named in a moment, with the fix, instead of failing the load with the folder named or minutes into it.
    """
    files = find_weight_files(folder)
    for path in files:
        if path.suffix == ".safetensors":
            read_safetensors_header(path)
        else:
            _check_bin(path)
    return files


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
