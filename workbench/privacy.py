"""De-identification of Chinese medical dialogue text. Pure functions, no I/O besides the vocabulary.

Every span found has a label from :data:`LABELS` and is replaced by that label's token (:data:`TOKENS`):

* ``phone`` mobile (``1[3-9]`` + 9 digits, spaced, dashed, full-width or with ``+86``), landline, 400/800.
* ``id_number`` resident ID (18 digits whose birth date is real and whose check digit is right, or any
  such number after 身份证/证件 or in a sentence about the ID card; 15 digits after a cue), passport and travel-permit numbers after their cue.
* ``email``, ``ip`` (IPv4 with octets <= 255, full IPv6), ``plate`` (province + letter + 5-6 characters).
* ``account`` bank cards (16-19 digits passing the Luhn check, or any card number after 卡号/银行卡),
  WeChat/QQ/Alipay ids and insurance numbers (医保卡号, 社保卡号) after their cue.
* ``record_number`` hospital numbers after their cue (住院号, 病历号, 门诊号, 病案号, 就诊卡号 ...).
* ``date_of_birth`` a date after 出生日期/生日/生于, or followed by 出生/生人.
* ``address`` a chain of at least two place parts (省, 市, 区/县, 镇/乡, 村/小区, 路/街 + 号 ...); English street
  addresses (1208 Maple Street, Springfield).
* ``other`` staff and student numbers after their cue (工号, 学号).
* ``name`` see :func:`find_names`: jieba's tokens and POS tags, a surname list, context cues (before and
  after the name), lists of people, compound surnames, transliterations, and a medical vocabulary (``workbench/data/medical_terms.txt``) that is never taken for a name.

The flat export tables are de-identified here too (:func:`deidentify_table`, :func:`redact_dialogue_names`).

Full-width characters are read as their ASCII forms (offsets are unchanged). Each distinct text is
analysed once per process (a bounded memo), so exports that repeat a text pay for it once.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.annotate.zh_variants import to_simplified
from workbench.plural import counted, plural

if TYPE_CHECKING:
    import pandas as pd

LABELS: tuple[str, ...] = ("name", "phone", "id_number", "email", "address", "record_number", "account",
                           "date_of_birth", "plate", "ip", "other")
TOKENS: dict[str, str] = {
    "name": "[姓名]",
    "phone": "[电话]",
    "id_number": "[证件号]",
    "email": "[邮箱]",
    "address": "[地址]",
    "record_number": "[病历号]",
    "account": "[账号]",
    "date_of_birth": "[出生日期]",
    "plate": "[车牌]",
    "ip": "[IP]",
    "other": "[编号]",
}
LIMITS = (
    "Limits: de-identification is automatic and rule-based. It finds phone, ID-card and record numbers, e-mail "
    "addresses and names introduced by cues, and misses personal data it has no pattern for (a name mentioned "
    "with no cue and known to the tokenizer's dictionary, an address without a street number or second place "
    "part, an identifier without its cue word such as a bare WeChat id, details that identify a person only in "
    "combination) and may rarely replace an ordinary word."
)
#: The same for the exports' thorough mode (workbench.privacy_model): the rules' limits would contradict it.
LIMITS_THOROUGH = (
    "Limits: de-identification is automatic: the rules, plus a learned tagger that adds names and accounts the "
    "rules have no cue for (on three rounds of text neither had seen it found 80-85% of names where the rules "
    "alone found 71-76%, replacing ordinary words a little more often). It still misses some names, addresses without a "
    "street number or second place part, identifiers without their cue word, and details that identify a "
    "person only in combination."
)
#: The method of an export de-identified with the rules alone, as its report names it.
RULES_METHOD = "rules"
MEDICAL_TERMS_FILE = Path(__file__).resolve().parent / "data" / "medical_terms.txt"
ORDINARY_NAME_WORDS_FILE = Path(__file__).resolve().parent / "data" / "ordinary_name_words.txt"


@dataclass(frozen=True)
class Redaction:
    kind: str
    original: str
    replacement: str
    start: int  # offsets in the *input* text
    end: int


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str
    confident: bool = True  # names only: safe to look for elsewhere in the same dialogue


# --- normalisation ---------------------------------------------------------------------------------

# Full-width ASCII (！..～) and the ideographic space map one-to-one onto ASCII: offsets stay valid.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x2014: 0x2D, 0x2012: 0x2D,
                                                                   0x2013: 0x2D, 0x2212: 0x2D}


_HAS_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000\u2012-\u2014\u2212]")


def normalize(text: str) -> str:
    """``text`` with full-width digits, letters and punctuation as ASCII; same length, same offsets."""
    return text.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(text) else text


# Traditional characters of names, places and the cues around personal data that the consultation table
# (zh_variants) leaves out: 鄭美玲, 護照號碼, 住院號, 臺北市. One character for one, so offsets hold.
_TRADITIONAL_PAIRS = (
    "馬马曉晓陳陈劉刘楊杨趙赵吳吴許许鄭郑鄧邓蕭萧羅罗盧卢馮冯葉叶蘇苏魯鲁譚谭韓韩龍龙賈贾錢钱孫孙鍾钟閻阎聶聂陸陆鄒邹"
    "賴赖顧顾蔣蒋賀贺龔龚喬乔麗丽華华偉伟軍军鳳凤蘭兰傑杰輝辉東东國国興兴寶宝榮荣貴贵鵬鹏濤涛紹绍詩诗嬌娇瑩莹"
    "艷艳齊齐藍蓝鄉乡縣县鎮镇樓楼戶户層层園园滬沪粵粤遼辽贛赣閩闽雲云陝陕寧宁瓊琼臺台灣湾車车帳账銀银郵邮聯联"
    "繫系絡络碼码費费姓姓廳厅鋼钢鐵铁橋桥灣湾館馆廟庙島岛嶺岭嶽岳衝冲壩坝莊庄圓圆號号蓮莲瓏珑倫伦嵐岚綺绮潔洁"
    "慧慧倩倩萊莱瑋玮琳琳鈞钧銘铭錦锦顥颢穎颖豐丰進进達达義义禮礼孝孝薩萨爾尔麥麦買买熱热組组團团隊队區区"
    "編编嬤嬷譯译"
    # a herb's and a certificate's characters, a surname (何首烏, 當歸, 醫師證書字號, 鄺志明)
    "烏乌當当書书鄺邝"
    # a licence (醫生執照編號)
    "執执"
)
_TRADITIONAL_TABLE = str.maketrans({_TRADITIONAL_PAIRS[i]: _TRADITIONAL_PAIRS[i + 1]
                                    for i in range(0, len(_TRADITIONAL_PAIRS), 2)
                                    if _TRADITIONAL_PAIRS[i] != _TRADITIONAL_PAIRS[i + 1]} | {"俺": "我"})


# Folded for the rules only (see _rules_view), not in the tagger's view: a character added to simplified_view changes
# what the tagger is trained on, and so every score it gives
_RULES_ONLY_PAIRS = (
    # a transliterated name's and a domestic helper's characters (瑪麗亞·桑托斯, 菲律賓籍家傭)
    "瑪玛亞亚賓宾傭佣納纳諾诺歐欧凱凯絲丝"
    # an address's (廈門市…湖濱南路…國貿大廈)
    "廈厦貿贸濱滨"
)
_RULES_ONLY_TABLE = str.maketrans({_RULES_ONLY_PAIRS[i]: _RULES_ONLY_PAIRS[i + 1] for i in range(0, len(_RULES_ONLY_PAIRS), 2)})


def _rules_view(norm: str) -> str:
    """:func:`simplified_view` with the rules' own further folds; same length, same offsets."""
    return simplified_view(norm).translate(_RULES_ONLY_TABLE)


def simplified_view(norm: str) -> str:
    """``norm`` with traditional characters as simplified ones (every rule is written in simplified Chinese),
    and the northern dialect's 俺 as 我 (俺叫刘铁柱, 俺娘); same length, same offsets."""
    return to_simplified(norm).translate(_TRADITIONAL_TABLE)


# Separators people (or pasted text) put inside numbers that the number rules do not know: odd spaces,
# hyphens and interpuncts (138·1234·5678, 138\u00a01234\u00a05678; invisible characters are taken out before
# any rule runs, see detect). The number rules read them as a space or a hyphen; names never see this view
# (an interpunct joins a transliterated name), and one character stays one character, so offsets hold.
_NUMBER_SEPARATORS = (
    dict.fromkeys(map(ord, "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"), 0x20)
    | dict.fromkeys(map(ord, "\u2010\u2011\u2015\ufe63\u2043\u00b7\u2022\u30fb\u2027"), 0x2D)
)
_HAS_NUMBER_SEPARATOR = re.compile("[\u00a0\u2002-\u200a\u202f\u205f\u2010\u2011\u2015\ufe63\u2043\u00b7\u2022"
                                   "\u30fb\u2027]")


# A number read out, as a call's transcript writes it (幺三八 幺二三四 五六七八, 住院号是幺零二八三七四五): five
# digits or more, alone or in groups, are digits to the number rules. Shorter runs are words or counts (一二三,
# 三四天); a year read out (一九八五年) is left to the date rules.
_SPOKEN_DIGITS = str.maketrans("零〇幺一二三四五六七八九", "001123456789")
_SPOKEN_RUN = re.compile(r"[零〇幺一二三四五六七八九](?:[ ]?[零〇幺一二三四五六七八九]){4,}")


def numbers_view(norm: str) -> str:
    """``norm`` (normalized) with the odd separators above as a space or a hyphen and numbers read out as
    digits, for the number rules (one character for one: offsets hold)."""
    if _HAS_NUMBER_SEPARATOR.search(norm):
        norm = norm.translate(_NUMBER_SEPARATORS)
    if _SPOKEN_RUN.search(norm):
        norm = _SPOKEN_RUN.sub(lambda m: m.group().translate(_SPOKEN_DIGITS), norm)
    if _OCR_ZERO.search(norm):
        norm = _OCR_ZERO.sub(lambda m: m.group(1) + "0", norm)
    return norm


# A scanned number's zero read as a letter O or as 〇 (3301O61965…, 137-〇192-5538): a digit between digits.
_OCR_ZERO = re.compile(r"(\d[ \-]?)[Oo〇](?=[ \-]?\d)")


# A bilingual form's English field name between the Chinese one and its colon (姓名 Name: 周建国, 医师签名
# Physician: 胡志强, 紧急联系人 Emergency Contact: 周丽): the rules read it as spaces, so the Chinese cue meets its
# value and the English words are never taken for a name or an account. Only words a form's fields are made of,
# so a name after a Chinese word (我男朋友 Kevin: …) is kept.
_FIELD_WORDS = (
    "name|names|pinyin|full|first|last|given|family|surname|sex|gender|age|dob|date|birth|of|id|no|number|tel"
    "|telephone|phone|mobile|cell|e-mail|email|address|home|contact|emergency|patient|physician|doctor|dr|nurse"
    "|guardian|parent|relationship|relation|insured|claimant|applicant|payee|account|bank|card|holder|student|staff"
    "|employee|exam|examination|opd|ipd|pacs|mrn|hkid|wechat|qq|passport|nationality|school|hospital|seal|signature"
    "|signed|sign|dept|department|ward|bed|diagnosis|follow-up|visit|admission|discharge|record|medical|case|policy"
    "|member|insurance|social|security|plate|vehicle|license|licence|ip|occupation|employer|company|unit|type"
    "|category|claim|reason|report|reporter|reviewed|checked|by|referral|referred|outpatient|inpatient|lab|specimen"
    "|sample|accession|invoice|receipt|rest|advised|reg|registration|issued|issuing|authority|code|sign-off")
_FIELD_LABEL = re.compile(rf"(?<=[\u4e00-\u9fff])[ \t]*(?:{_FIELD_WORDS})\.?(?:[ \t./\-]*(?:(?:{_FIELD_WORDS})\.?|\([A-Za-z ]+\)))*"
                          r"[ \t]*(?=[:：])", re.IGNORECASE)


def _blank_field_labels(norm: str) -> str:
    if ":" not in norm and "：" not in norm:
        return norm
    return _FIELD_LABEL.sub(lambda m: " " * len(m.group()), norm)


# --- numbers and identifiers -------------------------------------------------------------------------

_B = r"(?<![0-9A-Za-z])"  # not inside a longer number or word
_E = r"(?![0-9A-Za-z])"
_CN_DIGIT = "零〇一二三四五六七八九幺"
_MOBILE = r"(?:(?:\+|00)?86[ \-]?)?1[ \-]?[3-9](?:[ \-]?\d){9}|1[3-9]\d\.\d{4}\.\d{4}"  # also 159.8765.4321
_LANDLINE = r"(?:\(0\d{1,3}\)|0\d{2,3})[ \-]?(?:\d{7,8}|\d{3,4}[ \-]\d{4})(?:(?:转|分机|ext\.? ?)\d{1,5}|-\d{3,5})?"  # (…7741-3306: an extension)
_SERVICE = r"[48]00[ \-]?\d{3}[ \-]?\d{4}"
# +852 6123 8890, +853 6612 3456, +886 912 345 678: Hong Kong, Macau and Taiwan numbers with their country code;
# a Taiwan landline by its two-digit area code (06-2583317: no mainland code has two digits)
_HK_MO_TW = r"09\d{2}-\d{3}-\d{3}|0[2-8]-\d{4}-\d{4}|0[2-8]-(?!(?:19|20)\d{6}(?!\d))[2-9]\d{6,7}|(?:\+|00)85[23][ \-]?\d{4}[ \-]?\d{4}|(?:\+|00)886[ \-]?9\d{2}[ \-]?\d{3}[ \-]?\d{3}"
# A unit right after the digits makes them a measurement (载量15800000000拷贝/ml), not a phone number.
_MEASURE_UNIT = r"(?:拷贝|copies|IU/|IU\s*/|iu/|U/|个/|/m[lL]|/L|mg|ml|mL|μg|ng/|pg/|mmol|%)"
# North American numbers: (415) 555-0132, 415-555-0132, +1 415 555 0132 (separators required: a bare ten-digit
# number is left to the rules above).
# Any other country's number written with its code (+60 12-345 6789, +44 20 7946 0958): eight digits at least
_INTERNATIONAL = r"\+(?:[2-9]\d{0,2})[ \-](?=(?:[ \-]?\d){8})\d{1,4}(?:[ \-]\d{2,6}){1,3}"  # (+44 7700 900583)
_NANP = r"(?:\+?1[ .\-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .\-])\d{3}[ .\-]\d{4}"
_PHONE_RE = re.compile(
    rf"(?<![\d.])(?<!\d[ \-])(?:{_HK_MO_TW}|{_MOBILE}|{_LANDLINE}|{_SERVICE}|{_NANP}|{_INTERNATIONAL})(?![ \-]?\d)(?!\s*{_MEASURE_UNIT})"
    rf"|(?<![{_CN_DIGIT}])[一幺][三四五六七八九][{_CN_DIGIT}]{{9}}(?![{_CN_DIGIT}])"
)
# What every phone number _PHONE_RE takes contains (a mobile's 1 and second digit, a landline's or service
# number's 0 and the digit after it, the spelt-out 一/幺 and second digit): _PHONE_RE itself starts with
# look-behinds, which leave the regex engine no first character to skip ahead to.
# 接种门诊电话83296615: a local number without its area code, after the word for telephone
# (手提6123 8876: a Hong Kong mobile, eight digits, after the Cantonese word for one; 我WhatsApp係5633 9018: the
# number a chat app is reached at; 佢個號碼係9386 2154, 手機6123 8876: whose number it is, or the mobile's own word)
_CUED_LOCAL_PHONE = re.compile(r"(?:电话|電話|手提|手机|手機|打我|打给我|打俾我|Tel|TEL|WhatsApp|whatsapp"
                               r"|(?<=[佢他她你我][个個嘅的])(?:号码|號碼))(?:号码|号)?(?:是|为|係|系|:|：|\s)*(?P<v>(?<!\d)[2-9]\d{2,3}[ \-]?\d{4})(?![\d.])")
# A scanned form's number with a space between every digit (联系电话：0 1 0 - 6 2 7 5 3 3 8 1), after the word for
# telephone: seven to fifteen digits
_CUED_SPACED_PHONE = re.compile(r"(?:电话|電話|手机|手機|Tel|TEL)(?:号码|号)?(?:是|为|:|：|\s)*"
                                r"(?P<v>(?<![\d\-])\d(?: ?[ \-] ?\d){6,14})(?![\d.\-])")
# My UK mobile is +44 7700 900481, mobile 0491 570 156: a number after an English phone word, in any grouping
_CUED_INTL_PHONE = re.compile(r"(?i:mobile|cell|phone|tel)(?:\s*(?:no\.?|number|#))?\s*(?:is|是|:|：)?\s*"
                              r"(?P<v>(?<![\d\-])\+?\d{1,4}(?:[ \-]\d{2,6}){1,4})(?![\d\-])")
_PHONE_GATE = re.compile(r"1[ \-]?[3-9]|0\d|[一幺][三四五六七八九]|[2-9]\d{2}[ .\-)]|\+\d")
_DATE8 = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID_RE = re.compile(rf"{_B}(?:[1-9]\d{{5}}[ \-]?{_DATE8}[ \-]?\d{{3}}[\dXx]|[1-9]\d{{5}}{_DATE6}\d{{3}}){_E}")
# The same 18 characters read out in groups of four (3201 0219 9011 0523 45): the date checked once joined.
_ID_GROUPED_RE = re.compile(rf"{_B}[1-9]\d{{3}}(?:[ \-]\d{{4}}){{3}}[ \-]\d[\dXx]{_E}")
# After an ID cue, the 18 characters in any grouping (230102 1974 0809 1531, 450103 198811 230448)
_ID_ANY_GROUPING = re.compile(rf"{_B}[1-9](?:[ \-]?\d){{16}}[ \-]?[\dXx]{_E}")
_ID_CUE_GATE = re.compile(r"身份|证件|card", re.IGNORECASE)  # where _ID_CUE can match at all
_ID_DIGITS = re.compile(rf"[1-9]\d{{5}}{_DATE8}\d{{3}}[\dXx]")
_ID_CUE = re.compile(r"(?:身份证|证件|公民身份|ID ?card|id ?card)[^，。；;！？\n]{0,8}$", re.IGNORECASE)
# 身份证后面那位打错了，应该是…: an ID-shaped number (region, real birth date) in a sentence about an ID card,
# whatever its check digit: a mistyped one is still the person's.
_ID_SENTENCE_CUE = re.compile(r"(?:身份证|证件号)[^。！？!?\n]*$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# A 19-digit card is also written in groups of 4-4-4-4-3 (the tail is tried with the number and without).
_CARD_RE = re.compile(rf"{_B}[3-6]\d{{3}}(?:[ \-]?\d{{4}}){{2}}[ \-]?\d{{4,7}}(?P<tail>[ \-]\d{{1,3}})?{_E}")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", re.ASCII)
# An address written so that robots miss it (lx2008#qq.com, name(at)163.com): a mail domain after the stand-in.
_HIDDEN_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+ ?(?:#|\(at\)|\[at\]|艾特) ?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*"
    r"\.(?:com|cn|net|org|edu|gov)(?:\.cn)?(?![A-Za-z0-9])")
# An address read out in a call (zhangwei1983 at 一六三 点 com, wangli 艾特 qq dot com): a mail provider's name, or
# any domain after an e-mail cue (邮箱 …), so "look at this dot com" stays
_MAIL_PROVIDER = r"(?:qq|163|126|139|gmail|sina|sohu|yeah|hotmail|outlook|foxmail|yahoo|icloud|aliyun|一六三|幺六三|一二六|幺二六|一三九|幺三九)"
_SPOKEN_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])(?P<local>[A-Za-z0-9._%+\-]{2,40}"
    # (q i h a i y a n 八六 at 163 点 com: spelt out letter by letter, the digits said in Chinese)
    r"|[A-Za-z0-9](?: [A-Za-z0-9._\-]| ?[零〇幺一二三四五六七八九]{1,4}){2,40}) ?(?:\bat\b|艾特|圈a|圈A) ?(?P<domain>[A-Za-z0-9\-零〇幺一二三四五六七八九]+)"
    r"(?: ?(?:点|dot|\.) ?[A-Za-z0-9\-]+)*? ?(?:点|dot) ?(?:com|cn|net|org|edu|gov)(?: ?(?:点|dot) ?cn)?(?![A-Za-z0-9])",
    re.IGNORECASE)
_EMAIL_CUE = re.compile(r"邮箱|邮件|e-?mail|mail", re.IGNORECASE)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IP_RE = re.compile(rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d.])|{_B}(?:[0-9A-Fa-f]{{1,4}}:){{7}}[0-9A-Fa-f]{{1,4}}{_E}"
                    # compressed (2408:8207::1f): "::" and at least three groups
                    rf"|{_B}(?:[0-9A-Fa-f]{{1,4}}:){{2,6}}(?::[0-9A-Fa-f]{{1,4}}){{1,5}}{_E}"
                    rf"|{_B}(?:[0-9A-Fa-f]{{1,4}}:){{1,6}}(?::[0-9A-Fa-f]{{1,4}}){{2,5}}{_E}")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_DIGIT_DOT_DIGIT = re.compile(r"\d\.\d")
# 软件版本 6.1.10.235, version 10.0.19045.1: four numbers of a version, no address
_VERSION_BEFORE = re.compile(r"(?:版本|版本号|[Vv]ersion|\b[Vv]\.?|[Bb]uild)\s*(?:号)?\s*[:：]?\s*$")  # in every IPv4 address _IP_RE takes (octets are digits)
_PLATE_RE = re.compile(rf"[{_PROVINCES}][A-Z][·• \-]?(?:[A-HJ-NP-Z0-9]{{5,6}}{_E}|[A-HJ-NP-Z0-9]{{4}}警)")  # (云A·3278警: a police car)
# After 车牌 a plate typed in lower case (沪a12345) is one too.
_CUED_PLATE = re.compile(rf"车牌(?:号码|号)?(?:是|为|:|：|\s)*(?P<v>[{_PROVINCES}][A-Za-z][·• \-]?[A-HJ-NP-Za-hj-np-z0-9]{{5,6}}"
                         # a Macau plate (車牌MX-47-21)
                         rf"|M[A-Z]-\d{{2}}-\d{{2}}){_E}")
# 架車PW 7281泊咗喺咪錶位: a Hong Kong plate, two letters and up to four digits, after the car it is on (架车/部车
# in Cantonese) or 车牌; after 车牌 also a Malaysian or Singapore plate, one to three letters, up to four digits and
# maybe a check letter (车牌WXY 8823, SGX1234A)
_CUED_HK_PLATE = re.compile(r"(?:车牌|[架部]车|的车)(?:号码|号)?(?:是|为|係|:|：|\s)*(?P<v>(?<![A-Za-z])(?!SUV|MPV)[A-Z]{2,3} ?\d{1,4})(?![\dA-Za-z])"
                            r"|车牌(?:号码|号)?(?:是|为|:|：|\s)*(?P<w>(?<![A-Za-z])[A-Z]{1,3} ?\d{1,4}[A-Z]?)(?![\dA-Za-z])")

# A cue, optional 号/码/是/:, then the value. One regex per label; the cue itself is never redacted.
_CUE_GAP = (r"(?:上头|上面|上边)?的?(?:个人)?(?:号码|编号|编码|卡号|号|码|ID|id)?(?:吧|呢)?"
            # a handover's list of belongings: 护照 1 本（E83920147）; what is said before the number is read out:
            # 病历号我念一下哈：…
            r"(?:\s*\d\s*(?:本|张|份|个)\s*[（(]|[我你您]?(?:念|报|读|说)一下(?:哈|啊|吧)?[:：]"
            # or sent in a chat (就诊卡号发您：6100237845)
            r"|发(?:给)?[我你您][:：])?"
            # a bilingual form's English field name before the colon (门诊号 OPD No.: MZ0098712)
            r"(?:[ \t]*[A-Za-z][A-Za-z./()\-]*(?:[ \t]+[A-Za-z][A-Za-z./()\-]*){0,3}[ \t]*(?=[:：]))?"
            # and a call transcript's fillers (病历号 嗯 一二八 三七四 六)
            r"(?:是|为|係|系|叫|:|：|=|#|\||｜|\s|\bis\b|嗯|呃|那个|就是)*")  # 医保个人编号; | 条码号 | 1203… |
_CUED: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("record_number", re.compile(
        r"(?:(?:住院|门诊|急诊|病历|病案|就诊|诊疗|登记(?!卡号)|检查|检验|检测|化验|标本|样本|条码|影像|放射|病理|超声|档案|挂号|患者|病人|报告|体检"
        r"|切片|照相|处方|医院(?=编号)|(?<![药名卡])片(?=号)"
        r"|Holter|PACS|CT|MRI|DR|B超|心电图"
        # a maternity booklet's and a chest film's numbers (建册号YC2024-0217, X光号DR240611-0092)
        r"|建册|X光|X线"
        # a maternity record's filing number (产科建档号CK2024-00871)
        r"|建档"
        # a counselling or social-work case (个案编号XL-2024-0419)
        r"|个案"
        # a forensic appraisal's number (鉴定编号乌公鉴（临）字〔2024〕0317号)
        r"|鉴定|鑑定)"
        r"(?:病历|卡|单|编)?(?:号|ID|id|编号)|处方笺?\s*(?:No|NO|№)\.?|标本条码|样本条码"
        # (条码L2405130417: a specimen's barcode, a letter or two and a run of digits; a product's is digits only)
        r"|(?<![商产货])条码(?=[A-Z]{1,2}\d{8,12}(?![\dA-Za-z]))|(?:就诊|诊疗|病历|医疗)卡(?:\s*[（(]\s*卡号)?|ID号|id号|\bMRN|[Mm]edical record (?:number|no\.?)"
        r"|\b(?:[Ii]npatient|[Oo]utpatient|[Aa]dmission|[Hh]ospital|[Cc]ase)\s*(?:[Nn]o\.?|[Nn]umber|#)"
        # a system log's key (patient_id=ZY20240309112, mrn=…)
        r"|\b(?:patient|case|visit|encounter|admission)_?(?:id|no)\b|\bmrn\b"
        # a device report's header (ECG-1250 | 姓名:… | ID:E0240612033 |, Pat.ID: 00472318)
        r"|\bPat(?:ient)?\.?\s?ID\b|(?<=[|｜])\s*ID(?=\s*[:：])"
        r"|\b(?:[Ss]pecimen|[Ss]ample|[Aa]ccession|[Ll]ab)\s*(?:ID|[Nn]o\.?|[Nn]umber|#))"
        + _CUE_GAP
        # 1203 4456, MZ0098712, CT 2024 0511 023 (letters, then digits read out in groups), HN11782345(2)
        + r"(?P<v>(?:[A-Za-z]{1,4} ?)?\d{3,6}(?: \d{2,6}){1,4}|(?:[A-Za-z]{1,6}-){0,2}[A-Za-z]{0,4}[ \-]?\d[\dA-Za-z\-]{2,24}(?:\(\d\))?"
        # a scanned form's digits with spaces between them (病历号：00 1 2 4 5 8 9 6)
        r"|\d{1,2}(?: \d{1,2}){4,15}"
        # (乌公鉴（临）字〔2024〕0317号: an office's abbreviation, the year in brackets and the number)
        r"|[\u4e00-\u9fff]{1,6}(?:[（(][\u4e00-\u9fff]{1,2}[)）])?字?[〔\[［]\d{4}[〕\]］]\d{1,6}号)" + _E)),
    ("account", re.compile(
        # (支付宝（UID 2088…）: an Alipay user id)
        r"(?:微信|weixin|WeChat|wechat|(?<![A-Za-z0-9_])(?:VX|vx|WX|wx)(?![A-Za-z0-9_])|QQ|qq|扣扣|支付宝|\bUID\b|银行卡|储蓄卡"
        r"|信用卡|借记卡|(?<!会员)(?<!登记)(?<!积分)(?<!健保)卡号|账号|帐号|账户|帐户|医保卡|社保卡|社保电脑号|电脑号|医保|社保|医疗保险|参保|保单|新农合证|新农合"
        # (新农合证号4527…, 社會保障基金編號0348871265: Macau's social security fund)
        r"|社[会會]保障(?:基金)?"
        # a travel insurer's policy
        r"|\b[Pp]olicy\s*(?:number|no\.?|#)"
        # mixed Singapore/Malaysia writing: 我的保险policy号码PL-20387716
        r"|[Pp]olicy(?=\s*(?:号码|号|编号))"
        # an insurer's member ID (Member ID XKJ884512307), an account like its policy
        r"|\b[Mm]ember\s*(?:ID|[Nn]o\.?|#)"
        # 参合证号: the rural cooperative scheme's card
        r"|(?:合作医疗|新农合)证\s*证号|(?:家庭)?户编号|参合证|合作医疗证|这张卡|加V|加v|V信|v信"
        r"|薇信|威信|抖音|快手|小红书|微博|B站|b站|哔哩哔哩|bilibili|知乎|钉钉|飞书|推特|Twitter|twitter|Instagram"
        r"|instagram|Facebook|facebook|Telegram|telegram|WhatsApp|whatsapp|Skype|skype"
        # a user name in a system or an app (用户名是xiaoyu_mama, 用户dr_wang03 登录)
        r"|用户名|登录名|登陆名|昵称|用户(?=\s?[A-Za-z])|个人编号"
        # (用户ID：fit_20931857: the English field word is blanked before the cues are read)
        r"|用户\s*(?=[:：]\s*[A-Za-z0-9_\-]*[\d_])"
        # a server log's user (login failed for user wangyf_1984), a LINE ID (LINE ID：lin_mama0722)
        r"|(?i:\buser(?:name)?\b)(?=\s*[:=]?\s*[A-Za-z0-9_\-]*[\d_])|(?<![A-Za-z])(?:LINE|Line)\s*ID(?![A-Za-z])"
        # (聯絡方式LINE：peijung0509: the app's name in capitals is its id's cue alone)
        r"|(?<![A-Za-z])LINE(?![A-Za-z])"
        # a long-term-care insurance number (长期护理保险号GZ-LTC-0045821)
        r"|保险号"
        # a payment record's account holder, masked (账户名*丽华)
        r"|(?:账户|帐户|收款人|付款人)?户?名(?=[*＊]))" + _CUE_GAP
        # a masked card or account number (卡号6217 00** **** 4418, 账号139****2207) and a masked holder's name
        + r"(?P<v>\d{3,6}(?: ?\d{1,4})?(?: ?[*＊]{2,8}){1,4} ?\d{2,4}|[*＊]{1,3}[\u4e00-\u9fff]{1,3}(?=[，,。；;\s]|$)"
        r"|\d{4}(?:[ \-]\d{1,6}){2,4}|[A-Za-z0-9]+(?:下划线[A-Za-z0-9]+)+|[A-Za-z0-9][A-Za-z0-9_\-]{4,29}|@(?![了过着]|一下)[A-Za-z0-9_\-\u4e00-\u9fff]{2,30})" + _E)),
    ("id_number", re.compile(
        r"(?:护照|通行证|签证|军官证|驾驶证|驾照|回乡证|台胞证|澳[门門](?:居民)?身份[证證]|\bSSN|[Ss]ocial [Ss]ecurity (?:number|no\.?)"
        r"|\b[Pp]assport(?:\s*(?:[Nn]o\.?|[Nn]umber|#))?|(?<![A-Za-z])NHS\s*(?:[Nn]o\.?|[Nn]umber)|(?<![A-Za-z])NHS(?=\s*(?:号码|编号|号))"
        # an Australian Medicare and an Ontario health card number, a national health number like the NHS's
        # (她的NHS号码是…, 外婆的 OHIP 号码5584-486-674-YM: after Chinese, where \b does not part the words)
        r"|(?<![A-Za-z])(?:Medicare|OHIP)(?:\s*(?:[Nn]umber|[Nn]o\.?|#|[Cc]ard))?\s*"
        # a Singapore NRIC or FIN, a Malaysian MyKad, named as such (a mistyped check letter is still one)
        r"|\bNRIC|\bFIN(?![A-Za-z])|MyKad"
        # a residence permit (居留许可E39017752) and Japan's individual number (个人编号（My Number）4827 3391 0652)
        r"|居留(?:许可|許可|证|證)(?:号码|號碼|号|號)?|(?<![A-Za-z])My ?Number(?:\s*[)）])?|マイナンバー"
        # Taiwan's national health insurance card (健保卡號0000 4127 3385), like the NHS's number
        r"|健保卡(?:号码|号)?"
        # other countries' national ID numbers by their labels: Hong Kong's in English, Indonesia's NIK, Kazakhstan's
        # ИИН, Thailand's ID card (HKID K463287(1), NIK 3174056203850004, ИИН 850614301257)
        r"|(?<![A-Za-z])(?:HKID|NIK|KTP|IIN)(?![A-Za-z])|(?<![А-Яа-я])ИИН(?![А-Яа-я])"
        # 香港身份證號碼：Y547362(8), 身分證字號：F228713546: named as such, a mistyped check character is still one
        # (澳門居民…，身份證1357924(6): a Macau ID's shape after 身份证 whatever comes before)
        r"|身[份分]证(?:字号|号码|号)?(?=\s*[:：]?\s*(?:[A-Z]|[157]\d{6}\s?[（(]\d[)）])))" + _CUE_GAP
        # (回鄉證號碼H6083721403: a home-return permit's H or M and eight or ten digits)
        + r"(?P<v>[A-Z]{1,2}\d{6}\s?[（(][0-9A][)）]|[A-Z][12]\d{8}|[HM]\d{10}|[A-Za-z]{1,3}\d{6,9}[A-Za-z]?|\d{3} \d{3} \d{4}|\d{16}|\d{13}|\d{8,12}|\d{3}-\d{2}-\d{4}|[157]\d{6}\(\d\)"
        # an officer's card (军官证号海字第2107384号), a Russian passport's series and number (75 3846120)
        r"|[\u4e00-\u9fff]字第\d{5,10}号|\d{2} \d{7}"
        # an Indonesian passport's letter, a space and seven digits (护照号B 3390217)
        r"|[A-Z] \d{7}"
        # (Medicare 2123 45670 1, OHIP 5584-486-674-YM)
        r"|\d{4} \d{4} \d{4}|\d{4} \d{5} \d(?: \d)?|\d{4}-\d{3}-\d{3}(?:-[A-Z]{2})?"
        r"|(?=(?:[A-Z]*\d){3})(?=(?:\d*[A-Z]){2})[A-Z0-9]{8,9})" + _E)),
    ("other", re.compile(
        r"(?:工号|工牌号?|胸牌号?|员工号|员工编号|职工号|职工编号|学号|理赔案号|赔案号|报案号|医生编号|医师编号"
        # (医生ID：DR0072815 reads 医生 … : once the English field word is blanked)
        r"|(?:医生|医师)(?=\s*[:：]\s*[A-Za-z]{1,4}\d)"
        r"|捐献者?编号|献血证编号|献血证号|献血编号|献血条码|登记卡号|志愿者编号|供者编号|受者编号|学籍号|会员号|会员卡号|会员卡(?=[A-Za-z0-9])|积分卡号?|执业证书?|资格证书?|(?:医师)?证书(?:字号|编码|编号)|出生医学证明|出生证明?|工作证号?|学生证号?|车架号|工作许可证?号?|许可证号"
        r"|\b(?:[Ss]tudent|[Ee]mployee|[Ss]taff)\s*(?:ID|[Nn]o\.?|#|[Nn]umber)"
        # a device's serial number (呼吸机序列号SN7B2C40918): whose device it is
        r"|序列号|设备号|设备编号|机身号|机身编号|SN号|S/N|\bSN(?=\s)|(?<![A-Za-z])SN(?=\s*[:：])|绑定(?:的)?设备|(?:仪|机|器|泵|计)(?:\s*[（(][^）)]{1,6}[)）])?(?:编号|序列号)"
        # a trial's subject (受试者编号 S-023, 筛选号 SCR-047, 受试者 S-031)
        r"|受试者|筛选号|随机号|入组号"
        # a long-term-care benefit's number (长期护理保险待遇编号), a child's code in the immunisation system (儿童编码)
        r"|待遇编号|待遇号|儿童编码|儿童编号"
        # a care worker's or another trade's certificate by its holder's trade (护理员证号NM-HL-20210376, 上岗证号…)
        r"|[\u4e00-\u9fff]{1,3}员证(?:号|编号)|上岗证(?:号|编号)"
        # a police officer's number, an athlete's registration, a lost birth certificate's number
        r"|警号|注册号|(?:原|出生)证编号"
        # a police case's number, as a claim's (受案编号A6501025200002024060031)
        r"|受案编号|立案编号|案件编号"
        # a Taiwan physician's certificate (醫師證書：醫字第034217號), a UK doctor's GMC number, a death or birth
        # certificate's number by 证明书 alone (证明书编号K440112024000318)
        r"|医师证书|(?<![A-Za-z])GMC\s*(?:no\.?|number|#)?|证明书(?:编号|号)"
        # a doctor's licence (醫生執照編號M-03127), as a practising certificate's
        r"|执照(?:编号|号码|号)"
        # a platform's number for its rider, courier or driver (骑手编号MT8812047), as an employee's
        r"|(?:骑手|配送员|快递员|外卖员|司机)(?:编号|工号|ID)"
        # a vaccination certificate's and a death certificate's numbers; an inmate's number after the name
        r"|(?:预防)?接种证(?:编号|号)|死亡(?:医学)?证明(?:书)?(?:编号|号)|监号|囚号"
        # a cremation or burial certificate's number, as a death certificate's (火化证明编号HZ2024-0315)
        r"|(?:火化|殡葬|安葬|遗体)(?:证明|证)(?:书)?(?:编号|号)"
        # (罪犯编号5301062187, 献血者编号4501900637218, 执业药师注册证号4110215230012, 血袋条码: the donation's)
        r"|(?:罪犯|犯人|服刑人员|在押人员)编号|献血者编号|血袋条码|注册证(?:编号|号)"
        # (《居民死亡医学证明（推断）书》（编号 F4401…）: the certificate's title, then its number in brackets)
        r"|死亡(?:医学)?证明\s*[（(][\u4e00-\u9fff]{1,4}[)）]\s*书\s*》?\s*[（(]\s*(?:编号|号)"
        r"|(?:在押|服刑)人员[\u4e00-\u9fff·]{2,12}(?:[，,]|[（(])\s*编号)" + _CUE_GAP
        # (醫師證書字號醫字第041235號: a certificate's number in words and digits)
        # (会员卡号GD 7720 1135 09: letters, then digits in groups)
        + r"(?P<v>\d{4}(?:[ \-]\d{3,6}){2,4}|[A-Z]{1,3} \d{4}(?: \d{2,6}){1,3}|(?=[A-Za-z\-]{0,8}\d)[A-Za-z0-9][A-Za-z0-9\-]{3,24}|[\u4e00-\u9fff]字第\d{4,10}号)" + _E)),
)

# 手机定位N33°57'51", E107°43'09", 在N33.9412°, E107.6835°附近: a latitude and longitude pair, where someone is (more
# exact than a street address)
_GPS_ANGLE = r"\d{1,3}(?:\.\d+)?°(?:\s?\d{1,2}(?:\.\d+)?['′](?:\s?\d{1,2}(?:\.\d+)?[\"″])?)?"
_GPS_POSITION = re.compile(rf"(?<![A-Za-z])[NS]\s?{_GPS_ANGLE}\s*[,，]?\s*[EW]\s?{_GPS_ANGLE}"
                           rf"|(?<![\d.])\d{{1,2}}(?:\.\d+)?°\s?[NS]\s*[,，]?\s*\d{{1,3}}(?:\.\d+)?°\s?[EW](?![A-Za-z])")
# 呼号“秦岭07”: a rescuer's own radio call sign, which names one person like a staff number
_CALL_SIGN = re.compile(r"呼号\s*[:：]?\s*[“\"「]?(?P<v>[\u4e00-\u9fffA-Za-z]{1,6}-?\d{1,4})(?![\d])")
# 【评论】向阳花开2023：…, 【直播间评论】养生小达人888（IP属地：广东）：: a comment's author, before the colon
_COMMENTER = re.compile(r"【[^】\n]{0,8}评论】\s*(?P<u>[^：:\s【】（(“”\"]{2,20}?)(?=\s*(?:[（(]IP[^）)\n]{0,12}[)）])?\s*[:：])")


# A sentence about a bank card (退款退到这张卡就行：6222 …): a card-shaped number there is the card's.
_CARD_SENTENCE_CUE = re.compile(r"(?:卡|户名|账户|帐户|转账|退款|收款|汇款|打款)[^。！？!?\n]*$")
# A name on a platform in Chinese words (我微博叫 不想吃药的小熊猫, 昵称是“晴天小猪”): the quoted words, or the
# clause after the cue.
_PLATFORM_NAME = re.compile(
    r"(?:(?:微博|抖音|快手|小红书|B站|b站|知乎|微信|LINE|Line|好大夫|丁香医生|平安好医生)(?:上的?)?(?:昵称|名字|用户名|账号|ID|id)?"
    # (a form's 提交人昵称愤怒的小鸟妈妈，: the field after whose nickname it is, with no colon)
    r"(?:叫|是)|昵称(?:是|叫|为|[:：]|(?=[“\"「『]))"
    # (在B站发了好几条视频，账号叫琪琪不想长大了: an account's name, said as the account's)
    r"|(?<![银行卡])账号(?:名字?)?叫(?!什么|啥)"
    # (用户“一只胖橘”投诉, 发帖，ID“老吴钓鱼去”: a platform's user, quoted right after 用户 or ID)
    r"|(?<![A-Za-z])ID(?=[“\"「『])|(?:(?<![终新老])用户|网友|楼主|发帖人)(?=[“\"「『][^”\"」』\n]{2,30}[”\"」』]\s*"
    r"(?:投诉|发帖|留言|评价|评论|点评|写道|说|反映|称|表示|提问|问|回复|私信|[：:（(]))"
    # (商家回复“阿珍爱吃榴莲”：您好…: a reply to the quoted user, then what is said)
    r"|回复(?=[“\"「『][^”\"」』\n]{2,30}[”\"」』]\s*[：:])"
    # (评价者海燕飞飞（青岛）：, Reviewer Dr_Xiaofan（洛杉矶）: a review site's reviewer, then the city in brackets)
    r"|(?:评价者|点评者|评论者|\bReviewer)\s*(?=[^\s“\"「『（(，,。]{3,20}[（(])"
    r"|(?<=人)昵称(?![是叫为:：和与及或、]|什么|啥|可以|随便|不))\s*"
    r"(?:[“\"「『](?P<q>[^”\"」』\n]{1,30})[”\"」』]|(?P<u>[\u4e00-\u9fffA-Za-z0-9_\-]{2,20}[\U0001F300-\U0001FAFF\u2600-\u27BF]{0,3})(?=[，,。.；;！!？?\s（(]|$))")
# 群昵称熊猫血_古丽, 微博用户名心理老师Echo: right after 昵称/用户名/网名, Chinese words joined to Latin letters or
# by an underscore are a handle (no word and no name is written so; 用户名和密码, 昵称是什么 stay)
_MIXED_HANDLE = re.compile(r"(?:昵称|用户名|网名|(?<![终新老])用户(?!名))(?:是|为|叫|[:：])?\s*"
                           r"(?P<h>(?![是为叫])[\u4e00-\u9fff]{1,12}(?:_(?:[A-Za-z0-9]+|[\u4e00-\u9fff]+[A-Za-z0-9]*)|[A-Za-z][A-Za-z0-9_]*)"
                           r"|[A-Za-z0-9]+_[\u4e00-\u9fff][\u4e00-\u9fffA-Za-z0-9_]*"
                           # (用户名夜航船1990: words and a number joined, after the user name's own cue, not 用户满意度95%)
                           r"|(?<=名|称)(?<![姓人]名)(?![是为叫])[\u4e00-\u9fff]{2,12}\d{2,8}(?![%％.]))(?![A-Za-z0-9_])")
# @向日葵爸爸 你家…: a chat's @ before a parent's display name made of a word (向日葵) and 爸爸/妈妈, then a space
# (where the word is the child's name, @欧阳思琪妈妈, the name is the child's: not an account)
_AT_DISPLAY_NAME = re.compile(r"(?<![A-Za-z0-9._%+\-])@(?P<h>(?P<w>[\u4e00-\u9fff]{2,6}?)(?:爸爸|妈妈|奶奶|爷爷|宝妈|宝爸))(?=\s)")
# 【向日葵】：姐妹们…: a group chat's export, each message after its sender's display name in 【】 and a colon. A
# display name that is no person's name (向日葵, Lily安安, 风雨过后见彩虹) is a user name, and so is the same kind of
# word after an @ in such a message (@向日葵 恭喜); a sender that is a surname and a given name is a name
# (【刘淑芬】：). Not a notice's or a service's heading (【系统消息】：, 【客服回复】：, 【体检中心】：).
_CHAT_SENDER = re.compile(r"(?:^|(?<=\n))【(?P<h>[^】\n\s:：]{2,12})】[:：]")
_NOT_A_SENDER = re.compile(r"(?:消息|通知|公告|回复|提醒|日志|记录|问诊|处方|摘要|报告|医院|醫院|中心|药房|藥房|口腔|诊所|診所|群"
                           r"|服务号|客服|系统|助手|机器人|转文字|交班|求助|档案|病歷|病历|成功|速运|快药|健康|保健室|说明|须知|提示)$")
_CHAT_MENTION = re.compile(r"(?<![A-Za-z0-9._%+\-])@(?P<h>[\u4e00-\u9fff]{2,8})(?=\s)")
# An @handle where the text names a platform (我在微博上一直关注@小鹿妈妈育儿记): the handle without its @. Not
# an e-mail address (letters before the @) and not 艾特 as a verb (@了, @一下).
_PLATFORM_WORD = re.compile(r"微博|抖音|快手|小红书|B站|b站|知乎|推特|[Tt]witter|[Ii]nstagram|[Tt]ik[Tt]ok|[Ww]eibo|视频号|公众号"
                            # a forum's own words for its members (楼主@糖豆妈妈0612：, 网友@皮皮虾我们走：)
                            r"|楼主|层主|博主|版主|网友|用户|[Uu][Pp]主|论坛|贴吧|帖子|发帖|跟帖|回复\s*@"
                            # a chat group's (群主@透析十年老顾：)
                            r"|群主|群友|群名片|进群|群通知|群公告"
                            # a crowdfunding post asks to be passed on (转发扩散：阿杰（@追风少年阿杰）…)
                            r"|转发|扩散"
                            # a consultation app's uploader or asker (上传者 @小鹿爱吃草莓，)
                            r"|上传者|上傳者|发布者|發佈者|提问者|提問者")
_AT_HANDLE = re.compile(r"(?<![A-Za-z0-9._%+\-])@(?![了过着]|一下)(?P<h>[\u4e00-\u9fffA-Za-z0-9_\-]{2,30}?)"
                        # it ends before a greeting, a space or punctuation, or where Chinese follows its digits
                        # (@快乐的小鱼2008因发布…), unless a space soon ends that Chinese too (@碘131勇士 请问…)
                        r"(?:(?=[你您]好|[^\u4e00-\u9fffA-Za-z0-9_\-]|$)|(?<=\d)(?=[\u4e00-\u9fff])(?![\u4e00-\u9fff]{1,4}\s))")
# A link to a person's page on a social or blog platform carries their user id or name (weibo.com/u/5678901234,
# blog.sina.com.cn/liumeiling2008): the whole link is an account. Links elsewhere (an article, a hospital, a
# code repository such as the seed README's github.com/scutcyr/BianQue) stay.
_PROFILE_URL = re.compile(
    r"(?<![A-Za-z0-9.\-/])(?:https?://)?(?:www\.|m\.)?(?:weibo\.com|weibo\.cn|douyin\.com|v\.douyin\.com|xiaohongshu\.com|xhslink\.com"
    r"|zhihu\.com/people|space\.bilibili\.com|blog\.sina\.com\.cn|haodf\.com/doctor|haodf\.com/(?:wo|home)"
    r"|facebook\.com|twitter\.com|x\.com|instagram\.com|t\.me|linkedin\.com/in|tiktok\.com/@?)"
    r"/[A-Za-z0-9_@%\-./]*[A-Za-z0-9_%\-]"
    # a blog on its own subdomain (https://zhaomingyuan.blog.csdn.net): the subdomain is the user's name
    r"|(?<![A-Za-z0-9.\-/])(?:https?://)?[A-Za-z0-9_\-]{3,30}\.(?:blog\.csdn\.net|blog\.163\.com|lofter\.com|github\.io)"
    r"(?:/[A-Za-z0-9_@%\-./]*[A-Za-z0-9_%\-])?(?![A-Za-z0-9])"
)


# --- dates of birth ------------------------------------------------------------------------------------

_YEAR = r"(?:19|20)\d{2}"
_DATE = (
    # Spaces only between parts: a space after the date is not part of it.
    rf"{_YEAR} ?[年\-/.] ?(?:0?[1-9]|1[0-2])(?: ?(?:[月\-/.] ?(?:0?[1-9]|[12]\d|3[01])(?: ?[日号])?|月))?(?!\d)"
    rf"|{_YEAR}年|{_DATE8}"
    r"|[一二三四五六七八九〇零]{4}年(?:[一二三四五六七八九十]{1,2}月(?:[一二三四五六七八九十]{1,3}[日号])?)?"
)
# A lunar date, as older people give their birthday: 1958年农历八月十五, 阴历腊月初八, 一九六五年腊月二十三.
_LUNAR_DATE = (
    rf"(?:(?:农历|阴历)\s*)?(?:(?:{_YEAR}|[一二三四五六七八九〇零]{{4}}|(?<![一二三四五六七八九〇零\d])[一二三四五六七八九〇零]{{2}})年\s*)?"
    r"(?:(?:农历|阴历)\s*)?"
    r"(?:正|十一|十二|冬|腊|[一二三四五六七八九十])月"
    r"(?:初[一二三四五六七八九十]|二十[一二三四五六七八九]?|廿[一二三四五六七八九]|三十|十[一二三四五六七八九]?)"
)
# A year by another calendar, as older people and some regions give it: 庚午年腊月 (a sexagenary year), 民国三十八年,
# 藏历铁马年.
_OTHER_CALENDAR_YEAR = (
    r"(?:[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥]|民[国國][一二三四五六七八九十\d]{1,4}|藏历[\u4e00-\u9fff]{2,3})年"
    r"(?:(?:正|十一|十二|冬|腊|[一二三四五六七八九十])月(?:[一二三四五六七八九十廿]{1,3}[日号]|初[一二三四五六七八九十])?"
    # (民國65年8月3日: month and day in digits, as Taiwan's forms write them)
    r"|(?<=\d年)(?:0?[1-9]|1[0-2])月(?:(?:0?[1-9]|[12]\d|3[01])[日号])?)?"
)
# The same year in the common calendar right after one (（公历1990年）, ，即1949年): a birth date too.
# 出生日期误录为1975-02-30，已更正为1975-03-02: the birth date a record corrects right after the wrong one
_CORRECTED_AFTER = re.compile(rf"\s*[，,；;]?\s*(?:已|现|后)?(?:更正|改正|修正|订正|更改|改)为\s*(?P<v>{_DATE}|(?:19|20)\d{{2}}[\-/.]\d{{1,2}}[\-/.]\d{{1,2}})")
_SAME_YEAR_AFTER = re.compile(r"(?:生人|出生|生)?\s*[（(，,]\s*(?:即|公历|阳历|也就是)\s*"
                              r"(?P<v>(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?)")
# 亓艳霞，女，1992/04/18； a roster's row: a full date right after the sex, and nothing after it in the field
_DATE_AFTER_SEX = re.compile(r"(?<![\u4e00-\u9fff])[男女]\s*[，,、 ]\s*"
                             r"(?P<v>(?:19|20)\d{2}[\-/.](?:0?[1-9]|1[0-2])[\-/.](?:0?[1-9]|[12]\d|3[01]))(?=\s*(?:[；;，,。]|$))")
# 12 Mar 1969, March 12, 1969
_EN_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_EN_MONTH_DATE = rf"(?:0?[1-9]|[12]\d|3[01]) {_EN_MONTH},? (?:19|20)\d{{2}}|{_EN_MONTH} (?:0?[1-9]|[12]\d|3[01]),? (?:19|20)\d{{2}}"
_DOB_BEFORE = re.compile(
    r"(?:出生日期|出生年月日?|出生年份|出生时间|出生辰光|出生于|出生在|出生|生日|(?<![先医学卫])生于|DOB|D\.O\.B\.?|[Dd]ate of [Bb]irth|\b[Bb]orn (?:on|in))"
    rf"(?:是|为|:|：|\s|改为|改成|更正为|应为|應為|(?:误|錯|错)?(?:录|錄|写|寫|登记|填)(?:为|為|成))*(?P<v>{_LUNAR_DATE}|{_DATE}|{_OTHER_CALENDAR_YEAR}|{_EN_MONTH_DATE}|(?:0?[1-9]|[12]\d|3[01])[/.\-](?:0?[1-9]|[12]\d|3[01])[/.\-](?:19|20)\d{{2}}"
    r"|(?:0?[1-9]|1[0-2])月(?:0?[1-9]|[12]\d|3[01])[日号]"
    r"|(?<!\d)\d{2}年(?:(?:0?[1-9]|1[0-2])月(?:(?:0?[1-9]|[12]\d|3[01])[日号])?)?"
    # a form's bare year (出生年份：1990) and a date with a two-digit year (出生日期：78.4.9)
    r"|(?:19|20)\d{2}(?![\d年./\-])|(?<!\d)\d{2}[./\-](?:0?[1-9]|1[0-2])[./\-](?:0?[1-9]|[12]\d|3[01])(?![\d./\-]))"
)
# 我是1975年的, 她是88年的 (the clause ends there: not 我是2018年的时候开始咳嗽)
# 我是1975年的, 她是88年的; a transcript's 我八九年的, 我姑娘2016年的 (the year alone, then 的 and a pause)
_BORN_YEAR = re.compile(r"(?:我|他|她|自己|孩子|患者|病人|姑娘|闺女|女儿|儿子|宝宝|老公|老婆|爱人|我妈|我爸|老人)(?:也|都)?是?"
                        r"(?P<v>(?:19|20)\d{2}年|(?<!\d)\d{2}年|(?<![一二三四五六七八九零〇])(?:[一二三四五六七八九零〇]{2}"
                        r"|[一二][九零〇][一二三四五六七八九零〇]{2})年)的(?=[，,。.；;！!？?\s]|$)")
_YEAR_OF = re.compile(r"是(?P<v>(?:19|20)\d{2}年|(?<!\d)\d{2}年)的(?=[，,。.；;！!？?\s]|$)")
# 来访者自称阿哲，99年的，: a year of two digits and 的 as a clause of its own, between commas, is when someone was born
_PERSON_BEFORE_YEAR = re.compile(r"自称|叫|[我他她]|患者|病人|来访者|本人|[男女][，,]")  # (not 药品有效期，23年的，)
_YEAR_CLAUSE = re.compile(r"(?<=[，,])\s*(?P<v>(?<!\d)\d{2}年)的(?=[，,])")
_ZODIAC = re.compile(r"\s*[，,]?\s*属[鼠牛虎兔龙蛇马羊猴鸡狗猪]")
# 我是夏婆婆，四一年的，属蛇: a year said in numerals, then its zodiac sign
_SPOKEN_YEAR_OF = re.compile(r"(?<![一二三四五六七八九零〇\d])(?P<v>[一二三四五六七八九零〇]{2}年)的(?=\s*[，,]?\s*属[鼠牛虎兔龙蛇马羊猴鸡狗猪])")
# 我是八三年腊月生的, 他是七九年的: a year said in numerals, with a (lunar) month, and 生
# (…，三八年生的: the clause says whose, after a comma; …，四八年生）: a bracketed note's last clause)
_BORN_SPOKEN = re.compile(r"(?:(?:我|您|他|她|孩子|患者|病人)是|(?<=[，,、 ]))(?P<v>(?:[一二三四五六七八九零〇]{2}|[一二三四五六七八九零〇]{4}|(?<!\d)\d{2})年"
                          r"(?:(?:[正一二三四五六七八九十冬腊]|十[一二])月(?:(?:初|十|二十|廿)?[一二三四五六七八九十])?)?)(?:出)?生"
                          # (（退休中学教师，四八年生）: a note's clause that ends there)
                          r"(?:的|(?=[）)，,。；;]))")
# 2018年出生的孩子都要…: a bare year before a group of people is a cohort, nobody's birth date.
_BARE_YEAR = re.compile(r"(?:19|20)?\d{2}年")
_COHORT = re.compile(r"的?(?:孩子|小孩|宝宝|儿童|婴儿|新生儿|婴幼儿|人群|人们|男性|女性|女生|男生|一代|老人)")
# 民國78年次, 65年次: how Taiwan says the year one was born in (the ROC calendar's year, then 年次)
_TW_BIRTH_COHORT = re.compile(r"(?P<v>(?:民[国國])?(?<![\d.])\d{2,3}年)次(?![数])")
_DOB_AFTER = re.compile(
    # 八五年出生: a two-digit year spelt out
    rf"(?P<v>{_LUNAR_DATE}|{_DATE}|{_OTHER_CALENDAR_YEAR}|(?<!\d)18\d{{2}}年|(?<![{_CN_DIGIT}])[五六七八九〇零][〇零一二三四五六七八九]年|(?<!\d)\d{{2}}年(?:(?:0?[1-9]|1[0-2])月(?:(?:0?[1-9]|[12]\d|3[01])[日号])?)?) ?"
    # (出世, and the dialects' 生个, 生嘅; 1898年生于绍兴)
    r"(?:出生|出世|生于|生人|生的|生个|生嘅|生(?=[，,。.；;！!\s)）]|$)|的?生日|过生日"  # 农历腊月十八的生日
    # 二〇二三年十月七日喺伊利沙伯醫院出世, 1990年3月5日在协和医院出生: born at a place named in between
    r"|\s*(?:在|喺|于)[^，,。；;！!？?\n]{1,14}?(?:出生|出世))"
)

# 2024年6月9日10:23出生: a newborn's birth date with the hour after it (the hour is no date)
_DOB_AT_HOUR = re.compile(rf"(?P<v>{_YEAR}\s*年\s*(?:0?[1-9]|1[0-2])\s*月\s*(?:0?[1-9]|[12]\d|3[01])\s*[日号])\s*"
                          r"\d{1,2}[:：时点]\d{0,2}分?\s*(?:出生|出世|娩出|生)")
# 新生儿 女 2024年5月7日 03:42 3250g: a ward board's newborn, the date (and hour) right after it
_NEWBORN_DATE = re.compile(rf"新生儿[^，,。；;\d]{{0,6}}?(?P<v>{_YEAR}\s*年\s*(?:0?[1-9]|1[0-2])\s*月\s*(?:0?[1-9]|[12]\d|3[01])\s*[日号]"
                           r"(?:\s*\d{1,2}[:：]\d{2})?)")

# --- addresses -----------------------------------------------------------------------------------------

# Characters that end a place name on the left: verbs and words that introduce an address (住在, 地址是; 地址係,
# the Cantonese 是, which the simplified view reads as 系).
_PLACE_STOP = set("在住是的到了我你他她它们从去来往于为家址位处搬回离刚请问寄送给哪个这那就都也还要想说到里边由系")


def _cjk_class(excluded: set[str]) -> str:
    """A regex class of CJK ideographs without ``excluded`` (written as ranges: fast to match)."""
    parts, start = [], 0x4E00
    for cp in sorted(ord(c) for c in excluded) + [0xA000]:
        if cp > start:
            parts.append(f"\\u{start:04x}-\\u{cp - 1:04x}" if cp - 1 > start else f"\\u{start:04x}")
        start = cp + 1
    return "[" + "".join(parts) + "]"


_P = _cjk_class(_PLACE_STOP)
_P_INNER = _cjk_class(_PLACE_STOP - set("里"))  # 幸福里小区: 里 ends a place on the left (城里), not inside one
_P_STREET = _cjk_class(_PLACE_STOP - set("边"))  # 海边街, 河边路: 边 ends a place on the left (路边), not inside a street's name
_CN_NUM = "一二三四五六七八九十百零〇"
# (屯: a hamlet inside a village, 板池村弄岩屯12号, as Guangxi's and the north-east's addresses have it; 嘎查, Inner
# Mongolia's village, 洪格尔高勒镇萨如拉图雅嘎查; 世家, an estate's name, 华府世家3号楼1单元502)
_ESTATE = "村|嘎查|社区|小区|花园|公寓|大厦|家园|新村|苑|园|里|城|庄|府|广场|山庄|大院|屯|世家"
_ESTATE_WORD = "小区|社区|花园|公寓|大厦|家园|新村|广场|山庄|大院"  # 幸福里 + 小区: one name
# (a village's production team, 那满村六队, 银光村三队45号; a lane off a road, 新生路112巷5号, as Taiwan numbers them)
# (…33号之二501房, 12楼之3: a number's sub-number after 之, as Taiwan and Guangdong write it, and a flat called 房)
_HOUSE_NUMBER = (rf"(?:[ \-]?附?(?:\d+|[{_CN_NUM}]+|[A-Za-z])(?:号院|号楼|号|弄|巷|栋|幢|座|门|单元|层|楼|室|户|组|队|区|期"
                 r"|(?<=\d\d\d)房(?![间子东屋产型源贷价租]))|(?<=[号楼])之(?:\d{1,2}|[一二三四五六七八九十]{1,2})(?![\u4e00-\u9fff]))+"
                 # (…7楼C: a flat by its letter after the floor, as Hong Kong and Macau write it)
                 r"(?:[ \-]?\d{2,4}(?!\d)|(?<=[楼層层])[A-H](?![A-Za-z0-9\u4e00-\u9fff]))?")
_ADDR_RE = re.compile(
    # Only where a place suffix follows within a few characters: lets the search skip the rest in C.
    r"(?=[^\s，。；;！!？?、,.:：]{1,14}?[省市区县旗镇乡村苑园里城庄府路街道巷弄厦寓屯查])"
    rf"(?P<prov>{_P}{{2,3}}(?:省|自治区)|北京|上海|天津|重庆|香港|澳门)?"
    # an autonomous prefecture by its short name, before its city or county (恩施州利川市, 甘孜州泸定县); not 广州 or
    # 杭州 alone, which a 市 or a district follows as often
    rf"(?P<city>(?:{_P}{{1,4}}?市|{_P}{{2,3}}?州(?={_P}{{1,4}}?[市县])(?:{_P}{{1,4}}?市)?){{1,2}}?)?"
    rf"(?P<dist>(?:{_P}{{1,5}}?(?:新区|(?<![小病院诊园])区|县|旗)){{1,2}}?)?"
    rf"(?P<town>{_P}{{1,5}}?(?:镇|乡|街道|苏木))?"  # (苏木: a Mongolian township)
    # Streets and estates in either order: 中关村大街27号院, 幸福小区5栋, 花园路39号.
    rf"(?P<street>(?:[{_CN_NUM}\d]*{_P}{_P_STREET}{{0,7}}?(?:大道|大街|路|街|巷|胡同|道)(?:[{_CN_NUM}\d]+段|村|社区)?"
    rf"|{_P}{_P_INNER}{{0,5}}?(?:{_ESTATE})(?!{_ESTATE_WORD})(?:村)?){{1,2}})?"
    rf"(?P<num>{_HOUSE_NUMBER})?"
    # a building or estate after the street's number, with its own number (…126号百隆广场2单元1103)
    # (…和乐大马路23号和辉阁7楼C: a named block, as Hong Kong and Macau call one 阁)
    rf"(?:(?<=[号弄])(?P<estate>{_P}{_P_INNER}{{0,5}}?(?:{_ESTATE}|[阁閣])(?!{_ESTATE_WORD}){_HOUSE_NUMBER}))?"
)
# After 住址/地址/家住 (or 住 after a comma), everything up to a flat's or a house's number, however the place is
# written: a Hong Kong estate and block (新界沙田禾輋邨豐和樓1203室), a Macau road named after a person (氹仔孫逸仙博士
# 大馬路海洋花園第3座12樓B), a Malaysian section road (八打灵再也SS2/24路23号), a hamlet in a village (十八洞村竹子寨5号);
# 係 (系 in the simplified view) is Cantonese for 是 (地址係觀塘協和街88號…)
_CUED_ADDRESS_TO_NUMBER = re.compile(
    # (居於新界屯門大興邨興輝樓1512室: a Hong Kong record's 居於, "lives at"; not 定居, 移居, 聚居 + a region)
    r"(?:住址|地址|家住在?|住在|现住|现居住?|(?<![定移聚迁])居[于於]|(?<=[，,：:])住(?![院了过着]))(?:是|为|係|系|:|：|\s)*"
    r"(?P<v>(?![院部在于])[^\s，,。；;！!？?、（()）:：]{3,32}?(?:\d+\s*(?:号院|号楼|号|號|室|楼|樓|栋|棟|幢|座|单元|單元)[A-Z]?室?|(?<=[楼座樓])\d+[A-Z]?))"
    r"(?=[，,。；;！!？?\s（(]|$)")
_PLACE_IN_ADDRESS = re.compile(r"路|街|道|巷|弄|里|村|寨|屯|邨|苑|园|花园|大厦|楼|座|栋|幢|阁")
# After 住址/家住/寄到 one place part is enough (家住阳光花园, 现住朝阳区).
_ADDR_CUE = re.compile(r"(?:住址|地址|家住|住在|现住|现居(?:住)?|(?:[我你他她]们?|老两口|一家人?|全家|俩|都|一直|现在|目前|平时)住|居住在|居住于|(?<![定移聚迁])居[于於]|寄到|送到|户籍在|老家在)(?:是|为|係|系|:|：|\s)*$")
# 本院（广州市越秀区）: where an institution is, in brackets after it, is nobody's address
_INSTITUTION_BEFORE = re.compile(r"(?:本院|我院|医院|院区|中心|机构|公司|学校)\s*[（(]\s*$")
# 佛山市南海区恒达五金制品有限公司: a city and district that open a company's name; 参保地：济南市历下区: where someone
# is insured or treated, a region, not where they live (neither has a street or a number)
_ORG_AFTER = re.compile(r"[\u4e00-\u9fff]{1,14}?(?:有限公司|有限责任公司|股份公司|集团|工厂)")
# 天河区石牌街社区卫生服务中心: the place in a clinic's or an office's name, no one's home
# (送到长垣市人民医院: a city's own hospital, named by the kind it is, as 长垣市 + 医院 is)
_CLINIC_AFTER = re.compile(r"(?:人民|中医|中西医结合|妇幼保健|儿童|第[一二三四五六七八九十]人民|第[一二三四五六七八九十]|中心|肿瘤|口腔|眼科"
                           r"|传染病|精神卫生)?(?:卫生服务中心|卫生服务站|卫生院|卫生室|医院)|居委会|村委会|派出所|街道办")
_VICINITY_AFTER = re.compile(r"附近|一带|周边|旁边|边上|对面")
_NOT_HOME_BEFORE = re.compile(r"(?:用人单位|参保地区?|就医地|统筹地区|统筹区)\s*[:：]?\s*$")
_GENERIC_PLACES = {"农村", "乡村", "山村", "城中村", "村里", "城里", "城市", "小区", "社区", "郊区", "市区", "县城",
                   "老城区", "新区", "街道", "马路"}
# An estate's own district with a building number (天通苑东三区12号楼): an address with no road or cue, where a
# hospital's (门诊东区2号楼, 病区3号楼) is none.
_ESTATE_IN_DISTRICT = re.compile("苑|园|小区|花园|家园|新村|村")
_ADDR_GATE = re.compile(r"[省市区县旗镇乡村苑园路街道巷弄厦寓屯]")
_PLACE_PARTS = ("prov", "city", "dist", "town", "street")


_PLACE_TAIL = set("省市区县")
_NOT_INSIDE_PLACE = set("的和与及或跟到去回在住从往至")
_PLACE_WORD_TAGS = ("ns", "nr", "nz")


# English street addresses: 1208 Maple Street, Springfield (the house number and the street word decide).
_EN_STREET = r"(?:Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Way|Court|Ct|Place|Terrace|Highway)"
_EN_ADDRESS = re.compile(
    rf"(?<![0-9A-Za-z])\d{{1,5}}(?: [A-Z][a-z]+){{1,3}} {_EN_STREET}\b\.?(?:,? (?:Apt|Unit|Suite|#)\.? ?\w+)?"
    # (…, Leeds LS6 2QT, United Kingdom: a British postcode after the town, the country last)
    r"(?:, [A-Z][a-z]+(?: [A-Z][a-z]+)?)?(?: [A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})?(?:, [A-Z]{2}(?: \d{5})?)?"
    r"(?:, (?:USA|UK|United Kingdom|United States|Canada|Australia|New Zealand))?")
_EN_ADDRESS_GATE = re.compile(rf" {_EN_STREET}\b")
# A Malaysian street address (Jalan Burma 88, 10050 George Town, Penang): Jalan/Lorong/Lebuh/Persiaran and the
# street's name, the house number, then the five-digit postcode with its town and the state where written
# (Jalan Alor 的夜市, with no number, is a place)
_MY_ADDRESS = re.compile(
    # (No. 23, Jalan Ampang Hilir, 55000 Kuala Lumpur: the house number written first)
    r"(?<![A-Za-z])No\.? ?\d{1,4}[A-Za-z]?, (?:Jalan|Jln\.?|Lorong|Lrg\.?|Lebuh|Persiaran|Lebuhraya)(?: [A-Z][A-Za-z]*){1,4}"
    r"(?:, \d{5}(?: [A-Z][A-Za-z]*){1,3})?(?:, [A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*){0,2})?"
    r"|(?<![A-Za-z])(?:Jalan|Jln\.?|Lorong|Lrg\.?|Lebuh|Persiaran|Lebuhraya)(?: [A-Z0-9][A-Za-z0-9/]*){1,4}? \d{1,4}[A-Za-z]?"
    r"(?![\dA-Za-z年月日号点岁])(?:,? \d{5}(?: [A-Z][A-Za-z]*){1,3})?(?:, [A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*){0,2})?")


def _place_word(norm: str, a: int, b: int) -> bool:
    """Whether norm[a:b] is a dictionary place name (成都, 花都), or a dictionary name right before 市/区/县/省
    (石家庄市, 张家界市: jieba tags some cities as person names)."""
    tag, _ = _dict_tag(norm[a:b])
    return tag == "ns" or tag in _PLACE_WORD_TAGS and b < len(norm) and norm[b] in _PLACE_TAIL


def _extend_place(norm: str, start: int, end: int) -> tuple[int, int]:
    """``start, end`` grown over place names whose characters the address pattern stops at (成都, 石家庄,
    张家口, 江都: 都 and 家 also end the words that introduce an address)."""
    grown = True
    while grown:
        grown = False
        for k in (4, 3, 2, 1):  # a place name ending inside the match, or right before it
            if start - k < 0 or not all(_NAME_CHARS.match(c) for c in norm[start - k : start]):
                continue
            if any(_place_word(norm, start - k, start + m) for m in range(0, 4) if k + m >= 2):
                start, grown = start - k, True
                break
    while end < len(norm):  # a place name and its 区/县/市 right after the match (扬州市 + 江都区)
        hit = next((m for m in (4, 3, 2) if end + m < len(norm) and norm[end + m] in _PLACE_TAIL
                    and _place_word(norm, end, end + m)), None)
        if hit is None:  # or one dictionary word with its 区/县/市 (邵阳市 + 隆回县: 回 ends a place on the left)
            hit = next((m - 1 for m in (5, 4, 3) if end + m <= len(norm) and norm[end + m - 1] in _PLACE_TAIL
                        and _dict_tag(norm[end : end + m])[0] == "ns"), None)
        if hit is None:
            break
        end += hit + 1
    return start, end


_ORG_AT_BEFORE = re.compile(r"(?:厂|公司|集团|企业|单位|学校|中学|小学|大学|医院|血站|机关|协会|商会|工会|社团|车队)(?:在|于)\s*$")
_PLACE_FIELD_WORD = re.compile(r"(?:户籍|户口|原籍|籍贯|居住|所在|出生|常住|暂住|现住)(?:所在)?地")


def _addresses(norm: str) -> list[Span]:
    out: list[Span] = []
    if not _ADDR_GATE.search(norm):
        return out
    pos, n = 0, len(norm)
    while pos < n:
        m = _ADDR_RE.search(norm, pos)
        if m is None:
            break
        if m.end() == m.start():
            pos = m.end() + 1
            continue
        if norm[m.start()] in "本该全我此" and norm[m.start() + 1 : m.start() + 2] in ("省", "市", "区", "县"):
            pos = m.start() + 2  # 本市有两条长江路: "this city", no place's name
            continue
        places = [g for g in _PLACE_PARTS if m.group(g)]
        # Two place parts (市+区, 区+路 ...) or a street or estate with a house number: an address.
        # One part alone (朝阳区, 尿路, 病区3号楼) is not enough.
        start, end = _extend_place(norm, m.start(), m.end())
        # (户籍地广州市…: the field's word 户籍地 is no part of the place, though 地 could start one)
        for c in _PLACE_FIELD_WORD.finditer(norm, max(0, start - 4), min(end, start + 6)):
            if c.start() <= start < c.end() < end:
                start = c.end()
        # After an address cue, or right after another address (扬州市 + 江都区), one place part is enough.
        cued = bool(_ADDR_CUE.search(norm, max(0, start - 6), start)) or bool(out and out[-1].end == start)
        if (not m.group("num") and (m.group("street") is None or _CLINIC_AFTER.match(norm, end))
                and (_INSTITUTION_BEFORE.search(norm, max(0, start - 8), start) or _ORG_AFTER.match(norm, end)
                     or _NOT_HOME_BEFORE.search(norm, max(0, start - 8), start) or _CLINIC_AFTER.match(norm, end))):
            pos = end
            continue
        if not m.group("num") and _ORG_AT_BEFORE.search(norm, max(0, start - 8), start):
            pos = end  # 某电子厂在番禺区市桥街组织献血: where a firm or a school holds an event, with no number, is no home
            continue
        if places == ["street"] and not m.group("num") and _VICINITY_AFTER.match(norm, end):
            pos = end  # 住在建国道附近的同事: near a road, with no number, is a neighbourhood, no one's address
            continue
        if len(places) >= 2 or places and (
            cued and m.group() not in _GENERIC_PLACES or places == ["street"] and m.group("num")
                or places == ["dist"] and m.group("num") and _ESTATE_IN_DISTRICT.search(m.group("dist"))):
            # (…头塘镇 + 那 + 满村六队: a village whose name starts with a character that ends a place on the left
            # (那, 回, 家) goes on the town before it; not 区的 or 和 between two places)
            joined = (out and out[-1].end + 1 == start and norm[start - 1] not in _NOT_INSIDE_PLACE
                      and _NAME_CHARS.match(norm[start - 1]) and not m.group("prov") and not m.group("city"))
            if out and (out[-1].end >= start or joined):  # 河南省周口市 + 项城市王明口镇: one address
                out[-1] = Span(out[-1].start, end, "address")
            else:
                out.append(Span(start, end, "address"))
            pos = end
        else:
            pos = m.start() + 1
    return out


# --- checks ------------------------------------------------------------------------------------------


# A Hong Kong identity card number, K482163(7): one or two letters, six digits and a check character
# (the check character in brackets: without them, a letter and seven digits are as often something else)
_HKID_RE = re.compile(r"(?<![A-Za-z0-9])(?P<l>[A-Z]{1,2})(?P<d>\d{6}) ?[（(](?P<c>[0-9A])[)）]")


def _hkid_ok(letters: str, digits: str, check: str) -> bool:
    values = [36] * (2 - len(letters)) + [ord(c) - 55 for c in letters] + [int(c) for c in digits]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True))
    expected = (11 - total % 11) % 11
    return check == ("A" if expected == 10 else str(expected))


# A Taiwan national ID (身分證字號 A123456789): a letter, 1 or 2 (or 8/9 for a resident certificate), eight digits,
# taken when its check digit holds.
_TW_ID_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z][1289]\d{8}(?![A-Za-z0-9])")
# ... but not where the text says it is an order's, a parcel's or a batch's number (one in ten such numbers passes)
_NOT_A_PERSON_NUMBER = re.compile(r"(?:订单|訂單|运单|運單|快递|快遞|单号|單號|批号|批號|条码|條碼|序列号|序號|货号|貨號|[Ll]ot|版本)[^，,。]{0,4}$")
# A trial's text (受试者, 入组, 访视, CRF, SAE…) names its subjects by code alone (S-041 的随访窗口): such a code is a
# person's there
# 票据号码：0082173645: an invoice's or a receipt's number, shaped like a landline
_NOT_A_PHONE_BEFORE = re.compile(r"(?:票据|发票|收据|流水)(?:号码|号|代码|编号)\s*[:：]?\s*$")
# 本科室心电监护仪（设备编号…）, 检验科质控…仪器编号: the ward's or the laboratory's own equipment, nobody's
_INSURER_AROUND = re.compile(r"保险|惠民保|团体?险|寿险|医疗险|商业险|保单|理赔|投保|参保")
_WARD_EQUIPMENT = re.compile(r"本科室|科室的|病房的|病区的|库房|检验科|质控|本院的|院内|备用机"
                             # the equipment department's servicing, a maker's recall of a batch (序列号PX-5520至…)
                             r"|设备科|保养|维修|检修|召回|批次"
                             # a factory's machine in an injury report (冲压车间3号冲床（设备编号YL-315-03）发生挤压事故)
                             r"|车间|生产线|流水线|厂房|机床"
                             # a procedure's log of the machine and the consumables it used (分离机序列号…，耗材批号…)
                             r"|耗材")
_PATIENT_DEVICE = re.compile(r"患者|病人|借|租|领用|带回家|家用|出院带")
_DEVICE_CUE = re.compile(r"序列号|设备|机身|SN|S/N|(?:仪|机|器|泵)编号")
_TRIAL_GATE = re.compile(r"受试者|入组|随访窗口|访视|CRF|SAE|REDCap|筛选号|随机化|临床试验")
# (a site's number before the subject's: S012-0051)
_TRIAL_SUBJECT = re.compile(r"(?<![A-Za-z0-9\-])(?:(?:S|SUBJ|SUB|P|PT|SCR|R)-\d{2,4}|(?:S|SCR)\d{2,4}-\d{3,4})(?![\d\-])")
_TW_LETTER_CODES = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True))
# A Singapore NRIC or FIN (S8823471D): S, T, F or G, seven digits and a check letter, taken when the letter holds
_NRIC_RE = re.compile(r"(?<![A-Za-z0-9])[STFG]\d{7}[A-Z](?![A-Za-z0-9])")
_NRIC_CHECK = {"S": (0, "JZIHGFEDCBA"), "T": (4, "JZIHGFEDCBA"), "F": (0, "XWUTRQPNMLK"), "G": (4, "XWUTRQPNMLK")}
# A Malaysian MyKad number (520814-10-5273): the holder's birth date as YYMMDD, a two-digit place of birth and four
# digits, written with its two dashes (twelve bare digits are as often something else)
# a Korean resident registration number (주민등록번호): the birth date, a dash, then seven digits whose first says the
# century and the sex (1–4; 5–8 for a foreign resident)
_KR_RRN_RE = re.compile(r"(?<![\dA-Za-z\-])\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-[1-8]\d{6}(?![\dA-Za-z\-])")
_MYKAD_RE = re.compile(r"(?<![\dA-Za-z\-])\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-(?:0[1-9]|1[0-6]|[2-9]\d)-\d{4}(?![\dA-Za-z\-])")


def _tw_id_ok(value: str) -> bool:
    code = _TW_LETTER_CODES[value[0]]
    digits = [code // 10, code % 10, *map(int, value[1:])]
    weights = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


def _nric_ok(value: str) -> bool:
    offset, letters = _NRIC_CHECK[value[0]]
    total = offset + sum(int(d) * w for d, w in zip(value[1:8], (2, 7, 6, 5, 4, 3, 2), strict=True))
    return letters[total % 11] == value[8]


def _id_checksum_ok(digits: str) -> bool:
    if len(digits) != 18:
        return False
    total = sum(int(c) * w for c, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == digits[17].upper()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def _birth_dates_of(norm: str, birth: str, id_span: tuple[int, int]) -> list[Span]:
    """The ID number's own birth date (YYYYMMDD) written as a date elsewhere in the text (欧阳晓峰，1976-11-30，
    3301061976113004xx): a date of birth, with no cue needed."""
    y, mo, d = birth[:4], int(birth[4:6]), int(birth[6:8])
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return []
    date = re.compile(rf"(?<!\d){y} ?[年\-/.] ?0?{mo} ?[月\-/.] ?0?{d}(?: ?[日号])?(?!\d)")
    return [Span(m.start(), m.end(), "date_of_birth") for m in date.finditer(norm)
            if not (id_span[0] <= m.start() < id_span[1])]


# A masked value keeps what it does not mask (135****8821, 4401**********031X, 刘**): the rest still points to the
# person, and a mask's shape says what the value was.
_MASKED_PHONE = re.compile(r"(?<![\d*＊])1[3-9]\d[*＊]{4}\d{4}(?![\d*＊])")
_ACCOUNT_BEFORE = re.compile(r"(?:账号|帐号|账户|帐户)\s*[:：]?\s*$")
# 付款支付宝账号lily0503@aliyun.com: an Alipay account that is an e-mail address is the account (a login's 账号 alone
# before an address stays an e-mail)
_ALIPAY_BEFORE = re.compile(r"支付宝(?:账号|帐号|账户|帐户|用户名)?\s*[:：]?\s*$")
# 13821904677（短号661677）: a mobile's group short number in brackets after it reaches the same person (a ward's
# extension or short number alone is no one's)
_MOBILE_SHORT_NUMBER = re.compile(r"(?<=\d)\s*[（(]\s*(?:集团)?短号\s*[:：]?\s*(?P<v>\d{3,6})\s*[)）]")
_MASKED_ID = re.compile(r"(?<![\d*＊])\d{4,6}[*＊]{6,10}\d{2,3}[\dXx](?![\d*＊])")


# A second user name listed after a cued one (被账号wx_lhm1990和drugbuyer77重复提交): letters with a digit or an underscore,
# as a user name is written (not 和App, 和PDF: a word)
_ANOTHER_HANDLE = re.compile(r"\s*(?:和|、|及|与|或|/)\s*(?P<v>(?=[A-Za-z0-9_.\-]*[\d_])[A-Za-z][A-Za-z0-9_.\-]{3,29})(?![A-Za-z0-9_])")


# A blood unit's ISBT 128 donation number: the collecting facility's code, the year's two digits and a serial of six
# (W0318 24 118427), read as the bag's (a run of bags is numbered on), not the donor's
_BLOOD_UNIT_NUMBER = re.compile(r"[A-Z]?\d{4} \d{2} \d{6}(?!\d)")


def _ward_equipment(norm: str, at: int) -> bool:
    """Whether the device numbered at ``at`` is the ward's or the laboratory's, in its sentence."""
    start = max(norm.rfind(c, 0, at) for c in "。！？!?\n") + 1
    end = min((i for i in (norm.find(c, at) for c in "。！？!?\n") if i >= 0), default=len(norm))
    sentence = norm[start:end]
    return bool(_WARD_EQUIPMENT.search(sentence)) and not _PATIENT_DEVICE.search(sentence)


# An app's or a device's export, key=value (user=tenzin.norbu, device_sn=W3A81C55D0, birth=1994-08-30): the user, the
# device's serial number and the birth date by their keys
_LOG_FIELD = re.compile(r"(?<![A-Za-z0-9_])(?P<k>user(?:name)?|login|device_?sn|serial(?:_?no)?|birth(?:day|date|_date)?|dob)"
                        r"\s*=\s*(?P<v>[A-Za-z0-9][A-Za-z0-9._\-]{2,40}?)(?=[,;&\s]|$)", re.IGNORECASE)
_LOG_FIELD_LABELS = {"u": "account", "l": "account", "d": "other", "s": "other", "b": "date_of_birth"}


def _chat_sender_spans(norm: str) -> list[Span]:
    """A group chat's senders (【向日葵】：, 【刘淑芬】：) and the display names its messages @ (@向日葵 恭喜)."""
    out: list[Span] = []
    for m in _CHAT_SENDER.finditer(norm):
        h, (a, b) = m.group("h"), m.span("h")
        if _NOT_A_SENDER.search(h) or _TITLES.search(h) or _KIN_WORD_RE.search(h):
            continue  # (【周阿姨】：, 【系统消息】：: a title or a kinship word, which the names' rules read)
        surname = _SURNAME_RE.match(h)
        if (surname and len(h) - surname.end() in (1, 2)
                and all(_given_ok(c) for c in h[surname.end() :]) and _dict_tag(h)[0] in (None, *_NR_TAGS)):
            out.append(Span(a, b, "name"))
        elif not re.fullmatch(r"[\d\W_]+", h):
            out.append(Span(a, b, "account"))
    for m in _CHAT_MENTION.finditer(norm):
        h = m.group("h")
        if h not in _MENTION_NOT and not _TITLES.search(h) and _dict_tag(h)[0] not in (None, *_NR_TAGS):
            out.append(Span(m.start("h"), m.end("h"), "account"))
    return out


def _number_spans(norm: str) -> list[Span]:
    spans: list[Span] = []
    if "°" in norm:
        spans += [Span(m.start(), m.end(), "address") for m in _GPS_POSITION.finditer(norm)]
    if "呼号" in norm:
        spans += [Span(m.start("v"), m.end("v"), "other") for m in _CALL_SIGN.finditer(norm)]
    if "评论】" in norm:
        spans += [Span(m.start("u"), m.end("u"), "account") for m in _COMMENTER.finditer(norm)]
    if "=" in norm:
        for m in _LOG_FIELD.finditer(norm):
            label = _LOG_FIELD_LABELS[m.group("k")[0].lower()]
            if label != "date_of_birth" or re.fullmatch(rf"{_DATE}", m.group("v")):
                spans.append(Span(m.start("v"), m.end("v"), label))
    if "*" in norm or "＊" in norm:
        # (账号139****2207: a payment account that is a masked mobile number is the account)
        spans += [Span(m.start(), m.end(), "account" if _ACCOUNT_BEFORE.search(norm, max(0, m.start() - 8), m.start()) else "phone")
                  for m in _MASKED_PHONE.finditer(norm)]
        spans += [Span(m.start(), m.end(), "id_number") for m in _MASKED_ID.finditer(norm)]
    grouped = [m for m in _ID_GROUPED_RE.finditer(norm) if _ID_DIGITS.fullmatch(re.sub(r"[ \-]", "", m.group()))]
    ids = list(_ID_RE.finditer(norm))
    if _ID_CUE_GATE.search(norm):
        # any other grouping, after the cue only (those _ID_RE or _ID_GROUPED_RE take are not taken twice)
        known = {m.span() for m in (*ids, *grouped)}
        grouped += [m for m in _ID_ANY_GROUPING.finditer(norm) if m.span() not in known
                    and _ID_DIGITS.fullmatch(re.sub(r"[ \-]", "", m.group()))
                    and _ID_CUE.search(norm, max(0, m.start() - 16), m.start())]
    for m in [*ids, *grouped]:
        digits = m.group().replace(" ", "").replace("-", "")
        cued = bool(_ID_CUE.search(norm, max(0, m.start() - 16), m.start())
                    or _ID_SENTENCE_CUE.search(norm, max(0, m.start() - 32), m.start()))
        if cued or _id_checksum_ok(digits):
            spans.append(Span(m.start(), m.end(), "id_number"))
            spans += _birth_dates_of(norm, digits[6:14], m.span())
    if "-" in norm:  # (before the cued numbers: a 登记号 cue would call it a record's)
        spans.extend(Span(m.start(), m.end(), "id_number") for m in _KR_RRN_RE.finditer(norm)
                     if not _NOT_A_PERSON_NUMBER.search(norm, max(0, m.start() - 8), m.start()))
    for label, rx in _CUED:
        for m in rx.finditer(norm):
            if label == "other" and _DEVICE_CUE.search(m.group()) and _ward_equipment(norm, m.start()):
                continue
            if label == "other" and "血袋" in m.group() and _BLOOD_UNIT_NUMBER.match(norm, m.start("v")):
                continue  # (血袋条码=W0318 24 118427: the unit's ISBT number, printed on every bag of a run)
            # 惠民保会员号HMB…, 保险公司会员号AXM-…: an insurer's member number is an account, like its policy (a
            # gym's or a shop's 会员号 is other)
            insurer = label == "other" and "会员" in m.group() and _INSURER_AROUND.search(norm, max(0, m.start() - 40), m.end() + 40)
            spans.append(Span(m.start("v"), m.end("v"), "account" if insurer else label))
            at = m.end("v")
            while label == "account" and (more := _ANOTHER_HANDLE.match(norm, at)):
                spans.append(Span(more.start("v"), more.end("v"), "account"))  # 账号wx_lhm1990和drugbuyer77: both
                at = more.end("v")
    spans.extend(Span(m.start(), m.end(), "id_number") for m in _TW_ID_RE.finditer(norm)
                 if _tw_id_ok(m.group()) and not _NOT_A_PERSON_NUMBER.search(norm, max(0, m.start() - 8), m.start()))
    spans.extend(Span(m.start(), m.end(), "id_number") for m in _NRIC_RE.finditer(norm)
                 if _nric_ok(m.group()) and not _NOT_A_PERSON_NUMBER.search(norm, max(0, m.start() - 8), m.start()))
    if "-" in norm:
        spans.extend(Span(m.start(), m.end(), "id_number") for m in _MYKAD_RE.finditer(norm)
                     if not _NOT_A_PERSON_NUMBER.search(norm, max(0, m.start() - 8), m.start()))
    if _TRIAL_GATE.search(norm):
        spans.extend(Span(m.start(), m.end(), "other") for m in _TRIAL_SUBJECT.finditer(norm)
                     if not _NOT_A_PERSON_NUMBER.search(norm, max(0, m.start() - 8), m.start()))
    if "(" in norm or "（" in norm:
        # (帶埋身份證（K382915(6)）: after 身份证, a mistyped check character is still one, as with a resident ID)
        spans.extend(Span(m.start(), m.end(), "id_number") for m in _HKID_RE.finditer(norm)
                     if _hkid_ok(m.group("l"), m.group("d"), m.group("c"))
                     or _ID_CUE.search(norm, max(0, m.start() - 16), m.start()))
    if ".c" in norm or ".me" in norm or ".net" in norm:
        spans.extend(Span(m.start(), m.end(), "account") for m in _PROFILE_URL.finditer(norm))
    for m in _CARD_RE.finditer(norm):
        # a card number with a mistyped digit fails the Luhn check; in a sentence about a card it is one still
        carded = _CARD_SENTENCE_CUE.search(norm, max(0, m.start() - 32), m.start())
        for end in (m.end(), m.start("tail")) if m.group("tail") else (m.end(),):
            digits = norm[m.start() : end].replace(" ", "").replace("-", "")
            if 16 <= len(digits) <= 19 and (_luhn_ok(digits) or carded and end == m.end()):
                spans.append(Span(m.start(), end, "account"))
                break
    if "@" in norm and (_PLATFORM_WORD.search(norm) or "楼" in norm and _FORUM_POSTER.search(norm)):
        # (a forum thread's floors, 5楼 北漂老焦：@…, are a platform too)
        spans.extend(Span(m.start("h"), m.end("h"), "account") for m in _AT_HANDLE.finditer(norm)
                     if m.group("h") not in _MENTION_NOT)  # (群主@所有人: the whole group, no one's handle)
    elif "@" in norm:
        # @Dr_Gao2019: a handle of letters with digits or an underscore is a user name wherever it is, as is one
        # that mixes Chinese and Latin letters (@甲减宝妈Coco): no word and no name is written so
        spans.extend(Span(m.start("h"), m.end("h"), "account") for m in _AT_HANDLE.finditer(norm)
                     if re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]*[0-9_][A-Za-z0-9_\-]*", m.group("h"))
                     or re.search(r"[\u4e00-\u9fff]", m.group("h")) and re.search(r"[A-Za-z]{2}", m.group("h"))
                     # @不想吃药的鹿鹿 你上次说的…: a reply that opens with the @handle it answers, then 你; a message
                     # whose speaker is the @handle (@夏目不是友人帐：医生我最近…)
                     or (m.start() == 0 or norm[m.start() - 1] == "\n") and re.match(r"\s+[你您]|\s*[:：]", norm[m.end() :]) is not None
                     and m.group("h") not in _MENTION_NOT and not _TITLES.search(m.group("h"), 1)
                     and not re.fullmatch(r"[\u4e00-\u9fff]{2,3}", m.group("h")))  # (not @柴医生 你…, @老周 你…: a person)
    if "昵称" in norm or "用户" in norm or "网名" in norm:
        spans.extend(Span(m.start("h"), m.end("h"), "account") for m in _MIXED_HANDLE.finditer(norm))
    if "】" in norm and (sender := _CHAT_SENDER.search(norm)) and not _NOT_A_SENDER.search(sender.group("h")):
        spans.extend(_chat_sender_spans(norm))
    if "@" in norm:
        spans.extend(Span(m.start("h"), m.end("h"), "account") for m in _AT_DISPLAY_NAME.finditer(norm)
                     if (tag := _dict_tag(m.group("w")))[0] not in (None, *_NR_TAGS) and tag[1] >= _COMMON_WORD_FREQ)
    if "昵称" in norm or "叫" in norm or "ID" in norm or "用户" in norm or "网友" in norm or "楼主" in norm or "发帖人" in norm or "评" in norm or "Reviewer" in norm or "回复" in norm:
        for m in _PLATFORM_NAME.finditer(norm):
            value = "q" if m.group("q") else "u"
            if not m.group(value).startswith(("什么", "啥", "这个", "那个")):
                spans.append(Span(m.start(value), m.end(value), "account"))
    if _PHONE_GATE.search(norm):
        spans.extend(Span(m.start(), m.end(), "phone") for m in _PHONE_RE.finditer(norm)
                     if not (m.group().startswith("0") and _NOT_A_PHONE_BEFORE.search(norm, max(0, m.start() - 10), m.start())))
    if ("电话" in norm or "Tel" in norm or "TEL" in norm or "電話" in norm or "手提" in norm or "打" in norm
            or "hatsapp" in norm.lower() or "手" in norm or "号码" in norm or "號碼" in norm):
        spans.extend(Span(m.start("v"), m.end("v"), "phone") for m in _CUED_LOCAL_PHONE.finditer(norm))
    if "obile" in norm or "ell" in norm or "hone" in norm or "el" in norm:
        spans.extend(Span(m.start("v"), m.end("v"), "phone") for m in _CUED_INTL_PHONE.finditer(norm)
                     if 8 <= sum(ch.isdigit() for ch in m.group("v")) <= 15)
    if "电话" in norm or "手机" in norm or "Tel" in norm or "TEL" in norm or "電話" in norm or "手機" in norm:
        spans.extend(Span(m.start("v"), m.end("v"), "phone") for m in _CUED_SPACED_PHONE.finditer(norm)
                     if len(m.group("v").replace(" ", "").replace("-", "")) >= 7)
    if "@" in norm:
        spans.extend(Span(m.start(), m.end(), "account" if _ALIPAY_BEFORE.search(norm, max(0, m.start() - 8), m.start())
                          else "email") for m in _EMAIL_RE.finditer(norm))
    if "短号" in norm:
        spans.extend(Span(m.start("v"), m.end("v"), "phone") for m in _MOBILE_SHORT_NUMBER.finditer(norm))
    if "#" in norm or "(at)" in norm or "[at]" in norm or "艾特" in norm:
        spans.extend(Span(m.start(), m.end(), "email") for m in _HIDDEN_EMAIL_RE.finditer(norm))
    if " at " in norm or "艾特" in norm or "圈a" in norm.lower():
        spans.extend(Span(m.start(), m.end(), "email") for m in _SPOKEN_EMAIL_RE.finditer(norm)
                     if re.fullmatch(_MAIL_PROVIDER, m.group("domain"), re.IGNORECASE)
                     or _EMAIL_CUE.search(norm, max(0, m.start() - 16), m.start()))
    # The regexes below run only where a match could be (an IPv4 address has a digit, a dot and a digit, an
    # IPv6 one seven colons): each scanned every text with an e-mail address or a 医生 in it.
    if ("." in norm and _DIGIT_DOT_DIGIT.search(norm)) or norm.count(":") >= 7 or "::" in norm:
        spans.extend(Span(m.start(), m.end(), "ip") for m in _IP_RE.finditer(norm)
                     if not _VERSION_BEFORE.search(norm, max(0, m.start() - 8), m.start()))
    if "车牌" in norm:
        spans.extend(Span(m.start("v"), m.end("v"), "plate") for m in _CUED_PLATE.finditer(norm))
    if "车" in norm:
        spans.extend(Span(m.start(g), m.end(g), "plate") for m in _CUED_HK_PLATE.finditer(norm) for g in ("v", "w") if m.group(g))
    for m in _PLATE_RE.finditer(norm):
        if m.start() == 0 or not norm[m.start() - 1].isascii() or not norm[m.start() - 1].isalnum():
            spans.append(Span(m.start(), m.end(), "plate"))
    # Each regex runs only where its cue can be (医生 is in most texts, so "生" alone is no test): every cue of
    # _DOB_BEFORE contains one of these (its "D.O.B" has no "DOB": once left out, it was never found).
    if ("出生" in norm or "生日" in norm or "生于" in norm or "DOB" in norm or "D.O.B" in norm or "irth" in norm
            or "orn " in norm):
        spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in _DOB_BEFORE.finditer(norm))
    if "年的" in norm:
        spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in _BORN_YEAR.finditer(norm))
        # 嫂子是1983年的, 赵建国是1979年的，属羊: whose year it is, a relative or the zodiac sign after it
        spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in _YEAR_OF.finditer(norm)
                     if _KIN_WORD_RE.search(norm, max(0, m.start() - 4), m.start()) or _ZODIAC.match(norm, m.end()))
        spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in _YEAR_CLAUSE.finditer(norm)
                     if _PERSON_BEFORE_YEAR.search(norm, max(0, m.start() - 16), m.start()))
        if "属" in norm:
            spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in _SPOKEN_YEAR_OF.finditer(norm))
    if "年生" in norm or "年出生" in norm or "生的" in norm:
        spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in _BORN_SPOKEN.finditer(norm))
    # _DOB_AFTER: a 生 cue after a date, and every date it takes has 年 or a year starting 18, 19 or 20.
    if ("生" in norm or "出世" in norm) and ("年" in norm or "19" in norm or "20" in norm or "18" in norm or "月" in norm):
        spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in _DOB_AFTER.finditer(norm)
                     if not (_BARE_YEAR.fullmatch(m.group("v").strip()) and _COHORT.match(norm, m.end())))
    if "年次" in norm:
        spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in _TW_BIRTH_COHORT.finditer(norm))
    if "男" in norm or "女" in norm:
        spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in _DATE_AFTER_SEX.finditer(norm))
    if "生" in norm or "出世" in norm or "娩出" in norm:
        spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in _DOB_AT_HOUR.finditer(norm))
    if "新生儿" in norm:
        spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in _NEWBORN_DATE.finditer(norm))
    if "|" in norm or "｜" in norm:
        spans.extend(_row_birth_dates(norm))
    for k, born in enumerate(spans):
        # 民國38年5月2日生: the era's name is part of the date (the year alone reads as 1938 or 2038)
        if born.label == "date_of_birth" and norm.endswith(("民国", "民國"), 0, born.start) and norm[born.start].isdigit():
            spans[k] = Span(born.start - 2, born.end, "date_of_birth")
    for born in [s for s in spans if s.label == "date_of_birth"]:
        if same := _SAME_YEAR_AFTER.match(norm, born.end):
            spans.append(Span(same.start("v"), same.end("v"), "date_of_birth"))
        if fixed := _CORRECTED_AFTER.match(norm, born.end):
            spans.append(Span(fixed.start("v"), fixed.end("v"), "date_of_birth"))
    return spans


# 筛选号S-017｜受试者周雨桐｜1990-04-22｜知情同意签署2024-05-13: a table row's cell that is a date alone, right after
# the cell naming whom the row is about, and at least _BIRTH_YEARS_BEFORE years before another date of the same row (a
# visit, a signature) is when that person was born (a row's visit dates are years apart from no other date)
_ROW_DATE_CELL = re.compile(r"(?<=[|｜])[ \t]*(?P<v>(?:19|20)\d{2}([-/.])(?:0?[1-9]|1[0-2])\2(?:0?[1-9]|[12]\d|3[01]))[ \t]*(?=[|｜])")
_ROW_PERSON_CELL = re.compile(r"(?:受试者|受检者|受种者|患者|病人|患儿|就诊人|姓名|居民|参保人|被保险人|献血者)[:：]?\s*[\u4e00-\u9fff·]{2,8}\s*$")
_ROW_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?=\s*[-/.年])")
_BIRTH_YEARS_BEFORE = 12


def _row_birth_dates(norm: str) -> list[Span]:
    out: list[Span] = []
    for m in _ROW_DATE_CELL.finditer(norm):
        row_start = norm.rfind("\n", 0, m.start()) + 1
        row_end = len(norm) if (e := norm.find("\n", m.end())) < 0 else e
        cell_start = max(row_start - 1, norm.rfind("|", row_start, m.start() - 1), norm.rfind("｜", row_start, m.start() - 1)) + 1
        if not _ROW_PERSON_CELL.search(norm, cell_start, m.start() - 1):
            continue
        year = int(m.group("v")[:4])
        others = [int(y.group()) for y in _ROW_YEAR.finditer(norm, row_start, row_end) if not m.start() <= y.start() < m.end()]
        if others and max(others) - year >= _BIRTH_YEARS_BEFORE:
            out.append(Span(m.start("v"), m.end("v"), "date_of_birth"))
    return out


# --- names ---------------------------------------------------------------------------------------------

_COMPOUND_SURNAMES = (
    "欧阳 司马 诸葛 上官 慕容 东方 令狐 皇甫 尉迟 公孙 夏侯 司徒 长孙 宇文 轩辕 端木 独孤 南宫 西门 "
    "澹台 呼延 百里 东郭 闻人 万俟 申屠 赫连 钟离 第五 宗政"
).split()
# Common single-character surnames. Left out on purpose: characters that are far more often function
# words at the start of a clause (和 向 从 有 时 常 过 自 在 也 就 都 还 能 把 被 让 全); 于 任 曾 are kept
# because a function-word reading (于是, 任何, 曾经) is a dictionary word, which never starts a name.
_SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔汤易乔赖文庞樊兰殷施洪翟安颜倪牛温芦季俞章鲁葛伍申尤毕聂焦柴纪齐祝邢岳单杭包卞柯阮"
    "骆宁蓝甘关梅裴辛霍凌卫耿解滕米柳欧盛童屈喻蒙符窦储岑晏邬宫茅祁计伏舒宣凤麦萧于任曾"
    # rarer ones: a name after a cue starts with any of these as often as with a common one
    "佘逯宓帅禤蒯仇庄宗阎薄桑桂濮寿扈燕冀郏晁敖訾阚饶鞠巢竺荆桓仉缑亢况蔺屠蒲邰鄂索郁胥苍莘贡逄姬冉郦雍"
    "璩邝甄栾冼芮惠詹厉奚封靳糜粟虞卓隋迟佟钮邴暴汲亓阙柏苗区揭笪茹展郜郗隗乜"
    # common ones first missed in session 52 (会诊医师：傅晓红, 康先生)
    "傅康左尚涂谷翁鲍牟艾穆缪简褚娄戚瞿臧闵苟巫寇郎仲巩匡栗鄢谌楼禹漆卿狄邸辜裘嵇湛昝"
    # first missed in session 54 (审核医师 庹红, 患者麻阿婆, 收件人仝阿姨, 被保险人房思远)
    "庹仝麻房"
    # and in session 54's second set (雒老师, 费医生), session 55's (患者占永强)
    "雒费占"
    # a Korean student's (朴智妍), session 56, and two rare ones (禚光明, 斛建设)
    "朴禚斛"
    # a Zhuang surname (随访农桂芝, session 58): it starts 农村 and 农药 too, which the tokenizer keeps whole
    "农"
    # session 59: 被保险人：厍国平, 药师鹿佳宁
    "厍鹿"
    # session 61: 护士长甯秀英, 产妇粘美君, 长子曲建华, 花奶奶（花玉兰）, 就诊人车文涛
    "甯粘曲花车"
    # session 71: 丘 (a Hakka surname); it starts 丘疹 and 丘脑 too, which medical_terms.txt and the tokenizer keep whole
    "丘"
)
_SURNAME_RE = re.compile("|".join(_COMPOUND_SURNAMES) + f"|[{_SINGLE_SURNAMES}]")
# Surnames that start no ordinary word: after a cue, the two characters after one are a given name even when they
# are a word too (医生禚建设, 治疗师仉光明; not 医生 + 宗教, which the tokenizer keeps one word)
_RARE_SURNAMES = frozenset("厍禚斛訾亓鞠仉笪逯宓禤蒯郏阚缑亢蔺邰逄郦璩邝栾冼芮詹靳糜隋佟钮邴汲阙郜郗隗晁濮扈胥莘")
# Compound surnames that are no ordinary word (东方, 百里, 第五, 长孙, 公孙 are; 上官 is also 上 + 官网/官方):
# one of these starting a word and followed by a given name is a name with no cue at all (司马健的化验单,
# 诸葛明远上个月).
_NAME_ONLY_COMPOUNDS = frozenset(_COMPOUND_SURNAMES) - {
    "东方", "百里", "第五", "长孙", "公孙", "南宫", "西门", "东郭", "闻人", "上官"}
# Characters that (almost) never occur in given names but do in the words around them in medical
# text: roles, body and medical words, pronouns, function and time words.
_NOT_GIVEN = set(
    "的了是在有和与及或不没也都就还又很太更最这那哪什么怎样吗呢吧啊呀嘛哦我你他她它们您几多谁啥其"
    "医生病患者孕妇护士家属男女岁年日周时分秒今昨前后个次片粒颗支瓶毫克升"
    "血压糖热烧痛疼炎症肿咳嗽吐泻药治疗检查术住院诊感冒烧头胸腹腰背腿脚手眼耳鼻喉口牙"
    "肝脾肺肾胃肠脑骨肤科室号床级期型度性感觉得到被把给让从向于对因为所以但而且如果想要需"
    "已经曾才近去来说问答请谢该会能应第叫姓名字龄妈爸爷奶儿母父夫妻亲戚朋事师"
    "主任教授院先姐阿姨叔看开做吃喝拉睡点工氏征班委籍系"
    # a farm's, a pasture's ground (丈夫在夏牧场: a herder's summer pasture, not 夏 + 牧场)
    "场"
)
_TITLES = re.compile(
    r"(?:老板|护师|科长|处长|局长|所长|组长|站长|队长|厂长|学长|学姐|师兄|师姐|医生|大夫|医师|副?主任|副?教授|护士|护士长|副?院长|主治|主管(?:技师|护师|药师|医师)|助产士|药师|技师|治疗师|营养师|康复师|咨询师|社工|老师|先生|太太|女士|小姐|阿姨|阿婆|阿伯|阿公|叔叔|师傅|小朋友|同学|经理|博士"
    # (邵班长, 戚园长: a squad's, a class's or a kindergarten's head, a coach)
    r"|班长|园长|校长|教练|指导员|连长|排长|馆长|警官|总"
    # (崔社长带员工…: a Korean firm's head)
    r"|社长"
    # (杨和平老先生的手术…)
    r"|老先生|老太太"
    # how Hong Kong's wards address a nurse (黃姑娘交更); a Hui mosque's imam (马阿訇的老伴…)
    r"|姑娘|阿訇)"
)
# How older people are addressed, after a full name only (刘德福大爷, 周淑芬奶奶): after a surname alone they are
# as often the end of a word (牛奶 + 奶瓶, 牛奶 + 奶粉).
_ELDER_TITLES = re.compile(r"大爷|大妈|大娘|大伯|大叔|大婶|大姐|大哥|奶奶|爷爷|姥姥|姥爷|婆婆|公公|阿婆|阿公|伯伯"
                           # a care home's log: 刘春花老人精神好些了 (not 老人家, the polite "you", or 老人院, 老人机)
                           r"|老人(?![家院机斑])")
# A name is introduced by the words right before it ...
_STRONG_CUE = re.compile(
    r"(?:我叫|名叫|叫做|名字是|名字叫|姓名(?:是|为)?|(?:^|(?<=[，,。\s]))叫|联系人|(?:户口本|户口簿|身份证|证件|户籍|学籍)上(?:的名字)?(?:叫|写的?是?)|联络人|户名|签名|签字|就诊人|称呼|署名|(?:病人|患者|他|她)叫"
    r"|(?:医生|医师|大夫|护士|主任|主治|药师|药剂师|技师|护师|家属|患者|病人|报告人|审核人|操作者|检查者|记录人|家长|患儿|孩子|宝宝"
    r"|收件人|收货人|孕妇|产妇|居民|签约居民|[\u4e00-\u9fff]{1,3}(?<![找寻])人|[\u4e00-\u9fff]{1,3}(?:者|员)"
    # a record about one person, named first (进修医师登记：翁海燕，…; 健康险卡信息：计红，…)
    r"|[\u4e00-\u9fff]{0,4}(?:登记|材料|信息|名单|档案|评估|小结)|(?:转诊|会诊|转院|入院|出院|随访|交接)单)\s*[:：|｜]"
    r"|签约居民|参保人|投保人|被保人|受保人|报修人|申请人|经办人|(?:委托|法定)?代理人|监护人|借阅人"
    # an insurance policy's beneficiary (原受益人梁国庆变更为其女…), a death register's deceased (死者陳淑芬，台胞)
    r"|受益人|死者|逝者|亡者"
    # who takes the medicine, joins the rural scheme, is paid, is counselled (用药人高文静, 参合人高长生, 来访者和海燕)
    r"|用药人|服药人|参合人|收款人|开户人|持卡人|持证人|持照人|来访者"
    # a survey's household head and respondent (户主贺建军, 受访者贺建军对调查无异议)
    r"|户主|受访者|被访者|受调查者"
    # a ward's visitor log (探视人彭秋菊（妻）, 访客石磊自称…, 陪护人…)
    r"|探视人|探访人|陪护人|陪同人|来访人|(?<![英美外])访客(?!登记|须知|较多|通道|区|们)"
    # a complaints register's complainant (投诉人马国庆（手机…）反映)
    r"|投诉人|举报人|申诉人"
    # a judgment's bench and clerk (审判长黄志坚，人民陪审员卢慧、…，书记员谢婷)
    r"|审判长|审判员|陪审员|书记员|法官助理"
    # a team doctor's log of its players (门将韦小雨自述…)
    r"|门将|前锋|中锋|边锋|后卫|后腰|球员|队员|运动员"
    # a social worker's and a carer's records (被转介人田秋菊, 服务对象郭秀珍), who owns a car, who lives where
    r"|被?转介人|服务对象|照护者|志愿者|护理员|车主|(?<!城乡)居民"
    # a record's fields, also in a table (| 检验者 | 蒋琳 |) or after a space (主刀 卢伟): who did, checked or paid
    r"|(?:检验者|审核者|审核人|复核者?|报告者|录入者|记录者|采样者|送检医[师生]|申请医[师生]|会诊医[师生]|主管医[师生]"
    r"|经治医[师生]|报告医[师生]|开单医[师生]|审核医[师生]|开嘱(?:医[师生])?|值班医[师生]|值班护士|交款人|缴款人|收款员|收费员"
    # who received, treats or nurses the patient (接诊医师木春华, 责任护士 …); a prescription's pharmacists
    r"|接诊医[师生]|主诊医[师生]|首诊医[师生]|主治医[师生]|管床医[师生]|床位医[师生]|责任护士"
    # what a foreigner is called in Chinese (Michael Turner（中文名唐迈克）)
    r"|(?:中文|汉语)名(?:字)?(?:叫|是|为)?"
    r"|审核药师|调配药师|核对药师|发药药师|调配人?|核对人?|发药人?|复核人?|执行人|代办人"
    r"|操作员|操作人|检验员|审核员|质控员|签字人|家属签字|患者签字|被保险人|投保人|主刀|一助|二助|三助|麻醉医?师|麻醉(?=[\s:：|｜])|器械护士|校医|巡回护士|洗手护士|护士长"
    # a roster's therapist and a dialysis machine's patient (治疗师甘露, 1号机吴海燕)
    r"|治疗师|康复师|(?<![\d.])\d{1,2}号机)\s*[:：|｜]?\s*"
    # 主管医生（许婷）, 孟主任（孟祥军）: a role, and the name in brackets
    r"|(?:医生|医师|大夫|护士|主任|教授|护士长)\s*[（(])\s*[:：]?\s*$"
)
_WEAK_CUE = re.compile(r"(?:我是|本人|患者|病人|病患|伤者|产妇|孕妇|请|转给|找|谢谢|感谢|是"
                       # a report's people by their part in it (行人廖建平, 受血者江涛, 来电人…), a relative as 其母
                       r"|行人|司机|驾驶员|驾驶人|乘客|骑手|路人|目击者|报警人|来电人|呼救人|受血者|献血者|供血者|捐献者|人员"
                       r"|负责人|法人|法定代表人|同胞|台胞|受者|供者|之(?:子|女|妻|夫|母|父)|见证人|证人"
                       r"|其(?:母亲|父亲|丈夫|妻子|儿子|女儿|母|父|妻|夫|子|女|兄|弟|姐|妹)"
                       # whose words are forwarded (转发自李秀英：…), who signs a reply (——心内科 张立新)
                       r"|转发自|转自|(?:——|—|--)\s*(?:[\u4e00-\u9fff]{1,8}科\s*)?"
                       # errands for someone: 帮付红梅挂个号, 转告上官婉清
                       r"|帮|替|转告|通知|告诉|提醒"
                       # whom a doctor or a relative visits: 随访农桂芝, 探望刘大爷
                       r"|随访|探望|看望|探视|走访|委托"
                       # a vaccine's recipient (接种人陈一诺，出生日期…)
                       r"|接种人|受种者|受种人|接种者"
                       # a colleague by their department: 信息科的曹磊, 护理部的王芳
                       r"|(?:科|科室|部|处|中心|病房|病区)的"
                       # a bed in a ward's handover: 3床晏子豪术后…, 5床茹玉珍今晨…
                       r"|(?<![\d.])\d{1,3}\s*(?:床|号床)|(?<![一二三四五六七八九十])[一二三四五六七八九十]{1,3}\s*(?:床|号床)"
                       # a tourist or a passenger (香港遊客斛家明)
                       r"|游客|遊客|旅客"
                       # a bitten child, a dog's owner, a trial's subject (被咬者7岁男童林子豪, 犬主王秋生说, 受试者麦淑仪的)
                       r"|男童|女童|男孩|女孩|犬主|狗主人?|受试者"
                       # a ward's newly admitted or transferred patient (时段给新入院的陈桂兰)
                       r"|(?:新|刚)?(?:入院|收治|收入|转入|转来)的"
                       # a roster's or a class's number before the person (五（3）班 12号 王梓涵, 14号杨帆; not 3号楼,
                       # 8号房间: no name follows)
                       r"|(?<![\d.A-Za-z\-])\d{1,3}\s*号(?![楼床房室线车窗口门诊台])"
                       # an identifier, then the person it belongs to: 工号A10386，蔡明亮，…
                       r"|(?<![\d.])[A-Za-z]{0,3}\d{4,}\s*[，,（(/]|备注\s*[:：]"
                       # a shift on a roster (A班 刘金花、…；N班 杨帆)
                       r"|(?<![A-Za-z])[A-Z]班|(?:早|中|晚|夜|白|大夜|小夜)班(?:护士|医生)?\s*[:：]?"
                       # a scanned form whose colons were lost: 处方号 000 332 817 医师 杭建新
                       r"|(?:医师|药师|技师|护师)[ \t　]"
                       # a table row's serial number (2|柯欣悦|女|8|…): the cell after it is the row's subject
                       r"|(?:^|(?<=[\n|｜]))\s*\d{1,3}\s*[|｜])[\s|｜]*$")
# Kinship, roles and greetings: a word after them is a name even when it is also an ordinary word.
_KIN_WORDS = (
    # first: they hold other kinship words (孩子他爸老王, 我们家老爷子叫巴特尔, 我兄弟阿强)
    r"那口子|孩子他爸|孩子他妈|孩他爸|孩他妈|孩子爸|孩子妈|老爷子|老太太|兄弟(?!姐妹)"
    r"|儿子|女儿|孩子|宝宝|老公|老婆|爱人|丈夫|妻子|媳妇|妈妈|我妈|爸爸|我爸|母亲|父亲|爷爷|奶奶|外婆|外公|姥姥"
    r"|姥爷|哥哥|姐姐|弟弟|妹妹|闺女|小孩|同事|朋友|邻居|家属|女婿|儿媳妇?|孙子|孙女|舅舅|姑姑|外甥女?|外孙女?|侄子|侄女"
    r"|我妹|我哥|我姐|我弟|老妈|老爸|对象|男朋友|女朋友|男友|女友|闺蜜|发小|同桌|老乡|战友|病友|师兄|师姐|学长|学姐"
    r"|表哥|表姐|表弟|表妹|堂哥|堂姐|堂弟|堂妹|叔叔|阿姨|伯伯|伯父|伯母|婶婶|嫂子|姐夫|妹夫|老伴|室友|舍友|同学|领导|老板"
    # in-laws and the wider family (我婆婆谢桂兰, 我岳父刘德明)
    r"|婆婆|公公|岳父|岳母|丈母娘|老丈人|姨妈|姑妈|舅妈|姑父|姨父|小姨|大姨|干妈|干爹|继父|继母"
    r"|我先生|我太太|我夫人|配偶|家人(?!们|都|也)|家庭成员"
    # dialect: 老汉儿 (a father, Sichuan), 屋头的 (a wife), 婆娘
    # (额吉乌日娜: 额吉, a mother in Mongolian)
    r"|老汉儿|屋头的|婆娘|老豆|老竇|屋企人|老头子|幺爸|阿爸|阿妈|阿媽|额吉|阿嫲|阿嬷|侄儿|老伴儿|幺儿|幺女|幺妹|阿姐|阿哥|个仔|个女|双胞胎|龙凤胎"
    # a family history's elders, and former partners (舅公柏永福, 外祖父沈德润, 前任Jason)
    r"|外祖父|外祖母|曾祖父|曾祖母|祖父|祖母|舅公|舅婆|姨婆|姑婆|大舅|二舅|三舅|小舅|二姨|大伯|二伯|三叔|四叔"
    r"|前任|前男友|前女友|前妻|前夫"
    # children by their rank (患者长子甘胜利、次女甘海燕)
    r"|长子|次子|三子|幼子|独子|养子|长女|次女|三女|幼女|独女|养女|大儿子|小儿子|二儿子|大女儿|小女儿|二女儿"
    # brothers and sisters by their rank (二姐王淑珍, 老三王建军, 小五刘小燕; not 王小五, 张老三: a name or a nickname)
    rf"|(?<![{_SINGLE_SURNAMES}])(?:老[二三四五六七八九]|小[二三四五六七八九](?![年月日号点时分岁个次])|[大二三四五六七]姐(?!夫)|[大二三四五六七]哥)"
)
_KIN_WORD_RE = re.compile(_KIN_WORDS)
# 汪淑芬（19520918）, 李明(1988-05-12): a birth date in brackets right after a name (the date is the group v)
_BRACKETED_BIRTH_DATE = (r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                         r"|(?:19|20)\d{2}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01])")
_LATIN_NAME_IN_BRACKETS = re.compile(r"\s*[（(]\s*(?P<v>[A-Z][A-Za-z'\-]+(?: [A-Z][A-Za-z'\-]+){1,3})\s*[)）]")
_BIRTH_DATE_IN_BRACKETS = re.compile(rf"\s*[（(]\s*(?P<v>{_BRACKETED_BIRTH_DATE})\s*[)）]")
# 老马（马德胜，1941-02-17）: how a care home calls someone, then the full name and the birth date in brackets
_OLD_SURNAME_NAMED = re.compile(rf"[老小](?P<s>[{_SINGLE_SURNAMES}])\s*[（(]\s*(?P<n>(?P=s)[\u4e00-\u9fff]{{1,2}}?)"
                                rf"\s*(?=[，,)）])")
# 阿强（黄志强）: 阿 and the last character of a given name, then the full name in brackets ending in it
_A_GIVEN_NAMED = re.compile(rf"(?<![\u4e00-\u9fff])(?P<s>阿(?P<g>[\u4e00-\u9fff]))\s*[（(]\s*"
                            rf"(?P<n>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]?(?P=g))\s*(?=[，,)）])")
# 持卡人签名“黄伟”, 名字写成了“陈建国”，实际应为“陈建华”: a name quoted after what says it is one (and the
# correction that follows it)
_QUOTED_AS_NAME = re.compile(rf"(?:名字|姓名|签名|签字|署名)[^。；;！!？?\n“”\"「」]{{0,10}}?[“\"「](?P<n>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}?)[”\"」]")
_QUOTED_CORRECTION = re.compile(rf"\s*[，,]?\s*(?:实际|其实|正确的?)?(?:应为|应该是|应是|是|改为|改成)[“\"「]"
                                rf"(?P<n>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}?)[”\"」]")
# 老孟家三儿子孟庆海: a family by its head's surname, before one of its members (not 老师家的孩子: a word)
_OLD_SURNAME_HOME = re.compile(rf"老(?P<s>[{_SINGLE_SURNAMES}])家(?=的|[大小二三四五六七八九]?(?:儿子|女儿|媳妇|闺女|孩子|姑娘|小子|老[大二三四五六七八九]))")
# 患者释慧明, 同寺释常静法师, 法号宏愿, 修女若瑟芬, 若望神父: a monk's or a nun's religious name, a sister's or a
# priest's (not 解释, 稀释, 释放; not 这位神父)
_RELIGIOUS_NAME = re.compile(r"(?<![解稀注诠阐保开冰消])(?P<a>释(?![放义然怀疑出迦])[\u4e00-\u9fff]{2})(?=法师|师父|[，,。；;（(、\s]|$)"
                             r"|法号(?:是|为|叫)?\s*(?P<b>[\u4e00-\u9fff]{2})(?=[，,。；;（(、\s]|$)"
                             r"|(?:修女|神父|修士|牧师|嬷嬷)(?P<c>[\u4e00-\u9fff]{2,4}?)(?=[（(，,。；;、\s]|因|由|陪|为|在|说|来)"
                             r"|(?:^|(?<=[\n，,。；;：:]))(?P<d>[\u4e00-\u9fff]{2,3}?)(?=神父|修女|牧师)")
# 米建国（户主，1961年9月）、贾桂兰（配偶，1963年2月）: a household's members, each with their place in it and when they
# were born, in brackets
_MEMBER_IN_BRACKETS = re.compile(rf"(?P<n>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}?)\s*[（(]\s*(?:户主|配偶|本人|{_KIN_WORDS})"
                                 r"\s*(?:[，,]\s*(?P<v>(?:19|20)\d{2}\s*年\s*(?:0?[1-9]|1[0-2])\s*月(?:\s*(?:0?[1-9]|[12]\d|3[01])\s*[日号])?)\s*)?[)）]")
# 工友杨志强（大伙都叫他强子）: a name, then in brackets what everyone calls the person
_CALLED_IN_BRACKETS = re.compile(rf"(?P<n>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}?)\s*[（(][\u4e00-\u9fff]{{0,5}}?(?:叫|喊)[他她](?:做)?"
                                 r"(?P<c>[\u4e00-\u9fff]{2,3}?)\s*[)）]")
_BIRTH_DATE_AFTER_NAME = re.compile(rf"\s*[，,]\s*(?P<v>{_BRACKETED_BIRTH_DATE})\s*[)）]")
_RELATION_CUE = re.compile(r"(?:其|之)(?:母亲|父亲|丈夫|妻子|儿子|女儿|母|父|妻|夫|子|女|兄|弟|姐|妹)\s*$")
_KIN_CUE = re.compile(rf"(?:您好|你好|(?:{_KIN_WORDS})(?:叫|是|名叫)?)\s*$")
# 我爸叫 / 我女儿名叫: what a relative is called is said as plainly as 我叫.
_KIN_CALLED = re.compile(rf"(?:(?:{_KIN_WORDS})(?:的名字)?|(?:{_KIN_WORDS}|他|她|护士|医生|大夫|主任|老师)"
                         r"(?:好像|应该|大概|可能|估计|据说))(?:叫|名叫)(?:做)?\s*$")
# What a person does who opens a clause: reports, advises (尹天佑说…, 陈静告诉我…).
_TELLING_NAME = re.compile(r"(?:说|讲|告诉|提醒|推荐|介绍|建议|问我|叫我|让我)")
# A role word right before a name (主治医生刘洋, 护士王芳): weaker than kinship, since an ordinary word often
# follows one (医生说, 医生高度怀疑).
_ROLE_CUE = re.compile(r"(?:医生|医师|大夫|护士|护士长|主任|教授|院长|老师|助理|秘书|实习生|规培生|护工|保姆|陪护|职工|员工"
                       r"|药师|药剂师|护师|技师|代办人|执行人|核对人|经办人|工程师|技术员|私教|教练"
                       # a notice's addressee or the one it names (尊敬的客户赵春花, 受检者冯丽, 骑手小张, 治疗师)
                       r"|客户|用户|会员|受检者|受检人|骑手|配送员|快递员|治疗师|营养师|康复师|咨询师"
                       r"|志愿者|照护者|护理员|社工|校医|民警"
                       # a shop's staff (店员林晓稍后会打…)
                       r"|店员|店长|导购|收银员"
                       # a team doctor's log (后卫郝星辰), an interpreter
                       r"|后卫|前锋|中锋|边锋|守门员|门将|队员|球员|运动员|翻译"
                       # a chat group's owner and admins (群主卓玛：…)
                       r"|群主|群管|管理员"
                       # who speaks for the family or the patients (家属代表龚文静)
                       r"|(?:家属|患者|病人|病友|居民|村民|职工)代表"
                       # a ship's passengers and crew, a pedigree's index case, an exchange student, a help desk
                       # (香港乘客陳家豪, 船员黎志强, 先证者程思远, 台灣交換生黃柏翰, 客服小敏)
                       r"|乘客|旅客|游客|船员|先证者|交换生|交換生|留学生|客服"
                       # a mountain rescue's missing and trapped (被困者聂川, 第二名失联者孟凡)
                       r"|被困者|失联者|遇险者|遇难者)\s*$")
# A kinship word after a name: 王李雨桐是我外甥女 (the kinship word ends the clause: not 电话是我老公的), 冉冉她奶奶.
# 小郑（我同事）, 周建平(我爸): whose relative or colleague, in brackets
_KIN_IN_BRACKETS = re.compile(rf"\s*[（(]\s*(?:我的?|是我的?|患者的?|病人的?)?(?:{_KIN_WORDS}|妈|爸)\s*[)）]")
_KIN_AFTER = (rf"是我的?(?:{_KIN_WORDS}|妈|爸)(?=[，,。.；;！!？?\s]|$)|(?:和|跟)?[他她]的?(?:{_KIN_WORDS}|妈|爸|娘|爹)"
              rf"|{_KIN_IN_BRACKETS.pattern}")
# ... or by what follows it: a title (王主任), sex and age (张伟，男，45岁) or a greeting (李华您好).
_SEX_AGE = re.compile(r"\s*[，,、 ]\s*(?:男|女)(?:性)?(?=[，,、 \d。；;]|$)|\s*[，,]\s*\d{1,3}\s*岁|\s*(?:男|女)\s*[，,、]"
                      r"|\s*[（(]\s*(?:男|女)(?:性)?\s*[，,、)）]"
                      # a table's next cell (2|柯欣悦|女|8|…)
                      r"|\s*[|｜]\s*(?:男|女)(?:性)?\s*(?=[|｜])")
_AFTER_NAME = re.compile(
    rf"(?:{_SEX_AGE.pattern})|\s*[，,]?\s*(?:您好|你好)|的(?:家属|家长|丈夫|妻子|妈妈|爸爸|母亲|父亲|儿子|女儿)"
    # contact data right after: 张建国，13800001111 / 张建国 电话：…
    r"|\s*[，,、:：]?\s*(?:(?:联系)?电话|手机(?:号)?)\s*[:：]?|\s*[，,]\s*[1-9]\d{5}\s?(?:19|20)\d{6}\s?\d{3}[\dXx]|\s*[，,、:：]?\s*(?:\+?86[ \-]?)?1[3-9]\d(?:[ \-]?\d){8}(?!\d)"
    # whose contact or record data it is (马超的QQ, 李娜的身份证号), whose birth date (万建华，1958年6月12日出生)
    r"|的(?:手机|电话|微信|QQ|qq|邮箱|身份证|医保卡|社保卡|社保|医保|银行卡|护照|就诊卡|病历号|住院号|门诊号)"
    r"|的[\u4e00-\u9fff]{0,4}(?:检测|检查|化验|检验|病理|活检)?(?:报告|化验单|结果|片子|病历)"
    r"|\s*[，,]\s*(?:(?:19|20)\d{2}|民[国國]\s*\d{2,3})\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?\s*(?:出生|生)"
    # whose relative they are: 王李雨桐是我外甥女, 冉冉她奶奶 (the kinship word ends the clause or is the subject)
    rf"|{_KIN_AFTER}"
    # who receives a parcel, at the end of an address: …1688号，刘小芳收
    r"|收(?=\s*(?:[，,。.；;！!]|$))"
    # a couple, a household visited, whose computer (沈慧、柯文斌夫妇; 随访：农德贵家，…; 赵磊的电脑IP…)
    r"|夫妇|夫妻(?![关生])|家(?=\s*[，,。；;])|的(?:电脑|工作站|账号)"
    # whose family is called or signs (李建国家属请到护士站, 刘桂兰家属敬上); who calls or is to be called back
    r"|家属|(?:给(?:我|你|您))?(?:回|打|发)了?(?:个|一个)?(?:电话|微信|短信)"
    # whose staff number or card is given in brackets: 医务科钟晴（工号0728）, 甘立新（医保卡号…）
    r"|\s*[（(]\s*(?:工号|员工号|学号|医保卡号?|社保卡号?|身份证号?|护照号?|病历号|住院号|门诊号|电话|手机"
    # (家长黄建国（微信号…）, 林国庆（设备序列号…）, 李建军（警号…）)
    r"|微信号?|QQ号?|设备序列号|序列号|警号)"
    r"|\s*[（(]\s*(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?\s*(?:出)?生"
    # an app's notice gives a family member's birth date in brackets: 汪淑芬（19520918）
    rf"|\s*[（(]\s*(?:{_BRACKETED_BIRTH_DATE})\s*[)）]"
    # a record's subject, then when it happened (产妇粘美君于2024-06-08分娩, 患者…于今晨入院)
    r"|于\s*(?:(?:19|20)\d{2}\s*[-年./]|\d{1,2}\s*月\s*\d|今晨|昨晚|昨日|今日|同日|次日|当日)"
    # a traffic report's driver, before the plate (许建平驾驶苏E·6R25L小型轿车…)
    rf"|驾驶\s*[{_PROVINCES}][A-Z]"
)
# 吴主任 + 惠予: a surname and a title right before the candidate
_NAMED_BY_TITLE = re.compile(rf"(?:{_SURNAME_RE.pattern})(?:{_TITLES.pattern})$")
# 向阳的家属, 李建国家属: a person whose family is called, even by a name that is also a word
_FAMILY_AFTER = re.compile(r"的?家属")
# 跟杨帆一起, 和王芳一块: a person one goes somewhere with.
_COMPANION_BEFORE = re.compile(r"(?:跟|和|与|同|陪|陪着|带着)\s*$")
_COMPANION_AFTER = re.compile(r"\s*(?:一起|一块)")
# What ends the name of an institution: a person's name is not followed by one directly.
_INSTITUTION_AFTER = re.compile(r"(?:医院|卫生院|卫生所|卫生室|诊所|门诊部|政府|学校|小学|中学|大学|公司|街道办|居委会|村委会"
                                # a public place's name (白鸽巢公园, 何贤绅士大会堂): where someone went, no one
                                r"|公园|广场|大会堂|纪念馆|博物馆|体育馆|体育场|图书馆|码头|车站|机场)")
_COUNTING = set("这那哪每几某一二两三四五六七八九十百半0123456789")
# Dictionary tags of a two-character word that can be a given name after a cue (海洋, 建国), not of
# time words, numerals, verbs or function words (夜间, 今年, 出现).
# Words of any kind that parents give as names (胜利, 平安, 光明): after a kinship word and a surname standing alone
# (由儿子钟 + 胜利代签) the surname and the word are a name; alone, before a kinship title or 他妈, one is a given name
# (建国叔今天…, 国庆他妈) where another word would be that word
# (only words _given_ok passes: 和平, 胜男, 春生 hold characters it refuses, 和, 男, 生)
_WORD_GIVEN_NAMES = frozenset("胜利 平安 光明 解放 建设 卫东 爱国 卫国 振华 建华 兴旺 富贵 吉祥 长青 幸福 "
                              "跃进 红旗 援朝 建新 立新 自强 振兴 发达 团结 招娣 建国 国庆 建军".split())
_GIVEN_WORD_TAGS = {"n", "nr", "nrt", "nrfg", "ns", "nz", "a", "ng", "j"}
# Characters of transliterated drug, germ and brand names (易瑞沙, 柯萨奇, 卢戈液): a three-character
# word with one of them is not taken as a name on the tagger's word alone.
_FOREIGN_SOUNDS = set("斯尔特普拉西诺洛芬唑嗪啶酮胺肽霉素沙奇戈萨莫德维伊米托曲汀坦沙林姆液剂片膏丸散汤氏草菊醇苷酸碱")
_NAME_CHARS = re.compile(r"[\u4e00-\u9fff]")
_LATIN_NAME = re.compile(r"[A-Z][a-zà-öø-ÿ]+(?: [A-Z][a-zà-öø-ÿ]+)?")  # (Chloé)
_CLAUSE_SPLIT = re.compile(r"[，。,.!?！？；;：:\s、（）()\n\"“”'‘’《》【】\[\]]")
# Characters after a kinship or role cue segmented on their own when the tokenizer joined the cue to a surname.
_CUE_WINDOW = 24
_COMMON_WORD_FREQ = 50  # a dictionary "nr" word this frequent is an ordinary word (安静, 高峰) unless a cue says otherwise
_NR_TAGS = ("nr", "nrfg", "nrt")


def _word_list(path: Path) -> frozenset[str]:
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(line.split())
    return frozenset(words)


@lru_cache(maxsize=1)
def _medical_terms() -> frozenset[str]:
    return _word_list(MEDICAL_TERMS_FILE)


@lru_cache(maxsize=1)
def _ordinary_name_words() -> frozenset[str]:
    return _word_list(ORDINARY_NAME_WORDS_FILE)


# The last character of a dictionary "name" that is a place or a thing (屈家岭, 钟祥市, 黄金周), rarely of a
# given name.
_PLACE_SUFFIXES = set("市县区河湖楼桥庙郡岭周镇村路街省岛港寺殿塔洲浦冲卜科堡馆站")


_PLACE_ENDINGS = _PLACE_SUFFIXES | set("山井门江海峰园关口台坡湾城")
# The last character of a place's administrative name (李庄镇, 王家村, 赵县), which a given name hardly ends in
_ADMINISTRATIVE_ENDINGS = frozenset("省市县区镇乡村路街")


def _ordinary(word: str) -> bool:
    """Whether a frequent dictionary "name" is an ordinary word even after a kinship word or a title."""
    return word in _ordinary_name_words() or len(word) >= 3 and word[-1] in _PLACE_SUFFIXES


@lru_cache(maxsize=1)
def _jieba():
    """jieba's tokenizer, POS tagger and dictionary, loaded on first use (about a second)."""
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt, jieba.posseg.dt


@lru_cache(maxsize=65536)
def _tokens(clause: str) -> tuple[tuple[int, str], ...]:
    """(offset, word) of jieba's dictionary segmentation of ``clause``."""
    tk, _ = _jieba()
    out, pos = [], 0
    for w in tk.cut(clause, HMM=False):
        out.append((pos, w))
        pos += len(w)
    return tuple(out)


@lru_cache(maxsize=65536)
def _token_index(clause: str) -> dict[int, int]:
    """Offset of each of ``_tokens(clause)``'s words -> its index: every lookup by position in O(1), as a
    clause with no punctuation (a long transcript) holds thousands of candidates."""
    return {p: k for k, (p, _) in enumerate(_tokens(clause))}


class _Coverage:
    """The characters of a text that spans cover, for overlap tests in time proportional to the span tested
    rather than to the spans found (a text of thousands of names)."""

    def __init__(self, length: int, spans: Iterable[Span] = ()) -> None:
        self._marks = bytearray(length)
        for s in spans:
            self.add(s)

    def add(self, span: Span) -> None:
        self._marks[span.start : span.end] = b"\x01" * (span.end - span.start)

    def overlaps(self, start: int, end: int) -> bool:
        return self._marks.find(1, start, end) != -1


@lru_cache(maxsize=65536)
def _hmm_names(clause: str) -> frozenset[tuple[int, int]]:
    """Spans that jieba's POS tagger (with its HMM for unknown words) tags as person names."""
    _, pos_tagger = _jieba()
    out, pos = set(), 0
    for pair in pos_tagger.cut(clause):
        if pair.flag in _NR_TAGS:
            out.add((pos, pos + len(pair.word)))
        pos += len(pair.word)
    return frozenset(out)


#: jieba's tags of conjunctions, prepositions, adverbs and numerals: words that start with a surname character
#: (万一, 和) and no name is
_FUNCTION_TAGS = ("c", "p", "d", "m")
#: how frequent a one-character conjunction or preposition (和, 与, 跟) is before it reads as that after a cue
_CONJUNCTION_FREQ = 10_000


def _function_word_at(text: str, i: int, sl: int) -> bool:
    """After a strong cue, the surname character at ``i`` starts a function word, not a name: 记录员：万一有变化 (in
    case), and, right after the cue with no colon, 和/与 before an ordinary word (用户名和密码, 就诊人和陪同人员).
    户名：和美玲 and 联系人：和平 stay names."""
    toks = _tokens(text[i : i + 8])
    if not toks:
        return False
    word = toks[0][1]
    tag, freq = _dict_tag(word)
    if len(word) > sl:
        # …and the sentence goes on: a field's value that is the word alone is a name (审核医师：万里  报告日期)
        after = text[i + len(word) : i + len(word) + 1]
        return tag in _FUNCTION_TAGS and freq >= _COMMON_WORD_FREQ and bool(after) and "\u4e00" <= after <= "\u9fff"
    if tag not in ("c", "p") or freq < _CONJUNCTION_FREQ or i == 0 or text[i - 1] in "：:|｜ \t" or len(toks) < 2:
        return False
    nxt_tag, nxt_freq = _dict_tag(toks[1][1])
    return nxt_tag not in (None, *_NR_TAGS) and nxt_freq >= _COMMON_WORD_FREQ


def _inside_medical_term(text: str, i: int, j: int) -> bool:
    """Whether a listed medical term overlaps text[i:j]."""
    terms = _medical_terms()
    for a in range(max(0, i - 6), j):
        for b in range(max(a + 2, i + 1), min(len(text), a + 8) + 1):
            if text[a:b] in terms:
                return True
    return False


def _dict_tag(word: str) -> tuple[str | None, int]:
    tk, pos_tagger = _jieba()
    return pos_tagger.word_tag_tab.get(word), tk.FREQ.get(word, 0)


# Characters of _NOT_GIVEN that do occur in given names the dictionary knows (陈建生, 徐克俊, 万永年).
_GIVEN_IN_DICTIONARY_NAMES = set("生克年才先")
# What follows a name as the subject and may be joined to its last character by the tokenizer (曹丽 + 都是)
_FUNCTION_AFTER_NAME = set("都也就还又才在")


def _given_ok(s: str, *, in_dictionary_name: bool = False) -> bool:
    allowed = _GIVEN_IN_DICTIONARY_NAMES if in_dictionary_name else ()
    if len(s) == 2 and s[0] in "一二两三四五六七八九十" and s[1] in "楼层号床室栋幢座":
        return False  # 门诊楼三楼: a floor, not 楼 + a given name
    return all(_NAME_CHARS.match(c) and (c not in _NOT_GIVEN or c in allowed) for c in s)


# Given-name characters that are also common words (家明, 向东, 有才, 和平, 士杰, 克强, 春生): after 我叫 or 姓名： a
# name surely follows, so one is taken as the first given character when another follows, or as the last
# where the name ends there (我叫张春生，…; not 我叫王芳 + 和我妈…).
_GIVEN_AFTER_CUE = set("家向有和士克先年生才多")  # 姓名：钱多多
# How a relative time word ends (今天, 现在, 以前, 刚才): after a surname it is the time, not a given name.
_RELATIVE_TIME_ENDINGS = set("天年时候前后来去早晚午夜在近才日月期刻间")


_SELF_VERB_ENDS = frozenset("称述诉己行认觉")


def _given_end(text: str, start: int, strong: bool) -> int:
    """Where one or two given-name characters from ``start`` end (``start`` itself: none); with a ``strong`` cue
    also those of :data:`_GIVEN_AFTER_CUE` in the places it says."""
    j = start
    if _TITLES.match(text, start):
        return start  # 来电人：伍先生: a surname and a title, not a given name 先生
    while j < len(text) and j - start < 2:
        c = text[j]
        nxt = text[j + 1] if j + 1 < len(text) else ""
        if c == "自" and j > start and nxt in _SELF_VERB_ENDS:
            break  # 户主石磊自称…, 访客石磊自述: the person then 自称 (says of themself), not a third given character
        if _given_ok(c):
            j += 1
        elif strong and c in _GIVEN_AFTER_CUE and (
                (j == start and nxt and (_given_ok(nxt) or nxt in _GIVEN_AFTER_CUE))
                or (j > start and not _NAME_CHARS.match(nxt or "x"))):
            j += 1
        else:
            break
    return j


def _words_before(text: str, i: int) -> str:
    """The 12 characters before ``text[i]`` where a cue would be, and the spaces and colon right before ``i``
    kept short: a bilingual form's field name, read as spaces (_blank_field_labels), must not push the cue
    out of reach (医师签名 Physician: 胡志强)."""
    k = i
    while k > 0 and text[k - 1] in " \t:：":
        k -= 1
    if i - k <= 2:
        return text[max(0, i - 12) : i]
    gap = text[k:i]
    return text[max(0, k - 12) : k] + ("：" if ":" in gap or "：" in gap else "") + (" " if gap[-1] in " \t" else "")


_CLAUSE_THEN_SEX_AGE = re.compile(r"[，,、]\s*(?:男|女)性?\s*[，,、]\s*\d{1,3}\s*岁"
                                  # a roster's next field, the person's staff or student number (2. 龙德顺，工号KY0612)
                                  r"|[，,、]\s*(?:工号|职工号|员工号|学号)\s*[:：]?\s*[A-Za-z0-9]"
                                  # a follow-up's subject, then the record number (减重门诊随访：金鑫，门诊号MZ…)
                                  r"|[，,、]\s*(?:门诊号|住院号|病历号|病案号|就诊卡号)\s*[:：]?\s*[A-Za-z0-9]"
                                  # a claim's or a work-injury record's subject, then an identity number (医保结算：郑国庆，
                                  # 社保卡号D17…; 工伤认定：蒋小兵，身份证5101…): the number follows its label at once
                                  r"|[，,、]\s*(?:身份证|社保卡|医保卡|护照|手机|电话|联系电话)(?:号码|号)?\s*[:：]?\s*[A-Za-z0-9+(]"
                                  # (身份证（邓家豪，4403061988…）: the identity number itself right after)
                                  r"|[，,、]\s*\d{17}[\dXx](?!\d)"
                                  # the subject, then a nationality or an ethnic group as the next field (黄志明，马来西亚籍，)
                                  r"|[，,、]\s*[\u4e00-\u9fff]{1,5}(?:籍|族)\s*[，,、]")
_TIME_AFTER_YU = re.compile(r"民国|民國|公元|\d|[一二三四五六七八九十〇零]+[年月日]|[今昨前去明上下本]|当[天日年时]|同[日年]|次日|近[日期年]")
# 於仁伯爵綜合醫院急診部留觀: 于/於 "at" a hospital or clinic named right after it, not a surname
_AT_INSTITUTION_AFTER_YU = re.compile(r"(?:(?![的在去到带和跟与是说医护])[\u4e00-\u9fff]){1,8}?(?:医院|醫院|卫生院|衛生院|诊所|診所|门诊部|門診部)")
_DONE_AT_PLACE = re.compile(r"就医|就醫|就诊|就診|住院|治疗|治療|手术|手術|出差|工作|旅游|旅遊|居住|生活|发病|發病|摔伤|摔傷|受伤|受傷|出生|求学|读书")
_FLOOR_BEFORE = re.compile(r"(?<![A-Za-z_\d\-:：])\d{1,2}\s+$")  # (not 9:30 孙女士: a time)


_ROOM_BEFORE = re.compile(r"(?<![\d.])\d{2,4}\s*(?:房|室|号房)$")
_NAME_THEN_SEX = re.compile(r"[\u4e00-\u9fff]{1,2}\s*[，,、]\s*[男女]")


def _name_at(text: str, i: int, surname: str, clause: str, c0: int) -> Span | None:
    """The name starting at ``text[i]`` (a surname), or None. ``clause`` starts at ``c0``.

    jieba's dictionary tags many ordinary words as names (安静, 白开水, 谢谢, 麦冬), while most real
    names are not in it at all (its HMM finds them). So the evidence is weighed: a label or kinship cue,
    sex and age, or a title make a name of any surname-shaped candidate; a weak cue (我是, 患者) needs the
    candidate to look like a name to the tagger; with no cue only a three-character name that the HMM
    (not the dictionary) tags as a person is taken, and it is not propagated through the dialogue.
    """
    before = _words_before(text, i)
    if surname == "方" and i > 0 and text[i - 1] in "审开处配验药偏秘":
        return None
    if surname == "方" and text[i + 1 : i + 2] in ("用", "取", "选") and any(
            _inside_medical_term(text, i + 2, i + k) for k in (4, 5)):
        return None  # 方用何首乌15g, 方取黄芪: the prescription's herbs, not a Ms Fang  # 审方药师, 开方医生: a prescription (方) reviewed or written, not a Ms Fang
    if surname in ("楼", "房", "门", "车", "台") and before.endswith("号"):
        return None  # 3号楼独居老人, 8号房间: a building or a room, not a Mr Lou
    if surname in ("白", "黄", "蓝", "红", "金", "黑") and text[i + 1 : i + 2] == "色":
        return None  # 白色大众朗逸: a colour (白色), not a Ms Bai
    if surname == "单" and before.endswith(("签字", "签名")):
        return None  # 家长签字单夹在病历夹里: the signed form, not a Mr Shan
    if surname in ("于", "於") and (_TIME_AFTER_YU.match(text, i + 1) or _AT_INSTITUTION_AFTER_YU.match(text, i + 1)):
        return None  # 患者於民國103年接受…: "in", before a time
    if surname in ("于", "於") and any(_dict_tag(text[i + 1 : i + k])[0] == "ns" and _DONE_AT_PLACE.match(text, i + k)
                                      for k in (3, 4)):
        return None  # 受保人於深圳就醫: "in", before a place and what was done there (not 于海洋，男)
    strong = bool(_STRONG_CUE.search(before) or _KIN_CALLED.search(before))
    if not strong and before.endswith(("+", "＋")) and not _NAME_THEN_SEX.match(text, i + len(surname)):
        return None  # 洗牙+涂氟: one more item of a list of procedures or drugs joined by +, not a Mr Tu (家属+王建国，男: one)
    if (not strong and surname in ("和", "与", "及") and i > 0 and _NAME_CHARS.match(text[i - 1])
            and _dict_tag(text[i + 1 : i + 3])[1] >= _COMMON_WORD_FREQ):
        return None  # 班主任和心理老师: "and" between two words (心理 is a frequent word, no given name)
    if strong and (dotted := _INTERPUNCT_NAME.match(text, i)):
        return Span(i, dotted.end(), "name", True)  # 核对人叶赫那拉·文秀: a Manchu clan name and a given name, whole
    # 其子房建军, 其母文静女士: the relative a record names (其子 + 房 is no word 子房, 文静 before 女士 no adjective)
    relation = bool(_RELATION_CUE.search(before))
    # (三年级二班王子涵: a pupil after the class, as a relative after a kinship word)
    kin = strong or relation or bool(_KIN_CUE.search(before) or _CLASS_BEFORE.search(before))
    role = not kin and bool(_ROLE_CUE.search(before))
    # (a surname that starts no ordinary word is as good as a weak cue: 禚海燕刚打完针, 斛建设下午…)
    weak = kin or role or bool(_WEAK_CUE.search(before)) or surname in _RARE_SURNAMES
    # (老三王建军, 小五刘小燕: a brother's or a sister's rank ends in a numeral, and is a kinship word)
    if not strong and (before and before[-1] in _COUNTING and not _KIN_CUE.search(before)
                       or _FLOOR_BEFORE.search(before) and _TITLES.match(text, i + len(surname))):  # (2 楼护士站: a floor)
        return None  # 这张卡, 一张纸, 两条: a classifier, not a surname
    if not strong and (named := _NAMED_BY_TITLE.search(before)) and not (
            named.start() > 0 and _dict_tag(before[named.start() - 1 : named.start() + 1])[0] is not None):
        # 请吴主任惠予诊治: the one just named by surname and title acts (惠予 is no second name); not 病房护士,
        # where the "surname" ends a word
        return None
    sl = len(surname)
    if _inside_medical_term(text, i, i + sl):
        return None
    if ((surname in _NAME_ONLY_COMPOUNDS or surname == "上官" and text[i + 2 : i + 3] not in ("网", "方", ""))
            and (compound := _compound_name_at(text, i, surname, clause, c0))):
        return compound
    # （病案号…）：江河，男，34岁: a clause that is a surname and a given name and nothing more, before sex and age, is
    # whom the record is about, whatever the words also mean
    if i == c0 and (j := _given_end(text, i + sl, True)) - i >= 2 and _CLAUSE_THEN_SEX_AGE.match(text, j) and (
            not _inside_medical_term(text, i, j)) and text[j - 1] not in "族籍":  # (not （蒙古族，身份证号…）
        return Span(i, j, "name", True)
    # 阿嬤陳阿桃今天…, 外婆林阿美: a Min or Cantonese given name of 阿 and one character (not 阿姨, 阿婆), after a
    # kinship word or a role, where a word ends
    if ((kin or role) and sl == 1 and text[i + 1 : i + 2] == "阿" and _given_ok(text[i + 2 : i + 3])
            and text[i + 2] not in _NOT_AFTER_A and _token_ends_at(clause, i - c0 + 3)
            and _dict_tag(text[i + 1 : i + 3])[0] in (None, "ns", *_NR_TAGS)  # (not 马 + 阿訇, an imam)
            and not _inside_medical_term(text, i, i + 3)):
        return Span(i, i + 3, "name", True)
    pair = text[i + 1 : i + 3]
    if ((kin or role) and sl == 1 and len(pair) == 2 and all(_given_ok(c) or c in _GIVEN_AFTER_CUE for c in pair)
            and any(_given_ok(c) for c in pair)
            and not _NAME_CHARS.match(text[i + 3 : i + 4] or "x") and not _inside_medical_term(text, i, i + 3)
            and (_dict_tag(pair)[1] < _COMMON_WORD_FREQ or _dict_tag(pair)[0] in _NR_TAGS)):
        # 抄送其丈夫周家豪（…）: after a kinship word, a surname and two given-name characters (家 too, as after
        # 我叫) that end the clause are a name, however the tokenizer joined them (周家 + 豪)
        return Span(i, i + 3, "name", True)
    if (sl == 1 and text[i + 1 : i + 2] == "家" and _RECORD_SUBJECT_BEFORE.search(before) and _given_ok(text[i + 2 : i + 3])
            and _dict_tag(text[i + 1 : i + 3])[0] is None and _dict_tag(text[i : i + 3])[0] is None
            and not _inside_medical_term(text, i, i + 3)):
        # 受试者董家豪坐位血压…: after a record's subject, a surname, 家 and a character no word joins to 家 is a name (家豪,
        # 家明), however the tokenizer cut it (董家 + 豪: "the Dong family"); not 患者王家属, 张家里, 李家人
        return Span(i, i + 3, "name", True)
    if strong and _function_word_at(text, i, sl):
        return None
    if not strong and text[i + sl : i + sl + 2][-1:] in _ORGAN_ENDINGS and (
            text[i + sl + 1 : i + sl + 2] in _ORGAN_ENDINGS or text[i + sl : i + sl + 1] in _ORGAN_ENDINGS):
        return None  # 卫福部提醒, 卫健委通知: a ministry or a bureau (名 + 部/委/局) that speaks, not a person
    if strong and not re.search(r"[:：|｜]\s*$", before):
        w0 = _tokens(text[i : i + 6])[0][1]  # (a window: the word the surname would start)
        if (len(w0) > sl and _dict_tag(w0)[0] == "v" and _dict_tag(w0)[1] >= _COMMON_WORD_FREQ and not _KIN_CALLED.search(before)
                and _NAME_CHARS.match(text, i + len(w0))):
            # 护士长安排好人员: a role, then a verb that starts with a surname (安排) and goes on (not 治疗师甘露；)
            return None
    if weak:
        # Decisive context needs no tokenizer: 我叫/姓名： + a name, or a cue + a name + sex or age.
        j = _given_end(text, i + sl, strong)
        if not strong and not _SEX_AGE.match(text, j) and _SEX_AGE.match(text, cued := _given_end(text, i + sl, True)):
            j = cued  # 患者张和平，男，60岁: sex and age after it decide as 我叫 does
        if j - i >= 2 and not _inside_medical_term(text, i, j) and (strong or _SEX_AGE.match(text, j)):
            return Span(i, j, "name", True)
    toks = _tokens(clause)
    rel = i - c0
    idx = _token_index(clause).get(rel)
    room = bool(_ROOM_BEFORE.search(before))  # (209房 + 钱秀英: the room's 房 is no part of a word 房钱)
    if idx is None and (kin or role or room):
        # A kinship or role word ends right here, but the tokenizer joined its last character to the surname
        # (我老|公孙|浩): the cue fixes a word boundary, so segment what follows it on its own (a window: a
        # name is a few characters, and the rest of a long clause would be segmented again per candidate).
        clause, c0 = clause[rel : rel + _CUE_WINDOW], i
        toks, rel, idx = _tokens(clause), 0, 0
    if idx is None and not strong:
        return None  # the surname character is inside a word (紧张, 值班, 高大): not a name
    end = i + sl
    # The candidate is a dictionary word / a frequent one / a frequent one that is an ordinary word even after
    # a kinship word or title (安静, 谢谢; not 李娜) / surname + a name word.
    in_dict = common = ordinary = name_word = False
    if idx is not None:
        word = toks[idx][1]
        tag, freq = _dict_tag(word)
        if len(word) > sl:
            if word in _medical_terms() or not strong and word.endswith("人") and _dict_tag(word[:-1])[0] == "ns":
                return None  # a medical term, or where someone is from (江西人, 山东人)
            if tag in _NR_TAGS and _TITLES.fullmatch(word[sl:]):
                pass  # 白大夫: a surname and a title in one dictionary word
            elif tag in _NR_TAGS and _given_ok(word[sl:], in_dictionary_name=True):
                end, in_dict, common = i + len(word), True, freq >= _COMMON_WORD_FREQ
                ordinary = common and _ordinary(word)
                nxt = toks[idx + 1][1] if idx + 1 < len(toks) else ""
                if weak and len(word) == sl + 1 and len(nxt) == 1 and _given_ok(nxt):
                    end += 1  # 范文 + 涛: the tokenizer cut a three-character name after the second
                    ordinary = False  # 王子 + 轩: no longer the ordinary word
            elif ((kin or role or weak) and len(word) == sl + 1 and freq < _COMMON_WORD_FREQ and tag in (*_GIVEN_WORD_TAGS, "r", "d")
                  and _given_ok(word[sl:]) and idx + 1 < len(toks) and len(toks[idx + 1][1]) == 1
                  and _given_ok(toks[idx + 1][1]) and _token_ends_at(clause, rel + len(word) + 1)):
                # 我女儿文心 + 怡: after a kinship word, a rare word of surname and one character, then one more
                # given-name character, is a three-character name the tokenizer cut up (also a rare pronoun:
                # 我爸爸是何国 + 栋, 父亲何远 + 舟, not 何时)
                end, in_dict = i + len(word) + 1, True
            elif (kin and len(word) == sl + 2 and freq < _COMMON_WORD_FREQ and tag in _GIVEN_WORD_TAGS
                  and _given_ok(word[sl:]) and word not in _ordinary_name_words()
                  and word[-1] not in _PLACE_ENDINGS):
                # 我外公高建国: a rare word the dictionary calls a place, with no place's ending (王府井, 白云山)
                end, in_dict = i + len(word), True
            elif (_FAMILY_AFTER.match(text, i + len(word)) and len(word) - sl in (1, 2) and _given_ok(word[sl:])
                  and tag != "t"):  # (not 周六家属开放日: a day)
                end, in_dict = i + len(word), True  # 方圆的家属: whose family is called, whatever the word means
            elif (len(word) == sl + 1 and tag in ("nz", "n") and freq < _COMMON_WORD_FREQ and idx + 1 < len(toks)
                  and len(toks[idx + 1][1]) == 1 and _given_ok(toks[idx + 1][1]) and _given_ok(word[sl:])
                  and _AFTER_NAME.match(text, i + len(word) + 1)):
                end, in_dict = i + len(word) + 1, True  # 柯文 + 斌 + 夫妇: a rare word and one more character, then a name's sequel
            elif ((kin or role or weak or i == c0) and len(word) == sl + 1 and tag == "ns" and _given_ok(word[sl:])
                  and text[i + len(word) : i + len(word) + 1] in ("，", ",", "（", "(", " ", "\u3000")
                  and _AFTER_NAME.match(text, i + len(word))):
                # 患者黃山，民國79年…生, 黄山（工号H05588）: a place's name that is a surname and one character, then sex
                # and age, a birth date, a phone or a staff number, as a name has after it
                end, in_dict = i + len(word), True
            elif not strong and not _TITLES.match(text, i + sl):
                return None  # an ordinary word starting with a surname character (方便, 高血压)
        else:
            k = idx + 1
            while k < len(toks) and end - i - sl < 2:
                w = toks[k][1]
                if end == i + sl and _TITLES.fullmatch(w):
                    break  # 邵 + 老板: a title, not a given name
                if w in ("某", "某某") and end == i + sl:
                    # 王某某: the usual placeholder for a withheld given name; the surname is still personal
                    return Span(i, end + len(w), "name", False)
                if len(w) == 1 and _given_ok(w) and not (end > i + sl and _AFTER_NAME.match(text, end)):
                    end += 1  # (not 赵敏 + 回个电话: what follows a name starts there)
                    k += 1
                    continue
                if (weak and len(w) == 1 and end == i + sl + 1 and w in _GIVEN_AFTER_CUE
                        and not _NAME_CHARS.match(text[end + 1 : end + 2] or "x")):
                    end += 1  # 患者卢 + 金 + 生（: a given name's last character that is also a word, where the name ends
                    break
                if len(w) == 3 and end == i + sl and sl == 1 and _SURNAME_RE.match(w) and _given_ok(w[1:]):
                    w_tag, w_freq = _dict_tag(w)
                    if w_tag in _NR_TAGS and w_freq < _COMMON_WORD_FREQ:
                        end, name_word = end + 3, True  # 王 + 李雨桐: a double-barrelled name (both parents' surnames)
                    break
                if (kin and len(w) >= 3 and end == i + sl and sl == 1 and _given_ok(w[0])
                        and _dict_tag(w[1:])[0] == "n" and _dict_tag(w[1:])[1] >= _COMMON_WORD_FREQ):
                    end += 1  # 我老公刘 + 洋嗓子: a one-character given name joined to the noun after it (嗓子)
                    break
                if (kin and len(w) == 2 and end == i + sl and _given_ok(w[0]) and w[1] in _FUNCTION_AFTER_NAME
                        and _dict_tag(w)[1] < _COMMON_WORD_FREQ):
                    end += 1  # 我老婆曹 + 丽都 + 是: the name's last character joined to the adverb after it
                    break
                if len(w) == 2 and end == i + sl and _given_ok(w):
                    w_tag, w_freq = _dict_tag(w)
                    if w_tag in _NR_TAGS and w_freq < _COMMON_WORD_FREQ:
                        end, name_word = end + 2, True  # 蒋 + 美玲, 冯 + 志远
                    elif w_tag in _NR_TAGS:
                        end, in_dict = end + 2, True  # 王 + 小宝, but also 毛 + 过敏: only a cue decides
                    elif (w_tag in _GIVEN_WORD_TAGS or kin and w_freq < _COMMON_WORD_FREQ or kin and w in _WORD_GIVEN_NAMES or weak and surname in _RARE_SURNAMES
                          or (kin or weak) and w_tag == "t" and w[-1] not in _RELATIVE_TIME_ENDINGS):
                        # (我父亲邬 + 国庆: a holiday, named after as often as 建国; not 我老公李 + 明天)
                        # 于 + 海洋, 胡 + 建华: a candidate only a cue can confirm (not 猫毛 + 过敏); after a
                        # kinship word also a rare word of any kind (我女儿张 + 欣怡)
                        end, in_dict = end + 2, True
                break
    if end == i + sl and not strong and not _TITLES.match(text, end) and not _AFTER_NAME.match(text, end):
        # 张 + 欣怡 + 小朋友 / 何 + 欣怡 + 您好: one or two characters the tokenizer did not join, then a title
        # or what follows a name
        for g in (2, 1):
            if _given_ok(text[end : end + g]) and (_TITLES.match(text, end + g) or _ELDER_TITLES.match(text, end + g)
                                                   or _AFTER_NAME.match(text, end + g)):
                end += g
                break
    elif end == i + sl + 1 and in_dict and not _TITLES.match(text, end) and not _AFTER_NAME.match(text, end):
        # 白雪 + 梅 + 女士: a dictionary word of surname and one character, then the name's last character
        if end < len(text) and _given_ok(text[end]) and (
                _TITLES.match(text, end + 1) or _ELDER_TITLES.match(text, end + 1) or _AFTER_NAME.match(text, end + 1)
                or i == c0 and _TELLING_NAME.match(text, end + 1)):
            end, ordinary, common = end + 1, False, False
    if strong and end == i + sl:
        end = _given_end(text, i + sl, strong)  # after 我叫/姓名： the characters decide, whatever the tokenizer made
    if end > i + sl and _ELDER_TITLES.fullmatch(text, i + sl, end) and not strong:
        return None  # 孙 + 大哥 (打个电话): an elder's title, not a given name; the surname is found with its title
    if _inside_medical_term(text, i, end) or not strong and _INSTITUTION_AFTER.match(text, end):
        return None  # a medical term, or the first part of an institution's name (区人民 + 医院)
    titled = bool(_TITLES.match(text, end) or end > i + sl and _ELDER_TITLES.match(text, end))
    companion = bool(_COMPANION_BEFORE.search(before) and _COMPANION_AFTER.match(text, end))
    demographics = bool(_SEX_AGE.match(text, end))
    # 尹天佑说…, 陈静告诉我…: a clause that opens with a surname and a given name and goes on to report speech
    # (not a frequent dictionary name: 孔子说, 华佗说 quote the famous)
    after = demographics or bool(_AFTER_NAME.match(text, end)) or (
        i == c0 and not common and bool(_TELLING_NAME.match(text, end)))
    length = end - i

    def tagger_says_name() -> bool:  # lazy: the HMM tagger is the slow part
        # A frequent dictionary name of three characters (张三丰) is a name after 我是 too; of two (高明) not.
        return name_word or (in_dict and (not common or length - sl == 2 and not ordinary)) or (
            not in_dict and (_hmm_confirms(clause, c0, i, end) or _hmm_confirms(clause, c0, i + sl, end)))

    boundary_after = end >= len(text) or not _NAME_CHARS.match(text[end]) or text[end] == "的"
    if titled and ordinary and not (strong or relation):
        return None  # 谢谢医生, 顾问医生: an ordinary word before the title
    if strong and length >= 2:
        return Span(i, end, "name", True)
    if titled:
        if length == sl and i > 0 and text[i - 1] in "小老" and (i == 1 or _dict_tag(text[i - 2 : i])[0] is None):
            return Span(i - 1, end, "name", False)  # 小刘治疗师: the nickname whole, as 小刘 alone is taken
        return Span(i, end, "name", length >= 2)
    if length < 2:
        return None
    family_after = bool(_FAMILY_AFTER.match(text, end))
    if demographics or (kin or after or companion) and (not ordinary or family_after) or role and in_dict and not ordinary or weak and (boundary_after and not in_dict or tagger_says_name()):
        return Span(i, end, "name", True)
    # (接种单位：李庄镇社区卫生服务中心: a town, a village or a road, not a name, with no cue)
    # (not 左卡尼 + 汀: a drug's transliteration goes on after it)
    if (length - sl == 2 and not in_dict and not _FOREIGN_SOUNDS.intersection(text[i + sl : end + 1])
            and text[end - 1] not in _ADMINISTRATIVE_ENDINGS and _given_ok(text[i + sl : end]) and tagger_says_name()):
        return Span(i, end, "name", False)  # the tagger alone: redacted here, not propagated
    return None


_MEDICINE_ENDINGS = frozenset("散丸膏丹汤饮")
# How the name of a ministry, a bureau or a committee ends (卫福部, 卫健委, 医保局)
_ORGAN_ENDINGS = frozenset("部委局厅署")
_VILLAGE_ENDINGS = frozenset("村镇乡庄寨屯")


def _compound_name_at(text: str, i: int, surname: str, clause: str, c0: int) -> Span | None:
    """欧阳 + 修远, 上官 + 婉清: one or two given-name characters after a compound surname that starts a word
    (not 上|官网). The second character is left out where a longer word starts there (司马健 + 上个月)."""
    toks, index = _tokens(clause), _token_index(clause)

    def word_length_at(k: int, default: int) -> int:
        at = index.get(k - c0)
        return default if at is None else len(toks[at][1])

    if word_length_at(i, 0) < len(surname):
        return None
    j = i + len(surname)
    if not (j < len(text) and _given_ok(text[j])):
        return None
    if j + 1 < len(text) and _given_ok(text[j + 1]) and text[j + 1] not in _COUNTING and word_length_at(j + 1, 1) == 1:
        j += 2
    else:
        j += 1
    if text[j : j + 1] in _MEDICINE_ENDINGS:
        return None  # 诸葛行军散: a remedy named after someone, not a person
    if text[j : j + 1] in _VILLAGE_ENDINGS:
        return None  # 诸葛八卦村: a village named after a clan, not a person
    for k in {j, max(j - 1, i + len(surname) + 1)}:
        tag, freq = _dict_tag(text[i:k])
        if tag in _NR_TAGS and freq >= _COMMON_WORD_FREQ and not (
                k < j and (_SEX_AGE.match(text, j) or _TITLES.match(text, j) or _ELDER_TITLES.match(text, j)
                           or _AFTER_NAME.match(text, j))):
            return None  # 司马光砸缸, 欧阳修的文章: the famous, left to the cues (not 欧阳修远，男，34岁)
    return None if _inside_medical_term(text, i, j) else Span(i, j, "name", True)


def _hmm_confirms(clause: str, c0: int, i: int, end: int) -> bool:
    # A window of a few characters around the candidate: the tagger's cost grows with the text.
    w0 = max(0, i - c0 - 4)
    return (i - c0 - w0, end - c0 - w0) in _hmm_names(clause[w0 : end - c0 + 4])


def _clauses(text: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for m in _CLAUSE_SPLIT.finditer(text):
        if m.start() > start:
            out.append((start, text[start : m.start()]))
        start = m.end()
    if start < len(text):
        out.append((start, text[start:]))
    return out


# 小王, 老李, 王姐, 李奶奶: what colleagues and neighbours are called. Taken after a cue (护士小刘, 叫我小金, 我和老周)
# or, at the start of a clause, before a verb of telling (小王说, 王姐介绍).
_NICKNAME_RE = re.compile(f"(?P<pre>[小老阿大])(?P<s>[{_SINGLE_SURNAMES}])|(?P<s2>[{_SINGLE_SURNAMES}])(?P<post>大姐|大哥|大叔|大婶|[姐哥姨叔嫂]|伯(?![伯母父乐爵])|奶奶|爷爷|大爷|大妈|大娘|婆婆|伯伯|老太太|老太"
                          # 何太, 陳太: Cantonese Mrs, the husband's surname and 太, before what she does or a stop
                          # (not 太忙, 太多: "too")
                          r"|太(?![\u4e00-\u9fff])|太(?=[来去说话讲同和跟陪带也都今昨明已再在的等])"
                          ")"
                          # 阿强, 阿芳: 阿 and a given-name character (not 阿姨, 阿婆: kin words)
                          "|(?P<a>阿)(?P<g>[\u4e00-\u9fff])")
_NOT_AFTER_A = set("姨婆公伯叔哥妹爸妈嫂弟姐奶爷嬷嫲舅娘婶仔母父")
_NICKNAME_CUE = re.compile(r"(?:@|患者|病人|叫我|喊我|叫他|叫她|是|[\u4e00-\u9fff]{1,3}(?:员|者)\s*[:：]|(?:隔壁床?|邻床|对门|同病房|同屋|病友|楼上|楼下|工友|战友)的?|(?:的|个|位)叫"
                           # verbs whose object is a person: 联系小周, 通知老李
                           r"|联系|通知|转告|告诉|问问|问了|问过"
                           # an errand for someone, one of the family: 帮李奶奶问一下, 我们家阿强
                           r"|帮|替|(?:我们|我|俺|你们|他们|她们)家"
                           # one of someone's family (小钟说他爸老钟最近…)
                           r"|[他她你](?:爸|妈|哥|姐|弟|妹)"
                           # a task handed to someone: 麻烦老周帮忙看一下, 交给小吴跟进, 有事找小吴
                           r"|麻烦|交给|转给|找"
                           # who takes a shift over or is in charge (周四换老彭, 由小韩负责)
                           r"|换成?|由"
                           # a ward's handover: 23床 仇大爷, 6床 蒙奶奶, 十二床那个冉婆婆
                           r"|(?<![\d.])\d{1,3}\s*(?:床|号床)|[一二三四五六七八九十]{1,3}床(?:那个|的)?"
                           # who does a job, named by it: 护工 大刘, 转运护士 小黎
                           r"|(?:护工|护士|保洁|司机|师傅|阿姨)\s|(?:驾驶员|司机|保安|管教|记录员|调解员)"
                           # 还给小鞠讲了…, 跟老訾说: whom something is given or said to
                           r"|(?<=[还也就都])给|(?:跟|陪)(?:着)?"
                           # whom the family brought in: 把老韦送到急诊
                           r"|把"
                           # a roster's shift: 中班 小韩
                           r"|(?:[早中晚夜白]|大夜|小夜)班(?:护士|护工)?\s*[:：]?"
                           # a colleague by their department or workplace: 我们科的小郑, 公司的小王
                           r"|(?:科|科室|部|处|中心|病房|病区|单位|公司|班上|组里|宿舍|车间|办公室|村|小区|厂)的(?:\s*(?:嗯|呃|那个))?"
                           # ... or named by the desk they work at, after a task (麻烦药房小蒋, 找护士站小刘)
                           r"|(?:麻烦|交给|转给|找|联系|通知|告诉|问问)(?:一下)?(?:药房|药剂科|护士站|前台|收费处|挂号处|导诊台?|分诊台|"
                           r"检验科|放射科|病案室|[\u4e00-\u9fff]{1,3}科))\s*$")
# A nickname opening a clause as its subject: then comes a time word or an adverb (小李昨天值夜班, 小陈刚做完胃镜,
# 老周最近…, 老刘这两天…) or the possessive 的 (老王的手机号).
_SUBJECT_NEXT_TAGS = {"t", "d", "f"}
_SUBJECT_NEXT = re.compile(r"[这那前][两几]?(?:天|日子|阵子|段时间|周)")
# 小 and a given-name character (我闺蜜小雅说): only after a kinship word and before a verb of telling, since
# 小便, 小腿, 小时候 follow kinship words as often.
_XIAO_NAME = re.compile("小([\u4e00-\u9fff])")
# ... or before a time word or an adverb (我女儿小雨最近…, 我儿子小宇今天…), unless 小 + the character is an ordinary
# word (小学, 小孩) or names a small body part or thing (小脸, 小肚子, 小便), which kinship words precede as often.
_XIAO_NOT_NAME = set("脸嘴屁鸡舌臂指肚脖胳膊肩便尿孩伙朋区组学米吃说声票叶针虫狗猫块些事宝贝型号")
# A dictionary "name" this frequent after 小 is a word first (小姐); 小雨 (620) and 小宝 (119) are not.
_XIAO_WORD_FREQ = 1000
_RARE_NOUN_SPEAKER_FREQ = 20
# ... and 小/老 + a surname that the dictionary knows this often as another word (小区 414) is that word after 同
_NICKNAME_WORD_FREQ = 300
# ... or before the child's age (我家宝宝小雨两岁半, 我儿子小宇3岁)
_AGE_NEXT = re.compile(r"\s*(?:\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:岁|周岁|个月)")
_SAID_BEFORE = re.compile(r"(?:说|告诉我|通知我?|讲|听说)\s*$")
_TELLING_AFTER = re.compile(r"(?:说|讲|告诉|介绍|推荐|建议|让|叫|提醒|也|和|跟|他|她)")
# A list of names after one found: 同事赵磊、孙婷婷、周一凡.
_LIST_NEXT = re.compile(r"\s*(?:、|和|与|及|跟)\s*")
# 女儿欣欣, 儿子乐乐: a doubled character after a kinship word is the child's (pet) name.
_DOUBLED = re.compile(r"([\u4e00-\u9fff])\1")
_DOUBLED_TAGS = {"a", "n", "nr", "nz", "ng", None}
_DOUBLED_WORD_FREQ = 100
_HOME_CUE = re.compile(r"(?:我家|我们家|咱家|咱们家|家里|您家|你家|[他她]家)\s*$")
_KIN_DOUBLES = set("宝宝 娃娃 哥哥 姐姐 弟弟 妹妹 叔叔 舅舅 姑姑 婶婶 伯伯 婆婆 公公 嫂嫂 姥姥 乖乖 宝贝 猫猫 狗狗 "
                   "爸爸 妈妈 奶奶 爷爷 姥爷 太太 娘娘 嫲嫲 嬷嬷 婆婆 公公 爹爹".split())  # 嫲嫲: Cantonese grandma
# English: My wife Sarah, our son Tom Miller; John and I.
_EN_KIN = re.compile(
    r"\b(?:[Mm]y|[Oo]ur|[Hh]is|[Hh]er) (?:wife|husband|son|daughter|mother|mom|mum|father|dad|brother|sister|"
    r"friend|colleague|partner|boyfriend|girlfriend|fianc[eé]e?|grandson|granddaughter|grandmother|grandma|"
    r"grandfather|grandpa|aunt|uncle|niece|nephew|cousin|neighbou?r|roommate|boss|baby|child|kid)(?:,)? "
    r"(?=[A-Z][a-z])")
_EN_AND_I = re.compile(r"(?:^|(?<=[.!?]\s))(?P<n>[A-Z][a-z]+) and I\b")
# A Latin-letter name in Chinese text: after a kinship word any capitalised name (我女儿Lily, 我老公David);
# after a word for the patient or 我是/他是, a full name in pinyin (患者Wang Fang, 本人Chen Jing), whose every
# word is one to three pinyin syllables: 我是New York来的 names a city, and HIV, CT are no capitalised words.
# 我是Sarah的妈妈, Kevin他爸: a Latin name whose relative speaks
_LATIN_BEFORE_FAMILY = re.compile(r"(?<![A-Za-z])(?P<n>[A-Z][a-z]{1,15})(?=\s?(?:的|他|她)(?:妈妈|妈|爸爸|爸|母亲|父亲|家长|奶奶|爷爷|外婆|外公"
                                  r"|姥姥|姥爷|哥哥|姐姐|弟弟|妹妹|老公|老婆|丈夫|妻子|爱人|儿子|女儿))")
_LATIN_AFTER_KIN = re.compile(rf"(?:{_KIN_WORDS})(?:叫|是|名叫)?\s*(?=[A-Z][a-z])")
_LATIN_AFTER_PERSON = re.compile(r"(?:患者|病人|病患|伤者|产妇|本人|我是|他是|她是|\bI'm|\bI am|\bThis is)\s*"
                                 r"(?=[A-Z][a-z]+ [A-Z][a-z])")
_PINYIN_INITIAL = "(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])"
_PINYIN_FINAL = ("(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|ei|ao|ou|an|en|er|ia|ie|iu|in|"
                 "ua|uo|ui|un|ve|ue|vn|a|o|e|i|u|v)")
_PINYIN_SYLLABLE = f"{_PINYIN_INITIAL}?{_PINYIN_FINAL}"
_PINYIN_WORD = re.compile(f"(?:{_PINYIN_SYLLABLE}){{1,3}}", re.IGNORECASE)
# (Jack O'Brien, Amy McDonald: an Irish or Scottish surname's prefix)
_LATIN_FULL_NAME = re.compile(r"[A-Z][a-z]+ (?:O'|Mc|Mac)?[A-Z][a-z]+(?![A-Za-z'])")
# (not a note's next field: Emily Carter DOB: …)
_LATIN_CAPS_NAME = re.compile(r"(?!(?:DOB|MRN|SSN|NHS|ID|BP|HR|DX|RX|HX)\b)[A-Z]{2,}(?: [A-Z][a-z]+){1,2}(?![A-Za-z])"
                              r"|[A-Z][a-z]+(?: [A-Z][a-z]+)? (?!(?:DOB|MRN|SSN|NHS|ID|BP|HR|DX|RX|HX)\b)[A-Z]{2,}(?![A-Za-z])")
_LOWER_PINYIN_NAME = re.compile(r"([a-z]+) [a-z]+(?: [a-z]+)?(?![A-Za-z])")
# A full name in pinyin with no cue (Zhang Wei 是我同事): a common surname's pinyin, then a given name of one to
# three syllables, in Chinese text. Places written the same way are left (Hong Kong, Xi An).
_PINYIN_SURNAMES = frozenset(
    "zhang wang li liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang xie song tang "
    "han feng deng cao peng zeng xiao tian dong yuan pan yu jiang cai jia ding wei xue ye yan lu du dai xia zhong "
    "qiu fu shen fan fang shi yao tan liao zou xiong jin hao kong bai cui kang mao qin qian gu hou shao meng long "
    "wan duan lei qian tang yin yi chang wen niu ren dou zhuang su qi ou mo lan lai gong ji ge rong".split())
_PINYIN_NOT_NAMES = frozenset({"hong kong", "xi an", "he is", "he was", "he has", "ma am",
                               # herbal formulas in pinyin (Liu Wei Di Huang Wan, Huang Lian Jie Du Tang)
                               "liu wei", "huang lian", "di huang", "jie du", "gui zhi", "ma huang"})
# Before a full Latin name, a word that says the person is foreign (外籍员工 Maria Gonzalez): any name, not pinyin only
# 呼救人Tom Wilson, 联系人Anna Lee, 被保险人John Smith: a record's person by their part in it, then a full name
_LATIN_AFTER_ROLE = re.compile(r"(?:(?:呼救|来电|报警|联系|申请|投诉|委托|被保险|投保|收款|付款|监护|代理)人|家长|家属"
                               # a team's foreign coach or player, an interpreter (已报主教练Marco Rossi)
                               r"|(?:主|副|助理|体能|守门员)?教练|外教|外援|翻译员?|译员|经纪人|领队"
                               # a trial's subject and a consent's witness (受试者Mark Henderson于…签署)
                               r"|受试者|受检者|(?:公正)?见证人|证人"
                               # a trial's monitor and coordinator (监查员Rachel Kim已核对)
                               r"|监查员|监察员|稽查员|协调员|研究护士|研究医生"
                               # a visitor, a passenger, a customer (英国访客Oliver Hughes, 乘客Priya Raman)
                               r"|访客|乘客|旅客|游客|顾客|学生|學生"
                               # a medical tourist, an assistant, a worker's workmate (俄罗斯客户Ekaterina Volkova,
                               # 助理Kevin Lam, 工友Lê Minh)
                               r"|客户|助理|工友|工人|雇员"
                               # a family's live-in helper (菲律宾籍家佣Maria Santos, 保姆Siti)
                               r"|家佣|菲佣|印佣|外佣|女佣|佣人|帮佣|保姆|家政员|护工|陪护"
                               # a patient's relative, as a record names them (病人…之女Ana Lopes, 其子Daniel Wong)
                               r"|之(?:子|女|妻|夫|母|父)|其(?:母亲|父亲|丈夫|妻子|儿子|女儿|母|父|妻|夫|子|女)"
                               # a ship's crew, a player's own therapist (船员Rizal Santos, 私人理疗师Tiago)
                               r"|船员|海员|(?:理疗|治疗|康复|物理治疗)师"
                               # a firm's foreign adviser or engineer (外方设备顾问Michael Brandt)
                               r"|顾问|工程师|专家"
                               # a fertility cycle's recipient and donor (受者Amanda Ng)
                               r"|(?<![\u4e00-\u9fff])受者|(?<![\u4e00-\u9fff])供者)\s*[:：]?\s*"
                               r"(?=[A-Z][a-zà-öø-ÿ])")
# Baby of Nguyen Thi Lan, 我係Kelsang Dolma, 兹证明Tenzin Norbu（丹增诺布）, 复核人：Abdulla Tursun, Puan Noraini: a newborn's
# mother as its register names it, a Cantonese self-introduction, a certificate's holder, a record's checker, a Malay
# title; then a Latin name of up to four words
_LATIN_AFTER_CUE = re.compile(r"(?:\bBaby of|\bB/O|我係|我系|兹证明|茲證明|(?:复核|復核|鉴定|鑑定|审核|審核)人\s*[:：]"
                              # an appointment's or a visit's record opening with whom it is for (預約：Carlos
                              # Ferreira於…), what the family call someone (家里人叫她Ana)
                              r"|(?:^|(?<=[\n。；;]))\s*(?:预约|預約|复诊|覆診|覆诊|就诊|就診|随访|隨訪|来访|來訪|陪诊|陪診)\s*[:：]"
                              r"|(?:叫|喊)[他她]"
                              # (US citizen Megan O'Connell: a nationality's citizen or national)
                              r"|\b(?:citizen|national|resident)\s+"
                              r"|(?<![A-Za-z])(?:Puan|Encik|Cik|Tuan|Datin|Dato'?|Auntie|Uncle))\s*(?=[A-Z][a-z])")
# A nationality in English (not a name in brackets after a name: Ingrid Larsen (Norwegian))
_NATIONALITY_WORDS = ("(?:Norwegian|Swedish|Danish|Finnish|German|French|British|English|Scottish|Irish|Welsh|American|Canadian"
                      "|Australian|Italian|Spanish|Portuguese|Brazilian|Mexican|Russian|Ukrainian|Polish|Dutch|Belgian|Swiss"
                      "|Austrian|Greek|Turkish|Japanese|Korean|Chinese|Vietnamese|Thai|Indian|Pakistani|Filipino|Filipina"
                      "|Indonesian|Malaysian|Singaporean|Nigerian|Kenyan|Egyptian|Israeli|Iranian|New Zealander)")
# Siti Nur Farhana（家里人叫她Ana）: a Latin name, then in brackets what someone calls the person
_LATIN_BEFORE_CALLED = re.compile(r"(?<![A-Za-z])(?P<n>[A-Z][a-z]+(?: [A-Z][a-z']+){1,3})\s*[（(](?:[\u4e00-\u9fff]{0,4}(?:叫|喊)[他她]"
                                  # Ingrid Larsen (Norwegian), Siti Rahayu（印尼籍）: a nationality in brackets
                                  rf"|(?:{_NATIONALITY_WORDS}|[\u4e00-\u9fff]{{1,4}}籍)(?:[)）]\s*[，,]|[，,]))")
# Noraini binti Hassan, Muthu a/l Raman: a Malay or Indian Malaysian name, joined by bin/binti or a/l and a/p
_MALAY_NAME = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+(?: [A-Z][a-z]+)? (?:bin|binti|bt|a/l|a/p|s/o|d/o) [A-Z][a-z]+(?: [A-Z][a-z]+)?(?![A-Za-z])")
# [12/3/24, 9:15 PM] Ah Boy: ok…: a chat export's speaker, after the time stamp in brackets
# (a Latin name: Chinese speakers' labels are the chat rules' to read, 系统消息： is none)
_CHAT_EXPORT_SPEAKER = re.compile(r"(?:^|(?<=\n))\[[0-9/.\-, :APMapm]{6,30}\]\s*(?P<n>[A-Z][A-Za-z'\-]*(?: [A-Z][A-Za-z'\-]*){0,3})\s*[:：]")
_AH_NAME = re.compile(r"(?:(?<=[\u4e00-\u9fff])|^)(?:[A-Z][a-z]{1,5} )?Ah (?P<w>[A-Z][a-z]{1,6})(?![A-Za-z])")
_NOT_AH_WORDS = frozenset("yes no ok okay well so sorry right good great nice thanks thank see ha hah ah oh hmm my god "
                          "the that this there here now i you we he she it".split())
# (印尼籍Agus Setiawan, 越南籍工人Trần Văn Phúc: a nationality, then a full name, letters with diacritics too)
# (not 户籍地址 Registered Address: after 籍 only a person's word)
_LATIN_AFTER_FOREIGN = re.compile(r"(?:(?:外籍|外国|老外)[\u4e00-\u9fff]{0,4}|(?<=[\u4e00-\u9fff])(?<![户学党书典古原祖乡军])籍"
                                  r"(?:的|工人|员工|患者|病人|男子|女子|男性|女性|客户|游客|学生|劳工|保姆|女工|男工|孕妇|产妇)?)\s*"
                                  r"(?=[A-ZÀ-ÖØ-ÞĀ-ſƠƯẠ-Ỹ][a-zß-öø-ÿā-ſơưạ-ỹ]+ [A-ZÀ-ÖØ-ÞĀ-ſƠƯẠ-Ỹ])")


def _token_ends_at(clause: str, rel: int) -> bool:
    """Whether jieba's segmentation of ``clause`` has a word boundary at ``rel``."""
    return rel >= len(clause) or rel in _token_index(clause)


def _subject_next(m: re.Match[str], clause: str) -> bool:
    """Whether a 小/老 + surname or 阿 + given-name nickname at the start of ``clause`` is followed by what
    follows a subject."""
    if m.group("pre") == "阿":
        return False
    if m.group("a"):
        # 阿强上周…, 阿芳昨天…: not a dictionary word other than a rare name (阿胶, 阿訇; 阿斗 is a byword)
        tag, freq = _dict_tag(m.group())
        if tag is not None and (tag not in _NR_TAGS or freq >= _COMMON_WORD_FREQ):
            return False
    elif not m.group("pre"):
        return False
    at = _token_index(clause).get(m.end())
    nxt = "" if at is None else _tokens(clause)[at][1]
    if nxt == "的":
        # not 小黄的 / 小白的: an adjective after 小 is a description, not a nickname
        return _dict_tag(m.group("s") or m.group("g"))[0] != "a"
    if m.group("pre") == "老" and m.start() == 0 and (_dict_tag(nxt)[0] or "").startswith("v"):
        return True  # 老胡做完支架了: 老 and a surname, a word of its own, then what the person did
    if m.group("pre") == "老" and m.start() == 0 and nxt in ("在", "把", "从", "被", "跟", "给"):
        return True  # 老覃在3号冲床更换模具时…: where the person was, what they did to something
    return _dict_tag(nxt)[0] in _SUBJECT_NEXT_TAGS or bool(_SUBJECT_NEXT.match(clause, m.end()))


def _xiao_subject(m: re.Match[str], clause: str, verb: bool = False) -> bool:
    """Whether 小 + a character after a kinship word is a name that a time word or an adverb follows (with ``verb``,
    also a verb: 孙女小芳放暑假回来, where 小 + the character is no dictionary word other than a name)."""
    word = m.group()
    tag, freq = _dict_tag(word)
    if m.group(1) in _XIAO_NOT_NAME or tag is not None and (tag not in _NR_TAGS or freq >= _XIAO_WORD_FREQ):
        return False
    index = _token_index(clause)
    at = index.get(m.end())
    if at is None or m.start() not in index:
        return False  # inside a word: 小时 + 候, 大小 + 便
    nxt = _dict_tag(_tokens(clause)[at][1])[0] or ""
    return (nxt in _SUBJECT_NEXT_TAGS or verb and (nxt.startswith("v") or nxt == "l") or bool(_SUBJECT_NEXT.match(clause, m.end()))
            or bool(_AGE_NEXT.match(clause, m.end())))


def _nickname_spans(text: str, taken: list[Span]) -> list[Span]:
    out: list[Span] = []
    covered = _Coverage(len(text), taken)

    def take(span: Span) -> None:
        out.append(span)
        covered.add(span)

    for c0, clause in _clauses(text):
        for m in _NICKNAME_RE.finditer(clause):
            i, j = c0 + m.start(), c0 + m.end()
            if m.group("g") and (m.group("g") in _NOT_AFTER_A or not _given_ok(m.group("g"))):
                continue
            # Not inside a word (小米粥, 老毛病): a word starts at the nickname and another at its surname (小|陈说)
            # or after it (老周|是).
            # 老刘头, 老李头: the old man's colloquial name, one word with its 头
            head = m.group("pre") == "老" and clause.startswith("头", m.end())
            end = m.end() + 1 if head else m.end()
            j = c0 + end
            if covered.overlaps(i, j) or _inside_medical_term(text, i, j) or text[i:j] in _ADDRESS_WORDS:
                continue  # (帅哥你好: a way of addressing anyone, though 帅 is a surname)
            if not _token_ends_at(clause, m.start()) or not (
                    head or _token_ends_at(clause, m.end())
                    or (m.group("pre") or m.group("a")) and _token_ends_at(clause, m.start() + 1)):
                continue
            before = _words_before(text, i)
            cued = bool(_KIN_CUE.search(before) or _ROLE_CUE.search(before) or _NICKNAME_CUE.search(before)
                         or _KIN_IN_BRACKETS.match(text, j) or _BIRTH_IN_BRACKETS.match(text, j)
                         # (Leo和老葛都在…: a companion after a Latin name too)
                         or _COMPANION_BEFORE.search(before) and re.match(r"[\u4e00-\u9fffA-Za-z]", before[-2:-1] or "x") is not None
                         # 社区随访：老孟，82岁，独居: a nickname before the person's age or sex, as a full name before them
                         or m.group("pre") in ("老", "小") and _SEX_AGE.match(text, j) is not None)
            subject = _TELLING_AFTER.match(clause, end) or (
                _dict_tag(clause[end : end + 2])[0] in _SUBJECT_NEXT_TAGS or _SUBJECT_NEXT.match(clause, end)
                if head else _subject_next(m, clause))
            # 小刘你明天早点来: the one a message opens by addressing; 老周 他儿子…: a topic taken up by 他/她;
            # 老胡，车牌…: a message's first word, set off by a comma, is whom it is sent to (李姐，… is a title's surname)
            addressed = m.start() == 0 and (re.match(r"\s*[你您他她]", text[j : j + 3]) is not None
                                            or not m.group("s2") and text[:i].strip() == "" and re.match(r"\s*[，,！!：:]", text[j : j + 2]) is not None)
            if m.group("pre") == "大" and not cued:
                continue  # 大刘 only where a cue says it is someone (护工 大刘): 大黄, 大白 are things first
            if (m.group("pre") and _COMPANION_BEFORE.search(before)
                    and (tag_freq := _dict_tag(text[i : c0 + m.end()]))[0] not in (None, *_NR_TAGS)
                    and tag_freq[1] >= _NICKNAME_WORD_FREQ):
                continue  # 住同小区: after 同 ("with", also "the same") a frequent word is that word
            # 闫大爷在卫生间滑倒, 入住登记：冼奶奶，…: a surname and an elder's two-character title opening a clause,
            # each a word of its own (not 牛奶 + 奶粉)
            # (also inside a clause, where the tokenizer keeps the surname and the title words of their own: 208房间
            # 吴奶奶, 护理员反映宋爷爷…; not 喝牛奶 + 奶粉)
            elder = len(m.group("post") or "") == 2
            # 张伯儿子张Leo下午来取, 李姐女儿…: whose relative comes next, as after a full name (not 小区 + 阿姨: a word)
            kin_next = (m.group("pre") != "大" and _KIN_WORD_RE.match(text, j) is not None
                        and _dict_tag(text[i:j])[0] in (None, *_NR_TAGS))
            if cued or elder or kin_next or m.start() == 0 and (subject or addressed):
                # 李 + 奶奶, 唐 + 姐: a title stays, as after 张 + 阿姨 (the title is no one's data)
                # (阿 + a given-name character after a cue is the person wherever the text says it: 隔壁阿珍…给阿珍测了)
                # (老葛 after a cue is the person wherever the text says 老葛, as 阿珍 is: no dictionary word)
                take(Span(i, i + 1 if m.group("s2") else j, "name", cued and bool(
                    m.group("a") or m.group("pre") in ("老", "小") and _dict_tag(text[i:j])[0] is None)))
        for m in _XIAO_NAME.finditer(clause):
            i, j = c0 + m.start(), c0 + m.end()
            # 小美姐说…: a nickname with 姐/哥, before a verb of telling, needs no other cue
            sister = text[j : j + 1] in ("姐", "哥") and _TELLING_NAME.match(text, j + 1) and m.group(1) not in _NOT_AFTER_A
            before = _words_before(text, i)
            # 护士长说小美明天可以出院了: the one a report is about, before a time word or an adverb
            kin_after = bool(re.match(_KIN_AFTER, text[j:]))  # 小芳是我表妹: said to be a relative, so a name wherever said
            if (_given_ok(m.group(1)) and (sister or _FULL_NAME_IN_BRACKETS.match(text, j) or kin_after
                                           or _BIRTH_IN_BRACKETS.match(text, j)
                                           or _TITLES.match(text, j) and _dict_tag(m.group())[1] < _XIAO_WORD_FREQ
                                           and m.group(1) not in _XIAO_NOT_NAME
                                           or _KIN_CUE.search(before)
                    and (_TELLING_NAME.match(text, j) or _xiao_subject(m, clause, verb=True))
                    or _SAID_BEFORE.search(before) and _xiao_subject(m, clause))
                    and not _inside_medical_term(text, i, j) and not covered.overlaps(i, j)):
                take(Span(i, j, "name", kin_after))
    return out


# 小雅(徐雅琪): a nickname and, in brackets, the full name it stands for
# 宋大爷（1946年生）, 我家小满（2023年5月21日出生）: a birth year in brackets after someone called by a nickname
_BIRTH_IN_BRACKETS = re.compile(r"\s*[（(]\s*(?:(?:19|20)\d{2}|[一二][九〇零][〇零一二三四五六七八九]{2})\s*年")
_FULL_NAME_IN_BRACKETS = re.compile(rf"\s*[（(]\s*(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}\s*[)）]")


def _listed_names(text: str, spans: list[Span]) -> list[Span]:
    """Names listed after a confident one (赵磊、孙婷婷、周一凡), each shaped like a surname and a given name."""
    out: list[Span] = []
    covered = _Coverage(len(text), spans)
    # A walk depends only on where it stands: one that reaches a point an earlier walk passed repeats it, and
    # a list of thousands of names would be walked once per name.
    walked: set[int] = set()
    # From a confident name, or from a three-character one the tagger found (黄海涛和吴静): the list itself says
    # the next items are people; they take the confidence of the name the walk starts at.
    for first in sorted((s for s in spans if s.confident or s.end - s.start >= 3), key=lambda s: s.start):
        if first.end in walked:
            continue
        prev = first
        while True:
            walked.add(prev.end)
            m = _LIST_NEXT.match(text, prev.end)
            if m is None:
                break
            sm = _SURNAME_RE.match(text, m.end())
            if sm is None:
                break
            j = sm.end()
            while j < len(text) and j - sm.end() < 2 and _given_ok(text[j]):
                j += 1
            if j - sm.end() < 1 or j < len(text) and _NAME_CHARS.match(text[j]) and text[j] not in "等都也和跟与及的":
                break  # not followed by the end of the list: 和医生, 及时
            if _inside_medical_term(text, m.end(), j) or covered.overlaps(m.end(), j):
                break
            prev = Span(m.end(), j, "name", first.confident)
            out.append(prev)
    # ... and before one, in a list that a companion word or the clause opens (我和龙飞、葛小军): also after a
    # three-character name the tagger found, since the list itself says these are people.
    walked_back: set[tuple[int, bool]] = set()  # the walk's names take the confidence of the one it starts at
    for last in sorted((s for s in spans if s.confident or s.end - s.start >= 3), key=lambda s: -s.start):
        if (last.start, last.confident) in walked_back:
            continue
        nxt = last
        while (m := _LIST_PREV.search(text, max(0, nxt.start - 8), nxt.start)) is not None:
            walked_back.add((nxt.start, last.confident))
            a, b = m.span("item")
            sur = _SURNAME_RE.match(text, a)
            if (sur is None or not _given_ok(text[sur.end() : b]) or _inside_medical_term(text, a, b)
                    or _dict_tag(text[a:b])[0] in _NOT_PERSON_TAGS or covered.overlaps(a, b)):
                break
            nxt = Span(a, b, "name", last.confident)
            out.append(nxt)
    return out


# A list of people named with no other cue, known as people by what follows the list (张伟、李静、王磊三个人;
# 段誉飞和田甜两个孩子; 跟刘畅、许诺一起). Each item is a surname and one or two given-name characters.
_LIST_ITEM = f"(?:{'|'.join(_COMPOUND_SURNAMES)}|[{_SINGLE_SURNAMES}])[\u4e00-\u9fff]{{1,2}}?"
_LIST_SEP = r"(?:\s*[、，,]\s*|\s*(?:和|与|跟|及)\s*| +)"
# At most 40 items (the count that ends the list goes up to 十): an unbounded list made every search
# position rescan all of a long run of names (minutes for 100,000 characters).
_PEOPLE_LIST = re.compile(
    rf"(?:(?<![\u4e00-\u9fff])|(?<=[跟和与同陪着我是叫有]))(?P<list>{_LIST_ITEM}(?:{_LIST_SEP}{_LIST_ITEM}){{1,39}})"
    r"(?=\s*(?:(?:这|那)?[两二三四五六七八九十几]个(?:人|孩子|小孩|同事|同学|朋友|都|是|$)|[他她]们|俩|都"
    r"|(?:这|那)?[两二三四五六七八九十几]位"  # 邓淑芬 陶建平 两位老人
    r"|(?P<together>一起|一块)))"
)
_LIST_SEP_RE = re.compile(_LIST_SEP)
_LIST_PREV = re.compile(
    rf"(?:(?<![\u4e00-\u9fff])|(?<=[跟和与同陪着我有、]))(?P<item>{_LIST_ITEM.replace('{1,2}?', '{1,2}')})\s*(?:、|和|与|及)\s*$")
_COMPANION_LIST = re.compile(r"(?:跟|和|与|同|陪|陪着|带着)\s*$")
# Dictionary tags of words that are no person (time, numbers, pronouns, adverbs, function words): 周末和周一.
_NOT_PERSON_TAGS = {"t", "m", "mq", "r", "d", "p", "c", "f", "q", "u", "uj", "ul", "y", "e", "o", "s", "zg"}


def _people_lists(text: str) -> list[Span]:
    out: list[Span] = []
    pos = 0
    while (m := _PEOPLE_LIST.search(text, pos)) is not None:
        pos = m.start() + 1
        if m.group("together") and not _COMPANION_LIST.search(text[max(0, m.start() - 3) : m.start()]):
            continue  # 黄连和甘草一起煎: what goes together with no 跟/和 before it is not a party of people
        # An ordinary word (许诺, 安静) is a name here only beside one that is nothing but a name (刘畅、许诺).
        items, ok, plain_name, i = [], True, False, m.start("list")
        for part in re.split(_LIST_SEP, m.group("list")):
            j = i + len(part)
            sur = _SURNAME_RE.match(part)
            tag, _ = _dict_tag(part)
            if (sur is None or not _given_ok(part[sur.end():]) or _inside_medical_term(text, i, j)
                    or tag in _NOT_PERSON_TAGS):
                ok = False
                break
            plain_name = plain_name or part not in _ordinary_name_words() and tag in (None, *_NR_TAGS)
            items.append(Span(i, j, "name", True))
            sep = _LIST_SEP_RE.match(text, j)
            i = sep.end() if sep else j
        if ok and plain_name:
            out.extend(items)
            pos = m.end("list")
    return out


_CHILD_BEFORE = re.compile(r"(?:新生儿|患儿|婴儿|早产儿)$")
_WHOSE_CHILD_NOTE = re.compile(r"\s*[（(][^（()）]{1,10}之[子女][)）]")


def _doubled_names(text: str) -> list[Span]:
    out: list[Span] = []
    for m in _DOUBLED.finditer(text):
        c = m.group(1)
        before = text[max(0, m.start() - 12) : m.start()]
        if c in _NOT_GIVEN and c not in _PET_DOUBLE_CHARS or m.group() in _KIN_DOUBLES:
            continue
        # after a kinship word or 我们家 (我们家豆豆): said to be someone's name, so the same name elsewhere too
        # ... or before a parent, as a class's teacher writes (联系朵朵妈妈接回)
        opens = not before or not _NAME_CHARS.match(before[-1])
        # ... or opening a clause that is only the name, before sex and age (儿科门诊：豆豆，男，2岁3个月)
        cued = bool(_KIN_CUE.search(before) or _HOME_CUE.search(before) or _PARENT_AFTER.match(text, m.end())
                    # 带朵朵来看过敏: the child brought to the clinic
                    or _BROUGHT_BEFORE.search(before) and _BROUGHT_AFTER.match(text, m.end())
                    or opens and _CLAUSE_THEN_SEX_AGE.match(text, m.end())
                    # 新生儿豆豆（贺女士之子）: a newborn or a child patient, or a note in brackets saying whose child
                    or _CHILD_BEFORE.search(before) or _WHOSE_CHILD_NOTE.match(text, m.end()))
        # opening a clause before whose relative it is (冉冉她奶奶), or the message, before a time word or an
        # adverb, as a parent writes of a child (宁宁今天又吐了两次)
        # ... or a later clause's, once the message has spoken of a child (宝宝是…出生的，乐乐现在才7公斤)
        clause_start = (not before.strip() or before[-1] in "，,。；;！!？?\n " and bool(_CHILD_EARLIER.search(text, 0, m.start()))
                        # (二叔：婷婷下个月就要生了: a chat message's first word, after its speaker)
                        or _SPEAKER_LABEL_BEFORE.search(before) is not None)
        kin_after = re.match(_KIN_AFTER, text[m.end():]) is not None
        if not (cued or kin_after or opens and clause_start and _doubled_subject(text, m.end())):
            continue
        tag, freq = _dict_tag(m.group())
        # 朵朵 is also a classifier (一朵朵): a rare one is a pet name after a kinship word, not 阵阵; a frequent
        # noun is an ordinary word (我家人人都感冒了)
        # (婷婷: a rare descriptive word, 浓浓 not)
        if tag in _NR_TAGS or (tag in _DOUBLED_TAGS or tag in ("q", "ns")) and freq < _DOUBLED_WORD_FREQ or tag == "z" and freq < 10:
            out.append(Span(m.start(), m.end(), "name", cued or kin_after))
    return out


# Characters _NOT_GIVEN holds for other words (如果, 血糖) that doubled are children's pet names (果果, 糖糖)
_PET_DOUBLE_CHARS = frozenset("果糖")
_BROUGHT_BEFORE = re.compile(r"(?:带|抱|领)着?$")
_BROUGHT_AFTER = re.compile(r"[来去到](?:看|打|做|查|复|医院|门诊|诊所|这)")
_SPEAKER_LABEL_BEFORE = re.compile(r"(?:^|\n)\s*[^\s：:，,。]{1,6}[：:]\s*$")
_CHILD_EARLIER = re.compile(r"宝宝|孩子|儿子|女儿|闺女|娃|小孩|宝贝")
_PARENT_AFTER = re.compile(r"的?(?:妈妈|爸爸|家长|奶奶|爷爷|外婆|外公|姥姥|姥爷)")


def _doubled_subject(text: str, end: int) -> bool:
    """Whether what follows a doubled pet name at the start of a message is what follows a subject."""
    clause = text[end : end + 12]
    if not clause:
        return False
    return _dict_tag(_tokens(clause)[0][1])[0] in _SUBJECT_NEXT_TAGS or bool(_SUBJECT_NEXT.match(clause))


# A transliterated foreign name: given name · family name (约翰·史密斯, 玛丽·安·居里).
# Characters of the standard transliteration of foreign names (约翰, 史密斯, 玛利亚, 伊万诺娃): a name joined by an
# interpunct is written in them only, a heading or a brand (中国·北京, 同仁堂·安宫牛黄丸) is not.
_TRANSLITERATION = set(
    "阿埃艾爱安昂奥敖巴拜班邦包保鲍贝本比彼毕庇别宾波伯勃博布查达戴黛丹道德登邓迪蒂丁东杜多朵厄恩尔法范菲费芬丰"
    "夫福弗伏盖甘冈高戈格根贡古瓜圭哈海汉翰豪赫黑亨洪胡华霍基吉加佳贾杰捷金卡凯坎康考柯科克肯库夸奎拉莱赖兰朗劳"
    "勒雷蕾里理莉利丽连林琳琪刘隆卢鲁露伦罗洛马玛迈麦曼芒梅门蒙米密敏明莫墨姆穆纳娜奈南内尼妮涅宁纽努诺欧帕潘庞"
    "佩彭皮珀普奇齐恰乔切钦琼丘茜萨塞赛桑瑟森沙莎舍申施什史舒斯松苏索塔泰坦汤唐特滕提图托瓦万威韦维薇温沃乌伍武"
    "西希谢辛休雅亚扬耶伊因英尤于约扎泽詹朱兹佐娃娅瑞茨汀居逊列雨果丝琴夏蓓"
    # (安娜·彼得罗娃)
    "得"
    # Uyghur and other names of China's north-west written the same way (阿娜尔古丽·艾买提, 买买提·吐尔逊)
    "买热依吐都孜玉素甫合木江汗则衣卜力吾其且山"
    # (阿不都热合曼·吐尔逊, 阿不来提)
    "不")
_AROUND_FOREIGN = set("的了是在和与及说也都就还又让把被给他她我你")  # not _NOT_GIVEN: 克 is in 汉克斯
_INTERPUNCT_NAME = re.compile("[\u4e00-\u9fff]{2,6}(?:[·•・‧][\u4e00-\u9fff]{1,6})+")  # 阿卜杜热依木·买买提


_KIN_ENDS_HERE = re.compile(f"(?:{_KIN_WORDS})$")
_BEFORE_KIN = re.compile(f"([\u4e00-\u9fff]{{2,4}}?)(?:{_KIN_AFTER})")


def _predicate_starts(text: str, k: int) -> bool:
    """Whether what starts at ``k`` is what follows a subject: a time word, an adverb or a verb."""
    head = text[k : k + 8]
    if not head:
        return False  # the text ends there (宿舍长阿德说小芳: nothing follows the name)
    return (bool(_PREDICATE_OPENER.match(head)) or _dict_tag(_tokens(head)[0][1])[0] in (*_SUBJECT_NEXT_TAGS, "v", "p")
            or bool(_SUBJECT_NEXT.match(head)))


# jieba joins some of these with what follows (今天上午 as one word), so they are listed
_PREDICATE_OPENER = re.compile(r"[今昨明前后]天|[上下中]午|晚上|早上|夜里|最近|刚才|刚刚|现在|已经|一直|[今去明]年|[上下这本]周"
                               r"|[又也还都就在说去来要想被把给让从]"
                               # what happens to a patient (买买提·吐尔逊 + 住院了, + 确诊…)
                               r"|住院|入院|出院|做了|确诊|患有|得了|手术"
                               # (阿不都热合曼·吐尔逊 + 入监体检: a prison's or a clinic's intake)
                               r"|入监|入所|入狱|体检|就诊|复诊")


def _foreign_names(text: str) -> list[Span]:
    """Transliterated names: joined by an interpunct, or opening a clause before whose relative the person is
    (艾米丽是我女朋友) when the tagger or the dictionary takes the word for a name."""
    out = []
    for m in _INTERPUNCT_NAME.finditer(text):
        # the given name starts where the transliteration characters do (我叫 + 约翰·史密斯), two of them at least
        dot = next(k for k in range(m.start(), m.end()) if text[k] in "·•・‧")
        start = dot
        # (not into a kinship word before it: 其丈夫 + 艾力·吐尔逊, where 夫 also transliterates)
        while (start > m.start() and text[start - 1] in _TRANSLITERATION
               and not _KIN_ENDS_HERE.search(text[max(0, start - 6) : start])):
            start -= 1
        if dot - start < 2:
            continue
        # the family name ends before a title or a word around it (约翰·史密斯 + 先生的)
        # (or before a time word, an adverb or a verb: 买买提 + 今天上午; 华山·西峰 is a place)
        end = next((k for k in range(dot + 1, m.end()) if text[k] in _AROUND_FOREIGN or _TITLES.match(text, k)
                    or text[k] not in _TRANSLITERATION and _predicate_starts(text, k)), m.end())
        # (阿不都热西提·吐尔洪 + 证言: the family name ends where a word of two characters or more starts)
        cut = next((k for k in range(dot + 1, end) if text[k] not in _TRANSLITERATION), end)
        if cut - dot > 2 and cut < end and len(_tokens(text[cut : cut + 6])[0][1]) >= 2:
            end = cut
        if (text[end - 1] not in "·•・‧" and all(c in _TRANSLITERATION for c in text[start:end] if c not in "·•・‧")
                and not _inside_medical_term(text, start, end)):
            out.append(Span(start, end, "name", True))
    for c0, clause in _clauses(text):
        k = _BEFORE_KIN.match(clause)
        if k is None or not _given_ok(k.group(1)) or _inside_medical_term(text, c0, c0 + k.end(1)):
            continue
        word = k.group(1)
        if word in _KIN_DOUBLES or _KIN_WORD_RE.fullmatch(word):
            continue  # 宝宝是我女儿: a kinship word, not a name
        tag, _ = _dict_tag(word)
        if (tag in _NR_TAGS and word not in _ordinary_name_words()) or (
                tag is None and (0, len(word)) in _hmm_names(clause[: len(word) + 4])):
            out.append(Span(c0, c0 + len(word), "name", False))
    return out


# A pet name the text itself calls one (牛牛（小名）), and a name in a self-introduction: a parent's (我是钱多多妈妈)
# or one that ends it (我是上周找您看湿疹的胡明明). A given name there may be a doubled character (多多, 明明),
# which _given_ok refuses elsewhere as an ordinary word.
_CALLED_A_NAME = re.compile(r"(?:^|(?<=[^\u4e00-\u9fff])|(?<=[叫是]))(?P<n>[\u4e00-\u9fff]{1,3}?)\s*[（(](?:患儿|孩子|宝宝|患者)?(?:小名|乳名|昵称|外号)[）)]")
# 患儿石头（大名梁子轩）: the two characters before a bracket that gives the full name are what the child is called,
# even a word (石头, 豆豆)
# 来电者自称"小雨", 老人只反复说自己叫"石头": the name someone gives, in quotes, even a word
_QUOTED_NAME = re.compile(r"(?:自称|自己叫|名叫|叫做|说他叫|说她叫|说自己是)\s*[“\"「『](?P<n>[\u4e00-\u9fff]{2,3})[”\"」』]")
_BEFORE_FULL_NAME = re.compile(rf"(?P<n>[\u4e00-\u9fff]{{2}})\s*[（(](?:大名|学名|本名|全名|真名)(?:叫|是|[:：])?\s*(?:{_SURNAME_RE.pattern})")
# Characters of the words around a parent's self-introduction, not of a child's name (我是新手妈妈, 我是他的妈妈)
_NOT_CHILD_NAME = set("的了是我你他她们这那个病孩子宝贝新手全职")
_PARENT_OF = re.compile(
    r"我是(?P<n>[\u4e00-\u9fff]{2,3}?)的?(?:妈妈|爸爸|家长|奶奶|爷爷|外婆|外公|姥姥|姥爷|姨妈|姑妈|舅舅|舅妈|姑姑|小姨|大姨"
    rf"|叔叔|阿姨|哥哥|姐姐)(?=[，,。.；;！!？?\s]|$|(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}(?![\u4e00-\u9fff]))")
_INTRODUCED_LAST = re.compile(r"我是[^，,。.；;！!？?\n]{1,20}的(?P<n>[\u4e00-\u9fff]{2,3})(?=[，,。.；;！!？?\s]|$)")


def _doubled(word: str) -> bool:
    """One character twice (多多, 豆豆): how pet names and babies' names are often made."""
    return len(word) == 2 and word[0] == word[1]


def _name_like(given: str) -> bool:
    """Given-name characters, or one character doubled (多多, 明明), and no numeral (高三, 周一)."""
    if set(given) & _COUNTING:
        return False
    return _doubled(given) or _given_ok(given)


def _introduced_names(text: str) -> list[Span]:
    out = [Span(m.start("n"), m.end("n"), "name", False) for m in _CALLED_A_NAME.finditer(text)
           if _name_like(m.group("n")) and not _inside_medical_term(text, m.start("n"), m.end("n"))]
    out += [Span(m.start("n"), m.end("n"), "name", True) for m in _BEFORE_FULL_NAME.finditer(text)
            if not _NOT_CHILD_NAME.intersection(m.group("n")) and not set(m.group("n")) & _COUNTING]
    out += [Span(m.start("n"), m.end("n"), "name", False) for m in _QUOTED_NAME.finditer(text)
            if not _NOT_CHILD_NAME.intersection(m.group("n")) and not set(m.group("n")) & _COUNTING
            and m.group("n") not in _medical_terms()]
    for m in _PARENT_OF.finditer(text):
        # 我是热依拉的妈妈: a child's name without a surname, where the dictionary knows no other word there
        a, b = m.span("n")
        tag, freq = _dict_tag(text[a:b])
        if (_SURNAME_RE.match(text, a) is None and text[a] not in _COUNTING and not _NOT_CHILD_NAME.intersection(text[a:b])
                and not _inside_medical_term(text, a, b) and (tag is None or tag in _NR_TAGS and freq < _COMMON_WORD_FREQ)):
            out.append(Span(a, b, "name", False))
    for m in (*_PARENT_OF.finditer(text), *_INTRODUCED_LAST.finditer(text)):
        a, b = m.span("n")
        sur = _SURNAME_RE.match(text, a)
        given = text[sur.end() : b] if sur else ""
        # (我是吉隆坡的黄家豪: 家 opens a given name here as after 我叫)
        if (sur is None or sur.end() >= b or _inside_medical_term(text, a, b)
                or not (_name_like(given) or len(given) == 2 and given[0] in _GIVEN_AFTER_CUE and _given_ok(given[1]))
                or _dict_tag(text[a:b])[0] in _NOT_PERSON_TAGS):
            continue
        out.append(Span(a, b, "name", False))
    return out


# A name in Latin letters, accents and apostrophes included (Nguyễn Thị Lan, María José Fernández, O'Brien, K. Singh)
_LATIN_CAP = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĢĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŞŠŢŤŪŮŰŲŴŶŸŹŻŽƠƯẠ-Ỹ"
_LATIN_LOW = "a-zß-öø-ÿāăąćčďđēėęěğģīįıķĺļľłńņňōőœŕřśşšţťūůűųŵŷźżžơưạ-ỹ"
_LATIN_WORD = rf"(?:[{_LATIN_CAP}][{_LATIN_LOW}]*['’][{_LATIN_CAP}][{_LATIN_LOW}]+|[{_LATIN_CAP}][{_LATIN_LOW}]+|[A-Z]\.)"
_LATIN_GIVEN_FAMILY = re.compile(rf"[{_LATIN_CAP}][{_LATIN_LOW}]+ {_LATIN_WORD}")
_LATIN_PERSON = re.compile(rf"{_LATIN_WORD}(?: {_LATIN_WORD}){{0,3}}(?![{_LATIN_CAP}{_LATIN_LOW}])")
# Capitalised words that are no one's name, where a cue below precedes one (Dear Sir, Hi All, To: Dr. …)
_NOT_LATIN_NAMES = frozenset(
    "App APP Dr Mr Mrs Ms Mdm Miss Prof Sir Madam All Team Doctor Nurse Patient The This That Thank Thanks Please Your My Our His "
    "Her Their Department Hospital Clinic Subject Re From To Cc Dear Hi Hello Good Morning Afternoon Evening Ward Bed "
    "Room Unit Center Centre Pharmacy Insurance Member Blue Cross Emergency Cardiology Surgery Medicine "
    # the cues below and a note's field names, which a name match may start with (Pt Li Na, Patient Nguyễn Thị Lan)
    "Pt Subscriber Midwife Wife Husband Son Daughter Mom Mum Dad Pharmacist Prescriber Physician Consultant "
    "Attending Signed Called Insured Guardian Carer Caregiver Kind Regards Sincerely Best Name Sex Age Admitted "
    "Discharged Allergies Dx Hx Rx Tel Fax Mobile Email Phone Passport Ward Referred "
    # a record's English title beside the Chinese one (出院摘要（Discharge Summary）)
    "Discharge Summary Report Referral Letter Record Records Notes Consent Form "
    # (pt In Hospital: a preposition after a lower-case pt)
    "In On At Of For With By "
    # what opens a sentence after a speaker's label (患者：So I need iron tablets?)
    "So But And Yes No Ok Okay Well Sorry What How When Where Why Can Could Should Is Are Do Does Did Will I We "
    "It Then Also Oh Um Uh".split())
# What says a person's name follows in English notes and letters ...
_EN_PERSON_CUE = re.compile(
    r"(?:\b(?:[Pp]t|[Pp]atient|Re|From|To|Cc|Dear|Hi|Hello|Hey|[Ss]ubscriber|[Mm]idwife|[Nn]urse|[Ww]ife|[Hh]usband|[Ss]on"
    r"|[Dd]aughter|[Mm]om|[Mm]um|[Dd]ad|[Pp]harmacist|[Pp]rescriber|[Pp]hysician|[Cc]onsultant|[Aa]ttending|[Ss]igned"
    r"|[Rr]eferred by|[Cc]alled|[Tt]his is|[Ii]nsured|[Gg]uardian|[Cc]arer|[Cc]aregiver|[Rr]egards|Sincerely"
    r"|[Cc]ontact|[Aa]ssistant|[Cc]oordinator|[Ii]nvestigator|[Mm]onitor|CRC|CRA|PI)\b\.?[:,]?\s*"
    # ... and in Chinese text (实习生Alex, 请Tom转告, 回复 Lucy Wang, 患者Olga Petrova)
    r"|(?:患者|病人|病患|实习生|规培生|进修生|留学生|交换生|护士|医生|家属|转告|请|回复|通知|告诉|联系|陪护|护工|保姆)\s*[:：]?\s*)$")
# ... or after it: 's mom, 的病人, 转告, MD (Aiden's mom; Linda的病人; Tom转告Lisa; 温家豪 MD)
_EN_PERSON_AFTER = re.compile(
    r"['’]s (?:mom|mum|dad|mother|father|wife|husband|son|daughter|sister|brother|baby|child)\b"
    r"|\s?(?:的(?:病人|患者|家属|孩子|宝宝|主治医生|妈妈|爸爸)|转告|说|让|帮我|帮忙|给我)")
_EN_ADDRESSED_AFTER = re.compile(r",\s*(?:you|your|please|thank|we|this is|here is)\b", re.IGNORECASE)
_CREDENTIALS_AFTER = re.compile(r"\s*,?\s*(?:MD|M\.D\.|PhD|MBBS|RN|DO|FRCP|MSc)\b")
# 尊敬的Daniel Whitfield先生, Anna医生: a Chinese title after the Latin name
_CN_TITLE_AFTER = re.compile(r"\s?(?:先生|女士|小姐|太太|夫人|医生|医师|大夫|教授|博士|护士|老师)")


_DOSE_AFTER_BRACKET = re.compile(r"\s*[)）]\s*(?:\d+(?:\.\d+)?\s*(?:mg|g|ml|mL|μg|ug|mcg|IU|U|毫克|克|毫升|微克|单位|片|粒|支|滴)"
                                 r"(?![A-Za-z])|[口吞]服|外用|静[注滴脉]|肌[注肉]|皮下|每[日天晚晨周]|[qQ]\d*[dhDH]|bid|tid|qd|qn)")


def _cued_latin_names(text: str) -> list[Span]:
    out: list[Span] = []
    for m in _LATIN_PERSON.finditer(text):
        a, b = m.span()
        words = m.group().split()
        while words and words[0].rstrip(".") in _NOT_LATIN_NAMES:  # Dear Dr. O'Brien: the title is not the name
            a += len(words[0]) + 1
            words = words[1:]
        while words and words[-1].rstrip(".") in _NOT_LATIN_NAMES:  # Raj Patel Dx: the next field
            b -= len(words[-1]) + 1
            words = words[:-1]
        if not words or all(w.rstrip(".") in _NOT_LATIN_NAMES or len(w) == 2 and w.endswith(".") for w in words):
            continue
        before = text[max(0, a - 16) : a]
        titled = bool(re.search(r"\b(?:Dr|Mr|Mrs|Ms|Prof)\.?\s*$", before))
        # (氯吡格雷（Plavix）75mg: a drug's brand in brackets, then its dose, is no one's name)
        bracketed = bool(re.search(r"[\u4e00-\u9fff]{2,4}\s*[（(]\s*$", before) and re.match(r"\s*[)）]", text[b:])
                         and not _DOSE_AFTER_BRACKET.match(text, b))
        addressed = a == 0 and bool(_EN_ADDRESSED_AFTER.match(text, b))  # Wang Li, your appointment is confirmed
        if (titled or bracketed or addressed or _EN_PERSON_CUE.search(before) or _EN_PERSON_AFTER.match(text, b)
                or _CREDENTIALS_AFTER.match(text, b) or _CN_TITLE_AFTER.match(text, b)):
            out.append(Span(a, b, "name", True))
    for m in _CREDENTIALS_AFTER.finditer(text):
        # 温家豪 MD, PhD: a Chinese name before a doctor's credentials
        run = re.search(rf"(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}\s*$", text[max(0, m.start() - 6) : m.start()])
        if run:
            a = m.start() - len(run.group().rstrip()) - (len(run.group()) - len(run.group().rstrip()))
            out.append(Span(a, a + len(run.group().rstrip()), "name", True))
    return out


# 我是Michael Brennan的太太: a Latin full name before whose relative the writer is; Ahmad bin Ismail（马来西亚籍）,
# Hans Müller，德国籍: a Latin full name before the person's nationality
_LATIN_CONNECTOR = r"(?:bin|binti|bte|van|von|de|da|do|dos|das|del|di|du|al|el|le)"  # (Maria do Carmo Lei)
_LATIN_FULL_BEFORE = re.compile(rf"(?<![A-Za-z])(?P<n>{_LATIN_WORD}(?: (?:{_LATIN_CONNECTOR} )?{_LATIN_WORD}){{1,2}})"
                                r"(?=\s?的(?:太太|妻子|丈夫|先生|老公|老婆|爱人|妈妈|爸爸|母亲|父亲|家属|家长|女儿|儿子)"
                                r"|\s*[（(]\s*[\u4e00-\u9fff]{1,6}籍\s*[)）]|\s*[，,]\s*[\u4e00-\u9fff]{1,6}籍"
                                # (Maria do Carmo Lei，土生葡人，…: the people the person belongs to, a clause of its own)
                                r"|\s*[，,]\s*[\u4e00-\u9fff]{1,5}人\s*[，,。；;])")
_NAME_BEFORE_ADDRESS = re.compile(rf"(?P<n>{_LATIN_WORD}(?: {_LATIN_WORD}){{1,3}})\s*<[^<>@\s]+@[^<>\s]+>")


# Given names that Chinese speakers abroad, in Hong Kong or in foreign firms go by, and those of the foreigners
# Chinese text most often meets (English, Indian, Japanese, Korean, Malay): no cue needed where one stands alone
# against Chinese (Amy在多伦多, Jenny啊, Linda姐, 我係May，, Grace的 OB); inside English it is left to the English rules
# (May 3, Grace period, Will you…)
_LATIN_GIVEN_NAMES = frozenset(
    "Amy Amanda Andy Angela Angel Anna Annie Alice Alex Alan Albert Alvin Allen Ben Betty Bill Bob Brian Bruce Carol "
    "Cathy Catherine Charles Charlie Cherry Chris Cindy Coco Crystal Daisy Daniel David Derek Dennis Diana Eddie Edward "
    "Eileen Elaine Ellen Emily Emma Eric Eva Frank Fiona Gary George Grace Helen Henry Hannah Iris Ivy Jack Jackie "
    "Jacky James Jane Jason Jeff Jennifer Jenny Jerry Jessica Jessie Jimmy Joe John Johnny Joyce Judy Julia Julie "
    "Karen Kate Katie Kelly Ken Kenny Kevin Kitty Larry Leo Leon Lily Linda Lisa Louis Lucy Maggie Mandy Mary May "
    "Michael Michelle Mike Nancy Nick Nicole Olivia Oliver Paul Peggy Peter Phoebe Rachel Raymond Richard Rita Ricky "
    "Robert Rose Ruby Sam Sammy Sandy Sarah Sally Simon Sophia Sophie Stella Steven Sunny Susan Terry Tiffany Tina Tom "
    "Tommy Tony Vicky Vincent Vivian Wendy William Winnie Yvonne Zoe Liam Noah Ethan Lucas Mia Chloe Ella "
    "Priya Rahul Anil Sunil Ravi Deepa Pooja Arjun Neha Yuki Yuko Haruka Kenji Hiroshi Takeshi Aiko Sakura Minji Jisoo "
    "Siti Aisyah Nurul Ahmad Aziz Farah".split())
_LATIN_ONE_NAME = re.compile(rf"[{_LATIN_CAP}][{_LATIN_LOW}]{{1,15}}(?=[\u4e00-\u9fff，,。；;（(]|$)")
_THIRD_SYLLABLE = re.compile(r" [A-Z][a-z]{1,5}(?=[\u4e00-\u9fff，,。；;（(]|$)")
_CAPS_PINYIN_NAME = re.compile(r"(?<![A-Za-z])[A-Z]{2,6}(?: [A-Z]{2,9}){1,2}(?![A-Za-z])")
_HYPHENED_SYLLABLE = re.compile(r"-[a-z]{1,6}(?![A-Za-z\-])")
_LATIN_GIVEN_ALONE = re.compile(r"(?:^|(?<=[\u4e00-\u9fff，,。；;：:！!？?、（(【\[\]】“\"\n]))\s?(?P<n>[A-Z][a-z]{1,9})"
                                r"(?=[\u4e00-\u9fff，,。；;：:！!？?、（(])")


# zhangli_face_01.jpg, liuxinran_neck.jpeg: a photo's or a scan's file name that starts with a person's name in
# pinyin (a common surname's, then one or two syllables); hand_eczema_before.jpg, IMG_2130.jpg and English words
# (mole, bone: four letters) stay
_FILE_NAME_HEAD = re.compile(r"(?<![A-Za-z0-9_\-.])(?P<n>[a-z]{5,16})(?=[_\-.][A-Za-z0-9_\-.]*?\.(?:jpe?g|png|heic|gif|bmp|webp|tiff?|pdf|dcm|mp4|mov)(?![A-Za-z0-9]))")
_PINYIN_TWO = re.compile(f"(?:{_PINYIN_SYLLABLE}){{1,2}}")


def _file_name_names(text: str) -> list[Span]:
    out = []
    for m in _FILE_NAME_HEAD.finditer(text):
        n = m.group("n")
        if any(n[:k] in _PINYIN_SURNAMES and _PINYIN_TWO.fullmatch(n[k:]) for k in range(1, 7)):
            out.append(Span(m.start("n"), m.end("n"), "name", True))
    return out


# MR. O'BRIEN, MRS LEE: a title in capitals, then a surname in capitals (a pick-up sign, a passport's form)
# (not MR 2+, MS, DR: mitral regurgitation, multiple sclerosis, diabetic retinopathy, written with no period)
_CAPS_TITLED = re.compile(r"(?<![A-Za-z])(?:(?:MR|MRS|MS|DR)\.|MRS|MISS)\s+(?P<n>[A-Z](?:'?[A-Z]){2,20})(?![A-Za-z])")
# 受试者S05-021（LYQ）: a subject's code, then the subject's initials in brackets
# (three or four letters: not （PD）, （SD）, a trial's response)
_CODE_THEN_INITIALS = re.compile(r"(?:受试者|受检者)\s*[A-Z0-9][A-Z0-9\-]{2,14}\s*[（(](?P<n>[A-Z]{3,4})[)）]")
# 护照拼写AYGUL MAMAT, 英文名：ZHANG WEI: a name in capitals, as a passport spells it, after what says so
_SPELT_CAPS_NAME = re.compile(r"(?:护照拼写|護照拼寫|拼写为?|拼寫|护照姓名|護照姓名|英文名|英文姓名|拼音名?)\s*[:：]?\s*"
                              r"(?P<n>[A-Z]{2,}(?: [A-Z]{2,}){1,2})(?![A-Za-z])")


def _english_names(text: str) -> list[Span]:
    out = [Span(m.start("n"), m.end("n"), "name", True)
           for m in (*_EN_AND_I.finditer(text), *_LATIN_BEFORE_FAMILY.finditer(text))]
    if _NAME_CHARS.search(text):
        out += [Span(m.start("n"), m.end("n"), "name", True) for m in _LATIN_GIVEN_ALONE.finditer(text)
                if m.group("n") in _LATIN_GIVEN_NAMES]
    out += _cued_latin_names(text)
    out += [Span(m.start("n"), m.end("n"), "name", True) for m in _LATIN_FULL_BEFORE.finditer(text)
            if not _NOT_LATIN_NAMES.intersection(w.rstrip(".") for w in m.group("n").split())]
    # Hans Müller <hans.mueller@charite.de>: a mail header's display name
    out += [Span(m.start("n"), m.end("n"), "name", True) for m in _NAME_BEFORE_ADDRESS.finditer(text)
            if m.group("n").lower() not in _NOT_LATIN_NAMES]
    for m in (*_EN_KIN.finditer(text), *_LATIN_AFTER_KIN.finditer(text)):
        n = _LATIN_NAME.match(text, m.end())
        if n:
            out.append(Span(n.start(), n.end(), "name", True))
    for m in _LATIN_AFTER_PERSON.finditer(text):
        n = _LATIN_FULL_NAME.match(text, m.end())
        if n and all(_PINYIN_WORD.fullmatch(word) for word in n.group().split()):
            out.append(Span(n.start(), n.end(), "name", True))
    for m in (*_LATIN_AFTER_FOREIGN.finditer(text), *_LATIN_AFTER_ROLE.finditer(text)):
        n = _LATIN_FULL_NAME.match(text, m.end())
        if (p := _LATIN_PERSON.match(text, m.end())) and " " in p.group() and (n is None or p.end() > n.end()):
            n = p  # (Trần Văn Phúc, Lê Minh, Tran Van Phuc: letters with diacritics, a third word)
        if n and not _NOT_LATIN_NAMES.intersection(n.group().split()):
            out.append(Span(n.start(), n.end(), "name", True))
        elif (m.re is _LATIN_AFTER_ROLE and not m.group().rstrip(" :：").endswith(("翻译", "学生", "學生", "客户", "助理", "工友", "工人", "雇员"))  # (翻译Google一下: the verb; 学生Excel表格)
              and (n := _LATIN_ONE_NAME.match(text, m.end())) and n.group() not in _NOT_LATIN_NAMES):
            out.append(Span(n.start(), n.end(), "name", True))  # 翻譯員Sérgio在場: the role's one name, against Chinese
    for m in _LATIN_AFTER_CUE.finditer(text):
        n = _LATIN_PERSON.match(text, m.end())
        if n and not _NOT_LATIN_NAMES.intersection(n.group().split()):
            out.append(Span(n.start(), n.end(), "name", True))
    if "(" in text or "（" in text:
        out += [Span(m.start("n"), m.end("n"), "name", True) for m in _LATIN_BEFORE_CALLED.finditer(text)
                if not _NOT_LATIN_NAMES.intersection(m.group("n").split())]
    if " bin" in text or " a/" in text or " bt " in text or " s/o " in text or " d/o " in text:
        out += [Span(m.start(), m.end(), "name", True) for m in _MALAY_NAME.finditer(text)]
    if "[" in text:
        out += [Span(m.start("n"), m.end("n"), "name", True) for m in _CHAT_EXPORT_SPEAKER.finditer(text)]
    # 新加坡的Ah Meng, 我爸Lim Ah Kow: Ah and a one-syllable name (after the surname where written), how Singapore
    # and Malaysia Chinese are called, in Chinese text
    if "Ah " in text:
        out += [Span(m.start(), m.end(), "name", True) for m in _AH_NAME.finditer(text)
                if m.group("w") not in _NOT_LATIN_NAMES and m.group("w").lower() not in _NOT_AH_WORDS]
    if _NAME_CHARS.search(text):  # in Chinese text only: an English sentence's "Li Ming" reads as English
        for n in _LATIN_FULL_NAME.finditer(text):
            first, second = n.group().split()
            surname, given = first.lower(), second.lower()
            if not (n.start() == 0 or not text[n.start() - 1].isalpha() or _NAME_CHARS.match(text[n.start() - 1])):
                continue
            if surname in _PINYIN_SURNAMES and _PINYIN_WORD.fullmatch(given) and n.group().lower() not in _PINYIN_NOT_NAMES:
                out.append(Span(n.start(), n.end(), "name", True))
            elif first in _LATIN_GIVEN_NAMES and given in _PINYIN_SURNAMES:
                out.append(Span(n.start(), n.end(), "name", True))  # Kevin Zhou, Amanda Zhou: an English name and a surname
        # ZHANG HONGMEI: a pinyin surname and given name in capitals, as a form or a passport writes them
        for n in _CAPS_PINYIN_NAME.finditer(text):
            caps_surname, *caps_given = n.group().lower().split()
            if (caps_surname in _PINYIN_SURNAMES and all(_PINYIN_WORD.fullmatch(g) for g in caps_given)
                    and n.group().lower() not in _PINYIN_NOT_NAMES):
                out.append(Span(n.start(), n.end(), "name", True))
    # Lee Joon-ho, Park Ji-hoon: a Korean given name's syllables joined by a hyphen; Lim Wei Jie: a third syllable
    # after a surname and a given name, then Chinese or punctuation
    return [Span(s.start, h.end(), s.label, s.confident) if (h := _HYPHENED_SYLLABLE.match(text, s.end))
            or text.count(" ", s.start, s.end) == 1 and (h := _THIRD_SYLLABLE.match(text, s.end))
            and _PINYIN_WORD.fullmatch(h.group()[1:].lower()) else s for s in out]


# Tibetan names have no surname: two of a small set of two-character names (扎西卓玛, 次仁央金, 格桑梅朵). Two of
# them together are a name wherever they stand; one alone only after a label or kinship cue (我叫卓玛), since
# some are also words (尼玛, 格桑花). Uyghur women's names end in 古丽 after a known first part (阿依古丽).
_TIBETAN_PARTS = ("扎西 卓玛 次仁 格桑 德吉 央金 拉姆 旦增 丹增 多吉 顿珠 尼玛 达瓦 达娃 次旦 索朗 索南 平措 洛桑 白玛 仁青 "
                  "强巴 普布 巴桑 边巴 米玛 琼达 曲珍 益西 措姆 卓嘎 央宗 德央 桑珠 贡嘎 梅朵 拉巴 罗布 旺堆 旺姆 加措 "
                  "嘉措 才让 次珍 群培 贡布 阿旺 玉珍 仓决 占堆 欧珠 土登 泽仁 泽旺 吉美 其美 仁增 旺久 尼珍 拉珍 德庆 "
                  "央拉 赤列 朗杰 巴珠 卓嘎 白珍 次央 普赤 多布杰 德央 拉巴次仁 "
                  # Uyghur women's names that open with 古丽 (a role or a kinship word before them decides)
                  "古丽娜 古丽米拉 古丽扎尔 古丽巴哈尔 古丽努尔").split()
_TIBETAN_PART = "|".join(sorted(set(_TIBETAN_PARTS), key=len, reverse=True))
_TIBETAN_NAME = re.compile(f"(?:{_TIBETAN_PART})(?:{_TIBETAN_PART})|(?:阿依|帕提|努尔|米热|布比|再娜|阿提|热孜万|巴哈尔)古丽"
                           # Uyghur names that start with 古丽 (古丽娜尔, 古丽米拉, 古丽巴哈尔)
                           "|古丽(?:娜尔|米拉|巴哈尔|扎尔|孜巴|尼沙|努尔|加玛丽|夏提|莎|仙|克孜|比亚)"
                           # Mongolian: 其其格 after its first part (乌云其其格, 萨仁其其格), names no word shares
                           "|(?:乌云|萨仁|斯琴|阿拉坦|娜仁|哈斯|苏日娜|宝音|托娅|图雅|其木格)?(?:其其格|琪琪格)"
                           # (额尔敦毕力格, 那仁高娃: a first part before 毕力格 or 高娃 is the same name's)
                           "|(?:呼和|额尔敦|阿拉坦|宝音|巴图|特木尔|朝鲁)?(?:巴特尔|毕力格)|格日勒图?|乌力吉|宝力高|敖日格勒|那日苏"
                           "|(?:斯琴|那仁|娜仁|萨仁|乌云|其木格|阿拉坦|塔娜|额尔敦)高娃"
                           # (乌云其木格, 萨仁其木格: a first part before 其木格)
                           "|(?:乌云|萨仁|斯琴|娜仁|阿拉坦|宝音|塔娜|图雅)其木格")
_TIBETAN_SINGLE = re.compile(f"(?:{_TIBETAN_PART})")
# Mongolian and Uyghur names used alone (宝音, 巴雅尔, 乌云娜, 额尔德木图; 买买提江, 艾克拜尔): like a Tibetan name's
# part, one is a name where a cue, a title, a greeting or sex and age says so (经办人：乌云，工号…, 乌兰，女，22岁;
# not 乌云, a cloud, nor 乌兰浩特, 呼和浩特)
_STEPPE_NAMES = ("乌云 乌兰 宝音 巴雅尔 乌云娜 乌日娜 萨日娜 苏日娜 额尔德木图 额尔德尼 额尔敦 朝鲁 苏和 图雅 娜仁 萨仁 其木格 阿拉坦 孟和 那顺 "
                 "吉日嘎拉 特木尔 满都拉 布和 德力格尔 敖登 高娃 哈斯 巴图 "
                 "买买提江 艾克拜尔 艾尔肯 阿里木 艾合买提 吾买尔 库尔班 托合提 阿迪力 吐尔洪 热合曼 伊力哈木 艾买提 亚森 "
                 # Kazakh (a herder's family on a village doctor's round: 努尔别克家转场了, 小儿子叶森出麻疹)
                 "努尔别克 叶尔别克 阿合别克 巴合别克 叶尔兰 叶尔肯 叶森 努尔兰 阿斯哈尔 哈力别克 加娜尔 阿依达娜 沙尔山 "
                 "达尼亚尔 叶尔波拉提 马合沙提 吾拉孜别克 别克波拉提").split()
_MINORITY_SINGLE = re.compile("|".join(sorted(set(_TIBETAN_PARTS) | set(_STEPPE_NAMES), key=len, reverse=True)))
# 患者格桑（…）, 受试者哈斯（…）, 证人…: whom a record is about, right before the name
_RECORD_SUBJECT_BEFORE = re.compile(r"(?:患者|病人|患儿|就诊人|受试者|证人|见证人)\s*$")
_GREETING_AFTER = re.compile(r"\s*[，,]?\s*(?:您好|你好)|阿爸|阿妈")
# 她丈夫格桑问…, 儿子扎西说…: after a kinship word, what the one named does next (not 格桑花, a flower)
_ACTS_NEXT = re.compile(r"[问说讲告让叫来去在也都就还又才已刚今昨明和跟陪给带]|周末|[本下每]周|每天")  # (女儿央金周末陪他…)
_COMPANION_WORD = re.compile(r"(?:同伴|伙伴|同行者)\s*$")
_MONGOLIAN_GATE = re.compile("其其格|琪琪格|巴特尔|毕力格|格日勒|乌力吉|宝力高|敖日格勒|那日苏|斯琴高娃")


# Japanese names (佐藤健一, 山田美咲) in a text that says the people are Japanese: a common surname of two or three
# characters (many are also words: 田中, 山口, 中村) and one or two given-name characters, at a word's start or after
# a cue. Elsewhere they are left to the cues Chinese names have.
# (or kana anywhere: 预约单上写的是やまだ はなこ，汉字山田花子)
_JAPANESE_GATE = re.compile("日籍|日本|日方|日企|日资|日裔|日语|旅日|在日|日侨|[\u3041-\u3096\u30a1-\u30fa]")
_JAPANESE_SURNAMES = ("佐藤 铃木 高桥 田中 渡边 伊藤 山本 中村 小林 加藤 吉田 山田 佐佐木 山口 松本 井上 木村 清水 山崎 "
                      "池田 桥本 阿部 石川 山下 中岛 石井 小川 前田 冈田 长谷川 藤田 后藤 近藤 村上 远藤 青木 坂本 斋藤 "
                      "福田 太田 西村 藤井 冈本 松田 中川 中野 原田 小野 田村 竹内 金子 和田 中山 石田 上田 森田 柴田 "
                      "酒井 工藤 横山 宫崎 宫本 内田 高木 安藤 岛田 谷口 大野 高田 丸山 今井 河野 藤原 村田 武田 上野 "
                      "杉山 增田 小山 大冢 平野 菅原 久保 松井 千叶 岩崎 樱井 木下 野口 松尾 菊地 野村 新井 渡部 "
                      "鈴木 高橋 渡辺 齋藤 斎藤 佐々木 橋本 中島 岡田 岡本 櫻井").split()
_JAPANESE_NAME = re.compile("(?:" + "|".join(sorted(_JAPANESE_SURNAMES, key=len, reverse=True)) + ")")
# (他太太小林美咲, 汉字山田花子: a wife or a husband, the name written in kanji)
_JAPANESE_BEFORE = re.compile(r"(?:患者|翻译|陪同|由|和|与|及|同事|先生|女士|医生|日籍|日本籍?|太太|妻子|丈夫|汉字|漢字|[^\u4e00-\u9fff])\s*$")


# Characters _NOT_GIVEN keeps out of Chinese given names that end Japanese ones (健太, 翔太, 惠子, 美智子)
_JAPANESE_GIVEN_ENDINGS = frozenset("太子")


def _jp_given_ok(s: str) -> bool:
    return bool(s) and all(_given_ok(c) or k == len(s) - 1 and c in _JAPANESE_GIVEN_ENDINGS and k > 0
                           for k, c in enumerate(s))


def _japanese_names(text: str) -> list[Span]:
    out: list[Span] = []
    for m in _JAPANESE_NAME.finditer(text):
        i, j = m.start(), m.end()
        before = _words_before(text, i)
        if not (i == 0 or _JAPANESE_BEFORE.search(before) or _STRONG_CUE.search(before) or _WEAK_CUE.search(before)
                or _ROLE_CUE.search(before) or _KIN_CUE.search(before)):
            continue
        g = 2 if _jp_given_ok(text[j : j + 2]) and len(text[j : j + 2]) == 2 else 1 if _jp_given_ok(text[j : j + 1]) else 0
        if g == 2 and _jp_given_ok(text[j + 2 : j + 3]) and not _NAME_CHARS.match(text[j + 3 : j + 4] or "x"):
            g = 3  # 佐藤真由美（SATO MAYUMI）: three given characters where the name plainly ends
        if g and not _inside_medical_term(text, i, j + g):
            out.append(Span(i, j + g, "name", True))
    return out


# 晓峰他今天又没按时吃药: a name opening a clause and taken up by 他/她, then a time word or an adverb
_NAME_THEN_PRONOUN = re.compile(r"(?P<n>[\u4e00-\u9fff]{2,3}?)[他她](?=[\u4e00-\u9fff])")
# 孙丽昨晚肚子疼送来急诊…我是她姐: the writer is the relative of the one the message opens with
_SELF_AS_KIN = re.compile(r"我是(?:他|她)的?(?:妈妈|妈|爸爸|爸|母亲|父亲|姐姐|姐|哥哥|哥|弟弟|弟|妹妹|妹|儿子|女儿|爱人"
                          r"|老公|老婆|丈夫|妻子|家属|家长|奶奶|爷爷|外婆|外公|孙子|孙女|闺女|媳妇|对象|朋友|同事)")
_NOT_A_NAME_START = set("我你您咱这那他她它谁每各某哪")


def _spoken_of_names(text: str) -> list[Span]:
    out: list[Span] = []
    self_as_kin = bool(_SELF_AS_KIN.search(text))
    for c0, clause in _clauses(text):
        m = _NAME_THEN_PRONOUN.match(clause) or _I_AM_PARENT_OF.search(clause)
        if m and _PARENT_OF_NAMED.match(clause, m.end()) and _named_child(m.group("n")):
            # 铁蛋他娘来了, 俺是二柱他娘: a parent known by the child's name (a pet name the dictionary may call
            # a numeral or a noun)
            out.append(Span(c0 + m.start("n"), c0 + m.end("n"), "name", True))
            continue
        if m and _pronoun_subject(clause, m.end()):
            n = m.group("n")
            tag, freq = _dict_tag(n)
            if (n[0] not in _NOT_A_NAME_START and all(_NAME_CHARS.match(c) for c in n) and not _KIN_WORD_RE.search(n)
                    and (tag is None and len(_tokens(n)) > 1 or tag in _NR_TAGS and freq < _COMMON_WORD_FREQ
                         # 婷婷她这几天…: a doubled pet name, not an adverb or a time word (天天他…)
                         or len(n) == 2 and n[0] == n[1] and (tag or "")[:1] not in _NOT_DOUBLED_NAME_TAGS)
                    and all(_given_ok(c) or _SURNAME_RE.match(c) for c in n)
                    and not _inside_medical_term(text, c0, c0 + len(n))):
                out.append(Span(c0, c0 + len(n), "name", False))
                continue
        if self_as_kin and c0 == 0:
            sm = _SURNAME_RE.match(clause)
            if sm is None:
                continue
            j = sm.end()
            while j < len(clause) and j - sm.end() < 2 and _given_ok(clause[j]):
                j += 1
                if _dict_tag(clause[j : j + 2])[0] in _SUBJECT_NEXT_TAGS:
                    break
            word = clause[:j]
            if (j > sm.end() and _dict_tag(clause[j : j + 2])[0] in _SUBJECT_NEXT_TAGS and _dict_tag(word)[0] in (None, *_NR_TAGS)
                    and _token_ends_at(clause, j) and not _inside_medical_term(text, 0, j)):
                out.append(Span(0, j, "name", False))
    return out


_I_AM_PARENT_OF = re.compile(r"(?:是|我)(?P<n>[\u4e00-\u9fff]{2})[他她](?=娘|爹|妈|爸|奶奶|爷爷)")  # 俺是二柱他娘
_PARENT_OF_NAMED = re.compile(r"娘|爹|妈妈|妈|爸爸|爸|奶奶|爷爷|姥姥|姥爷|外婆|外公")


def _named_child(n: str) -> bool:
    tag, _ = _dict_tag(n)
    return (len(n) == 2 and n[0] not in _NOT_A_NAME_START and not _KIN_WORD_RE.search(n) and n[-1] not in "们的了"
            and ((tag or "x")[:1] not in "dtovpcurfs" or n in _WORD_GIVEN_NAMES))  # (二狗他妈: a pet name no dictionary has;
    # 国庆他妈: a holiday parents name a child after)


def _pronoun_subject(clause: str, at: int) -> bool:
    """Whether what follows 他/她 at ``at`` is what follows a subject: a time word, an adverb or 说."""
    nxt = _tokens(clause[at : at + 8])[0][1] if at < len(clause) else ""
    return _dict_tag(nxt)[0] in _SUBJECT_NEXT_TAGS or nxt in ("说", "也", "又", "还", "就", "总", "老", "在") or bool(
        _SUBJECT_NEXT.match(clause, at))


def _kin_named_without_surname(text: str) -> list[Span]:
    """我姥爷巴特尔: after a kinship word, a rare word the dictionary tags as a person's name and that starts with no
    surname (those are weighed in :func:`_name_at`): a Mongolian or other name without a Han surname."""
    out: list[Span] = []
    for c0, clause in _clauses(text):
        index = _token_index(clause)
        for m in _KIN_WORD_RE.finditer(clause):
            at = index.get(m.end())
            if at is None or m.start() not in index:
                continue
            word = _tokens(clause)[at][1]
            tag, freq = _dict_tag(word)
            i = c0 + m.end()
            if (2 <= len(word) <= 4 and tag in _NR_TAGS and freq < _COMMON_WORD_FREQ and not _SURNAME_RE.match(word)
                    and _NAME_CHARS.fullmatch(word[0]) and not _ordinary(word) and _dict_tag(word[:2])[0] != "t"
                    and not _inside_medical_term(text, i, i + len(word))):
                # (not a word that opens with a time word: 我妈今天下午还在烧, where jieba tags 今天下午 a name)
                out.append(Span(i, i + len(word), "name", True))
    return out


# 我老婆海燕她怀孕了, 我爸建国今年七十二, 我女儿雨桐😭: a relative's given name said right after the kinship word,
# then taken up by 他/她, followed by an age or by an emoji; 我儿子宇，今年十四: one character, then the age.
_KIN_GIVEN_NEXT = re.compile(r"[他她](?!们)|\s*今年\s*[\d一二两三四五六七八九十]|[\U0001F300-\U0001FAFF\u2600-\u27BF]"
                             # 我妹妹晓雯在成都…, 我女儿欣怡今天…, 我家小满（2023年…出生）: where or when the one named is
                             r"|在(?=[\u4e00-\u9fff]{2})|今天|昨天|前天|最近|这两天|这几天|一直|已经|每[天周月次]|经常|常常"
                             r"|\s*[（(]\s*(?:19|20)\d{2}\s*年"
                             # 我弟弟雷鸣，2008年出生: the relative's name, then when they were born
                             r"|\s*[，,]\s*(?:19|20)\d{2}\s*年(?:\d{1,2}\s*月)?(?:\d{1,2}\s*[日号])?(?:出)?生"
                             # 家属（女儿）晓燕 电话…, 女儿梅子（微信 …）: whose contact follows
                             r"|\s*(?:电话|手机|联系电话)|\s*[（(]\s*(?:微信|电话|手机)")
# A pupil by class, as a school nurse's log names them (三年二班江河在操场…, 四年一班高兴同学午饭后…): the class is
# as good a cue as a kinship word, and 同学 after the name says who it is.
_SCHOOL_CLASS = re.compile(r"(?<![\d一二三四五六七八九十])(?:[一二三四五六七八九\d]年级?|[初高][一二三](?:年级)?"
                           # (五（3）班: a primary school's grade, then the class number in brackets)
                           r"|[一二三四五六](?=\s*[（(]\s*\d{1,2}\s*[)）]\s*班)"
                           # (大二班唐一诺, 中（1）班: a kindergarten's senior, middle or junior class and its number)
                           r"|(?<![\u4e00-\u9fff])[大中小托](?=[一二三四五六七八九\d]班|\s*[（(]\s*\d{1,2}\s*[)）]\s*班))"
                           # (初二（3）班万思琪: a middle school's grade, the class number in brackets)
                           r"(?:[一二三四五六七八九十\d]{1,2}|\s*[（(]\s*\d{1,2}\s*[)）]\s*)班(?:的)?")
# (五（3）班 12号 王梓涵: a pupil's seat number may come between)
# (五年级(1)班座号23 王一诺: the pupil's seat number, with or without 号, between the class and the name)
_CLASS_BEFORE = re.compile(_SCHOOL_CLASS.pattern + r"(?:\s*(?:座号\s*\d{1,2}(?:\s*号)?|\d{1,2}\s*号)\s*的?)?\s*$")
_PUPIL_NEXT = re.compile(r"同学(?!们)")
# (三年级二班座号07，国庆同学: the pupil's seat number between the class and the name)
# (三年级(5)班座号9的海燕，…: or 的, then the pupil's given name ending the clause)
_SEAT_AFTER_CLASS = re.compile(r"\s*(?:座号\s*\d{1,2}|\d{1,2}\s*号)\s*(?:[，,]|(?P<of>的))?\s*")
_KIN_ONE_NEXT = re.compile(r"\s*[，,]\s*今年\s*[\d一二两三四五六七八九十]")
_CLAUSE_END = re.compile(r"[，,。；;！!？?]|$")
# (大女儿招娣哭着说…: how it was said may come between)
_KIN_GIVEN_SAID = re.compile(r"(?:[哭笑急抢喊嚷]着)?(?:说|讲)|的(?![\u4e00-\u9fff]?[的])")
_KIN_GIVEN_WORD_FREQ = 1000  # a noun this frequent is the relative's body or belongings (我爸身体他…), not a name


def _count(text: str, word: str, counts: dict[str, int]) -> int:
    """How often ``word`` occurs in ``text``, counted once per word."""
    if word not in counts:
        counts[word] = text.count(word)
    return counts[word]


def _kin_given_names(text: str) -> list[Span]:
    out: list[Span] = []
    counts: dict[str, int] = {}  # (each word counted once: a long text of kinship words stays linear)
    for m in itertools.chain(_KIN_WORD_RE.finditer(text), _SCHOOL_CLASS.finditer(text)):
        pupil = m.re is _SCHOOL_CLASS
        i = m.end()
        if i < len(text) and text[i] == text[i - 1]:
            i += 1  # 我妹 + 妹: the kinship word is 妹妹
        if text[i : i + 1] in ("）", ")"):
            i += 1  # 家属（女儿）晓燕: the relationship in brackets, then the name
        seat = _SEAT_AFTER_CLASS.match(text, i) if pupil else None
        if seat:
            i = seat.end()
        for n, follows in ((2, _KIN_GIVEN_NEXT), (1, _KIN_ONE_NEXT)):
            word = text[i : i + n]
            if word[-1:] in ("着", "了", "过"):
                continue  # 我妈哭着说…, 我爸笑着说: a verb with its aspect, not a name
            if n == 2 and word[:1] in ("新", "刚", "才") and text[i + n : i + n + 1] == "的":
                continue  # 哥哥新换的座机: what the relative has just done, not a name
            # (常把护工小芬叫成女儿春梅，…: two characters the dictionary does not know, ending the clause)
            ends_clause = (not pupil and n == 2 and _CLAUSE_END.match(text, i + n) is not None
                           and _dict_tag(word)[0] is None and not set(word) & _COUNTING
                           and (i - m.start(), i - m.start() + 2) in _hmm_names(text[m.start() : i + 2]))
            # 他媳妇金凤说…, 三叔德福的伤口…，德福叔…, 大舅铁柱喝酒…铁柱舅: a word no dictionary calls common, then
            # what was said or whose it is, or said again elsewhere in the text
            if not pupil and n == 2 and not ends_clause and (tag2 := _dict_tag(word))[0] in (None, *_NR_TAGS, "ns", "n") and (
                    tag2[1] < _COMMON_WORD_FREQ) and not set(word) & _COUNTING and (
                    _count(text, word, counts) >= 2 or tag2[0] != "n" and _KIN_GIVEN_SAID.match(text, i + n)
                    # 由妻子智妍翻译…: a word no dictionary knows, then what the relative did
                    or tag2[0] is None and _predicate_starts(text, i + n)
                    and (i - m.start(), i - m.start() + 2) in _hmm_names(text[m.start() : i + n + 4])):
                ends_clause = True
            # (a seat number and 的 say a pupil's name follows, as 同学 after it does)
            # (a word no dictionary knows, or a name: not 12号的书包)
            seated = (bool(seat and seat.group("of")) and n == 2 and _CLAUSE_END.match(text, i + n) is not None
                      and _dict_tag(word)[0] in (None, *_NR_TAGS))
            if len(word) < n or not _given_ok(word) or not (
                    follows.match(text, i + n) or ends_clause or seated
                    or pupil and n == 2 and _PUPIL_NEXT.match(text, i + n)):
                continue
            if n == 2 and word[0] in "小老" and not (
                    word[0] == "小" and follows.match(text, i + n) and _dict_tag(word)[0] is None
                    and word[1] not in _XIAO_NOT_NAME and not _SURNAME_RE.fullmatch(word[1])):
                # 我儿子小脸最近…: 小/老 + a character is for the nickname rules (小脸 is a body part); but 女儿小雯在深圳:
                # 小 and a character no dictionary knows, then where or when the relative is, is what the relative is called
                continue
            tag, freq = _dict_tag(word)
            # (四年一班高兴同学: a pupil's name that is a word too; not 全体同学, a noun)
            named_pupil = (pupil and n == 2 and _PUPIL_NEXT.match(text, i + n) is not None
                           and tag in (None, *_NR_TAGS, "ns", "a", "b", "i", "nz", "t"))  # (国庆同学: a holiday's name)
            if not named_pupil and (n == 1 and tag not in (None, *_NR_TAGS) or n == 2 and not (
                    tag in (None, *_NR_TAGS, "ns") or tag in ("n", "nz", "j") and freq < _KIN_GIVEN_WORD_FREQ
                    or tag in ("a", "i") and freq < _COMMON_WORD_FREQ)):  # 浩然, 欣怡: a rare adjective or idiom, not 可爱
                continue
            if not _KIN_WORD_RE.search(word) and not _inside_medical_term(text, i, i + n):
                out.append(Span(i, i + n, "name", True))
    return out


# ——心内科 张立新: a reply signed at its end, after a dash (and the department)
_SIGNATURE = re.compile(rf"(?:-{{1,2}}|~|～)\s*(?:[\u4e00-\u9fff]{{1,8}}(?:科|室|中心|病区)\s*)?"
                        rf"(?P<n>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}})\s*(?:医生|大夫|医师|主任|护士)?\s*$")
# 俺家狗蛋（小名）: a name, and a note that it is a pet name
_PET_NAME_NOTE = re.compile(r"(?P<n>[\u4e00-\u9fff]{2,3})\s*[（(]\s*(?:小名|乳名|昵称|外号)\s*[)）]")


def _noted_names(text: str) -> list[Span]:
    out: list[Span] = []
    m = _SIGNATURE.search(text)
    if m and _given_ok(m.group("n")[-1]) and not _inside_medical_term(text, m.start("n"), m.end("n")):
        out.append(Span(m.start("n"), m.end("n"), "name", True))
    for m in _PET_NAME_NOTE.finditer(text):
        toks = _tokens(m.group("n"))
        word = toks[-1][1] if len(toks[-1][1]) >= 2 else m.group("n")[-2:]
        start = m.end("n") - len(word)
        before = text[max(0, start - 12) : start]
        # whose pet name: after a kinship word or 我家 (not 药名（小名）叫什么: a word glossed)
        if (all(_NAME_CHARS.match(c) for c in word) and not _KIN_WORD_RE.search(word) and "名" not in word
                and (_KIN_CUE.search(before) or _HOME_CUE.search(before))):
            out.append(Span(start, m.end("n"), "name", True))
    return out


# A chat log's speaker (张丽：今天…, [聊天记录] 赵磊 2024-05-06 21:13：…, 孙晓梅（儿科）21:20：…): a name that opens a
# line, before its colon or its time stamp.
_SPEAKER = re.compile(rf"(?:^|\n|\s/\s|[\]】]\s*)\s*(?P<n>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}})"
                      r"(?:\s*[（(][\u4e00-\u9fff]{1,8}[)）])?\s*(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\s*)?(?:\d{1,2}:\d{2}(?::\d{2})?\s*)?[:：]")
# 小燕：…, 阿珍：…, 老胡：…, 刘大姐：…, Kelly：…: a group chat's speaker by nickname, title or English name
_SPEAKER_NICKNAME = re.compile(rf"(?:^|\n|[\]】]\s*)\s*(?:客服|护士|药师|助理|前台)?(?P<n>小[\u4e00-\u9fff]|阿[\u4e00-\u9fff]|老[{_SINGLE_SURNAMES}]|[A-Z][a-z]{{2,12}}"
                               rf"|[{_SINGLE_SURNAMES}](?=大姐|大哥|阿姨|大爷|奶奶|爷爷|叔叔|姐|哥|叔|姨|婶))"
                               r"(?:大姐|大哥|阿姨|大爷|奶奶|爷爷|叔叔|姐|哥|叔|姨|婶)?\s*[:：]")
# [康复家属群] 小鱼儿妈妈：今天小鱼儿…: a parent speaking as the child's mother or father; the child's pet name (小 and
# a name, or a doubled character) is a name (not 宝宝妈妈：, 小孩妈妈：)
_SPEAKER_PARENT = re.compile(r"(?:^|\n|[\]】]\s*)\s*(?P<n>小[\u4e00-\u9fff]{1,2}?|([\u4e00-\u9fff])\2)"
                             r"(?:妈妈|爸爸|奶奶|爷爷|外婆|外公|姥姥|姥爷|家长)\s*[:：]")
# [表姐晓燕] 我明天…, [国庆哥] …, [阿强] …: a group chat's display name in brackets opening a line, which is a
# name once the kinship word before it and the 哥/姐 after it are set aside ([大姑], [小姑父] name no one). Not the
# app's placeholders ([图片], [语音]) or a role ([群主], [医生]).
_DISPLAY_NAME = re.compile(r"(?:^|\n)\s*\[(?P<d>[^\[\]\n]{1,10})\]\s")
_DISPLAY_KIN_BEFORE = re.compile(rf"^(?:[大二三四五六小老幺表堂]?(?:{_KIN_WORDS}|姑|舅|姨|叔|伯|婶|嫂|姐|哥|弟|妹|爷|奶|婆|公))+")
_DISPLAY_TITLE_AFTER = re.compile(r"(?:哥|姐|叔|姨|嫂|妹|弟|爷|奶|婆)+$")
_DISPLAY_NOT_NAMES = frozenset("图片 语音 表情 链接 文件 视频 红包 转账 位置 动画表情 名片 小程序 语音通话 视频通话 撤回 系统消息 "
                               "群主 管理员 医生 护士 大夫 主任 老师 客服 助手 小助手 系统 机器人 家长 全体 所有人 转发 引用 回复 聊天记录 "
                               "置顶 公告 通知 提醒 草稿 已读 未读".split())
# @刘洋 @小满 @慧敏姐 in a group chat: whom a message is for (not @医生, @所有人: a role or everyone)
_MENTION = re.compile(r"(?<![A-Za-z0-9._%+\-])@(?P<n>[\u4e00-\u9fff]{2,3}?|[A-Z][a-z]+)(?=[姐哥]|\s|$|[，,：:])")
_MENTION_NOT = frozenset("医生 护士 大夫 主任 老师 客服 管理员 群主 所有人 全体 全体成员 大家 各位 家长 同学".split())
# 朵朵妈妈问…, 辰辰奶奶：… : a child's doubled pet name, then the relative who writes
_DOUBLED_THEN_KIN = re.compile(r"(?P<n>([\u4e00-\u9fff])\2)(?=妈妈|爸爸|奶奶|爷爷|姥姥|姥爷|外婆|外公|妈|爸|家长)")
# 李姐，…/ 秀英阿姨，…/ 春花大姐，…: whom a message opens by addressing
_VOCATIVE = re.compile(r"(?:^|(?<=[，,。.！!？?；;]))\s*(?P<n>[\u4e00-\u9fff]{1,2}?)(?:阿姨|大姐|大哥|姐姐|哥哥|姐|哥|叔叔|叔|婶|大爷|奶奶|爷爷)\s*[，,！!]")
# 蔡雯，明天你跟刘老师上台 / 向阳，你的手续办好了没: whom a message opens by addressing, before 你/您 in the sentence
# (你/您 soon after the comma, not after 我: 稍等，我看一下你的报告; no interjection: 嗯嗯，理解你的担心)
_ADDRESSED = re.compile(r"(?:^|(?<=[。.！!？?\n“\"「：:]))\s*(?P<n>(?![嗯哈呵哦噢啊呀哎唉喂嘿好])[\u4e00-\u9fff]{2,3})[，,]"
                        r"(?=\s*(?!我)[^。.！!？?\n，,]{0,10}[你您])")
_SCHOOL_YEAR = re.compile(r"[大研博][一二三四五]|[初高][一二三]|[一二三四五六]年")
# 国庆先生，您的…, 芷晴同学，你下周三…: a sentence that opens by addressing someone by given name and 先生/女士/同学,
# before 您/你
_ADDRESSED_TITLED = re.compile(r"(?:^|(?<=[。.！!？?\n]))\s*(?P<n>[\u4e00-\u9fff]{2})(?:先生|女士|同学)[，,]\s*(?=[您你])")
# 现病史：晓月2019年在…, 现病史：怡君自述…: a record's section opened by the patient's given name, then what they report
# or a year
_SECTION_OPENED_BY = re.compile(r"(?:现病史|既往史|个人史|婚育史|月经史|家族史|主诉|病史摘要|病程记录)\s*[:：]\s*"
                                r"(?P<n>[\u4e00-\u9fff]{2})(?=自述|自诉|诉|述|[于在]?(?:19|20)\d{2}\s*年)")
# 囑怡君多喝溫開水: whom a doctor tells to do something, by given name, before what they are to do
_ADVISED = re.compile(r"[嘱囑](?P<n>[\u4e00-\u9fff]{2})(?=多喝|多饮|多休息|按时|注意|定期|避免|回家|明[天日]|次日|复诊|复查|回诊)")
# 麻烦美玲姐帮忙…, 请秀兰阿姨…: a request to someone by given name and an elder's or a sister's title
_ASKED_BY_NAME = re.compile(r"(?:(?:麻烦|请|让|叫|谢谢|感谢|通知|告诉)(?:给|找|问|跟)?|给|找)(?P<n>[\u4e00-\u9fff]{1,2}?)"
                            r"(?=大姐|大哥|阿姨|姐|哥|师傅)")
# 请娜仁花的家属…: a name without a Han surname whose family is called
# 由思琪和周敏负责, 跟亚楠说一下: people given a duty or told something, by name
_ON_DUTY = re.compile(r"(?:由|安排|请|让|麻烦|交给)(?P<n>[\u4e00-\u9fff]{2,3}?)(?:(?:和|、|与)(?P<m>[\u4e00-\u9fff]{2,3}?))?"
                      r"(?=负责|值班|接班|接管|管床|顶班|上夜班|上班|跟进|帮忙|处理一下|看一下|查一下)")
# 药师唐姐回复：小芸，布洛芬…: whom a reply opens by addressing
_REPLY_OPENING = re.compile(r"(?:回复|回覆|答复)\s*[:：]\s*(?P<n>[\u4e00-\u9fff]{2,3}?)[，,]")
_TOLD = re.compile(r"(?:跟|和|给|告诉)(?P<n>[\u4e00-\u9fff]{2,3}?)(?=说一下|说一声|讲一下|说说|打个?电话)")
_FAMILY_OF = re.compile(r"(?:^|(?<=[请叫通知，,。.：:\s]))(?P<n>(?![请叫通知])[\u4e00-\u9fff]{2,4})的家属")
_SISTER_TITLE = re.compile(r"[姐哥]$")
# Physicians every Chinese reader knows (and a few other public figures a patient may name: 梅兰芳), and the model this
# workbench serves (我是扁鹊，有什么可以帮您): no one's data
_FAMOUS_PHYSICIANS = frozenset(["Zhong Nanshan", "Zhang Wenhong", "Li Lanjuan", "Tu Youyou", "Li Shizhen", "Hua Tuo", "Fauci"]
                               + "扁鹊 华佗 张仲景 李时珍 孙思邈 皇甫谧 葛洪 王叔和 钱乙 叶天士 吴鞠通 南丁格尔 白求恩 "
                               "钟南山 张文宏 李兰娟 屠呦呦 林巧稚 吴孟超 梅兰芳 张孝骞 "
                               # and others a text holds up as an example: writers, athletes (史铁生, 苏炳添)
                               "史铁生 余华 鲁迅 莫言 霍金 刘翔 苏炳添 姚明 郎平 "
                               # scientists a report explains with, and a poster's models (孟德尔分离定律, 白求恩和雷锋)
                               "孟德尔 达尔文 巴甫洛夫 弗洛伊德 希波克拉底 雷锋 焦裕禄".split())
# 母亲越南籍: a nationality, which the dictionary tags as a name (越南籍 nr)
_NATIONALITY = re.compile(r"[\u4e00-\u9fff]{1,4}籍")
# Brands made of a surname and a word or a title (康师傅 noodles, 王老吉 tea, 马应龙 ointment, Dr. Martens boots):
# things bought, nobody's name
_BRANDS = re.compile(r"康师傅|老干妈|王老吉|马应龙|张小泉|陈李济|李宁牌?|周黑鸭|周大福|王致和|胡庆余堂|同仁堂|云南白药"
                     # a pharmacy named 某某堂 (康仁堂大药房), and voice assistants spoken to by name (小爱同学，帮我…)
                     r"|[\u4e00-\u9fff]{1,3}堂(?=大?药房|药店|药业|医药|国医馆|中医馆)|小爱同学|天猫精灵|小度小度"
                     # a pharmacy or a square named after a famous physician (仲景大药房, 华佗广场)
                     r"|(?:仲景|华佗|扁鹊|时珍|思邈)(?=大?药房|药店|药业|广场|国医馆|中医馆|路|街)"
                     r"|Dr\.? ?Martens|Dr\.? ?Pepper|Dr\.? ?Scholl'?s?|Dr\.? ?Jart")
_I_AM_NAME = re.compile(r"我(?:是|系)(?P<n>[\u4e00-\u9fff]{2,3}?)(?=[呀啊哈]?(?:[，,。.！!]|$))")  # 我係阿珍呀，
_ROLE_GIVEN_SISTER = re.compile(r"(?:护工|保姆|阿姨|月嫂|护士|同事|邻居|单位的|科里的|科室的|公司的)(?P<n>[\u4e00-\u9fff]{2})(?=姐|哥|阿姨|大姐)")


_NOT_DOUBLED_NAME_TAGS = frozenset("dtomvpcurfs")


def _addressed_names(text: str) -> list[Span]:
    """Names by how people are addressed or address others in chats and notes (see the patterns above)."""
    return [*_speaker_names(text), *_mentioned_names(text), *_named_by_child(text), *_self_named(text),
            *_vocative_names(text), *_greeted_names(text), *_regional_names(text)]


# 【社区卫生服务中心】马建国您好，…: a notice or a message that opens by greeting someone by full name, even a name
# whose given part is a word (建国, 春花)
_GREETED = re.compile(rf"(?:^|(?<=[\n】\]，,。！!？?]))\s*(?P<n>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}?)\s*[，,]?\s*(?:您好|你好)")


# 佳怡妈妈您好: a parent greeted by the child's given name
_GREETED_PARENT = re.compile(r"(?:^|(?<=[\n】\]，,。！!？?：:]))\s*(?P<n>[\u4e00-\u9fff]{2})(?:同学|小朋友)?(?:妈妈|爸爸|家长|奶奶|爷爷|外婆|姥姥)\s*[，,]?\s*(?:您好|你好)")


def _greeted_names(text: str) -> list[Span]:
    if "好" not in text:
        return []
    out: list[Span] = []
    for m in _GREETED_PARENT.finditer(text):
        n, (a, b) = m.group("n"), m.span("n")
        if (_given_ok(n) and n not in _KIN_DOUBLES and _dict_tag(n)[1] < _COMMON_WORD_FREQ and not _KIN_WORD_RE.search(n)
                and not _inside_medical_term(text, a, b)):
            out.append(Span(a, b, "name", True))
    for m in _GREETED.finditer(text):
        n, (a, b) = m.group("n"), m.span("n")
        surname = _SURNAME_RE.match(n)
        given = n[surname.end():] if surname else ""
        # the greeting decides as 我叫 does: 春生, 克明 are given names here
        # (not 帅哥你好: a way of addressing anyone, though 帅 is a surname)
        if (given and _given_ok(given, in_dictionary_name=True) and not _TITLES.match(given) and not _KIN_WORD_RE.search(n)
                and n not in _FAMOUS_PHYSICIANS and n not in _ADDRESS_WORDS and not _inside_medical_term(text, a, b)):
            out.append(Span(a, b, "name", True))
    return out


# 皇甫爷爷的儿子…, 通知宇文爸爸接回: a compound surname that is no word, before an elder's or a parent's title
_COMPOUND_THEN_KIN = re.compile("(?P<s>" + "|".join(sorted(_NAME_ONLY_COMPOUNDS | {"上官"})) + ")(?=爷爷|奶奶|爸爸|妈妈|姥姥|姥爷|外婆|外公|阿姨|叔叔|伯伯)")
# 陳太，…, 梁姑娘，…, 陳媽媽您好: a surname alone with how Cantonese and Taiwanese messages address a married woman, a young
# woman or a child's parent, opening what is said to them
_SURNAME_ADDRESSED = re.compile(rf"(?:^|(?<=[\n】\]，,。！!？?：:])|(?<=我系)|(?<=我是))\s*(?P<s>[{_SINGLE_SURNAMES}])(?:太|姑娘|妈妈|爸爸)\s*(?:[，,！!]|您好|你好"
                                # a note's subject, what she says of herself (醫生備註：陳太自稱1958年出世)
                                r"|自[称稱]"
                                # a chat's speaker so called (何太：我阿媽…)
                                r"|[:：])"
                                # 梁生，員工編號…: Cantonese 生 (Mr) after a surname, opening a record or a message (not 花生，
                                # 卫生，: words, see _surname_addressed)
                                rf"|(?:^|(?<=[\n】\]，,。！!？?：:]))\s*(?P<m>[{_SINGLE_SURNAMES}])生\s*(?:[，,！!]|您好|你好)")
# 张工这周…, 请设备科冯工检查: how an engineer is addressed, a surname and 工 (not 施工, 童工, 高工: words; not 王工作,
# 李工程师, 关工委)
_SURNAME_ENGINEER = re.compile(rf"(?P<s>[{_SINGLE_SURNAMES}])工(?![作人厂地资程具艺序种业会位龄号伤期时区商科单友装票匠委大党])")
# 傷者陳太送院時清醒: Cantonese 太 (Mrs) after a surname, after the word for the injured or the patient (not 太太, 太累)
_SURNAME_MRS_AFTER_CUE = re.compile(rf"(?:伤者|傷者|患者|病人|事主|当事人|當事人)(?P<s>[{_SINGLE_SURNAMES}])太(?![太阳陽空平极極多少久快慢累晚早大小高低好差重轻輕])")
# 同房陳生成晚嗌痛, 何太擔心佢: in a text written in Cantonese, a common Cantonese surname and 生 (Mr) or 太 (Mrs) with
# no other cue (not 花生, 卫生, 余生: 生 after a character that starts no Cantonese name or makes a word with it; not
# 陈生活, 李太多: 生 or 太 that starts a word)
_CANTONESE_GATE = re.compile("[嘅咗唔佢喺嗌冇啲嘢噉揾嚟睇]")
_CANTONESE_MR_MRS = re.compile("(?P<s>[陈黄李张梁何林刘吴邓麦黎周谭卢冯叶蔡郭曾罗郑杨胡朱许潘莫区关钟萧袁温邝])[生太]"
                               "(?![日活病气氣命长長产產物理存育意效前还還死果菜仔人子阳陽空平极極多少久快慢累晚早大小高低好差重轻輕过過贵貴"
                               "太熱热冻凍远遠近])")
# 拿督黄的秘书: a Malaysian honorific title, then the surname it is given with
_MALAY_TITLE_SURNAME = re.compile(rf"(?:拿督斯里|拿督|丹斯里|敦)(?P<s>[{_SINGLE_SURNAMES}])(?=的|[，,。.；;！!？?\s（(]|$)")
# 佩珊小姐您好, 雨桐你好: a message that opens by greeting someone by given name (and a polite title)
_GIVEN_GREETED = re.compile(r"(?:^|(?<=[\n】\]：:]))\s*(?P<n>(?![嗯哈呵哦噢啊呀哎唉喂嘿好])[\u4e00-\u9fff]{2})(?P<t>小姐|先生|女士)?\s*[，,]?\s*(?:您好|你好)")
# …，雅雯药师敬上: a letter's signature, a given name and the writer's title before 敬上
_SIGNED_GIVEN = re.compile(r"(?P<n>[\u4e00-\u9fff]{2})(?:药师|医师|医生|护士|老师|大夫)(?:敬上|谨上|拜上)")
# 你个仔俊仔嘅…: a Cantonese son or daughter by a pet name ending in 仔, or by a given name before 嘅 (你個女嘉欣嘅濕疹:
# the daughter's, said again later: confident)
_CANTONESE_CHILD = re.compile(r"(?:个仔|个女|个孙)\s*(?P<n>[\u4e00-\u9fff]仔(?=嘅|[，,。！!？?\s]|$)|(?![你我佢他她])[\u4e00-\u9fff]{2}(?=嘅|\s*(?:19|20)\d{2}\s*年))")
# 秀珍奶奶今天…, 护工翠萍已记录…: a care home's resident by given name and an elder's title, a carer by role and
# given name, where what they do follows
# (…，志刚舅舅你把化验单…: a relative of the writer's generation above, called by the given name and the kinship word)
# (下午子涵妈妈来医务室取药: a time word may open the clause before the child's name)
_GIVEN_THEN_ELDER = re.compile(r"(?:^|(?<=[\n，,。；;：:])|(?<=上午|下午|中午|早上|晚上|傍晚|今天|昨天|今早|昨晚|刚才))(?P<n>[\u4e00-\u9fff]{2})(?:奶奶|爷爷|阿婆|阿公|婆婆|舅舅|姑姑|叔叔|伯伯|姨妈|舅妈|姑妈|妈妈|爸爸)")
# 德福叔死活不肯…, 秀梅嫂子急得…, 桂芬姨的CT, 建军哥你放心: a given name and a one-character kinship title, as a
# village or a family calls its elders and peers, opening a clause (see _given_kin_titled)
_GIVEN_THEN_KIN_TITLE = re.compile(r"(?:^|(?<=[\n，,。；;：:！!？?]))(?P<n>[\u4e00-\u9fff]{2})(?:嫂子|婶子|叔|舅|姨|婶|嫂|哥|姐)"
                                   r"(?![\u4e00-\u9fff]?(?:[叔舅姨婶嫂哥姐妈爸父母夫们娘公婆]))")
_CARER_GIVEN = re.compile(r"(?:护工|护理员|保姆|月嫂|育婴师|(?<!家属)陪护(?![人椅床证费员并和及与中期的了时着过])"
                          # (请白班晓雯继续关注: who is on the next shift)
                          r"|(?<=[请由让])(?:[早中晚夜白]班|大夜班|小夜班))(?P<n>[\u4e00-\u9fff]{2})")
# 8床文静由其母曾女士陪护, 23床海燕的爸爸: a bed's patient by a given name, then whose parent or family is meant
_BED_GIVEN_THEN_FAMILY = re.compile(r"(?<![\d.])\d{1,3}\s*(?:床|号床)\s*(?P<n>[\u4e00-\u9fff]{2})"
                                    r"(?=的?(?:爸爸|妈妈|父亲|母亲|爷爷|奶奶|外公|外婆|家属|家长|老公|爱人|丈夫|妻子)|由其?[母父妈爸夫妻女子])")
_BED_GIVEN_NOT = frozenset("宝宝 宝贝 小孩 孩子 老人 病友 新生 大爷 大妈 阿姨 老太 老头 小伙".split())
# 宜蓁的通讯地址是…: a clause that opens with whose address, phone or ID it gives
_OWNER_OF_DATA = re.compile(r"(?:^|(?<=[\n，,。；;：:]))(?P<n>[\u4e00-\u9fff]{2})的(?=通[讯訊]地址|家庭住址|住址|地址|联系电话|电话|手机"
                            r"|身份证|护照|学号|病历号|医保卡|出生日期|生日)")
# 巴图孟和，男，蒙古族…, 何向阳，男，56岁: a record that opens with a name and the sex
_RECORD_OPENING = re.compile(r"(?:^|(?<=\n))\s*(?P<n>[\u4e00-\u9fff]{2,5}?)(?=\s*[，,、 ]\s*(?:男|女)性?\s*[，,、 ])")
# Yi names (吉克莫色, 阿苏木呷) in a text that says the person is Yi or from Liangshan: a Yi family name of two characters
# and two given characters; the family name alone before a title (吉克医生)
_YI_GATE = re.compile("彝|凉山")
_YI_SURNAMES = "吉克 阿苏 阿约 吉伍 沙马 马海 俄木 曲比 阿西 海来 勒格 木乃 阿尔 阿力 吉木 瓦扎 阿说 日火 罗洪 阿侯 巴莫 加拉 阿克 吉尔".split()
_NOT_YI_GIVEN = set("的了是在有和与及或不没也都就还又很这那我你他她们您医生病患者岁族")  # (拉 and 木 are Yi given names)
_YI_NAME = re.compile("(?P<s>" + "|".join(_YI_SURNAMES) + ")(?P<g>[\u4e00-\u9fff]{2})?")


def _regional_names(text: str) -> list[Span]:
    """How regions and peoples name and address people (see the patterns above)."""
    out = [Span(m.start("s"), m.end("s"), "name", False) for m in _COMPOUND_THEN_KIN.finditer(text)]
    out += [Span(m.start(g), m.end(g), "name", False) for m in _SURNAME_ADDRESSED.finditer(text) for g in ("s", "m")
            if m.group(g) and (g == "s" or _dict_tag(m.group(g) + "生")[0] is None)]
    if "工" in text:
        out += [Span(m.start("s"), m.end("s"), "name", False) for m in _SURNAME_ENGINEER.finditer(text)
                if _dict_tag(m.group("s") + "工")[0] is None and _token_ends_at(text, m.start("s"))]
    if "太" in text:
        out += [Span(m.start("s"), m.end("s"), "name", False) for m in _SURNAME_MRS_AFTER_CUE.finditer(text)]
    if "拿督" in text or "丹斯里" in text or "敦" in text:
        out += [Span(m.start("s"), m.end("s"), "name", False) for m in _MALAY_TITLE_SURNAME.finditer(text)]
    if _CANTONESE_GATE.search(text):
        out += [Span(m.start("s"), m.end("s"), "name", False) for m in _CANTONESE_MR_MRS.finditer(text)
                if _dict_tag(m.group())[1] < _COMMON_WORD_FREQ and not _inside_medical_term(text, m.start(), m.end())
                and (m.start() == 0 or _dict_tag(text[m.start() - 1 : m.end() - 1])[0] is None)]
    for rx in (_GIVEN_THEN_ELDER, _CARER_GIVEN, _OWNER_OF_DATA):
        for m in rx.finditer(text):
            n, (a, b) = m.group("n"), m.span("n")
            if n[1] in _SINGLE_SURNAMES and _dict_tag(n[0])[0] in ("v", "p", "c"):
                continue  # 帮赵奶奶挂个号: a verb, then a surname and the title
            tag, freq = _dict_tag(n)
            # (护工春花说…: a carer's given name that is also a rare noun, before what the carer said)
            said = rx is _CARER_GIVEN and tag in ("n", "nz") and _SAYING.match(text, m.end()) is not None
            if (_given_ok(n) and (tag in (None, *_NR_TAGS) or said) and freq < _COMMON_WORD_FREQ
                    and not _KIN_WORD_RE.search(n) and (rx is _OWNER_OF_DATA or _predicate_starts(text, m.end()))
                    and not _inside_medical_term(text, a, b)):
                out.append(Span(a, b, "name", True))
    if "床" in text:
        for m in _BED_GIVEN_THEN_FAMILY.finditer(text):
            n, (a, b) = m.group("n"), m.span("n")
            if (_given_ok(n) and n not in _BED_GIVEN_NOT and _dict_tag(n)[1] < _KIN_GIVEN_WORD_FREQ
                    and not _KIN_WORD_RE.search(n) and not _ROLE_CUE.search(n) and not _TITLES.search(n)
                    and not _inside_medical_term(text, a, b)):
                out.append(Span(a, b, "name", True))
    counts: dict[str, int] = {}
    for m in _GIVEN_THEN_KIN_TITLE.finditer(text):
        n, (a, b) = m.group("n"), m.span("n")
        tag, freq = _dict_tag(n)
        # (a word only where the text says it again or speaks to the one titled: 建军哥你…; not 保安叔说)
        if (_given_ok(n) and not set(n) & _COUNTING and n[0] not in _NOT_A_NAME_START and n[-1] not in "阿大小老表堂"
                and not _KIN_WORD_RE.search(n) and not _ROLE_CUE.search(n) and n not in _ADDRESS_WORDS
                and (tag in (None, *_NR_TAGS, "ns") and freq < _COMMON_WORD_FREQ or n in _WORD_GIVEN_NAMES
                     or tag == "n" and freq < _KIN_GIVEN_WORD_FREQ and (text[m.end() : m.end() + 1] in "你您" or _count(text, n, counts) >= 2))
                and (text[m.end() : m.end() + 1] in "的你您，," or _predicate_starts(text, m.end()))
                and not _inside_medical_term(text, a, b)):
            out.append(Span(a, b, "name", True))
    for rx in (_GIVEN_GREETED, _SIGNED_GIVEN, _CANTONESE_CHILD):
        for m in rx.finditer(text):
            n, (a, b) = m.group("n"), m.span("n")
            if (rx is _CANTONESE_CHILD or _given_ok(n) and _dict_tag(n)[1] < _COMMON_WORD_FREQ
                    and not _KIN_WORD_RE.search(n) and n not in _ADDRESS_WORDS and not _TITLES.fullmatch(n)
                    and not _ROLE_CUE.search(n) and (rx is not _GIVEN_GREETED or m.group("t") or _dict_tag(n)[0] in (None, *_NR_TAGS))
                    ) and not _inside_medical_term(text, a, b):
                out.append(Span(a, b, "name", rx is not _CANTONESE_CHILD or len(n) == 2 and not n.endswith("仔")))
    for m in _RECORD_OPENING.finditer(text):
        n, (a, b) = m.group("n"), m.span("n")
        surname = _SURNAME_RE.match(n)
        given = n[surname.end() :] if surname else ""
        if "某" in n or _inside_medical_term(text, a, b) or _KIN_WORD_RE.search(n):
            continue
        if (given and 1 <= len(given) <= 2 and _given_ok(given, in_dictionary_name=True) and not _TITLES.match(given)
                or not surname and _unsurnamed_name(n)):
            out.append(Span(a, b, "name", True))
    yi_text = bool(_YI_GATE.search(text))
    if yi_text or _YI_NAME.search(text):
        for m in _YI_NAME.finditer(text):
            g, end = m.group("g"), m.end()
            if not yi_text and not (g and (_ROLE_CUE.search(text[max(0, m.start() - 8) : m.start()])
                                           or _TITLES.match(text, end) and not _NAME_CHARS.match(text[m.start() - 1 : m.start()] or "x"))):
                continue  # outside a Yi text, only after a role or before a title (护士沙马拉且, 沙马拉则护士)
            if _inside_medical_term(text, m.start(), end):
                continue  # (阿尔茨海默病)
            if g and not set(g) & _NOT_YI_GIVEN and (not _NAME_CHARS.match(text[end : end + 1] or "x")
                                                   or _ACTS_NEXT.match(text, end) or _predicate_starts(text, end)
                                                   or _TITLES.match(text, end)):
                out.append(Span(m.start(), end, "name", True))
            elif _TITLES.match(text, m.end("s")):
                out.append(Span(m.start(), m.end("s"), "name", False))
    return out


# 丽娟：我的号…: a chat transcript's speaker by given name alone, beside the full names and nicknames _speaker_names
# takes (not 医生：, 老幺：, 二姐：, a relative's rank)
_GIVEN_NAME_SPEAKER = re.compile(r"(?:^|(?<=\n))\s*(?P<n>[\u4e00-\u9fff]{2,3})\s*[:：]\s*"
                                 # what a chat line opens with (not a form's field or a heading: 转诊单：, 求问：)
                                 r"(?=我|你|您|俺|咱|@|好的|收到|嗯|哈|谢谢|在吗|大家|刚|今天|明天|昨天|[今明]早|晚上)")
# [相亲相爱一家人] 建军：妈今天…, [家庭群] Amy：…: after a group chat's name in brackets, who speaks, by a given name
# (even a word: 建军, 春花), a girl's ranked pet name (二丫) or an English name
_GROUP_CHAT_SPEAKER = re.compile(r"(?:^|(?<=\n))\s*[\[【][^\[\]【】\n]{1,16}[\]】]\s*(?P<n>[\u4e00-\u9fff]{2,3}|[A-Z][a-z]{1,15})\s*[:：]")
_SPEAKER_WORD_FREQ = 1000
# …，春花你明天去药店…, 小宇你周末回来…: a given name, then 你, opening a clause that asks that person to do something
# (【周阿姨】：晓琳你上次讲的…: or a chat message's first words, after the sender and the colon)
_NAME_THEN_YOU = re.compile(r"(?:^|(?<=[，,。！!？?；;\n])|(?<=[】\]][:：]))\s*(?P<n>[\u4e00-\u9fff]{2})你(?![们的好])")
_FAMILY_RANK = re.compile(r"^(?:老[大二三四五六七八九幺]|幺[妹儿弟女]|[大二三四五六七八九小]?(?:姐|哥|妹|弟|姨|叔|舅|姑|伯|婶|嫂|爷|奶|妈|爸)+)$")


def _given_name_speakers(text: str) -> list[Span]:
    # (one that starts with a surname is found by the surname rules: 刘大姐：, 张丽：)
    return [Span(m.start("n"), m.end("n"), "name", False) for m in _GIVEN_NAME_SPEAKER.finditer(text)
            if not _NOT_GIVEN.intersection(m.group("n")) and _SURNAME_RE.match(m.group("n")) is None
            and _unsurnamed_name(m.group("n")) and not _FAMILY_RANK.match(m.group("n"))
            and not _KIN_WORD_RE.fullmatch(m.group("n")) and not _PLATFORM_WORD.fullmatch(m.group("n"))]  # (小红书：a post)


def _display_names(text: str) -> list[Span]:
    out: list[Span] = []
    for m in _DISPLAY_NAME.finditer(text):
        d, a = m.group("d").strip(), m.start("d") + (len(m.group("d")) - len(m.group("d").lstrip()))
        if d in _DISPLAY_NOT_NAMES:
            continue
        kin = _DISPLAY_KIN_BEFORE.match(d)
        k = kin.end() if kin else 0
        rest = _DISPLAY_TITLE_AFTER.sub("", d[k:]) or d[k:]
        if re.search(r"[群组聊]$", rest) or re.match(r"\s*[^\s：:，,。]{1,8}[：:]", text[m.end():]):
            continue  # [家庭群] 大姑：…: the chat the line comes from, its speaker after it
        if (2 <= len(rest) <= 3 and all(_NAME_CHARS.match(c) for c in rest) and rest not in _DISPLAY_NOT_NAMES
                and not _KIN_WORD_RE.fullmatch(rest) and _dict_tag(rest)[0] not in ("v", "vn") and not set(rest) & _COUNTING and not _NOT_CHILD_NAME.intersection(rest)
                or re.fullmatch(r"[A-Z][a-z]{1,15}", rest)):
            out.append(Span(a + k, a + k + len(rest), "name", False))
    return out


def _group_chat_speakers(text: str) -> list[Span]:
    out = []
    for m in _GROUP_CHAT_SPEAKER.finditer(text):
        n, (a, b) = m.group("n"), m.span("n")
        if re.match(r"\s*\d", text[m.end() :]):
            continue  # 【微医】验证码：7391: a notice's field and its value
        if n.isascii():
            ok = n not in _NOT_LATIN_NAMES and _NAME_CHARS.match(text, m.end()) is not None
        elif _RANKED_PET_NAME.fullmatch("女儿" + n):
            ok = True
        else:
            tag, freq = _dict_tag(n)
            # (a word the dictionary knows well, a role or a kinship word is a chat's field or someone's title:
            # [系统消息] 内容：, [家庭群] 大姑：)
            ok = (n not in _DISPLAY_NOT_NAMES and n not in _ADDRESS_WORDS and not _KIN_WORD_RE.search(n)
                  and not _FAMILY_RANK.match(n) and _SURNAME_RE.match(n) is None and _given_ok(n)
                  and not _ROLE_CUE.search(n) and not _TITLES.search(n)
                  and (tag is None or tag in (*_NR_TAGS, "n", "nz", "a", "t") and freq < _SPEAKER_WORD_FREQ and len(n) == 2))
        if ok and not _inside_medical_term(text, a, b):
            out.append(Span(a, b, "name", False))
    return out


def _named_then_you(text: str) -> list[Span]:
    out = []
    for m in _NAME_THEN_YOU.finditer(text):
        n, (a, b) = m.group("n"), m.span("n")
        tag, freq = _dict_tag(n)
        if n[0] == "小":
            ok = tag is None and n[1] not in _XIAO_NOT_NAME and _given_ok(n[1])
        else:
            ok = (_SURNAME_RE.match(n) is None and _word_named_by_address(n) and tag != "t" and freq < _SPEAKER_WORD_FREQ
                  or tag is None and _given_ok(n) and _unsurnamed_name(n))
        if ok and not _inside_medical_term(text, a, b):
            out.append(Span(a, b, "name", False))
    return out


def _speaker_names(text: str) -> list[Span]:
    out: list[Span] = []
    if "你" in text:
        out += _named_then_you(text)
    if ("[" in text or "【" in text) and ("：" in text or ":" in text):
        out += _group_chat_speakers(text)
    if "[" in text:
        out += _display_names(text)
    if "：" in text or ":" in text:
        out += _given_name_speakers(text)
        for m in _SPEAKER_NICKNAME.finditer(text):
            n, (a, b) = m.group("n"), m.span("n")
            if n.isascii():
                # Kelly：@Jason …: a chat's reply to someone (Vitals: …, Plan: … are a note's fields)
                ok = n not in _NOT_LATIN_NAMES and re.match(r"\s*@", text[m.end() :]) is not None
            elif n[0] == "小":
                tag, freq = _dict_tag(n)
                ok = (n[1] not in _XIAO_NOT_NAME and _given_ok(n[1])
                      and (tag is None or tag in _NR_TAGS and freq < _XIAO_WORD_FREQ
                           # (小军：奶奶家是…: a rare noun as a chat's speaker; not 小结：, 小计：120元)
                           or tag == "n" and freq < _RARE_NOUN_SPEAKER_FREQ and not re.match(r"\s*[\d(（]", text[m.end():])))
            elif n[0] == "阿":
                ok = n[1] not in _NOT_AFTER_A and _given_ok(n[1])
            else:
                ok = len(n) == 1 or _dict_tag(n)[0] in (None, *_NR_TAGS)  # 老胡, not 老公 / 老师
            if ok and not _inside_medical_term(text, a, b):
                out.append(Span(a, b, "name", False))
        for m in _SPEAKER_PARENT.finditer(text):
            n, (a, b) = m.group("n"), m.span("n")
            tag, freq = _dict_tag(n)
            if n[0] == "小" and n[1] != n[-1:]:
                ok = n[1] not in _XIAO_NOT_NAME and _given_ok(n[1]) and (tag is None or tag in _NR_TAGS and freq < _XIAO_WORD_FREQ)
            else:
                ok = n not in _KIN_DOUBLES and (tag is None or tag in _NR_TAGS and freq < _DOUBLED_WORD_FREQ)
            if ok and not _inside_medical_term(text, a, b):
                out.append(Span(a, b, "name", True))
    for m in _SPEAKER.finditer(text):
        n, (a, b) = m.group("n"), m.span("n")
        surname = _SURNAME_RE.match(n)
        tag, freq = _dict_tag(n)
        if (surname and _given_ok(n[surname.end():]) and not _inside_medical_term(text, a, b)
                and not _ELDER_TITLES.fullmatch(n, surname.end())  # 郑大哥：: the surname alone (_SPEAKER_NICKNAME)
                and (tag is None or tag in _NR_TAGS and freq < _COMMON_WORD_FREQ)):
            out.append(Span(a, b, "name", True))
    return out


def _mentioned_names(text: str) -> list[Span]:
    out: list[Span] = []
    for m in _MENTION.finditer(text):
        n, (a, b) = m.group("n"), m.span("n")
        surname = _SURNAME_RE.match(n)
        title = _TITLES.match(text, a + surname.end()) if surname else None
        if title:
            out.append(Span(a, title.start(), "name", True))  # @周医生: the surname, not the title
        elif n not in _MENTION_NOT and not _TITLES.search(n) and (n.isascii() or _given_ok(n) or surname):
            out.append(Span(a, b, "name", True))  # @李建国 主任: the name, the title after a space stays
    return out


def _named_by_child(text: str) -> list[Span]:
    out: list[Span] = []
    for m in _DOUBLED_THEN_KIN.finditer(text):
        n, (a, b) = m.group("n"), m.span("n")
        tag, _ = _dict_tag(n)
        # not an adverb, a time word or an interjection (渐渐妈妈好了, 天天爸爸送, 哈哈妈妈说)
        if (n not in _KIN_DOUBLES and n[0] not in _NOT_A_NAME_START and (tag or "")[:1] not in _NOT_DOUBLED_NAME_TAGS
                and (a == 0 or not _NAME_CHARS.match(text[a - 1]) or text[a - 1] in "是叫家的")):
            out.append(Span(a, b, "name", True))
    return out


def _self_named(text: str) -> list[Span]:
    out: list[Span] = []
    for m in (*_I_AM_NAME.finditer(text), *_ROLE_GIVEN_SISTER.finditer(text)):
        n, (a, b) = m.group("n"), m.span("n")
        tag, _ = _dict_tag(n)
        # a word the dictionary lacks counts when the tokenizer leaves it in single characters (秀 + 兰, not 湿气 + 重)
        ah = n[0] == "阿" and len(n) == 2  # 我係阿珍呀: 阿 and a given-name character
        if ((tag in _NR_TAGS or tag is None and (_given_ok(n) or ah) and all(len(w) == 1 for _, w in _tokens(n)))
                and _given_ok(n[1:]) and not _KIN_WORD_RE.search(n) and n not in _FAMOUS_PHYSICIANS
                and not _inside_medical_term(text, a, b)):
            out.append(Span(a, b, "name", True))
    return out


def _name_shaped(n: str) -> bool:
    """A surname (a cue-only one too: 向阳) and given-name characters, given-name characters alone, or a name written
    in transliteration characters (阿依努尔)."""
    surname = _SURNAME_RE.match(n) or _CUE_ONLY_SURNAMES.match(n)
    return bool(surname and _given_ok(n[surname.end():])) or _given_ok(n) or all(c in _TRANSLITERATION for c in n)


# What a message opening "X，…你…" may call someone that is no name: roles, groups, terms of address
_ADDRESS_WORDS = frozenset("医生 大夫 护士 老师 同学 朋友 家长 领导 老板 师傅 美女 帅哥 兄弟 哥们 姐妹 宝宝 宝贝 亲爱 各位 大家 "
                           "病人 患者 家属 先生 女士 小姐 同志 老乡 同事 主任 院长 教授 医师 药师 老铁 亲们 您好 你好 谢谢 "
                           "辛苦 抱歉 对不起 不好 注意 提醒 通知 另外 还有 最后 首先 其次 然后 所以 因为 但是 总之".split())


def _word_named_by_address(n: str) -> bool:
    """Whether a two-character word that opens a message before 你 may be what someone is called (国庆, 建国, 高峰,
    海燕, 平安): a noun, a place, a time or an adjective a given name is made of; not a role, a group, a verb, a
    frequent time word (明天，你…) or a connective."""
    if len(n) != 2 or n in _ADDRESS_WORDS or _KIN_WORD_RE.search(n) or n in _FAMOUS_PHYSICIANS or not _given_ok(n):
        return False
    if _TITLES.fullmatch(n) or _ROLE_CUE.search(n):
        return False
    tag, freq = _dict_tag(n)
    return tag in ("n", "nr", "nrfg", "nrt", "ns", "nz", "a") or tag == "t" and freq < 500


def _vocative_names(text: str) -> list[Span]:
    out: list[Span] = []
    for m in _VOCATIVE.finditer(text):
        n, (a, b) = m.group("n"), m.span("n")
        if text[a:].startswith(tuple(_ADDRESS_WORDS)):
            continue  # 帅哥，…: a way of addressing anyone (帅 is a surname, 哥 a title, but not here)
        tag, freq = _dict_tag(n)
        # a rare common noun may be a given name (春花大姐，); a frequent one is who they are (北京大哥, 小区阿姨)
        if (len(n) == 1 and _SURNAME_RE.fullmatch(n) or len(n) == 2 and _given_ok(n) and not _KIN_WORD_RE.search(n)
                and (tag in (None, *_NR_TAGS) or tag in ("n", "ns") and freq < _COMMON_WORD_FREQ)
                and n not in _ordinary_name_words()):
            out.append(Span(a, b, "name", True))
    found = [(m.group(g), m.span(g)) for m in (*_ADDRESSED.finditer(text), *_ASKED_BY_NAME.finditer(text),
                                                *_FAMILY_OF.finditer(text), *_ON_DUTY.finditer(text), *_TOLD.finditer(text),
                                                *_REPLY_OPENING.finditer(text))
             for g in ("n", "m") if g in m.re.groupindex and m.group(g)]
    opening = {m.span("n") for m in _ADDRESSED.finditer(text) if m.start("n") == 0 or text[m.start("n") - 1] == "\n"}
    titled = [m for m in _ADDRESSED_TITLED.finditer(text) if _SURNAME_RE.match(m.group("n")) is None
              and not _SCHOOL_YEAR.match(m.group("n"))]  # (大一同学，你们…: a year at school)
    found += [(m.group("n"), m.span("n")) for m in titled]
    opening |= {m.span("n") for m in titled}
    # (a given name with no Han surname: one with a surname is found by the surname rules)
    found += [(m.group("n"), m.span("n")) for rx in (_SECTION_OPENED_BY, _ADVISED) for m in rx.finditer(text)
              if _SURNAME_RE.match(m.group("n")) is None and _given_ok(m.group("n")) and _unsurnamed_name(m.group("n"))]
    for n, (a, b) in found:
        if n in _ADDRESS_WORDS:
            continue  # 帅哥，你好: a way of addressing anyone (帅 is a surname, 哥 a title, but not here)
        title = _TITLES.search(n, 1) or _ELDER_TITLES.search(n, 1) or _SISTER_TITLE.search(n, 1)
        if title:  # 跟赵大夫说一声, 给孙大哥打个电话: the surname before a title, not the title
            n, b = n[: title.start()], a + title.start()
            if _SURNAME_RE.fullmatch(n):
                out.append(Span(a, b, "name", True))
            continue
        tag, _ = _dict_tag(n)
        # a name the dictionary knows as one, or no word at all that the tokenizer leaves in single characters
        # (蔡 + 雯, 娜 + 仁 + 花); not a role, a kinship word, a greeting or a time word (医生，你…, 您好，你…)
        # (a name in transliteration characters counts however it is cut: 阿 + 依 + 努尔)
        single = all(len(w) == 1 for _, w in _tokens(n)) or all(c in _TRANSLITERATION for c in n)
        if ((tag in _NR_TAGS or tag is None and single) and not _KIN_WORD_RE.search(n) and n not in _FAMOUS_PHYSICIANS
                and n not in _ordinary_name_words()  # 谢谢，你们辛苦了
                and all(_NAME_CHARS.match(c) for c in n) and not _inside_medical_term(text, a, b)
                and _name_shaped(n)):
            out.append(Span(a, b, "name", True))
        elif (a, b) in opening and _word_named_by_address(n):
            # 国庆，你把…; 建国，今晚你值二线; 高峰，12床家属想找你: a message that opens by addressing someone by a
            # word that is also a given name (the words people are called by: a role or a group is no name)
            out.append(Span(a, b, "name", True))
    return out


# A name with no Han surname (Mongolian, Uyghur, Kazakh...): known as a name by what surrounds it. Before sex and
# age, as a form or a case opens (哈斯其其格，女，42岁), or after a neighbour's cue before an elder's title
# (隔壁床的海力且姆阿姨).
# (患者乌日娜，女，蒙古族: after the word for the patient, and before sex and an ethnic group)
_BEFORE_SEX_AGE = re.compile(r"(?:^|(?<=[\n，,。；;：:\s]))(?:患者|病人|病患|患儿|伤者|产妇|孕妇)?(?P<n>[\u4e00-\u9fff]{2,5})"
                             r"(?=\s*[，,、 ]\s*(?:男|女)性?\s*[，,、 ]\s*(?:\d{1,3}\s*岁|[\u4e00-\u9fff]{1,4}族))")
# 儿童康复：帕尔哈提，2019年11月出生: a record's opening field, before when the person was born (not 我叫张建国，弓长张，
# 1968年…出生: a clause after a comma)
_OPENING_BEFORE_BIRTH = re.compile(r"(?:^|(?<=[\n：:]))\s*(?P<n>[\u4e00-\u9fff]{2,5})(?=\s*[，,]\s*(?:19|20)\d{2}\s*年"
                                   r"(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?\s*(?:出生|生)(?![\u4e00-\u9fff]))")
# 김민준本人签署…: a Korean name of three syllables in a Chinese record, before 本人, a title or a pause
_HANGUL_NAME_IN_CHINESE = re.compile(r"(?<![\uac00-\ud7a3])(?P<n>[\uac00-\ud7a3]{3})(?![\uac00-\ud7a3])"
                                     r"(?=\s*(?:本人|先生|女士|患者|签|的|[，,、（(]))")
_NEIGHBOUR_TITLED = re.compile(r"(?:隔壁床?|邻床|对门|同病房|同屋|病友)的?(?P<n>[\u4e00-\u9fff]{2,5}?)"
                               r"(?=阿姨|大爷|叔叔|奶奶|爷爷|大妈|大姐|大哥|大叔|大婶)")


def _unsurnamed_name(word: str) -> bool:
    """Whether ``word`` can be a name without a Han surname: no ordinary word of the dictionary in it (患者, 我家孩子,
    一名患者), or itself a rare name the dictionary knows (巴特尔)."""
    if _NOT_CHILD_NAME.intersection(word) or set(word) & _COUNTING or word in _medical_terms():
        return False
    tag, freq = _dict_tag(word)
    if tag is not None:
        return tag in _NR_TAGS and freq < _COMMON_WORD_FREQ
    return all(len(t) < 2 or (tg := _dict_tag(t))[0] in _NR_TAGS or tg[1] < _COMMON_WORD_FREQ for _, t in _tokens(word))


# 投诉人阿依努尔称…, 艾力·吐尔逊的妻子热依拉（电话…）: after a complainant's or a patient's cue or a kinship word,
# three to six characters all of those that write foreign names (阿依努尔, 热依拉), up to where they end, are a name
_TRANSLITERATED_AFTER_CUE = re.compile(r"(?:投诉人|举报人|探视人|访客|户主|患者|病人|患儿|家属|的?(?:妻子|丈夫|母亲|父亲|儿子|女儿))"
                                       r"(?P<n>[\u4e00-\u9fff]{3,6})")


_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _unsurnamed_names(text: str) -> list[Span]:
    out = []
    for m in _TRANSLITERATED_AFTER_CUE.finditer(text):
        n = m.group("n")
        k = next((i for i, c in enumerate(n) if c not in _TRANSLITERATION), len(n))
        a = m.start("n")
        if (3 <= k and text[a + k : a + k + 1] not in _TRANSLITERATION and _SURNAME_RE.match(text, a) is None and _unsurnamed_name(text[a : a + k])
                and not _inside_medical_term(text, a, a + k)):
            out.append(Span(a, a + k, "name", True))
    out += [Span(m.start("n"), m.end("n"), "name", True) for m in _HANGUL_NAME_IN_CHINESE.finditer(text)]
    for m in (*_BEFORE_SEX_AGE.finditer(text), *_NEIGHBOUR_TITLED.finditer(text), *_OPENING_BEFORE_BIRTH.finditer(text)):
        a, b = m.span("n")
        if _SURNAME_RE.match(text, a) is None and _unsurnamed_name(m.group("n")) and not _inside_medical_term(text, a, b):
            out.append(Span(a, b, "name", True))
    return out


_KIN_OF_NAMED = re.compile(f"的(?:{_KIN_WORDS})")


def _minority_names(text: str) -> list[Span]:
    out = [Span(m.start(), m.end(), "name", True) for m in _TIBETAN_NAME.finditer(text)]
    covered = _Coverage(len(text), out)
    for m in _MINORITY_SINGLE.finditer(text):
        before = text[max(0, m.start() - 12) : m.start()]
        if covered.overlaps(m.start(), m.end()):
            continue
        if (not _NAME_CHARS.match(text[m.end() : m.end() + 1] or "x") or _ACTS_NEXT.match(text, m.end())) and (
                _STRONG_CUE.search(before) or _KIN_CALLED.search(before) or _KIN_CUE.search(before)
                or _ROLE_CUE.search(before) or _RECORD_SUBJECT_BEFORE.search(before)) or (  # 群主卓玛：…, 护士央金
                # 扎西您好, 尼玛阿爸…, 买买提江，男，…: a greeting, a father's title, sex and age
                (m.start() == 0 or not _NAME_CHARS.match(text[m.start() - 1]) or _RECORD_SUBJECT_BEFORE.search(before))
                and (_GREETING_AFTER.match(text, m.end()) or _SEX_AGE.match(text, m.end()))) or (
                _TITLES.match(text, m.end())  # 由洛桑医生用藏语沟通
                # 努尔别克家转场…, 努尔别克电话…: whose home or whose number (a name no word shares)
                or len(m.group()) >= 4 and re.match(r"家|电话|手机", text[m.end() : m.end() + 2]) is not None
                # 他小儿子叶森出麻疹: after a kinship word, what happened to the one named
                # (由护士加娜尔翻译, 同伴叶尔波拉提开车送来: after a role or a companion, what the one named does)
                or _KIN_CUE.search(before) is not None and _predicate_starts(text, m.end())
                or (_ROLE_CUE.search(before) or _COMPANION_WORD.search(before)) is not None and _predicate_starts(text, m.end())
                and len(_tokens(text[m.end() : m.end() + 8])[0][1]) >= 2  # (not 护士格桑花开了: 花 is no verb here)
                or _KIN_OF_NAMED.match(text, m.end())  # 洛桑丹增是央金的丈夫: whose relative someone is
                # 出院随访：扎西（Tashi）住…: the name, then how it is spelt in Latin letters in brackets
                # (not the second half of 额尔德尼·巴雅尔（Erdene Bayar）: the dotted name is taken whole)
                or _ROMANISED_IN_BRACKETS.match(text, m.end()) is not None and not _INTERPUNCT.match(text, m.start() - 1)
                # 卓玛本周起加…: a sentence that opens with the name, then a time word
                or (m.start() == 0 or text[m.start() - 1] in "。！？!?\n；;") and _PREDICATE_OPENER.match(text, m.end())):
            out.append(Span(m.start(), m.end(), "name", True))
    # 其负责的洛桑、达瓦由张老师代管: two such names listed with 、 are two people, each whole (not 格桑花、…: a word
    # goes on after the name)
    for m in _MINORITY_LISTED.finditer(text):
        if _NAME_CHARS.match(text[m.end() : m.end() + 1] or "x") and not _LIST_END_NEXT.match(text, m.end()):
            continue
        for g in ("a", "b"):
            if not covered.overlaps(m.start(g), m.end(g)):
                out.append(Span(m.start(g), m.end(g), "name", True))
    return out


# 坤颂猜习惯…: Thai 坤 (Khun), the polite title before a given name, then the name in the syllables Thai names are
# written in (not 乾坤, 坤包, 坤表: a word, or what follows is no Thai name)
_THAI_SYLLABLES = "颂猜披差帕素乍巴拉蓬他信英塔功讪萨吞汶威集通旺沙攀宋乃娜妮婉卡宫吉蒙育察猜差颂瓦塔南蓬坎"
_THAI_TITLED = re.compile(f"(?<!乾)坤(?P<n>[{_THAI_SYLLABLES}]{{2}})")


def _thai_titled_names(text: str) -> list[Span]:
    out: list[Span] = []
    for m in _THAI_TITLED.finditer(text):
        a, b = m.span("n")
        before = text[max(0, m.start() - 12) : m.start()]
        opens = m.start() == 0 or not _NAME_CHARS.match(text[m.start() - 1]) or bool(
            _ROLE_CUE.search(before) or _STRONG_CUE.search(before) or _WEAK_CUE.search(before))
        for end in (b + 1, b):  # (a name of three syllables the lazy match cut at two)
            if end > b and text[b : end] not in _THAI_SYLLABLES:
                continue
            if opens and (not _NAME_CHARS.match(text[end : end + 1] or "x") or _predicate_starts(text, end)
                          or _ACTS_NEXT.match(text, end) or _TITLES.match(text, end)
                          or _dict_tag(text[a:end])[0] is None and _token_ends_at(text, end)):
                out.append(Span(a, end, "name", True))
                break
    return out


_ROMANISED_IN_BRACKETS = re.compile(r"\s*[（(]\s*[A-Z][a-z]+(?:[ \-][A-Z]?[a-z]+){0,2}\s*[)）]")
_MINORITY_LISTED = re.compile(f"(?P<a>{_MINORITY_SINGLE.pattern})、(?P<b>{_MINORITY_SINGLE.pattern})")
_LIST_END_NEXT = re.compile(r"[由等和与及两二三俩]|" + _ACTS_NEXT.pattern)


# Surnames left out of _SINGLE_SURNAMES because they start so many words (常规, 常常, 经常): one of them starts a
# name only after a label or kinship cue (我姑姑常玉兰) or before a title (常青大夫).
_CUE_ONLY_SURNAMES = re.compile("[常冷沙向哈管费席景党卜成全时和木]")
# 被保险人姓名和保单号: "and" another field of the form, not the name 和平
_FIELD_AFTER_AND = re.compile(r"[\u4e00-\u9fff]{0,4}?(?:号|号码|编号|地址|电话|手机|证|年龄|性别|日期|单位)")
# 那个常护士, 把全主任开的医嘱, 台湾来的时先生: the words before a surname and a title that make it one; 向 and 和
# (also "to" and "with": 向医生反映, 和医生沟通) only after a determiner
_BEFORE_TITLED = re.compile(r"(?:的|个|位|把|被|让|给|找|叫|跟|由)$")
_BEFORE_TITLED_PREPOSITION = re.compile(r"(?:的|个|位)$")
# 向主任向家属交代: the one named acts on someone (a preposition after the title), so 向 is a surname there
_ACTS_ON = re.compile(r"[向给对跟为帮替把被]")


def _cue_only_names(text: str) -> list[Span]:
    out: list[Span] = []
    for c0, clause in _clauses(text):
        for m in _CUE_ONLY_SURNAMES.finditer(clause):
            i = c0 + m.start()
            before = _words_before(text, i)
            # 病房护士向敏（工号…）: after a role, a given name (not 护士向医生报告, 医生和护士: "to", "and"; nor 姓名和保单号)
            if m.group() in "和向" and before.endswith(("姓名", "名字", "签名", "签字")) and _FIELD_AFTER_AND.match(text, i + 1):
                continue
            if m.group() in "和向" and _KIN_WORD_RE.match(text, i + 1):
                continue  # 一切为了母亲和孩子: "and" another kinship word, not a given name
            tag, freq = _dict_tag(text[i : i + 2])
            if tag not in _NR_TAGS and freq >= _KIN_GIVEN_WORD_FREQ:
                continue  # 签字时间3月6日: the surname starts a common word (时间, 管理, 全部), not a name
            cued = (_STRONG_CUE.search(before) or _KIN_CALLED.search(before) or _KIN_CUE.search(before)
                    or _ROLE_CUE.search(before) and not _TITLES.match(text, i + 1) and not _SURNAME_RE.match(text, i + 1))
            # 向阳医生, 常青大夫; not 向 + 李医生 (to Dr Li)
            # (not 和 + 柳青大夫: a surname right after it starts the name)
            titled = any(_given_ok(text[i + 1 : i + 1 + g]) and (_TITLES.match(text, i + 1 + g) or _FAMILY_AFTER.match(text, i + 1 + g))
                         and not _SURNAME_RE.match(text, i + 1) for g in (1, 2))  # also 向阳的家属
            if (cued or titled) and (span := _name_at(text, i, m.group(), clause, c0)) is not None:
                out.append(span)
            elif (title := _TITLES.match(text, i + 1)) and not cued and _token_ends_at(clause, m.start()):
                # 康复科的沙老师: the surname and a title (not 向医生反映, 和医生沟通: 向 and 和 are also "to", "with")
                preposition = m.group() in "向和"
                opener = not before or not _NAME_CHARS.match(before[-1])
                if (_BEFORE_TITLED_PREPOSITION.search(before) if preposition else _BEFORE_TITLED.search(before) or opener) or (
                        preposition and opener and _ACTS_ON.match(text, title.end())):
                    out.append(Span(i, i + 1, "name", False))
    return out


# 林梓萱（乳名糖宝）, 韩德旺（外号黑子）: the pet name or nickname a note gives in brackets, and the full name before it
# 平安是我儿子的小名: what the text says is someone's pet name, before it says whose
_SAID_PET_NAME = re.compile(rf"(?:^|(?<=[\n，,。；;！!？?：:]))(?P<n>[\u4e00-\u9fff]{{2,3}}?)是(?:我|他|她|患者|孩子)?的?(?:{_KIN_WORDS})?的?"
                            r"(?:小名|乳名|昵称|外号|绰号)")
# 阿杰（@追风少年阿杰）: a person called 阿 + a character, then their handle in brackets
_A_NAME_THEN_HANDLE = re.compile(r"(?P<n>阿[\u4e00-\u9fff])(?=\s*[（(]\s*@)")
_NICKNAME_IN_NOTE = re.compile(r"[（(]\s*(?:乳名|小名|昵称|外号|绰号)(?:叫|是)?\s*[:：]?\s*(?P<n>[\u4e00-\u9fff]{1,3}?)\s*[)）]")
# 多多大名周一诺: a pet name, then the full name a child goes by (大名, 学名)
_PET_THEN_FULL_NAME = re.compile(rf"(?P<p>[\u4e00-\u9fff]{{2}})的?(?:大名|学名|本名|全名|真名)(?:叫|是|为)?\s*[:：]?\s*"
                                 rf"(?P<f>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}?)(?=[，,。.；;！!？?\s（(]|$)")
# 龙春花（苗族）: a person's ethnic group in brackets right after the name
_ETHNIC_GROUP_NOTE = re.compile(r"\s*[（(]\s*[\u4e00-\u9fff]{1,3}族\s*[)）]")
# 孕妇阿依努尔，维吾尔族，1990年生: the ethnic group as the next field of a record, after a comma
_ETHNIC_GROUP_FIELD = re.compile(r"\s*[，,]\s*[\u4e00-\u9fff]{1,3}族\s*[，,]")
# 通知林爸爸接回: a child's parent called by the child's surname, after a verb of telling or calling
_PARENT_BY_SURNAME = re.compile(rf"(?:(?:通知|联系|请|让|告知|告诉|转告|打给|交给|叫)(?:家长)?|联系人\s*[:：]?)"
                                # (已联系家长万爸爸, 理赔联系人马妈妈)
                                rf"(?P<s>[{_SINGLE_SURNAMES}])(?:爸爸|妈妈)")
# 班长老彭, 网格员老付: 老 and a surname right after a workmate's or neighbour's role
_OLD_SURNAME_AFTER_ROLE = re.compile(rf"(?:班长|组长|队长|网格员|管理员|保安|司机|门卫|工友|同事|邻居|护工|社工|楼长|村长|村医|师傅)"
                                     rf"老(?P<s>[{_SINGLE_SURNAMES}])")
# 外祖母郑氏（I-2）, 其母王氏: a married woman's surname and 氏 after a kinship word (a pedigree, an old record)
_KIN_SURNAME_SHI = re.compile(rf"(?:{_KIN_WORDS}|其母|其妻|之母|之妻)(?P<s>[{_SINGLE_SURNAMES}])氏(?![族])")
_NOT_OLD_SURNAME = set("师公婆家板总是实")  # 老师, 老公, 老家, 老板, 老是, 老实: words, not 老 + a surname
# 陪同翻译佐藤健次, 佐藤先生: a Japanese surname after an interpreter's role or before a title, in any text
_JAPANESE_AFTER_INTERPRETER = re.compile(rf"(?:翻译|口译|译员)(?P<n>{_JAPANESE_NAME.pattern}[\u4e00-\u9fff]{{1,2}}?)(?=[，,。.；;！!？?\s]|$)")
_JAPANESE_TITLED = re.compile(rf"(?P<n>{_JAPANESE_NAME.pattern})(?=先生|女士|小姐|桑|君|さん|さま|様|ちゃん|くん)"
                              # 佐藤さん的丈夫…: kanji opening a clause before a Japanese honorific, whatever the surname
                              r"|(?:^|(?<=[^\u4e00-\u9fff]))(?P<k>[\u4e00-\u9fff]{1,3})(?=さん|さま|ちゃん|くん)")
# 何婆婆个仔何家辉电话…: Cantonese 个仔 (her son), 个女 (her daughter), then the full name
_CANTONESE_CHILD_FULL = re.compile(rf"(?:个仔|个女|个孙)\s*(?P<n>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}?)"
                                   r"(?=电话|手机|嘅|话|讲|[，,。.；;！!？?\s]|$)")


# 邱永生先生于…: a surname and two given-name characters before 先生 or 女士, whatever the given name means as a word
_FULL_NAME_BEFORE_MR = re.compile(r"(?<=[\u4e00-\u9fff]{3})(?:先生|女士)")


def _name_ending_at(text: str, k: int, lengths: tuple[int, ...] = (4, 3, 2), *, titled: bool = False) -> Span | None:
    """A surname and a one- or two-character given name ending at ``text[k]`` (the longer one first)."""
    for length in lengths:
        a = k - length
        if a < 0:
            continue
        cand = text[a:k]
        sm = _SURNAME_RE.match(cand)
        if (sm and 1 <= len(cand) - sm.end() <= 2 and _given_ok(cand[sm.end() :], in_dictionary_name=titled)
                and not _inside_medical_term(text, a, k) and not _KIN_WORD_RE.search(cand)):
            return Span(a, k, "name", True)
    return None


# what cannot start or sit inside a name found by its place alone (他们, 的, 和)
_NOT_IN_UNLISTED_NAME = set("我你您咱这他她它谁每各某哪的了是在和与及或也都就还又说由给把被对向")


def _unlisted_name_ending_at(text: str, k: int, lengths: tuple[int, ...] = (3, 2)) -> Span | None:
    """Two or three characters ending at ``text[k]`` that open the text or a clause, or follow a cue (捐献者, 家属),
    whatever their first character: the surnames of the Dai (刀, 玉), the Manchu (那) and the Miao (龙阿妹) are
    not all listed, and what ends here (an ethnic group in brackets) says a person is named."""
    for length in lengths:
        a = k - length
        if a < 0:
            continue
        cand = text[a:k]
        if length == 4 and _dict_tag(cand)[0] is not None:
            continue  # (four characters: a transliteration no dictionary knows, 孕妇阿依努尔，维吾尔族)
        if (not all(_NAME_CHARS.match(c) for c in cand) or _NOT_IN_UNLISTED_NAME.intersection(cand) or _KIN_WORD_RE.search(cand)
                or (tag := _dict_tag(cand))[1] >= _COMMON_WORD_FREQ and tag[0] not in _NR_TAGS):
            continue  # (not 人口（汉族）: a word)
        before = _words_before(text, a)
        if (a == 0 or not _NAME_CHARS.match(text[a - 1]) or _STRONG_CUE.search(before) or _WEAK_CUE.search(before)
                or _KIN_CUE.search(before) or _ROLE_CUE.search(before)) and not _inside_medical_term(text, a, k):
            return Span(a, k, "name", True)
    return None


# 管理员海燕，QQ…, 患者玉香，1996年3月出生: a given name alone after a role or the patient, then the person's contact,
# birth date or number (the surname rules need a surname; many names are given names that are also words)
_GIVEN_THEN_DETAILS = re.compile(r"(?P<n>[\u4e00-\u9fff]{2})(?=\s*[，,（(]\s*(?:QQ|qq|微信|电话|手机|联系电话|邮箱|身份证|学号|工号"
                                 r"|(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*[日号])?\s*出?生))")


def _given_then_details(text: str) -> list[Span]:
    out = []
    for m in _GIVEN_THEN_DETAILS.finditer(text):
        n, (a, b) = m.group("n"), m.span("n")
        before = _words_before(text, a)
        tag, freq = _dict_tag(n)
        # (患者之女海燕（手机…）: a relative the record names, as the patient)
        if ((_ROLE_CUE.search(before) or re.search(r"(?:患者|病人|就诊人|服务对象)$", before) or _RELATION_CUE.search(before))
                and _given_ok(n) and n[0] not in _NOT_A_NAME_START and n[0] not in "之其本" and not _KIN_WORD_RE.search(n)
                and (tag in (None, *_NR_TAGS) or freq < _COMMON_WORD_FREQ) and not _inside_medical_term(text, a, b)):
            out.append(Span(a, b, "name", True))
    return out


def _noted_nicknames_and_roles(text: str) -> list[Span]:
    """Names that a note, a roster or a role puts beside a person (see the patterns above)."""
    out: list[Span] = _given_then_details(text) if "，" in text or "," in text or "（" in text or "(" in text else []
    for m in _NICKNAME_IN_NOTE.finditer(text):
        if m.group("n") not in _ADDRESS_WORDS and not _KIN_WORD_RE.fullmatch(m.group("n")):
            out.append(Span(m.start("n"), m.end("n"), "name", True))
        if (before := _name_ending_at(text, m.start())) is not None:
            out.append(before)
    for m in itertools.chain(_SAID_PET_NAME.finditer(text), _A_NAME_THEN_HANDLE.finditer(text)):
        n = m.group("n")
        if (n[0] not in _NOT_A_NAME_START and not _KIN_WORD_RE.search(n) and n not in _ADDRESS_WORDS
                and (n[0] != "阿" or n[1] not in _NOT_AFTER_A) and all(_NAME_CHARS.match(c) for c in n)):
            out.append(Span(m.start("n"), m.end("n"), "name", True))
    for m in _PET_THEN_FULL_NAME.finditer(text):
        p = m.group("p")
        if _doubled(p) or p[0] in "小阿" or _name_like(p):
            out.append(Span(m.start("p"), m.end("p"), "name", True))
        if _given_ok(m.group("f")[1:]):
            out.append(Span(m.start("f"), m.end("f"), "name", True))
    for m in _ETHNIC_GROUP_NOTE.finditer(text):
        if (before := _name_ending_at(text, m.start()) or _unlisted_name_ending_at(text, m.start())) is not None:
            out.append(before)
    for m in _ETHNIC_GROUP_FIELD.finditer(text):
        if ((before := _unlisted_name_ending_at(text, m.start(), (4, 3, 2))) is not None
                and not set(text[before.start : before.end]) & _NOT_A_FOREIGN_NAME):  # (not 患者男，汉族)
            out.append(before)
    out += [Span(m.start("s"), m.end("s"), "name", False) for m in _PARENT_BY_SURNAME.finditer(text)]
    for m in _FULL_NAME_BEFORE_MR.finditer(text):
        if (full := _name_ending_at(text, m.start(), (4, 3), titled=True)) is not None and not (
                full.end - full.start == 3 and _SURNAME_RE.fullmatch(text[full.end - 1]) and _dict_tag(text[full.start : full.end - 1])[0]):
            out.append(full)  # (not 张家 + 陈先生: a word, then a surname and the title)
    out += [Span(m.start("s"), m.end("s"), "name", False) for m in _OLD_SURNAME_AFTER_ROLE.finditer(text)
            if m.group("s") not in _NOT_OLD_SURNAME]
    if "氏" in text:
        out += [Span(m.start("s"), m.end("s"), "name", False) for m in _KIN_SURNAME_SHI.finditer(text)]
    for rx in (_JAPANESE_AFTER_INTERPRETER, _JAPANESE_TITLED, _CANTONESE_CHILD_FULL, _NICKNAME_NOTED_AS_WHOSE,
               _QUOTED_PET_NAME, _TITLED_THEN_FULL_NAME, _GIVEN_TITLED_THEN_FULL_NAME):
        out += [Span(m.start(g), m.end(g), "name", True) for m in rx.finditer(text) for g in ("n", "k")
                if g in rx.groupindex and m.group(g)]
    return out


# 6床小胖（患儿褚浩宇的小名）: a nickname, and a note in brackets saying whose it is
_NICKNAME_NOTED_AS_WHOSE = re.compile(r"(?:^|(?<=[^\u4e00-\u9fff])|(?<=床))(?P<n>(?![床号])[\u4e00-\u9fff]{1,3})\s*"
                                      r"[（(][^（()）]{1,12}?的(?:小名|乳名|外号|绰号)\s*[)）]")
# 新生儿乳名"糯米": a pet name in quotes after 乳名 (not 昵称, a platform's user name, an account)
_QUOTED_PET_NAME = re.compile(r"(?:乳名|小名|外号|绰号|手语名|艺名)(?:叫|是|为)?\s*[:：]?\s*[“\"「『](?P<n>(?!什么|啥|这个|那个)[\u4e00-\u9fff]{1,4})[”\"」』]")
# 302房花奶奶（花玉兰）: someone by surname and title, then in brackets a full name with that surname
# 12床建国爷爷（刘建国）: a given name and an elder's title, then in brackets the full name ending in that given name
_GIVEN_TITLED_THEN_FULL_NAME = re.compile(r"(?:^|(?<=[^\u4e00-\u9fff])|(?<=床))(?P<k>(?P<g>[\u4e00-\u9fff]{2})(?=(?:爷爷|奶奶|阿婆|阿公|婆婆|大爷|大妈|老人)"
                                          rf"\s*[（(]\s*(?:{_SURNAME_RE.pattern})(?P=g)\s*[)）]))"
                                          rf"(?:爷爷|奶奶|阿婆|阿公|婆婆|大爷|大妈|老人)\s*[（(]\s*(?P<n>(?:{_SURNAME_RE.pattern})(?P=g))")
_TITLED_THEN_FULL_NAME = re.compile(rf"(?P<s>[{_SINGLE_SURNAMES}])(?:{_TITLES.pattern}|{_ELDER_TITLES.pattern})\s*[（(]\s*"
                                    r"(?P<n>(?P=s)[\u4e00-\u9fff]{1,2})\s*[)）]")
# 阿May, Ben仔: a Latin given name made familiar the Cantonese way (the 仔 is no part of the name)
_CANTONESE_LATIN = re.compile(r"(?<![A-Za-z])(?:阿[A-Z][a-z]{1,12}|[A-Z][a-z]{1,12}(?=仔))(?![A-Za-z])")
# 叫咗Ming哥放工…: a given name in Latin letters before 哥/姐, as a friend or an elder is called; only a known Latin
# given name or one syllable of pinyin with its initial (not Uber哥, Wifi哥, Apple姐: a brand's or a word's nickname)
_LATIN_BEFORE_ELDER = re.compile(r"(?<![A-Za-z])[A-Z][a-z]{1,9}(?=[哥姐])")
_PINYIN_WITH_INITIAL = re.compile(_PINYIN_INITIAL + _PINYIN_FINAL)


# 工友们都叫他耗子, 同学都叫他“买买”: what others call someone (not 大家都叫她别担心)
_CALLED_BY_OTHERS = re.compile(r"(?:都|大家|们)[叫喊](?:他|她)(?:做)?\s*[“\"「]?(?P<n>(?!什么|啥)(?![别不没快去来赶先再也要])[\u4e00-\u9fff]{2,3}?)"
                               r"[”\"」]?(?=[，,。；;！!？?]|$)")
# 孙子小名阿牯，, 外号叫小四川的那个: a pet name or nickname after its word with no quotes (not 外号很多，, 喊小名会睁眼，)
_NICKNAME_UNQUOTED = re.compile(r"(?<![喊叫用说])(?:小名|乳名|外号|绰号)(?:叫|是|为)?(?P<n>(?!什么|啥)(?![叫是为很都也还没不有会就能才却])[\u4e00-\u9fff]{2,3}?)"
                                r"(?=的那|[，,。；;]|$)")
# 真名杨浩，, 证件名为王文静，: the real or registered name, a surname and a given name
_REAL_NAME = re.compile(rf"(?:真名|本名|原名|证件名|证件姓名|登记名)(?:是|为|叫)?\s*[:：]?\s*(?P<n>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}?)"
                        r"(?=[，,。；;（(）)\s]|$)")
# 子涵妈妈：…: a chat's speaker, a parent called by the child's given name (a word is left: 新手妈妈：, 宝宝妈妈：)
_PARENT_SPEAKER = re.compile(r"(?:^|(?<=\n))\s*(?P<n>[\u4e00-\u9fff]{2})(?:妈妈|爸爸|奶奶|爷爷|外婆|外公)\s*[:：]")
# CHAN Siu-ming, LAM Chi Keung, Park Hye-jin: a Cantonese or Korean romanised name, the surname in capitals and
# two syllables, or a listed surname and a hyphened given name (not Ho Chi Minh, written without either)
_ROMAN_SURNAMES = ("CHAN|CHEUNG|CHOW|CHU|CHIU|FUNG|HO|HUI|KWOK|KWAN|LAI|LAM|LAU|LAW|LEE|LEUNG|LI|LO|LUK|MAK|NG|POON|SIU|SO|TAM"
                   "|TANG|TSANG|TSE|TSUI|WAN|WONG|WU|YEUNG|YIP|YUEN|KIM|PARK|CHOI|JUNG|KANG|CHO|YOON|JANG|LIM|HAN|SHIN|KWON|HWANG"
                   "|AHN|SONG|HONG|SEO|OH")
_ROMAN_NAME = re.compile(rf"(?<![A-Za-z\-])(?P<n>(?:{_ROMAN_SURNAMES}) [A-Z][a-z]{{1,5}}(?:-[a-z]{{1,5}}| [A-Z][a-z]{{1,5}})"
                         rf"|(?:{_ROMAN_SURNAMES.title()}) [A-Z][a-z]{{1,5}}-[a-z]{{1,5}})(?![A-Za-z\-])")
# 박서연 씨, 이지은 님: a Korean name before its honorific, written apart (not 선생님: one word)
# 韩文名김서연（中文名金瑞妍）: a Hangul name after its label
_LABELLED_HANGUL = re.compile(r"(?:韩文|韩语|韓文|韓語|朝鲜文|朝鲜语)(?:名字?|姓名)(?:叫|是|为|[:：])?\s*(?P<n>[가-힣]{2,4})(?![가-힣])")
# やまだ はなこ, ヤマダ・ハナコ: a surname and a given name in kana, written apart, in a Chinese text
_KANA_NAME = re.compile(r"(?<![\u3041-\u30ff])(?P<n>[\u3041-\u3096]{2,5}[ 　][\u3041-\u3096]{2,5}|[\u30a1-\u30fa]{2,6}[ 　・][\u30a1-\u30fa]{2,6})(?![\u3041-\u30ff])")
_HANGUL_NAME = re.compile(r"(?<![가-힣])(?P<n>[김이박최정강조윤장임한오서신권황안송류홍전고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변]"
                          r"[가-힣]{1,3}) (?:씨|님)(?![가-힣])")


# 我是同一条线的阿峰, 来访者自称阿哲, 其妻小萍在场, 宿舍长阿德说: 阿 or 小 and one given-name character after a
# self-introduction, 自称, whose relative, or a head of a group (…长), where the nickname ends
_CUED_NICKNAME = re.compile(r"(?:我是[^，,。；;！!？?\n]{0,12}的|自称|自己叫|(?<![叫])喊|(?:其|之)(?:妻子?|丈夫|夫|子|女|母|父|兄|弟|姐|妹)"
                            r"|(?<=[\u4e00-\u9fff])长"
                            # a relative or a parcel's recipient by a nickname (由女儿小芳代签, 收货人阿强，)
                            r"|女儿|儿子|闺女|孙子|孙女|外孙女?|老公|老婆|丈夫|妻子|媳妇|收货人|收件人|翻译|译员)"
                            r"(?P<n>[阿小][\u4e00-\u9fff])(?=[，,。；;！!？?\s说讲在是也代陪和跟都电]|$)")


# 外婆一直喊他大宝, 护士都叫她古丽阿姨, 爸爸叫孩子妈妈“小芳”, 妈妈叫爸爸“老何”: what someone is called, after 喊/叫
# him or her, or quoted after 叫 and whom (老 and a surname: the surname alone; not 叫他过来, 喊她帅哥, 叫他回家：
# a verb, an everyday form of address or a frequent word)
_CALLED_HIM = re.compile(r"(?<![狗猫犬它])(?:喊|叫|称呼)(?:他|她)(?:作|做)?(?P<n>(?![别不没去来回吃喝睡走过快赶起进出们])[\u4e00-\u9fff]{2})"
                         r"(?=阿姨|叔叔|奶奶|爷爷|[，,。；;！!？?]|$)"
                         r"|(?<![狗猫犬它])(?:喊|叫)[\u4e00-\u9fff]{0,6}?[“\"「](?:老(?P<s>[\u4e00-\u9fff])|(?P<x>[阿小][\u4e00-\u9fff]))[”\"」]")


# 其妹婉君（Ⅱ-3）, 之女丫丫（Ⅲ-7）, 表姐文静（Ⅲ-4）: whose sister, daughter or cousin, then two characters and brackets
# (a pedigree's code, an age): the relative's given name or pet name, even an everyday word (not 其子女（…）, 其母亲（…）)
_KIN_GIVEN_BRACKETED = re.compile(r"(?:(?:其|之)(?:妻|夫|子|女|母|父|兄|弟|姐|妹)|(?<![\u4e00-\u9fff])(?:表|堂)(?:姐|妹|哥|弟))"
                                  r"(?P<n>[\u4e00-\u9fff]{2})(?=\s*[（(])")
_KIN_CHARS = frozenset("子女儿母亲父妻夫兄弟姐妹哥嫂婿孙们两俩人各都")


# 拉姆之子，2024年2月10日出生, 阿依努尔·艾合买提之女，: a birth register's newborn by its mother's name, opening a clause
_WHOSE_CHILD_OPENING = re.compile(r"(?:^|(?<=[\n：:，,。；;]))\s*(?P<n>[\u4e00-\u9fff·•]{2,12}?)之(?:子|女)(?=[，,（(\s。；;]|$)")
_NOT_A_MOTHER = re.compile(r"患者|病人|产妇|孕妇|母亲|家属|某|其|[一二三四五六七八九十]")
# 志愿者帕丽旦·吐尔逊（维吾尔族…）, 、买买提江·肉孜（警号…）: a name of parts joined by ·, after a role or a weak cue or in a
# list, or before brackets, whose child, sex or what follows a name (not a historical figure named with no such cue)
# (…·艾买提第12次捐献: an ordinal after the name, the how-many-th time the person does something)
_AFTER_DOTTED_NAME = re.compile(r"之[子女]|\s*[（(]|第(?:\d|[一二三四五六七八九十两][次回])")


def _dotted_name_bounds(text: str, m: re.Match[str]) -> tuple[int, int] | None:
    """Where a name joined by · starts and ends in the match: after a cue inside its first part (志愿者|帕丽旦·…), and
    before a bracket or what follows a name inside its last part (…·吐尔逊|入监体检); None where no cue or sequel says so."""
    dot = min(k for k in (text.find(c, m.start(), m.end()) for c in "·•・‧") if k >= 0)
    start = None
    for k in range(m.start(), dot - 1):
        before = _words_before(text, k)
        # (the last cue that ends inside the part: 翻译是|约翰·史密斯, not 翻译|是约翰…)
        if any(c.end() == len(before) for rx in (_ROLE_CUE, _WEAK_CUE, _KIN_CUE, _STRONG_CUE) for c in rx.finditer(before)):
            start = k
    last = max(text.rfind(c, m.start(), m.end()) for c in "·•・‧")
    end = None
    for e in range(last + 2, m.end() + 1):
        if (_TITLES.match(text, e) or _AFTER_DOTTED_NAME.match(text, e) or _AFTER_NAME.match(text, e) or e == len(text)
                or not _NAME_CHARS.match(text[e])):
            end = e
            break
    # with no cue, the name must open its clause and its first part be short (not 接收方热合曼·…: the match's start
    # is then no word's)
    if end is None or start is None and not (
            (_AFTER_DOTTED_NAME.match(text, end) or _AFTER_NAME.match(text, end))
            and dot - m.start() <= 4 and not _NAME_CHARS.match(text[m.start() - 1 : m.start()] or "x")):
        return None
    return (m.start() if start is None else start), end


def _whose_child_and_dotted_names(text: str, taken: list[Span]) -> list[Span]:
    out: list[Span] = []
    covered = _Coverage(len(text), taken)
    if "之子" in text or "之女" in text:
        out += [Span(m.start("n"), m.end("n"), "name", True) for m in _WHOSE_CHILD_OPENING.finditer(text)
                if not _NOT_A_MOTHER.search(m.group("n")) and not _KIN_WORD_RE.search(m.group("n"))
                and not _inside_medical_term(text, m.start("n"), m.end("n"))
                and (_dict_tag(m.group("n"))[0] in (None, *_NR_TAGS) or "·" in m.group("n"))]
    for m in _INTERPUNCT_NAME.finditer(text):
        if (bounds := _dotted_name_bounds(text, m)) is None:
            continue
        if covered.overlaps(*bounds) and covered.overlaps(bounds[0], bounds[0] + 1):
            continue  # (a name another rule found from the same start keeps its bounds)
        out.append(Span(bounds[0], bounds[1], "name", True))
    return out


def _called_him(text: str) -> list[Span]:
    out = []
    for m in _CALLED_HIM.finditer(text):
        if (n := m.group("n")) and n not in _ADDRESS_WORDS and n[-1] not in "名号称字" and _dict_tag(n)[1] < _NICKNAME_WORD_FREQ and all(
                _NAME_CHARS.match(c) for c in n) and not _inside_medical_term(text, m.start("n"), m.end("n")):
            out.append(Span(m.start("n"), m.end("n"), "name", False))
        elif (x := m.group("s")) and x in _SINGLE_SURNAMES:
            out.append(Span(m.start("s"), m.end("s"), "name", False))
        elif ((x := m.group("x")) and x[1] not in _NOT_AFTER_A and x[1] not in _XIAO_NOT_NAME and _given_ok(x[1])
              and _dict_tag(x)[1] < _NICKNAME_WORD_FREQ):
            out.append(Span(m.start("x"), m.end("x"), "name", False))
    return out


def _cued_nicknames(text: str) -> list[Span]:
    out = [Span(m.start("n"), m.end("n"), "name", False) for m in _CUED_NICKNAME.finditer(text)
           if (x := m.group("n")[1]) not in _NOT_AFTER_A and x not in _XIAO_NOT_NAME and _given_ok(x)
           and (tag := _dict_tag(m.group("n")))[0] in (None, *_NR_TAGS) and tag[1] < _NICKNAME_WORD_FREQ
           and not _inside_medical_term(text, m.start("n"), m.end("n"))]
    if "（" in text or "(" in text:
        out += [Span(m.start("n"), m.end("n"), "name", False) for m in _KIN_GIVEN_BRACKETED.finditer(text)
                if m.group("n")[0] not in _KIN_CHARS and not _inside_medical_term(text, m.start("n"), m.end("n"))
                and not (_dict_tag(m.group("n"))[0] or "x").startswith(("v", "d", "p", "c", "u", "m", "q", "r"))]
    return out


def _called_and_romanised_names(text: str) -> list[Span]:
    """Names by what others call someone, a real name, a parent speaking by the child's name, and Cantonese,
    Korean and Hangul names (the patterns above)."""
    out: list[Span] = []
    if "叫" in text or "喊" in text:
        out += [Span(m.start("n"), m.end("n"), "name", True) for m in _CALLED_BY_OTHERS.finditer(text)
                if m.group("n") not in _ADDRESS_WORDS and not _KIN_WORD_RE.search(m.group("n"))]
    if "名" in text or "号" in text:
        for rx in (_NICKNAME_UNQUOTED, _REAL_NAME):
            out += [Span(m.start("n"), m.end("n"), "name", True) for m in rx.finditer(text)
                    if not _KIN_WORD_RE.search(m.group("n")) and not _inside_medical_term(text, m.start("n"), m.end("n"))
                    and ((dt := _dict_tag(m.group("n")))[0] in (None, *_NR_TAGS) or dt[1] < _COMMON_WORD_FREQ)]  # (not 外号大全)
    if "：" in text or ":" in text:
        for m in _PARENT_SPEAKER.finditer(text):
            n, (tag, freq) = m.group("n"), _dict_tag(m.group("n"))
            if ((tag in (None, *_NR_TAGS) or freq < _COMMON_WORD_FREQ) and _given_ok(n) and not _KIN_WORD_RE.search(n)
                    and n[0] not in _NOT_A_NAME_START and not _inside_medical_term(text, m.start("n"), m.end("n"))):
                out.append(Span(m.start("n"), m.end("n"), "name", True))
    if " " in text:
        out += [Span(m.start("n"), m.end("n"), "name", True) for rx in (_ROMAN_NAME, _HANGUL_NAME, _KANA_NAME)
                for m in rx.finditer(text)]
    if "名" in text:
        out += [Span(m.start("n"), m.end("n"), "name", True) for m in _LABELLED_HANGUL.finditer(text)]
    return out


def _name_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    if _CUE_ONLY_SURNAMES.search(text):
        spans += _cue_only_names(text)
    if _SURNAME_RE.search(text):
        for c0, clause in _clauses(text):
            pos = 0
            while True:
                m = _SURNAME_RE.search(clause, pos)
                if m is None:
                    break
                span = _name_at(text, c0 + m.start(), m.group(), clause, c0)
                if span is not None:
                    spans.append(span)
                    pos = span.end - c0
                else:
                    pos = m.start() + 1
        spans += _listed_names(text, spans)
        spans += _people_lists(text)
    if _NICKNAME_RE.search(text) or "小" in text:
        spans += _nickname_spans(text, spans)
    spans += _doubled_names(text)
    if _MINORITY_SINGLE.search(text) or "古丽" in text or _MONGOLIAN_GATE.search(text):
        spans += _minority_names(text)
    if "坤" in text:
        spans += _thai_titled_names(text)
    if _KIN_WORD_RE.search(text):
        spans += _kin_named_without_surname(text)
    if _KIN_WORD_RE.search(text) or _SCHOOL_CLASS.search(text):
        spans += _kin_given_names(text)
    if "-" in text or "~" in text or "～" in text or "名" in text or "昵称" in text or "外号" in text:
        spans += _noted_names(text)
    spans += _addressed_names(text)
    if ("岁" in text or "的" in text or "族" in text or "人" in text or "患" in text or "户主" in text or "家属" in text
            or "生" in text or _HANGUL.search(text)):
        spans += _unsurnamed_names(text)
    if "我是" in text or "名" in text or "号" in text or "叫" in text or "自称" in text:
        spans += _introduced_names(text)
    if "·" in text or "是我" in text or "他" in text or "她" in text or "•" in text or "・" in text or "‧" in text:
        spans += _foreign_names(text)
    if "他" in text or "她" in text:
        spans += _spoken_of_names(text)
    if _JAPANESE_GATE.search(text):
        spans += _japanese_names(text)
    if any(c.isascii() and c.isalpha() for c in text):  # Latin letters: English cues may apply
        spans += _english_names(text)
        spans += [Span(m.start("n"), m.end("n"), "name", True) for m in _SPELT_CAPS_NAME.finditer(text)]
        spans += [Span(m.start("n"), m.end("n"), "name", True) for m in _CAPS_TITLED.finditer(text)]
        spans += [Span(m.start("n"), m.end("n"), "name", False) for m in _CODE_THEN_INITIALS.finditer(text)]
    # 刘**, 欧阳**: a surname with its given name masked is still the surname
    if "*" in text or "＊" in text or "XX" in text or "xx" in text or "ＸＸ" in text or "××" in text:
        spans += [Span(m.start(), m.end(), "name", False) for m in _MASKED_NAME.finditer(text)]
    # 签名：莫。: a record signed with a surname alone
    spans += [Span(m.start(g), m.end(g), "name", False) for m in _SIGNED_SURNAME.finditer(text)
              for g in ("s", "r", "b", "d") if m.group(g)]
    # 夜班 ZXY 签, 姓名缩写 HYL: a person's initials where a record signs or abbreviates a name
    spans += [Span(m.start("n"), m.end("n"), "name", False) for m in _INITIALS.finditer(text)
              if m.group("n") not in _NOT_INITIALS]  # (交班：ICU 2床ZXM: the ward, not a nurse)
    if "，" in text or "," in text or "（" in text or "(" in text or "名" in text or "老" in text or "爸" in text or "妈" in text or "个" in text or "桑" in text or "先生" in text or "女士" in text or "小姐" in text or "翻译" in text or "君" in text or "译员" in text or "さん" in text or "ちゃん" in text or "くん" in text or "さま" in text:
        spans += _noted_nicknames_and_roles(text)
    spans += _called_and_romanised_names(text)
    if "阿" in text or "小" in text or "（" in text or "(" in text:
        spans += _cued_nicknames(text)
    if "叫" in text or "喊" in text:
        spans += _called_him(text)
    if "_" in text or "." in text:
        spans += _file_name_names(text)
    if "之" in text or "·" in text or "•" in text:
        spans += _whose_child_and_dotted_names(text, spans)
    if "阿" in text or "仔" in text:
        spans += [Span(m.start(), m.end(), "name", True) for m in _CANTONESE_LATIN.finditer(text)]
    if "哥" in text or "姐" in text:
        spans += [Span(m.start(), m.end(), "name", False) for m in _LATIN_BEFORE_ELDER.finditer(text)
                  if m.group() in _LATIN_GIVEN_NAMES or _PINYIN_WITH_INITIAL.fullmatch(m.group().lower())]
    # 阿强师傅, 阿娇姐说: 阿 and a given name before 师傅 or 姐/哥 (not 阿姨, 阿哥, 阿胶, 阿拉: a word)
    if "阿" in text:
        spans += [Span(m.start(), m.end(), "name", False) for m in _A_NAME_TITLED.finditer(text)
                  if m.group("x") not in _NOT_AFTER_A and (tag := _dict_tag(m.group()))[0] in (None, *_NR_TAGS)
                  and tag[1] < _COMMON_WORD_FREQ
                  and not _inside_medical_term(text, m.start(), m.end())]
    # 逝者阮氏花是越南籍: a Vietnamese woman's name, the surname, 氏 and the given name, where the text says Vietnam
    if "氏" in text and _VIETNAM_GATE.search(text):
        spans += [Span(m.start(), m.end(), "name", True) for m in _VIETNAMESE_NAME.finditer(text)]
    spans += _written_twice_names(text, spans)
    spans += _familiar_names(text)
    if "籍" in text:
        spans += _foreign_national_names(text)
    # Нурлан Абдрахманов: two or three capitalised Cyrillic words in a Chinese text are a person's name
    if _CYRILLIC_GATE.search(text):
        spans += [Span(m.start(), m.end(), "name", True) for m in _CYRILLIC_NAME.finditer(text)]
    # 患者韩老伯，老伴说“老韩”…: 老 or 小 and a surname the text has named someone by is that person again
    named_surnames = {text[s.start] for s in spans if s.label == "name" and text[s.start] in _SINGLE_SURNAMES}
    if named_surnames:
        spans += [Span(m.start("s"), m.end("s"), "name", False) for m in _OLD_OR_YOUNG_SURNAME.finditer(text)
                  if m.group("s") in named_surnames and m.group("s") not in _NOT_OLD_SURNAME]
    # Names that do not start with a listed surname: after an explicit label (姓名：小明, 我叫Tom).
    covered = _Coverage(len(text), spans)
    labelled: list[Span] = []
    for m in _STRONG_LABEL.finditer(text):
        if covered.overlaps(m.end(), m.end() + 1):
            continue
        end = _take_label_value(text, m.end())
        if end > m.end():
            labelled.append(Span(m.end(), end, "name", end - m.end() >= 2))
            covered.add(labelled[-1])
    # (病人姓名：LEUNG Wing Sze（梁詠詩）: the same name in another script in brackets after a label's name too)
    return _married_names(text, spans + labelled + _written_twice_names(text, labelled))


# 林陳秀英, 張李美華: a married woman's name with her husband's surname before her own full name (冠夫姓, as Taiwan
# and Hong Kong records write it); a rule that stopped after the second surname or one given character takes all
# four where the last two make a given name and a stop or what she does comes next
_MARRIED_NAME_NEXT = re.compile(r"[^\u4e00-\u9fff]|$|[陪说讲来去和跟与的在是也都已今昨明]")


def _married_names(text: str, spans: list[Span]) -> list[Span]:
    out = []
    for s in spans:
        i, j = s.start, s.start + 4
        if (s.label == "name" and 2 <= s.end - s.start <= 3 and j <= len(text) and text[i] in _SINGLE_SURNAMES
                and text[i + 1] in _SINGLE_SURNAMES and all(_NAME_CHARS.match(c) for c in text[i + 2 : j])
                and _given_ok(text[i + 2 : j]) and _MARRIED_NAME_NEXT.match(text, j)
                and _dict_tag(text[i + 1 : j])[0] in (None, *_NR_TAGS) and _dict_tag(text[i + 2 : j])[1] < _COMMON_WORD_FREQ):
            s = Span(i, j, "name", s.confident)
        out.append(s)
    return out


_CYRILLIC_GATE = re.compile("[А-ЯЁ]")
_CYRILLIC_NAME = re.compile(r"(?<![А-Яа-яЁё])[А-ЯЁ][а-яё]+(?: [А-ЯЁ][а-яё]+){1,2}(?![А-Яа-яЁё])")
# (standing alone: quoted, or between punctuation; not 老王家, 小张老师 where another rule decides)
_OLD_OR_YOUNG_SURNAME = re.compile(rf"(?<![\u4e00-\u9fff])[老小](?P<s>[{_SINGLE_SURNAMES}])(?![\u4e00-\u9fff])")
_A_NAME_TITLED = re.compile(r"阿(?P<x>[\u4e00-\u9fff])(?=师傅|姐(?![妹夫])|哥(?![们])|医生|大夫|老师)")
_VIETNAM_GATE = re.compile("越南|越籍|Vietnam")
_VIETNAMESE_NAME = re.compile("(?:阮|黎|陈|范|黄|潘|武|裴|丁|吴|邓|杜|胡|何|吕|郑|林|杨|王|李)氏"
                              "(?![王朝家族宗祠集团企业])[\u4e00-\u9fff](?:(?![的了是在和与及说也都就还又让把被给他她我你])[\u4e00-\u9fff]"
                              r"(?=[的了是在和与及说也都就还又让把被给他她，,。；;、\s（(]|$))?")


# Sato Emi（佐藤惠美）, 김민수（金敏秀）: a name, then the same name in another script in brackets
# (结衣（ゆい）: the kana reading of a name after it, too)
_BRACKETED_AFTER = re.compile(r"\s*[（(]\s*(?P<n>[\u4e00-\u9fff]{2,4}|[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}|[\uac00-\ud7a3]{2,4}"
                              r"|[\u3041-\u3096]{2,6}|[\u30a1-\u30fa]{2,6})\s*[)）]")
# (老蔫（村里都这么叫他，本名…）: first a note that people call the person so, then the real name)
_CALLED_THEN_FULL = re.compile(r"(?<![\u4e00-\u9fff])(?P<n>[\u4e00-\u9fff]{2,4})\s*[（(]\s*"
                               r"(?P<c>[^（()）\n。]{0,12}?(?:叫|喊|称呼?)[^（()）\n。]{0,6}?[，,、；;]\s*)?"
                               r"(?:即|也就是|全名|本名|真名|原名)\s*[:：]?\s*$")
_HANGUL_BEFORE_NAME = re.compile(r"(?<![\uac00-\ud7a3])(?P<n>[\uac00-\ud7a3]{2,4})(?=\s*[（(])")
_NOT_A_BRACKETED_NAME = re.compile(rf"^(?:{_KIN_WORDS}|{_NATIONALITY_WORDS}|妈|爸|患者|病人|本人|家属|男|女|已故|已婚|未婚|化名|音译|英文名|中文名)$")


def _looks_like_a_name(words: str) -> bool:
    """A Latin or Hangul name, or Han characters that are a name without a surname or a surname and a given name
    (not 配偶, 回族, 实习: a relation, a people, a rank)."""
    if not _NAME_CHARS.match(words):
        return True
    if _NOT_GIVEN.intersection(words[1:]) or words.endswith("族"):
        return False
    return _unsurnamed_name(words) or bool(_SURNAME_RE.match(words)) and _given_ok(words[1:])


def _written_twice_names(text: str, spans: list[Span]) -> list[Span]:
    out = []
    names = [s for s in spans if s.label == "name"]
    for s in names:
        m = _BRACKETED_AFTER.match(text, s.end)
        if m and not _NOT_A_BRACKETED_NAME.match(m.group("n")) and _looks_like_a_name(m.group("n")):
            out.append(Span(m.start("n"), m.end("n"), "name", False))
        elif (s.end < len(text) and text[s.end].isascii() is False and text[s.end - 1 : s.end].isascii()
              and (m := _BRACKETED_AFTER.match(text, s.end + 1)) and m.group("n").startswith(text[s.end])
              and _SURNAME_RE.match(text, s.end) and _looks_like_a_name(m.group("n"))):
            # Kevin王（王凯文）: an English name and the surname written after it, then the full name in brackets
            out += [Span(s.start, s.end + 1, "name", False), Span(m.start("n"), m.end("n"), "name", False)]
        # 娜塔莎（即娜塔莉娅·伊万诺夫娜·库兹涅佐娃）: what someone is called, then 即 and the full name in brackets
        if (called := _CALLED_THEN_FULL.search(text, max(0, s.start - 28), s.start)) and (called.group("c") and not _KIN_WORD_RE.search(
                called.group("n")) or _looks_like_a_name(called.group("n")) and (
                _SURNAME_RE.match(called.group("n")) or _unsurnamed_name(called.group("n")))):
            out.append(Span(called.start("n"), called.end("n"), "name", False))
    for m in _HANGUL_BEFORE_NAME.finditer(text):
        inner = _BRACKETED_AFTER.match(text, m.end())
        if inner and any(s.start == inner.start("n") for s in names):
            out.append(Span(m.start("n"), m.end("n"), "name", False))
    return out


# How a family, a class or a neighbourhood calls someone (session 55's heldout22):
# 患儿乐乐，3岁 / 小名“糖糖” / 中一班豆豆今天…: a doubled pet name after a child's cue
_PET_NAME = re.compile(r"(?:患儿|小名|乳名|昵称|宝宝|孩子|娃|[一二三四五六七八九十大中小]班)(?:叫|是)?\s*[:：]?\s*[\"“「]?(?P<n>([\u4e00-\u9fff])\2)[\"”」]?"
                       r"(?=\s*(?:[，,。；;、\s（(]|今天|昨天|[\d一二三四五六七八九十]+岁|$))")
# 小宝（大名吴天佑）: what a child is called, then the full name in brackets
_CALLED_BEFORE_FULL_NAME = re.compile(r"(?P<n>[\u4e00-\u9fff]{2,3}?|(?<![A-Za-z])[A-Z][a-z]{1,12})\s*[（(]\s*(?:大名|学名|本名|全名|真名|中文名|英文名)")
# 诉其朋友强哥代付, 我阿姐阿英, 阿珍个仔阿杰: X哥/X姐 or 阿X after a kinship word; 阿X before whose or what is theirs
_KIN_THEN_FAMILIAR = re.compile(rf"(?:{_KIN_WORDS}|阿姐|阿哥|个仔|个女|个孙)\s*(?P<n>阿[\u4e00-\u9fff]|[\u4e00-\u9fff][哥姐])(?![\u4e00-\u9fff]*?[哥姐]{{2}})")
# 我的女儿二丫, 他闺女大妞: a girl called by her place among the children and 丫 or 妞, after a kinship word
# (not 丫头, 妞妞)
_RANKED_PET_NAME = re.compile(rf"(?:{_KIN_WORDS})的?(?:叫|是)?\s*(?P<n>[大二三四五六七][丫妞])(?![丫妞头鬟儿])")
_A_NAME_OWNS = re.compile(r"(?:^|(?<=[，,。\s：:]))(?P<n>阿[\u4e00-\u9fff])(?=个仔|个女|嘅|伊拉|佢哋|屋里|电话|手机|老婆|老公|媳妇)")
# 李家嬢嬢, 王家姆妈, 刘家双胞胎: a family by its surname, then one of its members
_FAMILY_MEMBER = re.compile(rf"(?P<s>{_SURNAME_RE.pattern})家(?=姆妈|嬢嬢|孃孃|阿婆|阿公|奶奶|爷爷|婆婆|大姐|大哥|大嫂|媳妇"
                            r"|姑娘|小子|闺女|儿子|女儿|老[大二三四幺]|双胞胎|两口子)")
# 张嬢嬢, 黄伯: a surname with a dialect's elder title (嬢嬢 in Sichuan, 伯 in Cantonese) opening what is said of them
_DIALECT_ELDER = re.compile(rf"(?:^|(?<=[，,。\s：:的]))(?P<s>{_SURNAME_RE.pattern})(?:嬢嬢|孃孃|姆妈|伯)(?=[今的，,。\s]|住|个|同)")
# 村东头的老赵，… / 楼下个老王头电话…: 老 + a surname (+ 头) after 的/个, ending its phrase
_OLD_SURNAME_AFTER = re.compile(rf"(?<=[的个嘅])(?P<n>老(?:{_SURNAME_RE.pattern})头?)(?=[，,。；;\s]|电话|手机|住|家)")
# 2床ZXM，男 / 患者LJH，男，56岁 / 会诊医师ZWQ: a person's initials after a bed or a role
_INITIALS_AFTER_ROLE = re.compile(r"(?:(?<![\d.])\d{1,3}\s*床|患者|病人|医师|医生|护士|药师)\s*(?P<n>[A-Z]{3})(?![A-Za-z])")
_NOT_INITIALS = frozenset("ICU CCU MRI PET HIV HBV HCV ECG EKG BMI CRP PCR DVT AMI CKD OCT EEG EMG CTA DSA TCT HPV RSV TSH "
                          "LDL HDL ALT AST BUN INR PSA AFP CEA NSE SCC MRA UGI COVID NIV CPR AED NGT PICC TPN SOB RBC WBC PLT"
                          # diagnoses a bed is handed over by (15床 ALS，本人…)
                          " ALS SLE GBS MDS AML CML ALL CLL DKA AKI ARF CHF COPD ARDS ACS TIA UTI CAP HAP VAP OSA IPF PAH".split())


# 祖母龚王氏: a married woman's old-style name, her husband's surname and her own, then 氏
_MARRIED_NAME = re.compile(rf"(?:{_SURNAME_RE.pattern})(?:{_SURNAME_RE.pattern})氏")
# 大学室友“胖丁”, 网友“夜猫子”: a nickname in quotes after whom they are to the speaker
_QUOTED_NICKNAME = re.compile(r"(?:室友|舍友|网友|同学|朋友|同事|男友|女友|前男友|前女友|前任|老板的儿子|老板的女儿|邻居|上司|学长|学姐)"
                              r"[“\"「『](?P<n>[^”\"」』，,。]{1,6})[”\"」』]")
def _pet_name_word(n: str) -> bool:
    """A name the dictionary has (小宝) or a rare noun (妞妞), not a frequent word (小心, 小孩) or a sound (哇哇)."""
    tag, freq = _dict_tag(n)
    return tag in (None, *_NR_TAGS) or tag == "n" and freq < _COMMON_WORD_FREQ


# 其孙子"小宝"在儿科输液: a child's pet name quoted right after the kinship word (小 or 阿 and a character, or one doubled;
# not 女儿"哇"地哭了, 儿子"小心"地…: a sound or a word)
_KIN_QUOTED_PET_NAME = re.compile(r"(?:孙子|孙女|外孙女?|儿子|女儿|闺女|孩子|宝宝|侄子|侄女|外甥女?)[“\"「『](?P<n>[\u4e00-\u9fff]{2})[”\"」』]")
# 同学T和W, 上司K总: a person's initial after whom they are to the speaker
_RELATION_INITIALS = re.compile(r"(?:同学|上司|老板|前任|室友|舍友|朋友|同事|领导|学长|学姐|网友)"
                                r"(?P<a>[A-Z])(?:(?:和|与|、)(?P<b>[A-Z]))?(?![A-Za-z])")
# I'm Emily Carter, 我是 Anna Müller: a Latin full name introduced by its bearer
_NOT_SELF_NAMES = frozenset("Not Sure Sorry Fine Good Okay OK Here Back Done Ready Very So Just Also In At From Chinese "
                            "American British German French Japanese Korean Australian Canadian Indian New".split())
_LATIN_SELF = re.compile(r"(?:\bI'm|\bI am|\b[Mm]y name is|\bThis is|我是|我叫)\s*(?=[A-ZÀ-Þ])")


def _familiar_names(text: str) -> list[Span]:
    out: list[Span] = []
    out += [Span(m.start(), m.end(), "name", True) for m in _MARRIED_NAME.finditer(text)]
    out += [Span(m.start("n"), m.end("n"), "name", True) for m in _QUOTED_NICKNAME.finditer(text)]
    out += [Span(m.start("n"), m.end("n"), "name", True) for m in _KIN_QUOTED_PET_NAME.finditer(text)
            if _PET_NAME_SHAPE.fullmatch(m.group("n")) and not _KIN_WORD_RE.fullmatch(m.group("n"))
            and text[m.end() : m.end() + 1] != "地" and _pet_name_word(m.group("n"))]
    out += [Span(m.start(g), m.end(g), "name", False) for m in _RELATION_INITIALS.finditer(text) for g in ("a", "b")
            if m.group(g)]
    for m in _LATIN_SELF.finditer(text):
        p = _LATIN_PERSON.match(text, m.end())
        words = p.group().split() if p else []
        while words and words[-1].rstrip(".") in _NOT_LATIN_NAMES:
            words.pop()
        end = m.end() + len(" ".join(words))
        # (the name ends its clause: not 我是New York来的留学生)
        if (len(words) >= 2 and words[0].rstrip(".") not in _NOT_LATIN_NAMES and not _NOT_SELF_NAMES.intersection(words)
                and (end == len(text) or text[end] in "，,。.！!；;、 \n)）")):
            out.append(Span(m.end(), end, "name", True))
    for m in _PET_NAME.finditer(text):
        if m.group("n") not in _KIN_DOUBLES:
            # (小名墨墨，…嘱家长墨墨体温…: what the text says is the pet name is the child's at every mention)
            named = m.group().startswith(("小名", "乳名", "患儿"))
            out.append(Span(m.start("n"), m.end("n"), "name", named))
    for rx in (_CALLED_BEFORE_FULL_NAME, _KIN_THEN_FAMILIAR, _A_NAME_OWNS, _OLD_SURNAME_AFTER):
        for m in rx.finditer(text):
            n = m.group("n")
            # (not the start of a longer word: 我姥爷阿尔茨海默症)
            word = _tokens(text[m.start("n") : m.start("n") + 8])[0][1]
            if (not (n.startswith("阿") and n[1] in _NOT_AFTER_A) and not _NOT_GIVEN.intersection(n.strip("阿老哥姐头"))
                    and len(word) <= len(n)):
                # (after a kinship word it is someone's name wherever the text says it again: 强哥手机…)
                out.append(Span(m.start("n"), m.end("n"), "name", rx is _KIN_THEN_FAMILIAR))
    out += [Span(m.start("n"), m.end("n"), "name", True) for m in _RANKED_PET_NAME.finditer(text)]
    for rx in (_FAMILY_MEMBER, _DIALECT_ELDER):
        out += [Span(m.start("s"), m.end("s"), "name", False) for m in rx.finditer(text)]
    out += [Span(m.start("n"), m.end("n"), "name", False) for m in _INITIALS_AFTER_ROLE.finditer(text)
            if m.group("n") not in _NOT_INITIALS]
    return out


# 日本籍留学生山田健太, 韩国籍患者…: a foreign national's name, whose surname no Chinese list has
_FOREIGN_NATIONAL = re.compile(r"[\u4e00-\u9fff]{1,4}籍(?:患者|病人|留学生|学生|员工|职工|人士|游客|旅客|船员|男子|女子|男性|女性|孕妇|产妇"
                               # (越南籍务工人员阮氏红（…）: a migrant worker)
                               r"|务工人员|务工者|劳务人员|工人|劳工)?"
                               r"(?P<n>[\u4e00-\u9fff]{2,4}?)(?=[，,。；;（(\s]|$)")


# (a Japanese name may hold 太 or 子, which _NOT_GIVEN keeps out of Chinese given names)
_NOT_A_FOREIGN_NAME = set("的了是在有和与及或不没也都就还又很这那我你他她们患者病医护岁男女")


def _foreign_national_names(text: str) -> list[Span]:
    # (confident: the same person said again is found too, 越南籍阮氏红，…，阮氏红的护照号…)
    return [Span(m.start("n"), m.end("n"), "name", True) for m in _FOREIGN_NATIONAL.finditer(text)
            if not set(m.group("n")) & _NOT_A_FOREIGN_NAME and _unsurnamed_name(m.group("n"))
            and not _inside_medical_term(text, m.start("n"), m.end("n"))]


_SIGNED_SURNAME = re.compile(f"(?:签名|签字|调配|核对|发药|复核)(?:员|人|者)?\\s*[:：]?\\s*(?P<s>{_SURNAME_RE.pattern})(?=\\s*(?:[。.，,；;|]|$))"
                             # 医师龚签名, 值班药师杭工号…, 护士江（工号…）, 3床周、5床胡: a surname alone after a role or a bed
                             f"|(?:医师|医生|药师|护师|护士|技师|大夫|治疗师)\\s*(?P<r>{_SURNAME_RE.pattern})(?=\\s*(?:签名|签字|[（(]?\\s*工号"
                             # (治疗师何已报告…, 当班药师雷已道歉: by surname, then what was already done)
                             r"|已(?:报告|道歉|告知|通知|处理|核对|更换|联系|签字|签名|转告|上报|解释)))"
                             # 随车医生骆，接线员祁，采血护士：俞。: who was on duty, by surname, at a clause's end
                             f"|(?:随车医生|接收护士|采血护士|值班医生|值班护士|接线员|调度员|接诊医生|责任护士)\\s*[:：]?\\s*"
                             f"(?P<d>{_SURNAME_RE.pattern})(?=\\s*(?:[。.，,；;]|$))"
                             f"|(?<![\\d.])\\d{{1,3}}\\s*床\\s*(?P<b>{_SURNAME_RE.pattern})(?=\\s*(?:[、，,；;]|$))")
# (交班LMQ，接班zhx, 操作者WXY, 接收人HJ（工号…）: a handover's and a laboratory log's staff by initials, lower case too)
_INITIALS = re.compile(r"(?:(?:白|夜|早|中|晚)班|大夜|小夜|姓名缩写|缩写|签名|签字|(?<![\u4e00-\u9fff])(?:交|接)班|操作者|操作员|接收人)\s*[:：]?\s*"
                       r"(?P<n>[A-Z]{2,4}(?![A-Za-z])|[a-z]{2,3}(?=[，,。；;（(）)\s]|$))")
# (李XX，男: a clerk's mask of Xs after the real surname, too)
_MASKED_NAME = re.compile(f"(?<![*＊])(?:{_SURNAME_RE.pattern})(?:[*＊]{{1,3}}(?![*＊\\d])|(?:XX|xx|ＸＸ|××)(?![A-Za-z0-9]))")
_STRONG_LABEL = re.compile(
    r"(?:我叫|名叫|名字是|名字叫|姓名(?:是|为)?\s*[:：]?|联系人\s*[:：]?|(?:免贵|我|本人|[他她]|患者|病人|医生|大夫|医师|主任|护士|老师|师傅|那个|那位|一个|一位|自己|自称)姓(?!名)|(?<=[，,；;])姓(?=(?:" + _SURNAME_RE.pattern + r")(?:[，,。；;]|$))|[Nn]ame\s*(?:is|:|：)"
    # 我的名字拼成了wang xiaoming, 姓名拼音：Zhang Wei
    r"|名字(?:被)?(?:拼|写|打)(?:成|作)了?(?=\s*[A-Za-z])|(?:姓名|名字)拼音(?:是|为)?\s*[:：]?(?=\s*[A-Za-z])"
    r"|(?:小名|乳名|大名|中文名|英文名|学名|曾用名|原名)(?:字)?(?:叫|是)?\s*[:：]?|(?:护照|英文|拼音)姓名\s*[:：]?(?=\s*[A-Z])|(?:收件人|收货人|(?:法定|委托)?代理人|监护人)\s*[:：]?|顾客\s*[:：]"
    # 我是Maria，菲律宾人: a Latin name that is all the clause says
    r"|我是(?=\s*(?!(?:Doctor|Dr|Nurse|Patient|Student|Teacher|Mom|Dad|Mother|Father)\b)[A-Z][a-z]+(?: [A-Z][a-z]+)?\s*(?:[，,。.；;！!]|$))"
    r"|(?<![A-Za-z])(?:Dr|Mr|Mrs|Ms|Mdm|Prof)\.?(?=\s+[A-Z])|(?<![A-Za-z])Miss(?=\s+[A-Z])|\b[Pp]atient\s*[:：]"
    # 我老公叫国庆, 护士叫文静, 她好像叫赵敏: what a relative, a carer or "she" is called
    rf"|(?:{_KIN_WORDS}|病人|患者|他|她|护士|医生|大夫|主任|老师|老人家?|这位|那位)(?:的名字)?(?:好像|应该|大概|可能|估计|据说)?叫(?:做)?)\s*"
)
# What one calls for rather than who one is called (我老公叫救护车，…): never a name after 叫.
_CALLED_FOR = frozenset("救护车 出租车 外卖 快递 医生 护士 大夫 家人 家属 保安 急救 滴滴 代驾 车子 专车 网约车".split())


# 我叫 + a word may be "I called for" (我叫救护车) and 姓名： a form's word; a relative's or a carer's name clause
# is a name, whatever the word also means.
_FIRST_PERSON_CALLED = re.compile(r"(?:我叫|名字是|名字叫|姓名(?:是|为)?\s*[:：]?|联系人\s*[:：]?)\s*$")
_CJK_RUN = re.compile("[\u4e00-\u9fff]+")
_KIN_AT_LABEL = re.compile(rf"(?:其|我的?|他的?|她的?|患者的?|病人的?)?(?:{_KIN_WORDS}|妻|夫)")


_ALL_CAPS_NAME = re.compile(r"[A-Z]{2,}(?: [A-Z]{2,}){1,3}(?![A-Za-z])")


def _take_label_value(text: str, i: int) -> int:
    """After an explicit label any 2-3 CJK given-name characters (or 小X/阿X) or a Latin name."""
    if i < len(text) and (text[i].isascii() or "\u00c0" <= text[i] <= "\u1eff"):
        # LI Xiaohong, Xiaohong LI (a form's capitalised surname), wang xiaoming (pinyin as typed), Tom, María José
        # (护照姓名ABUDUKEREMU ABUDUREHEMAN: a passport's name, every word in capitals)
        m = _LATIN_CAPS_NAME.match(text, i) or _ALL_CAPS_NAME.match(text, i)
        if m is None and (p := _LATIN_PERSON.match(text, i)):
            words = p.group().split()
            while words and words[-1].rstrip(".") in _NOT_LATIN_NAMES:
                words.pop()
            return i + len(" ".join(words)) if words else i
        m = m or _LATIN_NAME.match(text, i)
        if m:
            return m.end()
        m = _LOWER_PINYIN_NAME.match(text, i)
        if m and m.group(1) in _PINYIN_SURNAMES and all(_PINYIN_WORD.fullmatch(w) for w in m.group().split()):
            return m.end()
        return i
    if text[i - 1 : i] == "姓" or text[i - 2 : i - 1] == "姓":  # 我姓王, 免贵姓钟: the surname alone
        m = _SURNAME_RE.match(text, i)
        return m.end() if m else i
    if _KIN_AT_LABEL.match(text, i):
        return i  # 联系人：其丈夫艾力·吐尔逊: the relative's name comes after the kinship word, found there
    third_person = not _FIRST_PERSON_CALLED.search(text, max(0, i - 12), i)  # a window: the label ends at i
    run = _CJK_RUN.match(text, i)
    if third_person and run and 2 <= len(run.group()) <= 3 and (run.end() == len(text) or _CLAUSE_SPLIT.match(text[run.end()])):
        # 小名叫石头，/ 我老公叫国庆。: one word that is all the clause says, even one that also means a thing
        word = run.group()
        tag, _ = _dict_tag(word)
        # (not 母亲越南籍, 汉族: a nationality or an ethnic group; not 监护人代签: what is done for someone)
        if (_tokens(word)[0][1] == word and tag != "r" and not (tag or "").startswith("v") and word not in _CALLED_FOR
                and word[-1] not in "籍族" and word[0] != "代" and not _inside_medical_term(text, i, run.end())):
            return run.end()
    j = i
    # 和 starts a name only as its surname (我叫和平，…); elsewhere it joins what follows (我叫王芳和我妈…)
    while j < len(text) and j - i < 3 and _NAME_CHARS.match(text[j]) and (
            text[j] not in _NOT_GIVEN or j == i and text[j] == "和" and _CLAUSE_SPLIT.match(text[j + 2 : j + 3] or "，")):
        if text[j] in "的是了不出":
            break
        j += 1
    if j - i < 2 or _inside_medical_term(text, i, j):
        return i
    first = _tokens(text[i:j])[0][1]
    tag, _ = _dict_tag(first)
    # 我叫和平，…: a word that is all the clause says after the label, starting with a surname, is the name
    whole = (first == text[i:j] and (j == len(text) or _CLAUSE_SPLIT.match(text[j]) is not None)
             and (_SURNAME_RE.match(first) or _CUE_ONLY_SURNAMES.match(first) or first[0] in "和海") and tag != "r")
    # 小名豆豆: a doubled character is a pet name, whatever else the word means
    if len(first) >= 2 and tag is not None and tag not in _NR_TAGS and not _doubled(first) and not whole:
        return i  # 联系人电话, 名字是什么: an ordinary word, not a name
    return j


# --- putting it together -----------------------------------------------------------------------------


def _resolve(spans: Iterable[Span]) -> list[Span]:
    """Non-overlapping spans: earliest start wins, then the longest."""
    out: list[Span] = []
    pos = -1
    for s in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if s.start >= pos and s.end > s.start:
            out.append(s)
            pos = s.end
    return out


# Characters with no width, which a paste or an evasion can put anywhere (张\u200b伟, 138\u200b1234\u200b5678):
# the rules run on the text without them, and each span is mapped back over them.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_HAS_INVISIBLE = re.compile(f"[{_INVISIBLE}]")


# 楼主控糖小雨2016：…, 2楼 抗癌老兵_阿杰：…: a forum post's author by their user name
# 楼主糖妈日记2021说…, 博主控糖小雨88: a poster's user name of Chinese words and digits, after whom the post calls them
# 大众点评用户小熊爱吃糖：…, 网友养生达人老周评价：…: a review site's user by a display name of Chinese words, then
# what they wrote (four characters or more: 用户反映：, 网友纷纷表示： are no one's name)
_CN_POSTER = re.compile(r"(?:网友|(?<![终新老])用户)(?P<h>(?!们|纷纷|普遍|都|也|表示|反映|认为|称|说|提问|留言|评价)[\u4e00-\u9fff]{4,12}?)"
                        r"(?<!表示)(?<!反映)(?<!认为)(?<![说称问])(?:评价|留言|回复|发帖|写道|点评)?[:：]")
# (发帖人：糖妈2019: the poster's field, with its colon)
_POSTER_HANDLE = re.compile(r"(?:楼主|层主|博主|网友|[Uu][Pp]主|发帖人|回帖人)\s*[:：]?\s*(?P<h>[\u4e00-\u9fff]{2,10}\d{2,6})(?![\dA-Za-z])")
_FORUM_POSTER = re.compile(r"(?:楼主|层主|(?<![\d.])\d{1,4}\s*楼)\s*(?P<h>[^\s：:，,。@#]{2,30}?)\s*[：:]")


# An HL7 v2 PID segment (a laboratory or hospital system's export): its fields say what each value is, by position.
_HL7_PID = re.compile(r"(?:^|(?<=[\r\n]))PID\|[^\r\n]*")
_HL7_PID_FIELDS = {2: "record_number", 3: "record_number", 4: "record_number", 5: "name", 6: "name", 7: "date_of_birth",
                   9: "name", 11: "address", 13: "phone", 14: "phone", 19: "id_number", 20: "id_number"}


def _hl7_pid_spans(norm: str) -> list[Span]:
    out: list[Span] = []
    for m in _HL7_PID.finditer(norm):
        pos = m.start()
        for n, cell in enumerate(m.group().split("|")):
            label = _HL7_PID_FIELDS.get(n)
            value = cell.split("^")[0] if label in ("record_number", "date_of_birth") else cell.rstrip("^")
            value = value[:8] if label == "date_of_birth" else value  # YYYYMMDD, not the hour after it
            if label and value.strip():
                out.append(Span(pos, pos + len(value), label, label == "name"))
            pos += len(cell) + 1
    return out


# 患者白露，女，28岁，自诉每年白露前后失眠: a name that is one of the 24 solar terms is the season again where a
# time word follows it
_SOLAR_TERMS = frozenset("立春 雨水 惊蛰 春分 清明 谷雨 立夏 小满 芒种 夏至 小暑 大暑 立秋 处暑 白露 秋分 寒露 霜降 立冬 小雪 大雪 "
                         "冬至 小寒 大寒".split())
_SEASON_AFTER = re.compile(r"前后|时节|节气|之后|以后|之前|以前|那天|当天|左右|一过|刚过")


def _season_named(norm: str, s: Span) -> bool:
    return norm[s.start : s.end] in _SOLAR_TERMS and bool(_SEASON_AFTER.match(norm, s.end))


@lru_cache(maxsize=200_000)
def detect(text: str) -> tuple[Span, ...]:
    """Every piece of personal data in ``text``, as non-overlapping labelled spans (memoised), none inside a
    replacement token already there (:func:`outside_tokens`)."""
    spans = _detect(text)
    return outside_tokens(text, spans) if spans and "[" in text else spans


#: The replacement tokens (TOKENS' values), longest first.
_TOKEN_TEXT = re.compile("|".join(map(re.escape, sorted(set(TOKENS.values()), key=len, reverse=True))))


def outside_tokens(text: str, spans: Sequence[Span]) -> tuple[Span, ...]:
    """``spans`` less what lies inside a replacement token in ``text`` (a span reaching into one keeps its other
    letters): text de-identified once is de-identified again when an export's tables are, after the dialogue's
    names, and [姓名] became [[姓名]] (walk s69)."""
    tokens = [m.span() for m in _TOKEN_TEXT.finditer(text)]
    if not tokens:
        return tuple(spans)
    inside = bytearray(len(text))
    for a, b in tokens:
        inside[a:b] = b"\1" * (b - a)
    out: list[Span] = []
    for s in spans:
        if not any(inside[s.start : s.end]):
            out.append(s)
            continue
        i = s.start
        while i < s.end:  # each stretch outside the tokens, less its punctuation, if a letter is left
            if inside[i]:
                i += 1
                continue
            j = i
            while j < s.end and not inside[j]:
                j += 1
            a, b = i, j
            while a < b and not text[a].isalnum():
                a += 1
            while b > a and not text[b - 1].isalnum():
                b -= 1
            if a < b:
                out.append(Span(a, b, s.label, s.confident))
            i = j
    return tuple(out)


def _detect(text: str) -> tuple[Span, ...]:
    """:func:`detect` before the tokens are left out."""
    if _HAS_INVISIBLE.search(text):
        kept = [i for i, c in enumerate(text) if c not in _INVISIBLE]
        visible = "".join(text[i] for i in kept)
        return tuple(Span(kept[s.start], kept[s.end - 1] + 1, s.label, s.confident) for s in _detect(visible))
    norm = _blank_field_labels(_rules_view(normalize(text)))
    spans = _number_spans(numbers_view(norm))
    if "PID|" in norm:
        spans.extend(_hl7_pid_spans(norm))
    if "楼" in norm:
        # (not 楼主更新：…, a word of the post)
        spans.extend(Span(m.start("h"), m.end("h"), "account") for m in _FORUM_POSTER.finditer(norm)
                     if not re.fullmatch(r"[\u4e00-\u9fff]+", m.group("h")) or _dict_tag(m.group("h"))[1] < _COMMON_WORD_FREQ)
    if "主" in norm or "网友" in norm or "帖人" in norm:
        spans.extend(Span(m.start("h"), m.end("h"), "account") for m in _POSTER_HANDLE.finditer(norm))
    if "网友" in norm or "用户" in norm:
        spans.extend(Span(m.start("h"), m.end("h"), "account") for m in _CN_POSTER.finditer(norm))
    spans.extend(_addresses(norm))
    if "住" in norm or "地址" in norm or "居" in norm:
        spans.extend(Span(m.start("v"), m.end("v"), "address") for m in _CUED_ADDRESS_TO_NUMBER.finditer(norm)
                     if _PLACE_IN_ADDRESS.search(m.group("v")))
    if " " in norm and _EN_ADDRESS_GATE.search(norm):
        spans.extend(Span(m.start(), m.end(), "address") for m in _EN_ADDRESS.finditer(norm))
    if "Jalan" in norm or "Jln" in norm or "Lorong" in norm or "Lrg" in norm or "Lebuh" in norm or "Persiaran" in norm:
        spans.extend(Span(m.start(), m.end(), "address") for m in _MY_ADDRESS.finditer(norm))
    taken = _resolve(spans)
    covered = _Coverage(len(norm), taken)
    # 孫思邈講…: a physician every reader knows is no one's data, whichever rule took the name
    brands = _Coverage(len(norm), [Span(m.start(), m.end(), "brand") for m in _BRANDS.finditer(norm)])
    names = [s for s in _name_spans(norm) + _spaced_names(norm) if not covered.overlaps(s.start, s.end)
             and norm[s.start : s.end] not in _FAMOUS_PHYSICIANS and norm[s.start : s.end] not in _ADDRESS_WORDS
             and not _NATIONALITY.fullmatch(norm, s.start, s.end)
             and not brands.overlaps(s.start, s.end)]  # (帅哥你好: a way of addressing anyone)
    # A name found with a cue is the same person wherever else the text says it (儿子浩浩…，浩浩晚上发烧), as
    # across a dialogue's texts (names_in); not a frequent word (我老公叫文静，人一点都不文静).
    confident = {name for s in names if s.confident and s.end - s.start >= 2
                 and _dict_tag(name := norm[s.start : s.end])[1] < _COMMON_WORD_FREQ}
    # 7床高山，男，52岁…，高山下午下床; 四班文静同学…告知文静的奶奶: a name found with a cue that is also a frequent word is
    # the person elsewhere only where what follows says so (see _PERSON_AFTER)
    worded_names = {name for s in names if s.confident and s.end - s.start >= 2
                    and _dict_tag(name := norm[s.start : s.end])[1] >= _COMMON_WORD_FREQ}
    if confident:
        # (where a rule found the name already, it is not looked up again: 患儿乐乐，… repeated)
        names += [s for s in _known_name_spans(norm, confident, {(s.start, s.end) for s in names})
                  if not covered.overlaps(s.start, s.end)
                  and not _season_named(norm, s)]
        givens = {g for n in confident if len(n) == 3 and n[0] in _SINGLE_SURNAMES and _given_ok(g := n[1:])
                  and _dict_tag(g)[1] < _COMMON_WORD_FREQ and norm.count(g) > norm.count(n)}
        # 欧阳思琪…思琪多喝水, 阿卜杜拉·麦麦提…阿卜杜拉的哥哥, 次仁卓玛…卓玛你下次: how the person is called after the
        # full name, by the given name after a compound surname, the first part of a transliteration or a Tibetan
        # name's second part
        givens |= {g for n in confident if (g := _called_by(n)) and len(g) >= 2 and norm.count(g) > norm.count(n)
                   and (_dict_tag(g)[1] < _COMMON_WORD_FREQ or _dict_tag(g)[0] in _NR_TAGS)}
        names += [s for s in _known_name_spans(norm, givens) if not covered.overlaps(s.start, s.end)]
        # 汪国庆主任…，国庆主任的复诊病人, 杨胜利…，胜利说…: a given name that is also a word (国庆长假) is the person
        # only where a title or a verb of saying follows it
        worded = {g for n in confident if len(n) == 3 and n[0] in _SINGLE_SURNAMES and _given_ok(g := n[1:])
                  and _dict_tag(g)[1] >= _COMMON_WORD_FREQ and norm.count(g) > norm.count(n)}
        # 伊万·彼得罗夫…，彼得罗夫先生: a transliterated name's family name, before a title
        worded |= {g for n in confident if _INTERPUNCT.search(n) and len(g := _INTERPUNCT.split(n)[-1]) >= 2
                   and norm.count(g) > norm.count(n)}
        worded_names |= worded
    # 营养师王婧…，婧姐帮你看看: a one-character given name of a name found with a cue, before 姐/哥 and opening a
    # clause, is the person (not 大姐, 表哥: a word)
    counts: dict[str, int] = {}  # (each word counted once: the text stays linear)
    one_given = {n[1] for n in confident if len(n) == 2 and n[0] in _SINGLE_SURNAMES and _given_ok(n[1])}
    if one_given:
        names += [Span(m.start(), m.start() + 1, "name", False) for m in _GIVEN_BEFORE_SISTER.finditer(norm)
                  if m.group(1) in one_given and (m.start() == 0 or not _NAME_CHARS.match(norm[m.start() - 1]))
                  and _dict_tag(norm[m.start() : m.start() + 2])[0] is None and not covered.overlaps(m.start(), m.start() + 1)]
    # 高老师说晓东在学校…，晓东以前…: two characters no dictionary knows, after a verb of telling and before what
    # someone did, that the text says again and the tagger reads as a name, are that person at every mention
    if "说" in norm or "告诉" in norm or "让" in norm:
        told = {n for m in _TOLD_OF.finditer(norm) if _dict_tag(n := m.group("n"))[0] is None
                and _given_ok(n) and not set(n) & _COUNTING and n[0] not in _NOT_A_NAME_START
                and not _KIN_WORD_RE.search(n) and _predicate_starts(norm, m.end())
                and not covered.overlaps(m.start("n"), m.end("n")) and not _inside_medical_term(norm, m.start("n"), m.end("n"))
                and _count(norm, n, counts) >= 2 and _hmm_confirms(norm, 0, m.start("n"), m.end("n"))}
        if told:
            names += [s for s in _known_name_spans(norm, told, {(s.start, s.end) for s in names})
                      if not covered.overlaps(s.start, s.end)]
    # 莫丽娟服前方14剂后…，丽娟自述…: a full name the tagger alone found, whose given name (no dictionary word) the
    # text says again on its own, is the person there too
    shown = {g for s in names if not s.confident and s.end - s.start == 3 and norm[s.start] in _SINGLE_SURNAMES
             and _dict_tag(g := norm[s.start + 1 : s.end])[0] is None and _given_ok(g)
             and _count(norm, g, counts) > _count(norm, norm[s.start : s.end], counts)}
    if shown:
        names += [s for s in _known_name_spans(norm, shown, {(s.start, s.end) for s in names})
                  if not covered.overlaps(s.start, s.end)]
    if worded_names:
        names += [s for s in _known_name_spans(norm, worded_names) if not covered.overlaps(s.start, s.end)
                  and _person_after(norm, s.start, s.end)]
    if "的" in norm:
        names = _outside_spelling(norm, names)
    if _PET_TEXT.search(norm):
        # 小白今天打了猫三联…: in a text about a pet, a pet name found with no cue is the animal's
        names = [s for s in names if s.confident or not _PET_NAME_SHAPE.fullmatch(norm, s.start, s.end)
                 or _KIN_CUE.search(norm, max(0, s.start - 8), s.start)]  # (not 我儿子小白: a child)
    if "号" in norm:
        names += [Span(m.start("n"), m.end("n"), "name", True) for m in _PLAYER_BEFORE_SHIRT.finditer(norm)
                  if not covered.overlaps(m.start("n"), m.end("n"))]
    # 身份证一张（甘露，450102…）: in brackets, a name before an ID number is its holder's, even a word (甘露)
    if "（" in norm or "(" in norm:
        names += [Span(m.start("n"), m.end("n"), "name", False) for s in taken if s.label == "id_number"
                  and (m := _HOLDER_BEFORE_ID.search(norm, max(0, s.start - 10), s.start))
                  and _looks_like_a_name(m.group("n")) and not covered.overlaps(m.start("n"), m.end("n"))]
    if "释" in norm or "法号" in norm or "修女" in norm or "神父" in norm or "修士" in norm or "牧师" in norm or "嬷嬷" in norm:
        names += [Span(m.start(g), m.end(g), "name", True) for m in _RELIGIOUS_NAME.finditer(norm)
                  for g in "abcd" if m.group(g) and not covered.overlaps(m.start(g), m.end(g))
                  and not _KIN_WORD_RE.search(m.group(g)) and (g in "cd" or _dict_tag(m.group(g))[1] < _COMMON_WORD_FREQ)
                  and not re.match(r"[这那每哪该此一两几各本我你他她们来去为在给说的和与是也都到请会要把被让]", m.group(g))]
    if "（" in norm or "(" in norm:
        names += [Span(m.start(g), m.end(g), "name", True) for m in _CALLED_IN_BRACKETS.finditer(norm)
                  if _looks_like_a_name(m.group("n")) for g in "nc" if not covered.overlaps(m.start(g), m.end(g))]
        for m in _MEMBER_IN_BRACKETS.finditer(norm):
            if _looks_like_a_name(m.group("n")):
                if not covered.overlaps(m.start("n"), m.end("n")):
                    names.append(Span(m.start("n"), m.end("n"), "name", True))
                if m.group("v") and not covered.overlaps(m.start("v"), m.end("v")):
                    names.append(Span(m.start("v"), m.end("v"), "date_of_birth"))
    if "老" in norm and "家" in norm:
        names += [Span(m.start("s"), m.end("s"), "name", False) for m in _OLD_SURNAME_HOME.finditer(norm)
                  if _dict_tag(m.group()[:2])[0] is None and not covered.overlaps(m.start("s"), m.end("s"))]
    if "（" in norm or "(" in norm:
        names += [Span(m.start(g), m.end(g), "name", g == "n") for m in _OLD_SURNAME_NAMED.finditer(norm)
                  if _given_ok(m.group("n")[1:]) for g in ("s", "n") if not covered.overlaps(m.start(g), m.end(g))]
        names += [Span(m.start(g), m.end(g), "name", g == "n") for m in _A_GIVEN_NAMED.finditer(norm)
                  if _given_ok(m.group("g")) and m.group("g") not in _NOT_AFTER_A
                  for g in ("s", "n") if not covered.overlaps(m.start(g), m.end(g))]
    if "名" in norm or "签" in norm:
        for m in _QUOTED_AS_NAME.finditer(norm):
            quoted = [m] + ([c] if (c := _QUOTED_CORRECTION.match(norm, m.end())) else [])
            names += [Span(q.start("n"), q.end("n"), "name", True) for q in quoted
                      if _given_ok(q.group("n")[1:]) and not covered.overlaps(q.start("n"), q.end("n"))]
    # 汪淑芬（19520918）: a date in brackets right after a name is that person's birth date
    births = [Span(m.start("v"), m.end("v"), "date_of_birth") for s in names if s.label == "name"
              and (m := _BIRTH_DATE_IN_BRACKETS.match(norm, s.end)) and not covered.overlaps(m.start("v"), m.end("v"))]
    # (（马德胜，1941-02-17）: the name, then the birth date, in the same brackets)
    births += [Span(m.start("v"), m.end("v"), "date_of_birth") for s in names if s.label == "name"
               and norm[s.start - 1 : s.start] in ("（", "(") and (m := _BIRTH_DATE_AFTER_NAME.match(norm, s.end))
               and not covered.overlaps(m.start("v"), m.end("v"))]
    # 陳志強（CHAN Chi Keung）: the same person's name in Latin letters, in brackets after it
    latin = [Span(m.start("v"), m.end("v"), "name", False) for s in names if s.label == "name"
             and (m := _LATIN_NAME_IN_BRACKETS.match(norm, s.end)) and not covered.overlaps(m.start("v"), m.end("v"))]
    # Wong Ka Ho（黃家豪）: the same person's name in Chinese, in brackets after the Latin one
    latin += [Span(m.start("v"), m.end("v"), "name", True) for s in names if s.label == "name" and norm[s.end - 1 : s.end].isascii()
              and (m := _HAN_NAME_IN_BRACKETS.match(norm, s.end)) and not _TITLES.search(m.group("g"))
              and not _KIN_WORD_RE.search(m.group("v")) and not _NOT_GIVEN.issuperset(m.group("g"))
              and not covered.overlaps(m.start("v"), m.end("v"))]
    return tuple(_resolve(taken + names + births + latin))


_HAN_NAME_IN_BRACKETS = re.compile(rf"\s*[（(]\s*(?P<v>(?:{_SURNAME_RE.pattern})(?P<g>[\u4e00-\u9fff]{{1,2}}))\s*[)）]")
_GIVEN_BEFORE_SISTER = re.compile("([\u4e00-\u9fff])(?=[姐哥])")
_TOLD_OF = re.compile(r"(?:说|告诉我?|让)(?P<n>[\u4e00-\u9fff]{2})")


# 钱多多（9号，前锋）: a player, then the shirt number and the position in brackets (a doubled given name too)
_PLAYER_BEFORE_SHIRT = re.compile(rf"(?P<n>(?:{_SURNAME_RE.pattern})[\u4e00-\u9fff]{{1,2}}?)(?=[（(]\s*\d{{1,2}}\s*号\s*[，,、]\s*"
                                  r"(?:前锋|中锋|边锋|门将|守门员|后卫|中后卫|边后卫|中场|前卫|后腰|自由人|主攻|副攻|二传|接应|控卫|中锋|大前锋|小前锋|得分后卫)\s*[)）])")
_HOLDER_BEFORE_ID = re.compile(r"[（(]\s*(?P<n>[\u4e00-\u9fff]{2,4})\s*[，,、：:]\s*$")


# 王 芳，女，45岁 / 我叫吕 建 平: a name typed with a space between its characters (as forms and some keyboards
# space them); found in the text without those spaces, and mapped back.
_SPACED_NAME = re.compile(rf"(?:{_SURNAME_RE.pattern})(?:(?:[ \u3000][\u4e00-\u9fff]){{1,2}}|[ \u3000][\u4e00-\u9fff]{{2}})(?![\u4e00-\u9fff])")


def _spaced_names(norm: str) -> list[Span]:
    if " " not in norm and "\u3000" not in norm:
        return []
    dropped: set[int] = set()
    for m in _SPACED_NAME.finditer(norm):
        dropped.update(i for i in range(m.start(), m.end()) if norm[i] in " \u3000")
    if not dropped:
        return []
    kept = [i for i in range(len(norm)) if i not in dropped]
    joined = "".join(norm[i] for i in kept)
    out = []
    for s in _name_spans(joined):
        start, end = kept[s.start], kept[s.end - 1] + 1
        if any(start < i < end for i in dropped):  # only names the spaces had hidden
            out.append(Span(start, end, s.label, s.confident))
    return out


_SAYING = re.compile(r"说(?![明服法])|讲(?![究座解])|问(?![题诊卷候])|告诉")
# What follows a person, not a word: a title or an elder's (玉兰奶奶), a relative's (文静的奶奶), a verb of saying
_PERSON_AFTER = re.compile(rf"{_TITLES.pattern}|{_ELDER_TITLES.pattern}|的(?:{_KIN_WORDS}|家属|家长)|{_SAYING.pattern}"
                           # or agrees, refuses, asks (韦小雨…，小雨不同意)
                           r"|(?:不|没有?)?(?:同意|答应|愿意)|拒绝|要求")
# ... and, for a clause's subject, a time word (高山下午下床了)
_TIME_AFTER_SUBJECT = re.compile(r"[今昨明前]天|[上下中]午|[今昨]晚|晚上|早上|凌晨|夜里|刚才|刚刚"
                                 # (赵海燕…，海燕已按调度员指导…: what the person has done or is doing)
                                 r"|已经?(?![过了])|正在"
                                 # (沈国庆…，国庆术后恢复顺利: how the patient has done since the operation)
                                 r"|术后")


# What only a pet is given or has done (a cat's or a dog's combined vaccine, deworming, neutering, its food or litter)
_PET_TEXT = re.compile(r"猫三联|犬[二四五六八]联|驱虫|绝育|宠物|铲屎|猫粮|狗粮|猫砂|猫咪|狗狗|喵星人|汪星人")
_PET_NAME_SHAPE = re.compile(r"[小阿][\u4e00-\u9fff]|([\u4e00-\u9fff])\1")


def _person_after(norm: str, start: int, end: int) -> bool:
    """Whether the word at ``norm[start:end]``, a name found elsewhere in the text that is also a word, stands for
    the person here (see detect)."""
    opens = start == 0 or norm[start - 1] in "，,。；;：:！!？?\n 、"
    return bool(_PERSON_AFTER.match(norm, end) or opens and _TIME_AFTER_SUBJECT.match(norm, end))


def _outside_spelling(text: str, names: list[Span]) -> list[Span]:
    """``names`` less those inside a name spelt out character by character (我叫甘秀英，甘肃的甘优秀的秀英雄的英):
    each character is named by a word that holds it, so the words and the characters run together into names
    (秀英, 詹天佑) that are nobody."""
    units = [k for k in range(1, len(text) - 1) if text[k] == "的" and _NAME_CHARS.match(text[k + 1])
             and text[k + 1] in text[max(0, k - 3) : k]]
    runs: list[list[int]] = []
    for k in units:
        if runs and k - runs[-1][-1] <= 5:
            runs[-1].append(k)
        else:
            runs.append([k])
    regions = [(run[0] - 3, run[-1] + 2, run) for run in runs if len(run) >= 2]
    if not regions:
        return names

    def spelling(s: Span) -> bool:
        return any(a <= s.start and s.end <= b and any(s.end == k or s.start <= k + 1 < s.end for k in run)
                   for a, b, run in regions)

    return [s for s in names if not spelling(s)]


_INTERPUNCT = re.compile("[·•・‧]")


def _called_by(name: str) -> str:
    """The part of a full name that is used alone for the person (see detect), or ''."""
    if _INTERPUNCT.search(name):
        return _INTERPUNCT.split(name)[0]
    if _LATIN_GIVEN_FAMILY.fullmatch(name):
        return name.split()[0]  # Sarah Müller…，Sarah希望: the given name
    if len(name) == 4 and name[:2] in _COMPOUND_SURNAMES and _given_ok(name[2:]):
        return name[2:]
    if len(name) == 4 and _TIBETAN_NAME.fullmatch(name) and _TIBETAN_SINGLE.fullmatch(name[2:]):
        return name[2:]
    return ""


def find_names(text: str) -> list[tuple[int, int]]:
    """Spans of the names found in ``text`` (see :func:`detect`)."""
    return [(s.start, s.end) for s in detect(text) if s.label == "name"]


def names_in(texts: Iterable[str], memo: TextMemo | None = None) -> set[str]:
    """Names found with high confidence (a cue, a title, sex and age ...) in any of ``texts``, two
    characters or more: these are also replaced wherever else they occur in the same dialogue. A text in ``memo``
    is not analysed again."""
    found: set[str] = set()
    for t in texts:
        known = memo.get(t) if memo else None
        found.update(known.names if known is not None else _confident_names(t))
    return found


@lru_cache(maxsize=200_000)
def _confident_names(text: str) -> tuple[str, ...]:
    return _confident_names_among(text, detect(text))


def _confident_names_among(text: str, spans: Iterable[Span]) -> tuple[str, ...]:
    # Without invisible characters: 张\u200b伟 found here is 张伟 to look for in the dialogue's other texts.
    found = (_HAS_INVISIBLE.sub("", text[s.start : s.end]) for s in spans if s.label == "name" and s.confident)
    return tuple(name for name in found if len(name) >= 2)


_DOSE_AFTER = re.compile(r"\s*\d+(?:\.\d+)?\s*(?:g|克|mg|钱|ml|mL)(?![A-Za-z])")
_LATIN_RUN_AFTER = re.compile(r"[A-Za-z]| [A-Z][a-z]+ [A-Z]")  # (not Liam O'Brien: the person's full name)


def _opens_place_word(text: str, start: int, end: int) -> bool:
    """Whether a place name of the dictionary starts at ``start`` and runs past ``end`` (乌兰…，从乌兰浩特市转来: the
    name said again is the first part of a city's)."""
    return any(_dict_tag(text[start : end + k])[0] == "ns" for k in range(1, 5) if end + k <= len(text))


def _known_name_spans(text: str, known_names: Iterable[str], found: set[tuple[int, int]] | None = None) -> list[Span]:
    out: list[Span] = []
    for name in known_names:
        if len(name) < 2:
            continue
        latin = name.isascii()
        start = text.find(name)
        while start != -1:
            # (Mdm Tan…, Tan Tock Seng 住院: a Latin name opening three capitalised words, a hospital's, is not the person)
            if latin and (start > 0 and text[start - 1].isascii() and text[start - 1].isalpha()
                          or _LATIN_RUN_AFTER.match(text, start + len(name))):
                start = text.find(name, start + len(name))
                continue
            if ((found is None or (start, start + len(name)) not in found) and not _inside_medical_term(text, start, start + len(name))
                    and not _DOSE_AFTER.match(text, start + len(name))  # (周佩兰…，加佩兰10g: the herb, by its dose)
                    and not _opens_place_word(text, start, start + len(name))):
                out.append(Span(start, start + len(name), "name"))
            start = text.find(name, start + len(name))
    return out


#: What finds the spans: :func:`detect` (the rules), or the rules with the learned tagger
#: (:func:`workbench.privacy_model.detect_thorough`, the exports' thorough mode).
Detector = Callable[[str], tuple[Span, ...]]


def deidentify(text: str, known_names: Iterable[str] = (), detector: Detector = detect) -> tuple[str, list[Redaction]]:
    """Replace personal data in ``text`` by tokens such as [电话]; return the text and the redactions.

    ``known_names`` (names found with high confidence elsewhere in the same dialogue, see
    :func:`names_in`) are also replaced wherever they occur.
    """
    known = [n for n in known_names if len(n) >= 2 and n in text]
    if not known:
        clean, reds = _deidentify_alone(text, detector)
        return clean, list(reds)
    return _apply(text, _resolve(list(detector(text)) + _known_name_spans(text, known)))


@lru_cache(maxsize=200_000)
def _deidentify_alone(text: str, detector: Detector = detect) -> tuple[str, tuple[Redaction, ...]]:
    clean, reds = _apply(text, list(detector(text)))
    return clean, tuple(reds)


def redact(
    text: str, name_spans: Iterable[tuple[int, int]] = (), known_names: Iterable[str] = ()
) -> tuple[str, list[Redaction]]:
    """:func:`deidentify` with extra name spans (e.g. from :func:`find_names`)."""
    extra = [Span(s, e, "name") for s, e in name_spans]
    return _apply(text, _resolve(list(detect(text)) + extra + _known_name_spans(text, known_names)))


def _apply(text: str, spans: list[Span]) -> tuple[str, list[Redaction]]:
    if not spans:
        return text, []
    out: list[str] = []
    redactions: list[Redaction] = []
    pos = 0
    for s in spans:
        token = TOKENS[s.label]
        out.append(text[pos : s.start])
        out.append(token)
        redactions.append(Redaction(s.label, text[s.start : s.end], token, s.start, s.end))
        pos = s.end
    out.append(text[pos:])
    return "".join(out), redactions


@dataclass
class DeidReport:
    """Counts of what was redacted, per kind and per field. Never holds the original values."""

    enabled: bool = True
    texts_seen: int = 0
    texts_changed: int = 0
    by_kind: Counter = field(default_factory=Counter)
    by_field: Counter = field(default_factory=Counter)
    #: what ran: None for the rules alone, else a description of the thorough mode (the exports' default):
    #: {"name": ..., "data_hash": ..., "threshold": ..., "labels": [...]}
    thorough: dict | None = None

    def add(self, field_name: str, redactions: Sequence[Redaction], times: int = 1) -> None:
        """Count one text's redactions (``times`` texts with the same redactions: one call for a text
        that recurs in many dialogues)."""
        self.texts_seen += times
        if redactions:
            self.texts_changed += times
            for r in redactions:
                self.by_kind[r.kind] += times
            self.by_field[field_name] += times * len(redactions)

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
        } | ({"method": self.thorough or {"name": RULES_METHOD}} if self.enabled else {})

    def method_line(self) -> str:
        """One sentence naming the method that ran: the thorough mode, or the rules alone when it was turned off."""
        t = self.thorough or {}
        return (f"Method: **thorough**: the rules, plus the learned tagger's {' and '.join(t.get('labels', ()))} spans "
                f"where no rule found anything (threshold {t.get('threshold')}, trained on data with SHA-256 "
                f"`{t.get('data_hash')}`)." if t else
                "Method: **the rules alone** (the learned tagger, which finds more names, was turned off for this "
                "export).")

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_markdown(self) -> str:
        if not self.enabled:
            return "De-identification: **off** (texts exported as stored)."
        lines = [
            f"De-identification: **on**. {counted(self.total, 'redaction')} in {self.texts_changed} of "
            f"{self.texts_seen} distinct {plural(self.texts_seen, 'text')}.",
            "",
            self.method_line(),
            "",
            "| kind | token | count |",
            "|---|---|---|",
        ]
        for kind in TOKENS:
            lines.append(f"| {kind} | {TOKENS[kind]} | {self.by_kind.get(kind, 0)} |")
        lines += ["", LIMITS_THOROUGH if self.thorough else LIMITS]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Tables: the flat export tables (pandas frames), de-identified column by column


def deidentify_text(text: str, report: DeidReport, where: str, detector: Detector = detect) -> str:
    """:func:`deidentify` with the redactions counted in ``report`` under ``where``."""
    new, reds = deidentify(text, (), detector)
    report.add(where, reds)
    return new


# Table columns that hold identifiers or categories, never free text: de-identification skips them.
TABLE_KEY_COLUMNS = {"id", "dialogue_id", "generation_id", "turn_index", "dataset", "column", "model", "role",
                     "turn_type", "turn_type_auto", "created_at", "annotator", "target_source"}


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """What the table passes need of one text, from one :func:`detect`: the names it introduces with
    confidence (:func:`names_in`) and the text de-identified on its own (:func:`deidentify`)."""

    names: tuple[str, ...]
    clean: str
    redactions: tuple[Redaction, ...]


def analyse_text(text: str, detector: Detector = detect) -> TextAnalysis:
    """:class:`TextAnalysis` of ``text``: :func:`_confident_names` and :func:`_deidentify_alone` of one
    :func:`detect` (their own memos hold 200,000 texts: the tables of a large import hold more, and each
    text was analysed twice)."""
    spans = list(detector(text))
    clean, reds = _apply(text, spans)
    return TextAnalysis(_confident_names_among(text, spans), clean, tuple(reds))


#: text -> its analysis, for every distinct text of an export's tables (see :func:`table_texts`)
TextMemo = dict[str, TextAnalysis]


def table_texts(tables: dict[str, pd.DataFrame]) -> set[str]:
    """Every distinct text of the tables' free-text columns: what :func:`redact_dialogue_names` and
    :func:`deidentify_tables` analyse, to be analysed once (:func:`analyse_text`) before them."""
    out: set[str] = set()
    for df in tables.values():
        for col in _free_text_columns(df):
            out.update(v for v in df[col].tolist() if isinstance(v, str))
    return out


def _free_text_columns(df: pd.DataFrame) -> list:
    return [col for col in df.columns
            if not (col in TABLE_KEY_COLUMNS or str(col).endswith("_id") or str(col).endswith("_at"))
            and (df[col].dtype == object or str(df[col].dtype).startswith("str"))]


def deidentify_table(name: str, df: pd.DataFrame, report: DeidReport, memo: TextMemo | None = None,
                     detector: Detector = detect) -> pd.DataFrame:
    """A copy of table ``name`` with every free-text column de-identified, each distinct text once
    (ids, categories and ``*_id`` / ``*_at`` columns are left alone); counted in ``report`` as
    ``<table>.<column>``. A text in ``memo`` is not analysed again."""
    df = df.copy()
    memo = memo or {}
    for col in _free_text_columns(df):
        where = f"{name}.{col}"
        cache: dict[str, str] = {}
        vals = []
        for v in df[col].tolist():
            if isinstance(v, str):
                if v not in cache:
                    known = memo.get(v)
                    if known is None:
                        cache[v] = deidentify_text(v, report, where, detector)
                    else:
                        report.add(where, known.redactions)
                        cache[v] = known.clean
                v = cache[v]
            vals.append(v)
        df[col] = vals
    return df


def deidentify_tables(tables: dict[str, pd.DataFrame], report: DeidReport,
                      memo: TextMemo | None = None, detector: Detector = detect) -> dict[str, pd.DataFrame]:
    """:func:`deidentify_table` of each table, counted once in ``report``."""
    return {name: deidentify_table(name, df, report, memo, detector) for name, df in tables.items()}


# Free-text columns of the tables, where a name introduced in one text of a dialogue is looked for in the others.
TABLE_TEXT_COLUMNS = {"dialogues": ("title", "text"), "generations": ("output", "error", "route_reason"),
                      "ratings": ("comment", "corrected_reply")}


def redact_dialogue_names(tables: dict[str, pd.DataFrame], report: DeidReport,
                          memo: TextMemo | None = None, detector: Detector = detect) -> dict[str, pd.DataFrame]:
    """Copies of ``tables`` where every name a cue (我叫…) introduces anywhere in a dialogue is replaced in
    all of that dialogue's texts, as the candidate formats do.

    The export's own table pass de-identifies each text on its own, so "我叫李明" is caught but a later
    "李明您好" would not be. Redactions are added to ``report``.
    """
    gens = tables["generations"]
    gen_dialogue = dict(zip(gens["generation_id"].tolist(), gens["dialogue_id"].tolist(), strict=True))

    def dialogue_of(df: pd.DataFrame) -> list:
        if "dialogue_id" in df.columns:
            return df["dialogue_id"].tolist()
        return [gen_dialogue.get(g) for g in df["generation_id"].tolist()]

    texts: dict[object, list[str]] = defaultdict(list)
    for name, cols in TABLE_TEXT_COLUMNS.items():
        df = tables[name]
        dids = dialogue_of(df)
        for col in cols:
            for did, v in zip(dids, df[col].tolist(), strict=True):
                if isinstance(v, str) and v:
                    texts[did].append(v)
    names = {did: found for did, ts in texts.items() if (found := names_in(ts, memo))}
    if not names:
        return tables
    out = dict(tables)
    for name, cols in TABLE_TEXT_COLUMNS.items():
        df = tables[name].copy()
        dids = dialogue_of(df)
        for col in cols:
            values = df[col].tolist()
            for i, (did, v) in enumerate(zip(dids, values, strict=True)):
                known = names.get(did)
                if known and isinstance(v, str) and any(n in v for n in known):
                    values[i], reds = deidentify(v, known, detector)
                    report.add(f"{name}.{col}", reds)
            df[col] = values
        out[name] = df
    return out
