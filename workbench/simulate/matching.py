"""Which case facts a doctor's turn asks about, and which facts a patient's reply mentions.

Matching is deliberately simple and inspectable: a fact is *asked* when one of its keywords occurs in
the questioning part of the doctor's turn, or when a content word of that part (jieba tokens) is one of
the content words of the fact's keywords. A one-character keyword is a morpheme: it counts only in a word
of the question where it keeps its meaning (吐 in 呕吐, not in 吐字; 血 in 出血, not in 血压), see
:func:`_morpheme_occurs`. Generic question words (什么, 有没有, 最近, 以前...) never match,
not even when a case lists one as a keyword, so "最近怎么样？" does not reveal every fact and "以前有过敏史吗？"
does not reveal a fact keyed on 以前; loading such a case warns (:func:`workbench.simulate.generic_words.generic_keywords`). "多久…一次" asks how often, not how long: there a
duration word (多久, 多长时间) counts only for a fact about frequency (one with a keyword such as 几次,
经常, 频率), so "平时多久体检一次？" does not reveal since when the patient has been ill.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from workbench.simulate.cases import Case, Fact
from workbench.simulate.generic_words import GENERIC_KEYWORDS, GENERIC_TOKENS

_CLAUSE_SPLIT = re.compile(r"(?<=[。！？!?；;\n])")
# How Chinese asks, with or without a question mark: a question mark, the particles 吗/呢/么, a verb
# phrase closed by 不/没/没有 (抽烟不, 发烧了没, 看过没有), a question word (什么, 怎样, 哪, 几天, 多大, 啥,
# 咋…), a request to tell (请描述, 说一下, 讲讲, 告诉我), or an A-not-A form (疼不疼, 会不会, 有没有).
_QUESTION_CUES = re.compile(
    r"[？?]|吗|呢|(?<![那这怎什多])么|有没有|是不是|是否|有无|(?:不|没有|没)[。！!；;\s]*$"
    r"|什么|怎么样|怎样|如何|为什么|哪|几[天次岁个周年度点月回趟]|多[久长少大高重远]|(?<!这)谁(?![都也])|啥|咋"
    r"|描述一下|描述下|请描述|介绍一下|补充一下|说明一下|说一下|说说|讲一下|讲讲|告诉我"
)
_A_NOT_A = re.compile(r"(.)[不没]\1")
# An A-not-A after a verb of finding out is an embedded question, advice to watch: "看看皮疹会不会消退".
_EMBEDDING = re.compile(r"(看看|观察|留意)[^，,]*(.)[不没]\2")
_PUNCT = re.compile(r"[\s，。！？!?、；;：:,.“”\"'（）()…—-]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# A duration word followed, within its clause, by 一次 asks how often ("多久体检一次", "几天大便一次").
_HOW_OFTEN = re.compile(r"(多久|多长时间|多长|几天)(?=[^，。！？!?；;,\n]{0,8}?(一次|一回|一趟))")
_FREQUENCY_WORDS = ("几次", "次数", "经常", "频率", "一次", "反复")


# Directional complements (趋向补语), a closed class of grammatical words: 站起来 and 夜里起来 share 起来
# but nothing of their topic.
_DIRECTIONAL_COMPLEMENTS = frozenset("起来 上来 下来 出来 进来 回来 过来 开来 上去 下去 出去 进去 回去 过去 起去".split())


@lru_cache(maxsize=20000)
def content_tokens(text: str) -> frozenset[str]:
    """jieba tokens of two or more characters, generic question words and directional complements removed."""
    from workbench.analysis.metrics import tokenize  # jieba, loaded once and quiet

    return frozenset(
        t for t in tokenize(text) if len(t) >= 2 and t not in GENERIC_TOKENS
        and t not in _DIRECTIONAL_COMPLEMENTS and not _PUNCT.fullmatch(t)
    )


def question_part(doctor_text: str) -> str:
    """The clauses of a doctor's turn that ask something (empty when it asks nothing)."""
    clauses = [c for c in _CLAUSE_SPLIT.split(doctor_text or "") if c.strip()]
    return "".join(c for c in clauses if _asks(c))


def _asks(clause: str) -> bool:
    if _QUESTION_CUES.search(clause):
        return True
    return bool(_A_NOT_A.search(clause)) and not _EMBEDDING.search(clause)


@lru_cache(maxsize=20000)
def _words(text: str) -> tuple[tuple[str, str | None], ...]:
    """The question's words (jieba), each with its dictionary part of speech, or None for a word the
    segmenter built from the text itself (a free combination: 疼不疼, 尿少, 烧退)."""
    from workbench.analysis.metrics import _jieba, tokenize

    jieba = _jieba()
    freq, tags = jieba.dt.FREQ, _pos_tags()
    return tuple((t, tags.get(t, "x") if freq.get(t, 0) > 0 else None) for t in tokenize(text))


@lru_cache(maxsize=1)
def _pos_tags() -> dict[str, str]:
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab


# Quasi-suffixes (类词缀): bound, semantically light heads; a word made with one is about what comes
# before it (药物, 尿量, 呕吐物 are about medicine, urine, vomit).
_QUASI_SUFFIXES = frozenset("物品量液类性状样色次")


def _morpheme_occurs(char: str, question: str, gloss: str) -> bool:
    """A one-character keyword is a morpheme, and means what the word it is in makes of it. It asks where
    it is a word of its own (吐了几次) or part of a free combination (疼不疼, 尿少). In a dictionary word it
    asks where it is the word's head: the last morpheme, Chinese modifier-head compounds being
    right-headed (呕吐, 头疼, 发烧, 出血; a quasi-suffix such as 物 or 量 set aside: 呕吐物, 药物, 尿量), or
    the first verb of a verb compound, which is head-initial (睡觉, 扭伤); or where the word's other
    morphemes are all in the fact's own wording ``gloss``, which shows the sense meant (a simplified
    Lesk test: 疼痛 for a fact that says 隐痛). Otherwise the word names something else: 吐字, 疼爱,
    血压, 糖尿病, 破伤风, 按时."""
    own_tag = _pos_tags().get(char, "")
    for w, tag in _words(question):
        if char not in w:
            continue
        if w == char or tag is None:
            return True
        base = w[:-1] if len(w) > 2 and w[-1] in _QUASI_SUFFIXES or w[1:] in _QUASI_SUFFIXES else w
        if base.endswith(char) or (w.startswith(char) and own_tag.startswith("v") and tag.startswith("v")):
            return True
        if all(c in gloss for c in w.replace(char, "")):
            return True
    return False


def _is_about_frequency(fact: Fact) -> bool:
    return any(w in k for k in fact.keywords for w in _FREQUENCY_WORDS)


# Colloquial forms of question words, and the standard form a case lists: the same word to a speaker,
# so "疼在哪儿" asks what "哪里" asks. (多久 and 多长时间 are not merged: cases key different facts on them,
# e.g. how long an illness has lasted and how long a spell takes to pass.)
_QUESTION_WORD_FORMS = (("哪儿", "哪里"), ("啥时候", "什么时候"), ("啥", "什么"), ("咋样", "怎么样"), ("咋", "怎么"))


def _canonical_question_words(text: str) -> str:
    for variant, canonical in _QUESTION_WORD_FORMS:
        text = text.replace(variant, canonical)
    return text


def fact_is_asked(fact: Fact, question: str) -> bool:
    if not question:
        return False
    if not _is_about_frequency(fact):
        question = _HOW_OFTEN.sub("", question)  # "多久体检一次" is not "since when"
    keywords = [k for k in fact.keywords if k not in GENERIC_KEYWORDS]
    gloss = fact.fact + fact.patient + "".join(fact.keywords)
    canonical = _canonical_question_words(question)
    if any(_morpheme_occurs(k, question, gloss) if len(k) == 1 else _canonical_question_words(k) in canonical
           for k in keywords):
        return True
    keyword_tokens = frozenset().union(*(content_tokens(k) for k in keywords))
    return bool(content_tokens(question) & keyword_tokens)


def _without_longer_keywords(fact: Fact, others: Iterable[Fact], question: str) -> str:
    """``question`` with the other facts' keywords that contain one of ``fact``'s blanked out: the longest
    match wins, as in segmentation by maximum matching, so "其他部位" asks the fact keyed on it and not
    also the one keyed on "部位" (a bare 部位 elsewhere in the question still asks that one)."""
    own = [k for k in fact.keywords if k not in GENERIC_KEYWORDS]
    longer = {k for o in others for k in o.keywords
              if k not in GENERIC_KEYWORDS and any(m in k and m != k for m in own)}
    for k in sorted(longer, key=len, reverse=True):
        question = question.replace(k, "，")
    return question


def asked_facts(case: Case, doctor_text: str) -> tuple[str, ...]:
    """Ids of the case's facts that the doctor's turn asks about, in case order."""
    q = question_part(doctor_text)
    return tuple(f.id for f in case.facts
                 if fact_is_asked(f, _without_longer_keywords(f, (o for o in case.facts if o is not f), q)))


def _norm(text: str) -> str:
    return _PUNCT.sub("", text or "")


def fact_is_mentioned(fact: Fact, reply: str, known: str = "") -> bool:
    """Does ``reply`` state the fact? ``known`` is text already said (the opening, the question):
    words from it do not count as the patient volunteering anything."""
    r = _norm(reply)
    if not r:
        return False
    phrase = _norm(fact.patient)
    if phrase and phrase in r:
        return True
    known_tokens = content_tokens(known) if known else frozenset()
    numbers = set(_NUMBER.findall(fact.fact + fact.patient)) - set(_NUMBER.findall(known))
    if any(n in _NUMBER.findall(reply) for n in numbers if len(n) >= 2 or "." in n):
        return True
    evidence = (content_tokens(fact.fact) | content_tokens(fact.patient)) - known_tokens
    if not evidence:
        return False
    hits = evidence & content_tokens(reply)
    return len(hits) >= 2 or (len(hits) == 1 and len(evidence) <= 2)


def mentioned_facts(case: Case, reply: str, known: str = "") -> tuple[str, ...]:
    return tuple(f.id for f in case.facts if fact_is_mentioned(f, reply, known))


def keyword_hits(keywords: Iterable[str], text: str) -> bool:
    return any(k in (text or "") for k in keywords)
