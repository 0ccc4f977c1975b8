"""gradio_client's Client with a read timeout that survives a loaded CI machine.

gradio_client fetches /config and logs in with httpx's default five-second timeout. On the 2-core CI
machine, with a server from another module still winding down, that once ran out while the app was
fine. Streams are unaffected: the server sends a heartbeat every 15 seconds, well inside a minute.
"""

from __future__ import annotations

from typing import Any

import gradio_client
import httpx

PATIENT_TIMEOUT = httpx.Timeout(60.0)


class Client(gradio_client.Client):
    def __init__(self, *args: Any, httpx_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, httpx_kwargs={"timeout": PATIENT_TIMEOUT, **(httpx_kwargs or {})}, **kwargs)
