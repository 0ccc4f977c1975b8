"""The Rate tab's per-item page records: bounded, and a page's own drafts never count against it."""
from __future__ import annotations

from workbench.ui.rate_pages import DraftWriters, RecentPerItem, RecentSubmitters


def test_recent_per_item_forgets_the_least_recently_changed_pair() -> None:
    reg: RecentPerItem[int] = RecentPerItem(0)
    reg.LIMIT = 3
    for item in range(3):
        reg.change(1, item, lambda n: n + 1)
    reg.change(1, 0, lambda n: n + 1)  # item 0 becomes the most recent: item 1 is now the oldest
    reg.change(2, 9, lambda n: n + 5)
    assert reg.get(1, 0) == 2 and reg.get(1, 1) == 0 and reg.get(1, 2) == 1 and reg.get(2, 9) == 5
    assert reg.get(1, "0") == 2  # ids arrive as ints from the queue and as strings from the page


def test_submitters_are_per_user_and_item() -> None:
    subs = RecentSubmitters()
    subs.mark(1, 7, "tab-a")
    subs.mark(1, 7, "tab-b")
    subs.mark(2, 7, "tab-c")
    assert subs.by(1, 7) == "tab-b" and subs.by(2, 7) == "tab-c" and subs.by(1, 8) is None


def test_draft_writers_flag_only_other_pages_drafts_after_the_drawn_count() -> None:
    w = DraftWriters()
    w.wrote(1, 5, "a")
    seen_by_b = w.count(1, 5)  # tab b draws the item after a's first draft
    assert seen_by_b == 1
    w.wrote(1, 5, "b")
    assert not w.others_since(1, 5, seen_by_b, "b")  # only b's own draft since
    w.wrote(1, 5, "a")
    assert w.others_since(1, 5, seen_by_b, "b")  # a wrote after b drew the item
    assert not w.others_since(1, 5, w.count(1, 5), "b")  # after a reload b has seen it
    assert not w.others_since(2, 5, 0, "b")  # another annotator's item is separate


def test_a_view_answered_after_a_later_view_began_draws_nothing() -> None:
    """Walk s66: Back (sent 5th) answered after Next (sent 6th) drew item 1 over the item Next showed."""
    from workbench.ui.rate_pages import SentOrder

    order = SentOrder()
    order.view_begins(1, "p", 5)  # Back
    order.view_begins(1, "p", 6)  # Next
    assert order.may_draw(1, "p", 6, "2", order.read(), ["rate-header-0"]) == {"rate-header-0"}
    assert order.may_draw(1, "p", 5, "1", order.read(), ["rate-header-0"]) is None
    order.view_begins(1, "p", 7)  # a later Back drawn while Next's answer is still on its way: Next draws nothing
    assert order.may_draw(1, "p", 6, "2", order.read(), []) is None
    assert order.may_draw(1, "q", 3, "1", order.read(), []) is not None  # another page of the same user


def test_an_answer_read_from_another_item_than_the_page_shows_writes_nothing() -> None:
    """Walk s66: an autosave of item 2 answered after Back drew item 1 wrote item 2's saved line and its
    "draft · version 1" header into submitted item 1."""
    from workbench.ui.rate_pages import SentOrder

    order = SentOrder()
    order.may_draw(1, "p", None, "2", order.read(), ["rate-header-0"])  # page load: item 2
    order.view_begins(1, "p", 8)  # Back, sent after the autosave (7th)
    assert order.may_draw(1, "p", 8, "1:submitted", order.read(), ["rate-header-0"]) is not None
    assert order.may_show(1, "p", 7, "2", order.read(), ["rate-header-0"]) == (False, frozenset())
    # an edit of item 1 sent after Back writes its line and header; so does an answer of a page not known here
    assert order.may_show(1, "p", 9, "1:submitted", order.read(), ["rate-header-0"]) == (True, {"rate-header-0"})
    assert order.may_show(1, "r", 2, "4", order.read(), ["rate-header-1"]) == (True, {"rate-header-1"})


def test_a_header_overtaken_by_another_box_save_is_still_written_and_never_over_a_later_read() -> None:
    """Session 65's note: box A's draft answered after box B's lost its line and, with it, its header (the header
    kept "submitted · version 1" under a draft, version 2)."""
    from workbench.ui.rate_pages import SentOrder

    order = SentOrder()
    order.may_draw(1, "p", 3, "1:submitted", order.read(), ["rate-header-0", "rate-header-1"])  # Back to item 1
    read_a, read_b = order.read(), order.read()  # A (sent 4th) and B (sent 5th) committed in this order
    assert order.may_show(1, "p", 5, "1:submitted", read_b, ["rate-header-1"]) == (True, {"rate-header-1"})
    assert order.may_show(1, "p", 4, "1:submitted", read_a, ["rate-header-0"]) == (False, {"rate-header-0"})
    # a re-draw of the same item read before a later draft's commit leaves that draft's header
    stale = order.read()
    order.view_begins(1, "p", 7)
    late = order.read()
    assert order.may_show(1, "p", 6, "1:submitted", late, ["rate-header-0"]) == (False, {"rate-header-0"})
    assert order.may_draw(1, "p", 7, "1:submitted", stale, ["rate-header-0", "rate-header-1"]) == {"rate-header-1"}
