"""The hybrid's routing, checked against the original bianque_v1_v2_app.py rules case by case."""

from __future__ import annotations

import pytest

from workbench.config import HybridRouting
from workbench.models.hybrid import accept_v1, is_question, route_next
from workbench.prompts import GREETING

R = HybridRouting()
Q = "失眠多久了？"
A = "建议您规律作息，睡前不要玩手机。"

# (doctor turns so far, expected route, expected fallback)
CASES = [
    ([], "greeting", None),  # first turn: greeting, no model call
    ([GREETING], "v1", "v2"),  # second turn: v1 asks
    ([GREETING, Q], "v1", "v2"),  # last doctor turn was a question (？)
    ([GREETING, "睡得好吗"], "v1", "v2"),  # question by 吗, no question mark
    ([GREETING, "平时睡几个小时呢"], "v1", "v2"),  # 呢
    ([GREETING, "有没有头晕"], "v1", "v2"),  # 有没有
    ([GREETING, "一天几次"], "v1", "v2"),  # 几次
    ([GREETING, "Is it painful?"], "v1", "v2"),  # half-width ?
    ([GREETING, A], "v2", None),  # last doctor turn was advice
    ([GREETING, Q, A], "v2", None),
    ([GREETING] + [Q] * 7, "v1", "v2"),  # 8 doctor turns: not more than 8 yet
    ([GREETING] + [Q] * 8, "v2", None),  # 9 doctor turns > 8: v2 advises even after a question
    ([GREETING] + [A] * 10, "v2", None),
    ([GREETING, "那么您要注意休息"], "v1", "v2"),  # the original's marker list counts 么 in 那么: kept as is
]


@pytest.mark.parametrize("doctor,route,fallback", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_route_next(doctor, route, fallback):
    r = route_next(doctor, R)
    assert (r.route, r.fallback) == (route, fallback)
    assert r.reason


def test_question_cap_is_configurable():
    tight = HybridRouting(max_questions=2)
    assert route_next([GREETING, Q], tight).route == "v1"
    assert route_next([GREETING, Q, Q], tight).route == "v2"


def test_custom_markers_and_disabled_greeting():
    r = HybridRouting(question_markers=["？"], greeting=None)
    assert route_next([], r).route == "v1"
    assert route_next([GREETING, "睡得好吗"], r).route == "v2"  # 吗 no longer counts


@pytest.mark.parametrize(
    "reply,history,accepted",
    [
        ("失眠多久了？", [GREETING], True),
        ("失眠多久了？", [GREETING, "失眠多久了？"], False),  # asked before: v2 answers
        ("多注意休息。", [GREETING], False),  # not a question
        ("有没有吃过药", [GREETING, "失眠多久了？"], True),
        ("", [GREETING], False),
    ],
)
def test_accept_v1(reply, history, accepted):
    ok, why = accept_v1(reply, history, R)
    assert ok is accepted and why


def test_original_marker_list():
    for m in ["？", "?", "吗", "呢", "么", "什么", "有没有", "多少", "几次", "怎么样"]:
        assert is_question(f"x{m}y", R.question_markers)
    assert not is_question("请多喝水。", R.question_markers)
