"""What BianQue-1.0 and BianQue-2.0 columns share.

Both read the same 病人/医生 transcript, greet on the first turn without a
model call (as both original apps do), drop the oldest rounds when the
transcript is too long, and can generate a padded batch. Subclasses say how
the transcript is rendered, how long it may be, and how the model runs.
"""

from __future__ import annotations

import copy
import threading
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from workbench.config import ModelSource
from workbench.dialogue import Dialogue
from workbench.models.base import Backend, Plan, Trace
from workbench.models.resources import LazyResource
from workbench.plural import plural
from workbench.prompts import Rounds, fit_rounds

ParamsT = TypeVar("ParamsT", bound=BaseModel)

GREETING_REASON = "first turn: the original app greets without calling a model"


class BianQueBackend(Backend, Generic[ParamsT]):
    batches = True
    #: the route recorded for this model ("v1" / "v2")
    route: str = ""
    description: str = ""

    def __init__(
        self,
        name: str,
        source: ModelSource,
        tokenizer: LazyResource[Any],
        model: LazyResource[Any],
        params: ParamsT,
        greeting: str | None = None,
    ) -> None:
        super().__init__(name)
        self.source = source
        self._tokenizer = tokenizer
        self._model = model
        self.gen = params
        self.greeting = greeting

    # -- what subclasses define ----------------------------------------------
    @abstractmethod
    def render(self, rounds: Rounds, last: str) -> str:
        """The exact model input for these rounds and the pending patient message."""

    @abstractmethod
    def input_limit(self) -> int:
        """The most tokens the rendered input may take."""

    @abstractmethod
    def stream_text(
        self, text: str, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        """Generate from an already-rendered input."""

    @abstractmethod
    def generate_texts(self, texts: Sequence[str], traces: Sequence[Trace], *, seed: int | None) -> list[str]:
        """Batched :meth:`stream_text` to the end, one reply per rendered input."""

    # -- shared ---------------------------------------------------------------
    def without_greeting(self) -> BianQueBackend:
        if self.greeting is None:
            return self
        twin = copy.copy(self)  # shares the loaded tokenizer and model
        twin.greeting = None
        return twin

    def params(self) -> dict[str, Any]:
        return self.gen.model_dump()

    def check_ready(self) -> None:
        self._model.get()

    def count_tokens(self, text: str) -> int:
        # verbose=False: measuring a message longer than the model takes is how truncation decides, not a
        # mistake to warn about ("Token indices sequence length is longer than ...") on every long message.
        return len(self._tokenizer.get()(text, verbose=False)["input_ids"])

    def model_input(self, rounds: Rounds, last: str) -> tuple[str, str]:
        """The exact input, and a note on any truncation: oldest rounds go first, the latest message never."""
        limit = self.input_limit()
        kept, dropped = fit_rounds(rounds, last, self.render, self.count_tokens, limit)
        text = self.render(kept, last)
        note = f"dropped the {dropped} oldest {plural(dropped, 'round')} to fit {limit} tokens" if dropped else ""
        if self.count_tokens(text) > limit:
            # Keep the end of an over-long message (usually the actual question) and the trailing 医生：.
            lo, hi = 0, len(last)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self.count_tokens(self.render([], last[-mid:])) <= limit:
                    lo = mid
                else:
                    hi = mid - 1
            text = self.render([], last[-lo:] if lo else "")
            note = f"the latest message alone exceeds {limit} tokens: kept its last {lo} characters"
        return text, note

    def plan(self, dialogue: Dialogue) -> Plan:
        rounds, last = dialogue.pairs()
        if not rounds and self.greeting is not None:
            return Plan(None, "greeting", None, GREETING_REASON)
        text, note = self.model_input(rounds, last)
        return Plan(text, self.route, None, note or self.description)

    def _begin(self, plan: Plan, trace: Trace, seed: int | None) -> None:
        trace.route, trace.reason, trace.seed = plan.route, plan.reason, seed
        trace.params = self.params()
        trace.model_name = self.source.path

    def stream(
        self, dialogue: Dialogue, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        plan = self.plan(dialogue)
        self._begin(plan, trace, seed)
        if plan.input is None:
            trace.input_text, trace.prompt_tokens, trace.output_tokens = None, 0, 0
            yield self.greeting or ""
            return
        yield from self.stream_text(plan.input, trace, seed=seed, stop=stop)

    def generate_batch(self, dialogues: Sequence[Dialogue], *, seed: int | None = None) -> list[tuple[str, Trace]]:
        """Replies for several dialogues in one padded batch (greetings need no model call)."""
        results: list[tuple[str, Trace] | None] = [None] * len(dialogues)
        pending: list[tuple[int, str, Trace]] = []
        for i, d in enumerate(dialogues):
            plan = self.plan(d)
            trace = Trace()
            self._begin(plan, trace, seed)
            if plan.input is None:
                trace.input_text, trace.prompt_tokens, trace.output_tokens = None, 0, 0
                results[i] = (self.greeting or "", trace)
            else:
                pending.append((i, plan.input, trace))
        if pending:
            texts = self.generate_texts([t for _, t, _ in pending], [tr for _, _, tr in pending], seed=seed)
            for (i, _, trace), text in zip(pending, texts, strict=True):
                results[i] = (text, trace)
        return [r for r in results if r is not None]
