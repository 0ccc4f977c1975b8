"""Checks on what users type: free text (messages, comments, corrected replies) and whole numbers in forms."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from workbench.errors import InputError

#: default for ``limits.max_turn_chars``: an imported turn is one utterance, not a whole book
DEFAULT_MAX_TURN_CHARS = 20_000
#: characters a new account's or dataset's name may not hold (HTML's, and Markdown's code quote): a name is shown on
#: every page and written into exports; every page escapes it, but a tool reading an export might not
MARKUP_CHARACTERS = frozenset("<>&\"'`")

# C0/C1 control characters except tab and newline; they break prompts and CSV exports.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Drop control characters and lone surrogates; normalise newlines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return _SURROGATE.sub("\ufffd", text)


def blank(text: str) -> bool:
    """Nothing visible: white space and invisible format characters (zero-width spaces and joiners, a byte-order
    mark) only. ``str.strip`` keeps the latter, so a message of them was sent as an empty bubble (walk s64)."""
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)


def validate_message(text: object, max_chars: int) -> str:
    """A patient message ready to store, or an :class:`InputError` that says why not."""
    if not isinstance(text, str):
        raise InputError("the message must be text")
    text = clean_text(text).strip()
    if blank(text):
        raise InputError("the message is empty: type what the patient says")
    if len(text) > max_chars:
        raise InputError(f"the message is {len(text)} characters long; the limit is {max_chars}")
    return text


def validate_free_text(text: object, max_chars: int, what: str) -> str | None:
    """Optional free text (comment, corrected reply): None when empty."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise InputError(f"the {what} must be text")
    text = clean_text(text).strip()
    if len(text) > max_chars:
        raise InputError(f"the {what} is {len(text)} characters long; the limit is {max_chars}")
    return None if blank(text) else text


def whole_number(value: Any, name: str, default: int | None = None) -> int:
    """A form's whole number (an id, a count, a seed), typed as text or a number: refused unless whole.

    Never rounded: a Gradio Number with ``precision=0`` turned a typo such as 1.5 into 2 (another reply made
    gold, another sample drawn) without a word. Empty gives ``default``, or is refused when there is none.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise InputError(f"{name} is required")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a whole number, got {value!r}") from None
    # "nan" and "inf" parse as floats but are no count (int() of them raises)
    if not math.isfinite(number) or number != int(number):
        raise InputError(f"{name} must be a whole number, got {value!r}")
    return int(number)
