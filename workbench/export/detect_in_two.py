"""A large export's texts searched for personal data on two cores at once.

Finding the spans (:func:`workbench.privacy.detect`, with the tagger in thorough mode) is most of the time an
export spends preparing: about 28 µs a character, 2.4 s for the 88,000 characters of 100k generations
(``bench/export_scale.py``). It is pure Python, so threads would not help: a forked child process
(:mod:`workbench.export.second_process`) searches every other text while this process searches the rest, and
sends its spans back. The export then de-identifies as before with a :class:`FoundDetector`, which answers from
the child's spans where it has them: every result is the detector's own, in either process.
"""

from __future__ import annotations

from collections.abc import Collection

from workbench.export.second_process import can_fork, run_in_two
from workbench.privacy import Detector, Span, names_in

# Below this many characters of distinct text (about half a second of searching) a fork costs more than it saves.
MIN_CHARS = 20_000


class FoundDetector:
    """``detector``, answering from spans found beforehand (by the second process) where it has them; and
    :meth:`names_in`, the names found there with high confidence (:func:`workbench.privacy.names_in`, which
    would search the text again)."""

    __slots__ = ("detector", "found")

    def __init__(self, detector: Detector, found: dict[str, tuple[tuple[Span, ...], tuple[str, ...]]]) -> None:
        self.detector = detector
        self.found = found

    def __call__(self, text: str) -> tuple[Span, ...]:
        got = self.found.get(text)
        return got[0] if got is not None else self.detector(text)

    def names_in(self, text: str) -> set[str]:
        got = self.found.get(text)
        return set(got[1]) if got is not None else names_in((text,))


def detect_in_two(texts: Collection[str], detector: Detector, *, parallel: bool | None = None) -> Detector:
    """A detector for ``texts`` whose spans were found on two cores: ``detector`` itself where one core does
    (``parallel=None``: fewer than :data:`MIN_CHARS` characters, or no fork on this system; True or False forces
    the choice, True still needing a fork)."""
    if parallel is None:
        parallel = sum(map(len, texts)) >= MIN_CHARS
    if not (parallel and can_fork()):
        return detector
    ordered = list(texts)
    shares = {"here": ordered[0::2], "child": ordered[1::2]}  # alternate texts: about equal in characters

    def search(share: str) -> dict[str, tuple[tuple[Span, ...], tuple[str, ...]]] | None:
        if share == "here":  # this process's detector keeps what it found in its own caches
            for text in shares[share]:
                detector(text)
                names_in((text,))
            return None
        return {text: (detector(text), tuple(sorted(names_in((text,))))) for text in shares[share]}

    found = run_in_two(["here"], ["child"], search, what="de-identification")["child"] or {}
    return FoundDetector(detector, found)


__all__ = ["MIN_CHARS", "FoundDetector", "detect_in_two"]
