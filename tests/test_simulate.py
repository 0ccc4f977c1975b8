"""Rule-based simulation of every shipped case through the three demo columns, stored like any dialogue."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import yaml
from conftest import config_with_db
from sqlalchemy import func, select

from workbench.analysis.simulated import consultations_frame, summarize
from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.annotate.ratings import PreferenceForm, RatingForm, submit_item
from workbench.annotate.rubric import NA, load_rubric
from workbench.auth import upsert_user
from workbench.cli import main
from workbench.errors import InputError
from workbench.export.from_store import export_from_store
from workbench.export.selection import ExportFilters
from workbench.scope import Scope
from workbench.simulate.cases import load_cases
from workbench.simulate.patient import UNKNOWN_ANSWER, RulePatient
from workbench.simulate.run import run_simulation
from workbench.store.schema import Dataset, Dialogue, Generation, QueueItem, Turn

REPO = Path(__file__).resolve().parents[1]
CASES = load_cases(REPO / "annotations" / "cases")
COLUMNS = ["BianQue-1.0", "BianQue-2.0", "Hybrid v1→v2"]
MAX_TURNS = 4  # greeting + up to three questions: enough for v1 to ask and v2 to advise, and quick on 2 cores


@pytest.fixture(scope="module")
def simulated(demo_config, tmp_path_factory):
    from workbench.services import build_services

    db = tmp_path_factory.mktemp("sim") / "wb.db"
    svc = build_services(config_with_db(demo_config, f"sqlite:///{db}"))
    calls: list[tuple[int, int, str]] = []
    summary = run_simulation(svc, CASES, COLUMNS, "rule", max_turns=MAX_TURNS, batch_size=len(CASES),
                             progress=lambda d, t, m: calls.append((d, t, m)))
    yield svc, summary, calls
    svc.close()


def test_every_case_runs_through_every_column(simulated):
    svc, summary, calls = simulated
    n = len(CASES) * len(COLUMNS)
    assert summary.planned == n and summary.errors == 0 and not summary.column_errors
    assert summary.advised + summary.max_turns == n and summary.leaks == 0
    assert calls[0] == (0, n, "starting") and calls[-1][0] == n  # progress reaches the end
    with svc.store.session() as s:
        ds = s.scalar(select(Dataset).where(Dataset.name == "simulated"))
        assert ds.format == "simulated"
        dialogues = list(s.scalars(select(Dialogue).where(Dialogue.dataset_id == ds.id)))
        assert len(dialogues) == n
        assert {(d.meta["case_id"], d.meta["column"]) for d in dialogues} == {(c.id, col) for c in CASES
                                                                           for col in COLUMNS}
        by_case = {c.id: c for c in CASES}
        for d in dialogues:
            case = by_case[d.meta["case_id"]]
            assert d.source == "simulated" and d.external_id == f"{case.id}/{d.meta['column']}"
            assert d.meta["status"] in ("advised", "max_turns")
            gens = list(s.scalars(select(Generation).where(Generation.dialogue_id == d.id)
                                  .order_by(Generation.turn_index)))
            assert [g.turn_index for g in gens] == list(range(1, 2 * len(gens), 2))
            assert all(g.status == "ok" and g.column_name == d.meta["column"] for g in gens)
            assert len(gens) <= MAX_TURNS
            patients = list(s.scalars(select(Turn.text).where(Turn.dialogue_id == d.id).order_by(Turn.idx)))
            assert patients[0] == case.opening
            # The rule patient says nothing beyond the opening, "不清楚" and facts it was asked about.
            records = {r["turn_index"]: r for r in d.meta["patient_turns"]}
            for i, text in enumerate(patients[1:], start=1):
                asked = records[2 * i]["asked"]
                assert text in (case.opening, UNKNOWN_ANSWER, "".join(case.fact(f).patient for f in asked))


def test_demo_v1_elicits_more_facts_than_demo_v2(simulated):
    svc, _summary, _calls = simulated
    frame = consultations_frame(svc.store, ["simulated"])
    assert len(frame) == len(CASES) * len(COLUMNS)
    recall = frame.groupby("column")["elicitation_recall"].mean()
    questions = frame.groupby("column")["questions_before_advice"].mean()
    assert recall["BianQue-1.0"] > recall["BianQue-2.0"]
    assert questions["BianQue-1.0"] > questions["BianQue-2.0"]
    table = summarize(frame, n_boot=200)
    row = table[(table["column"] == "BianQue-1.0") & (table["measure"] == "elicitation_recall")].iloc[0]
    assert row["ci_low"] <= row["mean"] <= row["ci_high"] and row["n"] == len(CASES)


def test_consultations_are_ratable_and_exportable(simulated, tmp_path):
    svc, _summary, _calls = simulated
    with svc.store.session() as s:
        sync_queue(s)
        ids = select(Dialogue.id).join(Dataset, Dataset.id == Dialogue.dataset_id).where(Dataset.name == "simulated")
        items = s.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.dialogue_id.in_(ids)))
        model_replies = s.scalar(select(func.count()).select_from(Generation).where(
            Generation.dialogue_id.in_(ids), func.coalesce(Generation.route, "") != "greeting"))
    assert items == model_replies > 0  # every model reply is a rating item; fixed greetings are not
    # An annotator rates one consultation's reply like any other; the rated reply then exports for training.
    user = upsert_user(svc.store, "ann", "secret-pass-ann", "annotator")
    rubric = load_rubric(REPO / "annotations" / "rubric.yaml")
    with svc.store.session() as s:
        claim = take_next(s, user, 1)
        item = open_item(s, user, claim.item_id)
        gid = item.replies[0].generation_id
        submit_item(s, user, item.item_id, {gid: RatingForm(turn_type="question", scores={"questioning": 5, "suggestion": NA})},
                    PreferenceForm("best", gid), rubric=rubric)
        dialogue = s.get(Dialogue, item.dialogue_id)
        opening = dialogue.meta["case"]["opening"]
    reports = export_from_store(svc.store, ["sft"], tmp_path, ExportFilters(scope=Scope(datasets=("simulated",))),
                                deidentify=False)
    assert reports["sft"].rows == 1
    row = json.loads((tmp_path / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert row["messages"][0] == {"role": "user", "content": opening}


def test_a_second_run_resumes_without_duplicates(simulated):
    svc, _summary, _calls = simulated
    with svc.store.session() as s:
        before = s.scalar(select(func.count()).select_from(Generation))
    again = run_simulation(svc, CASES, COLUMNS, "rule", max_turns=MAX_TURNS)
    assert again.skipped == again.planned and again.advised == again.max_turns == 0
    with svc.store.session() as s:
        assert s.scalar(select(func.count()).select_from(Generation)) == before


    class OtherPatient(RulePatient):
        name = "openai:Other"

    with pytest.raises(InputError, match="was simulated with patient rule; to use openai:Other, choose another"):
        run_simulation(svc, CASES, COLUMNS, OtherPatient())


def test_a_failed_consultation_is_named_and_measures_nothing(demo_config, tmp_path):
    """A column whose server is down measured nothing: its consultations were counted as real ones with
    recall 0 and never advised, and the run said "errors 2" without which or why."""
    from workbench.config import load_config
    from workbench.services import build_services

    raw = yaml.safe_load((REPO / "configs" / "demo.yaml").read_text(encoding="utf-8"))
    raw["database_url"] = f"sqlite:///{tmp_path / 'dead.db'}"
    raw["cache_dir"] = str(demo_config.resolve_path(demo_config.cache_dir))
    raw["columns"] = [c for c in raw["columns"] if c["name"] == "BianQue-2.0"] + [
        {"name": "Dead", "backend": "openai-compatible", "base_url": "http://127.0.0.1:9/v1", "model_name": "none",
         "max_retries": 0}]
    path = tmp_path / "dead.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    svc = build_services(load_config(path))
    try:
        summary = run_simulation(svc, CASES[:2], ["BianQue-2.0", "Dead"], max_turns=3)
        frame = consultations_frame(svc.store)
    finally:
        svc.close()
    assert summary.errors == 2
    assert [f.split(":")[0] for f in summary.failures] == [f"case {c.id} on Dead" for c in CASES[:2]]
    assert "127.0.0.1:9" in summary.describe()
    dead = frame[frame["column"] == "Dead"]
    assert set(dead["status"]) == {"error"} and dead["elicitation_recall"].isna().all() and dead["advised"].isna().all()
    table = summarize(frame, n_boot=100).set_index(["column", "measure"])
    assert table.loc[("Dead", "finished"), "mean"] == 0.0 and table.loc[("Dead", "finished"), "n"] == 2
    assert table.loc[("BianQue-2.0", "finished"), "mean"] == 1.0
    assert table.loc[("Dead", "elicitation_recall"), "n"] == 0  # nothing measured, not a recall of 0
    assert table.loc[("BianQue-2.0", "elicitation_recall"), "n"] == 2


def test_a_case_edited_since_its_simulation_is_refused_in_the_same_dataset(services):
    """Editing a case and running again mixed two patients in one dataset: the columns already run kept the
    old case, a column added later got the new one, and the two were compared as if alike."""
    case = CASES[0]
    run_simulation(services, [case], ["BianQue-2.0"], max_turns=2, dataset="edits")
    edited = case.model_copy(update={"opening": case.opening + "还发烧39度。"})
    with pytest.raises(InputError, match=f"case\\(s\\) {case.id} changed since dataset 'edits' simulated them"):
        run_simulation(services, [edited], ["BianQue-1.0"], max_turns=2, dataset="edits")
    again = run_simulation(services, [case], ["BianQue-2.0"], max_turns=2, dataset="edits")
    assert again.skipped == 1  # the unchanged case still resumes
    other = run_simulation(services, [edited], ["BianQue-1.0"], max_turns=2, dataset="edits-2")
    assert other.skipped == 0 and other.errors == 0


def test_stopped_run_resumes_to_the_same_consultations(services):
    cases = CASES[:3]

    def threads(dataset: str) -> dict[str, list[str]]:
        with services.store.session() as s:
            out = {}
            for d in s.scalars(select(Dialogue).join(Dataset).where(Dataset.name == dataset)):
                gens = s.scalars(select(Generation.output).where(Generation.dialogue_id == d.id)
                                 .order_by(Generation.turn_index))
                turns = s.scalars(select(Turn.text).where(Turn.dialogue_id == d.id).order_by(Turn.idx))
                out[d.meta["case_id"]] = [*turns, *gens]
            return out

    stop = threading.Event()

    def stop_after_first_round(done: int, total: int, msg: str) -> None:
        if msg != "starting":
            stop.set()

    first = run_simulation(services, cases, ["BianQue-1.0"], max_turns=3, dataset="part", progress=stop_after_first_round,
                           stop=stop)
    assert first.stopped
    rest = run_simulation(services, cases, ["BianQue-1.0"], max_turns=3, dataset="part")
    assert rest.max_turns + rest.advised == len(cases)
    run_simulation(services, cases, ["BianQue-1.0"], max_turns=3, dataset="whole")
    assert threads("part") == threads("whole")


def test_simulate_and_stats_commands(demo_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    cases = tmp_path / "cases"
    cases.mkdir()
    for c in CASES[:2]:
        (cases / f"{c.id}.yaml").write_text((REPO / "annotations" / "cases" / f"{c.id}.yaml").read_text("utf-8"),
                                            encoding="utf-8")
    cfg = str(REPO / "configs" / "demo.yaml")
    assert main(["simulate", "--config", cfg, "--cases", str(cases), "--columns", "BianQue-2.0",
                 "--max-turns", "3"]) == 0
    assert "2 cases x 1 column = 2 consultations" in capsys.readouterr().out
    out = tmp_path / "stats"
    assert main(["stats", "--config", cfg, "--out", str(out), "--no-metrics", "--n-boot", "100"]) == 0
    printed = capsys.readouterr().out
    assert "Simulated patients" in printed and "elicitation_recall" in printed
    assert (out / "simulated.md").exists() and (out / "simulated_measures.csv").exists()
    assert "not apply" not in (out / "simulated.md").read_text("utf-8")
    # Walk s64: with a date range that holds no reply, report.md counted nothing while simulated.md, beside it,
    # counted every consultation without a word; it now says which of the run's filters it does not follow.
    dated = tmp_path / "dated"
    assert main(["stats", "--config", cfg, "--out", str(dated), "--no-metrics", "--n-boot", "100",
                 "--to", "2000-01-01", "--annotator", "nobody"]) == 2  # an unknown annotator is refused
    capsys.readouterr()
    assert main(["stats", "--config", cfg, "--out", str(dated), "--no-metrics", "--n-boot", "100",
                 "--to", "2000-01-01", "--turn-type", "question"]) == 0
    # the dates bound when a consultation began (none before 2000): only the turn type cannot apply
    assert not (dated / "simulated.md").exists()
    capsys.readouterr()
    assert main(["stats", "--config", cfg, "--out", str(tmp_path / "typed"), "--no-metrics", "--n-boot", "100",
                 "--from", "2000-01-01", "--turn-type", "question"]) == 0
    md = (tmp_path / "typed" / "simulated.md").read_text("utf-8")
    assert "--turn-type does not apply" in md and "--from" not in md and md in capsys.readouterr().out
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.yaml").write_text("id: x\n", encoding="utf-8")
    assert main(["simulate", "--config", cfg, "--cases", str(bad)]) == 2
    assert "x.yaml: invalid case" in capsys.readouterr().err
