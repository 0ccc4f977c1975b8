"""The Rate tab's keyboard shortcuts: one table, from which the in-app help and the README's table are made.

The keys themselves are handled in ``assets/rate_keys.js``; ``tests/test_rate_flow.py`` checks that the README
shows exactly :func:`shortcuts_table` in English, and the keyboard-only browser test presses these keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.ui import i18n


@dataclass(frozen=True)
class Shortcut:
    keys: tuple[str, ...]  # shown as <kbd>; a "–" or "/" between two keys is written as its own entry
    action: str  # catalogue key of what the keys do


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut(("1", "–", "5"), "rate.key.score"),
    Shortcut(("0",), "rate.key.na"),
    Shortcut(("Y",), "rate.key.accept"),
    Shortcut(("[", "/", "]"), "rate.key.axes"),
    Shortcut(("A", "B", "C", "…"), "rate.key.best"),
    Shortcut(("T",), "rate.key.tie"),
    Shortcut(("X",), "rate.key.all_bad"),
    Shortcut(("H",), "rate.key.diff"),
    Shortcut(("Enter",), "rate.key.submit"),
    Shortcut(("N",), "rate.key.next"),
    Shortcut(("U",), "rate.key.back"),
    Shortcut(("S",), "rate.key.skip"),
    Shortcut(("Esc",), "rate.key.escape"),
)

_SEPARATORS = {"–", "/", "…"}


def _keys_cell(keys: tuple[str, ...]) -> str:
    return " ".join(k if k in _SEPARATORS else f"<kbd>{k}</kbd>" for k in keys)


def shortcuts_table(lang: str) -> str:
    """The shortcuts as a Markdown table in ``lang`` (the README holds the English one)."""
    rows = [f"| {i18n.t('rate.keys.key', lang)} | {i18n.t('rate.keys.action', lang)} |", "|---|---|"]
    rows += [f"| {_keys_cell(s.keys)} | {i18n.t(s.action, lang)} |" for s in SHORTCUTS]
    return "\n".join(rows)


def shortcuts_help(lang: str) -> str:
    """The in-app help panel: a line on when keys work, then the table."""
    return i18n.t("rate.keys.intro", lang) + "\n\n" + shortcuts_table(lang)
