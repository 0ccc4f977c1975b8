"""Work shared with one forked child process: the child does its share of the keys while this process does
the rest, and sends its results back through a pipe.

A fork, not a pool: the child sees this process's memory as it stood at the fork (copy-on-write: the prepared
export, loaded models and caches are not serialised), and only its results travel. Anything that goes wrong in
the child (an exception, a crash, a hang, a fork the system refuses) costs time, never a result: the keys it
did not report are done here afterwards. A child still busy long after this process's share is done
(:data:`CHILD_GRACE_FACTOR`) is taken to be stuck (a lock another thread held at the fork) and stopped.
Used by the export's two lanes (:mod:`workbench.export.lanes`) and its de-identification
(:mod:`workbench.export.detect_in_two`).
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

logger = logging.getLogger(__name__)

_K = TypeVar("_K")
_R = TypeVar("_R")

# How long the child may take after this process's share is done: this many times that share's time, and at
# least this many seconds (a stuck child is then stopped and its keys are done here).
CHILD_GRACE_FACTOR = 10
CHILD_GRACE_S = 120.0


def can_fork() -> bool:
    return hasattr(os, "fork") and hasattr(os, "waitpid")


def run_in_two(here: Sequence[_K], child: Sequence[_K], work: Callable[[_K], _R], *, what: str) -> dict[_K, _R]:
    """``{key: work(key)}`` for every key of ``here`` and ``child``: ``child``'s computed in a forked child process
    while this one computes ``here``'s, and computed here after all where the child did not report them (a
    refused fork, an exception, a crash, a hang). ``work``'s results for ``child`` must pickle; ``what`` names the
    job in the log."""
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:  # out of memory or processes: one lane
        os.close(read_end)
        os.close(write_end)
        logger.info("%s in one process: fork refused (%s)", what, exc)
        return {k: work(k) for k in [*here, *child]}
    if pid == 0:  # pragma: no cover - the child; coverage does not follow it
        _run_child(read_end, write_end, child, work)
    os.close(write_end)
    logger.info("%s: %s in a second process (pid %d), %s here", what, ", ".join(map(str, child)), pid,
                ", ".join(map(str, here)))
    results: dict[_K, _R] = {}
    status: int | None = None
    payload: bytes | None = b""
    try:
        started = time.monotonic()
        for k in here:
            results[k] = work(k)
        # The child has about as much to do: one that takes far longer is stuck, not slow (see _read).
        payload = _read(read_end, max(CHILD_GRACE_S, CHILD_GRACE_FACTOR * (time.monotonic() - started)))
        if payload is not None:
            _, status = os.waitpid(pid, 0)
    finally:
        os.close(read_end)
        if status is None:  # this lane raised, or the child is stuck: stop it before going on
            _stop(pid)
    child_results = _reports(payload) if status == 0 and payload else None
    missing = [k for k in child if child_results is None or k not in child_results]
    if missing:
        logger.warning("%s: the second process did not finish (status %s); doing %s here", what,
                       "stuck" if payload is None else status, ", ".join(map(str, missing)))
    for k in child:
        results[k] = child_results[k] if child_results is not None and k in child_results else work(k)
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


def _run_child(read_end: int, write_end: int, child: Sequence[_K], work: Callable[[_K], object]) -> None:
    """Do the child's keys, send their results, and leave at once: ``os._exit`` skips the parent's exit handlers,
    buffered output and finalisers, which are the parent's to run."""
    code = 1
    try:
        os.close(read_end)
        payload = pickle.dumps({k: work(k) for k in child}, protocol=pickle.HIGHEST_PROTOCOL)
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
