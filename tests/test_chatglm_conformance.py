"""Conformance of the native ChatGLM-6B against the original's outputs, for every fixture folder.

Everything compared is read from each folder's expected.json / logits.safetensors (prompts, shapes,
tolerances); optional sections are skipped when a folder lacks them.
"""

from __future__ import annotations

import pytest
import torch

from tests import chatglm_fixtures as fx
from workbench.chatglm.modeling import build_position_ids_and_mask

CASES = fx.case_params()


def _prompt(name: str, prompt_name: str) -> dict:
    return fx.expected(name)["prompts"][prompt_name]


def _ids(prompt: dict) -> torch.Tensor:
    return torch.tensor([prompt["input_ids"]])


def _logits(name: str, ids: torch.Tensor, **kwargs) -> torch.Tensor:
    with torch.no_grad():
        return fx.model(name)(ids, **kwargs).logits


def _assert_close(actual: torch.Tensor, expected: torch.Tensor, atol: float, what: str) -> None:
    diff = (actual.float() - expected.float()).abs().max().item()
    assert diff <= atol, f"{what}: max abs diff {diff:.3g} > {atol:.3g}"


@pytest.mark.parametrize("name", CASES)
def test_config_matches_expected(name: str) -> None:
    config = fx.model(name).config
    for key, value in fx.expected(name)["config"].items():
        if hasattr(config, key) and key not in ("torch_dtype",):
            assert getattr(config, key) == value, key


@pytest.mark.parametrize("name", CASES)
def test_prompt_ids_positions_and_masks(name: str) -> None:
    tok = fx.tokenizer(name)
    config = fx.model(name).config
    for pname, prompt in fx.expected(name)["prompts"].items():
        encoded = tok([prompt["text"]], return_tensors="pt")
        assert encoded["input_ids"][0].tolist() == prompt["input_ids"], pname
        if "tokenizer_output_keys" in prompt:
            assert sorted(encoded.keys()) == sorted(prompt["tokenizer_output_keys"]), pname
        positions, mask = build_position_ids_and_mask(_ids(prompt), config)
        assert positions[0].tolist() == prompt["position_ids"], pname
        assert mask[0, 0].int().tolist() == prompt["attention_mask_true_is_masked"], pname


@pytest.mark.parametrize("name", CASES)
def test_last_logits(name: str) -> None:
    ref = fx.tensors(name)
    atol = fx.tol(name, "logits_atol")
    for pname, prompt in fx.expected(name)["prompts"].items():
        logits = _logits(name, _ids(prompt))[0, -1]
        _assert_close(logits, ref[prompt["last_logits"]], atol, f"{pname} last logits")
        if "last_logits_argmax" in prompt:
            assert int(logits.argmax()) == prompt["last_logits_argmax"], pname
        if "last_logits_top5" in prompt:
            assert logits.topk(5).indices.tolist() == prompt["last_logits_top5"], pname


@pytest.mark.parametrize("name", CASES)
def test_full_logits(name: str) -> None:
    prompts = {k: p for k, p in fx.expected(name)["prompts"].items() if "full_logits" in p}
    if not prompts:
        pytest.skip(f"{name} has no full_logits")
    ref = fx.tensors(name)
    for pname, prompt in prompts.items():
        _assert_close(
            _logits(name, _ids(prompt))[0], ref[prompt["full_logits"]], fx.tol(name, "logits_atol"),
            f"{pname} full logits",
        )


@pytest.mark.parametrize("name", CASES)
def test_greedy(name: str) -> None:
    model, tok = fx.model(name), fx.tokenizer(name)
    for pname, prompt in fx.expected(name)["prompts"].items():
        greedy = prompt.get("greedy")
        if greedy is None:
            continue
        out = model.generate(_ids(prompt), do_sample=False, max_new_tokens=greedy["max_new_tokens"])
        assert out[0].tolist() == greedy["output_ids"], pname
        new = out[0, len(prompt["input_ids"]):].tolist()
        assert new == greedy["new_ids"], pname
        assert tok.decode(new) == greedy["new_text"], pname
        if "stopped_at_eos" in greedy:
            assert (new[-1] == model.config.eos_token_id) == greedy["stopped_at_eos"], pname
        if "num_new_tokens" in greedy:
            assert len(new) == greedy["num_new_tokens"], pname


def _batch_inputs(name: str) -> dict[str, torch.Tensor]:
    batch = fx.expected(name)["batch"]
    return {
        "input_ids": torch.tensor(batch["input_ids"]),
        "position_ids": torch.tensor(batch["position_ids"]),
        "attention_mask": torch.tensor(batch["attention_mask_true_is_masked"], dtype=torch.bool)[:, None],
    }


@pytest.mark.parametrize("name", CASES)
def test_batch_tokenizer_inputs_and_logits(name: str) -> None:
    batch = fx.expected(name)["batch"]
    prompts = fx.expected(name)["prompts"]
    texts = [prompts[p]["text"] for p in batch["prompt_names"]]
    enc = fx.tokenizer(name)(texts, padding=True, return_tensors="pt")
    inputs = _batch_inputs(name)
    for key in ("input_ids", "position_ids", "attention_mask"):
        assert torch.equal(enc[key], inputs[key]), key
    logits = _logits(name, inputs["input_ids"], position_ids=inputs["position_ids"],
                     attention_mask=inputs["attention_mask"])
    atol = fx.tol(name, "logits_atol")
    _assert_close(logits[:, -1], fx.tensors(name)[batch["last_logits"]], atol, "batch last logits")
    for row, pname in enumerate(batch["prompt_names"]):
        single = _logits(name, _ids(prompts[pname]))[0, -1]
        _assert_close(logits[row, -1], single, atol, f"batch row {row} vs single")


@pytest.mark.parametrize("name", CASES)
def test_batch_greedy(name: str) -> None:
    batch = fx.expected(name)["batch"]
    greedy = batch.get("greedy")
    if greedy is None:
        pytest.skip(f"{name} has no batch greedy run")
    model, tok = fx.model(name), fx.tokenizer(name)
    inputs = _batch_inputs(name)
    out = model.generate(
        inputs["input_ids"], position_ids=inputs["position_ids"], attention_mask=inputs["attention_mask"],
        do_sample=False, max_new_tokens=greedy["max_new_tokens"],
    )
    assert out.tolist() == greedy["output_ids"]
    plen = inputs["input_ids"].shape[1]
    pad = model.config.pad_token_id
    texts = [tok.decode([t for t in row if t != pad]) for row in out[:, plen:].tolist()]
    assert texts == greedy["new_texts"]
    if "new_ids_per_row" in greedy:
        assert out[:, plen:].tolist() == greedy["new_ids_per_row"]
    if "eos_step_per_row" in greedy:
        eos = model.config.eos_token_id
        steps = [row.index(eos) + 1 if eos in row else None for row in out[:, plen:].tolist()]
        assert steps == greedy["eos_step_per_row"]


@pytest.mark.parametrize("name", CASES)
def test_chat(name: str) -> None:
    model, tok = fx.model(name), fx.tokenizer(name)
    chats = fx.expected(name).get("chat") or []
    if not chats:
        pytest.skip(f"{name} has no chat entries")
    for entry in chats:
        prompt = model.build_chat_prompt(entry["query"], entry["history"])
        assert prompt == entry["prompt"]
        ids = tok([prompt], return_tensors="pt")["input_ids"]
        assert ids[0].tolist() == entry["prompt_ids"]
        generated: list[int] = []
        response, history = model.chat(
            tok, entry["query"], history=entry["history"], max_length=entry["max_length"],
            do_sample=entry.get("do_sample", False), on_token=generated.extend,
        )
        assert generated == entry["generated_ids"]
        assert response == entry["response"]
        assert [list(turn) for turn in history] == entry["new_history"]


@pytest.mark.parametrize("name", CASES)
def test_kv_cache_steps(name: str) -> None:
    exp = fx.expected(name)
    kv = exp.get("kv_cache")
    if kv is None:
        pytest.skip(f"{name} has no kv_cache section")
    model, ref = fx.model(name), fx.tensors(name)
    ids = _ids(exp["prompts"][kv["prompt_name"]])
    with torch.no_grad():
        out = model(ids, use_cache=True)
    cache = out.past_key_values
    assert len(cache) == kv["num_layers"] == model.config.num_layers
    assert list(cache[0][0].shape) == kv["prefill_key_shape"]
    assert list(cache[0][1].shape) == kv["prefill_value_shape"]
    atol_t = fx.tol(name, "kv_tensors_atol")
    prefill_names = [k for k in ref if k.startswith("kv.prefill.")]
    assert prefill_names, "no kv.prefill tensors in logits.safetensors"
    for tname in prefill_names:
        _, _, layer, kind = tname.split(".")
        layer_idx = int(layer.removeprefix("layer"))
        actual = cache[layer_idx][0 if kind == "key" else 1][:, 0]
        _assert_close(actual, ref[tname], atol_t, tname)
    atol = fx.tol(name, "kv_step_logits_atol")
    logits = out.logits[0, -1]
    seq = ids
    for step in kv["steps"]:
        assert int(logits.argmax()) == step["fed_token"], f"step {step['step']} fed token"
        fed = torch.tensor([step["input_ids_fed"]])
        positions = torch.tensor(step["position_ids_fed"])[None]
        mask = step["attention_mask_fed"]
        mask = None if mask is None else torch.tensor(mask, dtype=torch.bool).reshape(1, 1, 1, -1)
        with torch.no_grad():
            out = model(fed, position_ids=positions, attention_mask=mask, past_key_values=cache, use_cache=True)
        cache = out.past_key_values
        assert list(cache[0][0].shape) == step["key_shape_after"]
        logits = out.logits[0, -1]
        _assert_close(logits, ref[step["logits"]], atol, f"kv step {step['step']} logits")
        seq = torch.cat([seq, fed], dim=1)
        _assert_close(_logits(name, seq)[0, -1], logits, atol, f"kv step {step['step']} vs recompute")


@pytest.mark.parametrize("name", CASES)
def test_hidden_states(name: str) -> None:
    exp = fx.expected(name)
    hs = exp.get("hidden_states")
    if hs is None:
        pytest.skip(f"{name} has no hidden_states section")
    model, ref = fx.model(name), fx.tensors(name)
    with torch.no_grad():
        out = model(_ids(exp["prompts"][hs["prompt_name"]]), output_hidden_states=True)
    assert len(out.hidden_states) == len(hs["tensors"]) == model.config.num_layers + 1
    if "count" in hs:
        assert len(out.hidden_states) == hs["count"]
    for actual, tname in zip(out.hidden_states, hs["tensors"], strict=True):
        _assert_close(actual[0], ref[tname], fx.tol(name, "hidden_states_atol"), tname)


@pytest.mark.parametrize("name", CASES)
def test_generation_length_args(name: str) -> None:
    section = fx.expected(name).get("generation_length_args")
    if not section:
        pytest.skip(f"{name} has no generation_length_args")
    model, tok = fx.model(name), fx.tokenizer(name)
    for run in section["runs"]:
        ids = _ids(_prompt(name, run["prompt_name"]))
        out = model.generate(ids, do_sample=False, **run["generate_kwargs"])
        assert out[0].tolist() == run["output_ids"], run["label"]
        assert out[0, ids.shape[1]:].tolist() == run["new_ids"], run["label"]
        assert tok.decode(run["new_ids"]) == run["new_text"], run["label"]


@pytest.mark.parametrize("name", CASES)
def test_stream_chat(name: str) -> None:
    runs = fx.expected(name).get("stream_chat")
    if not runs:
        pytest.skip(f"{name} has no stream_chat section")
    model, tok = fx.model(name), fx.tokenizer(name)
    for run in runs:
        kwargs = {"history": run["history"], "max_length": run["max_length"], "do_sample": run["do_sample"]}
        yields = list(model.stream_chat(tok, run["query"], **kwargs))
        response, history = model.chat(tok, run["query"], **kwargs)
        # Deliberate difference: our last yield is always chat()'s full reply (also when max_length cuts).
        assert response == run["chat_response"]
        assert yields[-1][0] == response
        assert [list(t) for t in yields[-1][1]] == [list(t) for t in history]
        if run.get("final_yield_equals_chat_response"):
            assert [list(t) for t in yields[-1][1]] == run["final_history"]
        # We yield once per token, so every value the original yielded appears, in order.
        ours = iter(r for r, _ in yields)
        assert all(any(o == mine for mine in ours) for o in run["yielded_responses"])


@pytest.mark.parametrize("name", CASES)
def test_cached_and_uncached_decoding_agree(name: str) -> None:
    exp = fx.expected(name)
    model = fx.model(name)
    atol = fx.tol(name, "kv_step_logits_atol")
    prompt = max(exp["prompts"].values(), key=lambda p: len(p["input_ids"]))
    ids = _ids(prompt)
    steps: list[torch.Tensor] = []
    out = model.generate(ids, do_sample=False, max_new_tokens=6, eos_token_id=-1)
    # Recompute every step from scratch (no cache, model-built positions and mask).
    seq = ids
    for _ in range(6):
        logits = _logits(name, seq)[0, -1]
        steps.append(logits)
        seq = torch.cat([seq, logits.argmax().view(1, 1)], dim=1)
    assert out[0].tolist() == seq[0].tolist()
    with torch.no_grad():
        cached = model(ids, use_cache=True)
        cache = cached.past_key_values
        positions, _ = build_position_ids_and_mask(seq, model.config)
        logits = cached.logits[0, -1]
        for i in range(6):
            _assert_close(logits, steps[i], atol, f"cached step {i}")
            pos = ids.shape[1] + i
            if i < 5:
                step = model(seq[:, pos:pos + 1], position_ids=positions[:, :, pos:pos + 1],
                             past_key_values=cache, use_cache=True)
                cache, logits = step.past_key_values, step.logits[0, -1]
