"""Everything the format writers share: de-identified candidates, the selection and rendering caches.

Built once per export (or once for several formats, see :func:`workbench.export.api.export_all`), so
that de-identification, scoring and history rendering are not repeated per format or per row.
"""

from __future__ import annotations

import dataclasses
import gc
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from itertools import chain, groupby
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, cast

from workbench.dialogue import Dialogue, Turn
from workbench.export._json import dumpb_kept
from workbench.export.aggregated import reweight_groups, vote_weights
from workbench.export.records import ExportCandidate, PreferenceOutcome, RatingInfo
from workbench.export.selection import CandidateStats, ExportFilters, Selected, group_turns, select_turns
from workbench.privacy import DeidReport, deidentify, deidentify_text, names_in
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


def _text_fields(cands: list[ExportCandidate], outputs: list[str], histories: Iterable[Sequence[Turn]],
                 ratings: list[RatingInfo]) -> dict[str, str]:
    """Each distinct text of a dialogue -> the field of its first occurrence (for the report): per candidate
    its reply, then its ratings' comments and corrections, in order; then the history turns.

    When no text is both a reply, a comment or a correction (the usual case), the field follows from the
    kind of text alone, so the dict is built from whole columns; otherwise in the order above.
    """
    fields = dict.fromkeys(outputs, "output")
    comments = list(filter(None, map(_COMMENT, ratings)))
    fixes = list(filter(None, map(_CORRECTED, ratings)))
    if comments or fixes:
        keys = fields.keys()
        if keys.isdisjoint(comments) and keys.isdisjoint(fixes) and set(comments).isdisjoint(fixes):
            fields.update(dict.fromkeys(comments, "comment"))
            fields.update(dict.fromkeys(fixes, "corrected_reply"))
        else:
            fields = {}
            for c in cands:
                fields.setdefault(c.output, "output")
                for r in c.ratings:
                    if r.comment:
                        fields.setdefault(r.comment, "comment")
                    if r.corrected_reply:
                        fields.setdefault(r.corrected_reply, "corrected_reply")
    # History texts that are no reply or note, in the turns' order (values from ``fields`` win).
    return {**dict.fromkeys(map(_TEXT, chain.from_iterable(histories)), "history"), **fields}


def _deidentify_candidates(
    candidates: Sequence[ExportCandidate], report: DeidReport
) -> list[ExportCandidate]:
    """Replace personal data in every text; names found anywhere in a dialogue are removed everywhere in it.

    The report counts each distinct text of each dialogue once (as one call per text would). A text in
    a dialogue without such names is de-identified on its own, so its result is shared by every dialogue
    it occurs in: it is looked up, and counted in bulk at the end.

    Most texts contain no personal data: the texts de-identified on their own are kept in two sets (seen,
    and changed with their new form), so a dialogue with no names and no changed text costs a few set
    operations over its texts, and its candidates stay the same objects.
    """
    by_dialogue, contiguous = _by_dialogue(candidates)
    changed_alone: dict[str, str] = {}  # text -> its de-identified form on its own, only the texts that change
    known_alone: set[str] = set()  # texts de-identified on their own so far
    # (text, field) -> dialogues it was counted in; a Counter counts an iterable in C
    seen_alone: Counter[tuple[str, str]] = Counter()
    cleaned: dict[int, ExportCandidate] = {}  # id(original) -> cleaned copy, when dialogues were not contiguous
    make = object.__new__
    for cands in by_dialogue.values():
        hist_of = list(map(_HISTORY, cands))
        # Keyed by the history object (columns of one turn share it; live columns have their own):
        # hashing the turns themselves cost more than de-identifying them.
        histories: dict[int, Sequence[Turn]] = dict(zip(map(id, hist_of), hist_of, strict=True))
        outputs = list(map(_OUTPUT, cands))
        ratings = list(chain.from_iterable(map(_RATINGS, cands)))
        fields = _text_fields(cands, outputs, histories.values(), ratings)
        names = names_in(fields)  # found with high confidence: replaced in all of the dialogue's texts
        long_names = [n for n in names if len(n) >= 2]
        if long_names:
            only_name = long_names[0] if len(long_names) == 1 else None  # the usual case: one test per text
            clean: dict[str, str] = {}  # only the texts that change: most dialogues have none
            for text, where in fields.items():
                if only_name in text if only_name is not None else any(n in text for n in long_names):
                    new, reds = deidentify(text, names)
                    report.add(where, reds)
                    if new != text:
                        clean[text] = new
                else:
                    seen_alone[(text, where)] += 1
                    if text not in known_alone:
                        _learn_alone(text, known_alone, changed_alone)
                    new = changed_alone.get(text)
                    if new is not None:
                        clean[text] = new
        else:
            seen_alone.update(fields.items())
            for text in fields.keys() - known_alone:
                _learn_alone(text, known_alone, changed_alone)
            if changed_alone:
                hit = fields.keys() & changed_alone.keys()
                if not hit:
                    continue
                clean = {t: changed_alone[t] for t in hit}
            else:
                continue
        if not clean:
            continue
        new_turns: dict[int, Turn] = {}  # a turn object is shared by the histories that contain it
        new_hist: dict[int, Sequence[Turn]] = {}
        for key, h in histories.items():
            if any(t.text in clean for t in h):
                hist = []
                for t in h:
                    nt = new_turns.get(id(t))
                    if nt is None:
                        nt = new_turns[id(t)] = Turn(t.role, clean[t.text]) if t.text in clean else t
                    hist.append(nt)
                new_hist[key] = hist
        notes = bool(ratings) and any(
            (r.comment in clean if r.comment else False) or (r.corrected_reply in clean if r.corrected_reply else False)
            for r in ratings)  # usually not: then no rating is looked at again
        cleaned_histories = list(map(new_hist.get, map(id, hist_of)))
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
            # copy_with, inlined: this runs for most candidates of a dialogue with personal data in its history
            copy = make(type(c))
            data = copy.__dict__
            data.update(c.__dict__)
            if cleaned_history is not None:
                data["history"] = cleaned_history
            if cleaned_output is not None:
                data["output"] = cleaned_output
            if new_ratings is not None:
                data["ratings"] = new_ratings
            cands[i] = copy  # the group list is this function's own
            if not contiguous:
                cleaned[id(c)] = copy
    for (text, where), times in seen_alone.items():
        report.add(where, deidentify(text)[1], times)
    if contiguous:
        return list(chain.from_iterable(by_dialogue.values()))
    return [cleaned.get(id(c), c) for c in candidates] if cleaned else list(candidates)


def _learn_alone(text: str, known: set[str], changed: dict[str, str]) -> None:
    """De-identify ``text`` on its own once; keep its new form only when it differs."""
    known.add(text)
    new = deidentify(text)[0]
    if new != text:
        changed[text] = new


@dataclass(slots=True)
class SelectedRows:
    """Column-wise view of :attr:`ExportContext.selected`: one list per field, row ``i`` in each."""

    metadata: list[dict]
    metadata_json: list[bytes]  # the JSON of ``metadata[i]``
    models: list[str | None]
    turn_types: list[str | None]
    sources: list[str | None]

    @classmethod
    def build(cls, ctx: ExportContext) -> SelectedRows:
        metas = [s.metadata() for s in ctx.selected]
        return cls(metas, [dumpb_kept(m) for m in metas], [m["model"] for m in metas], [m["turn_type"] for m in metas],
                   [m["target_source"] for m in metas])

    def count_into(self, res: FormatResult) -> None:
        res.count_all(self.models, self.turn_types, self.sources)


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
    ) -> ExportContext:
        report = DeidReport(enabled=deidentify)
        with paused_gc():
            cands = _deidentify_candidates(candidates, report) if deidentify else list(candidates)
        if deidentify and system_prompt:
            system_prompt = deidentify_text(system_prompt, report, "system_prompt")
        return cls(cands, filters or ExportFilters(), report, list(preferences) if preferences is not None else None,
                   tables, system_prompt)

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
        """One target per (dialogue, turn) (see :mod:`workbench.export.selection`)."""
        first_seen: dict = {}
        for d, _ in self.groups:
            first_seen.setdefault(d, len(first_seen))
        with paused_gc():
            groups = self.groups
            return select_turns([groups[key] for key in sorted(groups, key=lambda k: (first_seen[k[0]], k[1]))],
                                self.filters)

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
