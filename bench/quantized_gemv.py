"""Raw speed of one decode-shaped quantized product (one activation row by a [4096, 16384] layer): the
compiled kernel (workbench/chatglm/native_gemv.c) and torch's fused kernel, against a plain memory read.

    python bench/quantized_gemv.py            # int8 and int4, 2 threads
    python bench/quantized_gemv.py --json     # ... and one JSON object as the last line

Weights/s = weights / the median call time (interleaved rounds). The weights are read from memory every
call (64 MB int8, 32 MB int4: larger than the caches), so bytes/s against ``memory_read_gb_per_s`` (a
plain read of a 256 MB tensor, same run) says how close a kernel is to the memory limit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.chatglm_decode import memory_read_gb_per_s  # noqa: E402
from workbench.chatglm import quantization as q  # noqa: E402
from workbench.chatglm.machine_choice import median_seconds  # noqa: E402
from workbench.chatglm.native_gemv import NATIVE_GEMV  # noqa: E402


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
        calls = {}
        if native_ok:
            calls["native"] = lambda s=stored, sc=scale, b=bits: NATIVE_GEMV.linear(x, s, sc, None, b)
        if act is not None:
            w, s = kernel.kernel_operands(stored, scale, act)
            calls[f"torch-{str(act).removeprefix('torch.')}"] = kernel._timed_call(x.to(act), w, s)
        with torch.inference_mode():
            seconds = median_seconds(calls, rounds=args.rounds)
        bytes_per_weight = 1.0 if bits == 8 else 0.5
        for name, sec in seconds.items():
            rate = weights / sec
            gbs = rate * bytes_per_weight / 1e9
            print(f"int{bits} {name:>15}: {rate / 1e9:6.1f} G weights/s = {gbs:5.1f} GB/s, "
                  f"{gbs / read_rate:.2f} of the memory read rate ({sec * 1e3:.2f} ms per call)")
            result[f"int{bits}_{name}_weights_per_s"] = rate
            result[f"int{bits}_{name}_ratio_to_memory_read"] = gbs / read_rate
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
