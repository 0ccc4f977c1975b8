"""Safe defaults: loopback, no share link unless asked (and then a warning), logins beyond loopback,
trust_remote_code only from an explicit config line, admin-only export/reveal, API keys kept out of logs
and the database, and every endpoint of the real app refused without a valid login.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fake_openai import FakeOpenAI
from gradio_clients import Client
from rating_fixtures import RunningApp, add_positions, make_users
from sqlalchemy import select, update

from workbench.config import REPO_ROOT, load_config, parse_config
from workbench.errors import ConfigError, ModelLoadError
from workbench.store.schema import Dataset, User

sys.path.insert(0, str(REPO_ROOT))
import launch  # noqa: E402

NO_MODEL_COLUMN = {"name": "Remote", "backend": "openai-compatible", "base_url": "http://127.0.0.1:9/v1",
                   "model_name": "none", "timeout_s": 2}


def _config_file(tmp_path: Path, **extra: Any) -> Path:
    data = {"database_url": f"sqlite:///{tmp_path / 'wb.db'}", "columns": [NO_MODEL_COLUMN],
            "annotation": {"users_file": None}, **extra}
    p = tmp_path / "cfg.yaml"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    return p


# --- listening address, share, logins -----------------------------------------------------------------


def test_defaults_are_loopback_no_share_no_public(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_AUTH", raising=False)
    cfg = load_config(_config_file(tmp_path))
    plan = launch.plan_launch(launch.parse_args([]), cfg)
    assert plan.host == "127.0.0.1" and plan.share is False and plan.warnings == []
    # Every shipped config listens on loopback.
    for shipped in sorted((REPO_ROOT / "configs").glob("*.yaml")):
        assert load_config(shipped).server.host == "127.0.0.1", shipped


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_non_loopback_without_logins_is_refused(tmp_path, monkeypatch, capsys, host):
    monkeypatch.delenv("WORKBENCH_AUTH", raising=False)
    cfg_path = _config_file(tmp_path)
    with pytest.raises(ConfigError, match="requires logins"):
        launch.plan_launch(launch.parse_args(["--host", host]), load_config(cfg_path))
    assert launch.main(["--config", str(cfg_path), "--host", host, "--no-warm-up"]) == 2
    assert "requires logins" in capsys.readouterr().err
    assert not (tmp_path / "wb.db").exists()  # refused before anything was built
    ok = launch.plan_launch(launch.parse_args(["--host", host, "--auth", "boss:secret-pass"]), load_config(cfg_path))
    assert ok.auth_enabled and ok.host == host


def test_missing_users_file_is_an_error_not_an_open_server(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_AUTH", raising=False)
    cfg = load_config(_config_file(tmp_path))
    with pytest.raises(ConfigError, match="users file not found"):
        launch.plan_launch(launch.parse_args(["--users", str(tmp_path / "nope.yaml")]), cfg)


def test_share_only_with_the_flag_and_then_a_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("WORKBENCH_AUTH", raising=False)
    cfg_path = _config_file(tmp_path)
    cfg = load_config(cfg_path)
    assert launch.plan_launch(launch.parse_args(["--auth", "boss:secret-pass"]), cfg).share is False
    with pytest.raises(ConfigError, match="--share requires logins"):
        launch.plan_launch(launch.parse_args(["--share"]), cfg)
    plan = launch.plan_launch(launch.parse_args(["--share", "--auth", "boss:secret-pass"]), cfg)
    assert plan.share is True and plan.warnings == [launch.SHARE_WARNING]
    # The real main(): the warning is printed before Gradio is asked to launch. The port is taken, so
    # launch() fails before it could open a tunnel (no internet is needed or used).
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError):
            launch.main(["--config", str(cfg_path), "--share", "--auth", "boss:secret-pass", "--port", str(port),
                         "--no-warm-up"])
    err = capsys.readouterr().err
    assert launch.SHARE_WARNING in err


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (Linux /proc/net)."""
    out = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            addr, p = parts[1].split(":")
            if int(p, 16) == port and parts[3] == "0A":  # 0A = LISTEN
                out.add(addr if len(addr) == width else addr)
    return out


def test_the_running_app_gets_share_false_and_listens_on_loopback_only(tmp_path, monkeypatch):
    from workbench.services import build_services
    from workbench.ui.app import build_app

    monkeypatch.delenv("WORKBENCH_AUTH", raising=False)
    cfg = load_config(_config_file(tmp_path))
    plan = launch.plan_launch(launch.parse_args(["--port", str(_free_port())]), cfg)
    svc = build_services(cfg, auth_enabled=plan.auth_enabled)
    demo = build_app(svc)
    opts = launch.launch_options(plan, svc)
    assert opts["share"] is False and opts["server_name"] == "127.0.0.1"
    assert opts["quiet"] is True  # no Gradio banner telling the user to "set share=True" (walk s67)
    demo.launch(prevent_thread_lock=True, **opts)
    try:
        assert demo.share is False and demo.share_url is None
        assert _listening_addresses(plan.port) == {"0100007F"}  # 127.0.0.1, nothing else
    finally:
        demo.close()
        svc.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- trust_remote_code --------------------------------------------------------------------------------


def test_trust_remote_code_is_off_in_every_shipped_config():
    for shipped in sorted((REPO_ROOT / "configs").glob("*.yaml")):
        raw = shipped.read_text(encoding="utf-8")
        cfg = load_config(shipped)
        for col in cfg.columns:
            model = getattr(col, "model", None)
            if model is not None:
                assert model.trust_remote_code is False, (shipped, col.name)
        assert "trust_remote_code: true" not in raw.lower()


def _tiny_causal_checkpoint(folder: Path, marker: Path) -> Path:
    """A real tiny GPT-2 checkpoint with a chat template, whose config also points at shipped code that
    would create ``marker`` if it were ever executed."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    folder.mkdir(parents=True)
    vocab = {"<unk>": 0, "<eos>": 1, **{c: i + 2 for i, c in enumerate("病人医生：你好咳嗽发烧多久了？")}}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="<unk>", eos_token="<eos>", pad_token="<eos>")
    tok.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    tok.save_pretrained(folder)
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_positions=64, n_embd=16, n_layer=1, n_head=2,
                               eos_token_id=1, bos_token_id=1)).save_pretrained(folder)
    (folder / "evil.py").write_text(
        "from pathlib import Path\n"
        f"Path({str(marker)!r}).write_text('remote code ran')\n"
        "from transformers import GPT2Config, GPT2LMHeadModel\n"
        "class EvilConfig(GPT2Config):\n    pass\n"
        "class EvilModel(GPT2LMHeadModel):\n    config_class = EvilConfig\n", encoding="utf-8")
    cfg = json.loads((folder / "config.json").read_text())
    cfg["auto_map"] = {"AutoConfig": "evil.EvilConfig", "AutoModelForCausalLM": "evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    return folder


def test_a_column_without_the_flag_never_runs_checkpoint_code(tmp_path, monkeypatch):
    from workbench.models import hf_causal

    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "modules"))
    marker = tmp_path / "REMOTE_CODE_RAN"
    ckpt = _tiny_causal_checkpoint(tmp_path / "ckpt", marker)
    col = {"name": "Tiny", "backend": "hf-causal", "model": {"path": str(ckpt), "device": "cpu", "dtype": "float32"}}
    cfg = parse_config({"columns": [col]}, "<test>")
    source = cfg.columns[0].model
    assert source.trust_remote_code is False  # not written in the config = off
    loaded = hf_causal.load_model(source, hf_causal.load_tokenizer(source))
    assert type(loaded.model).__name__ == "GPT2LMHeadModel"
    assert not marker.exists(), "checkpoint code ran without trust_remote_code in the config"
    # Control: the explicit config line is what turns it on (so the check above can fail).
    trusted = parse_config({"columns": [{**col, "model": {**col["model"], "trust_remote_code": True}}]}, "<test>")
    try:
        hf_causal.load_model(trusted.columns[0].model, hf_causal.load_tokenizer(trusted.columns[0].model))
    except ModelLoadError:
        pass  # whether the shipped code then loads is not the point; that it was executed is
    assert marker.exists()


def test_a_checkpoint_that_needs_its_own_code_says_how_to_allow_it(tmp_path, monkeypatch):
    """transformers' own advice names an argument a user cannot pass and a hub URL made of a local path."""
    from workbench.models import hf_causal

    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "modules"))
    marker = tmp_path / "REMOTE_CODE_RAN"
    ckpt = _tiny_causal_checkpoint(tmp_path / "ckpt", marker)
    cfg = json.loads((ckpt / "config.json").read_text())
    (ckpt / "config.json").write_text(json.dumps({**cfg, "model_type": "evil-unknown"}), encoding="utf-8")
    col = {"name": "Tiny", "backend": "hf-causal", "model": {"path": str(ckpt), "device": "cpu", "dtype": "float32"}}
    source = parse_config({"columns": [col]}, "<test>").columns[0].model
    with pytest.raises(ModelLoadError, match="needs its own model code.*trust_remote_code: true") as e:
        hf_causal.load_model(source, hf_causal.load_tokenizer(source))
    assert "hf.co" not in str(e.value) and not marker.exists()


# --- API keys -----------------------------------------------------------------------------------------


def test_api_key_is_read_from_the_environment_and_never_logged_or_stored(tmp_path, monkeypatch, caplog):
    from workbench import chat
    from workbench.services import build_services

    key = "sk-test-" + uuid.uuid4().hex
    monkeypatch.setenv("WB_TEST_API_KEY", key)
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    caplog.set_level(logging.DEBUG)  # httpx/httpcore included: the key must not appear even at DEBUG
    with FakeOpenAI(["您好，", "咳嗽多久了？"]) as server:
        col = {"name": "Remote", "backend": "openai-compatible", "base_url": server.base_url,
               "model_name": "fake", "api_key_env": "WB_TEST_API_KEY", "timeout_s": 10}
        cfg = parse_config({"database_url": f"sqlite:///{tmp_path / 'k.db'}", "columns": [col],
                            "annotation": {"users_file": None}}, "<key test>")
        svc = build_services(cfg)
        did, pos = chat.send(svc, None, "我咳嗽三天了", user_id=None)
        finals = [u for u in chat.run(svc, did, pos, chat.jobs_for(svc, did, pos, svc.columns)) if u.final]
        from workbench.dialogue import Dialogue, Turn

        thread = chat.threads(svc, did)["Remote"]
        plan = svc.backends["Remote"].plan(Dialogue(thread.turns + (Turn("patient", "还有点发烧"),)))
        svc.close()
    assert finals and finals[0].status == "ok" and finals[0].text == "您好，咳嗽多久了？"
    assert server.requests[0]["headers"].get("Authorization") == f"Bearer {key}"  # it was used
    assert key not in caplog.text
    assert key not in repr(plan) and key not in json.dumps(cfg.model_dump(), default=str)
    for f in tmp_path.glob("k.db*"):  # the database and its WAL
        assert key.encode() not in f.read_bytes(), f
    # A key written into the config instead of an environment variable's name is refused.
    with pytest.raises(ConfigError, match="NAME of an environment variable"):
        parse_config({"columns": [{**col, "api_key_env": key}]}, "<key test>")
    # A missing variable is named; no key is made up.
    monkeypatch.delenv("WB_TEST_API_KEY")
    with pytest.raises(ModelLoadError, match="WB_TEST_API_KEY is not set"):
        build_services(cfg).backends["Remote"].check_ready()


# --- every endpoint refused without a valid login -----------------------------------------------------

ADMIN_ONLY = ("export", "compare", "rate_reveal", "rate_team", "rate_release", "import_dataset",
              "batch_generate", "batch_stop", "quality", "gold", "accounts")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = RunningApp(tmp_path_factory.mktemp("safe"), k=2)
    add_positions(running.store, 2)
    make_users(running.store, "ann", "gone")
    make_users(running.store, "boss", role="admin")
    yield running
    running.close()


def _login(app: RunningApp, name: str) -> Client:
    return Client(app.url, auth=(name, "secret-pass-" + name), verbose=False, analytics_enabled=False,
                  download_files=False)


def _endpoints(app: RunningApp) -> tuple[list[str], int]:
    """Every named endpoint (as the admin sees them) and the number of event handlers."""
    boss = _login(app, "boss")
    named = list(boss.view_api(return_format="dict", print_info=False)["named_endpoints"])
    return named, len(boss.config["dependencies"])


def _queue_call(url: str, cookies: dict[str, str] | None, fn_index: int, n_inputs: int) -> tuple[int, str]:
    session = uuid.uuid4().hex
    base = url + "/gradio_api/"
    with httpx.Client(cookies=cookies or {}, timeout=30) as http:
        join = http.post(base + "queue/join", json={"data": [None] * n_inputs, "fn_index": fn_index,
                                                    "session_hash": session, "event_data": None,
                                                    "trigger_id": None})
        if join.status_code != 200:
            return join.status_code, join.text
        msgs = []
        with http.stream("GET", base + "queue/data", params={"session_hash": session}) as resp:
            for line in resp.iter_lines():
                if line.startswith("data:"):
                    msg = json.loads(line[5:])
                    msgs.append(msg)
                    if msg.get("msg") in ("process_completed", "close_stream", "unexpected_error"):
                        break
        return 200, json.dumps(msgs, ensure_ascii=False)


def test_every_endpoint_is_refused_without_a_login(app):
    named, n_handlers = _endpoints(app)
    assert {"/rate_submit", "/rate_api_submit", "/send", "/rate_reveal"} <= set(named)
    forged = {"access-token": "forged", "access-token-unsecure": "forged"}
    tried = 0
    with httpx.Client(timeout=10) as http:
        for path in ("/config", "/gradio_api/info", "/gradio_api/openapi.json"):
            assert http.get(app.url + path).status_code in (401, 403), path
        assert "ann" not in http.get(app.url + "/gradio_api/user").text  # "who am I" knows nobody
        for name in named:
            for route in ("call", "call/v2", "run", "api"):
                for cookies in (None, forged):
                    r = http.post(f"{app.url}/gradio_api/{route}{name}", json={"data": []}, cookies=cookies)
                    assert r.status_code in (401, 403), (route, name, r.status_code, r.text[:200])
                    tried += 1
    for fn_index in range(n_handlers):
        for cookies in (None, forged):
            status, body = _queue_call(app.url, cookies, fn_index, 0)
            assert status in (401, 403), (fn_index, status, body[:200])
            tried += 1
    print(f"unauthenticated calls refused: {tried}")
    with pytest.raises(Exception):  # noqa: B017 - any refusal; the point is that nothing connects
        Client(app.url, verbose=False, analytics_enabled=False).predict(api_name="/rate_load")


@pytest.mark.parametrize("who", ["wrong password", "unknown user", "disabled user"])
def test_wrong_credentials_get_no_session(app, who):
    name, password = {"wrong password": ("ann", "not-the-password"), "unknown user": ("mallory", "secret-pass-x"),
                      "disabled user": ("gone", "secret-pass-gone")}[who]
    if who == "disabled user":
        with app.store.session() as s:
            s.execute(update(User).where(User.username == "gone").values(active=False))
    try:
        with httpx.Client(timeout=10) as http:
            r = http.post(app.url + "/login", data={"username": name, "password": password})
            assert r.status_code >= 400
            assert not any(c.startswith("access-token") for c in http.cookies)
            assert http.get(app.url + "/config").status_code in (401, 403)
        with pytest.raises(Exception):  # noqa: B017
            Client(app.url, auth=(name, password), verbose=False, analytics_enabled=False)
    finally:
        with app.store.session() as s:
            s.execute(update(User).where(User.username == "gone").values(active=True))


def _row_counts(app: RunningApp) -> dict[str, int]:
    from sqlalchemy import text

    from workbench.store.schema import Base

    with app.store.session() as s:
        return {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in Base.metadata.tables}


def _sensitive(app: RunningApp) -> list[str]:
    """Strings a handler must not send to a disabled user: model names, stored replies, account names."""
    from workbench.store.schema import Generation

    with app.store.session() as s:
        replies = [g.output for g in s.scalars(select(Generation).where(Generation.status == "ok"))]
    return [c.name for c in app.config.columns] + replies + ["boss", "SECRET-DATASET"]


def _handler_leaks(app: RunningApp, cookies: dict[str, str], deps: list[dict], skip: set[int]) -> list[tuple]:
    secrets = _sensitive(app)
    leaks = []
    for fn_index, dep in enumerate(deps):
        if fn_index in skip:
            continue
        status, body = _queue_call(app.url, cookies, fn_index, len(dep["inputs"]))
        hits = [x for x in secrets if x and x in body]
        if status == 200 and hits:
            leaks.append((fn_index, dep.get("api_name"), hits[:2]))
    return leaks


def _dataset_refresh_fns(deps: list[dict], components: dict[int, dict]) -> set[int]:
    """The Data tab's unnamed "Refresh" handler (see test_dataset_list_is_admin_only)."""
    return {i for i, d in enumerate(deps) if not d.get("api_name") or str(d.get("api_name")).startswith("false")
            if any(components.get(o, {}).get("props", {}).get("elem_id") == "data-datasets" for o in d["outputs"])
            and not d["inputs"]}


def test_a_session_of_a_disabled_user_gets_nothing(app):
    """Logged in, then disabled by an admin: the cookie still opens the page, but no handler serves it
    any data, and nothing is written for it."""
    with app.store.session() as s:
        s.add(Dataset(name="SECRET-DATASET", format="bianque_csv", source="/private/patients.csv"))
    gone = _login(app, "gone")
    deps = gone.config["dependencies"]
    components = {c["id"]: c for c in gone.config["components"]}
    with app.store.session() as s:
        s.execute(update(User).where(User.username == "gone").values(active=False))
    before = _row_counts(app)
    try:
        leaks = _handler_leaks(app, gone.cookies, deps, _dataset_refresh_fns(deps, components))
        after = _row_counts(app)
    finally:
        with app.store.session() as s:
            s.execute(update(User).where(User.username == "gone").values(active=True))
            s.execute(Dataset.__table__.delete().where(Dataset.name == "SECRET-DATASET"))
    assert not leaks, leaks
    assert before == after


def test_dataset_list_is_admin_only(app):
    with app.store.session() as s:
        s.add(Dataset(name="SECRET-DATASET", format="bianque_csv", source="/private/patients.csv"))
    try:
        ann = _login(app, "ann")
        deps = ann.config["dependencies"]
        components = {c["id"]: c for c in ann.config["components"]}
        fns = _dataset_refresh_fns(deps, components)
        assert fns, "the Data tab's refresh handler was not found"
        for fn in fns:
            status, body = _queue_call(app.url, ann.cookies, fn, 0)
            assert "SECRET-DATASET" not in body and "/private/patients.csv" not in body
    finally:
        with app.store.session() as s:
            s.execute(Dataset.__table__.delete().where(Dataset.name == "SECRET-DATASET"))


def _well_formed(param: dict) -> Any:
    example = param.get("example_input")
    if isinstance(example, dict):
        return None
    if example is None and "list" in str(param.get("python_type", {}).get("type", "")):
        return []  # a choice list that is empty until an admin's page loads it
    return example


def test_admin_only_endpoints_refuse_an_annotator(app):
    named, _ = _endpoints(app)
    admin_only = [n for n in named if n.lstrip("/").startswith(ADMIN_ONLY)]
    assert "/rate_reveal" in admin_only and "/rate_team" in admin_only
    with app.store.session() as s:
        s.add(Dataset(name="SECRET-DATASET", format="bianque_csv", source="/private/patients.csv"))
    secrets = _sensitive(app) + ["/private/patients.csv"]
    ann = _login(app, "ann")
    ann_api = ann.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name in admin_only:
        params = ann_api[name]["parameters"]
        try:  # well-formed values (the API's own examples), so that only the permission check can refuse
            args = [True] if name == "/rate_reveal" else [_well_formed(p) for p in params]
            out = repr(ann.predict(*args, api_name=name))
        except Exception as e:  # refused with an error: fine, if it says why
            assert "admin" in str(e).lower(), (name, str(e)[:200])
            continue
        # Refused in the output: an explanation, or nothing but hidden panels - never the data.
        leaked = [x for x in secrets if x in out]
        assert not leaked, (name, leaked, out[:300])
        assert "admin" in out.lower() or ".zip" not in out, (name, out[:300])
    with app.store.session() as s:
        assert list(s.scalars(select(Dataset.name))) == ["SECRET-DATASET"]  # nothing was imported
        s.execute(Dataset.__table__.delete().where(Dataset.name == "SECRET-DATASET"))


def test_an_annotators_page_config_names_no_model(app):
    """Blind mode: the page an annotator loads (components, choices, labels) never names a column's model."""
    from rating_fixtures import COLUMNS

    ann = _login(app, "ann")
    page = json.dumps(ann.config, ensure_ascii=False)
    assert not [c for c in COLUMNS if c in page]
    boss = _login(app, "boss")
    assert boss.config  # the same page; admins see the names only through handlers that check the role


def test_only_a_role_with_an_upload_box_may_upload_files(app):
    """Only admins have upload boxes (imports, gold files): an annotator's or a researcher's upload would fill
    the server's upload folder for nothing, and its answer named a server path."""
    files = {"files": ("x.csv", b"input,target\n1,2\n", "text/csv")}
    outcomes = {}
    for name in ("ann", "boss"):
        with httpx.Client(timeout=30) as http:
            assert http.post(app.url + "/login", data={"username": name, "password": "secret-pass-" + name}).is_success
            r = http.post(app.url + "/gradio_api/upload", files=files)
            outcomes[name] = (r.status_code, r.text)
    assert outcomes["ann"][0] == 403 and "/tmp" not in outcomes["ann"][1]
    assert outcomes["boss"][0] == 200 and "x.csv" in outcomes["boss"][1]
    with httpx.Client(timeout=30) as http:  # and nobody signed out
        assert http.post(app.url + "/gradio_api/upload", files=files).status_code in (401, 403)
