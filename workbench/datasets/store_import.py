"""Store a parsed dataset: one Dataset row, its dialogues and their reference turns, all or nothing.

Parsing is done first (``workbench.datasets.parse_dataset``, which rejects a file with any bad row);
only a fully parsed file reaches the database, and then in one transaction, so a failure at any point
(a database error, a name clash found late) leaves nothing behind.

Re-importing an existing name is refused unless ``replace=True``. Replacing deletes the old dataset
with its dialogues, batch runs and generations; it is refused while annotators have ratings or
preferences on them, because those would be deleted too.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from workbench.datasets._io import text_problem
from workbench.datasets.registry import parse_dataset, resolve_format
from workbench.errors import DatasetError
from workbench.plural import counted, plural
from workbench.store.engine import Store
from workbench.store.schema import Dataset, Dialogue, Generation, Preference, Rating, Turn, utcnow
from workbench.validation import DEFAULT_MAX_TURN_CHARS, MARKUP_CHARACTERS

MAX_NAME_CHARS = 200  # the width of datasets.name
IMPORT_CHUNK = 2000  # dialogues per bulk insert


@dataclass(frozen=True)
class ImportSummary:
    """What an import stored."""

    dataset_id: int
    name: str
    format: str
    dialogues: int
    turns: int
    references: int  # doctor turns, stored with is_reference=True
    replaced: bool = False
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        verb = "replaced" if self.replaced else "imported"
        return (f"{verb} dataset {self.name!r} ({self.format}): {counted(self.dialogues, 'dialogue')}, "
                f"{counted(self.turns, 'turn')}, {self.references} reference doctor {plural(self.references, 'turn')}")


def _store_of(svc_or_store: object) -> Store:
    store = getattr(svc_or_store, "store", svc_or_store)
    if not isinstance(store, Store):
        raise TypeError(f"expected Services or Store, got {type(svc_or_store).__name__}")
    return store


def check_name(name: str) -> str:
    """A dataset name, stripped; DatasetError when empty or too long."""
    name = (name or "").strip()
    if not name:
        raise DatasetError("a dataset needs a non-empty name")
    if len(name) > MAX_NAME_CHARS:
        raise DatasetError(f"a dataset name can have at most {MAX_NAME_CHARS} characters")
    problem = text_problem(name)
    if problem is not None:
        raise DatasetError(f"the dataset name {problem}")
    # A name is one visible line (lists, cards, file names, every export row), held to an account name's rule:
    # a bidi override or zero-width character would make two names look alike or reorder a CSV row's text.
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or c.isspace() and c != " " for c in name):
        raise DatasetError("the dataset name has a line break, tab or invisible control character")
    return name


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def _annotations_on(s, dataset_id: int) -> int:
    in_dataset = select(Dialogue.id).where(Dialogue.dataset_id == dataset_id)
    gens = select(Generation.id).where(Generation.dialogue_id.in_(in_dataset))
    n_ratings = s.scalar(select(func.count()).select_from(Rating).where(Rating.generation_id.in_(gens))) or 0
    n_prefs = s.scalar(
        select(func.count()).select_from(Preference).where(Preference.dialogue_id.in_(in_dataset))
    ) or 0
    return int(n_ratings) + int(n_prefs)


def import_dataset(
    svc_or_store: object,
    path: str | Path,
    name: str | None = None,
    format: str | None = None,  # noqa: A002 - the CLI flag's name
    *,
    replace: bool = False,
    created_by: int | None = None,
    max_turn_chars: int | None = None,
) -> ImportSummary:
    """Parse ``path`` and store it as dataset ``name`` (default: the file's stem) in one transaction.

    Raises :class:`DatasetError` (with ``row_errors`` for bad rows) and stores nothing on any problem.
    ``max_turn_chars`` defaults to the services' ``limits.max_turn_chars``.
    """
    store = _store_of(svc_or_store)
    if max_turn_chars is None:
        config = getattr(svc_or_store, "config", None)
        max_turn_chars = config.limits.max_turn_chars if config is not None else DEFAULT_MAX_TURN_CHARS
    p = Path(path)
    ds_name = check_name(name if name is not None else p.stem)
    fmt = resolve_format(p, format)
    with store.session() as s:  # fail fast on a clash before parsing a large file
        exists = s.scalar(select(Dataset.id).where(Dataset.name == ds_name))
    if exists is not None and not replace:
        raise DatasetError(f"a dataset named {ds_name!r} already exists; choose another name or replace it")
    # (as for account names: a dataset's name goes into every export row; an existing one can still be replaced)
    if exists is None and MARKUP_CHARACTERS.intersection(ds_name):
        raise DatasetError(f"a dataset name cannot hold {' '.join(sorted(MARKUP_CHARACTERS))}: they are markup in a "
                           f"web page")
    parsed = parse_dataset(p, fmt, max_turn_chars=max_turn_chars)
    if not parsed.dialogues:
        raise DatasetError(f"{p}: no dialogues found")

    n_turns = n_refs = 0
    with store.session() as s:
        old = s.scalar(select(Dataset).where(Dataset.name == ds_name))
        replaced = old is not None
        if old is not None:
            if not replace:  # created by someone else since the check above
                raise DatasetError(f"a dataset named {ds_name!r} already exists; choose another name or replace it")
            n_ann = _annotations_on(s, old.id)
            if n_ann:
                raise DatasetError(
                    f"dataset {ds_name!r} has {counted(n_ann, 'rating or preference', 'ratings or preferences')}; "
                    f"replacing it would delete {plural(n_ann, 'it', 'them')}, so it was left unchanged. Import under a new name instead."
                )
            # Bulk deletes with explicit order, so this works without relying on ON DELETE CASCADE.
            in_dataset = select(Dialogue.id).where(Dialogue.dataset_id == old.id)
            s.execute(delete(Turn).where(Turn.dialogue_id.in_(in_dataset)))
            s.execute(delete(Generation).where(Generation.dialogue_id.in_(in_dataset)))
            s.execute(delete(Dialogue).where(Dialogue.dataset_id == old.id))
            s.delete(old)
            s.flush()
        ds = Dataset(
            # A file name can hold bytes that are not UTF-8 (surrogate escapes): store a readable form.
            name=ds_name, format=parsed.format, source=p.name.encode("utf-8", "replace").decode("utf-8"),
            meta={"file_digest": _file_digest(p), "warnings": list(parsed.warnings),
                  "dialogues": len(parsed.dialogues)},
        )
        s.add(ds)
        s.flush()
        # Core inserts in chunks, not ORM objects: the transaction holds SQLite's write lock, and every other
        # user's save waits on it (30,000 dialogues took 18 s as ORM objects, with every object in memory).
        now = utcnow()
        dialogues = parsed.dialogues
        for start in range(0, len(dialogues), IMPORT_CHUNK):
            chunk = dialogues[start : start + IMPORT_CHUNK]
            exts = [d.external_id if d.external_id is not None else str(start + i + 1) for i, d in enumerate(chunk)]
            ids = s.scalars(
                insert(Dialogue).returning(Dialogue.id, sort_by_parameter_order=True),
                [{"source": "dataset", "title": f"{ds_name} · {ext}", "dataset_id": ds.id, "external_id": ext,
                  "created_by": created_by, "created_at": now,
                  "meta": {**d.metadata, "source_rows": list(d.source_rows)}} for d, ext in zip(chunk, exts, strict=True)],
            ).all()
            turns = [{"dialogue_id": did, "idx": k, "role": t.role, "text": t.text,
                      "is_reference": t.role == "doctor", "created_at": now}
                     for did, d in zip(ids, chunk, strict=True) for k, t in enumerate(d.turns)]
            if turns:
                s.execute(insert(Turn), turns)
            n_turns += len(turns)
            n_refs += sum(t.role == "doctor" for d in chunk for t in d.turns)
        ds_id = ds.id
    return ImportSummary(ds_id, ds_name, parsed.format, len(parsed.dialogues), n_turns, n_refs, replaced,
                         list(parsed.warnings))


@dataclass(frozen=True)
class DatasetInfo:
    id: int
    name: str
    format: str
    source: str | None
    dialogues: int
    references: int
    created_at: object


def list_datasets(svc_or_store: object) -> list[DatasetInfo]:
    """Every dataset with its dialogue and reference-turn counts (two queries)."""
    store = _store_of(svc_or_store)
    with store.session() as s:
        dcount = dict(s.execute(
            select(Dialogue.dataset_id, func.count()).where(Dialogue.dataset_id.is_not(None))
            .group_by(Dialogue.dataset_id)
        ).tuples().all())
        rcount = dict(s.execute(
            select(Dialogue.dataset_id, func.count()).join(Turn, Turn.dialogue_id == Dialogue.id)
            .where(Dialogue.dataset_id.is_not(None), Turn.is_reference.is_(True))
            .group_by(Dialogue.dataset_id)
        ).tuples().all())
        return [
            DatasetInfo(d.id, d.name, d.format, d.source, int(dcount.get(d.id, 0)), int(rcount.get(d.id, 0)),
                        d.created_at)
            for d in s.scalars(select(Dataset).order_by(Dataset.id))
        ]
