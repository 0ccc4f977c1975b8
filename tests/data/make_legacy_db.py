"""Build tests/data/legacy_e0d258c.db: a database made by main at e0d258c (before Alembic), with rows
in every table, for tests/test_migrations_alembic.py.

It must run with that commit's code, not this one's:

    mkdir /tmp/oldmain && git archive e0d258c workbench | tar -x -C /tmp/oldmain
    PYTHONPATH=/tmp/oldmain .venv/bin/python tests/data/make_legacy_db.py tests/data/legacy_e0d258c.db
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime, timedelta
from pathlib import Path

from workbench.store.engine import Store  # e0d258c's: creates the tables and stamps schema_version 1-4
from workbench.store.schema import (
    Assignment,
    BatchRun,
    Dataset,
    Dialogue,
    Generation,
    GoldAnswer,
    Preference,
    PreferenceVersion,
    QueueItem,
    Rating,
    RatingVersion,
    Suggestion,
    Turn,
    User,
)

T0 = datetime(2026, 11, 2, 9, 30)


def build(path: Path) -> None:
    path.unlink(missing_ok=True)
    store = Store(f"sqlite:///{path}")
    with store.session() as s:
        admin = User(username="admin", password_hash="pbkdf2$x", role="admin", created_at=T0)
        ann = User(username="标注员一", password_hash="pbkdf2$y", created_at=T0)
        gone = User(username="former", password_hash="pbkdf2$z", active=False, created_at=T0)
        s.add_all([admin, ann, gone])
        ds = Dataset(name="sample'; DROP TABLE x;--", format="bianque-jsonl", source="import_bianque_sample.jsonl",
                     created_at=T0, meta={"rows": 2, "note": "导入"})
        s.add(ds)
        s.flush()
        run = BatchRun(dataset_id=ds.id, columns=["BianQue-1.0", "BianQue-2.0"], turn_selection="all",
                       created_at=T0, finished_at=T0 + timedelta(minutes=3), status="finished",
                       owner="host:1", heartbeat_at=T0 + timedelta(minutes=3))
        killed = BatchRun(dataset_id=ds.id, columns=["BianQue-1.0"], turn_selection="last",
                          created_at=T0, status="interrupted", owner="host:2", heartbeat_at=T0)
        s.add_all([run, killed])
        d = Dialogue(source="dataset", title="失眠 two weeks", dataset_id=ds.id, external_id="row-1",
                     created_by=admin.id, created_at=T0, meta={"department": "内科"})
        live = Dialogue(source="live", title=None, created_by=ann.id, created_at=T0, meta={})
        s.add_all([d, live])
        s.flush()
        s.add_all([Turn(dialogue_id=d.id, idx=0, role="patient", text="我最近经常失眠\n两周了", created_at=T0),
                   Turn(dialogue_id=d.id, idx=1, role="doctor", text="失眠多久了？", is_reference=True,
                        created_at=T0),
                   Turn(dialogue_id=d.id, idx=2, role="patient", text="两周，<b>晚上</b>睡不着", created_at=T0),
                   Turn(dialogue_id=live.id, idx=0, role="patient", text="头疼", created_at=T0)])
        s.flush()
        gens = []
        for i, (column, status, output, route) in enumerate([
                ("BianQue-1.0", "ok", "睡眠怎么样？有没有服药？", "v1"),
                ("BianQue-2.0", "ok", "建议规律作息，必要时就医。", "v2"),
                ("Hybrid", "stopped", "请问", "v1"),
                ("BianQue-2.0", "error", "", "v2"),
                ("BianQue-1.0", "running", "部分", "v1")]):
            gens.append(Generation(dialogue_id=d.id, turn_index=3, column_name=column, backend="demo",
                                   model_name="demo/t5", model_revision="sha256:abc", input_text=f"病人：…{i}",
                                   params={"top_p": 0.9, "temperature": 0.7}, seed=42 + i, output=output,
                                   status=status, error="boom" if status == "error" else None,
                                   latency_ms=12.5 + i, ttft_ms=3.0, prompt_tokens=10, output_tokens=5,
                                   route=route, route_reason="rule", asks_question="？" in output,
                                   question_count=output.count("？"), length_chars=len(output),
                                   batch_run_id=run.id if i < 2 else None, created_by=admin.id,
                                   created_at=T0, finished_at=T0 + timedelta(seconds=2)))
        greeting = Generation(dialogue_id=live.id, turn_index=1, column_name="BianQue-2.0", backend="demo",
                              input_text=None, output="您好，请问有什么可以帮您？", status="ok", route="greeting",
                              created_at=T0)
        s.add_all([*gens, greeting])
        s.flush()
        s.get(Turn, 3).generation_id = greeting.id  # a live turn filled by a reply
        branch = Dialogue(source="branch", parent_id=d.id, branched_from_generation_id=gens[0].id,
                          created_by=ann.id, created_at=T0, meta={})
        s.add(branch)
        s.add_all([Suggestion(generation_id=g.id, question="turn_type", value=v, score=0.8, agent="rules-v2",
                              created_at=T0) for g, v in zip(gens[:3], ("question", "suggestion", "mixed"), strict=False)])
        r1 = Rating(generation_id=gens[0].id, user_id=ann.id, status="submitted", turn_type="question",
                    questioning=4, suggestion=None, suggestion_na=True, comment="好", rubric_version="v1:abc",
                    display_order=["BianQue-2.0", "BianQue-1.0"], display_slot=1, version=2,
                    created_at=T0, updated_at=T0)
        r2 = Rating(generation_id=gens[1].id, user_id=ann.id, status="draft", turn_type="suggestion",
                    questioning=None, questioning_na=True, suggestion=5, safety_flag=True,
                    corrected_reply="建议就医。", created_at=T0, updated_at=T0)
        r3 = Rating(generation_id=gens[2].id, user_id=admin.id, status="discarded", turn_type="other",
                    created_at=T0, updated_at=T0)
        s.add_all([r1, r2, r3])
        s.flush()
        s.add_all([RatingVersion(rating_id=r1.id, version=v, snapshot={"questioning": 3 + v - 1, "status": "submitted"},
                                 created_at=T0) for v in (1, 2)])
        prefs = [Preference(dialogue_id=d.id, turn_index=3, user_id=u.id, status=st, shown=[g.id for g in gens[:3]],
                            outcome=outcome, winner_generation_id=gens[0].id if outcome == "best" else None,
                            ranking=[gens[1].id, gens[0].id, gens[2].id] if outcome == "ranking" else None,
                            rubric_version="v1:abc", created_at=T0, updated_at=T0)
                 for u, st, outcome in ((ann, "submitted", "best"), (admin, "draft", "ranking"),
                                        (gone, "submitted", "all_bad"))]
        prefs.append(Preference(dialogue_id=live.id, turn_index=1, user_id=ann.id, status="submitted",
                                shown=[greeting.id], outcome="tie", created_at=T0, updated_at=T0))
        s.add_all(prefs)
        s.flush()
        s.add(PreferenceVersion(preference_id=prefs[0].id, version=1, snapshot={"outcome": "best"}, created_at=T0))
        item = QueueItem(dialogue_id=d.id, turn_index=3, created_at=T0)
        s.add(item)
        s.flush()
        s.add_all([Assignment(item_id=item.id, user_id=ann.id, slot=0, display_order=["BianQue-2.0", "BianQue-1.0"],
                              assigned_at=T0, completed_at=T0 + timedelta(minutes=1)),
                   Assignment(item_id=item.id, user_id=admin.id, slot=1, display_order=["BianQue-1.0"],
                              assigned_at=T0)])
        s.add(GoldAnswer(generation_id=gens[0].id, answer={"turn_type": "question", "questioning": 4},
                         tolerance=1, note="金标准", created_by=admin.id, created_at=T0))
    store.dispose()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode=DELETE")  # one file: the -wal is folded in
    raw.execute("VACUUM")
    raw.close()


if __name__ == "__main__":
    build(Path(sys.argv[1]))
