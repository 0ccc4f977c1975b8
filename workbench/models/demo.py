"""Build the tiny offline demo checkpoints that ``launch.py --demo`` runs.

Two models of the real architectures, trained briefly on the shipped demo dialogues
(``workbench/data/demo_dialogues.jsonl``) so a newcomer sees readable replies without any download:

* **v1**: a tiny T5 with a locally trained SentencePiece ``spiece.model``, loadable exactly like
  BianQue-1.0 (``T5Tokenizer`` / ``T5ForConditionalGeneration.from_pretrained``). It learns only the
  doctor turns that are *questions*, on the escaped prompt the app sends, so it mostly asks.
* **v2**: a tiny native ChatGLM-6B (v1 architecture, ``workbench.models.chatglm``) with an
  ``ice_text.model`` in the ChatGLM id layout. It learns only the *advice* turns, on the unescaped
  prompt, so it mostly advises.

Both are cached under ``cache_dir/v1`` and ``cache_dir/v2``, each with a stamp that hashes the corpus,
:data:`DEMO_RECIPE_VERSION` and the hyperparameters; a stale or half-written cache is rebuilt. Folders are
built in a temporary directory and renamed into place, so a killed build never leaves a broken cache.

``python -m workbench.models.demo [--force] [--cache DIR]`` builds and prints the paths and timing.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench import prompts
from workbench.errors import ConfigError, DatasetError, ModelLoadError
from workbench.vocab import QUESTION_MARKS

# Bump whenever the way the checkpoints are built changes in a way the hyperparameters do not show.
DEMO_RECIPE_VERSION = 1

_REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_CACHE_DEFAULT = _REPO_ROOT / ".cache" / "demo-models"
CORPUS_PATH = _REPO_ROOT / "workbench" / "data" / "demo_dialogues.jsonl"
STAMP_NAME = "demo_stamp.json"
# Every HOLDOUT_EVERY-th dialogue is kept out of training so the demo can be measured on unseen text.
HOLDOUT_EVERY = 10
# The build is sized for 2 cores; WORKBENCH_DEMO_THREADS overrides (1 is faster on a crowded machine).
THREADS_ENV = "WORKBENCH_DEMO_THREADS"

Progress = Callable[[str], None]
Rounds = list[tuple[str, str]]


class DemoBuildError(ModelLoadError):
    """The demo checkpoints could not be built or written."""


@dataclass(frozen=True)
class DemoModels:
    """Where the demo checkpoints are, and whether this call (re)built them."""

    v1_path: Path
    v2_path: Path
    built: bool = False
    seconds: float = 0.0


@dataclass(frozen=True)
class T5Recipe:
    """Hyperparameters of the tiny T5 (v1) and its training."""

    vocab_size: int = 2000
    d_model: int = 128
    d_ff: int = 384
    d_kv: int = 32
    num_heads: int = 4
    num_layers: int = 2
    num_decoder_layers: int = 2
    epochs: int = 24
    batch_tokens: int = 1500
    lr: float = 4e-3
    warmup_steps: int = 30
    seed: int = 1234


@dataclass(frozen=True)
class GLMRecipe:
    """Hyperparameters of the tiny ChatGLM (v2) and its training."""

    hidden_size: int = 128
    num_attention_heads: int = 4
    num_layers: int = 2
    inner_hidden_size: int = 384
    max_sequence_length: int = 512
    vocab_multiple: int = 64
    embedding_std: float = 0.1
    epochs: int = 24
    batch_tokens: int = 800
    lr: float = 8e-3
    warmup_steps: int = 30
    seed: int = 1234


@dataclass(frozen=True)
class DemoRecipe:
    """Everything that determines the demo checkpoints besides the corpus."""

    t5: T5Recipe = field(default_factory=T5Recipe)
    glm: GLMRecipe = field(default_factory=GLMRecipe)
    greeting_variants: bool = True
    v2_earlier_positions: bool = True


# ------------------------------------------------------------------------------------------------ corpus
@dataclass(frozen=True)
class DemoDialogue:
    """One corpus dialogue as (patient, doctor) rounds."""

    id: str
    topic: str
    rounds: tuple[tuple[str, str], ...]


def is_question(text: str) -> bool:
    """The demo's notion of a question: the reply contains a question mark (full- or half-width)."""
    return any(m in text for m in QUESTION_MARKS)


def parse_corpus(text: str, source: str = "demo corpus") -> list[DemoDialogue]:
    """Parse the jsonl corpus; turns must alternate patient/doctor, starting with the patient."""
    dialogues: list[DemoDialogue] = []
    errors: list[str] = []
    seen: set[str] = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            did, topic, turns = str(row["id"]), str(row.get("topic", "")), row["turns"]
            roles = [t["role"] for t in turns]
            texts = [str(t["text"]).strip() for t in turns]
        except (ValueError, KeyError, TypeError) as e:
            errors.append(f"line {lineno}: {type(e).__name__}: {e}")
            continue
        expected = ["patient", "doctor"] * (len(turns) // 2)
        if not turns or len(turns) % 2 or roles != expected:
            errors.append(f"line {lineno} ({did}): turns must alternate patient, doctor and end with doctor")
        elif not all(texts):
            errors.append(f"line {lineno} ({did}): empty turn text")
        elif did in seen:
            errors.append(f"line {lineno}: duplicate id {did!r}")
        else:
            seen.add(did)
            dialogues.append(DemoDialogue(did, topic, tuple(zip(texts[0::2], texts[1::2], strict=True))))
    if errors:
        raise DatasetError(f"{source}: {len(errors)} bad row(s)", row_errors=errors)
    if not dialogues:
        raise DatasetError(f"{source}: no dialogues")
    return dialogues


def load_corpus(path: Path = CORPUS_PATH) -> list[DemoDialogue]:
    """Read and validate the demo corpus."""
    try:
        return parse_corpus(path.read_text(encoding="utf-8"), str(path))
    except OSError as e:
        raise DatasetError(f"cannot read the demo corpus {path}: {e}") from e


def split_corpus(dialogues: Sequence[DemoDialogue]) -> tuple[list[DemoDialogue], list[DemoDialogue]]:
    """(train, held-out): every :data:`HOLDOUT_EVERY`-th dialogue is held out, spread over all topics."""
    train = [d for i, d in enumerate(dialogues) if i % HOLDOUT_EVERY != HOLDOUT_EVERY // 2]
    held = [d for i, d in enumerate(dialogues) if i % HOLDOUT_EVERY == HOLDOUT_EVERY // 2]
    return train, held


def history_variants(rounds: Sequence[tuple[str, str]], greeting_variants: bool = True) -> list[Rounds]:
    """The histories a dialogue is trained with.

    The app answers a dialogue's first message with the fixed greeting and only then calls the models,
    so the models also see histories that start with a greeting round: the original ``("你好", greeting)``
    and one whose first message is the complaint itself.
    """
    base = list(rounds)
    if not greeting_variants:
        return [base]
    return [
        base,
        [("你好", prompts.GREETING), *base],
        [(base[0][0], prompts.GREETING), *base],
    ]


def _grouped_pairs(
    dialogues: Sequence[DemoDialogue],
    greeting_variants: bool,
    want_question: bool,
    escaped: bool,
    earlier_positions: bool = False,
) -> list[list[tuple[str, str]]]:
    """For each selected doctor turn, its (input, target) pairs under every history variant.

    With ``earlier_positions`` the turn is also the target after every earlier patient message of its
    dialogue (the history cut there).
    """
    render = prompts.bianque_v1_input if escaped else prompts.bianque_v2_input
    fix = prompts.escape_v1 if escaped else (lambda t: t)
    groups: list[list[tuple[str, str]]] = []
    for d in dialogues:
        variants = history_variants(d.rounds, greeting_variants)
        offset = [len(v) - len(d.rounds) for v in variants]
        for i, (_, doctor) in enumerate(d.rounds):
            if is_question(doctor) != want_question:
                continue
            positions = range(i + 1) if earlier_positions else (i,)
            groups.append(
                [
                    (render(v[: j + k], v[j + k][0]), fix(doctor))
                    for j in positions
                    for v, k in zip(variants, offset, strict=True)
                ]
            )
    return groups


def v1_pairs(
    dialogues: Sequence[DemoDialogue], greeting_variants: bool = True
) -> list[list[tuple[str, str]]]:
    """For every doctor *question*: (escaped input as the app sends it, escaped target) per history variant."""
    return _grouped_pairs(dialogues, greeting_variants, want_question=True, escaped=True)


def v2_pairs(
    dialogues: Sequence[DemoDialogue], greeting_variants: bool = True, earlier_positions: bool = True
) -> list[list[tuple[str, str]]]:
    """For every doctor *advice* turn: (unescaped prompt as the app sends it, target) per history variant.

    ``earlier_positions`` also pairs the advice with every earlier point of its dialogue: BianQue-2.0
    advises at once rather than asking first, and the many prompts per advice let the tiny model pick
    the right advice for messages it has not seen.
    """
    return _grouped_pairs(
        dialogues, greeting_variants, want_question=False, escaped=False, earlier_positions=earlier_positions
    )


def eval_prompts(dialogues: Sequence[DemoDialogue]) -> list[tuple[Rounds, str]]:
    """Every (history, patient message) position of the given dialogues, as the app would send them."""
    return [(list(d.rounds[:i]), d.rounds[i][0]) for d in dialogues for i in range(len(d.rounds))]


# ------------------------------------------------------------------------------------------------ cache
def recipe_hash(corpus_bytes: bytes, recipe: DemoRecipe) -> str:
    """The cache key: corpus bytes, recipe version and every hyperparameter."""
    h = hashlib.sha256()
    h.update(corpus_bytes)
    h.update(json.dumps({"version": DEMO_RECIPE_VERSION, "recipe": asdict(recipe)}, sort_keys=True).encode())
    return h.hexdigest()


def read_stamp(folder: Path) -> dict[str, Any] | None:
    """The stamp of a built folder, or None when missing/unreadable."""
    try:
        return json.loads((folder / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_fresh(folder: Path, key: str) -> bool:
    """Whether ``folder`` holds a complete build for ``key``."""
    stamp = read_stamp(folder)
    return bool(stamp) and stamp.get("hash") == key


@contextlib.contextmanager
def _build_lock(cache_dir: Path) -> Iterator[None]:
    # Two processes starting the demo at once would otherwise both train; the second waits and reuses.
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".lock", "w") as fh:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory lock; the rename still keeps each folder whole
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _replace_dir(src: Path, dst: Path) -> None:
    """Move a finished build into place; the old folder is renamed away first, then deleted."""
    trash = None
    if dst.exists():
        trash = dst.with_name(f".old-{dst.name}-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(dst, trash)
    os.replace(src, dst)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def _build_threads() -> int:
    raw = os.environ.get(THREADS_ENV, "2")
    try:
        return max(1, int(raw))
    except ValueError as e:
        raise ConfigError(f"{THREADS_ENV} must be a positive integer, got {raw!r}") from e


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def ensure_demo_models(
    cache_dir: Path | str = DEMO_CACHE_DEFAULT,
    *,
    force: bool = False,
    progress: Progress | None = None,
    recipe: DemoRecipe | None = None,
    corpus_path: Path = CORPUS_PATH,
) -> DemoModels:
    """Return the demo checkpoints, building them first when missing, stale or ``force`` is set."""
    say = progress or (lambda _msg: None)
    recipe = recipe or DemoRecipe()
    cache_dir = Path(cache_dir).expanduser().resolve()
    v1_dir, v2_dir = cache_dir / "v1", cache_dir / "v2"
    try:
        corpus_bytes = corpus_path.read_bytes()
    except OSError as e:
        raise DatasetError(f"cannot read the demo corpus {corpus_path}: {e}") from e
    key = recipe_hash(corpus_bytes, recipe)
    if not force and is_fresh(v1_dir, key) and is_fresh(v2_dir, key):
        return DemoModels(v1_dir, v2_dir)

    with _build_lock(cache_dir):
        # Another process may have finished the build while we waited for the lock.
        if not force and is_fresh(v1_dir, key) and is_fresh(v2_dir, key):
            return DemoModels(v1_dir, v2_dir)
        # Holding the lock, no other build is running: anything temporary here was left by a killed one.
        for leftover in (*cache_dir.glob(".build-*"), *cache_dir.glob(".old-*")):
            shutil.rmtree(leftover, ignore_errors=True)
        start = time.perf_counter()
        dialogues = parse_corpus(corpus_bytes.decode("utf-8"), str(corpus_path))
        train, _held = split_corpus(dialogues)
        try:
            with (
                tempfile.TemporaryDirectory(prefix=".build-", dir=cache_dir) as tmp,
                _torch_threads(_build_threads()),
            ):
                tmp_path = Path(tmp)
                builders: list[tuple[str, Path, Callable[[Path], dict[str, Any]]]] = [
                    (
                        "v1",
                        v1_dir,
                        lambda out: build_v1(train, out, recipe.t5, recipe.greeting_variants, say),
                    ),
                    (
                        "v2",
                        v2_dir,
                        lambda out: build_v2(
                            train, out, recipe.glm, recipe.greeting_variants, say, recipe.v2_earlier_positions
                        ),
                    ),
                ]
                for name, folder, builder in builders:
                    if not force and is_fresh(folder, key):
                        continue
                    out = tmp_path / name
                    t0 = time.perf_counter()
                    metrics = builder(out)
                    stamp = {
                        "hash": key,
                        "recipe_version": DEMO_RECIPE_VERSION,
                        "recipe": asdict(recipe),
                        "train_dialogues": len(train),
                        "seconds": round(time.perf_counter() - t0, 2),
                        **metrics,
                    }
                    # The stamp is written last: a folder without it is never taken as built.
                    (out / STAMP_NAME).write_text(
                        json.dumps(stamp, indent=2, ensure_ascii=False), encoding="utf-8"
                    )
                    _replace_dir(out, folder)
                    say(f"demo {name}: built in {stamp['seconds']:.1f}s -> {folder}")
        except OSError as e:
            raise DemoBuildError(f"cannot write the demo models under {cache_dir}: {e}") from e
        return DemoModels(v1_dir, v2_dir, built=True, seconds=time.perf_counter() - start)


# ------------------------------------------------------------------------------------------------ training
def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    torch.manual_seed(seed)


def _token_batches(lengths: Sequence[int], batch_tokens: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches of about ``batch_tokens`` padded tokens, in a shuffled order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        if cur and (len(cur) + 1) * max(lengths[j] for j in (*cur, i)) > batch_tokens:
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    rng.shuffle(batches)
    return batches


def _schedule(step: int, total: int, warmup: int) -> float:
    """Linear warm-up, then cosine decay to 10%."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _train_loop(
    model: Any,
    groups: Sequence[Sequence[Any]],
    length: Callable[[Any], int],
    batch_loss: Callable[[list[Any]], Any],
    *,
    epochs: int,
    batch_tokens: int,
    lr: float,
    warmup: int,
    seed: int,
    label: str,
    say: Progress,
) -> float:
    """Train on ``groups`` (the variants of one example); each epoch uses one random variant per group.

    Sampling a variant per epoch shows the model every history variant over the run at the cost of one.
    """
    import torch

    rng = random.Random(seed)
    plan: list[list[list[Any]]] = []
    for _ in range(epochs):
        chosen = [g[rng.randrange(len(g))] for g in groups]
        plan.append(
            [[chosen[i] for i in b] for b in _token_batches([length(c) for c in chosen], batch_tokens, rng)]
        )
    total = sum(len(p) for p in plan)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _schedule(s, total, warmup))
    model.train()
    last, t0 = float("nan"), time.perf_counter()
    for epoch, batches in enumerate(plan):
        running = 0.0
        for batch in batches:
            loss = batch_loss(batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            running += loss.item()
        last = running / max(1, len(batches))
        if epoch == 0 or (epoch + 1) % 4 == 0 or epoch + 1 == epochs:
            say(f"demo {label}: epoch {epoch + 1}/{epochs} loss {last:.3f} ({time.perf_counter() - t0:.1f}s)")
    model.eval()
    return last


# ------------------------------------------------------------------------------------------------ v1 (T5)
# Frames of every prompt as single pieces: they shorten the T5 inputs by about half (and the training time).
_V1_SYMBOLS = (prompts.PATIENT, prompts.DOCTOR, prompts.escape_v1("\n"), prompts.GREETING)
# Printable ASCII so that digits, Latin letters and half-width punctuation typed by a user are not <unk>.
_ASCII_LINE = "".join(chr(c) for c in range(33, 127))


def _train_spiece(texts: Sequence[str], vocab_size: int) -> bytes:
    import sentencepiece as spm

    buf = io.BytesIO()
    with open(os.devnull, "w") as quiet:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter([*texts, _ASCII_LINE]),
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

    _seed_everything(r.seed)
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

    config = T5Config(
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
    loss = _train_loop(
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


# ------------------------------------------------------------------------------------------------ v2 (GLM)
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

    from workbench.models.chatglm.configuration import ChatGLMConfig
    from workbench.models.chatglm.modeling import (
        ALPHA,
        ChatGLMForConditionalGeneration,
        build_position_ids_and_mask,
    )
    from workbench.models.chatglm.tokenizer_builder import build_chatglm_tokenizer

    _seed_everything(r.seed)
    groups = v2_pairs(train, greeting_variants, earlier_positions)
    if not groups:
        raise DatasetError("the demo corpus has no doctor advice to train v2 on")
    say(f"demo v2: {len(groups)} advice turns; training the tokenizer")
    texts = [t for g in groups for pair in g for t in pair]
    build = build_chatglm_tokenizer([*texts, _ASCII_LINE], out, name_or_path="bianque-demo-v2")
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
        # tokenizer(prompt, target) = prompt ids + [gMASK] <sop> + target ids + <eop>: what chat() feeds
        # (prompt + [gMASK] <sop>) followed by what it should generate. Positions and the prefix-LM
        # mask are those the model builds itself for a single unpadded sequence.
        ids = tok(src, tgt)["input_ids"]
        if len(ids) > r.max_sequence_length:
            raise DemoBuildError(f"a v2 training sequence has {len(ids)} tokens > {r.max_sequence_length}")
        row = torch.tensor([ids])
        pos, mask = build_position_ids_and_mask(row, config)
        return row[0], ids.index(sop), pos[0], mask[0, 0]

    encoded = [[encode(src, tgt) for src, tgt in g] for g in groups]
    model = ChatGLMForConditionalGeneration(config)
    with torch.no_grad():
        # Small embeddings keep the tied lm_head's first logits near zero instead of ~sqrt(hidden).
        model.transformer.word_embeddings.weight.normal_(0.0, r.embedding_std)
        # Each GLM block adds its sublayers to the normalised input times ALPHA = sqrt(56); with default
        # init the sublayers are ~1/25 of that and barely train. Scaling their output projections by
        # ALPHA gives the balance of an ordinary pre-LN transformer.
        for layer in model.transformer.layers:
            layer.attention.dense.weight.mul_(ALPHA)
            layer.mlp.dense_4h_to_h.weight.mul_(ALPHA)
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
    loss = _train_loop(
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
    model.save_pretrained(out)
    return {"train_examples": len(groups), "final_loss": round(loss, 4), "vocab_size": config.vocab_size}


# ------------------------------------------------------------------------------------------------ CLI
def main(argv: list[str] | None = None) -> int:
    """Build (if needed) and print where the demo models are."""
    parser = argparse.ArgumentParser(
        prog="python -m workbench.models.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--cache", type=Path, default=DEMO_CACHE_DEFAULT, help="cache folder (default: %(default)s)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when the cache is fresh")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    models = ensure_demo_models(args.cache, force=args.force, progress=lambda m: print(m, file=sys.stderr))
    took = time.perf_counter() - start
    print(f"v1: {models.v1_path}")
    print(f"v2: {models.v2_path}")
    print(f"{'built' if models.built else 'cached'} in {took:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
