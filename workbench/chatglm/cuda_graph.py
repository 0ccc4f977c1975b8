"""One sequence's decode steps on a GPU, replayed from a CUDA graph.

A decode step of BianQue-2 issues some 600 small kernels, one by one from Python: on an H200 a step took about
27 ms where reading the float16 weights takes 2.9 ms (bench/NOTES.md, s47). Captured once per reply as a CUDA
graph, a step is one launch. The graph's inputs live at fixed addresses (the token, the two positions and the
cache row to write, in one device tensor), and attention runs over the cache's whole capacity with the rows not
yet written masked, as the original masks (``MASK_FILL``, then the layer coefficient): their probabilities are
exactly zero, so the result is the eager step's up to the order of the sums.

The first step runs eagerly (which also warms cuBLAS and checks the dequantization kernels outside the
capture), then the graph is captured; any failure to capture or replay falls back to the eager forward for the
rest of the reply and is logged once. ``WORKBENCH_CUDA_GRAPHS=0`` turns the path off.

Other threads keep using the GPU while a capture runs (each capture on a stream of its own, in thread-local
mode), with one exception: torch registers its default CUDA generator with every capture, and a thread that
draws from it during one fails ("Offset increment outside graph capture"). The workbench never draws from it:
its sampler takes a generator per call (``workbench.sampling``).
"""

from __future__ import annotations

import logging
import os
import threading

import torch
from torch import Tensor

from workbench.chatglm.modeling import (
    MASK_FILL,
    ChatGLM,
    ChatGLMCache,
    GLMBlock,
    SelfAttention,
    _scaled_residual,
    apply_rotary,
)

log = logging.getLogger(__name__)
_warned: set[str] = set()
_CAPTURE_LOCK = threading.Lock()


def enabled() -> bool:
    return os.environ.get("WORKBENCH_CUDA_GRAPHS", "1").strip().lower() not in ("0", "false", "no", "off")


def decoder_for(model: ChatGLM, cache: ChatGLMCache) -> GraphDecoder | None:
    """A graph decoder for one sequence of ``model`` on a GPU, or None where the path does not apply."""
    if (
        torch.is_grad_enabled()
        or model.device.type != "cuda"
        or cache.batch_size != 1
        or not enabled()
    ):
        return None
    return GraphDecoder(model, cache)


def _warn_once(what: str, exc: BaseException) -> None:
    if what not in _warned:
        _warned.add(what)
        log.warning("CUDA graph decode %s (%s: %s); decoding with the eager forward", what, type(exc).__name__, exc)


class GraphDecoder:
    """Decode steps through a CUDA graph, writing into ``cache`` as the forward would (same rows, same length)."""

    def __init__(self, model: ChatGLM, cache: ChatGLMCache) -> None:
        self._model, self._cache = model, cache
        device = model.device
        self._inputs = torch.zeros(4, dtype=torch.long, device=device)  # token, pos0, pos1, row to write
        self._rows = torch.arange(cache.capacity, device=device)
        self._logits: Tensor | None = None
        self._graph: torch.cuda.CUDAGraph | None = None
        self._failed = False
        self._tables: tuple[Tensor, Tensor] | None = None
        self._buffer = cache._keys[0].data_ptr()  # the graph reads the buffers it was captured on

    def prompt(self, input_ids: Tensor, position_ids: Tensor, attention_mask: Tensor | None) -> Tensor | None:
        """The prompt pass stays the model's forward (one pass, already a few large kernels)."""
        return None

    def step(self, token: int, pos0: int, pos1: int) -> Tensor:
        """Logits [1, vocab] (float32) of the next token after ``token`` at positions (``pos0``, ``pos1``)."""
        cache = self._cache
        start = cache.length
        if start >= cache.capacity or cache._keys[0].data_ptr() != self._buffer:
            self._failed = True  # the cache grew into new buffers: the graph's addresses are gone
        if self._failed:
            return self._eager(token, pos0, pos1)
        self._inputs.copy_(torch.tensor([token, pos0, pos1, start]))
        if self._graph is None:
            self._prepare()
            logits = self._step_ops()  # eagerly: the first step's result, and every lazy set-up done here
            cache.length = start + 1
            self._capture()
            return logits.clone()
        try:
            self._graph.replay()
        except Exception as exc:  # noqa: BLE001 - the eager forward is always there
            _warn_once("replay failed", exc)
            self._failed = True
            return self._eager(token, pos0, pos1)
        cache.length = start + 1
        assert self._logits is not None
        return self._logits.clone()

    def _eager(self, token: int, pos0: int, pos1: int) -> Tensor:
        device = self._model.device
        out = self._model(torch.tensor([[token]], device=device),
                          position_ids=torch.tensor([[[pos0], [pos1]]], device=device),
                          past_key_values=self._cache, use_cache=True)
        return out.logits[:, -1].float()

    def _prepare(self) -> None:
        cache, model = self._cache, self._model
        # Rows not yet written are read (with probability zero): zeros, not whatever memory held (0 * NaN).
        for buffers in (cache._keys, cache._values):
            for b in buffers:
                b[:, :, cache.length:].zero_()
        # Positions never pass the cache's capacity: the rotary tables, built now, are read in place.
        self._tables = model.rotary.tables(cache.capacity + 1, model.device)

    def _capture(self) -> None:
        device = self._model.device
        before = torch.cuda.current_stream(device)
        # One capture at a time, each on a stream of its own: torch's graph context captures on one stream
        # shared by every capture, so two columns capturing at once collided (an illegal-state error), and the
        # one that failed was left on the other's capturing stream. thread_local: a capture in the default
        # global mode makes other threads' allocations and copies fail while it runs.
        with _CAPTURE_LOCK:
            try:
                torch.cuda.synchronize(device)
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph, stream=torch.cuda.Stream(device), capture_error_mode="thread_local"):
                    self._logits = self._step_ops()
                self._graph = graph
            except Exception as exc:  # noqa: BLE001
                _warn_once("capture failed", exc)
                self._failed = True
                self._graph = None
            finally:
                torch.cuda.set_stream(before)

    # ------------------------------------------------------------------ the step, on fixed tensors only
    def _step_ops(self) -> Tensor:
        model = self._model
        assert self._tables is not None
        token = self._inputs[0:1].view(1, 1)
        row = self._inputs[3:4]
        hidden = model.embed(token)
        cos, sin = model.rotary.cos_sin(self._inputs[1:3].view(1, 2, 1), hidden.dtype, tables=self._tables)
        unwritten = (self._rows > row).view(1, 1, 1, -1)
        for i, layer in enumerate(model.transformer.layers):
            assert isinstance(layer, GLMBlock)
            x = layer.input_layernorm(hidden)
            attended = self._attention(layer.attention, x, cos, sin, unwritten, i, row)
            hidden = _scaled_residual(x, attended)
            y = layer.post_attention_layernorm(hidden)
            hidden = _scaled_residual(y, layer.mlp(y))
        hidden = model.transformer.final_layernorm(hidden)
        return model.logits(hidden)[:, -1].float()

    def _attention(self, att: SelfAttention, x: Tensor, cos: Tensor, sin: Tensor, unwritten: Tensor, layer: int,
                   row: Tensor) -> Tensor:
        qkv = att.query_key_value(x).view(1, 1, att.num_heads, 3, att.head_dim)
        qk = apply_rotary(qkv[:, :, :, :2], cos, sin)
        q = qk[:, :, :, 0].transpose(1, 2)
        keys, values = self._cache._keys[layer], self._cache._values[layer]
        keys.index_copy_(2, row, qk[:, :, :, 1].transpose(1, 2))
        values.index_copy_(2, row, qkv[:, :, :, 2].transpose(1, 2))
        # The eager step's operations over every row, in its order (divide, product, fill, multiply).
        scores = torch.matmul(q / att._divisor, keys.transpose(-1, -2))
        scores.masked_fill_(unwritten, MASK_FILL)
        scores.mul_(att._coeff)
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(values.dtype)
        ctx = torch.matmul(probs, values).transpose(1, 2).reshape(1, 1, att.hidden_size)
        return att.dense(ctx)
