"""Training-data export: pure selection and format writers over records built by the store."""

from __future__ import annotations

from workbench.export.api import ExportReport, export, export_all, write_format
from workbench.export.context import ExportContext
from workbench.export.records import ExportCandidate, PreferenceOutcome, RatingInfo
from workbench.export.registry import WRITERS
from workbench.export.selection import ExportFilters, Selected, select_targets

__all__ = [
    "WRITERS",
    "ExportCandidate",
    "ExportContext",
    "ExportFilters",
    "ExportReport",
    "PreferenceOutcome",
    "RatingInfo",
    "Selected",
    "export",
    "export_all",
    "select_targets",
    "write_format",
]
