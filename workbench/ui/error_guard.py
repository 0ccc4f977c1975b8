"""User-facing messages for every handler's errors; internals go to the log only.

Gradio shows an exception's text in a pop-up when ``show_error=True`` ("Python int too large to convert to
SQLite INTEGER", component reprs). The app launches with ``show_error=False`` and every handler is wrapped
here: a :class:`gr.Error` passes as it is, a :class:`WorkbenchError` (written for users) becomes one, and
anything else is logged with its traceback and shown as a short message with a reference to the log line.
"""

from __future__ import annotations

import functools
import inspect
import logging
import secrets
from collections.abc import Callable
from typing import Any

import gradio as gr

from workbench.errors import WorkbenchError
from workbench.ui import i18n
from workbench.ui.text import as_toast

log = logging.getLogger(__name__)


def user_error(e: BaseException) -> gr.Error:
    """The pop-up for ``e``: its own text only when it was written for users.

    None of them makes Gradio print a traceback: a message for users (a refusal, a bad value) is no fault of
    the server (a refusal is logged in one line where it is decided), and an unexpected error is logged
    here, with its traceback, under the reference the user is shown."""
    if isinstance(e, gr.Error):
        e.print_exception = False
        return e
    lang = i18n.language()
    if isinstance(e, WorkbenchError):
        # A pop-up is HTML and such a text can hold what a user typed or a file held (a name, a field):
        # translated, then escaped.
        return gr.Error(as_toast(e), print_exception=False)
    ref = secrets.token_hex(4)
    log.error("unexpected error in a UI handler (ref %s)", ref, exc_info=e)
    return gr.Error(i18n.t("app.error.unexpected", lang, ref=ref), print_exception=False)


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its errors turned into :func:`user_error` (generators stay generators)."""
    if getattr(fn, "__workbench_guarded__", False) or inspect.iscoroutinefunction(fn) \
            or inspect.isasyncgenfunction(fn):
        return fn
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except (GeneratorExit, KeyboardInterrupt):
                raise
            except Exception as e:
                raise user_error(e) from None

        wrapper: Callable[..., Any] = gen_wrapper
    else:
        @functools.wraps(fn)
        def call_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as e:
                raise user_error(e) from None

        wrapper = call_wrapper
    wrapper.__workbench_guarded__ = True  # type: ignore[attr-defined]
    return wrapper


def guard_handlers(demo: gr.Blocks) -> None:
    """Wrap every event handler of ``demo`` (call once the Blocks are built)."""
    for block_fn in demo.fns.values():
        if block_fn.fn is not None:
            block_fn.fn = guarded(block_fn.fn)
