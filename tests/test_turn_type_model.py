"""Tests for the classifier's learned model: numpy inference equals sklearn, the committed file is current, no
pickle is read, a missing file falls back to the rules, and held out it beats the rules' first contact."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import pytest

from workbench.annotate import classifier
from workbench.annotate.classifier import BLEND_WEIGHT, blend, classify, classify_rules
from workbench.annotate.turn_type_model import MODEL_PATH, ModelUnavailable, char_wb_ngrams, load_model
from workbench.annotate.turn_type_training import (
    TRAIN_COMMAND,
    data_hash,
    fit,
    fit_model,
    read_labelled,
    training_files,
    write_npz,
)

ROOT = Path(__file__).resolve().parents[1]
# The rules' accuracy on first contact with session 66's six sets (README, commits 0d0284c and 8f1de61).
S66_FIRST_CONTACT = {"classifier_s66": 0.900, "classifier_s66b": 0.925, "classifier_s66c": 0.867,
                     "classifier_s66d": 0.900, "classifier_s66e": 0.892, "classifier_s66f": 0.950}
# Session 67's four sets, first contact (tests/test_classifier.py's comment): neither the rules nor the model had seen them.
S67_FIRST_CONTACT = {"classifier_s67": 0.958, "classifier_s67b": 0.975, "classifier_s67c": 0.892,
                     "classifier_s67d": 0.942}
# Session 68's four sets, first contact (tests/test_classifier.py's comment): neither the rules nor the model had seen them.
S68_FIRST_CONTACT = {"classifier_s68": 0.900, "classifier_s68b": 0.942, "classifier_s68c": 0.925,
                     "classifier_s68d": 0.933}
# Session 69's four sets, first contact (tests/test_classifier.py's comment): neither the rules nor the model had seen them.
S69_FIRST_CONTACT = {"classifier_s69": 0.892, "classifier_s69b": 0.942, "classifier_s69c": 0.925,
                     "classifier_s69d": 0.950}
# Session 70's four sets, first contact (tests/test_classifier.py's comment): neither the rules nor the model had seen them.
S70_FIRST_CONTACT = {"classifier_s70": 0.950, "classifier_s70b": 0.933, "classifier_s70c": 0.917,
                     "classifier_s70d": 0.942}
# Session 71's two sets, first contact on main ca2e86b (docs/evaluation.md): neither the rules nor the model had seen them.
S71_FIRST_CONTACT = {"classifier_s71": 0.917, "classifier_s71b": 0.942}
# Session 72's two sets, first contact on main d2fb265 (tests/test_classifier.py's comment): neither the rules nor the
# model had seen them.
S72_FIRST_CONTACT = {"classifier_s72": 0.958, "classifier_s72b": 0.950}
SMALL = [("咳嗽有痰吗？", "question"), ("建议多喝水，注意休息。", "suggestion"), ("好的，不客气", "other"),
         ("发烧几天了？先吃退烧药。", "mixed"), ("Do you smoke?", "question"), ("Drink more  water.", "suggestion"),
         ("有没有过敏史", "question"), ("先观察两天", "suggestion"), ("谢谢", "other"), ("疼吗？多休息", "mixed"),
         ("請問您幾歲", "question"), ("別著急，慢慢來", "other")] * 2


def test_analyzer_is_sklearns_char_wb() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4)).build_analyzer()
    for text in ["", "a", "ab", "Hello  World\tA", " 请问 您 多大了？ ", "x\n\n y", "abc  ", *(t for t, _ in SMALL)]:
        assert char_wb_ngrams(text) == analyzer(text), text


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numpy_inference_equals_sklearn_predict_proba(dtype: type) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels = [t for t, _ in SMALL], [y for _, y in SMALL]
    buf = io.BytesIO()
    write_npz(buf, fit(texts, labels, min_df=1, dtype=dtype))
    buf.seek(0)
    model = load_model(buf)
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), min_df=1, sublinear_tf=True)
    clf = LogisticRegression(C=5.0, max_iter=3000).fit(vec.fit_transform(texts), labels)
    probe = [*texts, "你咳嗽吗", "建议复查", "unseen words only", "？？", "Hello"]
    expected = clf.predict_proba(vec.transform(probe))
    got = np.array([[model.predict_proba(t)[c] for c in clf.classes_] for t in probe])
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_npz_is_deterministic_and_holds_no_objects(tmp_path: Path) -> None:
    arrays = fit([t for t, _ in SMALL], [y for _, y in SMALL], min_df=1)
    write_npz(tmp_path / "a.npz", arrays)
    write_npz(tmp_path / "b.npz", arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(MODEL_PATH, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


def test_committed_model_was_trained_on_the_current_labelled_files() -> None:
    model = load_model(MODEL_PATH)
    assert model.data_hash == data_hash(training_files(ROOT), ROOT), (
        f"the labelled sets changed since {MODEL_PATH.name} was trained: run `{TRAIN_COMMAND}` and commit it")
    assert MODEL_PATH.stat().st_size < 4_000_000


def test_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="cannot read"):
        load_model(tmp_path / "absent.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelUnavailable, match="bad.npz"):
        load_model(tmp_path / "bad.npz")
    np.savez(tmp_path / "partial.npz", idf=np.ones(2))
    with pytest.raises(ModelUnavailable, match="missing"):
        load_model(tmp_path / "partial.npz")


def test_without_the_model_classify_is_the_rules_and_says_so_once(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def absent() -> None:
        raise ModelUnavailable("turn_type_model.npz: cannot read the turn-type model: absent")

    classifier._model.cache_clear()
    monkeypatch.setattr(classifier, "default_model", absent)
    try:
        with caplog.at_level(logging.WARNING, logger=classifier.__name__):
            texts = ["咳嗽有痰吗？", "建议多喝水。", "好的"]
            assert [classify(t) for t in texts] == [classify_rules(t) for t in texts]
        assert sum("rules alone" in r.getMessage() for r in caplog.records) == 1
    finally:
        classifier._model.cache_clear()


def test_blend_normalises_and_names_an_overruling() -> None:
    rules = classify_rules("建议多喝水。")
    assert rules.turn_type == "suggestion"
    agree = blend(rules, {"question": 0.1, "suggestion": 0.7, "mixed": 0.1, "other": 0.1})
    assert agree.turn_type == "suggestion" and agree.cues == rules.cues
    assert agree.confidence == pytest.approx((0.7 + BLEND_WEIGHT * rules.confidence) / (1 + BLEND_WEIGHT * rules.confidence),
                                             abs=1e-4)
    over = blend(rules, {"question": 0.9, "suggestion": 0.04, "mixed": 0.03, "other": 0.03})
    assert over.turn_type == "question" and 0 < over.confidence < 1
    assert any("overruled" in c for c in over.cues)


def test_empty_reply_stays_other() -> None:
    for text in ["", "  ", "。"]:
        assert classify(text).turn_type == "other"


@pytest.mark.parametrize("first_contacts", [S66_FIRST_CONTACT, S67_FIRST_CONTACT, S68_FIRST_CONTACT,
                                            S69_FIRST_CONTACT, S70_FIRST_CONTACT, S71_FIRST_CONTACT,
                                            S72_FIRST_CONTACT],
                         ids=["s66", "s67", "s68", "s69", "s70", "s71", "s72"])
def test_heldout_session_blend_beats_the_rules_first_contact(first_contacts: dict[str, float]) -> None:
    """Refit without one session (about 15 s) and score its sets. The model alone never saw them, nor did
    the rules at first contact; the blend's rules have, so only its mean is compared (with the model's)."""
    files = training_files(ROOT)
    held = [f for f in files if f.stem in first_contacts]
    assert len(held) == len(first_contacts)
    model = fit_model(read_labelled([f for f in files if f not in held]))
    first_contact = sum(first_contacts.values()) / len(held)
    model_acc, blend_acc = [], []
    for f in held:
        rows = read_labelled([f])
        probs = [model.predict_proba(t) for t, _ in rows]
        model_acc.append(np.mean([max(p, key=p.__getitem__) == y for p, (_, y) in zip(probs, rows, strict=True)]))
        blend_acc.append(np.mean([blend(classify_rules(t), p).turn_type == y for p, (t, y) in zip(probs, rows, strict=True)]))
    assert np.mean(model_acc) > first_contact, (model_acc, first_contact)
    assert np.mean(blend_acc) > np.mean(model_acc), (blend_acc, model_acc)
    assert np.mean(blend_acc) > first_contact + 0.03, (blend_acc, first_contact)
