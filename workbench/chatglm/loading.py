"""Loading and saving ChatGLM-6B checkpoints exactly as published, memory-frugally.

Formats: ``pytorch_model.bin`` (``torch.load(weights_only=True, mmap=True)``), sharded ``.bin`` with
``pytorch_model.bin.index.json``, ``model.safetensors`` and sharded safetensors with their index.

Memory: the module is built on the ``meta`` device, then every checkpoint tensor is converted on its own
(dtype, device, optional quantization) and assigned, so no second full copy of the model ever exists, and
in particular no fp32 copy of an fp16 checkpoint. safetensors tensors are read with plain file reads
straight into the tensor that keeps them (a dtype conversion goes through a 64 MB buffer; the page cache is
not charged to the process), so loading peaks at the model plus one quantization layer, not plus the largest
tensor; pages of mmapped ``.bin`` files are released
with ``madvise(MADV_DONTNEED)`` once their tensor is converted (safe: the mapping is private and never
written, so a later access would just read the file again).

dtype and device: the project's one policy (``workbench.devices``), with ``"auto"`` meaning the checkpoint's
``torch_dtype`` (on CPU a quantized model computes in float32 and keeps a float embedding table in its 16-bit
precision: :func:`auto_dtype`, :func:`float_table_dtype`). float16
is never used on CPU (the original's ``.half()`` on CPU is one of the failures this module replaces).
"""

from __future__ import annotations

import ctypes
import json
import mmap
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from workbench.chatglm.configuration import MODEL_TYPE, ChatGLMConfig
from workbench.chatglm.modeling import ChatGLM, rotary_inv_freq
from workbench.chatglm.quantization import (
    EMBEDDING_BITS,
    QuantizedEmbedding,
    QuantizedLinear,
    empty_quantized_layers,
    use_quantized_table,
)
from workbench.checkpoints import (
    BIN_FILE,
    BIN_INDEX,
    SAFETENSORS_FILE,
    SAFETENSORS_INDEX,
    check_weight_files,
    find_weight_files,
    is_unsafe_pickle,
    read_safetensors_header,
    unsafe_pickle_error,
)
from workbench.devices import resolve_device, resolve_dtype
from workbench.errors import ModelLoadError, UnsupportedModelError
from workbench.plural import counted

_ST_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
_ST_NAMES = {v: k for k, v in _ST_DTYPES.items()}
_EMBEDDING_KEYS = ("transformer.word_embeddings.weight", "lm_head.weight")
_EMBEDDING_SCALE_KEYS = ("transformer.word_embeddings.weight_scale", "lm_head.weight_scale")


# ---------------------------------------------------------------------------------------------- reading
_CHUNK_BYTES = 64 * 2**20


class TensorSource:
    """One checkpoint tensor, not yet read: the loader reads it when it has made room for it.

    ``read_into`` fills a preallocated tensor of any dtype (converting in bounded chunks), so loading never
    holds a second copy of the largest tensor; ``read`` returns a fresh tensor in the file's dtype.
    """

    shape: tuple[int, ...]
    dtype: torch.dtype

    def read_into(self, dest: Tensor) -> None:
        raise NotImplementedError

    def read(self) -> Tensor:
        out = torch.empty(self.shape, dtype=self.dtype)
        self.read_into(out)
        return out

    def release(self) -> None:
        """Drop whatever the source still holds (mapped pages)."""


class _SafetensorsSource(TensorSource):
    def __init__(self, fh: Any, path: Path, name: str, info: dict[str, Any], data_start: int) -> None:
        dtype = _ST_DTYPES.get(info["dtype"])
        if dtype is None:
            raise ModelLoadError(f"{path}: tensor {name} has unsupported dtype {info['dtype']}")
        self.fh, self.path, self.name, self.dtype = fh, path, name, dtype
        self.shape = tuple(info["shape"])
        begin, end = info["data_offsets"]
        self.offset, self.nbytes = data_start + begin, end - begin

    def _read_exactly(self, view: memoryview) -> None:
        got = 0
        while got < len(view):
            n = self.fh.readinto(view[got:])
            if not n:
                raise ModelLoadError(f"{self.path}: truncated data for tensor {self.name}")
            got += n

    def read_into(self, dest: Tensor) -> None:
        if tuple(dest.shape) != self.shape or not dest.is_contiguous() or dest.device.type != "cpu":
            raise ValueError(f"cannot read {self.name} {self.shape} into {tuple(dest.shape)} on {dest.device}")
        if self.nbytes == 0:
            return
        self.fh.seek(self.offset)
        flat = dest.reshape(-1)
        if dest.dtype == self.dtype:  # straight from the file into the tensor: no buffer at all
            self._read_exactly(flat.view(torch.uint8).numpy().data)
            return
        # Another dtype: convert chunk by chunk through a small buffer.
        item = torch.empty(0, dtype=self.dtype).element_size()
        per_chunk = max(1, _CHUNK_BYTES // item)
        scratch = torch.empty(min(per_chunk, flat.numel()) * item, dtype=torch.uint8)
        for first in range(0, flat.numel(), per_chunk):
            count = min(per_chunk, flat.numel() - first)
            raw = scratch[: count * item]
            self._read_exactly(raw.numpy().data)
            flat[first:first + count].copy_(raw.view(self.dtype))


class _MappedSource(TensorSource):
    """A tensor of a ``.bin`` shard (memory-mapped when the file allows it)."""

    def __init__(self, tensor: Tensor, mapped: bool) -> None:
        self.tensor, self.mapped = tensor, mapped
        self.shape, self.dtype = tuple(tensor.shape), tensor.dtype

    def read_into(self, dest: Tensor) -> None:
        dest.copy_(self.tensor)

    def read(self) -> Tensor:
        return self.tensor.clone() if self.mapped else self.tensor

    def release(self) -> None:
        if self.mapped:
            _release_pages(self.tensor)


def _iter_safetensors(path: Path) -> Iterator[tuple[str, TensorSource]]:
    header, data_start = read_safetensors_header(path)
    entries = sorted(
        ((k, v) for k, v in header.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"][0]
    )
    with open(path, "rb", buffering=0) as fh:
        for name, info in entries:
            yield name, _SafetensorsSource(fh, path, name, info, data_start)


_PAGE = mmap.PAGESIZE
try:
    _LIBC: Any = ctypes.CDLL(None, use_errno=True)
    _LIBC.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
except (OSError, AttributeError):  # not Linux/glibc: simply keep the pages
    _LIBC = None
_MADV_DONTNEED = 4


def release_free_heap() -> None:
    """Return the C heap's free pages to the system (glibc ``malloc_trim``; a no-op elsewhere)."""
    if _LIBC is not None and hasattr(_LIBC, "malloc_trim"):
        _LIBC.malloc_trim(0)


def _release_pages(tensor: Tensor) -> None:
    """Drop the resident pages of a tensor that lives in a private, read-only file mapping."""
    if _LIBC is None or tensor.numel() == 0:
        return
    start = tensor.data_ptr() & ~(_PAGE - 1)
    end = tensor.data_ptr() + tensor.numel() * tensor.element_size()
    length = (end - start + _PAGE - 1) // _PAGE * _PAGE
    _LIBC.madvise(ctypes.c_void_p(start), ctypes.c_size_t(length), _MADV_DONTNEED)


def _bin_error(path: Path, exc: Exception) -> ModelLoadError:
    return unsafe_pickle_error(path) if is_unsafe_pickle(exc) else ModelLoadError(f"cannot read {path}: {exc}")


def _iter_bin(path: Path) -> Iterator[tuple[str, TensorSource]]:
    try:
        state = torch.load(path, map_location="cpu", mmap=True, weights_only=True)
        mapped = True
    except RuntimeError:
        # Legacy (non-zip) files cannot be memory-mapped: read the shard normally.
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - a damaged zip fails both ways: name the file, not the folder
            raise _bin_error(path, exc) from exc
        mapped = False
    except Exception as exc:  # noqa: BLE001 - pickle errors, unsafe globals, corrupt zip
        raise _bin_error(path, exc) from exc
    try:
        for name in list(state):
            yield name, _MappedSource(state.pop(name), mapped)
    finally:
        del state


def iter_checkpoint_sources(folder: str | Path) -> Iterator[tuple[str, TensorSource]]:
    """Yield (key, source) for every tensor of the checkpoint, shard by shard, in file order.

    A source is valid only until the next one is yielded; call ``release()`` when done with it.
    """
    for path in find_weight_files(folder):
        if path.suffix == ".safetensors":
            yield from _iter_safetensors(path)
        else:
            yield from _iter_bin(path)


def iter_checkpoint(folder: str | Path) -> Iterator[tuple[str, Tensor]]:
    """Yield (key, tensor) for every tensor of the checkpoint, each read fresh in the file's dtype."""
    for key, source in iter_checkpoint_sources(folder):
        try:
            tensor = source.read()
        finally:
            source.release()
        yield key, tensor
        del tensor


# ---------------------------------------------------------------------------------------------- loading
def _param_owner(model: nn.Module, key: str) -> tuple[nn.Module, str]:
    prefix, _, attr = key.rpartition(".")
    try:
        module = model.get_submodule(prefix)
    except AttributeError as exc:
        raise ModelLoadError(f"unexpected checkpoint key {key!r}") from exc
    if attr not in module._parameters and attr not in module._buffers:
        raise ModelLoadError(f"unexpected checkpoint key {key!r}")
    return module, attr


def _set_tensor(module: nn.Module, attr: str, value: Tensor) -> None:
    """Assign a loaded tensor (its shape was checked against the module before it was read)."""
    if attr in module._parameters:
        module._parameters[attr] = nn.Parameter(value, requires_grad=value.is_floating_point())
    else:
        module._buffers[attr] = value


def auto_dtype(checkpoint_dtype: str | torch.dtype | None, device: torch.device, bits: int
               ) -> str | torch.dtype | None:
    """What ``dtype="auto"`` means for a model: the checkpoint's ``torch_dtype``, except on CPU for a quantized
    model, which computes in float32. What is left unquantized there is small (LayerNorms, biases, the KV cache;
    a float embedding table keeps its 16-bit precision, :func:`float_table_dtype`), the prompt pass dequantizes
    its weights anyway, and a decode step then runs as one C call (``native_step``, float32 models only):
    1.2-1.3x faster per token at BianQue-2's size than the bfloat16 forward (bench/NOTES.md, s29 and s32).
    ChatGLM's own CPU recipe is ``.float()``."""
    if device.type == "cpu" and bits:
        return "float32"
    return checkpoint_dtype


def float_table_dtype(dtype: str | torch.dtype, checkpoint_dtype: str | torch.dtype | None, device: torch.device,
                      bits: int, target: torch.dtype) -> torch.dtype:
    """The dtype an unquantized embedding / lm_head table is held in: the model's (``target``), except where
    :func:`auto_dtype` chose float32 for a quantized CPU model over a 16-bit checkpoint. Its table then stays
    16-bit (bf16 on CPU): float32 would double BianQue-2's largest tensor (1.07 to 2.14 GB, more than the int4
    blocks' 1.6 GB) and the bytes every decode step reads through the lm_head. Rows widen exactly for the
    blocks (``ChatGLM.embed``); the lm_head sums exact products in fp32 (``ChatGLM.logits``)."""
    if str(dtype).strip().lower() != "auto" or auto_dtype(checkpoint_dtype, device, bits) != "float32":
        return target
    stored = resolve_dtype("auto", device, auto=checkpoint_dtype)
    return stored if stored.itemsize < target.itemsize else target


def read_config(folder: Path) -> ChatGLMConfig:
    """The checkpoint's config.json, refused unless it describes a ChatGLM-6B: read as ChatGLM, another
    architecture's config builds a 6B-sized model that fails on its first key."""
    config = ChatGLMConfig.from_pretrained(folder)
    model_type = config.extra.get("model_type", MODEL_TYPE)
    if model_type != MODEL_TYPE:
        raise ModelLoadError(f"{folder} holds a model of type {model_type!r} (config.json), not ChatGLM-6B: use a "
                             "ChatGLM-6B checkpoint such as BianQue-2")
    return config


def load_model(
    folder: str | Path,
    *,
    dtype: str | torch.dtype = "auto",
    device: str | torch.device = "cpu",
    quantization_bit: int | None = None,
    quantize_embeddings: bool | None = None,
    model_class: type[ChatGLM] = ChatGLM,
) -> ChatGLM:
    """Load a checkpoint folder (config.json + weights) into a native model in eval mode.

    ``quantization_bit`` (4 or 8) quantizes the blocks' Linear layers while loading; None takes the
    config's ``quantization_bit``; 0 forces full precision (only possible for a float checkpoint).
    ``quantize_embeddings`` (with quantization_bit) quantizes the tied embedding / lm_head table too (int8
    per row); None takes the config's ``quantization_embeddings``. A checkpoint whose table is stored
    quantized is read straight into it (no float copy of the table is ever made).
    """
    folder = Path(folder)
    config = read_config(folder)
    check_weight_files(folder)  # a damaged or unreadable shard is named now, not after the shards before it
    dev = resolve_device(device)
    bits = config.quantization_bit if quantization_bit is None else int(quantization_bit)
    if bits not in (0, 4, 8):
        raise UnsupportedModelError(f"quantization_bit={bits} is not supported (use 0, 4 or 8)")
    stored_table = config.quantization_embeddings
    table = stored_table if quantize_embeddings is None else bool(quantize_embeddings)
    target = resolve_dtype(dtype, dev, auto=auto_dtype(config.torch_dtype, dev, bits))
    table_dtype = float_table_dtype(dtype, config.torch_dtype, dev, bits, target)
    if stored_table and not table:
        raise UnsupportedModelError(
            f"{folder} stores its embedding table quantized (quantization_embeddings): it cannot be loaded "
            "with a full-precision table"
        )
    if table and not bits:
        raise UnsupportedModelError("quantize_embeddings needs quantization_bit 4 or 8")
    config.quantization_bit = bits
    config.quantization_embeddings = table

    with torch.device("meta"):
        model = model_class(config)
    if bits:
        empty_quantized_layers(model, bits, target)
    if table:
        use_quantized_table(model, EMBEDDING_BITS, target, "meta")
    if config.tie_word_embeddings:
        # Untie while loading: both embedding keys fill the one embedding weight (and, quantized, its scale);
        # the last one read wins, as in the original. Untied, each key fills its own table.
        _untie_lm_head(model)

    seen: set[str] = set()
    for key, source in iter_checkpoint_sources(folder):
        try:
            _load_one(model, key, source, target, dev, bits, seen, table_dtype)
        finally:
            source.release()
    model.tie_weights()
    release_free_heap()
    _check_complete(model, seen, bits)
    config.torch_dtype = str(target).removeprefix("torch.")
    model.eval()
    return model


def _load_one(
    model: ChatGLM,
    key: str,
    source: TensorSource,
    target: torch.dtype,
    dev: torch.device,
    bits: int,
    seen: set[str],
    table_dtype: torch.dtype,
) -> None:
    if key.endswith("rotary_emb.inv_freq"):
        return  # always recomputed (fp16-rounded), as the original does on load
    if "prefix_encoder" in key:
        raise UnsupportedModelError(f"checkpoint key {key!r}: P-tuning prefixes are not supported")
    tied = model.config.tie_word_embeddings
    if tied and key in _EMBEDDING_KEYS:
        key = _EMBEDDING_KEYS[0]
    elif tied and key in _EMBEDDING_SCALE_KEYS:
        key = _EMBEDDING_SCALE_KEYS[0]
    embeddings = model.transformer.word_embeddings
    floating = source.dtype.is_floating_point
    if key in _EMBEDDING_SCALE_KEYS and not isinstance(embeddings, QuantizedEmbedding):
        raise UnsupportedModelError(
            f"checkpoint key {key!r} holds a quantized embedding table; set quantization_embeddings in config.json"
        )
    if key == _EMBEDDING_KEYS[0] and isinstance(embeddings, QuantizedEmbedding):
        if floating:  # a float checkpoint quantized while loading: one float table at a time, then freed
            embeddings.set_float_weight(source.read())
            embeddings.weight = embeddings.weight.to(dev)
            embeddings.weight_scale = embeddings.weight_scale.to(dev)
            embeddings.tie(model.lm_head)
            seen.update({key, _EMBEDDING_SCALE_KEYS[0]})
            return
        if source.dtype != torch.int8:
            raise ModelLoadError(f"checkpoint key {key!r}: a quantized table must be int8, got {source.dtype}")
        _adopt_table_bits(model, source.shape, key)
    elif key == _EMBEDDING_KEYS[0] and not floating:
        raise UnsupportedModelError(
            f"checkpoint key {key!r} holds a quantized embedding table; set quantization_embeddings in config.json"
        )
    module, attr = _param_owner(model, key)
    if isinstance(module, QuantizedLinear):
        if attr == "weight" and floating:
            module.set_float_weight(source.read().to(dev))
            module.weight_scale = module.weight_scale.to(target)
            seen.update({key, key + "_scale"})
            return
        if attr == "weight" and source.dtype != torch.int8:
            raise ModelLoadError(f"checkpoint key {key!r}: quantized weights must be int8, got {source.dtype}")
        if attr == "weight" and source.shape[-1] != module.weight.shape[-1]:
            raise UnsupportedModelError(
                f"checkpoint key {key!r} is quantized with another bit width than quantization_bit={bits}"
            )
    elif key.endswith("weight_scale") and not isinstance(module, QuantizedEmbedding):
        raise UnsupportedModelError(
            f"checkpoint key {key!r} holds pre-quantized weights; set quantization_bit in config.json"
        )
    _check_shape(module, attr, source.shape, key)
    if isinstance(module, QuantizedEmbedding):
        # The lm_head shares the table: let go of it too, or the replaced table stays alive beside the new.
        _untie_lm_head(model)
    # The second embedding key replaces the first (the last one read wins, as in the original): free the
    # first before reading, so the two never coexist with a read buffer (2 GB at full size).
    _drop_loaded(module, attr)
    if not floating:
        kept = source.dtype
    elif key in _EMBEDDING_KEYS and not isinstance(module, QuantizedEmbedding):
        kept = table_dtype  # an untied lm_head is as large as the embedding table: held alike
    else:
        kept = target
    value = torch.empty(source.shape, dtype=kept)
    source.read_into(value)
    _set_tensor(module, attr, value.to(dev))
    if isinstance(module, QuantizedEmbedding):
        module.tie(model.lm_head)
    if isinstance(module, QuantizedLinear) and attr == "weight":
        # int4 on CPU: converted to the packed kernel layout here, one tensor at a time.
        module.set_quantized_weight(module.weight)
        # The conversion's temporaries (tens of MB, under glibc's mmap threshold) leave holes in the heap
        # between weights that stay: hand their pages back now, or loading peaks 15% above the model.
        release_free_heap()
    seen.add(key)


def _adopt_table_bits(model: ChatGLM, shape: tuple[int, ...], key: str) -> None:
    """Rebuild the empty quantized table for int4 when the stored one is packed two per byte (the original
    chatglm-6b-int4-qe layout); our own checkpoints store it as int8."""
    table = model.transformer.word_embeddings
    assert isinstance(table, QuantizedEmbedding)
    hidden = model.config.hidden_size
    if len(shape) != 2 or shape[0] != model.config.vocab_size or shape[1] not in (hidden, hidden // 2):
        raise ModelLoadError(
            f"checkpoint key {key!r} has shape {tuple(shape)}, the config implies {(model.config.vocab_size, hidden)}"
        )
    bits = 8 if shape[1] == hidden else 4
    if bits != table.bits:
        dtype, device = table.weight_scale.dtype, table.weight_scale.device
        scale = None if table.weight_scale.is_meta else table.weight_scale
        use_quantized_table(model, bits, dtype, "meta")
        _untie_lm_head(model)
        if scale is not None:  # the scale key was read first: keep it
            model.transformer.word_embeddings.weight_scale = scale.to(device)


def _untie_lm_head(model: nn.Module) -> None:
    """Let the lm_head drop its tied tensors (weight, and a quantized table's scale); loading ties it again."""
    head = model.get_submodule("lm_head")
    for name in ("weight", "weight_scale"):
        if name in head._parameters:
            head.register_parameter(name, None)
        elif name in head._buffers:
            head.register_buffer(name, None)


def _current(module: nn.Module, attr: str) -> Tensor | None:
    current: Tensor | None = module._parameters.get(attr)
    return module._buffers.get(attr) if current is None else current


def _check_shape(module: nn.Module, attr: str, shape: tuple[int, ...], key: str) -> None:
    current = _current(module, attr)
    if current is not None and tuple(current.shape) != tuple(shape):
        raise ModelLoadError(
            f"checkpoint key {key!r} has shape {tuple(shape)}, the config implies {tuple(current.shape)}"
        )


def _drop_loaded(module: nn.Module, attr: str) -> None:
    current = _current(module, attr)
    if current is None or current.is_meta:
        return
    placeholder = torch.empty(current.shape, dtype=current.dtype, device="meta")
    del current  # the last reference here: the tensor is freed when the module lets go of it
    if attr in module._parameters:
        module._parameters[attr] = nn.Parameter(placeholder, requires_grad=False)
    else:
        module._buffers[attr] = placeholder
    # The freed tensor can stay in the C heap (a quantized table did in about half the loads): hand its pages
    # back before the replacement is read, or both count in the peak.
    release_free_heap()


def _check_complete(model: nn.Module, seen: set[str], bits: int) -> None:
    missing = [
        name
        for name, t in list(model.named_parameters()) + list(model.named_buffers())
        if t.is_meta
    ]
    if missing:
        raise ModelLoadError(f"checkpoint is missing {counted(len(missing), 'tensor')}, e.g. {missing[:5]}")


# ---------------------------------------------------------------------------------------------- saving
def state_dict_for_saving(model: ChatGLM) -> dict[str, Tensor]:
    """The original key set: both embedding keys, and each layer's ``rotary_emb.inv_freq``."""
    state: dict[str, Tensor] = {}
    inv = rotary_inv_freq(model.config.head_dim // 2)
    for name, tensor in model.state_dict().items():
        state[name] = tensor.detach()
    for i in range(model.config.num_layers):
        state[f"transformer.layers.{i}.attention.rotary_emb.inv_freq"] = inv.to(model.dtype)
    if model.config.tie_word_embeddings:
        state["lm_head.weight"] = state["transformer.word_embeddings.weight"]
    return dict(sorted(state.items(), key=lambda kv: _key_order(kv[0])))


def _key_order(key: str) -> tuple[int, int, str]:
    if key.startswith("transformer.word_embeddings"):
        return (0, 0, key)
    if key.startswith("transformer.layers."):
        return (1, int(key.split(".")[2]), key)
    if key.startswith("transformer.final_layernorm"):
        return (2, 0, key)
    return (3, 0, key)


def _write_safetensors(path: Path, tensors: dict[str, Tensor]) -> None:
    """Stream tensors to a safetensors file one by one (no in-memory copy of the whole model)."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, t in tensors.items():
        nbytes = t.numel() * t.element_size()
        header[name] = {"dtype": _ST_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(raw)))
        fh.write(raw)
        for t in tensors.values():
            data = t.detach().to("cpu").contiguous()
            if data.numel():
                fh.write(data.view(-1).view(torch.uint8).numpy().data)


def stored_dtype(model: ChatGLM) -> torch.dtype:
    """The ``torch_dtype`` a saved model is labelled with: its float table's where that is narrower than the
    model (a quantized CPU model under "auto"), so loading it again holds the same table; else the model's."""
    table = model.transformer.word_embeddings.weight
    if table.is_floating_point() and table.dtype.itemsize < model.dtype.itemsize:
        return table.dtype
    return model.dtype


def save_model(
    model: ChatGLM,
    folder: str | Path,
    *,
    safe_serialization: bool = True,
    max_shard_bytes: int | None = None,
) -> list[Path]:
    """Write config.json and the weights (original key names); shard with an index when asked."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    config = model.config
    config.torch_dtype = str(stored_dtype(model)).removeprefix("torch.")
    config.save_pretrained(root)
    state = state_dict_for_saving(model)
    shards: list[dict[str, Tensor]] = [{}]
    size = 0
    for name, t in state.items():
        nbytes = t.numel() * t.element_size()
        if max_shard_bytes and shards[-1] and size + nbytes > max_shard_bytes:
            shards.append({})
            size = 0
        shards[-1][name] = t
        size += nbytes
    single, index_name, ext = (
        (SAFETENSORS_FILE, SAFETENSORS_INDEX, "safetensors") if safe_serialization else (BIN_FILE, BIN_INDEX, "bin")
    )
    stem = "model" if safe_serialization else "pytorch_model"
    for stale in (SAFETENSORS_FILE, SAFETENSORS_INDEX, BIN_FILE, BIN_INDEX):
        if (root / stale).exists():
            (root / stale).unlink()
    paths: list[Path] = []
    for i, shard in enumerate(shards):
        name = single if len(shards) == 1 else f"{stem}-{i + 1:05d}-of-{len(shards):05d}.{ext}"
        path = root / name
        if safe_serialization:
            # safetensors refuses shared storages: give lm_head its own (identical) bytes only on disk.
            _write_safetensors(path, shard)
        else:
            torch.save({k: v.to("cpu") for k, v in shard.items()}, path)
        paths.append(path)
    if len(shards) > 1:
        weight_map = {k: p.name for p, shard in zip(paths, shards, strict=True) for k in shard}
        total = sum(t.numel() * t.element_size() for t in state.values())
        (root / index_name).write_text(
            json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2) + "\n",
            encoding="utf-8",
        )
    return paths


# ---------------------------------------------------------------------------------------------- memory
def peak_rss_bytes() -> int:
    """This process's peak resident set size (Linux ru_maxrss is in KiB)."""
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def current_rss_bytes() -> dict[str, int]:
    """Current RssAnon / RssFile / VmRSS / VmHWM in bytes from /proc (empty where unavailable).

    Read by hand on purpose: psutil has no VmHWM, and ``ru_maxrss`` keeps a forked parent's peak across exec.
    """
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                    out[key] = int(rest.split()[0]) * 1024
    except OSError:
        pass
    return out
