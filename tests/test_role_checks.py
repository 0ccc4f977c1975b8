"""One role check: every refusal in the code goes through workbench/access.py (``require_role`` for a request,
``require_permission`` for a user already resolved); no module compares roles or keeps its own admin test."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from workbench.access import REFUSALS, Permission, require_permission
from workbench.auth import CurrentUser
from workbench.errors import AuthError

WORKBENCH = Path(__file__).resolve().parents[1] / "workbench"
#: the table itself, and ``CurrentUser.can`` (a question the UI asks to show or hide, never a refusal)
OWNERS = {"access.py", "auth.py"}
ROLE_NAMES = {"admin", "researcher", "annotator"}


def copied_checks(source: str) -> list[str]:
    """Each place ``source`` decides on a role itself, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "is_admin":
            found.append(f"{node.lineno}: .is_admin")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "allows":
            found.append(f"{node.lineno}: allows(...)")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            role = any(isinstance(x, ast.Attribute) and x.attr == "role" for x in sides)
            named = any(isinstance(x, ast.Constant) and x.value in ROLE_NAMES for x in sides) or any(
                isinstance(x, ast.Attribute) and x.attr == "ADMIN" for x in sides)
            if role and named:
                found.append(f"{node.lineno}: role compared with a role name")
    return found


def modules() -> list[Path]:
    return sorted(p for p in WORKBENCH.rglob("*.py") if p.name not in OWNERS or p.parent != WORKBENCH)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(WORKBENCH)))
def test_no_module_keeps_its_own_role_check(path: Path):
    assert copied_checks(path.read_text(encoding="utf-8")) == []


def test_the_walk_sees_the_copies_it_replaced():
    before = '''
def _require_admin(user):
    if not user.is_admin:
        raise AuthError("only an admin can set or see gold answers")

def download(user):
    if not allows(user.role, Permission.EXPORT):
        return 403
    if user.role == "admin" or "researcher" != user.role or user.role is Role.ADMIN:
        return 200
'''
    assert sorted(int(x.split(": ")[0]) for x in copied_checks(before)) == [3, 7, 9, 9, 9]
    assert copied_checks("def f(t):\n    return t.role == 'patient'\n") == []


def test_require_permission_refuses_with_the_callers_words_and_logs(caplog):
    researcher = CurrentUser(7, "res", "researcher")
    assert require_permission(researcher, Permission.QUALITY) is researcher
    with caplog.at_level(logging.WARNING, logger="workbench.access"), \
            pytest.raises(AuthError, match=r"^only an admin can see flagged items$"):
        require_permission(researcher, Permission.TEAM, "only an admin can see flagged items")
    assert "refused team to 'res' (role researcher)" in caplog.text
    with pytest.raises(AuthError, match=REFUSALS[Permission.DATA]):
        require_permission(CurrentUser(1, "x", "no such role"), Permission.DATA)
    assert require_permission(CurrentUser(1, "boss", "admin"), Permission.TEAM).username == "boss"
