"""Typed configuration loaded from YAML, with environment overrides.

A bad file raises :class:`ConfigError` naming the file, the key and what is allowed.
"""

from __future__ import annotations

import operator
import os
from functools import lru_cache, reduce
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializeAsAny,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from workbench import vocab
from workbench.errors import ConfigError
from workbench.models.catalog import BACKENDS, BackendSpec, resolve
from workbench.prompts import GREETING
from workbench.validation import DEFAULT_MAX_TURN_CHARS
from workbench.yaml_files import read_yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DB_URL_ENV = "WORKBENCH_DB_URL"

ORIGINAL_QUESTION_MARKERS = list(vocab.ORIGINAL_QUESTION_MARKERS)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSource(_Strict):
    """Where a model's weights come from and how to place them."""

    path: str = Field(description="Hub id (e.g. scutcyr/BianQue-1.0) or a local folder")
    revision: str | None = Field(None, description="Hub revision; ignored for local folders")
    device: str = Field("auto", description="cpu, cuda, cuda:N or auto")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto",
        description="float16 only on CUDA. auto: BianQue-2 takes its checkpoint's dtype (float16 on CUDA; bfloat16 "
                    "on CPU for float16 weights, float32 on CPU when quantized); otherwise float32 on CPU, and on "
                    "CUDA float32 for BianQue-1.0 (T5 overflows in float16) and bfloat16 for hf-causal",
    )
    trust_remote_code: bool = Field(False, description="Run code shipped with the checkpoint (never by default)")
    quantization_bit: Literal[4, 8] | None = Field(None, description="Weight-only quantization (ChatGLM)")

    @field_validator("device")
    @classmethod
    def _device(cls, v: str) -> str:
        if v in ("auto", "cpu", "cuda") or (v.startswith("cuda:") and v[5:].isdigit()):
            return v
        raise ValueError("device must be cpu, cuda, cuda:N or auto")


class SamplingParams(_Strict):
    do_sample: bool = True
    temperature: float = Field(1.0, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    top_k: int = Field(0, ge=0)
    repetition_penalty: float = Field(1.0, gt=0)


class V1Params(SamplingParams):
    """BianQue-1.0's original settings."""

    temperature: float = Field(0.7, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    no_repeat_ngram_size: int = Field(3, ge=0)
    max_new_tokens: int = Field(512, ge=1)
    max_input_tokens: int = Field(768, ge=16, description="Oldest turns are dropped beyond this")


class V2Params(SamplingParams):
    """BianQue-2.0's original chat() settings."""

    temperature: float = Field(0.95, gt=0)
    top_p: float = Field(0.7, gt=0, le=1)
    max_length: int = Field(2048, ge=2, description="Prompt plus reply, in tokens, as in the original")
    max_new_tokens: int | None = Field(None, ge=1, description="Overrides max_length when set")


class CausalParams(SamplingParams):
    temperature: float = Field(0.7, gt=0)
    top_p: float = Field(0.9, gt=0, le=1)
    max_new_tokens: int = Field(512, ge=1)
    max_input_tokens: int = Field(2048, ge=16)


class OpenAIParams(_Strict):
    temperature: float = Field(0.7, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(512, ge=1)


class ColumnSettings(_Strict):
    """What every column has. Each backend's settings subclass this with ``backend: Literal["its-name"]``
    and are registered in ``workbench/models/catalog.py``."""

    name: str = Field(min_length=1, max_length=60)
    backend: str
    seed: int | None = Field(1234, description="Sampling seed; null = a fresh random seed per reply")
    system_prompt: str | None = None

    def depends_on(self) -> tuple[str, ...]:
        """Names of the columns this one is built from (they are built first)."""
        return ()


class V1Column(ColumnSettings):
    backend: Literal["bianque-v1"]
    model: ModelSource
    generation: V1Params = V1Params()
    greeting: str | None = Field(GREETING, description="First-turn reply without a model call; null disables")


class V2Column(ColumnSettings):
    backend: Literal["bianque-v2"]
    model: ModelSource
    generation: V2Params = V2Params()
    greeting: str | None = Field(GREETING, description="First-turn reply without a model call (bianque_v2_app.py)")


class HybridRouting(_Strict):
    max_questions: int = Field(8, ge=0, description="After this many doctor turns, always use v2")
    question_markers: list[str] = Field(default_factory=lambda: list(ORIGINAL_QUESTION_MARKERS), min_length=1)
    greeting: str | None = GREETING


class HybridColumn(ColumnSettings):
    backend: Literal["hybrid"]
    v1_column: str
    v2_column: str
    routing: HybridRouting = HybridRouting()

    def depends_on(self) -> tuple[str, ...]:
        return (self.v1_column, self.v2_column)


class HFCausalColumn(ColumnSettings):
    backend: Literal["hf-causal"]
    model: ModelSource
    generation: CausalParams = CausalParams()


class OpenAIColumn(ColumnSettings):
    backend: Literal["openai-compatible"]
    base_url: str
    model_name: str = Field(description="Model name sent to the server")
    api_key_env: str | None = Field(None, description="NAME of the environment variable holding the key")
    timeout_s: float = Field(120, gt=0)
    generation: OpenAIParams = OpenAIParams()
    max_concurrency: int = Field(16, ge=1, le=1024, description="Requests in flight in batch, simulate and judge")
    max_retries: int = Field(5, ge=0, le=20, description="Retries of a 429 or 5xx answer, with back-off")
    requests_per_minute: float | None = Field(None, gt=0, description="Cap on request starts per minute")

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and (not v.replace("_", "").isalnum() or v[0].isdigit()):
            raise ValueError("api_key_env is the NAME of an environment variable, not the key itself")
        return v


#: any registered backend's column settings (the name older code imports)
ColumnConfig = ColumnSettings


def _backend_of(value: Any) -> str | None:
    return value.get("backend") if isinstance(value, dict) else getattr(value, "backend", None)


@lru_cache(maxsize=8)
def _columns_adapter(specs: tuple[tuple[str, BackendSpec], ...]) -> TypeAdapter[list[ColumnSettings]]:
    # One discriminated union over the registered backends, built from the registry (cached per registry
    # state), so a column's errors are located under its backend as pydantic does for a static union.
    tagged = [Annotated[resolve(spec.settings), Tag(name)] for name, spec in specs]
    union: Any = reduce(operator.or_, tagged)
    column: Any = Annotated[union, Discriminator(_backend_of)]
    return TypeAdapter[list[ColumnSettings]](list[column])


def validate_columns(value: Any) -> list[ColumnSettings]:
    """Each column validated by the settings its ``backend`` names in the registry."""
    return _columns_adapter(tuple(BACKENDS.items())).validate_python(value)


class ServerConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=0, le=65535)
    concurrency_limit: int = Field(8, ge=1)
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names (besides localhost, 127.0.0.1, ::1) a browser may use to reach open mode; "
                    "with logins, other host names whose pages may call the workbench (a proxy that rewrites Host)")
    max_upload_mb: float = Field(50, gt=0, description="Largest file one upload may send (dataset imports)")


class AnnotationConfig(_Strict):
    annotators_per_item: int = Field(2, ge=1, description="k: how many annotators rate each item")
    blind: bool = True
    rubric: str = "annotations/rubric.yaml"
    guidelines: str = "annotations/guidelines.md"
    users_file: str | None = "annotations/users.yaml"
    gold_rate: float = Field(0.1, ge=0.0, le=0.5,
                             description="Share of each annotator's items drawn from the gold items (0 = none)")


class LimitsConfig(_Strict):
    max_message_chars: int = Field(4000, ge=1, description="Longer patient messages are refused")
    max_turn_chars: int = Field(DEFAULT_MAX_TURN_CHARS, ge=1,
                                description="An imported dataset with a longer turn is refused, naming the row")


class WorkbenchConfig(_Strict):
    database_url: str = "sqlite:///annotations/workbench.db"
    cache_dir: str = ".cache"
    demo: bool = Field(False, description="Build the tiny offline demo models on first use")
    server: ServerConfig = ServerConfig()
    annotation: AnnotationConfig = AnnotationConfig()
    limits: LimitsConfig = LimitsConfig()
    columns: list[SerializeAsAny[ColumnSettings]] = Field(min_length=1)
    source: str | None = Field(None, description="The file this config came from")

    @field_validator("columns", mode="before")
    @classmethod
    def _registered_backends(cls, value: Any) -> Any:
        return validate_columns(value) if isinstance(value, list) else value

    @model_validator(mode="after")
    def _check_columns(self) -> WorkbenchConfig:
        names = [c.name for c in self.columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"column names must be unique; repeated: {dupes}")
        by_name = {c.name: c for c in self.columns}
        for c in self.columns:
            if isinstance(c, HybridColumn):
                for key, want in (("v1_column", "bianque-v1"), ("v2_column", "bianque-v2")):
                    ref = getattr(c, key)
                    if ref not in by_name:
                        raise ValueError(f"column {c.name!r}: {key} {ref!r} is not a column; columns are {names}")
                    if by_name[ref].backend != want:
                        raise ValueError(f"column {c.name!r}: {key} {ref!r} must be a {want} column")
        for c in self.columns:
            missing = [ref for ref in c.depends_on() if ref not in by_name]
            if missing:
                raise ValueError(f"column {c.name!r}: {missing} are not columns; columns are {names}")
        return self

    def column(self, name: str) -> ColumnSettings:
        for c in self.columns:
            if c.name == name:
                return c
        raise ConfigError(f"no column named {name!r}; columns are {[c.name for c in self.columns]}")

    def resolve_path(self, p: str) -> Path:
        """Relative paths in a config are relative to the repository root."""
        path = Path(p)
        return path if path.is_absolute() else REPO_ROOT / path

    @property
    def effective_database_url(self) -> str:
        url = os.environ.get(DB_URL_ENV) or self.database_url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            rel = url[len("sqlite:///") :]
            # "file:PATH?mode=ro&uri=true" is an SQLite URI (e.g. a read-only database), not a relative path.
            if rel and rel != ":memory:" and not rel.startswith("file:"):
                url = "sqlite:///" + str(self.resolve_path(rel))
        return url


def _format_error(source: str, err: ValidationError) -> str:
    lines = [f"{source}: invalid configuration"]
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"] if not str(x).startswith("function-")) or "(top level)"
        msg = e["msg"]
        if e["type"] == "literal_error" or e["type"] == "union_tag_invalid":
            msg += f" (allowed: {', '.join(BACKENDS)})" if "backend" in loc or e["type"] == "union_tag_invalid" else ""
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"  {loc}: {msg}")
    return "\n".join(lines)


def parse_config(data: Any, source: str = "<config>") -> WorkbenchConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping, got {type(data).__name__}")
    try:
        return WorkbenchConfig.model_validate({**data, "source": source})
    except ValidationError as e:
        raise ConfigError(_format_error(source, e)) from None


def load_config(path: str | Path) -> WorkbenchConfig:
    """Load and validate a YAML config file."""
    return parse_config(read_yaml(path, "config"), str(path))
