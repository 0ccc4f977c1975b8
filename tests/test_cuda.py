"""The CUDA paths on a real GPU: the native ChatGLM loaded onto the GPU (float32 against the original's
outputs, float16 as the original apps run BianQue-2, int8 and int4), the quantized linears' dequantization
kernels, the workbench's three columns generating on the GPU, and running out of GPU memory.

CI has no GPU, so this module skips there; it runs wherever CUDA is available (bench/NOTES.md records the
runs on a GPU machine). Every expected value is read from the conformance fixtures or computed in the same
run on the CPU; nothing is hard-coded.
"""

from __future__ import annotations

import json

import pytest
import torch

from tests import chatglm_fixtures as fx
from tests.column_runs import run_column
from workbench.chatglm import quantization as q
from workbench.chatglm.cuda_quantized import CudaQuantizedKernels
from workbench.chatglm.generation import chat, generate
from workbench.chatglm.loading import load_model, save_model, state_dict_for_saving
from workbench.dialogue import Dialogue

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

CUDA = torch.device("cuda:0")
CASES = fx.case_params()
# float16 keeps 11 significant bits (bfloat16: 8). On these fixtures bfloat16 on the CPU is off by 0.15 at
# most in logits spanning about +-3.5, so a float16 model must stay within 2% of the logits' range.
FP16_RELATIVE_TOL = 0.02


def _folder(name: str):
    return fx.fixtures_root() / name


def _last_logits(model, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([ids], device=model.device)).logits[0, -1].float().cpu()


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.float() - b.float()).abs().max().item()


def _top_gap(logits: torch.Tensor) -> float:
    top = logits.float().topk(2).values
    return float(top[0] - top[1])


def _every_tensor_on(model, device: torch.device) -> None:
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        assert t.device == device, f"{name} is on {t.device}"


@pytest.mark.parametrize("name", CASES)
def test_float32_on_cuda_matches_the_original(name: str) -> None:
    """Logits, greedy ids and chat() replies of the model loaded onto the GPU in float32, within the
    folder's own tolerances (the references are the original code's, in float32 on a CPU)."""
    model = load_model(_folder(name), dtype="float32", device="cuda")
    _every_tensor_on(model, CUDA)
    assert model.dtype == torch.float32
    exp, ref, tok = fx.expected(name), fx.tensors(name), fx.tokenizer(name)
    atol = fx.tol(name, "logits_atol")
    for pname, prompt in exp["prompts"].items():
        logits = _last_logits(model, prompt["input_ids"])
        assert _max_diff(logits, ref[prompt["last_logits"]]) <= atol, pname
        greedy = prompt.get("greedy")
        if greedy is not None:
            ids = torch.tensor([prompt["input_ids"]], device=CUDA)
            out = generate(model, ids, do_sample=False, max_new_tokens=greedy["max_new_tokens"])
            assert out.device == CUDA
            assert out[0].tolist() == greedy["output_ids"], pname
    for entry in exp.get("chat") or []:
        generated: list[int] = []
        response, _ = chat(model, tok, entry["query"], history=entry["history"], max_length=entry["max_length"],
                           do_sample=entry.get("do_sample", False), on_token=generated.extend)
        assert generated == entry["generated_ids"], entry["query"]
        assert response == entry["response"], entry["query"]


@pytest.mark.parametrize("name", CASES)
def test_kv_cache_steps_on_cuda(name: str) -> None:
    """Decoding with the cache on the GPU: each step's logits against the original's."""
    exp = fx.expected(name)
    kv = exp.get("kv_cache")
    if kv is None:
        pytest.skip(f"{name} has no kv_cache section")
    model, ref = load_model(_folder(name), dtype="float32", device="cuda"), fx.tensors(name)
    ids = torch.tensor([exp["prompts"][kv["prompt_name"]]["input_ids"]], device=CUDA)
    with torch.no_grad():
        out = model(ids, use_cache=True)
        for step in kv["steps"]:
            mask = step["attention_mask_fed"]
            mask = None if mask is None else torch.tensor(mask, dtype=torch.bool, device=CUDA).reshape(1, 1, 1, -1)
            out = model(torch.tensor([step["input_ids_fed"]], device=CUDA),
                        position_ids=torch.tensor(step["position_ids_fed"], device=CUDA)[None],
                        attention_mask=mask, past_key_values=out.past_key_values, use_cache=True)
            diff = _max_diff(out.logits[0, -1].cpu(), ref[step["logits"]])
            assert diff <= fx.tol(name, "kv_step_logits_atol"), f"step {step['step']}: {diff:.3g}"


@pytest.mark.parametrize("name", CASES)
def test_float16_on_cuda_stays_close_to_the_original(name: str) -> None:
    """float16 on the GPU, as the original apps run BianQue-2 (``.half().cuda()``)."""
    model = load_model(_folder(name), dtype="float16", device="cuda")
    assert model.dtype == torch.float16
    ref = fx.tensors(name)
    for pname, prompt in fx.expected(name)["prompts"].items():
        expected = ref[prompt["last_logits"]].float()
        tol = FP16_RELATIVE_TOL * float(expected.abs().max())
        logits = _last_logits(model, prompt["input_ids"])
        assert torch.isfinite(logits).all(), pname
        assert _max_diff(logits, expected) <= tol, pname
        if _top_gap(expected) > 2 * tol:
            assert int(logits.argmax()) == int(expected.argmax()), pname


def _teacher_forced(model, prompt_ids: list[int], tokens: list[int], graph: bool):
    """Logits of each step feeding ``tokens`` after the prompt: through the graph decoder or the eager forward."""
    from workbench.chatglm.cuda_graph import GraphDecoder
    from workbench.chatglm.modeling import build_position_ids_and_mask

    ids = torch.tensor([prompt_ids], device=CUDA)
    positions, mask = build_position_ids_and_mask(ids, model.config)
    p0, p1 = int(positions[0, 0, -1]), int(positions[0, 1, -1])
    out, decoder = [], None
    with torch.inference_mode():
        cache = model.new_cache(1, ids.shape[1] + len(tokens))
        model(ids, position_ids=positions, attention_mask=mask, past_key_values=cache, use_cache=True)
        decoder = GraphDecoder(model, cache) if graph else None
        for token in tokens:
            p1 += 1
            if decoder is not None:
                out.append(decoder.step(token, p0, p1).cpu())
            else:
                logits = model(torch.tensor([[token]], device=CUDA), position_ids=torch.tensor([[[p0], [p1]]], device=CUDA),
                               past_key_values=cache, use_cache=True).logits
                out.append(logits[:, -1].float().cpu())
        assert cache.length == ids.shape[1] + len(tokens)
    return out, decoder


@pytest.mark.parametrize("dtype,bits", [("float32", 0), ("float16", 0), ("float16", 8), ("float16", 4)])
def test_graph_decode_steps_equal_the_eager_forward(dtype: str, bits: int) -> None:
    """Decode steps replayed from a CUDA graph give the eager forward's logits, step after step, for a float
    and a quantized model: the graph is captured at the first step and replayed for the others."""
    name = fx.case_names()[0]
    model = load_model(_folder(name), dtype=dtype, device="cuda", quantization_bit=bits)
    prompt = next(iter(fx.expected(name)["prompts"].values()))
    tokens = [int(t) for t in torch.randint(6, 1150, (24,), generator=torch.Generator().manual_seed(7))]
    eager, _ = _teacher_forced(model, prompt["input_ids"], tokens, graph=False)
    replayed, decoder = _teacher_forced(model, prompt["input_ids"], tokens, graph=True)
    assert decoder is not None and decoder._graph is not None and not decoder._failed
    for step, (a, b) in enumerate(zip(eager, replayed, strict=True)):
        tol = fx.tol(name, "logits_atol") if dtype == "float32" else FP16_RELATIVE_TOL * float(a.abs().max())
        assert _max_diff(a, b) <= tol, f"step {step}: {_max_diff(a, b):.3g}"


def test_generation_on_cuda_takes_the_graph_path(monkeypatch) -> None:
    """``generate`` on a GPU decodes through the graph (greedy ids as without it), and
    ``WORKBENCH_CUDA_GRAPHS=0`` turns it off."""
    from workbench.chatglm import cuda_graph

    name = fx.case_names()[0]
    model = load_model(_folder(name), dtype="float32", device="cuda")
    made: list = []
    real = cuda_graph.GraphDecoder
    monkeypatch.setattr(cuda_graph, "GraphDecoder", lambda *a: made.append(real(*a)) or made[-1])
    prompt = next(p for p in fx.expected(name)["prompts"].values() if p.get("greedy"))
    ids = torch.tensor([prompt["input_ids"]], device=CUDA)
    graphed = generate(model, ids, do_sample=False, max_new_tokens=prompt["greedy"]["max_new_tokens"])
    assert len(made) == 1 and made[0]._graph is not None and not made[0]._failed
    monkeypatch.setenv("WORKBENCH_CUDA_GRAPHS", "0")
    eager = generate(model, ids, do_sample=False, max_new_tokens=prompt["greedy"]["max_new_tokens"])
    assert len(made) == 1
    assert graphed.tolist() == eager.tolist() == [prompt["greedy"]["output_ids"]]


def test_graph_decode_while_other_threads_use_the_gpu() -> None:
    """Columns generate on threads of their own: replies captured and replayed at the same time on one model,
    while another thread allocates and copies, all come out as the original's greedy ids."""
    import threading

    name = fx.case_names()[0]
    model = load_model(_folder(name), dtype="float32", device="cuda")
    prompts = [p for p in fx.expected(name)["prompts"].values() if p.get("greedy")]
    errors: list[str] = []
    stop = threading.Event()

    def reply(prompt: dict) -> None:
        try:
            for _ in range(3):
                out = generate(model, torch.tensor([prompt["input_ids"]], device=CUDA), do_sample=False,
                               max_new_tokens=prompt["greedy"]["max_new_tokens"])
                if out[0].tolist() != prompt["greedy"]["output_ids"]:
                    errors.append(f"{prompt['text']!r}: other ids")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"{prompt['text']!r}: {type(exc).__name__}: {exc}")

    def busy() -> None:
        try:
            while not stop.is_set():
                # No random draws: a capture holds torch's default CUDA generator, from which the workbench never
                # draws (its sampler takes a generator per call); a thread drawing from it fails meanwhile.
                (torch.ones(256, 256, device=CUDA) @ torch.full((256, 256), 0.5, device=CUDA)).sum().item()
        except Exception as exc:  # noqa: BLE001
            errors.append(f"busy thread: {type(exc).__name__}: {exc}")

    other = threading.Thread(target=busy)
    other.start()
    threads = [threading.Thread(target=reply, args=(p,)) for p in prompts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    other.join()
    assert not errors, errors


def test_auto_dtype_on_cuda_is_the_checkpoint_dtype() -> None:
    """``dtype: auto`` on a GPU takes the checkpoint's dtype (BianQue-2's float16), as the original apps did."""
    for name in fx.case_names():
        stored = json.loads((_folder(name) / "config.json").read_text(encoding="utf-8")).get("torch_dtype")
        stored = stored or "float32"
        model = load_model(_folder(name), dtype="auto", device="cuda")
        assert model.dtype == getattr(torch, stored), name


def _dequantized_reference(name: str, quantized) -> torch.nn.Module:
    """A float32 model on the GPU whose block Linears hold exactly the quantized model's dequantized weights."""
    model = load_model(_folder(name), dtype="float32", device="cuda")
    for layer, qlayer in zip(model.transformer.layers, quantized.transformer.layers, strict=True):
        for lname in q.QUANTIZED_LINEARS:
            qlin = qlayer.get_submodule(lname)
            lin = layer.get_submodule(lname)
            with torch.no_grad():
                lin.weight.copy_(q.dequantize(qlin.chatglm_weight(), qlin.weight_scale.float(), qlin.bits))
    return model


def _quantized_weights(model) -> dict[str, torch.Tensor]:
    """The blocks' stored integers and scales (the original ChatGLM layout, as a checkpoint holds them)."""
    return {k: v.cpu() for k, v in state_dict_for_saving(model).items()
            if ".layers." in k and k.endswith(("weight", "weight_scale"))}


@pytest.mark.parametrize("bits", [8, 4])
def test_quantized_on_cuda(bits: int) -> None:
    """int8 / int4 on the GPU: the same integers and scales as on the CPU; in float32 the same logits as the
    dequantized weights in a float model; in float16 (the dequantization kernels' path) within float16's
    tolerance of that."""
    name = fx.case_names()[0]
    on_cpu = load_model(_folder(name), dtype="float32", device="cpu", quantization_bit=bits)
    on_gpu = load_model(_folder(name), dtype="float32", device="cuda", quantization_bit=bits)
    _every_tensor_on(on_gpu, CUDA)
    cpu_weights, gpu_weights = _quantized_weights(on_cpu), _quantized_weights(on_gpu)
    assert cpu_weights.keys() == gpu_weights.keys() and cpu_weights
    for key, value in cpu_weights.items():
        assert torch.equal(value, gpu_weights[key]), key
    reference = _dequantized_reference(name, on_gpu)
    half = load_model(_folder(name), dtype="float16", device="cuda", quantization_bit=bits)
    for pname, prompt in fx.expected(name)["prompts"].items():
        expected = _last_logits(reference, prompt["input_ids"])
        assert _max_diff(_last_logits(on_gpu, prompt["input_ids"]), expected) <= fx.tol(name, "logits_atol"), pname
        got = _last_logits(half, prompt["input_ids"])
        assert _max_diff(got, expected) <= FP16_RELATIVE_TOL * float(expected.abs().max()), pname
    out = generate(half, torch.tensor([fx.expected(name)["prompts"][pname]["input_ids"]], device=CUDA),
                        do_sample=False, max_new_tokens=8)
    assert out.device == CUDA and out.shape[1] == len(fx.expected(name)["prompts"][pname]["input_ids"]) + 8


@pytest.mark.parametrize("bits", [8, 4])
def test_dequantization_kernel_equals_torch(bits: int) -> None:
    """The NVRTC-compiled fp16 dequantization (through cpm_kernels) gives torch's result bit for bit, and is
    the path actually taken (a failure would only log a warning and fall back)."""
    pytest.importorskip("cpm_kernels")
    gen = torch.Generator().manual_seed(bits)
    weight = torch.randn(384, 512, generator=gen)
    qweight, scale = q.quantize_rows(weight, bits)
    qweight, scale = qweight.to(CUDA), scale.to(torch.float16).to(CUDA)
    kernels = CudaQuantizedKernels(q.dequantize)
    got = kernels.dequantize(qweight, scale, bits)
    assert kernels._kernels is not None and not kernels._failed, "the kernels did not load"
    assert f"dequant{bits}" in kernels._verified
    assert got.dtype == torch.float16 and got.shape == weight.shape
    assert torch.equal(got, q.dequantize(qweight, scale, bits))


@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("rows,cols", [(384, 512), (4096, 4096), (1000, 16384), (130, 96)])
def test_one_row_product_equals_the_dequantized_product(bits: int, rows: int, cols: int) -> None:
    """A decode step's product straight from the integers equals the dequantized weight's product (float32)
    within float16 rounding, for each input row in turn, and is the path taken; several rows, float32
    activations or sizes the kernel does not take go through the dequantized weight."""
    pytest.importorskip("cpm_kernels")
    gen = torch.Generator().manual_seed(rows + bits)
    weight = torch.randn(rows, cols, generator=gen) * torch.rand(rows, 1, generator=gen)
    qweight, scale = q.quantize_rows(weight, bits)
    qweight, scale = qweight.to(CUDA), scale.to(torch.float16).to(CUDA)
    dequantized = q.dequantize(qweight, scale.float(), bits)
    kernels = CudaQuantizedKernels(q.dequantize)
    x = torch.randn(5, 1, cols, generator=gen).to(CUDA, torch.float16)
    for i in range(x.shape[0]):
        got = kernels.one_row_product(x[i], qweight, scale, bits)
        assert got is not None and got.dtype == torch.float16 and got.shape == (1, rows)
        expected = torch.nn.functional.linear(x[i].float(), dequantized)
        assert _max_diff(got, expected) <= 2e-3 * float(expected.abs().max()), i
    assert f"row{bits}" in kernels._verified and not kernels._one_row_failed
    assert kernels.one_row_product(x.view(5, cols), qweight, scale, bits) is None
    assert kernels.one_row_product(x[0].float(), qweight, scale, bits) is None
    odd = qweight[:, : (qweight.shape[1] // 16) * 16 - 8].contiguous()
    assert kernels.one_row_product(x[0][..., : odd.shape[1] * (2 if bits == 4 else 1)], odd, scale, bits) is None


@pytest.mark.parametrize("bits", [8, 4])
def test_linear_takes_the_one_row_product_for_a_decode_step(monkeypatch, bits: int) -> None:
    """A quantized float16 Linear on the GPU gives the same one-row output with the kernel and without it
    (``WORKBENCH_CUDA_ONE_ROW=0``), bias included, within float16 rounding."""
    pytest.importorskip("cpm_kernels")
    gen = torch.Generator().manual_seed(3)
    linear = torch.nn.Linear(1024, 768).half()
    torch.nn.init.normal_(linear.weight, generator=gen)
    torch.nn.init.normal_(linear.bias, generator=gen)
    layer = q.QuantizedLinear.from_linear(linear.to(CUDA), bits)
    assert layer.layout == q.CHATGLM_LAYOUT
    x = torch.randn(1, 1, 1024, generator=gen).to(CUDA, torch.float16)
    taken: list[bool] = []
    real = q._CUDA_KERNELS.one_row_product
    monkeypatch.setattr(q._CUDA_KERNELS, "one_row_product", lambda *a: taken.append(real(*a) is not None) or real(*a))
    fused = layer(x)
    monkeypatch.setenv("WORKBENCH_CUDA_ONE_ROW", "0")
    plain = layer(x)
    assert taken == [True, False] and fused.shape == plain.shape == (1, 1, 768)
    assert _max_diff(fused, plain) <= 2e-3 * float(plain.abs().max()) + 2e-3


@pytest.mark.parametrize("table", [False, True], ids=["float-table", "quantized-table"])
def test_prequantized_checkpoint_loads_onto_cuda(tmp_path, table: bool) -> None:
    """``workbench quantize``'s output loads straight onto the GPU, with the integers it stored."""
    from workbench.chatglm.prequantize import quantize_checkpoint

    name = fx.case_names()[0]
    out = tmp_path / "int8"
    quantize_checkpoint(_folder(name), 8, out, quantize_embeddings=table)
    on_cpu = load_model(out, device="cpu")
    on_gpu = load_model(out, device="cuda")
    _every_tensor_on(on_gpu, CUDA)
    assert q.table_is_quantized(on_gpu) == table
    for key, value in _quantized_weights(on_cpu).items():
        assert torch.equal(value, _quantized_weights(on_gpu)[key]), key
    prompt = next(iter(fx.expected(name)["prompts"].values()))
    assert torch.isfinite(_last_logits(on_gpu, prompt["input_ids"])).all()
    resaved = tmp_path / "again"
    save_model(on_gpu, resaved)
    assert (resaved / "config.json").exists()


# --------------------------------------------------------------------------- the workbench on the GPU


@pytest.fixture
def cuda_services(demo_config, tmp_path, monkeypatch):
    """The demo workbench with every model column on the GPU."""
    from tests.conftest import config_with_db
    from workbench.services import build_services

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    columns = [c.model_copy(update={"model": c.model.model_copy(update={"device": "cuda"})})
               if getattr(c, "model", None) is not None else c for c in demo_config.columns]
    cfg = config_with_db(demo_config, f"sqlite:///{tmp_path / 'wb.db'}").model_copy(update={"columns": columns})
    svc = build_services(cfg)
    yield svc
    svc.close()


def _chat_turn(svc, dialogue_id, message: str):
    from workbench import chat

    dialogue_id, position = chat.send(svc, dialogue_id, message, user_id=None)
    finals = {u.column: u for u in chat.run(svc, dialogue_id, position, chat.jobs_for(svc, dialogue_id, position,
                                                                                      svc.columns)) if u.final}
    return dialogue_id, finals


def test_three_columns_chat_on_cuda(cuda_services) -> None:
    """A whole dialogue through BianQue-1.0, BianQue-2.0 and the hybrid with the models on the GPU; each
    model really is there, and a seeded reply comes out the same when generated again."""
    from workbench import chat

    svc = cuda_services
    dialogue_id = None
    for message in ("你好", "我最近咳嗽，晚上更厉害", "没有发烧，有点痰"):
        dialogue_id, finals = _chat_turn(svc, dialogue_id, message)
        assert set(finals) == set(svc.columns)
        for column, update in finals.items():
            assert update.status == "ok", (column, update.error)
    threads = chat.threads(svc, dialogue_id)
    for column, thread in threads.items():
        replies = [t.text for t in thread.turns if t.role == "doctor"]
        assert len(replies) == 3 and all(r.strip() for r in replies), column
    models = [resource.get().model for resource in svc.pool.all_models()]
    assert len(models) == 2  # BianQue-1.0 and BianQue-2.0; the hybrid shares them
    for model in models:
        assert {p.device for p in model.parameters()} == {CUDA}, type(model).__name__
    # A reply generated again with the same seed is the same reply (the sampler's generator is on the GPU).
    for column in svc.columns:
        prior = Dialogue(threads[column].turns[:-1])
        first, _ = svc.backends[column].generate(prior, seed=99)
        again, _ = svc.backends[column].generate(prior, seed=99)
        assert first == again and first.strip(), column


def test_out_of_gpu_memory_is_reported_and_the_model_keeps_working(services, demo_models) -> None:
    """A generation that needs more GPU memory than there is: stored as out of memory, and the same model
    answers the next, ordinary message."""
    from workbench.config import V1Column, V2Column

    v2 = V2Column(name="HugeV2", backend="bianque-v2", model={"path": str(demo_models.v2_path), "device": "cuda"},
                  generation={"max_new_tokens": 2**40})
    v1 = V1Column(name="HugeV1", backend="bianque-v1", model={"path": str(demo_models.v1_path), "device": "cuda"},
                  generation={"max_input_tokens": 1_000_000})
    long = Dialogue.of([("patient", "你好"), ("doctor", "请问有什么可以帮您？"), ("patient", "头疼，" * 100_000)])
    short = Dialogue.of([("patient", "你好"), ("doctor", "请问有什么可以帮您？"), ("patient", "我最近经常失眠")])
    for column, dialogue in ((v2, short), (v1, long)):
        got = [(u.status, u.error) for u in run_column(services, column, dialogue)]
        assert got == [("error", f"{column.name}: out of memory while generating")]
    ok = V2Column(name="HugeV2", backend="bianque-v2", model={"path": str(demo_models.v2_path), "device": "cuda"},
                  generation={"max_new_tokens": 16})
    got = [(u.status, u.error) for u in run_column(services, ok, short)]
    assert got == [("ok", None)]


def test_missing_gpu_index_is_named() -> None:
    from workbench.devices import resolve_device
    from workbench.errors import ModelLoadError

    assert resolve_device("auto") == CUDA
    count = torch.cuda.device_count()
    with pytest.raises(ModelLoadError, match=f"cuda:{count}.*{count} GPU"):
        resolve_device(f"cuda:{count}")
