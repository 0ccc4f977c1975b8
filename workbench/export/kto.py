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

from dataclasses import dataclass, field
from pathlib import Path

from workbench.export._json import dumpb, dumpb_kept
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult
from workbench.export.records import ExportCandidate
from workbench.export.selection import (
    CandidateStats,
    candidate_stats,
    pool_copies,
    pool_identical,
    text_turn_type,
    text_type_ok,
)


@dataclass(slots=True)  # one per exported row
class KtoRow:
    prompt_candidate: ExportCandidate
    completion: str
    rated: list[tuple[ExportCandidate, CandidateStats]] = field(default_factory=list)
    corrected_by: list[str] = field(default_factory=list)
    prompt: bytes = b""  # the prompt as a JSON array of messages (:meth:`ExportContext.prompt_json`)


def _distinct_completions(ctx: ExportContext) -> dict[tuple[bytes, str], KtoRow]:
    """Every (prompt, completion) of the export, first-seen order, with the ratings and corrections behind it."""
    f_ = ctx.filters
    types = f_.turn_types
    corrections = f_.use_corrections
    entries = [e for group in ctx.groups.values() for e in group]
    rows: dict[tuple[bytes, str], KtoRow] = {}
    for (c, s), prompt in zip(entries, ctx.prompts([c for c, _ in entries]), strict=True):
        if s.overall is not None and (types is None or s.turn_type in types):  # type_ok
            key = (prompt, c.output)
            row = rows.get(key)
            if row is None:
                rows[key] = KtoRow(c, c.output, [(c, s)], [], prompt)
            else:
                row.rated.append((c, s))
        if corrections and s.corrections:
            for a, text, _ in s.corrections:
                if text_type_ok(text, f_):
                    key = (prompt, text)
                    row = rows.get(key)
                    if row is None:
                        row = rows[key] = KtoRow(c, text, [], [], prompt)
                    row.corrected_by.append(a)
    return rows


def kto_rows(ctx: ExportContext) -> tuple[list[tuple[KtoRow, bool, dict]], int]:
    """(row, label, metadata) for every distinct (prompt, completion), and the number of completions
    left out because the ratings and a correction disagree."""
    f_ = ctx.filters
    ann = frozenset(f_.annotators) if f_.annotators is not None else None
    out: list[tuple[KtoRow, bool, dict]] = []
    contradictions = 0
    cut = f_.kto_cut
    for row in _distinct_completions(ctx).values():
        c = row.prompt_candidate
        if row.rated:
            if len(row.rated) == 1:
                pooled, s = row.rated[0]
            else:  # the same (prompt, text) at several turns: pool them too
                # One prompt renders one history (roles and texts), so the rows' replies are copies of one
                # reply: pooled as pool_identical() would, without comparing their histories turn by turn
                # (unless a list and a tuple of the same turns meet, which pool_identical() keeps apart).
                copies = [c for c, _ in row.rated]
                kind = type(copies[0].history)
                pooled = (pool_copies(copies) if all(type(x.history) is kind for x in copies)
                          else pool_identical(copies)[0])
                s = candidate_stats(pooled, ann)
            label = s.overall is not None and s.overall >= cut and not s.safety_flagged
            if row.corrected_by and not label:
                contradictions += 1
                continue
            corrected_by = row.corrected_by
            # s.annotators lists each annotator once: sorting it is sorting its set.
            annotators = sorted(set(s.annotators).union(corrected_by)) if corrected_by else sorted(s.annotators)
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
                        "agreement": s.agreement, "target_source": "rated", "annotators": annotators}
        else:
            label = True
            meta = {"dialogue_id": c.dialogue_id, "turn_index": c.turn_index, "dataset": c.dataset,
                    "generation_id": None, "generation_ids": [], "column": c.column, "model": "corrected",
                    "turn_type": text_turn_type(row.completion), "questioning": None, "suggestion": None,
                    "n_ratings": 0, "agreement": None, "target_source": "corrected",
                    "annotators": sorted(set(row.corrected_by))}
        out.append((row, label, meta))
    return out, contradictions


def write(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.jsonl`` of labelled completions."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    rows, contradictions = kto_rows(ctx)
    metas = [meta for _, _, meta in rows]
    res.count_all([m["model"] for m in metas], [m["turn_type"] for m in metas], [m["target_source"] for m in metas])
    n_pos = sum(label for _, label, _ in rows)
    replies: dict[str, bytes] = {}  # a completion's assistant message, encoded once per text
    for row, _, _ in rows:
        if row.completion not in replies:
            replies[row.completion] = dumpb_kept([{"role": "assistant", "content": row.completion}])
    with path.open("wb", buffering=WRITE_BUFFER) as f:
        f.writelines(
            b"".join((b'{"prompt":', row.prompt, b',"completion":', replies[row.completion],
                      b',"label":', b"true" if label else b"false", b',"metadata":', dumpb(meta), b"}\n"))
            for row, label, meta in rows
        )
    res.notes.append(f"{n_pos} desirable / {res.rows - n_pos} undesirable (threshold {ctx.filters.kto_cut})")
    if contradictions:
        res.notes.append(f"{contradictions} completion(s) left out: a correction equals a reply rated undesirable")
    return res
