"""The Chat tab: one patient box, every column streaming side by side.

Handlers are thin: they resolve the user from the request, call
:mod:`workbench.chat`, and return updates keyed by component.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
from sqlalchemy import select

from workbench import chat
from workbench.access import Permission, require_role
from workbench.dialogue import Dialogue, Turn
from workbench.errors import AuthError, WorkbenchError
from workbench.generation import ColumnUpdate, Job
from workbench.prompts import DISCLAIMER
from workbench.services import Services
from workbench.store.dialogues import shared_turns
from workbench.store.schema import Generation
from workbench.ui.i18n import Localizer
from workbench.ui.text import TEXT_CHATBOT, as_text, as_toast, chat_text
from workbench.vocab import FINAL_STATUSES

log = logging.getLogger(__name__)
DISCLAIMER_BLOCK = "\n\n------------------\n" + DISCLAIMER
#: the concurrency group of every event that runs the models
GENERATION_QUEUE = "generation"
BLIND_PREVIEW_NOTICE = "Model inputs are hidden in blind mode."
STATUS_WORDS = {"ok": "done"}


@dataclass
class ColumnView:
    name: str
    header: Any
    chatbot: Any
    status: Any
    model_input: Any
    route: Any
    inspect_box: Any
    regenerate: Any
    branch: Any


@dataclass
class RunControl:
    """Stop events of the generations running for each browser session."""

    _jobs: dict[str, list[Job]] = field(default_factory=lambda: defaultdict(list))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, session: str, jobs: list[Job]) -> None:
        with self._lock:
            self._jobs[session].extend(jobs)

    def done(self, session: str, jobs: list[Job]) -> None:
        with self._lock:
            self._jobs[session] = [j for j in self._jobs[session] if j not in jobs]

    def stop(self, session: str) -> int:
        with self._lock:
            for j in self._jobs[session]:
                j.stop.set()
            return len(self._jobs[session])


def to_messages(thread, partial: str | None = None) -> list[dict[str, str]]:
    """Chatbot messages for a column thread, shown as text; the original disclaimer follows the first reply."""
    msgs: list[dict[str, str]] = []
    first_reply = True
    for t in thread.turns:
        if t.role == "patient":
            msgs.append({"role": "user", "content": chat_text(t.text)})
        else:
            text = t.text + (DISCLAIMER_BLOCK if first_reply else "")
            first_reply = False
            msgs.append({"role": "assistant", "content": chat_text(text)})
    if partial is not None:
        msgs.append({"role": "assistant", "content": chat_text(partial + (DISCLAIMER_BLOCK if first_reply else ""))})
    return msgs


def _status_md(g: Generation | None, blind: bool = False) -> str:
    if g is None:
        return ""
    if g.status == "error":
        return f"⚠️ **Error** (not model text): {as_text(g.error or '')}"
    # "done" rather than the store's "ok": the word a user waits for at the end of a stream.
    parts = [f"`{STATUS_WORDS.get(g.status, g.status)}`"]
    if g.route and not blind:
        parts.append(f"route **{g.route}**")
    if g.latency_ms is not None:
        parts.append(f"{g.latency_ms / 1000:.2f} s")
    if g.output_tokens is not None:
        parts.append(f"{g.output_tokens} tokens")
    return " · ".join(parts)


def _route_md(g: Generation | None) -> str:
    if g is None:
        return ""
    return (f"**route:** {as_text(g.route or '—')}  \n**reason:** {as_text(g.route_reason or '—')}  \n"
            f"**seed:** {g.seed}")


def build_chat_tab(svc: Services, state: gr.State, ui: Localizer) -> dict[str, Any]:
    control = RunControl()
    views: list[ColumnView] = []
    # Headers start blind; page load reveals the names to users allowed to see them (see on_load).
    with gr.Row(equal_height=False):
        for i, name in enumerate(svc.columns):
            with gr.Column(min_width=260):
                header = gr.Markdown(f"### Column {chr(65 + i)}", elem_classes=["column-header"])
                bot = gr.Chatbot(label=f"Column {chr(65 + i)}", show_label=False, height=460,
                                 elem_classes=["column-chat"], feedback_options=None, buttons=["copy"],
                                 **TEXT_CHATBOT)
                status = gr.Markdown("", elem_classes=["column-status"], elem_id=f"column-status-{i}")
                with gr.Row():
                    regen = gr.Button("↻ Regenerate", size="sm")
                    branch = gr.Button("⤷ Continue from this reply", size="sm")
                with gr.Accordion("Model input", open=False, visible=False) as acc:
                    model_input = gr.Textbox(label="Exact input of the last reply", lines=4, max_lines=12,
                                             interactive=False, buttons=["copy"])
                    route = gr.Markdown("")
                views.append(ColumnView(name, header, bot, status, model_input, route, acc, regen, branch))
    with gr.Row():
        msg = gr.Textbox(placeholder="病人说… (Enter to send, Shift+Enter for a new line)", show_label=False,
                         lines=2, max_lines=8, scale=6, elem_id="patient-message", autofocus=True)
        send_btn = gr.Button("Send", variant="primary", scale=1, elem_id="send")
    with gr.Row():
        stop_btn = gr.Button("■ Stop", size="sm", elem_id="stop")
        regen_all = gr.Button("↻ Regenerate all", size="sm")
        new_btn = gr.Button("New dialogue", size="sm", elem_id="new-dialogue")
        preview_btn = gr.Button("Preview next model inputs", size="sm")
        example = gr.Dropdown([(e.title, e.id) for e in chat.examples()], label="Example", scale=2)
        example_btn = gr.Button("Load example", size="sm")
    info = gr.Markdown("", elem_id="dialogue-info")

    all_outputs = [state, msg, info] + [c for v in views for c in (v.chatbot, v.status, v.model_input, v.route)]

    def user_of(request: gr.Request):
        try:
            return require_role(svc.auth, request, Permission.CHAT)
        except AuthError as e:
            raise gr.Error(str(e)) from None

    def blind_for(request: gr.Request) -> bool:
        """Annotators in blind mode never see model names or routes, here as in the Rate tab."""
        try:
            return svc.config.annotation.blind and not svc.auth.from_request(request).can(Permission.SEE_MODELS)
        except WorkbenchError:
            return True

    def render(dialogue_id: int | None, partial: dict[str, str] | None = None, *, blind: bool = True) -> dict:
        out: dict = {}
        if dialogue_id is None:
            for v in views:
                out.update({v.chatbot: [], v.status: "", v.model_input: "", v.route: ""})
            return out
        threads = chat.threads(svc, dialogue_id)
        with svc.store.read() as s:
            last = {
                v.name: s.scalars(
                    select(Generation).where(Generation.dialogue_id == dialogue_id, Generation.column_name == v.name)
                    .order_by(Generation.id.desc()).limit(1)
                ).first()
                for v in views
            }
        for v in views:
            p = (partial or {}).get(v.name)
            g = last[v.name]
            out[v.chatbot] = to_messages(threads[v.name], p)
            out[v.status] = _status_md(g, blind)
            # Blind views get empty inputs and routes: every key exists, whoever renders.
            out[v.model_input] = "" if blind or g is None else (
                g.input_text if g.input_text is not None else "(no model call)")
            out[v.route] = "" if blind else _route_md(g)
        return out

    def info_md(dialogue_id: int | None) -> str:
        return f"Dialogue **#{dialogue_id}**" if dialogue_id else "New dialogue: type the patient's first message."

    def stream_jobs(st: dict, position: int, jobs: list[Job], request: gr.Request):
        did = st["dialogue_id"]
        session = request.session_hash or ""
        control.add(session, jobs)
        blind = blind_for(request)
        # Each job's dialogue is exactly the column's thread before this reply: no query per streamed chunk.
        before = {j.column: j.dialogue for j in jobs}
        partial: dict[str, str] = {}
        try:
            for u in chat.run(svc, did, position, jobs):
                upd: ColumnUpdate = u
                view = next(v for v in views if v.name == upd.column)
                if upd.final:
                    partial.pop(upd.column, None)
                    out = render(did, partial, blind=blind)
                    yield {view.chatbot: out[view.chatbot], view.status: out[view.status],
                           view.model_input: out[view.model_input], view.route: out[view.route]}
                else:
                    partial[upd.column] = upd.text
                    yield {view.chatbot: to_messages(before[upd.column], upd.text),
                           view.status: "⏳ streaming" + ("" if blind else f" · route **{upd.route or '…'}**")}
        finally:
            control.done(session, jobs)

    def on_send(st: dict, message: str, request: gr.Request):
        try:
            user = user_of(request)
            did, pos = chat.send(svc, st.get("dialogue_id"), message, user_id=user.id)
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            yield {msg: message}
            return
        st = {**st, "dialogue_id": did}
        yield {state: st, msg: "", info: info_md(did), **render(did, {c: "" for c in svc.columns}, blind=blind_for(request))}
        yield from stream_jobs(st, pos, chat.jobs_for(svc, did, pos, svc.columns), request)
        yield {info: info_md(did)}

    def last_reply_position(did: int) -> int | None:
        with svc.store.read() as s:
            patients = [t.idx for t in shared_turns(s, did) if t.role == "patient"]
        return patients[-1] + 1 if patients else None

    def on_regenerate(columns: list[str]):
        def handler(st: dict, request: gr.Request):
            did = st.get("dialogue_id")
            pos = last_reply_position(did) if did else None
            if pos is None:
                gr.Warning("nothing to regenerate yet: send a message first")
                return
            try:
                user_of(request)
            except WorkbenchError as e:
                gr.Warning(as_toast(e))
                return
            yield from stream_jobs(st, pos, chat.jobs_for(svc, did, pos, columns), request)
        return handler

    def on_branch(column: str):
        def handler(st: dict, request: gr.Request):
            did = st.get("dialogue_id")
            try:
                user = user_of(request)
                if did is None:
                    raise WorkbenchError("nothing to continue from yet")
                with svc.store.read() as s:
                    gid = s.scalar(
                        select(Generation.id).where(Generation.dialogue_id == did, Generation.column_name == column,
                                                    Generation.status.in_(FINAL_STATUSES))
                        .order_by(Generation.turn_index.desc(), Generation.id.desc()).limit(1)
                    )
                if gid is None:
                    raise WorkbenchError(f"{column} has no finished reply to continue from")
                new_id = chat.branch(svc, gid, user_id=user.id)
            except WorkbenchError as e:
                gr.Warning(as_toast(e))
                return {info: info_md(did)}
            st = {**st, "dialogue_id": new_id}
            return {state: st, info: f"Dialogue **#{new_id}**, branched from #{did} at {column}'s reply",
                    **render(new_id, blind=blind_for(request))}
        return handler

    def on_stop(request: gr.Request):
        user_of(request)
        n = control.stop(request.session_hash or "")
        if n:
            gr.Info(f"stopping {n} generation(s)")

    def on_new(st: dict, request: gr.Request):
        user_of(request)
        return {state: {**st, "dialogue_id": None}, msg: "", info: info_md(None), **render(None)}

    def on_example(st: dict, example_id: str | None, request: gr.Request):
        if not example_id:
            gr.Warning("choose an example first")
            return {msg: gr.update()}
        try:
            user = user_of(request)
            did, last = chat.load_example(svc, example_id, user_id=user.id)
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            return {msg: gr.update()}
        return {state: {**st, "dialogue_id": did}, msg: last,
                info: f"Dialogue **#{did}** (example): press Send to get every column's reply",
                **render(did, blind=blind_for(request))}

    def on_preview(st: dict, message: str, request: gr.Request):
        did = st.get("dialogue_id")
        out: dict = {}
        if blind_for(request):
            gr.Info(BLIND_PREVIEW_NOTICE)
            return {info: gr.update()}  # Gradio needs at least one output; nothing else changes
        try:
            threads = chat.threads(svc, did) if did else {}
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            return out
        for v in views:
            try:
                turns = threads[v.name].turns if v.name in threads else ()
                d = Dialogue(tuple(turns) + (Turn("patient", message.strip() or "…"),))
                p = svc.backends[v.name].plan(d)
                out[v.model_input] = p.input if p.input is not None else "(no model call)"
                out[v.route] = (f"**next route:** {as_text(p.route)}  \n**fallback:** {as_text(p.fallback or '—')}  \n"
                                f"**reason:** {as_text(p.reason)}")
            except WorkbenchError as e:
                out[v.model_input], out[v.route] = "", f"⚠️ {as_text(e)}"
        return out

    def on_load(request: gr.Request) -> dict:
        blind = blind_for(request)
        out: dict = {}
        for i, v in enumerate(views):
            label = f"Column {chr(65 + i)}" if blind else v.name
            out[v.header] = f"### {label}"
            out[v.chatbot] = gr.update(label=label)
            out[v.inspect_box] = gr.update(visible=not blind)
        return out

    # Every event that generates shares one queue slot pool of server.concurrency_limit: generations on a
    # GPU stay bounded however many users send, regenerate or press Enter at once.
    generating = dict(concurrency_id=GENERATION_QUEUE, concurrency_limit=svc.config.server.concurrency_limit)
    send_evt = dict(fn=on_send, inputs=[state, msg], outputs=all_outputs, **generating)
    send_btn.click(**send_evt, api_name="send")
    msg.submit(**send_evt, api_name=False)
    stop_btn.click(on_stop, None, None, queue=False, api_name="stop")
    regen_all.click(on_regenerate(svc.columns), [state], all_outputs, api_name="regenerate_all", **generating)
    for v in views:
        v.regenerate.click(on_regenerate([v.name]), [state], all_outputs, api_name=False, **generating)
        v.branch.click(on_branch(v.name), [state], all_outputs, api_name=False)
    new_btn.click(on_new, [state], all_outputs, api_name="new_dialogue")
    example_btn.click(on_example, [state, example], all_outputs, api_name="load_example")
    preview_btn.click(on_preview, [state, msg], all_outputs, api_name="preview")
    load_outputs = [c for v in views for c in (v.header, v.chatbot, v.inspect_box)]
    return {"views": views, "control": control, "on_load": on_load, "load_outputs": load_outputs}
