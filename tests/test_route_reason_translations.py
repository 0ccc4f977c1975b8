"""Every reason a column gives for its route (Chat tab, beside the model input) reads in the session's language:
the backends store it in English and the page translates it where it is shown."""

from __future__ import annotations

import re

import pytest

from workbench.config import HybridRouting
from workbench.dialogue import Dialogue, Turn
from workbench.models.bianque_common import GREETING_REASON
from workbench.models.hybrid import accept_v1, route_next
from workbench.ui import i18n

LATIN_WORDS = re.compile(r"[A-Za-z]{3,}")  # what is left untranslated ("v1", "v2", "token" excepted)


def _is_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None and not set(LATIN_WORDS.findall(text)) - {"token"}


def _reasons() -> list[str]:
    routing = HybridRouting(max_questions=3)
    turns = [[], ["你好"], ["几天了？", "发烧吗？"], ["多喝水。", "休息。"], ["a？", "b？", "c？", "d？"]]
    out = [route_next(t, routing).reason for t in turns]
    out.append(route_next([], HybridRouting(greeting=None)).reason)
    out += [accept_v1(reply, ["几天了？"], routing)[1] for reply in ("多喝水。", "几天了？", "有没有咳嗽？")]
    return [GREETING_REASON, *out]


@pytest.mark.parametrize("reason", _reasons())
def test_each_route_reason_reads_in_chinese(reason):
    assert _is_chinese(i18n.catalogue().translate(reason, "zh")), reason


def test_a_hybrid_reason_list_and_the_truncation_notes_read_in_chinese(services):
    """The notes come from the real demo backends: a dialogue too long for the input limit and one whose latest
    message alone is too long; the hybrid joins its reasons with "; "."""
    v1 = services.backends["BianQue-1.0"]
    limit = v1.input_limit()
    rounds = [Turn("patient", "我头很痛，已经三天了，晚上睡不好。" * 6), Turn("doctor", "多久了？有没有发烧？")] * 60
    long_history = v1.plan(Dialogue((Turn("patient", "你好"), Turn("doctor", "你好，请讲。"), *rounds,
                                     Turn("patient", "还是痛"))))
    huge_message = v1.plan(Dialogue((Turn("patient", "你好"), Turn("doctor", "请讲。"),
                                     Turn("patient", "头痛" * (limit * 2)))))
    hybrid = services.backends["Hybrid v1→v2"].plan(Dialogue((Turn("patient", "你好"), Turn("doctor", "请讲。"),
                                                               Turn("patient", "头痛" * (limit * 2)))))
    assert "oldest round" in long_history.reason and "alone exceeds" in huge_message.reason and "; " in hybrid.reason
    for reason in (long_history.reason, huge_message.reason, hybrid.reason):
        zh = i18n.catalogue().translate(reason, "zh")
        assert _is_chinese(zh), (reason, zh)
    assert i18n.catalogue().translate(hybrid.reason, "en") == hybrid.reason
