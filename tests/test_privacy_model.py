"""Tests for de-identification's learned tagger: numpy inference equals sklearn, the file is built at first use
and rebuilt when the labelled sets change, no pickle is read, a missing tagger falls back to the rules (said
once), the blend only adds to the rules, and it finds what the rules miss."""

from __future__ import annotations

import io
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from workbench import privacy_model, privacy_tagger
from workbench.privacy import detect
from workbench.privacy_model import (
    BLEND_LABELS,
    ModelUnavailable,
    blend,
    decode,
    default_model,
    detect_blended,
    encode,
    feature_keys,
    load_model,
    model_view,
)
from workbench.privacy_training import (
    CLASSES,
    MAX_ITER,
    char_matrix,
    data_hash,
    design_matrix,
    ensure_built,
    fit,
    read_labelled,
    train,
    training_files,
    vocabulary,
    write_npz,
)

ROOT = Path(__file__).resolve().parents[1]
SMALL = [
    ("我叫王芳，电话13812345678。", [(2, 4, "name"), (7, 18, "other")]),
    ("患者李建国，男，45岁。", [(2, 5, "name")]),
    ("住在幸福小区3栋。", [(2, 9, "address")]),
    ("微信号abc_123，出生日期1980年1月2日", [(3, 10, "account"), (15, 24, "date_of_birth")]),
    ("咳嗽三天了，要吃什么药？", []),
    ("Dr. Smith said ok", [(4, 9, "name")]),
    ("建议多喝水。", []),
    ("小明今天发烧了", [(0, 2, "name")]),
] * 2


def _fit_small(dtype: type) -> tuple[dict[str, np.ndarray], Any, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    arrays = fit(SMALL, min_df=1, dtype=dtype)
    keys, y = char_matrix(SMALL)
    vocab = vocabulary(keys, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = LogisticRegression(C=1.0, max_iter=MAX_ITER).fit(design_matrix(keys, vocab), y)
    return arrays, clf, vocab


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numpy_inference_equals_sklearn_predict_proba(dtype: type) -> None:
    arrays, clf, vocab = _fit_small(dtype)
    buf = io.BytesIO()
    write_npz(buf, arrays)
    buf.seek(0)
    model = load_model(buf)
    for text in ["我叫李娜，电话13900001111。", "今天好多了", "QQ号 99887766", "", "a", "張醫生說", "x\u200by"]:
        got = model.proba(model_view(text))
        expected = clf.predict_proba(design_matrix(feature_keys(*encode(model_view(text))), vocab)) \
            if text else np.zeros((0, len(clf.classes_)))
        assert got.shape[0] == len(text)
        np.testing.assert_allclose(got[:, clf.classes_], expected, atol=1e-6)


def test_features_of_a_character_read_only_its_window() -> None:
    alone = feature_keys(*encode("天我叫王芳。谢"))
    assert alone.shape[0] == 7
    # 王 sees three characters each side and nothing further: its keys are the same inside a longer text
    longer = feature_keys(*encode("12天我叫王芳。谢ab"))
    assert (longer[5] == alone[3]).all()
    assert not (longer[2] == alone[0]).all()  # (天 sees 12 where alone it saw the padding)


def test_npz_is_deterministic_and_holds_no_objects(tmp_path: Path) -> None:
    arrays = fit(SMALL, min_df=1)
    write_npz(tmp_path / "a.npz", arrays)
    write_npz(tmp_path / "b.npz", fit(SMALL, min_df=1))
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    default_model()
    with np.load(privacy_model.model_path(), allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


def test_this_machines_tagger_is_built_from_the_current_labelled_files() -> None:
    model = default_model()
    assert model.data_hash == data_hash(training_files(ROOT), ROOT)
    assert model.classes == CLASSES
    params = json.loads(model.params)
    assert params["n_lines"] == len(read_labelled(training_files(ROOT))) > 3000
    assert privacy_model.model_path().stat().st_size < 8_000_000


def _labelled_root(root: Path, rows: list[tuple[str, list[tuple[int, int, str]]]], name: str = "deid_a") -> Path:
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    with (root / "annotations" / f"{name}.jsonl").open("w", encoding="utf-8") as f:
        for text, spans in rows:
            f.write(json.dumps({"text": text, "spans": [{"start": a, "end": b, "label": lab} for a, b, lab in spans]},
                               ensure_ascii=False) + "\n")
    return root


def test_the_tagger_is_built_at_first_use_kept_and_rebuilt_when_a_set_changes(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = _labelled_root(tmp_path / "repo", SMALL)
    out = tmp_path / "cache" / "privacy_model.npz"
    with caplog.at_level(logging.WARNING):
        first = ensure_built(out, root)
    assert out.exists() and first.data_hash == data_hash(training_files(root), root)
    assert any("building de-identification's tagger" in r.getMessage() for r in caplog.records)
    stamp = out.stat().st_mtime_ns
    caplog.clear()
    again = ensure_built(out, root)  # current: read, not fitted again
    assert out.stat().st_mtime_ns == stamp and again.data_hash == first.data_hash
    assert not any("building" in r.getMessage() for r in caplog.records)
    _labelled_root(root, [("请联系张伟，谢谢。", [(3, 5, "name")])] * 3, "deid_b")  # a set is added
    rebuilt = ensure_built(out, root)
    assert rebuilt.data_hash == data_hash(training_files(root), root) != first.data_hash
    assert json.loads(rebuilt.params)["n_lines"] == len(SMALL) + 3
    out.write_bytes(b"half a file")  # broken: fitted again
    assert ensure_built(out, root).data_hash == rebuilt.data_hash
    assert not list(out.parent.glob("*.tmp"))  # written atomically, no leftovers


def test_a_tagger_that_cannot_be_built_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="no labelled de-identification sets"):
        ensure_built(tmp_path / "cache" / "m.npz", tmp_path / "empty")
    root = _labelled_root(tmp_path / "repo", SMALL)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ModelUnavailable, match="cannot build the de-identification tagger"):
        ensure_built(tmp_path / "file" / "m.npz", root)  # its folder cannot be made
    assert train(root, tmp_path / "m.npz")["lines"] == len(SMALL)


def test_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="cannot read"):
        load_model(tmp_path / "absent.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelUnavailable, match="bad.npz"):
        load_model(tmp_path / "bad.npz")
    np.savez(tmp_path / "partial.npz", keys=np.ones(2))
    with pytest.raises(ModelUnavailable, match="missing"):
        load_model(tmp_path / "partial.npz")


def test_without_the_model_the_blend_is_the_rules_and_says_so_once(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def absent() -> None:
        raise ModelUnavailable("privacy_model.npz: cannot read the de-identification model: absent")

    privacy_model._model.cache_clear()
    monkeypatch.setattr(privacy_model, "default_model", absent)
    try:
        with caplog.at_level(logging.WARNING, logger=privacy_model.__name__):
            texts = ["我叫王芳", "电话13812345678", "建议多喝水", *LOOK_ALIKES]
            assert [detect_blended(t) for t in texts] == [detect(t) for t in texts]
        assert sum("rules alone" in r.getMessage() for r in caplog.records) == 1
    finally:
        privacy_model._model.cache_clear()


def test_blend_keeps_every_rule_span_and_adds_only_where_the_rules_found_nothing() -> None:
    model = default_model()
    rows = read_labelled([ROOT / "annotations" / "deid_eval.jsonl"])
    for text, _ in rows[:200]:
        rules = detect(text)
        for threshold in (0.05, model.threshold):
            got = blend(text, rules, model, threshold)
            assert set(rules) <= set(got), text
            added = [s for s in got if s not in rules]
            assert all(not s.confident and not any(s.start < r.end and r.start < s.end for r in rules) for s in added)
            assert all(s.label in BLEND_LABELS for s in added)
            every = blend(text, rules, model, threshold, labels=None)
            assert set(got) <= set(every)


def test_the_blend_adds_names_and_accounts_only() -> None:
    # the tagger's `other` takes order, batch and extension numbers, lab values and prices: left to the rules
    assert BLEND_LABELS == {"name", "account"}
    text = "会员编码 VX-88213-KL 请保留。"
    at = text.index("VX-88213-KL")
    every = blend(text, detect(text), default_model(), labels=None)
    assert any(s.start <= at < s.end and s.label == "other" for s in every)
    assert detect_blended(text) == detect(text)


def test_decode_trims_and_labels_runs() -> None:
    p = np.array([[0.9, 0.1, 0, 0, 0, 0], [0.1, 0.8, 0, 0, 0, 0.1], [0.2, 0.7, 0, 0, 0, 0.1], [0.3, 0.1, 0, 0, 0, 0.6],
                  [0.9, 0.1, 0, 0, 0, 0]])
    assert decode("我王芳，好", p, CLASSES, 0.5) == [(1, 3, "name")]
    assert decode("我王芳，好", p, CLASSES, 0.95) == []


def _sure(*personal: float) -> np.ndarray:
    """Rows of class probabilities whose ``1 - P(O)`` is each of ``personal``, all of it on ``name``."""
    return np.array([[1 - x, x, 0, 0, 0, 0] for x in personal])


def test_decode_widens_a_run_over_the_letters_it_is_fairly_sure_of() -> None:
    """Walk s69: 昨天张丽华来复诊 exported as 昨天[姓名]华来复诊, the name's last character scored under the threshold."""
    text = "昨天张丽华来复诊"
    assert decode(text, _sure(0.1, 0.2, 0.95, 0.93, 0.6, 0.3, 0.1, 0.1), CLASSES, 0.9) == [(2, 5, "name")]
    assert decode(text, _sure(0.1, 0.2, 0.95, 0.93, 0.4, 0.3, 0.1, 0.1), CLASSES, 0.9) == [(2, 4, "name")]
    assert decode(text, _sure(0.1, 0.6, 0.95, 0.93, 0.6, 0.3, 0.1, 0.1), CLASSES, 0.9) == [(1, 5, "name")]
    # not over punctuation, and a lone sure character (left out) is not brought back by its neighbours
    assert decode("王，丽华", _sure(0.6, 0.7, 0.95, 0.93), CLASSES, 0.9) == [(2, 4, "name")]
    assert decode("张丽华", _sure(0.6, 0.95, 0.6), CLASSES, 0.9) == []


# Sentences written for this test (in no labelled set) with personal data the rules miss: a lone given name with
# no cue, a handle in no pattern. The tagger, blended at its threshold (0.9), finds each.
LOOK_ALIKES = {
    "嘉怡上周做了胃镜，结果还没出来。": "嘉怡",
    "昨天浩宇和欣妍一起来打的疫苗。": "浩宇",
    "有问题可以加我的号 tangtang_mama2019 私聊。": "tangtang_mama2019",
}


@pytest.mark.parametrize("text,value", LOOK_ALIKES.items())
def test_the_blend_finds_what_the_rules_miss(text: str, value: str) -> None:
    at = text.index(value)
    assert not any(s.start < at + len(value) and at < s.end for s in detect(text))
    found = detect_blended(text)
    assert any(s.start < at + len(value) and at < s.end for s in found), [text[s.start:s.end] for s in found]


def test_texts_scored_together_score_exactly_as_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    model = default_model()
    texts = [t for t, _ in read_labelled([ROOT / "annotations" / "deid_eval.jsonl"])][:300]
    texts += ["", "a", "王芳", "x\0y 李雷的电话13912345678", "  ", "住院号 ZY-2024-0088，王建国", *LOOK_ALIKES]
    views = [model_view(t) for t in texts]
    alone = [model.spans(v) for v in views]
    assert privacy_model.DeidModel.spans_many(model, views) == alone
    monkeypatch.setattr(privacy_tagger, "_BATCH_CHARS", 50)  # many batches, a text longer than one alone
    assert model.spans_many(views) == alone
    assert model.spans_many(views, 0.3) == [model.spans(v, 0.3) for v in views]
    assert sum(map(len, alone)) > 50  # (the texts hold spans to compare)


def test_the_exports_detector_equals_detect_thorough_primed_or_not() -> None:
    texts = [t for t, _ in read_labelled([ROOT / "annotations" / "deid_eval.jsonl"])][:200] + list(LOOK_ALIKES)
    detector = privacy_model.ThoroughDetector()
    assert [detector(t) for t in texts[:20]] == [privacy_model.detect_thorough(t) for t in texts[:20]]
    detector.prime(texts)
    assert [detector(t) for t in texts] == [privacy_model.detect_thorough(t) for t in texts]


def test_the_workbench_start_builds_the_tagger_in_the_background(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import launch
    from workbench import model_files

    default_model()  # this machine's, current
    assert launch.start_tagger() == "ready"
    monkeypatch.setenv(model_files.CACHE_DIR_ENV, str(tmp_path / "cache"))  # a fresh machine: none built
    privacy_model.default_model.cache_clear()
    try:
        said = launch.start_tagger()  # returns at once: the UI answers while it builds
        assert said.startswith("building in the background"), said
        builder = next(t for t in threading.enumerate() if t.name == "deid-tagger")
        assert builder.daemon
        builder.join(300)
        assert (tmp_path / "cache" / privacy_model.MODEL_FILE).exists()
        assert launch.start_tagger() == "ready"
    finally:
        privacy_model.default_model.cache_clear()
