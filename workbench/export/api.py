"""The export entry points: candidates in, files plus a report and a dataset card out.

De-identification defaults to **on** for every format: each one carries patient text (histories) or
annotator free text (comments, corrections), which is what the issue asks to protect. Pass
``deidentify=False`` to export texts exactly as stored.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.export.card import file_reader, render_card, render_root_card
from workbench.export.card_features import csv_features, json_features
from workbench.export.context import ExportContext, paused_gc
from workbench.export.lanes import write_in_lanes
from workbench.export.records import ExportCandidate, PreferenceOutcome
from workbench.export.registry import canonical, get_writer
from workbench.export.selection import ExportFilters
from workbench.privacy import DeidReport

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class ExportReport:
    format: str
    out_dir: Path
    files: list[Path]
    rows: int
    by_model: Counter
    by_turn_type: Counter
    by_source: Counter
    filters: dict
    deid: DeidReport
    created_at: str
    seconds: float
    notes: list[str] = field(default_factory=list)
    configs: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "format": self.format,
            "out_dir": str(self.out_dir),
            "files": [str(p) for p in self.files],
            "file_sizes": {str(p): p.stat().st_size for p in self.files if p.exists()},
            "rows": self.rows,
            "by_model": dict(self.by_model),
            "by_turn_type": dict(self.by_turn_type),
            "by_source": dict(self.by_source),
            "filters": self.filters,
            "deidentification": self.deid.to_dict(),
            "created_at": self.created_at,
            "seconds": round(self.seconds, 4),
            "notes": self.notes,
            "configs": self.configs,
        }


#: the note of a format that wrote no example (an empty store, or filters that leave nothing)
NO_ROWS = ("no rows: nothing in scope passed the filters, so its files hold no example "
           "(datasets.load_dataset cannot read an empty file)")


#: the formats whose prompts carry ``--system-prompt`` (BianQue's input has no system message)
_SYSTEM_FORMATS = frozenset({"sft", "dpo", "kto"})


def write_format(ctx: ExportContext, fmt: str, out_dir: str | Path) -> ExportReport:
    """Write one format from a prepared context, plus README.md and deid_report.json."""
    t0 = time.perf_counter()
    fmt = canonical(fmt)
    writer = get_writer(fmt)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with paused_gc():
        res = writer(ctx, out)
    notes = [*res.notes, *(f"{what} left out: {n}" for what, n in ctx.excluded.items())]
    if ctx.system_prompt and fmt in _SYSTEM_FORMATS:  # not a filter: the card's Filters block would not name it
        notes.append(f"every prompt opens with this system message: {ctx.system_prompt}")
    if res.rows == 0:  # first: an empty file looks like a finished export, and `datasets` cannot read it
        notes.insert(0, NO_ROWS)
    configs = res.configs or [{"config_name": fmt, "path": res.files[0].name, "rows": res.rows}]
    # Read once here, in the format's own lane, for its card and the root card alike (card_features).
    read_features = {"json": json_features, "csv": csv_features}
    configs = [{**c, "features": read_features[file_reader(c["path"])](out / c["path"])}
               if file_reader(c["path"]) in read_features else c for c in configs]
    report = ExportReport(fmt, out, list(res.files), res.rows, res.by_model, res.by_turn_type, res.by_source,
                          ctx.filters.to_dict(), ctx.deid, ctx.created_at.isoformat(timespec="seconds"),
                          0.0, notes, configs)
    (out / "deid_report.json").write_text(ctx.deid.to_json() + "\n", encoding="utf-8")
    (out / "README.md").write_text(render_card(report.to_dict(), ctx.deid.to_markdown(), ctx.provenance),
                                   encoding="utf-8")
    report.files += [out / "README.md", out / "deid_report.json"]
    report.seconds = time.perf_counter() - t0
    return report


def export(
    candidates: Sequence[ExportCandidate],
    format: str,
    out_dir: str | Path,
    filters: ExportFilters | None = None,
    deidentify: bool | None = None,
    *,
    preferences: Sequence[PreferenceOutcome] | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
    system_prompt: str | None = None,
    thorough: bool | None = None,
) -> ExportReport:
    """Export ``candidates`` in ``format`` into ``out_dir`` (see :data:`workbench.export.registry.WRITERS`).

    ``preferences``: explicit per-annotator rankings for DPO (default: derived from
    ``preferred_by``/``dispreferred_by``). ``tables``: DataFrames for the flat-table formats (default:
    built from the candidates). ``deidentify=None`` means on. ``thorough``: the rules and the learned tagger
    (None, the default) or the rules alone (False); see :meth:`ExportContext.build`.
    """
    get_writer(format)  # fail on an unknown name before any work
    ctx = ExportContext.build(candidates, filters, deidentify is not False, preferences, tables, system_prompt,
                              thorough=thorough)
    return write_format(ctx, format, out_dir)


def export_all(
    candidates: Sequence[ExportCandidate],
    formats: Sequence[str],
    out_dir: str | Path,
    filters: ExportFilters | None = None,
    deidentify: bool | None = None,
    **kwargs,
) -> dict[str, ExportReport]:
    """Several formats from one prepared context, each into ``out_dir/<format>/``."""
    for f in formats:
        get_writer(f)
    ctx = ExportContext.build(candidates, filters, deidentify is not False, **kwargs)
    return write_formats(ctx, formats, out_dir)


def write_formats(ctx: ExportContext, formats: Sequence[str], out_dir: str | Path, *,
                  parallel: bool | None = None) -> dict[str, ExportReport]:
    """Each format into ``out_dir/<format>/``, plus a root card (README.md) whose configs cover them all.
    A large export writes them on two cores (:mod:`workbench.export.lanes`; ``parallel`` forces the choice),
    with the same files."""
    names = list(dict.fromkeys(map(canonical, formats)))
    reports = write_in_lanes(ctx, names, lambda f: write_format(ctx, f, Path(out_dir) / f), parallel=parallel)
    Path(out_dir, "README.md").write_text(
        render_root_card({f: r.to_dict() for f, r in reports.items()}, ctx.deid.to_markdown(), ctx.provenance),
        encoding="utf-8")
    return reports
