"""Dataset cards (README.md) in the Hugging Face format, written next to every export.

Each card starts with YAML front matter that ``huggingface_hub.DatasetCard.load`` reads and that makes
``datasets.load_dataset(<export folder>, <config>)`` work: ``configs`` lists every file (one config per
table for the flat tables). The body describes the fields and metadata, the provenance (models, seed
data and licences), the annotation process, the intended use, a medical disclaimer and the limits of
de-identification. An export of several formats also gets a root card whose configs point into each
format's folder.

Every string that comes from users, datasets or models (dataset, column and model names) is escaped
before it reaches the Markdown; the YAML holds only strings chosen here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from workbench.export.registry import describe
from workbench.plural import counted

LICENSE_NAME = "bianque-workbench-export"
TAGS = ["medical", "healthcare", "dialogue", "chinese", "chain-of-questioning", "bianque", "human-feedback"]
FORMAT_TAGS = {"sft": ["sft", "conversational"], "dpo": ["dpo", "preference", "rlhf", "conversational"],
               "kto": ["kto", "preference", "rlhf", "conversational"], "bianque_csv": ["sft"],
               "bianque_jsonl": ["sft"], "tables_csv": ["annotations"], "tables_parquet": ["annotations"]}

FORMAT_NOTES = {
    "bianque_csv": "BianQue training CSV: `input` = escaped 病人/医生 history ending in 医生：, `target` = reply.",
    "bianque_jsonl": "BianQue training JSONL: `input` = escaped 病人/医生 history ending in 医生：, `target` = reply.",
    "sft": "TRL conversational SFT: `messages` (system optional, user/assistant), metadata in `metadata`.",
    "dpo": "TRL conversational preference pairs: `prompt`, `chosen`, `rejected`, metadata in `metadata`.",
    "kto": "TRL unpaired preference: `prompt`, `completion`, boolean `label`, metadata in `metadata`.",
    "tables_csv": "Flat tables (CSV): dialogues (one row per turn), generations, ratings, preferences, annotators.",
    "tables_parquet": "Flat tables (Parquet, explicit typed schema): dialogues (one row per turn), generations, "
                      "ratings, preferences, annotators.",
}



#: how a consumer reads a CSV config's cells as written (the card says it; a test runs it). Passing the declared
#: types to load_dataset instead made pandas refuse an integer column with an empty cell (a reply with no parent).
CSV_AS_WRITTEN_RECIPE = ("declared = load_dataset_builder(folder, config).info.features; "
                         "ds = load_dataset(folder, config, split=\"train\", "
                         "features=Features({k: Value(\"string\") for k in declared})).cast(declared)")
#: how a consumer undoes workbench.csv_safety.neutralise on one cell (the card says it; a test runs it)
UNPROTECT_RECIPE = "re.sub(r\"^'(?='*[=+\\-@\\t\\r])\", \"\", cell)"


def format_note(fmt: str) -> str:
    """A format's one-line description: the note above, else its writer's docstring (a new format needs
    no line here)."""
    return FORMAT_NOTES.get(fmt) or describe(fmt)


_META_TARGET = {
    "dialogue_id": "the workbench dialogue the row comes from",
    "turn_index": "position of the doctor turn in that dialogue (0-based, patient turns included)",
    "generation_id": "the stored model reply that is the target (null for a corrected reply)",
    "dataset": "the imported dataset (null for live chats)",
    "column": "the workbench column (model or policy) that wrote the reply",
    "model": "hub id or path of the model (`corrected` for an annotator's correction)",
    "target_source": "`corrected` (an annotator's correction), `preferred` (most net preference votes) or "
                     "`score` (highest mean score above the threshold); KTO: `rated` or `corrected`",
    "turn_type": "question / suggestion / mixed / other: the target's own type (majority human label of a "
                 "model reply; the classifier's label of a corrected reply)",
    "annotators": "the annotators who stand behind the row",
    "questioning": "mean questioning score (rubric scale, default 1-5; null = not applicable)",
    "suggestion": "mean suggestion score (rubric scale; null = not applicable)",
    "n_ratings": "number of annotators whose submitted ratings are pooled (one each, identical copies included)",
    "agreement": "per-reply agreement (mean over axes of the item agreement, 0-1; null under two ratings)",
}
#: KTO's rows also name every byte-identical reply they pool (BianQue and SFT rows name one reply: the target)
_META_KTO = {**dict(list(_META_TARGET.items())[:3]),
             "generation_ids": "every byte-identical reply pooled into this one (same history, same text)",
             **dict(list(_META_TARGET.items())[3:])}
FIELDS: dict[str, dict[str, str]] = {
    "bianque_csv": {"input": "the 病人/医生 history ending in `医生：`, escaped (see below)",
                    "target": "the chosen doctor reply, escaped", **_META_TARGET},
    "bianque_jsonl": {"input": "the 病人/医生 history ending in `医生：`, escaped (see below)",
                      "target": "the chosen doctor reply, escaped", **_META_TARGET},
    "sft": {"messages": "system (optional), then user (patient) / assistant (doctor) turns; the last "
                        "assistant message is the target",
            "metadata": "object: " + ", ".join(_META_TARGET)},
    "dpo": {"prompt": "the conversation before the reply (system optional, user/assistant messages)",
            "chosen": "one assistant message: the preferred reply",
            "rejected": "one assistant message: the other reply (a `preference` pair: the reply voted below "
                        "`chosen`; a `correction` pair, whose `chosen` is an annotator's corrected reply: the "
                        "reply it corrected, whatever it scored, or another reply of that turn whose overall "
                        "score is at or below `dpo_low_threshold` under Filters)",
            "metadata": "object: dialogue_id, turn_index, dataset, pair_source (`preference` or `correction`), "
                        "turn_type (of the chosen reply), annotators (votes for), annotators_against, chosen and "
                        "rejected (generation_id, generation_ids, column, model, scores, n_ratings, agreement)"},
    "kto": {"prompt": "the conversation before the reply",
            "completion": "one assistant message",
            "label": "true = desirable (pooled mean score >= the KTO threshold and not flagged unsafe); an "
                     "annotator's correction (`target_source` `corrected`, no scores of its own) is always "
                     "desirable",
            "metadata": "object: " + ", ".join(_META_KTO)},
}
TABLE_FIELDS = {
    "dialogues": "one row per shared turn: dialogue_id, dataset, source, external_id, title, parent_id, "
                 "turn_index, role, text, is_reference, generation_id, created_at",
    "generations": "one row per model reply (every status; greetings left out): ids, column, backend, model, "
                   "model_revision, status (ok / error / stopped), output, error, route, route_reason, seed, "
                   "latency and token counts, turn_type_auto (classifier), agreement, preferred_by / "
                   "dispreferred_by (annotators, `;`-joined), created_at",
    "ratings": "one row per submitted rating: rating_id, generation_id, annotator, turn_type, questioning, "
               "questioning_na, suggestion, suggestion_na, safety_flag, comment, corrected_reply, rubric_version, "
               "blind, display_slot (where the reply was shown: 0 = first; Compare counts slots from 1), version, "
               "created_at, updated_at",
    "preferences": "one row per submitted preference: preference_id, annotator, dialogue_id, turn_index, shown "
                   "(generation ids in display order: a list of ints; `;`-joined in CSV), outcome (best / tie / "
                   "all_bad / ranking), winner_generation_id, ranking (list of ints, best first; null when the "
                   "outcome is not a ranking), rubric_version, blind, version, created_at, updated_at",
    "annotators": "one row per annotator: annotator, role, active, n_ratings, n_preferences, first_rating, "
                  "last_rating, created_at (never a password hash)",
}

# Inline specials only: md() output never starts a line, so + - . need no escape there.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|>~])")
_URL_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*):(?=//)")
_WWW = re.compile(r"(?i)\b(www)\.")


def md(text: object) -> str:
    """A user-, dataset- or model-supplied string as inert Markdown text on one line."""
    s = " ".join(str(text).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    # GitHub-style renderers (the Hub's too) turn a bare URL, www. address or e-mail into a live link: the
    # character reference shows the same text and links nothing.
    s = _URL_SCHEME.sub(r"\1&#58;", s)
    return _WWW.sub(r"\1&#46;", s).replace("@", "&#64;")


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return name
    return "10M<n<100M"


def front_matter(formats: Sequence[str], configs: Sequence[Mapping[str, Any]], rows: int, pretty_name: str) -> str:
    """The YAML block: licence, language, task, tags, size, name, a config per data file, and the column types of
    the configs that carry ``features`` (the JSON Lines and CSV files, card_features)."""
    tags = list(TAGS)
    for f in formats:
        tags += [t for t in FORMAT_TAGS.get(f, []) if t not in tags]
    meta: dict[str, Any] = {
        "license": "other",
        "license_name": LICENSE_NAME,
        "language": ["zh"],
        "task_categories": ["text-generation"],
        "tags": tags,
        "size_categories": [size_category(rows)],
        "pretty_name": pretty_name,
    }
    # An empty file is no config: datasets.load_dataset stops on it with a bare StopIteration (walk s68).
    configs = [c for c in configs if int(c.get("rows", 1)) > 0]
    if configs:
        meta["configs"] = [
            {"config_name": c["config_name"], "data_files": [{"split": "train", "path": c["path"]}],
             **({"default": True} if i == 0 else {})}
            for i, c in enumerate(configs)
        ]
    # Declared column types of the JSON Lines and CSV configs (card_features).
    declared = [{"config_name": c["config_name"], "features": c["features"]} for c in configs
                if c.get("features") is not None]
    if declared:
        meta["dataset_info"] = declared
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n"


def _count_table(title: str, counts: Counter) -> list[str]:
    lines = [f"## {title}", "", "| value | rows |", "|---|---|"]
    lines += [f"| {md(k)} | {v} |" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))]
    return lines + [""] if counts else lines + ["| (none) | 0 |", ""]


def _fields(fmt: str) -> list[str]:
    if fmt.startswith("tables"):
        lines = ["| table | columns |", "|---|---|"]
        lines += [f"| `{t}` | {d} |" for t, d in TABLE_FIELDS.items()]
    else:
        lines = ["| field | meaning |", "|---|---|"]
        lines += [f"| `{k}` | {v} |" for k, v in FIELDS.get(fmt, {}).items()]
    notes = []
    if fmt.startswith("bianque"):
        notes.append("Escaping: backslashes are doubled, then newlines and tabs are written as the two characters "
                     "`\\n` and `\\t` (as in the original BianQue training files); reading reverses it exactly. "
                     "A line of a turn that starts with `病人：` or `医生：` cannot be told from a new turn.")
    if fmt in ("bianque_csv", "tables_csv"):
        notes.append("CSV formula injection: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage "
                     "return gets a leading `'` (OWASP), so spreadsheets show it as text and never run it as a "
                     "formula; a cell that already starts with `'` before such a character gets one more. The "
                     "workbench's BianQue import removes it again. JSONL and Parquet files are verbatim: train "
                     "from those, or read each text cell back as written with "
                     f"`{UNPROTECT_RECIPE}` (a reply that starts with `- ` is a list, not a formula).")
        # datasets casts to the card's features only after pandas has parsed the cells: `007` is 7 by then.
        notes.append("Text that looks like a number: `datasets` reads CSV with pandas, which parses a column whose "
                     "cells all look like numbers (`007`, `37.50`) as numbers before the card's types apply, so "
                     "`load_dataset` gives `7` and `37.5`. To read every cell as written, read the cells as text "
                     "and cast them to the declared types (`from datasets import Features, Value, load_dataset, "
                     f"load_dataset_builder`): `{CSV_AS_WRITTEN_RECIPE}`; or load the JSONL or Parquet files.")
    if fmt in ("tables_csv",):
        notes.append("Lists (`shown`, `ranking`) are `;`-joined; an empty cell is no list.")
    return lines + [""] + [f"- {n}" for n in notes] + ([""] if notes else [])


def _provenance(prov: Mapping[str, Any]) -> list[str]:
    lines = ["## Provenance", ""]
    models = prov.get("models") or []
    if models:
        lines += ["| column | backend | model | revision |", "|---|---|---|---|"]
        lines += [f"| {md(m.get('column'))} | {md(m.get('backend') or '')} | {md(m.get('model') or '')} | "
                  f"{md(m.get('revision') or '')} |" for m in models]
        lines.append("")
    datasets = prov.get("datasets") or []
    if datasets:
        lines += ["Imported datasets (gold histories and reference replies):", "",
                  "| dataset | format | licence |", "|---|---|---|"]
        lines += [f"| {md(d.get('name'))} | {md(d.get('format') or '')} | {md(d.get('license') or 'unknown')} |"
                  for d in datasets]
        lines.append("")
    lines += [
        "- Models: BianQue-1.0 (T5) and BianQue-2.0 (ChatGLM-6B) by scutcyr, marked Apache-2.0 on the Hugging "
        "Face Hub; BianQue-2.0 is built on ChatGLM-6B weights whose MODEL_LICENSE allows non-commercial research "
        "only. Replies of other configured columns follow their own models' terms.",
        "- Seed data: `workbench/data/seed_examples_bianque.csv` holds the example dialogues of the original "
        "BianQue apps (scutcyr/BianQue, Apache-2.0). Other imported datasets keep their own licence.",
        f"- Licence of this export: `other` ({LICENSE_NAME}): the most restrictive of the sources above applies. "
        "Check it before you publish or train a commercial model.",
        "- Greetings (the apps' fixed first reply, no model call) are left out of every file.",
        "",
    ]
    return lines


def _annotation(prov: Mapping[str, Any]) -> list[str]:
    rubric = ", ".join(md(v) for v in prov.get("rubric_versions") or []) or "unknown"
    per = prov.get("annotators_per_reply") or {}
    per_text = (f"min {per['min']}, median {per['median']}, max {per['max']}" if per else "unknown")
    blind = prov.get("blind_share")
    blind_text = "unknown" if blind is None else f"{blind:.0%} of the ratings were given blind"
    n_annotators = prov.get("n_annotators")
    annotators = "unknown annotators" if n_annotators is None else counted(n_annotators, "annotator")
    return [
        "## Annotation process", "",
        f"- Rubric version(s): {rubric} (`annotations/rubric.yaml`: questioning and suggestion scores, turn type, "
        "safety flag, optional corrected reply, and a preference across the replies of a turn).",
        f"- Annotators per reply (submitted ratings): {per_text}; {annotators}.",
        f"- Blind order: {blind_text}. In blind mode the columns are labelled A/B/C with their order "
        "counterbalanced by a balanced Latin square; the order shown is stored with every answer.",
        "- Only submitted answers are exported (drafts and discarded answers never are). Byte-identical replies "
        "to the same history pool their ratings; preference pairs are voted export-wide, so no pair appears "
        "twice or in both directions, and no KTO completion has both labels.",
        "",
    ]


_USE = [
    "## Intended use", "",
    "Research on medical dialogue models: fine-tuning and preference-tuning (SFT, DPO, KTO) towards asking the "
    "right questions before advising (BianQue's Chain of Questioning), and analysing model behaviour and "
    "annotator agreement. Not for clinical use.", "",
    "## Medical disclaimer", "",
    "The replies were written by language models and rated or corrected by annotators; they can be wrong, "
    "incomplete or unsafe, even when rated highly. Nothing here is medical advice, and a model trained on it "
    "must not replace a doctor's diagnosis or advice.", "",
]


def _deid(deid_markdown: str) -> list[str]:
    return [
        # the limits of the method that ran are in deid_markdown (DeidReport.to_markdown): one paragraph, not two
        "## De-identification", "", deid_markdown, "",
        "Treat the export as personal health data: review it before sharing it beyond the people allowed to see "
        "the originals, and never publish it openly.", "",
    ]


# datasets keys its cache of a local folder on the folder's name and its file names, the same for every export: a
# second export loaded by folder returned the first one's rows.
_CACHE_NOTE = ("`datasets` caches a folder's configs under the folder's name and file names, which every export "
               "shares: load another export with its own `cache_dir=`, or load a file itself "
               "(`load_dataset(\"parquet\", data_files=…)`, `load_dataset(\"json\", data_files=…)`).")


def render_card(report: Mapping[str, Any], deid_markdown: str, provenance: Mapping[str, Any] | None = None) -> str:
    """The card of one format's folder, from an ExportReport's dict (with its ``configs``)."""
    fmt = report["format"]
    prov = provenance or {}
    configs = report.get("configs") or []
    head = front_matter([fmt], configs, int(report["rows"]), f"BianQue Workbench export ({fmt})")
    loadable = [c for c in configs if int(c.get("rows", 1)) > 0]
    lines = [
        f"# BianQue Workbench export: `{fmt}`", "",
        format_note(fmt), "",
        f"- Created: {report['created_at']}",
        f"- Rows: {report['rows']}",
        "- Files: " + ", ".join(f"`{md(Path(p).name)}` ({counted(size, 'byte')})" for p, size in report["file_sizes"].items()),
        "- Load: " + (", ".join(f"`datasets.load_dataset(<this folder>, \"{c['config_name']}\")`" for c in loadable)
                      or "nothing: no rows in scope, and an empty file cannot be loaded"),
        f"- {_CACHE_NOTE}",
        "",
    ]
    lines += [f"- {md(n)}" for n in report.get("notes", [])]
    lines += ["", "## Fields", ""] + _fields(fmt)
    lines += _provenance(prov) + _annotation(prov) + _USE + _deid(deid_markdown)
    lines += _count_table("Counts per model", Counter(report["by_model"]))
    lines += _count_table("Counts per turn type", Counter(report["by_turn_type"]))
    lines += _count_table("Target sources", Counter(report["by_source"]))
    lines += ["## Filters (exact)", "", "```json",
              json.dumps(report["filters"], ensure_ascii=False, indent=2).replace("```", "ˋˋˋ"), "```", ""]
    return head + "\n" + "\n".join(lines)


# ``datasets`` picks one file reader per folder (from the first config's files), so a card can only list
# configs of one kind. The root card takes the training formats' JSON Lines when there are any.
_READER_ORDER = (("json", (".jsonl", ".json")), ("parquet", (".parquet",)), ("csv", (".csv",)))


def file_reader(path: str) -> str:
    """The ``datasets`` reader of a data file: json, parquet, csv or other."""
    return next((name for name, exts in _READER_ORDER if path.endswith(exts)), "other")


def render_root_card(reports: Mapping[str, Mapping[str, Any]], deid_markdown: str,
                     provenance: Mapping[str, Any] | None = None) -> str:
    """The card at the top of a multi-format export.

    Its front matter lists the configs that ``datasets`` can load from the top folder (one file kind, see
    above); the body lists every format's configs with the exact call that loads each, from the top
    folder or from the format's folder, whose own card lists all of its files.
    """
    prov = provenance or {}
    every: list[dict[str, Any]] = []
    for fmt, rep in reports.items():
        for c in rep.get("configs") or []:
            name = fmt if c["config_name"] == fmt else f"{fmt}_{c['config_name']}"
            every.append({"config_name": name, "local": c["config_name"], "format": fmt,
                          "path": f"{fmt}/{c['path']}", "rows": c["rows"], "features": c.get("features")})
    present = {file_reader(c["path"]) for c in every}
    kind = next((name for name, _ in _READER_ORDER if name in present), None)
    top = [c for c in every if file_reader(c["path"]) == kind]
    # (the size of what the front matter declares: the flat tables' thousands of rows made 22 training rows
    # "1K<n<10K", walk 10)
    rows = max((int(c["rows"]) for c in top), default=0)
    head = front_matter(list(reports), top, rows, "BianQue Workbench export")
    created = next(iter(reports.values()))["created_at"] if reports else ""
    lines = ["# BianQue Workbench export", "", f"- Created: {created}", "",
             "| config | file | rows | load with |", "|---|---|---|---|"]
    for c in every:
        call = ("none: an empty file (no rows in scope) cannot be loaded" if not int(c["rows"])
                else f"`load_dataset(<this folder>, \"{c['config_name']}\")`" if c in top
                else f"`load_dataset(<this folder>/{c['format']}, \"{c['local']}\")`")
        lines.append(f"| `{c['config_name']}` | `{c['path']}` | {c['rows']} | {call} |")
    lines += ["", "The `datasets` library reads one kind of file per folder, so the configs above that live in "
              "another kind of file load from their format's folder, whose own card lists all of its files. "
              + _CACHE_NOTE, ""]
    if not any(int(c["rows"]) for c in every):  # (walk s68: load_dataset(<this folder>) stopped without a word)
        lines[-1:-1] = ["**Nothing was in scope: every file is empty, and `load_dataset(<this folder>)` cannot load "
                        "an empty file.** Widen the export's filters and export again.", ""]
    for fmt in reports:
        lines += [f"## Fields: `{fmt}`", "", format_note(fmt), ""] + _fields(fmt)
    lines += _provenance(prov) + _annotation(prov) + _USE + _deid(deid_markdown)
    return head + "\n" + "\n".join(lines)
