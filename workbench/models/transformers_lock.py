"""One transformers load at a time.

transformers 5 is not thread safe while it loads: resolving its lazy names (``_LazyModule.__getattr__``) from
two threads at once can raise ``ImportError: cannot import name 'T5Tokenizer' from 'transformers'``, and two
``from_pretrained`` calls at once can report tied tensors as missing ("checkpoint is missing 3 tensors, e.g.
['decoder.embed_tokens.weight', ...]"). The columns of a chat load their models in parallel on first use
(``launch.py --no-warm-up``), and the pool remembers a failed load: two T5 or causal-LM columns left one of
them broken until a restart. Every loader that calls transformers runs under :func:`one_at_a_time`; the
native ChatGLM does not use transformers and still loads beside them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# Reentrant: a loader may call another (a model loader reads its config through transformers too).
_LOCK = threading.RLock()


def one_at_a_time(loader: Callable[P, R]) -> Callable[P, R]:
    """Run ``loader`` while no other transformers loader runs. It must not wait for a model resource inside
    (the pool gets the tokenizer before it calls a model loader), so the lock is never held while waiting."""

    @functools.wraps(loader)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with _LOCK:
            return loader(*args, **kwargs)

    return wrapped
