"""One vocabulary: workbench/vocab.py is the only place that spells the turn types, statuses, outcomes,
axes and question marks, and what the store gives back is that vocabulary."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import text

from workbench.annotate.rubric import load_rubric
from workbench.config import REPO_ROOT
from workbench.store.engine import Store
from workbench.store.schema import Generation, Rating, User
from workbench.vocab import (
    AnswerStatus,
    GenerationStatus,
    PreferenceOutcome,
    RubricAxis,
    TurnType,
)

WORKBENCH = Path(__file__).resolve().parents[1] / "workbench"
#: Only these files may spell a vocabulary out: vocab.py itself, and the Alembic revisions, which are
#: frozen history (a revision must not change when vocab.py does).
ALLOWED = {WORKBENCH / "vocab.py", *WORKBENCH.glob("store/alembic/versions/*.py")}


def _spelled_out(values: tuple[str, ...]) -> re.Pattern[str]:
    """A tuple/list/set literal listing ``values`` in order, quoted either way."""
    items = r"\s*,\s*".join(f"[\"']{re.escape(v)}[\"']" for v in values)
    return re.compile(rf"[\(\[\{{]\s*{items}")


COPIES = {
    "turn types": _spelled_out(tuple(TurnType)),
    "answer statuses": _spelled_out(tuple(AnswerStatus)),
    "preference outcomes": _spelled_out(tuple(PreferenceOutcome)),
    "rubric axes": _spelled_out(tuple(RubricAxis)),
    "final generation statuses": _spelled_out((GenerationStatus.OK, GenerationStatus.STOPPED)),
    "question marks": _spelled_out(("？", "?")),
}


def test_no_module_keeps_its_own_copy_of_the_vocabulary():
    found = []
    for path in sorted(WORKBENCH.rglob("*.py")):
        if path in ALLOWED:
            continue
        source = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(WORKBENCH)}: {name}" for name, pattern in COPIES.items()
                  if pattern.search(source)]
    assert found == []


def test_the_pattern_finds_a_copy():
    """The scan above would see a copy written either way."""
    assert COPIES["turn types"].search("X = ('question', 'suggestion', 'mixed', 'other')")
    assert COPIES["question marks"].search('MARKS = ["？", "?"]')
    assert not COPIES["turn types"].search('X = ("question", "mixed")')


def test_the_rubric_uses_the_vocabulary():
    rubric = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
    assert sorted(a.key for a in rubric.axes) == sorted(RubricAxis)
    assert sorted(t.key for t in rubric.turn_types) == sorted(TurnType)


def test_the_store_gives_back_members_that_equal_their_text(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'v.db'}")
    try:
        with store.session() as s:
            u = User(username="a", password_hash="x")
            s.add(u)
            s.flush()
            from workbench.dialogue import Turn
            from workbench.store.dialogues import create_dialogue  # noqa: PLC0415 (keeps the imports short)

            d = create_dialogue(s, (Turn("patient", "头疼"),), source="live")
            g = Generation(dialogue_id=d.id, turn_index=1, column_name="A", backend="b", status="ok")
            s.add(g)
            s.flush()
            s.add(Rating(generation_id=g.id, user_id=u.id, status="submitted", turn_type="mixed"))
        with store.read() as s:
            r = s.query(Rating).one()
            assert r.status is AnswerStatus.SUBMITTED and r.status == "submitted"
            assert r.turn_type is TurnType.MIXED
            assert json.dumps({"status": r.status, "turn_type": r.turn_type}) == \
                '{"status": "submitted", "turn_type": "mixed"}'
        with store.engine.connect() as c:  # stored as the plain text
            assert c.execute(text("SELECT status, turn_type FROM ratings")).one() == ("submitted", "mixed")
    finally:
        store.dispose()
