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


class SentOrder:
    """The order in which a page sent its answer events (``seq``, numbered by the page's script), per (user, page).

    Events run concurrently, so an autosave sent just before a submit (or another save) may be answered after it:
    its "draft saved" line then replaced the submit's "submitted" one, though the store had the item submitted
    (walk s65). A page's saved line shows an answer only while no answer sent later has shown its own, and no submit
    sent later has begun (its answer rewrites the line); a draft sent before a submit of the same item that stored
    its answers is not written at all."""

    def __init__(self) -> None:
        # per (user, page): (the latest seq whose answer wrote the line, the latest seq of a submit begun)
        self._lines: RecentPerItem[tuple[int, int]] = RecentPerItem((0, 0))
        # per (user, "page/item"): the latest seq of a submit that stored the item's answers
        self._stored: RecentPerItem[int] = RecentPerItem(0)

    def submit_begins(self, user_id: int, page: str | None, seq: int | None) -> None:
        if seq is not None:
            self._lines.change(user_id, page, lambda old: (old[0], max(old[1], seq)))

    def submit_stored(self, user_id: int, page: str | None, item_id: Any, seq: int | None) -> None:
        """Called in the submit's write transaction, once its answers are stored."""
        if seq is not None:
            self._stored.change(user_id, f"{page}/{item_id}", lambda old: max(old, seq))

    def draft_superseded(self, user_id: int, page: str | None, item_id: Any, seq: int | None) -> bool:
        """Whether a submit of the item sent by the page after this draft stored its answers (checked in the draft's
        write transaction: the draft would turn the submitted answer back into a draft of earlier values)."""
        return seq is not None and self._stored.get(user_id, f"{page}/{item_id}") > seq

    def may_show(self, user_id: int, page: str | None, seq: int | None) -> bool:
        """Whether the answer of the event sent as ``seq`` may write the page's saved line (and it is then recorded
        as the latest that did). Asked last, as the answer is returned: what a handler reads after its write (whether
        the item is held) may take a while while a submit runs."""
        if seq is None:
            return True
        shown = False

        def show(old: tuple[int, int]) -> tuple[int, int]:
            nonlocal shown
            line, submit = old
            shown = seq > line and seq > submit
            return (seq, submit) if shown else old
        self._lines.change(user_id, page, show)
        return shown
