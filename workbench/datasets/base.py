"""Result types shared by every dataset parser."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.dialogue import Turn


@dataclass(frozen=True)
class ImportedDialogue:
    """One dialogue read from a file. Every doctor turn is a *reference* reply.

    ``source_rows`` are 1-based: data rows (header excluded) for CSV, physical lines for JSONL,
    list positions for JSON.
    """

    external_id: str | None
    turns: list[Turn]
    metadata: dict = field(default_factory=dict)
    source_rows: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    dialogues: list[ImportedDialogue]
    format: str
    warnings: list[str] = field(default_factory=list)

    @property
    def n_turns(self) -> int:
        return sum(len(d.turns) for d in self.dialogues)
