"""The one device and dtype policy of every model (T5, causal LMs, the native ChatGLM).

* Devices: ``auto`` is cuda:0 when CUDA is available, else cpu; a CUDA device must exist; nothing else runs.
* dtypes: ``auto`` takes the checkpoint's or backend's preferred dtype, float32 when it has none.
  float16 runs only on CUDA (many CPU kernels lack it): ``auto`` silently picks bfloat16 on CPU (same
  size, wider range), an explicit float16 request gets bfloat16 with a warning. A quantized ChatGLM model
  runs in float32 on CPU under ``auto``, a float embedding table kept 16-bit
  (``workbench.chatglm.loading.auto_dtype``, ``float_table_dtype``).
"""

from __future__ import annotations

import logging
import warnings

import torch

from workbench.errors import ModelLoadError
from workbench.plural import counted

log = logging.getLogger(__name__)

CPU_FLOAT16_WARNING = "float16 is not supported on CPU; using bfloat16 instead"

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_ALIASES = {"half": "float16", "fp16": "float16", "bf16": "bfloat16", "fp32": "float32", "float": "float32"}


#: how torch's CPU allocator words a failed allocation (a plain RuntimeError, not torch.OutOfMemoryError), and
#: how the native ChatGLM kernels word theirs
_CPU_ALLOCATION_FAILED = "DefaultCPUAllocator: can't allocate memory"
_NATIVE_ALLOCATION_FAILED = "out of memory"


#: what a failed allocation can raise: torch's errors are RuntimeErrors, Python's own (a list, a bytes buffer,
#: numpy's ``_ArrayMemoryError``) is MemoryError, which is no RuntimeError
ALLOCATION_ERRORS: tuple[type[BaseException], ...] = (RuntimeError, MemoryError)


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is a failed allocation: CUDA's ``torch.OutOfMemoryError``, Python's ``MemoryError``, or the
    RuntimeError that a CPU allocation raises (``[enforce fail at alloc_cpu.cpp:...] DefaultCPUAllocator: can't
    allocate memory``)."""
    if isinstance(error, torch.OutOfMemoryError | MemoryError):
        return True
    return isinstance(error, RuntimeError) and (
        _CPU_ALLOCATION_FAILED in str(error) or str(error) == _NATIVE_ALLOCATION_FAILED)


def resolve_device(device: str | torch.device = "cpu") -> torch.device:
    """The torch device for a config's ``device`` (cpu, cuda, cuda:N or auto)."""
    if str(device) == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ModelLoadError(f"invalid device {device!r}") from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ModelLoadError(f"device {device!r} requested but CUDA is not available on this machine")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ModelLoadError(f"device {device!r} does not exist ({counted(torch.cuda.device_count(), 'GPU')})")
    elif dev.type != "cpu":
        raise ModelLoadError(f"unsupported device {device!r} (use cpu, cuda:N or auto)")
    return dev


def _name(dtype: str | torch.dtype) -> str:
    name = str(dtype).removeprefix("torch.")
    return _ALIASES.get(name, name)


def resolve_dtype(
    dtype: str | torch.dtype, device: torch.device, *, auto: str | torch.dtype | None = None
) -> torch.dtype:
    """Apply the policy in the module docstring; ``auto`` is what ``"auto"`` means on this device."""
    name = _name(dtype)
    if name == "auto":
        name = _name(auto) if auto else "float32"
        if name == "float16" and device.type != "cuda":
            name = "bfloat16"  # the documented CPU policy; not a user error, so no warning
    if name not in _DTYPES:
        raise ModelLoadError(f"unsupported dtype {dtype!r} (use auto, float32, bfloat16 or float16)")
    if name == "float16" and device.type != "cuda":
        warnings.warn(CPU_FLOAT16_WARNING, UserWarning, stacklevel=2)
        log.warning(CPU_FLOAT16_WARNING)
        name = "bfloat16"
    return _DTYPES[name]
