"""A bf16 weight times one decode row in C (``wb_gemv_bf16`` in ``native_gemv.c``), for CPU inference: the lm_head
on a bf16 table, and a bf16 model's block Linears.

A decode step reads every weight once, and at BianQue-2's size the tied embedding table is 1.07 GB of them.
torch's one-row bf16 product read it at 14-20 GB/s on a 2-core Zen 4 (AVX512_BF16), this routine at 24-27 GB/s,
a plain read at 29-33 GB/s: the lm_head took ~55-75 of a bf16-table int4 step's ~215 ms. A bf16 model's block
Linears are the other 10.7 GB of its step, read by torch's product at the same ~15 GB/s (1.3 tokens/s where a
plain read ran at 50-60 GB/s). The C routine reads the bf16 rows as stored, widens them exactly to fp32 and sums
in fp32 (torch's product also accumulates in fp32, in another order), adds the bias in fp32, and rounds once to
the row's dtype (bf16, as torch's output is; or keeps float32).

It runs only where :func:`lm_head_decode` / :func:`bf16_decode_linear` can use it: a CPU bf16 weight,
contiguous, one bf16 or float32 row (a float32 model holding its table in bf16, as quantized models load on CPU)
to multiply, no gradients, and a library that loaded and passed its check in this process against an exact
product (odd sizes, one and two threads). Elsewhere it returns None and the caller keeps torch's ``F.linear``.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import torch
from torch import Tensor

from workbench.chatglm import torch_threads
from workbench.chatglm.native_gemv import CheckedRoutine, NativeKernelError

# Max |difference| / sum |terms| accepted by the self-check: fp32 sums of the same exact products in another
# order stay far below it; a wrong row, stride or widening is off by the size of the outputs.
TOLERANCE = 1e-5


class NativeHead(CheckedRoutine):
    """``wb_gemv_bf16`` bound and checked at first use (once per process)."""

    SYMBOL = "wb_gemv_bf16"
    ARGTYPES = (ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
    WHAT = "bf16 lm_head"
    FALLBACK = "torch's product runs"

    def _self_check(self, fn: Callable[..., int]) -> None:
        """Odd widths (tails past the 32- and 8-column steps) and row counts, one and two threads."""
        gen = torch.Generator().manual_seed(23)
        for out, n in ((1, 16), (37, 70), (1000, 4096), (3, 5)):
            w = (torch.randn(out, n, generator=gen) * 3).to(torch.bfloat16)
            x = torch.randn(n, generator=gen)
            terms = (w.double().abs() @ x.double().abs()).clamp_min(1e-30)
            ref = w.double() @ x.double()
            for threads in (1, 2):
                got = self._run(fn, x, w, threads).double()
                error = ((got - ref).abs() / terms).max().item()
                if not error <= TOLERANCE:
                    raise NativeKernelError(f"the bf16 product gives wrong results ({out}x{n}, {threads} threads: "
                                            f"relative error {error:.2e} > {TOLERANCE:.0e})")

    @staticmethod
    def _run(fn: Callable[..., int], x: Tensor, w: Tensor, threads: int) -> Tensor:
        out, n = w.shape
        x32 = x.reshape(n).float().contiguous()
        y = torch.empty(out, dtype=torch.float32)
        rc = fn(x32.data_ptr(), n, w.data_ptr(), out, y.data_ptr(), threads)
        if rc != 0:
            raise RuntimeError(f"native bf16 product failed (code {rc})")
        return y

    def linear(self, hidden: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor | None:
        """``F.linear(hidden, weight, bias)`` for one row on a bf16 weight, in ``hidden``'s dtype (bf16 or
        float32), or None where it does not apply."""
        if not _applies(hidden, weight) or (bias is not None and bias.shape != (weight.shape[0],)):
            return None
        if not self.available():
            return None
        assert self._fn is not None
        y = self._run(self._fn, hidden, weight, torch_threads.product_threads())
        if bias is not None:
            y.add_(bias.detach().float())  # in fp32, before the one rounding (as torch's product adds it)
        return y.to(hidden.dtype).view(*hidden.shape[:-1], weight.shape[0])


# A bf16 model's rows, or a float32 model's whose table is held in bf16 (``loading.float_table_dtype``): its
# logits stay float32, the exact products summed in fp32.
_ACTIVATIONS = (torch.bfloat16, torch.float32)


def _applies(hidden: Tensor, weight: Tensor) -> bool:
    if torch.is_grad_enabled() or weight.dtype != torch.bfloat16 or hidden.dtype not in _ACTIVATIONS:
        return False
    if weight.device.type != "cpu" or hidden.device.type != "cpu" or weight.dim() != 2 or not weight.is_contiguous():
        return False
    return hidden.shape[-1] == weight.shape[1] and hidden.numel() == weight.shape[1]


NATIVE_HEAD = NativeHead()


def lm_head_decode(hidden: Tensor, weight: Tensor) -> Tensor | None:
    """The logits of one row on a bf16 table from the C routine, or None where it does not apply here."""
    return NATIVE_HEAD.linear(hidden, weight)


def bf16_decode_linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor | None:
    """A bf16 block Linear on one decode row from the C routine (inference only), or None where it does not
    apply here."""
    return NATIVE_HEAD.linear(x, weight, bias)
