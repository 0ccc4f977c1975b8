"""Where the UI's export zips wait for their download: a private folder (0700), files 0600.

Each zip gets an unguessable id bound to the user who made it. It is deleted after a complete download (a
download cut off part-way leaves it, so the link can be tried again), and a sweeper deletes what nobody fetched
within ``ttl_s``; closing the vault deletes the folder.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)
    return path


def make_private(path: Path) -> None:
    """Owner-only permissions on a file or, recursively, a folder."""
    if path.is_dir():
        os.chmod(path, PRIVATE_DIR)
        for p in path.rglob("*"):
            os.chmod(p, PRIVATE_DIR if p.is_dir() else PRIVATE_FILE)
    elif path.exists():
        os.chmod(path, PRIVATE_FILE)


@dataclass(frozen=True)
class Stored:
    path: Path
    owner: str
    created: float
    name: str


class ExportVault:
    """Holds export zips for one server; thread-safe."""

    def __init__(self, root: Path | None = None, *, ttl_s: float = 3600.0, sweep_every_s: float = 60.0) -> None:
        self.root = private_dir(root) if root else Path(tempfile.mkdtemp(prefix="workbench-exports-"))
        os.chmod(self.root, PRIVATE_DIR)
        self.ttl_s = ttl_s
        self._items: dict[str, Stored] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep_loop, args=(sweep_every_s,), daemon=True,
                                         name="export-vault-sweeper")
        self._sweeper.start()

    def new_workdir(self) -> Path:
        """A private scratch folder inside the vault for one export run."""
        return Path(tempfile.mkdtemp(prefix="run-", dir=self.root))

    def put(self, path: Path, owner: str) -> str:
        """Keep ``path`` (moved into the vault) for ``owner``; returns its download id."""
        key = secrets.token_urlsafe(24)
        target = self.root / f"{key}.zip"
        shutil.move(str(path), target)
        os.chmod(target, PRIVATE_FILE)
        with self._lock:
            self._items[key] = Stored(target, owner, time.monotonic(), path.name)
        return key

    def find(self, key: str, user: str) -> Stored | None:
        """The zip ``key`` if ``user`` made it; it stays in the vault until :meth:`withdraw` (or the sweeper)."""
        with self._lock:
            item = self._items.get(key)
        if item is None or item.owner != user or not item.path.exists():
            return None
        return item

    def withdraw(self, key: str) -> Stored | None:
        """Take the zip ``key`` out of the vault (its download is about to complete); the caller deletes it."""
        with self._lock:
            return self._items.pop(key, None)

    def restore(self, key: str, item: Stored) -> None:
        """Put back a zip withdrawn for a download that did not complete (unless the sweeper deleted it)."""
        with self._lock:
            if item.path.exists():
                self._items.setdefault(key, item)

    def sweep(self, now: float | None = None) -> int:
        """Delete what has waited longer than the TTL; returns how many."""
        now = time.monotonic() if now is None else now
        with self._lock:
            old = [k for k, v in self._items.items() if now - v.created > self.ttl_s]
            gone = [self._items.pop(k) for k in old]
        for item in gone:
            item.path.unlink(missing_ok=True)
        return len(gone)

    def _sweep_loop(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            try:
                self.sweep()
            except OSError as e:  # a sweep that fails once is retried at the next tick
                log.warning("export sweep failed: %s", e)

    def close(self) -> None:
        self._stop.set()
        shutil.rmtree(self.root, ignore_errors=True)
