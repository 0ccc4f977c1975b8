"""Decode speed of the native ChatGLM on a random-weight model, against the bare matrix-vector limit.

    python bench/chatglm_decode.py                 # hidden 1024, 16 heads, 4 layers, inner 4096, fp32, 2 threads
    python bench/chatglm_decode.py --json          # ... and one JSON object as the last line
    python bench/chatglm_decode.py --full          # BianQue-2's real size (hidden 4096, 28 layers, bf16)
    python bench/chatglm_decode.py --full --checkpoint-dir /tmp/glm   # also save fp16 shards and time loading
    python bench/chatglm_decode.py --checkpoint-dir /tmp/glm --quantization-bit 4   # ... load a pre-quantized copy
    python bench/chatglm_decode.py --full --checkpoint-dir /tmp/glm --reuse-checkpoint --quantization-bit 8
                                                   # ... from the shards an earlier run saved (no rebuild)
    python bench/chatglm_decode.py --quantization-bit 4 --quantize-embeddings   # ... the tied table int8 too

Decode tokens/s leaves out the prompt pass: (new - 1) / (time of the last token - time of the first token).
The matvec limit is the time of plain ``torch.mv`` over every weight one decode step reads (all Linear
layers and the lm_head, the model's own tensors), measured in the same run.

Prompt pass: ``prefill_tokens_per_s`` per prompt length, against ``prefill_limit_tokens_per_s``, the rate if
every block Linear ran at this machine's best GEMM rate (the faster of fp32 and bf16 ``F.linear`` on a
64-row input by an [inner, hidden] weight, measured in the same run; attention and the one-row lm_head
are left out). The GEMM rates and the memory read are probed before the timed runs and again before each
prompt length's runs, and the limits take the best probe of the run: one probe taken in a slow moment
otherwise moved every ratio of the run (fp32 probes of 34-113 GFLOP/s within two minutes on a quiet 2-core
Zen 3). ``gemm_probes_gflops`` and ``memory_read_probes_gb_per_s`` list every probe. For every model:
``weight_bytes_per_token`` (every byte one decode step reads: the block
weights, quantized with their scales or not, biases, the lm_head), with ``--quantization-bit``
``decode_kernel`` (what decode steps run:
"native", "torch-<activation dtype>" or "dequantize"), ``decode_step`` (how a one-sequence step runs:
"native-step", the whole step in one C call, or "forward", the model's torch forward), ``memory_read_gb_per_s`` (a plain read of a
256 MB tensor, same run) and ``bandwidth_limit_tokens_per_s``, their quotient; beside them
``kv_cache_read_bytes_per_token`` per prompt length (what a step reads from the KV cache half-way through
the generated tokens, not counted in the limit) and ``decode_ratio_to_bandwidth_limit_with_kv``; likewise
``prompt_attention_flops`` per prompt length (attention's products over the positions each row sees, not counted
in the prefill limit), ``prefill_limit_with_attention_tokens_per_s`` (the limit with them at the same best rate)
and ``prefill_ratio_to_limit_with_attention``.
With ``--torch-attention-baseline`` each prompt is timed again with the decode steps' attention in torch's
batched products (the path before ``native_attention``'s C routine), same model and run:
``decode_tokens_per_s_torch_attention`` and ``decode_speedup_over_torch_attention``.
``prompt_pass`` per prompt length: "native" where the whole pass ran in one C call (``native_step``: a
quantized fp32 model, one sequence, a pass short enough that attention weighs little), else "forward"; with
``--forward-prompt-baseline`` those passes are timed again through the model's forward, same model and run:
``prefill_s_forward`` and ``prefill_speedup_over_forward``.
``torch_ops_calling_thread_max_elements``: the widest prompt pass (elements of its largest tensor) whose torch
ops run on the calling thread here (``torch_threads``, measured once per machine); with
``--torch-threads-baseline`` each prompt pass is timed again with torch's ops on its own threads, same model
and run: ``prefill_s_torch_threads`` and ``prefill_speedup_over_torch_threads``.
``model_mb`` and ``rss_mb``: the model's tensors as held and this process's resident memory once the model is
ready (quantized, or loaded from the checkpoint); with ``--checkpoint-dir`` the child's load figures are in
``load``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workbench.chatglm import (  # noqa: E402
    ChatGLMConfig,
    ChatGLMForConditionalGeneration,
    native_attention,
    native_step,
    torch_threads,
)
from workbench.chatglm.cpu_gemm import best_seconds, linear_gflops  # noqa: E402
from workbench.chatglm.loading import current_rss_bytes, peak_rss_bytes, release_free_heap  # noqa: E402
from workbench.chatglm.modeling import BlockLinear, build_position_ids_and_mask  # noqa: E402
from workbench.chatglm.quantization import _KERNELS, QuantizedLinear  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "fixtures" / "chatglm6b" / "perf_reference_mid.json"
_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def build_random_model(config: ChatGLMConfig, dtype: torch.dtype, seed: int,
                       device: str = "cpu") -> ChatGLMForConditionalGeneration:
    """Random weights created directly in ``dtype`` on ``device`` (no fp32 copy, no copy on another device):
    variance-preserving Linear init."""
    with torch.device("meta"):
        model = ChatGLMForConditionalGeneration(config)
    gen = torch.Generator(device=device).manual_seed(seed)
    model.lm_head.weight = None  # type: ignore[assignment]
    for module in model.modules():
        for name, param in list(module._parameters.items()):
            if param is None:
                continue
            t = torch.empty(param.shape, dtype=dtype, device=device)
            if "norm" in type(module).__name__.lower():
                t.fill_(1.0 if name == "weight" else 0.0)
            elif param.dim() == 2:
                t.normal_(0.0, 0.02 if isinstance(module, torch.nn.Embedding) else param.shape[1] ** -0.5,
                          generator=gen)
            else:
                t.normal_(0.0, 0.02, generator=gen)
            module._parameters[name] = torch.nn.Parameter(t, requires_grad=False)
    model.tie_weights()
    return model.eval()


def matvec_limit(model: ChatGLMForConditionalGeneration, reps: int) -> float:
    """Tokens/s of bare torch.mv over every weight matrix one decode step reads."""
    weights = [
        m.weight for m in model.modules() if isinstance(m, torch.nn.Linear) and m.weight.dim() == 2
    ]
    vectors = {w.shape[1]: torch.randn(w.shape[1], dtype=w.dtype) for w in weights}
    with torch.inference_mode():
        for _ in range(2):
            for w in weights:
                torch.mv(w, vectors[w.shape[1]])
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for w in weights:
                torch.mv(w, vectors[w.shape[1]])
            times.append(time.perf_counter() - t0)
    return 1.0 / statistics.median(times)


class MachineProbes:
    """The 64-row GEMM rates (fp32 and bf16 ``F.linear`` by an [inner, hidden] weight) and the memory read,
    probed at several moments of a run; the limits take the best probe."""

    def __init__(self, model: ChatGLMForConditionalGeneration, hidden: int, inner: int) -> None:
        self._hidden, self._inner = hidden, inner
        # A prompt pass's FLOPs per token in the block Linears (attention and the one-row lm_head left out).
        self.flops_per_token = 2 * sum(
            m.in_features * m.out_features for m in model.modules() if isinstance(m, (BlockLinear, QuantizedLinear))
        )
        self.gemm: dict[str, list[float]] = {}
        self.reads: list[float] = []

    def take(self) -> None:
        for dt in (torch.float32, torch.bfloat16):
            rate = linear_gflops(dt, out_features=self._inner, in_features=self._hidden)
            self.gemm.setdefault(str(dt).removeprefix("torch."), []).append(rate)
        self.reads.append(memory_read_gb_per_s())

    def gemm_rates(self) -> dict[str, float]:
        return {name: max(rates) for name, rates in self.gemm.items()}

    def prefill_limit(self) -> float:
        """Tokens/s of a prompt pass whose block Linears all run at the best GEMM rate probed."""
        return max(self.gemm_rates().values()) * 1e9 / self.flops_per_token

    def read_rate(self) -> float:
        return max(self.reads)


def memory_read_gb_per_s(reps: int = 5) -> float:
    """GB/s of a plain read (sum) of a 256 MB tensor."""
    big = torch.ones(64 * 2**20, dtype=torch.float32)
    seconds = best_seconds(lambda: big.sum(), reps)
    return big.numel() * 4 / seconds / 1e9


def decode_weight_bytes(model: ChatGLMForConditionalGeneration) -> int:
    """Bytes one decode step reads from weights: every Linear's tensors (quantized weight, the scales in
    the form the kernel takes, bias) and the lm_head; LayerNorms and the one embedding row are negligible."""
    total = 0
    for m in model.modules():
        if isinstance(m, QuantizedLinear):
            total += m.weight.numel() * m.weight.element_size()
            cached = m._kernel_scale
            scale = cached[2] if cached is not None else m.weight_scale
            total += scale.numel() * scale.element_size()
            if m.bias is not None:
                total += m.bias.numel() * m.bias.element_size()
        elif isinstance(m, torch.nn.Linear):
            for t in (m.weight, m.bias):
                if t is not None:
                    total += t.numel() * t.element_size()
    return total


def prompt_attention_flops(model: ChatGLMForConditionalGeneration, prompt_len: int) -> int:
    """FLOPs of a prompt pass's attention products (scores and weighted sums, every layer) over the positions
    each row of the bench's prompt may see: left out of the prefill limit, which counts the Linears only."""
    c = model.config
    mask = prompt_mask(model, prompt_len)
    seen = int((~mask).sum()) if mask is not None else prompt_len * prompt_len
    return 2 * 2 * c.num_layers * c.hidden_size * seen


def kv_cache_read_bytes(model: ChatGLMForConditionalGeneration, context: int) -> int:
    """Bytes one decode step reads from the KV cache at ``context`` positions (keys and values of every
    layer, batch 1): left out of ``weight_bytes_per_token``, so reported beside it."""
    c = model.config
    return 2 * c.num_layers * c.num_attention_heads * c.head_dim * context * model.dtype.itemsize


def run_generation(model: ChatGLMForConditionalGeneration, prompt_len: int, new_tokens: int, seed: int) -> dict:
    cfg = model.config
    gen = torch.Generator().manual_seed(seed + prompt_len)
    ids = torch.randint(6, min(cfg.mask_token_id, cfg.vocab_size) - 1, (1, prompt_len), generator=gen)
    ids[0, -2], ids[0, -1] = cfg.gmask_token_id, cfg.bos_token_id
    stamps: list[float] = []
    t0 = time.perf_counter()
    model.generate(
        ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
        on_token=lambda _t: stamps.append(time.perf_counter()),
    )
    end = stamps[-1]
    return {
        "prefill_s": stamps[0] - t0,
        "decode_tok_s": (len(stamps) - 1) / (end - stamps[0]) if len(stamps) > 1 else float("nan"),
        "e2e_tok_s": len(stamps) / (end - t0),
    }


def decode_step_path(model: ChatGLMForConditionalGeneration) -> str:
    """What a one-sequence decode step runs: "native-step" (the whole step in C) or "forward"."""
    with torch.inference_mode():
        return "native-step" if native_step.decoder_for(model, model.new_cache(1, 8)) is not None else "forward"


def prompt_mask(model: ChatGLMForConditionalGeneration, prompt_len: int) -> torch.Tensor | None:
    """The attention mask of a bench prompt of ``prompt_len`` tokens (ending [gMASK] <sop>, as run_generation's)."""
    cfg = model.config
    ids = torch.full((1, prompt_len), 6)
    ids[0, -2], ids[0, -1] = cfg.gmask_token_id, cfg.bos_token_id
    return build_position_ids_and_mask(ids, cfg)[1]


def prompt_pass_paths(model: ChatGLMForConditionalGeneration, prompts: list[int]) -> dict[str, str]:
    """What each prompt length's pass runs: "native" (the whole pass in one C call) or "forward"."""
    paths = {}
    with torch.inference_mode():
        for plen in prompts:
            decoder = native_step.decoder_for(model, model.new_cache(1, plen))
            applies = decoder is not None and decoder.prompt_context(plen, prompt_mask(model, plen)) is not None
            paths[str(plen)] = "native" if applies else "forward"
    return paths


def load_only(folder: str, dtype: str) -> None:
    """Child process: load a checkpoint and print its memory figures as JSON."""
    before = current_rss_bytes()
    t0 = time.perf_counter()
    model = ChatGLMForConditionalGeneration.from_pretrained(folder, dtype=dtype)
    seconds = time.perf_counter() - t0
    after = current_rss_bytes()
    # The tensors as held (an int4 weight in the kernel's layout), not state_dict(), which converts.
    tensors = {id(t): t for t in list(model.parameters()) + list(model.buffers())}
    size = sum(t.numel() * t.element_size() for t in tensors.values())
    growth = after.get("VmHWM", 0) - before.get("VmRSS", 0)
    print(json.dumps({
        # VmHWM, not ru_maxrss: the latter keeps the forked parent's peak (the bf16 model) across exec.
        "load_s": seconds, "model_mb": size / 2**20, "peak_rss_mb": after.get("VmHWM", 0) / 2**20,
        "rss_before_mb": before.get("VmRSS", 0) / 2**20, "rss_after_mb": after.get("VmRSS", 0) / 2**20,
        "rss_anon_after_mb": after.get("RssAnon", 0) / 2**20,
        "load_peak_growth_mb": growth / 2**20, "load_peak_growth_to_model": growth / size if size else None,
    }))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--inner", type=int, default=4096)
    parser.add_argument("--vocab", type=int, default=1536)
    parser.add_argument("--dtype", choices=[*sorted(_DTYPES), "auto"], default=None,
                        help="default float32; --full: bfloat16 for the random model, and a saved checkpoint loads "
                             "as the app's dtype 'auto' loads it (auto: that, also for the random model's float32)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prompts", default=None, help="comma-separated prompt lengths (default 64,256,1024)")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--reps", type=int, default=3, help="timed repetitions per prompt (median reported)")
    parser.add_argument("--quantization-bit", type=int, choices=(4, 8), default=None)
    parser.add_argument("--quantize-embeddings", action="store_true",
                        help="with --quantization-bit: the tied embedding / lm_head table int8 too")
    parser.add_argument("--full", action="store_true", help="hidden 4096, 32 heads, 28 layers, inner 16384, "
                        "vocab 130528, bfloat16")
    parser.add_argument("--checkpoint-dir", default=None, help="save fp16 shards there and time loading them")
    parser.add_argument("--reuse-checkpoint", action="store_true",
                        help="with --checkpoint-dir: load the fp16 shards an earlier run saved there (no random "
                        "model is built or saved), and the pre-quantized copy in --quantized-dir when it has one")
    parser.add_argument("--forward-prompt-baseline", action="store_true",
                        help="time each prompt pass again through the model's forward where it ran in one C call")
    parser.add_argument("--torch-threads-baseline", action="store_true",
                        help="time each prompt pass again with torch's ops on its own threads in every pass")
    parser.add_argument("--torch-attention-baseline", action="store_true",
                        help="also time decoding with the attention in torch's products (the path before the C "
                        "routine), same model and run")
    parser.add_argument("--quantized-dir", default=None,
                        help="with --checkpoint-dir and --quantization-bit: where the pre-quantized copy is written "
                        "(default: beside the checkpoint, <dir>-int<bits>[-qe])")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--load-only", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    if args.load_only:
        load_only(args.load_only, args.dtype or "auto")
        return 0
    if args.quantize_embeddings and not args.quantization_bit:
        parser.error("--quantize-embeddings needs --quantization-bit")
    # --full's saved checkpoint loads in the dtype asked for, else as the app loads it ("auto", see
    # workbench.chatglm.loading.auto_dtype: bfloat16, or float32 when quantized, a float table kept bfloat16).
    load_dtype = args.dtype or ("auto" if args.full else "float32")
    if args.dtype == "auto":
        args.dtype = None
    if args.full:
        args.hidden, args.heads, args.layers, args.inner, args.vocab = 4096, 32, 28, 16384, 130528
        args.dtype = args.dtype or "bfloat16"
        args.prompts = args.prompts or "64,256"
    dtype = _DTYPES[args.dtype or "float32"]
    if dtype == torch.float16:
        parser.error("float16 is not supported on CPU")
    prompts = [int(p) for p in (args.prompts or "64,256,1024").split(",")]
    big_vocab = args.vocab > 130000
    config = ChatGLMConfig(
        vocab_size=args.vocab, hidden_size=args.hidden, num_layers=args.layers,
        num_attention_heads=args.heads, inner_hidden_size=args.inner, max_sequence_length=2048,
        bos_token_id=130004 if big_vocab else 1160, eos_token_id=130005 if big_vocab else 1161,
        mask_token_id=130000 if big_vocab else 1156, gmask_token_id=130001 if big_vocab else 1157,
        pad_token_id=3,
    )

    reuse = bool(args.checkpoint_dir and args.reuse_checkpoint)
    if args.reuse_checkpoint and not (args.checkpoint_dir and (Path(args.checkpoint_dir) / "config.json").is_file()):
        parser.error("--reuse-checkpoint needs a --checkpoint-dir holding a saved checkpoint")
    if reuse:
        print(f"model: the fp16 checkpoint in {args.checkpoint_dir} (reused), {args.threads} threads")
    else:
        rss0 = current_rss_bytes().get("VmRSS", 0)
        t0 = time.perf_counter()
        model = build_random_model(config, dtype, args.seed)
        build_s = time.perf_counter() - t0
        model_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
        build_rss = current_rss_bytes().get("VmRSS", 0) - rss0
        print(f"model: hidden {args.hidden}, heads {args.heads}, layers {args.layers}, inner {args.inner}, "
              f"vocab {args.vocab}, {str(dtype).removeprefix('torch.')}, {args.threads} threads; "
              f"{model_bytes / 2**20:.0f} MB of weights, built in {build_s:.1f} s (+{build_rss / 2**20:.0f} MB RSS)")

    load_info = None
    if args.checkpoint_dir:
        folder = Path(args.checkpoint_dir)
        if not reuse:
            _save_fp16_shards(model, folder)
            del model
        if args.quantization_bit:
            # What a laptop loads: the pre-quantized copy written by `python -m workbench quantize`.
            from workbench.chatglm.prequantize import quantize_checkpoint

            suffix = "-qe" if args.quantize_embeddings else ""
            quantized = (Path(args.quantized_dir) if args.quantized_dir
                         else folder.with_name(f"{folder.name}-int{args.quantization_bit}{suffix}"))
            if not (reuse and (quantized / "config.json").is_file()):
                if quantized.exists():
                    shutil.rmtree(quantized)
                quantize_checkpoint(folder, args.quantization_bit, quantized,
                                    quantize_embeddings=args.quantize_embeddings)
            folder = quantized
        proc = subprocess.run(
            [sys.executable, __file__, "--load-only", str(folder), "--dtype", load_dtype,
             "--threads", str(args.threads)],
            capture_output=True, text=True, check=True,
        )
        load_info = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"load from {folder.name}: {load_info['load_s']:.1f} s, model {load_info['model_mb']:.0f} MB, "
              f"peak RSS {load_info['peak_rss_mb']:.0f} MB (child process, interpreter included), "
              f"peak growth while loading {load_info['load_peak_growth_mb']:.0f} MB")
        model = ChatGLMForConditionalGeneration.from_pretrained(folder, dtype=load_dtype)
        dtype = model.dtype
    if args.quantization_bit and not model.config.quantization_bit:
        model.quantize(args.quantization_bit, embeddings=args.quantize_embeddings)
    # The tensors as held (an int4 weight in the kernel's layout; the tied table once).
    held = {id(t): t for t in [*model.parameters(), *model.buffers()]}
    model_mb = sum(t.numel() * t.element_size() for t in held.values()) / 2**20
    release_free_heap()
    rss_mb = current_rss_bytes().get("VmRSS", 0) / 2**20
    print(f"model as held: {model_mb:.0f} MB; resident now: {rss_mb:.0f} MB")

    limit = None if args.quantization_bit else matvec_limit(model, reps=max(5, 3 * args.reps if not args.full else 3))
    if limit:
        print(f"matvec limit: {limit:.1f} tokens/s")
    # Warm-up: first calls allocate and pick kernels.
    run_generation(model, min(prompts), min(8, args.new_tokens), args.seed)

    step_path = decode_step_path(model)
    print(f"decode steps run: {step_path}")
    probes = MachineProbes(model, args.hidden, args.inner)
    probes.take()
    print(f"prefill limit: {probes.prefill_limit():.1f} tokens/s (64-row GEMM: "
          + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in probes.gemm_rates().items()) + ")")
    weight_bytes = decode_weight_bytes(model)
    decode_kernel = _KERNELS[args.quantization_bit].decode_kernel_name() if args.quantization_bit else None
    print(f"bandwidth limit: {probes.read_rate() * 1e9 / weight_bytes:.1f} tokens/s "
          f"({weight_bytes / 2**20:.0f} MB per token at {probes.read_rate():.1f} GB/s); decode kernel: {decode_kernel}")

    decode: dict[str, float] = {}
    e2e: dict[str, float] = {}
    prefill: dict[str, float] = {}
    for plen in prompts:
        probes.take()
        runs = [run_generation(model, plen, args.new_tokens, args.seed) for _ in range(args.reps)]
        decode[str(plen)] = statistics.median(r["decode_tok_s"] for r in runs)
        e2e[str(plen)] = statistics.median(r["e2e_tok_s"] for r in runs)
        prefill[str(plen)] = statistics.median(r["prefill_s"] for r in runs)
        print(f"prompt {plen:5d}: decode {decode[str(plen)]:7.2f} tok/s; end-to-end {e2e[str(plen)]:7.2f} tok/s; "
              f"prefill {prefill[str(plen)]:.3f} s = {plen / prefill[str(plen)]:.1f} tok/s")
    # Ratios against the best probe of the whole run, once every probe is in.
    limit_prefill, gemm_rates = probes.prefill_limit(), probes.gemm_rates()
    read_rate = probes.read_rate()
    # Every model gets the bandwidth limit (a bf16 model's decode no longer runs torch.mv's rate, the matvec
    # limit); the printed ratio stays against the matvec limit where there is one.
    bandwidth = {"weight_bytes_per_token": weight_bytes, "memory_read_gb_per_s": read_rate,
                 "bandwidth_limit_tokens_per_s": read_rate * 1e9 / weight_bytes}
    print(f"limits, best probe of the run: prefill {limit_prefill:.1f} tokens/s (64-row GEMM: "
          + ", ".join(f"{k} {v:.1f} GFLOP/s of probes " + "/".join(f"{r:.0f}" for r in probes.gemm[k])
                      for k, v in gemm_rates.items())
          + f"); bandwidth {bandwidth['bandwidth_limit_tokens_per_s']:.1f} tokens/s at {read_rate:.1f} GB/s "
          "(probes " + "/".join(f"{r:.1f}" for r in probes.reads) + ")")
    for plen in prompts:
        limit_tok = limit or bandwidth["bandwidth_limit_tokens_per_s"]
        ratio = f"{decode[str(plen)] / limit_tok:.2f} of the limit"
        if limit:
            ratio += f" ({decode[str(plen)] / bandwidth['bandwidth_limit_tokens_per_s']:.2f} of the bandwidth limit)"
        print(f"prompt {plen:5d}: decode {ratio}; prefill {plen / prefill[str(plen)] / limit_prefill:.2f} of the "
              "prefill limit")
    torch_attention: dict[str, float] = {}
    if args.torch_attention_baseline:
        # The same model and run with decode attention in torch's batched products (the path before the C
        # routine): the ratio is measured under the same load.
        with mock.patch.object(native_attention, "attend_decode", lambda *_args: None):
            for plen in prompts:
                runs = [run_generation(model, plen, args.new_tokens, args.seed) for _ in range(args.reps)]
                torch_attention[str(plen)] = statistics.median(r["decode_tok_s"] for r in runs)
                print(f"prompt {plen:5d}: decode with torch's attention products {torch_attention[str(plen)]:7.2f} "
                      f"tok/s; with the C attention {decode[str(plen)] / torch_attention[str(plen)]:.2f}x that")
    prompt_paths = prompt_pass_paths(model, prompts)
    print("prompt passes run: " + ", ".join(f"{p} tokens {path}" for p, path in prompt_paths.items()))
    forward_prefill: dict[str, float] = {}
    if args.forward_prompt_baseline and "native" in prompt_paths.values():
        # The same prompts through the model's forward (the path before whole C passes), same model and run.
        with mock.patch.object(native_step.NativeDecoder, "prompt", lambda *_args: None):
            for plen in (p for p in prompts if prompt_paths[str(p)] == "native"):
                runs = [run_generation(model, plen, args.new_tokens, args.seed) for _ in range(args.reps)]
                forward_prefill[str(plen)] = statistics.median(r["prefill_s"] for r in runs)
                print(f"prompt {plen:5d}: prefill through the forward {forward_prefill[str(plen)]:.3f} s; in one C "
                      f"call {forward_prefill[str(plen)] / prefill[str(plen)]:.2f}x as fast")
    calling_limit = torch_threads.LIMIT.get()
    print(f"prompt passes up to {calling_limit} elements wide run torch's ops on the calling thread")
    torch_threads_prefill: dict[str, float] = {}
    if args.torch_threads_baseline:
        # The same prompts with torch's ops on its own threads in every pass (the path before calling-thread
        # passes), timed in this run and under the same load.
        torch_threads.LIMIT.pin(0)
        try:
            for plen in prompts:
                runs = [run_generation(model, plen, args.new_tokens, args.seed) for _ in range(args.reps)]
                torch_threads_prefill[str(plen)] = statistics.median(r["prefill_s"] for r in runs)
                print(f"prompt {plen:5d}: prefill with torch's ops on its threads "
                      f"{torch_threads_prefill[str(plen)]:.3f} s; now {torch_threads_prefill[str(plen)] / prefill[str(plen)]:.2f}x "
                      "as fast")
        finally:
            torch_threads.LIMIT.pin(calling_limit)
    # The KV cache read grows with the context (taken at the middle of the generated tokens); the
    # limit above counts weights only, so this is how much of the gap the cache read explains.
    kv_bytes = {str(p): kv_cache_read_bytes(model, p + args.new_tokens // 2) for p in prompts}
    for p, kv in kv_bytes.items():
        with_kv = bandwidth["memory_read_gb_per_s"] * 1e9 / (bandwidth["weight_bytes_per_token"] + kv)
        print(f"prompt {int(p):5d}: KV cache read {kv / 2**20:.1f} MB per token "
              f"({kv / bandwidth['weight_bytes_per_token']:.0%} of the weights); limit with it "
              f"{with_kv:.1f} tokens/s, decode {decode[p] / with_kv:.2f} of that")
    # Likewise the prompt pass's attention grows with the square of the prompt, and the prefill limit counts
    # Linears only: this is the limit if attention's products ran at the same best rate too.
    attention_flops = {str(p): prompt_attention_flops(model, p) for p in prompts}
    attention_share = {k: f / (int(k) * probes.flops_per_token) for k, f in attention_flops.items()}
    limit_with_attention = {k: limit_prefill / (1 + share) for k, share in attention_share.items()}
    for p, f in attention_flops.items():
        print(f"prompt {int(p):5d}: attention {f / 1e9:.2f} GFLOP ({attention_share[p]:.0%} of the "
              f"Linears'); prefill limit with it {limit_with_attention[p]:.1f} tokens/s, prefill "
              f"{int(p) / prefill[p] / limit_with_attention[p]:.2f} of that")
    ratio_1024_64 = None
    if "1024" in decode and "64" in decode:
        ratio_1024_64 = decode["64"] / decode["1024"]
        print(f"per-token time at 1024 / at 64: {ratio_1024_64:.3f}")
    peak = peak_rss_bytes() / 2**20
    print(f"peak RSS: {peak:.0f} MB")
    # Ratios are measured in one run, but others' load still moves them: report it beside them.
    load_average = os.getloadavg()
    print("load average: " + ", ".join(f"{v:.2f}" for v in load_average))
    if REFERENCE.is_file() and not args.full and args.hidden == 1024 and args.layers == 4:
        ref = json.loads(REFERENCE.read_text())["runs"]
        print("original (perf_reference_mid.json, fp32, 2 threads): "
              + "; ".join(f"prompt {v['prompt_tokens']}: decode {v['decode_tok_s_median']:.1f} tok/s, "
                          f"e2e {v['e2e_tok_s_median']:.1f} tok/s" for v in ref.values()))
    if args.json:
        out = {
            "decode_tokens_per_s": decode,
            "end_to_end_tokens_per_s": e2e,
            "matvec_limit_tokens_per_s": limit,
            "per_token_ratio_1024_64": ratio_1024_64,
            "peak_rss_mb": peak,
            "model_mb": model_mb,
            "rss_mb": rss_mb,
            "prefill_s": prefill,
            "prefill_tokens_per_s": {k: int(k) / v for k, v in prefill.items()},
            "prefill_limit_tokens_per_s": limit_prefill,
            "prefill_ratio_to_limit": {k: int(k) / v / limit_prefill for k, v in prefill.items()},
            "gemm_64_rows_gflops": gemm_rates,
            "gemm_probes_gflops": probes.gemm,
            "memory_read_probes_gb_per_s": probes.reads,
            **bandwidth,
            "decode_kernel": decode_kernel,
            "decode_tokens_per_s_torch_attention": torch_attention or None,
            "decode_speedup_over_torch_attention": (
                {k: decode[k] / v for k, v in torch_attention.items()} if torch_attention else None
            ),
            "decode_step": step_path,
            "prompt_pass": prompt_paths,
            "prefill_s_forward": forward_prefill or None,
            "prefill_speedup_over_forward": (
                {k: v / prefill[k] for k, v in forward_prefill.items()} if forward_prefill else None
            ),
            "torch_ops_calling_thread_max_elements": calling_limit,
            "prefill_s_torch_threads": torch_threads_prefill or None,
            "prefill_speedup_over_torch_threads": (
                {k: v / prefill[k] for k, v in torch_threads_prefill.items()} if torch_threads_prefill else None
            ),
            "load_average": list(load_average),
            "decode_ratio_to_bandwidth_limit": {
                k: v / bandwidth["bandwidth_limit_tokens_per_s"] for k, v in decode.items()
            },
            "decode_ratio_to_limit": {k: v / limit for k, v in decode.items()} if limit else None,
            "prompt_attention_flops": attention_flops,
            "prefill_limit_with_attention_tokens_per_s": limit_with_attention,
            "prefill_ratio_to_limit_with_attention": {
                k: int(k) / v / limit_with_attention[k] for k, v in prefill.items()
            },
            "kv_cache_read_bytes_per_token": kv_bytes or None,
            "decode_ratio_to_bandwidth_limit_with_kv": {
                k: v * (bandwidth["weight_bytes_per_token"] + kv_bytes[k]) / bandwidth["memory_read_gb_per_s"] / 1e9
                for k, v in decode.items()
            },
            "config": {"hidden": args.hidden, "heads": args.heads, "layers": args.layers, "inner": args.inner,
                       "vocab": args.vocab, "dtype": str(dtype).removeprefix("torch."), "threads": args.threads,
                       "new_tokens": args.new_tokens, "reps": args.reps,
                       "quantization_bit": args.quantization_bit,
                       "quantize_embeddings": args.quantize_embeddings},
            "load": load_info,
        }
        print(json.dumps(out))
    return 0


def _save_fp16_shards(model: ChatGLMForConditionalGeneration, folder: Path) -> None:
    """Save like the real BianQue-2 checkpoint: float16 .bin shards with an index, one layer at a time."""
    from workbench.chatglm.loading import save_model

    # Converting layer by layer keeps the peak at one extra layer instead of a second full model.
    for param in model.parameters():
        param.data = param.data.half()
    save_model(model, folder, safe_serialization=False, max_shard_bytes=2 * 2**30)


if __name__ == "__main__":
    sys.exit(main())
