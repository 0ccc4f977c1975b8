"""Who may list, open and continue which Chat dialogue ("My dialogues").

Everyone sees the dialogues they started in Chat; researchers and admins (``Permission.ALL_DIALOGUES``)
see everyone's and may filter by user and text. Only the user who started a dialogue continues it
(sends or regenerates in it): another user's dialogue opens read-only and is continued through a branch,
which is their own. That keeps ``Dialogue.created_by`` true for the rating queue, which never gives
annotators items from dialogues they held in Chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from workbench.access import Permission
from workbench.auth import CurrentUser
from workbench.errors import AuthError, InputError
from workbench.services import Services
from workbench.store.schema import Dialogue, Generation, Turn, User

#: dialogues made in the Chat tab (imported datasets and simulations have their own places)
CHAT_SOURCES = ("live", "example", "branch")
#: the longest first message shown in a list row
SNIPPET_CHARS = 60
LIST_LIMIT = 200


@dataclass(frozen=True)
class DialogueSummary:
    id: int
    created_at: datetime
    owner: str | None
    source: str
    parent_id: int | None
    patient_messages: int
    first_message: str


@dataclass(frozen=True)
class DialogueAccess:
    """What ``viewer`` may do with one dialogue they may open."""

    id: int
    owner: str | None
    mine: bool


def snippet(text: str | None, chars: int = SNIPPET_CHARS) -> str:
    """A message as one line of at most ``chars`` characters (a list's cue to which dialogue it is)."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= chars else flat[: chars - 1] + "…"


def list_dialogues(svc: Services, viewer: CurrentUser, *, owner: str | None = None, text: str | None = None,
                   limit: int = LIST_LIMIT) -> list[DialogueSummary]:
    """The Chat dialogues ``viewer`` may open, newest first.

    ``owner`` (a username) and ``text`` (a substring of any turn or reply) filter; an annotator's list is
    their own whatever ``owner`` says.
    """
    query = (select(Dialogue, User.username).outerjoin(User, User.id == Dialogue.created_by)
             .where(Dialogue.source.in_(CHAT_SOURCES)))
    if not viewer.can(Permission.ALL_DIALOGUES):
        query = query.where(Dialogue.created_by == viewer.id)
    elif owner:
        query = query.where(User.username == owner)
    needle = (text or "").strip()
    if needle:
        in_turns = select(Turn.dialogue_id).where(Turn.text.contains(needle, autoescape=True))
        in_replies = select(Generation.dialogue_id).where(Generation.output.contains(needle, autoescape=True))
        query = query.where(or_(Dialogue.id.in_(in_turns), Dialogue.id.in_(in_replies)))
    query = query.order_by(Dialogue.id.desc()).limit(limit)
    with svc.store.read() as s:
        rows = s.execute(query).all()
        ids = [d.id for d, _ in rows]
        counts = dict(s.execute(
            select(Turn.dialogue_id, func.count(Turn.id))
            .where(Turn.dialogue_id.in_(ids), Turn.role == "patient").group_by(Turn.dialogue_id)).all())
        first_idx = (select(Turn.dialogue_id, func.min(Turn.idx).label("idx"))
                     .where(Turn.dialogue_id.in_(ids), Turn.role == "patient").group_by(Turn.dialogue_id)
                     .subquery())
        firsts = dict(s.execute(
            select(Turn.dialogue_id, Turn.text)
            .join(first_idx, (Turn.dialogue_id == first_idx.c.dialogue_id) & (Turn.idx == first_idx.c.idx))).all())
        return [DialogueSummary(d.id, d.created_at, username, d.source, d.parent_id, counts.get(d.id, 0),
                                snippet(firsts.get(d.id))) for d, username in rows]


def owners(svc: Services, viewer: CurrentUser) -> list[str]:
    """Usernames that started Chat dialogues ``viewer`` may see (the user filter's choices)."""
    if not viewer.can(Permission.ALL_DIALOGUES):
        return [viewer.username]
    with svc.store.read() as s:
        return list(s.scalars(
            select(User.username).join(Dialogue, Dialogue.created_by == User.id)
            .where(Dialogue.source.in_(CHAT_SOURCES)).distinct().order_by(User.username)))


def access(svc: Services, viewer: CurrentUser, dialogue_id: int) -> DialogueAccess:
    """``viewer``'s access to a dialogue; :class:`AuthError` when they may not open it.

    A dialogue that does not exist and another user's dialogue get the same answer for annotators, so
    ids do not reveal what others wrote.
    """
    with svc.store.read() as s:
        row = s.execute(select(Dialogue.created_by, Dialogue.source, User.username)
                        .outerjoin(User, User.id == Dialogue.created_by)
                        .where(Dialogue.id == dialogue_id)).first()
    mine = row is not None and row.created_by == viewer.id
    if row is None or row.source not in CHAT_SOURCES or not (mine or viewer.can(Permission.ALL_DIALOGUES)):
        raise AuthError(f"dialogue #{dialogue_id} is not one you may open")
    return DialogueAccess(dialogue_id, row.username, mine)


def branch_origin(svc: Services, dialogue_id: int) -> tuple[int, str] | None:
    """(the dialogue it was branched from, the column whose reply it continues) of a branch; None otherwise."""
    with svc.store.read() as s:
        row = s.execute(select(Dialogue.parent_id, Generation.column_name)
                        .join(Generation, Generation.id == Dialogue.branched_from_generation_id)
                        .where(Dialogue.id == dialogue_id, Dialogue.parent_id.is_not(None))).first()
    return (row.parent_id, row.column_name) if row is not None else None


def require_continuable(svc: Services, viewer: CurrentUser, dialogue_id: int) -> DialogueAccess:
    """Access to send or regenerate in a dialogue: only its author continues it; others branch."""
    acc = access(svc, viewer, dialogue_id)
    if not acc.mine:
        raise InputError(f"dialogue #{dialogue_id} was started by {acc.owner or 'another user'}: "
                         "continue from one of its replies to work on your own copy")
    return acc


def parse_dialogue_id(value: object) -> int:
    """A dialogue number typed or picked by a user; a clear :class:`InputError` otherwise."""
    text = str(value if value is not None else "").strip().lstrip("#")
    try:
        number = int(float(text)) if text else None
    except ValueError:
        number = None
    if number is None or number <= 0 or str(value).strip().lstrip("#") not in (str(number), f"{number}.0"):
        raise InputError("type a dialogue number, such as 12")
    return number
