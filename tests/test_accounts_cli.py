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
from workbench.errors import InputError
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
