"""Batched ÷ one-by-one generation throughput of the BianQue backends, with greedy outputs compared.

Two sizes, both through the real backends (``generate`` vs ``generate_batch``):

- tiny: the demo checkpoints (T5 d_model 128, native ChatGLM; built offline on first use);
- mid: randomly initialised models of a mid size, with the demo tokenizers: T5 d_model 512 / 4+4
  layers and native ChatGLM hidden 512 / 4 layers. Random weights rarely emit an end token, so every
  row runs to ``max_new_tokens``: a uniform, reproducible workload.

Workload: ``--n`` gold histories (doctor positions of workbench/data/demo_dialogues.jsonl, of varying
length, so batches are padded), greedy decoding, ``--max-new-tokens`` each. A size's speedup is the
summed one-by-one time of its two backends over their summed batched time, measured in the same run
(best of ``--reps``). ``outputs_equal`` says whether every batched reply equalled its one-by-one reply.

    python bench/batch_throughput.py [--n 16] [--batch-size 16] [--max-new-tokens 32] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from workbench.config import parse_config  # noqa: E402
from workbench.datasets import parse_dataset  # noqa: E402
from workbench.dialogue import Dialogue  # noqa: E402
from workbench.models.registry import ModelPool, build_backends  # noqa: E402

CORPUS = REPO / "workbench" / "data" / "demo_dialogues.jsonl"
TOKENIZER_FILES_SKIP = ("config.json", "model.safetensors", "pytorch_model.bin", "demo_stamp.json")


def histories(n: int) -> list[Dialogue]:
    """``n`` gold histories ending in a patient turn, spread over dialogues and turn depths."""
    out: list[Dialogue] = []
    for k, d in enumerate(parse_dataset(CORPUS).dialogues):
        turns = d.turns
        idx = [i for i in range(1, len(turns)) if turns[i].role == "doctor" and turns[i - 1].role == "patient"]
        if idx:
            i = idx[k % len(idx)]  # vary the depth from one dialogue to the next
            out.append(Dialogue(tuple(turns[:i])))
        if len(out) == n:
            break
    return out


def _copy_tokenizer(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.is_file() and f.name not in TOKENIZER_FILES_SKIP and not f.suffix == ".safetensors":
            shutil.copy2(f, dst / f.name)


def build_mid(demo_v1: Path, demo_v2: Path, root: Path) -> tuple[Path, Path]:
    """Random mid-size T5 and ChatGLM checkpoints that reuse the demo tokenizers."""
    from transformers import T5Config, T5ForConditionalGeneration

    from workbench.chatglm import ChatGLMConfig, ChatGLMForConditionalGeneration

    torch.manual_seed(0)
    t5_dir, glm_dir = root / "t5-mid", root / "glm-mid"
    base = T5Config.from_pretrained(demo_v1)
    cfg = T5Config(**{**base.to_dict(), "d_model": 512, "d_ff": 2048, "d_kv": 64, "num_heads": 8,
                      "num_layers": 4, "num_decoder_layers": 4})
    T5ForConditionalGeneration(cfg).save_pretrained(t5_dir)
    _copy_tokenizer(demo_v1, t5_dir)
    gcfg = ChatGLMConfig.from_pretrained(demo_v2)
    gcfg = ChatGLMConfig.from_dict({**gcfg.to_dict(), "hidden_size": 512, "num_layers": 4,
                                    "num_attention_heads": 8, "inner_hidden_size": 2048})
    ChatGLMForConditionalGeneration(gcfg).save_pretrained(glm_dir)
    _copy_tokenizer(demo_v2, glm_dir)
    return t5_dir, glm_dir


def backends(v1: Path, v2: Path, max_new: int, cache: Path) -> dict:
    cfg = parse_config({
        "database_url": "sqlite:///:memory:",
        "columns": [
            {"name": "v1", "backend": "bianque-v1", "model": {"path": str(v1), "device": "cpu", "dtype": "float32"},
             "generation": {"do_sample": False, "max_new_tokens": max_new, "no_repeat_ngram_size": 3}},
            {"name": "v2", "backend": "bianque-v2", "model": {"path": str(v2), "device": "cpu", "dtype": "float32"},
             "generation": {"do_sample": False, "max_new_tokens": max_new}},
        ],
    })
    out = build_backends(cfg, ModelPool(cache))
    for b in out.values():
        b.check_ready()
    return out


def measure(backend, dialogues: list[Dialogue], batch_size: int, reps: int) -> dict:
    """Best-of-``reps`` seconds one by one and batched, and whether the replies are equal."""
    backend.generate_batch(dialogues[:2])  # warm-up: first calls allocate and pick kernels
    single_t, batch_t = [], []
    single = batched = None
    for _ in range(reps):
        t0 = time.perf_counter()
        single = [backend.generate(d)[0] for d in dialogues]
        single_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        batched = []
        for i in range(0, len(dialogues), batch_size):
            batched += [t for t, _ in backend.generate_batch(dialogues[i : i + batch_size])]
        batch_t.append(time.perf_counter() - t0)
    return {"single_s": min(single_t), "batched_s": min(batch_t), "equal": single == batched,
            "speedup": min(single_t) / min(batch_t)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=16, help="dialogues per measurement")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    ap.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    from workbench.demo import DEMO_CACHE_DEFAULT, ensure_demo_models

    demo = ensure_demo_models(DEMO_CACHE_DEFAULT, progress=lambda m: print(m, file=sys.stderr))
    dialogues = histories(args.n)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp:
        root = Path(tmp)
        mid = build_mid(demo.v1_path, demo.v2_path, root)
        for size, (p1, p2) in (("tiny", (demo.v1_path, demo.v2_path)), ("mid", mid)):
            per = {name: measure(b, dialogues, args.batch_size, args.reps)
                   for name, b in backends(p1, p2, args.max_new_tokens, root / "cache").items()}
            single = sum(r["single_s"] for r in per.values())
            batched = sum(r["batched_s"] for r in per.values())
            results[size] = {"speedup": single / batched, "equal": all(r["equal"] for r in per.values()),
                             "backends": per}
            for name, r in per.items():
                print(f"{size:4} {name}: one-by-one {r['single_s']:.2f}s, batched {r['batched_s']:.2f}s "
                      f"-> x{r['speedup']:.2f}, outputs equal: {r['equal']}")
            print(f"{size:4} both: x{single / batched:.2f}")
    print(f"{args.n} dialogues, batch size {args.batch_size}, {args.max_new_tokens} new tokens max, greedy, "
          f"{torch.get_num_threads()} torch threads")
    summary = {"batch_speedup": {k: round(v["speedup"], 2) for k, v in results.items()},
               "outputs_equal": all(v["equal"] for v in results.values())}
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
