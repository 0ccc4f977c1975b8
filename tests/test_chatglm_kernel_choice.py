"""The fused CPU kernels' activation dtype is timed once per machine and saved: a new process reuses the
saved pick, a changed machine key (CPU, torch, threads, OpenMP's wait policy) or a corrupt file makes it measure again.
Correctness is still checked in every process (tests/test_chatglm_cpu_kernels.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.chatglm_kernels import break_bf16, use_native_decode
from workbench.chatglm import machine_choice
from workbench.chatglm import quantization as q

REPO = Path(__file__).resolve().parents[1]
NAME = q.activation_dtype_choice(8)
_CHILD = (
    "import json, torch\n"
    "torch.set_num_threads(2)\n"
    "from workbench.chatglm import quantization as q\n"
    "k = q._KERNELS[8]\n"
    "d = k.activation_dtype()\n"
    "print(json.dumps({'dtype': None if d is None else str(d).removeprefix('torch.'), 'source': k.choice_source}))\n"
)

needs_two_correct_dtypes = pytest.mark.skipif(
    q.cpu_kernel_dtype(8) is None or len(q._KERNELS[8]._correct_candidates()) < 2,
    reason="the int8 kernel is not correct in both bf16 and fp32 here: nothing to choose",
)


def _new_process(cache_dir: Path, **extra_env: str) -> dict:
    env = {**os.environ, machine_choice.CACHE_DIR_ENV: str(cache_dir), **extra_env}
    out = subprocess.run([sys.executable, "-c", _CHILD], cwd=REPO, env=env, capture_output=True, text=True,
                         check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _other(dtype: str) -> str:
    return "float32" if dtype == "bfloat16" else "bfloat16"


def _child_key() -> dict[str, str]:
    return machine_choice.machine_key(threads=2)


def _plant(path: Path, key: dict[str, str], value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    machine_choice.save_choice(NAME, key, value, {}, path)


@needs_two_correct_dtypes
def test_a_new_process_reuses_the_saved_choice(tmp_path: Path) -> None:
    first = _new_process(tmp_path)
    assert first["source"] == "measured"
    saved = json.loads((tmp_path / machine_choice.FILE_NAME).read_text())["choices"][NAME]
    assert saved["value"] == first["dtype"] and saved["key"] == _child_key()
    assert _new_process(tmp_path) == {"dtype": first["dtype"], "source": "saved"}
    # Really read from the file: a planted (correct) alternative is what the next process uses.
    _plant(tmp_path / machine_choice.FILE_NAME, _child_key(), _other(first["dtype"]))
    assert _new_process(tmp_path) == {"dtype": _other(first["dtype"]), "source": "saved"}


@needs_two_correct_dtypes
@pytest.mark.parametrize("changed", ["torch", "threads", "cpu", "cpu_flags", "omp_wait_policy"])
def test_a_changed_machine_key_measures_again(tmp_path: Path, changed: str) -> None:
    path = tmp_path / machine_choice.FILE_NAME
    stale = {**_child_key(), changed: "something else"}
    _plant(path, stale, "float32")
    got = _new_process(tmp_path)
    assert got["source"] == "measured"
    entry = json.loads(path.read_text())["choices"][NAME]
    assert entry["key"] == _child_key() and entry["value"] == got["dtype"]


@needs_two_correct_dtypes
def test_a_pick_timed_with_spinning_threads_is_not_reused_with_sleeping_ones(tmp_path: Path) -> None:
    """The app runs with ``OMP_WAIT_POLICY=PASSIVE``; a bench run without it must not decide for the app."""
    spinning = _new_process(tmp_path, OMP_WAIT_POLICY="ACTIVE")
    assert spinning["source"] == "measured"
    assert _new_process(tmp_path, OMP_WAIT_POLICY="active") == {**spinning, "source": "saved"}
    assert _new_process(tmp_path, OMP_WAIT_POLICY="PASSIVE")["source"] == "measured"
    entry = json.loads((tmp_path / machine_choice.FILE_NAME).read_text())["choices"][NAME]
    assert entry["key"]["omp_wait_policy"] == "PASSIVE"


@needs_two_correct_dtypes
@pytest.mark.parametrize("content", ["{not json", "", "[1, 2]", json.dumps({"format": 1, "choices": {NAME: 5}}),
                                     json.dumps({"format": 1, "choices": {NAME: {"key": {}, "value": 3}}})])
def test_a_corrupt_file_is_ignored_and_rewritten(tmp_path: Path, content: str) -> None:
    path = tmp_path / machine_choice.FILE_NAME
    path.write_text(content)
    got = _new_process(tmp_path)
    assert got["source"] == "measured" and got["dtype"] in ("bfloat16", "float32")
    assert machine_choice.load_choice(NAME, _child_key(), path) == got["dtype"]


def test_a_saved_choice_that_fails_the_correctness_check_is_not_used(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path))
    _plant(tmp_path / machine_choice.FILE_NAME, machine_choice.machine_key(), "bfloat16")
    kernel = q._CpuKernel(8)
    break_bf16(monkeypatch, kernel)
    assert kernel.activation_dtype() != torch.bfloat16


def test_an_unwritable_cache_directory_still_gives_a_choice(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(blocker / "cache"))
    value, source = machine_choice.choose_once_per_machine(
        "probe", {"a": lambda: None, "b": lambda: sum(range(20000))}, preferred=(), margin=1.0
    )
    assert (value, source) == ("a", "measured")


def test_pick_fastest_keeps_the_preferred_option_within_the_margin() -> None:
    assert machine_choice.pick_fastest({"bfloat16": 1.1, "float32": 1.0}, ("bfloat16",), 1.15) == "bfloat16"
    assert machine_choice.pick_fastest({"bfloat16": 1.2, "float32": 1.0}, ("bfloat16",), 1.15) == "float32"
    assert machine_choice.pick_fastest({"bfloat16": 3.0, "float32": 1.0}, (), 1.15) == "float32"


@pytest.mark.skipif(q.cpu_kernel_dtype(8) is None, reason="no fused int8 CPU kernel here")
def test_a_bf16_model_with_fp32_activations_rounds_the_scaled_rows_to_bf16(monkeypatch) -> None:
    # The row scales are applied at the model's precision: here the scales (bf16) are the narrower dtype,
    # so the kernel's fp32 output is rounded to bf16 before they are applied, as it always was.
    monkeypatch.setattr(q._KERNELS[8], "_dtype", torch.float32)
    use_native_decode(monkeypatch, False)
    torch.manual_seed(0)
    layer = q.QuantizedLinear.from_linear(torch.nn.Linear(128, 96).to(torch.bfloat16), 8)
    x = torch.randn(1, 1, 128, generator=torch.Generator().manual_seed(3)).to(torch.bfloat16)
    raw = torch._weight_int8pack_mm(x.reshape(1, 128).float(), layer.weight, torch.ones(96))
    expected = (raw.to(torch.bfloat16) * layer.weight_scale + layer.bias).view(1, 1, 96)
    got = layer(x)
    assert got.dtype == torch.bfloat16 and torch.equal(got, expected)
