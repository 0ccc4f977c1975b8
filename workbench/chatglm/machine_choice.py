"""Choices measured once per machine (which dtype a CPU kernel is fast in), kept in a small JSON file.

A timing taken while others load the machine can pick the slow path, and every process would pay the
probe again. So a choice is measured robustly (the median of several interleaved rounds, with a margin
for the preferred option), saved under a key that names what it depends on (CPU model and flags, torch
version, thread count, OpenMP's wait policy), and reused by later processes while that key holds; a changed key re-probes.
A missing, unreadable or corrupt file is ignored (the choice is measured again and the file rewritten).
Correctness is never taken from the file: callers check their candidates in every process first.

The file is ``cpu-kernels.json`` in the workbench cache directory: ``$WORKBENCH_CACHE_DIR`` when set,
else the repository's ``.cache`` (the default config's ``cache_dir``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from workbench.model_files import CACHE_DIR_ENV as CACHE_DIR_ENV  # (re-exported: callers set it)
from workbench.model_files import cache_dir

logger = logging.getLogger(__name__)

FILE_NAME = "cpu-kernels.json"
_FORMAT = 1


def choice_file() -> Path:
    """Where machine choices are kept (in :func:`cache_dir`)."""
    return cache_dir() / FILE_NAME


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else the platform's processor string."""
    return _cpu_info().get("model name") or platform.processor()


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    return frozenset(_cpu_model_and_flags()[1].split())


def cpu_vendor() -> str:
    """The CPU's vendor from /proc/cpuinfo ("GenuineIntel", "AuthenticAMD"; empty where there is none)."""
    return _cpu_info().get("vendor_id", "")


_DEFAULT_LLC_BYTES = 32 * 2**20
_SIZE_SUFFIXES = {"K": 2**10, "M": 2**20, "G": 2**30}


def last_level_cache_bytes(root: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> int:
    """The largest data or unified cache of CPU 0 (sysfs), or 32 MB where that cannot be read."""
    sizes = []
    for index in root.glob("index*"):
        try:
            if (index / "type").read_text().strip() == "Instruction":
                continue
            text = (index / "size").read_text().strip()
        except OSError:
            continue
        unit = _SIZE_SUFFIXES.get(text[-1:].upper(), 1)
        digits = text.rstrip("KkMmGg")
        if digits.isdigit():
            sizes.append(int(digits) * unit)
    return max(sizes, default=_DEFAULT_LLC_BYTES)


def _cpu_info() -> dict[str, str]:
    """Each /proc/cpuinfo field's first value (empty where there is none: not Linux). The whole file is read:
    on some ARM kernels fields such as the model name follow the per-CPU blocks."""
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name.strip():
                    info.setdefault(name.strip(), value.strip())
    except OSError:
        pass
    return info


def _cpu_model_and_flags() -> tuple[str, str]:
    info = _cpu_info()
    flags = info.get("flags") or info.get("Features") or ""
    return info.get("model name", ""), " ".join(sorted(flags.split()))


def _cpu_identity() -> dict[str, str]:
    model, flags = _cpu_model_and_flags()
    return {"cpu": model or platform.processor(), "cpu_flags": hashlib.sha256(flags.encode()).hexdigest()[:16]}


def machine_key(threads: int | None = None) -> dict[str, str]:
    """What a timing depends on: CPU model and flags (hashed), torch version, thread count, and whether
    OpenMP's threads sleep between parallel regions (``OMP_WAIT_POLICY``: the app runs PASSIVE, a bench may
    not; a kernel that wakes sleeping threads on every call loses by far more under PASSIVE)."""
    return {
        **_cpu_identity(),
        "machine": platform.machine(),
        "torch": torch.__version__,
        "threads": str(torch.get_num_threads() if threads is None else threads),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "").strip().upper(),
    }


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        logger.info("ignoring the unreadable machine-choice file %s (%s); measuring again", path, exc)
        return {}
    if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("choices"), dict):
        logger.info("ignoring the machine-choice file %s (unknown content); measuring again", path)
        return {}
    return data


def load_choice(name: str, key: Mapping[str, str], path: Path | None = None) -> str | None:
    """The value saved for ``name`` under exactly ``key``, or None (no file, corrupt, other key)."""
    entry = _read(path or choice_file()).get("choices", {}).get(name)
    if not isinstance(entry, dict) or entry.get("key") != dict(key) or not isinstance(entry.get("value"), str):
        return None
    return entry["value"]


def save_choice(name: str, key: Mapping[str, str], value: str, timings: Mapping[str, float],
                path: Path | None = None) -> None:
    """Record ``value`` for ``name`` (other names are kept); written atomically, failures only logged."""
    path = path or choice_file()
    data = _read(path) or {"format": _FORMAT, "choices": {}}
    data["choices"][name] = {
        "key": dict(key), "value": value, "median_seconds": dict(timings),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A unique temporary file and an atomic rename: concurrent processes never see half a file.
        fd, tmp = tempfile.mkstemp(prefix=f".{FILE_NAME}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError as exc:
        logger.info("could not save the machine choice to %s (%s); it will be measured again", path, exc)


def median_seconds(candidates: Mapping[str, Callable[[], object]], rounds: int = 7) -> dict[str, float]:
    """Median time of each candidate over ``rounds`` interleaved rounds (after one warm-up call each):
    interleaving spreads a burst of load from other processes over all candidates alike."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for fn in candidates.values():
        fn()
    for _ in range(rounds):
        for name, fn in candidates.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def pick_fastest(timings: Mapping[str, float], preferred: Sequence[str], margin: float) -> str:
    """The fastest option, except that the first of ``preferred`` within ``margin`` of it wins."""
    best = min(timings, key=lambda name: timings[name])
    for name in preferred:
        if name in timings and timings[name] <= margin * timings[best]:
            return name
    return best


def choose_once_per_machine(
    name: str,
    candidates: Mapping[str, Callable[[], object]],
    preferred: Sequence[str] | Callable[[Mapping[str, float]], Sequence[str]],
    margin: float,
    path: Path | None = None,
) -> tuple[str, str]:
    """(choice, "saved" or "measured") among ``candidates`` (already checked correct by the caller).

    A saved choice for this machine's key that is still a candidate is reused; otherwise each candidate
    is timed (:func:`median_seconds`), the pick saved, and returned. One candidate is returned untimed.
    ``preferred`` (see :func:`pick_fastest`) may be a function of the timings.
    """
    if len(candidates) == 1:
        return next(iter(candidates)), "measured"
    key = machine_key()
    saved = load_choice(name, key, path)
    if saved is not None and saved in candidates:
        return saved, "saved"
    timings = median_seconds(candidates)
    value = pick_fastest(timings, preferred(timings) if callable(preferred) else preferred, margin)
    save_choice(name, key, value, timings, path)
    return value, "measured"
