"""The reference the column-wise CSV writers are compared with: Python's ``csv.writer``, each cell neutralised
first where formulas are protected."""

from __future__ import annotations

import csv
import io

from workbench.csv_safety import neutralise


def csv_writer_bytes(header: list[str], columns: list[list], protect: bool) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows([neutralise(v) if protect else v for v in row] for row in zip(*columns, strict=True))
    return buf.getvalue().encode("utf-8")
