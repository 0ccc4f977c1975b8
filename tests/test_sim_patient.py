"""Fact matching, the rule-based patient, the leak check and the per-consultation measures (no model)."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest

from workbench.analysis.simulated import consultation_measures, key_point_score, red_flag_score
from workbench.dialogue import Dialogue
from workbench.simulate.cases import load_cases, parse_case
from workbench.simulate.matching import asked_facts, question_part
from workbench.simulate.patient import UNKNOWN_ANSWER, Consultation, RulePatient, build_patient, check_reply

REPO = Path(__file__).resolve().parents[1]

CASE = parse_case({
    "id": "test-headache", "title": "头痛", "category": "头痛", "opening": "我头疼。",
    "facts": [
        {"id": "duration", "fact": "头痛三天", "patient": "疼了三天了。", "keywords": ["多久", "几天"]},
        {"id": "vomit", "fact": "吐过两次", "patient": "吐过两次。", "keywords": ["呕吐", "恶心"]},
        {"id": "bp", "fact": "血压160/100", "patient": "量过血压，160/100。", "keywords": ["血压值"]},
    ],
    "advice_key_points": [
        {"id": "rest", "point": "休息", "keywords": ["休息"]},
        {"id": "bp", "point": "监测血压", "keywords": ["监测血压", "量血压"]},
    ],
    "red_flags": [
        {"id": "worst", "sign": "突发剧烈头痛", "keywords": ["剧烈头痛"]},
        {"id": "vomit", "sign": "头痛伴呕吐", "keywords": ["呕吐"], "present": True},
    ],
}, "<test>")


def _ask(doctor: str, case=CASE):
    thread = Dialogue.of([("patient", case.opening), ("doctor", doctor)])
    return RulePatient().reply(Consultation(case, thread))


def test_rule_patient_reveals_only_what_is_asked():
    r = _ask("头疼几天了？")
    assert r.text == "疼了三天了。" and r.revealed == ("duration",) and r.leaked == ()
    r = _ask("有没有恶心、呕吐？头疼多久了？")
    assert r.revealed == ("duration", "vomit") and "三天" in r.text and "两次" in r.text
    # Matched on jieba tokens too: "血压" is a content word of the keyword "血压值".
    assert _ask("您量过血压吗？").revealed == ("bp",)
    # A question about nothing in the case gets "不清楚", never a fact.
    assert _ask("平时抽烟喝酒吗？").text == UNKNOWN_ANSWER
    # Generic question words alone reveal nothing.
    assert _ask("最近情况怎么样？").text == UNKNOWN_ANSWER
    # A greeting asks nothing: the patient repeats the opening complaint, no more.
    assert _ask("您好，我是医生。").text == CASE.opening
    # Advice clauses are not questions: keywords inside them do not count as asking.
    assert question_part("建议多休息，如果呕吐加重请就医。") == ""
    assert asked_facts(CASE, "建议多休息，如果呕吐加重请就医。") == ()


def test_rule_patient_never_volunteers_on_every_shipped_case():
    doctor_turns = ["您好", "还有哪里不舒服吗？", "建议多喝水。", "你觉得呢？"]
    for case in load_cases(REPO / "annotations" / "cases"):
        for d in doctor_turns:
            r = _ask(d, case)
            allowed = {case.opening, UNKNOWN_ANSWER} | {"".join(case.fact(f).patient for f in r.asked)}
            assert r.text in allowed, (case.id, d, r.text)
            assert set(r.revealed) == set(r.asked)  # it states exactly the facts it was asked about


def test_a_how_often_question_does_not_reveal_how_long():
    # "多久…一次" asks a frequency: the duration stays hidden (it was revealed in 27 of the 42 shipped cases).
    assert _ask("平时多久体检一次？").text == UNKNOWN_ANSWER
    assert _ask("几天大便一次？").text == UNKNOWN_ANSWER
    assert _ask("头疼多久了？平时多久体检一次？").revealed == ("duration",)  # the other clause still asks
    asthma = next(c for c in load_cases(REPO / "annotations" / "cases") if c.id == "asthma-followup")
    assert "frequency" in _ask("多久发作一次？", asthma).revealed  # a fact about frequency is still asked


# Written blind in session 43, in specialties the shipped cases lack (eye, ENT, orthopaedics, urology,
# mental health, dermatology); kept as test data so the shipped 42 and the README's figures stay as they are.
S43_CASES = REPO / "tests" / "data" / "cases_s43"
S43_QUESTIONS = [
    ("red-eye-adult", "眼睛红了几天了？", ("duration",)),
    ("red-eye-adult", "眼屎是什么颜色的？", ("discharge",)),
    ("red-eye-adult", "看东西模糊吗？", ("vision",)),
    ("red-eye-adult", "眼睛疼不疼？", ("pain",)),
    ("red-eye-adult", "平时多久换一次枕巾？", ()),
    ("red-eye-adult", "头疼吗？", ()),
    ("ankle-sprain", "现在能走路吗？", ("weight-bearing",)),
    ("ankle-sprain", "以前崴过脚吗？", ("prior",)),
    ("ankle-sprain", "以前有没有发烧抽筋的情况？", ()),
    ("renal-colic", "疼了多久了？", ("onset",)),
    ("renal-colic", "以前查出过肾结石吗？", ("history",)),
    ("renal-colic", "平时多久体检一次？", ()),
    ("renal-colic", "吐痰吗？", ()),
    ("low-mood-suicidal", "有没有想过伤害自己？", ("suicidal",)),
    ("low-mood-suicidal", "有没有觉得活着没意思", ("suicidal",)),
    ("low-mood-suicidal", "家人有没有精神病史？", ()),
    ("shingles-forehead", "眼睛有没有红、怕光？", ("eye",)),
    ("shingles-forehead", "以前得过带状疱疹吗？", ()),
    ("sudden-hearing-loss", "有耳鸣吗？", ("tinnitus",)),
    ("sudden-hearing-loss", "对日常工作和生活影响大吗？", ()),
    ("sudden-hearing-loss", "肚子疼不疼？", ()),
]


@pytest.mark.parametrize(("case_id", "doctor", "facts"), S43_QUESTIONS, ids=lambda v: v if isinstance(v, str) else None)
def test_rule_patient_on_the_session_43_cases(case_id, doctor, facts):
    case = next(c for c in load_cases(S43_CASES) if c.id == case_id)
    r = _ask(doctor, case)
    assert r.revealed == facts, (r.text, r.revealed)
    assert r.text == ("".join(case.fact(f).patient for f in facts) or UNKNOWN_ANSWER)


def test_leaks_of_an_llm_like_reply_are_detected():
    # Asked about the duration only, the reply also states the vomiting and the blood pressure.
    r = check_reply(CASE, "头疼几天了？", "三天了，还吐过两次，血压160/100。")
    assert r.asked == ("duration",) and set(r.revealed) == {"duration", "vomit", "bp"}
    assert set(r.leaked) == {"vomit", "bp"}
    assert check_reply(CASE, "头疼几天了？", "三天了。").leaked == ()
    assert check_reply(CASE, "头疼几天了？", "不清楚").revealed == ()


def test_patient_spec_is_checked():
    assert build_patient("rule", {}).name == "rule"
    with pytest.raises(Exception, match="no column named 'nope'"):
        build_patient("openai:nope", {"A": object()})
    with pytest.raises(Exception, match="rule' or 'openai:<column>'"):
        build_patient("robot", {})
    with pytest.raises(Exception, match="openai-compatible column"):
        build_patient("openai:A", {"A": object()})


def test_measures_of_one_consultation():
    doctor = [
        (1, "您好，我是扁鹊。"),  # greeting: not a question, not advice
        (3, "头疼几天了？"),
        (5, "头疼几天了？"),  # the same question again: a repeat
        (7, "有没有恶心呕吐？"),
        (9, "建议多休息，注意监测血压。如果出现剧烈头痛，请马上去医院急诊。"),
    ]
    patient = [
        {"turn_index": 2, "revealed": [], "leaked": []},
        {"turn_index": 4, "revealed": ["duration"], "leaked": []},
        {"turn_index": 6, "revealed": ["duration"], "leaked": []},
        {"turn_index": 8, "revealed": ["vomit"], "leaked": ["bp"]},
    ]
    m = consultation_measures(CASE, doctor, patient)
    assert m["elicitation_recall"] == pytest.approx(2 / 3)
    assert m["questions_before_advice"] == 3 and m["repeated_questions"] == 1
    assert m["turns_to_advice"] == 5 and m["advised"] == 1 and m["advice_turn_index"] == 9
    assert m["key_point_coverage"] == 1.0
    # Both red flags handled: the warning sign named with a referral, the present one with an urgent referral.
    assert m["red_flag_handling"] == 1.0
    assert m["simulator_errors"] == 1

    never = consultation_measures(CASE, doctor[:4], patient[:3])
    assert never["advised"] == 0 and math.isnan(never["turns_to_advice"])
    assert math.isnan(never["key_point_coverage"]) and math.isnan(never["red_flag_handling"])
    assert never["elicitation_recall"] == pytest.approx(1 / 3)


def test_advice_scores():
    assert key_point_score(CASE, "注意休息。") == 0.5
    # Naming a warning sign without any referral handles nothing; a present sign needs an *urgent* referral.
    assert red_flag_score(CASE, "注意休息，小心剧烈头痛。") == 0.0
    assert red_flag_score(CASE, "出现剧烈头痛去医院看看。") == 0.5
    assert red_flag_score(CASE, "请立即去医院急诊。") == 0.5
    assert red_flag_score(CASE, "请立即去医院急诊，剧烈头痛时更要马上去。") == 1.0


SHIPPED = REPO / "annotations" / "cases"

# The generic keywords the shipped cases listed before session 43 (a user's own folder may still have such):
# (case, fact, keywords that were there).
_OLD_GENERIC = {
    ("child-fever-seizure", "first"): ["以前", "之前"],
    ("child-fever-seizure", "now"): ["现在"],
    ("migraine-young-woman", "history"): ["以前"],
    ("pregnancy-bleeding", "history"): ["以前"],
    ("hypertension-followup", "readings"): ["多少"],
    ("hypertension-followup", "symptoms"): ["症状"],
    ("child-constipation-7-10-days", "frequency"): ["以前", "之前"],
    ("urticaria", "history"): ["以前"],
}


def _with_generic_keywords(case_id):
    """A shipped case with the generic keywords it used to list added back to its facts."""
    case = next(c for c in load_cases(SHIPPED) if c.id == case_id)
    data = case.model_dump()
    for fact in data["facts"]:
        fact["keywords"] += _OLD_GENERIC.get((case_id, fact["id"]), [])
    return parse_case(data, f"{case_id}.yaml")


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    # Facts that list a generic word (以前, 之前, 现在, 多少, 症状) among their keywords: a question
    # about something else that merely contains the word reveals nothing.
    ("child-fever-seizure", "以前有过敏史吗？", ()),
    ("migraine-young-woman", "以前做过手术吗？", ()),
    ("pregnancy-bleeding", "以前得过什么病吗？", ()),
    ("child-fever-seizure", "现在能走路吗？", ()),
    ("hypertension-followup", "空腹血糖多少？", ()),
    ("child-constipation-7-10-days", "之前看过医生吗？", ()),
    # Their specific keywords still ask, and so does 吃饭, which asks about eating.
    ("child-fever-seizure", "是第一次抽吗？", ("first",)),
    ("hypertension-followup", "血压多少？", ("readings",)),
    ("urticaria", "以前有过敏史吗？", ("history",)),
    ("child-constipation-7-10-days", "平时吃饭怎么样？", ("diet",)),
])
def test_a_generic_keyword_never_counts_on_its_own(case_id, doctor, facts):
    r = _ask(doctor, _with_generic_keywords(case_id))
    assert r.revealed == facts, (r.text, r.revealed)


def test_loading_a_case_with_a_generic_keyword_warns_with_file_fact_and_keyword(caplog, tmp_path):
    import yaml

    for case_id in ("child-fever-seizure", "hypertension-followup", "child-constipation-7-10-days"):
        data = _with_generic_keywords(case_id).model_dump()
        (tmp_path / f"{case_id}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with caplog.at_level("WARNING", logger="workbench.simulate.cases"):
        cases = load_cases(tmp_path)
    assert len(cases) == 3  # a warning, not a refusal: the folder still loads
    text = caplog.text
    assert "child-fever-seizure.yaml: fact first: keyword '以前' is a generic word" in text
    assert "hypertension-followup.yaml: fact symptoms: keyword '症状'" in text
    assert "吃饭" not in text  # a topic word, still matched


@pytest.mark.parametrize("folder", [SHIPPED, S43_CASES, REPO / "tests" / "data" / "cases_s44" / "cases"])
def test_the_shipped_and_test_cases_list_no_generic_keyword(caplog, folder):
    # Every simulate run would print these warnings, which a user cannot act on.
    with caplog.at_level("WARNING", logger="workbench.simulate.cases"):
        load_cases(folder)
    assert "generic word" not in caplog.text


@pytest.mark.parametrize(("doctor", "facts"), [
    # Questions without a question mark, as models and doctors type them: each form of a Chinese question.
    ("恶心不", ("vomit",)),  # verb phrase closed by 不
    ("呕吐过没", ("vomit",)),  # ... by 没
    ("血压值量过没有", ("bp",)),  # ... by 没有
    ("会不会恶心", ("vomit",)),  # A-not-A
    ("说一下血压值", ("bp",)),  # a request to tell
    ("头疼多大程度了，血压值怎样", ("bp",)),  # question words 多大, 怎样
])
def test_a_question_without_a_question_mark_still_asks(doctor, facts):
    r = _ask(doctor)
    assert r.revealed == facts and r.text != CASE.opening, (r.text, r.revealed)


@pytest.mark.parametrize("doctor", [
    "先观察，看看会不会呕吐。",  # an embedded question under 看看 is advice to watch
    "根据您的描述，建议监测血压值。",  # 描述 as a noun, not a request
    "很多人问头疼怎么办，关键是休息，别恶心自己。",  # 怎么办 inside a statement
    "谁都会头疼，别担心呕吐。",  # 谁都: indefinite, not a question
])
def test_advice_with_question_words_inside_asks_nothing(doctor):
    assert question_part(doctor) == "" and asked_facts(CASE, doctor) == ()


MORPHEMES = parse_case({
    "id": "one-character-keywords", "title": "腹痛", "category": "测试", "opening": "肚子不舒服。",
    "facts": [
        {"id": "vomit", "fact": "吐过两次", "patient": "吐了两回。", "keywords": ["吐"]},
        {"id": "pain", "fact": "小腹隐痛", "patient": "肚子隐隐地疼。", "keywords": ["疼"]},
        {"id": "bleeding", "fact": "出了点血", "patient": "出了一点血。", "keywords": ["血"]},
        {"id": "urine", "fact": "尿少", "patient": "尿得少。", "keywords": ["尿"]},
        {"id": "meds", "fact": "吃过布洛芬", "patient": "吃过布洛芬。", "keywords": ["药"]},
    ],
    "advice_key_points": [{"id": "rest", "point": "休息", "keywords": ["休息"]}],
}, "<test>")


@pytest.mark.parametrize(("doctor", "facts"), [
    # A one-character keyword asks as a word of its own, in a free combination, or as the head of a word.
    ("吐了几次？", ("vomit",)), ("有没有呕吐？", ("vomit",)), ("呕吐物什么颜色？", ("vomit",)),
    ("疼不疼？", ("pain",)), ("头疼吗？", ("pain",)), ("疼痛厉害吗？", ("pain",)),
    ("出血多吗？", ("bleeding",)), ("尿少吗？", ("urine",)), ("尿量多少？", ("urine",)),
    ("吃过什么药物？", ("meds",)),
    # Inside a word headed by another morpheme it names something else: nothing asked.
    ("说话吐字清楚吗？", ()), ("血压高吗？", ()), ("有糖尿病吗？", ()), ("查过血常规吗？", ()),
    ("平时血糖多少？", ()),
])
def test_a_one_character_keyword_asks_only_where_its_word_means_it(doctor, facts):
    assert asked_facts(MORPHEMES, doctor) == facts, doctor


NESTED = parse_case({
    "id": "nested-keywords", "title": "皮疹", "category": "测试", "opening": "手上起了疹子。",
    "facts": [
        {"id": "site", "fact": "左手腕", "patient": "在左手腕。", "keywords": ["部位", "什么时候"]},
        {"id": "elsewhere", "fact": "别处没有", "patient": "别的地方没有。", "keywords": ["其他部位"]},
        {"id": "onset", "fact": "一周前开始", "patient": "一个星期前开始的。", "keywords": ["什么时候开始"]},
        {"id": "stool", "fact": "大便正常", "patient": "大便正常。", "keywords": ["便"]},
        {"id": "urine", "fact": "尿黄", "patient": "尿有点黄。", "keywords": ["小便"]},
    ],
    "advice_key_points": [{"id": "rest", "point": "休息", "keywords": ["休息"]}],
}, "<test>")


@pytest.mark.parametrize(("doctor", "facts"), [
    # The longest keyword wins where one contains another, as in maximum-matching segmentation.
    ("其他部位也有吗？", ("elsewhere",)),
    ("什么时候开始的？", ("onset",)),
    ("小便颜色正常吗？", ("urine",)),
    # The shorter keyword still asks where it stands on its own.
    ("长在什么部位？其他部位也有吗？", ("site", "elsewhere")),
    ("大便、小便都正常吗？", ("stool", "urine")),
])
def test_the_longest_keyword_wins(doctor, facts):
    assert asked_facts(NESTED, doctor) == facts, doctor


@pytest.mark.parametrize(("doctor", "facts"), [
    # Colloquial question words ask what their standard forms ask.
    ("疼在哪儿？", ("site",)), ("啥时候开始的？", ("onset",)),
])
def test_a_colloquial_question_word_asks_what_its_standard_form_asks(doctor, facts):
    case = parse_case({
        "id": "colloquial", "title": "腹痛", "category": "测试", "opening": "肚子疼。",
        "facts": [
            {"id": "site", "fact": "右上腹", "patient": "右边肋骨下面。", "keywords": ["哪里"]},
            {"id": "onset", "fact": "昨天", "patient": "昨天开始的。", "keywords": ["什么时候"]},
        ],
        "advice_key_points": [{"id": "rest", "point": "休息", "keywords": ["休息"]}],
    }, "<test>")
    assert asked_facts(case, doctor) == facts, doctor


def test_a_directional_complement_shared_with_a_keyword_asks_nothing():
    case = parse_case({
        "id": "orthostatic", "title": "头晕", "category": "测试", "opening": "头晕。",
        "facts": [{"id": "dizzy", "fact": "站起来头晕", "patient": "一站起来就晕。", "keywords": ["站起来"]}],
        "advice_key_points": [{"id": "rest", "point": "休息", "keywords": ["休息"]}],
    }, "<test>")
    # 起来 is the grammatical complement of 站起来: getting up at night is not standing up dizzy.
    assert asked_facts(case, "夜里起来小便几次？") == ()
    assert asked_facts(case, "早上起来会不会僵硬？") == ()
    assert asked_facts(case, "站起来晕吗？") == ("dizzy",)


# Written blind in session 44 (tests/data/cases_s44/questions.yaml): eight cases and what a faithful
# patient reveals to each question. The ones the rule patient still gets wrong, and why:
S44 = REPO / "tests" / "data" / "cases_s44"
S44_KNOWN_WRONG = {
    ("child-vomiting-diarrhea", "没拉脓血吧？"): "the case lists no keyword for the colloquial 拉",
    ("child-vomiting-diarrhea", "一天换几块尿不湿？"): "尿 is not the head of 尿不湿 (a diaper)",
    ("contact-dermatitis-wrist", "起了多长时间了"): "多长时间 is not merged with 多久 (cases key different facts)",
    ("biliary-colic", "吃烧烤火锅以后会犯吗？"): "烧 heads the verb compound 烧烤; no keyword for the food",
}


def _s44_questions():
    import yaml

    data = yaml.safe_load((S44 / "questions.yaml").read_text(encoding="utf-8"))
    for case_id, items in data.items():
        for item in items:
            reason = S44_KNOWN_WRONG.get((case_id, item["q"]))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(case_id, item["q"], set(item["reveal"]), set(item.get("may", [])), marks=marks,
                               id=f"{case_id}-{item['q']}")


@functools.cache
def _cases_in(folder: Path) -> dict:
    """The cases of a blind set's folder, by id (read once per folder)."""
    return {c.id: c for c in load_cases(folder / "cases")}


@pytest.mark.parametrize(("case_id", "doctor", "reveal", "may"), list(_s44_questions()))
def test_rule_patient_on_the_session_44_cases(case_id, doctor, reveal, may):
    r = _ask(doctor, _cases_in(S44)[case_id])
    assert reveal <= set(r.revealed) <= reveal | may, (r.text, r.revealed)
    if not reveal:
        assert r.text == UNKNOWN_ANSWER  # nothing invented


def _blind_set_score(folder: Path) -> tuple[int, int]:
    """(right, total) of a blind set: a reply is right when it states every fact the question asks, nothing but those
    and the loose ones it may add, and, where it states none, says nothing was asked or that it does not know (pure
    advice may go on about the complaint). Until session 53 a reply that stated only loose facts, to a question
    asking none, counted as wrong against this very rule; each set's figures below say which reading they used."""
    import yaml

    data = yaml.safe_load((folder / "questions.yaml").read_text(encoding="utf-8"))
    right = total = 0
    for case_id, items in data.items():
        for item in items:
            r = _ask(item["q"], _cases_in(folder)[case_id])
            reveal, may = set(item["reveal"]), set(item.get("may", []))
            silent = reveal or set(r.revealed) or not question_part(item["q"]) or r.text == UNKNOWN_ANSWER
            right += reveal <= set(r.revealed) <= reveal | may and bool(silent)
            total += 1
    return right, total


# Written blind in session 50 (tests/data/cases_s50): eight more cases and 103 questions, by a helper who read
# neither the matcher nor the earlier sets, with pure-advice turns and traditional characters. First contact:
# 59/103 (0.573; synonyms 0/20, traps 8/21). Its misses then gave the rules tested below (traditional characters,
# a keyword inside a longer word, a keyword shared with a fact asked by more, everyday words, clauses about other
# people, 这几天 and 差不多高 in advice): 80/103 (0.777), the session-44 set unchanged at 90/96. So it no longer
# measures unseen text. Left: synonyms no table holds (泡壶茶, 冒出来, 手心还是手背), a one-character keyword that
# heads another word's compound (腰疼 for a fact keyed 疼, 发热 for one keyed 热), a topic noun (大便后那个肉疙瘩;
# answered since session 60's second set, whose event named as a time asks nothing of its own fact: 87/103).
S50 = REPO / "tests" / "data" / "cases_s50"


def test_rule_patient_on_the_session_50_cases():
    right, total = _blind_set_score(S50)
    assert total == 103 and right / total >= 0.77


# Written blind in session 51 (tests/data/cases_s51): eight more cases and 104 questions, by a helper who read
# neither the matcher nor the earlier sets (a child's fever and rash, pregnancy vomiting, insomnia with anxiety, an
# ankle sprain, cystitis, chest tightness on exertion, acne, a diabetic foot). First contact: 55/104 (0.529;
# synonyms 2/24, traps 13/28). Its misses then gave the rules tested below (everyday words for convulsions,
# drowsiness, mouth sores, classmates, eating, weighing, worry, palpitations, mood, the injury, a pop, blood in
# the urine, radiation, waking breathless, parents, a hard lump, ointments, feeling in the foot; 几杯/几片…,
# 怎么…的 and A还是B as questions; a relative's own history asks nothing of the patient's): 80/104 (0.769),
# session 50's set 80 → 82/103, session 44's unchanged at 90/96. Tried and left out: where no keyword matched,
# a word only one fact's wording says (最高 in 最高39.2度) gained three answers but revealed a past stone to
# "平时多久体检一次？". Left: a keyword heading the topic of an advice clause before the question (吐得这么厉害，
# 站起来会不会眼前发黑), 油烟 for a fact keyed 烟, a shared keyword (多久) beside the fact the question names.
S51 = REPO / "tests" / "data" / "cases_s51"


def test_rule_patient_on_the_session_51_cases():
    right, total = _blind_set_score(S51)
    assert total == 104 and right / total >= 0.76


# Written blind in session 52 (tests/data/cases_s52): eight more cases and 112 questions, by a helper who read
# neither the matcher nor the earlier sets (urinary retention, a child's diarrhoea, mastitis, migraine, gout,
# sciatica, a drug rash, infant eczema). First contact: 78/112 (0.696; synonyms 4/28, traps 20/27). Its misses then
# gave the rules tested below (everyday words: 嘘嘘, 着凉, 欢实, 奶头, 打哆嗦, 头胎, 冒金星, 一蹦一蹦, 大姨妈, 下馆子,
# 腰子, 石头, 往下走, 解手, 裆, 活儿, 鼓起来, 透不过气, 还在吃, 闹觉, 泡澡…; a count asked in a clause that names
# another fact's topic asks that fact, not one keyed on the count beside its own topic; a one-character keyword
# joined to another asked fact's keyword, as the head of 避孕药 or the modifier in 药物过敏, asks the other; 你们大人):
# 103/112 (0.920); session 51's set 80 → 82/104, session 50's unchanged at 82/103 and session 44's at 90/96.
# Left: who the patient is where a mother asks for herself (宝宝有没有发烧 in her mastitis case), a question word a
# case keys a fact on (哪儿开的 for a fact keyed 哪里), a topic noun before a time question (疹子什么时候出来的).
S52 = REPO / "tests" / "data" / "cases_s52"


def test_rule_patient_on_the_session_52_cases():
    right, total = _blind_set_score(S52)
    assert total == 112 and right / total >= 0.91


# Written blind later in session 52 (tests/data/cases_s52b): eight more cases and 112 longer doctor turns, many with
# advice before the question, numbered question lists and consent tags (a smoker's cough, a febrile fit, irregular
# periods, a hip after a fall, heartburn, exam anxiety, a red eye, swelling in pregnancy; the writer's red flags were
# plain strings, dropped: answers do not use them). First contact: 70/112 (0.625; synonyms 4/28, traps 19/28). Its
# misses then gave the rules tested below (tags after advice, the topic of a time question, how long something takes,
# an event named as a time, 头 as a suffix, a keyword that starts inside another word, 要是还是…, more relatives and
# classmates, more everyday words): 108/112 (0.964); session 44's set 90 → 91/96 (头晕多久了, no longer a known
# miss), session 52's first 103 → 104/112, the others unchanged. Left: a case keyed on generic words (以前没抽过吧),
# 红红的 for blood, a question about the doctor's own colleague's advice (要不要停，…您问他就行，好吗？).
S52B = REPO / "tests" / "data" / "cases_s52b"


def test_rule_patient_on_the_session_52_second_cases():
    right, total = _blind_set_score(S52B)
    assert total == 112 and right / total >= 0.95


# Written blind at the end of session 52 (tests/data/cases_s52c): eight more cases and 110 questions (a kidney stone,
# croup, shingles, erectile problems with diabetes, a breast lump, tinnitus after a cold, a swallowed coin, black
# stools on aspirin). First contact: 74/110 (0.673; synonyms 7/28, traps 15/27). Its misses then gave the rules
# tested below (where to buy, what it costs, when a place opens ask nothing of the patient; a child's brother or
# sister; a short follow-up to a question about others; the topic of a "where" question; 什么样 generic; more
# everyday words and traditional characters): 100/110 (0.909); session 50's and 51's sets rose to 83, session 52's
# first to 105. Left: a question about someone else's story that names a fact (你自己小时候有没有吞过硬币), 红红的.
S52C = REPO / "tests" / "data" / "cases_s52c"


def test_rule_patient_on_the_session_52_third_cases():
    right, total = _blind_set_score(S52C)
    assert total == 110 and right / total >= 0.89


# Written blind in session 53 (tests/data/cases_s53): eight more cases and 119 questions (gout, a child's
# hand-foot-mouth disease, a mother's low mood after birth, hay fever, an older woman's cystitis, a sprained ankle,
# palpitations after drinking, a tired teenager). First contact: 87/119 (0.731; synonyms 5/26) as earlier sets were
# scored, 92/119 with loose facts allowed as the scorer's rule says (the scorer was mended then: sessions 51, 52 and
# 52c rose by 2-3, as their traps with loose facts now count as the rule says). Its misses then gave the rules tested
# below (a past episode asked without a keyword: 这样过, 犯过, 早些年, 扭过; everyday words: 喝两杯, 好菜, 颜色变, 手板心,
# 红点, 掉眼泪, 怪自己, 饭量, 刺挠, 白开, 针扎, 下地, 匀乎, 荤, 猛一起身, 怦怦…; friends, desk mates and neighbours are
# other people, a 小朋友 is not a 朋友): 115/119 (0.966). Left: 靠嘴喘气 read as 喘 (wheezing), a question about one
# joint answered with the others too (哪个关节疼), 腰不疼吧 in a case whose pain keyword is 疼.
S53 = REPO / "tests" / "data" / "cases_s53"


def test_rule_patient_on_the_session_53_cases():
    right, total = _blind_set_score(S53)
    assert total == 119 and right / total >= 0.95


# Written blind later in session 53 (tests/data/cases_s53b): eight more cases and 112 questions (appendicitis, a
# child's asthma attack, pre-eclampsia, a driver's back, a first fit, alcohol withdrawal, a contact-lens eye, an
# older man's constipation). First contact, with session 53's first rules: 79/112 (0.705; synonyms 3/24, combined
# 10/18). Its misses then gave the rules tested below (a numbered list of questions after a colon: the explanation
# before it asks nothing; a word shared with a keyword that only names the time of what is asked: 怀孕前; 对什么药过敏
# asks no medicine; a part of a keyword beside another fact's whole keyword in its clause: 肚子…发紧; what a relative
# saw of the patient is the patient's: 你老婆看到你抽的时候; 头几天 is no question; everyday words: 肚眼儿, 咽得下, 营生,
# 蹲坑, 开夜车, 直打摆子, 见着亮, 眼仁儿, 一粒一粒, 使很大劲…): 110/112 (0.982); session 50's set 83 → 84, 51's 86 → 88,
# 52's third 102 → 103, 53's first 115 → 116. Left: 镜片一副能用几个礼拜 (no keyword for how long a lens lasts), 当时 in
# a question about what the wife did.
S53B = REPO / "tests" / "data" / "cases_s53b"


def test_rule_patient_on_the_session_53_second_cases():
    right, total = _blind_set_score(S53B)
    assert total == 112 and right / total >= 0.97


# Written blind at the end of session 53 (tests/data/cases_s53c): eight more cases and 115 questions (a child's
# febrile diarrhoea, new diabetes, migraine with aura, a clot after a flight, scabies in a dormitory, a panic attack, a
# dog bite, sudden deafness), with Cantonese turns. First contact: 84/115 (0.730; synonyms 5/23). Its misses then gave
# the rules tested below (Cantonese read as Mandarin: 有冇, 系咪, 嗰阵, 边个, 痕, 番梘…; more traditional characters:
# 轉, 穩, 燈…; 过敏史 asks the allergy; an event named with 那时候/那会儿 is a time; watching for something (每天看看
# 有没有红肿。) asks nothing; 多久没洗 is how long since, not the onset; everyday words: 耷拉, 茅房, 瞅东西, 发虚, 胖了
# 一圈, 家里有人, 被窝, 烦心, 翻来覆去, 知了, 听得见…): 107/115 (0.930), the other sets unchanged. Left: the place of
# what is asked named as a fact's keyword (大便里没有血吧, 宿舍里没养猫狗吧), 细纹 for a lesion keyed 线, 那条狗打过疫苗
# read as the patient's rabies vaccine too.
S53C = REPO / "tests" / "data" / "cases_s53c"


def test_rule_patient_on_the_session_53_third_cases():
    right, total = _blind_set_score(S53C)
    assert total == 115 and right / total >= 0.92


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("sudden-hearing-loss", "你有冇覺得頭暈？", ("dizzy",)),
    ("dog-bite-hand", "邊個養嘅狗？", ("dog-owner",)),
    ("new-type2-diabetes", "有冇覺得好口渴？", ("thirst",)),
    ("scabies-dorm", "有没有过敏史？", ("allergy",)),
    ("child-febrile-diarrhea", "娃儿是不是老耷拉着眼皮？", ("mental",)),
    ("new-type2-diabetes", "晚上要跑几趟茅房？", ("urine",)),
    ("dog-bite-hand", "回去每天看看有没有红肿。被什么狗咬的？", ("dog-owner",)),
    ("scabies-dorm", "床单多久没换了？", ("bedding",)),
    ("migraine-aura", "头疼那会儿怕不怕吵？", ("photophobia",)),
    ("sudden-hearing-loss", "右边还听得见吗？", ("degree",)),
])
def test_session_53_third_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S53C)[case_id], doctor) == facts


# Written blind in session 54 (tests/data/cases_s54): five cases and 120 questions (an older man who cannot pass
# water, a young woman's thyroid in Taiwan's written Chinese, a toddler who swallowed a coin, a farmer soaked in
# pesticide speaking northeastern Mandarin, a runner's Achilles tendon). First contact: 84/120 (0.700; synonyms 6/27).
# Its misses then gave the rules tested below (what follows a colon is asked apart from the explanation before it;
# 这几天/这两天 are the days of what is asked, never how many; 当时 asks when only where nothing else is asked; 看看…
# 哪儿 is what a test will show, but 你再看看他现在有没有… is a check to report now; 抽烟喝酒 asks no twitch and no
# swallowed poison; 降糖药 is the diabetes medicine, not any medicine; 家里人没有…吧 asks the relatives; 在哪儿买的;
# 唠唠 as a request to tell; blood in the urine with words between; everyday words: 滋不远, 憋着劲, 尿星子, 整两口,
# 吃很多, 冷气要开很强, 暴躁, 鼓鼓的, palpitation, MC, 钢镚, 噎着, 精神头, 脑瓜子迷糊, 蹬了一下, 瘪下去, 跑几个K,
# 走道, 一拐一拐…): 114/120 (0.950), the other sets unchanged. Left: an open prompt for a story (把当时的经过讲一讲,
# 说说您这几年小便的情况), 看见他咽下去 read as swallowing now too, a case keyed on 确定 and 感觉.
S54 = REPO / "tests" / "data" / "cases_s54"


def test_rule_patient_on_the_session_54_cases():
    right, total = _blind_set_score(S54)
    assert total == 120 and right / total >= 0.94


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("urinary-retention-bph", "这几天有没有吃感冒药之类的药？", ("cold-med",)),
    ("urinary-retention-bph", "大便怎么样，这几天解过大便吗？", ()),
    ("urinary-retention-bph", "尿里没见过血吧？", ("hematuria",)),
    ("urinary-retention-bph", "您平时吃的降糖药叫啥？", ("diabetes",)),
    ("urinary-retention-bph", "前两天整没整两口？", ("alcohol",)),
    ("hyperthyroidism-tw", "家裡人沒有甲狀腺的毛病吧？", ("family",)),
    ("hyperthyroidism-tw", "聽起來很像甲狀腺亢進，所以我想先確認：妳有沒有可能懷孕？", ("pregnancy",)),
    ("hyperthyroidism-tw", "冷氣要開很強妳才受得了嗎？", ("heat",)),
    ("toddler-coin-ingestion", "那个钢镚儿多大个儿？", ("coin",)),
    ("toddler-coin-ingestion", "你再看看他现在有没有憋气或者呼哧带喘的", ("breathing",)),
    ("toddler-coin-ingestion", "先拍个片子看看卡在哪儿。孩子最后一次吃东西是什么时候？", ("food",)),
    ("pesticide-skin-dongbei", "抽烟喝酒不？", ()),
    ("pesticide-skin-dongbei", "你把今儿个打药咋出的事儿唠唠", ("how",)),
    ("achilles-rupture-runner", "当时是不是觉得后面被谁蹬了一下？", ("pop",)),
    ("achilles-rupture-runner", "冰敷用的冰袋是在哪儿买的？", ()),
])
def test_session_54_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S54)[case_id], doctor) == facts


# Written blind later in session 54 (tests/data/cases_s54b): five cases and 120 questions (a teenager's concussion, a
# mother's low mood after birth, gout after a banquet in Sichuanese, an old woman's heart failure told by her daughter,
# fever after a trip to Thailand), with English terms. First contact, with the first set's rules: 85/120 (0.708;
# synonyms 10/24). Its misses then gave the rules tested below (啥子 and 咋个 as question words; 自己 asks nothing;
# …同学怎么样了，他也…吗 asks about the classmate; 在哪家医院看的; 药 beside another fact's 按时吃 is its topic;
# words with words between: 受过…伤, 谁…带, 喝了…酒, 坐着…睡, 药…没吃, 去了哪些地方, 肚子不疼; everyday words and
# English terms: 晕不晕, blackout, 睡得着, 抱宝宝, anhedonia, 痛起来, 下水, 老汉儿, uric acid, 靠着床头, 鞋穿不进,
# 排水的药, 口重, CHF, 斑斑点点, myalgia, 想呕, 被叮…): 115/120 (0.958); session 44's set 91 → 92, 52c 103 → 104,
# 53c 107 → 108, no other set changed. Left: an open prompt for a story (说说…是怎么一步步加重的), 以前没这么痛过吧
# (no keyword for the past episode; answered since session 60's second set, 以前…这样…过: 117/120), a proxy asked about herself (你自己有没有心脏方面的毛病？), the mood itself named
# in a question about past episodes (以前有没有过类似的低落).
S54B = REPO / "tests" / "data" / "cases_s54b"


def test_rule_patient_on_the_session_54_second_cases():
    right, total = _blind_set_score(S54B)
    assert total == 120 and right / total >= 0.95


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("gout-banquet-sichuan", "自己吃过啥子药？", ("meds",)),
    ("gout-banquet-sichuan", "跟我讲讲这回是咋个痛起来的", ("onset",)),
    ("gout-banquet-sichuan", "前天晚上都吃了些什么？喝了多少酒？", ("banquet", "alcohol")),
    ("teen-sports-concussion", "跟你撞的那个同学怎么样了，他也头疼吗？", ()),
    ("teen-sports-concussion", "去年那次撞头是在哪家医院看的？", ()),
    ("teen-sports-concussion", "之前没受过类似的伤吧？", ("prior",)),
    ("postpartum-low-mood", "说说你现在对自己当妈妈这件事是什么感受。", ("guilt",)),
    ("elderly-hf-daughter", "药应该都一直按时吃着吧？", ("stopped-diuretic",)),
    ("elderly-hf-daughter", "夜里是不是得靠着床头半坐着才睡得着", ("orthopnea",)),
    ("dengue-returned-traveller", "肚子不疼吧？", ("no-abd-pain",)),
    ("dengue-returned-traveller", "有没有 myalgia 或者 arthralgia？", ("myalgia",)),
])
def test_session_54_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S54B)[case_id], doctor) == facts


# Written blind in session 55 (tests/data/cases_s55): five cases and 120 questions (shingles in an older woman who
# looks after her husband, a fifteen-year-old's migraine told by her father, a long-distance trucker's reflux in
# northeastern speech, a clot after a long flight in a woman on the pill, a pregnant hairdresser's numb hand). First
# contact, with the rules before it: 89/120 (0.742; synonyms 4/23). Its misses then gave the rules tested below (a
# keyword reached through an everyday word is no modifier of the word beside it; an event before 以前/之前/前头 is the
# time of what is asked, not asked itself, unless the fact is about before and after; 什么时候最重 asks when it is
# worst, not since when; 一天…多长时间 is a daily amount, not since when; blood coughed up with words between;
# everyday words: 水豆, 操劳, 单侧, 没有劲, 见不得亮, 动静, 天天, 漾上来, 饭点, 公鸭嗓, BMI, 腰围, 远门, brands of the
# pill, 暖和, 发紫, 扯得慌, 指头, 使不上劲, 捏不住, 营养品, 剪子, 干活…): 112/120 (0.933); session 53's first set 116 →
# 117, no other set changed. Left: the order of two events (是先疼还是先起的疱？), a proxy's daily habit read as the
# episode's length (她一天看手机多长时间), the event of a time frame (下飞机当天就肿了吗), an open prompt for the
# symptoms that go with it, a side presupposed (左边是不是…鼓起来了).
S55 = REPO / "tests" / "data" / "cases_s55"


def test_rule_patient_on_the_session_55_cases():
    right, total = _blind_set_score(S55)
    assert total == 120 and right / total >= 0.93


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("shingles-elderly", "起泡前头，那块皮肤有没有刺挠、像蚂蚁爬一样的感觉？", ("prodrome",)),
    ("shingles-elderly", "您出过水豆儿没有？", ("chickenpox",)),
    ("shingles-elderly", "浑身有没有劲儿？往疱上抹过啥没有？", ("fever", "meds")),
    ("migraine-teen-proxy", "犯病的时候她是不是见不得亮、听不得动静？", ("photo",)),
    ("reflux-trucker-dongbei", "什么时候最重？", ("lying",)),
    ("reflux-trucker-dongbei", "早上起来说话是不是公鸭嗓、发沙？", ("cough",)),
    ("dvt-long-flight", "平时有没有服用优思明、妈富隆这一类的？", ("pill",)),
    ("dvt-long-flight", "3. 有没有咳嗽带血？", ("breath",)),
    ("carpal-tunnel-pregnant", "讲讲你一天干活手腕大概要用多久", ("job",)),
    ("carpal-tunnel-pregnant", "怀孕以前有过手麻吗？", ()),  # the time before the pregnancy, not the pregnancy
    ("carpal-tunnel-pregnant", "手上有没有使不上劲、捏不住东西的时候？", ("weak",)),
])
def test_session_55_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S55)[case_id], doctor) == facts


# Written blind later in session 55 (tests/data/cases_s55b): five cases and 120 questions (a grandson's croup told by
# his grandmother in Henan speech, the menopause, an office worker's neck and arm, an old man's atrial fibrillation
# found by his smartwatch, a student's acne in internet slang). First contact, with the first set's rules: 83/120
# (0.692; synonyms 5/28). Its misses then gave the rules tested below (what 除了… sets aside and a preface such as
# 我问您几个问题： ask nothing; 几个 of a keyword 几个月 is no topic; a dialect's consent 中不中 after advice asks
# nothing; 家里大人 are other people; 啥时候 is a time word; a hot flush and a night sweat in everyday words; more
# everyday, English and slang words: 倒气, 嘶嘶, 头一遭, 能吃能喝, 夫妻生活, 不顺眼, 一觉到天亮, 不活了, 串到, 过电,
# 使上劲, 敲键盘, 变严重, 乱蹦, 眼前一黑, blood thinner, aspirin, 不听使唤, 嘴瓢, 中过风, 印子, 黄水, 粉刺, 含糖饮料,
# emo, 上妆, 粉底…): 111/120 (0.925), no other set changed. Left: 受过伤吗 where the case keys 受伤 (another set keys a
# past injury on 受过伤), an open prompt (除了手表提醒，您自己还有哪里不舒服吗, 说说…咳得咋样, 长啥样), a daughter asked
# about in a case that is no proxy's, 咽得下去 read as eating too, what 哪些药 should bring out (diabetes).
S55B = REPO / "tests" / "data" / "cases_s55b"


def test_rule_patient_on_the_session_55_second_cases():
    right, total = _blind_set_score(S55B)
    assert total == 120 and right / total >= 0.92


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("croup-grandson", "倒气的时候嗓子眼儿里有没有嘶嘶的响？", ("stridor",)),
    ("croup-grandson", "家里大人有哮喘或者过敏的没有？", ()),
    ("croup-grandson", "回去屋里放个加湿器。夜里要是喘得厉害、嘴唇发紫，立马来急诊，中不中？", ()),
    ("menopause-hotflush", "是不是动不动脸上就一阵发烫，跟上火似的？", ("hot-flush",)),
    ("menopause-hotflush", "生过几个孩子？", ()),
    ("menopause-hotflush", "我问您几个问题：1. 末次月经是哪个月？", ("menses",)),
    ("menopause-hotflush", "夫妻生活方面有没有什么不舒服？", ("vaginal",)),
    ("neck-arm-numb", "你平时上班是整天坐着敲键盘吗？", ("work",)),
    ("afib-smartwatch", "除了手表提醒，您自己还有哪里不舒服吗？", ()),
    ("afib-smartwatch", "有没有在吃blood thinner，比如aspirin这一类？", ("anticoag",)),
    ("afib-smartwatch", "以前没中过风吧？", ("stroke-history",)),
    ("acne-slang", "这事儿是不是让你挺emo的？", ("mood",)),
])
def test_session_55_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S55B)[case_id], doctor) == facts


# Written blind at the end of session 55 (tests/data/cases_s55c): five cases and 120 questions (a kidney stone typed in
# short bursts, an infant's diarrhoea told by his anxious father, an older woman's knees in Cantonese-flavoured
# speech, sleep apnoea with a wife chiming in, a soldier's heat stroke told by his squad leader). First contact, with
# the second set's rules: 89/120 (0.742; synonyms 7/27). Its misses then gave the rules tested below (an event before
# 前 or 前后 is the time of what is asked, as before 以前; 一会儿…一会儿; 体检…查出; 拉的是什么样; 解…手; 嗓子眼儿
# 发干; 灌了…水; more everyday and English words: 打寒颤, 忽冷忽热, 干呕, 一泡汤, diaper, 金豆豆, 往外喷, 下床, 灵不
# 灵活, 响声, snore, 方向盘, 眯过去, 灵光, 认出, 水淋淋, 跑茅房, pass out…): 107/120 (0.892), no other set changed.
# Left: a relative's medicines asked in a case whose own medicine a colleague gave (同事给的 reads as about others),
# 大便里没有血吧 (blood is read as part of the stool question), open prompts, an elliptical 你自己打了多少年了.
S55C = REPO / "tests" / "data" / "cases_s55c"


def test_rule_patient_on_the_session_55_third_cases():
    right, total = _blind_set_score(S55C)
    assert total == 120 and right / total >= 0.88


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("stone-business-trip", "有没有打寒颤、身上忽冷忽热的？", ("no-fever",)),
    ("stone-business-trip", "疼是一直疼着，还是一会儿轻一会儿重？", ("colic",)),
    ("infant-diarrhea-dad", "他今天的 diaper 换了几片湿的？", ("urine",)),
    ("infant-diarrhea-dad", "拉出来的东西是成形的还是一泡汤", ("stool",)),
    ("knee-oa-cantonese", "一觉醒来刚下床那会儿，膝盖灵不灵活", ("stiffness",)),
    ("sleep-apnea-wife", "晚上要爬起来解几回手？", ("nocturia",)),
    ("sleep-apnea-wife", "你睡觉是不是跟拉风箱似的，snore 得厉害吗？", ("snoring",)),
    ("heatstroke-squad", "训练前后他灌了几口水？", ("water",)),
    ("heatstroke-squad", "你自己也跑了一趟吧，要不要先喝点水歇歇？", ()),
    ("heatstroke-squad", "他这两天肠胃怎么样，跑不跑茅房？", ("diarrhea",)),
])
def test_session_55_third_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S55C)[case_id], doctor) == facts


# Written blind in session 56 (tests/data/cases_s56): five cases and 120 questions (a teenager's night wheeze told by
# her grandmother, an office worker's dry eyes in Chinese mixed with English, a husband's painless jaundice told by his
# nervous wife, a young mother's wrist typed in short bursts, an old farmer's cough in Shaanxi speech). First contact,
# with session 55's rules: 99/120 (0.825; synonyms 22/27). Its misses then gave the rules tested below (多就了 typed
# for 多久了; a verb split by 过/了: 伤过风, 着了凉; 烟酒 keys the smoking and the drinking, and a longer keyword two facts
# share blanks neither; 有劲/撑得住 ask the strength; 每次…多久 asks no onset, unless the fact is about each episode;
# 你家婆婆 is another person; 解手 with the urine named asks no stool; 受过…伤 asks an injury (外伤); a guess put to
# confirm, 摸着不烫吧; 不花啥钱 asks nothing): 110/120 (0.917), then 111 with the second set's rules (a pet's age);
# session 55's second set rose from 111 to 112, no other set changed. Left: 家里有人抽烟吗 read as the family's
# history, 嘴巴干不干 beside the eyes' dryness, 几点开始难受 within a day read as the onset, 上班要对电脑多久 as the
# onset, 村里头 read as the neighbour's contact, 以前从来没这么喘过吧 (the first time) read as the wheeze.
S56 = REPO / "tests" / "data" / "cases_s56"


def test_rule_patient_on_the_session_56_cases():
    right, total = _blind_set_score(S56)
    assert total == 120 and right / total >= 0.90


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("postpartum-wrist-pain", "疼了多就了？", ("onset",)),
    ("farmer-chronic-cough", "咳了多就了？", ("duration",)),
    ("night-wheeze-teen", "最近一两个月伤过风没有？", ("cold",)),
    ("painless-jaundice", "烟酒情况怎么样", ("alcohol", "smoking")),
    ("farmer-chronic-cough", "身上有劲没，地里活还撑得住不", ("fatigue",)),
    ("postpartum-wrist-pain", "宝宝一般隔几个小时喂一次奶？每次喂多久？", ()),
    ("postpartum-wrist-pain", "你家婆婆抱娃的时候手腕疼不疼？", ()),
    ("painless-jaundice", "他解手的时候尿是啥颜色，是不是跟酱油似的？", ("urine",)),
    ("postpartum-wrist-pain", "摸着不烫吧", ("no-redness",)),
    ("farmer-chronic-cough", "结核病的药国家是免费的，到县上结核病防治所去查，不花啥钱。", ()),
])
def test_session_56_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S56)[case_id], doctor) == facts


# Written blind later in session 56 (tests/data/cases_s56b): five cases and 120 questions (a thyroid nodule told by an
# anxious over-explainer, a girl's nosebleeds told by her father in pinyin abbreviations, a retired teacher's tremor
# told by his son, a student's testicular pain told with embarrassment, mouth ulcers and joint pain in Sichuan
# speech). First contact, with the first set's rules: 101/120 (0.842). Its misses then gave the rules tested below (a
# test's name joined to the verb after it, 甲功查; 家里…没人; 青一大块; 哪一边; 闷到/砸到; 沙粒样 and 边儿 of a report;
# a relative asking for the patient: 你爸 is then the patient and 你自己 the relative; 约个号 and 离…多远 ask the
# service; a pet's age or breed): 110/120 (0.917); session 54's second set rose from 115 to 116, the first set to 111,
# no other set changed. Left: a question about others and one about the patient in one sentence split by a comma
# (家里有人容易出血吗，娃平时吃药不: splitting at commas cost three other sets more than it gained), 你自己多大了，平时工作
# 忙不忙 (the second clause read as the patient's work), 多久了 asked of one complaint read for another.
S56B = REPO / "tests" / "data" / "cases_s56b"


def test_rule_patient_on_the_session_56_second_cases():
    right, total = _blind_set_score(S56B)
    assert total == 120 and right / total >= 0.90


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("thyroid-nodule", "甲功查了吗？", ("thyroid-func",)),
    ("resting-tremor", "家里应该没人有这毛病吧？", ("family",)),
    ("testicular-pain", "哪一边疼？", ("side",)),
    ("testicular-pain", "踢球的时候有没有被球闷到裆部？", ("trauma",)),
    ("child-epistaxis", "身上有没有磕一下就青一大块的情况？", ("bleeding-elsewhere",)),
    ("thyroid-nodule", "B超上说里头有没有沙粒样的亮点？边儿清不清楚？", ("features",)),
    ("resting-tremor", "你爸多大年纪，抖了多就了？", ("age-job", "onset")),
    ("testicular-pain", "你们学校离最近的医院有多远？", ()),
    ("thyroid-nodule", "我们科周三上午有甲状腺专家门诊，要不要我帮你约个号？", ()),
    ("oral-ulcer-arthralgia", "你养的那条狗几岁了？", ()),
])
def test_session_56_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S56B)[case_id], doctor) == facts


# Written blind at the end of session 56 (tests/data/cases_s56c): five cases and 120 questions (an old woman's heart
# failure told by her granddaughter on a video call, a young smoker's collapsed lung told in one or two words, a
# toddler who drank toilet cleaner told by his panicking mother, an accountant's rectal bleeding told reluctantly, a
# schoolgirl's weight loss told by her mother with the girl correcting her). First contact, with the second set's
# rules: 107/120 (0.892). Its misses then gave the rules tested below (以前有什么病, 走动, 几点钟, 比以前细了; 每次…多久
# asks no fact's 多久 unless the fact is about each episode; 你爸 of a patient who speaks for himself is his father, as
# keywords say 爸爸; 孩子爸爸 is another person): 114/120 (0.950), no other set changed. Left: 没撞着哪儿吧 (哪儿
# is "anywhere"), 以前发作过没 after a preface, a complaint's own words (上秤, 不想活) read as a second fact.
S56C = REPO / "tests" / "data" / "cases_s56c"


def test_rule_patient_on_the_session_56_third_cases():
    right, total = _blind_set_score(S56C)
    assert total == 120 and right / total >= 0.93


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("heart-failure-grandma", "以前有什么病吗？", ("history",)),
    ("heart-failure-grandma", "半夜睡着睡着会不会憋得要坐起来？每次要坐多久才好点？", ("pnd",)),
    ("heart-failure-grandma", "她平躺会不会喘，走动以后喘不喘？", ("orthopnea", "exertion")),
    ("toddler-cleaner-ingestion", "妈妈先别慌，听我说。你先告诉我：1.喝下去大概几点钟？2.一共喝了几口？", ("time", "amount")),
    ("rectal-bleeding-office", "拉出来的屎是不是比以前细了，像铅笔那样细细的？", ("shape",)),
    ("rectal-bleeding-office", "你爸那个病是多大岁数得的？你自己以前做过肠镜吗？", ("family", "checks")),
    ("teen-weight-loss", "孩子爸爸多高多重？", ()),
])
def test_session_56_third_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S56C)[case_id], doctor) == facts


# Written blind in session 57 (tests/data/cases_s57): five cases and 120 questions, 32 of them synonyms that avoid
# every keyword of their fact (a toddler's first fit told by his grandfather in northeastern speech, an old man who
# cannot pass water and answers in a word, itching late in a first pregnancy told by a worried mother-to-be, a
# worker's eye hit by metal from an angle grinder, a young woman's migraine typed in bursts with English words). First
# contact, with session 56's rules: 81/120 (0.675; synonyms 6/32). Its misses then gave the rules tested below (多久没
# 尿了 asks the onset where what is not done is the complaint; 一次疼多久 asks a fact about each episode; a fact keyed
# on four words of how long and 停 is about time, so 抽了多长时间 asks it, not the fit; 我老公说… in an opening is no
# relative writing for the patient; 你那工友 and 孩子他爹他娘 are other people; a space ends a clause about another
# person; 疼起来的时候 is while it hurts, not since when; and everyday words: 眼珠子往上吊, 几场, 溜达, 整两盅, 压力高,
# 上大号, 肋巴骨, 七八个月了, 浓茶, 橘子皮, 合眼, 大三阳, 肚皮变硬, 飞眼里, 数得清指头, 晃得慌, 挨过…针, 每隔多长日子,
# 防着怀孕, 啥情况会犯): 115/120 (0.958); session 55's first set rose from 112 to 113, no other set changed. Left:
# 以前抽过没有 read as the fit itself, not as the first time (and 就抽了这一回吧 likewise), 架副镜子 read as goggles too,
# 最后一顿几点吃的 read as the time of the injury.
S57 = REPO / "tests" / "data" / "cases_s57"


def test_rule_patient_on_the_session_57_cases():
    right, total = _blind_set_score(S57)
    assert total == 120 and right / total >= 0.95


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("urinary-retention-elder", "多久没尿了？", ("onset",)),
    ("migraine-aura-young", "一次疼多久？", ("duration",)),
    ("febrile-seizure-grandpa", "抽了多长时间？", ("seizure-length",)),
    ("pregnancy-itch-icp", "你老公平时皮肤也容易干吗？", ()),
    ("eye-injury-worker", "你那工友眼睛也崩着了吗？", ()),
    ("febrile-seizure-grandpa", "孩子他爹他娘小时候有没有过烧迷糊了打挺的事儿？", ("family",)),
    ("pregnancy-itch-icp", "你妈妈怀孕的时候有没有痒过 现在宝宝动得多不多", ("fetal-move", "mother")),
    ("migraine-aura-young", "疼起来的时候见不得亮、听不得响动不", ("photophobia",)),
    ("febrile-seizure-grandpa", "大爷，那会儿娃是不是眼珠子往上吊、浑身直哆嗦？", ("seizure",)),
    ("urinary-retention-elder", "老爷子，您这几年撒尿是不是就不大痛快，得站半天才下来？", ("luts",)),
    ("urinary-retention-elder", "前两天有没有整两盅？", ("alcohol",)),
    ("pregnancy-itch-icp", "肚皮有没有一阵一阵变硬，下面有没有湿了或者带红的？", ("no-labor",)),
    ("eye-injury-worker", "出事以后你们自己先咋弄的", ("first-aid",)),
    ("migraine-aura-young", "一般啥情况会犯 吃了什么止痛药", ("trigger", "meds")),
])
def test_session_57_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S57)[case_id], doctor) == facts


# Written blind later in session 57 (tests/data/cases_s57b): five cases and 120 questions (an old woman's hip fall
# told by her son on the phone in Shanghai-flavoured speech, a boy's appendicitis told in a few words, a salesman's
# chest pain on exertion played down, a mother's mastitis typed with emoji, a retired miner's breathlessness in Shanxi
# speech). First contact, with the first set's rules: 89/120 (0.742; synonyms 10/30). Its misses then gave the rules
# tested below (医保能报多少 asks the service; 脚指头 ends in no head; 干点啥会犯 asks the trigger; and everyday words:
# 弄伤, 下肢, 挪地方, 饭吃得下, 往嘴里塞了些啥, 开过刀, 上台阶, 闲着, 半宿, 您家老爷子, 歇一下, 满月, 结节, 冲配方, 捋,
# 闹开, 平道, 往外咯, 胸片, 分量掉了): 109/120 (0.908); no other set changed. Left: 什么时候摔的 read as the fall
# (the time fact is keyed 几点 too, no word of when to these rules: reading it as one took session 54's 最后一次吃东西是
# 什么时候 from the meal), 叫120过来要多久 read as the time of the fall, 脚趾头 asked of a toe's movement
# (a gout case keys the toe as the place), 一次闷多久 where the episode fact is keyed 多长时间 and the onset 多久, a
# baby's own fever asked of a nursing mother, 矿上 read as the job, 黑间 (night) read as the black sputum, 烧炉子 as a
# fever, 发紫 lips read as the sputum's colour.
S57B = REPO / "tests" / "data" / "cases_s57b"


def test_rule_patient_on_the_session_57_second_cases():
    right, total = _blind_set_score(S57B)
    assert total == 120 and right / total >= 0.90


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("appendicitis-teen-boy", "阑尾手术医保能报多少？", ()),
    ("appendicitis-teen-boy", "1. 以前开过刀没？2. 来之前吃过什么药？", ("meds", "history")),
    ("appendicitis-teen-boy", "今天饭吃得下不？", ("appetite",)),
    ("exertional-chest-downplay", "一般干点啥会犯，比如赶车、上台阶那种", ("trigger",)),
    ("exertional-chest-downplay", "您家老爷子身体咋样，有走得早的吗？", ("family",)),
    ("exertional-chest-downplay", "闲着坐沙发看电视、或者半宿里，会不会也来这么一下？", ("rest",)),
    ("mastitis-emoji-mom", "找人上手捋过没有？", ("massage",)),
    ("miner-dyspnea-shanxi", "这一年分量掉了没？", ("weight",)),
])
def test_session_57_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S57B)[case_id], doctor) == facts


# Written blind in session 58 (tests/data/cases_s58): five cases and 120 questions (a gout flare after a wedding
# banquet in northeastern speech, a breastfeeding mother's mastitis with English words, a retired teacher's tinnitus
# with Shanghainese words, a boy's nosebleeds told by his Beijing mother, a Henan labourer's sciatica). First contact,
# with the earlier sets' rules: 98/120 (0.817; synonyms 16/35). Its misses then gave the rules tested below (疼起来您…
# is while it hurts, what someone did for the patient (家里有没有找人来帮你…) is the patient's, 腿麻不麻 asks the
# numbness and not the place, 以前…过没 asks the past, and everyday words: 席面, 喝高, 别着, 一跤, 老病根, 常年吃着,
# 挪步, 受得住, 一坨, 梆梆, 疏通, 捏一捏, 起来奶她, 挨了一刀, 话筒, 老娘, 字字都能分辨, 往鼻子里掏, 摁上, 收住, 几张纸,
# 瞧过, 找大夫, 外公, 打个嚏, 车座子压着的地方, 抹的吃的, 拿啥顶着): 118/120 (0.983); session 56's third set rose to
# 115. Left: 新娘子是哪儿的人 read as where it hurts (jieba cuts 哪里 + 人, and another case keys 哪里人 on the
# patient's home town), 夜里能合几个钟头眼 also read as the night feeds (a case keyed 夜里喂).
S58 = REPO / "tests" / "data" / "cases_s58"


def test_rule_patient_on_the_session_58_cases():
    right, total = _blind_set_score(S58)
    assert total == 120 and right / total >= 0.97


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("gout-ankle-banquet", "那天席面上都整了些啥，喝高了没？", ("banquet",)),
    ("gout-ankle-banquet", "是不是干活时候别着了，或者绊了一跤啥的？", ("no-trauma",)),
    ("gout-ankle-banquet", "现在还能挪步不，被窝压着受得住不", ("pain",)),
    ("mastitis-breastfeeding", "家里有没有找人来帮你疏通、捏一捏？", ("massage",)),
    ("mastitis-breastfeeding", "当时是自己生下来的还是挨了一刀？", ("delivery",)),
    ("tinnitus-teacher", "别人跟您讲话，字字都能分辨得出来吗？", ("hearing",)),
    ("tinnitus-teacher", "您当老师上课，是不是得扯着嗓子或者戴个话筒？", ("noise",)),
    ("nosebleed-teen", "他平时是不是老爱拿手指头往鼻子里掏？", ("picking",)),
    ("nosebleed-teen", "每回流的时候，摁上一阵子能收住不，一回得擦湿几张纸？", ("amount",)),
    ("sciatica-worker", "疼起来您都拿啥顶着，抹的吃的有没有？", ("meds",)),
    ("sciatica-worker", "什么时候开始的？腿麻不麻？", ("onset", "numbness")),
    ("sciatica-worker", "以前腰疼过没有 拍过片子没", ("prior", "imaging")),
    # what the rules above must not take
    ("sciatica-worker", "这腰是哪天疼起来的？", ("onset",)),
    ("sciatica-worker", "疼的地方在哪儿，往腿上窜不窜？", ("radiation",)),
    ("mastitis-breastfeeding", "家里有没有人得过乳腺癌？", ()),
])
def test_session_58_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S58)[case_id], doctor) == facts


# Written blind later in session 58 (tests/data/cases_s58b): five cases and 120 questions (a pregnancy at 30 weeks with
# a headache and swollen feet in Sichuanese, an old man's new confusion and fever told by his daughter, palpitations
# after energy drinks in Cantonese-flavoured Mandarin, a farmer's hand after a thorn, a teenager's periods and acne
# in internet slang). First contact, with the first set's rules: 92/120 (0.767; synonyms 9/35). Its misses then gave
# everyday words (一摁一个窝, 鞋子穿起来紧了, 脑门两边, 肚里的娃闹腾, 查小便, 身上摸着烫, 犯浑, 驴唇不对马嘴, 扒拉, 水进得
# 去, 没出这事儿的时候, 穿衣洗漱, 胳膊腿, 嘴角歪, 老毛病, 撑精神, 功能饮品, 打颤, 湿漉漉, 老豆, 一分钟…多少, 打直,
# 勾一勾, 红杠杠, 搽过, 弄出来, 留在肉里, 防抽风, 一蹦一蹦 as throbbing, 绒绒, 脖梗, 搓不掉, 圆润, 码数, 额头下巴那些
# 疙瘩): 117/120 (0.975); no other set changed. Left: 伤口有没有流脓 also read as how the wound came about (伤口 is
# the pus's place, a word of two characters), 亲戚…串一次门 (the period, in slang) also read as the last one through
# 一次, 月经一直挺准的吧 read as the first period through 月经.
S58B = REPO / "tests" / "data" / "cases_s58b"


def test_rule_patient_on_the_session_58_second_cases():
    right, total = _blind_set_score(S58B)
    assert total == 120 and right / total >= 0.97


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("preg-headache-30w", "鞋子这两天是不是穿起来紧了，一摁一个窝？", ("swelling",)),
    ("preg-headache-30w", "肚里的娃儿最近还闹腾不？", ("fetal",)),
    ("elder-confusion-fever", "老爷子身上摸着烫不烫手？", ("fever",)),
    ("elder-confusion-fever", "他这两天是不是脑子一阵明白一阵犯浑，说的话驴唇不对马嘴？", ("confusion",)),
    ("elder-confusion-fever", "没出这事儿的时候，老爷子能自己穿衣洗漱、下楼溜达不？", ("baseline",)),
    ("palpitations-energy-drink", "一分钟最快蹦到过多少？有戴什么能记录的东西吗？", ("watch",)),
    ("farmer-thorn-hand", "那根木签子当时弄出来了没，会不会还有一截留在肉里", ("thorn-left",)),
    ("teen-irregular-period-acne", "额头下巴那些红疙瘩冒出来多久了？", ("acne",)),
    # what the rules above must not take
    ("preg-headache-30w", "肚子疼不疼？", ()),
    ("farmer-thorn-hand", "鞋子紧不紧？", ()),  # the feet, not the swollen hand
    ("farmer-thorn-hand", "现在手指头还疼吗？", ("pain",)),
])
def test_session_58_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S58B)[case_id], doctor) == facts


# Written blind in session 59 (tests/data/cases_s59): five cases and 120 questions (a toddler's diarrhoea told by his
# Sichuanese mother, an old man who cannot pass water in northeastern speech, itching late in a pregnancy in Cantonese,
# a student's panic attacks in a few words, a migraine with aura on the pill with English words). First contact, with
# session 58's rules: 93/120 (0.775; synonyms 11/25, negated 8/15). Its misses then gave the rules tested below (疹子
# ends in a noun suffix, 肚子 in 闹肚子 asks no belly, 你自己或者家里人有没有血栓 asks the clots and not the family's
# migraine, 血压多少？ after it is no follow-up about them, a clause that begins 颜色 measures the topic just before it,
# 你阿妈 is another person, Cantonese 屋企人 依家 饮嘢 食嘢, 啥地方 as 哪里) and everyday words (拉几泡, 跟米汤似的, 耍不耍,
# 瞌睡, 托儿所, 尿的时候…疼, 杀得慌, 眼珠子…白, 起…红疙瘩, 流血, 睡几个钟, 快不行了, 续命, 贴片子测心脏, 能躲就躲, 碰过什么
# 药, 偏一边还是两边, 老一辈, 发麻, 止疼): 119/120 (0.992); session 50's set rose to 85, 51's to 89, 57's to 116, no
# set dropped. Left: 以前头疼前没有过这种闪光吧 read as what the flash is like (以前 and 之前 are generic words, and the
# history fact is keyed on neither 犯过 nor 以往).
S59 = REPO / "tests" / "data" / "cases_s59"


def test_rule_patient_on_the_session_59_cases():
    right, total = _blind_set_score(S59)
    assert total == 120 and right / total >= 0.97


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("toddler-diarrhoea-dehydration", "娃一天得拉几泡？是不是跟米汤似的？", ("stool",)),
    ("toddler-diarrhoea-dehydration", "娃儿今天还耍不耍嘛，是不是一直瞌睡兮兮的？", ("activity",)),
    ("toddler-diarrhoea-dehydration", "佢依家肯唔肯饮嘢、食嘢呀？", ("intake",)),
    ("toddler-diarrhoea-dehydration", "他上的那个托儿所里，有没有别的娃也闹肚子？", ("daycare",)),
    ("elderly-urinary-retention", "尿的时候没有疼吧？", ("no-hematuria",)),
    ("elderly-urinary-retention", "撒出来那点水儿啥色儿的，尿道杀得慌不？", ("no-hematuria",)),
    ("pregnancy-itch-third-trimester", "你眼珠子那白的地方，颜色变没变？", ("no-jaundice",)),
    ("pregnancy-itch-third-trimester", "没有起疹子吧？", ("no-rash",)),
    ("pregnancy-itch-third-trimester", "下面没有流血吧？", ("no-pain",)),
    ("pregnancy-itch-third-trimester", "你屋企人应该冇类似情况啩？", ("mother-history",)),
    ("student-panic-attacks", "几岁 晚上一般睡几个钟", ("age", "sleep")),
    ("student-panic-attacks", "1）每回都在啥地方犯 2）有没有想过伤害自己", ("trigger", "no-self-harm")),
    ("student-panic-attacks", "之前有没有贴过那种片子测心脏跳得正不正常？", ("ecg",)),
    ("student-panic-attacks", "那会儿脑子里是不是觉着自己快不行了、要挂了？", ("fear",)),
    ("migraine-aura-pill", "你自己或者家里人有没有血栓？血压多少？", ("bp", "no-clot")),
    ("migraine-aura-pill", "疼的时候吃啥止疼？", ("painkillers",)),
    ("migraine-aura-pill", "你们家老一辈有没有也老犯头疼的？", ("family",)),
    # what the rules above must not take
    ("pregnancy-itch-third-trimester", "你阿妈当年早产是几周生的？", ("mother-history",)),  # not her own weeks
    ("pregnancy-itch-third-trimester", "小便什么颜色？", ("urine-stool",)),
    ("pregnancy-itch-third-trimester", "皮肤发不发黄？大小便颜色有没有变化？", ("urine-stool", "no-jaundice")),
    ("toddler-diarrhoea-dehydration", "肚子胀不胀？", ("belly",)),
    ("toddler-diarrhoea-dehydration", "幼儿园里有没有别的孩子也拉肚子？", ("daycare",)),
    ("migraine-aura-pill", "家里人有偏头痛吗？", ("family",)),
    ("pregnancy-itch-third-trimester", "冷得起鸡皮疙瘩了吗？", ()),  # goose flesh is no rash
])
def test_session_59_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S59)[case_id], doctor) == facts


# Written blind later in session 59 (tests/data/cases_s59b): five cases and 120 questions (a newborn's jaundice at two
# weeks with Shanghainese and Cantonese words, a northeastern man's kidney stone, shingles by an old woman's eye in
# Sichuanese, a cook's burnt hand in a few words, a hiker's tick bite with English words). First contact, with the
# first set's rules: 91/120 (0.758; synonyms 4/25). Its misses then gave the rules tested below (啥时候烫的 asks the
# time, a fact keyed 什么时候 多久 几点 时间 being about when alone; 最后一次…是什么时候 asks the last event's fact and not
# the onset; 在哪儿挣钱 and 往哪儿走 ask no place; 泡泡冒出来前头 makes the rash part of the time; 痛起来是啥感觉 is while
# it hurts; a numbered item ends a clause about others; 家里老人 and 伙计 are other people; 哪了 and 辰光 as question
# words; Cantonese 睇嘢 矇 几多) and everyday words (咂奶, 拉粑粑, 嚎, 尿片, 足月生的, 发过烧, 一抽一抽地疼,
# 串到, 涮肉水, 鼻头, 防蛇缠腰的针, 弄成这样, 自来水, 往上糊, 金圈银圈, 巴掌大, 鼓起来, 草爬子, 越来越往外跑, 骨头节,
# 一块儿上山), and, where a turn asks when twice and the time fact tells one topic's time, the other topic keeping its
# own fact (什么时候被叮的，红疹什么时候开始出来的: the tick fact tells the bite's): 119/120 (0.992); no other set
# changed. Left: 左边脸上没有吧 (the rash is on the right only; 左边 as the side fact took session 53's 右边还能听见一点吗
# from its hearing). Still read as before: 什么时候被叮的？ alone asks the rash's onset (one 'when', and the onset fact
# is the case's only time).
S59B = REPO / "tests" / "data" / "cases_s59b"


def test_rule_patient_on_the_session_59_second_cases():
    right, total = _blind_set_score(S59B)
    assert total == 120 and right / total >= 0.97


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("infant-jaundice-2wk", "小家伙咂起奶来有劲没劲？", ("feeding",)),
    ("infant-jaundice-2wk", "粑粑拉出来是不是金黄金黄的，有没有发灰的时候？", ("stool",)),
    ("infant-jaundice-2wk", "小囡醒着的辰光眼睛灵光伐，嚎起来响不响？", ("activity",)),
    ("infant-jaundice-2wk", "1. 是不是足月生的 2. 你和孩子他爸都啥血型", ("birth", "blood-type")),
    ("infant-jaundice-2wk", "没发过烧吧？", ("no-fever",)),
    ("kidney-stone-dongbei", "疼的时候往哪儿走，串不串到裤裆那块儿？", ("radiation",)),
    ("kidney-stone-dongbei", "平常在哪儿挣钱，活儿累不累？", ("job",)),
    ("kidney-stone-dongbei", "你家里老人有没有得过结石的？", ()),
    ("kidney-stone-dongbei", "你撒的尿瞅着啥色儿，跟涮肉水似的不？", ("hematuria",)),
    ("kidney-stone-dongbei", "这疼是一抽一抽的，还是一直那么疼着？", ("character",)),
    ("shingles-eye-sichuan", "婆婆，这些泡泡冒出来前头那两天，那块皮就扯起扯起地痛了嗦？", ("prodrome", "pain")),
    ("shingles-eye-sichuan", "泡泡长在哪些地方？痛起来是啥子感觉？", ("rash", "pain")),
    ("shingles-eye-sichuan", "阿婆，你睇嘢有冇矇咗啲？", ("vision",)),
    ("shingles-eye-sichuan", "打过那个防蛇缠腰的针没得？", ("vaccine",)),
    ("hand-burn-cook", "啥时候烫的？", ("time",)),
    ("hand-burn-cook", "1.什么时候烫的 2.怎么烫的 3.烫哪了", ("time", "cause", "site")),
    ("hand-burn-cook", "手指头上有没有套着金圈银圈？", ("ring",)),
    ("hand-burn-cook", "当时拿自来水淋了多长功夫？还往上糊啥了没？", ("first-aid",)),
    ("hand-burn-cook", "伤着的那片有巴掌大不，指头也挨上了不？", ("site",)),
    ("tick-bite-hiker", "什么时候被叮的，红疹什么时候开始出来的？", ("tick", "rash-onset")),
    ("tick-bite-hiker", "那个草爬子你是咋整下来的？", ("tick",)),
    ("tick-bite-hiker", "一块儿上山那几个伙计有没有中招的？", ("companion",)),
    ("tick-bite-hiker", "浑身骨头节儿有没有不得劲？", ("aches",)),
    # what the rules above must not take
    ("kidney-stone-dongbei", "哪儿疼？", ("location",)),
    ("kidney-stone-dongbei", "疼在哪儿？往哪儿窜？", ("location", "radiation")),
    ("kidney-stone-dongbei", "疼起来是什么样？", ("character",)),
    ("kidney-stone-dongbei", "这腰是几点疼起来的？", ("onset",)),
    ("tick-bite-hiker", "去哪儿玩了？", ("trip",)),
    ("hand-burn-cook", "怎么烫的？", ("cause",)),
    ("hand-burn-cook", "最后一次打破伤风是啥时候？", ("tetanus",)),
    ("shingles-eye-sichuan", "疹子出来之前有没有发烧？", ("fever",)),
    ("tick-bite-hiker", "红疹什么时候出来的？", ("rash-onset",)),
    ("hand-burn-cook", "什么时候烫的？什么时候冲的水？", ("time",)),  # the time fact names neither topic
])
def test_session_59_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S59B)[case_id], doctor) == facts


# Written blind in session 59 as its third set (tests/data/cases_s59c): five cases and 120 questions (a boy's croup
# told by his Henan grandmother, a northeastern student's testis pain after football, a Sichuanese old man's black stools
# on aspirin, a quiet teenager's morning faints, a designer's numb fingers with English words). First contact, with the
# second set's rules: 100/120 (0.833; synonyms 12/25). Its misses gave everyday words (嘴皮子, 发乌, 见轻, 冷不丁, 沥青,
# 鸭血 毛血旺, 虚汗, 跑圈 跳绳, 膀子, 比对, 业余; 眼睛发黑, 猛一起来, 胃上出过毛病, 疼了几个钟头, 每个月那个, 可能有了,
# 玩啥球, 耳朵里嗡嗡, 手脚一抽一抽, 裤子湿, mc in either case) and the rules tested below (吃啥药 asks the medicine and
# not the eating; 下回打疫苗是啥时候 asks no onset; 晕之前, a keyword naming the time before an event, asks nothing in a
# clause that asks another fact): 120/120; no other set changed, no label changed.
S59C = REPO / "tests" / "data" / "cases_s59c"


def test_rule_patient_on_the_session_59_third_cases():
    right, total = _blind_set_score(S59C)
    assert total == 120 and right / total >= 0.97


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("croup-night-grandma", "吃啥药了？", ("meds",)),
    ("croup-night-grandma", "喂过什么药？喝水呛不呛？", ("eating", "meds")),
    ("croup-night-grandma", "孩子下回打疫苗是啥时候？", ("vaccine",)),
    ("croup-night-grandma", "娃嘴皮子颜色咋样，有没有发乌？", ("no-cyanosis",)),
    ("croup-night-grandma", "孩子多大了 抱出去吹了风有没有见轻", ("age", "cold-air")),
    ("syncope-morning-teen", "晕之前没心慌吧？", ("no-palp",)),
    ("syncope-morning-teen", "栽倒前身上有啥不对劲的，像是虚汗直冒、耳朵里嗡嗡响？", ("prodrome",)),
    ("syncope-morning-teen", "晕过去那会儿手脚有没有一抽一抽的，裤子湿没湿？", ("no-seizure",)),
    ("syncope-morning-teen", "跑圈、跳绳那会儿倒过没", ("exertion",)),
    ("syncope-morning-teen", "mc正常吗？", ("period",)),
    ("testis-pain-football", "那俩蛋蛋左右比对着瞅，有啥两样没？", ("swelling",)),
    ("testis-pain-football", "这疼是冷不丁来的，还是一点点加重的？", ("onset",)),
    ("testis-pain-football", "1.疼了几个钟头了 2.除了疼还想吐没", ("onset", "nausea")),
    ("wrist-numb-designer", "脖梗子那块儿酸不酸，有没有过电似的从膀子往下走？", ("neck",)),
    ("wrist-numb-designer", "你每个月那个准不准，最近有没有可能有了？", ("period",)),
    ("wrist-numb-designer", "业余时间爱玩点啥球不？", ("badminton",)),
    ("melena-aspirin-elder", "解出来的那个东西啥样子，是不是跟沥青一样亮堂堂的？", ("stool",)),
    ("melena-aspirin-elder", "猛一起来，眼睛有没有发黑冒金星？", ("dizzy",)),
    ("melena-aspirin-elder", "这几天吃过毛血旺、鸭血这些没得？", ("food",)),
    ("melena-aspirin-elder", "早些年胃上头出过啥子毛病没？", ("ulcer",)),
    # what the rules above must not take
    ("croup-night-grandma", "吃饭怎么样？", ("eating",)),
    ("croup-night-grandma", "什么时候开始咳的？", ("onset",)),
    ("croup-night-grandma", "下次什么时候来复查？", ()),
    ("syncope-morning-teen", "晕之前有什么感觉？", ("prodrome",)),
    ("syncope-morning-teen", "晕之前有什么感觉？心慌吗？", ("prodrome", "no-palp")),
    ("syncope-morning-teen", "晕之前有没有出冷汗、心慌？", ("prodrome", "no-palp")),
    ("syncope-morning-teen", "一晚上睡几个钟头？", ("sleep",)),
    ("testis-pain-football", "踢球的时候伤着没？", ("trauma",)),
    ("wrist-numb-designer", "哪几根手指麻？胳膊呢？", ("fingers", "neck")),
    ("melena-aspirin-elder", "胃疼不疼？", ("stomach",)),
    ("melena-aspirin-elder", "胃有啥毛病没？", ("stomach",)),  # not the ulcer: nothing says before
    ("melena-aspirin-elder", "大便发黑不？", ("stool",)),
])
def test_session_59_third_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S59C)[case_id], doctor) == facts


# Written blind in session 60 (tests/data/cases_s60): five cases and 120 questions (a Wuhan grandfather's positional
# vertigo, a Cantonese programmer's anal fissure, a Henan girl's head lice told by her mother, a Zibo woman's frozen
# shoulder, a student who suspects ADHD from short videos). First contact, with session 59's rules: 84/120 (0.700;
# synonyms 2/25). Its misses gave everyday words (翻江倒海, 出恭, 青菜, 口味, 后门, 小疙瘩, 老辈, 白渣, 脖颈, 反手, 往下溜,
# 讲课, 开小差, 火烧眉毛, 忘带, 少带, 小豆丁, 抖音, 快手, 哪面; 往床上一倒, 被窝里爬起来, 脑瓜子碰着, 跟谁一个被窝, 一块儿念书,
# 啥土法子, 顺着…溜, 甩胳膊, 扒着墙, 活儿还能干, 脑子飘, 满世界找, 坐不坐得住, 挂过科, 撕开似的, 烧得慌; 闷着 only as a
# blow) and the rules tested below: 第一次 is a time, not how often; a clause asking since when about the complaint the
# patient opened with asks the onset, even an onset fact keyed on its cause too (疼多久了); a clause about a relative
# asks nothing of a fact about classmates (她姐姐在哪个学校上学), cousins are others too (你表哥), and the parents someone
# contacted (老师找过你爸妈) are not asked about; the pain feared (怕痛) asks the fear. 113/120; s55c rose to 108 and
# s57b to 110, no other set changed, no label changed. Still missed: 上大号那一下…撕开似的 (an event named as a time
# also asks the stool: facts about what happens while driving or running need the event), 闺女晚上跟谁一个被窝 (晚上 asks
# the night itch), 头发根上 and 剪过头发 (the age fact is keyed on 头发), 以前痔疮犯过没 (犯过 asks the first time),
# 当初…自己疼起来的 and 左边肩膀以前疼过吗 (疼 asks how it hurts).
S60 = REPO / "tests" / "data" / "cases_s60"


def test_rule_patient_on_the_session_60_cases():
    right, total = _blind_set_score(S60)
    assert total == 120 and right / total >= 0.93


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("frozen-shoulder-zibo", "疼多久了？", ("onset",)),
    ("anal-fissure-guangzhou", "痛了多久？", ("onset",)),
    ("bppv-wuhan-grandpa", "您多大岁数了，这回犯晕是头一遭吗？", ("age", "onset")),
    ("anal-fissure-guangzhou", "你做什么工作的，什么时候开始痛的", ("age-job", "onset")),
    ("anal-fissure-guangzhou", "平时出恭顺不顺，隔几天去蹲一回？", ("stool",)),  # 第一次 is no frequency
    ("head-lice-henan-girl", "她姐姐在哪个学校上学？", ("family",)),
    ("adhd-suspect-student", "你表哥当年吃的是什么药，多大剂量？", ()),
    ("adhd-suspect-student", "你还是个小豆丁的时候，老师有没有找过你爸妈？", ("childhood",)),
    ("anal-fissure-guangzhou", "不会是因为怕痛一直忍着不去厕所吧？", ("fear",)),
    ("adhd-suspect-student", "你学什么专业的 挂过科吗", ("age", "procrastination")),
    ("adhd-suspect-student", "小时候老师怎么说你的，现在坐不坐得住", ("childhood", "hyper")),
    ("frozen-shoulder-zibo", "那个难受劲儿是在骨头缝里头闷着，还是皮面上，会顺着胳膊往下溜不", ("pain-char",)),
    ("frozen-shoulder-zibo", "恁都找谁给看过、使过啥法子？", ("treatment",)),
    ("frozen-shoulder-zibo", "有人教过您每天甩甩胳膊、扒着墙往上挪那种法儿不？", ("exercise",)),
    # what the rules above must not take
    ("frozen-shoulder-zibo", "晚上疼不疼？", ("night-pain",)),
    ("frozen-shoulder-zibo", "是怎么疼的？", ("pain-char",)),
    ("anal-fissure-guangzhou", "每次痛多久？", ("pain",)),
    ("anal-fissure-guangzhou", "怕不怕？", ("fear",)),
    ("anal-fissure-guangzhou", "大便几天一次？", ("stool",)),
    ("anal-fissure-guangzhou", "什么时候开始的？", ("onset",)),
    ("head-lice-henan-girl", "她班上同学有没有这样的？", ("school",)),
    ("head-lice-henan-girl", "她姐姐头痒不痒？", ("family",)),
    ("adhd-suspect-student", "你家里人有没有多动症？", ("family",)),
    ("adhd-suspect-student", "你爸妈有没有这种情况？", ("family",)),
    ("bppv-wuhan-grandpa", "头晕是什么样的？", ("spinning",)),
])
def test_session_60_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S60)[case_id], doctor) == facts


# Written blind in session 60, a second set (tests/data/cases_s60b): five cases and 120 questions (a Sichuanese
# banquet's gastroenteritis, a Cantonese wife telling her husband's pancreatitis, a northeastern smoker's hoarse
# voice, a basketball boy's knee, a Shanghainese mother's hair loss). First contact, with the first set's rules:
# 89/120 (0.742; terse 25/25, synonyms 5/25, combined 15/20, negated 11/15, absent 14/15, traps 19/20). Its misses
# gave everyday words (坐一桌, 席桌, 台阶, 血色素, 光溜溜, 控制身材, 摊着, 蜷; 肚子里拧/揪, 蹿个儿, 练几回, 往下一猫, 另一条腿,
# 还能正常训练, 才有的, 以前…这样…过, 差不多的情况, 在医院躺过, 怎么待着舒服, 搓一顿, 他摸上去烫, 裤腰带松, 往下走, 吐出来的黏糊,
# 见红, 一天三顿, 血流得多, 头发薄了, 哪一片, 困几个钟头, 天天吃药) and the rules tested below: 你哥 is someone else, and
# names the relative as a case keys it (哥哥); Shanghainese is read as Mandarin in a turn that speaks it (侬, 姆妈, 伐);
# a habit word asks a fact whose wording holds its other morpheme (吃饭 the diet that says 饭); 避孕药 asks
# contraception, and 吃 before a kind of medicine takes it; a longer keyword said with a colloquial question word
# still wins (吃了啥药 is 吃了什么药, not the food's 吃了什么); a word said as the place or the time of what another
# fact's keyword asks asks nothing of its own fact (大便里见没见血, 打球的时候撞到了吧), unless that fact tells what
# happens then (开车…时) or the other is asked only by a shared word (运动的时候会不会发作). 120/120; s50 rose to 87
# (大便后那个肉疙瘩) and s54b to 117 (以前没这么痛过吧), no other set changed, no label changed. Nothing left, which says
# only that these 120 were read: the next blind set measures.
S60B = REPO / "tests" / "data" / "cases_s60b"


def test_rule_patient_on_the_session_60_second_cases():
    right, total = _blind_set_score(S60B)
    assert total == 120 and right / total >= 0.99


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("osgood-teen-knee", "你哥现在多大了，还打球吗？", ("family",)),
    ("osgood-teen-knee", "你哥也这样疼过吗？", ("family",)),
    ("postpartum-hair-loss", "侬姆妈当年生好侬以后，是不是也有过这种情况？", ("family",)),
    ("postpartum-hair-loss", "夜里向能困几个钟头啊，小囡闹伐", ("sleep",)),
    ("postpartum-hair-loss", "有没有怕冷、心慌？最近吃饭怎么样？", ("diet", "no-thyroid-sx")),
    ("postpartum-hair-loss", "你现在有没有在吃避孕药？", ()),
    ("banquet-gastroenteritis", "吃了啥药没有，另外平时有高血压这些病吗？", ("meds", "history")),
    ("banquet-gastroenteritis", "你平常有没有啥子老毛病，要天天吃药管着的？", ("history",)),
    ("banquet-gastroenteritis", "发没发烧？大便里见没见血？", ("no-blood", "fever")),
    ("banquet-gastroenteritis", "大便里应该没带血吧？", ("no-blood",)),
    ("osgood-teen-knee", "不会是打球的时候撞到了吧？", ("no-trauma",)),
    ("postpartum-hair-loss", "以前掉过这么多吗 家里人有没有类似的", ("history", "family")),
    ("alcohol-pancreatitis-proxy", "他早几年有没有因为差不多的情况在医院躺过？", ("prior",)),
    ("alcohol-pancreatitis-proxy", "以前没有这样痛过吧？", ("prior",)),
    ("alcohol-pancreatitis-proxy", "他摸上去烫不烫手？", ("fever",)),
    ("osgood-teen-knee", "现在还能正常训练吗 另外下楼梯疼不疼", ("pattern", "impact")),
    # what the rules above must not take
    ("osgood-teen-knee", "你多大了，还打球吗？", ("age", "sport")),
    ("osgood-teen-knee", "哥们你多大了？", ("age",)),
    ("osgood-teen-knee", "平时打球吗？", ("sport",)),
    ("osgood-teen-knee", "撞到过吗？", ("no-trauma",)),
    ("postpartum-hair-loss", "用过什么药没有？", ("products",)),
    ("postpartum-hair-loss", "掉得多吗？", ("amount",)),
    ("banquet-gastroenteritis", "那天吃了啥？", ("food",)),
    ("banquet-gastroenteritis", "这次吃了什么药？", ("meds",)),
    ("banquet-gastroenteritis", "大便怎么样？", ("diarrhea",)),
    ("banquet-gastroenteritis", "大便里有什么？", ("diarrhea",)),
    ("alcohol-pancreatitis-proxy", "他躺着舒服还是坐着舒服？", ("posture",)),
])
def test_session_60_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S60B)[case_id], doctor) == facts


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S59, "migraine-aura-pill", "你现在有没有在吃避孕药？", ("pill",)),  # a fact that says 避孕 is asked
    (S60B, "banquet-gastroenteritis", "以前抽血查过吗？", ()),  # 抽血 asks no fact about blood that does not say 抽
    (S53C, "panic-attack", "爬楼梯或者运动的时候会不会发作？", ("exertion",)),  # the event is the topic
    (S44, "snoring-sleepiness", "开车的时候会不会打瞌睡", ("sleepy", "driving")),  # the fact tells what happens then
    (S53, "gout-flare", "那块颜色变了没有，摸上去烫不烫手？", ("redness",)),  # a joint hot to the touch, not a fever
])
def test_session_60_second_rules_leave_earlier_cases(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 60, a third set (tests/data/cases_s60c): five cases and 120 questions (a Wuhan chef's hand
# eczema, a Wenzhou grandmother's constipation on iron, a Hakka grandmother telling her grandson's pinworms, a Tianjin
# courier's plantar wart, a swimmer's ear). First contact, with the first two sets' rules: 85/120 (0.708; terse
# 23/25, synonyms 2/25, combined 15/20, negated 13/15, absent 14/15, traps 18/20). Its misses gave everyday words
# (锉牙, 腚眼, 小活物, 啃手/嘬手, 小伙伴, 剃须片/刀片, 捂得湿乎乎, 搓澡, 啥模样, 就这一个吧, 浸在, 歇班, 消停, 劲儿冲, 作料,
# 扎得慌, 伢时候, 茶啊汤啊, 栗子/一颗颗, 憋老半天, 遛弯儿, 还有没有…在服的, 小棍棍在耳朵里转, 往外渗/流东西, 池子里扑腾,
# 蒙了层被子, 扯扯, 啃东西, 瘦下去, 消毒水) and the rules tested below: 周围 names other people only as 周围的人 (肛门周围瘙痒
# names no one, so 家里其他人也痒 is no longer the patient's itch); 家里养猫狗 asks the pets, not the household; 一次吃几毫克 is a
# dose and shares nothing with a keyword 多久一次. 113/120, no other set changed, no label changed. Left: 夜里 as the time
# of another asked symptom (夜里有没有发烧, 夜里…锉牙) still asks the night-itch fact; 屁股 as the place of another (屁股那块皮
# 抓破) still asks it; 干活 as the frame of 戴手套 asks the work; 多大年纪 also asks a size keyed 多大; 在吃什么药 does not
# ask a second medicine keyed 降压; a stool's colour yields to a stool fact keyed 大便 that tells no colour.
S60C = REPO / "tests" / "data" / "cases_s60c"


def test_rule_patient_on_the_session_60_third_cases():
    right, total = _blind_set_score(S60C)
    assert total == 120 and right / total >= 0.93


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("pinworm-child-hakka", "家里养猫狗吗？", ()),
    ("pinworm-child-hakka", "家里其他人有没有也痒的？", ("family",)),
    ("iron-constipation-wenzhou", "氨氯地平您一次吃几毫克？", ()),
    ("iron-constipation-wenzhou", "还有没有天天在服的？", ("other-meds",)),
    ("iron-constipation-wenzhou", "人没有瘦下去，对吧？", ("no-weight-loss",)),
    ("chef-hand-eczema-wuhan", "消毒水是什么牌子的，兑多少比例？", ("detergent",)),
    ("plantar-wart-tianjin", "不会就这一个吧？", ("more-spots",)),
    ("plantar-wart-tianjin", "您爱不爱去搓澡那地方泡着？", ("bathhouse",)),
    ("swimmer-ear-teen", "你是不是天天泡在池子里扑腾", ("swimming",)),
    # what the rules above must not take
    ("pinworm-child-hakka", "家里其他人也痒吗？", ("family",)),
    ("pinworm-child-hakka", "屁股周围痒不痒？", ("itch-night",)),
    ("iron-constipation-wenzhou", "多久解一次大便？", ("stool-freq",)),
    ("chef-hand-eczema-wuhan", "手泡水多吗？", ("wet-work",)),
    ("plantar-wart-tianjin", "就这一个问题，疼吗？", ("pain",)),
])
def test_session_60_third_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S60C)[case_id], doctor) == facts


# Written blind in session 61 (tests/data/cases_s61): five cases and 120 questions (shingles round an older woman's
# waist in northeastern speech, an old man's water in Sichuanese, a toddler's hand-foot-mouth told in Cantonese, a
# product manager's low mood in Chinglish, a shoe-glue worker's numb feet in Henan speech). First contact, with session
# 60's rules: 91/120 (0.758; terse 25/25, combined 17/20, negated 13/15, synonyms 7/30, absent 15/15, traps 14/15). Its
# misses gave everyday words (一半身子 两边都, 肋巴扇, 冒泡那头两天, 出水花/水花儿, 操心 熬人, 磨蹭半天, 屙不空, 拿管子引,
# 屙尿, 半夜…几道, 味儿冲, 透不透气 捂没捂, 老乡 一条线上, 踩地上没数, 打软腿, 转筋, 腿肚子, 劲头, 天没亮就睁眼, 脑子放空
# get 不到, 一了百了 end it all; Cantonese 好攰 瞓 流潺 细路 嗰度 成日) and the rules tested below: 几道 and 多快 ask; a guess
# put to confirm may run to twelve characters before its 吧; workmates (哥们儿, 老乡) are other people, and neither a
# workmate's 哥们 nor a job's 建筑公司 names a relative; a word said as the place or time of what another fact asks may
# be an everyday word for it (来事儿的时候, 干活的屋里), and a time of day before another fact's topic is that topic's
# time (晚上喝不喝酒), unless it is a count (晚上起几次夜) or the night fact tells of it (晚上疼不疼); words of taking a
# medicine said of another fact's keyword ask that fact (用过激素没有, 抗疟的药); what a thing is for (那个项目本来是做什么的)
# asks nothing of the work. 117/120 (terse 25/25, combined 20/20, negated 13/15, synonyms 29/30, absent 15/15, traps
# 15/15); s60 rose to 114 (闺女晚上跟谁一个被窝) and s60c to 115 (夜里有没有发烧, 夜里…锉牙), no other set changed, no label
# changed. Left: 应该没烧起来吧 and 跟拿火燎了似的 ask both the pain and the fever, both keyed on 烧 (火燎 stands for 烧
# because a heartburn is keyed on it: s55 fell when it did not); 一食嘢就喊 asks the eating as the time of the crying;
# 几天不睡也不累 (a question about mania) asks the sleep.
S61 = REPO / "tests" / "data" / "cases_s61"


def test_rule_patient_on_the_session_61_cases():
    right, total = _blind_set_score(S61)
    assert total == 120 and right / total >= 0.96


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("bph-nocturia-sc", "半夜三更要爬起来屙几道尿", ("nocturia",)),
    ("shingles-waist-ne", "您小的时候长没长过水花儿啊？", ("chickenpox",)),
    ("shingles-waist-ne", "是光一半身子有，还是两边肋巴扇都有？", ("location",)),
    ("shingles-waist-ne", "冒泡那头两天，那片肉皮儿有没有啥不得劲儿的", ("prodrome",)),
    ("bph-nocturia-sc", "有没有哪回胀得要死就是屙不下来，去医院拿管子引的？", ("retention",)),
    ("bph-nocturia-sc", "站到茅房里头要磨蹭半天才下来吗", ("hesitancy",)),
    ("bph-nocturia-sc", "解完了裤子一收还往外渗，老觉得屙不空？", ("dribbling",)),
    ("low-mood-pm", "你有没有过想要 end it all、一了百了的念头？", ("self-harm",)),
    ("low-mood-pm", "开 meeting 的时候脑子会不会放空，别人说的都 get 不到", ("concentration",)),
    ("glue-numb-feet", "你们刷的那玩意儿味儿冲不冲", ("solvent",)),
    ("glue-numb-feet", "脚底下是不是跟隔了层东西似的，踩地上没数？", ("numb",)),
    ("glue-numb-feet", "夜里腿肚子有没有转筋的时候？", ("cramps",)),
    ("hfmd-toddler-gz", "佢有冇好似好攰、成日想瞓、唔多理人", ("alert",)),
    ("hfmd-toddler-gz", "佢返nursery嗰度，同班啲细路有冇人都係咁？", ("daycare",)),
    ("glue-numb-feet", "一条线上的老乡有没有也这样的？", ("coworkers",)),
    ("glue-numb-feet", "干活的屋里透不透气，你脸上捂没捂啥？", ("ppe",)),
    ("bph-nocturia-sc", "平时吃啥药，晚上喝不喝酒？", ("meds", "fluids")),
    ("shingles-waist-ne", "您有糖尿病吗，用过激素没有", ("diabetes", "no-immuno")),
    ("low-mood-pm", "那个被砍的项目本来是做什么的？", ()),
    # what the rules above must not take
    ("bph-nocturia-sc", "这几道检查做完再说。", ()),
    ("bph-nocturia-sc", "晚上起几次夜？", ("nocturia",)),
    ("bph-nocturia-sc", "晚上喝不喝茶，起几次夜？", ("nocturia", "fluids")),
    ("glue-numb-feet", "你干什么工作的？", ("job",)),
    ("shingles-waist-ne", "用过什么药没有？", ("meds",)),
    ("low-mood-pm", "你是做什么的？", ("age",)),
    ("low-mood-pm", "你本来是做什么的？", ("age",)),
    ("hfmd-toddler-gz", "宝宝精神怎么样？", ("alert",)),
])
def test_session_61_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S61)[case_id], doctor) == facts


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S60, "head-lice-henan-girl", "闺女晚上跟谁一个被窝？", ("family",)),  # 晚上: the time of sharing the bed
    (S60C, "pinworm-child-hakka", "几岁了？夜里有没有发烧？", ("age", "no-fever")),  # 夜里: the time of the fever
    (S60, "frozen-shoulder-zibo", "晚上疼不疼？", ("night-pain",)),  # the night fact tells of the pain
    (S55, "reflux-trucker-dongbei", "是不是老觉得嗓子眼底下闹挺、火燎燎的？", ("heartburn",)),  # 火燎 stays 烧
])
def test_session_61_rules_leave_earlier_cases(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 61, a second set (tests/data/cases_s61b): five cases and 120 questions (a Shanghainese
# accountant's sudden deafness, heavy periods from a fibroid, an old man's falls told by his son in Cantonese, a Chengdu
# teacher's thyroid, a northeastern electrician's fever back from Angola). First contact, measured before any change
# of this session (session 60's rules): 82/120 (0.683; terse 24/25, combined
# 18/20, negated 12/15, synonyms 3/30, absent 10/15, traps 15/15). Its misses gave everyday words (头昏, 瘤子, 海外,
# 洗手间, 稀溜溜, 湿哒哒, 帐子; 杂音 电风扇, 收得着, 吵的, 忙得要死 觉不够, 一下子…还是慢慢, 换护垫, 血疙瘩, 往厕所跑, 往下沉,
# 咚咚 打鼓, 掉了几斤, 顿顿吃好多, 薄衫, 手稳不稳 歪歪扭扭, 解几回大手, 回的国 出过国, 嗡嗡的叮, 脑瓜子疼, 挨了顿揍, 撒的水儿
# 酱油色, 好眠, 揸棍, 铁通; Cantonese 企直 行路 冲凉房 跣 揸住; Shanghainese 里向 里厢 慢慢叫 一记头) and the rules of the
# first set, tested here on its cases too; 出国前 (one word to the segmenter) names a time, not the travel. 110/120
# (terse 24/25, combined 20/20, negated 15/15, synonyms 24/30, absent 12/15, traps 15/15); no earlier set changed beyond
# the first set's, no label changed. Left: 现在吃什么药 asks only the medicines fact (a sleeping-pill fact asked only
# by 药 yields to a fact asked by more: the rule that keeps 多大 from asking a size); 贴牢电话 with 左边 asks the side too;
# 像塞了团棉花 asks the hearing (棉花 stands for 听不清 since s60c's muffled ear); 上班是不是忙 asks the job; 不来事儿的那些
# 日子 asks the cycle; 头重脚轻 asks the head knock (头晕, its standard word, is in the knock's wording); 浑身打哆嗦 asks
# the aches keyed on 浑身; and three absent questions ask facts through the case's own keywords (出血 of 不规则出血, 发热
# the 热 of 怕热, 疟疾).
S61B = REPO / "tests" / "data" / "cases_s61b"


def test_rule_patient_on_the_session_61_second_cases():
    right, total = _blind_set_score(S61B)
    assert total == 120 and right / total >= 0.9


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("graves-palpitations-cd", "心跳有多快；脖子有没有变粗", ("palpitation", "neck")),
    ("heavy-period-fibroid", "应该没在吃阿司匹林之类的药吧", ("meds",)),
    ("sudden-deaf-sh", "是一记头就不灵了，还是慢慢叫变差的？", ("onset",)),
    ("sudden-deaf-sh", "耳朵里向有交关杂音伐，像开了只电风扇？", ("tinnitus",)),
    ("sudden-deaf-sh", "最近没去过特别吵的地方吧", ("noise",)),
    ("falls-elderly-hk", "冲凉房有冇装铁通俾佢揸住，地下跣唔跣？", ("home",)),
    ("fever-return-africa", "跟你一块儿干活的哥们儿有没有也这么烧过的？", ("coworkers",)),
    ("heavy-period-fibroid", "您母亲多大岁数绝经的？", ()),
    ("heavy-period-fibroid", "来事儿的时候小肚子是不是往下沉、拧着劲儿难受？", ("pain",)),
    ("heavy-period-fibroid", "那几天是不是得频繁换护垫，床单都弄脏过，还掉大血疙瘩？", ("volume",)),
    ("heavy-period-fibroid", "最近是不是老往厕所跑、跑得特勤", ("urinary",)),
    ("falls-elderly-hk", "起身会不会头晕？晚上起几次夜？", ("dizzy-standing", "nocturia")),
    ("fever-return-africa", "在那边应该没吃过抗疟的药吧", ("prophylaxis",)),
    ("fever-return-africa", "出国前打过黄热病疫苗没有", ()),
    ("fever-return-africa", "你是刚从海外工地撤下来的？", ("travel",)),
    ("graves-palpitations-cd", "一天要解几回大手，是不是稀溜溜的？", ("bowel",)),
    ("graves-palpitations-cd", "是不是心口子一直咚咚咚地打鼓，歇着都不消停？", ("palpitation",)),
    ("graves-palpitations-cd", "是不是顿顿吃好多，人反而掉了好几斤肉？", ("weight",)),
    ("fever-return-africa", "那边晚上让那些嗡嗡的叮得多不多？睡觉挂帐子不？", ("mosquito",)),
    ("fever-return-africa", "撒的水儿是不是发黄发酱，跟酱油汤子似的", ("urine",)),
    # what the rules above must not take
    ("graves-palpitations-cd", "尽快来复查，多快都行。", ()),
    ("heavy-period-fibroid", "先别在家里硬扛着吧", ()),
    ("heavy-period-fibroid", "不用再吃阿司匹林之类的药了，多喝水。", ()),
    ("heavy-period-fibroid", "您多大了？", ("age",)),
    ("heavy-period-fibroid", "来事儿准不准？", ("cycle",)),
    ("sudden-deaf-sh", "耳朵里有没有叫？", ("tinnitus",)),
    ("falls-elderly-hk", "佢同边个住？", ("age",)),
    ("fever-return-africa", "你多大了，干什么工作的？", ("age",)),
    ("fever-return-africa", "工友有没有这样的？", ("coworkers",)),
    ("fever-return-africa", "吃过什么药？", ("meds",)),
    ("fever-return-africa", "出过国吗？", ("travel",)),
    ("fever-return-africa", "耳朵里嗡嗡响吗？", ()),
])
def test_session_61_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S61B)[case_id], doctor) == facts


# Written blind in session 61, a third set (tests/data/cases_s61c): five cases and 120 questions (a Tianjin taxi
# driver's foamy urine, a Shaanxi student's bruises, a Taiwanese driver's snoring, a Wuhan child's sesame allergy told
# by his mother, a Hakka elder's tremor). First contact, with the first two sets' rules: 85/120 (0.708; terse 21/25,
# combined 18/20, negated 13/15, synonyms 8/30, absent 10/15, traps 15/15). Its misses gave everyday words (勒出印,
# 鞋…穿着发紧, 一天得造多少根, 买过啥片儿顶着, 家里老人; 查过血, 漱口…带红, 鼻窟窿 冒过血, 针尖 红星星; 出过什么状况,
# 睡到一半…没声音, 眼皮重 头一点一点, 小酌, 睡着…声音大, 身材走样 裤头紧, 半夜爬起来跑洗手间; 好些了, 那一顿, 往外漾,
# 颈子 气接不上, 奶癣; 搓丸子, 纽扣, 懒得出门 闷在屋; Hakka 几久 鼻得到 睡目 暗晡 着衫; 車 禍 撐 褲 fold to simplified) and
# the rules tested below: 还在吃 stops a medicine, but not before 奶 or 饭 (还在吃奶那阵子); a history keyword (过敏史) is
# asked by its word said of the past (以前过敏过吗); 以前没出过这种情况 asks a first-time fact as 以前…这样…过 does; an
# anti-allergy medicine (抗过敏) tells no allergy, so 对什么药物过敏 asks none of the medicines taken; 农药 and 火药 name no
# medicine; a keyword 睡觉的药 is about the medicine (晚上睡觉腿会不会抽筋 asks nothing of it); 青一块紫一块 is no
# petechia. 114/120 (terse 24/25, combined 20/20, negated 14/15, synonyms 28/30, absent 13/15, traps 15/15); s56 rose
# to 112 (以前从来没这么喘过吧), no other set changed, no label changed. Left: 肿了多久了 asks the foam fact keyed 多久,
# not the swelling (a rule that gives a since-when word to another topic named beside it, unless that is the opening
# complaint, rose s56 and s60 but lost 痒多久了 in s60c, 啥时候烫的 in s59b and 从哪年闹开的 in s57b); 开车…出过什么状况
# asks the job keyed 开车 too; 腰腿不得劲的时候 asks the swelling keyed 腿 (a one-character word as a clause's time);
# 嘴巴子…鼓起来 asks the hives (鼓起来 stands for 风团 since s51); and two absent questions ask facts through the case's
# own keywords (小便…疼不疼 the foam keyed 小便, 哮喘 the cough keyed 喘).
S61C = REPO / "tests" / "data" / "cases_s61c"


def test_rule_patient_on_the_session_61_third_cases():
    right, total = _blind_set_score(S61C)
    assert total == 120 and right / total >= 0.93


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("nephro-foam-tianjin", "鞋最近是不是穿着发紧，袜子口勒出印儿来了", ("edema",)),
    ("nephro-foam-tianjin", "您平时嘬不嘬两口？一天得造多少根？", ("smoking",)),
    ("nephro-foam-tianjin", "腰腿疼的时候，您自个儿买过啥片儿顶着没有？", ("painkiller",)),
    ("nephro-foam-tianjin", "家里老人有没有肾不好的？", ("family",)),
    ("haem-bruise-shaanxi", "查过血吗", ("blood-test",)),
    ("haem-bruise-shaanxi", "早上漱口吐出来的水带不带红", ("gums",)),
    ("haem-bruise-shaanxi", "鼻窟窿里往外冒过血没有？", ("nosebleed",)),
    ("haem-bruise-shaanxi", "小腿上有没有起那种针尖尖大的红星星？", ("petechiae",)),
    ("sleep-snore-taiwan", "睡到一半会不会突然没声音，过一阵又「哼」一大声接回来", ("apnea",)),
    ("sleep-snore-taiwan", "等紅燈的時候會不會眼皮重到撐不住，頭一點一點的", ("sleepy",)),
    ("sleep-snore-taiwan", "晚上睡着以后声音大不大，会不会吵到太太？", ("snore",)),
    ("sleep-snore-taiwan", "這幾年身材有沒有走樣，褲頭是不是越穿越緊", ("weight",)),
    ("sleep-snore-taiwan", "半夜会不会爬起来跑洗手间？", ("nocturia",)),
    ("sleep-snore-taiwan", "出过什么意外没有？", ("accident",)),
    ("sleep-snore-taiwan", "晚上睡觉腿会不会抽筋，或者腿不舒服一直想动？", ()),
    ("allergy-sesame-wuhan", "以前过敏过吗", ("prior",)),
    ("allergy-sesame-wuhan", "以前没出过这种情况吧？", ("prior",)),
    ("allergy-sesame-wuhan", "现在好些了吗？", ("now",)),
    ("allergy-sesame-wuhan", "发病前那一顿是在屋里弄的，还是在外头摊子上买的？", ("trigger",)),
    ("allergy-sesame-wuhan", "伢有冇反胃、往外漾", ("vomit",)),
    ("allergy-sesame-wuhan", "他当时有冇说颈子里头发紧、气接不上来？", ("cough",)),
    ("allergy-sesame-wuhan", "他还在吃奶那阵子，脸上身上长没长过奶癣？", ("eczema",)),
    ("allergy-sesame-wuhan", "他对什么药物过敏吗？", ()),
    ("neuro-tremor-hakka", "坐着不动的时候，右边指头会不会像搓丸子一样一直动，有几久了", ("tremor",)),
    ("neuro-tremor-hakka", "炒菜香不香，你还鼻得到冇？", ("smell",)),
    ("neuro-tremor-hakka", "暗晡夜睡目的时候有冇大喊大叫、拳打脚踢？", ("dream",)),
    ("neuro-tremor-hakka", "着衫系纽扣是不是比以前费工夫？", ("slow",)),
    ("neuro-tremor-hakka", "退休以后是不是懒得出门，整天闷在屋下？", ("mood",)),
    ("neuro-tremor-hakka", "年轻时有没有接触过农药？", ()),
    # what the rules above must not take
    ("nephro-foam-tianjin", "头发一天掉多少根？", ()),
    ("nephro-foam-tianjin", "家里有几口人？", ()),
    ("haem-bruise-shaanxi", "身上有没有青一块紫一块的？", ("bruises",)),
    ("haem-bruise-shaanxi", "先去抽血查个血常规。", ()),
    ("sleep-snore-taiwan", "说话会不会突然没声音？", ()),
    ("sleep-snore-taiwan", "吃过睡觉的药吗？", ("no-hypnotics",)),
    ("sleep-snore-taiwan", "睡觉打呼吗？", ("snore",)),
    ("allergy-sesame-wuhan", "对什么过敏？", ()),
    ("allergy-sesame-wuhan", "吃过什么抗过敏的药？", ("treatment",)),
    ("neuro-tremor-hakka", "吃什么药？", ("flunarizine",)),
    ("neuro-tremor-hakka", "鼻子不通气吗？", ("smell",)),
])
def test_session_61_third_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S61C)[case_id], doctor) == facts


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S56, "night-wheeze-teen", "以前从来没这么喘过吧？", ("onset",)),  # 以前…这么…过 asks the first-time fact
    (S44, "heavy-menstrual-bleeding", "查过血常规吗？", ()),  # 查过血 is no blood test before 常规: the case keys its own
])
def test_session_61_third_rules_leave_earlier_cases(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 62 (tests/data/cases_s62): five cases and 120 questions (a toddler's febrile fit told by his
# northeastern grandmother, itching late in pregnancy, an old man's gout, a teenager's acne and low mood with some
# Cantonese, a steel-fixer's crushed finger). First contact, with session 61's rules: 98/120 (0.817; terse 24/25,
# combined 19/20, negated 14/15, synonyms 12/30, absent 15/15, traps 14/15). Its misses, with those of the two sets below,
# gave everyday words (纸裤, 米糊, 串门, 胸口疼, 雾蒙蒙, 吸不进, 没血色, 地热, 嘎巴, 人事不知, 方子, 打圈圈 转圈, 一抹黑, 软塌塌,
# 闪着, 疯狗病, 连轴转, 兜得住, 孕检, 手指盖, 夯着, 功课, 鼻子堵, 片片 丸丸, 零嘴, 血稠, 揪着, 够月份, 趟数, 力气; 刚…又想去,
# 水喝得, 两口子…亲热, 水…冲, 狗…扎过针, 自己凑过去撩, 种…苗, 咋整的, 迈步子, 一下地, 药…换过, 一顿能吃多少, 撂下碗, 身上黏糊,
# 嫌…闷, 喉咙下边, 鼓出来, 瞅人…花, 平时没什么病, 捏着鼻子, 小半碗, 挨过一下, 眼珠子往哪, 后来还犯过, 喊…有反应, 胳膊腿…啥样,
# 沾…土, 勾得起来 正不正, 上…险, 忍不住…掐, 觉出来, 被子…受不住, 有多厉害, 塞了啥压一压, 脑门子湿, 气儿接得上, 坠了块石头,
# 疼起来是什么感觉, 眼睛不黄, 你娘, 你老爷子, 哪只脚, 哪些地方, 蹲大号; 往鼻孔里掏 now stands for picking, not 鼻屎) and the
# rules tested below: 多大工夫 and 多大会儿 ask how long, not how old, and 没多久 asks nothing; 您看行吗 after advice asks
# nothing, nor does 记下…多长时间 (what to note next time); 那只泰迪几岁了 is an animal's age (只, 条 and 头 count animals);
# 干什么的时候疼 asks the activity, not the work; 跟同岁的比 asks no age; 晕起来 is no standing up for a keyword 起来; 量过 is
# the verb, no amount keyed 量; 这种 is no 种; a count asks the count of a topic named by a word (起夜几次), not a time fact
# (尿血几次 still asks the onset keyed 几次, 血 being one character); a word said as the place of what a one-character
# keyword asks (大便里没带血吧) is no topic it yields to; a question put to the patient before a clause about others is
# asked (您多大岁数，家里老人…); 一天几次 after a dose asked (一次吃几片) asks no fact of the illness; a one-character symptom
# said of another fact's place asks the fact that tells it there (腰疼不疼 and 腰上不疼吧 ask 腰不疼, not the pain of passing
# water); a word of where asks the fact whose wording tells where (哪边腿麻: 左小腿外侧), and a one-character keyword does
# not yield to it. 119/120 (terse 25/25, combined 20/20, negated 15/15, synonyms 29/30, absent 15/15, traps 15/15).
# Earlier sets rose: s53 to 118 (腰不疼吧), s53c to 110 (大便里没有血吧, 宿舍里没养猫狗吧), s55b to 113 (…一直串到哪儿),
# s55c to 109 (大便里没有血吧), s56b to 111 (你多大了，家里有人有这种病没); no set fell, no label changed. Left: 后来还犯过没有
# asks the fit (犯过 stands for 发作过, a keyword of the fit) and the count fact yields to it.
S62 = REPO / "tests" / "data" / "cases_s62"


def test_rule_patient_on_the_session_62_cases():
    right, total = _blind_set_score(S62)
    assert total == 120 and right / total >= 0.99


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("febrile-seizure-toddler", "犯病那会儿孩子胳膊腿儿是啥样，眼珠子往哪边瞅？", ("seizure",)),
    ("febrile-seizure-toddler", "这阵儿孩子跟您亲不亲，喊他有反应不？", ("now-alert",)),
    ("febrile-seizure-toddler", "这两天娃淌不淌清水样的东西，鼻子堵不堵？", ("cold",)),
    ("febrile-seizure-toddler", "娃是怀够月份生的不？跟同岁的比，会走会叫人不？", ("development",)),
    ("febrile-seizure-toddler", "下回再抽，先让他侧躺，别往嘴里塞东西，记下抽了多长时间。", ()),
    ("itch-late-pregnancy", "你娘怀你那会儿，有没有也这么刺挠过？", ("family",)),
    ("itch-late-pregnancy", "眼睛不黄吧？", ("no-jaundice",)),
    ("gout-flare-elder", "哪只脚？", ("site",)),
    ("gout-flare-elder", "昨儿晚上难受的时候，自个儿往嘴里塞了啥压一压没有？", ("self-med",)),
    ("acne-low-mood-teen", "你最近仲肯唔肯返学㗎？功课跟唔跟得上？", ("school",)),
    ("acne-low-mood-teen", "痘痘长了多久，最近有没有加重？都长在哪些地方？", ("duration", "distribution")),
    ("crushed-finger-worker", "手指盖儿还在上面吗？", ("nail",)),
    ("crushed-finger-worker", "老板给你上没上那种出了事管赔的险？", ("insurance",)),
    ("crushed-finger-worker", "你掐一下指头尖儿，能觉出来不", ("numb",)),
    # what the rules above must not take
    ("febrile-seizure-toddler", "孩子多大了？", ("age",)),
    ("febrile-seizure-toddler", "抽了多长时间？", ("seizure-length",)),
    ("gout-flare-elder", "前天吃了啥？", ("trigger",)),
    ("acne-low-mood-teen", "痘痘长哪儿？", ("distribution",)),
    ("crushed-finger-worker", "哪个手指？", ("which-finger",)),
    ("itch-late-pregnancy", "尿黄不黄？", ("urine-dark",)),
    ("itch-late-pregnancy", "你妈怀你的时候痒过吗？", ("family",)),
])
def test_session_62_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S62)[case_id], doctor) == facts


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S53, "uti-older-woman", "腰不疼吧？", ("flank",)),  # 疼 said of the place the flank fact tells of
    (S53C, "child-febrile-diarrhea", "大便里没有血吧？", ("no-blood",)),  # 大便里: the place of the blood
    (S53C, "scabies-dorm", "宿舍里没养猫狗吧？", ("pets",)),
    (S55B, "neck-arm-numb", "右手是不是像过电一样，有针扎、蚂蚁爬的感觉，一直串到哪儿？", ("numb-radiation",)),
    (S56B, "oral-ulcer-arthralgia", "你多大了，家里有人有这种病没", ("age", "family")),  # asked before the others
])
def test_session_62_rules_raise_earlier_cases(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 62, a second set (tests/data/cases_s62b): five cases and 120 questions (a young woman's
# cystitis, an old taxi driver's chest pain on exertion, a child's dog bite told in Sichuanese, an office worker's
# sciatica in northeastern speech, an old teacher's dizziness on standing). First contact, measured before any change of
# this session (session 61's rules, commit b4db35f): 84/120 (0.700; terse 25/25, combined 14/20, negated 11/15,
# synonyms 9/30, absent 13/15, traps 12/15). Its misses gave the words and rules of the first set above. 113/120 (terse
# 25/25, combined 19/20, negated 14/15, synonyms 27/30, absent 13/15, traps 15/15); no label changed. Left: 躺着不动的时候
# 不疼吧 asks the relief keyed 休息 too (躺着不动 stands for 休息时); 挨过防疯狗病的针 asks the childhood vaccines too (挨…针
# and 防…针 stand for 打针 and 预防针); 光在腰上，还是顺着腿往下走 and 腰那儿会不会猛地一抽 ask the site keyed 腰 beside the
# radiation and the cough; 降压药最近换过没有 asks the blood-pressure fact keyed 降压; and two absent questions about the dog
# (咬过别的人, 精神、吃食) ask the owner's fact, which the case keys on 狗.
S62B = REPO / "tests" / "data" / "cases_s62b"


def test_rule_patient_on_the_session_62_second_cases():
    right, total = _blind_set_score(S62B)
    assert total == 120 and right / total >= 0.94


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("cystitis-young-woman", "是不是刚解完手没多大工夫又想去？", ("frequency",)),
    ("cystitis-young-woman", "发烧吗？腰疼不疼？", ("no-fever", "no-flank-pain")),
    ("cystitis-young-woman", "腰上不疼吧？", ("no-flank-pain",)),
    ("cystitis-young-woman", "三金片一次吃几片，一天几次？", ()),
    ("exertional-chest-pain", "您多大岁数，家里老人有没有心脏病？", ("age", "family")),
    ("exertional-chest-pain", "一般是干什么的时候疼？疼起来是什么感觉？", ("trigger", "character")),
    ("exertional-chest-pain", "你老爷子、老娘心脏有没有毛病？", ("family",)),
    ("dog-bite-child", "你们邻居家那只泰迪几岁了？", ()),
    ("dog-bite-child", "那条狗平常有没有去宠物医院扎过针？", ("dog-vaccine",)),
    ("low-back-sciatica-office", "疼了多久了？哪边腿麻？", ("onset", "numbness")),
    ("low-back-sciatica-office", "这腰是咋整的，闪着了还是咋的？", ("onset",)),
    ("orthostatic-dizziness-elderly", "晕起来是屋子跟着打圈圈，还是脑袋发空、眼前一抹黑？", ("character",)),
    ("orthostatic-dizziness-elderly", "先把那个新加的利尿剂停了，下周带血压记录来门诊，您看行吗？", ()),
    # what the rules above must not take
    ("cystitis-young-woman", "尿的时候疼不疼？", ("dysuria",)),
    ("cystitis-young-woman", "一天上几次厕所？", ("frequency",)),
    ("cystitis-young-woman", "疼了多长时间了？", ("onset",)),
    ("exertional-chest-pain", "您是干什么的？", ("age",)),
    ("exertional-chest-pain", "家里老人有没有心脏病？", ("family",)),
    ("dog-bite-child", "孩子几岁了？", ("age",)),
    ("low-back-sciatica-office", "腰哪边疼？", ("pain-site",)),
    ("orthostatic-dizziness-elderly", "是不是一站起来就晕？", ("pattern",)),
    ("orthostatic-dizziness-elderly", "家里量的血压多少？", ("bp-home",)),
])
def test_session_62_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S62B)[case_id], doctor) == facts


# Written blind in session 62, a third set (tests/data/cases_s62c): five cases and 120 questions (an old fitter's painless
# haematuria, an infant's diarrhoea told by his mother, a young woman's palpitations and weight loss, a farmer's
# organophosphate spraying, a schoolboy's nosebleeds). First contact, with session 61's rules: 94/120 (0.783; terse
# 25/25, combined 18/20, negated 11/15, synonyms 12/30, absent 13/15, traps 15/15). Its misses gave the words and rules of
# the first set above. 119/120 (terse 25/25, combined 20/20, negated 14/15, synonyms 30/30, absent 15/15, traps 15/15); no
# label changed. Left: 你没喝农药吧 asks the pesticide fact keyed 农药, not the drinking keyed 喝.
S62C = REPO / "tests" / "data" / "cases_s62c"


def test_rule_patient_on_the_session_62_third_cases():
    right, total = _blind_set_score(S62C)
    assert total == 120 and right / total >= 0.99


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("infant-diarrhoea", "大便里没带血吧？", ("no-blood",)),
    ("infant-diarrhoea", "今天换下来的纸裤沉不沉？湿了几片？", ("urine",)),
    ("hematuria-elder", "晚上起夜几次，平时喝水多吗", ("luts", "water")),
    ("hematuria-elder", "这红尿头一回是哪天瞅见的", ("onset",)),
    ("pesticide-farmer", "今儿在地里忙活了多大工夫？脸上手上捂没捂严实？", ("exposure",)),
    ("pesticide-farmer", "以前打药的时候有过这种反应吗？", ()),
    ("nosebleed-student", "血压量过吗？", ()),
    ("nosebleed-student", "他是不是爱拿手指头往鼻孔里掏？", ("trigger",)),
    ("nosebleed-student", "每回淌出来有小半碗吗？捏着鼻子得捏多大会儿才不淌？", ("amount",)),
    ("palpitations-weightloss", "这阵子蹲大号的趟数跟以前比有变化没", ("stool",)),
    ("palpitations-weightloss", "没有胸口疼吧？", ("no-chest-pain",)),
    # what the rules above must not take
    ("hematuria-elder", "尿血几次了？", ("onset",)),
    ("hematuria-elder", "什么时候开始的？", ("onset",)),
    ("infant-diarrhoea", "一天拉几次？", ("stool",)),
    ("infant-diarrhoea", "蒙脱石散一次喂几包，一天几次？", ("meds",)),
    ("pesticide-farmer", "你多大了？", ("age",)),
    ("pesticide-farmer", "家里种什么？", ("age",)),
    ("pesticide-farmer", "喷了多长时间？", ("exposure",)),
    ("nosebleed-student", "流出来量多不多？", ("amount",)),
    ("infant-diarrhoea", "一般大便几次？", ("stool",)),
])
def test_session_62_third_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S62C)[case_id], doctor) == facts


# Written blind in session 63 (tests/data/cases_s63): five cases and 120 questions (a preschooler's limp told by his
# northern mother, low mood after childbirth with English words, an old man's confusion at night, a schoolgirl's heavy
# periods, a toddler's constipation in Sichuanese). First contact, with session 62's rules: 92/120 (0.767; terse 24/25,
# combined 18/20, negated 11/15, synonyms 9/25, absent 14/15, traps 16/20). Its misses, with those of the two sets below,
# gave everyday words (天黑 擦黑, 心理医生, 大舌头, 乳晕, 夜用, 褥子, 渗到, 内内 裤衩, 屎印, 挑嘴, 绿叶菜, 不通气, 长假, 生鲜 香料,
# 油污, 徒手, 还敢, 窗帘, 铁末 火星子, 罩子, 飞虫, 脚掌 脚心, 黄汤, 冲鼻子, 陷进去 压下去, 打孔, 填过 牙医) and patterns (打哪天起,
# 从…掉下来, 撞到, 两腿粗细, 提不起劲, 犯糊涂的时候都干些啥, 隔多长日子, 一块块青, 刷牙…带红, 一抽一抽, 上下牙分开 塞得进…指,
# 屋子在转, 忍不住想去抠, 皲开, 手…湿湿的, 多久发一次, 眼前…虫子, 打灯, 黑了一片, 瞅东西利索, 往上面弄过啥, 在天上待, 喝了些啥,
# 做…动作, 膝盖下面, 换过药, 扎过啥针, 咬得一身包, 身上冒出来的), Cantonese 喺度 捱夜 返工 谷住 边度 攞, the traditional 摳 縫 廚
# 強 東 鮮 皸 蔥, and the rules tested below: 这几天 and 那几天 count no days of any fact where the clause asks a topic of its
# own (这几天肚子舒服吗: not the return keyed 几天; 说说这几天的情况 still asks it, and 头两天 or 前几天 stay a time a fact may be
# keyed on); a verb with 过 or 了 closed by 没 before a comma asks (处理过没，像是填过东西那种); 那儿, 那里, 这儿 after a word and
# 带 after it make it the place of another fact's symptom (膝盖那儿没肿吧 asks the swelling, 大便带血吗 the blood); the second
# 疼 of 咽口水疼不疼 is said of the same place; 大舌头 is no head; 同行的人 and 一起去的人 are other people, and 家里应该没人…,
# 家里还有别人… are about the family; a two-character keyword split by 过 or 了 (换过药) is that keyword where another fact's
# one character is inside it; 记一下用了几片 is what to note. 111/120 (0.925; terse 25/25, combined 19/20, negated 14/15,
# synonyms 22/25, absent 14/15, traps 17/20); no label or keyword changed. Left: 撞到哪儿 asks the pain's site keyed 哪儿疼
# too; 感冒吃的是啥药 asks the medicines fact (美林) beside the cold's; 不想活 stands for 情绪 and 心情 too, so the low mood is
# asked beside the thoughts of harm; 上茅房的趟数 names no urine (a toilet's visits may be either); 以前没这样过吧 asks the
# chronic illnesses through 病史, the onset fact having no 第一次; 第一次来月经是几岁 asks the age keyed 几岁 too; 跑800米
# becomes 跑量 and asks the volume keyed 量; 只在经期喝 asks the duration keyed 经期; 几个月开始加辅食 asks the onset keyed 开始.
S63 = REPO / "tests" / "data" / "cases_s63"


def test_rule_patient_on_the_session_63_cases():
    right, total = _blind_set_score(S63)
    assert total == 120 and right / total >= 0.92


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("limp-preschooler", "娃打哪天起走道儿不得劲的", ("onset",)),
    ("limp-preschooler", "膝盖那儿没肿吧？", ("no-swelling",)),
    ("limp-preschooler", "那条腿跟另一条比，粗细一样不，颜色有没有变", ("no-swelling",)),
    ("postpartum-low-mood", "以前那些追剧啊购物啊，现在还提得起劲吗？", ("interest",)),
    ("night-confusion-elderly", "他犯迷糊是不是一到天黑就来？", ("pattern",)),
    ("night-confusion-elderly", "他一条胳膊一条腿有没有使不上劲儿，讲话大舌头不？", ("no-weakness",)),
    ("teen-menorrhagia", "最猛的那几天，一片夜用的能撑多长时间？", ("volume",)),
    ("teen-menorrhagia", "家里应该没人有出血方面的毛病吧？", ("family",)),
    ("teen-menorrhagia", "先去查个血常规、铁蛋白和凝血功能，这个月起每天记一下用了几片卫生巾。", ()),
    ("toddler-constipation", "大便带血吗？", ("blood",)),
    # what the rules above must not take
    ("limp-preschooler", "膝盖疼不疼？", ("pain-site",)),
    ("limp-preschooler", "什么时候开始的？", ("onset",)),
    ("teen-menorrhagia", "一次来几天？", ("duration",)),
    ("toddler-constipation", "大便什么样？", ("stool",)),
])
def test_session_63_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S63)[case_id], doctor) == facts


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S58B, "teen-irregular-period-acne", "亲戚一般隔多少天来串一次门？", ("cycle",)),  # 隔多少天: the interval
    # 家里其他人有没有也痒的 after a numbered item: the family is asked beside the skin
    (S60C, "pinworm-child-hakka", "阿婆，我问两样：1）屁股那块皮有没有抓破？2）家里其他人有没有也痒的？", ("family", "skin")),
])
def test_session_63_rules_raise_earlier_cases(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 63, a second set (tests/data/cases_s63b): five cases and 120 questions (a Hong Kong clerk's
# sudden hearing loss in Cantonese, a toothache with a swollen face in terse replies, a Taiwanese cook's hand eczema in
# traditional characters, a student's panic attacks, a myope's floaters and flashes in northern speech). First contact,
# with session 62's rules: 95/120 (0.792; terse 25/25, combined 16/20, negated 13/15, synonyms 15/32, absent 14/15,
# traps 12/13). Its misses gave the words and rules of the first set above. 112/120 (0.933; terse 25/25, combined 19/20,
# negated 13/15, synonyms 29/32, absent 14/15, traps 12/13); no label or keyword changed. Left: 左邊耳仔 asks the side
# keyed 左 beside the fullness; 喺邊度攞藥 asks the ear drops, a fact about the pharmacy, so the service clause stays; 流鼻水
# asks the water contact keyed 水 and 打噴嚏 no allergy; 以前應該沒有這種皮膚問題吧 asks the onset only through 以前, a generic
# word; 確診過哮喘 asks the symptoms keyed 喘 (哮喘 is headed by 喘); 戴着镜子 asks the myopia keyed 眼镜, and 黑影 stands for
# 模糊 and asks the sight; 挡住一块 asks no curtain keyed 挡 (挡住 is read as another word).
S63B = REPO / "tests" / "data" / "cases_s63b"


def test_rule_patient_on_the_session_63_second_cases():
    right, total = _blind_set_score(S63B)
    assert total == 120 and right / total >= 0.93


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("sudden-hearing-loss-hk", "發病嗰日有冇覺得成間屋喺度轉？", ("vertigo",)),
    ("sudden-hearing-loss-hk", "最近有冇捱夜、返工好辛苦？", ("stress",)),
    ("toothache-facial-swelling", "这颗牙早先找牙医处理过没，像是填过东西那种", ("filling",)),
    ("toothache-facial-swelling", "上下牙能分开多宽，塞得进几根手指头", ("trismus",)),
    ("toothache-facial-swelling", "咽口水疼不疼、喘气费不费劲？另外嘴能张多大？", ("trismus", "swallow")),
    ("hand-eczema-cook", "那片皮膚會不會讓你一直忍不住想去摳？", ("itch",)),
    ("hand-eczema-cook", "廚房去油污那些強效的東西，你平常會直接徒手碰嗎？", ("detergent",)),
    ("panic-attacks-student", "多久发一次，每次多长时间？", ("frequency", "duration")),
    ("floaters-flashes-myope", "眼角那块儿会不会跟照相机打灯那样嗖一下亮？", ("flashes",)),
    # what the rules above must not take
    ("toothache-facial-swelling", "疼不疼？", ("pain",)),
    ("panic-attacks-student", "第一次发作是什么时候？", ("first",)),
    ("floaters-flashes-myope", "近视多少度？", ("myopia",)),
])
def test_session_63_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S63B)[case_id], doctor) == facts


# Written blind in session 63, a third set (tests/data/cases_s63c): five cases and 120 questions (an old diabetic's foot
# wound told by her daughter, a leg swollen after a long flight with English words, a welder's eyes in northeastern
# speech, a knee after arthroscopy in terse replies, fever and a rash after a seaside trip with emoji). First contact,
# with session 62's rules: 95/120 (0.792; terse 24/25, combined 16/20, negated 14/15, synonyms 8/25, absent 13/15, traps
# 20/20). Its misses gave the words and rules of the first set above. 114/120 (0.950; terse 25/25, combined 17/20,
# negated 14/15, synonyms 24/25, absent 14/15, traps 20/20); no label or keyword changed. Left: 脚面鼓起来 stands for
# 水泡 too and asks the blister's history; 焊了多久 asks the onset keyed 多久, and the mask fact is not keyed on 焊; 隐形眼镜
# asks the welding fact keyed 眼镜 beside the contact lenses; 伤口没自己动过吧 asks the wound, not the dressing; 术前膝盖
# asks the operation keyed 膝盖; 身上哪里疼 yields its 疼 to the rash keyed 身上.
S63C = REPO / "tests" / "data" / "cases_s63c"


def test_rule_patient_on_the_session_63_third_cases():
    right, total = _blind_set_score(S63C)
    assert total == 120 and right / total >= 0.94


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("diabetic-foot-wound", "这几个礼拜你们在家都往上面弄过些啥东西？", ("self-treat",)),
    ("diabetic-foot-wound", "家里还有别人有糖尿病吗？", ()),
    ("flight-leg-swelling", "路上空乘递过来的东西你都喝了些啥？", ("drinks",)),
    ("welder-eye-pain", "焊的时候脸前头挡没挡那个黑玻璃罩子", ("welding-no-mask",)),
    ("welder-eye-pain", "这一宿你自个儿往眼睛里整过啥没有，拿毛巾捂过没", ("self-treat",)),
    ("knee-post-arthroscopy", "伤口渗不渗液，最近自己换过药吗", ("incisions", "dressing")),
    ("knee-post-arthroscopy", "膝盖下面到脚脖子那一段有没有胀得发紧？", ("calf",)),
    ("sea-fever-rash", "同行的人有发烧吗？", ("companion",)),
    ("sea-fever-rash", "这几天肚子舒服吗，跑厕所的次数多不多，吃东西反不反胃", ("gi",)),
    # what the rules above must not take
    ("sea-fever-rash", "发烧吗？", ("fever",)),
    ("sea-fever-rash", "回来几天了？", ("return",)),
    ("knee-post-arthroscopy", "吃什么药？", ("meds",)),
])
def test_session_63_third_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S63C)[case_id], doctor) == facts


# Written blind in session 63, a fourth set (tests/data/cases_s63d), by writers who never saw the code, after the rules of
# the three sets above: four cases and 96 questions (an old woman's shoulder after a fall told by her child, a truck
# driver's insomnia and snoring in northern speech, a child's nosebleeds told by a parent with English words, bloating and weight loss in
# terse replies). First contact, with the rules of the sets above: 80/96 (0.833; terse 20/20, combined 14/16, negated
# 12/12, synonyms 11/24, absent 11/12, traps 12/12). Its misses, with those of the fifth set below, gave everyday words
# (乌印 紫印, 顶得慌, 动筷子, 打盹, 四肢, 湿润, 喷剂, 彩超 筛查, 娘家, 骨量 骨脆, 清涕, 一睁眼, 提神) and patterns (怎么倒下去的
# 手先着的地, 摸到后脑勺, 跌过跤, 嗓子眼儿里动静, 嗓子冒烟, 啥点儿躺下, 血才不往外冒, 同一边, 亲戚里, 憋半天劲, 完事儿以后裤裆湿,
# 往肚里灌, 磕着碰着, 下面那个腺体 脖子上那个腺体, 透不透得过来, 脖子勒得慌, 换季打喷嚏, 做哪行, 以前有过吗, 以前…没出过事,
# 揣了只兔子 咯噔 停一拍, 活儿赶 心里绷, 持续多久, 捂不热, 是多是少 深还是浅, 馋冰箱里的, 没什么劲, 舌边一圈牙印; 鼓起来 said of
# the lips, eyes or face is a swelling, not a wheal), and the rules tested below: 几点 before an attack (几点发作) asks when it
# comes, not the bedtime keyed 几点; 有时 (sometimes) in a fact tells no time it happens at; a clause that is only a time
# (每回来事儿的时候，…) frames the next clause; a time of day that dates an event (半夜上厕所的时候有没有磕着) claims no clause
# from another fact's one-character keyword; 大人 opening a clause is other people. 95/96 (0.990; terse 20/20, combined
# 16/16, negated 12/12, synonyms 24/24, absent 11/12, traps 12/12); no label or keyword changed. Left: 吃东西咽得下去吗 asks
# the appetite, 咽得下 standing for 胃口 since an earlier set (the case tells no swallowing).
S63D = REPO / "tests" / "data" / "cases_s63d"


def test_rule_patient_on_the_session_63_fourth_cases():
    right, total = _blind_set_score(S63D)
    assert total == 96 and right / total >= 0.98


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("shoulder-fall-grandma", "当时是怎么倒下去的，手先着的地还是肩膀先着的地？", ("onset",)),
    ("shoulder-fall-grandma", "她右手现在能摸到自己的后脑勺吗？", ("lift",)),
    ("shoulder-fall-grandma", "这一年里她还跌过跤没有？", ("falls-before",)),
    ("snore-insomnia-trucker", "你睡着以后家里人说过你嗓子眼儿里动静大不大？", ("snoring",)),
    ("snore-insomnia-trucker", "你一般啥点儿收车，啥点儿躺下？", ("schedule",)),
    ("child-nosebleed", "每次要过多久血才不往外冒了？", ("stop",)),
    ("child-nosebleed", "你们屋里冬天湿不湿润，大人早上起来嗓子会不会发紧？", ("dry-room",)),
    # what the rules above must not take
    ("shoulder-fall-grandma", "什么时候摔的？", ("onset",)),
    ("snore-insomnia-trucker", "晚上睡得着吗？", ("waking",)),
    ("child-nosebleed", "早上起床的时候容易流吗？", ("trigger",)),
])
def test_session_63_fourth_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S63D)[case_id], doctor) == facts


# Written blind in session 63, a fifth set (tests/data/cases_s63e), by writers who never saw the code: four cases and 96
# questions (an old man's nocturia told by his northeastern daughter, hives after seafood in terse replies, palpitations and coffee in a
# chatty young office worker, a TCM-minded woman's cold hands and irregular periods in Cantonese). First contact, with the rules
# of the sets above: 74/96 (0.771; terse 19/20, combined 15/16, negated 10/12, synonyms 6/24, absent 8/8, traps 16/16).
# Its misses gave the words and rules of the fourth set above. 94/96 (0.979; terse 20/20, combined 16/16, negated
# 11/12, synonyms 23/24, absent 8/8, traps 16/16); no label or keyword changed. Left: 单位里活儿是不是特别赶 asks the job
# (told with the age, keyed 职业 through 活儿) beside the stress; 来月经不会肚子痛吧 asks the cycle beside the pain, the
# period said before the pain without 的时候 (a rule taking 来月经 + a symptom as a time would risk the cycle's questions).
S63E = REPO / "tests" / "data" / "cases_s63e"


def test_rule_patient_on_the_session_63_fifth_cases():
    right, total = _blind_set_score(S63E)
    assert total == 96 and right / total >= 0.97


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("nocturia-old-man", "老爷子半夜上厕所的时候有没有磕着碰着过？", ("fall",)),
    ("nocturia-old-man", "老爷子完事儿以后裤裆会不会湿一小块？", ("dribble",)),
    ("seafood-hives", "嘴巴和眼睛周围有没有鼓起来？", ("swelling",)),
    ("seafood-hives", "以前有过吗？", ("prior",)),
    ("coffee-palpitations", "一般几点发作，一次持续多久？", ("onset", "feel")),
    ("coffee-palpitations", "你娘家那边有谁脖子上那个腺体出过毛病吗", ("family",)),
    ("tcm-cold-hands", "每回来事儿的时候，那个血是多是少、深还是浅？", ("flow",)),
    # what the rules above must not take
    ("coffee-palpitations", "几点睡？", ("sleep",)),
    ("nocturia-old-man", "晚上起几次夜？", ("nocturia",)),
    ("seafood-hives", "身上起的疙瘩是鼓起来的吗？", ("wheals",)),
    ("tcm-cold-hands", "月经准不准？", ("cycle",)),
])
def test_session_63_fifth_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S63E)[case_id], doctor) == facts


def test_session_63_fourth_and_fifth_rules_raise_an_earlier_case():
    """鼓起来 said of the mouth is a swelling, not the hives (session 61's third set rose by one)."""
    case = _cases_in(S61C)["allergy-sesame-wuhan"]
    assert asked_facts(case, "嘴巴子是不是鼓起来了，眼睛有没有泡起来？") == ("lips",)


# Written blind in session 64 (tests/data/cases_s64, cases_s64b, cases_s64c), by writers who never saw the code: three sets of
# four cases and 96 questions. The first: a teenager's basketball knee told by his father, shingles in an old woman, gout in a
# Cantonese cook, a toddler's ear told by his grandmother in traditional characters. The second: a child's nosebleeds, a
# farmer's chronic cough in northern speech, a Taiwanese clerk's numb hand in traditional characters (its keywords too), low
# mood after childbirth told by the husband. The third: sudden hearing loss in a northeastern manager, a schoolgirl's panic
# attacks, an old man's swollen ankles told by his daughter, itching late in pregnancy in traditional characters. First
# contact, with the rules of the sets above: 80/96 (terse 20/20, combined 14/16, negated 12/12, synonyms 9/20, absent 12/12,
# traps 13/16), 77/96 (terse 19/20, combined 12/16, negated 12/12, synonyms 6/20, absent 12/12, traps 16/16) and 78/96
# (terse 19/20, combined 16/16, negated 12/12, synonyms 6/20, absent 10/12, traps 15/16). Their misses gave everyday words
# (水花, 打小, 进食, 搭把手, 乐呵, 精神科, 火炕 炉子, 凌晨, 使不上力, 键盘 鼠标, 打旋, 开溜, 腊肉 榨菜, 老老实实 一顿不落, 巴掌心,
# 白仁, 阖眼, 聚会 聚餐, 皮色, 花粉, 位置; Cantonese 琴晚, 边种, 平日, 搞节目) and patterns (膝盖一闪, 要脱出来, 给他弄了些什么,
# 什么滋味, 像开水烫着, 撑得住重量, 在家带, 淌出啥, 蹭鼻子, 往鼻子里喷, 口子…血老半天不停, 两口子 爷爷奶奶那辈, 咯出来, 白的还是黄的,
# 靠啥暖和, 把你弄醒 麻醒, 哪些动作…特别麻, 后脑勺下面, 去诊所挂号, 弄什么东西来缓解, 像坐飞机, 点上几根, 最早一回, 摁一下 留个印子,
# 平着睡 半坐着, 味儿重 口重, 肚子里踹, 像乌龙茶, 小号出来, 当姑娘那会儿, 还愿意干, 固定吃的药, 脑袋发飘, 床上转个身), the
# traditional 妳 襯 鍵 牽 變 蠟 烏 龍 辦 闔 釦, and the rules tested below: a case written in traditional characters is read in
# simplified ones, keywords too (受過傷, 無力); a question word that begins a combination the segmenter built itself (哪天伤) is said; a
# season frames what is asked as a time of day does (冬天屋里靠啥暖和), and a time of day claims no clause from another fact's
# one-character keyword (晚上能阖眼吗); a question before a clause about others that names no one is the patient's (身上有没有淤青，
# 家里有没有人…); others of the patient's team or class (他们队里别的孩子, 他班上那几个小朋友) and a child's parents and grandparents
# (你们两口子, 爷爷奶奶那辈) are other people; how long a remedy was applied (贴了多久) is no onset; 第一次发作 tells no episodes, so
# 每次持续多久 asks no onset; a medicine taken at the time of another fact (感冒那会儿吃的什么药) is not the regular one; a fact asked
# only by the standard words of an everyday word that is mostly another fact's keyword (撞到: 撞, standing for 碰 too) yields to
# that fact; 去诊所挂号 is a visit, not a question about registering; 觉 of 觉得 is no sleep, nor 抽过电子烟 a fit or 过电 tingling.
# 96/96, 96/96 and 96/96. Data changed: three generic keywords the writers clearly meant as something specific (平时 of the
# regular medicines: 平时吃 平时服; 以前 之前 of a past episode: 以前得过 以前有过 之前有过; 寶寶 宝宝 of the baby's movements: 寶寶動
# 宝宝动), and 血脂查过吗 may now tell that the patient has not been to a hospital (the case gives no check at all); each says so
# in its file. Sessions 50, 54b and 56c rose by one (聚餐, 没有想过不想活了吧, 老照镜子、上秤).
S64 = REPO / "tests" / "data" / "cases_s64"
S64B = REPO / "tests" / "data" / "cases_s64b"
S64C = REPO / "tests" / "data" / "cases_s64c"


@pytest.mark.parametrize("folder", [S64, S64B, S64C], ids=["s64", "s64b", "s64c"])
def test_rule_patient_on_the_session_64_cases(folder):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= 0.98


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("teen-knee-basketball", "哪天伤着的？", ("when",)),
    ("teen-knee-basketball", "上楼的时候腿会不会一闪一闪的？", ("unstable",)),
    ("teen-knee-basketball", "膏药敷了多长时间？", ("treatment",)),
    ("teen-knee-basketball", "他们班里有没有别的同学也扭过膝盖？", ()),
    ("toddler-ear-grandma", "这孩子白天是在家带吗？", ("daycare",)),
    ("toddler-ear-grandma", "耳朵里淌过脓没有？", ("no-discharge",)),
    ("toddler-ear-grandma", "他托班里那几个咳嗽的孩子好了没？", ("daycare",)),
    ("gout-cantonese-man", "脚趾头撞着过没有？", ("no-injury",)),
    ("gout-cantonese-man", "皮色有冇变？", ("appearance",)),
    ("gout-cantonese-man", "平时有没有固定吃什么药？", ("no-regular-meds",)),
    ("shingles-older-woman", "打小生过水花没有？", ("chickenpox",)),
    ("shingles-older-woman", "疼起来啥滋味？", ("pain",)),
    # what the rules above must not take (服 of 舒服 applies no remedy)
    ("teen-knee-basketball", "膝盖不舒服多久了？", ("when",)),
    ("toddler-ear-grandma", "鼻子里淌不淌清鼻涕？", ("cold",)),
    ("gout-cantonese-man", "痛唔痛？", ("pain",)),
])
def test_session_64_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S64)[case_id], doctor) == facts


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("office-wrist-numbness", "以前受過傷嗎？", ("no-injury",)),
    ("office-wrist-numbness", "打鍵盤打久了會更麻嗎？", ("trigger",)),
    ("office-wrist-numbness", "凌晨會麻醒嗎？", ("night",)),
    ("office-wrist-numbness", "扣扣子的時候使不上力嗎？", ("weakness",)),
    ("office-wrist-numbness", "有沒有去骨科挂号看過？", ("tried",)),
    ("child-nosebleed", "他平时往鼻孔里喷药吗？", ("spray",)),
    ("child-nosebleed", "嘴里有没有出血点，家里人有没有血友病？", ("no-bruise", "no-family")),
    ("farmer-chronic-cough", "冬天屋里生炉子吗？", ("fuel",)),
    ("farmer-chronic-cough", "咯出来的是稀的还是稠的？", ("sputum",)),
    ("postpartum-low-mood", "家里谁能搭把手？", ("family-support",)),
    ("postpartum-low-mood", "她以前去精神科看过吗？", ("no-history",)),
    # what the rules above must not take
    ("farmer-chronic-cough", "冬天咳得厉害吗？", ("duration",)),
])
def test_session_64_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S64B)[case_id], doctor) == facts


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("exam-panic-attacks", "每回持续多久？", ("duration",)),
    ("exam-panic-attacks", "最早那回是在哪儿犯的？", ("onset",)),
    ("exam-panic-attacks", "抽过电子烟吗？", ()),
    ("exam-panic-attacks", "是不是觉得气不够用、手麻？", ("symptoms",)),
    ("hf-ankle-swelling", "晚上是不是得半坐着睡？", ("breath",)),
    ("hf-ankle-swelling", "摁下去能留印子吗？", ("pitting",)),
    ("hf-ankle-swelling", "他口重不重？", ("salt",)),
    ("sudden-hearing-loss", "发烧那阵子吃过什么药？", ("cold",)),
    ("sudden-hearing-loss", "一天抽几根？", ("smoking",)),
    ("sudden-hearing-loss", "耳朵里像坐飞机一样吗？", ("fullness",)),
    ("pregnancy-itching", "肚子裡的小傢伙還踹不踹？", ("fetal-movement",)),
    ("pregnancy-itching", "晚上能闔眼嗎？", ("sleep",)),
    ("pregnancy-itching", "小號出來的顏色像濃茶嗎？", ("no-jaundice",)),
    # what the rules above must not take
    ("exam-panic-attacks", "第一次是什么时候？", ("onset",)),
    ("sudden-hearing-loss", "平时吃什么药？", ("bp",)),
])
def test_session_64_third_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S64C)[case_id], doctor) == facts


def test_session_64_rules_raise_earlier_cases():
    """聚餐 is a meal out (session 50's gout rose by one); 半宿里躺床上转个身 still asks the nights, by 翻身 now."""
    assert asked_facts(_cases_in(S50)["gout-big-toe"], "发病前一天晚上聚餐了吗？") == ("trigger",)
    case = _cases_in(S62B)["low-back-sciatica-office"]
    assert asked_facts(case, "半宿里躺床上转个身都费劲不？") == ("sleep",)



# Written blind in session 65 (tests/data/cases_s65, cases_s65b, cases_s65c), by writers who never saw the code: three sets of
# four cases and 96 questions. The first: Bell's palsy in a Shandong trucker, a daughter asking for her father's low blood
# sugar on insulin, a three-month-old's whooping cough told in traditional characters, a student's wisdom tooth. The second:
# carbon monoxide headaches in a Hebei home heated by a coal stove, a teenager's bee stings told by his father, a Taiwanese
# woman's underactive thyroid in traditional characters, a Henan farmer's leg cellulitis. The third: a northeastern man's
# blood pressure headache, a grandmother's screaming grandson, a Shanghainese woman's rheumatoid hands, a Taiwanese teacher's
# heel pain. First contact, with the rules of the sets above: 73/96 (terse 20/20, combined 13/16, negated 10/12, synonyms
# 6/20, absent 11/12, traps 13/16), 76/96 (terse 20/20, combined 14/16, negated 11/12, synonyms 3/20, absent 12/12, traps
# 16/16) and 79/96 (terse 20/20, combined 14/16, negated 12/12, synonyms 8/20, absent 11/12, traps 14/16). Their misses gave
# everyday words (乳突, 脑瓜门, 滋儿, 菜渣, 怪味 白浆, 老两口, 剌 圪针, 汗脚, 哆嗦 筛糠, 发懵, 恍神, 健检, 上一辈, 脑溢血, 小白片,
# 绞毛巾, 吃力, 前掌 趾根, 起身, 绕圈, 咽口水, 清醒过来) and patterns (往上提, 塞了点啥甜的, 看过牙, 一串一串 连珠炮, 嘴巴的颜色,
# 朝夕相处 一个屋檐下, 几片湿的, 喝下去的喷出来, 往上撵, 生着火, 出气的管子, 离开家, 脑袋清亮, 踩棉花, 裤子变紧, 开空调…受不了,
# 好朋友来, 一坨头发, 体重增加, 黑渣子弄出来, 声音哑, 旋开瓶, 伸不直 才灵活, 往怀里收 脸跟白纸似的, 脚上套什么, 被电到), the
# traditional 螞蟻 順 課 當 繞 睏 and others added beside the shared table, and the rules tested below: a two-character A-not-A
# asks (一样不一样); 还是 after a comma asks (…，还是耷拉着脑袋); a body part with 上 is a place (耳朵上没长疱吧 asks the blisters,
# not the ear's pain); 你媳妇 is another person, as are a parent named bare (爸爸咳的时候…, 妈妈怀孕的时候…; not 妈妈，孩子…, the
# mother spoken to) and people just named, as 他们 (那几个老哥们儿，他们血压高不高); 一开始有没有… asks what came first, and
# 要僵多久 how long it lasts, neither since when; 喝完好一阵才吐 tells no episodes; two one-character keywords said as one word ask
# both (烟酒); an everyday word inside another asked fact's keyword asks nothing more (降糖 of 降糖药); a fact about the speaker's
# relative (我妈妈有甲状腺的问题) is asked only by a turn that asks of someone (not 之前没有验过甲状腺吧; 我妈给我滴过… is
# something done for the patient and still asked); 在家量 names no one; what a medicine is for (控血糖那白片片) is no topic it
# yields to. 94/96, 96/96 and 95/96. Data changed: five generic keywords the writers clearly meant as something specific
# (以前 之前 of past episodes, 孩子 of the son's headaches), each saying so in its file; no label changed. Sessions 56 and 57b
# rose by one (上班要对电脑多久, …，还是也冲配方); no other set changed. Left: 住院那次肌酐具体是多少 also tells the dose raised
# at that discharge (the dose fact is keyed 住院 and tells what happened then, which the rules keep asking); 那颗大牙露出来多少了
# asks how far the tooth is through, which the case tells only in the fact keyed on where it is; 眼睛和嘴巴会不会觉得特别干
# tells that there are no mouth ulcers (嘴巴 stands for 口腔, which the writer keyed for the ulcers).
S65 = REPO / "tests" / "data" / "cases_s65"
S65B = REPO / "tests" / "data" / "cases_s65b"
S65C = REPO / "tests" / "data" / "cases_s65c"


@pytest.mark.parametrize(("folder", "least"), [(S65, 0.97), (S65B, 0.98), (S65C, 0.98)], ids=["s65", "s65b", "s65c"])
def test_rule_patient_on_the_session_65_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("bells-palsy-shandong-trucker", "你往上瞅，脑瓜门儿上那几道纹两边一样不一样", ("forehead",)),
    ("bells-palsy-shandong-trucker", "耳朵上没长疱吧？", ("no-rash",)),
    ("bells-palsy-shandong-trucker", "脸上没起疱吧？", ("no-rash",)),
    ("bells-palsy-shandong-trucker", "你媳妇血压高不高？", ()),
    ("bells-palsy-shandong-trucker", "你老婆血压高不高？", ()),
    ("infant-paroxysmal-cough-3mo", "爸爸咳的時候有沒有發燒、有沒有痰？", ("dad-cough",)),
    ("infant-paroxysmal-cough-3mo", "媽媽懷孕的時候有打百日咳疫苗嗎？", ()),
    ("infant-paroxysmal-cough-3mo", "咳多久了？一開始有沒有流鼻水？", ("onset", "early-cold")),
    ("infant-paroxysmal-cough-3mo", "刚开始的时候有没有打喷嚏？", ("early-cold",)),
    ("hypoglycemia-insulin-father", "他现在胰岛素打多少，除了打针还吃别的降糖药吗？", ("insulin", "glimepiride")),
    # what the rules above must not take
    ("bells-palsy-shandong-trucker", "耳朵上疼不疼？", ("ear-pain",)),
    ("bells-palsy-shandong-trucker", "你血压高不高？", ("bp",)),
    ("infant-paroxysmal-cough-3mo", "妈妈，孩子咳几天了？", ("onset",)),
    ("infant-paroxysmal-cough-3mo", "什么时候开始咳的？", ("onset",)),
    ("hypoglycemia-insulin-father", "爸爸最近胰岛素打多少？", ("insulin",)),
    ("hypoglycemia-insulin-father", "糖尿病多少年了？", ("dm-history",)),
])
def test_session_65_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S65)[case_id], doctor) == facts


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("hypothyroid-taiwan-woman", "之前沒有驗過甲狀腺吧？", ("checkup",)),
    ("hypothyroid-taiwan-woman", "便秘嗎，甲狀腺有驗過嗎？", ("constipation", "checkup")),
    ("hypothyroid-taiwan-woman", "體重增加了多少？排便還順嗎？", ("weight", "constipation")),
    ("leg-cellulitis-henan-farmer", "控血糖那白片片一天吞几回，落下过没有", ("diabetes", "meds")),
    # what the rules above must not take
    ("hypothyroid-taiwan-woman", "妳媽媽甲狀腺是什麼問題？", ("family",)),
    ("hypothyroid-taiwan-woman", "家裡有人甲狀腺有問題嗎？", ("family",)),
    ("leg-cellulitis-henan-farmer", "血糖控制得怎么样？", ("diabetes",)),
])
def test_session_65_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S65B)[case_id], doctor) == facts


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    ("dongbei-bp-headache", "烟酒沾不沾？", ("alcohol", "smoking")),
    ("dongbei-bp-headache", "昨晚跟你喝酒那几个老哥们儿，他们血压高不高？", ()),
    ("dongbei-bp-headache", "那几个同事，他们抽烟吗？", ()),
    ("ra-shanghai-hands", "早上手指头要僵多久？肿的是哪几个地方？", ("stiffness", "joints")),
    ("infant-screaming-legs", "不闹那会儿，孩子是跟平常一样欢实，还是耷拉着脑袋、眼皮直打架", ("sleepy",)),
    ("infant-screaming-legs", "吐的奶是刚喝进去就吐，还是喝完好一阵才吐的？", ("vomit",)),
    ("teacher-heel-pain", "腳底會不會有螞蟻爬、或是被電到的那種感覺？", ("no-numbness",)),
    # what the rules above must not take
    ("ra-shanghai-hands", "早上手指头僵多久了？", ("onset",)),
])
def test_session_65_third_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S65C)[case_id], doctor) == facts


def test_session_65_rules_keep_and_raise_earlier_cases():
    """What a relative did for the patient is still asked (我妈给我滴过…); advice with 还是 asks nothing; 上班要对电脑多久 asks
    the screen time, not since when (session 56 rose by one), and …，还是也冲配方 the feeding (session 57b)."""
    assert asked_facts(_cases_in(S60C)["swimmer-ear-teen"], "游泳的时候戴不戴耳塞 滴过什么药没有") == ("earplug", "drops")
    assert question_part("先回去休息，还是去医院查一下吧。") == ""
    assert asked_facts(_cases_in(S56)["dry-eye-office"], "隐形一天戴几个小时？上班要对电脑多久？") == ("screen", "contacts")
    assert asked_facts(_cases_in(S57B)["mastitis-emoji-mom"], "宝宝现在全吃你的，还是也冲配方") == ("feeding",)


# Written blind in session 65 too (tests/data/cases_s65d, cases_s65e, cases_s65f), by writers who never saw the code, and
# measured twice before any rule was made from them: the held-out check of the rules made from the sets above. The first: a
# Cantonese press operator's tinnitus, a young man's genital sores, a Shanghai tourist's altitude sickness in Lhasa, lips
# swollen after a shrimp banquet. The second: a pregnant hepatitis B carrier in traditional characters, a father's sleepy
# jaundiced newborn, a Beijing taxi driver quitting smoking, a Sichuan builder's tuberculosis. The third: a gamer's morning
# back stiffness, a hairdresser's heavy legs, a scared woman's nipple discharge, a pregnant woman's restless legs in
# traditional characters. Before those rules (2d820dd) 74, 78 and 69 of 96 (synonyms 8/20, 10/20, 5/20); after them (e4548bd)
# 74/96 (terse 19/20, combined 11/16, negated 11/12, synonyms 8/20, absent 11/12, traps 14/16), 79/96 (terse 20/20,
# combined 15/16, negated 11/12, synonyms 10/20, absent 11/12, traps 12/16) and 70/96 (terse 19/20, combined 13/16, negated
# 9/12, synonyms 6/20, absent 9/12, traps 14/16). Their misses gave everyday words (上气不接下气, 腿跟, 验身, 令堂, 形容, 铁了心,
# 后跟, 痛醒, 亲密过, 迷迷糊糊, 机器声; 半夜 now stands for 晚上 too), patterns (下筷子, 保护措施, 身上软 没力气, 长啥样, 冲过凉,
# 飞过来, 一屋头睡好多人, 嘴巴淡 咽得进去, 喊不起来, 到日子才生 提前 怎么生的, 第几次怀孕, 你那位, 吃您的奶, 冲着谁, 吭吭
# 吐口黏的, 屁股挨着凳子, 跟蚯蚓似的, 哪一边, 好朋友…来, 贴身的衣服, 啥色儿, 生过娃, 凹进去, 椅子上焊, 越躺越难受 打场球,
# 敲一敲 晃一晃, 塞住耳, 什么时段), Cantonese (几多岁, 耳仔, 静晒, 投诉, 校得, 好大声, 上年, 点讲, 听手机, 入面; 几多 marks a
# Cantonese turn) and the rules tested below: a verb with a directional complement is headed by the verb (晕过去 asks 晕); a
# body part's one-character name said in full asks it (眼睛 asks 眼); 多大一摊 asks an amount, not the age; 你先生 is a
# husband, another person, and a fact that names a husband is about him (你先生查过乙肝没有); an uncle or aunt named bare
# at a clause's start is another person (舅舅肝硬化是几岁过世的). Data changed: four generic keywords the writers clearly
# meant as something specific (以前 之前 of the sores' past episode and of a past reaction to shrimp), each saying so in its
# file; no label changed. After: 86, 89 and 85 of 96. Session 55b rose by one (痘痘长啥样); no other set changed.
# Left: see the README.
S65D = REPO / "tests" / "data" / "cases_s65d"
S65E = REPO / "tests" / "data" / "cases_s65e"
S65F = REPO / "tests" / "data" / "cases_s65f"


@pytest.mark.parametrize(("folder", "least"), [(S65D, 0.89), (S65E, 0.92), (S65F, 0.88)], ids=["s65d", "s65e", "s65f"])
def test_rule_patient_on_the_session_65_held_out_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S65D, "shrimp-banquet-swelling", "应该没晕过去吧？", ("no-faint",)),
    (S65D, "shrimp-banquet-swelling", "有没有昏过去？", ("no-faint",)),
    (S65F, "gamer-morning-stiff-back", "眼睛红过吗？", ("eye",)),
    (S65D, "factory-tinnitus-cantonese", "幾多歲？", ("age",)),
    (S65F, "nipple-discharge-scared", "现在淌出来的是啥色儿的？一回能淌多大一摊？", ("color",)),
    (S65E, "hbv-pregnant-carrier", "你先生查过乙肝没有 你家里其他人呢", ("family", "husband")),
    (S65E, "hbv-pregnant-carrier", "你先生的疫苗是幾歲打的？", ("husband",)),
    (S65F, "pregnant-restless-legs-tc", "妳先生晚上會不會被妳吵醒？", ()),
    (S65E, "hbv-pregnant-carrier", "舅舅肝硬化是幾歲過世的？", ("family",)),
    # what the rules above must not take
    (S65F, "gamer-morning-stiff-back", "眼镜戴多少度？", ()),
    (S65D, "factory-tinnitus-cantonese", "先生，您今年多大了？", ("age",)),
    (S65D, "factory-tinnitus-cantonese", "你几岁？", ("age",)),
    (S65F, "nipple-discharge-scared", "您多大了？", ("age",)),
    (S65E, "hbv-pregnant-carrier", "你今年几岁？", ("age",)),
    (S65F, "pregnant-restless-legs-tc", "晚上什麼時候最難受？", ("timing",)),
])
def test_session_65_held_out_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S65E, "hbv-pregnant-carrier", "你那位有沒有驗過？", ("husband",)),
    (S65E, "tb-sichuan-builder", "你睡的那个地方挤不挤，一屋头睡好多人？", ("dorm",)),
    (S65E, "newborn-sleepy-feeding", "当时是到日子了才生的还是提前了，怎么生的", ("birth",)),
    (S65F, "gamer-morning-stiff-back", "兄弟你一天在电竞椅上要焊多久", ("sitting",)),
    (S65F, "gamer-morning-stiff-back", "是那种越躺越难受、出去打场球反而舒坦的吗？", ("exercise-better",)),
    (S65F, "nipple-discharge-scared", "乳头没凹进去吧？", ("no-skin-change",)),
    (S65F, "nipple-discharge-scared", "您那个好朋友一般隔几天来一回", ("period",)),
    (S65F, "pregnant-restless-legs-tc", "令堂當年懷孕的時候，有沒有類似的困擾？", ("family",)),
])
def test_session_65_held_out_everyday_words(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


def test_session_65_held_out_rules_keep_and_raise_earlier_cases():
    """伯伯 and 爷爷 said to an older patient are the patient (伯伯今年几多岁); 腿跟另一条比 names no groin; 打球有没有被撞到
    is no exercise that eases the pain; 痘痘长啥样 asks what the pimples look like (session 55b rose by one)."""
    assert asked_facts(_cases_in(S61B)["falls-elderly-hk"], "伯伯今年几多岁？") == ("age",)
    assert asked_facts(_cases_in(S63)["limp-preschooler"], "那条腿跟另一条比，粗细一样不，颜色有没有变") == ("no-swelling",)
    assert asked_facts(_cases_in(S57B)["appendicitis-teen-boy"], "最近打球有没有被撞到肚子？") == ()
    assert "type" in asked_facts(_cases_in(S55B)["acne-slang"], "跟我说说你的痘痘长啥样")

# Written blind in session 66 (tests/data/cases_s66, cases_s66b, cases_s66c), by writers who never saw the code: three sets of
# four cases and 96 questions. The first: a mother's seven-year-old bedwetter (a few turns in traditional characters), a
# footballer's ingrown toenail, a Jiangxi woman's trigeminal neuralgia in her dialect, a Yunnan son asking for both parents
# poisoned by wild mushrooms. The second: a smoker's cluster headache, a Guangxi grandmother's acute glaucoma after television
# in the dark, a father's daughter with scarlet fever, an Anxi tea farmer's snakebite told in Hokkien words. The third: a
# granddaughter asking by phone for her grandmother's back pain, a Taiwanese engineer's tennis elbow from badminton in
# traditional characters, a ballet student's missed periods told by her and her mother, a Hunan woman's kidney infection. First
# contact (main 7cd5731): 72/96 (terse 19/20, combined 12/16, negated 10/12, synonyms 6/20, absent 10/12, traps 15/16), 76/96
# (terse 19/20, combined 14/16, negated 10/12, synonyms 6/20, absent 11/12, traps 16/16) and 82/96 (terse 20/20, combined
# 16/16, negated 12/12, synonyms 9/20, absent 11/12, traps 14/16). Their misses gave everyday words (不着边际, 下锅, 抠喉咙,
# 恰饭, 锥子, 丢脸, 战靴 合脚 顶脚, 校队, 五颜六色 一轮一轮, 亮堂, 杨梅 尝味道, 拉手, 抠抠扒扒, 卧着, 小洞 渗红 冒红, 茅房,
# 弄脏裤子, 动筷子, 梳头, 甩脸子, 清不清亮 闻起来, 扭瓶盖 攥东西, 劲儿) and patterns (整两口, 咋个做的, 哪里来的, 不痛的那阵子,
# 推不起来, 灌得多, 连续…不尿, 指甲…弄短, 练得多, 跑得动, 搞哪样, 胃里翻 倒出来, 眼球硬, 左边那只眼, 鼻子通气, 眼窝湿, 满屋子转,
# 缩了一截, 往前勾, 嫌…壮, 栽地上, 砸过, 隔了一层, 往里戳, 肿到哪, 每个月来的好朋友, 眼里的血丝; 嘴巴 is no longer the inside
# of the mouth where its shape or dryness is asked), the traditional 丟, and the rules tested below: a son or daughter who asks
# for both parents (我爹我妈…) makes 你爹妈 and each parent the patients, and a fact about one parent is not asked by a turn
# that names only the other (你妈平时有没有糖尿病 tells nothing of the father's blood pressure); 肿到哪了 asks how far the
# swelling goes, not where the bite is; 氨氯地平是哪一年开始吃的 asks when a medicine began, not the illness; 绝经是多大岁数 asks
# an age at an event the age fact does not tell; 一次 of 第一次 and 头一回 counts nothing (以前应该没这么疼过吧 tells no
# attack's length); 你太太 is another person; 啥子 is a question word, as 什么 is. 93/96, 93/96 and 95/96. No data changed.
# Session 63 rose by two (上茅房的趟数…那味儿冲不冲, 第一次来月经是几岁); no other set changed.
S66 = REPO / "tests" / "data" / "cases_s66"
S66B = REPO / "tests" / "data" / "cases_s66b"
S66C = REPO / "tests" / "data" / "cases_s66c"


@pytest.mark.parametrize(("folder", "least"), [(S66, 0.96), (S66B, 0.96), (S66C, 0.98)], ids=["s66", "s66b", "s66c"])
def test_rule_patient_on_the_session_66_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S66, "yunnan-mushroom-family", "你爹妈多大岁数了？", ("age",)),
    (S66, "yunnan-mushroom-family", "你爸妈今年多大了？", ("age",)),
    (S66, "yunnan-mushroom-family", "你爹妈抽烟不？", ()),
    (S66, "yunnan-mushroom-family", "你妈平时有没有糖尿病？", ()),
    (S66, "yunnan-mushroom-family", "你老爹这会儿说不说胡话？", ("father-halluc",)),
    (S66, "yunnan-mushroom-family", "到现在为止，屋头给他们弄过点啥子没有", ()),
    (S66B, "snakebite-tea-farmer", "肿到哪了？", ("pain-swelling",)),
    (S66B, "snakebite-tea-farmer", "红到什么地方了？", ("pain-swelling",)),
    (S66, "jiangxi-trigeminal-pain", "氨氯地平是哪一年开始吃的？", ()),
    (S66C, "back-pain-grandma-phone", "她绝经是多大岁数？", ()),
    (S66B, "cluster-headache-smoker", "以前应该没这么疼过吧？", ("previous",)),
    (S66B, "cluster-headache-smoker", "头一回闹这毛病是什么时候？", ("previous",)),
    (S66C, "badminton-lateral-elbow", "你太太也打羽球嗎？", ()),
    (S66, "jiangxi-trigeminal-pain", "嘴巴歪不歪", ("no-droop",)),
    (S66, "bedwetting-boy-7", "他自己會不會覺得丟臉？", ("mood",)),
    # what the rules above must not take
    (S66, "yunnan-mushroom-family", "你爹平时有没有高血压？", ("father-meds",)),
    (S66, "yunnan-mushroom-family", "你妈吐了几回？", ("mother-gi",)),
    (S66, "yunnan-mushroom-family", "是啥子菌？", ("mushroom",)),
    (S66B, "snakebite-tea-farmer", "被咬到哪里了？", ("site",)),
    (S66, "jiangxi-trigeminal-pain", "什么时候开始痛的？", ("onset",)),
    (S66, "jiangxi-trigeminal-pain", "痛是从什么时候开始的，吃过什么药？", ("onset", "meds")),
    (S66, "jiangxi-trigeminal-pain", "嘴巴里头看过牙没有", ("tooth",)),
    (S66C, "back-pain-grandma-phone", "奶奶多大岁数了？", ("age",)),
    (S66C, "back-pain-grandma-phone", "她几岁退休的？", ("age",)),
    (S66C, "ballet-teen-amenorrhea", "月经几岁来的？", ("amenorrhea",)),
    (S66B, "cluster-headache-smoker", "每次疼多久？", ("duration",)),
    (S66C, "badminton-lateral-elbow", "你一週打幾次羽球？", ("badminton",)),
    (S66B, "glaucoma-tv-dark", "这只眼珠子是不是布满了血丝？", ("red-eye",)),
])
def test_session_66_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


def test_session_66_rules_keep_and_raise_earlier_cases():
    """血丝 in the sputum is no red skin; 上茅房的趟数 and 那味儿冲不冲 ask the urine, and 第一次来月经是几岁 the first period,
    not the age (session 63 rose by two)."""
    assert asked_facts(_cases_in(S63C)["flight-leg-swelling"], "痰里带没带过血丝") == ()
    assert asked_facts(_cases_in(S63)["night-confusion-elderly"], "这几天上茅房的趟数是不是多了，那味儿冲不冲") == ("urine",)
    assert asked_facts(_cases_in(S63)["teen-menorrhagia"], "第一次来月经是几岁？之后准不准？") == ("menarche", "cycle")


# Written blind in session 66 too (tests/data/cases_s66d, cases_s66e, cases_s66f), by other writers who never saw the code,
# and measured before any rule was made from them: the held-out check of the round above. The first: a barista who lost her
# smell after a cold, a Cantonese auntie with a fishbone in her throat, a Harbin delivery rider's frostbitten fingers, a
# Fujian grandmother's grandson with mumps. The second: a kindergarten teacher's adult chickenpox, a Taiwanese woman's
# diarrhoea after milk tea, a programmer's perineal ache, a herder's son with scalp ringworm from calves. The third: a
# pharmacist asking for her father's ankles swollen on amlodipine, a grandfather's granddaughter with a chalazion, a
# Taiwanese woman's hair-dye dermatitis, a Sichuanese man's rib fracture from a ladder. Before that round (main 7cd5731) and
# after it (0f7a167) alike: 77/96 (terse 20/20, combined 15/16, negated 10/12, synonyms 6/20, absent 11/12, traps 15/16),
# 79/96 (terse 20/20, combined 13/16, negated 10/12, synonyms 9/20, absent 11/12, traps 16/16) and 72/96 (terse 20/20,
# combined 12/16, negated 11/12, synonyms 5/20, absent 12/12, traps 12/16). Their misses gave everyday words and patterns
# only (裤裆…两粒, 呷落, 边一面, 唞大气, 串味, 使唤得了, 牲畜, 小牛娃子, 掉毛的地方, 白渣渣, 园里, 霜淇淋 芝士, 瓷实 出溜,
# 汤汤水水, 包装, 脑门 眼睑 膨起来, 翻倍, 龇牙咧嘴, 咬苹果 啃鸡腿, 药物敏感, 嘴里…香, 闻着像坏了, 心里压力, 手缓过来, 没排空,
# 腮帮子里头, 吃饭香不香, 往上冲出来, 眼角糊, 一个色儿, 吸口长气, 乌起, 口水…红丝, 拍过片, 脖子里头紧, 眉毛…美容院): 87, 87
# and 85 of 96. No data changed; no earlier set changed. Left: see the README.
S66D = REPO / "tests" / "data" / "cases_s66d"
S66E = REPO / "tests" / "data" / "cases_s66e"
S66F = REPO / "tests" / "data" / "cases_s66f"


@pytest.mark.parametrize(("folder", "least"), [(S66D, 0.90), (S66E, 0.90), (S66F, 0.88)], ids=["s66d", "s66e", "s66f"])
def test_rule_patient_on_the_session_66_held_out_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S66E, "scalp-ringworm-herder-kid", "那块掉毛的地方有多大？", ("patch",)),
    (S66F, "rib-fracture-ladder", "去医院拍过片没有", ("no-xray",)),
    (S66F, "rib-fracture-ladder", "咳出来的口水带不带红丝丝？", ("no-hemoptysis",)),
    (S66F, "chalazion-grandpa", "那块眼皮跟旁边比是一个色儿不？", ("no-red",)),
    (S66D, "frostbite-harbin-rider", "那几根手指头还使唤得了不？", ("move",)),
    # what the words above must not take
    (S66E, "scalp-ringworm-herder-kid", "家里的狗啊猫啊应该没有掉毛的吧？", ("pets",)),
    (S56C, "teen-weight-loss", "妈妈，你自己最近睡得好不好，压力大不大？", ()),
    (S63D, "shoulder-fall-grandma", "她那只手的指头尖儿有没有像针扎一样，或者不听使唤？", ("no-numb",)),
])
def test_session_66_held_out_everyday_words(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 67 (tests/data/cases_s67, cases_s67b), by writers who never saw the code: two sets of four cases
# and 96 questions. The first: a toddler who may have swallowed a button battery, a Taiwanese woman's retinal detachment with
# high myopia in traditional characters, a northern site foreman's new worker with heatstroke, a student's scabies spreading
# through his dormitory. The second: a Shandong trucker's third kidney stone, a husband asking for his wife's postnatal low
# mood, a Hakka grandmother's granddaughter limping with knee pain (a slipped epiphysis) in traditional characters, a
# programmer's numb fingers. First contact (main acca1c8): 76/96 (terse 20/20, combined 16/16, negated 12/12, synonyms 6/20,
# absent 9/12, traps 13/16) and 75/96 (terse 20/20, combined 14/16, negated 12/12, synonyms 6/20, absent 11/12, traps
# 12/16). Their misses gave everyday words and patterns (抿两口 a sip of anything, 嘴角…淌, 儿医 路上…多少工夫, 正前方,
# 上面下面的数字, 脑子还清楚 喊…应, 乱扯 绷直, 来…多长日子, 凑一个铺 擦脸的 不分你我, 皮带那一圈, 铺的盖的, 咬牙挺住 满铺翻腾,
# 宵夜 扎啤 撸串, 稀罕劲儿 搂着, 拖后腿, 回访, 一高一低 一颠一颠, 脚板…打开向外, 窜得快 裤脚短了, 睏到一半, 外设 手腕…悬着,
# 大拇哥 塌下去, 手柄 开黑; 干巴巴 is dry skin, no longer 干烫, whose 烫 asked the fever) and the rules tested below: 你爹 and
# 你那两个室友 are others, as 你爸 and 你那个室友 were, and so are 你们上一辈人，有… and 你母亲身体…; a clause that opens with 她
# (他) after one about a woman (a man) just named is about her (你母亲身体吃得消吗，她多大岁数了 asks nothing of the wife 她 the
# husband asks for, whose facts say 妻子); 洗澡 洗头 洗脸 洗手 are washing oneself, not the bedding keyed 洗; a question of
# what a doctor prescribed (上回碎完石头，医生给你开的啥药) asks no medicine taken on one's own, which names no doctor or
# hospital; a body part just before a medicine put on it (膝头擦过什么药) is the place of the medicine, not its pain. 90/96
# and 94/96. No data changed.
S67 = REPO / "tests" / "data" / "cases_s67"
S67B = REPO / "tests" / "data" / "cases_s67b"


@pytest.mark.parametrize(("folder", "least"), [(S67, 0.93), (S67B, 0.97)], ids=["s67", "s67b"])
def test_rule_patient_on_the_session_67_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S67B, "kidney-stone-trucker", "你们上一辈人，有腰子里长石头的不？", ("family",)),
    (S67B, "kidney-stone-trucker", "你爹那个结石后来做手术了没？", ("family",)),
    (S67B, "kidney-stone-trucker", "你爹的结石是哪年查出来的？", ("family",)),
    (S67B, "kidney-stone-trucker", "上回碎完石头，医生给你开的啥药？", ("prior-stones",)),
    (S67B, "postpartum-low-mood", "你母亲身体吃得消吗，她多大岁数了？", ()),
    (S67B, "postpartum-low-mood", "你妈身体还好吧？她晚上睡得着吗", ()),
    (S67B, "girl-limp-knee-pain", "膝頭擦過什麼藥冇？", ("treatment",)),
    (S67B, "girl-limp-knee-pain", "照X光那次，醫生有冇開什麼藥分佢？", ("xray",)),
    (S67, "dorm-itchy-finger-lines", "你那两个室友抹过药没有？", ("roommates",)),
    (S67, "dorm-itchy-finger-lines", "你平时洗澡勤不勤？", ()),
    (S67, "heatstroke-site-worker", "他身上这会儿是水淋淋的还是干巴巴的？", ("skin",)),
    # what the rules above must not take
    (S67B, "postpartum-low-mood", "她多大岁数了？", ("age",)),
    (S67B, "postpartum-low-mood", "你母亲来帮忙了吗？", ("support",)),
    (S67B, "kidney-stone-trucker", "车上吃了什么药？", ("meds",)),
    (S67B, "girl-limp-knee-pain", "膝頭痛唔痛？", ("knee-pain",)),
    (S67B, "girl-limp-knee-pain", "你擦过什么药？", ("treatment",)),
    (S67, "dorm-itchy-finger-lines", "你抹过药没有？", ("steroid",)),
    (S67, "dorm-itchy-finger-lines", "被单多久洗一次？", ("sheets",)),
    (S67, "heatstroke-site-worker", "身上烫不烫？", ("temp",)),
    (S55C, "heatstroke-squad", "他身上是水淋淋的还是干巴巴的", ("sweating",)),
    (S55C, "heatstroke-squad", "身上干巴巴的吗", ("sweating",)),
    (S66, "yunnan-mushroom-family", "你老爹这会儿说不说胡话？", ("father-halluc",)),
])
def test_session_67_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 67 too (tests/data/cases_s67c, cases_s67d), by other writers who never saw the code, and measured
# before any rule was made from them: the held-out check of the round above. The first: a Chaoshan restaurant owner's gout
# after a wedding banquet, a grandmother's infant granddaughter with whooping cough, a Taiwanese wife telling her husband's
# transient loss of speech in traditional characters, a recruit's tibial stress fracture. The second: a Shanghainese
# grandmother's shingles, a Taiwanese student's fear of HIV after one night, a father's infant with watery stools, an old
# man's urinary retention after a cold pill. Before that round (main acca1c8) and after it (08273b8) alike: 75/96 (terse
# 18/20, combined 15/16, negated 11/12, synonyms 7/20, absent 11/12, traps 13/16) and 79/96 (terse 20/20, combined 11/16,
# negated 12/12, synonyms 9/20, absent 12/12, traps 15/16). Their misses gave everyday words and patterns (喝多少水,
# 大鱼大肉 推杯换盏, 吃过药, 乌过, 吭吭, 屋里头别的人 你们大人, 停过气, 熄灯, 参军之前, 操课, 多高多沉, 吃得惯 不碰的, 五官…垮,
# 压高 三高, 前阵子…冒出来过, 小解…不利索, 鼻水, 小雨伞, 颈部 小球球, 七上八下, 小弟弟, 眼睛里有水, 口粮, 拉的…血丝) and two
# rules: a noun suffix after the head of a longer word (出疹子) asks a one-character keyword (疹) as 疹子 does; 那个女生 at a
# clause's start is another person. One keyword of s67c made what its writer meant (平时 → 平时喝). 89/96 and 91/96.
S67C = REPO / "tests" / "data" / "cases_s67c"
S67D = REPO / "tests" / "data" / "cases_s67d"


@pytest.mark.parametrize(("folder", "least"), [(S67C, 0.92), (S67D, 0.94)], ids=["s67c", "s67d"])
def test_rule_patient_on_the_session_67_held_out_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S67D, "hiv-worry-one-night", "身上有沒有出疹子？", ("no-rash",)),
    (S67D, "hiv-worry-one-night", "那個女生幾歲、是做什麼的？", ()),
    (S67D, "hiv-worry-one-night", "那晚有沒有用小雨傘？", ("condom",)),
    (S67C, "pertussis-infant-grandma", "吃过药没？", ("meds",)),
    (S67C, "pertussis-infant-grandma", "娃儿小嘴巴有没有乌过？", ("cyanosis",)),
    (S67D, "infant-watery-stool-dad", "拉的是什么样的，里面有没有血丝？", ("stool", "no-blood")),
    # what the words above must not take
    (S63C, "flight-leg-swelling", "痰里带没带过血丝", ()),
    (S67C, "gout-banquet-seafood", "平时喝酒吗？", ("drink-habit",)),
])
def test_session_67_held_out_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 68 (tests/data/cases_s68, cases_s68b), by writers who never saw the code: two sets of four cases
# and 96 questions. The first: a toddler's croup at 3 a.m., a Henan farmer who smokes coughing blood, a Taiwanese woman's
# pre-eclampsia at 32 weeks in traditional characters, a man's subarachnoid haemorrhage while lifting. The second: a Hainan
# fisherman's cellulitis in Cantonese, a woman's hyperthyroidism told in chat, a teenager's testicular torsion after
# basketball, a daughter telling her father's delirium from a urinary infection in his care home. First contact (main
# 9790c75): 76/96 (terse 19/20, combined 14/16, negated 10/12, synonyms 6/20, absent 12/12, traps 15/16) and 76/96 (terse
# 20/20, combined 14/16, negated 10/12, synonyms 6/20, absent 12/12, traps 14/16). Their misses gave everyday words and
# patterns (海豹叫 敲空铁桶, 一下子…的，还是 一点点加上来, 比现在还要命, 扎眼, 下巴…胸口, 断片, 那会儿在干嘛, 以前不怎么,
# 怕不怕热, 眼前冒火花 隔了层雾, 心口, 肚皮…绷, 头是哪里痛, 吐出来的…红, 褥子 枕巾潮, 呛鼻子 满身土, 手…打摆子,
# 叫得出名, 脑瓜子灵光, 出溜下来, 嘴没歪 说话利索, 被…顶到, 直起腰 不怎么痛了, 老爸老妈, 向上爬, 洗干净, 饮两杯) and
# Cantonese words (整亲, 点样, 打冷震, 搵, 个仔), and one rule: 别的老人, 其他病友 (the others where the
# patient lives or is cared for) are other people. 91/96 and 90/96 (鞋子…变紧 for swollen feet was tried and dropped: 鞋子紧不紧
# then asked session 58's swollen hand). No data changed.
S68 = REPO / "tests" / "data" / "cases_s68"
S68B = REPO / "tests" / "data" / "cases_s68b"


@pytest.mark.parametrize(("folder", "least"), [(S68, 0.94), (S68B, 0.93)], ids=["s68", "s68b"])
def test_rule_patient_on_the_session_68_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S68, "croup-barking-3am", "咳起来像不像鸭子叫？", ("bark",)),
    (S68, "sah-lifting-headache", "是突然疼的，还是慢慢重起来的？", ("onset",)),
    (S68, "sah-lifting-headache", "刚疼那会儿人有没有断片？", ("blackout",)),
    (S68, "sah-lifting-headache", "疼起来那会儿你在干嘛？", ("onset",)),
    (S68, "preeclampsia-32w", "戒指还戴得进去吗？", ("edema",)),
    (S68, "preeclampsia-32w", "頭是哪裡在痛", ("headache",)),
    (S68, "henan-smoker-hemoptysis", "您吐出来的东西里有没有红的？", ("blood",)),
    (S68B, "hyperthyroid-chat-woman", "怕不怕热？", ("heat-sweat",)),
    (S68B, "uti-delirium-carehome", "这几天有没有从床上出溜下来？", ("no-fall",)),
    (S68B, "uti-delirium-carehome", "嘴没歪吧？", ("no-stroke",)),
    (S68B, "torsion-teen-basketball", "现在应该不怎么痛了吧？", ("severity",)),
    (S68B, "cellulitis-fisherman-hainan", "琴晚有冇打冷震？", ("fever",)),
    (S68B, "cellulitis-fisherman-hainan", "红是不是往上爬了？", ("redness",)),
    (S68B, "uti-delirium-carehome", "你们院里其他病友最近有没有发烧的？", ()),
    # what the words and the rule above must not take
    (S68B, "uti-delirium-carehome", "他最近有没有发烧？", ("fever",)),
    (S68B, "hyperthyroid-chat-woman", "怕不怕冷？", ()),
    (S58, "sciatica-worker", "咯一声、使劲打个嚏，腰上是不是一下子就炸了？", ("aggravating",)),
    (S53B, "appendicitis-young-man", "拿手压下去再一下子抬起来，会不会更痛？", ("tender",)),
    (S63D, "child-nosebleed", "他平时老打喷嚏吗？", ("allergy",)),
])
def test_session_68_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 68 too (tests/data/cases_s68c, cases_s68d), by other writers who never saw the code, and measured
# before any rule was made from them: the held-out check of the round above. The first: a Taiwanese woman's Bell's palsy in
# traditional characters, a father's child with Kawasaki disease told by voice, a marathon runner's low sodium told by his
# wife, a shy older woman's bleeding after the menopause. The second: a Sichuan student's ankle sprain on a hike, a son on
# the phone for his father's tearing back pain (an aortic dissection), a grandfather's grandchild with a bean in the nose, a
# Taiwanese teacher tired from heavy periods in traditional characters. Before that round (main 9790c75) and after it
# (332c85a) alike: 78/96 (terse 19/20, combined 16/16, negated 11/12, synonyms 6/20, absent 11/12, traps 15/16) and 78/96
# (terse 20/20, combined 14/16, negated 12/12, synonyms 7/20, absent 12/12, traps 13/16). Their misses gave everyday words
# and patterns (尝甜尝咸, 电视…震, 拿得稳 腿软, 一片片往下翻, 挂过水, 红斑, 上过磅, 含钠 咸片, 婚戒, 哪阵子 起头, 下头…白的 冲味,
# 两口子的日子, 补身子, 咋个歪 朝里翻, 沾地, 扯开, 挪窝 会窜, 下半身, 往里抠, 胸脯起伏, 鼻子…淌出, 电筒 瞅得见, 想咬,
# 排水孔 一大团) and one rule: 家里其他…, 家里别的… (the household's others) are other people. 92/96 and 88/96. No data
# changed.
S68C = REPO / "tests" / "data" / "cases_s68c"
S68D = REPO / "tests" / "data" / "cases_s68d"


@pytest.mark.parametrize(("folder", "least"), [(S68C, 0.94), (S68D, 0.91)], ids=["s68c", "s68d"])
def test_rule_patient_on_the_session_68_held_out_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S68C, "bell-palsy-mirror", "筷子拿得穩嗎？", ("no-limb",)),
    (S68C, "kawasaki-dad-voice", "家里其他孩子或者大人最近有发烧的吗？", ()),
    (S68C, "marathon-low-sodium", "婚戒还撸得动不？", ("swelling",)),
    (S68C, "postmenopausal-bleeding-shy", "是哪阵子起头的？", ("onset",)),
    (S68D, "hike-ankle-sprain", "你那一脚是咋个歪的嘛？", ("mechanism",)),
    (S68D, "hike-ankle-sprain", "现在脚能不能沾地", ("walk",)),
    (S68D, "bean-nose-grandpa", "拿小电筒往里瞅，瞅得见那玩意儿不？", ("visible",)),
    # what the words and the rule above must not take
    (S68C, "kawasaki-dad-voice", "他最近有发烧吗？", ("fever",)),
    (S52, "child_diarrhea", "幼兒園裡有別的小朋友拉肚子嗎？", ("exposure",)),
    (S68D, "tearing-back-pain-phone", "他拉肚子吗，窜稀没有？", ()),
])
def test_session_68_held_out_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 69 (tests/data/cases_s69, cases_s69b), by writers who never saw the code: two sets of four cases
# and 96 questions. The first: a warehouse worker's cauda equina syndrome, a frightened young woman's ectopic pregnancy, a
# student's meningitis told by his roommate, a father's baby with pyloric stenosis. The second: a shepherd's brucellosis,
# a teenage girl's diabetic ketoacidosis told by her mother in Shanghainese, a retired teacher's giant-cell arteritis in
# traditional characters, a bartender's quinsy. First contact (main fb71a00): 77/96 (terse 20/20, combined 10/16, negated
# 10/12, synonyms 10/20, absent 12/12, traps 15/16) and 76/96 (terse 20/20, combined 13/16, negated 11/12, synonyms 7/20,
# absent 10/12, traps 15/16). Their misses gave everyday words and patterns (红疙瘩, 应你 知道你是谁, 手指头脚指头 热乎,
# 一压 褪掉, 那个没来, 妇科毛病, 疼在哪, 流过产, 拍过片 早先…毛病, 水枪 呲出, 脑门…小窝 塌下去, 嚷着要, 机灵 哭…力气,
# 烂水果 一股…味, 撑开 嘴…张, 过东西 唾沫, 下颌角, 含着…土豆 听得清, 往年 一年…几回, 枕头…疼, 额角 蚯蚓, 生锈 举过头,
# 吃不香 人…发虚 (发虚 alone no longer blurred sight), 下面那俩, 下崽 空手, 灌了铅, 打过什么针, 查没查过, 大小便 验孕棒
# 讲话 唾沫 body check; 遲) and rules: a 他 or 她 that opens a question before others are named is the patient (她多大了，
# 家里有没有人…); 老婆孩子 and 外公的… are other people; a word that stands for two facts' keywords (大小便) asks both; a
# fact about neighbours or classmates yields to the patient's own where the question names no one (还没抽血查过布病吧);
# 最近一次 … 是什么时候 asks no onset across a longer gap. No data changed.
S69 = REPO / "tests" / "data" / "cases_s69"
S69B = REPO / "tests" / "data" / "cases_s69b"


@pytest.mark.parametrize(("folder", "least"), [(S69, 0.93), (S69B, 0.96)], ids=["s69", "s69b"])
def test_rule_patient_on_the_session_69_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S69, "meningitis-roommate", "你喊他名字，他能马上应你吗？", ("mental",)),
    (S69, "cauda-equina-warehouse", "大小便都咋样", ("urine", "stool")),
    (S69, "ectopic-scared", "之前没流过产吧", ("no-prior-preg",)),
    (S69, "pyloric-stenosis-dad", "宝宝脑门上那个小窝是不是塌下去了？", ("fontanelle",)),
    (S69B, "dka-teen-girl", "她多大了，家里有没有人有糖尿病？", ("age", "family-history")),
    (S69B, "brucellosis-shepherd", "还没抽血查过布病吧？", ("no-test",)),
    (S69B, "brucellosis-shepherd", "家里老婆孩子有没有发烧的？", ()),
    (S69B, "quinsy-bartender", "最近一次 body check 是什么时候？", ()),
    (S69B, "gca-retired-teacher", "最近人是不是发虚？", ("fatigue-weight",)),
    # what the words and the rules above must not take
    (S69B, "brucellosis-shepherd", "邻居家有没有人得过布病？", ("neighbors",)),
    (S69B, "dka-teen-girl", "她外公多大岁数查出来的糖尿病？", ("family-history",)),
    (S69B, "gca-retired-teacher", "看东西发不发虚？", ("vision",)),
    (S69B, "quinsy-bartender", "嗓子疼是什么时候开始的？", ("onset",)),
])
def test_session_69_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 69 too (tests/data/cases_s69c, cases_s69d), by other writers who never saw the code, and measured
# before any rule was made from them: the held-out check of the round above. The first: a woman's rhabdomyolysis after a
# spin class, a Sichuan toddler's measles without vaccines, a diabetic woman's heart attack played down, an old boatman's
# COPD flare in Chongqing speech. The second: a man's anaphylaxis to peanut sauce at a hotpot, a Shanghainese mother's
# infant breathing fast, a widower who cannot sleep (and thinks of dying), a Guangxi woman's knee after an injection in
# Cantonese. Before that round (main fb71a00) and after it (20b1a48) alike: 80/96 (terse 20/20, combined 12/16, negated
# 12/12, synonyms 9/20, absent 12/12, traps 15/16) and 80/96 (terse 20/20, combined 13/16, negated 11/12, synonyms 10/20,
# absent 12/12, traps 14/16). Their misses gave everyday words and patterns (踩车 蹬了, 管住嘴 瘦身, 整两杯, 防疫站 那些针,
# 口里头 颊子 小米粒, 赶场 吃酒席, 腮帮子 耳朵根, 心窝子 石头…坠, 爬…楼 接不上趟, 多少个年头, 咳出来的东西, 带不带血,
# 上下两片 腊肠 眯成一条缝, 呲的小瓶子, 一吸一瘪, 不在这世上 一走了之, 备下, 奔头, 吃着什么药, 伤害过自己, 家里还有谁,
# 膝头 掂, 督过嘢, 落床 行两步, 买啲嘢食; 菸 read as 烟) and one rule: a brother, a sister or a grown child named bare at a
# clause's start and spoken of (哥哥现在好了没有, 闺女在深圳做什么工作) is another person. 93/96 and 91/96. No data changed.
S69C = REPO / "tests" / "data" / "cases_s69c"
S69D = REPO / "tests" / "data" / "cases_s69d"


@pytest.mark.parametrize(("folder", "least"), [(S69C, 0.96), (S69D, 0.94)], ids=["s69c", "s69d"])
def test_rule_patient_on_the_session_69_held_out_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S69C, "rhabdo-spin-class", "那天踩车踩得猛不猛？", ("class",)),
    (S69C, "mi-diabetic-downplaying", "您自己抽菸嗎？", ("no-smoke",)),
    (S69C, "copd-flare-boatman", "痰多不多，带不带血？", ("sputum", "no-blood")),
    (S69D, "widower-cant-sleep", "闺女在深圳做什么工作？", ()),
    (S69D, "knee-after-injection-guangxi", "你自己有冇去药房买啲嘢食过？", ("self-meds",)),
    # what the words and the rule above must not take
    (S69C, "rhabdo-spin-class", "蹬车那会儿中途往肚子里灌了多少？", ("water",)),
    (S69D, "widower-cant-sleep", "您现在做什么工作？", ("age",)),
])
def test_session_69_held_out_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 70 (tests/data/cases_s70, cases_s70b), by writers who never saw the code: two sets of four cases
# and 96 questions. The first: a wife driving her husband with a tearing chest pain (aortic dissection), a Hunan grandfather's
# grandson whose pain moved from the navel to the right (appendicitis), a woman's thunderclap headache lifting boxes, a
# student's swollen calf after a long flight, part of it in traditional characters. The second: a chatty woman's
# hyperthyroidism in traditional characters, a Henan smoker's lung cancer, a mother's boy with post-streptococcal
# nephritis, a teenager's testicular torsion. First contact (main cd33210): 85/96 (synonyms 13/20, combined 13/16) and
# 79/96 (synonyms 8/20). Their misses gave everyday patterns (身子另一面, 什么病没的, 背上, 勾着身子 直不起腰, 哪个…照看,
# 开着灯, 满分 几分, 就你自个儿, 以前…这样…过, 点上多少根, 吐出来的东西 带不带红, 气够使, 袜子…勒, 脑袋不舒服, 睡平,
# 拿杯子…晃, 大号, 扣子…紧, 嘴馋 零食, 两边…一样不一样, 猛地疼, 一点点…起来) and rules: a term of address that opens
# the turn (老哥，…) names no relative; 你自己 asks no fact that begins with a relative; 吃了么子药 asks the medicine, not
# a food fact keyed 吃了么子, and 止咳糖浆 a medicine, not the cough; 一天尿几次 asks the count a fact's own wording
# gives (一天只尿三四次), not the colour keyed 尿; a denial asked by words of its own (没有大口大口地往外吐血吧) takes the
# question from a fact only its shared words ask (吐血); 家里做饭是烧煤还是烧气 asks neither the household nor a fever. 95/96
# and 94/96. No data changed.
S70 = REPO / "tests" / "data" / "cases_s70"
S70B = REPO / "tests" / "data" / "cases_s70b"


# Session 71's rules below took them to 96/96 and 96/96.
@pytest.mark.parametrize(("folder", "least"), [(S70, 0.99), (S70B, 0.99)], ids=["s70", "s70b"])
def test_rule_patient_on_the_session_70_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S70, "tearing-chest-pain-wife-driving", "他老爷子当年是什么病没的？", ("family",)),
    (S70, "navel-to-right-belly-grandpa", "吃了么子药冇？", ("meds",)),
    (S70B, "lung-cancer-henan-smoker", "家里做饭是烧煤还是烧气？", ()),
    (S70, "calf-swelling-after-long-flight", "你自己以前得过血栓吗？", ()),
    (S70B, "lung-cancer-henan-smoker", "老哥，您一天得点上多少根儿？", ("smoking",)),
    (S70B, "lung-cancer-henan-smoker", "没有大口大口地往外吐血吧？", ("no-massive",)),
    (S70B, "lung-cancer-henan-smoker", "那止咳糖浆是啥牌子的，一天喝几回？", ()),
    (S70B, "psgn-boy-mother", "一天尿几次？", ("urine-amount",)),
    # what the words and the rules above must not take
    (S70, "calf-swelling-after-long-flight", "你自己和家里人有没有得过血栓？", ("family",)),
    (S70, "calf-swelling-after-long-flight", "您自己平时吃什么药？", ("pill",)),
    (S70B, "lung-cancer-henan-smoker", "家里兄弟有没有得过肺上的病？", ("family",)),
    (S70, "navel-to-right-belly-grandpa", "昨天吃了么子东西？", ("watermelon",)),
    (S70B, "lung-cancer-henan-smoker", "老哥，你家里兄弟有没有得这个病的？", ("family",)),
    (S70B, "lung-cancer-henan-smoker", "吃过止咳药没有？", ("meds",)),
    (S70B, "lung-cancer-henan-smoker", "大口吐血有没有？痰里带不带血丝？", ("hemoptysis", "no-massive")),
    (S70B, "psgn-boy-mother", "一天尿几次，尿是什么颜色？", ("urine-color", "urine-amount")),
    (S70B, "testicular-torsion-teen", "猛地站起来会更疼吗？", ()),
])
def test_session_70_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Two more sets from session 70, by other writers (tests/data/cases_s70c, cases_s70d): a toddler's peanut aspiration told by
# his grandmother in Henan speech, a new mother's pulmonary embolism in traditional characters, a daughter's father's TIA
# she would take to the doctor on Monday, a Tianjin drinker's upper GI bleed; a Fujian grandmother's infant with
# intussusception, a Jiangxi farmer's leptospirosis after a flood, a teenage girl's anorexia told with her mother, a Wuhan
# woman's acute glaucoma. Before session 70's first round (main cd33210): 79/96 (synonyms 9/20) and 71/96 (synonyms 4/20);
# held out, after it (05b8cd3): 80/96 (synonyms 10/20) and 73/96 (synonyms 4/20). Their misses gave everyday patterns
# (断片 整大了, 下过管子, 爹娘, 零嘴 一口气没倒过来, 刚当了妈妈, 床上窝着, 脉…齐不齐, 消渴, 七彩的边, 往外顶 鼓, 白眼仁…
# 血丝, 老的一辈, 毛玻璃 蒙蒙, 现在多重, 照镜子…肉多, 梳子, 蹦蹦跳跳, 光着脚板 烂泥田 下过水, 偷…吃的小东西, 脚杆子
# 那坨肉, 一路做事, 稻茬 拉开, 往…收, 活跳跳 软趴趴, 没吃过的东西, 奶肯不肯吃). 87/96 and 89/96. No data changed.
S70C = REPO / "tests" / "data" / "cases_s70c"
S70D = REPO / "tests" / "data" / "cases_s70d"


# Session 71's rules below took them to 94/96 and 94/96.
@pytest.mark.parametrize(("folder", "least"), [(S70C, 0.97), (S70D, 0.97)], ids=["s70c", "s70d"])
def test_rule_patient_on_the_session_70_held_out_cases(folder, least):
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    (S70C, "ugib-tianjin-drinker", "早先让大夫从嗓子眼儿下过管子瞧过没有", ("ulcer-history",)),
    (S70C, "tia-daughter-monday", "老爷子有没有消渴病？", ("no-diabetes",)),
    (S70D, "wuhan-red-eye-glaucoma", "白眼仁上是不是布满了血丝", ("red",)),
    (S70D, "jiangxi-flood-farmer-fever", "你是做么子的，最近下过水冇？", ("age-job", "flood")),
    (S70D, "teen-girl-anorexia", "现在多重？", ("weight-loss",)),
    (S70D, "fujian-infant-intussusception", "奶还肯不肯吃，有没有发烧？", ("feeding", "no-fever")),
    # what the words above must not take
    (S70D, "teen-girl-anorexia", "病得有多重？", ()),
    (S70D, "jiangxi-flood-farmer-fever", "咳嗽有没有血丝？", ("no-cough-blood",)),
])
def test_session_70_held_out_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Session 71: what session 70's four sets still missed (95, 94, 87 and 89 of 96 at main ca2e86b), made into general rules
# and one split pattern, each beside look-alikes that must not take the fact: 96, 96, 94 and 94; s57b 111 -> 112, s61b
# 110 -> 111, s63e 94 -> 95 and s69d 91 -> 92 of the earlier sets, none lower. No data changed.
@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    # yellow skin is no yellow eye: a fact keyed 眼睛 for red eyes is not asked
    (S70D, "jiangxi-flood-farmer-fever", "皮肤没发黄吧？", ("no-jaundice",)),
    # 当时 is the time of what the clause asks, not the event a fact keys on 当时
    (S70C, "peanut-aspiration-toddler", "当时咳出来东西没有？后来一直咳吗？", ("expelled", "cough")),
    # 抽烟, one word of the fact's own keywords 抽 and 烟, is no part of the drinking asked beside it
    (S70C, "ugib-tianjin-drinker", "平时喝酒抽烟不？", ("binge", "usual-drinking", "smoking")),
    # 吃了么子药: the noun after a keyword that asks which is what is asked (the medicine), not the food keyed 吃了么子
    (S70, "navel-to-right-belly-grandpa", "吃了么子药冇？昨天吃了么子东西？", ("watermelon", "meds")),
    # 哭起来的时候: the verb with a directional complement, then a time word, is the time of what is asked; 那阵 that while
    (S70D, "fujian-infant-intussusception", "阿嬷，伊哭起来的时候，膝头是不是往胸前那边收？", ("legs",)),
    (S70D, "fujian-infant-intussusception", "囝仔歇下来那阵，是活跳跳还是软趴趴？", ("between",)),
    # 掉 of 掉发, which 梳子 stands for: the hair, not the weight keyed 掉
    (S70D, "teen-girl-anorexia", "梳子上、枕头上掉的多不多？", ("hair",)),
    # others: the ones named with a demonstrative and a classifier; 在家 names no one, so 你妈 (the patient's wife, for a
    # daughter asking for her father) is another person still; a device at home asks nothing of who lives there
    (S70C, "ugib-tianjin-drinker", "跟您一块儿喝的那几位哥们儿吐了没有？", ()),
    (S70D, "teen-girl-anorexia", "说你腿粗的那个同学叫什么名字？", ("trigger",)),
    (S70C, "tia-daughter-monday", "你妈血压高不高？", ()),
    (S70C, "postpartum-pe", "家裡有血氧機嗎？現在血氧多少？", ()),
    # both sides compared asks how they differ, not which side
    (S70B, "testicular-torsion-teen", "两边的蛋蛋看起来一样不一样？", ("swelling",)),
    # a place said before what another fact is asked by, the place's own pain unsaid, is where that other is felt
    (S70C, "ugib-tianjin-drinker", "心口这会儿扑通扑通的不？", ("palpitation",)),
    # what is taken, said with no one after a clause about another person, is that person's
    (S70B, "hyperthyroid-chatty-woman", "妳阿姨是甲亢還是甲減？吃的是什麼藥？", ()),
    # an everyday word that stands for two facts' keywords (零嘴: 吃得 and 吃东西) is the one's also asked by words of its own
    (S70C, "peanut-aspiration-toddler", "娃是不是嚼着啥零嘴儿，一口气没倒过来？", ("event",)),
    # what the rules above must not take
    (S70C, "peanut-aspiration-toddler", "平时零嘴吃得多不多？", ("eating",)),
    (S60, "frozen-shoulder-zibo", "您干什么工作的？现在活儿还能干吗？", ("age", "work-impact")),
    (S70B, "hyperthyroid-chatty-woman", "吃的是什么药？", ("no-meds",)),
    (S70B, "hyperthyroid-chatty-woman", "你阿姨是甲亢吗？你自己吃的是什么药？", ("no-meds",)),
    (S70C, "ugib-tianjin-drinker", "心口疼不疼？", ("pain",)),
    (S70C, "ugib-tianjin-drinker", "心口那块儿难受吗？", ("pain",)),
    (S70B, "testicular-torsion-teen", "是一边疼还是两边都疼？", ("side",)),
    (S70C, "ugib-tianjin-drinker", "这个月吐过几回？", ("hematemesis",)),
    (S70C, "tia-daughter-monday", "你在家给他量过血压没有？", ("bp",)),
    (S70C, "postpartum-pe", "家里有谁帮你带孩子？", ("support",)),
    (S70D, "teen-girl-anorexia", "体重掉了多少？", ("weight-loss",)),
    (S69C, "measles-unvaccinated-toddler", "最高烧到好多度，退烧药喂过没得？", ("fever", "meds")),
    (S70D, "fujian-infant-intussusception", "伊哭起来凶不凶？", ("crying-bouts",)),
    (S70D, "fujian-infant-intussusception", "是不是一阵一阵地哭？", ("crying-bouts",)),
    (S70D, "jiangxi-flood-farmer-fever", "脸上皮肤黄不黄，眼睛红不红？", ("red-eyes", "no-jaundice")),
    (S63B, "toothache-facial-swelling", "上下牙能分开多宽，塞得进几根手指头", ("trismus",)),
    (S65D, "shrimp-banquet-swelling", "以前吃虾没出过这种事吧？", ("prior",)),
    (S70C, "peanut-aspiration-toddler", "当时他在吃什么？", ("event",)),
    (S53B, "first-seizure-adult", "当时你在做什么？", ("when",)),
])
def test_session_71_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 71 (tests/data/cases_s71, cases_s71b), by writers who never saw the code: two sets of four cases
# and 96 questions. The first: a Shandong son's father with urinary retention, an ectopic pregnancy told in short texts, a
# co-worker's phone call about heat stroke on a building site, a Cantonese father's boy with Kawasaki disease. First contact
# (main ca2e86b) and after session 71's first round of rules (made on session 70's sets): 79/96 (synonyms 8/20) and 80/96
# (synonyms 8/20), the second held out. The first set's misses gave everyday patterns (身上来, 内裤上…褐色, 眼前…一黑,
# 对象…怎么防, 胳肢窝…湿, 答得上来, 中间…缓, 嬲 难氹, 接种…印, 额头好滚, 给他吃过啥) and rules, tested below: 96/96.
S71 = REPO / "tests" / "data" / "cases_s71"
S71B = REPO / "tests" / "data" / "cases_s71b"


@pytest.mark.parametrize(("folder", "least"), [(S71, 0.98), (S71B, 0.82)], ids=["s71", "s71b"])
def test_rule_patient_on_the_session_71_cases(folder, least):
    # (cases_s71b is held out: its failure gives the counts only, never its misses)
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least, f"{right}/{total}"


@pytest.mark.parametrize(("folder", "case_id", "doctor", "facts"), [
    # everyday words, each beside a look-alike that must not take the fact
    (S71, "ectopic-pregnancy-short-texts", "上回身上来是几号？", ("lmp",)),
    (S71, "ectopic-pregnancy-short-texts", "身上来了疹子没有？", ()),
    (S71, "ectopic-pregnancy-short-texts", "内裤上有没有沾到血丝或者褐色的东西？", ("bleeding",)),
    (S71, "ectopic-pregnancy-short-texts", "眼白上有没有血丝？", ()),
    (S71, "ectopic-pregnancy-short-texts", "刚才起身那一下，眼前有没有一黑？", ("dizzy",)),
    (S71, "ectopic-pregnancy-short-texts", "你和对象平时怎么防的？", ("contraception",)),
    (S71, "ectopic-pregnancy-short-texts", "你对象知道你来医院吗？", ()),
    (S71, "heat-stroke-coworker-phone", "你摸摸他胳肢窝，是湿的还是干的？", ("skin",)),
    (S71, "heat-stroke-coworker-phone", "地上湿不湿？", ()),
    (S71, "heat-stroke-coworker-phone", "你问他今天几号、你是谁，他答得上来不？", ("consciousness",)),
    (S71, "heat-stroke-coworker-phone", "他从一大早到现在，中间下来缓过没有？", ("hours",)),
    (S71, "heat-stroke-coworker-phone", "他缓过来没有？", ()),
    (S71, "kawasaki-cantonese-dad", "佢成個人係咪好嬲、好難氹？", ("irritable",)),
    (S71, "kawasaki-cantonese-dad", "佢手臂上以前接种留低嗰个印，而家有冇变红？", ("bcg",)),
    (S71, "kawasaki-cantonese-dad", "佢额头而家仲係咪好滚？", ("fever",)),
    (S71, "kawasaki-cantonese-dad", "佢有冇滚落床？", ()),
    (S71, "kawasaki-cantonese-dad", "尿布湿得多不多？", ("urine",)),
    (S71, "urinary-retention-shandong-son", "这两天他鼻子不通气那会儿，家里给他吃过啥没有？", ("cold-med",)),
    (S71, "urinary-retention-shandong-son", "他今早吃过啥没有？", ()),
    # 工头 (the foreman) names no head
    (S71, "heat-stroke-coworker-phone", "你们工头开的面包车是几座的？", ()),
    # a keyword inside a longer word of the question asks where that word is the fact's own (盆腔炎), not elsewhere
    (S71, "ectopic-pregnancy-short-texts", "以前没得过盆腔炎吧？", ("pid",)),
    (S71, "urinary-retention-shandong-son", "家里有人得过前列腺癌吗？", ()),
    (S71, "urinary-retention-shandong-son", "查过前列腺没有？", ("bph",)),
    # 哪里疼: where a symptom is felt asks a place keyed 哪; where the patient is does not
    (S71, "ectopic-pregnancy-short-texts", "哪里疼？什么时候开始的？", ("site", "onset")),
    (S71, "ectopic-pregnancy-short-texts", "你现在在哪里？", ()),
    # 碰着哪儿: the part hit, not where the patient is now
    (S71, "heat-stroke-coworker-phone", "他是直挺挺栽倒的还是慢慢出溜下去的？脑袋碰着哪儿没？", ("no-head-injury",)),
    (S71, "heat-stroke-coworker-phone", "他现在在哪儿？", ("position",)),
    # how long a topic that is not the complaint lasted, which its own fact tells (推迟近两周), is no onset
    (S71, "ectopic-pregnancy-short-texts", "月经推迟多久了？", ("lmp",)),
    (S71, "ectopic-pregnancy-short-texts", "肚子疼多久了？", ("onset",)),
    (S71, "ectopic-pregnancy-short-texts", "月经推迟了吗？疼了多久了？", ("onset", "lmp")),
    (S60C, "pinworm-child-hakka", "痒多久了？", ("duration",)),  # (入睡后一两个小时: a time of the night, no span)
    # when another person comes back asks neither the onset nor a fact keyed on that person
    (S71, "ectopic-pregnancy-short-texts", "你男朋友什么时候出差回来？", ()),
    (S71, "ectopic-pregnancy-short-texts", "你男朋友知道吗？什么时候开始疼的？", ("onset", "contraception")),
])
def test_session_71_blind_set_rules(folder, case_id, doctor, facts):
    assert asked_facts(_cases_in(folder)[case_id], doctor) == facts


# Written blind in session 72 (tests/data/cases_s72, cases_s72b), by writers who never saw the code: two sets of four cases
# and 96 questions. The first: a programmer father's toddler who swallowed a button battery, a Northeastern farmer's
# anaphylaxis after a bee sting, a shy teenager's testicular pain, a Russian student's carbon-monoxide poisoning. First
# contact (main d2fb265): 80/96 (synonyms 9/20) and 84/96, the second held out. The first set's misses gave everyday
# patterns (跟一块钱比, 下巴…湿 往下送, 有劲儿折腾 软软地趴着, 一片一片的包 挠起来, 吸到底, 提上去, 放水, 屋里…暖和,
# 住一块儿, 下楼 离开…屋, 干杯 二锅头, 最后一次进食; 下楼透透气 is going out, not the room's ventilation) and rules,
# tested below: 96/96 (synonyms 20/20); the held-out second after them: 85/96.
S72 = REPO / "tests" / "data" / "cases_s72"
S72B = REPO / "tests" / "data" / "cases_s72b"


@pytest.mark.parametrize(("folder", "least"), [(S72, 0.98), (S72B, 0.88)], ids=["s72", "s72b"])
def test_rule_patient_on_the_session_72_cases(folder, least):
    # (cases_s72b is held out: its failure gives the counts only, never its misses)
    right, total = _blind_set_score(folder)
    assert total == 96 and right / total >= least, f"{right}/{total}"


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    # everyday words, each beside a look-alike that must not take the fact
    ("button-battery-toddler-dad", "那颗电池跟一块钱硬币比，哪个大？", ("battery-type",)),
    ("button-battery-toddler-dad", "她胸前的围嘴湿了没有？", ("drool",)),
    ("button-battery-toddler-dad", "她裤子湿了没有？", ()),
    ("button-battery-toddler-dad", "吃东西往下咽的时候费不费劲？", ("drool",)),
    ("button-battery-toddler-dad", "孩子现在还有劲儿玩吗？", ("mood",)),
    ("button-battery-toddler-dad", "她是软绵绵地躺着吗？", ("mood",)),
    ("button-battery-toddler-dad", "她趴着睡还是躺着睡？", ()),
    ("button-battery-toddler-dad", "最后一次进食是晚饭吗？", ("last-meal",)),
    ("bee-sting-anaphylaxis-northeast", "胳膊上起了一片一片的包没有？", ("hives",)),
    ("bee-sting-anaphylaxis-northeast", "挠个不停吗？", ("hives",)),
    ("bee-sting-anaphylaxis-northeast", "伤口包扎了没有？", ()),
    ("bee-sting-anaphylaxis-northeast", "深深吸一口气，吸得进去吗？", ("breath",)),
    ("button-battery-toddler-dad", "她还吸得进奶吗？", ()),
    ("testicular-pain-shy-teen", "去厕所放个水，疼不疼？", ("no-urine",)),
    ("co-poisoning-foreign-student", "你们房间冬天怎么暖和起来？", ("heater",)),
    ("co-poisoning-foreign-student", "手脚暖和吗？", ()),
    ("co-poisoning-foreign-student", "你们几个人住一起？", ("roommate",)),
    ("co-poisoning-foreign-student", "你住几楼？", ()),
    ("co-poisoning-foreign-student", "出门到外头走一走，头疼有什么不同？", ("headache", "better-outside")),
    ("co-poisoning-foreign-student", "喝了二锅头没有？", ("alcohol",)),
    ("co-poisoning-foreign-student", "跟朋友干杯了吗？", ("alcohol",)),
    # 透透气 after going out is fresh air outdoors; in the room it is still its ventilation
    ("co-poisoning-foreign-student", "出门透透气的时候，头疼好点没有？", ("headache", "better-outside")),
    ("co-poisoning-foreign-student", "开窗透透气了吗？", ("heater",)),
    ("co-poisoning-foreign-student", "屋里透不透气？", ("heater",)),
])
def test_session_72_everyday_words(case_id, doctor, facts):
    assert asked_facts(_cases_in(S72)[case_id], doctor) == facts


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    # a disease named by its symptom (哮喘) asks no fact keyed 喘 that does not name it; the symptom itself still does
    ("bee-sting-anaphylaxis-northeast", "得过哮喘没有？", ()),
    ("bee-sting-anaphylaxis-northeast", "现在喘得厉害吗？", ("breath",)),
    # a visit to the hospital back then asks nothing of where the hospital is now
    ("bee-sting-anaphylaxis-northeast", "上次去医院打过针没有？", ("prior",)),
    ("bee-sting-anaphylaxis-northeast", "你现在在哪？离医院远吗？", ("location",)),
    # where an organ is drawn to (往肚子里抽上去) is no belly's own pain; a pain that spreads there still is
    ("testicular-pain-shy-teen", "疼的那边是不是往肚子里抽上去了？", ("position",)),
    ("testicular-pain-shy-teen", "疼得往肚子那边窜吗？", ("belly",)),
    # when a medicine or food was taken is not when the complaint began, unless the fact tells the taking
    ("co-poisoning-foreign-student", "药是几点吃的？", ("meds",)),
    ("co-poisoning-foreign-student", "几点开始疼的？", ("onset",)),
    ("button-battery-toddler-dad", "蜂蜜是几点喂的？", ("honey",)),
    ("button-battery-toddler-dad", "晚饭几点吃的？", ("last-meal",)),
    # earlier bouts (之前犯过这种头疼) are not the present one a fact describes; a fact about earlier ones tells them
    ("co-poisoning-foreign-student", "之前犯过这种头疼没有？", ()),
    ("co-poisoning-foreign-student", "头疼是什么样的？", ("headache",)),
    ("testicular-pain-shy-teen", "以前有过这样的痛吗？", ("prior",)),
])
def test_session_72_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S72)[case_id], doctor) == facts


def test_session_61_dialect_words_are_read_as_mandarin_only_in_a_turn_that_speaks_them():
    """好攰, 瞓 and 揸 mark a Cantonese turn, 里向 and 一记头 a Shanghainese one; a Mandarin turn keeps 行路, 好似, 里厢."""
    from workbench.simulate.matching import _mandarin

    assert _mandarin("佢好攰，成日想瞓") == "他很累，成天想睡"
    assert _mandarin("耳朵里向响伐？一记头就不灵了？") == "耳朵里响吗？一下子就不灵了？"
    assert _mandarin("他行路好似不稳") == "他行路好似不稳"


def test_shanghainese_words_are_read_as_mandarin_only_in_a_shanghainese_turn():
    """勿 is Mandarin too (请勿), and 伐 a Mandarin morpheme (步伐): a Mandarin turn keeps them."""
    from workbench.simulate.matching import _mandarin

    assert _mandarin("请勿吸烟，加快步伐。") == "请勿吸烟，加快步伐。"
    assert _mandarin("侬姆妈好伐？") == "你妈妈好吗？"
    assert question_part("小囡闹伐") == "小囡闹伐" and question_part("加快步伐。") == ""


def test_cantonese_words_are_read_as_mandarin_only_in_a_cantonese_turn():
    """痕 is "itchy" in Cantonese and "scar, trace" in Mandarin (疤痕, 痕迹): a Mandarin turn kept its words."""
    from workbench.simulate.matching import _mandarin

    assert _mandarin("伤口留疤痕了吗？做个心电图") == "伤口留疤痕了吗？做个心电图"
    assert _mandarin("你同屋有冇人都痕") == "你室友有没有人都痒"


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    # the explanation before a numbered list asks nothing
    ("contact-lens-keratitis", "这种角膜炎和戴隐形有关，所以要问清楚：1. 哪只眼睛不舒服？", ("eye",)),
    # a word that only names the time of what is asked
    ("preeclampsia-warning", "怀孕以前量过血压吗？", ("bp", "baseline")),
    # a drug allergy asks no medicine
    ("appendicitis-young-man", "有没有药物过敏？", ()),
    # a part of a keyword beside another fact's whole keyword
    ("preeclampsia-warning", "肚子有没有发硬？", ("contractions",)),
    # what a relative saw of the patient
    ("first-seizure-adult", "你爱人看到你抽的时候眼睛往哪儿看？", ("description",)),
    # everyday words
    ("elderly-chronic-constipation", "解出来是不是羊屎一样一粒一粒的？", ("stool",)),
    ("alcohol-withdrawal", "衣服湿透了没有？", ("sweat",)),
    ("driver-low-back-pain", "你是干啥营生的？", ("job",)),
])
def test_session_53_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S53B)[case_id], doctor) == facts


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    # a past episode, asked without a keyword
    ("af-palpitations", "以前有过这样吗？", ("first",)),
    ("uti-older-woman", "以前犯过这种病没有？", ("previous",)),
    ("ankle-sprain", "这只脚以前扭过吗？", ("previous",)),
    # everyday words
    ("gout-flare", "发病前是不是喝多了？", ("trigger",)),
    ("hfmd-child", "孩子手板心有没有红点？", ("rash",)),
    ("postpartum-low-mood", "最近饭量怎么样？", ("appetite",)),
    ("allergic-rhinitis", "眼睛刺挠吗？", ("itch",)),
    ("ida-teen", "心里怦怦跳吗？", ("palp",)),
    # friends and desk mates are other people; a child's playmates (小朋友) are what a contact fact is about
    ("af-palpitations", "你朋友也这样心慌过吗？", ()),
    ("ida-teen", "你同桌是不是也挑食？", ()),
])
def test_session_53_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S53)[case_id], doctor) == facts


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    # buying, prices and opening hours ask nothing of the patient
    ("kidney-stone-colic", "这个止痛药在药店能买到吗？", ()),
    ("croup-child", "社区医院周末开门吗？", ()),
    # other people, and a short follow-up about them
    ("croup-child", "你家老二也这样咳过吗？", ()),
    ("breast-lump", "你同事也查出来过结节吗？多大的？", ()),
    # where, not what it looks like
    ("shingles-elderly", "水泡长在哪个部位？", ("location",)),
    # everyday words and traditional characters
    ("croup-child", "说话声音沙哑吗？", ("hoarse",)),
    ("breast-lump", "摸着硬不硬，推得动吗？", ("hard",)),
    ("tinnitus-after-cold", "耳朵里像堵住了吗？", ("fullness",)),
    ("toddler-coin-swallow", "孩子哈喇子多吗？", ("drool",)),
    ("melena-aspirin", "心窝那儿疼吗？", ("stomach",)),
    ("melena-aspirin", "胃潰瘍以前得過嗎？", ("history",)),
])
def test_session_52_third_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S52C)[case_id], doctor) == facts


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    # a tag after advice asks nothing; a question before it still does
    ("cough_smoker", "痰多不多？要是咳血了马上来医院，记住了吗？", ("sputum",)),
    ("irregular_periods", "要是还是不来，就做个B超。", ()),
    # the time asked, not its topic; how long it takes is not since when
    ("febrile_seizure", "抽了几分钟？", ("seizure_duration",)),
    ("irregular_periods", "上次来月经是哪天？", ("lmp",)),
    ("exam_anxiety", "一般要多久才能睡着？", ("sleep_onset",)),
    # an event named as a time; 头 as a suffix
    ("febrile_seizure", "抽完以后孩子清醒吗？", ("after",)),
    ("hip_fall", "摔的时候脑袋着地了吗？", ("head",)),
    ("hip_fall", "脚趾头麻不麻？", ("numbness",)),
    # other people
    ("exam_anxiety", "你们宿舍里也有人失眠吗？", ()),
    ("pregnancy_edema", "你姐姐怀孕时也肿过吗？", ()),
    # everyday words
    ("heartburn", "咽下去的时候卡不卡？", ("swallow",)),
    ("red_eye", "想哕吗？", ("nausea",)),
    ("pregnancy_edema", "腿上按下去有坑吗？", ("edema",)),
])
def test_session_52_second_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S52B)[case_id], doctor) == facts


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    # everyday words, in new sentences
    ("postpartum_mastitis", "身上打冷战吗？", ("fever",)),
    ("child_diarrhea", "孩子还欢实吗？", ("state",)),
    ("bph_retention", "尿完还滴答吗？", ("stream",)),
    ("bph_retention", "前几天着凉了吗？", ("cold_med",)),
    ("gout_attack", "腰子里查出过石头吗？", ("kidney",)),
    ("sciatica", "上厕所解手有没有问题？", ("sphincter",)),
    ("drug_allergy", "现在还喘不上气吗？", ("breathing",)),
    ("migraine", "来例假的时候会疼吗？", ("trigger",)),
    ("infant_eczema", "给孩子泡澡的水烫吗？", ("bathing",)),
    # a count asked beside another fact's topic is that fact's (the stool fact is keyed on 几次 too)
    ("child_diarrhea", "今天撒了几次尿？", ("urine",)),
    ("child_diarrhea", "一天拉几回？", ("stool",)),
    # a one-character keyword joined to another asked fact's keyword
    ("postpartum_mastitis", "对什么药物过敏？", ("allergy",)),
    ("migraine", "最近吃着避孕药吗？", ("contraception",)),
    # the grown-ups of the family ask nothing of the child's own facts
    ("child_diarrhea", "您们大人最近也拉肚子吗？", ()),
])
def test_session_52_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S52)[case_id], doctor) == facts


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    # everyday words, in new sentences
    ("child-fever-rash", "孩子抽风过没有？", ("spirits",)),
    ("child-fever-rash", "有没有昏睡、叫不醒？", ("spirits",)),
    ("child-fever-rash", "幼儿园别的孩子有这样的吗？", ("kindergarten",)),
    ("early-pregnancy-vomiting", "最近瘦了几斤？", ("weight",)),
    ("insomnia-anxiety", "是不是总爱胡思乱想？", ("worry",)),
    ("insomnia-anxiety", "心跳快不快？", ("palpitation",)),
    ("ankle-sprain", "怎么崴到的？", ("mechanism",)),
    ("exertional-chest-tightness", "胸口的难受会不会窜到胳膊上", ("radiation",)),
    ("exertional-chest-tightness", "您爸妈有心脏病吗？", ("family",)),
    ("diabetic-foot-ulcer", "脚底还有知觉没有", ("sensation",)),
    ("teen-acne", "脸上擦过什么药膏？", ("products",)),
    # questions without a question mark: 几杯, A还是B; advice with 还是 asks nothing
    ("insomnia-anxiety", "一天喝几杯咖啡", ("caffeine",)),
    ("ankle-sprain", "是外侧疼还是内侧疼", ("swelling-site",)),
    ("ankle-sprain", "你还是先冰敷吧", ()),
    # a relative's own habits or illnesses ask nothing of the patient's
    ("exertional-chest-tightness", "您老伴抽烟吗？", ()),
    ("diabetic-foot-ulcer", "你爱人有糖尿病吗？", ()),
])
def test_session_51_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S51)[case_id], doctor) == facts


@pytest.mark.parametrize(("case_id", "doctor", "facts"), [
    # traditional characters ask what simplified ones ask
    ("hot-oil-burn", "燙傷的地方起水泡了嗎？", ("blister",)),
    ("neck-pain-phone", "每天看手機幾個小時？", ("screen",)),
    # a keyword that only begins a longer word asks nothing (小时 in 小时候, 免疫 in 免疫力); one that ends it, or
    # is followed by a predicate or a localizer, does (血压高, 睡醒后)
    ("neck-pain-phone", "小时候摔过吗？", ()),
    ("cat-scratch", "你免疫力好不好？", ()),
    ("nocturia-older-man", "血压高不高？", ("bp-meds",)),
    ("neck-pain-phone", "睡醒后脖子更僵吗？", ("pillow",)),
    # a keyword shared by two facts asks the one the question asks by more (多大 + 年纪: the age)
    ("hot-oil-burn", "您今年多大年纪？", ("age",)),
    ("cat-scratch", "给猫打过疫苗吗？", ("cat-vaccine",)),
    # everyday words ask what the standard ones ask
    ("hemorrhoid-bleeding", "解大手的时候费劲不？", ("stool",)),
    ("child-nosebleed", "一个礼拜流几回？", ("frequency",)),
    ("toothache-night", "牙床肿没肿？", ("swelling",)),
    # a clause about other people asks nothing of the patient's own facts
    ("hemorrhoid-bleeding", "家里人也有大便带血的吗？", ()),
    # advice that says 这几天 or 差不多高 asks nothing
    ("gout-big-toe", "这几天少吃海鲜，多喝水。", ()),
    ("neck-pain-phone", "显示器调到和眼睛差不多高。", ()),
])
def test_session_50_rules(case_id, doctor, facts):
    assert asked_facts(_cases_in(S50)[case_id], doctor) == facts
