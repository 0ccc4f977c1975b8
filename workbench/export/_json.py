"""Fast JSON to bytes for the JSONL writers: orjson when installed (gradio depends on it), else json.

orjson is several times faster on the hundred thousand small objects of a large export; both produce
valid UTF-8 JSON (orjson without spaces), so readers cannot tell the difference.

:func:`dumpb_kept` is for encodings that a cache keeps for the whole export (one per turn, per reply, per
row): orjson's result keeps the block it was encoded into, and tens of thousands of them kept alive cost
a page fault each (measured: 3 µs per call instead of 0.3 on a large export); a compact copy does not.
Encodings used once (a line written and dropped) need no copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable

try:
    import orjson

    dumpb: Callable[[object], bytes] = orjson.dumps

    def dumpb_kept(obj: object) -> bytes:
        return bytes(memoryview(orjson.dumps(obj)))

except ImportError:  # pragma: no cover - exercised only where orjson is missing
    _enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def dumpb(obj: object) -> bytes:
        return _enc(obj).encode("utf-8")

    dumpb_kept = dumpb
