"""The Compare tab's simulated-patient section, through the running app's API (gradio_client)."""

from __future__ import annotations

import html
from pathlib import Path

from gradio_clients import Client
from ui_server import running_app

from workbench.simulate.cases import load_cases
from workbench.simulate.run import run_simulation
from workbench.ui.simulated_section import compute_simulated_view

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
        measures, agreement, scores, links, note = client.predict([], [], api_name="/compare_simulated")
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
        *_tables, note = client.predict([], [], api_name="/compare_simulated")
    shown = html.unescape(note)  # the names are made inert for the page (they are dataset names anyone typed)
    assert "sim_short" in shown and "simulated" in shown and "pool" in shown
