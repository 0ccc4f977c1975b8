"""Weight-only int8 / int4 quantization of ChatGLM's Linear layers (embeddings and LayerNorms stay as they are).

Format (the original's, so pre-quantized checkpoints load): ``weight`` int8 with one symmetric scale per
output row in ``weight_scale`` (w ~= q * scale, scale = max|w| / 127 or / 7). int4 packs two values per
byte along the input dimension: the even column in the high nibble, the odd column in the low nibble.

CPU: pure torch. int8 uses ``torch._weight_int8pack_mm`` when this torch has it (checked once against the
plain path) and otherwise dequantizes row blocks; int4 dequantizes row blocks per matmul. CUDA: fp16
dequantization kernels compiled at first use through cpm_kernels' NVRTC bindings (cpm_kernels is imported
lazily and only when CUDA is available, because it raises at import without a driver); any failure, or a
mismatch with the torch result in the one-time self-check, falls back to dequantizing with torch.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.chatglm.modeling import ChatGLM
from workbench.errors import UnsupportedModelError

logger = logging.getLogger(__name__)

QUANTIZED_LINEARS = ("attention.query_key_value", "attention.dense", "mlp.dense_h_to_4h", "mlp.dense_4h_to_h")
_QMAX = {8: 127, 4: 7}
# Rows dequantized at once on CPU: bounds the temporary to ~8 MB of fp32 per block.
_BLOCK_ELEMENTS = 2 * 1024 * 1024


def quantize_weight(weight: Tensor, bits: int) -> tuple[Tensor, Tensor]:
    """Symmetric per-row quantization: (int8 weight, packed for int4; scale [out]) with the weight's dtype."""
    if bits not in _QMAX:
        raise UnsupportedModelError(f"quantization_bit={bits} is not supported (use 4 or 8)")
    w = weight.detach().float()
    scale = w.abs().amax(dim=1) / _QMAX[bits]
    scale = torch.where(scale == 0, torch.ones_like(scale), scale)
    q = torch.round(w / scale[:, None]).clamp_(-_QMAX[bits], _QMAX[bits]).to(torch.int8)
    if bits == 4:
        q = pack_int4(q)
    return q, scale.to(weight.dtype)


def pack_int4(q: Tensor) -> Tensor:
    """Pack int4 values ([-8, 7], int8 [out, in], in even) two per byte: even column high, odd low."""
    if q.shape[-1] % 2:
        raise UnsupportedModelError(f"int4 quantization needs an even input size, got {q.shape[-1]}")
    hi = q[..., 0::2].to(torch.int16) & 0xF
    lo = q[..., 1::2].to(torch.int16) & 0xF
    return ((hi << 4) | lo).to(torch.uint8).view(torch.int8)


def unpack_int4(packed: Tensor) -> Tensor:
    """Inverse of :func:`pack_int4` (sign-extended int8 [out, 2 * in_packed])."""
    hi = packed >> 4  # arithmetic shift keeps the sign
    lo = ((packed & 0xF) ^ 8) - 8
    return torch.stack((hi, lo), dim=-1).flatten(-2)


def dequantize(weight: Tensor, scale: Tensor, bits: int, dtype: torch.dtype | None = None) -> Tensor:
    """The float weight [out, in] (in ``dtype``, default the scale's)."""
    q = unpack_int4(weight) if bits == 4 else weight
    dtype = dtype or scale.dtype
    return q.to(dtype) * scale.to(dtype)[:, None]


class _Int8PackMM:
    """Availability of torch's fused CPU int8 weight-only matmul, checked once per dtype."""

    def __init__(self) -> None:
        self._ok: dict[torch.dtype, bool] = {}

    def usable(self, dtype: torch.dtype) -> bool:
        if dtype not in self._ok:
            self._ok[dtype] = self._check(dtype)
        return self._ok[dtype]

    @staticmethod
    def _check(dtype: torch.dtype) -> bool:
        fn = getattr(torch, "_weight_int8pack_mm", None)
        if fn is None or dtype not in (torch.float32, torch.bfloat16):
            return False
        try:
            gen = torch.Generator().manual_seed(0)
            q = torch.randint(-127, 128, (48, 64), dtype=torch.int8, generator=gen)
            s = torch.rand(48, generator=gen).to(dtype)
            x = torch.randn(3, 64, generator=gen).to(dtype)
            ref = x.float() @ dequantize(q, s, 8, torch.float32).T
            got = fn(x, q, s).float()
            tol = 1e-3 if dtype == torch.float32 else 5e-2
            return bool(torch.allclose(got, ref, rtol=tol, atol=tol * ref.abs().max().item()))
        except Exception:  # noqa: BLE001 - a private op may be missing or reject the dtype
            return False


_INT8_PACK_MM = _Int8PackMM()


def _cpu_quantized_linear(x: Tensor, weight: Tensor, scale: Tensor, bias: Tensor | None, bits: int) -> Tensor:
    x2 = x.reshape(-1, x.shape[-1])
    out_features = scale.shape[0]
    if bits == 8 and scale.dtype == x.dtype and _INT8_PACK_MM.usable(x.dtype) and x2.is_contiguous():
        y = torch._weight_int8pack_mm(x2, weight, scale)
        if bias is not None:
            y = y + bias
        return y.view(*x.shape[:-1], out_features)
    in_features = x.shape[-1]
    rows = max(1, _BLOCK_ELEMENTS // in_features)
    if rows >= out_features:
        y = F.linear(x2, dequantize(weight, scale, bits, x.dtype), bias)
        return y.view(*x.shape[:-1], out_features)
    y = x2.new_empty(x2.shape[0], out_features)
    for r0 in range(0, out_features, rows):
        r1 = min(r0 + rows, out_features)
        w = dequantize(weight[r0:r1], scale[r0:r1], bits, x.dtype)
        y[:, r0:r1] = x2 @ w.T
    if bias is not None:
        y += bias
    return y.view(*x.shape[:-1], out_features)


class _CudaDequantizer:
    """fp16 dequantization kernels for CUDA, compiled with NVRTC via cpm_kernels at first use."""

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
"""

    def __init__(self) -> None:
        self._kernels: dict[int, Any] | None = None
        self._failed = False
        self._verified: set[int] = set()

    def _load(self) -> dict[int, Any] | None:
        if self._kernels is not None or self._failed:
            return self._kernels
        try:
            if not torch.cuda.is_available():
                raise RuntimeError("CUDA is not available")
            # cpm_kernels raises RuntimeError at import on machines without a CUDA driver: import lazily.
            from cpm_kernels.kernels.base import KernelFunction, LazyKernelCModule
            from cpm_kernels.library import nvrtc

            prog = nvrtc.nvrtcProgram()
            nvrtc.nvrtcCreateProgram(prog, self._SOURCE, "workbench_dequant.cu", 0, [], [])
            try:
                nvrtc.nvrtcCompileProgram(prog, 1, ["--std=c++11"])
                size = nvrtc.nvrtcGetPTXSize(prog)
                buf = ctypes.create_string_buffer(size)
                nvrtc.nvrtcGetPTX(prog, buf)
            finally:
                nvrtc.nvrtcDestroyProgram(prog)
            module = LazyKernelCModule(buf.raw)
            self._kernels = {
                8: KernelFunction(module, "wb_dequant_int8"),
                4: KernelFunction(module, "wb_dequant_int4"),
            }
        except Exception as exc:  # noqa: BLE001 - any failure means "use the torch path"
            logger.warning("cpm_kernels dequantization unavailable (%s); using torch on CUDA", exc)
            self._failed = True
        return self._kernels

    def dequantize(self, weight: Tensor, scale: Tensor, bits: int) -> Tensor:
        kernels = self._load() if scale.dtype == torch.float16 else None
        if kernels is None:
            return dequantize(weight, scale, bits)
        try:
            rows, packed_cols = weight.shape
            cols = packed_cols * 2 if bits == 4 else packed_cols
            out = torch.empty(rows, cols, dtype=torch.float16, device=weight.device)
            stream = torch.cuda.current_stream(weight.device).cuda_stream
            kernels[bits](
                (rows, 1, 1), (min(256, max(32, packed_cols)), 1, 1), 0, stream,
                [
                    ctypes.c_void_p(weight.data_ptr()),
                    ctypes.c_void_p(scale.data_ptr()),
                    ctypes.c_void_p(out.data_ptr()),
                    ctypes.c_int32(packed_cols),
                ],
            )
            if bits not in self._verified:
                # One-time self-check against the torch path: never trust an unverified kernel.
                if not torch.allclose(out.float(), dequantize(weight, scale, bits).float(), atol=1e-3):
                    raise RuntimeError("kernel result differs from the torch dequantization")
                self._verified.add(bits)
            return out
        except Exception as exc:  # noqa: BLE001
            logger.warning("cpm_kernels dequantization failed (%s); using torch on CUDA", exc)
            self._failed = True
            self._kernels = None
            return dequantize(weight, scale, bits)


_CUDA_DEQUANTIZER = _CudaDequantizer()


def quantized_linear(x: Tensor, weight: Tensor, scale: Tensor, bias: Tensor | None, bits: int) -> Tensor:
    """y = x @ dequant(weight).T + bias."""
    if x.device.type == "cuda":
        w = _CUDA_DEQUANTIZER.dequantize(weight, scale, bits).to(x.dtype)
        return F.linear(x, w, bias)
    return _cpu_quantized_linear(x, weight, scale, bias, bits)


class QuantizedLinear(nn.Module):
    """A weight-only quantized Linear: int8 ``weight`` (packed for int4), ``weight_scale`` and ``bias``."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bits: int,
        bias: bool = True,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        if bits not in _QMAX:
            raise UnsupportedModelError(f"quantization_bit={bits} is not supported (use 4 or 8)")
        if bits == 4 and in_features % 2:
            raise UnsupportedModelError(f"int4 quantization needs an even input size, got {in_features}")
        self.in_features = in_features
        self.out_features = out_features
        self.bits = bits
        packed = in_features // 2 if bits == 4 else in_features
        self.register_buffer("weight", torch.empty(out_features, packed, dtype=torch.int8, device=device))
        self.register_buffer("weight_scale", torch.empty(out_features, dtype=dtype, device=device))
        self.bias = nn.Parameter(torch.empty(out_features, dtype=dtype, device=device)) if bias else None

    @classmethod
    def from_linear(cls, linear: nn.Linear, bits: int) -> QuantizedLinear:
        """Quantize an existing float Linear."""
        w = linear.weight
        module = cls(linear.in_features, linear.out_features, bits, linear.bias is not None, w.dtype, w.device)
        q, scale = quantize_weight(w, bits)
        module.weight = q
        module.weight_scale = scale
        if linear.bias is not None:
            module.bias = nn.Parameter(linear.bias.detach().clone(), requires_grad=False)
        return module

    def set_float_weight(self, weight: Tensor) -> None:
        """Quantize ``weight`` [out, in] into this module (used while loading a float checkpoint)."""
        if tuple(weight.shape) != (self.out_features, self.in_features):
            raise ValueError(f"expected weight [{self.out_features}, {self.in_features}], got {tuple(weight.shape)}")
        q, scale = quantize_weight(weight, self.bits)
        self.weight = q
        self.weight_scale = scale

    def forward(self, x: Tensor) -> Tensor:
        return quantized_linear(x, self.weight, self.weight_scale, self.bias, self.bits)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bits={self.bits}"


def quantize_model(model: ChatGLM, bits: int) -> ChatGLM:
    """Replace every block's Linear layers by :class:`QuantizedLinear` in place; record it in the config."""
    if bits not in _QMAX:
        raise UnsupportedModelError(f"quantization_bit={bits} is not supported (use 4 or 8)")
    for layer in model.transformer.layers:
        for name in QUANTIZED_LINEARS:
            parent_name, _, attr = name.rpartition(".")
            parent = layer.get_submodule(parent_name)
            current = getattr(parent, attr)
            if isinstance(current, QuantizedLinear):
                if current.bits != bits:
                    raise UnsupportedModelError(
                        f"model is already quantized to {current.bits} bits, cannot requantize to {bits}"
                    )
                continue
            setattr(parent, attr, QuantizedLinear.from_linear(current, bits))
    model.config.quantization_bit = bits
    return model


def empty_quantized_layers(model: ChatGLM, bits: int, dtype: torch.dtype) -> None:
    """Swap the blocks' Linear layers for empty (meta) QuantizedLinear shells before loading weights."""
    for layer in model.transformer.layers:
        for name in QUANTIZED_LINEARS:
            parent_name, _, attr = name.rpartition(".")
            parent = layer.get_submodule(parent_name)
            current = getattr(parent, attr)
            setattr(
                parent, attr,
                QuantizedLinear(current.in_features, current.out_features, bits, current.bias is not None,
                                dtype, "meta"),
            )
