"""Simulated annotators with known true labels and known reliability, to check the aggregation methods.

Each annotator has a probability ``knows`` of giving the true label; otherwise they answer by their own
strategy: a uniformly random label (noisy, random) or always one fixed label (constant). Their true
reliability is ``knows``: 0 for an annotator whose answers carry no information.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from scipy.stats import spearmanr

from workbench.analysis.aggregation import Aggregate, Answer, aggregate
from workbench.vocab import TurnType

TURN_TYPES = tuple(TurnType)
#: how often each turn type occurs among doctor replies: questions dominate in a CoQ dialogue
TURN_TYPE_PRIOR = (0.45, 0.30, 0.15, 0.10)


@dataclass(frozen=True)
class SimulatedAnnotator:
    name: str
    kind: str  # reliable | noisy | constant | random
    knows: float  # probability of giving the true label; the true reliability
    constant: str | None = None  # the one label a constant annotator always gives


@dataclass(frozen=True)
class SimulatedCrowd:
    annotators: tuple[SimulatedAnnotator, ...]
    truth: dict[int, str]
    answers: tuple[Answer, ...]


def standard_crowd() -> tuple[SimulatedAnnotator, ...]:
    """4 reliable, 3 noisy, 2 that always give the most common label, 1 random: 10 annotators."""
    return (
        SimulatedAnnotator("reliable-1", "reliable", 0.95),
        SimulatedAnnotator("reliable-2", "reliable", 0.90),
        SimulatedAnnotator("reliable-3", "reliable", 0.85),
        SimulatedAnnotator("reliable-4", "reliable", 0.80),
        SimulatedAnnotator("noisy-1", "noisy", 0.55),
        SimulatedAnnotator("noisy-2", "noisy", 0.45),
        SimulatedAnnotator("noisy-3", "noisy", 0.35),
        # A lazy annotator accepts the most common answer: the case that misleads a majority vote most.
        SimulatedAnnotator("constant-1", "constant", 0.0, TURN_TYPES[0]),
        SimulatedAnnotator("constant-2", "constant", 0.0, TURN_TYPES[0]),
        SimulatedAnnotator("random-1", "random", 0.0),
    )


def simulate(n_items: int = 500, per_item: int = 5, seed: int = 0,
             annotators: tuple[SimulatedAnnotator, ...] | None = None,
             labels: tuple[str, ...] = TURN_TYPES, prior: tuple[float, ...] = TURN_TYPE_PRIOR) -> SimulatedCrowd:
    """``n_items`` items, each answered by ``per_item`` annotators drawn at random (as a rating queue does)."""
    crowd = annotators or standard_crowd()
    if not 1 <= per_item <= len(crowd):
        raise ValueError(f"per_item must be 1..{len(crowd)}")
    rng = random.Random(seed)
    truth = {i: rng.choices(labels, weights=prior)[0] for i in range(n_items)}
    answers = []
    for i in range(n_items):
        for ann in rng.sample(crowd, per_item):
            if rng.random() < ann.knows:
                label = truth[i]
            elif ann.kind == "constant":
                label = ann.constant or labels[0]
            else:
                label = rng.choice(labels)
            answers.append(Answer(i, ann.name, label))
    return SimulatedCrowd(crowd, truth, tuple(answers))


def accuracy(result: Aggregate, truth: dict[int, str]) -> float:
    return sum(result.labels.get(i) == lab for i, lab in truth.items()) / len(truth)


def reliability_rank_correlation(result: Aggregate, crowd: SimulatedCrowd) -> float:
    """Spearman correlation of the estimated with the true reliability over the annotators."""
    names = [a.name for a in crowd.annotators]
    rho = spearmanr([a.knows for a in crowd.annotators], [result.reliability.get(n, 0.0) for n in names])[0]
    return float(rho)


def evaluate(crowd: SimulatedCrowd, seed: int = 0) -> dict:
    """Accuracy of every method against the truth, and each method's reliability rank correlation."""
    out: dict = {"accuracy": {}, "reliability_rank_correlation_by_method": {}}
    for key, method in (("majority", "mean"), ("dawid_skene", "dawid-skene"), ("mace", "mace")):
        res = aggregate(crowd.answers, method, seed=seed)
        out["accuracy"][key] = round(accuracy(res, crowd.truth), 4)
        out["reliability_rank_correlation_by_method"][key] = round(reliability_rank_correlation(res, crowd), 4)
    return out
