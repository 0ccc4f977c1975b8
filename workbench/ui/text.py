"""Untrusted text made inert before it reaches a Chatbot, Markdown, HTML component or a pop-up.

Everything a user types, a dataset holds or a model writes is shown through :func:`as_text`. Gradio
renders a Chatbot message, a Markdown value and a toast as HTML (and Markdown), and its sanitiser keeps
forms, inputs, images, links and inline styles. So every character that HTML or Markdown gives a
meaning to becomes a character reference: the browser shows it as the character and builds no element,
no link, no image, no LaTeX. Newlines become ``<br>``, so the text is one inline run with no block
syntax (headings, lists, code blocks) at all.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

# HTML's own five first (the familiar names), then every ASCII character Markdown, GFM autolinks or
# LaTeX delimiters act on.
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
_MARKDOWN = "\\`*_{}[]()#+-.!|~:=@$%^/"
_INERT = str.maketrans({**_HTML, **{c: f"&#{ord(c)};" for c in _MARKDOWN}})

#: Chatbot settings for text that is not ours: no Markdown pass at all, Gradio's sanitiser on.
TEXT_CHATBOT: dict[str, Any] = {"render_markdown": False, "sanitize_html": True}

#: Gradio's Chatbot message roles for the two speakers of a medical dialogue
CHAT_ROLES = {"patient": "user", "doctor": "assistant"}


def as_text(value: object) -> str:
    """``value`` as inert HTML/Markdown that displays exactly as the characters it holds."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_INERT).replace("\n", "<br>")


def as_toast(value: object) -> str:
    """``value`` for a pop-up (``gr.Info``/``gr.Warning``/``gr.Error``): HTML there, never Markdown.

    Only HTML's characters are escaped, so an API client reading the error gets readable text.
    """
    return html.escape("" if value is None else str(value), quote=False)


def text_messages(turns: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """Chatbot messages for ``(role, text)`` turns, every text inert."""
    return [{"role": CHAT_ROLES.get(role, "assistant"), "content": as_text(text)} for role, text in turns]
