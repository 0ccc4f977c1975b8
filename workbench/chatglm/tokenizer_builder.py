"""Train a small ``ice_text.model`` with the real ChatGLM-6B (v1) piece layout, for offline demo checkpoints.

Layout (L = number of learned pieces; the real model has L = 129994):

====================  ==================================================  ============
ids                   pieces                                              type
====================  ==================================================  ============
0 / 1 / 2 / 3         ``<unk>`` / ``<s>`` / ``</s>`` / ``<pad>``          UNKNOWN, CONTROL
4                     ``<n>``                                             USER_DEFINED
5                     ``▁``                                               NORMAL
6 .. L+5              learned pieces, best score first                    NORMAL
L+6 .. L+13           ``[MASK] [gMASK] [sMASK] <unused_0> <sop> <eop>
                      <ENC> <dBLOCK>``                                    CONTROL
L+14                  ``<|tab|>``                                         USER_DEFINED
L+15 .. L+93          ``<|blank_2|>`` .. ``<|blank_80|>``                 USER_DEFINED
L+94 .. L+349         ``<0x00>`` .. ``<0xFF>``                            BYTE
====================  ==================================================  ============

The unigram model segments by score, not by id, so reordering the trained pieces changes ids only.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2

from workbench.chatglm.tokenization import MAX_BLANK, ChatGLMTokenizer, encode_whitespace
from workbench.errors import InputError

__all__ = [
    "CONTROL_TOKENS",
    "META_PIECES",
    "TokenizerBuild",
    "build_chatglm_tokenizer",
    "chatglm_layout",
    "layout_size",
]

META_PIECES = ("<unk>", "<s>", "</s>", "<pad>")
CONTROL_TOKENS = ("[MASK]", "[gMASK]", "[sMASK]", "<unused_0>", "<sop>", "<eop>", "<ENC>", "<dBLOCK>")
_NEWLINE, _SPACE, _TAB = "<n>", "\u2581", "<|tab|>"
_BLANKS = tuple(f"<|blank_{k}|>" for k in range(2, MAX_BLANK + 1))
_BYTES = tuple(f"<0x{b:02X}>" for b in range(256))
# Pieces that are not learned: 4 meta + <n> + ▁ + 8 control + tab + 79 blanks + 256 bytes.
_FIXED = len(META_PIECES) + 2 + len(CONTROL_TOKENS) + 1 + len(_BLANKS) + len(_BYTES)
_TRAIN_CAP = 1_000_000  # "as many as the corpus gives" (hard_vocab_limit is off)

# The protobuf classes are generated at import time, so type checkers cannot see them.
sp_pb2: Any = sentencepiece_model_pb2
_Piece: Any = sp_pb2.ModelProto.SentencePiece


def layout_size(learned_pieces: int) -> int:
    """Total SentencePiece size for ``learned_pieces`` learned pieces (1500 for 1150, 130344 for 129994)."""
    return learned_pieces + _FIXED


def chatglm_layout(learned_pieces: int) -> dict[str, int]:
    """Id of every fixed piece (meta, ``<n>``, ``▁``, control, tab, blanks, bytes) for a learned-piece count."""
    ids = {name: i for i, name in enumerate(META_PIECES)}
    ids[_NEWLINE], ids[_SPACE] = 4, 5
    base = 6 + learned_pieces
    ids.update({name: base + i for i, name in enumerate(CONTROL_TOKENS)})
    ids[_TAB] = base + len(CONTROL_TOKENS)
    ids.update({name: ids[_TAB] + 1 + i for i, name in enumerate(_BLANKS)})
    first_byte = ids[_BLANKS[-1]] + 1
    ids.update({name: first_byte + i for i, name in enumerate(_BYTES)})
    return ids


@dataclass(frozen=True)
class TokenizerBuild:
    """What :func:`build_chatglm_tokenizer` wrote."""

    folder: Path
    learned_pieces: int
    vocab_size: int
    special_ids: dict[str, int] = field(repr=False)

    def load(self) -> ChatGLMTokenizer:
        """The tokenizer just written."""
        return ChatGLMTokenizer.from_pretrained(self.folder)


def _train(texts: list[str], vocab_size: int, character_coverage: float) -> Any:
    writer = io.BytesIO()
    with open(os.devnull, "w") as quiet:  # the trainer logs every EM step to stderr otherwise
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(texts),
            model_writer=writer,
            logstream=quiet,
            model_type="unigram",
            vocab_size=vocab_size,
            hard_vocab_limit=False,
            character_coverage=character_coverage,
            byte_fallback=True,
            normalization_rule_name="identity",
            add_dummy_prefix=True,
            remove_extra_whitespaces=False,
            split_by_whitespace=True,
            max_sentence_length=100_000,
            unk_id=0,
            bos_id=1,
            eos_id=2,
            pad_id=3,
            control_symbols=list(CONTROL_TOKENS),
            user_defined_symbols=[_NEWLINE, _TAB, *_BLANKS],
            num_threads=1,  # one thread keeps the result independent of the machine
        )
    proto = sp_pb2.ModelProto()
    proto.ParseFromString(writer.getvalue())
    return proto


def _reorder(proto: Any, learned_pieces: int | None) -> tuple[Any, int]:
    by_name = {p.piece: p for p in proto.pieces}
    fixed = {*META_PIECES, _NEWLINE, _SPACE, *CONTROL_TOKENS, _TAB, *_BLANKS, *_BYTES}
    learned = [p for p in proto.pieces if p.piece not in fixed and p.type == _Piece.NORMAL]
    if learned_pieces is not None:
        if len(learned) < learned_pieces:
            raise InputError(
                f"the training texts give only {len(learned)} learned pieces, {learned_pieces} were asked for: "
                "add text or ask for fewer"
            )
        learned = sorted(learned, key=lambda p: -p.score)[:learned_pieces]
    space = by_name.get(_SPACE)
    if space is None:  # only when no text had a word boundary; the piece must exist for the dummy prefix
        space = _Piece(
            piece=_SPACE, score=min((p.score for p in learned), default=0.0) - 1.0, type=_Piece.NORMAL
        )

    def fixed_piece(name: str, kind: int) -> Any:
        return _Piece(piece=name, score=0.0, type=kind)

    ordered = [fixed_piece(META_PIECES[0], _Piece.UNKNOWN)]
    ordered += [fixed_piece(name, _Piece.CONTROL) for name in META_PIECES[1:]]
    ordered += [fixed_piece(_NEWLINE, _Piece.USER_DEFINED), space, *learned]
    ordered += [fixed_piece(name, _Piece.CONTROL) for name in CONTROL_TOKENS]
    ordered += [fixed_piece(name, _Piece.USER_DEFINED) for name in (_TAB, *_BLANKS)]
    ordered += [fixed_piece(name, _Piece.BYTE) for name in _BYTES]

    out = sp_pb2.ModelProto()
    out.CopyFrom(proto)
    del out.pieces[:]
    out.pieces.extend(ordered)
    out.trainer_spec.vocab_size = len(ordered)
    return out, len(learned)


def build_chatglm_tokenizer(
    texts: Iterable[str],
    folder: str | Path,
    *,
    learned_pieces: int | None = None,
    character_coverage: float = 1.0,
    name_or_path: str = "chatglm-6b-demo-tokenizer",
) -> TokenizerBuild:
    """Train a unigram ``ice_text.model`` on ``texts`` and write it with ``tokenizer_config.json`` to ``folder``.

    ``learned_pieces`` fixes the number of learned pieces (ids 6 .. L+5); ``None`` keeps as many as the corpus
    gives. Raises :class:`InputError` when the texts cannot give that many. Newlines, tabs and space runs are
    turned into their placeholder pieces before training, as the tokenizer does before encoding.
    """
    prepared = [encode_whitespace(t) for t in texts if isinstance(t, str) and t.strip()]
    if not prepared:
        raise InputError("build_chatglm_tokenizer needs at least one non-empty text")
    if learned_pieces is not None and learned_pieces < 1:
        raise InputError(f"learned_pieces must be positive, got {learned_pieces}")
    proto = None
    if learned_pieces is not None:
        try:
            proto = _train(prepared, layout_size(learned_pieces), character_coverage)
        except RuntimeError:
            # The trainer refuses a vocabulary smaller than the corpus alphabet. Train without a limit
            # instead and keep the best-scoring pieces: byte fallback covers the characters left out.
            proto = None
    if proto is None:
        proto = _train(prepared, _TRAIN_CAP, character_coverage)
    proto, learned = _reorder(proto, learned_pieces)

    tokenizer = ChatGLMTokenizer(model_proto=proto.SerializeToString(), name_or_path=name_or_path)
    folder = Path(folder)
    tokenizer.save_pretrained(folder)
    return TokenizerBuild(
        folder=folder,
        learned_pieces=learned,
        vocab_size=tokenizer.vocab_size,
        special_ids=chatglm_layout(learned),
    )
