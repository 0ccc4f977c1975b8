"""Live chat sessions: one patient, every column answering in its own thread.

Positions are global: the patient message at index ``p`` is a shared turn,
and every column's reply to it is a generation at index ``p + 1``. A
column's thread is the shared turns plus its own latest reply at each
position (:mod:`workbench.store.threads`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import func, select

from workbench.dialogue import Dialogue, Turn
from workbench.errors import InputError
from workbench.generation import ColumnUpdate, Job
from workbench.services import Services
from workbench.store.dialogues import add_turn, create_dialogue
from workbench.store.schema import Generation
from workbench.store.schema import Turn as TurnRow
from workbench.store.threads import ThreadRequest, columns_threads, read_thread
from workbench.validation import validate_message
from workbench.vocab import FINAL_STATUSES, GenerationStatus

EXAMPLES_FILE = Path(__file__).parent / "data" / "examples.json"


@dataclass(frozen=True)
class ShownTurn:
    """A turn as a column shows it; ``status`` is its reply's stored status (``ok``, ``stopped``) if any."""

    role: str
    text: str
    status: str | None = None


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    dialogue: Dialogue


@cache
def examples() -> tuple[Example, ...]:
    data = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    return tuple(Example(e["id"], e["title"], Dialogue.of(e["turns"])) for e in data["examples"])


def next_position(svc: Services, dialogue_id: int) -> int:
    with svc.store.session() as s:
        a = s.scalar(select(func.max(TurnRow.idx)).where(TurnRow.dialogue_id == dialogue_id))
        b = s.scalar(select(func.max(Generation.turn_index)).where(Generation.dialogue_id == dialogue_id))
    return max(-1 if a is None else a, -1 if b is None else b) + 1


def new_dialogue(svc: Services, *, user_id: int | None, turns: tuple[Turn, ...] = (), source: str = "live",
                 title: str | None = None) -> int:
    with svc.store.session() as s:
        return create_dialogue(s, turns, source=source, title=title, created_by=user_id).id


def load_example(svc: Services, example_id: str, *, user_id: int | None) -> tuple[int, str]:
    """Store the example's history; return the dialogue and its last patient message to send."""
    ex = next((e for e in examples() if e.id == example_id), None)
    if ex is None:
        raise InputError(f"unknown example {example_id!r}")
    turns = ex.dialogue.turns
    history, last = (turns[:-1], turns[-1].text) if turns and turns[-1].role == "patient" else (turns, "")
    return new_dialogue(svc, user_id=user_id, turns=history, source="example", title=ex.title), last


def threads(svc: Services, dialogue_id: int) -> dict[str, Dialogue]:
    with svc.store.read() as s:
        return {c: t.dialogue for c, t in columns_threads(s, dialogue_id, list(svc.columns)).items()}


def shown_threads(svc: Services, dialogue_id: int, before: int | None = None) -> dict[str, list[ShownTurn]]:
    """Each column's thread as :func:`threads` builds it, every reply with its stored status.

    A stopped reply stays marked wherever it is shown: in its column, and as the shared history of a branch.
    """
    with svc.store.read() as s:
        got = columns_threads(s, dialogue_id, list(svc.columns), before)
    return {c: [ShownTurn(t.role, t.text, status) for t, status in zip(th.turns, th.statuses, strict=True)]
            for c, th in got.items()}


def _seed(svc: Services, column: str, attempt: int) -> int | None:
    base = svc.config.column(column).seed
    # Regenerating with the same seed would repeat the reply; vary it, and store the seed used.
    return None if base is None else base + attempt


def _attempts(svc: Services, dialogue_id: int, position: int, column: str) -> int:
    with svc.store.session() as s:
        return s.scalar(
            select(func.count(Generation.id)).where(
                Generation.dialogue_id == dialogue_id, Generation.turn_index == position,
                Generation.column_name == column,
            )
        ) or 0


def check_message(svc: Services, message: str) -> str:
    """The patient message as it would be stored, or an :class:`InputError` saying why it cannot be."""
    return validate_message(message, svc.config.limits.max_message_chars)


def send(svc: Services, dialogue_id: int | None, message: str, *, user_id: int | None) -> tuple[int, int]:
    """Validate and store a patient message; returns (dialogue id, reply position)."""
    text = check_message(svc, message)
    pos = next_position(svc, dialogue_id) if dialogue_id is not None else 0
    # One transaction: a failed write (full or read-only database) leaves no empty dialogue behind.
    with svc.store.session() as s:
        if dialogue_id is None:
            dialogue_id = create_dialogue(s, (), source="live", created_by=user_id).id
        add_turn(s, dialogue_id, pos, "patient", text)
    return dialogue_id, pos + 1


def jobs_for(svc: Services, dialogue_id: int, position: int, columns: list[str]) -> list[Job]:
    """One job per column: its own thread before ``position``, ending with the patient message.

    On regeneration the column's earlier reply at ``position`` is not part of its input.
    """
    return [
        Job(c, svc.backends[c], Dialogue(turns_before(svc, dialogue_id, c, position)),
            _seed(svc, c, _attempts(svc, dialogue_id, position, c)))
        for c in columns
    ]


def turns_before(svc: Services, dialogue_id: int, column: str, position: int) -> tuple[Turn, ...]:
    with svc.store.read() as s:
        return read_thread(s, ThreadRequest(dialogue_id, column, position)).turns


def run(svc: Services, dialogue_id: int, position: int, jobs: list[Job]) -> Iterator[ColumnUpdate]:
    yield from svc.generations.run_many(jobs, {j.column: (dialogue_id, position) for j in jobs})


def branch(svc: Services, generation_id: int, *, user_id: int | None) -> int:
    """Make one column's reply the shared history of a new dialogue (kept in the store)."""
    with svc.store.session() as s:
        g = s.get(Generation, generation_id)
        if g is None or g.status not in FINAL_STATUSES:
            raise InputError("only a finished reply can be continued from")
        parent, column, position, output = g.dialogue_id, g.column_name, g.turn_index, g.output
    kept = turns_before(svc, parent, column, position)
    with svc.store.session() as s:
        d = create_dialogue(
            s, kept, source="branch", parent_id=parent, branched_from_generation_id=generation_id, created_by=user_id,
        )
        add_turn(s, d.id, len(kept), "doctor", output, generation_id=generation_id)
        return d.id


@dataclass(frozen=True)
class ReplyStatus:
    """What a column's status line shows of its newest reply."""

    status: GenerationStatus
    error: str | None
    input_text: str | None  # the exact model input; None when no model was called (the greeting)
    route: str | None
    route_reason: str | None
    latency_ms: float | None
    output_tokens: int | None
    seed: int | None

    @classmethod
    def of(cls, g: Generation) -> ReplyStatus:
        return cls(g.status, g.error, g.input_text, g.route, g.route_reason, g.latency_ms, g.output_tokens, g.seed)


def last_generations(svc: Services, dialogue_id: int, columns: list[str]) -> dict[str, ReplyStatus | None]:
    """Each column's newest generation in the dialogue, whatever its status (what its status line shows)."""
    newest = (select(Generation.column_name, func.max(Generation.id).label("gid"))
              .where(Generation.dialogue_id == dialogue_id, Generation.column_name.in_(columns))
              .group_by(Generation.column_name).subquery())
    with svc.store.read() as s:
        rows = s.scalars(select(Generation).join(newest, newest.c.gid == Generation.id))
        found = {g.column_name: ReplyStatus.of(g) for g in rows}
    return {c: found.get(c) for c in columns}


def last_reply_position(svc: Services, dialogue_id: int) -> int | None:
    """The position of the reply to the dialogue's last patient message (None without one)."""
    with svc.store.read() as s:
        last = s.scalar(select(func.max(TurnRow.idx)).where(TurnRow.dialogue_id == dialogue_id,
                                                           TurnRow.role == "patient"))
    return None if last is None else last + 1


class Revision(NamedTuple):
    """Where a dialogue stands in the store: its newest turn, its newest reply, and how many replies are still being
    written. A message sent, a reply regenerated (the turn count stays) and a reply stored or stopped each change it,
    so a page that keeps the revision it drew can tell that another tab changed the dialogue since."""

    last_turn: int
    last_reply: int
    running: int


def revision(svc: Services, dialogue_id: int) -> Revision:
    """The dialogue's :class:`Revision`: two indexed aggregates, cheap enough for every action of a page."""
    with svc.store.read() as s:
        turn = s.scalar(select(func.max(TurnRow.id)).where(TurnRow.dialogue_id == dialogue_id))
        reply, running = s.execute(
            select(func.max(Generation.id), func.count(Generation.id).filter(Generation.status == GenerationStatus.RUNNING))
            .where(Generation.dialogue_id == dialogue_id)).one()
    return Revision(turn or 0, reply or 0, running or 0)


def latest_finished_reply(svc: Services, dialogue_id: int, column: str) -> int | None:
    """The id of the column's finished reply at its latest position (what "continue from" branches from)."""
    with svc.store.read() as s:
        return s.scalar(
            select(Generation.id).where(Generation.dialogue_id == dialogue_id, Generation.column_name == column,
                                        Generation.status.in_(FINAL_STATUSES))
            .order_by(Generation.turn_index.desc(), Generation.id.desc()).limit(1)
        )
