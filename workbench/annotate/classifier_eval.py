"""Evaluation of the turn-type classifier: JSONL records in, the ``classify`` command, and scores against
gold labels for ours and the original marker list. The rules themselves live in
:mod:`workbench.annotate.classifier`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from workbench.annotate.classifier import TURN_TYPES, classify, is_question_original
from workbench.errors import InputError
from workbench.vocab import QUESTION_TURN_TYPES


def read_records(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Parse JSONL lines into ``{"line", "text", "turn_type"}``; gold ``turn_type`` is None when absent.

    Blank lines are skipped. Raises InputError naming the (1-based) line for invalid JSON, a missing or
    non-string ``text``, or a gold ``turn_type`` outside the four types.
    """
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {number}: invalid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(obj, dict):
            raise InputError(f"line {number}: expected a JSON object with a \"text\" field")
        if "text" not in obj:
            raise InputError(f"line {number}: missing \"text\" field")
        if not isinstance(obj["text"], str):
            raise InputError(f"line {number}: \"text\" must be a string")
        gold = obj.get("turn_type")
        if gold is not None and gold not in TURN_TYPES:
            raise InputError(f"line {number}: turn_type {gold!r} is not one of {', '.join(TURN_TYPES)}")
        yield {"line": number, "text": obj["text"], "turn_type": gold}


def run_classify(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Classify JSONL lines ``{"text": ...}``; yield ``{"text", "turn_type", "confidence"}`` per input."""
    for rec in read_records(lines):
        s = classify(rec["text"])
        yield {"text": rec["text"], "turn_type": s.turn_type, "confidence": s.confidence}


def _binary(turn_type: str) -> bool:
    return turn_type in QUESTION_TURN_TYPES


def evaluate(records: Iterable[Mapping[str, Any]], *, errors: bool = False) -> dict[str, Any]:
    """Score ours against the original marker list on gold-labelled records ``{"text", "turn_type"}``.

    ``accuracy`` is ours on the four classes; the marker list only says question / not-question, so both
    are also scored on the binary mapping question+mixed -> question, suggestion+other -> not-question.
    ``confusion[gold][predicted]`` counts ours on the four classes. Records without a gold label are left
    out and counted in ``unlabelled``; ``errors=True`` adds every misclassified record (``errors``).
    """
    n = correct = bin_ours = bin_orig = unlabelled = 0
    confusion: dict[str, dict[str, int]] = {g: dict.fromkeys(TURN_TYPES, 0) for g in TURN_TYPES}
    wrong: list[dict[str, Any]] = []
    for rec in records:
        gold = rec.get("turn_type")
        if gold is None:
            unlabelled += 1
            continue
        if gold not in TURN_TYPES:
            raise InputError(f"gold turn_type {gold!r} is not one of {', '.join(TURN_TYPES)}")
        pred = classify(rec["text"]).turn_type
        n += 1
        correct += pred == gold
        bin_ours += _binary(pred) == _binary(gold)
        bin_orig += is_question_original(rec["text"]) == _binary(gold)
        confusion[gold][pred] += 1
        if errors and pred != gold:
            wrong.append({"line": rec.get("line"), "text": rec["text"], "gold": gold, "predicted": pred})
    if n == 0:
        raise InputError("no records carry a gold turn_type to evaluate against")
    per_class = {}
    for t in TURN_TYPES:
        tp = confusion[t][t]
        predicted = sum(confusion[g][t] for g in TURN_TYPES)
        actual = sum(confusion[t].values())
        per_class[t] = {
            "precision": round(tp / predicted, 4) if predicted else None,
            "recall": round(tp / actual, 4) if actual else None,
            "support": actual,
        }
    return {
        "n": n,
        "unlabelled": unlabelled,
        "accuracy": round(correct / n, 4),
        "binary_accuracy": round(bin_ours / n, 4),
        "original_marker_accuracy": round(bin_orig / n, 4),
        "per_class": per_class,
        "confusion": confusion,
        **({"errors": wrong} if errors else {}),
    }


def classify_command(lines: Iterable[str], stdout: TextIO, stderr: TextIO, *, errors: bool = False) -> int:
    """Body of ``python -m workbench classify FILE.jsonl``: predictions to stdout, evaluation to stderr.

    Prints one JSON line per input. If any input line carries a gold ``turn_type``, an evaluation summary
    of those lines (one JSON object, saying how many had no label) goes to stderr so stdout stays one line
    per input; ``errors`` lists the misclassified ones in it. Returns the exit code.
    """
    records = list(read_records(lines))  # validate the whole file first: no half-printed output
    for rec in records:
        s = classify(rec["text"])
        out = {"text": rec["text"], "turn_type": s.turn_type, "confidence": s.confidence}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    if any(r["turn_type"] is not None for r in records):
        summary = evaluate(records, errors=errors)
        stderr.write(json.dumps({"evaluation": summary}, ensure_ascii=False) + "\n")
    return 0


__all__ = ["classify_command", "evaluate", "read_records", "run_classify"]
