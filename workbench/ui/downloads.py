"""``GET /workbench-export/<id>``: an export zip for the user who made it, if their role may still export.

Served by :class:`workbench.web_guard.WorkbenchGuard` in front of Gradio, not through Gradio's file cache:
no copy of an export ever lands where another logged-in user could fetch it by its ``file=`` path.
"""

from __future__ import annotations

import logging
from http.cookies import SimpleCookie
from typing import Any

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, JSONResponse

from workbench.access import Permission, allows
from workbench.errors import AuthError

log = logging.getLogger(__name__)
PREFIX = "/workbench-export/"


def gradio_username(scope: dict[str, Any]) -> str | None:
    """The user Gradio's login cookie names (``None`` without a valid one)."""
    app = scope.get("app")
    tokens = getattr(app, "tokens", None)
    cookie_id = getattr(app, "cookie_id", None)
    if tokens is None or cookie_id is None:
        return None
    raw = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"cookie"), "")
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is no login
        return None
    for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
        if name in jar and jar[name].value in tokens:
            return tokens[jar[name].value]
    return None


class ExportDownloads:
    """The ASGI handler for :data:`PREFIX`."""

    def __init__(self, svc: Any) -> None:
        self.svc = svc  # the vault is created on the first export, not at start

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        key = scope.get("path", "")[len(PREFIX):].strip("/")
        try:
            user = self.svc.auth.lookup(gradio_username(scope))
        except AuthError:
            await JSONResponse({"detail": "Not authenticated"}, status_code=401)(scope, receive, send)
            return
        if not allows(user.role, Permission.EXPORT):
            log.warning("export download refused to %r (role %s)", user.username, user.role)
            await JSONResponse({"detail": "Forbidden"}, status_code=403)(scope, receive, send)
            return
        item = self.svc.exports.take(key, user.username) if key else None
        if item is None:
            await JSONResponse({"detail": "Not found (exports are removed after their download)"},
                               status_code=404)(scope, receive, send)
            return
        response = FileResponse(item.path, media_type="application/zip", filename=item.name,
                                background=BackgroundTask(item.path.unlink, missing_ok=True))
        await response(scope, receive, send)
