"""Which page (Gradio session) of an annotator last submitted, or wrote drafts of, each item.

Two tabs of one annotator may hold the same item. The Rate tab uses these records to tell a page's own late draft
(a race, dropped quietly) from another page's work (which this page never showed, so it must not replace it).
Both are kept in memory for the most recent (user, item)s only: after a restart a page simply reloads."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class RecentPerItem(Generic[V]):
    """A value per (user, item), kept for the ``LIMIT`` most recently changed pairs; safe across threads."""

    LIMIT = 10_000

    def __init__(self, empty: V) -> None:
        self._empty = empty
        self._by: OrderedDict[tuple[int, str], V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, user_id: int, item_id: Any) -> V:
        with self._lock:
            return self._by.get((user_id, str(item_id)), self._empty)

    def change(self, user_id: int, item_id: Any, new: Callable[[V], V]) -> None:
        """Replace the pair's value with ``new(old)``, atomically, and make it the most recent."""
        key = (user_id, str(item_id))
        with self._lock:
            self._by[key] = new(self._by.get(key, self._empty))
            self._by.move_to_end(key)
            while len(self._by) > self.LIMIT:
                self._by.popitem(last=False)


class RecentSubmitters:
    """The page that last submitted each (user, item)."""

    def __init__(self) -> None:
        self._last: RecentPerItem[str | None] = RecentPerItem(None)

    def mark(self, user_id: int, item_id: Any, session: str | None) -> None:
        self._last.change(user_id, item_id, lambda _old: session)

    def by(self, user_id: int, item_id: Any) -> str | None:
        return self._last.get(user_id, item_id)


class DraftWriters:
    """How many drafts of each (user, item) were written, and which of them each page wrote last. A page may
    submit only when every draft written since it drew the item is its own: a draft saves only the fields its
    page changed, so another tab's saved answers were never on this page."""

    def __init__(self) -> None:
        # (drafts written, {page: number of its latest draft})
        self._drafts: RecentPerItem[tuple[int, dict[str | None, int]]] = RecentPerItem((0, {}))

    def wrote(self, user_id: int, item_id: Any, session: str | None) -> None:
        def add(old: tuple[int, dict[str | None, int]]) -> tuple[int, dict[str | None, int]]:
            count, last = old
            return count + 1, {**last, session: count + 1}
        self._drafts.change(user_id, item_id, add)

    def count(self, user_id: int, item_id: Any) -> int:
        return self._drafts.get(user_id, item_id)[0]

    def others_since(self, user_id: int, item_id: Any, seen: int, session: str | None) -> bool:
        """Whether a page other than ``session`` wrote a draft after the ``seen``-th."""
        _, last = self._drafts.get(user_id, item_id)
        return any(n > seen for page, n in last.items() if page != session)
