"""How OpenMP worker threads wait between parallel regions, set before torch is imported.

GNU OpenMP (torch's thread pool on Linux) lets its workers spin after every parallel region by default.
On a CPU that others share (the browser showing the workbench, other users, a build) a spinning worker
takes the core the main thread needs for the next small operation: measured on the 2-core development
machine at load average 10, an int8 ChatGLM decode step took 552 ms (median) with spinning workers,
28 ms with sleeping ones (``PASSIVE``) and 42 ms on one thread. The workbench's entry point therefore
asks for passive waiting unless the user chose otherwise (``OMP_WAIT_POLICY=ACTIVE`` restores spinning,
which can save microseconds per step on a dedicated machine).
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

WAIT_POLICY_ENV = "OMP_WAIT_POLICY"


def prefer_passive_waiting(environ: MutableMapping[str, str] | None = None) -> bool:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` unless it is set already; True when this call set it.

    It only takes effect if torch (which loads the OpenMP runtime, reading the variable once) has not been
    imported yet, so it is called first thing by ``python -m workbench``.
    """
    env = os.environ if environ is None else environ
    if env.get(WAIT_POLICY_ENV):
        return False
    env[WAIT_POLICY_ENV] = "PASSIVE"
    return "torch" not in sys.modules
