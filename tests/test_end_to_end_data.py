"""Acceptance: a store built only through the project's interfaces (import, batch on the demo models, two
annotators through the rating API), exported in every format, gives numbers and training data without
contradictions: no DPO pair with chosen == rejected, no duplicate or reversed pair, no KTO completion
with both labels, metrics without greetings, and every config of every card loads with
``datasets.load_dataset``; the SFT, DPO and KTO files have the columns TRL reads, and TRL's own chat
template step accepts them."""

from __future__ import annotations

import json
import random
from pathlib import Path

from sqlalchemy import select

from workbench.analysis.dashboard import compute_dashboard
from workbench.analysis.from_store import load_frames
from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.annotate.ratings import PreferenceForm, RatingForm, submit_item
from workbench.annotate.rubric import load_rubric
from workbench.auth import upsert_user
from workbench.batch import run_batch
from workbench.config import REPO_ROOT
from workbench.datasets.store_import import import_dataset
from workbench.export import WRITERS
from workbench.export.from_store import export_from_store
from workbench.prompts import GREETING
from workbench.store.schema import Generation

SEED_CSV = Path(REPO_ROOT) / "workbench" / "data" / "seed_examples_bianque.csv"
SAMPLE_CSV = Path(__file__).parent / "data" / "import_bianque_sample.csv"
K = 2


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def rate_everything(svc, names: tuple[str, ...]) -> int:
    """Each annotator takes items through the queue until none is left and submits every one."""
    rubric = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
    with svc.store.session() as s:
        sync_queue(s)
    done = 0
    for n, name in enumerate(names):
        user = upsert_user(svc.store, name, "secret-pass-" + name)
        rnd = random.Random(n)
        while True:
            with svc.store.session() as s:
                claim = take_next(s, user, K)
                if claim is None:
                    break
                item = open_item(s, user, claim.item_id)
                # One answer per group of identical replies, as the Rate tab stores it (the submit refuses two).
                forms = {}
                for group in item.groups:
                    form = RatingForm(
                        turn_type=rnd.choice(["question", "suggestion", "mixed"]),
                        scores={"questioning": rnd.randint(1, 5), "suggestion": rnd.randint(1, 5)},
                        safety_flag=rnd.random() < 0.05,
                        corrected_reply=rnd.choice([None] * 6 + [group[0].output, "建议及时到医院就诊，查血常规。"]))
                    forms.update({r.generation_id: form for r in group})
                ids = [r.generation_id for r in item.replies]
                outcome = rnd.choice(["best", "ranking", "tie", "all_bad"])
                rnd.shuffle(ids)
                pref = {"best": PreferenceForm("best", ids[0]), "ranking": PreferenceForm("ranking", None, tuple(ids)),
                        "tie": PreferenceForm("tie"), "all_bad": PreferenceForm("all_bad")}[outcome]
                submit_item(s, user, claim.item_id, forms, pref, rubric=rubric)
                done += 1
    return done


def test_store_built_through_the_interfaces_exports_consistent_data(demo_config, tmp_path, monkeypatch):
    from conftest import config_with_db

    from workbench.services import build_services

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    svc = build_services(config_with_db(demo_config, f"sqlite:///{tmp_path / 'wb.db'}"))
    try:
        import_dataset(svc, SEED_CSV, name="seed")
        import_dataset(svc, SAMPLE_CSV, name="sample")
        assert run_batch(svc, "seed", None, "all").errors == 0  # the model answers every doctor turn
        assert run_batch(svc, "sample", None, "all", greeting="app").errors == 0  # the apps' greeting
        with svc.store.session() as s:
            gens = list(s.scalars(select(Generation)))
            greetings = [g for g in gens if g.route == "greeting"]
            by_position: dict[tuple, list[str]] = {}
            for g in gens:
                by_position.setdefault((g.dialogue_id, g.turn_index), []).append(g.output)
        assert greetings and all(g.output == GREETING for g in greetings)
        identical = sum(len(v) - len(set(v)) for v in by_position.values())
        assert rate_everything(svc, ("ann_a", "ann_b")) > 0

        # Greeting-free metrics, greetings counted apart
        frames = load_frames(svc.store)
        greeting_ids = {g.id for g in greetings}
        assert not greeting_ids & set(frames.generations["generation_id"])
        assert not greeting_ids & set(frames.ratings["generation_id"])
        assert (frames.references["text"].str.strip() != GREETING).all()
        d = compute_dashboard(frames, metrics=False, n_boot=50, bt_boot=10)
        assert d.greetings == len(greetings)
        assert d.counts["generations"] == len(gens) - len(greetings)

        out = tmp_path / "export"
        reports = export_from_store(svc.store, list(WRITERS), out, deidentify=False)
    finally:
        svc.close()

    dpo = jsonl(out / "dpo" / "train.jsonl")
    keys = [(json.dumps(r["prompt"], ensure_ascii=False), r["chosen"][0]["content"], r["rejected"][0]["content"])
            for r in dpo]
    assert dpo and all(c != r for _, c, r in keys)
    assert len(set(keys)) == len(keys)
    assert not {(p, r, c) for p, c, r in keys} & set(keys)
    kto = jsonl(out / "kto" / "train.jsonl")
    labels: dict[tuple, set] = {}
    for r in kto:
        labels.setdefault((json.dumps(r["prompt"], ensure_ascii=False), r["completion"][0]["content"]),
                          set()).add(r["label"])
    assert kto and all(len(v) == 1 for v in labels.values()) and len(labels) == len(kto)
    # batch answered the dataset's first doctor turns with the model: they are training rows now
    assert any(r["metadata"]["turn_index"] == 1 and r["metadata"]["dataset"] == "seed" for r in kto)
    sft = jsonl(out / "sft" / "train.jsonl")
    for r in kto:
        assert r["completion"][0]["content"] != GREETING
    for r in sft:
        assert r["messages"][-1]["content"] != GREETING
    # With the demo config the hybrid's v1 turns equal BianQue-1.0's byte for byte: pooled into one reply
    assert identical > 0
    assert any(len(r["metadata"]["generation_ids"]) > 1 for r in kto)

    # Every config of every card loads
    from datasets import load_dataset
    from huggingface_hub import DatasetCard

    loaded = 0
    for folder in (out, *(out / f for f in reports)):
        meta = DatasetCard.load(folder / "README.md").data.to_dict()
        for c in meta["configs"]:
            ds = load_dataset(str(folder), c["config_name"], split="train", cache_dir=str(tmp_path / "hf"))
            assert len(ds) > 0
            loaded += 1
    assert loaded >= 4 + len(WRITERS) - 2 + 10

    check_trl_schema(out)


def check_trl_schema(out: Path) -> None:
    """The columns and types TRL's SFT, DPO and KTO trainers read, and TRL's chat-template step on them."""
    from datasets import load_dataset
    from trl.data_utils import is_conversational, maybe_apply_chat_template

    from workbench.demo import DEMO_CACHE_DEFAULT

    sft = load_dataset("json", data_files=str(out / "sft" / "train.jsonl"), split="train")
    dpo = load_dataset("json", data_files=str(out / "dpo" / "train.jsonl"), split="train")
    kto = load_dataset("json", data_files=str(out / "kto" / "train.jsonl"), split="train")
    assert {"messages"} <= set(sft.column_names)
    assert {"prompt", "chosen", "rejected"} <= set(dpo.column_names)
    assert {"prompt", "completion", "label"} <= set(kto.column_names)
    assert kto.features["label"].dtype == "bool"
    for ds in (sft, dpo, kto):
        assert is_conversational(ds[0])
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(DEMO_CACHE_DEFAULT / "v1")
    tok.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    for ds, keys in ((sft, {"text"}), (dpo, {"prompt", "chosen", "rejected"}), (kto, {"prompt", "completion"})):
        row = maybe_apply_chat_template({k: v for k, v in ds[0].items() if k != "metadata"}, tok)
        assert keys <= set(row) and all(isinstance(row[k], str) and row[k] for k in keys)
