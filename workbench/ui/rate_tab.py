"""The Rate tab: blind, counterbalanced rating of stored generations, with autosaved drafts.

Handlers are thin: each resolves the user from the request (never from a client value), calls
:mod:`workbench.annotate.queue` / :mod:`workbench.annotate.ratings` in one session, and returns updates
keyed by component. The current item lives in server-side ``gr.State`` and is re-derived from the
database on page load, so a refresh or a server restart loses nothing that was autosaved.

One box per *distinct* reply: byte-identical replies (``ItemView.groups``) are shown once, marked, rated
once and stored for each. Submit stores the item and opens the next one in the same answer (one round
trip instead of two), and sends only what changed.

Text that comes from the database (dialogue turns, replies, comments) is only ever shown in Chatbot /
Textbox components or escaped (:mod:`workbench.ui.text`) before Markdown or HTML, so markup in it stays inert.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from workbench.access import Permission, may, require_role
from workbench.annotate import queue, ratings, workflow
from workbench.annotate.api import parse_submit
from workbench.annotate.queue import ItemView, ReplyView
from workbench.annotate.ratings import RatingForm
from workbench.annotate.rubric import NA as rubric_na
from workbench.annotate.rubric import Rubric, load_rubric
from workbench.auth import CurrentUser, account_name
from workbench.chat_dialogues import snippet
from workbench.errors import AuthError, InputError, WorkbenchError
from workbench.services import Services
from workbench.ui import i18n
from workbench.ui.i18n import K, Localizer
from workbench.ui.rate_pages import DraftWriters, RecentSubmitters, SentOrder
from workbench.ui.rate_payload import PageAnswers, item_reference, parse_page_answers
from workbench.ui.rate_shortcuts import shortcuts_help
from workbench.ui.reply_diff import diff_html
from workbench.ui.text import TEXT_CHATBOT, as_text, as_toast, plain, text_messages
from workbench.vocab import FlagAction, PreferenceOutcome

log = logging.getLogger(__name__)

MAX_REPLIES = 6
NA = "N/A"
PREF_TIE, PREF_ALL_BAD, PREF_RANKING = PreferenceOutcome.TIE, PreferenceOutcome.ALL_BAD, PreferenceOutcome.RANKING
#: page-load script (``launch(js=...)``): the keyboard shortcuts and the focus marking
RATE_JS = (Path(__file__).parent / "assets" / "rate_keys.js").read_text(encoding="utf-8")
#: Chatbot settings of the dialogue panes: each stored turn is its own bubble, even two patient turns in a row
TURN_BUBBLES: dict[str, Any] = {**TEXT_CHATBOT, "group_consecutive_messages": False}


@dataclass
class ReplyWidgets:
    box: Any
    header: Any
    reply: Any
    diff: Any
    own_history: Any
    suggestion: Any
    turn_type: Any
    scores: dict[str, Any]  # one score radio per rubric axis, in the rubric's order
    safety: Any
    comment: Any
    corrected: Any
    rank: Any

    @property
    def form_inputs(self) -> list[Any]:
        """The answer widgets in the order :func:`form_from_values` reads them (and rate_autosave_i takes them)."""
        return [self.turn_type, *self.scores.values(), self.safety, self.comment, self.corrected]


#: DOM ids of the shipped axes' radios (``rate-q-0``), which the keyboard script and saved pages know;
#: a further axis is ``rate-<key>-<i>``.
_AXIS_DOM_IDS = {"questioning": "q", "suggestion": "s"}


def _score_choices(rubric: Rubric, key: str) -> list[str]:
    axis = rubric.axis(key)
    return [str(i) for i in range(axis.scale.min, axis.scale.max + 1)] + ([NA] if axis.allow_na else [])


def _score_value(answer: int | str | None) -> str | None:
    """A stored answer (a score or the rubric's "na") as the radio's value."""
    if answer is None:
        return None
    return NA if answer == rubric_na else str(answer)


def _parse_score(value: Any) -> int | str | None:
    if value in (None, ""):
        return None
    if value == NA:
        return rubric_na
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"a score must be a number or {NA}, got {value!r}") from None


def form_from_values(axes: Sequence[str], values: Sequence[Any]) -> RatingForm:
    """The values of :attr:`ReplyWidgets.form_inputs` as a :class:`RatingForm` (validated later against the rubric)."""
    turn_type, *scores, safety, comment, corrected = values
    if len(scores) != len(axes):
        raise InputError(f"expected {len(axes)} scores ({', '.join(axes)}), got {len(scores)}")
    return RatingForm(turn_type=turn_type or None,
                      scores={a: v for a, v in zip(axes, map(_parse_score, scores), strict=True) if v is not None},
                      safety_flag=bool(safety), comment=comment, corrected_reply=corrected)


def status_word(status: str, lang: str) -> str:
    """A stored answer's status as one word ("submitted", "draft"): rate.status.submitted is the long
    instruction shown for the whole item."""
    return i18n.t("rate.status.short_submitted" if status == "submitted" else f"rate.status.{status}", lang)


#: characters of the patient's message that name an item in My rated items
PREVIEW_CHARS = 24


def _preview(text: str) -> str:
    """A message as one short line (a dropdown's choice shows text only, never markup)."""
    return snippet(text, PREVIEW_CHARS)


def group_label(group: tuple[ReplyView, ...]) -> str:
    """``"A"``, or ``"A=C"`` for identical replies: the name of one box, one preference choice, one rank."""
    return "=".join(r.label for r in group)


def _labels_text(group: tuple[ReplyView, ...], lang: str) -> str:
    labels = [r.label for r in group]
    joiner = "、" if lang == "zh" else ", "
    return joiner.join(labels[:-1]) + (" 和 " if lang == "zh" else " and ") + labels[-1]


def header_state(status: Any, version: int, lang: str) -> str:
    """A reply header's answer state: "submitted · version 2" ("version", not "v2": a blind annotator read "v1"
    as the model behind the reply, BianQue v1)."""
    return f" — *{i18n.t('rate.state_version', lang, status=status_word(status, lang), version=version)}*"


#: the flags table's columns: a reason of a few sentences wraps in its own column, the time stays in sight
FLAG_WIDTHS = ["10%", "15%", "55%", "20%"]


def error_text(e: WorkbenchError, lang: str) -> str:
    """An error in ``lang``; ``reply X: …`` (how a whole-item submit names the reply) keeps its prefix, and a
    submit's gaps in several boxes (``reply A=C: missing …; reply B: …``) are each translated."""
    text = str(e)
    cat = i18n.catalogue()
    parts = text.split("; ")
    if not any(_reply_part(p) for p in parts):
        return cat.translate(text, lang)
    shown = []
    for part in parts:
        if not _reply_part(part):  # the preference's gap beside the boxes'
            shown.append(cat.translate(part, lang))
            continue
        head, _sep, rest = part.partition(": ")
        colon = "：" if lang == "zh" else ": "  # 回复 A：请选择回复类型, one kind of colon in a Chinese line
        if rest.startswith("missing ") and cat.translate(rest, lang) == rest:
            comma = "、" if lang == "zh" else ", "
            rest = i18n.t("rate.missing", lang, what=comma.join(cat.translate(w, lang)
                                                                 for w in rest.removeprefix("missing ").split(", ")))
        else:
            rest = cat.translate(rest, lang)
        shown.append(i18n.t("rate.reply_label", lang, label=head.split()[1]) + colon + rest)
    return ("；" if lang == "zh" else "; ").join(shown)


def _reply_part(text: str) -> bool:
    head, sep, _rest = text.partition(": ")
    return bool(sep) and head.startswith("reply ") and len(head.split()) == 2


def api_item(item: ItemView | None) -> dict[str, Any] | None:
    """An item as the JSON API sends it: blind labels and texts, never column names."""
    if item is None:
        return None
    twins = {r.label: [x.label for x in g if x is not r] for g in item.groups for r in g}
    return {"item_id": item.item_id, "turn_index": item.turn_index, "completed": item.completed,
            "history": [{"role": r, "text": t} for r, t in item.history],
            "replies": [{"label": r.label, "text": r.text, "identical_to": twins[r.label],
                         "suggested_turn_type": r.suggestion.turn_type if r.suggestion else None}
                        for r in item.replies]}


STALE_SUBMIT = ("item #{item} was submitted in another tab meanwhile: nothing from this page was saved; "
                "reload the page to see the stored answer, then change it there")


STALE_DRAFTS = ("item #{item} was changed in another tab meanwhile: nothing from this page was submitted; "
                "reload the page to see the item's latest answers, then submit")


def _account_choices(names: Sequence[str]) -> list[tuple[str, str]]:
    """A menu of account names: each shown as plain text (a name is untrusted), chosen by the name itself."""
    return [(plain(n), n) for n in names]


def build_rate_tab(svc: Services, ui: Localizer, progress_sink: Any) -> dict[str, Any]:
    """Build the Rate tab inside the current Blocks context; its events track their progress on
    ``progress_sink`` (a hidden component first in the page: :func:`workbench.ui.app.track_load_progress_on`)."""
    cfg = svc.config.annotation
    rubric = load_rubric(svc.config.resolve_path(cfg.rubric))
    axis_keys = rubric.axis_keys
    k = cfg.annotators_per_item
    # Which page (Gradio session) submitted an item: a draft that arrives after its own page's submit is a
    # race and dropped quietly; after another page's submit (a second tab) it is stale, and the page says so.
    submitters = RecentSubmitters()
    # Which page wrote each item's drafts: a submit from a page that has not drawn another tab's drafts since is
    # refused (it would replace what that tab saved with what this page never showed).
    draft_writers = DraftWriters()
    # In which order each page sent its events: an answer reaching the page after a later-sent view's (Next, Back, a
    # submit…) or save's leaves what that one drew (walks s65, s66), and a draft sent before a submit that stored the
    # item is not written.
    sent_order = SentOrder()
    guidelines_path = svc.config.resolve_path(cfg.guidelines)
    try:
        guidelines: str | None = guidelines_path.read_text(encoding="utf-8")
        guidelines_error = ""
    except OSError as e:
        guidelines, guidelines_error = None, str(e)
    turn_keys = {t.key for t in rubric.turn_types}
    has_ranking = any(o.key == PREF_RANKING for o in rubric.preference.options)

    st = gr.State({"item_id": None, "reveal": False, "diff": False, "shown": 0})
    with gr.Row():
        progress_md = gr.Markdown("", elem_id="rate-progress")
    with gr.Row(elem_id="rate-actions"):
        back_btn = ui.make(gr.Button, value=K("rate.back"), elem_id="rate-back", size="sm", interactive=False)
        skip_btn = ui.make(gr.Button, value=K("rate.skip"), elem_id="rate-skip", size="sm", interactive=False)
        next_btn = ui.make(gr.Button, value=K("rate.next"), elem_id="rate-next", size="sm")
        submit_btn = ui.make(gr.Button, value=K("rate.submit"), variant="primary", elem_id="rate-submit",
                             size="sm", interactive=False)
    revealed_md = gr.Markdown("", elem_id="rate-revealed")
    # Not bound to the catalogue: page load writes it (the restored item, or "press Next") in the right language.
    info_md = gr.Markdown(ui.t("rate.start"), elem_id="rate-item-info")
    # Changed by every submit's answer (stored or refused): the page script waits for it before moving on.
    ack = gr.Textbox("0", elem_id="rate-ack", elem_classes=["rate-hidden"], interactive=False, show_label=False,
                     container=False)
    # The item on screen, sent with every autosave: gr.State is read when an event runs, so an autosave queued
    # behind a submit would otherwise see the next item's id and file the old item's answers under it.
    item_ref = gr.Textbox("", elem_id="rate-item-id", elem_classes=["rate-hidden"], interactive=False,
                          show_label=False, container=False)
    # read-only-chat: no trash icon (app.CSS), which would wipe the context the rater needs until a reload
    history = ui.make(gr.Chatbot, label=K("rate.history"), height=260, elem_id="rate-history",
                      elem_classes=["read-only-chat"], feedback_options=None, buttons=["copy"], **TURN_BUBBLES)
    diff_toggle = ui.make(gr.Checkbox, label=K("rate.diff_toggle"), elem_id="rate-diff-toggle", value=False)
    widgets: list[ReplyWidgets] = []
    with gr.Row(equal_height=False):
        for i in range(MAX_REPLIES):
            with gr.Column(visible=False, min_width=280, elem_id=f"rate-col-{i}", elem_classes=["rate-col"]) as box:
                header = gr.Markdown("", elem_id=f"rate-header-{i}")
                # "Reply text", not "Reply A" again: the header right above names the reply
                reply = ui.make(gr.Textbox, label=K("rate.reply_text"), interactive=False, lines=4, max_lines=14,
                                elem_id=f"rate-reply-{i}")
                # Shown while it holds a diff (CSS: rate_keys.js): a value, never a visibility update (below).
                diff = gr.HTML("", elem_id=f"rate-diff-{i}", elem_classes=["rate-diff"])
                with ui.make(gr.Accordion, label=K("rate.own_history"), open=False):
                    own = gr.Chatbot(height=200, feedback_options=None, show_label=False, elem_id=f"rate-own-{i}",
                                     elem_classes=["read-only-chat"], **TURN_BUBBLES)
                sug = gr.HTML("", elem_id=f"rate-sug-{i}")
                # interactive=True: no event takes the answer widgets as inputs (the page sends their values as
                # JSON), and Gradio draws a component that is no event's input as read-only.
                tt = gr.Radio([(t.en, t.key) for t in rubric.turn_types], label="Turn type", elem_id=f"rate-tt-{i}",
                              elem_classes=["rate-axis", "rate-tt"], interactive=True)
                score_radios = {
                    axis.key: gr.Radio(_score_choices(rubric, axis.key), label="",
                                       elem_id=f"rate-{_AXIS_DOM_IDS.get(axis.key, axis.key)}-{i}",
                                       elem_classes=["rate-axis"], interactive=True)
                    for axis in rubric.axes}
                safety = gr.Checkbox(label="", elem_id=f"rate-safety-{i}", interactive=True)
                comment = gr.Textbox(label="", lines=1, max_lines=6, elem_id=f"rate-comment-{i}", interactive=True)
                corrected = gr.Textbox(label="", lines=1, max_lines=10, elem_id=f"rate-corrected-{i}",
                                       interactive=True)
            rank = gr.Button("", visible=False, elem_id=f"rate-rank-{i}", size="sm", render=False)
            widgets.append(ReplyWidgets(box, header, reply, diff, own, sug, tt, score_radios, safety, comment,
                                        corrected, rank))
    with gr.Row():
        pref = gr.Radio([], label="", elem_id="rate-pref", scale=3, interactive=True)
        with gr.Column(scale=2, visible=has_ranking, elem_id="rate-ranking-box"):
            ranking = ui.make(gr.Textbox, label=K("rate.ranking"), elem_id="rate-ranking", interactive=False)
            with gr.Row():
                for w in widgets:
                    w.rank.render()
                rank_clear = ui.make(gr.Button, value=K("rate.rank_clear"), elem_id="rate-rank-clear", size="sm")
    saved_md = gr.Markdown("", elem_id="rate-saved")
    with ui.make(gr.Accordion, label=K("rate.flag_box"), open=False, elem_id="rate-flag-box"):
        with gr.Row():
            flag_reason = ui.make(gr.Textbox, label=K("rate.flag_reason"), elem_id="rate-flag-reason", scale=3)
            flag_btn = ui.make(gr.Button, value=K("rate.flag"), elem_id="rate-flag-btn", size="sm", scale=1,
                               interactive=False)
    with ui.make(gr.Accordion, label=K("rate.mine"), open=False) as mine_box:
        with gr.Row():
            mine_dd = ui.make(gr.Dropdown, choices=[], label=K("rate.mine_item"), elem_id="rate-mine", scale=3)
            reopen_btn = ui.make(gr.Button, value=K("rate.open"), elem_id="rate-open", size="sm", scale=1)
    with ui.make(gr.Accordion, label=K("rate.shortcuts"), open=False):
        shortcuts_md = gr.Markdown(shortcuts_help(i18n.BUILD_LANGUAGE), elem_id="rate-shortcuts")
    with ui.make(gr.Accordion, label=K("rate.guidelines"), open=False):
        guidelines_md = gr.Markdown(guidelines or "", elem_id="rate-guidelines")
    with ui.make(gr.Accordion, label=K("rate.admin"), open=False, visible=False) as admin_box:
        reveal = ui.make(gr.Checkbox, label=K("rate.reveal"), elem_id="rate-reveal")
        with gr.Column(visible=False, elem_id="rate-team-box") as team_box:  # admins only
            admin_refresh = ui.make(gr.Button, value=K("rate.team_refresh"), size="sm", elem_id="rate-team-refresh")
            # titled: two bare tables one under the other read as one
            team = ui.make(gr.Dataframe, headers=["annotator", "completed", "open", "held"], label=K("rate.team"),
                           show_label=True, datatype=["str", "number", "number", "number"], interactive=False,
                           elem_id="rate-team")
            flags = ui.make(gr.Dataframe, headers=["item", "annotator", "reason", "flagged at (UTC)"],
                            label=K("rate.flags"), show_label=True, datatype=["number", "str", "str", "str"],
                            interactive=False, wrap=True, column_widths=FLAG_WIDTHS, elem_id="rate-flags")
            with gr.Row():
                release_user = ui.make(gr.Textbox, label=K("rate.release_user"), scale=3,
                                       elem_id="rate-release-user")
                release_btn = ui.make(gr.Button, value=K("rate.release"), size="sm", scale=1)
            # Settle a flag: hand the item to an annotator, put it back in the pool, or retire it.
            with gr.Row():
                # Custom values reach the handler, which checks them itself (and the role first).
                review_pick = ui.make(gr.Dropdown, choices=[], value=None, label=K("rate.flag_review.pick"),
                                      allow_custom_value=True, elem_id="rate-review-pick", scale=3)
                # Offers only the accounts that may take it (active, of a role that may rate). A custom value
                # reaches the handler as the pick's does (Gradio checks a value against the choices the menu was
                # built with, not those filled in later), and the server refuses anyone else by name.
                review_user = ui.make(gr.Dropdown, choices=[], value=None, label=K("rate.flag_review.target"),
                                      allow_custom_value=True, elem_id="rate-review-user", scale=2)
            with gr.Row():
                review_buttons = {action: ui.make(gr.Button, value=K(f"rate.flag_review.{action}"), size="sm",
                                                  elem_id=f"rate-review-{action}")
                                  for action in FlagAction}

    nav_buttons = [back_btn, skip_btn, submit_btn, flag_btn]
    item_outputs: list[Any] = [st, item_ref, info_md, history, pref, ranking, saved_md, progress_md, revealed_md, ack,
                               *nav_buttons]
    for w in widgets:
        item_outputs += [w.box, w.header, w.reply, w.diff, w.own_history, w.suggestion, w.rank, *w.form_inputs]
    #: what the annotator changes on the page (so what this session last sent says nothing of what it shows)
    answer_widgets = {pref, ranking, *(c for w in widgets for c in w.form_inputs)}
    #: what both a view and a draft's answer write of the item drawn: each shows the latest read of the store
    item_parts = {info_md, progress_md, *(w.header for w in widgets)}

    # ---------------------------------------------------------------------------------------------
    def user_of(request: gr.Request | None, permission: Permission = Permission.RATE) -> CurrentUser:
        try:
            return require_role(svc.auth, request, permission)
        except AuthError as e:
            raise gr.Error(as_toast(e)) from None

    def blind_for(user: CurrentUser, state: dict) -> bool:
        return cfg.blind and not (user.can(Permission.SEE_MODELS) and state.get("reveal"))

    def progress_text(p: queue.Progress, lang: str) -> str:
        text = i18n.t("rate.progress", lang, done=p.mine_completed, open=p.mine_open, available=p.mine_available,
                      slots_done=p.slots_completed, slots_total=p.slots_total, fraction=f"{p.overall_fraction:.0%}",
                      items_done=p.items_completed, items_total=p.total_items, k=p.k)
        if not p.mine_held:
            return text
        # Said on the annotator's own line (before the team's), only when some of their items wait for an admin.
        mine, sep, overall = text.partition("  \n")
        return mine + i18n.t("rate.progress_held", lang, held=p.mine_held) + sep + overall

    def done_text(p: queue.Progress, lang: str) -> str:
        """Nothing to open: all done, or some of the annotator's items wait for an admin (not "all done")."""
        if p.mine_held:
            return i18n.t("rate.done_held", lang, held=p.mine_held)
        # A flagged item counted with them read as waiting for annotators, when it waits for an admin (walk s69).
        waiting = p.total_items - p.items_completed - p.items_held
        # "Nothing left" beside "0/6 items complete" read as a stuck queue: the rest need other people (k of them,
        # and nobody rates an item twice or one from a dialogue they chatted in).
        # (Chinese sentences end in full-width marks and follow one another with no space)
        return ("" if lang == "zh" else " ").join([i18n.t("rate.done_all", lang),
                         *([i18n.t("rate.done_others", lang, n=waiting, k=p.k)] if waiting > 0 else []),
                         *([i18n.t("rate.done_flag_held", lang, n=p.items_held)] if p.items_held else [])])

    def my_choices(user: CurrentUser, lang: str) -> list[tuple[str, int]]:
        rows = workflow.my_items_described(svc.store, user)
        status = {True: i18n.t("rate.status.short_submitted", lang), False: i18n.t("rate.status.short_open", lang)}
        return [(i18n.t("rate.mine_choice", lang, item=i, turn=turn, status=status[done], said=_preview(said)), i)
                for i, done, turn, said in rows]

    def static_texts(lang: str) -> dict[Any, Any]:
        """Texts that come from the rubric (bilingual there) or a table, in ``lang``: sent on page load."""
        def name(b: Any) -> str:
            return getattr(b, lang, None) or b.en
        out: dict[Any, Any] = {shortcuts_md: shortcuts_help(lang),
                               pref: gr.update(label=name(rubric.preference)),
                               # Empty tables with the headers as columns: Gradio ignores a headers update
                               # on an empty Dataframe, which kept the English ones (or showed 1 2 3).
                               **dict(zip((team, flags), team_tables([], [], lang), strict=True))}
        if guidelines is None:
            out[guidelines_md] = as_text(i18n.t("rate.guidelines_missing", lang, error=guidelines_error))
        for w in widgets:
            out[w.turn_type] = gr.update(label=i18n.t("rate.turn_type", lang),
                                         choices=[(name(t), t.key) for t in rubric.turn_types])
            for axis in rubric.axes:
                # the value stays "N/A" (what the page sends and the 0 key picks); its label is the language's
                out[w.scores[axis.key]] = gr.update(
                    label=name(axis.name), choices=[(i18n.t("rate.na", lang) if c == NA else c, c)
                                                    for c in _score_choices(rubric, axis.key)])
            out[w.safety] = gr.update(label=f"⚠ {name(rubric.safety_flag)}")
            out[w.comment] = gr.update(label=name(rubric.comment))
            out[w.corrected] = gr.update(label=name(rubric.corrected_reply))
        return out

    def suggestion_html(r: ReplyView, lang: str, prefilled: bool) -> str:
        sug = r.suggestion
        if sug is None or sug.turn_type not in turn_keys:
            return ""
        option = next(t for t in rubric.turn_types if t.key == sug.turn_type)
        conf = (i18n.t("rate.confidence", lang, value=f"{sug.confidence:.2f}") if sug.confidence is not None else "")
        key = "rate.suggestion_prefilled" if prefilled else "rate.suggestion"
        text = _markdown_bold(i18n.t(key, lang, turn_type="\x00", confidence="\x02"))
        text = text.replace("\x00", as_text(getattr(option, lang, option.en))).replace("\x02", as_text(conf))
        # The key (one of the rubric's turn types, checked above) is what the Y key picks.
        return f'<span class="rate-sug-key" data-key="{sug.turn_type}"></span>{text}'


    def render(user: CurrentUser, state: dict, screen: workflow.Screen, lang: str, note: str = "", *,
               answers: bool = True) -> dict[Any, Any]:
        """Updates showing ``screen``'s item; ``answers=False`` leaves the answer widgets as they are (after
        a submit of the item on screen). Property updates the page already shows are left out (:func:`changed_only`)."""
        item = screen.item
        shown_before = int(state.get("shown") or 0)
        groups = item.groups if item is not None else ()
        # The boxes' reply ids and labels: an autosave of the item on screen needs no other read of the item.
        state = {**state, "item_id": item.item_id if item else None, "shown": len(groups),
                 "boxes": [([r.generation_id for r in g], group_label(g)) for g in groups], "heads": [],
                 "info_reopened": None, "draft_refused": {}}
        if item is not None and answers:  # the page now shows every draft written so far
            state["drafts_seen"] = drafts_seen(state, item.item_id, draft_writers.count(user.id, item.item_id))
        out: dict[Any, Any] = {st: state, item_ref: item_reference(state["item_id"], bool(item and item.completed)),
                               progress_md: progress_text(screen.progress, lang),
                               saved_md: note}
        out.update({b: gr.update(interactive=item is not None) for b in nav_buttons})
        out[back_btn] = gr.update(interactive=True)
        out[skip_btn] = gr.update(interactive=item is not None)  # on a submitted item it says why nothing is put back
        # Boxes shown for the previous item and not needed now; the others are rewritten below.
        for w in widgets[len(groups):max(shown_before, len(groups))]:
            out[w.box] = gr.update(visible=False)
            out[w.rank] = gr.update(visible=False)
        if answers:
            # Boxes not used by this item get their (empty) values: cheaper for Gradio than leaving them out.
            for w in widgets[len(groups):]:
                out.update({w.header: "", w.reply: "", w.diff: "", w.own_history: [], w.suggestion: "",
                            **dict.fromkeys(w.form_inputs[:-3]), w.safety: False, w.comment: "", w.corrected: ""})
        if item is None:
            # (walk 9: "Press Next item" stayed under a stack of "Nothing left" toasts at the queue's end)
            mine_left = screen.progress
            done = mine_left.mine_open == 0 and mine_left.mine_available == 0
            out.update({info_md: done_text(mine_left, lang) if done else i18n.t("rate.none_open", lang), history: [],
                        pref: gr.update(choices=[], value=None), ranking: ""})
            return changed_only(out, state)
        reveal_names = user.can(Permission.SEE_MODELS) and state.get("reveal")
        mine, p = screen.ratings, screen.preference
        status = i18n.t("rate.status.held" if item.held else
                        "rate.status.submitted" if item.completed else "rate.status.open", lang)
        def info_line(status: str) -> str:
            info = i18n.t("rate.info", lang, item=item.item_id,
                          turn=item.turn_index, n=len(groups), status=status)
            for g in (g for g in groups if len(g) > 1):
                info += "  \n" + i18n.t("rate.identical_note", lang, labels=_labels_text(g, lang))
            if item.history_diverges:
                info += "  \n" + i18n.t("rate.diverges", lang)
            return info

        out[info_md] = info_line(status)
        if item.completed and not item.held:
            # an edit of a submitted item opens it again: the autosave shows this line instead
            state["info_reopened"] = info_line(i18n.t("rate.status.open", lang))
        if answers:
            out[history] = text_messages(item.history)
            by_gid = {r.generation_id: group_label(g) for g in groups for r in g}
            pref_value, rank_text = None, ""
            if p is not None and p.form.outcome:
                winner = p.form.winner_generation_id
                if p.form.outcome == PreferenceOutcome.BEST and winner is not None:
                    pref_value = by_gid.get(winner, "").split("=")[0] or None
                else:
                    pref_value = p.form.outcome
                if p.form.ranking:
                    rank_text = " > ".join(by_gid.get(g, "?") for g in p.form.ranking)
            choices = [(i18n.t("rate.pref_best", lang, label=group_label(g).replace("=", " = ")), g[0].label)
                       for g in groups]
            choices += [(getattr(o, lang, o.en), o.key) for o in rubric.preference.options if o.key != "best"]
            out[pref] = gr.update(choices=choices if len(groups) > 1 else [], value=pref_value)
            out[ranking] = rank_text
        for i, (w, g) in enumerate(zip(widgets, groups, strict=False)):
            r = g[0]
            rating = mine.get(r.generation_id)
            names = " = ".join(as_text(x.column) for x in g)
            name = f" · **{names}**" if reveal_names else ""
            state_tag = header_state(rating.status, rating.version, lang) if rating else ""
            same = f" · ＝ {i18n.t('rate.identical', lang, labels=_labels_text(g, lang))}" if len(g) > 1 else ""
            head = f"### {i18n.t('rate.reply_label', lang, label=group_label(g))}{same}{name}"
            state["heads"].append(head)  # an autosave rewrites the state after it (draft, version)
            out[w.header] = f"{head}{state_tag}"
            if not answers:
                continue
            out[w.box] = gr.update(visible=True)
            out[w.rank] = gr.update(visible=len(groups) > 1, value=group_label(g))
            out[w.reply] = r.text
            out[w.diff] = diff_update(groups, i, lang, bool(state.get("diff")))
            out[w.own_history] = text_messages(r.history)
            f = rating.form if rating else None
            prefill = rubric.prefill_turn_type and not (f and f.turn_type)
            out[w.suggestion] = suggestion_html(r, lang, prefilled=bool(prefill and r.suggestion))
            guess = r.suggestion.turn_type if (prefill and r.suggestion and r.suggestion.turn_type in turn_keys) \
                else None
            out[w.turn_type] = (f.turn_type if f and f.turn_type else guess)
            for key, radio in w.scores.items():
                out[radio] = _score_value(f.scores.get(key)) if f else None
            out[w.safety] = bool(f.safety_flag) if f else False
            out[w.comment] = (f.comment or "") if f else ""
            out[w.corrected] = (f.corrected_reply or "") if f else ""
        return changed_only(out, state)

    def drafts_seen(state: dict, item_id: int, count: int) -> dict[str, int]:
        """Per item the page drew lately, the drafts written when it drew it: a submit sent before a Back's or Next's
        answer acts on the item it showed (``on_submit``), not on the one the session moved to."""
        seen = {k: v for k, v in dict(state.get("drafts_seen") or {}).items() if k != str(item_id)}
        return {**dict(list(seen.items())[-3:]), str(item_id): count}

    def changed_only(out: dict[Any, Any], state: dict) -> dict[Any, Any]:
        """``out`` less the property updates the page already shows; records in ``state`` (``out[st]``) what
        this session sent.

        Plain values are always sent: for an output left out (or given a property update) Gradio builds a new
        component and its config twice (~15 ms for an HTML or a Chatbot), a value costs it almost nothing, and
        the page applies a value cheaply. A property update (visibility, choices, a label) is sent when it
        differs from the last one sent; the answer widgets' (which the annotator changes) always.
        """
        sent = dict(state.get("sent") or {})
        kept: dict[Any, Any] = {}
        for key, update in out.items():
            # (component, "label"): a property update sent only when it changed, beside the component's value
            component, part = key if isinstance(key, tuple) else (key, "")
            if component is st or not isinstance(update, dict):
                # A plain value costs Gradio less than leaving the output out (that builds a new component).
                kept[component] = update
                continue
            fingerprint = json.dumps(update, sort_keys=True, default=repr, ensure_ascii=False)
            if component in answer_widgets or sent.get(f"{component._id}{part}") != fingerprint:
                if part and component in kept:
                    update = {**update, "value": kept[component]}
                kept[component] = update
                sent[f"{component._id}{part}"] = fingerprint
        state["sent"] = sent
        return kept

    def diff_update(groups: tuple[tuple[ReplyView, ...], ...], i: int, lang: str, on: bool) -> str:
        """Box i's diff as HTML, or "" (the box hides itself: rate_keys.js). A value, not a visibility update:
        Gradio builds a new component for every property update (or left-out output), ~15 ms for an HTML."""
        if not on or i >= len(groups) or (len(groups) < 2 and i > 0):
            return ""
        if len(groups) < 2:
            body = as_text(i18n.t("rate.diff_none", lang))
        else:
            other = groups[1 if i == 0 else 0]
            caption = as_text(i18n.t("rate.diff_against", lang, label=group_label(other)))
            body = f"<small>{caption}</small><br>" + diff_html(groups[i][0].text, other[0].text)
        return f'<div class="rate-diff-body">{body}</div>'

    def load_item(user: CurrentUser, item_id: int | None) -> ItemView | None:
        return workflow.open_item(svc.store, user, item_id)

    def load_screen(user: CurrentUser, item_id: int | None, *, answers: bool = True) -> workflow.Screen:
        return workflow.screen(svc.store, user, item_id, k, answers=answers)

    def shown_item_id(state: dict, shown: Any = None) -> int:
        """The id of the item the event is about: the one the page showed when the event was sent (``shown``,
        from ``item_ref``), else the state's (API callers)."""
        item_id = int(shown) if isinstance(shown, str) and shown.isdigit() else state.get("item_id")
        if item_id is None:
            raise InputError("no item is open: press Next item")
        return item_id

    def current_item(user: CurrentUser, state: dict, shown: Any = None) -> ItemView:
        """The item the event is about (:func:`shown_item_id`), as its annotator sees it."""
        item = load_item(user, shown_item_id(state, shown))
        assert item is not None
        return item

    def move_on(user: CurrentUser, state: dict, lang: str, note: str = "") -> dict[Any, Any]:
        """Claim and show the next item (or say that nothing is left)."""
        screen = workflow.next_screen(svc.store, user, k, cfg.gold_rate)
        if screen.item is None:
            gr.Info(done_text(screen.progress, lang))
        elif screen.item.item_id == state.get("item_id") and not note:
            # Next on the open item keeps it (one open item at a time): say so, and leave what is typed alone.
            note = i18n.t("rate.still_open", lang, item=screen.item.item_id)
            gr.Info(note)
            return render(user, state, screen, lang, note, answers=False)
        elif screen.resumed and not note:
            note = i18n.t("rate.resumed", lang)
        return render(user, state, screen, lang, note)

    def warn(e: WorkbenchError, lang: str) -> str:
        text = error_text(e, lang)
        gr.Warning(as_toast(i18n.catalogue().as_sentence(text, lang)))  # (a sentence on its own; quoted as it is)
        return text

    def view_begins(user: CurrentUser, request: gr.Request, payload: Any) -> tuple[int | None, int]:
        """A view event (one that draws an item) begins: its number as the page sent it (None: an API client, which
        sends no item reference) and the read it draws from (taken before its reads of the store)."""
        seq = page_answers(payload).seq if isinstance(payload, str) and payload.strip() else None
        sent_order.view_begins(user.id, request.session_hash, seq)
        return seq, sent_order.read()

    def drawn(user: CurrentUser, request: gr.Request, seq: int | None, read: int, out: dict[Any, Any],
              dropped: dict[Any, Any] | None = None) -> dict[Any, Any]:
        """A view's updates as the page may take them now (SentOrder.may_draw): none when a view sent later has
        begun (``dropped`` then, or nothing), and no item part that a later read of the same item has written."""
        parts = [c.elem_id for c in out if c in item_parts]
        kept = sent_order.may_draw(user.id, request.session_hash, seq, str(out.get(item_ref, "")), read, parts)
        if kept is None:
            return dropped or {saved_md: gr.update()}  # Gradio refuses an empty dict of updates
        return {c: v for c, v in out.items() if c not in item_parts or c.elem_id in kept}

    def shown_answer(user: CurrentUser, request: gr.Request, page: PageAnswers, read: int,
                     saved: dict[Any, Any]) -> dict[Any, Any]:
        """A draft's updates as the page may take them now (SentOrder.may_show): nothing once the page shows
        another item; the saved line only if no later-sent answer or view has written it; each item part only if
        no later read of it has been shown."""
        parts = [c.elem_id for c in saved if c is not saved_md]
        line, kept = sent_order.may_show(user.id, request.session_hash, page.seq, page.ref, read, parts)
        out = {c: v for c, v in saved.items() if (line if c is saved_md else c.elem_id in kept)}
        return out or {saved_md: gr.update()}  # Gradio refuses an empty dict of updates

    # ---------------------------------------------------------------------------------------------
    def on_load(request: gr.Request):
        try:
            user = require_role(svc.auth, request, Permission.RATE)
        except AuthError:
            return {progress_md: gr.update()}  # a disabled account's page: the header says so (app.account_html)
        lang = i18n.language(request)
        state = {"item_id": None, "reveal": False, "diff": False, "shown": 0}
        try:
            screen = workflow.restore(svc.store, user, k)
        except WorkbenchError as e:
            warn(e, lang)
            screen = load_screen(user, None)
        # "…and its draft" only when there is one: an item opened and left unanswered had none to restore
        drafted = any(r is not None for r in screen.ratings.values()) or screen.preference is not None
        note = "" if screen.item is None else i18n.t("rate.restored" if drafted else "rate.restored_item", lang)
        out = render(user, state, screen, lang, note)
        for component, texts in static_texts(lang).items():
            out[component] = _merged(out.get(component, _UNSET), texts)
        out[mine_dd] = gr.update(choices=my_choices(user, lang), value=None)
        out[admin_box] = gr.update(visible=user.can(Permission.SEE_MODELS))
        out[team_box] = gr.update(visible=user.can(Permission.TEAM))
        out[reveal] = False
        out[diff_toggle] = False
        return drawn(user, request, None, 0, out)

    def on_open(request: gr.Request):
        # The tab opened: the progress line counts what was imported or generated since the page loaded (it read
        # "0 available" until Next was pressed).
        try:
            user = require_role(svc.auth, request, Permission.RATE)
            return progress_text(workflow.current_progress(svc.store, user, k), i18n.language(request))
        except WorkbenchError:
            return gr.update()

    def on_next(state: dict, payload: Any, request: gr.Request):
        user = user_of(request)
        lang = i18n.language(request)
        try:
            seq, read = view_begins(user, request, payload)
            return drawn(user, request, seq, read, move_on(user, state, lang))
        except WorkbenchError as e:
            warn(e, lang)
            return {saved_md: gr.update()}  # Gradio refuses an empty dict of updates

    def on_skip(state: dict, payload: Any, request: gr.Request):
        user = user_of(request)
        lang = i18n.language(request)
        try:
            seq, read = view_begins(user, request, payload)
            item_id = state.get("item_id")
            if item_id is None:
                raise InputError("no item is open: press Next item")
            skipped = workflow.skip(svc.store, user, item_id)
            # Skip after Back, on a submitted item: nothing to put back; say so rather than move on silently.
            note = i18n.t("rate.skipped" if skipped else "rate.skip_submitted", lang, item=item_id)
            return drawn(user, request, seq, read, move_on(user, state, lang, note))
        except WorkbenchError as e:
            warn(e, lang)
            return {saved_md: gr.update()}

    def on_back(state: dict, payload: Any, request: gr.Request):
        user = user_of(request)
        lang = i18n.language(request)
        try:
            seq, read = view_begins(user, request, payload)
            previous = workflow.previous_item(svc.store, user, state.get("item_id"))
            if previous is None:
                gr.Info(i18n.t("rate.no_previous", lang))
                return {saved_md: i18n.t("rate.no_previous", lang)}
            return drawn(user, request, seq, read, render(user, state, load_screen(user, previous), lang,
                                                          i18n.t("rate.back_note", lang, item=previous)))
        except WorkbenchError as e:
            warn(e, lang)
            return {saved_md: gr.update()}

    def on_flag(state: dict, reason: Any, payload: Any, request: gr.Request):
        user = user_of(request)
        lang = i18n.language(request)
        try:
            seq, read = view_begins(user, request, payload)
            item_id = state.get("item_id")
            if item_id is None:
                raise InputError("no item is open: press Next item")
            workflow.flag(svc.store, user, item_id, reason if isinstance(reason, str) else "")
            gr.Info(i18n.t("rate.flagged", lang, item=item_id))
            out = move_on(user, state, lang, i18n.t("rate.flagged", lang, item=item_id))
            out[flag_reason] = ""
            return drawn(user, request, seq, read, out, {flag_reason: ""})
        except WorkbenchError as e:
            warn(e, lang)
            return {saved_md: gr.update()}  # the reason stays in its box

    def on_reopen(state: dict, item_id: Any, payload: Any, request: gr.Request):
        user = user_of(request)
        lang = i18n.language(request)
        try:
            seq, read = view_begins(user, request, payload)
            screen = load_screen(user, int(item_id) if item_id not in (None, "") else None)
        except (WorkbenchError, ValueError, TypeError) as e:
            gr.Warning(as_toast(error_text(e, lang) if isinstance(e, WorkbenchError)
                                else i18n.t("rate.choose_item", lang)))
            return {saved_md: gr.update()}
        if screen.item is None:
            gr.Warning(as_toast(i18n.t("rate.choose_item", lang)))
            return {saved_md: gr.update()}
        return drawn(user, request, seq, read, render(user, state, screen, lang))

    def on_mine(request: gr.Request):
        user = user_of(request)
        return gr.update(choices=my_choices(user, i18n.language(request)), value=None)

    n_values = len(widgets[0].form_inputs)

    def page_answers(payload: Any) -> PageAnswers:
        return parse_page_answers(payload, n_values, n_boxes=MAX_REPLIES)

    def box_values(page: PageAnswers, i: int) -> tuple[Any, ...]:
        """Box ``i``'s answer values as sent, or an empty answer for a box the page did not send."""
        values = page.answers[i] if i < len(page.answers) else None
        return values if values is not None else (*([None] * (n_values - 3)), False, "", "")

    def open_when_read(item: ItemView, page: PageAnswers) -> int | None:
        """The item's id when the page showed it open: a draft read then that reaches the server after the
        item's submit (events run concurrently) must not turn the submitted answer back into a draft of
        earlier values (checked where the draft is written: ``workflow.save_group_draft``)."""
        return None if page.shown_submitted else item.item_id

    def reopened_note(page: PageAnswers, status: str, lang: str) -> str:
        """A draft over an answer of an item shown submitted makes the item open again (``ratings``): say so."""
        return " " + i18n.t("rate.reopened", lang) if page.shown_submitted and status == "draft" else ""

    def reopened_info(user: CurrentUser, state: dict, page: PageAnswers, status: str, lang: str) -> dict[Any, Any]:
        """The item line's and the progress line's updates when a draft reopened the submitted item on screen (the
        item line said "submitted", the progress line counted it done)."""
        text = state.get("info_reopened")
        if not (text and page.shown_submitted and status == "draft"):
            return {}
        return {info_md: text, progress_md: progress_text(workflow.progress(svc.store, user, k), lang)}

    def held_note(item_id: int | None, lang: str) -> str:
        """The note under the buttons says the item's state as the answer finds it: a draft saved on an item a
        flag holds says the item is held (an autosave answer reaching the page after the refused submit's
        replaced the refusal with a bare "saved", as if the item could be submitted now). Read after the
        draft's commit, so that an answer drawn later never says less than one drawn before it."""
        if not workflow.held_for_review(svc.store, item_id):
            return ""
        return "  \n⏸ " + i18n.t("rate.status.held", lang)

    def not_saved_note(user: CurrentUser, item_id: Any, request: gr.Request, lang: str) -> Any:
        """What a draft the store refused (its item submitted or released since the page showed it) leaves on
        the page: nothing after this page's own submit (a race it lost), else that the page is stale."""
        if submitters.by(user.id, item_id) == request.session_hash:
            return gr.update()
        return i18n.t("rate.not_saved_stale", lang, item=item_id or "")

    def draft_user_or_refusal(request: gr.Request, lang: str, key: str = "rate.not_saved") -> dict[Any, Any] | CurrentUser:
        """The user of a draft's save, or the saved line saying why not: an account disabled meanwhile refuses every
        keystroke's save, and a pop-up for each stacked them while the line still said "draft saved" (walk 9)."""
        try:
            return require_role(svc.auth, request, Permission.RATE)
        except AuthError as e:
            return {saved_md: i18n.t(key, lang, error=as_text(error_text(e, lang)))}

    def superseded_draft(user: CurrentUser, request: gr.Request, item_id: Any, page: PageAnswers):
        """Whether a submit of the item sent after the draft's values were typed (``typed``, else when the draft was
        sent) has stored its answers (asked in the draft's transaction): that submit sent them too."""
        typed = page.typed if page.typed is not None else page.seq
        return lambda: sent_order.draft_superseded(user.id, request.session_hash, item_id, typed)

    # the RatingForm field of each value in a box's list (ReplyWidgets.form_inputs' order)
    value_fields = (ratings.TURN_TYPE_FIELD, *map(ratings.score_field, axis_keys), ratings.SAFETY_FIELD,
                    ratings.COMMENT_FIELD, ratings.CORRECTED_FIELD)

    def changed_fields(changed: frozenset[int] | None) -> frozenset[str] | None:
        return None if changed is None else frozenset(value_fields[j] for j in changed)

    def make_autosave(i: int):
        def autosave(state: dict, payload: Any, request: gr.Request):
            # ``payload``: box i's answer and the item shown, as JSON (workbench/ui/rate_payload.py)
            lang = i18n.language(request)
            user = draft_user_or_refusal(request, lang)
            if not isinstance(user, CurrentUser):
                return user
            label = None
            try:
                # The item the values were typed on, which the page names: a Back or Next sent before this save may
                # have moved the session to another item (the typed text was dropped, walk s66). The page sends the
                # values as they were typed (rate_keys.js), so they belong to that item; it is saved as that item's
                # draft while the annotator holds it and it was not submitted since (else the saved line says so).
                page = page_answers(payload)
                if not page.answers or page.answers[0] is None:
                    # an empty box saved for a payload without one would wipe the stored draft (a forged preference)
                    raise InputError("rate answers: an autosave sends its reply's answer (reload the page)")
                form = form_from_values(axis_keys, box_values(page, 0))  # an autosave sends its box alone
                shown = state.get("item_id")
                if "boxes" in state and shown is not None and page.item_ref in (None, str(shown)):
                    # The item on screen: its replies as rendered (no read of the whole item, a third of an
                    # autosave's time, and autosaves come in bursts just before a submit); still held is
                    # checked where the draft is written.
                    if i >= len(state["boxes"]):
                        return {saved_md: gr.update()}  # Gradio refuses an empty dict of updates
                    gids, label = state["boxes"][i]
                    held, unless, item_id = shown, None if page.shown_submitted else shown, shown
                else:
                    item = current_item(user, state, page.item_ref)
                    if i >= len(item.groups):
                        return {saved_md: gr.update()}  # Gradio refuses an empty dict of updates
                    gids, label = [reply.generation_id for reply in item.groups[i]], group_label(item.groups[i])
                    held, unless, item_id = None, open_when_read(item, page), item.item_id
                if page.changed is not None and not page.changed:
                    # Nothing changed on this page since its last save (the focus left a text box): its other
                    # values may be stale copies of what another tab of the same annotator saved since.
                    return {saved_md: gr.update()}  # Gradio refuses an empty dict of updates
                if workflow.nothing_to_save(svc.store, user, gids, form):
                    return {saved_md: gr.update()}  # Gradio refuses an empty dict of updates
                # one answer, stored for each identical reply
                r = workflow.save_group_draft(svc.store, user, gids, form, rubric=rubric, blind=blind_for(user, state),
                                              unless_submitted=unless, held_item=held,
                                              changed=changed_fields(page.changed),
                                              superseded=superseded_draft(user, request, item_id, page))
                if r is None:
                    return {saved_md: not_saved_note(user, item_id, request, lang)}
                read = sent_order.read()  # after the commit: r is the store as read then
                draft_writers.wrote(user.id, item_id, request.session_hash)
                state.get("draft_refused", {}).pop(i, None)
                saved = {saved_md: i18n.t("rate.saved", lang, label=label,
                                          status=status_word(r.status, lang),
                                          time=f"{r.updated_at:%H:%M:%S}", version=r.version)
                         + reopened_note(page, r.status, lang) + held_note(item_id, lang)}
                heads = state.get("heads") or []
                if held is not None and i < len(heads):
                    # the header said "submitted · version 1" after an edit had made it a draft, version 2
                    saved[widgets[i].header] = heads[i] + header_state(r.status, r.version, lang)
                if held is not None:
                    saved.update(reopened_info(user, state, page, r.status, lang))
                return shown_answer(user, request, page, read, saved)
            except WorkbenchError as e:
                # An item that is no longer the annotator's refuses every keystroke's save: the saved line says so;
                # a pop-up for each stacked seven of them (a submit still pops one up).
                if isinstance(e, AuthError):
                    return {saved_md: i18n.t("rate.not_saved", lang, error=as_text(error_text(e, lang)))}
                # A refused answer (a comment over the limit) is refused again by every later key on the same reply
                # (Y, 4, 0…): one pop-up naming the reply until the refusal changes, not one per key (walk s64).
                text = error_text(InputError(f"reply {label}: {e}") if label else e, lang)
                refused = state.setdefault("draft_refused", {})
                if refused.get(i) != text:
                    refused[i] = text
                    gr.Warning(as_toast(text))
                return {saved_md: i18n.t("rate.not_saved", lang, error=as_text(text))}
        return autosave

    def on_pref_change(state: dict, payload: Any, request: gr.Request):
        lang = i18n.language(request)
        user = draft_user_or_refusal(request, lang, "rate.pref_not_saved")
        if not isinstance(user, CurrentUser):
            return user
        try:
            # Saved for the item the page names, as a box's autosave: a Back or Next sent after it may have moved the
            # session to another item first, and the choice was dropped (session 66's note). A choice read while a
            # submit's answer was drawn (the submitted item with the next one's emptied choice) is refused where it
            # is written: the item is submitted (unless_submitted) or a submit sent after it stored it (superseded).
            page = page_answers(payload)
            choice, rank_text = page.preference, page.ranking
            if choice == PREF_RANKING and not (rank_text or "").strip():
                return {saved_md: i18n.t("rate.rank_needed", lang)}
            # The item is read once, where the preference is written (it comes just before a submit, in the
            # same burst of keys): the choice names replies by their labels.
            item_id = shown_item_id(state, page.item_ref)
            p = workflow.save_preference_draft(
                svc.store, user, item_id,
                lambda item: ratings.preference_from_choice(item, choice, rank_text or ""), rubric=rubric,
                blind=blind_for(user, state), unless_submitted=not page.shown_submitted,
                superseded=superseded_draft(user, request, item_id, page))
            if p is None:
                return {saved_md: not_saved_note(user, item_id, request, lang)}
            read = sent_order.read()  # after the commit
            draft_writers.wrote(user.id, item_id, request.session_hash)
            on_screen = state.get("item_id") == item_id
            saved = {saved_md: i18n.t("rate.pref_saved", lang, status=status_word(p.status, lang),
                                      time=f"{datetime.now(UTC):%H:%M:%S}") + reopened_note(page, p.status, lang)
                     + held_note(item_id, lang), **(reopened_info(user, state, page, p.status, lang) if on_screen else {})}
            return shown_answer(user, request, page, read, saved)
        except WorkbenchError as e:
            return {saved_md: i18n.t("rate.pref_not_saved", lang, error=as_text(error_text(e, lang)))}

    def revealed_text(item: ItemView, user: CurrentUser, state: dict, lang: str) -> str:
        """Arena-style: in non-blind mode the models are named once the answer is in; blind mode never names."""
        if blind_for(user, state):
            return ""
        names = " · ".join(f"{r.label} = **{as_text(r.column)}**" for r in item.replies)
        return i18n.t("rate.revealed", lang, item=item.item_id, names=names)

    def on_submit(state: dict, payload: Any, request: gr.Request):
        # ``payload``: every box's answer, the preference and the ranking, as JSON (workbench/ui/rate_payload.py)
        user = user_of(request)
        lang = i18n.language(request)
        acked = {ack: f"{time.monotonic_ns()}"}
        page: PageAnswers | None = None
        submitted_by: str | None = None  # the page that last submitted this item, read before this submit

        def answers(item: ItemView) -> tuple[dict[int, ratings.RatingForm], ratings.PreferenceForm | None]:
            assert page is not None
            if item.completed and not page.shown_submitted and submitted_by != request.session_hash:
                # Submitted from another page since this one showed it open: a second submit would replace
                # that answer with answers given without seeing it (a page's own double submit passes).
                raise InputError(STALE_SUBMIT.format(item=item.item_id))
            seen = int((state.get("drafts_seen") or {}).get(str(item.item_id), 0))
            if draft_writers.others_since(user.id, item.item_id, seen, request.session_hash):
                raise InputError(STALE_DRAFTS.format(item=item.item_id))
            forms = {}
            for i, group in enumerate(item.groups):
                form = form_from_values(axis_keys, box_values(page, i))
                forms.update({reply.generation_id: form for reply in group})
            pform = (ratings.preference_from_choice(item, page.preference, page.ranking) if len(item.groups) > 1
                     else None)
            return forms, pform

        try:
            page = page_answers(payload)
            # The item the page showed when the submit was sent: a Back or Next sent before it may have moved the
            # session to another item first, and that item's answers were replaced by these (walk s66).
            item_id = shown_item_id(state, page.item_ref)
            # One transaction reads the item, stores every answer and completes it; once committed, the next
            # item is claimed and comes in the same answer (one round trip from the key press to the next item).
            submitted_by = submitters.by(user.id, item_id)
            submitters.mark(user.id, item_id, request.session_hash)  # before the commit a draft may see
            sent_order.view_begins(user.id, request.session_hash, page.seq)  # the drafts sent before say nothing now
            read = sent_order.read()
            result = workflow.submit(svc.store, user, item_id, answers, rubric=rubric, blind=blind_for(user, state),
                                     k=k, gold_rate=cfg.gold_rate,
                                     on_stored=lambda: sent_order.submit_stored(user.id, request.session_hash, item_id,
                                                                                page.seq if page else None))
        except WorkbenchError as e:
            text = warn(e, lang)
            return {**acked, saved_md: i18n.t("rate.not_submitted", lang, error=as_text(text))}
        done = result.done
        note = i18n.t("rate.submitted", lang, item=done.item_id)
        if result.next is None:
            warn(result.next_error or InputError("no next item"), lang)
            # the item stays on the page as it is, unless the session had moved to another item (then it is redrawn)
            again = done.item_id != state.get("item_id")
            out = render(user, state, load_screen(user, done.item_id, answers=again), lang, note, answers=again)
        else:
            if result.next.item is None:
                gr.Info(done_text(result.next.progress, lang))
            out = render(user, state, result.next, lang, note)
        out[revealed_md] = revealed_text(done, user, state, lang)
        return drawn(user, request, page.seq, read, {**out, **acked}, {saved_md: note, **acked})

    def on_diff(state: dict, on: bool, request: gr.Request):
        user = user_of(request)
        lang = i18n.language(request)
        state = {**state, "diff": bool(on)}
        out: dict[Any, Any] = {st: state}
        try:
            item = load_item(user, state.get("item_id"))
        except WorkbenchError as e:
            warn(e, lang)
            return out
        groups = item.groups if item else ()
        for i, w in enumerate(widgets):
            out[w.diff] = diff_update(groups, i, lang, bool(on))
        return changed_only(out, state)

    def on_reveal(state: dict, value: bool, payload: Any, request: gr.Request):
        user = user_of(request, Permission.SEE_MODELS)
        lang = i18n.language(request)
        state = {**state, "reveal": bool(value)}
        try:
            seq, read = view_begins(user, request, payload)
            screen = load_screen(user, state.get("item_id"))
        except WorkbenchError as e:
            warn(e, lang)
            seq, read = None, sent_order.read()
            screen = load_screen(user, None)
        return drawn(user, request, seq, read, render(user, state, screen, lang))

    def team_rows(user: CurrentUser, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        return team_tables(*workflow.team(svc.store, user), lang)

    def team_tables(rows: list[queue.AnnotatorProgress], flagged: list[queue.FlaggedItem], lang: str,
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The team and flag tables, headed in ``lang``."""
        def heads(*keys: str) -> list[str]:
            return [i18n.t(f"rate.col.{c}", lang) for c in keys]
        # A disabled account's open items hold their slots (the items never reach k) until it is released: said
        # beside its name, the one place an admin sees it (and only where it holds some: walk 7 was told to
        # release the items of an account holding none).
        def mark(r: queue.AnnotatorProgress) -> str:
            return "" if r.active else i18n.t("rate.disabled_mark" if r.open else "rate.disabled_mark_idle", lang)
        return (pd.DataFrame([[plain(r.username) + mark(r), r.completed, r.open, r.held] for r in rows],
                             columns=heads("annotator", "completed", "open", "held")),
                pd.DataFrame([[f.item_id, plain(f.username), plain(f.reason), f"{f.flagged_at:%Y-%m-%d %H:%M}"] for f in flagged],
                             columns=heads("item", "annotator", "reason", "flagged_at")))

    def on_team(request: gr.Request):
        user = user_of(request, Permission.TEAM)
        try:
            return team_rows(user, i18n.language(request))
        except AuthError as e:
            raise gr.Error(as_toast(e)) from None

    def review_choices(flagged: list[queue.FlaggedItem], lang: str) -> list[tuple[str, str]]:
        """One choice per open flag; the value names the item and who flagged it (``"12:ann"``)."""
        return [(i18n.t("rate.flag_review.choice", lang, item=f.item_id, user=f.username,
                        reason=plain(f.reason if len(f.reason) <= 40 else f.reason[:39] + "…")),
                 f"{f.item_id}:{f.username}") for f in flagged]

    def on_review_list(request: gr.Request):
        # Runs whenever the flag table changes, also when a language switch retitles it on every role's page:
        # asked, not required, so an annotator's switch is no refusal.
        if not may(svc.auth, request, Permission.TEAM):
            return gr.update(), gr.update()
        user = user_of(request, Permission.TEAM)
        try:
            _rows, flagged = workflow.team(svc.store, user)
            targets = workflow.hand_off_targets(svc.store, user)
        except AuthError as e:
            raise gr.Error(as_toast(e)) from None
        return (gr.update(choices=review_choices(flagged, i18n.language(request)), value=None),
                gr.update(choices=_account_choices(targets), value=None))

    def on_review_pick(choice: str | None, target: str | None, request: gr.Request):
        """The accounts the picked item may go to: its flagger never gets it back, so is not offered."""
        if not may(svc.auth, request, Permission.TEAM):
            return gr.update()
        user = user_of(request, Permission.TEAM)
        flagged_by = (choice or "").partition(":")[2] or None
        try:
            targets = workflow.hand_off_targets(svc.store, user, flagged_by)
        except AuthError as e:
            raise gr.Error(as_toast(e)) from None
        return gr.update(choices=_account_choices(targets), value=target if target in targets else None)

    def on_review(action: FlagAction):
        def handler(choice: str | None, target: str | None, pending: str | None, request: gr.Request):
            user = user_of(request, Permission.TEAM)
            lang = i18n.language(request)
            item_text, _, flagged_by = (choice or "").partition(":")
            if not item_text.isdigit() or not flagged_by:
                gr.Warning(as_toast(i18n.t("rate.flag_review.none", lang)))
                return gr.update(), gr.update(), gr.update(), None
            if action == FlagAction.RETIRED and pending != choice:
                # Retiring cannot be undone here and takes the item's answers out of every statistic and
                # export: the first press says so, the second (for the same item) retires, as a release does.
                gr.Warning(as_toast(i18n.t("rate.retire_confirm", lang, item=item_text)))
                return gr.update(), gr.update(), gr.update(), choice
            try:
                workflow.review_flag(svc.store, user, int(item_text), flagged_by, action, target)
                progress_rows, open_flags = workflow.team(svc.store, user)
            except AuthError as e:
                raise gr.Error(as_toast(e)) from None
            except WorkbenchError as e:
                warn(e, lang)
                return gr.update(), gr.update(), gr.update(), None
            # (the account's own name, as stored: ANN2 for ann2 was echoed as typed, walk 2 of session 69)
            typed = (target or "").strip()
            name = (account_name(svc.store, typed) if typed else None) or typed
            gr.Info(as_toast(i18n.t(f"rate.flag_review.done.{action}", lang, item=item_text, user=name)))
            return (*team_tables(progress_rows, open_flags, lang),
                    gr.update(choices=review_choices(open_flags, lang), value=None), None)
        return handler

    def on_release(username: str, pending: str | None, request: gr.Request):
        """Two presses: the first says what would go (how many open items, drafts included, and whether the
        account is still active, so a page of theirs would lose its item); the second, for the same name,
        releases them."""
        user = user_of(request, Permission.TEAM)
        lang = i18n.language(request)
        # (the account's own name: BEN for ben skipped the first press's warning, walk 11)
        typed = (username or "").strip()
        name = (account_name(svc.store, typed) if typed else None) or typed
        try:
            if name and pending != name:
                progress = next((r for r in workflow.team(svc.store, user)[0] if r.username == name), None)
                if progress is not None and progress.open:
                    # (a disabled account said nothing of it: its items hold their slots until released, walk s70)
                    key = "rate.release_confirm_active" if progress.active else "rate.release_confirm_disabled"
                    gr.Warning(as_toast(i18n.t(key, lang, n=progress.open, user=name)))
                    return gr.update(), gr.update(), name
                if progress is not None and not progress.active:
                    gr.Info(as_toast(i18n.t("rate.released_none_disabled", lang, user=name)))
                    return gr.update(), gr.update(), None
            n = workflow.release_open(svc.store, user, name)
            rows, flagged = team_rows(user, lang)
        except AuthError as e:
            raise gr.Error(as_toast(e)) from None
        except WorkbenchError as e:
            warn(e, lang)
            return gr.update(), gr.update(), None
        gr.Info(as_toast(i18n.t("rate.released", lang, n=n, user=name)))
        return rows, flagged, None

    # --- JSON API for scripted clients (load tests, annotation tools) ----------------------------------
    # The same server-side user, queue and validation as the buttons, without rendering 70 components:
    # ``rate_api_next()`` claims an item; ``rate_api_submit(payload)`` submits it in one transaction and,
    # with ``"next": true``, claims the next one. A submit is acknowledged (``"ok": true``) only after
    # its transaction committed; any refusal is an error, never an ``ok``. Model names are never sent.
    def on_api_next(request: gr.Request) -> str:
        user = user_of(request)
        try:
            claim = workflow.claim_next(svc.store, user, k, cfg.gold_rate)
            item = load_item(user, claim.item_id if claim else None)
            return json.dumps({"item": api_item(item)}, ensure_ascii=False)
        except WorkbenchError as e:
            raise gr.Error(as_toast(e)) from None

    def on_api_submit(payload: str, request: gr.Request) -> str:
        user = user_of(request)
        try:
            data = parse_submit(payload)

            def answers(item: ItemView) -> tuple[dict[int, ratings.RatingForm], ratings.PreferenceForm | None]:
                unknown = sorted(set(data.ratings) - {r.label for r in item.replies})
                if unknown:
                    raise InputError(f"no reply labelled {', '.join(unknown)} in item #{item.item_id}")
                forms = {}
                for group in item.groups:
                    for reply in group:
                        # An identical twin may be left out: its group's answer is stored for it too.
                        answer = data.ratings.get(reply.label) or next(
                            (data.ratings[x.label] for x in group if x.label in data.ratings), None)
                        if answer is None:
                            raise InputError(f"reply {reply.label}: not rated (ratings must have an object per label)")
                        forms[reply.generation_id] = answer.form()
                pform = (ratings.preference_from_choice(item, data.preference, data.ranking or "")
                         if len(item.groups) > 1 else None)
                return forms, pform

            result = workflow.submit(svc.store, user, data.item_id, answers, rubric=rubric, blind=cfg.blind, k=k,
                                     claim=False, report=True)
            done, stored = result.done, result.stored
            # Committed: from here on the submit may be acknowledged.
            out: dict[str, Any] = {
                "ok": True, "item_id": done.item_id,
                "ratings": [{"label": r.label, "rating_id": v.id, "version": v.version} for r in done.replies
                            if (v := stored.get(r.generation_id)) is not None]}
            if data.next:
                try:
                    claim = workflow.claim_next(svc.store, user, k, cfg.gold_rate)
                    out["next"] = api_item(load_item(user, claim.item_id if claim else None))
                except WorkbenchError as e:  # the submit stands; only the next claim failed
                    out["next"], out["next_error"] = None, str(e)
            return json.dumps(out, ensure_ascii=False)
        except WorkbenchError as e:
            raise gr.Error(as_toast(e)) from None

    # ---------------------------------------------------------------------------------------------
    # No progress overlay on the item's components, for any event that writes them: the page keeps one
    # overlay setting per component (the last event registered wins), and ~35 overlays with running timers
    # kept the page's main thread busy enough to delay the submit's own request by hundreds of milliseconds.
    # Every event of the tab also tracks its progress on ``progress_sink`` alone: the page rewrites the loading
    # status of every progress target of every event it has run, on each status message of any event (a tree
    # search and a snapshot each), so the targets must be few, first in the tree and not drawn.
    quiet: dict[str, Any] = {"show_progress": "hidden", "show_progress_on": [progress_sink]}
    # The events that draw an item send the item reference too, numbered by the page's script like the answers: an
    # answer reaching the page after a later-sent one's leaves what that one drew (rate_pages.SentOrder).
    gr.on([next_btn.click], on_next, [st, item_ref], item_outputs, api_name="rate_next", trigger_mode="once",
          js=_VIEW_JS, **quiet)
    skip_btn.click(on_skip, [st, item_ref], item_outputs, api_name="rate_skip", trigger_mode="once", js=_VIEW_JS,
                   **quiet)
    back_btn.click(on_back, [st, item_ref], item_outputs, api_name="rate_back", trigger_mode="once", js=_VIEW_JS,
                   **quiet)
    flag_btn.click(on_flag, [st, flag_reason, item_ref], [*item_outputs, flag_reason], api_name="rate_flag",
                   trigger_mode="once", js=_VIEW_WITH_JS, **quiet)
    reopen_btn.click(on_reopen, [st, mine_dd, item_ref], item_outputs, api_name="rate_reopen", js=_VIEW_WITH_JS,
                     **quiet)
    mine_box.expand(on_mine, None, [mine_dd], api_name=False, **quiet)
    # The answer events take the item reference as their one input besides the state, and the page script sends
    # in its place the answers read from the page as JSON (workbench/ui/rate_payload.py says why).
    answers_in = [st, item_ref]
    # Typing is answered once a save sent after it has answered (rate_typing.js asks before leaving until then): the
    # saved line alone did not tell, as two saves within one second write the same line and the page saw no change.
    def save_answered_js(i: int) -> str:
        # then what was typed on another item and is still unsent goes (rateForm.more, rate_keys.js)
        return ("() => { window.__rateSavedUpTo = Math.max(window.__rateSavedUpTo || 0, window.__rateSaveSent || 0); "
                f"window.rateForm.more({i}); }}")
    for i, w in enumerate(widgets):
        # Leaving a text box saves it again: a keystroke's save can be coalesced away while another runs.
        gr.on([w.turn_type.input, *(radio.input for radio in w.scores.values()), w.safety.input,
               w.comment.input, w.corrected.input, w.comment.blur, w.corrected.blur],
              make_autosave(i), answers_in, [saved_md, w.header, info_md, progress_md], api_name=f"rate_autosave_{i}",
              js=f"(state, ref) => {{ window.__rateSaveSent = Date.now(); return [state, window.rateForm.box({i}, ref)]; }}",
              trigger_mode="always_last", **quiet).then(None, None, None, js=save_answered_js(i), api_name=False,
                                                        queue=False)
        # Ranking by clicks: appended in the browser (no round trip, so fast clicks keep their order), then saved.
        w.rank.click(None, [ranking, w.rank], [ranking, pref], js=_RANK_APPEND_JS, api_name=False).then(
            on_pref_change, answers_in, [saved_md, info_md, progress_md], api_name=False, js=_PREFERENCE_JS, **quiet)
    rank_clear.click(None, None, [ranking], js="() => ''", api_name=False).then(
        on_pref_change, answers_in, [saved_md, info_md, progress_md], api_name=False, js=_PREFERENCE_JS, **quiet)
    gr.on([pref.input], on_pref_change, answers_in, [saved_md, info_md, progress_md], api_name="rate_preference",
          js=_PREFERENCE_JS, trigger_mode="always_last", **quiet)
    submit_btn.click(on_submit, answers_in, item_outputs, api_name="rate_submit", trigger_mode="once",
                     js="(state, ref) => [state, window.rateForm.all(ref)]", **quiet)
    diff_toggle.input(on_diff, [st, diff_toggle], [st, *(w.diff for w in widgets)], api_name=False, **quiet)
    reveal.input(on_reveal, [st, reveal, item_ref], item_outputs, api_name="rate_reveal", js=_VIEW_WITH_JS, **quiet)
    admin_refresh.click(on_team, None, [team, flags], api_name="rate_team")
    # the name whose release the first press described (the second press for it releases)
    release_pending = gr.State(None)
    release_btn.click(on_release, [release_user, release_pending], [team, flags, release_pending],
                      api_name="rate_release")
    # The choices follow the flags table however it was filled (page load, Refresh, a release, a review).
    flags.change(on_review_list, None, [review_pick, review_user], api_visibility="private", **quiet)
    review_pick.input(on_review_pick, [review_pick, review_user], [review_user], api_visibility="private", **quiet)
    retire_pending = gr.State(None)  # the flagged item whose retirement the first press described
    for action, button in review_buttons.items():
        button.click(on_review(action), [review_pick, review_user, retire_pending],
                     [team, flags, review_pick, retire_pending], api_name=f"rate_team_review_{action}")
    # triggers=None with no inputs = run once when the page loads: restores the open item and its draft.
    load_outputs = [*item_outputs, admin_box, team_box, reveal, diff_toggle, mine_dd, shortcuts_md, guidelines_md,
                    team, flags]
    gr.on(None, on_load, None, list(dict.fromkeys(load_outputs)), api_name="rate_load", **quiet)
    gr.api(on_api_next, api_name="rate_api_next", api_description="Claim your next item (JSON).")
    gr.api(on_api_submit, api_name="rate_api_submit",
           api_description="Submit an item: JSON {item_id, ratings: {label: {...}}, preference, ranking, next}.")
    return {"widgets": widgets, "state": st, "admin_box": admin_box, "team": team, "on_open": on_open,
            "progress": progress_md}


_UNSET = object()


def _merged(update: Any, texts: dict[str, Any]) -> Any:
    """One update from a render's ``update`` (a value or a ``gr.update``) and page load's ``texts``."""
    if update is _UNSET:
        return texts
    if isinstance(update, dict) and update.get("__type__") == "update":
        return {**update, **texts}
    return {**texts, "value": update}


def _markdown_bold(text: str) -> str:
    """Our own catalogue text with ``**bold**`` as HTML (it goes into gr.HTML); everything else escaped."""
    parts = as_text(text.replace("**", "\x01")).split("\x01")
    return "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))


#: a preference event's input: the preference and the ranking on the page (``window.rateForm``, rate_keys.js)
_PREFERENCE_JS = "(state, ref) => [state, window.rateForm.preference(ref)]"
#: a view event's input (Next, Back…): the item reference left, numbered (``window.rateForm.view``)
_VIEW_JS = "(state, ref) => [state, window.rateForm.view(ref)]"
#: the same for a view event with one more input (Flag's reason, Open's item, Reveal's box) between them
_VIEW_WITH_JS = "(state, value, ref) => [state, value, window.rateForm.view(ref)]"

#: appends the clicked reply's label to the ranking (once) and selects "ranking" as the preference
_RANK_APPEND_JS = """(ranking, label) => {
  const parts = ranking ? ranking.split(' > ').filter(x => x) : [];
  if (label && !parts.includes(label)) parts.push(label);
  return [parts.join(' > '), 'ranking'];
}"""
