"""De-identification on long unpunctuated text: does any shape of input cost more than linear time?

A transcript with no punctuation is one clause, and a text of thousands of names holds thousands of
candidates; a step that looks at the whole clause (or at every name found) per candidate is quadratic, and
one such step once took 2-3 minutes for 100,000 characters of "王芳李娜" or "张伟、李静、". Each shape below
is timed at ``--chars`` characters and at a fifth of that, fresh caches each time. Its baseline, measured in
the same run, is ordinary text of the same length: the sentences of ``annotations/deid_eval.jsonl`` joined.

Printed per shape: seconds, ``ratio`` (its seconds / the baseline's seconds at full length) and ``growth``
(seconds at full length / seconds at a fifth: about 5 where the cost is linear, 25 where it is quadratic).
``--json`` makes the last line ``{"chars": ..., "baseline_seconds": ..., "seconds": {shape: ...},
"ratio": {shape: ...}, "growth": {shape: ...}, "worst_ratio": ..., "worst_growth": ...}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench import privacy  # noqa: E402

EVAL_SET = Path(__file__).resolve().parents[1] / "annotations" / "deid_eval.jsonl"

# Repeated units, each a shape that once took (or could take) a whole-clause step per candidate.
SHAPES = {
    "surname": "张",
    "two_names": "王芳李娜",
    "surname_title": "张医生",
    "nickname": "小王",
    "name_list": "张伟、李静、",
    "cue_and_name": "我老公孙浩",
    "self_introduction": "我叫王芳",
    "compound_surname": "欧阳",
    "place": "北京市朝阳区",
    "mixed": "小王说张医生王芳",
    # a relative's 叫 before a word that is the whole clause: its label's window was once read from the text's
    # start (quadratic: 3.8 s at 100,000 characters, 0.2 s at 20,000)
    "relative_called": "我老公叫国庆，",
    "name_then_pronoun": "晓峰他今天",
    # session 52: a name typed with spaces (found again in the text without them), a relative's given name before
    # 他/她, a signature after a dash
    "spaced_name": "王 芳，",
    "kin_given_name": "我老婆海燕她",
    "signature": "——心内科 张立新",
    # session 52's structured text: a chat speaker, a table's role field, an English note's cue
    "chat_speaker": "张丽：好 / ",
    "table_field": "| 检验者 | 蒋琳 ",
    "english_cue": "Pt Li Na, ",
    # session 53: a bilingual form's English field name before the colon, numbers read out in a call's transcript,
    # a chat's speaker by nickname, field words that never reach a colon
    "field_label": "姓名 Name: 王芳 | ",
    "spoken_digits": "幺三八 幺二三四 五六七八 ",
    "speaker_nickname": "\n小燕：@志强 好",
    "field_words_no_colon": "中 name no id date of birth ",
    # session 54: a scanned form's digits with spaces between them after a cue, a forum handle, a kinship word
    # before a given name and a time word, a birth in a calendar of years named by stems and branches
    "spaced_digits": "电话：0 1 0 - 6 2 7 5 ",
    "forum_handle": "楼主@糖豆妈妈0612：",
    "kin_given_time": "我妹妹晓雯在",
    "other_calendar": "生于庚午年腊月",
    # session 54's second set: a handover's masked values, a trial's subject codes, initials after a shift
    "handover_masked": "3床 刘** 135****8821 ",
    "trial_subject": "受试者 S-023，",
    "shift_initials": "夜班 ZXY 签：",
    # session 55: a foreign national, a chat line by given name, a name written again in brackets, a surname
    # that is also a word before a title
    "foreign_national": "日本籍留学生山田健太，",
    "given_name_speaker": "\n丽娟：我",
    "bracketed_name": "患者：Sato Emi（佐藤惠美）",
    "word_surname_title": "那个常护士把全主任",
    # session 55's second set: pet names, nicknames after kinship words, initials after a bed
    "pet_name": "患儿乐乐，",
    "kin_familiar": "我阿姐阿英，朋友强哥",
    "bed_initials": "2床ZXM，3床周、",
    # session 55's third set: a Latin name introduced by its bearer, a quoted nickname, a married name
    "latin_self": "I'm Emily Carter，",
    "quoted_nickname": "室友“胖丁”",
    "married_name": "祖母龚王氏与",
    # session 56: Japanese names where the text says the people are Japanese, an elder's title opening a clause, a
    # mail header's display name, a pet name before a parent, an identifier then its owner in brackets
    "japanese_name": "日籍患者佐藤健一，翻译山田美咲",
    "elder_opening": "，闫大爷在",
    "mail_display_name": "Hans Müller <hm@x.de> ",
    "pet_before_parent": "联系朵朵妈妈",
    "id_then_owner": "用户 HS02137（柯文静）",
    # session 56's later sets: an HL7 PID segment, a rare surname, a forum's poster, a parent greeted by the child's
    # name, a full name's given part said alone
    "hl7_pid": "PID|1||ZY2024040983||亓国庆||19560413|M\n",
    "rare_surname": "禚海燕刚打完针，",
    "forum_poster": "2楼 抗癌老兵_阿杰：",
    "greeted_parent": "佳怡妈妈您好，",
    "given_alone": "我叫王晓峰，晓峰他",
    # session 64: an engineer by surname, a name before its ethnic group, a given name before a contact, an address
    # run to its flat's number, a nickname before an age (then said again), a third Latin syllable
    "engineer": "张工这周",
    "ethnic_note": "岩温（傣族）",
    "given_details": "管理员海燕，QQ12345，",
    "address_to_number": "，住新界沙田禾輋邨豐和樓1203室",
    "nickname_age": "老孟，82岁，",
    "latin_third": "儿子Lim Wei Jie，",
    # session 65: a name before an identity number, before an ethnic group as a field, an elder's given name before
    # the full name, a Cyrillic name, 老 and a surname already named
    "name_then_id": "结算：郑国庆，社保卡号D1746，",
    "ethnic_field": "孕妇阿依努尔，维吾尔族，",
    "elder_full_name": "建国爷爷（刘建国）",
    "cyrillic": "患者Нурлан Абдрахманов，",
    "old_named": "韩老伯，说“老韩”",
    # session 65's second round: what others call someone, a nickname with no quotes, a parent speaking by the
    # child's name, a romanised Cantonese name, a Hangul name before 씨
    "called_by_others": "工友们都叫他耗子，",
    "nickname_unquoted": "外号叫小四川的那",
    "parent_speaker": "\n子涵妈妈：",
    "roman_cantonese": " CHAN Siu-ming，",
    "hangul_name": " 박서연 씨，",
    # session 66: Cantonese 生 with no cue, 阿 and a given name after a self-introduction, an @handle speaking, kana,
    # a place's name before a birth date, a year as a clause of its own, 老 and a surname before 在
    "cantonese_mr": "同房陳生成晚嗌痛",
    "cued_nickname": "我是同一条线的阿峰，",
    "at_speaker": "\n@夏目不是友人帐：",
    "kana_name": "やまだ はなこ，",
    "place_as_name": "患者黃山，民國79年2月14日生，",
    "year_clause": "来访者自称阿哲，99年的，",
    "old_surname_at": "，老覃在",
    # session 66's second round: a name of parts joined by · after a role, a mother's name before 之子, a chat export's
    # speaker, an export's key=value fields, a Malay name with binti
    "dotted_after_role": "志愿者帕丽旦·吐尔逊（",
    "whose_child": "，拉姆之子",
    "chat_export": "\n[12/3/24, 9:15 PM] Ah Boy: ok",
    "log_fields": " user=tenzin.norbu, birth=1994-08-30,",
    "malay_binti": " Noraini binti Hassan ",
    # session 67: a relative's given name before brackets, a user's quoted name before what the user did, a reviewer
    # before the city, a passenger's Irish surname
    "kin_bracketed": "其妹婉君（Ⅱ-3）",
    "quoted_user": "用户“一只胖橘”投诉：",
    "reviewer": "评价者海燕飞飞（青岛）",
    "irish_surname": "乘客Jack O'Brien，",
    # session 67's second round: GPS positions, a live stream's comment author, initials at a handover
    "gps": "定位N33°57'51\", E107°43'09\"，",
    "commenter": "\n【评论】向阳花开2023：",
    "handover_initials": "交班LMQ，接班zhx，",
    # session 68's first round: a photo's file name, a pupil after a class and a seat number, what someone is
    # called, a name in capitals as a passport spells it
    "file_name": "附图 zhangli_face_01.jpg、",
    "file_name_run": "zhangli_face_",
    "class_seat": "五（3）班 12号 王梓涵，",
    "called": "外婆喊他大宝，叫妈妈“小芳”",
    "spelt_caps": "护照拼写AYGUL MAMAT，",
    # session 68's second round: a nationality before a name with diacritics, a subject's code and initials
    "foreign_diacritics": "越南籍工人Trần Văn Phúc ",
    "code_initials": "受试者S05-021（LYQ）",
    # session 69's first round: a sibling's rank before a name, a care home's 老马（马德胜，…）, a quoted name and
    # its correction, masked card numbers and holders, a Latin name before what the family call the person
    "sibling_rank": "老三王建军和小五",
    "old_surname_named": "老马（马德胜，1941-02-17）",
    "quoted_correction": "名字写成了“陈建国”，实际应为“陈建华”，",
    "masked_account": "卡号6217 00** **** 4418，账户名*丽华，",
    "latin_called": "Siti Nur Farhana（家里人叫她Ana）",
    # session 69's second round: religious names, a household's members in brackets, what everyone calls someone
    "religious": "患者释慧明，修女若瑟芬陪同，若望神父",
    "household": "米建国（户主，1961年9月）、",
    "called_in_brackets": "杨志强（大伙都叫他强子）",
    # session 70's first round: a chat's senders and mentions, a bed's patient before the family, a corrected birth date
    "chat_sender": "【向日葵】：@海燕飞翔 恭喜\n",
    "bed_given_family": "8床文静由其母曾女士陪护，",
    "corrected_birth": "出生日期误录为1975-02-30，已更正为1975-03-02，",
    # session 70's second round: an e-mail spelt out, a transliterated name after a cue, a room before a name
    "spelt_email": "q i h a i y a n 八六 ",
    "transliterated": "投诉人阿依努尔称",
    "room_name": "209房钱秀英",
}


def _repeat(unit: str, chars: int) -> str:
    return (unit * (chars // len(unit) + 1))[:chars]


def _baseline_text(chars: int) -> str:
    sentences = [json.loads(line)["text"] for line in EVAL_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return _repeat("".join(sentences), chars)


def _clear_caches() -> None:
    for fn in (privacy.detect, privacy._confident_names, privacy._tokens, privacy._token_index, privacy._hmm_names):
        fn.cache_clear()


def _seconds(text: str) -> float:
    _clear_caches()
    t0 = time.process_time()
    privacy.deidentify(text)
    return time.process_time() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=100_000, help="length of each text (default 100,000)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    privacy.deidentify("我叫王小明，电话13812345678。")  # load the tokenizer before any clock starts
    baseline = _seconds(_baseline_text(args.chars))
    print(f"baseline (ordinary dialogue text, {args.chars:,} characters): {baseline:.2f} s CPU")
    seconds, ratio, growth = {}, {}, {}
    for shape, unit in SHAPES.items():
        small = _seconds(_repeat(unit, args.chars // 5))
        seconds[shape] = _seconds(_repeat(unit, args.chars))
        ratio[shape] = seconds[shape] / baseline
        growth[shape] = seconds[shape] / max(small, 1e-6)
        print(f"{shape:>18}: {seconds[shape]:6.2f} s  ratio {ratio[shape]:5.2f}  growth x5 length: {growth[shape]:5.1f}",
              flush=True)
    if args.json:
        print(json.dumps({"chars": args.chars, "baseline_seconds": baseline, "seconds": seconds, "ratio": ratio,
                          "growth": growth, "worst_ratio": max(ratio.values()),
                          "worst_growth": max(growth.values())}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
