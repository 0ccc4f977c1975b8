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
(not inside 小时候 for 小时), a keyword two facts share asks the one the question names otherwise too, everyday
words stand for the standard ones a case lists (拉屎 for 大便, 抽风 for 抽搐, 知觉 for 麻木), and a clause about other
people (家里大人, 你爱人, 她爸爸) asks nothing of the patient's own facts. A count or a time asked in a clause that
names another fact's topic belongs to that topic (孩子尿了几回 asks the urine's, not the stool fact keyed on 几次), and
a one-character keyword joined to another asked fact's keyword is part of that word (药物过敏, 避孕药). A clause that
asks when or how long asks that time, not its topic (疹子什么时候出来的 asks the onset); how long something takes
(多久才能睡着) is not since when, nor is a daily amount (一天用手多久) or the worst time (什么时候最重); an event named
as a time (摔完, 抽之前, 摔的时候, 怀孕以前) is not asked; 头 ending 脚趾头 is a
suffix; and a tag that checks understanding or consent after advice (…要马上来医院，听明白了吗？, …，好吗？) asks nothing,
as do clauses about buying, prices or opening hours (布洛芬药店能买到吗？), a short follow-up to a question about
other people (你同事也查出来过吗？多大的？), what 除了… sets aside and a preface such as 我问您几个问题：.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from workbench.annotate.zh_variants import to_simplified
from workbench.simulate.cases import Case, Fact
from workbench.simulate.generic_words import GENERIC_KEYWORDS, GENERIC_TOKENS

# Sentences, and what follows a colon (…所以我得问清楚：1. …？2. …？, …所以我想先确认：妳有没有可能怀孕？): the
# explanation before it asks nothing, even where no full stop ends it.
_CLAUSE_SPLIT = re.compile(r"(?<=[。！？!?；;\n])|(?<=[：:])")
# How Chinese asks, with or without a question mark: a question mark, the particles 吗/呢/么, a verb
# phrase closed by 不/没/没有 (抽烟不, 发烧了没, 看过没有), a question word (什么, 怎样, 哪, 几天, 多大, 啥,
# 咋…), a request to tell (请描述, 说一下, 讲讲, 告诉我), or an A-not-A form (疼不疼, 会不会, 有没有).
_QUESTION_CUES = re.compile(
    r"[？?]|吗|呢|(?<![那这怎什多])么|有没有|是不是|是否|有无|(?:不|没有|没)[。！!；;\s]*$"
    # 摸着不烫吧, 没吐吧: a guess put to the patient to confirm (not 先别急吧)
    r"|(?<![别先差])(?:没|不)[^，,。不没\s]{1,8}吧[。！!\s]*$"
    # not 这几天 (these days) or 差不多高 (about as high): advice says them too
    r"|(?<![不没])(?<![不没][\u4e00-\u9fff])什么|怎么样|怎样|如何|为什么|怎么(?![办也都])|哪|(?<![这那前后近每好头])几[天次岁个周年度点月回趟杯片粒颗瓶斤包支口顿遍种块根]"
    r"|(?<!差不)(?<!许)多[久长少大高重远]"
    # 肿的是里边还是外边: an alternative question (not 还是要…, 你还是去…: advice)
    r"|(?<=[\u4e00-\u9fff])(?<!要是)(?<!如果)(?<!若是)还是(?!要|得|去|先|建议|应该|尽快|别|多|少|赶紧|最好)"
    r"|(?<!这)谁(?![都也])|(?<![不没])(?<![不没][\u4e00-\u9fff])啥|咋"
    r"|描述一下|描述下|请描述|介绍一下|补充一下|说明一下|说一下|说说|讲一下|讲讲|告诉我|唠唠|唠一唠"
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


# 除了手表提醒，…还有哪里不舒服: what the question sets aside is not asked; 我问您几个问题：…: a preface that asks nothing
_SET_ASIDE = re.compile(r"除了[^，,。？?！!]{1,14}?(?:以外|之外)?[，,]|(?:我|再|先)?(?:问|请教)(?:您|你)?(?:几个|一些|两个|三个)问题[：:]?")


def question_part(doctor_text: str) -> str:
    """The clauses of a doctor's turn that ask something (empty when it asks nothing)."""
    clauses = [c for c in _CLAUSE_SPLIT.split(_SET_ASIDE.sub("", doctor_text or "")) if c.strip()]
    return "".join(c for c in clauses if _asks(c))


# 回去以后…要马上来医院，听明白了吗？ / 先别吃止痛药，好吗？: the doctor checks they were understood or asks consent
# (好吗, 可以吗 only as a clause of their own: 那狗现在还好吗, 睡得好吗 ask)
_ADVICE_TAG = re.compile(r"(?:(?:[，,]\s*(?:好|行|可以|能做到|做得到)|[，,\s]*(?:听明白了|听清楚了|记住了|明白了|知道了|懂了))[吗么]"
                         # …立马来急诊，中不中？: the consent asked in a dialect
                         r"|[，,]\s*(?:中不中|行不行|好不好|成不成|得不得))[？?。！!\s]*$")


# 每天看看有没有红肿。: what the patient is to watch for, asked of nobody (with a question mark it is asked)
# (拍个片子看看卡在哪儿: where the film will show it; not 你再看看他现在有没有憋气: a check to report now)
_WATCH_FOR = re.compile(r"(看看|观察|留意|注意)(?![^，,。？?]*(现在|这会儿|眼下))[^，,。？?]*?(有没有|是不是|是否|哪|什么|多少)"
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
# One-character predicates the segmenter joins to the noun before them (血压高, 大便干): the noun is still what
# is asked about ...
_PREDICATES = "高低大小多少重轻快慢好坏红肿疼痛痒干稀硬软热冷凉酸胀麻"
# ... and localizers (睡醒后, 饭前): the time or place of what the noun or verb names
_LOCALIZERS = "后前时里上下中内外"


# Verb-object words of a habit or a routine (抽烟, 喝酒, 抽血): their verb is not a keyword's morpheme (抽 of a
# twitch, 喝 of a swallowed poison)
_HABIT_WORDS = frozenset("抽烟 吸烟 抽过烟 喝酒 饮酒 喝过酒 喝茶 喝咖啡 喝水 吃饭 抽血".split())


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
    if own_tag.startswith("v") and not _morpheme_outside_time_clause(char, question):
        return False
    for w, tag in _words(question):
        if char not in w:
            continue
        if w != char and w.endswith(char) and w in _SUFFIX_WORDS or w in _HABIT_WORDS:
            continue  # 脚趾头, 石头, 里头: 头 is a suffix there, not the head
        if w == char or tag is None:
            return True
        base = w[:-1] if len(w) > 2 and w[-1] in _QUASI_SUFFIXES or w[1:] in _QUASI_SUFFIXES else w
        if base.endswith(char) or (w.startswith(char) and own_tag.startswith("v") and tag.startswith("v")):
            return True
        if all(c in gloss for c in w.replace(char, "")):
            return True
    return False


# What the segmenter joins to the verb after it (没见 + 红, 没崴 + 过): the keyword still starts a word there
_ADVERB_PREFIXES = frozenset("没 不 未 别 还 也 都 就 又 再 有 没有 已 已经 曾 刚".split())
# Words whose last character is a noun suffix, not the morpheme itself (头 in 脚趾头 is no head)
_SUFFIX_WORDS = frozenset("石头 指头 手指头 脚趾头 脚指头 趾头 骨头 舌头 枕头 拳头 馒头 念头 码头 里头 外头 前头 后头 上头 下头 个头 "
                          "年头 两头 苗头 源头 镜头 罐头 木头 砖头 锄头 丫头 块头 奔头 盼头 甜头 苦头 风头 劲头".split())
# 摔完还能走吗, 抽完以后精神怎么样, 摔之前有没有胸闷, 摔的时候磕着头没有: the event as a time, before what is asked
_TIME_AFTER_EVENT = re.compile(r"完|了?以后|了?之后|后|之前|前|的时候|那时候|那会儿|那阵")


def _morpheme_outside_time_clause(char: str, question: str) -> bool:
    """Whether the one-character verb ``char`` occurs in ``question`` other than as the time of what is asked."""
    return any(not _TIME_AFTER_EVENT.match(question, m.end()) for m in re.finditer(re.escape(char), question))


def _word_occurs(keyword: str, question: str) -> bool:
    """A keyword of several characters asks where it is a word of the question, several words, or the head
    (the end) of a longer word (水泡 in 起水泡), or that word with a quasi-suffix (体温 in 体温表). Where it only
    begins or sits inside a longer word, that word names something else: 小时 in 小时候, 免疫 in 免疫力, 前列腺 in
    前列腺癌."""
    start = question.find(keyword)
    if start < 0:
        return False
    spans, pos = [], 0
    for t in _words_of(question):
        at = question.find(t, pos)
        if at < 0:
            continue
        spans.append((at, at + len(t)))
        pos = at + len(t)
    while start >= 0:
        end = start + len(keyword)
        if any(a < start < b < end and question[a:start] not in _ADVERB_PREFIXES for a, b in spans):
            start = question.find(keyword, start + 1)
            continue  # it starts inside a word and runs past it (重了 across 粗重 + 了; not 见红 in 没见 + 红)
        inside = next(((a, b) for a, b in spans if a <= start and end <= b and (a, b) != (start, end)), None)
        # ... or names a medicine for it (避孕 in 避孕药, 感冒 in 感冒药)
        if inside is None or inside[1] == end or (inside[0] == start and inside[1] == end + 1
                                                    and (question[end] in _QUASI_SUFFIXES or question[end] in _PREDICATES + _LOCALIZERS + "药查测做验")):
            return True
        start = question.find(keyword, start + 1)
    return False


@lru_cache(maxsize=20000)
def _words_of(text: str) -> tuple[str, ...]:
    return tuple(w for w, _tag in _words(text))


def _is_about_frequency(fact: Fact) -> bool:
    return any(w in k for k in fact.keywords for w in _FREQUENCY_WORDS)


# Colloquial forms of question words, and the standard form a case lists: the same word to a speaker,
# so "疼在哪儿" asks what "哪里" asks. (多久 and 多长时间 are not merged: cases key different facts on them,
# e.g. how long an illness has lasted and how long a spell takes to pass.)
_QUESTION_WORD_FORMS = (("哪儿", "哪里"), ("啥时候", "什么时候"), ("啥子", "什么"), ("啥", "什么"), ("咋样", "怎么样"),
                        ("咋个", "怎么"), ("咋", "怎么"))


def _canonical_question_words(text: str) -> str:
    for variant, canonical in _QUESTION_WORD_FORMS:
        text = text.replace(variant, canonical)
    return text


# Everyday words patients and doctors say for what a case's author writes in standard terms: the standard
# words are added to the question (the question keeps its own), so 拉屎费劲吗 asks what 大便费劲吗 asks. Only
# words that mean one thing in a consultation are listed.
_EVERYDAY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("拉屎", ("大便", "排便")), ("屙屎", ("大便", "排便")), ("解大手", ("大便", "排便")),
    ("拉肚子", ("腹泻",)), ("闹肚子", ("腹泻",)), ("跑肚", ("腹泻",)),
    ("撒尿", ("小便",)), ("尿尿", ("小便",)), ("解小手", ("小便",)),
    ("屁股", ("肛门",)), ("屁眼", ("肛门",)),
    ("牙花子", ("牙龈",)), ("牙床", ("牙龈",)), ("牙肉", ("牙龈",)), ("虫牙", ("蛀牙", "龋齿")), ("窟窿", ("洞", "蛀")),
    ("几回", ("几次", "次数")), ("几趟", ("几次", "次数")), ("多少回", ("几次", "次数")), ("多少趟", ("几次", "次数")),
    ("掏鼻孔", ("挖鼻孔", "抠鼻子")), ("抠鼻孔", ("挖鼻孔", "抠鼻子")), ("挖鼻屎", ("挖鼻孔", "抠鼻子")),
    ("木木", ("麻木", "发麻")), ("发木", ("麻木", "发麻")),
    ("鼓包", ("起泡", "水泡", "肿")), ("水疱", ("水泡",)), ("水皰", ("水泡",)),
    ("摄护腺", ("前列腺",)), ("攝護腺", ("前列腺",)),
    ("刷手机", ("看手机", "手机")), ("刷视频", ("看手机", "手机")), ("玩手机", ("看手机", "手机")),
    ("高寿", ("年龄", "年纪", "岁数")), ("贵庚", ("年龄", "年纪", "岁数")),
    ("青一块紫一块", ("瘀斑", "淤青", "出血点")), ("乌青", ("瘀斑", "淤青")),
    ("身上烫", ("发烧", "发热", "体温")), ("额头烫", ("发烧", "发热", "体温")),
    ("发热", ("发烧",)), ("发烧", ("发热",)),
    ("费劲", ("费力", "困难")), ("使劲", ("费力",)),
    ("宠物", ("家养", "自己家")),
    # session 51's blind cases: what a parent, a pregnant woman, an anxious sleeper or an older man says
    ("抽过", ("抽搐", "惊厥")), ("抽风", ("抽搐", "惊厥")), ("惊厥", ("抽搐",)), ("抽搐", ("惊厥",)),
    ("叫不醒", ("精神", "嗜睡", "昏睡")), ("睡得特别多", ("精神", "嗜睡")), ("没精神", ("精神",)), ("打蔫", ("精神",)),
    ("长泡", ("疱疹", "水泡", "起泡", "溃疡")), ("起泡", ("疱疹", "水泡")), ("嘴巴", ("嘴里", "口腔")),
    ("班里", ("幼儿园", "学校", "同学", "别的小朋友")), ("班上", ("幼儿园", "学校", "同学", "别的小朋友")),
    ("其他孩子", ("别的小朋友", "同学")), ("别的孩子", ("别的小朋友", "同学")),
    ("吃进去", ("吃得下", "进食", "胃口")), ("吃东西", ("进食", "胃口", "吃得下")), ("吃不下", ("吃得下", "进食", "胃口")),
    ("称过", ("体重",)), ("称一下", ("体重",)), ("瘦了", ("体重",)), ("轻了", ("体重",)), ("掉秤", ("体重",)),
    ("琢磨", ("担心", "焦虑")), ("想太多", ("担心", "焦虑")), ("放不下心", ("担心",)), ("胡思乱想", ("担心", "焦虑")),
    ("扑通", ("心慌", "心悸", "心跳")), ("心跳快", ("心慌", "心悸")), ("心里发慌", ("心慌", "心悸")),
    ("不想活", ("自杀", "轻生", "情绪", "心情")), ("轻生", ("自杀",)), ("兴致", ("兴趣", "情绪", "心情")),
    ("心里难受", ("情绪", "心情")), ("心里头", ("心情", "情绪")),
    ("扭到", ("怎么伤", "扭伤", "怎么崴")), ("崴到", ("扭伤", "怎么崴")), ("怎么摔", ("怎么伤", "受伤经过")),
    ("咔", ("响声", "弹响", "声音")), ("响了一下", ("响声", "弹响")),
    ("尿里有血", ("血尿", "尿血")), ("尿血", ("血尿",)), ("血尿", ("尿血",)), ("尿红", ("血尿", "尿血")),
    ("窜", ("放射", "扩散", "蔓延")), ("传到", ("放射", "扩散")),
    ("憋醒", ("夜里", "睡觉", "夜间")), ("躺着", ("休息时", "静止", "平躺")),
    ("爹妈", ("父母", "家族", "家里人")), ("爸妈", ("父母", "家族", "家里人")), ("父母", ("家族", "家里人")),
    ("梆硬", ("结节", "囊肿", "硬块")), ("大包", ("结节", "囊肿", "硬块")), ("硬疙瘩", ("结节", "囊肿", "硬块")),
    ("抹过", ("涂", "用过", "外用", "擦")), ("擦过", ("涂", "用过", "外用")), ("涂过", ("用过", "外用", "抹")),
    ("知觉", ("麻木", "发麻")), ("没感觉", ("麻木", "发麻")),
    # session 52's blind cases: an older man, a child's parent, a nursing mother, a labourer, a young woman
    ("没劲", ("无力", "费劲")), ("滴滴答答", ("尿不尽", "尿不干净")), ("滴答", ("尿不尽", "尿不干净")),
    ("着凉", ("感冒",)), ("受凉", ("感冒",)), ("伤风", ("感冒",)), ("冻着", ("感冒",)),
    ("嘘嘘", ("小便", "尿")), ("尿了几", ("小便", "尿量")), ("身上热", ("发烧", "发热", "体温")),
    ("欢实", ("精神",)), ("闹腾", ("精神",)), ("蔫", ("精神",)), ("爱玩", ("精神",)),
    ("奶头", ("乳头",)), ("打哆嗦", ("寒战", "发冷")), ("打冷战", ("寒战", "发冷")), ("打摆子", ("寒战", "发冷")),
    ("头一个", ("第一", "几胎")), ("头胎", ("第一", "几胎")), ("二胎", ("几胎",)),
    ("冒金星", ("眼前", "闪光", "先兆")), ("一蹦一蹦", ("跳", "搏动")), ("一跳一跳", ("跳", "搏动")), ("突突", ("跳", "搏动")),
    ("大姨妈", ("月经",)), ("例假", ("月经",)), ("来事", ("月经",)),
    ("下馆子", ("饮食", "吃了什么")), ("油腻", ("饮食",)), ("腰子", ("肾",)), ("石头", ("结石",)),
    ("往下走", ("放射", "窜")), ("往下传", ("放射", "窜")), ("脚脖子", ("脚踝",)),
    ("裆", ("会阴", "鞍区")), ("活儿", ("工作", "职业")), ("干啥的", ("工作", "职业")),
    ("做什么工作", ("职业",)), ("鼓起来", ("风团", "疹子")), ("一块一块", ("风团",)), ("起疙瘩", ("疹子", "风团")),
    ("透不过气", ("憋气", "呼吸", "气短")), ("喘不上气", ("喘", "憋气", "呼吸")), ("上不来气", ("喘", "憋气", "呼吸")),
    ("还在吃", ("停", "停药")), ("妈妈的奶", ("母乳", "吃奶")), ("母奶", ("母乳",)), ("喂奶粉", ("奶粉",)),
    ("闹觉", ("睡觉", "睡")), ("泡澡", ("洗澡",)), ("水烫", ("水温",)),
    # session 52's second blind set: a smoker, a toddler's fit, a woman's periods, a fall, heartburn, an anxious
    # student, a red eye, a swollen pregnancy
    ("时段", ("什么时候",)), ("最凶", ("厉害", "加重")), ("烫起来", ("发烧", "发热")), ("家里人", ("家里", "家人")),
    ("他爸", ("父母",)), ("他妈", ("父母",)), ("乱动", ("抽搐", "抽")), ("翻白眼", ("抽搐", "抽")),
    ("寒毛", ("汗毛", "毛发")), ("长肉", ("胖", "体重")), ("发福", ("胖", "体重")), ("秤", ("体重",)),
    ("要小宝宝", ("备孕", "怀孕")), ("要孩子", ("备孕", "怀孕")), ("要宝宝", ("备孕", "怀孕")),
    ("脑袋", ("头",)), ("脑壳", ("头", "头痛")), ("磕着", ("撞", "碰")), ("磕到", ("撞", "碰")),
    ("朝外", ("外旋",)), ("往外撇", ("外旋",)), ("长短", ("变短",)), ("伺候", ("照顾",)), ("搭伴", ("一个人", "住")),
    ("高压", ("血压",)), ("低压", ("血压",)), ("火辣辣", ("烧灼", "烧心")), ("返酸", ("反酸",)), ("返上来", ("反酸",)),
    ("杯中物", ("喝酒", "饮酒")), ("迷糊过去", ("入睡", "睡着")), ("睡过去", ("入睡", "睡着")),
    ("活着没意思", ("不想活", "轻生")), ("伤害自己", ("轻生", "自杀")), ("想死", ("轻生", "自杀")),
    ("彩虹", ("光圈", "虹视")), ("想哕", ("恶心",)), ("干哕", ("恶心",)), ("心里翻腾", ("恶心",)), ("反胃", ("恶心",)),
    ("留个坑", ("水肿", "肿")), ("有坑", ("水肿", "肿")), ("踢你", ("胎动",)), ("踢得", ("胎动",)), ("头一回", ("头胎", "第一")),
    ("看东西", ("视力", "看不清")), ("看得清", ("视力", "看不清")), ("下咽", ("吞咽",)), ("咽下去", ("吞咽",)),
    ("卡住", ("噎", "吞咽")), ("睡着", ("入睡",)),
    # session 52's third blind set: a stone, croup, shingles, a man's erections, a breast lump, an ear, a coin, a bleed
    ("白开水", ("喝水", "饮水")), ("小肚子", ("下腹",)), ("牵扯", ("放射", "窜")), ("扯着", ("放射", "窜")),
    ("变沙", ("嘶哑", "哑")), ("沙哑", ("嘶哑",)), ("拉风箱", ("喉鸣", "呼吸声")), ("呼哧", ("喉鸣", "呼吸声")),
    ("泡泡", ("水疱", "水泡", "疹子")), ("降糖", ("血糖", "糖尿病")), ("睡醒", ("早上", "晨起")),
    ("立起来", ("勃起",)), ("挺起来", ("勃起",)), ("硬不起来", ("勃起", "硬度")), ("那方面", ("性欲",)),
    ("像石头", ("硬", "质地")), ("软乎乎", ("硬", "质地")), ("来回滑", ("活动", "推")), ("推得动", ("活动", "推")),
    ("屋子在转", ("天旋地转", "眩晕")), ("天旋地转", ("眩晕",)), ("站不稳", ("头晕", "晕")), ("灌了水", ("闷", "堵")),
    ("堵住", ("堵", "闷")), ("听不见", ("听不清", "听力")), ("大点声", ("听力", "听不清")), ("出气", ("呼吸",)),
    ("喘气", ("呼吸",)), ("哈喇子", ("口水", "流口水")), ("哼哼唧唧", ("难受", "不舒服")), ("眼前发黑", ("头晕",)),
    ("发软", ("乏力", "没劲")), ("心口窝", ("胃", "上腹")), ("心窝", ("胃", "上腹")), ("小便次数", ("尿频",)),
    ("尿的时候疼", ("尿痛",)),
    # session 53's blind cases: gout, a child's hand-foot-mouth, a mother's low mood, hay fever, an older woman's
    # cystitis, a sprain, a racing heart, a tired teenager
    ("这样过", ("第一次", "发作过", "得过", "病史")), ("有过这样", ("第一次", "发作过", "得过", "病史")),
    ("有过这种情况", ("第一次", "发作过", "得过", "病史")), ("有过类似", ("第一次", "发作过", "得过", "病史")), ("类似的情况", ("第一次", "发作过", "得过", "病史")),
    ("犯过", ("发作过", "第一次", "得过")), ("早些年", ("第一次", "发作过", "得过")), ("早先", ("第一次", "发作过", "得过")),
    ("扭过", ("崴过", "扭伤", "第一次")), ("怎么崴", ("经过", "受伤经过")), ("怎么扭", ("经过", "受伤经过")),
    ("喝两杯", ("喝酒",)), ("喝多了", ("喝酒",)), ("好菜", ("吃了什么", "饮食")), ("熬到很晚", ("熬夜",)),
    ("睡得晚", ("熬夜",)), ("颜色变", ("红", "青", "紫")), ("烫手", ("发烫",)), ("一个包", ("肿",)), ("起包", ("肿",)),
    ("手板心", ("手心",)), ("脚板心", ("脚心",)), ("红点", ("疹子", "皮疹")),
    ("掉眼泪", ("哭", "流泪")), ("抹眼泪", ("哭", "流泪")), ("怪自己", ("自责", "内疚")), ("自己的错", ("自责", "内疚")),
    ("饭量", ("胃口", "食欲")), ("眼珠子", ("眼睛",)), ("刺挠", ("痒",)), ("淌泪", ("流泪",)), ("淌眼泪", ("流泪",)),
    ("白开", ("喝水", "饮水")), ("针扎", ("疼", "痛")), ("火燎", ("烧", "辣")), ("下地", ("走路", "着地")),
    ("挪两步", ("走路",)), ("走两步", ("走路",)), ("匀乎", ("规律", "齐")), ("东一下西一下", ("乱", "规律")),
    ("怪东西", ("异食",)), ("荤", ("吃肉",)), ("猛一起身", ("站起来",)), ("蹲久了", ("站起来",)),
    ("怦怦", ("心跳", "心慌")), ("砰砰", ("心跳", "心慌")),
    # session 53's second set: appendicitis, a child's asthma, pre-eclampsia, a driver's back, a first fit, alcohol
    # withdrawal, a contact-lens eye, an older man's constipation
    ("怀孕前", ("孕前",)), ("怀孕以前", ("孕前",)), ("怀孕之前", ("孕前",)), ("肚眼", ("肚脐", "脐周")), ("肚脐眼", ("肚脐",)),
    ("咽得下", ("胃口", "吃东西", "吃饭")), ("吃下饭", ("吃饭", "胃口")), ("吃得下饭", ("吃饭", "胃口")),
    ("抬起来", ("松手", "反跳")), ("一口气", ("说话", "说句")), ("敏感", ("过敏",)), ("冒星星", ("眼花", "金星")),
    ("黑影", ("眼花", "模糊")), ("胀鼓鼓", ("肿", "浮肿")), ("营生", ("工作", "职业")), ("往脚", ("腿", "放射")),
    ("往腿", ("腿", "放射")), ("蹲坑", ("大便",)), ("小解", ("小便",)), ("裤裆", ("裤子", "尿")), ("尿裤子", ("尿", "失禁")),
    ("开夜车", ("熬夜",)), ("觉不够", ("睡", "熬夜")), ("缓过来", ("醒", "之后")), ("脑子清楚", ("清醒",)), ("什么样子", ("样子",)), ("直打摆子", ("抖", "哆嗦")),
    ("湿透", ("汗",)), ("见着亮", ("怕光", "光")), ("见光", ("怕光", "光")),
    ("眼仁", ("黑眼珠", "角膜")), ("白东西", ("白点", "白斑")), ("一粒一粒", ("颗粒", "干", "硬")), ("羊屎", ("颗粒", "干", "硬")),
    ("散步", ("走路", "活动")), ("菜吃得", ("吃菜", "蔬菜")), ("大劲", ("用力", "费劲")), ("使劲", ("用力",)),
    ("以前戒", ("戒过",)), ("肝功", ("肝", "化验")), ("怎么伤", ("怎么弄", "受伤经过", "经过")), ("哪些药", ("什么药", "吃什么药")),
    ("啥药", ("什么药", "吃什么药")),
    # session 53's third set: a child's diarrhoea, new diabetes, migraine, a clot after a flight, scabies, panic, a
    # dog bite, sudden deafness; Cantonese turns (see _CANTONESE)
    ("没啥劲头", ("精神",)), ("耷拉", ("精神", "蔫")), ("茅房", ("厕所",)), ("茅厕", ("厕所",)), ("瞅东西", ("看东西",)),
    ("发虚", ("模糊",)), ("胖了一圈", ("粗", "肿")), ("粗了一圈", ("粗", "肿")), ("家里没人", ("家里人",)),
    ("家里有没有人", ("家里人",)), ("家里有人", ("家里人",)), ("手指头之间", ("指缝",)),
    ("走一走", ("走动",)), ("起来走", ("起身", "走动")), ("被窝", ("睡觉",)), ("烦心", ("心情", "压力")),
    ("翻来覆去", ("失眠", "睡眠")), ("牙印", ("伤口",)), ("淌血", ("流血",)), ("知了", ("蝉", "耳鸣")),
    ("谁养", ("主人", "谁家")), ("见到灯", ("怕光",)), ("噪音", ("声音", "吵")), ("心是不是跳", ("心跳",)),
    ("能听见", ("听力", "听不见")), ("听得见", ("听力",)), ("听得到", ("听力",)), ("口干舌燥", ("口干",)),
    # session 54's blind cases: an older man who cannot pass water, a young woman's thyroid (Taiwan), a toddler who
    # swallowed a coin, a farmer soaked in pesticide (northeastern speech), a runner's Achilles tendon
    ("滋不远", ("尿线", "排尿困难")), ("尿不远", ("尿线", "排尿困难")), ("憋着劲", ("使劲", "费劲")), ("憋劲", ("使劲",)),
    ("控制不住", ("憋不住", "失禁")), ("尿星子", ("漏尿", "滴")), ("整两口", ("喝酒",)), ("喝两口", ("喝酒",)),
    ("吃很多", ("胃口", "饭量", "食欲")), ("吃得多", ("胃口", "饭量", "食欲")), ("想吃东西", ("胃口", "食欲")),
    ("暴躁", ("烦躁", "脾气")), ("抓狂", ("烦躁", "脾气")),
    ("发火", ("脾气", "烦躁")), ("喉咙前面", ("脖子", "颈部")), ("鼓鼓", ("肿",)), ("鼓起", ("肿",)),
    ("palpitation", ("心悸", "心慌")), ("Palpitation", ("心悸", "心慌")),
    ("钢镚", ("硬币",)), ("噎着", ("呛", "噎")), ("呛着", ("呛",)), ("精神头", ("精神",)), ("闹不闹", ("哭", "不舒服")),
    ("哭闹", ("哭", "不舒服")), ("脑瓜子迷糊", ("头晕", "晕")), ("脑袋迷糊", ("头晕", "晕")), ("头迷糊", ("头晕", "晕")),
    ("脑瓜子", ("头",)), ("出的事", ("经过",)), ("怎么出事", ("经过",)),
    ("蹬了一下", ("踢",)), ("踹了一下", ("踢",)), ("瘪下去", ("凹陷", "坑")), ("凹下去", ("凹陷", "坑")),
    ("断了一截", ("缺口",)), ("跑几", ("跑量",)), ("跑多少", ("跑量",)), ("走道", ("走路",)), ("一拐一拐", ("瘸", "跛")),
    ("出过毛病", ("老毛病", "受过伤", "得过")), ("吃过什么药", ("用药", "吃药")), ("吃了什么药", ("用药",)),
    ("用过什么药", ("用药",)),
    # session 54's second set: a teenager's concussion, a mother's low mood after birth, gout after a banquet
    # (Sichuanese), an old woman's heart failure told by her daughter, fever after a trip to Thailand
    ("晕不晕", ("头晕",)), ("发晕", ("头晕",)), ("晕乎", ("头晕",)), ("blackout", ("失去意识", "昏迷")),
    ("black out", ("失去意识", "昏迷")), ("passed out", ("失去意识", "昏迷")), ("孩子生了", ("生孩子",)),
    ("睡得着", ("睡不着", "睡眠")), ("睡不好", ("睡眠", "失眠")), ("帮你带", ("帮忙", "谁带")), ("抱宝宝", ("抱孩子",)),
    ("抱着宝宝", ("抱孩子",)), ("什么都没意思", ("兴趣", "开心")), ("anhedonia", ("兴趣",)),
    ("吃了些什么", ("吃了什么", "饮食")), ("吃了好多", ("吃了什么", "饮食")),
    ("下水", ("内脏",)), ("老汉儿", ("父亲",)), ("uric acid", ("尿酸",)), ("靠着床头", ("坐着睡", "枕头")),
    ("垫高", ("枕头",)), ("脚面", ("脚踝", "肿")), ("鞋都穿不进", ("肿", "水肿")), ("鞋穿不进", ("肿", "水肿")),
    ("排水的药", ("利尿",)), ("口重", ("咸", "口味")), ("CHF", ("心衰",)), ("heart failure", ("心衰",)),
    ("斑斑点点", ("红点", "疹子")), ("myalgia", ("肌肉", "酸痛")), ("arthralgia", ("关节",)), ("胃里翻腾", ("恶心",)),
    ("想呕", ("恶心", "呕吐")), ("被叮", ("咬", "蚊子")), ("叮过", ("咬",)), ("叮咬", ("咬",)),
    # session 55's blind cases: shingles in an older woman, a teenager's migraine told by her father, a trucker's
    # reflux (northeastern speech), a clot after a long flight, a pregnant hairdresser's numb hand
    ("水豆", ("水痘",)), ("出花", ("水痘",)), ("操劳", ("劳累", "累")), ("透支", ("劳累", "累")), ("累着", ("劳累", "累")),
    ("单侧", ("一侧", "哪边")), ("中线", ("哪边", "范围")), ("皮损", ("皮疹", "疹子")), ("没有劲", ("没劲", "乏力")),
    ("见不得亮", ("怕光", "光")), ("见不得光", ("怕光", "光")), ("怕亮", ("怕光", "光")), ("动静", ("声音", "吵")),
    ("天天", ("经常", "频率")), ("漾上来", ("反酸", "返", "往上")), ("涌上来", ("反酸", "返", "往上")),
    ("往上涌", ("反酸", "返", "往上")), ("往上漾", ("反酸", "返", "往上")), ("饭点", ("吃饭", "三餐", "规律")),
    ("公鸭嗓", ("声音哑", "嘶哑", "嗓子")), ("发沙", ("声音哑", "嘶哑")), ("嘶哑", ("声音哑",)),
    ("BMI", ("体重", "胖")), ("腰围", ("体重", "胖")), ("远门", ("出远门", "旅行")),
    ("优思明", ("避孕药", "避孕")), ("妈富隆", ("避孕药", "避孕")), ("达英", ("避孕药", "避孕")), ("毓婷", ("避孕药", "避孕")),
    ("暖和", ("热", "皮温")), ("发紫", ("颜色", "紫")), ("扯得慌", ("疼", "痛")), ("扯着疼", ("疼", "痛")),
    ("指头", ("手指",)), ("小拇指", ("小指", "手指")), ("大拇指", ("拇指", "手指")), ("大鱼际", ("拇指", "手指")),
    ("使不上劲", ("无力", "没劲")), ("捏不住", ("拿东西", "无力", "握")), ("拿不住", ("拿东西", "无力", "握")),
    ("握不住", ("握", "无力")), ("营养品", ("药", "吃什么")), ("保健品", ("药", "吃什么")), ("剪子", ("剪刀",)),
    ("干活", ("工作", "用手")),
    # session 55's second set: a grandson's croup told in Henan speech, the menopause, a worker's neck and arm, an
    # old man's atrial fibrillation found by his watch, a student's acne in internet slang
    ("倒气", ("吸气",)), ("嘶嘶", ("喘鸣", "怪声")), ("头一遭", ("头一回", "第一次")), ("能吃能喝", ("吃东西", "胃口", "喝水")),
    ("不吃不喝", ("吃东西", "胃口", "喝水")), ("夫妻生活", ("同房", "性生活")), ("房事", ("同房", "性生活")),
    ("不顺眼", ("烦躁", "脾气")), ("提不起劲", ("情绪", "低落")), ("一觉到天亮", ("睡眠", "睡觉", "醒")),
    ("一觉睡到", ("睡眠", "睡觉", "醒")), ("不活了", ("不想活", "轻生")), ("串到", ("窜", "放射")), ("过电", ("麻", "放射")),
    ("蚂蚁爬", ("麻",)), ("使上劲", ("力气", "无力")), ("使得上劲", ("力气", "无力")), ("拧瓶盖", ("握", "力气")),
    ("敲键盘", ("电脑", "工作")), ("上班", ("工作",)), ("变严重", ("加重",)), ("更严重", ("加重",)), ("扭脖子", ("转头",)),
    ("乱蹦", ("心跳", "心慌")), ("乱跳", ("心跳", "心慌")), ("眼前一黑", ("黑蒙", "发黑")), ("栽倒", ("晕倒",)),
    ("blood thinner", ("抗凝",)), ("aspirin", ("阿司匹林",)), ("Aspirin", ("阿司匹林",)), ("warfarin", ("华法林",)),
    ("不听使唤", ("无力",)), ("嘴瓢", ("说话",)), ("舌头发硬", ("说话",)), ("中过风", ("中风",)), ("印子", ("痘印", "色素")),
    ("黄水", ("脓",)), ("粉刺", ("白头", "黑头")), ("含糖饮料", ("甜食", "饮食", "甜的")), ("蛋糕", ("甜食",)),
    ("emo", ("情绪", "心情", "低落")), ("破防", ("情绪", "难过")), ("上妆", ("化妆",)), ("粉底", ("化妆品",)),
    ("遮瑕", ("化妆品",)),
    # session 55's third set: a kidney stone typed in bursts, an infant's diarrhoea told by his father, an older woman's
    # knees in Cantonese-flavoured speech, sleep apnoea with a wife chiming in, a soldier's heat stroke told by his
    # squad leader
    ("一直疼", ("持续",)), ("打寒颤", ("寒战", "发冷")), ("寒颤", ("寒战", "发冷")), ("忽冷忽热", ("发冷", "发烧")),
    ("干呕", ("恶心", "呕吐")), ("疼的感觉", ("怎么疼", "疼法")), ("痛的感觉", ("怎么疼", "疼法")),
    ("一泡汤", ("稀", "水样")), ("diaper", ("尿布", "尿不湿")), ("金豆豆", ("眼泪",)), ("口腔黏膜", ("嘴唇", "口干")),
    ("往外喷", ("吐", "吐奶")), ("往外冒", ("吐奶", "漾奶")), ("下床", ("起床",)), ("灵不灵活", ("僵", "发硬")),
    ("不灵活", ("僵", "发硬")), ("响声", ("响", "有声")), ("突然没动静", ("停止呼吸", "暂停")), ("大喘一口", ("憋气",)),
    ("snore", ("打鼾", "打呼")), ("一觉醒来", ("早上", "起床")), ("发沉", ("头昏",)), ("方向盘", ("开车",)),
    ("眯过去", ("打盹", "瞌睡")), ("灵光", ("清醒", "神志")), ("认出", ("认人",)), ("认得", ("认人",)),
    ("水淋淋", ("出汗", "湿")), ("干巴巴", ("干烫",)), ("跑茅房", ("拉肚子", "腹泻")),
    ("pass out", ("晕倒", "失去意识", "昏迷")),
    # session 57's blind cases: a toddler's first fit told by his grandfather (northeastern speech), an old man who cannot
    # pass water, itching late in a pregnancy, a worker's eye hit by metal, a young woman's migraine typed in bursts
    ("几场", ("几次", "次数")), ("他爹", ("父母", "爸爸")), ("他娘", ("父母", "妈妈")), ("溜达", ("走路",)),
    ("满地跑", ("走路",)), ("叫人", ("说话",)), ("压力高", ("高血压", "血压")), ("肋巴骨", ("肋骨",)),
    ("老大不", ("头胎", "第几胎")), ("是老大", ("头胎", "第几胎")), ("浓茶", ("尿色", "颜色")),
    ("橘子皮", ("黄", "发黄")), ("橘黄", ("黄", "发黄")), ("白眼珠", ("眼白",)), ("眼珠子白", ("眼白",)),
    ("合眼", ("睡觉", "睡眠")), ("合上眼", ("睡觉", "睡眠")), ("一宿", ("夜里", "睡觉")), ("睡得好", ("睡眠",)),
    ("大三阳", ("乙肝",)), ("小三阳", ("乙肝",)), ("早年间", ("既往", "得过")), ("带红", ("见红",)),
    ("瞅见", ("看见", "看得见")), ("瞅得见", ("看得见",)), ("沙子", ("异物感", "磨")), ("硌", ("磨", "异物感")),
    ("晃得慌", ("刺眼", "怕光")), ("晃眼", ("刺眼", "怕光")), ("日头", ("阳光", "光")),
    # session 57's second set: an old woman's hip fall told by her son on the phone, a boy's appendicitis in a few
    # words, a salesman's chest pain played down, a mother's mastitis typed with emoji, a retired miner's breath
    ("弄伤", ("受伤", "怎么伤")), ("下肢", ("腿",)), ("一样长", ("短", "长短")), ("往外翻", ("外旋",)),
    ("挪地方", ("转移",)), ("换地方", ("转移",)), ("哪块儿", ("哪里",)),
    ("上台阶", ("爬楼", "活动")), ("爬坡", ("爬楼", "活动")), ("闲着", ("不动", "静息")), ("半宿", ("夜里",)),
    ("半夜", ("夜里",)), ("满月", ("产后", "月子", "宝宝多大")), ("结节", ("硬块", "肿块")),
    ("配方奶", ("奶粉",)), ("冲配方", ("奶粉",)), ("捋", ("按摩", "揉")), ("哪年", ("几年", "什么时候")),
    ("闹开", ("开始",)), ("爬楼", ("上楼",)), ("平道", ("走路",)), ("平路", ("走路",)), ("往外咯", ("咳", "痰")),
    ("咯痰", ("咳", "痰")), ("胸片", ("片子", "检查")), ("定过性", ("诊断",)), ("定性", ("诊断",)),
)
# ... and what a word list cannot say: blood in the urine with words between (尿里没见过血吧), the slang MC
_EVERYDAY_PATTERNS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"尿[里中液][^，,。？?]{0,5}血"), ("血尿", "尿血")),
    (re.compile(r"(?:大便|便)[里中上][^，,。？?]{0,5}血"), ("便血",)),
    (re.compile(r"(?<![A-Za-z])MC(?![A-Za-z])"), ("月经",)),
    (re.compile(r"(?:冷气|空调)[^，,。？?]{0,3}开"), ("怕热",)),
    (re.compile(r"受过[^，,。？?]{0,4}伤"), ("受过伤", "外伤")), (re.compile(r"生了?(?:多久|多长时间|几[天周个]|多少天)"), ("生孩子", "产后")),
    (re.compile(r"谁[^，,。？?]{0,4}带"), ("谁带",)), (re.compile(r"喝了?[^，,。？?]{0,4}酒"), ("喝酒",)),
    (re.compile(r"坐着[^，,。？?]{0,3}睡"), ("坐着睡",)), (re.compile(r"药[^，,。？?]{0,8}没(?:吃|用)"), ("停药", "漏吃")),
    (re.compile(r"去了?(?:哪些|哪里|哪儿|什么)地方"), ("去哪",)), (re.compile(r"肚子[不没还有点]{0,2}[疼痛]"), ("肚子疼", "腹痛")),
    # 咳嗽带血, 痰里有血: blood coughed up; 什么时候最重: when it is worst, not since when
    (re.compile(r"咳[嗽出]?[^，,。？?]{0,3}血|痰[里中]?[^，,。？?]{0,3}血"), ("咳血",)),
    (re.compile(r"(?:什么时候|几点|哪个时候)(?:最|更|比较|特别)(?:重|厉害|明显|难受|严重)"), ("什么时候重", "加重")),
    # 脸上一阵发烫, 湿了一身, 一天热几回: a hot flush and a night sweat in everyday words
    (re.compile(r"(?:脸|面部|脸颊)[^，,。？?]{0,8}(?:发烫|发热|烧|红)"), ("潮热", "烘热", "燥热")),
    (re.compile(r"湿(?:了|透)[^，,。？?]{0,3}(?:一身|衣服|睡衣|被子|枕头)"), ("出汗", "汗")),
    (re.compile(r"热(?:几|多少)(?:回|次|阵)"), ("潮热",)),
    # 一会儿轻一会儿重, 体检查出过, 拉的是什么样, 解几回手, 嗓子眼儿发干, 灌了几口水
    (re.compile(r"一会儿[^，,。？?]{0,3}一会儿"), ("一阵", "阵发")), (re.compile(r"体检[^，,。？?]{0,4}(?:查|发现)"), ("体检", "查出过")),
    (re.compile(r"拉[的出来]{0,3}是?(?:什么样|啥样)"), ("大便", "性状")), (re.compile(r"解[^，,。？?]{0,3}手"), ("小便",)),
    (re.compile(r"嗓子[眼儿]*发?干"), ("口干",)), (re.compile(r"(?:灌|喝)了[^，,。？?]{0,3}水"), ("喝水",)),
    # session 56: 多就了 typed for 多久了; 伤过风, 着了凉 (a verb split by 过/了); 烟酒; 有劲没, 撑得住不
    # (解手 asks both, unless the urine is named: 他解手的时候尿是啥颜色)
    (re.compile(r"解手(?![^，,。？?]*(?:尿|小便))"), ("大小便", "大便", "小便")),
    (re.compile(r"多就(?=了|[？?]|$)"), ("多久",)), (re.compile(r"伤[过了]风|[着受][过了]凉"), ("感冒", "伤风", "着凉")),
    (re.compile(r"烟酒"), ("抽烟", "吸烟", "喝酒", "饮酒")), (re.compile(r"有劲|撑得住|扛得住"), ("没劲", "乏力", "无力")),
    # session 56's second set: 家里应该没人…吧, 磕一下就青一大块, 哪一边, 被球闷到, 沙粒样的亮点, 边儿清不清楚
    (re.compile(r"家里[^，,。？?]{0,4}(?:没人|有人|有谁|没谁)"), ("家里人",)),
    (re.compile(r"青一(?:大)?块|青了一(?:大)?块|一块青"), ("淤青", "瘀斑")), (re.compile(r"哪一[边侧]"), ("哪边", "一侧")),
    (re.compile(r"[闷砸]到|[闷砸]着"), ("撞", "砸", "外伤")), (re.compile(r"[沙砂]粒"), ("钙化",)), (re.compile(r"边儿"), ("边界",)),
    # session 56's third set: 以前有什么病, 走动以后, 几点钟, 比以前细了, 你爸那个病
    (re.compile(r"(?:以前|之前|过去|平时|原来)[^，,。？?]{0,3}(?:有|得过|生过|有过)[^，,。？?]{0,3}(?:什么|啥)?(?:病|毛病)"), ("病史", "基础病", "毛病")),
    (re.compile(r"走动|走几步|动一动"), ("活动", "走路")), (re.compile(r"几点钟"), ("几点",)),
    (re.compile(r"[变比][^，,。？?]{0,4}细|细细的|铅笔"), ("变细", "粗细")),
    # session 57: 痛起来 is when it began, but 疼起来的时候 is while it hurts; 眼珠子往上吊 (the eyes rolled up); 撒尿…不大
    # 痛快, 小便挺顺的 (how the water flows); 肚脐眼下面 (the lower belly); 整两盅 (a drink); 上大号; 后边儿肋巴骨底下
    # (the loin); 七八个月了 (how many months); 醒几回 (the sleep); 肝上出过啥毛病; 肚皮变硬, 下面湿了 (labour); 啥东西飞
    # 眼里了 (how it happened); 比划几根指头你数得清不 (the sight); 出事以后咋弄的 (first aid); 架副镜子 (glasses); 挨过…
    # 那一针 (an injection); 每隔多长日子 (how often); 防着怀孕 (contraception); 啥情况会犯 (the trigger)
    (re.compile(r"[疼痛]起来(?!的时候|时|那会|以后|之后|后|的话)"), ("开始痛", "开始疼")),
    (re.compile(r"眼[珠睛]?子?[^，,。？?]{0,3}往上(?:吊|翻|插)"), ("翻白眼", "抽搐")),
    (re.compile(r"(?:小便|尿|撒尿|尿尿)[^，,。？?]{0,8}(?:顺|通畅|痛快|利索)"), ("排尿", "费劲")),
    (re.compile(r"肚脐[眼儿]?(?:下面|下边|底下|以下)"), ("下腹", "小腹")), (re.compile(r"[一两几半]盅"), ("喝酒",)),
    (re.compile(r"[上解][个了过]?大号"), ("大便",)), (re.compile(r"[上解][个了过]?小号"), ("小便",)),
    (re.compile(r"(?:后边|后面|背后|后腰)儿?[^，,。？?]{0,5}(?:肋|骨)"), ("腰", "后背", "肾区")),
    (re.compile(r"[\d一二两三四五六七八九十]+个?多?月了"), ("几个月",)),
    (re.compile(r"醒[了过]?(?:几|多少)(?:回|次)"), ("睡眠", "睡觉")),
    (re.compile(r"肝[上里脏]?[^，,。？?]{0,4}(?:毛病|病)"), ("肝病",)),
    (re.compile(r"肚[皮子][^，,。？?]{0,6}(?:变硬|发硬|发紧)"), ("宫缩", "发紧")), (re.compile(r"下面[^，,。？?]{0,4}湿"), ("流水", "破水")),
    (re.compile(r"(?:飞|崩|溅|掉|进)[进到了]?[^，,。？?]{0,2}眼(?:睛)?里"), ("受伤", "经过", "怎么伤")),
    (re.compile(r"(?:指头|手指)[^，,。？?]{0,6}数|数[得出清]{1,2}[^，,。？?]{0,3}(?:指头|手指)"), ("视力",)),
    (re.compile(r"(?:以后|之后|后来|完)[^，,。？?]{0,8}(?:怎么|咋)(?:弄|处理|搞|整)"), ("处理", "弄过")),
    (re.compile(r"(?:架|戴|配)[^，,。？?]{0,2}镜子"), ("眼镜",)), (re.compile(r"挨[过了]?[^，,。？?]{0,10}针"), ("打针",)),
    (re.compile(r"每隔[^，,。？?]{0,4}(?:多长|多久|几)"), ("频率", "几次")),
    (re.compile(r"防[着止]?(?:怀孕|怀上)"), ("避孕",)),
    (re.compile(r"(?:什么情况下?|干(?:点)?什么|做(?:点)?什么)(?:会|容易|就)?(?:犯|发作|加重|疼|痛|出现|诱发)"), ("诱因", "什么情况下")),
    # 自个儿过 (lives alone), 饭吃得下不, 往嘴里塞了些啥, 开过刀, 您家老爷子 (the father), 歇一下能好, 鼓起来的地方,
    # 分量掉了 (the weight)
    (re.compile(r"自[个己]儿?(?:过|住)|一个人(?:过|住)"), ("一个人", "住")),
    (re.compile(r"饭[^，,。？?]{0,3}吃[得不]下"), ("胃口", "吃饭")), (re.compile(r"(?:塞|吃|喝)(?:了(?:些|点)?|些|点)什么(?!药)"), ("吃了什么", "饮食")),
    (re.compile(r"开[过了]刀"), ("开刀", "手术")), (re.compile(r"(?:你|您)家(?:的)?老爷子"), ("父亲", "爸", "家里")),
    (re.compile(r"歇[一会下儿]{1,3}"), ("休息", "缓解")), (re.compile(r"鼓起来?的地方|鼓起[一个]{0,2}[包块]"), ("肿块", "包")),
    (re.compile(r"分量[^，,。？?]{0,2}(?:掉|减|轻|少)"), ("体重", "瘦")),
)


# Cantonese written as it is spoken (after the traditional characters are made simplified): the Mandarin words
# the cases are keyed in. Longer forms first.
_CANTONESE = (("系咪", "是不是"), ("系唔系", "是不是"), ("有冇", "有没有"), ("透唔到", "透不过"), ("边个", "谁"),
              ("番枧", "肥皂"), ("番梘", "肥皂"), ("嗰阵", "那时候"), ("乜嘢", "什么"), ("点解", "为什么"),
              ("几时", "什么时候"), ("同屋", "室友"), ("个心", "心"), ("好劲", "很厉害"), ("冇", "没"), ("唔", "不"),
              ("嗰", "那"), ("嘅", "的"), ("佢", "他"), ("咗", "了"), ("喺", "在"), ("啲", "些"), ("痕", "痒"), ("睇", "看"))


# Only a turn written in Cantonese is rewritten: these characters and words are not Mandarin, while 痕 (疤痕,
# 痕迹), 同屋, 几时 or 个心 (做个心电图) are Mandarin too, and a Mandarin turn keeps them.
_CANTONESE_MARKERS = re.compile(r"[冇唔嗰嘅佢咗喺啲睇㗎嘢乜]|系咪|边个|点解")


def _mandarin(text: str) -> str:
    if not _CANTONESE_MARKERS.search(text):
        return text
    for cantonese, mandarin in _CANTONESE:
        text = text.replace(cantonese, mandarin)
    return text


def _with_standard_words(text: str) -> str:
    found = [w for colloquial, standard in _EVERYDAY_WORDS if colloquial in text for w in standard]
    found += [w for pattern, standard in _EVERYDAY_PATTERNS if pattern.search(text) for w in standard]
    return text + ("，" + "，".join(found) if found else "")


def fact_is_asked(fact: Fact, question: str) -> bool:
    return bool(_evidence(fact, question))


# A clause asked about other people (家里其他人也闹肚子吗, 同学有没有类似的): it asks nothing of the patient's own
# facts, only of a fact about others (family history, contacts), whose wording names them too.
_ABOUT_OTHERS = re.compile(r"(家里|家中|家人)的?大人|(家里|家人|家里人|其他人|别人|旁人|同学|同事|工友|(?<!小)朋友|同桌|室友|邻居|周围的?人|身边的?人|兄弟姐妹|(你|您)们)(的?大人们?)?(里|当中|中间)?((是不是|是否)?也|有没有|有谁|有人|中|最近有|没有|没人|怎么样|咋样)"
                           # 你妈妈当年…也, 你爱人以前犯过…, 她爸爸是不是也…, 你们队里还有谁…, 您家里人抽烟吗
                           r"|(你|您|他|她)(家里?)?的?(妈妈|妈|爸爸|爸|母亲|父亲|爱人|老伴|老公|老婆|丈夫|妻子|对象|爹妈|父母|家里人|家人"
                           r"|婆婆|公公|岳母|岳父|婆家|娘家|哥哥|姐姐|弟弟|妹妹|奶奶|爷爷|外婆|外公|姥姥|姥爷)"
                           r"|(你们|您们)(队里|班里|单位|公司|宿舍).{0,4}(谁|别人|其他人|有人)"
                           # 你那工友眼睛也崩着了吗: the one who was with the patient
                           r"|(你|您)(那|那个|那位)(工友|同事|同学|朋友|室友|邻居|师傅|同伴)"
                           # 你家大宝以前也这样咳过吗: a child's brother or sister
                           r"|(你|您)家(里)?的?(大宝|二宝|老大|老二|哥哥|姐姐|弟弟|妹妹)"
                           # 孩子爸爸多高多重: the child's parent, not the child
                           r"|(孩子|娃|宝宝|小孩)[他她]?的?(爸爸|爸|妈妈|妈|爹|娘|父亲|母亲|爷爷|奶奶|外公|外婆|姥姥|姥爷)"
                           # 你屋头的狗几岁了, 你家那猫是啥品种: the pet's age or breed, not the patient's
                           r"|(狗|猫|狗狗|猫咪|宠物|兔子|鹦鹉)[^，,。？?]{0,6}(几岁|多大|啥品种|什么品种)")
_SECOND_PERSON = re.compile(r"你|您")
# (你妈妈怀孕的时候有没有痒过 现在宝宝动得多不多: typed without punctuation, a space ends the clause about her)
_OTHERS_CLAUSE_SPLIT = re.compile(_CLAUSE_SPLIT.pattern + r"|(?<=[\u4e00-\u9fff])(?=[ 　]+[\u4e00-\u9fff])")
_SEEN_OF_PATIENT = re.compile(r"[^，,。？?]{0,6}?(看到|看见|发现|说|觉得|注意到)(你|您)")
_OTHERS_IN_FACT = re.compile(r"家|亲|父|母|兄|弟|姐|妹|别人|其他人|同学|同事|朋友|周围|身边|遗传")


# 布洛芬药店能买到吗？多少钱一盒？ / 社区医院周末开门吗？: where to buy, what it costs, when a place opens ask
# nothing of the patient's facts (unless the fact is about that: 药太贵没买)
_ABOUT_SERVICE = re.compile(r"药店|药房|买得到|能买|好买|买到|在哪买|哪里买|哪儿买|哪家医院|哪个医院|多少钱|价格|贵不贵|多贵|报销|开门|营业|挂号|上班时间"
                            r"|医保|能报|报多少|自费"
                            r"|在哪里?能?打|在哪儿能?打|约个?号|帮(你|您)约|离[^，,。？?]{0,10}(多远|远不远)|有多远")
_SERVICE_IN_FACT = re.compile(r"钱|贵|买|药店|药房|报销|医保|挂号")


def _about_the_patient(fact: Fact, question: str) -> str:
    """``question`` less its clauses about other people (and a short follow-up about them: 你同事也查出过吗？多大的？)
    and about buying or opening hours, unless ``fact`` is about that itself."""
    if not question:
        return question
    text = fact.fact + "".join(fact.keywords)
    others = _ABOUT_OTHERS.search(question) and not _OTHERS_IN_FACT.search(text)
    service = _ABOUT_SERVICE.search(question) and not _SERVICE_IN_FACT.search(text)
    if not (others or service):
        return question
    kept, after_others = [], False
    for c in _OTHERS_CLAUSE_SPLIT.split(question):
        m = _ABOUT_OTHERS.search(c) if others else None
        # 你老婆看到你抽的时候是什么样子: what the relative saw of the patient (你 again after them) is the patient's
        about_others = m is not None and not _SEEN_OF_PATIENT.match(c, m.end())
        # (…同学怎么样了，他也头疼吗？: the one just named, as 他/她)
        follow_up = after_others and (len(_PUNCT.sub("", c)) <= 4 and not _SECOND_PERSON.search(c)
                                      or re.match(r"\s*[他她]们?也", c) is not None)
        if not (about_others or follow_up or service and _ABOUT_SERVICE.search(c)):
            kept.append(c)
        after_others = about_others or follow_up
    return "".join(kept)


_COUNTING_TOKENS = frozenset("几个 几种 几位 几样".split())
_DRUG_ALLERGY = re.compile(r"对?(什么|啥|哪些|哪种|哪个)?(药物|药)过敏|过敏的?(药物|药)")


def _evidence(fact: Fact, question: str) -> frozenset[str]:
    """What in ``question`` asks about ``fact``: its keywords found there, and ``tok:`` + each content word the
    question shares with them (empty: the fact is not asked)."""
    question = _about_the_patient(fact, question)
    if not question:
        return frozenset()
    if not _is_about_frequency(fact):
        question = _HOW_OFTEN.sub("", question)  # "多久体检一次" is not "since when"
    if _is_about_time(fact):
        question = _TAKES.sub("", question)  # "多久才能睡着" is not "since when" either
        question = _DAYS_FRAME.sub("，", question)  # 这几天有没有吃感冒药: these days, not how many
        # 被子多久没洗了: how long since the washing, not the onset (but 多久没尿了 asks the onset of "尿不出")
        question = _SINCE_NOT.sub(lambda m: m.group(0) if m.group(2) in fact.fact + fact.patient else "", question)
        question = _PER_DAY.sub(r"\1", question)
    if not _EPISODES_IN_FACT.search(fact.fact + fact.patient + "".join(fact.keywords)):
        question = _EACH_TIME.sub(r"\1", question)
        if _is_about_time(fact):
            question = _ONE_TIME.sub(r"\1", question)  # (每次要坐多久才好点 asks no swelling's 多久 either)
    if not _TIME_RELATION_IN_FACT.search(fact.fact + fact.patient):
        question = _before_events_blanked(question)
    keywords = [k for k in fact.keywords if k not in GENERIC_KEYWORDS]
    gloss = fact.fact + fact.patient + "".join(fact.keywords)
    if "过敏" in question and "过敏" not in gloss:
        question = _DRUG_ALLERGY.sub("过敏", question)  # 对什么药过敏吗 asks allergies, not the medicines taken
    canonical = _with_standard_words(_canonical_question_words(question))
    found = {k for k in keywords
             if (_morpheme_occurs(k, canonical, gloss) if len(k) == 1
                 else _word_occurs(_canonical_question_words(k), canonical))}
    if _WORST_WHEN.search(question):
        found -= _WHEN_WORDS  # 什么时候最重 asks when it is worst (什么时候重, 加重), not since when
    keyword_tokens = frozenset().union(*(content_tokens(k) for k in keywords))
    # 怀孕前血压高不高: a shared word that only names the time of what is asked (怀孕 + 前) asks nothing of its own
    # (几个 of 几个月 is no topic: 生过几个孩子 and 我问您几个问题 ask nothing of when the illness began; a keyword 几个
    # itself still asks, found above)
    shared = {t for t in content_tokens(question) & keyword_tokens
              if _morpheme_outside_time_clause(t, question) and t not in _COUNTING_TOKENS}
    return frozenset(found | {"tok:" + t for t in shared})


def _without_longer_keywords(fact: Fact, others: Iterable[Fact], question: str) -> str:
    """``question`` with the other facts' keywords that contain one of ``fact``'s blanked out: the longest
    match wins, as in segmentation by maximum matching, so "其他部位" asks the fact keyed on it and not
    also the one keyed on "部位" (a bare 部位 elsewhere in the question still asks that one)."""
    own = [k for k in fact.keywords if k not in GENERIC_KEYWORDS]
    # (not a longer keyword this fact shares: 烟酒 keys both the smoking and the drinking)
    longer = {k for o in others for k in o.keywords
              if k not in GENERIC_KEYWORDS and k not in own and any(m in k and m != k for m in own)}
    for k in sorted(longer, key=len, reverse=True):
        question = question.replace(k, "，")
    return question


# Words that ask how many, how often, how long or when: a fact keyed on one of them beside words of its own topic
# (大便 几次, 稀, 颜色) is not asked by the measure alone where the question names another fact's topic
# (孩子尿了几回 asks the urine's count, not the stool's).
_MEASURE_KEYWORDS = frozenset("几次 次数 几回 多久 多长时间 多长 几天 几年 什么时候 多少 频率 一次 多大".split())
# ... and what a fact about when or how long is keyed on besides (a fact keyed on these alone has no other topic)
_TIME_KEYWORDS = _MEASURE_KEYWORDS | frozenset("开始 时间 持续 病程 最近 几个月 几周 哪天 当时 起病 上次 末次 最后一次 啥时候 啥时".split())
_TIME_WORD = re.compile(r"几个?(?:分钟|小时|秒|天|周|月|年)|多(?:久|长时间|长)|什么时候.*|.*(?:开始|以来)")


def _is_time_word(keyword: str) -> bool:
    return keyword in _TIME_KEYWORDS or bool(_TIME_WORD.fullmatch(keyword))


def _only_then(evidence: frozenset[str]) -> bool:
    return all(e.removeprefix("tok:") in _THEN_WORDS for e in evidence)


def _is_about_time(fact: Fact) -> bool:
    """A fact keyed on words of when and how long alone (起病时间: 多久, 几分钟, 什么时候开始)."""
    keywords = [k for k in fact.keywords if k not in GENERIC_KEYWORDS]
    # (抽了大约两三分钟，自己停下来, keyed 多久 多长时间 几分钟 持续 停: one word of how it ended beside four of how long)
    others = [k for k in keywords if not _is_time_word(k)]
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
# 每次喂多久: how long each time, which a fact about each episode is asked by (每回疼多长时间), not one about since when
_EACH_TIME = re.compile(r"(?<=每次|每回)([^，,。？?！!]{0,12}?)(多久|多长时间|几个?小时)")
_EPISODES_IN_FACT = re.compile(r"每次|每回|一次|发作|持续|一阵")
# 怀孕以前有过手麻吗, 起泡前头…: the event names the time before which something is asked, not the event itself
# (unless the fact is about what happens before or after something: 经期前后也易发作)
_BEFORE_EVENT = frozenset("以前 之前 前头 前后 前".split())
_TIME_RELATION_IN_FACT = re.compile(r"前后|之前|以前|之后|以后|期间")


def _before_events_blanked(question: str) -> str:
    if not any(m in question for m in _BEFORE_EVENT):
        return question
    out, pos = [], 0
    words = _words(question)
    for n, (t, tag) in enumerate(words):
        at = question.find(t, pos)
        if at < 0:
            continue
        nxt = words[n + 1][0] if n + 1 < len(words) else ""
        # an event (a verb: 怀孕, 起泡), not a topic (您的摄护腺以前检查过没有: the prostate, checked in the past)
        event = tag is None or tag.startswith("v")
        if (nxt in _BEFORE_EVENT and len(t) >= 2 and event and question.startswith(nxt, at + len(t))
                and not _is_time_word(t)):
            out.append(question[pos:at] + "，")
            pos = at + len(t)
    return "".join(out) + question[pos:]


_WHEN_WORDS = frozenset("什么时候 几点 哪个时候".split())
_WORST_WHEN = re.compile(r"(什么时候|几点|哪个时候)(?=(最|更|比较|特别)(重|厉害|明显|难受|严重))")
_TAKES = re.compile(r"(多久|多长时间|几分钟|几个?小时)(?=[^，。？！?!,]{0,6}?(才|就|能|可以))")
_CLAUSE_OF_QUESTION = re.compile(r"[^，,。！？!?；;、\s]+")


def _only_measured(fact: Fact, evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether ``fact`` is asked by measure words alone, each in a clause that names another asked fact's topic,
    ``fact`` having a topic word of its own (一天拉几次 asks the stool; 孩子尿了几回 the urine, not the stool)."""
    if not all(e.removeprefix("tok:") in _MEASURE_KEYWORDS for e in evidence) or _is_about_time(fact):
        return False
    topics = {e.removeprefix("tok:") for ev in others for e in ev if e.removeprefix("tok:") not in _TIME_KEYWORDS}
    # each clause with the standard words its everyday ones stand for (嘘嘘了几回: 小便, 几次)
    clauses = [_with_standard_words(c) for c in _CLAUSE_OF_QUESTION.findall(question)]
    measured = [c for c in clauses if any(e.removeprefix("tok:") in c for e in evidence)]
    return bool(measured) and all(any(t in c for t in topics) for c in measured)


def _modifies_another(fact: Fact, evidence: frozenset[str], question: str, others: Iterable[frozenset[str]]) -> bool:
    """Whether ``fact`` is asked only by one-character keywords that, wherever the question says them, are joined
    to another asked fact's keyword: the modifier of its head (药物过敏: allergy, not medicine) or the head of a
    word it modifies (避孕药: the contraceptive, not the painkillers)."""
    words = [e for e in evidence if not e.startswith("tok:")]
    if not words or len(words) < len(evidence) or any(len(k) != 1 for k in words):
        return False
    heads = {k for ev in others for k in ev if not k.startswith("tok:") and len(k) >= 2}
    if not heads:
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
            compound = w.endswith(k) and (any(w[: -len(k)].endswith(h) for h in heads)
                                          or len(w) > len(k) and any(h in _with_standard_words(w[: -len(k)]) for h in heads))
            modifier = w.replace(k, "", 1) in ("", *_QUASI_SUFFIXES) and nxt in heads
            if not (compound or modifier):
                return False
    return True


_PLACE_WORDS = frozenset("哪里 哪儿 部位 位置 哪边 哪个部位 什么地方 什么部位".split())


def _asks_a_place(evidence: frozenset[str]) -> bool:
    return bool(evidence) and all(e.removeprefix("tok:") in _PLACE_WORDS for e in evidence)


def _topic_of_a_time_question(fact: Fact, evidence: dict[str, frozenset[str]], asked: list[Fact], question: str) -> bool:
    """Whether ``fact`` is only the topic of a clause that asks when, how long or where, another asked fact being
    that time or place (疹子什么时候出来的 asks the onset, not what the rash looks like; 抽了多长时间 how long, not
    the fit; 疹子长在哪个部位 where, not what it looks like)."""
    if _is_about_time(fact) or _asks_a_place(evidence[fact.id]):
        return False
    times = [evidence[g.id] for g in asked
             if g is not fact and (_is_about_time(g) or _asks_a_place(evidence[g.id]))]
    if not times:
        return False
    clauses = [_with_standard_words(c) for c in _CLAUSE_OF_QUESTION.findall(question)]
    own = [e.removeprefix("tok:") for e in evidence[fact.id]]

    def without_own(c: str) -> str:  # 其他部位 asks its own fact: the 部位 inside it asks no place
        for e in sorted(own, key=len, reverse=True):
            c = c.replace(e, "，")
        return c

    timed = [c for c in clauses if any(e.removeprefix("tok:") in without_own(c) for ev in times for e in ev)]
    return all(any(e in c for c in timed) for e in own) and not any(
        e in c and (len(e) > 1 or _morpheme_outside_time_clause(e, c)) for e in own for c in clauses if c not in timed)


def _part_of_another_clause(evidence: frozenset[str], question: str, others: list[frozenset[str]]) -> bool:
    """Whether a fact is asked only by words that are part of its keywords (肚子 of 肚子上面), each in a clause that
    says another asked fact's whole keyword (肚子没有一阵阵发紧吧: the tightening, not the pain under the ribs)."""
    # (药有没有按时吃: 药, a one-character keyword, beside another's whole 按时吃 is that fact's topic too)
    if not evidence or not all(e.startswith("tok:") or len(e) == 1 for e in evidence):
        return False
    tokens_only = all(e.startswith("tok:") for e in evidence)
    # (a one-character keyword yields only to a topic word: 撒了几次尿 asks the urine, not the stool keyed 几次)
    whole = {k for ev in others for k in ev if not k.startswith("tok:")
             and (tokens_only or len(k) >= 2 and not _is_time_word(k))}
    if not whole:
        return False
    clauses = [_with_standard_words(c) for c in _CLAUSE_OF_QUESTION.findall(question)]
    said = [c for c in clauses if any(e.removeprefix("tok:") in c for e in evidence)]
    return bool(said) and all(any(k in c for k in whole) for c in said)


# A relative who asks for the patient (我替我爸问一下, 我妈最近…): the doctor's 你爸 is the patient, and 你自己 the
# relative, whose own age or work the case does not hold.
_RELATIONS = (("爸爸", "老爸", "爸", "父亲", "老爷子"), ("妈妈", "老妈", "妈", "母亲", "老太太"),
              ("老公", "丈夫", "先生"), ("老婆", "妻子", "媳妇"), ("爱人", "老伴"), ("爷爷",), ("奶奶",), ("外公", "姥爷"),
              ("外婆", "姥姥"))
# (not 我老公说就是皮肤干: what the relative says of the patient, who writes herself)
_PROXY_OPENING = re.compile("(?:替|帮|给)?我(?:家)?的?(" + "|".join(sorted({w for g in _RELATIONS for w in g}, key=len,
                                                                       reverse=True)) + ")(?!说|觉得|认为|让|叫|劝|陪|非|总说|吓|拉我|带我|逼)")
_SELF_OF_PROXY = re.compile(r"[^，,。？?！!；;]*(?:你|您)自己[^，,。？?！!；;]*[，,。？?！!；;]?")


def _as_the_patient(case: Case, question: str) -> str:
    m = _PROXY_OPENING.search(case.opening or "")
    if not question:
        return question
    if not m:  # 你爸那个病: the patient's own father, as a case's keywords name him (爸爸)
        return re.sub(r"(你|您)的?(爸|妈)(?![爸妈])", r"\1\2\2", question)
    group = next(g for g in _RELATIONS if m.group(1) in g)
    question = _SELF_OF_PROXY.sub("", question)
    return re.sub("(?:你|您)(?:家)?的?(?:" + "|".join(sorted(group, key=len, reverse=True)) + ")", "他", question)


def asked_facts(case: Case, doctor_text: str) -> tuple[str, ...]:
    """Ids of the case's facts that the doctor's turn asks about, in case order. A turn in traditional characters
    (燙傷的地方起水泡了嗎) asks what the same turn in simplified ones asks: cases are written in simplified.
"""
    q = _as_the_patient(case, question_part(_mandarin(to_simplified(doctor_text or ""))))
    evidence = {f.id: _evidence(f, _without_longer_keywords(f, (o for o in case.facts if o is not f), q))
                for f in case.facts}
    # A fact asked only by what also asks another fact, which the question asks by more (多大 in 您多大年纪了
    # asks the age, keyed 多大 and 年纪, not the burn's area, keyed 多大 too): the question is about the other.
    asked = [f for f in case.facts if evidence[f.id] and not any(evidence[f.id] < other for other in evidence.values())]
    if any(not _only_then(evidence[f.id]) for f in asked):
        asked = [f for f in asked if not (_is_about_time(f) and _only_then(evidence[f.id]))]
    canonical = _canonical_question_words(q)
    asked = [f for f in asked if not _topic_of_a_time_question(f, evidence, asked, canonical)]
    asked = [f for f in asked if not _part_of_another_clause(evidence[f.id], canonical,
                                                              [evidence[g.id] for g in asked if g is not f])]
    return tuple(f.id for f in asked
                 if not _only_measured(f, evidence[f.id], canonical, [evidence[g.id] for g in asked if g is not f])
                 and not _modifies_another(f, evidence[f.id], canonical,
                                           (evidence[g.id] for g in asked if g is not f)))


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
