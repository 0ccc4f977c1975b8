"""Which stored answers count as results: one rule, as SQL, for every statistic and every export.

An answer counts when it is *submitted* (drafts and discarded answers are not results) and it is not an
answer to a *retired* item, unless the reader asks for those too (``include_retired``).

*Answers to a retired item*: a rating item (:class:`QueueItem`) is one doctor position of one dialogue
(``dialogue_id``, ``turn_index``) shown with every column's reply there. Its answers are

* the ratings of the generations at that position (any column, any annotator): a reply is rated only
  through the one item of its position;
* the preferences (best reply, tie, all bad, ranking) given at that position.

An item is retired when an admin settles a flag on it with ``FlagAction.RETIRED``
(:func:`workbench.annotate.offer.retired_items`): the item is broken (a garbled reply, private data, an
unusable dialogue), so, as Argilla's discarded records, what was said about it leaves the data. The rows
stay in the store, with their versions, for audit. Callers own the session; these only build clauses.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, select

from workbench.annotate.offer import retired_items
from workbench.store.schema import Generation, Preference, QueueItem, Rating
from workbench.vocab import AnswerStatus


def retired_generations() -> Select[int]:
    """The ids of the replies at a retired item's position. Uncorrelated: read once per query."""
    return (select(Generation.id)
            .join(QueueItem, and_(QueueItem.dialogue_id == Generation.dialogue_id,
                                  QueueItem.turn_index == Generation.turn_index))
            .where(QueueItem.id.in_(retired_items())))


def _at_retired_item() -> ColumnElement[bool]:
    """The ``Preference`` row is given at a retired item's position (correlated: one index lookup a row)."""
    return select(QueueItem.id).where(QueueItem.dialogue_id == Preference.dialogue_id,
                                      QueueItem.turn_index == Preference.turn_index,
                                      QueueItem.id.in_(retired_items())).exists()


def counted_rating(*, include_retired: bool = False) -> ColumnElement[bool]:
    """A ``Rating`` that counts in statistics and exports (see the module docstring)."""
    submitted = Rating.status == AnswerStatus.SUBMITTED
    return submitted if include_retired else and_(submitted, Rating.generation_id.not_in(retired_generations()))


def retired_rating() -> ColumnElement[bool]:
    """A submitted ``Rating`` left out because its item is retired (counted for the export's report)."""
    return and_(Rating.status == AnswerStatus.SUBMITTED, Rating.generation_id.in_(retired_generations()))


def counted_preference(*, include_retired: bool = False) -> ColumnElement[bool]:
    """A ``Preference`` that counts in statistics and exports (see the module docstring)."""
    submitted = Preference.status == AnswerStatus.SUBMITTED
    return submitted if include_retired else and_(submitted, ~_at_retired_item())


def retired_preference() -> ColumnElement[bool]:
    """A submitted ``Preference`` left out because its item is retired (counted for the export's report)."""
    return and_(Preference.status == AnswerStatus.SUBMITTED, _at_retired_item())


__all__ = ["counted_preference", "counted_rating", "retired_generations", "retired_preference", "retired_rating"]
