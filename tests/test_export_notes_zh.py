"""The Export tab's summary in Chinese translates every note an export of a real store writes: what was left out
(answers to retired items), KTO's label counts and the flat tables' row counts read English in a Chinese
session otherwise ("answers to retired items未计入：4")."""

from __future__ import annotations

import re

from rating_fixtures import add_positions, claim, make_users

from workbench.annotate import workflow
from workbench.annotate.ratings import PreferenceForm, RatingForm
from workbench.annotate.rubric import load_rubric
from workbench.config import REPO_ROOT
from workbench.export import WRITERS, ExportFilters
from workbench.export.from_store import export_from_store
from workbench.store.engine import Store
from workbench.ui.export_tab import export_summary
from workbench.ui.i18n import catalogue
from workbench.vocab import FlagAction


def test_every_note_of_a_real_export_reads_chinese(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        add_positions(store, 3)
        rubric = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
        a, b = make_users(store, "rater_a", "rater_b")
        admin = make_users(store, "boss", role="admin")[0]
        for u in (a, b):
            while (item_id := claim(store, u, 2)) is not None:
                def answers(item):
                    return ({r.generation_id: RatingForm("question", {"questioning": 2 + i, "suggestion": "na"})
                             for i, r in enumerate(item.replies)}, PreferenceForm("best", item.replies[2].generation_id))
                workflow.submit(store, u, item_id, answers, rubric=rubric, blind=True, k=2, claim=False)
        retired = claim(store, a, 2) or 1
        workflow.flag(store, a, retired, "乱码")  # b's answers stay, then leave every export with the item
        workflow.review_flag(store, admin, retired, "rater_a", FlagAction.RETIRED)
        reports = export_from_store(store, list(WRITERS), tmp_path / "out", ExportFilters())
    finally:
        store.dispose()
    notes = [n for r in reports.values() for n in r.notes]
    assert any(n.startswith("answers to retired items left out: ") and not n.endswith(": 0") for n in notes)
    assert any("desirable" in n for n in notes) and "ratings: 12 rows" in notes
    zh = export_summary(reports, "zh", tmp_path / "out")
    for note in dict.fromkeys(notes):
        shown = catalogue().translate(note, "zh")
        assert f"  {shown}" in zh
        # names and identifiers stay as they are (datasets.load_dataset, tables' names); words do not
        assert not re.findall(r"[A-Za-z]{3,}", re.sub(r"[\w.]+[._][\w.]+|\b(?:dialogues|generations|ratings|"
                                                    r"preferences|annotators)\b", "", shown)), shown
