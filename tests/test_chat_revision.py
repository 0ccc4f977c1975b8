"""What a Chat page keeps of the dialogue it drew (walk s66): the turn count alone missed a reply regenerated in
another tab, so a tab still showing the old reply could send, regenerate or branch from a state the store no
longer had. The revision changes with every send, regeneration and stored reply, and with nothing else."""

from __future__ import annotations

from types import SimpleNamespace

from workbench import chat
from workbench.store.dialogues import add_turn, create_dialogue
from workbench.store.schema import Generation
from workbench.vocab import GenerationStatus


def _reply(store, dialogue_id: int, position: int, status: str = GenerationStatus.RUNNING) -> int:
    with store.session() as s:
        g = Generation(dialogue_id=dialogue_id, turn_index=position, column_name="A", backend="fake", status=status,
                       params={})
        s.add(g)
        s.flush()
        return g.id


def _finish(store, gen_id: int) -> None:
    with store.session() as s:
        g = s.get(Generation, gen_id)
        g.status, g.output = GenerationStatus.OK, "好的"


def test_every_change_a_page_could_miss_moves_the_revision_and_nothing_else_does(store):
    svc = SimpleNamespace(store=store)
    with store.session() as s:
        did = create_dialogue(s, (), source="live").id
        other = create_dialogue(s, (), source="live").id
    seen = [chat.revision(svc, did)]
    with store.session() as s:
        add_turn(s, did, 0, "patient", "我咳嗽三天了")
    seen.append(chat.revision(svc, did))  # a message sent
    first = _reply(store, did, 1)
    seen.append(chat.revision(svc, did))  # a reply started
    _finish(store, first)
    seen.append(chat.revision(svc, did))  # ... and stored: same ids, one reply fewer running
    regen = _reply(store, did, 1)
    seen.append(chat.revision(svc, did))  # a regeneration: the turn count stays
    _finish(store, regen)
    seen.append(chat.revision(svc, did))
    assert len(set(seen)) == len(seen), seen
    assert chat.last_reply_position(svc, did) == 1  # what the page kept before: blind to the regeneration

    with store.session() as s:
        add_turn(s, other, 0, "patient", "别的对话")
    _finish(store, _reply(store, other, 1))
    assert chat.revision(svc, did) == seen[-1]  # another dialogue's changes, and reading, change nothing
    assert chat.revision(svc, did) == (seen[-1].last_turn, regen, 0)
