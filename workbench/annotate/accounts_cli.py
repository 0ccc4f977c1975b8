"""``python -m workbench users add NAME --role annotator|admin --password-stdin``, ``users disable|enable NAME``
and ``users list``.

Passwords are read from stdin (or asked for without echo), never from the command line, where they
would land in the shell history and the process list; only their scrypt hash is stored.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from workbench.auth import ROLES, list_accounts, role_to_save, set_active, upsert_user
from workbench.config import load_config
from workbench.errors import InputError
from workbench.store.engine import Store


def add_users_parser(sub: argparse._SubParsersAction, default_config: str) -> None:
    """Register the ``users`` command on the CLI's subparsers."""
    sp = sub.add_parser("users", help="manage annotator and admin accounts")
    sp.add_argument("--config", default=default_config, help="config whose database holds the accounts")
    # --config also after the subcommand, as every other command takes it (users add NAME --config …)
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", default=argparse.SUPPRESS, help="config whose database holds the accounts")
    usub = sp.add_subparsers(dest="users_command", required=True)
    add = usub.add_parser("add", parents=[config], help="create an account, or update its password (and role)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default=None,
                     help="a new account's role (default annotator); for an existing one, changes it")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    for verb, what in (("disable", "stop an account from signing in (its ratings and dialogues stay)"),
                       ("enable", "let a disabled account sign in again")):
        toggle = usub.add_parser(verb, parents=[config], help=what)
        toggle.add_argument("name")
    ls = usub.add_parser("list", parents=[config], help="list accounts (never passwords)")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    sp.set_defaults(func=cmd_users)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise InputError("the passwords do not match")
    if not password:
        raise InputError("empty password: pass it on stdin with --password-stdin, or type it when asked")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("the password is not UTF-8 text: type it again, or fix the terminal's encoding") from None
    return password


def cmd_users(args: argparse.Namespace) -> int:
    """Add, disable, enable or list accounts in the configured database."""
    cfg = load_config(args.config)
    store = Store(cfg.effective_database_url)
    try:
        if args.users_command == "add":
            role, current = role_to_save(store, args.name, args.role)
            user = upsert_user(store, args.name, _read_password(args.password_stdin), role)
            if current is None:
                print(f"created {user.username!r} (role {user.role}, id {user.id}) in {store.display_url}")
            else:
                change = f"role {current} -> {user.role}" if current != user.role else f"role {user.role} kept"
                print(f"updated {user.username!r}: new password, {change} (id {user.id}) in {store.display_url}")
            return 0
        if args.users_command in ("disable", "enable"):
            user = set_active(store, args.name, args.users_command == "enable")
            print(f"{user.username!r} {args.users_command}d (role {user.role}, id {user.id}) in {store.display_url}")
            return 0
        for a in list_accounts(store):
            if args.json:
                print(json.dumps({"id": a.id, "username": a.username, "role": a.role, "active": a.active,
                                  "created_at": a.created_at.isoformat()}, ensure_ascii=False))
            else:
                print(f"{a.id:>4}  {a.username:<24} {a.role:<10} {'active' if a.active else 'disabled'}")
        return 0
    finally:
        store.dispose()
