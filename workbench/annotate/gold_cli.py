"""``python -m workbench gold import FILE.jsonl`` and ``gold list``: gold items from the command line.

A gold file has one object a line: the reply (``generation_id``, or ``dialogue_id`` + ``turn_index`` +
``column``), the expected answer (``turn_type``, ``questioning``, ``suggestion``: a score or ``"na"``)
and optionally ``tolerance`` (scores that far from the expected one still count as right) and ``note``.
"""

from __future__ import annotations

import argparse
import json

from sqlalchemy import select

from workbench.access import Permission, require_permission, roles_with
from workbench.annotate.gold import import_gold, list_gold, read_gold_file
from workbench.annotate.rubric import load_rubric
from workbench.auth import LOCAL_USER, NO_PASSWORD, CurrentUser, upsert_user
from workbench.config import load_config
from workbench.errors import AuthError
from workbench.plural import counted
from workbench.store.engine import Store
from workbench.store.schema import User


def add_gold_parser(sub: argparse._SubParsersAction, default_config: str) -> None:
    """Register the ``gold`` command on the CLI's subparsers."""
    sp = sub.add_parser("gold", help="import and list gold items (replies with an expected answer)")
    sp.add_argument("--config", default=default_config, help="config whose database holds the ratings")
    sp.add_argument("--admin", default=LOCAL_USER,
                    help="the admin account the gold answers are attributed to (default: the local user of a "
                         "workbench without logins; required where the store has accounts)")
    gsub = sp.add_subparsers(dest="gold_command", required=True)
    imp = gsub.add_parser("import", help="mark the replies of a JSONL file as gold, all or nothing")
    imp.add_argument("file")
    imp.add_argument("--config", default=argparse.SUPPRESS)
    imp.add_argument("--admin", default=argparse.SUPPRESS)  # before or after the subcommand alike
    ls = gsub.add_parser("list", help="one JSON object per gold reply")
    ls.add_argument("--config", default=argparse.SUPPRESS)
    ls.add_argument("--admin", default=argparse.SUPPRESS)
    sp.set_defaults(func=cmd_gold)


def _admin(store: Store, name: str) -> CurrentUser:
    with store.session() as s:
        u = s.scalar(select(User).where(User.username == name, User.active.is_(True)))
        found = CurrentUser(u.id, u.username, u.role) if u is not None else None
    if found is None and name == LOCAL_USER:
        with store.session() as s:
            admins = sorted(s.scalars(select(User.username).where(
                User.role.in_(roles_with(Permission.TEAM)), User.active.is_(True), User.password_hash != NO_PASSWORD)))
        if admins:
            # A team's store (accounts with passwords): a passwordless admin added here would outlive the
            # "only active admin" guard and own answers nobody gave. The answers are attributed to a named one.
            raise AuthError("this store has accounts: name the admin the gold answers are attributed to, "
                            f"e.g. --admin {admins[0]} (active admins: {', '.join(admins)})")
        return upsert_user(store, LOCAL_USER, None, "admin")  # the single user of a workbench without logins
    if found is None:
        raise AuthError(f"{name!r} is not an active admin account")
    return require_permission(found, Permission.TEAM, f"{name!r} is not an active admin account")


def cmd_gold(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    store = Store(cfg.effective_database_url)
    try:
        admin = _admin(store, args.admin)
        if args.gold_command == "import":
            rows = read_gold_file(args.file)
            with store.session() as s:
                n = import_gold(s, admin, rows, rubric=load_rubric(cfg.resolve_path(cfg.annotation.rubric)))
            print(f"marked {counted(n, 'reply', 'replies')} as gold")
        else:
            with store.session() as s:
                for row in list_gold(s, admin):
                    print(json.dumps(row, ensure_ascii=False))
    finally:
        store.dispose()
    return 0
