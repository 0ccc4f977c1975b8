"""One Scope (workbench/scope.py) for the dashboard and the exports: every entry point parses the same
values into the same scope, refuses the same bad values, and the export keeps its own options apart."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest

from workbench.cli import build_parser, stats_scope
from workbench.errors import InputError
from workbench.export.cli import add_export_parser, filters_from_args
from workbench.export.selection import ExportFilters
from workbench.scope import LIVE_CHATS, Scope
from workbench.ui.compare_tab import make_filters
from workbench.ui.export_tab import build_filters

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "demo.yaml"


def export_args(*extra: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_export_parser(p.add_subparsers(dest="command", required=True))
    return p.parse_args(["export", "--format", "sft", "--out", "x", *extra])


def stats_args(*extra: str) -> argparse.Namespace:
    return build_parser().parse_args(["stats", "--out", "report", *extra])


def test_every_entry_point_builds_the_same_scope():
    expected = Scope(annotators=("ann1", "ann2"), datasets=("set-a",), date_from=dt.date(2025, 3, 2),
                     date_to=dt.datetime(2025, 3, 9, 12, 0), turn_types=("question", "mixed"))
    from_compare = make_filters(["ann1", "ann2"], ["set-a"], "2025-03-02", "2025-03-09T12:00", None,
                                ["question", "mixed"])
    from_export_tab = build_filters(turn_types=["question", "mixed"], annotators=["ann1", "ann2"],
                                    datasets=["set-a"], date_from="2025-03-02", date_to="2025-03-09T12:00").scope
    from_export_cli = filters_from_args(export_args(
        "--annotator", "ann1,ann2", "--dataset", "set-a", "--from", "2025-03-02", "--to", "2025-03-09T12:00",
        "--turn-type", "question", "--turn-type", "mixed")).scope
    from_stats_cli = stats_scope(stats_args("--annotator", "ann1", "ann2", "--dataset", "set-a", "--from",
                                            "2025-03-02", "--to", "2025-03-09T12:00", "--turn-type", "question",
                                            "mixed"))
    assert from_compare == from_export_tab == from_export_cli == from_stats_cli == expected
    # gr.DateTime may send a POSIX timestamp: the same instant as the ISO text
    assert make_filters(date_to=dt.datetime(2025, 3, 9, 12, tzinfo=dt.UTC).timestamp()).date_to == \
        dt.datetime(2025, 3, 9, 12, 0)


def test_empty_selections_are_no_filter_and_live_chats_have_a_name():
    assert make_filters([], [], None, "", [], []) == Scope()
    assert build_filters().scope == Scope()
    assert filters_from_args(export_args()).scope == Scope()
    assert stats_scope(stats_args()) == Scope()
    assert make_filters(datasets=[LIVE_CHATS, "seed"]).datasets == (None, "seed")
    assert stats_scope(stats_args("--dataset", "live", "-", "seed")).datasets == (None, None, "seed")
    # names are kept as written (a name may hold a comma); blanks and repeats are dropped
    assert Scope.parse(annotators=["a,b", " ", "a,b", "c"]).annotators == ("a,b", "c")


@pytest.mark.parametrize("build", [
    lambda **kw: make_filters(**kw),
    lambda **kw: build_filters(**kw),
    lambda **kw: Scope.parse(**kw),
])
def test_every_entry_point_refuses_the_same_bad_values(build):
    with pytest.raises(InputError, match=r"^unknown turn type\(s\): questionn"):
        build(turn_types=["question", "questionn"])
    with pytest.raises(InputError, match=r"^the 'from' date is after the 'to' date$"):
        build(date_from="2025-03-05", date_to=dt.date(2025, 3, 1))
    with pytest.raises(InputError, match=r"^to: not a date"):
        build(date_to="yesterday")
    # a day as the upper bound is the whole day: from 12:00 to the same day is a real range
    build(date_from="2025-03-05T12:00", date_to="2025-03-05")


def test_the_command_lines_name_their_own_options():
    with pytest.raises(InputError, match=r"^the '--from' date is after the '--to' date$"):
        filters_from_args(export_args("--from", "2025-03-05", "--to", "2025-03-01"))
    with pytest.raises(InputError, match=r"^--to: not a date"):
        stats_scope(stats_args("--to", "soon"))
    with pytest.raises(InputError, match="unknown turn type"):
        filters_from_args(export_args("--turn-type", "questions"))


def test_stats_cli_refuses_an_unknown_turn_type_instead_of_an_empty_report(tmp_path, monkeypatch, capsys):
    from workbench.cli import main

    monkeypatch.setenv("WORKBENCH_DB_URL", f"sqlite:///{tmp_path / 'w.db'}")
    rc = main(["stats", "--config", str(DEMO_CONFIG), "--out", str(tmp_path / "out"), "--turn-type", "Question",
               "--no-metrics", "--n-boot", "10"])
    # walk s64: the message names the valid spellings, as the unknown annotator and dataset ones name the store's
    assert rc == 2 and ("unknown turn type(s): Question; the turn types are: question, suggestion, mixed, other"
                        in capsys.readouterr().err)
    assert not (tmp_path / "out").exists()  # refused before anything was computed or written


def test_stats_cli_refuses_an_unknown_dataset_and_annotator_naming_what_the_store_has(tmp_path, monkeypatch, capsys):
    from workbench.cli import main

    monkeypatch.setenv("WORKBENCH_DB_URL", f"sqlite:///{tmp_path / 'w.db'}")
    rc = main(["stats", "--config", str(DEMO_CONFIG), "--out", str(tmp_path / "out"), "--dataset", "nope",
               "--annotator", "nobody", "--no-metrics", "--n-boot", "10"])
    err = capsys.readouterr().err
    assert rc == 2 and "unknown annotator(s): nobody" in err and "unknown dataset(s): nope; the store has: none" in err
    assert not (tmp_path / "out").exists()


def test_a_scope_is_one_normal_value():
    loose = Scope(annotators=["a"], datasets=["s", None], date_from="2025-03-02", columns="A", turn_types=["other"])
    assert loose == Scope(annotators=("a",), datasets=("s", None), date_from=dt.date(2025, 3, 2), columns=("A",),
                          turn_types=("other",))
    assert hash(loose) == hash(Scope(annotators=("a",), datasets=("s", None), date_from=dt.date(2025, 3, 2),
                                     columns=("A",), turn_types=("other",)))
    assert loose.to_dict() == {"annotators": ["a"], "datasets": ["s", None], "date_from": "2025-03-02",
                               "date_to": None, "columns": ["A"], "turn_types": ["other"]}
    with pytest.raises(InputError, match="is after"):
        Scope(date_from=dt.datetime(2025, 3, 3), date_to=dt.date(2025, 3, 2))


def test_the_export_keeps_its_options_apart_and_reports_them_flat():
    f = ExportFilters(scope=Scope(annotators=("a",), date_to=dt.date(2025, 3, 1)), score_threshold=3.0)
    assert (f.annotators, f.date_to, f.score_threshold) == (("a",), dt.date(2025, 3, 1), 3.0)
    report = f.to_dict()
    assert list(report) == ["min_questioning", "min_suggestion", "score_threshold", "min_agreement", "turn_types",
                            "exclude_safety_flagged", "annotators", "datasets", "date_from", "date_to",
                            "use_corrections", "use_preferences", "kto_threshold", "dpo_low_threshold", "aggregate"]
    assert (report["annotators"], report["date_to"], report["score_threshold"]) == (["a"], "2025-03-01", 3.0)
    # every column's replies compete for a turn: a column scope would silently mean nothing, so it is refused
    with pytest.raises(InputError, match="does not select by column"):
        ExportFilters(scope=Scope(columns=("A",)))
