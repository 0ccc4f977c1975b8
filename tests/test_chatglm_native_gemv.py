"""The compiled int8/int4 decode kernel (workbench/chatglm/native_gemv.c), on int8 and on int16 activations:
results against the dequantized fp32 reference on odd shapes, the fallback to the path before it when one
cannot be built, loaded or trusted, the once-per-machine choice, greedy output equal to torch's path, and
the prompt pass's dequantizer (torch's bits exactly). Speed: bench/quantized_gemv.py."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tests.chatglm_kernels import (
    choose_fused_prompt,
    needs_interleaved,
    needs_native,
    needs_q8,
    use_native_decode,
)
from workbench.chatglm import ChatGLMForConditionalGeneration, machine_choice, native_gemv, native_prompt
from workbench.chatglm import quantization as q

REAL_CC = native_gemv.shutil.which("gcc")


def _operands(bits: int, out_features: int, in_features: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(weight as checkpoints store it, float32 scales) of a random quantized layer."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(out_features, in_features, generator=gen)
    stored, scale = q.quantize_weight(w, bits)
    return stored, scale


def _activations(rows: int, in_features: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, in_features, generator=gen)
    x[:, in_features // 3] *= 60.0  # an outlier column, as LayerNorm outputs have
    return x


def _reference(x: torch.Tensor, stored: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor | None,
               bits: int) -> torch.Tensor:
    w = q.dequantize(stored, scale, bits, torch.float64)
    return F.linear(x.double(), w, None if bias is None else bias.double())


def _rounding_bound(x: torch.Tensor, stored: torch.Tensor, scale: torch.Tensor, bits: int) -> torch.Tensor:
    """[rows, out]: the most that rounding each activation to int16 (half a step of its block's scale,
    one scale per ``ACTIVATION_BLOCK`` columns) can change each output."""
    w = q.dequantize(stored, scale, bits, torch.float64).abs()
    bound = torch.zeros(x.shape[0], w.shape[0], dtype=torch.float64)
    block = native_gemv.ACTIVATION_BLOCK
    for c0 in range(0, x.shape[1], block):
        half_step = x[:, c0:c0 + block].double().abs().amax(dim=1) / 32767 / 2
        bound += half_step[:, None] * w[:, c0:c0 + block].sum(dim=1)[None]
    return bound


def _q8_rounding_bound(x: torch.Tensor, stored: torch.Tensor, scale: torch.Tensor, bits: int) -> torch.Tensor:
    """[rows, out]: the most that rounding each activation to int8 (half a step, 1/254 of its 32-column
    block's largest value) can change each output."""
    w = q.dequantize(stored, scale, bits, torch.float64).abs()
    bound = torch.zeros(x.shape[0], w.shape[0], dtype=torch.float64)
    block = native_gemv.Q8_BLOCK
    for c0 in range(0, x.shape[1], block):
        half_step = x[:, c0:c0 + block].double().abs().amax(dim=1) / 127 / 2
        bound += half_step[:, None] * w[:, c0:c0 + block].sum(dim=1)[None]
    return bound


ODD_SHAPES = [(37, 300), (5, 1030), (259, 4098), (64, 2), (1, 70), (6, 130), (3, 64), (2, 4160), (7, 96)]


@needs_q8
@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("shape", ODD_SHAPES)
@pytest.mark.parametrize("rows", [1, 3, 15])
def test_int8_activation_kernel_equals_the_reference(bits: int, shape: tuple[int, int], rows: int) -> None:
    out_features, in_features = shape
    stored, scale = _operands(bits, out_features, in_features, seed=out_features + in_features)
    if bits == 8:
        stored[0, :: 3] = -128  # the full int8 range (a foreign checkpoint's) is exact too
    bias = torch.randn(out_features, generator=torch.Generator().manual_seed(9))
    x = _activations(rows, in_features, seed=rows)
    for b in (bias, None):
        got = q.NATIVE_GEMV.linear(x, stored, scale, b, bits, activations=8)
        assert got.shape == (rows, out_features) and got.dtype == torch.float32
        # Exact but for fp32 summation, on the activations as the kernel rounds them ...
        on_rounded = _reference(native_gemv.quantize_activations_q8(x).float(), stored, scale, b, bits)
        excess = (got.double() - on_rounded).abs() - native_gemv.q8_error_bound(x, stored, scale, bits)
        assert excess.max() <= 1e-6, (bits, shape, rows)
        # ... and within that rounding (1/254 of a 32-column block's largest value) of the float product.
        error = (got.double() - _reference(x, stored, scale, b, bits)).abs()
        assert (error <= 1.01 * _q8_rounding_bound(x, stored, scale, bits) + 1e-5).all()


@needs_native
@pytest.mark.parametrize("activations", [16, pytest.param(8, marks=needs_q8)])
@pytest.mark.parametrize("bits", [8, 4])
def test_any_number_of_threads_gives_the_same_bits(bits: int, activations: int) -> None:
    # Output rows go out in chunks to whichever thread claims them first; each row is computed the same
    # way whoever runs it. 1037 rows of 2050 columns: many chunks, the last one partial.
    stored, scale = _operands(bits, 1037, 2050, seed=21)
    bias = torch.randn(1037, generator=torch.Generator().manual_seed(22))
    q.NATIVE_GEMV.available()
    lib = q.NATIVE_GEMV._lib
    for rows in (1, 3):
        x = _activations(rows, 2050, seed=23)
        outs = [native_gemv.NativeGemv._run(lib, x, stored, scale, bias, bits, threads=t, activations=activations)
                for t in (1, 2, 3, 1, 2)]
        ref = _reference(x, stored, scale, bias, bits)
        assert ((outs[0].double() - ref).abs() <= 1e-2 * ref.abs().max()).all()
        for got in outs[1:]:
            assert torch.equal(got, outs[0])


@needs_native
@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("shape", [(37, 300), (5, 1030), (259, 4098), (64, 2), (1, 70), (7, 8200), (9, 16384)])
@pytest.mark.parametrize("rows", [1, 3, 15])
def test_int16_activation_kernel_equals_the_dequantized_reference(bits: int, shape: tuple[int, int],
                                                                  rows: int) -> None:
    out_features, in_features = shape
    stored, scale = _operands(bits, out_features, in_features, seed=out_features + in_features)
    bias = torch.randn(out_features, generator=torch.Generator().manual_seed(9))
    x = _activations(rows, in_features, seed=rows)
    for b in (bias, None):
        got = q.NATIVE_GEMV.linear(x, stored, scale, b, bits, activations=16)
        ref = _reference(x, stored, scale, b, bits)
        assert got.shape == (rows, out_features) and got.dtype == torch.float32
        error = (got.double() - ref).abs()
        bound = _rounding_bound(x, stored, scale, bits)
        # Within the int16 rounding of the activations (plus float32 sums), and far below int8 weights' own
        # quantization error: a wrong nibble, block or scale would break this by orders of magnitude.
        assert (error <= 1.01 * bound + 1e-5 * ref.abs().max()).all(), (bits, shape, rows)
        assert error.max() < 1e-3 * ref.abs().max(), (bits, shape, rows)


@needs_native
@pytest.mark.parametrize("in_features", [8192, 8200, 16384])
def test_long_int8_rows_give_the_same_bits_in_a_group_of_four_as_alone(in_features: int) -> None:
    # Rows of 8,192 columns and more go four per pass on int16 activations; the rows left over go one by one.
    # Row 0 (first of a group) and row 4 (the one left over) hold the same weights, scale and bias: each row's
    # sums are taken in the same order either way, so their outputs are the same bits.
    stored, scale = _operands(8, 5, in_features, seed=in_features)
    stored[4], scale[4] = stored[0], scale[0]
    bias = torch.randn(5, generator=torch.Generator().manual_seed(3))
    bias[4] = bias[0]
    x = _activations(3, in_features, seed=5)
    lib = q.NATIVE_GEMV.library()
    assert lib is not None
    for threads in (1, 2):
        got = native_gemv.NativeGemv._run(lib, x, stored, scale, bias, 8, threads=threads, activations=16)
        assert torch.equal(got[:, 4], got[:, 0]) and not torch.equal(got[:, 1], got[:, 0])


@needs_q8
@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("activations", [8, 16])
def test_non_finite_activations_give_nan_like_a_float_product(bits: int, activations: int) -> None:
    stored, scale = _operands(bits, 8, 520, seed=1)
    x = torch.randn(3, 520, generator=torch.Generator().manual_seed(0))
    x[0, 300] = float("nan")
    x[1, 10] = float("inf")
    x[2, 517] = float("-inf")  # in the tail past the last full 64-column group
    got = q.NATIVE_GEMV.linear(x, stored, scale, None, bits, activations)
    assert got.isnan().all()


@needs_native
@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_quantized_linear_decodes_through_the_kernel_in_the_stored_layout(monkeypatch, bits: int,
                                                                          dtype: torch.dtype) -> None:
    use_native_decode(monkeypatch, True)
    torch.manual_seed(0)
    linear = torch.nn.Linear(256, 96).to(dtype)
    layer = q.QuantizedLinear.from_linear(linear, bits)
    stored, _ = q.quantize_weight(linear.weight, bits)
    assert layer.layout == q.CHATGLM_LAYOUT and torch.equal(layer.weight, stored)  # read as checkpoints hold it
    x = torch.randn(1, 2, 256, generator=torch.Generator().manual_seed(3)).to(dtype)
    got = layer(x)
    assert got.dtype == dtype and got.shape == (1, 2, 96)
    direct = q.NATIVE_GEMV.linear(x.reshape(2, 256).float(), layer.weight, layer.weight_scale.float(),
                                  layer.bias.float(), bits, q._KERNELS[bits].native_activation_bits())
    assert torch.equal(got, direct.to(dtype).view(1, 2, 96))


def _fake_compiler(path: Path, body: str) -> str:
    """A C compiler stand-in: ``--version`` answers, compiling runs ``body`` (sh) with "$@"."""
    path.write_text("#!/bin/sh\nif [ \"$1\" = --version ]; then echo fake-cc 1.0; exit 0; fi\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _fresh(monkeypatch, tmp_path: Path, cc: str) -> native_gemv.NativeGemv:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(native_gemv.COMPILER_ENV, cc)
    return native_gemv.NativeGemv()


def _assert_fallback(monkeypatch, kernel: native_gemv.NativeGemv, caplog, said: str) -> None:
    with caplog.at_level(logging.WARNING, logger=native_gemv.__name__):
        assert not kernel.available()
    assert said in kernel.reason
    assert any("not used" in r.getMessage() and said in r.getMessage() for r in caplog.records)
    # Decoding keeps torch's path, and computes what it computed before.
    monkeypatch.setattr(q, "NATIVE_GEMV", kernel)
    choice = q._CpuKernel(8)
    monkeypatch.setitem(q._KERNELS, 8, choice)
    assert not choice.native_decode() and choice.decode_kernel_name() != "native"
    layer = q.QuantizedLinear.from_linear(torch.nn.Linear(128, 64), 8)
    x = torch.randn(1, 128, generator=torch.Generator().manual_seed(0))
    act = choice.activation_dtype()
    if act is not None:
        raw = torch._weight_int8pack_mm(x.to(act), layer.weight, layer.kernel_scale(act))
        expected = (raw.float() * (1 if act == torch.float32 else layer.weight_scale)) + layer.bias
        assert torch.allclose(layer(x), expected)


def test_a_missing_compiler_falls_back_and_says_so(monkeypatch, tmp_path: Path, caplog) -> None:
    kernel = _fresh(monkeypatch, tmp_path, str(tmp_path / "no-such-dir" / "gcc"))
    _assert_fallback(monkeypatch, kernel, caplog, "not found")


def test_a_compile_error_falls_back_and_says_so(monkeypatch, tmp_path: Path, caplog) -> None:
    cc = _fake_compiler(tmp_path / "cc", 'echo "native_gemv.c:1: error: broken" >&2; exit 1')
    _assert_fallback(monkeypatch, _fresh(monkeypatch, tmp_path, cc), caplog, "compiling native_gemv.c failed")


def test_a_corrupt_library_is_rebuilt_and_falls_back_when_that_fails(monkeypatch, tmp_path: Path, caplog) -> None:
    # The "compiler" writes garbage: the corrupt cached library is rebuilt, into garbage again.
    cc = _fake_compiler(tmp_path / "cc", 'while [ "$1" != -o ]; do shift; done; echo garbage > "$2"')
    kernel = _fresh(monkeypatch, tmp_path, cc)
    target = native_gemv.library_path(cc, "fake-cc 1.0", native_gemv.SOURCE.read_bytes())
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\x7fELF corrupt")
    _assert_fallback(monkeypatch, kernel, caplog, "does not load")
    assert any("rebuilding" in r.getMessage() for r in caplog.records)


@pytest.mark.skipif(REAL_CC is None, reason="no gcc here")
def test_a_corrupt_cached_library_is_rebuilt(monkeypatch, tmp_path: Path, caplog) -> None:
    kernel = _fresh(monkeypatch, tmp_path, str(REAL_CC))
    cc = native_gemv._compiler()
    target = native_gemv.library_path(cc, native_gemv._compiler_version(cc), native_gemv.SOURCE.read_bytes())
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not a shared library")
    with caplog.at_level(logging.WARNING, logger=native_gemv.__name__):
        assert kernel.available(), kernel.reason
    assert any("rebuilding" in r.getMessage() for r in caplog.records)
    assert target.read_bytes()[:4] == b"\x7fELF"


def _broken_build(tmp_path: Path, old: str, new: str) -> str:
    """A compiler that really builds native_gemv.c with ``old`` replaced by ``new``."""
    broken = tmp_path / "native_gemv.c"
    source = native_gemv.SOURCE.read_text()
    assert old in source
    broken.write_text(source.replace(old, new))
    return _fake_compiler(tmp_path / "cc", f'for a; do shift; if [ "$a" = "{native_gemv.SOURCE}" ]; then '
                          f'set -- "$@" "{broken}"; else set -- "$@" "$a"; fi; done; exec {REAL_CC} "$@"')


@pytest.mark.skipif(REAL_CC is None, reason="no gcc here")
def test_a_kernel_with_wrong_results_is_not_used(monkeypatch, tmp_path: Path, caplog) -> None:
    # A real build of a subtly broken source (the scale applied 1% too large) must fail the self-check.
    cc = _broken_build(tmp_path, "y[i] = dot[i] * scale[i]", "y[i] = dot[i] * scale[i] * 1.01f")
    _assert_fallback(monkeypatch, _fresh(monkeypatch, tmp_path, cc), caplog, "wrong results")


@pytest.mark.skipif(REAL_CC is None, reason="no gcc here")
@pytest.mark.parametrize("bits", [8, 4])
def test_a_wrong_int8_activation_path_falls_back_to_the_int16_one(monkeypatch, tmp_path: Path, caplog,
                                                                  bits: int) -> None:
    # Only the new path is broken (its int4 offset, or its int8 sums, 1e-3 off): the int16 path stays in use.
    old, new = {4: ("y[i] = (dot[i] - offset) *", "y[i] = (dot[i] - offset * 1.001f) *"),
                8: ("dot[r] = hsum_ps(acc[r]);\n        if (nb", "dot[r] = hsum_ps(acc[r]) * 1.001f;\n        if (nb")}[bits]
    kernel = _fresh(monkeypatch, tmp_path, _broken_build(tmp_path, old, new))
    with caplog.at_level(logging.WARNING, logger=native_gemv.__name__):
        assert kernel.available() and not kernel.q8_available()
    assert "wrong results" in kernel.q8_reason and f"int{bits}" in kernel.q8_reason
    assert any("int8-activation decode path not used" in r.getMessage() for r in caplog.records)
    with pytest.raises(RuntimeError, match="not available"):
        kernel.linear(torch.zeros(1, 64), torch.zeros(4, 64, dtype=torch.int8), torch.ones(4), None, 8, activations=8)
    monkeypatch.setattr(q, "NATIVE_GEMV", kernel)
    choice = q._CpuKernel(bits)
    monkeypatch.setitem(q._KERNELS, bits, choice)
    assert choice.decode_kernel_name() in ("native-int16", "dequantize") or choice.decode_kernel_name().startswith("torch")
    assert choice.native_activation_bits() == 16


@pytest.mark.skipif(REAL_CC is None, reason="no gcc here")
@pytest.mark.parametrize(("old", "new"), [
    # a wrong value in the scalar tail (int8 rows whose width is not a multiple of 8)
    ("store1(out, o + c, (float)wr[c] * s, bf16)", "store1(out, o + c, (float)wr[c] * s * 1.0001f, bf16)"),
    # bf16 rows truncated instead of rounded to nearest even (whichever rounding this CPU compiles)
    ("_mm_storeu_si128((__m128i *)((uint16_t *)out + i), bf16_round8(v));",
     "{ const __m256i t = _mm256_srli_epi32(_mm256_castps_si256(v), 16); _mm_storeu_si128((__m128i *)((uint16_t *)"
     "out + i), _mm_packus_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1))); }"),
])
def test_a_wrong_dequantizer_is_not_used(monkeypatch, tmp_path: Path, caplog, old: str, new: str) -> None:
    cc = _broken_build(tmp_path, old, new)
    kernel = _fresh(monkeypatch, tmp_path, cc)
    with caplog.at_level(logging.WARNING, logger=native_gemv.__name__):
        assert kernel.available() and not kernel.dequantize_available()
    assert "differs from torch's" in kernel.dequantize_reason
    assert any("dequantizer not used" in r.getMessage() for r in caplog.records)
    monkeypatch.setattr(q, "NATIVE_GEMV", kernel)
    monkeypatch.setattr(q, "_DEQUANTIZER_CHOICE", {})
    assert not q._native_dequantizer(8)
    # The fused prompt product dequantizes with the same row routines: refused with them.
    fused = native_prompt.NativePromptGemm(kernel)
    assert not fused.available() and "dequantizer" in fused.reason


def test_a_cpu_without_avx2_falls_back_and_says_so(monkeypatch, tmp_path: Path, caplog) -> None:
    monkeypatch.setattr(machine_choice, "cpu_flags", lambda: frozenset({"sse2", "fma"}))
    kernel = _fresh(monkeypatch, tmp_path, REAL_CC or "gcc")
    _assert_fallback(monkeypatch, kernel, caplog, "this CPU lacks avx2")
    assert not kernel.q8_available() and not kernel.dequantize_available()


def test_the_library_is_cached_by_source_compiler_and_flags(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path))
    base = native_gemv.library_path("/usr/bin/gcc", "gcc 12", b"source")
    assert base.parent == tmp_path / "native"
    assert base == native_gemv.library_path("/usr/bin/gcc", "gcc 12", b"source")
    others = {native_gemv.library_path("/usr/bin/gcc", "gcc 12", b"source 2"),
              native_gemv.library_path("/usr/bin/clang", "gcc 12", b"source"),
              native_gemv.library_path("/usr/bin/gcc", "gcc 13", b"source")}
    assert base not in others and len(others) == 3
    monkeypatch.setattr(native_gemv, "FLAGS", (*native_gemv.FLAGS, "-g"))
    assert native_gemv.library_path("/usr/bin/gcc", "gcc 12", b"source") != base


@needs_q8
@pytest.mark.parametrize("saved", ["torch", "native-int16", "native"])
def test_the_decode_kernel_is_chosen_once_per_machine(monkeypatch, tmp_path: Path, saved: str) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path))
    machine_choice.save_choice(q.decode_path_choice(8), machine_choice.machine_key(), saved, {})
    kernel = q._CpuKernel(8)
    assert kernel.native_decode() == (saved != "torch") and kernel.native_choice_source == "saved"
    if saved != "torch":
        assert kernel.decode_kernel_name() == saved
        assert kernel.native_activation_bits() == (8 if saved == "native" else 16)
    # Measured when nothing is saved: whichever wins is recorded for the next process.
    (tmp_path / machine_choice.FILE_NAME).unlink()
    measured = q._CpuKernel(8)
    measured.native_decode()
    assert measured.native_choice_source == "measured"
    name = measured.decode_kernel_name()
    expected = name if name.startswith("native") else "torch"
    assert machine_choice.load_choice(q.decode_path_choice(8), machine_choice.machine_key()) == expected


@needs_q8
@pytest.mark.parametrize(("timings", "expected"), [
    ({"torch": 1.0, "native-int16": 1.04, "native": 1.5}, "native-int16"),  # within the margin: compiled
    ({"torch": 1.0, "native-int16": 1.12, "native": 1.1}, "native"),  # the faster compiled one
    ({"torch": 1.0, "native-int16": 1.3, "native": 1.4}, "torch"),  # torch's clearly faster
    ({"torch": 2.0, "native-int16": 1.0, "native": 1.1}, "native-int16"),
])
def test_a_compiled_decode_path_wins_unless_torch_is_clearly_faster(monkeypatch, tmp_path: Path,
                                                                   timings: dict, expected: str) -> None:
    # The product-only timing cannot see that a compiled path also runs whole decode steps in C.
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path))
    # (the activation dtype pick, timed first, gets equal times)
    monkeypatch.setattr(machine_choice, "median_seconds",
                        lambda candidates: {k: timings.get(k, 1.0) for k in candidates})
    kernel = q._CpuKernel(8)
    assert kernel.native_decode() == (expected != "torch")
    assert kernel.native_choice_source == "measured"
    assert machine_choice.load_choice(q.decode_path_choice(8), machine_choice.machine_key()) == expected


@pytest.mark.parametrize("saved", ["native", "native-int16"])
def test_an_unusable_kernel_is_never_chosen_even_if_saved(monkeypatch, tmp_path: Path, saved: str) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path))
    machine_choice.save_choice(q.decode_path_choice(8), machine_choice.machine_key(), saved, {})
    monkeypatch.setenv(native_gemv.COMPILER_ENV, str(tmp_path / "missing-cc"))
    monkeypatch.setattr(q, "NATIVE_GEMV", native_gemv.NativeGemv())
    assert not q._CpuKernel(8).native_decode()


def _greedy_runs(model) -> list[torch.Tensor]:
    """Greedy continuations of two random prompts (6 and 23 tokens), the same prompts on every call."""
    cfg = model.config
    gen = torch.Generator().manual_seed(5)
    runs = []
    for length in (6, 23):
        ids = torch.randint(6, min(cfg.mask_token_id, cfg.vocab_size) - 1, (1, length), generator=gen)
        ids[0, -2], ids[0, -1] = cfg.gmask_token_id, cfg.bos_token_id
        runs.append(model.generate(ids, max_new_tokens=24, eos_token_id=-1))
    return runs


@needs_q8
@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("activations", [8, 16])
def test_greedy_output_with_the_kernel_equals_torch_path(monkeypatch, demo_models, bits: int,
                                                         activations: int) -> None:
    outputs = {}
    for native in (True, False):
        with monkeypatch.context() as m:
            use_native_decode(m, native, activations if native else None)
            model = ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path, quantization_bit=bits)
            layer = model.transformer.layers[0].mlp.dense_h_to_4h
            assert (layer.layout == q.CHATGLM_LAYOUT) or not native
            outputs[native] = _greedy_runs(model)
    for with_kernel, with_torch in zip(outputs[True], outputs[False], strict=True):
        if torch.equal(with_kernel, with_torch):
            continue
        # The two paths round activations differently (int8 or int16 blocks here, the machine's chosen dtype in
        # torch's kernel, bf16 on some CPUs), so greedy decoding may part at a near-tie, never elsewhere:
        # every token the kernel chose is (within 1% of the logits' scale) the best under torch's path.
        with monkeypatch.context() as m:
            use_native_decode(m, False)
            reference = ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path, quantization_bit=bits)
            with torch.inference_mode():
                logits = reference(with_kernel).logits[0]
        prompt = with_kernel.shape[1] - 24
        for pos in range(prompt, with_kernel.shape[1]):
            row = logits[pos - 1]
            chosen = int(with_kernel[0, pos])
            assert row[chosen] >= row.max() - 0.01 * row.abs().max(), (bits, pos, chosen, int(row.argmax()))



@needs_native
@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("shape", [(1, 2), (3, 70), (37, 618), (5, 4098), (8, 64)])
@pytest.mark.parametrize("out_dtype", [torch.float32, torch.bfloat16])
def test_the_dequantizer_gives_torch_bits_exactly(bits: int, shape: tuple[int, int], out_dtype: torch.dtype) -> None:
    assert q.NATIVE_GEMV.dequantize_available(), q.NATIVE_GEMV.dequantize_reason
    out_features, in_features = shape
    gen = torch.Generator().manual_seed(out_features * in_features)
    values = torch.randint(-128 if bits == 8 else -8, 128 if bits == 8 else 8, shape, dtype=torch.int8, generator=gen)
    stored = values if bits == 8 else q.pack_int4(values)
    scale = (torch.rand(out_features, generator=gen) * 3).to(torch.bfloat16).float()  # a bf16 model's scales
    got = q.NATIVE_GEMV.dequantize(stored, scale, torch.empty(shape, dtype=out_dtype), bits)
    assert got.dtype == out_dtype
    assert torch.equal(got, q.dequantize(stored, scale, bits, torch.float32).to(out_dtype))
    if out_dtype == torch.bfloat16:  # for a bf16 model's scales, q * scale is rounded once
        assert torch.equal(got, q.dequantize(stored, scale.to(torch.bfloat16), bits, torch.bfloat16))


@needs_native
@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_the_prompt_pass_with_the_compiled_dequantizer_is_unchanged(monkeypatch, bits: int, dtype: torch.dtype) -> None:
    use_native_decode(monkeypatch, True)  # int4 weights stay in the ChatGLM layout
    monkeypatch.setattr(q._KERNELS[bits], "dequantized_prefill_is_faster", lambda rows, dtype=None: True)
    choose_fused_prompt(monkeypatch, False)  # the blocks' fill is under test
    calls = []
    real = q.NATIVE_GEMV.dequantize
    monkeypatch.setattr(q.NATIVE_GEMV, "dequantize", lambda *a: calls.append(a) or real(*a))
    torch.manual_seed(1)
    layer = q.QuantizedLinear.from_linear(torch.nn.Linear(4160, 300).to(dtype), bits)
    assert layer.layout == q.CHATGLM_LAYOUT
    x = torch.randn(1, 40, 4160, generator=torch.Generator().manual_seed(2)).to(dtype)
    results = {}
    for native in (True, False):
        monkeypatch.setattr(q, "_DEQUANTIZER_CHOICE", {bits: native})
        with torch.inference_mode():
            results[native] = layer(x)
        assert bool(calls) == native
        calls.clear()
    assert results[True].shape == (1, 40, 300) and torch.equal(results[True], results[False])


# ---- int4 weights interleaved by row blocks (native_gemv.interleave_int4) -------------------------------------

INTERLEAVED_SHAPES = [(37, 640), (8, 64), (3, 64), (259, 4096), (17, 128), (64, 192)]


@pytest.mark.parametrize("shape", [*INTERLEAVED_SHAPES, (1, 64), (15, 128)])
def test_interleaving_keeps_the_bytes_and_gives_any_rows_back_in_the_chatglm_layout(shape: tuple[int, int]) -> None:
    out_features, in_features = shape
    stored, _ = _operands(4, out_features, in_features, seed=out_features)
    held = native_gemv.interleave_int4(stored)
    assert held.shape == stored.shape and held.dtype == torch.int8
    # The same bytes, reordered; those of whole row blocks with both nibbles offset by 8 (q + 8, 0..15).
    full = out_features // native_gemv.INTERLEAVE * native_gemv.INTERLEAVE
    unflipped = torch.cat([held[:full] ^ native_gemv.INTERLEAVE_NIBBLE_FLIP, held[full:]])
    assert torch.equal(unflipped.view(-1).sort().values, stored.view(-1).sort().values)
    assert torch.equal(held[full:], stored[full:])
    if out_features >= 2 * native_gemv.INTERLEAVE:
        assert not torch.equal(held, stored)
        # Row 1's first group follows row 0's: one block is one stream.
        assert torch.equal(held[0, 32:64] ^ native_gemv.INTERLEAVE_NIBBLE_FLIP, stored[1, :32])
        assert torch.equal((held[0, 32:64] >> 4) & 0xF, (stored[1, :32] >> 4) + 8)  # q held as q + 8
        assert torch.equal(held[0, 32:64] & 0xF, ((stored[1, :32] & 0xF) ^ 8) - 8 + 8)
    assert torch.equal(native_gemv.deinterleave_int4(held), stored)
    for r0, r1 in ((0, out_features), (3, out_features - 1), (8, 16), (out_features - 3, out_features), (2, 2)):
        r0, r1 = max(0, min(r0, out_features)), max(0, min(r1, out_features))
        assert torch.equal(native_gemv.deinterleave_int4(held, r0, r1), stored[r0:r1]), (shape, r0, r1)


@needs_interleaved
@pytest.mark.parametrize("shape", INTERLEAVED_SHAPES)
@pytest.mark.parametrize("rows", [1, 3, 15])
def test_the_interleaved_kernel_gives_the_bits_of_the_stored_layout(shape: tuple[int, int], rows: int) -> None:
    # The same sums in the same order per output row as the ChatGLM-layout kernel on int8 activations (which
    # test_int8_activation_kernel_equals_the_reference holds to the reference), so the same bits; also within
    # the activations' rounding of the float product here.
    out_features, in_features = shape
    stored, scale = _operands(4, out_features, in_features, seed=out_features + in_features)
    held = native_gemv.interleave_int4(stored)
    bias = torch.randn(out_features, generator=torch.Generator().manual_seed(9))
    x = _activations(rows, in_features, seed=rows)
    for b in (bias, None):
        got = q.NATIVE_GEMV.linear(x, held, scale, b, 4, 8, interleaved=True)
        assert got.shape == (rows, out_features) and got.dtype == torch.float32
        assert torch.equal(got, q.NATIVE_GEMV.linear(x, stored, scale, b, 4, 8))
        error = (got.double() - _reference(x, stored, scale, b, 4)).abs()
        assert (error <= 1.01 * _q8_rounding_bound(x, stored, scale, 4) + 1e-5).all()


@needs_interleaved
def test_the_interleaved_kernel_gives_the_same_bits_on_any_number_of_threads() -> None:
    # 1037 rows: many chunks of whole blocks, then a partial block past the last full one.
    stored, scale = _operands(4, 1037, 2048, seed=31)
    held = native_gemv.interleave_int4(stored)
    bias = torch.randn(1037, generator=torch.Generator().manual_seed(32))
    lib = q.NATIVE_GEMV.library()
    for rows in (1, 3):
        x = _activations(rows, 2048, seed=33)
        outs = [native_gemv.NativeGemv._run(lib, x, held, scale, bias, 4, threads=t, activations=8, interleaved=True)
                for t in (1, 2, 3, 1, 2)]
        assert torch.equal(outs[0], q.NATIVE_GEMV.linear(x, stored, scale, bias, 4, 8))
        for got in outs[1:]:
            assert torch.equal(got, outs[0])


@needs_interleaved
def test_the_interleaved_kernel_gives_nan_for_non_finite_activations_and_refuses_partial_groups() -> None:
    stored, scale = _operands(4, 19, 576, seed=1)
    held = native_gemv.interleave_int4(stored)
    x = torch.randn(3, 576, generator=torch.Generator().manual_seed(0))
    x[0, 300] = float("nan")
    x[1, 10] = float("inf")
    x[2, 575] = float("-inf")
    assert q.NATIVE_GEMV.linear(x, held, scale, None, 4, 8, interleaved=True).isnan().all()
    odd, odd_scale = _operands(4, 16, 96, seed=2)  # 96 columns: a partial 64-column group
    with pytest.raises(RuntimeError, match="bad operands"):
        q.NATIVE_GEMV.linear(torch.randn(1, 96), odd, odd_scale, None, 4, 8, interleaved=True)
    with pytest.raises(ValueError, match="int4 weights on int8 activations"):
        q.NATIVE_GEMV.linear(torch.randn(1, 576), held, scale, None, 4, 16, interleaved=True)


@needs_interleaved
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_an_int4_layer_held_interleaved_decodes_prefills_and_saves_as_the_stored_layout(monkeypatch,
                                                                                        dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    linear = torch.nn.Linear(4160, 300).to(dtype)
    layers = {}
    for interleaved in (True, False):
        with monkeypatch.context() as m:
            use_native_decode(m, True, 8, interleaved=interleaved)
            layers[interleaved] = q.QuantizedLinear.from_linear(linear, 4)
    held, stored = layers[True], layers[False]
    assert held.layout == q.INTERLEAVED_INT4_LAYOUT and stored.layout == q.CHATGLM_LAYOUT
    assert not torch.equal(held.weight, stored.weight)
    assert torch.equal(held.chatglm_weight(), stored.weight)
    assert torch.equal(held.state_dict()["weight"], stored.state_dict()["weight"])  # checkpoints keep the layout
    use_native_decode(monkeypatch, True, 8, interleaved=True)
    decode = torch.randn(1, 2, 4160, generator=torch.Generator().manual_seed(3)).to(dtype)
    prompt = torch.randn(1, 40, 4160, generator=torch.Generator().manual_seed(4)).to(dtype)
    monkeypatch.setattr(q._KERNELS[4], "dequantized_prefill_is_faster", lambda rows, dtype=None: True)
    with torch.inference_mode():
        for x in (decode, prompt):
            assert torch.equal(held(x), stored(x))
    # A differentiable input takes the dequantizing path, which reads the rows back in the ChatGLM layout.
    grad_x = decode.detach().requires_grad_(True)
    assert torch.equal(held(grad_x), stored(grad_x))


@needs_interleaved
def test_a_layer_is_held_interleaved_only_where_the_kernel_reads_that_layout(monkeypatch) -> None:
    linear = torch.nn.Linear(4160, 300)
    use_native_decode(monkeypatch, True, 8, interleaved=True)
    assert q.QuantizedLinear.from_linear(torch.nn.Linear(100, 300), 4).layout == q.CHATGLM_LAYOUT  # partial group
    long_rows = native_gemv.INTERLEAVE_MAX_COLUMNS + 64  # long rows already stream well as stored
    assert q.QuantizedLinear.from_linear(torch.nn.Linear(long_rows, 16), 4).layout == q.CHATGLM_LAYOUT
    assert q.QuantizedLinear.from_linear(torch.nn.Linear(native_gemv.INTERLEAVE_MAX_COLUMNS, 16), 4).layout == (
        q.INTERLEAVED_INT4_LAYOUT)
    assert q.QuantizedLinear.from_linear(linear, 8).layout == q.CHATGLM_LAYOUT  # int8 reads rows as stored
    monkeypatch.setattr(q.NATIVE_GEMV, "_interleaved_ok", False)  # failed its check in this process
    assert q.QuantizedLinear.from_linear(linear, 4).layout == q.CHATGLM_LAYOUT


@needs_interleaved
@pytest.mark.parametrize("saved", ["native-interleaved", "native"])
def test_the_int4_decode_pick_weighs_the_interleaved_layout(monkeypatch, tmp_path: Path, saved: str) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path))
    assert q.decode_path_choice(4) != "int4_decode_path_streamed"  # picks made without it are not reused
    machine_choice.save_choice(q.decode_path_choice(4), machine_choice.machine_key(), saved, {})
    kernel = q._CpuKernel(4)
    assert kernel.native_decode() and kernel.native_choice_source == "saved"
    assert kernel.native_interleaved() == (saved == "native-interleaved")
    assert kernel.decode_kernel_name() == saved and kernel.native_activation_bits() == 8
    # Where that path failed its check, a saved pick of it is not used: the kernels are timed again.
    monkeypatch.setattr(q.NATIVE_GEMV, "_interleaved_ok", False)
    again = q._CpuKernel(4)
    again.native_decode()
    assert not again.native_interleaved()
    assert (again.native_choice_source == "measured") == (saved == "native-interleaved")


@needs_interleaved
def test_greedy_output_with_interleaved_weights_equals_the_stored_layout(monkeypatch, demo_models) -> None:
    outputs = {}
    for interleaved in (True, False):
        with monkeypatch.context() as m:
            use_native_decode(m, True, 8, interleaved=interleaved)
            model = ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path, quantization_bit=4)
            layouts = {lin.layout for lin in model.modules() if isinstance(lin, q.QuantizedLinear)}
            assert layouts == {q.INTERLEAVED_INT4_LAYOUT if interleaved else q.CHATGLM_LAYOUT}
            outputs[interleaved] = _greedy_runs(model)
    for a, b in zip(outputs[True], outputs[False], strict=True):
        assert torch.equal(a, b)


@needs_interleaved
def test_a_model_held_interleaved_saves_and_reloads_the_chatglm_layout(monkeypatch, demo_models,
                                                                       tmp_path: Path) -> None:
    use_native_decode(monkeypatch, True, 8, interleaved=True)
    model = ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path, quantization_bit=4)
    qkv = model.transformer.layers[0].attention.query_key_value
    assert qkv.layout == q.INTERLEAVED_INT4_LAYOUT
    model.save_pretrained(tmp_path / "q")
    with monkeypatch.context() as m:
        use_native_decode(m, True, 8)  # read back as stored: the bytes on disk are the ChatGLM layout's
        stored = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "q")
        stored_qkv = stored.transformer.layers[0].attention.query_key_value
        assert stored_qkv.layout == q.CHATGLM_LAYOUT and torch.equal(stored_qkv.weight, qkv.chatglm_weight())
    again = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "q")
    assert again.transformer.layers[0].attention.query_key_value.layout == q.INTERLEAVED_INT4_LAYOUT
    cfg = model.config
    ids = torch.tensor([[10, 20, 30, 40, cfg.gmask_token_id, cfg.bos_token_id]])
    expected = model.generate(ids, max_new_tokens=8, eos_token_id=-1)
    assert torch.equal(again.generate(ids, max_new_tokens=8, eos_token_id=-1), expected)
    assert torch.equal(stored.generate(ids, max_new_tokens=8, eos_token_id=-1), expected)


@needs_interleaved
@pytest.mark.parametrize("shape", [(37, 640), (8, 64), (3, 64), (259, 4096), (17, 128)])
@pytest.mark.parametrize("out_dtype", [torch.float32, torch.bfloat16])
def test_the_dequantizer_reads_interleaved_rows_in_place_with_torch_bits(shape: tuple[int, int],
                                                                         out_dtype: torch.dtype) -> None:
    assert q.NATIVE_GEMV.dequantize_available(), q.NATIVE_GEMV.dequantize_reason
    out_features, in_features = shape
    stored, scale = _operands(4, out_features, in_features, seed=out_features + 5)
    held = native_gemv.interleave_int4(stored)
    expected = q.dequantize(stored, scale, 4, torch.float32).to(out_dtype)
    threads = torch.get_num_threads()
    try:
        for count in (1, 2):
            torch.set_num_threads(count)
            for r0, r1 in ((0, out_features), (1, out_features - 1), (8, 16), (out_features - 2, out_features), (5, 5)):
                r0, r1 = max(0, min(r0, out_features)), max(0, min(r1, out_features))
                got = q.NATIVE_GEMV.dequantize_interleaved(held, r0, r1, scale[r0:r1].contiguous(),
                                                           torch.full((r1 - r0, in_features), float("nan"),
                                                                      dtype=out_dtype))
                assert torch.equal(got, expected[r0:r1]), (shape, r0, r1, count)
    finally:
        torch.set_num_threads(threads)
    with pytest.raises(ValueError, match="disagree in shape"):
        q.NATIVE_GEMV.dequantize_interleaved(held, 0, 2, scale[:3].contiguous(), torch.empty(2, in_features))


@needs_interleaved
def test_the_prompt_pass_on_an_interleaved_layer_reads_it_in_place_and_is_unchanged(monkeypatch) -> None:
    monkeypatch.setattr(q._KERNELS[4], "dequantized_prefill_is_faster", lambda rows, dtype=None: True)
    torch.manual_seed(3)
    linear = torch.nn.Linear(4096, 300)
    layers = {}
    for interleaved in (True, False):
        with monkeypatch.context() as m:
            use_native_decode(m, True, 8, interleaved=interleaved)
            layers[interleaved] = q.QuantizedLinear.from_linear(linear, 4)
    assert layers[True].layout == q.INTERLEAVED_INT4_LAYOUT and layers[False].layout == q.CHATGLM_LAYOUT
    calls = []
    real = q.NATIVE_GEMV.dequantize_interleaved
    monkeypatch.setattr(q.NATIVE_GEMV, "dequantize_interleaved", lambda *a: calls.append(a) or real(*a))
    monkeypatch.setattr(q, "_DEQUANTIZER_CHOICE", {4: True})
    choose_fused_prompt(monkeypatch, False, bits=(4,))  # the blocks' fill
    x = torch.randn(1, 40, 4096, generator=torch.Generator().manual_seed(4))
    with torch.inference_mode():
        got, want = layers[True](x), layers[False](x)
    assert calls and torch.equal(got, want)
    if native_prompt.NATIVE_PROMPT_GEMM.available():  # the fused product reads both layouts' rows to the same bits
        choose_fused_prompt(monkeypatch, True, bits=(4,))
        calls.clear()
        with torch.inference_mode():
            got, want = layers[True](x), layers[False](x)
        assert not calls and torch.equal(got, want)
