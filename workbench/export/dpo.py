"""DPO pairs in TRL's conversational preference format: ``{"prompt", "chosen", "rejected"}``.

Pairs come from two sources, per (dialogue, turn):

* **preferences**: every annotator's outcome (a :class:`PreferenceOutcome` ranking, or when none
  are given, ``preferred_by``/``dispreferred_by`` on the candidates: each annotator's preferred
  replies beat that annotator's dispreferred ones) implies (better, worse) pairs. Votes are pooled
  over annotators; a pair is emitted in the majority direction only (ties are dropped), listing the
  annotators for and against. The chosen reply must pass the turn-type, safety, score and agreement
  filters; the rejected one only needs to be in scope (unsafe or poor replies make good negatives).
* **corrections**: a corrected reply beats the reply it corrects and every reply of that turn whose
  overall score is <= ``filters.dpo_low_threshold``.

Identical chosen/rejected texts are skipped; a (chosen text, rejected reply) pair appears once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from workbench.export._json import dumpb
from workbench.export.aggregated import weighted
from workbench.export.context import ExportContext, FormatResult
from workbench.export.records import ExportCandidate, GenId
from workbench.export.selection import CandidateStats, quality_ok, type_ok


@dataclass(slots=True)
class PreferencePair:
    dialogue_id: object
    turn_index: int
    prompt_candidate: ExportCandidate  # gives the history, which chosen and rejected both answered
    chosen_text: str
    chosen: tuple[ExportCandidate, CandidateStats] | None  # None for a corrected reply
    rejected: tuple[ExportCandidate, CandidateStats]
    source: str  # "preference" | "correction"
    votes_for: tuple[str, ...]
    votes_against: tuple[str, ...]


def _outcomes(ctx: ExportContext, key: tuple, group: list) -> dict[str, list[tuple[GenId, GenId]]]:
    """(better, worse) generation-id pairs per annotator for one turn."""
    allowed = set(ctx.filters.annotators) if ctx.filters.annotators is not None else None
    per: dict[str, list[tuple[GenId, GenId]]] = defaultdict(list)
    if ctx.preferences is not None:
        for p in ctx.preferences_by_turn.get(tuple(key), ()):
            if allowed is None or p.annotator in allowed:
                per[p.annotator].extend(p.pairs())
        return per
    wins: dict[str, list[GenId]] = defaultdict(list)
    losses: dict[str, list[GenId]] = defaultdict(list)
    for c, s in group:
        for a in s.votes_for:
            wins[a].append(c.generation_id)
        for a in s.votes_against:
            losses[a].append(c.generation_id)
    for a, ws in wins.items():
        per[a].extend((w, lo) for w in ws for lo in losses.get(a, []) if w != lo)
    return per


def dpo_pairs(ctx: ExportContext) -> list[PreferencePair]:
    """Every DPO pair of the export, in dialogue/turn order."""
    f = ctx.filters
    out: list[PreferencePair] = []
    for key, group in ctx.groups.items():
        by_id = {c.generation_id: (c, s) for c, s in group}
        seen: set[tuple[str, GenId]] = set()
        votes: dict[tuple[GenId, GenId], set[str]] = defaultdict(set)
        for a, prs in _outcomes(ctx, key, group).items():
            for better, worse in prs:
                if better in by_id and worse in by_id:
                    votes[(better, worse)].add(a)
        for (better, worse), fwd in votes.items():
            back = votes.get((worse, better), set())
            # With a reliability-weighted aggregate, a careless annotator's vote weighs less (export/aggregated.py).
            if weighted(fwd, ctx.vote_weights) <= weighted(back, ctx.vote_weights):
                continue
            ch, rj = by_id[better], by_id[worse]
            if not (type_ok(ch[1], f) and quality_ok(ch[1], f)) or ch[0].output == rj[0].output:
                continue
            # In a live chat each column has its own thread: a pair is only a preference between two
            # answers to the same conversation.
            if ch[0].history != rj[0].history:
                continue
            if (ch[0].output, worse) in seen:
                continue
            seen.add((ch[0].output, worse))
            out.append(PreferencePair(key[0], key[1], ch[0], ch[0].output, ch, rj, "preference",
                                      tuple(sorted(fwd)), tuple(sorted(back))))
        if not f.use_corrections:
            continue
        for c, s in group:
            if not type_ok(s, f):
                continue
            for a, text, _ in s.corrections:
                losers = [(c, s)] + [
                    x for x in group
                    if x[0] is not c and x[1].overall is not None and x[1].overall <= f.dpo_low_threshold
                    and x[0].history == c.history
                ]
                for rc, rs in losers:
                    if rc.output == text or (text, rc.generation_id) in seen:
                        continue
                    seen.add((text, rc.generation_id))
                    out.append(PreferencePair(key[0], key[1], c, text, None, (rc, rs), "correction", (a,), ()))
    return out


def _side(x: tuple[ExportCandidate, CandidateStats] | None) -> dict:
    if x is None:
        return {"generation_id": None, "column": None, "model": "corrected", "questioning": None,
                "suggestion": None, "n_ratings": 0, "agreement": None}
    c, s = x
    return {"generation_id": c.generation_id, "column": c.column, "model": c.model, "questioning": s.questioning,
            "suggestion": s.suggestion, "n_ratings": s.n_ratings, "agreement": s.agreement}


def write(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.jsonl`` of preference pairs."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    sides: dict[int, bytes] = {}  # a reply appears in many pairs: encode its metadata once

    def side(x: tuple[ExportCandidate, CandidateStats] | None) -> bytes:
        k = id(x[0]) if x is not None else 0
        got = sides.get(k)
        if got is None:
            got = sides[k] = dumpb(_side(x))
        return got

    with path.open("wb") as f:
        for p in dpo_pairs(ctx):
            c = p.prompt_candidate
            turn_type = (p.chosen or p.rejected)[1].turn_type
            res.count(p.chosen[0].model if p.chosen else "corrected", turn_type, p.source)
            head = dumpb({"dialogue_id": p.dialogue_id, "turn_index": p.turn_index, "dataset": c.dataset,
                        "pair_source": p.source, "turn_type": turn_type, "annotators": list(p.votes_for),
                        "annotators_against": list(p.votes_against)})
            meta = head[:-1] + b',"chosen":' + side(p.chosen) + b',"rejected":' + side(p.rejected) + b"}"
            f.write(b'{"prompt":' + ctx.prompt_json(c) + b',"chosen":'
                    + dumpb([{"role": "assistant", "content": p.chosen_text}]) + b',"rejected":'
                    + dumpb([{"role": "assistant", "content": p.rejected[0].output}]) + b',"metadata":'
                    + meta + b"}\n")
    return res
