"""The Data tab's Accounts section: an admin lists, creates and changes accounts without a terminal.

The same rules as ``python -m workbench users`` (:mod:`workbench.auth`: name checks, scrypt hashes, the only
active admin kept), plus two of the form's own: an admin cannot take away their own admin role or disable
their own account from here (another admin can), so that one slip never locks the acting admin out. Passwords
are never sent back to the page: both boxes are emptied after every attempt.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from workbench.access import ROLES, Permission, may, require_role
from workbench.auth import CurrentUser, find_account, list_accounts, role_to_save, set_active, upsert_user
from workbench.errors import InputError, WorkbenchError
from workbench.services import Services
from workbench.ui import i18n
from workbench.ui.data_tab import error_heading
from workbench.ui.i18n import K, Localizer
from workbench.ui.tables import header
from workbench.ui.text import as_text, plain

ACCOUNT_HEADERS = ["username", "role", "status", "created"]
#: the role menu's first choice: an existing account keeps its role (a new one becomes an annotator)
KEEP_ROLE = ""
#: the longest password the form takes: scrypt reads all of it, and a megabyte typed into the box is no password
MAX_PASSWORD_CHARS = 1024
#: the first character of a message that reports a change made
DONE = "✓"


def accounts_table(svc: Services, lang: str, rows: bool = True) -> pd.DataFrame:
    """Every account (never a password or its hash), oldest first, headers and values in ``lang``."""
    data = [[plain(a.username), i18n.t(f"accounts.role.{a.role}", lang) if a.role in ROLES else plain(a.role),
             i18n.t("accounts.active" if a.active else "accounts.disabled", lang),
             f"{a.created_at:%Y-%m-%d %H:%M}"]
            for a in (list_accounts(svc.store) if rows else [])]
    df = pd.DataFrame(data, columns=ACCOUNT_HEADERS)
    return df.rename(columns={c: header(c, lang, "accounts") for c in df.columns})


def account_named(svc: Services, shown: str) -> str | None:
    """The stored name of the account whose table cell reads ``shown`` (a cell shows bidirectional controls
    as visible marks, see :func:`workbench.ui.text.plain`), or None."""
    names = [a.username for a in list_accounts(svc.store)]
    return next((n for n in names if n == shown), None) or next((n for n in names if plain(n) == shown), None)


def save_account(svc: Services, acting: CurrentUser, name: str | None, role: str | None, password: str | None,
                 again: str | None, lang: str) -> str:
    """Create account ``name``, or give an existing one a new password and/or role; the Markdown message."""
    name = (name or "").strip()
    password, again = password or None, again or None
    try:
        if not name:
            raise InputError("type the account's username")
        if password != again:
            raise InputError("the two passwords differ: type the same password in both boxes")
        if password is not None and len(password) > MAX_PASSWORD_CHARS:
            raise InputError(f"a password can be at most {MAX_PASSWORD_CHARS} characters")
        asked = role or None
        if asked is not None and asked not in ROLES:
            raise InputError(f"role must be one of {ROLES}")
        new_role, current = role_to_save(svc.store, name, asked)
        if current is None and password is None:
            raise InputError("a new account needs a password (at least 6 characters)")
        if current is not None and password is None and new_role == current:
            raise InputError(f"nothing to change for {name!r}: type a new password or choose another role")
        if name == acting.username and current == "admin" and new_role != "admin":
            raise InputError("you cannot take away your own admin role here: another admin can")
        user = upsert_user(svc.store, name, password, new_role)
    except WorkbenchError as e:
        return _error(e, lang)
    if current is None:
        msg = i18n.t("accounts.created", lang, name=repr(user.username), role=i18n.t(f"accounts.role.{user.role}", lang))
        if not svc.auth.enabled:
            msg += " " + i18n.t("accounts.open_mode", lang)
        return f"{DONE} {as_text(msg)}"
    changes = [i18n.t("accounts.new_password", lang)] if password is not None else []
    if new_role != current:
        changes.append(i18n.t("accounts.new_role", lang, old=i18n.t(f"accounts.role.{current}", lang),
                              new=i18n.t(f"accounts.role.{new_role}", lang)))
    msg = i18n.t("accounts.updated", lang, name=repr(user.username), changes=i18n.t("accounts.and", lang).join(changes))
    return f"{DONE} {as_text(msg)}"


def change_active(svc: Services, acting: CurrentUser, name: str | None, active: bool, lang: str) -> str:
    """Enable or disable account ``name``; the Markdown message."""
    name = (name or "").strip()
    try:
        if not name:
            raise InputError("type the account's username")
        # the account the name signs in as, in any letter case (final walk s63: BOB disabled bob, the acting admin)
        target = find_account(svc.store, name)
        if not active and target is not None and target.id == acting.id:
            raise InputError("you cannot disable your own account here: another admin can")
        before = None if target is None else target.active
        user = set_active(svc.store, name, active)
    except WorkbenchError as e:
        return _error(e, lang)
    if before is active:  # nothing changed: say so, not "disabled" a second time
        key = "accounts.already_enabled" if active else "accounts.already_disabled"
        return f"{DONE} {as_text(i18n.t(key, lang, name=repr(user.username)))}"
    key = "accounts.enabled_msg" if active else "accounts.disabled_msg"
    return f"{DONE} {as_text(i18n.t(key, lang, name=repr(user.username)))}"


def _error(e: WorkbenchError, lang: str) -> str:
    return error_heading(lang) + as_text(i18n.catalogue().translate(str(e), lang))


def build_accounts_section(svc: Services, ui: Localizer) -> dict[str, Any]:
    ui.make(gr.Markdown, value=K("accounts.title"))
    ui.make(gr.Markdown, value=K("accounts.intro"))
    table = gr.Dataframe(accounts_table(svc, "en", rows=False), interactive=False, wrap=True,
                         elem_id="accounts-table")
    with gr.Row(equal_height=True):
        name = ui.make(gr.Textbox, label=K("accounts.name"), placeholder=K("accounts.name_hint"), max_lines=1,
                       elem_id="account-name")
        role = ui.make(gr.Dropdown, choices=[(K("accounts.keep_role"), KEEP_ROLE),
                                             *((K(f"accounts.role.{r}"), r) for r in ROLES)],
                       value=KEEP_ROLE, label=K("accounts.role"), elem_id="account-role")
        password = ui.make(gr.Textbox, label=K("accounts.password"), type="password", max_lines=1,
                           placeholder=K("accounts.password_hint"), elem_id="account-password")
        again = ui.make(gr.Textbox, label=K("accounts.again"), type="password", max_lines=1,
                        elem_id="account-password-again")
    with gr.Row():
        save = ui.make(gr.Button, value=K("accounts.save"), variant="primary", elem_id="account-save")
        disable = ui.make(gr.Button, value=K("accounts.disable"), elem_id="account-disable")
        enable = ui.make(gr.Button, value=K("accounts.enable"), elem_id="account-enable")
    result = gr.Markdown("", elem_id="account-result")

    def acting_admin(request: gr.Request) -> CurrentUser:
        return require_role(svc.auth, request, Permission.ACCOUNTS)

    def on_save(nm: str, rl: str, pw: str, pw2: str, request: gr.Request) -> dict:
        lang = i18n.language(request)
        try:
            acting = acting_admin(request)
        except WorkbenchError as e:
            return {result: _error(e, lang), password: "", again: ""}
        msg = save_account(svc, acting, nm, rl, pw, pw2, lang)
        out = {result: msg, password: "", again: "", table: accounts_table(svc, lang)}
        if msg.startswith(DONE):
            out[role] = KEEP_ROLE
        return out

    def toggle(active: bool) -> Any:
        def on_toggle(nm: str, request: gr.Request) -> dict:
            lang = i18n.language(request)
            try:
                acting = acting_admin(request)
            except WorkbenchError as e:
                return {result: _error(e, lang)}
            return {result: change_active(svc, acting, nm, active, lang), table: accounts_table(svc, lang)}
        return on_toggle

    def on_pick(evt: gr.SelectData, request: gr.Request) -> Any:
        # A click on a row names its account in the form (the table shows names as text, see account_named).
        if not may(svc.auth, request, Permission.ACCOUNTS):
            return gr.update()
        row = evt.row_value or []
        picked = account_named(svc, str(row[0])) if row else None
        return picked if picked is not None else gr.update()

    def on_load(request: gr.Request) -> Any:
        # Run on every page load, for every role: only an admin's page gets the rows, and nobody is logged as
        # refused for loading a page.
        return accounts_table(svc, i18n.language(request), rows=may(svc.auth, request, Permission.ACCOUNTS))

    save.click(on_save, [name, role, password, again], [result, password, again, table, role],
               api_name="accounts_save")
    disable.click(toggle(False), [name], [result, table], api_name="accounts_disable")
    enable.click(toggle(True), [name], [result, table], api_name="accounts_enable")
    table.select(on_pick, None, [name], api_visibility="private")
    return {"on_load": on_load, "load_outputs": [table]}
