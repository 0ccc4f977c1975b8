"""Throughput of a batch run over an OpenAI-compatible column: 16 requests in flight vs one at a time.

A local OpenAI-compatible server (``bench/latency_openai.py``) adds a fixed latency per request (200 ms
by default) and streams ``--tokens`` tokens. The same batch of ``--n`` replies (one per dialogue of a
dataset in a temporary SQLite store) runs through ``run_batch`` twice, with ``max_concurrency`` 1 and 16;
tokens/s = completion tokens stored ÷ wall time of the run. The speedup is the ratio, measured in the
same run (the goal is >= 10).

    python bench/openai_concurrency.py [--n 200] [--latency-ms 200] [--tokens 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from workbench.batch import run_batch  # noqa: E402
from workbench.config import parse_config  # noqa: E402
from workbench.services import build_services  # noqa: E402
from workbench.store.schema import Dataset, Dialogue, Generation, Turn  # noqa: E402

LEVELS = (1, 16)


def _dataset(svc, n: int) -> None:
    with svc.store.session() as s:
        ds = Dataset(name="bench", format="bench")
        s.add(ds)
        s.flush()
        s.add_all([
            Dialogue(source="dataset", dataset_id=ds.id, external_id=str(i), turns=[
                Turn(idx=0, role="patient", text=f"我咳嗽{i % 9 + 1}天了，怎么办？"),
                Turn(idx=1, role="doctor", text="咳嗽有痰吗？", is_reference=True),
            ]) for i in range(n)
        ])


@contextmanager
def latency_server(latency_ms: float, tokens: int) -> Iterator[str]:
    """The latency server in its own process, so that its threads do not share the client's GIL."""
    proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "latency_openai.py"), "--latency-ms",
                             str(latency_ms), "--tokens", str(tokens)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(n: int, latency_ms: float, tokens: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, latency_server(latency_ms, tokens) as base_url:
        cols = [{"name": f"c{k}", "backend": "openai-compatible", "base_url": base_url, "model_name": "bench",
                 "max_concurrency": k, "timeout_s": 60} for k in LEVELS]
        cfg = parse_config({"database_url": f"sqlite:///{tmp}/bench.db", "columns": cols,
                            "annotation": {"users_file": None}}, "<bench>")
        svc = build_services(cfg)
        _dataset(svc, n)
        out: dict = {"concurrency": {}, "wall_s": {}}
        for k in LEVELS:
            t0 = time.perf_counter()
            summary = run_batch(svc, "bench", [f"c{k}"], "all")
            wall = time.perf_counter() - t0
            with svc.store.session() as s:
                toks = s.scalar(select(func.sum(Generation.output_tokens)).where(Generation.column_name == f"c{k}",
                                                                                 Generation.status == "ok"))
            assert summary.generated == n and summary.errors == 0, summary.describe()
            out["concurrency"][str(k)] = round(toks / wall, 1)
            out["wall_s"][str(k)] = round(wall, 2)
        svc.close()
    out["speedup_16_vs_1"] = round(out["concurrency"]["16"] / out["concurrency"]["1"], 2)
    out.update(n=n, latency_ms=latency_ms, tokens_per_reply=tokens)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=200, help="replies per run")
    p.add_argument("--latency-ms", type=float, default=200)
    p.add_argument("--tokens", type=int, default=20, help="tokens per reply")
    p.add_argument("--json", action="store_true", help="last line: one JSON object")
    args = p.parse_args()
    res = run(args.n, args.latency_ms, args.tokens)
    for k in LEVELS:
        print(f"max_concurrency {k:>2}: {res['concurrency'][str(k)]:8.1f} tokens/s  wall {res['wall_s'][str(k)]:6.2f} s"
              )
    print(f"speedup 16 vs 1: {res['speedup_16_vs_1']:.2f}x (goal >= 10)")
    if args.json:
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
