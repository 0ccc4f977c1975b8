"""``python -m workbench export``: rated dialogues from the store to training files.

Registered by :func:`add_export_parser`; the command reads the database named by the config (or
``--db``, or the ``WORKBENCH_DB_URL`` environment variable) and never loads a model.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from workbench.config import REPO_ROOT
from workbench.errors import InputError
from workbench.export.api import ExportReport
from workbench.export.registry import ALIASES, WRITERS, canonical
from workbench.export.selection import ExportFilters
from workbench.plural import counted
from workbench.scope import Scope

DEFAULT_CONFIG = REPO_ROOT / "configs" / "default.yaml"


def parse_formats(text: str) -> list[str]:
    """``"sft,dpo"`` -> ``["sft", "dpo"]`` (canonical names, in order, once each); ``all`` = every format."""
    names = [x.strip() for x in (text or "").split(",") if x.strip()]
    if not names:
        raise InputError("--format: name at least one format")
    out: list[str] = []
    for n in names:
        expanded = list(WRITERS) if n == "all" else [canonical(n)]
        for x in expanded:
            if x not in WRITERS:
                known = ", ".join([*sorted(WRITERS), *sorted(ALIASES), "all"])
                raise InputError(f"--format: unknown format {n!r}; known: {known}")
            if x not in out:
                out.append(x)
    return out


def split_names(values: list[str] | None) -> tuple[str, ...] | None:
    """Repeated and/or comma-separated values -> a tuple (None when none were given)."""
    if not values:
        return None
    out = [x.strip() for v in values for x in str(v).split(",") if x.strip()]
    return tuple(dict.fromkeys(out)) or None


def filters_from_args(args: argparse.Namespace) -> ExportFilters:
    """The :class:`ExportFilters` the command line asks for."""
    scope = Scope.parse(annotators=split_names(args.annotator), datasets=split_names(args.dataset),
                        date_from=args.date_from, date_to=args.date_to, turn_types=split_names(args.turn_type),
                        date_names=("--from", "--to"))
    kwargs = {}
    if args.score_threshold is not None:
        kwargs["score_threshold"] = args.score_threshold
    return ExportFilters(
        scope=scope,
        min_questioning=args.min_questioning,
        min_suggestion=args.min_suggestion,
        min_agreement=args.min_agreement,
        exclude_safety_flagged=not args.include_safety_flagged,
        aggregate=args.aggregate,
        include_retired=args.include_retired,
        **kwargs,
    )


def describe(reports: dict[str, ExportReport]) -> str:
    """Human summary: per format the files with sizes, the rows, and what was redacted."""
    lines = []
    for fmt, r in reports.items():
        lines.append(f"{fmt}: {counted(r.rows, 'row')} in {r.seconds:.2f} s -> {r.out_dir}")
        for p in r.files:
            size = p.stat().st_size if p.exists() else 0
            lines.append(f"  {p} ({counted(size, 'byte')})")
        if r.by_model:
            lines.append("  per model: " + ", ".join(f"{k}={v}" for k, v in sorted(r.by_model.items())))
        if r.by_source:
            lines.append("  target sources: " + ", ".join(f"{k}={v}" for k, v in sorted(r.by_source.items())))
        lines.extend(f"  {n}" for n in r.notes)
    if reports:
        d = next(iter(reports.values())).deid
        if d.enabled:
            kinds = ", ".join(f"{k}={v}" for k, v in sorted(d.by_kind.items())) or "nothing found"
            method = (f" ({d.thorough['name']}, tagger data {d.thorough['data_hash'][:12]})" if d.thorough
                      else " (the rules alone)")
            lines.append(f"de-identification: on{method}; {counted(d.total, 'redaction')} in {d.texts_changed} of "
                         f"{counted(d.texts_seen, 'text')} ({kinds}); see deid_report.json")
        else:
            lines.append("de-identification: OFF (texts exported exactly as stored)")
    return "\n".join(lines)


def cmd_export(args: argparse.Namespace) -> int:
    """Export rated generations as training data (BianQue, SFT, DPO, KTO) or flat tables."""
    from workbench.annotate.rubric import load_rubric
    from workbench.config import load_config
    from workbench.export.from_store import export_from_store
    from workbench.export.vault import make_private
    from workbench.store.engine import Store

    formats = parse_formats(args.format)
    filters = filters_from_args(args)
    config = load_config(args.config)
    filters.check_scales(load_rubric(config.resolve_path(config.annotation.rubric)).scale_tops)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file: name a new folder")
    if out.is_dir() and any(out.iterdir()):
        # An export into an old one would leave the old formats' folders beside a card that no longer names them.
        raise InputError(f"--out {out} is not empty: name a new folder, or empty this one first")
    for flag, given in (("--deidentify-with-model", args.deidentify_with_model),
                        ("--deidentify-rules-only", args.deidentify_rules_only)):
        if given and args.no_deidentify:
            raise InputError(f"{flag} and --no-deidentify contradict each other: choose one")
    if args.deidentify_with_model and args.deidentify_rules_only:
        raise InputError("--deidentify-with-model and --deidentify-rules-only contradict each other: choose one")
    if args.db:
        url = args.db
    else:
        url = config.effective_database_url
    store = Store(url)
    # Exports hold medical dialogues: the folder is the owner's only (0700, files 0600), as in the UI's vault.
    old_umask = os.umask(0o077)
    try:
        reports = export_from_store(store, formats, Path(args.out), filters, deidentify=not args.no_deidentify,
                                    system_prompt=args.system_prompt or None, thorough=False if args.deidentify_rules_only else None)
        make_private(Path(args.out))
    finally:
        os.umask(old_umask)
        store.dispose()
    if args.json:
        print(json.dumps({f: r.to_dict() for f, r in reports.items()}, ensure_ascii=False, default=str))
    else:
        print(describe(reports))
    return 0


def add_export_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``export`` command on ``python -m workbench``'s subparsers."""
    sp = subparsers.add_parser("export", help=cmd_export.__doc__, description=cmd_export.__doc__)
    sp.add_argument("--format", required=True,
                    help=f"one or more of {', '.join(WRITERS)} (comma-separated; aliases "
                         f"{', '.join(sorted(ALIASES))}; 'all' = every format). Several formats go to OUT/<format>/")
    sp.add_argument("--out", required=True, help="output folder (created)")
    sp.add_argument("--config", default=str(DEFAULT_CONFIG), help="config whose database_url is read")
    sp.add_argument("--db", default=None, help="database URL (overrides the config and WORKBENCH_DB_URL)")
    sp.add_argument("--min-questioning", type=float, default=None, help="minimum mean questioning score")
    sp.add_argument("--min-suggestion", type=float, default=None, help="minimum mean suggestion score")
    sp.add_argument("--min-agreement", type=float, default=None, help="minimum per-reply agreement (0-1)")
    sp.add_argument("--score-threshold", type=float, default=None,
                    help="overall score a reply needs to be a target without a correction or preference (default 4)")
    sp.add_argument("--turn-type", action="append", default=None, metavar="TYPE",
                    help="keep only these turn types (question, suggestion, mixed, other); repeat or comma-separate")
    sp.add_argument("--include-safety-flagged", action="store_true", help="keep replies an annotator flagged unsafe")
    sp.add_argument("--include-retired", action="store_true",
                    help="keep the answers to items an admin retired (left out by default; for an audit)")
    sp.add_argument("--annotator", action="append", default=None, metavar="NAME",
                    help="count only these annotators' ratings and preferences; repeat or comma-separate")
    sp.add_argument("--dataset", action="append", default=None, metavar="NAME",
                    help="only dialogues of these datasets; repeat or comma-separate")
    sp.add_argument("--from", dest="date_from", default=None, metavar="DATE",
                    help="only replies generated on or after (YYYY-MM-DD or ISO date-time, UTC)")
    sp.add_argument("--to", dest="date_to", default=None, metavar="DATE",
                    help="only replies generated on or before (a date covers the whole day)")
    sp.add_argument("--aggregate", default="mean", metavar="METHOD",
                    help="how ratings and preference votes combine for targets, DPO pairs and KTO labels: mean "
                         "(plain means and vote counts, the default), dawid-skene or mace (weighted by each "
                         "annotator's estimated reliability)")
    sp.add_argument("--no-deidentify", action="store_true",
                    help="export texts exactly as stored (default: phones, ID numbers, emails, names redacted)")
    sp.add_argument("--deidentify-with-model", action="store_true",
                    help="thorough de-identification, the default: the rules plus the learned tagger's names and "
                         "accounts where the rules found nothing (more found, a little more over-redaction; the "
                         "export is refused if the tagger cannot be built or read)")
    sp.add_argument("--deidentify-rules-only", action="store_true",
                    help="de-identify with the rules alone, without the learned tagger (fewer names found)")
    sp.add_argument("--system-prompt", default=None, metavar="TEXT", help="system message for SFT/DPO/KTO prompts")
    sp.add_argument("--json", action="store_true", help="print the reports as one JSON line")
    sp.set_defaults(func=cmd_export)
    return sp
