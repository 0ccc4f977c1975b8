"""Walk of session 72: a patient's name, phone number and ID number typed into one annotator's chat were shown
verbatim to every annotator given a reply of it in Rate. Rate now shows another user's dialogue de-identified, as
the exports are (history, each reply, each column's own thread, the JSON API); identical replies are still told
apart by their stored text."""

from __future__ import annotations

import pytest
import rating_fixtures

from workbench.annotate.queue import open_item
from workbench.dialogue import Turn
from workbench.store.dialogues import create_dialogue
from workbench.store.engine import Store
from workbench.store.schema import Generation
from workbench.ui.rate_tab import api_item

PATIENT = "我叫王建国，电话13812345678，身份证号110101199003074514，头痛三天了"
SECRETS = ("王建国", "13812345678", "110101199003074514")


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'w.db'}")
    yield s
    s.dispose()


def _live_dialogue(store: Store, author_id: int, replies: tuple[str, ...]) -> None:
    with store.session() as s:
        d = create_dialogue(s, (Turn("patient", PATIENT),), source="live", created_by=author_id)
        for c, text in zip(rating_fixtures.COLUMNS, replies, strict=True):
            s.add(Generation(dialogue_id=d.id, turn_index=1, column_name=c, backend="test", model_name="t/" + c,
                             output=text, status="ok"))


def test_another_users_dialogue_is_shown_de_identified_and_twins_stay_apart(store):
    alice, carl = rating_fixtures.make_users(store, "alice", "carl")
    # two replies that differ only in the personal data they repeat: still two replies to rate
    replies = ("王建国您好，头痛是持续的吗？", "李四您好，头痛是持续的吗？", "建议测量血压，13812345678 是您本人的电话吗？")
    _live_dialogue(store, alice.id, replies)
    item_id = rating_fixtures.claim(store, carl, k=2)
    assert item_id is not None
    with store.session() as s:
        view = open_item(s, carl, item_id)
    shown = " ".join([*(t for _r, t in view.history), *(r.text for r in view.replies),
                      *(t for r in view.replies for _r, t in r.history)])
    for secret in SECRETS:
        assert secret not in shown, (secret, shown)
    assert "[姓名]" in shown and "[电话]" in shown and "[证件号]" in shown
    assert "头痛三天了" in shown  # the medical text stays
    assert len(view.groups) == 3  # grouped by the stored text, not the shown one
    assert sorted(r.output for r in view.replies) == sorted(replies)  # stored as generated
    api = api_item(view)
    assert api is not None
    sent = str(api)
    assert not any(secret in sent for secret in SECRETS) and all(not r["identical_to"] for r in api["replies"])


def test_the_list_of_ones_items_quotes_another_users_patient_de_identified(store):
    """Walk of session 72: Rate's "My items" list quoted the patient's message before each item as typed, another
    annotator's patient's name included, while the item itself was de-identified."""
    from workbench.annotate.workflow import my_items_described

    alice, carl = rating_fixtures.make_users(store, "alice", "carl")
    _live_dialogue(store, alice.id, ("头痛是持续的吗？", "建议休息。", "量过血压吗？"))
    assert rating_fixtures.claim(store, carl, k=2) is not None
    ((_item, _done, _turn, said),) = my_items_described(store, carl)
    assert not any(secret in said for secret in SECRETS), said
    assert "[姓名]" in said and "头痛三天了" in said
