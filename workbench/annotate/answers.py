"""One lifecycle for every annotator answer (ratings and preferences): when a save writes, and versions.

The rule, as Argilla's response statuses:

- an answer equal to the stored one writes nothing (no version, no timestamp): autosave firing on an
  untouched answer is a no-op, and a double-clicked submit adds no version;
- a *draft* over an unchanged *submitted* answer also writes nothing, so a blur or autosave never turns
  a submitted answer back into a draft;
- re-submitting an unchanged answer under another rubric version writes (the answer now stands under
  that rubric);
- otherwise the answer is written; when its current version already has a snapshot, it becomes the
  next version first, so "submit, then edit later" keeps every submitted state;
- each submit appends a snapshot of the answer to the version table.

Each kind of answer describes itself with an :class:`AnswerKind`: how to read its comparable values,
how to write them, and where its snapshots go. Callers own the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.store.schema import utcnow
from workbench.vocab import AnswerStatus

#: A stored answer (``Rating``, ``Preference``): it has ``id``, ``status``, ``version``, ``rubric_version``,
#: ``blind`` and ``updated_at`` columns. (A Protocol would not match SQLAlchemy's ``Mapped`` attributes.)
RowT = TypeVar("RowT")


@dataclass(frozen=True)
class AnswerKind(Generic[RowT]):
    """How one kind of answer is compared, written and snapshotted."""

    #: the answer's values as compared between saves (JSON-like: dicts, lists, scalars)
    values: Callable[[RowT], Any]
    #: write the (validated) values onto the row
    write: Callable[[RowT, Any], None]
    #: the append-only version table and its column naming the answer, e.g. (RatingVersion, "rating_id")
    version_table: Any
    parent_column: str
    #: what a snapshot records besides the common fields
    snapshot: Callable[[RowT], dict[str, Any]]


def _has_snapshot(s: Session, kind: AnswerKind[Any], row: Any) -> bool:
    table = kind.version_table
    return s.scalars(select(table.id).where(getattr(table, kind.parent_column) == row.id,
                                            table.version == row.version)).first() is not None


def next_version_if_snapshotted(s: Session, kind: AnswerKind[Any], row: Any) -> None:
    """Start the next version when the current one is already in the history (it must stay as it was)."""
    if _has_snapshot(s, kind, row):
        row.version += 1


def is_unchanged(kind: AnswerKind[RowT], row: RowT, values: Any, status: AnswerStatus, rubric_version: str) -> bool:
    """True when saving ``values`` with ``status`` would change nothing that matters (see the module rule)."""
    if kind.values(row) != values:
        return False
    stored: Any = row
    same_status = stored.status == status or (status, stored.status) == (AnswerStatus.DRAFT, AnswerStatus.SUBMITTED)
    return same_status and (status != AnswerStatus.SUBMITTED or stored.rubric_version == rubric_version)


def save_answer(s: Session, kind: AnswerKind[RowT], row: RowT, values: Any, status: AnswerStatus, *,
                rubric_version: str, blind: bool, is_new: bool) -> bool:
    """Save validated ``values`` on ``row`` with ``status``; return whether anything was written.

    ``is_new``: the row was created for this save (it has no stored answer to compare with).
    """
    status = AnswerStatus(status)
    if not is_new:
        if is_unchanged(kind, row, values, status, rubric_version):
            return False
        next_version_if_snapshotted(s, kind, row)
    kind.write(row, values)
    r: Any = row
    r.status = status
    r.rubric_version = rubric_version
    r.blind = blind
    r.updated_at = utcnow()
    s.flush()
    if status == AnswerStatus.SUBMITTED:
        snapshot = {**kind.snapshot(row), "status": r.status, "rubric_version": r.rubric_version,
                    "blind": r.blind, "saved_at": r.updated_at.isoformat()}
        s.add(kind.version_table(**{kind.parent_column: r.id, "version": r.version, "snapshot": snapshot}))
        s.flush()
    return True


def discard_answer(s: Session, kind: AnswerKind[RowT], row: RowT) -> bool:
    """Mark an answer discarded (kept, with its history); return whether anything was written."""
    r: Any = row
    if r.status == AnswerStatus.DISCARDED:
        return False
    next_version_if_snapshotted(s, kind, row)
    r.status = AnswerStatus.DISCARDED
    r.updated_at = utcnow()
    return True


__all__ = ["AnswerKind", "discard_answer", "is_unchanged", "next_version_if_snapshotted",
           "save_answer"]
