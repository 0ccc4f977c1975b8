"""The v1 demo model: a tiny T5 with its own SentencePiece model, loadable exactly like BianQue-1.0."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbench import prompts
from workbench.demo.corpus import DemoDialogue, v1_pairs
from workbench.demo.recipe import DemoBuildError, Progress, T5Recipe
from workbench.demo.training import seed_everything, train_loop
from workbench.errors import DatasetError

# Frames of every prompt as single pieces: they shorten the T5 inputs by about half (and the training time).
_V1_SYMBOLS = (prompts.PATIENT, prompts.DOCTOR, prompts.escape_v1("\n"), prompts.GREETING)
# Printable ASCII so that digits, Latin letters and half-width punctuation typed by a user are not <unk>.
ASCII_LINE = "".join(chr(c) for c in range(33, 127))


def _train_spiece(texts: Sequence[str], vocab_size: int) -> bytes:
    import sentencepiece as spm

    buf = io.BytesIO()
    with open(os.devnull, "w") as quiet:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter([*texts, ASCII_LINE]),
            model_writer=buf,
            logstream=quiet,
            model_type="unigram",
            vocab_size=vocab_size,
            hard_vocab_limit=False,
            character_coverage=1.0,
            # T5's id layout: <pad>=0 (also the decoder start), </s>=1, <unk>=2, no <s>.
            pad_id=0,
            eos_id=1,
            unk_id=2,
            bos_id=-1,
            user_defined_symbols=list(_V1_SYMBOLS),
            # Identity keeps full-width Chinese punctuation (NFKC would turn "？" into "?").
            normalization_rule_name="identity",
            max_sentence_length=100_000,
            num_threads=1,
        )
    return buf.getvalue()


def _write_t5_tokenizer(folder: Path, spiece: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spiece.model").write_bytes(spiece)
    # Like the real BianQue-1.0 folder: spiece.model plus configs, no tokenizer.json, so transformers
    # converts the tokenizer from spiece.model exactly as it does for the real checkpoint.
    config = {
        "tokenizer_class": "T5Tokenizer",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "extra_ids": 0,
        "additional_special_tokens": [],
        "model_max_length": 1024,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    special = {"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2), encoding="utf-8")


def build_v1(
    train: Sequence[DemoDialogue], out: Path, r: T5Recipe, greeting_variants: bool, say: Progress
) -> dict[str, Any]:
    """Train the tokenizer and the tiny T5 on question turns; write a loadable folder to ``out``."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    seed_everything(r.seed)
    groups = v1_pairs(train, greeting_variants)
    if not groups:
        raise DatasetError("the demo corpus has no doctor questions to train v1 on")
    say(f"demo v1: {len(groups)} questions; training the tokenizer")
    _write_t5_tokenizer(out, _train_spiece([t for g in groups for pair in g for t in pair], r.vocab_size))
    tok = T5Tokenizer.from_pretrained(str(out))
    encoded = [[(tok(src)["input_ids"], tok(tgt)["input_ids"]) for src, tgt in g] for g in groups]
    unk = sum(i == tok.unk_token_id for g in encoded for e, d in g for i in (*e, *d))
    if unk:
        raise DemoBuildError(f"the v1 tokenizer maps {unk} training tokens to <unk>")

    settings: dict[str, Any] = dict(
        vocab_size=len(tok),
        d_model=r.d_model,
        d_ff=r.d_ff,
        d_kv=r.d_kv,
        num_heads=r.num_heads,
        num_layers=r.num_layers,
        num_decoder_layers=r.num_decoder_layers,
        dropout_rate=0.0,
        feed_forward_proj="relu",
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.pad_token_id,
        tie_word_embeddings=True,
    )
    config = T5Config(**settings)
    model = T5ForConditionalGeneration(config)
    pad = tok.pad_token_id

    def batch_loss(batch: list[tuple[list[int], list[int]]]) -> Any:
        ids = torch.full((len(batch), max(len(e) for e, _ in batch)), pad, dtype=torch.long)
        labels = torch.full((len(batch), max(len(d) for _, d in batch)), -100, dtype=torch.long)
        for row, (e, d) in enumerate(batch):
            ids[row, : len(e)] = torch.tensor(e)
            labels[row, : len(d)] = torch.tensor(d)
        return model(input_ids=ids, attention_mask=ids.ne(pad).long(), labels=labels).loss

    say(f"demo v1: training T5 ({sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters)")
    loss = train_loop(
        model,
        encoded,
        lambda ed: len(ed[0]) + len(ed[1]),
        batch_loss,
        epochs=r.epochs,
        batch_tokens=r.batch_tokens,
        lr=r.lr,
        warmup=r.warmup_steps,
        seed=r.seed,
        label="v1",
        say=say,
    )
    model.save_pretrained(str(out))
    return {"train_examples": len(groups), "final_loss": round(loss, 4), "vocab_size": len(tok)}
