"""Native ChatGLM-6B (v1) model: a plain ``torch.nn.Module``, no transformers base classes.

Numerics follow the original as documented in the shared fixtures README: pre-LayerNorm GLM blocks whose
residual is the *normalised* input times sqrt(2*28), per-head interleaved fused QKV, 2D rotary embeddings
with an fp16-rounded ``inv_freq``, prefix-LM attention with a finite mask fill, tanh-GELU MLP, final
LayerNorm and an lm_head tied to the word embeddings (a checkpoint whose config says ``tie_word_embeddings: false``
keeps its own lm_head).

Internally tensors are batch-first ([batch, seq, hidden]); the public KV-cache view keeps the original's
seq-first layout ([seq, batch, heads, head_dim], keys after rotary).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.chatglm import cpu_gemm, native_attention, native_head, native_prompt, torch_threads
from workbench.chatglm.configuration import RESIDUAL_DEPTH, ChatGLMConfig
from workbench.errors import InputError

ALPHA = math.sqrt(2 * RESIDUAL_DEPTH)
# The original fills masked scores with -10000 before multiplying by (layer_id + 1); a finite value keeps
# fully masked (pad) rows finite, where -inf would turn them, and then whole padded sequences, into NaN.
MASK_FILL = -10000.0
ROTARY_BASE = 10000.0


@dataclass
class ChatGLMOutput:
    """What ``forward`` returns. ``hidden_states`` entries are [batch, seq, hidden]."""

    logits: Tensor
    past_key_values: ChatGLMCache | None = None
    hidden_states: tuple[Tensor, ...] | None = None
    loss: Tensor | None = None


class ChatGLMCache(Sequence):
    """A preallocated key/value cache that grows in place (one write per token, no concatenation).

    Indexing gives the original layout: ``cache[i] == (key, value)``, each ``[seq, batch, heads, head_dim]``
    (views, keys after rotary). A forward pass that receives a cache mutates it, like transformers'
    dynamic caches; a tuple of ``(key, value)`` pairs given instead is copied and left untouched.
    """

    def __init__(
        self,
        num_layers: int,
        batch_size: int,
        num_heads: int,
        head_dim: int,
        capacity: int,
        dtype: torch.dtype,
        device: torch.device | str,
    ) -> None:
        shape = (batch_size, num_heads, max(int(capacity), 1), head_dim)
        self._keys = [torch.empty(shape, dtype=dtype, device=device) for _ in range(num_layers)]
        self._values = [torch.empty(shape, dtype=dtype, device=device) for _ in range(num_layers)]
        self.length = 0

    @property
    def capacity(self) -> int:
        return self._keys[0].shape[2]

    @property
    def batch_size(self) -> int:
        return self._keys[0].shape[0]

    def reserve(self, total_length: int) -> None:
        """Make room for ``total_length`` positions, doubling the buffers when they are too small."""
        if total_length <= self.capacity:
            return
        new_cap = max(total_length, 2 * self.capacity)
        for store in (self._keys, self._values):
            for i, old in enumerate(store):
                new = old.new_empty(old.shape[0], old.shape[1], new_cap, old.shape[3])
                new[:, :, : self.length].copy_(old[:, :, : self.length])
                store[i] = new

    def update(self, layer: int, key: Tensor, value: Tensor, start: int) -> tuple[Tensor, Tensor]:
        """Write ``key``/``value`` ([B, heads, S, hd]) at ``start`` and return the filled prefix views."""
        end = start + key.shape[2]
        k_buf, v_buf = self._keys[layer], self._values[layer]
        k_buf[:, :, start:end].copy_(key)
        v_buf[:, :, start:end].copy_(value)
        return k_buf[:, :, :end], v_buf[:, :, :end]

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, layer: int) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        n = self.length
        return (
            self._keys[layer][:, :, :n].permute(2, 0, 1, 3),
            self._values[layer][:, :, :n].permute(2, 0, 1, 3),
        )

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        return (self[i] for i in range(len(self)))

    def to_legacy(self) -> tuple[tuple[Tensor, Tensor], ...]:
        """Contiguous copies in the original tuple format."""
        return tuple((k.contiguous(), v.contiguous()) for k, v in self)

    @classmethod
    def from_legacy(
        cls, past: Sequence[tuple[Tensor, Tensor]], extra_capacity: int = 0
    ) -> ChatGLMCache:
        """Copy a tuple of ``(key, value)`` pairs in the original [seq, batch, heads, hd] layout."""
        k0 = past[0][0]
        seq, batch, heads, hd = k0.shape
        cache = cls(len(past), batch, heads, hd, seq + extra_capacity, k0.dtype, k0.device)
        for i, (k, v) in enumerate(past):
            cache._keys[i][:, :, :seq].copy_(k.permute(1, 2, 0, 3))
            cache._values[i][:, :, :seq].copy_(v.permute(1, 2, 0, 3))
        cache.length = seq
        return cache


def rotary_inv_freq(rotary_dim: int) -> Tensor:
    """Inverse frequencies computed in fp32 and rounded to fp16, as the original stores them."""
    exponent = torch.arange(0, rotary_dim, 2, dtype=torch.float32) / rotary_dim
    inv = 1.0 / (ROTARY_BASE**exponent)
    return inv.half().float()


class RotaryTables:
    """cos/sin tables for one head size, grown on demand and cached per device (fp32)."""

    def __init__(self, head_dim: int) -> None:
        self.rotary_dim = head_dim // 2
        self._tables: dict[str, tuple[Tensor, Tensor]] = {}

    def tables(self, length: int, device: torch.device) -> tuple[Tensor, Tensor]:
        key = str(device)
        cached = self._tables.get(key)
        if cached is not None and cached[0].shape[0] >= length:
            return cached
        n = max(length, 2 * cached[0].shape[0] if cached is not None else 0, 64)
        inv = rotary_inv_freq(self.rotary_dim)
        t = torch.arange(n, dtype=inv.dtype)
        freqs = torch.outer(t, inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        # rotate_half(x) * sin == swap_halves(x) * (sin with the first half negated): saves a negation.
        quarter = self.rotary_dim // 2
        signed_sin = torch.cat((-sin[:, :quarter], sin[:, quarter:]), dim=-1)
        self._tables[key] = (cos.to(device), signed_sin.to(device))
        return self._tables[key]

    def cos_sin(self, position_ids: Tensor, dtype: torch.dtype,
                tables: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        """For position_ids [B, 2, S] return cos, signed sin shaped [B, S, 1, 1, head_dim]. ``tables`` (from
        :meth:`tables`, long enough) spares reading the largest position back from the device."""
        cos_t, sin_t = tables or self.tables(int(position_ids.max()) + 1, position_ids.device)
        p0, p1 = position_ids[:, 0], position_ids[:, 1]
        cos = torch.cat((F.embedding(p0, cos_t), F.embedding(p1, cos_t)), dim=-1)
        sin = torch.cat((F.embedding(p0, sin_t), F.embedding(p1, sin_t)), dim=-1)
        return cos[:, :, None, None].to(dtype), sin[:, :, None, None].to(dtype)


def apply_rotary(x: Tensor, cos: Tensor, signed_sin: Tensor) -> Tensor:
    """2D rotary on the last dim: each half of the head is rotated (GPT-NeoX rotate_half form)."""
    hd = x.shape[-1]
    quarters = x.unflatten(-1, (2, 2, hd // 4))
    # The two quarters of each half swapped: a copy by cat, half the time of flip's indexed copy.
    swapped = torch.cat((quarters[..., 1:, :], quarters[..., :1, :]), dim=-2).flatten(-3)
    # Two roundings, as the original's (q * cos) + (rotate_half(q) * sin): addcmul fuses into one FMA
    # and moves keys by an ulp that grows through the layers.
    if torch.is_grad_enabled():
        return x * cos + swapped * signed_sin
    # Inference: the same roundings into the flip's own copy, no further temporaries.
    return (x * cos).add_(swapped.mul_(signed_sin))


def build_position_ids_and_mask(input_ids: Tensor, config: ChatGLMConfig) -> tuple[Tensor, Tensor]:
    """What the model builds for prompts given without tensors: position ids [B, 2, S] and a bool
    attention mask [B, 1, S, S] (True = masked), bidirectional up to ``<sop>`` and causal from it."""
    bsz, seq = input_ids.shape
    device = input_ids.device
    positions = torch.empty(bsz, 2, seq, dtype=torch.long)
    masks = torch.empty(bsz, 1, seq, seq, dtype=torch.bool)
    causal = torch.ones(seq, seq).tril_()
    for b, row in enumerate(input_ids.tolist()):
        ctx = _first_index(row, config.bos_token_id, default=seq)
        assert ctx is not None
        mpos = _first_index(row, config.gmask_token_id, default=None)
        if mpos is None:
            mpos = _first_index(row, config.mask_token_id, default=None)
        pos0 = torch.arange(seq)
        if mpos is not None:
            pos0[ctx:] = mpos
        pos1 = torch.zeros(seq, dtype=torch.long)
        pos1[ctx:] = torch.arange(1, seq - ctx + 1)
        positions[b, 0], positions[b, 1] = pos0, pos1
        m = causal.clone()
        m[:, :ctx] = 1
        masks[b, 0] = m < 0.5
    return positions.to(device), masks.to(device)


def _first_index(row: list[int], token: int, default: int | None) -> int | None:
    try:
        return row.index(token)
    except ValueError:
        return default


class BlockLinear(nn.Linear):
    """A block's Linear. A bf16 prompt pass runs the C product (``native_prompt``) where that was timed faster:
    in bf16 on a CPU with native bf16 arithmetic, in fp32 on one whose bf16 GEMM is slower than its fp32 GEMM,
    which otherwise runs fp32 GEMMs on bounded row blocks of the weight (``cpu_gemm``). A bf16 decode row runs
    the C matrix-vector product that streams the weight at memory speed (``native_head``), torch's elsewhere."""

    def forward(self, x: Tensor) -> Tensor:
        w = self.weight
        if w.dtype == torch.bfloat16 and w.device.type == "cpu":
            if cpu_gemm.is_prompt_pass(x):
                fused = native_prompt.bf16_prompt_linear(x, w, self.bias)
                if fused is not None:
                    return fused
                if cpu_gemm.GEMM_RATES.upcast_bf16_prefill():
                    with torch_threads.products_on_all_threads():
                        return cpu_gemm.upcast_linear(x, w, self.bias)
            else:
                row = native_head.bf16_decode_linear(x, w, self.bias)
                if row is not None:
                    return row
        with torch_threads.products_on_all_threads():
            return F.linear(x, w, self.bias)


class SelfAttention(nn.Module):
    """Fused per-head [q|k|v] projection, 2D rotary, prefix-LM attention, output projection."""

    def __init__(self, config: ChatGLMConfig, layer_id: int) -> None:
        super().__init__()
        self.layer_id = layer_id
        self.num_heads = config.num_attention_heads
        self.head_dim = config.head_dim
        self.hidden_size = config.hidden_size
        self.query_key_value = BlockLinear(config.hidden_size, 3 * config.hidden_size)
        self.dense = BlockLinear(config.hidden_size, config.hidden_size)
        # The original divides q by sqrt(hd) * (layer_id + 1), fills masked scores with -10000 and then
        # multiplies by (layer_id + 1); the same order keeps the scores bit-equal to it.
        self._coeff = float(layer_id + 1)
        self._divisor = math.sqrt(self.head_dim) * self._coeff

    def forward(
        self,
        x: Tensor,
        cos: Tensor,
        sin: Tensor,
        mask: Tensor | None,
        cache: ChatGLMCache | None,
        start: int,
    ) -> Tensor:
        bsz, seq, _ = x.shape
        qkv = self.query_key_value(x).view(bsz, seq, self.num_heads, 3, self.head_dim)
        qk = apply_rotary(qkv[:, :, :, :2], cos, sin)
        q = qk[:, :, :, 0].transpose(1, 2)
        k = qk[:, :, :, 1].transpose(1, 2)
        v = qkv[:, :, :, 2].transpose(1, 2)
        if cache is not None:
            k, v = cache.update(self.layer_id, k, v, start)
        ctx = self._attend(q, k, v, mask)
        ctx = ctx.transpose(1, 2).reshape(bsz, seq, self.hidden_size)
        return self.dense(ctx)

    def _attend(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None) -> Tensor:
        if q.shape[2] == 1:
            # A decode step over a 16-bit cache on CPU: the C routine (the same roundings, fp32 sums) where
            # it applies; torch's bf16 batched products were most of a full-size step's time.
            ctx = native_attention.attend_decode(q, k, v, mask, self._divisor, self._coeff, MASK_FILL)
            if ctx is not None:
                return ctx
        # Plain matmuls: on CPU, SDPA was measured 100x slower than this for one-token decode steps.
        if q.shape[2] > 1:
            # Prompt pass: scores in fp32 as in the original (a one-off upcast of the keys).
            q, k = q.float(), k.float()
        scores = torch.matmul(q / self._divisor, k.transpose(-1, -2))
        if torch.is_grad_enabled():
            if mask is not None:
                scores = scores.masked_fill(mask, MASK_FILL)
            scores = scores * self._coeff
        else:
            # Inference: the same values written into the product's own [heads, S, T] buffer.
            if mask is not None:
                scores.masked_fill_(mask, MASK_FILL)
            scores.mul_(self._coeff)
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(v.dtype)
        if q.shape[2] > 1 and cpu_gemm.upcast_bf16_prompt(v):
            # The same bf16 probabilities and values, multiplied in fp32: a bf16 batched matmul over a
            # prompt was measured 6x slower than fp32 on CPUs without bf16 arithmetic.
            return torch.matmul(probs.float(), v.float()).to(v.dtype)
        return torch.matmul(probs, v)


def gelu_tanh(x: Tensor) -> Tensor:
    """The original's tanh-GELU, written op for op: F.gelu(approximate="tanh") differs by up to 4.8e-7."""
    if torch.is_grad_enabled():
        return 0.5 * x * (1.0 + torch.tanh(0.7978845608028654 * x * (1.0 + 0.044715 * x * x)))
    # Inference: the same roundings in the same order (IEEE products and sums commute exactly) in two
    # buffers instead of nine fresh [tokens, 4h] tensors, whose allocation and page faults cost a prompt
    # pass more than the arithmetic.
    inner = (x * 0.044715).mul_(x).add_(1.0)
    outer = (x * 0.7978845608028654).mul_(inner).tanh_().add_(1.0)
    return torch.mul(x, 0.5, out=inner).mul_(outer)


class MLP(nn.Module):
    """dense_4h_to_h(gelu_tanh(dense_h_to_4h(x)))."""

    def __init__(self, config: ChatGLMConfig) -> None:
        super().__init__()
        self.dense_h_to_4h = BlockLinear(config.hidden_size, config.ffn_hidden_size)
        self.dense_4h_to_h = BlockLinear(config.ffn_hidden_size, config.hidden_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.dense_4h_to_h(gelu_tanh(self.dense_h_to_4h(x)))


class GLMBlock(nn.Module):
    """Pre-LN block whose residual is the normalised input scaled by sqrt(2*28)."""

    def __init__(self, config: ChatGLMConfig, layer_id: int) -> None:
        super().__init__()
        eps = config.layernorm_epsilon
        self.input_layernorm = nn.LayerNorm(config.hidden_size, eps=eps)
        self.attention = SelfAttention(config, layer_id)
        self.post_attention_layernorm = nn.LayerNorm(config.hidden_size, eps=eps)
        self.mlp = MLP(config)

    def forward(
        self,
        h: Tensor,
        cos: Tensor,
        sin: Tensor,
        mask: Tensor | None,
        cache: ChatGLMCache | None,
        start: int,
    ) -> Tensor:
        x = self.input_layernorm(h)
        # x * ALPHA + f(x), rounded twice as in the original: torch.add(..., alpha=) is one FMA.
        h = _scaled_residual(x, self.attention(x, cos, sin, mask, cache, start))
        y = self.post_attention_layernorm(h)
        return _scaled_residual(y, self.mlp(y))


def _scaled_residual(x: Tensor, out: Tensor) -> Tensor:
    """x * ALPHA + out (two roundings); in inference written into ``out``, a sublayer's fresh result."""
    if torch.is_grad_enabled() or out.shape != x.shape or out.dtype != x.dtype:
        return x * ALPHA + out
    return out.add_(x * ALPHA)


class ChatGLMModel(nn.Module):
    """Embeddings, GLM blocks and the final LayerNorm (the original's ``transformer``)."""

    def __init__(self, config: ChatGLMConfig) -> None:
        super().__init__()
        weight = torch.empty(config.vocab_size, config.hidden_size)
        # Not on the meta device (a checkpoint's skeleton): there torch's normal_ runs its reference
        # implementation, whose first call imports torch._dynamo and sympy, ~65 MB resident for good.
        if weight.device.type != "meta":
            nn.init.normal_(weight)  # what nn.Embedding's own init draws, in the same order
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, _weight=weight)
        self.layers = nn.ModuleList(GLMBlock(config, i) for i in range(config.num_layers))
        self.final_layernorm = nn.LayerNorm(config.hidden_size, eps=config.layernorm_epsilon)


class ChatGLM(nn.Module):
    """ChatGLM-6B (v1): the network and its lm_head, tied unless the config says otherwise. Generation, loading and quantization are
    functions that take it (``generation``, ``loading``, ``quantization``); ``compat`` wraps them in the
    transformers-style class."""

    def __init__(self, config: ChatGLMConfig) -> None:
        super().__init__()
        self.config = config
        self.transformer = ChatGLMModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.rotary = RotaryTables(config.head_dim)
        self.tie_weights()

    # ----------------------------------------------------------------- basics
    def tie_weights(self) -> None:
        """Share lm_head.weight with the word embeddings, as the original does; with ``tie_word_embeddings:
        false`` the lm_head keeps its own table."""
        if not self.config.tie_word_embeddings:
            return
        embeddings = self.transformer.word_embeddings
        if isinstance(embeddings, nn.Embedding):
            self.lm_head.weight = embeddings.weight
        else:  # a quantized table (``quantization.QuantizedEmbedding``) ties its quantized lm_head itself
            embeddings.tie(self.lm_head)

    def _apply(self, fn, recurse=True):
        out = super()._apply(fn, recurse)
        if not isinstance(self.transformer.word_embeddings, nn.Embedding):
            # ``.to()`` converts each module's buffers on its own: tie the quantized table's again, or
            # the lm_head would keep a second copy after a move to another device.
            self.tie_weights()
        return out

    @property
    def dtype(self) -> torch.dtype:
        # The LayerNorm, not the embedding: a quantized table is int8 while the model computes in this dtype.
        return self.transformer.final_layernorm.weight.dtype

    @property
    def device(self) -> torch.device:
        return self.transformer.final_layernorm.weight.device

    def new_cache(self, batch_size: int, capacity: int) -> ChatGLMCache:
        """An empty KV cache for ``capacity`` positions (it grows if needed)."""
        c = self.config
        return ChatGLMCache(
            c.num_layers, batch_size, c.num_attention_heads, c.head_dim, capacity, self.dtype, self.device
        )

    def embed(self, input_ids: Tensor) -> Tensor:
        """The tokens' rows of the embedding table, in the dtype the model computes in."""
        # Under "auto" a quantized CPU model computes in float32 but keeps its float table in bf16
        # (``loading.float_table_dtype``): widening a bf16 row to float32 is exact.
        return self.transformer.word_embeddings(input_ids).to(self.dtype)

    def logits(self, hidden: Tensor) -> Tensor:
        """The lm_head's product with (final-LayerNorm) ``hidden``, in ``hidden``'s dtype."""
        head = self.lm_head
        if isinstance(head, nn.Linear) and head.bias is None:
            # A decode row on a bf16 table in C: torch's one-row bf16 product reads the 1 GB table well below
            # memory speed. The routine widens the table exactly and sums in fp32.
            logits = native_head.lm_head_decode(hidden, head.weight)
            if logits is not None:
                return logits
            if head.weight.dtype != hidden.dtype:
                # Several rows on a table held narrower than the model: the product in the table's precision,
                # as a model of that dtype computes it (no widened copy of the 1 GB table).
                return F.linear(hidden.to(head.weight.dtype), head.weight).to(hidden.dtype)
        return head(hidden)

    # ----------------------------------------------------------------- forward
    def forward(
        self,
        input_ids: Tensor,
        position_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        past_key_values: ChatGLMCache | Sequence[tuple[Tensor, Tensor]] | None = None,
        use_cache: bool = False,
        labels: Tensor | None = None,
        output_hidden_states: bool = False,
        logits_to_keep: int = 0,
    ) -> ChatGLMOutput:
        """Run the model.

        ``attention_mask`` is bool [B, 1, S, T] with True = masked (T = past + S). Without a past, missing
        ``position_ids``/``attention_mask`` are built from ``input_ids`` as the original does; with a past,
        ``position_ids`` is required and a missing mask means "attend to everything". ``labels`` gives
        the shifted causal-LM cross-entropy (-100 ignored). ``logits_to_keep=n`` keeps the last n
        positions only (0 = all).
        """
        if input_ids.dim() != 2:
            raise InputError(f"input_ids must be [batch, seq], got shape {tuple(input_ids.shape)}")
        bsz, seq = input_ids.shape
        cache = past_key_values
        if cache is not None and not isinstance(cache, ChatGLMCache):
            cache = ChatGLMCache.from_legacy(cache, extra_capacity=seq) if len(cache) else None
        if cache is None and use_cache:
            cache = self.new_cache(bsz, seq)
        start = cache.length if cache is not None else 0

        if position_ids is None:
            if start:
                raise InputError("position_ids are required when a KV cache with content is passed")
            position_ids, built_mask = build_position_ids_and_mask(input_ids, self.config)
            if attention_mask is None:
                attention_mask = built_mask
        mask = self._prepare_mask(attention_mask, bsz, seq, start + seq)

        if cache is not None:
            cache.reserve(start + seq)
        hidden = self.embed(input_ids)
        cos, sin = self.rotary.cos_sin(position_ids, hidden.dtype)
        all_hidden: list[Tensor] = [hidden] if output_hidden_states else []
        layers = self.transformer.layers
        config = self.config
        widest = bsz * seq * max(config.ffn_hidden_size, 3 * config.hidden_size,
                                 config.num_attention_heads * (start + seq))
        # A prompt pass small enough runs torch's own ops on this thread (see torch_threads); a one-token
        # step's ops are below torch's grain anyway.
        on_calling_thread = (
            torch_threads.small_pass_on_calling_thread(hidden, widest) if seq > 1 else contextlib.nullcontext()
        )
        with on_calling_thread:
            for i, layer in enumerate(layers):
                hidden = layer(hidden, cos, sin, mask, cache, start)
                if output_hidden_states and i < len(layers) - 1:
                    all_hidden.append(hidden)
        if cache is not None:
            cache.length = start + seq
        hidden = self.transformer.final_layernorm(hidden)
        if output_hidden_states:
            all_hidden.append(hidden)
        if logits_to_keep:
            hidden = hidden[:, -logits_to_keep:]
        logits = self.logits(hidden)

        loss = None
        if labels is not None:
            shift_logits = logits[:, :-1].reshape(-1, logits.shape[-1]).float()
            shift_labels = labels[:, 1:].reshape(-1).to(shift_logits.device)
            loss = F.cross_entropy(shift_logits, shift_labels, ignore_index=-100)
        return ChatGLMOutput(
            logits=logits,
            past_key_values=cache if use_cache else None,
            hidden_states=tuple(all_hidden) if output_hidden_states else None,
            loss=loss,
        )

    @staticmethod
    def _prepare_mask(mask: Tensor | None, bsz: int, seq: int, total: int) -> Tensor | None:
        if mask is None:
            return None
        if mask.dtype != torch.bool:
            # The original reads any non-zero entry as masked.
            mask = mask != 0
        if mask.dim() == 3:
            mask = mask[:, None]
        if mask.dim() != 4 or mask.shape[-1] != total or mask.shape[-2] not in (seq, total):
            raise InputError(
                f"attention_mask must be bool [batch, 1, {seq}, {total}] (True = masked), "
                f"got {tuple(mask.shape)}"
            )
        if mask.shape[-2] != seq:
            mask = mask[..., -seq:, :]
        if not bool(mask.any()):
            # Nothing is masked: the original skips masking too, and SDPA's mask-free path is faster.
            return None
        return mask
