"""An annotator whose account is disabled while they hold open items: the items keep their slots (they never
reach k) until an admin releases them, so the admin's team table says the account is disabled beside its name."""

from __future__ import annotations

from gradio_clients import Client
from rating_fixtures import RunningApp, add_positions, claim, make_users
from sqlalchemy import update

from workbench.annotate import workflow
from workbench.store.schema import User
from workbench.ui import i18n


def test_the_team_table_marks_a_disabled_annotator_who_still_holds_items(tmp_path):
    app = RunningApp(tmp_path, k=2)
    try:
        add_positions(app.store, 1)
        ann, bob, cat = make_users(app.store, "ann", "bob", "cat")
        (boss,) = make_users(app.store, "boss", role="admin")
        item = claim(app.store, ann, k=2)
        assert claim(app.store, bob, k=2) == item
        with app.store.session() as s:
            s.execute(update(User).where(User.id == bob.id).values(active=False))
        assert claim(app.store, cat, k=2) is None  # bob's open slot still counts
        rows, _flags = workflow.team(app.store, boss)
        assert {r.username: r.active for r in rows} == {"ann": True, "bob": False, "cat": True}

        client = Client(app.url, auth=("boss", "secret-pass-boss"), verbose=False, analytics_enabled=False)
        team, _flags = client.predict(api_name="/rate_team")
        names = [row[0] for row in team["data"]]
        mark = i18n.t("rate.disabled_mark", "en")
        assert names == ["ann", "bob" + mark, "cat"], names
        # The mark says what to do; released, the slot is free for cat.
        assert workflow.release_open(app.store, boss, "bob") == 1
        assert claim(app.store, cat, k=2) == item
        # Holding nothing now, bob is marked disabled without the call to release (walk 7 was told to release the
        # items of an account holding none).
        team, _flags = client.predict(api_name="/rate_team")
        names = [row[0] for row in team["data"]]
        assert names == ["ann", "bob" + i18n.t("rate.disabled_mark_idle", "en"), "cat"], names
    finally:
        app.close()
