"""The Rate tab: blind, counterbalanced rating of stored generations, with autosaved drafts.

Handlers are thin: each resolves the user from the request (never from a client value), calls
:mod:`workbench.annotate.queue` / :mod:`workbench.annotate.ratings` in one session, and returns updates
keyed by component. The current item lives in server-side ``gr.State`` and is re-derived from the
database on page load, so a refresh or a server restart loses nothing that was autosaved.

Text that comes from the database (dialogue turns, replies, comments) is only ever shown in Chatbot /
Textbox components or escaped before Markdown, so markup in it stays inert.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import gradio as gr

from workbench.access import Permission, require_role
from workbench.annotate import queue, ratings
from workbench.annotate.api import parse_submit
from workbench.annotate.queue import ItemView
from workbench.annotate.ratings import RatingForm
from workbench.annotate.rubric import Rubric, load_rubric
from workbench.auth import CurrentUser
from workbench.errors import AuthError, InputError, WorkbenchError
from workbench.services import Services
from workbench.ui.i18n import Localizer
from workbench.ui.text import TEXT_CHATBOT, as_text, as_toast, text_messages
from workbench.vocab import PreferenceOutcome

log = logging.getLogger(__name__)

MAX_REPLIES = 6
NA = "N/A"
PREF_TIE, PREF_ALL_BAD, PREF_RANKING = PreferenceOutcome.TIE, PreferenceOutcome.ALL_BAD, PreferenceOutcome.RANKING

SHORTCUTS_MD = """**Keyboard** (when not typing in a text box; <kbd>Esc</kbd> leaves a text box)
| key | action |
|---|---|
| <kbd>1</kbd>–<kbd>5</kbd> | score the focused axis (highlighted), then move to the next axis |
| <kbd>0</kbd> | N/A on the focused axis |
| <kbd>[</kbd> / <kbd>]</kbd> | previous / next axis (or click an axis to focus it) |
| <kbd>A</kbd> <kbd>B</kbd> <kbd>C</kbd> … | preference: that reply is best |
| <kbd>T</kbd> | preference: tie |
| <kbd>X</kbd> | preference: all bad |
| <kbd>Enter</kbd> | submit this item |
| <kbd>N</kbd> | next item |
"""

# Runs once on page load (launch(js=...)). Keys act only while the Rate tab is visible and the user is
# not typing; they click the real radio inputs, so Gradio sees ordinary user input and autosaves.
RATE_JS = r"""
() => {
  if (window.__rateKeys) return;
  window.__rateKeys = true;
  const style = document.createElement('style');
  style.textContent = `.rate-axis.rate-focus { outline: 3px solid #f59e0b; outline-offset: 2px; border-radius: 6px; }
    .rate-col { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 6px; }`;
  document.head.appendChild(style);
  const visible = (el) => el && el.offsetParent !== null;
  const axes = () => Array.from(document.querySelectorAll('.rate-axis')).filter(visible);
  let focusId = null;
  const setFocus = (el) => {
    document.querySelectorAll('.rate-axis.rate-focus').forEach(e => e.classList.remove('rate-focus'));
    if (!el) { focusId = null; return; }
    el.classList.add('rate-focus');
    focusId = el.id;
  };
  const current = () => {
    const all = axes();
    const el = focusId && document.getElementById(focusId);
    if (el && visible(el)) return el;
    setFocus(all[0] || null);
    return all[0] || null;
  };
  const move = (step) => {
    const all = axes();
    if (!all.length) return;
    const i = all.indexOf(current());
    setFocus(all[Math.max(0, Math.min(all.length - 1, i + step))]);
  };
  const pick = (container, value) => {
    if (!container) return false;
    const input = Array.from(container.querySelectorAll('input[type=radio]')).find(x => x.value === value);
    if (!input) return false;
    input.click();
    return true;
  };
  document.addEventListener('focusin', (ev) => {
    const axis = ev.target.closest && ev.target.closest('.rate-axis');
    if (axis) setFocus(axis);
  });
  document.addEventListener('click', (ev) => {
    const axis = ev.target.closest && ev.target.closest('.rate-axis');
    if (axis) setFocus(axis);
  });
  // "Next" right after "Submit" must wait for the submit's answer: events of one page run concurrently,
  // and a submit answer drawn after the next item would show the old item again.
  let submitting = null;
  const submitDrawn = () => {
    const saved = document.getElementById('rate-saved');
    const before = saved ? saved.innerText : '';
    const t0 = Date.now();
    return new Promise((resolve) => {
      const poll = () => {
        const now = document.getElementById('rate-saved');
        const text = now ? now.innerText : '';
        if ((text !== before && text.includes('submitted')) || Date.now() - t0 > 15000) resolve();
        else setTimeout(poll, 25);
      };
      setTimeout(poll, 25);
    });
  };
  document.addEventListener('click', (ev) => {
    const t = ev.target.closest && ev.target;
    if (!t) return;
    if (t.closest('#rate-submit')) {
      const mine = submitDrawn();
      submitting = mine;
      mine.then(() => { if (submitting === mine) submitting = null; });
    } else if (t.closest('#rate-next') && submitting && !ev.__rateReplay) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      const button = t.closest('#rate-next');
      submitting.then(() => {
        const again = new MouseEvent('click', {bubbles: true, cancelable: true});
        again.__rateReplay = true;
        button.dispatchEvent(again);
      });
    }
  }, true);
  document.addEventListener('keydown', (ev) => {
    const submit = document.getElementById('rate-submit');
    if (!visible(submit)) return;
    const t = ev.target;
    const tag = (t && t.tagName || '').toLowerCase();
    const typing = tag === 'textarea' || (tag === 'input' && !['radio', 'checkbox'].includes(t.type)) || (t && t.isContentEditable);
    if (typing) {
      if (ev.key === 'Escape') t.blur();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const k = ev.key;
    if (/^[1-9]$/.test(k)) {
      if (pick(current(), k)) { move(1); ev.preventDefault(); }
    } else if (k === '0') {
      if (pick(current(), 'N/A')) { move(1); ev.preventDefault(); }
    } else if (k === ']') { move(1); ev.preventDefault(); }
    else if (k === '[') { move(-1); ev.preventDefault(); }
    else if (k === 'Enter') { submit.click(); ev.preventDefault(); }
    else if (k === 'n' || k === 'N') { const b = document.getElementById('rate-next'); if (b) b.click(); setFocus(null); ev.preventDefault(); }
    else if (k === 't' || k === 'T') { if (pick(document.getElementById('rate-pref'), 'tie')) ev.preventDefault(); }
    else if (k === 'x' || k === 'X') { if (pick(document.getElementById('rate-pref'), 'all_bad')) ev.preventDefault(); }
    else if (/^[a-zA-Z]$/.test(k)) { if (pick(document.getElementById('rate-pref'), k.toUpperCase())) ev.preventDefault(); }
  });
}
"""


@dataclass
class ReplyWidgets:
    box: Any
    header: Any
    reply: Any
    own_history: Any
    suggestion: Any
    turn_type: Any
    questioning: Any
    suggestion_score: Any
    safety: Any
    comment: Any
    corrected: Any

    @property
    def form_inputs(self) -> list[Any]:
        return [self.turn_type, self.questioning, self.suggestion_score, self.safety, self.comment, self.corrected]


def _score_choices(rubric: Rubric, key: str) -> list[str]:
    axis = rubric.axis(key)
    return [str(i) for i in range(axis.scale.min, axis.scale.max + 1)] + ([NA] if axis.allow_na else [])


def _score_value(score: int | None, na: bool) -> str | None:
    return NA if na else (str(score) if score is not None else None)


def _parse_score(value: Any) -> tuple[int | None, bool]:
    if value in (None, ""):
        return None, False
    if value == NA:
        return None, True
    try:
        return int(value), False
    except (TypeError, ValueError):
        from workbench.errors import InputError

        raise InputError(f"a score must be a number or {NA}, got {value!r}") from None


def form_from_values(turn_type: Any, questioning: Any, suggestion: Any, safety: Any, comment: Any,
                     corrected: Any) -> RatingForm:
    """The widgets' values as a :class:`RatingForm` (validated later against the rubric)."""
    q, q_na = _parse_score(questioning)
    sg, sg_na = _parse_score(suggestion)
    return RatingForm(turn_type=turn_type or None, questioning=q, questioning_na=q_na, suggestion=sg,
                      suggestion_na=sg_na, safety_flag=bool(safety), comment=comment, corrected_reply=corrected)


def api_item(item: ItemView | None) -> dict[str, Any] | None:
    """An item as the JSON API sends it: blind labels and texts, never column names."""
    if item is None:
        return None
    return {"item_id": item.item_id, "turn_index": item.turn_index, "completed": item.completed,
            "history": [{"role": r, "text": t} for r, t in item.history],
            "replies": [{"label": r.label, "text": r.output,
                         "suggested_turn_type": r.suggestion.turn_type if r.suggestion else None}
                        for r in item.replies]}


def build_rate_tab(svc: Services, ui: Localizer) -> dict[str, Any]:
    """Build the Rate tab inside the current Blocks context."""
    cfg = svc.config.annotation
    rubric = load_rubric(svc.config.resolve_path(cfg.rubric))
    k = cfg.annotators_per_item
    guidelines_path = svc.config.resolve_path(cfg.guidelines)
    try:
        guidelines = guidelines_path.read_text(encoding="utf-8")
    except OSError as e:
        guidelines = f"(guidelines not available: {as_text(str(e))})"
    axis_q, axis_s = rubric.axis("questioning"), rubric.axis("suggestion")
    turn_choices = [(f"{t.zh} {t.en}", t.key) for t in rubric.turn_types]

    st = gr.State({"item_id": None, "reveal": False})
    with gr.Row():
        progress_md = gr.Markdown("", elem_id="rate-progress")
    with gr.Row():
        next_btn = gr.Button("Next item (N)", elem_id="rate-next", size="sm")
        submit_btn = gr.Button("Submit item (Enter)", variant="primary", elem_id="rate-submit", size="sm")
    info_md = gr.Markdown("Press **Next item** to start.", elem_id="rate-item-info")
    history = gr.Chatbot(label="Dialogue so far", height=260, elem_id="rate-history", feedback_options=None,
                         buttons=["copy"], **TEXT_CHATBOT)
    widgets: list[ReplyWidgets] = []
    with gr.Row(equal_height=False):
        for i in range(MAX_REPLIES):
            with gr.Column(visible=False, min_width=280, elem_id=f"rate-col-{i}", elem_classes=["rate-col"]) as box:
                header = gr.Markdown("", elem_id=f"rate-header-{i}")
                reply = gr.Textbox(label="Reply", interactive=False, lines=4, max_lines=14, elem_id=f"rate-reply-{i}")
                with gr.Accordion("This reply's earlier turns", open=False):
                    own = gr.Chatbot(height=200, feedback_options=None, show_label=False, elem_id=f"rate-own-{i}",
                                     **TEXT_CHATBOT)
                sug = gr.Markdown("", elem_id=f"rate-sug-{i}")
                tt = gr.Radio(turn_choices, label="Turn type", elem_id=f"rate-tt-{i}")
                q = gr.Radio(_score_choices(rubric, "questioning"), label=f"{axis_q.name.zh} {axis_q.name.en}",
                             elem_id=f"rate-q-{i}", elem_classes=["rate-axis"])
                s = gr.Radio(_score_choices(rubric, "suggestion"), label=f"{axis_s.name.zh} {axis_s.name.en}",
                             elem_id=f"rate-s-{i}", elem_classes=["rate-axis"])
                safety = gr.Checkbox(label=f"⚠ {rubric.safety_flag.zh} {rubric.safety_flag.en}",
                                     elem_id=f"rate-safety-{i}")
                comment = gr.Textbox(label=f"{rubric.comment.zh} {rubric.comment.en}", lines=1, max_lines=6,
                                     elem_id=f"rate-comment-{i}")
                corrected = gr.Textbox(label=f"{rubric.corrected_reply.zh} {rubric.corrected_reply.en}", lines=1,
                                       max_lines=10, elem_id=f"rate-corrected-{i}")
            widgets.append(ReplyWidgets(box, header, reply, own, sug, tt, q, s, safety, comment, corrected))
    with gr.Row():
        pref = gr.Radio([], label=f"{rubric.preference.zh} {rubric.preference.en}", elem_id="rate-pref", scale=3)
        ranking = gr.Textbox(label="Full ranking, best first (e.g. B > A > C)", elem_id="rate-ranking", scale=2,
                             visible=any(o.key == PREF_RANKING for o in rubric.preference.options))
    saved_md = gr.Markdown("", elem_id="rate-saved")
    with gr.Accordion("My rated items (open one to edit it)", open=False):
        with gr.Row():
            mine_dd = gr.Dropdown([], label="Item", elem_id="rate-mine", scale=3)
            reopen_btn = gr.Button("Open", size="sm", scale=1)
    with gr.Accordion("Shortcuts", open=False):
        gr.Markdown(SHORTCUTS_MD, elem_id="rate-shortcuts")
    with gr.Accordion("Guidelines · 标注指南", open=False):
        gr.Markdown(guidelines, elem_id="rate-guidelines")
    with gr.Accordion("Admin", open=False, visible=False) as admin_box:
        reveal = gr.Checkbox(label="Reveal model names (your ratings are then stored as not blind)",
                             elem_id="rate-reveal")
        with gr.Column(visible=False, elem_id="rate-team-box") as team_box:  # admins only
            admin_refresh = gr.Button("Refresh team progress", size="sm")
            team = gr.Dataframe(headers=["annotator", "completed", "open"], datatype=["str", "number", "number"],
                                interactive=False, elem_id="rate-team")
            with gr.Row():
                release_user = gr.Textbox(label="Annotator who left", scale=3, elem_id="rate-release-user")
                release_btn = gr.Button("Release their open items", size="sm", scale=1)

    item_outputs: list[Any] = [st, info_md, history, pref, ranking, saved_md, progress_md, mine_dd]
    for w in widgets:
        item_outputs += [w.box, w.header, w.reply, w.own_history, w.suggestion, *w.form_inputs]

    # ---------------------------------------------------------------------------------------------
    def user_of(request: gr.Request, permission: Permission = Permission.RATE) -> CurrentUser:
        try:
            return require_role(svc.auth, request, permission)
        except AuthError as e:
            raise gr.Error(as_toast(e)) from None

    def blind_for(user: CurrentUser, state: dict) -> bool:
        return cfg.blind and not (user.can(Permission.SEE_MODELS) and state.get("reveal"))

    def progress_text(user: CurrentUser) -> str:
        with svc.store.session() as s:
            p = queue.progress(s, user, k)
        return (f"**Mine:** {p.mine_completed} done · {p.mine_open} open · {p.mine_available} available  \n"
                f"**Overall:** {p.slots_completed}/{p.slots_total} ratings ({p.overall_fraction:.0%}) · "
                f"{p.items_completed}/{p.total_items} items complete · k = {p.k}")

    def my_choices(user: CurrentUser) -> list[tuple[str, int]]:
        with svc.store.session() as s:
            rows = queue.my_items(s, user)
        return [(f"Item #{i} · {'submitted' if done else 'open'}", i) for i, done in rows]

    def render(user: CurrentUser, state: dict, item: ItemView | None, note: str = "") -> dict[Any, Any]:
        out: dict[Any, Any] = {st: state, progress_md: progress_text(user), saved_md: note,
                               mine_dd: gr.update(choices=my_choices(user), value=None)}
        if item is None:
            out.update({info_md: "No item open. Press **Next item** (N).", history: [],
                        pref: gr.update(choices=[], value=None), ranking: ""})
            for w in widgets:
                out[w.box] = gr.update(visible=False)
            return out
        reveal_names = user.can(Permission.SEE_MODELS) and state.get("reveal")
        with svc.store.session() as s:
            mine = {r.generation_id: ratings.get_rating(s, user, r.generation_id) for r in item.replies}
            p = ratings.get_preference(s, user, item.item_id)
        status = "submitted — edit and submit again to save a new version" if item.completed else "in progress"
        out[info_md] = (f"**Item #{item.item_id}** · turn {item.turn_index} · {len(item.replies)} replies · "
                        f"{status}" + ("  \n*Earlier doctor turns differ per reply: open each reply's "
                                       "\"earlier turns\".*" if item.history_diverges else ""))
        out[history] = text_messages(item.history)
        labels = [r.label for r in item.replies]
        choices = [(f"{x} best", x) for x in labels] + [
            (f"{o.zh} {o.en}", o.key) for o in rubric.preference.options if o.key != "best"]
        pref_value, rank_text = None, ""
        if p is not None and p.form.outcome:
            by_gid = {r.generation_id: r.label for r in item.replies}
            if p.form.outcome == "best":
                pref_value = by_gid.get(p.form.winner_generation_id)
            else:
                pref_value = p.form.outcome
            if p.form.ranking:
                rank_text = " > ".join(by_gid.get(g, "?") for g in p.form.ranking)
        out[pref] = gr.update(choices=choices if len(labels) > 1 else [], value=pref_value)
        out[ranking] = rank_text
        for i, w in enumerate(widgets):
            if i >= len(item.replies):
                out[w.box] = gr.update(visible=False)
                continue
            r = item.replies[i]
            rating = mine.get(r.generation_id)
            name = f" · **{as_text(r.column)}**" if reveal_names else ""
            state_tag = f" — *{rating.status} v{rating.version}*" if rating else ""
            out[w.box] = gr.update(visible=True)
            out[w.header] = f"### Reply {r.label}{name}{state_tag}"
            out[w.reply] = gr.update(value=r.output, label=f"Reply {r.label}")
            out[w.own_history] = text_messages(r.history)
            sug = r.suggestion
            out[w.suggestion] = (f"🤖 classifier suggests **{as_text(sug.turn_type)}**"
                                 + (f" (confidence {sug.confidence:.2f})" if sug.confidence is not None else "")
                                 if sug else "")
            f = rating.form if rating else None
            out[w.turn_type] = (f.turn_type if f and f.turn_type else (sug.turn_type if sug else None))
            out[w.questioning] = _score_value(f.questioning, f.questioning_na) if f else None
            out[w.suggestion_score] = _score_value(f.suggestion, f.suggestion_na) if f else None
            out[w.safety] = bool(f.safety_flag) if f else False
            out[w.comment] = (f.comment or "") if f else ""
            out[w.corrected] = (f.corrected_reply or "") if f else ""
        return out

    def load_item(user: CurrentUser, item_id: int | None) -> ItemView | None:
        if item_id is None:
            return None
        with svc.store.session() as s:
            return queue.open_item(s, user, item_id)

    def current_item(user: CurrentUser, state: dict) -> ItemView:
        item_id = state.get("item_id")
        if item_id is None:
            from workbench.errors import InputError

            raise InputError("no item is open: press Next item")
        item = load_item(user, item_id)
        assert item is not None
        return item

    # ---------------------------------------------------------------------------------------------
    def on_load(request: gr.Request):
        user = user_of(request)
        state = {"item_id": None, "reveal": False}
        try:
            with svc.store.session() as s:
                queue.sync_queue(s)
                held = queue.open_assignment(s, user)
            state["item_id"] = held.item_id if held else None
            item = load_item(user, state["item_id"])
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            item = None
        out = render(user, state, item, "Restored your open item and its draft." if item else "")
        out[admin_box] = gr.update(visible=user.can(Permission.SEE_MODELS))
        out[team_box] = gr.update(visible=user.can(Permission.TEAM))
        out[reveal] = False
        return out

    def on_next(state: dict, request: gr.Request):
        user = user_of(request)
        try:
            with svc.store.session() as s:
                queue.sync_queue(s)
            with svc.store.session() as s:
                claim = queue.take_next(s, user, k, cfg.gold_rate)
            if claim is None:
                gr.Info("Nothing left for you to rate. Thank you!")
                return render(user, {**state, "item_id": None}, None)
            state = {**state, "item_id": claim.item_id}
            note = "Resumed your open item: submit it before taking a new one." if claim.resumed else ""
            return render(user, state, load_item(user, claim.item_id), note)
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            return {saved_md: gr.update()}  # Gradio refuses an empty dict of updates

    def on_reopen(state: dict, item_id: Any, request: gr.Request):
        user = user_of(request)
        try:
            item = load_item(user, int(item_id) if item_id not in (None, "") else None)
        except (WorkbenchError, ValueError, TypeError) as e:
            gr.Warning(as_toast(e) if isinstance(e, WorkbenchError) else "choose one of your items")
            return {saved_md: gr.update()}  # Gradio refuses an empty dict of updates
        if item is None:
            gr.Warning("choose one of your items")
            return {saved_md: gr.update()}  # Gradio refuses an empty dict of updates
        return render(user, {**state, "item_id": item.item_id}, item)

    def make_autosave(i: int):
        def autosave(state: dict, turn_type: Any, questioning: Any, suggestion: Any, safety: Any, comment: Any,
                     corrected: Any, request: gr.Request):
            values = (turn_type, questioning, suggestion, safety, comment, corrected)
            user = user_of(request)
            try:
                item = current_item(user, state)
                if i >= len(item.replies):
                    return {saved_md: gr.update()}  # Gradio refuses an empty dict of updates
                reply = item.replies[i]
                with svc.store.session() as s:
                    r = ratings.save_draft(s, user, reply.generation_id, form_from_values(*values), rubric=rubric,
                                           blind=blind_for(user, state))
                return {saved_md: f"Reply {reply.label}: {r.status} saved at {r.updated_at:%H:%M:%S} UTC "
                                  f"(version {r.version})"}
            except WorkbenchError as e:
                gr.Warning(as_toast(e))
                return {saved_md: f"⚠️ not saved: {as_text(str(e))}"}
        return autosave

    def on_pref_change(state: dict, choice: Any, rank_text: Any, request: gr.Request):
        user = user_of(request)
        try:
            item = current_item(user, state)
            if choice == PREF_RANKING and not (rank_text or "").strip():
                return {saved_md: "Type the ranking, best first (e.g. B > A > C)."}
            form = ratings.preference_from_choice(item, choice, rank_text or "")
            with svc.store.session() as s:
                p = ratings.save_preference(s, user, item.item_id, form, rubric=rubric, submit=False,
                                            blind=blind_for(user, state))
            return {saved_md: f"Preference {p.status} saved at {datetime.now():%H:%M:%S}"}
        except WorkbenchError as e:
            return {saved_md: f"⚠️ preference not saved: {as_text(str(e))}"}

    def on_submit(request: gr.Request, state: dict, choice: Any, rank_text: Any, *values: Any):
        # Gradio injects the request only into a positional parameter, hence its place first.
        user = user_of(request)
        n = len(widgets[0].form_inputs)
        try:
            item = current_item(user, state)
            forms = {}
            for i, reply in enumerate(item.replies):
                forms[reply.generation_id] = form_from_values(*values[i * n:(i + 1) * n])
            pform = ratings.preference_from_choice(item, choice, rank_text or "") if len(item.replies) > 1 else None
            with svc.store.session() as s:
                done = ratings.submit_item(s, user, item.item_id, forms, pform, rubric=rubric,
                                           blind=blind_for(user, state))
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            return {saved_md: f"⚠️ not submitted: {as_text(str(e))}"}
        gr.Info(f"Item #{done.item_id} submitted.")
        # The answers on screen are the ones just stored: send only what a submit changes (status lines,
        # headers, progress), not the ~70 widgets again; re-rendering them all made a submit slow.
        out = render(user, state, done, f"✅ Item #{done.item_id} submitted. Press **N** for the next item.")
        # Not the state: the submit changes nothing in it, and an answer drawn late must not undo a Next.
        changed = {info_md, saved_md, progress_md, mine_dd, *(w.header for w in widgets)}
        return {c: v for c, v in out.items() if c in changed}

    def on_reveal(state: dict, value: bool, request: gr.Request):
        user = user_of(request, Permission.SEE_MODELS)
        state = {**state, "reveal": bool(value)}
        try:
            item = load_item(user, state.get("item_id"))
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            item = None
        return render(user, state, item)

    def on_team(request: gr.Request):
        user = user_of(request, Permission.TEAM)
        try:
            with svc.store.session() as s:
                rows = queue.annotator_progress(s, user)
        except AuthError as e:
            raise gr.Error(as_toast(e)) from None
        return [[r.username, r.completed, r.open] for r in rows]

    def on_release(username: str, request: gr.Request):
        user = user_of(request, Permission.TEAM)
        try:
            with svc.store.session() as s:
                n = queue.release_open(s, user, username or "")
                rows = queue.annotator_progress(s, user)
        except AuthError as e:
            raise gr.Error(as_toast(e)) from None
        except WorkbenchError as e:
            gr.Warning(as_toast(e))
            return gr.update()
        gr.Info(f"released {n} open item(s) of {as_toast(username.strip())}")
        return [[r.username, r.completed, r.open] for r in rows]

    # --- JSON API for scripted clients (load tests, annotation tools) ----------------------------------
    # The same server-side user, queue and validation as the buttons, without rendering 70 components:
    # ``rate_api_next()`` claims an item; ``rate_api_submit(payload)`` submits it in one transaction and,
    # with ``"next": true``, claims the next one. A submit is acknowledged (``"ok": true``) only after
    # its transaction committed; any refusal is an error, never an ``ok``. Model names are never sent.
    def on_api_next(request: gr.Request) -> str:
        user = user_of(request)
        try:
            return json.dumps({"item": api_claim(user)}, ensure_ascii=False)
        except WorkbenchError as e:
            raise gr.Error(as_toast(e)) from None

    def api_claim(user: CurrentUser) -> dict[str, Any] | None:
        with svc.store.session() as s:
            queue.sync_queue(s)
        with svc.store.session() as s:
            claim = queue.take_next(s, user, k, cfg.gold_rate)
        return api_item(load_item(user, claim.item_id)) if claim else None

    def on_api_submit(payload: str, request: gr.Request) -> str:
        user = user_of(request)
        try:
            data = parse_submit(payload)
            item = load_item(user, data.item_id)
            assert item is not None
            forms = {}
            for reply in item.replies:
                answer = data.ratings.get(reply.label)
                if answer is None:
                    raise InputError(f"reply {reply.label}: not rated (ratings must have an object per label)")
                forms[reply.generation_id] = answer.form()
            unknown = sorted(set(data.ratings) - {r.label for r in item.replies})
            if unknown:
                raise InputError(f"no reply labelled {', '.join(unknown)} in item #{item.item_id}")
            pform = (ratings.preference_from_choice(item, data.preference, data.ranking or "")
                     if len(item.replies) > 1 else None)
            with svc.store.session() as s:
                done = ratings.submit_item(s, user, item.item_id, forms, pform, rubric=rubric, blind=cfg.blind)
                ids = {r.generation_id: ratings.get_rating(s, user, r.generation_id) for r in done.replies}
            # Committed: from here on the submit may be acknowledged.
            out: dict[str, Any] = {
                "ok": True, "item_id": done.item_id,
                "ratings": [{"label": r.label, "rating_id": ids[r.generation_id].id,
                             "version": ids[r.generation_id].version} for r in done.replies
                            if ids.get(r.generation_id) is not None]}
            if data.next:
                try:
                    out["next"] = api_claim(user)
                except WorkbenchError as e:  # the submit stands; only the next claim failed
                    out["next"], out["next_error"] = None, str(e)
            return json.dumps(out, ensure_ascii=False)
        except WorkbenchError as e:
            raise gr.Error(as_toast(e)) from None

    # ---------------------------------------------------------------------------------------------
    gr.on([next_btn.click], on_next, [st], item_outputs, api_name="rate_next", trigger_mode="once")
    reopen_btn.click(on_reopen, [st, mine_dd], item_outputs, api_name="rate_reopen")
    for i, w in enumerate(widgets):
        # Leaving a text box saves it again: a keystroke's save can be coalesced away while another runs.
        gr.on([w.turn_type.input, w.questioning.input, w.suggestion_score.input, w.safety.input,
               w.comment.input, w.corrected.input, w.comment.blur, w.corrected.blur],
              make_autosave(i), [st, *w.form_inputs], [saved_md], api_name=f"rate_autosave_{i}",
              trigger_mode="always_last", show_progress="hidden")
    gr.on([pref.input, ranking.input, ranking.blur], on_pref_change, [st, pref, ranking], [saved_md],
          api_name="rate_preference", trigger_mode="always_last", show_progress="hidden")
    submit_inputs = [st, pref, ranking] + [c for w in widgets for c in w.form_inputs]
    submit_btn.click(on_submit, submit_inputs, item_outputs, api_name="rate_submit", trigger_mode="once")
    reveal.input(on_reveal, [st, reveal], item_outputs, api_name="rate_reveal")
    admin_refresh.click(on_team, None, [team], api_name="rate_team")
    release_btn.click(on_release, [release_user], [team], api_name="rate_release")
    # triggers=None with no inputs = run once when the page loads: restores the open item and its draft.
    gr.on(None, on_load, None, item_outputs + [admin_box, team_box, reveal], api_name="rate_load")
    gr.api(on_api_next, api_name="rate_api_next", api_description="Claim your next item (JSON).")
    gr.api(on_api_submit, api_name="rate_api_submit",
           api_description="Submit an item: JSON {item_id, ratings: {label: {...}}, preference, ranking, next}.")
    return {"widgets": widgets, "state": st,
            "admin_box": admin_box, "team": team}
