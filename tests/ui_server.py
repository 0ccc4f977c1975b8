"""Start the real Gradio app in-process on 127.0.0.1 for client and browser tests, as launch.py does:
the same guard, limits and login back-off (``workbench.ui.app.server_options``)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from workbench.services import Services
from workbench.ui.app import build_app, server_options
from workbench.web_guard import OpenModeGuard


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerURL(str):
    """The server's base URL (``http://127.0.0.1:PORT/``), plus what open mode needs: its token.

    ``page`` is the address a browser opens (with ``?token=`` in open mode); ``headers`` go with API calls
    (``gradio_client.Client(url, headers=url.headers)``, httpx).
    """

    token: str | None

    def __new__(cls, base: str, token: str | None = None) -> ServerURL:
        obj = super().__new__(cls, base)
        obj.token = token
        return obj

    @property
    def page(self) -> str:
        return f"{self}?token={self.token}" if self.token else str(self)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"} if self.token else {}


def client(url: ServerURL, **kwargs: Any):
    """A gradio_client for the server, carrying open mode's token."""
    from gradio_clients import Client

    kwargs.setdefault("verbose", False)
    kwargs.setdefault("analytics_enabled", False)
    return Client(url, headers={**url.headers, **kwargs.pop("headers", {})}, **kwargs)


@contextmanager
def running_app(svc: Services, *, auth: bool = False, port: int | None = None) -> Iterator[ServerURL]:
    """Logins are on when ``svc`` was built with ``auth_enabled=True`` (``auth`` says the test expects it).

    ``port``: serve there, as a restarted server comes back on its configured port (same origin, so a browser
    keeps what it stored); a free port otherwise. Open mode gets a new token on every start.
    """
    if auth and not svc.auth.enabled:
        raise ValueError("build the services with auth_enabled=True for a server with logins")
    auth = svc.auth.enabled
    demo = build_app(svc)
    guard = None if auth else OpenModeGuard.create()
    port = launch_app(demo, svc, guard, port=port)
    try:
        yield ServerURL(f"http://127.0.0.1:{port}/", guard.token if guard else None)
    finally:
        demo.close()


def launch_app(demo: Any, svc: Services, guard: OpenModeGuard | None, *, port: int | None = None,
               attempts: int = 3) -> int:
    """Launch ``demo`` as launch.py does (on ``port``, or a free one); returns the port.

    Gradio's launch() checks the server with a HEAD of ``/`` under a 3-second timeout and, when that
    times out, raises "When localhost is not accessible, a shareable link must be created". On a loaded
    2-core CI machine the page's first render can miss that timeout although the server is up, so a
    launch that fails only that check is closed and tried again (on a new port unless one was given).
    """
    for attempt in range(attempts):
        chosen = port or free_port()
        try:
            demo.launch(server_name="127.0.0.1", server_port=chosen, prevent_thread_lock=True, quiet=True,
                        **server_options(svc, open_mode=guard))
            return chosen
        except ValueError as e:
            if "shareable link" not in str(e) or attempt == attempts - 1:
                raise
            demo.close()
    raise AssertionError("unreachable")
