"""A message sent while a Regenerate of its dialogue runs waits for the new replies, then goes (the README's
promise: a message sent while replies stream is never dropped). A send only waited for a send before: during a
regeneration it was refused with a pop-up and stayed in the box. And Stop counts only replies still generating."""

from __future__ import annotations

import threading
import time

import pytest

from workbench.errors import InputError
from workbench.ui.chat_tab import RunControl


def test_a_send_waits_for_a_regeneration_of_its_dialogue_only():
    control = RunControl()
    control.claim(7, "regenerate")  # a regeneration of dialogue 7 runs
    with pytest.raises(InputError, match="still generating"):
        control.claim(7, "regenerate")  # a Regenerate pressed now is refused at once
    threading.Timer(0.3, control.release, args=(7,)).start()
    t0 = time.monotonic()
    control.claim(7, "send", wait_s=10)  # the send waits, then holds the dialogue itself
    assert 0.2 < time.monotonic() - t0 < 5
    t0 = time.monotonic()
    with pytest.raises(InputError):
        control.claim(7, "send", wait_s=10)  # a second tab's send during a send is refused at once
    assert time.monotonic() - t0 < 1
    control.release(7)
    control.claim(8)  # other dialogues never wait
    control.release(8)


def test_stop_counts_only_replies_still_generating(services, tmp_path):
    """A reply that has finished, though the browser's stream has yet to take its last update, is not counted
    (walk 9: Stop's pop-up counted it among the replies it was stopping)."""
    from workbench.config import V1Column
    from workbench.dialogue import Dialogue
    from workbench.generation import Job
    from workbench.models.registry import build_backend
    from workbench.prompts import GREETING
    from workbench.store.dialogues import create_dialogue

    dialogue = Dialogue.of([("patient", "你好"), ("doctor", GREETING), ("patient", "我最近经常失眠")])

    broken = build_backend(V1Column(name="Broken", backend="bianque-v1",
                                    model={"path": str(tmp_path / "none"), "device": "cpu"}), services.pool, {})
    with services.store.session() as s:
        did = create_dialogue(s, dialogue.turns).id
    control = RunControl()
    ran = [Job("Broken", broken, dialogue, 1), Job("BianQue-2.0", services.backends["BianQue-2.0"], dialogue, 1)]
    waiting = Job("BianQue-1.0", services.backends["BianQue-1.0"], dialogue, 1)  # not started yet
    control.add("tab", [*ran, waiting])
    finals = [u for u in services.generations.run_many(ran, {j.column: (did, 3) for j in ran}) if u.final]
    assert {u.column for u in finals} == {"Broken", "BianQue-2.0"}
    assert control.stop("tab") == 1  # the two that ran are over; the one not started still counts
    assert waiting.stop.is_set() and not any(j.stop.is_set() for j in ran)


def test_a_send_from_another_tab_is_told_where_the_replies_come_from():
    from workbench.ui.chat_tab import RunControl

    control = RunControl()
    control.claim(7, "send", session="tab-1")
    # (the page draws them once stored: session 66; it said to reload before)
    with pytest.raises(InputError, match="sent in another tab: yours was not sent; this page shows those replies "
                                         "once they are stored"):
        control.claim(7, "send", session="tab-2")
    with pytest.raises(InputError, match="wait for them, or press Stop"):  # its own tab may stop them
        control.claim(7, "send", session="tab-1")
    control.release(7)
    control.claim(7, "send", session="tab-2")


def test_a_regenerate_from_another_tab_is_told_so_and_a_run_records_what_it_left():
    from workbench.ui.chat_tab import BUSY, BUSY_ELSEWHERE_REGENERATE

    control = RunControl()
    control.claim(7, "send", session="tab-a")
    assert control.page(7) == "tab-a"
    with pytest.raises(InputError) as refused:
        control.claim(7, "regenerate", session="tab-b")
    assert str(refused.value) == BUSY_ELSEWHERE_REGENERATE.format(id=7)  # not "press Stop": that tab's Stop
    with pytest.raises(InputError) as own:
        control.claim(7, "regenerate", session="tab-a")
    assert str(own.value) == BUSY.format(id=7)
    control.ended(7, "tab-a", (3, 9, 0))  # the run's page drew the dialogue at this revision
    control.release(7)
    assert control.page(7) is None
    assert control.left_by(7) == ("tab-a", (3, 9, 0))
    assert control.left_by(8) is None


def test_a_run_record_is_kept_for_the_latest_ended_runs_only():
    """The record of what a page's last run left (one per dialogue) is kept for the latest-ended runs, not one per
    dialogue for the server's life; a dialogue whose run ends again is among the latest."""
    control = RunControl()
    kept = RunControl.LEFT_KEPT
    control.ended(0, "tab-a", (1, 1, 0))
    for did in range(1, kept):
        control.ended(did, "tab-b", (did, did, 0))
    control.ended(0, "tab-a", (2, 5, 0))  # dialogue 0's next run: the newest record
    control.ended(kept, "tab-b", (3, 3, 0))  # one more than kept: the oldest record (dialogue 1's) goes
    assert control.left_by(0) == ("tab-a", (2, 5, 0))
    assert control.left_by(1) is None
    assert control.left_by(2) == ("tab-b", (2, 2, 0))
    assert control.left_by(kept) == ("tab-b", (3, 3, 0))
    for did in range(kept + 1, 5 * kept):
        control.ended(did, "tab-c", (did, did, 0))
    assert control.left_by(0) is None and control.left_by(5 * kept - 1) == ("tab-c", (5 * kept - 1,) * 2 + (0,))
    assert sum(control.left_by(d) is not None for d in range(5 * kept)) == kept
