"""The Compare tab's simulated-patient section, through the running app's API (gradio_client)."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from gradio_clients import Client
from judge_scope_world import AXIS, JUDGE, build_world
from ui_server import running_app

from workbench.scope import Scope
from workbench.simulate.cases import load_cases
from workbench.simulate.run import run_simulation
from workbench.ui.simulated_section import compute_simulated_view, scope_note

REPO = Path(__file__).resolve().parents[1]


def test_compare_shows_simulated_measures_per_column(services):
    cases = load_cases(REPO / "annotations" / "cases")[:2]
    run_simulation(services, cases, ["BianQue-1.0", "BianQue-2.0"], max_turns=3)
    view = compute_simulated_view(services, n_boot=200)
    assert list(view.measures["column"]) == ["BianQue-1.0", "BianQue-2.0"]
    assert "elicitation_recall" in view.measures.columns
    assert view.measures.set_index("column").loc["BianQue-1.0", "questions_before_advice"].endswith("(n=2)")
    assert "no reply has both" in view.agreement.iloc[0, 0]  # no judge yet: a note, not an empty grid
    # the CSV holds numbers, one row per column and measure (a walk found "1.00 [0.44, 1.00] (n=3)" cells there)
    data = view.measures_data
    assert list(data.columns) == ["column", "measure", "mean", "ci_low", "ci_high", "n", "datasets"]
    assert set(data["datasets"]) == {"simulated"}  # which run the figures come from
    assert data["mean"].dtype.kind == "f" and data["n"].dtype.kind == "i"
    assert {"BianQue-1.0", "BianQue-2.0"} == set(data["column"]) and "elicitation_recall" in set(data["measure"])
    narrowed = compute_simulated_view(services, columns=["BianQue-2.0"], n_boot=200)
    assert list(narrowed.measures["column"]) == ["BianQue-2.0"]

    with running_app(services) as url:
        client = Client(url, verbose=False, analytics_enabled=False, headers=url.headers)
        measures, agreement, scores, links, note = client.predict([], [], None, None, [], [], api_name="/compare_simulated")
    # each table comes as an update (column widths + value) or as its bare value
    measures, agreement, scores = (t.get("value", t) for t in (measures, agreement, scores))
    assert [row[0] for row in measures["data"]] == ["BianQue-1.0", "BianQue-2.0"]
    assert "Elicitation recall" in measures["headers"]  # the readable header of elicitation_recall
    assert "no judge scores" in scores["data"][0][0]
    assert "simulated_measures.csv" in links and "judge_scores.csv" not in links  # a note has no CSV
    assert note == ""  # one simulated dataset: nothing pooled


def test_measures_pooled_over_several_simulated_datasets_say_so(services):
    """With no Dataset filter the section pooled every simulated run (one of 1 case at 2 turns moved a column's
    figures) and said nothing: it names the datasets pooled, and a filter on one leaves nothing pooled."""
    cases = load_cases(REPO / "annotations" / "cases")[:2]
    run_simulation(services, cases, ["BianQue-2.0"], max_turns=2)
    run_simulation(services, cases[:1], ["BianQue-2.0"], max_turns=2, dataset="sim_short")
    view = compute_simulated_view(services, n_boot=50)
    assert len(view.pooled) == 2 and "sim_short" in view.pooled
    assert set(view.measures_data["datasets"]) == {"sim_short; simulated"}  # the CSV says so too
    assert compute_simulated_view(services, datasets=["sim_short"], n_boot=50).pooled == ()
    # and the section keeps the notice above its tables, after the pop-up has gone
    with running_app(services) as url:
        client = Client(url, verbose=False, analytics_enabled=False, headers=url.headers)
        *_tables, note = client.predict([], [], None, None, [], [], api_name="/compare_simulated")
    shown = html.unescape(note)  # the names are made inert for the page (they are dataset names anyone typed)
    assert "sim_short" in shown and "simulated" in shown and "pool" in shown


def test_the_section_follows_the_tabs_filters_and_says_which_do_not_apply(services):
    """Walk s65: under a one-dataset or one-annotator filter the judge's agreement and scores were computed over
    the whole store, unmarked. The section now takes the tab's Scope; expected pairs are read off the world's rows
    (tests/judge_scope_world.py, as in test_judge_scope.py)."""
    ids = build_world(services.store)
    view = compute_simulated_view(services, n_boot=50, scope=Scope(annotators=["ann"], datasets=["d1"]))
    agreement = view.agreement.set_index("axis").loc[AXIS]
    assert agreement["n"] == 3 and agreement["human_mean"] == pytest.approx((1 + 3 + 2) / 3)  # replies 0, 1, 3
    assert agreement["judge_mean"] == pytest.approx((1 + 3 + 2) / 3)
    # the judge's scores follow the dataset, not the annotator: d1's judged replies 0, 1, 8 (A) and 2, 3 (B)
    scores = view.judge_scores.set_index("column")
    assert scores.loc["A", "n"] == 3 and scores.loc["A", "mean"] == pytest.approx(3)
    assert scores.loc["B", "n"] == 2 and scores.loc["B", "mean"] == pytest.approx(3)
    assert "measures" not in view.computed  # d1 holds no consultation
    # each CSV names what it followed
    assert set(view.csv("agreement")["filters"]) == {"annotators=ann; datasets=d1"}
    assert set(view.csv("judge_scores")["filters"]) == {"datasets=d1"}
    note = scope_note(view, "en")
    assert "Not applied to the judge's scores: Annotator (" in note
    assert "Not applied to the simulated-patient measures: Annotator (" in note
    assert "Dates" not in note
    assert scope_note(compute_simulated_view(services, n_boot=20), "en") == ""  # no filter, no note

    # the consultations follow dates (when one began), columns and datasets
    feb = compute_simulated_view(services, n_boot=50, scope=Scope(date_from="2025-02-01"))
    assert set(feb.measures_data["datasets"]) == {"sim-feb"} and set(feb.measures_data["column"]) == {"B"}
    assert set(feb.csv("measures")["filters"]) == {"date_from=2025-02-01"}
    assert feb.agreement.set_index("axis").loc[AXIS, "n"] == 4  # replies 3, 4, 5, 7

    # the tab's own filter boxes, through the running app (the button reads the same six inputs as Refresh)
    with running_app(services) as url:
        client = Client(url, verbose=False, analytics_enabled=False, headers=url.headers)
        client.predict([], [], None, None, [], [], False, api_name="/compare")  # Refresh fills the filter menus
        measures, agreement_t, scores_t, links, note = client.predict(
            [], ["d2", "(live chats)"], None, None, ["A"], ["question"], api_name="/compare_simulated")
        # the download holds what the table shows, and the filters it followed
        href = re.search(r'href="([^"]*judge_scores\.csv[^"]*)"', links).group(1)
        got = httpx.get(urljoin(str(url), html.unescape(href)), headers=url.headers, timeout=30)
    assert got.status_code == 200, got.text
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert [(r["column"], r["n"], r["filters"]) for r in rows] == [
        ("A", "2", "datasets=d2, (live chats); columns=A; turn_types=question")]
    agreement_t, scores_t = (t.get("value", t) for t in (agreement_t, scores_t))
    # d2 or live, column A, question by both sides: replies 4 (ann only: bob said suggestion) and 9
    n_at = agreement_t["headers"].index("n")
    assert [row[n_at] for row in agreement_t["data"]] == [2]
    assert [row[0] for row in scores_t["data"]] == [JUDGE]  # one column: A, replies 4 and 9
    assert [row[scores_t["headers"].index("n")] for row in scores_t["data"]] == [2]
    shown = html.unescape(note)
    assert "Not applied to the simulated-patient measures: Turn type (" in shown
    assert "Filters set: Dataset, Column, Turn type." in shown
    assert "Not applied to the judge's scores" not in shown  # no annotator filter: they follow every one set
    assert "no simulated consultations" in measures.get("value", measures)["data"][0][0]
    assert ids  # the world was written


def test_an_agreement_that_cannot_be_computed_reads_na_not_blank(services):
    """Walk s65: with two pairs the judge's Spearman ρ (undefined) showed an empty cell beside "n/a" bounds, which
    read as a value lost. d1's column B has two pairs (tests/judge_scope_world.py): every undefined cell reads n/a."""
    build_world(services.store)
    with running_app(services) as url:
        client = Client(url, verbose=False, analytics_enabled=False, headers=url.headers)
        client.predict([], [], None, None, [], [], False, api_name="/compare")  # Refresh fills the filter menus
        _m, agreement, _s, _links, _note = client.predict(
            [], ["d1"], None, None, ["B"], [], api_name="/compare_simulated")
    agreement = agreement.get("value", agreement)
    [row] = agreement["data"]
    cells = dict(zip(agreement["headers"], row, strict=True))
    assert cells["n"] == 2
    rho = [h for h in agreement["headers"] if h.startswith("Spearman")]
    assert rho and all(cells[h] == "n/a" for h in rho), cells
    assert all(v not in ("", None) for v in row), cells
