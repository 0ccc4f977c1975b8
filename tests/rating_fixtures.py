"""Test data for the rating tests: dialogues and generations inserted straight into the store (no model)."""

from __future__ import annotations

from workbench.annotate.queue import sync_queue, take_next
from workbench.auth import CurrentUser, upsert_user
from workbench.dialogue import Turn
from workbench.store.dialogues import create_dialogue
from workbench.store.engine import Store
from workbench.store.schema import Generation

COLUMNS = ("BianQue-1.0", "BianQue-2.0", "Hybrid v1→v2")
REPLIES = (
    "咳嗽多久了？有没有发烧？",
    "考虑是上呼吸道感染，建议多喝水，注意休息。",
    "建议先量一下体温。咳嗽有痰吗？",
    "不客气，祝您早日康复！",
)


def add_positions(store: Store, n: int, columns: tuple[str, ...] = COLUMNS, *, live: bool = False,
                  first_text: str = "") -> list[tuple[int, int]]:
    """Create ``n`` ratable positions, each with one ok reply per column; returns (dialogue_id, turn_index).

    ``live`` dialogues store only patient turns as shared (earlier doctor turns are per column).
    """
    out = []
    with store.session() as s:
        for i in range(n):
            if live:
                d = create_dialogue(s, (Turn("patient", f"我咳嗽{i}天了"),), source="live")
                for c in columns:
                    s.add(Generation(dialogue_id=d.id, turn_index=1, column_name=c, backend="test",
                                     output=f"{c}-早先的回复", status="ok"))
                from workbench.store.dialogues import add_turn

                add_turn(s, d.id, 2, "patient", "三天了，有点发烧")
                pos = 3
            else:
                d = create_dialogue(s, (Turn("patient", f"我咳嗽{i}天了"), Turn("doctor", "咳嗽多久了？"),
                                        Turn("patient", "三天了")), source="dataset", reference=True)
                pos = 3
            for j, c in enumerate(columns):
                text = first_text if (first_text and j == 0) else REPLIES[(i + j) % len(REPLIES)] + f"（{i}-{j}）"
                s.add(Generation(dialogue_id=d.id, turn_index=pos, column_name=c, backend="test",
                                 model_name=f"test/{c}", output=text, status="ok"))
            # A failed generation must never become ratable.
            s.add(Generation(dialogue_id=d.id, turn_index=pos + 2, column_name=columns[0], backend="test",
                             output="", status="error", error="boom"))
            out.append((d.id, pos))
    return out


def make_users(store: Store, *names: str, role: str = "annotator") -> list[CurrentUser]:
    return [upsert_user(store, n, "secret-pass-" + n, role) for n in names]


def claim(store: Store, user: CurrentUser, k: int = 1, gold_rate: float = 0.0) -> int | None:
    """Queue every ratable position, then give ``user`` their next item (its id) as the Rate tab does."""
    with store.session() as s:
        sync_queue(s)
    with store.session() as s:
        c = take_next(s, user, k, gold_rate)
        return c.item_id if c else None


def test_config(db_path, *, k: int = 2, blind: bool = True):
    """A config whose columns are unreachable OpenAI-compatible servers: no model is ever loaded."""
    from workbench.config import parse_config

    cols = [{"name": c, "backend": "openai-compatible", "base_url": "http://127.0.0.1:9/v1", "model_name": "none",
             "timeout_s": 2} for c in COLUMNS]
    return parse_config({"database_url": f"sqlite:///{db_path}", "columns": cols,
                         "annotation": {"annotators_per_item": k, "blind": blind, "users_file": None}},
                        "<rating tests>")


class RunningApp:
    """The real app on 127.0.0.1 with logins, started in-process."""

    def __init__(self, tmp_path, *, k: int = 2) -> None:
        from tests.ui_server import launch_app
        from workbench.services import build_services
        from workbench.ui.app import build_app

        self.db_path = tmp_path / "app.db"
        self.config = test_config(self.db_path, k=k)
        self.svc = build_services(self.config, auth_enabled=True)
        self.store = self.svc.store
        self.demo = build_app(self.svc)
        self.url = f"http://127.0.0.1:{launch_app(self.demo, self.svc, None)}"

    def close(self) -> None:
        self.demo.close()
        self.svc.close()
