"""Compose the shipped demo dialogues (``demo_dialogues.jsonl``) from the templates in ``demo_topics.yaml``.

Each dialogue follows the shape of BianQue's training data: the patient describes a complaint, the
doctor asks one to four short follow-up questions, then gives concrete advice. The randomness is seeded,
so re-running this reproduces the committed file byte for byte::

    python -m workbench.demo.dialogues            # rewrite workbench/data/demo_dialogues.jsonl
    python -m workbench.demo.dialogues --check    # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import ConfigError
from workbench.yaml_files import read_yaml

DATA = Path(__file__).resolve().parents[1] / "data"
TOPICS_PATH = DATA / "demo_topics.yaml"
OUT_PATH = DATA / "demo_dialogues.jsonl"


@dataclass(frozen=True)
class Advice:
    """Closing advice; ``requires`` lists an opening and/or answers the dialogue must contain for it to fit."""

    text: str
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    """Templates for one complaint: openings, ordered follow-up questions with fitting answers, advice."""

    key: str
    name: str
    openings: tuple[str, ...]
    questions: tuple[tuple[str, tuple[str, ...]], ...]
    advice: tuple[Advice, ...]


@dataclass(frozen=True)
class Templates:
    seed: int
    per_topic: int
    closing_asks: tuple[str, ...]  # appended to some last answers: patients often close by asking
    topics: tuple[Topic, ...]


def _topic(raw: dict[str, Any]) -> Topic:
    advice = tuple(
        Advice(a) if isinstance(a, str) else Advice(a["text"], tuple(a.get("requires", ()))) for a in raw["advice"]
    )
    topic = Topic(
        raw["key"], raw["name"], tuple(raw["openings"]),
        tuple((q["ask"], tuple(q["answers"])) for q in raw["questions"]), advice,
    )
    known = set(topic.openings) | {a for _, answers in topic.questions for a in answers}
    for adv in advice:
        missing = [r for r in adv.requires if r not in known]
        if missing:
            raise ConfigError(f"{TOPICS_PATH.name}: topic {topic.key}: advice requires unknown text {missing}")
    return topic


def load_templates(path: Path = TOPICS_PATH) -> Templates:
    raw = read_yaml(path, "demo topics")
    try:
        return Templates(int(raw["seed"]), int(raw["dialogues_per_topic"]), tuple(raw["closing_asks"]),
                         tuple(_topic(t) for t in raw["topics"]))
    except (KeyError, TypeError) as e:
        raise ConfigError(f"{path}: malformed demo topics: {e!r}") from None


def compose_dialogue(topic: Topic, rng: random.Random, index: int, closing_asks: tuple[str, ...]) -> dict:
    """One dialogue: opening, 1-4 follow-up questions in the topic's order, then advice that fits the answers."""
    advice = topic.advice[index % len(topic.advice)]
    required = set(advice.requires)
    # Answers that motivate a *different* specific advice would make the closing advice look inattentive.
    other_triggers = {r for a in topic.advice if a is not advice for r in a.requires} - required
    openings = [o for o in topic.openings if o in required] or [
        o for o in topic.openings if o not in other_triggers
    ]
    opening = openings[index % len(openings)]
    must = [i for i, (_, answers) in enumerate(topic.questions) if required & set(answers)]
    n_questions = max(rng.choice((1, 2, 2, 3, 3, 4)), len(must))
    rest = [i for i in range(len(topic.questions)) if i not in must]
    picked = sorted(must + rng.sample(rest, min(n_questions - len(must), len(rest))))
    turns = [{"role": "patient", "text": opening}]
    for k, qi in enumerate(picked):
        question, answers = topic.questions[qi]
        if k == 0 and rng.random() < 0.3:
            question = "您好，" + question
        fitting = (
            [a for a in answers if a in required]
            or [a for a in answers if a not in other_triggers]
            or list(answers)
        )
        answer = rng.choice(fitting)
        if k == len(picked) - 1:
            answer += rng.choice(closing_asks)
        turns.append({"role": "doctor", "text": question})
        turns.append({"role": "patient", "text": answer})
    turns.append({"role": "doctor", "text": advice.text})
    return {"id": f"{topic.key}-{index + 1:02d}", "topic": topic.name, "turns": turns}


def build_dialogues(templates: Templates | None = None) -> list[dict]:
    """All demo dialogues, deterministic for the templates' seed."""
    t = templates or load_templates()
    rng = random.Random(t.seed)
    return [compose_dialogue(topic, rng, i, t.closing_asks) for topic in t.topics for i in range(t.per_topic)]


def render_jsonl(dialogues: list[dict]) -> str:
    """One compact JSON object per line, Chinese kept readable."""
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dialogues)


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) the committed jsonl."""
    parser = argparse.ArgumentParser(prog="python -m workbench.demo.dialogues", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file differs")
    parser.add_argument("--out", type=Path, default=OUT_PATH)
    args = parser.parse_args(argv)
    text = render_jsonl(build_dialogues())
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale; re-run python -m workbench.demo.dialogues", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} dialogues to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
