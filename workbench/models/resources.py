"""Loaded model resources, shared: each model is loaded once, whatever uses it.

A :class:`LazyResource` loads on first use, under a lock, and remembers a load
failure so that one broken model fails only the columns that use it. The failure is
remembered for a while, not for good: a path fixed, a download finished or GPU memory
freed takes effect on a later message, without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import torch

from workbench.checkpoints import (
    check_weight_files,
    is_unsafe_pickle,
    model_revision,
    require_readable,
    unsafe_pickle_error,
)
from workbench.config import ModelSource
from workbench.devices import is_out_of_memory, resolve_device, resolve_dtype
from workbench.errors import ModelLoadError
from workbench.plural import counted

log = logging.getLogger(__name__)
T = TypeVar("T")


#: seconds a failed load is answered from memory before the next use tries again: a model that fails late in
#: its load (out of memory after gigabytes read) is not reloaded on every message of a chat, and one that
#: can load now (the path fixed, memory freed) does so within this time, with no restart.
RETRY_FAILED_LOAD_AFTER_S = 30.0


class LazyResource(Generic[T]):
    def __init__(self, label: str, loader: Callable[[], T], *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self._loader = loader
        self._value: T | None = None
        self._error: ModelLoadError | None = None
        self._failed_at = 0.0
        self._clock = clock
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._value is not None:
            return self._value
        with self._lock:
            if self._value is None:
                if self._error is not None and self._clock() - self._failed_at < RETRY_FAILED_LOAD_AFTER_S:
                    raise self._error
                try:
                    self._value = self._loader()
                except ModelLoadError as e:
                    self._failed(e)
                    raise
                except Exception as e:  # any loader failure, OOM included, stays with this model a while
                    log.exception("loading %s failed", self.label)
                    error = ModelLoadError(f"{self.label}: {type(e).__name__}: {e}")
                    self._failed(error)
                    raise error from e
                self._error = None
        return self._value

    def _failed(self, error: ModelLoadError) -> None:
        # A copy without traceback or cause: those hold the failed loader's frames, and so whatever it had
        # loaded before failing (gigabytes of a model that ran out of memory) for as long as this is kept.
        self._error, self._failed_at = type(error)(*error.args), self._clock()

    @property
    def loaded(self) -> bool:
        return self._value is not None

    @property
    def error(self) -> ModelLoadError | None:
        return self._error


def is_local(path: str) -> bool:
    return Path(path).expanduser().exists() or path.startswith(("/", "./", "../", "~"))


def require_local_or_hub(path: str) -> None:
    """Fail early, with the path named, when ``path`` is neither an existing local path nor a hub id that can be
    reached: a missing relative path (``models/BianQue-2``) is otherwise taken for a hub id, and the user reads
    transformers' "Repo id must be in the form..." or the hub's offline advice."""
    p = Path(path).expanduser()
    if p.is_file():  # a weight or config file named instead of its folder: not something to look up on the hub
        raise ModelLoadError(f"{p} is a file, not a checkpoint folder: set the model path to the folder that holds it ({p.parent})")
    if p.exists():
        require_readable(p)
        return
    if path.startswith(("/", "./", "../", "~")):
        raise ModelLoadError(f"model path not found: {p}")
    from huggingface_hub.constants import HF_HUB_CACHE, is_offline_mode
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.file_download import repo_folder_name
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(path)
    except HFValidationError:
        raise ModelLoadError(f"not a local folder, and not a hub id (owner/name): {path}") from None
    if is_offline_mode() and not (Path(HF_HUB_CACHE) / repo_folder_name(repo_id=path, repo_type="model")).is_dir():
        raise ModelLoadError(
            f"not a local folder, and not found on the hub (offline: only its local cache was searched): {path}")


def hub_file(source: ModelSource, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` that the hub repository ``source.path`` holds, downloaded (offline: from the local
    cache); None when it holds none of them, or cannot be reached."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, HFValidationError, RepositoryNotFoundError

    for name in names:
        try:
            return str(hf_hub_download(source.path, name, revision=source.revision))
        except (EntryNotFoundError, RepositoryNotFoundError, HFValidationError):
            continue
    return None


def hub_where() -> str:
    """Where a hub look-up searched, for an error message."""
    from huggingface_hub.constants import is_offline_mode

    return "the hub (offline: its local cache only)" if is_offline_mode() else "the hub"


@dataclass
class LoadedModel:
    """A transformers model with its tokenizer, where it runs, and its identity for the store."""

    tokenizer: Any
    model: Any
    device: torch.device
    revision: str


def load_error(source: Any, what: str, error: Exception) -> ModelLoadError:
    """The error of a failed load; a checkpoint that needs its own code says how to allow it, not transformers'
    advice (which names an argument the user cannot pass and a hub URL built from a local path)."""
    if "trust_remote_code" in str(error) and not getattr(source, "trust_remote_code", False):
        return ModelLoadError(
            f"{source.path} needs its own model code, which the workbench runs only when the column's model "
            "block says trust_remote_code: true (read that code first: it runs with your data)")
    return ModelLoadError(f"cannot load the {what} from {source.path}: {error}")


def check_vocabulary(source: ModelSource, tokenizer: Any, vocab_size: int) -> None:
    """A tokenizer with more pieces than the model has embedding rows is another checkpoint's: a reply fails
    with an IndexError whenever a message holds one of the extra pieces, so refuse it at load."""
    if len(tokenizer) > vocab_size:
        raise ModelLoadError(
            f"{source.path}: the tokenizer has {len(tokenizer)} pieces but the model's vocab_size is {vocab_size}: "
            "they do not belong together")


def check_loading_info(path: str, info: dict[str, Any]) -> None:
    """Refuse a model that transformers built with tensors the checkpoint lacks: they stay random, and the model
    would "reply" with noise. Tensors transformers fills legitimately (tied embeddings and lm_head, buffers it
    computes) are not in ``missing_keys``."""
    missing = sorted(info.get("missing_keys") or ())
    if not missing:
        return
    unused = sorted(info.get("unexpected_keys") or ())
    if unused:  # most often the same tensors under other names
        raise ModelLoadError(
            f"{path}: checkpoint is missing {counted(len(missing), 'tensor')}, e.g. {missing[:3]} "
            f"(and holds {len(unused)} it does not use, e.g. {unused[:3]})")
    raise ModelLoadError(f"{path}: checkpoint is missing {counted(len(missing), 'tensor')}, e.g. {missing[:5]}")


def load_hf_model(model_cls: Any, source: ModelSource, tokenizer: Any, *, cuda_auto: torch.dtype,
                  what: str) -> LoadedModel:
    """``model_cls.from_pretrained`` on the configured device and dtype, with failures named clearly."""
    require_local_or_hub(source.path)
    folder = Path(source.path).expanduser()
    if folder.is_dir():
        # transformers names a damaged shard's error ("incomplete metadata"), not the shard, and an unreadable
        # file "No such file or directory": check every weight file first, by name
        check_weight_files(folder)
    device = resolve_device(source.device)
    dtype = resolve_dtype(source.dtype, device, auto=cuda_auto if device.type == "cuda" else None)
    try:
        model, info = model_cls.from_pretrained(
            source.path, revision=source.revision, dtype=dtype, trust_remote_code=source.trust_remote_code,
            output_loading_info=True,
        )
    except Exception as e:
        if is_out_of_memory(e):
            raise ModelLoadError(f"out of memory loading {source.path} on {device}") from e
        if is_unsafe_pickle(e) and folder.is_dir():  # which shard transformers was reading, it does not say
            bins = [p for p in check_weight_files(folder) if p.suffix == ".bin"]
            raise unsafe_pickle_error(bins[0] if len(bins) == 1 else folder) from e
        raise load_error(source, what, e) from e
    check_loading_info(source.path, info)
    model.to(device).eval()
    return LoadedModel(tokenizer, model, device, model_revision(source.path, source.revision))
