"""Consultations: every column through every standardized-patient case until it advises or hits the limit.

Each (case, column) consultation is one dialogue of a ``simulated`` dataset (``Dataset.format``),
``external_id = "<case id>/<column>"``, ``source = "simulated"``. The patient's turns are the dialogue's
shared turns; the column's replies are generations at the doctor positions, exactly as in a live chat,
so consultations are rated and exported like any other dialogue. ``Dialogue.meta`` keeps the case as it
was simulated (measures never depend on the case files changing later), the patient, the status
(``running``, ``advised``, ``max_turns``, ``error``) and, per patient turn, the facts asked, revealed
and leaked.

A column *advises* when the project's turn-type classifier labels its reply ``suggestion`` or
``mixed``; the consultation ends there. The greeting counts as a doctor turn; the rule-based patient
answers it with the opening complaint again (as patients do in the BianQue data).

Resuming: a consultation that advised, or reached the turn limit, is skipped; any other continues from
its stored thread (an ``error`` one is retried). Cases advance in lockstep, one round at a time, so each
round is one batch per column (BianQue-1.0/2.0 pad a batch; OpenAI-compatible columns and the LLM
patient keep ``max_concurrency`` requests in flight). The patients' answers of a round are committed
together, and the doctors' replies chunk by chunk, so a killed run loses at most the work in flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from workbench.annotate.classifier import classify
from workbench.batch import _generate  # one batch, then one by one on failure: the batch runner's policy
from workbench.dialogue import Dialogue as DialogueValue
from workbench.dialogue import Turn as TurnValue
from workbench.errors import InputError
from workbench.models.base import Backend
from workbench.plural import counted, plural
from workbench.simulate.cases import Case
from workbench.simulate.patient import Consultation, Patient, PatientReply, build_patient
from workbench.store.dialogues import add_turn, create_dialogue
from workbench.store.engine import Store
from workbench.store.generations import Reply, record_generation
from workbench.store.schema import Dataset, Dialogue, Generation
from workbench.store.threads import column_thread
from workbench.vocab import ADVICE_TURN_TYPES, GenerationStatus

SIMULATED_FORMAT = "simulated"
SIMULATED_SOURCE = "simulated"
DEFAULT_DATASET = "simulated"
ADVICE_TYPES = ADVICE_TURN_TYPES
ProgressFn = Callable[[int, int, str], None]


def is_advice(text: str) -> bool:
    """The project's classifier: a reply that advises (alone or with a question)."""
    return classify(text).turn_type in ADVICE_TYPES


def consultation_id(case_id: str, column: str) -> str:
    return f"{case_id}/{column}"


@dataclass
class _State:
    dialogue_id: int
    case: Case
    column: str
    thread: DialogueValue
    status: str
    error: str = ""  # why the consultation failed, when its status is "error"

    @property
    def doctor_turns(self) -> int:
        return sum(t.role == "doctor" for t in self.thread.turns)

    @property
    def needs_patient(self) -> bool:
        return bool(self.thread.turns) and self.thread.turns[-1].role == "doctor"


@dataclass(frozen=True)
class _Pos:
    history: DialogueValue  # what batch._generate reads


@dataclass
class SimulationSummary:
    dataset: str
    patient: str
    columns: list[str]
    cases: int
    planned: int  # cases x columns
    skipped: int = 0  # already finished by an earlier run
    advised: int = 0
    max_turns: int = 0
    leaks: int = 0  # facts the patient volunteered unasked (simulator errors)
    column_errors: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # "case on column: why", one per consultation in error
    stopped: bool = False
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        """Consultations that ended in an error in this run."""
        return len(self.failures)

    def describe(self) -> str:
        parts = [
            f"dataset {self.dataset!r}, patient {self.patient}: {counted(self.cases, 'case')} x "
            f"{counted(len(self.columns), 'column')} = {counted(self.planned, 'consultation')}",
            f"skipped (already finished) {self.skipped}, advised {self.advised}, reached the turn limit "
            f"{self.max_turns}, errors {self.errors}, simulator leaks {self.leaks}",
        ]
        parts += [f"column {c} not run: {e}" for c, e in self.column_errors.items()]
        parts += [f"error: {f}" for f in self.failures[:10]]
        if len(self.failures) > 10:
            parts.append(f"… and {len(self.failures) - 10} more {plural(len(self.failures) - 10, 'error')}, each in its "
                         "dialogue's meta")
        if self.stopped:
            parts.append("stopped before the end: run again to resume")
        parts.append(f"{self.seconds:.1f} s")
        return "; ".join(parts)


def _dataset(s: Any, name: str, patient: str, created: dict) -> Dataset:
    ds = s.scalar(select(Dataset).where(Dataset.name == name))
    if ds is None:
        ds = Dataset(name=name, format=SIMULATED_FORMAT, source=f"simulate --patient {patient}",
                     meta={"patient": patient, **created})
        s.add(ds)
        s.flush()
        return ds
    if ds.format != SIMULATED_FORMAT:
        raise InputError(f"dataset {name!r} holds imported dialogues, not simulations; choose another --dataset")
    if (ds.meta or {}).get("patient") != patient:
        raise InputError(f"dataset {name!r} was simulated with patient {ds.meta.get('patient')}; to use "
                         f"{patient}, choose another --dataset")
    return ds


def _load_states(
    store: Store, cases: Sequence[Case], columns: Sequence[str], dataset: str, patient: str, max_turns: int,
    created_by: int | None,
) -> tuple[dict[str, list[_State]], int]:
    """Every consultation to run, per column, creating the missing ones; and how many are finished."""
    out: dict[str, list[_State]] = {c: [] for c in columns}
    finished = 0
    with store.session() as s:
        ds = _dataset(s, dataset, patient, {"max_turns": max_turns})
        existing = {d.external_id: d for d in s.scalars(select(Dialogue).where(Dialogue.dataset_id == ds.id))}
        # One dataset compares columns on the same patients: a case edited since it was simulated there
        # would give the new columns another patient than the old ones.
        simulated = {(d.meta or {}).get("case_id"): (d.meta or {}).get("case") for d in existing.values()}
        changed = [c.id for c in cases if simulated.get(c.id) not in (None, c.model_dump(mode="json"))]
        if changed:
            raise InputError(f"case(s) {', '.join(changed)} changed since dataset {dataset!r} simulated them: "
                             "simulate the new version into another --dataset, or give the case a new id")
        for col in columns:
            for case in cases:
                key = consultation_id(case.id, col)
                d = existing.get(key)
                if d is None:
                    d = create_dialogue(
                        s, [TurnValue("patient", case.opening)], source=SIMULATED_SOURCE,
                        title=f"{dataset} · {case.id} · {col}"[:200], dataset_id=ds.id, external_id=key,
                        created_by=created_by,
                        meta={"case_id": case.id, "column": col, "patient": patient, "status": "running",
                              "category": case.category, "case": case.model_dump(), "patient_turns": [],
                              "advice_turn_index": None},
                    )
                meta = d.meta or {}
                stored_case = Case.model_validate(meta["case"]) if meta.get("case") else case
                st = _State(d.id, stored_case, col, column_thread(s, d.id, col), meta.get("status", "running"))
                if st.status == "advised" or (st.status == "max_turns" and st.doctor_turns >= max_turns):
                    finished += 1
                    continue
                st.status = "running"
                out[col].append(st)
    return out, finished


def _set_meta(s: Any, dialogue_id: int, **changes: Any) -> dict:
    d = s.get(Dialogue, dialogue_id)
    d.meta = {**(d.meta or {}), **changes}  # a new dict: JSON columns do not track in-place changes
    return d.meta


def _store_patient(store: Store, states: Sequence[_State], replies: Sequence[PatientReply]) -> int:
    """Add each patient's turn (or mark the consultation as failed); returns the number of leaked facts."""
    leaks = 0
    with store.session() as s:
        for st, r in zip(states, replies, strict=True):
            idx = len(st.thread)
            d = s.get(Dialogue, st.dialogue_id)
            assert d is not None  # created by this run and never deleted while it runs
            record = r.record(idx)
            turns = [*(d.meta or {}).get("patient_turns", []), record]
            if r.error:
                st.status, st.error = "error", f"patient: {r.error}"
                _set_meta(s, st.dialogue_id, patient_turns=turns, status="error", error=st.error)
                continue
            add_turn(s, st.dialogue_id, idx, "patient", r.text)
            leaks += len(r.leaked)
            simulator_errors = [*(d.meta or {}).get("simulator_errors", []),
                                *({"turn_index": idx, "leaked": f} for f in r.leaked)]
            _set_meta(s, st.dialogue_id, patient_turns=turns, simulator_errors=simulator_errors, status="running",
                      error=None)
            st.thread = st.thread.append("patient", r.text)
    return leaks


def _store_doctor(
    store: Store, states: Sequence[_State], results: Sequence[Any], backend: Backend, seed: int | None,
    max_turns: int, created_by: int | None,
) -> None:
    with store.session() as s:
        for st, r in zip(states, results, strict=True):
            idx = len(st.thread)
            g = Generation(dialogue_id=st.dialogue_id, turn_index=idx, column_name=st.column, backend=backend.kind,
                           params=backend.params(), seed=seed, created_by=created_by)
            sug = record_generation(s, g, Reply(
                r.text, r.trace, GenerationStatus.ERROR if r.error else GenerationStatus.OK, r.error, r.latency_ms,
                batch={"size": r.batch_size, "wall_ms": round(r.batch_wall_ms, 3)}))
            if r.error:
                st.status, st.error = "error", f"doctor: {r.error}"
                _set_meta(s, st.dialogue_id, status="error", error=st.error)
                continue
            st.thread = st.thread.append("doctor", r.text)
            if sug is not None and sug.turn_type in ADVICE_TYPES:
                st.status = "advised"
                _set_meta(s, st.dialogue_id, status="advised", advice_turn_index=idx)
            elif st.doctor_turns >= max_turns:
                st.status = "max_turns"
                _set_meta(s, st.dialogue_id, status="max_turns")


def run_simulation(
    svc: Any,
    cases: Sequence[Case],
    columns: Sequence[str] | None = None,
    patient: str | Patient = "rule",
    *,
    max_turns: int = 10,
    dataset: str = DEFAULT_DATASET,
    batch_size: int = 8,
    progress: ProgressFn | None = None,
    stop: threading.Event | None = None,
    created_by: int | None = None,
) -> SimulationSummary:
    """Run every column through every case; see the module docstring. ``progress(done, total, text)``
    is called after each round; ``stop`` ends the run between rounds (run again to resume)."""
    t0 = time.perf_counter()
    if not cases:
        raise InputError("no cases to simulate")
    if max_turns < 1:
        raise InputError("--max-turns must be at least 1")
    if batch_size < 1:
        raise InputError("batch size must be >= 1")
    cols = list(dict.fromkeys(columns or svc.backends))
    unknown = [c for c in cols if c not in svc.backends]
    if unknown:
        raise InputError(f"unknown column(s) {unknown}; configured: {list(svc.backends)}")
    sim_patient = build_patient(patient, svc.backends) if isinstance(patient, str) else patient
    store: Store = svc.store
    states, finished = _load_states(store, cases, cols, dataset, sim_patient.name, max_turns, created_by)
    summary = SimulationSummary(dataset, sim_patient.name, cols, len(cases), len(cases) * len(cols), skipped=finished)
    total = sum(len(v) for v in states.values())
    done = 0
    report = progress or (lambda _d, _t, _m: None)
    report(0, total, "starting")
    for col in cols:
        active = states[col]
        if not active:
            continue
        backend: Backend = svc.backends[col]
        try:
            backend.check_ready()
        except Exception as e:  # one column's missing weights must not stop the others
            summary.column_errors[col] = str(e)
            done += len(active)
            report(done, total, f"{col}: not ready")
            continue
        seed = svc.config.column(col).seed
        size = backend.chunk_size(batch_size)
        while active:
            if stop is not None and stop.is_set():
                summary.stopped = True
                break
            asking = [st for st in active if st.needs_patient]
            if asking:
                replies = sim_patient.reply_many([Consultation(st.case, st.thread) for st in asking])
                summary.leaks += _store_patient(store, asking, replies)
            waiting = [st for st in active if st.status == "running" and not st.needs_patient]
            for i in range(0, len(waiting), size):
                chunk = waiting[i : i + size]
                results = _generate(backend, [_Pos(st.thread) for st in chunk], seed)
                _store_doctor(store, chunk, results, backend, seed, max_turns, created_by)
            ended = [st for st in active if st.status != "running"]
            for st in ended:
                if st.status == "advised":
                    summary.advised += 1
                elif st.status == "max_turns":
                    summary.max_turns += 1
                else:
                    summary.failures.append(f"case {st.case.id} on {st.column}: {st.error}")
            done += len(ended)
            active = [st for st in active if st.status == "running"]
            report(done, total, f"{col}: {len(active)} consultation(s) still asking")
        if summary.stopped:
            break
    summary.seconds = time.perf_counter() - t0
    return summary
