"""A small prompt pass runs torch's own ops on the calling thread and its products on all threads
(``torch_threads``): the count is the calling thread's alone (other threads, and torch's count after the
pass, are untouched, even after an error), torch's products and the C products inside get the caller's
count, the logits keep their bits, and the per-machine limit is measured once and honoured.
Speed is measured by bench/chatglm_decode.py."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch
from torch.overrides import TorchFunctionMode

from tests.chatglm_kernels import choose_fused_prompt, use_native_decode
from tests.chatglm_random import random_chatglm
from workbench.chatglm import ChatGLMConfig, cpu_gemm, machine_choice, native_prompt, torch_threads
from workbench.chatglm import quantization as q

THREADS = 2
needs_openmp = pytest.mark.skipif(torch_threads.OPENMP.lib() is None,
                                  reason=f"calling-thread mode off here: {torch_threads.OPENMP.unavailable_reason()}")

# Widest tensor 48 x 2048 = 96K elements: above torch's grain, within the calling-thread range.
SMALL = ChatGLMConfig(vocab_size=1536, hidden_size=512, num_layers=2, num_attention_heads=8, inner_hidden_size=2048,
                      bos_token_id=1160, eos_token_id=1161, mask_token_id=1156, gmask_token_id=1157)
TOKENS = 48


@pytest.fixture
def two_threads(monkeypatch):
    before = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    monkeypatch.setattr(torch_threads, "LIMIT", torch_threads._Limit())
    torch_threads.LIMIT.pin(torch_threads.PROBE_MAX_ELEMENTS)
    yield
    torch.set_num_threads(before)


def _ids(seed: int = 0) -> torch.Tensor:
    ids = torch.randint(6, 1150, (1, TOKENS), generator=torch.Generator().manual_seed(seed))
    ids[0, -2], ids[0, -1] = SMALL.gmask_token_id, SMALL.bos_token_id
    return ids


class _ThreadsSeen(TorchFunctionMode):
    """Records torch.get_num_threads() as each torch function is called (the real call then runs)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, set[int]] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", str(func))
        self.seen.setdefault(name, set()).add(torch.get_num_threads())
        return func(*args, **(kwargs or {}))


@needs_openmp
def test_the_count_is_the_calling_threads_alone_and_comes_back(two_threads) -> None:
    x = torch.zeros(1)
    inside_other: list[int] = []
    entered, checked = threading.Event(), threading.Event()

    def other() -> None:
        entered.wait(10)
        inside_other.append(torch.get_num_threads())
        checked.set()

    worker = threading.Thread(target=other)
    worker.start()
    with torch.inference_mode(), torch_threads.small_pass_on_calling_thread(x, 100_000) as on:
        assert on
        assert torch.get_num_threads() == 1
        assert torch_threads.product_threads() == THREADS
        with torch_threads.products_on_all_threads():
            assert torch.get_num_threads() == THREADS
        assert torch.get_num_threads() == 1
        entered.set()
        assert checked.wait(10)
    worker.join()
    assert inside_other == [THREADS], "another thread's count changed"
    assert torch.get_num_threads() == THREADS
    assert torch_threads.product_threads() == THREADS
    with pytest.raises(ZeroDivisionError), torch.inference_mode():
        with torch_threads.small_pass_on_calling_thread(x, 100_000) as on:
            assert on and torch.get_num_threads() == 1
            1 / 0  # noqa: B018
    assert torch.get_num_threads() == THREADS


@needs_openmp
@pytest.mark.parametrize(("case", "widest", "limit"), [
    ("grad", 100_000, 2**20), ("over the limit", 2**21, 2**20), ("over the probed range", 2**23, 2**23),
    ("one thread measured faster nowhere", 1000, 0),
])
def test_it_applies_only_where_it_was_measured_to_help(two_threads, case: str, widest: int, limit: int) -> None:
    torch_threads.LIMIT.pin(limit)
    x = torch.zeros(1)
    with torch.set_grad_enabled(case == "grad"):
        with torch_threads.small_pass_on_calling_thread(x, widest) as on:
            assert not on
            assert torch.get_num_threads() == THREADS
    torch_threads.LIMIT.pin(2**20)
    # Narrower than the probe's smallest width: its verdict holds (LayerNorm splits even a few rows).
    with torch.inference_mode(), torch_threads.small_pass_on_calling_thread(x, 1000) as on:
        assert on
    with torch.inference_mode(), torch_threads.small_pass_on_calling_thread(x, 100_000) as on:
        assert on
        with torch_threads.small_pass_on_calling_thread(x, 100_000) as nested:
            assert not nested  # the outer scope keeps the caller's count
        assert torch_threads.product_threads() == THREADS


@needs_openmp
def test_one_thread_keeps_torchs_threads(monkeypatch) -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        limit = torch_threads._Limit()
        assert limit.get() == 0
    finally:
        torch.set_num_threads(before)


@needs_openmp
@pytest.mark.parametrize(("bits", "fused"), [(0, False), (8, False), (4, False), (8, True), (4, True)])
def test_a_small_pass_runs_its_ops_on_the_calling_thread_and_its_products_on_all(two_threads, bits: int,
                                                                               fused: bool, monkeypatch) -> None:
    if fused:
        if not native_prompt.NATIVE_PROMPT_GEMM.available():
            pytest.skip(f"no fused prompt product here: {native_prompt.NATIVE_PROMPT_GEMM.reason}")
        # Bf16 prompt GEMMs, the dequantized path over torch's kernel, and the C product over the blocks.
        monkeypatch.setattr(cpu_gemm.GEMM_RATES, "_rates", {torch.float32: 1.0, torch.bfloat16: 50.0})
        use_native_decode(monkeypatch, True)
        monkeypatch.setattr(q._KERNELS[bits], "_prefill_fits", {torch.bfloat16: ((1.0, 1.0), (0.0, 0.0))})
        choose_fused_prompt(monkeypatch, True)
    else:
        choose_fused_prompt(monkeypatch, False)  # whatever this machine chose
    model = random_chatglm(SMALL, seed=3)
    if bits:
        model.quantize(bits)
    ids = _ids(bits)
    threads_given: list[int] = []
    real_run = native_prompt.NativePromptGemm._run.__func__

    def run(cls, fn, x, weight, layout, scale, bias, threads):
        threads_given.append(threads)
        return real_run(cls, fn, x, weight, layout, scale, bias, threads)

    monkeypatch.setattr(native_prompt.NativePromptGemm, "_run", classmethod(run))
    torch_threads.LIMIT.pin(0)
    with torch.inference_mode():
        everywhere = model(ids).logits
    torch_threads.LIMIT.pin(torch_threads.PROBE_MAX_ELEMENTS)
    threads_given.clear()
    mode = _ThreadsSeen()
    with torch.inference_mode(), mode:
        calling = model(ids).logits
    assert torch.equal(calling, everywhere), "the logits changed bits"
    seen = mode.seen
    for op in ("tanh_", "softmax", "masked_fill_", "matmul"):  # ops of the blocks only
        assert seen.get(op) == {1}, (op, seen.get(op))
    # Torch's products (fp32 Linears, the blocked and int8-kernel paths) restore the caller's count; the
    # C products are given it.
    assert bool(threads_given) == fused
    assert all(t == THREADS for t in threads_given)
    if not fused:
        products = {name: counts for name, counts in seen.items() if name in ("linear", "_weight_int8pack_mm", "mm")}
        assert products and all(counts == {THREADS} for counts in products.values()), seen
    assert torch.get_num_threads() == THREADS


@needs_openmp
def test_columns_generating_at_once_keep_their_bits(two_threads) -> None:
    model = random_chatglm(SMALL, seed=5)
    model.quantize(8)
    inputs = [_ids(s) for s in range(4)]
    with torch.inference_mode():
        alone = [model(ids).logits for ids in inputs]
    got: dict[int, torch.Tensor] = {}
    errors: list[BaseException] = []

    def column(i: int) -> None:
        try:
            with torch.inference_mode():
                for _ in range(3):
                    got[i] = model(inputs[i]).logits
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    workers = [threading.Thread(target=column, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    for i, expected in enumerate(alone):
        assert torch.equal(got[i], expected)
    assert torch.get_num_threads() == THREADS


@needs_openmp
def test_the_limit_is_measured_once_per_machine_and_honoured(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path))
    before = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        measured = torch_threads._Limit().get()
        assert measured == 0 or (torch_threads.PROBE_MIN_ELEMENTS <= measured <= torch_threads.PROBE_MAX_ELEMENTS
                                 and measured & (measured - 1) == 0)
        key = machine_choice.machine_key()
        assert machine_choice.load_choice(torch_threads.CHOICE_NAME, key) == str(measured)
        machine_choice.save_choice(torch_threads.CHOICE_NAME, key, "65536", {})
        limit = torch_threads._Limit()
        assert limit.get() == 65536
        x = torch.zeros(1)
        monkeypatch.setattr(torch_threads, "LIMIT", limit)
        with torch.inference_mode():
            with torch_threads.small_pass_on_calling_thread(x, 65536) as on:
                assert on
            with torch_threads.small_pass_on_calling_thread(x, 65537) as on:
                assert not on
    finally:
        torch.set_num_threads(before)


def test_the_runtime_is_found_through_libtorch_cpu(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    lib = tmp_path / "libtorch_cpu.so"
    lib.write_bytes(b"")
    other = tmp_path / "libgomp-123.so.1"
    other.write_bytes(b"")
    maps.write_text(
        f"7f0000000000-7f0000001000 r-xp 00000000 08:01 1 {other}\n"
        "7f0000002000-7f0000003000 rw-p 00000000 00:00 0 \n"
        f"7f0000004000-7f0000005000 r-xp 00000000 08:01 2 {lib}\n"
    )
    assert torch_threads._loaded_library("libtorch_cpu", maps) == lib
    assert torch_threads._loaded_library("libmissing", maps) is None
    assert torch_threads._loaded_library("libtorch_cpu", tmp_path / "absent") is None
    if torch.backends.openmp.is_available():
        assert torch_threads.OPENMP.unavailable_reason() == "", "torch's OpenMP runtime was not usable here"



def test_outside_a_scope_the_helpers_change_nothing() -> None:
    before = torch.get_num_threads()
    with torch_threads.products_on_all_threads():
        assert torch.get_num_threads() == before
    assert torch_threads.product_threads() == before


@needs_openmp
def test_the_runtime_check_holds_once_torch_has_a_process_wide_count(two_threads) -> None:
    # After torch.set_num_threads (the app and the bench call it), torch's first call on a new thread sets
    # that thread's count: the check must not take that for a runtime that ignores per-thread counts.
    runtime = torch_threads._OpenMP()
    assert runtime.lib() is not None, runtime.unavailable_reason()
    assert torch.get_num_threads() == THREADS
