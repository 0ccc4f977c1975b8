"""The HTTP guard in front of Gradio: open mode's Host/Origin/token checks, login mode's same-origin check and
sign-out, and the per-address login back-off.

Open mode (no accounts) has no login, so any web page the user visits could otherwise drive the
workbench through the browser (DNS rebinding, cross-site requests). As Jupyter does, the server then
requires a random token printed at start: ``?token=…`` in the URL sets a cookie, and API clients may send
``Authorization: token …``. Every request must also name a loopback or configured host in ``Host`` and,
when it has one, in ``Origin``. Anything else gets 403.

With logins, Gradio's login cookie is ``SameSite=None`` and its CORS layer echoes any ``Origin`` with
credentials allowed whenever the Host is not a loopback name (a server on a LAN name or behind an HTTPS
proxy): any web page a signed-in user visited could then read ``/config`` and run every event as that user.
So a request whose ``Origin`` names another host than the one it was sent to (or one in ``allowed_hosts``)
gets 403 there too. Gradio's sign-out forgets only the ``Secure`` cookie's session, which a browser on plain
HTTP beyond loopback never stores: :meth:`WorkbenchGuard._logout` forgets the other cookie's session too.
Gradio's login page also carries the description of every API endpoint, admin ones included, to anyone not signed
in (``/config`` and ``/gradio_api/info`` answer 401 there): :meth:`WorkbenchGuard._page` leaves it empty.
Gradio's traffic monitoring (:data:`MONITORING`) is refused to everyone, in both modes. A request body over
:data:`MAX_REQUEST_BODY` (an upload aside) gets 413 before Gradio reads it, in both modes, and one that names a file by
a web address (:func:`names_a_remote_file`) gets 400: Gradio downloads such a file into its cache before the event's
handler can check the user's role (walk of session 71: an annotator's call to an admin's import made the server fetch
a URL), and nothing in the workbench takes a file by address.
Every answer carries :data:`SECURITY_HEADERS`: no other site may frame the workbench (behind an HTTPS proxy the
``SameSite=None`` cookie is sent to a frame, whose own requests are same-origin: a site could steer a signed-in
admin's clicks in an invisible frame), and no URL, open mode's ``?token=`` included, leaves as a referrer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import anyio.to_thread
from starlette.requests import Request

from workbench.login_throttle import LoginThrottle, lockout_message

if TYPE_CHECKING:
    from workbench.auth import LoginRefusal

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
TOKEN_PARAM = "token"
#: Gradio's launch() calls these itself, without a token: its one-time startup events, and a HEAD of the
#: page to see that the server is up (HEAD sends no body). Both are harmless.
NO_TOKEN = (("GET", "/gradio_api/startup-events"), ("HEAD", ""))
#: Gradio's traffic monitoring: ``/monitoring/summary`` gives any signed-in user, an annotator too, the
#: team's call counts and timings per endpoint (accounts_save, export_run, import_dataset …), and
#: ``/monitoring/<key>`` mounts a dashboard of every event, guarded only by a key printed on the server's
#: console, outside the workbench's logins and roles. Nothing here uses it (the store keeps each generation's
#: latency; bench/ measures speed), so it is refused to everyone, admins included, rather than given a role.
MONITORING = "/monitoring"
#: routes Gradio serves to anyone, which only a signed-in page uses: a heartbeat is an event stream held open for as
#: long as the client likes (walk of session 72: ten minutes of a visitor's curl), whose end runs the app's unload
#: events for the session it names
SIGNED_IN_ONLY = ("/gradio_api/heartbeat",)
#: Gradio's upload route, which streams a multipart body to disk and checks ``max_file_size`` as it goes
UPLOAD = "/gradio_api/upload"
#: added to every HTTP answer that does not set them itself (see the module docstring)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"content-security-policy", b"frame-ancestors 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


# The page's embedded API description (Starlette's JSON escapes "<", so the first ";</script>" ends it), and
# the mark of Gradio's login page in the page's config.
_API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.S)
_LOGIN_PAGE = re.compile(rb'"auth_required":\s*true')
# (the shape the page's script reads: with a bare {} it logs "Could not get API info" on the login page)
_NO_API_INFO = b'window.gradio_api_info = {"named_endpoints": {}, "unnamed_endpoints": {}};</script>'


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hostname_of(value: str) -> str | None:
    """The lower-case host name of a ``Host`` header value (``name``, ``name:port``, ``[v6]:port``)."""
    value = value.strip().lower()
    if not value:
        return None
    try:
        return urlsplit("//" + value).hostname
    except ValueError:
        return None


@dataclass(frozen=True)
class OpenModeGuard:
    """What open mode accepts: these host names, and this token."""

    token: str
    allowed_hosts: frozenset[str] = field(default_factory=lambda: frozenset(LOOPBACK_NAMES))

    @classmethod
    def create(cls, extra_hosts: Iterable[str] = (), token: str | None = None) -> OpenModeGuard:
        hosts = {h.strip().lower().strip("[]") for h in (*LOOPBACK_NAMES, *extra_hosts) if h and h.strip()}
        hosts -= {"0.0.0.0", "::"}  # listening addresses, never names a browser should send
        return cls(token or new_token(), frozenset(hosts))

    @property
    def cookie_name(self) -> str:
        # One name per server, so that two workbenches on one machine do not overwrite each other's cookie.
        return "workbench-token-" + hashlib.sha256(self.token.encode()).hexdigest()[:10]

    def url_with_token(self, base: str) -> str:
        return f"{base.rstrip('/')}/?{urlencode({TOKEN_PARAM: self.token})}"

    def host_allowed(self, host_header: str | None) -> bool:
        return hostname_of(host_header or "") in self.allowed_hosts

    def origin_allowed(self, origin: str | None) -> bool:
        if origin is None:
            return True  # not a browser's cross-origin request (curl, same-origin GET)
        return origin_hostname(origin) in self.allowed_hosts

    def token_matches(self, candidate: str | None) -> bool:
        return candidate is not None and bool(candidate) and hmac.compare_digest(
            candidate.encode(), self.token.encode()
        )


def same_origin(headers: dict[str, str], extra_hosts: frozenset[str]) -> bool:
    """Whether a request's ``Origin`` (when it has one) names the host it was sent to, or one of ``extra_hosts``.

    Host names are compared, not ports: a proxy may add or drop the default port, and cookies do not tell
    ports apart anyway. ``Origin: null`` (sandboxed frames, files) is never the workbench's own page.
    ``X-Forwarded-Host`` is not trusted: a page's script may send it (Gradio's CORS layer allows any
    header), while no browser lets a script choose ``Host``.
    """
    origin = headers.get("origin")
    if origin is None:
        return True  # not a browser's cross-origin request (curl, same-origin GET)
    name = origin_hostname(origin)
    if not name:
        return False
    return name == hostname_of(headers.get("host", "")) or name in extra_hosts


def origin_hostname(origin: str) -> str | None:
    """The host name an ``Origin`` header names, lower-cased; None for ``null`` or one that does not parse."""
    try:
        return urlsplit(origin.strip().lower()).hostname
    except ValueError:
        return None


def _under(path: str, root_path: str, prefix: str) -> bool:
    """Whether ``path`` (less the proxy's ``root_path``, when it carries it) is ``prefix`` or below it."""
    if root_path and path.startswith(root_path + "/"):
        path = path[len(root_path):]
    return path == prefix or path.startswith(prefix + "/")


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope.get("headers", []):
        out.setdefault(k.decode("latin-1").lower(), v.decode("latin-1"))
    return out


#: a sign-in form is a name and a password; anything longer is refused before it is parsed
MAX_LOGIN_BODY = 64 * 1024

#: any other request but an upload (which Gradio streams to disk, up to ``server.max_upload_mb``): the largest the
#: page sends is a Rate submit (``rate_payload.MAX_PAYLOAD_CHARS``, a few MB at worst once JSON-escaped). Gradio
#: reads and parses a body in the event loop *before* it checks the login, so without this cap anyone who can
#: reach the server stalled every user and took ~3x the body in memory (300 MB: 20 s, +1 GB; final walk s63).
MAX_REQUEST_BODY = 8 * 1024 * 1024
#: what a page's pop-up shows for it (a chat message pasted from a huge file is the likely cause), in both of the
#: page's languages: it is refused before anything knows which one the page is in
TOO_LARGE = ("Request too large: over 8 MB, the most one request may carry; nothing was saved · "
             "请求过大：超过 8 MB（单个请求的上限），未保存任何内容")


#: what a request that names a file by a web address gets (400), in both languages as TOO_LARGE
REMOTE_FILE = "A file must be uploaded, not named by a web address · 文件须上传，不能以网址指定"


def names_a_remote_file(body: bytes) -> bool:
    """Whether a JSON request body holds a file value (Gradio's ``FileData``: an object with a ``path``, its
    ``meta`` marking it or not) whose path is an http(s) address.

    The whole body is parsed rather than searched for the words, which JSON may write with escapes
    (``https:\\/\\/``, ``\\u0068ttps``). A body that is not JSON names no file: Gradio refuses it itself."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            path = item.get("path")
            if isinstance(path, str) and path.strip().lower().startswith(("http://", "https://")):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then whatever the client sends next (its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _hardened(send: Send) -> Send:
    """``send`` with :data:`SECURITY_HEADERS` added to the answer's start, where it has none of that name."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
            if extra:
                message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


async def _reply(send: Send, scope: Scope, status: int, detail: str, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


class WorkbenchGuard:
    """ASGI middleware (passed to Gradio through ``app_kwargs``); see the module docstring."""

    def __init__(self, app: ASGIApp, *, open_mode: OpenModeGuard | None = None,
                 address_throttle: LoginThrottle | None = None,
                 routes: dict[str, Callable[[Scope, Receive, Send], Awaitable[None]]] | None = None,
                 origin_hosts: Iterable[str] = (), upload_allowed: Callable[[Scope], bool] | None = None,
                 login_attempt: Callable[[str, str], LoginRefusal | None] | None = None,
                 login_page_script: str = "", page_head_script: str = "",
                 signed_in: Callable[[Scope], bool] | None = None) -> None:
        self.app = app
        self.open_mode = open_mode
        # login mode: host names other than the request's own whose pages may call the workbench
        self.origin_hosts = frozenset(h.strip().lower().strip("[]") for h in origin_hosts if h and h.strip())
        self.address_throttle = address_throttle
        self.routes = routes or {}
        # login mode: whether the request's user may upload files (only the roles with an upload box may fill
        # the server's upload folder, up to max_upload_mb a file)
        self.upload_allowed = upload_allowed
        # login mode: one sign-in attempt (None = success), and the script the login page gets to say why one failed
        self.login_attempt = login_attempt
        self.login_page_script = login_page_script
        # both modes: a script every page runs first, before Gradio's own (which reads the browser's language once)
        self.page_head_script = page_head_script
        # login mode: whether the request carries a valid sign-in, for the routes Gradio leaves open (SIGNED_IN_ONLY);
        # read from the request alone (Gradio's tokens), no store
        self.signed_in = signed_in

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http":
            send = _hardened(send)
        headers = _headers(scope)
        set_cookie: bytes | None = None
        if self.open_mode is not None:
            guard = self.open_mode
            if not guard.host_allowed(headers.get("host")):
                log.warning("refused a request for host %r (open mode accepts %s)", headers.get("host"),
                            ", ".join(sorted(guard.allowed_hosts)))
                await _reply(send, scope, 403, "Forbidden: this host name is not allowed (open mode)")
                return
            if not guard.origin_allowed(headers.get("origin")):
                log.warning("refused a cross-origin request from %r", headers.get("origin"))
                await _reply(send, scope, 403, "Forbidden: cross-origin request")
                return
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            cookies = SimpleCookie()
            try:
                cookies.load(headers.get("cookie", ""))
            except Exception:  # a malformed Cookie header is simply no token
                cookies = SimpleCookie()
            auth = headers.get("authorization", "")
            by_header = auth[6:].strip() if auth.lower().startswith("token ") else None
            by_cookie = cookies[guard.cookie_name].value if guard.cookie_name in cookies else None
            if guard.token_matches(query.get(TOKEN_PARAM)):
                set_cookie = (f"{guard.cookie_name}={guard.token}; Path=/; HttpOnly; SameSite=Strict").encode()
            elif not (guard.token_matches(by_cookie) or guard.token_matches(by_header)
                      or (scope.get("method"), scope.get("path", "").rstrip("/")) in NO_TOKEN):
                await _reply(send, scope, 403, "Forbidden: open the URL with ?token=… that the workbench "
                                               "printed when it started")
                return
        elif not same_origin(headers, self.origin_hosts):
            log.warning("refused a cross-origin request from %r to %r", headers.get("origin"), headers.get("host"))
            await _reply(send, scope, 403, "Forbidden: cross-origin request")
            return
        path = scope.get("path", "")
        if _under(path, scope.get("root_path", ""), MONITORING):
            await _reply(send, scope, 403, "Forbidden: Gradio's monitoring is off in the workbench")
            return
        sign_in = (self.address_throttle is not None and scope["type"] == "http" and scope.get("method") == "POST"
                   and path.rstrip("/").endswith("/login"))
        # Every body but an upload's (Gradio's upload route itself: /gradio_api/call/upload parses JSON) and a
        # sign-in's, which _login reads under its own, smaller cap.
        if scope["type"] == "http" and not sign_in and not _under(path, scope.get("root_path", ""), UPLOAD):
            capped = await self._capped(scope, receive, send, headers)
            if capped is None:
                return
            receive, body = capped
            if body and names_a_remote_file(body):
                log.warning("refused a request to %s that names a file by a web address", path)
                await _reply(send, scope, 400, REMOTE_FILE)
                return
        if (self.signed_in is not None and any(_under(path, scope.get("root_path", ""), p) for p in SIGNED_IN_ONLY)
                and not self.signed_in(scope)):
            await _reply(send, scope, 401, "Not signed in")
            return
        for prefix, handler in self.routes.items():
            if path.startswith(prefix) and scope["type"] == "http":
                await handler(scope, receive, self._with_cookie(send, set_cookie))
                return
        if sign_in:
            await self._login(scope, receive, self._with_cookie(send, set_cookie))
            return
        if (self.upload_allowed is not None and scope["type"] == "http" and scope.get("method") == "POST"
                and path.rstrip("/").endswith("/upload") and not self.upload_allowed(scope)):
            await _reply(send, scope, 403, "Forbidden: your account may not upload files")
            return
        if self.open_mode is None and scope["type"] == "http" and path.rstrip("/").endswith("/logout"):
            await self._logout(scope, receive, send, headers)
            return
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD") and "." not in path:
            # Gradio answers a HEAD of the page with the headers of the page as it wrote it: the login page's length
            # before this guard takes its API description out (walk of session 72: 661,147 bytes said to a visitor
            # shown 11,937). A HEAD is served as a GET, as HTTP says, less the body.
            head = scope.get("method") == "HEAD"
            await self.app({**scope, "method": "GET"} if head else scope, receive,
                           self._page(self._with_cookie(send, set_cookie), headers_only=head))
            return
        await self.app(scope, receive, self._with_cookie(send, set_cookie))

    @staticmethod
    async def _capped(scope: Scope, receive: Receive, send: Send,
                      headers: dict[str, str]) -> tuple[Receive, bytes] | None:
        """``receive`` for a request whose body is at most :data:`MAX_REQUEST_BODY`, with the body read (empty for
        a GET or HEAD); None once a 413 is sent.

        A declared length over the cap is refused before anything is read; a body sent without one (chunked) is
        read up to the cap and then refused. A GET or HEAD is passed on as it is: nothing reads its body."""
        declared = headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > MAX_REQUEST_BODY:
            await _reply(send, scope, 413, TOO_LARGE)
            return None
        if scope.get("method") in ("GET", "HEAD"):
            return receive, b""
        body = await _read_body(receive, MAX_REQUEST_BODY)
        if body is None:
            await _reply(send, scope, 413, TOO_LARGE)
            return None
        return _replaying(body, receive), body

    def _page(self, send: Send, *, headers_only: bool = False) -> Send:
        """A page's HTML as Gradio wrote it, except that every page runs ``page_head_script`` first and the login
        page (shown to anyone not signed in) describes no API endpoint (their names and parameters are the
        signed-in user's business) and carries ``login_page_script``. Other answers pass as sent.

        ``headers_only`` (a HEAD): the same headers, with an empty body."""
        script = f"<script>{self.login_page_script}</script></body>".encode() if self.login_page_script else b""
        first = f"<script>{self.page_head_script}</script>".encode() if self.page_head_script else b""
        start: list[Message] = []
        body: list[bytes] = []

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if not content_type.startswith(b"text/html"):
                    await send(message)
                    return
                start.append(message)
                return
            if not start or message["type"] != "http.response.body":
                if headers_only and message["type"] == "http.response.body":
                    message = {**message, "body": b""}
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            html = b"".join(body)
            if first:
                head, end, tail = html.partition(b"<head>")
                html = head + end + first + tail if end else html
            if _LOGIN_PAGE.search(html):
                html = _API_INFO.sub(_NO_API_INFO, html, count=1)
                if script:
                    head, end, tail = html.rpartition(b"</body>")
                    html = head + script + tail if end else html + script
            headers = [(k, v) for k, v in start[0].get("headers", []) if k.lower() != b"content-length"]
            await send({**start[0], "headers": [*headers, (b"content-length", str(len(html)).encode())]})
            await send({"type": "http.response.body", "body": b"" if headers_only else html})

        return wrapped

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Per-address back-off: a locked address is refused before Gradio (and scrypt) sees the request. Then the
        attempt itself: Gradio's login page says "Incorrect Credentials" to every 400 and nothing at all to any
        other answer, so a refusal says why in its status (403 disabled, 429 locked out), which the page's
        :data:`LOGIN_PAGE_JS` turns into a sentence. Only a successful attempt reaches Gradio, which signs in."""
        assert self.address_throttle is not None
        address = (scope.get("client") or ("?",))[0]
        wait = self.address_throttle.retry_after(address)
        if wait > 0:
            log.warning("login refused for address %s: too many failed attempts (back-off %.0f s)", address, wait)
            await _reply(send, scope, 429, lockout_message(wait),
                         [(b"retry-after", str(math.ceil(wait)).encode())])
            return
        body = await _read_body(receive, MAX_LOGIN_BODY)
        if body is None:
            await _reply(send, scope, 413, "Request too large: a sign-in is a name and a password")
            return
        replay = _replaying(body, receive)
        if self.login_attempt is not None:
            form = await Request(scope, _replaying(body, receive)).form()
            username, password = form.get("username"), form.get("password")
            if isinstance(username, str) and isinstance(password, str):
                # scrypt and a store read: off the event loop
                refusal = await anyio.to_thread.run_sync(self.login_attempt, username.strip(), password)
                if refusal is not None:
                    self.address_throttle.failed(address)
                    retry = [(b"retry-after", str(math.ceil(refusal.retry_after_s)).encode())] \
                        if refusal.retry_after_s else []
                    await _reply(send, scope, refusal.status, refusal.detail, retry)
                    return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, replay, watch)
        if status and 400 <= status[0] < 500:
            self.address_throttle.failed(address)

    async def _logout(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        """Gradio's sign-out, then the session of every login cookie the request carried is forgotten.

        Gradio's ``all_session=false`` forgets only the session named by its ``Secure`` cookie; on plain HTTP
        beyond loopback the browser holds only the other one, whose session then stayed valid after
        *Sign out*. Another site's page (an ``<img src=…/logout>``, which carries no ``Origin``) must not sign
        the user out everywhere: browsers mark its request ``Sec-Fetch-Site: cross-site``.
        """
        if headers.get("sec-fetch-site") == "cross-site":
            log.warning("refused a sign-out requested by another site (referer %r)", headers.get("referer"))
            await _reply(send, scope, 403, "Forbidden: sign out from the workbench's own page")
            return
        await self.app(scope, receive, send)
        app = scope.get("app")
        tokens, cookie_id = getattr(app, "tokens", None), getattr(app, "cookie_id", None)
        if not isinstance(tokens, dict) or cookie_id is None:
            return
        jar = SimpleCookie()
        try:
            jar.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header names no session
            return
        for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
            if name in jar:
                tokens.pop(jar[name].value, None)

    @staticmethod
    def _with_cookie(send: Send, cookie: bytes | None) -> Send:
        if cookie is None:
            return send

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        return wrapped
