"""Annotator B cannot read or change annotator A's ratings through any endpoint of the real app.

The app is started in-process on 127.0.0.1 with logins. A rates through the API; then B calls every
endpoint the app has - the named ones through gradio_client, and every event handler (named or not)
through the raw queue protocol - with empty values and with A's item and reply ids. A's rows must be
unchanged and A's secret text must never appear in anything B receives. Without a login, nothing answers.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from gradio_clients import Client
from rating_fixtures import RunningApp, add_positions, make_users
from sqlalchemy import select

from workbench.store.schema import Assignment, Preference, Rating, RatingVersion

SECRET = "SECRET-A-7f3c"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = RunningApp(tmp_path_factory.mktemp("iso"), k=2)
    add_positions(running.store, 3)
    make_users(running.store, "ann_a", "ann_b")
    yield running
    running.close()


def _client(app: RunningApp, name: str) -> Client:
    return Client(app.url, auth=(name, "secret-pass-" + name), verbose=False, analytics_enabled=False)


def _a_rows(app: RunningApp) -> dict[str, Any]:
    uid = app.svc.auth.lookup("ann_a").id
    with app.store.session() as s:
        ratings = [(r.id, r.generation_id, r.status, json.dumps(r.scores, sort_keys=True), r.comment, r.version,
                    r.updated_at, list(r.display_order)) for r in s.scalars(select(Rating).where(Rating.user_id == uid))]
        versions = [(v.rating_id, v.version, json.dumps(v.snapshot, sort_keys=True))
                    for v in s.scalars(select(RatingVersion).join(Rating).where(Rating.user_id == uid))]
        prefs = [(p.id, p.outcome, p.status, p.version, p.updated_at)
                 for p in s.scalars(select(Preference).where(Preference.user_id == uid))]
        assigns = [(a.item_id, a.slot, a.completed_at) for a in s.scalars(select(Assignment).where(Assignment.user_id == uid))]
    return {"ratings": ratings, "versions": versions, "prefs": prefs, "assignments": assigns}


#: the named endpoints that read the page's answers as JSON (workbench/ui/rate_payload.py), besides the autosaves
PAGE_ENDPOINTS = {"/rate_submit", "/rate_preference"}


def _page(item: Any = None, **fields: Any) -> str:
    """A Rate event's one input as the page sends it (workbench/ui/rate_payload.py)."""
    return json.dumps({"item": None if item is None else str(item), **fields})


def _a_rates(app: RunningApp) -> dict[str, Any]:
    a = _client(app, "ann_a")
    a.predict(api_name="/rate_next")
    per_reply = ["question", "4", "N/A", False, f"{SECRET} comment", f"{SECRET} corrected"]
    a.predict(_page(answer=per_reply), api_name="/rate_autosave_0")
    a.predict(_page(preference="A", ranking="", answers=[per_reply] * 3), api_name="/rate_submit")
    a.predict(api_name="/rate_next")
    a.predict(_page(answer=["mixed", "2", "3", True, f"{SECRET} draft", ""]), api_name="/rate_autosave_1")
    rows = _a_rows(app)
    assert any(r[2] == "submitted" for r in rows["ratings"]) and any(r[2] == "draft" for r in rows["ratings"])
    assert rows["versions"] and rows["prefs"]
    return rows


def _probe_values(app: RunningApp) -> list[Any]:
    """Values B tries in every parameter: A's item ids and reply ids, as ints and strings."""
    with app.store.session() as s:
        uid = app.svc.auth.lookup("ann_a").id
        items = list(s.scalars(select(Assignment.item_id).where(Assignment.user_id == uid)))
        gens = list(s.scalars(select(Rating.generation_id).where(Rating.user_id == uid)))
    return items + gens + [str(items[0])]


def _forged_pages(items: list[int]) -> list[str]:
    """The JSON the page sends, naming A's items (open and as submitted), with B's answers and preferences."""
    box = ["other", "1", "1", True, "B forged", "B forged"]
    pages = []
    for item in items:
        for ref in (str(item), f"{item}:submitted"):
            pages += [json.dumps({"item": ref, "answer": box}),
                      json.dumps({"item": ref, "preference": "B", "ranking": "", "answers": [box] * 3}),
                      json.dumps({"item": ref, "preference": "ranking", "ranking": "C > B > A"})]
    return pages


def _raw_call(url: str, cookies: dict[str, str], fn_index: int, data: list[Any], timeout: float = 30) -> str:
    """Run one event handler through the queue protocol, as the browser does; returns every message."""
    session = uuid.uuid4().hex
    base = url + "/gradio_api/"
    with httpx.Client(cookies=cookies, timeout=timeout) as http:
        join = http.post(base + "queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session,
                                                    "event_data": None, "trigger_id": None})
        if join.status_code != 200:
            return f"HTTP {join.status_code} {join.text}"
        out = []
        with http.stream("GET", base + "queue/data", params={"session_hash": session}) as resp:
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue
                out.append(line)
                msg = json.loads(line[5:])
                if msg.get("msg") in ("process_completed", "close_stream", "unexpected_error"):
                    break
        return "\n".join(out)


def test_b_cannot_read_or_change_a_through_any_endpoint(app):
    before = _a_rates(app)
    probes = _probe_values(app)
    b = _client(app, "ann_b")
    forged = _forged_pages(probes[:2])
    seen: list[str] = []
    named = b.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/rate_next", "/rate_submit", "/rate_autosave_0", "/rate_preference", "/rate_reopen",
            "/rate_reveal", "/rate_team", "/rate_load"} <= set(named)
    rate_first = sorted(named, key=lambda n: (not n.startswith("/rate"), n))
    for rounds in range(2):  # second round: B now holds A's first item too (k = 2)
        for name in rate_first:
            n_params = len(named[name]["parameters"])
            # The Rate endpoints get every probe; the other tabs' endpoints empty values and one id each.
            values = probes if name.startswith("/rate") else probes[:1]
            if name in PAGE_ENDPOINTS or name.startswith("/rate_autosave_"):
                values = values + forged  # the endpoints that read the page's answers as JSON
            attempts = [[None] * n_params] + [[p] * n_params for p in values]
            for args in attempts:
                try:
                    seen.append(repr(b.predict(*args, api_name=name)))
                except Exception as e:  # a refusal is fine; only what B *receives* matters
                    seen.append(repr(e))
        if rounds == 0:
            b.predict(api_name="/rate_next")
            b.predict(_page(answer=["other", "1", "1", False, "B's own comment", ""]), api_name="/rate_autosave_0")
    # Every event handler, including those without an API name, through the raw protocol.
    deps = b.config["dependencies"]
    components = {c["id"]: c for c in b.config["components"]}
    page_input = next(c["id"] for c in b.config["components"] if c.get("props", {}).get("elem_id") == "rate-item-id")
    for fn_index, dep in enumerate(deps):
        n_inputs = len(dep["inputs"])
        # Those that take the page's answers (the item reference's place) also get the forged JSON, unnamed too.
        for probe in [None, probes[0], *(forged if page_input in dep["inputs"] else [])]:
            data = [None if components.get(i, {}).get("type") == "state" else probe for i in dep["inputs"]]
            seen.append(_raw_call(app.url, b.cookies, fn_index, data[:n_inputs]))
    leaked = [x for x in seen if SECRET in x]
    assert not leaked, f"B received A's text: {leaked[0][:300]}"
    assert _a_rows(app) == before
    # B's own work went to B's own rows only.
    b_id = app.svc.auth.lookup("ann_b").id
    with app.store.session() as s:
        b_rows = list(s.scalars(select(Rating).where(Rating.user_id == b_id)))
    assert b_rows and all(SECRET not in (r.comment or "") for r in b_rows)
    # The forged pages were read, not all refused: naming an item B holds, they changed B's own rows.
    assert any(r.comment == "B forged" for r in b_rows)


def test_model_names_never_reach_an_annotator(app):
    a = _client(app, "ann_a")
    out = repr(a.predict(api_name="/rate_load")) + repr(a.predict(api_name="/rate_next"))
    for column in app.config.columns:
        assert column.name not in out
    with pytest.raises(Exception, match="admin"):
        a.predict(True, api_name="/rate_reveal")
    with pytest.raises(Exception, match="admin"):
        a.predict(api_name="/rate_team")


def test_admin_can_reveal_and_see_progress(app):
    make_users(app.store, "boss", role="admin")
    # B's probes flagged the items B held, and an item with an open flag is offered to nobody: a fresh one.
    add_positions(app.store, 1)
    boss = _client(app, "boss")
    boss.predict(api_name="/rate_next")
    revealed = repr(boss.predict(True, api_name="/rate_reveal"))
    assert any(c.name in revealed for c in app.config.columns)
    team, _flags = boss.predict(api_name="/rate_team")  # the team's progress, then the flagged items
    names = [row[0] for row in team["data"]] if isinstance(team, dict) else [row[0] for row in team]
    assert {"ann_a", "ann_b", "boss"} <= set(names)


def test_unauthenticated_access_is_refused(app):
    with httpx.Client(timeout=10) as http:
        assert http.get(app.url + "/config").status_code in (401, 403)
        r = http.post(app.url + "/gradio_api/queue/join",
                      json={"data": [], "fn_index": 0, "session_hash": "x", "event_data": None, "trigger_id": None})
        assert r.status_code in (401, 403)
        r = http.post(app.url + "/gradio_api/call/rate_next", json={"data": []})
        assert r.status_code in (401, 403)
        page = http.get(app.url + "/")
        assert SECRET not in page.text
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; the point is that nothing connects
        Client(app.url, verbose=False, analytics_enabled=False).predict(api_name="/rate_load")
    with pytest.raises(Exception):  # noqa: B017
        Client(app.url, auth=("ann_a", "wrong-password"), verbose=False, analytics_enabled=False)
