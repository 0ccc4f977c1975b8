"""One column's reply to one stored dialogue, run through the workbench's generation service, as a chat turn runs
it: for tests of what a column stores when it answers, fails to load or runs out of memory."""

from __future__ import annotations

from typing import Any

from workbench.dialogue import Dialogue


def run_column(services: Any, column: Any, dialogue: Dialogue, seed: int = 1) -> list[Any]:
    """The final updates of ``column`` (settings, built on the services' pool) answering ``dialogue``."""
    from workbench.generation import Job
    from workbench.models.registry import build_backend
    from workbench.store.dialogues import create_dialogue

    backend = build_backend(column, services.pool, {})
    with services.store.session() as s:
        did = create_dialogue(s, dialogue.turns).id
    updates = services.generations.run_many([Job(column.name, backend, dialogue, seed)],
                                            {column.name: (did, len(dialogue.turns))})
    return [u for u in updates if u.final]
