"""The annotator's actions as the Rate tab and the JSON API take them, one store session per action.

Reading what a screen shows (the item, the annotator's own answers, the progress line) uses a read
session: it takes no write lock, so it never waits behind another annotator's submit. Actions that write
(claiming, submitting) run in one write transaction each; a submit's transaction commits before the next
item is claimed, so that nothing is acknowledged that was not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from workbench.annotate import offer, queue, ratings
from workbench.annotate.queue import ItemView, Progress
from workbench.annotate.ratings import PreferenceForm, PreferenceView, RatingForm, RatingView
from workbench.annotate.rubric import Rubric
from workbench.auth import CurrentUser
from workbench.errors import WorkbenchError
from workbench.store.engine import Store
from workbench.vocab import FlagAction

#: what the caller makes of the item it submits: (generation id -> form, the preference or None)
Answers = Callable[[ItemView], tuple[Mapping[int, RatingForm], PreferenceForm | None]]


@dataclass(frozen=True)
class Screen:
    """Everything the Rate tab shows for an item (``item`` None: nothing is open)."""

    item: ItemView | None
    progress: Progress
    ratings: Mapping[int, RatingView | None] = field(default_factory=dict)  # generation id -> own answer
    preference: PreferenceView | None = None
    resumed: bool = False


@dataclass(frozen=True)
class Submitted:
    """A committed submit, and the next screen (or why the next item could not be claimed)."""

    done: ItemView
    stored: Mapping[int, RatingView | None]
    next: Screen | None
    next_error: WorkbenchError | None = None


def _screen(s: Session, user: CurrentUser, item: ItemView | None, k: int, *, answers: bool = True,
            resumed: bool = False) -> Screen:
    progress = queue.progress(s, user, k)
    if item is None:
        return Screen(None, progress, resumed=resumed)
    mine = ratings.get_ratings(s, user, [r.generation_id for r in item.replies])
    pref = ratings.get_preference(s, user, item.item_id) if answers else None
    return Screen(item, progress, mine, pref, resumed)


def screen(store: Store, user: CurrentUser, item_id: int | None, k: int, *, answers: bool = True,
           resumed: bool = False) -> Screen:
    """The screen of an item the user holds (or of none), read without taking the write lock."""
    with store.read() as s:
        item = queue.open_item(s, user, item_id) if item_id is not None else None
        return _screen(s, user, item, k, answers=answers, resumed=resumed)


def open_item(store: Store, user: CurrentUser, item_id: int | None) -> ItemView | None:
    """An item the user holds, as they see it (a read session)."""
    if item_id is None:
        return None
    with store.read() as s:
        return queue.open_item(s, user, item_id)


def claim_next(store: Store, user: CurrentUser, k: int, gold_rate: float = 0.0, *,
               sync: bool = True) -> queue.Claim | None:
    """Resume the user's open item or claim a new one, in one transaction.

    ``sync=False`` (after a submit) claims from the items already queued first: new generations are
    queued (a scan of the generations) only when none is left, so the next item does not wait for it.
    """
    with store.session() as s:
        return _claim(s, user, k, gold_rate, sync=sync)


def _claim(s: Session, user: CurrentUser, k: int, gold_rate: float, *, sync: bool) -> queue.Claim | None:
    if sync:
        queue.sync_queue(s)
    claim = queue.take_next(s, user, k, gold_rate)
    if claim is None and not sync and queue.sync_queue(s):
        claim = queue.take_next(s, user, k, gold_rate)
    return claim


def next_screen(store: Store, user: CurrentUser, k: int, gold_rate: float = 0.0, *, sync: bool = True) -> Screen:
    """Claim (see :func:`claim_next`) and read the screen of the item claimed."""
    claim = claim_next(store, user, k, gold_rate, sync=sync)
    if claim is None:
        return screen(store, user, None, k)
    return screen(store, user, claim.item_id, k, resumed=claim.resumed)


def progress(store: Store, user: CurrentUser, k: int) -> queue.Progress:
    """The user's progress line as the store counts it now (read only: after an answer changed an item's state)."""
    with store.read() as s:
        return queue.progress(s, user, k)


def current_progress(store: Store, user: CurrentUser, k: int) -> queue.Progress:
    """The user's progress line now, with generations made since the page loaded queued (an imported dataset's)."""
    with store.session() as s:
        queue.sync_queue(s)
    with store.read() as s:
        return queue.progress(s, user, k)


def restore(store: Store, user: CurrentUser, k: int) -> Screen:
    """Page load: queue new generations and show the item the user was working on, if any."""
    with store.session() as s:
        queue.sync_queue(s)
        held = queue.open_assignment(s, user)
    return screen(store, user, held.item_id if held else None, k)


def submit(store: Store, user: CurrentUser, item_id: int, answers: Answers, *, rubric: Rubric, blind: bool,
           k: int, gold_rate: float = 0.0, claim: bool = True, report: bool = False,
           on_stored: Callable[[], None] | None = None) -> Submitted:
    """Submit every answer of an item and claim the next item, in one transaction; then read the next screen.

    The claim comes after the submit, in the same transaction (one write lock, one commit): a submit that
    fails claims nothing, and a claim that fails (a :class:`WorkbenchError`) leaves the submit standing.
    ``report``: also read back the stored answers (``Submitted.stored``), as the JSON API acknowledges them.
    ``on_stored``: called in the write transaction once the answers are stored (a draft's ``superseded`` reads it there).
    """
    next_claim: queue.Claim | None = None
    next_error: WorkbenchError | None = None
    with store.session() as s:
        item = queue.open_item(s, user, item_id)
        held = queue.held_for_review(item)
        if held is not None:
            if not item.completed:  # a submitted answer stays as it is (an autosave keeps any edit)
                _keep_as_drafts(s, user, item, answers, rubric=rubric, blind=blind)
        else:
            forms, pform = answers(item)
            done = ratings.submit_item(s, user, item, forms, pform, rubric=rubric, blind=blind)
            if on_stored is not None:
                on_stored()
            stored = ratings.get_ratings(s, user, [r.generation_id for r in done.replies]) if report else {}
            if claim:
                try:
                    with s.begin_nested():
                        next_claim = _claim(s, user, k, gold_rate, sync=False)
                except WorkbenchError as e:
                    next_error = e
    if held is not None:  # refused after the commit, so that the drafts are stored
        raise held
    # Committed: from here on the submit may be acknowledged.
    if not claim or next_error is not None:
        return Submitted(done, stored, None, next_error)
    try:
        nxt = screen(store, user, next_claim.item_id if next_claim else None, k,
                     resumed=next_claim.resumed if next_claim else False)
    except WorkbenchError as e:  # the submit stands; only reading the next item failed
        return Submitted(done, stored, None, e)
    return Submitted(done, stored, nxt)


def _keep_as_drafts(s: Session, user: CurrentUser, item: ItemView, answers: Answers, *, rubric: Rubric,
                    blind: bool) -> None:
    """Store what was sent for an item that may not be submitted as the annotator's drafts: nothing typed is
    lost. Answers that cannot be read or stored even as drafts are left as the last autosave stored them."""
    try:
        with s.begin_nested():
            forms, pform = answers(item)
            for generation_id, form in forms.items():
                ratings.save_draft(s, user, generation_id, form, rubric=rubric, blind=blind)
            if pform is not None and len(item.groups) > 1:
                ratings.save_preference(s, user, item.item_id, pform, rubric=rubric, submit=False, blind=blind)
    except WorkbenchError:
        pass


def skip(store: Store, user: CurrentUser, item_id: int) -> bool:
    """Put the open item back: it comes again after the annotator's new items (False: it was not open)."""
    with store.session() as s:
        return queue.skip_item(s, user, item_id)


def flag(store: Store, user: CurrentUser, item_id: int, reason: str) -> None:
    """Flag an item as broken, with the annotator's reason: out of this annotator's queue for good, and their
    answers to it (submitted ones too) withdrawn, so the flag and the answers never both count."""
    with store.session() as s:
        ratings.withdraw_item(s, user, item_id)  # first: a flagged item can no longer be opened
        queue.flag_item(s, user, item_id, reason)


def _submitted(s: Session, user: CurrentUser, item_id: int | None) -> bool:
    a = queue.user_assignment(s, user, item_id) if item_id is not None else None
    return a is not None and a.completed_at is not None


def save_group_draft(store: Store, user: CurrentUser, generation_ids: list[int], form: RatingForm, *,
                     rubric: Rubric, blind: bool, unless_submitted: int | None = None,
                     held_item: int | None = None, changed: frozenset[str] | None = None,
                     superseded: Callable[[], bool] | None = None) -> RatingView | None:
    """Autosave one answer for a group of identical replies (stored for each); returns the last one stored.

    ``changed``: the fields (:func:`ratings.merge_changed`) the page changed since its last save; the others keep
    the stored answer, read in the write transaction (another tab of the same annotator may have saved them).
    None: the whole form is the answer.

    ``unless_submitted``: an item id; the draft was read while that item was open, so once the item is submitted
    it is stale (it ran after the submit: events run concurrently) and nothing is saved (None). Checked in the
    write transaction, so that a submit cannot commit between the check and the draft.
    ``held_item``: the item the replies were read from earlier (the Rate tab keeps their ids in the session);
    the annotator must still hold it (:class:`AuthError` otherwise), checked in the same transaction.
    ``superseded``: whether a submit sent after this draft has stored the item's answers; asked in the write
    transaction, and nothing is saved (None) when it has: an item shown submitted (after Back) takes drafts, but one
    sent before its re-submit and run after it would make the answer a draft of earlier values again."""
    if not generation_ids:
        raise ValueError("a group has at least one reply")
    with store.session() as s:
        if held_item is not None and queue.user_assignment(s, user, held_item) is None:
            raise queue.not_yours(s, user, held_item)
        if _submitted(s, user, unless_submitted) or (superseded is not None and superseded()):
            return None
        if changed is not None:
            # one answer for the group: the first reply's is the group's
            before = ratings.get_ratings(s, user, generation_ids[:1])[generation_ids[0]]
            if before is not None:
                form = ratings.merge_changed(form, before.form, changed)
        for gid in generation_ids:
            stored = ratings.save_draft(s, user, gid, form, rubric=rubric, blind=blind)
    return stored


def nothing_to_save(store: Store, user: CurrentUser, generation_ids: list[int], form: RatingForm) -> bool:
    """A blank answer where the user has none: tabbing through an item's text boxes (leaving one saves it) wrote
    an empty draft for every reply, and the item counted as started. A blank answer over one the user has is kept:
    it clears that answer."""
    if not form.is_blank():
        return False
    with store.read() as s:
        return not any(ratings.get_ratings(s, user, generation_ids).values())


def save_preference_draft(store: Store, user: CurrentUser, item_id: int,
                          form: PreferenceForm | Callable[[ItemView], PreferenceForm], *,
                          rubric: Rubric, blind: bool, unless_submitted: bool = False,
                          superseded: Callable[[], bool] | None = None) -> PreferenceView | None:
    """Autosave the preference; ``unless_submitted``: not once the item is submitted; ``superseded``: not once a
    submit sent after it stored the item (see save_group_draft).
    ``form``: the preference, or how to make it from the item (opened once, in the write transaction)."""
    with store.session() as s:
        if (unless_submitted and _submitted(s, user, item_id)) or (superseded is not None and superseded()):
            return None
        return ratings.save_preference(s, user, item_id, form, rubric=rubric, submit=False, blind=blind)


def held_for_review(store: Store, item_id: int | None) -> bool:
    """Whether a flag on the item waits for an admin now (read after an autosave: what its answer says)."""
    if item_id is None:
        return False
    with store.read() as s:
        return offer.is_held(s, item_id)


def team(store: Store, user: CurrentUser) -> tuple[list[queue.AnnotatorProgress], list[queue.FlaggedItem]]:
    """The team view (admins): each annotator's progress, and the items flagged as broken."""
    with store.read() as s:
        return queue.annotator_progress(s, user), queue.flagged_items(s, user)


def review_flag(store: Store, admin: CurrentUser, item_id: int, flagged_by: str, action: FlagAction,
                assign_to: str | None = None) -> FlagAction:
    """Settle the flag ``flagged_by`` raised on an item (see :func:`queue.review_flag`); admins only."""
    with store.session() as s:
        return queue.review_flag(s, admin, item_id, flagged_by, action, assign_to).action


def hand_off_targets(store: Store, admin: CurrentUser, flagged_by: str | None = None) -> list[str]:
    """Who a flagged item may be handed to (see :func:`queue.hand_off_targets`); admins only."""
    with store.read() as s:
        return queue.hand_off_targets(s, admin, flagged_by)


def release_open(store: Store, admin: CurrentUser, username: str) -> int:
    """Hand an annotator's open items back to the pool; returns how many."""
    with store.session() as s:
        return queue.release_open(s, admin, username)


def my_items(store: Store, user: CurrentUser) -> list[tuple[int, bool]]:
    """The annotator's items, newest first, as (item id, submitted)."""
    with store.read() as s:
        return queue.my_items(s, user)


def my_items_described(store: Store, user: CurrentUser) -> list[tuple[int, bool, int, str]]:
    """:func:`my_items` with what tells them apart: (item id, submitted, doctor turn, the patient's message)."""
    with store.read() as s:
        rows = queue.my_items(s, user)
        cues = queue.item_cues(s, user, [i for i, _done in rows])
    return [(i, done, *cues.get(i, (0, ""))) for i, done in rows]


def previous_item(store: Store, user: CurrentUser, current_item_id: int | None) -> int | None:
    """The item the annotator held before ``current_item_id`` (for Back), or None."""
    with store.read() as s:
        return queue.previous_item(s, user, current_item_id)
