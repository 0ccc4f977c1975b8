"""``python -m workbench`` asks OpenMP for sleeping (passive) workers before torch loads it, unless the
user chose a policy: spinning workers made decode steps ~20x slower on a shared CPU (workbench/omp_policy.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workbench.omp_policy import WAIT_POLICY_ENV, prefer_passive_waiting

REPO = Path(__file__).resolve().parents[1]

_CHILD = (
    "import os, runpy, sys\n"
    "sys.argv = ['workbench', '--help']\n"
    "try:\n"
    "    runpy.run_module('workbench', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "print('POLICY', os.environ.get('OMP_WAIT_POLICY'))\n"
)


def _entry_point_policy(**env: str) -> str:
    import os

    child_env = {k: v for k, v in os.environ.items() if k != WAIT_POLICY_ENV} | env
    out = subprocess.run([sys.executable, "-c", _CHILD], cwd=REPO, env=child_env, capture_output=True,
                         text=True, check=True, timeout=300)
    return next(line.split()[1] for line in out.stdout.splitlines() if line.startswith("POLICY"))


def test_unset_policy_becomes_passive_and_a_chosen_one_is_kept() -> None:
    env: dict[str, str] = {}
    prefer_passive_waiting(env)  # (it returns False here: torch is already loaded in this test process)
    assert env == {WAIT_POLICY_ENV: "PASSIVE"}
    chosen = {WAIT_POLICY_ENV: "ACTIVE"}
    assert prefer_passive_waiting(chosen) is False and chosen == {WAIT_POLICY_ENV: "ACTIVE"}


def test_the_entry_point_sets_it_before_torch_is_loaded() -> None:
    # The policy module itself must not pull torch in, or the setting would come too late.
    probe = "import sys, workbench.omp_policy as p; print('torch' in sys.modules, p.prefer_passive_waiting())"
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"}, timeout=300)
    assert out.stdout.split() == ["False", "True"]
    assert _entry_point_policy() == "PASSIVE"
    assert _entry_point_policy(OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"
