"""The values a scope can name, as the filter menus offer them: annotators, datasets and columns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from workbench.store.engine import Store
from workbench.store.schema import Dataset, Generation, Preference, Rating, User


@dataclass(frozen=True)
class ScopeChoices:
    annotators: list[str]  # every account that has rated or preferred something, by name
    datasets: list[str]  # every imported dataset, by name
    columns: list[str]  # the configured columns in their order, then columns only the store still holds


def scope_choices(store: Store, configured_columns: Sequence[str] = ()) -> ScopeChoices:
    """What the annotator, dataset and column menus offer (three small queries in one read session)."""
    with store.read() as s:
        # Only people with answers: an admin who never rated, or open mode's local user, filters to nothing.
        raters = select(Rating.user_id).union(select(Preference.user_id)).subquery()
        users = list(s.scalars(select(User.username).where(User.id.in_(select(raters.c.user_id)))
                               .order_by(User.username)))
        datasets = list(s.scalars(select(Dataset.name).order_by(Dataset.name)))
        stored = set(s.scalars(select(Generation.column_name).distinct()))
    columns = list(configured_columns) + sorted(stored - set(configured_columns))
    return ScopeChoices(users, datasets, columns)
