"""The demo-model cache: a stamp per folder keyed by corpus and recipe, built under a lock, swapped in whole."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from workbench.demo.corpus import parse_corpus, split_corpus
from workbench.demo.glm import build_v2
from workbench.demo.recipe import (
    CORPUS_PATH,
    DEMO_CACHE_DEFAULT,
    DEMO_RECIPE_VERSION,
    STAMP_NAME,
    THREADS_ENV,
    DemoBuildError,
    DemoModels,
    DemoRecipe,
    Progress,
)
from workbench.demo.t5 import build_v1
from workbench.errors import ConfigError, DatasetError


def recipe_hash(corpus_bytes: bytes, recipe: DemoRecipe) -> str:
    """The cache key: corpus bytes, recipe version and every hyperparameter."""
    h = hashlib.sha256()
    h.update(corpus_bytes)
    h.update(json.dumps({"version": DEMO_RECIPE_VERSION, "recipe": asdict(recipe)}, sort_keys=True).encode())
    return h.hexdigest()


def read_stamp(folder: Path) -> dict[str, Any] | None:
    """The stamp of a built folder, or None when missing/unreadable."""
    try:
        return json.loads((folder / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_fresh(folder: Path, key: str) -> bool:
    """Whether ``folder`` holds a complete build for ``key``."""
    stamp = read_stamp(folder)
    return stamp is not None and stamp.get("hash") == key


@contextlib.contextmanager
def _build_lock(cache_dir: Path) -> Iterator[None]:
    # Two processes starting the demo at once would otherwise both train; the second waits and reuses.
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".lock", "w") as fh:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory lock; the rename still keeps each folder whole
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _replace_dir(src: Path, dst: Path) -> None:
    """Move a finished build into place; the old folder is renamed away first, then deleted."""
    trash = None
    if dst.exists():
        trash = dst.with_name(f".old-{dst.name}-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(dst, trash)
    os.replace(src, dst)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def _build_threads() -> int:
    raw = os.environ.get(THREADS_ENV, "2")
    try:
        return max(1, int(raw))
    except ValueError as e:
        raise ConfigError(f"{THREADS_ENV} must be a positive integer, got {raw!r}") from e


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def ensure_demo_models(
    cache_dir: Path | str = DEMO_CACHE_DEFAULT,
    *,
    force: bool = False,
    progress: Progress | None = None,
    recipe: DemoRecipe | None = None,
    corpus_path: Path = CORPUS_PATH,
) -> DemoModels:
    """Return the demo checkpoints, building them first when missing, stale or ``force`` is set."""
    say = progress or (lambda _msg: None)
    recipe = recipe or DemoRecipe()
    cache_dir = Path(cache_dir).expanduser().resolve()
    v1_dir, v2_dir = cache_dir / "v1", cache_dir / "v2"
    try:
        corpus_bytes = corpus_path.read_bytes()
    except OSError as e:
        raise DatasetError(f"cannot read the demo corpus {corpus_path}: {e}") from e
    key = recipe_hash(corpus_bytes, recipe)
    if not force and is_fresh(v1_dir, key) and is_fresh(v2_dir, key):
        say(f"demo models already built in {cache_dir} (--force builds them again)")
        return DemoModels(v1_dir, v2_dir)

    # Building takes minutes on a small CPU (5 to 14 on 2 shared cores): say so before any wait, so that a first
    # start (or a command waiting on another process's build) is not a silent "loading models…" (walk s66).
    say(f"building the demo models in {cache_dir} (first use: several minutes on a small CPU; another process "
        "building them is waited for)")
    with _build_lock(cache_dir):
        # Another process may have finished the build while we waited for the lock.
        if not force and is_fresh(v1_dir, key) and is_fresh(v2_dir, key):
            return DemoModels(v1_dir, v2_dir)
        # Holding the lock, no other build is running: anything temporary here was left by a killed one.
        for leftover in (*cache_dir.glob(".build-*"), *cache_dir.glob(".old-*")):
            shutil.rmtree(leftover, ignore_errors=True)
        start = time.perf_counter()
        dialogues = parse_corpus(corpus_bytes.decode("utf-8"), str(corpus_path))
        train, _held = split_corpus(dialogues)
        try:
            with (
                tempfile.TemporaryDirectory(prefix=".build-", dir=cache_dir) as tmp,
                _torch_threads(_build_threads()),
            ):
                tmp_path = Path(tmp)
                builders: list[tuple[str, Path, Callable[[Path], dict[str, Any]]]] = [
                    (
                        "v1",
                        v1_dir,
                        lambda out: build_v1(train, out, recipe.t5, recipe.greeting_variants, say),
                    ),
                    (
                        "v2",
                        v2_dir,
                        lambda out: build_v2(
                            train, out, recipe.glm, recipe.greeting_variants, say, recipe.v2_earlier_positions
                        ),
                    ),
                ]
                for name, folder, builder in builders:
                    if not force and is_fresh(folder, key):
                        continue
                    out = tmp_path / name
                    t0 = time.perf_counter()
                    metrics = builder(out)
                    stamp = {
                        "hash": key,
                        "recipe_version": DEMO_RECIPE_VERSION,
                        "recipe": asdict(recipe),
                        "train_dialogues": len(train),
                        "seconds": round(time.perf_counter() - t0, 2),
                        **metrics,
                    }
                    # The stamp is written last: a folder without it is never taken as built.
                    (out / STAMP_NAME).write_text(
                        json.dumps(stamp, indent=2, ensure_ascii=False), encoding="utf-8"
                    )
                    _replace_dir(out, folder)
                    say(f"demo {name}: built in {stamp['seconds']:.1f}s -> {folder}")
        except OSError as e:
            raise DemoBuildError(f"cannot write the demo models under {cache_dir}: {e}") from e
        return DemoModels(v1_dir, v2_dir, built=True, seconds=time.perf_counter() - start)
