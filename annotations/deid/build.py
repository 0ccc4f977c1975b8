"""Build the labelled de-identification sets (JSONL) from their hand-written markup sources.

A source line is a sentence where each piece of personal data is written ``{label|value}``. In values,
a trailing ``?`` on an 18-character resident ID is replaced by its check digit, and a trailing ``#`` on
a card number by its Luhn digit, so the sets hold valid numbers without computing them by hand.
Lines starting with ``#`` and blank lines are skipped.

    .venv/bin/python annotations/deid/build.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = {"name", "phone", "id_number", "email", "address", "record_number", "account", "date_of_birth",
          "plate", "ip", "other"}
MARK = re.compile(r"\{([a-z_]+)\|([^{}]+)\}")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_digit(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def luhn_digit(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # doubled: positions counted from the check digit that is being appended
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def fill(value: str) -> str:
    if value.endswith("?"):
        digits = value[:-1].replace(" ", "")
        return value[:-1] + id_check_digit(digits)
    if value.endswith("#"):
        digits = value[:-1].replace(" ", "").replace("-", "")
        return value[:-1] + luhn_digit(digits)
    return value


def parse(line: str) -> dict:
    text, spans, pos = [], [], 0
    length = 0
    for m in MARK.finditer(line):
        label, value = m.group(1), fill(m.group(2))
        if label not in LABELS:
            raise ValueError(f"unknown label {label!r} in {line!r}")
        before = line[pos : m.start()]
        text.append(before)
        length += len(before)
        spans.append({"start": length, "end": length + len(value), "label": label})
        text.append(value)
        length += len(value)
        pos = m.end()
    text.append(line[pos:])
    return {"text": "".join(text), "spans": spans}


def build(src: Path, dst: Path) -> int:
    rows = [parse(ln.strip()) for ln in src.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")]
    with dst.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(rows)


if __name__ == "__main__":
    for name in sys.argv[1:] or ["eval", "heldout"]:
        n = build(HERE / f"{name}.txt", HERE.parent / f"deid_{name}.jsonl")
        print(f"annotations/deid_{name}.jsonl: {n} sentences")
