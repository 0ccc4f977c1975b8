"""ruff and mypy as tests, so the README's one test command also runs the static checks CI relies on.

mypy's settings (files, the pydantic plugin, what is excluded and why) live in pyproject.toml.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The suppressions that existed when mypy joined CI; a new one needs a reason good enough to raise this.
TYPE_IGNORE_BUDGET = 14


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff_is_clean() -> None:
    out = _run("ruff", "check", "workbench", "tests", "bench")
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.slow
def test_mypy_is_clean_on_workbench() -> None:
    out = _run("mypy")  # files and options from [tool.mypy] in pyproject.toml
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success" in out.stdout


def test_no_new_type_ignores() -> None:
    count = sum(
        len(re.findall(r"#\s*type:\s*ignore", path.read_text(encoding="utf-8")))
        for path in (ROOT / "workbench").rglob("*.py")
    )
    assert count <= TYPE_IGNORE_BUDGET, f"{count} '# type: ignore' in workbench/ (budget {TYPE_IGNORE_BUDGET})"


@pytest.mark.slow
def test_slow_marks_browser_load_and_crash_tests_and_the_plain_command_runs_them() -> None:
    import tomllib

    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "-m" not in options.get("addopts", "").split(), "the README's plain command must run every test"
    files = ["tests/test_crash.py", "tests/test_load.py", "tests/test_chat_browser.py", "tests/test_prompts.py"]
    out = _run("pytest", "--collect-only", "-q", "-m", "slow", *files)
    selected = {line.split("::")[0] for line in out.stdout.splitlines() if "::" in line}
    assert selected == set(files[:3]), out.stdout + out.stderr
