"""bench/chatglm_decode.py as it runs on a CPU with AVX2 and FMA but no native bf16 (a Zen 3, most laptops), on a
machine that has AVX-512: for measuring the AVX2 paths where no such CPU is at hand.

    python bench/as_avx2.py --quantization-bit 4 --prompts 64,256 --json          # the fused fp32 products
    python bench/as_avx2.py --blocks --quantization-bit 4 --prompts 64,256 --json # fp32 blocks for torch's GEMM

Three things change, nothing else:
- The C library is built for x86-64-v3 (AVX2, FMA, F16C, BMI2; tuned for Zen 3), so none of its AVX-512 code,
  the bf16 products among it, exists: a compiler wrapper appends ``-march=x86-64-v3 -mtune=znver3`` to the
  library's flags (``$CC``), and the library and the machine choices go to their own cache directory.
- Prompt passes take fp32 products, as ``cpu_gemm`` picks them where torch's bf16 GEMM is the slow one.
- The prefill limit is the fp32 GEMM rate (the bf16 probe is not taken): on such a CPU fp32 is the faster one.
torch itself still runs the host's kernels (its fp32 GEMM may use AVX-512, at the same FLOPs per cycle on a Zen
4), and the caches and memory are the host's, so the figures approximate an AVX2 CPU of this one's clock.
``--blocks`` keeps the fused products out (the path before them), for a baseline in the same conditions.
All other arguments, and the JSON keys, are chatglm_decode.py's.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch

BENCH = Path(__file__).resolve().parent / "chatglm_decode.py"
MARCH = "-march=x86-64-v3 -mtune=znver3"


def _compiler_wrapper(folder: Path) -> str:
    """A ``$CC`` that builds with the real compiler and the AVX2 target last (the last -march wins)."""
    real = os.environ.get("CC") or "gcc"
    path = folder / "cc-avx2"
    path.write_text(f'#!/bin/sh\nif [ "$1" = --version ]; then exec {real} --version; fi\nexec {real} "$@" {MARCH}\n')
    path.chmod(0o755)
    return str(path)


def main(argv: list[str]) -> int:
    blocks = "--blocks" in argv
    argv = [a for a in argv if a != "--blocks"]
    folder = Path(tempfile.mkdtemp(prefix="as-avx2-"))
    os.environ["CC"] = _compiler_wrapper(folder)
    cache = os.environ.get("WORKBENCH_CACHE_DIR")
    os.environ["WORKBENCH_CACHE_DIR"] = str(Path(cache) / "as-avx2" if cache else folder / "cache")

    spec = importlib.util.spec_from_file_location("chatglm_decode", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from workbench.chatglm import cpu_gemm, native_prompt
    from workbench.chatglm import quantization as q

    fp32 = cpu_gemm.linear_gflops(torch.float32)
    cpu_gemm.GEMM_RATES._rates = {torch.float32: fp32, torch.bfloat16: fp32 / 3}
    if blocks:
        q._FUSED_PROMPT_CHOICE.update({(b, dt): False for b in (8, 4) for dt in (torch.float32, torch.bfloat16)})
        native_prompt.BF16_UPCAST_CHOICE._chosen = False

    def take_fp32(probes: Any) -> None:
        rate = cpu_gemm.linear_gflops(torch.float32, out_features=probes._inner, in_features=probes._hidden)
        probes.gemm.setdefault("float32", []).append(rate)
        probes.reads.append(bench.memory_read_gb_per_s())

    bench.MachineProbes.take = take_fp32
    print(f"as on an AVX2 CPU: library built with {MARCH}, fp32 prompt products, "
          f"{'fp32 blocks for torch' if blocks else 'fused fp32 products where chosen'}")
    return bench.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
