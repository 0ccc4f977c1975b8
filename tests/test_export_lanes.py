"""Several formats written in two processes (``workbench.export.lanes``): the files and reports of one
process, whatever the second process does.

The golden export (tests/test_export_golden.py: candidates with every option set, and a store) is written
with the second lane forced on and compared with the recorded digests. A child that raises, or dies
mid-write, costs only time: its formats are written by the parent. An error in the parent's own lane
reaches the caller and leaves no child process behind.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import psutil
import pytest

from tests.test_export_golden import FORMATS, assert_golden, digests, golden_candidates, run_golden
from workbench.export import ExportContext, ExportFilters, dpo, lanes, second_process, tables
from workbench.export.api import write_formats

needs_fork = pytest.mark.skipif(not lanes.can_fork(), reason="no os.fork on this system")


@pytest.fixture
def counted_forks(monkeypatch: pytest.MonkeyPatch, forks: list[int]) -> list[int]:
    """Forks made by the export (the child's pid each), with the second lane on at any size."""
    monkeypatch.setattr(lanes, "MIN_CANDIDATES", 0)
    return forks


def _context() -> ExportContext:
    cands, prefs = golden_candidates()
    return ExportContext.build(cands, ExportFilters(), True, prefs, thorough=False)  # as the golden digests


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "README.md"}  # a card quotes the time it took


def _report_fields(reports: dict) -> dict:
    """What a report says of its format, without where and when it was written (two contexts built a second
    apart differ in ``created_at``) or how long it took."""
    skip = ("seconds", "out_dir", "files", "file_sizes", "created_at")
    return {f: {k: v for k, v in r.to_dict().items() if k not in skip} for f, r in reports.items()}


@needs_fork
def test_the_golden_export_written_in_two_lanes_is_the_recorded_one(tmp_path, counted_forks) -> None:
    assert_golden(run_golden(tmp_path))
    # Six option sets on candidates and two store exports, each of every format: each forked once.
    assert len(counted_forks) == 8


@needs_fork
def test_two_lanes_give_one_lanes_files_and_reports_in_the_asked_order(tmp_path, counted_forks) -> None:
    order = ["tables_parquet", "kto", "bianque_jsonl", "dpo", "sft", "tables_csv", "bianque_csv"]
    one = write_formats(_context(), order, tmp_path / "one", parallel=False)
    assert not counted_forks
    two = write_formats(_context(), order, tmp_path / "two", parallel=True)
    assert len(counted_forks) == 1
    assert list(two) == order == list(one)
    assert _files(tmp_path / "two") == _files(tmp_path / "one")
    assert _report_fields(two) == _report_fields(one)
    # The root card lists the configs of every format, in the same order.
    assert digests(tmp_path / "two")["files"].keys() == digests(tmp_path / "one")["files"].keys()


def test_split_gives_the_child_only_fork_safe_formats_and_about_half_the_work() -> None:
    everything = list(FORMATS)
    here, child = lanes.split(everything)
    assert sorted(here + child) == sorted(everything)
    assert child and set(child) <= lanes.FORK_SAFE
    cost = lanes.COST
    assert abs(sum(map(cost.get, here)) - sum(map(cost.get, child))) <= max(cost.values())
    assert lanes.split(["tables_csv", "tables_parquet"]) == (["tables_csv", "tables_parquet"], [])
    assert lanes.split(["dpo"]) == ([], ["dpo"])


@needs_fork
@pytest.mark.parametrize("failure", ["raises", "dies", "hangs"])
def test_a_failing_child_costs_time_not_files(tmp_path, counted_forks, monkeypatch, caplog, failure: str) -> None:
    parent = os.getpid()
    real = dpo.write
    monkeypatch.setattr(second_process, "CHILD_GRACE_S", 2.0)

    def write(ctx, out_dir):
        if os.getpid() != parent:  # only in the second process
            if failure == "dies":
                os._exit(9)
            if failure == "hangs":
                time.sleep(600)
            raise RuntimeError("the child's writer failed")
        return real(ctx, out_dir)

    monkeypatch.setattr(dpo, "write", write)
    expected = write_formats(_context(), FORMATS, tmp_path / "one", parallel=False)
    with caplog.at_level(logging.WARNING, logger="workbench.export.second_process"):
        got = write_formats(_context(), FORMATS, tmp_path / "two", parallel=True)
    assert counted_forks and "dpo" in lanes.split(FORMATS)[1]
    assert "did not finish" in caplog.text
    assert _files(tmp_path / "two") == _files(tmp_path / "one")
    assert _report_fields(got) == _report_fields(expected)
    assert not psutil.Process().children()  # the hung child was stopped, the others reaped


@needs_fork
def test_an_error_in_a_childs_format_reaches_the_caller_as_in_one_process(tmp_path, counted_forks, monkeypatch) -> None:
    def write(ctx, out_dir):
        raise ValueError("broken dpo input")

    monkeypatch.setattr(dpo, "write", write)
    with pytest.raises(ValueError, match="broken dpo input"):
        write_formats(_context(), FORMATS, tmp_path, parallel=True)
    assert counted_forks
    assert not psutil.Process().children()


@needs_fork
def test_an_error_in_this_processs_lane_stops_the_child(tmp_path, counted_forks, monkeypatch) -> None:
    def write_csv(ctx, out_dir):
        raise OSError("disk full")

    monkeypatch.setattr(tables, "write_csv", write_csv)
    assert "tables_csv" in lanes.split(FORMATS)[0]
    with pytest.raises(OSError, match="disk full"):
        write_formats(_context(), FORMATS, tmp_path, parallel=True)
    assert counted_forks
    assert not psutil.Process().children()


def test_small_exports_stay_in_one_process(tmp_path, monkeypatch) -> None:
    def fork() -> int:
        raise AssertionError("forked for a small export")

    monkeypatch.setattr(os, "fork", fork)
    ctx = _context()
    assert len(ctx.candidates) < lanes.MIN_CANDIDATES
    assert set(write_formats(ctx, FORMATS, tmp_path)) == set(FORMATS)
