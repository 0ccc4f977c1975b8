"""Pre-quantized checkpoints: ``python -m workbench quantize --model DIR --bits 8|4 --out DIR2``.

The source checkpoint is read tensor by tensor and each block Linear weight is quantized on its own, so
the full-precision model is never held; the output is safetensors shards in the original ChatGLM
quantized layout (``weight`` int8, int4 packed two per byte, ``weight_scale`` per row) with
``quantization_bit`` in config.json. Loading it builds empty quantized layers and fills them directly:
no full-precision layer is ever built and start-up does not quantize again. ``--quantize-embeddings``
writes the tied embedding / lm_head table int8 per row too (``quantization_embeddings`` in config.json).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from torch import Tensor

from workbench.chatglm.configuration import ChatGLMConfig
from workbench.chatglm.loading import _write_safetensors, iter_checkpoint
from workbench.chatglm.quantization import EMBEDDING_BITS, QUANTIZED_LINEARS, quantize_rows
from workbench.checkpoints import SAFETENSORS_FILE, SAFETENSORS_INDEX, find_weight_files
from workbench.errors import InputError, UnsupportedModelError

DEFAULT_SHARD_BYTES = 1 << 30
_TABLE_KEYS = ("transformer.word_embeddings.weight", "lm_head.weight")
_LINEAR_WEIGHT = re.compile(
    r"^transformer\.layers\.\d+\.(" + "|".join(re.escape(n) for n in QUANTIZED_LINEARS) + r")\.weight$"
)


def quantize_checkpoint(
    model_dir: str | Path,
    bits: int,
    out_dir: str | Path,
    *,
    max_shard_bytes: int = DEFAULT_SHARD_BYTES,
    quantize_embeddings: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write a pre-quantized copy of ``model_dir`` to ``out_dir``; returns the weight files written.

    ``quantize_embeddings`` also writes the tied embedding / lm_head table quantized (int8, one scale per
    row: ``<key>`` and ``<key>_scale`` for both of the original's keys, as chatglm-6b-int4-qe has them) and
    sets ``quantization_embeddings`` in config.json."""
    src, out = Path(model_dir), Path(out_dir)
    if bits not in (4, 8):
        raise UnsupportedModelError(f"quantization_bit={bits} is not supported (use 4 or 8)")
    config = ChatGLMConfig.from_pretrained(src)
    model_type = config.extra.get("model_type", "chatglm")
    if model_type != "chatglm":  # a T5 or any other model would be written out as a bogus ChatGLM
        raise UnsupportedModelError(f"{src} is not a ChatGLM checkpoint (model_type {model_type!r}): "
                                    "quantize takes BianQue-2.0 / ChatGLM-6B folders")
    if config.quantization_bit:
        raise UnsupportedModelError(f"{src} is already quantized to {config.quantization_bit} bits")
    if out.resolve() == src.resolve():
        raise InputError("--out must be another folder than --model")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} already exists and is not an empty folder: choose a new --out")
    weight_files = find_weight_files(src)
    out.mkdir(parents=True, exist_ok=True)

    written: list[tuple[Path, list[str]]] = []
    shard: dict[str, Tensor] = {}
    size = 0

    def flush() -> None:
        nonlocal shard, size
        if shard:
            path = out / f"part-{len(written) + 1:05d}.safetensors.tmp"
            _write_safetensors(path, shard)
            written.append((path, list(shard)))
            shard, size = {}, 0

    total = 0
    for key, tensor in iter_checkpoint(src):
        if _LINEAR_WEIGHT.match(key) and tensor.is_floating_point():
            q, scale = quantize_rows(tensor, bits)
            items = {key: q, key + "_scale": scale}
            if progress:
                progress(f"quantized {key} {tuple(tensor.shape)} -> int{bits}")
        elif quantize_embeddings and key in _TABLE_KEYS and tensor.is_floating_point():
            q, scale = quantize_rows(tensor, EMBEDDING_BITS)
            items = {key: q, key + "_scale": scale}
            if progress:
                progress(f"quantized {key} {tuple(tensor.shape)} -> int{EMBEDDING_BITS}")
        else:
            items = {key: tensor}  # a fresh tensor of its own: kept as read
        del tensor
        for name, t in items.items():
            nbytes = t.numel() * t.element_size()
            if shard and size + nbytes > max_shard_bytes:
                flush()
            shard[name] = t
            size += nbytes
            total += nbytes
    flush()

    paths: list[Path] = []
    weight_map: dict[str, str] = {}
    for i, (tmp, keys) in enumerate(written):
        name = SAFETENSORS_FILE if len(written) == 1 else f"model-{i + 1:05d}-of-{len(written):05d}.safetensors"
        tmp.replace(out / name)
        paths.append(out / name)
        weight_map.update(dict.fromkeys(keys, name))
    if len(written) > 1:
        (out / SAFETENSORS_INDEX).write_text(
            json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2) + "\n",
            encoding="utf-8",
        )
    config.quantization_bit = bits
    config.quantization_embeddings = quantize_embeddings
    config.save_pretrained(out)
    # Tokenizer and other side files travel along; weights and config.json were written above.
    skip = {p.name for p in weight_files} | {"config.json", "pytorch_model.bin.index.json", SAFETENSORS_INDEX}
    for item in src.iterdir():
        if item.is_file() and item.name not in skip and not item.name.endswith((".bin", ".safetensors")):
            shutil.copy2(item, out / item.name)
    return paths
