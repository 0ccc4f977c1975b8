"""Weight-only int8 / int4 quantization of ChatGLM's Linear layers (embeddings and LayerNorms stay as they are).

Format (the original's, so pre-quantized checkpoints load): ``weight`` int8 with one symmetric scale per
output row in ``weight_scale`` (w ~= q * scale, scale = max|w| / 127 or / 7). int4 packs two values per
byte along the input dimension: the even column in the high nibble, the odd column in the low nibble.

CPU: decode steps (few rows) run the fastest correct kernel of three, timed once per machine: a small C
kernel compiled at first use (``native_gemv``: int8, and int4 in the layout above, read as stored or held
interleaved by row blocks, converted at load and back when saved), or
torch's fused kernels ``_weight_int8pack_mm`` and ``_weight_int4pack_mm_for_cpu`` (int4 weights then held
in its packed layout, converted at load and back when saved) with activations in the dtype they are fast
in (checked and timed once per process), cast back afterwards. A prompt pass runs whichever is faster
here: torch's kernel, or fp32 GEMMs on dequantized row blocks (``cpu_gemm``). Without a usable kernel, row blocks are dequantized per matmul. CUDA: NVRTC
kernels (``cuda_quantized``): a decode step's one-row product straight from the integers, a prompt pass through
the dequantized float16 weight; each checked once against torch, which they fall back to.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.chatglm import cpu_gemm, machine_choice, native_prompt, torch_threads
from workbench.chatglm.cpu_gemm import MARGIN, PROBE_ROWS
from workbench.chatglm.cuda_quantized import CudaQuantizedKernels
from workbench.chatglm.modeling import ChatGLM
from workbench.chatglm.native_gemv import (
    NATIVE_GEMV,
    deinterleave_int4,
    interleave_int4,
    interleave_supported,
)
from workbench.errors import UnsupportedModelError

logger = logging.getLogger(__name__)

QUANTIZED_LINEARS = ("attention.query_key_value", "attention.dense", "mlp.dense_h_to_4h", "mlp.dense_4h_to_h")
_QMAX = {8: 127, 4: 7}
# Rows dequantized at once on CPU: bounds the temporary to ~8 MB of fp32 per block.
_BLOCK_ELEMENTS = 2 * 1024 * 1024


def quantize_weight(weight: Tensor, bits: int) -> tuple[Tensor, Tensor]:
    """Symmetric per-row quantization: (int8 weight, packed for int4; scale [out]) with the weight's dtype."""
    if bits not in _QMAX:
        raise UnsupportedModelError(f"quantization_bit={bits} is not supported (use 4 or 8)")
    w = weight.detach().float()
    # Divided by a tensor, not a Python number: CUDA divides by a number as a product with its reciprocal,
    # one float32 ulp off the CPU's quotient, so the same weights gave other scales on a GPU.
    scale = w.abs().amax(dim=1) / torch.tensor(float(_QMAX[bits]), device=w.device)
    scale = torch.where(scale == 0, torch.ones_like(scale), scale)
    q = torch.round(w / scale[:, None]).clamp_(-_QMAX[bits], _QMAX[bits]).to(torch.int8)
    if bits == 4:
        q = pack_int4(q)
    return q, scale.to(weight.dtype)


def pack_int4(q: Tensor) -> Tensor:
    """Pack int4 values ([-8, 7], int8 [out, in], in even) two per byte: even column high, odd low."""
    if q.shape[-1] % 2:
        raise UnsupportedModelError(f"int4 quantization needs an even input size, got {q.shape[-1]}")
    hi = q[..., 0::2].to(torch.int16) & 0xF
    lo = q[..., 1::2].to(torch.int16) & 0xF
    return ((hi << 4) | lo).to(torch.uint8).view(torch.int8)


def unpack_int4(packed: Tensor) -> Tensor:
    """Inverse of :func:`pack_int4` (sign-extended int8 [out, 2 * in_packed])."""
    hi = packed >> 4  # arithmetic shift keeps the sign
    lo = ((packed & 0xF) ^ 8) - 8
    return torch.stack((hi, lo), dim=-1).flatten(-2)


def dequantize(weight: Tensor, scale: Tensor, bits: int, dtype: torch.dtype | None = None) -> Tensor:
    """The float weight [out, in] (in ``dtype``, default the scale's)."""
    q = unpack_int4(weight) if bits == 4 else weight
    dtype = dtype or scale.dtype
    return q.to(dtype) * scale.to(dtype)[:, None]


_TIMING_PROBE = 4096
# A decode step streams gigabytes of weights, so kernels are timed on weights read from memory: each call
# of a probe takes the next of several copies of the 4096 x 4096 probe weight (16 MB int8, 8 MB int4), all
# the candidates of one choice taking turns on one rotation, with enough copies that the copy a call reads
# has been evicted from the last-level cache since its last use. A weight that fit the cache compared
# kernels on cached weights and, at full size, kept torch's kernel where the C kernel streams faster.
_PROBE_CACHE_MULTIPLE = 2  # the copies together hold at least this many last-level caches
_PROBE_MIN_COPIES = 3
_PROBE_MAX_COPIES = 16
NATIVE_INT8 = "native"  # the compiled kernel on int8 activations
NATIVE_INT16 = "native-int16"  # ... on int16 activations
NATIVE_INTERLEAVED = "native-interleaved"  # ... on int8 activations, int4 weights interleaved by row blocks
_DTYPE_BY_NAME = {"bfloat16": torch.bfloat16, "float32": torch.float32}


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def decode_path_choice(bits: int) -> str:
    """The machine-choice name of the int``bits`` decode kernel pick. Picks made under an earlier rule are
    not reused: timed on a cached probe; int4's without the interleaved layout or before its nibbles were
    held offset; and any made while torch's kernel was kept unless a compiled one was clearly faster."""
    return f"int{bits}_decode_path_prefer_compiled"


def activation_dtype_choice(bits: int) -> str:
    """The machine-choice name of the int``bits`` fused kernel's activation dtype pick (streamed probe)."""
    return f"int{bits}_activation_dtype_streamed"


def probe_copies(weight_bytes: int) -> int:
    """How many copies of a ``weight_bytes`` probe weight a timing rotates through (see _TIMING_PROBE)."""
    wanted = -(-_PROBE_CACHE_MULTIPLE * machine_choice.last_level_cache_bytes() // max(weight_bytes, 1))
    return min(_PROBE_MAX_COPIES, max(_PROBE_MIN_COPIES, wanted))


def _rotating(build: Callable[[], list[Callable[[], object]]], turn: Iterator[int]) -> Callable[[], object]:
    """A call that runs the next of the calls ``build`` returns, on the shared rotation ``turn``. They are
    built at the first call: a pick saved for this machine times nothing, so it copies nothing either."""
    calls: list[Callable[[], object]] = []

    def call() -> object:
        if not calls:
            calls.extend(build())
        return calls[next(turn) % len(calls)]()
    return call


def _copies(t: Tensor, count: int) -> list[Tensor]:
    return [t] + [t.clone() for _ in range(count - 1)]


class _CpuKernel:
    """One of torch's fused CPU weight-only kernels: correctness checked once per process, speed once per
    machine.

    ``activation_dtype()`` is the dtype the kernel runs its activations in: among those that give correct
    results in this process, the fastest on a one-row (decode) input, whatever the model's dtype, timed
    once per machine (``machine_choice``: median of interleaved rounds, bf16 kept within a margin, saved
    in the cache directory). On AVX2 machines the kernels are vectorised for bf16 only: fp32 activations
    were measured 8-15x slower there.
    ``dequantized_prefill_is_faster(rows, dtype)`` says whether a prompt pass runs faster through GEMMs in
    ``dtype`` on dequantized blocks than through the kernel (timed once per dtype; on AVX2 the fp32 GEMMs
    win, by far for long prompts).
    """

    CANDIDATES = (torch.bfloat16, torch.float32)

    def __init__(self, bits: int) -> None:
        self.bits = bits
        self._dtype: torch.dtype | None | bool = False  # False = not checked yet
        self._native: bool | None = None  # None = not chosen yet
        self._native_activations: int | None = None  # 8 or 16 once chosen (see native_activation_bits)
        self._native_interleaved = False  # int4: the interleaved layout was chosen (see native_interleaved)
        # Per GEMM dtype: ((intercept, s per row) of the kernel, the same of the dequantized blocks).
        self._prefill_fits: dict[torch.dtype, tuple[tuple[float, float], tuple[float, float]]] = {}
        self.choice_source = ""  # "saved" (this machine's file) or "measured" (timed in this process)
        self.native_choice_source = ""

    def _op_available(self) -> bool:
        if self.bits == 8:
            return hasattr(torch, "_weight_int8pack_mm")
        return hasattr(torch, "_weight_int4pack_mm_for_cpu") and INT4_LAYOUT.usable()

    def supports(self, in_features: int) -> bool:
        """Whether torch's kernel may run on a layer with ``in_features`` inputs. int8: only a multiple of 16.
        torch 2.13's AVX-512 int8 kernel reads past the row with bfloat16 activations otherwise: with two rows
        or more it crashed the process (SIGSEGV) or returned wrong sums, and with one row of 4,104 columns
        wrong sums (every K not a multiple of 16 from 8 to 4,104, 2-37 rows, on a Zen 4 EPYC; fp32 and fp16
        activations and every multiple of 16 were right). A crash cannot be probed for in the process, so the
        rule is by shape; ChatGLM's own layers (4,096 and 16,384 inputs) are multiples. int4's layout has its
        own rule (``Int4CpuLayout.supports``)."""
        return self.bits != 8 or in_features % 16 == 0

    def activation_dtype(self) -> torch.dtype | None:
        if self._dtype is False:
            self._dtype = self._choose()
        return self._dtype if isinstance(self._dtype, torch.dtype) else None

    def _probe(self, out_features: int, in_features: int) -> tuple[Tensor, Tensor]:
        gen = torch.Generator().manual_seed(0)
        q = torch.randint(-_QMAX[self.bits], _QMAX[self.bits] + 1, (out_features, in_features), dtype=torch.int8,
                          generator=gen)
        scale = torch.rand(out_features, generator=gen) / 64 + 1e-3
        return q, scale

    def run(self, x2: Tensor, weight: Tensor, scale: Tensor) -> Tensor:
        """The kernel on ``x2`` [rows, in] in the activation dtype; ``weight`` in this kernel's layout and
        ``scale`` [out] (int4: the [groups, out, 2] scales-and-zeros tensor) in the same dtype."""
        if self.bits == 8:
            return torch._weight_int8pack_mm(x2, weight, scale)
        return torch._weight_int4pack_mm_for_cpu(
            x2, weight.view(torch.uint8), INT4_LAYOUT.group_size(x2.shape[-1]), scale
        )

    def kernel_operands(self, q: Tensor, scale: Tensor, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
        """(weight, scale operand) for a ChatGLM-layout quantized weight ``q`` (tests and probes)."""
        if self.bits == 8:
            return q, scale.to(dtype)
        return INT4_LAYOUT.pack(unpack_int4(q)), INT4_LAYOUT.scales_and_zeros(scale, q.shape[1] * 2, dtype)

    def _choose(self) -> torch.dtype | None:
        if not self._op_available():
            return None
        correct = self._correct_candidates()
        if not correct:
            return None
        # Timing on a decode-shaped input, once per machine: a saved pick is reused while the CPU, torch
        # and the thread count stay the same (``machine_choice``); correctness is checked above per process.
        # A 16 MB weight: the dtypes' compute gap (8-15x on AVX2) then dwarfs the milliseconds that waking
        # a thread can take on a loaded machine, which made a 1 MB probe a coin toss.
        q, scale = self._probe(_TIMING_PROBE, _TIMING_PROBE)
        if self.bits == 4:
            q = pack_int4(q)
        x = torch.randn(1, _TIMING_PROBE, generator=torch.Generator().manual_seed(2))
        runs = {}
        count, turn = probe_copies(q.numel()), itertools.count()
        for dtype in correct:
            def build(dtype: torch.dtype = dtype) -> list[Callable[[], object]]:
                w, s = self.kernel_operands(q, scale, dtype)
                return [self._timed_call(x.to(dtype), c, s) for c in _copies(w, count)]
            runs[_dtype_name(dtype)] = _rotating(build, turn)
        # Prefer bf16 unless fp32 is clearly faster: on AVX2 the kernels are vectorised for bf16 only.
        name, self.choice_source = machine_choice.choose_once_per_machine(
            activation_dtype_choice(self.bits), runs, preferred=("bfloat16",), margin=MARGIN
        )
        return _DTYPE_BY_NAME[name]

    def native_decode(self) -> bool:
        """Whether decode steps run the compiled kernel (``native_gemv``) rather than torch's path here:
        only when it compiled and passed its correctness check in this process, and was clearly faster
        than torch's path (its kernel in :meth:`activation_dtype`, or per-matmul dequantization) on a
        decode-shaped input, timed once per machine."""
        if self._native is None:
            self._native = self._choose_native()
        return self._native

    def _choose_native(self) -> bool:
        if not NATIVE_GEMV.available():
            return False
        q, scale = self._probe(_TIMING_PROBE, _TIMING_PROBE)
        stored = pack_int4(q) if self.bits == 4 else q
        x = torch.randn(1, _TIMING_PROBE, generator=torch.Generator().manual_seed(2))
        act = self.activation_dtype()
        count, turn = probe_copies(stored.numel()), itertools.count()
        copies: list[Tensor] = []

        def stored_copies() -> list[Tensor]:
            if not copies:
                copies.extend(_copies(stored, count))
            return copies

        def torch_calls() -> list[Callable[[], object]]:
            if act is None:
                return [partial(_dequantized_product, x, c, scale, self.bits) for c in stored_copies()]
            w, s = self.kernel_operands(stored, scale, act)
            return [self._timed_call(x.to(act), c, s) for c in _copies(w, count)]

        def native(activations: int) -> Callable[[], object]:
            return _rotating(lambda: [partial(NATIVE_GEMV.linear, x, c, scale, None, self.bits, activations)
                                      for c in stored_copies()], turn)

        def interleaved() -> list[Callable[[], object]]:
            return [partial(NATIVE_GEMV.linear, x, interleave_int4(c), scale, None, 4, 8, interleaved=True)
                    for c in stored_copies()]

        torch_path = _rotating(torch_calls, turn)
        candidates: dict[str, Callable[[], object]] = {"torch": torch_path, NATIVE_INT16: native(16)}
        if NATIVE_GEMV.q8_available():
            candidates[NATIVE_INT8] = native(8)
        if self.bits == 4 and NATIVE_GEMV.interleaved_available():
            candidates[NATIVE_INTERLEAVED] = _rotating(interleaved, turn)
        # The fastest compiled path runs unless torch's is clearly faster: a compiled product also lets
        # whole decode steps run in C (native_step), whose saved per-token overhead this product-only
        # timing does not see (a Zen 4 machine timed torch's int8 kernel 4% faster than the int16 path and
        # then decoded through the torch forward at 0.17 of the bandwidth limit, against 0.55 in C steps).
        name, self.native_choice_source = machine_choice.choose_once_per_machine(
            decode_path_choice(self.bits), candidates, margin=MARGIN,
            preferred=lambda timings: sorted((n for n in timings if n != "torch"), key=timings.__getitem__),
        )
        logger.info("int%d decode steps run the %s kernel (%s)", self.bits, name, self.native_choice_source)
        self._native_activations = 8 if name in (NATIVE_INT8, NATIVE_INTERLEAVED) else 16
        self._native_interleaved = name == NATIVE_INTERLEAVED
        return name != "torch"

    def native_interleaved(self) -> bool:
        """Whether int4 decode steps run the compiled kernel on weights interleaved by row blocks (layers
        then hold that layout, built at load: :data:`INTERLEAVED_INT4_LAYOUT`)."""
        return self.native_decode() and self._native_interleaved and NATIVE_GEMV.interleaved_available()

    def native_activation_bits(self) -> int:
        """The activation precision of the compiled kernel's decode path: 8 when chosen (or, with the kernel
        forced on, whenever the int8-activation path passed its check), else 16."""
        if self._native_activations is None:
            return 8 if NATIVE_GEMV.q8_available() else 16
        return self._native_activations

    def decode_kernel_name(self) -> str:
        """What decode steps run here: "native" (the compiled kernel, int8 activations), "native-interleaved"
        (the same on int4 weights interleaved by row blocks), "native-int16",
        "torch-<activation dtype>" or "dequantize"."""
        if self.native_interleaved():
            return NATIVE_INTERLEAVED
        if self.native_decode():
            return NATIVE_INT8 if self.native_activation_bits() == 8 else NATIVE_INT16
        act = self.activation_dtype()
        return "dequantize" if act is None else f"torch-{_dtype_name(act)}"

    def _timed_call(self, x1: Tensor, w: Tensor, s: Tensor) -> Callable[[], object]:
        def call() -> object:
            with torch.inference_mode():
                return self.run(x1, w, s)
        return call

    def _correct_candidates(self) -> list[torch.dtype]:
        """The candidate dtypes whose results match the fp32 reference on a small probe (every process)."""
        q, scale = self._probe(256, 512)
        if self.bits == 4:
            q = pack_int4(q)
        x = torch.randn(3, 512, generator=torch.Generator().manual_seed(1))
        ref = x @ dequantize(q, scale, self.bits, torch.float32).T
        correct = []
        for dtype in self.CANDIDATES:
            try:
                w, s = self.kernel_operands(q, scale, dtype)
                got = self.run(x.to(dtype), w, s).float()
            except Exception:  # noqa: BLE001 - a private op may be missing or reject the dtype
                continue
            tol = 1e-3 if dtype == torch.float32 else 5e-2
            if torch.allclose(got, ref, rtol=tol, atol=tol * ref.abs().max().item()):
                correct.append(dtype)
        return correct

    def dequantized_prefill_is_faster(self, rows: int, dtype: torch.dtype = torch.float32) -> bool:
        """Whether GEMMs in ``dtype`` on dequantized blocks beat this kernel on a ``rows``-row prompt pass.

        The kernel's time grows with the rows as a matrix-vector product's does; the dequantized path pays
        a fixed dequantization, then gains from the GEMM's reuse. Both are timed once, on 64 and 256 rows,
        and compared by their straight-line fits; the kernel must be clearly faster to be chosen.
        """
        if dtype not in self._prefill_fits:
            self._prefill_fits[dtype] = self._time_prefill_paths(dtype)
        (kernel_a, kernel_b), (dequantized_a, dequantized_b) = self._prefill_fits[dtype]
        return not (kernel_a + kernel_b * rows) * MARGIN < dequantized_a + dequantized_b * rows

    def _time_prefill_paths(self, gemm_dtype: torch.dtype) -> tuple[tuple[float, float], tuple[float, float]]:
        """(intercept, seconds per row) of the kernel and of the dequantized path, as the prompt pass runs
        them: through the fused C product in the GEMMs' dtype where it was chosen over blocks here (timed
        against blocks alone, the kernel was once chosen at 4.5 ms a mid-size layer where the fused product
        took 1.3), else blocks. The two are timed in turn, so that a machine others are loading slows both
        alike (timed minutes apart, a kernel 2x slower on 256 rows was once chosen)."""
        dtype = self.activation_dtype()
        if dtype is None:
            return (float("inf"), 0.0), (0.0, 0.0)
        out_features, in_features = 512, 2048
        q, scale = self._probe(out_features, in_features)
        probe = QuantizedLinear(in_features, out_features, self.bits, bias=False)
        probe.set_quantized_weight(pack_int4(q) if self.bits == 4 else q)
        probe.weight_scale = scale
        if self.bits == 4 and probe.layout != CPU_INT4_LAYOUT:
            return (float("inf"), 0.0), (0.0, 0.0)
        operand = probe.kernel_scale(dtype)
        align = INT4_LAYOUT.block if probe.layout == CPU_INT4_LAYOUT else 1
        gen = torch.Generator().manual_seed(2)
        sizes = (PROBE_ROWS, 4 * PROBE_ROWS)
        inputs = [torch.randn(n, in_features, generator=gen).to(gemm_dtype) for n in sizes]
        kernel_s = [float("inf")] * len(sizes)
        dequantized_s = [float("inf")] * len(sizes)
        def fill(buffer: Tensor, r0: int, r1: int) -> Tensor:
            return _dequantize_rows_into(buffer, probe, r0, r1)

        def kernel(x: Tensor) -> Tensor:
            return self.run(x.to(dtype), probe.weight, operand).float() * scale

        fused_layout = _fused_prompt_layout(probe)
        fused = fused_layout is not None and _fused_prompt_chosen(self.bits, gemm_dtype)
        routine = native_prompt.prompt_gemm(gemm_dtype)
        scale32, _ = probe.native_operands()

        def dequantized(x: Tensor) -> Tensor | None:
            if fused and fused_layout is not None:
                return routine.linear(x, probe.weight, fused_layout, scale32, None)
            return cpu_gemm.blocked_linear(x, out_features, fill, None, row_align=align, dtype=gemm_dtype)

        with torch.inference_mode():
            kernel(inputs[0]), dequantized(inputs[0])  # warm-up: first calls allocate
            for _ in range(2):
                for i, x in enumerate(inputs):
                    kernel_s[i] = min(kernel_s[i], _seconds(partial(kernel, x)))
                    dequantized_s[i] = min(dequantized_s[i], _seconds(partial(dequantized, x)))

        def fit(times: list[float]) -> tuple[float, float]:
            per_row = (times[1] - times[0]) / (sizes[1] - sizes[0])
            return times[0] - per_row * sizes[0], per_row

        return fit(kernel_s), fit(dequantized_s)


class Int4CpuLayout:
    """torch's packed int4 CPU layout (``_convert_weight_to_int4pack_for_cpu``), learned once per process.

    torch packs rows in blocks of ``block`` (32 on AVX2, 64 on AVX-512): per block, for each input column
    ``k``, ``block / 2`` bytes whose low and high nibbles hold unsigned values (q + 8) of given rows. The
    row of each nibble is read off packing probe matrices, and the whole inverse is verified against
    torch's packing on a random matrix; any mismatch disables the kernel (the dequantizing path runs).
    Checkpoints keep the original ChatGLM layout: weights are converted at load and back when saved.
    """

    GROUP_SIZES = (128, 64, 32)

    def __init__(self) -> None:
        self._checked = False
        self.block = 0
        self._low_rows = torch.empty(0, dtype=torch.long)
        self._high_rows = torch.empty(0, dtype=torch.long)

    def usable(self) -> bool:
        if not self._checked:
            self._checked = True
            try:
                self._learn()
            except Exception as exc:  # noqa: BLE001 - a private op may be missing or behave differently
                logger.info("int4 CPU kernel layout not usable (%s); int4 dequantizes per matmul", exc)
                self.block = 0
        return self.block > 0

    @staticmethod
    def _torch_pack(unsigned: Tensor) -> Tensor:
        return torch._convert_weight_to_int4pack_for_cpu(unsigned.to(torch.int32).contiguous(), 2).view(torch.uint8)

    def _learn(self) -> None:
        if not hasattr(torch, "_convert_weight_to_int4pack_for_cpu"):
            raise RuntimeError("this torch has no _convert_weight_to_int4pack_for_cpu")
        n, k = 128, 2
        rows = torch.arange(n)[:, None].expand(n, k)
        cols = torch.arange(k)[None].expand(n, k)
        low_id = self._torch_pack(rows % 16).reshape(-1)
        high_id = self._torch_pack(rows // 16).reshape(-1)
        col_id = self._torch_pack(cols).reshape(-1)
        half = int((col_id & 0xF).ne(0).nonzero()[0])  # bytes per input column in one row block
        self.block = 2 * half
        self._low_rows = ((low_id[:half] & 0xF) + 16 * (high_id[:half] & 0xF)).long()
        self._high_rows = ((low_id[:half] >> 4) + 16 * (high_id[:half] >> 4)).long()
        probe = torch.randint(0, 16, (4 * self.block, 96), generator=torch.Generator().manual_seed(0))
        if not torch.equal(self.pack(probe - 8), self._torch_pack(probe)) or not torch.equal(
            self.unpack(self._torch_pack(probe)), probe - 8
        ):
            raise RuntimeError("the learned int4 layout does not reproduce torch's packing")

    def supports(self, out_features: int, in_features: int) -> bool:
        return self.usable() and out_features % self.block == 0 and in_features % self.GROUP_SIZES[-1] == 0

    def group_size(self, in_features: int) -> int:
        return next(g for g in self.GROUP_SIZES if in_features % g == 0)

    def pack(self, q: Tensor) -> Tensor:
        """Signed int4 values [out, in] (int8, [-8, 7]) -> torch's packed layout, uint8 [out, in / 2]."""
        out_features, in_features = q.shape
        u = (q.to(torch.int16) + 8).to(torch.uint8).view(out_features // self.block, self.block, in_features)
        u = u.transpose(1, 2)  # [blocks, in, block]
        packed = u[..., self._low_rows] | (u[..., self._high_rows] << 4)
        return packed.reshape(out_features, in_features // 2)

    def unpack(self, packed: Tensor) -> Tensor:
        """Inverse of :meth:`pack`: signed int8 values [out, in]."""
        out_features, in_features = packed.shape[0], packed.shape[1] * 2
        p = packed.view(torch.uint8).view(out_features // self.block, in_features, self.block // 2)
        u = torch.empty(p.shape[0], in_features, self.block, dtype=torch.uint8, device=packed.device)
        u[..., self._low_rows] = p & 0xF
        u[..., self._high_rows] = p >> 4
        return (u.transpose(1, 2).reshape(out_features, in_features).to(torch.int8) - 8)

    def halves_split(self) -> bool:
        """Whether each row block's first half sits in the low nibbles and its second in the high ones."""
        half = self.block // 2
        return bool(
            torch.equal(self._low_rows, torch.arange(half)) and torch.equal(self._high_rows, torch.arange(half, self.block))
        )

    def scales_and_zeros(self, scale: Tensor, in_features: int, dtype: torch.dtype) -> Tensor:
        """The kernel's [groups, out, 2] (scale, zero) tensor for ChatGLM's one scale per row (zero = 0)."""
        groups = in_features // self.group_size(in_features)
        s = scale.to(dtype)
        return torch.stack((s, torch.zeros_like(s)), dim=-1)[None].expand(groups, -1, -1).contiguous()


INT4_LAYOUT = Int4CpuLayout()
_KERNELS = {8: _CpuKernel(8), 4: _CpuKernel(4)}


def _dequantized_product(x: Tensor, stored: Tensor, scale: Tensor, bits: int) -> Tensor:
    return x @ dequantize(stored, scale, bits, torch.float32).T


def _seconds(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def cpu_kernel_dtype(bits: int) -> torch.dtype | None:
    """The activation dtype the fused CPU kernel for ``bits`` runs in here (None: no usable kernel)."""
    return _KERNELS[bits].activation_dtype()


def _dequantized_rows(layer: QuantizedLinear, r0: int, r1: int, dtype: torch.dtype) -> Tensor:
    scale = layer.weight_scale[r0:r1].to(dtype)[:, None]
    if layer.bits == 8:
        return layer.weight[r0:r1].to(dtype) * scale
    if layer.layout == CPU_INT4_LAYOUT:
        return INT4_LAYOUT.unpack(layer.weight[r0:r1]).to(dtype) * scale
    return unpack_int4(layer.chatglm_rows(r0, r1)).to(dtype) * scale


def _dequantize_rows_into(buffer: Tensor, layer: QuantizedLinear, r0: int, r1: int) -> Tensor:
    """Rows r0:r1 of the weight, dequantized in ``buffer``'s dtype (a :data:`cpu_gemm.BlockFill`): in fp32
    the same values as :func:`_dequantized_rows` (q * scale, one rounding), in bf16 those rounded to bf16
    (one rounding for a bf16 model's scales), written in place with no temporary larger than the packed
    rows."""
    rows, in_features = r1 - r0, layer.in_features
    if layer.layout != CPU_INT4_LAYOUT and _native_dequantizer(layer.bits):
        scale32, _ = layer.native_operands()
        w = buffer.view(rows, in_features)
        if layer.layout == INTERLEAVED_INT4_LAYOUT:  # read in place, not copied back into the ChatGLM layout
            return NATIVE_GEMV.dequantize_interleaved(layer.weight, r0, r1, scale32[r0:r1], w)
        return NATIVE_GEMV.dequantize(layer.chatglm_rows(r0, r1), scale32[r0:r1], w, layer.bits)
    scale = layer.weight_scale[r0:r1]
    if layer.bits == 8:
        w = buffer.view(rows, in_features).copy_(layer.weight[r0:r1])
        return w.mul_(scale[:, None])
    if layer.layout == CPU_INT4_LAYOUT:
        # torch's packing interleaves the rows of each block (32 or 64 of them, by the CPU: 64 on AVX-512),
        # so only whole blocks slice out; blocked_linear asks for those (row_align).
        block = INT4_LAYOUT.block
        if r0 % block or (r1 % block and r1 != layer.out_features):
            raise ValueError(f"rows {r0}:{r1} of a cpu-int4 weight must start and end on {block}-row blocks")
        return _unpack_cpu_int4_into(buffer, layer.weight[r0:r1], scale, in_features)
    packed = layer.chatglm_rows(r0, r1)
    # The ChatGLM layout: even column in the high nibble, odd in the low one.
    pairs = buffer.view(rows, in_features // 2, 2)
    pairs[..., 0].copy_(packed >> 4)  # arithmetic shift keeps the sign
    pairs[..., 1].copy_(((packed & 0xF) ^ 8) - 8)
    return buffer.view(rows, in_features).mul_(scale[:, None])


_DEQUANTIZER_CHOICE: dict[int, bool] = {}


def _native_dequantizer(bits: int) -> bool:
    """Whether the prompt pass dequantizes ChatGLM-layout rows with the compiled dequantizer: it passed its
    bit-for-bit check in this process and was clearly faster than torch's ops here (timed once per machine
    on a 4 MB block, as the prompt pass fills them)."""
    if bits not in _DEQUANTIZER_CHOICE:
        _DEQUANTIZER_CHOICE[bits] = NATIVE_GEMV.dequantize_available() and _time_dequantizers(bits) == "native"
    return _DEQUANTIZER_CHOICE[bits]


def _time_dequantizers(bits: int) -> str:
    in_features = 4096
    rows = cpu_gemm.UPCAST_BLOCK_ELEMENTS // in_features
    gen = torch.Generator().manual_seed(3)
    q = torch.randint(-_QMAX[bits], _QMAX[bits] + 1, (rows, in_features), dtype=torch.int8, generator=gen)
    stored = pack_int4(q) if bits == 4 else q
    scale = torch.rand(rows, generator=gen) + 0.01
    buffer = torch.empty(rows, in_features)

    def with_torch() -> object:
        if bits == 8:
            return buffer.copy_(stored).mul_(scale[:, None])
        pairs = buffer.view(rows, in_features // 2, 2)
        pairs[..., 0].copy_(stored >> 4)
        pairs[..., 1].copy_(((stored & 0xF) ^ 8) - 8)
        return buffer.mul_(scale[:, None])

    with torch.inference_mode():
        name, source = machine_choice.choose_once_per_machine(
            f"int{bits}_prompt_dequantizer",
            {"torch": with_torch, "native": partial(NATIVE_GEMV.dequantize, stored, scale, buffer, bits)},
            preferred=("torch",), margin=MARGIN,
        )
    logger.info("int%d prompt passes dequantize with %s (%s)", bits, name, source)
    return name


def _unpack_cpu_int4_into(buffer: Tensor, packed: Tensor, scale: Tensor, in_features: int) -> Tensor:
    """Rows in torch's packed int4 CPU layout, dequantized into ``buffer``. Where the layout puts the first
    half of each row block in the low nibbles and the second half in the high ones (AVX2 and AVX-512
    alike), each nibble plane is already the block's transpose: two contiguous copies give [blocks, in,
    block] with no transpose, which ``blocked_linear`` multiplies batched."""
    block = INT4_LAYOUT.block
    half = block // 2
    rows = packed.shape[0]
    if not INT4_LAYOUT.halves_split():
        w = buffer.view(rows, in_features).copy_(INT4_LAYOUT.unpack(packed))
        return w.mul_(scale[:, None])
    # A nibble holds q + 8; xor 0x88 turns both nibbles of a byte into q's 4-bit two's complement, which
    # arithmetic shifts sign-extend (measured 2x faster than masking, subtracting and a transpose).
    signed = packed.view(rows // block, in_features, half) ^ -0x78
    u = buffer.view(rows // block, in_features, block)
    u[..., half:].copy_(signed >> 4)
    signed <<= 4
    u[..., :half].copy_(signed >> 4)
    return u.mul_(scale.view(rows // block, 1, block))


def _cpu_quantized_linear(x: Tensor, layer: QuantizedLinear) -> Tensor:
    kernel = _KERNELS[layer.bits]
    # The compiled kernel has no backward: a differentiable input keeps torch's path.
    if (layer.layout != CPU_INT4_LAYOUT and not cpu_gemm.is_prompt_pass(x) and not x.requires_grad
            and kernel.native_decode()):
        x2 = x.reshape(-1, x.shape[-1]).float()
        scale, bias = layer.native_operands()
        if layer.layout == INTERLEAVED_INT4_LAYOUT:
            y = NATIVE_GEMV.linear(x2, layer.weight, scale, bias, 4, 8, interleaved=True)
        else:
            y = NATIVE_GEMV.linear(x2, layer.weight, scale, bias, layer.bits, kernel.native_activation_bits())
        return y.to(x.dtype).view(*x.shape[:-1], layer.out_features)
    act = _kernel_activation_dtype(layer)
    if cpu_gemm.is_prompt_pass(x):
        gemm_dtype = cpu_gemm.quantized_prompt_gemm_dtype(x)
        if _prompt_pass_dequantizes(layer, x.numel() // x.shape[-1], gemm_dtype):
            fused = _fused_prompt_product(x, layer, gemm_dtype)
            if fused is not None:
                return fused
            align = INT4_LAYOUT.block if layer.layout == CPU_INT4_LAYOUT else 1
            with torch_threads.products_on_all_threads():
                return cpu_gemm.blocked_linear(
                    x, layer.out_features, lambda buffer, r0, r1: _dequantize_rows_into(buffer, layer, r0, r1),
                    layer.bias, row_align=align, dtype=gemm_dtype,
                )
    if act is not None:
        x2 = x.reshape(-1, x.shape[-1]).to(act).contiguous()
        with torch_threads.products_on_all_threads():
            y = kernel.run(x2, layer.weight, layer.kernel_scale(act))
        scale = layer.weight_scale
        if scale.dtype != act:
            # The kernel ran with unit scales: apply the row scales at the model's precision. A mixed
            # multiply upcasts exactly on the fly when the scales are the wider dtype (one op, no copy).
            y = torch.mul(y, scale) if torch.promote_types(act, scale.dtype) == scale.dtype else y.to(scale.dtype) * scale
        y = y.to(x.dtype)
        if layer.bias is not None:
            y.add_(layer.bias)  # y is this call's own tensor
        return y.view(*x.shape[:-1], layer.out_features)
    # No kernel: dequantize row blocks in the activations' dtype.
    with torch_threads.products_on_all_threads():
        return _blocked_dequantized_linear(x, layer)


def _kernel_activation_dtype(layer: QuantizedLinear) -> torch.dtype | None:
    """The activations' dtype of torch's packed kernel for ``layer``, or None where it cannot run it."""
    kernel = _KERNELS[layer.bits]
    kernel_ready = (layer.bits == 8 or layer.layout == CPU_INT4_LAYOUT) and kernel.supports(layer.in_features)
    return kernel.activation_dtype() if kernel_ready else None


def _prompt_pass_dequantizes(layer: QuantizedLinear, rows: int, gemm_dtype: torch.dtype) -> bool:
    """Whether a CPU prompt pass of ``rows`` rows dequantizes ``layer``'s weights (fused or into blocks) rather
    than running torch's packed kernel."""
    return (_kernel_activation_dtype(layer) is None
            or _KERNELS[layer.bits].dequantized_prefill_is_faster(rows, gemm_dtype))


def fused_prompt_products(layer: QuantizedLinear, rows: int, dtype: torch.dtype) -> torch.dtype | None:
    """The dtype of the fused C products (bf16 or fp32) through which the forward's CPU prompt pass of ``rows``
    rows of activations in ``dtype`` multiplies ``layer`` (the path ``_cpu_quantized_linear`` takes), or None where
    it takes another path; ``native_step`` runs whole prompt passes, calling the same routine from C, only where
    every layer takes the same one."""
    if rows < cpu_gemm.PREFILL_MIN_ROWS or dtype not in (torch.float32, torch.bfloat16):
        return None
    # cpu_gemm.quantized_prompt_gemm_dtype's rule for CPU activations in ``dtype``
    gemm = torch.bfloat16 if cpu_gemm.GEMM_RATES.bf16_prefill() else torch.float32
    layout = _fused_prompt_layout(layer)
    if layout is None or not native_prompt.prompt_gemm(gemm).takes(layer.weight, layout, layer.in_features):
        return None
    fused = _prompt_pass_dequantizes(layer, rows, gemm) and _fused_prompt_chosen(layer.bits, gemm)
    return gemm if fused else None


def _fused_prompt_layout(layer: QuantizedLinear) -> int | None:
    """The fused product's code for ``layer``'s layout, or None (torch's packed int4 layout)."""
    if layer.layout == INTERLEAVED_INT4_LAYOUT:
        return native_prompt.INT4_INTERLEAVED
    if layer.layout == CHATGLM_LAYOUT:
        return native_prompt.INT8 if layer.bits == 8 else native_prompt.INT4
    return None


def _fused_prompt_product(x: Tensor, layer: QuantizedLinear, dtype: torch.dtype) -> Tensor | None:
    """A prompt pass through the fused C product whose products run in ``dtype`` (bf16 or fp32, the dtype the
    blocked path's GEMMs would run in; :mod:`native_prompt`) where it applies and was timed faster than the
    blocked path on this machine, in ``x``'s dtype; None elsewhere."""
    layout = _fused_prompt_layout(layer)
    if layout is None or not _fused_prompt_chosen(layer.bits, dtype):
        return None
    scale32, bias32 = layer.native_operands()
    y = native_prompt.prompt_gemm(dtype).linear(x, layer.weight, layout, scale32, bias32)
    return None if y is None else y.to(x.dtype)


# (bits, the products' dtype) -> whether the fused product runs prompt passes here.
_FUSED_PROMPT_CHOICE: dict[tuple[int, torch.dtype], bool] = {}


def _fused_prompt_chosen(bits: int, dtype: torch.dtype) -> bool:
    """Whether the fused product in ``dtype`` passed its check in this process and was clearly faster than the
    blocked path (blocks in ``dtype`` and torch's GEMMs) on a 64-row pass here, timed once per machine."""
    key = (bits, dtype)
    if key not in _FUSED_PROMPT_CHOICE:
        _FUSED_PROMPT_CHOICE[key] = (native_prompt.prompt_gemm(dtype).available()
                                     and _time_prompt_products(bits, dtype) == "fused")
    return _FUSED_PROMPT_CHOICE[key]


def _time_prompt_products(bits: int, dtype: torch.dtype) -> str:
    # A layer of the 6B model's hidden size, where the choice matters most: on small ones the threads' wake-ups
    # weigh as much as the products (on a 2-core Zen 4 a 4096 x 4096 layer ran 1.25-1.45x faster fused in bf16,
    # the model's layers 1.2-1.5x; an AVX2 build's fp32 products ran 1.7-2x the fp32 blocks' rate).
    in_features, out_features = 4096, 4096
    q, scale = _KERNELS[bits]._probe(out_features, in_features)
    probe = QuantizedLinear(in_features, out_features, bits, bias=False)
    probe.set_quantized_weight(pack_int4(q) if bits == 4 else q)
    probe.weight_scale = scale
    layout = _fused_prompt_layout(probe)
    if layout is None:
        return "blocks"
    scale32, _ = probe.native_operands()
    x = torch.randn(PROBE_ROWS, in_features, generator=torch.Generator().manual_seed(4)).to(dtype)
    routine = native_prompt.prompt_gemm(dtype)

    def fill(buffer: Tensor, r0: int, r1: int) -> Tensor:
        return _dequantize_rows_into(buffer, probe, r0, r1)

    def blocks() -> object:
        return cpu_gemm.blocked_linear(x, out_features, fill, None, dtype=dtype)

    # The bf16 choice keeps the name it was saved under before the fp32 routine existed.
    key = f"int{bits}_prompt_product" + ("" if dtype == torch.bfloat16 else "_f32")
    with torch.inference_mode():
        name, source = machine_choice.choose_once_per_machine(
            key, {"blocks": blocks, "fused": partial(routine.linear, x, probe.weight, layout, scale32, None)},
            preferred=("blocks",), margin=MARGIN,
        )
    logger.info("int%d prompt passes with %s products run %s (%s)", bits, dtype, name, source)
    return name


def _blocked_dequantized_linear(x: Tensor, layer: QuantizedLinear) -> Tensor:
    x2 = x.reshape(-1, x.shape[-1])
    out_features = layer.out_features
    align = INT4_LAYOUT.block if layer.layout == CPU_INT4_LAYOUT else 1
    rows = max(align, _BLOCK_ELEMENTS // x.shape[-1] // align * align)
    if rows >= out_features:
        y = F.linear(x2, _dequantized_rows(layer, 0, out_features, x.dtype), layer.bias)
        return y.view(*x.shape[:-1], out_features)
    y = x2.new_empty(x2.shape[0], out_features)
    for r0 in range(0, out_features, rows):
        r1 = min(r0 + rows, out_features)
        y[:, r0:r1] = x2 @ _dequantized_rows(layer, r0, r1, x.dtype).T
    if layer.bias is not None:
        y += layer.bias
    return y.view(*x.shape[:-1], out_features)


_CUDA_KERNELS = CudaQuantizedKernels(dequantize)


def cuda_quantized_linear(x: Tensor, weight: Tensor, scale: Tensor, bias: Tensor | None, bits: int) -> Tensor:
    """y = x @ dequant(weight).T + bias on CUDA, for a weight in the original ChatGLM layout: one row of
    activations (a decode step) straight from the integers, several through the dequantized weight."""
    y = _CUDA_KERNELS.one_row_product(x, weight, scale, bits)
    if y is None:
        return F.linear(x, _CUDA_KERNELS.dequantize(weight, scale, bits).to(x.dtype), bias)
    return y if bias is None else y.add_(bias)


CHATGLM_LAYOUT = "chatglm"
CPU_INT4_LAYOUT = "cpu-int4"
INTERLEAVED_INT4_LAYOUT = "interleaved-int4"  # native_gemv.interleave_int4: row blocks interleaved, nibbles offset


class QuantizedLinear(nn.Module):
    """A weight-only quantized Linear: int8 ``weight`` (packed for int4), ``weight_scale`` and ``bias``.

    On CPU an int4 weight is held in torch's packed kernel layout (``layout == "cpu-int4"``) when that
    kernel works here, or interleaved by row blocks (``"interleaved-int4"``) when the compiled kernel decodes
    on that layout here; ``state_dict()`` always gives the original ChatGLM layout, so checkpoints keep it.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bits: int,
        bias: bool = True,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        if bits not in _QMAX:
            raise UnsupportedModelError(f"quantization_bit={bits} is not supported (use 4 or 8)")
        if bits == 4 and in_features % 2:
            raise UnsupportedModelError(f"int4 quantization needs an even input size, got {in_features}")
        self.in_features = in_features
        self.out_features = out_features
        self.bits = bits
        self.layout = CHATGLM_LAYOUT
        self._kernel_scale: tuple[Tensor, torch.dtype, Tensor] | None = None
        self._native_operands: tuple[Tensor, Tensor | None, Tensor, Tensor | None] | None = None
        packed = in_features // 2 if bits == 4 else in_features
        self.register_buffer("weight", torch.empty(out_features, packed, dtype=torch.int8, device=device))
        self.register_buffer("weight_scale", torch.empty(out_features, dtype=dtype, device=device))
        self.bias = nn.Parameter(torch.empty(out_features, dtype=dtype, device=device)) if bias else None

    @classmethod
    def from_linear(cls, linear: nn.Linear, bits: int) -> QuantizedLinear:
        """Quantize an existing float Linear."""
        w = linear.weight
        module = cls(linear.in_features, linear.out_features, bits, linear.bias is not None, w.dtype, w.device)
        q, scale = quantize_weight(w, bits)
        module.set_quantized_weight(q)
        module.weight_scale = scale
        if linear.bias is not None:
            module.bias = nn.Parameter(linear.bias.detach().clone(), requires_grad=False)
        return module

    def set_float_weight(self, weight: Tensor) -> None:
        """Quantize ``weight`` [out, in] into this module (used while loading a float checkpoint)."""
        if tuple(weight.shape) != (self.out_features, self.in_features):
            raise ValueError(f"expected weight [{self.out_features}, {self.in_features}], got {tuple(weight.shape)}")
        q, scale = quantize_weight(weight, self.bits)
        self.set_quantized_weight(q)
        self.weight_scale = scale

    def set_quantized_weight(self, q: Tensor) -> None:
        """Adopt a weight in the original ChatGLM layout (int8; int4 packed two per byte), converting an
        int4 one on CPU to the layout its decode kernel reads on this machine (torch's packed one, or the
        compiled kernel's interleaved one: a new tensor in place of ``q``, never a second resident copy)."""
        self.layout = CHATGLM_LAYOUT
        if (
            self.bits == 4
            and q.device.type == "cpu"
            and interleave_supported(self.out_features, self.in_features)
            and _KERNELS[4].native_interleaved()
        ):
            q = interleave_int4(q)
            self.layout = INTERLEAVED_INT4_LAYOUT
        elif (
            self.bits == 4
            and q.device.type == "cpu"
            and INT4_LAYOUT.supports(self.out_features, self.in_features)
            and cpu_kernel_dtype(4) is not None
            and not _KERNELS[4].native_decode()  # the compiled kernel reads the original layout
        ):
            q = self._to_cpu_int4(q)
            self.layout = CPU_INT4_LAYOUT
        self.weight = q

    def _to_cpu_int4(self, q: Tensor) -> Tensor:
        # Row blocks bound the unpacked temporaries (loading must stay near the quantized size).
        out = torch.empty(q.shape, dtype=torch.int8)
        step = max(INT4_LAYOUT.block, _BLOCK_ELEMENTS // self.in_features // INT4_LAYOUT.block * INT4_LAYOUT.block)
        for r0 in range(0, self.out_features, step):
            r1 = min(r0 + step, self.out_features)
            out[r0:r1] = INT4_LAYOUT.pack(unpack_int4(q[r0:r1])).view(torch.int8)
        return out

    def chatglm_rows(self, r0: int, r1: int) -> Tensor:
        """Rows [r0, r1) of the weight in the original ChatGLM layout (a view when it is held so); not for
        torch's packed layout, whose rows the callers unpack themselves."""
        if self.layout == INTERLEAVED_INT4_LAYOUT:
            return deinterleave_int4(self.weight, r0, r1)
        if self.layout != CHATGLM_LAYOUT:
            raise ValueError(f"rows of a {self.layout} weight are not in the ChatGLM layout")
        return self.weight[r0:r1]

    def chatglm_weight(self) -> Tensor:
        """The weight in the original ChatGLM layout (what checkpoints hold)."""
        if self.layout == CHATGLM_LAYOUT:
            return self.weight
        if self.layout == INTERLEAVED_INT4_LAYOUT:
            return deinterleave_int4(self.weight)
        out = torch.empty(self.weight.shape, dtype=torch.int8)
        step = max(INT4_LAYOUT.block, _BLOCK_ELEMENTS // self.in_features // INT4_LAYOUT.block * INT4_LAYOUT.block)
        for r0 in range(0, self.out_features, step):
            r1 = min(r0 + step, self.out_features)
            out[r0:r1] = pack_int4(INT4_LAYOUT.unpack(self.weight[r0:r1]))
        return out

    def kernel_scale(self, dtype: torch.dtype) -> Tensor:
        """The fused kernel's scale operand in ``dtype``, cached: the row scales when the model runs in
        that dtype, else unit scales (the row scales are then applied afterwards, at full precision)."""
        cached = self._kernel_scale
        if cached is not None and cached[0] is self.weight_scale and cached[1] == dtype:
            return cached[2]
        scale = self.weight_scale if self.weight_scale.dtype == dtype else torch.ones_like(self.weight_scale)
        if self.bits == 8:
            operand = scale.to(dtype)
        else:
            operand = INT4_LAYOUT.scales_and_zeros(scale, self.in_features, dtype)
        self._kernel_scale = (self.weight_scale, dtype, operand)
        return operand

    def native_operands(self) -> tuple[Tensor, Tensor | None]:
        """(scale, bias) in float32 for the compiled kernel, cached while the tensors stay the same."""
        cached = self._native_operands
        if cached is not None and cached[0] is self.weight_scale and cached[1] is self.bias:
            return cached[2], cached[3]
        scale32 = self.weight_scale.float().contiguous()
        bias32 = None if self.bias is None else self.bias.detach().float().contiguous()
        self._native_operands = (self.weight_scale, self.bias, scale32, bias32)
        return scale32, bias32

    def _save_to_state_dict(self, destination: dict[str, Any], prefix: str, keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        if self.layout != CHATGLM_LAYOUT:
            destination[prefix + "weight"] = self.chatglm_weight()

    def forward(self, x: Tensor) -> Tensor:
        if x.device.type == "cuda" or self.weight.device.type == "cuda":
            return cuda_quantized_linear(x, self.chatglm_weight(), self.weight_scale, self.bias, self.bits)
        return _cpu_quantized_linear(x, self)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bits={self.bits}"


def quantize_model(model: ChatGLM, bits: int, embeddings: bool = False) -> ChatGLM:
    """Replace every block's Linear layers by :class:`QuantizedLinear` in place; record it in the config.

    ``embeddings`` also quantizes the tied embedding / lm_head table (int8 per row)."""
    if bits not in _QMAX:
        raise UnsupportedModelError(f"quantization_bit={bits} is not supported (use 4 or 8)")
    for layer in model.transformer.layers:
        for name in QUANTIZED_LINEARS:
            parent_name, _, attr = name.rpartition(".")
            parent = layer.get_submodule(parent_name)
            current = getattr(parent, attr)
            if isinstance(current, QuantizedLinear):
                if current.bits != bits:
                    raise UnsupportedModelError(
                        f"model is already quantized to {current.bits} bits, cannot requantize to {bits}"
                    )
                continue
            setattr(parent, attr, QuantizedLinear.from_linear(current, bits))
    model.config.quantization_bit = bits
    if embeddings:  # after the blocks: their float weights are gone before the table's are read
        quantize_table(model)
    return model


def quantize_rows(weight: Tensor, bits: int) -> tuple[Tensor, Tensor]:
    """:func:`quantize_weight` on bounded row blocks: the fp32 temporary stays small for a 130528-row table."""
    rows = max(1, _BLOCK_ELEMENTS // max(weight.shape[1], 1))
    # Filled in place: a list of blocks joined at the end would hold the quantized table twice.
    q = torch.empty(weight.shape[0], weight.shape[1] // 2 if bits == 4 else weight.shape[1], dtype=torch.int8,
                    device=weight.device)
    scale = torch.empty(weight.shape[0], dtype=weight.dtype, device=weight.device)
    for r0 in range(0, weight.shape[0], rows):
        q[r0:r0 + rows], scale[r0:r0 + rows] = quantize_weight(weight[r0:r0 + rows], bits)
    return q, scale


# The tied word-embedding / lm_head table, when quantized ("quantization_embeddings", as THUDM's
# chatglm-6b-int4-qe): int8 with one scale per row by default. The lm_head reads the whole table every
# token, and int8 keeps its logits close to the float table's at half the bf16 bytes.
EMBEDDING_BITS = 8


class QuantizedEmbedding(nn.Module):
    """The word-embedding table quantized per row: ``weight`` int8 [vocab, hidden] (int4: packed two per
    byte, the original qe layout), ``weight_scale`` [vocab]. A lookup dequantizes only the rows it needs;
    :meth:`tie` shares the same tensors with a :class:`QuantizedLinear` lm_head, so no float copy exists."""

    def __init__(self, num_embeddings: int, embedding_dim: int, bits: int = EMBEDDING_BITS,
                 dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> None:
        super().__init__()
        if bits not in _QMAX:
            raise UnsupportedModelError(f"embedding quantization to {bits} bits is not supported (use 4 or 8)")
        if bits == 4 and embedding_dim % 2:
            raise UnsupportedModelError(f"int4 quantization needs an even hidden size, got {embedding_dim}")
        self.num_embeddings, self.embedding_dim, self.bits = num_embeddings, embedding_dim, bits
        packed = embedding_dim // 2 if bits == 4 else embedding_dim
        self.register_buffer("weight", torch.empty(num_embeddings, packed, dtype=torch.int8, device=device))
        self.register_buffer("weight_scale", torch.empty(num_embeddings, dtype=dtype, device=device))

    @classmethod
    def from_embedding(cls, embedding: nn.Embedding, bits: int = EMBEDDING_BITS) -> QuantizedEmbedding:
        w = embedding.weight
        module = cls(embedding.num_embeddings, embedding.embedding_dim, bits, w.dtype, w.device)
        module.set_float_weight(w)
        return module

    def set_float_weight(self, weight: Tensor) -> None:
        """Quantize a float table [vocab, hidden] into this module, in bounded row blocks."""
        if tuple(weight.shape) != (self.num_embeddings, self.embedding_dim):
            raise ValueError(f"expected table [{self.num_embeddings}, {self.embedding_dim}], "
                             f"got {tuple(weight.shape)}")
        dtype: torch.dtype = self._buffers["weight_scale"].dtype  # type: ignore[union-attr]
        q, scale = quantize_rows(weight.detach(), self.bits)
        self.weight = q
        self.weight_scale = scale.to(dtype)

    def forward(self, input_ids: Tensor) -> Tensor:
        flat = input_ids.reshape(-1)
        rows = dequantize(self.weight[flat], self.weight_scale[flat], self.bits)
        return rows.view(*input_ids.shape, self.embedding_dim)

    def tie(self, lm_head: nn.Module) -> None:
        """Make ``lm_head`` (a QuantizedLinear [vocab, hidden] without bias) read this table in place."""
        if not isinstance(lm_head, QuantizedLinear) or lm_head.bits != self.bits:
            raise UnsupportedModelError("a quantized embedding table needs a quantized lm_head of the same bits")
        lm_head.weight = self.weight
        lm_head.weight_scale = self.weight_scale
        lm_head.layout = CHATGLM_LAYOUT  # the table's own layout: no second, converted copy

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}, bits={self.bits}"


def _require_tied(config: Any) -> None:
    if not config.tie_word_embeddings:
        raise UnsupportedModelError(
            "a quantized embedding table (quantization_embeddings) is one table for the embeddings and the lm_head: "
            "it needs tie_word_embeddings: true")


def table_is_quantized(model: ChatGLM) -> bool:
    """Whether the model's tied embedding / lm_head table is quantized."""
    return isinstance(model.transformer.word_embeddings, QuantizedEmbedding)


def use_quantized_table(model: ChatGLM, bits: int, dtype: torch.dtype, device: torch.device | str | None) -> None:
    """Swap the embedding and lm_head for empty quantized ones sharing one table (before loading weights)."""
    c = model.config
    _require_tied(c)
    # The attributes are typed as the float modules that every other model has.
    model.transformer.word_embeddings = QuantizedEmbedding(  # type: ignore[assignment]
        c.vocab_size, c.hidden_size, bits, dtype, device)
    model.lm_head = QuantizedLinear(  # type: ignore[assignment]
        c.hidden_size, c.vocab_size, bits, bias=False, dtype=dtype, device=device)
    model.tie_weights()


def quantize_table(model: ChatGLM, bits: int = EMBEDDING_BITS) -> ChatGLM:
    """Quantize a float model's tied table in place (the blocks are left as they are)."""
    if table_is_quantized(model):
        return model
    _require_tied(model.config)
    table = QuantizedEmbedding.from_embedding(model.transformer.word_embeddings, bits)
    model.transformer.word_embeddings = table  # type: ignore[assignment]
    model.lm_head = QuantizedLinear(  # type: ignore[assignment]
        model.config.hidden_size, model.config.vocab_size, bits, bias=False,
        dtype=table.weight_scale.dtype, device=table.weight.device)
    model.tie_weights()
    model.config.quantization_embeddings = True
    return model


def empty_quantized_layers(model: ChatGLM, bits: int, dtype: torch.dtype) -> None:
    """Swap the blocks' Linear layers for empty (meta) QuantizedLinear shells before loading weights."""
    for layer in model.transformer.layers:
        for name in QUANTIZED_LINEARS:
            parent_name, _, attr = name.rpartition(".")
            parent = layer.get_submodule(parent_name)
            current = getattr(parent, attr)
            setattr(
                parent, attr,
                QuantizedLinear(current.in_features, current.out_features, bits, current.bias is not None,
                                dtype, "meta"),
            )
