"""Login mode against other web pages and after Sign out, on the real server with a real HTTP client.

A web page the signed-in user visits must not be able to read the workbench or act in it (Gradio's login
cookie is ``SameSite=None`` and its CORS layer echoes any Origin beyond loopback), and *Sign out* must end
the session on plain HTTP too, where a browser keeps only Gradio's non-``Secure`` cookie.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from rating_fixtures import RunningApp, add_positions, make_users


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    running = RunningApp(tmp_path_factory.mktemp("login_guard"), k=1)
    add_positions(running.store, 1)
    make_users(running.store, "ann", "rita")
    make_users(running.store, "res", role="researcher")
    make_users(running.store, "boss", role="admin")
    yield running
    running.close()


@contextmanager
def _signed_in(app: RunningApp, name: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app.url, timeout=60) as http:
        assert http.post("/login", data={"username": name, "password": "secret-pass-" + name}).status_code == 200
        yield http


def _plain_http_cookie(http: httpx.Client) -> dict[str, str]:
    """The one login cookie a browser keeps on plain HTTP beyond loopback (it drops ``Secure`` ones there)."""
    return {k: v for k, v in http.cookies.items() if k.startswith("access-token-unsecure-")}


def _join(http: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    body = {"data": [], "fn_index": 0, "session_hash": uuid.uuid4().hex, "event_data": None, "trigger_id": None}
    return http.post("/gradio_api/queue/join", json=body, headers=headers)


# A workbench reached by a LAN name or behind an HTTPS proxy: the Host is not a loopback name, where Gradio's
# CORS layer allows every origin with credentials.
SERVED_AS = "workbench.lab.internal"


def test_another_sites_page_can_neither_read_nor_act_as_the_signed_in_user(app):
    with _signed_in(app, "ann") as http:
        evil = {"Host": SERVED_AS, "Origin": "https://evil.example"}
        # (Gradio's CORS layer, outside the guard, still answers preflights: the request itself is refused.)
        assert http.get("/config", headers=evil).status_code == 403
        assert _join(http, evil).status_code == 403
        assert http.get("/gradio_api/info", headers=evil).status_code == 403
        # a sandboxed frame or a file says "null": not the workbench's page either
        assert http.get("/config", headers={"Host": SERVED_AS, "Origin": "null"}).status_code == 403
        # a page on a look-alike name is another site
        assert http.get("/config", headers={"Host": SERVED_AS,
                                            "Origin": f"https://{SERVED_AS}.evil.example"}).status_code == 403
        # a script may add X-Forwarded-Host (Gradio's CORS allows any header): it names no host of ours
        assert http.get("/config", headers={**evil, "X-Forwarded-Host": "evil.example"}).status_code == 403
        # The workbench's own page: the Origin names the host the request went to.
        port = app.url.rsplit(":", 1)[1]
        assert http.get("/config", headers={"Origin": f"http://127.0.0.1:{port}"}).status_code == 200
        assert http.get("/config", headers={"Host": SERVED_AS, "Origin": f"https://{SERVED_AS}"}).status_code == 200
        assert _join(http, {"Host": SERVED_AS, "Origin": f"https://{SERVED_AS}"}).status_code == 200
        # API clients send no Origin
        assert http.get("/config", headers={"Host": SERVED_AS}).status_code == 200


def test_another_sites_page_cannot_sign_the_browser_in(app):
    """Login CSRF: a foreign form must not sign the victim's browser into an account the attacker controls."""
    with httpx.Client(base_url=app.url, timeout=60) as http:
        r = http.post("/login", data={"username": "rita", "password": "secret-pass-rita"},
                      headers={"Host": SERVED_AS, "Origin": "https://evil.example"})
        assert r.status_code == 403 and not http.cookies


def test_a_configured_public_name_may_call_a_workbench_whose_proxy_rewrites_host():
    from workbench.web_guard import same_origin

    proxied = {"host": "127.0.0.1:7860", "origin": "https://wb.hospital.example"}
    assert not same_origin(proxied, frozenset())
    assert same_origin(proxied, frozenset({"wb.hospital.example"}))
    assert not same_origin({**proxied, "origin": "https://evil.example"}, frozenset({"wb.hospital.example"}))


def test_sign_out_ends_the_session_of_a_browser_on_plain_http(app):
    with _signed_in(app, "ann") as first, _signed_in(app, "ann") as second:
        cookie = _plain_http_cookie(first)
        assert cookie and httpx.get(app.url + "/gradio_api/user", cookies=cookie).json() == "ann"
        # the page's Sign out link (this browser only)
        out = httpx.get(app.url + "/logout?all_session=false", cookies=cookie)
        assert out.status_code == 302
        assert httpx.get(app.url + "/gradio_api/user", cookies=cookie).json() is None
        assert httpx.get(app.url + "/config", cookies=cookie).status_code != 200
        # the same account's other browser stays signed in, as the README says
        assert httpx.get(app.url + "/gradio_api/user", cookies=_plain_http_cookie(second)).json() == "ann"


def test_another_sites_page_cannot_sign_the_user_out(app):
    """An ``<img src=https://workbench/logout>`` on any page would sign the user out of every browser (Gradio's
    default is every session): it carries no Origin, but the browser says ``Sec-Fetch-Site: cross-site``."""
    with _signed_in(app, "rita") as http:
        cookie = _plain_http_cookie(http)
        refused = httpx.get(app.url + "/logout", cookies=cookie, headers={"Sec-Fetch-Site": "cross-site"})
        assert refused.status_code == 403
        assert httpx.get(app.url + "/gradio_api/user", cookies=cookie).json() == "rita"
        # typed in the address bar, or the page's own link
        for site in ("none", "same-origin"):
            assert httpx.get(app.url + "/logout?all_session=false", cookies=cookie,
                             headers={"Sec-Fetch-Site": site}).status_code == 302


def test_the_login_page_describes_no_api_endpoint_to_someone_not_signed_in(app):
    """Walk 8: Gradio's login page carried the names and parameters of all 46 endpoints, admin ones included, while
    /config and /gradio_api/info refused the same visitor. It now carries none; the signed-in page still has them
    (the page's own scripts and the API page use them)."""
    with httpx.Client(base_url=app.url, timeout=60) as http:
        page = http.get("/")
        assert page.status_code == 200 and '"auth_required":true' in page.text.replace(" ", "")
        assert 'window.gradio_api_info = {"named_endpoints": {}, "unnamed_endpoints": {}};' in page.text
        assert "accounts_save" not in page.text and "/send" not in page.text
        assert int(page.headers["content-length"]) == len(page.content)
        assert http.get("/gradio_api/info").status_code == 401
    with _signed_in(app, "ann") as http:
        page = http.get("/")
        assert page.status_code == 200 and "accounts_save" in page.text and "/send" in page.text


def test_the_account_check_tells_a_disabled_account_from_one_not_signed_in(app):
    """The page's 10-s check (session_guard.js): Gradio's login_check knows only the cookie, which stays valid when
    an admin disables the account, so the page looked usable until reloaded (walk 9)."""
    from workbench.auth import set_active

    with httpx.Client(base_url=app.url, timeout=30) as stranger:
        r = stranger.get("/workbench-account")
        assert r.status_code == 401 and "active" not in r.json()
    with _signed_in(app, "rita") as http:
        assert http.get("/workbench-account").json() == {"active": True}
        set_active(app.store, "rita", False)
        try:
            r = http.get("/workbench-account")
            assert r.status_code == 200 and r.json() == {"active": False}
            assert r.headers["cache-control"] == "no-store"
            assert http.get("/gradio_api/login_check").status_code == 200  # why Gradio's own check could not say
        finally:
            set_active(app.store, "rita", True)
        assert http.get("/workbench-account").json() == {"active": True}
        # another site's page learns nothing of it
        assert http.get("/workbench-account", headers={"Host": SERVED_AS, "Origin": "https://evil.example"}
                        ).status_code == 403


MONITORING_PATHS = ("/monitoring/summary", "/monitoring", "/monitoring/some-key", "/monitoring/some-key/dashboard",
                    "/monitoring/summary/", "/%6Donitoring/summary")


def test_gradios_monitoring_is_refused_to_everyone(app):
    """Walk: /monitoring/summary gave any signed-in user, an annotator too, the team's call counts per endpoint
    (accounts_save, export_run, import_dataset …). Nothing in the workbench uses Gradio's monitoring: it is
    refused to every role and to a visitor not signed in, whatever the spelling of the path."""
    with httpx.Client(base_url=app.url, timeout=60) as stranger:
        for path in MONITORING_PATHS:
            r = stranger.get(path)
            assert r.status_code == 403 and "monitoring is off" in r.json()["detail"], path
    for name in ("ann", "res", "boss"):
        with _signed_in(app, name) as http:
            assert http.get("/gradio_api/user").json() == name  # signed in: the refusal is not for want of a login
            for path in MONITORING_PATHS:
                r = http.get(path)
                assert r.status_code == 403 and "accounts_save" not in r.text, (name, path)


def test_a_sign_in_costs_one_scrypt_run_and_a_refused_one_still_costs_one(app, monkeypatch):
    """The HTTP guard verifies the password (to say why a sign-in failed), then Gradio checks it again: two scrypt
    runs, 16 MB and tens of milliseconds each, for every sign-in. The guard's success is used up by Gradio's check."""
    import hashlib

    real = hashlib.scrypt
    runs: list[int] = []

    def counted(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    with _signed_in(app, "res") as http:
        assert http.get("/gradio_api/user").json() == "res"
    assert len(runs) == 1
    runs.clear()
    with httpx.Client(base_url=app.url, timeout=60) as http:
        assert http.post("/login", data={"username": "res", "password": "wrong"}).status_code == 400
        assert len(runs) == 1  # timing still does not tell a wrong password from a right one
        assert not http.get("/gradio_api/user").json()
    # a verified sign-in is used up once: Gradio's check of a replayed password runs scrypt again
    auth = app.svc.auth
    runs.clear()
    assert auth.attempt("res", "secret-pass-res") is None and auth.check("res", "secret-pass-res")
    assert len(runs) == 1 and auth.check("res", "secret-pass-res") and len(runs) == 2
    assert not auth.check("res", "secret-pass-rex")
    # nor does it outlive a new password or a disabled account
    from workbench.auth import set_active, upsert_user

    assert auth.attempt("res", "secret-pass-res") is None
    set_active(app.store, "res", False)
    try:
        assert not auth.check("res", "secret-pass-res")
    finally:
        set_active(app.store, "res", True)
    assert auth.attempt("res", "secret-pass-res") is None
    upsert_user(app.store, "res", "another-pass-res", "researcher")
    try:
        assert not auth.check("res", "secret-pass-res")
    finally:
        upsert_user(app.store, "res", "secret-pass-res", "researcher")


def test_no_other_site_may_frame_the_workbench(app):
    """Walk: no answer carried a framing policy. Behind an HTTPS proxy Gradio's login cookie is ``SameSite=None;
    Secure``, so another site could show the signed-in workbench in an invisible frame and steer an admin's clicks
    (retire an item, disable an account): the frame's own requests are same-origin, which the Origin check lets
    through. Every answer (the login page, the signed-in page, the API, a refusal, a download) now forbids
    framing by other sites, names its content type as final and sends no referrer to other sites."""

    def assert_hardened(r: httpx.Response, what: str) -> None:
        assert r.headers.get("x-frame-options") == "SAMEORIGIN", what
        assert "frame-ancestors 'self'" in r.headers.get("content-security-policy", ""), what
        assert r.headers.get("x-content-type-options") == "nosniff", what
        assert r.headers.get("referrer-policy") == "same-origin", what

    with httpx.Client(base_url=app.url, timeout=60) as stranger:
        assert_hardened(stranger.get("/"), "login page")
        assert_hardened(stranger.get("/config"), "401")
        assert_hardened(stranger.get("/monitoring"), "403 from the guard")
        assert_hardened(stranger.get("/workbench-account"), "workbench route")
    with _signed_in(app, "ann") as http:
        page = http.get("/")
        assert "accounts_save" in page.text  # the signed-in page itself
        assert_hardened(page, "signed-in page")
        assert_hardened(http.get("/config"), "config")
        assert_hardened(http.get("/theme.css"), "asset")
        assert [v for k, v in page.headers.multi_items() if k == "x-frame-options"] == ["SAMEORIGIN"]  # one of each


def test_a_request_body_over_the_cap_is_refused_before_gradio_reads_it(app):
    """Final walk s63: Gradio reads and parses a request's JSON body in the event loop before it checks the login,
    so anyone who could reach the server stalled every user for 20 s and took a further 1 GB of memory with one
    300 MB POST to ``/gradio_api/queue/join``, answered only then with 401. A body over the cap now gets 413 at
    once, whether its length is declared or it comes chunked, on any path but the upload route (which Gradio
    streams to disk up to ``server.max_upload_mb``): an admin's upload larger than the cap still goes through."""
    from workbench.web_guard import MAX_REQUEST_BODY

    over = b'{"data": ["' + b"a" * MAX_REQUEST_BODY + b'"], "fn_index": 0, "session_hash": "x"}'
    json_type = {"content-type": "application/json"}

    def chunked():
        for i in range(0, len(over), 1 << 20):
            yield over[i:i + (1 << 20)]

    with httpx.Client(base_url=app.url, timeout=60) as stranger:
        for path in ("/gradio_api/queue/join", "/gradio_api/call/send", "/gradio_api/call/upload"):
            r = stranger.post(path, content=over, headers=json_type)
            assert r.status_code == 413 and r.json()["detail"].startswith("Request too large: over 8 MB"), (path, r.text[:200])
        r = stranger.post("/gradio_api/queue/join", content=chunked(), headers=json_type)
        assert r.status_code == 413, r.text[:200]
        assert "content-length" not in r.request.headers  # it was sent chunked
        # a body under the cap still reaches Gradio, which asks for a login
        assert stranger.post("/gradio_api/queue/join", content=b"{}", headers=json_type).status_code == 401
    with _signed_in(app, "boss") as http:
        big = http.post("/gradio_api/upload", files={"files": ("big.csv", b"x" * (MAX_REQUEST_BODY + 1024))})
        assert big.status_code == 200, big.text[:200]
        assert http.get("/gradio_api/user").json() == "boss"


def test_a_file_named_by_a_web_address_is_refused_before_gradio_fetches_it(app):
    """Walk of session 71: Gradio downloads a file value whose path is an http(s) address into its cache before the
    event's handler runs, so an annotator's call to an admin's import (refused only in the handler) made the server
    fetch a URL of the annotator's choosing. A body naming a file by address now gets 400, however JSON writes the
    address and whatever the role; a file value with a server path, and an address in plain text, still pass."""
    from workbench.web_guard import REMOTE_FILE

    def call(http: httpx.Client, path: str, file_path: str, *, escaped: bool = False) -> httpx.Response:
        value = {"path": file_path, "orig_name": "x.csv", "meta": {"_type": "gradio.FileData"}}
        body = json.dumps({"data": [value], "fn_index": 0, "session_hash": uuid.uuid4().hex})
        if escaped:  # JSON may escape the slashes and any letter
            body = body.replace("/", "\\/").replace('"https:', '"\\u0068ttps:')
        return http.post(path, content=body.encode(), headers={"content-type": "application/json"})

    for name in ("ann", "boss"):
        with _signed_in(app, name) as http:
            for path in ("/gradio_api/call/import_dataset", "/gradio_api/queue/join"):
                for escaped in (False, True):
                    r = call(http, path, "https://example.invalid/data.csv", escaped=escaped)
                    assert r.status_code == 400 and r.json()["detail"] == REMOTE_FILE, (name, path, escaped, r.text)
            # the same call with a server path reaches Gradio, which answers as it does
            assert call(http, "/gradio_api/call/import_dataset", "/tmp/not-uploaded.csv").status_code != 400
            # an address as text (a chat message quoting a link) is no file
            text = {"data": ["see https://example.invalid/a.csv"], "fn_index": 0, "session_hash": uuid.uuid4().hex}
            assert http.post("/gradio_api/queue/join", json=text).status_code == 200


def test_fastapis_own_schema_is_not_served_to_anyone(app):
    """Walk of session 71: FastAPI's /openapi.json answered a visitor who had not signed in with every endpoint's
    name, the admin ones included; Gradio's own API description asks for a login first and is kept for API users."""
    with httpx.Client(base_url=app.url, timeout=60) as stranger:
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert stranger.get(path).status_code == 404, path
        assert stranger.get("/gradio_api/openapi.json").status_code == 401
    with _signed_in(app, "boss") as http:
        assert http.get("/openapi.json").status_code == 404
        assert "paths" in http.get("/gradio_api/openapi.json").json()


def test_a_head_of_the_page_gets_the_headers_of_its_get(app):
    """Walk of session 72: a HEAD of the page, not signed in, said the length of Gradio's login page before the guard
    took its API description out (661,147 bytes, against the 11,937 a GET is sent). Signed in or not, a HEAD now gets
    what a GET would, without the body."""
    with httpx.Client(base_url=app.url, timeout=60) as http:
        page, head = http.get("/"), http.head("/")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == page.headers["content-length"] == str(len(page.content))
    with _signed_in(app, "ann") as http:
        page, head = http.get("/"), http.head("/")
        assert head.status_code == 200 and head.content == b""
        # the signed-in page is far larger (it describes the API); its length may differ by a timestamp's digits
        assert abs(int(head.headers["content-length"]) - len(page.content)) < 100 < len(page.content) - 20_000


def test_gradios_heartbeat_is_for_a_signed_in_page(app):
    """Walk of session 72: a visitor who had not signed in could hold Gradio's heartbeat stream open as long as it
    liked (and its end runs the app's unload events for the session it names). Refused without a sign-in; a signed-in
    page's heartbeat still streams."""
    with httpx.Client(base_url=app.url, timeout=60) as http:
        assert http.get(f"/gradio_api/heartbeat/{uuid.uuid4().hex}").status_code == 401
    with _signed_in(app, "ann") as http, http.stream("GET", f"/gradio_api/heartbeat/{uuid.uuid4().hex}") as beat:
        assert beat.status_code == 200 and beat.headers["content-type"].startswith("text/event-stream")
        assert next(beat.iter_lines()) == "data: ALIVE"
