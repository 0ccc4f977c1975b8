"""The rating queue: items built from stored generations, k annotators per item, progress.

An *item* is one doctor position ``(dialogue_id, turn_index)`` that has at least one finished ``ok``
generation, from a live session or a batch run, once every reply there is in (:mod:`workbench.annotate.readiness`). Each item has ``k`` slots; an annotator takes one
by inserting an :class:`Assignment`. ``UNIQUE(item_id, slot)`` is what stops two annotators from both
getting the k-th slot at the same moment, and ``UNIQUE(item_id, user_id)`` stops an annotator from
seeing an item twice: a losing insert raises IntegrityError inside a SAVEPOINT, which is rolled back
alone, and the taker moves on to another slot or item. This works the same on SQLite and PostgreSQL.

Callers own the session (one per user action, see :meth:`Store.session`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.access import Permission, require_permission, roles_with
from workbench.annotate import readiness
from workbench.annotate.blind import counterbalanced_order, slot_label
from workbench.annotate.classifier import classify
from workbench.annotate.offer import held, is_retired, live, not_held, offerable_to
from workbench.annotate.offer import not_from_own_chats as not_from_own_chats  # re-exported for older callers
from workbench.annotate.offer import not_offered_to as not_offered_to  # re-exported for older callers
from workbench.auth import CurrentUser, signs_in_as
from workbench.errors import AuthError, InputError, WorkbenchError
from workbench.plural import counted
from workbench.privacy import deidentify, names_in
from workbench.store.greetings import not_greeting
from workbench.store.schema import (
    Assignment,
    Dialogue,
    FlagReview,
    Generation,
    Preference,
    QueueItem,
    Rating,
    Suggestion,
    Turn,
    utcnow,
)
from workbench.store.threads import ThreadRequest, read_threads
from workbench.vocab import GREETING_ROUTE as GREETING_ROUTE  # noqa: I001 (re-exported for older callers)
from workbench.vocab import (
    TURN_TYPE_QUESTION,
    AnswerStatus,
    FlagAction,
    GenerationStatus,
)

_MAX_CLAIM_ATTEMPTS = 64
FLAG_REASON_CHARS = 1000


@dataclass(frozen=True)
class MachineSuggestion:
    """The classifier's pre-annotation of a reply, kept apart from the human's answer."""

    turn_type: str
    confidence: float | None
    agent: str


@dataclass(frozen=True)
class ReplyView:
    """One column's reply as the annotator sees it (``column`` must stay hidden in blind mode)."""

    label: str
    column: str
    generation_id: int
    output: str  # as stored: what tells identical replies apart (never shown: see ``text``)
    history: tuple[tuple[str, str], ...]  # this column's own thread before the position, as shown: (role, text)
    suggestion: MachineSuggestion | None
    #: the reply as shown: ``output`` de-identified where the dialogue is another user's (see :func:`item_view`)
    text: str = ""


@dataclass(frozen=True)
class ItemView:
    item_id: int
    dialogue_id: int
    turn_index: int
    slot: int
    display_order: tuple[str, ...]
    history: tuple[tuple[str, str], ...]  # shared turns before the position: (role, text)
    history_diverges: bool  # True when earlier doctor turns differ per column (live sessions)
    replies: tuple[ReplyView, ...]
    completed: bool
    held: bool = False  # another annotator's flag on it waits for an admin: it cannot be submitted now

    def reply_by_label(self, label: str) -> ReplyView:
        for r in self.replies:
            if r.label == label:
                return r
        raise InputError(f"there is no reply {label!r} in this item; replies are {[r.label for r in self.replies]}")

    @property
    def groups(self) -> tuple[tuple[ReplyView, ...], ...]:
        """Replies grouped by byte-identical text, in display order (almost always groups of one).

        BianQue-1.0 and the hybrid's v1 route with one seed write the same bytes: such replies are shown
        once, one answer is stored for each of them, and they are never preferred over each other.
        """
        by_text: dict[str, list[ReplyView]] = {}
        for r in self.replies:
            by_text.setdefault(r.output, []).append(r)
        return tuple(tuple(g) for g in by_text.values())

    @property
    def preference_replies(self) -> tuple[ReplyView, ...]:
        """One reply per group: what a preference compares (identical twins are one choice)."""
        return tuple(g[0] for g in self.groups)

    def representative(self, label: str) -> ReplyView:
        """The reply standing for ``label``'s group in preferences."""
        target = self.reply_by_label(label)
        return next(g[0] for g in self.groups if target in g)


@dataclass(frozen=True)
class Claim:
    item_id: int
    slot: int
    display_order: tuple[str, ...]
    resumed: bool


@dataclass(frozen=True)
class Progress:
    k: int
    total_items: int
    mine_completed: int
    mine_open: int
    mine_available: int  # items this user could still take
    slots_completed: int
    slots_total: int
    items_completed: int  # items whose k slots are all completed
    mine_held: int = 0  # open items of this user paused: another annotator's flag waits for an admin
    items_held: int = 0  # unfinished items anyone's flag holds until an admin settles it

    @property
    def overall_fraction(self) -> float:
        return self.slots_completed / self.slots_total if self.slots_total else 0.0


@dataclass(frozen=True)
class AnnotatorProgress:
    user_id: int
    username: str
    completed: int
    open: int
    held: int = 0  # open items paused by another annotator's flag (see :func:`workbench.annotate.offer.held_items`)
    active: bool = True  # False: the account is disabled, and its open items hold slots until an admin releases them


# --------------------------------------------------------------------------------------------------
# Building items


def sync_queue(s: Session) -> int:
    """Create an item for every settled position with a finished ``ok`` generation and no item yet; idempotent.

    Returns the number of new items. A position waits while a reply there streams or a batch run that wrote there
    still owes it a column (:mod:`workbench.annotate.readiness`); finished items that gained a column open again.
    Greetings (a fixed reply, no model call) are never rated: a position whose only replies are greetings gets no
    item, and an item never shows a greeting.
    """
    has_item = exists().where(QueueItem.dialogue_id == Generation.dialogue_id,
                              QueueItem.turn_index == Generation.turn_index)
    rows = s.execute(
        select(Generation.dialogue_id, Generation.turn_index)
        .where(Generation.status == GenerationStatus.OK, ~has_item, not_greeting())
        .distinct()
        .order_by(Generation.dialogue_id, Generation.turn_index)
    ).all()
    added = 0
    backfill_suggestions(s)
    ready = readiness.settled(s, [(did, tix) for did, tix in rows])
    for did, tix in rows:
        if (did, tix) not in ready:
            continue
        # Another process may sync at the same moment; the unique (dialogue, turn) makes that harmless.
        try:
            with s.begin_nested():
                s.add(QueueItem(dialogue_id=did, turn_index=tix))
            added += 1
        except IntegrityError:
            continue
    readiness.reopen_grown_items(s)
    return added


def backfill_suggestions(s: Session) -> int:
    """Store the classifier's suggestion for every ratable reply that has none (replies written before
    suggestions were stored with them, or inserted directly); returns how many were added."""
    has_suggestion = exists().where(Suggestion.generation_id == Generation.id,
                                    Suggestion.question == TURN_TYPE_QUESTION)
    rows = s.execute(select(Generation.id, Generation.output)
                     .where(Generation.status == GenerationStatus.OK, not_greeting(), ~has_suggestion)).all()
    if not rows:
        return 0
    sugs = [(gid, classify(output or "")) for gid, output in rows]
    try:  # another process may fill them in at the same moment: then theirs stand
        with s.begin_nested():
            s.add_all([Suggestion(generation_id=gid, question=TURN_TYPE_QUESTION, value=sug.turn_type,
                                  score=sug.confidence, agent=sug.agent) for gid, sug in sugs])
    except IntegrityError:
        return 0
    return len(rows)


def item_columns(s: Session, item: QueueItem) -> list[str]:
    """Columns with a finished ``ok`` reply (not a greeting) at the item's position."""
    return sorted(set(s.scalars(
        select(Generation.column_name).where(Generation.dialogue_id == item.dialogue_id,
                                             Generation.turn_index == item.turn_index,
                                             Generation.status == GenerationStatus.OK, not_greeting())
    )))


def item_generations(s: Session, item: QueueItem, user_id: int | None = None) -> dict[str, Generation]:
    """column -> the reply to show: the one ``user_id`` already rated, else the newest ``ok`` one.

    Preferring the rated reply keeps an item stable for its annotator if a column is regenerated later.
    """
    gens = list(s.scalars(
        select(Generation).where(Generation.dialogue_id == item.dialogue_id,
                                 Generation.turn_index == item.turn_index, Generation.status == GenerationStatus.OK,
                                 not_greeting())
        .order_by(Generation.id)
    ))
    out: dict[str, Generation] = {g.column_name: g for g in gens}  # newest wins
    if user_id is not None and gens:
        rated = set(s.scalars(select(Rating.generation_id).where(
            Rating.user_id == user_id, Rating.generation_id.in_([g.id for g in gens]))))
        for g in gens:
            if g.id in rated:
                out[g.column_name] = g
    return out


# --------------------------------------------------------------------------------------------------
# Taking items


def _open_since() -> ColumnElement[datetime]:
    """When an open assignment became the holder's to work on: when they took it, or, for an item a flag held
    after they took it, when an admin kept the item. While it was held, Next gave them another item; that one
    stays their current item (Next keeps it, a reload restores it) and the returned one comes after it, not
    before (ordered by taking time alone, Next jumped from the item on screen to the returned one)."""
    kept = (select(func.max(FlagReview.reviewed_at)).where(FlagReview.item_id == Assignment.item_id)
            .scalar_subquery())
    return case((kept > Assignment.assigned_at, kept), else_=Assignment.assigned_at)


def open_assignment(s: Session, user: CurrentUser) -> Assignment | None:
    """The item this user holds and is working on: not completed, skipped or flagged (the first one they got
    to work on: :func:`_open_since`), nor held by someone else's flag (it comes back once an admin keeps the
    item)."""
    return s.scalars(
        select(Assignment).where(Assignment.user_id == user.id, Assignment.completed_at.is_(None),
                                 Assignment.skipped_at.is_(None), Assignment.flagged_at.is_(None),
                                 live(Assignment.item_id), not_held(Assignment.item_id))
        .order_by(_open_since(), Assignment.id).limit(1)
    ).first()


def _oldest_skipped(s: Session, user: CurrentUser) -> Assignment | None:
    return s.scalars(
        select(Assignment).where(Assignment.user_id == user.id, Assignment.completed_at.is_(None),
                                 Assignment.skipped_at.is_not(None), Assignment.flagged_at.is_(None),
                                 live(Assignment.item_id), not_held(Assignment.item_id))
        .order_by(Assignment.skipped_at, Assignment.id).limit(1)
    ).first()


def user_assignment(s: Session, user: CurrentUser, item_id: int) -> Assignment | None:
    return s.scalars(select(Assignment).where(Assignment.item_id == item_id, Assignment.user_id == user.id)).first()


def turn_rank(s: Session, item: QueueItem) -> int:
    """How many items at the item's turn index were queued before it: its running number in the blind order.

    Counted per turn index (not by item id, which runs dialogue by dialogue), so that every column shows
    in every position equally often at each turn (see :mod:`workbench.annotate.blind`). Only earlier
    items count, so an item's number never changes when new ones are queued; orders already given are
    stored with their assignment and keep their meaning whatever this returns later.
    """
    return int(s.scalar(select(func.count(QueueItem.id)).where(
        QueueItem.turn_index == item.turn_index, QueueItem.id < item.id)) or 0)


def _try_claim(s: Session, item: QueueItem, user: CurrentUser, slot: int, k: int) -> Assignment | None:
    order = counterbalanced_order(item_columns(s, item), turn_rank(s, item), slot)
    a = Assignment(item_id=item.id, user_id=user.id, slot=slot, display_order=order)
    try:
        with s.begin_nested():
            s.add(a)
        return a
    except IntegrityError:
        return None


def _claim_gold(s: Session, user: CurrentUser, k: int, rate: float) -> Claim | None:
    """Claim a gold item when one is due (:func:`~workbench.annotate.gold.gold_items_due`).

    Gold items take a slot beyond their k, so every annotator can get each of them.
    """
    from workbench.annotate.gold import gold_items_due

    for item_id in gold_items_due(s, user, rate):
        item = s.get(QueueItem, item_id)
        if item is None:
            continue
        slot = (s.scalar(select(func.max(Assignment.slot)).where(Assignment.item_id == item_id)) or 0) + 1
        a = _try_claim(s, item, user, max(slot, k), k)
        if a is not None:
            return Claim(item.id, a.slot, tuple(a.display_order), resumed=False)
    return None


def _one_claim_at_a_time(s: Session, user: CurrentUser) -> None:
    """Wait for the user's other claims (their other tabs) to commit, so that this one sees their open item.

    SQLite's write transactions already run one at a time (``BEGIN IMMEDIATE``). On PostgreSQL each tab's
    transaction saw no open item and claimed one of its own: Next in four tabs at once gave one annotator four
    open items, taking slots from the others. Locking the user's row makes their claims queue up; other
    annotators' claims do not wait. Not sent to SQLite, which would ignore it (a statement for nothing).
    """
    from workbench.store.schema import User

    if s.get_bind().dialect.name != "sqlite":
        s.execute(select(User.id).where(User.id == user.id).with_for_update())


def take_next(s: Session, user: CurrentUser, k: int, gold_rate: float = 0.0) -> Claim | None:
    """Resume the user's open item, or claim a free slot on a new one; None when nothing is left.

    Items that other annotators have started come first, so items reach their k ratings early.
    With ``gold_rate`` > 0, that share of the user's items are gold items (see :mod:`workbench.annotate.gold`).
    """
    if k < 1:
        raise InputError(f"annotators_per_item must be at least 1, got {k}")
    _one_claim_at_a_time(s, user)
    held = open_assignment(s, user)
    if held is not None:
        return Claim(held.item_id, held.slot, tuple(held.display_order), resumed=True)
    if gold_rate > 0:
        gold = _claim_gold(s, user, k, gold_rate)
        if gold is not None:
            return gold
    taken = (select(Assignment.item_id, func.count(Assignment.id).label("n"))
             .group_by(Assignment.item_id).subquery())
    n = func.coalesce(taken.c.n, 0)
    mine = select(Assignment.item_id).where(Assignment.user_id == user.id)
    attempts = 0
    while attempts < _MAX_CLAIM_ATTEMPTS:
        candidates = list(s.scalars(
            select(QueueItem).outerjoin(taken, taken.c.item_id == QueueItem.id)
            .where(n < k, QueueItem.id.not_in(mine), offerable_to(user))
            .order_by(n.desc(), QueueItem.id).limit(16)
        ))
        if not candidates:
            return _resume_skipped(s, user)
        for item in candidates:
            used = set(s.scalars(select(Assignment.slot).where(Assignment.item_id == item.id)))
            for slot in (x for x in range(k) if x not in used):
                attempts += 1
                a = _try_claim(s, item, user, slot, k)
                if a is not None:
                    return Claim(item.id, slot, tuple(a.display_order), resumed=False)
                if user_assignment(s, user, item.id) is not None:
                    break  # our own other tab got here first; this item is not available to us again
    # Only reachable under extreme contention; the caller can simply try again.
    return None


def _resume_skipped(s: Session, user: CurrentUser) -> Claim | None:
    """Nothing new is left: the items the user skipped come back, the longest-skipped first."""
    a = _oldest_skipped(s, user)
    if a is None:
        return None
    a.skipped_at = None
    return Claim(a.item_id, a.slot, tuple(a.display_order), resumed=True)


#: why an answer to an item the annotator no longer holds was refused (the error catalogue translates them)
RETIRED_NOT_SAVED = ("item #{item} was retired by an admin: nobody rates it any more, and nothing was saved; "
                     "press Next item")
SETTLED_NOT_SAVED = ("item #{item} is no longer yours: you flagged it as broken and an admin settled the flag; "
                     "nothing was saved; press Next item")
NOT_HELD = ("you do not hold item #{item} (an admin may have released it or handed it to someone else): nothing was "
            "saved; press Next item")
RELEASED_NOT_SAVED = ("item #{item} is no longer yours: an admin released it; nothing was saved (your earlier "
                      "drafts are kept); press Next item")


def not_yours(s: Session, user: CurrentUser, item_id: int) -> WorkbenchError:
    """Why ``user`` may not answer an item they do not hold: an admin retired it, settled their flag on it or
    released it from them (their page still shows it), or it was never theirs. "you do not hold this item" left the annotator who had been
    rating it a moment ago guessing."""
    if isinstance(item_id, int) and is_retired(s, item_id):
        return InputError(RETIRED_NOT_SAVED.format(item=item_id))
    flagged = select(FlagReview.id).where(FlagReview.item_id == item_id, FlagReview.flagged_by == user.id)
    if isinstance(item_id, int) and s.scalar(select(flagged.exists())):
        return AuthError(SETTLED_NOT_SAVED.format(item=item_id))
    answered = (select(Rating.id).join(Generation, Generation.id == Rating.generation_id)
                .join(QueueItem, and_(QueueItem.dialogue_id == Generation.dialogue_id,
                                      QueueItem.turn_index == Generation.turn_index))
                .where(QueueItem.id == item_id, Rating.user_id == user.id))
    if isinstance(item_id, int) and s.scalar(select(answered.exists())):
        return AuthError(RELEASED_NOT_SAVED.format(item=item_id))
    return AuthError(NOT_HELD.format(item=item_id))


def _held_open(s: Session, user: CurrentUser, item_id: int) -> Assignment:
    a = user_assignment(s, user, item_id) if isinstance(item_id, int) else None
    if a is None:
        raise not_yours(s, user, item_id)
    return a


def skip_item(s: Session, user: CurrentUser, item_id: int) -> bool:
    """Put an open item back for later: the user keeps it (drafts too) and gets it after their new items.

    Returns False (and changes nothing) for an item already submitted: moving on from it loses nothing.
    """
    a = _held_open(s, user, item_id)
    if a.completed_at is not None or a.flagged_at is not None:
        return False
    a.skipped_at = utcnow()
    return True


def flag_item(s: Session, user: CurrentUser, item_id: int, reason: str) -> None:
    """Flag an item as broken with the user's reason: it leaves their queue; admins see the flag."""
    from workbench.validation import validate_free_text

    text = validate_free_text(reason, FLAG_REASON_CHARS, "reason")
    if not text or not text.strip():
        raise InputError("say why the item is broken")
    a = _held_open(s, user, item_id)
    a.flagged_at = utcnow()
    a.flag_reason = text.strip()
    a.skipped_at = None
    a.completed_at = None  # a submitted item flagged afterwards is no longer done (its answers are withdrawn)


@dataclass(frozen=True)
class FlaggedItem:
    item_id: int
    dialogue_id: int
    turn_index: int
    username: str
    reason: str
    flagged_at: datetime


def flagged_items(s: Session, user: CurrentUser) -> list[FlaggedItem]:
    """Every item flagged as broken, newest first, with who flagged it and why; admins only."""
    from workbench.store.schema import User

    require_permission(user, Permission.TEAM, "only an admin can see flagged items")
    rows = s.execute(
        select(Assignment.item_id, QueueItem.dialogue_id, QueueItem.turn_index, User.username,
               Assignment.flag_reason, Assignment.flagged_at)
        .join(QueueItem, QueueItem.id == Assignment.item_id).join(User, User.id == Assignment.user_id)
        .where(Assignment.flagged_at.is_not(None)).order_by(Assignment.flagged_at.desc(), Assignment.id.desc())
    ).all()
    # the query keeps only flagged rows: flagged_at is set on every one
    return [FlaggedItem(i, d, t, u, r or "", f) for i, d, t, u, r, f in rows if f is not None]


def _flagged_assignment(s: Session, item_id: int, username: str) -> Assignment:

    flagger = signs_in_as(s, username, active=False)
    a = None if flagger is None else s.scalars(
        select(Assignment).where(Assignment.item_id == item_id, Assignment.user_id == flagger.id,
                                 Assignment.flagged_at.is_not(None))).first()
    if a is None:
        raise InputError(f"item #{item_id} has no open flag by {username.strip()}")
    return a


def _username(username: str | None) -> str:
    """The typed username, stripped; an empty box says what to type rather than "no user named ''"."""
    name = (username or "").strip()
    if not name:
        raise InputError("type a username")
    return name


def hand_off_targets(s: Session, admin: CurrentUser, flagged_by: str | None = None) -> list[str]:
    """The accounts a flagged item may be handed to, by name: active, and of a role that may rate
    (:mod:`workbench.access`), the one who flagged it left out; admins only. :func:`_rater` refuses the rest."""
    from workbench.store.schema import User

    require_permission(admin, Permission.TEAM, "only an admin can review flagged items")
    names = s.scalars(select(User.username).where(User.active.is_(True), User.role.in_(roles_with(Permission.RATE)))
                      .order_by(User.username))
    return [n for n in names if n != flagged_by]


def _rater(s: Session, username: str, item_id: int) -> int:
    """The id of the annotator an item may be handed to; :class:`InputError` saying why not otherwise."""

    name = _username(username)
    row = signs_in_as(s, name, active=False)
    if row is None:
        raise InputError(f"no user named {name}")
    name = row.username
    rater = CurrentUser(row.id, name, row.role)
    if not row.active:
        # ("may not rate" read as the role's: the account is the thing to change)
        raise InputError(f"{name}'s account is disabled: enable it under Data → Accounts first")
    if not rater.can(Permission.RATE):
        raise InputError(f"{name} may not rate")
    held = s.execute(select(Assignment.flagged_at).where(Assignment.item_id == item_id,
                                                         Assignment.user_id == row.id)).first()
    if held is not None and held.flagged_at is not None:
        # "already has" read as if the flagger could take it back; a flagger is never given the item again
        raise InputError(f"{name} flagged item #{item_id} and is never given it again")
    if held is not None:
        raise InputError(f"{name} already has item #{item_id}")
    if s.scalar(select(QueueItem.id).where(QueueItem.id == item_id, ~not_from_own_chats(rater))):
        raise InputError(f"{name} held this dialogue in Chat and cannot rate it blind")
    return row.id


def review_flag(s: Session, admin: CurrentUser, item_id: int, flagged_by: str, action: FlagAction,
                assign_to: str | None = None) -> FlagReview:
    """Settle a flag: hand the item to ``assign_to``, put it back in the pool, or retire it; admins only.

    The flag (who, why, when) moves to a :class:`FlagReview` with the decision, and the flagged slot is
    freed: the new annotator takes that slot (in its counterbalanced order), or anyone may (the pool). The
    one who flagged it never gets it again, and a retired item is given to nobody.
    """
    require_permission(admin, Permission.TEAM, "only an admin can review flagged items")
    action = FlagAction(action)
    a = _flagged_assignment(s, item_id, flagged_by)
    if action == FlagAction.REASSIGNED and is_retired(s, item_id):
        raise InputError(f"item #{item_id} is retired: it cannot be handed to anyone")
    target = _rater(s, assign_to or "", item_id) if action == FlagAction.REASSIGNED else None
    review = FlagReview(item_id=item_id, flagged_by=a.user_id, reason=a.flag_reason or "",
                        flagged_at=a.flagged_at, action=action, assigned_to=target, reviewed_by=admin.id)
    slot, order = a.slot, list(a.display_order)
    s.add(review)
    s.delete(a)
    s.flush()  # the slot is free before the new annotator takes it
    if target is not None:
        s.add(Assignment(item_id=item_id, user_id=target, slot=slot, display_order=order))
    if action == FlagAction.RETIRED:
        # Nobody rates it any more: open (unsubmitted) holds go; submitted answers and drafts stay stored.
        for held in s.scalars(select(Assignment).where(Assignment.item_id == item_id,
                                                       Assignment.completed_at.is_(None),
                                                       Assignment.flagged_at.is_(None))):
            s.delete(held)
    s.flush()
    return review


def previous_item(s: Session, user: CurrentUser, current_item_id: int | None) -> int | None:
    """The item the user submitted before ``current_item_id`` (or their last submitted one): "undo/back".

    Submitted items are walked newest first, so pressing back repeatedly goes further back.
    """
    done = list(s.scalars(
        select(Assignment.item_id).where(Assignment.user_id == user.id, Assignment.completed_at.is_not(None),
                                         Assignment.flagged_at.is_(None), live(Assignment.item_id))
        .order_by(Assignment.completed_at.desc(), Assignment.id.desc())))
    if current_item_id in done:
        i = done.index(current_item_id)
        return done[i + 1] if i + 1 < len(done) else None
    return done[0] if done else None


def complete_item(s: Session, user: CurrentUser, item_id: int, view: ItemView | None = None) -> None:
    """Mark the user's assignment done once every reply is submitted (and the preference, if >1 reply).

    ``view``: the item as opened in this session, whose replies need not be read again.
    """
    a = user_assignment(s, user, item_id)
    if a is None:
        raise AuthError("you do not hold this item")
    item = s.get(QueueItem, item_id)
    assert item is not None
    if view is not None and view.item_id == item_id:
        replies = {r.generation_id: r.output for r in view.replies}
    else:
        replies = {g.id: g.output for g in item_generations(s, item, user.id).values()}
    submitted = set(s.scalars(select(Rating.generation_id).where(
        Rating.user_id == user.id, Rating.status == AnswerStatus.SUBMITTED,
        Rating.generation_id.in_(list(replies)))))
    missing = [gid for gid in replies if gid not in submitted]
    if missing:
        raise InputError(f"{counted(len(missing), 'reply is', 'replies are')} not submitted yet")
    if len(set(replies.values())) > 1:  # identical twins are one choice: see ItemView.groups
        pref = s.scalars(select(Preference).where(
            Preference.dialogue_id == item.dialogue_id, Preference.turn_index == item.turn_index,
            Preference.user_id == user.id)).first()
        if pref is None or pref.status != AnswerStatus.SUBMITTED:
            raise InputError("the preference across replies is not submitted yet")
    if a.completed_at is None:
        a.completed_at = utcnow()
    a.skipped_at = None


# --------------------------------------------------------------------------------------------------
# Reading an item


def suggestions_of(s: Session, generation_ids: list[int]) -> dict[int, MachineSuggestion]:
    """generation id -> its latest turn-type suggestion, in one query; nothing is written.

    Suggestions are stored with the reply (:func:`workbench.store.generations.record_generation`) and
    filled in for older replies by :func:`sync_queue`; a reply still without one (a row inserted behind the
    queue's back) is classified here, in memory, so that the annotator always sees a suggestion.
    """
    rows = s.execute(
        select(Suggestion.generation_id, Suggestion.value, Suggestion.score, Suggestion.agent)
        .where(Suggestion.generation_id.in_(generation_ids), Suggestion.question == TURN_TYPE_QUESTION)
        .order_by(Suggestion.id)
    ).all()
    return {gid: MachineSuggestion(value, score, agent) for gid, value, score, agent in rows}  # the latest wins


def _classified(text: str) -> MachineSuggestion:
    sug = classify(text)
    return MachineSuggestion(sug.turn_type, sug.confidence, sug.agent)


def open_item(s: Session, user: CurrentUser, item_id: int) -> ItemView:
    """The item as its annotator sees it, in their counterbalanced order. Only for a holder of the item.

    Only reads (a read session will do): four queries for the item, the holder, the replies, the threads
    and the suggestions, whatever the number of columns.
    """
    row = s.execute(  # held and the dialogue's author: in the same query, so that a submit reads the item once
        select(QueueItem, Assignment, held(QueueItem.id), Dialogue.created_by)
        .join(Assignment, Assignment.item_id == QueueItem.id).join(Dialogue, Dialogue.id == QueueItem.dialogue_id)
        .where(QueueItem.id == item_id, Assignment.user_id == user.id)
    ).first() if isinstance(item_id, int) else None
    if row is None:
        if isinstance(item_id, int) and s.get(QueueItem, item_id) is not None:
            raise not_yours(s, user, item_id)
        raise InputError(f"no rating item #{item_id}")
    item, a, is_held_now, author = row.tuple()
    refuse_flagged(a)
    return item_view(s, user, item, a, held=bool(is_held_now), own_dialogue=author == user.id)


def refuse_flagged(a: Assignment) -> None:
    """An item its annotator flagged as broken waits for an admin: it is neither shown to them nor rated by them
    (answered anyway, it counted and exported as if the flag had never been raised)."""
    if a.flagged_at is not None:
        raise InputError(f"item #{a.item_id} is flagged as broken: it waits for an admin's review")


#: why an item another annotator flagged cannot be submitted (the error catalogue translates it)
HELD_FOR_REVIEW = ("item #{item} was flagged by another annotator and waits for an admin's review: nothing was "
                   "submitted; your answers are kept as drafts, and the item comes back to you if the admin keeps it")


def held_for_review(item: ItemView) -> InputError | None:
    """The refusal to submit an item while a flag on it waits for an admin (None: it may be submitted).

    Answers given now could feed statistics and exports for an item the admin then throws out, and would
    give the item an answer more than the admin saw when deciding.
    """
    return InputError(HELD_FOR_REVIEW.format(item=item.item_id)) if item.held else None


def item_view(s: Session, user: CurrentUser, item: QueueItem, a: Assignment, *, held: bool = False,
              own_dialogue: bool = False) -> ItemView:
    """The view of an item whose rows are already loaded (see :func:`open_item`); ``own_dialogue``: ``user`` began
    the item's dialogue (shown as typed; another's is shown de-identified)."""
    gens = item_generations(s, item, user.id)
    order = [c for c in a.display_order if c in gens] + sorted(c for c in gens if c not in a.display_order)
    shared_request = ThreadRequest(item.dialogue_id, None, item.turn_index)
    requests = {c: ThreadRequest(item.dialogue_id, c, item.turn_index) for c in order}
    threads = read_threads(s, [shared_request, *requests.values()])
    history = threads[shared_request].pairs()
    # A live session stores only patient turns as shared; earlier doctor turns are each column's own. Where
    # every column's own turns are the same (the app's greeting, a first reply), they are the shared history.
    own_threads = {c: threads[requests[c]].pairs() for c in order} if len(history) < item.turn_index else {}
    distinct = {tuple(t) for t in own_threads.values()}
    if len(distinct) == 1:
        history = own_threads[order[0]]
    diverges = len(distinct) > 1
    stored = suggestions_of(s, [g.id for g in gens.values()])
    shown = _shown_texts(own_dialogue, [t for _r, t in history] + [t for c in own_threads for _r, t in own_threads[c]]
                         + [g.output or "" for g in gens.values()])
    replies = []
    for pos, column in enumerate(order):
        g = gens[column]
        own = own_threads[column] if diverges else history
        sug = stored.get(g.id) or _classified(g.output or "")
        replies.append(ReplyView(slot_label(pos), column, g.id, g.output or "", _shown_pairs(own, shown), sug,
                                 shown(g.output or "")))
    return ItemView(item.id, item.dialogue_id, item.turn_index, a.slot, tuple(order), _shown_pairs(history, shown),
                    diverges, tuple(replies), a.completed_at is not None, held)


def _shown_texts(own_dialogue: bool, texts: list[str]) -> Callable[[str], str]:
    """How a text of the item's dialogue (one of ``texts``) is shown in Rate: as stored in a dialogue the rater began,
    de-identified as the exports are in any other (a patient's name, phone number or ID typed into one annotator's
    chat was shown verbatim to every annotator rating it: walk of session 72). Names found with confidence in
    one turn are hidden in every turn of the dialogue."""
    if own_dialogue:
        return lambda text: text
    known = tuple(names_in(texts))
    return lambda text: deidentify(text, known)[0]


def _shown_pairs(pairs: tuple[tuple[str, str], ...], shown: Callable[[str], str]) -> tuple[tuple[str, str], ...]:
    return tuple((role, shown(text)) for role, text in pairs)


def my_items(s: Session, user: CurrentUser) -> list[tuple[int, bool]]:
    """(item id, completed) for every item the user holds, newest first (retired items and the user's flagged
    ones are left out)."""
    rows = s.execute(select(Assignment.item_id, Assignment.completed_at)
                     .where(Assignment.user_id == user.id, live(Assignment.item_id), Assignment.flagged_at.is_(None))
                     .order_by(Assignment.id.desc())).all()
    return [(i, c is not None) for i, c in rows]


def item_cues(s: Session, user: CurrentUser, item_ids: list[int]) -> dict[int, tuple[int, str]]:
    """What tells the items of a list apart: (the doctor turn's index, the patient's message before it). "Item #8 ·
    submitted" alone did not say which dialogue to open. Only items the caller listed for ``user``. The message is
    shown as the item is (:func:`item_view`): de-identified where another user began the dialogue (walk of session
    72: the list quoted another annotator's patient by name), with the names found anywhere in that dialogue."""
    if not item_ids:
        return {}
    before = (select(func.max(Turn.idx)).where(Turn.dialogue_id == QueueItem.dialogue_id,
                                                Turn.idx < QueueItem.turn_index, Turn.role == "patient")
              .correlate(QueueItem).scalar_subquery())
    rows = s.execute(select(QueueItem.id, QueueItem.turn_index, Turn.text, QueueItem.dialogue_id, Dialogue.created_by)
                     .join(Dialogue, Dialogue.id == QueueItem.dialogue_id)
                     .outerjoin(Turn, and_(Turn.dialogue_id == QueueItem.dialogue_id, Turn.idx == before))
                     .where(QueueItem.id.in_(item_ids))).all()
    others = {did for _i, _t, _x, did, author in rows if author != user.id}
    texts: dict[int, list[str]] = {did: [] for did in others}
    if others:
        for did, text in s.execute(select(Turn.dialogue_id, Turn.text).where(Turn.dialogue_id.in_(others))):
            texts[did].append(text or "")
    shown = {did: _shown_texts(did not in others, texts.get(did, [])) for _i, _t, _x, did, _a in rows}
    return {i: (turn, shown[did](text or "")) for i, turn, text, did, _author in rows}


# --------------------------------------------------------------------------------------------------
# Progress


#: an assignment still to do (skipped ones included): not submitted, not flagged as broken
_OPEN = (Assignment.completed_at.is_(None), Assignment.flagged_at.is_(None))


def progress(s: Session, user: CurrentUser, k: int) -> Progress:
    """The user's own counts and the team's overall counts (no names: safe for every annotator)."""
    # A retired item counts nowhere: not in the total, not in anyone's done or open counts. An open item held
    # by another annotator's flag is not promised as open (the queue will not give it): it is counted apart.
    counted = live(Assignment.item_id)
    free = not_held(Assignment.item_id)
    per_item = (select(Assignment.item_id, func.count(Assignment.id).label("n"),
                       func.count(Assignment.completed_at).label("done"))
                .where(counted).group_by(Assignment.item_id).subquery())
    n_taken = func.coalesce(per_item.c.n, 0)
    mine = select(Assignment.item_id).where(Assignment.user_id == user.id)
    # every count as a scalar subquery of one SELECT: one round trip for the progress line
    row = s.execute(select(
        select(func.count(QueueItem.id)).where(live(QueueItem.id)).scalar_subquery(),
        select(func.count(Assignment.id)).where(Assignment.user_id == user.id, counted,
                                                Assignment.completed_at.is_not(None)).scalar_subquery(),
        select(func.count(Assignment.id)).where(Assignment.user_id == user.id, counted, *_OPEN, free).scalar_subquery(),
        # each item fills at most k slots: more were completed where k was lowered between starts (or gold answers
        # beyond the k slots), and counted whole they showed every slot done beside items nobody had rated
        select(func.sum(case((per_item.c.done > k, k), else_=per_item.c.done))).scalar_subquery(),
        select(func.count(QueueItem.id)).select_from(QueueItem)
        .outerjoin(per_item, per_item.c.item_id == QueueItem.id)
        .where(n_taken < k, QueueItem.id.not_in(mine), offerable_to(user))
        .scalar_subquery(),
        select(func.count()).select_from(per_item).where(per_item.c.done >= k).scalar_subquery(),
        select(func.count(Assignment.id)).where(Assignment.user_id == user.id, counted, *_OPEN, ~free).scalar_subquery(),
        select(func.count(QueueItem.id)).where(live(QueueItem.id), held(QueueItem.id)).scalar_subquery(),
    )).one()
    total, mine_done, mine_open, slots_done, available, items_done, mine_held, items_held = (int(v or 0) for v in row)
    return Progress(k, total, mine_done, mine_open, available, slots_done, total * k, items_done, mine_held,
                    items_held)


def release_open(s: Session, admin: CurrentUser, username: str) -> int:
    """Free the slots an annotator holds but has not completed (someone who left); admins only.

    Their drafts stay in the store, and the items go back to the queue for anyone, them included.
    """

    require_permission(admin, Permission.TEAM, "only an admin can release another annotator's items")
    name = _username(username)
    account = signs_in_as(s, name, active=False)
    if account is None:
        raise InputError(f"no user named {name}")
    uid = account.id
    # A flag stays: it is the annotator's report to the admins, not an open item.
    held = list(s.scalars(select(Assignment).where(Assignment.user_id == uid, Assignment.completed_at.is_(None),
                                                   Assignment.flagged_at.is_(None))))
    for a in held:
        s.delete(a)
    return len(held)


def annotator_progress(s: Session, user: CurrentUser) -> list[AnnotatorProgress]:
    """Every annotator's counts; admins only."""
    require_permission(user, Permission.TEAM, "only an admin can see other annotators' progress")
    from workbench.store.schema import User

    # The same counts as each annotator's own progress line (:func:`progress`): live items only, a flagged
    # item is neither done nor open (it waits for an admin), and an open item another annotator's flag holds
    # is counted as held, not open.
    free = not_held(Assignment.item_id)
    is_open = and_(*_OPEN, free)
    is_paused = and_(*_OPEN, ~free)
    rows = s.execute(
        select(User.id, User.username, User.role, User.active, func.count(Assignment.id),
               func.count(Assignment.completed_at), func.count(case((is_open, Assignment.id))),
               func.count(case((is_paused, Assignment.id))))
        .outerjoin(Assignment, (Assignment.user_id == User.id) & live(Assignment.item_id))
        .group_by(User.id, User.username, User.role, User.active).order_by(User.username)
    ).all()
    # Researchers and admins may rate too, but are listed only once they have: rows of 0 / 0 for every
    # account that only analyses or administers hid the annotators among them.
    return [AnnotatorProgress(uid, name, done, n_open, n_held, bool(active))
            for uid, name, role, active, taken, done, n_open, n_held in rows
            if taken or not CurrentUser(uid, name, role).can(Permission.COMPARE)]
