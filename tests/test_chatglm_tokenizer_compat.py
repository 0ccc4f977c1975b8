"""The tokenizer options only code written against the original uses (text pairs, truncation strategies),
kept in ``workbench.chatglm.compat.ChatGLMTokenizerCompat``; moved from test_chatglm_tokenizer.py with what
they assert unchanged. The core tokenizer refuses them with a clear error."""

from __future__ import annotations

from typing import Any

import pytest
from test_chatglm_tokenizer import MISSING, TEXT_CASES, TOKENIZER_DIR, _golden, _params, _plain

from workbench.chatglm.compat import ChatGLMTokenizerCompat
from workbench.chatglm.tokenization import ChatGLMTokenizer, TokenizerInputError
from workbench.errors import ConfigError


@pytest.fixture(scope="module")
def tok() -> ChatGLMTokenizerCompat:
    if not (TOKENIZER_DIR / "ice_text.model").is_file():
        pytest.skip(MISSING)
    return ChatGLMTokenizerCompat.from_pretrained(TOKENIZER_DIR)


@pytest.fixture(scope="module")
def core() -> ChatGLMTokenizer:
    if not (TOKENIZER_DIR / "ice_text.model").is_file():
        pytest.skip(MISSING)
    return ChatGLMTokenizer.from_pretrained(TOKENIZER_DIR)


@pytest.mark.parametrize(
    "case", _params(_golden("pairs"), [f"pair-{i}" for i in range(len(_golden("pairs") or []))])
)
def test_pairs(tok: ChatGLMTokenizerCompat, case: dict[str, Any]) -> None:
    out = tok(case["text"], case["text_pair"])
    assert list(out.keys()) == case["keys"]
    if case["token_type_ids"] is None:
        assert "token_type_ids" not in out
    assert out["input_ids"] == case["ids"]
    assert tok.encode(case["text"], case["text_pair"]) == case["ids"]
    assert tok.convert_ids_to_tokens(case["ids"]) == case["pieces"]
    assert tok.decode(case["ids"]) == case["decoded"]
    assert tok.encode(case["text"], add_special_tokens=False) == case["a_ids_no_special"]
    assert tok.encode(case["text_pair"], add_special_tokens=False) == case["b_ids_no_special"]
    padded = tok(case["text"], case["text_pair"], padding=True)
    want = case["batch_padding_true"]
    assert padded["input_ids"] == want["input_ids"]
    assert _plain(padded["attention_mask"]) == _plain(want["attention_mask"])
    assert _plain(padded["position_ids"]) == want["position_ids"]
    batch = tok([case["text"]], [case["text_pair"]], padding=True, return_tensors="pt")
    assert _plain(batch["input_ids"]) == [want["input_ids"]]


@pytest.mark.parametrize(
    "case", _params(_golden("pairs"), [f"pair-{i}" for i in range(len(_golden("pairs") or []))])
)
def test_a_pair_is_what_the_demo_training_composes_with_the_core_tokenizer(core: ChatGLMTokenizer,
                                                                           case: dict[str, Any]) -> None:
    # workbench/demo/glm.py builds its (prompt, target) sequences this way, without the compat class
    composed = [*core.encode(case["text"]), *core.encode(case["text_pair"], add_special_tokens=False),
                core.eos_token_id]
    assert composed == case["ids"]


def test_truncation(tok: ChatGLMTokenizerCompat) -> None:
    if not TEXT_CASES:
        pytest.skip(MISSING)
    case = max((c for _, _, c in TEXT_CASES), key=lambda c: len(c["ids_no_special"]))
    body, tail = case["ids_no_special"], [tok.gmask_token_id, tok.bos_token_id]
    assert tok(case["text"], truncation=True, max_length=7)["input_ids"] == body[:5] + tail
    assert (
        tok(case["text"], max_length=7)["input_ids"] == body[:5] + tail
    )  # transformers: implied longest_first
    tok_left = ChatGLMTokenizerCompat.from_pretrained(TOKENIZER_DIR, truncation_side="left")
    assert tok_left(case["text"], truncation=True, max_length=7)["input_ids"] == body[-5:] + tail
    short = tok(case["text"], padding="max_length", max_length=7)  # padding alone never truncates
    assert short["input_ids"] == case["ids"]
    with pytest.raises(TokenizerInputError):
        tok(case["text"], truncation=True, max_length=1)


def test_invalid_pair_arguments(tok: ChatGLMTokenizerCompat) -> None:
    with pytest.raises(ValueError):
        tok(["a", "b"], ["c"])
    with pytest.raises(ValueError):
        tok("a", truncation="sideways")
    with pytest.raises(ConfigError):
        ChatGLMTokenizerCompat.from_pretrained(TOKENIZER_DIR, truncation_side="middle")


def test_the_core_tokenizer_has_no_pairs_or_truncation(core: ChatGLMTokenizer) -> None:
    with pytest.raises(TypeError):
        core("a", "b")  # type: ignore[misc]
    with pytest.raises(TypeError):
        core("a", truncation=True)  # type: ignore[call-arg]
    with pytest.raises(TokenizerInputError, match="would truncate"):
        core("头痛", max_length=3)
    assert core("头痛", padding="max_length", max_length=8)["input_ids"][:2] == [core.pad_token_id] * 2
