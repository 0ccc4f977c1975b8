"""Whole decode steps in C (``native_step.c``) for fp32 ChatGLM models with int8 / int4 block Linears.

A decode step runs a few hundred small torch operations (LayerNorms, rotary, the cache write, attention,
GELU, residuals) around the quantized products; at the mid size each step spent ~5 ms in them against
~1-2 ms of weight reads. Where every condition holds, :func:`decoder_for` returns a :class:`NativeDecoder`
that runs a step of one sequence in one C call (the quantized products are ``native_gemv.c``'s, included
in the same library) and the lm_head in one torch product; elsewhere it returns None and the model's own
forward runs. A quantized tied table (``--quantize-embeddings``), or a float one held in bf16 (as quantized
models load on CPU), is read outside the C call: the token's row is widened before it and the lm_head (the
model's own, ``ChatGLM.logits``) runs on its final LayerNorm output after it. The
conditions: a CPU model in float32 whose every block Linear is a quantized layer in the
original ChatGLM layout (int4: or interleaved by row blocks where the shape allows, ``native_gemv``) that decodes
through the compiled kernel (``native_gemv``), one sequence, no mask
on the new token, no gradients, and a library that compiled, loaded and passed its check in this process
against the model's own forward on a small random model.

The prompt pass of the same models runs in one C call too (``wb_glm_prompt_pass``, :meth:`NativeDecoder.prompt`)
where the forward would run every block Linear through the same fused product (``native_prompt``: bf16 with
AVX512_BF16, fp32 on CPUs without native bf16; the same routine is called, so the products are the same bits), the
mask is ChatGLM's prefix mask (or none), the cache is empty and
attention weighs little beside the products (:func:`_attention_is_minor`). It is checked once per process on its
own, per products' dtype (:meth:`NativeStep.prompt_available`); a failure leaves prompt passes on the forward and
decode steps in C.

The library is cached like ``native_gemv``'s, in ``native/`` of the cache directory, named by a hash of
both sources, the compiler and the flags; any failure is logged once with its reason and decoding keeps
the model's forward.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from workbench.chatglm import (
    cpu_gemm,
    machine_choice,
    native_gemv,
    native_prompt,
    quantization,
    torch_threads,
)
from workbench.chatglm.configuration import ChatGLMConfig
from workbench.chatglm.modeling import ALPHA, ChatGLM, ChatGLMCache, GLMBlock, build_position_ids_and_mask
from workbench.chatglm.native_gemv import NativeKernelError
from workbench.chatglm.quantization import (
    _KERNELS,
    CHATGLM_LAYOUT,
    INTERLEAVED_INT4_LAYOUT,
    QuantizedLinear,
    dequantize,
    quantize_weight,
    table_is_quantized,
)

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("native_step.c")
# -ffp-contract=off: products that torch rounds before adding (rotary, residuals) must not become FMAs.
FLAGS = ("-O3", "-fPIC", "-fopenmp", "-shared", "-march=native", "-ffp-contract=off")
POINTERS_PER_LAYER = 18  # P_PER_LAYER in native_step.c
# Max |logit difference| / max |logit| accepted by the self-check against the float forward of the same
# dequantized model, per activation precision of the products. int16 (2^-16 of a 256-column block): the
# rest differs by float ulps (the C LayerNorm, softmax and tanh), 3e-6 measured. int8 (1/254 of a
# 32-column block): 8e-4 measured on the check's model. A wrong step is off by orders of magnitude more.
TOLERANCE = {16: 1e-4, 8: 5e-3}
# The same for a whole prompt pass, against the forward whose block Linears multiply the bf16-rounded inputs
# and weights exactly (the fused products' arithmetic): what differs is float rounding in LayerNorm, softmax,
# tanh and the order of sums (~2e-7 measured), and the rare activation that this moves across a bf16 rounding
# boundary (then up to ~4e-4 in a row); a row that sees one row too many or too few was off by 7e-3 to 5e-2.
PROMPT_TOLERANCE = 2e-3


def library_path(cc: str, version: str) -> Path:
    """Where the step library built from both sources by ``cc`` (``version``) with :data:`FLAGS` is cached."""
    parts = [SOURCE.read_bytes(), native_gemv.SOURCE.read_bytes(), cc.encode(), version.encode(),
             " ".join(FLAGS).encode()]
    key = hashlib.sha256(b"\0".join(parts))
    return machine_choice.cache_dir() / "native" / f"step-{key.hexdigest()[:16]}.so"


def _bind(path: Path) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(path))
    fn = lib.wb_glm_decode_step
    fn.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                   ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                   ctypes.c_int, ctypes.c_int, ctypes.c_float, ctypes.c_float, ctypes.c_int]
    fn.restype = ctypes.c_int
    prompt = lib.wb_glm_prompt_pass
    prompt.argtypes = [ctypes.c_void_p, *[ctypes.c_int] * 7, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                       ctypes.c_int, ctypes.c_int, ctypes.c_float, ctypes.c_float, ctypes.c_int, ctypes.c_int]
    prompt.restype = ctypes.c_int
    return lib


class NativeStep:
    """The compiled step library, built, loaded and checked at first use (once per process)."""

    def __init__(self) -> None:
        self._lib: ctypes.CDLL | None = None
        self._checked = False
        self._q8_ok = False
        self._interleaved_ok = False
        self._lock = threading.Lock()  # columns generate in threads: one build and check, none half-done
        self._prompt_ok: dict[torch.dtype, bool] = {}  # per products' dtype
        self._prompt_reasons: dict[torch.dtype, str] = {}
        self.reason = ""
        self.path: Path | None = None

    def available(self) -> bool:
        with self._lock:
            if not self._checked:
                try:
                    lib = self._build()
                    self._self_check(lib, activations=16)
                    self._lib = lib
                    self._q8_ok = self._check_q8(lib)
                    self._interleaved_ok = self._q8_ok and self._check_interleaved(lib)
                except Exception as exc:  # noqa: BLE001 - any failure (build, load, check) keeps the forward
                    self.reason = str(exc)
                    logger.warning("native decode step not used (%s); decoding keeps the model's forward", exc)
                finally:
                    self._checked = True
        return self._lib is not None

    def q8_available(self) -> bool:
        """Whether steps whose products take int8 activations passed their check in this process."""
        return self.available() and self._q8_ok

    def interleaved_available(self) -> bool:
        """Whether steps on int4 weights in ``native_gemv``'s interleaved layout passed their check here."""
        return self.q8_available() and self._interleaved_ok

    def _check_interleaved(self, lib: ctypes.CDLL) -> bool:
        if not quantization.NATIVE_GEMV.interleaved_available():
            return False
        try:
            self._self_check(lib, activations=8, interleaved=True)
        except Exception as exc:  # noqa: BLE001 - models in that layout keep the forward
            logger.warning("native decode step on interleaved int4 weights not used (%s); those models keep the "
                           "forward", exc)
            return False
        return True

    def _check_q8(self, lib: ctypes.CDLL) -> bool:
        if not quantization.NATIVE_GEMV.q8_available():
            return False
        try:
            self._self_check(lib, activations=8)
        except Exception as exc:  # noqa: BLE001 - models on int8 activations keep the forward
            logger.warning("native decode step with int8 activations not used (%s); those models keep the "
                           "forward", exc)
            return False
        return True

    def prompt_available(self, products: torch.dtype = torch.bfloat16) -> bool:
        """Whether whole prompt passes in C with ``products`` (bf16 or fp32) passed their check in this process
        (checked at first call)."""
        if not self.available():
            return False
        interleaved = self.interleaved_available()  # before the lock, which that takes too
        with self._lock:
            if products not in self._prompt_ok:
                try:
                    self._check_prompt(self.library(), interleaved, products)
                    self._prompt_ok[products] = True
                except Exception as exc:  # noqa: BLE001 - any failure keeps the forward's prompt pass
                    self._prompt_ok[products] = False
                    self._prompt_reasons[products] = str(exc)
                    logger.warning("native prompt pass with %s products not used (%s); prompt passes keep the "
                                   "model's forward", products, exc)
        return self._prompt_ok[products]

    @property
    def prompt_reason(self) -> str:
        """Why whole prompt passes in C are not used here, per products' dtype checked ("" where none failed)."""
        return "; ".join(f"{str(dt).removeprefix('torch.')}: {why}" for dt, why in self._prompt_reasons.items())

    def _check_prompt(self, lib: ctypes.CDLL, interleaved_ok: bool, products: torch.dtype) -> None:
        """Whole prompt passes against the float forward of the same model (with bf16 products, its block Linears
        taking bf16-rounded inputs and weights: what those products multiply, exactly, summed in fp32): int8, int4
        and interleaved int4, with the prefix-LM mask and with none; every row's final hidden state and every cache
        row."""
        routine = native_prompt.prompt_gemm(products)
        if not routine.available():
            raise NativeKernelError(f"the {routine.WHAT} is not usable ({routine.reason})")
        for bits, interleaved in ((8, False), (4, False), (4, True)):
            if interleaved and not interleaved_ok:
                continue
            model, operands = _check_model(bits, interleaved, hidden=128 if interleaved else 96)
            with torch.no_grad():
                for linears in _block_linears(model) if products == torch.bfloat16 else ():
                    for lin in linears:
                        assert isinstance(lin, nn.Linear)
                        lin.weight.copy_(lin.weight.to(torch.bfloat16))
                        lin.register_forward_pre_hook(lambda _m, args: (args[0].to(torch.bfloat16).float(),))
            gen = torch.Generator().manual_seed(11 + bits)
            ids = torch.randint(6, 280, (1, 19), generator=gen)
            ids[0, -2], ids[0, -1] = model.config.gmask_token_id, model.config.bos_token_id
            for masked in (True, False):
                with torch.inference_mode():
                    position_ids, mask = build_position_ids_and_mask(ids, model.config)
                    context = _prefix_context(mask if masked else None, ids.shape[1])
                    assert context is not None and (context < ids.shape[1]) == masked
                    ref = model(ids, position_ids=position_ids, attention_mask=mask if masked else None,
                                use_cache=True, output_hidden_states=True)
                    cache = model.new_cache(1, ids.shape[1] + 2)
                    decoder = NativeDecoder(lib, model, cache, bits, operands, 8 if interleaved else 16, interleaved)
                    got = decoder.prompt_hidden(ids, position_ids, context, products)
                assert ref.hidden_states is not None and ref.past_key_values is not None
                what = (f"{'interleaved ' if interleaved else ''}int{bits}, {'prefix' if masked else 'no'} mask, "
                        f"{str(products).removeprefix('torch.')} products")
                # Row by row: a row that sees one row too many or too few is off in that row only.
                for row, (a, b) in enumerate(zip(got, ref.hidden_states[-1][0], strict=True)):
                    error = native_gemv.relative_error(a, b)
                    if not error <= PROMPT_TOLERANCE:
                        raise NativeKernelError(f"the prompt pass gives wrong outputs ({what}, row {row}: relative "
                                                f"error {error:.2e} > {PROMPT_TOLERANCE:.0e})")
                written = cache.to_legacy()
                for layer, ((k, v), (k_ref, v_ref)) in enumerate(zip(written, ref.past_key_values.to_legacy(),
                                                                     strict=True)):
                    for name, a, b in (("keys", k, k_ref), ("values", v, v_ref)):
                        error = native_gemv.relative_error(a, b)
                        if not error <= PROMPT_TOLERANCE:
                            raise NativeKernelError(f"the prompt pass writes wrong {name} ({what}, layer {layer}: "
                                                    f"relative error {error:.2e} > {PROMPT_TOLERANCE:.0e})")

    def library(self) -> ctypes.CDLL:
        if self._lib is None:
            raise RuntimeError("the native decode step is not available")
        return self._lib

    def _build(self) -> ctypes.CDLL:
        kernel = quantization.NATIVE_GEMV
        if not kernel.available():
            raise NativeKernelError(f"the quantized kernel is not usable ({kernel.reason})")
        cc = native_gemv._compiler()
        self.path = path = library_path(cc, native_gemv._compiler_version(cc))
        if not path.is_file():
            native_gemv.compile_library(cc, SOURCE, path, FLAGS)
        try:
            return _bind(path)
        except (OSError, AttributeError) as exc:
            logger.warning("the cached native step %s does not load (%s); rebuilding it", path, exc)
            try:
                path.unlink()
                native_gemv.compile_library(cc, SOURCE, path, FLAGS)
                return _bind(path)
            except (OSError, AttributeError) as again:
                raise NativeKernelError(f"the compiled step {path} does not load ({again})") from again

    def _self_check(self, lib: ctypes.CDLL, activations: int, interleaved: bool = False) -> None:
        """A small random model with odd sizes, int8 and int4: C steps against the float forward of the
        same model with dequantized weights (what the products compute, up to the int16 activations).
        ``interleaved``: int4 only, weights in that layout where their shape allows (all but dense_4h_to_h)."""
        for bits in (4,) if interleaved else (8, 4):
            model, operands = _check_model(bits, interleaved, hidden=128 if interleaved else 96)
            config = model.config
            gen = torch.Generator().manual_seed(bits)
            ids = torch.randint(6, 280, (1, 9), generator=gen)
            ids[0, -2], ids[0, -1] = config.gmask_token_id, config.bos_token_id
            with torch.inference_mode():
                cache = model(ids, use_cache=True).past_key_values
                assert cache is not None
                decoder = NativeDecoder(lib, model, ChatGLMCache.from_legacy(cache.to_legacy(), 4), bits, operands,
                                        activations, interleaved)
                for step, token in enumerate((17, 250, 40)):
                    pos0, pos1 = 7, 2 + step  # [gMASK] at 7; the block position after <sop>'s 1
                    ref = model(torch.tensor([[token]]), position_ids=torch.tensor([[[pos0], [pos1]]]),
                                past_key_values=cache, use_cache=True).logits[0, -1]
                    got = decoder.step(token, pos0, pos1)[0]
                    error = native_gemv.relative_error(got, ref)
                    tolerance = TOLERANCE[activations]
                    if not error <= tolerance:
                        raise NativeKernelError(
                            f"the step gives wrong results ({'interleaved ' if interleaved else ''}int{bits}, "
                            f"int{activations} activations: relative "
                            f"error {error:.2e} > {tolerance:.0e})"
                        )


# Per layer, per block Linear: (quantized weight as the C code reads it, float32 scale, float32 bias or None).
Operands = list[list[tuple[Tensor, Tensor, Tensor | None]]]


def _check_model(bits: int, interleaved: bool, hidden: int) -> tuple[ChatGLM, Operands]:
    """A small random float model with odd sizes whose block Linears hold their ``bits``-bit quantized weights
    dequantized, and per layer those Linears' (quantized weight, scale, bias); ``interleaved``: int4 weights in
    that layout where their shape allows (all but dense_4h_to_h)."""
    config = ChatGLMConfig(vocab_size=300, hidden_size=hidden, num_layers=2, num_attention_heads=4,
                           inner_hidden_size=200, max_sequence_length=64, bos_token_id=290,
                           eos_token_id=291, mask_token_id=288, gmask_token_id=289, pad_token_id=3)
    gen = torch.Generator().manual_seed(bits)
    # Built on the CPU, not on the meta device: to_empty from meta runs torch's reference empty_like, which
    # imports sympy (~40 MB resident for good). Its own init must not move the caller's random stream.
    with torch.random.fork_rng(devices=[]):
        model = ChatGLM(config).eval()
    operands: Operands = []
    with torch.no_grad():
        for name, p in model.named_parameters():
            mean = 1.0 if "layernorm" in name and name.endswith("weight") else 0.0
            p.normal_(mean, 0.3 if p.dim() == 1 else p.shape[-1] ** -0.5, generator=gen)
        for linears in _block_linears(model):
            quantized: list[tuple[Tensor, Tensor, Tensor | None]] = []
            for lin in linears:
                assert isinstance(lin, nn.Linear)
                q, scale = quantize_weight(lin.weight, bits)
                lin.weight.copy_(dequantize(q, scale, bits, torch.float32))
                if interleaved and native_gemv.interleave_supported(*lin.weight.shape):
                    q = native_gemv.interleave_int4(q)
                quantized.append((q, scale, lin.bias))
            operands.append(quantized)
    return model, operands


NATIVE_STEP = NativeStep()


def _blocks(model: ChatGLM) -> list[GLMBlock]:
    return [layer for layer in model.transformer.layers if isinstance(layer, GLMBlock)]


def _block_linears(model: ChatGLM) -> list[list[nn.Module]]:
    """Per block: query_key_value, dense, dense_h_to_4h, dense_4h_to_h (float or quantized)."""
    return [
        [block.attention.query_key_value, block.attention.dense, block.mlp.dense_h_to_4h, block.mlp.dense_4h_to_h]
        for block in _blocks(model)
    ]


def _interleaved(model: ChatGLM) -> bool:
    """Whether the model's int4 block Linears are held interleaved (those of shapes that layout takes)."""
    return any(isinstance(lin, QuantizedLinear) and lin.layout == INTERLEAVED_INT4_LAYOUT
               for linears in _block_linears(model) for lin in linears)


def _quantized_native(model: ChatGLM) -> int:
    """The bits of the model's block Linears when all of them decode through the compiled kernel in the
    layouts the step reads (the original; or, int4, interleaved wherever the shape allows, as loading
    converts them) with float32 scales; 0 otherwise."""
    bits = set()
    interleaved = _interleaved(model)
    for linears in _block_linears(model):
        for lin in linears:
            if not isinstance(lin, QuantizedLinear):
                return 0
            shaped = interleaved and native_gemv.interleave_supported(lin.out_features, lin.in_features)
            if lin.layout != (INTERLEAVED_INT4_LAYOUT if shaped else CHATGLM_LAYOUT):
                return 0
            if lin.weight.device.type != "cpu" or lin.weight_scale.dtype != torch.float32:
                return 0
            if lin.bias is not None and lin.bias.dtype != torch.float32:
                return 0
            bits.add(lin.bits)
    if len(bits) != 1:
        return 0
    (b,) = bits
    return b if _KERNELS[b].native_decode() else 0


def decoder_for(model: ChatGLM, cache: ChatGLMCache) -> NativeDecoder | None:
    """A C decoder for ``model`` and ``cache`` when every condition of the fast path holds, else None."""
    if (
        torch.is_grad_enabled()
        or model.dtype != torch.float32
        or model.device.type != "cpu"
        or cache.batch_size != 1
        # Every token the lm_head can produce must have an embedding row.
        or model.transformer.word_embeddings.weight.shape[0] < model.lm_head.weight.shape[0]
        or not _quantized_native(model)
        or not NATIVE_STEP.available()
    ):
        return None
    bits = _quantized_native(model)
    activations = _KERNELS[bits].native_activation_bits()
    interleaved = _interleaved(model)
    if interleaved:
        activations = 8  # the only products that read that layout
    if (activations == 8 and not NATIVE_STEP.q8_available()) or (interleaved and not NATIVE_STEP.interleaved_available()):
        return None
    operands = [
        [(lin.weight, *lin.native_operands()) for lin in linears if isinstance(lin, QuantizedLinear)]
        for linears in _block_linears(model)
    ]
    return NativeDecoder(NATIVE_STEP.library(), model, cache, bits, operands, activations, interleaved)


class NativeDecoder:
    """Decode steps of one sequence through the C step, writing into ``cache`` as the forward would."""

    def __init__(self, lib: ctypes.CDLL, model: ChatGLM, cache: ChatGLMCache, bits: int,
                 operands: Sequence[Sequence[tuple[Tensor, Tensor, Tensor | None]]], activations: int,
                 interleaved: bool = False) -> None:
        """``operands``: per layer, (weight as checkpoints hold it, or int4 interleaved with ``interleaved``;
        float32 scale, float32 bias or None) of query_key_value, dense, dense_h_to_4h and dense_4h_to_h;
        ``activations``: 8 or 16, the products' activation precision (``native_gemv``'s two decode paths)."""
        c = model.config
        self._fn = lib.wb_glm_decode_step
        self._fn_prompt = lib.wb_glm_prompt_pass
        self._model = model
        self._cache = cache
        self._bits = bits
        self._activations = activations
        self._interleaved = interleaved
        self._linears = operands
        self._config = c
        self._h = torch.empty(c.hidden_size, dtype=torch.float32)
        self._vocab = model.lm_head.weight.shape[0]
        # A table the C step cannot read (int8 per row with --quantize-embeddings, or float held in bf16, as a
        # quantized model loads on CPU) stays out of it: its token's row is widened into this buffer before
        # the step, and its lm_head (the compiled int8 product, or the bf16 one, as in the forward) runs on the
        # step's final LayerNorm output after it. Without this the whole step ran the forward: at BianQue-2's
        # size, ~28 x 4 products plus a few hundred small torch operations per token.
        self._table_outside = table_is_quantized(model) or model.lm_head.weight.dtype != torch.float32
        self._row = torch.empty(c.hidden_size, dtype=torch.float32)
        # Keep every operand alive while its address sits in the pointer table.
        self._operands: list[Tensor] = []
        self._pointers: ctypes.Array[ctypes.c_void_p] | None = None
        self._pointer_capacity = -1

    def _pointer_table(self) -> ctypes.Array[ctypes.c_void_p]:
        cache = self._cache
        if self._pointers is not None and self._pointer_capacity == cache.capacity:
            return self._pointers
        operands: list[Tensor] = []
        addresses: list[int | None] = []

        def add(t: Tensor | None) -> None:
            if t is None:
                addresses.append(None)
                return
            t = t.detach()
            if not t.is_contiguous() or t.dtype not in (torch.float32, torch.int8):
                raise RuntimeError("native step operand is not a contiguous float32 / int8 tensor")
            operands.append(t)
            addresses.append(t.data_ptr())

        for i, layer in enumerate(_blocks(self._model)):
            qkv, dense, up, down = self._linears[i]
            add(layer.input_layernorm.weight)
            add(layer.input_layernorm.bias)
            for t in (*qkv, *dense):
                add(t)
            add(layer.post_attention_layernorm.weight)
            add(layer.post_attention_layernorm.bias)
            for t in (*up, *down):
                add(t)
            add(cache._keys[i])
            add(cache._values[i])
        final = self._model.transformer.final_layernorm
        add(final.weight)
        add(final.bias)
        if self._table_outside:
            add(self._row)
            add(None)
        else:
            add(self._model.transformer.word_embeddings.weight)
            add(self._model.lm_head.weight)
        self._operands = operands
        self._pointers = (ctypes.c_void_p * len(addresses))(*addresses)
        self._pointer_capacity = cache.capacity
        return self._pointers

    def step(self, token: int, pos0: int, pos1: int) -> Tensor:
        """Logits [1, vocab] (float32) of the next token after ``token`` at positions (``pos0``, ``pos1``);
        the cache grows by one row, as a forward with ``use_cache=True`` would."""
        c, cache, model = self._config, self._cache, self._model
        start = cache.length
        cache.reserve(start + 1)
        pointers = self._pointer_table()
        cos_t, sin_t = model.rotary.tables(max(pos0, pos1) + 1, model.device)
        row = cos_t.shape[1] * cos_t.element_size()
        logits = torch.empty(1, self._vocab, dtype=torch.float32)
        if self._table_outside:
            self._row.copy_(model.embed(torch.tensor([token])).view(-1))
            token = 0  # the row the C step reads is self._row
        rc = self._fn(
            pointers, c.num_layers, c.hidden_size, c.num_attention_heads, c.ffn_hidden_size, self._vocab,
            self._bits, self._activations, int(self._interleaved), token, self._h.data_ptr(), logits.data_ptr(), cos_t.data_ptr() + pos0 * row, sin_t.data_ptr() + pos0 * row,
            cos_t.data_ptr() + pos1 * row, sin_t.data_ptr() + pos1 * row, start, cache.capacity,
            c.layernorm_epsilon, ALPHA, torch_threads.product_threads(),
        )
        if rc != 0:
            _raise_for(rc, "native decode step")
        cache.length = start + 1
        if self._table_outside:
            return model.logits(self._h.view(1, -1)).float()
        return logits

    def prompt(self, input_ids: Tensor, position_ids: Tensor, mask: Tensor | None) -> Tensor | None:
        """Logits [1, vocab] (float32) of the token after the prompt ``input_ids`` [1, S] (``position_ids`` [1, 2,
        S], ``mask`` bool [1, 1, S, S] with True = masked, or None) from one C call, the cache filled as the
        forward fills it; None where the whole pass does not apply here (the caller runs the forward):
        a cache with content, a mask other than the prefix-LM one, a pass whose products the forward would not
        run through the fused product, or one so long that attention weighs (:func:`_attention_is_minor`)."""
        rows = input_ids.shape[-1]
        context = self.prompt_context(rows, mask) if input_ids.shape == (1, rows) else None
        if context is None:
            return None
        return self._model.logits(
            self.prompt_hidden(input_ids, position_ids, context, self._prompt_products(rows))[-1:]).float()

    def prompt_context(self, rows: int, mask: Tensor | None) -> int | None:
        """The rows that see each other in a C pass of ``rows`` tokens under ``mask``, or None where such a pass
        does not apply here (see :meth:`prompt`)."""
        c = self._config
        if self._cache.length or c.head_dim % 8 or c.head_dim > 2048:
            return None
        context = _prefix_context(mask, rows)
        products = self._prompt_products(rows)
        if context is None or products is None or not _attention_is_minor(c, rows):
            return None
        return context if NATIVE_STEP.prompt_available(products) else None

    def prompt_hidden(self, input_ids: Tensor, position_ids: Tensor, context: int,
                      products: torch.dtype | None = None) -> Tensor:
        """The C prompt pass itself, wherever it is asked for: the final LayerNorm's output of every row
        (float32 [S, hidden]); rows [0, ``context``) see each other; ``products``: bf16 or fp32 (default: the
        dtype this machine's prompt passes multiply in). The cache must be empty."""
        if products is None:
            products = torch.bfloat16 if cpu_gemm.GEMM_RATES.bf16_prefill() else torch.float32
        c, cache, model = self._config, self._cache, self._model
        rows = input_ids.shape[-1]
        cache.reserve(rows)
        pointers = self._pointer_table()
        h = model.embed(input_ids).view(rows, c.hidden_size).float().contiguous()
        cos, sin = model.rotary.cos_sin(position_ids, torch.float32)
        cos = cos.reshape(rows, c.head_dim).contiguous()
        sin = sin.reshape(rows, c.head_dim).contiguous()
        rc = self._fn_prompt(
            pointers, c.num_layers, c.hidden_size, c.num_attention_heads, c.ffn_hidden_size, self._bits,
            int(self._interleaved), rows, h.data_ptr(), cos.data_ptr(), sin.data_ptr(), context, cache.capacity,
            c.layernorm_epsilon, ALPHA, int(products == torch.float32), torch_threads.product_threads(),
        )
        if rc != 0:
            _raise_for(rc, "native prompt pass")
        cache.length = rows
        return h

    def _prompt_products(self, rows: int) -> torch.dtype | None:
        """The dtype of the fused products through which the forward would multiply every block Linear in a pass
        of ``rows`` rows, or None where some layer takes another path (or they differ)."""
        products = {
            quantization.fused_prompt_products(lin, rows, torch.float32) if isinstance(lin, QuantizedLinear) else None
            for linears in _block_linears(self._model) for lin in linears
        }
        return products.pop() if len(products) == 1 else None


def _raise_for(rc: int, what: str) -> None:
    """The error for a C call's failure code: -1 is a failed allocation, which the models report as running
    out of memory (as they do torch's own)."""
    if rc == -1:
        raise torch.OutOfMemoryError(f"{what}: out of memory")
    raise RuntimeError(f"{what} failed (code {rc})")


def _prefix_context(mask: Tensor | None, rows: int) -> int | None:
    """The rows that see each other under ``mask`` (bool [1, 1, rows, rows], True = masked) when it is the
    prefix-LM mask (those rows see each other, each later row the rows up to itself): ``rows`` for no mask,
    None for any other mask."""
    if mask is None:
        return rows
    if mask.shape != (1, 1, rows, rows) or mask.dtype != torch.bool:
        return None
    context = rows - int(mask[0, 0, 0].sum())
    if context < 1:
        return None
    visible = torch.ones(rows, rows, dtype=torch.bool).tril_()
    visible[:, :context] = True
    return context if torch.equal(mask[0, 0], ~visible) else None


def _attention_is_minor(config: ChatGLMConfig, rows: int) -> bool:
    """Whether a pass of ``rows`` tokens spends at most a third as many FLOPs in attention (``4 rows^2 hidden`` a
    layer at most) as in its products (``2 rows`` times a layer's weights): up to 2,048 tokens at the bench's mid
    size (hidden 1,024), 8,192 at BianQue-2's shapes. The C pass's attention is plain AVX2 code; measured faster
    than the forward that far on a 2-core Zen 4 (int4, mid size, alternating in one process: 1.35x / 1.24x /
    1.17x / 1.44x / 1.42x / 1.38x at 64 / 256 / 512 / 1,024 / 1,536 / 2,040 tokens; the 6B shapes 1.08x / 1.09x at
    64 / 256), and not measured past it."""
    h = config.hidden_size
    weights = 3 * h * h + h * h + 2 * h * config.ffn_hidden_size
    return 3 * 4 * rows * rows * h <= 2 * rows * weights
