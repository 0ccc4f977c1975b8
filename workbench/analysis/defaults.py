"""Defaults shared by every place that shows a statistic (no heavy imports: the CLI reads them at start)."""

from __future__ import annotations

#: Bootstrap resamples for every CI shown: the Compare tab and ``python -m workbench stats`` use this one
#: default, so one store gives the same interval endpoints in both.
N_BOOT = 2000
