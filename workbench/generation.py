"""Run columns and store every reply as a generation.

Each column streams in its own thread. A generation row is written as
``running`` before the model is called and finished (ok / stopped / error)
and committed *before* the final event reaches the UI, so that nothing is
shown as final that is not in the store.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from workbench.dialogue import Dialogue
from workbench.errors import WorkbenchError
from workbench.models.base import Backend, Trace
from workbench.store.engine import Store
from workbench.store.generations import Reply, record_generation
from workbench.store.schema import Generation
from workbench.vocab import GenerationStatus

log = logging.getLogger(__name__)
STREAM_INTERVAL_S = 0.05  # coalesce token updates: the browser cannot use more than ~20/s


@dataclass
class ColumnUpdate:
    column: str
    text: str
    status: str  # running | ok | stopped | error
    generation_id: int | None = None
    error: str | None = None
    route: str | None = None
    reason: str | None = None
    input_text: str | None = None
    final: bool = False


@dataclass
class Job:
    column: str
    backend: Backend
    dialogue: Dialogue
    seed: int | None
    stop: threading.Event = field(default_factory=threading.Event)
    # Set by the thread that ran it: a Stop counts only replies still generating, not finished ones whose last
    # update the browser's stream has yet to take.
    finished: threading.Event = field(default_factory=threading.Event)


class GenerationService:
    """Turns (dialogue, column) jobs into stored generations, streaming updates."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _start(self, job: Job, dialogue_id: int, turn_index: int, **extra) -> int:
        with self.store.session() as s:
            g = Generation(
                dialogue_id=dialogue_id, turn_index=turn_index, column_name=job.column, backend=job.backend.kind,
                seed=job.seed, status=GenerationStatus.RUNNING, params=job.backend.params(), **extra,
            )
            s.add(g)
            s.flush()
            return g.id

    def _finish(self, gen_id: int, reply: Reply) -> None:
        with self.store.session() as s:
            g = s.get(Generation, gen_id)
            assert g is not None
            record_generation(s, g, reply)

    def run_job(self, job: Job, dialogue_id: int, turn_index: int, emit: Callable[[ColumnUpdate], None],
                **extra) -> int:
        """Generate one reply, store it, and report progress through ``emit``."""
        gen_id = self._start(job, dialogue_id, turn_index, **extra)
        trace = Trace()
        text, status, error = "", GenerationStatus.OK, None
        t0 = time.perf_counter()
        ttft: float | None = None
        last_emit = 0.0
        try:
            for text in job.backend.stream(job.dialogue, trace, seed=job.seed, stop=job.stop):
                now = time.perf_counter()
                if ttft is None:
                    ttft = (now - t0) * 1000
                if now - last_emit >= STREAM_INTERVAL_S:
                    last_emit = now
                    emit(ColumnUpdate(job.column, text, "running", gen_id, route=trace.route))
            if job.stop.is_set():
                status = GenerationStatus.STOPPED
        except WorkbenchError as e:
            status, error = GenerationStatus.ERROR, str(e)
        except Exception as e:  # a model bug must fail only its own column
            log.exception("column %s failed", job.column)
            status, error = GenerationStatus.ERROR, f"{type(e).__name__}: {e}"
        try:
            self._finish(gen_id, Reply(text, trace, status, error, (time.perf_counter() - t0) * 1000, ttft))
        except WorkbenchError as e:
            status, error = GenerationStatus.ERROR, f"not saved: {e}"
        emit(ColumnUpdate(job.column, text, status, gen_id, error=error, route=trace.route, reason=trace.reason,
                          input_text=trace.input_text, final=True))
        return gen_id

    def run_many(self, jobs: list[Job], dialogue_ids: dict[str, tuple[int, int]]) -> Iterator[ColumnUpdate]:
        """Run every job in its own thread; yield updates as they arrive, finals included."""
        q: queue.Queue[ColumnUpdate] = queue.Queue()
        threads = []
        for job in jobs:
            did, idx = dialogue_ids[job.column]
            t = threading.Thread(target=self._safe_run, args=(job, did, idx, q.put), daemon=True,
                                 name=f"gen-{job.column}")
            t.start()
            threads.append(t)
        remaining = len(jobs)
        while remaining:
            u = q.get()
            if u.final:
                remaining -= 1
            yield u

    def _safe_run(self, job: Job, dialogue_id: int, turn_index: int, emit: Callable[[ColumnUpdate], None]) -> None:
        try:
            self.run_job(job, dialogue_id, turn_index, emit)
        except Exception as e:  # even the store failing must end this column's stream
            log.exception("column %s could not be stored", job.column)
            emit(ColumnUpdate(job.column, "", "error", None, error=f"not saved: {e}", final=True))
        finally:
            job.finished.set()
