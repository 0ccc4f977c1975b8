"""The dataset card (README.md) written next to every export."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

FORMAT_NOTES = {
    "bianque_csv": "BianQue training CSV: `input` = escaped 病人/医生 history ending in 医生：, `target` = reply.",
    "bianque_jsonl": "BianQue training JSONL: `input` = escaped 病人/医生 history ending in 医生：, `target` = reply.",
    "sft": "TRL conversational SFT: `messages` (system optional, user/assistant), metadata in `metadata`.",
    "dpo": "TRL conversational preference pairs: `prompt`, `chosen`, `rejected`, metadata in `metadata`.",
    "kto": "TRL unpaired preference: `prompt`, `completion`, boolean `label`, metadata in `metadata`.",
    "tables_csv": "Flat tables (CSV): dialogues (one row per turn), generations, ratings, annotators.",
    "tables_parquet": "Flat tables (Parquet): dialogues (one row per turn), generations, ratings, annotators.",
}


def _table(title: str, counts: Counter) -> list[str]:
    lines = [f"## {title}", "", "| value | rows |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))]
    return lines + [""] if counts else lines + ["| (none) | 0 |", ""]


def render_card(report: dict, deid_markdown: str) -> str:
    """Markdown text of the card from an ExportReport's dict."""
    lines = [
        f"# BianQue Workbench export: `{report['format']}`",
        "",
        FORMAT_NOTES.get(report["format"], ""),
        "",
        f"- Created: {report['created_at']}",
        f"- Rows: {report['rows']}",
        "- Files: " + ", ".join(f"`{Path(p).name}` ({s} bytes)" for p, s in report["file_sizes"].items()),
        "- Every row carries its trace: dialogue_id, turn_index, generation_id, column, model, annotators, "
        "scores, agreement.",
        "",
    ]
    lines += [f"- {n}" for n in report.get("notes", [])]
    lines += [""]
    lines += _table("Counts per model", Counter(report["by_model"]))
    lines += _table("Counts per turn type", Counter(report["by_turn_type"]))
    lines += _table("Target sources", Counter(report["by_source"]))
    lines += ["## Filters (exact)", "", "```json", json.dumps(report["filters"], ensure_ascii=False, indent=2), "```",
              "", "## De-identification", "", deid_markdown, ""]
    return "\n".join(lines)
