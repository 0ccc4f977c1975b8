"""CUDA kernels for the weight-only quantized linears (int8, and int4 two per byte), compiled with NVRTC through
cpm_kernels' bindings at first use.

* ``dequantize``: the whole float16 weight, for a prompt pass (many rows: the product is then a cuBLAS GEMM).
* ``one_row_product``: a decode step's product (one row of activations) straight from the integers. Going
  through a dequantized copy wrote and read two bytes per weight more than the integers hold, in kernels far
  from the memory's speed: on an H200, int8 decode ran at 0.09 of its bandwidth limit, slower than float16
  (bench/NOTES.md, s48). Here one warp reads one weight row in 16-byte loads and sums in float32; the row's
  scale multiplies the sum once, so the result is the dequantized product up to the float16 rounding of
  weights it never forms.

Each kernel is checked once against the torch computation before it is trusted (never inside a CUDA graph
capture: a check synchronises, so an unchecked kernel is not used there); any failure or mismatch logs a
warning and falls back to torch for the rest of the process. cpm_kernels is imported only here, lazily,
because it raises at import on machines with a CUDA toolkit but no driver.
``WORKBENCH_CUDA_ONE_ROW=0`` turns the one-row product off (for comparisons).
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

logger = logging.getLogger(__name__)

Dequantize = Callable[[Tensor, Tensor, int], Tensor]

_SOURCE = r"""
extern "C" __device__ unsigned short wb_f2h(float f) {
    unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h;
}
extern "C" __device__ float wb_h2f(unsigned short h) {
    float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f;
}
extern "C" __global__ void wb_dequant_int8(const signed char* w, const unsigned short* scale,
                                           unsigned short* out, int cols) {
    const long long row = blockIdx.x;
    const float s = wb_h2f(scale[row]);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        out[row * cols + c] = wb_f2h((float)w[row * cols + c] * s);
    }
}
extern "C" __global__ void wb_dequant_int4(const signed char* w, const unsigned short* scale,
                                           unsigned short* out, int packed_cols) {
    const long long row = blockIdx.x;
    const float s = wb_h2f(scale[row]);
    for (int c = threadIdx.x; c < packed_cols; c += blockDim.x) {
        const signed char b = w[row * packed_cols + c];
        const int hi = b >> 4;
        const int lo = ((b & 15) ^ 8) - 8;
        out[row * packed_cols * 2 + 2 * c] = wb_f2h((float)hi * s);
        out[row * packed_cols * 2 + 2 * c + 1] = wb_f2h((float)lo * s);
    }
}

/* Byte k of q as a signed value (arithmetic shifts of a signed int). */
__device__ __forceinline__ int wb_byte(unsigned int q, int k) {
    return ((int)(q << (24 - 8 * k))) >> 24;
}
/* Four int8 weights (one word) times four float16 activations (two words). */
__device__ __forceinline__ float wb_dot_i8(unsigned int q, unsigned int x01, unsigned int x23) {
    return (float)wb_byte(q, 0) * wb_h2f(x01 & 0xffffu) + (float)wb_byte(q, 1) * wb_h2f(x01 >> 16)
         + (float)wb_byte(q, 2) * wb_h2f(x23 & 0xffffu) + (float)wb_byte(q, 3) * wb_h2f(x23 >> 16);
}
/* Eight int4 weights (one word: per byte the even column high, the odd low) times eight activations. */
__device__ __forceinline__ float wb_dot_i4(unsigned int q, uint4 x) {
    const unsigned int xs[4] = {x.x, x.y, x.z, x.w};
    float acc = 0.f;
#pragma unroll
    for (int k = 0; k < 4; ++k) {
        const int b = wb_byte(q, k);
        acc += (float)(b >> 4) * wb_h2f(xs[k] & 0xffffu) + (float)(((b & 15) ^ 8) - 8) * wb_h2f(xs[k] >> 16);
    }
    return acc;
}
__device__ __forceinline__ float wb_warp_sum(float v) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
    return v;
}
/* out[r] = scale[r] * sum_c w[r, c] x[c]: one warp per row, 16 weight bytes per load. */
extern "C" __global__ void wb_row_int8(const signed char* __restrict__ w, const unsigned short* __restrict__ scale,
                                       const unsigned short* __restrict__ x, unsigned short* __restrict__ out,
                                       int rows, int cols) {
    const long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (row >= rows) return;
    const uint4* wr = reinterpret_cast<const uint4*>(w + row * cols);
    const uint4* xv = reinterpret_cast<const uint4*>(x);
    const int chunks = cols >> 4;
    float acc = 0.f;
#pragma unroll 4
    for (int c = lane; c < chunks; c += 32) {
        const uint4 q = wr[c];
        const uint4 a = xv[2 * c];
        const uint4 b = xv[2 * c + 1];
        acc += wb_dot_i8(q.x, a.x, a.y) + wb_dot_i8(q.y, a.z, a.w) + wb_dot_i8(q.z, b.x, b.y)
             + wb_dot_i8(q.w, b.z, b.w);
    }
    acc = wb_warp_sum(acc);
    if (lane == 0) out[row] = wb_f2h(acc * wb_h2f(scale[row]));
}
/* The same for int4 weights, two per byte: 32 weights per 16-byte load. */
extern "C" __global__ void wb_row_int4(const signed char* __restrict__ w, const unsigned short* __restrict__ scale,
                                       const unsigned short* __restrict__ x, unsigned short* __restrict__ out,
                                       int rows, int packed_cols) {
    const long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (row >= rows) return;
    const uint4* wr = reinterpret_cast<const uint4*>(w + row * packed_cols);
    const uint4* xv = reinterpret_cast<const uint4*>(x);
    const int chunks = packed_cols >> 4;
    float acc = 0.f;
#pragma unroll 4
    for (int c = lane; c < chunks; c += 32) {
        const uint4 q = wr[c];
        acc += wb_dot_i4(q.x, xv[4 * c]) + wb_dot_i4(q.y, xv[4 * c + 1]) + wb_dot_i4(q.z, xv[4 * c + 2])
             + wb_dot_i4(q.w, xv[4 * c + 3]);
    }
    acc = wb_warp_sum(acc);
    if (lane == 0) out[row] = wb_f2h(acc * wb_h2f(scale[row]));
}
"""

# One warp per output row. Measured on an H200 (s48): 8 warps a block ran int8 at 3.0-3.3 TB/s, where blocks
# sharing each converted activation chunk among 4 rows (the columns split over the block's warps) gave 2.5-2.7.
_ROWS_PER_BLOCK = 8
_ONE_ROW_TOLERANCE = 2e-3  # of the largest output: float16 rounding of the result and of the skipped weights


def _aligned(t: Tensor) -> bool:
    return t.data_ptr() % 16 == 0


class CudaQuantizedKernels:
    """The NVRTC kernels of one process; ``dequantize`` is the torch computation they are checked against."""

    def __init__(self, dequantize: Dequantize) -> None:
        self._reference = dequantize
        self._kernels: dict[str, Any] | None = None
        self._failed = False
        self._verified: set[str] = set()
        self._one_row_failed = False

    # ------------------------------------------------------------------ loading
    def _load(self) -> dict[str, Any] | None:
        if self._kernels is not None or self._failed:
            return self._kernels
        try:
            if not torch.cuda.is_available():
                raise RuntimeError("CUDA is not available")
            from cpm_kernels.kernels.base import KernelFunction, LazyKernelCModule
            from cpm_kernels.library import nvrtc

            prog = nvrtc.nvrtcProgram()
            nvrtc.nvrtcCreateProgram(prog, _SOURCE, "workbench_quantized.cu", 0, [], [])
            try:
                nvrtc.nvrtcCompileProgram(prog, 1, ["--std=c++11"])
                size = nvrtc.nvrtcGetPTXSize(prog)
                buf = ctypes.create_string_buffer(size)
                nvrtc.nvrtcGetPTX(prog, buf)
            finally:
                nvrtc.nvrtcDestroyProgram(prog)
            module = LazyKernelCModule(buf.raw)
            names = {"dequant8": "wb_dequant_int8", "dequant4": "wb_dequant_int4",
                     "row8": "wb_row_int8", "row4": "wb_row_int4"}
            self._kernels = {key: KernelFunction(module, name) for key, name in names.items()}
        except Exception as exc:  # noqa: BLE001 - any failure means "use the torch path"
            logger.warning("cpm_kernels quantized kernels unavailable (%s); using torch on CUDA", exc)
            self._failed = True
        return self._kernels

    # ------------------------------------------------------------------ the whole weight
    def dequantize(self, weight: Tensor, scale: Tensor, bits: int) -> Tensor:
        """The float16 weight [out, in] of an int8 / packed int4 weight with float16 row scales."""
        kernels = self._load() if scale.dtype == torch.float16 else None
        if kernels is None:
            return self._reference(weight, scale, bits)
        key = f"dequant{bits}"
        if key not in self._verified and torch.cuda.is_current_stream_capturing():
            return self._reference(weight, scale, bits)
        try:
            rows, packed_cols = weight.shape
            cols = packed_cols * 2 if bits == 4 else packed_cols
            out = torch.empty(rows, cols, dtype=torch.float16, device=weight.device)
            stream = torch.cuda.current_stream(weight.device).cuda_stream
            kernels[key](
                (rows, 1, 1), (min(256, max(32, packed_cols)), 1, 1), 0, stream,
                [ctypes.c_void_p(weight.data_ptr()), ctypes.c_void_p(scale.data_ptr()),
                 ctypes.c_void_p(out.data_ptr()), ctypes.c_int32(packed_cols)],
            )
            if key not in self._verified:
                if not torch.allclose(out.float(), self._reference(weight, scale, bits).float(), atol=1e-3):
                    raise RuntimeError("kernel result differs from the torch dequantization")
                self._verified.add(key)
            return out
        except Exception as exc:  # noqa: BLE001
            logger.warning("cpm_kernels dequantization failed (%s); using torch on CUDA", exc)
            self._failed = True
            self._kernels = None
            return self._reference(weight, scale, bits)

    # ------------------------------------------------------------------ one row of activations
    def one_row_product(self, x: Tensor, weight: Tensor, scale: Tensor, bits: int) -> Tensor | None:
        """``x @ dequantize(weight).T`` (no bias) for float16 ``x`` holding one row, straight from the integers;
        None where the kernel does not apply (other dtypes, several rows, unaligned or odd sizes) or failed."""
        if self._one_row_failed or x.dtype != torch.float16 or scale.dtype != torch.float16:
            return None
        rows, packed_cols = weight.shape
        if (
            x.numel() != (packed_cols * 2 if bits == 4 else packed_cols)
            or packed_cols % 16
            or not (x.is_contiguous() and weight.is_contiguous() and scale.is_contiguous())
            or not (_aligned(x) and _aligned(weight))
            or os.environ.get("WORKBENCH_CUDA_ONE_ROW", "1") == "0"
        ):
            return None
        kernels = self._load()
        key = f"row{bits}"
        if kernels is None or (key not in self._verified and torch.cuda.is_current_stream_capturing()):
            return None
        try:
            out = torch.empty(*x.shape[:-1], rows, dtype=torch.float16, device=x.device)
            stream = torch.cuda.current_stream(x.device).cuda_stream
            kernels[key](
                ((rows + _ROWS_PER_BLOCK - 1) // _ROWS_PER_BLOCK, 1, 1), (32 * _ROWS_PER_BLOCK, 1, 1), 0, stream,
                [ctypes.c_void_p(weight.data_ptr()), ctypes.c_void_p(scale.data_ptr()),
                 ctypes.c_void_p(x.data_ptr()), ctypes.c_void_p(out.data_ptr()),
                 ctypes.c_int32(rows), ctypes.c_int32(packed_cols)],
            )
            if key not in self._verified:
                expected = F.linear(x.float(), self._reference(weight, scale.float(), bits))
                error = (out.float() - expected).abs().max().item()
                if error > _ONE_ROW_TOLERANCE * max(expected.abs().max().item(), 1e-6):
                    raise RuntimeError(f"kernel result differs from the dequantized product by {error:.3g}")
                self._verified.add(key)
            return out
        except Exception as exc:  # noqa: BLE001
            logger.warning("cpm_kernels one-row product failed (%s); using torch on CUDA", exc)
            self._one_row_failed = True
            return None
