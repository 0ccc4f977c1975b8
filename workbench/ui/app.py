"""Assemble the Gradio app from its tabs. Every tab gets the services object; nothing is global."""

from __future__ import annotations

import html
import json
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from workbench.access import TAB_PERMISSIONS, visible_tabs
from workbench.errors import WorkbenchError
from workbench.services import Services
from workbench.ui import i18n
from workbench.ui.account_check import PREFIX as ACCOUNT_CHECK
from workbench.ui.account_check import AccountCheck
from workbench.ui.accounts_section import build_accounts_section
from workbench.ui.chat_tab import build_chat_tab
from workbench.ui.compare_tab import build_compare_tab
from workbench.ui.data_tab import build_data_tab
from workbench.ui.downloads import PREFIX as EXPORT_DOWNLOADS
from workbench.ui.downloads import (
    RESULTS_PREFIX,
    ExportDownloads,
    ResultDownloads,
    gradio_username,
    may_upload,
)
from workbench.ui.error_guard import guard_handlers
from workbench.ui.export_tab import build_export_tab
from workbench.ui.i18n import LANGUAGE_NAMES, SWITCH_JS, K, Localizer, language
from workbench.ui.quality_tab import build_quality_tab
from workbench.ui.rate_tab import RATE_JS, build_rate_tab
from workbench.web_guard import OpenModeGuard, WorkbenchGuard

#: one font stack for the whole app. Noto Sans CJK holds Latin letters too, so "Column B" and 标注 share one
#: face; the theme's own first choice (IBM Plex Sans, fetched from the web) is never there offline, and its
#: fallback drew the Latin letters of headings in a lighter face than the rest.
FONT_STACK = '"Noto Sans CJK SC", "Noto Sans SC", "Noto Sans", "DejaVu Sans", sans-serif'

CSS = f"""
:root, .dark, .gradio-container {{ --font: {FONT_STACK} !important; }}
body, .gradio-container, .gradio-container :is(h1, h2, h3, h4, h5, h6, p, span, button, label, input, textarea,
  th, td, li) {{ font-family: var(--font); }}
.gradio-container :is(code, pre, kbd) {{ font-family: var(--font-mono); }}
.column-header h3 {{ margin: 0 0 .25rem 0; }}
.column-status {{ min-height: 1.5em; font-size: .9em; }}
.reply-stopped {{ display: inline-block; padding: 0 .4em; border-radius: 4px; font-size: .85em;
  background: var(--color-accent-soft); color: var(--body-text-color-subdued); }}
#patient-message textarea {{ min-height: 3.2em; }}
/* Chat's "Skip to the message box": out of the layout always, and out of sight until the keyboard reaches it;
   then over the top of the tab, where the eye is. */
#skip-to-message {{ position: absolute !important; z-index: 200; width: auto !important; min-width: 0 !important;
  flex: none !important; white-space: nowrap; padding: .4em .9em !important;
  box-shadow: 0 2px 8px rgba(0, 0, 0, .25); transition: none !important; }}
#skip-to-message:not(:focus) {{ width: 1px !important; height: 1px !important; padding: 0 !important;
  border: 0 !important; overflow: hidden; clip-path: inset(50%); box-shadow: none; }}
footer {{ display: none !important; }}
/* Plotly's toolbar ends in a link to plotly.com: medical data's charts link nowhere outside the workbench. */
.modebar-btn--logo {{ display: none !important; }}
/* The toolbar, drawn over the chart's top right, covered the title of a narrow chart: most of it on a phone, the
   end of a long one in a half-width chart on a desktop ("…95% bootstrap 置信区间"). It gets a strip of its own above
   the chart. */
.js-plotly-plot {{ padding-top: 30px; }}
.js-plotly-plot .modebar-container {{ top: -30px !important; }}
/* Gradio's Chatbot always draws a trash icon in its top panel; a transcript shown for reference has none. */
.read-only-chat .icon-button-wrapper.top-panel {{ display: none !important; }}
/* Its label sits over the first message: a long patient message (right-aligned, the full width) lost its first
   characters under "Dialogue so far". The messages start below the label. */
.read-only-chat .bubble-wrap {{ padding-top: 2.2em !important; }}
/* On a phone the title shared one row with the language switch and the account: squeezed to a few letters a
   line ("BianQ / ue"), with "Sign out" broken over lines. There the title takes its own line. */
/* Beside the language switch and the account, an equal third of the row wrapped the title's last character
   ("…标注 / 台") at 1280 px: the title takes the room the other two leave. */
#app-title {{ flex-grow: 4 !important; }}
@media (max-width: 640px) {{
  #app-header {{ flex-wrap: wrap !important; }}
  #app-title {{ flex: 1 1 100% !important; min-width: 100% !important; }}
}}
#account {{ white-space: nowrap; }}
/* Export's Thorough box while de-identification is off: Gradio only lightened the tick square, the label stayed
   black and read as on (walk s69). The whole field fades. */
#export-deid-thorough:has(input:disabled) {{ opacity: .5; }}
/* The two languages side by side: stacked, the switch took two lines beside a one-line title (walk 9). */
#language-switch .wrap {{ flex-wrap: nowrap !important; }}
#language-switch label {{ white-space: nowrap; flex-shrink: 0; }}
#language-switch {{ min-width: max-content !important; overflow: visible !important; }}
#account .account-refused {{ white-space: normal; color: var(--error-text-color, #b91c1c); font-weight: 600; }}
/* On a phone the three Chat columns stack, and the message box sat under all of them, 2,000 px down: the page
   opened scrolled there (the box takes the focus), header and replies out of sight, and reading a reply meant
   losing the box. There the box and Send stay at the screen's bottom, side by side. The container's
   overflow: hidden made it the scroll container the box sticks to, which never scrolls; clip crops the same
   without that. (Out of @media: Gradio scopes a media rule's selectors under the container itself.) */
.gradio-container {{ overflow: clip !important; }}
@media (max-width: 640px) {{
  #patient-row {{ position: sticky; bottom: 0; z-index: 100; background: var(--body-background-fill);
    flex-wrap: nowrap !important; padding: 6px 0; }}
  #patient-row > * {{ min-width: 0 !important; }}
  #patient-row #send {{ flex: 0 0 auto !important; min-width: 4.5em !important; }}
}}
/* On a phone the Rate tab's actions (Back, Skip, Next, Submit) stacked at the top of a 3,400 px item, and with no
   keyboard there Submit was 2,000 px above the last answer: they stay at the screen's top, two by two. Above
   Gradio's field labels (z-index 40), which scrolled over the buttons and took their taps. */
@media (max-width: 640px) {{
  #rate-actions {{ position: sticky; top: 0; z-index: 100; background: var(--body-background-fill);
    display: grid !important; grid-template-columns: 1fr 1fr; gap: 6px; padding: 6px 0; }}
  #rate-actions > * {{ min-width: 0 !important; }}
}}
/* The Chat columns in equal cells: in a wrapping row, three columns at 800 px sat two and one, the third twice as
   wide as the others ("Column C" standing out in blind mode, walk 10). A grid keeps every cell one width, as many
   side by side as fit, one under another on a phone. */
#chat-columns {{ display: grid !important; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
  gap: var(--layout-gap, 16px); }}
#chat-columns > * {{ min-width: 0 !important; }}
/* Gradio's date picker (Compare's From/To) is fixed-positioned with its right edge at the calendar button: the
   From picker, near the page's left edge, opened 27 px off the screen, its first weekday column cut. Left at
   its place in the flow it opens under its field; on a phone it starts at the screen's edge. */
.picker-container {{ left: auto !important; }}
/* A date box's field kept its natural width (an input's), so the calendar button beside it stuck out of the
   box: over the To box's right edge at 1400 px, out of sight (cropped) at 390 px. The field gives way. */
.timebox > input {{ min-width: 0 !important; }}
.timebox > button.calendar {{ flex-shrink: 0; }}
/* Two to a row on a phone, the field was too narrow for its "YYYY-MM-DD": there each date takes the row. */
@media (max-width: 640px) {{ #compare-from, #compare-to {{ flex: 1 1 100% !important; }} }}
/* Gradio's checkbox ignores its min_width (its block gets none): Export's "Include safety-flagged replies" and
   "De-identify (names, phones…)" shared one row with the turn types at every width, and on a phone the
   de-identify label ran past the screen's edge, cropped to "De-identif…" (walk s65). At 160 px they wrap. */
#export-flagged, #export-deid {{ min-width: min(160px, 100%) !important; }}
@media (max-width: 640px) {{ .picker-container {{ left: 8px !important; }} }}
"""

SESSION_GUARD_JS = (Path(__file__).parent / "assets" / "session_guard.js").read_text(encoding="utf-8")
#: put in the login page by the HTTP guard (launch's ``js`` runs only once signed in)
LOGIN_PAGE_JS = (Path(__file__).parent / "assets" / "login_reasons.js").read_text(encoding="utf-8")
KEEP_TAB_JS = (Path(__file__).parent / "assets" / "keep_tab.js").read_text(encoding="utf-8")
DATE_PICKER_JS = (Path(__file__).parent / "assets" / "date_picker.js").read_text(encoding="utf-8")
TOAST_TITLES_JS = (Path(__file__).parent / "assets" / "toast_titles.js").read_text(encoding="utf-8")
RATE_TYPING_JS = (Path(__file__).parent / "assets" / "rate_typing.js").read_text(encoding="utf-8")
KEEP_TYPED_JS = (Path(__file__).parent / "assets" / "keep_typed.js").read_text(encoding="utf-8")
CHAT_LABELS_JS = (Path(__file__).parent / "assets" / "chat_labels.js").read_text(encoding="utf-8")
CHAT_COMMIT_JS = (Path(__file__).parent / "assets" / "chat_commit.js").read_text(encoding="utf-8")
RADIO_GROUPS_JS = (Path(__file__).parent / "assets" / "radio_groups.js").read_text(encoding="utf-8")
FRONTEND_LOCALE_JS = (Path(__file__).parent / "assets" / "frontend_locale.js").read_text(encoding="utf-8")


def date_picker_texts() -> dict[str, dict[str, Any]]:
    """What date_picker.js writes into Gradio's English date picker, per language (English: what it replaces)."""
    def texts(lang: str) -> dict[str, Any]:
        return {"months": i18n.t("app.picker.months", lang).split(","),
                "weekdays": i18n.t("app.picker.weekdays", lang).split(","),
                "month_year": i18n.t("app.picker.month_year", lang, month="{month}", year="{year}"),
                "open": i18n.t("app.picker.open", lang, field="{field}"),
                **{key: i18n.t(f"app.picker.{key}", lang) for key in ("clear", "now", "done")}}
    return {lang: texts(lang) for lang in i18n.LANGUAGES}


def toast_messages() -> dict[str, dict[str, str]]:
    """What toast_titles.js writes over the English messages Gradio's page makes itself, per language."""
    return {lang: {"too_large": i18n.t("app.notice.too_large", lang)} for lang in i18n.LANGUAGES}


def toast_titles() -> dict[str, dict[str, str]]:
    """What toast_titles.js writes over Gradio's English pop-up titles, per language (English: what it replaces)."""
    return {lang: {kind: i18n.t(f"app.notice.{kind}", lang) for kind in ("info", "warning", "error")}
            for lang in i18n.LANGUAGES}


#: passed to ``demo.launch(js=JS)``: page-load scripts (the notice that a sign-in has ended, the Rate tab's typing:
#: saved as typed with an input method too, and a question before leaving while it is unsaved; the open tab and the
#: typed text kept across a language switch, chat bubbles' screen-reader labels as typed, the chat message committed by
#: Enter or Send, the Rate tab's keyboard shortcuts,
#: each Radio one Tab stop, the date picker and the pop-up titles in the page's language), each an arrow function run
#: once
JS = (f"() => {{ ({SESSION_GUARD_JS.strip()})(); ({RATE_TYPING_JS.strip()})(); ({KEEP_TAB_JS.strip()})(); "
      f"({KEEP_TYPED_JS.strip()})(); ({CHAT_LABELS_JS.strip()})(); ({CHAT_COMMIT_JS.strip()})(); "
      f"({RATE_JS.strip()})(); ({RADIO_GROUPS_JS.strip()})(); "
      f"({DATE_PICKER_JS.strip()})({json.dumps(date_picker_texts(), ensure_ascii=False)}); "
      f"({TOAST_TITLES_JS.strip()})({json.dumps(toast_titles(), ensure_ascii=False)}, "
      f"{json.dumps(toast_messages(), ensure_ascii=False)}); }}")

#: the sign-in page's own message, in both languages, Chinese first, as the page's other texts (login_reasons.js)
LOGIN_MESSAGE = "扁鹊健康大模型对比标注台 · BianQue Workbench：请登录 · please sign in"
#: texts Gradio's own front end asks for and does not ship, per locale (its locale follows the app's language:
#: see FRONTEND_LOCALE). Its status tracker tells screen readers that an event ended with ``common.complete``;
#: without a text the key itself was read out.
FRONTEND_TEXTS: dict[str, dict[str, str]] = {
    "en": {"common.complete": "Done"},
    "zh-CN": {"common.complete": "完成"},
    "zh-TW": {"common.complete": "完成"},
}
#: the Gradio locale of each of the app's languages
FRONTEND_LOCALES = {"zh": "zh-CN", "en": "en"}
assert set(FRONTEND_LOCALES) == set(i18n.LANGUAGES)
TITLE = "BianQue Workbench · 扁鹊健康大模型对比标注台"
#: the browser tab's title in each language (Gradio's page has the one TITLE; frontend_locale.js swaps it)
PAGE_TITLES = {"app": TITLE, **{lang: i18n.t("app.page_title", lang) for lang in i18n.LANGUAGES}}
#: run first in every page (by the HTTP guard: ``launch(head=...)`` runs after Gradio has chosen its language):
#: Gradio's own texts (the file box's "Drop File Here"…) and the tab's title in the app's language, which Gradio
#: would otherwise take from the browser whatever the language switch says
FRONTEND_LOCALE = (f"({FRONTEND_LOCALE_JS.strip()})({json.dumps(i18n.COOKIE)}, {json.dumps(FRONTEND_LOCALES)}, "
                   f"{json.dumps(PAGE_TITLES, ensure_ascii=False)});")
#: tabs every role has: shown from the start; the others appear on page load for the roles allowed
COMMON_TABS = ("chat", "rate")


def build_app(svc: Services) -> gr.Blocks:
    ui = Localizer()
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        state = gr.State({"dialogue_id": None})
        # First in the page, never drawn: where page loads and Rate events track their progress (see
        # track_load_progress_on).
        progress_sink = gr.Textbox(visible=False, elem_id="progress-sink")
        with gr.Row(equal_height=True, elem_id="app-header"):
            ui.make(gr.Markdown, value=K("app.title"), elem_id="app-title")
            # Switching sets the cookie every request carries and reloads: every text, static or computed by
            # a handler, is then in the new language. `.input`, not `.change`: page load sets the value too.
            # The hidden label names the switch for screen readers (Gradio's default: "Radio").
            switch = gr.Radio([(name, code) for code, name in LANGUAGE_NAMES.items()], value="en",
                              label="Language · 语言", show_label=False, container=False, elem_id="language-switch", scale=0,
                              min_width=160)
            switch.input(None, [switch], None, js=SWITCH_JS)
            # Who is signed in, and a way out (Gradio's /logout, this browser only): filled on page load.
            account = gr.HTML("", elem_id="account", container=False, min_width=160)
        tabs: dict[str, gr.Tab] = {}
        with gr.Tabs():
            with ui.make(gr.Tab, label=K("app.tab.chat"), id="chat", elem_id="tab-chat") as tabs["chat"]:
                chat = build_chat_tab(svc, state, ui)
            with ui.make(gr.Tab, label=K("app.tab.rate"), id="rate", elem_id="tab-rate") as tabs["rate"]:
                rate = build_rate_tab(svc, ui, progress_sink)
            with ui.make(gr.Tab, label=K("app.tab.compare"), id="compare", elem_id="tab-compare",
                         visible=False) as tabs["compare"]:
                compare = build_compare_tab(svc, ui)
            with ui.make(gr.Tab, label=K("app.tab.quality"), id="quality", elem_id="tab-quality",
                         visible=False) as tabs["quality"]:
                build_quality_tab(svc, ui)
            with ui.make(gr.Tab, label=K("app.tab.data"), id="data", elem_id="tab-data",
                         visible=False) as tabs["data"]:
                data = build_data_tab(svc, ui)
                accounts = build_accounts_section(svc, ui)
            with ui.make(gr.Tab, label=K("app.tab.export"), id="export", elem_id="tab-export",
                         visible=False) as tabs["export"]:
                export = build_export_tab(svc, ui)
        assert set(tabs) == set(TAB_PERMISSIONS)

        def show_tabs(request: gr.Request) -> dict:
            """Each role sees the tabs it may use; the handlers check the role again on every call."""
            try:
                allowed = visible_tabs(svc.auth.from_request(request).role)
            except WorkbenchError:
                allowed = set()
            return {tab: gr.update(visible=name in allowed) for name, tab in tabs.items()}

        def localize(request: gr.Request) -> dict:
            """Every bound text in the session's language, and the switch showing it."""
            lang = language(request)
            return {switch: lang, **ui.updates(lang)}

        def account_html(request: gr.Request) -> str:
            if not svc.auth.enabled:
                return ""
            lang = language(request)
            logout = (f'<a href="logout?all_session=false" id="logout-link">'
                      f'{html.escape(i18n.t("app.logout", lang))}</a>')
            try:
                name = svc.auth.from_request(request).username
            except WorkbenchError:
                # Disabled (or removed) while signed in: every tab is hidden, and this says why for as long as
                # the page is open (a pop-up would fade and leave a blank page).
                return (f'<span class="account-refused" role="alert">'
                        f'{html.escape(i18n.t("app.account_refused", lang))}</span> · {logout}')
            return f'<span class="account-name">{html.escape(name)}</span> · {logout}'

        demo.load(localize, None, [switch, *ui.components], api_name=False, queue=False)
        demo.load(account_html, None, [account], api_name=False, queue=False)
        demo.load(show_tabs, None, list(tabs.values()), api_name=False)
        demo.load(chat["on_load"], chat["load_inputs"], chat["load_outputs"], api_name=False)
        demo.load(data["on_load"], None, data["load_outputs"], api_name=False)
        demo.load(accounts["on_load"], None, accounts["load_outputs"], api_name=False)
        tabs["rate"].select(rate["on_open"], None, [rate["progress"]], api_visibility="private", show_progress="hidden")
        tabs["compare"].select(compare["fill_choices"], compare["choice_inputs"], compare["choice_outputs"],
                               api_visibility="private")
        tabs["export"].select(export["fill_choices"], None, export["choice_outputs"], api_visibility="private")
        track_load_progress_on(demo, progress_sink)
    guard_handlers(demo)
    demo.queue(default_concurrency_limit=svc.config.server.concurrency_limit)
    return demo


def track_load_progress_on(demo: gr.Blocks, sink: Any) -> None:
    """Every page-load event tracks its progress on ``sink`` alone (and draws no overlay).

    Gradio's page keeps a loading status for each progress target of every event it has run, and on each
    status message of *any* later event rewrites every one of them: a depth-first search of the component tree
    each, then a snapshot of the target's properties and of everything inside it. The page-load events write
    most of the app (every localized text, the tabs, whole panels), so left as they were, each Rate keystroke's
    autosave and each submit paid for the whole app several times over (seconds per submit in Chromium).
    ``sink`` is the page's first component and never drawn: the search ends at once and there is nothing
    mounted to snapshot.
    """
    for fn in demo.fns.values():
        if any(event == "load" for _block, event in fn.targets):
            fn.show_progress, fn.show_progress_on = "hidden", [sink]


def server_options(svc: Services, *, open_mode: OpenModeGuard | None) -> dict[str, Any]:
    """The ``Blocks.launch`` keywords every server of this app gets, whoever starts it (launch.py, tests).

    ``open_mode`` is required exactly when logins are off: the token and host checks replace the login.
    """
    if (open_mode is None) == (not svc.auth.enabled):
        raise ValueError("open mode (no logins) needs its guard; a server with logins must not have one")
    guard = Middleware(WorkbenchGuard, open_mode=open_mode,
                       address_throttle=svc.auth.address_throttle if svc.auth.enabled else None,
                       routes={EXPORT_DOWNLOADS: ExportDownloads(svc), RESULTS_PREFIX: ResultDownloads(svc),
                               ACCOUNT_CHECK: AccountCheck(svc)},
                       origin_hosts=svc.config.server.allowed_hosts,
                       upload_allowed=partial(may_upload, svc) if svc.auth.enabled else None,
                       login_attempt=svc.auth.attempt if svc.auth.enabled else None,
                       login_page_script=LOGIN_PAGE_JS if svc.auth.enabled else "",
                       signed_in=(lambda scope: gradio_username(scope) is not None) if svc.auth.enabled else None,
                       page_head_script=FRONTEND_LOCALE)
    return dict(
        auth=svc.auth.check if svc.auth.enabled else None,
        auth_message=LOGIN_MESSAGE if svc.auth.enabled else None,
        # FastAPI's own schema at /openapi.json lists every endpoint, admin ones included, to anyone (walk of
        # session 71); Gradio's API pages (/gradio_api/openapi.json, /gradio_api/info) ask for a login first.
        app_kwargs={"middleware": [guard], "openapi_url": None, "docs_url": None, "redoc_url": None},
        max_file_size=int(svc.config.server.max_upload_mb * 1024 * 1024),
        footer_links=[],
        # Gradio's run history copies every event's inputs and outputs (dialogues, ratings) into the browser's
        # localStorage (or a Hugging Face bucket): private data kept outside the store, and re-parsed and
        # rewritten on every status message of every event (most of a Rate submit's time in Chromium).
        run_history=False,
        css=CSS,
        js=JS,
        # Unexpected errors show a generic message; WorkbenchErrors reach the user through gr.Error/Warning.
        show_error=False,
        i18n=gr.I18n(**FRONTEND_TEXTS),
    )
