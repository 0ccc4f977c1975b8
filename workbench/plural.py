"""English words that follow a count: "1 dialogue", "2 dialogues". One rule for messages written in code (the
command line, errors) and for the UI catalogue's ``{n:dialogue|dialogues}`` fields (``workbench/ui/i18n.py``)."""

from __future__ import annotations


def plural(n: float, one: str, other: str | None = None) -> str:
    """``one`` when ``n`` is 1, else ``other`` (by default ``one`` + "s")."""
    return one if n == 1 else (one + "s" if other is None else other)


def counted(n: int, one: str, other: str | None = None) -> str:
    """``n`` and the word that fits it: ``counted(1, "turn")`` is "1 turn", ``counted(3, "reply", "replies")``
    "3 replies"."""
    return f"{n} {plural(n, one, other)}"
