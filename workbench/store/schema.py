"""The database schema: SQLAlchemy 2 typed mappings.

Vocabulary follows Argilla: a machine pre-annotation is a *suggestion*
(agent, score); a human's answer is a *rating* with a status
(draft, submitted, discarded), one current rating per user and generation,
with every earlier submitted version kept in ``rating_versions``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from workbench.vocab import (
    AnswerStatus,
    BatchRunStatus,
    FlagAction,
    GenerationStatus,
    PreferenceOutcome,
    TurnType,
    values,
)

#: Every constraint gets a predictable name, so that a migration can address it (SQLite's batch mode
#: recreates tables and needs names; PostgreSQL otherwise invents its own). The Enum CHECKs are named
#: by ``db_enum``'s ``name``.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def db_enum(enum: type[StrEnum], name: str, length: int) -> Enum:
    """A column type storing ``enum``'s values as VARCHAR(length) with a CHECK constraint named ``name``."""
    return Enum(enum, name=name, native_enum=False, create_constraint=True, length=length,
                values_callable=values, validate_strings=True)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="annotator")  # annotator | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Dataset(Base):
    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    format: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Dialogue(Base):
    """A conversation. Its ``turns`` are the shared history every column sees.

    In a live session the doctor positions after the shared turns are filled per
    column by generations. A branch ("continue from this reply") is a new
    dialogue with ``parent_id`` set and the chosen reply as a shared turn.
    """

    __tablename__ = "dialogues"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20), default="live")  # live | dataset | example | branch
    title: Mapped[str | None] = mapped_column(String(200))
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("dialogues.id", ondelete="SET NULL"), index=True)
    branched_from_generation_id: Mapped[int | None] = mapped_column(
        ForeignKey("generations.id", ondelete="SET NULL", use_alter=True)
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    turns: Mapped[list[Turn]] = relationship(
        back_populates="dialogue", order_by="Turn.idx", cascade="all, delete-orphan"
    )


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("dialogue_id", "idx"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"))
    idx: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(10))  # patient | doctor
    text: Mapped[str] = mapped_column(Text)
    is_reference: Mapped[bool] = mapped_column(Boolean, default=False)
    generation_id: Mapped[int | None] = mapped_column(
        ForeignKey("generations.id", ondelete="SET NULL", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    dialogue: Mapped[Dialogue] = relationship(back_populates="turns")


class BatchRun(Base):
    __tablename__ = "batch_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    columns: Mapped[list[Any]] = mapped_column(default=list)
    turn_selection: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # a killed run is marked interrupted when the next run starts
    status: Mapped[BatchRunStatus | None] = mapped_column(db_enum(BatchRunStatus, "batch_run_status", 20),
                                                          default=BatchRunStatus.RUNNING)
    owner: Mapped[str | None] = mapped_column(String(200))  # "host:pid" of the process running it
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)  # after each stored chunk


class Generation(Base):
    """One model reply at one doctor position of a dialogue, in one column."""

    __tablename__ = "generations"
    __table_args__ = (Index("ix_generations_position", "dialogue_id", "turn_index", "column_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"))
    turn_index: Mapped[int] = mapped_column(Integer)  # the doctor position this reply fills
    column_name: Mapped[str] = mapped_column(String(60))
    backend: Mapped[str] = mapped_column(String(40))
    model_name: Mapped[str | None] = mapped_column(String(300))  # hub id or path
    model_revision: Mapped[str | None] = mapped_column(String(200))  # revision or weights fingerprint
    input_text: Mapped[str | None] = mapped_column(Text)  # exact model input; NULL for the greeting
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seed: Mapped[int | None] = mapped_column(Integer)
    output: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[GenerationStatus] = mapped_column(db_enum(GenerationStatus, "generation_status", 10),
                                                     default=GenerationStatus.RUNNING)
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    ttft_ms: Mapped[float | None] = mapped_column(Float)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    route: Mapped[str | None] = mapped_column(String(20))  # greeting | v1 | v2 (hybrid and plain)
    route_reason: Mapped[str | None] = mapped_column(Text)
    asks_question: Mapped[bool | None] = mapped_column(Boolean)
    question_count: Mapped[int | None] = mapped_column(Integer)
    length_chars: Mapped[int | None] = mapped_column(Integer)
    batch_run_id: Mapped[int | None] = mapped_column(ForeignKey("batch_runs.id", ondelete="SET NULL"), index=True)
    reference_turn_id: Mapped[int | None] = mapped_column(ForeignKey("turns.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class Suggestion(Base):
    """A machine pre-annotation of a generation (e.g. the turn-type classifier)."""

    __tablename__ = "suggestions"
    __table_args__ = (UniqueConstraint("generation_id", "question", "agent"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    generation_id: Mapped[int] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(40))  # e.g. turn_type
    value: Mapped[str] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    agent: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    generation: Mapped[Generation] = relationship()


class Rating(Base):
    """An annotator's current answer for one generation.

    ``scores`` has the same shape as :attr:`GoldAnswer.answer`'s axis entries (``{"questioning": 4,
    "suggestion": "na"}``); the other questions (turn type, safety flag, texts) keep typed columns, so the
    database still checks the turn type against the vocabulary.
    """

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("generation_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    generation_id: Mapped[int] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[AnswerStatus] = mapped_column(db_enum(AnswerStatus, "answer_status", 12),
                                                 default=AnswerStatus.DRAFT)
    turn_type: Mapped[TurnType | None] = mapped_column(db_enum(TurnType, "turn_type", 20))
    safety_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    corrected_reply: Mapped[str | None] = mapped_column(Text)
    rubric_version: Mapped[str | None] = mapped_column(String(80))
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    display_order: Mapped[list[Any]] = mapped_column(default=list)  # column names in the order shown
    display_slot: Mapped[int | None] = mapped_column(Integer)  # where this reply was shown (0 = A)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The answer to each rubric axis: a score or "na" (not applicable); an axis not answered yet is
    # absent. JSON, as Argilla's Response.values, so a new axis needs no migration. Declared last
    # because revision 0004 appended it: new and migrated databases have the same column order.
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RatingVersion(Base):
    """Every submitted state of a rating, append-only, so edits never erase history."""

    __tablename__ = "rating_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Preference(Base):
    """An annotator's judgement across the columns' replies at one doctor position."""

    __tablename__ = "preferences"
    __table_args__ = (UniqueConstraint("dialogue_id", "turn_index", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"))
    turn_index: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[AnswerStatus] = mapped_column(db_enum(AnswerStatus, "answer_status", 12),
                                                 default=AnswerStatus.DRAFT)
    shown: Mapped[list[Any]] = mapped_column(default=list)  # generation ids in display order
    outcome: Mapped[PreferenceOutcome | None] = mapped_column(db_enum(PreferenceOutcome, "preference_outcome", 12))
    winner_generation_id: Mapped[int | None] = mapped_column(ForeignKey("generations.id", ondelete="SET NULL"))
    ranking: Mapped[list[Any] | None] = mapped_column(JSON)  # generation ids, best first
    rubric_version: Mapped[str | None] = mapped_column(String(80))
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PreferenceVersion(Base):
    """Every submitted state of a preference, append-only, as :class:`RatingVersion` for ratings."""

    __tablename__ = "preference_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    preference_id: Mapped[int] = mapped_column(ForeignKey("preferences.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class QueueItem(Base):
    """A unit of rating work: every column's reply at one doctor position."""

    __tablename__ = "queue_items"
    __table_args__ = (UniqueConstraint("dialogue_id", "turn_index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id", ondelete="CASCADE"))
    turn_index: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


#: an assignment whose annotator flagged its item, and no admin has settled the flag yet
FLAGGED = "flagged_at IS NOT NULL"


class Assignment(Base):
    """Who holds which of an item's k slots. The unique slot stops two annotators taking the same one."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("item_id", "slot"), UniqueConstraint("item_id", "user_id"),
                      # The items an open flag holds (workbench.annotate.offer.held_items), read by every claim and
                      # progress count: a few rows, found without scanning every assignment.
                      Index("ix_assignments_flagged_item", "item_id", sqlite_where=text(FLAGGED),
                            postgresql_where=text(FLAGGED)))
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    display_order: Mapped[list[Any]] = mapped_column(default=list)  # counterbalanced column order
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Skipped: still held, offered again after the annotator's new items. Flagged as broken (with the
    # annotator's reason, shown to admins): out of this annotator's queue for good.
    skipped_at: Mapped[datetime | None] = mapped_column(DateTime)
    flagged_at: Mapped[datetime | None] = mapped_column(DateTime)
    flag_reason: Mapped[str | None] = mapped_column(Text)


class FlagReview(Base):
    """An admin's decision on a flagged item, keeping the flag itself (who, why, when) once the flagged
    assignment is gone: the item went to ``assigned_to``, back to the pool, or was retired."""

    __tablename__ = "flag_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("queue_items.id", ondelete="CASCADE"), index=True)
    flagged_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    flagged_at: Mapped[datetime] = mapped_column(DateTime)
    action: Mapped[FlagAction] = mapped_column(db_enum(FlagAction, "flag_action", 20))
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class GoldAnswer(Base):
    """The expected answer for one reply, set by an admin: items holding such a reply are *gold* items.

    ``answer`` is JSON keyed by question (``turn_type``, an axis key with a score or ``"na"``), as a
    rating's values are, so a new question needs no migration. Scores count as right within ``tolerance``.
    Annotators are never told which items are gold.
    """

    __tablename__ = "gold_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    generation_id: Mapped[int] = mapped_column(ForeignKey("generations.id", ondelete="CASCADE"), unique=True)
    answer: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tolerance: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
