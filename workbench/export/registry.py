"""Export formats: name -> writer. A new format is one module plus one line in ``WRITERS``.

A writer is ``write(ctx: ExportContext, out_dir: Path) -> FormatResult``; modules are imported lazily.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from workbench.errors import InputError
from workbench.export.context import ExportContext, FormatResult

WRITERS: dict[str, str] = {
    "bianque_csv": "workbench.export.bianque:write_csv",
    "bianque_jsonl": "workbench.export.bianque:write_jsonl",
    "sft": "workbench.export.sft:write",
    "dpo": "workbench.export.dpo:write",
    "kto": "workbench.export.kto:write",
    "tables_csv": "workbench.export.tables:write_csv",
    "tables_parquet": "workbench.export.tables:write_parquet",
}
ALIASES = {"bianque": "bianque_csv", "csv": "tables_csv", "parquet": "tables_parquet", "tables": "tables_parquet"}


class UnknownFormatError(InputError):
    """The export format name is not registered."""


def get_writer(name: str) -> Callable[[ExportContext, Path], FormatResult]:
    """The writer registered under ``name`` (or an alias)."""
    name = ALIASES.get(name, name)
    if name not in WRITERS:
        raise UnknownFormatError(f"unknown export format {name!r}; known: {', '.join(sorted(WRITERS))}")
    module, func = WRITERS[name].split(":")
    return getattr(importlib.import_module(module), func)


def describe(name: str) -> str:
    """The first paragraph of a format writer's docstring: its card's note when the card has none."""
    doc = get_writer(name).__doc__ or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def canonical(name: str) -> str:
    return ALIASES.get(name, name)
