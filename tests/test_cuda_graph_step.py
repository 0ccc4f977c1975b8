"""The operations a CUDA graph captures for a decode step (``cuda_graph.GraphDecoder._step_ops``), run eagerly
on the CPU: they must give the model's own decode step. CI has no GPU, so this keeps the graph's arithmetic
checked there; tests/test_cuda.py runs the captured graph itself on a GPU."""

from __future__ import annotations

import pytest
import torch

from tests import chatglm_fixtures as fx
from workbench.chatglm.cuda_graph import GraphDecoder, decoder_for
from workbench.chatglm.loading import load_model
from workbench.chatglm.modeling import build_position_ids_and_mask

CASES = fx.case_params()


@pytest.mark.parametrize("name", CASES)
def test_graph_step_operations_equal_the_forward_step(name: str) -> None:
    model = load_model(fx.fixtures_root() / name, dtype="float32", device="cpu")
    prompt = next(iter(fx.expected(name)["prompts"].values()))
    ids = torch.tensor([prompt["input_ids"]])
    positions, mask = build_position_ids_and_mask(ids, model.config)
    tokens = [int(t) for t in torch.randint(6, 1150, (12,), generator=torch.Generator().manual_seed(3))]
    spare = 5  # capacity beyond the steps: rows the graph reads but must not see
    with torch.inference_mode():
        caches = [model.new_cache(1, ids.shape[1] + len(tokens) + spare) for _ in range(2)]
        for cache in caches:
            model(ids, position_ids=positions, attention_mask=mask, past_key_values=cache, use_cache=True)
        forward_cache, graph_cache = caches
        for buffers in (graph_cache._keys, graph_cache._values):
            for b in buffers:
                b[:, :, graph_cache.length:].fill_(float("nan"))  # what an unzeroed buffer may hold
        decoder = GraphDecoder(model, graph_cache)
        decoder._prepare()
        p0, p1 = int(positions[0, 0, -1]), int(positions[0, 1, -1])
        for step, token in enumerate(tokens):
            p1 += 1
            expected = model(torch.tensor([[token]]), position_ids=torch.tensor([[[p0], [p1]]]),
                             past_key_values=forward_cache, use_cache=True).logits[:, -1].float()
            decoder._inputs.copy_(torch.tensor([token, p0, p1, graph_cache.length]))
            got = decoder._step_ops()
            graph_cache.length += 1
            diff = (got - expected).abs().max().item()
            assert diff <= fx.tol(name, "logits_atol"), f"step {step}: {diff:.3g}"
        for layer in range(model.config.num_layers):
            for a, b in zip(forward_cache[layer], graph_cache[layer], strict=True):
                assert (a - b).abs().max().item() <= fx.tol(name, "kv_tensors_atol")


def test_no_graph_decoder_off_the_gpu() -> None:
    name = fx.case_names()[0]
    model = load_model(fx.fixtures_root() / name, dtype="float32", device="cpu")
    with torch.inference_mode():
        assert decoder_for(model, model.new_cache(1, 8)) is None
