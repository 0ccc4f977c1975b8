"""The machine judge: an OpenAI-compatible column rates stored replies on the rubric's axes.

Its answers are *suggestions* (``Suggestion.agent = "judge:<model>"``, ``question`` = the axis key,
``value`` = the score or ``NA``), never ratings: they are not a human's answer, never count as one, and
the Rate tab never shows them (it reads only the classifier's ``turn_type`` suggestion). For simulated
consultations the judge also scores the first advice against the case (``key_point_coverage`` and
``red_flag_handling``, values in [0, 1]).

Judging is resumable (a reply that has the judge's answer on every axis is skipped) and keeps the
judge column's ``max_concurrency`` requests in flight. An answer that cannot be parsed stores nothing
and is reported.

:func:`judge_agreement` compares the judge with the humans on the same replies, per axis: Krippendorff's
alpha (interval) between the judge's score and the mean of the submitted human scores, Spearman's rho,
both with percentile bootstrap CIs over replies, and n. It and :func:`judge_scores` take the Compare tab's
:class:`workbench.scope.Scope`, with the dashboard's meaning of each filter (:func:`judge_pairs` says how).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from workbench.analysis.defaults import N_BOOT
from workbench.analysis.filters import narrow_generations, narrow_ratings
from workbench.annotate.counted import counted_rating
from workbench.annotate.rubric import Axis, Rubric, load_rubric, score_number
from workbench.errors import ConfigError, InputError, WorkbenchError
from workbench.plural import counted
from workbench.scope import FILTERS, Scope
from workbench.simulate.cases import Case
from workbench.store.schema import Dataset, Dialogue, Generation, Rating, Suggestion, User
from workbench.store.threads import ThreadRequest, read_threads
from workbench.vocab import GREETING_ROUTE, TURN_TYPE_QUESTION, GenerationStatus

if TYPE_CHECKING:
    from workbench.store.engine import Store

log = logging.getLogger(__name__)
AGENT_PREFIX = "judge:"
ADVICE_QUESTIONS = ("key_point_coverage", "red_flag_handling")
GUIDELINES_MAX_CHARS = 6000  # keeps the prompt within a small model's context
NA_VALUES = ("NA", "N/A", "na", "n/a", None)
ProgressFn = Callable[[int, int, str], None]


class JudgeParseError(WorkbenchError):
    """The judge's answer is not the JSON object it was asked for."""


def judge_agent(backend: Any) -> str:
    return f"{AGENT_PREFIX}{backend.cfg.model_name}"


def _axis_text(a: Axis) -> str:
    levels = "；".join(f"{k}={v.zh}" for k, v in sorted(a.levels.items()))
    na = f"；不适用时填 \"NA\"（{a.na_label.zh}）" if a.allow_na and a.na_label else ""
    return f"- {a.key}（{a.name.zh}）：{a.description.zh} 分值 {a.scale.min}–{a.scale.max}：{levels}{na}"


def judge_messages(rubric: Rubric, guidelines: str, history: Sequence[tuple[str, str]], reply: str) -> list[dict]:
    """The judge's prompt: guidelines and axes as the system message; the dialogue and reply as the user's."""
    axes = "\n".join(_axis_text(a) for a in rubric.axes)
    example = json.dumps({a.key: a.scale.max for a in rubric.axes}, ensure_ascii=False)
    system = (
        "你是一名资深全科医生，负责按照评分标准为 AI 医生的一条回复打分。只根据这条回复之前的对话来判断。\n\n"
        f"评分指南（节选）：\n{guidelines[:GUIDELINES_MAX_CHARS]}\n\n评分维度：\n{axes}\n\n"
        f"只输出一个 JSON 对象，键为各维度，值为整数分或 \"NA\"，例如 {example}。不要输出其他内容。"
    )
    lines = [f"{'病人' if role == 'patient' else '医生'}：{text}" for role, text in history]
    user = "对话：\n" + "\n".join(lines) + f"\n\n待评分的医生回复：\n{reply}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _json_object(text: str) -> dict:
    """The last top-level JSON object in the answer: reasoning models think aloud (with braces) first."""
    text = text or ""
    decoder = json.JSONDecoder()
    found: dict | None = None
    error: json.JSONDecodeError | None = None
    pos = text.find("{")
    while pos != -1:
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            error = error or e
            pos = text.find("{", pos + 1)
            continue
        if isinstance(obj, dict):
            found = obj
        pos = text.find("{", end)  # an object's own inner braces are not candidates
    if found is not None:
        return found
    if error is not None:
        raise JudgeParseError(f"the judge's answer is not valid JSON ({error}): {text[:120]!r}")
    raise JudgeParseError(f"no JSON object in the judge's answer: {text[:120]!r}")


def parse_judgement(text: str, axes: Sequence[Axis]) -> dict[str, int | None]:
    """``{axis: score or None (N/A)}`` from the judge's answer; :class:`JudgeParseError` when unusable."""
    data = _json_object(text)
    out: dict[str, int | None] = {}
    for a in axes:
        if a.key not in data:
            raise JudgeParseError(f"the judge gave no {a.key!r} score")
        v = data[a.key]
        if isinstance(v, str) and v.strip().lstrip("-").isdigit():
            v = int(v.strip())
        if v in NA_VALUES or (isinstance(v, str) and v.strip() in NA_VALUES):
            v = None
        try:
            out[a.key] = a.validate_score(v)
        except InputError as e:
            raise JudgeParseError(str(e)) from None
    return out


def advice_messages(case: Case, history: Sequence[tuple[str, str]], advice: str) -> list[dict]:
    """Ask which key points the advice covers and which red flags it handles."""
    points = "\n".join(f"- {k.id}：{k.point}" for k in case.advice_key_points)
    flags = "\n".join(
        f"- {f.id}：{f.sign}（{'病人已有此情况：须建议立即就医' if f.present else '警示症状：须提醒出现时立即就医'}）"
        for f in case.red_flags
    ) or "（无）"
    system = (
        "你是一名资深全科医生，负责检查 AI 医生给出的建议。\n"
        f"好的建议应包含的要点：\n{points}\n\n必须处理的危险信号：\n{flags}\n\n"
        '只输出一个 JSON 对象：{"key_points": [建议中覆盖了的要点 id], "red_flags": [建议中妥善处理了的危险信号 id]}。'
    )
    lines = [f"{'病人' if role == 'patient' else '医生'}：{text}" for role, text in history]
    return [{"role": "system", "content": system},
            {"role": "user", "content": "对话：\n" + "\n".join(lines) + f"\n\n医生的建议：\n{advice}"}]


def parse_advice(text: str, case: Case) -> dict[str, float]:
    data = _json_object(text)
    out: dict[str, float] = {}
    for key, items, question in (("key_points", case.advice_key_points, "key_point_coverage"),
                                 ("red_flags", case.red_flags, "red_flag_handling")):
        got = data.get(key)
        if not isinstance(got, list):
            raise JudgeParseError(f"the judge gave no {key!r} list")
        if items:
            ids = {x.id for x in items}
            out[question] = len(ids & {str(g) for g in got}) / len(ids)
    return out


@dataclass(frozen=True)
class _Item:
    generation_id: int
    history: tuple[tuple[str, str], ...]
    reply: str
    case: Case | None = None  # set for a simulated consultation's first advice


@dataclass
class JudgeSummary:
    judge: str
    planned: int = 0
    judged: int = 0
    skipped: int = 0
    failed: int = 0
    advice_judged: int = 0
    advice_failed: int = 0  # counted apart: ``failed`` is of the replies ``planned``, as ``judged`` is
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = (f"judge {self.judge}: {counted(self.planned, 'reply', 'replies')} to judge, judged {self.judged}, already judged "
                f"{self.skipped}, failed {self.failed}; simulated advice scored {self.advice_judged}, "
                f"failed {self.advice_failed}")
        shown = self.errors[:5]
        more = len(self.errors) - len(shown)
        return text + "".join(f"\n  {e}" for e in shown) + (f"\n  … and {more} more" if more else "")


def _judge_backend(svc: Any, column: str) -> Any:
    from workbench.models.openai_compat import OpenAICompatible

    if column not in svc.backends:
        raise InputError(f"--judge: no column named {column!r}; columns are {list(svc.backends)}")
    backend = svc.backends[column]
    if not isinstance(backend, OpenAICompatible):
        raise ConfigError(f"the judge must be an openai-compatible column; {column!r} is a {backend.kind} column")
    return backend


def _items(svc: Any, agent: str, axes: Sequence[str], datasets: Sequence[str] | None,
           columns: Sequence[str] | None, limit: int | None, advice: bool) -> tuple[list[_Item], list[_Item], int]:
    """Replies still to judge, simulated advice still to score, and how many replies were already judged."""
    from workbench.simulate.run import SIMULATED_SOURCE

    with svc.store.session() as s:
        q = (select(Generation.id, Generation.dialogue_id, Generation.turn_index, Generation.column_name,
                    Generation.output, Dialogue.source, Dialogue.meta)
             .join(Dialogue, Dialogue.id == Generation.dialogue_id)
             .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
             .where(Generation.status == GenerationStatus.OK, Generation.route.is_distinct_from(GREETING_ROUTE)))
        if datasets:
            names = [d for d in datasets if d not in ("live", "-")]
            cond = Dataset.name.in_(names)
            q = q.where(cond | Dialogue.dataset_id.is_(None) if len(names) < len(datasets) else cond)
        if columns:
            q = q.where(Generation.column_name.in_(list(columns)))
        rows = s.execute(q.order_by(Generation.id)).all()
        done: dict[int, set[str]] = {}
        ids = [r[0] for r in rows]
        for i in range(0, len(ids), 500):
            for gid, question in s.execute(
                select(Suggestion.generation_id, Suggestion.question)
                .where(Suggestion.generation_id.in_(ids[i : i + 500]), Suggestion.agent == agent)
            ):
                done.setdefault(gid, set()).add(question)
        replies: list[_Item] = []
        advices: list[_Item] = []
        skipped = 0
        wanted: list[tuple[int, ThreadRequest, str, bool, dict | None]] = []
        n_replies = 0  # replies wanted so far: --limit counts these (the items are built after the loop)
        for gid, did, idx, col, output, source, meta in rows:
            have = done.get(gid, set())
            need_reply = not set(axes) <= have
            meta = meta or {}
            need_advice = (advice and source == SIMULATED_SOURCE and meta.get("advice_turn_index") == idx
                           and meta.get("case") and not set(ADVICE_QUESTIONS) <= have)
            if not need_reply:
                skipped += 1
            if not (need_reply or need_advice):
                continue
            if need_reply and limit is not None and n_replies >= limit:
                need_reply = False
                if not need_advice:
                    continue
            n_replies += need_reply
            wanted.append((gid, ThreadRequest(did, col, idx), output, need_reply, meta if need_advice else None))
        threads = read_threads(s, [w[1] for w in wanted])  # every history in two queries, not two per reply
    for gid, request, output, need_reply, advice_meta in wanted:
        history = threads[request].pairs()
        if need_reply:
            replies.append(_Item(gid, history, output))
        if advice_meta is not None:
            advices.append(_Item(gid, history, output, Case.model_validate(advice_meta["case"])))
    return replies, advices, skipped


def run_judge(
    svc: Any, judge_column: str, *, datasets: Sequence[str] | None = None, columns: Sequence[str] | None = None,
    limit: int | None = None, advice: bool = True, progress: ProgressFn | None = None,
) -> JudgeSummary:
    """Judge every stored ok reply (filters optional) that this judge has not judged yet."""
    backend = _judge_backend(svc, judge_column)
    backend.check_ready()
    cfg = svc.config
    rubric = load_rubric(cfg.resolve_path(cfg.annotation.rubric))
    try:
        guidelines = cfg.resolve_path(cfg.annotation.guidelines).read_text(encoding="utf-8")
    except OSError:
        guidelines = ""
    agent = judge_agent(backend)
    axes = [a.key for a in rubric.axes]
    replies, advices, skipped = _items(svc, agent, axes, datasets, columns, limit, advice)
    summary = JudgeSummary(agent, planned=len(replies), skipped=skipped)
    report = progress or (lambda _d, _t, _m: None)
    total = len(replies) + len(advices)
    report(0, total, "judging")
    seed = cfg.column(judge_column).seed
    chunk = backend.chunk_size(1)

    def ask(item: _Item) -> dict[str, Any]:
        if item.case is not None:
            text, _ = backend.complete(advice_messages(item.case, item.history, item.reply), seed=seed)
            return {k: v for k, v in parse_advice(text, item.case).items()}
        text, _ = backend.complete(judge_messages(rubric, guidelines, item.history, item.reply), seed=seed)
        return {k: ("NA" if v is None else v) for k, v in parse_judgement(text, rubric.axes).items()}

    done = 0
    work = [*replies, *advices]
    for i in range(0, len(work), chunk):
        part = work[i : i + chunk]
        results = backend.map_concurrent(ask, part)
        with svc.store.session() as s:
            for item, res in zip(part, results, strict=True):
                if isinstance(res, Exception):
                    if item.case is not None:
                        summary.advice_failed += 1
                    else:
                        summary.failed += 1
                    summary.errors.append(f"generation {item.generation_id}: {res}")
                    if not isinstance(res, WorkbenchError):
                        log.warning("judge failed on generation %s: %r", item.generation_id, res)
                    continue
                existing = set(s.scalars(select(Suggestion.question).where(
                    Suggestion.generation_id == item.generation_id, Suggestion.agent == agent)))
                for question, value in res.items():
                    if question in existing:
                        continue
                    score = None if value == "NA" else float(value)
                    s.add(Suggestion(generation_id=item.generation_id, question=question,
                                     value="NA" if value == "NA" else f"{float(value):g}", score=score, agent=agent))
                if item.case is not None:
                    summary.advice_judged += 1
                else:
                    summary.judged += 1
        done += len(part)
        report(done, total, "judging")
    return summary


AGREEMENT_COLUMNS = ["judge", "axis", "n", "alpha", "alpha_low", "alpha_high", "spearman", "spearman_low",
                     "spearman_high", "judge_mean", "human_mean"]


def _alpha(a: np.ndarray, b: np.ndarray) -> float:
    import krippendorff

    if len(a) < 2 or len(np.unique(np.concatenate([a, b]))) < 2:
        return math.nan
    return float(krippendorff.alpha(reliability_data=np.vstack([a, b]), level_of_measurement="interval"))


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if len(a) < 3 or np.all(a == a[0]) or np.all(b == b[0]):
        return math.nan
    return float(spearmanr(a, b).statistic)


def _boot(a: np.ndarray, b: np.ndarray, fn: Callable[[np.ndarray, np.ndarray], float], n_boot: int,
          seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(a), len(a))
        v = fn(a[idx], b[idx])
        if not math.isnan(v):
            vals.append(v)
    if len(vals) < max(10, n_boot // 10):
        return math.nan, math.nan
    return float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))


#: the scope's filters each table follows (``workbench.scope.FILTERS``): the judge is no annotator, so its scores
#: alone are not narrowed by one; its agreement is, through the human side
AGREEMENT_FILTERS = FILTERS
SCORE_FILTERS = tuple(f for f in FILTERS if f != "annotators")


def _in_context(query: Any, generation_id: Any, auto: Any) -> Any:
    """``query`` joined to its reply's column, dialogue, dataset and newest ``turn_type`` suggestion (``auto``, as
    in ``workbench.analysis.from_store``, so the turn-type filter reads the same classifier answer there and here)."""
    newest = (select(Suggestion.generation_id.label("generation_id"), func.max(Suggestion.id).label("sid"))
              .where(Suggestion.question == TURN_TYPE_QUESTION).group_by(Suggestion.generation_id).subquery())
    return (query.join(Generation, Generation.id == generation_id)
            .join(Dialogue, Dialogue.id == Generation.dialogue_id)
            .outerjoin(Dataset, Dataset.id == Dialogue.dataset_id)
            .outerjoin(newest, newest.c.generation_id == Generation.id)
            .outerjoin(auto, auto.id == newest.c.sid))


def _judged(store: Store) -> pd.DataFrame:
    """Every judge score on the rubric's axes, with its reply's dataset, column, date and classifier turn type."""
    auto = aliased(Suggestion, name="auto")
    with store.read() as s:
        rows = s.execute(
            _in_context(select(Suggestion.generation_id, Suggestion.agent, Suggestion.question, Suggestion.score,
                               Dataset.name, Generation.column_name, Generation.created_at, auto.value),
                        Suggestion.generation_id, auto)
            .where(Suggestion.agent.like(f"{AGENT_PREFIX}%"), Suggestion.score.is_not(None),
                   Suggestion.question.not_in(ADVICE_QUESTIONS),
                   # greetings are counted apart from every metric; the judge skips them, older or imported rows may not
                   Generation.route.is_distinct_from(GREETING_ROUTE))
        ).all()
    return pd.DataFrame(rows, columns=["generation_id", "judge", "axis", "judge_score", "dataset", "column",
                                       "created_at", "turn_type_auto"])


def _human(store: Store) -> pd.DataFrame:
    """Every counted rating, with what the scope narrows ratings by (``created_at`` is its last submission, as in
    the dashboard's ratings)."""
    auto = aliased(Suggestion, name="auto")
    with store.read() as s:
        rows = s.execute(
            _in_context(select(Rating.generation_id, User.username, Dataset.name, Generation.column_name,
                               Rating.turn_type, Rating.updated_at, auto.value, Rating.scores)
                        .join(User, User.id == Rating.user_id), Rating.generation_id, auto)
            .where(counted_rating())
        ).all()
    return pd.DataFrame(rows, columns=["generation_id", "annotator", "dataset", "column", "turn_type", "created_at",
                                       "turn_type_auto", "scores"])


def judge_pairs(svc_or_store: object, scope: Scope | None = None) -> pd.DataFrame:
    """One row per (judge, axis, reply) that both the judge and at least one human scored, within ``scope``.

    The humans' ratings are narrowed as the dashboard narrows ratings (annotator, dataset, date of the rating,
    column, the human's turn type or else the classifier's), the judge's scores as it narrows replies (dataset,
    date of the reply, column, the classifier's turn type): a pair needs both sides in scope
    (``workbench.analysis.filters``).
    """
    store = cast("Store", getattr(svc_or_store, "store", svc_or_store))
    return _pairs(_judged_in(store, scope), _human(store), scope)


def _judged_in(store: Store, scope: Scope | None) -> pd.DataFrame:
    judged = _judged(store)
    return judged if scope is None else narrow_generations(judged, scope)


def _pairs(judged: pd.DataFrame, human: pd.DataFrame, scope: Scope | None) -> pd.DataFrame:
    """:func:`judge_pairs` over frames already read (``judged`` already narrowed to ``scope``)."""
    if scope is not None:
        auto = human.drop_duplicates("generation_id").set_index("generation_id")["turn_type_auto"]
        human = narrow_ratings(human, scope, auto)
    rows = []
    for gid, answers in zip(human["generation_id"], human["scores"], strict=True):
        for axis, value in (answers or {}).items():  # every axis the humans answered
            number = score_number(value)
            if number is not None:
                rows.append((gid, axis, number))
    h = pd.DataFrame(rows, columns=["generation_id", "axis", "human"])
    h = h.groupby(["generation_id", "axis"], as_index=False).agg(human=("human", "mean"), n_humans=("human", "size"))
    j = judged[["generation_id", "judge", "axis", "judge_score"]]
    return j.merge(h, on=["generation_id", "axis"], how="inner")


def judge_agreement(svc_or_store: object, n_boot: int = N_BOOT, seed: int = 0,
                    scope: Scope | None = None) -> pd.DataFrame:
    """Per judge and axis: alpha and Spearman (judge vs the humans' mean) with bootstrap CIs, and n, over the
    pairs of :func:`judge_pairs` within ``scope``."""
    return _agreement(judge_pairs(svc_or_store, scope), n_boot, seed)


def _agreement(pairs: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    out = []
    for (judge, axis), g in pairs.groupby(["judge", "axis"], sort=True):
        a = g["judge_score"].to_numpy(dtype=float)
        b = g["human"].to_numpy(dtype=float)
        boots = max(0, min(n_boot, 1000))  # alpha per resample is the slow part; 1000 is enough for a 95% CI
        alo, ahi = _boot(a, b, _alpha, boots, seed) if boots else (math.nan, math.nan)
        slo, shi = _boot(a, b, _spearman, boots, seed) if boots else (math.nan, math.nan)
        out.append({"judge": judge, "axis": axis, "n": len(g), "alpha": _alpha(a, b), "alpha_low": alo,
                    "alpha_high": ahi, "spearman": _spearman(a, b), "spearman_low": slo, "spearman_high": shi,
                    "judge_mean": float(a.mean()), "human_mean": float(b.mean())})
    return pd.DataFrame(out, columns=AGREEMENT_COLUMNS)


def judge_scores(svc_or_store: object, n_boot: int = N_BOOT, seed: int = 0,
                 scope: Scope | None = None) -> pd.DataFrame:
    """The judge's mean score per column and axis, with a bootstrap CI and n, over the judged replies within
    ``scope`` (its :data:`SCORE_FILTERS`: an annotator filter does not apply to the judge)."""
    store = cast("Store", getattr(svc_or_store, "store", svc_or_store))
    return _scores(_judged_in(store, scope), n_boot, seed)


def _scores(judged: pd.DataFrame, n_boot: int, seed: int) -> pd.DataFrame:
    from workbench.analysis.scores import bootstrap_ci

    out = []
    for (judge, col, axis), g in judged.groupby(["judge", "column", "axis"], sort=True):
        mean, lo, hi = bootstrap_ci(g["judge_score"].to_numpy(dtype=float), n_boot=n_boot, seed=seed)
        out.append({"judge": judge, "column": col, "axis": axis, "mean": mean, "ci_low": lo, "ci_high": hi,
                    "n": len(g)})
    return pd.DataFrame(out, columns=["judge", "column", "axis", "mean", "ci_low", "ci_high", "n"])


def judge_tables(svc_or_store: object, n_boot: int = N_BOOT, seed: int = 0,
                 scope: Scope | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`judge_agreement` and :func:`judge_scores` together, reading the judge's scores once (the Compare
    section and ``stats`` show both on one request)."""
    store = cast("Store", getattr(svc_or_store, "store", svc_or_store))
    judged = _judged_in(store, scope)
    return _agreement(_pairs(judged, _human(store), scope), n_boot, seed), _scores(judged, n_boot, seed)


def judge_markdown(agreement: pd.DataFrame, note: str | None = None) -> str:
    """The agreement table under its heading; ``note``: a line saying which filters it follows."""
    from workbench.analysis.report import markdown_table

    return ("## Machine judge vs humans\n\n" + (f"{note}\n\n" if note else "")
            + "Krippendorff's alpha (interval) and Spearman's rho between the judge's score and the mean human "
            "score, 95% bootstrap CIs over replies\n\n" + markdown_table(agreement) + "\n")
