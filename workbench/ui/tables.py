"""Analysis tables as people read them: headers in the session's language and "n/a (reason)" where a
statistic cannot be computed. Slots come counted from 1 from the analysis itself (``frames.FIRST_SLOT``),
so the tab, its CSVs and ``python -m workbench stats`` give the same numbers.

Two views of one table:

* :func:`data_view` keeps the data's column names and full precision (the CSV download of the table);
  NaN stays missing there, never 0. The rows are the rows the tab shows.
* :func:`display_view` is what the tab shows: numbers rounded, headers translated
  (``<area>.col.<column>`` in the catalogue; a column with no entry, such as a model name, keeps its name).
  A p-value below the rounding reads "<0.001", never 0; a missing interval bound reads "n/a" (one value,
  or nothing to resample: see ``workbench.analysis.scores``), never a blank or a zero-width interval.
"""

from __future__ import annotations

import pandas as pd

from workbench.analysis.plots import not_available
from workbench.ui.i18n import catalogue

DIGITS = 3
#: the index of a win matrix becomes this column (the row's column name)
ROW_COLUMN = "row"
#: a statistic column and the column that says why it is missing (dropped from the display)
NA_REASONS = {"alpha": "undefined_reason"}
#: text columns whose values are vocabulary (rubric axes, measurement levels, aggregation methods): shown as
#: ``<prefix>.<value>`` in the session's language where the catalogue has it
VALUE_KEYS = {"axis": "compare.axis", "level": "compare.level", "aggregate": "compare.method",
              "note": "compare.bt_note", "reading": "compare.reading",
              # the pseudo-column of the dataset's reference replies (a model's own name is kept)
              "column": "compare.column_value"}
#: p-value columns: shown as "<0.001" below the display's rounding
P_VALUE_COLUMNS = ("p_value", "uniform_p")
#: interval bound columns (exact names and suffixes): a missing bound reads "n/a"
INTERVAL_NAMES = ("lo", "hi", "ci_low", "ci_high")
INTERVAL_SUFFIXES = ("_lo", "_hi", "_low", "_high")


def is_interval_bound(name: object) -> bool:
    """True for a column holding a confidence-interval bound (``lo``, ``questioning_hi``, ``ci_low`` …)."""
    text = str(name)
    return text in INTERVAL_NAMES or text.endswith(INTERVAL_SUFFIXES)


def p_value_text(value: float, digits: int = DIGITS) -> float | str:
    """A p-value as shown: rounded to ``digits``, or ``<0.001`` when it would round to 0 (a p-value is never 0)."""
    if pd.isna(value):
        return value
    floor = 10.0 ** -digits
    return f"<{floor:.{digits}f}" if float(value) < floor else round(float(value), digits)


def data_view(df: pd.DataFrame, *, keep_index: bool = False) -> pd.DataFrame:
    """The table with its data column names, as many rows as shown (what ``stats`` writes, as the CSV)."""
    out = df.copy()
    if keep_index:
        out = out.rename_axis(ROW_COLUMN).reset_index()
    return out


def header(name: object, lang: str, area: str = "compare") -> str:
    """A data column's header in ``lang``; unknown columns (model names, new measures) keep their name."""
    return catalogue().text_or(f"{area}.col.{name}", lang, str(name))


def display_view(df: pd.DataFrame, lang: str, *, area: str = "compare", digits: int = DIGITS,
                 missing_is_na: bool = False) -> pd.DataFrame:
    """``df`` (a :func:`data_view`) rounded, with "n/a (reason)" for undefined statistics and readable headers.

    ``missing_is_na``: every missing number reads "n/a" (a table where NaN means "cannot be computed").
    """
    out = df.copy()
    numeric = [c for c in out.columns if pd.api.types.is_float_dtype(out[c])]
    if len(out):
        p_columns = [c for c in numeric if c in P_VALUE_COLUMNS]
        p_shown = {c: [p_value_text(v, digits) for v in out[c]] for c in p_columns}
        out[numeric] = out[numeric].round(digits)
        for c, shown in p_shown.items():
            out[c] = pd.Series(shown, index=out.index, dtype=object)
        na = catalogue().t("compare.na", lang)
        for c in numeric:
            if c not in NA_REASONS and out[c].isna().any() and (missing_is_na or is_interval_bound(c)):
                out[c] = [na if pd.isna(v) else v for v in out[c].astype(object)]
    cat = catalogue()
    if {"reading", "first", "second"} <= set(out.columns) and len(out):
        # "BianQue-2.0 higher" reads at a glance where "second higher" sends the eye back along the row
        out["reading"] = [_reading_text(cat, str(r), first, second, lang)
                          for r, first, second in zip(out["reading"], out["first"], out["second"], strict=True)]
    for col, prefix in VALUE_KEYS.items():
        if col in out.columns and len(out):
            out[col] = [cat.text_or(f"{prefix}.{v}", lang, v) for v in out[col]]
    for value, reason_col in NA_REASONS.items():
        if value in out.columns:
            reasons = out[reason_col] if reason_col in out.columns else pd.Series([None] * len(out), index=out.index)
            tr = lambda key, **f: catalogue().t(key, lang, **f)  # noqa: E731 - a one-line adapter
            out[value] = [not_available(r, tr) if pd.isna(v) else v
                          for v, r in zip(out[value].astype(object), reasons, strict=True)]
            out = out.drop(columns=[reason_col], errors="ignore")
    return out.rename(columns={c: header(c, lang, area) for c in out.columns})


def _reading_text(cat, value: str, first: object, second: object, lang: str) -> str:
    """A differences row's reading with the higher column named (``compare.reading.<value>`` with {column})."""
    key = f"{VALUE_KEYS['reading']}.{value}"
    if key not in cat.messages:
        return value
    higher = {"second_higher": second, "first_higher": first}.get(value)
    return cat.t(key, lang, column=str(higher)) if higher is not None else cat.t(key, lang)


def blank_table() -> pd.DataFrame:
    """A table's value before anything is computed: no rows and one empty header (Gradio draws "1 2 3" as the
    headers of a Dataframe without columns)."""
    return pd.DataFrame(columns=[""])


def note_table(text: str, lang: str, area: str = "compare") -> pd.DataFrame:
    """A one-cell table that says why there are no rows."""
    return pd.DataFrame({header("note", lang, area): [text]})


def _text_width(text: str) -> int:
    """Rough pixels of ``text`` in the table font: CJK characters are about twice as wide as Latin ones."""
    return sum(15 if ord(ch) > 0x2E80 else 8 for ch in text)


def column_widths(df: pd.DataFrame, *, min_px: int = 64, max_px: int = 320) -> list[str]:
    """Widths for a table's columns so that a header wraps between words, never inside one.

    Each column is as wide as its longest header word or, up to ``max_px``, its widest cell: a wide table
    then scrolls sideways instead of squeezing "Generations" into "Gene/rati/ons".
    """
    widths = []
    for col in df.columns:
        words = str(col).split() or [""]
        head = max(_text_width(w) for w in words)
        cells = max((_text_width(str(v)) for v in df[col].head(50)), default=0)
        widths.append(f"{max(min_px, min(max_px, max(head, cells)) + 28)}px")
    return widths


def table_update(df: pd.DataFrame) -> dict:
    """A Dataframe update showing ``df`` with :func:`column_widths`."""
    import gradio as gr

    return gr.update(value=df, column_widths=column_widths(df))
