"""A ChatGLM checkpoint wider than tiny-a (head_dim 128 as in the real model), rebuilt from a seed.

``tests/data/chatglm_wide_reference.safetensors`` holds what the original THUDM code (transformers 4.33.3,
torch 2.13.0+cpu, float32, on this project's 2-core AVX2 machine kind) computed on this checkpoint for the
tiny-a prompts named in it: the prompt-pass KV cache of every layer (keys after rotary) and the last-position
logits. The original code itself is not in the repository.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch

FIXTURE = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "chatglm6b" / "tiny-a"
REFERENCE = Path(__file__).resolve().parent / "data" / "chatglm_wide_reference.safetensors"
SHAPE = {"hidden_size": 256, "num_attention_heads": 2, "num_layers": 3, "inner_hidden_size": 1024}
SEED = 11


def build_wide_checkpoint(out: Path) -> Path:
    """Write config, tokenizer and fp16-representable fp32 weights (std scaled to the width) to ``out``."""
    h, ff, layers, vocab = SHAPE["hidden_size"], SHAPE["inner_hidden_size"], SHAPE["num_layers"], 1536
    g = torch.Generator().manual_seed(SEED)

    def draw(*shape: int, std: float) -> torch.Tensor:
        return (torch.randn(*shape, generator=g) * std).half().float()

    linear_std = 0.4 * (64 / h) ** 0.5
    sd = {"transformer.word_embeddings.weight": draw(vocab, h, std=0.1)}
    sd["transformer.word_embeddings.weight"][1500:] = 0
    for i in range(layers):
        p = f"transformer.layers.{i}."
        for ln in ("input_layernorm", "post_attention_layernorm"):
            sd[p + ln + ".weight"] = 1 + draw(h, std=0.2)
            sd[p + ln + ".bias"] = draw(h, std=0.1)
        sd[p + "attention.query_key_value.weight"] = draw(3 * h, h, std=linear_std)
        sd[p + "attention.query_key_value.bias"] = draw(3 * h, std=0.05)
        sd[p + "attention.dense.weight"] = draw(h, h, std=linear_std)
        sd[p + "attention.dense.bias"] = draw(h, std=0.05)
        sd[p + "mlp.dense_h_to_4h.weight"] = draw(ff, h, std=linear_std)
        sd[p + "mlp.dense_h_to_4h.bias"] = draw(ff, std=0.05)
        sd[p + "mlp.dense_4h_to_h.weight"] = draw(h, ff, std=linear_std * (h / ff) ** 0.5)
        sd[p + "mlp.dense_4h_to_h.bias"] = draw(h, std=0.05)
    sd["transformer.final_layernorm.weight"] = 1 + draw(h, std=0.2)
    sd["transformer.final_layernorm.bias"] = draw(h, std=0.1)
    sd["lm_head.weight"] = sd["transformer.word_embeddings.weight"]
    out.mkdir(parents=True, exist_ok=True)
    torch.save(sd, out / "pytorch_model.bin")
    config = json.loads((FIXTURE / "config.json").read_text())
    config.update(SHAPE)
    (out / "config.json").write_text(json.dumps(config, indent=1))
    for name in ("tokenizer_config.json", "ice_text.model"):
        shutil.copy(FIXTURE / name, out / name)
    return out


def differences(folder: Path) -> dict[str, dict[str, float]]:
    """Per reference prompt: the largest absolute difference from the reference of each layer's cached key
    (``layer0``...) and of the last position's logits, for the workbench's float32 model on ``folder``."""
    from safetensors import safe_open

    from workbench.chatglm.loading import load_model

    model = load_model(folder, dtype="float32")
    with safe_open(REFERENCE, "pt") as f:
        prompts = json.loads(f.metadata()["prompts"])
        reference = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    out: dict[str, dict[str, float]] = {}
    for name, ids in prompts.items():
        with torch.no_grad():
            result = model(torch.tensor([ids]), use_cache=True)
        got = {}
        for layer in range(model.config.num_layers):
            ours, ref = result.past_key_values[layer][0][:, 0], reference[f"{name}.layer{layer}.key"]
            got[f"layer{layer}"] = (ours - ref).abs().max().item() if ours.shape == ref.shape else float("inf")
        got["logits"] = (result.logits[0, -1] - reference[f"{name}.logits"]).abs().max().item()
        out[name] = got
    return out


if __name__ == "__main__":  # python tests/chatglm_wide.py: the differences as one JSON line
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(differences(build_wide_checkpoint(Path(tmp)))))
