"""Batch generation: every chosen column's reply at chosen doctor turns of a dataset, with gold history.

For a doctor turn at index ``i`` of an imported dialogue, the model sees the dataset's own turns
``0..i-1`` (the *gold* history, which ends with the patient turn before it), never the column's earlier
replies. Each reply is stored as a generation at ``turn_index = i`` with ``reference_turn_id`` pointing
at the gold doctor turn and ``batch_run_id`` at the :class:`BatchRun` of this call.

Turn selection: ``all`` doctor turns, the ``last`` one of each dialogue, or ``sample:N``: N positions
drawn uniformly from the whole dataset's eligible positions with ``seed``; the draw depends only on the
dataset and the seed, so a resumed run picks the same positions. A doctor turn is eligible when the
turn before it is a patient turn.

The greeting: the original apps answer a dialogue's first message with a fixed greeting and no model
call. That is a UI convention, and a dataset's first doctor turn is a real reply, so by default
(``greeting="model"``) every column calls its model there too. ``greeting="app"`` keeps the apps'
behaviour (the greeting is stored with route ``greeting``, and is left out of metrics, queue and exports).

Resuming: a position (dialogue, turn, column) is skipped when it already has an ``ok`` generation from
any batch run (in ``model`` mode a stored greeting does not count: the model is called there) (a dataset's dialogues belong to it alone, so that means any batch of the same dataset).
Errors and stopped replies are retried. The check is by column *name*: after changing a column's model,
give it a new name to generate again. Results are committed chunk by chunk (a chunk is written while the
next one generates), so a killed run loses at most the two chunks in flight and never leaves a ``running`` row behind; the check is repeated inside each
chunk's transaction, so two runs at once on SQLite (which serialises writers) do not store duplicates.

Batching: backends with ``batches`` (BianQue-1.0, BianQue-2.0) get ``batch_size`` dialogues per
``generate_batch`` call; OpenAI-compatible columns get chunks they run with ``max_concurrency`` requests
in flight (``Backend.chunk_size``); others go one by one. With greedy settings a batched reply equals the
one-by-one reply. When sampling, the column's seed seeds each batch's generator once, so a reply
depends on its batch (see :meth:`Backend.generate_batch`). A batch that fails is retried one by one,
so one bad dialogue is stored as an error and the rest of the batch still succeeds.

Timing: ``latency_ms`` of a batched reply is the batch's wall time divided by its size (the compute
spent per reply); ``params["batch"]`` records the batch size and its wall time.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sqlalchemy import func, select

from workbench.dialogue import Dialogue as DialogueValue
from workbench.dialogue import Turn as TurnValue
from workbench.errors import InputError, StoreError, WorkbenchError
from workbench.models.base import Backend, Trace
from workbench.plural import counted, plural
from workbench.store import batch_runs
from workbench.store.engine import Store
from workbench.store.generations import Reply, record_generation
from workbench.store.greetings import not_greeting
from workbench.store.schema import Dataset, Dialogue, Generation, Turn
from workbench.vocab import GenerationStatus

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 8
GreetingMode = Literal["model", "app"]
GREETING_MODES: tuple[str, ...] = ("model", "app")
ProgressFn = Callable[[int, int, str], None]  # (done, total, description)
_SPEC = re.compile(r"^\s*(all|last|sample:(\d+))\s*$")


@dataclass(frozen=True)
class TurnSelection:
    kind: Literal["all", "last", "sample"]
    n: int | None = None
    seed: int = 0

    def __str__(self) -> str:
        return f"sample:{self.n} seed={self.seed}" if self.kind == "sample" else self.kind


def parse_turns(spec: str, seed: int = 0) -> TurnSelection:
    """``all``, ``last`` or ``sample:N`` (N >= 1) -> :class:`TurnSelection`."""
    m = _SPEC.match(spec or "")
    if not m:
        raise InputError(f"--turns must be 'all', 'last' or 'sample:N', got {spec!r}")
    if m.group(2) is None:
        return TurnSelection(m.group(1))  # type: ignore[arg-type]
    n = int(m.group(2))
    if n < 1:
        raise InputError("sample:N needs N >= 1")
    return TurnSelection("sample", n, int(seed))


class HasHistory(Protocol):
    """What a batch generates from: the dialogue before the doctor turn to fill."""

    @property
    def history(self) -> DialogueValue: ...


@dataclass(frozen=True)
class Position:
    """One doctor turn to fill: the gold history before it and the reference turn itself."""

    dialogue_id: int
    turn_index: int
    reference_turn_id: int
    history: DialogueValue


def dataset_positions(s: Any, dataset_id: int) -> list[Position]:
    """Every eligible doctor turn of a dataset, in dialogue then turn order (one query)."""
    rows = s.execute(
        select(Turn.id, Turn.dialogue_id, Turn.idx, Turn.role, Turn.text)
        .join(Dialogue, Dialogue.id == Turn.dialogue_id)
        .where(Dialogue.dataset_id == dataset_id)
        .order_by(Turn.dialogue_id, Turn.idx)
    ).all()
    out: list[Position] = []
    turns: list[TurnValue] = []
    current = None
    for tid, did, idx, role, text in rows:
        if did != current:
            current, turns = did, []
        if role == "doctor" and turns and turns[-1].role == "patient":
            out.append(Position(did, idx, tid, DialogueValue(tuple(turns))))
        turns.append(TurnValue(role, text))
    return out


def select_positions(positions: Sequence[Position], selection: TurnSelection) -> list[Position]:
    """The positions a selection keeps, in dialogue then turn order."""
    if selection.kind == "all":
        return list(positions)
    if selection.kind == "last":
        last: dict[int, Position] = {}
        for p in positions:
            last[p.dialogue_id] = p
        return list(last.values())
    n = min(selection.n or 0, len(positions))
    picked = random.Random(selection.seed).sample(range(len(positions)), n)
    return [positions[i] for i in sorted(picked)]


def _done(s: Any, dialogue_ids: Sequence[int], columns: Sequence[str],
          greeting: GreetingMode = "model") -> set[tuple[int, int, str]]:
    """(dialogue, turn, column) that already have an ok batch generation (a greeting counts only in
    ``app`` mode)."""
    out: set[tuple[int, int, str]] = set()
    ids = list(dialogue_ids)
    extra = [] if greeting == "app" else [not_greeting()]
    for i in range(0, len(ids), 500):  # keep the IN list well under every database's parameter limit
        out.update(s.execute(
            select(Generation.dialogue_id, Generation.turn_index, Generation.column_name)
            .where(Generation.dialogue_id.in_(ids[i : i + 500]), Generation.column_name.in_(list(columns)),
                   Generation.status == GenerationStatus.OK, Generation.batch_run_id.is_not(None), *extra)
        ).tuples().all())
    return out


@dataclass
class BatchSummary:
    batch_run_id: int | None
    dataset: str
    columns: list[str]
    turns: str
    positions: int  # doctor turns selected
    planned: int  # positions x columns
    skipped: int = 0  # already done by an earlier run
    generated: int = 0  # stored ok
    errors: int = 0  # stored as errors
    column_errors: dict[str, str] = field(default_factory=dict)  # columns whose model could not load
    stopped: bool = False
    seconds: float = 0.0
    interrupted_runs: list[int] = field(default_factory=list)  # earlier runs found killed, now marked

    def describe(self) -> str:
        parts = [
            f"dataset {self.dataset!r}, turns {self.turns}: {counted(self.positions, 'position')} x "
            f"{counted(len(self.columns), 'column')} = {self.planned}",
            f"skipped (already done) {self.skipped}, generated {self.generated}, errors {self.errors}",
        ]
        parts += [f"column {c} not run: {e}" for c, e in self.column_errors.items()]
        if self.interrupted_runs:
            parts.append(f"resumed interrupted {plural(len(self.interrupted_runs), 'run')} {', '.join(f'#{i}' for i in self.interrupted_runs)}")
        if self.stopped:
            parts.append("stopped before the end: run again to resume")
        parts.append(f"{self.seconds:.1f} s")
        return "; ".join(parts)


@dataclass
class _Result:
    text: str
    trace: Trace
    error: str | None
    latency_ms: float
    batch_size: int
    batch_wall_ms: float


def _generate(backend: Backend, chunk: Sequence[HasHistory], seed: int | None) -> list[_Result]:
    """Generate a chunk in one batch; on failure retry one by one so only the bad dialogue errs."""
    t0 = time.perf_counter()
    try:
        got = backend.generate_batch([p.history for p in chunk], seed=seed)
        if len(got) != len(chunk):
            raise WorkbenchError(f"{backend.name}: generate_batch returned {len(got)} replies for {len(chunk)}")
        wall = (time.perf_counter() - t0) * 1000
        return [_Result(text, trace, None, wall / len(chunk), len(chunk), wall) for text, trace in got]
    except Exception as e:
        if len(chunk) == 1:
            wall = (time.perf_counter() - t0) * 1000
            if not isinstance(e, WorkbenchError):  # a model bug: keep the traceback in the log
                log.exception("column %s failed", backend.name)
            msg = str(e) if isinstance(e, WorkbenchError) else f"{type(e).__name__}: {e}"
            return [_Result("", Trace(), msg, wall, 1, wall)]
        log.warning("column %s: a batch of %d failed (%s); retrying one by one", backend.name, len(chunk), e)
    return [r for p in chunk for r in _generate(backend, [p], seed)]


def _store_chunk(
    store: Store, run_id: int, column: str, backend: Backend, seed: int | None, chunk: Sequence[Position],
    results: Sequence[_Result], created_by: int | None, greeting: GreetingMode = "model",
) -> tuple[int, int, int]:
    """Store one chunk's results in one transaction; returns (ok, errors, already done)."""
    ok = err = dup = 0
    with store.session() as s:
        done = _done(s, sorted({p.dialogue_id for p in chunk}), [column], greeting)
        for p, r in zip(chunk, results, strict=True):
            if (p.dialogue_id, p.turn_index, column) in done:
                dup += 1  # another run stored it meanwhile
                continue
            g = Generation(
                dialogue_id=p.dialogue_id, turn_index=p.turn_index, column_name=column, backend=backend.kind,
                params=backend.params(), seed=seed, batch_run_id=run_id, reference_turn_id=p.reference_turn_id,
                created_by=created_by,
            )
            record_generation(s, g, Reply(
                r.text, r.trace, GenerationStatus.ERROR if r.error else GenerationStatus.OK, r.error, r.latency_ms,
                batch={"size": r.batch_size, "wall_ms": round(r.batch_wall_ms, 3)}))
            if r.error is None:
                ok += 1
            else:
                err += 1
        # the commit inserts the chunk's generations in one batched INSERT, then their suggestions
    return ok, err, dup


def run_batch(
    svc: Any,
    dataset: str,
    columns: Sequence[str] | None = None,
    turns: str | TurnSelection = "all",
    *,
    seed: int = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
    created_by: int | None = None,
    greeting: GreetingMode = "model",
) -> BatchSummary:
    """Generate ``columns``' replies (default: every column) at the selected turns of ``dataset``.

    ``seed`` only drives ``sample:N``; each column generates with its configured seed. ``progress`` is
    called with (done, total, description) after each chunk; ``stop`` ends the run between chunks.
    ``greeting``: ``model`` (default) calls the model at first doctor turns; ``app`` greets as the apps do.
    """
    if greeting not in GREETING_MODES:
        raise InputError(f"greeting must be one of {', '.join(GREETING_MODES)}, got {greeting!r}")
    t_start = time.perf_counter()
    selection = parse_turns(turns, seed) if isinstance(turns, str) else turns
    cols = list(columns) if columns else list(svc.backends)
    unknown = [c for c in cols if c not in svc.backends]
    if unknown:
        raise InputError(f"unknown column(s) {unknown}; configured: {list(svc.backends)}")
    cols = list(dict.fromkeys(cols))
    if batch_size < 1:
        raise InputError("batch size must be >= 1")
    store: Store = svc.store
    with store.session() as s:
        ds = s.scalar(select(Dataset).where(Dataset.name == dataset))
        if ds is None:
            known = list(s.scalars(select(Dataset.name).order_by(Dataset.name)))
            raise InputError(f"no dataset named {dataset!r}; known: {known or 'none (import one first)'}")
        chosen = select_positions(dataset_positions(s, ds.id), selection)
        done = _done(s, sorted({p.dialogue_id for p in chosen}), cols, greeting)
        todo = {c: [p for p in chosen if (p.dialogue_id, p.turn_index, c) not in done] for c in cols}
        n_todo = sum(len(v) for v in todo.values())
        # Runs killed before they could record their end (kill -9, a crash) are judged now.
        interrupted = batch_runs.mark_interrupted_runs(s, ds.id)
        run_id = batch_runs.start_run(s, ds.id, cols, str(selection)).id if n_todo else None
    if interrupted:
        log.warning("batch runs %s of %r were interrupted; this run resumes them", interrupted, dataset)
    summary = BatchSummary(run_id, dataset, cols, str(selection), len(chosen), len(chosen) * len(cols),
                           skipped=len(chosen) * len(cols) - n_todo, interrupted_runs=interrupted)
    report = progress or (lambda _d, _t, _m: None)
    finished = 0
    report(0, n_todo, "starting")
    try:
        for col in cols:
            pending = todo[col]
            if not pending or summary.stopped:
                continue
            backend: Backend = svc.backends[col]
            if greeting == "model":
                backend = backend.without_greeting()
            try:
                backend.check_ready()
            except Exception as e:  # one column's missing weights must not stop the others
                summary.column_errors[col] = str(e)
                finished += len(pending)
                report(finished, n_todo, f"{col}: not ready")
                continue
            col_seed = svc.config.column(col).seed
            size = backend.chunk_size(batch_size)  # batching backends pad; OpenAI-compatible ones run concurrently
            # A chunk is written while the next one generates: the writer never leaves the model (or a
            # server) idle. Chunks are still written one at a time, in order.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-writer") as writer:
                writing: Future | None = None

                def account(job: Future, n: int, column: str = col) -> None:
                    nonlocal finished
                    ok, err, dup = job.result()
                    summary.generated += ok
                    summary.errors += err
                    summary.skipped += dup
                    finished += n
                    batch_runs.heartbeat(store, run_id)  # type: ignore[arg-type]
                    report(finished, n_todo, column)

                for i in range(0, len(pending), size):
                    if stop is not None and stop.is_set():
                        summary.stopped = True
                        break
                    chunk = pending[i : i + size]
                    results = _generate(backend, chunk, col_seed)
                    if writing is not None:
                        account(writing, size)
                    writing = writer.submit(_store_chunk, store, run_id, col, backend, col_seed, chunk, results,  # type: ignore[arg-type]
                                            created_by, greeting)
                    written = len(chunk)
                if writing is not None:
                    account(writing, written)
    except StoreError as e:
        # The chunks committed before the failed write are kept (and resumed from): say so, not only "nothing
        # was saved", which is true of the failed write alone.
        raise StoreError(f"{counted(summary.generated, 'reply', 'replies')} stored before this error "
                         f"{plural(summary.generated, 'is', 'are')} kept; run the batch again to "
                         f"resume. {e}", e.detail) from e
    if run_id is not None:
        batch_runs.end_run(store, run_id, batch_runs.STOPPED if summary.stopped else batch_runs.FINISHED)
    summary.seconds = time.perf_counter() - t_start
    return summary


def dataset_progress(store: Store) -> dict[str, dict[str, int]]:
    """Per dataset name: column -> number of positions with an ok batch generation (one query)."""
    done = (
        select(Dataset.name.label("dataset"), Generation.column_name.label("col"), Generation.dialogue_id,
               Generation.turn_index)
        .join(Dialogue, Dialogue.dataset_id == Dataset.id)
        .join(Generation, Generation.dialogue_id == Dialogue.id)
        .where(Generation.status == GenerationStatus.OK, Generation.batch_run_id.is_not(None))
        .distinct()
        .subquery()
    )
    with store.session() as s:
        rows = s.execute(select(done.c.dataset, done.c.col, func.count()).group_by(done.c.dataset, done.c.col)).all()
    out: dict[str, dict[str, int]] = {}
    for name, col, n in rows:
        out.setdefault(name, {})[col] = int(n)
    return out
