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

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from workbench.export._json import dumpb, dumpb_kept
from workbench.export.aggregated import weighted
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult
from workbench.export.records import ExportCandidate, GenId
from workbench.export.selection import CandidateStats, quality_ok, text_turn_type, text_type_ok, type_ok

Entry = tuple[ExportCandidate, CandidateStats]


@dataclass(slots=True)
class PreferencePair:
    dialogue_id: object
    turn_index: int
    prompt_candidate: ExportCandidate  # gives the history, which chosen and rejected both answered
    chosen_text: str
    chosen: Entry | None  # None for a corrected reply
    rejected: Entry
    source: str  # "preference" | "correction"
    votes_for: tuple[str, ...]
    votes_against: tuple[str, ...]
    turn_type: str | None = None
    prompt: bytes = b""  # the prompt as a JSON array of messages (:meth:`ExportContext.prompt_json`)


# A pair proposed by one turn, before the export-wide vote: (turn key, prompt candidate, prompt JSON,
# chosen text, chosen entry or None, rejected entry, source). Plain tuples: there is one per vote.
_Proposal = tuple[tuple, ExportCandidate, bytes, str, "Entry | None", Entry, str]


class _Surrogates:
    """The keys under which a turn's replies enter the per-annotator sets of (better, worse) pairs.

    Iterating a set follows the hashes of its items. Integer ids (every store export) hash the same in
    every process, so they are their own keys and the pair order stays what it always was; any other
    id (text ids of a caller's own candidates) would follow PYTHONHASHSEED, so it is replaced by a
    negative integer fixed by its position in the turn (or its first sight, for an id outside it).
    """

    __slots__ = ("integers", "by_id", "next_free")

    def __init__(self, ids: list[GenId]) -> None:
        self.integers = all(type(g) is int for g in ids)  # then every integer id is its own key
        self.by_id: dict[GenId, int] = {} if self.integers else {g: -1 - i for i, g in enumerate(ids)}
        # Integer turns: ids from outside the turn that are not integers (they can match no reply of
        # it) get keys far below any real id.
        self.next_free = -(1 << 62) if self.integers else -1 - len(ids)

    def __call__(self, g: GenId) -> int:
        if self.integers and type(g) is int:
            return g
        k = self.by_id.get(g)
        if k is None:
            k = self.by_id[g] = self.next_free
            self.next_free -= 1
        return k


def _keys(sk: _Surrogates, ids: list[GenId]) -> list[GenId]:
    """Each id's key (see :class:`_Surrogates`), in order; integer ids are their own keys. ``ids`` are the
    turn's own, so each has its key already (no call of ``sk`` per id)."""
    return ids if sk.integers else list(map(sk.by_id.__getitem__, ids))


def _outcomes(ctx: ExportContext, key: tuple, group: list[Entry], sk: _Surrogates,
              keys: list[GenId]) -> dict[str, set[tuple]]:
    """(better, worse) pooled-reply keys (see :class:`_Surrogates`) per annotator for one turn,
    self-contradictions removed. ``keys``: the key of each reply of ``group``."""
    per: dict[str, set[tuple]] = {}
    if ctx.preferences is not None:
        allowed = set(ctx.filters.annotators) if ctx.filters.annotators is not None else None
        rep = {g: c.generation_id for c, _ in group for g in c.generation_ids}
        for p in ctx.preferences_by_turn.get(tuple(key), ()):
            if allowed is None or p.annotator in allowed:
                prs = per.get(p.annotator)
                if prs is None:
                    prs = per[p.annotator] = set()
                prs.update((sk(rep.get(b, b)), sk(rep.get(w, w))) for b, w in p.pairs())
    else:
        wins: dict[str, list] = {}
        losses: dict[str, list] = {}
        for (_, s), g in zip(group, keys, strict=True):
            if s.votes_for:
                for a in s.votes_for:
                    got = wins.get(a)
                    if got is None:
                        wins[a] = [g]
                    else:
                        got.append(g)
            if s.votes_against:
                for a in s.votes_against:
                    got = losses.get(a)
                    if got is None:
                        losses[a] = [g]
                    else:
                        got.append(g)
        if not wins:
            return per
        for a, ws in wins.items():
            prs = per[a] = set()
            prs.update((w, lo) for w in ws for lo in losses.get(a, ()))
    # Built exactly as before the speed work: a set's iteration order depends on how it was filled.
    return {a: {(b, w) for b, w in prs if b != w and (w, b) not in prs} for a, prs in per.items()}


def _same_history(a: ExportCandidate, b: ExportCandidate) -> bool:
    return a.history is b.history or a.history == b.history


def _turn_proposals(ctx: ExportContext, key: tuple, group: list[Entry], out: list[tuple[_Proposal, list[str]]]) -> None:
    """Append every (pair, voters) a turn proposes, before the export-wide vote."""
    f = ctx.filters
    prompt_json = ctx.prompt_json
    if ctx.preferences is None and not any(s.votes_for for _, s in group):
        outcomes: dict[str, set[tuple]] = {}  # what _outcomes() finds without a vote for any reply
    else:
        ids = [c.generation_id for c, _ in group]
        sk = _Surrogates(ids)
        keys = _keys(sk, ids)
        outcomes = _outcomes(ctx, key, group, sk, keys)
    if outcomes:
        by_key = dict(zip(keys, group, strict=True))
        votes: dict[tuple, list[str]] = {}
        for a, prs in outcomes.items():
            for pair in prs:
                if pair[0] in by_key and pair[1] in by_key:
                    who = votes.get(pair)
                    if who is None:
                        votes[pair] = [a]
                    else:
                        who.append(a)
        for (better, worse), who in votes.items():
            ch, rj = by_key[better], by_key[worse]
            # In a live chat each column has its own thread: a pair is only a preference between two
            # answers to the same conversation.
            if not _same_history(ch[0], rj[0]) or ch[0].output == rj[0].output:
                continue
            who.sort()
            out.append(((key, ch[0], prompt_json(ch[0]), ch[0].output, ch, rj, "preference"), who))
    if f.use_corrections:
        low = f.dpo_low_threshold
        for c, s in group:
            if not s.corrections:
                continue
            for a, text, _ in s.corrections:
                losers = [(c, s)] + [
                    x for x in group
                    if x[0] is not c and x[1].overall is not None and x[1].overall <= low and _same_history(x[0], c)
                ]
                prompt = prompt_json(c)
                out.extend(((key, c, prompt, text, None, x, "correction"), [a]) for x in losers if x[0].output != text)


def _chosen_ok(chosen_text: str, chosen: Entry | None, ctx: ExportContext) -> bool:
    f = ctx.filters
    if chosen is None:
        return text_type_ok(chosen_text, f)
    return type_ok(chosen[1], f) and quality_ok(chosen[1], f)


def dpo_pairs(ctx: ExportContext) -> list[PreferencePair]:
    """Every DPO pair of the export, in the order of each pair's first occurrence (dialogue/turn order)."""
    proposals: list[tuple[_Proposal, list[str]]] = []
    for key, group in ctx.groups.items():
        _turn_proposals(ctx, key, group, proposals)
    # (prompt, the two texts in sorted order) -> {(chosen text, rejected text): [first proposal, votes]};
    # the sorted pair is the unordered pair {text, text} without building a frozenset per proposal. A pair
    # proposed once (most of them) stays its (proposal, votes) tuple and becomes a dict of directions only
    # when proposed again: a dict and a list per proposal cost more than the tally's look-ups.
    tally: dict[tuple[bytes, str, str], tuple | dict[tuple[str, str], list]] = {}
    for entry in proposals:
        prop = entry[0]
        a = prop[3]
        b = prop[5][0].output
        k = (prop[2], a, b) if a <= b else (prop[2], b, a)
        directions = tally.get(k)
        if directions is None:
            tally[k] = entry
            continue
        if isinstance(directions, tuple):  # the second proposal of this pair: now count by direction
            first = directions[0]
            directions = tally[k] = {(first[3], first[5][0].output): [first, directions[1]]}
        texts = (a, b)
        d = directions.get(texts)
        if d is None:
            directions[texts] = [prop, entry[1]]  # ``who`` is a fresh list per proposal
        else:
            d[1].extend(entry[1])
    weights = ctx.vote_weights
    out: list[PreferencePair] = []
    win: tuple | list  # (proposal, voters): a tuple as proposed, a list once tallied
    against: list
    for directions in tally.values():
        if isinstance(directions, tuple):  # one proposal: with plain counts, at least one vote for it
            win, against = directions, []
            if weights is not None and weighted(win[1], weights) <= 0.0:
                continue
        elif len(directions) == 1 and weights is None:  # one direction, plain counts: at least one vote for it
            (win,) = directions.values()
            against = []
        else:
            # With a reliability-weighted aggregate, a careless annotator's vote weighs less (export/aggregated.py).
            ranked = sorted(directions.values(), key=lambda d: -weighted(d[1], weights))
            win = ranked[0]
            against = ranked[1][1] if len(ranked) > 1 else []
            if weighted(win[1], weights) <= weighted(against, weights):
                continue
        (key, c, prompt, text, chosen, rejected, source), votes = win
        if not _chosen_ok(text, chosen, ctx):
            continue
        turn_type = chosen[1].turn_type if chosen is not None else text_turn_type(text)
        out.append(PreferencePair(key[0], key[1], c, text, chosen, rejected, source,
                                  tuple(sorted(set(votes))), tuple(sorted(set(against))), turn_type, prompt))
    return out


def _side(x: Entry | None) -> dict:
    if x is None:
        return {"generation_id": None, "generation_ids": [], "column": None, "model": "corrected",
                "questioning": None, "suggestion": None, "n_ratings": 0, "agreement": None}
    c, s = x
    return {"generation_id": c.generation_id, "generation_ids": list(c.generation_ids), "column": c.column,
            "model": c.model, "questioning": s.questioning, "suggestion": s.suggestion, **dict(s.extra),
            "n_ratings": s.n_ratings, "agreement": s.agreement}


def write(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """``train.jsonl`` of preference pairs."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    pairs = dpo_pairs(ctx)
    res.count_all([p.chosen[0].model if p.chosen else "corrected" for p in pairs], [p.turn_type for p in pairs],
                  [p.source for p in pairs])
    with path.open("wb", buffering=WRITE_BUFFER) as f:
        _write_pairs(f, pairs)
    return res


def _write_pairs(f: BinaryIO, pairs: list[PreferencePair]) -> None:
    """One JSON line per pair: the metadata (with both replies' sides) is one encoding call, each reply's
    side is built once and its text encoded as an assistant message once."""
    none_side = _side(None)
    sides: dict[int, dict] = {}  # a reply appears in several pairs: build its metadata once
    replies: dict[str, bytes] = {}  # and its text as an assistant message once
    write = f.write
    for p in pairs:
        chosen, rejected = p.chosen, p.rejected
        chosen_side = none_side
        if chosen is not None:
            known = sides.get(id(chosen[0]))
            chosen_side = known if known is not None else sides.setdefault(id(chosen[0]), _side(chosen))
        rejected_side = sides.get(id(rejected[0]))
        if rejected_side is None:
            rejected_side = sides[id(rejected[0])] = _side(rejected)
        chosen_msg = replies.get(p.chosen_text)
        if chosen_msg is None:
            chosen_msg = replies[p.chosen_text] = dumpb_kept([{"role": "assistant", "content": p.chosen_text}])
        rejected_text = rejected[0].output
        rejected_msg = replies.get(rejected_text)
        if rejected_msg is None:
            rejected_msg = replies[rejected_text] = dumpb_kept([{"role": "assistant", "content": rejected_text}])
        meta = dumpb({"dialogue_id": p.dialogue_id, "turn_index": p.turn_index, "dataset": p.prompt_candidate.dataset,
                      "pair_source": p.source, "turn_type": p.turn_type, "annotators": list(p.votes_for),
                      "annotators_against": list(p.votes_against), "chosen": chosen_side, "rejected": rejected_side})
        # One join per line instead of a chain of +: each + copied the (long) prompt again.
        write(b"".join((b'{"prompt":', p.prompt, b',"chosen":', chosen_msg, b',"rejected":', rejected_msg,
                        b',"metadata":', meta, b"}\n")))
