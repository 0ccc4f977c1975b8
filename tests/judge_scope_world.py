"""A store for the scope tests of the machine judge and the simulated measures: two datasets, two annotators, two
columns, two months, two turn types, written row by row (no model), so each test can say by hand which replies
a filter keeps.

``REPLIES`` is the whole world: per reply its dataset (None: a live chat), column, month created, the classifier's
turn type, the judge's score on the ``suggestion`` axis and the humans' ratings (annotator, score, month of the
last submission, the human's own turn type or None). Reply 8 is judged and never rated. Two simulated
consultations (one a month, one a column) sit in datasets of their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from workbench.auth import upsert_user
from workbench.simulate.cases import load_cases
from workbench.simulate.run import SIMULATED_SOURCE
from workbench.store.engine import Store
from workbench.store.schema import Dataset, Dialogue, Generation, Rating, Suggestion
from workbench.vocab import TURN_TYPE_QUESTION

REPO = Path(__file__).resolve().parents[1]
JUDGE = "judge:m"
AXIS = "suggestion"
JAN, FEB = dt.datetime(2025, 1, 10, 12), dt.datetime(2025, 2, 10, 12)
WHEN = {"jan": JAN, "feb": FEB}


@dataclass(frozen=True)
class Reply:
    dataset: str | None
    column: str
    month: str
    auto: str  # the classifier's turn type
    judge: float
    ratings: tuple[tuple[str, float, str, str | None], ...]  # (annotator, score, month, human turn type)


REPLIES: tuple[Reply, ...] = (
    Reply("d1", "A", "jan", "question", 1, (("ann", 1, "jan", None), ("bob", 2, "jan", None))),
    Reply("d1", "A", "jan", "suggestion", 3, (("ann", 3, "jan", None),)),
    Reply("d1", "B", "jan", "question", 4, (("bob", 5, "jan", None),)),
    Reply("d1", "B", "feb", "suggestion", 2, (("ann", 2, "feb", "question"),)),  # the human says question
    Reply("d2", "A", "feb", "question", 5, (("ann", 4, "feb", None), ("bob", 5, "feb", "suggestion"))),
    Reply("d2", "A", "feb", "suggestion", 2, (("bob", 1, "feb", None),)),
    Reply("d2", "B", "jan", "question", 3, (("ann", 3, "feb", None),)),  # created in January, rated in February
    Reply("d2", "B", "feb", "suggestion", 4, (("bob", 4, "feb", None),)),
    Reply("d1", "A", "jan", "question", 5, ()),  # judged, never rated
    Reply(None, "A", "jan", "question", 2, (("ann", 2, "jan", None),)),  # a live chat
)

#: the simulated consultations: (dataset, column, month begun)
CONSULTATIONS = (("sim-jan", "A", "jan"), ("sim-feb", "B", "feb"))


def build_world(store: Store) -> list[int]:
    """Write :data:`REPLIES` and :data:`CONSULTATIONS` into ``store``; the generation id of each reply."""
    users = {n: upsert_user(store, n, "secret-pass-" + n, "annotator").id for n in ("ann", "bob")}
    case = load_cases(REPO / "annotations" / "cases")[0]
    ids = []
    with store.session() as s:
        datasets = {n: Dataset(name=n, format="test") for n in ("d1", "d2", "sim-jan", "sim-feb")}
        s.add_all(datasets.values())
        s.flush()
        for i, r in enumerate(REPLIES):
            d = Dialogue(source="dataset" if r.dataset else "live",
                         dataset_id=datasets[r.dataset].id if r.dataset else None)
            s.add(d)
            s.flush()
            g = Generation(dialogue_id=d.id, turn_index=1, column_name=r.column, backend="t", output=f"回复{i}",
                           status="ok", created_at=WHEN[r.month])
            s.add(g)
            s.flush()
            ids.append(g.id)
            s.add(Suggestion(generation_id=g.id, question=TURN_TYPE_QUESTION, value=r.auto, agent="classifier"))
            s.add(Suggestion(generation_id=g.id, question=AXIS, value=f"{r.judge:g}", score=r.judge, agent=JUDGE))
            for who, score, month, human_type in r.ratings:
                s.add(Rating(generation_id=g.id, user_id=users[who], status="submitted", turn_type=human_type,
                             scores={AXIS: score}, created_at=WHEN[month], updated_at=WHEN[month]))
        for name, column, month in CONSULTATIONS:
            meta = {"case": case.model_dump(mode="json"), "column": column, "status": "advised", "patient_turns": []}
            d = Dialogue(source=SIMULATED_SOURCE, dataset_id=datasets[name].id, meta=meta, created_at=WHEN[month])
            s.add(d)
            s.flush()
            s.add(Generation(dialogue_id=d.id, turn_index=1, column_name=column, backend="t", status="ok",
                             output="建议多喝水，注意休息，必要时去医院就诊。", created_at=WHEN[month]))
    return ids
