"""A failed CPU allocation is reported as running out of memory, like CUDA's torch.OutOfMemoryError: torch's CPU
allocator raises a plain RuntimeError ("[enforce fail at alloc_cpu.cpp:...] DefaultCPUAllocator: can't allocate
memory"), which the backends passed on raw. Each failure here is a real allocation far beyond any machine's
memory, refused at once by the allocator (nothing is touched)."""

from __future__ import annotations

import pytest
import torch

from tests.column_runs import run_column
from workbench.devices import is_out_of_memory
from workbench.dialogue import Dialogue


def test_a_failed_cpu_allocation_is_out_of_memory():
    with pytest.raises(RuntimeError) as caught:
        torch.empty(2**50, dtype=torch.uint8)
    assert not isinstance(caught.value, torch.OutOfMemoryError)
    assert is_out_of_memory(caught.value)
    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("DefaultCPUAllocator: can't allocate memory"))


def _run(services, column, dialogue: Dialogue):
    from workbench.store.schema import Generation

    finals = run_column(services, column, dialogue)
    with services.store.session() as s:
        row = s.query(Generation).filter_by(column_name=column.name).one()
        return finals, (row.status, row.output, row.error)


def test_bianque_v1_out_of_cpu_memory_is_stored_as_out_of_memory(services, demo_models):
    """A prompt of 300,000 tokens (a column allowed that many): T5's relative positions alone would take 720 GB."""
    from workbench.config import V1Column

    column = V1Column(name="HugeV1", backend="bianque-v1", model={"path": str(demo_models.v1_path), "device": "cpu"},
                      generation={"max_input_tokens": 1_000_000})
    dialogue = Dialogue.of([("patient", "你好"), ("doctor", "请问有什么可以帮您？"), ("patient", "头疼，" * 100_000)])
    finals, row = _run(services, column, dialogue)
    assert [(u.status, u.error) for u in finals] == [("error", "HugeV1: out of memory while generating")]
    assert row == ("error", "", "HugeV1: out of memory while generating")


def test_bianque_v2_out_of_cpu_memory_is_stored_as_out_of_memory(services, demo_models):
    """2**40 new tokens: the native ChatGLM's token buffer alone would take 8 TB."""
    from workbench.config import V2Column

    column = V2Column(name="HugeV2", backend="bianque-v2", model={"path": str(demo_models.v2_path), "device": "cpu"},
                      generation={"max_new_tokens": 2**40})
    dialogue = Dialogue.of([("patient", "你好"), ("doctor", "请问有什么可以帮您？"), ("patient", "我最近经常失眠")])
    finals, row = _run(services, column, dialogue)
    assert [(u.status, u.error) for u in finals] == [("error", "HugeV2: out of memory while generating")]
    assert row == ("error", "", "HugeV2: out of memory while generating")


class _AllocatesTooMuch:
    """A forward hook on a real decoder block that, after ``n`` steps, allocates a buffer no machine has: Python
    refuses it at once with its own MemoryError, which is no RuntimeError."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def __call__(self, _module, _inputs, _output) -> None:
        self.calls += 1
        if self.calls > self.n:
            bytearray(1 << 62)


@pytest.mark.parametrize("path", ["stream", "batch"])
def test_python_memory_error_mid_generation_is_stored_as_out_of_memory(services, demo_models, path):
    """A column whose generation hits Python's MemoryError said only "MemoryError: " (its message is empty)."""
    from workbench.batch import _generate
    from workbench.config import V1Column

    column = V1Column(name="TightV1", backend="bianque-v1", model={"path": str(demo_models.v1_path), "device": "cpu"},
                      generation={"do_sample": False, "max_new_tokens": 20})
    dialogue = Dialogue.of([("patient", "你好"), ("doctor", "请问有什么可以帮您？"), ("patient", "我咳嗽三天了")])
    t5 = services.pool.model("bianque-v1", column.model).get().model
    hook = _AllocatesTooMuch(2)
    handle = t5.decoder.block[0].register_forward_hook(hook)
    try:
        if path == "stream":
            finals, row = _run(services, column, dialogue)
            got = [(u.status, u.error) for u in finals]
        else:
            from workbench.models.registry import build_backend

            backend = build_backend(column, services.pool, {})
            results = _generate(backend, [type("P", (), {"history": dialogue})()] * 2, seed=1)
            got = [("error" if r.error else "ok", r.error) for r in results]
    finally:
        handle.remove()
    assert hook.calls > 2  # the allocation really failed, mid-generation
    # A batch that fails is retried one by one: each reply's own error is the batch of 1's.
    expected = "TightV1: out of memory while generating" + ("" if path == "stream" else " a batch of 1")
    assert got == [("error", expected)] * len(got)
    if path == "stream":
        assert row[0] == "error" and row[2] == expected
