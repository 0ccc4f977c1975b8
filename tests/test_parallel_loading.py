"""Columns loading at once (the first message after ``launch.py --no-warm-up``) all load: transformers 5 is not
thread safe while it loads (its lazy names, ``from_pretrained``), and the pool remembers a failed load, so two
T5 columns could leave one broken ("cannot import name 'T5Tokenizer'", "checkpoint is missing 3 tensors")
until a restart. Each round runs in a fresh interpreter: only there are transformers' names still unresolved."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, sys, threading
from pathlib import Path
from workbench.config import V1Column
from workbench.dialogue import Dialogue
from workbench.models.base import Trace
from workbench.models.registry import ModelPool, build_backend

paths = json.loads(sys.argv[1])
pool = ModelPool(Path(sys.argv[2]))
backends = [build_backend(V1Column(name=f"T5-{i}", backend="bianque-v1", greeting=None,
                                   model={"path": p, "device": "cpu"},
                                   generation={"do_sample": False, "max_new_tokens": 8}), pool, {})
            for i, p in enumerate(paths)]
barrier = threading.Barrier(len(backends))
errors, replies = [], []
dialogue = Dialogue.of([("patient", "我咳嗽三天了")])

def first_message(backend):
    barrier.wait()  # every column's first use at the same moment, as a chat's threads do
    try:
        replies.append(list(backend.stream(dialogue, Trace(), seed=1))[-1])
    except Exception as e:
        errors.append(f"{backend.name}: {e}")

threads = [threading.Thread(target=first_message, args=(b,)) for b in backends]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"errors": errors, "replies": len(replies)}))
"""


def test_t5_columns_loading_at_once_all_load(demo_models, tmp_path):
    # Separate folders: each column loads its own tokenizer and weights, as different checkpoints do.
    paths = [str(shutil.copytree(demo_models.v1_path, tmp_path / f"t5-{i}")) for i in range(4)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(paths), str(tmp_path / "cache")], cwd=REPO,
                              env=env, capture_output=True, text=True, timeout=300, check=True)
        got = json.loads(done.stdout.strip().splitlines()[-1])
        assert got == {"errors": [], "replies": 4}
