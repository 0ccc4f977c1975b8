"""What determines the demo checkpoints: where they live, the recipe (hyperparameters) and its version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import ModelLoadError

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
