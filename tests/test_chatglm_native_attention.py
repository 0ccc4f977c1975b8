"""Decode-time attention over a 16-bit KV cache in C (``native_attention``): the same values as torch's
products (the path before it) up to a 16-bit ulp, on odd lengths, one and several heads and batches, a mask,
one and two threads and several threads at once; a bf16 model's greedy tokens are unchanged by it; and the
kernel probe times weights streamed from memory (``quantization.probe_copies``)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from tests.chatglm_kernels import record_applied
from tests.chatglm_random import random_chatglm
from workbench.chatglm import ChatGLMConfig, machine_choice, native_attention
from workbench.chatglm import quantization as q
from workbench.chatglm.generation import generate
from workbench.chatglm.native_attention import NATIVE_ATTENTION, reference_attend_decode

needs_native_attention = pytest.mark.skipif(not NATIVE_ATTENTION.available(),
                                            reason=f"native decode attention unavailable: {NATIVE_ATTENTION.reason}")

CONFIG = ChatGLMConfig(vocab_size=400, hidden_size=128, num_layers=3, num_attention_heads=4, inner_hidden_size=344,
                       max_sequence_length=512, bos_token_id=390, eos_token_id=391, mask_token_id=388,
                       gmask_token_id=389, pad_token_id=3)


def _ordered(t: torch.Tensor) -> torch.Tensor:
    """16-bit floats as integers in value order (sign-magnitude to two's complement)."""
    i = t.contiguous().view(torch.int16).to(torch.int32)
    return torch.where(i < 0, -(i & 0x7FFF), i)


def _operands(dtype: torch.dtype, batch: int, heads: int, length: int, hd: int, masked: bool, seed: int):
    """q as the model passes it (a transposed view), keys and values as views of a larger cache, a mask."""
    gen = torch.Generator().manual_seed(seed)
    q_ = torch.randn(batch, 1, heads, 2 * hd, generator=gen).to(dtype)[..., :hd].transpose(1, 2)
    capacity = length + 7
    keys = (torch.randn(batch, heads, capacity, hd, generator=gen) * 3).to(dtype)
    values = torch.randn(batch, heads, capacity, hd, generator=gen).to(dtype)
    mask = None
    if masked:
        mask = torch.rand(batch, 1, 1, length, generator=gen) < 0.3
        mask[..., -1] = False  # the new token always sees itself
    return q_, keys[:, :, :length], values[:, :, :length], mask


def _both(q_, k, v, mask, threads: int) -> tuple[torch.Tensor, torch.Tensor]:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            ref = reference_attend_decode(q_, k, v, mask, 11.3, 4.0, -10000.0)
            got = native_attention.attend_decode(q_, k, v, mask, 11.3, 4.0, -10000.0)
    finally:
        torch.set_num_threads(before)
    assert got is not None, "the C routine did not apply"
    return ref, got


@needs_native_attention
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize(("batch", "heads", "length", "hd", "masked"), [
    (1, 1, 1, 8, False),      # T = 1: the new token alone
    (1, 3, 7, 16, False),     # odd T, shorter than a vector
    (1, 32, 257, 128, False),  # BianQue-2's heads, odd T
    (2, 5, 129, 40, True),    # a batch with a mask, a head size that is not a power of two
    (3, 4, 64, 24, True),
])
@pytest.mark.parametrize("threads", [1, 2])
def test_the_c_attention_gives_torchs_values(dtype, batch, heads, length, hd, masked, threads) -> None:
    q_, k, v, mask = _operands(dtype, batch, heads, length, hd, masked, seed=length + heads)
    ref, got = _both(q_, k, v, mask, threads)
    assert got.shape == ref.shape == (batch, heads, 1, hd) and got.dtype == dtype
    ulps = (_ordered(got) - _ordered(ref)).abs()
    # The same roundings; only fp32 sums in another order can move a value, by a 16-bit ulp.
    assert ulps.max().item() <= 2
    assert (ulps == 0).float().mean().item() >= 0.99


@needs_native_attention
def test_a_masked_position_is_left_out() -> None:
    q_, k, v, _ = _operands(torch.bfloat16, 1, 2, 9, 16, False, seed=3)
    mask = torch.zeros(1, 1, 1, 9, dtype=torch.bool)
    mask[..., :8] = True  # only the last position is visible: the output is its value row
    _, got = _both(q_, k, v, mask, threads=2)
    assert torch.equal(got[0, :, 0], v[0, :, 8])


@needs_native_attention
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_a_nan_in_the_cache_gives_nan_where_torch_does(dtype) -> None:
    q_, k, v, _ = _operands(dtype, 1, 3, 10, 16, False, seed=5)
    v[0, 1, 4, 2] = float("nan")  # head 1, position 4, column 2
    k[0, 2, 6, 0] = float("nan")  # head 2: every score of the row's softmax
    ref, got = _both(q_, k, v, None, threads=2)
    assert torch.equal(got.isnan(), ref.isnan()) and got.isnan().any()
    finite = ~ref.isnan()
    assert (_ordered(got[finite]) - _ordered(ref[finite])).abs().max().item() <= 2


@needs_native_attention
def test_it_applies_only_to_16_bit_inference_decode_steps() -> None:
    q_, k, v, _ = _operands(torch.bfloat16, 1, 2, 5, 16, False, seed=4)
    with torch.inference_mode():
        assert native_attention.attend_decode(q_, k, v, None, 4.0, 1.0, -10000.0) is not None
        # fp32 (torch's products are fast there), a prompt (several query rows), a head size not a multiple of 8
        assert native_attention.attend_decode(q_.float(), k.float(), v.float(), None, 4.0, 1.0, -1e4) is None
        assert native_attention.attend_decode(q_.expand(1, 2, 3, 16), k, v, None, 4.0, 1.0, -1e4) is None
        assert native_attention.attend_decode(q_[..., :12], k[..., :12], v[..., :12], None, 4.0, 1.0, -1e4) is None
    with torch.enable_grad():  # no backward in C
        assert native_attention.attend_decode(q_, k, v, None, 4.0, 1.0, -10000.0) is None


@needs_native_attention
def test_several_threads_at_once_get_their_own_results() -> None:
    cases = [_operands(torch.bfloat16, 1, 8, length, 32, False, seed=length) for length in (33, 70, 129, 5)]
    alone = [_both(*case, threads=2)[1] for case in cases]
    results: list[object] = [None] * len(cases)
    start = threading.Barrier(len(cases))

    def worker(i: int) -> None:
        try:
            start.wait()
            with torch.inference_mode():
                outs = [native_attention.attend_decode(*cases[i], 11.3, 4.0, -10000.0) for _ in range(50)]
            results[i] = outs
        except BaseException as exc:  # noqa: BLE001 - reported below
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for i, outs in enumerate(results):
        assert isinstance(outs, list), repr(outs)
        assert all(o is not None and torch.equal(o, alone[i]) for o in outs)


@needs_native_attention
def test_a_bf16_models_greedy_tokens_are_unchanged(monkeypatch) -> None:
    model = random_chatglm(CONFIG, seed=5).to(torch.bfloat16)
    gen = torch.Generator().manual_seed(11)
    ids = torch.randint(6, 380, (1, 19), generator=gen)
    ids[0, -2], ids[0, -1] = CONFIG.gmask_token_id, CONFIG.bos_token_id
    with monkeypatch.context() as m:
        calls = record_applied(m, native_attention.NATIVE_ATTENTION, "attend")
        with_c = generate(model, ids, max_new_tokens=24, do_sample=False)
    assert calls and all(calls), "the decode steps did not run the C attention"
    with monkeypatch.context() as m:
        m.setattr(native_attention, "attend_decode", lambda *args: None)
        with_torch = generate(model, ids, max_new_tokens=24, do_sample=False)
    assert torch.equal(with_c, with_torch)


@needs_native_attention
def test_a_bf16_models_decode_logits_stay_close(monkeypatch) -> None:
    model = random_chatglm(CONFIG, seed=6).to(torch.bfloat16)
    ids = torch.randint(6, 380, (1, 13), generator=torch.Generator().manual_seed(12))
    ids[0, -2], ids[0, -1] = CONFIG.gmask_token_id, CONFIG.bos_token_id
    logits = {}
    for native in (True, False):
        with monkeypatch.context() as m, torch.inference_mode():
            if not native:
                m.setattr(native_attention, "attend_decode", lambda *args: None)
            out = model(ids, use_cache=True)
            step = model(torch.tensor([[77]]), position_ids=torch.tensor([[[11], [2]]]),
                         past_key_values=out.past_key_values, use_cache=True)
            logits[native] = step.logits[0, -1].float()
    scale = logits[False].abs().max().item()
    assert (logits[True] - logits[False]).abs().max().item() <= 2e-2 * scale


def test_the_last_level_cache_size_is_read_from_sysfs(tmp_path: Path) -> None:
    for name, level_type, size in (("index0", "Data", "32K"), ("index1", "Instruction", "64M"),
                                   ("index2", "Unified", "512K"), ("index3", "Unified", "16384K")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "type").write_text(level_type + "\n")
        (tmp_path / name / "size").write_text(size + "\n")
    assert machine_choice.last_level_cache_bytes(tmp_path) == 16 * 2**20
    assert machine_choice.last_level_cache_bytes(tmp_path / "missing") == 32 * 2**20


def test_the_kernel_probe_streams_more_than_the_last_level_cache(monkeypatch) -> None:
    for llc in (8 * 2**20, 32 * 2**20, 96 * 2**20):
        monkeypatch.setattr(machine_choice, "last_level_cache_bytes", lambda llc=llc: llc)
        for weight_bytes in (q._TIMING_PROBE**2, q._TIMING_PROBE**2 // 2):  # int8, int4
            copies = q.probe_copies(weight_bytes)
            assert 3 <= copies <= 16
            # Between two reads of one copy the other copies stream through: more than the cache holds.
            assert (copies - 1) * weight_bytes >= llc or copies == 16
