"""Few-row int8 / int4 products in C for decoding on CPU (``native_gemv.c``), as the original ChatGLM-6B
compiled its CPU kernels: plain C through ctypes, built at first use with the system compiler.

torch's fused weight-only kernels are compute-bound on AVX2 CPUs without VNNI (about 22 G int8 and 13 G
int4 weights/s on two cores, against a memory read rate of ~28 GB/s), so a decode step cannot reach the
memory limit through them. This kernel reads the weights as checkpoints hold them (int8, or int4 two per
byte) and runs on torch's thread count, its output rows shared out by a work pool that never waits for a
thread the scheduler has not run (see ``native_gemv.c``). It has two activation precisions:

- ``activations=8`` (the decode path): each activation row is quantized to int8 with one scale per
  :data:`Q8_BLOCK` columns (as llama.cpp's Q8_0 blocks) and multiplied with ``vpmaddubsw``, 32
  multiply-adds per instruction pair. Per column the rounding is at most 1/254 of its block's largest
  value, as fine as an int8 weight's own rounding.
- ``activations=16``: int16 per :data:`ACTIVATION_BLOCK` columns and ``vpmaddwd`` (2^-16 of a block's
  largest value; half the arithmetic rate). Used where the int8 path failed its check or is not faster.

int4 weights can also be held interleaved by blocks of :data:`INTERLEAVE` rows (:func:`interleave_int4`,
built once at load time in place of the ChatGLM layout, the same bytes reordered with their nibbles offset by
8): a block is then one contiguous stream, which the int8-activation path reads at close to the memory's rate
where the ChatGLM layout's several row streams reached 0.55-0.85 of it (see ``native_gemv.c``).
:func:`deinterleave_int4` gives the ChatGLM layout back (checkpoints, the differentiable path).

``dequantize`` writes weight rows as fp32 (or bf16) for the prompt pass's GEMMs, the same bits as torch's
``q.float() * scale`` (``.to(torch.bfloat16)``); ``dequantize_interleaved`` the same from interleaved rows,
read in place.

The library is compiled once into ``<cache dir>/native/`` (``$WORKBENCH_CACHE_DIR``, else ``.cache``),
named by a hash of the source, the compiler and its flags, so a changed source or compiler builds a new
one. It is used only on CPUs with AVX2 and FMA (then ``-march=native``), and only after a correctness
check of each path in every process: the int16 products against the dequantized fp32 reference on random
layers of odd shapes; the int8-activation products against that reference computed on the activations as
the kernel rounds them (:func:`quantize_activations_q8`); the dequantizer bit for bit. Any failure (no
compiler, ``$CC`` not found, a compile error, a library that does not load, wrong results) is logged with
its reason and the callers keep the path before it (the int16 kernel, or torch's); a cached library that
does not load is rebuilt once. Nothing here touches CUDA.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch import Tensor

from workbench.chatglm import machine_choice, torch_threads

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("native_gemv.c")
COMPILER_ENV = "CC"
REQUIRED_CPU_FLAGS = ("avx2", "fma", "f16c")  # f16c: the fp16 KV-cache loads (every AVX2 CPU has it)
FLAGS = ("-O3", "-fPIC", "-fopenmp", "-shared", "-march=native")
ACTIVATION_BLOCK = 256  # columns per int16 activation scale: BLOCK in native_gemv.c
Q8_BLOCK = 32  # columns per int8 activation scale: QB in native_gemv.c
INTERLEAVE = 8  # rows per block of the interleaved int4 layout: INTERLEAVE in native_gemv.c
INTERLEAVE_GROUP_BYTES = 32  # a row's bytes per 64-column group
# Interleaved bytes are held with both nibbles offset by 8 (signed q as q + 8, 0..15): the kernel's inner loop
# then needs no XOR per 32 bytes (native_gemv.c). As int8, 0x88 is -120.
INTERLEAVE_NIBBLE_FLIP = -120
# Rows longer than this stay as stored: measured on a quiet 2-core Zen 3, [4096, 16384] streamed at 0.85-0.98 of
# a plain read in the ChatGLM layout against 0.73-0.87 interleaved, while the 4096-column products gained
# (0.52-0.72 -> 0.68-0.91 on 2 threads). INTERLEAVE_MAX_COLUMNS in native_step.c.
INTERLEAVE_MAX_COLUMNS = 8192
_COMPILE_TIMEOUT_S = 180
# Max |error| / max |reference| accepted by the self-check: int16 activations per 256-column block are
# exact to ~2^-16 of a block's largest value; a wrong kernel is off by orders of magnitude more.
TOLERANCE = 2e-4
# The int8-activation path is checked against the reference on its own rounded activations, so only fp32
# summation separates them: max |error| / sum |terms| (a 1% wrong scale is 1e-2).
Q8_TOLERANCE = 1e-5


class NativeKernelError(RuntimeError):
    """Why the native kernel cannot be used here (logged; torch's path runs instead)."""


def _compiler() -> str:
    name = os.environ.get(COMPILER_ENV) or "gcc"
    found = shutil.which(name)
    if found is None:
        raise NativeKernelError(f"C compiler {name!r} not found (set ${COMPILER_ENV} or install gcc)")
    return found


def _compiler_version(cc: str) -> str:
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise NativeKernelError(f"C compiler {cc} does not run ({exc})") from exc
    return out.stdout.splitlines()[0] if out.stdout else ""


def library_path(cc: str, version: str, source: bytes) -> Path:
    """Where the library built from ``source`` by ``cc`` (``version``) with :data:`FLAGS` is cached."""
    key = hashlib.sha256(b"\0".join([source, cc.encode(), version.encode(), " ".join(FLAGS).encode()]))
    return machine_choice.cache_dir() / "native" / f"gemv-{key.hexdigest()[:16]}.so"


def compile_library(cc: str, source: Path, target: Path, flags: tuple[str, ...] = FLAGS) -> None:
    """Compile ``source`` into the shared library ``target`` (this kernel's, or another that includes it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: a concurrent process never loads half a library.
    fd, tmp = tempfile.mkstemp(prefix=f".{source.stem}-", suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        out = subprocess.run([cc, *flags, str(source), "-o", tmp, "-lm"], capture_output=True, text=True,
                             timeout=_COMPILE_TIMEOUT_S)
        if out.returncode != 0:
            raise NativeKernelError(f"compiling {source.name} failed: {out.stderr.strip()[-600:]}")
        os.replace(tmp, target)
    except (OSError, subprocess.SubprocessError) as exc:
        raise NativeKernelError(f"compiling {source.name} failed ({exc})") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _bind(path: Path) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(path))
    for name in ("wb_gemv_int8", "wb_gemv_int4", "wb_gemv_int4_interleaved", "wb_gemv16_int8", "wb_gemv16_int4"):
        fn = getattr(lib, name)
        fn.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                       ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        fn.restype = ctypes.c_int
    lib.wb_dequantize.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                  ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.wb_dequantize.restype = None
    lib.wb_dequantize_int4_interleaved.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                                   ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                                   ctypes.c_int]
    lib.wb_dequantize_int4_interleaved.restype = None
    lib.wb_read.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    lib.wb_read.restype = ctypes.c_uint64
    return lib


def _unpacked(weight: Tensor, bits: int) -> Tensor:
    if bits == 8:
        return weight
    return torch.stack((weight >> 4, ((weight & 0xF) ^ 8) - 8), dim=-1).flatten(-2)


def interleave_supported(out_features: int, in_features: int) -> bool:
    """Whether an int4 weight of this shape is held interleaved: whole 64-column groups, one full block, and
    rows of at most :data:`INTERLEAVE_MAX_COLUMNS` (longer rows already stream well as stored)."""
    return in_features % 64 == 0 and in_features <= INTERLEAVE_MAX_COLUMNS and out_features >= INTERLEAVE


def _interleave_view(weight: Tensor, blocks: int) -> Tensor:
    """The first ``blocks`` row blocks of a packed int4 weight as [blocks, rows, groups, group bytes]."""
    groups = weight.shape[1] // INTERLEAVE_GROUP_BYTES
    return weight[:blocks * INTERLEAVE].view(blocks, INTERLEAVE, groups, INTERLEAVE_GROUP_BYTES)


def interleave_int4(weight: Tensor) -> Tensor:
    """A ChatGLM-layout int4 weight [out, in / 2] in the interleaved layout (a new tensor of the same shape):
    per block of :data:`INTERLEAVE` rows, group by group, each row's 32 bytes with both nibbles offset
    (XOR :data:`INTERLEAVE_NIBBLE_FLIP`); the rows past the last full block as they were. See
    :func:`interleave_supported`."""
    out = torch.empty_like(weight)
    blocks = weight.shape[0] // INTERLEAVE
    groups = weight.shape[1] // INTERLEAVE_GROUP_BYTES
    held = out[:blocks * INTERLEAVE]
    held.view(blocks, groups, INTERLEAVE, INTERLEAVE_GROUP_BYTES).copy_(
        _interleave_view(weight, blocks).transpose(1, 2))
    held.bitwise_xor_(INTERLEAVE_NIBBLE_FLIP)
    out[blocks * INTERLEAVE:] = weight[blocks * INTERLEAVE:]
    return out


def deinterleave_int4(weight: Tensor, r0: int = 0, r1: int | None = None) -> Tensor:
    """Rows [r0, r1) of an interleaved int4 weight (all of it by default) in the ChatGLM layout."""
    out_features = weight.shape[0]
    r1 = out_features if r1 is None else r1
    full = out_features // INTERLEAVE * INTERLEAVE
    b0, b1 = r0 // INTERLEAVE, min(-(-r1 // INTERLEAVE), full // INTERLEAVE)
    parts = []
    if b1 > b0:
        groups = weight.shape[1] // INTERLEAVE_GROUP_BYTES
        block_rows = weight[b0 * INTERLEAVE:b1 * INTERLEAVE].view(b1 - b0, groups, INTERLEAVE, INTERLEAVE_GROUP_BYTES)
        rows = torch.empty((b1 - b0) * INTERLEAVE, weight.shape[1], dtype=weight.dtype, device=weight.device)
        rows.view(b1 - b0, INTERLEAVE, groups, INTERLEAVE_GROUP_BYTES).copy_(block_rows.transpose(1, 2))
        rows.bitwise_xor_(INTERLEAVE_NIBBLE_FLIP)  # a new tensor: the held weight is not touched
        parts.append(rows[r0 - b0 * INTERLEAVE:min(r1, full) - b0 * INTERLEAVE])
    if r1 > full:
        parts.append(weight[max(r0, full):r1])
    if not parts:
        return weight[r0:r1].clone()
    return parts[0].contiguous() if len(parts) == 1 else torch.cat(parts)


def relative_error(got: Tensor, ref: Tensor) -> float:
    """max |got - ref| / max |ref|: what every native self-check compares with its tolerance."""
    return (got - ref).abs().max().item() / max(ref.abs().max().item(), 1e-30)


def _reference(x: Tensor, weight: Tensor, scale: Tensor, bias: Tensor | None, bits: int) -> Tensor:
    y = x.double() @ (_unpacked(weight, bits).double() * scale.double()[:, None]).T
    return (y if bias is None else y + bias.double()).float()


def quantize_activations_q8(x: Tensor) -> Tensor:
    """float64 [rows, n]: ``x`` as the int8-activation kernel rounds it (q * block scale, both as it
    computes them in fp32: scale = block max / 127, q = round-half-even(x * (127 / block max))); a block
    holding a NaN or an infinity is NaN."""
    rows, n = x.shape
    blocks = -(-n // Q8_BLOCK)
    padded = torch.zeros(rows, blocks * Q8_BLOCK, dtype=torch.float32)
    padded[:, :n] = x
    v = padded.view(rows, blocks, Q8_BLOCK)
    amax = v.abs().amax(dim=-1, keepdim=True)
    scale = amax / 127
    inv = torch.where(amax > 0, 127 / amax, torch.zeros_like(amax))
    q = (v * inv).round().clamp(-127, 127)
    out = q.double() * scale.double()
    out = torch.where(v.isfinite().all(dim=-1, keepdim=True), out, torch.full_like(out, float("nan")))
    return out.view(rows, -1)[:, :n]


def q8_error_bound(x: Tensor, weight: Tensor, scale: Tensor, bits: int) -> Tensor:
    """[rows, out]: how far fp32 summation may put the int8-activation kernel from the float64 product
    on its rounded activations: Q8_TOLERANCE of the sum of the terms' magnitudes (for int4 weights the
    kernel adds (q + 8) * a, so 8 |a| more per term)."""
    xa = quantize_activations_q8(x).abs().nan_to_num(0.0)
    wa = _unpacked(weight, bits).double().abs()
    if bits == 4:
        wa = wa + 8
    return Q8_TOLERANCE * (xa @ wa.T) * scale.double().abs()[None]


_DEQUANTIZED_DTYPES = (torch.float32, torch.bfloat16)


def _check_dequantizer_operands(weight: Tensor, scale: Tensor, out: Tensor) -> None:
    """The dtypes and memory layout both compiled dequantizers read (each checks its own shapes)."""
    if (weight.dtype, scale.dtype) != (torch.int8, torch.float32) or out.dtype not in _DEQUANTIZED_DTYPES:
        raise TypeError("native dequantizer operands: int8 weight, float32 scale, float32 or bfloat16 out")
    if not (weight.is_contiguous() and scale.is_contiguous() and out.is_contiguous()):
        raise ValueError("native dequantizer operands must be contiguous")


class NativeGemv:
    """The compiled kernel, built, loaded and checked at first use (once per process)."""

    def __init__(self) -> None:
        self._lib: ctypes.CDLL | None = None
        self._checked = False
        self.reason = ""  # why it is not used, when it is not
        self.q8_reason = ""  # why the int8-activation path is not used, when the library is
        self.dequantize_reason = ""  # why the dequantizer is not used, when the library is
        self.interleaved_reason = ""  # why the interleaved int4 path is not used, when the int8 one is
        self._q8_ok = False
        self._interleaved_ok = False
        self._dequantize_ok = False
        self.path: Path | None = None

    def available(self) -> bool:
        if not self._checked:
            self._checked = True
            try:
                self._lib = self._build_and_check()
            except NativeKernelError as exc:
                self.reason = str(exc)
                logger.warning("native int8/int4 decode kernel not used (%s); decoding keeps torch's path", exc)
        return self._lib is not None

    def q8_available(self) -> bool:
        """Whether the int8-activation products (``activations=8``) passed their check in this process."""
        return self.available() and self._q8_ok

    def interleaved_available(self) -> bool:
        """Whether the int8-activation products on interleaved int4 weights passed their check here."""
        return self.q8_available() and self._interleaved_ok

    def library(self) -> ctypes.CDLL | None:
        """The loaded library once :meth:`available` (for routines with checks of their own), else None."""
        return self._lib if self.available() else None

    def dequantize_available(self) -> bool:
        """Whether :meth:`dequantize` passed its check (torch's bits exactly) in this process."""
        return self.available() and self._dequantize_ok

    def _build_and_check(self) -> ctypes.CDLL:
        missing = [f for f in REQUIRED_CPU_FLAGS if f not in machine_choice.cpu_flags()]
        if missing:
            raise NativeKernelError(f"this CPU lacks {', '.join(missing)}")
        cc = _compiler()
        source = SOURCE.read_bytes()
        self.path = path = library_path(cc, _compiler_version(cc), source)
        if not path.is_file():
            compile_library(cc, SOURCE, path)
        try:
            lib = _bind(path)
        except (OSError, AttributeError) as exc:
            logger.warning("the cached native kernel %s does not load (%s); rebuilding it", path, exc)
            try:
                path.unlink()
            except OSError as unlink_error:
                raise NativeKernelError(f"cannot replace the unloadable {path} ({unlink_error})") from exc
            compile_library(cc, SOURCE, path)
            try:
                lib = _bind(path)
            except (OSError, AttributeError) as again:
                raise NativeKernelError(f"the compiled kernel {path} does not load ({again})") from again
        self._self_check(lib)
        try:
            self._self_check_q8(lib)
            self._q8_ok = True
        except NativeKernelError as exc:
            self.q8_reason = str(exc)
            logger.warning("native int8-activation decode path not used (%s); the int16 one runs", exc)
        if self._q8_ok:
            try:
                self._self_check_q8(lib, interleaved=True)
                self._interleaved_ok = True
            except NativeKernelError as exc:
                self.interleaved_reason = str(exc)
                logger.warning("native interleaved int4 decode path not used (%s)", exc)
        try:
            self._self_check_dequantize(lib)
            self._dequantize_ok = True
        except NativeKernelError as exc:
            self.dequantize_reason = str(exc)
            logger.warning("native dequantizer not used (%s); the prompt pass dequantizes with torch", exc)
        logger.info("native int8/int4 decode kernel ready (%s)", path)
        return lib

    @staticmethod
    def _check_operands(gen: torch.Generator, bits: int, out_features: int,
                        in_features: int) -> tuple[Tensor, Tensor, Tensor]:
        """(stored weight with the full range, -128 and -8 included; scale; bias) of a random layer."""
        qmax = 127 if bits == 8 else 7
        q = torch.randint(-qmax - 1, qmax + 1, (out_features, in_features), dtype=torch.int8, generator=gen)
        weight = q if bits == 8 else ((q[:, 0::2] << 4) | (q[:, 1::2] & 0xF)).to(torch.int8)
        return weight, torch.rand(out_features, generator=gen) + 0.01, torch.randn(out_features, generator=gen)

    @classmethod
    def _check_cases(cls, seed: int, shapes: tuple[tuple[int, int, int], ...]
                     ) -> Iterator[tuple[int, Tensor, Tensor, Tensor, Tensor]]:
        """(bits, activations, weight, scale, bias) per (bits, out, in) shape, with one row and three rows of
        activations of uneven magnitude per column, all drawn from one generator seeded with ``seed``."""
        gen = torch.Generator().manual_seed(seed)
        for bits, out_features, in_features in shapes:
            weight, scale, bias = cls._check_operands(gen, bits, out_features, in_features)
            for rows in (1, 3):
                x = torch.randn(rows, in_features, generator=gen) * torch.rand(1, in_features, generator=gen) * 4
                yield bits, x, weight, scale, bias

    def _self_check_q8(self, lib: ctypes.CDLL, interleaved: bool = False) -> None:
        """Odd shapes (partial 32-column blocks and 64-column groups, row counts not a multiple of 4); with
        ``interleaved``, int4 weights in that layout (whole groups; row counts not a multiple of a block)."""
        shapes: tuple[tuple[int, int, int], ...] = ((8, 37, 300), (8, 6, 1043), (4, 29, 618), (4, 3, 70), (4, 9, 128))
        if interleaved:
            shapes = ((4, 37, 640), (4, 8, 64), (4, 19, 128), (4, 48, 256))
        for bits, x, weight, scale, bias in self._check_cases(12, shapes):
            try:
                stored = interleave_int4(weight) if interleaved else weight
                got = self._run(lib, x, stored, scale, bias, bits, threads=2, activations=8, interleaved=interleaved)
            except RuntimeError as exc:
                raise NativeKernelError(f"the int8-activation kernel failed its self-check ({exc})") from exc
            ref = _reference(quantize_activations_q8(x), weight, scale, bias, bits).double()
            excess = (got.double() - ref).abs() - q8_error_bound(x, weight, scale, bits)
            if not excess.max().item() <= 1e-6:
                raise NativeKernelError(
                    f"the int8-activation kernel gives wrong results ({'interleaved ' if interleaved else ''}"
                    f"int{bits}, {x.shape[0]}x{x.shape[1]} by "
                    f"{weight.shape[0]}: off by {excess.max().item():.2e} beyond fp32 summation)"
                )

    def _self_check_dequantize(self, lib: ctypes.CDLL) -> None:
        gen = torch.Generator().manual_seed(13)
        for dtype in _DEQUANTIZED_DTYPES:
            for bits, out_features, in_features in ((8, 7, 300), (4, 5, 618), (4, 2, 64)):
                weight, scale, _ = self._check_operands(gen, bits, out_features, in_features)
                expected = (_unpacked(weight, bits).float() * scale[:, None]).to(dtype)
                got = torch.empty(out_features, in_features, dtype=dtype)
                self._dequantize(lib, weight, scale, got, bits, threads=2)
                if not torch.equal(got, expected):
                    raise NativeKernelError(f"the dequantizer differs from torch's (int{bits} to {dtype}, "
                                            f"{out_features}x{in_features})")
            # Interleaved int4 rows read in place: row ranges inside, across and past the full blocks.
            weight, scale, _ = self._check_operands(gen, 4, 19, 192)
            expected = (_unpacked(weight, 4).float() * scale[:, None]).to(dtype)
            held = interleave_int4(weight)
            for r0, r1 in ((0, 19), (3, 11), (8, 16), (15, 19), (17, 18)):
                got = torch.empty(r1 - r0, 192, dtype=dtype)
                self._dequantize_interleaved(lib, held, r0, r1, scale[r0:r1].contiguous(), got, threads=2)
                if not torch.equal(got, expected[r0:r1]):
                    raise NativeKernelError(f"the interleaved dequantizer differs from torch's (to {dtype}, "
                                            f"rows {r0}-{r1} of 19x192)")

    def _self_check(self, lib: ctypes.CDLL) -> None:
        """Odd shapes (partial 256-column blocks, partial 16/32-column groups; int8 rows long enough to go four
        at a time, and the rows left over), one row and a few."""
        shapes = ((8, 37, 300), (8, 5, 1043), (4, 29, 618), (4, 3, 70), (8, 7, 8200))
        for bits, x, weight, scale, bias in self._check_cases(11, shapes):
            try:
                got = self._run(lib, x, weight, scale, bias, bits, threads=2, activations=16)
            except RuntimeError as exc:
                raise NativeKernelError(f"the kernel failed its self-check ({exc})") from exc
            ref = _reference(x, weight, scale, bias, bits)
            error = relative_error(got, ref)
            if not error <= TOLERANCE:
                raise NativeKernelError(
                    f"the kernel gives wrong results (int{bits}, {x.shape[0]}x{x.shape[1]} by {weight.shape[0]}: "
                    f"relative error {error:.2e} > {TOLERANCE:.0e})"
                )

    @staticmethod
    def _run(lib: ctypes.CDLL, x: Tensor, weight: Tensor, scale: Tensor, bias: Tensor | None, bits: int,
             threads: int, activations: int, interleaved: bool = False) -> Tensor:
        rows, in_features = x.shape
        out_features = weight.shape[0]
        if (x.dtype, weight.dtype, scale.dtype) != (torch.float32, torch.int8, torch.float32):
            raise TypeError("native kernel operands: float32 x and scale, int8 weight")
        if bias is not None and bias.dtype != torch.float32:
            raise TypeError("native kernel operands: float32 bias")
        x, weight, scale = x.contiguous(), weight.contiguous(), scale.contiguous()
        bias = None if bias is None else bias.contiguous()
        y = torch.empty(rows, out_features, dtype=torch.float32)
        if interleaved:
            if bits != 4 or activations != 8:
                raise ValueError("the interleaved layout is for int4 weights on int8 activations")
            fn = lib.wb_gemv_int4_interleaved
        elif activations == 8:
            fn = lib.wb_gemv_int8 if bits == 8 else lib.wb_gemv_int4
        else:
            fn = lib.wb_gemv16_int8 if bits == 8 else lib.wb_gemv16_int4
        rc = fn(x.data_ptr(), rows, in_features, weight.data_ptr(), out_features, scale.data_ptr(),
                None if bias is None else bias.data_ptr(), y.data_ptr(), threads)
        if rc != 0:
            raise RuntimeError("out of memory" if rc == -1 else f"bad operands (code {rc})")
        return y

    @staticmethod
    def _dequantize(lib: ctypes.CDLL, weight: Tensor, scale: Tensor, out: Tensor, bits: int, threads: int) -> None:
        rows, in_features = out.shape
        _check_dequantizer_operands(weight, scale, out)
        if weight.shape[0] != rows or scale.shape[0] != rows or weight.shape[1] * (2 if bits == 4 else 1) != in_features:
            raise ValueError("native dequantizer operands disagree in shape")
        lib.wb_dequantize(weight.data_ptr(), rows, in_features, scale.data_ptr(), out.data_ptr(), threads, bits,
                          int(out.dtype == torch.bfloat16))

    def linear(self, x: Tensor, weight: Tensor, scale: Tensor, bias: Tensor | None, bits: int,
               activations: int = 8, interleaved: bool = False) -> Tensor:
        """float32 [rows, out] = x @ dequant(weight).T * scale + bias, on torch's thread count.

        ``x`` float32 [rows, in]; ``weight`` int8 [out, in], or int4 packed two per byte [out, in / 2] in
        the ChatGLM layout; ``scale`` and ``bias`` (or None) float32 [out]; ``activations`` 8 or 16 (see the
        module); ``interleaved``: an int4 weight in :func:`interleave_int4`'s layout (int8 activations). Call
        :meth:`available` (and :meth:`q8_available` for 8, :meth:`interleaved_available`) first.
        """
        if self._lib is None or (activations == 8 and not self._q8_ok) or (interleaved and not self._interleaved_ok):
            raise RuntimeError(f"the native kernel with int{activations} activations is not available"
                               + (" on interleaved weights" if interleaved else ""))
        return self._run(self._lib, x, weight, scale, bias, bits, torch_threads.product_threads(), activations, interleaved)

    def read(self, t: Tensor) -> int:
        """Read the bytes of the contiguous CPU tensor ``t`` once through the products' work pool, on torch's
        thread count (benches time it as the memory limit); returns an xor of them. Call :meth:`available`."""
        if self._lib is None or not t.is_contiguous() or t.device.type != "cpu":
            raise RuntimeError("the native read needs the library and a contiguous CPU tensor")
        return int(self._lib.wb_read(t.data_ptr(), t.numel() * t.element_size(), torch_threads.product_threads()))

    @staticmethod
    def _dequantize_interleaved(lib: ctypes.CDLL, weight: Tensor, r0: int, r1: int, scale: Tensor, out: Tensor,
                                threads: int) -> None:
        out_features, in_features = weight.shape[0], weight.shape[1] * 2
        _check_dequantizer_operands(weight, scale, out)
        if (in_features % 64 or not 0 <= r0 <= r1 <= out_features or scale.shape[0] != r1 - r0
                or tuple(out.shape) != (r1 - r0, in_features)):
            raise ValueError("native dequantizer operands disagree in shape")
        lib.wb_dequantize_int4_interleaved(weight.data_ptr(), out_features, r0, r1, in_features, scale.data_ptr(),
                                           out.data_ptr(), threads, int(out.dtype == torch.bfloat16))

    def dequantize_interleaved(self, weight: Tensor, r0: int, r1: int, scale: Tensor, out: Tensor) -> Tensor:
        """As :meth:`dequantize` for rows [r0, r1) of an int4 weight held interleaved (:func:`interleave_int4`),
        read in place; ``scale``: float32 [r1 - r0], ``out``: float32 or bfloat16 [r1 - r0, in]. Call
        :meth:`dequantize_available` first (its check covers this layout too)."""
        if self._lib is None or not self._dequantize_ok:
            raise RuntimeError("the native dequantizer is not available")
        self._dequantize_interleaved(self._lib, weight, r0, r1, scale, out, torch_threads.product_threads())
        return out

    def dequantize(self, weight: Tensor, scale: Tensor, out: Tensor, bits: int) -> Tensor:
        """``out`` (float32 or bfloat16 [rows, in], contiguous) = dequant(weight) * scale, torch's bits exactly, on
        torch's thread count; ``weight`` int8 [rows, in] or int4 [rows, in / 2] (ChatGLM layout), ``scale``
        float32 [rows]. Call :meth:`dequantize_available` first."""
        if self._lib is None or not self._dequantize_ok:
            raise RuntimeError("the native dequantizer is not available")
        self._dequantize(self._lib, weight, scale, out, bits, torch_threads.product_threads())
        return out


NATIVE_GEMV = NativeGemv()


class CheckedRoutine:
    """One more function of the native library (``SYMBOL``, called with ``ARGTYPES``), bound and checked
    against torch at first use, once per process: :meth:`available` is False where the library is not usable,
    lacks it, or it fails :meth:`_self_check` (which raises :class:`NativeKernelError`); ``reason`` says why
    and the log says what runs instead (``FALLBACK``)."""

    SYMBOL = ""
    ARGTYPES: tuple[type, ...] = ()
    WHAT = ""  # what it computes, for the messages
    FALLBACK = ""  # what runs where it is not available

    def __init__(self, kernel: NativeGemv | None = None) -> None:
        self._kernel = kernel  # None: the process's NATIVE_GEMV (tests pass a library built otherwise)
        self._fn: Callable[..., int] | None = None
        self._checked = False
        self._lock = threading.Lock()  # columns generate in threads: one check, none half-done
        self.reason = ""

    def available(self) -> bool:
        if not self._checked:
            with self._lock:
                if not self._checked:
                    try:
                        self._fn = self._bind_and_check()
                    except NativeKernelError as exc:
                        self.reason = str(exc)
                        logger.warning("native %s not used (%s); %s", self.WHAT, exc, self.FALLBACK)
                    finally:
                        self._checked = True
        return self._fn is not None

    def _bind_and_check(self) -> Callable[..., int]:
        kernel = self._kernel or NATIVE_GEMV
        lib = kernel.library()
        if lib is None:
            raise NativeKernelError(f"the native library is not usable ({kernel.reason})")
        try:
            fn = getattr(lib, self.SYMBOL)
        except AttributeError as exc:
            raise NativeKernelError(f"the native library has no {self.WHAT} ({exc})") from exc
        fn.argtypes = list(self.ARGTYPES)
        fn.restype = ctypes.c_int
        self._self_check(fn)
        return fn

    def _self_check(self, fn: Callable[..., int]) -> None:
        raise NotImplementedError
