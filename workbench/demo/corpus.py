"""The demo corpus: parsing, the train/held-out split, and the training pairs of each model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench import prompts
from workbench.demo.recipe import CORPUS_PATH, HOLDOUT_EVERY, Rounds
from workbench.errors import DatasetError
from workbench.vocab import QUESTION_MARKS


@dataclass(frozen=True)
class DemoDialogue:
    """One corpus dialogue as (patient, doctor) rounds."""

    id: str
    topic: str
    rounds: tuple[tuple[str, str], ...]


def is_question(text: str) -> bool:
    """The demo's notion of a question: the reply contains a question mark (full- or half-width)."""
    return any(m in text for m in QUESTION_MARKS)


def parse_corpus(text: str, source: str = "demo corpus") -> list[DemoDialogue]:
    """Parse the jsonl corpus; turns must alternate patient/doctor, starting with the patient."""
    dialogues: list[DemoDialogue] = []
    errors: list[str] = []
    seen: set[str] = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            did, topic, turns = str(row["id"]), str(row.get("topic", "")), row["turns"]
            roles = [t["role"] for t in turns]
            texts = [str(t["text"]).strip() for t in turns]
        except (ValueError, KeyError, TypeError) as e:
            errors.append(f"line {lineno}: {type(e).__name__}: {e}")
            continue
        expected = ["patient", "doctor"] * (len(turns) // 2)
        if not turns or len(turns) % 2 or roles != expected:
            errors.append(f"line {lineno} ({did}): turns must alternate patient, doctor and end with doctor")
        elif not all(texts):
            errors.append(f"line {lineno} ({did}): empty turn text")
        elif did in seen:
            errors.append(f"line {lineno}: duplicate id {did!r}")
        else:
            seen.add(did)
            dialogues.append(DemoDialogue(did, topic, tuple(zip(texts[0::2], texts[1::2], strict=True))))
    if errors:
        raise DatasetError(f"{source}: {len(errors)} bad row(s)", row_errors=errors)
    if not dialogues:
        raise DatasetError(f"{source}: no dialogues")
    return dialogues


def load_corpus(path: Path = CORPUS_PATH) -> list[DemoDialogue]:
    """Read and validate the demo corpus."""
    try:
        return parse_corpus(path.read_text(encoding="utf-8"), str(path))
    except OSError as e:
        raise DatasetError(f"cannot read the demo corpus {path}: {e}") from e


def split_corpus(dialogues: Sequence[DemoDialogue]) -> tuple[list[DemoDialogue], list[DemoDialogue]]:
    """(train, held-out): every :data:`HOLDOUT_EVERY`-th dialogue is held out, spread over all topics."""
    train = [d for i, d in enumerate(dialogues) if i % HOLDOUT_EVERY != HOLDOUT_EVERY // 2]
    held = [d for i, d in enumerate(dialogues) if i % HOLDOUT_EVERY == HOLDOUT_EVERY // 2]
    return train, held


def history_variants(rounds: Sequence[tuple[str, str]], greeting_variants: bool = True) -> list[Rounds]:
    """The histories a dialogue is trained with.

    The app answers a dialogue's first message with the fixed greeting and only then calls the models,
    so the models also see histories that start with a greeting round: the original ``("你好", greeting)``
    and one whose first message is the complaint itself.
    """
    base = list(rounds)
    if not greeting_variants:
        return [base]
    return [
        base,
        [("你好", prompts.GREETING), *base],
        [(base[0][0], prompts.GREETING), *base],
    ]


def _grouped_pairs(
    dialogues: Sequence[DemoDialogue],
    greeting_variants: bool,
    want_question: bool,
    escaped: bool,
    earlier_positions: bool = False,
) -> list[list[tuple[str, str]]]:
    """For each selected doctor turn, its (input, target) pairs under every history variant.

    With ``earlier_positions`` the turn is also the target after every earlier patient message of its
    dialogue (the history cut there).
    """
    render = prompts.bianque_v1_input if escaped else prompts.bianque_v2_input
    fix = prompts.escape_v1 if escaped else (lambda t: t)
    groups: list[list[tuple[str, str]]] = []
    for d in dialogues:
        variants = history_variants(d.rounds, greeting_variants)
        offset = [len(v) - len(d.rounds) for v in variants]
        for i, (_, doctor) in enumerate(d.rounds):
            if is_question(doctor) != want_question:
                continue
            positions = range(i + 1) if earlier_positions else (i,)
            groups.append(
                [
                    (render(v[: j + k], v[j + k][0]), fix(doctor))
                    for j in positions
                    for v, k in zip(variants, offset, strict=True)
                ]
            )
    return groups


def v1_pairs(
    dialogues: Sequence[DemoDialogue], greeting_variants: bool = True
) -> list[list[tuple[str, str]]]:
    """For every doctor *question*: (escaped input as the app sends it, escaped target) per history variant."""
    return _grouped_pairs(dialogues, greeting_variants, want_question=True, escaped=True)


def v2_pairs(
    dialogues: Sequence[DemoDialogue], greeting_variants: bool = True, earlier_positions: bool = True
) -> list[list[tuple[str, str]]]:
    """For every doctor *advice* turn: (unescaped prompt as the app sends it, target) per history variant.

    ``earlier_positions`` also pairs the advice with every earlier point of its dialogue: BianQue-2.0
    advises at once rather than asking first, and the many prompts per advice let the tiny model pick
    the right advice for messages it has not seen.
    """
    return _grouped_pairs(
        dialogues, greeting_variants, want_question=False, escaped=False, earlier_positions=earlier_positions
    )


def eval_prompts(dialogues: Sequence[DemoDialogue]) -> list[tuple[Rounds, str]]:
    """Every (history, patient message) position of the given dialogues, as the app would send them."""
    return [(list(d.rounds[:i]), d.rounds[i][0]) for d in dialogues for i in range(len(d.rounds))]
