"""``users add`` / ``users list``: hashed passwords from stdin, roles, listing without secrets."""

from __future__ import annotations

import argparse
import io
import json

import pytest
import yaml

from workbench.annotate.accounts_cli import add_users_parser
from workbench.auth import Authenticator
from workbench.config import REPO_ROOT
from workbench.errors import AuthError, InputError
from workbench.store.engine import Store


def _run(argv, config, monkeypatch, stdin=""):
    parser = argparse.ArgumentParser()
    add_users_parser(parser.add_subparsers(dest="command", required=True), str(config))
    args = parser.parse_args(argv)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return args.func(args)


@pytest.fixture
def config(tmp_path):
    data = yaml.safe_load((REPO_ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8"))
    data["database_url"] = f"sqlite:///{tmp_path / 'users.db'}"
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_add_and_list(config, tmp_path, monkeypatch, capsys):
    assert _run(["users", "add", "alice", "--role", "admin", "--password-stdin"], config, monkeypatch,
                "correct horse\n") == 0
    assert _run(["users", "add", "bob", "--password-stdin"], config, monkeypatch, "battery staple\n") == 0
    capsys.readouterr()
    assert _run(["users", "list", "--json"], config, monkeypatch) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["username"], r["role"]) for r in rows] == [("alice", "admin"), ("bob", "annotator")]
    store = Store(f"sqlite:///{tmp_path / 'users.db'}")
    auth = Authenticator(store, enabled=True)
    assert auth.check("alice", "correct horse") and not auth.check("alice", "correct horse\n")
    assert not auth.check("bob", "wrong password")
    raw = (tmp_path / "users.db").read_bytes()
    assert b"battery staple" not in raw and b"correct horse" not in raw  # only hashes are stored
    store.dispose()


def test_empty_password_is_refused(config, monkeypatch):
    with pytest.raises(InputError, match="empty password"):
        _run(["users", "add", "carol", "--password-stdin"], config, monkeypatch, "\n")
    with pytest.raises(InputError, match="at least 6"):
        _run(["users", "add", "carol", "--password-stdin"], config, monkeypatch, "abc\n")


def test_a_password_reset_keeps_the_role_and_the_last_admin_stays_admin(config, tmp_path, monkeypatch, capsys):
    """`users add NAME` on an existing account resets its password: it used to make every account an
    annotator again (the --role default), so resetting the only admin's password locked everyone out of Data,
    Export and the team's progress."""
    assert _run(["users", "add", "boss", "--role", "admin", "--password-stdin"], config, monkeypatch, "first-pass\n") == 0
    assert "created 'boss' (role admin" in capsys.readouterr().out
    # --config after the subcommand, as every other command takes it
    assert _run(["users", "add", "boss", "--password-stdin", "--config", str(config)], config, monkeypatch,
                "second-pass\n") == 0
    assert "updated 'boss': new password, role admin kept" in capsys.readouterr().out
    with pytest.raises(InputError, match="only active admin"):
        _run(["users", "add", "boss", "--role", "annotator", "--password-stdin"], config, monkeypatch, "third-pass\n")
    assert _run(["users", "add", "second", "--role", "admin", "--password-stdin"], config, monkeypatch, "other-pass\n") == 0
    assert _run(["users", "add", "boss", "--role", "annotator", "--password-stdin"], config, monkeypatch,
                "third-pass\n") == 0
    assert "role admin -> annotator" in capsys.readouterr().out
    store = Store(f"sqlite:///{tmp_path / 'users.db'}")
    auth = Authenticator(store, enabled=True)
    assert auth.check("boss", "third-pass") and auth.lookup("boss").role == "annotator"
    store.dispose()
    with pytest.raises(InputError, match="not UTF-8"):
        _run(["users", "add", "q", "--password-stdin"], config, monkeypatch, "\udcff\udcfepassword\n")


@pytest.mark.parametrize(("name", "message"), [("u\tx", "tabs, line breaks"), ("a\u202eb", "control characters"),
                                               ("Boss", "already exists: type 'boss' to change it .a new account's name must differ in more than letter case"),
                                               ("<b>ann</b>", "cannot hold .* they are markup in a web page"),
                                               ("o'neil", "cannot hold")])
def test_account_names_are_one_visible_line_and_unique_whatever_the_case(config, monkeypatch, name, message):
    assert _run(["users", "add", "boss", "--password-stdin"], config, monkeypatch, "first-pass\n") == 0
    with pytest.raises(InputError, match=message):
        _run(["users", "add", name, "--password-stdin"], config, monkeypatch, "other-pass\n")


def test_disable_and_enable(config, tmp_path, monkeypatch, capsys):
    for name, role in (("boss", "admin"), ("ann", "annotator")):
        assert _run(["users", "add", name, "--role", role, "--password-stdin"], config, monkeypatch,
                    f"{name}-password\n") == 0
    store = Store(f"sqlite:///{tmp_path / 'users.db'}")
    auth = Authenticator(store, enabled=True)
    assert auth.lookup("ann").role == "annotator"
    assert _run(["users", "disable", "ann"], config, monkeypatch) == 0
    assert "'ann' disabled" in capsys.readouterr().out
    # no sign-in, and a page already open is refused at its next action
    assert not auth.check("ann", "ann-password")
    with pytest.raises(AuthError, match="unknown or disabled user 'ann'"):
        auth.lookup("ann")
    assert _run(["users", "list"], config, monkeypatch) == 0
    assert [line.split()[-1] for line in capsys.readouterr().out.splitlines()] == ["active", "disabled"]
    # the last active admin stays; a name that does not exist is named
    with pytest.raises(InputError, match="'boss' is the only active admin"):
        _run(["users", "disable", "boss"], config, monkeypatch)
    with pytest.raises(InputError, match="no account 'nobody'"):
        _run(["users", "disable", "nobody"], config, monkeypatch)
    assert _run(["users", "enable", "ann"], config, monkeypatch) == 0
    assert auth.check("ann", "ann-password") and auth.lookup("ann").username == "ann"
    store.dispose()


def test_a_name_with_markup_is_refused_in_both_languages_and_an_existing_one_keeps_working(tmp_path):
    """The refusal has a Chinese text for any page that shows it (the CLI and --auth print the English); an
    account made before the rule (straight in the database) can still get a new role and password."""
    from workbench.auth import upsert_user
    from workbench.store.schema import User
    from workbench.ui.i18n import catalogue

    store = Store(f"sqlite:///{tmp_path / 'names.db'}")
    with pytest.raises(InputError) as refused:
        upsert_user(store, "<b>ann</b>", "a-long-password")
    assert "用户名不能含有" in catalogue().translate(str(refused.value), "zh")
    with store.session() as s:
        s.add(User(username="o'neil", password_hash="!", role="annotator"))
    assert upsert_user(store, "o'neil", "a-new-password", "researcher").role == "researcher"
    store.dispose()
