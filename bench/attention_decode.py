"""A decode step's attention at BianQue-2's head shape (32 heads of 128, one query token) over a bf16 KV
cache: torch's two batched products (``native_attention.reference_attend_decode``, what the model ran
before) against the C routine (``wb_attend_decode``), both on this process's thread count.

    OMP_WAIT_POLICY=PASSIVE python bench/attention_decode.py          # as python -m workbench runs
    python bench/attention_decode.py --json                           # ... and one JSON object last

Keys and values are views of a 2048-position cache, as the model passes them. Between two calls a
4096 x 4096 fp32 matrix-vector product runs, as a layer's products run between its attentions (so OpenMP's
threads have gone back to waiting, as they do in a real step). Times are medians of interleaved rounds;
``speedup`` is torch's time over the C routine's, measured in the same run. ``max_ulps`` and
``equal_fraction`` compare the two outputs (16-bit ulps of the output element).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workbench.chatglm.native_attention import NATIVE_ATTENTION, reference_attend_decode  # noqa: E402

HEADS, HEAD_DIM, CAPACITY = 32, 128, 2048


def _ulps(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Distance in 16-bit steps between two bf16 tensors of finite values (sign-magnitude order)."""
    def ordered(t: torch.Tensor) -> torch.Tensor:
        i = t.view(torch.int16).to(torch.int32)
        return torch.where(i < 0, -(i & 0x7FFF), i)
    return (ordered(a) - ordered(b)).abs()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lengths", default="65,257,1025", help="comma-separated cache lengths T")
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if not NATIVE_ATTENTION.available():
        print(f"native decode attention not available: {NATIVE_ATTENTION.reason}")
        return 1
    gen = torch.Generator().manual_seed(0)
    keys = torch.randn(1, HEADS, CAPACITY, HEAD_DIM, generator=gen).to(torch.bfloat16)
    values = torch.randn(1, HEADS, CAPACITY, HEAD_DIM, generator=gen).to(torch.bfloat16)
    q = torch.randn(1, 1, HEADS, 2 * HEAD_DIM, generator=gen).to(torch.bfloat16)[..., :HEAD_DIM].transpose(1, 2)
    layer = torch.randn(4096, 4096, generator=gen)
    vector = torch.randn(4096, generator=gen)
    divisor, coeff = 128 ** 0.5 * 14, 14.0
    per_length: dict[str, dict[str, float]] = {}
    result: dict[str, object] = {"threads": args.threads, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
                                 "lengths": per_length}
    with torch.inference_mode():
        for length in (int(x) for x in args.lengths.split(",")):
            k, v = keys[:, :, :length], values[:, :, :length]
            paths = {
                "torch": lambda k=k, v=v: reference_attend_decode(q, k, v, None, divisor, coeff, -10000.0),
                "native": lambda k=k, v=v: NATIVE_ATTENTION.attend(q, k, v, None, divisor, coeff, -10000.0),
            }
            times: dict[str, list[float]] = {name: [] for name in paths}
            for _ in range(args.rounds):
                for name, fn in paths.items():
                    torch.mv(layer, vector)
                    t0 = time.perf_counter()
                    fn()
                    times[name].append(time.perf_counter() - t0)
            ms = {name: statistics.median(ts) * 1e3 for name, ts in times.items()}
            ref, got = paths["torch"](), paths["native"]()
            assert ref is not None and got is not None
            ulps = _ulps(got.contiguous(), ref.contiguous())
            entry: dict[str, float] = {"torch_ms": ms["torch"], "native_ms": ms["native"], "speedup": ms["torch"] / ms["native"],
                     "max_ulps": int(ulps.max()), "equal_fraction": float((ulps == 0).float().mean())}
            per_length[str(length)] = entry
            print(f"T {length:5d}: torch {ms['torch']:.3f} ms, native {ms['native']:.3f} ms "
                  f"({entry['speedup']:.1f}x); outputs equal {entry['equal_fraction']:.1%}, "
                  f"max {entry['max_ulps']} ulp")
    load = os.getloadavg()
    result["load_average"] = list(load)
    print("load average: " + ", ".join(f"{x:.2f}" for x in load))
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
