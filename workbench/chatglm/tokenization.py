"""Native tokenizer for ChatGLM-6B (v1): ``ice_text.model`` + ``tokenizer_config.json``.

Standalone on purpose: the original relied on internals of the transformers tokenizer classes that
changed after 4.33. This module reproduces the original's observable behaviour (ids, decode, the padding
API with ``position_ids`` / 4-D ``attention_mask``) without inheriting from them.

Text handling, in order:

1. split the raw text at the registered special tokens (``<sop> <eop> [MASK] <pad> <unk>`` for the stock
   config) and strip all whitespace on both sides of each of them;
2. in every remaining chunk ``\\n`` -> ``<n>``, ``\\t`` -> ``<|tab|>``, runs of 2-80 spaces -> ``<|blank_N|>``
   (longest first, so a run of 81 is ``<|blank_80|>`` plus one plain space);
3. SentencePiece encodes each chunk with its own dummy prefix; ids are shifted by ``num_image_tokens``;
4. ``[gMASK] <sop>`` is appended.

Text pairs and truncation strategies (``text_pair=``, ``truncation=``, ``truncation_side``), which the
workbench never uses, are in :class:`workbench.chatglm.compat.ChatGLMTokenizerCompat`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sentencepiece as spm

from workbench.errors import ConfigError, InputError, ModelLoadError, UnsupportedModelError

__all__ = [
    "VOCAB_FILE_NAME",
    "TOKENIZER_CONFIG_NAME",
    "MAX_BLANK",
    "BatchEncoding",
    "ChatGLMTokenizer",
    "TokenizerInputError",
    "clean_up_tokenization",
    "encode_whitespace",
    "decode_whitespace",
    "tokenizer_position_ids_and_mask",
]

logger = logging.getLogger(__name__)

VOCAB_FILE_NAME = "ice_text.model"
TOKENIZER_CONFIG_NAME = "tokenizer_config.json"
MODEL_CONFIG_NAME = "config.json"
MAX_BLANK = 80
# transformers' stand-in for "no model_max_length configured".
NO_MAX_LENGTH = int(1e30)

_BLANK_TOKENS = tuple(f"<|blank_{k}|>" for k in range(MAX_BLANK + 1))  # index = run length (0, 1 unused)
_SPACE_RUN = re.compile(" {2,}")
_BLANK_TOKEN_RE = re.compile(r"<\|blank_(\d{1,2})\|>")
# transformers' default post-decode clean-up (clean_up_tokenization_spaces=True), applied in this order.
_CLEANUP_PAIRS = (
    (" .", "."),
    (" ?", "?"),
    (" !", "!"),
    (" ,", ","),
    (" ' ", "'"),
    (" n't", "n't"),
    (" 'm", "'m"),
    (" 's", "'s"),
    (" 've", "'ve"),
    (" 're", "'re"),
)
_PADDING_STRATEGIES = {True: "longest", "longest": "longest", "max_length": "max_length"}
_NO_PADDING = (False, None, "do_not_pad")


class TokenizerInputError(InputError, ValueError):
    """Bad tokenizer arguments. Also a ``ValueError``, which is what transformers callers expect."""


class BatchEncoding(dict):
    """The dict returned by :meth:`ChatGLMTokenizer.__call__`; keys are also readable as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def to(self, device: Any) -> BatchEncoding:
        """Move every tensor value to ``device`` (other values are kept as they are)."""
        return BatchEncoding({k: v.to(device) if hasattr(v, "to") else v for k, v in self.items()})


def _blank_run(match: re.Match[str]) -> str:
    full, rest = divmod(len(match.group(0)), MAX_BLANK)
    tail = _BLANK_TOKENS[rest] if rest >= 2 else " " * rest
    return _BLANK_TOKENS[MAX_BLANK] * full + tail


def encode_whitespace(text: str) -> str:
    """Replace newlines, tabs and runs of 2-80 spaces by the ChatGLM placeholder pieces.

    One regex pass over the space runs gives the same result as the original's 79 ``str.replace`` calls
    from 80 down to 2: a run of n spaces becomes n // 80 ``<|blank_80|>`` then the remainder.
    """
    text = text.replace("\n", "<n>").replace("\t", "<|tab|>")
    if "  " in text:
        text = _SPACE_RUN.sub(_blank_run, text)
    return text


def _blank_back(match: re.Match[str]) -> str:
    k = int(match.group(1))
    return " " * k if 2 <= k <= MAX_BLANK else match.group(0)


def decode_whitespace(text: str) -> str:
    """Inverse of :func:`encode_whitespace` on decoded SentencePiece text."""
    if "<" not in text:
        return text
    text = text.replace("<n>", "\n").replace("<|tab|>", "\t")
    if "<|blank_" in text:
        text = _BLANK_TOKEN_RE.sub(_blank_back, text)
    return text


def clean_up_tokenization(text: str) -> str:
    """The transformers default clean-up of spaces before punctuation and English contractions."""
    for old, new in _CLEANUP_PAIRS:
        if old in text:
            text = text.replace(old, new)
    return text


def tokenizer_position_ids_and_mask(
    ids: Sequence[int], *, bos_id: int, mask_id: int, gmask_id: int, pad_left: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Position ids ``[2, P+L]`` (int64) and attention mask ``[1, P+L, P+L]`` (bool, True = masked).

    Computed on the unpadded ``ids`` (length L), then left-padded by ``pad_left`` = P: pad positions are 0,
    pad rows and pad columns are masked. This is the tokenizer's variant: the context ends at the first
    ``<sop>`` (the whole sequence if none) and the mask position is the first ``[MASK]`` when the ids hold
    one, else the first ``[gMASK]`` (the model, when it builds positions itself, prefers ``[gMASK]``).
    """
    ids = list(ids)
    length = len(ids)
    total = length + pad_left
    ctx = ids.index(bos_id) if bos_id in ids else length
    rows = np.arange(total)[:, None]
    cols = np.arange(total)[None, :]
    # Bidirectional over the context [0, ctx), causal from <sop> on.
    masked = (cols > rows) & (cols >= ctx + pad_left)
    if pad_left:
        masked |= (rows < pad_left) | (cols < pad_left)
    positions = np.zeros((2, total), dtype=np.int64)
    positions[0, pad_left:] = np.arange(length)
    mask_token = mask_id if mask_id in ids else gmask_id
    if mask_token in ids:
        positions[0, pad_left + ctx :] = ids.index(mask_token)
    positions[1, pad_left + ctx :] = np.arange(1, length - ctx + 1)
    return positions, masked[None]


def _token_text(value: Any) -> str | None:
    """A special token from tokenizer_config.json: a string or a serialized AddedToken dict."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"]
    raise ConfigError(f"tokenizer_config.json: cannot read special token {value!r}")


def _as_id_list(token_ids: Any) -> list[int]:
    if hasattr(token_ids, "tolist"):  # torch.Tensor, numpy array or scalar
        token_ids = token_ids.tolist()
    if isinstance(token_ids, int):
        return [token_ids]
    ids = list(token_ids)
    if not all(type(i) is int for i in ids):
        if any(isinstance(i, (list, tuple)) for i in ids):
            raise TokenizerInputError("decode() takes one sequence of ids; use batch_decode() for a batch")
        ids = [int(i) for i in ids]  # numpy / torch scalars inside a plain list
    return ids


class ChatGLMTokenizer:
    """SentencePiece tokenizer of ChatGLM-6B (v1) with the original's text handling and padding API."""

    padding_side = "left"
    #: tokenizer_config.json keys passed to the constructor as they are
    CONFIG_KEYS: tuple[str, ...] = ("remove_space", "do_lower_case", "model_max_length", "clean_up_tokenization_spaces")

    def __init__(
        self,
        vocab_file: str | Path | None = None,
        *,
        model_proto: bytes | None = None,
        bos_token: str = "<sop>",
        eos_token: str = "<eop>",
        end_token: str = "</s>",
        mask_token: str = "[MASK]",
        gmask_token: str = "[gMASK]",
        pad_token: str = "<pad>",
        unk_token: str = "<unk>",
        remove_space: bool = False,
        do_lower_case: bool = False,
        num_image_tokens: int = 0,
        model_max_length: int | None = None,
        clean_up_tokenization_spaces: bool = True,
        name_or_path: str = "",
        extra_config: dict[str, Any] | None = None,
    ) -> None:
        if (vocab_file is None) == (model_proto is None):
            raise TypeError("give exactly one of vocab_file or model_proto")
        if model_proto is None:
            path = Path(vocab_file)  # type: ignore[arg-type]
            try:
                model_proto = path.read_bytes()
            except OSError as exc:
                raise ModelLoadError(f"cannot read the SentencePiece model {path}: {exc}") from exc
        self._sp = spm.SentencePieceProcessor()
        try:
            self._sp.LoadFromSerializedProto(model_proto)
        except Exception as exc:  # sentencepiece raises RuntimeError/OSError depending on the failure
            raise ModelLoadError(f"not a valid SentencePiece model ({vocab_file or 'bytes'}): {exc}") from exc
        if not isinstance(num_image_tokens, int) or num_image_tokens < 0:
            raise ConfigError(f"num_image_tokens must be a non-negative integer, got {num_image_tokens!r}")
        self._model_proto = model_proto
        self.num_image_tokens = num_image_tokens
        self.bos_token, self.eos_token, self.end_token = bos_token, eos_token, end_token
        self.mask_token, self.gmask_token = mask_token, gmask_token
        self.pad_token, self.unk_token = pad_token, unk_token
        self.remove_space, self.do_lower_case = bool(remove_space), bool(do_lower_case)
        self.model_max_length = model_max_length if model_max_length is not None else NO_MAX_LENGTH
        self.clean_up_tokenization_spaces = bool(clean_up_tokenization_spaces)
        self.name_or_path = name_or_path
        self._extra_config = dict(extra_config or {})
        self._check_layout()

        self.bos_token_id = self._piece_id(bos_token)
        self.eos_token_id = self._piece_id(eos_token)
        self.end_token_id = self._piece_id(end_token)
        self.mask_token_id = self._piece_id(mask_token)
        self.gmask_token_id = self._piece_id(gmask_token)
        self.pad_token_id = self._piece_id(pad_token)
        self.unk_token_id = self._piece_id(unk_token)
        # Only the transformers "special token attributes" were registered (split out of raw text and
        # dropped by skip_special_tokens); gMASK and </s> were custom attributes, so they are plain text.
        self.all_special_tokens = [bos_token, eos_token, unk_token, pad_token, mask_token]
        self.all_special_ids = [self._piece_id(t) for t in self.all_special_tokens]
        self._skip_ids = frozenset(self.all_special_ids)
        self._pad_ids = frozenset((self.pad_token_id,))
        alternatives = sorted(set(self.all_special_tokens), key=len, reverse=True)
        self._special_re = re.compile("(" + "|".join(re.escape(t) for t in alternatives) + ")")
        self._special_token_ids = {t: self._piece_id(t) for t in self.all_special_tokens}
        # How many ids the "<n>" guard of the no-dummy-prefix path produces ("▁", "<n>" with a dummy prefix).
        self._guard_len = len(self._sp.encode("<n>"))

    # ----------------------------------------------------------------------------------------- loading
    @classmethod
    def from_pretrained(cls, folder: str | Path, **overrides: Any) -> ChatGLMTokenizer:
        """Load ``ice_text.model`` and ``tokenizer_config.json`` (and ``config.json``'s num_image_tokens)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise ModelLoadError(f"tokenizer folder not found: {folder}")
        vocab = folder / VOCAB_FILE_NAME
        if not vocab.is_file():
            raise ModelLoadError(f"{folder} has no {VOCAB_FILE_NAME}: it is not a ChatGLM-6B checkpoint")
        config = _read_json(folder / TOKENIZER_CONFIG_NAME)
        model_config = _read_json(folder / MODEL_CONFIG_NAME)
        tokenizer_class = config.get("tokenizer_class")
        if tokenizer_class not in (None, "ChatGLMTokenizer"):
            raise UnsupportedModelError(
                f"{folder}: tokenizer_class {tokenizer_class!r} is not ChatGLMTokenizer"
            )
        padding_side = config.get("padding_side", "left")
        if padding_side != "left":
            raise UnsupportedModelError(
                f"{folder}: ChatGLM-6B pads on the left, config asks {padding_side!r}"
            )

        image_tokens = config.get("num_image_tokens")
        model_image_tokens = model_config.get("num_image_tokens")
        if image_tokens is None:
            image_tokens = model_image_tokens
        elif model_image_tokens is not None and model_image_tokens != image_tokens:
            raise ConfigError(
                f"{folder}: num_image_tokens is {image_tokens} in {TOKENIZER_CONFIG_NAME} "
                f"but {model_image_tokens} in {MODEL_CONFIG_NAME}"
            )

        known = {
            "bos_token",
            "eos_token",
            "end_token",
            "mask_token",
            "gmask_token",
            "pad_token",
            "unk_token",
        }
        kwargs: dict[str, Any] = {k: _token_text(config[k]) for k in known if config.get(k) is not None}
        for key in cls.CONFIG_KEYS:
            if config.get(key) is not None:
                kwargs[key] = config[key]
        if isinstance(kwargs.get("model_max_length"), float):  # saved as 1e30 by some transformers versions
            kwargs["model_max_length"] = int(min(kwargs["model_max_length"], NO_MAX_LENGTH))
        kwargs["num_image_tokens"] = int(image_tokens or 0)
        kwargs["name_or_path"] = str(config.get("name_or_path", folder))
        kwargs["extra_config"] = config
        kwargs.update(overrides)
        return cls(vocab, **kwargs)

    def save_pretrained(self, folder: str | Path) -> tuple[str, str]:
        """Write ``ice_text.model`` and ``tokenizer_config.json`` into ``folder``; returns both paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        vocab = folder / VOCAB_FILE_NAME
        vocab.write_bytes(self._model_proto)
        config = dict(self._extra_config)
        config.update(
            name_or_path=self.name_or_path,
            bos_token=self.bos_token,
            eos_token=self.eos_token,
            end_token=self.end_token,
            gmask_token=self.gmask_token,
            mask_token=self.mask_token,
            pad_token=self.pad_token,
            unk_token=self.unk_token,
            remove_space=self.remove_space,
            do_lower_case=self.do_lower_case,
            tokenizer_class="ChatGLMTokenizer",
            num_image_tokens=self.num_image_tokens,
            padding_side=self.padding_side,
        )
        if self.model_max_length != NO_MAX_LENGTH:
            config["model_max_length"] = self.model_max_length
        config.pop("auto_map", None)  # never point a saved folder at remote code
        cfg_path = folder / TOKENIZER_CONFIG_NAME
        cfg_path.write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return str(vocab), str(cfg_path)

    def _check_layout(self) -> None:
        required = ["<n>", "<|tab|>", *_BLANK_TOKENS[2:]]
        required += [
            self.bos_token,
            self.eos_token,
            self.mask_token,
            self.gmask_token,
            self.pad_token,
            self.unk_token,
        ]
        missing = [p for p in required if not self._has_piece(p)]
        if missing:
            shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
            raise ModelLoadError(f"the SentencePiece model lacks the ChatGLM pieces {shown}")

    def _has_piece(self, piece: str) -> bool:
        return self._sp.id_to_piece(self._sp.piece_to_id(piece)) == piece

    def _piece_id(self, piece: str) -> int:
        return self._sp.piece_to_id(piece) + self.num_image_tokens

    # ------------------------------------------------------------------------------------- vocabulary
    @property
    def vocab_size(self) -> int:
        """SentencePiece pieces plus the image-token offset (1500 for the test model, 130344 for the real)."""
        return self._sp.get_piece_size() + self.num_image_tokens

    def __len__(self) -> int:
        return self.vocab_size

    @property
    def sp_model(self) -> spm.SentencePieceProcessor:
        """The underlying SentencePiece processor (ids without the image offset)."""
        return self._sp

    def get_vocab(self) -> dict[str, int]:
        """Token -> id for every id below :attr:`vocab_size`."""
        off = self.num_image_tokens
        vocab = {f"<image_{i}>": i for i in range(off)}
        vocab.update({self._sp.id_to_piece(i): i + off for i in range(self._sp.get_piece_size())})
        return vocab

    def convert_ids_to_tokens(self, ids: int | Iterable[int], skip_special_tokens: bool = False) -> Any:
        """Id(s) to piece string(s); ids outside the vocabulary map to the unk token."""
        if hasattr(ids, "tolist"):
            ids = ids.tolist()
        if isinstance(ids, int):
            return self._id_to_token(ids)
        skip = self._skip_ids if skip_special_tokens else frozenset()
        return [self._id_to_token(i) for i in ids if i not in skip]

    def _id_to_token(self, index: int) -> str:
        if 0 <= index < self.num_image_tokens:
            return f"<image_{index}>"
        sp_id = index - self.num_image_tokens
        if 0 <= sp_id < self._sp.get_piece_size():
            return self._sp.id_to_piece(sp_id)
        return self.unk_token

    def convert_tokens_to_ids(self, tokens: str | Iterable[str]) -> Any:
        """Piece string(s) to id(s); unknown pieces map to the unk id."""
        if isinstance(tokens, str):
            return self._token_to_id(tokens)
        return [self._token_to_id(t) for t in tokens]

    def _token_to_id(self, token: str) -> int:
        if token.startswith("<image_") and token.endswith(">") and token[7:-1].isdigit():
            index = int(token[7:-1])
            if index < self.num_image_tokens:
                return index
        return self._piece_id(token)

    # ----------------------------------------------------------------------------------------- encoding
    def _preprocess(self, chunk: str) -> str:
        if self.remove_space:
            chunk = " ".join(chunk.strip().split())
        if self.do_lower_case:
            chunk = chunk.lower()
        return encode_whitespace(chunk)

    def _shift(self, ids: list[int]) -> list[int]:
        off = self.num_image_tokens
        return [i + off for i in ids] if off else ids

    def encode_chunk(self, text: str, *, add_dummy_prefix: bool = True) -> list[int]:
        """Encode one chunk of plain text (no special-token splitting, no ``[gMASK] <sop>``).

        With ``add_dummy_prefix=False`` the chunk is encoded behind a ``<n>`` guard whose ids are then
        dropped, so the first word gets no leading ``▁``.
        """
        chunk = self._preprocess(text)
        if add_dummy_prefix:
            return self._shift(self._sp.encode(chunk))
        return self._shift(self._sp.encode("<n>" + chunk)[self._guard_len :])

    def _split_special(self, text: str) -> list[str | int]:
        """Raw text -> text chunks (str) and special-token ids (int), with whitespace stripped next to specials."""
        parts = self._special_re.split(text)
        if len(parts) == 1:
            return [text] if text else []
        # parts alternates text, special, text, ...: strip every text neighbour of a special token.
        for i in range(1, len(parts), 2):
            parts[i - 1] = parts[i - 1].rstrip()
            parts[i + 1] = parts[i + 1].lstrip()
        out: list[str | int] = []
        for i, part in enumerate(parts):
            if i % 2:
                out.append(self._special_token_ids[part])
            elif part:
                out.append(part)
        return out

    def _encode_texts(self, texts: Sequence[str]) -> list[list[int]]:
        """Ids of several raw texts, without added special tokens."""
        pieces = [self._split_special(t) for t in texts]
        # One call per chunk: SentencePiece's list form starts a thread pool, slower for chat-sized input.
        encoded = iter(
            [self._sp.encode(self._preprocess(p)) for parts in pieces for p in parts if isinstance(p, str)]
        )
        result: list[list[int]] = []
        for parts in pieces:
            ids: list[int] = []
            for part in parts:
                if isinstance(part, int):
                    ids.append(part)
                else:
                    ids.extend(self._shift(next(encoded)))
            result.append(ids)
        return result

    def tokenize(self, text: str) -> list[str]:
        """Pieces of ``text`` without added special tokens (like transformers' ``tokenize``)."""
        return self.convert_ids_to_tokens(self._encode_texts([text])[0])

    def num_special_tokens_to_add(self) -> int:
        """2: ``[gMASK] <sop>``."""
        return 2

    def build_inputs_with_special_tokens(self, token_ids_0: list[int]) -> list[int]:
        """``ids + [gMASK, <sop>]``."""
        return [*token_ids_0, self.gmask_token_id, self.bos_token_id]

    def __call__(
        self,
        text: str | Sequence[str],
        *,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        return_tensors: str | None = None,
        return_attention_mask: bool | None = None,
        return_token_type_ids: bool | None = None,
        verbose: bool = True,
    ) -> BatchEncoding:
        """Tokenize one text or a batch, the way the original does through transformers 4.33.

        Without padding only ``input_ids`` is returned. Any padding (left, with ``<pad>``) adds
        ``attention_mask`` (bool, True = masked, ``[1, L, L]`` per example) and ``position_ids`` (``[2, L]``),
        both computed on the unpadded ids and then left-padded. ``max_length`` is the length
        ``padding="max_length"`` pads to; it never truncates here (transformers would: see the compatibility
        tokenizer). ``return_attention_mask``, ``return_token_type_ids`` and ``verbose`` (this tokenizer has no
        length warning to silence) are accepted for compatibility and have no effect, as in the original.
        """
        batched, texts = self._texts(text)
        pad_strategy = self._padding_strategy(padding)
        if max_length is not None and pad_strategy is None:
            raise TokenizerInputError(
                "max_length without padding would truncate: use workbench.chatglm.compat.ChatGLMTokenizerCompat"
            )
        self._check_tensor_type(return_tensors)
        rows = [self.build_inputs_with_special_tokens(a) if add_special_tokens else a
                for a in self._encode_texts(texts)]
        return self._batch(rows, pad_strategy, max_length, pad_to_multiple_of, batched, return_tensors)

    @staticmethod
    def _texts(text: str | Sequence[str]) -> tuple[bool, list[str]]:
        """(batched, the texts) of a call's ``text`` argument."""
        batched = isinstance(text, (list, tuple))
        texts: list[Any] = list(text) if isinstance(text, (list, tuple)) else [text]
        if not all(isinstance(t, str) for t in texts):
            raise TokenizerInputError("text must be a string or a list of strings")
        return batched, texts

    @staticmethod
    def _check_tensor_type(return_tensors: str | None) -> None:
        if return_tensors not in (None, "pt", "np"):
            raise TokenizerInputError(
                f"return_tensors={return_tensors!r} is not supported (use None, 'pt' or 'np')"
            )

    def _batch(
        self, rows: list[list[int]], pad_strategy: str | None, max_length: int | None, multiple: int | None,
        batched: bool, return_tensors: str | None,
    ) -> BatchEncoding:
        """Rows of ids, padded on the left when asked, with their position ids and masks."""
        if not rows:
            raise TokenizerInputError("nothing to tokenize: the batch is empty")
        target = self._pad_target(rows, pad_strategy, max_length, multiple)
        if target is None:
            return self._finish({"input_ids": rows}, batched, return_tensors)
        ids_out, masks, positions = [], [], []
        for row in rows:
            ids, mask, pos = self._pad_row(row, target)
            ids_out.append(ids)
            masks.append(mask)
            positions.append(pos)
        data: dict[str, list[Any]] = {"input_ids": ids_out, "attention_mask": masks, "position_ids": positions}
        return self._finish(data, batched, return_tensors)

    @staticmethod
    def _padding_strategy(padding: bool | str | None) -> str | None:
        if padding in _NO_PADDING:
            return None
        try:
            return _PADDING_STRATEGIES[padding]
        except (KeyError, TypeError):
            raise TokenizerInputError(
                f"padding={padding!r} is not one of False, True, 'longest', 'max_length'"
            ) from None

    def _pad_target(
        self, rows: list[list[int]], strategy: str | None, max_length: int | None, multiple: int | None
    ) -> int | None:
        if strategy is None:
            return None
        if strategy == "longest":
            target = max(len(r) for r in rows)
        else:
            target = max_length if max_length is not None else self.model_max_length
            if target >= NO_MAX_LENGTH:
                logger.warning("padding='max_length' without max_length and no model_max_length: not padding")
                return None
        if multiple is not None and multiple > 0 and target % multiple:
            target = (target // multiple + 1) * multiple
        return target

    def _pad_row(self, row: list[int], target: int) -> tuple[list[int], np.ndarray, np.ndarray]:
        extra = max(target - len(row), 0)
        positions, mask = tokenizer_position_ids_and_mask(
            row,
            bos_id=self.bos_token_id,
            mask_id=self.mask_token_id,
            gmask_id=self.gmask_token_id,
            pad_left=extra,
        )
        return [self.pad_token_id] * extra + row, mask, positions

    @staticmethod
    def _finish(data: dict[str, list[Any]], batched: bool, return_tensors: str | None) -> BatchEncoding:
        if return_tensors is None:
            return BatchEncoding({k: v if batched else v[0] for k, v in data.items()})
        lengths = {len(r) for r in data["input_ids"]}
        if len(lengths) > 1:
            raise TokenizerInputError(
                "Unable to create tensor, you should probably activate truncation and/or padding with "
                "'padding=True' 'truncation=True' to have batched tensors with the same length."
            )
        arrays = {
            "input_ids": np.asarray(data["input_ids"], dtype=np.int64).reshape(len(data["input_ids"]), -1)
        }
        for key in ("attention_mask", "position_ids"):
            if key in data:
                arrays[key] = np.stack(data[key])
        if return_tensors == "np":
            return BatchEncoding(arrays)
        import torch  # only here: the tokenizer itself does not need torch

        return BatchEncoding({k: torch.from_numpy(v) for k, v in arrays.items()})

    def encode(
        self,
        text: str,
        *,
        add_special_tokens: bool = True,
        max_length: int | None = None,
        padding: bool | str = False,
        return_tensors: str | None = None,
    ) -> Any:
        """The ``input_ids`` of one text: a list, or a ``[1, L]`` tensor with ``return_tensors``."""
        if not isinstance(text, str):
            raise TokenizerInputError("encode() takes one string; call the tokenizer for a batch")
        out = self(
            text, add_special_tokens=add_special_tokens, max_length=max_length, padding=padding,
            return_tensors=return_tensors,
        )
        return out["input_ids"]

    def build_inputs_for_batch(self, texts: Sequence[str]) -> dict[str, Any]:
        """Left-padded batch for generation: ``input_ids`` [B, L] int64, ``position_ids`` [B, 2, L] int64,
        ``attention_mask`` [B, 1, L, L] bool (True = masked). Positions and mask come from the unpadded ids.
        """
        if isinstance(texts, str) or not texts:
            raise TokenizerInputError("build_inputs_for_batch() takes a non-empty list of strings")
        return dict(self(list(texts), padding=True, return_tensors="pt"))

    # ----------------------------------------------------------------------------------------- decoding
    def decode(
        self,
        token_ids: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        spaces_between_special_tokens: bool = True,
    ) -> str:
        """Ids to text. ``<pad>`` ids are always dropped; ``skip_special_tokens`` also drops the other
        registered specials (``<sop> <eop> <unk> [MASK]``). ``spaces_between_special_tokens`` has no effect.
        """
        del spaces_between_special_tokens  # kept for the transformers signature; no added tokens exist here
        ids = _as_id_list(token_ids)
        drop = self._skip_ids if skip_special_tokens else self._pad_ids
        off, size = self.num_image_tokens, self._sp.get_piece_size()
        sp_unk = self.unk_token_id - off
        sp_ids = [i - off if 0 <= i - off < size else sp_unk for i in ids if i not in drop]
        if not sp_ids:
            return ""
        text = decode_whitespace(self._sp.decode(sp_ids))
        clean = (
            self.clean_up_tokenization_spaces
            if clean_up_tokenization_spaces is None
            else clean_up_tokenization_spaces
        )
        return clean_up_tokenization(text) if clean else text

    def batch_decode(self, sequences: Iterable[Any], **kwargs: Any) -> list[str]:
        """:meth:`decode` for each sequence (a list of lists or a 2-D tensor)."""
        if hasattr(sequences, "tolist"):
            sequences = sequences.tolist()
        return [self.decode(seq, **kwargs) for seq in sequences]

    def __repr__(self) -> str:
        return (
            f"ChatGLMTokenizer(name_or_path={self.name_or_path!r}, vocab_size={self.vocab_size}, "
            f"num_image_tokens={self.num_image_tokens})"
        )


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object")
    return data
