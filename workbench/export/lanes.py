"""Several export formats written on two cores at once.

The writers are pure Python and hold the GIL, so threads would not help: a large export of several
formats forks once after the context is prepared, and the child process writes a share of the formats
(pure-Python writers only: the table writers run pyarrow's thread pools, which a fork does not carry
over) while this process writes the rest. The child sees the prepared context as it stood at the fork
(copy-on-write: nothing is serialised), writes its files, and sends its reports back through a pipe.
Each format's files and report are the ones the sequential path writes (``tests/test_export_lanes.py``).

Anything that goes wrong in the child (an exception, a crash, a hang, a fork the system refuses) costs
time, never a result: the formats it did not report are written here, one after another, as without a
second lane (an error a writer raises then reaches the caller as it would have). A child still busy long
after this process's share is done (:data:`CHILD_GRACE_FACTOR`) is taken to be stuck (a lock another
thread held at the fork) and stopped.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from workbench.export.context import ExportContext

logger = logging.getLogger(__name__)

_R = TypeVar("_R")

# Writers that run in a forked child: pure Python (orjson for JSON), no threads of their own.
FORK_SAFE = frozenset({"bianque_csv", "bianque_jsonl", "sft", "dpo", "kto"})
# Each format's share of a large export's time (CPU seconds at 100k rows, bench/export_scale.py, 2026-12):
# only to split the formats into two lanes of about equal work. Unknown formats count as 1.
COST = {"dpo": 1.5, "tables_csv": 1.1, "kto": 1.0, "bianque_csv": 0.8, "sft": 0.25, "tables_parquet": 0.25,
        "bianque_jsonl": 0.1}
# The context's cached parts each writer reads: the child's are built before the fork (see _build_for_child).
NEEDS = {"dpo": ("groups",), "kto": ("groups",), "sft": ("selected", "selected_rows"),
         "bianque_csv": ("selected", "selected_rows"), "bianque_jsonl": ("selected", "selected_rows")}
# How long the child may take after this lane is done: this many times this lane's time, and at least
# this many seconds (a stuck child is then stopped and its formats are written here).
CHILD_GRACE_FACTOR = 10
CHILD_GRACE_S = 120.0
# Below this many candidates a fork (tens of milliseconds, plus copied pages) costs more than it saves.
MIN_CANDIDATES = 20_000


def split(formats: Sequence[str]) -> tuple[list[str], list[str]]:
    """(this process's formats, the child's), each in the order given, about equal in :data:`COST`: the
    largest first, each to the lane with less work so far, the child taking only :data:`FORK_SAFE` ones.
    Either list may be empty."""
    here: list[str] = []
    child: list[str] = []
    here_cost = child_cost = 0.0
    for f in sorted(formats, key=lambda f: -COST.get(f, 1.0)):
        if f in FORK_SAFE and child_cost <= here_cost:
            child.append(f)
            child_cost += COST.get(f, 1.0)
        else:
            here.append(f)
            here_cost += COST.get(f, 1.0)
    return [f for f in formats if f in here], [f for f in formats if f in child]


def can_fork() -> bool:
    return hasattr(os, "fork") and hasattr(os, "waitpid")


def plan(ctx: ExportContext, formats: Sequence[str], parallel: bool | None = None) -> tuple[list[str], list[str]]:
    """(this process's formats, the forked child's) as :func:`write_in_lanes` will write them: the child's
    list is empty where one lane runs (``parallel=None``: several formats, at least :data:`MIN_CANDIDATES`
    candidates and a system that can fork; True or False forces the choice, True still needing a fork)."""
    here, child = split(formats)
    if parallel is None:
        parallel = len(ctx.candidates) >= MIN_CANDIDATES
    if not (parallel and child and here and can_fork()):
        return list(formats), []
    return here, child


def write_in_lanes(ctx: ExportContext, formats: Sequence[str], write: Callable[[str], _R],
                   *, parallel: bool | None = None) -> dict[str, _R]:
    """``{format: write(format)}`` for ``formats`` in their order, written in two lanes where it pays
    (:func:`plan`). ``write``'s result must pickle."""
    here, child = plan(ctx, formats, parallel)
    if not child:
        return {f: write(f) for f in formats}
    _build_for_child(ctx, child)
    results = _forked(child, write, here)
    return {f: results[f] for f in formats}


def _build_for_child(ctx: ExportContext, child: Sequence[str]) -> None:
    """Build the cached parts of the context the child's formats read before the fork: this lane may need
    them too (built once, not once per lane), and on Python 3.11 each ``cached_property`` takes a lock
    that another thread of a server (another export) may hold at the fork, which the child would wait on
    for ever."""
    for part in dict.fromkeys(part for f in child for part in NEEDS.get(f, ())):
        getattr(ctx, part)


def _forked(child: Sequence[str], write: Callable[[str], _R], here: Sequence[str]) -> dict[str, _R]:
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:  # out of memory or processes: one lane
        os.close(read_end)
        os.close(write_end)
        logger.info("export in one process: fork refused (%s)", exc)
        return {f: write(f) for f in [*here, *child]}
    if pid == 0:  # pragma: no cover - the child; coverage does not follow it
        _run_child(read_end, write_end, child, write)
    os.close(write_end)
    logger.info("export: %s in a second process (pid %d), %s here", ", ".join(child), pid, ", ".join(here))
    results: dict[str, _R] = {}
    status: int | None = None
    payload: bytes | None = b""
    try:
        started = time.monotonic()
        for f in here:
            results[f] = write(f)
        # The child has about as much to do: one that takes far longer is stuck, not slow (see _read).
        payload = _read(read_end, max(CHILD_GRACE_S, CHILD_GRACE_FACTOR * (time.monotonic() - started)))
        if payload is not None:
            _, status = os.waitpid(pid, 0)
    finally:
        os.close(read_end)
        if status is None:  # this lane raised, or the child is stuck: stop it before going on
            _stop(pid)
    child_results = _reports(payload) if status == 0 and payload else None
    missing = [f for f in child if child_results is None or f not in child_results]
    if missing:
        logger.warning("export: the second process did not finish (status %s); writing %s here",
                       "stuck" if payload is None else status, ", ".join(missing))
    for f in child:
        results[f] = child_results[f] if child_results is not None and f in child_results else write(f)
    return results


def _read(fd: int, timeout_s: float) -> bytes | None:
    """Everything written to the pipe until the child closes it (b"" when it died first), or None when
    ``timeout_s`` passed first."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    poller = select.poll()  # not select.select: a busy server's descriptors may be numbered past 1024
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _run_child(read_end: int, write_end: int, child: Sequence[str], write: Callable[[str], object]) -> None:
    """Write the child's formats, send their results, and leave at once: ``os._exit`` skips the parent's
    exit handlers, buffered output and finalisers, which are the parent's to run."""
    code = 1
    try:
        os.close(read_end)
        payload = pickle.dumps({f: write(f) for f in child}, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        code = 0
    finally:
        os._exit(code)


def _reports(payload: bytes) -> dict | None:
    try:
        got = pickle.loads(payload)  # noqa: S301 - written by this program's own forked child, just above
    except Exception:  # noqa: BLE001 - a child that died mid-write leaves a cut payload
        return None
    return got if isinstance(got, dict) else None


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
