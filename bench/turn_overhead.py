"""Workbench turn overhead: the whole path (prompt, streaming, store writes) vs raw generate.

The same turn goes through every column twice: once as the UI does it
(plan, per-call RNG, streaming, generation row written before and after),
and once as bare ``generate`` calls on the same models with the same seed.
Also: peak resident memory of a process running all three columns ÷ one
that only loads the v1 and v2 models (each measured in its own subprocess).

    python bench/turn_overhead.py [--config configs/demo.yaml] [--reps 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from workbench.config import load_config  # noqa: E402
from workbench.dialogue import Dialogue  # noqa: E402
from workbench.prompts import GREETING  # noqa: E402

TURN = Dialogue.of([
    ("patient", "你好！"), ("doctor", GREETING), ("patient", "我最近经常失眠"), ("doctor", "失眠多久了？"),
    ("patient", "两周了，上床几小时才睡得着"),
])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw_call(backend, input_text: str, seed: int | None) -> int:
    """Bare generate on the loaded model, same input, same settings, same seed; returns new tokens."""
    import torch

    from workbench.chatglm.generation import generate
    from workbench.sampling import make_generator

    if backend.kind == "bianque-v1":
        m = backend._model.get()
        enc = m.tokenizer(input_text, return_tensors="pt")
        g = backend.gen
        torch.manual_seed(seed or 0)
        out = m.model.generate(**enc, do_sample=g.do_sample, top_p=g.top_p, temperature=g.temperature,
                               no_repeat_ngram_size=g.no_repeat_ngram_size, max_new_tokens=g.max_new_tokens)
        return int(out.shape[1]) - 1
    m = backend._model.get()
    g = backend.gen
    ids = m.tokenizer(input_text, return_tensors="pt")["input_ids"]
    kw = {"max_new_tokens": g.max_new_tokens} if g.max_new_tokens else {"max_length": g.max_length}
    out = generate(m.model, ids, do_sample=g.do_sample, top_p=g.top_p, temperature=g.temperature,
                           generator=make_generator(seed), **kw)
    return int(out.shape[1] - ids.shape[1])


def measure(config_path: str, reps: int) -> dict:
    from workbench.generation import Job
    from workbench.services import build_services

    cfg = load_config(config_path)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = cfg.model_copy(update={"database_url": f"sqlite:///{tmp}/bench.db"})
        os.environ.pop("WORKBENCH_DB_URL", None)
        svc = build_services(cfg)
        svc.warm_up()
        with svc.store.session() as s:
            from workbench.store.dialogues import create_dialogue

            did = create_dialogue(s, TURN.turns).id
        wb_times: list[float] = []
        raw_times: list[float] = []
        ttft: dict[str, list[float]] = {c: [] for c in svc.columns}
        for rep in range(reps + 1):  # the first repetition warms caches and is not counted
            t_wb = 0.0
            plans = {}
            for col, backend in svc.backends.items():
                seed = 1000 + rep
                updates = []
                t0 = time.perf_counter()
                gid = svc.generations.run_job(Job(col, backend, TURN, seed), did, len(TURN), updates.append)
                t_wb += time.perf_counter() - t0
                with svc.store.session() as s:
                    from workbench.store.schema import Generation

                    g = s.get(Generation, gid)
                    plans[col] = (g.route, g.input_text, g.ttft_ms, (g.params.get("hybrid") or {}))
                if rep:
                    ttft[col].append(plans[col][2])
            t_raw = 0.0
            for col, backend in svc.backends.items():
                route, input_text, _, hybrid = plans[col]
                seed = 1000 + rep
                t0 = time.perf_counter()
                if backend.kind == "hybrid":
                    # The hybrid's raw work: v1, then v2 only if v1's reply was rejected.
                    raw_call(backend.v1, hybrid.get("v1_input") or input_text, seed) if hybrid else None
                    if route == "v2":
                        raw_call(backend.v2, input_text, seed)
                    elif not hybrid:
                        raw_call(backend.v1, input_text, seed)
                else:
                    raw_call(backend, input_text, seed)
                t_raw += time.perf_counter() - t0
            if rep:
                wb_times.append(t_wb)
                raw_times.append(t_raw)
        svc.close()
    return {
        "turn_overhead_ratio": statistics.median(wb_times) / statistics.median(raw_times),
        "workbench_s": statistics.median(wb_times),
        "raw_generate_s": statistics.median(raw_times),
        "ttft_ms": {c: statistics.median(v) for c, v in ttft.items()},
    }


def _memory_child(mode: str, config_path: str) -> None:
    cfg = load_config(config_path)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = cfg.model_copy(update={"database_url": f"sqlite:///{tmp}/mem.db"})
        from workbench.services import build_services

        svc = build_services(cfg)
        if mode == "models-only":
            for b in svc.backends.values():
                if b.kind in ("bianque-v1", "bianque-v2"):
                    b.check_ready()
        else:
            from workbench.generation import Job

            svc.warm_up()
            with svc.store.session() as s:
                from workbench.store.dialogues import create_dialogue

                did = create_dialogue(s, TURN.turns).id
            for _ in svc.generations.run_many([Job(c, b, TURN, 1) for c, b in svc.backends.items()],
                                              {c: (did, len(TURN)) for c in svc.backends}):
                pass
        print(json.dumps({"peak_rss_mb": peak_rss_mb()}))


def memory_ratio(config_path: str) -> dict:
    def run(mode: str) -> float:
        out = subprocess.run([sys.executable, __file__, "--memory-child", mode, "--config", config_path],
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_mb"]

    alone, three = run("models-only"), run("three-columns")
    return {"memory_ratio_3col": three / alone, "peak_rss_mb_3col": three, "peak_rss_mb_models_only": alone}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", default=str(ROOT / "configs" / "demo.yaml"))
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--memory-child", choices=["models-only", "three-columns"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.memory_child:
        _memory_child(args.memory_child, args.config)
        return
    import torch

    torch.set_num_threads(2)
    res = measure(args.config, args.reps)
    res.update(memory_ratio(args.config))
    print(f"turn through the workbench: {res['workbench_s'] * 1000:.1f} ms; raw generate: "
          f"{res['raw_generate_s'] * 1000:.1f} ms; ratio {res['turn_overhead_ratio']:.3f} (goal <= 1.05)")
    for col, v in res["ttft_ms"].items():
        print(f"  time to first token, {col}: {v:.1f} ms")
    print(f"peak RSS, three columns: {res['peak_rss_mb_3col']:.0f} MB; v1+v2 loaded alone: "
          f"{res['peak_rss_mb_models_only']:.0f} MB; ratio {res['memory_ratio_3col']:.3f} (goal <= 1.05)")
    if args.json:
        print(json.dumps(res))


if __name__ == "__main__":
    main()
