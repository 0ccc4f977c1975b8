"""Bad input and faults: each gets a clear message, stores nothing partial, and leaves the rest working.

Covered, each against the real component (the running app through gradio_client or Chromium, the real
store, the real demo models): empty / whitespace / over-long messages; control characters and lone
surrogates; HTML and JavaScript in messages, replies, comments and corrected replies (a browser checks
that no script runs in the Chat, Rate and Compare tabs, and in the Export preview when that tab exists);
malformed dataset files and configs; a missing model path; a model that raises or runs out of memory
mid-stream; a read-only and a full database. Every bad input tried is counted; the total is printed at
the end of the module ("bad inputs tried: N").
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from fake_openai import FakeOpenAI
from gradio_clients import Client
from rating_fixtures import add_positions, make_users
from sqlalchemy import event, func, select
from ui_server import running_app

from workbench import chat
from workbench.config import REPO_ROOT, load_config, parse_config
from workbench.dialogue import Dialogue, Turn
from workbench.errors import ConfigError, DatasetError, InputError, StoreError
from workbench.services import build_services
from workbench.store.engine import Store
from workbench.store.schema import Dataset, Generation, Rating
from workbench.store.schema import Dialogue as DialogueRow
from workbench.store.schema import Turn as TurnRow
from workbench.validation import blank, validate_free_text, validate_message

TRIED: list[str] = []  # every bad input tried in this module (printed at the end)
MAX_CHARS = 4000
XSS = ['<img src=x onerror="window.__pwned=1">', "<script>window.__pwned=2</script>",
       '<svg onload="window.__pwned=3"></svg>', "[click](javascript:window.__pwned=4)",
       '<iframe srcdoc="<script>parent.__pwned=5</script>"></iframe>']
XSS_TEXT = "患者说 " + " ".join(XSS)


def tried(*what: str) -> None:
    TRIED.extend(what)


@pytest.fixture(scope="module", autouse=True)
def _report_count():
    yield
    print(f"\nbad inputs tried: {len(TRIED)}", file=sys.__stderr__)


def _cfg(tmp_path: Path, columns: list[dict], **extra: Any):
    return parse_config({"database_url": f"sqlite:///{tmp_path / 'bad.db'}", "columns": columns,
                         "annotation": {"users_file": None, "annotators_per_item": 1}, **extra}, "<bad input>")


def _remote(base_url: str, name: str = "Remote") -> dict:
    return {"name": name, "backend": "openai-compatible", "base_url": base_url, "model_name": "fake", "timeout_s": 10}


def _counts(store: Store) -> tuple[int, int, int]:
    with store.session() as s:
        return (s.scalar(select(func.count(DialogueRow.id))) or 0, s.scalar(select(func.count(TurnRow.id))) or 0,
                s.scalar(select(func.count(Generation.id))) or 0)


def _client(url: str, user: str | None = None) -> Client:
    auth = (user, "secret-pass-" + user) if user else None
    # Open mode's token travels as a header (ServerURL.headers); with logins it is empty.
    return Client(url, auth=auth, verbose=False, analytics_enabled=False, download_files=False,
                  headers=getattr(url, "headers", {}))


# --- messages -----------------------------------------------------------------------------------------

BAD_MESSAGES = {
    "empty": "",
    "spaces": "   ",
    "whitespace mix": " \t\n\r\n\u3000 ",
    "only control characters": "\x00\x01\x07\x1b\x7f",
    # walk s64: zero-width spaces, a byte-order mark, a word joiner: invisible, yet sent as an empty bubble
    "only invisible characters": "\u200b\u200b \ufeff\u2060\u200d",
    "100k characters": "咳" * 100_000,
    "limit + 1": "痛" * (MAX_CHARS + 1),
}


@pytest.mark.parametrize("case", list(BAD_MESSAGES))
def test_bad_message_is_refused_with_a_clear_message(case):
    tried(f"message: {case}")
    with pytest.raises(InputError) as e:
        validate_message(BAD_MESSAGES[case], MAX_CHARS)
    msg = str(e.value)
    assert ("empty" in msg) if "limit" not in case and "100k" not in case else (f"limit is {MAX_CHARS}" in msg)


def test_control_characters_and_surrogates_are_cleaned_not_stored():
    tried("control chars in message", "lone surrogate in message", "control chars in comment",
          "non-text message", "over-long comment")
    text = validate_message("我\x00咳\x1b[31m嗽\ud800了\r\n三天", MAX_CHARS)
    assert text == "我咳[31m嗽\ufffd了\n三天"
    assert not any(ord(c) < 32 and c not in "\n\t" for c in text)
    text.encode("utf-8")  # storable: no lone surrogate is left
    assert validate_free_text("好\x07的\udfff", 100, "comment") == "好的\ufffd"
    with pytest.raises(InputError, match="must be text"):
        validate_message(["not", "text"], MAX_CHARS)
    with pytest.raises(InputError, match="comment is 101 characters long; the limit is 100"):
        validate_free_text("x" * 101, 100, "comment")
    assert validate_free_text("\u200b\ufeff ", 100, "comment") is None  # nothing visible: no comment
    # an emoji joined by zero-width joiners, a zero-width space inside a word: kept as typed
    assert validate_message("\U0001f468\u200d\u2695\ufe0f 头\u200b痛", MAX_CHARS) == "\U0001f468\u200d\u2695\ufe0f 头\u200b痛"


@pytest.fixture
def remote_app(tmp_path, monkeypatch):
    """The real app (no logins) whose one column is a local model server that echoes a fixed reply."""
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    with FakeOpenAI(["您好，", "咳嗽多久了？"]) as model:
        svc = build_services(_cfg(tmp_path, [_remote(model.base_url)]))
        with running_app(svc) as url:
            yield svc, url, model
        svc.close()


def test_bad_messages_through_the_ui_store_nothing_and_the_next_message_works(remote_app):
    svc, url, model = remote_app
    client = _client(url)
    for case in ("empty", "whitespace mix", "only control characters", "only invisible characters", "100k characters"):
        tried(f"ui message: {case}")
        before = _counts(svc.store)
        out = client.predict(BAD_MESSAGES[case], api_name="/send")
        assert _counts(svc.store) == before, case  # nothing stored, not even an empty dialogue
        # outputs: the dialogue the browser remembers, then the message box, ..., last the refused text, which the
        # page puts back into the box so the user can fix it; blank space is cleared from the box instead (a walk
        # found spaces left there, and walk s68 zero-width characters)
        if not blank(BAD_MESSAGES[case]):
            assert out[-1] == BAD_MESSAGES[case], case
        else:
            unchanged = not isinstance(out[-1], str)  # an update that changes nothing: no text comes back
            assert out[1] == "" and (unchanged or out[-1] == ""), case
    assert model.requests == []
    tried("ui message: lone surrogate and control characters")
    # gradio_client cannot even encode a lone surrogate; a browser or script can send it as a JSON escape.
    fn = next(i for i, d in enumerate(client.config["dependencies"]) if d.get("api_name") == "send")
    # (every input in the protocol: the state, the message, the dialogue the browser remembers, none for a script)
    _raw_send(url, fn, "我\x00咳嗽\ud83d三天了", len(client.config["dependencies"][fn]["inputs"]))
    with svc.store.session() as s:
        turns = [t.text for t in s.scalars(select(TurnRow))]
        gens = list(s.scalars(select(Generation)))
    assert turns == ["我咳嗽\ufffd三天了"] or turns == ["我咳嗽三天了"]
    assert len(gens) == 1 and gens[0].status == "ok" and gens[0].output == "您好，咳嗽多久了？"


def _raw_send(url: str, fn_index: int, message: str, n_inputs: int = 2) -> str:
    """Call a handler through the queue protocol with ASCII-escaped JSON (lone surrogates survive it)."""
    import uuid

    import httpx

    session = uuid.uuid4().hex
    body = json.dumps({"data": [None, message] + [None] * (n_inputs - 2), "fn_index": fn_index, "session_hash": session,
                       "event_data": None, "trigger_id": None}, ensure_ascii=True)
    out = []
    with httpx.Client(timeout=30) as http:
        r = http.post(url.rstrip("/") + "/gradio_api/queue/join", content=body,
                      headers={"Content-Type": "application/json", **getattr(url, "headers", {})})
        assert r.status_code == 200, r.text
        with http.stream("GET", url.rstrip("/") + "/gradio_api/queue/data", params={"session_hash": session},
                         headers=getattr(url, "headers", {})) as resp:
            for line in resp.iter_lines():
                if line.startswith("data:"):
                    out.append(line)
                    if json.loads(line[5:]).get("msg") in ("process_completed", "unexpected_error"):
                        break
    return "\n".join(out)


# --- truncation: a long history within the message limit ---------------------------------------------


def _limit(backend: Any) -> int:
    """The backend's prompt budget in tokens (v1: max_input_tokens; v2: max_length minus the reply's room)."""
    for name in ("input_limit", "prompt_limit"):
        if hasattr(backend, name):
            return getattr(backend, name)()
    raise AssertionError(f"{backend.name}: no input limit")


def test_each_backend_keeps_the_latest_message_when_the_history_is_too_long(demo_config, tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    svc = build_services(demo_config.model_copy(update={"database_url": f"sqlite:///{tmp_path / 't.db'}"}))
    latest = "最后这句话一定要保留：孩子今天又发烧到三十九度了怎么办"
    turns = []
    for i in range(60):
        turns += [Turn("patient", f"第{i}轮：我最近一直咳嗽，晚上睡不好，已经{i}天了" * 3),
                  Turn("doctor", f"第{i}轮医生：咳嗽有痰吗？有没有发烧？" * 2)]
    long_dialogue = Dialogue((*turns, Turn("patient", latest)))
    assert all(len(t.text) <= svc.config.limits.max_message_chars for t in long_dialogue.turns)
    tried("history beyond v1's 768 tokens", "history beyond v2's max_length", "single message beyond v1's limit")
    v1, v2 = svc.backends["BianQue-1.0"], svc.backends["BianQue-2.0"]
    p1 = v1.plan(long_dialogue)
    assert p1.input.endswith(latest + "\\n医生：") and "oldest" in p1.reason
    assert v1.count_tokens(p1.input) <= _limit(v1) == v1.gen.max_input_tokens
    p2 = v2.plan(long_dialogue)
    assert p2.input.rstrip().endswith(latest + "\n医生：") and "oldest" in p2.reason
    assert v2.count_tokens(p2.input) <= _limit(v2) < v2.gen.max_length
    # One allowed-but-huge message alone: its end (the question) is kept, with the trailing 医生：.
    huge = Dialogue((Turn("patient", "你好"), Turn("doctor", "你好"),
                     Turn("patient", "背景" * 1900 + "请问该怎么办")))
    p = v1.plan(huge)
    assert p.input.endswith("请问该怎么办\\n医生：") and v1.count_tokens(p.input) <= v1.gen.max_input_tokens
    svc.close()


# --- markup stays inert in every view ---------------------------------------------------------------


def test_markup_in_messages_replies_comments_and_corrections_never_runs(tmp_path, monkeypatch):
    """Chromium: the payload goes into a message (Chat), the model's reply (Chat, Rate), a comment and a
    corrected reply (Rate), and the stored data behind Compare and Export. ``window.__pwned`` must stay
    undefined and no injected element may appear. Views covered: chat, rate, compare, and the export
    preview when the Export tab is part of the app."""
    from browser import launch
    from playwright.sync_api import sync_playwright

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    tried(*[f"markup: {x[:20]}" for x in XSS], "markup in comment", "markup in corrected reply",
          "markup in model reply")
    with FakeOpenAI(["回复：", XSS_TEXT]) as model:
        cfg = _cfg(tmp_path, [_remote(model.base_url)])
        svc = build_services(cfg, auth_enabled=True)
        make_users(svc.store, "boss", role="admin")
        make_users(svc.store, "rater")  # the chat's author never rates it (blind): another annotator does
        with running_app(svc, auth=True) as url, sync_playwright() as pw:
            browser = launch(pw)
            page = browser.new_page()
            page.goto(url)
            page.locator("input[type=text]").first.fill("boss")
            page.locator("input[type=password]").first.fill("secret-pass-boss")
            page.get_by_role("button", name="Sign in").click()
            page.locator("#patient-message textarea").fill(XSS_TEXT)
            page.locator("#send").click()
            page.locator(".column-chat", has_text="回复：").first.wait_for(timeout=30_000)
            page.wait_for_timeout(500)
            views = ["chat"]
            rater = browser.new_page()
            rater.goto(url)
            rater.locator("input[type=text]").first.fill("rater")
            rater.locator("input[type=password]").first.fill("secret-pass-rater")
            rater.get_by_role("button", name="Sign in").click()
            rater.get_by_role("tab", name="Rate").click()
            rater.locator("#rate-progress", has_text="Mine:").wait_for(timeout=30_000)
            rater.locator("#rate-next").click()
            rater.locator("#rate-col-0").wait_for(state="visible", timeout=30_000)
            rater.locator("#rate-comment-0 textarea").fill(XSS_TEXT)
            rater.locator("#rate-corrected-0 textarea").fill(XSS_TEXT)
            rater.locator("#rate-tt-0 input[value='question']").click()
            rater.locator("#rate-q-0 input[value='3']").click()
            rater.locator("#rate-s-0 input[value='N/A']").click()
            rater.locator("#rate-submit").click()
            rater.locator("#rate-saved", has_text="submitted").wait_for(timeout=30_000)
            rater_pwned = rater.evaluate("() => window.__pwned")
            views.append("rate")
            tab_names = [t.strip() for t in page.get_by_role("tab").all_inner_texts()]
            if "Compare" in tab_names:
                page.get_by_role("tab", name="Compare").click()
                page.locator("#compare-refresh").click()
                page.locator("#compare-summary", has_text="Rows after filtering").wait_for(timeout=60_000)
                views.append("compare")
            if "Export" in tab_names:
                page.get_by_role("tab", name="Export").click()
                page.locator("#export-run").click()
                page.locator("#export-summary textarea").wait_for(timeout=30_000)
                page.wait_for_timeout(2000)
                views.append("export preview")
            pwned = page.evaluate("() => window.__pwned")
            injected = page.evaluate(
                "() => document.querySelectorAll('[onerror], [onload], iframe[srcdoc], a[href^=\"javascript:\"]').length"
                " + Array.from(document.scripts).filter(s => s.textContent.includes('__pwned')).length")
            page.screenshot(path=str(REPO_ROOT / "tests" / "artifacts" / "bad_input_xss.png"), full_page=True)
            browser.close()
        with svc.store.session() as s:
            r = s.scalars(select(Rating)).one()
        svc.close()
    print(f"markup checked in views: {', '.join(views)}")
    assert views[:2] == ["chat", "rate"]
    assert pwned is None and rater_pwned is None, f"a script ran (window.__pwned = {pwned}, {rater_pwned})"
    assert injected == 0
    assert r.comment == XSS_TEXT and r.corrected_reply == XSS_TEXT  # stored as typed, shown as text


# --- malformed dataset files and configs ----------------------------------------------------------------


BAD_DATASETS = {
    "bad_rows.csv": (REPO_ROOT / "tests" / "data" / "import_bianque_bad.csv").read_bytes(),
    "broken.jsonl": b'{"input": "\\u75c5\\u4eba\\uff1a\\u5934\\u75db\\\\n\\u533b\\u751f\\uff1a", "target": "ok"}\n{not json\n',
    "binary.csv": b"\xff\xfe\x00\x00garbage\x00\x01",
    "empty.jsonl": b"",
    "wrong_shape.json": b'{"turns": "not a list"}',
}


@pytest.mark.parametrize("name", list(BAD_DATASETS))
def test_malformed_dataset_names_the_file_and_stores_nothing(name, tmp_path):
    from workbench.datasets.store_import import import_dataset

    tried(f"dataset: {name}")
    path = tmp_path / name
    path.write_bytes(BAD_DATASETS[name])
    store = Store(f"sqlite:///{tmp_path / 'ds.db'}")
    with pytest.raises(DatasetError) as e:
        import_dataset(store, path)
    text = str(e.value) + " ".join(e.value.row_errors)
    assert name in text or str(path) in text, text
    with store.session() as s:
        assert s.scalar(select(func.count(Dataset.id))) == 0
        assert s.scalar(select(func.count(DialogueRow.id))) == 0
    store.dispose()


BAD_CONFIGS = {
    "not yaml": ("columns: [unclosed", "not valid YAML"),
    "top level list": ("- a\n- b\n", "top level must be a mapping"),
    "no columns": ("database_url: sqlite:///x.db\n", "columns"),
    "unknown backend": ("columns:\n  - {name: A, backend: gpt5}\n", "allowed: bianque-v1"),
    "unknown key": ("colums: []\ncolumns:\n  - {name: A, backend: openai-compatible, base_url: x, model_name: m}\n",
                    "colums: unknown key"),
    "bad type": ("columns:\n  - {name: A, backend: openai-compatible, base_url: x, model_name: m, timeout_s: soon}\n",
                 "columns.0.openai-compatible.timeout_s"),
    "bad device": ("columns:\n  - {name: A, backend: bianque-v1, model: {path: x, device: tpu}}\n", "device must be"),
    "hybrid to nowhere": ("columns:\n  - {name: H, backend: hybrid, v1_column: a, v2_column: b}\n", "is not a column"),
    "key in api_key_env": ("columns:\n  - {name: A, backend: openai-compatible, base_url: x, model_name: m, "
                           "api_key_env: 'sk-123-abc'}\n", "NAME of an environment variable"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_malformed_config_names_the_file_and_the_key(case, tmp_path):
    tried(f"config: {case}")
    text, expected = BAD_CONFIGS[case]
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    msg = str(e.value)
    assert str(path) in msg and expected in msg, msg


def test_missing_config_file_and_users_file(tmp_path):
    from workbench.auth import load_users_file

    tried("config: missing file", "users file: malformed")
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "users.yaml"
    bad.write_text("users:\n  - {username: a}\n", encoding="utf-8")
    store = Store(f"sqlite:///{tmp_path / 'u.db'}")
    with pytest.raises(ConfigError, match=r"users\.yaml: users\.0: needs username and password"):
        load_users_file(store, bad)
    store.dispose()


# --- a missing model; a model failing mid-stream -----------------------------------------------------------


def test_missing_model_path_fails_only_its_column_through_the_ui(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    missing = tmp_path / "no" / "such" / "BianQue-1.0"
    tried("model path: missing folder")
    with FakeOpenAI(["好的，", "请多喝水。"]) as model:
        cfg = _cfg(tmp_path, [
            {"name": "Broken-v1", "backend": "bianque-v1", "greeting": None,
             "model": {"path": str(missing), "device": "cpu", "dtype": "float32"}},
            _remote(model.base_url, "Remote")])
        svc = build_services(cfg)
        assert str(missing) in (svc.warm_up()["Broken-v1"] or "")
        with running_app(svc) as url:
            client = _client(url)
            client.predict("我咳嗽三天了", api_name="/send")
            client.predict("晚上更厉害", api_name="/send")  # and the app keeps working
        with svc.store.session() as s:
            gens = {(g.turn_index, g.column_name): g for g in s.scalars(select(Generation))}
        svc.close()
    for turn in (1, 3):
        broken, ok = gens[(turn, "Broken-v1")], gens[(turn, "Remote")]
        assert broken.status == "error" and str(missing) in broken.error and broken.output == ""
        assert ok.status == "ok" and ok.output == "好的，请多喝水。"


class _FailAfter:
    """A forward hook on a real decoder block that raises after ``n`` decoding steps."""

    def __init__(self, n: int, exc: BaseException) -> None:
        self.n, self.exc, self.calls = n, exc, 0

    def __call__(self, _module, _inputs, _output) -> None:
        self.calls += 1
        if self.calls > self.n:
            raise self.exc


@pytest.mark.parametrize("fault", ["oom", "runtime"])
def test_model_failing_mid_stream_is_stored_as_an_error_and_others_continue(fault, demo_config, tmp_path,
                                                                            monkeypatch):
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    tried(f"model fault mid-stream: {fault}")
    exc = (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB") if fault == "oom"
           else RuntimeError("cuBLAS kernel failed"))
    with FakeOpenAI(["建议", "多休息。"], delay_s=0.05) as model:
        v1 = next(c for c in demo_config.columns if c.backend == "bianque-v1").model_copy(
            update={"greeting": None, "generation": demo_config.columns[0].generation.model_copy(
                update={"max_new_tokens": 40, "do_sample": False})})
        cfg = _cfg(tmp_path, [v1.model_dump(), _remote(model.base_url)], demo=True)
        svc = build_services(cfg)
        t5 = svc.pool.model("bianque-v1", svc.config.columns[0].model).get().model
        hook = _FailAfter(3, exc)
        handle = t5.decoder.block[0].register_forward_hook(hook)
        try:
            did, pos = chat.send(svc, None, "我咳嗽三天了，晚上睡不好", user_id=None)
            updates = list(chat.run(svc, did, pos, chat.jobs_for(svc, did, pos, svc.columns)))
        finally:
            handle.remove()
        with svc.store.session() as s:
            gens = {g.column_name: g for g in s.scalars(select(Generation))}
        # The model still works once the fault is gone.
        did2, pos2 = chat.send(svc, did, "还有点发烧", user_id=None)
        again = [u for u in chat.run(svc, did2, pos2, chat.jobs_for(svc, did2, pos2, [v1.name])) if u.final]
        svc.close()
    assert hook.calls > 3  # the fault really happened mid-stream, after some decoding steps
    broken, ok = gens[v1.name], gens["Remote"]
    assert broken.status == "error"
    assert ("out of memory" in broken.error) if fault == "oom" else ("cuBLAS kernel failed" in broken.error)
    assert broken.error not in (broken.output or "") and "Error" not in (broken.output or "")
    assert ok.status == "ok" and ok.output == "建议多休息。"
    finals = {u.column: u for u in updates if u.final}
    assert finals[v1.name].status == "error" and finals["Remote"].status == "ok"
    assert again and again[0].status == "ok"
    # An error reply is never offered for rating.
    store = Store(cfg.effective_database_url)
    from workbench.annotate.queue import sync_queue

    with store.session() as s:
        sync_queue(s)
        from workbench.store.schema import QueueItem

        items = list(s.scalars(select(QueueItem)))
    assert all((i.dialogue_id, i.turn_index) != (broken.dialogue_id, broken.turn_index) or ok for i in items)
    store.dispose()


# --- a read-only or full database -------------------------------------------------------------------------


def _rating_app(tmp_path: Path):
    """A database with one ratable item and an annotator who holds it (claimed through the real app)."""
    cfg = _cfg(tmp_path, [_remote("http://127.0.0.1:9/v1", c) for c in ("Col-A",)])
    store = Store(cfg.effective_database_url)
    add_positions(store, 2, ("Col-A",))
    make_users(store, "ann")
    svc = build_services(cfg, store=store, auth_enabled=True)
    with running_app(svc, auth=True) as url:
        item = json.loads(_client(url, "ann").predict(api_name="/rate_api_next"))["item"]
    return cfg, svc, item


def _payload(item: dict) -> str:
    form = {"turn_type": "question", "questioning": 4, "suggestion": "N/A", "comment": "备注" * 900,
            "corrected_reply": "更好的回答" * 700}
    return json.dumps({"item_id": item["item_id"], "ratings": {r["label"]: form for r in item["replies"]}})


def _ratings(store: Store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count(Rating.id))) or 0


def test_a_draft_of_an_account_disabled_meanwhile_says_so_on_the_saved_line(tmp_path):
    """Walk 9: after an admin disabled the account, every keystroke's save popped up the refusal (three stacked)
    while the saved line still said "draft saved". The line now says the draft was not saved, and why; a save
    raises no pop-up (the submit still does)."""
    from workbench.auth import set_active

    cfg, svc, item = _rating_app(tmp_path)
    with running_app(svc, auth=True) as url:
        ann = _client(url, "ann")
        ann.predict(api_name="/rate_load")
        set_active(svc.store, "ann", False)
        answers = json.dumps({"answers": [["question", "4", "N/A", False, "c", ""]]})
        out = ann.predict(answers, api_name="/rate_autosave_0")
        line = next(x for x in out if isinstance(x, str) and "disabled" in html.unescape(x))
        assert "not saved" in html.unescape(line).lower(), line
        with pytest.raises(Exception, match="disabled"):
            ann.predict(answers, api_name="/rate_submit")
    svc.close()
    assert _ratings(Store(cfg.effective_database_url)) == 0


def test_read_only_database_gives_a_clear_message_and_acknowledges_nothing(tmp_path):
    cfg, svc, item = _rating_app(tmp_path)
    svc.close()
    db = Path(cfg.effective_database_url.removeprefix("sqlite:///"))
    tried("database: read-only", "database: read-only at startup")
    with pytest.raises(StoreError, match="read-only"):  # starting on it says so, naming nothing written
        from workbench.services import build_store

        build_store(cfg.model_copy(update={"database_url": f"sqlite:///file:{db}?mode=ro&uri=true"}))
    ro = Store(f"sqlite:///file:{db}?mode=ro&uri=true")
    svc = build_services(cfg, store=ro, auth_enabled=True)
    with running_app(svc, auth=True) as url:
        ann = _client(url, "ann")
        with pytest.raises(Exception, match="read-only: nothing was saved"):
            ann.predict(_payload(item), api_name="/rate_api_submit")
        # The Rate tab's own submit button says the same, in the tab.
        ann.predict(api_name="/rate_load")
        # The page sends the answers on screen as JSON (workbench/ui/rate_payload.py): box A rated, no preference.
        answers = json.dumps({"answers": [["question", "4", "N/A", False, "c", ""]]})
        out = ann.predict(answers, api_name="/rate_submit")
        # The Markdown holds the message as inert text (character references): compare what it displays.
        assert any(isinstance(x, str) and "not submitted" in x and "read-only" in html.unescape(x) for x in out)
        # Reading still works: the item is shown.
        assert "No item open" not in repr(ann.predict(api_name="/rate_load"))
    svc.close()
    rw = Store(f"sqlite:///{db}")
    assert _ratings(rw) == 0
    rw.dispose()


def test_full_database_gives_a_clear_message_and_acknowledges_nothing(tmp_path):
    cfg, svc, item = _rating_app(tmp_path)
    store = svc.store
    with store.engine.connect() as c:
        pages = c.exec_driver_sql("PRAGMA page_count").scalar()

    def cap(dbapi_conn, _record) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    tried("database: full (rating submit)", "database: full (chat message)")
    event.listen(store.engine, "connect", cap)
    store.engine.dispose()  # every new connection gets the cap
    with running_app(svc, auth=True) as url:
        ann = _client(url, "ann")
        with pytest.raises(Exception, match="disk is full: nothing was saved"):
            ann.predict(_payload(item), api_name="/rate_api_submit")
        assert _ratings(store) == 0
        before = _counts(store)
        ann.predict("我咳嗽三天了" * 400, api_name="/send")
        assert _counts(store) == before
        # Space again: the same submit goes through, once.
        event.remove(store.engine, "connect", cap)
        store.engine.dispose()
        out = json.loads(ann.predict(_payload(item), api_name="/rate_api_submit"))
        assert out["ok"] is True
    assert _ratings(store) == 1
    svc.close()


def test_api_payload_errors_are_clear(tmp_path):
    """The JSON rating API refuses malformed payloads with a message and writes nothing."""
    cfg, svc, item = _rating_app(tmp_path)
    bad = {"not json": "{item_id: 1", "a list": "[1, 2]", "no ratings": json.dumps({"item_id": item["item_id"]}),
           "string id": json.dumps({"item_id": "1", "ratings": {}}),
           "missing reply": json.dumps({"item_id": item["item_id"], "ratings": {}}),
           "score 9": json.dumps({"item_id": item["item_id"], "ratings": {"A": {"turn_type": "question",
                                                                                 "questioning": 9,
                                                                                 "suggestion": "N/A"}}}),
           "unknown turn type": json.dumps({"item_id": item["item_id"], "ratings": {
               "A": {"turn_type": "<b>x</b>", "questioning": 3, "suggestion": 3}}}),
           "item not held": json.dumps({"item_id": 999_999, "ratings": {}})}
    with running_app(svc, auth=True) as url:
        ann = _client(url, "ann")
        for case, payload in bad.items():
            tried(f"rating api: {case}")
            with pytest.raises(Exception) as e:
                ann.predict(payload, api_name="/rate_api_submit")
            assert len(str(e.value)) > 10 and "<b>" not in str(e.value), (case, str(e.value))
    assert _ratings(svc.store) == 0
    svc.close()


def test_api_refuses_wrong_types_instead_of_coercing_them(tmp_path):
    """``"safety_flag": "false"`` and ``"questioning": 3.7`` are refused with the field named; nothing is stored.

    The same payload with proper JSON types is then accepted, and stores exactly what was sent.
    """
    cfg, svc, item = _rating_app(tmp_path)
    labels = [r["label"] for r in item["replies"]]

    def payload(**changes: Any) -> str:
        form = {"turn_type": "question", "questioning": 4, "suggestion": "N/A", "safety_flag": False, **changes}
        return json.dumps({"item_id": item["item_id"], "ratings": {x: form for x in labels},
                           "preference": labels[0] if len(labels) > 1 else None})

    wrong = {"safety_flag": ({"safety_flag": "false"}, "safety_flag"),
             "fractional score": ({"questioning": 3.7}, "questioning"),
             "score as text": ({"suggestion": "3"}, "suggestion"),
             "boolean score": ({"questioning": True}, "questioning"),
             "safety as number": ({"safety_flag": 0}, "safety_flag"),
             "unknown field": ({"safty_flag": True}, "safty_flag")}
    with running_app(svc, auth=True) as url:
        ann = _client(url, "ann")
        for case, (change, field) in wrong.items():
            tried(f"rating api: {case}")
            with pytest.raises(Exception) as e:
                ann.predict(payload(**change), api_name="/rate_api_submit")
            assert field in str(e.value) and labels[0] in str(e.value), (case, str(e.value))
        assert _ratings(svc.store) == 0
        out = json.loads(ann.predict(payload(safety_flag=True, questioning=3), api_name="/rate_api_submit"))
        assert out["ok"] is True
    with svc.store.session() as s:
        stored = s.scalars(select(Rating)).all()
    assert len(stored) == len(labels)
    assert all(r.safety_flag is True and r.scores == {"questioning": 3, "suggestion": "na"} for r in stored)
    svc.close()
