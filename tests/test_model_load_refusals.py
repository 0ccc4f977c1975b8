"""Checkpoints that cannot give real replies are refused when they load, with the reason named, instead of
loading "successfully" and storing meaningless replies as ``ok`` (audit h2). Built from the demo checkpoints,
loaded through the real loaders (transformers, the native ChatGLM)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workbench.config import ModelSource
from workbench.errors import ModelLoadError
from workbench.models import bianque_v1


def _copy(folder: Path, tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    shutil.copytree(folder, out)
    return out


def _source(path: Path | str) -> ModelSource:
    return ModelSource(path=str(path), device="cpu", dtype="float32")


# ------------------------------------------------------------------------------------- T5 tokenizer files
def test_a_t5_folder_without_a_tokenizer_file_is_refused(demo_models, tmp_path):
    folder = _copy(demo_models.v1_path, tmp_path, "t5-notok")
    (folder / "spiece.model").unlink()
    with pytest.raises(ModelLoadError, match=r"no spiece\.model or tokenizer\.json in .*t5-notok"):
        bianque_v1.load_tokenizer(_source(folder))


def test_a_t5_folder_with_only_tokenizer_json_still_loads(demo_models, tmp_path):
    reference = bianque_v1.load_tokenizer(_source(demo_models.v1_path))
    folder = _copy(demo_models.v1_path, tmp_path, "t5-json")
    reference.save_pretrained(folder)
    (folder / "spiece.model").unlink()
    assert (folder / "tokenizer.json").is_file()
    tok = bianque_v1.load_tokenizer(_source(folder))
    text = "病人：我最近经常失眠\\n医生："
    assert tok(text)["input_ids"] == reference(text)["input_ids"]
    assert len(tok(text)["input_ids"]) > 3


def test_a_t5_column_on_a_chatglm_folder_is_refused(demo_models):
    with pytest.raises(ModelLoadError, match=str(demo_models.v2_path)):
        bianque_v1.load_tokenizer(_source(demo_models.v2_path))


def test_an_unreachable_hub_id_is_refused_offline():
    with pytest.raises(ModelLoadError, match=r"hub") as caught:
        bianque_v1.load_tokenizer(_source("nobody-f1/no-such-model"))
    assert "nobody-f1/no-such-model" in str(caught.value)


def test_a_tokenizer_larger_than_the_model_vocabulary_is_refused(demo_models, tmp_path):
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    folder = _copy(demo_models.v1_path, tmp_path, "t5-smallvocab")
    config = json.loads((folder / "config.json").read_text())
    config["vocab_size"] = 200
    (folder / "model.safetensors").unlink()
    torch.manual_seed(0)
    T5ForConditionalGeneration(T5Config.from_dict(config)).save_pretrained(folder)
    source = _source(folder)
    tok = bianque_v1.load_tokenizer(source)
    assert len(tok) > 200
    with pytest.raises(ModelLoadError, match=rf"tokenizer has {len(tok)} pieces .* vocab_size is 200"):
        bianque_v1.load_model(source, tok)


def test_a_chatglm_tokenizer_larger_than_the_model_vocabulary_is_refused(demo_models, tmp_path):
    """Loaded, it replied until a message held a piece beyond the embedding table (here a run of spaces, one
    <|blank_n|> piece), and that reply failed with "IndexError: index out of range in self"."""
    from safetensors.torch import save_file

    from workbench.chatglm.loading import iter_checkpoint
    from workbench.models import bianque_v2

    folder = _copy(demo_models.v2_path, tmp_path, "glm-smallvocab")
    state = dict(iter_checkpoint(folder))
    vocab = 2200
    for key in ("transformer.word_embeddings.weight", "lm_head.weight"):
        state[key] = state[key][:vocab].contiguous()
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "vocab_size": vocab}))
    source = _source(folder)
    tok = bianque_v2.load_tokenizer(source)
    assert max(tok("头疼" + " " * 60)["input_ids"]) >= vocab
    with pytest.raises(ModelLoadError, match=rf"glm-smallvocab: the tokenizer has {len(tok)} pieces .* vocab_size is {vocab}"):
        bianque_v2.load_model(source, tok)


def test_a_broken_t5_column_stores_an_error_not_a_reply(services, demo_models, tmp_path):
    """Through the generation service: the column's reply is stored with status error and the reason."""
    from workbench.config import V1Column
    from workbench.dialogue import Dialogue
    from workbench.generation import Job
    from workbench.models.registry import build_backend
    from workbench.store.dialogues import create_dialogue
    from workbench.store.schema import Generation

    folder = _copy(demo_models.v1_path, tmp_path, "t5-notok")
    (folder / "spiece.model").unlink()
    column = V1Column(name="NoTok", backend="bianque-v1", model={"path": str(folder), "device": "cpu"})
    backend = build_backend(column, services.pool, {})
    dialogue = Dialogue.of([("patient", "你好"), ("doctor", "你好，请问有什么可以帮您？"), ("patient", "头疼")])
    with services.store.session() as s:
        did = create_dialogue(s, dialogue.turns).id
    finals = [u for u in services.generations.run_many([Job("NoTok", backend, dialogue, 1)], {"NoTok": (did, 3)})
              if u.final]
    assert [u.status for u in finals] == ["error"]
    assert "no spiece.model or tokenizer.json" in finals[0].error
    with services.store.session() as s:
        row = s.query(Generation).filter_by(column_name="NoTok").one()
        assert row.status == "error" and row.output == "" and "no spiece.model" in row.error


# ------------------------------------------------------------------------------------- T5 weights
def test_a_t5_checkpoint_with_missing_tensors_is_refused(demo_models, tmp_path):
    """Renamed keys used to load as random weights that "replied" with status ok."""
    from safetensors.torch import load_file, save_file

    folder = _copy(demo_models.v1_path, tmp_path, "t5-renamed")
    state = load_file(str(folder / "model.safetensors"))
    renamed = {("xx." + k if ".block." in k else k): v.contiguous() for k, v in state.items()}
    save_file(renamed, str(folder / "model.safetensors"), metadata={"format": "pt"})
    source = _source(folder)
    tok = bianque_v1.load_tokenizer(source)
    with pytest.raises(ModelLoadError, match=r"t5-renamed: checkpoint is missing \d+ tensors?, e\.g\. \['decoder\.block"
                       r".*holds \d+ it does not use, e\.g\. \['xx\.decoder\.block"):
        bianque_v1.load_model(source, tok)


def test_a_tied_t5_checkpoint_without_its_derived_tensors_loads(demo_models, tmp_path):
    """A tied checkpoint stores the shared embedding once: lm_head and the encoder's and decoder's
    embed_tokens are filled by transformers, not missing."""
    import torch
    from safetensors.torch import load_file, save_file

    folder = _copy(demo_models.v1_path, tmp_path, "t5-tied")
    state = load_file(str(folder / "model.safetensors"))
    derived = ("lm_head.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight")
    kept = {k: v.contiguous() for k, v in state.items() if k not in derived}
    assert "shared.weight" in kept
    save_file(kept, str(folder / "model.safetensors"), metadata={"format": "pt"})
    source = _source(folder)
    loaded = bianque_v1.load_model(source, bianque_v1.load_tokenizer(source))
    assert torch.equal(loaded.model.lm_head.weight, state["shared.weight"])
    assert torch.equal(loaded.model.decoder.embed_tokens.weight, state["shared.weight"])


def test_a_t5_column_on_another_architecture_names_its_model_type(demo_models, tmp_path):
    """A ChatGLM folder or a BERT config built a random T5 whose replies all failed (decoder_start_token_id)."""
    tok = bianque_v1.load_tokenizer(_source(demo_models.v1_path))
    for loader in (bianque_v1.load_tokenizer, lambda source: bianque_v1.load_model(source, tok)):
        with pytest.raises(ModelLoadError, match=r"holds a model of type 'chatglm' \(config\.json\), not T5"):
            loader(_source(demo_models.v2_path))
    folder = _copy(demo_models.v1_path, tmp_path, "t5-bertcfg")
    (folder / "config.json").write_text(json.dumps({"model_type": "bert", "architectures": ["BertModel"],
                                                    "vocab_size": 1111, "hidden_size": 96}))
    with pytest.raises(ModelLoadError, match=r"t5-bertcfg holds a model of type 'bert'"):
        bianque_v1.load_model(_source(folder), tok)


# ------------------------------------------------------------------------------------- paths
@pytest.mark.parametrize("backend", ["bianque_v1", "bianque_v2", "hf_causal"])
def test_a_missing_relative_path_is_named_as_such(backend, tmp_path, monkeypatch):
    """A relative path that does not exist was taken for a hub id: transformers' "Repo id must be in the
    form..." or the hub's offline advice."""
    import importlib

    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(f"workbench.models.{backend}")
    with pytest.raises(ModelLoadError) as caught:
        module.load_tokenizer(_source("relative/not/here"))
    assert str(caught.value) == "not a local folder, and not a hub id (owner/name): relative/not/here"
    with pytest.raises(ModelLoadError) as caught:
        module.load_tokenizer(_source("models/BianQue-2"))
    assert str(caught.value) == ("not a local folder, and not found on the hub (offline: only its local cache was "
                                 "searched): models/BianQue-2")


def test_an_existing_relative_path_still_loads(demo_models, tmp_path, monkeypatch):
    shutil.copytree(demo_models.v1_path, tmp_path / "models" / "BianQue-1")
    monkeypatch.chdir(tmp_path)
    assert len(bianque_v1.load_tokenizer(_source("models/BianQue-1"))) > 100
