"""The Chat tab: one patient box, every column streaming side by side, and "My dialogues".

Handlers are thin: they resolve the user from the request, check what that user may do with the dialogue
(:mod:`workbench.chat_dialogues`), call :mod:`workbench.chat`, and return updates keyed by component.
Every text is in the session's language (:mod:`workbench.ui.i18n`).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import threading
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from typing import Any, ClassVar

import gradio as gr
import pandas as pd

from workbench import chat, chat_dialogues
from workbench.access import Permission, require_role
from workbench.auth import CurrentUser
from workbench.chat import ShownTurn
from workbench.dialogue import Dialogue, Turn
from workbench.errors import InputError, WorkbenchError
from workbench.generation import ColumnUpdate, Job
from workbench.prompts import DISCLAIMER
from workbench.services import Services
from workbench.ui import i18n
from workbench.ui.i18n import K, Localizer
from workbench.ui.tables import blank_table, table_update
from workbench.ui.text import TEXT_CHATBOT, as_text, as_toast, chat_text, plain
from workbench.validation import blank
from workbench.vocab import GenerationStatus

log = logging.getLogger(__name__)
DISCLAIMER_BLOCK = "\n\n------------------\n" + DISCLAIMER
#: the concurrency group of every event that runs the models
GENERATION_QUEUE = "generation"
#: how often a page asks the store about a reply it opened while running (one indexed read a tick)
WATCH_S = 1.0
#: the browser remembers the open dialogue under this key, so a reload finds its way back
BROWSER_KEY = "workbench-chat-dialogue"
#: store statuses shown by their own word (others, e.g. "error", have their own line)
STATUS_KEYS = {"ok": "chat.status.done", "stopped": "chat.status.stopped", "running": "chat.status.streaming"}
HISTORY_COLUMNS = ("id", "started", "by", "messages", "first", "parent")


@dataclass
class ColumnView:
    name: str
    header: Any
    chatbot: Any
    status: Any
    model_input: Any
    route: Any
    preview_input: Any
    preview_route: Any
    inspect_box: Any
    regenerate: Any
    branch: Any


BUSY = "dialogue #{id} is still generating replies: wait for them, or press Stop"
# Another tab's send: its Stop is there. This page watches the store and draws those replies once they are stored.
BUSY_ELSEWHERE = ("dialogue #{id} is generating replies to a message sent in another tab: yours was not sent; this "
                  "page shows those replies once they are stored: read them, then send again")
BUSY_ELSEWHERE_REGENERATE = ("dialogue #{id} is generating replies started in another tab: nothing was regenerated; "
                             "this page shows those replies once they are stored")
STOP_ELSEWHERE = ("the replies generating in dialogue #{id} were started in another tab: press Stop there; this page "
                  "shows them once they are stored")
# A page whose dialogue changed in another tab since it drew it (a message sent, a reply regenerated or stored): what
# it would do would start from turns or replies it never showed. Refused; the page then shows the dialogue as stored.
STALE = ("dialogue #{id} changed in another tab since this page showed it: your message was not sent; the page now "
         "shows the dialogue as stored: read it, then send again")
STALE_REGENERATE = ("dialogue #{id} changed in another tab since this page showed it: nothing was regenerated; the "
                    "page now shows the dialogue as stored: read it, then regenerate again if you still want to")
STALE_BRANCH = ("dialogue #{id} changed in another tab since this page showed it: no branch was made; the page now "
                "shows the dialogue as stored: read it, then continue from the reply you want")
STALE_PREVIEW = ("dialogue #{id} changed in another tab since this page showed it: no preview was made; the page now "
                 "shows the dialogue as stored: preview again")
STALE_STOP = ("dialogue #{id} changed in another tab since this page showed it: nothing here was generating, so "
              "nothing was stopped; the page now shows the dialogue as stored")
# How long a message sent while a Regenerate of its dialogue runs waits for the new replies before it is refused
# (the README promises a message sent during replies goes once they are stored; a send waited only for a send)
SEND_WAITS_S = 600.0
# The text committed by the last Enter or Send (assets/chat_commit.js) is what goes, and it leaves the box when its
# send goes, in the browser, and only that text: a reply stream that cleared the box from the server erased what was
# typed meanwhile, and Gradio's held-back send read the box as it was then. A blank Enter during a send commits
# null, which sends nothing and says nothing. No commit left: either an earlier send took it (two Enters before the
# first went: every press the script saw is accounted for, and this send sends nothing, not what was typed since), or
# the script did not see the press (it runs once the page is ready, after the buttons already work, or it failed to
# load), and the box as Gradio read it goes: a Send clicked as the page opened went nowhere.
SEND_TAKES_TEXT_JS = """async (st, typed, last) => {
  const committed = window.__chatCommitted;
  window.__chatCommitted = undefined;
  const presses = window.__chatPressCount;
  const taken = presses > 0 && window.__chatPressesTaken === presses;
  window.__chatPressesTaken = presses;
  const text = committed ? committed.text : (taken ? null : typed);
  window.__chatSending = true;
  const box = document.querySelector('#patient-message textarea');
  if (box && text && text.trim() && box.value.startsWith(text)) {
    box.value = box.value.slice(text.length).replace(/^\\s+/, '');
    box.dispatchEvent(new Event('input', { bubbles: true }));
  }
  // (session_guard.js puts it back if the send is refused for an ended sign-in: it never reached the server)
  window.__chatInFlight = text && text.trim() ? text : null;
  // The warnings already shown go, and are gone (their 200 ms fade) before this send can be answered: Gradio 6
  // stacks a new warning under an open one and closes the stack when the first one's time is up, and a stack closed
  // while it faded came back for the new warning with the old timer, so a refusal of this send came and went with
  // the last one's (walk of session 70).
  const shown = document.querySelectorAll('.toast-body.warning [data-testid=toast-close]');
  shown.forEach((b) => b.click());
  if (shown.length) await new Promise((done) => setTimeout(done, 400));
  return [st, text, last];
}"""
# A refused message comes back into the box, ahead of anything typed since it left (a send that waited for a
# regeneration may be refused minutes later). Nothing returned: the box is left as it is, not written back.
SEND_RETURNS_TEXT_JS = """(back, box) => {
  window.__chatSending = false;
  window.__chatInFlight = null;
  return back
    ? [(box || '').trim() ? back + '\\n' + box : back, '']
    : [{ __type__: 'update' }, { __type__: 'update' }];
}"""
WAITING_SHOWN_CHARS = 200


@dataclass
class RunControl:
    """Stop events of the generations running for each browser session, and which dialogues are generating."""

    _jobs: dict[str, list[Job]] = field(default_factory=lambda: defaultdict(list))
    _busy: dict[int, str] = field(default_factory=dict)  # dialogue -> what holds it ("send", "regenerate")
    _pages: dict[int, str] = field(default_factory=dict)  # dialogue -> the browser session that holds it
    # dialogue -> the session whose run last ended in it and the revision it left, which that page drew as it streamed
    # (an event that began before the run ended holds the page state from before it); the LEFT_KEPT most recent
    _left: OrderedDict[int, tuple[str, tuple]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _freed: threading.Condition = field(init=False)

    #: how many runs' records :meth:`left_by` keeps, the latest ended: a record matters only to an event of its page
    #: that read the page state before the run's last update reached it (begun meanwhile, or a send that waited for
    #: the run to end), which asks within moments of the run's end; one more per dialogue for the server's life grew
    #: without bound. Runs are at most server.concurrency_limit at a time, so a thousand ending in between is far off.
    LEFT_KEPT: ClassVar[int] = 1_000

    def __post_init__(self) -> None:
        self._freed = threading.Condition(self._lock)

    def claim(self, dialogue_id: int, kind: str = "send", wait_s: float = 0.0, session: str = "") -> None:
        """Mark a dialogue as generating; refused while another send or regeneration of it runs. A send waits up to
        ``wait_s`` for a *regeneration* to end (the message goes once the new replies are stored); a send from a
        second tab during a send is refused at once, its text left in that tab's box.

        Without it a Regenerate pressed during a send (or a send from a second tab) would generate a reply from a
        thread that lacks the reply still streaming. A set, not a lock: Gradio may resume a generator on
        another thread, and the release happens wherever it ends.
        """
        end = time.monotonic() + wait_s
        with self._lock:
            while self._busy.get(dialogue_id) == "regenerate" and (left := end - time.monotonic()) > 0:
                self._freed.wait(left)
            if dialogue_id in self._busy:
                other = self._pages.get(dialogue_id, "")
                elsewhere = BUSY_ELSEWHERE if kind == "send" else BUSY_ELSEWHERE_REGENERATE
                raise InputError((elsewhere if session and other and other != session else BUSY)
                                 .format(id=dialogue_id))
            self._busy[dialogue_id] = kind
            self._pages[dialogue_id] = session

    def holder(self, dialogue_id: int) -> str | None:
        """What generates in the dialogue now ("send", "regenerate"), or None."""
        with self._lock:
            return self._busy.get(dialogue_id)

    def page(self, dialogue_id: int) -> str | None:
        """The browser session whose send or regeneration holds the dialogue now, or None."""
        with self._lock:
            return self._pages.get(dialogue_id) if dialogue_id in self._busy else None

    def ended(self, dialogue_id: int, session: str, revision: tuple) -> None:
        """Record that ``session``'s run ended with the dialogue at ``revision``, as that page shows it now."""
        with self._lock:
            self._left[dialogue_id] = (session, tuple(revision))
            self._left.move_to_end(dialogue_id)
            while len(self._left) > self.LEFT_KEPT:
                self._left.popitem(last=False)

    def left_by(self, dialogue_id: int) -> tuple[str, tuple] | None:
        """The session whose run last ended in the dialogue, and the revision it left."""
        with self._lock:
            return self._left.get(dialogue_id)

    def release(self, dialogue_id: int) -> None:
        with self._lock:
            self._busy.pop(dialogue_id, None)
            self._pages.pop(dialogue_id, None)
            self._freed.notify_all()

    def add(self, session: str, jobs: list[Job]) -> None:
        with self._lock:
            self._jobs[session].extend(jobs)

    def done(self, session: str, jobs: list[Job]) -> None:
        with self._lock:
            self._jobs[session] = [j for j in self._jobs[session] if j not in jobs]

    def stop(self, session: str) -> int:
        """Stop the session's generations; how many were still generating."""
        with self._lock:
            running = [j for j in self._jobs[session] if not j.finished.is_set()]
            for j in running:
                j.stop.set()
            return len(running)


def route_name(route: str | None, lang: str) -> str | None:
    """A route as the status line shows it: "greeting" in the session's language, a model's own name as it is."""
    return i18n.catalogue().text_or(f"chat.route_name.{route}", lang, route) if route else route


def browser_key(database_url: str) -> str:
    """The key the browser's remembered dialogue number is encrypted with: one per store, across restarts."""
    return hashlib.sha256(f"{BROWSER_KEY}\0{database_url}".encode()).hexdigest()


def stopped_marker(lang: str) -> str:
    """The mark a stopped reply carries in its bubble (markup of ours: the reply text is escaped)."""
    return f'<span class="reply-stopped">■ {chat_text(i18n.t("chat.bubble.stopped", lang))}</span>'


def empty_marker(lang: str) -> str:
    """What a finished reply with no text shows instead of a blank bubble (markup of ours, like the stopped mark)."""
    return f'<span class="reply-stopped reply-empty">∅ {chat_text(i18n.t("chat.bubble.empty", lang))}</span>'


def to_messages(turns: list[ShownTurn], partial: str | None = None, lang: str = i18n.BUILD_LANGUAGE,
                ) -> list[dict[str, str]]:
    """Chatbot messages for a column thread, shown as text; the original disclaimer follows the first reply."""
    msgs: list[dict[str, str]] = []
    first_reply = True
    for t in turns:
        if t.role == "patient":
            msgs.append({"role": "user", "content": chat_text(t.text)})
            continue
        # A model that answers only an end or special tokens leaves nothing to show: say so, not a blank bubble.
        content = chat_text(t.text) if t.text.strip() or t.status == "stopped" else empty_marker(lang)
        if t.status == "stopped":
            content += "\n\n" + stopped_marker(lang)
        if first_reply:
            content += chat_text(DISCLAIMER_BLOCK)
            first_reply = False
        msgs.append({"role": "assistant", "content": content})
    if partial is not None:
        msgs.append({"role": "assistant", "content": chat_text(partial + (DISCLAIMER_BLOCK if first_reply else ""))})
    return msgs


def status_md(g: chat.ReplyStatus | None, lang: str, blind: bool = False) -> str:
    """A column's status line: the reply's state in the session's language, then route, time and tokens."""
    if g is None:
        return ""
    if g.status == "error":
        if blind:
            # The reason names the model, its server or its files (BianQue-2.0: cannot reach http://...):
            # blind raters are told only that the column failed.
            return i18n.t("chat.status.error_blind", lang)
        return i18n.t("chat.status.error", lang, error=as_text(i18n.catalogue().translate(g.error or "", lang)))
    parts = [f"`{i18n.t(STATUS_KEYS.get(g.status, 'chat.status.done'), lang)}`"]
    if g.status == "ok" and g.input_text is None:
        # The greeting: no model ran, so "0.00 s · 0 tokens" would read as a reply that took no time (walk 10).
        return " · ".join([*parts, i18n.t("chat.status.no_model_call", lang)])
    if g.route and not blind:
        parts.append(i18n.t("chat.status.route", lang, route=as_text(route_name(g.route, lang))))
    if g.latency_ms is not None:
        parts.append(f"{g.latency_ms / 1000:.2f} s")
    if g.output_tokens is not None:
        parts.append(i18n.t("chat.status.tokens", lang, n=g.output_tokens))
    return " · ".join(parts)


def pending_status(lang: str) -> str:
    """The status line of a column whose new reply is on its way (queued, in its prompt pass or streaming)."""
    return f"● {i18n.t('chat.status.streaming', lang)}"


def route_md(g: chat.ReplyStatus | None, lang: str) -> str:
    if g is None:
        return ""
    reason = i18n.catalogue().translate(g.route_reason or "", lang) or "—"  # stored in English
    return i18n.t("chat.route.last", lang, route=as_text(route_name(g.route, lang) or "—"), reason=as_text(reason),
                  seed=as_text(g.seed))


_NOT_SET = object()


def column_label(i: int, name: str, blind: bool, lang: str) -> str:
    return i18n.t("chat.column", lang, letter=chr(65 + i)) if blind else name


def history_table(rows: list[chat_dialogues.DialogueSummary], lang: str) -> pd.DataFrame:
    """The "My dialogues" list with headers in ``lang``; cells are plain text (datatype str)."""
    headers = [i18n.t(f"chat.history.col.{c}", lang) for c in HISTORY_COLUMNS]
    data = [[str(r.id), r.created_at.strftime("%Y-%m-%d %H:%M"), plain(r.owner) or "—", str(r.patient_messages),
             plain(r.first_message), f"#{r.parent_id}" if r.parent_id else ""] for r in rows]
    return pd.DataFrame(data, columns=headers)


def example_choices(lang: str) -> list[tuple[str, str]]:
    """The example dialogues' titles in ``lang``: a title is written "中文 · English" (both when it has no " · ")."""
    def title(t: str) -> str:
        zh, sep, en = t.partition(" · ")
        return (zh if lang == "zh" else en) if sep else t
    return [(title(e.title), e.id) for e in chat.examples()]


#: the skip button's action, in the page: the caret into the message box
FOCUS_MESSAGE_JS = "() => { document.querySelector('#patient-message textarea')?.focus(); }"


def build_chat_tab(svc: Services, state: gr.State, ui: Localizer) -> dict[str, Any]:
    control = RunControl()
    views: list[ColumnView] = []
    # The tab's first stop for the keyboard, seen only when focused: the message box came after every column's
    # copy, regenerate, branch and model-input controls, some 23 Tab presses in. Enter puts the caret in the box.
    skip = ui.make(gr.Button, value=K("chat.skip_to_message"), size="sm", elem_id="skip-to-message")
    skip.click(None, None, None, js=FOCUS_MESSAGE_JS, api_visibility="private", queue=False)
    # Headers start blind; page load names the columns for users allowed to see them (see on_load).
    with gr.Row(equal_height=False, elem_id="chat-columns"):
        for i, name in enumerate(svc.columns):
            with gr.Column(min_width=200):
                header = gr.Markdown(f"### Column {chr(65 + i)}", elem_classes=["column-header"])
                bot = gr.Chatbot(label=f"Column {chr(65 + i)}", show_label=False, height=460,
                                 elem_classes=["column-chat"], feedback_options=None, buttons=["copy"],
                                 **TEXT_CHATBOT)
                status = gr.Markdown("", elem_classes=["column-status"], elem_id=f"column-status-{i}")
                with gr.Row():
                    regen = ui.make(gr.Button, value=K("chat.regenerate"), size="sm", elem_id=f"regenerate-{i}")
                    branch = ui.make(gr.Button, value=K("chat.branch"), size="sm")
                with ui.make(gr.Accordion, label=K("chat.model_input"), open=False, visible=False,
                             elem_id=f"model-input-{i}") as acc:
                    model_input = ui.make(gr.Textbox, label=K("chat.last_input"), lines=4, max_lines=12,
                                          interactive=False, buttons=["copy"], elem_id=f"last-input-{i}")
                    route = gr.Markdown("")
                    preview_input = ui.make(gr.Textbox, label=K("chat.preview_input"), lines=4, max_lines=12,
                                            interactive=False, buttons=["copy"], elem_id=f"preview-input-{i}")
                    preview_route = gr.Markdown("")
                views.append(ColumnView(name, header, bot, status, model_input, route, preview_input, preview_route,
                                        acc, regen, branch))
    with gr.Row(elem_id="patient-row"):
        # lines=1 with room to grow: Gradio's textarea then sends on Enter and keeps Shift+Enter a new line
        # (with lines > 1 it is the other way round).
        # The hidden label is what a screen reader names the box (Gradio's default: "Textbox").
        msg = ui.make(gr.Textbox, label=K("chat.message_label"), placeholder=K("chat.placeholder"), show_label=False,
                      lines=1, max_lines=8,
                      scale=6, elem_id="patient-message", autofocus=True)
        send_btn = ui.make(gr.Button, value=K("chat.send"), variant="primary", scale=1, elem_id="send")
        returned = gr.Textbox(visible=False)  # a refused message, on its way back into the box
    with gr.Row():
        stop_btn = ui.make(gr.Button, value=K("chat.stop"), size="sm", elem_id="stop")
        regen_all = ui.make(gr.Button, value=K("chat.regenerate_all"), size="sm", elem_id="regenerate-all")
        new_btn = ui.make(gr.Button, value=K("chat.new"), size="sm", elem_id="new-dialogue")
        # hidden until the page load knows who is signed in: a blind annotator never sees it (walk s67)
        preview_btn = ui.make(gr.Button, value=K("chat.preview"), size="sm", elem_id="preview", visible=False)
        example = ui.make(gr.Dropdown, choices=example_choices("en"), label=K("chat.example"),
                          scale=2)
        example_btn = ui.make(gr.Button, value=K("chat.load_example"), size="sm")
    info = ui.make(gr.Markdown, value=K("chat.info.new"), elem_id="dialogue-info")
    # A reply still generating when this page (re)opened its dialogue (a reload mid-stream, a dialogue opened while
    # another tab's send runs) streams to no one here: its column said "streaming" for good (walk 11). While such a
    # reply runs the page asks the store every WATCH_S seconds, and draws the columns once it is stored. (Outside
    # the closed "My dialogues" accordion: a timer there is not mounted, and never ticks.)
    watch = gr.Timer(WATCH_S, active=False)
    with ui.make(gr.Accordion, label=K("chat.history.title"), open=False, elem_id="my-dialogues") as history_box:
        with gr.Row():
            find_text = ui.make(gr.Textbox, label=K("chat.history.text"), elem_id="history-text", scale=3)
            find_user = ui.make(gr.Dropdown, choices=[], value=None, label=K("chat.history.user"), visible=False,
                                allow_custom_value=True,
                                elem_id="history-user", scale=2)
            refresh = ui.make(gr.Button, value=K("chat.history.refresh"), size="sm", elem_id="history-refresh",
                              scale=1)
        table = gr.Dataframe(blank_table(), datatype="str", interactive=False, wrap=True, max_height=360,
                             elem_id="dialogue-list")
        with gr.Row():
            open_number = ui.make(gr.Textbox, label=K("chat.history.number"), elem_id="open-dialogue-number",
                                  scale=2)
            open_btn = ui.make(gr.Button, value=K("chat.history.open"), size="sm", elem_id="open-dialogue", scale=1)
    # The number is no secret (every load checks the user may open it, chat_dialogues.access): a key that is
    # stable for the store, rather than Gradio's random one per start, keeps it readable after a restart.
    remembered = gr.BrowserState(None, storage_key=BROWSER_KEY, secret=browser_key(svc.config.effective_database_url))

    column_outputs = [c for v in views for c in (v.chatbot, v.status, v.model_input, v.route, v.preview_input,
                                                 v.preview_route)]
    # The column headers and model-input panels too: a role changed while the page is open (an annotator made
    # a researcher and back) is drawn at the next event, not only at the next page load.
    all_outputs = [state, remembered, msg, info, *column_outputs, *(c for v in views for c in (v.header, v.inspect_box))]
    # Where an event that writes all_outputs shows its progress and an error: the status line and the three
    # conversations, not every model input and route box (a refusal drew 22 Error badges).
    progress_on = [info, *(v.chatbot for v in views)]

    def user_of(request: gr.Request) -> CurrentUser:
        return require_role(svc.auth, request, Permission.CHAT)

    def blind_for(user: CurrentUser) -> bool:
        """Annotators in blind mode never see model names or routes, here as in the Rate tab."""
        return svc.config.annotation.blind and not user.can(Permission.SEE_MODELS)

    def draws_columns(out: dict) -> bool:
        return any(v.chatbot in out or v.status in out for v in views)

    def column_names(request: gr.Request | None, out: dict) -> dict:
        """``out`` with every column named for the user's role now (blind letters or model names), when ``out``
        draws the columns (a refusal, which changes nothing, is left as it is)."""
        if not draws_columns(out):
            return out
        try:
            user = require_role(svc.auth, request, Permission.CHAT)
        except WorkbenchError:
            return out
        return named_columns(out, blind_for(user), i18n.language(request))

    def named_columns(out: dict, blind: bool, lang: str) -> dict:
        """``out`` with each column's header, model-input panel and conversation label for a blind or a
        seeing user."""
        named = dict(out)
        for i, v in enumerate(views):
            label = column_label(i, v.name, blind, lang)
            named[v.header] = f"### {as_text(label)}"
            named[v.inspect_box] = gr.update(visible=not blind)
            # The conversation's (hidden) label names it for screen readers. Where the event draws the
            # conversation its messages stay a plain list: what an API client reads from /send or /open_dialogue.
            shown = named.get(v.chatbot, _NOT_SET)
            if shown is _NOT_SET:
                named[v.chatbot] = gr.update(label=label)
            elif isinstance(shown, dict):
                named[v.chatbot] = {**shown, "label": label}
        return named

    def naming_columns(fn: Any) -> Any:
        """``fn`` (an event handler writing all_outputs) with its first update that draws the columns naming them
        (a send's note that it waits for a regeneration comes before)."""
        def request_of(args: tuple, kwargs: dict) -> gr.Request | None:
            return next((a for a in (*args, *kwargs.values()) if isinstance(a, gr.Request)), None)

        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def streaming(*args: Any, **kwargs: Any) -> Any:
                first = True
                for out in fn(*args, **kwargs):
                    if first and isinstance(out, dict) and draws_columns(out):
                        out, first = column_names(request_of(args, kwargs), out), False
                    yield out
            return streaming

        @functools.wraps(fn)
        def returning(*args: Any, **kwargs: Any) -> Any:
            out = fn(*args, **kwargs)
            return column_names(request_of(args, kwargs), out) if isinstance(out, dict) else out
        return returning

    def render(dialogue_id: int | None, lang: str, *, blind: bool, partial: dict[str, str] | None = None) -> dict:
        out: dict = {}
        if dialogue_id is None:
            for v in views:
                out.update({v.chatbot: [], v.status: "", v.model_input: "", v.route: "", v.preview_input: "",
                            v.preview_route: ""})
            return out
        shown = chat.shown_threads(svc, dialogue_id)
        last = chat.last_generations(svc, dialogue_id, [v.name for v in views])
        for v in views:
            g = last[v.name]
            out[v.chatbot] = to_messages(shown[v.name], (partial or {}).get(v.name), lang)
            # A column waiting for its new reply must not show the previous reply's "done".
            out[v.status] = pending_status(lang) if v.name in (partial or {}) else status_md(g, lang, blind)
            # Blind views get empty inputs and routes: every key exists, whoever renders.
            out[v.model_input] = "" if blind or g is None else (
                g.input_text if g.input_text is not None else i18n.t("chat.no_model_call", lang))
            out[v.route] = "" if blind else route_md(g, lang)
            # A preview belongs to the message typed then; a new reply makes it stale.
            out[v.preview_input], out[v.preview_route] = "", ""
        return out

    def info_md(dialogue_id: int | None, lang: str, acc: chat_dialogues.DialogueAccess | None = None, *,
                blind: bool = True) -> str:
        if not dialogue_id:
            return i18n.t("chat.info.new", lang)
        if acc is not None and not acc.mine:
            return i18n.t("chat.info.others", lang, id=dialogue_id, owner=as_text(acc.owner or "—"))
        # A branch says where it came from for as long as it is shown (a reload or a send said "Dialogue #2" only).
        origin = chat_dialogues.branch_origin(svc, dialogue_id)
        if origin is not None and origin[1] in svc.columns:
            parent, column = origin
            label = column_label(svc.columns.index(column), column, blind, lang)
            return i18n.t("chat.info.branched", lang, id=dialogue_id, parent=parent, column=as_text(label))
        return i18n.t("chat.info.dialogue", lang, id=dialogue_id)

    def goto(dialogue_id: int | None, lang: str, *, blind: bool, info_text: str | None = None,
             acc: chat_dialogues.DialogueAccess | None = None, st: dict | None = None,
             partial: dict[str, str] | None = None) -> dict:
        """Show ``dialogue_id`` and remember it, in this session and in the browser (for a reload), with the revision
        drawn (see :func:`moved_on`)."""
        return {state: drawn(st, dialogue_id), remembered: dialogue_id,
                info: info_text or info_md(dialogue_id, lang, acc, blind=blind),
                **render(dialogue_id, lang, blind=blind, partial=partial)}

    def drawn(st: dict | None, dialogue_id: int | None) -> dict:
        """The page state of a page that now shows ``dialogue_id`` as stored, with the store's revision of it."""
        shown = tuple(chat.revision(svc, dialogue_id)) if dialogue_id is not None else None
        return {**(st or {}), "dialogue_id": dialogue_id, "settled": True, "shown": shown}

    def moved_on(st: dict, dialogue_id: int, session: str) -> bool:
        """Whether the dialogue changed in the store since this page drew it (a message sent or a reply regenerated in
        another tab, or another tab's reply stored since): an action from it would start from what it never showed.
        The turn count alone missed a regenerated reply. A run of this page that ended after the event read the page
        state (a send that waited for its Regenerate) left a revision the page drew."""
        shown = st.get("shown")
        if shown is None or st.get("dialogue_id") != dialogue_id:
            return False  # a page still reopening it, or an API caller's first call
        now = tuple(chat.revision(svc, dialogue_id))
        return tuple(shown) != now and control.left_by(dialogue_id) != (session, now)

    def moved_on_elsewhere(st: dict, dialogue_id: int, session: str) -> bool:
        """:func:`moved_on` for an action that claims nothing: while this page's own send or regeneration runs, the
        store moves on as the page streams it."""
        return control.page(dialogue_id) != session and moved_on(st, dialogue_id, session)

    def redrawn(st: dict, dialogue_id: int, lang: str, user: CurrentUser, refusal: str) -> dict:
        """A refusal said, and the dialogue as stored drawn (the message box left as typed); while a reply of it is
        still written the page watches the store and draws it once stored."""
        gr.Warning(as_toast(InputError(refusal.format(id=dialogue_id))))
        return {**goto(dialogue_id, lang, blind=blind_for(user), st=st), watch: watching(dialogue_id)}

    def watching(dialogue_id: int | None) -> Any:
        """The store watch, running while a reply of the dialogue is written (here or in another tab)."""
        return gr.Timer(active=dialogue_id is not None and (control.holder(dialogue_id) is not None
                                                             or still_generating(dialogue_id)))

    def stream_jobs(st: dict, position: int, jobs: list[Job], request: gr.Request, user: CurrentUser):
        did = st["dialogue_id"]
        session = request.session_hash or ""
        lang = i18n.language(request)
        blind = blind_for(user)
        control.add(session, jobs)
        # Each column's thread before this reply, read once: no query per streamed chunk.
        before = chat.shown_threads(svc, did, before=position)
        partial: dict[str, str] = {}
        streaming = pending_status(lang)
        try:
            # Before the first chunk (a prompt pass, a queue): the previous reply's "done" must not stay.
            yield {v.status: streaming for v in views if any(j.column == v.name for j in jobs)}
            for u in chat.run(svc, did, position, jobs):
                upd: ColumnUpdate = u
                view = next(v for v in views if v.name == upd.column)
                if upd.final:
                    # Finished: a Stop now counts (and stops) only the columns still generating.
                    control.done(session, [j for j in jobs if j.column == upd.column])
                    partial.pop(upd.column, None)
                    out = render(did, lang, blind=blind, partial=partial)
                    yield {view.chatbot: out[view.chatbot], view.status: out[view.status],
                           view.model_input: out[view.model_input], view.route: out[view.route]}
                else:
                    partial[upd.column] = upd.text
                    route = "" if blind else " · " + i18n.t("chat.status.route", lang, route=as_text(route_name(upd.route, lang) or "…"))
                    yield {view.chatbot: to_messages(before[upd.column], upd.text, lang), view.status: streaming + route}
            # The page now shows every reply as stored: its next action starts from here.
            after = drawn(st, did)
            control.ended(did, session, after["shown"])
            yield {state: after}
        finally:
            control.done(session, jobs)

    def reopening(st: dict, last_id: object, user: CurrentUser) -> int | None:
        """The dialogue this browser had open, which the page load is about to reopen: a message sent before it
        has (a reload, then Enter at once) continues it, as the page will show, rather than starting a new one."""
        if st.get("dialogue_id") is not None or st.get("settled") or not last_id:
            return None
        try:
            did = chat_dialogues.parse_dialogue_id(last_id)
            return did if chat_dialogues.access(svc, user, did).mine else None
        except WorkbenchError:
            return None

    # (last_id: the dialogue the browser remembers, which the page load reopens; an API caller leaves it out)
    def on_send(st: dict, message: str | None, request: gr.Request, last_id: object = None):
        lang = i18n.language(request)
        if message is None:
            # a blank Enter pressed while this tab's previous message was sent: nothing was committed
            yield {info: gr.update()}
            return
        waited = stale = False
        session = request.session_hash or ""
        current = None  # read below; a refused login (a disabled account) is answered before it is
        try:
            user = user_of(request)
            # Said before anything is waited for: a message too long waited for a regeneration (up to
            # SEND_WAITS_S) before it was refused (walk of session 70).
            chat.check_message(svc, message)
            current = st.get("dialogue_id")
            if current is None:
                current = reopening(st, last_id, user)
            if current is not None:
                chat_dialogues.require_continuable(svc, user, current)
                if control.holder(current) == "regenerate":
                    waited = True
                    # The message has left the box: say it is kept, and why it has not gone yet.
                    shown = message.strip()
                    if len(shown) > WAITING_SHOWN_CHARS:
                        shown = shown[:WAITING_SHOWN_CHARS] + "…"
                    yield {info: i18n.t("chat.info.waiting", lang, id=current, text=as_text(shown))}
                control.claim(current, "send", wait_s=SEND_WAITS_S, session=session)
                if moved_on(st, current, session):
                    control.release(current)
                    stale = True
                    raise InputError(STALE.format(id=current))
            try:
                did, pos = chat.send(svc, current, message, user_id=user.id)
            except WorkbenchError:
                if current is not None:
                    control.release(current)
                raise
            if current is None:
                control.claim(did, session=session)  # a new dialogue: nobody else generates in it
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            # The refused text goes back into the box (blank space is not kept); the waiting note goes.
            back = {returned: message} if not blank(message or "") else {msg: ""}
            if stale:  # the dialogue as stored, so that the next send continues what the page shows
                yield {**back, **goto(current, lang, blind=blind_for(user), st=st), watch: watching(current)}
                return
            # Another tab's replies stream: the page draws them once stored, as the refusal says.
            yield {**back, **({info: info_md(current, lang, blind=blind_for(user))} if waited else {}),
                   **({watch: watching(current)} if current is not None else {})}
            return
        try:
            st = {**st, "dialogue_id": did}
            blind = blind_for(user)
            # Every column shows the new message with an empty reply bubble waiting under it.
            yield goto(did, lang, blind=blind, st=st, partial={c: "" for c in svc.columns})
            yield from stream_jobs(st, pos, chat.jobs_for(svc, did, pos, svc.columns), request, user)
            yield {info: info_md(did, lang, blind=blind)}
        finally:
            control.release(did)

    def on_regenerate(columns: list[str]):
        # A refusal yields one update that changes nothing: a generator that yields nothing makes Gradio set
        # every output to None, which blanked the dialogue line.
        unchanged = {info: gr.update()}

        def handler(st: dict, request: gr.Request):
            lang = i18n.language(request)
            did = st.get("dialogue_id")
            session = request.session_hash or ""
            try:
                user = user_of(request)
                if did is not None:
                    chat_dialogues.require_continuable(svc, user, did)
                    control.claim(did, "regenerate", session=session)
            except WorkbenchError as e:
                gr.Warning(as_toast(e))
                # Another tab's replies stream: this page draws them once stored, as the refusal says (its own
                # send streams into it anyway: nothing on the page changes then).
                elsewhere = did is not None and control.page(did) not in (None, session)
                yield {**unchanged, **({watch: watching(did)} if elsewhere else {})}
                return
            if did is None:
                gr.Warning(i18n.t("chat.warn.nothing_to_regenerate", lang))
                yield unchanged
                return
            try:
                if moved_on(st, did, session):
                    yield redrawn(st, did, lang, user, STALE_REGENERATE)
                    return
                pos = chat.last_reply_position(svc, did)
                if pos is None:
                    gr.Warning(i18n.t("chat.warn.nothing_to_regenerate", lang))
                    yield unchanged
                    return
                yield from stream_jobs(st, pos, chat.jobs_for(svc, did, pos, columns), request, user)
            finally:
                control.release(did)
        return handler

    def on_branch(column: str):
        def handler(st: dict, request: gr.Request):
            lang = i18n.language(request)
            did = st.get("dialogue_id")
            try:
                user = user_of(request)
                if did is None:
                    raise WorkbenchError("nothing to continue from yet")
                chat_dialogues.access(svc, user, did)
                if moved_on_elsewhere(st, did, request.session_hash or ""):
                    return redrawn(st, did, lang, user, STALE_BRANCH)
                gid = chat.latest_finished_reply(svc, did, column)
                blind = blind_for(user)
                label = column_label(svc.columns.index(column), column, blind, lang)
                if gid is None:
                    raise WorkbenchError(f"{label} has no finished reply to continue from")
                new_id = chat.branch(svc, gid, user_id=user.id)
            except WorkbenchError as e:
                gr.Warning(as_toast(e))
                return {info: gr.update()}
            return goto(new_id, lang, blind=blind, st=st,
                        info_text=i18n.t("chat.info.branched", lang, id=new_id, parent=did, column=as_text(label)))
        return handler

    def on_stop(st: dict, request: gr.Request):
        user = user_of(request)
        lang = i18n.language(request)
        session = request.session_hash or ""
        n = control.stop(session)
        did = (st or {}).get("dialogue_id")
        if not n and did is not None:
            # Stop stops this page's own replies only: another tab's are stopped there, and are drawn here once stored
            other = control.page(did)
            if other is not None and other != session:
                gr.Warning(as_toast(InputError(STOP_ELSEWHERE.format(id=did))))
                return {info: gr.update(), watch: watching(did)}
            if moved_on_elsewhere(st, did, session):
                return redrawn(st, did, lang, user, STALE_STOP)
        # Stop with nothing streaming (it had just finished) said nothing, as if the press were lost
        gr.Info(i18n.t("chat.info.stopping" if n else "chat.info.nothing_to_stop", lang, n=n))
        return {info: gr.update()}

    def on_new(st: dict, request: gr.Request):
        user = user_of(request)
        return {**goto(None, i18n.language(request), blind=blind_for(user), st=st), msg: ""}

    def on_example(st: dict, example_id: str | None, request: gr.Request):
        lang = i18n.language(request)
        if not example_id:
            gr.Warning(i18n.t("chat.warn.choose_example", lang))
            return {msg: gr.update()}
        try:
            user = user_of(request)
            did, last = chat.load_example(svc, example_id, user_id=user.id)
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            return {msg: gr.update()}
        return {**goto(did, lang, blind=blind_for(user), st=st, info_text=i18n.t("chat.info.example", lang, id=did)),
                msg: last}

    def on_preview(st: dict, message: str, request: gr.Request):
        lang = i18n.language(request)
        did = st.get("dialogue_id")
        user = user_of(request)
        if blind_for(user):
            gr.Info(i18n.t("chat.info.blind_preview", lang))
            return {info: gr.update()}  # Gradio needs at least one output; nothing else changes
        out: dict = {}
        try:
            if did is not None:
                chat_dialogues.access(svc, user, did)
                if moved_on_elsewhere(st, did, request.session_hash or ""):
                    return redrawn(st, did, lang, user, STALE_PREVIEW)
            threads = chat.threads(svc, did) if did else {}
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            return {info: gr.update()}
        for v in views:
            # Only the preview boxes: the last reply's exact input stays what it was.
            try:
                turns = threads[v.name].turns if v.name in threads else ()
                d = Dialogue(tuple(turns) + (Turn("patient", message.strip() or "…"),))
                p = svc.backends[v.name].plan(d)
                out[v.preview_input] = p.input if p.input is not None else i18n.t("chat.no_model_call", lang)
                out[v.preview_route] = i18n.t("chat.route.next", lang, route=as_text(p.route),
                                              fallback=as_text(p.fallback or "—"),
                                              reason=as_text(i18n.catalogue().translate(p.reason, lang)))
            except WorkbenchError as e:
                out[v.preview_input] = ""
                out[v.preview_route] = "⚠ " + as_text(i18n.catalogue().translate(str(e), lang))
        return out

    def list_rows(user: CurrentUser, text: str | None, owner: str | None, lang: str) -> dict:
        # column widths from the headers' words: on a phone "Patient messages" broke letter by letter (walk 11)
        return table_update(history_table(chat_dialogues.list_dialogues(svc, user, owner=owner or None, text=text),
                                          lang))

    def on_list(text: str | None, owner: str | None, request: gr.Request):
        user = user_of(request)
        return {table: list_rows(user, text, owner, i18n.language(request))}

    def on_relist(text: str | None, owner: str | None, request: gr.Request):
        """The list again after a send, a branch or an example; a refusal was already said by the event itself."""
        try:
            return on_list(text, owner, request)
        except WorkbenchError:
            return {table: gr.update()}

    def still_generating(dialogue_id: int | None) -> bool:
        """Whether a column's newest reply in the dialogue is still being generated (by any page or process)."""
        if dialogue_id is None:
            return False
        last = chat.last_generations(svc, dialogue_id, [v.name for v in views])
        return any(g is not None and g.status == GenerationStatus.RUNNING for g in last.values())

    def on_watch(st: dict, request: gr.Request) -> dict:
        """The columns once the replies the page opened while running are stored; nothing while they run."""
        did = (st or {}).get("dialogue_id")
        if did is not None and (control.holder(did) is not None or still_generating(did)):
            return {watch: gr.Timer(active=True)}
        if did is None:
            return {watch: gr.Timer(active=False)}
        user = user_of(request)
        # drawn as stored: the page's next action starts from here
        return {**render(did, i18n.language(request), blind=blind_for(user)), state: drawn(st, did),
                watch: gr.Timer(active=False)}

    def open_dialogue(st: dict, number: object, request: gr.Request) -> dict:
        lang = i18n.language(request)
        try:
            user = user_of(request)
            did = chat_dialogues.parse_dialogue_id(number)
            acc = chat_dialogues.access(svc, user, did)
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            return {info: gr.update()}
        return {**goto(did, lang, blind=blind_for(user), acc=acc, st=st), open_number: str(did),
                watch: gr.Timer(active=still_generating(did))}

    def on_open(st: dict, number: str, request: gr.Request) -> dict:
        return open_dialogue(st, number, request)

    def on_pick(st: dict, evt: gr.SelectData, request: gr.Request) -> dict:
        row = evt.row_value or []
        return open_dialogue(st, row[0] if row else None, request)

    def on_load(last_id: object, request: gr.Request) -> dict:
        lang = i18n.language(request)
        try:
            user = user_of(request)
        except WorkbenchError:
            # a disabled account's page: the header says so (app.account_html); Gradio takes an empty dict
            # for one value, not for "nothing", so one output is left as it is
            return {table: gr.update()}
        blind = blind_for(user)
        everyone = user.can(Permission.ALL_DIALOGUES)
        out: dict = {example: gr.update(choices=example_choices(lang)),
                     find_user: gr.update(visible=everyone, value=None,
                                          choices=[(i18n.t("chat.history.everyone", lang), "")]
                                          + [(u, u) for u in chat_dialogues.owners(svc, user)]),
                     table: list_rows(user, None, None, lang),
                     # a blind annotator's preview could only say that model inputs are hidden (walk 11)
                     preview_btn: gr.update(visible=not blind),
                     # researchers and admins list everyone's dialogues: the title says so
                     history_box: gr.update(label=i18n.t("chat.history.title_all" if everyone else "chat.history.title",
                                                         lang))}
        # After a reload, the dialogue this browser had open, if this user may still open it.
        try:
            did = chat_dialogues.parse_dialogue_id(last_id) if last_id else None
            acc = chat_dialogues.access(svc, user, did) if did else None
        except WorkbenchError:
            did, acc = None, None
        shown = goto(did, lang, blind=blind, acc=acc) if did is not None else {}
        if did is not None:
            out.update(shown)
            out[open_number] = str(did)
            # an update, so that the conversation's label is set with it (a page load is no API answer)
            out.update({v.chatbot: gr.update(value=shown[v.chatbot]) for v in views})
        out[watch] = gr.Timer(active=still_generating(did))
        return named_columns(out, blind, lang)

    # Every event that generates shares one queue slot pool of server.concurrency_limit: generations on a
    # GPU stay bounded however many users send, regenerate or press Enter at once.
    generating = dict(concurrency_id=GENERATION_QUEUE, concurrency_limit=svc.config.server.concurrency_limit)
    # One event for the button and Enter, so a send from either waits for a send from the other. "always_last":
    # a Send pressed while the previous send still runs (its last update is on its way) waits for it and then
    # goes, instead of being dropped by Gradio's default "once" with the text left unsent.
    # A send, a branch or an example may start a dialogue: My dialogues lists it at once.
    relist = dict(fn=on_relist, inputs=[find_text, find_user], outputs=[table], api_name=False, show_progress="hidden")
    # The refused text stays the last output (a script reads it there, tests/test_bad_input.py).
    gr.on([send_btn.click, msg.submit], fn=naming_columns(on_send), inputs=[state, msg, remembered],
          outputs=[*all_outputs, watch, returned],
          trigger_mode="always_last", api_name="send", show_progress_on=progress_on, js=SEND_TAKES_TEXT_JS,
          **generating).then(
        None, [returned, msg], [msg, returned], js=SEND_RETURNS_TEXT_JS, api_name=False, queue=False,
        show_progress="hidden").then(**relist)
    # Queued, in a group of its own so it never waits behind a generation: Gradio shows a handler's
    # gr.Info only for queued events, and the notice is how the user learns the Stop took.
    # A Stop from a page whose dialogue changed in another tab draws it as stored (hence the outputs).
    stop_btn.click(naming_columns(on_stop), [state], [*all_outputs, watch], api_name="stop", concurrency_id="stop",
                   concurrency_limit=svc.config.server.concurrency_limit, show_progress="hidden")
    # While a regeneration runs, every Regenerate button is greyed out: a second click on the same button was
    # dropped without a word (Gradio runs one event of a button at a time), one on another column's refused.
    # Restored by .then, which runs however the regeneration ended (done, stopped, refused, failed).
    regenerate_buttons = [regen_all, *(v.regenerate for v in views)]

    def regenerate_usable(usable: bool) -> dict:
        return dict(fn=lambda: [gr.update(interactive=usable)] * len(regenerate_buttons), inputs=None,
                    outputs=regenerate_buttons, queue=False, api_name=False, show_progress="hidden")

    hold, free = regenerate_usable(False), regenerate_usable(True)
    regen_all.click(**hold).then(naming_columns(on_regenerate(svc.columns)), [state], [*all_outputs, watch],
                                 api_name="regenerate_all",
                                 show_progress_on=progress_on, **generating).then(**free)
    new_evt = dict(fn=naming_columns(on_new), inputs=[state], outputs=all_outputs, show_progress_on=progress_on)
    new_btn.click(**new_evt, api_name="new_dialogue")
    for v in views:
        v.regenerate.click(**hold).then(naming_columns(on_regenerate([v.name])), [state], [*all_outputs, watch],
                                        api_name=False,
                                        show_progress_on=progress_on, **generating).then(**free)
        v.branch.click(naming_columns(on_branch(v.name)), [state], [*all_outputs, watch], api_name=False,
                       show_progress_on=progress_on).then(**relist)
        # The Chatbot's trash icon clears one column's display only: make it mean "new dialogue" for all,
        # so what is shown never parts from what the next Send continues.
        v.chatbot.clear(**new_evt, api_name=False)
    example_btn.click(naming_columns(on_example), [state, example], all_outputs, api_name="load_example",
                      show_progress_on=progress_on).then(**relist)
    preview_btn.click(naming_columns(on_preview), [state, msg], [*all_outputs, watch], api_name="preview",
                      show_progress_on=progress_on)
    refresh.click(on_list, [find_text, find_user], [table], api_name="list_dialogues")
    find_text.submit(on_list, [find_text, find_user], [table], api_name=False)
    find_user.input(on_list, [find_text, find_user], [table], api_name=False)
    open_btn.click(naming_columns(on_open), [state, open_number], [*all_outputs, open_number, watch], api_name="open_dialogue",
                   show_progress_on=progress_on)
    open_number.submit(naming_columns(on_open), [state, open_number], [*all_outputs, open_number, watch], api_name=False,
                       show_progress_on=progress_on)
    table.select(naming_columns(on_pick), [state], [*all_outputs, open_number, watch], api_visibility="private", show_progress_on=progress_on)
    watch.tick(naming_columns(on_watch), [state], [*all_outputs, watch], api_visibility="private", show_progress="hidden")
    load_outputs = list(dict.fromkeys([*(c for v in views for c in (v.header, v.inspect_box)), example, find_user, table,
                                       history_box, preview_btn, watch,
                                       open_number, *all_outputs]))
    return {"views": views, "control": control, "on_load": on_load, "load_inputs": [remembered],
            "load_outputs": load_outputs}
