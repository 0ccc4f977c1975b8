"""Ratings and preferences: drafts, submits, versions, discards, validated against the rubric.

Every function takes the :class:`CurrentUser` the *server* resolved. Writes always go to the acting
user's own rows and need an assignment on the item, whose counterbalanced order is stored with the
answer (never an order the client sends). Annotators read only their own rows; admins may read anyone's.

Ratings and preferences share one lifecycle, :func:`workbench.annotate.answers.save_answer`: an
unchanged answer writes nothing (nor does a draft over an unchanged submitted one); each submit appends a
snapshot to ``rating_versions`` / ``preference_versions``; changing an answer whose version is already
snapshotted starts the next version, so "submit, then edit later" keeps every submitted state. Saving a
*changed* draft over a submitted answer makes the current answer a draft again (Argilla's semantics); its
last submitted state stays in the history.

A rating's scores are keyed by rubric axis (``{"questioning": 4, "suggestion": "na"}``), so an axis
added to the rubric is validated, stored and versioned with no change here.

Callers own the session (one per user action).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.access import Permission, require_permission
from workbench.annotate.answers import AnswerKind, discard_answer, save_answer
from workbench.annotate.queue import ItemView, complete_item, open_item, refuse_flagged, user_assignment
from workbench.annotate.rubric import NA, Rubric
from workbench.auth import CurrentUser
from workbench.errors import AuthError, InputError
from workbench.store.schema import (
    Assignment,
    Generation,
    Preference,
    PreferenceVersion,
    QueueItem,
    Rating,
    RatingVersion,
)
from workbench.validation import validate_free_text
from workbench.vocab import GREETING_ROUTE, AnswerStatus, GenerationStatus, PreferenceOutcome, TurnType

DEFAULT_COMMENT_CHARS = 2000
DEFAULT_CORRECTED_CHARS = 4000
STATUSES = tuple(AnswerStatus)


@dataclass(frozen=True)
class RatingForm:
    """A human's answer for one reply.

    ``scores`` maps a rubric axis to a whole score or :data:`NA`; an axis absent (or None) is "not given
    yet". Validation returns the scores in the rubric's order with the unanswered axes left out.
    """

    turn_type: str | None = None
    scores: Mapping[str, int | str | None] = field(default_factory=dict)
    safety_flag: bool = False
    comment: str | None = None
    corrected_reply: str | None = None

    def score(self, axis: str) -> int | None:
        """The axis's score; None when it is N/A or not given."""
        v = self.scores.get(axis)
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    def is_na(self, axis: str) -> bool:
        return self.scores.get(axis) == NA

    def is_blank(self) -> bool:
        """Nothing answered: no turn type, no score or N/A, no safety flag, no comment or correction."""
        return (not self.turn_type and not any(v is not None for v in self.scores.values()) and not self.safety_flag
                and not (self.comment or "").strip() and not (self.corrected_reply or "").strip())


#: a :class:`RatingForm` field as :func:`merge_changed` names it; a score is ``score:<axis>``
TURN_TYPE_FIELD, SAFETY_FIELD, COMMENT_FIELD, CORRECTED_FIELD = "turn_type", "safety_flag", "comment", "corrected_reply"


def score_field(axis: str) -> str:
    return f"score:{axis}"


def merge_changed(page: RatingForm, stored: RatingForm, changed: frozenset[str]) -> RatingForm:
    """``page``'s values for the ``changed`` fields, ``stored``'s for the others.

    An autosave from a page that changed only some fields of a reply's answer: the others may have been saved
    meanwhile from another tab of the same annotator, and the page's copies of them are stale (walk s62: a tab
    that only moved the focus wrote back the other tab's saved draft as it had first loaded it)."""
    scores = {a: v for a, v in stored.scores.items() if score_field(a) not in changed}
    scores.update({a: v for a, v in page.scores.items() if score_field(a) in changed})
    return RatingForm(
        turn_type=page.turn_type if TURN_TYPE_FIELD in changed else stored.turn_type,
        scores=scores,
        safety_flag=page.safety_flag if SAFETY_FIELD in changed else stored.safety_flag,
        comment=page.comment if COMMENT_FIELD in changed else stored.comment,
        corrected_reply=page.corrected_reply if CORRECTED_FIELD in changed else stored.corrected_reply)


@dataclass(frozen=True)
class RatingView:
    id: int
    generation_id: int
    user_id: int
    status: str
    form: RatingForm
    rubric_version: str | None
    blind: bool
    display_order: tuple[str, ...]
    display_slot: int | None
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class PreferenceForm:
    """``best`` with a winner, ``tie``, ``all_bad``, or ``ranking`` (generation ids, best first)."""

    outcome: str | None = None
    winner_generation_id: int | None = None
    ranking: tuple[int, ...] | None = None


@dataclass(frozen=True)
class PreferenceView:
    id: int
    dialogue_id: int
    turn_index: int
    user_id: int
    status: str
    shown: tuple[int, ...]
    form: PreferenceForm
    rubric_version: str | None
    blind: bool
    version: int


# --------------------------------------------------------------------------------------------------
# Validation (pure)


def validate_rating(form: RatingForm, rubric: Rubric, *, final: bool) -> RatingForm:
    """Normalise a form against the rubric; InputError says what is wrong. ``final`` = on submit."""
    turn_types = [t.key for t in rubric.turn_types]
    tt = form.turn_type or None
    if tt is not None and tt not in turn_types:
        raise InputError(f"turn type {tt!r} is not one of {', '.join(turn_types)}")
    if final and tt is None:
        raise InputError("choose a turn type")
    if not isinstance(form.scores, Mapping):
        raise InputError("scores must be an object keyed by rating axis")
    unknown = sorted(str(k) for k in form.scores if k not in rubric.axis_keys)
    if unknown:
        raise InputError(f"unknown rating axis {', '.join(unknown)}; the rubric defines {', '.join(rubric.axis_keys)}")
    scores: dict[str, int | str] = {}
    for axis in rubric.axes:
        value = form.scores.get(axis.key)
        name = axis.name.en.lower()
        if value == NA:
            if not axis.allow_na:
                raise InputError(f"{name}: N/A is not allowed on this axis")
            scores[axis.key] = NA
        elif value is None:
            if final:
                allowed = f"{axis.scale.min}-{axis.scale.max}" + (" or N/A" if axis.allow_na else "")
                raise InputError(f"{name}: missing score (give {allowed})")
        else:
            validated = axis.validate_score(value)
            assert validated is not None  # None was handled above
            scores[axis.key] = validated
    comment = validate_free_text(form.comment, rubric.comment.max_chars or DEFAULT_COMMENT_CHARS, "comment")
    corrected = validate_free_text(form.corrected_reply,
                                   rubric.corrected_reply.max_chars or DEFAULT_CORRECTED_CHARS, "corrected reply")
    if not isinstance(form.safety_flag, bool):
        raise InputError("the safety flag must be true or false")
    return RatingForm(turn_type=tt, scores=scores, safety_flag=form.safety_flag, comment=comment,
                      corrected_reply=corrected)


def unanswered(form: RatingForm, rubric: Rubric) -> list[str]:
    """What a submit still needs of ``form``: "turn type", then each axis left without a score (its English name)."""
    scores = form.scores if isinstance(form.scores, Mapping) else {}
    return ["turn type"] * (not form.turn_type) + [a.name.en.lower() for a in rubric.axes if scores.get(a.key) is None]


def validate_preference(form: PreferenceForm, shown: Sequence[int], rubric: Rubric, *, final: bool) -> PreferenceForm:
    """Check a preference against the replies shown; a draft may hold a partial ranking."""
    allowed = [o.key for o in rubric.preference.options]
    outcome = form.outcome or None
    if outcome is None:
        if final:
            raise InputError("choose a preference: best reply, tie, all bad" +
                             (" or a full ranking" if "ranking" in allowed else ""))
        return PreferenceForm()
    if outcome not in allowed:
        raise InputError(f"preference {outcome!r} is not one of {', '.join(allowed)}")
    if outcome == PreferenceOutcome.BEST:
        if form.winner_generation_id not in shown:
            raise InputError("best: the winner must be one of the replies shown")
        return PreferenceForm(PreferenceOutcome.BEST, form.winner_generation_id, None)
    if outcome == PreferenceOutcome.RANKING:
        ranking = tuple(form.ranking or ())
        if len(set(ranking)) != len(ranking) or any(g not in shown for g in ranking):
            raise InputError("ranking: list each reply shown at most once")
        if final and len(ranking) != len(shown):
            raise InputError(f"ranking: rank all {len(shown)} replies, best first")
        return PreferenceForm(PreferenceOutcome.RANKING, None, ranking)
    return PreferenceForm(outcome, None, None)


_RANK_SPLIT = re.compile(r"[\s>=,，、;；]+")  # "=" joins identical replies, ranked as one


def parse_ranking(text: str, labels: Sequence[str]) -> list[str]:
    """``"B > A > C"`` (or ``"BAC"``, ``"b,a,c"``) -> ``["B", "A", "C"]``; InputError on unknown labels."""
    raw = (text or "").strip().upper()
    if not raw:
        return []
    parts = [p for p in _RANK_SPLIT.split(raw) if p]
    if len(parts) == 1 and len(parts[0]) > 1 and all(len(x) == 1 for x in labels):
        parts = list(parts[0])
    unknown = [p for p in parts if p not in labels]
    if unknown:
        raise InputError(f"ranking: unknown reply label(s) {', '.join(unknown)}; use {' > '.join(labels)}")
    return parts


def preference_from_choice(item: ItemView, choice: str | None, ranking_text: str = "") -> PreferenceForm:
    """Turn the UI's choice (a label such as "A", or tie / all_bad / ranking) into generation ids."""
    if not choice:
        return PreferenceForm()
    if choice in (PreferenceOutcome.TIE, PreferenceOutcome.ALL_BAD):
        return PreferenceForm(choice)
    if choice == "ranking":
        labels = [r.label for r in item.replies]
        order = parse_ranking(ranking_text, labels)
        # A label of an identical twin stands for its group: the group is ranked once, where it first appears.
        ids = (item.representative(x).generation_id for x in order)
        return PreferenceForm(PreferenceOutcome.RANKING, None, tuple(dict.fromkeys(ids)))
    return PreferenceForm(PreferenceOutcome.BEST, item.representative(choice).generation_id)


# --------------------------------------------------------------------------------------------------
# Ratings


def _form_of(r: Rating) -> RatingForm:
    return RatingForm(turn_type=r.turn_type, scores=dict(r.scores or {}), safety_flag=r.safety_flag,
                      comment=r.comment, corrected_reply=r.corrected_reply)


def _view(r: Rating) -> RatingView:
    return RatingView(r.id, r.generation_id, r.user_id, r.status, _form_of(r), r.rubric_version, r.blind,
                      tuple(r.display_order or ()), r.display_slot, r.version, r.updated_at)


def _write_rating(r: Rating, form: RatingForm) -> None:
    r.turn_type = TurnType(form.turn_type) if form.turn_type else None
    r.scores = dict(form.scores)
    r.safety_flag, r.comment, r.corrected_reply = form.safety_flag, form.comment, form.corrected_reply


def _rating_snapshot(r: Rating) -> dict[str, Any]:
    return {"turn_type": r.turn_type, "scores": dict(r.scores or {}), "safety_flag": r.safety_flag,
            "comment": r.comment, "corrected_reply": r.corrected_reply,
            "display_order": list(r.display_order or ()), "display_slot": r.display_slot,
            "user_id": r.user_id, "generation_id": r.generation_id}


RATING_ANSWER: AnswerKind[Rating] = AnswerKind(values=_form_of, write=_write_rating, version_table=RatingVersion,
                                               parent_column="rating_id", snapshot=_rating_snapshot)


def _generation_and_assignment(s: Session, user: CurrentUser, generation_id: int) -> tuple[Generation, Assignment]:
    g = s.get(Generation, generation_id) if isinstance(generation_id, int) else None
    if g is None or g.status != GenerationStatus.OK or g.route == GREETING_ROUTE:
        raise InputError(f"no ratable reply #{generation_id}")
    a = _assignment_of(s, user, g)
    if a is None:
        raise AuthError("you can only rate replies of items you hold")
    refuse_flagged(a)
    return g, a


def _assignment_of(s: Session, user: CurrentUser, g: Generation) -> Assignment | None:
    item = s.scalars(select(QueueItem).where(QueueItem.dialogue_id == g.dialogue_id,
                                             QueueItem.turn_index == g.turn_index)).first()
    return user_assignment(s, user, item.id) if item is not None else None


def _reopen_if_withdrawn(a: Assignment | None, was: AnswerStatus | None, now: AnswerStatus) -> None:
    """A submitted answer changed into a draft (or discarded) leaves its item unfinished again, so the item
    list, the progress counts, the team table and a reload's resume all show it open until the next submit
    completes it; left completed, they said "submitted" while analysis and exports no longer counted it."""
    if a is not None and was == AnswerStatus.SUBMITTED and now != AnswerStatus.SUBMITTED:
        a.completed_at = None


def _own_row(s: Session, user: CurrentUser, generation_id: int) -> Rating | None:
    return s.scalars(select(Rating).where(Rating.generation_id == generation_id,
                                          Rating.user_id == user.id)).first()


def _upsert(s: Session, user: CurrentUser, generation_id: int, form: RatingForm, status: AnswerStatus, *,
            rubric: Rubric, blind: bool) -> Rating:
    g, assignment = _generation_and_assignment(s, user, generation_id)
    order = list(assignment.display_order or ())
    r = _own_row(s, user, g.id)
    is_new = r is None
    if r is None:
        r = Rating(generation_id=g.id, user_id=user.id, status=AnswerStatus.DRAFT, version=1)
        try:
            with s.begin_nested():
                s.add(r)
        except IntegrityError:  # the same user's other tab created it a moment ago
            r = _own_row(s, user, g.id)
            assert r is not None
            is_new = False

    def write(row: Rating, values: RatingForm) -> None:
        _write_rating(row, values)
        # The order is the assignment's, never the client's (counterbalancing is analysed by slot).
        row.display_order = order
        row.display_slot = order.index(g.column_name) if g.column_name in order else None

    was = None if is_new else AnswerStatus(r.status)
    save_answer(s, replace(RATING_ANSWER, write=write), r, form, status, rubric_version=rubric.version_id,
                blind=blind, is_new=is_new)
    _reopen_if_withdrawn(assignment, was, AnswerStatus(r.status))
    return r


def save_draft(s: Session, user: CurrentUser, generation_id: int, form: RatingForm, *, rubric: Rubric,
               blind: bool = True) -> RatingView:
    """Save the user's unfinished answer (partial scores allowed; values still checked)."""
    return _view(_upsert(s, user, generation_id, validate_rating(form, rubric, final=False), AnswerStatus.DRAFT,
                         rubric=rubric, blind=blind))


def submit(s: Session, user: CurrentUser, generation_id: int, form: RatingForm, *, rubric: Rubric,
           blind: bool = True) -> RatingView:
    """Submit the user's answer: every axis scored or N/A, a turn type; appends a version snapshot."""
    return _view(_upsert(s, user, generation_id, validate_rating(form, rubric, final=True),
                         AnswerStatus.SUBMITTED, rubric=rubric, blind=blind))


def discard(s: Session, user: CurrentUser, generation_id: int) -> RatingView:
    """Mark the user's own answer discarded (kept, with its history, but no longer current)."""
    r = _own_row(s, user, generation_id) if isinstance(generation_id, int) else None
    if r is None:
        raise InputError(f"you have no rating for reply #{generation_id}")
    was = AnswerStatus(r.status)
    discard_answer(s, RATING_ANSWER, r)
    g = s.get(Generation, r.generation_id)
    _reopen_if_withdrawn(_assignment_of(s, user, g) if g is not None else None, was, AnswerStatus(r.status))
    return _view(r)


def _target_user(user: CurrentUser, user_id: int | None) -> int:
    if user_id is None or user_id == user.id:
        return user.id
    require_permission(user, Permission.TEAM, "you can only read your own ratings")
    return user_id


def get_rating(s: Session, user: CurrentUser, generation_id: int, *, user_id: int | None = None) -> RatingView | None:
    """The current rating of a reply by the user (admins: by ``user_id``)."""
    uid = _target_user(user, user_id)
    r = s.scalars(select(Rating).where(Rating.generation_id == generation_id, Rating.user_id == uid)).first()
    return _view(r) if r else None


def get_ratings(s: Session, user: CurrentUser, generation_ids: Sequence[int]) -> dict[int, RatingView | None]:
    """The user's own current rating of each reply (None: not rated), in one query."""
    found = {r.generation_id: _view(r) for r in s.scalars(
        select(Rating).where(Rating.generation_id.in_(list(generation_ids)), Rating.user_id == user.id))}
    return {gid: found.get(gid) for gid in generation_ids}


def list_ratings(s: Session, user: CurrentUser, *, user_id: int | None = None,
                 all_users: bool = False) -> list[RatingView]:
    """The user's ratings; admins may ask for another user's or (``all_users``) everyone's."""
    q = select(Rating).order_by(Rating.id)
    if all_users:
        require_permission(user, Permission.TEAM, "only an admin can read everyone's ratings")
    else:
        q = q.where(Rating.user_id == _target_user(user, user_id))
    return [_view(r) for r in s.scalars(q)]


def rating_history(s: Session, user: CurrentUser, generation_id: int, *,
                   user_id: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    """(version, snapshot) of every submitted state, oldest first."""
    uid = _target_user(user, user_id)
    rows = s.execute(
        select(RatingVersion.version, RatingVersion.snapshot).join(Rating, Rating.id == RatingVersion.rating_id)
        .where(Rating.generation_id == generation_id, Rating.user_id == uid).order_by(RatingVersion.id)
    ).all()
    return [(v, dict(snap)) for v, snap in rows]


# --------------------------------------------------------------------------------------------------
# Preferences


def _pref_view(p: Preference) -> PreferenceView:
    form = PreferenceForm(p.outcome, p.winner_generation_id, tuple(p.ranking) if p.ranking is not None else None)
    return PreferenceView(p.id, p.dialogue_id, p.turn_index, p.user_id, p.status, tuple(p.shown or ()), form,
                          p.rubric_version, p.blind, p.version)


def _own_preference(s: Session, user: CurrentUser, dialogue_id: int, turn_index: int) -> Preference | None:
    return s.scalars(select(Preference).where(Preference.dialogue_id == dialogue_id,
                                              Preference.turn_index == turn_index,
                                              Preference.user_id == user.id)).first()


def _pref_values(p: Preference) -> tuple:
    """What a preference answers: (outcome, winner, ranking, replies shown)."""
    return (p.outcome, p.winner_generation_id, list(p.ranking) if p.ranking is not None else None,
            list(p.shown or ()))


def _write_preference(p: Preference, values: tuple) -> None:
    outcome, p.winner_generation_id, p.ranking, p.shown = values
    p.outcome = PreferenceOutcome(outcome) if outcome is not None else None


def _pref_snapshot(p: Preference) -> dict[str, Any]:
    return {"outcome": p.outcome, "winner_generation_id": p.winner_generation_id,
            "ranking": list(p.ranking) if p.ranking is not None else None, "shown": list(p.shown or ()),
            "user_id": p.user_id, "dialogue_id": p.dialogue_id, "turn_index": p.turn_index}


PREFERENCE_ANSWER: AnswerKind[Preference] = AnswerKind(
    values=_pref_values, write=_write_preference, version_table=PreferenceVersion, parent_column="preference_id",
    snapshot=_pref_snapshot)


def save_preference(s: Session, user: CurrentUser, item_id: int,
                    form: PreferenceForm | Callable[[ItemView], PreferenceForm], *, rubric: Rubric,
                    submit: bool = False, blind: bool = True) -> PreferenceView:
    """Save (draft) or submit the user's preference across the replies of an item they hold.

    The same lifecycle as ratings: an unchanged answer changes nothing (no version, no timestamp), so a
    draft autosave over an unchanged submitted preference leaves it submitted; a submit appends a
    snapshot to ``preference_versions``; changing an answer whose version is snapshotted starts the next.
    ``form`` may be made from the item as opened here (the page's choice names replies by their labels), so
    that the item is read once.
    """
    item = open_item(s, user, item_id)
    return _save_preference_on(s, user, item, form(item) if callable(form) else form, rubric=rubric,
                               submit=submit, blind=blind)


def _as_representatives(form: PreferenceForm, item: ItemView) -> PreferenceForm:
    """``form`` with each identical twin replaced by the reply standing for its group.

    An API client (or an older page) may name either twin; both are one choice, so the winner is the
    group's reply and a ranking lists each group once, where it first appears.
    """
    rep = {r.generation_id: g[0].generation_id for g in item.groups for r in g}
    winner = rep.get(form.winner_generation_id, form.winner_generation_id) \
        if form.winner_generation_id is not None else None
    ranking = tuple(dict.fromkeys(rep.get(g, g) for g in form.ranking)) if form.ranking is not None else None
    return replace(form, winner_generation_id=winner, ranking=ranking)


def _save_preference_on(s: Session, user: CurrentUser, item: ItemView, form: PreferenceForm, *, rubric: Rubric,
                        submit: bool, blind: bool) -> PreferenceView:
    shown = [r.generation_id for r in item.preference_replies]  # identical twins are one choice
    form = _as_representatives(form, item)
    form = validate_preference(form, shown, rubric, final=submit)
    status = AnswerStatus.SUBMITTED if submit else AnswerStatus.DRAFT
    ranking = list(form.ranking) if form.ranking is not None else None
    p = _own_preference(s, user, item.dialogue_id, item.turn_index)
    is_new = p is None
    if p is None:
        p = Preference(dialogue_id=item.dialogue_id, turn_index=item.turn_index, user_id=user.id, version=1)
        try:
            with s.begin_nested():
                s.add(p)
        except IntegrityError:  # the same user's other tab created it a moment ago
            p = _own_preference(s, user, item.dialogue_id, item.turn_index)
            assert p is not None
            is_new = False
    # Leaving the ranking box (blur -> draft autosave) over an unchanged submitted preference writes
    # nothing: the shared lifecycle keeps it submitted.
    was = None if is_new else AnswerStatus(p.status)
    save_answer(s, PREFERENCE_ANSWER, p, (form.outcome, form.winner_generation_id, ranking, shown), status,
                rubric_version=rubric.version_id, blind=blind, is_new=is_new)
    _reopen_if_withdrawn(user_assignment(s, user, item.item_id), was, AnswerStatus(p.status))
    return _pref_view(p)


def preference_history(s: Session, user: CurrentUser, item_id: int, *,
                       user_id: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    """(version, snapshot) of every submitted state of the user's preference on an item, oldest first."""
    uid = _target_user(user, user_id)
    item = s.get(QueueItem, item_id) if isinstance(item_id, int) else None
    if item is None:
        return []
    rows = s.execute(
        select(PreferenceVersion.version, PreferenceVersion.snapshot)
        .join(Preference, Preference.id == PreferenceVersion.preference_id)
        .where(Preference.dialogue_id == item.dialogue_id, Preference.turn_index == item.turn_index,
               Preference.user_id == uid).order_by(PreferenceVersion.id)
    ).all()
    return [(v, dict(snap)) for v, snap in rows]


def get_preference(s: Session, user: CurrentUser, item_id: int, *, user_id: int | None = None) -> PreferenceView | None:
    uid = _target_user(user, user_id)
    item = s.get(QueueItem, item_id) if isinstance(item_id, int) else None
    if item is None:
        return None
    p = s.scalars(select(Preference).where(Preference.dialogue_id == item.dialogue_id,
                                           Preference.turn_index == item.turn_index,
                                           Preference.user_id == uid)).first()
    return _pref_view(p) if p else None


# --------------------------------------------------------------------------------------------------
# A whole item at once


def submit_item(s: Session, user: CurrentUser, item_id: int | ItemView, forms: Mapping[int, RatingForm],
                preference: PreferenceForm | None, *, rubric: Rubric, blind: bool = True) -> ItemView:
    """Submit every reply's rating and the preference, then complete the assignment, in one transaction.

    ``forms`` maps generation id -> form. Errors name the reply's blind label; nothing is written on error
    (the caller's session rolls back). ``item_id`` may be the item already opened in this session.
    """
    item = item_id if isinstance(item_id, ItemView) else open_item(s, user, item_id)
    # Every box's gaps at once, by the box's own label (A=C): one at a time, and by a copy's label, sent the rater
    # back for each in turn to a box that did not seem to exist (walk 10).
    gaps = []
    for group in item.groups:
        label = "=".join(r.label for r in group)
        form = next((forms[r.generation_id] for r in group if r.generation_id in forms), None)
        if form is None:
            gaps.append(f"reply {label}: not rated yet")
        elif missing := unanswered(form, rubric):
            gaps.append(f"reply {label}: missing {', '.join(missing)}")
    if gaps and len(item.groups) > 1:
        try:  # ... and the preference's, in the same message (walk 11: it came only on the next submit)
            validate_preference(_as_representatives(preference or PreferenceForm(), item),
                                [r.generation_id for r in item.preference_replies], rubric, final=True)
        except InputError as e:
            gaps.append(str(e))
    if gaps:
        raise InputError("; ".join(gaps))
    for group in item.groups:
        # Identical replies are one judgement (the exports pool them): two answers would leave one unused.
        given = [(r, forms[r.generation_id]) for r in group if r.generation_id in forms]
        if any(form != given[0][1] for _, form in given[1:]):
            labels = "=".join(r.label for r, _ in given)
            raise InputError(f"replies {labels} are identical: give them one answer, not {len(given)} different ones")
    for group in item.groups:
        for reply in group:
            form = forms.get(reply.generation_id)
            if form is None:  # a copy left out: its box's answer is the same judgement
                form = next(forms[r.generation_id] for r in group if r.generation_id in forms)
            try:
                submit(s, user, reply.generation_id, form, rubric=rubric, blind=blind)
            except InputError as e:
                raise InputError(f"reply {'='.join(r.label for r in group)}: {e}") from None
    if len(item.groups) > 1:  # the item just opened: reading it again would double the submit's queries
        _save_preference_on(s, user, item, preference or PreferenceForm(), rubric=rubric, submit=True, blind=blind)
    complete_item(s, user, item.item_id, item)
    return replace(item, completed=True)  # the same replies, now complete: no need to read it again


def withdraw_item(s: Session, user: CurrentUser, item_id: int) -> int:
    """Discard the user's answers to an item, drafts and submitted ones (each kept in its history): an item
    flagged as broken after its submit kept counting, and its item then had k+1 answers once an admin handed
    it to someone else. Returns how many answers were withdrawn."""
    item = open_item(s, user, item_id)
    rows: list[tuple[AnswerKind[Any], Any]] = [(RATING_ANSWER, _own_row(s, user, r.generation_id)) for r in item.replies]
    rows.append((PREFERENCE_ANSWER, _own_preference(s, user, item.dialogue_id, item.turn_index)))
    return sum(discard_answer(s, kind, row) for kind, row in rows if row is not None)


def assignment_exists(s: Session, user: CurrentUser, item_id: int) -> bool:
    return user_assignment(s, user, item_id) is not None
