"""The Data tab's Accounts section: an admin manages accounts in the page, with the command line's rules.

The rules run on a real SQLite store and the real Authenticator (a saved password is the one that signs
in); the endpoints on the real app with logins (an annotator is refused and nothing changes); the form in
Chromium (an admin creates an account, which then signs in and sees an annotator's tabs).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from workbench.auth import Authenticator, upsert_user
from workbench.store.engine import Store
from workbench.store.schema import User
from workbench.ui.accounts_section import DONE, account_named, accounts_table, change_active, save_account

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def svc(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'accounts.db'}")
    yield SimpleNamespace(store=store, auth=Authenticator(store, enabled=True))
    store.dispose()


def roles(store: Store) -> dict[str, tuple[str, bool]]:
    with store.read() as s:
        return {u.username: (u.role, u.active) for u in s.scalars(select(User))}


def test_an_admin_creates_an_account_that_signs_in_with_the_password_typed(svc):
    boss = upsert_user(svc.store, "boss", "boss-pass-1", "admin")
    msg = save_account(svc, boss, "  nurse ", "", "nurse-pass-1", "nurse-pass-1", "en")
    assert msg.startswith(DONE) and "nurse" in msg and "annotator" in msg, msg
    assert roles(svc.store)["nurse"] == ("annotator", True)
    assert svc.auth.check("nurse", "nurse-pass-1") and not svc.auth.check("nurse", "nurse-pass-2")
    assert "nurse-pass-1" not in msg
    # A new password and role for the same account: the old password stops working.
    msg = save_account(svc, boss, "nurse", "researcher", "nurse-pass-2", "nurse-pass-2", "en")
    assert msg.startswith(DONE) and "new password" in msg and "annotator → researcher" in msg, msg
    assert svc.auth.check("nurse", "nurse-pass-2") and not svc.auth.check("nurse", "nurse-pass-1")
    # A role alone keeps the password.
    assert save_account(svc, boss, "nurse", "annotator", "", "", "en").startswith(DONE)
    assert roles(svc.store)["nurse"] == ("annotator", True) and svc.auth.check("nurse", "nurse-pass-2")


@pytest.mark.parametrize(("name", "role", "password", "again", "why"), [
    ("", "", "pass-word-1", "pass-word-1", "type the account's username"),
    ("nurse", "", "pass-word-1", "pass-word-2", "the two passwords differ"),
    ("nurse", "", "", "pass-word-1", "the two passwords differ"),
    ("nurse", "", "", "", "a new account needs a password"),
    ("nurse", "", "short", "short", "at least 6 characters"),
    ("nurse", "", "x" * 1025, "x" * 1025, "at most 1024 characters"),
    ("nurse", "superuser", "pass-word-1", "pass-word-1", "role must be one of"),
    ("BOSS", "", "pass-word-1", "pass-word-1", "already exists"),
    ("Ann", "", "", "", "type 'ann' to change it"),  # said first, not "a new account needs a password"
    ("<b>nurse</b>", "", "pass-word-1", "pass-word-1", "markup in a web page"),
    ("nurse\tx", "", "pass-word-1", "pass-word-1", "tabs, line breaks"),
    ("ann", "", "", "", "nothing to change"),
    ("ann", "annotator", "", "", "nothing to change"),
])
def test_a_refused_form_says_why_in_both_languages_and_changes_nothing(svc, name, role, password, again, why):
    boss = upsert_user(svc.store, "boss", "boss-pass-1", "admin")
    upsert_user(svc.store, "ann", "ann-pass-1", "annotator")
    before = roles(svc.store)
    msg = save_account(svc, boss, name, role, password, again, "en")
    assert not msg.startswith(DONE) and why.replace("'", "&#x27;") in msg, msg
    zh = save_account(svc, boss, name, role, password, again, "zh")
    assert zh.startswith("**错误**：") and CJK.search(zh.split("**", 2)[2]), zh
    assert roles(svc.store) == before
    assert svc.auth.check("ann", "ann-pass-1")
    if password:
        assert password not in msg and password not in zh


def test_an_admin_cannot_lock_themself_out_but_another_admin_can_change_them(svc):
    boss = upsert_user(svc.store, "boss", "boss-pass-1", "admin")
    # The only active admin: refused as on the command line.
    assert "only active admin" in save_account(svc, boss, "boss", "annotator", "", "", "en")
    second = upsert_user(svc.store, "second", "second-pass-1", "admin")
    # With a second admin, the form still refuses one's own demotion or disabling ...
    assert "your own admin role" in save_account(svc, boss, "boss", "researcher", "", "", "en")
    assert "your own account" in change_active(svc, boss, "boss", False, "en")
    # ... in any letter case: Disable finds an account by a name typed so (final walk s63: BOSS disabled boss)
    for typed in ("BOSS", " Boss "):
        assert "your own account" in change_active(svc, boss, typed, False, "en")
        assert "type &#x27;boss&#x27; to change it" in save_account(svc, boss, typed, "researcher", "", "", "en")
    assert roles(svc.store)["boss"] == ("admin", True)
    # ... which the other admin may do.
    assert save_account(svc, second, "boss", "researcher", "", "", "en").startswith(DONE)
    assert roles(svc.store)["boss"] == ("researcher", True)
    # One's own new password is fine.
    assert save_account(svc, second, "second", "", "second-pass-2", "second-pass-2", "en").startswith(DONE)
    assert svc.auth.check("second", "second-pass-2")


def test_disable_and_enable(svc):
    boss = upsert_user(svc.store, "boss", "boss-pass-1", "admin")
    upsert_user(svc.store, "ann", "ann-pass-1", "annotator")
    msg = change_active(svc, boss, "ann", False, "en")
    assert msg.startswith(DONE) and "disabled" in msg
    assert roles(svc.store)["ann"] == ("annotator", False) and not svc.auth.check("ann", "ann-pass-1")
    table = accounts_table(svc, "en")
    assert table.to_dict("records")[1] | {"Created": None} == {"Username": "ann", "Role": "annotator",
                                                               "Status": "disabled", "Created": None}
    # a second press says nothing changed (a walk read "disabled 'ann'" twice as two actions)
    assert "already disabled" in change_active(svc, boss, "ann", False, "en")
    assert "本来就是停用状态" in change_active(svc, boss, "ann", False, "zh")
    assert change_active(svc, boss, "ann", True, "en").startswith(DONE) and svc.auth.check("ann", "ann-pass-1")
    assert "already enabled" in change_active(svc, boss, "ann", True, "en")
    assert "already enabled" in change_active(svc, boss, "ANN", True, "en")  # not "enabled 'ann'" once more
    assert "no account" in change_active(svc, boss, "nobody", False, "en")
    assert "type the account" in change_active(svc, boss, " ", True, "en")


def test_the_table_shows_no_password_and_names_as_plain_text(svc):
    boss = upsert_user(svc.store, "boss", "boss-pass-1", "admin")
    with svc.store.session() as s:  # an account from before names were checked: a bidi control in it
        s.add(User(username="old\u202ename", password_hash="!", role="annotator"))
    save_account(svc, boss, "nurse", "researcher", "nurse-pass-1", "nurse-pass-1", "en")
    shown = accounts_table(svc, "zh")
    assert list(shown.columns) == ["用户名", "角色", "状态", "创建时间"]
    text = shown.to_csv()
    assert "nurse-pass-1" not in text and "scrypt" not in text and "\u202e" not in text
    assert shown.iloc[2].tolist()[:3] == ["nurse", "研究员", "已启用"]
    # A click on the row that shows the old name gives the stored name back.
    assert account_named(svc, shown.iloc[1, 0]) == "old\u202ename"
    assert account_named(svc, "nobody") is None
    assert accounts_table(svc, "en", rows=False).empty


def test_in_open_mode_a_new_account_says_logins_start_at_the_next_start(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'open.db'}")
    try:
        svc = SimpleNamespace(store=store, auth=Authenticator(store, enabled=False))
        local = svc.auth.lookup(None)
        msg = save_account(svc, local, "boss", "admin", "boss-pass-1", "boss-pass-1", "en")
        assert msg.startswith(DONE) and "next start" in msg
    finally:
        store.dispose()


# --- the endpoints, on the real app with logins ----------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from tests.rating_fixtures import RunningApp, make_users

    running = RunningApp(tmp_path_factory.mktemp("accounts"), k=2)
    make_users(running.store, "ann")
    make_users(running.store, "boss", role="admin")
    yield running
    running.close()


def _client(app, name: str, password: str | None = None):
    from gradio_clients import Client

    return Client(app.url, auth=(name, password or "secret-pass-" + name), verbose=False, analytics_enabled=False,
                  download_files=False)


def test_an_admin_creates_an_account_through_the_endpoint_and_an_annotator_cannot(app):
    boss = _client(app, "boss")
    msg, pw, again, table, _ = boss.predict("nurse", "researcher", "nurse-pass-1", "nurse-pass-1",
                                            api_name="/accounts_save")
    assert msg.startswith(DONE) and pw == "" and again == ""
    assert ["nurse", "researcher", "active"] in [row[:3] for row in table["data"]]
    assert _client(app, "nurse", "nurse-pass-1").config  # the new account signs in
    ann = _client(app, "ann")
    before = roles(app.store)
    for api_name, args in (("/accounts_save", ("eve", "admin", "eve-pass-1", "eve-pass-1")),
                           ("/accounts_disable", ("boss",)), ("/accounts_enable", ("nurse",))):
        out = ann.predict(*args, api_name=api_name)
        assert "only an admin can create or change accounts" in str(out), out
        assert "nurse" not in str(out) and "boss" not in str(out)  # no table for an annotator
    assert roles(app.store) == before
    msg, _ = boss.predict("nurse", api_name="/accounts_disable")
    assert msg.startswith(DONE)
    with pytest.raises(Exception):  # noqa: B017 - any refusal: the disabled account cannot sign in
        _client(app, "nurse", "nurse-pass-1")


def test_a_name_typed_in_other_letter_case_finds_that_account_where_nothing_secret_changes(svc):
    """Walk 10: Ann signs in as ann, so disabling, enabling and releasing items by a name typed in another case act on
    ann too (only saving a password under it is refused, above: an admin may have meant a new person)."""
    from workbench.annotate import workflow
    from workbench.auth import set_active
    from workbench.errors import InputError

    boss = upsert_user(svc.store, "boss", "boss-pass-1", "admin")
    upsert_user(svc.store, "ann", "ann-pass-1", "annotator")
    set_active(svc.store, "ANN", False)
    assert roles(svc.store)["ann"] == ("annotator", False)
    set_active(svc.store, " Ann ", True)
    assert roles(svc.store)["ann"] == ("annotator", True)
    assert workflow.release_open(svc.store, boss, "ANN") == 0  # nothing open, but the account was found
    with pytest.raises(InputError, match="no user named"):
        workflow.release_open(svc.store, boss, "anna")
