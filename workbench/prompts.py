"""BianQue prompt formats and escaping. Pure functions, golden-tested.

Both BianQue versions read the same plain-text transcript::

    病人：{p1}\\n医生：{d1}\\n病人：{p2}\\n医生：

BianQue-1.0 (T5) additionally sees real newlines and tabs escaped as the
literal two-character sequences ``\\n`` and ``\\t``, as in its training data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

GREETING = "我是利用人工智能技术，结合大数据训练得到的智能医疗问答模型扁鹊，你可以向我提问。"
DISCLAIMER = "以下回答由扁鹊健康模型自动生成，仅供参考！"
PATIENT = "病人："
DOCTOR = "医生："

Rounds = Sequence[tuple[str, str]]
_TRAINING_ESCAPE = re.compile(r"\\(.)", re.S)


def escape_v1(text: str) -> str:
    """Escape real newlines/tabs to the literal ``\\n``/``\\t`` BianQue-1.0 was trained on."""
    return text.replace("\n", "\\n").replace("\t", "\\t")


def unescape_v1(text: str) -> str:
    """Undo :func:`escape_v1` on a BianQue-1.0 reply."""
    return text.replace("\\n", "\n").replace("\\t", "\t")


_TRAINING_ESCAPES = {"\\": "\\", "n": "\n", "t": "\t"}


def escape_training_text(text: str) -> str:
    """Escape a text for a BianQue training file, losslessly: ``\\`` -> ``\\\\``, then newline/tab -> ``\\n``/``\\t``.

    The original files escape only newlines and tabs (what the model saw, :func:`escape_v1`), so a
    literal backslash-n in a text (``C:\\new``) could not be told from a newline; doubling backslashes
    first makes every text come back exactly through :func:`unescape_training_text`.
    """
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def unescape_training_text(text: str) -> str:
    """Undo :func:`escape_training_text` in one left-to-right pass: ``\\\\`` -> ``\\``, ``\\n`` -> newline,
    ``\\t`` -> tab; any other backslash is kept as it is (the original files never doubled them)."""
    if "\\" not in text:
        return text
    return _TRAINING_ESCAPE.sub(lambda m: _TRAINING_ESCAPES.get(m.group(1), m.group(0)), text)


def bianque_context(rounds: Rounds, last_patient: str) -> str:
    """The unescaped 病人/医生 transcript ending in ``医生：``, as both original apps build it."""
    head = "\n".join(f"{PATIENT}{p}\n{DOCTOR}{d}" for p, d in rounds)
    tail = f"{PATIENT}{last_patient}\n{DOCTOR}"
    return f"{head}\n{tail}" if head else tail


def bianque_v1_input(rounds: Rounds, last_patient: str) -> str:
    """The exact text BianQue-1.0 encodes (escaped)."""
    return escape_v1(bianque_context(rounds, last_patient))


def bianque_v2_input(rounds: Rounds, last_patient: str) -> str:
    """The exact query BianQue-2.0's ``chat(history=None)`` receives (unescaped)."""
    return bianque_context(rounds, last_patient)


def fit_rounds(
    rounds: Rounds,
    last_patient: str,
    render: Callable[[Rounds, str], str],
    count_tokens: Callable[[str], int],
    max_tokens: int,
) -> tuple[list[tuple[str, str]], int]:
    """Drop the oldest rounds until ``render(rounds, last)`` fits in ``max_tokens``.

    Returns the kept rounds and how many were dropped. The latest patient
    message and the trailing ``医生：`` are never cut: the original T5 app cut
    the *end* of the prompt instead, so the model never saw the question it
    was asked. If even the last message alone is too long, the caller's
    tokenizer truncation applies to what remains (see the backends).
    """
    kept = list(rounds)
    dropped = 0
    # Binary search would be faster, but dialogues have tens of rounds at most.
    while kept and count_tokens(render(kept, last_patient)) > max_tokens:
        kept.pop(0)
        dropped += 1
    return kept, dropped


def training_pairs(rounds: Rounds) -> list[tuple[str, str]]:
    """(input, target) pairs for every doctor turn, unescaped: the BianQue training format."""
    return [(bianque_context(rounds[:i], rounds[i][0]), rounds[i][1]) for i in range(len(rounds))]
