"""ChatGLM-6B (v1) configuration, read from the original ``config.json``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from workbench.errors import ConfigError, ModelLoadError, UnsupportedModelError

# Every GLM block of the original is built with its default depth of 28, whatever ``num_layers`` says,
# so the residual scale is sqrt(2 * 28) for every checkpoint (tiny fixtures included).
RESIDUAL_DEPTH = 28

SUPPORTED_QUANTIZATION_BITS = (0, 4, 8)
#: the ``model_type`` of ChatGLM-6B's config.json (a config without one is read as ChatGLM too)
MODEL_TYPE = "chatglm"


@dataclass
class ChatGLMConfig:
    """The settings of a ChatGLM-6B (v1) checkpoint. Defaults are those of the real 6B model."""

    vocab_size: int = 130528
    hidden_size: int = 4096
    num_layers: int = 28
    num_attention_heads: int = 32
    inner_hidden_size: int | None = 16384
    layernorm_epsilon: float = 1e-5
    max_sequence_length: int = 2048
    position_encoding_2d: bool = True
    bos_token_id: int = 130004
    eos_token_id: int = 130005
    mask_token_id: int = 130000
    gmask_token_id: int = 130001
    pad_token_id: int = 3
    quantization_bit: int = 0
    pre_seq_len: int | None = None
    prefix_projection: bool = False
    use_cache: bool = True
    torch_dtype: str | None = None
    tie_word_embeddings: bool = True
    # Keys we do not interpret (architectures, model_type, auto_map, ...) are kept so save_pretrained
    # writes them back unchanged.
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    @property
    def quantization_embeddings(self) -> bool:
        """Whether the tied embedding / lm_head table is quantized (THUDM's ``chatglm-6b-int4-qe`` key).

        Kept in ``extra`` so that config.json of every other checkpoint stays exactly as it was."""
        return bool(self.extra.get("quantization_embeddings", False))

    @quantization_embeddings.setter
    def quantization_embeddings(self, value: bool) -> None:
        if value:
            self.extra["quantization_embeddings"] = True
        else:
            self.extra.pop("quantization_embeddings", None)

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def ffn_hidden_size(self) -> int:
        return self.inner_hidden_size if self.inner_hidden_size else 4 * self.hidden_size

    def validate(self) -> None:
        """Raise UnsupportedModelError (naming the key) for settings this implementation cannot run."""
        if self.pre_seq_len:
            raise UnsupportedModelError(
                f"pre_seq_len={self.pre_seq_len}: P-tuning prefixes are not supported by the native ChatGLM"
            )
        if not self.position_encoding_2d:
            raise UnsupportedModelError("position_encoding_2d=false is not supported (only 2D rotary)")
        bits = self.quantization_bit or 0
        if bits not in SUPPORTED_QUANTIZATION_BITS:
            raise UnsupportedModelError(
                f"quantization_bit={self.quantization_bit} is not supported (use 0, 4 or 8)"
            )
        self.quantization_bit = bits
        flag = self.extra.get("quantization_embeddings", False)
        if not isinstance(flag, bool):
            raise ConfigError(f"quantization_embeddings must be true or false, got {flag!r}")
        if flag and not bits:
            raise UnsupportedModelError("quantization_embeddings=true needs quantization_bit 4 or 8")
        for name in ("hidden_size", "num_layers", "num_attention_heads", "vocab_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_attention_heads "
                f"({self.num_attention_heads})"
            )
        if self.head_dim % 4:
            # 2D rotary splits each head in halves and rotates half of each half.
            raise UnsupportedModelError(f"head dimension {self.head_dim} must be divisible by 4")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatGLMConfig:
        """Build from a config.json dictionary; unknown keys go to ``extra``."""
        if not isinstance(data, dict):
            raise ConfigError("a ChatGLM config must be a JSON object")
        known = {f.name for f in fields(cls)} - {"extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known}
        if kwargs.get("quantization_bit") is None:
            kwargs.pop("quantization_bit", None)
        return cls(**kwargs, extra=extra)

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> ChatGLMConfig:
        """Read ``folder/config.json``."""
        path = Path(folder) / "config.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelLoadError(f"no config.json in {folder}") from exc
        except json.JSONDecodeError as exc:
            raise ModelLoadError(f"{path} is not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The config.json dictionary (original key names, extra keys included)."""
        data = asdict(self)
        extra = data.pop("extra")
        out: dict[str, Any] = dict(extra)
        out.update(data)
        if not out.get("architectures"):
            out["architectures"] = ["ChatGLMModel"]
        out.setdefault("model_type", MODEL_TYPE)
        return out

    def save_pretrained(self, folder: str | Path) -> None:
        """Write ``folder/config.json``."""
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        (path / "config.json").write_text(
            json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
