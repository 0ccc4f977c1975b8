"""Which rating items are in play, and which of them may be offered to an annotator: one rule, as SQL.

The queue (new items, skipped and open ones, Back), gold items and every progress count use these
predicates, so that an item is never offered by one path and hidden by another:

* an item is *live* until an admin retires it (a :class:`FlagReview` with ``FlagAction.RETIRED``); a retired
  item is offered to nobody, and no annotator's queue or progress counts it (its stored answers stay);
* a live item is *held* while an annotator's flag on it waits for an admin (an :class:`Assignment` with
  ``flagged_at``): it is offered to nobody, and holds already open on it are paused (not resumed, not
  submitted), until the admin keeps it (handed on, back to the pool) or retires it;
* a live item is *offerable* to a user unless it is held, they held its dialogue in Chat (they saw which
  column wrote which reply) or they flagged it as broken and an admin settled the flag (they never get it back).

Callers own the session; apart from :func:`is_retired` and :func:`is_held`, these only build clauses.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, exists, select
from sqlalchemy.orm import Session, aliased

from workbench.auth import CurrentUser
from workbench.store.schema import Assignment, Dialogue, FlagReview, QueueItem
from workbench.vocab import FlagAction


def retired_items() -> Select[int]:
    """The ids of the items an admin retired."""
    return select(FlagReview.item_id).where(FlagReview.action == FlagAction.RETIRED)


def live(item_id: SQLColumnExpression[int]) -> ColumnElement[bool]:
    """``item_id`` (``QueueItem.id``, ``Assignment.item_id``…) names an item that is not retired."""
    return item_id.not_in(retired_items())


def is_retired(s: Session, item_id: int) -> bool:
    """Whether an admin retired the item."""
    return s.scalar(select(retired_items().where(FlagReview.item_id == item_id).exists())) or False


def held_items() -> Select[int]:
    """The ids of the items with a flag no admin has settled yet (settling deletes the flagged assignment).

    Uncorrelated, so that a query reads the list once; the partial index ``ix_assignments_flagged_item`` holds
    just these rows (without it, each use scanned every assignment). An alias: inside a query on assignments,
    the bare table would be correlated with the outer row.
    """
    flagged = aliased(Assignment)
    return select(flagged.item_id).where(flagged.flagged_at.is_not(None))


def held(item_id: SQLColumnExpression[int]) -> ColumnElement[bool]:
    """``item_id`` names an item a flag holds until an admin settles it."""
    return item_id.in_(held_items())


def is_held(s: Session, item_id: int) -> bool:
    """Whether a flag on the item waits for an admin."""
    return s.scalar(select(exists().where(Assignment.item_id == item_id, Assignment.flagged_at.is_not(None)))) or False


def not_held(item_id: SQLColumnExpression[int]) -> ColumnElement[bool]:
    """``item_id`` names an item no open flag holds: one an admin may still throw out is rated by nobody."""
    return item_id.not_in(held_items())


def not_from_own_chats(user: CurrentUser) -> ColumnElement[bool]:
    """Items outside the dialogues ``user`` held in Chat: there they saw which column wrote each reply.

    Imported datasets (batch replies) are not excluded: importing shows no model output.
    """
    own = select(Dialogue.id).where(Dialogue.created_by == user.id, Dialogue.source != "dataset")
    return QueueItem.dialogue_id.not_in(own)


def not_offered_to(user: CurrentUser) -> ColumnElement[bool]:
    """Items never offered to ``user``: retired ones, and the ones they flagged as broken (once settled)."""
    flagged_by_them = select(FlagReview.item_id).where(FlagReview.flagged_by == user.id)
    return and_(live(QueueItem.id), QueueItem.id.not_in(flagged_by_them))


def offerable_to(user: CurrentUser) -> ColumnElement[bool]:
    """Queue items that may be offered to ``user`` (beyond the ones they already hold): not held for review,
    not from their own chats, not retired or flagged by them."""
    return and_(not_held(QueueItem.id), not_from_own_chats(user), not_offered_to(user))
