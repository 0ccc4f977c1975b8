"""What part of the store a statistic or an export looks at: one value for the dashboard and the exports.

A :class:`Scope` names annotators, datasets, a date range, columns and turn types; a field left ``None``
does not narrow anything. The Compare tab, ``python -m workbench stats``, the Export tab,
``python -m workbench export`` and the export API all build it with :meth:`Scope.parse`, so a value means
the same in each of them. What each field selects in a statistic is described in
``workbench.analysis.filters``; in an export, in ``workbench.export.selection``.

Dates go through :mod:`workbench.dates` (the one date parser): a ``YYYY-MM-DD`` day, an ISO date-time, a
``date``/``datetime`` or a POSIX timestamp; a day given as ``date_to`` covers that whole day.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from workbench.dates import DateInput, check_order, parse_when
from workbench.errors import InputError
from workbench.vocab import TurnType

#: how the dataset filter of the Compare tab names the dialogues that come from no dataset (live chats)
LIVE_CHATS = "(live chats)"
#: the filters a scope can set, as tables name what they follow (``dates`` is the from/to range)
FILTERS = ("annotators", "datasets", "dates", "columns", "turn_types")


def _tuple(values: Iterable[Any] | None) -> tuple | None:
    """A field's values as a tuple (None stays None: no filter); a lone string is one value."""
    if values is None:
        return None
    return (values,) if isinstance(values, str) else tuple(values)


@dataclass(frozen=True)
class Scope:
    """Annotators, datasets, dates, columns and turn types to look at (``None``: all of them).

    ``None`` inside ``datasets`` stands for live chats (dialogues whose dataset is null). ``date_from`` and
    ``date_to`` hold a ``date`` (a whole day) or a ``datetime`` (an instant), both inclusive.
    """

    annotators: tuple[str, ...] | None = None
    datasets: tuple[str | None, ...] | None = None
    date_from: Any = None  # date | datetime | None once built (anything parse_when accepts on the way in)
    date_to: Any = None
    columns: tuple[str, ...] | None = None
    turn_types: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        # Programmatic callers may pass lists or date strings: keep one normal form, so equal scopes compare equal.
        for name in ("annotators", "datasets", "columns", "turn_types"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        object.__setattr__(self, "date_from", parse_when(self.date_from, "date_from"))
        object.__setattr__(self, "date_to", parse_when(self.date_to, "date_to"))
        check_order(self.date_from, self.date_to, ("date_from", "date_to"))

    @classmethod
    def parse(cls, *, annotators: Any = None, datasets: Any = None, date_from: DateInput = None,
              date_to: DateInput = None, columns: Any = None, turn_types: Any = None,
              live_names: Collection[str] = (), date_names: tuple[str, str] = ("from", "to")) -> Scope:
        """A scope from raw widget, command-line or JSON values; :class:`InputError` names a bad field.

        An empty selection (None, ``""``, ``[]``) means no filter; blank names are dropped and repeated ones
        kept once. A dataset named in ``live_names`` (the Compare tab's :data:`LIVE_CHATS`, the command
        line's ``live``) selects live chats. ``date_names`` name the date fields in error messages.
        """
        tt = names(turn_types)
        unknown = [t for t in tt or () if t not in set(TurnType)]
        if unknown:
            raise InputError(f"unknown turn type(s): {', '.join(unknown)}; the turn types are: "
                             f"{', '.join(TurnType)}")
        ds = names(datasets)
        start, stop = parse_when(date_from, date_names[0]), parse_when(date_to, date_names[1])
        check_order(start, stop, date_names)
        return cls(annotators=names(annotators),
                   datasets=tuple(None if d in live_names else d for d in ds) if ds is not None else None,
                   date_from=start, date_to=stop, columns=names(columns), turn_types=tt)

    @property
    def has_dates(self) -> bool:
        return self.date_from is not None or self.date_to is not None

    def filters_set(self) -> tuple[str, ...]:
        """The :data:`FILTERS` this scope narrows by, in their order."""
        return tuple(f for f in FILTERS if (self.has_dates if f == "dates" else getattr(self, f) is not None))

    def only(self, filters: Collection[str]) -> Scope:
        """This scope with only the given :data:`FILTERS` kept: what a table that follows those applied."""
        keep = {f: getattr(self, f) for f in ("annotators", "datasets", "columns", "turn_types") if f in filters}
        dates = {"date_from": self.date_from, "date_to": self.date_to} if "dates" in filters else {}
        return Scope(**keep, **dates)

    def describe(self) -> str:
        """The filters set, as ``name=value; …`` (live chats as :data:`LIVE_CHATS`), or ``none``: for a file that
        must say what it was computed over."""
        parts = []
        for name, value in self.to_dict().items():
            if value is not None:
                shown = [LIVE_CHATS if v is None else v for v in value] if isinstance(value, list) else [value]
                parts.append(f"{name}={', '.join(shown)}")
        return "; ".join(parts) or "none"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates in ISO form, tuples as lists, unset fields as None."""
        return {name: (v.isoformat() if hasattr(v, "isoformat") else list(v) if isinstance(v, tuple) else v)
                for name, v in vars(self).items()}


def names(values: Any) -> tuple[str, ...] | None:
    """Selected names as a tuple, blanks dropped and each once (None when nothing is selected)."""
    if values is None or (not isinstance(values, str) and not isinstance(values, Iterable)):
        return None if not values else (str(values),)
    items = [values] if isinstance(values, str) else list(values)
    out = tuple(dict.fromkeys(str(x) for x in items if x is not None and str(x).strip()))
    return out or None
