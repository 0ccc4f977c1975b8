"""The v1->v2 hybrid of the original ``bianque_v1_v2_app.py``.

Routing, in the original's order:
1. no doctor turn yet: the greeting, no model call;
2. more than ``max_questions`` doctor turns so far: v2 advises;
3. the second turn, or the last doctor turn was a question: v1 asks; its reply
   is kept if it is a question not asked before, otherwise v2 answers;
4. otherwise: v2.

One deliberate fix: in the fallback of rule 3 the original passed v1's
*escaped* text (literal ``\\n``) to v2. We pass v2 the proper unescaped text.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from workbench.config import HybridColumn, HybridRouting
from workbench.dialogue import Dialogue
from workbench.errors import ConfigError
from workbench.models.base import Backend, Plan, Trace
from workbench.models.bianque_v1 import BianQueV1
from workbench.models.bianque_v2 import BianQueV2
from workbench.models.registry import ModelPool


def is_question(text: str, markers: Sequence[str]) -> bool:
    """The original test: any marker anywhere in the text."""
    return any(m in text for m in markers)


@dataclass(frozen=True)
class Route:
    route: Literal["greeting", "v1", "v2"]
    fallback: Literal["v2"] | None
    reason: str


def route_next(doctor_turns: Sequence[str], routing: HybridRouting) -> Route:
    """Which model answers next, given the doctor turns so far (greeting included)."""
    n = len(doctor_turns)
    if n == 0:
        if routing.greeting is not None:
            return Route("greeting", None, "first turn: greeting, no model call")
        return Route("v1", "v2", "first turn (greeting disabled): v1 asks first")
    if n > routing.max_questions:
        return Route("v2", None, f"{n} doctor turns so far > {routing.max_questions}: v2 gives advice")
    if n == 1:
        return Route("v1", "v2", "second turn: v1 asks a question")
    if is_question(doctor_turns[-1], routing.question_markers):
        return Route("v1", "v2", "the last doctor turn was a question: v1 keeps asking")
    return Route("v2", None, "the last doctor turn was not a question: v2 gives advice")


def accept_v1(reply: str, doctor_turns: Sequence[str], routing: HybridRouting) -> tuple[bool, str]:
    """Keep v1's reply only if it is a question that was not asked before."""
    if not is_question(reply, routing.question_markers):
        return False, "v1's reply is not a question: v2 answers instead"
    if reply in doctor_turns:
        return False, "v1 repeated an earlier question: v2 answers instead"
    return True, "v1 asked a new question"


class Hybrid(Backend):
    kind = "hybrid"
    batches = True

    def __init__(self, name: str, v1: BianQueV1, v2: BianQueV2, routing: HybridRouting) -> None:
        super().__init__(name)
        self.v1, self.v2, self.routing = v1, v2, routing

    def params(self) -> dict[str, Any]:
        return {"routing": self.routing.model_dump(), "v1": self.v1.params(), "v2": self.v2.params()}

    def without_greeting(self) -> Hybrid:
        if self.routing.greeting is None:
            return self
        return Hybrid(self.name, self.v1, self.v2, self.routing.model_copy(update={"greeting": None}))

    def check_ready(self) -> None:
        self.v1.check_ready()
        self.v2.check_ready()

    def plan(self, dialogue: Dialogue) -> Plan:
        rounds, last = dialogue.pairs()
        r = route_next([d for _, d in rounds], self.routing)
        if r.route == "greeting":
            return Plan(None, "greeting", None, r.reason)
        if r.route == "v1":
            text, note = self.v1.model_input(rounds, last)
            return Plan(text, "v1", r.fallback, r.reason + (f"; {note}" if note else ""))
        text, note = self.v2.model_input(rounds, last)
        return Plan(text, "v2", None, r.reason + (f"; {note}" if note else ""))

    def stream(
        self, dialogue: Dialogue, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        plan = self.plan(dialogue)
        trace.params, trace.seed = self.params(), seed
        trace.route, trace.reason = plan.route, plan.reason
        if plan.input is None:
            trace.input_text, trace.prompt_tokens, trace.output_tokens = None, 0, 0
            yield self.routing.greeting or ""
            return
        if plan.route == "v2":
            trace.model_name = self.v2.source.path
            yield from self.v2.stream_text(plan.input, trace, seed=seed, stop=stop)
            return
        rounds, last = dialogue.pairs()
        doctor_turns = [d for _, d in rounds]
        trace.model_name = self.v1.source.path
        reply = ""
        for reply in self.v1.stream_text(plan.input, trace, seed=seed, stop=stop):
            yield reply
        if stop is not None and stop.is_set():
            return
        ok, why = accept_v1(reply, doctor_turns, self.routing)
        trace.extra["v1_reply"] = reply
        trace.extra["v1_input"] = plan.input
        if ok:
            trace.reason = f"{plan.reason}; {why}"
            return
        v2_input, note = self.v2.model_input(rounds, last)
        trace.route = "v2"
        trace.reason = f"{plan.reason}; {why}" + (f"; {note}" if note else "")
        trace.model_name = self.v2.source.path
        yield from self.v2.stream_text(v2_input, trace, seed=seed, stop=stop)

    def generate_batch(self, dialogues: Sequence[Dialogue], *, seed: int | None = None) -> list[tuple[str, Trace]]:
        """The same routing as :meth:`stream`, with each model's share of the batch run as one batch."""
        traces = [Trace(params=self.params(), seed=seed) for _ in dialogues]
        replies: list[str] = [""] * len(dialogues)
        v1_rows: list[tuple[int, str]] = []
        v2_rows: list[tuple[int, str]] = []
        for i, d in enumerate(dialogues):
            plan = self.plan(d)
            traces[i].route, traces[i].reason = plan.route, plan.reason
            if plan.input is None:
                traces[i].prompt_tokens = traces[i].output_tokens = 0
                replies[i] = self.routing.greeting or ""
            elif plan.route == "v1":
                v1_rows.append((i, plan.input))
            else:
                v2_rows.append((i, plan.input))
        if v1_rows:
            for i, _ in v1_rows:
                traces[i].model_name = self.v1.source.path
            outs = self.v1.generate_texts([t for _, t in v1_rows], [traces[i] for i, _ in v1_rows], seed=seed)
            for (i, text), reply in zip(v1_rows, outs, strict=True):
                rounds, last = dialogues[i].pairs()
                ok, why = accept_v1(reply, [d for _, d in rounds], self.routing)
                traces[i].extra.update(v1_reply=reply, v1_input=text)
                traces[i].reason = f"{traces[i].reason}; {why}"
                if ok:
                    replies[i] = reply
                else:
                    v2_input, note = self.v2.model_input(rounds, last)
                    traces[i].route = "v2"
                    traces[i].reason = (traces[i].reason or "") + (f"; {note}" if note else "")
                    v2_rows.append((i, v2_input))
        if v2_rows:
            for i, _ in v2_rows:
                traces[i].model_name = self.v2.source.path
            outs = self.v2.generate_texts([q for _, q in v2_rows], [traces[i] for i, _ in v2_rows], seed=seed)
            for (i, _), reply in zip(v2_rows, outs, strict=True):
                replies[i] = reply
        return list(zip(replies, traces, strict=True))


def build(col: HybridColumn, pool: ModelPool, built: Mapping[str, Backend]) -> Hybrid:
    """The registry's builder: the same v1/v2 backend objects as their own columns, so one model in
    memory, not two (``built`` holds them: the hybrid depends on both columns)."""
    v1, v2 = built[col.v1_column], built[col.v2_column]
    if not isinstance(v1, BianQueV1) or not isinstance(v2, BianQueV2):
        raise ConfigError(f"column {col.name!r}: v1_column and v2_column must be bianque-v1 and bianque-v2 columns")
    return Hybrid(col.name, v1, v2, col.routing)
