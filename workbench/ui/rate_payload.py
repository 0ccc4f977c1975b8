"""The Rate tab's answers as the page sends them: one JSON text instead of one input per widget.

Gradio's page keeps a loading status for every *input* of every event it has run (besides its progress
targets) and updates each of them on every status message of any later event: a search of the component tree
and a snapshot of the component each. With the ~40 answer widgets as inputs of the submit and the autosaves,
that was most of the time from the Enter key to the next item in Chromium. So the Rate events take the item
reference (``#rate-item-id``) as their one input, and the page's script (``assets/rate_keys.js``,
``window.rateForm``) replaces its value by this JSON, read from the widgets on the page when the event is sent:

* a submit: ``{"item": "12", "preference": "A", "ranking": "A > B", "answers": [[...], [...], null]}``, one
  list per reply box (``null`` for a box that is not on the page);
* an autosave of box i: ``{"item": "12", "answer": [...]}``;
* an autosave of box i sent by the page's script adds ``"changed": [0, 3]``, the indexes (in the box's list) of the
  values changed on the page since its last autosave of that box: only those are saved, the others keep the
  stored answer (another tab of the same annotator may have changed them); without it the whole box is saved;
* a preference: ``{"item": "12", "preference": "tie", "ranking": ""}``;
* an event that draws an item (Next, Back, Skip, Flag, Open, Reveal): ``{"item": "12"}``, the item it left;
* the page's script numbers each of these events as it sends them (``"seq": 7``, counting up from 1 per page), so
  that an answer that comes after a later-sent one's can be told (:class:`workbench.ui.rate_pages.SentOrder`);
* an autosave of box i sent by the page's script holds the values as they were last typed, with the item they were
  typed on (the page may show another item by the time the save is sent), and ``"typed": 6``, how many events
  the page had sent then: a submit of that item sent later sent these values too.

A box's list holds the values of :attr:`workbench.ui.rate_tab.ReplyWidgets.form_inputs`: the turn type, one
score per rubric axis, the safety flag, the comment and the corrected reply. Anything else is refused with an
:class:`~workbench.errors.InputError` that says what was wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workbench.errors import InputError
from workbench.plural import counted

#: the longest payload accepted (a comment and a corrected reply per box, generously)
MAX_PAYLOAD_CHARS = 400_000


#: the longest choice (a turn type or a score) accepted: the page's radios send a few characters
MAX_CHOICE_CHARS = 64

#: how the item reference marks an item the page shows as already submitted (``"12:submitted"``)
SUBMITTED_MARK = ":submitted"


def item_reference(item_id: int | None, submitted: bool) -> str:
    """The page's item reference: the item's id, marked when the page shows it as submitted (after Back)."""
    return "" if item_id is None else f"{item_id}{SUBMITTED_MARK if submitted else ''}"


@dataclass(frozen=True)
class PageAnswers:
    item_ref: str | None  # the item the page showed when the event was sent (its id)
    preference: str | None
    ranking: str
    answers: tuple[tuple[Any, ...] | None, ...]  # per reply box: the form values, or None
    #: the page showed the item as submitted: a draft read while it was still open must not overwrite a submit
    shown_submitted: bool = False
    #: an autosave's changed values (indexes in the box's list), or None: the whole box
    changed: frozenset[int] | None = None
    #: the number the page gave the event when it sent it, or None (an API client, an older page)
    seq: int | None = None
    #: an autosave's: how many events the page had sent when its values were last typed, or None
    typed: int | None = None

    @property
    def ref(self) -> str | None:
        """The item reference as the page showed it (:func:`item_reference`), or None."""
        return None if self.item_ref is None else self.item_ref + (SUBMITTED_MARK if self.shown_submitted else "")


def _text(value: Any, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InputError(f"rate answers: {what} must be text, got {type(value).__name__}")


def _choice(value: Any, index: int) -> str | None:
    text = _text(value, f"box {index + 1}'s choice")
    if text is not None and len(text) > MAX_CHOICE_CHARS:
        raise InputError(f"rate answers: box {index + 1}'s choice is longer than {MAX_CHOICE_CHARS} characters")
    return text


def _item(value: Any) -> str | None:
    """The item reference: an item id (ASCII digits), optionally marked as submitted, or empty."""
    ref = _text(value, "the item")
    if ref:
        digits = ref.removesuffix(SUBMITTED_MARK)
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
            raise InputError("rate answers: the item must be an item number (reload the page)")
    return ref or None


def _box(value: Any, n_values: int, index: int) -> tuple[Any, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != n_values:
        raise InputError(f"rate answers: box {index + 1} must list {counted(n_values, 'value')}")
    *choices, safety, comment, corrected = value
    if not isinstance(safety, bool):
        raise InputError(f"rate answers: box {index + 1}'s safety flag must be true or false")
    return (*(_choice(c, index) for c in choices), safety,
            _text(comment, "a comment") or "", _text(corrected, "a corrected reply") or "")


def _changed(value: Any, n_values: int) -> frozenset[int]:
    if not isinstance(value, list) or len(value) > n_values or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n_values for i in value):
        raise InputError(f"rate answers: changed must list value indexes from 0 to {n_values - 1}")
    return frozenset(value)


def _seq(value: Any, key: str = "seq", least: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value < 2**53:
        raise InputError(f"rate answers: {key} must be a whole number from {least}")
    return value


#: the fields a payload may hold (the module's docstring)
_KEYS = frozenset({"item", "preference", "ranking", "answers", "answer", "changed", "seq", "typed"})


def parse_page_answers(payload: Any, n_values: int, *, n_boxes: int) -> PageAnswers:
    """The JSON a Rate event sent (see the module's docstring); ``n_values`` per box, at most ``n_boxes`` boxes."""
    if not isinstance(payload, str) or not payload.strip():
        raise InputError("rate answers: nothing was sent (reload the page)")
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise InputError(f"rate answers: more than {MAX_PAYLOAD_CHARS} characters")
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser's stack
        raise InputError("rate answers: not valid JSON (reload the page)") from None
    if not isinstance(data, dict):
        raise InputError("rate answers: expected a JSON object")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise InputError(f"rate answers: unknown field {unknown[0][:40]}")
    if "answers" in data and "answer" in data:
        raise InputError("rate answers: send either answers or answer, not both")
    boxes = data.get("answers", [data["answer"]] if "answer" in data else [])
    if not isinstance(boxes, list) or len(boxes) > n_boxes:
        raise InputError(f"rate answers: at most {counted(n_boxes, 'box', 'boxes')}")
    changed = _changed(data.get("changed"), n_values) if "changed" in data else None
    if changed is not None and "answer" not in data:
        raise InputError("rate answers: changed goes with one box's answer")
    ref = _item(data.get("item"))
    shown_submitted = ref is not None and ref.endswith(SUBMITTED_MARK)
    return PageAnswers(item_ref=ref.removesuffix(SUBMITTED_MARK) if ref is not None else None,
                       shown_submitted=shown_submitted,
                       preference=_text(data.get("preference"), "the preference") or None,
                       ranking=_text(data.get("ranking"), "the ranking") or "",
                       answers=tuple(_box(b, n_values, i) for i, b in enumerate(boxes)), changed=changed,
                       seq=_seq(data["seq"]) if "seq" in data else None,
                       typed=_seq(data["typed"], "typed", 0) if "typed" in data else None)
