"""Turn and Dialogue value objects: no torch, no gradio, no database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from workbench.errors import InputError

Role = Literal["patient", "doctor"]
ROLES: tuple[str, ...] = ("patient", "doctor")


@dataclass(frozen=True)
class Turn:
    role: Role
    text: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InputError(f"turn role must be one of {ROLES}, got {self.role!r}")
        if not isinstance(self.text, str):
            raise InputError(f"turn text must be a string, got {type(self.text).__name__}")

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "text": self.text}


@dataclass(frozen=True)
class Dialogue:
    """An ordered list of turns. Patient and doctor normally alternate."""

    turns: tuple[Turn, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, turns: Iterable[Turn | tuple[str, str] | dict]) -> Dialogue:
        out: list[Turn] = []
        for t in turns:
            if isinstance(t, Turn):
                out.append(t)
            elif isinstance(t, dict):
                if "role" not in t or "text" not in t:
                    raise InputError(f"each turn needs 'role' and 'text', got keys {sorted(t)}")
                out.append(Turn(t["role"], t["text"]))
            else:
                role, text = t
                out.append(Turn(role, text))  # type: ignore[arg-type]
        return cls(tuple(out))

    @classmethod
    def from_json(cls, data: dict | str) -> Dialogue:
        if isinstance(data, str):
            data = json.loads(data)
        if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
            raise InputError('a dialogue must be {"turns": [{"role": ..., "text": ...}, ...]}')
        return cls.of(data["turns"])

    @classmethod
    def load(cls, path: str | Path) -> Dialogue:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise InputError(f"dialogue file not found: {p}") from e
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InputError(f"{p}: not valid JSON: {e}") from e
        return cls.from_json(data)

    def to_json(self) -> dict:
        return {"turns": [t.to_dict() for t in self.turns]}

    def __len__(self) -> int:
        return len(self.turns)

    def append(self, role: Role, text: str) -> Dialogue:
        return Dialogue(self.turns + (Turn(role, text),))

    @property
    def patient_texts(self) -> list[str]:
        return [t.text for t in self.turns if t.role == "patient"]

    @property
    def doctor_texts(self) -> list[str]:
        return [t.text for t in self.turns if t.role == "doctor"]

    @property
    def ends_with_patient(self) -> bool:
        return bool(self.turns) and self.turns[-1].role == "patient"

    def require_patient_last(self) -> None:
        if not self.ends_with_patient:
            raise InputError("the dialogue must end with a patient turn for a model to reply")

    def pairs(self) -> tuple[list[tuple[str, str]], str]:
        """Split into completed (patient, doctor) rounds and the pending patient message.

        Consecutive patient turns are joined with a newline, so that a dialogue
        with two patient messages in a row still maps onto BianQue's strict
        patient/doctor alternation. A doctor turn with no patient turn before it
        is paired with an empty patient message.
        """
        self.require_patient_last()
        rounds: list[tuple[str, str]] = []
        pending: list[str] = []
        for t in self.turns:
            if t.role == "patient":
                pending.append(t.text)
            else:
                rounds.append(("\n".join(pending), t.text))
                pending = []
        return rounds, "\n".join(pending)
