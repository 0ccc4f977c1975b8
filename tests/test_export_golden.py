"""Golden export: fixed inputs, every format, several options, de-identification on; the SHA-256 of every
file written must equal the digests recorded from the export code before its speed work (issue 18).

Two fixed inputs: candidates built in memory (dataset turns whose columns share one history, live turns
where each column has its own thread, identical replies, prompts shared between dialogues, personal data
in histories, replies, comments and corrections, formula-like cells) exported under six option sets; and
a SQLite store built row by row with fixed times, exported through ``export_from_store``.

The only line normalised before hashing is a card's ``- Created:`` time (the moment of the export).
De-identification runs with the rules alone (``thorough=False``): the default adds the learned tagger, which is
fitted on the labelled sets, so its spans and the card's training-data hash would move with every set added
(tests/test_export_thorough.py covers that mode).
Parquet files are compared byte for byte when the installed pyarrow is the one that wrote the digests
(its version is in the footer); with another pyarrow, by schema and contents.

To record the digests again (only after a deliberate change of the output):
``EXPORT_GOLDEN_UPDATE=1 .venv/bin/python -m pytest -q tests/test_export_golden.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench.annotate.rubric import NA
from workbench.dialogue import Turn
from workbench.export import (
    WRITERS,
    ExportCandidate,
    ExportFilters,
    PreferenceOutcome,
    RatingInfo,
    export_all,
)
from workbench.export.from_store import export_from_store
from workbench.scope import Scope
from workbench.store.engine import Store
from workbench.store.schema import Dataset, Dialogue, Generation, Preference, Rating, Suggestion, User
from workbench.store.schema import Turn as TurnRow

GOLDEN = Path(__file__).parent / "data" / "export_golden.json"
FORMATS = list(WRITERS)
P, D = "patient", "doctor"
T0 = datetime(2025, 2, 1, 8, 0)
ANNOTATORS = ("ann1", "ann2", "ann3", "ann4")
SYMPTOMS = ("头痛", "咳嗽", "发烧", "腹泻", "失眠", "胸闷", "腰痛", "皮疹")
# Personal data the de-identification must find; {n} varies it per dialogue.
OPENERS = (
    "我叫王小明，电话13812345678。",
    "本人刘洋，女，34岁，邮箱liuyang{n}@163.com。",
    "我家住在北京市海淀区中关村大街{n}号。",
    "身份证号11010519491231002X，",
    "",
    "我女儿张欣怡今年6岁，",
)
FOLLOW_UPS = ("王小明您好，还有哪里不舒服？", "张欣怡小朋友平时胃口怎么样？", "请问持续多久了？", "有没有发热？")
REPLIES = (
    "您好，{s}持续多久了？\n有没有发热？",
    "建议多休息，多喝水，必要时就医。",
    "=HYPERLINK(\"http://x\")请问有没有其他症状？",
    "-先测一下体温\t再说。",
    "考虑是{s}，可以先观察C:\\new\\test，如果加重请就医。",
    "王小明，您这种情况建议去医院检查一下。",
)
COMMENTS = ("回复不错", "提到了患者姓名王小明", "@别的标注员 看一下", "电话13912345678不应出现", None, None, None)
# The second equals a reply (without suffix): a correction that can contradict its ratings in KTO.
CORRECTIONS = ("请问您还有其他症状吗？\n比如发热。", "建议多休息，多喝水，必要时就医。", "+先问清楚病史再建议。",
               "建议先测量体温，持续高烧请及时就医。")


def _rating(rng: random.Random, who: str, at: datetime) -> RatingInfo:
    q = rng.choice([None, 1.0, 2.0, 3.0, 4.0, 5.0, 5.0])
    s = rng.choice([None, 1.0, 2.0, 3.0, 4.0, 5.0])
    return RatingInfo(who, q, s, rng.choice([None, "question", "suggestion", "mixed"]), rng.random() < 0.08,
                      rng.choice(COMMENTS), rng.choice(CORRECTIONS) if rng.random() < 0.12 else None, at)


def golden_candidates(n_dialogues: int = 36, seed: int = 18) -> tuple[list[ExportCandidate], list[PreferenceOutcome]]:
    """About 400 candidates and explicit preference outcomes (a deterministic function of ``seed``)."""
    rng = random.Random(seed)
    cands: list[ExportCandidate] = []
    prefs: list[PreferenceOutcome] = []
    columns = ("bianque1", "bianque2", "hybrid", "ref")
    for d in range(n_dialogues):
        live = d % 3 == 1
        dataset = None if live else ("set-a" if d % 2 else "set-b")
        # Every seventh dialogue repeats the texts of the previous one: prompts shared across dialogues.
        text_seed = d - 1 if d % 7 == 6 else d
        sym = SYMPTOMS[text_seed % len(SYMPTOMS)]
        trng = random.Random(text_seed)
        shared: list[Turn] = []
        threads = {c: [] for c in columns}
        for k in range(4):
            opener = trng.choice(OPENERS).format(n=text_seed) if k == 0 else ""
            patient = Turn(P, f"{opener}医生您好，我{sym}{trng.randint(1, 14)}天了，第{k + 1}次问诊。\n还有点乏力。")
            shared.append(patient)
            for c in columns:
                threads[c].append(patient)
            turn_index = 2 * k + 1
            texts: dict[str, str] = {}
            for j, c in enumerate(columns):
                if c == "hybrid" and k % 2 == 0:
                    texts[c] = texts["bianque1"]  # the hybrid's v1 turn: byte-identical to BianQue-1.0
                else:
                    texts[c] = trng.choice(REPLIES).format(s=sym) + f"（{text_seed}-{k}-{j}）" * (trng.random() < 0.7)
            history_shared = tuple(shared)
            turn_cands = []
            for j, c in enumerate(columns):
                if rng.random() < 0.15:
                    continue  # not every reply is rated
                history = tuple(threads[c]) if live else history_shared
                at = None if rng.random() < 0.05 else T0 + timedelta(days=d % 20, minutes=10 * k + j)
                who = rng.sample(ANNOTATORS, rng.randint(1, 3))
                ratings = [_rating(rng, a, T0 + timedelta(days=d % 20, hours=1 + i)) for i, a in enumerate(who)]
                gid = 1000 + 20 * d + 4 * k + j
                turn_cands.append(ExportCandidate(
                    generation_id=gid, dialogue_id=d, dataset=dataset, turn_index=turn_index, history=history,
                    column=c, model=f"model/{c}", output=texts[c], turn_type_auto=rng.choice(["question", "suggestion"]),
                    ratings=ratings, agreement=None if rng.random() < 0.2 else round(rng.random(), 3),
                    created_at=at))
            if turn_cands:
                voters = rng.sample(ANNOTATORS, rng.randint(0, 3))
                ids = [c.generation_id for c in turn_cands]
                pro: dict[int, list[str]] = {g: [] for g in ids}
                con: dict[int, list[str]] = {g: [] for g in ids}
                for a in voters:
                    order = ids[:]
                    rng.shuffle(order)
                    prefs.append(PreferenceOutcome(a, d, turn_index, [[g] for g in order], T0))
                    pro[order[0]].append(a)
                    for g in order[1:]:
                        con[g].append(a)
                cands.extend(ExportCandidate(**{**c.__dict__, "preferred_by": pro[c.generation_id],
                                                "dispreferred_by": con[c.generation_id]}) for c in turn_cands)
            doctor = trng.choice(FOLLOW_UPS)
            shared.append(Turn(D, doctor))
            for c in columns:
                threads[c].append(Turn(D, texts[c]))
    return cands, prefs


OPTIONS: dict[str, dict] = {
    "default": {},
    "dawid_skene_system_prompt": {"filters": ExportFilters(aggregate="dawid-skene"),
                                  "system_prompt": "你是医生王大夫的助手，联系电话13700001111。"},
    "mace_filtered": {"filters": ExportFilters(
        scope=Scope(annotators=("ann1", "ann2", "ann3"), turn_types=("question", "mixed"), datasets=("set-a", "set-b"),
                    date_from=date(2025, 2, 3), date_to=datetime(2025, 2, 15, 12, 0)),
        aggregate="mace", min_agreement=0.2, kto_threshold=3.5, exclude_safety_flagged=False, min_questioning=2.0)},
    "explicit_preferences_no_corrections": {"filters": ExportFilters(use_corrections=False, score_threshold=None,
                                                                     dpo_low_threshold=3.0),
                                            "explicit_preferences": True},
    "score_only": {"filters": ExportFilters(use_preferences=False, score_threshold=3.0, min_suggestion=2.0)},
    "deid_off": {"deidentify": False},
}


def _digest(path: Path, root: Path) -> str:
    data = path.read_bytes()
    if path.name == "README.md":
        data = re.sub(rb"(?m)^- Created: .*$", b"- Created: <time>", data)
    return hashlib.sha256(data).hexdigest()


def _parquet_contents(path: Path) -> str:
    table = pq.read_table(path)
    body = json.dumps(table.to_pylist(), ensure_ascii=False, default=str, sort_keys=True)
    return hashlib.sha256((table.schema.to_string() + "\n" + body).encode("utf-8")).hexdigest()


def digests(root: Path) -> dict[str, dict[str, str]]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {
        "files": {p.relative_to(root).as_posix(): _digest(p, root) for p in files},
        "parquet_contents": {p.relative_to(root).as_posix(): _parquet_contents(p) for p in files
                             if p.suffix == ".parquet"},
    }


def build_store(store: Store, n_dialogues: int = 30, seed: int = 81) -> None:
    """A store with dataset and live dialogues, submitted ratings, drafts, preferences of every outcome and
    classifier suggestions, every time fixed."""
    rng = random.Random(seed)
    with store.session() as s:
        users = [User(username=a, password_hash="not-a-real-hash", role="annotator", active=True,
                      created_at=T0 - timedelta(days=30 - i)) for i, a in enumerate(ANNOTATORS)]
        s.add_all(users)
        ds = [Dataset(name=n, format="bianque_csv", source=f"/data/{n}.csv", created_at=T0, meta=m)
              for n, m in (("set-a", {"license": "CC-BY-4.0"}), ("set-b", {}))]
        s.add_all(ds)
        s.flush()
        columns = ("BianQue-1.0", "BianQue-2.0", "Hybrid v1→v2")
        for d in range(n_dialogues):
            live = d % 4 == 3
            sym = SYMPTOMS[d % len(SYMPTOMS)]
            when = T0 + timedelta(days=d % 12, minutes=d)
            dia = Dialogue(source="live" if live else "dataset", title=f"对话{d}：{sym}",
                           dataset_id=None if live else ds[d % 2].id, external_id=None if live else f"ex-{d}",
                           created_at=when)
            s.add(dia)
            s.flush()
            opener = OPENERS[d % len(OPENERS)].format(n=d)
            for k in range(3):
                s.add(TurnRow(dialogue_id=dia.id, idx=2 * k, role=P, created_at=when,
                              text=f"{opener if k == 0 else ''}我{sym}{rng.randint(1, 9)}天了，第{k + 1}次。",
                              is_reference=not live))
                if not live:
                    s.add(TurnRow(dialogue_id=dia.id, idx=2 * k + 1, role=D, text=rng.choice(FOLLOW_UPS),
                                  is_reference=True, created_at=when))
                gens = []
                for j, c in enumerate(columns):
                    text = rng.choice(REPLIES).format(s=sym) + f"（{d}-{k}）"
                    if j == 2 and k == 0:
                        text = gens[0].output  # the hybrid's v1 turn equals BianQue-1.0's
                    g = Generation(dialogue_id=dia.id, turn_index=2 * k + 1, column_name=c, backend="test",
                                   model_name=f"test/{c}", model_revision="r1", output=text, status="ok",
                                   route="v1" if j != 1 else "v2", seed=d * 10 + k, latency_ms=100.0 + j,
                                   created_at=when + timedelta(minutes=k, seconds=j))
                    s.add(g)
                    gens.append(g)
                s.add(Generation(dialogue_id=dia.id, turn_index=2 * k + 1, column_name=columns[0], backend="test",
                                 output="", status="error", error="boom", created_at=when))
                s.flush()
                for g in gens:
                    if rng.random() < 0.6:
                        s.add(Suggestion(generation_id=g.id, question="turn_type", agent="classifier",
                                         value=rng.choice(["question", "suggestion"]), created_at=when))
                    for u in rng.sample(users, rng.randint(0, 3)):
                        r = _rating(rng, u.username, when)
                        s.add(Rating(generation_id=g.id, user_id=u.id,
                                     status="submitted" if rng.random() < 0.9 else "draft",
                                     turn_type=r.turn_type, scores={"questioning": NA if r.questioning is None else int(r.questioning),
                                             "suggestion": NA if r.suggestion is None else int(r.suggestion)}, safety_flag=r.safety_flag, comment=r.comment,
                                     corrected_reply=r.corrected_reply, rubric_version="v1", blind=True,
                                     display_slot=rng.randrange(3), created_at=when, updated_at=when + timedelta(hours=1)))
                shown = [g.id for g in gens]
                for u in rng.sample(users, rng.randint(0, 3)):
                    outcome = rng.choice(["best", "ranking", "tie", "all_bad"])
                    order = shown[:]
                    rng.shuffle(order)
                    s.add(Preference(dialogue_id=dia.id, turn_index=2 * k + 1, user_id=u.id, status="submitted",
                                     shown=shown, outcome=outcome,
                                     winner_generation_id=order[0] if outcome == "best" else None,
                                     ranking=order if outcome == "ranking" else None, rubric_version="v1",
                                     created_at=when, updated_at=when + timedelta(hours=2)))


def run_golden(root: Path) -> dict[str, dict[str, str]]:
    cands, prefs = golden_candidates()
    for name, opts in OPTIONS.items():
        opts = dict(opts)
        if opts.pop("explicit_preferences", False):
            opts["preferences"] = prefs
        export_all(cands, FORMATS, root / "candidates" / name, thorough=False, **opts)
    store = Store(f"sqlite:///{root / 'golden.db'}")
    try:
        build_store(store)
        export_from_store(store, FORMATS, root / "store" / "default", thorough=False)
        export_from_store(store, FORMATS, root / "store" / "dawid_skene", ExportFilters(aggregate="dawid-skene"),
                          system_prompt="请扮演医生。", thorough=False)
    finally:
        store.dispose()
    (root / "golden.db").unlink()
    return digests(root)


def test_every_export_file_is_byte_identical_to_the_recorded_one(tmp_path):
    got = run_golden(tmp_path)
    if os.environ.get("EXPORT_GOLDEN_UPDATE") == "1":
        GOLDEN.write_text(json.dumps({"pyarrow": pa.__version__, **got}, indent=1, sort_keys=True) + "\n",
                          encoding="utf-8")
        pytest.skip("golden digests recorded")
    assert_golden(got)


def assert_golden(got: dict[str, dict[str, str]]) -> None:
    """``got`` (:func:`digests` of a :func:`run_golden` folder) is the recorded export, file for file
    (Parquet files by their contents when another pyarrow wrote the record)."""
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(got["files"]) == sorted(want["files"]), "a different set of files was written"
    same_writer = want["pyarrow"] == pa.__version__
    differ = [p for p, h in got["files"].items()
              if (h != want["files"][p] if same_writer or not p.endswith(".parquet")
                  else got["parquet_contents"][p] != want["parquet_contents"][p])]
    assert not differ, f"{len(differ)} file(s) differ from the golden export: {differ}"


def test_the_golden_inputs_exercise_what_the_export_must_keep(tmp_path):
    """The fixed inputs are only a guard if they reach every path: redactions, pooled replies, shared
    prompts (one of them answered alike twice), corrections and preference pairs in every option set."""
    cands, _ = golden_candidates()
    assert 300 <= len(cands) <= 600
    reports = export_all(cands, FORMATS, tmp_path)
    assert reports["sft"].deid.total > 50
    assert {"name", "phone", "email", "address", "id_number"} <= set(reports["sft"].deid.by_kind)
    dpo = [json.loads(line) for line in (tmp_path / "dpo" / "train.jsonl").read_text("utf-8").splitlines()]
    assert {r["metadata"]["pair_source"] for r in dpo} == {"preference", "correction"}
    assert any(len(r["metadata"]["chosen"]["generation_ids"]) > 1 or len(r["metadata"]["rejected"]["generation_ids"]) > 1
               for r in dpo), "no pooled identical replies"
    kto = [json.loads(line) for line in (tmp_path / "kto" / "train.jsonl").read_text("utf-8").splitlines()]
    assert {r["label"] for r in kto} == {True, False}
    assert any("left out" in n for n in reports["kto"].notes)
    sft = [json.loads(line) for line in (tmp_path / "sft" / "train.jsonl").read_text("utf-8").splitlines()]
    assert {r["metadata"]["target_source"] for r in sft} == {"corrected", "preferred", "score"}
    assert len({(json.dumps(r["messages"], ensure_ascii=False)) for r in sft}) == len(sft)
    assert any("left out as duplicates" in n for n in reports["sft"].notes), "no repeated history and target"
    dialogues_per_history: dict[tuple, set] = {}
    for c in cands:
        dialogues_per_history.setdefault(tuple(c.history), set()).add(c.dialogue_id)
    assert any(len(v) > 1 for v in dialogues_per_history.values()), "no prompt shared between dialogues"
    csv_text = (tmp_path / "bianque_csv" / "train.csv").read_text("utf-8")
    assert "'=HYPERLINK" in csv_text or "'-先测" in csv_text


def test_every_format_of_one_store_export_reports_the_same_deidentification(tmp_path):
    """The store's tables are de-identified with the rest, before any writer: each format's report is the
    whole export's (the table writers used to add the tables to it as they ran, each once more)."""
    store = Store(f"sqlite:///{tmp_path / 'golden.db'}")
    try:
        build_store(store)
        reports = export_from_store(store, FORMATS, tmp_path / "out")
    finally:
        store.dispose()
    texts = {f: (tmp_path / "out" / f / "deid_report.json").read_text("utf-8") for f in FORMATS}
    assert len(set(texts.values())) == 1, {f: hashlib.sha256(t.encode()).hexdigest()[:8] for f, t in texts.items()}
    report = json.loads(texts["sft"])
    table_fields = {k for k in report["by_field"] if k.split(".")[0] in ("dialogues", "generations", "ratings")}
    assert table_fields, "the tables' texts are in the report"
    assert all(r.deid.to_dict() == reports["sft"].deid.to_dict() for r in reports.values())
