"""The page's loading statuses stay few: what made a Rate submit take seconds in Chromium.

Gradio's page keeps a loading status for every progress target of every event it has run, and on each status
message of any later event rewrites all of them (a search of the whole component tree each, and a copy of every
component inside a layout block). So the events a Rate session runs (the page loads, every autosave, the
submit) must track their progress on one small component each, never on the item's components, a tab or a
panel. Checked on the real app's config, as the page receives it.
"""

from __future__ import annotations

from pathlib import Path

from rating_fixtures import test_config as rate_config

from workbench.services import build_services
from workbench.ui.app import build_app


def _progress_targets(dep: dict) -> list[int]:
    # what the page registers a loading status for (its ``progress_targets``)
    return dep["show_progress_on"] or dep["outputs"]


def test_page_loads_and_rate_events_track_progress_on_one_small_component(tmp_path: Path) -> None:
    svc = build_services(rate_config(tmp_path / "rate.db", k=1, blind=True), auth_enabled=True)
    try:
        config = build_app(svc).get_config_file()
    finally:
        svc.close()
    kinds = {c["id"]: c["type"] for c in config["components"]}
    loads = [d for d in config["dependencies"] if any(event == "load" for _block, event in d["targets"])]
    rate_events = [d for d in config["dependencies"]
                   if str(d.get("api_name") or "").startswith(("rate_autosave", "rate_submit", "rate_next",
                                                                "rate_skip", "rate_back", "rate_preference"))]
    assert len(loads) >= 5 and len(rate_events) >= 8
    targets: set[int] = set()
    for dep in loads + rate_events:
        own = _progress_targets(dep)
        assert len(own) == 1, (dep.get("api_name"), len(own))
        assert dep["show_progress"] == "hidden", dep.get("api_name")
        targets |= set(own)
    # one for the page loads, one for the Rate tab; no layout block among them
    assert len(targets) <= 2, targets
    assert not {kinds[t] for t in targets} & {"row", "column", "tabitem", "tabs", "accordion", "group", "form"}


def test_no_backend_event_takes_the_answer_widgets_as_inputs(tmp_path: Path) -> None:
    """The page also updates a loading status for every input of every event it has run, on each status message
    of any event: the answer events take the state and one JSON text (workbench/ui/rate_payload.py), never the
    ~40 answer widgets (with them as inputs, a submit spent most of its time there)."""
    import re

    svc = build_services(rate_config(tmp_path / "rate.db", k=1, blind=True), auth_enabled=True)
    try:
        config = build_app(svc).get_config_file()
    finally:
        svc.close()
    elem_ids = {c["id"]: c["props"].get("elem_id") or "" for c in config["components"]}
    answer_widget = re.compile(r"^rate-((tt|q|s|safety|comment|corrected)-\d+|pref|ranking)$")
    assert sum(bool(answer_widget.match(e)) for e in elem_ids.values()) >= 6 * 6 + 2
    backend = [d for d in config["dependencies"] if d.get("backend_fn")]
    answer_events = [d for d in backend if str(d.get("api_name") or "").startswith(
        ("rate_autosave", "rate_submit", "rate_preference"))]
    assert len(answer_events) >= 8
    for dep in answer_events:
        assert [elem_ids[i] for i in dep["inputs"]] == ["", "rate-item-id"], dep["api_name"]  # the state, the JSON
    for dep in backend:
        taken = [elem_ids[i] for i in dep["inputs"] if answer_widget.match(elem_ids[i])]
        assert not taken, (dep.get("api_name"), taken)
