"""Which case facts a doctor's turn asks about, and which facts a patient's reply mentions.

Matching is deliberately simple and inspectable: a fact is *asked* when one of its keywords occurs in
the questioning part of the doctor's turn, or when a content word of that part (jieba tokens) is one of
the content words of the fact's keywords. A one-character keyword is a morpheme: it counts only in a word
of the question where it keeps its meaning (吐 in 呕吐, not in 吐字; 血 in 出血, not in 血压), see
:func:`_morpheme_occurs`. Generic question words (什么, 有没有, 最近, 以前...) never match,
not even when a case lists one as a keyword, so "最近怎么样？" does not reveal every fact and "以前有过敏史吗？"
does not reveal a fact keyed on 以前; loading such a case warns (:func:`workbench.simulate.generic_words.generic_keywords`). "多久…一次" asks how often, not how long: there a
duration word (多久, 多长时间) counts only for a fact about frequency (one with a keyword such as 几次,
经常, 频率), so "平时多久体检一次？" does not reveal since when the patient has been ill. A keyword of several characters counts where it is a word
(not inside 小时候 for 小时; but a question word at the start of a combination the segmenter built itself, 哪天伤), a keyword two facts share asks the one the question names otherwise too, everyday
words stand for the standard ones a case lists (拉屎 for 大便, 抽风 for 抽搐, 知觉 for 麻木; the table is
``everyday_words.yaml``), and a clause about other people (家里大人, 你爱人, 她爸爸) asks nothing of the patient's
own facts. A count or a time asked in a clause that
names another fact's topic belongs to that topic (孩子尿了几回 asks the urine's, not the stool fact keyed on 几次), and
a one-character keyword joined to another asked fact's keyword is part of that word (药物过敏, 避孕药). A clause that
asks when or how long asks that time, not its topic (疹子什么时候出来的 asks the onset); how long something takes
(多久才能睡着) is not since when, nor is a daily amount (一天用手多久) or the worst time (什么时候最重); an event named
as a time (摔完, 抽之前, 摔的时候, 怀孕以前) is not asked; 头 ending 脚趾头 is a
suffix; and a tag that checks understanding or consent after advice (…要马上来医院，听明白了吗？, …，好吗？) asks nothing,
as do clauses about buying, prices or opening hours (布洛芬药店能买到吗？), a short follow-up to a question about
other people (你同事也查出来过吗？多大的？), what 除了… sets aside and a preface such as 我问您几个问题：. A place word
that belongs to another question (在哪儿挣钱: the work; 往哪儿走: where the pain runs) asks no place, the relatives a
family fact is keyed on ask nothing of it beside another fact's topic (你自己或者家里人有没有血栓), and the noun before an
event named as a time is part of that time (泡泡冒出来前头). A keyword that ends an everyday word for something
else asks nothing there (肚子 in 闹肚子, which stands for 腹泻), and of two clauses asking when, the one whose topic
the time fact does not tell asks that topic's fact (什么时候被叮的，红疹什么时候开始出来的). 吃 or 喝 taking a medicine
(吃啥药) asks nothing of the eating, a time to come (下回打疫苗是啥时候) no fact's time, and a keyword that names the
time before an event (晕之前) nothing in a clause that asks another fact (晕之前心慌不慌). A word said as the place or the
time of what another fact's keyword asks asks nothing of its own fact (大便里见没见血, 打球的时候撞到了吧), unless that fact
tells what happens then, and a turn in Shanghainese (侬, 姆妈, 伐) is read in Mandarin as a Cantonese one is. That place
or time may be an everyday word for the keyword (来事儿的时候, 干活的屋里), a time of day before another fact's topic is that
topic's time (晚上喝不喝酒), and taking a medicine said of another fact's keyword asks that fact (用过激素, 抗疟的药). A
history keyword (过敏史) is asked by its word said of the past (以前过敏过吗), an anti-allergy medicine (抗过敏) tells no
allergy, 农药 names no medicine, and a keyword 睡觉的药 is about the medicine, not the sleep. 多大工夫 asks how long and
没多久 nothing; an animal's age (那只泰迪几岁) is no one's; 干什么的时候 asks the activity, not the work; a count asks the count
of a topic named beside it (起夜几次); a question put to the patient before a clause about others is still asked (您多大岁数，
家里老人…); 一天几次 after a dose asks no fact of the illness; and a symptom or a word of where said of a place another fact
tells of asks that fact (腰疼不疼 asks 腰不疼; 哪边腿麻 the numbness of 左小腿外侧). A question before a clause about
others that names no one is the patient's (身上有没有淤青，家里有没有人…), and so is a case in traditional characters read
in simplified ones. A body part with 上 is a place (耳朵上没长疱吧 asks the blisters); two one-character keywords said as one
word ask both (烟酒); a parent named bare (爸爸咳的时候…) and people just named, as 他们, are others; a fact about the speaker's
relative (我妈妈有甲状腺的问题) is asked only by a turn that asks of someone; 一开始 frames what came first and 要僵多久 how
long it lasts, neither since when; and what a medicine is for (控血糖那白片片) is no topic it yields to. A verb with a
directional complement is headed by the verb (晕过去 asks 晕) and a body part said in full asks its one-character name (眼睛
asks 眼); 多大一摊 asks an amount, not the age; 你先生 is a husband, another person, as is an uncle or aunt named bare at a
clause's start (舅舅肝硬化…), and a fact that names a husband is about him. 当时 said in a clause that asks another fact is
its time (当时咳出来东西没有), and so is a verb with a directional complement before a time word (哭起来的时候); 那阵 is a
while, no bout; a fact's own one-character keywords said as one word (抽烟) are no part of another's; the noun after a keyword
that asks which (吃了么子 + 药) is what is asked; a one-character keyword inside a longer one another fact is asked by through
an everyday word (梳子…掉: 掉发) yields to it, and so does a place said before another fact's symptom, its own pain unsaid
(心口…扑通扑通); people named with a demonstrative and a classifier (那几位哥们儿) are others, 在家 names no relative, a
device at home (家里有血氧机吗) asks no household, both sides compared (两边…一样不一样) no side, and 吃的是什么药 after a
clause about another person is that person's. An everyday word that stands for two asked facts' keywords (零嘴: 吃得, 吃东西)
is the one's also asked by words of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from workbench.annotate.zh_variants import to_simplified
from workbench.simulate.cases import Case, Fact
from workbench.simulate.everyday_words import sources as everyday_sources
from workbench.simulate.everyday_words import table as everyday_table
from workbench.simulate.everyday_words import with_standard_words
from workbench.simulate.generic_words import GENERIC_KEYWORDS, GENERIC_TOKENS

# Sentences, and what follows a colon (…所以我得问清楚：1. …？2. …？, …所以我想先确认：妳有没有可能怀孕？): the
# explanation before it asks nothing, even where no full stop ends it.
_CLAUSE_SPLIT = re.compile(r"(?<=[。！？!?；;\n])|(?<=[：:])")
# How Chinese asks, with or without a question mark: a question mark, the particles 吗/呢/么, a verb
# phrase closed by 不/没/没有 (抽烟不, 发烧了没, 看过没有), a question word (什么, 怎样, 哪, 几天, 多大, 啥,
# 咋…, 多快, 屙几道尿), a request to tell (请描述, 说一下, 讲讲, 告诉我), or an A-not-A form (疼不疼, 会不会, 有没有).
_QUESTION_CUES = re.compile(
    r"[？?]|吗|呢|(?<![那这怎什多])么|有没有|是不是|是否|有无|(?:不|没有|没)[。！!；;\s]*$|(?<=[过了])(?:没有|没)(?=[，,])"
    # 摸着不烫吧, 没吐吧, 没在吃阿司匹林之类的药吧: a guess put to the patient to confirm (not 先别急吧)
    r"|(?<![别先差])(?:没|不)[^，,。不没\s]{1,12}吧[。！!\s]*$"
    # not 这几天 (these days) or 差不多高 (about as high): advice says them too
    r"|(?<![不没])(?<![不没][\u4e00-\u9fff])什么|怎么样|怎样|如何|为什么|怎么(?![办也都])|哪|(?<![这那前后近每好头])几[天次岁个周年度点月回趟道杯片粒颗瓶斤包支口顿遍种块根]"
    # (没多大工夫, 没多久又想去: not long, no question)
    r"|(?<!差不)(?<!许)(?<![没])多[久长少大高重远快]"
    # 肿的是里边还是外边: an alternative question (not 还是要…, 你还是去…: advice)
    r"|(?<=[\u4e00-\u9fff，,、])(?<!要是)(?<!如果)(?<!若是)还是(?!要|得|去|先|建议|应该|尽快|别|多|少|赶紧|最好)"
    r"|(?<!这)谁(?![都也])|(?<![不没])(?<![不没][\u4e00-\u9fff])啥|咋"
    # 小囡闹伐: Shanghainese 伐 closing a question (not 步伐, 砍伐)
    r"|(?<![步砍采征讨杀])伐(?=[，,。？?！!\s]|$)"
    r"|描述一下|描述下|请描述|介绍一下|补充一下|说明一下|说一下|说说|讲一下|讲讲|告诉我|唠唠|唠一唠"
)
# (一样不一样, 舒服不舒服: a word of two characters asked the same way)
_A_NOT_A = re.compile(r"(.)[不没]\1|([\u4e00-\u9fff]{2})[不没]\2")
# An A-not-A after a verb of finding out is an embedded question, advice to watch: "看看皮疹会不会消退".
_EMBEDDING = re.compile(r"(看看|观察|留意)[^，,]*(.)[不没]\2")
_PUNCT = re.compile(r"[\s，。！？!?、；;：:,.“”\"'（）()…—-]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# A duration word followed, within its clause, by 一次 asks how often ("多久体检一次", "几天大便一次").
_HOW_OFTEN = re.compile(r"(多久|多长时间|多长|几天)(?=[^，。！？!?；;,\n]{0,8}?(一次|一回|一趟))")
# (not 第一次 or 上一次: the first or the last time is a time, not how often)
_FREQUENCY_WORDS = re.compile(r"几次|次数|经常|频率|(?<![第头上末后近])一次|反复")


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


# 除了手表提醒，…还有哪里不舒服: what the question sets aside is not asked; 我问您几个问题：…: a preface that asks nothing
_SET_ASIDE = re.compile(r"除了[^，,。？?！!]{1,14}?(?:以外|之外)?[，,]|(?:我|再|先)?(?:问|请教)(?:您|你)?(?:几个|一些|两个|三个)问题[：:]?")


def question_part(doctor_text: str) -> str:
    """The clauses of a doctor's turn that ask something (empty when it asks nothing)."""
    clauses = [c for c in _CLAUSE_SPLIT.split(_SET_ASIDE.sub("", doctor_text or "")) if c.strip()]
    return "".join(c for c in clauses if _asks(c))


# 回去以后…要马上来医院，听明白了吗？ / 先别吃止痛药，好吗？: the doctor checks they were understood or asks consent
# (好吗, 可以吗 only as a clause of their own: 那狗现在还好吗, 睡得好吗 ask)
_ADVICE_TAG = re.compile(r"(?:(?:[，,]\s*(?:(?:你|您)看)?(?:好|行|可以|能做到|做得到)|[，,\s]*(?:听明白了|听清楚了|记住了|明白了|知道了|懂了))[吗么]"
                         # …立马来急诊，中不中？: the consent asked in a dialect
                         r"|[，,]\s*(?:中不中|行不行|好不好|成不成|得不得))[？?。！!\s]*$")


# 每天看看有没有红肿。: what the patient is to watch for, asked of nobody (with a question mark it is asked)
# (拍个片子看看卡在哪儿: where the film will show it; not 你再看看他现在有没有憋气: a check to report now)
# (记下抽了多长时间: what the patient is to note down next time)
_WATCH_FOR = re.compile(r"(看看|观察|留意|注意|记下|记一下|记好|记录)(?![^，,。？?]*(现在|这会儿|眼下))[^，,。？?]*?"
                        r"(有没有|是不是|是否|哪|什么|多少|多长时间|多久|几分钟|几次|几[片粒个回天])"
                        r"[^，,。？?]*(?=[，,。；;！!]|$)")


def _asks(clause: str) -> bool:
    clause = _ADVICE_TAG.sub("。", clause)
    if not re.search(r"[？?]", clause):
        clause = _WATCH_FOR.sub("", clause)
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
_QUASI_SUFFIXES = frozenset("物品量液类性状样色次声史")  # 过敏史 asks the allergy
# ... and the noun suffixes of a two-character word (疹子, 虫子: the rash, the insect)
_NOUN_SUFFIXES = frozenset("子儿")
# One-character predicates the segmenter joins to the noun before them (血压高, 大便干): the noun is still what
# is asked about ...
_PREDICATES = "高低大小多少重轻快慢好坏红肿疼痛痒干稀硬软热冷凉酸胀麻"
# ... and localizers (睡醒后, 饭前): the time or place of what the noun or verb names
_LOCALIZERS = "后前时里上下中内外"


# Verb-object words of a habit or a routine (抽烟, 喝酒, 抽血): their verb is not a keyword's morpheme (抽 of a
# twitch, 喝 of a swallowed poison)
# (洗澡 洗头 洗脸 洗手: washing oneself, not the bedding keyed 洗)
_HABIT_WORDS = frozenset("抽烟 吸烟 抽过烟 喝酒 饮酒 喝过酒 喝茶 喝咖啡 喝水 吃饭 抽血 洗澡 洗头 洗脸 洗手".split())


def _morpheme_occurs(char: str, question: str, gloss: str) -> bool:
    """A one-character keyword is a morpheme, and means what the word it is in makes of it. It asks where
    it is a word of its own (吐了几次) or part of a free combination (疼不疼, 尿少). In a dictionary word it
    asks where it is the word's head: the last morpheme, Chinese modifier-head compounds being
    right-headed (呕吐, 头疼, 发烧, 出血; a quasi-suffix such as 物 or 量 set aside: 呕吐物, 药物, 尿量), or
    the first verb of a verb compound, which is head-initial (睡觉, 扭伤); or where the word's other
    morphemes are all in the fact's own wording ``gloss``, which shows the sense meant (a simplified
    Lesk test: 疼痛 for a fact that says 隐痛). Otherwise the word names something else: 吐字, 疼爱,
    血压, 糖尿病, 破伤风, 按时."""
    if char in "吃喝喂服" and "药" not in gloss:
        question = _TAKES_MEDICINE.sub("，", question)  # 吃啥药: the medicine taken, not the eating
    if char == "哪":
        question = _WHERE_IT_IS_FELT.sub("哪", question)
    own_tag = _pos_tags().get(char, "")
    if own_tag.startswith("v") and not _morpheme_outside_time_clause(char, question):
        return False
    for w, tag in _words(question):
        if char not in w:
            continue
        # (a habit word still asks a fact whose wording holds its other morpheme: 吃饭 the diet that says 饭)
        habit = w in _HABIT_WORDS and not all(c in gloss for c in w.replace(char, ""))
        if w != char and w.endswith(char) and w in _SUFFIX_WORDS or habit:
            continue  # 脚趾头, 石头, 里头: 头 is a suffix there, not the head
        if w in _NOT_MEDICINES and char == "药":
            continue  # 农药, 火药: a poison or an explosive, not a medicine
        if w in _DETERMINERS:
            continue  # 这种反应, 那种疼: the kind, not 种 (to grow)
        if w in _DISEASES_HEADED_BY_SYMPTOM and w not in gloss:
            continue  # 有没有哮喘: the disease, not the breathlessness of a fact that does not name it
        if w == char or tag is None:
            return True
        # (出疹子 asks 疹 as 疹子 does: a noun suffix after the head of a longer word)
        suffixed = (w[1:] in _QUASI_SUFFIXES or (w[1:] in _NOUN_SUFFIXES or len(w) > 2 and w[-1] in _NOUN_SUFFIXES)
                    and not own_tag.startswith(("v", "a")))
        base = w[:-1] if len(w) > 2 and w[-1] in _QUASI_SUFFIXES or suffixed else w
        if base.endswith(char) or (w.startswith(char) and own_tag.startswith("v") and tag.startswith("v")):
            return True
        if all(c in gloss for c in w.replace(char, "")):
            return True
        if w.startswith(char) and w[len(char):] in _DIRECTIONAL_COMPLEMENTS or _FULL_FORMS.get(w) == char:
            return True  # 晕过去 asks 晕, as 晕了 does; 眼睛 is 眼 said in full
    return False


# (晕过去, 吐出来: a verb with a directional complement, one dictionary word, is still headed by the verb)
_DIRECTIONAL_COMPLEMENTS = frozenset("过去 过来 起来 下去 下来 出来 进去 上来".split())
# A body part's one-character name said in full (眼睛红过吗 asks a fact keyed 眼)
_FULL_FORMS = {"眼睛": "眼", "耳朵": "耳", "嘴巴": "嘴", "牙齿": "牙", "眉毛": "眉", "胳膊": "臂"}
# 哪里疼, 哪儿不舒服: where a symptom is, which a fact keyed 哪 tells (not 你现在在哪里, where the patient is)
_WHERE_IT_IS_FELT = re.compile(r"哪(?:里|儿)(?=[^，,。？?！!]{0,3}(?:疼|痛|不舒服|难受|痒|肿|麻|胀|酸))")


# Determiners: a one-character keyword inside one names nothing (种 of a farmer's 种地 in 这种反应)
# (session 71: 歇下来那阵, that while: no bout keyed 阵)
_DETERMINERS = frozenset("这种 那种 哪种 各种 一种 某种 这样 那样 这个 那个 哪个 这次 那次 这回 那回 那阵 这阵 那阵子 这阵子 那阵儿".split())
# Words headed by 药 that name no medicine
_NOT_MEDICINES = frozenset("农药 火药 炸药 弹药 鼠药 老鼠药 耗子药 杀虫药 除草药".split())


# 吃啥药, 喝过什么药, 喂的药: the verb of taking a medicine, which asks no fact about eating or drinking
# (有没有在吃避孕药, 吃过降压药: the kind of medicine between)
_TAKES_MEDICINE = re.compile(r"[吃喝喂服](?=[了过的着]?(?:点|些|什么|啥|哪些|哪种|别的|其他|其它)?的?"
                             r"(?:(?:避孕|降压|降糖|降脂|安眠|感冒|止痛|消炎|退烧|止泻|胃|中|西|激素|抗生素?)?药|避孕))"
                             r"|[吃喝服](?=[了过的着]?(?:么子|么个|哪样)药)")
# 止咳糖浆, 止痛片, 退烧药: a medicine named by the symptom it treats, which asks no fact about the symptom
_SYMPTOM_MEDICINE = re.compile(r"(?:止|镇|退)[咳痛疼泻吐痒喘烧热](?=的?(?:药|糖浆|片|水|膏|贴|冲剂|胶囊|颗粒))")
# What the segmenter joins to the verb after it (没见 + 红, 没崴 + 过): the keyword still starts a word there
_ADVERB_PREFIXES = frozenset("没 不 未 别 还 也 都 就 又 再 有 没有 已 已经 曾 刚".split())
# Words whose last character is a noun suffix, not the morpheme itself (头 in 脚趾头 is no head)
_SUFFIX_WORDS = frozenset("大舌头 石头 指头 手指头 脚趾头 脚指头 趾头 骨头 舌头 枕头 拳头 馒头 念头 码头 里头 外头 前头 后头 上头 下头 个头 "
                          "年头 两头 苗头 源头 镜头 罐头 木头 砖头 锄头 丫头 块头 奔头 盼头 甜头 苦头 风头 劲头 工头 包工头".split())
# 摔完还能走吗, 抽完以后精神怎么样, 摔之前有没有胸闷, 摔的时候磕着头没有: the event as a time, before what is asked
_TIME_AFTER_EVENT = re.compile(r"完|了?以后|了?之后|后|之前|前|的时候|那时候|那会儿|那阵")


def _morpheme_outside_time_clause(char: str, question: str) -> bool:
    """Whether the one-character verb ``char`` occurs in ``question`` other than as the time of what is asked."""
    # (session 71: 哭起来的时候, the verb with a directional complement, is the time of what is asked too)
    return any(not _TIME_AFTER_EVENT.match(question, m.end() + _complement_length(question, m.end()))
               for m in re.finditer(re.escape(char), question))


_COMPLEMENT = re.compile(r"起来|上来|下来|过去|过来|出来")


def _complement_length(text: str, at: int) -> int:
    m = _COMPLEMENT.match(text, at)
    return len(m.group(0)) if m else 0


# the last characters of a disease's name (盆腔炎, 心脏病, 前列腺癌)
_DISEASE_ENDS = "炎病症癌瘤"


def _word_occurs(keyword: str, question: str, gloss: str = "") -> bool:
    """A keyword of several characters asks where it is a word of the question, several words, or the head
    (the end) of a longer word (水泡 in 起水泡), or that word with a quasi-suffix (体温 in 体温表). Where it only
    begins or sits inside a longer word, that word names something else: 小时 in 小时候, 免疫 in 免疫力, 前列腺 in
    前列腺癌; unless the longer word is a disease in the fact's own wording ``gloss`` (盆腔炎 of a fact that says it)."""
    start = question.find(keyword)
    if start < 0:
        return False
    spans, built, pos = [], set(), 0
    for t, tag in _words(question):
        at = question.find(t, pos)
        if at < 0:
            continue
        spans.append((at, at + len(t)))
        if tag is None:
            built.add((at, at + len(t)))
        pos = at + len(t)
    while start >= 0:
        end = start + len(keyword)
        if any(a < start < b < end and question[a:start] not in _ADVERB_PREFIXES for a, b in spans):
            start = question.find(keyword, start + 1)
            continue  # it starts inside a word and runs past it (重了 across 粗重 + 了; not 见红 in 没见 + 红)
        inside = next(((a, b) for a, b in spans if a <= start and end <= b and (a, b) != (start, end)), None)
        # (哪天伤的: a question word that begins a combination the segmenter built from the text itself, not a word of its
        # dictionary, is said; a name that begins one is part of a longer name: 三金 of 三金片)
        if inside in built and inside[0] == start and _pos_tags().get(keyword, "").startswith(("r", "m")):
            return True
        # ... (not where that word is an everyday one for something else: 肚子 in 闹肚子, which means 腹泻)
        # ... or names a medicine for it (避孕 in 避孕药, 感冒 in 感冒药)
        # ... or the longer word is a disease the fact's own wording names (盆腔炎 of a fact that says it, keyed 盆腔;
        # not 三金片, a medicine's name, whose dose asked the fact does not tell)
        if inside is not None and question[inside[1] - 1] in _DISEASE_ENDS and question[inside[0]:inside[1]] in gloss:
            return True
        if inside is None or inside[1] == end and not _everyday_for_other(question[inside[0]:end], keyword) or (
                inside[0] == start and inside[1] == end + 1
                                                    and (question[end] in _QUASI_SUFFIXES or question[end] in _PREDICATES + _LOCALIZERS + "药查测做验")):
            return True
        start = question.find(keyword, start + 1)
    return False


def _everyday_for_other(word: str, keyword: str) -> bool:
    """Whether ``word`` is an everyday word the table takes for standard words other than ``keyword``."""
    standard = _everyday_words().get(word)
    return standard is not None and keyword not in standard


@lru_cache(maxsize=1)
def _everyday_words() -> dict[str, tuple[str, ...]]:
    return dict(everyday_table()[0])


@lru_cache(maxsize=20000)
def _words_of(text: str) -> tuple[str, ...]:
    return tuple(w for w, _tag in _words(text))


def _is_about_frequency(fact: Fact) -> bool:
    return any(_FREQUENCY_WORDS.search(k) for k in fact.keywords)


# Colloquial forms of question words, and the standard form a case lists: the same word to a speaker,
# so "疼在哪儿" asks what "哪里" asks. (多久 and 多长时间 are not merged: cases key different facts on them,
# e.g. how long an illness has lasted and how long a spell takes to pass.)
# (烫哪了 asks 烫哪里了; 啥地方, 什么地方 ask where; 啥辰光 is Shanghainese for 什么时候)
# (session 62: 多大工夫 and 多大会儿 ask how long, not how old)
_QUESTION_WORD_FORMS = (("多大工夫", "多长时间"), ("多大功夫", "多长时间"), ("多大会儿", "多长时间"), ("多大一会儿", "多长时间"),
                        # (session 65: 一回能淌多大一摊, the size of a patch, not the age)
                        ("多大一摊", "多少"), ("多大一滩", "多少"), ("多大一片", "多少"), ("多大一块", "多少"),
                        ("哪儿", "哪里"), ("哪了", "哪里了"), ("啥地方", "哪里"), ("什么地方", "哪里"), ("啥辰光", "什么时候"),
                        ("辰光", "时候"), ("啥时候", "什么时候"), ("啥子", "什么"), ("啥", "什么"), ("咋样", "怎么样"),
                        ("咋个", "怎么"), ("咋", "怎么"))


def _canonical_question_words(text: str) -> str:
    for variant, canonical in _QUESTION_WORD_FORMS:
        text = text.replace(variant, canonical)
    return text


# Cantonese written as it is spoken (after the traditional characters are made simplified): the Mandarin words
# the cases are keyed in. Longer forms first.
_CANTONESE = (("几多岁", "几岁"), ("系咪", "是不是"), ("系唔系", "是不是"), ("有冇", "有没有"), ("透唔到", "透不过"), ("边个", "谁"),
              ("番枧", "肥皂"), ("番梘", "肥皂"), ("嗰阵", "那时候"), ("乜嘢", "什么"), ("点解", "为什么"),
              ("几时", "什么时候"), ("同屋", "室友"), ("个心", "心"), ("好劲", "很厉害"), ("饮嘢", "喝东西"),
              ("食嘢", "吃东西"), ("睇嘢", "看东西"), ("屋企人", "家里的人"), ("屋企", "家里"), ("依家", "现在"), ("而家", "现在"),
              ("阿妈", "妈妈"), ("阿爸", "爸爸"), ("生仔", "生孩子"), ("咁样", "这样"), ("几多", "多少"), ("一日", "一天"),
              # (session 61: 好攰 tired, 瞓 sleep, 流潺 drooling, 细路 children, 嗰度 there, 成日 all day, 企直 standing up,
              # 行路 walking, 冲凉房 the bathroom, 跣 slippery, 揸住 holding on)
              ("好攰", "很累"), ("攰", "累"), ("瞓", "睡"), ("流潺", "流口水"), ("细路", "小孩"), ("嗰度", "那里"),
              ("呢度", "这里"), ("成日", "成天"), ("企直", "站起来"), ("企起身", "站起来"), ("行路", "走路"),
              ("冲凉房", "浴室"), ("冲凉", "洗澡"), ("跣", "滑"), ("揸住", "抓着"), ("揸", "拿"), ("好似", "好像"),
              # (session 64: 琴晚 last night, 边种 which kind, 平日 usually, 搞节目 going out for fun)
              ("琴晚", "昨晚"), ("寻晚", "昨晚"),
              # (session 68: 整亲 hurt, 点样 how, 冷震 the chills, 搵 to look for, 个仔 your son)
              ("整亲", "受伤"), ("点样", "怎么"), ("打冷震", "发冷"), ("冷震", "寒战"), ("搵", "找"), ("个仔", "儿子"), ("个女", "女儿"), ("边种", "哪种"), ("边啲", "哪些"), ("平日", "平时"), ("搞节目", "出去玩"),
              ("嘢", "东西"),
              # (session 65: 几多岁 how old, 耳仔 the ear, 静晒 all quiet, 投诉 complaining, 校得 turned, 好大声 loud, 上年 last year,
              # 点讲 what was said, 听手机 on the phone, 入面 inside)
              ("耳仔", "耳朵"), ("静晒", "安静"), ("投诉", "说"), ("校得", "开得"), ("好大声", "很大声"), ("上年", "去年"),
              ("点讲", "怎么说"), ("听手机", "听电话"), ("入面", "里面"),
              # (session 63: 喺度 at it, 捱夜 staying up, 返工 going to work, 谷住 stuffy, 边度 where, 攞 to fetch)
              ("喺度", "在"), ("捱夜", "熬夜"), ("返工", "上班"), ("谷住", "闷住"), ("边度", "哪里"), ("攞", "拿"), ("矇", "模糊"), ("冇", "没"), ("唔", "不"),
              ("嗰", "那"), ("嘅", "的"), ("佢", "他"), ("咗", "了"), ("喺", "在"), ("啲", "些"), ("痕", "痒"), ("睇", "看"))


# Only a turn written in Cantonese is rewritten: these characters and words are not Mandarin, while 痕 (疤痕,
# 痕迹), 同屋, 几时 or 个心 (做个心电图) are Mandarin too, and a Mandarin turn keeps them.
_CANTONESE_MARKERS = re.compile(r"[冇唔嗰嘅佢咗喺啲睇㗎嘢乜啩攰瞓跣揸]|系咪|边个|点解|屋企|依家|几多")


# Shanghainese (Wu) written as it is spoken: 侬 (you), 姆妈 (mother), 夜里向 (at night), and 伐 closing a question (小囡闹伐:
# is the baby fussy?). Only a turn with one of these words is rewritten: 勿 is Mandarin too (请勿), and 伐 is Mandarin
# inside a word (步伐, 砍伐).
# (session 61: 里向 and 里厢 inside, 慢慢叫 slowly, 一记头 all at once; 慢慢叫's 叫 is no ringing in the ears)
_WU = (("侬", "你"), ("姆妈", "妈妈"), ("阿拉", "我们"), ("夜里向", "夜里"), ("夜里厢", "夜里"), ("日里向", "白天"),
       ("里向", "里"), ("里厢", "里"), ("慢慢叫", "慢慢地"), ("一记头", "一下子"), ("困觉", "睡觉"), ("交关", "很"), ("勿", "不"))
_WU_QUESTION_END = re.compile(r"(?<![步砍采征讨杀])伐(?=[，,。？?！!\s]|$)")
_WU_MARKERS = re.compile(r"侬|姆妈|阿拉|里向|里厢|慢慢叫|一记头|困觉|交关|" + _WU_QUESTION_END.pattern)


def _mandarin(text: str) -> str:
    if _CANTONESE_MARKERS.search(text):
        for cantonese, mandarin in _CANTONESE:
            text = text.replace(cantonese, mandarin)
    if _WU_MARKERS.search(text):
        for wu, mandarin in _WU:
            text = text.replace(wu, mandarin)
        text = _WU_QUESTION_END.sub("吗", text)
    return text


def fact_is_asked(fact: Fact, question: str) -> bool:
    return bool(_evidence(fact, question))


# A clause asked about other people (家里其他人也闹肚子吗, 同学有没有类似的): it asks nothing of the patient's own
# facts, only of a fact about others (family history, contacts), whose wording names them too.
# (session 71: 在家测, at home, names no one: 你妈血压高不高 asks nothing of a blood-pressure fact measured 在家)
_KIN_PATTERN = r"(?<![在回到离出])家(?!长)|亲|父|母|兄|弟|姐|妹|(?<!姨)妈|爸|爹|娘|爷|奶|婆|公(?!司)|舅|姑|叔|婶|伯|(?<!大)姨|哥(?!们)|老伴|丈夫|妻子|媳妇|爱人|对象|遗传|辈"
_ABOUT_OTHERS = re.compile(r"(家里|家中|家人)的?(大人|老人)|(家里|家人|家里人|其他人|别人|旁人|同学|同事|工友|伙计们?|哥们儿?|老乡|(?<!小)朋友|同桌|室友|邻居|周围的?人|身边的?人|兄弟姐妹"
                           # 你们家老一辈有没有…: the elder generation (not a child's playmates: a contact fact is about them)
                           r"|老一辈|上一辈|长辈|(你|您)们)(的?大人们?)?(里|当中|中间)?(应该|可能|还)?((是不是|是否)?也|有没有|有谁|有人|有别人|有其他人|中|最近有|没有|没人|怎么样|咋样)"
                           # 你们上一辈人，有腰子里长石头的不: the elder generation said with 人 and a pause
                           r"|(?:老一辈|上一辈|长辈)人?[，,]\s*(?:有没有|有谁|有人|有)"
                           # 那几个老哥们儿，他们血压高不高: the people just named, as 他们
                           r"|(?:哥们|伙计|朋友|同事|工友|老乡|邻居|同学|室友|队友)儿?们?儿?[，,]\s*(?:他|她)们"
                           # 爸爸咳的时候有没有发烧: a parent named bare, who is not the patient where no relative asks for the patient
                           # (not 妈妈，孩子烧几天了 or 妈妈你看: the mother spoken to)
                           r"|(?:^|(?<=[，,。？?！!\s]))(?:孩子|宝宝)?[他她]?(?:爸爸|妈妈|父亲|母亲)(?![们，,、\s你您])"
                           # 舅舅肝硬化是几岁过世的: an uncle or an aunt named bare, at a clause's start (not 伯伯, 叔叔 or
                           # 爷爷, said to an older patient: 伯伯今年几多岁)
                           r"|(?:^|(?<=[，,。？?！!\s]))(?:舅舅|舅妈|姑姑|姑妈|婶婶|姨妈|小姨|小舅)(?![们，,、\s你您])"
                           # 哥哥现在好了没有, 闺女在深圳做什么工作: a brother, a sister or a grown child named bare at a
                           # clause's start and spoken of (not 哥哥，你… or 闺女你…, the one spoken to)
                           r"|(?:^|(?<=[，,。？?！!\s]))(?:哥哥|姐姐|弟弟|妹妹|闺女|女儿|儿子)(?=[在现还是的也有])"
                           # 你母亲身体吃得消吗: a relative's own health asked
                           r"|(?:你|您)的?(?:母亲|父亲|妈妈|爸爸|老妈|老爸|婆婆|公公|岳母|岳父|丈母娘|老丈人)身体"
                           # 那几位哥们儿吐了没有, 那个同学叫什么: the ones named with a demonstrative and a classifier (session 71)
                           r"|(?:那|这)(?:(?:几|两|三)?(?:位|个)|俩)(?:老)?(?:哥们|朋友|同事|工友|伙计|同学|室友|邻居|老乡|队友|同伴)"
                           # 那个女生几岁: the one the patient met, named at a clause's start
                           r"|(?:^|(?<=[，,。？?！!\s]))(?:那个|那位)(?:女生|男生|女的|男的|女孩子?|男孩子?|姑娘|小伙子?)"
                           # 你们院里别的老人最近有没有发烧的, 家里其他孩子或者大人: the others where the patient lives or is cared for
                           r"|(?:别的|其他|其它|其余)的?(?:老人|老头儿?|老太太|病人|病友|住户)|(?:家里|家中|屋里)的?(?:别的|其他|其它|其余)"
                           # 同行的人有发烧吗, 一起去的人: those the patient travelled with
                           r"|同行的?人|一起去的人|同伴|旅伴"
                           # 大人早上起来嗓子会不会发紧: the grown-ups of a child's home, said as a clause's subject
                           r"|(?:^|(?<=[，,。？?！!\s]))大人们?(?!的?药)"
                           # 你妈妈当年…也, 你爱人以前犯过…, 她爸爸是不是也…, 你们队里还有谁…, 您家里人抽烟吗
                           # (你先生的疫苗, 妳先生晚上会不会被吵醒: a husband; not 先生您好, the doctor's "sir")
                           r"|(你|您|他|她)(家里?)?的?(阿妈|阿爸|妈妈|妈|爸爸|爸|母亲|父亲|爱人|老伴|老公|老婆|媳妇|丈夫|妻子|对象|爹妈|老爹|爹|父母|家里人|家人|太太|先生(?![，,您你])"
                           r"|婆婆|公公|岳母|岳父|婆家|娘家|哥哥|姐姐|弟弟|妹妹|奶奶|爷爷|外婆|外公|姥姥|姥爷"
                           # 你表哥当年吃的什么药: a cousin, an aunt or an uncle
                           r"|[表堂](?:哥|姐|弟|妹)|舅舅|舅妈|姑姑|姑妈|叔叔|婶婶|伯伯|大伯|阿姨|姨妈|小姨|小舅|亲戚"
                           # 你哥现在多大了: a brother or sister said with one character
                           r"|哥(?!们)|姐(?!们)|弟(?!们)|妹(?!们))"
                           r"|(你们|您们)(队里|班里|单位|公司|宿舍).{0,4}(谁|别人|其他人|有人)"
                           # 他们队里有没有别的孩子也这样, 他班上那几个感冒的小朋友: others of the patient's team or class
                           r"|(?:你|您|他|她)们?的?(?:队里|队上|班上|班里|托班里?|幼儿园里?)[^，,。？?]{0,10}"
                           r"(?:别的|其他|其它|那几个|那些|几个)[^，,。？?]{0,6}(?:孩子|小孩|小朋友|同学|队友|队员|人)"
                           # 你们两口子或者爷爷奶奶那辈: a child's parents and grandparents, asked about as a family
                           # 家里老婆孩子有没有发烧的: the patient's wife and children
                           r"|(?:老婆|媳妇|老公|爱人)(?:和|跟)?(?:孩子|娃娃?|小孩)"
                           # 外公的血糖现在控制得怎么样: a grandparent's own (not 爷爷 or 奶奶, said to an older patient)
                           r"|(?:^|(?<=[，,。？?！!\s]))(?:外公|外婆|姥姥|姥爷)的|(?:你们|您们)两口子|(?:爷爷|奶奶|姥姥|姥爷|外公|外婆|父母|爹妈)那一?辈"
                           # 你那工友眼睛也崩着了吗: the one who was with the patient
                           r"|(你|您)(那|那个|那位|那两个|那几个|那俩)(工友|同事|同学|朋友|室友|邻居|师傅|同伴|伙计)"
                           # 你家大宝以前也这样咳过吗: a child's brother or sister
                           r"|(你|您)家(里)?的?(大宝|二宝|老大|老二|哥哥|姐姐|弟弟|妹妹)"
                           # 孩子爸爸多高多重: the child's parent, not the child
                           r"|(孩子|娃|宝宝|小孩)[他她]?的?(爸爸|爸|妈妈|妈|爹|娘|父亲|母亲|爷爷|奶奶|外公|外婆|姥姥|姥爷)"
                           # 你屋头的狗几岁了, 你家那猫是啥品种: the pet's age or breed, not the patient's
                           r"|(狗|猫|狗狗|猫咪|宠物|兔子|鹦鹉)[^，,。？?]{0,6}(几岁|多大|啥品种|什么品种)"
                           # 邻居家那只泰迪几岁了: 只, 条 and 头 count animals, not people
                           r"|(那|这)(只|条|头)[^，,。？?你您]{0,6}(几岁|多大|啥品种|什么品种)")
_SECOND_PERSON = re.compile(r"你|您")
# A turn that asks of someone (a fact about a relative, 妈妈有甲状腺的问题, is asked only by one that does)
_NAMES_SOMEONE = re.compile(_KIN_PATTERN + r"|谁|别人|其他人|有人|大人|传染|家族|孩子|宝宝|小孩|儿子|女儿")
# (你妈妈怀孕的时候有没有痒过 现在宝宝动得多不多: typed without punctuation, a space ends the clause about her)
# (1. 是不是足月生的 2. 你和孩子他爸都啥血型: a numbered item is a question of its own)
_OTHERS_CLAUSE_SPLIT = re.compile(_CLAUSE_SPLIT.pattern + r"|(?<=[\u4e00-\u9fff])(?=[ 　]+[\u4e00-\u9fff])"
                                  + r"|(?<![\d.])(?=\s*\d{1,2}\s*[.、)）](?!\d))")
# (你老婆看到你…, 家里有没有找人来帮你疏通: what someone saw of the patient or did for them is the patient's too)
_DONE_TO_THE_PATIENT = re.compile(r"[^，,。？?]{0,6}?(看到|看见|发现|说|觉得|注意到|帮|替|给)(你|您)")
# (周围 of people, not of a place: 肛门周围瘙痒 names no one)
# (工友: 好几个工友都得过疟疾 is about others too)
# (在家量血压: at home, which names no one)
# (先生验过，有抗体: the husband, asked by 你先生查过没有)
_OTHERS_IN_FACT = re.compile(r"(?<![在回到离出])家|亲|父|母|兄|弟|姐|妹|别人|其他人|同学|同事|工友|老乡|朋友|周围[^，,。；;]{0,3}人|身边|遗传"
                             r"|丈夫|老公|先生|爱人|老伴|媳妇|妻子|老婆")
# Relatives: a clause about one (她姐姐在哪个学校上学) asks nothing of a fact about classmates or colleagues, only of one
# that names relatives (a classmates' fact's 家长群 names none, nor a period's 大姨妈, a job's 建筑公司, a workmate 哥们儿)
_KIN = re.compile(_KIN_PATTERN)
# 老师找过你爸妈, 通知你家长: the relatives someone contacted about the patient, which asks nothing of them
_CONTACTED_RELATIVE = re.compile(r"(?<=[找叫请喊])([过了]?)(?:你|您)的?(?:爸妈|父母|家长|爸爸|妈妈|爸|妈|家里人|家人)"
                                 r"|(?<=通知|告诉|联系)([过了]?)(?:你|您)的?(?:爸妈|父母|家长|爸爸|妈妈|爸|妈|家里人|家人)")


# 布洛芬药店能买到吗？多少钱一盒？ / 社区医院周末开门吗？: where to buy, what it costs, when a place opens ask
# nothing of the patient's facts (unless the fact is about that: 药太贵没买)
_ABOUT_SERVICE = re.compile(r"药店|药房|买得到|能买|好买|买到|在哪买|哪里买|哪儿买|哪家医院|哪个医院|多少钱|价格|贵不贵|多贵|报销|开门|营业|上班时间"
                            # (not 有没有去诊所挂号: a visit, asked of the patient)
                            r"|(?<!去)(?<!去.)(?<!去..)(?<!去...)挂号"
                            r"|医保|能报|报多少|自费"
                            r"|在哪里?能?打|在哪儿能?打|约个?号|帮(你|您)约|离[^，,。？?]{0,10}(多远|远不远)|有多远")
_SERVICE_IN_FACT = re.compile(r"钱|贵|买|药店|药房|报销|医保|挂号")


def _about_the_patient(fact: Fact, question: str) -> str:
    """``question`` less its clauses about other people (and a short follow-up about them: 你同事也查出过吗？多大的？)
    and about buying or opening hours, unless ``fact`` is about that itself."""
    if not question:
        return question
    question = _CONTACTED_RELATIVE.sub(lambda m: (m.group(1) or m.group(2) or "") + "，", question)
    text = fact.fact + "".join(fact.keywords)
    named = _ABOUT_OTHERS.search(question)
    # (妻子29岁 names the patient, for whom her husband asks: 你母亲身体吃得消吗 asks nothing of her)
    kin_told = (_KIN if named and _KIN.search(named.group(0)) else _OTHERS_IN_FACT).search(text)
    spouse_only = named and _KIN.search(named.group(0)) and not _SPOUSE.search(named.group(0)) and all(
        _SPOUSE.fullmatch(k.group(0)) or _SPOUSE.search(text[max(0, k.start() - 2):k.end() + 2])
        for k in _KIN.finditer(text))
    others = named and not (kin_told and not spouse_only)
    service = _ABOUT_SERVICE.search(question) and not _SERVICE_IN_FACT.search(text)
    if not (others or service):
        return question
    kept, after_others, gender = [], False, ""
    for c in _OTHERS_CLAUSE_SPLIT.split(question):
        m = _ABOUT_OTHERS.search(c) if others else None
        # 你老婆看到你抽的时候是什么样子: what the relative saw of the patient (你 again after them) is the patient's
        about_others = m is not None and not _DONE_TO_THE_PATIENT.match(c, m.end())
        # (…同学怎么样了，他也头疼吗？: the one just named, as 他/她)
        # (not 血压多少？ after 你自己或者家里人有没有血栓？: a topic of its own, asked of the patient)
        # (你母亲身体吃得消吗，她多大岁数了？: 她 of the woman just named, not of the patient)
        follow_up = after_others and (len(_PUNCT.sub("", c)) <= 4 and not _SECOND_PERSON.search(c)
                                      and all(t in _TIME_KEYWORDS for t in content_tokens(c))
                                      or re.match(r"\s*[他她](?:们|们?也)", c) is not None
                                      # (妳阿姨是甲亢還是甲減？吃的是什麼藥: what is taken, said with no one, is hers)
                                      or re.match(r"\s*(?:吃|用|服|打)的是", c) is not None
                                      or re.match(r"\s*" + _PRONOUN_OF.get(gender, "(?!)"), c) is not None)
        if not (about_others or follow_up or service and _ABOUT_SERVICE.search(c)):
            kept.append(c)
        elif about_others and m is not None:
            kept.append(_asked_of_the_patient_first(c[:m.start()]))
        after_others = about_others or follow_up
        if about_others and m is not None:
            gender = _gender(m.group(0))
    return "".join(kept)


_SPOUSE = re.compile(r"妻子|丈夫|爱人|老伴|媳妇|老公|老婆|对象")
_FEMALE_KIN = re.compile(r"妈|母|婆|姐|妹|奶|姥|姨|姑|婶|媳妇|妻|太太|老婆|娘")
_MALE_KIN = re.compile(r"爸|父|爹|公|哥|弟|爷|舅|叔|伯|丈夫|先生")
_PRONOUN_OF = {"f": "她(?!们)", "m": "他(?!们)"}


def _gender(named: str) -> str:
    """"f" or "m" where the one ``named`` as another person is a woman or a man by the kinship word alone, else ""."""
    female, male = _FEMALE_KIN.search(named), _MALE_KIN.search(named)
    return "f" if female and not male else "m" if male and not female else ""


def _asked_of_the_patient_first(before: str) -> str:
    """What a clause about others asks the patient before naming them, as a question of its own ending in a comma
    (您多大岁数，家里老人有没有心脏病: the age is asked), or nothing."""
    lead = before[: max(before.rfind("，"), before.rfind(","), -1) + 1]
    # (身上有没有淤青，家里有没有人…: a lead that names no one at all is asked of the patient too)
    # (她多大了，家里有没有人…: a 他 or 她 that opens the question, before anyone else is named, is the patient's)
    named = (_SECOND_PERSON.match(lead.strip()) or not re.search(r"[他她]|" + _KIN.pattern, lead)
             or re.match(r"\s*[他她](?!们)", lead) is not None and not _KIN.search(lead))
    if lead and named and _QUESTION_CUES.search(lead) and not _ABOUT_OTHERS.search(lead):
        return lead
    return ""


# 喝完好一阵才吐: a while after something (咳起来好一阵才停 still tells how long a fit lasts)
_A_GOOD_WHILE = re.compile(r"(?<=[完后])了?好一阵子?")
_NOT_LONG = re.compile(r"(?<=[没不])多(?:久|长时间|大工夫|大功夫|大会儿|大一会儿)")
# 一次吃几片, 吃几粒: a dose asked, beside which 一天几次 asks how often it is taken
_DOSE_ASKED = re.compile(r"(?:一次|每次|一回)(?:吃|服|用|喝|喂)?[^，,。？?]{0,2}几(?:片|粒|颗|袋|支|毫升|毫克|包|勺|滴)"
                         r"|(?:吃|服|用|喂)几(?:片|粒|颗|袋|包|勺)")
_DOSES_A_DAY = re.compile(r"(?:一天|每天|一日|每日)(?:吃|服|用|喝|喂)?几(?:次|回|顿)")
_MEDICINE_IN_FACT = re.compile(r"药|片|粒|胶囊|冲剂")
_COUNTING_TOKENS = frozenset("几个 几种 几位 几样".split())
# 一次吃几毫克: a dose, whose 一次 shares nothing with a keyword 多久一次 (多久解一次大便 still asks how often)
_DOSE = re.compile(r"一次(?=(?:要|得|能)?(?:吃|服|用|喝|打|吸|滴|抹|涂)[^，,。？?]{0,3}(?:几|多少))")
# 在哪儿挣钱 asks the work, 疼的时候往哪儿走 where the pain runs, 磕着哪儿 the part hit: none asks where it is (哪
# is left, for the everyday words: 往哪走 still adds 放射)
_PLACE_OF_ANOTHER = re.compile(r"(?<=[往朝])哪(?:里|儿|边)(?=[^，,。？?]{0,2}(?:走|窜|串|跑|传|放射|去))"

                               r"|哪(?:里|儿)(?=上班|挣钱|赚钱|干活|打工|工作|上学|读书)"
                               # 脑袋碰着哪儿没: the part that was hit, not where the patient is
                               r"|(?:(?<=[碰磕撞摔伤砸])|(?<=[碰磕撞摔伤砸][着到了]))哪(?:里|儿)")
# 家里养猫狗吗: the home where animals are kept, which asks nothing of who lives there (unless the fact is about pets)
_HOME_OF_PETS = re.compile(r"(?:家里头|家里|家中|屋里|屋头|家)(?=(?:有没有|有|没|还)?养(?:了|过|着)?(?:什么|啥|些|只|条)?"
                           r"(?:猫|狗|宠物|鸟|鸡|鸭|兔|鱼|鸽|仓鼠|鹦鹉))")
# 家里有血氧机吗: a device kept at home, which asks nothing of who lives there (unless the fact is about one) (session 71)
_HOME_OF_DEVICE = re.compile(r"(?:家里头|家里|家中|屋里|屋头)(?=(?:有没有|有|没有|还有)(?:个|台|支)?[^，,。？?！!]{0,4}(?:机|计|仪|器)"
                             r"(?![^，,。？?！!]*(?:谁|人)))")
_DEVICE_IN_FACT = re.compile(r"机|计|仪|器")
# 两边的蛋蛋看起来一样不一样: both sides compared, which asks how they differ, not which side (session 71)
_SIDES_COMPARED = re.compile(r"(?:两边|两侧|左右)(?=[^，,。？?！!]{0,8}(?:一样不一样|一不一样|一样吗|对称|一般大|差不多大?))")
_COMPARISON_IN_FACT = re.compile(r"比|一样|对称|差不多")
_PETS_IN_FACT = re.compile(r"猫|狗|宠物|鸟|鸡|鸭|兔|鸽|仓鼠|鹦鹉|养")
# 家里做饭是烧煤还是烧气: the home's cooking or heating, which asks nothing of who lives there (unless the fact tells it)
_HOME_OF_FUEL = re.compile(r"(?:家里头|家里|家中|屋里|屋头)(?=(?:平时|一般)?(?:做饭|烧饭|煮饭|取暖|烧炕|烧(?:的是|是)?(?:煤|柴|气|炭)"
                           r"|用(?:的是)?(?:煤|柴|煤气|天然气|炭)))")
# (烧煤还是烧气: the fuel burnt, no fever keyed 烧)
_FUEL = re.compile(r"烧(?:的是|是)?(?:煤|柴|气|炭|炕|天然气|煤气|液化气)")
_FUEL_IN_FACT = re.compile(r"煤|柴|炭|取暖|做饭|油烟|炉|灶")
_CONTRACEPTIVE = re.compile(r"(?:避孕|避孕的)(?:药|药物|药片|针)")
_DRUG_ALLERGY = re.compile(r"对?(什么|啥|哪些|哪种|哪个)?(药物|药)过敏|过敏的?(药物|药)")


# 怕痛, 害怕疼: the pain feared, which asks a fact about the fear (keyed 怕), not the pain's (怕冷 stays: a symptom)
_FEARED_PAIN = re.compile(r"(?<=怕)(?:疼|痛)")


# 那个被砍的项目本来是做什么的: what a thing is for, not the patient's work (您是做什么的 still asks it)
# 干什么的时候疼, 做啥事的时候: the activity it comes on with, not the patient's work
_ACTIVITY_WHEN = re.compile(r"(?:干|做)(?:什么|啥)(?:事|活)?(?:的)?(?:时候|时)")
# 一般几点发作: the time of day of an attack, which tells when it comes (not what time the patient goes to bed)
_EVENT_AT = re.compile(r"几点(?=钟?(?:会|就|才)?(?:发作|犯病|犯|发病|开始|出现))")
# 跟同岁的比: the children of the same age, whose age is not asked
_SAME_AGE = re.compile(r"同岁的?|同龄的?")
# 肿到哪了: how far the swelling has gone, not where it is (session 66)
_HOW_FAR = re.compile(r"(?<=[肿红烂紫青]到)(?:哪里|哪儿|哪|什么地方|啥地方)")
# 氨氯地平是哪一年开始吃的: when a medicine was started, not the illness (session 66)
_STARTED_TAKING = re.compile(r"开始(?=[吃服用打喝]的?)")
# 绝经是多大岁数: the age at that event, which a fact of the age now does not tell (session 66)
_AGE_AT_EVENT = re.compile(r"(绝经|停经|来月经|月经|初潮|结婚|生孩子|生小孩|生头胎|当兵)([^，,。？?]{0,4}?)"
                           r"(?:多大(?:岁数|年纪|年龄)?|几岁|多少岁)")
# 晕起来, 疼起来: 起来 completes a symptom's coming on (a keyword 起来 of standing up is not asked there)
_INCHOATIVE = re.compile(r"(?<=[晕疼痛痒咳喘抽烧肿麻胀哭闹])起来")
# 血压量过吗, 去量一下: 量 the verb, to measure (a fact keyed 量 for an amount is not asked)
# (not 流出来量多不多: the amount)
_MEASURING = re.compile(r"量(?=[过了着]|一下|一量|没量|不量)|(?<=[去再先没测称])量")
_MEASURING_IN_FACT = re.compile(r"量[过了一，,。的]|测|血压|体温|体重|身高")
_THING_FOR = re.compile(r"((?:那|这)(?:个|些|种|台|块|件)[^，,。？?你您他她我]{0,10}?(?:本来|原来|到底)?是)(?:做|干)(?:什么|啥)(?=用?的)")


# (session 72) 扑热息痛是几点吃的: the time a medicine or a meal was taken, not when the complaint began (unless the fact
# tells the taking: 晚饭6点半吃的)
_TAKEN_AT = re.compile(r"(?:几点钟?|什么时候|啥时候|哪天)(?=(吃|服|用|喝|喂|打|贴|抹|涂|擦|滴)(?:的|了))")
# 以前有过这样的头痛吗: earlier bouts of what is asked, which a fact telling only the present one does not answer
_EARLIER_BOUTS = re.compile(r"((?:以前|之前|过去|从前|以往)(?:有没有|有|也|还|曾经?|没)?(?:有过|得过|犯过|出现过|发生过)"
                            r"(?:这样|这种|类似|同样|一样)的?)[^，,。？?！!；;\s\d]*")
_PAST_IN_FACT = re.compile(r"以前|之前|过去|从前|从来|从没|从小|以往|第一次|头一次|头一回|上次|上回|上个月|去年|前年|年前|小时候|曾|"
                           r"老毛病|[有犯得发疼痛晕吐]过")
# 去年那回上医院打针了没: a visit to the hospital in the past, not where the hospital is now
_PAST_VISIT = re.compile(r"((?:去年|前年|那回|那次|上回|上次|以前|之前|当时)[^，,。？?！!]{0,6}?[上去到进住][了过]?)(?:医院|卫生院|诊所)")
# 往肚子方向提上去: where an organ moves, not that place's own complaint (疼得往肚子那边窜 is a pain that spreads)
_TOWARD_PLACE = re.compile(r"(?<=[往朝向])(?![上下里外前后左右])[^，,。？?！!往朝向]{2,5}?(?:方向|那边|这边|那头|里)?(?=(?:提|缩|抽|收|移|挪|钻)(?:上去|上来|进去|回去|过去)?)")
_MOVING_IN_FACT = re.compile(r"[提缩抽收移挪钻]")
# (a disease's name headed by a symptom: 哮喘 asks no fact keyed 喘 whose wording does not name it)
_DISEASES_HEADED_BY_SYMPTOM = frozenset("哮喘 哮喘病".split())


_ONCE = frozenset("一次 一回".split())
# (session 66: 头一回闹这毛病 and 以前没这么疼过, which stands for 第一次, ask no length of an attack keyed 一次)
_ONCE_COUNTED = re.compile(r"(?<![第头上下末])一(?:次|回)")


def _evidence(fact: Fact, question: str) -> frozenset[str]:
    """What in ``question`` asks about ``fact``: its keywords found there, and ``tok:`` + each content word the
    question shares with them (empty: the fact is not asked)."""
    question = _about_the_patient(fact, question)
    if not question:
        return frozenset()
    question = _NOT_LONG.sub("", question)  # 没多大工夫又想去: not long after, no time asked
    question = _A_GOOD_WHILE.sub("好久", question)  # 喝完好一阵才吐: a while after, no episodes (一阵)
    if not _is_about_frequency(fact):
        question = _HOW_OFTEN.sub("", question)  # "多久体检一次" is not "since when"
    # 这几天有没有吃感冒药: these days, not how many; of a fact not about time (6天前回来的, keyed 几天) only where the
    # clause asks a topic of its own (这几天肚子舒服吗, 最猛的那几天…撑多久; not 说说这几天的情况) and the frame is none of
    # the fact's keywords (冒泡那头两天 asks the prodrome keyed 头两天)
    question = _DAYS_FRAME.sub("，", question) if _is_about_time(fact) else _days_framed(fact, question)
    if _is_about_time(fact):
        question = _TAKES.sub("", question)  # "多久才能睡着" is not "since when" either
        question = _IT_TAKES.sub(r"\1", question)  # 早上手指头要僵多久: how long it lasts each time
        question = _AT_FIRST.sub("起初", question)  # 一开始有没有流鼻水: what came first, not since when
        question = _APPLIED_FOR.sub("", question)  # 膏药贴了多久: how long it stayed on, not since when
        if not _MEDICINE_IN_FACT.search(fact.fact + fact.patient):
            question = _STARTED_TAKING.sub("", question)
        # 被子多久没洗了: how long since the washing, not the onset (but 多久没尿了 asks the onset of "尿不出")
        question = _SINCE_NOT.sub(lambda m: m.group(0) if m.group(2) in fact.fact + fact.patient else "", question)
        question = _PER_DAY.sub(r"\1", question)
        if not any(w in k for k in fact.keywords for w in _LAST_WORDS):
            question = _LAST_WHEN.sub(r"\1", question)  # 最后一次吃东西是什么时候: the meal's time, not the onset
    if not any(w in k for k in fact.keywords for w in _NEXT_WORDS):
        question = _NEXT_WHEN.sub(r"\1", question)  # 下回打疫苗是啥时候: a time to come, which no fact tells
    if not _ARRIVAL_IN_FACT.search(fact.fact + fact.patient):
        question = _OTHERS_ARRIVAL.sub("，", question)  # 你男朋友什么时候回来: another's arrival
    if not _MEDICINE_IN_FACT.search(fact.fact + fact.patient + "".join(fact.keywords)):
        # 吃了么子药冇: the medicine taken, not the food eaten (a fact keyed 吃了什么); 止咳糖浆: a medicine, not the cough
        question = _TAKES_MEDICINE.sub("，", _SYMPTOM_MEDICINE.sub("药", question))
    if not _EPISODES_IN_FACT.search(fact.fact + fact.patient + "".join(fact.keywords)):
        question = _EACH_TIME.sub(r"\1", question)
        if _is_about_time(fact):
            question = _ONE_TIME.sub(r"\1", question)  # (每次要坐多久才好点 asks no swelling's 多久 either)
    if not _TIME_RELATION_IN_FACT.search(fact.fact + fact.patient):
        question = _before_events_blanked(question)
    if _DOSE_ASKED.search(question) and not _MEDICINE_IN_FACT.search(fact.fact + fact.patient):
        question = _DOSES_A_DAY.sub("", question)  # 三金片一次吃几片，一天几次: how often the dose is taken
    keywords = [k for k in fact.keywords if k not in GENERIC_KEYWORDS]
    if not any("怕" in k for k in fact.keywords):
        question = _FEARED_PAIN.sub("", question)  # 怕痛一直忍着: the fear of the pain, not how it hurts
    gloss = fact.fact + fact.patient + "".join(fact.keywords)
    # (an anti-allergy medicine, 抗过敏, tells no allergy: 对什么药物过敏 still asks none of the medicines taken)
    if "过敏" in question and not re.search(r"(?<!抗)过敏", gloss):
        question = _DRUG_ALLERGY.sub("过敏", question)  # 对什么药过敏吗 asks allergies, not the medicines taken
    if not _PETS_IN_FACT.search(gloss):
        question = _HOME_OF_PETS.sub("", question)  # 家里养猫狗吗 asks the pets, not the household
    if not _COMPARISON_IN_FACT.search(fact.fact + fact.patient):
        question = _SIDES_COMPARED.sub("", question)  # 两边一样不一样 asks the difference, not which side
    if not _DEVICE_IN_FACT.search(gloss):
        question = _HOME_OF_DEVICE.sub("", question)  # 家里有血氧机吗 asks the device, not the household
    if not _FUEL_IN_FACT.search(gloss):
        question = _FUEL.sub("", _HOME_OF_FUEL.sub("", question))  # 家里做饭烧煤吗 asks the fuel, not the household
    told = fact.fact + fact.patient
    # 扑热息痛是几点吃的: when it was taken, not the onset
    question = _TAKEN_AT.sub(lambda m: m.group(0) if m.group(1) in told else "", question)
    if not _PAST_IN_FACT.search(told):
        question = _EARLIER_BOUTS.sub(r"\1", question)  # 以前有过这样的头痛吗: earlier bouts, not this one
        question = _PAST_VISIT.sub(r"\1，", question)  # 去年那回上医院了没: a visit then, not where the hospital is
    if not _MOVING_IN_FACT.search(told):
        question = _TOWARD_PLACE.sub("", question)  # 往肚子方向提上去: where it moves, not the belly's own pain
    if "避孕" not in gloss:
        question = _CONTRACEPTIVE.sub("避孕", question)  # 在吃避孕药吗 asks contraception, not the medicines taken
    question = _HOW_FAR.sub("范围", _PLACE_OF_ANOTHER.sub("哪", question))
    question = _THING_FOR.sub(r"\1用来", question)
    question = _ACTIVITY_WHEN.sub("什么情况下", question)
    question = _SAME_AGE.sub("同龄", question)
    question = _AGE_AT_EVENT.sub(lambda m: m.group(0) if m.group(1) in gloss else m.group(1) + m.group(2) + "那时", question)
    if "起来" in fact.keywords:
        question = _INCHOATIVE.sub("", question)  # 晕起来, 疼起来: when it comes on, not getting up
    if "量" in fact.keywords and not _MEASURING_IN_FACT.search(gloss):
        question = _MEASURING.sub("", question)  # 血压量过吗: measured, no amount
    canonical = with_standard_words(_canonical_question_words(question))
    found = {k for k in keywords
             if not (k in _ONCE and not _ONCE_COUNTED.search(canonical))
             and (_morpheme_occurs(k, canonical, gloss) if len(k) == 1
                 else _word_occurs(_canonical_question_words(k), canonical, fact.fact + fact.patient))
             or _history_asked(k, canonical)}
    if _WORST_WHEN.search(question):
        found -= _WHEN_WORDS  # 什么时候最重 asks when it is worst (什么时候重, 加重), not since when
    # (a keyword 睡觉的药 is about the medicine: 睡觉 alone, said of the sleep, asks nothing of it)
    keyword_tokens = frozenset().union(*(content_tokens("药" if k.endswith("的药") else k) for k in keywords))
    # 怀孕前血压高不高: a shared word that only names the time of what is asked (怀孕 + 前) asks nothing of its own
    # (几个 of 几个月 is no topic: 生过几个孩子 and 我问您几个问题 ask nothing of when the illness began; a keyword 几个
    # itself still asks, found above)
    shared = {t for t in content_tokens(question) & keyword_tokens
              if _morpheme_outside_time_clause(t, question) and t not in _COUNTING_TOKENS
              and not (t == "一次" and _DOSE.search(question))}
    return frozenset(found | {"tok:" + t for t in shared})


def _days_framed(fact: Fact, question: str) -> str:
    def blank(m: re.Match[str]) -> str:
        if any(m.group(0) in k or k in m.group(0) for k in fact.keywords if len(k) >= 2 and k not in ("几天",)):
            return m.group(0)
        return "，"

    out = []
    for c in re.split(r"(?<=[，,。？?！!；;])", question):
        rest = _THESE_DAYS.sub("", c)
        topic = content_tokens(rest) - _REQUEST_WORDS
        out.append(_THESE_DAYS.sub(blank, c) if topic else c)
    return "".join(out)


# (these days and those days only: 头两天 and 前几天 name a time a fact may be keyed on, 冒泡那头两天 the prodrome's)
_THESE_DAYS = re.compile(r"[这那][几两](?:天|日)|这些天|这阵子")
_REQUEST_WORDS = frozenset("说说 讲讲 说一下 讲一下 介绍 描述".split())


def _history_asked(keyword: str, question: str) -> bool:
    """Whether a history keyword (过敏史, 手术史: a word and the quasi-suffix 史) is asked by its word said of the
    past: 以前过敏过吗, 之前做过手术没有 (对什么过敏 asks no history)."""
    if len(keyword) < 3 or not keyword.endswith("史"):
        return False
    stem = re.escape(keyword[:-1])
    return bool(re.search(rf"(?:以前|之前|过去|从前|原来|曾经)[^，,。？?]{{0,4}}{stem}|{stem}过(?!程)", question))


def _without_longer_keywords(fact: Fact, others: Iterable[Fact], question: str) -> str:
    """``question`` with the other facts' keywords that contain one of ``fact``'s blanked out: the longest
    match wins, as in segmentation by maximum matching, so "其他部位" asks the fact keyed on it and not
    also the one keyed on "部位" (a bare 部位 elsewhere in the question still asks that one)."""
    own = [k for k in fact.keywords if k not in GENERIC_KEYWORDS]
    # (not a longer keyword this fact shares: 烟酒 keys both the smoking and the drinking)
    longer = {k for o in others for k in o.keywords
              if k not in GENERIC_KEYWORDS and k not in own and any(m in k and m != k for m in own)}
    for k in sorted(longer, key=len, reverse=True):
        question = _spoken_forms(k).sub("，", question)
        if len(k) == 2:  # 换过药: a verb-object keyword (换药) split by 过 or 了 is that keyword too
            question = re.sub(re.escape(k[0]) + "[过了]" + re.escape(k[1]), "，", question)
    return question


@lru_cache(maxsize=4096)
def _spoken_forms(keyword: str) -> re.Pattern[str]:
    """``keyword`` with each question word in it also in its colloquial forms (吃了什么药 matches 吃了啥药)."""
    canonical = {c for _, c in _QUESTION_WORD_FORMS}
    parts, pos = [], 0
    while pos < len(keyword):
        word = next((c for c in sorted(canonical, key=len, reverse=True) if keyword.startswith(c, pos)), None)
        if word is None:
            parts.append(re.escape(keyword[pos]))
            pos += 1
            continue
        forms = [word, *(v for v, c in _QUESTION_WORD_FORMS if c == word)]
        parts.append("(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + ")")
        pos += len(word)
    return re.compile("".join(parts))


# Words that ask how many, how often, how long or when: a fact keyed on one of them beside words of its own topic
# (大便 几次, 稀, 颜色) is not asked by the measure alone where the question names another fact's topic
# (孩子尿了几回 asks the urine's count, not the stool's).
_MEASURE_KEYWORDS = frozenset("几次 次数 几回 多久 多长时间 多长 几天 几年 什么时候 多少 频率 一次 多大".split())
# ... and what a fact about when or how long is keyed on besides (a fact keyed on these alone has no other topic)
# (第一次: when it first came, which a fact about the onset is keyed on beside 什么时候 and 开始)
_TIME_KEYWORDS = _MEASURE_KEYWORDS | frozenset("开始 时间 持续 病程 最近 几个月 几周 哪天 当时 起病 上次 末次 最后一次 啥时候 啥时 "
                                               "第一次 头一次 头一回".split())
_TIME_WORD = re.compile(r"几个?(?:分钟|小时|秒|天|周|月|年)|多(?:久|长时间|长)|什么时候.*|.*(?:开始|以来)")


def _is_time_word(keyword: str) -> bool:
    return keyword in _TIME_KEYWORDS or bool(_TIME_WORD.fullmatch(keyword))


def _only_then(evidence: frozenset[str]) -> bool:
    return all(e.removeprefix("tok:") in _THEN_WORDS for e in evidence)


def _is_about_time(fact: Fact) -> bool:
    """A fact keyed on words of when and how long alone (起病时间: 多久, 几分钟, 什么时候开始)."""
    keywords = [k for k in fact.keywords if k not in GENERIC_KEYWORDS]
    # (抽了大约两三分钟，自己停下来, keyed 多久 多长时间 几分钟 持续 停: one word of how it ended beside four of how long)
    # (几点 too: a fact keyed 什么时候 多久 几点 时间 is about when alone, so 啥时候烫的 asks the time, not how it burnt)
    others = [k for k in keywords if not _is_time_word(k) and k not in _WHEN_WORDS]
    return bool(keywords) and (not others or len(others) == 1 and len(keywords) - 1 >= 3 and len(others[0]) == 1)


# 这几天, 这两天, 前几天: the days of what is asked (这几天解过大便吗), never how many days
_DAYS_FRAME = re.compile(r"[这那前近头][几两]?(?:天|日|年|周|个月)|这些天|这阵子")
# 当时是不是觉得…, 那会儿疼不疼: the time of what is asked, which asks when only where nothing else is asked
_THEN_WORDS = frozenset("当时 那时候 那时 那会儿 那阵子".split())
# 躺下要过多久才能睡着, 歇多久能好: how long something takes, not since when the complaint has lasted
_SINCE_NOT = re.compile(r"(多久|多长时间|几天)(?=(?:没|不)([\u4e00-\u9fff]))")
# 一天拿剪子多长时间, 什么时候最重: a daily amount and the worst time of day, not since when
_PER_DAY = re.compile(r"(?<=一天|每天|每日)([^，,。？?！!]{0,12}?)(多久|多长时间|几个?小时)")
# 一次喂多久: how long each time, as 每次 below
_ONE_TIME = re.compile(r"(?<=一次)([^，,。？?！!]{0,12}?)(多久|多长时间|几个?小时)")
# 最后一次吃东西是什么时候, 上次打破伤风是哪年: when the last of something was, which that something's fact tells
_LAST_WORDS = ("最后一次", "上一次", "上次", "末次", "最近一次", "上一顿", "最后一顿")
_LAST_WHEN = re.compile("((?:" + "|".join(_LAST_WORDS) + r")[^，,。？?！!]{0,16}?)(?:什么时候|啥时候|几点|哪天|哪年)")
# 下回打疫苗是啥时候, 下次复查几号: when something is to come, which no fact about the past tells
_NEXT_WORDS = ("下回", "下次", "下一次", "下一回", "下趟", "下一趟")
_NEXT_WHEN = re.compile("((?:" + "|".join(_NEXT_WORDS) + r")[^，,。？?！!]{0,12}?)(?:什么时候|啥时候|几点|哪天|几号|哪年)")
# 你男朋友什么时候出差回来: when another person comes back, which neither the illness's time nor a fact keyed on
# that person (his contraception, 男朋友) tells (a fact that tells an arrival, 女儿下班回来, still is)
_OTHERS_ARRIVAL = re.compile(r"(?:男朋友|女朋友|男友|女友|对象|老公|老婆|爱人|丈夫|妻子|家里人|家人|爸爸|妈妈|儿子|女儿|同事|室友)"
                             r"[^，,。？?！!]{0,4}?(?:什么时候|啥时候|几点|哪天|几号)[^，,。？?！!]{0,4}?"
                             r"(?:回来|回家|到家|过来|赶到|赶回|下班)")
_ARRIVAL_IN_FACT = re.compile(r"回来|回家|到家|过来|赶到|赶回|下班")
# 每次喂多久: how long each time, which a fact about each episode is asked by (每回疼多长时间), not one about since when
_EACH_TIME = re.compile(r"(?<=每次|每回)([^，,。？?！!]{0,12}?)(多久|多长时间|几个?小时)")
# (not 第一次 or 头一次, nor 第一次发作: the first time is a time, told by a fact about the onset)
_EPISODES_IN_FACT = re.compile(r"每次|每回|(?<![第头])一次|(?<!第一次)(?<!头一次)(?<!头一回)发作|持续|一阵")
# 怀孕以前有过手麻吗, 起泡前头…: the event names the time before which something is asked, not the event itself
# (unless the fact is about what happens before or after something: 经期前后也易发作)
_BEFORE_EVENT = frozenset("以前 之前 前头 前后 前".split())
_TIME_RELATION_IN_FACT = re.compile(r"前后|之前|以前|之后|以后|期间")


def _before_events_blanked(question: str) -> str:
    if not any(m in question for m in _BEFORE_EVENT):
        return question
    out, pos = [], 0
    words = _words(question)
    subject = (-1, -1)  # where the noun just before the word at hand starts and ends
    for n, (t, tag) in enumerate(words):
        at = question.find(t, pos)
        if at < 0:
            continue
        nxt = words[n + 1][0] if n + 1 < len(words) else ""
        # an event (a verb: 怀孕, 起泡), not a topic (您的摄护腺以前检查过没有: the prostate, checked in the past)
        event = tag is None or tag.startswith("v")
        if (nxt in _BEFORE_EVENT and len(t) >= 2 and event and question.startswith(nxt, at + len(t))
                and not _is_time_word(t)):
            # (泡泡冒出来前头: what came out is part of the time too)
            start = subject[0] if subject[1] == at and subject[0] >= pos else at
            out.append(question[pos:start] + "，")
            pos = at + len(t)
        # (出国前打过疫苗没有: the segmenter's one word, an event and the time before it)
        stem = next((t[: -len(b)] for b in ("之前", "以前", "前") if t.endswith(b) and len(t) - len(b) >= 2), "")
        if stem and at >= pos and _pos_tags().get(stem, "").startswith("v") and not _is_time_word(stem):
            out.append(question[pos:at] + "，")
            pos = at + len(stem)
        subject = (at, at + len(t)) if tag is not None and tag.startswith("n") else (-1, -1)
    return "".join(out) + question[pos:]


_WHEN_WORDS = frozenset("什么时候 几点 哪个时候".split())
_WORST_WHEN = re.compile(r"(什么时候|几点|哪个时候)(?=(最|更|比较|特别)(重|厉害|明显|难受|严重))")
# 贴了多久, 敷了多长时间, 药吃了多久: how long a remedy was applied or taken
# (not 不舒服多久了: 服 of 舒服 takes nothing)
_APPLIED_FOR = re.compile(r"(?:(?<=[贴敷抹涂擦揉戴泡捂吃用])|(?<=服药)|(?<=服))(?<!舒服)[了过着]?(?:多久|多长时间)")
# 要僵多久, 要疼多长时间: how long it lasts when it comes (not 还要多久才能好, which _TAKES reads)
_IT_TAKES = re.compile(r"(?<=要)([^，,。？?！!才就能]{1,6}?)(多久|多长时间)")
# 一开始有没有流鼻水, 刚开始的时候: the time of what is asked, at first
_AT_FIRST = re.compile(r"(?:一|刚)开始(?=的时候|那会儿|那阵|有没有|有|是不是|就|还)")
_TAKES = re.compile(r"(多久|多长时间|几分钟|几个?小时)(?=[^，。？！?!,]{0,6}?(才|就|能|可以))")
_CLAUSE_OF_QUESTION = re.compile(r"[^，,。！？!?；;、\s]+")


_ATTRIBUTE_KEYWORDS = frozenset({"颜色"})


def _only_measured(fact: Fact, evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether ``fact`` is asked by measure words alone, each in a clause that names another asked fact's topic,
    ``fact`` having a topic word of its own (一天拉几次 asks the stool; 孩子尿了几回 the urine, not the stool). A colour
    is such a measure too, and a clause that begins with it measures the one just before (你眼珠子那白的地方，颜色变没变:
    the eyes' colour, not the urine's)."""
    # (a time fact too where only a count asks it: 晚上起夜几次 asks the nights', not the onset's 几次)
    if not all(e.removeprefix("tok:") in _MEASURE_KEYWORDS | _ATTRIBUTE_KEYWORDS for e in evidence) or (
            _is_about_time(fact) and not _only_counted(evidence)):
        return False
    # (not a topic the fact's own wording says: 一天尿几次 asks the count of 一天只尿三四次, not the urine's colour)
    topics = {e.removeprefix("tok:") for ev in others for e in ev if e.removeprefix("tok:") not in _TIME_KEYWORDS
              and (len(e.removeprefix("tok:")) >= 2 or not _is_about_time(fact))
              and e.removeprefix("tok:") not in fact.fact}
    own = [k for k in fact.keywords if k not in _TIME_KEYWORDS | _ATTRIBUTE_KEYWORDS]
    # each clause with the standard words its everyday ones stand for (嘘嘘了几回: 小便, 几次)
    clauses = [with_standard_words(c) for c in _CLAUSE_OF_QUESTION.findall(question)]

    def names_another(n: int) -> bool:
        c = clauses[n]
        if any(t in c for t in topics):
            return True
        # (only a clause that begins with the colour: 奶是什么颜色 names the milk; and not 几次 or 多大, which a case
        # keys beside its topic's words often enough that a clause without them still asks it)
        colour = re.match(r"[那这]?[个种]?的?(?:" + "|".join(_ATTRIBUTE_KEYWORDS) + ")", c) is not None
        return colour and n > 0 and not any(k in c for k in own) and any(t in clauses[n - 1] for t in topics)

    measured = [n for n, c in enumerate(clauses) if any(e.removeprefix("tok:") in c for e in evidence)]
    return bool(measured) and all(names_another(n) for n in measured)


def _modifies_another(fact: Fact, evidence: frozenset[str], question: str, others: Iterable[frozenset[str]]) -> bool:
    """Whether ``fact`` is asked only by one-character keywords that, wherever the question says them, are joined
    to another asked fact's keyword: the modifier of its head (药物过敏: allergy, not medicine) or the head of a
    word it modifies (避孕药: the contraceptive, not the painkillers)."""
    words = [e for e in evidence if not e.startswith("tok:")]
    if not words or len(words) < len(evidence) or any(len(k) != 1 for k in words):
        return False
    others = list(others)
    heads = {k for ev in others for k in ev if not k.startswith("tok:") and len(k) >= 2}
    # 腿麻不麻: one word of the keyword and another fact's one-character keyword, the symptom it says where
    symptoms = {k for ev in others for k in ev if not k.startswith("tok:") and len(k) == 1}
    if not heads and not symptoms:
        return False
    tokens = _words_of(question)
    for k in words:
        if not any(k in w for w in tokens):
            return False  # asked through an everyday word (刺挠 for 痒), not joined to anything
        for n, w in enumerate(tokens):
            if k not in w:
                continue
            nxt = tokens[n + 1] if n + 1 < len(tokens) else ""
            # 避孕药: one word, the other's keyword before its head; 药物 + 过敏: the word, then the other's keyword
            # (降糖 + 药: the word before it standing for another's keyword, 血糖)
            # (烟酒: another's one-character keyword beside it, the two said together, not one modifying the other)
            compound = w.endswith(k) and not _said_beside(k, w, others) and (any(w[: -len(k)].endswith(h) for h in heads)
                                          or len(w) > len(k) and any(h in with_standard_words(w[: -len(k)]) for h in heads))
            modifier = w.replace(k, "", 1) in ("", *_QUASI_SUFFIXES) and nxt in heads
            located = w.startswith(k) and w[len(k):] in symptoms or w == k and nxt[:1] in symptoms and nxt[1:2] in ("", "不", "没")
            if not (compound or modifier or located):
                return False
    return True


_PLACE_WORDS = frozenset("哪里 哪儿 部位 位置 哪边 哪个部位 什么地方 什么部位".split())


def _asks_a_place(evidence: frozenset[str]) -> bool:
    return bool(evidence) and all(e.removeprefix("tok:") in _PLACE_WORDS for e in evidence)


# Words that ask since when (not how many times: 孩子尿了几回 asks the urine's count, not a stool fact's 几次)
_SINCE_WHEN = frozenset("多久 多长时间 什么时候 啥时候 开始 几天 几周 几个月 几年 哪天 起病 病程 第一次 头一次 头一回".split())


def _asked_since_when(evidence: frozenset[str]) -> bool:
    """Asked by words of since when alone, one of them a keyword itself (not only a word shared with a longer
    keyword: 多久 of 怀孕多久 asks how far along a pregnancy is, and 脚肿多久了 asks nothing of that)."""
    return (any(not e.startswith("tok:") for e in evidence)
            and all(e.removeprefix("tok:") in _SINCE_WHEN for e in evidence))


_SIDE_IN_FACT = re.compile(r"左|右|两侧|一侧|两边|外侧|内侧")


def _only_placed(fact: Fact, evidence: frozenset[str], question: str, others: list[Fact],
                 evidence_of: dict[str, frozenset[str]]) -> bool:
    """Whether ``fact`` is asked only by words of where, each in a clause that names another asked fact whose wording
    tells where it is (哪边腿麻 asks the numbness, 左小腿外侧, not the back pain's side keyed 哪边)."""
    if not _asks_a_place(evidence):
        return False
    placed = [k.removeprefix("tok:") for g in others if _SIDE_IN_FACT.search(g.fact + g.patient)
              and not _asks_a_place(evidence_of[g.id]) for k in evidence_of[g.id]
              if not _is_time_word(k.removeprefix("tok:"))]
    clauses = [with_standard_words(c) for c in _CLAUSE_OF_QUESTION.findall(question)]
    said = [c for c in clauses if any(e.removeprefix("tok:") in c for e in evidence)]
    return bool(said and placed) and all(any(k in c for k in placed) for c in said)


_COUNT_WORDS = frozenset("几次 次数 几回 多少次 一次".split())


def _only_counted(evidence: frozenset[str]) -> bool:
    return bool(evidence) and all(e.removeprefix("tok:") in _COUNT_WORDS for e in evidence)


def _topic_of_a_time_question(fact: Fact, evidence: dict[str, frozenset[str]], asked: list[Fact], question: str,
                              opening: str = "") -> bool:
    """Whether ``fact`` is only the topic of a clause that asks when, how long or where, another asked fact being
    that time or place (疹子什么时候出来的 asks the onset, not what the rash looks like; 抽了多长时间 how long, not
    the fit; 疹子长在哪个部位 where, not what it looks like). A fact keyed on a time beside other things (the onset
    and its cause) is that time where only its time words ask it and the topic is the complaint the patient opened
    with (疼多久了, 这回犯晕是头一遭吗: since when it hurts, not how it hurts)."""
    if _is_about_time(fact) or _asks_a_place(evidence[fact.id]):
        return False
    own_topic = [e.removeprefix("tok:") for e in evidence[fact.id] if not _is_time_word(e.removeprefix("tok:"))]
    complaint = bool(own_topic) and all(e in with_standard_words(opening) for e in own_topic)
    if _duration_of_its_own(fact, own_topic, complaint, question):
        return False
    # (晚上起夜几次: a count asks the topic's count, so the topic, named by a word, is no mere topic of a time; 尿血几次
    # still asks the time fact keyed 几次, 血 being one character)
    # (哪边腿麻: where the numbness is, which the numbness fact tells, 左小腿外侧)
    tells_place = bool(_SIDE_IN_FACT.search(fact.fact + fact.patient))
    worded = any(len(e.removeprefix("tok:")) >= 2 for e in evidence[fact.id])
    times = [evidence[g.id] for g in asked
             if g is not fact and not (worded and _only_counted(evidence[g.id]))
             and (_is_about_time(g) or _asks_a_place(evidence[g.id]) and not tells_place
                                   or complaint and _asked_since_when(evidence[g.id]))]
    if not times:
        return False
    clauses = [with_standard_words(c) for c in _CLAUSE_OF_QUESTION.findall(question)]
    own = [e.removeprefix("tok:") for e in evidence[fact.id]]

    def without_own(c: str) -> str:  # 其他部位 asks its own fact: the 部位 inside it asks no place
        # (but a time word stays: 多久 of a keyword 痛多久 is still the time 痛了多久 asks)
        for e in sorted((e for e in own if not _is_time_word(e)), key=len, reverse=True):
            c = c.replace(e, "，")
        return c

    timed = [c for c in clauses if any(e.removeprefix("tok:") in without_own(c) for ev in times for e in ev)]
    if _another_topics_time(fact, evidence, asked, clauses):
        return False
    return all(any(e in c for c in timed) for e in own) and not any(
        e in c and (len(e) > 1 or _morpheme_outside_time_clause(e, c)) for e in own for c in clauses if c not in timed)


# how long a topic lasted, asked (推迟多久, 停了几天), and the span a fact tells (推迟近两周, 停了三天; not 两年前, a time
# point, nor 7月2日, a date)
_DURATION_ASKED = re.compile(r"多久|多长时间|多长|几天|几个?(?:月|周|星期|小时|年)")
_DURATION_IN_FACT = re.compile(r"[\d一二两三四五六七八九十半几多]+(?:个)?(?:分钟|小时|天|周|星期|个月|年)(?![前后以之])")


def _duration_of_its_own(fact: Fact, own_topic: list[str], complaint: bool, question: str) -> bool:
    """Whether a clause asks how long ``fact``'s topic, which is not the complaint, has lasted, and the fact itself
    tells that span right after the topic's word (月经推迟多久了: how late the period is, which the period fact says,
    推迟近两周, not since when the pain)."""
    if complaint:
        return False
    # (the span right after the topic: 推迟近两周, not 瘙痒，入睡后一两个小时最明显, a time of the night)
    told = [w for w in own_topic for said in (fact.fact, fact.patient)
            if any(_DURATION_IN_FACT.match(said, m.end() + gap) for m in re.finditer(re.escape(w), said) for gap in range(3))]
    return any(_DURATION_ASKED.search(c) and any(w in c for w in told) for c in _CLAUSE_OF_QUESTION.findall(question))


def _span_of_a_topic(fact: Fact, evidence: dict[str, frozenset[str]], asked: list[Fact], question: str,
                     opening: str) -> bool:
    """Whether a time fact is asked only by how long, in a clause that asks another fact's own span (月经推迟多久了
    asks no onset of the pain)."""
    if not _is_about_time(fact) or not all(_is_time_word(e.removeprefix("tok:")) for e in evidence[fact.id]):
        return False
    for g in asked:
        if g is fact or _is_about_time(g):
            continue
        own = [e.removeprefix("tok:") for e in evidence[g.id] if not _is_time_word(e.removeprefix("tok:"))]
        if _duration_of_its_own(g, own, bool(own) and all(e in with_standard_words(opening) for e in own), question):
            return True
    return False


def _another_topics_time(fact: Fact, evidence: dict[str, frozenset[str]], asked: list[Fact], clauses: list[str]) -> bool:
    """Whether the turn asks when in several clauses and the time facts tell another asked topic's time, not
    ``fact``'s (什么时候被叮的，红疹什么时候开始出来的: the onset fact says when the rash came, so the bite's time is the
    tick fact's to tell)."""
    if sum(any(w in c for w in _WHEN_WORDS) for c in clauses) < 2:
        return False
    told = "".join(g.fact + g.patient for g in asked if g is not fact and _is_about_time(g))
    if not told or any(e.removeprefix("tok:") in told for e in evidence[fact.id]):
        return False
    return any(e.removeprefix("tok:") in told for g in asked if g is not fact and not _is_about_time(g)
               for e in evidence[g.id])


_RELATIVE_WORDS = frozenset("家里人 家人 家族 家里 亲戚 亲属 父母 爸爸 妈妈 父亲 母亲 爸妈 兄弟姐妹 长辈".split())


def _part_of_another_clause(evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether a fact is asked only by words that are part of its keywords (肚子 of 肚子上面), each in a clause that
    says another asked fact's whole keyword (肚子没有一阵阵发紧吧: the tightening, not the pain under the ribs)."""
    # (药有没有按时吃: 药, a one-character keyword, beside another's whole 按时吃 is that fact's topic too; 你自己或者
    # 家里人有没有血栓: the relatives a family fact is keyed on, beside another's whole 血栓, are whose clots are asked)
    relatives = all(e.removeprefix("tok:") in _RELATIVE_WORDS for e in evidence)
    if not evidence or not relatives and not all(e.startswith("tok:") or len(e) == 1 for e in evidence):
        return False
    tokens_only = all(e.startswith("tok:") for e in evidence)
    if any(_said_beside(e, question, others) for e in evidence if len(e) == 1):
        return False  # 烟酒沾不沾: the drinking, said beside the smoking, is asked too
    singles = {e for e in evidence if len(e) == 1}
    # (session 71: 喝酒抽烟不: 抽烟, a verb-object word made of the fact's own keywords 抽 and 烟, is no part of another's;
    # 上下牙 names no place of the tooth keyed 上 and 下, a localizer)
    if any(len(w) >= 2 and set(w) <= singles and tag is not None and tag.startswith(("v", "n"))
           for w, tag in _words(question)):
        return False
    words = {e.removeprefix("tok:") for e in evidence}
    # (a one-character keyword yields only to a topic word: 撒了几次尿 asks the urine, not the stool keyed 几次; nor
    # to a word of where: 哪边腿麻 asks the numbness)
    whole = {k for ev in others for k in ev if not k.startswith("tok:")
             and (tokens_only or len(k) >= 2 and not _is_time_word(k) and k not in _PLACE_WORDS)}
    if not whole:
        return False
    clauses = [with_standard_words(c) for c in _CLAUSE_OF_QUESTION.findall(question)]
    said = [c for c in clauses if any(e.removeprefix("tok:") in c for e in evidence)]
    # (an event named as a time claims no clause from a keyword: 打球的时候撞到了吧 asks the knock, keyed 撞; but it does
    # from a shared word, 运动的时候会不会发作 asking the exertion, not the attacks)
    # (大便里没带血吧: a word said as the place of what the one-character keyword asks is no topic it yields to)
    # (nor to a time of day that dates an event, the frame of what is asked: 半夜上厕所的时候有没有磕着 asks the fall,
    # keyed 摔, not the nights; nor to a time of day at all: 晚上有办法好好阖眼吗 asks the sleep, keyed 睡, not a fact keyed
    # 晚上 for the itch being worse then; 半宿里躺床上转个身都费劲不 asks the nights' fact by its 翻身)
    # (nor to what a medicine is for: 控血糖那白片片 asks the pill, keyed 药, not the blood sugar)
    # (nor to a keyword that takes the fact's word as its object: 吃了么子药 asks the medicine, not a food fact keyed 吃了么子)
    return bool(said) and all(any(k in c if tokens_only else _said_not_as_time(k, c) and not _said_as_place(k, c)
                                  and k not in _TIMES_OF_DAY and not _said_as_purpose(k, c)
                                  and not _takes_as_object(k, c, words)
                                  for k in whole)
                              for c in said)


_ASKS_WHICH = re.compile(r"什么|么子|么个|啥|哪")


def _takes_as_object(word: str, text: str, objects: set[str]) -> bool:
    """Whether every ``word``, a keyword that asks which (吃了么子), is followed in ``text`` at once by one of ``objects``
    that is a noun (吃了么子 + 药: which medicine, the noun filling the question word's place)."""
    if not _ASKS_WHICH.search(word):
        return False  # (以前吃虾: the shrimp is what 以前吃 is said of, no which-question the fact answers)
    nouns = {o for o in objects if _pos_tags().get(o, "").startswith("n")}
    found = list(re.finditer(re.escape(word), text))
    return bool(found and nouns) and all(any(text.startswith(o, m.end()) for o in nouns) for m in found)


# 控血糖的药, 降血压那个片: what a medicine is for
_PURPOSE_VERBS = frozenset("控降治管调")


def _said_as_purpose(word: str, text: str) -> bool:
    return all(m.start() > 0 and text[m.start() - 1] in _PURPOSE_VERBS for m in re.finditer(re.escape(word), text))


def _said_beside(char: str, question: str, others: Iterable[frozenset[str]]) -> bool:
    """Whether the one-character keyword ``char`` makes a word of two with another asked fact's one-character keyword
    (烟酒: the smoking and the drinking, each asked)."""
    singles = {k for ev in others for k in ev if len(k) == 1}
    return any(len(w) == 2 and char in w and w.replace(char, "", 1) in singles for w in _words_of(question))


def _only_inside(char: str, text: str, longer: set[str]) -> bool:
    """Whether every ``char`` in ``text`` is part of one of the ``longer`` words said there."""
    covered = bytearray(len(text))
    for w in longer:
        if len(w) > 1:
            for m in re.finditer(re.escape(w), text):
                covered[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    return all(covered[m.start()] for m in re.finditer(re.escape(char), text))


_EVENT_AS_TIME = re.compile(r"的时候|那会儿")


def _said_as_place(word: str, text: str) -> bool:
    return any(_PLACE_FRAME.match(text, m.end()) for m in re.finditer(re.escape(word), text))


def _said_not_as_time(word: str, text: str) -> bool:
    return any(not _TIME_AFTER_EVENT.match(text, m.end()) for m in re.finditer(re.escape(word), text))


# 晕之前, 发病以前: a keyword that names the time before an event
_BEFORE_KEYWORD = re.compile(r"[\u4e00-\u9fff]{1,4}(?:之前|以前|前头)")


def _only_before_another(evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether a fact is asked only by keywords that name the time before an event, each in a clause that asks
    another fact (晕之前心慌不慌 asks the palpitations, not what came before the faint; 晕之前有什么感觉 still asks it)."""
    words = [e.removeprefix("tok:") for e in evidence]
    if not words or not all(_BEFORE_KEYWORD.fullmatch(w) for w in words):
        return False
    clauses = [with_standard_words(c) for c in _CLAUSE_OF_QUESTION.findall(question)]
    said = [c for c in clauses if any(w in c for w in words)]
    asked = {e.removeprefix("tok:") for ev in others for e in ev}
    return bool(said) and all(any(o in c for o in asked) for c in said)


# 大便里见没见血, 痰里头, 干活的屋里: a word as the place of what is asked; 打球的时候, 吃完: an event as its time
# (耳朵上没长疱吧: on the ear, the place of the blisters; not 上来, 上次, 上午, 上班)
_PLACE_FRAME = re.compile(r"(?=带)|那儿|那里|那块儿?|这儿|这里|里头|里面|里边|里|中|上(?![来去次回个周午班学课面下])|的?(?:屋子?|地方|车间|房间)(?:里头|里面|里边|里)?")
# (a fact that tells what happens at some time: 开车等红灯时差点睡着; not 每次约2小时, nor 有时35天: sometimes)
_TIME_IN_FACT = re.compile(r"(?<![小有])时(?!间)|的时候|那会儿|之后|以后")
# 晚上喝不喝酒: a time of day said before what is asked is that thing's time (a night fact that tells of the drinking is
# still asked: 晚上离不得茶)
# (a season too: 冬天屋里靠啥暖和 asks the heating, 这一冬天掉秤没有 the weight, not a fact keyed 冬天 for when it flares)
_TIMES_OF_DAY = frozenset("晚上 夜里 夜间 半夜 白天 早上 早晨 上午 下午 中午 傍晚 冬天 夏天 春天 秋天 冬季 夏季 春季 秋季".split())


def _spoken_ends(word: str, clause: str) -> list[int]:
    """Where ``word`` ends in ``clause``, said itself or as an everyday word that stands for it (来事儿 for 月经; an
    儿 after it is part of it)."""
    forms = [word, *(w for w, standard in _everyday_words().items() if word in standard)]
    ends = sorted({m.end() for f in forms for m in re.finditer(re.escape(f), clause)})
    return [e + 1 if clause.startswith("儿", e) else e for e in ends]


# 用过激素没有, 没吃过抗疟的药吧: the taking of what another fact is keyed on
_TAKING_WORDS = frozenset("用过 吃过 服过 用了 吃了 在用 在吃 用 吃 服 药 药物".split())


def _only_taking_another(evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether a fact is asked only by words of taking a medicine, each said of what another asked fact is keyed on
    (用过激素没有 asks the steroids, not the ointments used; 抗疟的药 the prophylaxis, not the painkillers). 用过什么药 and
    激素或者别的药 still ask the medicines."""
    words = {e.removeprefix("tok:") for e in evidence}
    if not words or not words <= _TAKING_WORDS:
        return False
    # (not a keyword that is itself the taking, 吃了么子 of a food fact: 吃了么子药 asks the medicine)
    keywords = {e for ev in others for e in ev if not e.startswith("tok:") and len(e) >= 2 and e not in _TAKING_WORDS
                and e[0] not in "吃喝用服"}
    if not keywords:
        return False
    other = "|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True))
    taking = re.compile(rf"(?:用过|吃过|服过|用了|吃了|在用|在吃|用|吃|服)(?:点|些)?(?:{other})")
    medicine = re.compile(rf"(?:{other})(?:的|类的|之类的)?(?:药物|药)")
    said = False
    for c in _CLAUSE_OF_QUESTION.findall(question):
        spans = [m.span() for m in (*taking.finditer(c), *medicine.finditer(c))]
        for w in words:
            for m in re.finditer(re.escape(w), c):
                said = True
                if not any(a <= m.start() and m.end() <= b for a, b in spans):
                    return False
    return said


_SYMPTOM_MORPHEMES = frozenset("疼痛酸胀麻痒肿")


def _symptom_at_anothers_place(fact: Fact, evidence: frozenset[str], question: str, others: list[Fact],
                               evidence_of: dict[str, frozenset[str]]) -> bool:
    """Whether ``fact`` is asked only by a one-character symptom (疼), each time said of a place that another asked
    fact is keyed on and whose wording tells that symptom there, a place ``fact``'s own wording never names (腰疼不疼,
    腰上不疼吧 ask the fact that says 腰不疼, not the one about the pain of passing water)."""
    words = {e.removeprefix("tok:") for e in evidence}
    if not words or not words <= _SYMPTOM_MORPHEMES:
        return False
    own = fact.fact + fact.patient
    places = {k for g in others for k in evidence_of[g.id] if not k.startswith("tok:") and k not in own
              and any(w in g.fact + g.patient for w in words)}
    if not places:
        return False
    said = False
    for c in _CLAUSE_OF_QUESTION.findall(question):
        for w in words:
            for m in re.finditer(w, c):
                if m.start() >= 2 and c[m.start() - 1] in "不没" and c[m.start() - 2] == w:
                    continue  # the second half of 疼不疼, said where the first is
                said = True
                if not any(re.search(re.escape(p) + r"[^，,。？?]{0,3}$", c[: m.start()]) for p in places):
                    return False
    return said


def _only_frame_of_another(fact: Fact, evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether a fact is asked only by words of two characters or more that the question says as the place or the time
    of what another asked fact is about, each in a clause that asks that fact (大便里见没见血 asks the blood, not the
    stool; 打球的时候撞到了吧 the knock, not the sport; 来事儿的时候小肚子坠不坠 the pain, not the period; 晚上喝不喝酒
    the drinking, not the nights), the other asked by a keyword of its own. A fact that tells what happens at such a
    time is still asked by its event (开车的时候会不会打瞌睡: 开车等红灯时差点睡着)."""
    words = {e.removeprefix("tok:") for e in evidence}
    # (耳 of a keyword 耳 beside 耳朵: said only inside 耳朵, which is said as the place)
    words = {w for w in words if len(w) > 1 or not _only_inside(w, question, words - {w})}
    if not words or any(len(w) < 2 for w in words):
        return False
    own_text = fact.fact + fact.patient
    told_at_a_time = bool(_TIME_IN_FACT.search(own_text))
    # (another fact's keyword, not a word shared with it: 运动的时候会不会发作 asks the exertion, 发作 being only shared)
    asked = {e for ev in others for e in ev if not e.startswith("tok:")} - words
    said = False
    clauses = _CLAUSE_OF_QUESTION.findall(question)
    for n, c in enumerate(clauses):
        for w in words:
            for end in _spoken_ends(w, c):
                said = True
                rest = c[end:]
                # (每回来事儿的时候，那个血是多是少: a clause that is only the time frames the next one)
                if _TIME_AFTER_EVENT.fullmatch(rest) and n + 1 < len(clauses):
                    rest += clauses[n + 1]
                found = [a for a in asked if a in rest or a in with_standard_words(rest)]
                place = _PLACE_FRAME.match(c, end)
                time = (_TIME_AFTER_EVENT.match(c, end) and not told_at_a_time
                        # (晚上起几次夜: a count is no topic of its own)
                        or w in _TIMES_OF_DAY and rest[:1] not in "的里" and not any(a in own_text for a in found)
                        and any(a not in _TIME_KEYWORDS for a in found))
                if not (place or time) or not found:
                    return False
    return said


# A relative who asks for the patient (我替我爸问一下, 我妈最近…): the doctor's 你爸 is the patient, and 你自己 the
# relative, whose own age or work the case does not hold.
_RELATIONS = (("爸爸", "老爸", "爸", "父亲", "老爷子", "老爹", "爹"), ("妈妈", "老妈", "妈", "母亲", "老太太"),
              ("老公", "丈夫", "先生"), ("老婆", "妻子", "媳妇"), ("爱人", "老伴"), ("爷爷",), ("奶奶",), ("外公", "姥爷"),
              ("外婆", "姥姥"))
# (not 我老公说就是皮肤干: what the relative says of the patient, who writes herself)
_PROXY_OPENING = re.compile("(?:替|帮|给)?我(?:家)?的?(" + "|".join(sorted({w for g in _RELATIONS for w in g}, key=len,
                                                                       reverse=True)) + ")(?!说|觉得|认为|让|叫|劝|陪|非|总说|吓|拉我|带我|逼)")
_BOTH_PARENTS = re.compile(r"我(?:爹|爸|爸爸|父亲)和?我?(?:妈|妈妈|娘|母亲)|我(?:父母|爸妈|爹妈)")
_SELF_OF_PROXY = re.compile(r"[^，,。？?！!；;]*(?:你|您)自己[^，,。？?！!；;]*[，,。？?！!；;]?")


def _proxied(opening: str) -> list[tuple[str, ...]]:
    """The relations a relative asks for (我爸…: the father; 我爹我妈中午吃了…: both parents), in _RELATIONS order."""
    m = _PROXY_OPENING.search(opening)
    if not m:
        return []
    if _BOTH_PARENTS.search(opening):
        return list(_RELATIONS[:2])
    return [next(g for g in _RELATIONS if m.group(1) in g)]


def _as_the_patient(case: Case, question: str) -> str:
    groups = _proxied(case.opening or "")
    if not question:
        return question
    if not groups:  # 你爸那个病, 你哥也这样疼过吗: the patient's own father or brother, as a case's keywords name him (爸爸, 哥哥)
        return re.sub(r"(你|您)的?(爸|妈|哥|姐|弟|妹)(?![爸妈哥姐弟妹们])", r"\1\2\2", question)
    question = _SELF_OF_PROXY.sub("", question)
    if groups[:2] == list(_RELATIONS[:2]):  # (session 66: 你爹妈多大岁数了, asked of a son for both parents: they are the patients)
        question = re.sub(r"(?:你|您)(?:家)?的?(?:爹妈|爸妈|父母|爸爸妈妈|老爹老妈)", "他们", question)
    for group in groups:
        # (爸爸最近吃饭怎么样: the relative named bare, who is the patient here)
        words = "|".join(sorted(group, key=len, reverse=True))
        question = re.sub("(?:^|(?<=[，,。？?！!\\s]))(?:" + words + ")(?![们])", "他", question)
        question = re.sub("(?:你|您)(?:家)?的?(?:" + words + ")", "他", question)
    return question


def _of_the_other_parent(case: Case, fact: Fact, doctor_text: str) -> bool:
    """Whether, where a relative asks for both parents, ``fact`` tells of one of them (父亲有高血压) and the turn names only
    the other (你妈平时有没有糖尿病)."""
    groups = _proxied(case.opening or "")
    if groups[:2] != list(_RELATIONS[:2]):
        return False
    named = [g for g in _RELATIONS[:2] if re.search("|".join(g), doctor_text)]
    told = [g for g in _RELATIONS[:2] if re.search("|".join(g), fact.fact)]
    return len(named) == 1 and len(told) == 1 and named != told


# Traditional characters the shared table (workbench.annotate.zh_variants) leaves out, met in session 64's blind sets
# (妳幾歲, 襯衫, 鍵盤, 牽到, 變得像蠟, 烏龍茶, 有辦法闔眼), and in session 65's (螞蟻爬, 排便還順嗎, 上課, 當時, 繞圈圈, 睏), and in session 66's (丟臉).
# One character for one, as there.
_MORE_TRADITIONAL = str.maketrans(dict(zip("妳襯鍵牽變蠟烏龍辦闔擺搖軟彈纏墊擊盤爛燉釦鈕國園場塊學悶極灣當睏禮稅紮紺緒繞纖職葉螞蟻衝規課蹤連進遺釘離順馬丟遲菸",
                                           "你衬键牵变蜡乌龙办阖摆摇软弹缠垫击盘烂炖扣钮国园场块学闷极湾当困礼税扎绀绪绕纤职叶蚂蚁冲规课踪连进遗钉离顺马丢迟烟",
                                           strict=True)))


def _simplified(text: str) -> str:
    return to_simplified(text).translate(_MORE_TRADITIONAL)


def _in_simplified(case: Case) -> Case:
    """``case`` with its opening and facts in simplified characters, as the question is read: a case written in
    traditional ones (keywords 受過傷, 無力) is asked what the same case in simplified ones is."""
    facts = [f.model_copy(update={"fact": _simplified(f.fact), "patient": _simplified(f.patient),
                                  "keywords": list(dict.fromkeys(_simplified(k) for k in f.keywords))})
             for f in case.facts]
    return case.model_copy(update={"opening": _simplified(case.opening), "facts": facts})


def asked_facts(case: Case, doctor_text: str) -> tuple[str, ...]:
    """Ids of the case's facts that the doctor's turn asks about, in case order. A turn in traditional characters
    (燙傷的地方起水泡了嗎) asks what the same turn in simplified ones asks, and so does a case written in them.
"""
    case = _in_simplified(case)
    said = _VOCATIVE.sub("", question_part(_mandarin(_simplified(doctor_text or ""))))
    q = _as_the_patient(case, said)
    q = _EVENT_AT.sub("什么时候", q)  # 一般几点发作: when the attacks come
    evidence = {f.id: _evidence(f, _without_longer_keywords(f, (o for o in case.facts if o is not f), q))
                for f in case.facts}
    # A fact asked only by what also asks another fact, which the question asks by more (多大 in 您多大年纪了
    # asks the age, keyed 多大 and 年纪, not the burn's area, keyed 多大 too): the question is about the other.
    asked = [f for f in case.facts if evidence[f.id] and not any(evidence[f.id] < other for other in evidence.values())]
    asked = [f for f in asked if not _of_the_other_parent(case, f, said)]
    if any(not _only_then(evidence[f.id]) for f in asked):
        asked = [f for f in asked if not (_is_about_time(f) and _only_then(evidence[f.id]))]
    asked = [f for f in asked if not _then_of_another(evidence[f.id], q, [evidence[g.id] for g in asked if g is not f])]
    if len(asked) > 1 and not _proxied(case.opening or "") and not _NAMES_SOMEONE.search(q):
        # 之前没有验过甲状腺吧: the patient's own thyroid, not the illness of the mother (我妈妈…) keyed 甲状腺 too
        asked = [f for f in asked if not _of_a_relative(f)]
    if _YOURSELF.search(q) and not _proxied(case.opening or "") and not _NAMES_SOMEONE.search(q):
        # 你自己以前得过血栓吗: the patient's own clots, not the aunt's (小姨几年前得过肺栓塞) keyed 血栓 too
        asked = [f for f in asked if not (_RELATIVE_FIRST.match(f.fact) and _RELATIVE_FIRST.match(f.patient))]
    if len(asked) > 1 and not _OTHER_PEOPLE.search(q):
        # 还没抽血查过布病吧: the patient's own test, not the neighbour's brucellosis keyed 布病 too
        asked = [f for f in asked if not _OF_NEIGHBOURS.match(f.fact)]
    canonical = _canonical_question_words(_HOW_FAR.sub("范围", _PLACE_OF_ANOTHER.sub("哪", q)))  # (往哪儿窜 is no place asked)
    asked = [f for f in asked if not _within_a_denial(f, evidence, asked, canonical)]
    asked = [f for f in asked if not _span_of_a_topic(f, evidence, asked, canonical, case.opening or "")]
    asked = [f for f in asked if not _topic_of_a_time_question(f, evidence, asked, canonical, case.opening)]
    asked = [f for f in asked if not _medicine_of_another_time(f, evidence[f.id], canonical,
                                                               [evidence[g.id] for g in asked if g is not f])]
    asked = [f for f in asked if not _prescribed_not_told(f, evidence[f.id], canonical)]
    asked = [f for f in asked if not _only_where_treated(evidence[f.id], canonical,
                                                         [evidence[g.id] for g in asked if g is not f])]
    asked = [f for f in asked if not _part_of_another_clause(evidence[f.id], canonical,
                                                              [evidence[g.id] for g in asked if g is not f])]
    asked = [f for f in asked if not _only_before_another(evidence[f.id], canonical,
                                                          [evidence[g.id] for g in asked if g is not f])]
    asked = [f for f in asked if not _only_frame_of_another(f, evidence[f.id], canonical,
                                                            [evidence[g.id] for g in asked if g is not f])]
    asked = [f for f in asked if not _only_taking_another(evidence[f.id], canonical,
                                                          [evidence[g.id] for g in asked if g is not f])]
    asked = [f for f in asked if not _only_placed(f, evidence[f.id], canonical, [g for g in asked if g is not f], evidence)]
    asked = [f for f in asked if not _symptom_at_anothers_place(f, evidence[f.id], canonical,
                                                                [g for g in asked if g is not f], evidence)]
    asked = [f for f in asked if not _only_standing_for_anothers(evidence[f.id], canonical,
                                                                 [evidence[g.id] for g in asked if g is not f])]
    asked = [f for f in asked if not _place_of_anothers_symptom(f, evidence[f.id], canonical,
                                                                [evidence[g.id] for g in asked if g is not f])]
    asked = [f for f in asked if not _only_sharing_an_everyday_word(evidence[f.id], q,
                                                                    [evidence[g.id] for g in asked if g is not f])]
    asked = [f for f in asked if not _morpheme_of_anothers_word(evidence[f.id], q, [evidence[g.id] for g in asked if g is not f])]
    return tuple(f.id for f in asked
                 if not _only_measured(f, evidence[f.id], canonical, [evidence[g.id] for g in asked if g is not f])
                 and not _modifies_another(f, evidence[f.id], canonical,
                                           (evidence[g.id] for g in asked if g is not f)))


# A fact about people around the patient who are no relatives (邻居家也有人得过布病; not 同事说脖子变粗, the patient's
# own neck that a colleague saw), and the words that name such people
_PEOPLE_AROUND = r"邻居|同事|同学|室友|工友|老乡|朋友|周围|村里|身边|同村"
_OF_NEIGHBOURS = re.compile(r"(?:" + _PEOPLE_AROUND + r")[^，,。；;说讲看觉]{0,4}(?:也|都|有人|得过|得了|患)")
_OTHER_PEOPLE = re.compile(_PEOPLE_AROUND + r"|别人|其他人|有人|有谁|谁|大家|一起")


# 老哥，您一天得点上多少根儿: the one the doctor speaks to, named at the turn's start, is no relative asked about
_VOCATIVE = re.compile(r"^(?:老哥|大哥|老弟|大兄弟|大姐|老姐|大嫂|大叔|大爷|大妈|大娘|大婶|阿姨|叔叔|阿叔|阿伯|老伯|大伯|老乡"
                       r"|师傅|老师傅)[，,、！!\s]+")
_YOURSELF = re.compile(r"(?:你|您)自己")
# a fact that begins with a relative, and so does what the patient says of it (小姨几年前得过肺栓塞: 我小姨前几年…; not
# 爷爷用挖耳勺掏过两次, which a grandfather tells as 我拿挖耳勺给他掏了两回)
_RELATIVE_FIRST = re.compile(r".{0,2}?(?:" + _KIN_PATTERN + ")")


def _then_of_another(evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether a fact is asked only by words of "then" (当时, 那会儿), each in a clause that asks another fact: the time of
    what is asked there (当时咳出来东西没有 asks what came up, not the choking keyed 当时; 当时你在做什么 still asks it)."""
    if not evidence or not _only_then(evidence):
        return False
    asked = {e.removeprefix("tok:") for ev in others for e in ev} - _THEN_WORDS
    said = [with_standard_words(c) for c in _CLAUSE_OF_QUESTION.findall(question)
            if any(e.removeprefix("tok:") in c for e in evidence)]
    return bool(said and asked) and all(any(a in c for a in asked) for c in said)


_DENIAL = re.compile(r"没有?|无|不|否认|从没|从来没")


def _within_a_denial(fact: Fact, evidence: dict[str, frozenset[str]], asked: list[Fact], question: str) -> bool:
    """Whether ``fact`` is asked only by words that another asked fact, a denial, says too, each in a clause that the
    denial is asked in by words ``fact`` does not say (没有大口大口地往外吐血吧 asks 没有大口咯血, whose 大口吐血那没有 says
    吐血 too, not the streaks of blood keyed 吐血)."""
    words = {e.removeprefix("tok:") for e in evidence[fact.id]}
    own = fact.fact + fact.patient
    clauses = _CLAUSE_OF_QUESTION.findall(question)
    for other in asked:
        theirs = other.fact + other.patient
        if other is fact or not _DENIAL.match(other.fact) or not words or not all(w in theirs for w in words):
            continue
        denial = {w for w in (e.removeprefix("tok:") for e in evidence[other.id]) if w not in own}
        said = [c for c in clauses if any(w in c for w in words)]
        if said and all(any(w in c for w in denial) for c in said):
            return True
    return False


def _of_a_relative(fact: Fact) -> bool:
    """Whether ``fact`` is about a relative of the one who speaks (妈妈有甲状腺的问题: 我妈妈好像有…), not something a relative
    did for the patient (妈妈给滴过一次双氧水: 我妈给我滴过…)."""
    m = _PROXY_OPENING.match(fact.patient) if _KIN.match(fact.fact) else None
    return m is not None and fact.patient[m.end():m.end() + 1] not in "给帮替带陪送喂煮做"


_MEDICINE_WORDS = _TAKING_WORDS | {"什么药", "吃什么", "吃药", "用药", "服药"}
_AT_THAT_TIME = r"[^，,。？?]{0,3}?(?:那会儿|那时候|那阵子?|的时候|时)"


def _medicine_of_another_time(fact: Fact, evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether ``fact`` is asked only by words of taking a medicine, each said at the time of what another asked fact is
    keyed on, which ``fact`` does not tell (感冒那会儿吃的什么药 asks the medicine of the cold, not the blood-pressure
    pills keyed 什么药)."""
    words = {e.removeprefix("tok:") for e in evidence}
    if not words or not all(w in _MEDICINE_WORDS or w.endswith("药") for w in words):
        return False
    own = fact.fact + fact.patient
    keys = {k for ev in others for k in ev if not k.startswith("tok:") and len(k) >= 2 and k not in own}
    if not keys:
        return False
    frame = re.compile("(?:" + "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)) + ")" + _AT_THAT_TIME)
    said = False
    for c in _CLAUSE_OF_QUESTION.findall(question):
        for w in words:
            for m in re.finditer(re.escape(w), c):
                said = True
                if not frame.search(c[: m.start()]):
                    return False
    return said


# 膝头擦过什么药冇, 脚上抹过药没有: the place a medicine was put on, not what is asked
_PUT_ON = re.compile(r"(?:上|那里|那儿|这里|这儿|那块|这块)?(?:擦|涂|抹|贴|敷|搽)(?:过|了|的)?(?:点|些)?(?:什么|啥|哪种)?的?(?:药|膏)")


def _only_where_treated(evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether a fact is asked only by words each said just before a medicine put on there, which another asked fact
    is asked by (膝头擦过什么药 asks the liniment, not the knee's pain keyed 膝)."""
    words = {e.removeprefix("tok:") for e in evidence}
    if not words or not any(others):
        return False
    for w in words:
        ends = [m.end() for m in re.finditer(re.escape(w), question)]
        if not ends or not all(_PUT_ON.match(question, e + (question[e:e + 1] == "头")) for e in ends):
            return False
    return True


# 上回碎完石头，医生给你开的啥药: what a doctor prescribed, which a fact of medicine the patient took on his own (车上有布洛芬,
# 用红花油擦) does not tell
_PRESCRIBED = re.compile(r"(?:医生|大夫|医院|诊所|卫生院)[^，,。？?]{0,8}开(?:了|过|的)?[^，,。？?]{0,4}药")
_PRESCRIBER_IN_FACT = re.compile(r"开|医生|大夫|医院|诊所|卫生院|门诊|处方|医嘱")


def _prescribed_not_told(fact: Fact, evidence: frozenset[str], question: str) -> bool:
    """Whether ``fact`` is asked only by words of a medicine where the question asks what a doctor prescribed, and the fact
    names no doctor, hospital or prescription."""
    words = {e.removeprefix("tok:") for e in evidence}
    if not words or not all(w in _MEDICINE_WORDS or w.endswith("药") for w in words):
        return False
    return _PRESCRIBED.search(question) is not None and not _PRESCRIBER_IN_FACT.search(fact.fact + fact.patient)


def _only_standing_for_anothers(evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether a fact is asked only by standard words that everyday words of the question stand for, each such word
    holding another asked fact's own keyword (脚有没有撞到过: 撞到 stands for 碰 too, but says 撞, the knock's keyword,
    and asks nothing of the pain keyed 碰 for a touch)."""
    words = {e.removeprefix("tok:") for e in evidence}
    if not words or any(w in question for w in words):
        return False
    keys = {k for ev in others for k in ev if not k.startswith("tok:") and k in question}
    if not keys:
        return False
    found = everyday_sources(question)
    for w in words:
        spans = [(said, standard) for said, standard in found if w in standard]
        # (the keyword is most of what is said: 撞 of 撞到, not 药 of 药是不是最近没吃, which stands for a missed dose)
        # (or is part of the keyword: 降糖 of 降糖药, which stands for 糖尿病 but asks the medicine)
        # (not a word that stands for both: 大小便 asks the stool as well as the urine)
        if not spans or not all(any((k in said and 2 * len(k) >= len(said) or said in k) and k not in standard
                                    for k in keys) for said, standard in spans):
            return False
    return True


def _place_of_anothers_symptom(fact: Fact, evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether a fact keyed on a symptom (疼) and its places is asked only by a place, said (itself or as an everyday word
    that stands for it) before what another asked fact is asked by, the fact's own symptom unsaid: the place where that
    other is felt (心口这会儿扑通扑通的不 asks the palpitations, not the pain of the 心口, 上腹)."""
    words = {e.removeprefix("tok:") for e in evidence}
    own = {k for k in fact.keywords if k in _SYMPTOM_MORPHEMES}
    if not words or not own or any(set(w) & _SYMPTOM_MORPHEMES for w in words) or any(c in question for c in own | {"疼", "痛"}):
        return False
    asked = {e.removeprefix("tok:") for ev in others for e in ev if not e.startswith("tok:")} - words
    said = False
    for c in _CLAUSE_OF_QUESTION.findall(question):
        for w in words:
            forms = {w} | {said_as for said_as, standard in everyday_sources(c) if w in standard}
            for end in sorted({m.end() for f in forms for m in re.finditer(re.escape(f), c)}):
                said = True
                rest = c[end:]
                if not any(a in rest or a in with_standard_words(rest) for a in asked):
                    return False
    return said


def _only_sharing_an_everyday_word(evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether a fact is asked only by standard words of everyday words that stand for another asked fact's keyword too,
    that other being asked by words of its own besides (嚼着啥零嘴儿，一口气没倒过来: 零嘴 stands for the appetite's 吃得 and the
    choking's 吃东西, and the choking is asked by 一口气没倒过来 as well: the snack is the choking's)."""
    words = {e.removeprefix("tok:") for e in evidence}
    if not words or any(w in question for w in words):
        return False
    found = everyday_sources(question)
    for w in words:
        spans = [said for said, standard in found if w in standard]
        if not spans:
            return False
        for said in spans:
            # (the same words or a longer span around them: 活儿还能, which stands for 干活, is not yielded to 活儿 alone)
            also = {x for s2, standard in found if said in s2 for x in standard}
            if not any({e.removeprefix("tok:") for e in ev} & also - words and {e.removeprefix("tok:") for e in ev} - also
                       for ev in others):
                return False
    return True


def _morpheme_of_anothers_word(evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether a fact is asked only by one-character keywords, each a morpheme of a longer keyword another asked fact is
    asked by through an everyday word that stands for it (梳子上掉的多不多: 掉 of 掉发, which 梳子 stands for, asks the hair,
    not the weight keyed 掉). Where the longer keyword is said itself, the morpheme may be said apart (退烧药喂过没得 and
    最高烧到好多度: 烧 still asks the fever)."""
    words = [e for e in evidence if not e.startswith("tok:")]
    if not words or len(words) < len(evidence) or any(len(w) != 1 for w in words):
        return False
    longer = {k for ev in others for k in ev if not k.startswith("tok:") and len(k) >= 2 and k not in question}
    return all(any(w in k for k in longer) for w in words)


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
