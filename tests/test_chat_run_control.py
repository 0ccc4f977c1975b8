"""A message sent while a Regenerate of its dialogue runs waits for the new replies, then goes (the README's
promise: a message sent while replies stream is never dropped). A send only waited for a send before: during a
regeneration it was refused with a pop-up and stayed in the box."""

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
