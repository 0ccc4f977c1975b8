"""Dataset import: pure parsers from files to dialogues whose doctor turns are reference replies."""

from __future__ import annotations

from workbench.datasets.base import ImportedDialogue, ImportResult
from workbench.datasets.registry import PARSERS, detect_format, parse_dataset

__all__ = ["PARSERS", "ImportResult", "ImportedDialogue", "detect_format", "parse_dataset"]
