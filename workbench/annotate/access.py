"""Who may see what beyond their own work. One place, so a new role needs one edit."""

from __future__ import annotations

from workbench.auth import CurrentUser

#: roles that may see every annotator's quality figures (a ``researcher`` reads results but runs nothing)
QUALITY_ROLES = frozenset({"admin", "researcher"})


def can_view_quality(user: CurrentUser) -> bool:
    """Admins and researchers; tolerant of a role the account table does not know yet."""
    return bool(getattr(user, "is_admin", False)) or str(getattr(user, "role", "")).lower() in QUALITY_ROLES
