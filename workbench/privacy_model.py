"""The learned half of de-identification in use: this machine's tagger (:mod:`workbench.privacy_tagger`), built
at first use by :mod:`workbench.privacy_training`, blended with the rules (:func:`workbench.privacy.detect`):
the exports' thorough mode.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from collections.abc import Collection, Iterable, Sequence

from workbench.privacy import Span, detect, outside_tokens
from workbench.privacy_tagger import (
    FIELDS,
    MODEL_FILE,
    N_TEMPLATES,
    PAD,
    DeidModel,
    ModelUnavailable,
    decode,
    encode,
    feature_keys,
    hashed,
    load_model,
    model_path,
    model_view,
)
from workbench.privacy_training import ensure_built

log = logging.getLogger(__name__)
#: The tagger's labels the blend adds. With all of them at 0.9 precision fell below 0.95 on most held-out groups:
#: its ``other`` took order, batch and extension numbers, lab values, prices, dates. Name and account alone, on
#: session 67's four new sets (first contact: neither the rules nor the tagger had seen them), took precision /
#: recall from the rules' 0.981 / 0.808 (name recall 0.760) to 0.971 / 0.854 (name recall 0.849), every set's
#: precision >= 0.958 (bench/deid_heldout.py, 2026-12-07).
BLEND_LABELS: frozenset[str] = frozenset({"name", "account"})
#: The exports' thorough de-identification, as their reports name it.
THOROUGH_METHOD = "rules+tagger"



@functools.cache
def default_model() -> DeidModel:
    """This machine's tagger, built from the labelled sets at first use (or after they changed) and read once
    per process (a failure is cached by the caller, not here)."""
    return ensure_built(model_path())


#: A name the tagger adds holds a Chinese, Japanese or Korean character. Its names in Latin letters alone were
#: mostly technical words (BianQue-1.0, chat in a stored route reason: walk s67); the rules find Latin names
#: after their cues (Dr., Mr., My wife …). On session 67's sets this kept the blend's name precision at the
#: rules' 0.981 (0.964 without it) for a name recall of 0.877 against 0.888.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def blend(text: str, rules: Sequence[Span], model: DeidModel, threshold: float | None = None,
          labels: Collection[str] | None = BLEND_LABELS) -> tuple[Span, ...]:
    """The rules' spans, and the tagger's (at ``threshold``, the model's own by default; with a label in
    ``labels``, every label when None) that overlap none of them: privacy errs toward finding, so the tagger
    only adds. Its names are not confident (not propagated), and hold a CJK character (:data:`_CJK`)."""
    return _blend_found(text, rules, model.spans(model_view(text), threshold) if text else [], labels)


def _blend_found(text: str, rules: Sequence[Span], found: Iterable[tuple[int, int, str]],
                 labels: Collection[str] | None = BLEND_LABELS) -> tuple[Span, ...]:
    """:func:`blend` of the tagger's spans ``found`` in ``text``, none inside a replacement token."""
    spans = blend_spans(rules, [(a, b, label) for a, b, label in found
                                if label != "name" or _CJK.search(text, a, b)], labels)
    return outside_tokens(text, spans) if "[" in text else spans


def blend_spans(rules: Sequence[Span], found: Iterable[tuple[int, int, str]],
                labels: Collection[str] | None = BLEND_LABELS) -> tuple[Span, ...]:
    """:func:`blend` of the tagger's (start, end, label) spans ``found``, in order of start."""
    ordered = sorted((s.start, s.end) for s in rules)
    starts = [a for a, _ in ordered]
    # the rules' spans do not overlap, so of those starting before b only the last can reach past a
    added = [Span(a, b, label, False) for a, b, label in found if labels is None or label in labels
             if not ((i := bisect.bisect_left(starts, b)) and ordered[i - 1][1] > a)]
    return tuple(sorted([*rules, *added], key=lambda s: s.start)) if added else tuple(rules)


@functools.cache
def _model() -> DeidModel | None:
    """The tagger, or None (said once in the log) so that a tagger that cannot be built never stops
    de-identification."""
    try:
        return default_model()
    except ModelUnavailable as e:
        log.warning("%s; de-identification uses its rules alone", e)
        return None


def detect_blended(text: str) -> tuple[Span, ...]:
    """:func:`workbench.privacy.detect` (the rules) with the tagger's spans added (:func:`blend`), or the rules
    alone when the tagger cannot be built or read. The exports' thorough mode uses :func:`detect_thorough`,
    which refuses rather than falls back."""
    rules = detect(text)
    model = _model()
    return rules if model is None else blend(text, rules, model)


def require_model() -> DeidModel:
    """The tagger for the thorough mode (the exports' default), or :class:`ModelUnavailable` saying so: an
    export must not silently get less privacy than its card promises."""
    try:
        return default_model()
    except ModelUnavailable as e:
        raise ModelUnavailable(f"thorough de-identification (the default) needs the learned tagger, which cannot be "
                               f"used ({e}): run python -m workbench train-deid to see why, or export with the rules "
                               "alone (--deidentify-rules-only; in the Export tab, untick thorough "
                               "de-identification)") from None


def thorough_report() -> dict:
    """What an export's report records of the thorough mode (see :class:`workbench.privacy.DeidReport`); raises
    as :func:`require_model`."""
    m = require_model()
    return {"name": THOROUGH_METHOD, "labels": sorted(BLEND_LABELS), "threshold": m.threshold,
            "data_hash": m.data_hash}


class ThoroughDetector:
    """:func:`detect_thorough` for one export, whose texts the tagger scores in batches: :meth:`prime` with the
    texts about to be de-identified (the export primes each dialogue's new texts), then call it per text. A
    text it was not primed with is scored alone. Raises as :func:`require_model` when made without the tagger."""

    def __init__(self, model: DeidModel | None = None) -> None:
        self.model = model or require_model()
        self._found: dict[str, list[tuple[int, int, str]]] = {}  # text -> the tagger's spans in it

    def prime(self, texts: Iterable[str]) -> None:
        todo = [t for t in dict.fromkeys(texts) if t and t not in self._found]
        if todo:
            self._found.update(zip(todo, self.model.spans_many([model_view(t) for t in todo]), strict=True))

    def __call__(self, text: str) -> tuple[Span, ...]:
        found = self._found.get(text)
        if found is None:
            return blend(text, detect(text), self.model)
        return _blend_found(text, detect(text), found)


@functools.lru_cache(maxsize=200_000)
def detect_thorough(text: str) -> tuple[Span, ...]:
    """The exports' thorough de-identification: :func:`workbench.privacy.detect` with the tagger's
    :data:`BLEND_LABELS` spans added (:func:`blend`). Raises :class:`ModelUnavailable` without the tagger: call
    :func:`require_model` before an export starts."""
    return blend(text, detect(text), require_model())


__all__ = ["BLEND_LABELS", "FIELDS", "MODEL_FILE", "N_TEMPLATES", "PAD", "THOROUGH_METHOD", "DeidModel",
           "ModelUnavailable", "ThoroughDetector", "blend", "blend_spans", "decode", "default_model", "detect_blended",
           "detect_thorough", "encode", "feature_keys", "hashed", "load_model", "model_path", "model_view",
           "require_model", "thorough_report"]
