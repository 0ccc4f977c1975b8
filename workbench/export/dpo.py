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

from collections.abc import Iterable
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
        if len(outcomes) == 1:  # one voter (the usual): the pairs in the order of its set, one voter each
            ((a, prs),) = outcomes.items()
            voted: Iterable[tuple[tuple, list[str]]] = [(pair, [a]) for pair in prs
                                                         if pair[0] in by_key and pair[1] in by_key]
        else:
            votes: dict[tuple, list[str]] = {}
            for a, prs in outcomes.items():
                for pair in prs:
                    if pair[0] in by_key and pair[1] in by_key:
                        who = votes.get(pair)
                        if who is None:
                            votes[pair] = [a]
                        else:
                            who.append(a)
            voted = votes.items()
        history, prompt = None, b""  # a turn's replies mostly share their history object: one look-up
        for (better, worse), who in voted:
            ch, rj = by_key[better], by_key[worse]
            c, other = ch[0], rj[0]
            # In a live chat each column has its own thread: a pair is only a preference between two
            # answers to the same conversation.
            if not _same_history(c, other) or c.output == other.output:
                continue
            if c.history is not history:
                history, prompt = c.history, prompt_json(c)
            who.sort()
            out.append(((key, c, prompt, c.output, ch, rj, "preference"), who))
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


def _sorted_once(names: list[str]) -> bool:
    """Whether ``names`` is sorted without repeats (then ``tuple(sorted(set(names)))`` is ``tuple(names)``)."""
    return len(names) == 1 or all(a < b for a, b in zip(names, names[1:], strict=False))


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
    append = out.append
    f = ctx.filters
    # Whether a chosen reply passes the filters depends on its stats only: judged once per reply (a turn's
    # winner is chosen over each of the others), keyed by the stats object, which the groups keep alive.
    ok_by_stats: dict[int, bool] = {}
    win: tuple | list  # (proposal, voters): a tuple as proposed, a list once tallied
    against: list
    for directions in tally.values():
        if isinstance(directions, tuple):  # one proposal: with plain counts, at least one vote for it
            win = directions
            if weights is not None and weighted(win[1], weights) <= 0.0:
                continue
            (key, c, prompt, text, chosen, rejected, source), votes = win
            # a turn proposes a pair with its voters sorted and each once (one correction: one voter)
            voters: tuple[str, ...] = tuple(votes) if _sorted_once(votes) else tuple(sorted(set(votes)))
            voters_against: tuple[str, ...] = ()
        else:
            if len(directions) == 1 and weights is None:  # one direction, plain counts: at least one vote for it
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
            voters, voters_against = tuple(sorted(set(votes))), tuple(sorted(set(against)))
        if chosen is None:
            if not text_type_ok(text, f):
                continue
            turn_type = text_turn_type(text)
        else:
            stats = chosen[1]
            ok = ok_by_stats.get(id(stats))
            if ok is None:
                ok = ok_by_stats[id(stats)] = type_ok(stats, f) and quality_ok(stats, f)
            if not ok:
                continue
            turn_type = stats.turn_type
        append(PreferencePair(key[0], key[1], c, text, chosen, rejected, source, voters, voters_against, turn_type,
                              prompt))
    return out


def _side(x: Entry | None) -> dict:
    if x is None:
        return {"generation_id": None, "generation_ids": [], "column": None, "model": "corrected",
                "questioning": None, "suggestion": None, "n_ratings": 0, "agreement": None}
    c, s = x
    if not s.extra:  # the same keys without the further axes, built in one step (most exports)
        return {"generation_id": c.generation_id, "generation_ids": list(c.generation_ids),
                "column": c.column, "model": c.model, "questioning": s.questioning, "suggestion": s.suggestion,
                "n_ratings": s.n_ratings, "agreement": s.agreement}
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
    """One JSON line per pair, spliced from JSON pieces that are each encoded once: a reply's side
    (per candidate), its text as an assistant message (per text), the metadata's head (per prompt
    candidate: dialogue, turn, dataset), each annotator list and turn type. orjson's (and the fallback's)
    compact output of a dict is the concatenation of its members' encodings, so the lines are the bytes
    of encoding each line's dict at once, as this writer used to (the golden export checks it)."""
    none_side = dumpb_kept(_side(None))
    sides: dict[int, bytes] = {}  # id(candidate) -> its side's JSON; a reply appears in several pairs
    replies: dict[str, bytes] = {}  # text -> [{"role": "assistant", "content": text}]
    heads: dict[tuple, bytes] = {}  # (id(prompt candidate), dialogue, turn) -> the metadata up to "pair_source":
    names: dict[tuple, bytes] = {}  # annotator names -> their JSON list (only all-str tuples: 1 == True)
    words: dict[str | None, bytes] = {}  # a source or plain-str turn type -> its JSON
    write = f.write
    for p in pairs:
        chosen, rejected = p.chosen, p.rejected
        chosen_side = none_side
        if chosen is not None:
            known = sides.get(id(chosen[0]))
            chosen_side = known if known is not None else sides.setdefault(id(chosen[0]), dumpb_kept(_side(chosen)))
        rejected_side = sides.get(id(rejected[0]))
        if rejected_side is None:
            rejected_side = sides[id(rejected[0])] = dumpb_kept(_side(rejected))
        chosen_msg = replies.get(p.chosen_text)
        if chosen_msg is None:
            chosen_msg = replies[p.chosen_text] = dumpb_kept([{"role": "assistant", "content": p.chosen_text}])
        rejected_text = rejected[0].output
        rejected_msg = replies.get(rejected_text)
        if rejected_msg is None:
            rejected_msg = replies[rejected_text] = dumpb_kept([{"role": "assistant", "content": rejected_text}])
        head_key = (id(p.prompt_candidate), p.dialogue_id, p.turn_index)
        head = heads.get(head_key)
        if head is None:
            head = heads[head_key] = b"".join((
                b'{"dialogue_id":', dumpb(p.dialogue_id), b',"turn_index":', dumpb(p.turn_index),
                b',"dataset":', dumpb(p.prompt_candidate.dataset), b',"pair_source":'))
        write(b"".join((b'{"prompt":', p.prompt, b',"chosen":', chosen_msg, b',"rejected":', rejected_msg,
                        b',"metadata":', head, _word(words, p.source), b',"turn_type":', _word(words, p.turn_type),
                        b',"annotators":', _names(names, p.votes_for),
                        b',"annotators_against":', _names(names, p.votes_against),
                        b',"chosen":', chosen_side, b',"rejected":', rejected_side, b"}}\n")))


def _word(cache: dict[str | None, bytes], value: str | None) -> bytes:
    """The JSON of a short text (a pair source, a turn type), cached when it is a plain ``str`` or None
    (a ``TurnType`` equals its text as a key; its encoding is left to the encoder)."""
    got = cache.get(value) if value is None or type(value) is str else None
    if got is None:
        got = dumpb_kept(value)
        if value is None or type(value) is str:
            cache[value] = got
    return got


def _names(cache: dict[tuple, bytes], names: tuple[str, ...]) -> bytes:
    """The JSON list of annotator names, cached per tuple of plain ``str`` names."""
    got = cache.get(names)
    if got is None:
        got = dumpb_kept(list(names))
        if all(type(n) is str for n in names):
            cache[names] = got
    return got
