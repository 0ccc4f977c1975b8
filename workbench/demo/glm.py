"""The v2 demo model: a tiny native ChatGLM-6B with an ``ice_text.model`` in the ChatGLM id layout."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbench.demo.corpus import DemoDialogue, v2_pairs
from workbench.demo.recipe import DemoBuildError, GLMRecipe, Progress
from workbench.demo.t5 import ASCII_LINE
from workbench.demo.training import seed_everything, train_loop
from workbench.errors import DatasetError


def build_v2(
    train: Sequence[DemoDialogue],
    out: Path,
    r: GLMRecipe,
    greeting_variants: bool,
    say: Progress,
    earlier_positions: bool = True,
) -> dict[str, Any]:
    """Train the ChatGLM tokenizer and a tiny native ChatGLM on advice turns; write the folder to ``out``."""
    import torch
    import torch.nn.functional as F
    from torch import Tensor

    from workbench.chatglm.configuration import ChatGLMConfig
    from workbench.chatglm.loading import save_model
    from workbench.chatglm.modeling import ALPHA, ChatGLM, GLMBlock, build_position_ids_and_mask
    from workbench.chatglm.tokenizer_builder import build_chatglm_tokenizer

    seed_everything(r.seed)
    groups = v2_pairs(train, greeting_variants, earlier_positions)
    if not groups:
        raise DatasetError("the demo corpus has no doctor advice to train v2 on")
    say(f"demo v2: {len(groups)} advice turns; training the tokenizer")
    texts = [t for g in groups for pair in g for t in pair]
    build = build_chatglm_tokenizer([*texts, ASCII_LINE], out, name_or_path="bianque-demo-v2")
    tok = build.load()
    sop = tok.bos_token_id
    config = ChatGLMConfig(
        vocab_size=math.ceil(build.vocab_size / r.vocab_multiple) * r.vocab_multiple,
        hidden_size=r.hidden_size,
        num_layers=r.num_layers,
        num_attention_heads=r.num_attention_heads,
        inner_hidden_size=r.inner_hidden_size,
        max_sequence_length=r.max_sequence_length,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        mask_token_id=tok.mask_token_id,
        gmask_token_id=tok.gmask_token_id,
        pad_token_id=tok.pad_token_id,
        torch_dtype="float32",
    )

    def encode(src: str, tgt: str) -> tuple[Tensor, int, Tensor, Tensor]:
        # prompt ids + [gMASK] <sop> + target ids + <eop> (the original tokenizer's text pair): what chat()
        # feeds (prompt + [gMASK] <sop>) followed by what it should generate. Positions and the prefix-LM
        # mask are those the model builds itself for a single unpadded sequence.
        ids = [*tok.encode(src), *tok.encode(tgt, add_special_tokens=False), tok.eos_token_id]
        if len(ids) > r.max_sequence_length:
            raise DemoBuildError(f"a v2 training sequence has {len(ids)} tokens > {r.max_sequence_length}")
        row = torch.tensor([ids])
        pos, mask = build_position_ids_and_mask(row, config)
        return row[0], ids.index(sop), pos[0], mask[0, 0]

    encoded = [[encode(src, tgt) for src, tgt in g] for g in groups]
    model = ChatGLM(config)
    with torch.no_grad():
        # Small embeddings keep the tied lm_head's first logits near zero instead of ~sqrt(hidden).
        model.transformer.word_embeddings.weight.normal_(0.0, r.embedding_std)
        # Each GLM block adds its sublayers to the normalised input times ALPHA = sqrt(56); with default
        # init the sublayers are ~1/25 of that and barely train. Scaling their output projections by
        # ALPHA gives the balance of an ordinary pre-LN transformer.
        for block in model.modules():
            if isinstance(block, GLMBlock):
                block.attention.dense.weight.mul_(ALPHA)
                block.mlp.dense_4h_to_h.weight.mul_(ALPHA)
    pad = tok.pad_token_id

    def batch_loss(batch: list[tuple[Tensor, int, Tensor, Tensor]]) -> Tensor:
        # Left padding (as the tokenizer pads batches) puts every target at the end, so the lm_head only
        # runs on the last positions: it costs as much as the rest of this tiny model per position.
        width = max(len(ids) for ids, *_ in batch)
        keep = max(len(ids) - s for ids, s, *_ in batch)  # <sop> .. <eop>
        ids_t = torch.full((len(batch), width), pad, dtype=torch.long)
        pos_t = torch.zeros((len(batch), 2, width), dtype=torch.long)
        mask_t = torch.ones((len(batch), 1, width, width), dtype=torch.bool)
        labels = torch.full((len(batch), keep - 1), -100, dtype=torch.long)
        for row, (ids, s, pos, mask) in enumerate(batch):
            off = width - len(ids)
            ids_t[row, off:], pos_t[row, :, off:], mask_t[row, 0, off:, off:] = ids, pos, mask
            n = len(ids) - s - 1  # generated ids after <sop>, <eop> included
            labels[row, keep - 1 - n :] = ids[s + 1 :]
        logits = model(ids_t, position_ids=pos_t, attention_mask=mask_t, logits_to_keep=keep).logits
        return F.cross_entropy(
            logits[:, :-1].reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100
        )

    say(f"demo v2: training ChatGLM ({sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters)")
    loss = train_loop(
        model,
        encoded,
        lambda e: len(e[0]),
        batch_loss,
        epochs=r.epochs,
        batch_tokens=r.batch_tokens,
        lr=r.lr,
        warmup=r.warmup_steps,
        seed=r.seed,
        label="v2",
        say=say,
    )
    save_model(model, out)
    return {"train_examples": len(groups), "final_loss": round(loss, 4), "vocab_size": config.vocab_size}
