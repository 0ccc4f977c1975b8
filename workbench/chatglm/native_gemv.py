"""Few-row int8 / int4 products in C for decoding on CPU (``native_gemv.c``), as the original ChatGLM-6B
compiled its CPU kernels: plain C through ctypes, built at first use with the system compiler.

torch's fused weight-only kernels are compute-bound on AVX2 CPUs without VNNI (about 22 G int8 and 13 G
int4 weights/s on two cores, against a memory read rate of ~28 GB/s), so a decode step cannot reach the
memory limit through them. This kernel reads the weights as checkpoints hold them (int8, or int4 two per
byte) and multiplies them with the activations quantized to int16 per 256-column block, with OpenMP over
output rows on torch's thread count.

The library is compiled once into ``<cache dir>/native/`` (``$WORKBENCH_CACHE_DIR``, else ``.cache``),
named by a hash of the source, the compiler and its flags, so a changed source or compiler builds a new
one. It is used only on CPUs with AVX2 and FMA (then ``-march=native``), and only after a correctness
check in every process against the dequantized fp32 reference on random layers of odd shapes. Any failure
(no compiler, ``$CC`` not found, a compile error, a library that does not load, wrong results) is logged
with its reason and the callers keep torch's path; a cached library that does not load is rebuilt once.
Nothing here touches CUDA.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch
from torch import Tensor

from workbench.chatglm import machine_choice

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("native_gemv.c")
COMPILER_ENV = "CC"
REQUIRED_CPU_FLAGS = ("avx2", "fma")
FLAGS = ("-O3", "-fPIC", "-fopenmp", "-shared", "-march=native")
ACTIVATION_BLOCK = 256  # columns per int16 activation scale: BLOCK in native_gemv.c
_COMPILE_TIMEOUT_S = 180
# Max |error| / max |reference| accepted by the self-check: int16 activations per 256-column block are
# exact to ~2^-16 of a block's largest value; a wrong kernel is off by orders of magnitude more.
TOLERANCE = 2e-4


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


def _compile(cc: str, source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: a concurrent process never loads half a library.
    fd, tmp = tempfile.mkstemp(prefix=".gemv-", suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        out = subprocess.run([cc, *FLAGS, str(source), "-o", tmp, "-lm"], capture_output=True, text=True,
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
    for name in ("wb_gemv_int8", "wb_gemv_int4"):
        fn = getattr(lib, name)
        fn.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                       ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        fn.restype = ctypes.c_int
    return lib


def _reference(x: Tensor, weight: Tensor, scale: Tensor, bias: Tensor | None, bits: int) -> Tensor:
    if bits == 4:
        hi = weight >> 4
        lo = ((weight & 0xF) ^ 8) - 8
        q = torch.stack((hi, lo), dim=-1).flatten(-2)
    else:
        q = weight
    y = x.double() @ (q.double() * scale.double()[:, None]).T
    return (y if bias is None else y + bias.double()).float()


class NativeGemv:
    """The compiled kernel, built, loaded and checked at first use (once per process)."""

    def __init__(self) -> None:
        self._lib: ctypes.CDLL | None = None
        self._checked = False
        self.reason = ""  # why it is not used, when it is not
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

    def _build_and_check(self) -> ctypes.CDLL:
        missing = [f for f in REQUIRED_CPU_FLAGS if f not in machine_choice.cpu_flags()]
        if missing:
            raise NativeKernelError(f"this CPU lacks {', '.join(missing)}")
        cc = _compiler()
        source = SOURCE.read_bytes()
        self.path = path = library_path(cc, _compiler_version(cc), source)
        if not path.is_file():
            _compile(cc, SOURCE, path)
        try:
            lib = _bind(path)
        except (OSError, AttributeError) as exc:
            logger.warning("the cached native kernel %s does not load (%s); rebuilding it", path, exc)
            try:
                path.unlink()
            except OSError as unlink_error:
                raise NativeKernelError(f"cannot replace the unloadable {path} ({unlink_error})") from exc
            _compile(cc, SOURCE, path)
            try:
                lib = _bind(path)
            except (OSError, AttributeError) as again:
                raise NativeKernelError(f"the compiled kernel {path} does not load ({again})") from again
        self._self_check(lib)
        logger.info("native int8/int4 decode kernel ready (%s)", path)
        return lib

    def _self_check(self, lib: ctypes.CDLL) -> None:
        """Odd shapes (partial 256-column blocks, partial 16/32-column groups), one row and a few."""
        gen = torch.Generator().manual_seed(11)
        for bits, out_features, in_features in ((8, 37, 300), (8, 5, 1043), (4, 29, 618), (4, 3, 70)):
            qmax = 127 if bits == 8 else 7
            q = torch.randint(-qmax - 1, qmax + 1, (out_features, in_features), dtype=torch.int8, generator=gen)
            weight = q if bits == 8 else ((q[:, 0::2] << 4) | (q[:, 1::2] & 0xF)).to(torch.int8)
            scale = torch.rand(out_features, generator=gen) + 0.01
            bias = torch.randn(out_features, generator=gen)
            for rows in (1, 3):
                x = torch.randn(rows, in_features, generator=gen) * torch.rand(1, in_features, generator=gen) * 4
                try:
                    got = self._run(lib, x, weight, scale, bias, bits, threads=2)
                except RuntimeError as exc:
                    raise NativeKernelError(f"the kernel failed its self-check ({exc})") from exc
                ref = _reference(x, weight, scale, bias, bits)
                error = (got - ref).abs().max().item() / max(ref.abs().max().item(), 1e-30)
                if not error <= TOLERANCE:
                    raise NativeKernelError(
                        f"the kernel gives wrong results (int{bits}, {rows}x{in_features} by {out_features}: "
                        f"relative error {error:.2e} > {TOLERANCE:.0e})"
                    )

    @staticmethod
    def _run(lib: ctypes.CDLL, x: Tensor, weight: Tensor, scale: Tensor, bias: Tensor | None, bits: int,
             threads: int) -> Tensor:
        rows, in_features = x.shape
        out_features = weight.shape[0]
        if (x.dtype, weight.dtype, scale.dtype) != (torch.float32, torch.int8, torch.float32):
            raise TypeError("native kernel operands: float32 x and scale, int8 weight")
        if bias is not None and bias.dtype != torch.float32:
            raise TypeError("native kernel operands: float32 bias")
        x, weight, scale = x.contiguous(), weight.contiguous(), scale.contiguous()
        bias = None if bias is None else bias.contiguous()
        y = torch.empty(rows, out_features, dtype=torch.float32)
        fn = lib.wb_gemv_int8 if bits == 8 else lib.wb_gemv_int4
        rc = fn(x.data_ptr(), rows, in_features, weight.data_ptr(), out_features, scale.data_ptr(),
                None if bias is None else bias.data_ptr(), y.data_ptr(), threads)
        if rc != 0:
            raise RuntimeError("out of memory" if rc == -1 else f"bad operands (code {rc})")
        return y

    def linear(self, x: Tensor, weight: Tensor, scale: Tensor, bias: Tensor | None, bits: int) -> Tensor:
        """float32 [rows, out] = x @ dequant(weight).T * scale + bias, on torch's thread count.

        ``x`` float32 [rows, in]; ``weight`` int8 [out, in], or int4 packed two per byte [out, in / 2] in
        the ChatGLM layout; ``scale`` and ``bias`` (or None) float32 [out]. Call :meth:`available` first.
        """
        if self._lib is None:
            raise RuntimeError("the native kernel is not available")
        return self._run(self._lib, x, weight, scale, bias, bits, torch.get_num_threads())


NATIVE_GEMV = NativeGemv()
