"""Character-level differences between two replies, as inert HTML (Chinese has no spaces to diff words by).

Every piece of reply text goes through :func:`workbench.ui.text.as_text`: replies are untrusted, and only the
``<mark>`` elements added here are markup.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from workbench.ui.text import as_text


def diff_html(text: str, other: str) -> str:
    """``text`` with the characters that ``other`` does not have at that place wrapped in ``<mark>``."""
    # autojunk off: in Chinese, common characters (的, 。) are content, not noise to skip.
    matcher = SequenceMatcher(None, other, text, autojunk=False)
    out: list[str] = []
    for op, _a0, _a1, b0, b1 in matcher.get_opcodes():
        piece = as_text(text[b0:b1])
        if not piece:
            continue
        out.append(piece if op == "equal" else f'<mark class="rate-diff-mark">{piece}</mark>')
    return "".join(out)
