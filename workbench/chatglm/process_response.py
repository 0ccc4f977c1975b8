"""Post-processing that ChatGLM-6B (v1) applies to every chat reply."""

from __future__ import annotations

import re

__all__ = ["process_response"]

_CJK = "[\u4e00-\u9fff]"
_HALF_TO_FULL = ((",", "，"), ("!", "！"), (":", "："), (";", "；"), ("?", "？"))
# One (after-CJK, before-CJK) pattern pair per punctuation mark, applied in this exact order: the order is
# observable on inputs such as "中,,文" or "中!!", so the passes are not merged into one regex.
_RULES = tuple(
    (
        re.compile(f"({_CJK}){re.escape(half)}"),
        re.compile(f"{re.escape(half)}({_CJK})"),
        full,
    )
    for half, full in _HALF_TO_FULL
)
_HALF_CHARS = frozenset(half for half, _ in _HALF_TO_FULL)


def process_response(response: str) -> str:
    """Clean a decoded reply the way the original ``chat()`` does.

    Strips surrounding whitespace, replaces ``[[训练时间]]`` with ``2023年`` and turns a half-width
    ``, ! : ; ?`` into its full-width form when a CJK ideograph (U+4E00-U+9FFF) touches it.
    """
    text = response.strip().replace("[[训练时间]]", "2023年")
    if _HALF_CHARS.isdisjoint(text):
        return text
    for after_cjk, before_cjk, full in _RULES:
        text = after_cjk.sub(rf"\g<1>{full}", text)
        text = before_cjk.sub(rf"{full}\g<1>", text)
    return text
