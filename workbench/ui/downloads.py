"""``GET /workbench-export/<id>``: an export zip for the user who made it, if their role may still export; the
link is used up by the first download that completes (a ``HEAD`` or a download cut off part-way leaves it).
``GET /workbench-download/<token>/<file>``: a Compare plot (PNG, SVG) or table (CSV) for the user who
computed it, if their role may still see the comparison (:class:`ResultShelf`, :class:`ResultDownloads`).

Served by :class:`workbench.web_guard.WorkbenchGuard` in front of Gradio, not through Gradio's file cache:
no copy of an export ever lands where another logged-in user could fetch it by its ``file=`` path.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from workbench.access import Permission, require_permission
from workbench.errors import AuthError

log = logging.getLogger(__name__)
PREFIX = "/workbench-export/"


def gradio_username(scope: Scope) -> str | None:
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


def may_upload(svc: Any, scope: Scope) -> bool:
    """Whether the user of ``scope`` has a role with an upload box (imports and gold files: admins)."""
    try:
        return _permitted(svc.auth.lookup(gradio_username(scope)), Permission.DATA)
    except AuthError:
        return False


def _permitted(user: Any, permission: Permission) -> bool:
    """The shared role check (it logs a refusal); False answers the download with 403."""
    try:
        require_permission(user, permission)
    except AuthError:
        return False
    return True


class ExportDownloads:
    """The ASGI handler for :data:`PREFIX`."""

    def __init__(self, svc: Any) -> None:
        self.svc = svc  # the vault is created on the first export, not at start

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = scope.get("path", "")[len(PREFIX):].strip("/")
        try:
            user = self.svc.auth.lookup(gradio_username(scope))
        except AuthError:
            await JSONResponse({"detail": "Not authenticated"}, status_code=401)(scope, receive, send)
            return
        if not _permitted(user, Permission.EXPORT):
            await JSONResponse({"detail": "Forbidden"}, status_code=403)(scope, receive, send)
            return
        if scope.get("method") not in ("GET", "HEAD"):
            await JSONResponse({"detail": "Method not allowed: an export link is fetched with GET"},
                               status_code=405, headers={"Allow": "GET, HEAD"})(scope, receive, send)
            return
        item = self.svc.exports.find(key, user.username) if key else None
        if item is None:
            # (another account's link is "not found" too, and stays for its owner: walk 11 was told it was used up)
            await JSONResponse({"detail": "Not found: an export link works for one complete download, by "
                                          "the account that made it, within an hour; press Export again for "
                                          "a new one"},
                               status_code=404)(scope, receive, send)
            return
        if scope.get("method") == "HEAD":  # curl -I, a download manager's probe: the link stays
            await send_whole_file(item.path, item.name, scope, receive, send)
            return
        # The link leaves the vault just before the last chunk goes out (so that a request the client sends
        # once it has the whole file finds nothing), and comes back if the client left before it was all sent.
        vault = self.svc.exports
        if await send_whole_file(item.path, item.name, scope, receive, send,
                                 before_last=lambda: vault.withdraw(key)):
            item.path.unlink(missing_ok=True)
        else:
            vault.restore(key, item)


async def send_whole_file(path: Path, name: str, scope: Scope, receive: Receive, send: Send,
                          before_last: Callable[[], object] = lambda: None) -> bool:
    """Answer with the zip at ``path``, always whole; True when its last byte went out before the client left
    (handed to the connection: what the client's side of it then does, no server can tell). ``before_last`` is
    called just before the last chunk is sent, if the client is still there.

    Byte ranges are not served, so that a complete answer is the whole file (a resumed download starts over),
    and neither is the server's ``pathsend`` extension, which would hide whether the file got out.
    """
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() not in (b"range", b"if-range")]
    extensions = {k: v for k, v in (scope.get("extensions") or {}).items() if k != "http.response.pathsend"}
    scope = {**scope, "headers": headers, "extensions": extensions}
    finished = left = False

    async def watch_receive() -> Message:
        nonlocal left
        message = await receive()
        # (uvicorn's send to a closed connection returns as if it had sent: the disconnect says it was not)
        if message["type"] == "http.disconnect" and not finished:
            left = True
        return message

    async def watch_send(message: Message) -> None:
        nonlocal finished
        last = message["type"] == "http.response.body" and not message.get("more_body", False)
        if last and not left:
            before_last()
        await send(message)
        finished = finished or (last and not left)

    response = FileResponse(path, media_type="application/zip", filename=name)
    del response.headers["accept-ranges"]
    await response(scope, watch_receive, watch_send)
    return finished and not left


#: the Compare tab's figures and tables as files (see :class:`ResultShelf`)
RESULTS_PREFIX = "/workbench-download/"
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml", "csv": "text/csv; charset=utf-8"}
_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


@dataclass(frozen=True)
class Shelved:
    """One view's downloadable files, made on request: file name -> function returning its bytes."""

    owner: str
    permission: Permission
    created: float
    files: dict[str, Callable[[], bytes]]


class ResultShelf:
    """The latest views users computed, kept in memory so that their plots and tables can be downloaded.

    Each view gets an unguessable token bound to the user who computed it; only that user, and only while
    their role still grants ``permission``, can fetch its files. Files are made on request (a PNG takes
    about a second), not for every refresh. A user's oldest views and those older than ``ttl_s`` go.
    """

    def __init__(self, *, ttl_s: float = 3600.0, per_owner: int = 4) -> None:
        self.ttl_s = ttl_s
        self.per_owner = per_owner
        self._items: dict[str, Shelved] = {}
        self._lock = threading.Lock()

    def put(self, owner: str, permission: Permission, files: dict[str, Callable[[], bytes]]) -> str:
        bad = [name for name in files if not _FILE_NAME.fullmatch(name)]
        if bad:
            raise ValueError(f"file names must be plain: {bad}")
        key = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            for k in [k for k, v in self._items.items() if now - v.created > self.ttl_s]:
                del self._items[k]
            mine = sorted((v.created, k) for k, v in self._items.items() if v.owner == owner)
            for _, k in mine[:max(0, len(mine) - self.per_owner + 1)]:
                del self._items[k]
            self._items[key] = Shelved(owner, permission, now, dict(files))
        return key

    def get(self, key: str, user: str) -> Shelved | None:
        with self._lock:
            item = self._items.get(key)
        if item is None or item.owner != user or time.monotonic() - item.created > self.ttl_s:
            return None
        return item


class ResultDownloads:
    """The ASGI handler for :data:`RESULTS_PREFIX`: ``<token>/<file name>`` from the services' shelf."""

    def __init__(self, svc: Any) -> None:
        self.svc = svc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key, _, name = scope.get("path", "")[len(RESULTS_PREFIX):].partition("/")
        try:
            user = self.svc.auth.lookup(gradio_username(scope))
        except AuthError:
            await JSONResponse({"detail": "Not authenticated"}, status_code=401)(scope, receive, send)
            return
        item = self.svc.results.get(key, user.username) if key else None
        make = item.files.get(name) if item is not None else None
        if item is None or make is None:
            # (another account's link is "not found" too: whether it exists is that account's business)
            await JSONResponse({"detail": "Not found: a result link works only for the account that made it, "
                                          "for an hour; press Refresh to make a new one"},
                               status_code=404)(scope, receive, send)
            return
        if not _permitted(user, item.permission):
            await JSONResponse({"detail": "Forbidden"}, status_code=403)(scope, receive, send)
            return
        body = await anyio.to_thread.run_sync(make)  # matplotlib takes about a second: off the event loop
        media = MEDIA_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
        await Response(body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff"})(scope, receive, send)


def csv_bytes(df: Any) -> bytes:
    """A table (pandas DataFrame) as CSV: every text cell and header goes through csv_safety (labels and
    names are untrusted); missing values stay empty, never 0. UTF-8 with a BOM, so spreadsheets read
    Chinese text right (pandas reads it either way)."""
    from workbench.csv_safety import safe_frame

    return safe_frame(df).to_csv(index=False).encode("utf-8-sig")


def links_html(token: str, items: list[tuple[str, str]], lead: str) -> str:
    """HTML links to shelved files: ``items`` are (file name, link text); ``lead`` is "Download:".

    Links are relative to the page (so they work behind a proxy's path prefix too) and carry the id
    ``download-<file name with - for .>``.
    """
    if not items:
        return ""
    parts = []
    for file, text in items:
        href = html.escape(f"{RESULTS_PREFIX.lstrip('/')}{token}/{file}")
        ident = html.escape("download-" + file.replace(".", "-"))
        parts.append(f'<a href="{href}" download="{html.escape(file)}" id="{ident}">{html.escape(text)}</a>')
    return f'<div class="result-downloads">{html.escape(lead)} ' + " · ".join(parts) + "</div>"


def table_links(token: str, items: list[tuple[str, str]], lang: str) -> str:
    """:func:`links_html` with its lead in ``lang``."""
    from workbench.ui.i18n import t

    return links_html(token, items, t("compare.downloads", lang))
