"""Batch generation on the demo models: gold history, links, resumability (with a SIGKILL), batching."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workbench.batch import dataset_positions, parse_turns, run_batch, select_positions
from workbench.datasets.store_import import import_dataset
from workbench.dialogue import Dialogue as DialogueValue
from workbench.errors import InputError
from workbench.prompts import escape_v1, training_pairs
from workbench.store.engine import Store
from workbench.store.schema import BatchRun, Dataset, Dialogue, Generation, Suggestion, Turn

REPO = Path(__file__).resolve().parents[1]
SEED_CSV = REPO / "workbench" / "data" / "seed_examples_bianque.csv"
EXAMPLES = REPO / "workbench" / "data" / "examples.json"
N_POSITIONS = 8  # the seed CSV: one row per doctor turn, 3 + 2 + 3, each answering a patient turn


def test_seed_csv_is_the_examples_in_bianque_training_format():
    rows = []
    for e in json.loads(EXAMPLES.read_text(encoding="utf-8"))["examples"]:
        turns = [(t["role"], t["text"]) for t in e["turns"]]
        rounds = [(turns[i][1], turns[i + 1][1]) for i in range(0, len(turns) - 1, 2)]
        assert all(turns[i][0] == "patient" and turns[i + 1][0] == "doctor" for i in range(0, len(turns) - 1, 2))
        rows += [[escape_v1(i), escape_v1(t)] for i, t in training_pairs(rounds)]
    got = list(csv.reader(io.StringIO(SEED_CSV.read_text(encoding="utf-8"))))
    assert got[0] == ["input", "target"] and got[1:] == rows and len(rows) == N_POSITIONS
    assert all("\\n" in r[0] and "\n" not in r[0] and r[0].endswith("医生：") for r in rows)


def test_turn_specs():
    assert str(parse_turns("all")) == "all" and str(parse_turns(" last ")) == "last"
    s = parse_turns("sample:3", seed=5)
    assert (s.kind, s.n, s.seed) == ("sample", 3, 5)
    for bad in ("", "some", "sample:", "sample:0", "sample:-1", "first"):
        with pytest.raises(InputError):
            parse_turns(bad)


@pytest.fixture
def store(tmp_path):
    st = Store(f"sqlite:///{tmp_path / 'wb.db'}")
    yield st
    st.dispose()


def test_positions_have_the_gold_history_and_selections_pick_them(store):
    ds = import_dataset(store, SEED_CSV, name="seed")
    with store.session() as s:
        positions = dataset_positions(s, ds.dataset_id)
        turns = {d.id: list(d.turns) for d in s.scalars(select(Dialogue))}
    assert len(positions) == N_POSITIONS
    for p in positions:
        gold = turns[p.dialogue_id]
        ref = gold[p.turn_index]
        assert ref.id == p.reference_turn_id and ref.role == "doctor" and ref.is_reference
        assert p.history == DialogueValue.of([(t.role, t.text) for t in gold[: p.turn_index]])
        assert p.history.ends_with_patient
    last = select_positions(positions, parse_turns("last"))
    assert [(p.dialogue_id, p.turn_index) for p in last] == [(d, len(t) - 1) for d, t in sorted(turns.items())]
    a = select_positions(positions, parse_turns("sample:3", seed=1))
    assert len(a) == 3 and a == select_positions(positions, parse_turns("sample:3", seed=1))  # reproducible
    assert set(map(id, a)) <= set(map(id, positions)) and a == sorted(a, key=positions.index)
    draws = {tuple(p.reference_turn_id for p in select_positions(positions, parse_turns("sample:3", seed=k)))
             for k in range(20)}
    assert len(draws) > 1  # the seed matters
    assert len(select_positions(positions, parse_turns("sample:100"))) == N_POSITIONS


def test_batch_run_on_the_demo_models_stores_linked_generations(services):
    import_dataset(services, SEED_CSV, name="seed")
    calls: list[tuple[int, int]] = []
    summary = run_batch(services, "seed", None, "all", batch_size=4, progress=lambda d, t, _m: calls.append((d, t)))
    n_cols = len(services.columns)
    assert summary.planned == N_POSITIONS * n_cols and summary.generated == summary.planned
    assert summary.errors == 0 and summary.skipped == 0 and not summary.column_errors
    assert calls[-1] == (summary.planned, summary.planned)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    with services.store.session() as s:
        run = s.get(BatchRun, summary.batch_run_id)
        assert run.finished_at is not None and run.columns == services.columns and run.turn_selection == "all"
        gens = list(s.scalars(select(Generation).where(Generation.batch_run_id == run.id)))
        assert len(gens) == summary.planned
        for g in gens:
            ref = s.get(Turn, g.reference_turn_id)
            assert ref.dialogue_id == g.dialogue_id and ref.idx == g.turn_index and ref.is_reference
            history = DialogueValue.of([(t.role, t.text) for t in s.get(Dialogue, g.dialogue_id).turns[: g.turn_index]])
            # gold history as context; the first doctor turn calls the model too (no greeting in batch runs)
            assert g.input_text == services.backends[g.column_name].without_greeting().plan(history).input
            assert g.route != "greeting" and g.input_text
            assert g.status == "ok" and g.params["batch"]["size"] >= 1 and g.latency_ms > 0
            assert g.seed == services.config.column(g.column_name).seed
            if g.route != "greeting":
                assert g.prompt_tokens > 0 and g.asks_question is not None
        assert s.scalar(select(func.count()).select_from(Suggestion)) == sum(g.route is not None for g in gens)
    again = run_batch(services, "seed", None, "all", batch_size=4)
    assert again.batch_run_id is None and again.generated == 0 and again.skipped == summary.planned
    with services.store.session() as s:
        assert s.scalar(select(func.count()).select_from(BatchRun)) == 1


def test_errors_are_retried_and_a_broken_column_does_not_stop_the_others(demo_config, tmp_path, monkeypatch):
    from workbench.config import parse_config
    from workbench.services import build_services

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    data = demo_config.model_dump(exclude={"source"}, exclude_none=True)
    v1 = next(c for c in data["columns"] if c["backend"] == "bianque-v1")
    data["columns"] = [v1, {**v1, "name": "Broken", "model": {**v1["model"], "path": str(tmp_path / "nowhere")}}]
    data["database_url"] = f"sqlite:///{tmp_path / 'wb.db'}"
    svc = build_services(parse_config(data))
    try:
        import_dataset(svc, SEED_CSV, name="seed")
        with svc.store.session() as s:  # an earlier run's failure at one position
            ds = s.scalar(select(Dataset))
            p = dataset_positions(s, ds.id)[1]
            run = BatchRun(dataset_id=ds.id, columns=[v1["name"]], turn_selection="all")
            s.add(run)
            s.flush()
            s.add(Generation(dialogue_id=p.dialogue_id, turn_index=p.turn_index, column_name=v1["name"],
                             backend="bianque-v1", status="error", error="boom", batch_run_id=run.id))
        summary = run_batch(svc, "seed", [v1["name"], "Broken"], "all")
        assert "nowhere" in summary.column_errors["Broken"]  # the error names the missing path
        assert summary.generated == N_POSITIONS and summary.skipped == 0  # the error position was retried
        with svc.store.session() as s:
            statuses = s.execute(
                select(Generation.status, func.count()).where(Generation.dialogue_id == p.dialogue_id,
                                                              Generation.turn_index == p.turn_index)
                .group_by(Generation.status)
            ).all()
            assert dict(statuses) == {"error": 1, "ok": 1}
            assert s.scalar(select(func.count()).select_from(Generation).where(Generation.column_name == "Broken")) == 0
    finally:
        svc.close()


def test_unknown_dataset_or_column_is_a_clear_error(services):
    with pytest.raises(InputError, match="no dataset named"):
        run_batch(services, "nope", None)
    import_dataset(services, SEED_CSV, name="seed")
    with pytest.raises(InputError, match="unknown column"):
        run_batch(services, "seed", ["GPT-9"])


def _greedy(backend, **update):
    """The same column (same loaded model) with greedy settings."""
    gen = backend.gen.model_copy(update={"do_sample": False, **update})
    return type(backend)(backend.name, backend.source, backend._tokenizer, backend._model, gen, backend.greeting)


def _histories(store: Store) -> list[DialogueValue]:
    with store.session() as s:
        ds = s.scalar(select(Dataset))
        return [p.history for p in dataset_positions(s, ds.id)]


@pytest.mark.parametrize("column, update", [
    ("BianQue-1.0", {}),
    ("BianQue-2.0", {}),
    ("BianQue-2.0", {"max_new_tokens": None, "max_length": "longest+6"}),  # per-row budgets from max_length
])
def test_batched_greedy_equals_one_by_one(services, column, update):
    import_dataset(services, SEED_CSV, name="seed")
    # extra dialogues of very different lengths, so rows are padded a lot
    dialogues = _histories(services.store) + [
        DialogueValue.of([("patient", "头疼")]),
        DialogueValue.of([("patient", "我咳嗽三天了，晚上更严重，有痰"), ("doctor", "痰是什么颜色？"), ("patient", "黄色")]),
    ]
    base = services.backends[column]
    if update.get("max_length") == "longest+6":
        longest = max(base.count_tokens(p.input) for p in map(base.plan, dialogues) if p.input is not None)
        update = {**update, "max_length": longest + 6}
    b = _greedy(base, **update)
    batched = b.generate_batch(dialogues, seed=3)
    single = [b.generate(d, seed=99) for d in dialogues]  # the seed must not matter when greedy
    assert [t for t, _ in batched] == [t for t, _ in single]
    for (_, tb), (_, ts) in zip(batched, single, strict=True):
        assert (tb.input_text, tb.prompt_tokens, tb.output_tokens, tb.route) == (
            ts.input_text, ts.prompt_tokens, ts.output_tokens, ts.route)
    lengths = {tr.prompt_tokens for _, tr in batched if tr.prompt_tokens}
    assert len(lengths) > 3  # padding really happened
    assert any(t.strip() for t, tr in batched if tr.route != "greeting")


def test_sampled_batches_are_reproducible_per_batch(services):
    import_dataset(services, SEED_CSV, name="seed")
    dialogues = _histories(services.store)[1:5]  # model calls only: index 0 is the greeting turn
    for column in ("BianQue-1.0", "BianQue-2.0"):
        b = services.backends[column]
        assert b.gen.do_sample
        first = [t for t, _ in b.generate_batch(dialogues, seed=5)]
        assert first == [t for t, _ in b.generate_batch(dialogues, seed=5)]


def _count_ok(db: Path) -> int:
    import sqlite3

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute("SELECT count(*) FROM generations WHERE status='ok'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def _limit_file_size(limit: int):
    def apply() -> None:  # in the child: a real file size limit, as ``ulimit -f`` sets (Python ignores SIGXFSZ)
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_batch_that_runs_out_of_room_says_what_it_kept_and_resumes(demo_models, tmp_path):
    """The store's write failing midway (a full disk, a file size limit) ended the batch with "nothing was saved",
    though every chunk before it was stored, and kept: the message now says how many, and to run it again."""
    db = tmp_path / "wb.db"
    url = f"sqlite:///{db}"
    st = Store(url)
    import_dataset(st, REPO / "workbench" / "data" / "demo_dialogues.jsonl", name="demo")
    st.dispose()
    env = {**os.environ, "WORKBENCH_DB_URL": url, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    cmd = [sys.executable, "-m", "workbench", "batch", "--dataset", "demo", "--turns", "last", "--columns",
           "BianQue-1.0", "--config", str(REPO / "configs" / "demo.yaml")]
    size = sum(p.stat().st_size for p in tmp_path.glob("wb.db*"))
    cut = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                         preexec_fn=_limit_file_size(size + 48 * 1024))
    assert cut.returncode != 0
    kept = _count_ok(db)
    assert 0 < kept < 140, cut.stderr[-2000:]
    assert (f"error: {kept} replies stored before this error are kept; run the batch again to resume. the database "
            "could not write to its file (disk I/O error)") in cut.stderr
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"skipped (already done) {kept}, generated {140 - kept}, errors 0" in done.stdout
    st = Store(url)
    try:
        with st.session() as s:
            rows = s.execute(select(Generation.dialogue_id, Generation.turn_index)
                             .where(Generation.status == "ok")).all()
        assert len(rows) == len(set(rows)) == 140  # every dialogue's last doctor turn once: none lost, none twice
    finally:
        st.dispose()


def test_a_killed_batch_resumes_without_duplicates(demo_models, tmp_path):
    db = tmp_path / "wb.db"
    url = f"sqlite:///{db}"
    st = Store(url)
    import_dataset(st, SEED_CSV, name="seed")
    st.dispose()
    env = {**os.environ, "WORKBENCH_DB_URL": url, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    cmd = [sys.executable, "-m", "workbench", "batch", "--dataset", "seed", "--config",
           str(REPO / "configs" / "demo.yaml"), "--batch-size", "1"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    try:
        while _count_ok(db) < 2:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no generation stored in time"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    at_kill = _count_ok(db)
    total = N_POSITIONS * 3  # the demo config has three columns
    assert 2 <= at_kill < total, "the run finished before it could be killed"

    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"skipped (already done) {at_kill}" in done.stdout
    left = total - at_kill
    assert f"{left}/{left}" in done.stderr  # the tqdm bar reached its end
    st = Store(url)
    try:
        with st.session() as s:
            dup = s.execute(
                select(Generation.dialogue_id, Generation.turn_index, Generation.column_name, func.count())
                .where(Generation.status == "ok")
                .group_by(Generation.dialogue_id, Generation.turn_index, Generation.column_name)
                .having(func.count() > 1)
            ).all()
            assert dup == []
            assert s.scalar(select(func.count()).select_from(Generation).where(Generation.status == "ok")) == total
            assert s.scalar(select(func.count()).select_from(Generation).where(Generation.status == "running")) == 0
            runs = list(s.scalars(select(BatchRun).order_by(BatchRun.id)))
            # The killed run is marked interrupted by the run that resumed it, ending at its last heartbeat.
            assert [r.status for r in runs] == ["interrupted", "finished"]
            assert runs[0].created_at <= runs[0].finished_at <= runs[1].created_at
            assert runs[1].finished_at is not None
    finally:
        st.dispose()
    assert f"resumed interrupted run #{runs[0].id}" in done.stdout


def test_hybrid_batch_routes_and_equals_one_by_one(services):
    """The hybrid batches each model's share; with greedy sub-models it answers exactly as one by one."""
    from workbench.models.hybrid import Hybrid

    import_dataset(services, SEED_CSV, name="seed")
    hy = services.backends["Hybrid v1→v2"]
    greedy = Hybrid(hy.name, _greedy(hy.v1), _greedy(hy.v2), hy.routing)
    dialogues = _histories(services.store) + [DialogueValue.of([("patient", "头疼")])]
    batched = greedy.generate_batch(dialogues, seed=5)
    single = [greedy.generate(d, seed=5) for d in dialogues]
    assert [t for t, _ in batched] == [t for t, _ in single]
    for (_, tb), (_, ts) in zip(batched, single, strict=True):
        assert (tb.route, tb.input_text, tb.reason, tb.extra) == (ts.route, ts.input_text, ts.reason, ts.extra)
    routes = {tr.route for _, tr in batched}
    assert "greeting" in routes and routes & {"v1", "v2"}


def test_the_data_tab_stops_a_batch_run_between_chunks(services):
    """Stop ends the run after the current chunk; what was done stays, and a rerun resumes."""
    from gradio_clients import Client

    from tests.ui_server import running_app

    corpus = Path(__file__).resolve().parents[1] / "workbench" / "data" / "demo_dialogues.jsonl"
    import_dataset(services, corpus, name="big")
    with running_app(services) as url:
        client = Client(url, verbose=False, analytics_enabled=False, headers=url.headers)
        job = client.submit("big", ["BianQue-2.0"], "all", 20, 0, 4, api_name="/batch_generate")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with services.store.read() as s:
                if s.scalar(select(func.count(Generation.id))):
                    break
            time.sleep(0.2)
        assert "Stopping" in client.predict(api_name="/batch_stop")
        message = job.result(timeout=120)[0]
    assert "stopped before the end" in message
    with services.store.read() as s:
        assert [r.status for r in s.scalars(select(BatchRun))] == ["stopped"]
        done = s.scalar(select(func.count(Generation.id)))
        positions = len(dataset_positions(s, s.scalar(select(Dataset.id).where(Dataset.name == "big"))))
    assert 0 < done < positions


def test_the_data_tab_refuses_counts_that_are_not_whole(services):
    """Sample size 2.5 ran a sample of 2 and seed 1.5 drew with seed 2, without a word (the form rounded
    them): now each is refused by name, and nothing is generated."""
    from gradio_clients import Client

    from tests.ui_server import running_app

    import_dataset(services, SEED_CSV, name="seed")
    with running_app(services) as url:
        client = Client(url, verbose=False, analytics_enabled=False, headers=url.headers)
        for args, field in (((2.5, 0, 4), "sample size"), ((2, 1.5, 4), "sample seed"), ((2, 0, 4.5), "batch size")):
            message = client.predict("seed", ["BianQue-2.0"], "sample", *args, api_name="/batch_generate")[0]
            assert f"{field} must be a whole number" in message, message
        # Out of range: named in the tab's message (Gradio's own bounds refused them before with a raw error
        # naming no field, even a sample size that "all" turns ignore).
        for mode, args, expected in (("sample", (0, 0, 4), "sample size: 0 is below 1"),
                                     ("sample", (2, 0, 0), "batch size: 0 is outside 1 to 256"),
                                     ("all", (2, 0, 1000), "batch size: 1000 is outside 1 to 256")):
            message = client.predict("seed", ["BianQue-2.0"], mode, *args, api_name="/batch_generate")[0]
            assert expected in html.unescape(message), message
        with services.store.read() as s:
            assert s.scalar(select(func.count(Generation.id))) == 0
        message = client.predict("seed", ["BianQue-2.0"], "sample", 2, 0, 4, api_name="/batch_generate")[0]
        assert "generated 2" in message, message
        message = client.predict("seed", ["BianQue-2.0"], "last", 0, 0, 4, api_name="/batch_generate")[0]
        assert "generated" in message and "Error" not in message, message  # the sample size is not used
