"""Raw speed of one decode-shaped quantized product (one activation row by a [4096, 16384] layer): the
compiled kernel (workbench/chatglm/native_gemv.c) on int8 activations ("native"; for int4 also on weights
interleaved by row blocks, "native-interleaved") and on int16 ones ("native-int16", the path before it),
and torch's fused kernel, against a plain memory read; and the
prompt pass's dequantization of a 4 MB block of ChatGLM-layout rows, compiled against torch's ops.

    python bench/quantized_gemv.py            # int8 and int4, 2 threads
    python bench/quantized_gemv.py --json     # ... and one JSON object as the last line

Weights/s = weights / the median call time (interleaved rounds). The weights are read from memory every
call: each call takes the next of three copies (64 MB int8, 32 MB int4 each), so the last-level cache (32 MB
on the reference machine) never still holds the copy a call reads, as it would if the candidates took turns
on one; bytes/s against ``memory_read_gb_per_s`` (a plain read of a 256 MB tensor, same run) then says how
close a kernel is to the memory limit. ``..._ratio_to_interleaved_read`` is against a plain read of the same
bytes timed in the same rounds (``NativeGemv.read``, on the products' work pool): on a loaded machine the read
rate moves within seconds, so quote that one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.chatglm_decode import memory_read_gb_per_s  # noqa: E402
from workbench.chatglm import quantization as q  # noqa: E402
from workbench.chatglm.machine_choice import median_seconds  # noqa: E402
from workbench.chatglm.native_gemv import NATIVE_GEMV, interleave_int4  # noqa: E402

_COPIES = 3  # weight copies taken in turn, so that no call finds its weights still in cache


def _reference(x: torch.Tensor, stored: torch.Tensor, scale: torch.Tensor, bits: int) -> torch.Tensor:
    """x @ dequant(W).T in float64, 256 weight rows at a time (bounded memory)."""
    out = torch.empty(x.shape[0], stored.shape[0], dtype=torch.float64)
    for r0 in range(0, stored.shape[0], 256):
        w = q.dequantize(stored[r0:r0 + 256], scale[r0:r0 + 256], bits, torch.float64)
        out[:, r0:r0 + 256] = x.double() @ w.T
    return out


def _time_dequantizers(bits: int, stored: torch.Tensor, scale: torch.Tensor, in_features: int, rounds: int,
                       result: dict[str, object]) -> None:
    """The prompt pass's fill of one 4 MB fp32 block: torch's ops (as quantization.py runs them) and C."""
    rows = max(1, (1 << 20) // in_features)
    block, block_scale = stored[:rows].contiguous(), scale[:rows].float().contiguous()
    buffer = torch.empty(rows, in_features)

    def with_torch() -> object:
        if bits == 8:
            return buffer.copy_(block).mul_(block_scale[:, None])
        pairs = buffer.view(rows, in_features // 2, 2)
        pairs[..., 0].copy_(block >> 4)
        pairs[..., 1].copy_(((block & 0xF) ^ 8) - 8)
        return buffer.mul_(block_scale[:, None])

    calls: dict[str, Callable[[], object]] = {
        "torch": with_torch, "native": lambda: NATIVE_GEMV.dequantize(block, block_scale, buffer, bits)}
    if bits == 4 and q.INT4_LAYOUT.supports(rows, in_features):
        # torch's packed int4 layout, what the prompt pass reads when torch's int4 kernel decodes
        packed = q.INT4_LAYOUT.pack(q.unpack_int4(block)).view(torch.int8)
        calls["torch-packed-layout"] = lambda: q._unpack_cpu_int4_into(buffer, packed, block_scale, in_features)
    with torch.inference_mode():
        seconds = median_seconds(calls, rounds=rounds)
    print(f"int{bits} dequantize a {rows}x{in_features} block: "
          + ", ".join(f"{name} {sec * 1e3:.2f} ms" for name, sec in seconds.items())
          + f" (native {seconds['torch'] / seconds['native']:.2f}x faster than torch)")
    result[f"int{bits}_dequantize_block_seconds"] = seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=int, default=4096)
    parser.add_argument("--in", dest="in_features", type=int, default=16384)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    read_rate = memory_read_gb_per_s()
    print(f"memory read: {read_rate:.1f} GB/s ({args.threads} threads)")
    weights = args.out * args.in_features
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, args.in_features, generator=gen)
    result: dict[str, object] = {"memory_read_gb_per_s": read_rate, "shape": [args.out, args.in_features],
                                 "threads": args.threads, "native_reason": None}
    native_ok = NATIVE_GEMV.available()
    if not native_ok:
        result["native_reason"] = NATIVE_GEMV.reason
        print(f"native kernel not available: {NATIVE_GEMV.reason}")
    for bits in (8, 4):
        stored, scale = q.quantize_weight(torch.randn(args.out, args.in_features, generator=gen), bits)
        kernel = q._KERNELS[bits]
        act = kernel.activation_dtype()
        turn = itertools.count()
        copies = [stored] + [stored.clone() for _ in range(_COPIES - 1)]

        def native(activations: int, b: int = bits, copies: list[torch.Tensor] = copies,
                   sc: torch.Tensor = scale, turn: itertools.count = turn) -> torch.Tensor:
            return NATIVE_GEMV.linear(x, copies[next(turn) % _COPIES], sc, None, b, activations)

        def interleaved(copies: list[torch.Tensor], sc: torch.Tensor = scale,
                        turn: itertools.count = turn) -> torch.Tensor:
            return NATIVE_GEMV.linear(x, copies[next(turn) % _COPIES], sc, None, 4, 8, interleaved=True)

        calls: dict[str, Callable[[], object]] = {}
        if native_ok and NATIVE_GEMV.q8_available():
            calls["native"] = partial(native, 8)
        if bits == 4 and native_ok and NATIVE_GEMV.interleaved_available():
            calls["native-interleaved"] = partial(interleaved, [interleave_int4(c) for c in copies])
        if native_ok:
            calls["native-int16"] = partial(native, 16)
        # A plain read of the same bytes (the next copy) in the same rounds, through the products' work pool:
        # the loaded machine's read rate moves within seconds, so a rate measured once misstates ratios (and
        # torch's OpenMP sum waits for a descheduled thread where the pool does not).
        if native_ok:
            calls["read"] = lambda c=copies, turn=turn: NATIVE_GEMV.read(c[next(turn) % _COPIES])
        else:
            reads = [torch.ones(c.numel() // 4) for c in copies]
            calls["read"] = lambda reads=reads, turn=turn: reads[next(turn) % _COPIES].sum()
        if act is not None:
            operands = [kernel.kernel_operands(c, scale, act) for c in copies]
            torch_calls = [kernel._timed_call(x.to(act), w, s) for w, s in operands]
            calls[f"torch-{str(act).removeprefix('torch.')}"] = (
                lambda tc=torch_calls, turn=turn: tc[next(turn) % _COPIES]())
        with torch.inference_mode():
            seconds = median_seconds(calls, rounds=args.rounds)
        bytes_per_weight = 1.0 if bits == 8 else 0.5
        reference = _reference(x, stored, scale, bits) if native_ok else None
        read_seconds = seconds.pop("read")
        interleaved_read = weights * bytes_per_weight / read_seconds / 1e9
        print(f"int{bits} the same bytes read in the same rounds: {interleaved_read:.1f} GB/s")
        result[f"int{bits}_interleaved_read_gb_per_s"] = interleaved_read
        for name, sec in seconds.items():
            rate = weights / sec
            gbs = rate * bytes_per_weight / 1e9
            print(f"int{bits} {name:>15}: {rate / 1e9:6.1f} G weights/s = {gbs:5.1f} GB/s, "
                  f"{gbs / read_rate:.2f} of the memory read rate, {read_seconds / sec:.2f} of the same rounds' "
                  f"read ({sec * 1e3:.2f} ms per call)")
            result[f"int{bits}_{name}_weights_per_s"] = rate
            result[f"int{bits}_{name}_ratio_to_memory_read"] = gbs / read_rate
            result[f"int{bits}_{name}_ratio_to_interleaved_read"] = read_seconds / sec
            if reference is not None and name.startswith("native"):
                # max |error| / max |output| against the float64 product of the dequantized weights
                error = (calls[name]().double() - reference).abs().max().item() / reference.abs().max().item()
                print(f"int{bits} {name:>15}: max |error| / max |output| = {error:.2e}")
                result[f"int{bits}_{name}_relative_error"] = error
        if native_ok and NATIVE_GEMV.dequantize_available():
            _time_dequantizers(bits, stored, scale, args.in_features, args.rounds, result)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
