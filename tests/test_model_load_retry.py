"""A failed model load is remembered for a while, then tried again: fixing the path (or freeing memory) takes
effect on a later message without restarting the workbench. Before, the pool kept the first failure until a
restart."""

from __future__ import annotations

import shutil
import time

import pytest

from tests.column_runs import run_column
from workbench.dialogue import Dialogue
from workbench.errors import ModelLoadError
from workbench.models import resources
from workbench.models.resources import RETRY_FAILED_LOAD_AFTER_S, LazyResource


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_failure_is_answered_from_memory_then_retried():
    clock, calls = _Clock(), []

    def load() -> str:
        calls.append(clock.now)
        if len(calls) < 3:
            raise OSError(f"attempt {len(calls)} failed")
        return "model"

    resource = LazyResource("model X", load, clock=clock)
    with pytest.raises(ModelLoadError, match="model X: OSError: attempt 1 failed"):
        resource.get()
    clock.now += RETRY_FAILED_LOAD_AFTER_S / 2
    with pytest.raises(ModelLoadError, match="attempt 1 failed"):  # remembered: no second load yet
        resource.get()
    assert len(calls) == 1
    clock.now += RETRY_FAILED_LOAD_AFTER_S
    with pytest.raises(ModelLoadError, match="attempt 2 failed"):  # tried again, failed again
        resource.get()
    clock.now += RETRY_FAILED_LOAD_AFTER_S / 2
    with pytest.raises(ModelLoadError, match="attempt 2 failed"):  # the window starts at the newest failure
        resource.get()
    clock.now += RETRY_FAILED_LOAD_AFTER_S
    assert resource.get() == "model" and resource.error is None and resource.loaded
    assert resource.get() == "model" and len(calls) == 3  # loaded once, kept


def _reply(services, column, dialogue: Dialogue):
    return [(u.status, u.error) for u in run_column(services, column, dialogue)]


def test_a_column_whose_model_appears_later_answers_without_a_restart(services, demo_models, tmp_path, monkeypatch):
    from workbench.config import V1Column

    window = 5.0  # long enough that the second message surely comes within it, even on a slow machine
    monkeypatch.setattr(resources, "RETRY_FAILED_LOAD_AFTER_S", window)
    folder = tmp_path / "BianQue-1.0"
    column = V1Column(name="Later", backend="bianque-v1", greeting=None,
                      model={"path": str(folder), "device": "cpu"},
                      generation={"do_sample": False, "max_new_tokens": 8})
    dialogue = Dialogue.of([("patient", "我咳嗽三天了")])
    assert _reply(services, column, dialogue) == [("error", f"model path not found: {folder}")]
    failed_at = time.monotonic()
    shutil.copytree(demo_models.v1_path, folder)  # the download finishes
    assert _reply(services, column, dialogue) == [("error", f"model path not found: {folder}")]
    time.sleep(max(0.0, failed_at + window - time.monotonic()) + 0.1)
    assert _reply(services, column, dialogue) == [("ok", None)]


def test_a_remembered_failure_holds_nothing_the_loader_had_loaded(monkeypatch):
    """The remembered error is a copy without the traceback: the original's frames held the loader's locals, so
    a model that ran out of memory halfway kept what it had loaded, on the GPU too, as long as it was kept."""
    import gc
    import logging
    import weakref

    import torch

    loaded: list[weakref.ref] = []

    def load():
        partial = torch.empty(1024)  # stands for the layers read before the failure
        loaded.append(weakref.ref(partial))
        raise MemoryError("out of memory halfway")

    def first_use() -> str:
        try:
            resource.get()
        except ModelLoadError as e:  # handled, as the generation service does: only the message is kept
            return str(e)
        return "loaded"

    # Log records keep their exc_info in pytest's capture: the failure's log line is not what is tested here.
    monkeypatch.setattr(logging.getLogger(resources.__name__), "disabled", True)
    resource = LazyResource("model Y", load)
    assert first_use() == "model Y: MemoryError: out of memory halfway"
    gc.collect()
    assert loaded[0]() is None
    with pytest.raises(ModelLoadError, match="out of memory halfway") as again:
        resource.get()
    assert again.value.__cause__ is None
