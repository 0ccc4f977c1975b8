"""DPO pairs in TRL's conversational preference format: ``{"prompt", "chosen", "rejected"}``.

Pairs come from two sources, per (dialogue, turn), over the turn's replies with identical replies
pooled (see :func:`workbench.export.selection.pool_identical`):

* **preferences**: every annotator's outcome (a :class:`PreferenceOutcome` ranking, or when none
  are given, ``preferred_by``/``dispreferred_by`` on the candidates: each annotator's preferred
  replies beat that annotator's dispreferred ones) implies (better, worse) pairs. An annotator who
  ranked two copies of one text on both sides of another reply contradicts themselves and has no
  vote on that pair.
* **corrections**: a corrected reply beats the reply it corrects and every reply of that turn whose
  overall score is <= ``filters.dpo_low_threshold`` (one vote, the correcting annotator's).

Votes are then pooled over the whole export by (prompt, {text, text}), because two turns can share a
prompt (the same history): a pair is emitted once, in the majority direction only (ties are dropped),
listing the annotators for and against. So there is never a pair with chosen == rejected, never a
duplicate (prompt, chosen, rejected) and never both directions. The chosen reply must pass the
turn-type, safety, score and agreement filters (a corrected reply: the turn-type filter on its own
text); the rejected one only needs to be in scope (unsafe or poor replies make good negatives).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from workbench.export._json import dumpb
from workbench.export.aggregated import weighted
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult
from workbench.export.records import ExportCandidate, GenId
from workbench.export.selection import CandidateStats, quality_ok, text_turn_type, text_type_ok, type_ok


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
    turn_type: str | None = None


@dataclass(slots=True)
class _Direction:
    """The votes for one direction of a pair, and the first occurrence that stands for it."""

    first: PreferencePair
    votes: list[str] = field(default_factory=list)


def _outcomes(ctx: ExportContext, key: tuple, group: list) -> dict[str, set[tuple[GenId, GenId]]]:
    """(better, worse) pooled-reply pairs per annotator for one turn, self-contradictions removed."""
    allowed = set(ctx.filters.annotators) if ctx.filters.annotators is not None else None
    rep = {g: c.generation_id for c, _ in group for g in c.generation_ids}
    per: dict[str, set[tuple[GenId, GenId]]] = defaultdict(set)
    if ctx.preferences is not None:
        for p in ctx.preferences_by_turn.get(tuple(key), ()):
            if allowed is None or p.annotator in allowed:
                per[p.annotator].update((rep.get(b, b), rep.get(w, w)) for b, w in p.pairs())
    else:
        wins: dict[str, list[GenId]] = defaultdict(list)
        losses: dict[str, list[GenId]] = defaultdict(list)
        for c, s in group:
            for a in s.votes_for:
                wins[a].append(c.generation_id)
            for a in s.votes_against:
                losses[a].append(c.generation_id)
        for a, ws in wins.items():
            per[a].update((w, lo) for w in ws for lo in losses.get(a, []))
    for a, prs in per.items():
        per[a] = {(b, w) for b, w in prs if b != w and (w, b) not in prs}
    return per


def _turn_pairs(ctx: ExportContext, key: tuple, group: list) -> list[tuple[PreferencePair, list[str]]]:
    """Every (pair, voters) a turn proposes, before the export-wide vote."""
    f = ctx.filters
    by_id = {c.generation_id: (c, s) for c, s in group}
    out: list[tuple[PreferencePair, list[str]]] = []
    votes: dict[tuple[GenId, GenId], list[str]] = defaultdict(list)
    for a, prs in _outcomes(ctx, key, group).items():
        for better, worse in prs:
            if better in by_id and worse in by_id:
                votes[(better, worse)].append(a)
    for (better, worse), who in votes.items():
        ch, rj = by_id[better], by_id[worse]
        # In a live chat each column has its own thread: a pair is only a preference between two
        # answers to the same conversation.
        if (ch[0].history is not rj[0].history and ch[0].history != rj[0].history) or ch[0].output == rj[0].output:
            continue
        out.append((PreferencePair(key[0], key[1], ch[0], ch[0].output, ch, rj, "preference", (), (),
                                   ch[1].turn_type), sorted(who)))
    if f.use_corrections:
        for c, s in group:
            for a, text, _ in s.corrections:
                losers = [(c, s)] + [
                    x for x in group
                    if x[0] is not c and x[1].overall is not None and x[1].overall <= f.dpo_low_threshold
                    and (x[0].history is c.history or x[0].history == c.history)
                ]
                for rc, rs in losers:
                    if rc.output != text:
                        out.append((PreferencePair(key[0], key[1], c, text, None, (rc, rs), "correction", (), (),
                                                   text_turn_type(text)), [a]))
    return out


def _chosen_ok(p: PreferencePair, ctx: ExportContext) -> bool:
    f = ctx.filters
    if p.chosen is None:
        return text_type_ok(p.chosen_text, f)
    return type_ok(p.chosen[1], f) and quality_ok(p.chosen[1], f)


def dpo_pairs(ctx: ExportContext) -> list[PreferencePair]:
    """Every DPO pair of the export, in the order of each pair's first occurrence (dialogue/turn order)."""
    tally: dict[tuple[bytes, frozenset[str]], dict[tuple[str, str], _Direction]] = {}
    prompt_json = ctx.prompt_json
    for key, group in ctx.groups.items():
        for pair, who in _turn_pairs(ctx, key, group):
            texts = (pair.chosen_text, pair.rejected[0].output)
            k = (prompt_json(pair.prompt_candidate), frozenset(texts))
            directions = tally.get(k)
            if directions is None:
                tally[k] = {texts: _Direction(pair, who)}  # ``who`` is a fresh list per pair
                continue
            d = directions.get(texts)
            if d is None:
                directions[texts] = _Direction(pair, who)
            else:
                d.votes.extend(who)
    weights = ctx.vote_weights
    out: list[PreferencePair] = []
    for directions in tally.values():
        if len(directions) == 1 and weights is None:  # one direction, plain counts: at least one vote for it
            (win,) = directions.values()
            against: list[str] = []
        else:
            # With a reliability-weighted aggregate, a careless annotator's vote weighs less (export/aggregated.py).
            ranked = sorted(directions.values(), key=lambda d: -weighted(d.votes, weights))
            win = ranked[0]
            against = ranked[1].votes if len(ranked) > 1 else []
            if weighted(win.votes, weights) <= weighted(against, weights):
                continue
        if not _chosen_ok(win.first, ctx):
            continue
        p = win.first
        p.votes_for = tuple(sorted(set(win.votes)))
        p.votes_against = tuple(sorted(set(against)))
        out.append(p)
    return out


def _side(x: tuple[ExportCandidate, CandidateStats] | None) -> dict:
    if x is None:
        return {"generation_id": None, "generation_ids": [], "column": None, "model": "corrected",
                "questioning": None, "suggestion": None, "n_ratings": 0, "agreement": None}
    c, s = x
    return {"generation_id": c.generation_id, "generation_ids": list(c.generation_ids), "column": c.column,
            "model": c.model, "questioning": s.questioning, "suggestion": s.suggestion, "n_ratings": s.n_ratings,
            "agreement": s.agreement}


def write(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.jsonl`` of preference pairs."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    sides: dict[int, bytes] = {}  # a reply appears in many pairs: encode its metadata once
    replies: dict[str, bytes] = {}  # and its text as an assistant message once

    def side(x: tuple[ExportCandidate, CandidateStats] | None) -> bytes:
        k = id(x[0]) if x is not None else 0
        got = sides.get(k)
        if got is None:
            got = sides[k] = dumpb(_side(x))
        return got

    def reply(text: str) -> bytes:
        got = replies.get(text)
        if got is None:
            got = replies[text] = dumpb([{"role": "assistant", "content": text}])
        return got

    with path.open("wb", buffering=WRITE_BUFFER) as f:
        for p in dpo_pairs(ctx):
            c = p.prompt_candidate
            turn_type = p.turn_type
            res.count(p.chosen[0].model if p.chosen else "corrected", turn_type, p.source)
            head = dumpb({"dialogue_id": p.dialogue_id, "turn_index": p.turn_index, "dataset": c.dataset,
                          "pair_source": p.source, "turn_type": turn_type, "annotators": list(p.votes_for),
                          "annotators_against": list(p.votes_against)})
            # One join instead of a chain of +: each + copied the (long) prompt again.
            f.write(b"".join((b'{"prompt":', ctx.prompt_json(c), b',"chosen":', reply(p.chosen_text),
                              b',"rejected":', reply(p.rejected[0].output), b',"metadata":', head[:-1],
                              b',"chosen":', side(p.chosen), b',"rejected":', side(p.rejected), b"}}\n")))
    return res
