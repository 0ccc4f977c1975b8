"""Turn-type classifier for doctor replies: question, suggestion, mixed or other (the rules, blended with a
learned model; measuring them against gold labels is :mod:`workbench.annotate.classifier_eval`).

Two classifiers live here:

* :func:`is_question_original` reproduces the BianQue hybrid's test: a reply "is a question" when it
  contains any of :data:`ORIGINAL_MARKERS`. It is kept as the baseline we measure against.
* :func:`classify_rules` is a rule-based classifier that works clause by clause. A clause is a question when
  it carries a strong cue (a final ？, a final 吗, 请问, a request for information) or an interrogative
  form in a position where it is really asked (A-not-A, 是否, 是…还是, 几/多少/多久/什么/哪 at the end of
  the clause or in a clause with no advice). It is advice when it carries a modal or imperative (建议,
  应该, 注意, 避免, 多喝…) or a diagnostic explanation (考虑是, 可能是, 属于…). The false positives of the
  marker list (那么, 怎么办 in advice, 多少有点, 呢 as a pause, 吗啡…) are handled by position and context.
  Traditional characters are folded to simplified ones first (:mod:`workbench.annotate.zh_variants`); a few
  English cues (should, avoid, probably, tell me…) cover replies in English, and a reply typed in toneless pinyin is
  read back into characters.

The confidence is the probability of the chosen class under a small independence model: each clause's
strongest cue has a fixed strength (roughly its precision), strengths combine by noisy-or into
P(question present) and P(advice present), and the four classes get q(1-a), (1-q)a, qa, (1-q)(1-a).
Cues that were seen but overruled keep a residual weight, so ambiguous replies get lower confidence.

The rules reach about 1.000 on every set they were tuned on but about 0.90 on sets they have not seen, so
:func:`classify` adds :data:`BLEND_WEIGHT` x the rules' confidence to the class probabilities of a char n-gram
model trained on every labelled set (:mod:`workbench.annotate.turn_type_model`) and takes the larger: on
unseen sets it does better than either alone. :func:`classify_rules` is the rule layer on its own.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from workbench.annotate.turn_type_model import ModelUnavailable, TurnTypeModel, default_model
from workbench.annotate.zh_variants import to_simplified
from workbench.vocab import ORIGINAL_QUESTION_MARKERS, QUESTION_MARKS, TurnType

RULES_AGENT = "coq-rules-v1"
AGENT = "coq-blend-v1"  # the rules blended with the learned model (turn_type_model)
#: How much of the rules' confidence is added to their class before the argmax. Chosen on replies neither
#: had seen (sessions 65 and 66 at first contact: 0.2-0.3 best, 0.5 worse); see bench/classifier_heldout.py.
BLEND_WEIGHT = 0.3
log = logging.getLogger(__name__)
TURN_TYPES: tuple[str, ...] = tuple(TurnType)

#: The original BianQue hybrid's question markers, kept verbatim as the baseline.
ORIGINAL_MARKERS: tuple[str, ...] = ORIGINAL_QUESTION_MARKERS


def is_question_original(text: str, markers: Iterable[str] = ORIGINAL_MARKERS) -> bool:
    """The original hybrid's test: True when ``text`` contains any marker."""
    return any(m in text for m in markers)


@dataclass(frozen=True)
class TurnTypeSuggestion:
    """A machine pre-annotation of a reply's turn type (Argilla's *suggestion*)."""

    turn_type: str
    confidence: float
    agent: str = AGENT
    cues: tuple[str, ...] = field(default=(), compare=False)


# --------------------------------------------------------------------------------------------------
# Segmentation

# An English full stop ends a sentence only before a space or the end ("38.5度" and "1.5 mg" stay whole).
# (…说明宝宝目前情况很好～这两天…？: a tilde between words ends a chat's sentence, as 。 does; not 您好呢~这里是…, a greeting
# drawn out)
_SENTENCE_END = re.compile(r"([。！？!?；;\n]+|…+|\.{3,}|\.(?=\s|$)|(?<=[\u4e00-\u9fff])(?<!呢)[～~]+(?=[\u4e00-\u9fff]))")
# Unpunctuated chat separates clauses with spaces, but also a name or a particle (医生是 欧阳娜娜 吗): a space is
# a comma only before what opens a new question (这个可以先观察 请问痣最近有没有变大).
_CLAUSE_SEP = re.compile(r"[，,：:（(\u2064]|(?<=\S)[ 　]+(?=请问|另外|顺便问|我?想问|再问)|(?<=[～~])[ 　]+(?=[\u4e00-\u9fff])"
                         # 可能是扁桃体发炎了 多喝水: after a clause-final particle
                         r"|(?<=[了吧哈啊呀呢哦嘛啦吗])[ 　]+(?!还是)(?=[\u4e00-\u9fff]{2})"
                         # 口罩一定要戴KN95的哦～你们厂里发的是什么口罩呀: a tilde after a closing particle, with no space (not 您好呢~…,
                         # a greeting drawn out)
                         r"|(?<=[了吧哈啊呀哦嘛啦哟噢喔的])[～~]+(?=[\u4e00-\u9fff])"
                         # a voice transcript's fillers (…要拍个胸片嗯然后呢有没有发过烧啊): where one clause ends
                         r"|嗯+然后呢?|(?<=[\u4e00-\u9fff])然后呢|(?<=[啊呀吧])嗯+(?=[\u4e00-\u9fff])")
# A reply typed on a phone with no comma at all separates its clauses by spaces (先吃点蒙脱石散 娃多大).
# (also after a tilde: 建议每天户外两小时～ 最近一次验光是多少度呀)
# (and before a test's Latin name: 多喝水多跳 B超做了没)
_SPACE_CLAUSES = re.compile(r"(?<=[\u4e00-\u9fff\w～~])[ 　]+(?=[\u4e00-\u9fff]|[A-Z]{1,4}[\u4e00-\u9fff]|\d{1,2}[.、．)）]\s*[\u4e00-\u9fff])")
# A voice transcript with no punctuation at all (先别吃那个药了然后明天空腹过来抽个血你之前肝功能查过没有): where the
# speaker turns to the next thing, a clause may end.
_RUN_ON_CHARS = 10
# (…把超滤量调小一点你透析的时候有没有抽筋: an instruction softened by 一点/一下 ends, the patient is turned to)
_SPOKEN_TURN = re.compile(r"(?=然后(?!才|再|就))|(?<=[\u4e00-\u9fff])(?=(?:你|您)(?:之前|以前|平时|最近|现在|这几天|有没有|是不是))"
                          r"|(?<=一点|一下|一些|点儿)(?=(?:你|您)(?!们))")
# Chat replies end their clauses with an emoji as often as with a space (先别慌🙏 孩子…😥 现在醒了吗？).
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+")
_EMOJI_BETWEEN = re.compile("(?<=[\u4e00-\u9fff])[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+[ 　]*(?=[\u4e00-\u9fff])")
# (the emoji's clause end is a mark of its own, not a comma: 心率挺好的😊 倍他乐克继续吃 头晕不晕 is still comma-less chat,
# its spaces end clauses where advice meets a question)
_EMOJI_COMMA = "\u2064"
# 著 is left unfolded by zh_variants (显著, 著作); in these words it is 着: 別著急, 著涼, 睡不著, 跟著
_ZHUO = re.compile("著(?=急|凉|火|迷)|(?<=[睡看听跟接等拿戴忍记穿躺坐站陪抱])著|(?<=睡不)著")
# 请每天记录：发生了什么事、当时的想法: what follows the colon lists what to record, not questions to answer now
# (每天写一份情绪日记：几点心情低落、当时在做什么: the diary's columns)
# (是否治疗主要看三点：- 有没有明显症状; - 是否合并…: the criteria of a decision, what it depends on)
_LIST_LEAD = re.compile(r"(记录|记下|记一下|记好|记在|记到|写下|写清楚|填写|观察|留意|监测|注意|补充|提供|告知|日记|日志"
                        r"|(主要|关键|就|要|得|还要)看|取决于|(判断|诊断)?标准)[^，,。]{0,12}"
                        r"([，,][^，,。]{0,8}(带来|带上|带过来|拿来|给我看))?$")
# A line that heads a section of a model's answer (### …, **二、怎么补铁？**, 三、…): a question there titles the
# answer below it.
# 请每天记录：⏎1. 早晚血压；⏎2. 头晕持续多久: the list after the colon goes on over its numbered lines
_ENUMERATOR = re.compile(r"^\s*(\d+|[一二三四五六七八九十]+)\s*$")
_ITEM_START = re.compile(r"^\s*(\d+\s*[、.．)）]|[（(]\d+[)）]|[-*•·]\s|[一二三四五六七八九十]+、)")
_HEADING_LINE = re.compile(r"^[ \t]*(?:#{1,6}[ \t]|\*\*|[一二三四五六七八九十]+[、.．])", re.M)
_HEADING_MARK = "\u2063"
# Quoted material is someone else's words (a patient's question, a saying); it is not the doctor asking.
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|『[^』]*』|\"[^\"]*\"")
_TRAILING = "啊呀哦哈~～ 　\t嘛噻撒咯"  # 打了没有嘛, 抽了几十年了噻: dialects' closing particles
# Questions that want no answer: reproach (难道…, 不就是…吗) or a prompt to reflect (问问自己：…是不是…？).
_RHETORICAL = re.compile(r"难道|岂(不|能|是)|何必|何苦|何尝|不就是|不就(好|行|得|完|可以)了|不也是|(问问|想想)(你|您)?自己|扪心自问"
                         # 何不…？ proposes; 谁说…？ denies; 能不累吗？ (能不X吗) asserts X
                         r"|何不|谁说|能不(?!能)[\u4e00-\u9fff]{1,3}吗|谁(又|还)(能|会|不|没)"
                         # 控制饮食太难了，谁不想吃点好的呢？: everyone does, said in sympathy
                         r"|谁不(想|愿意|爱|喜欢|希望|怕|馋|着急|担心)"
                         # 还在家里扛，等什么呢？ / 等着中风吗？: a reproach that urges, it asks nothing
                         r"|等什么呢|还等什么|等着[\u4e00-\u9fff]{1,6}吗"
                         # 光靠忍怎么行呢？: it will not do
                         r"|怎么(能)?行(呢|啊)|(这|那)哪(儿)?行|哪能行"
                         # 还天天喝奶茶，这怎么降得下来？: it cannot, a reproach
                         r"|这(样|么)?(还|又)?怎么(可能|能|会)?[\u4e00-\u9fff]{1,3}得(下来|下去|好|住|了|着|掉)"
                         # 怎么会不疼呢，骨折了当然疼: how could it not, answered at once
                         r"|怎么(会|可能)(不|没)"
                         # 你怎么还在吃那个偏方呢，赶紧停了: a reproach
                         r"|(你|您)怎么还(在|是|敢)"
                         # 你怎么能自己停药呢？/ 哪能指望吃几天药就断根呢？: a reproach, an impossibility
                         r"|(你|您)怎么(能|可以|敢|又)(?!确定|知道|判断|看出)|哪(儿)?(能|会)"
                         # 你天天熬到两三点，痘痘能好吗？: the patient's habit, then "how could it get better"
                         r"|(天天|每天|整天|成天|老是|总是|一天到晚)[^，,。]{1,12}[，,][^，,。]{0,8}(能|会)(好|瘦|降|消|退|舒服|不(疼|痛|胖|高|长))(吗|么|呢)"
                         # 吃了这么久止痛药都不复查，胃能受得了吗？: care neglected, then "how could it bear it" (not
                         # 疼得厉害，受得了吗？, 吃了药也没好，还受得了吗？: asked)
                         r"|(都|也|还|从来?|一直)(不|没有?)(复查|检查|吃药|看医生|去医院|来医院|就医|管|控制|戒|忌口|锻炼|运动|休息|复诊|治疗?)"
                         r"[^，,。]{0,4}[，,][^，,。]{0,8}(受得了|吃得消|扛得住|顶得住|撑得住|经得起|好得了)(吗|么|呢)"
                         # 烟都戒不掉，血管怎么会好？: how could it, a reproach (not 怎么会好的这么快: how did it)
                         r"|怎么(会|能|可能)(好|痊愈|恢复|降|瘦|消|退)(起来|下来|下去|得了)?(呢|啊)?$"
                         # 哪有那么快好的: no such thing
                         r"|哪(儿|里)?(有|来)(那么|这么|这样|那样)"
                         # 汤药哪有不苦的: every one is
                         r"|哪(有|来的?)(不|没)[\u4e00-\u9fff]{1,3}的"
                         # 说了多少遍了 / 跟你讲了多少次了: a reproach (not 你跟医生说了多少次: asked)
                         r"|(^|我|跟(你|您)|和(你|您)|给(你|您))(都)?(说|讲|强调|交代|提醒)(过)?了(多少|几百|几十)(遍|次|回)"
                         # 不是早就说了要空腹吃吗？: what the doctor already said, repeated as a reproach
                         r"|(?<!是)不是(早|早就|已经|一直|都|刚|刚刚|反复|再三|跟你|和你|给你|跟您|和您|给您)+(说|讲|告诉|交代|叮嘱|嘱咐|提醒|强调)")
_WHY_NOT = r"(?i:^why (not|don'?t (we|you)) (try|start|take|use|switch|cut|book|add|stop|keep|go|get|give|see|wait|put|have)\b)"
# "Why not / could you" asked about an action the doctor recommends (为什么不早点来, 能不能少熬夜):
# a suggestion phrased as a question, when the clause also carries advice.
# 要不晚饭后先…, 要不睡前先…: a time before what is proposed
# (要不这次先把麻腮风打了, 要不今晚先在林芝歇一天: the occasion named first)
_PROPOSAL_WHEN = r"([\u4e00-\u9fff]{1,6}?(后|前|起)([一两二三几\d]+个?(天|周|小时))?|这次|这回|今天|今晚|明天|这周|这几天|下次)?"
_SUGGESTING = re.compile(r"为什么不|为何不|干嘛不|能不能(?!缓解|好转|减轻|止住|消退|退烧)|可不可以|能否|要不要(先|顺便|让|试(试|一下|一试)?|考虑)|不妨"
                         # 要不先滴几天人工泪液看看？ (not 要不然: otherwise)
                         r"|(?<!需)要不(?![要然是了])" + _PROPOSAL_WHEN + r"(先|就|咱们?|我们|还是|试|去|再|直接)"
                         # 是不是先别吃辣的比较好: a hedged proposal
                         r"|是不是(?=[^，,。？?]{0,14}(比较好|好一点|好一些|更好|为好|更合适|比较合适|稳妥))"
                         # 是不是该把烟戒了？ (a proposal when the clause advises; not 是不是该来月经了)
                         r"|是不是(该|应该)(?!来)"
                         # 不如先换一个无香料的保湿霜试两周？: "why not", a proposal
                         r"|(?<![还都也远])不如(先|试|去|戒|停|换|少|多|吃|喝|用|早)"
                         # Why not try…? / Why don't we start with…?: a proposal in English (not Why don't you like…?)
                         r"|" + _WHY_NOT)
# A sentence that answers the one before it (是的，…): the question was the doctor's own device.
# 能不能先停两天看看，…: the clause opens with the proposal (an overruled question with advice in it)
_SUGGESTING_LEAD = re.compile(r"^(那|那么|您|你|咱|咱们|我们|要不)?([\u4e00-\u9fff]{1,3}?)?(看)?(" + _SUGGESTING.pattern + ")")
_SELF_ANSWER = re.compile(r"^((不)?(是|对|会|能|可以)的|没错|当然)(?!人)|^(A|答)$"
                          r"|^(不|没)?(是|对|会|能|可以|行|用|需要|要|有|必要)[的啊呀]?$"
                          # 你这个是不是着凉引起的？我看是的，…: the doctor's own opinion answers it
                          r"|^(我看|我觉得|我估计|依我看|我判断|看来|估计|多半|八成)(就|也)?(不)?(是|对|像)(的|了)?$")
# 可以喝酒吗？——服药期间不可以: an FAQ's answer, marked by a dash after its question
_MARKED_ANSWER = re.compile(r"^(——|—|－－|--|->|→)")
# A sentence that explains why or how, right after a question: 为什么会反复呢？主要是…, 怎么判断…呢？一般是…
# 一天点几次？玻璃酸钠一天4次: the count or the length asked, given at once in the next sentence (a unit repeated
# after a number): the doctor's own question, as an FAQ puts it.
_COUNT_ASKED = re.compile(r"几([次天周月年岁片粒滴颗])(?![了啦])|多(久|长时间)(?![了啦])")  # not 扭到多久了: the history
_NUMERAL = r"[\d一二两三四五六七八九十半]+(-\d+|到[\d一二两三四五六七八九十]+)?个?"
# 骨头会不会长不好？这个主要看对位对线，…: what decides it, said at once; 能不能开车？这个问题问的人很多。: a question many ask,
# the doctor's own device (both with advice after them)
_ANSWERED_NEXT = re.compile(r"^(这个|这|那)?(主要|关键|就)(还是)?(要|得)?看(?!看|一下|下)|^(这个|这类|这种|这样的)问题(问的人|被问|很多人|好多人|不少人|经常有人|常有人)")
_EXPLAINS = re.compile(r"^(主要|多半|大多|一般|通常|其实|很简单|答案)(是|就是|来说|而言)|^(是)?因为"
                       r"|^(常见|主要|可能的?)?原因(是|在于|就是|包括|有)")


@dataclass(frozen=True)
class _Clause:
    text: str
    sentence: int
    terminal_question: bool  # last clause of a sentence that ends in ？/?
    rhetorical: bool = False  # its sentence asks without wanting an answer (难道…, 不就是…吗, 问问自己)
    heading: bool = False  # its sentence is a section heading (### …, **二、怎么补铁？**)
    listed: bool = False  # an item after a colon that leads a list of what to record (记录：吃了什么、吃了多少)


def _space_pieces(body: str) -> list[str]:
    """A comma-less reply's pieces between spaces, joined again except where advice meets a question: 先吃点蒙脱石散
    | 娃多大 is two clauses, but 复诊医生是 欧阳娜娜 吗 and 彩超提示结石 要切吗 (a piece neither asks nor advises) stay one.
    A long transcript with no space either is cut where a spoken reply turns (然后…, …你之前…), on the same terms."""
    parts, joint = _SPACE_CLAUSES.split(body), " "
    if len(parts) == 1 and len(body) >= _RUN_ON_CHARS and not re.search(r"\s", body):
        parts, joint = [p for p in _SPOKEN_TURN.split(body) if p], ""
    if len(parts) == 1:
        return parts
    out: list[str] = []
    last = ""
    for part in parts:
        kind = _piece_kind(part)
        # (两个问题: ANA查过没有 补体C3 C4呢 asks twice, each at its own end)
        if out and not (kind and last and (kind != last or kind == "q")):
            out[-1] += joint + part
        else:
            out.append(part)
        last = kind or last
    return out


def _piece_kind(piece: str) -> str:
    """"q" for a piece that only asks, "a" for one that only advises, "" otherwise."""
    if len(re.findall(r"[\u4e00-\u9fff]|[A-Za-z]+", piece)) < 2:  # (CRP呢: a test's Latin name is a word)
        return ""
    asks = _question_strength(_Clause(piece, 0, False), 0.0, [])[0] > 0
    advises = _advice_strength(piece, []) > 0
    return "q" if asks and not advises else "a" if advises and not asks else ""


def _short_line(text: str, start: int) -> bool:
    end = text.find("\n", start)
    return len(text[start : end if end >= 0 else len(text)].strip(" \t*#")) <= 30


def _unspaced(text: str) -> str:
    """A voice transcript with a space between every word or two (嗯 那个 你先 把 布洛芬 停了 然后 …): its fillers
    end clauses and the other spaces go, so that 先 把 reads as 先把. Other text is returned as it is."""
    runs = re.findall(r"[\u4e00-\u9fff]+", text)
    if len(runs) < 6 or sum(map(len, runs)) / len(runs) > 2.5 or not re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff]", text):
        return text
    text = re.sub(r"(?:^|(?<=\s))(?:嗯+|然后|那个|这个)(?=\s|$)", "，", text)
    return re.sub(r"(?<=[\u4e00-\u9fff，\u2064])[ 　]+(?=[\u4e00-\u9fff，\u2064])", "", text)


# A reply typed in toneless pinyin (xian bie chi la de le, wei teng shi fan qian teng hai shi fan hou teng) is read
# back into characters: its cue words become the characters the rules know, every other syllable a rare character of
# its own (the same syllable the same character, so teng bu teng and xx mei xx keep their A-not-A form). Only a reply
# whose every Latin word is pinyin is read so; English, and Chinese with English words mixed in, are left as they are.
_PINYIN_SYLLABLE = (r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
                    r"(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|er|in|un|ia|ie|iu|ua|uo|ui"
                    r"|ue|ve|a|o|e|i|u|v)")
_PINYIN_WORD = re.compile(f"(?:{_PINYIN_SYLLABLE})+")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_PINYIN_RUN = re.compile(r"[a-z]+(?:[ ']+[a-z]+)*")
_PINYIN_MIN_WORDS = 3
_PINYIN_CUES = {
    # asking
    "you mei you": "有没有", "shi bu shi": "是不是", "yao bu yao": "要不要", "neng bu neng": "能不能", "hao bu hao": "好不好",
    "xing bu xing": "行不行", "dui bu dui": "对不对", "ke bu ke yi": "可不可以", "shi fou": "是否", "hai shi": "还是",
    "qing wen": "请问", "shen me shi hou": "什么时候", "shen me": "什么", "wei shen me": "为什么", "zen me yang": "怎么样",
    "zen me ban": "怎么办", "zen me": "怎么", "duo chang shi jian": "多长时间", "duo jiu": "多久", "duo shao": "多少",
    "duo da": "多大", "ji tian": "几天", "ji ci": "几次", "ji ge": "几个", "ji sui": "几岁", "na li": "哪里", "sha": "啥",
    "za": "咋", "gao su wo": "告诉我", "fa guo lai": "发过来", "zhao pian": "照片",
    # advising and explaining
    "jian yi": "建议", "ying gai": "应该", "zui hao": "最好", "yi ding yao": "一定要", "bu yao": "不要", "bu yong": "不用",
    "ke yi": "可以", "zhu yi": "注意", "bi mian": "避免", "guan cha": "观察", "kan kan": "看看", "fu cha": "复查",
    "yi yuan": "医院", "jiu yi": "就医", "ji zhen": "急诊", "chi yao": "吃药", "duo he shui": "多喝水", "xiu xi": "休息",
    "ke neng": "可能", "kao lv": "考虑", "kao lu": "考虑", "yi ban": "一般", "zheng chang": "正常", "wen ti bu da": "问题不大",
    "fan qian": "饭前", "fan hou": "饭后", "shi hou": "时候", "shi jian": "时间", "xiao shi": "小时", "zui jin": "最近",
    "ping shi": "平时", "yi qian": "以前", "zhi qian": "之前", "zhe ge": "这个", "na ge": "那个", "hai zi": "孩子",
    "jue de": "觉得", "fa shao": "发烧", "ke sou": "咳嗽", "tou teng": "头疼", "du zi": "肚子", "gan mao": "感冒",
    # courtesy
    "xie xie": "谢谢", "bu ke qi": "不客气", "ni hao": "你好", "nin hao": "您好", "hao de": "好的", "mei shi": "没事",
    # single syllables, read as the commonest word in a consultation
    "ni": "你", "nin": "您", "wo": "我", "ta": "他", "zhe": "这", "na": "那", "ma": "吗", "ne": "呢", "ba": "吧", "a": "啊",
    "ya": "呀", "le": "了", "de": "的", "guo": "过", "mei": "没", "bu": "不", "you": "有", "shi": "是", "hai": "还",
    "jiu": "就", "dou": "都", "ye": "也", "zai": "在", "hen": "很", "xian": "先", "bie": "别", "qu": "去", "lai": "来",
    "chi": "吃", "yao": "要", "kan": "看", "teng": "疼", "tong": "痛", "ji": "几", "duo": "多", "shao": "少", "tian": "天",
    "ci": "次", "ge": "个", "dian": "点", "yi": "一", "ke": "科", "pai": "拍", "fa": "发", "hao": "好",
}
_PINYIN_LONGEST = max(len(k.split()) for k in _PINYIN_CUES)
_PINYIN_OTHERS = "氕氘氚氙氡氪氩氖鑫淼焱垚犇骉羴靐龘麤鱻猋"


def _from_pinyin(text: str) -> str:
    """A reply typed in toneless pinyin, read back into characters (see :data:`_PINYIN_CUES`); other text as it is."""
    words = [w for w in _LATIN_WORD.findall(text) if not (len(w) > 1 and w.isupper())]  # CT, BP: abbreviations
    if len(words) < _PINYIN_MIN_WORDS or not all(w.islower() and _PINYIN_WORD.fullmatch(w) for w in words):
        return text
    others: dict[str, str] = {}

    def read(run: re.Match[str]) -> str:
        syllables = [s for word in re.split(r"[ ']+", run.group(0)) for s in re.findall(_PINYIN_SYLLABLE, word)]
        out, i = [], 0
        while i < len(syllables):
            for n in range(min(_PINYIN_LONGEST, len(syllables) - i), 0, -1):
                hanzi = _PINYIN_CUES.get(" ".join(syllables[i : i + n]))
                if hanzi:
                    out.append(hanzi)
                    i += n
                    break
            else:
                out.append(others.setdefault(syllables[i], _PINYIN_OTHERS[len(others) % len(_PINYIN_OTHERS)]))
                i += 1
        return "".join(out)

    return _PINYIN_RUN.sub(read, text)


def _clauses(text: str) -> list[_Clause]:
    # 【问题分析】…【建议】…: a template's section names head sentences, they advise or ask nothing themselves
    text = re.sub(r"【[^】\n]{1,10}】", "。", text)
    # (an emoji between two clauses ends the first, as a comma does: …让恒牙长正😊 他怕不怕打麻药呀)
    text = _EMOJI_BETWEEN.sub(_EMOJI_COMMA, _QUOTED.sub("某", _from_pinyin(_ZHUO.sub("着", to_simplified(text)))))
    text = _unspaced(_EMOJI.sub(" ", text).replace("一哈", "一下"))
    if "\n" in text:
        # a title line (### …, **二、怎么补铁？**), not a numbered paragraph (三、有一个情况需要您告诉我：…？)
        text = _HEADING_LINE.sub(lambda m: _HEADING_MARK + m.group(0) if _short_line(text, m.start()) else m.group(0),
                                 text)
    parts = _SENTENCE_END.split(text)
    out: list[_Clause] = []
    sentence = 0
    list_goes_on = False  # a list lead ended its line with a colon: the numbered lines after it are its items
    after_enumerator = False
    # re.split with a capturing group alternates body, terminator, body, terminator...
    for i in range(0, len(parts), 2):
        body = parts[i]
        term = parts[i + 1] if i + 1 < len(parts) else ""
        asks = any(m in term for m in QUESTION_MARKS)
        # (also a bold sentence inside a line: 这是一个很好的问题。**布洛芬和…可以交替使用吗？** 一般来说…)
        heading = body.lstrip().startswith(_HEADING_MARK) or (body.lstrip().startswith("**") and asks)
        body = body.replace(_HEADING_MARK, "")
        split = _CLAUSE_SEP.split(body)
        if not any(c in body for c in "，,、：:"):
            split = [piece for part in split for piece in _space_pieces(part)]
        colon = re.search("[：:]", body)
        listing = colon is not None and _LIST_LEAD.search(body[: colon.start()]) is not None
        item = list_goes_on and (after_enumerator or _ENUMERATOR.match(body) is not None
                                 or _ITEM_START.match(body) is not None)
        after_enumerator = _ENUMERATOR.match(body) is not None
        list_goes_on = item or (listing and colon is not None and not body[colon.end():].strip())
        pieces = [p.strip(" *#") for p in split]
        pieces = [p for p in pieces if p]
        if not pieces:
            continue
        rhetorical = bool(_RHETORICAL.search(body))
        offset = 0
        for j, piece in enumerate(pieces):
            offset = body.find(piece, offset)
            listed = item or (listing and colon is not None and offset > colon.start())
            out.append(_Clause(piece, sentence, asks and j == len(pieces) - 1, rhetorical, heading, listed))
        sentence += 1
    return out


# --------------------------------------------------------------------------------------------------
# Cue lexicon. Strengths are rough precisions of each cue on doctor replies.

_Q_STRONG = 0.95
_Q_REQUEST = 0.9
_Q_FORM = 0.85  # A-not-A, 是否, clause-final interrogative word
_Q_ALT = 0.8  # 是…还是
_Q_WORD = 0.75  # interrogative word inside a clause with no advice
_A_STRONG = 0.95
_A_ACTION = 0.85
_A_INFO = 0.65
_RESIDUAL_NONE = 0.03
_RESIDUAL_OVERRULED = 0.3

_FINAL_PARTICLE = re.compile(r"(吗|(?<![那这怎什多要])么)[呢吧]?$|(?<![这那])是(哪|什么时候|啥时候|几时|在哪)[^，,。？?都也]{0,10}的$|(了|过)[^，,。]{0,8}没得$"
                             # 发烧应该没超过三天吧, 你平时胃就不太好吧: a guess put to the patient to confirm
                             r"|(?<![别先差])(没|不)[^，,。不没\s]{1,10}吧$"
                             # 叔叔自己能坐起来吃饭了吧, 您这个药是心内科开的吧; Wu 平常头晕伐
                             r"|(?<![就先])(能|会)[^，,。]{1,10}了吧$|^(你|您)[^，,。]{0,6}应该(是|有|没|不)[^，,。]{1,12}吧$|(你|您)[^，,。]{0,12}是[^，,。]{1,12}的吧$|(?<=[\u4e00-\u9fff])伐$|^[^，,。]*(还|有没|有)[^，,。]{0,8}(?<![好棒对])哇$"
                             # 药都按时吃了吧: a guess that the patient did it (not 别去了吧, 就这样了吧, 该停了吧)
                             r"|^(?![^，,。]*(别|不要|不用|还是|就|该|先))[^，,。]*(吃|服|用|打|量|测|做|查|喝)(过|了)吧$")
_PLEASE_ASK = re.compile(r"请问|请教一下|想问一下|问一下您|问一下你|(^|(?<=\s))(我)?想(先)?(了解|问|知道)一下"
                         # 不知道您之前有没有做过胃镜: the polite indirect question, aimed at the patient (not
                         # 不知道您有没有注意到…: drawing attention to what the doctor goes on to say)
                         r"|^(我|也)?不知道(您|你)(?!.*(注意|发现|听说|想过|意识))")
_REQUEST_INFO = re.compile(
    r"(请|麻烦)(您|你)?[^，,。]{0,6}?(按|按照)[^，,。]{0,6}(补充|回复|说明|描述)|(请|麻烦)(您|你)?(再|详细|具体|简单)?地?"
    r"(描述|说明|说一下|说说|讲一下|讲讲|讲述|告诉|告知|透露|介绍|补充|提供|发一下|发给|上传|拍|报一下|念一下)"
    # 需要补充的信息：…, 请逐条回复: a list of what the doctor needs to know
    r"|需要(您|你)?补充|(请|麻烦)[^，,。]{0,12}(补充|提供|填写|回复)(以下|下列|如下)的?(信息|资料|内容|情况|问题)|(请|麻烦)(您|你)?[^，,。]{0,6}(填写|填好)(?![的了])|(请|麻烦)[^。]{0,24}(填进去|填上|填一下)|(拍照|拍下来|拍个照)?发回(给我|来)|(请|麻烦)(您|你)?(逐条|逐项|逐一|一一)?回复"
    # 麻烦把化验单拍给我看一下, 说一下症状: a request for what the doctor needs to know
    r"|(请|麻烦).{0,10}(拍|发|传)(给我|过来|一下)|^(再|先)?(说|讲|描述|介绍)一下"
    # 麻烦把血常规和CRP的报告单拍照上传一下: a long object before the upload
    r"|(请|麻烦)[^，,]{0,24}(上传|发(给我|过来|上来)|传(给我|过来|上来)|(再|重新)(发|传|拍)(?!起)(一次|一遍|一张|一下)?)"
    # 看完告诉我 / 量好了发给我: the answer to what the patient was asked to look at
    r"|(看|量|数|测|查|拍|试|称)(完|好)(了|以后|之后)?(再|就)?(告诉|发给|回复)我"
    # 试一下告诉我能举到哪, 温度量一下跟我讲几度: tried or measured for the doctor, in one breath
    r"|(看|量|数|测|查|试|称|摸|按|压)(一)?下\s?(再|就|然后)?(告诉我|跟我(说|讲)|发给我|回复我)"
    # 把报告拍照发过来我看看, 把舌头的照片发一张给我: something sent for the doctor to see
    r"|把.{1,12}(发|传)(过来|上来|来(?![的了过])|一张|一份|几张)|把[^，,。\s]{1,40}?(发|传)((给)?我(?![们的])|(一份|一张|几张)?(过来|上来))|(发|传|拍)(过来|给我|我|来)(我|让我)?(看看|看一下|瞧瞧|瞅瞅)"
    # without 请: 说说…, 描述下…, 告诉我…, 把用药清单列一下, 我需要知道…
    r"|(^|的话)(你|您)?(再|先)?(说说|讲讲|聊聊|(说|讲|描述|介绍|补充)一?下|告诉我(一下)?(你|您|孩子|宝宝|老人|他|她))"
    # (您把药盒上的名字给我念一下: read out for the doctor)
    r"|把.{1,12}(列|发|拍|写|念|读|报)(一下|给我(?![们的])|出来)|(念|读)给我听|请把[^，,。]{1,24}(列|写)(一下|给我|出来)|(?<![已没不别我])拍(一|几|两)?张$|^(我|还)?(需要|想|要|得)(先|再)?(知道|了解|确认)(一下)?(您|你|孩子|宝宝|老人|患者|病人|一些|几)"
    r"|^(我|还)(需要|想|要|得)多?(知道|了解|确认)"
    # 跟我说说…, 把体重告诉我一下, 发张照片看看 / 拍个正面的照片 (a photo for the doctor, not the patient's own
    # 我发照片 or 之前拍过的视频; 拍个片子 is an X-ray, advice)
    r"|跟我(说说|讲讲|聊聊|说一下|讲一下)|把.{1,12}告诉我|(?<!我)(拍|发|传)(?![过了的]|(过|上)?来的|给我的)[^，,]{0,12}(照片|相片|图片|视频|截图)|拍(一|几|两)?张(发)?(给我|过来)"
    r"|(?i:^(please |pls |plz |can you |could you )?(describe|tell me|let me know|list|send( me)?|share|show me)\b)"
    # I'd like to know when…, I need to know whether…, I wonder if…: the doctor's wish to know, asked in English
    r"|(?i:^(i'?d like|i would like|i need|i want|we need|i'?d love) to (know|find out|ask) "
    r"(about |more |when |whether |if |how |what |which |who |where |why |your |you )|^i'?m? wonder(ing)? (whether|if) )"
    # 3.告诉我起疹子前一天吃过什么: a numbered item that asks
    r"|^\d{1,2}[.、．)）]\s*(请|麻烦)?(告诉我|说说|说一下|描述一下)"
    # …，告诉我 / 两个数字都发给我 / 测完把数值发过来: the result reported back
    r"|(?<![没不别])(告诉我|发给我|发我|报给我|传给我|回复我|发过来)(一下|吧|哈)?$"
    # Cantonese: 有冇报告可以影低畀我睇睇 (a picture given for the doctor to see)
    r"|[畀俾]我(睇|看)"
    # 做一下这个小量表: a questionnaire to answer now; 直接回数字就行: how to answer it
    r"|(做|填)(一下)?(这个|这份|下面的?|以下的?)(小)?(量表|问卷|自测|测试|评估表)|(直接)?(回|回复)(我)?(个|一个)?(数字|序号|编号|字母|选项)就(行|好|可以)(了|啦|哈)?$"
    # 甲功单子发一下, 盒子拍一下: what the patient has, sent or photographed for the doctor (not 胸片拍一下, an X-ray)
    r"|(单子|报告单?|化验单|检查单|截图|病历|处方|方子|盒子|药盒|包装|说明书|照片)(也)?(发|传|拍)(一下|过来|给我)(?![了过])"
    # 请照实说, 方便的话拍一下方子给我: the truth, a photo of what the patient has (not 见到医生一定要如实回答: later)
    r"|^(请|麻烦)?(您|你)?(照实|如实|老实)(说|讲|回答|告诉我)|(拍|发|传)(一下|个|张|一张)[^，,。]{0,8}给我(?![们的了过])"
    # 有的话拍个照, 把这次的甲功五项上传到报告栏, 您一条一条回我就行: a photo, an upload, the answers asked for (not
    # 拍个照留底: a record kept; 上传的报告: one sent already)
    r"|(?<![已没不别我])拍(个|张|一张|几张)照片?$|把[^，,。]{1,24}上传(?![了过的])|(回|回复|答|告诉|发)(给)?我就(行|好|可以)(了|啦|哈)?$"
    # 化验单发过来我看下, B超单子拍过来，NT的报告也一起发: something sent for the doctor, with no 请 or 把
    r"|可以(?i:upload|上传)|(?<![已没不别我])(拍|发|传)(过来|上来)(?![了过的])|(?<![已没不别])(拍|发|传)给我(?![了过的们])|一起(发|传|拍)(过来|给我|一下)?$"
)
_A_NOT_A = re.compile(r"(?<![不没说费])([\u4e00-\u9fff]{1,2})[不没唔]\1")  # 疼不疼, 厉害不厉害; not 没事没事
# (nor 这事儿说大不大: "it is not really big", an idiom)
# 吃药了没, 数过脉搏没有, 还有别的症状没有: a perfective or 有 earlier in the clause, then 没(有) at its end
_PERFECT_NOT = re.compile(r"(过|了).{0,10}(没有|没得|没)$|有.{1,10}(没有|没得)$")
# Colloquial yes/no question: a predicate followed by a bare 不/没 ("咳嗽带血不", "吃药没"; Hakka and Cantonese 冇:
# 夜晡睡得着冇; not 我冇: "I have none").
_BARE_NOT = re.compile(r"(?<![还也并都再就])(?<=[\u4e00-\u9fff])([不没]|(?<![我你您佢他她])冇)$")
# Elliptical "那X呢": a short topic plus 呢 asks "and what about X?"; discourse openers (其实呢) do not.
# (娃这是出牙呢: a copula explains, as 呢 closes a statement)
_TOPIC_NE = re.compile(r"^(?!其实|当然|所以|然后|总之|一般|如果|要是|这个|那个|不|别|没|也|就|都|还)(?![^呢]*(这|那|就)是)(那|那么)?(?:[A-Za-z]+\d*\s?|[^的了A-Za-z]){1,6}呢$")  # (补体C3 C4呢: a test's Latin name one word)
_SHIFOU = re.compile(r"是否(?!定的)|有无|有冇|有木有")  # not 答案是否定的 (the answer is no)  # 有无 is the written 有没有 (有无恶心呕吐, 既往有无手术史)
# A tag that asks the patient to confirm what was just said back to them: "你是说…，对吧".
_TAG_QUESTION = re.compile(r"^(对|是)吧$")
# (早上起来就这样的还是昨儿个就有点儿: A的还是B, the 是 left out; not 最好的还是…, "the best is still", or 吃西药的还是
# 比较多, "still")
_ALTERNATIVE = re.compile(r"是.{0,20}还是|都[^，,。？?还]{1,8}还是(一直|只有?|就|光|单|仅)|^还是(?![一二三四五六七八九十\d]期|早期|晚期|[很比挺蛮算])|(?<![好键要主根效用全佳])的还是(?![比很挺更多少要得会能可是不没有就在])(?=[\u4e00-\u9fff])"
                          # 宝宝吃的母乳还是奶粉: what the patient takes, A or B, the 是 left out (not 最好的办法还是多喝水)
                          r"|(?:^|(?<=\s))[^，,。？?\s]{0,6}(吃|喝|用|打|抹|涂|戴|买|开|做|输)的[^，,。？?还的]{1,6}还是(?![比很挺更多少要得会能可是不没有就在最])[\u4e00-\u9fff]{1,8}$"
                          r"|(?P<alt>[\u4e00-\u9fff])还是(?![要得会能可应该])[\u4e00-\u9fff]{1,4}(?P=alt)$"
                          # 疼的位置在肚脐周围还是右下腹: 在A还是B, a place asked (not 在家休息还是最好的, 建议在家观察还是…: options)
                          r"|^(?![^，,。？?]{0,8}(建议|可以|最好|应该|推荐|考虑))[^，,。？?]{1,8}在[^，,。？?还]{1,10}还是(?![比很挺更多少要得会能可是不没有就在最])(?=[\u4e00-\u9fff])")
_INTERROGATIVE = re.compile(
    r"(?<![为没不])(?<!不是)什么时候(?![\u4e00-\u9fff]{0,3}都)"  # one unit: "烧心一般在什么时候出现" asks at the clause's end
    # (什么时候戒都不晚: whenever)
    r"|(?<![为没不])(?<!不是)什么(?![都也的])(?![\u4e00-\u9fff]{1,4}[都也])"  # 比吃什么补药都管用
    r"|哪(?!怕)[里儿个些边种一天位]?"
    r"|多久|多就了?$|多长时间|多长|多大|多高|多重|多远"
    r"|多少(?![有会也都还能要得带])"
    # (搽多几次: "a few more times", said to the patient; not 差不多几点: roughly when)
    # (稍微推迟几天不影响效果: a few days later or earlier; 月经推迟几天了 still asks)
    r"|(?<![好十这那前后头近过再隔每下])(?<![^不]多)(?:(?<![迟延晚早拖])|(?=几个?[次天周月年小][^，,。？?]{0,2}了))几(?![乎率])[次天岁个点年月周小分斤度片颗回遍号顿口杯支根包类级期型碗瓶两俩楼层付服剂勺袋粒组针]"
    r"(?!之内|内|以内|后|以后|左右)|(?<![十这那前近])几(毫米|毫升|毫克|厘米|公分|公斤|公里)"
    r"|(?<=[得做犯发有生住去吃醒]过)几[次回遍个种]"
    # Sichuanese 好多 is "how many, how much": 一天抽好多根, 血糖测了好多 (not 好多了: much better)
    r"|(?:(?<=[测量抽吃喝]了)|(?<=[测量抽吃喝是有]))好多(?=[根个次回包杯支瓶斤碗顿\s]|$)"
    r"|怎么样|(?<![不没])怎么(?![办也都])|为什么|何时|(?<!换)(?<!对)(?<!是)谁(?![^，,。？?]{0,8}[都也]|对谁|是谁)|(?<=主要是)谁(?=在|来|管|带|照顾|陪)"
    # 吃的啥药, 啥时候开始的, 娃精神咋样, 咋了 (not 啥都, 咋办: what to do)
    # (睡前一般都在干嘛: what, its 嘛 stripped at the end as a closing particle; not 干嘛不…, why not)
    r"|(?<!不)干(嘛|啥)(?!不)|(?<=[在去要想来都])干$|啥(?![都也])|咋(?![办整])|(?<![冇没])咩(?!事|再|就|随时|可以|需要|问题)"
)
# Words that embed a question as an object ("明确是不是感染") or make a clause a condition.
# (我先说一下飞蚊症是怎么回事: what the doctor goes on to explain)
# (关键看痒不痒: what decides the diagnosis)
_EMBEDDING = re.compile(r"再说|再定|再决定|再商量|我(来|先)?(给(您|你)|跟(您|你))?(说|讲|解释|介绍|科普)(一下|下)|我(来|先)(给(您|你)|跟(您|你))?(说|讲|解释|介绍|科普)"
                        r"|我(给|跟)(您|你)(说|讲|解释|介绍)|解答|回答|讲解|问清楚|(?<![我想])问问|问一问|咨询(一下)?(医生|大夫|药师)|记录|记下|明确|确定|(?<![跟和向]您)(?<![跟和向]你)(?<![我想要])确认|判断|了解|知道|看看|看一下|重点看|注意看|仔细看|(关键|主要)(还是)?(要|得)?看(?!东西|书|手机|电视|电脑|屏幕|字|远|近|得|了|过)|观察(?!到)|留意(?!到)|关注|排除|取决于|决定|弄清|分清|查明|评估|鉴别|要看|(先|要|再|仔细|注意)检查|^(再|先|去)?看$"
                        # 每天自己摸一摸有没有震颤, 贴上去听有没有杂音: what the patient is to check by touch or ear
                        r"|(摸一?摸|听一?听|(贴|凑)(上去|过去|近)听)$")
# What makes a question before it the subject of a statement: 有没有效果要看体质, 管不管用得吃两周才知道.
# (是不是细菌感染得靠血常规来判断: the test that answers it)
_SUBJECT_OF = re.compile(r"^[^，,。]{0,8}(得|要|需要|只能|还得|主要)靠[^，,。]{1,16}(判断|确定|区分|鉴别|明确|诊断|确诊|排除)"
                         r"|(其实|都)?(区别|差别|差异)(不大|不太大|不明显|很小)|(其实)?(不是|并非)(关键|重点)|不重要|无所谓|没关系|不要紧|再(决定|定|考虑|商量)|要看|取决于|搞清|弄清|搞明白|弄明白|查清|查明|因人而异|才(能)?(知道|确定|看出|判断)|说不准|不好说|(不是|不光|不只|并非)(只)?看")
_HABITUAL = re.compile(r"一般|通常")
# 多少人查出结节就整晚睡不着: "so many people", then how they take fright, an exclamation (not 多少人会得这个病, 多少人查出结节就做了
# 手术: asked)
_MANY_TAKE_FRIGHT = re.compile(r"多少(人|家长|患者|病人|妈妈|宝妈|父母|老人|年轻人|孩子)[^，,。？?]{0,12}?就[^，,。？?]{0,6}?"
                               r"(睡不着|吓|慌|急|焦虑|担心|害怕|紧张|哭|崩溃|不敢|六神无主|愁)")
# 这两点比拉了几次更要紧: the interrogative is what something else is compared with, nothing is asked
_COMPARED_WITH = re.compile(r"比[^，,。比]{1,8}$")
_COMPARISON = re.compile(r"^[^，,。？?]{0,4}(更|还要|还)(重要|要紧|关键|有用|有意义|能说明|说明问题|危险|严重|可靠|准)")
# (能戴多久算多久: as long as it goes)
# (想吃什么就给一点: whatever he wants, then what to do)
_FREE_CHOICE = re.compile(r"(什么|哪里|哪儿|哪个|多少|多久|多远|怎么|谁|啥)[^，,。？?]{0,6}?(就|都|算)[^，,。？?]{0,4}?\1|想[\u4e00-\u9fff]{1,2}(什么|啥)就[^，,。？?]{0,6}")
# 要不先把…改到早上吃，看看…？ / 咁你不如试下戒咗咖啡先，睇下…？: a proposal, then the trial of it
# (…，连吃五到七天，把经期那次头痛压一压？: or what it is to hold down) (or what else it
# keeps to: 要不这周先别上场了，就做做上肢力量？)
# (要不要试试睡前热敷一下腰，再做几组小燕飞？: what else the proposal takes in)
_TRIAL = re.compile(r"^(再)?(看看|试试|观察|看一下|试一下|睇下|睇睇|睇吓)|^把[^，,。？?]{1,12}(压一压|压下去|压住|控制住|稳住|降下来)|^(先)?试[一两三几]?个?(礼拜|星期|周|晚上|晚|段时间|阵子)|^(就|只|光)(?!是)[\u4e00-\u9fff]"
                    r"|^(再|然后|顺便)(做|练|加|配合|吃|喝|用|泡|敷|贴|涂|抹|按|揉)")
# 能不能把刷牙时间延长到两分钟，用巴氏刷牙法？: a second thing to do, in the same proposal (not …，吃得下饭？)
# (能不能先别戴隐形眼镜，改戴框架眼镜？: what to wear instead; 要不晚饭后先别躺下，…，过两个钟头再睡？: when to do the rest)
_PROPOSAL_GOES_ON = re.compile(r"^(过|等|隔)?[^，,。？?]{1,6}?(以后|之后|后)?(再|才|就不|就别)(?!说)|^(再|并|然后|同时|顺便|配合|或者)?(改)?(用|换|吃|喝|涂|抹|做|练|加|戒|停|少|多|早|泡|敷|戴|穿|坚持|每天|睡前|饭后|饭前)(?![得不了过没])")
_PROPOSAL_LEAD = re.compile(r"(那|那么|咁)?(你|您|咱们?|我们)?(要不(?![要然是了])" + _PROPOSAL_WHEN + r"|(?<![还都也远])不如|要不要(先|试|考虑))")
# 注意观察是否发热，还有伤口周围有没有红肿: a second object of the same watching
# …每半年来复查一次，看封闭剂有没有脱落: after advice, 看… says what it is for (not 看东西有没有重影: the patient's sight)
_PURPOSE_LOOK = re.compile(r"^(再|好)?看(?!东西|书|手机|电视|电脑|屏幕|字|远|近|得|不|了|过)[\u4e00-\u9fff]")
# 观察一下宝宝精神状态，是否嗜睡: a clause of watching, its object (是否…) in the clause after it
_WATCHING = re.compile(r"^(请|要|注意|密切|多|再|先|继续|在家)?(观察|留意|监测|关注)(?![了过到])")
_WATCHED_SIGN = re.compile(r"有没有|是不是|会不会")
_NOW = re.compile(r"^(现在|目前|最近|之前|以前|平时|这几天|今天)")
_CONTINUES_OBJECT = re.compile(r"^(还有|以及|及|和|或者|或是|包括|另外还有|再就是)")
_DAILY_COUNT = re.compile(r"^(每天|每日|一天)[^你您]{0,6}几(次|组|遍|回)$")
_WILL_BEFORE = re.compile(r"会[\u4e00-\u9fff]{0,3}$|(过去|过来|进去)$|(就|先|再|多)(停|歇|休息|养|等|观察|坚持|吃|用|涂|抹)$|(稍等|等一下|再等)$"
                          # 再配合几次心理咨询: "a few more", a further step of the advice
                          r"|^(再|并|同时|另外|还可以|也可以)(配合|做|加|练|上|约|找|去|吃|用|来)$")  # 就停几天
# 停透几天血钾一高是会要命的: "a few days", then what will follow from them, asserted with 是…的 (not 停几天会好？, asked)
_WILL_AFTER = re.compile(r"^[^，,。？?]{0,10}(是|都|也|就|肯定|一定)?会[^，,。？?]{1,10}的$")
# 有什么不舒服随时再来: "anything", then what to do about it
# (有什么不舒服再来, 有啥不舒服随时在来: 再 after what is wrong, and 在 typed for 再; not 什么时候再来: when)
_ANY_THEN = re.compile(r"^(?!时候|时间)[^，,。？?]{0,6}?(随时|及时|马上|立刻|赶紧|就|(?:(?<=不舒服|不对劲|无爽快)|(?<=不适|异常|问题|情况))(再|搁|擱|阁|閣))(再|在)?(来|回来|过来|找|联系|告诉|跟|说|讲|问|复诊|就医|就诊|去|到|打)")
# How far before and after a question word the checks above read (the longest labelled reach is far shorter)
_NEAR = 64
_NEGATED_BEFORE = re.compile(r"(不|没|唔|冇|并不|并没|无)(代表|说明|意味着|是|系|有|用|需要|必)?.{0,3}$")
# After the interrogative, what makes it a topic or a statement ("一般几天就会缓解"), not a question.
_TOPIC_AFTER = re.compile(r"要看|取决于|因人而异|不一定|不好说|看情况|^.{0,3}(就|会|能|可以|才|左右)")
_CONSEQUENT = re.compile(r"就|先|可以|再|要|得|马上|赶紧|立即")
_CONDITIONAL = re.compile(r"^(如果|假如|要是|若|一旦|不管|无论|不论|至于|即使|哪怕)|(?i:^(if|when|unless)\b)")
# 你问能不能喝中药调理？: the patient's own question said back (not 你问的是左边还是右边？, 你问过医生吗？)
_ECHOED = re.compile(r"^(你|您)(刚才|刚刚)?问(我)?(?!的|过|了|一下|问|题)[\u4e00-\u9fff]")
# (很多病人一上来就问…: the first thing they ask, as in _THIRD_PARTY_ASKS)
_REPORTED = re.compile(r"(?<!请)问的|会问|常问|有人问|人问|(上来|开口|见面|进门|第一句话?)就问|(家长|患者|病人|网友|妈妈|宝妈|朋友|粉丝)问|问到|所问|问我|(?<![我想])(你|您)(刚才|刚刚|说)?问")
# A question about what to do, answered in the next sentence, is a rhetorical device of advice.
_WHAT_TO_DO = re.compile(
    # (这结石咋整？, Wuhan 么样才能让骨头长得快些？: what to do, asked to be answered)
    r"怎么办|咋办|咋整|怎么整|(怎么样|怎样|么样|咋样)才(能|会|可以)|如何|怎么(做|处理|治|预防|缓解|护理|吃)|该(怎么|如何|吃|用|做|去)|需要(注意|做|吃)?什么"
    r"|(什么时候|何时)(开始)?(需要|应该|该|要|去|吃|用|复查|就医|可以|能|必须|一定要)|(什么|哪些|哪种|哪几种)(情况|症状)(下)?(就)?(得|要|需要|应该|该|必须)|要不要|需不需要|应不应该|效果(最好|更好)|最好"
    r"|(吃|喝|用|做)什么(好|比较好|合适)|什么情况下|有没有必要|有必要吗"
    r"|为什么|何以|为何|怎么(快速|准确|简单|自己|在家|正确)?(判断|区分|分辨)|(多少|什么|哪些|怎样).{0,8}(才)?算|(多少|几|什么|哪)[^，,。]{0,4}(合适|为宜|比较好|最好)"
)
_SECOND_PERSON = re.compile(r"你|您")
_GREETING = re.compile(r"^(您|你)好[，,！!]?")  # 您好，什么时候需要…: the greeting addresses no one's question
# Why / how to tell / what counts as: asked to explain, even with 你 in it (你这个情况为什么会反复呢？主要是…).
_WHY_HOW = re.compile(r"为什么|为何|怎么(快速|准确|简单|自己|在家|正确)?(判断|区分|分辨|知道|看出)|怎么回事|如何(判断|区分|分辨)|(多少|什么|哪些|怎样).{0,8}(才)?算")

# 三天后把空腹血糖发给我, 下周复查完告诉我结果: a result to report when it exists, later; an instruction, not a request
# for what is so now (not 明天把化验单发给我: what the patient has, sent tomorrow)
_LATER_REPORT = (r"^[^，,。？?]{0,4}(?<![这近])([一二两三四五六七八九十\d]+个?(天|周|星期|礼拜|月)(后|以后|之后)|下周|下个?月|下次"
                 r"|过(几|两|一|三)天|(复查|测|量)(完|好)(后|以后|之后))[^，,。？?]{0,16}(告诉|通知|发给|传给|报给)我(结果|数值|读数|情况)?(一下|吧|哈|看看|看一下)?$")
# (需要跟您确认一下，…？: what the doctor needs to check with the patient leads a question; it advises nothing)
_A_STRONG_RE = re.compile(
    r"(?<!的)(?<!给出)(?<!给您)(?<!给你)建议(?!(你|您)?(?![\u4e00-\u9fff]{0,5}(先|去|到))[\u4e00-\u9fff]{0,6}的(?!话)(?=[\u4e00-\u9fff])|(你|您)?的|之前|以前)|推荐|应该(?![的是做])|应当"
    r"|我的(意见|建议|看法)(是|呢)|还需要(?=(再|加|进一步)?(做|查|复查|去|住院|手术|吃|用|打|输|治疗))|(?<![还我有])(?<!评估是否)(?<!判断是否)(?<!决定是否)(?<!明确是否)(?<!确定是否)需要(?!了解|知道|问|你|您|补充|我|先了解|先问|先知道|很大的勇气|勇气|向(您|你)|确认|(跟|和)(您|你)(确认|核实|核对|了解))|必须(?!问|了解|知道)|一定要|(?<!不)一定(得|别|记得|放|按|坚持|注意|带|去|来|吃|用|戴|少|多)|最好|务必|切记|千万"
    # (要特别留意这一点: what to watch out for, as 注意)
    r"|(要|得|需要|应该)(特别|格外|多|重点)?留意(?![到了过吗么])|注意(?!到|过)|避免|(?<!要)不要|弗要|覅|(?<!能)不能|(家庭)?作业(是|就是)|(?<![特区分级类性识辨告鉴差])(?<![^这那两几各俩]个)(?<!^个)别(?![人的处家]|$)|勿|禁止|禁用|禁食|禁水|忌|小心(?!翼翼|眼|思)"
    # (不舒服的话告诉我: to be told if it happens)
    r"|(的话|如果|要是|一旦|万一|假如)[^，,。]{0,12}(告诉|通知|联系)我(一下|吧|哈)?$|" + _LATER_REPORT + r""
    # (就要马上回来, 摸不到了马上回医院, not 我去问问上级医生，马上回来: the doctor; 要抓紧练: the window of rehabilitation)
    r"|(?<!没能)(?<!未能)(?<!没有)(?<!不能)及时|尽快|尽早|立即|立刻|即刻(去|返|到|来|嚟|睇|打|停|食|送|入院|call|搽|涂|擦|抹|冲|洗|敷)(?![咗了过])|马上(去|到|来|就医|就诊|停|送|打)|(?<=[就要得请了])马上回(来|医院|诊)|赶紧|赶快|抓紧(时间)?(去|治|看|吃|做|查|练|锻炼|康复|复查|处理)|(唔|毋)好(?!意思)|就医(?!卡|记录)|就诊(?!卡|号|记录|信息|人|者)|(?<!上次)(?<!上回)(?<!前次)(?<!上一次)(?<!最近一次)复诊(?!已|到现在|以来|情况|结果|医生|大夫|医师|护士)|回诊|(?<!上次)(?<!上回)(?<!前次)(?<!这次)(?<!此次)(?<!本次)(?<!上一次)(?<!最近一次)复查(?!到现在|以来|的(?!时候))|(?<![在从])(?<!处理)(?<!处理个)(?<!处理一个)(?<!抢救)急诊(?!病人|患者|的病人|班|值班|医生|分诊|预检|台)|打120|遵医嘱|医生指导|去医院|到医院|来医院"
    # Cantonese 有咩唔舒服就即刻返嚟医院: come back at once (so 咩 there is "anything", not "what")
    r"|返(嚟|来|去)(医院|复诊|覆诊|急症|急诊)"
    # 你要看医生: 要看 alone is what something depends on (要看症状), but not before a doctor
    r"|(?<![不没想])(要|得)去?看(医生|大夫|急诊|门诊)(?![了过吗没])"
    r"|^这(个|种)?(伤|情况|口子)?(得|要|需要|必须)(?![看多几什啥])(缝|去|马上|赶紧|打|拍|做|查|住院|手术|处理|清创)|去.{0,6}科|到.{0,6}科|不宜|不可以|防止|预防(?!接种(证|本|卡|记录)|药)|警惕|(就|还|必须|先)得"
    # 得做根管, 照顾的人也得喘口气: must (not 得了, 得过, 得看情况, 得嘞: caught, depends, agreed; 得用什么药: asked)
    r"|(^|(?<=[也都]))得(?!了|过|的|到|病|看|知|出|分|益|亏|罪|意|当|劲|失|很|太|挺|嘞|咧|勒|啦|嘛)(?=[\u4e00-\u9fff])(?![^，,。？?]{0,12}(什么|啥|哪|多少|几|怎么|吗|么))"
    # 抗组胺药得停一周, 这周得安排输一次血, 方案得调了: a drug, a week or a plan, then must and what to do to it
    # (not 觉得做, 记得吃, 值得查: the 得 of another word)
    r"|(?<![觉记懂晓值舍免省显获取使难及认])得(?=停|调|换|加量|减量|输|安排|住院|手术|复查|戒)(?![^，,。？?]{0,12}(什么|啥|哪|多少|几|怎么|吗|么))"
    # 请向您的主治医生确认…: what to take up with the doctor or pharmacist who treats the patient
    r"|(请|要|可以)?(向|跟|找)[^，,]{0,8}(医生|大夫|医师|药师)(确认|咨询|问|说明|反映|沟通)"
    # 饭后记得散步, 要先排除高血压: a reminder, and what must be done first
    r"|(?<![我你您不还])记得(?![吗么])|记住|(?<![是我])(要|得|需|需要)先(?!了解|问|知道|弄清|搞清|确认|看看)"
    r"|(?i:\b(should|must|recommend|suggest|need to|have to|make sure|avoid|don't|do not)\b"
    r"|\bsee (a|your) doctor|\bgo to (the )?(er|hospital|emergency|clinic|doctor)|\bseek\b|\bcall (911|120|an ambulance))"
    # go A&E straight away, call 111 if…: the emergency department and the helplines by name
    r"|(?i:\bgo (straight )?(to )?(the )?(a&e|a and e|er|emergency|casualty)\b|\bcall (111|999|112|000|995|the ambulance)\b"
    r"|\b(straight|right) away\b)"
)
_A_ACTION_RE = re.compile(
    # not 可以说说话的人: 可以 inside what describes a person or a place
    r"可以(?![^，,。]{0,8}的(人|地方|时候))|就行|就好了?|就可以|就(足)?够(了|哒|啦)|就中$"  # (Henan 买个牙胶给他咬咬就中)
    r"|多(喝|吃|休息|运动|饮水|补充|晒|活动|做|练|锻炼)|少熬(点|些|一点)?夜|少(吃|喝|熬夜|食|咥|油|盐|糖|说话|抽|碰|接触|用|坐|躺|玩|放(?![了过心]))|少(看|刷)(点|些|一点)?(手机|电视|电脑|屏幕|视频)"
    # 维持现在的胰岛素剂量，三天后再看血糖: the plan kept, and when to review it (not 三天后再看也没消: what happened)
    r"|维持(现在|目前|原来|原有|之前|现有)的?(剂量|用量|药量|方案|治疗|用药)"
    r"|[一二两三四五六七八九十\d]+个?(天|周|星期|月)(后|以后)再(看|查|测|量|复查|来|评估|决定|调整|抽)(?![了过也还都])"
    # 要连续测一周: how long to keep measuring (not 已经连续吃了三天: what was done)
    r"|连续(测|量|监测|记录|服用|吃|用|打|涂|留)(?![了过着])[^，,。]{0,4}[一二两三四五六七八九十\d]+个?(天|周|星期|月)"
    # 打完在接种点留观30分钟: stay to be watched (not 昨晚在急诊留观了一夜, 已经留观, 留观室)
    r"|(?<![已经正在])留观(?![了过的室])"
    # 少去人多的地方 (not 平时很少去医院: a habit)
    r"|(?<![很较太更极减缺多])少(去|出门|外出|串门)(?![了过])"
    # (我是戒烟门诊的护士: the clinic's name, not the advice to quit)
    r"|戒烟(?!门诊|科|中心|热线)|戒酒(?!门诊)|(要|得|应该|最好)戒|(?<![担心怕想])戒(了|掉)(?!以后|之后|后)|按时|按疗程|慢慢(调|养)|(?<!已经)坚持(?![了过])|保持|控制好|控制(饮食|体重|血压|血糖|情绪)|(要|得|应|需)(控制|减少|增加|限制|保证)"
    r"|(?<!病情|情况|信息|资料)补充(?![】\]]|(以下|一下)?(信息|资料|病情|情况))|冷敷|热敷|冰敷|按摩|泡脚|保湿|保暖|深呼吸"
    # 目前正在服用的药物: the medicines the patient takes, a topic, not a dose to take
    r"|(?<!在)(?<!目前)(?<!现在)(?<!平时)(?<!一直)(?<!长期)服用(?![的过了])|口服|外用(?!药?的?(名称|名字|名))|涂(点|上|一些|抹)|(吃|喝|用|含|加)(点|些|一?片|一?粒|一?颗|半片)(?!什么|啥)|^(请|您|你|你们|您们)?(先)?(记录|记下|写下来|写在|写到)|(每天|每日|每晚|每周)[^，,。几多]{0,4}(记录|记下|记一下|记好|写)(?![了过])"
    # 做个B超, Cantonese 做吓爬墙练习: a test or an exercise to do
    r"|(做|查|测|量|拍)(一?个|一下|一次|吓)(?!照)|检查一下|(先|暂时)(用|吃|喝|食|饮|服|涂|抹|擦|搽|打(?![不开算听])|吸|喷|含|滴|敷|雾化|冷静|休息|歇|观察|停|躺|不要|去|做|查|量|测|减|加|住院|暂停)|停用|暂停(使用|戴|佩戴|服用|吃|用|运动|训练|游泳|跑步|哺乳|喂奶)|停药|换用|试试|试一试|试一下"
    r"|换(把|个|一种|一下|成(?!谁|是|我|你|您|别人|任何))|让(他|她|孩子|宝宝|老人|病人)(?!感到|觉得|感觉|很|更|特别|不)|按压(?!的时候|时|后|痛|疼)|止血(?!带|钳)|物理降温|包扎|消毒|冲洗|湿敷|垫高|抬高|先把(?![^，,。]{0,8}(问清楚|问一下|了解|弄清|搞清))|卧床|休息(一|两|几|\d)"
    # 早上空腹吃, 隔开4小时: when a medicine is taken (not 晚上吃饭常喝…, 昨天晚上用…: what the patient does)
    # (Tamsulosin 睡前吃: the medicine named in Latin before it)
    r"|(^([A-Za-z][\w\-]*\s*)?|每天|每晚|每日)(早上|早晨|晚上|睡前|空腹|饭前|饭后|餐前|餐后)(半小时|一小时)?(空腹)?(吃|服)(?![了过的饭]|还是)"
    # 起身要慢, 主食减半, 黄连减到3g, 多加一份绿叶菜, 这周先不化疗: how to move, what to cut or add, what to hold
    r"|要(慢|轻|缓)(一?点|些)?$|减半(?![了过])"
    # (起身的时候)慢一点, 把超滤量调小一点: how to move, a setting turned down (not 恢复得慢一点, 已经调小一点了)
    r"|^(慢|轻|缓)(一?点|些)儿?$|(?<![已经])(调|放|降|拧|开|关)(小|低|慢|少|轻|松|大|高|快)(一?点|些)(?![了过吗么])|(减|加|调|降|增)(到|至)\s*[\d.一二两三四五六七八九十半]+\s*(g|mg|克|毫克|片|粒|单位|ml|毫升|袋|支)$"
    r"|(?<![我你您他她])多加(?![了过])|(?<![我你您他她])先不(化疗|吃|用|做|打|手术|处理|输|换|加|减|停|治|查|拔|补|管)"
    r"|(间隔|隔开|错开|至少隔|最少隔|相隔)[^，,几多]{0,6}(小时|分钟|天|周|星期|个月|年)|每(隔|过)[一两三四五六七八九十半\d]+个?(小时|钟头|分钟)[^，,。几多]{0,4}(起来|起身|站|走|活动)"
    # 一次5毫升, 一天不超过4次 (a dose); 避光保存, 随身携带, 开封后半年内用完 (how a medicine is kept)
    r"|一次\d+(\.\d+)?(毫升|ml|mL|毫克|mg|克|g|片|粒|袋|滴|支|包|丸|喷)|(一天|每天|每日|每周|每月|一周|一个月|一年|每年|24小时(内)?)(最多|不超过|不能超过|不要超过)"
    r"|越(早|快)[\u4e00-\u9fff]{0,6}越(好|有效)|各[一两\d]针|加强一?针|下一步(就是|是|要|得|需要)?(做|查|去|吃|用|住院|手术|复查)|复测|(?<![你您])再(测|量|查)(?![了过吗没])|(?<![还都也远])不如(先|试|去|戒|停|换|少|多|食|饮|吃|喝|用|早)|要不要考虑(?![吗么])|(还要|要|需要|得)?(?:继续|接着)(这样|这么|照这样|照常)?(吃|用|服|涂|贴|打|拄|戴|穿|绑|目前|原来|原|现在|按|(?:做|练)(?![了过吗么]))|(要|得|需要|每天|按时|记得)(去|来|回来|过来)?换药|空腹(来)?抽(血|$)|(去|来|要|需要|得)抽(个|一)?血(?![了过吗没是的时])"
    r"|^(明天|今天|后天|下周[一二三四五六日]?|下午|上午|晚上)(再)?(来|过来|复诊|复查)$"
    # 导尿管先留三天, 刷牙换软毛牙刷: how long something stays in, what to use instead
    r"|(先|再|暂时)(留|保留|戴|插|带)(着)?[一二两三四五六七八九十\d]+个?(天|周|月|星期|礼拜)|(?<![我你您他她])换(软|新|干净|宽松|透气)"
    r"|(要|得)做(手术|检查|个)|先(平躺|躺下|坐下|坐着)|马上(补|吃|服)|(按|照)(原来|平时|规定)?的?时间(吃|服|用)|(按|照)(原来|平时|之前|现在|目前)的?(剂?量|方案)(吃|服|用)"
    # first aid step by step: 把孩子脸朝下趴在你前臂上, 用掌根…用力拍5下
    r"|^(先)?把(孩子|宝宝|他|她|病人|老人|患者|伤者|人|伤口|伤处)|^(先)?把[^，,。]{1,14}(收起来|拿走|扔掉|换掉|移走|洗干净|收好|放好|锁好|藏好|挪开|移开|搬开|拿开|清走|关掉|关上)"
    r"|每(天|周|日|晚|月)[^，,。]{0,14}(洗|换|晒|消毒|清洗|擦|拖)[^，,。]{0,3}一(次|遍)|用力(往下|向下)?(拍|按|压|推)|[拍按压推捏捂敷]\s?\d+\s?(下|次|分钟|秒)"
    # a dose or a test given as the whole answer (2.5ml), one test more (再加个尿常规), what to bring
    # 要是有就带来看看: bring the child in to be seen (not 拍过来我看看, a picture)
    r"|带(孩子|宝宝|娃|他|她|老人|病人)?(过)?来(医院|门诊)?(看看|看一下|瞧瞧|复查|检查)"
    r"|^\d+(\.\d+)?\s*(ml|mL|毫升|mg|毫克|g|克|片|粒|袋|滴|支|包|丸|喷)$|再加(个|一个|上|做|一份|一点|一些|点)|带上[^，,。]{0,12}(记录|病历|报告|化验单|片子|药)|(去|到|来)(ER|急诊室?|急症室?)|(?i:\b(I'?d|I would) (like (you )?to )?(add|start|rest|come back|suggest|recommend|switch|stop|keep|continue|avoid|take|use|wear|get|skip|hold|cut|reduce|lower|try|repeat|book|wait|refer|increase|put)\b|\b(start|put|keep) (you|him|her|them) on\b)|清淡饮食|饮食清淡|冲(着)?(喝|服)|(按|遵|照)说明书|(?<![没不])再(吃|用|服)(?![了过的])|避光|冷藏(保存|存放)?|密封(保存|存放)|阴凉(干燥)?处|随身(携带|带着?|备)|(开封|打开|开瓶)后.{0,6}用完"
    # 适合做艾灸调理; 我先帮您预约理疗, 我给您续一个月: what suits the patient, the plan the doctor makes
    r"|适合(做|用|吃|服|进行|采用)|(我|我们)(先|这边)?(给|帮|为)(您|你)[^，,]{0,6}?(开|续|预约|安排|换|调整|加|减|挂)"
    r"|^(这两天|这几天|这段时间|接下来|今晚|今天|明天|最近|近期|平时)?(请|要|注意|密切|多|再|先|继续|重点|主要)?(观察|留意|监测)(?![了过到])|^回(去|家)(后|以后)?(要|注意|多|再|继续)?(观察|留意|监测)"
    # Cantonese: 饮多啲水, 食清淡啲, 搽多几次润肤霜
    r"|(饮|食|喝|吃)多啲|(搽|擦|涂|抹|洗|冲)多几(次|遍|回)|少(食|饮)|清淡(啲|点|些)"
    r"|每(次|餐|顿)\d|每(次|餐|顿)[一二两三半](?!边|侧)|(要|得|需要)(吃|喝|睡)(够|足|饱)|(一天|每天|每日|一日)(至少|最少|最多)?[一二两三四\d][两三四五六]?(次|组)|饭[前后](?:(?!还是).){0,6}(吃|服)(?![的了过]|还是)"
    # (not 几个小点点: tiny dots, a sign)
    r"|[高低多少大小松早]点(?![儿点])|吸入(?!剂)|雾化"  # (吸入剂您平时是怎么用的: the inhaler named)
    r"|(要|应|尽量|平时)(少|多)(?![久少大长远高重]|就了?$|了解|问|知道)[\u4e00-\u9fff]|莫(要|去|吃|喝|送|让|熬|碰|抓|挠|用|再|阁|閣|搁|擱|搬|提|拎|扛|等|着急|担心|慌|怕|乱|随便|自己|一天到晚|天天|老是|总是|耍|玩|停|断|抽)"
    r"|(比较|更为?|最为?)(合适|妥当|稳妥|保险)(?!的)|保守(治疗|观察)|隔离(一|两|几|\d|观察)"
    # 抗生素要吃满疗程, 拐杖要用满六周, 角膜塑形镜晚上戴够8小时, 等病理出来再定, 蚊子包不用管它 (Cantonese 唔使开刀), 户外活动每天两小时
    # (Hakka 结核药爱食足半年 / 毋好自家停: 爱 is "must", 毋好 "don't", as Cantonese 唔好)
    r"|(吃|用|服)(满|够|足)(一个)?疗程|足疗程|(吃|食|用|服|戴|拄|穿|绑|睡)(满|够|足)[一二两三四五六七八九十半\d]+个?(天|周|星期|月|年|小时|钟头)(?![了啦吗么])|等.{1,12}再(定|决定|看|说|考虑|处理)|(做|查|拍|测)完[^，,。]{0,8}再(定|决定|说|考虑|处理)"
    r"|(不(用|需要?|必)|唔使|唔洗|唔需要)(管|处理|理会|治疗|治|吃药|用药|特殊处理|补|加量|加倍|减量|重新|重打|重来|从头|买|花钱|手术|开刀|动手术)|(?<![不没])(得|需)(补|住院|手术)(?![多几什啥])|每天[^几多，,]{0,4}[一二两三四五六\d半]+个?(小时|分钟)"
    r"|(?i:^(please )?(take|try|drink|rest|apply|use|keep|stop|eat|start|begin|limit|reduce|cut)\b|\bif needed\b)"
    # 按0、2、6个月接种, 感冒就往后推, 吃两周, 早晚各一粒, 加4单位, 每3天调整一次, 每两个小时帮他翻一次身: a schedule and a dose
    r"|按(照)?[^，,。|]{0,12}?(个月|天|周|小时|时间|疗程|说明|剂量|体重|顺序|程序|方案|医嘱)[^，,。|]{0,6}(接种|打针|注射|服用|服药|复查|吃|用)(?![了过])|往后(推|延|挪)|顺延|推迟(接种|打|吃|服|复查|手术)"
    r"|(?<![了过])(吃|用|服|涂|喷|抹)[一两三四五六七八九十\d]+个?(天|周|星期|礼拜|月)(?![了啦])"
    r"|各(一|两|半|\d+)(粒|片|袋|次|支|滴|喷|包)|(?:^|(?<=[\s|：:])|(?<=[再先就要需])|(?<=可以))(加|减|增加|减少|加到|减到|调到)\s*\d+(\.\d+)?\s*个?(单位|IU|u\b|U\b|mg|毫克|片|粒|ml|毫升)"
    # 呋塞米今天早上加到40毫克: a new dose closing its clause, wherever the clause begins (not 已经加到…, 加到100mg这两周:
    # done)
    r"|(?<!已经)(?<!已)(?<!曾)(?<!之前)(?<!上次)(加到|减到|调到|加至|减至|调至|增加到|减少到|调整到|调整为)\s*\d+(\.\d+)?\s*"
    r"(单位|IU|u\b|U\b|mg|毫克|微克|片|粒|ml|毫升|克)(?=\s*(先|再看看|试试|看看)?(吧)?$)"
    r"|每(隔)?\s*[\d一二两三四五六七八九十半]+\s*个?(天|周|小时|钟头|日)[^，,。]{0,10}(调整|测|量|查|复查|换|吃|服|用|翻|拍|喂|擦|活动)[^，,。]{0,2}一次"
    # 宜以山药煮粥调养, 治宜润肺止咳, 方中可加丹参: classical wording of advice; a diet checklist's steps
    r"|(?<![便适相])宜(?=以|用|服|食|多|少|常|静|早|晚|清淡|[\u4e00-\u9fff]{1,2}(化|补|清|温|润|疏|健|养|益|活|止|利|通))|可常服|(方中)?可加"
    # 先予三仁汤加减七剂, 方用逍遥散化裁: a formula prescribed, adjusted, for so many doses
    r"|((先|拟|续|再|可)予|方用|方选|治以|处以)(?=[\u4e00-\u9fff]{1,8}(汤|散|丸|饮|膏|丹|颗粒|胶囊))"
    r"|(汤|散|丸|饮)(加减|化裁)(?![了过吗么])|(汤|散|丸|饮|膏|丹)[一二两三四五六七八九十\d]+剂(?![了过吗么])"
    # 记在本子上, 写一份情绪日记: a diary kept for the doctor (not 我写了日记)
    r"|不进食|记(在|到)[^，,。]{0,8}(日记|本子|本上|手机)|(?<![我他她])(写|记)(?![了过])[^，,。]{0,6}(日记|日志)(?![了过吗么])|每(天|周|日)[^，,。几多]{0,8}(称重|称|测|量)[^，,。]{0,3}[一两二三四五\d]次"
    # 药可能要调整: a change of treatment to come
    r"|(要|需要|得|应)调整(一下)?(药|剂量|方案|用药)?"
    # code-switched advice: 先 check 一下血常规, 两周后 follow up
    r"|(?i:\b(re)?check)\s*一下|(后|再|要|需要|记得|按时|定期|回来|来|计划|就)\s*(?i:follow[ -]?up|re-?check)(?![ -]?(日期|date|时间))|(要|得)跟上"
    r"|请[^，,。]{1,8}会诊"
    # 阿莫西林 0.5 tid 7天: a prescription's frequency; 每天吃400单位, 一直吃到两岁: a daily dose and how long
    r"|(?i:(?<![A-Za-z])(qd|bid|tid|qid|qn|qod|prn|q\d{1,2}h)(?![A-Za-z])(?!\s*(?:那个|这个|的)))"
    r"|(每天|每日|一天)(吃|服|用|补|喝)[\d一二两三四五六七八九十半.]+\s*(单位|IU|mg|毫克|微克|μg|ug|片|粒|滴|ml|毫升|克)|(一直|坚持)(吃|用|服|补)到"
    # 晚饭吃七分饱, 主食换一半粗粮
    r"|[七八]分饱|换(一半|一部分)"
    # 早餐加一个鸡蛋, 午餐保证一拳头大小的肉, 先这样吃起来: a meal plan (not 早餐吃了什么, 先这样吧)
    r"|(早|午|晚)(餐|饭)(再|多|少)?(加|添|保证|换成)(一|两|半|\d|点|些)|先这(样|么)(吃|做|用|练|治|处理|试|安排)"
    # 能不能试着11点前…, 二甲双胍加量, 每周打一次, 隔两周再来打, 能撤就撤, 你先下楼…, Minnan 逐工着食
    r"|试着(?=[\u4e00-\u9fff\d])|(给|帮)(你|您)安排(?=输|做|住院|手术|检查|复查|打|查|化疗|透析)|(?<![增])(?<!一次)(?<!上次)加量|减量|每(天|周|日|晚|月|年)(都)?(要|得|需要)?(打|吃|服|用|注射|涂|换)(一|两|二|三)次"
    r"|隔[一两三四五六七八九十\d半]+个?(天|周|星期|月|小时)(再|后)|能(?P<can>[\u4e00-\u9fff])就(?P=can)|^(你|您)先(?![说讲告描别前])[\u4e00-\u9fff]"
    r"|(逐工|每工)[^，,。]{0,4}(着|要)?(食|吃|呷)|着(食|呷)(?![了过])"
    # Shaanxi 盐少咥些 (咥: eat), 酒再不敢喝咧: 不敢 before 咧 forbids (not 我不敢喝, 娃不敢吃药咧: dare not)
    r"|(?<![我他她娃俺])(?<![我他她娃俺][再可就也])(再|可|千万|就)?不敢(吃|喝|咥|抽|熬夜|碰|沾|干|动|提|搬|停)[^，,。]{0,3}咧$"
    # Taiwanese Hokkien 盐爱食较少, 着睏较早: 爱/着 (must) and 较 (more) before what to do (not 我爱吃较淡的: like)
    r"|(爱|着)(食|呷|啉|吃|喝|睏|困|睡|行|动|运动)(较|卡)(少|淡|清淡|早|济|多|慢)(?!的)"
    # 每小时做10次, 第二周开始练屈膝: a rehabilitation schedule, the exercises and when each starts
    r"|每(个)?(小时|钟头)(做|练|活动|起来)[^，,。]{0,3}[\d一二两三四五六七八九十]+(次|组|遍|下|分钟)|(第[一二两三四五六七八九十\d]+(天|周|个月)|[一二两三四五六七八九十\d]+(天|周|个月)(后|以后))开始(练|做|下地|负重|走路|活动|吃|用)(?![了过吗么])"
    # 越早治疗效果越好 (the sooner the better, said of treatment); 要按突发性聋处理: what to treat it as
    r"|(要|得|需要|应该?)按[^，,。？?]{1,10}(处理|治疗)(?![了过吗么的])"
    # 把晚饭提前到六点半, 把刷牙的时间延长到两分钟, 把主食换成杂粮: a change of the patient's routine
    # 智齿反复发炎就该趁早拔了 (not 趁早上空腹: while it is morning; 当时没趁早治: what was not done)
    r"|(?<![没不])趁早(?!上)"
    # 不用额外加奶粉, 不必特意忌口: nothing more to do, a decision of care
    r"|(不(用|需要?|必)|唔使)(额外|另外|特意|专门|刻意)(?![的地])[\u4e00-\u9fff]"
    # 每天晚上固定一个时间上床, 固定时间量血压: a routine kept to; 吃饭得按顿吃, 要按时间吃: how to take it; 支具固定2周,
    # 卧床一周: how long to keep still (not 你是固定时间吃药吗: asked; 已经固定了两周: done)
    r"|固定(在)?(一个|同一个?|的)?(时间|时段|钟点)(?![了过吗么])|(要|得|需要|应该|最好)按[^，,。？?]{1,6}(吃|服|用|喝|打|涂)(?![了过吗么])"
    r"|(固定|制动|卧床|静养)\s*[一二两三四五六七八九十半\d]+\s*个?(天|周|星期|礼拜|月)(?![了啦前])|拍(拍)?嗝|竖(着)?抱"
    # 要改成糊状食物，小口慢喂: the change of diet, how to feed (not 后来改成一天两次了)
    r"|(要|得|需要|应该|应|最好)(改|换)(成|为|用)(?![了过])|小口(慢慢?)?地?(喂|吃|喝|咽)"
    r"|把[^，,。？?]{1,10}(提前|推迟|挪|延长|缩短)到|把[^，,。？?]{1,10}(换成|改成|改为|调成|调到|减到|降到|控制在)"
    # 骨折至少要固定六周; 要关注的是精神状态: how long at least, what to watch
    r"|(至少|起码|最少)(要|得)[\u4e00-\u9fff]|(要|需要|应该|得)(重点)?(关注|重视)"
    # 恢复期就是要练, 奶量要加上去, 得做根管治疗, 术后要戴护具六周, 这样稳妥些; 每天用温盐水漱口三次
    r"|就是要(?![看问了])[\u4e00-\u9fff]|(要|得|需要|应该)(加|减|增加|减少|提|降|调)(上去|下来|上来|下去)(?![了吗么])"
    r"|(要|得|需要|必须)做[\u4e00-\u9fff]{0,6}(治疗|手术|检查|切除|修复|矫正|穿刺|活检|造影|镜)(?![了过吗么])"
    # (得做OGTT, 要查个CT: a test named by its Latin letters)
    r"|(要|得|需要|必须)(先)?(做|查|拍)(个|一个|一下)?\s?[A-Z]{2,}(?![A-Za-z]*\s?(吗|么|了|过|没))"
    # 那么接下来要做骨髓穿刺: the next step of the plan (not 接下来要问您几个问题)
    r"|接下来(就)?(要|得|需要)(?!问|了解|知道|确认)[\u4e00-\u9fff]|(要|得|需要|必须)(戴|穿|绑|拄|固定|制动)(?![了过吗么])"
    r"|(稳妥|保险)(些|点|一些|一点)"
    # 血磷高要配合吃磷结合剂: what goes with the treatment (not 需要配合吗, 他不配合: asked, the patient's attitude)
    r"|(要|得|需要|应该|必须)配合(吃|服|用|打|做|治疗|锻炼|运动|饮食|康复|医生)(?![了过吗么])"
    # 坦索罗辛每晚睡前一粒, 膏药一天一贴, 甘精每晚加两个单位, 早上空腹吃, 继续固定, 不用拆, 要慢慢加到两千步, 6个月后补上,
    # 结果出来再决定用什么药: a dose, a plan, what to keep or leave (not 已经加了两个单位, 是空腹吃的吗, 继续固定了吗: done, asked)
    r"|(每晚|每早|睡前|一天|每天|每日)[^，,。？?]{0,3}[一二两三半]+(粒|片|贴|袋|包|丸|颗|支)(?![了过吗么])|(?<![已])(加|减)[一二两三四五\d]+个?单位(?![了过吗么])"
    r"|(早上|早晨)?空腹(吃|服)(?![了过的饭吗么]|还是)|(继续|接着)(固定|制动|戴着|绑着)(?![了过吗么])|(不(用|需要?|必)|唔使)(拆|加强|复种)(?![了过吗么])"
    r"|(要|得|只能)慢慢(加|减|增加|减少)|(后|以后)(补上|补打|补种)(?![了过吗么没])|(结果|报告|病理)出来(以后|之后|后)?再(定|决定|说|看|考虑|处理|调整|用药)"
    # 要停阿司匹林5到7天, 轻轻拍背, 三餐前各加1U, 全面禁烟, 吃两片布洛芬, 一块带过来, 化疗前加一个阿瑞匹坦: what to stop,
    # do, add or bring (not 要停多久, 要停吗, 吃了两片: asked, done; 走多远要停下来: a pause in walking)
    r"|(要|得|需要)(先)?停(?![了过吗么多几什啥止经电水工课车下住顿留])|轻轻(拍|揉|按|擦|敷|推)|各(加|减)\s*[\d一二两三]|禁烟|禁酒"
    r"|(?<![了过])(吃|服|含)(两|三|半)(片|粒|颗)(?![了过吗么])|(一块|一起|一并)带(过来|来|上)(?![了过吗么])|(前|后)加(一个|个|一片|一粒|一种|一支)"
    # 还是按透析室给的限水量来: the rule to go by (not 他都是按时来: what he does; 那就按刚才说的来: agreed)
    r"|(还是|要|得)(按|照)[^，,。？?]{1,12}来$"
    # 要定期抽血, 今天先回家休息, 药继续点, 每打一次都要换, 要练本体感觉, 还要查肾功能, 要避孕的: a routine, a rest, drops
    # kept up, what to change each time, exercises, one test more, contraception (not 定期复查了吗, 要练多久, 还要查什么: asked)
    r"|定期[^，,。？?]{0,2}(抽血|复查|检查|查|监测|随访|体检|测|量)(?![了过吗么])|先回家(休息|观察|养)|(继续|接着)(点|滴)(?![了过头吗么])"
    r"|每[\u4e00-\u9fff]{1,3}一次都(要|得)|(?<!想)(要|得|需要)(多)?练(?![了过吗么多几什啥])|还(要|得|需要)(查|复查|抽血|拍|测)(?![了过吗么什啥几多])"
    r"|(要|得|需要|必须|注意)避孕(?![了过吗么])"
    r"|^(每天|每日|每晚|一天)(用|吃|喝|涂|抹|擦|滴|漱|洗|泡|冲|敷|做|练|含)[^，,。？?]{0,10}[一二两三四五六\d]+(次|遍|组|回)$"
    r"|(?i:\blet'?s (get|do|start|try|check|book|arrange|run|order|keep|stop|switch|add)\b|\bto be safe\b|\b(raise|elevate)\b)"
    # aim for 150 minutes…, cut down on sugary drinks, CPAP is worth considering; Why not try…? (not Why don't you
    # like the tablets?: asked)
    # (patches work best combined with gum: which to use; we'll recheck in six weeks: the plan)
    r"|(?i:\baim for\b|\bcut (down|back) on\b|\bworth (considering|trying|a try|a go)\b|(?<!what )(?<!which )\bworks? best\b"
    r"|\bwe'?ll (recheck|re-check|repeat|review|refer)\b"
    # I'll book you in for bloods, I increase the amlodipine to 10 mg (Singlish), come back in two weeks, keep going with
    # the metformin, try to get some red meat in, …, and take the tablets with juice, pop in to see the nurse, let's hold
    # off, I'd rather he came in tonight, I'd still like a dermatologist to look at it (not Before I change the dose, …)
    r"|\b(i|we)'?ll (book|refer|arrange|order|prescribe|start|put|organi[sz]e|request|increase|reduce|switch|change|up|lower"
    r"|send you|get you|give you|see you)\b|(?<!before )(?<!after )(?<!if )(?<!when )(?<!once )(?<!until )\bi (increase|reduce|add|start|switch|change|stop|put|prescribe|refer|book)"
    r" (the|your|you|him|her)\b|\b(come back|return|see you( again)?|review (you|it|him|her)) in (a|an|one|two|three|four|six"
    r"|\d+|a couple of|a few) (days?|weeks?|months?)\b|\b(keep|carry on) (going|taking|using|with|on)\b|\btry to\b"
    r"|\b(and|then|so) (take|try|drink|eat|use|keep|stop|start|call|book|rest|avoid|ring)\b|^pop (in|over|down|round|along|into)\b"
    r"|\blet'?s (hold|wait|leave|watch|stick|give)\b|\bi'?d (really |much |still |just )?(rather|prefer)\b"
    r"|\bi'?d (still |really |also )?(like|want) (a|an|the|him|her|them|someone|somebody) ([\w-]+ ){0,2}to\b"
    r"|" + _WHY_NOT + ")"
    r"|(?i:\b(is|are) (not )?needed\b|\bno need (to|for)\b|\bjust (repeat|take|rest|keep|use|wait|watch|ice)\b|\brepeat (the|a|an|it)\b)"
    # 乳牙…所以还是要补, 今晚九点打夜针, 先给你开三天抗生素, 先在家观察, 超过38.5℃就吃退烧药, 主要靠防蚊，带上驱蚊液,
    # 把晚饭往前挪挪，六点前吃完, 电脑少看看
    # 要吃抗生素, 要涂药膏, 得打破伤风: a clause that opens with 要 or 得 and a treatment (not 要吃多久, 要打针吗,
    # 得打几针)
    r"|^(就|还|都)?(要|得)(吃|服|用|涂|抹|打|输|喷|滴)(?![什么啥几多了过吗么不没])[\u4e00-\u9fff]"
    r"|(所以|还是|一定|最好|一样|同样|照样|照常)要(?![看问])[\u4e00-\u9fff]"
    # (今天打针那个地方疼不疼, 今天打的那个针: the day names which injection, it plans nothing)
    # (今天请大家过来: the family the doctor has asked in, a meeting's opening, no plan)
    r"|^(今晚|今天晚上|今天|明天|明早|明晚|后天)(上午|下午|晚上|早上)?(?!请(大家|各位|你们|您们|家属))[^，,。？?我您你]{0,5}(打|吃|服|来|过来|抽血|复查|复诊|做|查|停|空腹)(?![了过吗么问的])(?![^，,。？?]{0,6}(多少|几|什么|啥|吗|么))"
    r"(?![^，,。？?]{0,3}(那个|那|的)(地方|部位|位置|针眼|伤口|胳膊|手臂|屁股))"
    r"|^(先)?(给|帮)(您|你)(开|续|预约|安排|换|调整|加|减|挂)|(先|暂时)在家(观察|休息|隔离|养)"
    r"|(超过|高于|低于|不到|少于|多于|大于|小于)[^，,。]{0,8}就(吃|用|服|去|来|打|按铃|叫|喊|找)|^带上(?=[\u4e00-\u9fff])|(主要|只能|全靠|要|(?<![我你您他她])得|需要)靠(?!谱)"
    r"|(每年|每天|每月|每周|每次|年年|天天)(都)?(要|得|需要)(打|吃|服|用|查|复查|体检|接种|换|测|量)(?![了过吗么什啥几多])"
    r"|(还|就)?(要|得|需要)再(打|吃|服|用|查|复查|做|来|接种|测|量)(?![了过吗么什啥几多])"
    r"|往(前|后)挪|[\d一二三四五六七八九十]+点(前|以前|之前)(就)?(吃完|睡|上床|吃|喝|放下|关|熄灯|躺下)|(手机|电脑|电视|屏幕)少(看|刷|玩)"
    # 睡前放下手机, 尽量远离电子产品: the phone put away (not 我放下手机就睡, 你平时几点前放下手机: what the patient does)
    r"|(睡前|睡觉前|上床前|吃饭时|尽量|早点|要|得|先|多)(放下|收起|远离|少碰|别碰)(手机|平板|电子产品|屏幕)(?![了过])"
    # 要不先拿热毛巾敷敷肚子？: a proposal opened by 要不先 is something to do, whatever the verb (not 要不就是…: either;
    # nor 要不先说说你的情况？: what the doctor needs to know)
    r"|(?<!需)要不" + _PROPOSAL_WHEN + r"(先|试试?|就(开始)?(?=吃|用|服|涂|喷|戴|做|练))(?!(说|讲|告诉|描述|聊|发|拍|传|问|让我))|(热|冷|湿)毛巾"
    # 每个月同一角度拍张照片对比: photos kept to compare, a record of the patient's own
    r"|(拍|录)[^，,。]{0,10}(对比|比较|留底|留存|存档)$|^(每(天|周|个?月)|定期)[^，,。]{0,8}(拍|录)[^，,。]{0,4}(照|视频)"
    # 先排查饿了、尿了、热了这几样, 一氧化碳中毒首先要开窗通风: what to rule out first, the first step
    r"|先(排查|排除)|首先(要|得|应|需要)"
    # 半年洗一次牙, 三个月复查一次: how often, stated as the plan (not 你多久洗一次牙: asked)
    r"|(?<![你您我他她])(半年|一年|两年|[一二两三四五六\d]+个月)(要|得)?(洗|查|复查|拍|做|换|测|来)[^，,。]{0,3}一次(?![吗么吧])"
    # 请在血压本上写清楚：…，当天有没有头晕也顺手记一下: a log kept by the patient
    r"|在[^，,。]{0,8}(本子?|表格?|日记|手机|纸)上(写|记|登记|标)(?![了过])|(也|都|顺手|顺便)记(一下|下来|上)"
    # first aid: 站到他背后环抱，…快速向内向上冲击
    r"|(快速|用力)?向(内|里|上|下|后|前)向?(内|里|上|下|后|前)?(冲击|推|压|按|拍|挤)|(站|跪)(到|在)(他|她|病人|患者|孩子|对方)?的?(背后|身后)"
    # 回国后21天内发烧都要主动告诉医生旅行史: what to tell the doctors who see the patient
    r"|主动(告诉|告知|说明|报告|提供)|(告诉|告知)(接诊|看诊|其他|你的|您的)?(医生|大夫)(?![了过吗么没])"
    # 午睡控制在20分钟以内: a limit set (not 一直控制在…: what the patient has kept to)
    r"|(?<!一直)(?<!都)(?<!已经)(?<!基本)控制在\s*[\d一二两三四五六七八九十半]+[^，,。？?]{0,6}(以内|以下|之内|内|左右)"
    # 利伐沙班要开始吃了, 这个调理要慢慢来，至少三个月: when a treatment starts and how long it takes (not 已经开始吃了,
    # 至少三个月了: the history)
    r"|(?<!已经)(要|得|需要|可以)开始(吃|服|用|打|注射|练|做|治疗|吸|喷|补)(?![吗么没])|(要|得|需要|只能)慢慢(来|调|养|恢复|练)"
    r"|(至少|起码|最少)(要|得)?[一二两三四五六七八九十半\d]+个?(天|周|星期|礼拜|月|年|疗程)(?![了啦前])"
    # 氯雷他定一天一片, 每次两粒: a dose, with no verb (a patient's dose asked about is a question, its clause asked)
    r"|(一天|每天|每日|一日|每次|一次)[一二两三四半]+(片|粒|袋|支|包|丸|颗|喷)"
    # 抗生素先不用吃: not yet, a decision of treatment
    r"|(先|暂时|暂)不(用|需要?|必)(吃|用|服|打|输|做|查|涂|处理|管)"
    # 停螺内酯。: a ward round's terse order, a drug stopped (not 停了三天, 停经, 停几天; nor 停一会儿再猛吸一口: a pause, in
    # breathing or in pain)
    r"|^(先|立即|马上|暂时)?停(掉)?(?![了过止经电水工课车几多什啥])(?!一会|一下|一阵|下来|顿|住|留|片刻|几秒)[\u4e00-\u9fff]{2,8}(吧)?$"
    # 石膏太紧的话今天就回来调, MRI要预约, 早发现早调岗, 72小时内都还能吃阻断药, 6到12个月后再补上, 羟考酮改为20mg，每12小时一次
    # (not 他就回来了, 约了吗)
    r"|就(回来|过来|来医院|去医院|来门诊)(?![了过吗么没])|(要|得|需要|提前)预约(?![了过吗么没])|早(发现|诊断|治疗|干预|处理|调岗|就医|检查)早"
    r"|[\d一二两三四五六七八九十]+\s*(小时|天|周)(以)?内(都)?(还)?(能|可以)(吃|用|打|做|服)(?![吗么])|(后|以后)再(补上|补|打|接种)(?![了过吗么没])"
    r"|(?<!已经)(?<!已)改(为|成)\s*\d+(\.\d+)?\s*(单位|IU|mg|毫克|微克|片|粒|ml|毫升|克)|^每(隔)?\s*[\d一二两三四五六七八九十半]+\s*个?(小时|钟头|天|周)\s*(一|1)次$"
    # (一定挂蚊帐, 连吃五到七天: what to put up, how long to keep taking it)
    r"|(一定|记得)(挂|穿|涂|喷)|连(吃|用|服|涂|喷)[一两三四五六七八九十\d]+(到[一两三四五六七八九十\d]+)?个?(天|周|星期|礼拜|月)(?![了啦])"
    # 家里要有个心理准备: what the family must prepare for (an ICU's bad news), advice to them
    r"|(要|得|需要|应该)(有|做好)(个|一个)?(心理|思想)准备"
    # 比索洛尔先续上，这次开四周的量: a medicine renewed, and for how long (not 续上了吗, 开了两周的药: done)
    r"|(先|再|接着)续(上|一下)(?![了过吗么])|(?<![已经])(开|续)[一二两三四五六七八九十\d半]+个?(天|周|星期|礼拜|月)的(量|药)(?![了过吗么])"
    # 第二针在第一针后2个月: a schedule of doses (not 第二针在哪打: asked)
    r"|第[一二三四五六七八九十\d]+(针|剂|次)[^，,。？?]{0,3}在[^，,。？?]{1,10}(后|以后)[^，,。？?]{0,6}(天|周|个?月|年)(?![吗么])"
    # 第二针4岁左右打, 第三剂满6个月时接种: the age a dose is due at (not 第二针几岁打, 第二针是4岁打的: asked, done)
    r"|第[一二三四五六七八九十\d]+(针|剂)(在|满|到)?[\d一二两三四五六七八九十半]+\s*(岁|个?月|周)(龄)?(左右|前|后|以后|之前|时|的时候)?(再)?(打|接种|种|注射)(?![了过吗么没的])"
    # NT要在11周到13周之间做, 恩替卡韦要空腹吃: when a test or a medicine is to be taken (not 要在哪做, 是要空腹吃吗: asked)
    r"|(要|得|需要|应该|最好|至少)在[^，,。？?]{1,16}(之间|以内|之内|之前|以前|前)([\d一二两三四五六七八九十]+个?(天|周|小时|分钟))?(做|查|打|吃|服|用|接种|抽血|复查)(?![了过吗么没])"
    r"|(要|得|需要|应该|最好)(在)?(早上|早晨|晚上|睡前|空腹|饭前|饭后|餐前|餐后)(半小时|一小时)?(空腹)?(吃|服|喝|用)(?![了过吗么没])"
    # 在留观区坐满30分钟再走: how long to stay (not 我坐满了半小时: done)
    r"|(坐|待|呆|等|躺|休息)满\s*[\d一二两三四五六七八九十半]+\s*个?(分钟|钟头|小时|天)(?![了啦])"
    # 疼痛日记接着记, 下次来带上: a log kept going, and brought to the next visit (not 下次带上了吗)
    r"|(继续|接着)(记|写|做|练)(?![了过吗么没])|(下次|下回|复诊)(来|过来)?(的时候)?(记得)?带上(?![了过吗么没])"
    # 加2个 (units of insulin, a terse order as the whole clause)
    r"|^(再)?(加|减)\s*[\d一二两三四五]+\s*个$"
    # 冰袋隔着毛巾敷一敷, 揉一揉: a reduplicated care verb (not 我揉了揉)
    r"|(?<![了过])(?P<redup>敷|揉|按|泡|洗|擦|冲|搓|捏|拍|动|活动)一(?P=redup)"
    # 2000ml两个小时内喝完, 喝到排出清水样大便为止: a bowel preparation's steps (not 喝完了吗)
    r"|(小时|钟头|分钟)(以)?内(喝|吃|服|用)完(?![了过吗么没])|(喝|吃|服|用)到[^，,。？?]{1,12}为止"
)
_A_INFO_RE = re.compile(
    r"可能(是|为|会|有|系)|可能[\u4e00-\u9fff]{1,4}了$|考虑(是|为)|(?<![你您他她])应该是[^，,。？?什么啥哪谁多几吗么呢吧\s]{2,8}(?=\s|$)|属于|提示|诊断|引起|导致|造成|一般|通常|常见|正常|良性"
    r"|问题不大|大问题|(关系|关联|影响)(都|也)?不(大|太大)|(最|更)(重要|要紧|关键)|比(什么|啥)都(重要|要紧|关键)|有助于|是主要的?(原因|诱因|病因|过敏原|来源)|比[^，,。？?]{1,8}(还|更)(重要|要紧|关键)|(?<![你您])(很多|多半|大多|大部分|多数)(时候)?(都)?是[^，,。？?吗么]{1,10}(引起|导致|造成|带出来|诱发|闹)的|(窗口期|潜伏期|恢复期|病程|半衰期)(一般|通常|大概|大约|约|是|为|在)?[^，,。？?吗么多几]{0,3}[\d一二两三四五六七八九十半]|(并)?不(会)?影响(效果|疗效|药效|使用|哺乳|喂奶|检查|结果)(?![吗么吧])|(?<![不么])(能|可以)(延缓|减缓|减慢)|会自愈|自愈|愈合|缓解|改善|有关|是因为|主要是(?!想|哪|什么|啥|怎么|多|谁|几)|原因|表现|方法(就)?是|办法(就)?是"
    # 原理是…, 治标不治本, 就说明奶够, 很符合肠易激, 符合手术指征, 就是普通支气管炎, 不会变成癌, 会慢慢好转: how it works, what
    # a finding shows and what the illness is or will do (not 原理是什么, 符合指征吗, 会不会变成癌: asked)
    # 片子看着还行, 不是啥大病, 算高风险暴露, 痘印慢慢会淡的: an assessment, a risk named, the course (not 看着还行吗)
    r"|看(着|起来)(还行|还好|不错|挺好|正常)(?![吗么吧])|不是(啥|什么)(大病|大问题|大事)|算(是)?(高|低|中)风险|慢慢(会)?(淡|消|退)(掉)?(的|了)?$"
    # 熬夜确实会加重痘痘, 打两针保护效果更好, 考虑桥本: what makes it worse, which works better, the diagnosis considered
    # (not 会不会加重, 什么情况下会加重, 哪种效果更好, 考虑一下, 考虑桥本吗: asked, or the patient left to think it over)
    r"|^(?![^，,。？?]*(什么|啥|哪|怎么|多少|几|谁))[^，,。？?]*?(?<!会不)会(加重|加剧|诱发|恶化)(?![吗么吧呢])|(?<![哪啥么个种])(保护)?(效果|疗效|保护力)(会|就)?(更|比较|会更)好(?![吗么吧呢])"
    r"|^(初步|目前|还是|倾向于?)?考虑(?!一下|下|好|清楚|过(?!敏)|了|到|得|什么|啥|哪|是否|是不是|要不要|怎么|周全|进去|你|您|我|他|她)[A-Za-z\u4e00-\u9fff]{1,12}(?<![吗么呢吧])$"
    r"|关键(是|在于)|原理(是|就是|在于)|治标不治本|就(说明|表明)(?!一下|下|书)|(很|非常|比较|完全|基本|高度)符合(?![吗么])|符合[^，,。？?]{0,4}(指征|诊断|标准|表现)(?![吗么])|^(就|这就|那就)是[^，,。？?什么啥哪吗么不]{0,6}(炎|病|症|感染|过敏|骨折|结石|囊肿|湿疹)(?![吗么呢])|(?<!会)不会(变成|转成|发展成)[^，,。？?]{0,3}癌|会(慢慢)?好转(?![吗么吧])|这(是|属于)[^，,。]{0,8}(作用|反应|现象)|会(让|使|令)(?!我)|(?<=[\u4e00-\u9fff])(?<![不是或还])容易(?![吗么不])[\u4e00-\u9fff]|起效"
    # 孩子这是中耳炎, 这就是过敏性鼻炎: a diagnosis named (not 这是什么病, 这是中耳炎吗)
    r"|(?<![不说])这(次|回)?(就)?是[^，,。？?什么啥哪吗么不]{0,6}(炎|病|症|综合征|感染|过敏|骨折|结石|囊肿|湿疹)(?![吗么呢])"
    r"|(呢|这|佢)(个|种|次|啲)?(系|是)[^，,。？?咩乜边]{1,8}(嚟|来)(嘅|既|的)$"
    r"|(?<!说)(?<!说我)(?<!说你)这个(就)?是(?![^，,。]*(什么|啥|不是|吗|么))[^，,。？?还]{2,8}(嘛|哦)?$|从[^，,。]{0,12}(上|来)?看(?=[，,]|不像|是|像|应该|可能)|不(太|大|怎么)?像是?|(?<!不)会(好|舒服|缓解)(很多|一些|一点|点|些)|会缓过来"
    r"|就(算)?(偏低|偏高|超标)|(未见|没(有)?(看到|发现|见到))(明显)?的?(异常|出血|骨折|问题|病变|肿瘤)|(?i:\blooks? (fine|normal|good|ok)\b)|像是|很像|更像|看起来像|疑似|(?<![相类好])似(系|是)(?=[\u4e00-\u9fff])|(可能性|几率|概率|机率|(?<=[的来])机会)(其实|并|都|也)?(比较|较|很|更|会|就)?(大|高|小|低|不大|不高)|(就|可以|能)(彻底)?放心(?![吗么不])|多半(是|会|为)|(多数|大多)(是|为)|(好|很)?大机会(系|是)"
    # 不然牙容易裂 (why the advice), 两三天自己就消了, 大部分一两年会自己转阴
    r"|(是|很|比较|相对)安全的|不安全|(风险|副作用|不良反应|毒性)(很|比较|相对|非常)?(小|低|大|高|轻|少)(?!吗|么|不)"
    # 其实记性差不一定是痴呆: what a sign does not prove; 什么时候戒都不晚: it is never too late
    r"|((什么时候|任何时候|啥时候|多大年纪|几岁)[^，,。？?]{0,4}都|(现在|今天|从今天)[^，,。？?]{0,4}(也|还))不(算)?(晚|迟)(?![吗么吧呢])"
    r"|为时不晚|永远不(晚|迟)"
    r"|(?<![你您])不一定(是|就是|代表|说明|意味着)"
    # 说明奶量是够的, 并不代表您会失控: what a finding shows, or does not (not 请说明一下, 说明书)
    r"|^(这|这就|这也|也|都|正)?(说明|表明|意味着)(?!一下|下|书)|(?<![你您])(并|也|都|这)不(代表|意味着|等于)"
    # 很多焦虑的人都会有, 很多健康人也有, 很多孕妇都会有: how common it is, reassurance with content (not 很多人都会问: quoted)
    r"|(很多|不少|许多|大部分|大多数|多数)[^，,。？?]{0,8}?(都|也)(会)?(有|出现|这样|经历|遇到|碰到)(?![吗么没过])"
    r"|不然|否则|以免|免得|自己(就)?(会)?(消|好|退|愈合|恢复|转阴)|(大部分|大多数|多数|大多)(人)?.{0,8}(会|能|可以)"
    r"|(得|要|需要)?.{0,6}才(能)?(知道|确定|看出|判断|清楚)"
    # 要不要手术，主要看症状大不大: what the decision depends on
    r"|(主要|关键|还是要|还得|就得|(?<![想我你您])要|得)看(?!看|一下|到|了|医生|病|书)"
    r"|(?i:\b(could|may|might) be\b|\bprobably\b|\blikely\b|\busually\b|\bnormal\b|\bcaused by\b"
    r"|\b(is|are) (very |quite |fairly |really |pretty |extremely )?(common|fine|safe|harmless)\b|\bbenign\b|\b(biopsy|scan|x-ray|ultrasound|test|result)s? (shows?|suggests?|indicates?)\b|\b(symptoms?|findings?|results?|signs?|picture|this|it|that) (fits?|points to|sounds like)\b|\bconsistent with\b"
    # the graft looks like it's taking well: how the healing goes, an assessment
    r"|\b(healing|taking|settling|recovering|progressing) (well|nicely)\b"
    # doesn't look worrying, almost certainly viral, on the low side, still high, most private GPs can give the jab
    r"|\b(doesn'?t|does not|don'?t|do not) (look|seem|sound) (worrying|concerning|serious|suspicious|infected|bad)\b"
    r"|\b(almost certainly|most likely|very likely)\b|\bon the (low|high) side\b|\bstill (too )?(high|raised|elevated|low)\b"
    r"|\b(most|many) ([\w-]+ ){0,2}(gps|clinics|pharmacies|chemists|hospitals|doctors|people|patients|children|kids|babies)\b(?! ask| wonder))"
    # …is flat, which points to fluid: a relative clause, lower case (Which points to…? asks)
    r"|\bwhich (fits|points to|suggests|means)\b"
    # 对肝损伤很大: the harm, why the advice
    r"|(伤害|损伤|危害|刺激)(很|比较|非常|特别)?大"
    # 以肾阳虚为主: the pattern a TCM diagnosis names (not 以什么为主: asked)
    r"|以[^，,。？?什么啥哪]{1,6}为主(?![吗么呢])"
    # 惊恐发作本身不会致命，也不会伤到心脏: what the illness will not do, reassurance with content
    r"|(?<!会)不会(致命|要命|危及生命|有生命危险|伤到|伤害|损伤|癌变|恶变|遗传|传染|留疤|留下后遗症|成瘾|上瘾)"
    # 血钾一高是会要命的: the danger, why the advice (not 会不会要命, 会要命吗: asked)
    r"|(?<![不么])会(致命|要命|危及生命|有生命危险)(?![吗么吧])|(呢|这|佢)(个|种|次|啲)?(系|是)[^，,。？?咩乜边]{0,8}(作用|反应|现象)(?![吗么呢])"
    # 可能不耐受; 研究显示…, 指南推荐…; 没有科学依据, 骗局, 误区: what is so, or not so, and why
    r"|可能不|(吃|用|打|喝|涂)了?(也)?没(什么|啥)?用|(?<![有还])(没有|没)(什么|啥)?(用处|用)$|研究(显示|表明|发现)|(指南|共识)(推荐|建议|指出)|可使|(没有|毫无)(任何)?(科学)?(依据|根据)|不科学|谣言|骗局|被揭穿|误区"
)
# Pure lead-ins ("请注意：", "温馨提示：") introduce what follows and carry no advice of their own.
_LEAD_IN = re.compile(r"^(请)?(注意|温馨提示|提示|提醒|特别提醒)$")
# **初步建议** on a line of its own: the section's name; what stands under it advises or asks
# 仅供参考，不过…: the turn after a disclaimer
_CONTRAST = re.compile(r"^(不过|但是|但|可是|然而|只是)")
_SECTION_NAME = re.compile(r"^(初步|诊疗|处理|治疗|医生|我的|专业|综合|用药|饮食|生活|护理|康复|以下)?的?(建议|意见|方案|指导)(如下)?$")
# (不能代替面诊, 不能替代专业医生的诊断; not 蛋白粉不能代替正餐: one food for another, advice)
_DISCLAIMER = re.compile(
    r"仅供参考|仅作参考|不能(代替|替代)(?=[^，,。；;]{0,8}(面诊|医生|医师|大夫|诊断|诊疗|就医|就诊|医疗|治疗|处置|看病|门诊|专业|线下|当面|面对面))|不构成|不作为|以.{0,12}为准|人工智能|(?<![A-Za-z])AI(?![A-Za-z])|ＡＩ|本回复|本回答|本平台|免责|助手"
)
# 如您的症状持续或加重，请及时到正规医院就诊: the platform's stock safety net. Beside a disclaimer it is part of
# the boilerplate; alone, or beside real advice, it is advice.
_SAFETY_NET = re.compile(r"^(如|如果|若|假如)(您|你)?的?(症状|病情|情况|不适)?(持续|加重|反复|(没有|没|未|无)(缓解|好转))"
                         r"[^。！？]{0,12}(请|应|需)?(及时|尽快)?(到|去)?[^。！？]{0,6}(医院|医疗机构)?(就医|就诊)$"
                         r"|^(如|若|如果)(您|你)?(有|出现|感到|感觉)(任何)?(其他|其它)?(不适|异常|不舒服)(症状)?[^。！？]{0,4}"
                         r"(请|应|需)?(及时|尽快|立即)?(到|去)?[^。！？]{0,6}(医院|医疗机构)?(就医|就诊)$"
                         r"|^(如遇|若遇|遇到|如有|如出现)(紧急|危急|突发)(情况)?(请)?(立即|及时|马上)?(拨打|打)(120|999|911|急救电话)[^。！？]{0,20}$")
_EXPLICIT_ADVICE = re.compile(r"建议(您|你)?(还是)?(去|到|带|来|及时|尽快|多|少|做|查|服用|就医|就诊|面诊|复查|住院)|请(及时|尽快)(就医|就诊|到|去)"
                               r"|请(向|跟|找)[^，,]{0,8}(医生|大夫|医师|药师)")
_SOCIAL = re.compile(
    r"有(什么|其他|别的|啥|咩|乜嘢?)(地方|事情?)?(我)?(可以|能|需要)?(我)?(帮|为)(到)?(你|您|忙)|有需要(的话)?(再|随时|可以)?(来)?(找|联系|咨询)|随时戳我|(您|你)也(早点|好好)休息|^(谢谢|感谢|多谢)(您|你)[^，,。]{0,12}(告诉我|说明|描述|配合|信任|耐心)|需要帮忙的|有[^，,。]{0,10}问题(都|就)?(可以|随时|欢迎)?(跟|和|找|问)我(说|讲|聊)?$|^恭喜|(平安|没事|没大碍)就好|随时[^，,。]{0,6}(问我|咨询|联系|找我|留言|告诉我)|还有(什么|其他|别的)(问题|疑问|需要|想咨询|要咨询|想问|想了解)|还有(哪(些|个)?方面|哪些)(想|要|需要)(咨询|问|了解|知道)|还有(哪里|哪儿|哪些地方|什么地方|什么)(没|不)(看|听|弄|搞)?(明白|清楚|懂)|欢迎(随时)?咨询|应该的|应该做的|别客气|不客气|勿客气|免客气|唔使客气|别谢"
    r"|^(哎呀|哎哟|哎|唉|哦|噢|啊)?((宝妈|家长|阿姨|叔叔|大爷|大妈|奶奶|爷爷|妈妈|爸爸|姐|哥)?(您|你)?(先)?(别|不要|不用|不必|莫)(太|过于)?(着急|急|担心|紧张|慌|害怕|怕)){1,2}$"
    # 还有其他不清楚的地方吗？: whether the explanation was understood (not 还有其他不舒服的地方吗？, a symptom)
    r"|还有(其他|其它|别的)(没|不)(看|听|弄|搞)?(明白|清楚|懂)的(地方|内容)?(吗|么|呢)?$"
    # 在吗？/ 还在线吗？: checking the line; 有什么需要咨询的？/ 不清楚的可以随时问我: the service, not CoQ
    r"|^(请问)?(您|你|医生)?(好)?(还)?(在(线)?(吗|么|不)|在不在)$|有(什么|啥|别的|其他|其它)?(需要|要|想)(咨询|问|了解|聊|聊聊|说|说说)的"
    # 那我们下次复诊再聊 / 下次复诊见: a farewell that names the next visit, it plans nothing new
    # (下周复诊见, 明天门诊见: the same, the visit named by its day)
    r"|(下次|下回|下周[一二三四五六日天]?|下个?月|明天|后天)(复诊|门诊|就诊|来|见面)?(的时候|时)?(再)?(细|慢慢|好好|详细)?(聊|见|谈)(吧|哈|啦)?$"
    # 有啥情况您随时说: the line kept open
    r"|随时(跟我|和我|给我)?(说|讲|打电话|发消息)(一声)?(吧|哈)?$"
    r"|(随时|可以)(再次?)?(发起)?(问我|咨询|联系我|找我|留言)"
    # 喂 听得到吗 / 能看到我吗: checking the call's line
    r"|^喂+$|^(喂\s*)*(能|可以)?(听得到|听得见|听到|听见|看得到|看得见|看到)(我)?(说话|声音)?(吗|么|不|没有?)$"
    # (Shanghainese 有啥事体讲好了: "anything, just say", the service offered)
    r"|^(唔|不)好意思$|^(加油[!！~～\s]*)?(你|您)?(也)?一定(可以|能行|行|能|没问题)((挺|熬|撑|扛|闯)(过去|过来|下去)|坚持(下去|住)|好起来)?(的|哒)?[!！~～]*$|^加油[!！~～]*$|坚持就是胜利|莫客气|有(啥|什么)(子)?(事(体|情)?(再|就)?|(再|就|随时))(打电话|联系|找我|说|讲)|^有(啥|什么|咩|乜)(子)?事(体|情|嘅)?(吗|么|伐|呀|啊|呢|吖)?$|^谢谢(你|您)(愿意|信任)"
    r"|^(可以|行|好|好的|不行|不可以|对|是的|嗯|嗯嗯|可以的|行的)$|(我|之所以)问(你|您)?(这个|这些|这|这么多|这么细)?(问题)?(是)?因为|客气啥|谢啥|客气什么|再说一遍|再说一次|没听清|没看清|没看懂|不用客气|需要我(再)?(详细|具体)?(解释|说明|讲)"
    # 需要我帮您预约吗？: an offer of the service, not a question about the patient
    r"|^(请问)?(需要|要不要|需不需要)(我|我们)(顺便|再|先)?(帮|给|为|替)(您|你)[^，,。]{0,10}(吗|么)?$"
    # 问题已经收到，医生会尽快回复 / 有我在呢: a service notice or comfort, no medical content
    r"|(已经?|我们)收到|(会|将)尽快(回复|答复|联系|处理)|(本次|此次)?通话(可能)?(会)?(被)?录音"
    # [自动回复] 医生正在门诊中，会在下班后统一回复，请勿重复发送 / 欢迎使用在线复诊服务，…，请稍候: a platform's notice
    r"|^[\[【(（]?自动回复|(会|将)[^，,。]{0,10}(统一|逐一|依次|陆续|及时)(回复|答复|处理)|请勿重复(发送|提交|提问|咨询|留言)"
    r"|欢迎(使用|来到|进入)|^(请)?稍(候|等)(片刻|一下)?$|正在(查看|阅读|看|审核|处理)(您|你)的(资料|病历|信息|问题|咨询|报告)"
    r"|有我在|我(在|陪着(你|您))呢?$"
    # 明白，您先忙 / 那等您检查完再说: the talk put off; 今天想咨询点什么？: the service offered
    r"|^(那)?(您|你)(就)?先忙(吧|哈|啊|去吧)?$|(^|\s)(那)?(就)?等(您|你)[^，,。\s]{1,12}(完|好|出来|回来)(了)?(以后|之后)?再(说|聊|谈)(吧|哈)?$"
    r"|(想|要|需要)(咨询|问)(点|些|一点|一些)?(什么|啥)(问题)?(呢|呀|吗)?$"
    # 晚上八点以后再回复你 / 回复可能会慢一些，请您耐心等待 / 您的问题已转给值班医生，请留意消息提醒: when the doctor
    # will answer, and who will
    r"|(晚点|稍后|晚些|等会儿?|待会儿?|[\d一二三四五六七八九十]+点(以后|之后|后)?)(再)?(回复|答复|联系|回)(你|您)"
    r"|回复(可能)?(会)?(比较|稍|有点)?(慢|晚|延迟)|^(请)?(您)?耐心等(待|候)|(已|已经)(转给|转交|转至|转到|分配给|提交给)|留意(消息|短信|通知|站内信)"
    r"|(?i:^(don'?t|do not) worry\b|\btake care\b|^take your time\b|you'?re welcome|\bthank(s| you)\b|\bhow (can|may) I help\b|\bwhat can I do for you\b|\banything else\b)"
)
# 如需进一步解释，请告诉我 / 如需继续咨询请重新发起: the offer of more help closing a reply, not a request for information
_OFFER_MORE = re.compile(r"^(如需|如有|如果(您|你)?(还)?(需要|有)|有(任何|什么|其他)?(问题|疑问))[^。！？]{0,14}?[，,]?\s*(请|可以|欢迎)?(随时)?"
                         r"(告诉我|联系我|问我|咨询|留言|(重新|再次)发起(咨询|问诊)?)(吧)?$")
# 测完把数值发过来, 再用手指压一下疹子，告诉我…: a measurement made to report its result is part of the request
# 胃不舒服的话及时告诉我: what to do if it happens, later; an instruction, not a request for what is so now
_REPORT_LATER = re.compile(r"(的话|如果|要是|一旦|万一|假如)[^，,。]{0,12}(告诉|通知|联系)我(一下|吧|哈)?$"
                           # 有啥不对劲及时告诉我: when it happens, later
                           r"|(及时|第一时间)(告诉|通知|联系)我(一下|吧|哈)?$|" + _LATER_REPORT)
# 如果出现皮疹，马上告诉我: the same, the condition in the clause before (not 如果量了体温，告诉我: done already;
# 如果方便，告诉我: asked now, politely)
_BARE_REPORT = re.compile(r"^(就|请|要|马上|及时|立即|立刻|第一时间)?(告诉|通知|联系)我(一下|吧|哈)?$")
_ASKS_NOW = re.compile(r"(量|测|称|查|做|拍|数|试)(了|过|完|好)|方便|可以的话|愿意|记得|知道")
# 每个月同一角度拍张照片对比: photos taken on a schedule to compare, a record the patient keeps, not one sent now
_KEEP_RECORD = re.compile(r"^(每|定期)[^，,。]{0,8}(拍|录)|(拍|录)[^，,。]{0,10}(对比|比较|留底|留存|存档)$")
_DOSE_CHANGED = re.compile(r"(加|减|停|换|吃|服|补)[^，,。？?]{0,2}(一|两|半|二|\d)(片|粒|颗|袋|支|针|单位|mg|毫克)")
_REPORT_BACK = re.compile(r"告诉我|发给我|发我|报给我|传给我|回复我|发过来|发上来")
_MEASURING = re.compile(r"测|量|称|压|照|拍|数|摸|按|看|试")
_OK_TAG = re.compile(r"(?i)[\s,，]+(ok|okay)$")
# 药换成舍曲林以后，…？ / 减量以后晚上能睡几个小时: a change already made, as the time of what is asked or said next
# (按压胸口的时候会不会更疼: an action as the time of what is asked, on the same terms)
_AFTER_TIME = re.compile(r"^[^，,。？?]{1,12}?(以后|之后|的时候)")
_ADDRESSED_ADVICE = re.compile(r"^(您|你)(先|可以|还是|最好|就|暂时|得)|(比较好|为好|更好|更稳妥)$")
_FIRST_PERSON_CANNOT = re.compile(r"我.{0,6}(不能|无法|没法|不方便)")
# 我们先做个胃镜看看，可以吗？: asking consent to what was just advised, not for information
_CONSENT = re.compile(r"^((您|你)(看|觉得|觉着|认为))?(这样|那)?(可以|好|行|成)(吗|么|吧|不|不好|不行)?$|^(您|你)(看|觉得|觉着|认为)呢$|^(中不中|中不|得不得|行不|好不|要得不|要得么|要得吗|要不要得)$"
                      r"|^(?i:ok|okay)(吗|么|不|吧)?$|^(很|挺|也)?(简单|容易|方便)(吧|吗)$"
                      r"|^(你|您)说(是不是|对不对|是吧|对吧)(这个|这么个|那个)?(理|道理|理儿|事儿?)?(呀|啊)?$|^(都)?(明白|清楚|懂|听懂|听明白|听清楚|听着|听见|记住|记下|记着)(了)?(吧|吗|么|没有?)$"
                      r"|^((您|你)(看|觉得|觉着|认为))?(好不好|行不行|可不可以|可以不|怎么样|如何)$"
                      # 这样安排你看行不行: the plan just given, put to the patient
                      r"|^(这样|那样|那就|就这么)(安排|处理|调整|办|定|治疗|用药)?(的话)?((您|你)看)?(行不行|好不好|可不可以|可以吗|好吗|行吗|可以吧|行吧|好吧|怎么样|如何)$")
# 是不是缺钙，不能只看出汗多 / 能不能一起吃，你可以问问药师: the question is what another thing decides or someone
# else answers
_TOPIC_NEXT = re.compile(r"^(这个|这)?((主要|还|就|得|要)?看(?!一下|下|看|清)|取决于|不能(只|光|单)看|(需要|要|得)结合|(你|您)?(可以|去|再)?(问问|咨询))"
                         r"|^等[^，,。]{1,12}再(定|决定|说|商量|考虑)")  # 是继续吃还是停掉，等复查结果出来再定
# 拍一张给我，最好在自然光下 / 拍个照片，要能看清楚: how to do what the doctor just asked for, not advice
# 很多人会问：气虚怎么补？: the question that follows is someone else's, quoted (the doctor answers it)
# (one group as a whole: _REPORTS_NEXT anchors it at the end)
_THIRD_PARTY_ASKS = re.compile(r"(?:(有人|(很多|不少|好多|许多|有些|有的|一些)[\u4e00-\u9fff]{0,3}(人|家长|患者|病人|网友|朋友|妈妈|宝妈|老人))"
                               r"(会|常|总|经常|常常|老是|都|也|一?(上来|开口|见面|进门)就)?问"
                               r"|(很多|不少|好多|许多|有些|有的|一些)[\u4e00-\u9fff]{0,3}(人|家长|患者|病人)[^，,。？?]{0,8}第一句话?就问)")
# 很多人问荨麻疹会不会传染，其实不会 / 有人问能不能洗澡？当然可以: the answer to a question quoted just before
_ANSWERS_QUOTED = re.compile(r"^(其实|答案是|说实话|实际上)|^(当然|一般)?(不|没)?(会|能|可以|用|需要|是|有|行|必要)(的|啦|哦|呢|了)?$")
# 数一下一分钟脉搏多少下，记下来，下次复诊给我看: a clause that has what went before written down (not 我记下来: the doctor)
_RECORD_IT = re.compile(r"^(并|然后|再|都|也|请)?(记|写)(下来|下|一下|好|录下来|录一下|在|到)")
_REPORTS_NEXT = re.compile(r"(会|常|总|经常|老|都|也|人)问(到|过)?$|问(过)?我$|(您|你)(的|刚才的|提的|提出的)问题(是|就是)?$|" + _THIRD_PARTY_ASKS.pattern + "(到|过)?$")
# 您是二甲双胍一天两次，每次0.5克，对吧？: the patient's own regimen read back to confirm it, not advised
_CONFIRM_TAG = re.compile(r"^(对|是)(吧|吗|不对|不是)$|^没错(吧|吗)$")
_READ_BACK = re.compile(r"^(您|你)(是|现在|目前|平时|每天|一直|之前|以前)")
# 为了更准确地判断您头痛的原因，…: why the doctor asks, no advice
_PURPOSE = re.compile(r"^(为了|为)(更|能)?(准确|明确|确定|判断|了解|弄清|帮)"
                      # 您说的甲功复查, 上次让您注意的低盐饮食: what the patient said or was told before, as the topic (not
                      # 我建议你先问一下开药的医生: a step advised now)
                      r"|^(您|你)(刚才|之前|上次)?(说|提到|讲|问)的|^(?:(上次|之前|刚才|前面)(我)?|我)(让|叫|嘱咐|建议|交代)(您|你)(?!先|去|到|马上|尽快)[^，,。]{0,12}的")
_QUALIFIES_REQUEST = re.compile(r"^(最好|尽量|要能|要)(是|在|用|拍|能|把|对着|正对|清楚|清晰|白天|自然光|带上|附上|连同|注明|写上|标上|包括)"
                                # 请把家里测的血压发过来，早晚各一次，连续三天的: which readings to send
                                r"|^(早晚|每天|每日|一天)各?[一两二三\d]次(的)?$|^连续[一二两三四五六七\d]+(天|周)的?$"
                                # 把血常规结果发我一下，主要看血红蛋白那一项: what the doctor will read in what is sent
                                r"|^(我)?(主要|重点|就|只)(是)?看(?!看)"
                                # 不要开美颜, 别反光, 拍清楚点, 自然光下拍: how to take the photo asked for
                                r"|^(不要|别|不用)(开|用|加)?(美颜|滤镜|闪光灯|反光|P图|修图)|^(不要|别)(只|光|单)(发|拍|传|截)|^(拍)?(清楚|清晰)(点|一点|些)?$|^(在)?自然光"
                                # 麻烦提供一下就诊卡号，我帮您查一下预约记录: what the staff will do with it
                                r"|^(我|我们|这边)(来|好|才能|就|再|马上)?(帮|给|为|替)(您|你)(查|核对|核实|看|登记|办理|处理|确认|预约|挂号|安排|改)")


@dataclass
class _Evidence:
    question: float = 0.0
    advice: float = 0.0
    q_overruled: bool = False
    a_overruled: bool = False
    rhetorical: bool = False
    cues: list[str] = field(default_factory=list)
    asked: int = 0  # clauses that ask the patient something (rhetorical, quoted and embedded ones left out)


def _advice_strength(text: str, cues: list[str]) -> float:
    for regex, strength, name in (
        (_A_STRONG_RE, _A_STRONG, "advice"),
        (_A_ACTION_RE, _A_ACTION, "action"),
        (_A_INFO_RE, _A_INFO, "info"),
    ):
        m = regex.search(text)
        if m:
            cues.append(f"{name}:{m.group(0)}")
            return strength
    return 0.0


def _question_strength(clause: _Clause, advice_level: float, cues: list[str]) -> tuple[float, bool]:
    """Return (strength, overruled): overruled means a weak cue was present but discounted."""
    text = clause.text.rstrip(_TRAILING)
    has_advice = advice_level > 0
    # "你一般多久…": an interrogative aimed at the patient is asked even next to a habitual 一般.
    addressed = bool(_SECOND_PERSON.search(text))
    # "烧心一般在什么时候比较明显": 一般 is the habit asked about, not an explanation given (unless the
    # interrogative is a topic: "一般多久复查要看情况").
    habitual = _HABITUAL.search(text)
    if clause.rhetorical:
        cues.append("q-overruled:rhetorical")
        return 0.0, True
    # (姓名：____ 年龄：____ 请填写后回复: a request at the end of the form is still a request)
    if clause.listed and not clause.terminal_question and not (_REQUEST_INFO.search(text) or _PLEASE_ASK.search(text)):
        cues.append("q-overruled:listed")
        return 0.0, True
    if _ECHOED.match(text):
        cues.append("q-overruled:echoed")  # 你问能不能喝中药调理？说实话，…: the patient's question, repeated to answer it
        return 0.0, True
    if clause.terminal_question:
        cues.append("q:？")
        return _Q_STRONG, False
    m = _FINAL_PARTICLE.search(text)
    if m:
        cues.append(f"q:{m.group(0)}")
        return _Q_STRONG, False
    m = _PLEASE_ASK.search(text) or _REQUEST_INFO.search(text)
    if m and m.re is _REQUEST_INFO and _REPORT_LATER.search(text):
        cues.append("q-overruled:report-if")
        return 0.0, True
    if m and m.re is _REQUEST_INFO and _KEEP_RECORD.search(text):
        cues.append("q-overruled:record")
        return 0.0, True
    if m:
        cues.append(f"q:{m.group(0)}")
        return (_Q_STRONG if m.re is _PLEASE_ASK else _Q_REQUEST), False

    forms: list[tuple[re.Match[str], float]] = []
    for regex, strength in (
        (_A_NOT_A, _Q_FORM),
        (_PERFECT_NOT, _Q_FORM),
        (_BARE_NOT, _Q_FORM),
        (_TOPIC_NE, _Q_WORD),
        (_SHIFOU, _Q_FORM),
        (_TAG_QUESTION, _Q_FORM),
        (_ALTERNATIVE, _Q_ALT),
    ):
        forms.extend((mm, strength) for mm in regex.finditer(text))
    forms.extend((mm, _Q_WORD) for mm in _INTERROGATIVE.finditer(text))
    if not forms:
        return 0.0, False
    if _CONDITIONAL.search(text) or _REPORTED.search(text):
        cues.append("q-overruled:condition/reported")
        return 0.0, True
    best = 0.0
    free_choices = [(f.start(), f.end()) for f in _FREE_CHOICE.finditer(text)]
    for mm, strength in forms:
        # What comes before and after a question word is read within _NEAR characters of it, so that a
        # clause of thousands of question words (哪有不苦 repeated, no comma) stays linear. Before it, the
        # search keeps the whole text (^, $ and look-behinds read as in text[:start]); after it, a slice.
        start, end = mm.start(), mm.end()
        near = max(0, start - _NEAR)
        after = text[end: end + _NEAR]
        if (mm.group(0).startswith("几") and not clause.terminal_question and not addressed
                and (_WILL_BEFORE.search(text, near, start) or _WILL_AFTER.match(after))):
            continue  # 扭伤后多少会肿几天: "a few days", what will happen, not how many
        if mm.group(0) == "多少" and not clause.terminal_question and _MANY_TAKE_FRIGHT.match(text, start):
            continue  # 多少人一听要做胃镜就紧张: so many people, not how many
        if _COMPARED_WITH.search(text, near, start) and _COMPARISON.match(after):
            continue  # 比拉了几次更要紧: compared with, not asked
        if any(f_start <= start < f_end for f_start, f_end in free_choices):
            continue  # 想吃什么就吃什么: whatever, not what
        if mm.group(0) in ("什么", "啥", "哪里", "哪儿") and _ANY_THEN.match(after):
            continue  # 有什么不舒服随时再来, 哪里不舒服就去医院: "anything", then what to do about it
        if mm.group(0) in ("什么", "啥", "咩") and _NEGATED_BEFORE.search(text, near, start):
            continue  # 并不代表你有什么问题, 没有什么大碍, Cantonese 唔系咩大病: "anything", not "what"
        if _EMBEDDING.search(text, near, start) or _SUBJECT_OF.search(after):
            continue  # "观察是否发热", "有没有效果要看体质": the question is an object or a subject
        # An interrogative at the very end of a clause is the thing asked ("血压控制在多少"); in the
        # middle of a clause with advice it is usually a subject or object ("多久复查要看情况").
        at_end = len(text) - mm.end() <= 2
        if at_end and advice_level <= _A_INFO:
            strength = max(strength, _Q_FORM)
        elif at_end:
            continue  # "建议先测一下是否怀孕": the question is what the advised test will answer
        elif mm.re is _SHIFOU and mm.start() <= 2 and advice_level < _A_STRONG:
            pass  # 3）是否按时点药: asked, whatever the habit named in it (按时) would advise elsewhere
        # (最近一个月有没有突然加量: the time the history is asked of, before it)
        elif (mm.re is _A_NOT_A and mm.group(0) in ("有没有", "是不是")
              and (0 < mm.start() <= 4 or (_NOW.match(text) and mm.start() <= 8))
              and not _SUGGESTING.search(text) and _advice_strength(text[: mm.start()], []) == 0):
            pass  # 药有没有每天按时吃: asked of a short topic, whatever advice words follow  # 2. 是否与活动有关: a clause that opens with 是否 asks it, whatever explanation words follow
        elif has_advice and not (
            advice_level <= _A_INFO
            and (addressed or (habitual and habitual.end() <= mm.start() and not _TOPIC_AFTER.search(after)))
        ):
            continue
        if strength > best:
            best = strength
            cues.append(f"q:{mm.group(0)}")
    if best == 0.0:
        cues.append("q-overruled:embedded/advice")
        return 0.0, True
    return best, False


def _analyse(text: str) -> _Evidence:
    ev = _Evidence()
    clauses = _clauses(text)
    sentences: dict[int, list[_Clause]] = {}
    for c in clauses:
        sentences.setdefault(c.sentence, []).append(c)

    q_strengths: list[float] = []
    a_strengths: list[float] = []
    per_sentence: dict[int, tuple[float, float]] = {}
    asked: dict[int, int] = {}
    requests: dict[int, bool] = {}  # the sentence asks the patient to send or tell something
    texts = {idx: "".join(c.text for c in sent) for idx, sent in sentences.items()}
    boilerplate = any(_DISCLAIMER.search(t) for t in texts.values())
    # 能把血常规报告拍给我吗? 拍清楚点, 别反光.: a sentence that only says how to do what the one before asked
    asked_before, advised_before = False, False
    quoted_before = False  # the sentence before quoted someone else's question (很多家长问…能不能洗澡？)
    quoted_question = False  # the sentence before was only a quoted question
    for idx, sent in sentences.items():
        sent_text = texts[idx]
        # (仅供参考，如有不适请及时就医: the stock safety net is part of the boilerplate, not advice beside it)
        explicit = any(_EXPLICIT_ADVICE.search(c.text) and not _SAFETY_NET.match(c.text) for c in sent)
        disclaimer = ((bool(_DISCLAIMER.search(sent_text)) and not explicit)
                      or (boilerplate and bool(_SAFETY_NET.match(sent_text))))
        offer = bool(_OFFER_MORE.match(sent_text))
        last_report = max((n for n, c in enumerate(sent) if _REPORT_BACK.search(c.text)), default=-1)
        first_person_cannot = bool(_FIRST_PERSON_CANNOT.search(sent_text))
        sq, sa = 0.0, 0.0
        what_to_do = 0.0  # "吃什么好呢，多吃蔬菜": asked, then answered in the same sentence (rhetorical)
        asking, pending = 0, 0  # clauses asked; clauses held back as what-to-do until the sentence ends
        requested = asked_before and all(_QUALIFIES_REQUEST.match(c.text) for c in sent)
        # (an earlier clause of the sentence, or the sentence before, asked the patient to send or tell something)
        # 能不能… asked in the sentence, then advice in a later clause of it (…，别一个人硬扛？)
        suggesting, advice_after = False, 0.0
        proposing = True  # every clause asked asks consent (你看这样行不行), here to the advice after it
        third_party = False  # 有人问能不能吃鸡肉，是不是发物？: an earlier clause quotes someone else's question
        quoting = False  # a clause of this sentence was a quoted question going on from the sentence before
        proposal_lead = False  # 要不先把…改到早上吃，看看睡眠会不会好一点？: a proposal, and its trial
        embedded_open = False  # the clause before embedded its question in advice (观察是否发热，…)
        proposed = False  # an earlier clause was advice asked as a question (能不能把…延长到两分钟，…？)
        alternative_open = False  # the clause before was the first half of an alternative question (是A，还是B)
        social_before = False  # 我下午有手术，晚上八点以后再回复你，可以吗？: consent asked to a service matter
        # whether a later clause of the sentence says to record (…，记下来), or asks, counted once from the end so that
        # comma-less chat of many questions stays linear (the second only when first needed)
        record_after = [False] * (len(sent) + 1)
        for m in range(len(sent) - 1, -1, -1):
            record_after[m] = record_after[m + 1] or bool(_RECORD_IT.match(sent[m].text))
        asks_after: list[bool] = []
        for n, c in enumerate(sent):
            if disclaimer and n > 0 and _CONTRAST.match(c.text) and not _DISCLAIMER.search(c.text):
                disclaimer = False  # 以上建议仅供参考，不过你这种情况确实需要面诊：…: what follows the turn is advice
            # (我只是实习的，不能给您改药，您先按原来的方案吃: what the doctor cannot do, not the advice to the patient)
            if (disclaimer or offer or _LEAD_IN.match(c.text) or (c.heading and _SECTION_NAME.match(c.text))
                    or (first_person_cannot and not _EXPLICIT_ADVICE.search(c.text) and not _ADDRESSED_ADVICE.search(c.text))):
                if _advice_strength(c.text, []) > 0:
                    ev.a_overruled = True
                continue
            if _SOCIAL.search(c.text.rstrip(_TRAILING)):
                ev.cues.append("social")
                social_before = True
                continue
            local: list[str] = []
            if _OK_TAG.search(c.text) and _advice_strength(_OK_TAG.sub("", c.text), []) > 0:
                c = replace(c, text=_OK_TAG.sub("", c.text), terminal_question=False)  # 别再空腹喝咖啡了 ok?
                local.append("consent")
            # 是吃完一点都没缓解，还是…？: the first half of an alternative question describes, it does not explain
            # (这次想戒烟是您自己决定的，还是家里人劝的？: 是 inside it, the 还是 clause closing the sentence)
            alternative = n + 1 < len(sent) and sent[n + 1].text.startswith("还是") and (
                c.text.startswith("是")
                or ("是" in c.text and n + 2 == len(sent) and not re.match("还是(要|得|应|需|必)(?![^，,。？?]{0,16}才)", sent[n + 1].text))
                # (您这次去东南亚是住城市酒店，还是要进雨林徒步: what the patient will do, asked; not 您这是…，还是要…)
                or (n + 2 == len(sent) and bool(re.search(r"(你|您)(?!这是)[^，,。？?]{0,10}(?<!这)是(?!的)", c.text))))
            # (…，还是慢慢加重、慢慢缓解的: the second half describes too)
            second_half = alternative_open and c.text.startswith("还是")
            alternative_open = alternative
            a = (0.0 if _PURPOSE.match(c.text) or alternative or second_half
                 else _advice_strength(_AFTER_TIME.sub("", c.text), local))
            options = _ALTERNATIVE.search(c.text)
            if (a > 0 and options and options.group(0) != "还是" and not re.search(r"\s", options.group(0))
                    and _advice_strength(c.text[: options.start()], []) == 0):
                a = 0.0  # 这个药是饭前吃还是饭后吃: the advice words are the choices asked about
                local.append("alternatives")
            if suggesting:
                advice_after = max(advice_after, a)
            q, overruled = _question_strength(c, a, local)
            if (q > 0 and proposed and c.terminal_question and _PROPOSAL_GOES_ON.match(c.text)
                    and _question_strength(replace(c, terminal_question=False), 0.0, [])[0] == 0):
                # 能不能把刷牙时间延长到两分钟，用巴氏刷牙法？: the ？ closes the proposal, this clause asks nothing
                q, overruled = 0.0, True
                local.append("rhetorical:proposal")
            if (q == 0 and a == 0 and not sent[-1].terminal_question and _AFTER_TIME.match(c.text)
                    and not _asks_after(sent, asks_after)[n + 1]):
                # 停药以后，血压会反弹: nothing asked, the change is the topic (but 吸入激素用完以后您有没有漱口 asks,
                # with no question mark)
                a = _advice_strength(c.text, local)
            if (q > 0 and n > 0 and _BARE_REPORT.match(c.text) and _CONDITIONAL.search(sent[n - 1].text)
                    and not _ASKS_NOW.search(sent[n - 1].text)):
                q, overruled, a = 0.0, True, max(a, _A_ACTION)
                local.append("report-if")
            if q > 0 and proposal_lead and (a > 0 or _TRIAL.match(c.text)):
                q, overruled = 0.0, True
                local.append("rhetorical:proposal")
            proposal_lead |= n == 0 and a > 0 and bool(_PROPOSAL_LEAD.match(c.text))
            suggesting |= (q > 0 and bool(_SUGGESTING.search(c.text))) or (overruled and a > 0 and bool(_SUGGESTING_LEAD.match(c.text)))
            proposed |= a > 0 and bool(_SUGGESTING.search(c.text))
            if q > 0 and not _CONSENT.match(c.text.rstrip(_TRAILING)):
                proposing = False
            measured = _MEASURING.search(c.text) if 0 < a < _A_STRONG and q == 0 and n < last_report else None
            # (你先把氨氯地平再加一片，半小时以后再量一次，量完告诉我: the dose changed before the measurement is advice)
            if measured and not _DOSE_CHANGED.search(c.text[: measured.start()]):
                a = 0.0
                local.append("for-report")
            if q == 0 and a > 0 and requested and (_QUALIFIES_REQUEST.match(c.text) or c.listed):
                a = 0.0
                local.append("qualifies-request")
            if (q == 0 and 0 < a < _A_STRONG and _CONDITIONAL.search(c.text) and not _CONSEQUENT.search(c.text)
                    and n == len(sent) - 2 and sent[-1].terminal_question):
                # 如果用手按压肚子右下方，会不会更痛？: the condition of the question, not something advised (but
                # 如果还疼就先吃片布洛芬，现在体温多少？ advises in its condition's own consequence)
                a = 0.0
                local.append("condition-of-question")
            # (很多家长问打完疫苗能不能洗澡？: the clause itself quotes them)
            third_party |= bool(_THIRD_PARTY_ASKS.match(c.text))
            if q > 0 and (n > 0 and _REPORTS_NEXT.search(sent[n - 1].text)
                          or (third_party and not _SECOND_PERSON.search(c.text))
                          or (quoted_question and n == 0 and c.terminal_question and not _SECOND_PERSON.search(c.text))):
                quoting = True
                q, overruled = 0.0, True
                local.append("reported")
            if (third_party or quoted_before) and q == 0 and a == 0 and _ANSWERS_QUOTED.match(c.text.rstrip(_TRAILING)):
                a = _A_INFO  # 很多人问荨麻疹会不会传染，其实不会: the quoted question answered, an explanation
                local.append("answers-quoted")
            third_party |= bool(_THIRD_PARTY_ASKS.search(c.text))
            if (q > 0 and embedded_open and not c.terminal_question
                    and (_CONTINUES_OBJECT.match(c.text) or (_SHIFOU.search(c.text) and not _SECOND_PERSON.search(c.text))
                         # 回家观察孩子有没有发热、呕吐，尿量有没有减少: a second sign to watch, asked of no one now
                         or (_WATCHED_SIGN.search(c.text) and not _SECOND_PERSON.search(c.text) and not _NOW.match(c.text)))):
                q, overruled = 0.0, True  # 注意观察是否发热，还有伤口周围有没有红肿 / …，体温是否超过38度: the second thing to watch
                local.append("embedded:continued")
            if q > 0 and sa > 0 and not c.terminal_question and _PURPOSE_LOOK.match(c.text):
                q, overruled = 0.0, True  # 每半年来复查一次，看封闭剂有没有脱落: what the check is for
                local.append("embedded:purpose")
            embedded_open = ("q-overruled:embedded/advice" in local or (embedded_open and "embedded:continued" in local)
                             or (q == 0 and a > 0 and bool(_WATCHING.match(c.text))))
            if (q > 0 and not c.terminal_question and n + 1 < len(sent) and _TOPIC_NEXT.match(sent[n + 1].text)
                    and not _REQUEST_INFO.search(c.text)):  # (把血常规结果发我一下，主要看血红蛋白: what the doctor will read in it)
                q, overruled = 0.0, True
                local.append("topic-of-next")
            if (q > 0 and (c.terminal_question or n == len(sent) - 1) and _CONSENT.match(c.text.rstrip(_TRAILING))
                    and sa > 0 and not requested):
                q, overruled = 0.0, True
                local.append("consent")
            if (q > 0 and (c.terminal_question or n == len(sent) - 1) and _CONSENT.match(c.text.rstrip(_TRAILING))
                    and social_before and sa == 0):
                q, overruled, a = 0.0, True, 0.0
                local.append("consent:service")
            if q > 0 and sa > 0 and not c.terminal_question and _DAILY_COUNT.match(c.text):
                q, overruled = 0.0, True  # 试试腹式呼吸：…，每天练习几次: how often to do what was advised
                local.append("daily-count")
            if (q > 0 and not c.terminal_question and record_after[n + 1]
                    and not (_REQUEST_INFO.search(c.text) or _PLEASE_ASK.search(c.text))):
                q, overruled = 0.0, True  # 数一下一分钟脉搏多少下，记下来: the count is what to record, not asked now
                local.append("to-record")
            requested |= q > 0 and bool(_REQUEST_INFO.search(c.text))
            ev.q_overruled |= overruled
            if q > 0 and a > 0 and _SUGGESTING.search(c.text) and not _REQUEST_INFO.search(c.text):
                q = 0.0  # 能不能少熬夜？, 何不试试…？: advice asked as a question
                ev.rhetorical = ev.q_overruled = True
                local.append("rhetorical:suggesting")
            if q > 0 and a > 0:
                # A clause that is asked ("目前在服用什么药吗？") is a question; its advice words are topic.
                a = 0.0
                ev.a_overruled = True
            if q > 0 and not c.terminal_question and _WHAT_TO_DO.search(c.text) and not _SECOND_PERSON.search(c.text):
                what_to_do, q = max(what_to_do, q), 0.0
                pending += 1
            elif a > 0 and what_to_do > 0:
                ev.rhetorical = ev.q_overruled = True
                local.append("rhetorical:same sentence")
                what_to_do, pending = 0.0, 0
            ev.cues.extend(local)
            sq, sa = max(sq, q), max(sa, a)
            asking += q > 0
        sq = max(sq, what_to_do)  # not answered in its sentence: still asked (a later sentence may answer it)
        if sq > 0 and proposing and sa > 0 and not requested:
            sq = 0.0  # 你看这样行不行，先把药减到半片…: consent asked for the advice that follows
            ev.q_overruled = True
            ev.cues.append("consent:before")
        if sq > 0 and advice_after > 0 and not requested:
            # 您也要注意休息，能不能和家里人排个班，别一个人硬扛？: advice asked as a question across its clauses
            sq, sa = 0.0, max(sa, advice_after)
            ev.rhetorical = ev.q_overruled = True
            ev.cues.append("rhetorical:suggesting sentence")
        if (sq > 0 and 0 < sa < _A_STRONG and sent[-1].terminal_question and _CONFIRM_TAG.match(sent[-1].text)
                and any(_READ_BACK.match(c.text) for c in sent)):
            sa = 0.0
            ev.a_overruled = True
            ev.cues.append("read-back")
        if (sq > 0 and advised_before and len(sent) == 1 and sent[0].terminal_question
                and _CONSENT.match(sent[0].text.rstrip(_TRAILING))):
            sq = 0.0  # …洗完马上抹身体乳。⏎🙂 很简单吧？: consent or a tag on its own line after advice
            ev.q_overruled = True
            ev.cues.append("consent:after")
        asked_before = requested or any(_REQUEST_INFO.search(c.text) for c in sent)
        requests[idx] = asked_before
        advised_before = sa > 0
        quoted_before = third_party
        # (很多家属会问：用吗啡会不会上瘾？会不会让人走得更快？: a sentence that only quotes a question, and the next
        # question with no 你 in it goes on quoting; not …，其实不会。孩子现在精神怎么样？, asked after the answer)
        quoted_question = (third_party or quoting) and sq == 0 and sent[-1].terminal_question
        per_sentence[idx] = (sq, sa)
        asked[idx] = asking + pending

    order = sorted(per_sentence)
    # whether any sentence after each one advises, counted once from the end (a reply of many questions stays linear)
    advice_after_pos = [False] * (len(order) + 1)
    for pos in range(len(order) - 1, -1, -1):
        advice_after_pos[pos] = advice_after_pos[pos + 1] or per_sentence[order[pos]][1] > 0
    for pos, idx in enumerate(order):
        sq, sa = per_sentence[idx]
        if sq > 0:
            sent_text = "".join(c.text for c in sentences[idx])
            following_advice = advice_after_pos[pos + 1]
            wtd = _WHAT_TO_DO.search(sent_text)
            nxt = order[pos + 1] if pos + 1 < len(order) else None
            marked = nxt is not None and bool(_MARKED_ANSWER.match(sentences[nxt][0].text))
            explained = nxt is not None and bool(_EXPLAINS.match(sentences[nxt][0].text) and _WHY_HOW.search(sent_text))
            answers = nxt is not None and (_SELF_ANSWER.match(sentences[nxt][0].text)
                                           or (_ANSWERED_NEXT.match(sentences[nxt][0].text) and not _SECOND_PERSON.search(sent_text))
                                           or (_EXPLAINS.match(sentences[nxt][0].text) and _WHY_HOW.search(sent_text))
                                           or _gives_count(sent_text, "".join(c.text for c in sentences[nxt])))
            if marked or explained or answers and following_advice or sentences[idx][0].heading and following_advice:
                ev.rhetorical = ev.q_overruled = True
                ev.cues.append("rhetorical:self-answered")
                sq = 0.0
                if explained and nxt is not None:
                    # 为什么要查…？因为它能更早发现…: the answer to the doctor's own why is an explanation
                    per_sentence[nxt] = (per_sentence[nxt][0], max(per_sentence[nxt][1], _A_INFO))
            elif wtd and following_advice and not requests[idx] and (wtd.group(0) == "怎么办"
                                               or not _SECOND_PERSON.search(_GREETING.sub("", sent_text))):
                ev.rhetorical = True
                ev.q_overruled = True
                ev.cues.append(f"rhetorical:{wtd.group(0)}")
                sq = 0.0
        if sq > 0:
            q_strengths.append(sq)
            ev.asked += asked[idx]
        if sa > 0:
            a_strengths.append(sa)

    ev.question = _noisy_or(q_strengths)
    ev.advice = _noisy_or(a_strengths)
    return ev


def _asks_after(sent: list[_Clause], memo: list[bool]) -> list[bool]:
    """For each position in ``sent``, whether a clause from there on asks (on its own); computed once into ``memo``."""
    if not memo:
        memo.extend([False] * (len(sent) + 1))
        for m in range(len(sent) - 1, -1, -1):
            memo[m] = memo[m + 1] or _question_strength(sent[m], 0.0, [])[0] > 0
    return memo


def _gives_count(question: str, following: str) -> bool:
    """The count or length asked (几次, 多久) stated, with its unit, in the sentence that follows."""
    m = _COUNT_ASKED.search(question)
    if not m or _SECOND_PERSON.search(question) or _CONDITIONAL.search(following):
        return False  # (如果一天超过8片…: a threshold for what to do, not the count asked)
    units = m.group(1) or "天周月年小时分钟"
    return bool(re.search(f"{_NUMERAL}[{units}]", following))


def _noisy_or(strengths: Iterable[float]) -> float:
    miss = 1.0
    for s in strengths:
        miss *= 1.0 - s
    return 1.0 - miss


# --------------------------------------------------------------------------------------------------
# Public API


def classify_rules(text: str) -> TurnTypeSuggestion:
    """The rules alone: question / suggestion / mixed / other, with the independence model's confidence."""
    if not text or not text.strip(" \t\r\n。…."):
        return TurnTypeSuggestion(TurnType.OTHER, 1.0, RULES_AGENT, ("empty",))
    ev = _analyse(text)
    q = ev.question or (_RESIDUAL_OVERRULED if ev.q_overruled else _RESIDUAL_NONE)
    # A long reply with no cue at all is more likely unrecognised advice than small talk.
    length_doubt = min(0.45, _RESIDUAL_NONE + len(text.strip()) / 200)
    a = ev.advice or max(_RESIDUAL_OVERRULED if ev.a_overruled else _RESIDUAL_NONE, length_doubt)
    probs: dict[str, float] = {
        TurnType.QUESTION: q * (1 - a),
        TurnType.SUGGESTION: (1 - q) * a,
        TurnType.MIXED: q * a,
        TurnType.OTHER: (1 - q) * (1 - a),
    }
    turn_type = max(TURN_TYPES, key=lambda t: probs[t])
    return TurnTypeSuggestion(turn_type, round(probs[turn_type], 4), RULES_AGENT, tuple(ev.cues))


@functools.cache
def _model() -> TurnTypeModel | None:
    """The learned model, or None (said once in the log) so that a missing file never stops a reply."""
    try:
        return default_model()
    except ModelUnavailable as e:
        log.warning("%s; the turn-type classifier uses its rules alone", e)
        return None


def blend(rules: TurnTypeSuggestion, probs: dict[str, float], weight: float = BLEND_WEIGHT) -> TurnTypeSuggestion:
    """The model's probabilities plus ``weight`` x the rules' confidence on the rules' class, normalised."""
    scores = {t: probs.get(t, 0.0) for t in TURN_TYPES}
    scores[rules.turn_type] += weight * rules.confidence
    turn_type = max(TURN_TYPES, key=lambda t: scores[t])
    cues = rules.cues
    if turn_type != rules.turn_type:  # say so: the rules' cues alone would explain the other class
        cues += (f"model overruled rules: {turn_type} (p={probs.get(turn_type, 0.0):.2f}) over {rules.turn_type}",)
    return TurnTypeSuggestion(turn_type, round(scores[turn_type] / sum(scores.values()), 4), AGENT, cues)


def classify(text: str) -> TurnTypeSuggestion:
    """Classify one doctor reply into question / suggestion / mixed / other, with a confidence: the rules
    blended with the learned model (:func:`blend`), or the rules alone when the model cannot be read."""
    rules = classify_rules(text)
    model = _model()
    if model is None or rules.cues == ("empty",):
        return rules
    return blend(rules, model.predict_proba(text))


def count_questions(text: str, suggestion: TurnTypeSuggestion | None = None) -> int:
    """Number of clauses the doctor actually asks (rhetorical, quoted and embedded ones excluded), as the rules
    count them; a reply counts as asking exactly when :func:`classify` says question or mixed, so where the
    model overrules the rules the count is 0 (not asking) or at least 1 (asking). ``suggestion``: :func:`classify`'s
    answer for ``text`` when the caller has it already (a stored reply is classified once)."""
    if not text or not text.strip(" \t\r\n。…."):
        return 0
    if (suggestion or classify(text)).turn_type not in (TurnType.QUESTION, TurnType.MIXED):
        return 0
    return max(_analyse(text).asked, 1)


def coq_measures(text: str, suggestion: TurnTypeSuggestion | None = None) -> dict[str, Any]:
    """The automatic Chain-of-Questioning measures stored with every generation (``suggestion`` as in
    :func:`count_questions`)."""
    n = count_questions(text, suggestion)
    return {"asks_question": n > 0, "question_count": n, "length_chars": len(text.strip())}


__all__ = [
    "AGENT",
    "BLEND_WEIGHT",
    "ORIGINAL_MARKERS",
    "RULES_AGENT",
    "TURN_TYPES",
    "TurnTypeSuggestion",
    "blend",
    "classify",
    "classify_rules",
    "coq_measures",
    "count_questions",
    "is_question_original",
]
