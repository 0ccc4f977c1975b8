"""Greeting turns: the fixed first reply the original apps show without calling a model.

A greeting says nothing about a model, so it is kept out of every metric, the rating queue and the
exports, and counted on its own. A stored reply is a greeting when its ``route`` is ``greeting`` (the
backends record that for every reply they did not generate). A dataset's gold doctor turn is a
greeting when its text equals one that the workbench greets with (the built-in one, or any greeting
text stored as a reply), e.g. a live chat that was exported and imported again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from workbench.prompts import GREETING
from workbench.store.schema import Generation
from workbench.vocab import GREETING_ROUTE


def is_greeting() -> ColumnElement[bool]:
    """SQL: the generation is a greeting."""
    return func.coalesce(Generation.route, "") == GREETING_ROUTE


def not_greeting() -> ColumnElement[bool]:
    """SQL: the generation is a real model reply (any route but ``greeting``)."""
    return func.coalesce(Generation.route, "") != GREETING_ROUTE


def greeting_texts(conn: Any) -> set[str]:
    """Every greeting text in use: the built-in one and those stored as greeting replies (stripped)."""
    stored = conn.execute(select(Generation.output).where(is_greeting()).distinct()).scalars().all()
    return {t.strip() for t in (GREETING, *stored) if isinstance(t, str) and t.strip()}
