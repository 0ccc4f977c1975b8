"""Annotator quality and gold replies through the store: what the Quality tab calls, one session each.

The rules (who may see what, what a valid gold answer is) live in ``workbench.analysis.annotator_quality``
and ``workbench.annotate.gold``; this module only owns the sessions, so the tab holds no SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from workbench.analysis.annotator_quality import annotator_quality
from workbench.annotate.gold import GoldLine, gold_candidates, import_gold, list_gold, mark_gold
from workbench.annotate.rubric import Rubric
from workbench.auth import CurrentUser
from workbench.store.engine import Store


def quality_frame(store: Store, viewer: CurrentUser, method: str = "dawid-skene") -> pd.DataFrame:
    """One row per annotator (admins and researchers); see :func:`annotator_quality`."""
    with store.session() as s:
        return annotator_quality(s, viewer, method)


def gold_rows(store: Store, viewer: CurrentUser) -> list[dict[str, Any]]:
    """Every gold reply with its expected answers (admins only)."""
    with store.session() as s:
        return list_gold(s, viewer)


def gold_candidate_rows(store: Store, admin: CurrentUser, dialogue_id: int) -> list[dict[str, Any]]:
    """The replies of one dialogue an admin may mark as gold, with their generation ids (admins only)."""
    with store.read() as s:
        return gold_candidates(s, admin, dialogue_id)


def mark_gold_reply(store: Store, admin: CurrentUser, row: Mapping[str, Any], *, tolerance: int = 0,
                    rubric: Rubric | None = None) -> None:
    """Mark one reply as gold with its expected answers to ``rubric``'s questions (admins only)."""
    with store.session() as s:
        mark_gold(s, admin, row, tolerance=tolerance, rubric=rubric)


def import_gold_rows(store: Store, admin: CurrentUser, rows: Iterable[Mapping[str, Any] | GoldLine], *,
                     rubric: Rubric | None = None) -> int:
    """Mark every row's reply as gold, all or nothing (admins only); returns how many."""
    with store.session() as s:
        return import_gold(s, admin, rows, rubric=rubric)
