"""Speed of the native ChatGLM on a CUDA GPU at BianQue-2's real size, against the GPU's own limits.

    python bench/cuda_decode.py                      # float16, int8, int4 at full size (hidden 4096, 28 layers)
    python bench/cuda_decode.py --bits 0 --json      # float16 only; one JSON object as the last line
    python bench/cuda_decode.py --layers 4           # a smaller model (same widths)

Random weights, created on the GPU (no CPU copy). For each precision (``--bits``: 0 = the model's dtype,
8 and 4 = the workbench's weight-only quantization, as ``quantization_bit`` in a config):

* ``decode_tokens_per_s``: greedy decode of ``--new-tokens`` after a ``--decode-prompt`` token prompt,
  (new - 1) / (time of the last token - time of the first), as the workbench decodes (steps replayed from a
  CUDA graph, ``cuda_graph.py``); ``decode_tokens_per_s_eager``, the same with ``WORKBENCH_CUDA_GRAPHS=0``
  (the eager forward, same run), and ``graph_speedup``; for int8 / int4, ``decode_tokens_per_s_dequantized``
  with ``WORKBENCH_CUDA_ONE_ROW=0`` (every product through the dequantized weight, same run) and
  ``one_row_speedup``;
* ``bandwidth_limit_tokens_per_s``: ``memory_read_gb_per_s`` (a plain read, ``sum``, of a 2 GiB tensor,
  measured in the same run) over ``weight_bytes_per_token`` (every byte one decode step reads from the
  weights as the model holds them: quantized integers and scales, biases, the lm_head); ``decode_ratio``;
* ``prefill_tokens_per_s`` per prompt length and ``prefill_limit_tokens_per_s``: the prompt pass if every
  block Linear ran at ``gemm_tflops`` (a float16 ``F.linear`` of a 256-row input by a [16384, 4096] weight,
  measured in the same run); ``prefill_ratio``;
* ``block_linear_gb_per_s``: layer 0's four Linears on one row of activations (the products a decode step
  makes, replayed from a CUDA graph as the step is), weight bytes over time, and ``block_linear_read_ratio`` of ``memory_read_gb_per_s``;
  ``block_linears_ms_per_token``, their time for every layer, against ``step_ms`` (1000 / decode tokens/s);
* ``gpu_mb``: the memory the model's tensors take.

Needs a CUDA device; it prints why and exits 2 without one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.chatglm_decode import build_random_model  # noqa: E402
from workbench.chatglm import ChatGLMConfig, ChatGLMForConditionalGeneration  # noqa: E402
from workbench.chatglm.generation import generate  # noqa: E402
from workbench.chatglm.modeling import BlockLinear  # noqa: E402
from workbench.chatglm.quantization import QuantizedLinear, quantize_model  # noqa: E402


def cuda_seconds(fn, reps: int) -> float:
    """Best of ``reps`` timed calls, after two warm-ups, by CUDA events."""
    for _ in range(2):
        fn()
    best = float("inf")
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        best = min(best, start.elapsed_time(end) / 1e3)
    return best


def memory_read_gb_per_s() -> float:
    big = torch.ones(2**30, dtype=torch.float16, device="cuda")  # 2 GiB, far beyond the 60 MB L2
    seconds = cuda_seconds(big.sum, 10)
    return 2**31 / seconds / 1e9


def gemm_tflops(hidden: int, inner: int, dtype: torch.dtype) -> float:
    x = torch.randn(256, hidden, dtype=dtype, device="cuda")
    w = torch.randn(inner, hidden, dtype=dtype, device="cuda")
    seconds = cuda_seconds(lambda: F.linear(x, w), 20)
    return 2 * 256 * hidden * inner / seconds / 1e12


def linear_bytes(m: torch.nn.Module) -> int:
    """The bytes a product with ``m`` reads from its weights (0 for a module that is no Linear)."""
    if isinstance(m, QuantizedLinear):
        tensors = [m.weight, m.weight_scale, m.bias]
    elif isinstance(m, torch.nn.Linear):
        tensors = [m.weight, m.bias]
    else:
        return 0
    return sum(t.numel() * t.element_size() for t in tensors if t is not None)


def weight_bytes_per_token(model: ChatGLMForConditionalGeneration) -> int:
    return sum(linear_bytes(m) for m in model.modules())


def block_linears_one_row(model: ChatGLMForConditionalGeneration) -> tuple[float, float]:
    """(GB/s, ms per token): layer 0's four Linears on one row of activations (a decode step's products, as
    the step replays them: from a CUDA graph, so no launch cost from Python counts), their bytes over their
    time; the ms are that time for every layer, so ``step_ms`` minus it is what the rest of a step costs."""
    layer = model.transformer.layers[0]
    linears = (layer.attention.query_key_value, layer.attention.dense, layer.mlp.dense_h_to_4h,
               layer.mlp.dense_4h_to_h)
    inputs = [torch.randn(1, 1, m.in_features, dtype=torch.float16, device="cuda") for m in linears]
    graph = torch.cuda.CUDAGraph()
    with torch.inference_mode():
        for m, x in zip(linears, inputs, strict=True):
            m(x)  # eagerly first: kernels load and check themselves outside the capture
        torch.cuda.synchronize()
        with torch.cuda.graph(graph):
            for m, x in zip(linears, inputs, strict=True):
                m(x)
    seconds = cuda_seconds(graph.replay, 20)
    total_bytes = sum(linear_bytes(m) for m in linears)
    return total_bytes / seconds / 1e9, seconds * 1e3 * len(model.transformer.layers)


def block_linear_flops_per_token(model: ChatGLMForConditionalGeneration) -> int:
    return 2 * sum(m.in_features * m.out_features for m in model.modules()
                   if isinstance(m, (BlockLinear, QuantizedLinear)))


def prompt_ids(config: ChatGLMConfig, length: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed + length)
    ids = torch.randint(6, config.mask_token_id - 1, (1, length), generator=gen)
    ids[0, -2], ids[0, -1] = config.gmask_token_id, config.bos_token_id
    return ids.cuda()


def decode_tokens_per_s(model, ids: torch.Tensor, new_tokens: int) -> float:
    stamps: list[float] = []
    generate(model, ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
             on_token=lambda _t: stamps.append(time.perf_counter()))
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def decode_with(model, config: ChatGLMConfig, args: argparse.Namespace, **env: str) -> float:
    """The best decode tokens/s of ``args.reps`` replies with the environment variables ``env`` set."""
    os.environ.update(env)
    try:
        return max(decode_tokens_per_s(model, prompt_ids(config, args.decode_prompt, args.seed), args.new_tokens)
                   for _ in range(args.reps))
    finally:
        for name in env:
            os.environ.pop(name)


def prefill_seconds(model, ids: torch.Tensor) -> float:
    with torch.inference_mode():
        return cuda_seconds(lambda: model(ids, use_cache=True), 3)


def measure(config: ChatGLMConfig, bits: int, args: argparse.Namespace, limits: dict) -> dict:
    model = build_random_model(config, torch.float16, args.seed, device="cuda")
    if bits:
        quantize_model(model, bits)
    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    gpu_mb = sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()]) / 2**20
    wbytes = weight_bytes_per_token(model)
    bandwidth_limit = limits["memory_read_gb_per_s"] * 1e9 / wbytes
    runs = [decode_tokens_per_s(model, prompt_ids(config, args.decode_prompt, args.seed), args.new_tokens)
            for _ in range(args.reps)]
    decode = max(runs)
    eager = decode_with(model, config, args, WORKBENCH_CUDA_GRAPHS="0")  # the same steps, eager: the baseline
    # Quantized: the same graphs with every product through the dequantized weight (no one-row kernel).
    dequantized = decode_with(model, config, args, WORKBENCH_CUDA_ONE_ROW="0") if bits else None
    linear_rate, linear_ms = block_linears_one_row(model)
    prefill_limit = limits["gemm_tflops"] * 1e12 / block_linear_flops_per_token(model)
    prefill = {n: n / prefill_seconds(model, prompt_ids(config, n, args.seed)) for n in args.prompts}
    del model
    torch.cuda.empty_cache()
    return {
        "quantization_bit": bits,
        "gpu_mb": round(gpu_mb, 1),
        "weight_bytes_per_token": wbytes,
        "bandwidth_limit_tokens_per_s": round(bandwidth_limit, 1),
        "decode_tokens_per_s": round(decode, 2),
        "decode_runs_tokens_per_s": [round(r, 2) for r in runs],
        "decode_ratio": round(decode / bandwidth_limit, 3),
        "decode_tokens_per_s_eager": round(eager, 2),
        "graph_speedup": round(decode / eager, 2),
        **({"decode_tokens_per_s_dequantized": round(dequantized, 2),
            "one_row_speedup": round(decode / dequantized, 2)} if dequantized else {}),
        "block_linear_gb_per_s": round(linear_rate, 1),
        "block_linear_read_ratio": round(linear_rate / limits["memory_read_gb_per_s"], 3),
        "block_linears_ms_per_token": round(linear_ms, 3),
        "step_ms": round(1e3 / decode, 3),
        "prefill_limit_tokens_per_s": round(prefill_limit, 1),
        "prefill_tokens_per_s": {str(n): round(v, 1) for n, v in prefill.items()},
        "prefill_ratio": {str(n): round(v / prefill_limit, 3) for n, v in prefill.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", type=int, default=28)
    parser.add_argument("--bits", default="0,8,4", help="comma-separated: 0 (float16), 8, 4")
    parser.add_argument("--prompts", default="64,256,1024", help="prompt lengths timed for the prompt pass")
    parser.add_argument("--decode-prompt", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("cuda_decode: no CUDA device here", file=sys.stderr)
        return 2
    args.prompts = [int(p) for p in args.prompts.split(",")]
    config = ChatGLMConfig(
        vocab_size=130528, hidden_size=4096, num_layers=args.layers, num_attention_heads=32,
        inner_hidden_size=16384, max_sequence_length=2048, bos_token_id=130004, eos_token_id=130005,
        mask_token_id=130000, gmask_token_id=130001, pad_token_id=3,
    )
    limits = {
        "memory_read_gb_per_s": round(memory_read_gb_per_s(), 1),
        "gemm_tflops": round(gemm_tflops(config.hidden_size, config.inner_hidden_size, torch.float16), 1),
    }
    result = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "layers": args.layers,
              **limits, "runs": []}
    for bits in (int(b) for b in args.bits.split(",")):
        row = measure(config, bits, args, limits)
        result["runs"].append(row)
        name = "float16" if not bits else f"int{bits}"
        print(f"{name}: decode {row['decode_tokens_per_s']} tok/s = {row['decode_ratio']} of the bandwidth limit "
              f"({row['graph_speedup']} x the eager forward's {row['decode_tokens_per_s_eager']}"
              + (f", {row['one_row_speedup']} x the dequantized products' {row['decode_tokens_per_s_dequantized']}"
                 if bits else "") + ") "
              f"{row['bandwidth_limit_tokens_per_s']} ({row['weight_bytes_per_token'] / 1e9:.2f} GB/token); "
              f"prompt pass {row['prefill_tokens_per_s']} tok/s = {row['prefill_ratio']} of "
              f"{row['prefill_limit_tokens_per_s']}; block Linears on one row {row['block_linear_gb_per_s']} GB/s "
              f"= {row['block_linear_read_ratio']} of a plain read, {row['block_linears_ms_per_token']} ms of a "
              f"{row['step_ms']} ms step", flush=True)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
