"""CSV formula injection (OWASP): a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return as a formula (``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``).

Every text cell a CSV export writes goes through :func:`neutralise`, which puts a ``'`` in front of such a
cell, so spreadsheets show it as text. To stay lossless, a cell that already starts with ``'``s followed
by one of those characters gets one more ``'``; :func:`restore` (used when a BianQue CSV is imported)
removes exactly one. JSONL and Parquet are written verbatim.
"""

from __future__ import annotations

import re
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PROTECTED_PATTERN = r"'*[=+\-@\t\r]"  # a cell neutralise() changes starts with this
#: every first character of a cell that PROTECTED_PATTERN matches (a quote or a trigger): columns whose cells
#: start with none of them need no regex
FORMULA_FIRST_CHARACTERS = frozenset("'" + "".join(TRIGGERS))
_PROTECTED = re.compile(PROTECTED_PATTERN)


def neutralise(cell: object) -> object:
    """The cell as written to a CSV file: text that a spreadsheet would run as a formula gets a ``'``."""
    if isinstance(cell, str) and cell and _PROTECTED.match(cell):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """Undo :func:`neutralise` on a cell read back from one of our CSV files."""
    if cell.startswith("'") and _PROTECTED.match(cell, 1):
        return cell[1:]
    return cell


def safe_frame(df: Any, *, index: bool = False) -> Any:
    """A pandas DataFrame as it may be written to CSV: every text cell and header (and, with ``index``, the
    index labels, which :meth:`DataFrame.to_csv` then writes) through :func:`neutralise`. Names of columns,
    datasets, annotators and case fields are untrusted. Missing values stay missing."""
    safe = df.rename(columns=lambda c: neutralise(str(c))).astype(object).map(neutralise)
    if index:
        safe = safe.rename(index=neutralise)
        safe.index.name = neutralise(df.index.name)
    return safe
