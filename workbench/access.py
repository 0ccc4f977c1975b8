"""Roles and what each may do: one table, one check used by every handler, service and command.

``require_role`` refuses a request; ``require_permission`` refuses a user already resolved (a service
function or a command line) and is what ``require_role`` runs. No other code compares roles.
Hiding a tab is a courtesy; the check here is what refuses a direct API call.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any, TypeVar

from workbench.errors import AuthError

log = logging.getLogger(__name__)
U = TypeVar("U")


class Permission(StrEnum):
    CHAT = "chat"            # talk to the models (blind for annotators)
    RATE = "rate"            # rate the items assigned to oneself
    SEE_MODELS = "see_models"  # model names, inputs and routes; reveal in the Rate tab
    COMPARE = "compare"      # statistics over everyone's ratings
    EXPORT = "export"        # training data and tables, and their downloads
    DATA = "data"            # import datasets, run batch generation
    TEAM = "team"            # everyone's progress, flags, ratings and gold answers; release an annotator's items
    QUALITY = "quality"      # every annotator's quality figures (the Quality tab); gold answers stay admin-only
    ALL_DIALOGUES = "all_dialogues"  # list and open everyone's Chat dialogues (annotators: their own only)
    ACCOUNTS = "accounts"    # create accounts, change their roles and passwords, disable and enable them


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "annotator": frozenset({Permission.CHAT, Permission.RATE}),
    "researcher": frozenset({Permission.CHAT, Permission.RATE, Permission.SEE_MODELS, Permission.COMPARE,
                             Permission.EXPORT, Permission.QUALITY, Permission.ALL_DIALOGUES}),
    "admin": frozenset(Permission),
}
ROLES = tuple(ROLE_PERMISSIONS)

#: the tab each permission opens (tab ids as built in ``workbench.ui.app``)
TAB_PERMISSIONS: dict[str, Permission] = {
    "chat": Permission.CHAT, "rate": Permission.RATE, "compare": Permission.COMPARE,
    "quality": Permission.QUALITY, "data": Permission.DATA, "export": Permission.EXPORT,
}

REFUSALS: dict[Permission, str] = {
    Permission.CHAT: "your account may not chat with the models",
    Permission.RATE: "your account may not rate",
    Permission.SEE_MODELS: "only researchers and admins can see model names and inputs (annotators rate blind)",
    Permission.COMPARE: "only researchers and admins can see the comparison results (annotators rate blind)",
    Permission.EXPORT: "Export is available to researchers and admins only.",
    Permission.DATA: "only an admin can import datasets or run batch generation",
    Permission.TEAM: "only an admin can see the team's progress or release an annotator's items",
    Permission.QUALITY: "only researchers and admins can see annotator quality",
    Permission.ALL_DIALOGUES: "only researchers and admins can open other users' dialogues",
    Permission.ACCOUNTS: "only an admin can create or change accounts",
}


def allows(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def roles_with(permission: Permission) -> tuple[str, ...]:
    """The roles that hold ``permission``, for a query over accounts (who may lead the team)."""
    return tuple(role for role in ROLES if allows(role, permission))


def can_view_quality(user: Any) -> bool:
    """Admins and researchers may see every annotator's quality figures."""
    return allows(getattr(user, "role", ""), Permission.QUALITY)


def visible_tabs(role: str) -> set[str]:
    return {tab for tab, p in TAB_PERMISSIONS.items() if allows(role, p)}


def require_role(auth: Any, request: Any, permission: Permission) -> Any:
    """The server-side user of ``request`` if their role grants ``permission``; :class:`AuthError` otherwise.

    ``auth`` is the :class:`workbench.auth.Authenticator`; without logins the one local user is an admin.
    """
    return require_permission(auth.from_request(request), permission)


def may(auth: Any, request: Any, permission: Permission) -> bool:
    """Whether the user of ``request`` holds ``permission``, asked without a refusal: for what a page draws on
    load (every role loads every tab), where :func:`require_role` would log each annotator's page load as a
    refused attempt."""
    try:
        return allows(auth.from_request(request).role, permission)
    except AuthError:
        return False


def require_permission(user: U, permission: Permission, refusal: str | None = None) -> U:
    """``user`` if their role grants ``permission``; :class:`AuthError` (``refusal`` or the usual text) otherwise."""
    if not allows(getattr(user, "role", ""), permission):
        log.warning("refused %s to %r (role %s)", permission.value, getattr(user, "username", None),
                    getattr(user, "role", None))
        raise AuthError(refusal or REFUSALS[permission])
    return user
