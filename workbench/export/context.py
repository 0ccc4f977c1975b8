"""Everything the format writers share: de-identified candidates, the selection and rendering caches.

Built once per export (or once for several formats, see :func:`workbench.export.api.export_all`), so
that de-identification, scoring and history rendering are not repeated per format or per row.
"""

from __future__ import annotations

import dataclasses
import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from itertools import chain, groupby, islice
from operator import attrgetter, itemgetter, lt
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, cast

from workbench.dialogue import Dialogue, Turn
from workbench.errors import InputError
from workbench.export._json import dumpb_kept
from workbench.export.aggregated import reweight_groups, vote_weights
from workbench.export.detect_in_two import FoundDetector, detect_in_two
from workbench.export.records import ExportCandidate, PreferenceOutcome, copy_with
from workbench.export.selection import CandidateStats, ExportFilters, Selected, group_turns, select_turns
from workbench.privacy import (
    DeidReport,
    Detector,
    Redaction,
    deidentify,
    deidentify_tables,
    deidentify_text,
    detect,
    names_in,
)
from workbench.prompts import DOCTOR, PATIENT, bianque_context, escape_training_text

if TYPE_CHECKING:
    import pandas as pd

ROLE_TO_CHAT = {"patient": "user", "doctor": "assistant"}
_SPEAKER = {"patient": PATIENT, "doctor": DOCTOR}
_ESCAPED_DOCTOR_CUE = escape_training_text("\n" + DOCTOR)
# Writers' file buffer: the default 8 KiB made one system call per few lines; a large export writes
# hundreds of MB (every DPO and KTO line repeats its prompt), where 1 MiB writes cost a quarter as much.
WRITE_BUFFER = 1 << 20


@dataclass
class FormatResult:
    """What one writer produced."""

    files: list[Path]
    rows: int
    by_model: Counter = field(default_factory=Counter)
    by_turn_type: Counter = field(default_factory=Counter)
    by_source: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    #: the card's configs: {"config_name", "path" (relative to the format's folder), "rows"}; when empty,
    #: one config named after the format for its first file
    configs: list[dict] = field(default_factory=list)

    def count(self, model: str | None, turn_type: str | None, source: str | None) -> None:
        self.rows += 1
        self.by_model[model or "-"] += 1
        self.by_turn_type[turn_type or "-"] += 1
        if source:
            self.by_source[source] += 1

    def count_all(self, models: list[str | None], turn_types: list[str | None], sources: list[str | None]) -> None:
        """:meth:`count` for whole columns at once (the rows of one writer): Counter counts a list in C,
        first occurrences in the same order as one call per row would give."""
        self.rows += len(models)
        self.by_model.update([m or "-" for m in models])
        self.by_turn_type.update([t or "-" for t in turn_types])
        self.by_source.update([s for s in sources if s])


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while an export builds its objects.

    A large export allocates millions of small acyclic objects (stats, rows, JSON fragments); every
    allocation burst triggers full collections that walk all of them, which made exports two to three
    times slower. Reference counting still frees everything; the previous state is restored after.

    What the pause made and kept goes straight to the oldest generation (``freeze`` then ``unfreeze``
    moves every tracked object there in one step): left in the youngest, all of it (about 750,000 objects
    after preparing 100k replies) was walked by the first young collection after the pause, and again by
    the next middle one. In the oldest it is walked only by the next full collection, as any long-lived
    data. Skipped when something else froze objects (``unfreeze`` would release them too).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


_DIALOGUE_ID = attrgetter("dialogue_id")
_HISTORY = attrgetter("history")
_OUTPUT = attrgetter("output")
_RATINGS = attrgetter("ratings")
_COMMENT = attrgetter("comment")
_CORRECTED = attrgetter("corrected_reply")
_TEXT = attrgetter("text")
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_TARGET = attrgetter("target")


def _by_dialogue(candidates: Sequence[ExportCandidate]) -> tuple[dict[object, list[ExportCandidate]], bool]:
    """The candidates per dialogue (first-seen order) and whether each dialogue's candidates came in one run.

    A store lists a dialogue's candidates together: ``groupby`` finds the runs in C, one dict look-up per run.
    """
    groups: dict[object, list[ExportCandidate]] = {}
    contiguous = True
    for did, run in groupby(candidates, _DIALOGUE_ID):
        got = groups.get(did)
        if got is None:
            groups[did] = list(run)
        else:
            got.extend(run)
            contiguous = False
    return groups, contiguous


def _first_field(text: str, cands: list[ExportCandidate], outputs: set[str], comments: set[str],
                 fixes: set[str]) -> str:
    """The field of a text's first occurrence in a dialogue (for the report): per candidate its reply, then
    its ratings' comments and corrections, in order; then the history turns."""
    kinds = (text in outputs) + (text in comments) + (text in fixes)
    if kinds == 0:
        return "history"
    if kinds == 1:
        return "output" if text in outputs else ("comment" if text in comments else "corrected_reply")
    for c in cands:  # a text that is a reply and a note too: the order decides
        if c.output == text:
            return "output"
        for r in c.ratings:
            if r.comment and r.comment == text:
                return "comment"
            if r.corrected_reply and r.corrected_reply == text:
                return "corrected_reply"
    raise AssertionError("unreachable: the text occurs in one of the sets")


class _Deidentifier:
    """What one export learns about its texts, so that each distinct text is analysed once.

    Most texts contain no personal data and no name: a dialogue whose texts are all known to have none
    costs a few set operations over its texts. Only texts with redactions are counted by field; the others
    only add to the number of texts seen (which is all the report records of them).
    """

    def __init__(self, report: DeidReport, detector: Detector = detect) -> None:
        self.report = report
        self.detector = detector
        # (the second process's names where it searched: names_in would search the text again here)
        self.names_in: Callable[[str], set[str]] = (
            detector.names_in if isinstance(detector, FoundDetector) else lambda text: names_in((text,)))
        self.known: set[str] = set()  # texts analysed on their own so far
        self.redacted: dict[str, list[Redaction]] = {}  # text -> its redactions on its own (only non-empty)
        self.changed: dict[str, str] = {}  # text -> its de-identified form on its own (only when it differs)
        self.named: dict[str, set[str]] = {}  # text -> the names found in it with high confidence (non-empty)
        self.with_names: dict[tuple[str, frozenset[str]], tuple[str, list[Redaction]]] = {}
        self.plain_seen = 0  # texts counted without redactions
        self.seen_alone: Counter[tuple[str, str]] = Counter()  # (text, field) -> dialogues it was counted in

    def learn(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.known.add(text)
            new, reds = deidentify(text, (), self.detector)
            if reds:
                self.redacted[text] = reds
                if new != text:
                    self.changed[text] = new
            found = self.names_in(text)
            if found:
                self.named[text] = found

    def dialogue(self, texts: set[str], cands: list[ExportCandidate], outputs: set[str], comments: set[str],
                 fixes: set[str]) -> dict[str, str]:
        """Count a dialogue's distinct texts (its candidates' replies, comments, corrections and history
        texts); return the changed ones with their new form."""
        self.learn(texts - self.known)
        named = texts & self.named.keys()
        clean: dict[str, str] = {}
        if named:
            names: set[str] = set().union(*map(self.named.__getitem__, named))
            long_names = frozenset(n for n in names if len(n) >= 2)
            if long_names:
                if len(long_names) == 1:  # the usual case: one test per text
                    (name,) = long_names
                    with_names = [t for t in texts if name in t]
                else:
                    with_names = [t for t in texts if any(n in t for n in long_names)]
                for text in with_names:
                    key = (text, long_names)
                    got = self.with_names.get(key)
                    if got is None:
                        got = self.with_names[key] = deidentify(text, names, self.detector)
                    new, reds = got
                    self.report.add(_first_field(text, cands, outputs, comments, fixes), reds)
                    if new != text:
                        clean[text] = new
                texts = texts.difference(with_names)
        hit = texts & self.redacted.keys()
        self.plain_seen += len(texts) - len(hit)
        for text in hit:
            self.seen_alone[(text, _first_field(text, cands, outputs, comments, fixes))] += 1
            alone = self.changed.get(text)
            if alone is not None:
                clean[text] = alone
        return clean

    def finish(self) -> None:
        report = self.report
        for (text, where), times in self.seen_alone.items():
            report.add(where, self.redacted[text], times)
        report.texts_seen += self.plain_seen


class _DialogueTexts(NamedTuple):
    """What one dialogue's candidates hold to de-identify."""

    hist_of: list[Sequence[Turn]]
    histories: dict[int, Sequence[Turn]]
    turns: list[Turn]
    outputs: list[str]
    comments: set[str]
    fixes: set[str]
    output_set: set[str]
    texts: set[str]  # every distinct text of the above

    @classmethod
    def of(cls, cands: list[ExportCandidate]) -> _DialogueTexts:
        hist_of = list(map(_HISTORY, cands))
        # Keyed by the history object (columns of one turn share it; live columns have their own):
        # hashing the turns themselves cost more than de-identifying them.
        histories: dict[int, Sequence[Turn]] = dict(zip(map(id, hist_of), hist_of, strict=True))
        turns = list(chain.from_iterable(histories.values()))
        outputs = list(map(_OUTPUT, cands))
        ratings = list(chain.from_iterable(map(_RATINGS, cands)))
        comments = set(filter(None, map(_COMMENT, ratings)))
        fixes = set(filter(None, map(_CORRECTED, ratings)))
        output_set = set(outputs)
        texts = set(map(_TEXT, turns))
        texts.update(output_set, comments, fixes)
        return cls(hist_of, histories, turns, outputs, comments, fixes, output_set, texts)


def _deidentify_candidates(
    candidates: Sequence[ExportCandidate], report: DeidReport, detector: Detector = detect,
    parallel: bool | None = None,
) -> list[ExportCandidate]:
    """Replace personal data in every text; names found anywhere in a dialogue are removed everywhere in it.

    The report counts each distinct text of each dialogue once (as one call per text would). A text in
    a dialogue without such names is de-identified on its own, so its result is shared by every dialogue
    it occurs in (see :class:`_Deidentifier`). Candidates whose texts do not change stay the same objects.
    The spans are found on two cores where there is enough text (:func:`detect_in_two`; ``parallel`` as there).
    """
    by_dialogue, contiguous = _by_dialogue(candidates)
    cleaned: dict[int, ExportCandidate] = {}  # id(original) -> cleaned copy, when dialogues were not contiguous
    groups = list(map(_DialogueTexts.of, by_dialogue.values()))
    texts = set().union(*(g.texts for g in groups))
    prime = getattr(detector, "prime", None)
    if prime is not None:  # the thorough mode's tagger scores the export's texts in batches, not one by one
        prime(texts)
    deid = _Deidentifier(report, detect_in_two(texts, detector, parallel=parallel))
    for cands, g in zip(by_dialogue.values(), groups, strict=True):
        hist_of, histories, turns, outputs = g.hist_of, g.histories, g.turns, g.outputs
        comments, fixes = g.comments, g.fixes
        clean = deid.dialogue(g.texts, cands, g.output_set, comments, fixes)
        if not clean:
            continue
        # A turn object is shared by the histories that contain it: each changed one is made once.
        keep = dict(zip(map(id, turns), turns, strict=True))  # each distinct turn object once
        new_turns = {key: Turn(t.role, clean[t.text]) for key, t in keep.items() if t.text in clean}
        new_hist: dict[int, Sequence[Turn]] = {}
        if new_turns:
            keep.update(new_turns)
            for key, h in histories.items():
                if not new_turns.keys().isdisjoint(map(id, h)):
                    new_hist[key] = list(map(keep.__getitem__, map(id, h)))
        notes = (not comments.isdisjoint(clean) or not fixes.isdisjoint(clean))  # usually not
        cleaned_histories = list(map(new_hist.get, map(id, hist_of)))
        if not notes and clean.keys().isdisjoint(outputs):
            # Only histories change (personal data in a patient turn, the usual case): copy the candidates
            # whose history changed.
            for i, cleaned_history in enumerate(cleaned_histories):
                if cleaned_history is not None:
                    c = cands[i]
                    copy = copy_with(c, {"history": cleaned_history})
                    cands[i] = copy  # the group list is this function's own
                    if not contiguous:
                        cleaned[id(c)] = copy
            continue
        cleaned_outputs = list(map(clean.get, outputs))
        for i, c in enumerate(cands):
            cleaned_history = cleaned_histories[i]
            cleaned_output = cleaned_outputs[i]
            if notes and any(r.comment in clean or r.corrected_reply in clean for r in c.ratings):
                new_ratings = [
                    dataclasses.replace(
                        r,
                        comment=clean.get(r.comment, r.comment) if r.comment else r.comment,
                        corrected_reply=(clean.get(r.corrected_reply, r.corrected_reply) if r.corrected_reply
                                         else r.corrected_reply),
                    )
                    for r in c.ratings
                ]
            elif cleaned_history is None and cleaned_output is None:
                continue
            else:
                new_ratings = None
            changes: dict[str, object] = {}
            if cleaned_history is not None:
                changes["history"] = cleaned_history
            if cleaned_output is not None:
                changes["output"] = cleaned_output
            if new_ratings is not None:
                changes["ratings"] = new_ratings
            copy = copy_with(c, changes)
            cands[i] = copy
            if not contiguous:
                cleaned[id(c)] = copy
    deid.finish()
    if contiguous:
        return list(chain.from_iterable(by_dialogue.values()))
    return [cleaned.get(id(c), c) for c in candidates] if cleaned else list(candidates)


@dataclass(slots=True)
class SelectedRows:
    """Column-wise view of :attr:`ExportContext.selected`: one list per field, row ``i`` in each."""

    metadata: list[dict]
    metadata_json: list[bytes]  # the JSON of ``metadata[i]``
    models: list[str | None]
    turn_types: list[str | None]
    sources: list[str | None]
    duplicates: int = 0  # targets left out as copies of an earlier row (:attr:`ExportContext.training_targets`)

    @classmethod
    def build(cls, ctx: ExportContext) -> SelectedRows:
        metas = [s.metadata() for s in ctx.training_targets]
        return cls(metas, [dumpb_kept(m) for m in metas], [m["model"] for m in metas], [m["turn_type"] for m in metas],
                   [m["target_source"] for m in metas], len(ctx.selected) - len(ctx.training_targets))

    def count_into(self, res: FormatResult) -> None:
        res.count_all(self.models, self.turn_types, self.sources)
        self.note_duplicates(res)

    def note_duplicates(self, res: FormatResult) -> None:
        if self.duplicates:
            what = "1 target" if self.duplicates == 1 else f"{self.duplicates} targets"
            res.notes.append(f"{what} left out as duplicates: the same history and the same target as an earlier row")


def thorough_wanted(thorough: bool | None, deidentify: bool) -> bool:
    """Whether an export de-identifies with the learned tagger too: by default (None) whenever it de-identifies
    (session 68's unseen sets: recall 0.887 against the rules' 0.838, names 0.795 against 0.712, for precision
    0.975 against 0.988); False: the rules alone. True without de-identification contradicts itself."""
    if thorough and not deidentify:
        raise InputError("thorough de-identification needs de-identification on")
    return deidentify and thorough is not False


@dataclass
class ExportContext:
    """Prepared input of the writers. Create it with :meth:`build`."""

    candidates: list[ExportCandidate]
    filters: ExportFilters
    deid: DeidReport
    preferences: list[PreferenceOutcome] | None = None
    tables: dict[str, pd.DataFrame] | None = None
    system_prompt: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    memo: dict = field(default_factory=dict, repr=False)  # per-export caches shared by writers (e.g. tables)
    excluded: dict[str, int] = field(default_factory=dict)  # what was left out on purpose, counted (greetings)
    provenance: dict = field(default_factory=dict)  # for the dataset card: models, datasets, annotation process
    detector: Detector = field(default=detect, repr=False)  # what de-identified it (for the tables added later)
    _bq_by_object: dict = field(default_factory=dict, repr=False)
    _bq_by_turn: dict = field(default_factory=dict, repr=False)
    _msg_by_object: dict = field(default_factory=dict, repr=False)
    _msg_by_turn: dict = field(default_factory=dict, repr=False)
    _kept: list = field(default_factory=list, repr=False)  # the objects whose ids key the caches above

    @classmethod
    def build(
        cls,
        candidates: Sequence[ExportCandidate],
        filters: ExportFilters | None = None,
        deidentify: bool = True,
        preferences: Sequence[PreferenceOutcome] | None = None,
        tables: dict[str, pd.DataFrame] | None = None,
        system_prompt: str | None = None,
        *,
        thorough: bool | None = None,
        parallel: bool | None = None,
    ) -> ExportContext:
        """``thorough``: de-identify with the rules and the learned tagger
        (:class:`workbench.privacy_model.ThoroughDetector`), the default (None) whenever ``deidentify``; False: the
        rules alone. Refused (:class:`InputError`, :class:`workbench.privacy_model.ModelUnavailable`) without
        de-identification or without the tagger. ``parallel``: search the texts on two cores (None: where it pays,
        see :func:`workbench.export.detect_in_two.detect_in_two`)."""
        report = DeidReport(enabled=deidentify)
        detector: Detector = detect
        if thorough_wanted(thorough, deidentify):
            from workbench.privacy_model import ThoroughDetector, thorough_report

            report.thorough = thorough_report()  # first: no tagger, no export
            detector = ThoroughDetector()
        with paused_gc():
            cands = (_deidentify_candidates(candidates, report, detector, parallel) if deidentify
                     else list(candidates))
        if deidentify and system_prompt:
            system_prompt = deidentify_text(system_prompt, report, "system_prompt", detector)
        if deidentify and tables is not None:
            # Now, not by the table writers: each of them counted the tables again in the report, and the
            # formats written before them showed a report without the tables.
            tables = deidentify_tables(tables, report, None, detector)
        return cls(cands, filters or ExportFilters(), report, list(preferences) if preferences is not None else None,
                   tables, system_prompt, detector=detector)

    @cached_property
    def preferences_by_turn(self) -> dict[tuple, list[PreferenceOutcome]]:
        """Explicit preference outcomes indexed by (dialogue, turn): looked up once per turn, not scanned."""
        index: dict[tuple, list[PreferenceOutcome]] = {}
        for p in self.preferences or ():
            index.setdefault((p.dialogue_id, p.turn_index), []).append(p)
        return index

    @cached_property
    def plain_groups(self) -> dict[tuple, list[tuple[ExportCandidate, CandidateStats]]]:
        """In-scope candidates with their plain stats (means, vote counts) per (dialogue, turn)."""
        with paused_gc():
            return group_turns(self.candidates, self.filters)

    @cached_property
    def vote_weights(self) -> dict[str, float] | None:
        """Annotator -> weight of a preference vote under ``filters.aggregate``; None: every vote counts 1."""
        return vote_weights(self.plain_groups, self.filters.aggregate, self._annotators)

    @property
    def _annotators(self) -> frozenset[str] | None:
        return frozenset(self.filters.annotators) if self.filters.annotators is not None else None

    @cached_property
    def groups(self) -> dict[tuple, list[tuple[ExportCandidate, CandidateStats]]]:
        """In-scope candidates with stats per (dialogue, turn), first-seen order, aggregated as asked."""
        if self.filters.aggregate == "mean":
            return self.plain_groups
        return reweight_groups(self.plain_groups, self.filters.aggregate, self._annotators, self.vote_weights)

    @cached_property
    def selected(self) -> list[Selected]:
        """One target per (dialogue, turn) (see :mod:`workbench.export.selection`), ordered by dialogue (first
        seen) then turn index."""
        groups = self.groups
        keys = list(groups)
        dialogues = list(map(_FIRST, keys))
        rank = {d: i for i, d in enumerate(dict.fromkeys(dialogues))}
        order = list(zip(map(rank.__getitem__, dialogues), map(_SECOND, keys), strict=True))
        with paused_gc():
            if all(map(lt, order, islice(order, 1, None))):  # already in that order (a store's turns are)
                ordered = list(groups.values())
            else:  # (rank, turn) pairs are distinct: the index breaks no tie, it carries the key along
                ordered = [groups[keys[i]] for *_, i in sorted((*o, i) for i, o in enumerate(order))]
            return select_turns(ordered, self.filters)

    @cached_property
    def training_targets(self) -> list[Selected]:
        """:attr:`selected` without repeats: one row per (history, target), the first seen kept.

        Two dialogues can share a history (the same opening typed twice, a dataset row imported twice)
        and get the same target; SFT would learn that one example twice as hard, as DPO and KTO never
        do (they pool such rows). The history is compared as its chat messages (:meth:`prompt_json`)."""
        selected = self.selected
        keys = zip(self.prompts([s.candidate for s in selected]), map(_TARGET, selected), strict=True)
        first: dict[tuple[bytes, str], int] = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)
        if len(first) == len(selected):
            return selected
        return [selected[i] for i in first.values()]  # a dict keeps first sightings in order

    @cached_property
    def selected_rows(self) -> SelectedRows:
        """The selected targets' metadata, its JSON and the BianQue texts, built once for the SFT and
        BianQue formats (they export the same targets)."""
        with paused_gc():
            return SelectedRows.build(self)

    def bianque_input(self, c: ExportCandidate) -> str:
        """The escaped 病人/医生 history ending in 医生： for a candidate, rendered once per history object.

        Keyed by the history object (the columns of a dataset turn share one): the text depends on the
        history only, and hashing a tuple of turns (Python does not cache it) cost more than rendering
        the few histories that are equal without being the same object.
        """
        got = self._bq_by_object.get(id(c.history))
        return got if got is not None else self._render_bianque(c.history)

    def _render_bianque(self, h: Sequence[Turn]) -> str:
        roles = [t.role for t in h]
        patients, doctors = roles[0::2], roles[1::2]
        if len(roles) % 2 and patients.count("patient") == len(patients) and doctors.count("doctor") == len(doctors):
            # Patient and doctor alternate (every dataset and live history): the transcript is each turn as
            # "病人：…" / "医生：…" joined by newlines, plus "\n医生：", and escaping maps character by
            # character, so each turn's escaped line is made once (a dialogue's histories share turns).
            lines = self._bq_by_turn
            parts = []
            for t in h:
                known = lines.get(id(t))
                if known is None:
                    known = lines[id(t)] = escape_training_text(_SPEAKER[t.role] + t.text)
                    self._kept.append(t)
                parts.append(known)
            text = "\\n".join(parts) + _ESCAPED_DOCTOR_CUE
        else:  # consecutive patient turns are joined, a leading doctor turn gets an empty patient message
            rounds, last = Dialogue(tuple(h)).pairs()
            text = escape_training_text(bianque_context(rounds, last))
        self._bq_by_object[id(h)] = text
        self._kept.append(h)
        return text

    def prompt_json(self, c: ExportCandidate) -> bytes:
        """The history as a JSON array of chat messages (with the system prompt), rendered once per
        history object (see :meth:`bianque_input`)."""
        got = self._msg_by_object.get(id(c.history))
        return got if got is not None else self._render_prompt(c.history)

    def prompts(self, candidates: Sequence[ExportCandidate]) -> list[bytes]:
        """:meth:`prompt_json` of every candidate, in order: looked up in bulk (a writer needs the prompt
        of every reply of the export, and a method call per reply cost more than the look-up)."""
        histories = [c.history for c in candidates]
        out = list(map(self._msg_by_object.get, map(id, histories)))
        if None in out:
            # The columns of a turn share a history: look again, else each would render it anew.
            render, known = self._render_prompt, self._msg_by_object
            for i, got in enumerate(out):
                if got is None:
                    h = histories[i]
                    got = known.get(id(h))
                    out[i] = got if got is not None else render(h)
        return cast(list[bytes], out)  # every missing one was rendered just above

    def _render_prompt(self, h: Sequence[Turn]) -> bytes:
        # Each turn's message is encoded once (the histories of one dialogue share their turns) and the
        # array is joined from them: the bytes of encoding the list of messages at once. Both caches are
        # keyed by object id; ``_kept`` keeps the objects alive, so that an id is never reused meanwhile.
        by_turn = self._msg_by_turn
        parts = [dumpb_kept({"role": "system", "content": self.system_prompt})] if self.system_prompt else []
        for t in h:
            known = by_turn.get(id(t))
            if known is None:
                known = by_turn[id(t)] = dumpb_kept({"role": ROLE_TO_CHAT[t.role], "content": t.text})
                self._kept.append(t)
            parts.append(known)
        data = self._msg_by_object[id(h)] = b"[" + b",".join(parts) + b"]"
        self._kept.append(h)
        return data
