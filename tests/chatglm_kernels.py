"""Shared helpers for the CPU kernel tests: a torch kernel that is wrong in bf16, forcing which decode kernel
runs (the compiled one or torch's) and whether prompt passes take the fused products, and recording whether a C
routine applied."""

from __future__ import annotations

import pytest
import torch

from workbench.chatglm import quantization as q


def break_bf16(monkeypatch: pytest.MonkeyPatch, kernel: q._CpuKernel) -> None:
    """Make ``kernel`` give wrong results (x1.5) whenever its activations are bf16."""
    real_run = kernel.run

    def wrong_in_bf16(x2, weight, scale):
        out = real_run(x2, weight, scale)
        return out * 1.5 if x2.dtype == torch.bfloat16 else out

    monkeypatch.setattr(kernel, "run", wrong_in_bf16)


def use_native_decode(monkeypatch: pytest.MonkeyPatch, on: bool, activations: int | None = None,
                      interleaved: bool = False) -> None:
    """Decode steps run the compiled kernel (``on``; on int8 or int16 ``activations``, default: int8 where
    that path passed its check; int4 weights ``interleaved`` by row blocks, on int8 activations) or torch's
    path, whatever this machine chose; set it before building int4 layers (the choice decides their layout)."""
    for kernel in q._KERNELS.values():
        monkeypatch.setattr(kernel, "_native", on)
        monkeypatch.setattr(kernel, "_native_activations", 8 if interleaved else activations)
        monkeypatch.setattr(kernel, "_native_interleaved", interleaved and kernel.bits == 4)


needs_q8 = pytest.mark.skipif(not q.NATIVE_GEMV.q8_available(),
                              reason=f"the int8-activation path is not usable here: {q.NATIVE_GEMV.q8_reason}")
needs_interleaved = pytest.mark.skipif(
    not q.NATIVE_GEMV.interleaved_available(),
    reason=f"the interleaved int4 path is not usable here: {q.NATIVE_GEMV.interleaved_reason or q.NATIVE_GEMV.q8_reason}")
needs_native = pytest.mark.skipif(not q.NATIVE_GEMV.available(),
                                  reason=f"the compiled decode kernel is not usable here: {q.NATIVE_GEMV.reason}")


def choose_fused_prompt(monkeypatch: pytest.MonkeyPatch, chosen: bool, bits: tuple[int, ...] = (8, 4)) -> None:
    """Quantized prompt passes take (``chosen``) or leave the fused C products, in bf16 and in fp32, whatever this
    machine measured."""
    monkeypatch.setattr(q, "_FUSED_PROMPT_CHOICE",
                        {(b, dtype): chosen for b in bits for dtype in (torch.bfloat16, torch.float32)})


def record_applied(monkeypatch: pytest.MonkeyPatch, routine: object, method: str) -> list[bool]:
    """Wrap ``routine.method`` (a C routine's entry, None where it does not apply) to record per call
    whether it applied."""
    calls: list[bool] = []
    original = getattr(routine, method)

    def recorded(*args):
        out = original(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(routine, method, recorded)
    return calls
