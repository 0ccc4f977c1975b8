"""De-identification of Chinese medical dialogue text. Pure functions, no I/O.

What is redacted (token in brackets):

* ``phone`` [电话]: mobile numbers ``1[3-9]`` + 9 digits, optionally ``+86``/``0086``/``86`` in front and
  grouped 3-4-4 with spaces or dashes; landlines ``0`` + 2-3 digit area code (optionally in brackets)
  + 7-8 digits (optionally split 3/4-4); ``400``/``800`` service numbers.
* ``id_card`` [身份证]: 18-digit (last may be X) and 15-digit resident ID numbers. A number is only taken
  when its structure is plausible: first digit 1-9 and an embedded birth date with a real month and
  day (years 1900-2099 for 18 digits). The checksum is *not* required, because a mistyped ID is still
  personal data; the date check is what keeps order numbers and other long numbers untouched.
* ``email`` [邮箱].
* ``name`` [姓名]: names introduced by a pattern. *Strong* cues (姓名：, 名字是, 联系人：, 我叫, 他叫 ...)
  take the name that follows; *weak* cues (我是, 本人, 患者, 病人) only take a word that starts with a
  common surname, avoids characters that occur in medical/role words (医, 病, 孕, 热, 血 ...) and is
  followed by a boundary (punctuation, digit, 男/女, 的, 今年 ...). So 我是医生, 我是孕妇, 患者自诉,
  患者于3天前, 本人男 stay unchanged. Names found anywhere can then be replaced elsewhere in the same
  dialogue via ``known_names`` (see :func:`find_names`).

Digits inside medical text (doses, blood pressure, dates, temperatures, lab values) never match,
because every number pattern requires a digit count and shape those never have and is anchored so it
cannot start or end inside a longer number.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

TOKENS: dict[str, str] = {
    "phone": "[电话]",
    "id_card": "[身份证]",
    "email": "[邮箱]",
    "name": "[姓名]",
}


@dataclass(frozen=True)
class Redaction:
    kind: str
    original: str
    replacement: str
    start: int  # offsets in the *input* text
    end: int


# --- numbers -----------------------------------------------------------------------------------

_SEP = r"[ \-]?"
_MOBILE = rf"(?:(?:\+|00)?86[ \-]?)?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}"
_LANDLINE = r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[ \-]?(?:\d{7,8}|\d{3,4}[ \-]\d{4})"
_SERVICE = r"[48]00[ \-]?\d{3}[ \-]?\d{4}"
_DATE8 = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID18 = rf"[1-9]\d{{5}}{_SEP}{_DATE8}{_SEP}\d{{3}}[\dXx]"
_ID15 = rf"[1-9]\d{{5}}{_DATE6}\d{{3}}"
_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"

# One pass, left to right; at one position the first alternative wins (ID before phone).
_NUMBER_RE = re.compile(
    rf"(?<![\w.])(?:(?P<id_card>{_ID18}|{_ID15})|(?P<phone>{_MOBILE}|{_LANDLINE}|{_SERVICE}))(?![\w])",
    re.ASCII,
)
# Separate, and only run when the text has an "@": trying it at every ASCII character is the slow part.
_EMAIL_RE = re.compile(_EMAIL, re.ASCII)

# --- names -------------------------------------------------------------------------------------

_COMPOUND_SURNAMES = (
    "欧阳 司马 诸葛 上官 慕容 东方 令狐 皇甫 尉迟 公孙 夏侯 司徒 长孙 宇文 轩辕 端木 独孤 南宫 西门 "
    "澹台 呼延 百里 东郭 闻人 万俟 申屠 赫连 钟离 第五"
).split()
# Common single-character surnames. Left out on purpose: characters that are far more often function
# words at the start of a clause (于 和 向 从 有 时 常 过 自 在 也 就 都 还 能 把 被 让).
_SINGLE_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔汤易乔赖文庞樊兰殷施洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂焦柴纪齐祝邢岳单杭包卞柯阮"
    "骆宁蓝甘关梅裴辛霍凌卫耿解滕米柳欧盛童屈喻蒙符窦储岑晏邬宫茅祁计伏舒宣凤麦"
)

# Characters that do not occur (or almost never) in given names but do in the words that follow
# 我是/患者/本人 in medical text: roles, body/medical words, pronouns, function words, time words.
_NOT_GIVEN = set(
    "的了是在有和与及或不没也都就还又很太更最这那哪什么怎样吗呢吧啊呀嘛哦我你他她它们"
    "医生病患者孕妇护士家属男女岁年月日天周时分秒今昨前后个次片粒支瓶毫克升"
    "血压糖热烧痛疼炎症肿咳嗽吐泻药治疗检查手术住院门诊感冒发烧过敏头胸腹腰背腿脚手眼耳鼻喉口牙"
    "心肝脾肺肾胃肠脑骨皮肤科室号床级期型度性感觉得到被把给让从向于对因为所以但而且如果想要需要"
    "已经曾正刚才近来去说问答请谢该会能可以应该第说叫姓名字龄妈爸爷奶儿母父夫妻亲戚朋友同事学老师"
)
_NAME_CHAR = r"[\u4e00-\u9fff]"
# One regex for both kinds of cue (one scan per text); the group says which kind matched.
_CUE = re.compile(
    r"(?P<label>(?:姓名|名字|联系人|真名|全名)(?:是|叫|为)?[：:\s]*)"
    r"|(?P<surname>我姓)"
    r"|(?P<strong>(?:我|他|她|孩子|儿子|女儿|宝宝|老公|老婆|爱人|丈夫|妻子|妈妈|爸爸|母亲|父亲)(?:的名字)?叫(?:做)?)"
    r"|(?P<weak>我是|本人|患者|病人|病患)"
)
# What may follow a name introduced by a weak cue.
_WEAK_FOLLOW = set("的今男女是家在来住因现这先同和与说也已从平目近，,。.、；;：:！!？?（(）) \t\n")
_PLACEHOLDER_GIVEN = "某"
_LATIN_NAME = re.compile(r"[A-Z][a-z]+(?: [A-Z][a-z]+)?")


def _surname_len(text: str, i: int) -> int:
    if text[i : i + 2] in _COMPOUND_SURNAMES:
        return 2
    if i < len(text) and text[i] in _SINGLE_SURNAMES:
        return 1
    return 0


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _take_name(text: str, i: int, strong: bool) -> int:
    """End offset of a name starting at ``i``, or ``i`` when there is none."""
    n = len(text)
    if i >= n:
        return i
    if strong and text[i].isascii():
        m = _LATIN_NAME.match(text, i)
        return m.end() if m else i
    sl = _surname_len(text, i)
    if sl == 0:
        # Strong cues also accept the common 小X / 老X / 阿X nicknames; a label like 姓名： takes anything.
        if strong and text[i] in "小老阿" and i + 1 < n and _is_cjk(text[i + 1]) and text[i + 1] not in _NOT_GIVEN:
            sl = 1
        else:
            return i
    j = i + sl
    # Given name: one or two characters (greedy), or the 某/某某 placeholder.
    given_end = j
    while given_end < n and given_end - j < 2 and _is_cjk(text[given_end]) and text[given_end] not in _NOT_GIVEN:
        given_end += 1
    if given_end == j:
        return i
    if strong:
        return given_end
    # Weak cue: the name must be followed by a boundary; try the longer reading first.
    for end in range(given_end, j, -1):
        if end >= n or text[end] in _WEAK_FOLLOW or not _is_cjk(text[end]) and not text[end].isalpha():
            return end
    return i


def find_names(text: str) -> list[tuple[int, int]]:
    """Spans of names introduced by a cue in ``text`` (see the module docstring)."""
    spans: list[tuple[int, int]] = []
    for m in _CUE.finditer(text):
        start = m.end()
        kind = m.lastgroup
        if kind == "surname":
            end = start + _surname_len(text, start)
        elif kind == "label":
            end = _take_label_value(text, start)
        else:
            end = _take_name(text, start, kind == "strong")
        if end > start:
            spans.append((start, end))
    return spans


def _take_label_value(text: str, i: int) -> int:
    """After an explicit label (姓名：) any 2-4 CJK characters, or a Latin name, are the name."""
    if i < len(text) and text[i].isascii():
        m = _LATIN_NAME.match(text, i)
        return m.end() if m else i
    j = i
    while j < len(text) and j - i < 4 and _is_cjk(text[j]) and text[j] not in "的是，。":
        j += 1
    return j if j - i >= 2 else i


def deidentify(text: str, known_names: Iterable[str] = ()) -> tuple[str, list[Redaction]]:
    """Replace personal data in ``text`` by tokens such as [电话]; return the text and the redactions.

    ``known_names`` (names found elsewhere in the same dialogue, at least two characters) are also
    replaced wherever they occur.
    """
    return redact(text, find_names(text), known_names)


def redact(
    text: str, name_spans: Iterable[tuple[int, int]], known_names: Iterable[str] = ()
) -> tuple[str, list[Redaction]]:
    """:func:`deidentify` with the cue-introduced name spans already found (by :func:`find_names`)."""
    spans: list[tuple[int, int, str]] = []
    if "@" in text:
        spans.extend((m.start(), m.end(), "email") for m in _EMAIL_RE.finditer(text))
    for m in _NUMBER_RE.finditer(text):
        spans.append((m.start(), m.end(), m.lastgroup or "phone"))
    for s, e in name_spans:
        spans.append((s, e, "name"))
    for name in {n for n in known_names if len(n) >= 2}:
        start = text.find(name)
        while start != -1:
            spans.append((start, start + len(name), "name"))
            start = text.find(name, start + len(name))
    if not spans:
        return text, []
    # Resolve overlaps: earliest start wins, then the longest span.
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[str] = []
    redactions: list[Redaction] = []
    pos = 0
    for s, e, kind in spans:
        if s < pos:
            continue
        out.append(text[pos:s])
        token = TOKENS[kind]
        out.append(token)
        redactions.append(Redaction(kind, text[s:e], token, s, e))
        pos = e
    out.append(text[pos:])
    return "".join(out), redactions


def names_in(texts: Iterable[str]) -> set[str]:
    """Every name (two characters or more) introduced by a cue in any of ``texts``."""
    found: set[str] = set()
    for t in texts:
        for s, e in find_names(t):
            if e - s >= 2:
                found.add(t[s:e])
    return found


@dataclass
class DeidReport:
    """Counts of what was redacted, per kind and per field. Never holds the original values."""

    enabled: bool = True
    texts_seen: int = 0
    texts_changed: int = 0
    by_kind: Counter = field(default_factory=Counter)
    by_field: Counter = field(default_factory=Counter)

    def add(self, field_name: str, redactions: list[Redaction]) -> None:
        self.texts_seen += 1
        if redactions:
            self.texts_changed += 1
            for r in redactions:
                self.by_kind[r.kind] += 1
                self.by_field[field_name] += 1

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def to_dict(self) -> dict:
        return {
            "enabled": self.enabled,
            "texts_seen": self.texts_seen,
            "texts_changed": self.texts_changed,
            "redactions": self.total,
            "by_kind": dict(sorted(self.by_kind.items())),
            "by_field": dict(sorted(self.by_field.items())),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_markdown(self) -> str:
        if not self.enabled:
            return "De-identification: **off** (texts exported as stored)."
        lines = [
            f"De-identification: **on**. {self.total} redactions in {self.texts_changed} of "
            f"{self.texts_seen} distinct texts.",
            "",
            "| kind | token | count |",
            "|---|---|---|",
        ]
        for kind in TOKENS:
            lines.append(f"| {kind} | {TOKENS[kind]} | {self.by_kind.get(kind, 0)} |")
        return "\n".join(lines)
