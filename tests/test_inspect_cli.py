"""`python -m workbench inspect` prints, without generating, exactly what each column would send next."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO
from workbench.prompts import GREETING


def _inspect(tmp_path, turns, config="configs/demo.yaml") -> dict:
    path = tmp_path / "dialogue.json"
    path.write_text(json.dumps({"turns": turns}, ensure_ascii=False), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "workbench", "inspect", "--config", str(REPO / config),
                          "--dialogue", str(path)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _by_name(result: dict) -> dict:
    cols = result["columns"]
    assert all(set(c) >= {"name", "backend", "input", "route", "fallback", "reason"} for c in cols)
    return {c["name"]: c for c in cols}


def test_first_turn_is_the_greeting_everywhere(demo_models, tmp_path):
    cols = _by_name(_inspect(tmp_path, [{"role": "patient", "text": "你好"}]))
    assert [c["backend"] for c in cols.values()] == ["bianque-v1", "bianque-v2", "hybrid"]
    for c in cols.values():
        assert (c["input"], c["route"], c["fallback"]) == (None, "greeting", None)


def test_byte_exact_inputs_and_hybrid_route(demo_models, tmp_path):
    turns = [
        {"role": "patient", "text": "你好！"}, {"role": "doctor", "text": GREETING},
        {"role": "patient", "text": "我最近经常失眠\n晚上\t睡不着"},
    ]
    cols = _by_name(_inspect(tmp_path, turns))
    v1 = "病人：你好！\\n医生：" + GREETING + "\\n病人：我最近经常失眠\\n晚上\\t睡不着\\n医生："
    v2 = "病人：你好！\n医生：" + GREETING + "\n病人：我最近经常失眠\n晚上\t睡不着\n医生："
    assert cols["BianQue-1.0"]["input"] == v1 and cols["BianQue-1.0"]["route"] == "v1"
    assert cols["BianQue-2.0"]["input"] == v2 and cols["BianQue-2.0"]["route"] == "v2"
    hy = cols["Hybrid v1→v2"]
    assert (hy["input"], hy["route"], hy["fallback"]) == (v1, "v1", "v2")  # second turn: v1 asks first


@pytest.mark.parametrize("last_doctor,route,fallback", [("失眠多久了？", "v1", "v2"), ("注意休息，规律作息。", "v2", None)])
def test_hybrid_follows_the_last_doctor_turn(demo_models, tmp_path, last_doctor, route, fallback):
    turns = [{"role": "patient", "text": "你好"}, {"role": "doctor", "text": GREETING},
             {"role": "patient", "text": "失眠"}, {"role": "doctor", "text": last_doctor},
             {"role": "patient", "text": "两周了"}]
    hy = _by_name(_inspect(tmp_path, turns))["Hybrid v1→v2"]
    assert (hy["route"], hy["fallback"]) == (route, fallback)
    expected = "病人：你好\n医生：" + GREETING + "\n病人：失眠\n医生：" + last_doctor + "\n病人：两周了\n医生："
    assert hy["input"] == (expected.replace("\n", "\\n") if route == "v1" else expected)


def test_a_dialogue_that_does_not_end_with_the_patient_is_refused(demo_models, tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"turns": [{"role": "patient", "text": "a"}, {"role": "doctor", "text": "b"}]}))
    out = subprocess.run([sys.executable, "-m", "workbench", "inspect", "--config", str(REPO / "configs/demo.yaml"),
                          "--dialogue", str(path)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 2 and "patient" in out.stderr
