"""The Backend contract: plan what a column would send, and stream a reply.

Modelled on simonw/llm: one small interface whose main method streams.
``stream`` yields the cumulative reply text and records everything the store
needs (exact input, token counts, route) on the :class:`Trace` it is given.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.dialogue import Dialogue


@dataclass(frozen=True)
class Plan:
    """What a column would do next, without generating (the ``inspect`` output)."""

    input: str | None  # exact model input, escaping included; None when no model is called
    route: str  # "greeting", "v1", "v2" or the column's own model kind
    fallback: str | None = None  # "v2" when the hybrid would hand over if v1's reply is not a new question
    reason: str = ""


@dataclass
class Trace:
    """Facts about one generation, filled in by the backend while it streams."""

    input_text: str | None = None
    route: str | None = None
    reason: str | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    model_name: str | None = None
    model_revision: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Backend(ABC):
    """One configured column."""

    #: the backend name used in configs (``bianque-v1``, ``hybrid``, ...)
    kind: str = ""
    #: True when :meth:`generate_batch` pads several dialogues into one forward pass
    batches: bool = False

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def plan(self, dialogue: Dialogue) -> Plan:
        """What would be sent to the model for the dialogue's pending patient message."""

    @abstractmethod
    def stream(
        self, dialogue: Dialogue, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        """Yield the reply so far (cumulative text). The last value is the whole reply."""

    def without_greeting(self) -> Backend:
        """This column calling its model at the first doctor turn too (batch runs: the greeting is a UI
        convention). Backends that never greet return themselves."""
        return self

    def check_ready(self) -> None:  # noqa: B027 - optional hook, most backends need nothing
        """Raise :class:`ModelLoadError` if the column's models cannot be used."""

    def params(self) -> dict[str, Any]:
        return {}

    def chunk_size(self, requested: int) -> int:
        """How many dialogues to hand :meth:`generate_batch` at once (1 when it would only loop)."""
        return requested if self.batches else 1

    def generate(self, dialogue: Dialogue, *, seed: int | None = None) -> tuple[str, Trace]:
        """Convenience: run :meth:`stream` to the end."""
        trace = Trace()
        text = ""
        for chunk in self.stream(dialogue, trace, seed=seed):
            text = chunk
        return text, trace

    def generate_batch(self, dialogues: Sequence[Dialogue], *, seed: int | None = None) -> list[tuple[str, Trace]]:
        """Generate one reply per dialogue: ``[(text, trace), ...]`` in input order.

        The default runs :meth:`generate` one by one, each with ``seed``. Backends that set ``batches``
        pad the dialogues into one batch; with greedy decoding their replies equal :meth:`generate`'s.
        When sampling, a batch draws from one generator seeded once with ``seed``, so a reply depends
        on the batch it was generated in (reproducible for the same batch, not equal to one-by-one).
        An exception fails the whole call; callers retry one by one to isolate the bad dialogue.
        """
        return [self.generate(d, seed=seed) for d in dialogues]
