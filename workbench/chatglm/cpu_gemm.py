"""Which CPU matmul is fastest on this machine for a prompt pass, measured once per process.

On CPUs without native bf16 arithmetic (AVX2, most laptops) a bf16 ``F.linear`` over many rows runs at a
fraction of the fp32 GEMM rate, while one-row decode steps are bound by memory bandwidth, where bf16's
half-size weights win. So a prompt pass (at least :data:`PREFILL_MIN_ROWS` rows) of a bf16 Linear upcasts
its weight to fp32 in bounded row blocks and runs fp32 GEMMs; decode keeps the bf16 matrix-vector path.
No full fp32 copy of a weight ever exists: the temporary is at most :data:`UPCAST_BLOCK_ELEMENTS` floats.
Quantized layers' prompt passes dequantize into such blocks too, bf16 ones of at most
:data:`BF16_BLOCK_ELEMENTS` where bf16 GEMMs are the fast ones (:func:`quantized_prompt_gemm_dtype`), unless
``native_prompt``'s C product, which dequantizes a few rows at a time as it multiplies, runs them instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

# Below this many rows the upcast (a read and a write of every weight) costs more than the GEMM gains.
PREFILL_MIN_ROWS = 16
# fp32 weight elements per block: 4 MB. Measured on a 2-core AVX2 machine: 1-4 MB blocks gave the fastest
# upcast + GEMM (the block is multiplied while it is still in cache); smaller ones lose GEMM efficiency and,
# on a loaded machine, pay a thread barrier per block; 16 MB ones spill out of cache.
UPCAST_BLOCK_ELEMENTS = 1024 * 1024
# bf16 weight elements per block for bf16 GEMMs: 8 MB. Measured on a 2-core Zen 4 (AVX512_BF16, 1 MB L2, 32 MB
# L3), int8 / int4 layers of the 6B shape against F.linear on the bf16 weight: 1M-element blocks reached
# 0.60 / 0.54 of it on 64 rows, 4M ones 0.84 / 0.67 (256 rows: 0.73 / 0.75 against 0.78 / 0.78); each call
# repacks the activations and syncs the threads, which small blocks pay too often. 8M gained a little more
# on 256 rows but is half that L3, more than smaller CPUs' whole cache.
BF16_BLOCK_ELEMENTS = 4 * 1024 * 1024
# A path must be this much faster to be chosen (timings on a busy machine jitter).
MARGIN = 1.15
PROBE_ROWS = 64


def best_seconds(fn: Callable[[], object], reps: int = 3) -> float:
    """Shortest of ``reps`` timed calls after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def linear_gflops(dtype: torch.dtype, rows: int = PROBE_ROWS, out_features: int = 2048,
                  in_features: int = 2048, reps: int = 3) -> float:
    """GFLOP/s of ``F.linear`` on a ``rows``-row input in ``dtype`` (random data, this process's threads)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(rows, in_features, generator=gen).to(dtype)
    w = torch.randn(out_features, in_features, generator=gen).to(dtype)
    with torch.inference_mode():
        seconds = best_seconds(lambda: F.linear(x, w), reps)
    return 2.0 * rows * out_features * in_features / seconds / 1e9


class GemmRates:
    """fp32 and bf16 GEMM rates on a 64-row input, measured at first use (well under a second)."""

    def __init__(self) -> None:
        self._rates: dict[torch.dtype, float] | None = None

    def rates(self) -> dict[torch.dtype, float]:
        if self._rates is None:
            self._rates = {dt: linear_gflops(dt) for dt in (torch.float32, torch.bfloat16)}
        return self._rates

    def fp32_rate(self) -> float:
        return self.rates()[torch.float32]

    def upcast_bf16_prefill(self) -> bool:
        """Whether a bf16 prompt pass is faster through fp32 GEMMs on this machine."""
        r = self.rates()
        return r[torch.float32] > MARGIN * r[torch.bfloat16]

    def bf16_prefill(self) -> bool:
        """Whether bf16 GEMMs are clearly faster than fp32 ones here (a CPU with native bf16 arithmetic,
        such as AVX512_BF16 or AMX)."""
        r = self.rates()
        return r[torch.bfloat16] > MARGIN * r[torch.float32]


GEMM_RATES = GemmRates()


def quantized_prompt_gemm_dtype(x: Tensor) -> torch.dtype:
    """The dtype of a quantized layer's prompt-pass GEMMs on dequantized blocks, for activations ``x``: bf16
    where bf16 GEMMs are clearly faster here (AVX512_BF16, AMX), whatever the model's dtype, as decode
    steps run their activations in whatever their kernel is fast in; fp32 elsewhere. A bf16 block holds
    ``q * scale`` rounded once to bf16, the weight a bf16 model computes with when dequantized in its own
    dtype (as ChatGLM's original kernels do on GPUs); an fp32 model's activations are rounded to bf16 for
    these products (2^-9 relative, finer than the 1/254 of a block's largest value that decode steps'
    int8 activations keep) and its bias is added in fp32."""
    if x.device.type == "cpu" and x.dtype in (torch.float32, torch.bfloat16) and GEMM_RATES.bf16_prefill():
        return torch.bfloat16
    return torch.float32


def upcast_bf16_prompt(t: Tensor) -> bool:
    """Whether a prompt pass's matmul on bf16 ``t`` runs faster in fp32 here (a CPU without fast bf16)."""
    return t.dtype == torch.bfloat16 and t.device.type == "cpu" and GEMM_RATES.upcast_bf16_prefill()


def is_prompt_pass(x: Tensor) -> bool:
    """Many rows at once (a prompt pass), as opposed to a decode step."""
    return x.numel() // max(x.shape[-1], 1) >= PREFILL_MIN_ROWS


def block_rows(in_features: int, out_features: int, row_align: int = 1, dtype: torch.dtype = torch.float32) -> int:
    """Weight rows per block: at most :data:`UPCAST_BLOCK_ELEMENTS` floats (:data:`BF16_BLOCK_ELEMENTS` for
    bf16 blocks), a multiple of ``row_align``."""
    elements = UPCAST_BLOCK_ELEMENTS if dtype == torch.float32 else BF16_BLOCK_ELEMENTS
    rows = max(row_align, elements // max(in_features, 1) // row_align * row_align)
    return min(rows, out_features)


class _Workspace(threading.local):
    """Reusable block buffers per thread (one per GEMM dtype): no allocation (and page faults) per block,
    and two generations running in different threads never share them."""

    def __init__(self) -> None:
        self.buffers: dict[torch.dtype, Tensor] = {}

    def get(self, numel: int, dtype: torch.dtype = torch.float32) -> Tensor:
        buffer = self.buffers.get(dtype)
        if buffer is None or buffer.numel() < numel:
            # A normal tensor even when first needed inside inference_mode: an inference tensor could not
            # be written later under plain no_grad (evaluation code outside generate()).
            with torch.inference_mode(False):
                buffer = torch.empty(numel, dtype=dtype)
            self.buffers[dtype] = buffer
        return buffer[:numel]


_WORKSPACE = _Workspace()

# ``fill(buffer, r0, r1)`` writes weight rows r0:r1 into ``buffer`` (flat, (r1 - r0) * in values in the GEMMs'
# dtype, fp32 or bf16) and returns them as a view of it: [r1 - r0, in], or [groups, in, g] whose row
# r0 + i * g + j is [i, :, j] (torch's packed int4 layout unpacks into that without a transpose).
BlockFill = Callable[[Tensor, int, int], Tensor]


def blocked_linear(
    x: Tensor,
    out_features: int,
    fill: BlockFill,
    bias: Tensor | None,
    row_align: int = 1,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """``x @ W.T + bias`` computed one bounded block of weight rows at a time, each block written by
    ``fill`` into a reused per-thread buffer and multiplied while it is still in cache; the result has
    ``x``'s dtype. ``dtype`` is the GEMMs' (and the blocks') dtype: fp32, or bf16 (see
    :func:`quantized_prompt_gemm_dtype`), whose GEMMs add a bf16 bias before the one rounding of each output."""
    in_features = x.shape[-1]
    x2 = x.reshape(-1, in_features).to(dtype)
    n = x2.shape[0]
    rows = block_rows(in_features, out_features, row_align, dtype)
    # Autograd cannot follow writes into a reused buffer or out= products: with gradients on (a loss
    # being trained), each block gets a fresh buffer and a plain product; inference reuses one.
    differentiable = torch.is_grad_enabled()
    buffer = _WORKSPACE.get(0 if differentiable else rows * in_features, dtype)
    y = torch.empty(n, out_features, dtype=dtype, device=x.device)
    # bf16 GEMMs add a bf16 bias in their fp32 accumulators, so each output is rounded to bf16 once; a
    # wider bias is added after, in the output's dtype.
    bias_in_gemm = bias is not None and dtype != torch.float32 and bias.dtype == dtype and not differentiable
    for r0 in range(0, out_features, rows):
        r1 = min(r0 + rows, out_features)
        size = (r1 - r0) * in_features
        w = fill(torch.empty(size, dtype=dtype, device=x.device) if differentiable else buffer[:size], r0, r1)
        b = bias[r0:r1].to(dtype) if bias is not None and bias_in_gemm else None
        if w.dim() == 2 and differentiable:
            y[:, r0:r1] = x2 @ w.T
        elif w.dim() == 2 and b is not None:
            torch.addmm(b, x2, w.T, out=y[:, r0:r1])
        elif w.dim() == 2:
            torch.mm(x2, w.T, out=y[:, r0:r1])
        else:
            # [groups, n, g] -> the block's columns of y, in row order.
            groups, g = w.shape[0], w.shape[2]
            product = (torch.matmul(x2, w) if b is None
                       else torch.baddbmm(b.view(groups, 1, g), x2.expand(groups, n, in_features), w))
            y[:, r0:r1].view(n, groups, g).copy_(product.transpose(0, 1))
    if bias is not None and not bias_in_gemm:
        y = y.float()  # the same tensor after fp32 GEMMs: the bias is added before the output's one rounding
        y += bias
    return y.to(x.dtype).view(*x.shape[:-1], out_features)


def upcast_linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """A bf16 Linear's prompt pass through fp32 GEMMs on row blocks of the weight."""
    in_features = weight.shape[1]

    def fill(buffer: Tensor, r0: int, r1: int) -> Tensor:
        return buffer.view(r1 - r0, in_features).copy_(weight[r0:r1])

    return blocked_linear(x, weight.shape[0], fill, bias)
