"""A dashboard figure as a PNG or SVG file: the Plotly figure the tab shows, drawn again by matplotlib.

Plotly draws in the browser; writing its images on the server would need a headless browser (kaleido).
The dashboard uses a few trace kinds only (bars, lines and markers with error bars, a heatmap, reference
lines, notes), so they are redrawn here from the figure itself: one source for the texts, the data and
the tick labels, whatever the language. Chinese needs a CJK font: the first one matplotlib's font
manager knows is used, and without one the text falls back to matplotlib's default font (boxes for
Chinese glyphs, nothing fails).
"""

from __future__ import annotations

import io
import re
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from workbench.errors import InputError

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
_CJK_HINTS = ("Noto Sans CJK", "Noto Serif CJK", "Source Han Sans", "WenQuanYi", "Droid Sans Fallback",
              "SimHei", "Microsoft YaHei", "PingFang", "Heiti")
_TAG = re.compile(r"<br\s*/?>", re.I)


@cache
def cjk_font() -> str | None:
    """The family name of an installed CJK font matplotlib can use (None if there is none)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for hint in _CJK_HINTS:
        found = sorted(n for n in names if n.startswith(hint))
        if found:
            return next((n for n in found if n.endswith(" SC")), found[0])
    return None


def _fonts() -> dict[RcKeyType, Any]:
    cjk = cjk_font()
    return {"font.family": "sans-serif",
            "font.sans-serif": ([cjk] if cjk else []) + ["DejaVu Sans"],
            "axes.unicode_minus": False, "svg.fonttype": "path", "svg.hashsalt": "workbench"}


def _text(value: Any) -> str:
    return _TAG.sub("\n", str(value)) if value is not None else ""


def _values(v: Any) -> list:
    return [] if v is None else list(v)


def _errors(err: Any, n: int) -> np.ndarray | None:
    if err is None or err.array is None:
        return None
    up = np.asarray(err.array, dtype=float)
    down = np.asarray(err.arrayminus if err.arrayminus is not None else err.array, dtype=float)
    if len(up) != n:
        return None
    # an interval's bound a rounding error past its estimate (a share of 1.0 with 0.9999999999999999 above it)
    # is a negative error bar, which matplotlib refuses: the download failed with a server error
    return np.clip(np.nan_to_num(np.vstack([down, up])), 0.0, None)


class _Axis:
    """Category positions shared by the traces of one axis (bars are grouped around them)."""

    def __init__(self) -> None:
        self.categories: list[str] = []

    def positions(self, values: list) -> tuple[np.ndarray, bool]:
        try:
            return np.asarray(values, dtype=float), False
        except (TypeError, ValueError):
            for v in values:
                if str(v) not in self.categories:
                    self.categories.append(str(v))
            return np.asarray([self.categories.index(str(v)) for v in values], dtype=float), True


def _draw(fig: go.Figure, mfig: Figure) -> None:
    ax = mfig.add_subplot()
    layout = fig.layout
    xaxis, yaxis = _Axis(), _Axis()
    bars = [t for t in fig.data if t.type == "bar"]
    width = 0.8 / max(len(bars), 1)
    for trace in fig.data:
        label = trace.name if trace.name and trace.showlegend is not False else None
        if trace.type == "bar":
            x, categorical = xaxis.positions(_values(trace.x))
            y = np.asarray(_values(trace.y), dtype=float)
            i = bars.index(trace)
            offset = (i - (len(bars) - 1) / 2) * width if layout.barmode == "group" else 0.0
            ax.bar(x + offset, np.nan_to_num(y), width=width if layout.barmode == "group" else 0.8,
                   yerr=_errors(trace.error_y, len(y)), capsize=3, label=label)
        elif trace.type == "scatter":
            x, _ = xaxis.positions(_values(trace.x))
            y, _ = yaxis.positions(_values(trace.y))
            mode = trace.mode or "lines+markers"
            dash = "--" if trace.line is not None and trace.line.dash == "dash" else "-"
            ax.errorbar(x, y, yerr=_errors(trace.error_y, len(y)), xerr=_errors(trace.error_x, len(x)),
                        fmt=("o" if "markers" in mode else "") + (dash if "lines" in mode else ""),
                        capsize=3, label=label)
        elif trace.type == "heatmap":
            z = np.asarray(trace.z, dtype=float)
            cols, rows = [_text(v) for v in _values(trace.x)], [_text(v) for v in _values(trace.y)]
            image = ax.imshow(z, cmap="RdBu", vmin=trace.zmin, vmax=trace.zmax, aspect="auto")
            ax.set_xticks(range(len(cols)), cols)
            ax.set_yticks(range(len(rows)), rows)
            text = np.asarray(trace.text) if trace.text is not None else None
            if text is not None and text.shape == z.shape:
                for (r, c), cell in np.ndenumerate(text):
                    dark = np.isfinite(z[r, c]) and abs(z[r, c] - 0.5) > 0.3  # RdBu's ends are dark
                    ax.text(c, r, _text(cell), ha="center", va="center", fontsize=9,
                            color="white" if dark else "black")
            bar = mfig.colorbar(image, ax=ax)
            if trace.colorbar is not None and trace.colorbar.title is not None:
                bar.set_label(_text(trace.colorbar.title.text))
    for shape in layout.shapes or ():
        if shape.y0 == shape.y1 and str(shape.xref or "").endswith("domain"):
            ax.axhline(float(shape.y0), linestyle=":", color="grey")
        elif shape.x0 == shape.x1 and str(shape.yref or "").endswith("domain"):
            ax.axvline(float(shape.x0), linestyle=":", color="grey")
    for note in layout.annotations or ():
        if note.xref == "paper" and note.yref == "y":  # a line's label: across the axes, at a data height
            ax.text(note.x, float(note.y), _text(note.text), transform=ax.get_yaxis_transform(), fontsize=8,
                    color="#444", ha="right" if note.xanchor == "right" else "center", va="bottom",
                    bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1})
        elif note.xref == "paper":
            ax.text(note.x, note.y, _text(note.text), transform=ax.transAxes, ha="center", va="center")
        else:
            x, _ = xaxis.positions([note.x])
            ax.text(x[0], float(note.y), _text(note.text), ha="center", va="center",
                    rotation=-(note.textangle or 0), fontsize=9)
    _style_axes(ax, layout, xaxis, yaxis)
    if any(t.name and t.showlegend is not False and t.type != "heatmap" for t in fig.data):
        ax.legend(fontsize=8)
    if layout.title is not None and layout.title.text:
        ax.set_title(_text(layout.title.text), fontsize=11)


def _style_axes(ax: Any, layout: Any, xaxis: _Axis, yaxis: _Axis) -> None:
    for spec, known, which in ((layout.xaxis, xaxis, "x"), (layout.yaxis, yaxis, "y")):
        set_label, set_lim, set_ticks = ((ax.set_xlabel, ax.set_xlim, ax.set_xticks) if which == "x"
                                         else (ax.set_ylabel, ax.set_ylim, ax.set_yticks))
        axis = ax.xaxis if which == "x" else ax.yaxis
        if spec.visible is False:
            axis.set_visible(False)
            continue
        if spec.title is not None and spec.title.text:
            set_label(_text(spec.title.text))
        if known.categories:
            # a y label ends at its tick (centred on it, it ran over the axis: "BianQue-1.0" on its error bar)
            set_ticks(range(len(known.categories)), known.categories, rotation=30 if which == "x" else 0,
                      ha="right" if which == "y" or len(known.categories) > 4 else "center")
        elif spec.tickvals is not None:
            set_ticks(list(spec.tickvals), [_text(v) for v in (spec.ticktext or spec.tickvals)])
        if spec.range is not None:
            set_lim(*spec.range)
        if spec.tickformat and spec.tickformat.endswith("%"):
            axis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        # imshow already draws a heatmap's first row on top, as Plotly's reversed axis does
        if spec.autorange == "reversed" and which == "y" and not known.categories and not ax.images:
            ax.invert_yaxis()


def figure_bytes(fig: go.Figure, fmt: str, *, width_in: float = 8.0, height_in: float = 4.5) -> bytes:
    """``fig`` as a ``png`` or ``svg`` file."""
    if fmt not in FORMATS:
        raise InputError(f"unknown image format {fmt!r}; expected one of {sorted(FORMATS)}")
    with rc_context(_fonts()):
        mfig = matplotlib_figure(fig, width_in, height_in)
        buf = io.BytesIO()
        mfig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def matplotlib_figure(fig: go.Figure, width_in: float = 8.0, height_in: float = 4.5) -> Figure:
    """``fig`` drawn by matplotlib, as the files are (call inside ``rc_context(_fonts())`` for their fonts)."""
    mfig = Figure(figsize=(width_in, height_in), dpi=120, layout="tight")
    _draw(fig, mfig)
    return mfig
