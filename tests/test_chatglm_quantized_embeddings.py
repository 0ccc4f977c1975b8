"""The quantized tied embedding / lm_head table (``--quantize-embeddings``, THUDM's chatglm-6b-int4-qe):
int8 per row, read straight from a pre-quantized checkpoint, shared by the lookup and the lm_head."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.chatglm_kernels import needs_native, use_native_decode
from tests.test_chatglm_loading import _LOAD_SCRIPT, REPO, TINY, _constant_model, random_model
from tests.test_chatglm_native_step import _Count
from workbench.chatglm import ChatGLMConfig, ChatGLMForConditionalGeneration, native_step
from workbench.chatglm import quantization as q
from workbench.chatglm.loading import read_safetensors_header, save_model
from workbench.chatglm.prequantize import quantize_checkpoint
from workbench.cli import main
from workbench.errors import ConfigError, UnsupportedModelError

TABLE = "transformer.word_embeddings.weight"


def _prompt(config: ChatGLMConfig, length: int = 30) -> torch.Tensor:
    ids = torch.randint(6, 1150, (1, length), generator=torch.Generator().manual_seed(length))
    ids[0, -2], ids[0, -1] = config.gmask_token_id, config.bos_token_id
    return ids


def _forbid_float_table(monkeypatch) -> None:
    """Loading a checkpoint whose table is stored quantized must neither quantize it again nor give the
    float embedding real storage."""
    def refuse(*_a, **_k):
        raise AssertionError("the table was quantized again while loading a pre-quantized checkpoint")

    monkeypatch.setattr(q.QuantizedEmbedding, "set_float_weight", refuse)
    real_init = torch.nn.Embedding.__init__

    def meta_only(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        assert self.weight.is_meta, "a float embedding table was built with real storage"

    monkeypatch.setattr(torch.nn.Embedding, "__init__", meta_only)


@pytest.mark.parametrize("bits", [8, 4])
def test_round_trip_keeps_the_float_tables_greedy_tokens(tmp_path: Path, monkeypatch, demo_models,
                                                         bits: int) -> None:
    out = tmp_path / "qe"
    quantize_checkpoint(demo_models.v2_path, bits, out, quantize_embeddings=True)
    header, _ = read_safetensors_header(out / "model.safetensors")
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["quantization_embeddings"] is True and config["quantization_bit"] == bits
    vocab, hidden = config["vocab_size"], config["hidden_size"]
    for key in (TABLE, "lm_head.weight"):  # both of the original's keys, int8 with one scale per row
        assert header[key]["dtype"] == "I8" and header[key]["shape"] == [vocab, hidden]
        assert header[key + "_scale"]["shape"] == [vocab]

    with monkeypatch.context() as m:
        _forbid_float_table(m)
        qe = ChatGLMForConditionalGeneration.from_pretrained(out)
    table = qe.transformer.word_embeddings
    assert isinstance(table, q.QuantizedEmbedding) and isinstance(qe.lm_head, q.QuantizedLinear)
    assert qe.lm_head.weight is table.weight and qe.lm_head.weight_scale is table.weight_scale
    assert table.weight.dtype == torch.int8 and qe.dtype == torch.float32
    assert not any(t.is_floating_point() and t.shape[0] == vocab for t in [*qe.parameters(), *qe.buffers()]
                   if t.dim() == 2), "a float [vocab, hidden] tensor exists"

    reference = ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path, quantization_bit=bits)
    ids = _prompt(reference.config)
    with torch.inference_mode():
        got, want = qe(ids).logits[0, -1], reference(ids).logits[0, -1]
    # int8 per row: each table entry is off by at most half a step (max|row| / 254), so the logits stay
    # within a few percent of their range (1.2% measured on this model).
    assert (got - want).abs().max() < 0.03 * want.abs().max(), ((got - want).abs().max(), want.abs().max())
    assert torch.nn.functional.cosine_similarity(got, want, dim=0) > 0.999
    # Greedy decoding follows the float table's wherever that one is not a near tie: along the reference's
    # greedy continuation, each step's choice is the same whenever the reference's top two logits are further
    # apart than twice the error bound above (exact equality of a whole sequence would hang on near ties,
    # which the machine's kernel choice decides).
    new = 8
    sequence = reference.generate(ids, max_new_tokens=new, eos_token_id=-1)
    with torch.inference_mode():
        got_steps = qe(sequence).logits[0, -new - 1:-1]
        want_steps = reference(sequence).logits[0, -new - 1:-1]
    top2 = want_steps.topk(2, dim=-1).values
    decided = (top2[:, 0] - top2[:, 1]) > 2 * 0.03 * want_steps.abs().amax(dim=-1)
    assert ((got_steps - want_steps).abs().amax(-1) < 0.03 * want_steps.abs().amax(-1)).all()  # every step
    assert decided.sum() >= 2, "too few clear steps: the comparison says little"
    assert torch.equal(got_steps.argmax(-1)[decided], want_steps.argmax(-1)[decided])
    assert torch.equal(sequence[0, -new:], want_steps.argmax(-1))  # the reference's own greedy choices
    # The lookup dequantizes exactly the rows it is given.
    rows = torch.tensor([[0, 5, vocab - 1]])
    assert torch.equal(table(rows)[0], q.dequantize(table.weight[rows[0]], table.weight_scale[rows[0]], 8))


@pytest.mark.parametrize("bits", [8, 4])
def test_quantizing_while_loading_or_in_place_gives_the_same_model(tmp_path: Path, demo_models, bits: int) -> None:
    quantize_checkpoint(demo_models.v2_path, bits, tmp_path / "qe", quantize_embeddings=True)
    pre = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "qe")
    at_load = ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path, quantization_bit=bits,
                                                              quantize_embeddings=True)
    in_place = ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path).quantize(bits, embeddings=True)
    assert in_place.config.quantization_embeddings and at_load.config.quantization_embeddings
    for name, t in pre.state_dict().items():
        assert torch.equal(at_load.state_dict()[name], t), name
        assert torch.equal(in_place.state_dict()[name], t), name
    # A dtype conversion keeps the one table (and its one scale) shared by the lookup and the lm_head.
    converted = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "qe").to(torch.bfloat16)
    table = converted.transformer.word_embeddings
    assert converted.dtype == torch.bfloat16 and table.weight_scale.dtype == torch.bfloat16
    assert converted.lm_head.weight is table.weight and converted.lm_head.weight_scale is table.weight_scale
    # Saving a model with a quantized table writes a checkpoint that loads back the same.
    pre.save_pretrained(tmp_path / "saved")
    again = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "saved")
    ids = _prompt(pre.config)
    assert torch.equal(again(ids).logits, pre(ids).logits)


def test_without_the_flag_nothing_changes(tmp_path: Path, demo_models) -> None:
    quantize_checkpoint(demo_models.v2_path, 8, tmp_path / "q")
    config = json.loads((tmp_path / "q" / "config.json").read_text(encoding="utf-8"))
    assert "quantization_embeddings" not in config
    header, _ = read_safetensors_header(tmp_path / "q" / "model.safetensors")
    assert header[TABLE]["dtype"] == "F32" and TABLE + "_scale" not in header
    model = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "q")
    assert type(model.transformer.word_embeddings) is torch.nn.Embedding
    assert model.lm_head.weight is model.transformer.word_embeddings.weight


def test_config_flag_round_trip(tmp_path: Path) -> None:
    base = {**TINY, "quantization_bit": 4}
    config = ChatGLMConfig.from_dict({**base, "quantization_embeddings": True})
    assert config.quantization_embeddings
    config.save_pretrained(tmp_path)
    written = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert written["quantization_embeddings"] is True
    assert ChatGLMConfig.from_pretrained(tmp_path).quantization_embeddings
    config.quantization_embeddings = False
    assert "quantization_embeddings" not in config.to_dict()
    assert not ChatGLMConfig.from_dict(base).quantization_embeddings
    with pytest.raises(ConfigError, match="quantization_embeddings must be true or false"):
        ChatGLMConfig.from_dict({**base, "quantization_embeddings": "yes"})
    with pytest.raises(UnsupportedModelError, match="needs quantization_bit 4 or 8"):
        ChatGLMConfig.from_dict({**TINY, "quantization_embeddings": True})


def test_refusals(tmp_path: Path, demo_models) -> None:
    quantize_checkpoint(demo_models.v2_path, 8, tmp_path / "qe", quantize_embeddings=True)
    with pytest.raises(UnsupportedModelError, match="full-precision table"):
        ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "qe", quantize_embeddings=False)
    with pytest.raises(UnsupportedModelError, match="needs quantization_bit 4 or 8"):
        ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "qe", quantization_bit=0)
    with pytest.raises(UnsupportedModelError, match="quantize_embeddings needs quantization_bit"):
        ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path, quantize_embeddings=True)
    # A quantized table under a config that does not say so is named, not read as floats.
    config_path = tmp_path / "qe" / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    del config["quantization_embeddings"]
    config_path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(UnsupportedModelError, match="set quantization_embeddings in config.json"):
        ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "qe")
    # An already quantized checkpoint is not quantized again, table or not.
    with pytest.raises(UnsupportedModelError, match="already quantized"):
        quantize_checkpoint(tmp_path / "qe", 8, tmp_path / "again", quantize_embeddings=True)


def test_command_line_flag(tmp_path: Path, demo_models, capsys) -> None:
    out = tmp_path / "v2-int4-qe"
    assert main(["quantize", "--model", str(demo_models.v2_path), "--bits", "4", "--out", str(out),
                 "--quantize-embeddings", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["quantize_embeddings"] is True and report["bits"] == 4
    plain = tmp_path / "v2-int4"
    assert main(["quantize", "--model", str(demo_models.v2_path), "--bits", "4", "--out", str(plain),
                 "--quiet"]) == 0
    plain_report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert plain_report["quantize_embeddings"] is False
    # The table is half its float32 size... here a quarter (the demo model is float32): smaller on disk.
    assert report["weight_bytes"] < plain_report["weight_bytes"]
    model = ChatGLMForConditionalGeneration.from_pretrained(out)
    assert model.config.quantization_bit == 4 and isinstance(model.transformer.word_embeddings,
                                                             q.QuantizedEmbedding)


def test_the_app_loads_such_a_folder(tmp_path: Path, demo_models) -> None:
    """A models.yaml column with ``quantization_bit`` (or none: the config's) loads a qe folder."""
    from workbench.config import ModelSource
    from workbench.models import bianque_v2

    quantize_checkpoint(demo_models.v2_path, 4, tmp_path / "qe", quantize_embeddings=True)
    for bits in (4, None):
        source = ModelSource(path=str(tmp_path / "qe"), quantization_bit=bits)
        tokenizer = bianque_v2.load_tokenizer(source)
        loaded = bianque_v2.load_model(source, tokenizer)
        model = loaded.model
        assert isinstance(model.transformer.word_embeddings, q.QuantizedEmbedding)


@needs_native
def test_whole_c_steps_run_with_a_quantized_table_and_give_the_forwards_tokens(demo_models, monkeypatch) -> None:
    """The C decode step leaves a quantized table to torch (the token's row dequantized before it, the
    quantized lm_head after it): generation runs C steps with a quantized table too, and gives exactly the
    tokens the forward path gives."""
    use_native_decode(monkeypatch, True)
    count = _Count(monkeypatch)
    float_table = ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path, quantization_bit=8)
    ids = _prompt(float_table.config)
    new = 8
    float_table.generate(ids, max_new_tokens=new, eos_token_id=-1)
    assert count.steps == new - 1  # the same model with a float table does run whole C steps
    count.steps = 0
    model = ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path, quantization_bit=8,
                                                            quantize_embeddings=True)
    out = model.generate(ids, max_new_tokens=new, eos_token_id=-1)[0, -new:].tolist()
    assert count.steps == new - 1
    monkeypatch.setattr(native_step, "decoder_for", lambda *_a: None)
    assert out == model.generate(ids, max_new_tokens=new, eos_token_id=-1)[0, -new:].tolist()


@pytest.mark.parametrize("bits", [8, 4], ids=["int8", "int4"])
def test_loading_never_materialises_the_table_in_float(tmp_path: Path, bits: int) -> None:
    """Loading a qe checkpoint peaks within 10% of the quantized model, whose table is int8: reading the
    table as bf16 first (80 MB here, the int8 table 40 MB) would break the bound."""
    config = ChatGLMConfig(**{**TINY, "hidden_size": 1024, "num_attention_heads": 16, "inner_hidden_size": 4096,
                              "num_layers": 2, "vocab_size": 40960, "bos_token_id": 40000, "eos_token_id": 40001,
                              "mask_token_id": 40002, "gmask_token_id": 40003})
    model = _constant_model(config, torch.bfloat16)
    save_model(model, tmp_path / "big")
    save_model(random_model(hidden_size=128, inner_hidden_size=256).to(torch.bfloat16), tmp_path / "small")
    del model
    quantize_checkpoint(tmp_path / "big", bits, tmp_path / "big-q", quantize_embeddings=True)
    quantize_checkpoint(tmp_path / "small", bits, tmp_path / "small-q", quantize_embeddings=True)
    script = _LOAD_SCRIPT.replace('print(json.dumps({', 'size = sum(t.numel() * t.element_size() for t in '
                                  '{id(t): t for t in [*m.parameters(), *m.buffers()]}.values())\n'
                                  'print(json.dumps({"size": size, ')
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "big-q"), "bfloat16",
                           str(tmp_path / "small-q")], cwd=REPO, capture_output=True, text=True, check=True)
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    table_int8 = 40960 * 1024
    assert table_int8 < figures["size"] < 2 * table_int8  # the int8 table is the model's largest part
    growth = figures["peak"] - figures["before"]
    assert growth <= 1.10 * figures["size"] + 24 * 2**20, (bits, growth / 2**20, figures["size"] / 2**20)


def test_an_int4_table_as_chatglm_6b_int4_qe_stores_it_loads(tmp_path: Path, demo_models) -> None:
    """THUDM's qe checkpoint packs the table at the model's bit width (int4, two per byte): the loader
    builds an int4 table from the stored shape, and it matches quantizing the float table to int4."""
    from workbench.chatglm.loading import _write_safetensors, iter_checkpoint

    quantize_checkpoint(demo_models.v2_path, 4, tmp_path / "qe8", quantize_embeddings=True)
    (tmp_path / "qe4").mkdir()
    float_table = dict(iter_checkpoint(demo_models.v2_path))[TABLE]
    packed, scale = q.quantize_weight(float_table, 4)
    tensors = {}
    for key, t in iter_checkpoint(tmp_path / "qe8"):
        if key in (TABLE, "lm_head.weight"):
            t = packed
        elif key in (TABLE + "_scale", "lm_head.weight_scale"):
            t = scale
        tensors[key] = t
    _write_safetensors(tmp_path / "qe4" / "model.safetensors", tensors)
    for item in (tmp_path / "qe8").iterdir():
        if item.suffix != ".safetensors":
            (tmp_path / "qe4" / item.name).write_bytes(item.read_bytes())
    loaded = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "qe4")
    table = loaded.transformer.word_embeddings
    assert isinstance(table, q.QuantizedEmbedding) and table.bits == 4 and loaded.lm_head.bits == 4
    assert loaded.lm_head.weight is table.weight
    reference = ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path).quantize(4)
    q.quantize_table(reference, 4)
    ids = _prompt(loaded.config)
    assert torch.equal(loaded(ids).logits, reference(ids).logits)
    new = 6
    assert torch.equal(loaded.generate(ids, max_new_tokens=new, eos_token_id=-1),
                       reference.generate(ids, max_new_tokens=new, eos_token_id=-1))


def _labelled_float16(tmp_path: Path, demo_models) -> Path:
    """The demo BianQue-2 folder with ``torch_dtype: float16`` in its config, as the real checkpoint's."""
    import shutil

    folder = tmp_path / "fp16-labelled"
    shutil.copytree(demo_models.v2_path, folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    (folder / "config.json").write_text(json.dumps({**config, "torch_dtype": "float16"}), encoding="utf-8")
    return folder


def _table_dtype(model) -> torch.dtype:
    table = model.transformer.word_embeddings.weight
    assert model.lm_head.weight is table  # tied: one table, whatever its dtype
    return table.dtype


def test_auto_dtype_on_cpu_is_float32_for_a_quantized_model_with_its_float_table_kept_16_bit(
        tmp_path: Path, demo_models) -> None:
    """``dtype="auto"`` takes the checkpoint's dtype (float16, so bfloat16 on CPU), except for a quantized model,
    which computes in float32 so that decode steps run in C, its float table held in bf16 (not doubled); an
    explicit dtype always wins, table included."""
    from workbench.chatglm.loading import auto_dtype

    folder = _labelled_float16(tmp_path, demo_models)
    load = ChatGLMForConditionalGeneration.from_pretrained
    plain = load(folder)
    assert plain.dtype == _table_dtype(plain) == torch.bfloat16
    int4 = load(folder, quantization_bit=4)
    assert (int4.dtype, _table_dtype(int4)) == (torch.float32, torch.bfloat16)
    assert int4.transformer.layers[0].input_layernorm.weight.dtype == torch.float32
    assert load(folder, quantization_bit=4, quantize_embeddings=True).dtype == torch.float32
    assert load(folder, quantization_bit=8, quantize_embeddings=True, dtype="bfloat16").dtype == torch.bfloat16
    explicit = load(folder, quantization_bit=8, dtype="float32")
    assert explicit.dtype == _table_dtype(explicit) == torch.float32
    quantize_checkpoint(folder, 4, tmp_path / "qe", quantize_embeddings=True)  # the flag read from its config
    assert load(tmp_path / "qe").dtype == torch.float32
    quantize_checkpoint(folder, 8, tmp_path / "q8")
    q8 = load(tmp_path / "q8")
    assert (q8.dtype, _table_dtype(q8)) == (torch.float32, torch.bfloat16)
    # Saved again, it is labelled by its table, so it loads back the same (not with a float32 table).
    q8.save_pretrained(tmp_path / "q8-again")
    again = load(tmp_path / "q8-again")
    assert (again.dtype, _table_dtype(again)) == (torch.float32, torch.bfloat16)
    assert torch.equal(again.transformer.word_embeddings.weight, q8.transformer.word_embeddings.weight)
    # On CUDA the checkpoint's dtype stands (no C step there).
    assert auto_dtype("float16", torch.device("cuda"), 4) == "float16"


@needs_native
def test_the_app_runs_c_steps_for_a_quantized_table_folder_under_auto(tmp_path: Path, demo_models,
                                                                       monkeypatch) -> None:
    """models.yaml's default ``dtype: auto`` on a float16-labelled, int4 + table folder: float32, C decode steps."""
    from workbench.config import ModelSource
    from workbench.models import bianque_v2

    use_native_decode(monkeypatch, True)
    count = _Count(monkeypatch)
    quantize_checkpoint(_labelled_float16(tmp_path, demo_models), 4, tmp_path / "qe", quantize_embeddings=True)
    source = ModelSource(path=str(tmp_path / "qe"), device="cpu")
    model = bianque_v2.load_model(source, bianque_v2.load_tokenizer(source)).model
    assert model.dtype == torch.float32
    new = 6
    model.generate(_prompt(model.config), max_new_tokens=new, eos_token_id=-1)
    assert count.steps == new - 1


@needs_native
@pytest.mark.parametrize("bits", [8, 4])
def test_the_app_runs_c_steps_for_a_quantized_folder_with_a_float_table_under_auto(
        tmp_path: Path, demo_models, monkeypatch, bits: int) -> None:
    """The same without --quantize-embeddings: float32 blocks, the bf16 table read outside the C step, and the
    tokens of the same model whose table was widened to float32 beforehand (the step's rows and logits are
    the exact widening of the bf16 table's, summed in fp32)."""
    from workbench.config import ModelSource
    from workbench.models import bianque_v2

    use_native_decode(monkeypatch, True)
    quantize_checkpoint(_labelled_float16(tmp_path, demo_models), bits, tmp_path / "q")
    source = ModelSource(path=str(tmp_path / "q"), device="cpu")
    model = bianque_v2.load_model(source, bianque_v2.load_tokenizer(source)).model
    assert (model.dtype, _table_dtype(model)) == (torch.float32, torch.bfloat16)
    new, prompt = 8, _prompt(model.config)
    count = _Count(monkeypatch)
    ours = model.generate(prompt, max_new_tokens=new, eos_token_id=-1)
    assert count.steps == new - 1
    model.float()
    assert _table_dtype(model) == torch.float32
    use_native_decode(monkeypatch, False)
    assert torch.equal(model.generate(prompt, max_new_tokens=new, eos_token_id=-1), ours)
