"""Build export records from the store: candidates, preference outcomes and flat tables, in a few queries.

Everything is read in one session (one consistent snapshot), with a fixed number of queries whatever
the size of the database; nothing is queried per row.

What becomes a candidate: every ``ok`` generation with at least one **submitted** rating (drafts and
discarded answers never count), by the selected annotators when the filters name some. Greetings (the
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
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from workbench.dialogue import Turn
from workbench.errors import InputError
from workbench.export.api import ExportReport, write_format, write_formats
from workbench.export.context import ExportContext
from workbench.export.records import ExportCandidate, GenId, PreferenceOutcome, RatingInfo
from workbench.export.registry import canonical, get_writer
from workbench.export.selection import ExportFilters
from workbench.privacy import DeidReport, deidentify, names_in
from workbench.store.engine import Store
from workbench.store.greetings import is_greeting, not_greeting
from workbench.store.schema import Dataset, Dialogue, Generation, Preference, Rating, Suggestion, User
from workbench.store.schema import Turn as TurnRow
from workbench.store.threads import ThreadRequest, read_threads
from workbench.vocab import TURN_TYPE_QUESTION, AnswerStatus, GenerationStatus, RubricAxis
from workbench.vocab import PreferenceOutcome as Outcome  # records.PreferenceOutcome is the export record

SCORE_AXES = tuple(RubricAxis)


@dataclass
class StoreExport:
    """What the export layer needs, read from the store."""

    candidates: list[ExportCandidate]
    preferences: list[PreferenceOutcome]
    tables: dict[str, pd.DataFrame] | None = None  # only when asked for (with_tables=True)
    greetings: int = 0  # greeting replies in scope, left out


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


# --------------------------------------------------------------------------------------------------
# Candidates


def _score(v: int | None) -> float | None:
    return None if v is None else float(v)


def _agreement(rows: list[tuple]) -> dict[int, float]:
    """generation id -> agreement (mean over the axes that have one), from (gid, annotator, q, s) rows."""
    from workbench.analysis.agreement import item_agreement

    if not rows:
        return {}
    df = pd.DataFrame(rows, columns=["generation_id", "annotator", *SCORE_AXES])
    for axis in SCORE_AXES:
        df[axis] = pd.to_numeric(df[axis], errors="coerce").astype(float)
    per_axis = pd.concat([item_agreement(df, axis) for axis in SCORE_AXES], axis=1)
    mean = per_axis.mean(axis=1, skipna=True)
    return {int(k): float(v) for k, v in mean.items() if not math.isnan(v)}


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
        .where(Preference.status == AnswerStatus.SUBMITTED, Preference.dialogue_id.in_(dialogue_ids), *_annotator_clause(f))
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
        rating_rows = s.execute(
            select(Rating.generation_id, User.username, Rating.questioning, Rating.suggestion, Rating.turn_type,
                   Rating.safety_flag, Rating.comment, Rating.corrected_reply, Rating.updated_at)
            .join(User, User.id == Rating.user_id)
            .where(Rating.status == AnswerStatus.SUBMITTED, Rating.generation_id.in_(scope), *_annotator_clause(f))
            .order_by(Rating.generation_id, Rating.id)
        ).all()
        ratings: dict[int, list[RatingInfo]] = defaultdict(list)
        for gid, who, q, sg, tt, flag, comment, corrected, at in rating_rows:
            ratings[gid].append(RatingInfo(who, _score(q), _score(sg), tt, bool(flag), comment, corrected, at))
        agreement = _agreement([(r[0], r[1], r[2], r[3]) for r in rating_rows])

        rated = select(Rating.generation_id).join(User, User.id == Rating.user_id).where(
            Rating.status == AnswerStatus.SUBMITTED, Rating.generation_id.in_(scope), *_annotator_clause(f))
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
    return StoreExport(candidates, [p for _, p in prefs], tables, int(n_greetings))


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
    dialogues = _frame(s.execute(
        select(Dialogue.id, Dataset.name, Dialogue.source, Dialogue.external_id, Dialogue.title, Dialogue.parent_id,
               TurnRow.idx, TurnRow.role, TurnRow.text, TurnRow.is_reference, TurnRow.generation_id,
               Dialogue.created_at)
        .join(TurnRow, TurnRow.dialogue_id == Dialogue.id)
        .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
        .where(Dialogue.id.in_(dia_scope)).order_by(Dialogue.id, TurnRow.idx)
    ).all(), ["dialogue_id", "dataset", "source", "external_id", "title", "parent_id", "turn_index", "role", "text",
              "is_reference", "generation_id", "created_at"])
    gens = s.execute(
        select(Generation.id, Generation.dialogue_id, Dataset.name, Generation.turn_index, Generation.column_name,
               Generation.backend, Generation.model_name, Generation.model_revision, Generation.status,
               Generation.output, Generation.error, Generation.route, Generation.route_reason, Generation.seed,
               Generation.latency_ms, Generation.ttft_ms, Generation.prompt_tokens, Generation.output_tokens,
               suggestion, Generation.batch_run_id, Generation.created_at)
        .join(Dialogue, Dialogue.id == Generation.dialogue_id)
        .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
        .where(Generation.id.in_(gen_scope)).order_by(Generation.id)
    ).all()
    generations = _frame(
        [(*r[:-1], agreement.get(r[0]), ";".join(pro.get(r[0], [])), ";".join(con.get(r[0], [])), r[-1])
         for r in gens],
        ["generation_id", "dialogue_id", "dataset", "turn_index", "column", "backend", "model", "model_revision",
         "status", "output", "error", "route", "route_reason", "seed", "latency_ms", "ttft_ms", "prompt_tokens",
         "output_tokens", "turn_type_auto", "batch_run_id", "agreement", "preferred_by", "dispreferred_by",
         "created_at"])
    ratings = _frame(s.execute(
        select(Rating.id, Rating.generation_id, User.username, Rating.turn_type, Rating.questioning,
               Rating.questioning_na, Rating.suggestion, Rating.suggestion_na, Rating.safety_flag, Rating.comment,
               Rating.corrected_reply, Rating.rubric_version, Rating.blind, Rating.display_slot, Rating.version,
               Rating.created_at, Rating.updated_at)
        .join(User, User.id == Rating.user_id)
        .where(Rating.status == AnswerStatus.SUBMITTED, Rating.generation_id.in_(gen_scope), *_annotator_clause(f))
        .order_by(Rating.id)
    ).all(), ["rating_id", "generation_id", "annotator", "turn_type", "questioning", "questioning_na", "suggestion",
              "suggestion_na", "safety_flag", "comment", "corrected_reply", "rubric_version", "blind", "display_slot",
              "version", "created_at", "updated_at"])
    prefs = s.execute(
        select(Preference.id, User.username, Preference.dialogue_id, Preference.turn_index, Preference.shown,
               Preference.outcome, Preference.winner_generation_id, Preference.ranking, Preference.rubric_version,
               Preference.blind, Preference.version, Preference.created_at, Preference.updated_at)
        .join(User, User.id == Preference.user_id)
        .where(Preference.status == AnswerStatus.SUBMITTED, Preference.dialogue_id.in_(dia_scope), *_annotator_clause(f))
        .order_by(Preference.id)
    ).all()
    preferences = _frame(
        [(pid, who, did, t, _id_list(shown) or [], outcome, winner, _id_list(ranking), *rest)
         for pid, who, did, t, shown, outcome, winner, ranking, *rest in prefs],
        ["preference_id", "annotator", "dialogue_id", "turn_index", "shown", "outcome", "winner_generation_id",
         "ranking", "rubric_version", "blind", "version", "created_at", "updated_at"])
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


# Free-text columns of the tables, where a name introduced in one text of a dialogue is looked for in the others.
TABLE_TEXT_COLUMNS = {"dialogues": ("title", "text"), "generations": ("output", "error", "route_reason"),
                      "ratings": ("comment", "corrected_reply")}


def redact_dialogue_names(tables: dict[str, pd.DataFrame], report: DeidReport) -> dict[str, pd.DataFrame]:
    """Copies of ``tables`` where every name a cue (我叫…) introduces anywhere in a dialogue is replaced in
    all of that dialogue's texts, as the candidate formats do.

    The export's own table pass de-identifies each text on its own, so "我叫李明" is caught but a later
    "李明您好" would not be. Redactions are added to ``report``.
    """
    gens = tables["generations"]
    gen_dialogue = dict(zip(gens["generation_id"].tolist(), gens["dialogue_id"].tolist(), strict=True))

    def dialogue_of(df: pd.DataFrame) -> list:
        if "dialogue_id" in df.columns:
            return df["dialogue_id"].tolist()
        return [gen_dialogue.get(g) for g in df["generation_id"].tolist()]

    texts: dict[object, list[str]] = defaultdict(list)
    for name, cols in TABLE_TEXT_COLUMNS.items():
        df = tables[name]
        dids = dialogue_of(df)
        for col in cols:
            for did, v in zip(dids, df[col].tolist(), strict=True):
                if isinstance(v, str) and v:
                    texts[did].append(v)
    names = {did: found for did, ts in texts.items() if (found := names_in(ts))}
    if not names:
        return tables
    out = dict(tables)
    for name, cols in TABLE_TEXT_COLUMNS.items():
        df = tables[name].copy()
        dids = dialogue_of(df)
        for col in cols:
            values = df[col].tolist()
            for i, (did, v) in enumerate(zip(dids, values, strict=True)):
                known = names.get(did)
                if known and isinstance(v, str) and any(n in v for n in known):
                    values[i], reds = deidentify(v, known)
                    report.add(f"{name}.{col}", reds)
            df[col] = values
        out[name] = df
    return out


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
) -> dict[str, ExportReport]:
    """Export the store in each of ``formats``: one format into ``out_dir``, several into ``out_dir/<format>/``.

    De-identification is on unless ``deidentify=False``.
    """
    formats = list(dict.fromkeys(canonical(x) for x in formats))
    if not formats:
        raise InputError("choose at least one export format")
    for x in formats:
        get_writer(x)  # an unknown name fails before the database is read
    data = load_export(store, filters, with_tables=needs_tables(formats))
    deid = deidentify is not False
    ctx = ExportContext.build(data.candidates, filters, deid, data.preferences, None, system_prompt)
    ctx.excluded["greeting replies"] = data.greetings
    if data.tables is not None:
        ctx.tables = redact_dialogue_names(data.tables, ctx.deid) if deid else data.tables
    ctx.provenance = read_provenance(store, data.candidates)
    if len(formats) == 1:
        return {formats[0]: write_format(ctx, formats[0], out_dir)}
    return write_formats(ctx, formats, out_dir)


def read_provenance(store: Store, candidates: Sequence[ExportCandidate]) -> dict:
    """What the dataset card says about where the data comes from: the exported replies' models, their
    datasets (with a licence when the import recorded one) and the annotation process."""
    gen_ids = sorted({g for c in candidates for g in c.generation_ids if isinstance(g, int)})
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
                .where(Rating.status == AnswerStatus.SUBMITTED, Rating.generation_id.in_(chunk))).all()
        datasets = s.execute(
            select(Dataset.name, Dataset.format, Dataset.source, Dataset.meta)
            .where(Dataset.name.in_({c.dataset for c in candidates if c.dataset})).order_by(Dataset.name)).all()
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
