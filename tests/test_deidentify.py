"""De-identification: medicine is kept, people are caught (issue 12 item 4), the ``deidentify`` command and
its evaluation, and the exporters' use of it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.dialogue import Turn
from workbench.export import ExportCandidate, ExportContext
from workbench.privacy import LABELS, TOKENS, deidentify, detect, names_in
from workbench.privacy_eval import read_rows, score

REPO = Path(__file__).resolve().parents[1]
EVAL_SET = REPO / "annotations" / "deid_eval.jsonl"
HELDOUT_SETS = [REPO / "annotations" / "deid_heldout.jsonl", REPO / "annotations" / "deid_heldout2.jsonl"]
# Written blind to the rules in session 41; scored once before they changed (name recall 0.717), then used to
# improve them: it no longer measures unseen text, and its name goal is lower (bare names with no cue remain).
HELDOUT3 = REPO / "annotations" / "deid_heldout3.jsonl"
HELDOUT4 = REPO / "annotations" / "deid_heldout4.jsonl"
# Written blind in session 43 (150 messages, 60 with no personal data); see test_goals_hold_on_the_fifth_set.
HELDOUT5 = REPO / "annotations" / "deid_heldout5.jsonl"
HELDOUT6 = REPO / "annotations" / "deid_heldout6.jsonl"
HELDOUT7 = REPO / "annotations" / "deid_heldout7.jsonl"
HELDOUT8 = REPO / "annotations" / "deid_heldout8.jsonl"
HELDOUT9 = REPO / "annotations" / "deid_heldout9.jsonl"
HELDOUT10 = REPO / "annotations" / "deid_heldout10.jsonl"
HELDOUT11 = REPO / "annotations" / "deid_heldout11.jsonl"
HELDOUT12 = REPO / "annotations" / "deid_heldout12.jsonl"
HELDOUT13 = REPO / "annotations" / "deid_heldout13.jsonl"
HELDOUT14 = REPO / "annotations" / "deid_heldout14.jsonl"
HELDOUT15 = REPO / "annotations" / "deid_heldout15.jsonl"
HELDOUT16 = REPO / "annotations" / "deid_heldout16.jsonl"
HELDOUT17 = REPO / "annotations" / "deid_heldout17.jsonl"
HELDOUT18 = REPO / "annotations" / "deid_heldout18.jsonl"
HELDOUT19 = REPO / "annotations" / "deid_heldout19.jsonl"
HELDOUT20 = REPO / "annotations" / "deid_heldout20.jsonl"
HELDOUT21 = REPO / "annotations" / "deid_heldout21.jsonl"
HELDOUT22 = REPO / "annotations" / "deid_heldout22.jsonl"
HELDOUT23 = REPO / "annotations" / "deid_heldout23.jsonl"
HELDOUT24 = REPO / "annotations" / "deid_heldout24.jsonl"
HELDOUT25 = REPO / "annotations" / "deid_heldout25.jsonl"
HELDOUT26 = REPO / "annotations" / "deid_heldout26.jsonl"
HELDOUT27 = REPO / "annotations" / "deid_heldout27.jsonl"
HELDOUT28 = REPO / "annotations" / "deid_heldout28.jsonl"
HELDOUT29 = REPO / "annotations" / "deid_heldout29.jsonl"
HELDOUT30 = REPO / "annotations" / "deid_heldout30.jsonl"
HELDOUT31 = REPO / "annotations" / "deid_heldout31.jsonl"
HELDOUT32 = REPO / "annotations" / "deid_heldout32.jsonl"
HELDOUT33 = REPO / "annotations" / "deid_heldout33.jsonl"
HELDOUT34 = REPO / "annotations" / "deid_heldout34.jsonl"
HELDOUT35 = REPO / "annotations" / "deid_heldout35.jsonl"
HELDOUT36 = REPO / "annotations" / "deid_heldout36.jsonl"
HELDOUT37 = REPO / "annotations" / "deid_heldout37.jsonl"
HELDOUT38 = REPO / "annotations" / "deid_heldout38.jsonl"
HELDOUT39 = REPO / "annotations" / "deid_heldout39.jsonl"
HELDOUT40 = REPO / "annotations" / "deid_heldout40.jsonl"
HELDOUT41 = REPO / "annotations" / "deid_heldout41.jsonl"
HELDOUT42 = REPO / "annotations" / "deid_heldout42.jsonl"
HELDOUT43 = REPO / "annotations" / "deid_heldout43.jsonl"
HELDOUT44 = REPO / "annotations" / "deid_heldout44.jsonl"
HELDOUT45 = REPO / "annotations" / "deid_heldout45.jsonl"
HELDOUT46 = REPO / "annotations" / "deid_heldout46.jsonl"
HELDOUT47 = REPO / "annotations" / "deid_heldout47.jsonl"
HELDOUT48 = REPO / "annotations" / "deid_heldout48.jsonl"
HELDOUT49 = REPO / "annotations" / "deid_heldout49.jsonl"
HELDOUT50 = REPO / "annotations" / "deid_heldout50.jsonl"
HELDOUT51 = REPO / "annotations" / "deid_heldout51.jsonl"
HELDOUT52 = REPO / "annotations" / "deid_heldout52.jsonl"
HELDOUT53 = REPO / "annotations" / "deid_heldout53.jsonl"
HELDOUT54 = REPO / "annotations" / "deid_heldout54.jsonl"
HELDOUT55 = REPO / "annotations" / "deid_heldout55.jsonl"
HELDOUT56 = REPO / "annotations" / "deid_heldout56.jsonl"
HELDOUT57 = REPO / "annotations" / "deid_heldout57.jsonl"
HELDOUT58 = REPO / "annotations" / "deid_heldout58.jsonl"
HELDOUT59 = REPO / "annotations" / "deid_heldout59.jsonl"
HELDOUT60 = REPO / "annotations" / "deid_heldout60.jsonl"
HELDOUT61 = REPO / "annotations" / "deid_heldout61.jsonl"
HELDOUT62 = REPO / "annotations" / "deid_heldout62.jsonl"
HELDOUT63 = REPO / "annotations" / "deid_heldout63.jsonl"
HELDOUT64 = REPO / "annotations" / "deid_heldout64.jsonl"
HELDOUT65 = REPO / "annotations" / "deid_heldout65.jsonl"
HELDOUT66 = REPO / "annotations" / "deid_heldout66.jsonl"
HELDOUT67 = REPO / "annotations" / "deid_heldout67.jsonl"
HELDOUT68 = REPO / "annotations" / "deid_heldout68.jsonl"
HELDOUT69 = REPO / "annotations" / "deid_heldout69.jsonl"
HELDOUT70 = REPO / "annotations" / "deid_heldout70.jsonl"
HELDOUT71 = REPO / "annotations" / "deid_heldout71.jsonl"
HELDOUT72 = REPO / "annotations" / "deid_heldout72.jsonl"
HELDOUT73 = REPO / "annotations" / "deid_heldout73.jsonl"
HELDOUT74 = REPO / "annotations" / "deid_heldout74.jsonl"
HELDOUT75 = REPO / "annotations" / "deid_heldout75.jsonl"
HELDOUT76 = REPO / "annotations" / "deid_heldout76.jsonl"
HELDOUT77 = REPO / "annotations" / "deid_heldout77.jsonl"
HELDOUT78 = REPO / "annotations" / "deid_heldout78.jsonl"
HELDOUT79 = REPO / "annotations" / "deid_heldout79.jsonl"
HELDOUT80 = REPO / "annotations" / "deid_heldout80.jsonl"
HELDOUT81 = REPO / "annotations" / "deid_heldout81.jsonl"
HELDOUT82 = REPO / "annotations" / "deid_heldout82.jsonl"
HELDOUT83 = REPO / "annotations" / "deid_heldout83.jsonl"
HELDOUT84 = REPO / "annotations" / "deid_heldout84.jsonl"

# --- medicine is not a name -----------------------------------------------------------------------

# The old rules took a word after 患者/我是 for a name and then replaced it in the whole dialogue.
OLD_BAD_CASES = [
    ("患者黄疸，尿色加深。", "明确黄疸原因后再决定治疗方案。"),
    ("患者白细胞和中性粒细胞升高。", "白细胞和中性粒细胞升高，提示细菌感染。"),
    ("我是程序员，经常熬夜。", "程序员久坐，要注意颈椎。"),
    ("患者安静，呼吸平稳。", "保持安静，多休息。"),
]


@pytest.mark.parametrize("dialogue", OLD_BAD_CASES, ids=[c[0][:6] for c in OLD_BAD_CASES])
def test_medical_words_after_cue_words_are_not_names_anywhere_in_the_dialogue(dialogue):
    names = names_in(dialogue)
    assert names == set()
    for text in dialogue:
        assert deidentify(text, names) == (text, [])


def test_a_confident_name_is_propagated_but_a_tagger_guess_is_not():
    first = "医生您好，我叫李建华，头晕三天。"
    assert names_in([first]) == {"李建华"}
    assert deidentify("李建华您好，建议测血压。", names_in([first]))[0] == "[姓名]您好，建议测血压。"
    # 杜仲 and 安静 are tagged as person names by jieba's dictionary: never propagated.
    assert names_in(["杜仲和牛膝对腰疼有效果吗？", "请保持安静。"]) == set()


# --- people and numbers that were missed -----------------------------------------------------------

MISSED = [
    ("张伟，男，45岁，反复上腹痛。", "[姓名]，男，45岁，反复上腹痛。"),
    ("我儿子张子轩今年5岁。", "我儿子[姓名]今年5岁。"),
    ("主治医生：李建国", "主治医生：[姓名]"),
    ("王主任说下周可以出院。", "[姓名]主任说下周可以出院。"),
    ("我家在北京市朝阳区建国路88号。", "我家在[地址]。"),
    ("住在幸福小区5栋3单元201室。", "住在[地址]。"),
    ("我住在阳光花园，离医院远。", "我住在[地址]，离医院远。"),
    ("住院号：20231234567", "住院号：[病历号]"),
    ("病历号ZY2023045678", "病历号[病历号]"),
    ("微信号：wang_fang1990", "微信号：[账号]"),
    ("我的QQ是987654321", "我的QQ是[账号]"),
    ("医保卡号R43098765，能报销吗？", "医保卡号[账号]，能报销吗？"),
    ("出生日期：1985年3月12日", "出生日期：[出生日期]"),
    ("我是1979年出生的。", "我是[出生日期]出生的。"),
    ("车牌京A12345的车主请挪车。", "车牌[车牌]的车主请挪车。"),
    ("手机１３９１２３４５６７８", "手机[电话]"),
    ("打我电话1 5 9 0 1 2 3 4 5 6 7就行。", "打我电话[电话]就行。"),
    ("护照号E12345678", "护照号[证件号]"),
    ("登录IP是192.168.1.105。", "登录IP是[IP]。"),
    ("工号A20371，我是护士。", "工号[编号]，我是护士。"),
    ("化验单号20230601123", "化验单号[病历号]"),
    ("出生年月：85年3月", "出生年月：[出生日期]"),
    ("D.O.B. 1990-01-05, headache", "D.O.B. [出生日期], headache"),
    ("患者D.O.B 1985.02.03，头痛", "患者D.O.B [出生日期]，头痛"),
    ("病人叫张三，头疼两天。", "病人叫[姓名]，头疼两天。"),
    ("Name: Li Hua", "Name: [姓名]"),
    ("张某某来院复诊。", "[姓名]来院复诊。"),
]


@pytest.mark.parametrize(("text", "expected"), MISSED, ids=[m[0][:10] for m in MISSED])
def test_personal_data_without_the_old_cues_is_caught(text, expected):
    assert deidentify(text)[0] == expected


# Session 41's walk: names the dictionary knows as frequent words after a kinship word, a title, a role word
# or a greeting; rarer surnames; place names cut at 都/家; a room in a building; compressed IPv6.
KNOWN_NAMES_IN_CONTEXT = [
    ("我妻子李娜怀孕了。", "我妻子[姓名]怀孕了。"),
    ("李娜医生说没事", "[姓名]医生说没事"),
    ("谢谢李强医生。", "谢谢[姓名]医生。"),
    ("我爸陈建生高血压十年了。", "我爸[姓名]高血压十年了。"),
    ("徐克俊主任看过片子。", "[姓名]主任看过片子。"),
    ("我是张三丰，胃疼。", "我是[姓名]，胃疼。"),
    ("我是你的主治医生刘洋。", "我是你的主治医生[姓名]。"),
    ("张建国，13800001111", "[姓名]，[电话]"),
    ("张欣怡小朋友平时胃口怎么样？", "[姓名]小朋友平时胃口怎么样？"),
    ("何欣怡您好，报告出来了", "[姓名]您好，报告出来了"),
    ("昨天跟杨帆一起去复查的", "昨天跟[姓名]一起去复查的"),
    ("我老婆宓晓岚孕32周", "我老婆[姓名]孕32周"),
    ("我女儿张欣怡今年6岁", "我女儿[姓名]今年6岁"),
    ("我儿子王子轩发烧", "我儿子[姓名]发烧"),
    ("住址：成都市锦江区春熙路", "住址：[地址]"),
    ("河北省石家庄市长安区中山东路398号", "[地址]"),
    ("地址：广州市花都区新华路5号", "地址：[地址]"),
    ("家住江苏省扬州市江都区", "家住[地址]"),
    ("我住在广州市天河区体育西路191号中石化大厦B座1203室", "我住在[地址]"),
    ("登录地址是2408:8207:2460:5a10::1f", "登录地址是[IP]"),
    ("就诊卡号 6100 2345 7788 挂的明天的号", "就诊卡号 [病历号] 挂的明天的号"),
    ("宝宝2023年11月2日生的，黄疸没退", "宝宝[出生日期]生的，黄疸没退"),
    ("亓洪涛 男 58岁", "[姓名] 男 58岁"),
    # English: North American phones, titles, a labelled patient, SSN, MRN, a date of birth with slashes
    ("Tel: (415) 555-0132", "Tel: [电话]"),
    ("call me at +1 415 555 0132", "call me at [电话]"),
    ("Dr. Emily Chen prescribed amoxicillin", "Dr. [姓名] prescribed amoxicillin"),
    ("Patient: John Smith, 45 y/o male", "Patient: [姓名], 45 y/o male"),
    ("SSN 123-45-6789, MRN: 00123456", "SSN [证件号], MRN: [病历号]"),
    ("DOB 04/12/1975, chest pain", "DOB [出生日期], chest pain"),
]
# Session 42, from a new blind set's misses (the sentences here are new ones): nicknames after a cue or
# before a verb of telling, a list of names after one, a doubled pet name after a kinship word, the rare
# surname 柏, English kinship cues and "X and I", SSN after "is", a dotted mobile, an estate whose name holds
# 里, a building after the street's number, a village after 庄, and no space after a date of birth.
NAMES_AND_PLACES_S42 = [
    ("护士小陈说要空腹", "护士[姓名]说要空腹"),
    ("叫我老郑就行", "叫我[姓名]就行"),
    ("我跟小吴一起来的", "我跟[姓名]一起来的"),
    ("李哥说这个药伤胃", "[姓名]说这个药伤胃"),
    ("朋友张磊、刘畅和王静都咳嗽", "朋友[姓名]、[姓名]和[姓名]都咳嗽"),
    ("我儿子豆豆三岁", "我儿子[姓名]三岁"),
    ("请柏医生看一下", "请[姓名]医生看一下"),
    ("My daughter Emily has a rash", "My daughter [姓名] has a rash"),
    ("Mike and I share a flat", "[姓名] and I share a flat"),
    ("SSN is 987-65-4321", "SSN is [证件号]"),
    ("电话138.1234.5678", "电话[电话]"),
    ("家住明月里小区3栋1单元502", "家住[地址]"),
    ("地址：长沙市岳麓区麓山南路2号新民广场1栋808", "地址：[地址]"),
    ("老家在河南省周口市西华县李庄村", "老家在[地址]"),
    ("生日是2019-03-08 最近老咳嗽", "生日是[出生日期] 最近老咳嗽"),
    # the final walk's: cousins and other kin, 阿 nicknames, a verb after a kinship name
    ("表哥刘洋说要查血", "表哥[姓名]说要查血"),
    ("堂哥刘洋来了", "堂哥[姓名]来了"),
    ("邻居阿强说这个药好", "邻居[姓名]说这个药好"),
    ("我同学李明也咳嗽", "我同学[姓名]也咳嗽"),
]
ORDINARY_S42 = ["大便墨绿色正常吗", "痰是黄绿色的", "孩子天天哭", "小米粥可以吃吗", "老毛病又犯了", "小叶增生要紧吗",
                "大便像柏油一样黑", "我和小孩一起去", "小苏打水漱口", "表哥说要查血", "我和老伴都高血压", "儿子宝宝",
                "咳嗽和小关节痛", "跟小龙虾一起吃", "社区卫生服务中心可以建档", "住在城里", "柏子仁能吃吗",
                "My son has a rash", "Then my wife and I went home", "Yesterday I took aspirin",
                "阿胶能吃吗", "阿姨说要多喝水", "邻居阿姨说", "叔叔阿姨好", "我老伴老是咳嗽", "同学们都感冒了", "阿尔茨海默病"]


@pytest.mark.parametrize(("text", "expected"), NAMES_AND_PLACES_S42, ids=[m[0][:10] for m in NAMES_AND_PLACES_S42])
def test_nicknames_lists_and_estates_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", ORDINARY_S42)
def test_colours_foods_and_kin_words_are_kept(text):
    assert deidentify(text) == (text, [])


# The same contexts around ordinary words the dictionary tags as names, and a lab value of 11 digits.
ORDINARY_IN_CONTEXT = ["我妈安静下来了", "谢谢医生", "顾问医生建议手术", "医生高度怀疑是阑尾炎", "医生于是让我住院",
                       "护士长说明天出院", "我儿子胡萝卜过敏", "和牛奶一起吃可以吗", "我女儿卓越", "医生钱收了吗",
                       "我们都在医院", "我去成都看病了", "我儿子王子也来了", "我儿子高烧不退", "乙肝病毒载量15800000000拷贝/ml", "时间是10:30到11:45",
                       "blood pressure 140/90, 3 days", "Patient history: fever", "take 500 mg 3 times a day"]


@pytest.mark.parametrize(("text", "expected"), KNOWN_NAMES_IN_CONTEXT, ids=[m[0][:10] for m in KNOWN_NAMES_IN_CONTEXT])
def test_known_names_and_places_in_context_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", ORDINARY_IN_CONTEXT)
def test_ordinary_words_in_the_same_contexts_are_kept(text):
    assert deidentify(text) == (text, [])


def _id_check_digit(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def _luhn_complete(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return payload + str((10 - total % 10) % 10)


def test_id_numbers_need_a_right_check_digit_unless_named():
    body = "11010519850312123"
    good = body + _id_check_digit(body)
    bad = body + str((int(_id_check_digit(body).replace("X", "0")) + 1) % 10)
    assert deidentify(f"编号{good}")[0] == "编号[证件号]"
    assert deidentify(f"编号{bad}")[0] == f"编号{bad}"  # a long number with a date in it, not an ID
    assert deidentify(f"身份证{bad}")[0] == "身份证[证件号]"  # named as one: a mistyped ID is still personal


def test_bank_cards_pass_the_luhn_check_or_are_named():
    card = _luhn_complete("622202123456789012")
    wrong = card[:-1] + str((int(card[-1]) + 5) % 10)
    assert deidentify(f"退款到{card}")[0] == "退款到[账号]"
    assert deidentify(f"单据{wrong}")[0] == f"单据{wrong}"
    assert deidentify(f"银行卡号{wrong}")[0] == "银行卡号[账号]"


def test_numbers_in_medical_text_are_kept():
    for text in ["血压150/100mmHg，心率96次/分。", "2023年3月15日做的彩超。", "病区在3号楼12层。",
                 "尿路感染要多喝水。", "住在心内科病区3床。", "老家在农村，看病不方便。", "批号20230512，有效期到2025年。", "她叫我别担心。", "宝宝叫妈妈了。", "患者柯氏征阳性，墨菲征阳性。", "hCG 13500 mIU/mL，孕6周。"]:
        assert deidentify(text) == (text, [])


def test_redaction_is_idempotent_and_offsets_point_into_the_input():
    for row in read_rows(EVAL_SET.read_text(encoding="utf-8").splitlines(), str(EVAL_SET)):
        text = row["text"]
        clean, reds = deidentify(text)
        assert deidentify(clean)[0] == clean
        for r in reds:
            assert text[r.start : r.end] == r.original and r.replacement == TOKENS[r.kind]


# --- the evaluation sets and the command --------------------------------------------------------------


def _rows(path: Path) -> list[dict]:
    return list(read_rows(path.read_text(encoding="utf-8").splitlines(), str(path), need_spans=True))


@pytest.mark.parametrize("path", [EVAL_SET, *HELDOUT_SETS, HELDOUT3], ids=["eval", "heldout", "heldout2", "heldout3"])
def test_sets_are_large_balanced_and_cover_every_label(path):
    rows = _rows(path)
    assert len(rows) >= (300 if path == EVAL_SET else 100)
    assert sum(not r["spans"] for r in rows) >= len(rows) / 2  # half are medical text with no personal data
    assert {s["label"] for r in rows for s in r["spans"]} == set(LABELS)


@pytest.mark.parametrize("path", [*HELDOUT_SETS, HELDOUT3], ids=["heldout", "heldout2", "heldout3"])
def test_goals_hold_on_the_held_out_sets(path):
    # Recall >= 0.95 for every label (names 0.90 on the third set), and (nearly) nothing but personal data replaced.
    sc = score(_rows(path))
    for label in LABELS:
        assert sc.overlap[label].recall >= (0.90 if path == HELDOUT3 and label == "name" else 0.95), (label, sc.misses)
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms


def test_goals_hold_on_the_fourth_set():
    # Written blind in session 42 (no IP address in it): first scored name recall 0.600, all labels 0.753,
    # precision 0.984; then used to improve the rules, so it no longer measures unseen text.
    sc = score(_rows(HELDOUT4))
    assert sc.overlap["name"].recall >= 0.90, sc.misses
    for label in set(sc.overlap) - {"name", "all"}:
        assert sc.overlap[label].recall >= 0.95, (label, sc.misses)
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT4)) >= 140


def test_goals_hold_on_the_fifth_set():
    # Written blind in session 43: first scored name recall 0.510 (26/51), all labels 0.717, precision 1.000;
    # then used to improve the rules (compound surnames, lists of people, kinship after a name, pet names,
    # transliterations), so it no longer measures unseen text. Left: 何欢 with no cue (区 as a surname: session 44).
    sc = score(_rows(HELDOUT5))
    assert sc.overlap["name"].recall >= 0.95, sc.misses
    for label in set(sc.overlap) - {"name", "all"}:
        assert sc.overlap[label].recall >= 0.95, (label, sc.misses)
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT5)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT5)) >= 60


def test_goals_hold_on_the_sixth_set():
    # Written blind in session 44 (before its writer read the rules): first scored name recall 0.661 (39/59),
    # all labels 0.828, precision 1.000; then used to improve the rules (in-laws, nicknames as subjects, 区 as a
    # surname, hyphenated plates, whose contact data), so it no longer measures unseen text. Left: two-character
    # names with no cue that are also words (文静, 高远, 石磊打篮球).
    sc = score(_rows(HELDOUT6))
    assert sc.overlap["name"].recall >= 0.90, sc.misses
    for label in set(sc.overlap) - {"name", "all"}:
        assert sc.overlap[label].recall >= 0.95, (label, sc.misses)
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT6)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT6)) >= 45


# Classes of personal data the fifth set found; none of these sentences is in an evaluation set.
FIFTH_SET_CLASSES = [
    # a compound surname needs no cue (but 上官网 and the famous 司马光 are no one's data)
    ("慕容娜的胃镜报告在哪看", "[姓名]的胃镜报告在哪看"),
    ("夏侯明的血常规结果出来了", "[姓名]的血常规结果出来了"),
    ("我和宇文静一起来的", "我和[姓名]一起来的"),
    # people named in a list that says they are people
    ("赵一鸣、钱思远、孙悦三个人都在发烧", "[姓名]、[姓名]、[姓名]三个人都在发烧"),
    ("跟胡兰、冯涛一块吃的饭，都吐了", "跟[姓名]、[姓名]一块吃的饭，都吐了"),
    ("韩梅和苗苗两个孩子都出疹子了", "[姓名]和[姓名]两个孩子都出疹子了"),
    ("我跟韦婷、覃思雨一起报名的体检", "我跟[姓名]、[姓名]一起报名的体检"),
    # whose relative the person is, after the name
    ("杜小溪是我表妹，她也有哮喘", "[姓名]是我表妹，她也有哮喘"),
    ("乐乐他爸是护士，说先物理降温", "[姓名]他爸是护士，说先物理降温"),
    ("玛利亚·伊万诺娃是我儿媳妇", "[姓名]是我儿媳妇"),
    # a name after any kinship word and 叫, and pet names
    ("我女朋友叫Anna，她也咳嗽", "我女朋友叫[姓名]，她也咳嗽"),
    ("我闺蜜小柔说她吃了就好了", "我闺蜜[姓名]说她吃了就好了"),
    ("咱家妞妞三个月了还不会翻身", "咱家[姓名]三个月了还不会翻身"),
    ("邻床的老孙半夜一直喘", "邻床的[姓名]半夜一直喘"),
    # a clause opened by a name that reports speech; errands for someone; elders' titles
    ("滕子京告诉我这个药很苦", "[姓名]告诉我这个药很苦"),
    ("帮韩雪预约一个胃镜", "帮[姓名]预约一个胃镜"),
    ("请转告邹凯明天空腹来", "请转告[姓名]明天空腹来"),
    ("李建军大爷糖尿病二十年", "[姓名]大爷糖尿病二十年"),
    ("护理部的王芳说今天不能探视", "护理部的[姓名]说今天不能探视"),  # a colleague by their department
    ("汤姆·汉克斯先生明天来复诊", "[姓名]先生明天来复诊"),
    # numbers and places
    ("身份证号码我发一下，去年办的，110101199003071235", "身份证号码我发一下，去年办的，[证件号]"),
    ("我是七八年出生的", "我是[出生日期]出生的"),
    ("寄到山东省临沂市兰山区白沙埠镇西街村", "寄到[地址]"),
    ("我是湖南省邵阳市隆回县人", "我是[地址]人"),
    ("I'm at 77 Sunset Boulevard, Los Angeles.", "I'm at [地址]."),
]


@pytest.mark.parametrize("text, expected", FIFTH_SET_CLASSES, ids=[c[0][:8] for c in FIFTH_SET_CLASSES])
def test_classes_the_fifth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


FIFTH_SET_LOOKALIKES = [
    "黄连和甘草一起煎", "跟陈皮、山楂一起泡", "周一和周二都有门诊", "阿莫西林和头孢都过敏", "白细胞和血小板都偏低",
    "我跟同事、朋友一起吃的饭", "我上官网查了一下", "司马光砸缸的故事", "孔子说的有道理", "高烧说胡话怎么办",
    "电话是我老公的", "早上她奶奶给她喂了退烧药", "我儿子小便的时候疼", "我女儿小时候说过", "我女儿天天哭",
    "隔壁床的老人一直咳", "身份证和医保卡都带了", "孩子五年级了", "Take 2 tablets daily with water.",
    "喝完牛奶奶瓶要消毒", "牛奶奶粉都可以", "骨科的石膏打得太紧", "康复科的马上安排", "中国·北京", "同仁堂·安宫牛黄丸", "我家人人都感冒了", "宝宝是我女儿，今年三岁", "替米沙坦和氨氯地平一起吃可以吗",
]


@pytest.mark.parametrize("text", FIFTH_SET_LOOKALIKES)
def test_medical_text_shaped_like_those_classes_is_kept(text):
    assert deidentify(text) == (text, [])


def test_deidentify_command_eval_prints_precision_and_recall_per_label(capsys):
    assert main(["deidentify", str(EVAL_SET), "--eval", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["sentences"] >= 300 and scores["matching"] == "overlap"
    assert set(scores["overlap"]) == {*LABELS, "all"}
    assert all(0 <= v["precision"] <= 1 and 0 <= v["recall"] <= 1 for v in scores["overlap"].values())
    assert main(["deidentify", str(EVAL_SET), "--eval"]) == 0
    table = capsys.readouterr().out
    assert "precision" in table and all(f"\n{label} " in table for label in LABELS)


def test_deidentify_command_eval_scores_a_set_with_only_some_labels(tmp_path, capsys):
    # A team's own set rarely holds every label: the labels it lacks, and nothing predicted, get no row.
    src = tmp_path / "few.jsonl"
    rows = [{"text": "我叫王芳，头痛三天。", "spans": [{"start": 2, "end": 4, "label": "name"}]},
            {"text": "多喝水，保持安静。", "spans": []}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["deidentify", str(src), "--eval", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert set(scores["overlap"]) == set(scores["exact"]) == {"name", "all"}
    assert scores["overlap"]["name"]["recall"] == 1.0
    assert main(["deidentify", str(src), "--eval", "--errors"]) == 0
    assert "\nname " in capsys.readouterr().out


def test_deidentify_command_writes_text_redacted_and_spans(tmp_path):
    src = tmp_path / "in.jsonl"
    texts = ["我叫王芳，电话13812345678。", "多喝水，保持安静。", "住院号：20231234567"]
    src.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "workbench", "deidentify", str(src)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=True)
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["text"] for o in out] == texts
    assert out[0]["redacted"] == "我叫[姓名]，电话[电话]。"
    assert out[1] == {"text": texts[1], "redacted": texts[1], "spans": []}
    for o in out:
        assert set(o) == {"text", "redacted", "spans"}
        for s in o["spans"]:
            assert s["label"] in LABELS and 0 <= s["start"] < s["end"] <= len(o["text"])
    assert [(s["label"], texts[0][s["start"] : s["end"]]) for s in out[0]["spans"]] == [
        ("name", "王芳"), ("phone", "13812345678")]


def test_deidentify_command_names_the_bad_line(tmp_path, capsys):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"text": "头痛"}\n{"text": 3}\n', encoding="utf-8")
    assert main(["deidentify", str(src)]) == 2
    assert f"{src}:2" in capsys.readouterr().err
    src.write_text('{"text": "头痛", "spans": [{"start": 0, "end": 9, "label": "name"}]}\n', encoding="utf-8")
    assert main(["deidentify", str(src), "--eval"]) == 2
    assert "offsets inside the text" in capsys.readouterr().err
    # valid JSON, but half a UTF-16 pair: named, and nothing half-written
    out = tmp_path / "out.jsonl"
    src.write_text('{"text": "头痛"}\n{"text": "我叫\\ud800王芳"}\n', encoding="utf-8")
    assert main(["deidentify", str(src), "--out", str(out)]) == 2
    assert f"{src}:2: the text contains a lone surrogate (U+D800) at character 3" in capsys.readouterr().err
    assert not out.exists()


# --- the exporters ------------------------------------------------------------------------------------------


def test_export_keeps_medicine_and_replaces_a_name_in_every_text_of_its_dialogue():
    history = [Turn("patient", "医生您好，我叫赵丽华，黄疸三天了。"), Turn("doctor", "赵丽华您好，小便颜色深吗？"),
               Turn("patient", "是的，很黄。")]
    cands = [ExportCandidate(generation_id=f"g{k}", dialogue_id=1, dataset="d", turn_index=3, history=history,
                             column=f"c{k}", model="m", output=out)
             for k, out in enumerate(["明确黄疸原因需要查肝功能。", "赵丽华，建议保持安静，尽快就医。"])]
    ctx = ExportContext.build(cands)
    texts = [t.text for c in ctx.candidates for t in c.history] + [c.output for c in ctx.candidates]
    assert "赵丽华" not in "".join(texts)
    assert ctx.candidates[0].history[1].text == "[姓名]您好，小便颜色深吗？"
    assert ctx.candidates[0].output == "明确黄疸原因需要查肝功能。"
    assert ctx.candidates[1].output == "[姓名]，建议保持安静，尽快就医。"
    assert ctx.deid.by_kind == {"name": 3}
    assert detect(ctx.candidates[1].output) == ()


# Classes of personal data the sixth set (written blind in session 44) found; none of these sentences is in an
# evaluation set.
SIXTH_SET_CLASSES = [
    # in-laws are kinship words too
    ("我公公蒋玉林装了起搏器", "我公公[姓名]装了起搏器"),
    # the tokenizer joined the kinship word's last character to a compound surname (老|公孙)
    ("我老公孙伟明天来复查", "我老公[姓名]明天来复查"),
    # a rare word of surname and one character, then the name's last character, after a kinship word
    ("我女儿文心悦在发烧", "我女儿[姓名]在发烧"),
    # a nickname opening a clause as its subject (before a time word, an adverb or 的), or after a verb whose
    # object is a person; an elder's title after a surname with a neighbour's cue
    ("小吴昨晚吐了两次", "[姓名]昨晚吐了两次"),
    ("老孙一直在吃降压药", "[姓名]一直在吃降压药"),
    ("老赵这几天腰疼", "[姓名]这几天腰疼"),
    ("老钱的化验单拿到了", "[姓名]的化验单拿到了"),
    ("你通知老郭明天空腹来", "你通知[姓名]明天空腹来"),
    ("对门刘爷爷中风了", "对门[姓名]爷爷中风了"),
    # 区 is a surname (Cantonese Au)
    ("我同事区永康做了胃镜", "我同事[姓名]做了胃镜"),
    ("区主任说下周复查", "[姓名]主任说下周复查"),
    # a plate written with a hyphen after the city letter (new-energy plates have six characters)
    ("我的车是京A-D12345，停哪里", "我的车是[车牌]，停哪里"),
    ("车牌苏E-6F2A9", "车牌[车牌]"),
    # whose contact data or birth date it is
    ("杨帆的微信发给你了", "[姓名]的微信发给你了"),
    ("刘洋的身份证号忘带了", "[姓名]的身份证号忘带了"),
    ("孙丽，1990年3月5日出生，月经不调", "[姓名]，[出生日期]出生，月经不调"),
]


@pytest.mark.parametrize("text, expected", SIXTH_SET_CLASSES, ids=[c[0][:8] for c in SIXTH_SET_CLASSES])
def test_classes_the_sixth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


SIXTH_SET_LOOKALIKES = [
    "我老公孙子也发烧了", "我婆婆家住得远", "我公公公司组织体检", "我儿子白粥喝了一碗", "我婆婆高血压十年了",
    "我岳母石膏拆了", "我婆婆马上到",
    "小孙子昨天发烧", "老毛病又犯了", "小黄的衣服湿了", "老是头晕", "小时候得过肺炎", "老年人最近容易摔",
    "小儿最近咳嗽", "小米粥刚喝完", "小腿最近抽筋", "老花眼最近加重", "喝完牛奶奶瓶要消毒", "隔壁的牛奶奶粉",
    "区别在于一个是病毒性的", "肝区隐隐作痛", "B超提示低回声区", "区级医院能做CT吗", "我是区人民医院的",
    "请区卫生院开证明", "病区护士说要禁食", "COVID-19疫苗打了两针", "HbA1c-7.2%",
    "安静的手机也会响", "黄芪的电话订购", "白天的电话打不通", "周一的电话没人接", "方便的电话留一个",
]


@pytest.mark.parametrize("text", SIXTH_SET_LOOKALIKES)
def test_medical_text_shaped_like_the_sixth_set_classes_is_kept(text):
    assert deidentify(text) == (text, [])


def test_a_long_list_of_people_is_caught_whole():
    # The list's pattern is bounded (an unbounded one rescanned a long run of names at every position); a
    # list longer than any count that can end it still has every name replaced.
    names = ["张伟", "李静", "王磊", "赵丽", "孙强", "周敏", "吴昊", "郑洁"] * 2
    redacted, _ = deidentify("、".join(names) + "十个人一起来体检")
    assert redacted == "、".join(["[姓名]"] * len(names)) + "十个人一起来体检"


# Classes of personal data a seventh set (written blind in session 46) found; none of these sentences is in an
# evaluation set.
SEVENTH_SET_CLASSES = [
    # given-name characters that are also common words, after 我叫 / a relative's 叫 / sex and age
    ("我叫王家明，失眠一个月", "我叫[姓名]，失眠一个月"),
    ("我叫李向东", "我叫[姓名]"),
    ("我爸叫陈家辉，今年六十", "我爸叫[姓名]，今年六十"),
    ("患者张和平，男，60岁", "患者[姓名]，男，60岁"),
    ("病人叫闫春生，住3床。", "病人叫[姓名]，住3床。"),
    ("我叫王芳和我妈一起来的", "我叫[姓名]和我妈一起来的"),
    # the account holder's name on a card
    ("建行卡，户名周敏。", "建行卡，户名[姓名]。"),
    # a birth year said the usual way
    ("我是1975年的，更年期了吗？", "我是[出生日期]的，更年期了吗？"),
    ("她是88年的。", "她是[出生日期]的。"),
    # an ID number grouped with dashes; a 19-digit card grouped 4-4-4-4-3; a lower-case plate after 车牌
    ("身份证：110105-19850312-7310", "身份证：[证件号]"),
    ("工商银行6222 0212 3456 7890 128。", "工商银行[账号]。"),
    ("我的车牌沪a12345。", "我的车牌[车牌]。"),
    # a clinic card with no 号, a student card
    ("我的就诊卡是000123456。", "我的就诊卡是[病历号]。"),
    ("学生证号S20210456，能报销吗？", "学生证号[编号]，能报销吗？"),
]


@pytest.mark.parametrize("text, expected", SEVENTH_SET_CLASSES, ids=[c[0][:8] for c in SEVENTH_SET_CLASSES])
def test_classes_the_seventh_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


SEVENTH_SET_LOOKALIKES = [
    "我是2018年的时候开始咳嗽的", "我妈叫我多喝水", "我老公叫我去医院", "我的就诊卡丢了", "车牌被挡住了",
    "我叫他别熬夜", "2018年出生的孩子要打这个疫苗吗", "银行卡丢了要挂失吗",
]


@pytest.mark.parametrize("text", SEVENTH_SET_LOOKALIKES)
def test_the_seventh_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


# Separators the number rules did not know, put inside a number by a person or by pasted text (zero-width
# spaces, no-break spaces, odd hyphens, interpuncts): the number was missed whole.
ODD_SEPARATORS = [
    ("我的电话138\u200b1234\u200b5678，有事打", "我的电话[电话]，有事打"),
    ("手机1\u200b3\u200b9\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8", "手机[电话]"),
    ("电话：138·1234·5678", "电话：[电话]"),
    ("手机139\u00a01234\u00a05678", "手机[电话]"),
    ("电话 138\u20101234\u20105678", "电话 [电话]"),
    ("座机010\u20116512\u20113456", "座机[电话]"),
    ("身份证110105\u200b19850312\u200b7310", "身份证[证件号]"),
    # invisible characters inside a name, too
    ("我叫张\u200b伟，头疼", "我叫[姓名]，头疼"),
    ("患者王\u200b\u200b芳，女，45岁", "患者[姓名]，女，45岁"),
    ("\ufeff我叫李\u00ad娜", "\ufeff我叫[姓名]"),
]


@pytest.mark.parametrize("text, expected", ODD_SEPARATORS, ids=[repr(c[0][:8]) for c in ODD_SEPARATORS])
def test_numbers_with_odd_separators_are_caught(text, expected):
    redacted, spans = deidentify(text)
    assert redacted == expected
    for r in spans:  # offsets still point into the input
        assert text[r.start : r.end] == r.original


ODD_SEPARATOR_LOOKALIKES = [
    ("血压130·80", "血压130·80"),
    ("体温36·5度", "体温36·5度"),
    ("心率\u200b88次", "心率\u200b88次"),
    ("约翰·史密斯说血糖7·2", "[姓名]说血糖7·2"),  # the interpunct still joins a transliterated name
    ("京A·12345是谁的车", "[车牌]是谁的车"),
]


def test_a_name_written_with_an_invisible_character_is_replaced_plainly_elsewhere_in_the_dialogue():
    from workbench.privacy import names_in

    known = names_in(["我叫张\u200b伟，头疼三天了"])
    assert known == {"张伟"}
    assert deidentify("张伟的药吃完了", known_names=known)[0] == "[姓名]的药吃完了"


@pytest.mark.parametrize("text, expected", ODD_SEPARATOR_LOOKALIKES)
def test_odd_separators_in_measurements_names_and_plates_keep_their_reading(text, expected):
    assert deidentify(text)[0] == expected


def test_goals_hold_on_the_seventh_set():
    # Written blind in session 47 (by a helper who never read the rules): first scored name recall 0.776 (38/49),
    # other labels 0.895 (68/76), precision 1.000; then used to improve the rules (grouped IDs, platform
    # accounts and profile links, 医保编号, 报告编号, extensions, 老刘头, transliterations after a cue, Uyghur
    # names), so it no longer measures unseen text. In session 48 also: lists walked from a name the tagger
    # found (还有马丽、黄海涛和吴静), pinyin and Latin names after a cue, 何 after 爸爸是, pet names called so
    # (牛牛（小名）) and self-introductions (我是钱多多妈妈, 我是…的胡明明): name recall 0.837 -> 0.939.
    # An estate's district and building with no road after 我在 too. Left: a nickname with no surname (小雨).
    sc = score(_rows(HELDOUT7))
    assert sc.overlap["name"].recall >= 0.93, sc.misses
    for label in set(sc.overlap) - {"name", "all", "address"}:
        assert sc.overlap[label].recall >= 0.95, (label, sc.misses)
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT7)) >= 170 and sum(not r["spans"] for r in _rows(HELDOUT7)) >= 60


# Classes the seventh set found, in sentences of their own (none is in an evaluation set).
SEVENTH_BLIND_CLASSES = [
    ("身份证号 1101 0519 8503 1273 10，帮我查下", "身份证号 [证件号]，帮我查下"),
    ("快手号 health_mama88 上有我拍的片子", "快手号 [账号] 上有我拍的片子"),
    ("小红书@爱跑步的小周 是我", "小红书[账号] 是我"),
    ("我的主页 https://m.weibo.cn/u/1234567890", "我的主页 [账号]"),
    ("社保编号4401067788123，能查到吗", "社保编号[账号]，能查到吗"),
    ("检验报告编号LAB-2024-0091", "检验报告编号[病历号]"),
    ("科室电话020-81234567分机203", "科室电话[电话]"),
    ("加我微信吧：zhou_1988", "加我微信吧：[账号]"),
    ("老王头今天又喘了", "[姓名]今天又喘了"),
    ("我叫玛丽亚·罗德里格斯", "我叫[姓名]"),
    ("买买提·吐尔逊，男，58岁", "[姓名]，男，58岁"),
    ("寄到南京市鼓楼区中山北路8号附2号，谢谢", "寄到[地址]，谢谢"),  # a sub-number after the house number
    ("现住重庆市渝中区解放碑民族路168号", "现住[地址]"),
]


@pytest.mark.parametrize("text, expected", SEVENTH_BLIND_CLASSES, ids=[c[0][:8] for c in SEVENTH_BLIND_CLASSES])
def test_classes_the_seventh_blind_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


# Session 48's rules for what the seventh set still missed, in sentences of their own.
NAME_CLASSES_S48 = [
    ("一起住院的还有孙丽、欧阳海涛和吴静，都退烧了", "一起住院的还有[姓名]、[姓名]和[姓名]，都退烧了"),
    ("患者Zhao Lei，男，52岁，糖尿病十年", "患者[姓名]，男，52岁，糖尿病十年"),
    ("病人Huang Xiaoming昨天转到我们科", "病人[姓名]昨天转到我们科"),
    ("我儿子Kevin老是流鼻血", "我儿子[姓名]老是流鼻血"),
    ("我爸爸是何建军，想问他的化验单", "我爸爸是[姓名]，想问他的化验单"),
    ("宝宝乳名：豆豆（小名），今年两岁", "宝宝乳名：[姓名]（小名），今年两岁"),
    ("我是钱乐乐的妈妈，她咳嗽一周了", "我是[姓名]的妈妈，她咳嗽一周了"),
    ("医生好，我是昨天来做胃镜的罗佳佳", "医生好，我是昨天来做胃镜的[姓名]"),
    ("我在龙泽苑西区8号楼，出门就是地铁", "我在[地址]，出门就是地铁"),  # an estate's district and building
]


@pytest.mark.parametrize("text, expected", NAME_CLASSES_S48, ids=[c[0][:8] for c in NAME_CLASSES_S48])
def test_names_the_seventh_set_still_missed_are_caught(text, expected):
    assert deidentify(text)[0] == expected


NAME_LOOKALIKES_S48 = [
    "我是New York来的留学生", "患者HIV阳性，需要注意什么", "患者CT显示肺部有阴影", "我是高三学生家长，孩子压力大",
    "我是前天来的高烧，还没退", "我是刚才问黄疸的", "我是上次来的周一，今天复诊", "何时复查比较好",
    "我爸爸是何时开始吃药的", "布洛芬和对乙酰氨基酚能一起吃吗", "我是你们医院的老病人", "药名（小名）叫什么",
    "我在门诊东区2号楼", "住院部B区3号楼12床",
]


@pytest.mark.parametrize("text", NAME_LOOKALIKES_S48)
def test_session_48_name_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_eighth_set():
    # Written blind in session 48 (151 messages by a helper who never read the rules; 50 without personal data,
    # with look-alikes: 何首乌, 王不留行, 马应龙, 唐氏, 华佗, 12320, an ECG's timestamp). First score, with the
    # session's rules for the seventh set already in: name recall 0.764 (55/72; 0.736 before them), other labels
    # 0.915 (65/71), precision 1.000. Then used for rules (a bed number before a name, 家长：/孩子：/收件人,
    # 小名 + a doubled pet name, the surnames 揭 笪 茹 展; 常 after a cue or before a title; a rare three-character
    # word the dictionary calls a place after a kinship word, 我外公高建国; an ID's own birth date, a hidden e-mail,
    # a handle after 叫): name recall 0.903 (65/72), all labels 0.930, no other set or corpus string changed. So it
    # no longer measures unseen text.
    # Session 49's rules for the ninth set found two more of its names: name 0.972, all labels 0.979.
    sc = score(_rows(HELDOUT8))
    assert sc.overlap["name"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT8)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT8)) >= 50


EIGHTH_SET_CLASSES = [
    ("交接：7床蒲秀兰今晨血压偏高", "交接：7床[姓名]今晨血压偏高"),
    ("家长：揭红梅，电话稍后补", "家长：[姓名]，电话稍后补"),
    ("孩子：毛雨桐，5岁", "孩子：[姓名]，5岁"),
    ("宝宝小名乐乐，刚满周岁", "宝宝小名[姓名]，刚满周岁"),
    ("收件人：笪志强", "收件人：[姓名]"),
    ("我表姐茹美玲也有这个病", "我表姐[姓名]也有这个病"),
    ("我婆婆常桂芳膝盖疼", "我婆婆[姓名]膝盖疼"),  # 常 after a kinship word
    ("上周挂的常明远主任的号", "上周挂的[姓名]主任的号"),  # ... or before a title
    ("我姥爷高建军高血压好多年了", "我姥爷[姓名]高血压好多年了"),
    # the ID number's own birth date written out beside it; an e-mail hidden from robots; a handle after 叫
    ("信息如下：1990/7/3，身份证440103199007031234", "信息如下：[出生日期]，身份证[证件号]"),
    ("发我邮箱 zhangmin_88#163.com 就行", "发我邮箱 [邮箱] 就行"),
    ("邮箱wangli(at)126.com", "邮箱[邮箱]"),
    ("我抖音叫@养生小课堂", "我抖音叫[账号]"),
]
EIGHTH_SET_LOOKALIKES = ["3床高烧不退", "12床发烧", "孩子：发烧三天", "家长：很担心", "宝宝：8个月", "5床的病人",
                         "收件人：本人", "小名叫什么好", "展开说说", "揭开纱布", "茹素三年", "2床张力性气胸",
                         "乳名是什么意思", "3床术后第二天",
                         "做常规检查", "我经常头疼", "我妈妈常常失眠", "我老公常年抽烟", "孩子常哭闹", "常规医生建议",
                         "我妈妈黄河边长大的", "我爸爸张家口人", "我女儿金银花过敏",
                         "#高血压# 话题下都说要低盐", "C#.net开发的挂号系统", "look at this.com",
                         "复查日期2023-11-30，上次是2023-05-30", "微信叫什么来着"]


@pytest.mark.parametrize("text, expected", EIGHTH_SET_CLASSES, ids=[c[0][:8] for c in EIGHTH_SET_CLASSES])
def test_classes_the_eighth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", EIGHTH_SET_LOOKALIKES)
def test_the_eighth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


SEVENTH_BLIND_LOOKALIKES = [
    "抖音上说的偏方能用吗", "我在微博上看到要多喝水", "快手直播卖的保健品能吃吗", "老毛病又犯了", "老头最近总咳嗽",
    "报告出来了，编号在哪看", "https://www.nhc.gov.cn/wjw/index.shtml 上的指南", "中国·北京", "同仁堂·安宫牛黄丸",
    "git clone https://github.com/scutcyr/BianQue.git", "转8床的病人", "血常规报告单", "我在微博@了你们医院",
]


@pytest.mark.parametrize("text", SEVENTH_BLIND_LOOKALIKES)
def test_the_seventh_blind_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_ninth_set():
    # Written blind in session 49 (150 messages by a helper who never read the rules or the earlier sets; 24
    # without personal data once labelled as below, with look-alikes: 肌张力高, 蒲地蓝, 王老吉, hospital hotlines). Its labels were
    # brought to the project's conventions before scoring (insurance and bank cards are accounts, a 就诊卡 number
    # is a record number, a passport an ID; a surname before a title and a 400 number are redacted). First score:
    # name recall 0.833 (65/78), precision 0.970 (肌张力高 and 蒲地蓝 taken for names), all labels 0.883, precision
    # 0.987. Then used for rules (Tibetan and 古丽 names, a lunar birth date, 阿强/小雨 as a clause's subject or
    # before an age, a colleague by department, （我同事） after a name, 是我爸, 收 after a name, a name after an
    # identifier, an ID in any grouping after its cue, 用户名/昵称, 医保个人编号, I'm + a pinyin name, a rare
    # dictionary name after a kinship word, 我是热依拉的妈妈, 郜 郗 隗 乜): name recall 0.962, all labels 0.977,
    # precision 1.000; no other set lost anything (the eighth gained: name 0.972). So it no longer measures
    # unseen text.
    sc = score(_rows(HELDOUT9))
    assert sc.overlap["name"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT9)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT9)) >= 24


NINTH_SET_CLASSES = [
    ("阿芳昨天开始发烧", "[姓名]昨天开始发烧"),
    ("我儿子小宇今天早上吐了两次", "我儿子[姓名]今天早上吐了两次"),
    ("我女儿小雨3岁，发烧两天", "我女儿[姓名]3岁，发烧两天"),
    ("公司的小王说这个药不能空腹吃", "公司的[姓名]说这个药不能空腹吃"),
    ("患者格桑梅朵，女，32岁", "患者[姓名]，女，32岁"),
    ("次仁央金是我同事，她最近老咳嗽", "[姓名]是我同事，她最近老咳嗽"),
    ("我同事阿依古丽最近胃疼", "我同事[姓名]最近胃疼"),
    ("我叫卓玛，在拉萨工作", "我叫[姓名]，在拉萨工作"),
    ("生日是农历三月初八", "生日是[出生日期]"),
    ("我是阴历一九六五年腊月二十三出生的", "我是[出生日期]出生的"),
    ("张建华（我爸）今年体检血糖高", "[姓名]（我爸）今年体检血糖高"),
    ("王丽是我妈，她腿肿", "[姓名]是我妈，她腿肿"),
    ("包裹寄到杭州市西湖区文三路90号，孙晓燕收", "包裹寄到[地址]，[姓名]收"),
    ("工号HR30817，冯志远，体检报告在哪看", "工号[编号]，[姓名]，体检报告在哪看"),
    ("身份证 110101 1990 0307 001X", "身份证 [证件号]"),
    ("我的昵称是tangtang_2020", "我的昵称是[账号]"),
    ("社保个人编号：SZ0098123", "社保个人编号：[账号]"),
    ("Hello, I am Liu Yang，想问一下体检结果", "Hello, I am [姓名]，想问一下体检结果"),
    ("我外公巴特尔血压高", "我外公[姓名]血压高"),
    ("我是热依拉的妈妈", "我是[姓名]的妈妈"),
    ("我老婆曹丽也是O型血", "我老婆[姓名]也是O型血"),
]
NINTH_SET_LOOKALIKES = [
    "肌张力高是脑瘫吗", "吃了蒲地蓝消炎片", "连花清瘟能预防吗", "今天农历八月十五，能吃月饼吗", "扎西德勒，医生新年好",
    "我外婆是藏族，从高原下来以后头疼", "格桑花开了", "阿司匹林每天吃一片可以吗", "阿胶最近吃了有没有用",
    "阿姨最近血压高", "阿嬷最近血压高", "我女儿小时候得过肺炎", "我儿子小便有泡沫", "我儿子小脸最近发黄",
    "我女儿小学三年级，最近视力下降", "我儿子小肚子疼了一晚上", "我们科的小护士说要空腹", "我是孩子的妈妈",
    "我是二宝妈妈", "我是新手妈妈，请问", "我是双胞胎的妈妈", "我用户体验很差", "身份证丢了，补办要多久",
    "I'm Not Sure 吃什么药", "血压140/90，高压偏高", "每天3次，每次2片",
]


@pytest.mark.parametrize("text, expected", NINTH_SET_CLASSES, ids=[c[0][:8] for c in NINTH_SET_CLASSES])
def test_classes_the_ninth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", NINTH_SET_LOOKALIKES)
def test_the_ninth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_tenth_set():
    # Written blind in session 50 (150 messages by a helper who never read the rules or the earlier sets; 60
    # without personal data, with look-alikes: 黄疸, 王老吉, 小三阳, lot numbers, a city alone; 69 names, many
    # with no Han surname or in Latin letters). First score: name recall 0.754 (52/69), all labels 0.800,
    # precision 1.000. Then used for rules (traditional characters read as simplified, a name said twice, Uyghur
    # names with an interpunct, a doubled pet name opening a message, 冷 沙 向 哈 after a cue or before a title,
    # pinyin full names, a foreign full name after 外籍, 我先生, 两位 after a list, a name with no Han surname
    # before sex and age or after 隔壁床的 before an elder's title, 我叫和平, 小美姐说, 的叫小周, a card number
    # with a bad check digit in a sentence about a card, a platform name in Chinese words, a lunar birthday before
    # 的生日, 工作许可证号): name recall 0.986, all labels 0.992, precision 1.000; no other set or corpus string
    # changed. So it no longer measures unseen text.
    sc = score(_rows(HELDOUT10))
    assert sc.overlap["name"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].recall >= 0.98, sc.misses
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT10)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT10)) >= 60


# Written after the tenth set's misses were read, none taken from it: each rule on new text ...
TENTH_SET_CLASSES = [
    ("艾合买提·吐尔洪昨天住院了", "[姓名]昨天住院了"),
    ("我侄子 Li Hao 在北京上学", "我侄子 [姓名] 在北京上学"),
    ("Wang Lei 说他头疼", "[姓名] 说他头疼"),
    ("外籍患者 John Smith 需要翻译吗", "外籍患者 [姓名] 需要翻译吗"),
    ("我先生 David 也过敏", "我先生 [姓名] 也过敏"),
    ("乌兰托娅，女，35岁，乳腺增生", "[姓名]，女，35岁，乳腺增生"),
    ("病友的阿依努尔阿姨说这个药好", "病友的[姓名]阿姨说这个药好"),
    ("王建国 刘秀芝 两位老人都是高血压", "[姓名] [姓名] 两位老人都是高血压"),
    ("我叫海洋，28岁", "我叫[姓名]，28岁"),
    ("病房的小芳姐说明天拆线", "病房的[姓名]姐说明天拆线"),
    ("新来的那个叫小郑，态度很好", "新来的那个叫[姓名]，态度很好"),
    ("我姨妈冷秀英胃不好", "我姨妈[姓名]胃不好"),
    ("豆豆今天又拉肚子了", "[姓名]今天又拉肚子了"),
    ("我女儿朵朵三岁，朵朵昨晚发烧", "我女儿[姓名]三岁，[姓名]昨晚发烧"),  # the same name again
    ("住院號：ZY2021008，鄭秀英", "住院號：[病历号]，[姓名]"),  # traditional characters
    ("劉醫生說要複查", "[姓名]醫生說要複查"),
    ("把钱打到这张卡：6217 0012 3456 7890 123", "把钱打到这张卡：[账号]"),
    ("我抖音叫 爱跑步的老李头，里面有视频", "我抖音叫 [账号]，里面有视频"),
    ("平台昵称是「小鱼儿」", "平台昵称是「[账号]」"),
    ("我妈阴历八月初三的生日", "我妈[出生日期]的生日"),
    ("外国人工作许可证号 F3100002021123456", "外国人工作许可证号 [编号]"),
]
# ... and what those rules must leave alone
TENTH_SET_LOOKALIKES = [
    "向医生反映过了", "华山·西峰", "今天天气好，天天下雨", "渐渐好转了", "常常头晕", "慢慢来", "患者，女，42岁，咳嗽",
    "右下腹痛，男，20岁", "一名患者，男，5岁", "隔壁床的那个阿姨", "昵称随便起", "微博叫什么来着", "Hong Kong 的医院",
    "我叫医生。", "我叫救护车", "冷敷一下", "沙眼怎么治", "向阳的房间", "哈哈医生你好", "小姐姐说", "三月八号的生日",
    "今天农历腊月十八", "许可证号在哪看", "我叫和我妈一起来的人帮忙",
]


@pytest.mark.parametrize("text, expected", TENTH_SET_CLASSES, ids=[c[0][:8] for c in TENTH_SET_CLASSES])
def test_classes_the_tenth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", TENTH_SET_LOOKALIKES)
def test_the_tenth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_eleventh_set():
    # Written blind in session 51 (150 messages by a helper who never read the rules or the earlier sets; 55
    # without personal data, with look-alikes: 高峰期, 方圆, 王府井, DOB值12.6, 12320; 70 names, many given names
    # alone, names that are also words, Mongolian names, Latin and pinyin names). First score: name recall 0.757
    # (53/70), all labels 0.866, precision 1.000. Then used for rules (a relative's, a carer's or "she"'s 叫 before a
    # word that is all the clause says: 我老公叫国庆, 护士叫文静, 小名叫石头, 她好像叫赵敏; 俺 read as 我; 孩子他爸,
    # 老爷子, 兄弟 as kinship words; Mongolian names; a name taken up by 他/她 before a time word; the name a message
    # opens with when the writer says 我是她姐; a doubled pet name opening a later clause of a message about a child;
    # 小X after 说 before a time word; Latin names in capitals after Patient:, in lower-case pinyin after 名字拼成了,
    # before 的妈妈; passport No.; an @handle where a platform is named): name recall 0.986, all labels 0.993,
    # precision 1.000; no other set or corpus string changed. Left: 本人许可 (本人 + a name that is also a word).
    sc = score(_rows(HELDOUT11))
    assert sc.overlap["name"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].recall >= 0.98, sc.misses
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT11)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT11)) >= 55


# Written after the eleventh set's misses were read, none taken from it: each rule on new text ...
ELEVENTH_SET_CLASSES = [
    ("我媳妇叫春燕，怀孕三个月了", "我媳妇叫[姓名]，怀孕三个月了"),
    ("我闺女小名叫豆芽，两岁", "我闺女小名叫[姓名]，两岁"),
    ("值班护士好像叫周婷。", "值班护士好像叫[姓名]。"),
    ("俺叫王二柱，腰疼好几年了", "俺叫[姓名]，腰疼好几年了"),
    ("孩子他妈小芳今天发烧了", "孩子他妈[姓名]今天发烧了"),
    ("我姥姥叫萨仁其其格，八十了", "我姥姥叫[姓名]，八十了"),
    ("毕力格大夫明天出诊吗", "[姓名]大夫明天出诊吗"),
    ("子轩他昨天又咳了一晚上", "[姓名]他昨天又咳了一晚上"),
    ("钱小红今天还在发烧，我是她妈妈", "[姓名]今天还在发烧，我是她妈妈"),
    ("儿子一岁半，壮壮最近不爱吃饭", "儿子一岁半，[姓名]最近不爱吃饭"),
    ("主任说小杰明天能出院", "主任说[姓名]明天能出院"),
    ("Name: ZHANG Wei, 男", "Name: [姓名], 男"),
    ("护照上名字写成了li na", "护照上名字写成了[姓名]"),
    ("我是Lucy的爸爸", "我是[姓名]的爸爸"),
    ("passport number is E12345678", "passport number is [证件号]"),
    ("在抖音关注了@皮肤科王医生，他说要保湿", "在抖音关注了@[账号]，他说要保湿"),
]
# ... and what those rules must leave alone
ELEVENTH_SET_LOOKALIKES = [
    "我老公叫救护车，半小时才到", "他叫不醒，怎么办", "她好像叫什么来着", "我妈叫外卖了", "护士叫我等一下",
    "孩子小名叫什么好", "名字写成了拼音", "孩子他今天又发烧了", "医生他说没事", "然后他就晕了", "老人家他说不疼",
    "高血压昨天又犯了，我是她女儿", "宝宝发烧了，慢慢现在好点了", "孩子咳嗽，天天晚上咳", "医生说小便明天再查",
    "护士说小心一点", "我兄弟姐妹都有高血压", "我是Google的员工", "请问@医生 这个药能吃吗", "Patient: CT scan normal",
    "乌云密布的天气关节就疼",
]


@pytest.mark.parametrize("text, expected", ELEVENTH_SET_CLASSES, ids=[c[0][:8] for c in ELEVENTH_SET_CLASSES])
def test_classes_the_eleventh_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", ELEVENTH_SET_LOOKALIKES)
def test_the_eleventh_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_twelfth_set():
    # Written blind in session 52 (150 messages by a helper who never read the rules or the earlier sets; 55
    # without personal data, with look-alikes: 白云山, 国庆节, 建国门, 海燕牌, 李宁, 王老吉, 帕金森, 旺财 the dog; 81
    # names). First score: name recall 0.728 (59/81), all labels 0.817, precision 1.000. Then used for rules (免贵姓钟;
    # 家里 + a doubled pet name; 转发自/转自 + a name; 中文名/英文名; 老人家叫; a relative's given name after the kinship
    # word taken up by 他/她, before an age or an emoji (我老婆海燕她…, 我爸建国今年七十二, 我女儿雨桐😭), one character
    # before ，今年 + an age; X家属; a name before 回个电话/给我打电话; a signature after a dash; 狗蛋（小名）;
    # 小雅(徐雅琪); 我是Maria，; a given name the tokenizer joined to the noun after it (刘 + 洋嗓子); names typed with
    # spaces (王 芳，女); 八三年腊月生的; 体检编号; a device's 序列号): name recall 1.000, all labels 0.993, precision
    # 1.000; no other set or corpus string changed. Left: a blogger's handle in Chinese words with 的 inside it.
    sc = score(_rows(HELDOUT12))
    assert sc.overlap["name"].recall >= 0.98, sc.misses
    assert sc.overlap["all"].recall >= 0.98, sc.misses
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT12)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT12)) >= 55


# Written after the twelfth set's misses were read, none taken from it: each rule on new text ...
TWELFTH_SET_CLASSES = [
    ("免贵姓欧阳，上次的药吃完了", "免贵姓[姓名]，上次的药吃完了"),
    ("家里朵朵昨晚又吐了，朵朵才八个月", "家里[姓名]昨晚又吐了，[姓名]才八个月"),
    ("转自陈淑珍：隔夜茶能喝吗", "转自[姓名]：隔夜茶能喝吗"),
    ("我叫Tony，中文名叫周涛", "我叫[姓名]，中文名叫[姓名]"),
    ("老人家叫孙福贵，今年九十", "老人家叫[姓名]，今年九十"),
    ("我媳妇春梅她这两天头疼", "我媳妇[姓名]她这两天头疼"),
    ("我妈秀兰今年六十五了", "我妈[姓名]今年六十五了"),
    ("我儿子浩然😢咳了一晚上", "我儿子[姓名]😢咳了一晚上"),
    ("我女儿琳，今年十二", "我女儿[姓名]，今年十二"),
    ("请周桂芝家属到3楼", "请[姓名]家属到3楼"),
    ("麻烦让何晓东回个电话", "麻烦让[姓名]回个电话"),
    ("注意休息，按时吃药。——消化科 郑国强", "注意休息，按时吃药。——消化科 [姓名]"),
    ("我家铁蛋（小名）三岁了", "我家[姓名]（小名）三岁了"),
    ("我是阿珍(林珍珍)，想改预约", "我是[姓名]([姓名])，想改预约"),
    ("我是Sophie，法国人", "我是[姓名]，法国人"),
    ("我老公陈浩脖子上长了个包", "我老公[姓名]脖子上长了个包"),
    ("患者 孙 丽，女，38岁", "患者 [姓名]，女，38岁"),
    ("我是七六年冬月生的", "我是[出生日期]生的"),
    ("体检号TJ20250101008", "体检号[病历号]"),
    ("制氧机序列号AX20391873", "制氧机序列号[编号]"),
]
# ... and what those rules must leave alone
TWELFTH_SET_LOOKALIKES = [
    "我爸身体今年不太好", "我女儿发烧😭", "吃药——尤其是抗生素——要按疗程", "我妈妈她说不用去", "马 上 去医院",
    "我儿子乖，今年十岁", "我女儿可爱😍", "我爸高血压他一直吃药", "给我打电话的那个人", "我是Doctor，", "这是九八年生产的药",
    "以上内容仅供参考 -- 心内科", "王 医生说没事", "家属请到护士站", "家里人都感冒了",
]


@pytest.mark.parametrize("text, expected", TWELFTH_SET_CLASSES, ids=[c[0][:8] for c in TWELFTH_SET_CLASSES])
def test_classes_the_twelfth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", TWELFTH_SET_LOOKALIKES)
def test_the_twelfth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_thirteenth_set():
    # Written blind later in session 52 (150 lines of structured and semi-structured text: report headers, tables
    # flattened with |, chat logs, group chats with @mentions, rosters, English notes and letters; 50 without
    # personal data; 184 names). First score: name recall 0.614 (113/184), all labels 0.708, precision 0.995 (惠予
    # after 吴主任). Then used for rules (a record's role fields, also after | or a space: 检验者, 审核者, 送检医师,
    # 会诊医师, 交款人, 主刀, 一助, 护士长…; a role with the name in brackets; a chat's speaker before a colon or a time
    # stamp; @mentions; a doubled pet name before 妈妈/奶奶; 李姐， opening a message; 我是海燕，; Latin names after
    # English and Chinese cues, with accents and apostrophes, before 's mom, 的病人, MD; a roster's shifts; X的家属;
    # whose report; 30 more common surnames (傅, 康…); Hong Kong, Macau and Taiwan numbers; NHS No.; passports with
    # three letters; English birth dates; Inpatient No.; an insurer's Member ID; 马建华（男，…）): name recall 0.973,
    # all labels 0.981, precision 1.000; no other set changed. The policy number was relabelled account, as the
    # seventh set labels 保单号. Left: 陈奶奶 (a surname and an elder's title at the start), 张国庆国庆节后, 赵敏顶一下,
    # "under Chen Yu". Session 63 relabelled the insurer's Member ID account too, like its policy (heldout42 agrees).
    sc = score(_rows(HELDOUT13))
    assert sc.overlap["account"].recall == 1.0 and sc.overlap["other"].precision == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.96, sc.misses
    assert sc.overlap["all"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT13)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT13)) >= 50


# Written after the thirteenth set's misses were read, none taken from it: each rule on new text ...
THIRTEENTH_SET_CLASSES = [
    ("检验者：郝建 审核者：祁红", "检验者：[姓名] 审核者：[姓名]"),
    ("| 报告医师 | 韦小宁 |", "| 报告医师 | [姓名] |"),
    ("主刀 严明，麻醉 龚小兰", "主刀 [姓名]，麻醉 [姓名]"),
    ("主治医生（覃丽）查房", "主治医生（[姓名]）查房"),
    ("刘敏：血糖多少 / 郑伟：6.1", "[姓名]：血糖多少 / [姓名]：6.1"),
    ("@唐静 @小满 今晚加班", "@[姓名] @[姓名] 今晚加班"),
    ("果果妈妈：孩子退烧了", "[姓名]妈妈：孩子退烧了"),
    ("王姐，我是3床的家属", "[姓名]姐，我是3床的家属"),
    ("我是秀兰，上周来过", "我是[姓名]，上周来过"),
    ("进修生Emma负责记录", "进修生[姓名]负责记录"),
    ("Pt Wu Hao, M, 52y", "Pt [姓名], M, 52y"),
    ("Best regards, Karen Liu, MD", "Best regards, [姓名], MD"),
    ("Ryan's mom here", "[姓名]'s mom here"),
    ("N班 傅强；护士长 康丽", "N班 [姓名]；护士长 [姓名]"),
    ("方圆的家属请到前台", "[姓名]的家属请到前台"),
    ("龚丽萍的病理报告出来了吗", "[姓名]的病理报告出来了吗"),
    ("电话 +852 6543 2109", "电话 [电话]"),
    ("DOB: March 3, 1971", "DOB: [出生日期]"),
    ("NHS number 943 476 5919", "NHS number [证件号]"),
    ("Admission No. A2024-1187", "Admission No. [病历号]"),
    ("邹海（男，61岁）胸痛2小时", "[姓名]（男，61岁）胸痛2小时"),
]
# ... and what those rules must leave alone
THIRTEENTH_SET_LOOKALIKES = [
    "方案：先吃药", "诊断：胃炎", "主任：明天查房", "@医生 这个药能吃吗", "@所有人 明天停诊", "Dear Sir, thank you",
    "Hi All, meeting at 3", "Patient reports CT normal", "我是学生，", "我是医生，", "小心护士说的", "请吴主任惠予诊治，谢谢",
    "阳光的孩子", "Google的员工", "审核者：***", "检验者：", "宝宝妈妈：孩子退烧了", "A班：8:00-16:00",
    "您好，我是扁鹊，有什么可以帮您的吗？", "渐渐妈妈就放心了", "我是湿气重，吃什么好", "小时候爸爸妈妈都忙",
]


@pytest.mark.parametrize("text, expected", THIRTEENTH_SET_CLASSES, ids=[c[0][:8] for c in THIRTEENTH_SET_CLASSES])
def test_classes_the_thirteenth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", THIRTEENTH_SET_LOOKALIKES)
def test_the_thirteenth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text.replace("吴主任", "[姓名]主任")


def test_goals_hold_on_the_fourteenth_set():
    # Written blind at the end of session 52 (150 lines: chatty patients in dialect and voice transcripts, doctors'
    # and nurses' messages, semi-structured records; 56 without personal data; 101 names, many given names alone that
    # are also words). First score: name recall 0.752 (76/101), all labels 0.818, precision 1.000. Then used for
    # rules (whom a message or a clause addresses before 你/您 or an elder's title: 蔡雯，明天你…, 收到，建国大哥，;
    # a request by given name and title: 麻烦美玲姐, 请给郭大姐; people given a duty or told: 由思琪和周敏负责, 跟亚楠
    # 说一下; 娜仁花的家属; 我係阿珍呀; 婷婷她这几天; 小芳是我表妹 wherever 小芳 is said; 他娘, 老汉儿; 来电人：伍先生
    # is the surname; any "…人：" field, 孕妇：, 签约居民; 患者：Maria Santos; Kevin帮我; "Wang Li, your…"; a passport
    # ending in a letter; Specimen ID): name recall 0.931, all labels 0.953, precision 1.000; no other set changed.
    # Left: names that are also words with no cue but their place (让国庆明天, 接长生的班, 舒畅三位组长).
    sc = score(_rows(HELDOUT14))
    assert sc.overlap["name"].recall >= 0.92, sc.misses
    assert sc.overlap["all"].recall >= 0.94, sc.misses
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT14)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT14)) >= 50


# Written after the fourteenth set's misses were read, none taken from it: each rule on new text ...
FOURTEENTH_SET_CLASSES = [
    ("黎静，你明天早点来", "[姓名]，你明天早点来"),
    ("好的，秀梅阿姨，您慢走", "好的，[姓名]阿姨，您慢走"),
    ("麻烦丽华姐帮我看一下", "麻烦[姓名]姐帮我看一下"),
    ("请给孙大哥打个电话", "请给[姓名]大哥打个电话"),
    ("今晚由晓红和蒋涛值班", "今晚由[姓名]和[姓名]值班"),
    ("跟诗涵说一下明天复查", "跟[姓名]说一下明天复查"),
    ("请阿依努尔的家属过来", "请[姓名]的家属过来"),
    ("我系阿英啊，想问下", "我系[姓名]啊，想问下"),
    ("朵朵她昨天开始发烧", "[姓名]她昨天开始发烧"),
    ("小丽是我外甥女，让小丽来拿药", "[姓名]是我外甥女，让[姓名]来拿药"),
    ("铁蛋他娘来了", "[姓名]他娘来了"),
    ("来电人：戴女士", "来电人：[姓名]女士"),
    ("申请人：柏杨", "申请人：[姓名]"),
    ("患者：John Smith，男", "患者：[姓名]，男"),
    ("Tom帮我约的号", "[姓名]帮我约的号"),
    ("Li Hua, your results are ready", "[姓名], your results are ready"),
    ("护照号E12345678A", "护照号[证件号]"),
    ("Specimen ID ZX-2024-0091", "Specimen ID [病历号]"),
]
# ... and what those rules must leave alone
FOURTEENTH_SET_LOOKALIKES = [
    "嗯嗯，理解你的担心。", "稍等，我看一下你上传的报告。", "谢谢，你们辛苦了", "好的，北京大哥，你好", "上海阿姨，你好",
    "收到，小区阿姨，您好", "医生，你好", "宝宝，你要乖", "由护士和家属负责", "跟医生说一下", "跟大家说一下",
    "Thanks, you are great", "小心护士说的", "麻烦给我姐说一声", "谢谢大哥", "由我们负责",
]


@pytest.mark.parametrize("text, expected", FOURTEENTH_SET_CLASSES, ids=[c[0][:8] for c in FOURTEENTH_SET_CLASSES])
def test_classes_the_fourteenth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", FOURTEENTH_SET_LOOKALIKES)
def test_the_fourteenth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_fifteenth_set():
    # Written blind in session 53 (150 lines: call transcripts with numbers read out and fillers, bilingual forms and
    # tables, family and patient-group chats; 55 without personal data). Two hospital numbers the writer had left
    # unlabelled were labelled phone, as every earlier set does. First score: all labels recall 0.669, precision
    # 0.941 (name 0.667, phone 0.583, record number 0.273). Then used for rules (numbers read out: 幺三八 幺二三四…,
    # 住院号是幺零二…; a transcript's fillers after a cue: 病历号 嗯 一二八…; a form's English field name before the
    # colon: 门诊号 OPD No.: MZ…, 医师签名 Physician: 胡志强, no longer a name or an account itself; letters then
    # digits read in groups; Hong Kong ID numbers by their check character; a chat's speaker by nickname or title:
    # 小燕：, 阿珍：, 刘大姐：, Kelly：@Jason; 老胡做完…, 小刘你…, 老周 他…, 帮李奶奶…, 我们家阿强, 职工韩冬梅; 我八九年的,
    # 我姑娘2016年的; not 嫲嫲, 孫思邈 in traditional characters, 门诊楼三楼): recall 0.915, precision 1.000; no other set
    # changed; then an e-mail read out (zhangwei1983 at 一六三 点 com: a mail provider, or any domain after 邮箱), 0.923.
    # Session 58's rules (編號 read as 编号: 病人編號 HN11782345(2)): 0.930.
    # Left: table headers far from their values (参保人 | 社保卡号 | …：马桂兰 | Q10483726), a card number said after
    # its cue and a verb (医保卡号发你了 1101…).
    sc = score(_rows(HELDOUT15))
    assert sc.overlap["name"].recall >= 0.88, sc.misses
    assert sc.overlap["all"].recall >= 0.9, sc.misses
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT15)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT15)) >= 50


# Written after the fifteenth set's misses were read, none taken from it: each rule on new text ...
FIFTEENTH_SET_CLASSES = [
    ("病历号 嗯 幺二八 三七四 六五", "病历号 嗯 [病历号]"),
    ("手机 幺三九 零二一二 四四七八 白天打", "手机 [电话] 白天打"),
    ("住院号是二零零三八一七四五", "住院号是[病历号]"),
    ("门诊号 OPD No.: MZ0033812", "门诊号 OPD No.: [病历号]"),
    ("家属签字 Guardian：钱立新", "家属签字 Guardian：[姓名]"),
    ("联系人 Emergency Contact: 孙梅", "联系人 Emergency Contact: [姓名]"),
    ("微信 WeChat: lqm_1990", "微信 WeChat: [账号]"),
    ("学号 Student No.: 20190331", "学号 Student No.: [编号]"),
    ("HKID：A123456(3)", "HKID：[证件号]"),
    ("小雯：@建军 明天几点去", "[姓名]：@[姓名] 明天几点去"),
    ("郑大哥：我到了", "[姓名]大哥：我到了"),
    ("老吴做完手术了", "[姓名]做完手术了"),
    ("小周你记得带病历", "[姓名]你记得带病历"),
    ("我们小区的 嗯 老钱 他也在住院", "我们小区的 嗯 [姓名] 他也在住院"),
    ("帮赵奶奶挂个号", "帮[姓名]奶奶挂个号"),
    ("我们家阿辉今天出院", "我们家[姓名]今天出院"),
    ("我七六年的", "我[出生日期]的"),
    ("我闺女2019年的 今年五岁", "我闺女[出生日期]的 今年五岁"),
    ("兹有我单位员工宋文静因病", "兹有我单位员工[姓名]因病"),
    ("邮箱是 liu.h at pku 点 edu 点 cn", "邮箱是 [邮箱]"),
    ("发到 wangfang88 艾特 qq 点 com 就行", "发到 [邮箱] 就行"),
]
# ... and what those rules must leave alone
FIFTEENTH_SET_LOOKALIKES = [
    "小结：多喝水", "小贴士：少吃盐", "Plan: rest", "Total: 5", "Temp: 38.5", "老毛病又犯了", "老公：快回家",
    "门诊楼三楼集合", "孫思邈講 上醫治未病", "嫲嫲今朝量咗血壓", "他们八九年的时候来过", "这是2016年的报告",
    "一二三四五，上山打老虎", "姓名 Name:", "HN1234567(2) 是检验批号吗", "we meet at 8 点 com", "look at this dot com",
]


@pytest.mark.parametrize("text, expected", FIFTEENTH_SET_CLASSES, ids=[c[0][:8] for c in FIFTEENTH_SET_CLASSES])
def test_classes_the_fifteenth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", FIFTEENTH_SET_LOOKALIKES)
def test_the_fifteenth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_sixteenth_set():
    # Written blind later in session 53 (150 lines: ward notes and handovers, SMS and app notices from hospitals,
    # pharmacies, insurers and labs, patients' long messages mixing several kinds of data; 56 without personal data;
    # 100 names, many of them words: 春花, 安然, 海燕, 文静, 国庆). A device lent to a patient was relabelled other, as
    # earlier sets label a device's serial number. First score, with the rules of the fifteenth set: all labels recall
    # 0.880, precision 0.978 (name 0.810). Then used for rules (a notice greeting a full name: 马建国您好; 尊敬的客户…,
    # 受检者…, 骑手小张, 小刘治疗师, 黄营养师; 叫李家豪 after a comma; a name then its ID number; 留学生Lucy Wang; student
    # ID; 检测编号; a WeChat id with 下划线 said in words; 电话83296615 without its area code; a Taiwan mobile; not 白班,
    # 卫健委, 张文宏): recall 0.955 (name 0.910), precision 1.000; no other set lost a span. Left: given names that are
    # words after a role or kinship word (护士海燕, 我老婆海燕怀孕…, 患者春花), 老王（9床）, 家人刘国庆.
    sc = score(_rows(HELDOUT16))
    assert sc.overlap["name"].recall >= 0.9, sc.misses
    assert sc.overlap["all"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].precision == 1.0, sc.false_alarms
    assert len(_rows(HELDOUT16)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT16)) >= 50


SIXTEENTH_SET_CLASSES = [
    ("【社区医院】刘春生您好，请于周三复查", "【社区医院】[姓名]您好，请于周三复查"),
    ("尊敬的会员周海燕，您的体检报告已生成", "尊敬的会员[姓名]，您的体检报告已生成"),
    ("骑手小李正在配送", "骑手[姓名]正在配送"),
    ("小吴康复师提醒您按时训练", "[姓名]康复师提醒您按时训练"),
    ("我是香港人，叫陈志明，想问下", "我是香港人，叫[姓名]，想问下"),
    ("我孙丽，110101 19850312 1239，想预约", "我[姓名]，[证件号]，想预约"),
    ("我是交换生Anna Berg，需要证明", "我是交换生[姓名]，需要证明"),
    ("Student No. S20231187 请注明", "Student No. [编号] 请注明"),
    ("样本编号BX-2024-0311 已接收", "样本编号[病历号] 已接收"),
    ("微信号是wang下划线1988", "微信号是[账号]"),
    ("门诊电话 6552 1187", "门诊电话 [电话]"),
    ("電話：0912-345-678", "電話：[电话]"),
]
SIXTEENTH_SET_LOOKALIKES = [
    "请白班复查血钾", "【卫健委】预约挂号统一服务热线12320", "张文宏医生说要多喝水", "您好，请问几点开门",
    "老师您好", "叫医生来一下", "家人都很好", "电话费200元", "电话12320", "钟南山院士讲过",
]


@pytest.mark.parametrize("text, expected", SIXTEENTH_SET_CLASSES, ids=[c[0][:8] for c in SIXTEENTH_SET_CLASSES])
def test_classes_the_sixteenth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SIXTEENTH_SET_LOOKALIKES)
def test_the_sixteenth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_seventeenth_set():
    # Written blind at the end of session 53 (150 lines: long patient stories naming several relatives, structured
    # documents with signatures, doctors' short chat messages to colleagues; 56 without personal data; 139 names,
    # many of them words: 文静, 海燕, 高峰, 国庆, 平安, 建国). First score, with the rules of the sixteenth set: all
    # labels recall 0.838, precision 0.995 (name 0.763). Then used for rules (a message opening by addressing someone
    # by a word that is also a given name before 你: 国庆，你把…, 高峰，12床家属想找你; a task handed to someone:
    # 麻烦老周帮忙, 交给小吴跟进, 有事找小吴, 麻烦晓燕跟进; 工友老郑, 楼上的老王, 单位的海燕姐; @李建国 主任; any "…者："
    # or "…员：" field (记录员：, 受种者：); 主管技师, 助产士; 嫂子是1983年的, 是1979年的，属羊; Holter号; 记录仪编号):
    # recall 0.933 (name 0.892), precision 0.996 (a community clinic's street, labelled no address, is redacted as
    # one); no other set lost a span (session 52's fourteenth rose to 0.966). Left: 转给文静吧, 平安今天轮休, 我是产科
    # 蔡文静 (a given name that is a word, with no cue but its place), 麻烦药房小蒋, a nickname opening a message with
    # no 你 after it (老胡，车牌…), 阿芳 before a long clause.
    sc = score(_rows(HELDOUT17))
    assert sc.overlap["name"].recall >= 0.89, sc.misses
    assert sc.overlap["all"].recall >= 0.93, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT17)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT17)) >= 50


SEVENTEENTH_SET_CLASSES = [
    ("国庆，你下午去一趟病理科", "[姓名]，你下午去一趟病理科"),
    ("海燕，明天早上的交班你来主持", "[姓名]，明天早上的交班你来主持"),
    ("小马，今晚你值班", "[姓名]，今晚你值班"),
    ("麻烦老吴帮忙看一下片子", "麻烦[姓名]帮忙看一下片子"),
    ("这个病人交给小冯跟进", "这个病人交给[姓名]跟进"),
    ("麻烦秀梅处理一下", "麻烦[姓名]处理一下"),
    ("楼下的老刘每天早上跑步", "楼下的[姓名]每天早上跑步"),
    ("@王建华 主任，请看一下", "@[姓名] 主任，请看一下"),
    ("记录员：钱晓丽", "记录员：[姓名]"),
    ("审核：孙主管技师", "审核：[姓名]主管技师"),
    ("我嫂子是1986年的，最近总失眠", "我嫂子是[出生日期]的，最近总失眠"),
    ("Holter号：H2405-0113", "Holter号：[病历号]"),
]
SEVENTEENTH_SET_LOOKALIKES = [
    "医生，你好", "明天，你来一趟", "朋友，你好", "收到，你放心", "注意，你要空腹", "另外，你的血压要监测",
    "麻烦大家看一下", "找医生看一下", "交给护士处理", "麻烦你帮忙看一下", "读者：很多", "这是2016年的，报告",
    "片子是2016年的，要重拍",
]


@pytest.mark.parametrize("text, expected", SEVENTEENTH_SET_CLASSES, ids=[c[0][:8] for c in SEVENTEENTH_SET_CLASSES])
def test_classes_the_seventeenth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SEVENTEENTH_SET_LOOKALIKES)
def test_the_seventeenth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_eighteenth_set():
    # Written blind in session 54 (150 lines: discharge summaries, referral letters and scanned forms with OCR
    # artefacts; forum and Q&A posts, Taiwan and Hong Kong ones too; pharmacy, insurance and health-check records with
    # dates of birth written many ways; 55 without personal data). First score: all labels recall 0.806, precision
    # 0.984 (name 0.807). Three labels were then set to agree with the earlier sets (a platform handle is an account,
    # a policy number an account, a chain of city and district where a named man went missing an address). Then used
    # for rules (surnames 庹 仝 麻 房 and 宗政; 药师：, 代理人, 借阅人, a record about one person named first
    # (进修医师登记：翁海燕，); a staff number or card in brackets after a name; 太太 and 阿婆 as titles; 我父亲邬国庆,
    # 父亲何远舟; 其丈夫 + a transliterated name; forum handles after 楼主/网友/用户; spaced, full-width and O-for-0
    # scanned numbers; (02) and Hong Kong 手提 numbers; a Taiwan ID by its check letter; 切片号, 照相号, 处方笺 No.,
    # 个人编号, 执业证书编码, 出生医学证明编号; sexagenary, 民国 and 藏历 years, 公历/即 years after them, 喺…出世, a date
    # after the sex in a roster; 我妹妹晓雯在…, 我女儿欣怡今天…, a nickname before a birth year in brackets): recall
    # 0.961 (name 0.950), precision 0.997. Left: names with no surname after a role (会诊医师乌兰托娅, 主治医生努尔兰),
    # a Latin name before a passport number, a list of birth dates after one cue, 蓝天/牛犇 in a roster with no cue,
    # 医师 杭建新 (a scanned form's field with no colon), 的饶老太.
    sc = score(_rows(HELDOUT18))
    assert sc.overlap["name"].recall >= 0.94, sc.misses
    assert sc.overlap["all"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT18)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT18)) >= 50


EIGHTEENTH_SET_CLASSES = [
    ("审核医师 庹红", "审核医师 [姓名]"),
    ("药师：汤蓓。", "药师：[姓名]。"),
    ("委托代理人骆建平（父子）", "委托代理人[姓名]（父子）"),
    ("进修医师登记：翁海燕，执业证书编码110440100003318", "进修医师登记：[姓名]，执业证书编码[编号]"),
    ("借阅人 医务科钟晴（工号0728）", "借阅人 医务科[姓名]（工号[编号]）"),
    ("紧急联系人：蔺太太", "紧急联系人：[姓名]太太"),
    ("我父亲邬国庆在那家医院做了手术", "我父亲[姓名]在那家医院做了手术"),
    ("父亲何远舟，母亲上官婉", "父亲[姓名]，母亲[姓名]"),
    ("联系人：其丈夫艾力·吐尔逊", "联系人：其丈夫[姓名]"),
    ("买买提·吐尔逊住院了", "[姓名]住院了"),
    ("楼主@糖豆妈妈0612：求助", "楼主@[账号]：求助"),
    ("用户@快乐的小鱼2008因发布他人病历被封禁", "用户@[账号]因发布他人病历被封禁"),
    ("联系电话：0 1 0 - 6 2 7 5 3 3 8 1", "联系电话：[电话]"),
    ("手机 137-〇192-5538", "手机 [电话]"),
    ("家裡電話(02)2771-8836", "家裡電話[电话]"),
    ("可以打我手提6123 8876。", "可以打我手提[电话]。"),
    ("代理人身份证号3301O619650317051X", "代理人身份证号[证件号]"),
    ("身分證字號B215580948", "身分證字號[证件号]"),
    ("病历号：00 1 2 4 5 8 9 6", "病历号：[病历号]"),
    ("处方笺 No.2024061800317", "处方笺 No.[病历号]"),
    ("外院切片号P2024-08831", "外院切片号[病历号]"),
    ("会员卡号VIP00328817", "会员卡号[编号]"),
    ("参保人薛明月，个人编号36010200887134", "参保人[姓名]，个人编号[账号]"),
    ("生于庚午年腊月", "生于[出生日期]"),
    ("她是民国三十八年生人，即1949年", "她是[出生日期]生人，即[出生日期]"),
    ("丁卯年生，已预约胃镜", "[出生日期]生，已预约胃镜"),
    ("二〇二三年十月七日喺伊利沙伯醫院出世", "[出生日期]喺伊利沙伯醫院出世"),
    ("亓艳霞，女，1992/04/18；", "[姓名]，女，[出生日期]；"),
    ("我妹妹晓雯在成都租房", "我妹妹[姓名]在成都租房"),
    ("我家小满（2023年5月21日出生）", "我家[姓名]（[出生日期]出生）"),
    ("宋大爷（1946年生）服用华法林", "[姓名]大爷（[出生日期]生）服用华法林"),
    ("麻烦药房小蒋把药送到病房", "麻烦药房[姓名]把药送到病房"),
    ("老胡，车牌京A12345的车是你的吗？", "[姓名]，车牌[车牌]的车是你的吗？"),
    ("李姐，我是8床的家属", "[姓名]姐，我是8床的家属"),  # a title's surname, not the nickname 李姐 whole
]
EIGHTEENTH_SET_LOOKALIKES = [
    "麻烦家属帮老人回忆一下", "麻醉科会诊后再定", "建议陈皮、马齿苋煎汤代茶", "订单号A123456789已发货",
    "患者女，2024-03-12入院", "今年是甲辰年，流感高发", "家属称其在家只吃女儿做的饭", "我妈肚子最近老疼",
    "我儿子身体一直不好", "小便（2023年起）一直不正常", "找儿科小儿推拿也行",
]


@pytest.mark.parametrize("text, expected", EIGHTEENTH_SET_CLASSES, ids=[c[0][:8] for c in EIGHTEENTH_SET_CLASSES])
def test_classes_the_eighteenth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", EIGHTEENTH_SET_LOOKALIKES)
def test_the_eighteenth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_nineteenth_set():
    # Written blind later in session 54 (150 lines: nursing handovers and whiteboards with masked values, initials and
    # bed numbers; elderly patients' and carers' voice messages in Sichuanese, Cantonese, Shanghainese and northeastern
    # speech; clinical-trial logs, ethics forms, sample manifests and rosters, some in English; 56 without personal
    # data). First score, with the eighteenth set's rules: all labels recall 0.686, precision 0.973 (name 0.592). Three
    # spelt-out surnames (弓长张 after 张德贵) were then unlabelled, as the fifteenth set leaves them. Then used for
    # rules (刘**, 135****8821, 4401**********031X; 23床 仇大爷, 十二床那个冉婆婆, 护工 大刘; 夜班 ZXY 签, 姓名缩写 HYL,
    # 签名：莫; 屋企人, 老头子, 幺爸, 阿嫲, 侄儿, 老伴儿 as kinship words; 家属（女儿）晓燕 电话…; 医生姓冼; 由龚丽接管;
    # surnames 费 and 雒; 婆婆 as an elder's title; trial subjects S-023 where the text is a trial's, 筛选号, SN; 护照 1
    # 本（E83920147）; 医保卡上头的号是…; 病历号我念一下：…; +60 12-345 6789; 打我6123 4087; @Dr_Gao2019; 四一年的，属蛇;
    # 五二年腊月初八; 出生辰光, 民國七十五年三月二日; 老两口住成都市金牛区; not 本院（广州市越秀区）, 阴虚, a software version
    # 6.1.10.235, Dr. Zhong Nanshan): recall 0.942 (name 0.890), precision 1.000; no other set lost a span. Left: 孙子 小勇,
    # 查医生/那奶奶/能医生/籍主任 (surnames that are everyday words), 燕子轮休, 护工次仁 and 法定代理人 阿依努尔.
    sc = score(_rows(HELDOUT19))
    assert sc.overlap["name"].recall >= 0.87, sc.misses
    assert sc.overlap["all"].recall >= 0.93, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT19)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT19)) >= 50


NINETEENTH_SET_CLASSES = [
    ("3床 刘** 术后第1天，家属 135****8821 陪护", "3床 [姓名] 术后第1天，家属 [电话] 陪护"),
    ("身份证 4401**********031X", "身份证 [证件号]"),
    ("23床 仇大爷 晚饭后呕吐1次", "23床 [姓名]大爷 晚饭后呕吐1次"),
    ("我是十二床那个冉婆婆", "我是十二床那个[姓名]婆婆"),
    ("转运护士 小黎，护工 大刘，平车", "转运护士 [姓名]，护工 [姓名]，平车"),
    ("夜班 ZXY 签：15床 欧阳** 诉胸闷", "夜班 [姓名] 签：15床 [姓名] 诉胸闷"),
    ("夜间可入睡，签名：莫。", "夜间可入睡，签名：[姓名]。"),
    ("俺家老头子老孙血糖又高了", "俺家老头子[姓名]血糖又高了"),
    ("5床 家属（女儿）晓燕 电话 0832-2216475", "5床 家属（女儿）[姓名] 电话 [电话]"),
    ("主刀医生姓冼，佢话要覆诊", "主刀医生姓[姓名]，佢话要覆诊"),
    ("30-35床由龚丽接管", "30-35床由[姓名]接管"),
    ("受试者编号 S-023（筛选号 SCR-047）", "受试者编号 [编号]（筛选号 [编号]）"),
    ("CRF 周五前上传；S-041 的随访窗口为第 28 天", "CRF 周五前上传；[编号] 的随访窗口为第 28 天"),
    ("胰岛素泵 SN MMT-1780-K93021 为患者自带", "胰岛素泵 SN [编号] 为患者自带"),
    ("交接物品：护照 1 本（E83920147）", "交接物品：护照 1 本（[证件号]）"),
    ("病历号我念一下哈：幺零零 三七 八八二", "病历号我念一下哈：[病历号]"),
    ("WhatsApp +60 12-345 6789。", "WhatsApp [电话]。"),
    ("有咩事打我6123 4087。", "有咩事打我[电话]。"),
    ("@Dr_Gao2019 请把 CRF 上传", "@[账号] 请把 CRF 上传"),
    ("我是夏婆婆，四一年的，属蛇", "我是[姓名]婆婆，[出生日期]的，属蛇"),
    ("民國七十五年三月二日生。", "[出生日期]生。"),
    ("我们老两口住成都市金牛区，娃儿都在外地", "我们老两口住[地址]，娃儿都在外地"),
]
NINETEENTH_SET_LOOKALIKES = [
    "本院（广州市越秀区）为国家药物临床试验机构", "老中医说我是阴虚", "酶标仪软件版本 6.1.10.235", "挡住救护车通道了",
    "费别：职工医保 入院日期：2024-01-08", "用户名：请输入手机号或就诊卡号 密码：6-16位", "大黄泡水喝", "@所有人 明天九点集合",
    "立早章的章，不是弓长张", "试剂批号 S-2024 已入库",
]


@pytest.mark.parametrize("text, expected", NINETEENTH_SET_CLASSES, ids=[c[0][:8] for c in NINETEENTH_SET_CLASSES])
def test_classes_the_nineteenth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", NINETEENTH_SET_LOOKALIKES)
def test_the_nineteenth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_twentieth_set():
    # Written blind at the end of session 54 (150 lines: consultation transcripts exported from an app; social-work,
    # nursing-home and home-care records; mixed-language text with names in URLs and e-mail addresses, people who
    # share a name with a herb, a place or a celebrity; 55 without personal data). First score, with the rules of the
    # eighteenth and nineteenth sets: all labels recall 0.824, precision 0.940 (name 0.760). Then used for a few rules
    # (a record's title 入院评估：陈有福，男; 转介人, 服务对象, 照护者, 志愿者, 车主, 居民 before a name; a birth date in
    # brackets after a full name; 的社保卡号; 社工 as a title; a masked name after 我是; 小区 and other frequent words
    # are no nickname after 同; App, herbal formulas in pinyin, 刘寄奴, 梅兰芳): recall 0.872 (name 0.870), precision 0.980. Left:
    # names inside URLs and e-mail local parts, a phone number read out in three pieces, ORCID and allowance numbers,
    # birth dates after 身份证上写的是, 孙大爷 at a clause's start, a patient named 李时珍 or 白薇.
    sc = score(_rows(HELDOUT20))
    assert sc.overlap["name"].recall >= 0.86, sc.misses
    assert sc.overlap["all"].recall >= 0.86, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT20)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT20)) >= 50


TWENTIETH_SET_CLASSES = [
    ("入院评估：陈有福，男，1933年生", "入院评估：[姓名]，男，[出生日期]生"),
    ("牛金花（1942年3月18日生）", "[姓名]（[出生日期]生）"),
    ("杜长海的社保卡号410102D15600001234", "[姓名]的社保卡号[账号]"),
    ("被转介人田秋菊，住洛阳市老城区", "被转介人[姓名]，住[地址]"),
    ("车主邵敏，如需挪车", "车主[姓名]，如需挪车"),
    ("转介人邓社工（电话0379-63921577）", "转介人[姓名]社工（电话[电话]）"),
    ("我是刘**的家属", "我是[姓名]的家属"),
]
TWENTIETH_SET_LOOKALIKES = [
    "二女儿住同小区", "请更新App后重试", "刘寄奴是一味中药", "城乡居民医保", "Liu Wei Di Huang Wan (六味地黄丸)",
]


@pytest.mark.parametrize("text, expected", TWENTIETH_SET_CLASSES, ids=[c[0][:8] for c in TWENTIETH_SET_CLASSES])
def test_classes_the_twentieth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", TWENTIETH_SET_LOOKALIKES)
def test_the_twentieth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_twenty_first_set():
    # Written blind in session 55 (159 lines: referral letters and discharge summaries, a family's WeChat group,
    # insurance claims and invoices, report headers, 120 dispatch logs, names of minorities and foreigners and
    # surnames that are everyday words, app logs and device serials; 50 without personal data). First score, with the
    # rules of the twentieth set: all labels recall 0.824, precision 0.973 (name 0.690). Two policy numbers were
    # relabelled account, as the project files a policy. Then used for a few rules (向, 成, 常, 全, 时, 和 and 木 as
    # surnames after a label, a role or before a title where no preposition can be meant; 行人, 受血者, 来电人 and 其母
    # before a name; 接诊医师; a Tibetan name before a title, Uyghur names with 古丽; a name written again in brackets
    # or in Hangul; a foreign national's name; a chat line's speaker by given name; a role ending in 人 before a Latin
    # name; Dr. after Chinese; @ before a nickname; 理赔案号, 员工编号, 社保电脑号, 参合证号, patient_id=, a bare birth
    # year and a two-digit-year date after their labels; an invoice's number, the ward's own device and 江西人 are
    # no one's): recall 0.968 (name 0.93), precision 1.000. Left: 付款方向晴 (方向 read as a word), 已收到和丽萍患者
    # with no cue, 患者全美善 followed by the people (朝鲜族), a roster numbered 1. 2., 和老师 after 护士.
    sc = score(_rows(HELDOUT21))
    assert sc.overlap["name"].recall >= 0.92, sc.misses
    assert sc.overlap["all"].recall >= 0.96, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT21)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT21)) >= 50


TWENTY_FIRST_SET_CLASSES = [
    ("理赔案号：LP2024031500872", "理赔案号：[编号]"),
    ("深圳社保电脑号603218457，参保人廖志明", "深圳社保电脑号[账号]，参保人[姓名]"),
    ("出生年份：1990", "出生年份：[出生日期]"),
    ("出生日期：78.4.9 门诊号", "出生日期：[出生日期] 门诊号"),
    ("patient_id=ZY20240309112", "patient_id=[病历号]"),
    ("向主任向家属交代了手术风险", "[姓名]主任向家属交代了手术风险"),
    ("成医生说成人剂量是每次1片", "[姓名]医生说成人剂量是每次1片"),
    ("那个常护士人挺好的", "那个[姓名]护士人挺好的"),
    ("请万护士把全主任开的医嘱再核对一遍", "请[姓名]护士把[姓名]主任开的医嘱再核对一遍"),
    ("病房护士向敏（工号N1185）", "病房护士[姓名]（工号[编号]）"),
    ("行人廖建平意识清楚", "行人[姓名]意识清楚"),
    ("报称其母李桂兰在家摔倒", "报称其母[姓名]在家摔倒"),
    ("由护士古丽娜尔翻译", "由护士[姓名]翻译"),
    ("由洛桑医生用藏语沟通", "由[姓名]医生用藏语沟通"),
    ("患者：Sato Emi（佐藤惠美）", "患者：[姓名]（[姓名]）"),
    ("韩国籍患者김민수（金敏秀）", "韩国籍患者[姓名]（[姓名]）"),
    ("日本籍留学生山田健太，学号2022011845", "日本籍留学生[姓名]，学号[编号]"),
    ("呼救人Tom Wilson，英语交流", "呼救人[姓名]，英语交流"),
    ("外籍专家Dr. Raj Patel今天会诊", "外籍专家Dr. [姓名]今天会诊"),
    ("@老周 你方便的话", "@[姓名] 你方便的话"),
    ("丽娟：我的号13678094512", "[姓名]：我的号[电话]"),
    ("接诊医师木春华，2024-03-18", "接诊医师[姓名]，2024-03-18"),
]
TWENTY_FIRST_SET_LOOKALIKES = [
    "票据号码：0082173645", "本科室心电监护仪（设备编号ICU-MON-07）今日送修", "请向医生咨询", "和医生沟通一下",
    "护士向医生报告", "医生和护士都在", "成人剂量每次两片", "求问：黄芪能不能长期喝？", "转诊单：请查收",
]


@pytest.mark.parametrize("text, expected", TWENTY_FIRST_SET_CLASSES, ids=[c[0][:8] for c in TWENTY_FIRST_SET_CLASSES])
def test_classes_the_twenty_first_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", TWENTY_FIRST_SET_LOOKALIKES)
def test_the_twenty_first_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_twenty_second_set():
    # Written blind later in session 55 (158 lines: nursing and medication records, complaint letters, prescriptions
    # and dispensing slips, school health notes, occupational check-ups, old people in Shanghai, Cantonese and
    # Sichuan speech, names in initials, with spaces or traditional characters; 58 without personal data). First
    # score, with the twenty-first set's rules: all labels recall 0.768, precision 1.000 (name 0.649). A profile link
    # was relabelled account and a name said twice labelled twice, as the project does. Then used for a few rules (a
    # prescription's 审核药师/调配/核对/代办人 and a surname alone after them; a surname alone after a role before 签名
    # or 工号, or after a bed in a list; 人员 and 药师 before a name; initials after a bed or a role; a surname, a
    # space and a two-character given name; a doubled pet name after 患儿/小名/班; 小宝（大名…）; X哥 and 阿X after a
    # kinship word, 阿X before 个仔/嘅/伊拉; 李家嬢嬢, 王家姆妈, 刘家双胞胎; 张嬢嬢, 黄伯; 的老赵, 个老王头; 联络人;
    # 标本条码, 处方No., 工牌号, a dosimeter's and a lent meter's numbers, 电话係; 生个, 出世嘅, a birth date with its
    # hour): recall 0.949 (name 0.908), precision 1.000; 0.952 (0.914) after the next set's rules (护师 as a title).
    # Left: a name before a verb with no cue (19床钱美华输液), a second name in a list after 、, 电焊工邵工, 陈生, a
    # grandson after 个孙, a name spelt out (名字叫建国，建设的建), a pinyin given name (Xiaoyan的复诊), 房宝宝, a name
    # after 班上.
    sc = score(_rows(HELDOUT22))
    assert sc.overlap["name"].recall >= 0.9, sc.misses
    assert sc.overlap["all"].recall >= 0.94, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT22)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT22)) >= 50


TWENTY_SECOND_SET_CLASSES = [
    ("审核药师莫少华，调配覃，核对黎晓。", "审核药师[姓名]，调配[姓名]，核对[姓名]。"),
    ("代办人严丽，医师龚签名。", "代办人[姓名]，医师[姓名]签名。"),
    ("护士江（工号HL0862）予心理疏导", "护士[姓名]（工号[编号]）予心理疏导"),
    ("3床周、5床胡，今日禁食", "3床[姓名]、5床[姓名]，今日禁食"),
    ("粉尘作业人员甘国强（身份证号45030219790512007X）", "粉尘作业人员[姓名]（身份证号[证件号]）"),
    ("患者姓名：王 小明，性别男", "患者姓名：[姓名]，性别男"),
    ("交班：2床ZXM，男，气管插管第3天", "交班：2床[姓名]，男，气管插管第3天"),
    ("患儿乐乐，3岁，体重14kg", "患儿[姓名]，3岁，体重14kg"),
    ("小名“糖糖”，出生日期", "小名“[姓名]”，出生日期"),
    ("小宝（大名吴天佑）因水痘请假一周", "[姓名]（大名[姓名]）因水痘请假一周"),
    ("诉其朋友强哥代付药费，强哥手机", "诉其朋友[姓名]代付药费，[姓名]手机"),
    ("阿珍个仔阿杰电话係9187 3362", "[姓名]个仔[姓名]电话係[电话]"),
    ("李家嬢嬢住在我们楼下", "[姓名]家嬢嬢住在我们楼下"),
    ("我们村东头的老赵，住在山上", "我们村东头的[姓名]，住在山上"),
    ("标本条码2406120387对应", "标本条码[病历号]对应"),
    ("急诊处方No.JZ-240611-0083", "急诊处方No.[病历号]"),
    ("个人剂量计编号TLD-0317-22", "个人剂量计编号[编号]"),
    ("我阿姐阿英，一九五二年生个", "我阿姐[姓名]，[出生日期]生个"),
    ("2024年6月9日10:23出生，体重3350g", "[出生日期]10:23出生，体重3350g"),
]
TWENTY_SECOND_SET_LOOKALIKES = [
    "我姥爷阿尔茨海默症", "阿姨您好", "阿司匹林每天一片", "宝宝乖乖的", "孩子天天哭", "患者CT检查", "核对信息无误",
    "请核对一下医嘱", "ICU 2床，男，气管插管第3天",
]


@pytest.mark.parametrize("text, expected", TWENTY_SECOND_SET_CLASSES, ids=[c[0][:8] for c in TWENTY_SECOND_SET_CLASSES])
def test_classes_the_twenty_second_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", TWENTY_SECOND_SET_LOOKALIKES)
def test_the_twenty_second_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_twenty_third_set():
    # Written blind at the end of session 55 (150 lines: telemedicine transcripts with system messages, nurses'
    # follow-up calls, blood, organ and stem-cell donation records, counselling notes about the people in a client's
    # life, insurance fraud reports, expatriates' messages in English and Chinese, family histories for genetic
    # counselling; 51 without personal data). First score, with the twenty-second set's rules: all labels recall 0.798,
    # precision 0.979 (name 0.734). Then used for a few rules (I'm/我是 before a Latin full name; a married name such as
    # 龚王氏; a nickname in quotes after 室友/网友; initials after 同学/上司; the elders of a family history and former
    # partners as kinship words; 负责人, 同胞, 受者 and 之子 before a name; 老板, 科长, 学长 and 护师 as titles, and a
    # title is no given name (邵 + 老板); X（中文名…）; Medicare and policy numbers, a doctor's platform ID and profile
    # page, donors' and blood-donation numbers, passports with letters inside, UK and Australian mobiles after an
    # English phone word; born on…, 1898年生于…; brands such as 康师傅 and Dr. Martens, Fauci and a floor (2 楼护士站)
    # are no one's): recall 0.966 (name 0.952), precision 1.000. Left: 沈立新 (a given name the dictionary calls an
    # adverb), 冉家豪 (家 in a given name), 蒋立军82年的, 药贩子光头强, the second K总, a name in a list after 、.
    sc = score(_rows(HELDOUT23))
    assert sc.overlap["name"].recall >= 0.93, sc.misses
    assert sc.overlap["all"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT23)) >= 150 and sum(not r["spans"] for r in _rows(HELDOUT23)) >= 50


TWENTY_THIRD_SET_CLASSES = [
    ("Hi 医生，I'm Emily Carter，在上海工作", "Hi 医生，I'm [姓名]，在上海工作"),
    ("Hi doctor，我是 Anna Müller，German passport C4KJ72N9P", "Hi doctor，我是 [姓名]，German passport [证件号]"),
    ("来访者提到大学室友“胖丁”曾把她的日记发到班级群里", "来访者提到大学室友“[姓名]”曾把她的日记发到班级群里"),
    ("外祖父沈德润，1936年生", "外祖父[姓名]，[出生日期]生"),
    ("祖母龚王氏为姑表亲", "祖母[姓名]为姑表亲"),
    ("被同学T和W长期排挤", "被同学[姓名]和[姓名]长期排挤"),
    ("前妻Lisa（中文名葛丽莎）每月带孩子来", "前妻[姓名]（中文名[姓名]）每月带孩子来"),
    ("诊所负责人邵建国让我们用邵老板侄子的医保卡", "诊所负责人[姓名]让我们用[姓名]老板侄子的医保卡"),
    ("被保险人之子柯文杰提供的收款账户", "被保险人之子[姓名]提供的收款账户"),
    ("调查人员陆科长调取了记录", "调查人员[姓名]科长调取了记录"),
    ("前任Jason写了很多信，Jason的微博主页", "前任[姓名]写了很多信，[姓名]的微博主页"),
    ("患者钟国庆出院后第 7 天", "患者[姓名]出院后第 7 天"),
    # (session 63: a Medicare number is a foreign health number, an id_number like an NHS number)
    ("我的澳洲 Medicare number 是 2953 71648 1，旅行保险 policy no. TI-AU-8820461", "我的澳洲 Medicare number 是 [证件号]，旅行保险 policy no. [账号]"),
    ("（医生ID：DR0072815）接诊", "（医生ID：[编号]）接诊"),
    ("献血证编号 3201022023041776 持有人", "献血证编号 [编号] 持有人"),
    ("My UK mobile is +44 7700 900481，NHS", "My UK mobile is [电话]，NHS"),
    ("曾祖父据说是清末秀才，1898年生于绍兴府", "曾祖父据说是清末秀才，[出生日期]生于绍兴府"),
    ("born on March 4, 1979，his blood pressure", "born on [出生日期]，his blood pressure"),
]
TWENTY_THIRD_SET_LOOKALIKES = [
    "每天喝两瓶康师傅冰红茶、吃一瓶老干妈拌饭", "请于 24 小时后归还至心内科 2 楼护士站", "Dr. Fauci 我不熟",
    "顺便逛了 Dr. Martens 和 Marks & Spencer", "占位性病变", "患者李明天出院", "Tel 110",
]


@pytest.mark.parametrize("text, expected", TWENTY_THIRD_SET_CLASSES, ids=[c[0][:8] for c in TWENTY_THIRD_SET_CLASSES])
def test_classes_the_twenty_third_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", TWENTY_THIRD_SET_LOOKALIKES)
def test_the_twenty_third_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_twenty_fourth_set():
    # Written blind in session 56 (109 lines: hospital-system audit logs, pharmacy home deliveries, clinical-trial
    # enrolment, forensic appraisals, kindergarten and school infirmary group chats, care-home rosters and handovers,
    # birth records, Hong Kong, Macau and Taiwan patients in traditional characters, Japanese, Korean, Vietnamese,
    # Uyghur and Western names, a police and a military hospital, a team physio's log, e-mail headers, OCR scans with
    # spaces inside names and numbers; 37 without personal data). First score, with the twenty-third set's rules: all
    # labels recall 0.824, precision 0.994 (name 0.705). Then used for a few rules (班长, 园长, 教练 as titles; a
    # surname and an elder's title opening a clause, 闫大爷在…; 其子/其母 before a name; a sports position or an
    # interpreter as a role; an identifier then its owner in brackets or after a slash; a given name's last
    # character that is also a word (卢金生) where the name ends; a roster's shift before a nickname; a doubled pet
    # name before 妈妈; a mail header's display name before <address>; Japanese surnames where the text says the
    # people are Japanese; 朴; a Macau ID, a police number, an athlete's registration, a birth certificate's number
    # and a care-insurance number): recall 0.936 (name 0.895), precision 0.995. Left: names spelt out with a space
    # between the characters (王 建 国) and the spaced record number, 文静女士 and 桂和平 (ordinary words as given
    # names), 高明 after an operator's number, 二丫, 小芳 and 小马哥, digits mixed with Chinese ones, the staff login
    # HS02137 read as an account, 天津市和平区 after 住 read as an address.
    sc = score(_rows(HELDOUT24))
    assert sc.overlap["name"].recall >= 0.88, sc.misses
    assert sc.overlap["all"].recall >= 0.92, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT24)) >= 100 and sum(not r["spans"] for r in _rows(HELDOUT24)) >= 30


TWENTY_FOURTH_SET_CLASSES = [
    ("邵班长腰椎间盘突出复诊", "[姓名]班长腰椎间盘突出复诊"),
    ("忘记请联系戚园长", "忘记请联系[姓名]园长"),
    ("05:20，闫大爷在卫生间滑倒", "05:20，[姓名]大爷在卫生间滑倒"),
    ("入住登记：冼奶奶，一九三四年出生", "入住登记：[姓名]奶奶，[出生日期]出生"),
    ("其子房建军要求有情况随时通知", "其子[姓名]要求有情况随时通知"),
    ("后卫郝星辰右踝内翻扭伤", "后卫[姓名]右踝内翻扭伤"),
    ("用户 HS02137（柯文静）自内网登录", "用户 [账号]（[姓名]）自内网登录"),
    ("非本科室患者卢金生（病历号0019374625）", "非本科室患者[姓名]（病历号[病历号]）"),
    ("中班 小韩；夜班 单德胜", "中班 [姓名]；夜班 [姓名]"),
    ("已联系朵朵妈妈接回", "已联系[姓名]妈妈接回"),
    ("Hans Müller <hans.mueller@charite.de> 写道", "[姓名] <[邮箱]> 写道"),
    ("转诊单：晁建新，社会保障卡号H37120300418", "转诊单：[姓名]，社会保障卡号[账号]"),
    ("日籍患者佐藤健一，由翻译山田美咲陪同就诊", "日籍患者[姓名]，由翻译[姓名]陪同就诊"),
    ("韩国留学生朴智妍，主诉咽痛", "韩国留学生[姓名]，主诉咽痛"),
    ("持澳門身份證1375429(6)入境", "持澳門身份證[证件号]入境"),
    ("民警（警号110432）执勤时被犬咬伤", "民警（警号[编号]）执勤时被犬咬伤"),
    ("长期护理保险号GZ-LTC-0045821，紧急联系人", "长期护理保险号[账号]，紧急联系人"),
    ("原证编号N420567813遗失", "原证编号[编号]遗失"),
]
TWENTY_FOURTH_SET_LOOKALIKES = [
    "我喝了牛奶奶粉也吃了", "其子宫颈糜烂", "是高中生，", "日本人在田中劳动", "日本的中村有很多温泉", "门诊楼向东 50 米",
]


@pytest.mark.parametrize("text, expected", TWENTY_FOURTH_SET_CLASSES, ids=[c[0][:8] for c in TWENTY_FOURTH_SET_CLASSES])
def test_classes_the_twenty_fourth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", TWENTY_FOURTH_SET_LOOKALIKES)
def test_the_twenty_fourth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_twenty_fifth_set():
    # Written blind later in session 56 (115 lines: psychiatric ward notes, a dental clinic's SMS, a vaccination
    # booklet, a maternity ward's whiteboard, a rehabilitation log, a mini-program's orders, a chronic-disease
    # follow-up table, a mediation record, an ambulance run sheet, a blood bank's log, a detention centre's infirmary,
    # a campus clinic, relatives typing for old people, handover speech, a laboratory system's HL7 and tab-separated
    # export; rare surnames 訾 亓 鞠 仉 笪 斛 禚, given names that are words: 建设 国庆 春燕 光明 胜利 平安; 39 without
    # personal data). First score, with the twenty-fourth set's rules: all labels recall 0.735, precision 0.967 (name
    # 0.634). Then used for a few rules (禚 and 斛 as surnames; a surname that starts no ordinary word counts as a
    # weak cue and takes a given name that is also a word; a bed in Chinese numerals and a tourist before a name;
    # 给/跟 and a driver or a warden before a nickname; a laboratory's operator field; an HL7 PID segment's fields by
    # position; a ward board's newborn and the date after it; …，三八年生的; 籍 is no given name, 麻腮风 no name):
    # recall 0.926 (name 0.925), precision 0.987. Left: a bare name before a verb (赵刚昨晚…), a table's rows with
    # no field names (| 訾秀兰 | 1948 |), 海燕妈妈 (a mother named by her child), a surname alone after a colon
    # (责任助产士：亓), the given name before the full name (那个志强啊，…仉志强), 斛家明 (家 inside a given name), a
    # display name inside emoji, a detainee's and an operator's numbers, a report number read out in Chinese digits;
    # and two areas read as addresses (户籍：河南省商丘市; a health centre's 光明区公明社区), which earlier sets label.
    sc = score(_rows(HELDOUT25))
    assert sc.overlap["name"].recall >= 0.90, sc.misses
    assert sc.overlap["all"].recall >= 0.90, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT25)) >= 100 and sum(not r["spans"] for r in _rows(HELDOUT25)) >= 30


TWENTY_FIFTH_SET_CLASSES = [
    ("尊敬的禚光明先生，主诊医师斛医生", "尊敬的[姓名]先生，主诊医师[姓名]医生"),
    ("禚海燕刚打完针就闹着要回家", "[姓名]刚打完针就闹着要回家"),
    ("交班啊，八床禚海燕，社区获得性肺炎", "交班啊，八床[姓名]，社区获得性肺炎"),
    ("随车医生禚建设、驾驶员老亓，出车里程18.6km", "随车医生[姓名]、驾驶员[姓名]，出车里程18.6km"),
    ("老訾今天情绪平稳，还给小鞠讲了半小时象棋", "[姓名]今天情绪平稳，还给[姓名]讲了半小时象棋"),
    ("电动车驾驶人笪平安轻伤", "电动车驾驶人[姓名]轻伤"),
    ("操作员\t笪春燕\tLAB027", "操作员\t[姓名]\tLAB027"),
    ("PID|1||ZY2024040983||亓国庆||19560413|M|||山东省淄博市张店区共青团西路96号3单元502||0533-2186417",
     "PID|1||[病历号]||[姓名]||[出生日期]|M|||[地址]||[电话]"),
    ("新生儿 女 2024年5月7日 03:42 3250g", "新生儿 女 [出生日期] 3250g"),
    ("她叫亓桂英，三八年生的，空腹血糖十一点几", "她叫[姓名]，[出生日期]生的，空腹血糖十一点几"),
]
TWENTY_FIFTH_SET_LOOKALIKES = [
    "麻腮风疫苗接种后留观30分钟无异常", "留学生（韩国籍）预约周三下午复诊", "阿婆饮咗啲陈皮水，都係冇乜用",
    "开户行建设银行", "国庆期间门诊照常", "平安返回", "我给小米粥加了糖",
]


@pytest.mark.parametrize("text, expected", TWENTY_FIFTH_SET_CLASSES, ids=[c[0][:8] for c in TWENTY_FIFTH_SET_CLASSES])
def test_classes_the_twenty_fifth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", TWENTY_FIFTH_SET_LOOKALIKES)
def test_the_twenty_fifth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_goals_hold_on_the_twenty_sixth_set():
    # Written blind at the end of session 56 (119 lines: patients' own chat messages, doctors' replies by name, a
    # patients' forum with handles and @mentions, an online pharmacy's prescription review, a video visit with speaker
    # labels, a hospital's official-account pushes, an exam centre's report header, an insurance form, a care home's
    # family group chat, sick-leave notes, referral e-mails, voice messages, Hong Kong and Taiwan patients in
    # traditional characters and Cantonese, Russian, Arab, Indian and Thai patients; 36 without personal data). First
    # score, with the twenty-fifth set's rules: all labels recall 0.853, precision 0.970 (name 0.818). Then used for a
    # few rules (a forum post's author after 楼主 or N楼, and an @handle after 回复; a parent greeted by the child's
    # given name, 佳怡妈妈您好; a doubled pet name before 她妈 wherever it stands; a full name's given part said alone
    # in the same text; English words that open a sentence after 患者： are no names; 系 is no given name): recall
    # 0.875 (name 0.833), precision 0.980. Left: given names that are frequent words said alone (建国他…, 文静你…),
    # nicknames after a colon-labelled speaker (小刘, 小孟), transliterated names with no surname (法蒂玛, 阿卜杜拉), a
    # Latin name before its Chinese transliteration, Cantonese text (陳家豪, 黃姑娘, 俊朗), a Taiwanese name (李罔市),
    # passports written with a space, a forum's profile link, an Alipay account that looks like an e-mail, a Hong Kong
    # plate, 85年3月的; and four areas read as addresses (户籍：河南省商丘市, 住在天津市和平区), which earlier sets label.
    # Session 58's rules raised it to recall 0.884 (name 0.841).
    sc = score(_rows(HELDOUT26))
    assert sc.overlap["name"].recall >= 0.80, sc.misses
    assert sc.overlap["all"].recall >= 0.85, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT26)) >= 100 and sum(not r["spans"] for r in _rows(HELDOUT26)) >= 30


TWENTY_SIXTH_SET_CLASSES = [
    ("【求助帖】楼主控糖小雨2016：确诊2型糖尿病三年了", "【求助帖】楼主[账号]：确诊2型糖尿病三年了"),
    ("2楼 抗癌老兵_阿杰：大家别放弃", "2楼 [账号]：大家别放弃"),
    ("回复@控糖小雨2016：我也是二甲吃了两年", "回复@[账号]：我也是二甲吃了两年"),
    ("佳怡妈妈您好，佳怡退烧后出疹子是正常的", "[姓名]妈妈您好，[姓名]退烧后出疹子是正常的"),
    ("哎陈医生，我是丽丽她妈", "哎[姓名]医生，我是[姓名]她妈"),
    ("我叫王晓峰，晓峰他们都说", "我叫[姓名]，[姓名]他们都说"),
    ("申请人与被保险人关系：女儿  申请人：袁婷", "申请人与被保险人关系：女儿  申请人：[姓名]"),
    ("医生：Priya, your hemoglobin is low. 患者：So I need iron tablets?",
     "医生：[姓名], your hemoglobin is low. 患者：So I need iron tablets?"),
]
TWENTY_SIXTH_SET_LOOKALIKES = ["楼主更新：今天复查，可以减药了", "宝宝妈妈您好，孩子退烧了吗", "门诊楼：三楼", "孩子妈妈您好"]


@pytest.mark.parametrize("text, expected", TWENTY_SIXTH_SET_CLASSES, ids=[c[0][:8] for c in TWENTY_SIXTH_SET_CLASSES])
def test_classes_the_twenty_sixth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", TWENTY_SIXTH_SET_LOOKALIKES)
def test_the_twenty_sixth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_the_twenty_seventh_held_out_set():
    """Written blind in session 57 (oncology MDT minutes, a dialysis roster, a hospice volunteer's diary, IVF clinic
    messages, pharmacy SMS, an occupational-disease claim, a school nurse's log, a village doctor's WeChat group,
    tele-dermatology captions, a lost-and-found, an insurance app's chat, ECG headers, an English discharge summary,
    old people dictating to voice assistants, Cantonese and Minnan). First contact: recall 0.851 (name 0.783),
    precision 0.956. Its misses then gave the rules tested below (a compound 上官 with a given name and no cue, a pupil
    named after the class, 配偶, a loyalty card's grouped digits, a device report's ID and Pat.ID fields; a pharmacy
    named 某某堂, voice assistants and 姓名和保单号 are no names): recall 0.911 (name 0.850), precision 0.989. Left:
    word-like given names before an elder's title (石头爷爷, 金花阿姨) or a kinship title (翠兰婶子, 芳姐), 小军 after
    孙子 before a comma, a Mongolian name in a roster with no cue, 陈阿娇 (a historical figure's name too), Cantonese
    明仔 and 陈姑娘, a card number after 就诊卡 in the sentence before, an ECG machine's serial number read as a
    person's device."""
    sc = score(_rows(HELDOUT27))
    assert sc.overlap["name"].recall >= 0.83, sc.misses
    assert sc.overlap["all"].recall >= 0.90, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT27)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT27)) >= 15


TWENTY_SEVENTH_SET_CLASSES = [
    ("影像科报告：上官婉清的右肺原发灶大小稳定", "影像科报告：[姓名]的右肺原发灶大小稳定"),
    ("三年二班江河在操场摔倒擦伤右膝", "三年二班[姓名]在操场摔倒擦伤右膝"),
    ("四年一班高兴同学午饭后呕吐两次", "四年一班[姓名]同学午饭后呕吐两次"),
    ("请与配偶郑浩携带双方身份证到场", "请与配偶[姓名]携带双方身份证到场"),
    ("您的积分卡8800 2317 4562本月到期", "您的积分卡[编号]本月到期"),
    ("ECG-1250 | 性别:男 | ID:E0240612033 | HR 58bpm", "ECG-1250 | 性别:男 | ID:[病历号] | HR 58bpm"),
    ("Sex: F | Pat.ID: 00472318 | Dx: Sinus bradycardia", "Sex: F | Pat.ID: [病历号] | Dx: Sinus bradycardia"),
]
TWENTY_SEVENTH_SET_LOOKALIKES = ["【康仁堂大药房】本月会员日全场八折", "请提供一下被保险人姓名和保单号", "小爱同学，帮我查一下明天的天气",
                                 "三年二班全体同学下午体检", "上官网查询报告结果"]


@pytest.mark.parametrize("text, expected", TWENTY_SEVENTH_SET_CLASSES, ids=[c[0][:8] for c in TWENTY_SEVENTH_SET_CLASSES])
def test_classes_the_twenty_seventh_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", TWENTY_SEVENTH_SET_LOOKALIKES)
def test_the_twenty_seventh_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_the_twenty_eighth_held_out_set():
    """Written blind later in session 57 (a paediatric handover, vaccination SMS, a counselling intake, a gym's injury
    report, a nursing home's round, blood-donation SMS, an online pharmacy's chat, a traffic accident record, a
    prenatal class roster, a complaint letter, a rural scheme's claim, a diabetes group chat, voice messages; surnames
    and given names that are words, Yi, Miao, Naxi, Uyghur and Japanese names). First contact: recall 0.814 (name
    0.703), precision 0.980. Its misses then gave the rules tested below (用药人, 参合人, 收款人 and 来访者 before a name,
    a personal trainer's 私教小高, 那个姓白的主任, a blood donation's barcode, an Alipay UID; 签字单 is no Mr Shan):
    recall 0.873 (name 0.781), precision 0.990. Left: given names that are words after 叫他 (国庆) or alone, a name
    with no cue at a line's start (常海燕下午…), a surname before a title after 向 (向护士长), a name the tokenizer
    splits before 先生 (金志强先生), Yi names (吉克阿呷, 阿说木果), 小满 after 我女儿 before 被, a group chat's speaker
    老方：, 喂马哥, a pet dog named 大毛."""
    sc = score(_rows(HELDOUT28))
    assert sc.overlap["name"].recall >= 0.76, sc.misses
    assert sc.overlap["all"].recall >= 0.86, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT28)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT28)) >= 15


TWENTY_EIGHTH_SET_CLASSES = [
    ("用药人高文静，1996年生，青霉素皮试阴性", "用药人[姓名]，[出生日期]生，青霉素皮试阴性"),
    ("参合人高长生，患者本人签字", "参合人[姓名]，患者本人签字"),
    ("私教小高已现场冰敷", "私教[姓名]已现场冰敷"),
    ("你帮我问问你们医院那个姓白的主任明天有没有门诊", "你帮我问问你们医院那个姓[姓名]的主任明天有没有门诊"),
    ("您的献血条码3301240518002217，血型A型", "您的献血条码[编号]，血型A型"),
    ("将原路退回支付宝（UID 2088102165473920）", "将原路退回支付宝（UID [账号]）"),
]
TWENTY_EIGHTH_SET_LOOKALIKES = ["家长签字单夹在病历夹里", "会诊记录：患者系马凡综合征，建议心外科评估", "教练说明天早上八点集合"]


@pytest.mark.parametrize("text, expected", TWENTY_EIGHTH_SET_CLASSES, ids=[c[0][:8] for c in TWENTY_EIGHTH_SET_CLASSES])
def test_classes_the_twenty_eighth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", TWENTY_EIGHTH_SET_LOOKALIKES)
def test_the_twenty_eighth_sets_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_the_twenty_ninth_held_out_set():
    """Written blind in session 58 (discharge summaries and referrals, nursing handovers, report headers, insurance
    claims, a care home's log, a school infirmary, vaccination records, a family's WeChat group, rural clinic notes
    with village addresses; Uyghur, Tibetan and Zhuang names, compound surnames, given names that are words,
    nicknames). First contact: recall 0.811 (name 0.746), precision 0.987. Its misses then gave the rules tested below
    (a surname and an elder's title inside a clause, 刘春花老人, the Zhuang surname 农 after 随访, a Tibetan name alone
    after a kinship word before what the person does, 石头（大名梁子轩）, a group chat's display names, a surname and two
    given characters after 其丈夫 at a clause's end, a pupil after the class, 片号; 诸葛行军散 is no one): recall 0.933
    (name 0.905), precision 1.000. Left: 杨石头 (头 is no given-name character), 小胖 and 胖胖 with no cue, a given
    name alone in a group chat (春花住院的事…)."""
    sc = score(_rows(HELDOUT29))
    assert sc.overlap["name"].recall >= 0.88, sc.misses
    assert sc.overlap["all"].recall >= 0.91, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT29)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT29)) >= 15


def test_the_thirtieth_held_out_set():
    """Written blind in session 58 (telehealth chats, pharmacy deliveries, health-app pushes, a forum with @handles, a
    crowdfunding appeal, customer service, Hong Kong and Taiwan records in traditional characters, foreigners in
    transliteration and Latin letters, occupational health, dates of birth in many forms, server logs). One label was
    brought to the project's conventions first (生于庚午年 is a birth year). First contact: recall 0.824 (name 0.775),
    precision 1.000. Its misses then gave the rules tested below (a family member in an app's notice and the birth
    date in brackets after the name, an @handle in a forum thread or mixing Chinese and Latin letters, 可馨的姨妈刘美华,
    客服小美：, a HKID or a Taiwan ID after its field name whatever its check character, 醫院編號, a log's user, a
    LINE ID, a Latin name in brackets after a Chinese one, 家长 before a foreign name): recall 0.967 (name 0.925),
    precision 1.000. Left: a push addressed by a given name (小雨，今天步数…), a baby's pet name (糖豆), 可馨爸爸 in
    a later line."""
    sc = score(_rows(HELDOUT30))
    assert sc.overlap["name"].recall >= 0.9, sc.misses
    assert sc.overlap["all"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT30)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT30)) >= 15


def test_the_thirty_first_held_out_set():
    """Written blind later in session 58 (emergency triage, ambulance handovers, a lost old man brought in by the
    police, a mental-health hotline's log, a hospice family meeting, prescriptions, a dental clinic's SMS, a school
    outbreak report, a workplace injury, a proxy's form, blood and organ donation, a family's group chat, voice
    messages in dialect, Hong Kong, Macau and Taiwan patients, Japanese, Korean, Russian and Arab names). One label was
    brought to the project's conventions first (a social-security 个人编号 is an account). First contact, with the
    first set's rules: recall 0.784 (name 0.687), precision 0.951. Its misses then gave the rules tested below (a chat's
    tag [家庭群] is no display name and 阿杰： after it speaks, 於民國103年 is no Mr Yu, 长子/次女 as kinship words, a
    surname alone after 随车医生, 接线员 or 采血护士 at a clause's end, 警官 as a title, a quoted name after 自称 or 自己叫,
    委托 before a name, 校医 as a role, a Japanese given name of three characters before brackets): recall 0.864 (name
    0.807), precision 1.000. Left: given names that are words said alone (胜利, 海燕, 建华, 国庆：), 长子甘胜利 (胜利
    is a word), 应 as a surname, a pupil list's 任一诺, 小满/小杰 addressed, Cantonese 辉仔, 二娃子, 春妮, an
    interpunct name after 籍患者, 其子阿里, a list's second student number, an organ donation's 登记编号."""
    sc = score(_rows(HELDOUT31))
    assert sc.overlap["name"].recall >= 0.78, sc.misses
    assert sc.overlap["all"].recall >= 0.84, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT31)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT31)) >= 15


SESSION_58_CLASSES = [
    ("3号楼208房间吴奶奶餐后血糖13.2", "3号楼208房间[姓名]奶奶餐后血糖13.2"),
    ("护理员反映宋爷爷这两天老说胡话", "护理员反映[姓名]爷爷这两天老说胡话"),
    ("今天刘春花老人精神好些了", "今天[姓名]老人精神好些了"),
    ("随访农桂芝，其孙子说奶奶最近饭量少", "随访[姓名]，其孙子说奶奶最近饭量少"),
    ("她丈夫格桑问能不能回那曲", "她丈夫[姓名]问能不能回那曲"),
    ("现转诊一例患儿石头（大名梁子轩），发热6天", "现转诊一例患儿[姓名]（大名[姓名]），发热6天"),
    ("[表姐晓燕] 我明天请假过去陪床", "[表姐[姓名]] 我明天请假过去陪床"),
    ("[国庆哥] 爸的CT结果出来了，片号CT-240503-117", "[[姓名]哥] 爸的CT结果出来了，片号[病历号]"),
    ("请发送出院小结，并抄送其丈夫周家豪。", "请发送出院小结，并抄送其丈夫[姓名]。"),
    ("学校医务室记录：三年级二班王子涵，体育课跑步时流鼻血", "学校医务室记录：三年级二班[姓名]，体育课跑步时流鼻血"),
    ("您的家庭成员汪淑芬（19520918）的体检报告已生成", "您的家庭成员[姓名]（[出生日期]）的体检报告已生成"),
    ("5楼 北漂老焦：@甲减宝妈Coco 别慌", "5楼 [账号]：@[账号] 别慌"),
    ("亲友证实：我是可馨的姨妈刘美华，情况属实", "亲友证实：我是[姓名]的姨妈[姓名]，情况属实"),
    ("客服小美：亲，您的病历复印申请已受理", "客服[姓名]：亲，您的病历复印申请已受理"),
    ("香港身份證號碼：Y547362(8)，出生日期", "香港身份證號碼：[证件号]，出生日期"),
    ("身分證字號：F228713546，生日", "身分證字號：[证件号]，生日"),
    ("醫院編號：HN19023847，主診醫生", "醫院編號：[病历号]，主診醫生"),
    ("login failed for user wangyf_1984, attempts=5", "login failed for user [账号], attempts=5"),
    ("LINE ID：lin_mama0722，家屬表示明早到院", "LINE ID：[账号]，家屬表示明早到院"),
    ("病人姓名：陳志強（CHAN Chi Keung），覆診日期", "病人姓名：[姓名]（[姓名]），覆診日期"),
    ("家长Sophie Martin询问疫苗补种", "家长[姓名]询问疫苗补种"),
    ("[家庭群] 阿杰：请好了，我明早开车过去", "[家庭群] [姓名]：请好了，我明早开车过去"),
    ("随车医生骆，接收护士詹晓敏。", "随车医生[姓名]，接收护士[姓名]。"),
    ("接线员祁，工号XL-0726。", "接线员[姓名]，工号[编号]。"),
    ("经尚警官核查，与纸条一致", "经[姓名]警官核查，与纸条一致"),
    ("参会：患者次女甘海燕、主管医生蒲文斌", "参会：患者次女[姓名]、主管医生[姓名]"),
    ("现委托龙建军代为行使医疗决策权", "现委托[姓名]代为行使医疗决策权"),
    ('来电者自称"小雨"，女，大二', '来电者自称"[姓名]"，女，大二'),
    ("日本籍患者佐藤真由美（SATO MAYUMI），护照号TR5830174", "日本籍患者[姓名]（[姓名]），护照号[证件号]"),
]
SESSION_58_LOOKALIKES = ["中医科会诊：诸葛行军散可用于暑湿吐泻", "[转发] 温馨提示：检查时间为3月21日", "[图片] 请看一下",
                         "[大姑] 住院押金我先转了", "我家在农村，孩子误喝了农药", "格桑花开的季节，高原反应加重",
                         "体检报告（20240529）已生成", "我老公周末，带孩子去打疫苗", "我妈妈黄疸，",
                         "[家庭群] 大姑：奶奶明早8点第一台手术", "患者於民國103年接受冠狀動脈繞道手術", "患者于昨天入院",
                         '这种病叫"带状疱疹"，不传染']


@pytest.mark.parametrize("text, expected", SESSION_58_CLASSES, ids=[c[0][:8] for c in SESSION_58_CLASSES])
def test_classes_session_58_sets_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_58_LOOKALIKES)
def test_session_58_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_the_thirty_second_held_out_set():
    """Written blind in session 59 (online consultations, discharge summaries, referrals, nurse handovers, pharmacy
    chats, insurance claims, kindergarten notes, a care home's records, a patients' WeChat group, voice-to-text,
    Hong Kong, Macau and Taiwan patients, foreigners; compound surnames, Zhuang, Uyghur, Tibetan, Mongolian and Yi
    names). One label was brought to the project's conventions first (a social-security 个人编号 is an account).
    First contact: recall 0.879 (name 0.821), precision 0.984. Its misses then gave the rules tested below (店员 as
    a role, a compound surname before 爷爷 or 爸爸, 陳太，, a given name greeted with 小姐/你好, 个仔俊仔, 阿强老婆,
    Yi family names where the text says 彝 or 凉山, the given name after a compound surname or a Tibetan name's second
    part said alone, a word-like given name before a title, a record opening with a name and the sex, a Macau
    plate, an officer's card 海字第…号; a name spelt out character by character is no one else): recall 0.993
    (name 0.988), precision 0.993. Left: 小军 after 我儿子 (a dictionary word), a city and district with no street
    (台北市大安區) still taken for an address."""
    sc = score(_rows(HELDOUT32))
    assert sc.overlap["name"].recall >= 0.96, sc.misses
    assert sc.overlap["all"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT32)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT32)) >= 10


def test_the_thirty_third_held_out_set():
    """Written blind in session 59 (the same genres as the thirty-second set, with ICU handovers, a LINE message from
    a Taiwan pharmacist, a Xiaohongshu profile; Uyghur, Kazakh, Tibetan, Yi, Vietnamese and Russian names). One label
    was brought to the project's conventions first (a social-security 个人编号 is an account). First contact: recall
    0.732 (name 0.630), precision 0.972. Its misses then gave the rules tested below (a LINE ID between Chinese
    characters, 係 before a value, 梁姑娘，, 陳媽媽您好, …药师敬上, 乌兰同学家长您好, 秀珍奶奶今天…, 护工翠萍,
    宜蓁的通訊地址, a foreign national's name said again, 彼得 in a transliteration, the first part of an interpunct
    name alone, 胜利说, a Macau ID after 身份證, a Russian passport's 75 3846120, 02-2736-5184, +44 7700 900583, an
    extension after a dash, the surnames 厍 and 鹿, a Tibetan name before 的丈夫, 边 inside a street's name (海边街);
    詹天佑的詹淑女的淑 spells 詹淑芬): recall 0.930 (name 0.877), precision 0.992. Left: names with no cue (付凯也…, 何向阳，住…), pet names that are words in a
    class chat (多多和可可), 袁慧还是元慧, 家 inside a given name (鄧家豪嘅…), 和 inside a given name (杨和平), 齐桓侯 (a
    ruler of antiquity)."""
    sc = score(_rows(HELDOUT33))
    assert sc.overlap["name"].recall >= 0.85, sc.misses
    assert sc.overlap["all"].recall >= 0.9, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT33)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT33)) >= 10


SESSION_59_CLASSES = [
    ("店员林晓稍后会给您回电", "店员[姓名]稍后会给您回电"),
    ("皇甫爷爷的儿子来电", "[姓名]爷爷的儿子来电"),
    ("请通知宇文妈妈来接孩子", "请通知[姓名]妈妈来接孩子"),
    ("黄太，你的报告出来了", "[姓名]太，你的报告出来了"),
    ("梁姑娘，病人明天出院", "[姓名]姑娘，病人明天出院"),
    ("林妈妈您好，疫苗到货了", "[姓名]妈妈您好，疫苗到货了"),
    ("嘉怡小姐您好，您的报告已出", "[姓名]小姐您好，您的报告已出"),
    ("晓川你好，化验单我看了", "[姓名]你好，化验单我看了"),
    ("如有疑问请回复，佩琪药师敬上", "如有疑问请回复，[姓名]药师敬上"),
    ("你个仔明仔嘅针卡唔见咗", "你个仔[姓名]嘅针卡唔见咗"),
    ("阿伟老婆说他晚上打鼾", "[姓名]老婆说他晚上打鼾"),
    ("凉山州患者曲比阿果，彝族，由吉克医生翻译", "凉山州患者[姓名]，彝族，由[姓名]医生翻译"),
    ("患者欧阳子轩，男，5岁，子轩今天退烧了", "患者[姓名]，男，5岁，[姓名]今天退烧了"),
    ("外籍患者约翰·史密斯，约翰要求出具英文诊断", "外籍患者[姓名]，[姓名]要求出具英文诊断"),
    ("次仁央宗啦，央宗你下次早点来", "[姓名]啦，[姓名]你下次早点来"),
    ("洛桑多吉是卓嘎的丈夫，卓嘎这次住院", "[姓名]是[姓名]的丈夫，[姓名]这次住院"),
    ("我叫吴丽清口天吴的吴美丽的丽清水的清", "我叫[姓名]口天吴的吴美丽的丽清水的清"),
    ("邵国庆主任停诊，国庆主任的病人改约周五", "[姓名]主任停诊，[姓名]主任的病人改约周五"),
    ("患者汪建国，男，60岁，建国说胸口还闷", "患者[姓名]，男，60岁，[姓名]说胸口还闷"),
    ("我儿子杨胜利说，胜利说明了一切", "我儿子[姓名]说，胜利说明了一切"),
    ("乌兰同学家长您好，体检报告已发", "[姓名]同学家长您好，体检报告已发"),
    ("淑珍奶奶今天血压稳定", "[姓名]奶奶今天血压稳定"),
    ("护工翠萍已喂药", "护工[姓名]已喂药"),
    ("雅琴的身份证号是多少", "[姓名]的身份证号是多少"),
    ("其木格，女，蒙古族，牧民", "[姓名]，女，蒙古族，牧民"),
    ("越南籍阮氏梅，孕30周，阮氏梅的护照号C4729183", "越南籍[姓名]，孕30周，[姓名]的护照号[证件号]"),
    ("澳門居民，身份證1357924(6)，電話", "澳門居民，身份證[证件号]，電話"),
    ("军官证号海字第2107384号", "军官证号[证件号]"),
    ("护照号75 3846120", "护照号[证件号]"),
    ("我的LINE ID是pharm_mei", "我的LINE ID是[账号]"),
    ("醫院編號係HN14302871", "醫院編號係[病历号]"),
    ("車牌MX-47-21", "車牌[车牌]"),
    ("請來電02-2736-5184", "請來電[电话]"),
    ("英国手机+44 7700 900583", "英国手机[电话]"),
    ("行政办公室010-6528 7741-3306", "行政办公室[电话]"),
    ("被保险人：厍国平", "被保险人：[姓名]"),
    ("药师鹿佳宁已核对", "药师[姓名]已核对"),
    ("刘老先生今天精神好", "[姓名]老先生今天精神好"),
    ("寄到厦门市思明区海边路8号", "寄到[地址]"),
]
SESSION_59_LOOKALIKES = ["客服你好，我想问一下", "小哥你好", "哈喽你好", "全体同学家长您好", "全体医护人员敬上",
                         "失智奶奶今天又走失了", "邻居奶奶今天来看我", "失智老人走失预案", "护工今天请假", "患者的地址是哪里",
                         "快递的电话是多少", "鹿茸泡酒能补肾吗", "国庆长假期间门诊照常", "你个仔几岁了", "我的牛仔裤太紧",
                         "患者，男，56岁", "女儿，女，5岁", "这位老先生血压偏高",
                         "我在路边街口等你", "坐在路边吃早饭",
                         # 帅 is a surname and 哥 a title, but 帅哥 is how anyone is addressed (found after the sets)
                         "帅哥你好，我想问一下", "帅哥，明天来复查", "美女姐姐，你好"]


def test_the_thirty_fourth_held_out_set():
    """Written blind in session 59 (outpatient records, lab, CT and prescription headers, a consent form, a 120 call,
    a community health check, a vaccination booklet, pharmacy SMS, a telehealth chat, a forum thread, a hospital's
    WeChat pushes, an insurance claim, a sick note, an outbreak line list, a family group chat, voice-to-text; Hong
    Kong, Macau and Taiwan patients, foreigners, Tibetan and Uyghur names). No label changed (the writer's uncertain
    calls follow the earlier sets: a chat nickname is an account, a vaccination booklet's number other, a community
    health file's number a record number, 春生叔 labels 春生 alone as 海燕姐 did). First contact: recall 0.880 (name
    0.841), precision 0.982 (name 0.964). Its misses then gave the rules tested below (麻醉 a field only before a
    colon or space: 麻醉方式 is no 方 + 式; a kinship word's "name" that opens with a time word (我妈今天下午…); a
    table row's serial number and a sex cell around a name (2|柯欣悦|女|8|…); a surname and two given-name
    characters after a role word, as after a kinship word (骑手黎家明（…）)): recall 0.896 (name 0.873), precision
    1.000. Left: a given name said in a later sentence than the full name (志强, 水英, 嘉欣, 平安同志), chat nicknames
    (半夏微凉) and pet names (团团) with no cue, 春生叔, school and booklet numbers in a table with no label, Latin names
    with no title (KOWALCZYK, Marta; Ahmed Raza先生 after 国际部：)."""
    sc = score(_rows(HELDOUT34))
    assert sc.overlap["name"].recall >= 0.85, sc.misses
    assert sc.overlap["all"].recall >= 0.87, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT34)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT34)) >= 10


def test_the_thirty_fifth_held_out_set():
    """Written blind in session 59 (the same genres as the thirty-fourth set, with a case-file front page, a
    pathology report, a herbal prescription, a transfusion consent, an elderly follow-up form, a chickenpox roster, a
    canteen's list, an abnormal-login alert; Mongolian, Yi, Korean, German and Russian names). No label changed
    (甜甜圈妈妈 an account, 胜利哥 and 胜利大伯 labelling 胜利 alone, as in the earlier sets). First contact: recall 0.841
    (name 0.722), precision 0.991. Its misses then gave 校医：before a name (and 名单| as 名单：): recall 0.848 (name
    0.736), precision 0.991. Left: given names said alone in later sentences (建军, 雅婷, 志偉, 小满) or in a family chat
    (胜利, a word too: 坚持就是胜利), pet names (琪琪, 甜甜, 明仔, 卡佳), names after 妈妈 or 女儿 with no surname (丽萍, 萨仁),
    记录：包蕾, 護理師郭欣怡, 幸国庆 (国庆 a holiday) and 乐红梅 in a pipe list, a 覆診卡 number, the false alarm 检测编号
    CDC-24-0518-06 (a food sample's, labelled no one's)."""
    sc = score(_rows(HELDOUT35))
    assert sc.overlap["name"].recall >= 0.72, sc.misses
    assert sc.overlap["all"].recall >= 0.83, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT35)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT35)) >= 10


SESSION_59B_CLASSES = [
    ("麻醉：方强", "麻醉：[姓名]"),
    ("校医：郁敏", "校医：[姓名]"),
    ("2|柯欣悦|女|8|三(2)班", "2|[姓名]|女|8|三(2)班"),
    ("| 3 | 王欣悦 | 女 | 8 |", "| 3 | [姓名] | 女 | 8 |"),
    ("员工名单|王建国|厨师|", "员工名单|[姓名]|厨师|"),
    ("已由骑手黎家明（170 8556 2301）配送", "已由骑手[姓名]（[电话]）配送"),
    ("快递员王家明（电话见单）", "快递员[姓名]（电话见单）"),
    ("我姥爷巴特尔今天来", "我姥爷[姓名]今天来"),
]
SESSION_59B_LOOKALIKES = ["麻醉方式：全身麻醉", "麻醉方法：局部浸润", "我妈今天下午还在烧", "我爸明天上午到",
                          "检验项目|结果|单位\n1|白细胞|6.2|10^9/L", "1|方便面|2|袋", "序号|性别\n1|男|45",
                          "医生高度怀疑是肺炎", "护士长期在岗", "校医：建议休息三天"]


@pytest.mark.parametrize("text, expected", SESSION_59B_CLASSES, ids=[c[0][:8] for c in SESSION_59B_CLASSES])
def test_classes_session_59_later_sets_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_59B_LOOKALIKES)
def test_session_59_later_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


@pytest.mark.parametrize("text, expected", SESSION_59_CLASSES, ids=[c[0][:8] for c in SESSION_59_CLASSES])
def test_classes_session_59_sets_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_59_LOOKALIKES)
def test_session_59_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_the_given_name_of_a_worded_full_name_is_taken_only_before_a_title_or_saying():
    assert deidentify("患者汪建国，男，60岁，建国以来第一次住院")[0] == "患者[姓名]，男，60岁，建国以来第一次住院"


def test_a_demonym_and_a_bracketed_relation_are_no_names():
    assert deidentify("江护士长是江西人")[0] == "[姓名]护士长是江西人"
    assert deidentify("联系人张伟（患者丈夫）")[0] == "联系人[姓名]（患者丈夫）"
    assert deidentify("邓雅琴主任和柳青大夫一起做的")[0] == "[姓名]主任和[姓名]大夫一起做的"


def test_a_name_said_twice_is_redacted_twice_unless_it_is_also_a_word():
    assert deidentify("我儿子浩浩一起来的，浩浩晚上有点低烧")[0] == "我儿子[姓名]一起来的，[姓名]晚上有点低烧"
    # 文静 is found after the cue; the adjective later in the sentence is kept
    assert deidentify("我老公叫文静，人一点都不文静")[0] == "我老公叫[姓名]，人一点都不文静"


def test_the_thirty_sixth_held_out_set():
    """Written blind in session 60 (nursing handovers, discharge summaries, insurance claims, pharmacy chat, patients'
    WeChat groups, a school nurse's notes, occupational health, a care home's log, dental SMS, lab and pathology
    headers, referrals, Hong Kong and Taiwan records in traditional characters, a forum, voice-to-text; Mongolian,
    Tibetan, Uyghur, Zhuang, Hui, German and Russian names). No label changed. First contact: recall 0.860 (name
    0.769), precision 1.000; exact address spans 0.143. Its misses gave: addresses through an autonomous prefecture's
    short name (恩施州利川市), a village's team (三队), a hamlet (屯), a lane (112巷), a village starting with 那 after its
    town; a handle with Chinese after its digits up to the space (@碘131勇士); a surname before 姐 redacted alone; 伯伯
    and 姑娘 as titles; a Latin name before 先生; a name found once found again by its Latin given name (Sarah), a
    transliteration's family name before a title (彼得罗夫先生), and, where a title, 的 + a relative or a time word
    follows, a name that is also a word (高山下午…, 文静的奶奶, 玉兰奶奶); a clause that is only a name before sex and age
    (：江河，男，34岁); 患者乌日娜，女，蒙古族; 群主卓玛; 阿不都…; 阿嬤陳阿桃; 你家果果; 回复：小芸，. Then recall 0.969
    (name 0.949), precision 1.000, exact address spans 1.000. Left: 安静 (a word, said only as 安静的妈妈 and 安静刚打完针),
    让浩宇饭前… (a given name after 让 alone) and 丈夫苏和驾车 (和 is the conjunction as often)."""
    sc = score(_rows(HELDOUT36))
    assert sc.overlap["name"].recall >= 0.93, sc.misses
    assert sc.overlap["all"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert sc.exact["address"].recall >= 0.8, sc.misses
    assert len(_rows(HELDOUT36)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT36)) >= 10


SESSION_60_CLASSES = [
    # an autonomous prefecture by its short name before its county or city; a village's team; a hamlet; a lane
    ("住址：四川省甘孜州泸定县冷碛镇甘露寺村二组8号", "住址：[地址]"),
    ("户籍地址广西河池市都安县下坳镇那桐村五队", "户籍地址[地址]"),
    ("家住吉林省长春市九台区其塔木镇大房身村前屯8号", "家住[地址]"),
    ("寄到台北市大安区复兴南路一段107巷5弄3号", "寄到[地址]"),
    # a handle whose Chinese goes on after its digits, up to a space
    ("回复@糖友2019老李 请问胰岛素怎么存", "回复@[账号] 请问胰岛素怎么存"),
    # a surname before 姐/哥 is the surname only, as before 奶奶 (the project's convention: {name|刘}姐)
    ("药师唐姐回复：布洛芬要按体重算", "药师[姓名]姐回复：布洛芬要按体重算"),
    # 伯伯 after a surname or a full name; 姑娘, how Hong Kong's wards address a nurse
    ("刘伯伯的血压今天偏高", "[姓名]伯伯的血压今天偏高"),
    ("陈志强伯伯今晚血糖偏低", "[姓名]伯伯今晚血糖偏低"),
    ("梁姑娘交更：3床已抽血", "[姓名]姑娘交更：3床已抽血"),
    # a Latin name before a Chinese title
    ("尊敬的Michael Brown先生，您的预约已确认", "尊敬的[姓名]先生，您的预约已确认"),
    # a name found once is the person again: a Latin given name, a transliteration's family name before a title
    ("外籍患者Emma Schulz（德国籍），Emma希望用英文沟通", "外籍患者[姓名]（德国籍），[姓名]希望用英文沟通"),
    ("俄罗斯籍患者伊戈尔·伊万诺夫入院，伊万诺夫先生已入高压氧舱", "俄罗斯籍患者[姓名]入院，[姓名]先生已入高压氧舱"),
    # ... and a name that is a word too, where a title, an elder's title, a relative or (as a subject) a time word follows
    ("7床高山，男，52岁，术后第四天，高山下午下床活动", "7床[姓名]，男，52岁，术后第四天，[姓名]下午下床活动"),
    ("三年级二班文静同学摔伤，已告知文静的奶奶", "三年级二班[姓名]同学摔伤，已告知[姓名]的奶奶"),
    ("马玉兰奶奶的女儿来电，说接玉兰奶奶回家住两天", "[姓名]奶奶的女儿来电，说接[姓名]奶奶回家住两天"),
    # a clause that is only a name, then sex and age, even a name that is a word (江河)
    ("（病案号BA2023-001）：江河，男，34岁，骨折术后", "（病案号[病历号]）：[姓名]，男，34岁，骨折术后"),
    # no Han surname: after 患者 and before sex and an ethnic group
    ("出院小结：患者乌兰图雅，女，蒙古族，产后出血", "出院小结：患者[姓名]，女，蒙古族，产后出血"),
    # a Tibetan name after a role (a chat group's owner too)
    ("群主央金：周六义诊", "群主[姓名]：周六义诊"),
    # 阿不都…: 不 transliterates too
    ("现转诊患者阿不都拉·买买提，男，61岁", "现转诊患者[姓名]，男，61岁"),
    # a surname and 阿 + one character after a kinship word
    ("阿嬤林阿桃今天量血压150/88", "阿嬤[姓名]今天量血压150/88"),
    # 糖糖, 果果: doubled pet names of characters that are in other words no given name's
    ("你家糖糖15公斤，每次5ml", "你家[姓名]15公斤，每次5ml"),
    # whom a reply opens by addressing
    ("医生回复：秀英，明天来复查", "医生回复：[姓名]，明天来复查"),
    # 阿訇 is an imam's title, and a surname before a title is labelled (heldout49's 马阿訇的老伴…): the surname
    # alone, not 马阿 as a Min given name (this was a session-60 lookalike before heldout49)
    ("我爸马阿訇说要斋戒", "我爸[姓名]阿訇说要斋戒"),
]
SESSION_60_LOOKALIKES = [
    "我在广州白云区看的病",  # 州 with no county or city after it: a city and a district alone
    "从徐州到郑州市区要两个小时",
    "第三医疗队今天出发，一队在三楼集合",
    "区里的和平路小区",
    "大伯伯母都来看他了",
    "这姑娘真懂事，小姑娘也不哭",
    "请到Apple Store购买",
    "患者，男，45岁，汉族，因胸痛入院。",
    "江河湖海的水不要直接喝。",
    "回复：多喝水，注意休息",
    "医生回复：建议，先做个血常规",
    "管理员：本群禁止推销药品",
    "宝宝血糖糖化都正常",
]


def test_a_name_that_is_also_a_word_stays_a_word_elsewhere_without_a_cue():
    assert deidentify("8床高山，男，60岁，喜欢爬高山，高山上空气好")[0] == "8床[姓名]，男，60岁，喜欢爬高山，高山上空气好"
    assert deidentify("马玉兰，女，70岁，院里的玉兰花开了")[0] == "[姓名]，女，70岁，院里的玉兰花开了"
    assert deidentify("三年级二班文静同学摔伤，她平时很文静")[0] == "三年级二班[姓名]同学摔伤，她平时很文静"


@pytest.mark.parametrize("text, expected", SESSION_60_CLASSES, ids=[c[0][:8] for c in SESSION_60_CLASSES])
def test_classes_session_60_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_60_LOOKALIKES)
def test_session_60_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_the_thirty_seventh_held_out_set():
    """Written blind in session 60 (outpatient e-records, a hospital account's automatic replies, a physical-exam
    report, vaccination certificates, a psychiatric nursing log, home-care notes, a dispute letter, a crowdfunding
    appeal, a pharmacy delivery, a trial's screening log, a school outbreak report, an occupational-disease list, Hong
    Kong, Macau and Taiwan records, foreigners: Korean, Japanese, Vietnamese and English names). No label changed.
    First contact: recall 0.860 (name 0.764), precision 0.990 (李庄镇社区卫生服务中心 a name); exact address spans
    0.800. Its misses gave: 主治医师 and 中文名 before a name (潘立新建议…, 唐迈克); 病人姓名： a field label, not 病人姓 +
    名, with the name in another script in brackets after the label's (LEUNG Wing Sze（梁詠詩）); a clause that is only a
    name before 工号 or 学号 (2. 龙德顺，工号…); a tagger-only name ending in 镇/村/路… is a place; 小 + a character after
    a kinship word before a verb (孙女小芳放暑假); 二丫 after a kinship word; a doubled pet name before sex and age
    (：豆豆，男，2岁); 阿珍 again once a cue found it; 越南籍务工人员阮氏红; 山本健太; a block and a flat's letter after the
    number (23號和輝閣7樓C); 国庆先生，您…; 既往史：晓月2019年…; 囑怡君多喝…. Then recall 0.975 (name 0.958), precision
    1.000, exact address spans 1.000; the twenty-second, twenty-sixth and thirty-fourth sets rose with them (覃明亮，工号,
    患者姓名：颂猜·西素, 现病史：志强自述). Left: given names that are also words, in a later line than the full name with
    no cue (春生自述 beside the trap 春生夏长, 巡视见建平已入睡, 平安近来…)."""
    sc = score(_rows(HELDOUT37))
    assert sc.overlap["name"].recall >= 0.94, sc.misses
    assert sc.overlap["all"].recall >= 0.96, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert sc.exact["address"].recall >= 0.8, sc.misses
    assert len(_rows(HELDOUT37)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT37)) >= 10


SESSION_60B_CLASSES = [
    # roles and labels that hold a name as 主诊医师 and 姓名 do
    ("主治医师潘立新建议收住院", "主治医师[姓名]建议收住院"),
    ("外籍患者Michael Turner（中文名唐迈克），", "外籍患者[姓名]（中文名[姓名]），"),
    ("病人姓名：LEUNG Wing Sze（梁詠詩），", "病人姓名：[姓名]（[姓名]），"),
    ("患者姓名：王秀芬，", "患者姓名：[姓名]，"),
    # a roster's clause that is only a name, before the person's staff or student number
    ("2. 龙德顺，工号KY0612，噪声聋", "2. [姓名]，工号[编号]，噪声聋"),
    ("3. 肖平安，学号20210342", "3. [姓名]，学号[编号]"),
    # 小 + a character after a kinship word, before a verb
    ("孙女小芳放暑假回来", "孙女[姓名]放暑假回来"),
    # a girl called by her rank and 丫/妞 after a kinship word
    ("救救我的女儿二丫！", "救救我的女儿[姓名]！"),
    ("他闺女大妞昨天发烧", "他闺女[姓名]昨天发烧"),
    # a doubled pet name opening a clause before sex and age, and again after
    ("儿科门诊：豆豆，男，2岁3个月，家长诉豆豆昨夜咳嗽", "儿科门诊：[姓名]，男，2岁3个月，家长诉[姓名]昨夜咳嗽"),
    # 阿 + a character after a cue is the person wherever the text says it
    ("隔壁阿珍常来聊天，顺便给阿珍测了血糖", "隔壁[姓名]常来聊天，顺便给[姓名]测了血糖"),
    # a migrant worker by nationality; a Japanese given name ending in 太
    ("越南籍务工人员阮氏红（Nguyen Thi Hong）在工地受伤", "越南籍务工人员[姓名]（[姓名]）在工地受伤"),
    ("日本籍产妇山本美咲入院，丈夫山本健太签署同意书", "日本籍产妇[姓名]入院，丈夫[姓名]签署同意书"),
    # a named block after the road's number, a flat's letter after the floor
    ("住址澳門筷子基和樂大馬路23號和輝閣7樓C，主診", "住址[地址]，主診"),
    ("住在幸福小区3号楼B超室旁", "住在[地址]B超室旁"),  # (a letter before a word is no flat's)
    # a given name addressed with 先生/女士 before 您; a record's section opened by a given name; whom a doctor tells
    ("报告已出。国庆先生，您的血脂偏高", "报告已出。[姓名]先生，您的血脂偏高"),
    ("既往史：晓月2019年行剖宫产术", "既往史：[姓名]2019年行剖宫产术"),
    ("现病史：志强自述酒后腹痛", "现病史：[姓名]自述酒后腹痛"),
    ("医师囑怡君多喝溫開水", "医师囑[姓名]多喝溫開水"),
]
SESSION_60B_LOOKALIKES = [
    "主治医师查房后同意出院",
    "主治医师高度怀疑肺栓塞",
    "中文名称：阿莫西林胶囊",
    "王府井，工号已登记",
    "接种单位：李庄镇社区卫生服务中心",
    "女儿小便失禁两天",
    "儿子小腿抽筋",
    "我女儿小学毕业了",
    "我家大丫头爱哭",
    "女儿二妞妞",
    "豆豆浆每天喝两杯",
    "尊敬的先生，您好",
    "各位女士，您好",
    "现病史：患者自述3天前受凉",
    "既往史：约于2015年行阑尾切除术",
    "个人史：生于本地",
    "嘱患者多喝水",
    "嘱低盐少油，注意休息",
    "嘱清淡饮食",
    "中医讲究春生夏长",
]


@pytest.mark.parametrize("text, expected", SESSION_60B_CLASSES, ids=[c[0][:8] for c in SESSION_60B_CLASSES])
def test_classes_session_60_second_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_60B_LOOKALIKES)
def test_session_60_second_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_the_thirty_eighth_held_out_set():
    """Written blind in session 60 (an online consultation, a ward round, a county-city referral, an ambulance run
    sheet, a rehabilitation schedule, a dialysis roster, a kindergarten health log, a factory clinic, mental-health
    follow-up calls, pharmacy members, a records copy request, a family WeChat group, a volunteer sign-up, a hospice
    notice, Hong Kong, Macau and Taiwan, foreigners; Uyghur, Kazakh, Tibetan, Yi, Miao and Japanese names, pet names,
    given names that are words). No label changed. First contact: recall 0.741 (name 0.619), precision 0.964 (甘露醇,
    於仁伯爵綜合醫院, 签字时间 as names; a death date after 邱永生先生于 as a birth date). Its false alarms gave: 于/於
    before a hospital's name is "at"; 先生于 is no 生于; a cue-only surname starting a common word (时间) is no name;
    甘露醇 among the medical terms. Its misses gave: the nickname in brackets (（乳名糖宝）, （外号黑子）) and the full name
    before it; a pet name, 大名 and the full name (多多大名周一诺); a name before （苗族）; 通知林爸爸; 班长老彭, 网格员老付;
    a Japanese surname after 翻译 or before 先生 in any text; 个仔 + a full name; a Tibetan name's part before 周末 or
    opening a sentence before a time word; a Yi name after a role outside a Yi text (护士沙马拉且); a given name greeted
    after a speaker's colon; a surname and two given characters before 先生 whatever the given name means (邱永生先生);
    a roster's 治疗师 and N号机 before a name (治疗师甘露, 1号机吴海燕). Then recall 0.874 (name 0.814), precision 1.000; the twenty-sixth and twenty-eighth sets rose with them. Left:
    given names that are words with no cue or in a later line (红梅你好, 马永生夜间, 永生大爷, 家属春花说, 国庆你明早, 孙子虎子, 多多手心), nicknames and transliterations with no cue (阿呷, 阿强, 小萌, 托马斯,
    阿依努尔), a Kazakh or Latin given name in a later line than the full name (叶尔兰, Olivia)."""
    sc = score(_rows(HELDOUT38))
    assert sc.overlap["name"].recall >= 0.79, sc.misses
    assert sc.overlap["all"].recall >= 0.86, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT38)) >= 56 and sum(not r["spans"] for r in _rows(HELDOUT38)) >= 10


SESSION_60D_CLASSES = [
    # a nickname a note gives in brackets, and the full name before it
    ("晨检：中一班王思琪（乳名豆包）发热", "晨检：中一班[姓名]（乳名[姓名]）发热"),
    ("随访对象李建国（外号大头）失联", "随访对象[姓名]（外号[姓名]）失联"),
    # a pet name, 大名 and the full name
    ("小二班乐乐大名陈嘉怡，已隔离", "小二班[姓名]大名[姓名]，已隔离"),
    # a name before its ethnic group in brackets
    ("组长蒙春燕（布依族）负责登记", "组长[姓名]（布依族）负责登记"),
    # a child's parent by the child's surname; 老 + a surname after a workmate's role
    ("已通知孙妈妈来接", "已通知[姓名]妈妈来接"),
    ("由班长老董送到医务室", "由班长老[姓名]送到医务室"),
    # a Japanese surname after 翻译 or before a title, with nothing else saying the people are Japanese
    ("陪同翻译田中健一，", "陪同翻译[姓名]，"),
    ("铃木女士对青霉素过敏", "[姓名]女士对青霉素过敏"),
    # Cantonese 个仔 + a full name
    ("护士阿玲话个仔陈志辉电话打唔通", "护士[姓名]话个仔[姓名]电话打唔通"),
    # a Tibetan name's part before 周末, or opening a sentence before a time word
    ("其儿子扎西周末来复查", "其儿子[姓名]周末来复查"),
    ("扎西本周起加量。", "[姓名]本周起加量。"),
    # a Yi name after a role, in a text that does not say Yi
    ("值班护士阿苏拉则，18:30交班", "值班护士[姓名]，18:30交班"),
    # a given name greeted after the speaker's colon
    ("医生李明：秀兰你好，结果正常", "医生[姓名]：[姓名]你好，结果正常"),
    # a surname and two given characters before 先生, whatever the given name means
    ("讣告：退休教师严德生先生于3月病逝", "讣告：退休教师[姓名]先生于3月病逝"),
    # a death date after 先生于 is no birth date; the birth date after 生于 still is
    ("邱德明先生于2024年11月2日辞世，生于1941年7月", "[姓名]先生于2024年11月2日辞世，生于[出生日期]"),
    # a roster's therapist, a dialysis machine's patient, even a given name that is a word
    ("10:00 OT室，治疗师甘露；", "10:00 OT室，治疗师[姓名]；"),
    ("2号机何永康，3号机空", "2号机[姓名]，3号机空"),
]
SESSION_60D_LOOKALIKES = [
    "于仁和医院就诊",  # 于 "at" a hospital
    "患者於仁濟醫院留觀",
    "签字时间3月6日",  # 时 starts 时间
    "甘露醇250ml快滴",
    "乳名叫什么都行",
    "外号大全",
    "患者（汉族）",
    "通知爸爸来接",
    "班长老是迟到",
    "同事老公来接",
    "翻译中文",
    "格桑花开了。",
    "这位先生请排队",
    "医生：你好，请坐",
    "患者：大家你好",
    "每周二复查",
    "治疗师和患者沟通",
    "治疗师常规评估",
    "康复师向患者解释",
    "3号机故障待修",
]


@pytest.mark.parametrize("text, expected", SESSION_60D_CLASSES, ids=[c[0][:8] for c in SESSION_60D_CLASSES])
def test_classes_session_60_fourth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_60D_LOOKALIKES)
def test_session_60_fourth_set_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


SESSION_61A_CLASSES = [
    # surnames that start ordinary words too, after a cue (甯 is 宁's old form)
    ("护士长甯秀英已知晓", "护士长[姓名]已知晓"),
    ("产妇粘美君于今晨分娩", "产妇[姓名]于今晨分娩"),
    ("监护人：长子曲建华，电话", "监护人：长子[姓名]，电话"),
    ("就诊人车文涛", "就诊人[姓名]"),
    ("责任护士花玉兰", "责任护士[姓名]"),
    # a record's subject, then 于 and when it happened
    ("分娩记录：产妇粘美君于2024-06-08经阴道分娩", "分娩记录：产妇[姓名]于2024-06-08经阴道分娩"),
]
SESSION_61A_LOOKALIKES = [
    "广播找人：车牌号的白色轿车车主请挪车",  # 找人： is no field naming a person
    "寻人：车主请速到急诊",
    "患者车祸伤后来院",
    "静脉曲张术后",
    "患者曲马多用量减半",
    "患者花生过敏",
    "花粉过敏季节",
    "患者粘液便3次",
    "粘膜充血水肿",
    "方案于2024年6月启动",
    "患者于2024年6月入院",
    "于今晨行PCI术",
]


@pytest.mark.parametrize("text, expected", SESSION_61A_CLASSES, ids=[c[0][:8] for c in SESSION_61A_CLASSES])
def test_classes_session_61_first_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_61A_LOOKALIKES)
def test_session_61_first_set_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


SESSION_61B_CLASSES = [
    # a maternity booklet's and a chest film's numbers
    ("建册号YC2024-0217。", "建册号[病历号]。"),
    ("X光号DR240611-0092，胸片示", "X光号[病历号]，胸片示"),
    # a number sent in a chat after its cue
    ("我把就诊卡号发您：6100237845，", "我把就诊卡号发您：[病历号]，"),
    # a home-return permit's H or M and ten digits
    ("回乡证号码H6083721403记得带齐", "回乡证号码[证件号]记得带齐"),
    # LINE in capitals, then its id
    ("联络方式LINE：peijung0509，", "联络方式LINE：[账号]，"),
    # a chat group's handle in Chinese words
    ("群主@透析十年老顾：新进群的朋友请改群名片", "群主@[账号]：新进群的朋友请改群名片"),
]
SESSION_61B_LOOKALIKES = [
    "群主@所有人 明天停诊",
    "群主@全体成员：明天停诊",
    "我发您：明天上午见",
    "LINE群里说过了",
    "X光片示骨折",
    "建册时间2024年3月",
    "回乡证过期了",
]


@pytest.mark.parametrize("text, expected", SESSION_61B_CLASSES, ids=[c[0][:8] for c in SESSION_61B_CLASSES])
def test_classes_session_61_second_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_61B_LOOKALIKES)
def test_session_61_second_set_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


SESSION_61C_CLASSES = [
    # a nickname, and a note in brackets saying whose it is
    ("6床小胖（患儿褚浩宇的小名）术后禁食", "6床[姓名]（患儿[姓名]的小名）术后禁食"),
    # a pet name in quotes after 乳名
    ('新生儿乳名"糯米"，', '新生儿乳名"[姓名]"，'),
    # someone by surname and title, then a full name with that surname in brackets
    ("302房花奶奶（花玉兰）血压平稳", "302房[姓名]奶奶（[姓名]）血压平稳"),
    # a Latin given name made familiar the Cantonese way
    ("阿May：Ben仔发烧成晚", "[姓名]：[姓名]仔发烧成晚"),
    # a chat's speaker by surname and 太
    ("何太：我會自己揸車過嚟", "[姓名]太：我會自己揸車過嚟"),
    # a middle school's grade and the class number in brackets, then the pupil
    ("初二（3）班万思琪课间晕倒", "初二（3）班[姓名]课间晕倒"),
    # a parent by the child's surname after 联系家长 or 联系人
    ("已联系家长万爸爸", "已联系家长[姓名]爸爸"),
    ("理赔联系人马妈妈。", "理赔联系人[姓名]妈妈。"),
    # what is in the brackets after a title is no name unless it has the same surname; a quoted 昵称 is an account
    ("张医生（主任医师）查房", "[姓名]医生（主任医师）查房"),
    ("王老师（班主任）来电", "[姓名]老师（班主任）来电"),
    ('昵称是"晴天小猪"', '昵称是"[账号]"'),
]
SESSION_61C_LOOKALIKES = [
    '乳名"什么"都行',
    "CT仔细看了",
    "阿Q正传",
    "太太：请坐",
    "初二学生体检",
    "联系家长",
    "小名（乳名）怎么填",
]


@pytest.mark.parametrize("text, expected", SESSION_61C_CLASSES, ids=[c[0][:8] for c in SESSION_61C_CLASSES])
def test_classes_session_61_third_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_61C_LOOKALIKES)
def test_session_61_third_set_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


SESSION_61D_CLASSES = [
    # the person named by a solar term is still found before 说; a compound surname before 村 is the village's
    ("患者白露，女，28岁，白露说睡不好", "患者[姓名]，女，28岁，[姓名]说睡不好"),
    ("诸葛明远上个月来过", "[姓名]上个月来过"),
    # a place with a street and number after 用人单位 is still an address; after 家住 a district is one
    ("家住济南市历下区", "家住[地址]"),
    ("用人单位：佛山市南海区桂城街道南海大道88号", "用人单位：[地址]"),
]
SESSION_61D_LOOKALIKES = [
    "自诉每年白露前后失眠加重",
    "回老家诸葛八卦村过暑假",
    "用人单位：佛山市南海区恒达五金制品有限公司",
    "参保地：济南市历下区，本次为异地就医直接结算",
]


@pytest.mark.parametrize("text, expected", SESSION_61D_CLASSES, ids=[c[0][:8] for c in SESSION_61D_CLASSES])
def test_classes_session_61_fourth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_61D_LOOKALIKES)
def test_session_61_fourth_set_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_a_name_that_is_a_solar_term_is_the_season_again_before_a_time_word():
    text = "精神科门诊：患者白露，女，28岁，自诉每年白露前后失眠加重"
    assert deidentify(text)[0] == "精神科门诊：患者[姓名]，女，28岁，自诉每年白露前后失眠加重"


SESSION_61E_CLASSES = [
    # 受保人, a Hong Kong insurer's word for the insured, as a cue (traditional characters read as simplified)
    ("受保人鄭家樂（Ka Lok Cheng）", "受保人[姓名]（[姓名]）"),
    # 于 as a surname before a word the dictionary calls a place, where sex and age or speech follow
    ("受保人于海洋，男，30岁", "受保人[姓名]，男，30岁"),
    # a birth year read out, ending a bracketed note's clause
    ("汤老师（退休中学教师，四八年生）", "[姓名]老师（退休中学教师，[出生日期]生）"),
]
SESSION_61E_LOOKALIKES = [
    "受保人於深圳就醫，自付港幣4,850元",  # 於 "in" a place, before what was done there
    "患者于北京就诊",
    "受保人须知",
    "受保人年龄不超过65岁",
    "工厂，五六年生产的设备",
    "2018年出生的孩子都要接种",
]


@pytest.mark.parametrize("text, expected", SESSION_61E_CLASSES, ids=[c[0][:8] for c in SESSION_61E_CLASSES])
def test_classes_session_61_fifth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_61E_LOOKALIKES)
def test_session_61_fifth_set_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


SESSION_61F_CLASSES = [
    # a Singapore NRIC whose check letter holds, wherever it is; one named NRIC or FIN whatever its letter
    ("证件S1234567D已核对", "证件[证件号]已核对"),
    ("NRIC是S8823471D，", "NRIC是[证件号]，"),
    ("FIN：G1234567X。", "FIN：[证件号]。"),
    # a Malaysian MyKad with its dashes (a birth date, a place-of-birth code, four digits)
    ("IC号码520814-10-5273，", "IC号码[证件号]，"),
    # a vaccination certificate's and a death certificate's numbers; an inmate's number after the name
    ("预防接种证编号JZ460108-0213。", "预防接种证编号[编号]。"),
    ("死亡证明编号N450123240000321，", "死亡证明编号[编号]，"),
    ("在押人员殷国强，编号3305170284，", "在押人员[姓名]，编号[编号]，"),
    # a handle of Chinese words joined to Latin letters or by an underscore after 昵称/用户名
    ("群昵称熊猫血_古丽。", "群昵称[账号]。"),
    ("微博用户名心理老师Echo，", "微博用户名[账号]，"),
    # a parent's display name made of a word and 爸爸/妈妈 after @
    ("@向日葵爸爸 你家的轮椅", "@[账号] 你家的轮椅"),
    # a Malaysian street address with its postcode, town and state
    ("寄到Jalan Burma 88, 10050 George Town, Penang。", "寄到[地址]。"),
]
SESSION_61F_LOOKALIKES = [
    "S1234567A号样本",  # a check letter that fails, with no cue
    "批号S1234567D",
    "FINE",
    "订单号240611-01-0023",
    "2024-06-1234",
    "死亡证明第四联交派出所",
    "编号3305170284的设备",
    "昵称是什么",
    "昵称可以随便改",
    "@所有人 明天停诊",
    "Jalan Alor的夜市很好吃",
    "Jalan Tun Razak 2019年修路",
]


@pytest.mark.parametrize("text, expected", SESSION_61F_CLASSES, ids=[c[0][:8] for c in SESSION_61F_CLASSES])
def test_classes_session_61_sixth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_61F_LOOKALIKES)
def test_session_61_sixth_set_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


def test_a_child_named_before_mama_after_at_is_a_name_not_an_account():
    assert deidentify("@欧阳思琪妈妈 B超报告我看了")[0] == "@[姓名]妈妈 B超报告我看了"


SESSION_61G_CLASSES = [
    # a survey's household head and respondent; a reviewer signing with a surname after 复核员：
    ("户主贺建军，1965年生", "户主[姓名]，[出生日期]生"),
    ("受访者贺建军对调查无异议", "受访者[姓名]对调查无异议"),
    ("复核员：万；", "复核员：[姓名]；"),
    # a team's player as a cue; the given name again before 不同意; a coach's Latin name
    ("门将韦小雨自述，小雨不同意，已报主教练Marco Rossi。", "门将[姓名]自述，[姓名]不同意，已报主教练[姓名]。"),
    ("患者刘小雨，明天小雨转晴", "患者[姓名]，明天小雨转晴"),  # (the weather: nothing after it says a person)
    # an interpunct name before a prison's intake
    ("服刑人员阿不都热合曼·吐尔逊入监体检", "服刑人员[姓名]入监体检"),
    # Ah and a one-syllable name, after the surname where written
    ("我是新加坡的Ah Meng，", "我是新加坡的[姓名]，"),
    ("我爸Lim Ah Kow在吉隆坡", "我爸[姓名]在吉隆坡"),
    # 阿 and a given name before 师傅 or 姐
    ("上回阿强师傅做的太高了", "上回[姓名]师傅做的太高了"),
    ("槟城的阿娇姐说", "槟城的[姓名]姐说"),
    # a Vietnamese woman's name with 氏, where the text says Vietnam
    ("逝者阮氏花是越南籍", "逝者[姓名]是越南籍"),
    # a name before an ID number in brackets, even a word
    ("身份证一张（甘露，450102197809234623）", "身份证一张（[姓名]，[证件号]）"),
    # a parent speaking as the child's mother: the pet name, there and after
    ("[群] 小鱼儿妈妈：今天小鱼儿能自己吃饭了", "[群] [姓名]妈妈：今天[姓名]能自己吃饭了"),
]
SESSION_61G_LOOKALIKES = [
    "户主签字",
    "受访者对调查无异议",
    "受访者中高血压占三成",
    "运动员康复训练",
    "前锋线很强",
    "华山·西峰体检",
    "教练Good Morning",
    "Ah Yes，我懂了",
    "阿姨说",
    "阿哥来了",
    "阿胶姐妹",
    "阿拉哥哥",
    "越南阮氏王朝",
    "阮氏家族",
    "身份证一张（复印件，450102197809234623）",
    "（本人，450102197809234623）",
    "宝宝妈妈：今天好多了",
    "小孩妈妈：今天好多了",
]


@pytest.mark.parametrize("text, expected", SESSION_61G_CLASSES, ids=[c[0][:8] for c in SESSION_61G_CLASSES])
def test_classes_session_61_seventh_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_61G_LOOKALIKES)
def test_session_61_seventh_set_lookalikes_are_left_alone(text):
    assert deidentify(text)[0].replace("[证件号]", "450102197809234623") == text


SESSION_61H_CLASSES = [
    # a pupil addressed by given name and 同学 before 你
    ("芷晴同学，你下周三的咨询已确认", "[姓名]同学，你下周三的咨询已确认"),
    # a player, then the shirt number and the position in brackets
    ("3月8日：钱多多（9号，前锋）训练中扭伤", "3月8日：[姓名]（9号，前锋）训练中扭伤"),
]
SESSION_61H_LOOKALIKES = [
    "大一同学，你们要按时交表",
    "各位同学，你们好",
    "门诊（3号，内科）",
    "去了3号楼（7号，前锋）",
]


@pytest.mark.parametrize("text, expected", SESSION_61H_CLASSES, ids=[c[0][:8] for c in SESSION_61H_CLASSES])
def test_classes_session_61_eighth_set_found_are_caught(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_61H_LOOKALIKES)
def test_session_61_eighth_set_lookalikes_are_left_alone(text):
    assert deidentify(text)[0] == text


# After a strong cue, a word that starts with a surname character and is a conjunction, preposition, adverb or
# numeral is that word when the sentence goes on (万一 "in case"; 和 "and" right after the cue, before an ordinary
# word): found by the de-identification helper of session 61 (用户名 holds the cue 户名).
SESSION_61I_FUNCTION_WORDS = [
    "请输入用户名和密码",
    "就诊人和陪同人员请在一楼排队",
    "记录员：万一有变化请电话通知",
]
SESSION_61I_NAMES = [
    ("户名：和美玲", "户名：[姓名]"),
    ("联系人：和平", "联系人：[姓名]"),
    ("审核医师：万里  报告日期：2024年3月18日", "审核医师：[姓名]  报告日期：2024年3月18日"),
    ("复核员：万丽华", "复核员：[姓名]"),
]


@pytest.mark.parametrize("text", SESSION_61I_FUNCTION_WORDS)
def test_a_function_word_after_a_cue_is_no_name(text):
    assert deidentify(text)[0] == text


@pytest.mark.parametrize("text, expected", SESSION_61I_NAMES, ids=[c[0][:8] for c in SESSION_61I_NAMES])
def test_a_name_that_is_also_a_function_word_is_still_a_name(text, expected):
    assert deidentify(text)[0] == expected


def test_the_thirty_ninth_held_out_set():
    """Written blind in session 61 from the hospital records side (discharge summaries, a nursing handover, insurance
    claim forms with a Hong Kong claimant in traditional characters, lab, imaging and pathology headers, a trial's
    screening log, ambulance run sheets, a psychiatric intake, maternity and newborn records, occupational health
    exams, a medical insurance settlement); compound and rare surnames, Uyghur, Mongolian, Yi and Tibetan names,
    names that are ordinary words (于是, 白露). One label brought to the project's conventions (社会保障个人编号:
    other -> account, said in the set's header); first contact is the same either way: recall 0.924 (name 0.886),
    precision 0.968 (白露 again in 每年白露前后, 诸葛八卦村 as a name, 佛山市南海区 opening a company's name and 参保地：济南市
    历下区 as addresses). Its false alarms gave: a name that is a solar term is the season again before 前后/时节; a
    compound surname before 村/镇 is a village; a city and district before a company's name or after 参保地/用人单位,
    with no street, is no address; 于/於 before a place and what was done there is "in" (受保人於深圳就醫). Its misses
    gave: 甯粘曲花车 as surnames after a cue; a record's subject before 于 and a date (产妇粘美君于2024-06-08…); 受保人
    as a cue; 建册号 and X光号; a quoted 乳名 ("糯米"); a nickname with a note of whose it is (小胖（患儿褚浩宇的小名）).
    Then recall 0.977 (name 0.957), precision 1.000. Left: a Uyghur given name alone in a later line with no cue
    (阿卜杜热合曼对…), and 于是 as a name (患者于是，女，79岁; 于是奶奶): the rule would take the conjunction."""
    sc = score(_rows(HELDOUT39))
    assert sc.overlap["name"].recall >= 0.94, sc.misses
    assert sc.overlap["all"].recall >= 0.96, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT39)) >= 60 and sum(not r["spans"] for r in _rows(HELDOUT39)) >= 10


def test_the_fortieth_held_out_set():
    """Written blind in session 61 from the community and online side (patients' WeChat groups, online consultation
    chats, Cantonese, Sichuanese, Northeastern and Shanghainese dialect chats, teleconsults with Hong Kong, Taiwan,
    Macau and overseas patients in traditional characters, pharmacy pickup logs, home care visits, school nurse
    records, an elderly care home's log, referral letters, platform risk logs); nicknames, given names, Mongolian,
    Uyghur and Latin names. No label changed. First contact: recall 0.743 (name 0.627), precision 1.000. Its misses
    gave: 甯粘曲花车 as surnames after a cue (长子曲建华, 就诊人车文涛); a chat group's @handle (群主@透析十年老顾; not
    @所有人); a number sent after its cue (就诊卡号发您：…); a home-return permit's H + ten digits; LINE as an account
    cue; 阿May and Ben仔; a speaker 何太：; 初二（3）班 before a pupil; 联系家长万爸爸, 联系人马妈妈; a titled surname then
    the full name in brackets (花奶奶（花玉兰）); a spoken birth year ending a note's clause (，四八年生）). Then recall
    0.879 (name 0.795), precision 1.000. Left: surname + 哥/叔 with no cue (顾哥回复, 郑叔的内瘘), 阿芬 after 回复,
    nicknames and kinship-rank names with no cue (小鱼儿, 小毛 after a dialect tag, 幺妹儿, 大壮他妈, 琪琪, 嘟嘟妈妈 after
    医生：), 张幺爸, 曲老爷子, a Mongolian given name alone (娜仁), a Uyghur name opening a note (伊力哈尔), and 马路 as a
    name: each needs a rule that would take ordinary words or kinship terms."""
    sc = score(_rows(HELDOUT40))
    assert sc.overlap["name"].recall >= 0.78, sc.misses
    assert sc.overlap["all"].recall >= 0.86, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT40)) >= 60 and sum(not r["spans"] for r in _rows(HELDOUT40)) >= 6


def test_the_forty_first_held_out_set():
    """Written blind in session 61 from places the earlier sets had not been (a blood donation centre, a hearing-aid
    fitting record, a sports team doctor's log, a prison clinic, a university counselling centre, vaccine adverse-event
    reports, a dental lab order, a hospital's lost-and-found, a death-certificate office, a rehabilitation hospital's
    family chat, a community health survey, telehealth with Singapore and Malaysia Chinese patients). No label
    changed. First contact: recall 0.788 (name 0.736), precision 1.000. Its misses gave: a Singapore NRIC/FIN (by its
    check letter, or after NRIC/FIN) and a Malaysian MyKad with its dashes; a Malaysian Jalan address with postcode,
    town and state; vaccination-certificate, death-certificate and inmate numbers as other; a handle of Chinese joined
    to Latin letters or by an underscore after 昵称/用户名 (熊猫血_古丽, 心理老师Echo) and @word+爸爸 (@向日葵爸爸; not
    @欧阳思琪妈妈, the child's name); 户主, 受访者 and a team's players as cues, 复核员：万, a given name again before 不同意
    (韦小雨…小雨不同意); a coach's Latin name; Ah Meng and Lim Ah Kow; 阿强师傅, 阿娇姐; a Vietnamese 阮氏花 where the text
    says Vietnam; an interpunct name before 入监体检; a name before an ID in brackets (（甘露，4501…）); a parent speaking
    as 小鱼儿妈妈：; 芷晴同学，你…; a player before the shirt number and position (钱多多（9号，前锋）). Then recall 0.970
    (name 0.944), precision 1.000. Left: given names and pet names with no cue (美玲那边…, 阿依莎的体检报告, 你家朵拉的轮椅,
    我们家石头也要…): each needs a rule that would take ordinary words (石头) or any two characters before 的/那边."""
    sc = score(_rows(HELDOUT41))
    assert sc.overlap["name"].recall >= 0.92, sc.misses
    assert sc.overlap["all"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT41)) >= 60 and sum(not r["spans"] for r in _rows(HELDOUT41)) >= 10


# Session 62's rules (from heldout42-44), each with the ordinary text beside it that must stay
SESSION_62_FOUND = [
    ("我大学室友在仁济医院当医生，姓汤，我问问汤医生", "我大学室友在仁济医院当医生，姓[姓名]，我问问[姓名]医生"),
    ("常把护工小芬叫成女儿春梅，傍晚后有游走行为", "常把护工[姓名]叫成女儿[姓名]，傍晚后有游走行为"),
    ("护工春花说钱大爷昨晚尿了三次床，春花已经给他换了床单", "护工[姓名]说[姓名]大爷昨晚尿了三次床，[姓名]已经给他换了床单"),
    ("赵海燕说父亲摔倒，海燕已按调度员指导处理", "[姓名]说父亲摔倒，[姓名]已按调度员指导处理"),
    ("二叔：婷婷下个月就要生了", "二叔：[姓名]下个月就要生了"),
    ("小军：奶奶家在七宝镇", "[姓名]：奶奶家在七宝镇"),
    ("我是吉隆坡的黄家豪，明年回国做体检", "我是吉隆坡的[姓名]，明年回国做体检"),
    ("请白班晓雯继续关注", "请白班[姓名]继续关注"),
    ("我弟弟雷鸣，2008年出生", "我弟弟[姓名]，[出生日期]出生"),
    ("扎西您好，要定期查血红蛋白", "[姓名]您好，要定期查血红蛋白"),
    ("患者格桑（门诊号MZ0087423）", "患者[姓名]（门诊号[病历号]）"),
    ("受试者巴雅尔，男，1958年生", "受试者[姓名]，男，[出生日期]生"),
    ("转出医生：宝音，电话0477-8512264", "转出医生：[姓名]，电话[电话]"),
    ("我是Michael Brennan的太太", "我是[姓名]的太太"),
    ("CRC备注：Ahmad bin Ismail（马来西亚籍）护照到期", "CRC备注：[姓名]（马来西亚籍）护照到期"),
    ("证人阿不都热西提·吐尔洪证言：当晚", "证人[姓名]证言：当晚"),
    ("楼主糖妈日记2021说自己在湖南", "楼主[账号]说自己在湖南"),
    ("用户高原雪莲_2019于22:17登录", "用户[账号]于22:17登录"),
    ("您是四九年生的，表上别填错了", "您是[出生日期]生的，表上别填错了"),
    ("长期护理保险待遇编号CHLTC3201230058，每月", "长期护理保险待遇编号[编号]，每月"),
]
SESSION_62_KEPT = [
    "由女儿代述，血压132/84",
    "外祖父一辈有兄弟五人，老幺在东北",
    "活动安排：周六家属开放日",
    "衛福部提醒：就醫請攜帶健保卡",
    "各科室护士长安排好人员，不得缺席。",
    "小白今天打了猫三联第二针",
    "接种单位：天河区石牌街社区卫生服务中心",
    "小结：患者病情稳定",
    "格桑花开了",
    "呼和浩特的乌云很厚",
    "已电话联系开方医生修改处方。",
]


@pytest.mark.parametrize("text, expected", SESSION_62_FOUND, ids=[c[0][:8] for c in SESSION_62_FOUND])
def test_session_62_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_62_KEPT)
def test_session_62_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_forty_second_held_out_set():
    """Written blind in session 62 (discharge summaries, nursing handovers, a family's WeChat group about a father in
    hospital, insurance claims from abroad, school clinic notes, a care home's records, Hong Kong, Taiwan and overseas
    Chinese text). No label changed. First contact (with b4db35f): recall 0.890 (name 0.859), precision 0.981 (周六家属
    开放日 and 衛福部 as names). Its false alarms gave: a time word before 家属 is a day; a name of a ministry or a bureau
    (…部/委/局) before 提醒 is no person. Its misses gave: ，姓汤， as a label; 问了老孟; a relative's two characters the
    dictionary does not know, ending the clause, where the HMM takes them for a name (女儿春梅，); a doubled pet name
    after 小名/患儿 said again (墨墨); 小军： as a chat speaker (a rare noun); 我是吉隆坡的黄家豪 (家 opening a given
    name); 古丽娜 after a role; 待遇编号 as other. Then recall 0.958 (name 0.958), precision 1.000. Left: 建华 as a
    speaker and again with no cue (the dictionary's frequent word), 囡囡 (how any little girl is called), a Singapore
    address in Chinese after 现居. Session 63 settled the two labels this set gave otherwise than earlier ones: an
    insurer's member ID is an account (as here; heldout13 relabelled), an NHS number an id_number (as in heldout13;
    relabelled here), and NHS号码 is now a cue."""
    sc = score(_rows(HELDOUT42))
    assert sc.overlap["id_number"].recall == 1.0 and sc.overlap["other"].precision == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.94, sc.misses
    assert sc.overlap["all"].recall >= 0.94, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT42)) >= 60 and sum(not r["spans"] for r in _rows(HELDOUT42)) >= 10


def test_the_forty_third_held_out_set():
    """Written blind in session 62 while heldout42 and heldout44 were being used (online consultation chats,
    prescription and pharmacy records, lab and imaging reports, appointment SMS, court and medical-dispute letters,
    clinical-trial screening logs; Uyghur, Tibetan and Mongolian names, English-named expatriates). No label changed.
    First contact, with fe30067 (the rules from heldout42 and heldout44): recall 0.843 (name 0.746), precision 0.990
    (方 of 审方药师); the same as with b4db35f, before those rules. Its misses gave: Mongolian and Uyghur names used
    alone (宝音, 巴雅尔, 乌云娜, 哈斯, 额尔德木图, 买买提江, 艾克拜尔) beside the Tibetan parts, after a record's subject
    (患者格桑（…）, 受试者哈斯), before a greeting (扎西您好), 阿爸, sex and age or a title; a Latin full name before 的太太
    or a nationality (Ahmad bin Ismail（马来西亚籍）, Hans Müller，德国籍) and after 受试者 or 见证人; 见证人 and 证人
    before a name; an interpunct name cut before the word after it (…·吐尔洪证言); a user name of Chinese, an underscore
    and digits after 用户. Its false alarm gave: 审方/开方/处方 is no surname 方. Then recall 0.991 (name 0.985),
    precision 1.000. Left: Mike, a Latin nickname opening a clause with no cue."""
    sc = score(_rows(HELDOUT43))
    assert sc.overlap["name"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].recall >= 0.98, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT43)) >= 60 and sum(not r["spans"] for r in _rows(HELDOUT43)) >= 10


def test_the_forty_fourth_held_out_set():
    """Written blind in session 62 (rural clinic notes, 120 dispatch records, vaccination certificates, health-check
    reports, staff rosters and duty notes, social media posts, letters between relatives, a pet clinic; given names
    that are also common words: 文静, 海燕, 建军, 国庆, 雷鸣, 春花). No label changed. First contact (with b4db35f):
    recall 0.812 (name 0.709), precision 0.965 (安排好 after 护士长, 小白 the cat, 天河区石牌街社区 of a clinic's name).
    Its false alarms gave: a role, then a verb that starts with a surname and goes on (护士长安排好人员), is no name; a
    district and street in a clinic's or an office's name is no address; in a text about a pet (猫三联, 驱虫, 绝育…) a
    pet name found with no cue is the animal's. Its misses gave: 持证人; 胡老太; 阿强医生; 她家安安; a worded name found
    with a cue is the person again before 已/正在 (赵海燕…，海燕已按…); 护工春花说 and 请白班晓雯; 二叔：婷婷下个月…; a
    relative's name before a birth year (我弟弟雷鸣，2008年出生); 楼主糖妈日记2021 as an account; 儿童编码 as other;
    您是四九年生的. Then recall 0.941 (name 0.891), precision 1.000. Left: 文静 as a name beside the adjective
    (文静女士, 文静这孩子以前挺文静的, 文静妈妈), 建军打电话 and 国庆哥： (words with no cue a rule could trust), 与陈红梅
    7月3日白班对调. Its 社保个人编号, labelled other where the earlier sets have account, was brought to their label in
    session 63."""
    sc = score(_rows(HELDOUT44))
    assert sc.overlap["account"].precision == 1.0 and sc.overlap["other"].recall == 1.0, sc.false_alarms
    assert sc.overlap["name"].recall >= 0.87, sc.misses
    assert sc.overlap["all"].recall >= 0.92, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT44)) >= 60 and sum(not r["spans"] for r in _rows(HELDOUT44)) >= 10


def test_the_forty_fifth_held_out_set():
    """Written blind in session 63 (maternity and child-health records, school nurse notes, a care home's logs, family
    WeChat groups, pharmacy deliveries, insurance claims, Singapore, Malaysia and overseas Chinese usage). Labels
    changed: a 社保个人编号 to account and an NHS number to id_number (as the earlier sets), an Australian Medicare and
    an Ontario OHIP number from other to id_number (foreign health numbers, the conventions' decided case). First
    contact (with b135004): recall 0.811 (name 0.710), precision 1.000. Its misses gave: a group chat's speaker after
    the chat's name in brackets ([相亲相爱一家人] 建军：, [家庭群] Amy：, 二丫：); a given name then 你 opening a clause
    (春花你明天…, 小宇你周末…); an English given name standing alone against Chinese (Amy在多伦多, Grace的 OB); Mdm as a
    title; an insurer's 会员号 is an account (惠民保会员号…); 建档号 as a record number; Medicare and OHIP numbers after
    their names, also after Chinese (外婆的 OHIP 号码…). Then recall 0.915 (name 0.855), precision 1.000. Left: given
    names that are words with no cue a rule could trust (文静同学, 学生国庆, 平安今天…, 海燕自述), 小满 before sex and
    birth date (a solar term), 志刚舅舅你把… (the title rule wants a predicate, not 你, after it), 小雨妈妈，请…,
    甜甜（一年级3班）."""
    sc = score(_rows(HELDOUT45))
    assert sc.overlap["id_number"].recall == 1.0 and sc.overlap["account"].precision == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.84, sc.misses
    assert sc.overlap["all"].recall >= 0.90, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT45)) >= 60 and sum(not r["spans"] for r in _rows(HELDOUT45)) >= 10


def test_the_forty_sixth_held_out_set():
    """Written blind in session 63 (Hong Kong and Taiwan clinic messages, dental and optical shop records,
    psychotherapy intake notes, telehealth chats with timestamps, lab report headers, e-mail signatures, appointment
    SMS, foreign patients in China). Labels changed: a 个人编号 to account and an NHS number to id_number (as the
    earlier sets), an Australian Medicare number from other to id_number (a foreign health number). First contact
    (with b135004): recall 0.804 (name 0.765), precision 0.978 (单颗 of a price list, 何文田 a Hong Kong district).
    Its false alarm gave: 颗 is a measure word, no given name. Its misses gave: a Hong Kong ID after 身份證 with a
    mistyped check character; NHS号码 after Chinese (她的NHS号码是…); WhatsApp as a phone's cue (我WhatsApp係5633
    9018); a Hong Kong plate after the car (架車PW 7281); 顾客： as a label; a Cantonese daughter by her given name
    before 嘅 (你個女嘉欣嘅…, again later); English given names against Chinese (我係May，, Yuki（…）). Then recall 0.884
    (name 0.838), precision 0.990. Left: 何文田 (a place the surname rules read as 何 + 文田), words used as names
    (乐天, 平安, 夏天 after 叫, 静静 in quotes), 李可/可可, 小满 as a pet name, 羅伯 (a Cantonese elder after 陪),
    Emily Tan before a bracket, a 学生證號碼 and a 证书编号 (licence) as other."""
    sc = score(_rows(HELDOUT46))
    assert sc.overlap["id_number"].recall == 1.0 and sc.overlap["phone"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.82, sc.misses
    assert sc.overlap["all"].recall >= 0.87, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT46)) >= 60 and sum(not r["spans"] for r in _rows(HELDOUT46)) >= 10


def test_the_forty_seventh_held_out_set():
    """Written blind in session 63 (discharge summaries, referral letters, occupational-health exams, 120 dispatch
    notes, factory clinic logs, travel-clinic vaccination records, health-insurance claims, voice notes with spoken
    digits). Labels changed: a 社保个人编号 to account and an NHS number to id_number, as the earlier sets. First
    contact (with b135004): recall 0.818 (name 0.700), precision 1.000. Its misses gave: English street addresses
    right after Chinese (住址14 Elmwood Road, …, with a British postcode and the country), a Malaysian address with
    the house number first (No. 23, Jalan …); an insurer's 会员号 is an account (…团体险); a Latin full name after
    访客/乘客; English given names against Chinese (Jenny啊, Linda姐, Priya有); a worded given name found with a cue is
    the person again before 术后 (沈国庆…，国庆术后…). Then recall 0.893 (name 0.800), precision 1.000. Left: 李想 in a
    badge's quote (a word), 阿强/阿杰/阿妹 with no cue, 德明下午来换药 (two characters opening a log line), 班长胡哥,
    穆罕默德·阿兹兰 after 务工人员, 豆包 after 男孩, a badge's No.003614."""
    sc = score(_rows(HELDOUT47))
    assert sc.overlap["address"].recall == 1.0 and sc.overlap["account"].precision == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.78, sc.misses
    assert sc.overlap["all"].recall >= 0.88, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert len(_rows(HELDOUT47)) >= 60 and sum(not r["spans"] for r in _rows(HELDOUT47)) >= 10


def test_the_forty_eighth_held_out_set():
    """Written blind in session 63 (physiotherapy and rehabilitation notes, nutrition-clinic diaries, sleep-lab
    reports, fertility-clinic messages, vaccine appointments, complaint letters, volunteer rosters, Taiwan, Hong
    Kong, Malaysia and Singapore writers). Labels changed: none (its 健保卡/医保卡 numbers and policy number are
    accounts, its NRIC/MyKad/HKID/TW IDs id_numbers, as the conventions say). First contact (with a7c1439): recall
    0.769 (name 0.701), precision 0.976. Its misses gave: a follow-up's subject before its record number (随访：金鑫，
    门诊号…), a couple (沈慧、柯文斌夫妇, the tokenizer's rare word 柯文 + 斌), a vaccine's recipient (接种人陈一诺), a
    relative's given name before 说 (他妈妈雅婷说), Hong Kong 我係陳太 and 个仔俊朗2020年…出世, Taiwan's 民國78年次 (a
    birth year), a group notice's @handle, a 昵称 without a colon, a policy号码, a found name's one-character given
    name before 姐 (王婧…，婧姐帮你); its false alarms: 左卡尼(汀), a drug's transliteration. Then recall 0.880 (name
    0.821), precision 0.990. Left: 小马哥/马哥, 向阿姨 opening a note (向 is a preposition), 春花/俊杰/阿强/平安/常乐
    (words or nicknames with no cue), 黄生 (Cantonese Mr), 小蔡 in a roster, 苏雷什 (a transliteration before 医生), a
    Penang address with Chinese before Jalan; a CPAP's serial number the code takes as the patient's device (other),
    which the writer left unlabelled."""
    sc = score(_rows(HELDOUT48))
    assert sc.overlap["record_number"].recall == 1.0 and sc.overlap["id_number"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.81, sc.misses
    assert sc.overlap["all"].recall >= 0.87, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT48)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT48)) >= 10


def test_the_forty_ninth_held_out_set():
    """Written blind in session 63 (TCM prescriptions and case records, fever-clinic questionnaires, village doctors'
    home visits, online hospital reviews, crowdfunding posts, hospital OA messages, Zhuang, Hui, Yi and Kazakh
    names, kinship terms with given names). Labels changed: none (医保个人编号 and bank cards are accounts, 工号 and
    执业证书编号 other, as the conventions say). First contact (with a7c1439): recall 0.721 (name 0.609), precision
    0.975. Its misses gave: a given name with a one-character kinship title opening a clause (德福叔死活…, 秀梅嫂子急得…,
    桂芬姨的CT, 建军哥你放心), a relative's given name said again or before 的 (三叔德福的…，大舅铁柱…铁柱舅), a household
    visited (农德贵家，), whose computer (赵磊的电脑), a tagger-found full name's given name said again (莫丽娟…，丽娟自述),
    a pet name before 他妈 (二狗他妈, the dictionary has no such word), 阿訇 as a title (马阿訇), Kazakh names
    (努尔别克家, 小儿子叶森出麻疹), a Yi name before 护士 outside a Yi text, review-site users (大众点评用户小熊爱吃糖：,
    网友养生达人老周评价：), an @handle in a crowdfunding post and 阿杰 before it, X是我儿子的小名, a child brought in
    (带朵朵来看), 把老韦送到, an unknown word after 说 said again (说晓东在学校…，晓东以前…); its false alarms: 仲景大药房 (a
    pharmacy named after a physician) and an address opened by the preposition 由. Then recall 0.971 (name 0.957),
    precision 0.990. Left: 国庆 (a holiday's name, with no cue), 我王姐 (a surname between 我 and 姐); 伊犁州霍城县 (a
    prefecture and a county, no street) is still taken as an address."""
    sc = score(_rows(HELDOUT49))
    assert sc.overlap["record_number"].recall == 1.0 and sc.overlap["date_of_birth"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].recall >= 0.96, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT49)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT49)) >= 10


# Session 64's rules (from heldout50-52), each with the ordinary text beside it that must stay
SESSION_64_FOUND = [
    ("随访对象：岩温（傣族），73岁，独居", "随访对象：[姓名]（傣族），73岁，独居"),
    ("陪审员付海鹰、石磊，书记员范琳琳。", "陪审员[姓名]、[姓名]，书记员[姓名]。"),
    ("女儿小蕾在杭州读书", "女儿[姓名]在杭州读书"),
    ("大女儿素芬哭着说想带妈妈回家", "大女儿[姓名]哭着说想带妈妈回家"),
    ("由侄子耿胜利代为签收", "由侄子[姓名]代为签收"),
    ("外籍员工，韩国居民登记号880715-1234567，在本院体检", "外籍员工，韩国居民登记号[证件号]，在本院体检"),
    ("出生日期：民國65年8月3日", "出生日期：[出生日期]"),
    ("紧急联系人电话+60 12-345 6789，车牌BKT 4471", "紧急联系人电话[电话]，车牌[车牌]"),
    ("联系人是LIU JIANGUO（儿子），电话", "联系人是[姓名]（儿子），电话"),
    ("客户经理Jenny Wang下午回电", "客户经理[姓名]下午回电"),
    ("受试者丈夫Kim Min-jun在韩国", "受试者丈夫[姓名]在韩国"),
    ("儿子Tan Wei Ming，电话", "儿子[姓名]，电话"),
    ("Ana dos Santos，葡萄牙人，1977年出生", "[姓名]，葡萄牙人，[出生日期]出生"),
    ("翻译员Léa在场", "翻译员[姓名]在场"),
    ("请信息科吴工来看一下服务器", "请信息科[姓名]工来看一下服务器"),
    ("邓生，工号A2231，明天复诊", "[姓名]生，工号[编号]，明天复诊"),
    ("拿督林的司机来取报告", "拿督[姓名]的司机来取报告"),
    ("家访：老温，76岁，糖尿病十年", "家访：[姓名]，76岁，糖尿病十年"),
    ("下周二换小骆值夜班", "下周二换[姓名]值夜班"),
    ("Kelly和老蒋一起去做的胃镜，老蒋胃里有个息肉", "[姓名]和[姓名]一起去做的胃镜，[姓名]胃里有个息肉"),
    ("地址：新界屯門友愛邨愛明樓1507室", "地址：[地址]"),
    ("田中さん的血压今天偏高", "[姓名]さん的血压今天偏高"),
    ("新生儿乐乐（刘女士之女）黄疸偏高", "新生儿[姓名]（[姓名]女士之女）黄疸偏高"),
    ("“志强，你爸醒了”", "“[姓名]，你爸醒了”"),
    ("会议由家属代表章建国主持", "会议由家属代表[姓名]主持"),
    ("调配人钮祜禄·明华，签字", "调配人[姓名]，签字"),
    ("联系人Wong Ka Man（黃嘉敏）明天到", "联系人[姓名]（[姓名]）明天到"),
    ("@咖啡不加糖的猫 你那个药吃了几天", "@[账号] 你那个药吃了几天"),
    ("群管理员秋菊，微信同号", "群管理员[姓名]，微信同号"),
    ("随访：患者依香，1990年2月出生", "随访：患者[姓名]，[出生日期]出生"),
    ("事故经过：范新民驾驶闽D·3M7K2货车倒车", "事故经过：[姓名]驾驶[车牌]货车倒车"),
    ("患者莫太送院时血压偏低", "患者[姓名]太送院时血压偏低"),
]
SESSION_64_KEPT = [
    "本地居民以苗族（约六成）和汉族为主",
    "合议庭由审判长和两名陪审员组成",
    "施工期间请绕行，严禁雇佣童工",
    "李工程师说设备已修好",
    "花生，核桃，红枣每天适量",
    "由小到大排列，换老花镜后视物清楚",
    "住院部3楼，床位12号",
    "，住了5天后出院",
    "翻译Google一下这个药名",
    "请设备科检修呼吸机（设备编号HX-0312，上次保养2024年3月）",
    "该批次血糖仪（序列号GM-1020至GM-1080）已召回",
    "小红书：这个面霜孕妇能用吗",
    "5号楼独居老人已全部走访",
    "患者之子，手机关机未接通",
    "患者陈太累了，想先休息",
    "禁止酒后驾驶，违者罚款",
    "订单号240314-1234567已发货",
    "我妈哭着说不想住院，我爸笑着说没事",
]


@pytest.mark.parametrize("text, expected", SESSION_64_FOUND, ids=[c[0][:8] for c in SESSION_64_FOUND])
def test_session_64_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_64_KEPT)
def test_session_64_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_fiftieth_held_out_set():
    """Written blind in session 64 (emergency triage, dialysis rosters and notices, hospice family meetings, police
    accident reports and insurance claims, Hong Kong Cantonese messages and forms, Korean and Japanese patients in
    China, given names that are also words: 红梅, 平安, 海燕, 胜利). Labels changed: none (警号 other, a driving licence,
    a home-return permit and a Korean resident registration number id_numbers, as the writer decided and the
    conventions allow). First contact (with e3dcff8): recall 0.835 (name 0.717), precision 1.000. Its misses gave: a
    word parents give as a name after a kinship word and a surname (儿子钟胜利代签…，胜利答应), a given name before 哭着说
    (大女儿招娣), a word addressed before 你 after a colon or an opening quote (短信通知：红梅，你爸…, “海燕，你妈醒了”),
    家属代表, a driver before the plate (许建平驾驶苏E·…), an English given name with a pinyin surname (Kevin Zhou),
    pinyin in capitals (ZHANG HONGMEI), a hyphenated Korean given name (Lee Joon-ho), the Chinese name in brackets
    after a Latin one (Wong Ka Ho（黃家豪）), 佐藤さん, a Korean resident registration number (was a record number), a
    Hong Kong estate's address after 地址 (禾輋邨豐和樓1203室). Then recall 0.945 (name 0.900), precision 1.000. Left:
    崔妈妈 (a child's parent by the child's surname, no verb of calling), 平安 (a word, twice, no cue), 健太 (太 is no
    Chinese given-name character), 写作山田浩, the second 海燕 (走廊里的海燕赶紧…); the intersection address keeps 行至."""
    sc = score(_rows(HELDOUT50))
    assert sc.overlap["id_number"].recall == 1.0 and sc.overlap["address"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.88, sc.misses
    assert sc.overlap["all"].recall >= 0.93, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT50)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT50)) >= 10


def test_the_fifty_first_held_out_set():
    """Written blind in session 64 (e-prescriptions and pharmacy slips, blood and organ donation, school and
    kindergarten check-ups, community home visits, WeChat Moments and Xiaohongshu posts, Taiwan hospital text; Miao,
    Dai, Manchu and Korean names, compound surnames, a Taiwan wife's double surname). Labels changed: none (a
    献血证编号 other, 居民健康档案编号 a record number, 医保个人编号 an account, an @handle with its @, as the writer
    decided and the conventions allow). First contact (with e3dcff8): recall 0.919 (name 0.863), precision 0.978.
    Its misses gave: a name before its ethnic group in brackets whatever its surname (那春雷（满族）, 刀明亮（傣族）, 家属
    玉罕（傣族）, 捐献者龙阿妹（苗族）), a given name after the patient or a role before the person's details (患者玉香，
    1996年3月出生, 管理员海燕，QQ…), 老孟，82岁, a reply opening with the @handle it answers; its false alarms: 小红书：
    (a platform, read as a chat's speaker) and 3号楼独居老人 (楼 after a building's number, read as a surname). Then
    recall 1.000 (name 1.000), precision 1.000. Left: exact spans only (老孟 for 孟, 陳林 for 陳林秀英)."""
    sc = score(_rows(HELDOUT51))
    assert sc.overlap["record_number"].recall == 1.0 and sc.overlap["date_of_birth"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT51)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT51)) >= 10


def test_the_fifty_second_held_out_set():
    """Written blind in session 64 (operating-room schedules and anaesthesia records, device adverse-event reports,
    company check-ups, court judgments on medical disputes, volunteers and social workers, Macau and Malaysian
    Chinese, workplace nicknames and English names). Labels changed: none (a 体检编号 a record number, a volunteer's
    学号 other, court-style 蒋某某 the surname only, as earlier sets write it). First contact (with e3dcff8): recall
    0.826 (name 0.723), precision 0.979. Its misses gave: a judgment's bench and clerk (人民陪审员卢慧、邓秋月，书记员谢婷),
    a surname and 工 (张工这周…, 设备科冯工), Cantonese 梁生， and 傷者陳太, 拿督黄, 老/小 + a surname after 换 or a
    companion and said again (周四换老彭, Leo和老葛…老葛血压…), 女儿小雯在深圳, a newborn's pet name (新生儿豆豆（贺女士
    之子）), Amanda Zhou, Lim Wei Jie, Maria do Carmo Lei，土生葡人, 翻譯員Sérgio, a Malaysian plate after 车牌, a Macau
    and a Malaysian address after 住/住址; its false alarms: a device number the equipment department services
    (设备编号MJ-0207) and a recalled batch's serial numbers. Then recall 0.983 (name 0.969), precision 1.000. Left:
    麻醉曹丽 in a schedule (麻醉 before a name is as often 麻醉满意), 由建国顶班 (a holiday's name, no cue)."""
    sc = score(_rows(HELDOUT52))
    assert sc.overlap["address"].recall == 1.0 and sc.overlap["plate"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT52)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT52)) >= 10


# Session 65's rules (from heldout53-55), each with the ordinary text beside it that must stay
SESSION_65_FOUND = [
    ("医保结算：郑国庆，社保卡号D17465329，国庆节后复诊", "医保结算：[姓名]，社保卡号[账号]，国庆节后复诊"),
    ("工伤认定：蒋小兵，身份证号码510107199003125812", "工伤认定：[姓名]，身份证号码[证件号]"),
    ("黄志明，马来西亚籍，在餐馆做厨师", "[姓名]，马来西亚籍，在餐馆做厨师"),
    ("孕妇阿依努尔，维吾尔族，1990年生", "孕妇[姓名]，维吾尔族，[出生日期]生"),
    ("12床建国爷爷（刘建国）凌晨血糖偏低", "12床[姓名]爷爷（[姓名]）凌晨血糖偏低"),
    ("外祖母郑氏（I-2）已故", "外祖母[姓名]氏（I-2）已故"),
    ("初诊：周佩兰，女，43岁，加佩兰10g化湿", "初诊：[姓名]，女，43岁，加佩兰10g化湿"),
    ("家属意见：患者之女海燕（手机139 3157 0826）同意", "家属意见：患者之女[姓名]（手机[电话]）同意"),
    ("患者韩老伯，老伴说“老韩”平时不吃药", "患者[姓名]，老伴说“老[姓名]”平时不吃药"),
    ("患者韩老伯，说“小王”来过", "患者[姓名]，说“小王”来过"),
    ("哈萨克斯坦患者Нурлан Абдрахманов，预约心内科", "哈萨克斯坦患者[姓名]，预约心内科"),
    ("其丈夫在香港工作，HKID K463287(1)", "其丈夫在香港工作，HKID [证件号]"),
    ("印尼患者，NIK 3174056203850004，拟手术", "印尼患者，NIK [证件号]，拟手术"),
    ("骑手编号MT8812047，送餐途中摔伤", "骑手编号[编号]，送餐途中摔伤"),
    ("筛选失败：S012-0051，已通知受试者", "筛选失败：[编号]，已通知受试者"),
    ("醫師證書字號醫字第041235號", "醫師證書字號[编号]"),
    ("病人鄺志明先生，懷疑肺癌", "病人[姓名]先生，懷疑肺癌"),
]
SESSION_65_KEPT = [
    "中醫科意見：黃芪20g、何首烏15g",
    "医生：方用何首乌15g、徐长卿10g",
    "患者男，汉族，已婚",
    "（蒙古族，身份证号待补）",
    "方便，电话联系",
    "高烧，手机没电了",
    "订单号2309181746528833未送达",
    "国庆节后第一天复诊",
    "加佩兰10g化湿",
]


@pytest.mark.parametrize("text, expected", SESSION_65_FOUND, ids=[c[0][:8] for c in SESSION_65_FOUND])
def test_session_65_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_65_KEPT)
def test_session_65_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_fifty_third_held_out_set():
    """Written blind in session 65 (TCM records, prescriptions and decoction slips, dental-clinic chats, school health
    rooms, Singapore and Malaysian clinics, delivery riders and ride-hail drivers, pet clinics, given names that are
    words: 文静, 国庆, 海燕, 春梅, 平安, 小满, 建国, 安康). Labels changed: none (a rider's number and a pet clinic's member
    card other, a FIN and a MyKad id_numbers, 83年 alone a birth date, as the writer decided and the conventions
    allow). First contact (with b73dfc6): recall 0.821 (name 0.705), precision 0.970. Its misses gave: a clause that
    is a name before an identity number or a nationality (医保结算：郑国庆，社保卡号…, 工伤认定：蒋小兵，身份证…, 黄志明，
    马来西亚籍，), a given name and an elder's title before the full name in brackets (建国爷爷（刘建国）), 骑手编号; its
    false alarm 加佩兰10g (the herb after 周佩兰). Then recall 0.897 (name 0.818), precision 0.986. Left: 佩兰 alone in
    another record (a herb's name too, no cue), 连某 (连 is no listed surname), 文静女士 after 】, 14:30 孙医生 after a
    time, 老马也说, 站长赵哥, 主人白小雨 in a pet's record, 春梅 opening a record with no cue; the false alarm 比熊豆豆
    (a breed, then the pet's name)."""
    sc = score(_rows(HELDOUT53))
    assert sc.overlap["id_number"].recall == 1.0 and sc.overlap["other"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.80, sc.misses
    assert sc.overlap["all"].recall >= 0.88, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT53)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT53)) >= 10


def test_the_fifty_fourth_held_out_set():
    """Written blind in session 65 (oncology MDT records, insurance claim calls, care-home logs, clinical-trial
    screening logs, Hong Kong and Taiwan referral letters, a family WeChat group with pet names, Russian, Arabic,
    Vietnamese and Thai names in Chinese). Labels changed: none (an EDC user an account, a screening number and a
    doctor's certificate number other, 59年 and 民國71年5月14日 birth dates, as the writer decided and the conventions
    allow). First contact (with b73dfc6): recall 0.857 (name 0.780), precision 0.988. Its misses gave: a given name
    after 患者之女 with the contact in brackets (海燕（手机…）), a trial subject's number after its site's (S012-0051),
    a certificate number 醫字第041235號, 鄺 (a Hong Kong surname the traditional table lacked); its false alarm
    何首烏 (烏 was not read as 乌). Then recall 0.898 (name 0.820), precision 1.000. Left: the group chat's speakers
    and addressees (小胖你…, 小胖：, 国庆：, 文静妈妈：; each line alone, no header says who speaks), 老焦 after 说,
    59年的 after a name (我是裴秋生，59年的), 满秀珍社保卡号 (满 is no listed surname), 先生張家豪 (先生 as husband),
    娜塔莉亚说 and 法蒂玛由丈夫… (a transliterated name opening the text, no cue)."""
    sc = score(_rows(HELDOUT54))
    assert sc.overlap["id_number"].recall == 1.0 and sc.overlap["other"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.80, sc.misses
    assert sc.overlap["all"].recall >= 0.88, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT54)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT54)) >= 10


def test_the_fifty_fifth_held_out_set():
    """Written blind in session 65 (ambulance dispatch records, vaccination clinics, maternal and child handbooks, lab
    requests, an international department's Thai, Vietnamese, Indonesian and Kazakh patients, online refill chats,
    genetic pedigrees). Labels changed: none (dispatch, order and pedigree numbers unmarked, a Zalo or WhatsApp number
    a phone, a LINE ID an account, foreign national ID numbers id_numbers, as the writer decided and the conventions
    allow). First contact (with b73dfc6): recall 0.877 (name 0.800), precision 0.979. Its misses gave: a transliterated
    name before its ethnic group as the next field (孕妇阿依努尔，维吾尔族，), 外祖母郑氏, 老韩 said again after 韩老伯,
    Cyrillic names (Нурлан Абдрахманов), NIK, ИИН and HKID by their labels; its false alarm 方用何首乌. Then recall
    0.943 (name 0.880), precision 0.990. Left: 儿童许沐阳 (儿童 is no cue), 阿强被… (阿 and a given name, no cue),
    邵妈妈 and 吕宝宝 (a parent or a newborn by the surname, no verb of calling), 我老公付强就行 (付强 a word to the
    tokenizer), 其丈夫梁生 (a Cantonese 生 after a kinship word); the false alarm 苏通大桥服务区大概两公里 (a road's
    landmark read as an address)."""
    sc = score(_rows(HELDOUT55))
    assert sc.overlap["id_number"].recall == 1.0 and sc.overlap["date_of_birth"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.86, sc.misses
    assert sc.overlap["all"].recall >= 0.93, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT55)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT55)) >= 10


# Session 65's second round (from heldout56-58), each with the ordinary text beside it that must stay
SESSION_65_SECOND_FOUND = [
    ("个案编号XL-2024-0419，来访者", "个案编号[病历号]，来访者"),
    ("持《居民死亡医学证明（推断）书》（编号 F440103240001276）办理", "持《居民死亡医学证明（推断）书》（编号 [编号]）办理"),
    ("有問題打診所電話06-2583317。", "有問題打診所電話[电话]。"),
    ("LINE名字叫小葵花媽媽，請問", "LINE名字叫[账号]，請問"),
    ("用户名夜航船1990，登录", "用户名[账号]，登录"),
    ("工友们都叫他耗子，真名杨浩，失联两周", "工友们都叫他[姓名]，真名[姓名]，失联两周"),
    ("同学都叫他“买买”，自述", "同学都叫他“[姓名]”，自述"),
    ("孙子小名阿牯，生下来就", "孙子小名[姓名]，生下来就"),
    ("宝宝小名叫多多。", "宝宝小名叫[姓名]。"),
    ("证件名为王文静，要求按证件名签字", "证件名为[姓名]，要求按证件名签字"),
    ("子涵妈妈：医生，报告收到了", "[姓名]妈妈：医生，报告收到了"),
    ("逝者 CHAN Siu-ming，家屬 LAM Chi Keung", "逝者 [姓名]，家屬 [姓名]"),
    ("委托书由Park Hye-jin代签", "委托书由[姓名]代签"),
    ("보호자 박서연 씨（患者之女）", "보호자 [姓名] 씨（患者之女）"),
    ("丈夫说自己是90年的，", "丈夫说自己是[出生日期]的，"),
]
SESSION_65_SECOND_KEPT = [
    "大家都叫她别担心，",
    "外号很多，",
    "家属说喊小名会睁眼，",
    "新手妈妈：请问几点开门",
    "宝宝妈妈：好的",
    "用户满意度95%，用户名和密码",
    "检验日期05-20240101",
    "去Ho Chi Minh旅游",
    "선생님 감사합니다",
    "他克莫司谷浓度目标8–10ng/ml",
    "拟行玻尿酸填充（乔雅登雅致1ml×2支）",
]


@pytest.mark.parametrize("text, expected", SESSION_65_SECOND_FOUND, ids=[c[0][:8] for c in SESSION_65_SECOND_FOUND])
def test_session_65_second_round_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_65_SECOND_KEPT)
def test_session_65_second_round_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_fifty_sixth_held_out_set():
    """Written blind in session 65 (aesthetic-clinic consults and photo consents, anonymous HIV/STI testing, travel
    vaccination certificates, factory occupational check-ups, a campus counselling centre; Mongolian, Uyghur, Tibetan
    and Japanese names). Labels changed: none. Held-out measure of the session's first round: P/R 0.961/0.860 before
    it (2d820dd), 0.962/0.877 after (e5e8323). Its misses gave: 个案编号, 用户名夜航船1990, 同学都叫他“买买”, 证件名为王文静
    and 朋友都叫她“静静”; its false alarm 乔雅登 (a filler's brand). Then recall 0.921 (name 0.847), precision 0.972.
    Left: 顾问小美 (a given name that is a word after a role), 其伴侣小罗, a roster's 马海燕 and Ethan Brooks, 陈生 opening a
    text, 山本健太 after 交换生, 铃木老师, 佐々木優子 and its kana; false alarms 史铁生 and 余华 (writers), “巴特尔” glossed."""
    sc = score(_rows(HELDOUT56))
    assert sc.overlap["id_number"].recall == 1.0 and sc.overlap["other"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.83, sc.misses
    assert sc.overlap["all"].recall >= 0.91, sc.misses
    assert sc.overlap["all"].precision >= 0.96, sc.false_alarms
    assert len(_rows(HELDOUT56)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT56)) >= 10


def test_the_fifty_seventh_held_out_set():
    """Written blind in session 65 (TB contact tracing, pre-employment hepatitis B screening, NICU handovers, a
    methadone clinic, blood-bank records, a Taiwan family doctor's LINE messages; Hakka and Minnan names). Labels
    changed: none. Held-out measure of the session's first round: P/R 0.989/0.848 before and after it. Its misses gave:
    都叫他耗子, 真名杨浩, 外号叫小四川的那个, 小名阿牯, 自己是90年的, 06-2583317, LINE名字叫…. Then recall 0.905 (name 0.821),
    precision 0.990. Left: 工友何勇、罗建军 (a list after 工友), 双胎之大陈安安, Minnan and Hakka sentences (阮阿公邱添丁, 𠊎系古秀妹个老公;
    阮 read as a surname), 阿土伯, 我是黃金治的女兒, 谢永福 opening a text, 刘阿发，客家人，, 的阿豪."""
    sc = score(_rows(HELDOUT57))
    assert sc.overlap["id_number"].recall == 1.0 and sc.overlap["date_of_birth"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.80, sc.misses
    assert sc.overlap["all"].recall >= 0.89, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT57)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT57)) >= 10


def test_the_fifty_eighth_held_out_set():
    """Written blind in session 65 (pre-anaesthesia assessments, hospice bereavement follow-up, sleep-lab reports,
    home-care orders, transplant waiting-list letters, video consults with speaker labels, death certificates; Hong
    Kong romanised and Korean names, parents by their child's name). Labels changed: 处方号 record_number (the writer
    left it unlabelled; the README and six earlier sets label it). Held-out measure of the session's first round: P/R
    0.948/0.849 before and after it (0.961/0.851 with the label changed). Its misses gave: CHAN Siu-ming, LAM Chi Keung,
    Park Hye-jin, 박서연 씨, 子涵妈妈：, the death certificate's number; its false alarm 他克莫司谷浓度. Then recall 0.943 (name
    0.898), precision 0.976. Left: 母親黎太 and 何生話/何太擔心 (Cantonese 生/太 with no other cue), Kar Yan addressed,
    我是建国，他儿子; false alarms 桑德斯女士 (the hospice movement's founder) and 社康護士 (a community nurse, not a Mr Kang)."""
    sc = score(_rows(HELDOUT58))
    assert sc.overlap["id_number"].recall == 1.0 and sc.overlap["other"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.87, sc.misses
    assert sc.overlap["all"].recall >= 0.93, sc.misses
    assert sc.overlap["all"].precision >= 0.96, sc.false_alarms
    assert len(_rows(HELDOUT58)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT58)) >= 10


# Session 66's first round (from heldout59-61), each with the ordinary text beside it that must stay
SESSION_66_FOUND = [
    ("服刑人员杨某，罪犯编号5301062187，三监区", "服刑人员[姓名]，罪犯编号[编号]，三监区"),
    ("服刑人员马洛阳（编号4103229815）自述", "服刑人员[姓名]（编号[编号]）自述"),
    ("执业药师刘洛（执业药师注册证号4110215230012）审核通过", "执业药师[姓名]（执业药师注册证号[编号]）审核通过"),
    ("献血者编号4501900637218，O型", "献血者编号[编号]，O型"),
    ("新农合证号452723010503011702，腰腿痛", "新农合证号[账号]，腰腿痛"),
    ("社會保障基金編號0348871265，病人已登記", "社會保障基金編號[账号]，病人已登記"),
    ("住院號CHCSJ-2024-118426。", "住院號[病历号]。"),
    ("警车云A·3278警，14:20出发", "警车[车牌]，14:20出发"),
    ("下单人微信昵称“洛阳纸贵”，收货人", "下单人微信昵称“[账号]”，收货人"),
    ("在B站发了好几条视频，账号叫琪琪不想长大了，我该怎么办？", "在B站发了好几条视频，账号叫[账号]，我该怎么办？"),
    ("@夏目不是友人帐：医生我最近总觉得", "@[账号]：医生我最近总觉得"),
    ("他的个人博客https://zhaomingyuan.blog.csdn.net不作为咨询渠道", "他的个人博客[账号]不作为咨询渠道"),
    ("崔社长带员工来做入职体检", "[姓名]社长带员工来做入职体检"),
    ("单先生的手语名“酒窝”，比划时", "[姓名]先生的手语名“[姓名]”，比划时"),
    ("国庆（患儿小名）今日随母亲复诊", "[姓名]（患儿小名）今日随母亲复诊"),
    ("韩文名김서연（中文名金瑞妍），智齿冠周炎", "韩文名[姓名]（中文名[姓名]），智齿冠周炎"),
    ("预约单上写的是やまだ はなこ，汉字山田花子，预约下周二", "预约单上写的是[姓名]，汉字[姓名]，预约下周二"),
    ("日籍外教小林老师的太太小林美咲来电", "日籍外教[姓名]老师的太太[姓名]来电"),
    ("同房陳生成晚嗌痛，護士已通知", "同房[姓名]生成晚嗌痛，護士已通知"),
    ("何太擔心佢唔食嘢", "[姓名]太擔心佢唔食嘢"),
    ("患者黃山，民國79年2月14日生，病歷號2871604", "患者[姓名]，[出生日期]生，病歷號[病历号]"),
    ("带教老师签名：黄山（工号H05588）", "带教老师签名：[姓名]（工号[编号]）"),
    ("科里都喊他“洛阳”，今天由他负责", "科里都喊他“[姓名]”，今天由他负责"),
    ("证人证言：我是同一条线的阿峰，那晚", "证人证言：我是同一条线的[姓名]，那晚"),
    ("来访者自称阿哲，99年的，近一个月入睡困难", "来访者自称[姓名]，[出生日期]的，近一个月入睡困难"),
    ("宿舍长阿德说她下夜班后经常头晕", "宿舍长[姓名]说她下夜班后经常头晕"),
    ("其妻小萍在场，用口语复述", "其妻[姓名]在场，用口语复述"),
    ("事故经过：老覃在3号冲床更换模具时", "事故经过：[姓名]在3号冲床更换模具时"),
    ("小钟说他爸老钟最近又开始抽烟了", "[姓名]说他爸[姓名]最近又开始抽烟了"),
    ("宿舍长阿德说小芳", "宿舍长[姓名]说小芳"),
]
SESSION_66_KEPT = [
    "左眉弓裂伤2cm，清创缝合3针",
    "配送异常：本市有两条长江路，骑手已联系收件人",
    "药品有效期，23年的，请核对",
    "他自称小时候得过哮喘",
    "班长小时候说过",
    "账号叫什么？",
    "佢食咗花生，衛生紙冇晒",
    "李太多嘢講，佢嘅余生",
    "他爸老是不回家",
    "老师在办公室，老家在农村",
    "去年秋天爬黄山，很美",
    "江西，男的多",
    "血袋生产批号20250311-07，4℃储血冰箱",
    "医院官网https://www.hospital.com.cn/news",
]

@pytest.mark.parametrize("text, expected", SESSION_66_FOUND, ids=[c[0][:8] for c in SESSION_66_FOUND])
def test_session_66_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_66_KEPT)
def test_session_66_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_fifty_ninth_held_out_set():
    """Written blind in session 66 (teaching rounds, bereavement and funeral notes, a prison infirmary, WeChat pharmacy
    deliveries; 黄山, 长江, 洛阳 as names and places). Labels changed: 现居安徽省黄山市屯溪区 labelled address. First contact
    (7cd5731) P/R 0.951/0.867. Its misses gave: 罪犯编号, （编号…） after an inmate, 注册证号, a police plate (云A·3278警),
    微信昵称“…”, 都喊他“洛阳”, a place's name as a name before a birth date or a staff number (患者黃山，民國79年…生; 黄山（工号…）);
    its false alarms 左眉弓 and 本市有两条长江路. Then recall 0.967 (name 0.940), precision 0.989. Left: 黄山老师 opening a text,
    次女秀珍 (a given name alone before a noun), 香港親屬何家豪 (親屬 read as no cue); false alarm 张孝骞 (a famous physician)."""
    sc = score(_rows(HELDOUT59))
    assert sc.overlap["other"].recall == 1.0 and sc.overlap["account"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.92, sc.misses
    assert sc.overlap["all"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT59)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT59)) >= 10


def test_the_sixtieth_held_out_set():
    """Written blind in session 66 (a village doctor's ledger, online psychiatric follow-up with handles, blood donation;
    Korean and Japanese names in hanja, Hangul, kana and romaji). Labels changed: 血袋条码 other (as 献血条码), not
    record_number. First contact (7cd5731) P/R 1.000/0.763. Its misses gave: 新农合证号, 献血者编号, 账号叫…, an @handle as a
    chat's speaker, a blog on its own subdomain, 自称阿哲，99年的，, 社长, 韩文名김서연, やまだ はなこ and 汉字山田花子, 他太太小林美咲.
    Then recall 0.903 (name 0.820), precision 1.000. Left: 二小子狗蛋, 五保户罗老四, 儿子陆海下个月, 老潘头, 咨询师文静老师, 值班医生贺已回复,
    韩在勋 in a list, 女儿结衣（ゆい）."""
    sc = score(_rows(HELDOUT60))
    assert sc.overlap["account"].recall == 1.0 and sc.overlap["date_of_birth"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.80, sc.misses
    assert sc.overlap["all"].recall >= 0.89, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT60)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT60)) >= 10


def test_the_sixty_first_held_out_set():
    """Written blind in session 66 (work-injury claims, school sports-day accidents, Macau records with Portuguese names,
    sign-language interpreting, 老/小/阿 with a surname or given name). Labels changed: none. First contact (7cd5731) P/R
    0.987/0.872. Its misses gave: 住院號CHCSJ-…, 社會保障基金編號, 陳生 in a Cantonese text, 手语名“酒窝”, 其妻小萍, 我是…的阿峰,
    宿舍长阿德说, 老覃在…, 他爸老钟. Then recall 0.965 (name 0.933), precision 0.988. Left: 看见老覃伸手, 跑道的小胖, 阿梁是…的护工;
    false alarm 苏炳添 (a famous athlete)."""
    sc = score(_rows(HELDOUT61))
    assert sc.overlap["other"].recall == 1.0 and sc.overlap["id_number"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.91, sc.misses
    assert sc.overlap["all"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT61)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT61)) >= 10


# Session 66's second round (from heldout62-64), each with the ordinary text beside it that must stay
SESSION_66_SECOND_FOUND = [
    ("NICU交接：Baby of Nguyen Thi Lan，男，2024-05-07出生", "NICU交接：Baby of [姓名]，男，[出生日期]出生"),
    ("用戶反饋：我係Kelsang Dolma，香港身份證K654321(9)", "用戶反饋：我係[姓名]，香港身份證[证件号]"),
    ("兹证明Tenzin Norbu（丹增诺布）于2024年4月至6月在我院服务", "兹证明[姓名]（[姓名]）于2024年4月至6月在我院服务"),
    ("复核人：Abdulla Tursun。", "复核人：[姓名]。"),
    ("隔壁床的 Puan Noraini binti Hassan 也住同一个ward", "隔壁床的 [姓名] 也住同一个ward"),
    ("[12/3/24, 9:15 PM] Ah Boy: ok 我明天载她去", "[12/3/24, 9:15 PM] [姓名]: ok 我明天载她去"),
    ("导出记录：user=tenzin.norbu, device_sn=W3A81C55D0, birth=1994-08-30, steps=9876", "导出记录：user=[账号], device_sn=[编号], birth=[出生日期], steps=9876"),
    ("尝试把出生日期改为1990-02-14。", "尝试把出生日期改为[出生日期]。"),
    ("受案编号A6501025200002024060031，送检", "受案编号[编号]，送检"),
    ("鉴定编号乌公鉴（临）字〔2024〕0317号，被鉴定人", "鉴定编号[病历号]，被鉴定人"),
    ("会员卡号GD 7720 1135 09，买成人纸尿裤", "会员卡号[编号]，买成人纸尿裤"),
    ("我的车PJK 8823停在B2", "我的车[车牌]停在B2"),
    ("病历摘要（已脱敏）：李XX，男，门诊号MZ20240305117", "病历摘要（已脱敏）：[姓名]，男，门诊号[病历号]"),
    ("【运动健康日志】用户ID：fit_20931857，今日步数", "【运动健康日志】用户ID：[账号]，今日步数"),
    ("阿依努尔·艾合买提之女，双胎之二，出生体重2150g", "[姓名]之女，双胎之二，出生体重2150g"),
    ("新生儿登记：拉姆之子，体重3100g", "新生儿登记：[姓名]之子，体重3100g"),
    ("手环佩戴者林国庆（设备序列号MB8-2207-3391）的睡眠报告", "手环佩戴者[姓名]（设备序列号[编号]）的睡眠报告"),
    ("志愿者帕丽旦·吐尔逊（维吾尔族）可提供翻译", "志愿者[姓名]（维吾尔族）可提供翻译"),
    ("送检民警李建军（警号065318）、买买提江·肉孜（警号065402）。", "送检民警[姓名]（警号[编号]）、[姓名]（警号[编号]）。"),
    ("护照姓名ABUDUKEREMU ABUDUREHEMAN，护照号EJ4827163", "护照姓名[姓名]，护照号[证件号]"),
    ("你阿妈央金明天出院", "你阿妈[姓名]明天出院"),
    ("第1站 上官奶奶，89岁，更换PICC敷料", "第1站 [姓名]奶奶，89岁，更换PICC敷料"),
    ("家长黄建国（微信号hjg_19780602）要求", "家长[姓名]（微信号[账号]）要求"),
    ("记录员：小蔡，校医：覃美玲。", "记录员：[姓名]，校医：[姓名]。"),
    ("他半夜一直在喊阿芳，那是他的老伴", "他半夜一直在喊[姓名]，那是他的老伴"),
    ("发帖人：糖妈2019 IP属地：四川", "发帖人：[账号] IP属地：四川"),
]
SESSION_66_SECOND_KEPT = [
    "15床 ALS，本人用眼控板打字",
    "学习“一切为了母亲和孩子”的精神",
    "哥哥新换的座机号还没记住",
    "胎龄34+2周，母亲越南籍，",
    "未成年人由监护人代签：",
    "喀什研学路线：艾提尕尔清真寺、玉素甫·哈斯·哈吉甫麻扎、香妃园",
    "藏医学习宇妥·元丹贡布的《四部医典》",
    "X先生，XX岁，住XX市XX区",
    "他开的车SUV 2000",
    "[05-18 08:09] 系统消息：本次问诊已结束",
    "本院为夫妻之子女提供",
    "临床思维要学张孝骞老先生讲的",
    "校长以刘翔、苏炳添为例",
    "steps=9876, hr_rest=61",
]

@pytest.mark.parametrize("text, expected", SESSION_66_SECOND_FOUND, ids=[c[0][:8] for c in SESSION_66_SECOND_FOUND])
def test_session_66_second_round_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_66_SECOND_KEPT)
def test_session_66_second_round_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_sixty_second_held_out_set():
    """Written blind in session 66 (birth registers with X之子 and Baby of X, fitness-app logs and device records,
    volunteer rosters, forensic examinations; Uyghur and Tibetan names of several parts). Labels changed: none.
    Held-out measure of the session's first round: P/R 0.978/0.731 before it (7cd5731), 0.978/0.748 after (b803673).
    Its misses gave: Baby of Nguyen Thi Lan, 我係Kelsang Dolma, 兹证明Tenzin Norbu（丹增诺布）, 复核人：Abdulla Tursun, user=,
    device_sn= and birth= in an export, 出生日期改为…, 受案编号, a forensic appraisal's number (…字〔2024〕0317号), 用户ID：…,
    拉姆之子 and 阿依努尔·艾合买提之女, a name of parts joined by · after a role or before brackets, 林国庆（设备序列号…）,
    护照姓名 in capitals, 阿妈央金; its false alarms 越南籍 and 和孩子. Then recall 0.916 (name 0.839), precision 1.000. Left:
    应該係1989年10月, 外孙女小雨代, names written apart or with a dot (米日古丽 阿不力米提), 藏语格桑（139…）, 社区干部热依汗古丽,
    被鉴定人艾则孜称, 16床次仁今早, 达瓦，你阿妈…."""
    sc = score(_rows(HELDOUT62))
    assert sc.overlap["other"].recall == 1.0 and sc.overlap["account"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.80, sc.misses
    assert sc.overlap["all"].recall >= 0.89, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT62)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT62)) >= 10


def test_the_sixty_third_held_out_set():
    """Written blind in session 66 (ICU handovers, home-care route logs, dermatology photo consents, a type 1 diabetes
    parents' forum; compound surnames). Labels changed: none. Held-out measure of the session's first round: P/R
    0.975/0.929 before it (7cd5731), 0.975/0.940 after (b803673). Its misses gave: 上官奶奶, 发帖人：糖妈2019; its false
    alarms ALS (a diagnosis after the bed) and 代签. Then recall 0.964 (name 1.000), precision 1.000. Left: forum handles
    with no cue (回复控糖小能手：, 谢谢蜜桃乌龙不加糖姐妹, 原来的糖妈2019登不上了)."""
    sc = score(_rows(HELDOUT63))
    assert sc.overlap["name"].recall >= 0.97 and sc.overlap["date_of_birth"].recall == 1.0, sc.misses
    assert sc.overlap["all"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT63)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT63)) >= 10


def test_the_sixty_fourth_held_out_set():
    """Written blind in session 66 (school eye-screening lists, a hospice nurse's diary, a Malaysian Chinese family's
    WhatsApp chat, a clerk's records masked with 某/X). Labels changed: none. Held-out measure of the session's first
    round: P/R 0.982/0.812 before and after it. Its misses gave: Puan Noraini binti Hassan, a chat export's speaker
    ([12/3/24, 9:15 PM] Ah Boy:), 我的车PJK 8823, 会员卡号GD 7720 1135 09, 李XX, 记录员：小蔡, 家长黄建国（微信号…）, 喊阿芳;
    its false alarm 新换 (哥哥新换的座机). Then recall 0.928 (name 0.892), precision 1.000. Left: 护工翠姐说, 周伯 with no
    cue, 晓雯说她爸, IG @jessie.tanjl (a handle with a dot)."""
    sc = score(_rows(HELDOUT64))
    assert sc.overlap["id_number"].recall == 1.0 and sc.overlap["date_of_birth"].recall == 1.0, sc.misses
    assert sc.overlap["name"].recall >= 0.87, sc.misses
    assert sc.overlap["all"].recall >= 0.91, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT64)) >= 55 and sum(not r["spans"] for r in _rows(HELDOUT64)) >= 10


# Session 67's first round (from heldout65-66), each with the ordinary text beside it that must stay
SESSION_67_FOUND = [
    ("香港乘客陳家豪，香港身份證K708214(2)", "香港乘客[姓名]，香港身份證[证件号]"),
    ("船员Rizal Santos（菲律宾籍，员工编号CRW-70931）", "船员[姓名]（菲律宾籍，员工编号[编号]）"),
    ("澳大利亚籍乘客Jack O'Brien，已石膏托固定", "澳大利亚籍乘客[姓名]，已石膏托固定"),
    ("先证者程思远（Ⅲ-2），男，8岁", "先证者[姓名]（Ⅲ-2），男，8岁"),
    ("其妹婉君（Ⅱ-3）、其女叶子（Ⅲ-1）均检出", "其妹[姓名]（Ⅱ-3）、其女[姓名]（Ⅲ-1）均检出"),
    ("表姐文静（Ⅲ-4），20岁", "表姐[姓名]（Ⅲ-4），20岁"),
    ("用户“一只胖橘”投诉：", "用户“[账号]”投诉："),
    ("网友“小熊维尼2019”说", "网友“[账号]”说"),
    ("发帖，ID“老吴钓鱼去”，要求", "发帖，ID“[账号]”，要求"),
    ("评价者海燕飞飞（青岛）：看了三年", "评价者[账号]（青岛）：看了三年"),
    ("设备SN：CGM-F3A8-220719-0462｜近14天", "设备SN：[编号]｜近14天"),
    ("绑定设备SG21B0087731，今日", "绑定设备[编号]，今日"),
    ("私人理疗师Tiago留了邮箱", "私人理疗师[姓名]留了邮箱"),
    ("客服小敏（工号KF1093）已远程指导", "客服[姓名]（工号[编号]）已远程指导"),
]
SESSION_67_KEPT = [
    "其女就诊（上周）",
    "表哥两人（同住）",
    "其子女（2人）均体健",
    "评价者认为（见下）",
    "乘客须知：请系好安全带",
    "船员餐厅在3楼",
    "用户“满意”的比例",
    "用户“非常满意”",
]


@pytest.mark.parametrize("text, expected", SESSION_67_FOUND, ids=[c[0][:8] for c in SESSION_67_FOUND])
def test_session_67_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_67_KEPT)
def test_session_67_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_sixty_fifth_held_out_set():
    """Written blind in session 67 (a football club's injury log, a cruise ship's medical centre, genetic counselling
    pedigrees, a doctor-review site with user names). Labels changed: none. First contact (acca1c8): P/R 1.000/0.788.
    Its misses gave: 乘客/船员/先证者 as cues, Jack O'Brien, 其妹婉君（Ⅱ-3）, 表姐文静（Ⅲ-4）, 用户“…”投诉, ID“…”,
    评价者X（city）. Then P/R 1.000/0.913."""
    sc = score(_rows(HELDOUT65))
    assert sc.overlap["name"].recall >= 0.85, sc.misses
    assert sc.overlap["all"].recall >= 0.90, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT65)) >= 55


def test_the_sixty_sixth_held_out_set():
    """Written blind in session 67 (a glucose-monitoring platform's export, premarital check forms, a Qiandongnan
    midwife's register with Miao and Dong names, an Australian student clinic, speech-to-text with numbers in
    characters). Labels changed: none. First contact (acca1c8): P/R 0.967/0.789. Its misses gave: 设备SN：…, 绑定设备…,
    客服小敏（工号…）. Then P/R 0.968/0.817."""
    sc = score(_rows(HELDOUT66))
    assert sc.overlap["all"].recall >= 0.80, sc.misses
    assert sc.overlap["all"].precision >= 0.95, sc.false_alarms
    assert len(_rows(HELDOUT66)) >= 55


# Session 67's second round (from heldout67-68), each with the ordinary text beside it that must stay
SESSION_67_SECOND_FOUND = [
    ("标本接收：条码L2405130417，患者邝秀英", "标本接收：条码[病历号]，患者[姓名]"),
    ("冰箱温度记录正常，交班LMQ，接班zhx。", "冰箱温度记录正常，交班[姓名]，接班[姓名]。"),
    ("通知时间08:31，操作者WXY。", "通知时间08:31，操作者[姓名]。"),
    ("初診，健保卡號0000 4127 3385，", "初診，健保卡號[证件号]，"),
    ("受者Amanda Ng，联系邮箱", "受者[姓名]，联系邮箱"),
    ("第二名失联者孟凡在N33.9412°, E107.6835°附近被发现", "第二名失联者[姓名]在[地址]附近被发现"),
    ("最后一次手机定位N33°57'51\", E107°43'09\"，海拔约3300米", "最后一次手机定位[地址]，海拔约3300米"),
    ("呼号“秦岭07”带第一梯队上攀", "呼号“[编号]”带第一梯队上攀"),
    ("【直播间评论】养生小达人888（IP属地：广东）：医生，", "【直播间评论】[账号]（IP属地：广东）：医生，"),
    ("【评论】静静：下单的护膝还没发货", "【评论】[账号]：下单的护膝还没发货"),
]
SESSION_67_SECOND_KEPT = [
    "商品条码6901234567892",
    "交班时间8点，接班后查房",
    "交班：ICU 2床",
    "供者信息双盲保密",
    "北纬30°，气温28°",
    "打开【评论】区看看",
    "医保卡号要带",
]


@pytest.mark.parametrize("text, expected", SESSION_67_SECOND_FOUND, ids=[c[0][:8] for c in SESSION_67_SECOND_FOUND])
def test_session_67_second_round_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_67_SECOND_KEPT)
def test_session_67_second_round_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_sixty_seventh_held_out_set():
    """Written blind in session 67 (an IVF centre's cycle records, a hearing-aid centre, mountain rescue reports with GPS
    positions and call signs, a charity clinic's lists, a live stream's comments). Labels changed: none. First contact
    (acca1c8) and held out from the session's first round (b2adae8): P/R 0.974/0.809. Its misses gave: GPS positions as
    addresses, 呼号“…”, 被困者/失联者, 受者 before a Latin name, a comment's author. Then P/R 0.977/0.904."""
    sc = score(_rows(HELDOUT67))
    assert sc.overlap["all"].recall >= 0.88, sc.misses
    assert sc.overlap["all"].precision >= 0.95, sc.false_alarms
    assert len(_rows(HELDOUT67)) >= 55


def test_the_sixty_eighth_held_out_set():
    """Written blind in session 67 (a laboratory's specimen tracking log, a hospital switchboard, a Taiwan clinic's
    records with NHI cards, an elder-care mini program, parking and taxi claims). Labels changed: none. First contact
    (acca1c8) and held out from the session's first round (b2adae8): P/R 0.986/0.857. Its misses gave: 条码 and a
    specimen's code, initials after 交班/接班/操作者/接收人 (lower case too), 健保卡號. Then P/R 0.988/0.952."""
    sc = score(_rows(HELDOUT68))
    assert sc.overlap["all"].recall >= 0.93, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT68)) >= 55


# Session 68's first round (from heldout69-70), each with the ordinary text beside it that must stay
SESSION_68_FOUND = [
    ("五（3）班 12号 王梓涵，体育课跑步摔伤", "五（3）班 12号 [姓名]，体育课跑步摔伤"),
    ("14号杨帆，女，发热", "14号[姓名]，女，发热"),
    ("附图 zhangli_face_01.jpg，主诉", "附图 [姓名]_face_01.jpg，主诉"),
    ("补传 liuxinran_neck.jpeg，颈部", "补传 [姓名]_neck.jpeg，颈部"),
    ("上传者 @小鹿爱吃草莓，附图", "上传者 @[账号]，附图"),
    ("外婆一直喊他大宝，这次", "外婆一直喊他[姓名]，这次"),
    ("护士都叫她古丽阿姨，她", "护士都叫她[姓名]阿姨，她"),
    ("叫孩子妈妈“小芳”，妈妈叫爸爸“老何”，两人", "叫孩子妈妈“[姓名]”，妈妈叫爸爸“老[姓名]”，两人"),
    ("由女儿小芳代签", "由女儿[姓名]代签"),
    ("收货人阿强，电话", "收货人[姓名]，电话"),
    ("（护照拼写AYGUL MAMAT），维吾尔族", "（护照拼写[姓名]），维吾尔族"),
    ("醫生備註：陳太自稱1958年出世", "醫生備註：[姓名]太自稱[出生日期]出世"),
    ("學生Chloe Ho，10岁", "學生[姓名]，10岁"),
    ("地址 新界沙田第一城31座18樓F室。", "地址 [地址]。"),
    ("会员卡LS00318827余额", "会员卡[编号]余额"),
    ("户口本上叫方宇航，身份证号", "户口本上叫[姓名]，身份证号"),
    ("三年级二班座号07，国庆同学午饭后诉肚子痛", "三年级二班座号07，[姓名]同学午饭后诉肚子痛"),
]
SESSION_68_KEPT = [
    "3号楼独居老人",
    "请8号房间的家属",
    "12号门诊",
    "叫他过来，喊她帅哥，叫他回家。",
    "叫她“小心”点",
    "喊他小名",
    "女儿小时候爱哭",
    "hand_eczema_before.jpg、IMG_20240516_2130.jpg、mole_01.jpg",
    "班主任和心理老师一起沟通",
    "会员卡余额不足",
    "学生Excel表格已上传",
    "发布者认为（见下）",
    "身份证上写错了",
    "国庆假期返校第一周",
    "三年级二班座号07，全体同学",
]


@pytest.mark.parametrize("text, expected", SESSION_68_FOUND, ids=[c[0][:8] for c in SESSION_68_FOUND])
def test_session_68_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_68_KEPT)
def test_session_68_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_sixty_ninth_held_out_set():
    """Written blind in session 68 (a dermatology photo-consultation app's logs, a school infirmary's register, Hong
    Kong clinic records, a volunteer rota, family nicknames). Labels changed: none. First contact (9790c75): P/R
    0.975/0.788. Its misses gave: a pinyin name opening a photo's file name, 上传者 @…, a primary school's class and a
    seat number before the pupil (国庆同学 after 座号07 too), a number before a name, 户口本上叫…, 喊他/叫她 and a nickname, 叫…“小芳”/“老何”, 陳太自稱, 學生
    before a Latin name, a Hong Kong flat (…座18樓F室). Then P/R 0.989/0.929."""
    sc = score(_rows(HELDOUT69))
    assert sc.overlap["name"].recall >= 0.85, sc.misses
    assert sc.overlap["all"].recall >= 0.91, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT69)) >= 55


def test_the_seventieth_held_out_set():
    """Written blind in session 68 (a pharmacy delivery app's orders, migrant workers' vaccination register, dental
    clinic SMS reminders, traffic police handover sheets, Uyghur and Tibetan interpreters' notes). Labels changed:
    none. First contact (9790c75): P/R 0.987/0.916. Its misses gave: 收货人阿强, 女儿小芳代签, 会员卡 and its number,
    护照拼写 and a name in capitals. Then P/R 0.988/0.976."""
    sc = score(_rows(HELDOUT70))
    assert sc.overlap["all"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT70)) >= 55


# Session 68's second round (from heldout71-72), each with the ordinary text beside it that must stay
SESSION_68_SECOND_FOUND = [
    ("印尼籍Agus Setiawan，护照号B 3390217，雇主", "印尼籍[姓名]，护照号[证件号]，雇主"),
    ("越南籍工人Trần Văn Phúc左手压伤，工友Lê Minh陪同", "越南籍工人[姓名]左手压伤，工友[姓名]陪同"),
    ("越南籍的Tran Van Phuc", "越南籍的[姓名]"),
    ("俄罗斯客户Ekaterina Volkova，护照号75 3196408", "俄罗斯客户[姓名]，护照号[证件号]"),
    ("助理Kevin Lam交接", "助理[姓名]交接"),
    ("翻译小薇电话+86 135 1027 6094。", "翻译[姓名]电话[电话]。"),
    ("内有身份证（邓家豪，440306198809235713）、银行卡", "内有身份证（[姓名]，[证件号]）、银行卡"),
    ("护照X 1127845，手部湿疹", "护照[证件号]，手部湿疹"),
    ("受试者S05-021（LYQ）于第2次访视", "受试者[编号]（[姓名]）于第2次访视"),
    ("受试者S05-021（PD）", "受试者[编号]（PD）"),  # (a trial's response, progressive disease)
    ("受试者S05-021（未入组）", "受试者[编号]（未入组）"),
    ("在3号门出口举牌“MR. O'BRIEN”。", "在3号门出口举牌“MR. [姓名]”。"),
    ("被咬者7岁男童林子豪，监护人", "被咬者7岁男童[姓名]，监护人"),
    ("受试者麦淑仪的紧急联系人", "受试者[姓名]的紧急联系人"),
]
SESSION_68_SECOND_KEPT = [
    "狗叫“阿黄”，猫叫“小白”",
    "MR. CT 报告",
    "MR 2+，MS病史",
    "客户Excel表",
    "外籍Excel表格",
    "男孩子们在操场",
    "工人们都在",
    "户籍地址 Registered Address：湖南省",
]


@pytest.mark.parametrize("text, expected", SESSION_68_SECOND_FOUND, ids=[c[0][:8] for c in SESSION_68_SECOND_FOUND])
def test_session_68_second_round_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_68_SECOND_KEPT)
def test_session_68_second_round_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_seventy_first_held_out_set():
    """Written blind in session 68 (clinical-trial screening logs with subjects' initials, 120 dispatch records with
    landmark addresses, medical-tourism package slips, a patients' WeChat group, a lost-and-found and visitor register).
    Labels changed: none. First contact (9790c75) and held out from the session's first round (82417b6): P/R
    1.000/0.798. Its misses gave: 客户/助理 before a Latin name, initials in brackets after a subject's code, a name
    then an identity number, 翻译小薇, MR. O'BRIEN. Then P/R 1.000/0.872; left: the group's nicknames as speakers
    (向日葵🌻：, labelled name by its writer), given names alone (海燕：, 文强来电)."""
    sc = score(_rows(HELDOUT71))
    assert sc.overlap["all"].recall >= 0.85, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT71)) >= 55


def test_the_seventy_second_held_out_set():
    """Written blind in session 68 (an occupational health check roster, rabies vaccination cards with dog owners, a
    retired alumni club's list, a VIP ward record, a clinic for Filipino, Vietnamese and Indonesian workers). Labels
    changed: none. First contact (9790c75): P/R 0.988/0.867; held out from the session's first round (82417b6):
    0.977/0.867 (狗叫“阿黄”, a dog's name, taken by 叫“阿…”). Its misses gave: a nationality before a full name with
    diacritics, 工友/工人, an Indonesian passport (B 3390217), 男童/犬主/受试者 as cues, pets kept. Then P/R
    0.989/0.939."""
    sc = score(_rows(HELDOUT72))
    assert sc.overlap["all"].recall >= 0.92, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT72)) >= 55


def test_de_identified_text_is_left_as_it_is() -> None:
    """Walk s69: an export's tables were de-identified after the dialogue's names were, and 陈志强 13698765432
    came out as [[姓名]] [电话] (姓名 inside the token taken for a name). A token is never personal data, in the
    rules or in the thorough mode, so de-identifying twice gives what once gives."""
    from workbench.privacy_model import detect_thorough

    texts = [r["text"] for r in read_rows(EVAL_SET.read_text(encoding="utf-8").splitlines(), str(EVAL_SET))][:400]
    texts += ["陈志强 13698765432，我爸胸口闷", "姓名：[姓名]，电话[电话]"]
    for detector in (detect, detect_thorough):
        changed = 0
        for text in texts:
            once, reds = deidentify(text, detector=detector)
            changed += bool(reds)
            assert deidentify(once, detector=detector)[0] == once, (text, once)
        assert changed > 100  # the sentences hold personal data: tokens were there to keep
    for token in TOKENS.values():
        assert detect(f"{token}说{token}和{token}来过") == ()


def test_a_span_reaching_into_a_token_keeps_its_own_letters() -> None:
    from workbench.privacy import Span, outside_tokens

    text = "[姓名]华和王芳"
    assert outside_tokens(text, [Span(1, 5, "name"), Span(6, 8, "name")]) == (Span(4, 5, "name"), Span(6, 8, "name"))
    assert outside_tokens("王[电话]芳", [Span(0, 6, "name")]) == (Span(0, 1, "name"), Span(5, 6, "name"))
    assert outside_tokens("+86 138", [Span(0, 7, "phone")]) == (Span(0, 7, "phone"),)  # no token: as found


# Session 69's first round (from heldout73-74), each with the ordinary text beside it that must stay
SESSION_69_FOUND = [
    ("病人王淑芬由二姐王淑珍和老三王建军陪同", "病人[姓名]由二姐[姓名]和老三[姓名]陪同"),
    ("小五刘小燕说她大哥刘大勇也有高血压", "小五[姓名]说她大哥[姓名]也有高血压"),
    ("207房老马（马德胜，1941-02-17）拒服", "207房老[姓名]（[姓名]，[出生日期]）拒服"),
    ("老孟家三儿子孟庆海今天来换药", "老[姓名]家三儿子[姓名]今天来换药"),
    ("把她丈夫的名字写成了“陈建国”，实际应为“陈建华”，已提交", "把她丈夫的名字写成了“[姓名]”，实际应为“[姓名]”，已提交"),
    ("持卡人签名“黄伟”，商品", "持卡人签名“[姓名]”，商品"),
    ("只说自己姓周，不肯留全名", "只说自己姓[姓名]，不肯留全名"),
    ("用户“小鹿乱撞0923”点评：很好", "用户“[账号]”点评：很好"),
    ("商家回复“阿珍爱吃榴莲”：您好", "商家回复“[账号]”：您好"),
    ("付款人昵称小鹿乱撞🦌，交易单号", "付款人昵称[账号]，交易单号"),
    ("账户名*丽华，账号139****2207，布洛芬", "账户名[账号]，账号[账号]，布洛芬"),
    ("卡号6217 00** **** 4418，持卡人", "卡号[账号]，持卡人"),
    ("手机139****2207，已回访", "手机[电话]，已回访"),  # (a masked mobile not after 账号 stays a phone)
    ("醫生執照編號M-03127）開具", "醫生執照編號[编号]）開具"),
    ("病人Maria Lopes之女Ana Lopes，聯絡電話", "病人[姓名]之女[姓名]，聯絡電話"),
    ("預約：Carlos Ferreira於6月3日覆診", "預約：[姓名]於6月3日覆診"),
    ("Siti Nur Farhana（家里人叫她Ana），1969年生", "[姓名]（家里人叫她[姓名]），[出生日期]生"),
]
SESSION_69_KEPT = [
    "小五学生，老三届，老二两张纸",
    "老师家的孩子，老人家的儿子，回老家的路上",
    "请在签名处写“同意”，名字栏写“本人”",
    "请回复“是”：确认预约",
    "她自己姓名都写不好",
    "预约：CT Scan 明天上午",
    "孟德尔分离定律的图解",
    "画的是白求恩和雷锋",
    "母系单倍群 D4a",
]


@pytest.mark.parametrize("text, expected", SESSION_69_FOUND, ids=[c[0][:8] for c in SESSION_69_FOUND])
def test_session_69_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_69_KEPT)
def test_session_69_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_seventy_third_held_out_set():
    """Written blind in session 69 (a genetic-testing company's report delivery log, a care home's medication and
    handover notes, an online doctor-review site, Macau clinic records with Portuguese names, relatives called by
    birth order). Labels changed: none. First contact (fb71a00): P/R 0.941/0.825. Its misses gave: a sibling's rank
    before a name (老三王建军, 小五刘小燕), 老马（马德胜，1941-02-17）, a quoted name and its correction, a review
    site's quoted users, 之女 before a Latin name, 預約：Carlos Ferreira, a doctor's licence number, 老孟家.
    Then P/R 0.969/0.969; left: 209房钱秀英 (房钱 read as a word), 大姐秀兰, 海燕护士长, sample barcodes the writer
    left unlabelled (样本条码, record numbers to the rules), 白鴿巢 (a Macau park)."""
    sc = score(_rows(HELDOUT73))
    assert sc.overlap["all"].recall >= 0.95, sc.misses
    assert sc.overlap["all"].precision >= 0.95, sc.false_alarms
    assert len(_rows(HELDOUT73)) >= 55


def test_the_seventy_fourth_held_out_set():
    """Written blind in session 69 (a blood-donation station log, a home-visit nurse schedule, a pharmacy payment log,
    a mental-health hotline log, Singapore clinic notes with NRIC/FIN, Malay and Indian names). Labels changed: none.
    First contact (fb71a00): P/R 0.978/0.870. Its misses gave: masked card and account numbers and holders (卡号6217
    00** **** 4418, 账户名*丽华), a payer's nickname with an emoji, 签名“黄伟”, 自己姓周, a Latin name before what the
    family call the person. Then P/R 0.989/0.940; left: door codes (门禁码#0602*: heldout21's writer left
    门禁密码2580 unlabelled), 小葛去, 丘先生 (丘 is no listed surname: 丘疹, 丘脑), a hotline's “小鱼”."""
    sc = score(_rows(HELDOUT74))
    assert sc.overlap["all"].recall >= 0.92, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT74)) >= 55


# Session 69's second round (from heldout75-76), each with the ordinary text beside it that must stay
SESSION_69_SECOND_FOUND = [
    ("原受益人梁国庆变更为其女", "原受益人[姓名]变更为其女"),
    ("死者陳淑芬，台胞", "死者[姓名]，台胞"),
    ("合作医疗证　证号130627031800426　户主", "合作医疗证　证号[账号]　户主"),
    ("户编号1306270318004，2024年度参合", "户编号[账号]，2024年度参合"),
    ("醫師證書：醫字第034217號　本次", "醫師證書：[编号]　本次"),
    ("Reviewed by Dr Priya Raman (GMC no. 7061234);", "Reviewed by Dr [姓名] (GMC no. [编号]);"),
    ("证明书编号K440112024000318，直接死因", "证明书编号[编号]，直接死因"),
    ("外方设备顾问Michael Brandt与翻译", "外方设备顾问[姓名]与翻译"),
    ("US citizen Megan O'Connell, SSN", "US citizen [姓名], SSN"),
    ("Ingrid Larsen (Norwegian), passport", "[姓名] (Norwegian), passport"),
    ("患者释慧明，男，俗名邓国强", "患者[姓名]，男，俗名[姓名]"),
    ("同寺释常静法师，联系电话", "同寺[姓名]法师，联系电话"),
    ("知客师法号宏愿，代为签署", "知客师法号[姓名]，代为签署"),
    ("由修女若瑟芬陪同来诊", "由修女[姓名]陪同来诊"),
    ("若望神父为患者行病人傅油礼", "[姓名]神父为患者行病人傅油礼"),
    ("米建国（户主，1961年9月）、贾桂兰（配偶，1963年2月）", "[姓名]（户主，[出生日期]）、[姓名]（配偶，[出生日期]）"),
    ("工友杨志强（大伙都叫他强子）证实", "工友[姓名]（大伙都叫他[姓名]）证实"),
]
SESSION_69_SECOND_KEPT = [
    "请解释一下，稀释后释放，释放出来",
    "这位神父说，修女们在，每位牧师来",
    "病人傅油礼在病房举行",
    "Made in New York (American) style",
    "Tan Tock Seng (Hospital), Singapore",
    "证明书已盖章",
    "要求術前請神父來祝福",
]


@pytest.mark.parametrize("text, expected", SESSION_69_SECOND_FOUND, ids=[c[0][:8] for c in SESSION_69_SECOND_FOUND])
def test_session_69_second_round_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_69_SECOND_KEPT)
def test_session_69_second_round_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_seventy_fifth_held_out_set():
    """Written blind in session 69 (medical insurance claim forms, an IVF centre's couple files, a kindergarten's
    allergy list, a death certificate register, a clinic's English records for foreigners). Labels changed: none.
    First contact (fb71a00) and held out from the session's first round (1ade113): P/R 1.000/0.825. Its misses gave:
    受益人 and 死者 as cues, 证明书编号 and a GMC number as other, US citizen before a Latin name, a Latin name before a
    nationality in brackets (Ingrid Larsen (Norwegian)). Then P/R 1.000/0.893; left: given names alone (子轩自述,
    雨桐要求, Hoa请于, Megan's), a kindergarten class before a pupil (大二班唐一诺), 阿木（彝族）, 家属潘永年持, 敖科员."""
    sc = score(_rows(HELDOUT75))
    assert sc.overlap["all"].recall >= 0.87, sc.misses
    assert sc.overlap["all"].precision >= 0.97, sc.false_alarms
    assert len(_rows(HELDOUT75)) >= 55


def test_the_seventy_sixth_held_out_set():
    """Written blind in session 69 (video consultation transcripts with names said aloud and e-mails spelt out, factory
    injury reports, rural cooperative scheme cards and claims, Taiwan clinic records, monks', nuns' and priests'
    visits). Labels changed: none. First contact (fb71a00) and held out from the session's first round (1ade113): P/R
    0.961/0.793. Its misses gave: religious names (释慧明, 法号宏愿, 修女若瑟芬, 若望神父), a household's members with
    their place and birth month in brackets, 杨志强（大伙都叫他强子）, a rural scheme's card and household numbers,
    醫師證書, 顾问 before a Latin name, 傅油礼 (a sacrament). Then P/R 0.967/0.957; left: an e-mail spelt out letter by
    letter (q i h a i y a n 八六 at 163 点 com), 海燕 addressed alone, 长子国庆, 陳阿嬤, 健保卡號 (record_number by the
    rules, account by its writer), 设备编号 and 长垣市 taken."""
    sc = score(_rows(HELDOUT76))
    assert sc.overlap["all"].recall >= 0.93, sc.misses
    assert sc.overlap["all"].precision >= 0.95, sc.false_alarms
    assert len(_rows(HELDOUT76)) >= 55


# Session 70's first round (from heldout77-78), each with the ordinary text beside it that must stay
SESSION_70_FOUND = [
    ("探视人彭秋菊（妻），联系电话", "探视人[姓名]（妻），联系电话"),
    ("访客石磊自称患者表弟", "访客[姓名]自称患者表弟"),
    ("户主石磊自称", "户主[姓名]自称"),
    ("37床陪护小芳说明天换她表哥", "37床陪护[姓名]说明天换她表哥"),
    ("8床文静由其母曾女士陪护", "8床[姓名]由其母[姓名]女士陪护"),
    ("23床海燕的爸爸黄叔今天", "23床[姓名]的爸爸[姓名]叔今天"),
    ("监查员Rachel Kim已核对", "监查员[姓名]已核对"),
    ("出生日期误录为1975-02-30，已更正为1975-03-02，", "出生日期误录为[出生日期]，已更正为[出生日期]，"),
    ("我也是88年的，确诊的时候", "我也是[出生日期]的，确诊的时候"),
    ("【向日葵】：姐妹们！今天复查", "【[账号]】：姐妹们！今天复查"),
    ("【刘淑芬】：@向日葵 恭喜恭喜！", "【[姓名]】：@[账号] 恭喜恭喜！"),
    ("【Lily安安】：大家一起加油", "【[账号]】：大家一起加油"),
    ("患者称旧版居留许可E39017752已于去年注销", "患者称旧版居留许可[证件号]已于去年注销"),
    ("日本个人编号（My Number）4827 3391 0652，已遮盖", "日本个人编号（My Number）[证件号]，已遮盖"),
    ("五年级(1)班座号23 王一诺自述头痛", "五年级(1)班座号23 [姓名]自述头痛"),
    ("大二班唐一诺，花生过敏", "大二班[姓名]，花生过敏"),
    ("二年级(4)班Kevin王（王凯文）午餐后", "二年级(4)班[姓名]（[姓名]）午餐后"),
    ("Jessie李把张伯的胰岛素笔放好", "[姓名]李把[姓名]伯的胰岛素笔放好"),
    ("plan: pt Ka Yan afebrile today", "plan: pt [姓名] afebrile today"),
]
SESSION_70_KEPT = [
    "访客登记处在一楼，访客须知贴在门口，访客请戴口罩",
    "探视人员请在走廊等候",
    "8床宝宝的妈妈来了，3床患儿的爸爸，12床老人的家属",
    "家属陪护很辛苦，陪护椅C-12已发放",
    "【系统消息】：您的预约已成功",
    "【体检中心】：请于明早空腹来院",
    "她也是2018年的时候开始咳嗽",
    "居留证办理需要两周",
    "出院摘要（Discharge Summary）",
    "小班的孩子午睡，中二班的老师",
    "大伯说老伯来了，叔伯兄弟",
    "pt In Hospital since Monday",
]


@pytest.mark.parametrize("text, expected", SESSION_70_FOUND, ids=[c[0][:8] for c in SESSION_70_FOUND])
def test_session_70_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_70_KEPT)
def test_session_70_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_seventy_seventh_held_out_set():
    """Written blind in session 70 (a ward's visitor log, a clinical-trial screening log, a support group's WeChat
    chat export, a Japanese patient's record in Chinese, an ambulance dispatch record). Labels changed: none. First
    contact (cd33210): P/R 1.000/0.806. Its misses gave: 探视人/访客/陪护 as cues, a bed's patient by a given name
    before the family (8床文静由其母), a trial's monitor before a Latin name, a birth date corrected (误录为…，已更正为…),
    我也是88年的, a chat's senders in 【】 (a display name an account, a full name a name) and its @mentions, a residence
    permit and Japan's My Number. Session 71 (rules from its leftovers): 1.000/1.000 (晓琳你 after a chat sender,
    受试者董家豪, a birth date in a pipe table)."""
    sc = score(_rows(HELDOUT77))
    assert sc.overlap["all"].recall >= 0.98, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT77)) >= 55


def test_the_seventy_eighth_held_out_set():
    """Written blind in session 70 (a Hong Kong discharge summary, a school nurse's log, medicine delivery records, a
    genetics clinic's family history, English nicknames beside Chinese names). Labels changed: none. First contact
    (cd33210): P/R 0.990/0.924. Its misses gave: a seat number between the class and the pupil (座号23 王一诺), an
    English name and its surname before the full name in brackets (Kevin王（王凯文）), 张伯, a lower-case pt before a
    Latin name; Discharge Summary no name. Session 71 (rules from its leftovers): 1.000/1.000 (子涵妈妈, 座号9的海燕,
    居於 + an estate's address, 张伯儿子)."""
    sc = score(_rows(HELDOUT78))
    assert sc.overlap["all"].recall >= 0.98, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT78)) >= 55


# Session 70's second round (from heldout79-80 and session 69's leftovers), each with the ordinary text beside it
SESSION_70_SECOND_FOUND = [
    ("投诉人马国庆（手机18672903314）反映", "投诉人[姓名]（手机[电话]）反映"),
    ("投诉人阿依努尔称其丈夫", "投诉人[姓名]称其丈夫"),
    ("艾力的妻子热依拉（电话151 4732 0968）要求", "[姓名]的妻子[姓名]（电话[电话]）要求"),
    ("由白玛医生于2024年5月20日开具", "由[姓名]医生于2024年5月20日开具"),
    ("我叫张建国，弓长张，1968年4月3日出生", "我叫[姓名]，弓长张，[出生日期]出生"),
    ("账号maryam.aysha@qq.com尝试", "账号[邮箱]尝试"),
    ("治疗师何已报告主管医生", "治疗师[姓名]已报告主管医生"),
    ("当班药师雷已道歉并更换药品", "当班药师[姓名]已道歉并更换药品"),
    ("阿强（黄志强）复诊", "[姓名]（[姓名]）复诊"),
    ("娜塔莎（即娜塔莉娅·伊万诺夫娜·库兹涅佐娃）每周二", "[姓名]（即[姓名]）每周二"),
    ("儿童康复：帕尔哈提，2019年11月出生，痉挛型", "儿童康复：[姓名]，[出生日期]出生，痉挛型"),
    ("김민준本人签署知情同意书", "[姓名]本人签署知情同意书"),
    ("上午9:30 孙女士，右下6根管", "上午9:30 [姓名]女士，右下6根管"),
    ("付款支付宝账号lily0503@aliyun.com，已退回", "付款支付宝账号[账号]，已退回"),
    ("手机：13821904677（短号661677）；", "手机：[电话]（短号[电话]）；"),
    ("我拼一下，q i h a i y a n 八六 at 163 点 com，全是小写", "我拼一下，[邮箱]，全是小写"),
    ("209房钱秀英今天出院", "209房[姓名]今天出院"),
    ("家属+王建国，男，45岁", "家属+[姓名]，男，45岁"),
]
SESSION_70_SECOND_KEPT = [
    "洗牙+涂氟，手机费另算",
    "车辆信息：白色大众朗逸，白色念珠菌",
    "投诉人对处理结果满意",
    "患者阿莫西林过敏，病人哈哈大笑",
    "医生于下午开具，学生于周一返校",
    "护士站短号6612",
    "I stay at home 点 com",
    "209房钱要交，房钱交了吗",
    "2 楼护士站",
    "안녕하세요，医生",
]


@pytest.mark.parametrize("text, expected", SESSION_70_SECOND_FOUND, ids=[c[0][:8] for c in SESSION_70_SECOND_FOUND])
def test_session_70_second_round_names_and_numbers(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_70_SECOND_KEPT)
def test_session_70_second_round_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_seventy_ninth_held_out_set():
    """Written blind in session 70 (a child vaccination register, a dental clinic's appointment book, a traffic accident
    record, a Korean patient's record in Chinese, a duty roster). Labels changed: none. First contact (cd33210) and held
    out from the session's first round (ec21f62): P/R 0.968/0.920. Its misses gave: a mobile's short number in brackets,
    a Korean name before 本人, 孙女士 after a time (9:30 is no floor), 阿强（黄志强）, 医生于 is no 生于, a colour
    (白色大众) and an item after + (洗牙+涂氟) no names. Left: 国庆他妈, 文静 in an appointment book, 智妍 after 妻子,
    建国道 taken as an address. Session 71: 1.000/0.990; left: 文静 in an appointment book."""
    sc = score(_rows(HELDOUT79))
    assert sc.overlap["all"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT79)) >= 55


def test_the_eightieth_held_out_set():
    """Written blind in session 70 (a rehabilitation centre's therapy roster, a complaints register, an online
    pharmacy's prescription review log; Tibetan, Uyghur, Russian and Thai names). Labels changed: none. First contact
    (cd33210) and held out from the session's first round (ec21f62): P/R 0.989/0.862. Its misses gave: 投诉人 as a
    cue, a transliterated name after a cue or a kinship word (阿依努尔, 热依拉), a surname alone after a role then 已
    (治疗师何已报告), a record's opening name before the birth date, 娜塔莎（即…）, an Alipay account that is an e-mail
    address. Left: 陈桂兰 after 新入院的, 建国叔, 扎西（Tashi）, drugbuyer77 after 和, 坤颂猜, "小宝", 洛桑、达瓦.
    Session 71 (rules from those): 1.000/1.000."""
    sc = score(_rows(HELDOUT80))
    assert sc.overlap["all"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT80)) >= 55


# Session 71: look-alikes of what session 70's blind sets heldout77-80 still missed or took wrongly (rules alone).
SESSION_71_FOUND = [
    ("照顾者为母亲，居於新界沙田瀝源邨貴和樓1203室。", "照顾者为母亲，居於[地址]。"),
    ("现居于九龙观塘秀茂坪邨秀明楼808室", "现居于[地址]"),
    ("家住长垣市满村镇后满村二组37号", "家住[地址]"),
    ("住在朝阳区建国道附近", "住在[地址]附近"),
    ("康复记录：卫东叔今天能扶墙走十米", "康复记录：[姓名]叔今天能扶墙走十米"),
    ("建军他妈，孩子的体检表落在窗口了", "[姓名]他妈，孩子的体检表落在窗口了"),
    ("上午雨桐奶奶来医务室接孩子回家", "上午[姓名]奶奶来医务室接孩子回家"),
    ("四年级2班座号12的雨涵，今天发烧请假", "四年级2班座号12的[姓名]，今天发烧请假"),
    ("V2访视：受试者刘家明坐位心率72次/分", "V2访视：受试者[姓名]坐位心率72次/分"),
    ("护士丘美玲已核对医嘱", "护士[姓名]已核对医嘱"),
    ("今天来复诊的有次仁、央金两位", "今天来复诊的有[姓名]、[姓名]两位"),
    ("康复备注：坤素帕习惯用英语沟通", "康复备注：坤[姓名]习惯用英语沟通"),
    ("序号3｜患者刘建华｜1958/03/09｜随访2023/11/02", "序号3｜患者[姓名]｜[出生日期]｜随访2023/11/02"),
    # (a date a few years before the row's other one is a visit's, not a birth date)
    ("序号4｜患者刘建华｜2020/03/09｜随访2023/11/02", "序号4｜患者[姓名]｜2020/03/09｜随访2023/11/02"),
    ("由女儿雅婷陪同就诊", "由女儿[姓名]陪同就诊"),
    ("床位留给刚转入的周秀英，明天做康复评估", "床位留给刚转入的[姓名]，明天做康复评估"),
    ("来电：央金（Yangchen）询问复诊时间", "来电：[姓名]（[姓名]）询问复诊时间"),
    ("家长说女儿“妞妞”昨晚发烧", "家长说女儿“[姓名]”昨晚发烧"),
    ("【病友群】：雅琴你上次说的那个药在哪买的", "【病友群】：[姓名]你上次说的那个药在哪买的"),
    ("同一处方被账号wx_lhm1990和drugbuyer77、ming_2020重复提交", "同一处方被账号[账号]和[账号]、[账号]重复提交"),
    ("账号wx_lhm1990和App都要更新", "账号[账号]和App都要更新"),
    ("今天李姐女儿来拿药，老王老婆也来了", "今天[姓名]姐女儿来拿药，[姓名]老婆也来了"),
    ("血压监测仪（设备编号ABPM-0923-117）已借给患者，回家佩戴24小时", "血压监测仪（设备编号[编号]）已借给患者，回家佩戴24小时"),
]
SESSION_71_KEPT = [
    "发病率居于首位，移居于香港多年",
    "住在中山路附近的同事优先排晚班",
    "伤者被送到濮阳市人民医院急诊",
    "转到南阳市中心医院治疗",
    "建国路今天封路，国庆期间门诊照常",
    "国庆他们去旅游了",
    "今天二胎妈妈来咨询，下午新手妈妈来听课",
    "今天宝宝妈妈来取药",
    "五年级1班12号的书包，落在医务室",
    "三年级(5)班座号9的同学，请到医务室",
    "患者王家属陪同，病人张家里有事，患者李家人来了",
    "患者陈家境困难，病人赵家族史阳性",
    "患者丘疹瘙痒三天，病人丘脑出血，来自丘陵地区",
    "草原上开满了格桑、格桑花",
    "乾坤大挪移，她拎着坤包，戴着坤表",
    "批号A12｜阿莫西林｜2010-01-05｜入库2024-05-13",
    "访视｜第2周期｜2003-04-22｜复查2024-05-13",
    "发热前曾到白鸽巢公园一带，无外游史",
    "我妈听邻居说杜仲泡酒能治腰疼，家属诉晨起右侧肢体无力",
    "新入院的高血压患者较多，转入的黄疸患儿已退黄",
    "格桑花（Galsang flower）开了",
    "【病友群】：医生你上次说的那个药，今天你去吗",
    "喝牛奶宝宝长得快，大黄狗狗很乖，小区阿姨说",
    "装配车间2号冲床（设备编号JC-208-01）发生挤压事故",
    "女儿“哇哇”地哭了，儿子\"小心\"地走，孩子\"小孩\"脾气，女儿“天天”喊疼",
]


@pytest.mark.parametrize("text, expected", SESSION_71_FOUND, ids=[c[0][:8] for c in SESSION_71_FOUND])
def test_session_71_personal_data_is_found(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_71_KEPT)
def test_session_71_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


# Session 71, second round: look-alikes of what heldout81 (a haemodialysis log, home-care notes, an insurance appeal,
# Mongolian and Kazakh patients, a Hong Kong family's WhatsApp group) missed or took wrongly (rules alone).
SESSION_71_SECOND_FOUND = [
    ("我開咗帳戶，用戶名lam_popo1940，密碼私訊你", "我開咗帳戶，用戶名[账号]，密碼私訊你"),
    ("下单用户名tangtang_mami88，请勿按门铃", "下单用户名[账号]，请勿按门铃"),
    ("佢個號碼係6127 4410，記住叉電", "佢個號碼係[电话]，記住叉電"),
    ("她的号码是9021 3378，有事找她", "她的号码是[电话]，有事找她"),
    ("手機6123 8876，晚上打", "手機[电话]，晚上打"),
    ("地址係沙田禾輋邨豐和樓1203室。", "地址係[地址]。"),
    ("由护士加娜尔翻译病史", "由护士[姓名]翻译病史"),
    ("同伴努尔别克开车送来", "同伴[姓名]开车送来"),
    ("巴图毕力格的额吉萨日娜今天来复查", "[姓名]的额吉[姓名]今天来复查"),
    ("娜仁高娃，女，63岁，头晕2天", "[姓名]，女，63岁，头晕2天"),
    ("乌兰，女，35岁，从乌兰浩特转来", "[姓名]，女，35岁，从乌兰浩特转来"),
    ("经办人：乌云，工号YB0417", "经办人：[姓名]，工号[编号]"),
    ("护士柏金梅说明天换药", "护士[姓名]说明天换药"),
    ("家住西乌珠穆沁旗巴彦花苏木哈日根台嘎查，主诉腹痛", "家住[地址]，主诉腹痛"),
    ("访视地点：包头市昆都仑区钢铁大街66号阳光世家5号楼2单元301，老人卧床", "访视地点：[地址]，老人卧床"),
    ("育婴员证号YY2023-0815，上岗证号SG-112233", "育婴员证号[编号]，上岗证号[编号]"),
    ("我叫咗Wai哥放工去接婆婆，Tony哥都會去", "我叫咗[姓名]哥放工去接婆婆，[姓名]哥都會去"),
    ("搬嚟我度住，地址係荃灣沙咀道12號華都大廈8樓B室。", "搬嚟我度住，地址係[地址]。"),
    ("佢屋企係觀塘協和街88號，有事搵我", "佢屋企係[地址]，有事搵我"),
]
SESSION_71_SECOND_KEPT = [
    "用户名和密码都忘了",
    "卡号码是9386 2154",
    "批号码是2024 0301，手机尾号3327",
    "住址系统今天维护",
    "天上乌云密布，从乌兰浩特出发",
    "护士说乌云来了要下雨",
    "院子里护士格桑花开了",
    "同伴们开车送来，额吉说今天下雨",
    "丈夫在夏牧场，电话打不通；儿子在冬牧场，电话关机",
    "醫生話可能係柏金遜藥令佢跌親，患有柏金逊病多年",
    "他出身书香世家，嘎查书记陪同来检查",
    "护理员证号会另行通知，上岗证号码待补",
    "外卖是Uber哥送的，Wifi哥修好了网络，Apple姐话",
]


@pytest.mark.parametrize("text, expected", SESSION_71_SECOND_FOUND, ids=[c[0][:8] for c in SESSION_71_SECOND_FOUND])
def test_session_71_second_round_personal_data_is_found(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_71_SECOND_KEPT)
def test_session_71_second_round_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_eighty_first_held_out_set():
    """Written blind in session 71 (a haemodialysis centre's log, a home-care nurse's notes, an insurance appeal and
    its answer, Mongolian and Kazakh patients, a Hong Kong family's WhatsApp group). Labels changed: none. First contact
    (ca2e86b) and after session 71's first round (f7e4996): P/R 0.975/0.898 (name R 0.857). Its misses gave: Mongolian
    names of two parts (额尔敦毕力格, 那仁高娃), 乌云 and 乌兰 with a cue, 额吉, a minority name after a role or 同伴 then
    a verb, a Latin name before 哥, 號碼係 before a Hong Kong number, 係 after 地址, 用戶名, 嘎查 and 世家 in an address,
    护理员证号; kept: 夏牧场, 柏金遜. Session 71's second round: 1.000/0.989 (name R 0.980). Left: 白玉兰 opening a
    line before 长护险 (a magnolia too, with no cue in the line)."""
    sc = score(_rows(HELDOUT81))
    assert sc.overlap["all"].recall >= 0.97, sc.misses
    assert sc.overlap["all"].precision >= 0.98, sc.false_alarms
    assert len(_rows(HELDOUT81)) >= 55


def test_the_eighty_second_held_out_set():
    """Written blind in session 71 beside heldout81 and held out from both of its rounds (not read: only its overall
    figures were printed). First contact (ca2e86b) and after each round (f7e4996, then the second round's rules from
    heldout81): P/R 0.948/0.902 (name R 0.852); exact 0.876/0.833 → 0.887/0.843 after the second round."""
    sc = score(_rows(HELDOUT82))
    # (counts only: its misses stay unread while it is held out)
    assert sc.overlap["all"].recall >= 0.88, f"{len(sc.misses)} misses"
    assert sc.overlap["all"].precision >= 0.93, f"{len(sc.false_alarms)} false alarms"
    assert len(_rows(HELDOUT82)) >= 55


# Session 72: look-alikes of what session 72's blind heldout83 (a street blood-donation register, death certificates and
# the body's hand-over to the funeral home, Macau and Taiwan referral letters in traditional characters) missed or took
# wrongly (rules alone).
SESSION_72_FOUND = [
    ("母亲服用华法林，保姆Siti Rahma每天陪她复诊", "母亲服用华法林，保姆[姓名]每天陪她复诊"),
    ("印尼籍家佣Dewi Lestari昨天扭伤了脚踝", "印尼籍家佣[姓名]昨天扭伤了脚踝"),
    ("護工Ana Reyes（安娜·雷耶斯）今晚值班", "護工[姓名]（[姓名]）今晚值班"),
    ("复诊：萨仁其木格血压145/90，继续服药", "复诊：[姓名]血压145/90，继续服药"),
    ("老蔫（村里人都这么称呼他，本名刘长顺）来拿降压药", "[姓名]（村里人都这么称呼他，本名[姓名]）来拿降压药"),
    ("患者老周（原名周国栋）今日复诊", "患者[姓名]（原名[姓名]）今日复诊"),
    ("今天由表妹黃太陪同來覆診", "今天由表妹[姓名]太陪同來覆診"),
    ("陳太話佢阿仔發燒三日", "[姓名]太話佢阿仔發燒三日"),
    ("殡葬证号BZ-2023-00871已核对，家属签字", "殡葬证号[编号]已核对，家属签字"),
    ("志愿者帕丽旦·吐尔逊第三次来站献血", "志愿者[姓名]第三次来站献血"),
    ("报告寄往佛山市南海区桂城街道海三路12号之一802房", "报告寄往[地址]"),
    ("住址：臺北市大安區復興南路一段390號12樓之3", "住址：[地址]"),
    ("户籍地杭州市西湖区文三路90号，本人到场", "户籍地[地址]，本人到场"),
    ("暫住福州市鼓樓區湖濱路66號華僑大廈B座1205", "暫住[地址]"),
    ("其母黄林玉珠陪同就诊（冠夫姓）", "其母[姓名]陪同就诊（冠夫姓）"),
    ("患者患有高血压，由居民张王桂芝的女儿陪同", "患者患有高血压，由居民[姓名]的女儿陪同"),
    # (a flat's layout after the number, 2房1厅, and a name before 说明天: not taken in)
    ("家住天河区体育西路12号2房1厅", "家住[地址]2房1厅"),
    ("护士陈林说明天换药", "护士[姓名]说明天换药"),
]
SESSION_72_KEPT = [
    "目前服用瑞舒伐他汀（Crestor）10mg每晚一次",
    "改用恩格列净（Jardiance）10 mg口服",
    "续用来曲唑（Femara）每日一次，半年后复查",
    "他太累了，我跟李太熟，太太陪同来",
    "如何太难了，这件事任太忙的人做不了",
    "今天使用的血液透析机序列号FX-8000-1187，耗材批号LOT 240515",
    "血袋条码：W1234 25 000123，A型RhD阳性",
    "某公司在海淀区中关村大街举办义诊，学校在朝阳区建国路组织体检",
    "熊猫（大熊猫）是国宝，它爱吃竹子",
]


@pytest.mark.parametrize("text, expected", SESSION_72_FOUND, ids=[c[0][:8] for c in SESSION_72_FOUND])
def test_session_72_personal_data_is_found(text, expected):
    assert deidentify(text)[0] == expected


@pytest.mark.parametrize("text", SESSION_72_KEPT)
def test_session_72_look_alikes_are_kept(text):
    assert deidentify(text)[0] == text


def test_the_eighty_third_held_out_set():
    """Written blind in session 72 (a street blood-donation register, death certificates and the body's hand-over to the
    funeral home, Macau and Taiwan referral letters in traditional characters). Labels changed: none. First contact
    (d2fb265): P/R 0.905/0.877, exact 0.810/0.785 (name R 0.767). Its misses gave: a domestic helper (家佣, 保姆) before a
    Latin name, a transliterated name in traditional characters (瑪麗亞·桑托斯), a Mongolian name of two parts before 其木格,
    a nickname before brackets saying people call the person so and the real name (…，本名…）), Cantonese 何太/馮太,
    a cremation certificate's number; false alarms: a drug's brand in brackets before its dose (氯吡格雷（Plavix）75mg),
    a machine's serial beside its consumables' batch, a blood unit's ISBT number, where a factory holds an event; exact
    bounds: 33号之二501房, 12樓之3, 户籍地 before the place, 大廈 and 濱 folded, an ordinal after a dotted name, a married
    woman's two surnames (林陳秀英). Session 72: 1.000/1.000, exact 0.985/0.985 (name R 1.000). Left, labels at odds
    with earlier sets: 献血证编号 labelled record_number (other in heldout23, 31, 51), 健保卡號 account (as in most
    sets; id_number in heldout68, which the rule follows)."""
    sc = score(_rows(HELDOUT83))
    assert sc.overlap["all"].recall >= 0.99, sc.misses
    assert sc.overlap["all"].precision >= 0.99, sc.false_alarms
    assert sc.exact["all"].recall >= 0.97
    assert len(_rows(HELDOUT83)) >= 30


def test_the_eighty_fourth_held_out_set():
    """Written blind in session 72 beside heldout83 and held out from its round (not read: only its overall figures
    were printed). First contact (d2fb265) and after session 72's rules from heldout83: P/R 0.940/0.783, exact
    0.860/0.717 (unchanged)."""
    sc = score(_rows(HELDOUT84))
    # (counts only: its misses stay unread while it is held out)
    assert sc.overlap["all"].recall >= 0.77, f"{len(sc.misses)} misses"
    assert sc.overlap["all"].precision >= 0.93, f"{len(sc.false_alarms)} false alarms"
    assert len(_rows(HELDOUT84)) >= 30
