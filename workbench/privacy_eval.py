"""``python -m workbench deidentify FILE.jsonl [--eval]``: de-identify JSON lines, and score the detector
against labelled spans.

Input lines are ``{"text": ...}`` (with ``"spans": [{"start", "end", "label"}]`` for ``--eval``); output
lines are ``{"text", "redacted", "spans"}``. Scores are span-level and per label:

* *overlap* (the headline figure): a predicted span counts as correct when it overlaps a gold span of
  the same label, and a gold span as found when a predicted span of its label overlaps it;
* *exact*: the same with equal start and end.

The ``all`` row ignores labels: its precision is the share of redactions that touch personal data at
all, i.e. ``1 -`` the share that replaced medical (or other harmless) text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from workbench.errors import InputError
from workbench.plural import counted
from workbench.privacy import LABELS, deidentify, detect

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Tally:
    predicted: int = 0
    predicted_ok: int = 0
    gold: int = 0
    gold_found: int = 0

    @property
    def precision(self) -> float:
        return self.predicted_ok / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.gold_found / self.gold if self.gold else 1.0


@dataclass
class Scores:
    overlap: dict[str, Tally] = field(default_factory=dict)
    exact: dict[str, Tally] = field(default_factory=dict)
    sentences: int = 0
    misses: list[dict] = field(default_factory=list)  # gold spans not found (text, span)
    false_alarms: list[dict] = field(default_factory=list)  # predicted spans touching no gold span

    def to_dict(self) -> dict:
        def rows(t: dict[str, Tally]) -> dict:
            return {k: {"precision": round(v.precision, 4), "recall": round(v.recall, 4), "gold": v.gold,
                        "predicted": v.predicted} for k, v in t.items()}
        return {"sentences": self.sentences, "matching": "overlap", "overlap": rows(self.overlap),
                "exact": rows(self.exact)}

    def table(self) -> str:
        lines = [f"{counted(self.sentences, 'sentence')}; span-level, a match = same label and overlapping span "
                 "(exact = same start and end)",
                 f"{'label':<15}{'gold':>6}{'pred':>6}{'precision':>11}{'recall':>9}{'exact P':>9}{'exact R':>9}"]
        for k, t in self.overlap.items():
            e = self.exact[k]
            lines.append(f"{k:<15}{t.gold:>6}{t.predicted:>6}{t.precision:>11.3f}{t.recall:>9.3f}"
                         f"{e.precision:>9.3f}{e.recall:>9.3f}")
        return "\n".join(lines)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(rows: Iterable[dict]) -> Scores:
    """Per-label and overall precision and recall of :func:`workbench.privacy.detect` on labelled rows."""
    sc = Scores()
    for key in (*LABELS, "all"):
        sc.overlap[key] = Tally()
        sc.exact[key] = Tally()
    for row in rows:
        sc.sentences += 1
        text = row["text"]
        gold = [(s["start"], s["end"], s["label"]) for s in row.get("spans", [])]
        pred = [(s.start, s.end, s.label) for s in detect(text)]
        for table, same in ((sc.overlap, _overlaps), (sc.exact, lambda a, b: a == b)):
            for key in (*LABELS, "all"):
                g = [x for x in gold if key in ("all", x[2])]
                p = [x for x in pred if key in ("all", x[2])]
                t = table[key]
                t.gold += len(g)
                t.predicted += len(p)
                t.gold_found += sum(any(same(x[:2], y[:2]) for y in p) for x in g)
                t.predicted_ok += sum(any(same(y[:2], x[:2]) for x in g) for y in p)
        for s, e, label in gold:
            if not any(_overlaps((s, e), (a, b)) and lab == label for a, b, lab in pred):
                sc.misses.append({"text": text, "missed": text[s:e], "label": label})
        for a, b, label in pred:
            if not any(_overlaps((s, e), (a, b)) for s, e, _ in gold):
                sc.false_alarms.append({"text": text, "redacted": text[a:b], "label": label})
    # Only labels that occur in the data or were predicted are worth a row.
    unused = [key for key in LABELS if not (sc.overlap[key].gold or sc.overlap[key].predicted)]
    for table in (sc.overlap, sc.exact):
        for key in unused:
            del table[key]
    return sc


def read_rows(lines: Iterable[str], source: str, need_spans: bool = False) -> Iterator[dict]:
    """Parsed input lines; a bad line stops with an error naming the file and the line."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{source}:{n}: not JSON ({e.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise InputError(f'{source}:{n}: expected an object with a "text" string')
        # JSON can escape half of a UTF-16 pair ("\ud800"), which no UTF-8 output can hold.
        if (lone := _LONE_SURROGATE.search(row["text"])) is not None:
            raise InputError(f"{source}:{n}: the text contains a lone surrogate (U+{ord(lone.group()):04X}) at "
                             f"character {lone.start() + 1}, which is not a character")
        if need_spans:
            spans = row.get("spans")
            if not isinstance(spans, list) or not all(
                isinstance(s, dict) and isinstance(s.get("start"), int) and isinstance(s.get("end"), int)
                and 0 <= s["start"] < s["end"] <= len(row["text"]) and s.get("label") in LABELS for s in spans
            ):
                raise InputError(f"{source}:{n}: --eval needs \"spans\": [{{start, end, label}}] with offsets "
                                 f"inside the text and labels from {', '.join(LABELS)}")
        yield row


def deidentify_lines(rows: Iterable[dict], out: IO[str]) -> int:
    """Write one ``{"text", "redacted", "spans"}`` line per row; return the number of lines."""
    n = 0
    for row in rows:
        text = row["text"]
        redacted, _ = deidentify(text)
        spans = [{"start": s.start, "end": s.end, "label": s.label} for s in detect(text)]
        out.write(json.dumps({"text": text, "redacted": redacted, "spans": spans}, ensure_ascii=False) + "\n")
        n += 1
    return n


def cmd_deidentify(args) -> int:
    """De-identify JSON lines ({"text"} in, {"text","redacted","spans"} out); --eval scores labelled spans."""
    import sys

    source = args.file
    try:
        f = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    except OSError as e:
        raise InputError(f"{source}: cannot read: {e}") from None
    try:
        rows = list(read_rows(f, source, need_spans=args.eval))
    except UnicodeDecodeError as e:
        raise InputError(f"{source}: not UTF-8 text ({e.reason})") from None
    finally:
        if f is not sys.stdin:
            f.close()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            deidentify_lines(rows, out)
    elif not args.eval:
        deidentify_lines(rows, sys.stdout)
    if args.eval:
        sc = score(rows)
        print(json.dumps(sc.to_dict(), ensure_ascii=False) if args.json else sc.table())
        if args.errors:
            for m in sc.misses:
                print("MISS", json.dumps(m, ensure_ascii=False), file=sys.stderr)
            for m in sc.false_alarms:
                print("FALSE", json.dumps(m, ensure_ascii=False), file=sys.stderr)
    return 0


def add_deidentify_parser(sub) -> None:
    sp = sub.add_parser(
        "deidentify", help=cmd_deidentify.__doc__,
        description="De-identify JSON lines: {\"text\"} in, {\"text\", \"redacted\", \"spans\"} out. With --eval, "
                    "score the detector against the file's labelled spans: span-level precision and recall per "
                    "label, a match being the same label and an overlapping span (exact offsets in extra columns).")
    sp.add_argument("file", help='JSONL, one {"text": ...} per line (with "spans" for --eval), or - for stdin')
    sp.add_argument("--out", default=None, help="write the output lines here instead of stdout")
    sp.add_argument("--eval", action="store_true",
                    help="print per-label precision and recall against the file's labelled spans")
    sp.add_argument("--json", action="store_true", help="with --eval: the scores as one JSON object")
    sp.add_argument("--errors", action="store_true", help="with --eval: list misses and false alarms on stderr")
    sp.set_defaults(func=cmd_deidentify)
