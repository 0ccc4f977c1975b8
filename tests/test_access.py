"""Logins, roles and server security (issue 11: items 3, 4, 7, 8, 9, 12, 15).

Real components throughout: SQLite files, the Gradio server on 127.0.0.1 (in-process or launch.py as a
subprocess), real HTTP requests with httpx and gradio_client.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import subprocess
import sys
import time
import uuid
import warnings
import zipfile
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import torch
import yaml
from gradio_clients import Client
from rating_fixtures import RunningApp, add_positions, make_users
from rating_fixtures import test_config as rating_config

from tests.ui_server import free_port
from workbench.access import Permission, require_role, visible_tabs
from workbench.auth import Authenticator, has_login_accounts, hash_password, upsert_user, verify_password
from workbench.config import REPO_ROOT, load_config
from workbench.errors import AuthError, ConfigError, InputError
from workbench.login_throttle import LoginThrottle
from workbench.store.engine import Store
from workbench.store.schema import User

sys.path.insert(0, str(REPO_ROOT))
import launch  # noqa: E402

NO_MODEL_COLUMN = {"name": "Remote", "backend": "openai-compatible", "base_url": "http://127.0.0.1:9/v1",
                   "model_name": "none", "timeout_s": 2}


def _config_file(tmp_path: Path, **extra) -> Path:
    data = {"database_url": f"sqlite:///{tmp_path / 'db' / 'wb.db'}", "columns": [NO_MODEL_COLUMN],
            "annotation": {"users_file": None}, **extra}
    p = tmp_path / "cfg.yaml"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    return p


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- item 7: roles ------------------------------------------------------------------------------------


def test_each_role_sees_its_tabs_and_require_role_refuses_the_rest(tmp_path):
    assert visible_tabs("annotator") == {"chat", "rate"}
    assert visible_tabs("researcher") == {"chat", "rate", "compare", "quality", "export"}
    assert visible_tabs("admin") == {"chat", "rate", "compare", "quality", "data", "export"}
    assert visible_tabs("nonsense") == set()
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    for name, role in (("ann", "annotator"), ("res", "researcher"), ("boss", "admin")):
        upsert_user(store, name, "secret-pass-" + name, role)
    auth = Authenticator(store, enabled=True)
    refused = {name: sorted(p.value for p in Permission
                            if _refuses(auth, name, p)) for name in ("ann", "res", "boss")}
    assert refused == {"ann": ["accounts", "all_dialogues", "compare", "data", "export", "quality", "see_models",
                               "team"],
                       "res": ["accounts", "data", "team"], "boss": []}
    with pytest.raises(AuthError, match="not logged in"):
        require_role(auth, SimpleNamespace(username=None), Permission.CHAT)
    with pytest.raises(InputError, match="role must be one of"):
        upsert_user(store, "x", "secret-pass-x", "superuser")
    store.dispose()


def _refuses(auth: Authenticator, name: str, permission: Permission) -> bool:
    try:
        require_role(auth, SimpleNamespace(username=name), permission)
    except AuthError:
        return True
    return False


@pytest.fixture(scope="module")
def roles_app(tmp_path_factory):
    running = RunningApp(tmp_path_factory.mktemp("roles"), k=2)
    add_positions(running.store, 2)
    make_users(running.store, "ann")
    make_users(running.store, "res", role="researcher")
    make_users(running.store, "boss", role="admin")
    yield running
    running.close()


def _login(app: RunningApp, name: str) -> Client:
    return Client(app.url, auth=(name, "secret-pass-" + name), verbose=False, analytics_enabled=False,
                  download_files=False)


def _refusal(client: Client, *args, api_name: str) -> str | None:
    """The error text when the server refuses the call; None when it answered."""
    try:
        client.predict(*args, api_name=api_name)
    except Exception as e:  # gradio_client raises AppError with the server's message
        return str(e)
    return None


def test_researcher_compares_and_exports_but_cannot_import_batch_or_manage_the_team(roles_app):
    res = _login(roles_app, "res")
    assert _refusal(res, None, None, None, None, None, None, api_name="/compare") is None
    export_args = (["sft"], None, None, None, 4.0, [], False, [], [], "", "", True, "")
    _summary, _preview, link = res.predict(*export_args, api_name="/export_run")
    assert "workbench-export/" in link
    for api_name, args in (("/rate_team", ()), ("/rate_release", ("ann",)), ("/batch_stop", ()),
                           ("/batch_generate", ("x", [], "all", 1, 0, 4))):
        msg = _refusal(res, *args, api_name=api_name)
        if msg is None:  # the Data tab refuses in its message line rather than with a pop-up
            msg = repr(res.predict(*args, api_name=api_name))
            assert "Error" in msg, (api_name, msg)
        assert "only an admin" in msg.lower(), (api_name, msg)
    # The annotator may not compare or export (the tabs are hidden, and the server refuses anyway).
    ann = _login(roles_app, "ann")
    assert "researchers and admins" in (_refusal(ann, None, None, None, None, None, None, api_name="/compare") or "")
    assert "researchers and admins" in (_refusal(ann, *export_args, api_name="/export_run") or "")
    assert "annotators rate blind" in (_refusal(ann, {"item_id": None, "reveal": False}, True, api_name="/rate_reveal") or "")


# --- item 9: the export of one user is not another's ----------------------------------------------------


def test_an_annotator_cannot_fetch_an_export_by_its_link_and_it_is_gone_after_download(roles_app):
    boss, ann = _login(roles_app, "boss"), _login(roles_app, "ann")
    export_args = (["tables_csv"], None, None, None, 4.0, [], False, [], [], "", "", True, "")
    _summary, _preview, link = boss.predict(*export_args, api_name="/export_run")
    href = re.search(r'href="([^"]+)"', link).group(1)
    vault = roles_app.svc.exports.root
    assert _mode(vault) == 0o700 and all(_mode(p) == 0o600 for p in vault.iterdir())
    with httpx.Client(base_url=roles_app.url + "/", timeout=30) as http:
        assert http.get(href, cookies=ann.cookies).status_code == 403
        res = _login(roles_app, "res")  # may export, but did not make this one
        assert http.get(href, cookies=res.cookies).status_code == 404
        got = http.get(href, cookies=boss.cookies)
        assert got.status_code == 200 and got.content[:2] == b"PK"
        assert http.get(href, cookies=boss.cookies).status_code == 404
        # Gradio's own file route has no copy of it.
        assert http.get("/gradio_api/file=" + str(vault / "x.zip"), cookies=boss.cookies).status_code >= 400


def test_a_head_request_leaves_an_export_link_usable_and_others_are_refused(roles_app):
    """``curl -I`` and then the download: the HEAD answers the headers without using the link up."""
    boss = _login(roles_app, "boss")
    export_args = (["tables_csv"], None, None, None, 4.0, [], False, [], [], "", "", True, "")
    _summary, _preview, link = boss.predict(*export_args, api_name="/export_run")
    href = re.search(r'href="([^"]+)"', link).group(1)
    with httpx.Client(base_url=roles_app.url + "/", timeout=30) as http:
        assert http.head(href).status_code == 401
        assert http.head(href, cookies=_login(roles_app, "ann").cookies).status_code == 403
        assert http.head(href, cookies=_login(roles_app, "res").cookies).status_code == 404
        assert http.post(href, cookies=boss.cookies).status_code == 405
        for trick in ("/../" + href.rpartition("/")[2], "/%2e%2e/%2e%2e/app.db", "/"):
            assert http.get("workbench-export" + trick, cookies=boss.cookies).status_code == 404, trick
        head = http.head(href, cookies=boss.cookies)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == "application/zip" and "accept-ranges" not in head.headers
        got = http.get(href, cookies=boss.cookies, headers={"Range": "bytes=0-1"})  # always the whole file
        assert got.status_code == 200 and got.content[:2] == b"PK"
        assert len(got.content) == int(head.headers["content-length"])
        _gone_after_its_download(roles_app, http, href, boss.cookies)


def test_an_export_download_cut_off_part_way_leaves_the_link_usable(roles_app, tmp_path):
    """A client that stops reading after the first chunk did not get the export: the same link works again, and
    the next complete download uses it up. The zip is far larger than what the sockets' buffers hold, so the
    server is still sending when the client goes."""
    boss = _login(roles_app, "boss")
    src = tmp_path / "big.zip"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_STORED) as z:
        z.writestr("noise.bin", os.urandom(1 << 20) * 64)
    whole = src.read_bytes()
    key = roles_app.svc.exports.put(src, "boss")  # as the Export tab keeps its zip
    href = f"workbench-export/{key}"
    with httpx.Client(base_url=roles_app.url + "/", timeout=30) as http:
        with http.stream("GET", href, cookies=boss.cookies) as cut:
            assert cut.status_code == 200 and int(cut.headers["content-length"]) == len(whole)
            first = next(cut.iter_raw())
            assert 0 < len(first) < len(whole)
        time.sleep(0.5)  # the server sees the connection close; a send it took for complete would delete the zip
        assert (roles_app.svc.exports.root / f"{key}.zip").exists()
        got = http.get(href, cookies=boss.cookies)
        assert got.status_code == 200 and got.content == whole
        _gone_after_its_download(roles_app, http, href, boss.cookies)


def _gone_after_its_download(app: RunningApp, http: httpx.Client, href: str, cookies) -> None:
    """The link is used up and its zip deleted once the server has sent the last byte (just after the client
    has it)."""
    path = app.svc.exports.root / (href.rpartition("/")[2] + ".zip")
    deadline = time.monotonic() + 10
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not path.exists()
    gone = http.get(href, cookies=cookies)
    assert gone.status_code == 404 and "one complete download" in gone.json()["detail"]


def test_unfetched_exports_are_swept(tmp_path):
    from workbench.export.vault import ExportVault

    vault = ExportVault(tmp_path / "vault", ttl_s=10, sweep_every_s=3600)
    src = tmp_path / "a.zip"
    src.write_bytes(b"PK")
    key = vault.put(src, "boss")
    assert not src.exists() and len(list(vault.root.iterdir())) == 1
    assert vault.sweep(now=time.monotonic()) == 0
    assert vault.sweep(now=time.monotonic() + 11) == 1
    assert vault.find(key, "boss") is None and not list(vault.root.iterdir())
    vault.close()
    assert not vault.root.exists()


# --- item 9: the database is private --------------------------------------------------------------------


def test_a_new_database_is_0600_in_a_0700_folder_and_so_is_its_wal(tmp_path):
    db = tmp_path / "new" / "deeper" / "wb.db"
    store = Store(f"sqlite:///{db}")
    upsert_user(store, "ann", "secret-pass-ann")
    assert _mode(db) == 0o600
    assert _mode(db.parent) == 0o700 and _mode(db.parent.parent) == 0o700
    for extra in db.parent.glob("wb.db-*"):  # -wal / -shm follow the database file's mode
        assert _mode(extra) == 0o600, extra
    store.dispose()
    # A database created readable by others (by an older version) is made private when opened.
    os.chmod(db, 0o644)
    Store(f"sqlite:///{db}").dispose()
    assert _mode(db) == 0o600


# --- item 3: accounts in the store turn logins on -------------------------------------------------------


def test_accounts_in_the_store_require_logins_without_any_flag(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_AUTH", raising=False)
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    cfg = load_config(_config_file(tmp_path))
    db = tmp_path / "db" / "wb.db"
    assert launch.store_has_accounts(cfg) is False and not db.exists()  # asking creates nothing
    plan = launch.plan_launch(launch.parse_args([]), cfg, accounts_in_store=False)
    assert not plan.auth_enabled and plan.open_mode is not None
    # Open mode's own local user is no login account.
    store = Store(cfg.effective_database_url)
    Authenticator(store, enabled=False).lookup(None)
    assert not has_login_accounts(store)
    upsert_user(store, "alice", "a-long-password", "annotator")
    assert has_login_accounts(store)
    store.dispose()
    assert launch.store_has_accounts(cfg) is True
    plan = launch.plan_launch(launch.parse_args([]), cfg, accounts_in_store=True)
    assert plan.auth_enabled and plan.open_mode is None
    # With accounts, listening beyond loopback is allowed (logins protect it).
    assert launch.plan_launch(launch.parse_args(["--host", "0.0.0.0"]), cfg, accounts_in_store=True).auth_enabled


def test_services_built_without_logins_add_no_user_until_one_is_needed(tmp_path):
    """The command line (batch, simulate, judge) builds services without logins on a team's store: that must
    not add a passwordless admin named local to the team's accounts, filters and progress tables."""
    from sqlalchemy import select

    from workbench.store.schema import User

    store = Store(f"sqlite:///{tmp_path / 'team.db'}")
    upsert_user(store, "alice", "a-long-password", "annotator")
    auth = Authenticator(store, enabled=False)
    with store.read() as s:
        assert s.scalars(select(User.username)).all() == ["alice"]
    local = auth.lookup(None)  # the open workbench's single user, made at its first use
    assert (local.username, local.role) == ("local", "admin")
    assert auth.lookup(None).id == local.id
    with store.read() as s:
        assert sorted(s.scalars(select(User.username))) == ["alice", "local"]
    store.dispose()


# --- item 15: --auth without a colon, malformed hashes ----------------------------------------------------


def test_auth_without_a_colon_fails_loudly(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("WORKBENCH_AUTH", raising=False)
    cfg_path = _config_file(tmp_path)
    with pytest.raises(ConfigError, match="USER:PASSWORD"):
        launch.plan_launch(launch.parse_args(["--auth", "boss"]), load_config(cfg_path))
    assert launch.main(["--config", str(cfg_path), "--auth", "boss", "--no-warm-up"]) == 2
    assert "no colon" in capsys.readouterr().err
    monkeypatch.setenv("WORKBENCH_AUTH", "boss:secret-pass,carol")
    with pytest.raises(ConfigError, match="WORKBENCH_AUTH"):
        launch.plan_launch(launch.parse_args([]), load_config(cfg_path))


@pytest.mark.parametrize("bad", ["scrypt$16384$8$1$zz$00", "scrypt$x$8$1$00$00", "plain-text-password",
                                 "scrypt$16384$8$1$00", "scrypt$1099511627776$8$1$00$00", "scrypt$3$8$1$00$00"])
def test_a_malformed_password_hash_refuses_the_login_and_is_logged(tmp_path, caplog, bad):
    assert verify_password("whatever", hash_password("whatever"))
    caplog.set_level(logging.ERROR)
    assert verify_password("whatever", bad) is False
    assert "malformed" in caplog.text
    store = Store(f"sqlite:///{tmp_path / 'h.db'}")
    with store.session() as s:  # written by hand into the database: still only a refused login
        s.add(User(username="mal", password_hash=bad, role="admin"))
    assert Authenticator(store, enabled=True).check("mal", "whatever") is False
    users = tmp_path / "users.yaml"
    users.write_text(yaml.safe_dump({"users": [{"username": "x", "password_hash": bad}]}), encoding="utf-8")
    from workbench.auth import load_users_file

    with pytest.raises(ConfigError, match="users.0: password_hash is malformed"):
        load_users_file(store, users)
    store.dispose()


# --- item 8: login back-off ------------------------------------------------------------------------------


def test_throttle_backs_off_exponentially_and_forgets():
    now = [1000.0]
    t = LoginThrottle(free_failures=3, base_s=1, max_s=8, forget_after_s=60, clock=lambda: now[0])
    locks = [t.failed("k") for _ in range(8)]
    assert locks == [0, 0, 1, 2, 4, 8, 8, 8]
    assert t.locked("k") and t.retry_after("k") == 8
    now[0] += 8.5
    assert not t.locked("k")
    now[0] += 120  # quiet for longer than forget_after_s: the count starts again
    assert t.failed("k") == 0
    t.succeeded("k")
    assert t.retry_after("k") == 0


def test_wrong_passwords_lock_the_account_then_the_address(tmp_path):
    app = RunningApp(tmp_path, k=2)
    make_users(app.store, "ann", "boss")
    # Longer locks than the defaults' first second, so that a loaded machine cannot outwait one mid-test.
    app.svc.auth.throttle.base_s = app.svc.auth.address_throttle.base_s = 120
    scrypt_runs = []
    real_check = app.svc.auth._verify
    app.svc.auth._verify = lambda *a: scrypt_runs.append(a) or real_check(*a)  # counts, changes nothing
    try:
        with httpx.Client(base_url=app.url, timeout=30) as http:
            answers = [http.post("/login", data={"username": "ann", "password": "wrong"}) for _ in range(8)]
            # Gradio's login page says "Incorrect Credentials" to a 400 and nothing to any other answer: the
            # lock-out has its own status and wait, which the page's script puts into words.
            assert [r.status_code for r in answers] == [400] * 5 + [429] * 3
            assert all(int(r.headers["retry-after"]) >= 1 for r in answers[5:])
            # (one wording for both locks, the one the login page's script says: "sign-ins", and the Retry-After)
            lockout = re.compile(r"Too many failed sign-ins: try again in (\d+) s")
            locked = lockout.fullmatch(answers[-1].json()["detail"])
            assert locked and locked.group(1) == answers[-1].headers["retry-after"]
            assert len(scrypt_runs) == 5  # after 5 failures the account is locked: no more scrypt runs
            # Locked: even the right password is refused for now ...
            assert http.post("/login", data={"username": "ann", "password": "secret-pass-ann"}).status_code == 429
            # ... but only for that account.
            assert http.post("/login", data={"username": "boss", "password": "secret-pass-boss"}).status_code == 200
            # Spraying many names from one address locks the address: 429 before any check runs.
            spray = [http.post("/login", data={"username": f"u{i}", "password": "x"}).status_code for i in range(30)]
            assert spray.count(429) >= 10 and spray[-1] == 429
            assert app.svc.auth.address_throttle.free_failures == 20
            before = len(scrypt_runs)
            r = http.post("/login", data={"username": "boss", "password": "secret-pass-boss"})
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
            locked = lockout.fullmatch(r.json()["detail"])  # the address's lock, before any account is looked at
            assert locked and locked.group(1) == r.headers["retry-after"]
            assert len(scrypt_runs) == before
    finally:
        app.close()


def test_a_disabled_accounts_right_password_is_told_the_account_is_disabled(tmp_path):
    """Gradio's login page said "Incorrect Credentials" to a disabled account, so its owner kept retyping a right
    password. Only the right password learns that the account is disabled (403, a sentence the page shows); a
    wrong one gets the usual 400, the same as an unknown name. The login page carries the script that says so."""
    from workbench.auth import set_active

    app = RunningApp(tmp_path, k=1)
    make_users(app.store, "ann", "boss")
    set_active(app.store, "ann", False)
    try:
        with httpx.Client(base_url=app.url, timeout=30) as http:
            refused = http.post("/login", data={"username": "Ann", "password": "secret-pass-ann"})
            assert refused.status_code == 403 and "disabled" in refused.json()["detail"] and not http.cookies
            assert http.post("/login", data={"username": "ann", "password": "wrong"}).status_code == 400
            assert http.post("/login", data={"username": "nobody", "password": "wrong"}).status_code == 400
            page = http.get("/").text
            assert "login-refusal" in page and page.count("gradio_api_info") == 1
            set_active(app.store, "ann", True)
            assert http.post("/login", data={"username": "ann", "password": "secret-pass-ann"}).status_code == 200
            assert http.get("/gradio_api/user").json() == "ann"
            # a form far beyond a name and a password is refused before it is parsed
            huge = http.post("/login", data={"username": "ann", "password": "x" * 100_000})
            assert huge.status_code == 413
    finally:
        app.close()


def test_a_login_name_in_other_letter_case_is_that_account(tmp_path):
    """Walk 9: a phone's keyboard types Alice for alice, and the login said only "Incorrect Credentials". Names may
    not differ only in letter case, so the name is the account's whatever its case, and every request of that
    sign-in is the account's own name (ratings stay attributed to alice). A store from before that rule, with two
    such names, takes neither for the other's spelling."""
    app = RunningApp(tmp_path, k=2)
    make_users(app.store, "ann")
    try:
        with httpx.Client(base_url=app.url, timeout=30) as http:
            assert http.post("/login", data={"username": "ANN", "password": "secret-pass-ann"}).status_code == 200
            assert http.post("/login", data={"username": "ANN", "password": "wrong"}).status_code == 400
        assert app.svc.auth.lookup("Ann").username == "ann"
        assert app.svc.auth.lookup(" ann ").username == "ann"
        with app.store.session() as s:  # two names a letter case apart, written as an old version could
            s.add_all([User(username="Bob", role="annotator", password_hash=hash_password("pw-of-Bob-123")),
                       User(username="bob", role="admin", password_hash=hash_password("pw-of-bob-123"))])
        assert app.svc.auth.lookup("Bob").role == "annotator" and app.svc.auth.lookup("bob").role == "admin"
        with pytest.raises(AuthError):
            app.svc.auth.lookup("BOB")
        assert not app.svc.auth.check("BOB", "pw-of-bob-123")
    finally:
        app.close()


# --- item 8: upload size ---------------------------------------------------------------------------------


def test_uploads_over_max_upload_mb_are_refused(tmp_path):
    from ui_server import running_app

    from workbench.services import build_services

    cfg = rating_config(tmp_path / "u.db")
    cfg = cfg.model_copy(update={"server": cfg.server.model_copy(update={"max_upload_mb": 1})})
    svc = build_services(cfg, auth_enabled=True)
    make_users(svc.store, "boss", role="admin")  # uploads are for admins (test_safe_defaults)
    try:
        with running_app(svc, auth=True) as url:
            boss = Client(url, auth=("boss", "secret-pass-boss"), verbose=False)
            with httpx.Client(base_url=url, timeout=60, cookies=boss.cookies) as http:
                big = http.post("/gradio_api/upload", files={"files": ("big.csv", b"x" * (2 * 1024 * 1024))})
                small = http.post("/gradio_api/upload", files={"files": ("small.csv", b"a,b\n1,2\n")})
                anonymous = httpx.post(url + "gradio_api/upload", files={"files": ("s.csv", b"a")}, timeout=30)
            assert big.status_code == 413, big.text[:200]
            assert small.status_code == 200
            assert anonymous.status_code in (401, 403)
    finally:
        svc.close()


# --- item 12: no internals in error pop-ups --------------------------------------------------------------


def test_unexpected_errors_show_a_reference_not_internals(roles_app, caplog):
    caplog.set_level(logging.ERROR)
    ann = _login(roles_app, "ann")
    payload = json.dumps({"item_id": 10**30, "ratings": {}})
    msg = _refusal(ann, payload, api_name="/rate_api_submit")
    assert msg is not None
    for internal in ("too large", "SQLite", "Traceback", "OverflowError", "sqlalchemy"):
        assert internal.lower() not in msg.lower(), msg
    if "ref " in msg:  # an unexpected error: its details are in the log under that reference
        ref = re.search(r"ref ([0-9a-f]+)", msg).group(1)
        assert ref in caplog.text


def test_guarded_handlers_keep_user_messages_and_hide_the_rest(caplog):
    import gradio as gr

    from workbench.ui.error_guard import guarded

    def fails(exc):
        def handler(request: gr.Request):
            raise exc
        return handler

    def streams(request: gr.Request):
        yield "first"
        raise ValueError("<gradio.components.Textbox object at 0x7f>")

    caplog.set_level(logging.ERROR)
    with pytest.raises(gr.Error, match="choose a format"):
        guarded(fails(InputError("choose a format")))(None)
    with pytest.raises(gr.Error, match="kept"):
        guarded(fails(gr.Error("kept")))(None)
    # A pop-up is HTML: a user's text inside a user message is shown as the characters typed, no element.
    with pytest.raises(gr.Error) as e:
        guarded(fails(InputError("no account '<img src=x onerror=alert(1)>' & co")))(None)
    assert "<img" not in e.value.message and "&lt;img src=x onerror=alert(1)&gt;' &amp; co" in e.value.message
    with pytest.raises(gr.Error) as e:
        guarded(fails(OverflowError("Python int too large to convert to SQLite INTEGER")))(None)
    assert "SQLite" not in str(e.value) and "ref " in str(e.value)
    assert "Python int too large" in caplog.text  # logged, with its traceback
    gen = guarded(streams)
    import inspect

    assert inspect.isgeneratorfunction(gen) and "request" in inspect.signature(gen).parameters
    it = gen(None)
    assert next(it) == "first"
    with pytest.raises(gr.Error) as e:
        next(it)
    assert "Textbox" not in str(e.value)
    # The database driver's own text (tables, SQL, values) stays in the log as well.
    from sqlalchemy.exc import IntegrityError

    from workbench.store.engine import _explain

    text = _explain(IntegrityError("INSERT INTO ratings ...", {}, Exception("UNIQUE constraint failed: ratings.x")))
    assert "ratings" not in text and "nothing was saved" in text


# --- item 15: generation bounded by server.concurrency_limit, one dtype policy ------------------------------


def test_every_generating_event_shares_the_server_concurrency_limit(tmp_path):
    from workbench.services import build_services
    from workbench.ui.app import build_app
    from workbench.ui.chat_tab import GENERATION_QUEUE

    cfg = rating_config(tmp_path / "c.db")
    cfg = cfg.model_copy(update={"server": cfg.server.model_copy(update={"concurrency_limit": 3})})
    svc = build_services(cfg)
    try:
        demo = build_app(svc)
        by_name = {f.api_name: f for f in demo.fns.values()}
        generating = [f for f in demo.fns.values() if f.concurrency_id == GENERATION_QUEUE]
        assert by_name["send"] in generating and by_name["regenerate_all"] in generating
        # One event for the Send button and Enter (so either waits for the other), regenerate all, each column's
        assert {event for _, event in by_name["send"].targets} == {"click", "submit"}
        assert len(generating) >= 2 + len(svc.columns)
        assert {f.concurrency_limit for f in generating} == {3}
        assert all(f.concurrency_limit is not None for f in demo.fns.values() if f.queue)
    finally:
        svc.close()


def test_float16_on_cpu_is_one_policy_for_every_backend(demo_models, tmp_path):
    from workbench.chatglm.configuration import ChatGLMConfig
    from workbench.config import parse_config
    from workbench.devices import CPU_FLOAT16_WARNING, resolve_dtype

    cpu = torch.device("cpu")
    with pytest.warns(UserWarning, match=CPU_FLOAT16_WARNING):
        assert resolve_dtype("float16", cpu) == torch.bfloat16  # bianque-v1 and hf-causal
    with pytest.warns(UserWarning, match=CPU_FLOAT16_WARNING):
        assert resolve_dtype("float16", cpu, auto=ChatGLMConfig().torch_dtype) == torch.bfloat16  # bianque-v2
    # A real column: BianQue-1.0 (T5) asked for float16 on CPU loads in bfloat16 and answers.
    cfg = load_config(REPO_ROOT / "configs" / "demo.yaml")
    v1 = cfg.columns[0].model_dump()
    v1["model"]["dtype"] = "float16"
    one = parse_config({"database_url": f"sqlite:///{tmp_path / 'd.db'}", "columns": [v1],
                        "annotation": {"users_file": None}}, "<dtype test>")
    from workbench.services import build_services

    svc = build_services(one)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            svc.backends[v1["name"]].check_ready()
        assert any(CPU_FLOAT16_WARNING in str(w.message) for w in caught)
        model = svc.pool.all_models()[0]._value
        params = next(p for obj in vars(model).values() if isinstance(obj, torch.nn.Module)
                      for p in obj.parameters())
        assert params.dtype == torch.bfloat16
    finally:
        svc.close()


def test_packaging_matches_the_code():
    import tomllib

    py = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert py["project"]["requires-python"] == ">=3.11" and py["tool"]["ruff"]["target-version"] == "py311"
    reqs = {re.split(r"[<>=\[ ]", line)[0].lower() for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")}
    # httpx is imported by the code; psutil was declared but never used (memory is read from /proc, which
    # has the VmHWM peak psutil lacks): declared = used.
    assert "httpx" in reqs and "psutil" not in reqs
    for path in [*(REPO_ROOT / "workbench").rglob("*.py"), *(REPO_ROOT / "bench").rglob("*.py")]:
        assert not re.search(r"^\s*(import|from) psutil", path.read_text(encoding="utf-8"), re.M), path


# --- item 4: open mode against a launched server --------------------------------------------------------


def _start(cmd: list[str], env: dict[str, str], cwd: Path, pattern: str, timeout: float = 240):
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line)
        m = re.search(pattern, line)
        if m:
            return proc, m, lines
    proc.kill()
    raise AssertionError("server did not start:\n" + "".join(lines[-40:]))


def _wait_http(url: str, headers: dict[str, str] | None = None, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, headers=headers or {}, timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


def _join(base: str, port: int, **kw) -> httpx.Response:
    body = {"data": [], "fn_index": 0, "session_hash": uuid.uuid4().hex, "event_data": None, "trigger_id": None}
    return httpx.post(base + "gradio_api/queue/join", json=body, timeout=30, **kw)


def test_open_mode_checks_host_origin_and_token(tmp_path, monkeypatch):
    env = {k: v for k, v in os.environ.items() if k not in ("WORKBENCH_AUTH", "WORKBENCH_DB_URL", "GRADIO_TEMP_DIR")}
    port = free_port()
    cfg = _config_file(tmp_path, server={"allowed_hosts": ["workbench.lab.internal"]})
    proc, m, _lines = _start([sys.executable, "launch.py", "--config", str(cfg), "--port", str(port), "--no-warm-up"],
                             env, REPO_ROOT, r"UI: (http://127\.0\.0\.1:\d+/)\?token=([A-Za-z0-9_\-]+)")
    base, token = m.group(1), m.group(2)
    try:
        _wait_http(base)
        good = {"Authorization": f"token {token}"}
        # DNS rebinding: a foreign Host is refused even with the token.
        assert _join(base, port, headers={"Host": f"evil.example:{port}", **good}).status_code == 403
        assert httpx.get(base + "config", headers={"Host": f"evil.example:{port}", **good}).status_code == 403
        # No token (or a wrong one): 403 for pages and events alike.
        assert _join(base, port).status_code == 403
        assert httpx.get(base).status_code == 403
        assert httpx.get(base, headers={"Authorization": "token nope"}).status_code == 403
        # A cross-site page's request carries its Origin: refused.
        assert _join(base, port, headers={"Origin": "http://evil.example", **good}).status_code == 403
        # The printed URL works: ?token= sets a cookie that carries the session from then on.
        with httpx.Client(timeout=30) as browser_like:
            first = browser_like.get(base, params={"token": token})
            assert first.status_code == 200 and any(c.startswith("workbench-token-") for c in browser_like.cookies)
            assert browser_like.get(base + "config").status_code == 200
            # the page's 10-s account check: no logins, so never "not signed in" or "disabled"
            assert browser_like.get(base + "workbench-account").json() == {"active": True}
        assert httpx.get(base + "workbench-account").status_code == 403  # without the token: refused as the rest
        # Loopback names and configured host names are accepted.
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "workbench.lab.internal"):
            assert httpx.get(base + "config", headers={"Host": host, **good}, timeout=30).status_code == 200, host
        assert httpx.get(base + "config", headers={"Origin": f"http://localhost:{port}", **good}).status_code == 200
        # API clients pass the token as a header.
        client = Client(base, headers=good, verbose=False, analytics_enabled=False)
        assert "/send" in client.view_api(return_format="dict", print_info=False)["named_endpoints"]
        # The database the server created is private.
        db = tmp_path / "db" / "wb.db"
        assert _mode(db) == 0o600 and _mode(db.parent) == 0o700
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cli_exports_and_launch_uploads_are_private(tmp_path, monkeypatch):
    db = tmp_path / "e.db"
    store = Store(f"sqlite:///{db}")
    add_positions(store, 2)
    store.dispose()
    out = tmp_path / "exports" / "run1"
    env = {**os.environ, "WORKBENCH_DB_URL": f"sqlite:///{db}"}
    done = subprocess.run([sys.executable, "-m", "workbench", "export", "--format", "tables_csv", "--out", str(out),
                           "--config", str(REPO_ROOT / "configs" / "demo.yaml")], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and all(_mode(p) == 0o600 for p in files)
    assert all(_mode(p) == 0o700 for p in [out, *(p for p in out.rglob("*") if p.is_dir())])
    # launch.py's uploads (Gradio's cache) go to a folder of its own, readable by the owner only.
    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    launch.private_gradio_cache()
    folder = Path(os.environ["GRADIO_TEMP_DIR"])
    assert folder.is_dir() and _mode(folder) == 0o700


def test_an_annotators_page_load_is_not_logged_as_a_refused_attempt(roles_app, caplog):
    """Every role's page load asks the Export tab what to draw: an annotator is shown the notice, and only an
    action they are refused (an export) is logged as one, so the log's refusals mean something."""
    import logging

    ann = _login(roles_app, "ann")
    with caplog.at_level(logging.WARNING, logger="workbench.access"):
        loaded = ann.predict(api_name="/export_load")
        assert not [r for r in caplog.records if r.name == "workbench.access"], caplog.text
        export_args = (["sft"], None, None, None, 4.0, [], False, [], [], "", "", True, "")
        assert _refusal(ann, *export_args, api_name="/export_run")
    assert any(r.name == "workbench.access" and "'ann'" in r.getMessage() for r in caplog.records)
    assert loaded[0].get("visible") is True  # the notice "only researchers and admins" shows instead


def test_a_refused_call_is_one_log_line_not_a_traceback(roles_app, capfd, caplog):
    """A refusal is a message for the user and one warning in the log; Gradio printed a traceback for each
    (an annotator's scripted calls filled the log with stack traces that looked like crashes)."""
    ann = _login(roles_app, "ann")
    capfd.readouterr()
    with caplog.at_level(logging.WARNING, logger="workbench.access"):
        assert "researchers and admins" in (_refusal(ann, None, None, None, None, None, None, api_name="/compare")
                                            or "")
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err, err[-2000:]
    assert [r for r in caplog.records if r.name == "workbench.access" and "'ann'" in r.getMessage()]


def test_releasing_an_annotators_items_takes_two_presses(tmp_path):
    """The first press of Release says what would go back to the pool (drafts included, the account still
    active); only a second press for the same name releases. A release of nobody's open items needs no second."""
    from rating_fixtures import claim
    from sqlalchemy import func, select

    from workbench.store.schema import Assignment

    app = RunningApp(tmp_path, k=2)
    try:
        add_positions(app.store, 2)
        ann, _other = make_users(app.store, "ann", "other")
        make_users(app.store, "boss", role="admin")
        assert claim(app.store, ann, k=2) is not None

        def open_items() -> int:
            with app.store.read() as s:
                return s.scalar(select(func.count()).select_from(Assignment)
                                .where(Assignment.user_id == ann.id, Assignment.completed_at.is_(None)))
        boss = _login(app, "boss")
        boss.predict("ann", api_name="/rate_release")
        assert open_items() == 1  # described, not released
        boss.predict("other", api_name="/rate_release")  # nothing open: nothing to confirm, nothing lost
        boss.predict("ann", api_name="/rate_release")
        assert open_items() == 1  # another name came between: asked again
        boss.predict("ann", api_name="/rate_release")
        assert open_items() == 0
        # the name in another letter case is the same account, and its first press only describes (walk 11: BEN
        # released ben's item at once)
        assert claim(app.store, ann, k=2) is not None
        boss.predict("ANN", api_name="/rate_release")
        assert open_items() == 1
        boss.predict("Ann", api_name="/rate_release")  # the same account: the second press
        assert open_items() == 0
    finally:
        app.close()


def test_the_first_release_press_says_the_account_is_disabled(tmp_path, monkeypatch):
    """Walk of session 70: the first press of Release for a disabled account described its items as for any
    account; it now says the account is disabled (its items hold their slots until released), and for a disabled
    account holding nothing it says so rather than "released 0"."""
    import gradio as gr
    from rating_fixtures import claim
    from sqlalchemy import func, select

    from workbench.auth import set_active
    from workbench.store.schema import Assignment

    said: list[str] = []
    monkeypatch.setattr(gr, "Warning", lambda message="", *a, **k: said.append(message))
    monkeypatch.setattr(gr, "Info", lambda message="", *a, **k: said.append(message))
    app = RunningApp(tmp_path, k=2)
    try:
        add_positions(app.store, 2)
        ann, idle = make_users(app.store, "ann", "idle")
        make_users(app.store, "boss", role="admin")
        assert claim(app.store, ann, k=2) is not None
        set_active(app.store, "ann", False)
        set_active(app.store, "idle", False)
        boss = _login(app, "boss")
        boss.predict("ann", api_name="/rate_release")
        assert said[-1].startswith("ann's account is disabled and holds 1 open item"), said
        boss.predict("ann", api_name="/rate_release")
        with app.store.read() as s:
            assert s.scalar(select(func.count()).select_from(Assignment).where(Assignment.user_id == ann.id,
                                                                               Assignment.completed_at.is_(None))) == 0
        assert said[-1].startswith("Released 1 open item of ann"), said
        boss.predict("idle", api_name="/rate_release")
        assert said[-1] == "idle's account is disabled and holds no open items: nothing to release", said
    finally:
        app.close()
