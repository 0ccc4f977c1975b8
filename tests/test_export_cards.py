"""Exports are Hugging Face datasets: a card with front matter that DatasetCard.load reads, a config for
every file that datasets.load_dataset loads, and Parquet tables with an explicit typed schema."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_export_store import build_world

from workbench.export import WRITERS
from workbench.export.card import md
from workbench.export.from_store import export_from_store
from workbench.store.engine import Store

TABLES = ("dialogues", "generations", "ratings", "preferences", "annotators")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    db = tmp_path_factory.mktemp("cards") / "wb.db"
    store = Store(f"sqlite:///{db}")
    build_world(store)
    out = tmp_path_factory.mktemp("cards-out")
    reports = export_from_store(store, list(WRITERS), out)
    single = tmp_path_factory.mktemp("cards-single")
    export_from_store(store, ["tables_parquet"], single)
    yield out, single, reports
    store.dispose()


def _card(path):
    from huggingface_hub import DatasetCard

    return DatasetCard.load(path / "README.md").data.to_dict()


def test_every_card_has_hub_front_matter(exported):
    out, single, _reports = exported
    for folder in [out, single, *(out / f for f in WRITERS)]:
        meta = _card(folder)
        assert meta["license"] == "other" and meta["language"] == ["zh"]
        assert meta["task_categories"] and "medical" in meta["tags"]
        assert meta["size_categories"] == ["n<1K"] and meta["pretty_name"]
        for c in meta["configs"]:
            assert (folder / c["data_files"][0]["path"]).is_file(), (folder, c)
        text = (folder / "README.md").read_text("utf-8")
        for section in ("## Provenance", "## Annotation process", "## Intended use", "## Medical disclaimer",
                        "## De-identification", "personal health data"):
            assert section in text, (folder, section)
    # The root card's configs are the JSON Lines formats (datasets reads one file kind per folder); its
    # body names every other config with the call that loads it from its own folder.
    root = {c["config_name"] for c in _card(out)["configs"]}
    assert root == {"sft", "dpo", "kto", "bianque_jsonl"}
    body = (out / "README.md").read_text("utf-8")
    assert all(f'`load_dataset(<this folder>/tables_parquet, "{t}")`' in body for t in TABLES)
    assert '`load_dataset(<this folder>/bianque_csv, "bianque_csv")`' in body
    assert {c["config_name"] for c in _card(single)["configs"]} == set(TABLES)
    card = (out / "dpo" / "README.md").read_text("utf-8")
    assert "| test/BianQue-1.0 |" in card  # the models that wrote the replies, escaped as Markdown text
    assert "| `prompt` |" in card and "annotators_against" in card


def test_load_dataset_works_for_every_config(exported, tmp_path):
    from datasets import load_dataset

    out, single, reports = exported
    for folder in (out, single, *(out / f for f in WRITERS)):
        for c in _card(folder)["configs"]:
            ds = load_dataset(str(folder), c["config_name"], split="train", cache_dir=str(tmp_path / "hf"))
            assert len(ds) > 0, c["config_name"]
    dpo = load_dataset(str(out), "dpo", split="train", cache_dir=str(tmp_path / "hf"))
    assert len(dpo) == reports["dpo"].rows and {"prompt", "chosen", "rejected"} <= set(dpo.column_names)


def test_parquet_tables_have_an_explicit_typed_schema(exported):
    out, _single, _ = exported
    folder = out / "tables_parquet"
    prefs = pq.read_schema(folder / "preferences.parquet")
    assert prefs.field("shown").type == pa.list_(pa.int64()) and prefs.field("ranking").type == pa.list_(pa.int64())
    table = pq.read_table(folder / "preferences.parquet").to_pylist()
    assert all(isinstance(r["shown"], list) and all(isinstance(g, int) for g in r["shown"]) for r in table)
    assert any(r["ranking"] is None for r in table) and any(r["ranking"] for r in table)  # none is not ""
    for name in TABLES:
        schema = pq.read_schema(folder / f"{name}.parquet")
        assert not [f.name for f in schema if pa.types.is_null(f.type)], name  # no all-empty "null" columns
        assert all(f.nullable for f in schema)
    gens = pq.read_schema(folder / "generations.parquet")
    assert gens.field("ttft_ms").type == pa.float64() and gens.field("model_revision").type == pa.string()
    assert gens.field("created_at").type == pa.timestamp("us")
    assert pq.read_schema(folder / "dialogues.parquet").field("title").type == pa.string()


def test_card_text_escapes_untrusted_strings():
    assert md("![b](http://x/b.png)") == "\\!\\[b\\]\\(http&#58;//x/b.png\\)"
    # Bare URLs, www. addresses and e-mails would be live links on the Hub: shown the same, linking nothing.
    assert md("see https://evil.example or www.evil.example, mail a@b.cn") == (
        "see https&#58;//evil.example or www&#46;evil.example, mail a&#64;b.cn")
    assert md("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert\\(1\\)&gt;"
    assert "\n" not in md("a\n# b")


def _null_types(feature, path: str = "") -> list[str]:
    """Paths of every Value('null') inside a datasets feature (nested lists and structs included)."""
    from datasets import List, Value

    if isinstance(feature, Value):
        return [path] if feature.dtype == "null" else []
    if isinstance(feature, List):
        return _null_types(feature.feature, path + "[]")
    if isinstance(feature, dict):
        return [p for k, v in feature.items() for p in _null_types(v, f"{path}.{k}")]
    return []


def test_json_configs_declare_their_types_so_no_column_is_null(exported, tmp_path):
    """No vote against a chosen reply in this store, and a score nobody gave: the cards declare what those
    fields hold, so datasets types them (text, numbers) instead of Value('null')."""
    from datasets import List, Value, load_dataset

    out, _single, _reports = exported
    for folder in (out, *(out / f for f in ("sft", "dpo", "kto", "bianque_jsonl"))):
        meta = _card(folder)
        assert {c["config_name"] for c in meta["dataset_info"]} == {c["config_name"] for c in meta["configs"]}
        for c in meta["configs"]:
            ds = load_dataset(str(folder), c["config_name"], split="train", cache_dir=str(tmp_path / "hf"))
            assert not _null_types(ds.features), (folder, c["config_name"], _null_types(ds.features))
    dpo = load_dataset(str(out), "dpo", split="train", cache_dir=str(tmp_path / "hf"))
    assert all(row["metadata"]["annotators_against"] == [] for row in dpo)  # the all-empty case, really
    assert dpo.features["metadata"]["annotators_against"] == List(Value("string"))
    assert dpo.features["metadata"]["chosen"]["suggestion"] == Value("float64")


def test_exports_with_and_without_votes_against_have_one_schema(tmp_path):
    """Two exports of the same kind of data, one where annotators voted against replies and one where nobody
    did, load with equal features, so they concatenate."""
    from datasets import concatenate_datasets, load_dataset
    from test_export_formats import world

    from workbench.export import ExportFilters, PreferenceOutcome, export

    candidates = world()
    turns = sorted({(c.dialogue_id, c.turn_index) for c in candidates})

    def ranked(annotator: str, first: str, second: str) -> list[PreferenceOutcome]:
        return [PreferenceOutcome(annotator, d, t, [[f"{d}-{t}-{first}"], [f"{d}-{t}-{second}"]]) for d, t in turns]

    # Two annotators prefer v1 to v2; in the first export a third prefers v2, and is listed against the pair.
    agreeing = ranked("ann1", "v1", "v2") + ranked("ann3", "v1", "v2")
    loaded = []
    for name, preferences in (("voted", agreeing + ranked("ann2", "v2", "v1")), ("unopposed", agreeing)):
        export(candidates, "dpo", tmp_path / name, ExportFilters(), preferences=preferences)
        loaded.append(load_dataset(str(tmp_path / name), "dpo", split="train", cache_dir=str(tmp_path / "hf")))
    assert any(r["metadata"]["annotators_against"] for r in loaded[0])
    assert not any(r["metadata"]["annotators_against"] for r in loaded[1])
    assert loaded[0].features == loaded[1].features and not _null_types(loaded[1].features)
    assert len(concatenate_datasets(loaded)) == len(loaded[0]) + len(loaded[1])


def test_the_root_cards_size_is_that_of_the_configs_it_declares():
    """Walk 10: 22 to 48 training rows were "1K<n<10K", counted from the flat tables the root card does not load."""
    import yaml

    from workbench.export.card import render_root_card

    def report(configs):
        return {"rows": sum(c["rows"] for c in configs), "created_at": "2026-12-06", "configs": configs}

    card = render_root_card({
        "sft": report([{"config_name": "sft", "path": "sft.jsonl", "rows": 48}]),
        "tables_csv": report([{"config_name": t, "path": f"{t}.csv", "rows": 3000} for t in TABLES]),
    }, "")
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["size_categories"] == ["n<1K"] and [c["config_name"] for c in meta["configs"]] == ["sft"]


def test_csv_configs_declare_the_types_their_columns_mean(exported, tmp_path):
    """pandas types a CSV column nobody filled as float64: a comment, title or error column was a number column in
    one export and text in the next, and an id column with an empty cell held 12.0. The CSV cards declare every
    column: text by name even when empty, scores as float64 even when whole, ids as int64 with nulls."""
    from datasets import Value, load_dataset

    out, _single, _reports = exported
    ratings = load_dataset(str(out / "tables_csv"), "ratings", split="train", cache_dir=str(tmp_path / "hf"))
    assert all(r["comment"] is None for r in ratings)  # the all-empty case, really
    assert ratings.features["comment"] == Value("string") and ratings.features["questioning"] == Value("float64")
    assert ratings.features["rating_id"] == Value("int64") and ratings.features["blind"] == Value("bool")
    gens = load_dataset(str(out / "tables_csv"), "generations", split="train", cache_dir=str(tmp_path / "hf"))
    assert gens.features["error"] == Value("string") and gens.features["generation_id"] == Value("int64")
    prefs = load_dataset(str(out / "tables_csv"), "preferences", split="train", cache_dir=str(tmp_path / "hf"))
    assert prefs.features["winner_generation_id"] == Value("int64")
    assert None in prefs["winner_generation_id"] and all(isinstance(g, int) for g in prefs["winner_generation_id"]
                                                         if g is not None)
    for name in TABLES:
        meta = _card(out / "tables_csv")
        assert {c["config_name"] for c in meta["dataset_info"]} == set(TABLES)
        ds = load_dataset(str(out / "tables_csv"), name, split="train", cache_dir=str(tmp_path / "hf"))
        assert not _null_types(ds.features)
        # every value the Parquet table holds, the CSV one holds too (lists and times as the CSV writes them)
        parquet = load_dataset(str(out / "tables_parquet"), name, split="train", cache_dir=str(tmp_path / "hf"))
        for a, b in zip(ds, parquet, strict=True):
            for k, v in a.items():
                if isinstance(b[k], (int, float, bool)) and v is not None:
                    assert v == b[k], (name, k)


def test_csv_features_declare_what_each_column_means_and_read_broken_files_as_unknown(tmp_path):
    from datasets import Value, load_dataset

    from workbench.export.card import front_matter
    from workbench.export.card_features import csv_features

    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "t.csv").write_text("external_id,comment,questioning,seed,blind,notes_x,n\n"
                                  "123,,4,,true,,1.5\n456,,5,7,,,2\n", encoding="utf-8")
    features = csv_features(folder / "t.csv")
    assert features == [{"name": "external_id", "dtype": "string"}, {"name": "comment", "dtype": "string"},
                        {"name": "questioning", "dtype": "float64"}, {"name": "seed", "dtype": "int64"},
                        {"name": "blind", "dtype": "bool"}, {"name": "notes_x", "dtype": "string"},
                        {"name": "n", "dtype": "float64"}]
    config = {"config_name": "t", "path": "t.csv", "rows": 2, "features": features}
    (folder / "README.md").write_text(front_matter(["tables_csv"], [config], 2, "t"), encoding="utf-8")
    ds = load_dataset(str(folder), "t", split="train", cache_dir=str(tmp_path / "hf"))
    assert ds["external_id"] == ["123", "456"] and ds["questioning"] == [4.0, 5.0] and ds["seed"] == [None, 7]
    assert ds["blind"] == [True, None] and ds["comment"] == [None, None]
    assert ds.features["comment"] == Value("string") and ds.features["notes_x"] == Value("string")
    (folder / "bad.csv").write_bytes(b'a,b\n"unclosed,1\n')
    assert csv_features(folder / "bad.csv") is None


def test_the_csv_cards_tell_how_to_read_text_that_looks_like_a_number_as_written(exported, tmp_path):
    """pandas makes `007` 7 before datasets applies the card's types; the cards' recipe keeps it `007`. Run as the
    card prints it, on a file of such cells and on every real CSV config, whose integer columns have empty cells
    (walk s61: the first recipe, passing the declared types to load_dataset, made pandas refuse those)."""
    import datasets
    from datasets import load_dataset

    from workbench.csv_safety import restore
    from workbench.export.card import CSV_AS_WRITTEN_RECIPE, front_matter
    from workbench.export.card_features import csv_features

    out, single, _reports = exported
    assert all(f"`{CSV_AS_WRITTEN_RECIPE}`" in (out / f / "README.md").read_text(encoding="utf-8")
               for f in ("tables_csv", "bianque_csv"))
    cache = str(tmp_path / "hf")

    def as_written(folder, config):
        scope = {**{n: getattr(datasets, n) for n in ("Features", "Value", "load_dataset", "load_dataset_builder")},
                 "folder": str(folder), "config": config, "cache": cache}
        exec(CSV_AS_WRITTEN_RECIPE.replace("(folder, config", "(folder, config, cache_dir=cache"), scope)  # noqa: S102
        return scope["ds"]

    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "t.csv").write_text("external_id,content\n007,37.50\n0100,00\n", encoding="utf-8")
    config = {"config_name": "t", "path": "t.csv", "rows": 2, "features": csv_features(folder / "t.csv")}
    (folder / "README.md").write_text(front_matter(["tables_csv"], [config], 2, "t"), encoding="utf-8")
    ds = as_written(folder, "t")
    assert ds["external_id"] == ["007", "0100"] and ds["content"] == ["37.50", "00"]
    for table in TABLES:  # every cell as the Parquet table has it (text after the formula guard is undone)
        csv_rows = as_written(out / "tables_csv", table)
        parquet = load_dataset(str(single), table, split="train", cache_dir=cache)
        for a, b in zip(csv_rows, parquet, strict=True):
            for k, v in a.items():
                want = b[k]
                if isinstance(want, list) or isinstance(v, str) and not isinstance(want, str) and want is not None:
                    continue  # lists and times: written as text in CSV
                if v is None and want == "":
                    continue  # CSV writes an empty text and a missing one alike
                assert (restore(v) if isinstance(v, str) else v) == want, (table, k, v, want)


def test_the_csv_cards_recipe_reads_protected_cells_back_as_written(exported, tmp_path):
    """Walk s61: a corrected reply `-多喝水…` came back from bianque_csv as `'-多喝水…` (the formula guard), which a
    model trained on the CSV would learn. The card names the JSONL file for training and gives a recipe that
    undoes the guard; it is run here as the card prints it."""
    import re

    from datasets import load_dataset

    from workbench.csv_safety import neutralise
    from workbench.export.card import UNPROTECT_RECIPE

    out, _single, _reports = exported
    card = (out / "bianque_csv" / "README.md").read_text(encoding="utf-8")
    assert f"`{UNPROTECT_RECIPE}`" in card and "train from those" in card

    def unprotect(cell):
        return eval(UNPROTECT_RECIPE, {"re": re, "cell": cell})  # noqa: S307 - the card's own text

    for text in ("-多喝水\n+早点休息\n@医生 复诊", "'=x", "'plain", "''-y", "=1+1", "\t缩进", "普通回复"):
        assert unprotect(neutralise(text)) == text
    cache = str(tmp_path / "hf")
    csv_rows = load_dataset(str(out / "bianque_csv"), "bianque_csv", split="train", cache_dir=cache)
    jsonl_rows = load_dataset(str(out / "bianque_jsonl"), "bianque_jsonl", split="train", cache_dir=cache)
    assert [unprotect(t) for t in csv_rows["target"]] == jsonl_rows["target"]


def _card_fields(folder) -> list[str]:
    """The field names in the card's Fields table, in order."""
    import re

    text = (folder / "README.md").read_text("utf-8")
    section = text.split("## Fields", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)


def test_the_cards_fields_are_the_fields_the_rows_hold(exported):
    """Walk s64: the BianQue and SFT cards described a `generation_ids` field that none of their rows holds."""
    import csv
    import json

    out, _single, _reports = exported
    for fmt in ("bianque_jsonl", "bianque_csv"):
        path = out / fmt / ("train.jsonl" if fmt.endswith("jsonl") else "train.csv")
        if fmt.endswith("jsonl"):
            keys = list(json.loads(path.read_text("utf-8").splitlines()[0]))
        else:
            keys = next(csv.reader(path.open(encoding="utf-8")))
        assert _card_fields(out / fmt) == keys, fmt
    for fmt in ("sft", "kto"):
        row = json.loads((out / fmt / "train.jsonl").read_text("utf-8").splitlines()[0])
        text = (out / fmt / "README.md").read_text("utf-8")
        described = text.split("| `metadata` | object: ", 1)[1].split(" |", 1)[0].split(", ")
        assert sorted(described) == sorted(row["metadata"]), fmt


def test_the_dpo_and_kto_cards_say_how_corrections_become_rows(exported):
    """Walk s64: KTO's card said a row is desirable when its mean score passes the threshold, yet every
    correction is a desirable row with no score; DPO's card never said what a `correction` pair rejects (the
    corrected reply whatever it scored, and every reply of the turn at or below the DPO low threshold)."""
    out, _single, _reports = exported
    kto = (out / "kto" / "README.md").read_text("utf-8")
    label = kto.split("| `label` | ", 1)[1].split(" |\n", 1)[0]
    assert "correction" in label and "always" in label
    dpo = (out / "dpo" / "README.md").read_text("utf-8")
    rejected = dpo.split("| `rejected` | ", 1)[1].split(" |\n", 1)[0]
    assert "dpo_low_threshold" in rejected and "corrected" in rejected


def test_the_cards_name_the_system_message_every_prompt_opens_with(tmp_path):
    """Walk s64: `--system-prompt` put a system message in front of every SFT, DPO and KTO prompt, but no card
    or report said which one (its Filters block lists filters only), so an export could not be reproduced."""
    store = Store(f"sqlite:///{tmp_path / 'wb.db'}")
    try:
        build_world(store)
        reports = export_from_store(store, ["sft", "dpo", "kto", "bianque_jsonl"], tmp_path / "out",
                                    system_prompt="你是扁鹊，一位*耐心*的医生")
    finally:
        store.dispose()
    for fmt in ("sft", "dpo", "kto"):
        card = (tmp_path / "out" / fmt / "README.md").read_text("utf-8")
        assert "system message: 你是扁鹊，一位\\*耐心\\*的医生" in card, fmt
    assert "system message" not in (tmp_path / "out" / "bianque_jsonl" / "README.md").read_text("utf-8")
    assert all(any("system message" in n for n in reports[f].notes) for f in ("sft", "dpo", "kto"))


def test_the_system_message_note_reads_in_chinese_in_the_export_tab():
    from workbench.ui import i18n

    note = "every prompt opens with this system message: 你是医生: 请耐心"
    assert i18n.catalogue().translate(note, "zh") == "每个提示都以这条系统消息开头：你是医生: 请耐心"
