"""The export's preparation takes shortcuts (issue 18): de-identification analyses each distinct text once per
export and skips dialogues whose texts do not change; statistics of replies with one, two or three ratings
skip the general loop; turns are grouped by runs. Each is checked here against the straightforward
computation on random hostile inputs: personal data and names in every kind of text, texts that are a reply
and a comment at once, dialogues whose candidates are not contiguous, odd scores and labels."""

from __future__ import annotations

import dataclasses
import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from workbench import privacy
from workbench.dates import utc_naive
from workbench.dialogue import Turn
from workbench.export import ExportCandidate, ExportContext, ExportFilters, RatingInfo
from workbench.export.context import _deidentify_candidates
from workbench.export.selection import (
    CandidateStats,
    Selected,
    _majority,
    _pick_correction,
    _selected,
    candidate_stats,
    group_turns,
    pool_identical,
    select_targets,
    text_turn_type,
    text_type_ok,
)
from workbench.privacy import DeidReport, Span, deidentify, names_in
from workbench.scope import Scope

PIECES = ["我叫王小明，电话13812345678。", "本人刘洋，女，34岁。", "邮箱a.b@163.com", "身份证号11010519491231002X",
          "住在北京市海淀区中关村大街5号", "张伟", "王小明您好", "刘洋", "=SUM(A1)", "\t", "\n", "", " ", "🙂", "头痛",
          "13912345678", "李医生", "请问还有其他症状吗？", "建议多休息。"]


def text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4)))


def candidates(seed: int, n_dialogues: int = 60) -> list[ExportCandidate]:
    rng = random.Random(seed)
    out: list[ExportCandidate] = []
    t0 = datetime(2025, 3, 1)
    gid = 0
    for d in range(n_dialogues):
        history: list[Turn] = []
        pool = [text(rng) for _ in range(4)]  # texts that recur as replies, comments and corrections
        for k in range(rng.randint(1, 4)):
            history.append(Turn("patient", text(rng)))
            shared = tuple(history) if rng.random() < 0.5 else list(history)
            for j in range(rng.randint(0, 5)):
                ratings = [RatingInfo(a, rng.choice([None, 1.0, 2.0, 4.5, 0.1, -0.0, 0.2, 0.7]),
                                      rng.choice([None, 1.0, 3.0, 0.3, 5.0]),
                                      rng.choice([None, "", "question", "suggestion", "mixed"]), rng.random() < 0.2,
                                      rng.choice([None, "", text(rng), rng.choice(pool)]),
                                      rng.choice([None, " ", text(rng), rng.choice(pool)]),
                                      t0 + timedelta(hours=rng.randint(0, 50)),
                                      (("empathy", rng.choice([None, 2.0])),) if rng.random() < 0.1 else ())
                           for a in rng.choices(["a1", "a2", "a3", "a4"], k=rng.choice([0, 1, 2, 3, 3, 4]))]
                gid += 1
                out.append(ExportCandidate(
                    gid, d if d % 2 else f"d{d}", "set", 2 * k + 1, list(shared) if rng.random() < 0.2 else shared,
                    f"c{j}", f"m{j}", rng.choice(pool) if rng.random() < 0.5 else text(rng),
                    rng.choice([None, "question", "suggestion"]), ratings, rng.choice([None, 0.5, rng.random()]),
                    rng.sample(["a1", "a2"], rng.randint(0, 2)), rng.sample(["a3", "a4"], rng.randint(0, 1))))
            history.append(Turn("doctor", text(rng)))
    if seed % 2:  # dialogues interleaved: their candidates no longer come in one run
        rng.shuffle(out)
    return out


def straightforward_deid(cands: list[ExportCandidate], report: DeidReport) -> list[ExportCandidate]:
    """Every distinct text of a dialogue de-identified with the dialogue's names, counted under the field of
    its first occurrence (reply, then the ratings' comments and corrections, per candidate; then history)."""
    by_dialogue: dict[object, list[ExportCandidate]] = {}
    for c in cands:
        by_dialogue.setdefault(c.dialogue_id, []).append(c)
    clean: dict[int, ExportCandidate] = {}
    for group in by_dialogue.values():
        fields: dict[str, str] = {}
        for c in group:
            fields.setdefault(c.output, "output")
            for r in c.ratings:
                if r.comment:
                    fields.setdefault(r.comment, "comment")
                if r.corrected_reply:
                    fields.setdefault(r.corrected_reply, "corrected_reply")
        for c in group:
            for t in c.history:
                fields.setdefault(t.text, "history")
        names = names_in(fields)
        new: dict[str, str] = {}
        for s, where in fields.items():
            new[s], reds = deidentify(s, names)
            report.add(where, reds)
        for c in group:
            clean[id(c)] = dataclasses.replace(
                c, output=new[c.output], history=[Turn(t.role, new[t.text]) for t in c.history],
                ratings=[dataclasses.replace(r, comment=new[r.comment] if r.comment else r.comment,
                                             corrected_reply=new[r.corrected_reply] if r.corrected_reply
                                             else r.corrected_reply) for r in c.ratings])
    return [clean[id(c)] for c in cands]


def plain(c: ExportCandidate) -> tuple:
    return (c.generation_id, c.output, [(t.role, t.text) for t in c.history], list(c.ratings))


@pytest.mark.parametrize("seed", range(8))
def test_deidentification_equals_the_straightforward_pass(seed):
    cands = candidates(seed)
    fast_report, slow_report = DeidReport(), DeidReport()
    fast = _deidentify_candidates(cands, fast_report)
    slow = straightforward_deid(cands, slow_report)
    assert [plain(c) for c in fast] == [plain(c) for c in slow]
    assert fast_report.to_dict() == slow_report.to_dict()
    assert fast_report.texts_changed > 0 and fast_report.by_kind["name"] > 0
    # What did not change stays the same object; what changed is a copy, the original untouched.
    for before, after in zip(cands, fast, strict=True):
        if plain(before) == plain(after):
            assert after is before
        else:
            assert after is not before and after.generation_id == before.generation_id


def general_stats(c: ExportCandidate) -> CandidateStats:
    """candidate_stats' general loop, written out without its shortcuts."""
    rs = c.ratings
    who = tuple(dict.fromkeys(r.annotator for r in rs))
    qs = [r.questioning for r in rs if r.questioning is not None]
    ss = [r.suggestion for r in rs if r.suggestion is not None]
    q = sum(qs) / len(qs) if qs else None
    s = sum(ss) / len(ss) if ss else None
    overall = (q + s) / 2 if q is not None and s is not None else (q if s is None else s)
    labels = [r.turn_type for r in rs if r.turn_type]
    human = _majority(labels, c.turn_type_auto) if labels else None
    extra: dict[str, list[float]] = {}
    for r in rs:
        for axis, score in r.extra_scores:
            extra.setdefault(axis, [])
            if score is not None:
                extra[axis].append(score)
    stats = CandidateStats(
        who, q, s, len(rs), overall, human if human is not None else c.turn_type_auto,
        "human" if human is not None else ("auto" if c.turn_type_auto else None), any(r.safety_flag for r in rs),
        c.agreement, tuple(c.preferred_by), tuple(c.dispreferred_by),
        tuple((r.annotator, r.corrected_reply, r.created_at) for r in rs
              if r.corrected_reply and r.corrected_reply.strip()))
    if extra:
        stats.extra = tuple((a, sum(v) / len(v) if v else None) for a, v in extra.items())
    return stats


def same_stats(a: CandidateStats, b: CandidateStats) -> bool:
    # repr tells -0.0 from 0.0 and keeps every field
    return repr(a) == repr(b)


@pytest.mark.parametrize("seed", range(4))
def test_rating_stats_shortcuts_equal_the_general_loop(seed):
    cands = candidates(seed, 120)
    counts = Counter(len(c.ratings) for c in cands)
    assert all(counts[n] > 20 for n in (1, 2, 3))
    for c in cands:
        assert same_stats(candidate_stats(c), general_stats(c)), c
    # three labels, all different or two alike, with and without the automatic label among them
    rng = random.Random(seed)
    for _ in range(400):
        labels = [rng.choice(["question", "suggestion", "mixed", ""]) for _ in range(3)]
        c = ExportCandidate(1, 1, None, 1, (), "c", "m", "x", rng.choice([None, "question", "mixed", "other"]),
                            [RatingInfo(f"a{i}", 1.0, None, lab) for i, lab in enumerate(labels)])
        assert same_stats(candidate_stats(c), general_stats(c))


@pytest.mark.parametrize("seed", range(4))
def test_grouping_by_runs_equals_grouping_each_candidate(seed):
    cands = candidates(seed, 80)
    want: dict[tuple, list[ExportCandidate]] = {}
    for c in cands:
        want.setdefault((c.dialogue_id, c.turn_index), []).append(c)
    got = group_turns(cands, ExportFilters())
    assert list(got) == list(want)
    for key, group in got.items():
        pooled = pool_identical(want[key])
        assert [c.generation_ids for c, _ in group] == [c.generation_ids for c in pooled]
        assert all(same_stats(s, candidate_stats(c)) for c, s in group)


@pytest.mark.parametrize("seed", range(3))
def test_three_rating_means_add_as_sum(seed):
    """Three scores given: their mean is added from int 0, in order, as ``sum`` adds (-0.0, ints, huge ints)."""
    rng = random.Random(seed)
    scores = [None, -0.0, 0.0, 1, 3, 2**60 + 1, 0.1, 0.2, 0.7, 1e308, 4.5]
    for _ in range(2000):
        c = ExportCandidate(1, 1, None, 1, (), "c", "m", "x", None,
                            [RatingInfo(f"a{i}", rng.choice(scores), rng.choice(scores)) for i in range(3)])
        assert same_stats(candidate_stats(c), general_stats(c)), c


def general_correction(group: list, f: ExportFilters):
    """_pick_correction's general choice, written out: most annotators' text, then the latest, then the name."""
    found = [(c, s, a, t, at) for c, s in group for a, t, at in s.corrections if text_type_ok(t, f)]
    if not found:
        return None
    by_text = Counter(t for *_, t, _ in found)
    latest = {t: max((utc_naive(at) for *_, tt, at in found if tt == t and at is not None), default=None)
              for t in by_text}
    c, s, _, text_, _ = min(found, key=lambda x: (-by_text[x[3]], -(latest[x[3]].replace(tzinfo=UTC).timestamp()
                                                                       if latest[x[3]] else float("-inf")), x[2]))
    who = tuple(sorted({a for _, _, a, t, _ in found if t == text_}))
    return (c.generation_id, text_, "corrected", who, text_turn_type(text_))


@pytest.mark.parametrize("seed", range(4))
def test_one_correction_shortcut_equals_the_general_choice(seed):
    rng = random.Random(seed)
    cands = candidates(seed, 80)
    filters = [ExportFilters(), ExportFilters(scope=Scope(turn_types=("question",)))]
    groups = group_turns(cands, ExportFilters())
    sizes = Counter()
    for f in filters:
        for group in groups.values():
            n = sum(len(s.corrections) for _, s in group)
            sizes[min(n, 2)] += 1
            got = _pick_correction(group, f)
            want = general_correction(group, f)
            assert (None if got is None else (got.candidate.generation_id, got.target, got.source, got.annotators,
                                              got.turn_type)) == want
    assert sizes[1] > 10 and sizes[2] > 10
    # a time that is not one fails on either path
    bad = [(ExportCandidate(1, 1, None, 1, (), "c", "m", "x"), candidate_stats(ExportCandidate(
        1, 1, None, 1, (), "c", "m", "x", ratings=[RatingInfo("a", corrected_reply="请问", created_at=rng.choice(
            ["yesterday", 5]))])))]
    with pytest.raises((TypeError, AttributeError)):
        general_correction(bad, ExportFilters())
    with pytest.raises((TypeError, AttributeError)):
        _pick_correction(bad, ExportFilters())


def every_number_span(norm: str) -> list:
    """privacy._number_spans as it was before each regex got its own test of whether a match could be there."""
    spans = []
    # session 54: masked phones and ID numbers first
    spans += [Span(m.start(), m.end(), "phone") for m in privacy._MASKED_PHONE.finditer(norm)]
    spans += [Span(m.start(), m.end(), "id_number") for m in privacy._MASKED_ID.finditer(norm)]
    ids = list(privacy._ID_RE.finditer(norm))
    for m in ids:
        digits = m.group().replace(" ", "")
        if privacy._ID_CUE.search(norm, max(0, m.start() - 16), m.start()) or privacy._id_checksum_ok(digits):
            spans.append(Span(m.start(), m.end(), "id_number"))
    for m in privacy._ID_ANY_GROUPING.finditer(norm):  # any grouping after the cue, unless _ID_RE took it
        if (m.span() not in {i.span() for i in ids} and privacy._ID_DIGITS.fullmatch(re.sub(r"[ \-]", "", m.group()))
                and privacy._ID_CUE.search(norm, max(0, m.start() - 16), m.start())):
            spans.append(Span(m.start(), m.end(), "id_number"))
    for label, rx in privacy._CUED:
        # session 55: a numbered device of the ward or the laboratory is nobody's
        # (session 63: an insurer's 会员号 is an account)
        spans.extend(Span(m.start("v"), m.end("v"), "account" if label == "other" and "会员" in m.group()
                          and privacy._INSURER_AROUND.search(norm, max(0, m.start() - 40), m.end() + 40) else label)
                     for m in rx.finditer(norm)
                     if not (label == "other" and privacy._DEVICE_CUE.search(m.group())
                             and privacy._ward_equipment(norm, m.start())))
    # session 54's Taiwan IDs (not after an order's or a parcel's number), then trial subjects where the text is a
    # trial's
    spans.extend(Span(m.start(), m.end(), "id_number") for m in privacy._TW_ID_RE.finditer(norm)
                 if privacy._tw_id_ok(m.group())
                 and not privacy._NOT_A_PERSON_NUMBER.search(norm, max(0, m.start() - 8), m.start()))
    if privacy._TRIAL_GATE.search(norm):
        spans.extend(Span(m.start(), m.end(), "other") for m in privacy._TRIAL_SUBJECT.finditer(norm)
                     if not privacy._NOT_A_PERSON_NUMBER.search(norm, max(0, m.start() - 8), m.start()))
    # session 53's rules, each behind its own gate in privacy: Hong Kong IDs, a local number after 电话, an e-mail
    # address read out
    spans.extend(Span(m.start(), m.end(), "id_number") for m in privacy._HKID_RE.finditer(norm)
                 if privacy._hkid_ok(m.group("l"), m.group("d"), m.group("c"))
                 or privacy._ID_CUE.search(norm, max(0, m.start() - 16), m.start()))  # session 63: after 身份证
    for m in privacy._CARD_RE.finditer(norm):
        digits = m.group().replace(" ", "").replace("-", "")
        if 16 <= len(digits) <= 19 and privacy._luhn_ok(digits):
            spans.append(Span(m.start(), m.end(), "account"))
    # session 55: not an invoice's number shaped like a landline
    spans.extend(Span(m.start(), m.end(), "phone") for m in privacy._PHONE_RE.finditer(norm)
                 if not (m.group().startswith("0")
                         and privacy._NOT_A_PHONE_BEFORE.search(norm, max(0, m.start() - 10), m.start())))
    spans.extend(Span(m.start("v"), m.end("v"), "phone") for m in privacy._CUED_LOCAL_PHONE.finditer(norm))
    spans.extend(Span(m.start("v"), m.end("v"), "phone") for m in privacy._CUED_INTL_PHONE.finditer(norm)
                 if 8 <= sum(ch.isdigit() for ch in m.group("v")) <= 15)  # session 55: after an English phone word
    spans.extend(Span(m.start("v"), m.end("v"), "phone") for m in privacy._CUED_SPACED_PHONE.finditer(norm)
                 if len(m.group("v").replace(" ", "").replace("-", "")) >= 7)  # session 54: a scanned form's
    spans.extend(Span(m.start(), m.end(), "email") for m in privacy._EMAIL_RE.finditer(norm))
    spans.extend(Span(m.start(), m.end(), "email") for m in privacy._SPOKEN_EMAIL_RE.finditer(norm)
                 if re.fullmatch(privacy._MAIL_PROVIDER, m.group("domain"), re.IGNORECASE)
                 or privacy._EMAIL_CUE.search(norm, max(0, m.start() - 16), m.start()))
    if "." in norm or ":" in norm:
        spans.extend(Span(m.start(), m.end(), "ip") for m in privacy._IP_RE.finditer(norm)
                     if not privacy._VERSION_BEFORE.search(norm, max(0, m.start() - 8), m.start()))
    for m in privacy._PLATE_RE.finditer(norm):
        if m.start() == 0 or not norm[m.start() - 1].isascii() or not norm[m.start() - 1].isalnum():
            spans.append(Span(m.start(), m.end(), "plate"))
    # every time (the old shared gate missed D.O.B); a bare year before a group of people (2018年生的新生儿) is a cohort
    spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in privacy._DOB_BEFORE.finditer(norm))
    spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in privacy._DOB_AFTER.finditer(norm)
                 if not (privacy._BARE_YEAR.fullmatch(m.group("v").strip()) and privacy._COHORT.match(norm, m.end())))
    # session 54: a roster's date after the sex, and the same year in the common calendar after a birth date
    spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in privacy._DATE_AFTER_SEX.finditer(norm))
    # session 55: a newborn's birth date with its hour
    spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in privacy._DOB_AT_HOUR.finditer(norm))
    # session 56: a ward board's newborn and the date after it
    spans.extend(Span(m.start("v"), m.end("v"), "date_of_birth") for m in privacy._NEWBORN_DATE.finditer(norm))
    for born in [s for s in spans if s.label == "date_of_birth"]:
        if m := privacy._SAME_YEAR_AFTER.match(norm, born.end):
            spans.append(Span(m.start("v"), m.end("v"), "date_of_birth"))
    return spans


NUMBER_PIECES = ["192.168.1.10", "10.0.0", "1.2.3.4.5", "fe80:0:0:0:0:0:0:1", "a:b:c:d:e:f:1:2", "::", ":", ".", "。",
                 "1990年3月5日出生", "1990-03-05生", "新生儿 女 2024年5月7日 03:42", "九〇年生人", "八九年", "85年5月出生", "出生于1985年", "生日：3月5日",
                 "DOB 1990/01/02", "D.O.B. 2001-1-1", "Date of birth: 1999年", "医生", "生", "年", "18", "19", "20",
                 "２０００年", "１９２.１６８.０.１", "١٩٩٠", "٣.٤", "7.5", "v1.2", "邮箱a.b@163.com", "13812345678",
                 "身份证11010519491231002X", "身份证 110105 1949 1231 002X", "ID card 110105 194912 31002X",
                 "微信号abc_12345", "京A12345", "，", " ", "\n", "abc", "生。", "2020 年生",
                 "010-12345678", "(0755)1234 5678", "400-123-4567", "800 1234567", "+86 138 1234 5678", "0086-139",
                 "一三八一二三四五六七八", "幺三九零零零零一一一一", "1-3-8-1-2-3-4-5-6-7-8", "12", "0", "5678", "７",
                 "K482163(7)", "A123456(3)", "电话", "电话8329 6615", "zhang at 一六三 点 com", "邮箱 li at pku dot cn",
                 "B215580948", "订单", "手机 1 3 8 - 1 2 3 4", "手提", "電話", "女，", "男 ", "1992/04/18",
                 "（公历1990年）", "，即1949年", "庚午年", "民国三十八年", "生人", "喺医院出世", "(02)2771-8836",
                 "135****8821", "4401**********031X", "受试者", "S-023", "版本 ", "+60 12-345 6789",
                 # session 55: an invoice's number, the ward's device, a bare birth year, a log's key
                 "票据号码：", "本科室", "设备编号SN12345678", "出生年份：1990", "出生日期：78.4.9", "patient_id=ZY12345",
                 "2024年6月9日10:23出生", "生个", "mobile 0491 570 156", "My UK mobile is +44 7700 900481", "1898年生于",
                 "born on March 4, 1979", "Medicare number 2953 71648 1"]


@pytest.mark.parametrize("seed", range(4))
def test_number_regex_gates_equal_running_every_regex(seed):
    rng = random.Random(seed)
    hits = Counter()
    for _ in range(3000):
        norm = privacy.normalize("".join(rng.choice(NUMBER_PIECES) for _ in range(rng.randint(1, 6))))
        want = every_number_span(norm)
        assert privacy._number_spans(norm) == want, norm
        hits.update(s.label for s in want)
    assert hits["ip"] > 50 and hits["date_of_birth"] > 50 and hits["phone"] > 50


def test_selected_without_init_equals_the_dataclass():
    c = candidates(0, 3)[0]
    s = candidate_stats(c)
    for args in [(c, "t", "score", s, ("a",)), (c, c.output, "corrected", s, (), "question")]:
        made, want = _selected(*args), Selected(*args)
        assert made == want and repr(made) == repr(want) and dataclasses.asdict(made) == dataclasses.asdict(want)
        assert vars(made) == vars(want) and list(vars(made)) == list(vars(want))
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(made, "target", "x")  # noqa: B010 (the frozen dataclass refuses it)


@pytest.mark.parametrize("seed", range(4))
def test_selected_order_equals_sorting_every_turn(seed):
    """The context's selection keeps the groups' order when it is already by dialogue then turn, else sorts:
    either way the order of select_targets (which always sorts)."""
    cands = candidates(seed, 80)
    for variant in (cands, cands[::-1], sorted(cands, key=lambda c: c.turn_index)):
        ctx = ExportContext.build(variant, ExportFilters(), deidentify=False)
        got = [(s.candidate.generation_id, s.target, s.source) for s in ctx.selected]
        want = [(s.candidate.generation_id, s.target, s.source) for s in select_targets(variant, ExportFilters())]
        assert got == want and len(got) > 20
