"""The tabs hold no SQL: they call service functions, which own the sessions and the queries.

A walk over every module of ``workbench/ui`` fails on an ``sqlalchemy`` import, an import of the ORM rows
(``workbench.store.schema``) or a session opened on the store (``.session(``, ``store.read(``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[1] / "workbench" / "ui"


def sql_uses(source: str) -> list[str]:
    """Each way ``source`` reaches the database itself, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] == "sqlalchemy" or a.name.startswith("workbench.store.schema")]
        elif isinstance(node, ast.ImportFrom) and node.module and (
                node.module.split(".")[0] == "sqlalchemy" or node.module.startswith("workbench.store.schema")):
            found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if node.func.attr == "session":
                found.append(f"{node.lineno}: .session(...)")
            elif node.func.attr == "read" and isinstance(owner, ast.Attribute | ast.Name) and \
                    (owner.attr if isinstance(owner, ast.Attribute) else owner.id) == "store":
                found.append(f"{node.lineno}: store.read(...)")
    return found


@pytest.mark.parametrize("path", sorted(UI.glob("*.py")), ids=lambda p: p.name)
def test_no_sql_in_the_ui(path: Path):
    assert sql_uses(path.read_text(encoding="utf-8")) == [], f"{path.name} reaches the database itself"


def test_the_walk_sees_every_way_in():
    # The checker must fail on what the tabs did before they called services.
    before = '''
from sqlalchemy import select
import sqlalchemy.orm
from workbench.store.schema import User

def choices(svc):
    with svc.store.session() as s:
        return list(s.scalars(select(User.username)))

def reads(store, path):
    with store.read() as s:
        return open(path).read()
'''
    assert sorted(int(x.split(": ")[0]) for x in sql_uses(before)) == [2, 3, 4, 7, 11]
    assert sql_uses("def f(path):\n    return open(path).read()\n") == []
