"""The export is the same bytes whatever Python's string hashing seed (PYTHONHASHSEED): the pair order of
DPO and the row order of every format must not follow the iteration order of a set of text ids.

Candidates with text generation ids (a caller's own candidates; store ids are integers), several
annotators' votes and rankings per turn so that each turn yields several DPO pairs, exported to every
format in two subprocesses with different seeds; every file must be byte-identical (the cards' creation
time aside).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from workbench.dialogue import Turn
from workbench.export import WRITERS, ExportCandidate, PreferenceOutcome, RatingInfo, export_all

ROOT = Path(__file__).resolve().parents[1]
ANNOTATORS = ("ann-a", "ann-b", "ann-c", "ann-d")
T0 = datetime(2025, 3, 1, 9, 0)


def world(seed: int = 5) -> tuple[list[ExportCandidate], list[PreferenceOutcome]]:
    """Dialogues of 3 doctor turns x 5 columns with text ids; every turn is voted on and ranked."""
    rng = random.Random(seed)
    cands: list[ExportCandidate] = []
    prefs: list[PreferenceOutcome] = []
    for d in range(12):
        history: list[Turn] = []
        for k in range(3):
            history.append(Turn("patient", f"医生您好，我头痛{rng.randint(1, 9)}天了，第{k + 1}次问诊。"))
            hist = tuple(history)
            ids = [f"d{d}-t{k}-{col}" for col in ("alpha", "beta", "gamma", "delta", "eps")]
            votes = {g: ([], []) for g in ids}
            for a in rng.sample(ANNOTATORS, rng.randint(2, 4)):
                order = ids[:]
                rng.shuffle(order)
                prefs.append(PreferenceOutcome(a, d, 2 * k + 1, [[g] for g in order], T0))
                votes[order[0]][0].append(a)
                for g in order[1:]:
                    votes[g][1].append(a)
            for j, g in enumerate(ids):
                ratings = [RatingInfo(a, float(rng.randint(1, 5)), float(rng.randint(1, 5)),
                                      rng.choice(["question", "suggestion"]), False, None,
                                      "请问还有别的症状吗？" if rng.random() < 0.1 else None,
                                      T0 + timedelta(minutes=len(cands)))
                           for a in rng.sample(ANNOTATORS, rng.randint(1, 3))]
                cands.append(ExportCandidate(g, d, "set", 2 * k + 1, hist, g.rsplit("-", 1)[1], f"model-{j}",
                                             f"回复{d}-{k}-{j}：头痛多久了？", "question", ratings, 0.5,
                                             votes[g][0], votes[g][1], T0 + timedelta(minutes=len(cands))))
            history.append(Turn("doctor", f"请问第{k + 1}轮还有什么不舒服？"))
    return cands, prefs


def write_exports(out: Path) -> None:
    """Every format twice: preferences from the candidates' votes, and from explicit rankings."""
    cands, prefs = world()
    export_all(cands, list(WRITERS), out / "votes")
    export_all(cands, list(WRITERS), out / "rankings", preferences=prefs)


def _files(root: Path) -> dict[str, bytes]:
    created = re.compile(rb"^- Created: .*$", re.MULTILINE)
    return {str(p.relative_to(root)): created.sub(b"- Created: -", p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_file()}


def _export_in_subprocess(out: Path, seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, __file__, str(out)], cwd=ROOT, env=env, check=True, timeout=600)
    return _files(out)


def test_export_bytes_do_not_depend_on_the_hash_seed(tmp_path):
    first = _export_in_subprocess(tmp_path / "a", "1")
    second = _export_in_subprocess(tmp_path / "b", "2024")
    assert any(name.endswith("dpo/train.jsonl") for name in first)
    dpo = first["votes/dpo/train.jsonl"].count(b"\n")
    assert dpo > 2 * 12 * 3  # several pairs per turn: their order is what could follow the seed
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert not differing, differing


if __name__ == "__main__":
    write_exports(Path(sys.argv[1]))
