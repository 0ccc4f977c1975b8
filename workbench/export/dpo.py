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

from workbench.export._json import dumpb
from workbench.export.aggregated import weighted
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult
from workbench.export.records import ExportCandidate, GenId
from workbench.export.selection import (
    CandidateStats,
    has_text,
    quality_ok,
    text_turn_type,
    text_type_ok,
    type_ok,
)

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


#: (i, j, voters): the reply at index i of a turn beats the one at index j, by ``voters`` (sorted)
_Voted = list[tuple[int, int, tuple[str, ...]]]


def _voted(outcomes: dict[str, set[tuple]], keys: list[GenId]) -> _Voted:
    """The (better, worse) pairs of a turn's outcomes with their voters, in the order the pairs are proposed:
    each annotator's set in turn (the first annotator to vote a pair places it); pairs of keys outside the
    turn are dropped. Indices into the turn's replies (the last reply of a repeated key, as a dict keeps it)."""
    index = {k: i for i, k in enumerate(keys)}
    if len(outcomes) == 1:  # one voter (the usual): the pairs in the order of its set, one voter each
        ((a, prs),) = outcomes.items()
        return [(index[b], index[w], (a,)) for b, w in prs if b in index and w in index]
    votes: dict[tuple, list[str]] = {}
    for a, prs in outcomes.items():
        for pair in prs:
            if pair[0] in index and pair[1] in index:
                who = votes.get(pair)
                if who is None:
                    votes[pair] = [a]
                else:
                    who.append(a)
    return [(index[b], index[w], tuple(sorted(who))) for (b, w), who in votes.items()]


def _flag_votes(ctx: ExportContext, key: tuple, group: list[Entry], memo: dict[tuple, _Voted]) -> _Voted:
    """:func:`_voted` of a turn's outcomes, for the turns whose votes come from the replies' flags.

    Turns with ids other than integers (keys fixed by position, see :class:`_Surrogates`) and the same
    flags give the same pairs in the same order, so their outcome is computed once per pattern of flags
    (most turns of a large export share a few patterns). Integer ids are their own keys: a set of them
    iterates in an order that depends on the ids, so those turns are computed each time."""
    ids = [c.generation_id for c, _ in group]
    pattern = None
    # Keys by position when not every id is an integer (see _Surrogates), one per reply when the ids differ.
    if (type(ids[0]) is not int or not all(type(g) is int for g in ids)) and len(set(ids)) == len(ids):
        pattern = tuple([(s.votes_for, s.votes_against) for _, s in group])
        got = memo.get(pattern)
        if got is not None:
            return got
    sk = _Surrogates(ids)
    keys = _keys(sk, ids)
    voted = _voted(_outcomes(ctx, key, group, sk, keys), keys)
    if pattern is not None:
        memo[pattern] = voted
    return voted


def _turn_proposals(ctx: ExportContext, key: tuple, group: list[Entry], out: list[tuple[_Proposal, list[str]]],
                    memo: dict[tuple, _Voted] | None = None) -> None:
    """Append every (pair, voters) a turn proposes, before the export-wide vote. ``memo``: the pairs of the
    patterns of flags seen so far (see :func:`_flag_votes`), shared by the turns of one export."""
    f = ctx.filters
    prompt_json = ctx.prompt_json
    voted: _Voted
    if ctx.preferences is None:
        # Without a vote for any reply, _outcomes() finds no pair.
        voted = _flag_votes(ctx, key, group, {} if memo is None else memo) if any(s.votes_for for _, s in group) \
            else []
    else:
        ids = [c.generation_id for c, _ in group]
        sk = _Surrogates(ids)
        keys = _keys(sk, ids)
        voted = _voted(_outcomes(ctx, key, group, sk, keys), keys)
    history, prompt = None, b""  # a turn's replies mostly share their history object: one look-up
    for better, worse, who in voted:
        ch, rj = group[better], group[worse]
        c, other = ch[0], rj[0]
        # In a live chat each column has its own thread: a pair is only a preference between two
        # answers to the same conversation.
        if not _same_history(c, other) or c.output == other.output or not (has_text(c) and has_text(other)):
            continue  # an empty reply is no answer to prefer or to reject
        if c.history is not history:
            history, prompt = c.history, prompt_json(c)
        out.append(((key, c, prompt, c.output, ch, rj, "preference"), list(who)))  # a fresh list: the tally extends it
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
                out.extend(((key, c, prompt, text, None, x, "correction"), [a]) for x in losers
                           if x[0].output != text and has_text(x[0]))


def _sorted_once(names: list[str]) -> bool:
    """Whether ``names`` is sorted without repeats (then ``tuple(sorted(set(names)))`` is ``tuple(names)``)."""
    return len(names) == 1 or all(a < b for a, b in zip(names, names[1:], strict=False))


def dpo_pairs(ctx: ExportContext) -> list[PreferencePair]:
    """Every DPO pair of the export, in the order of each pair's first occurrence (dialogue/turn order)."""
    proposals: list[tuple[_Proposal, list[str]]] = []
    memo: dict[tuple, _Voted] = {}
    for key, group in ctx.groups.items():
        _turn_proposals(ctx, key, group, proposals, memo)
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
            voters: tuple[str, ...] = tuple(votes) if len(votes) == 1 or _sorted_once(votes) \
                else tuple(sorted(set(votes)))
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
        ids = c.pooled_ids  # c.generation_ids without the property's call
        return {"generation_id": c.generation_id, "generation_ids": list(ids) if ids else [c.generation_id],
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
    """One JSON line per pair, joined from six pieces that are each built once and reused by every pair that
    shares them: the prompt with the chosen message (per prompt and chosen text), the rejected message (per
    text), the metadata's head up to the annotators (per prompt candidate, dialogue, turn, source and turn
    type), the annotator lists, and each reply's side (per candidate). orjson's (and the fallback's) compact
    output of a dict is the concatenation of its members' encodings, so the lines are the bytes of encoding
    each line's dict at once, as this writer used to (the golden export and a test against that check it)."""
    openings: dict[tuple[int, str], bytes] = {}  # (id(prompt), chosen text) -> '{"prompt":…,"chosen":[…]'
    rejections: dict[str, bytes] = {}  # rejected text -> ',"rejected":[…],"metadata":'
    heads: dict[tuple, bytes] = {}  # (id(prompt candidate), dialogue, turn, source, turn type) -> head
    names: dict[tuple, bytes] = {}  # (for, against) -> '[…],"annotators_against":[…],"chosen":' (only plain str)
    chosen_sides: dict[int, bytes] = {}  # id(candidate) -> '{…side…},"rejected":' (0: a corrected reply)
    rejected_sides: dict[int, bytes] = {}  # id(candidate) -> '{…side…}}}\n'
    write = f.write
    for p in pairs:
        chosen, rejected = p.chosen, p.rejected
        opening = openings.get((id(p.prompt), p.chosen_text))
        if opening is None:
            opening = openings[(id(p.prompt), p.chosen_text)] = b"".join((
                b'{"prompt":', p.prompt, b',"chosen":', dumpb([{"role": "assistant", "content": p.chosen_text}])))
        rejected_text = rejected[0].output
        rejection = rejections.get(rejected_text)
        if rejection is None:
            rejection = rejections[rejected_text] = b"".join((
                b',"rejected":', dumpb([{"role": "assistant", "content": rejected_text}]), b',"metadata":'))
        head = _head(heads, p)
        voters = _voters(names, p.votes_for, p.votes_against)
        chosen_key = id(chosen[0]) if chosen is not None else 0  # no object has id 0
        chosen_side = chosen_sides.get(chosen_key)
        if chosen_side is None:
            chosen_side = chosen_sides[chosen_key] = dumpb(_side(chosen)) + b',"rejected":'
        rejected_side = rejected_sides.get(id(rejected[0]))
        if rejected_side is None:
            rejected_side = rejected_sides[id(rejected[0])] = dumpb(_side(rejected)) + b"}}\n"
        write(b"".join((opening, rejection, head, voters, chosen_side, rejected_side)))


def _head(cache: dict[tuple, bytes], p: PreferencePair) -> bytes:
    """The metadata from its start to the annotators' list: dialogue, turn, dataset, source and turn type,
    cached unless the source or turn type is not a plain ``str`` or None (a ``TurnType`` equals its text as a
    key; its encoding is left to the encoder)."""
    source, turn_type = p.source, p.turn_type
    plain = (type(source) is str or source is None) and (type(turn_type) is str or turn_type is None)
    key = (id(p.prompt_candidate), p.dialogue_id, p.turn_index, source, turn_type)
    got = cache.get(key) if plain else None
    if got is None:
        got = b"".join((b'{"dialogue_id":', dumpb(p.dialogue_id), b',"turn_index":', dumpb(p.turn_index),
                        b',"dataset":', dumpb(p.prompt_candidate.dataset), b',"pair_source":', dumpb(source),
                        b',"turn_type":', dumpb(turn_type), b',"annotators":'))
        if plain:
            cache[key] = got
    return got


def _voters(cache: dict[tuple, bytes], votes_for: tuple[str, ...], votes_against: tuple[str, ...]) -> bytes:
    """The annotators for and against as JSON lists, up to the chosen side; cached per pair of tuples of
    plain ``str`` names (``1 == True``: other values could share a key and not an encoding)."""
    key = (votes_for, votes_against)
    got = cache.get(key)
    if got is None:
        got = b"".join((dumpb(list(votes_for)), b',"annotators_against":', dumpb(list(votes_against)),
                        b',"chosen":'))
        if all(type(n) is str for n in votes_for) and all(type(n) is str for n in votes_against):
            cache[key] = got
    return got
