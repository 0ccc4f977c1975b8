"""KTO in TRL's unpaired format: ``{"prompt": [...], "completion": [assistant], "label": bool}``.

One row per distinct (prompt, completion) of the whole export, so a completion never appears with both
labels. Rated replies (turn-type filter applied) are pooled by (prompt, text): identical replies, at
one turn or at turns that share a prompt, pool their ratings (see
:func:`workbench.export.selection.pool_identical`), and ``label`` is True when the pooled overall
score is >= ``filters.kto_cut`` and no selected annotator flagged it unsafe. Score minima and the
safety exclusion are *not* applied here: low-rated and unsafe replies are the negative examples.
Corrected replies (if ``use_corrections``; the turn-type filter on the correction's own text) are
positive rows; a correction whose text equals a reply the pooled ratings call undesirable is a
contradiction, and that completion is left out (counted in the notes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from workbench.export._json import dumpb
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult
from workbench.export.selection import (
    candidate_stats,
    has_text,
    pool_copies,
    pool_identical,
    text_turn_type,
    text_type_ok,
)

#: one distinct (prompt, completion) rated more than once or written as a correction: [the candidate whose
#: prompt it is, the rated replies (candidate, stats) with that text, the annotators who wrote it as a
#: correction (None: nobody)]
Completion = list
#: a row of :func:`_distinct_completions`: the group's own (candidate, stats) entry when one rated reply is
#: all there is behind it (most rows: no list is made for them), else a :data:`Completion`
Row = tuple | Completion


def _distinct_completions(ctx: ExportContext) -> dict[tuple[bytes, str], Row]:
    """Every (prompt, completion) of the export, first-seen order, with the ratings and corrections behind it.
    The key's prompt is the prompt as a JSON array of messages (:meth:`ExportContext.prompt_json`)."""
    f_ = ctx.filters
    types = f_.turn_types
    corrections = f_.use_corrections
    entries = [e for group in ctx.groups.values() for e in group]
    rows: dict[tuple[bytes, str], Row] = {}
    get = rows.get
    for e, prompt in zip(entries, ctx.prompts([c for c, _ in entries]), strict=True):
        c, s = e
        if s.overall is not None and (types is None or s.turn_type in types) and has_text(c):  # type_ok; no empty completion
            key = (prompt, c.output)
            row = get(key)
            if row is None:
                rows[key] = e
            elif len(row) == 2:  # a second reply with this text and prompt
                rows[key] = [row[0], [row, e], None]
            else:
                row[1].append(e)
        if corrections and s.corrections:
            for a, text, _ in s.corrections:
                if text_type_ok(text, f_):
                    key = (prompt, text)
                    row = get(key)
                    comp: Completion
                    if row is None:
                        comp = rows[key] = [c, [], None]
                    elif isinstance(row, list) and len(row) == 3:
                        comp = row
                    else:  # one rated reply so far
                        comp = rows[key] = [row[0], [row], None]
                    if comp[2] is None:
                        comp[2] = []
                    comp[2].append(a)
    return rows


def kto_rows(ctx: ExportContext) -> tuple[list[tuple[bytes, str, bool, dict]], int]:
    """(prompt JSON, completion, label, metadata) for every distinct (prompt, completion), and the number of
    completions left out because the ratings and a correction disagree."""
    left_out = [0]
    rows = list(_rows(ctx, left_out))
    return rows, left_out[0]


def _rows(ctx: ExportContext, left_out: list[int]) -> Iterator[tuple[bytes, str, bool, dict]]:
    """The rows of :func:`kto_rows` one at a time (a writer encodes each and drops it: kept all together, the
    80k metadata dicts of a large export cost more in memory traffic than building them), counting the
    completions left out in ``left_out[0]``."""
    f_ = ctx.filters
    ann = frozenset(f_.annotators) if f_.annotators is not None else None
    cut = f_.kto_cut
    for (prompt, completion), row in _distinct_completions(ctx).items():
        if len(row) == 2:  # one rated reply, no correction (see Row)
            c, rated, corrected_by = row[0], (row,), None
        else:
            c, rated, corrected_by = row
        if rated:
            if len(rated) == 1:
                pooled, s = rated[0]
            else:  # the same (prompt, text) at several turns: pool them too
                # One prompt renders one history (roles and texts), so the rows' replies are copies of one
                # reply: pooled as pool_identical() would, without comparing their histories turn by turn
                # (unless a list and a tuple of the same turns meet, which pool_identical() keeps apart).
                copies = [c for c, _ in rated]
                kind = type(copies[0].history)
                pooled = (pool_copies(copies, votes=False) if all(type(x.history) is kind for x in copies)
                          else pool_identical(copies)[0])
                s = candidate_stats(pooled, ann)
            overall = s.overall
            label = overall is not None and overall >= cut and not s.safety_flagged
            if corrected_by:
                if not label:
                    left_out[0] += 1
                    continue
                # s.annotators lists each annotator once: sorting it is sorting its set.
                annotators = sorted(set(s.annotators).union(corrected_by))
            else:
                annotators = sorted(s.annotators)
            ids = pooled.pooled_ids
            if s.extra:
                meta = {"dialogue_id": c.dialogue_id, "turn_index": c.turn_index, "dataset": c.dataset,
                        "generation_id": pooled.generation_id, "generation_ids": list(pooled.generation_ids),
                        "column": pooled.column, "model": pooled.model, "turn_type": s.turn_type,
                        "questioning": s.questioning, "suggestion": s.suggestion, **dict(s.extra),
                        "n_ratings": s.n_ratings, "agreement": s.agreement, "target_source": "rated",
                        "annotators": annotators}
            else:  # the same keys without the further axes, built in one step (most exports)
                meta = {"dialogue_id": c.dialogue_id, "turn_index": c.turn_index, "dataset": c.dataset,
                        "generation_id": pooled.generation_id,
                        "generation_ids": list(ids) if ids else [pooled.generation_id],
                        "column": pooled.column, "model": pooled.model, "turn_type": s.turn_type,
                        "questioning": s.questioning, "suggestion": s.suggestion, "n_ratings": s.n_ratings,
                        "agreement": s.agreement, "target_source": "rated",
                        "annotators": annotators}
        else:
            label = True
            meta = {"dialogue_id": c.dialogue_id, "turn_index": c.turn_index, "dataset": c.dataset,
                    "generation_id": None, "generation_ids": [], "column": c.column, "model": "corrected",
                    "turn_type": text_turn_type(completion), "questioning": None, "suggestion": None,
                    "n_ratings": 0, "agreement": None, "target_source": "corrected",
                    "annotators": sorted(set(corrected_by))}
        yield prompt, completion, label, meta


def write(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.jsonl`` of labelled completions."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    models: list[str | None] = []
    turn_types: list[str | None] = []
    sources: list[str | None] = []
    desirable = [0]
    left_out = [0]
    # What lies between a line's prompt and its metadata, encoded once per completion text and label
    # (completions repeat across prompts): ',"completion":[{"role":"assistant",…}],"label":…,"metadata":'.
    middles: dict[tuple[str, bool], bytes] = {}

    def lines() -> Iterator[bytes]:
        for prompt, completion, label, meta in _rows(ctx, left_out):
            models.append(meta["model"])
            turn_types.append(meta["turn_type"])
            sources.append(meta["target_source"])
            middle = middles.get((completion, label))
            if middle is None:
                middle = middles[(completion, label)] = b"".join((
                    b',"completion":', dumpb([{"role": "assistant", "content": completion}]),
                    b',"label":', b"true" if label else b"false", b',"metadata":'))
            if label:
                desirable[0] += 1
            yield b"".join((b'{"prompt":', prompt, middle, dumpb(meta), b"}\n"))

    with path.open("wb", buffering=WRITE_BUFFER) as f:
        f.writelines(lines())
    res.count_all(models, turn_types, sources)
    n_pos = desirable[0]
    res.notes.append(f"{n_pos} desirable / {res.rows - n_pos} undesirable (threshold {ctx.filters.kto_cut})")
    if left_out[0]:
        res.notes.append(f"{left_out[0]} completion(s) left out: a correction equals a reply rated undesirable")
    return res
