"""``GET /workbench-account``: whether this browser's sign-in still names an account that may work.

The page asks every 10 s while in view (``session_guard.js``). Gradio's own ``login_check`` only knows whether
the sign-in cookie is valid; an account an admin disabled keeps a valid cookie, and its page looked usable
until reloaded, though nothing it did was saved (walk 9). Answers 401 when not signed in, else 200 with
``{"active": false}`` for an account disabled or removed since, ``{"active": true}`` otherwise (and whenever
logins are off). A 403 is left to mean what the guard's refusals mean (another origin, an open-mode page whose
token is stale); the page draws its own fixed text for each answer.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from workbench.errors import AuthError
from workbench.ui.downloads import gradio_username

PREFIX = "/workbench-account"


class AccountCheck:
    """The ASGI handler for :data:`PREFIX`."""

    def __init__(self, svc: Any) -> None:
        self.svc = svc

    def _active(self, name: str | None) -> bool | None:
        """Whether the signed-in account may work; None when no one is signed in."""
        auth = self.svc.auth
        if not auth.enabled:
            return True
        if name is None:
            return None
        try:
            auth.lookup(name)
        except AuthError:
            return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A store read: off the event loop, as every Gradio event's own lookup is.
        active = await anyio.to_thread.run_sync(self._active, gradio_username(scope))
        answer = JSONResponse({"active": active} if active is not None else {"detail": "not signed in"},
                              status_code=200 if active is not None else 401, headers={"Cache-Control": "no-store"})
        await answer(scope, receive, send)
