"""Build export records from the store: candidates, preference outcomes and flat tables, in a few queries.

Everything is read in one session (one consistent snapshot), with a fixed number of queries whatever
the size of the database; nothing is queried per row.

What becomes a candidate: every ``ok`` generation with at least one **submitted** rating (drafts and
discarded answers never count), by the selected annotators when the filters name some. Answers to an item an
admin retired (its ratings and preferences: :mod:`workbench.annotate.counted`) count nowhere, not in
candidates, votes, agreement, the flat tables nor the card, unless ``ExportFilters.include_retired``; how many
were left out is a note of the report (only when there are some). Greetings (the
apps' fixed first reply, no model call) are never candidates nor rows of the flat tables; they are
counted in the report instead (``greetings``).

History: exactly what that column saw before its reply. The shared turns of the dialogue before the
reply's position, plus, at positions that are not shared (a live session stores only the patient
turns; the doctor positions are each column's own), that column's own latest finished reply that
existed when this reply was generated (the highest generation id below this one's). For dataset and
batch dialogues every earlier position is a shared gold turn, so all columns share one history.

Agreement per generation: the mean over the score axes of :func:`workbench.analysis.agreement.item_agreement`
(None with fewer than two scores on every axis). Preferences: ``best`` -> the winner is preferred by
that annotator and every other reply shown is dispreferred; ``ranking`` -> the first is preferred and
the rest dispreferred (DPO gets the full ranking as tiers); ``all_bad`` -> every reply shown is
dispreferred; ``tie`` -> no vote.

The annotator, dataset and date filters of :class:`ExportFilters` are applied in SQL (and again, at no
cost, by the selection); the score, agreement, turn-type and safety filters are the selection's.

Reads: each table is one ``select()`` whose columns carry the table's column names as labels, loaded with
``pandas.read_sql``, so a column's name sits next to what it reads. Rating scores are JSON keyed by rubric
axis: the two shipped axes keep their columns (``questioning``, ``questioning_na``, ...) and every further
axis answered gets the same pair after ``suggestion_na``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Connection

from workbench.annotate.counted import counted_preference, counted_rating, retired_preference, retired_rating
from workbench.annotate.rubric import NA, axes_in, score_number
from workbench.dialogue import Turn
from workbench.errors import InputError
from workbench.export.api import ExportReport, write_format, write_formats
from workbench.export.context import ExportContext, thorough_wanted
from workbench.export.records import ExportCandidate, GenId, PreferenceOutcome, RatingInfo
from workbench.export.registry import canonical, get_writer
from workbench.export.selection import ExportFilters
from workbench.privacy import analyse_text, deidentify_tables, redact_dialogue_names, table_texts
from workbench.store.engine import Store
from workbench.store.greetings import is_greeting, not_greeting
from workbench.store.schema import Dataset, Dialogue, Generation, Preference, Rating, Suggestion, User
from workbench.store.schema import Turn as TurnRow
from workbench.store.scope_names import check_scope_names
from workbench.store.threads import ThreadRequest, read_threads
from workbench.vocab import TURN_TYPE_QUESTION, GenerationStatus, RubricAxis
from workbench.vocab import PreferenceOutcome as Outcome  # records.PreferenceOutcome is the export record

SCORE_AXES = tuple(RubricAxis)


@dataclass
class StoreExport:
    """What the export layer needs, read from the store."""

    candidates: list[ExportCandidate]
    preferences: list[PreferenceOutcome]
    tables: dict[str, pd.DataFrame] | None = None  # only when asked for (with_tables=True)
    greetings: int = 0  # greeting replies in scope, left out
    retired_answers: int = 0  # submitted answers in scope to retired items, left out


# --------------------------------------------------------------------------------------------------
# Filters in SQL


def utc_naive(d: datetime | date, end: bool) -> datetime:
    """The bound as the store keeps times (naive UTC); a plain date covers its whole day."""
    if not isinstance(d, datetime):
        d = datetime.combine(d, time.max if end else time.min)
    if d.tzinfo is not None:
        d = d.astimezone(UTC).replace(tzinfo=None)
    return d


def _date_clauses(column, f: ExportFilters) -> list:
    out = []
    if f.date_from is not None:
        out.append(column >= utc_naive(f.date_from, end=False))
    if f.date_to is not None:
        out.append(column <= utc_naive(f.date_to, end=True))
    return out


def _generation_scope(f: ExportFilters) -> list:
    """Dataset and date clauses on a query that joins Generation, Dialogue and (outer) Dataset."""
    clauses = _date_clauses(Generation.created_at, f)
    if f.datasets is not None:
        clauses.append(Dataset.name.in_(list(f.datasets)))
    return clauses


def _annotator_clause(f: ExportFilters) -> list:
    return [User.username.in_(list(f.annotators))] if f.annotators is not None else []


def _rating_counted(f: ExportFilters) -> ColumnElement[bool]:
    return counted_rating(include_retired=f.include_retired)


def _preference_counted(f: ExportFilters) -> ColumnElement[bool]:
    return counted_preference(include_retired=f.include_retired)


def _retired_answers(s: Connection, scope, f: ExportFilters) -> int:
    """Submitted ratings and preferences in scope, by the selected annotators, left out as answers to retired
    items (0 when the filters include them)."""
    if f.include_retired:
        return 0
    ratings = (select(func.count(Rating.id)).join(User, User.id == Rating.user_id)
               .where(retired_rating(), Rating.generation_id.in_(scope), *_annotator_clause(f)))
    dialogues = select(Generation.dialogue_id).where(Generation.id.in_(scope))
    prefs = (select(func.count(Preference.id)).join(User, User.id == Preference.user_id)
             .where(retired_preference(), Preference.dialogue_id.in_(dialogues), *_annotator_clause(f)))
    return int(s.execute(ratings).scalar_one()) + int(s.execute(prefs).scalar_one())


# --------------------------------------------------------------------------------------------------
# Candidates


def _read(s: Connection, query) -> pd.DataFrame:
    """A labelled select as a frame: its labels are the frame's columns."""
    return pd.read_sql(query, s)


def _score_columns(ratings: pd.DataFrame, *, with_na: bool) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``ratings`` with its JSON ``scores`` spread into a column per axis (and ``<axis>_na`` flags).

    The shipped axes always get their columns; a further axis gets its own when some rating answers it.
    """
    answers = ratings["scores"].tolist()
    axes = axes_in(answers, first=SCORE_AXES)
    columns: dict[str, list] = {}
    for axis in axes:
        values = [(a or {}).get(axis) for a in answers]
        columns[axis] = [score_number(v) for v in values]
        if with_na:
            columns[f"{axis}_na"] = [v == NA for v in values]
    spread = pd.DataFrame(columns, index=ratings.index, columns=list(columns))
    at = ratings.columns.get_loc("scores")
    out = pd.concat([ratings.iloc[:, :at], spread, ratings.iloc[:, at + 1 :]], axis=1)
    return out, axes


def _agreement(ratings: pd.DataFrame, axes: Sequence[str]) -> dict[int, float]:
    """generation id -> agreement (mean over the axes that have one), from the spread ratings frame."""
    from workbench.analysis.agreement import item_agreement

    if not len(ratings):
        return {}
    df = ratings[["generation_id", "annotator", *axes]].copy()
    for axis in axes:
        df[axis] = pd.to_numeric(df[axis], errors="coerce").astype(float)
    per_axis = pd.concat([item_agreement(df, axis) for axis in axes], axis=1)
    mean = per_axis.mean(axis=1, skipna=True)
    return {int(k): float(v) for k, v in mean.items() if not math.isnan(v)}


def _values(df: pd.DataFrame, column: str) -> list[Any]:
    """A column as Python values, pandas' missing values (NaN, NaT, NA) as None, times as datetimes."""
    values = df[column].astype(object).where(df[column].notna(), None).tolist()
    return [v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in values]


def _rating_infos(ratings: pd.DataFrame, axes: Sequence[str]) -> dict[int, list[RatingInfo]]:
    """generation id -> the export's records of the spread ratings frame, column by column (no per-cell pandas)."""
    further = [a for a in axes if a not in SCORE_AXES]
    cols = {c: _values(ratings, c) for c in ("generation_id", "annotator", "turn_type", "safety_flag", "comment",
                                             "corrected_reply", "created_at")}
    cols.update({a: [None if v is None else float(v) for v in _values(ratings, a)] for a in axes})
    out: dict[int, list[RatingInfo]] = defaultdict(list)
    for i, gid in enumerate(cols["generation_id"]):
        out[int(gid)].append(RatingInfo(
            cols["annotator"][i], cols["questioning"][i], cols["suggestion"][i], cols["turn_type"][i],
            bool(cols["safety_flag"][i]), cols["comment"][i], cols["corrected_reply"][i], cols["created_at"][i],
            tuple((a, cols[a][i]) for a in further)))
    return out


def _histories(s: Connection, dialogue_ids, gens: list[tuple]) -> dict[int, tuple[Turn, ...]]:
    """generation id -> the exact history its column saw when the reply was written (see the module
    docstring), read by :func:`workbench.store.threads.read_threads`; equal histories share one tuple.

    ``gens`` rows are (id, dialogue_id, turn_index, column).
    """
    requests = {gid: ThreadRequest(did, col, t, as_of=gid) for gid, did, t, col in gens}
    threads = read_threads(s, requests.values(), dialogue_scope=dialogue_ids)
    return {gid: threads[r].turns for gid, r in requests.items()}


def _preferences(s: Connection, dialogue_ids, f: ExportFilters) -> list[tuple[str, PreferenceOutcome]]:
    """(outcome, ranking as tiers) of every submitted preference on the given dialogues."""
    rows = s.execute(
        select(User.username, Preference.dialogue_id, Preference.turn_index, Preference.shown, Preference.outcome,
               Preference.winner_generation_id, Preference.ranking, Preference.updated_at)
        .join(User, User.id == Preference.user_id)
        .where(_preference_counted(f), Preference.dialogue_id.in_(dialogue_ids), *_annotator_clause(f))
        .order_by(Preference.dialogue_id, Preference.turn_index, Preference.id)
    ).all()
    out = []
    for who, did, t, shown, outcome, winner, ranking, at in rows:
        shown = [int(g) for g in (shown or [])]
        if outcome == Outcome.BEST and winner is not None:
            tiers = [[winner], [g for g in shown if g != winner]]
        elif outcome == Outcome.RANKING and ranking:
            ranked = [int(g) for g in ranking]
            rest = [g for g in shown if g not in ranked]
            tiers = [[g] for g in ranked] + [rest]
        else:  # tie / all_bad: no reply is better than another, so no pair
            tiers = [shown]
        out.append((outcome or "", PreferenceOutcome(who, did, t, [x for x in tiers if x], at)))
    return out


def _votes(prefs: list[tuple[str, PreferenceOutcome]]) -> tuple[dict[GenId, list[str]], dict[GenId, list[str]]]:
    """generation id -> annotators preferring it / dispreferring it."""
    pro: dict[GenId, list[str]] = defaultdict(list)
    con: dict[GenId, list[str]] = defaultdict(list)
    for outcome, p in prefs:
        if outcome == Outcome.ALL_BAD:
            for g in (g for tier in p.ranking for g in tier):
                con[g].append(p.annotator)
        elif outcome in (Outcome.BEST, Outcome.RANKING) and p.ranking:
            top, *rest = p.ranking
            for g in top:
                pro[g].append(p.annotator)
            for g in (g for tier in rest for g in tier):
                con[g].append(p.annotator)
    return pro, con


def load_export(store: Store, filters: ExportFilters | None = None, *, with_tables: bool = False) -> StoreExport:
    """Read candidates, preference outcomes and (``with_tables``) the flat tables in one session."""
    f = filters or ExportFilters()
    with store.read() as session:
        # Plain Core queries on the session's connection: rows come back as tuples, with no ORM
        # bookkeeping per row.
        s = session.connection()
        scope = (select(Generation.id).join(Dialogue, Dialogue.id == Generation.dialogue_id)
                 .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
                 .where(Generation.status == GenerationStatus.OK, not_greeting(), *_generation_scope(f)))
        n_greetings = s.execute(
            select(func.count(Generation.id)).join(Dialogue, Dialogue.id == Generation.dialogue_id)
            .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
            .where(is_greeting(), *_generation_scope(f))).scalar_one()
        rating_frame, axes = _score_columns(_read(s, (
            select(Rating.generation_id.label("generation_id"), User.username.label("annotator"),
                   Rating.scores.label("scores"), Rating.turn_type.label("turn_type"),
                   Rating.safety_flag.label("safety_flag"), Rating.comment.label("comment"),
                   Rating.corrected_reply.label("corrected_reply"), Rating.updated_at.label("created_at"))
            .join(User, User.id == Rating.user_id)
            .where(_rating_counted(f), Rating.generation_id.in_(scope), *_annotator_clause(f))
            .order_by(Rating.generation_id, Rating.id)
        )), with_na=False)
        ratings = _rating_infos(rating_frame, axes)
        agreement = _agreement(rating_frame, axes)

        rated = select(Rating.generation_id).join(User, User.id == Rating.user_id).where(
            _rating_counted(f), Rating.generation_id.in_(scope), *_annotator_clause(f))
        auto = (select(Suggestion.generation_id, func.max(Suggestion.id).label("sid"))
                .where(Suggestion.question == TURN_TYPE_QUESTION).group_by(Suggestion.generation_id).subquery())
        gen_rows = s.execute(
            select(Generation.id, Generation.dialogue_id, Generation.turn_index, Generation.column_name,
                   Generation.model_name, Generation.backend, Generation.output, Generation.created_at,
                   Dataset.name, Suggestion.value)
            .join(Dialogue, Dialogue.id == Generation.dialogue_id)
            .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
            .outerjoin(auto, auto.c.generation_id == Generation.id)
            .outerjoin(Suggestion, Suggestion.id == auto.c.sid)
            .where(Generation.id.in_(rated))
            .order_by(Generation.dialogue_id, Generation.turn_index, Generation.id)
        ).all()
        dialogue_ids = select(Generation.dialogue_id).where(Generation.id.in_(rated)).distinct()
        histories = _histories(s, dialogue_ids, [(g[0], g[1], g[2], g[3]) for g in gen_rows])
        prefs = _preferences(s, dialogue_ids, f)
        pro, con = _votes(prefs)
        candidates = [
            ExportCandidate(
                generation_id=gid, dialogue_id=did, dataset=ds, turn_index=t, history=histories[gid], column=col,
                model=model or backend or col, output=out or "", turn_type_auto=tt_auto,
                ratings=ratings.get(gid, []), agreement=agreement.get(gid), preferred_by=pro.get(gid, []),
                dispreferred_by=con.get(gid, []), created_at=at,
            )
            for gid, did, t, col, model, backend, out, at, ds, tt_auto in gen_rows
        ]
        tables = _tables(s, f, agreement, pro, con) if with_tables else None
        retired = _retired_answers(s, scope, f)
    return StoreExport(candidates, [p for _, p in prefs], tables, int(n_greetings), retired)


# --------------------------------------------------------------------------------------------------
# Flat tables


def _frame(rows: Sequence, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def _id_list(xs) -> list[int] | None:
    """Generation ids as a list of ints (None stays None: no ranking is not an empty ranking)."""
    return None if xs is None else [int(x) for x in xs]


def _tables(s: Connection, f: ExportFilters, agreement: dict, pro: dict, con: dict) -> dict[str, pd.DataFrame]:
    """dialogues (one row per shared turn), generations, ratings, preferences, annotators.

    Generations of every status in the dataset/date scope; submitted ratings and preferences of the
    selected annotators; dialogues that have a generation in scope (or, without a date filter, every
    dialogue of the selected datasets). No password hashes, ever.
    """
    gen_scope = (select(Generation.id).join(Dialogue, Dialogue.id == Generation.dialogue_id)
                 .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
                 .where(not_greeting(), *_generation_scope(f)))
    dia_clauses: list = []
    if f.datasets is not None:
        dia_clauses.append(Dataset.name.in_(list(f.datasets)))
    if f.date_from is not None or f.date_to is not None:
        with_gen = select(Generation.dialogue_id).where(Generation.id.in_(gen_scope))
        dia_clauses.append(Dialogue.id.in_(with_gen))
    dia_scope = (select(Dialogue.id).outerjoin(Dataset, Dataset.id == Dialogue.dataset_id).where(*dia_clauses))

    suggestion = (select(Suggestion.value).where(Suggestion.generation_id == Generation.id,
                                                 Suggestion.question == TURN_TYPE_QUESTION)
                  .order_by(Suggestion.id.desc()).limit(1).scalar_subquery())
    dialogues = _read(s, (
        select(Dialogue.id.label("dialogue_id"), Dataset.name.label("dataset"), Dialogue.source.label("source"),
               Dialogue.external_id.label("external_id"), Dialogue.title.label("title"),
               Dialogue.parent_id.label("parent_id"), TurnRow.idx.label("turn_index"), TurnRow.role.label("role"),
               TurnRow.text.label("text"), TurnRow.is_reference.label("is_reference"),
               TurnRow.generation_id.label("generation_id"), Dialogue.created_at.label("created_at"))
        .join(TurnRow, TurnRow.dialogue_id == Dialogue.id)
        .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
        .where(Dialogue.id.in_(dia_scope)).order_by(Dialogue.id, TurnRow.idx)
    ))
    generations = _read(s, (
        select(Generation.id.label("generation_id"), Generation.dialogue_id.label("dialogue_id"),
               Dataset.name.label("dataset"), Generation.turn_index.label("turn_index"),
               Generation.column_name.label("column"), Generation.backend.label("backend"),
               Generation.model_name.label("model"), Generation.model_revision.label("model_revision"),
               Generation.status.label("status"), Generation.output.label("output"), Generation.error.label("error"),
               Generation.route.label("route"), Generation.route_reason.label("route_reason"),
               Generation.seed.label("seed"), Generation.latency_ms.label("latency_ms"),
               Generation.ttft_ms.label("ttft_ms"), Generation.prompt_tokens.label("prompt_tokens"),
               Generation.output_tokens.label("output_tokens"), suggestion.label("turn_type_auto"),
               Generation.batch_run_id.label("batch_run_id"), Generation.created_at.label("created_at"))
        .join(Dialogue, Dialogue.id == Generation.dialogue_id)
        .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
        .where(Generation.id.in_(gen_scope)).order_by(Generation.id)
    ))
    ids = generations["generation_id"].tolist()
    generations.insert(generations.columns.get_loc("created_at"), "agreement",
                       pd.Series([agreement.get(g) for g in ids], index=generations.index))
    for name, votes in (("preferred_by", pro), ("dispreferred_by", con)):
        generations.insert(generations.columns.get_loc("created_at"), name, [";".join(votes.get(g, [])) for g in ids])
    ratings, _axes = _score_columns(_read(s, (
        select(Rating.id.label("rating_id"), Rating.generation_id.label("generation_id"),
               User.username.label("annotator"), Rating.turn_type.label("turn_type"), Rating.scores.label("scores"),
               Rating.safety_flag.label("safety_flag"), Rating.comment.label("comment"),
               Rating.corrected_reply.label("corrected_reply"), Rating.rubric_version.label("rubric_version"),
               Rating.blind.label("blind"), Rating.display_slot.label("display_slot"), Rating.version.label("version"),
               Rating.created_at.label("created_at"), Rating.updated_at.label("updated_at"))
        .join(User, User.id == Rating.user_id)
        .where(_rating_counted(f), Rating.generation_id.in_(gen_scope), *_annotator_clause(f))
        .order_by(Rating.id)
    )), with_na=True)
    preferences = _read(s, (
        select(Preference.id.label("preference_id"), User.username.label("annotator"),
               Preference.dialogue_id.label("dialogue_id"), Preference.turn_index.label("turn_index"),
               Preference.shown.label("shown"), Preference.outcome.label("outcome"),
               Preference.winner_generation_id.label("winner_generation_id"), Preference.ranking.label("ranking"),
               Preference.rubric_version.label("rubric_version"), Preference.blind.label("blind"),
               Preference.version.label("version"), Preference.created_at.label("created_at"),
               Preference.updated_at.label("updated_at"))
        .join(User, User.id == Preference.user_id)
        .where(_preference_counted(f), Preference.dialogue_id.in_(dia_scope), *_annotator_clause(f))
        .order_by(Preference.id)
    ))
    preferences["shown"] = [_id_list(x) or [] for x in preferences["shown"].tolist()]
    preferences["ranking"] = [_id_list(x) for x in preferences["ranking"].tolist()]
    n_pref = preferences.groupby("annotator").size() if len(preferences) else pd.Series(dtype=int)
    per_user = (ratings.groupby("annotator").agg(n_ratings=("rating_id", "size"), first_rating=("updated_at", "min"),
                                                 last_rating=("updated_at", "max"))
                if len(ratings) else pd.DataFrame(columns=["n_ratings", "first_rating", "last_rating"]))
    names = sorted(set(per_user.index) | set(n_pref.index))
    users = {u: (role, active, at) for u, role, active, at in s.execute(
        select(User.username, User.role, User.active, User.created_at).where(User.username.in_(names)))}
    annotators = _frame(
        [(u, users[u][0], users[u][1], int(per_user["n_ratings"].get(u, 0)) if len(per_user) else 0,
          int(n_pref.get(u, 0)), per_user["first_rating"].get(u) if len(per_user) else None,
          per_user["last_rating"].get(u) if len(per_user) else None, users[u][2]) for u in names],
        ["annotator", "role", "active", "n_ratings", "n_preferences", "first_rating", "last_rating", "created_at"])
    return {"dialogues": dialogues, "generations": generations, "ratings": ratings, "preferences": preferences,
            "annotators": annotators}


# --------------------------------------------------------------------------------------------------
# One call: store -> files


def needs_tables(formats: Sequence[str]) -> bool:
    return any(canonical(f).startswith("tables") for f in formats)


def export_from_store(
    store: Store,
    formats: Sequence[str],
    out_dir: str | Path,
    filters: ExportFilters | None = None,
    deidentify: bool | None = None,
    *,
    system_prompt: str | None = None,
    thorough: bool | None = None,
) -> dict[str, ExportReport]:
    """Export the store in each of ``formats``: one format into ``out_dir``, several into ``out_dir/<format>/``.

    De-identification is on unless ``deidentify=False``; it uses the rules and the learned tagger unless
    ``thorough=False`` (the rules alone), and is refused without the tagger before the database is read.
    """
    formats = list(dict.fromkeys(canonical(x) for x in formats))
    if not formats:
        raise InputError("choose at least one export format")
    for x in formats:
        get_writer(x)  # an unknown name fails before the database is read
    if thorough_wanted(thorough, deidentify is not False):
        from workbench.privacy_model import require_model

        require_model()
    check_scope_names(store, filters.scope if filters is not None else None)
    data = load_export(store, filters, with_tables=needs_tables(formats))
    deid = deidentify is not False
    ctx = ExportContext.build(data.candidates, filters, deid, data.preferences, None, system_prompt, thorough=thorough)
    ctx.excluded["greeting replies"] = data.greetings
    if data.retired_answers:  # noted only when some were: an export without retired items reads as before
        ctx.excluded["answers to retired items"] = data.retired_answers
    if data.tables is not None:
        # De-identified here, before any writer: every format's deid_report.json is then the whole export's.
        if deid:
            # Each distinct text analysed once for both passes (a large import's tables hold hundreds of
            # thousands, more than detect's memo keeps, and each was analysed twice)
            texts = list(table_texts(data.tables))
            prime = getattr(ctx.detector, "prime", None)
            if prime is not None:  # the thorough mode's tagger: one pass over them all
                prime(texts)
            memo = {t: analyse_text(t, ctx.detector) for t in texts}
            ctx.tables = deidentify_tables(redact_dialogue_names(data.tables, ctx.deid, memo, ctx.detector), ctx.deid,
                                           memo, ctx.detector)
        else:
            ctx.tables = data.tables
    ctx.provenance = read_provenance(store, data.candidates, include_retired=ctx.filters.include_retired,
                                     tables=data.tables)
    if len(formats) == 1:
        return {formats[0]: write_format(ctx, formats[0], out_dir)}
    return write_formats(ctx, formats, out_dir)


def read_provenance(store: Store, candidates: Sequence[ExportCandidate], *, include_retired: bool = False,
                    tables: Mapping[str, pd.DataFrame] | None = None) -> dict:
    """What the dataset card says about where the data comes from: the exported replies' models, their
    datasets (with a licence when the import recorded one) and the annotation process (counted ratings).
    With the flat ``tables`` (every dialogue and reply in scope, rated or not), theirs too: a card that named
    only the rated replies' sources understated the licences that bind the tables."""
    gen_id_set = {g for c in candidates for g in c.generation_ids if isinstance(g, int)}
    dataset_names = {c.dataset for c in candidates if c.dataset}
    if tables is not None:
        gen_id_set.update(int(g) for g in tables["generations"]["generation_id"].tolist())
        for name in ("dialogues", "generations"):
            dataset_names.update(d for d in tables[name]["dataset"].tolist() if isinstance(d, str) and d)
    gen_ids = sorted(gen_id_set)
    models: set[tuple] = set()
    ratings: list[tuple] = []
    with store.read() as session:
        s = session.connection()
        for i in range(0, len(gen_ids), 500):  # well under every database's parameter limit
            chunk = gen_ids[i : i + 500]
            models.update(s.execute(
                select(Generation.column_name, Generation.backend, Generation.model_name, Generation.model_revision)
                .where(Generation.id.in_(chunk)).distinct()).all())
            ratings += s.execute(
                select(Rating.generation_id, Rating.user_id, Rating.rubric_version, Rating.blind)
                .where(counted_rating(include_retired=include_retired), Rating.generation_id.in_(chunk))).all()
        datasets = s.execute(
            select(Dataset.name, Dataset.format, Dataset.source, Dataset.meta)
            .where(Dataset.name.in_(dataset_names)).order_by(Dataset.name)).all()
    per_reply = Counter(gid for gid, *_ in ratings)
    counts = sorted(per_reply.values())
    return {
        "models": [{"column": c, "backend": b, "model": m, "revision": r}
                   for c, b, m, r in sorted(models, key=lambda x: tuple(str(v) for v in x))],
        "datasets": [{"name": n, "format": fmt, "source": Path(src).name if src else None,
                      "license": _licence(src, meta)} for n, fmt, src, meta in datasets],
        "rubric_versions": sorted({v for *_, v, _b in ratings if v}),
        "annotators_per_reply": ({"min": counts[0], "median": counts[len(counts) // 2], "max": counts[-1]}
                                 if counts else {}),
        "n_annotators": len({u for _, u, *_ in ratings}),
        "blind_share": (sum(bool(b) for *_, b in ratings) / len(ratings)) if ratings else None,
    }


def _licence(source: str | None, meta: dict | None) -> str | None:
    for key in ("license", "licence"):
        if isinstance(meta, dict) and meta.get(key):
            return str(meta[key])
    if source and Path(source).name == "seed_examples_bianque.csv":
        return "Apache-2.0 (scutcyr/BianQue examples)"
    return None
