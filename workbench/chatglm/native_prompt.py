"""Prompt-pass products of quantized Linear layers in C, fused with their dequantization
(``wb_prompt_gemm_bf16`` in ``native_gemv.c``), for CPUs with native bf16 arithmetic (AVX512_BF16); the same
routine multiplies a bf16 model's Linears (:func:`bf16_prompt_linear`).

Where bf16 GEMMs are the fast ones (:func:`cpu_gemm.quantized_prompt_gemm_dtype`), a quantized layer's prompt
pass used to dequantize its weight into bf16 row blocks and hand each to torch's GEMM: every weight was written
to a buffer and read back, and the GEMM repacked it once more. At BianQue-2's size on a 2-core Zen 4, that fill
took ~0.5-0.7 s of a ~3.3 s 64-token int4 prompt pass. The C routine dequantizes a few weight rows at a time into
a small per-thread buffer, with the same row routines as the blocked path's fill (each weight rounded to bf16
once, the same bits), and multiplies them at once with ``vdpbf16ps``: exact products of the bf16 weights and the
activations rounded to bf16, summed in fp32 (torch's bf16 GEMM sums them in fp32 too, in another order). The
bias is added in fp32 and the output keeps fp32 until the caller rounds it to the activations' dtype once.

It runs only where :meth:`NativePromptGemm.linear` applies: CPU tensors, no gradients, weights in the ChatGLM
layout (int8, int4) or interleaved int4, an even width (a multiple of 64 interleaved), a library built with
AVX512_BF16 that passed its check in this process (odd shapes, every layout, with and without a bias, one and
two threads), and a machine where it was timed faster than the blocked path (``quantization``, once per machine
and bit width). Elsewhere the caller keeps the blocked path.

A bf16 model's prompt pass (bf16 weights read as stored, no dequantization) runs it where it was timed faster
than torch's bf16 ``F.linear`` once per machine: on a 2-core Zen 4, 1.15-1.3x on the 6B model's layers (torch's
GEMM repacks the weight on every call). Both add the bias in fp32 and round each output to bf16 once.

CPUs without native bf16 arithmetic (AVX2 and FMA only) run the same fusion in fp32 (``wb_prompt_gemm_f32``,
:data:`NATIVE_PROMPT_GEMM_F32`): each weight dequantized to the fp32 value the blocked path's fp32 fill writes
(a bf16 weight widened exactly), multiplied by the fp32 activations and summed in fp32, in place of fp32 blocks
for torch's GEMM. Measured with an AVX2 build on a 2-core Zen 4, the mid-size model's layers at 64 rows: 160-190
GFLOP/s against 85-100 for the blocks and 110-130 for a plain fp32 ``F.linear``.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from workbench.chatglm import cpu_gemm, machine_choice, torch_threads
from workbench.chatglm.cpu_gemm import MARGIN, PROBE_ROWS
from workbench.chatglm.native_gemv import NATIVE_GEMV, CheckedRoutine, NativeKernelError, interleave_int4

# Layout codes of wb_prompt_gemm_bf16 (PG_* in native_gemv.c).
BF16, INT8, INT4, INT4_INTERLEAVED = 0, 1, 2, 3
# Max |difference| / sum |terms| accepted by the self-check: fp32 sums of the same exact products in another
# order stay far below it; a wrong row, pair, scale or tile is off by the size of the outputs.
TOLERANCE = 1e-5
# The fp32 routine's products are rounded too (2^-24 each): its check cases measured under 2e-7, a build whose
# outputs were 1e-4 too large 2e-5 or more (a wrong row, scale or tile is off by the size of the outputs).
TOLERANCE_F32 = 2e-6
_NOT_BUILT = -3

logger = logging.getLogger(__name__)


def _packed_int4(q: Tensor) -> Tensor:
    """int4 values [rows, in] packed two per byte in the ChatGLM layout (even column in the high nibble)."""
    return ((q[:, 0::2] << 4) | (q[:, 1::2] & 0xF)).to(torch.int8)


class NativePromptGemm(CheckedRoutine):
    """``wb_prompt_gemm_bf16`` bound and checked at first use (once per process)."""

    SYMBOL = "wb_prompt_gemm_bf16"
    ARGTYPES = (ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
    WHAT = "fused prompt-pass product"
    FALLBACK = "quantized prompt passes dequantize into blocks for torch's GEMMs"
    # The activations' dtype (the routine's products run in it), and the self-check's bound.
    ACTIVATIONS = torch.bfloat16
    CHECK_TOLERANCE = TOLERANCE

    def _bind_and_check(self) -> Callable[..., int]:
        kernel = self._kernel or NATIVE_GEMV
        if kernel.library() is not None and not kernel.dequantize_available():
            # Its weights come from the dequantizer's row routines, which failed their bit-for-bit check.
            raise NativeKernelError(f"it shares the dequantizer that failed its check ({kernel.dequantize_reason})")
        return super()._bind_and_check()

    def _self_check(self, fn: Callable[..., int]) -> None:
        """Row counts below, at and past a 64-row block and a 16-row step, weight rows not a multiple of the
        6-row tile, widths with partial 32- and 16-column steps, every layout, with and without a bias."""
        gen = torch.Generator().manual_seed(29)
        for rows, n, out in ((1, 64, 1), (17, 128, 7), (64, 70, 13), (70, 640, 37), (130, 192, 19)):
            q8 = torch.randint(-128, 128, (out, n), dtype=torch.int8, generator=gen)
            q4 = torch.randint(-8, 8, (out, n), dtype=torch.int8, generator=gen)
            scale = torch.rand(out, generator=gen) + 0.01
            bias = torch.randn(out, generator=gen)
            x = (torch.randn(rows, n, generator=gen) * 3).to(self.ACTIVATIONS)
            # The weights each routine multiplies: q * scale in fp32, rounded to bf16 for bf16 products.
            w8 = (q8.float() * scale[:, None]).to(self.ACTIVATIONS)
            w4 = (q4.float() * scale[:, None]).to(self.ACTIVATIONS)
            bf16_weight = w8.to(torch.bfloat16)
            cases: list[tuple[int, Tensor, Tensor]] = [
                (BF16, bf16_weight, bf16_weight), (INT8, q8, w8), (INT4, _packed_int4(q4), w4)]
            if n % 64 == 0:
                cases.append((INT4_INTERLEAVED, interleave_int4(_packed_int4(q4)), w4))
            for layout, stored, dequantized in cases:
                for b in (None, bias):
                    ref = x.double() @ dequantized.double().T + (0.0 if b is None else b.double())
                    terms = (x.double().abs() @ dequantized.double().abs().T).clamp_min(1e-30)
                    for threads in (1, 2):
                        try:
                            got = self._run(fn, x, stored, layout, scale, b, threads).double()
                        except RuntimeError as exc:
                            raise NativeKernelError(str(exc)) from exc
                        error = ((got - ref).abs() / terms).max().item()
                        if not error <= self.CHECK_TOLERANCE:
                            raise NativeKernelError(
                                f"the fused product gives wrong results (layout {layout}, {rows}x{n} by {out}, "
                                f"{threads} threads: relative error {error:.2e} > {self.CHECK_TOLERANCE:.0e})")

    @classmethod
    def _run(cls, fn: Callable[..., int], x: Tensor, weight: Tensor, layout: int, scale: Tensor | None,
             bias: Tensor | None, threads: int) -> Tensor:
        rows, n = x.shape
        out_features = weight.shape[0]
        if x.dtype != cls.ACTIVATIONS or not x.is_contiguous() or not weight.is_contiguous():
            raise TypeError(f"fused product operands: contiguous {cls.ACTIVATIONS} activations and weight")
        stored = n // 2 if layout in (INT4, INT4_INTERLEAVED) else n
        if weight.shape[1:] != (stored,) or weight.element_size() != (2 if layout == BF16 else 1):
            raise ValueError(f"fused product operands disagree: weight {tuple(weight.shape)} {weight.dtype} for "
                             f"layout {layout} and {n} columns")
        # Held in locals: the routine reads them after this line, so no temporary may be freed before it.
        scale = None if layout == BF16 or scale is None else scale.contiguous()
        bias = None if bias is None else bias.contiguous()
        if (scale is None) != (layout == BF16):
            raise ValueError("fused product operands: quantized weights need their scales, bf16 ones have none")
        for t in (scale, bias):
            if t is not None and (t.dtype != torch.float32 or tuple(t.shape) != (out_features,)):
                raise TypeError(f"fused product operands: float32 scale and bias of {out_features} values")
        y = torch.empty(rows, out_features, dtype=torch.float32)
        rc = fn(x.data_ptr(), rows, n, weight.data_ptr(), layout, out_features,
                None if scale is None else scale.data_ptr(), None if bias is None else bias.data_ptr(), y.data_ptr(),
                threads)
        if rc == _NOT_BUILT:
            raise RuntimeError("the library was built without AVX512_BF16 (this CPU lacks it)")
        if rc != 0:
            raise RuntimeError("out of memory" if rc == -1 else f"bad operands (code {rc})")
        return y

    @staticmethod
    def takes(weight: Tensor, layout: int, in_features: int) -> bool:
        """Whether the routine multiplies ``weight`` held as ``layout`` with ``in_features`` columns: a contiguous
        CPU weight, an even width (bf16 pairs), a multiple of 64 interleaved."""
        return (weight.device.type == "cpu" and weight.is_contiguous() and in_features % 2 == 0
                and not (layout == INT4_INTERLEAVED and in_features % 64))

    def linear(self, x: Tensor, weight: Tensor, layout: int, scale: Tensor | None,
               bias: Tensor | None) -> Tensor | None:
        """float32 ``x @ W.T + bias`` for W ``weight`` held as ``layout`` (int8 [out, in]; int4 [out, in / 2] in
        the ChatGLM or the interleaved layout, times ``scale``, float32 [out]; bf16 [out, in], no scale), ``bias``
        float32 [out] or None; ``x`` is converted to the routine's :attr:`ACTIVATIONS` first. None where it does not
        apply here (the caller keeps its own path)."""
        in_features = x.shape[-1]
        if (torch.is_grad_enabled() and x.requires_grad) or x.device.type != "cpu":
            return None
        if not self.takes(weight, layout, in_features) or not self.available():
            return None
        assert self._fn is not None
        x2 = x.reshape(-1, in_features).to(self.ACTIVATIONS).contiguous()
        y = self._run(self._fn, x2, weight, layout, scale, bias, torch_threads.product_threads())
        return y.view(*x.shape[:-1], weight.shape[0])


class NativePromptGemmF32(NativePromptGemm):
    """``wb_prompt_gemm_f32``: the same product in fp32 (AVX2 and FMA; every machine the library is built on)."""

    SYMBOL = "wb_prompt_gemm_f32"
    WHAT = "fused fp32 prompt-pass product"
    FALLBACK = "quantized prompt passes dequantize into fp32 blocks for torch's GEMMs"
    ACTIVATIONS = torch.float32
    CHECK_TOLERANCE = TOLERANCE_F32

    @staticmethod
    def takes(weight: Tensor, layout: int, in_features: int) -> bool:
        """Whether the routine multiplies ``weight`` held as ``layout`` with ``in_features`` columns: a contiguous
        CPU weight, an even width for int4 (two per byte), a multiple of 64 interleaved."""
        return (weight.device.type == "cpu" and weight.is_contiguous()
                and not (layout in (INT4, INT4_INTERLEAVED) and in_features % 2)
                and not (layout == INT4_INTERLEAVED and in_features % 64))


NATIVE_PROMPT_GEMM = NativePromptGemm()
NATIVE_PROMPT_GEMM_F32 = NativePromptGemmF32()


def prompt_gemm(dtype: torch.dtype) -> NativePromptGemm:
    """The fused routine whose products run in ``dtype`` (bf16 or fp32)."""
    return NATIVE_PROMPT_GEMM if dtype == torch.bfloat16 else NATIVE_PROMPT_GEMM_F32


class _Bf16Choice:
    """Whether a bf16 model's prompt pass runs the fused routine whose products are in ``dtype`` here: it passed
    its check in this process and was clearly faster than what runs instead (torch's bf16 ``F.linear``; fp32
    products on upcast blocks where fp32 GEMMs are the fast ones) on a 64-row pass of a 4096 x 4096 layer, timed
    once per machine (``machine_choice``)."""

    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype
        self._chosen: bool | None = None

    def chosen(self) -> bool:
        if self._chosen is None:
            routine = prompt_gemm(self.dtype)
            self._chosen = routine.available() and self._time(routine) == "fused"
        return self._chosen

    def _time(self, routine: NativePromptGemm) -> str:
        gen = torch.Generator().manual_seed(5)
        x = torch.randn(PROBE_ROWS, 4096, generator=gen).to(torch.bfloat16)
        w = torch.randn(4096, 4096, generator=gen).to(torch.bfloat16)
        if self.dtype == torch.bfloat16:
            key, baseline, instead = "bf16_prompt_product", "torch", lambda: F.linear(x, w)
        else:
            key, baseline, instead = "bf16_prompt_product_f32", "blocks", lambda: cpu_gemm.upcast_linear(x, w, None)
        with torch.inference_mode():
            name, source = machine_choice.choose_once_per_machine(
                key, {baseline: instead, "fused": lambda: routine.linear(x, w, BF16, None, None)},
                preferred=(baseline,), margin=MARGIN,
            )
        logger.info("bf16 prompt passes with %s products run %s (%s)", self.dtype, name, source)
        return name


BF16_CHOICE = _Bf16Choice(torch.bfloat16)
BF16_UPCAST_CHOICE = _Bf16Choice(torch.float32)


def bf16_prompt_linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor | None:
    """``F.linear(x, weight, bias)`` for a bf16 model's prompt rows through a fused routine, in bf16, or None
    where it does not apply or was not chosen here: the fp32 one where fp32 GEMMs are the fast ones (it
    replaces the upcast blocks), else the bf16 one."""
    if x.dtype != torch.bfloat16 or weight.dtype != torch.bfloat16 or weight.dim() != 2 or not weight.is_contiguous():
        return None
    if torch.is_grad_enabled() and (weight.requires_grad or x.requires_grad or (bias is not None and bias.requires_grad)):
        return None
    choice = BF16_UPCAST_CHOICE if cpu_gemm.GEMM_RATES.upcast_bf16_prefill() else BF16_CHOICE
    if not choice.chosen():
        return None
    y = prompt_gemm(choice.dtype).linear(x, weight, BF16, None, None if bias is None else bias.detach().float())
    return None if y is None else y.to(torch.bfloat16)
