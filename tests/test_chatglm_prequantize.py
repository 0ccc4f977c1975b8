"""``python -m workbench quantize``: pre-quantized checkpoints that load straight into the quantized model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.chatglm_random import random_chatglm
from workbench.chatglm import ChatGLMConfig, ChatGLMForConditionalGeneration, modeling
from workbench.chatglm import quantization as q
from workbench.chatglm.loading import read_safetensors_header
from workbench.chatglm.prequantize import quantize_checkpoint
from workbench.cli import main
from workbench.config import REPO_ROOT
from workbench.errors import InputError, UnsupportedModelError


def _model(seed: int = 0) -> ChatGLMForConditionalGeneration:
    config = ChatGLMConfig(vocab_size=1536, hidden_size=256, num_layers=3, num_attention_heads=4,
                           inner_hidden_size=1024, bos_token_id=1160, eos_token_id=1161, mask_token_id=1156,
                           gmask_token_id=1157)
    return random_chatglm(config, seed)


def _ids(config: ChatGLMConfig, length: int = 30) -> torch.Tensor:
    ids = torch.randint(6, 1150, (1, length), generator=torch.Generator().manual_seed(length))
    ids[0, -2], ids[0, -1] = config.gmask_token_id, config.bos_token_id
    return ids


def _forbid_full_precision_layers(monkeypatch) -> None:
    """Loading a pre-quantized checkpoint must neither quantize again nor build a float block Linear."""
    def refuse(*_a, **_k):
        raise AssertionError("full-precision work while loading a pre-quantized checkpoint")

    monkeypatch.setattr(q, "quantize_weight", refuse)
    monkeypatch.setattr(q.QuantizedLinear, "set_float_weight", refuse)
    real_init = modeling.BlockLinear.__init__

    def meta_only(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        assert self.weight.is_meta, "a block Linear was built with real storage"

    monkeypatch.setattr(modeling.BlockLinear, "__init__", meta_only)


@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("shard_bytes", [None, 300_000])
def test_quantize_round_trip_matches_quantize_at_load(tmp_path: Path, monkeypatch, bits: int,
                                                      shard_bytes: int | None) -> None:
    model = _model()
    model.save_pretrained(tmp_path / "fp", safe_serialization=False)  # a .bin source, like BianQue-2's
    (tmp_path / "fp" / "tokenizer_config.json").write_text("{}", encoding="utf-8")
    kwargs = {"max_shard_bytes": shard_bytes} if shard_bytes else {}
    paths = quantize_checkpoint(tmp_path / "fp", bits, tmp_path / "q", **kwargs)
    assert (len(paths) > 1) == bool(shard_bytes)
    assert (tmp_path / "q" / "tokenizer_config.json").is_file()
    assert json.loads((tmp_path / "q" / "config.json").read_text())["quantization_bit"] == bits
    header, _ = read_safetensors_header(paths[0])
    key = "transformer.layers.0.mlp.dense_h_to_4h.weight"
    if key in header:  # the original ChatGLM layout: int8, int4 packed two per byte
        assert header[key]["dtype"] == "I8"
        assert header[key]["shape"] == [1024, 256 if bits == 8 else 128]
    at_load = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "fp", quantization_bit=bits)
    with monkeypatch.context() as m:
        _forbid_full_precision_layers(m)
        pre = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "q")
    assert pre.config.quantization_bit == bits
    assert isinstance(pre.transformer.layers[0].mlp.dense_h_to_4h, q.QuantizedLinear)
    for name, t in at_load.state_dict().items():
        assert torch.equal(pre.state_dict()[name], t), name
    ids = _ids(model.config)
    assert torch.equal(pre.generate(ids, max_new_tokens=8, eos_token_id=-1),
                       at_load.generate(ids, max_new_tokens=8, eos_token_id=-1))


def test_quantize_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    model = _model()
    model.save_pretrained(tmp_path / "fp")
    with pytest.raises(UnsupportedModelError):
        quantize_checkpoint(tmp_path / "fp", 3, tmp_path / "x")
    with pytest.raises(InputError):
        quantize_checkpoint(tmp_path / "fp", 8, tmp_path / "fp")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError):
        quantize_checkpoint(tmp_path / "fp", 8, tmp_path / "busy")
    assert (tmp_path / "busy" / "notes.txt").read_text(encoding="utf-8") == "keep me"
    quantize_checkpoint(tmp_path / "fp", 8, tmp_path / "q8")
    with pytest.raises(UnsupportedModelError):
        quantize_checkpoint(tmp_path / "q8", 4, tmp_path / "q4")
    # Another model's folder (a T5: BianQue-1.0) is refused, not written out as a ChatGLM.
    config = json.loads((tmp_path / "fp" / "config.json").read_text(encoding="utf-8"))
    (tmp_path / "fp" / "config.json").write_text(json.dumps({**config, "model_type": "t5"}), encoding="utf-8")
    with pytest.raises(UnsupportedModelError, match="not a ChatGLM checkpoint \\(model_type 't5'\\)"):
        quantize_checkpoint(tmp_path / "fp", 4, tmp_path / "t5q")
    assert not (tmp_path / "t5q").exists()


def test_quantize_command_line(tmp_path: Path, demo_models, capsys) -> None:
    out = tmp_path / "v2-int8"
    assert main(["quantize", "--model", str(demo_models.v2_path), "--bits", "8", "--out", str(out),
                 "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["bits"] == 8 and report["files"] == ["model.safetensors"]
    assert (out / "ice_text.model").is_file()
    tokenizer_model = ChatGLMForConditionalGeneration.from_pretrained(out)
    assert tokenizer_model.config.quantization_bit == 8
    assert main(["quantize", "--model", str(demo_models.v2_path), "--bits", "8", "--out", str(out)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    proc = subprocess.run([sys.executable, "-m", "workbench", "quantize", "--help"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "--bits" in proc.stdout
