"""The one writer of finished generations, used by live chat, batch runs and simulated consultations.

A finished reply is written with everything derived from it in the same transaction: the model's trace,
the automatic Chain-of-Questioning measures, and the turn-type classifier's :class:`Suggestion` (a
machine pre-annotation, as Argilla calls it). Storing the suggestion here means that opening a rating
item only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from workbench.annotate.classifier import TurnTypeSuggestion, classify, coq_measures
from workbench.models.base import Trace
from workbench.store.schema import Generation, Suggestion, utcnow
from workbench.vocab import TURN_TYPE_QUESTION, GenerationStatus


@dataclass(frozen=True)
class Reply:
    """What a column produced at one position, as it is stored."""

    text: str
    trace: Trace
    status: GenerationStatus
    error: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    batch: dict[str, Any] | None = None  # {"size", "wall_ms"} when generated in a padded batch


def coq_fields(text: str, suggestion: TurnTypeSuggestion | None = None) -> dict[str, Any]:
    """The automatic Chain-of-Questioning measures stored with each generation (``suggestion``: the classifier's
    answer for ``text``, when the caller has it)."""
    m = coq_measures(text, suggestion)
    return {"asks_question": m["asks_question"], "question_count": m["question_count"],
            "length_chars": m["length_chars"]}


def record_generation(s: Session, g: Generation, reply: Reply) -> TurnTypeSuggestion | None:
    """Fill ``g`` (a new row, or the ``running`` row of a streamed reply) with ``reply`` and add it to ``s``.

    A reply that is not an error also gets its measures and the classifier's turn-type suggestion, which
    is returned. ``g.params`` (the backend's configured parameters) stays when the trace reports none.
    """
    tr = reply.trace
    g.output, g.status, g.error = reply.text, GenerationStatus(reply.status), reply.error
    g.input_text = tr.input_text
    g.model_name, g.model_revision = tr.model_name, tr.model_revision
    params = {**tr.params, **({"hybrid": tr.extra} if tr.extra else {})} or dict(g.params or {})
    if reply.batch is not None:
        params["batch"] = reply.batch
    g.params = params
    g.route, g.route_reason = tr.route, tr.reason
    g.prompt_tokens, g.output_tokens = tr.prompt_tokens, tr.output_tokens
    g.latency_ms, g.ttft_ms = reply.latency_ms, reply.ttft_ms
    g.finished_at = utcnow()
    s.add(g)
    if g.status == GenerationStatus.ERROR:
        return None
    sug = classify(reply.text)  # once: the measures count the asking the suggestion says
    for k, v in coq_fields(reply.text, sug).items():
        setattr(g, k, v)
    # Through the relationship: a batch's new rows get their ids in one flush, suggestions after them.
    s.add(Suggestion(generation=g, question=TURN_TYPE_QUESTION, value=sug.turn_type, score=sug.confidence,
                     agent=sug.agent))
    return sug
