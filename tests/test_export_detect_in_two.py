"""A large export's spans found on two cores (``workbench.export.detect_in_two``): the de-identified candidates
and the report of one core, with the rules alone and in thorough mode, whatever the second process does."""

from __future__ import annotations

import logging
import os

import psutil
import pytest

from tests.test_export_prepare_fast_paths import candidates, plain
from workbench import privacy
from workbench.export.context import _by_dialogue, _deidentify_candidates, _DialogueTexts
from workbench.export.detect_in_two import MIN_CHARS, FoundDetector, detect_in_two
from workbench.export.second_process import can_fork
from workbench.privacy import DeidReport, detect

needs_fork = pytest.mark.skipif(not can_fork(), reason="no os.fork on this system")


def _texts(cands) -> set[str]:
    by_dialogue, _ = _by_dialogue(list(cands))
    return set().union(*(_DialogueTexts.of(c).texts for c in by_dialogue.values()))


def _cold() -> None:
    """Empty the rules' caches, so the second process searches rather than this one remembering."""
    for cached in (privacy.detect, privacy._deidentify_alone):
        cached.cache_clear()


@needs_fork
@pytest.mark.parametrize("seed", range(3))
def test_two_cores_de_identify_as_one(seed, forks) -> None:
    cands = candidates(seed)
    one, two = DeidReport(), DeidReport()
    _cold()
    expected = _deidentify_candidates(cands, one, parallel=False)
    assert not forks
    _cold()
    got = _deidentify_candidates(cands, two, parallel=True)
    assert len(forks) == 1
    assert [plain(c) for c in got] == [plain(c) for c in expected]
    assert two.to_dict() == one.to_dict()
    assert one.texts_changed > 0 and one.by_kind["name"] > 0
    assert not psutil.Process().children()


@needs_fork
def test_the_second_process_finds_every_other_texts_spans_as_this_one_would(forks) -> None:
    texts = _texts(candidates(0))
    _cold()
    found = detect_in_two(texts, detect, parallel=True)
    assert isinstance(found, FoundDetector) and len(forks) == 1
    assert len(found.found) == len(texts) // 2  # its share: every other text
    _cold()
    assert all(got == (detect(text), tuple(sorted(privacy.names_in((text,))))) for text, got in found.found.items())
    assert any(spans for spans, _ in found.found.values())  # personal data among them, not only empty answers
    assert any(names for _, names in found.found.values())


@needs_fork
def test_thorough_mode_on_two_cores_de_identifies_as_on_one(forks) -> None:
    from workbench.privacy_model import ThoroughDetector

    cands = candidates(1)
    one, two = DeidReport(), DeidReport()
    _cold()
    expected = _deidentify_candidates(cands, one, ThoroughDetector(), parallel=False)
    _cold()
    got = _deidentify_candidates(cands, two, ThoroughDetector(), parallel=True)
    assert len(forks) == 1
    assert [plain(c) for c in got] == [plain(c) for c in expected]
    assert two.to_dict() == one.to_dict()


@needs_fork
@pytest.mark.parametrize("failure", ["raises", "dies"])
def test_a_failing_second_process_costs_time_not_spans(forks, caplog, failure: str) -> None:
    parent = os.getpid()

    def detector(text: str):
        if os.getpid() != parent:  # only in the second process
            if failure == "dies":
                os._exit(9)
            raise RuntimeError("the child's search failed")
        return detect(text)

    cands = candidates(2)
    one, two = DeidReport(), DeidReport()
    expected = _deidentify_candidates(cands, one, parallel=False)
    with caplog.at_level(logging.WARNING, logger="workbench.export.second_process"):
        got = _deidentify_candidates(cands, two, detector, parallel=True)
    assert len(forks) == 1
    assert "did not finish" in caplog.text
    assert [plain(c) for c in got] == [plain(c) for c in expected]
    assert two.to_dict() == one.to_dict()
    assert not psutil.Process().children()


def test_little_text_stays_in_one_process(forks) -> None:
    texts = {"我叫王小明，电话13812345678。", "建议多休息。"}
    assert sum(map(len, texts)) < MIN_CHARS
    assert detect_in_two(texts, detect) is detect
    assert detect_in_two(_texts(candidates(0)), detect, parallel=False) is detect
    assert not forks


@needs_fork
def test_an_export_context_built_on_two_cores_is_the_one_built_on_one(forks) -> None:
    from workbench.export import ExportContext

    cands = candidates(0)
    _cold()
    one = ExportContext.build(cands, thorough=False, parallel=False)
    assert not forks
    _cold()
    two = ExportContext.build(cands, thorough=False, parallel=True)
    assert len(forks) == 1
    assert [plain(c) for c in two.candidates] == [plain(c) for c in one.candidates]
    assert two.deid.to_dict() == one.deid.to_dict()
