"""The life of a batch run row: started, alive (heartbeat), finished, stopped or interrupted.

A run killed with ``kill -9`` (or a crashed server) cannot record its own end. The next run of the
same dataset judges every run still marked ``running``: it was interrupted when its process is gone
(same host, the recorded pid no longer exists) or, on another host, when it has given no heartbeat
for ``stale_after``. Its ``finished_at`` becomes its last heartbeat, the last moment it was seen alive.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workbench.store.engine import Store
from workbench.store.schema import BatchRun, utcnow
from workbench.vocab import BatchRunStatus

RUNNING, FINISHED, STOPPED, INTERRUPTED = BatchRunStatus
#: how long a run on another host may stay silent before it counts as interrupted
DEFAULT_STALE_AFTER = timedelta(minutes=30)


def this_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(owner: str | None) -> bool | None:
    """True/False for a run of this host; None when it ran elsewhere (or recorded no owner)."""
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


def start_run(s: Session, dataset_id: int, columns: Sequence[str], selection: str) -> BatchRun:
    now = utcnow()
    run = BatchRun(dataset_id=dataset_id, columns=list(columns), turn_selection=selection, status=RUNNING,
                   owner=this_owner(), heartbeat_at=now)
    s.add(run)
    s.flush()
    return run


def heartbeat(store: Store, run_id: int) -> None:
    with store.session() as s:
        s.execute(update(BatchRun).where(BatchRun.id == run_id, BatchRun.status == RUNNING)
                  .values(heartbeat_at=utcnow()))


def end_run(store: Store, run_id: int, status: str) -> None:
    """Record a run's own end: ``finished`` or ``stopped``."""
    if status not in (FINISHED, STOPPED):
        raise ValueError(f"a run ends finished or stopped, not {status!r}")
    with store.session() as s:
        run = s.get(BatchRun, run_id)
        if run is not None:
            run.status, run.finished_at = BatchRunStatus(status), utcnow()


def mark_interrupted_runs(s: Session, dataset_id: int, *, now: datetime | None = None,
                          stale_after: timedelta = DEFAULT_STALE_AFTER) -> list[int]:
    """Mark this dataset's dead ``running`` runs as interrupted; returns their ids."""
    now = now or utcnow()
    marked: list[int] = []
    runs = s.scalars(select(BatchRun).where(BatchRun.dataset_id == dataset_id, BatchRun.status == RUNNING,
                                            BatchRun.finished_at.is_(None)))
    for run in runs:
        last_seen: Any = run.heartbeat_at or run.created_at
        gone = _process_gone(run.owner)
        if gone is None:
            gone = last_seen is None or now - last_seen > stale_after
        if gone:
            run.status, run.finished_at = INTERRUPTED, last_seen
            marked.append(run.id)
    return marked
