"""Untrusted text made inert before it reaches a Chatbot, Markdown, HTML component or a pop-up.

Everything a user types, a dataset holds or a model writes goes through this module. Gradio renders a
Chatbot message, a Markdown value and a toast as HTML, and its sanitiser keeps forms, inputs, images,
links and inline styles, so text must never reach them as markup:

* :func:`as_text` for Markdown: every character HTML or Markdown gives a meaning to becomes a character
  reference, which the browser shows as the character while building no element, link, image or LaTeX.
  Newlines become ``<br>``, so the text is one inline run with no block syntax (headings, lists, code).
* :func:`chat_text` for Chatbots built with :data:`TEXT_CHATBOT` (no Markdown, no LaTeX pass): only
  HTML's ``& < >`` need escaping there, so the copy button copies the text nearly as it was written.
* :func:`as_toast` for ``gr.Info``/``gr.Warning``/``gr.Error``: HTML, never Markdown.
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

# Bidirectional embedding, override and isolate controls: escaped or not, they reorder the characters after
# them, so one user's text could show another user words in an order nobody typed (U+202E "evil" -> "live").
# They are shown as visible names instead; the marks U+200E/U+200F only set a direction and are kept.
_BIDI_CONTROLS = {cp: f"[U+{cp:04X}]" for cp in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}

#: Chatbot settings for text that is not ours: no Markdown or LaTeX pass at all, Gradio's sanitiser on.
TEXT_CHATBOT: dict[str, Any] = {"render_markdown": False, "sanitize_html": True, "latex_delimiters": []}

#: Gradio's Chatbot message roles for the two speakers of a medical dialogue
CHAT_ROLES = {"patient": "user", "doctor": "assistant"}


def plain(value: object) -> str:
    """``value`` as text for a plain-text place (a Dataframe cell): bidirectional controls made visible."""
    return "" if value is None else str(value).translate(_BIDI_CONTROLS)


def as_text(value: object) -> str:
    """``value`` as inert HTML/Markdown that displays exactly as the characters it holds."""
    if value is None:
        return ""
    text = plain(value).replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_INERT).replace("\n", "<br>")


def as_toast(value: object, *, sentence: bool = True) -> str:
    """``value`` for a pop-up (``gr.Info``/``gr.Warning``/``gr.Error``): HTML there, never Markdown.

    Only HTML's characters are escaped, so an API client reading the error gets readable text. An error
    (raised in English below the UI) is translated into the session's language first, and begun as a sentence
    unless ``sentence`` is False (an error quoted after a colon).
    """
    text = "" if value is None else str(value)
    if isinstance(value, BaseException):
        from workbench.ui import i18n  # the catalogue needs Gradio; keep this module importable without it

        lang = i18n.language()
        text = i18n.catalogue().translate(text, lang)
        text = i18n.catalogue().as_sentence(text, lang) if sentence else text
    return html.escape(plain(text), quote=False)


def chat_text(value: object) -> str:
    """``value`` for a :data:`TEXT_CHATBOT` message (HTML, shown with its newlines): ``& < >`` escaped."""
    return html.escape(plain(value), quote=False)


def text_messages(turns: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """:data:`TEXT_CHATBOT` messages for ``(role, text)`` turns, every text inert."""
    return [{"role": CHAT_ROLES.get(role, "assistant"), "content": chat_text(text)} for role, text in turns]
