"""Start the real Gradio app in-process on 127.0.0.1 for client and browser tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from workbench.services import Services
from workbench.ui.app import CSS, build_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(svc: Services, *, auth: bool = False) -> Iterator[str]:
    demo = build_app(svc)
    port = free_port()
    kwargs = {}
    try:
        from workbench.ui.app import JS  # the Rate tab's keyboard shortcuts, when present

        kwargs["js"] = JS
    except ImportError:
        pass
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                auth=svc.auth.check if auth else None, css=CSS, footer_links=[], **kwargs)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
