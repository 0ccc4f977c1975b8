"""Decode-time attention (one query token) over a bf16 or fp16 KV cache in C (``wb_attend_decode`` in
``native_gemv.c``), for CPU inference.

torch runs a decode step's attention as two batched 16-bit products per layer. On CPUs without bf16
arithmetic (AVX2) these are slow, and with OpenMP's threads sleeping between parallel regions
(``OMP_WAIT_POLICY=PASSIVE``, as ``python -m workbench`` runs) each pays a wake-up: at BianQue-2's full
size they took 505 of 799 ms of a decode step's CPU time. The C routine reads keys and values straight
from the cache (no converted copy), widened to fp32 on load, computes scores, softmax and the weighted sum
in fp32 with the torch path's roundings to the cache dtype, one head per chunk of the native work pool.

It runs only where :func:`attend_decode` can use it: a CPU tensor in bf16 or fp16, one query token, no
gradients, the head dimension contiguous and a multiple of 8, and a library that loaded and passed its
check in this process against the torch path (:func:`reference_attend_decode`, the same operations as
``modeling.SelfAttention._attend``) on odd shapes, a mask and both thread counts. Elsewhere it returns
None and the caller keeps torch's products.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import torch
from torch import Tensor

from workbench.chatglm import torch_threads
from workbench.chatglm.native_gemv import CheckedRoutine, NativeKernelError, relative_error

_KINDS = {torch.bfloat16: 0, torch.float16: 1}
MAX_HEAD_DIM = 512  # ATTEND_MAX_HD in native_gemv.c
# Max |difference| / max |reference output| accepted by the self-check. Both sides round the scores,
# probabilities and outputs to 16 bits, summing in fp32 in different orders: a value may differ by one
# 16-bit ulp (bf16: 2^-8 relative), and a flipped score rounding moves the output by about as much. A wrong
# routine (a head, a position or a stride off) is off by the size of the outputs.
TOLERANCE = 2e-2


def reference_attend_decode(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, divisor: float,
                            coeff: float, fill: float) -> Tensor:
    """torch's decode-step attention as ``modeling.SelfAttention._attend`` runs it in inference."""
    scores = torch.matmul(q / divisor, k.transpose(-1, -2))
    if mask is not None:
        scores.masked_fill_(mask, fill)
    scores.mul_(coeff)
    probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(v.dtype)
    return torch.matmul(probs, v)


class NativeAttention(CheckedRoutine):
    """``wb_attend_decode`` bound and checked at first use (once per process)."""

    SYMBOL = "wb_attend_decode"
    ARGTYPES = (ctypes.c_void_p, ctypes.c_long, ctypes.c_long,
                ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_long,
                ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p,
                ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                ctypes.c_float, ctypes.c_float, ctypes.c_float, ctypes.c_int, ctypes.c_int)
    WHAT = "decode attention"
    FALLBACK = "torch's products run"

    def _self_check(self, fn: Callable[..., int]) -> None:
        """Odd lengths (1, 7, 133), several heads and a batch of 2 with a mask, both 16-bit dtypes, one and
        two threads; keys and values as views of a larger cache, as the model passes them."""
        gen = torch.Generator().manual_seed(21)
        for dtype in _KINDS:
            for batch, heads, length, hd in ((1, 3, 1, 16), (1, 4, 7, 24), (2, 5, 133, 64)):
                capacity = length + 5
                q = torch.randn(batch, 1, heads, 2 * hd, generator=gen).to(dtype)[..., :hd].transpose(1, 2)
                cache_k = (torch.randn(batch, heads, capacity, hd, generator=gen) * 2).to(dtype)
                cache_v = torch.randn(batch, heads, capacity, hd, generator=gen).to(dtype)
                k, v = cache_k[:, :, :length], cache_v[:, :, :length]
                mask = None
                if batch > 1:
                    mask = torch.zeros(batch, 1, 1, length, dtype=torch.bool)
                    mask[1, 0, 0, : length // 3] = True
                ref = reference_attend_decode(q, k, v, mask, 4.0, 2.0, -10000.0).float()
                for threads in (1, 2):
                    got = self._run(fn, q, k, v, mask, 4.0, 2.0, -10000.0, threads).float()
                    error = relative_error(got, ref)
                    if not error <= TOLERANCE:
                        raise NativeKernelError(
                            f"the decode attention gives wrong results ({dtype}, batch {batch}, {heads} heads, "
                            f"length {length}, {threads} threads: relative error {error:.2e} > {TOLERANCE:.0e})"
                        )

    @staticmethod
    def _run(fn: Callable[..., int], q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, divisor: float,
             coeff: float, fill: float, threads: int) -> Tensor:
        batch, heads, _, hd = q.shape
        length = k.shape[2]
        out = torch.empty(batch, 1, heads, hd, dtype=q.dtype)
        mask_rows = None
        if mask is not None:
            mask_rows = mask.expand(batch, 1, 1, length).reshape(batch, length).to(torch.uint8).contiguous()
        rc = fn(
            q.data_ptr(), q.stride(0), q.stride(1),
            k.data_ptr(), k.stride(0), k.stride(1), k.stride(2),
            v.data_ptr(), v.stride(0), v.stride(1), v.stride(2),
            None if mask_rows is None else mask_rows.data_ptr(), out.data_ptr(),
            batch, heads, length, hd, divisor, coeff, fill, _KINDS[q.dtype], threads,
        )
        if rc != 0:
            raise RuntimeError("out of memory" if rc == -1 else f"native decode attention failed (code {rc})")
        return out.transpose(1, 2)

    def attend(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, divisor: float, coeff: float,
               fill: float) -> Tensor | None:
        """The decode-step attention [B, heads, 1, hd] in the C routine, or None where it does not apply."""
        if not _applies(q, k, v, mask) or not self.available():
            return None
        assert self._fn is not None
        return self._run(self._fn, q, k, v, mask, divisor, coeff, fill, torch_threads.product_threads())


def _applies(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None) -> bool:
    if torch.is_grad_enabled() or q.dtype not in _KINDS or q.device.type != "cpu":
        return False
    if q.dim() != 4 or q.shape[2] != 1 or k.dtype != q.dtype or v.dtype != q.dtype:
        return False
    batch, heads, _, hd = q.shape
    if hd % 8 or hd > MAX_HEAD_DIM or k.shape[:2] != (batch, heads) or k.shape[-1] != hd or v.shape != k.shape:
        return False
    if k.device.type != "cpu" or v.device.type != "cpu":
        return False
    if q.stride(-1) != 1 or k.stride(-1) != 1 or v.stride(-1) != 1:
        return False
    return mask is None or (mask.dim() == 4 and mask.shape[-2] == 1 and mask.shape[-1] == k.shape[2])


NATIVE_ATTENTION = NativeAttention()


def attend_decode(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, divisor: float, coeff: float,
                  fill: float) -> Tensor | None:
    """``reference_attend_decode``'s result from the C routine, or None where it does not apply here."""
    return NATIVE_ATTENTION.attend(q, k, v, mask, divisor, coeff, fill)
