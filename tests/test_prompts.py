"""Golden tests of the BianQue prompt formats, written out by hand from the original apps."""

from __future__ import annotations

import pytest

from workbench.dialogue import Dialogue, Turn
from workbench.errors import InputError
from workbench.prompts import (
    GREETING,
    bianque_context,
    bianque_v1_input,
    bianque_v2_input,
    escape_v1,
    fit_rounds,
    training_pairs,
    unescape_v1,
)


def test_greeting_is_the_original_text():
    assert GREETING == "我是利用人工智能技术，结合大数据训练得到的智能医疗问答模型扁鹊，你可以向我提问。"


def test_v1_one_turn():
    # bianque_v1_app.py: input_text = "病人：" + user_history[-1] + "\n医生：", then preprocess() escapes.
    assert bianque_v1_input([], "我最近经常失眠") == "病人：我最近经常失眠\\n医生："
    assert bianque_v2_input([], "我最近经常失眠") == "病人：我最近经常失眠\n医生："


def test_v1_two_turns_with_greeting_in_history():
    rounds = [("你好！", GREETING)]
    expected = "病人：你好！\\n医生：" + GREETING + "\\n病人：我最近经常失眠\\n医生："
    assert bianque_v1_input(rounds, "我最近经常失眠") == expected


def test_v1_five_turns_from_the_seed_example():
    # The insomnia example of the BianQue README: four patient messages, three doctor replies.
    rounds = [("你好!", GREETING), ("我最近经常失眠", "失眠多久了?"), ("两周了", "睡眠怎么样?")]
    text = bianque_v1_input(rounds, "上床几小时才睡得着")
    assert text == (
        "病人：你好!\\n医生：" + GREETING + "\\n病人：我最近经常失眠\\n医生：失眠多久了?"
        "\\n病人：两周了\\n医生：睡眠怎么样?\\n病人：上床几小时才睡得着\\n医生："
    )
    assert "\n" not in text


def test_escaping_newlines_and_tabs_inside_messages():
    rounds = [("头疼\n还发烧", "多久了？\t体温多少？")]
    v1 = bianque_v1_input(rounds, "三天\n38度")
    assert v1 == "病人：头疼\\n还发烧\\n医生：多久了？\\t体温多少？\\n病人：三天\\n38度\\n医生："
    # BianQue-2.0 receives the unescaped text: real newlines, real tab.
    assert bianque_v2_input(rounds, "三天\n38度") == "病人：头疼\n还发烧\n医生：多久了？\t体温多少？\n病人：三天\n38度\n医生："
    assert unescape_v1(escape_v1("a\nb\tc")) == "a\nb\tc"


def test_context_is_the_unescaped_transcript():
    assert bianque_context([("a", "b")], "c") == "病人：a\n医生：b\n病人：c\n医生："


def _count_chars(text: str) -> int:
    return len(text)


def test_truncation_drops_oldest_rounds_and_keeps_the_latest_message():
    rounds = [(f"第{i}轮的问题" * 5, f"回答{i}") for i in range(6)]
    last = "最新的问题"
    full = bianque_v1_input(rounds, last)
    limit = len(full) - 1  # one character too long: the oldest round must go
    kept, dropped = fit_rounds(rounds, last, bianque_v1_input, _count_chars, limit)
    assert dropped == 1 and kept == rounds[1:]
    text = bianque_v1_input(kept, last)
    assert text.endswith("\\n病人：最新的问题\\n医生：") and len(text) <= limit
    # A tight limit drops everything but the latest message; it is never cut.
    kept, dropped = fit_rounds(rounds, last, bianque_v1_input, _count_chars, 20)
    assert kept == [] and dropped == 6
    assert bianque_v1_input(kept, last) == "病人：最新的问题\\n医生："


def test_training_pairs_are_inputs_ending_in_doctor():
    pairs = training_pairs([("p1", "d1"), ("p2", "d2")])
    assert pairs == [("病人：p1\n医生：", "d1"), ("病人：p1\n医生：d1\n病人：p2\n医生：", "d2")]


def test_dialogue_pairs_join_consecutive_patient_messages():
    d = Dialogue.of([("patient", "a"), ("doctor", "b"), ("patient", "c"), ("patient", "d")])
    assert d.pairs() == ([("a", "b")], "c\nd")
    with pytest.raises(InputError):
        Dialogue.of([("patient", "a"), ("doctor", "b")]).pairs()
    with pytest.raises(InputError):
        Turn("nurse", "x")  # type: ignore[arg-type]
