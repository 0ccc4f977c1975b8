"""Words of a doctor's question that ask about anything (什么, 最近, 以前…): they never show which fact is asked.

Their own module because both the matcher (:mod:`workbench.simulate.matching`) and case loading
(:mod:`workbench.simulate.cases`, which warns about a case listing one as a keyword) need them, and the
matcher imports the cases.
"""

from __future__ import annotations

from collections.abc import Iterable

# Words that occur in almost every question: overlapping on them says nothing about the topic.
GENERIC_TOKENS = frozenset(
    "有没有 什么 怎么样 怎么 多少 是不是 是否 现在 最近 情况 一下 您好 你好 平时 时候 感觉 还有 或者 这样 这种 "
    "那么 一般 需要 可以 已经 一直 的话 其他 哪些 有无 具体 之前 以后 出现 觉得 问题 症状 宝宝 孩子 患者 您 "
    "请问 能否 能不能 会不会 有点 比较 一些 医生 不是 没有 吃饭 明显 以前 东西 什么样 自己 "
    # (session 66: 啥子, 什么 in the southwest, as 弄过点啥子没有 shares nothing with a keyword 啥子菌)
    "啥子".split()
)
# Generic as a shared word (replies mention meals all the time), but a question containing it does ask
# about eating: in a pool of 302 questions every match of the keyword 吃饭 was a diet or appetite fact. 什么样 the
# same: a fact keyed on it (what the stool looks like) is asked by it, but a question's 什么样 shares nothing with a
# keyword that merely contains it (泡泡长什么样 is not 什么样的疼).
_TOPIC_WORDS = frozenset({"吃饭", "什么样"})
GENERIC_KEYWORDS = GENERIC_TOKENS - _TOPIC_WORDS


def generic_keywords(keywords: Iterable[str]) -> tuple[str, ...]:
    """The keywords that are generic words: they occur in questions about anything, so they never count as
    asking about a fact (the fact's other keywords still do)."""
    return tuple(k for k in keywords if k in GENERIC_KEYWORDS)
