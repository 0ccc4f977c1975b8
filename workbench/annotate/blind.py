"""Blind column labels and counterbalanced column order.

Columns are shown as A/B/C… in an order taken from a balanced Latin square (Williams design): over
consecutive (item, slot) pairs every column appears equally often in every position, and every column
precedes every other one equally often, so neither position nor neighbour bias favours one model.

The running number of an item is counted *per doctor turn index* (the queue passes the item's rank among
the items at the same turn, see :func:`workbench.annotate.queue.turn_rank`), not its id: ids run
dialogue by dialogue, turn by turn, so with 3 rated turns per dialogue and k=2 the id alone put the same
column first at every first turn and never at the later ones, and a model's quality changing with the
turn then looked like position bias. Counted per turn, every column visits every position equally often
at each turn index, for every slot (so for each annotator) as well as overall, and an item's k annotators
get k consecutive (different) rows (:func:`order_index`).
Pure functions: the same (columns, rank, slot) always give the same order.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from workbench.errors import InputError


def slot_label(index: int) -> str:
    """``0 -> "A"``, ``1 -> "B"`` …; beyond Z, ``AA``, ``AB`` …"""
    if index < 0:
        raise InputError(f"a column position cannot be negative, got {index}")
    letters = string.ascii_uppercase
    label = ""
    n = index
    while True:
        label = letters[n % 26] + label
        n = n // 26 - 1
        if n < 0:
            return label


def slot_labels(n: int) -> list[str]:
    """The first ``n`` blind labels."""
    return [slot_label(i) for i in range(n)]


def williams_square(n: int) -> list[list[int]]:
    """Rows of a balanced Latin square for ``n`` treatments (``2n`` rows when ``n`` is odd).

    Row ``r`` is ``(r + f(j)) mod n`` with ``f = 0, 1, n-1, 2, n-2, …``; for odd ``n`` the mirrored rows
    are appended, because one square alone cannot balance who-follows-whom.
    """
    if n < 1:
        return []
    offsets = [0]
    lo, hi = 1, n - 1
    while len(offsets) < n:
        offsets.append(lo)
        lo += 1
        if len(offsets) < n:
            offsets.append(hi)
            hi -= 1
    rows = [[(r + f) % n for f in offsets] for r in range(n)]
    if n % 2 == 1:
        rows += [list(reversed(row)) for row in rows]
    return rows


def order_index(rank: int, slot: int) -> int:
    """The square's row (before wrapping) for ``slot`` of the item numbered ``rank``: ``rank + slot``.

    Each slot's row advances by one per item, so whoever holds a slot (in practice an annotator who usually
    claims first, or second) cycles through every row of the square; an item's k holders get k consecutive,
    different rows. ``rank * k + slot`` gave slot 0 only the even rows of a 6-row square when k = 2, and
    with 3 columns an annotator who claimed first never saw some column in some position.
    """
    return rank + slot


def counterbalanced_order(columns: Sequence[str], rank: int, slot: int) -> list[str]:
    """The column order shown to the annotator holding ``slot`` (0, 1, …) of the item numbered ``rank``
    among the items at its turn index (0, 1, 2 … in the order they were queued).

    Columns are first put in a canonical (sorted) order so the result depends only on the set of
    columns, not on the order the database returned them in.
    """
    canon = sorted(dict.fromkeys(columns))
    if len(canon) <= 1:
        return canon
    rows = williams_square(len(canon))
    row = rows[order_index(rank, slot) % len(rows)]
    return [canon[i] for i in row]
