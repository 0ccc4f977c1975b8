"""Names a scope asks for, checked against the store: a misspelt annotator, dataset or column would
otherwise give an empty export or report without a word (turn types are checked by ``Scope.parse``)."""

from __future__ import annotations

from sqlalchemy import select

from workbench.errors import InputError
from workbench.scope import Scope
from workbench.store.engine import Store
from workbench.store.schema import Dataset, Generation, User


def check_scope_names(store: Store, scope: Scope | None) -> None:
    """Refuse every name of ``scope`` the store does not have, naming the ones it has."""
    if scope is None:
        return
    wanted = (("annotator", scope.annotators, select(User.username)),
              ("dataset", tuple(d for d in scope.datasets or () if d is not None), select(Dataset.name)),
              ("column", scope.columns, select(Generation.column_name).distinct()))
    problems = []
    with store.read() as s:
        for what, names, query in wanted:
            if not names:
                continue
            known = {k for k in s.scalars(query) if k is not None}
            unknown = [n for n in names if n not in known]
            if unknown:
                problems.append(f"unknown {what}(s): {', '.join(unknown)}; the store has: "
                                f"{', '.join(sorted(known)) or 'none'}")
    if problems:
        raise InputError("; ".join(problems))
