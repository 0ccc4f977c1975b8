"""Exponential back-off for failed logins, per account and per client address.

Each login attempt costs a scrypt run (tens of milliseconds of CPU and 16 MB of memory), so a locked key is
refused *before* any hashing. After ``free_failures`` failures in a row, the key is locked for
``base_s * 2**(extra failures)`` seconds, capped at ``max_s``; a success resets it, and so does a quiet
``forget_after_s`` since the last failure (a shared office address is not locked out for the day).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


def lockout_message(wait_s: float) -> str:
    """What a sign-in refused by either lock, the account's or the address's, is told (one wording)."""
    return f"Too many failed sign-ins: try again in {math.ceil(wait_s)} s"


@dataclass
class _Entry:
    failures: int = 0
    locked_until: float = 0.0
    last_seen: float = 0.0


class LoginThrottle:
    """Thread-safe failure counters; ``clock`` is injectable so tests need not sleep."""

    def __init__(self, *, free_failures: int = 5, base_s: float = 1.0, max_s: float = 300.0,
                 forget_after_s: float = 900.0, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free_failures = free_failures
        self.base_s = base_s
        self.max_s = max_s
        self.forget_after_s = forget_after_s
        self.max_keys = max_keys
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 = now)."""
        with self._lock:
            e = self._entries.get(key)
            return max(0.0, e.locked_until - self.clock()) if e else 0.0

    def locked(self, key: str) -> bool:
        return self.retry_after(key) > 0

    def failed(self, key: str) -> float:
        """Record a failure; returns the lock it caused in seconds (0 while failures are still free)."""
        now = self.clock()
        with self._lock:
            self._forget_old(now)
            e = self._entries.setdefault(key, _Entry())
            if now - e.last_seen > self.forget_after_s:
                e.failures = 0
            e.failures += 1
            e.last_seen = now
            extra = e.failures - self.free_failures
            lock = 0.0 if extra < 0 else min(self.max_s, self.base_s * 2 ** min(extra, 30))
            e.locked_until = now + lock
            return lock

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def _forget_old(self, now: float) -> None:
        # Bounded memory under a flood of distinct names or addresses: drop stale keys first.
        if len(self._entries) < self.max_keys:
            return
        stale = [k for k, e in self._entries.items() if now - e.last_seen > self.forget_after_s]
        for k in stale or list(self._entries)[: self.max_keys // 10]:
            del self._entries[k]
