"""Which page (Gradio session) of an annotator last submitted, or wrote drafts of, each item.

Two tabs of one annotator may hold the same item. The Rate tab uses these records to tell a page's own late draft
(a race, dropped quietly) from another page's work (which this page never showed, so it must not replace it).
Both are kept in memory for the most recent (user, item)s only: after a restart a page simply reloads."""
from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
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


@dataclass(frozen=True)
class _PageOrder:
    line: int = 0  # the latest seq whose answer wrote the saved line
    view_begun: int = 0  # the latest seq of a view event (a submit, Next, Back…) begun
    view: int = 0  # the seq of the view event whose answer drew the page last
    ref: str | None = None  # the item reference that view drew (None: not known here, e.g. after a restart)
    parts: Mapping[str, int] = field(default_factory=dict)  # per part (a reply's header…): the read it shows


class SentOrder:
    """The order in which a page sent its events (``seq``, numbered by the page's script), per (user, page).

    Events run concurrently, so an answer may reach the page after one sent later. *View* events draw an item
    (submit, Next, Back, Skip, Flag, Open, Reveal); *answer* events (autosaves, the preference) write the saved line
    and parts of the item drawn (a reply's header, the item line, the progress line).

    * A view's answer draws the page only while no view sent later has begun: a Back answered after a later Next
      drew item 1 over the item Next showed (walk s66), and a later view's state was read without it.
    * An answer writes only while the page shows the item reference it was read from (an autosave of item 2 answered
      after Back wrote "draft · version 1" into submitted item 1's header, walk s66); its saved line only while no
      answer sent later has written the line and no view sent later has begun (walk s65).
    * A part shows the latest read of the store (:meth:`read`, taken after a draft's commit, before a view's read):
      a draft's header overtaken by another box's save is still written, and never over a later read.
    * A draft sent before a submit of the same item that stored its answers is not written at all.

    What is left: the check is the handler's last step, but Gradio still post-processes the returned updates on its
    event loop (``Blocks.process_api``: ``postprocess_data``) before it queues the answer for the page
    (``Queue.send_message``). Two answers checked in one order may leave in the other within that moment; a lock
    cannot span it without wrapping Gradio's queue, as no hook runs once an answer is queued."""

    def __init__(self) -> None:
        self._pages: RecentPerItem[_PageOrder] = RecentPerItem(_PageOrder())
        # per (user, "page/item"): the latest seq of a submit that stored the item's answers
        self._stored: RecentPerItem[int] = RecentPerItem(0)
        self._reads = itertools.count(1)
        self._reads_lock = threading.Lock()

    def read(self) -> int:
        """A number that orders reads of the store: taken after a write is committed, or before a read."""
        with self._reads_lock:
            return next(self._reads)

    def view_begins(self, user_id: int, page: str | None, seq: int | None) -> None:
        if seq is not None:
            self._pages.change(user_id, page, lambda old: replace(old, view_begun=max(old.view_begun, seq)))

    def submit_stored(self, user_id: int, page: str | None, item_id: Any, seq: int | None) -> None:
        """Called in the submit's write transaction, once its answers are stored."""
        if seq is not None:
            self._stored.change(user_id, f"{page}/{item_id}", lambda old: max(old, seq))

    def draft_superseded(self, user_id: int, page: str | None, item_id: Any, seq: int | None) -> bool:
        """Whether a submit of the item sent by the page after this draft stored its answers (checked in the draft's
        write transaction: the draft would turn the submitted answer back into a draft of earlier values)."""
        return seq is not None and self._stored.get(user_id, f"{page}/{item_id}") > seq

    def may_draw(self, user_id: int, page: str | None, seq: int | None, ref: str, read: int,
                 parts: Iterable[str]) -> frozenset[str] | None:
        """Whether a view's answer (sent as ``seq``, drawing ``ref`` from a read taken as ``read``) may draw the
        page: None when not; else the ``parts`` it writes (those no later read of the same item has written).
        Asked last, as the answer is returned; it is then the page's view."""
        kept: frozenset[str] | None = None

        def draw(old: _PageOrder) -> _PageOrder:
            nonlocal kept
            if seq is not None and (seq < old.view_begun or seq <= old.view):
                return old
            same = old.ref == ref
            kept = frozenset(p for p in parts if not same or read > old.parts.get(p, 0))
            shown = {**(old.parts if same else {}), **dict.fromkeys(kept, read)}
            return replace(old, view=old.view if seq is None else seq, ref=ref, parts=shown)
        self._pages.change(user_id, page, draw)
        return kept

    def may_show(self, user_id: int, page: str | None, seq: int | None, ref: str | None = None, read: int = 0,
                 parts: Iterable[str] = ()) -> tuple[bool, frozenset[str]]:
        """Whether the answer of the event sent as ``seq``, read from the page showing ``ref``, may write the page's
        saved line, and which of its ``parts`` (each from the store as read at ``read``) it writes. Asked last, as
        the answer is returned: what a handler reads after its write (whether the item is held) may take a while
        while a submit runs."""
        line, kept = False, frozenset[str]()

        def show(old: _PageOrder) -> _PageOrder:
            nonlocal line, kept
            if ref is not None and old.ref is not None and old.ref != ref:
                return old  # the page shows another item (or the item in another state) now
            line = seq is None or (seq > old.line and seq > old.view_begun)
            kept = frozenset(p for p in parts if read > old.parts.get(p, 0))
            return replace(old, line=seq if line and seq is not None else old.line,
                           parts={**old.parts, **dict.fromkeys(kept, read)})
        self._pages.change(user_id, page, show)
        return line, kept
