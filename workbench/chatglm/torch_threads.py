"""A small prompt pass's torch ops on the calling thread; its products on all threads.

Between a block's products a prompt pass runs about fifteen torch ops (LayerNorms, rotary, the attention's
small products and softmax, GELU, residuals). Torch hands each elementwise op of more than 32,768 elements
to its OpenMP threads, and LayerNorm and softmax their rows however few. Under ``OMP_WAIT_POLICY=PASSIVE``, which the app sets, those threads sleep between ops, so each op
pays for waking them, and right after a C product (``native_prompt``) they also meet the work pool's helpers
still spinning for the next one. On small tensors that costs more than the work it shares: a mid-size
(hidden 1,024, 4 layers) int4 pass over 64 tokens took 32-40 ms with torch's ops on two threads against
29-35 ms with them on the calling thread and the products still on two.

OpenMP's thread count is a per-thread setting (the nthreads ICV) and torch reads it on every op
(``at::get_num_threads`` is ``omp_get_max_threads``), so setting it to 1 on the calling thread leaves other
threads (columns generating at once) and torch's process-wide count alone. The block Linears restore the
caller's count around torch's products (:func:`products_on_all_threads`); the C routines take it from
:func:`product_threads`, while the small torch ops around them (the activations' bf16 copy) stay on the
calling thread.

Which passes are small is measured once per machine (``machine_choice``): the largest tensor, up to
:data:`PROBE_MAX_ELEMENTS` elements, on which a run of elementwise ops and a LayerNorm is no slower on the
calling thread than on torch's threads. Where the OpenMP runtime cannot be found or does not behave as
above (checked once per process), every op keeps torch's threads.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from workbench.chatglm import machine_choice

logger = logging.getLogger(__name__)

# Probe sizes (elements of the largest tensor of a pass): 32K (torch's grain for elementwise ops) to 4M (a 6B-model pass of 256 tokens is 4M wide; there two threads won by 1.5x on a 2-core Zen 4).
PROBE_MIN_ELEMENTS = 2**15
PROBE_MAX_ELEMENTS = 2**22
PROBE_WIDTH = 1024
CHOICE_NAME = "torch_ops_calling_thread_max_elements"


class _OpenMP:
    """``omp_get_max_threads`` / ``omp_set_num_threads`` of the OpenMP runtime torch is linked against."""

    def __init__(self) -> None:
        self._lib: ctypes.CDLL | None = None
        self._reason = "not looked for yet"
        self._looked = False
        self._lock = threading.Lock()

    def _find(self) -> None:
        if not torch.backends.openmp.is_available() or "parallel backend: OpenMP" not in torch.__config__.parallel_info():
            self._reason = "torch's parallel backend is not OpenMP"
            return
        path = _loaded_library("libtorch_cpu")
        if path is None:
            self._reason = "libtorch_cpu is not among the loaded libraries"
            return
        try:
            # Looked up through libtorch_cpu's handle, a symbol resolves in its own dependencies: the OpenMP
            # runtime torch calls, not another package's copy (sentencepiece ships its own libgomp).
            lib = ctypes.CDLL(str(path))
            lib.omp_get_max_threads.restype = ctypes.c_int
            lib.omp_set_num_threads.argtypes = [ctypes.c_int]
        except (OSError, AttributeError) as exc:
            self._reason = f"no OpenMP runtime through {path.name}: {exc}"
            return
        self._lib = lib
        # Check what this module relies on: a thread that sets 1 sees 1 from torch, and this thread keeps its count.
        mine = torch.get_num_threads()
        seen: dict[str, int] = {}

        def check() -> None:
            torch.get_num_threads()  # torch's first call on a thread sets its count: settle that first
            lib.omp_set_num_threads(1)
            seen["set to 1"] = torch.get_num_threads()

        probe = threading.Thread(target=check, name="torch-threads-check")
        probe.start()
        probe.join()
        seen["this thread"] = torch.get_num_threads()
        if seen.get("set to 1") != 1 or seen["this thread"] != mine:
            self._lib = None
            self._reason = f"the OpenMP runtime does not set torch's thread count per thread ({seen}, was {mine})"
            return
        self._reason = ""

    def lib(self) -> ctypes.CDLL | None:
        if not self._looked:
            with self._lock:
                if not self._looked:
                    self._find()
                    self._looked = True
                    if self._reason:
                        logger.info("a small prompt pass keeps torch's threads: %s", self._reason)
        return self._lib

    def unavailable_reason(self) -> str:
        """Why the calling-thread mode is off ("" where it is available)."""
        self.lib()
        return self._reason


def _loaded_library(stem: str, maps: Path = Path("/proc/self/maps")) -> Path | None:
    """The mapped library whose file name starts with ``stem`` (from /proc/self/maps); None elsewhere."""
    try:
        lines = maps.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) == 6:
            path = Path(fields[5].strip())
            if path.name.startswith(stem + ".so") and path.exists():
                return path
    return None


OPENMP = _OpenMP()
# The thread count a calling-thread scope replaced, per thread (absent outside such a scope).
_SCOPE = threading.local()


def _probe_ops(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """A block's non-product ops in miniature: a LayerNorm, a tanh-GELU's elementwise chain, a residual."""
    y = F.layer_norm(x, (x.shape[-1],), weight, bias)
    inner = (y * 0.044715).mul_(y).add_(1.0)
    outer = (y * 0.7978845608028654).mul_(inner).tanh_().add_(1.0)
    return torch.mul(y, 0.5, out=inner).mul_(outer).add_(x)


class _Limit:
    """The largest pass (elements of its widest tensor) whose torch ops run on the calling thread here."""

    def __init__(self) -> None:
        self._value: int | None = None
        self._lock = threading.Lock()

    def get(self) -> int:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._measure()
        return self._value

    def pin(self, value: int | None) -> None:
        """Use ``value`` from now on (0: torch's threads for every op; None: look it up again)."""
        self._value = value

    def _measure(self) -> int:
        lib = OPENMP.lib()
        threads = torch.get_num_threads()
        if lib is None or threads <= 1:
            return 0
        key = machine_choice.machine_key()
        saved = machine_choice.load_choice(CHOICE_NAME, key)
        if saved is not None and saved.isdigit():
            return int(saved)
        gen = torch.Generator().manual_seed(5)
        weight = torch.rand(PROBE_WIDTH, generator=gen) + 0.5
        bias = torch.randn(PROBE_WIDTH, generator=gen)
        limit, timings = 0, {}
        with torch.inference_mode():
            size = PROBE_MIN_ELEMENTS
            while size <= PROBE_MAX_ELEMENTS:
                x = torch.randn(size // PROBE_WIDTH, PROBE_WIDTH, generator=gen)

                def on_calling_thread(x: Tensor = x) -> object:
                    lib.omp_set_num_threads(1)
                    try:
                        return _probe_ops(x, weight, bias)
                    finally:
                        lib.omp_set_num_threads(threads)

                def on_torchs_threads(x: Tensor = x) -> object:
                    return _probe_ops(x, weight, bias)

                seconds = machine_choice.median_seconds({"calling": on_calling_thread, "threads": on_torchs_threads})
                timings.update({f"{name}_{size}": s for name, s in seconds.items()})
                if seconds["calling"] >= seconds["threads"]:  # a tie keeps torch's default
                    break
                limit = size
                size *= 2
        machine_choice.save_choice(CHOICE_NAME, key, str(limit), timings)
        logger.info("torch's ops of prompt passes up to %d elements wide run on the calling thread", limit)
        return limit


LIMIT = _Limit()


@contextlib.contextmanager
def small_pass_on_calling_thread(x: Tensor, widest_elements: int) -> Iterator[bool]:
    """Run torch's ops inside on the calling thread where a pass whose widest tensor has ``widest_elements``
    elements was measured faster so (CPU inference only); yields whether it does. Torch's products inside
    go in :func:`products_on_all_threads`; C routines take their count from :func:`product_threads`."""
    # No lower bound: LayerNorm, softmax and others split rows over the threads however few there are (a [64, 64]
    # LayerNorm took 73 us on two threads against 8 on one), so a pass narrower than the probe's smallest width
    # follows that width's verdict.
    if (x.device.type != "cpu" or torch.is_grad_enabled() or getattr(_SCOPE, "threads", None) is not None
            or widest_elements > PROBE_MAX_ELEMENTS):
        yield False
        return
    lib = OPENMP.lib()
    threads = torch.get_num_threads()  # also settles torch's lazy per-thread set-up before the change
    if lib is None or threads <= 1 or widest_elements > LIMIT.get():
        yield False
        return
    _SCOPE.threads = threads
    lib.omp_set_num_threads(1)
    try:
        yield True
    finally:
        lib.omp_set_num_threads(threads)
        _SCOPE.threads = None


@contextlib.contextmanager
def products_on_all_threads() -> Iterator[None]:
    """Inside :func:`small_pass_on_calling_thread`, give a product the caller's thread count back."""
    threads = getattr(_SCOPE, "threads", None)
    lib = OPENMP.lib() if threads is not None else None
    if lib is None:
        yield
        return
    lib.omp_set_num_threads(threads)
    try:
        yield
    finally:
        lib.omp_set_num_threads(1)


def product_threads() -> int:
    """Threads for a C product (the work pool) called on this thread: the caller's count inside
    :func:`small_pass_on_calling_thread`, torch's elsewhere."""
    threads = getattr(_SCOPE, "threads", None)
    return torch.get_num_threads() if threads is None else threads
