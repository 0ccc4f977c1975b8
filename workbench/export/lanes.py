"""Several export formats written on two cores at once.

The writers are pure Python and hold the GIL, so threads would not help: a large export of several
formats forks once after the context is prepared, and the child process writes a share of the formats
(pure-Python writers only: the table writers run pyarrow's thread pools, which a fork does not carry
over) while this process writes the rest. The child sees the prepared context as it stood at the fork
(copy-on-write: nothing is serialised), writes its files, and sends its reports back through a pipe.
Each format's files and report are the ones the sequential path writes (``tests/test_export_lanes.py``).

Anything that goes wrong in the child costs time, never a result (see
:mod:`workbench.export.second_process`): the formats it did not report are written here, one after another, as
without a second lane (an error a writer raises then reaches the caller as it would have).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from workbench.export.context import ExportContext
from workbench.export.second_process import can_fork, run_in_two

_R = TypeVar("_R")

# Writers that run in a forked child: pure Python (orjson for JSON), no threads of their own.
FORK_SAFE = frozenset({"bianque_csv", "bianque_jsonl", "sft", "dpo", "kto"})
# Each format's share of a large export's time (CPU seconds at 100k rows, bench/export_scale.py, 2026-12):
# only to split the formats into two lanes of about equal work. Unknown formats count as 1.
COST = {"dpo": 1.5, "tables_csv": 1.1, "kto": 1.0, "bianque_csv": 0.8, "sft": 0.25, "tables_parquet": 0.25,
        "bianque_jsonl": 0.1}
# The context's cached parts each writer reads: the child's are built before the fork (see _build_for_child).
NEEDS = {"dpo": ("groups",), "kto": ("groups",), "sft": ("selected", "selected_rows"),
         "bianque_csv": ("selected", "selected_rows"), "bianque_jsonl": ("selected", "selected_rows")}
# Below this many candidates a fork (tens of milliseconds, plus copied pages) costs more than it saves.
MIN_CANDIDATES = 20_000


def split(formats: Sequence[str]) -> tuple[list[str], list[str]]:
    """(this process's formats, the child's), each in the order given, about equal in :data:`COST`: the
    largest first, each to the lane with less work so far, the child taking only :data:`FORK_SAFE` ones.
    Either list may be empty."""
    here: list[str] = []
    child: list[str] = []
    here_cost = child_cost = 0.0
    for f in sorted(formats, key=lambda f: -COST.get(f, 1.0)):
        if f in FORK_SAFE and child_cost <= here_cost:
            child.append(f)
            child_cost += COST.get(f, 1.0)
        else:
            here.append(f)
            here_cost += COST.get(f, 1.0)
    return [f for f in formats if f in here], [f for f in formats if f in child]


def plan(ctx: ExportContext, formats: Sequence[str], parallel: bool | None = None) -> tuple[list[str], list[str]]:
    """(this process's formats, the forked child's) as :func:`write_in_lanes` will write them: the child's
    list is empty where one lane runs (``parallel=None``: several formats, at least :data:`MIN_CANDIDATES`
    candidates and a system that can fork; True or False forces the choice, True still needing a fork)."""
    here, child = split(formats)
    if parallel is None:
        parallel = len(ctx.candidates) >= MIN_CANDIDATES
    if not (parallel and child and here and can_fork()):
        return list(formats), []
    return here, child


def write_in_lanes(ctx: ExportContext, formats: Sequence[str], write: Callable[[str], _R],
                   *, parallel: bool | None = None) -> dict[str, _R]:
    """``{format: write(format)}`` for ``formats`` in their order, written in two lanes where it pays
    (:func:`plan`). ``write``'s result must pickle."""
    here, child = plan(ctx, formats, parallel)
    if not child:
        return {f: write(f) for f in formats}
    _build_for_child(ctx, child)
    results = run_in_two(here, child, write, what="export")
    return {f: results[f] for f in formats}


def _build_for_child(ctx: ExportContext, child: Sequence[str]) -> None:
    """Build the cached parts of the context the child's formats read before the fork: this lane may need
    them too (built once, not once per lane), and on Python 3.11 each ``cached_property`` takes a lock
    that another thread of a server (another export) may hold at the fork, which the child would wait on
    for ever."""
    for part in dict.fromkeys(part for f in child for part in NEEDS.get(f, ())):
        getattr(ctx, part)
