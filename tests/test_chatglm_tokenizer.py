"""Conformance tests of the native ChatGLM-6B (v1) tokenizer, process_response and the tokenizer builder.

Driven by the reference data in $WORKBENCH_CHATGLM_FIXTURES (default ../shared/fixtures/chatglm6b):
every case of tokenizer/goldens.json and process_response_goldens.json, and the tokenizer parts of every
model folder (recursively, any folder with an expected.json).
"""

from __future__ import annotations

import ast
import builtins
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sentencepiece import sentencepiece_model_pb2 as sp_pb2

from workbench.chatglm.process_response import process_response
from workbench.chatglm.tokenization import BatchEncoding, ChatGLMTokenizer
from workbench.chatglm.tokenizer_builder import build_chatglm_tokenizer, chatglm_layout, layout_size
from workbench.errors import ConfigError, InputError, ModelLoadError

FIXTURES = Path(
    os.environ.get(
        "WORKBENCH_CHATGLM_FIXTURES", Path(__file__).resolve().parents[1].parent / "shared/fixtures/chatglm6b"
    )
)
TOKENIZER_DIR = FIXTURES / "tokenizer"
GOLDENS_PATH = TOKENIZER_DIR / "goldens.json"
PROCESS_RESPONSE_PATH = TOKENIZER_DIR / "process_response_goldens.json"
MISSING = f"ChatGLM fixtures not found at {FIXTURES} (set WORKBENCH_CHATGLM_FIXTURES)"

# The README's list of the specials registered with transformers (split out of text, skipped on decode).
REGISTERED_SPECIALS = ("<sop>", "<eop>", "<unk>", "<pad>", "[MASK]")
PIECE = sp_pb2.ModelProto.SentencePiece


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


GOLDENS: dict[str, Any] | None = _load(GOLDENS_PATH)
PROCESS_GOLDENS: list[dict[str, str]] | None = _load(PROCESS_RESPONSE_PATH)
MODEL_DIRS = sorted(p.parent for p in FIXTURES.rglob("expected.json")) if FIXTURES.is_dir() else []


def _params(items: list[Any] | None, ids: list[str] | None = None, reason: str = MISSING) -> list[Any]:
    """pytest params, or one skipped param with a clear reason when the fixture data is absent."""
    if not items:
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(item, id=ids[i] if ids else None) for i, item in enumerate(items)]


def _golden(section: str) -> Any:
    return GOLDENS.get(section) if GOLDENS else None


def _text_cases() -> list[dict[str, Any]]:
    cases = [("cases", i, c) for i, c in enumerate(_golden("cases") or [])]
    cases += [("edge_cases", i, c) for i, c in enumerate(_golden("edge_cases") or [])]
    return cases


TEXT_CASES = _text_cases()
PADDING_API = [
    (k, v) for k, v in (_golden("padding_api") or {}).items() if isinstance(v, dict) and "call" in v
]
MODEL_DIR_IDS = [str(p.relative_to(FIXTURES)) for p in MODEL_DIRS]


@pytest.fixture(scope="module")
def tok() -> ChatGLMTokenizer:
    if not (TOKENIZER_DIR / "ice_text.model").is_file():
        pytest.skip(MISSING)
    return ChatGLMTokenizer.from_pretrained(TOKENIZER_DIR)


def _plain(value: Any) -> Any:
    """Tensors/arrays/bools as nested Python ints, for comparison with the JSON goldens (1 = True)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return int(value) if isinstance(value, bool) else value


# --------------------------------------------------------------------------------------------- goldens
def test_every_golden_section_is_checked() -> None:
    """A new section in goldens.json must get a test here, not be silently ignored."""
    if GOLDENS is None:
        pytest.skip(MISSING)
    assert set(GOLDENS) == {"cases", "edge_cases", "extra", "padding_api", "decode_args", "pairs"}
    assert set(GOLDENS["extra"]) == {
        "vocab_size",
        "special_ids",
        "decode_special_only",
        "decode_with_pad_inside",
        "decode_skip_special_tokens",
        "sp_encode_add_dummy_prefix_false",
        "batch_padding_left",
    }
    assert set(GOLDENS["decode_args"]) - {"_legend"} == {
        "mixed",
        "cases",
        "convert_ids_to_tokens_skip_special",
        "decode_int_single",
        "clean_up_tokenization_spaces_attr",
    }
    assert set(GOLDENS["padding_api"]) - {k for k, _ in PADDING_API} == {"mask_vs_gmask_choice", "_legend"}


@pytest.mark.parametrize(
    "case", _params([c for _, _, c in TEXT_CASES], [f"{s}-{i:02d}" for s, i, _ in TEXT_CASES])
)
def test_text_case(tok: ChatGLMTokenizer, case: dict[str, Any]) -> None:
    text = case["text"]
    assert tok(text)["input_ids"] == case["ids"]
    assert tok.encode(text) == case["ids"]
    assert tok.encode(text, add_special_tokens=False) == case["ids_no_special"]
    assert tok.convert_ids_to_tokens(case["ids"]) == case["pieces"]
    assert tok.tokenize(text) == tok.convert_ids_to_tokens(case["ids_no_special"])
    assert tok.convert_tokens_to_ids(case["pieces"]) == case["ids"]
    assert tok.decode(case["ids"]) == case["decoded"]
    assert tok.decode(case["ids_no_special"]) == case["decoded_no_special"]
    assert tok.decode(torch.tensor(case["ids"])) == case["decoded"]


def test_batch_encoding_equals_single(tok: ChatGLMTokenizer) -> None:
    """Batched encoding (one SentencePiece call for all chunks) gives each text's own ids."""
    if not TEXT_CASES:
        pytest.skip(MISSING)
    texts = [c["text"] for _, _, c in TEXT_CASES]
    assert tok(texts)["input_ids"] == [c["ids"] for _, _, c in TEXT_CASES]


def test_extra_vocab_and_special_ids(tok: ChatGLMTokenizer) -> None:
    extra = _golden("extra")
    if extra is None:
        pytest.skip(MISSING)
    assert tok.vocab_size == extra["vocab_size"] == len(tok)
    special = extra["special_ids"]
    for name, index in special.items():
        assert tok.convert_tokens_to_ids(name) == index, name
        assert tok.convert_ids_to_tokens(index) == name, name
    assert tok.bos_token_id == special["<sop>"]
    assert tok.eos_token_id == special["<eop>"]
    assert tok.pad_token_id == special["<pad>"]
    assert tok.unk_token_id == special["<unk>"]
    assert tok.mask_token_id == special["[MASK]"]
    assert tok.gmask_token_id == special["[gMASK]"]
    assert tok.padding_side == "left"
    assert sorted(tok.all_special_ids) == sorted(special[name] for name in REGISTERED_SPECIALS)
    vocab = tok.get_vocab()
    assert len(vocab) == tok.vocab_size and vocab["[gMASK]"] == special["[gMASK]"]


def test_extra_decodes(tok: ChatGLMTokenizer) -> None:
    extra = _golden("extra")
    if extra is None:
        pytest.skip(MISSING)
    for index, text in extra["decode_special_only"].items():
        assert tok.decode([int(index)]) == text, index
        assert tok.decode(int(index)) == text, index
    pad_case = extra["decode_with_pad_inside"]
    assert tok.decode(pad_case["ids"]) == pad_case["decoded"]
    skip_case = extra["decode_skip_special_tokens"]
    assert tok.decode(skip_case["ids"], skip_special_tokens=True) == skip_case["decoded"]
    assert tok.decode(skip_case["ids"]) == skip_case["decoded_default"]


def test_extra_no_dummy_prefix_path(tok: ChatGLMTokenizer) -> None:
    extra = _golden("extra")
    if extra is None:
        pytest.skip(MISSING)
    case = extra["sp_encode_add_dummy_prefix_false"]
    assert tok.encode_chunk(case["text"], add_dummy_prefix=False) == case["ids"]
    assert tok.encode_chunk(case["text"]) == case["ids_with_prefix"]


def test_extra_batch_padding_left(tok: ChatGLMTokenizer) -> None:
    extra = _golden("extra")
    if extra is None:
        pytest.skip(MISSING)
    case = extra["batch_padding_left"]
    out = tok(case["texts"], padding=True, return_tensors="pt")
    assert _plain(out["input_ids"]) == case["input_ids"]
    assert _plain(out["position_ids"]) == case["position_ids"]
    assert _plain(out["attention_mask"]) == case["attention_mask_true_is_masked"]
    built = tok.build_inputs_for_batch(case["texts"])
    assert set(built) == {"input_ids", "position_ids", "attention_mask"}
    assert built["input_ids"].dtype == torch.int64 and built["position_ids"].dtype == torch.int64
    assert built["attention_mask"].dtype == torch.bool
    assert _plain(built["input_ids"]) == case["input_ids"]
    assert _plain(built["position_ids"]) == case["position_ids"]
    assert _plain(built["attention_mask"]) == case["attention_mask_true_is_masked"]


def _parse_call(call: str) -> tuple[list[Any], dict[str, Any]]:
    """``tokenizer(<literals>)`` -> (args, kwargs), without eval."""
    node = ast.parse(call, mode="eval").body
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tokenizer", (
        call
    )
    return [ast.literal_eval(a) for a in node.args], {k.arg: ast.literal_eval(k.value) for k in node.keywords}


def _check_container(name: str, got: Any, spec: dict[str, Any]) -> None:
    container = spec.get("container")
    if container == "torch.Tensor":
        assert isinstance(got, torch.Tensor), name
    elif container == "numpy.ndarray":
        assert isinstance(got, np.ndarray), name
    elif container == "list":
        assert isinstance(got, list), name
    if "dtype" in spec:
        assert str(got.dtype) == spec["dtype"], name
    if "shape" in spec:
        assert list(got.shape) == spec["shape"], name
    if "element_types" in spec:
        types = spec["element_types"]
        assert [type(x).__name__ for x in got[: len(types)]] == types, name
    if "lengths" in spec:
        assert [len(x) for x in got] == spec["lengths"], name
    if "elements" in spec:
        assert len(got) == len(spec["elements"]), name
        for element, element_spec in zip(got, spec["elements"], strict=True):
            _check_container(name, element, element_spec)
    if "value" in spec:
        assert _plain(got) == spec["value"], name


@pytest.mark.parametrize("entry", _params([v for _, v in PADDING_API], [k for k, _ in PADDING_API]))
def test_padding_api(tok: ChatGLMTokenizer, entry: dict[str, Any]) -> None:
    args, kwargs = _parse_call(entry["call"])
    if "raises" in entry:
        with pytest.raises(getattr(builtins, entry["raises"])):
            tok(*args, **kwargs)
        return
    out = tok(*args, **kwargs)
    assert type(out).__name__ == entry["type"]
    assert list(out.keys()) == entry["keys"]
    for key in entry["keys"]:
        _check_container(key, out[key], entry[key])


def test_padding_api_mask_vs_gmask_choice(tok: ChatGLMTokenizer) -> None:
    case = (_golden("padding_api") or {}).get("mask_vs_gmask_choice")
    if case is None:
        pytest.skip(MISSING)
    assert tok(case["text"])["input_ids"] == case["input_ids"]
    positions = tok(case["text"], padding=True)["position_ids"]
    assert _plain(positions) == case["tokenizer_position_ids_padding_true"]
    ctx = case["input_ids"].index(tok.bos_token_id)
    assert positions[0, ctx] == case["tokenizer_uses_mask_position"]


def _decode_kwargs(label: str) -> dict[str, bool]:
    """'skip=True,clean=default,spaces_between=False' -> decode kwargs ('default' = not passed)."""
    names = {
        "skip": "skip_special_tokens",
        "clean": "clean_up_tokenization_spaces",
        "spaces_between": "spaces_between_special_tokens",
    }
    kwargs = {}
    for part in label.split(","):
        key, value = part.split("=")
        if value != "default":
            kwargs[names[key]] = value == "True"
    return kwargs


def test_decode_args_mixed(tok: ChatGLMTokenizer) -> None:
    mixed = (_golden("decode_args") or {}).get("mixed")
    if mixed is None:
        pytest.skip(MISSING)
    assert tok.convert_ids_to_tokens(mixed["ids"]) == mixed["pieces"]
    labels = [k for k in mixed if k not in ("ids", "pieces")]
    assert len(labels) == 18
    for label in labels:
        assert tok.decode(mixed["ids"], **_decode_kwargs(label)) == mixed[label], label


DECODE_CASES = (_golden("decode_args") or {}).get("cases")


@pytest.mark.parametrize(
    "case", _params(DECODE_CASES, [f"decode-{i:02d}" for i in range(len(DECODE_CASES or []))])
)
def test_decode_args_case(tok: ChatGLMTokenizer, case: dict[str, Any]) -> None:
    ids = case["ids"]
    assert tok.convert_ids_to_tokens(ids) == case["pieces"]
    assert tok.decode(ids) == case["default"]
    assert tok.decode(ids, skip_special_tokens=True) == case["skip_special_tokens_true"]
    assert tok.decode(ids, clean_up_tokenization_spaces=False) == case["clean_up_false"]
    assert (
        tok.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        == case["skip_true_clean_up_false"]
    )
    assert tok.batch_decode([ids, ids]) == [case["batch_decode_default"]] * 2


def test_decode_args_misc(tok: ChatGLMTokenizer) -> None:
    args = _golden("decode_args")
    if args is None:
        pytest.skip(MISSING)
    expected = args["convert_ids_to_tokens_skip_special"]
    specials = tok.convert_tokens_to_ids(list(REGISTERED_SPECIALS))
    # Interleave the registered specials with the expected tokens: skipping must remove exactly them.
    ids: list[int] = []
    for i, token in enumerate(expected):
        ids += [specials[i % len(specials)], tok.convert_tokens_to_ids(token)]
    assert tok.convert_ids_to_tokens(ids, skip_special_tokens=True) == expected
    assert len(tok.convert_ids_to_tokens(ids)) == len(ids)
    for index, text in args["decode_int_single"].items():
        assert tok.decode(int(index)) == text
    assert tok.clean_up_tokenization_spaces is args["clean_up_tokenization_spaces_attr"]


@pytest.mark.parametrize(
    "case",
    _params(PROCESS_GOLDENS, [f"process-{i:02d}" for i in range(len(PROCESS_GOLDENS or []))]),
)
def test_process_response(case: dict[str, str]) -> None:
    assert process_response(case["in"]) == case["out"]


# ------------------------------------------------------------------------------------- model folders
@pytest.fixture(params=_params(MODEL_DIRS, MODEL_DIR_IDS, f"no folder with expected.json under {FIXTURES}"))
def model_case(request: pytest.FixtureRequest) -> tuple[ChatGLMTokenizer, dict[str, Any]]:
    folder: Path = request.param
    return ChatGLMTokenizer.from_pretrained(folder), json.loads((folder / "expected.json").read_text("utf-8"))


def test_model_prompts(model_case: tuple[ChatGLMTokenizer, dict[str, Any]]) -> None:
    tokenizer, expected = model_case
    assert expected["prompts"], "expected.json has no prompts"
    for name, prompt in expected["prompts"].items():
        assert tokenizer(prompt["text"])["input_ids"] == prompt["input_ids"], name
        single = tokenizer([prompt["text"]], return_tensors="pt")
        if "tokenizer_output_keys" in prompt:
            assert list(single.keys()) == prompt["tokenizer_output_keys"], name
        assert _plain(single["input_ids"]) == [prompt["input_ids"]], name
        greedy = prompt.get("greedy")
        if greedy and "new_text" in greedy:
            assert tokenizer.decode(greedy["new_ids"]) == greedy["new_text"], name
            assert greedy["output_ids"][: len(prompt["input_ids"])] == prompt["input_ids"], name


def test_model_batch(model_case: tuple[ChatGLMTokenizer, dict[str, Any]]) -> None:
    tokenizer, expected = model_case
    batch = expected.get("batch")
    if batch is None:
        pytest.skip("no batch section")
    texts = [expected["prompts"][name]["text"] for name in batch["prompt_names"]]
    out = tokenizer(texts, padding=True, return_tensors="pt")
    assert _plain(out["input_ids"]) == batch["input_ids"]
    assert _plain(out["position_ids"]) == batch["position_ids"]
    assert _plain(out["attention_mask"]) == [[m] for m in batch["attention_mask_true_is_masked"]]
    greedy = batch.get("greedy")
    if greedy and "new_texts" in greedy:
        width = len(batch["input_ids"][0])
        decoded = tokenizer.batch_decode([row[width:] for row in greedy["output_ids"]])
        assert decoded == greedy["new_texts"]


def test_model_chat_text(model_case: tuple[ChatGLMTokenizer, dict[str, Any]]) -> None:
    tokenizer, expected = model_case
    chats = expected.get("chat")
    if not chats:
        pytest.skip("no chat section")
    for i, chat in enumerate(chats):
        assert tokenizer(chat["prompt"])["input_ids"] == chat["prompt_ids"], i
        decoded = tokenizer.decode(chat["generated_ids"])
        assert decoded == chat["decoded_before_process_response"], i
        assert process_response(decoded) == chat["response"], i
        assert "<eop>" not in chat["response"]


def test_model_generation_texts(model_case: tuple[ChatGLMTokenizer, dict[str, Any]]) -> None:
    tokenizer, expected = model_case
    runs = (expected.get("generation_length_args") or {}).get("runs")
    if not runs:
        pytest.skip("no generation_length_args section")
    for run in runs:
        assert tokenizer.decode(run["new_ids"]) == run["new_text"], run.get("label")


def test_model_stream_chat_prefix_decodes(model_case: tuple[ChatGLMTokenizer, dict[str, Any]]) -> None:
    """Each recorded stream yield is process_response(decode(first k generated ids)) of the matching chat()."""
    tokenizer, expected = model_case
    streams, chats = expected.get("stream_chat"), expected.get("chat") or []
    if not streams:
        pytest.skip("no stream_chat section")
    matched = 0
    for stream in streams:
        chat = next(
            (
                c
                for c in chats
                if (c["query"], c["history"], c["max_length"])
                == (stream["query"], stream["history"], stream["max_length"])
            ),
            None,
        )
        if chat is None:
            continue
        matched += 1
        ids = chat["generated_ids"]
        want = [process_response(tokenizer.decode(ids[:k])) for k in range(1, len(ids))]
        assert stream["yielded_responses"] == want
    if not matched:
        pytest.skip("no stream_chat entry has a matching chat entry")


# ------------------------------------------------------------------------------ loading and options
def test_save_pretrained_round_trip(tok: ChatGLMTokenizer, tmp_path: Path) -> None:
    paths = tok.save_pretrained(tmp_path / "saved")
    assert sorted(Path(p).name for p in paths) == ["ice_text.model", "tokenizer_config.json"]
    assert (tmp_path / "saved/ice_text.model").read_bytes() == (TOKENIZER_DIR / "ice_text.model").read_bytes()
    config = json.loads((tmp_path / "saved/tokenizer_config.json").read_text("utf-8"))
    assert config["tokenizer_class"] == "ChatGLMTokenizer" and config["num_image_tokens"] == 0
    reloaded = ChatGLMTokenizer.from_pretrained(tmp_path / "saved")
    for _, _, case in TEXT_CASES:
        assert reloaded(case["text"])["input_ids"] == case["ids"]


def _folder_with_config(
    tmp_path: Path, tokenizer_config: dict[str, Any], model_config: dict[str, Any] | None
) -> Path:
    folder = tmp_path / "tok"
    folder.mkdir()
    (folder / "ice_text.model").write_bytes((TOKENIZER_DIR / "ice_text.model").read_bytes())
    (folder / "tokenizer_config.json").write_text(json.dumps(tokenizer_config), "utf-8")
    if model_config is not None:
        (folder / "config.json").write_text(json.dumps(model_config), "utf-8")
    return folder


@pytest.mark.parametrize("source", ["tokenizer_config", "config"])
def test_num_image_tokens_offset(tok: ChatGLMTokenizer, tmp_path: Path, source: str) -> None:
    if not TEXT_CASES:
        pytest.skip(MISSING)
    base = json.loads((TOKENIZER_DIR / "tokenizer_config.json").read_text("utf-8"))
    base.pop("num_image_tokens", None)
    offset = 20
    if source == "tokenizer_config":
        folder = _folder_with_config(tmp_path, {**base, "num_image_tokens": offset}, None)
    else:
        folder = _folder_with_config(tmp_path, base, {"num_image_tokens": offset})
    shifted = ChatGLMTokenizer.from_pretrained(folder)
    assert shifted.vocab_size == tok.vocab_size + offset
    assert shifted.gmask_token_id == tok.gmask_token_id + offset
    assert shifted.convert_ids_to_tokens(3) == "<image_3>"
    assert shifted.convert_tokens_to_ids("<image_3>") == 3
    for _, _, case in TEXT_CASES:
        ids = [i + offset for i in case["ids"]]
        assert shifted(case["text"])["input_ids"] == ids
        assert shifted.decode(ids) == case["decoded"]


def test_conflicting_num_image_tokens(tmp_path: Path) -> None:
    if not TOKENIZER_DIR.is_dir():
        pytest.skip(MISSING)
    folder = _folder_with_config(tmp_path, {"num_image_tokens": 0}, {"num_image_tokens": 20000})
    with pytest.raises(ConfigError, match="num_image_tokens"):
        ChatGLMTokenizer.from_pretrained(folder)


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError):
        ChatGLMTokenizer.from_pretrained(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="ice_text.model"):
        ChatGLMTokenizer.from_pretrained(tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken/ice_text.model").write_bytes(b"not a model")
    with pytest.raises(ModelLoadError):
        ChatGLMTokenizer.from_pretrained(tmp_path / "broken")


def test_model_without_chatglm_pieces_is_rejected(tmp_path: Path) -> None:
    import io

    import sentencepiece as spm

    writer = io.BytesIO()
    with open(os.devnull, "w") as quiet:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["plain text only", "another line"] * 5),
            model_writer=writer,
            vocab_size=30,
            hard_vocab_limit=False,
            logstream=quiet,
        )
    with pytest.raises(ModelLoadError, match="<n>"):
        ChatGLMTokenizer(model_proto=writer.getvalue())


def test_invalid_arguments(tok: ChatGLMTokenizer) -> None:
    with pytest.raises(InputError):
        tok(123)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        tok("a", padding="sideways")
    with pytest.raises(ValueError):
        tok("a", return_tensors="tf")


def test_batch_encoding_helpers(tok: ChatGLMTokenizer) -> None:
    out = tok(["你好"], return_tensors="pt")
    assert isinstance(out, BatchEncoding) and out.input_ids is out["input_ids"]
    moved = out.to("cpu")
    assert isinstance(moved, BatchEncoding) and torch.equal(moved["input_ids"], out["input_ids"])
    arrays = tok(["你好", "Hello world"], padding=True, return_tensors="np")
    assert arrays["input_ids"].dtype == np.int64 and arrays["attention_mask"].shape[1] == 1


def test_out_of_range_ids_decode_as_unknown(tok: ChatGLMTokenizer) -> None:
    """Model vocab rows beyond the tokenizer (1500..1535 in the fixtures) must not crash a stream."""
    unk = tok.decode([tok.unk_token_id])
    assert tok.decode([tok.vocab_size + 3]) == unk
    assert tok.convert_ids_to_tokens(tok.vocab_size) == tok.unk_token


# ------------------------------------------------------------------------------------------- builder
MEDICAL_TEXTS = [
    "病人：我最近总是头痛，怎么办？",
    "医生：请问头痛持续多久了？",
    "病人：大概三天了，晚上睡不好。",
    "医生：有没有发烧、恶心或者头晕？",
    "病人：没有发烧，但是有点恶心。",
    "医生：建议您多休息，多喝水。",
    "高血压患者应该减少盐的摄入。",
    "糖尿病患者需要控制饮食，定期监测血糖。",
    "感冒发烧时可以服用退烧药。",
    "咳嗽超过两周应该去医院检查。",
    "孩子腹泻要注意补充水分。",
    "孕妇用药需要遵医嘱。",
    "中医认为，气血不足会导致面色苍白。",
    "失眠可能与焦虑和压力有关。",
    "胃痛的时候不要吃辛辣的食物。",
    "血压 140/90 mmHg 属于高血压。",
    "每天运动三十分钟有益健康。",
    "过敏性鼻炎常在春季发作。",
    "请问您的症状是从什么时候开始的？",
    "您有没有药物过敏史？",
    "最近饮食和睡眠怎么样？",
    "如果胸痛加重，请立即就医。",
    "建议做一个血常规检查。",
    "这个药每天吃两次，饭后服用。",
    "Patient: I have had a headache for three days.",
    "Doctor: Do you have a fever or nausea?",
    "High blood pressure needs less salt and more exercise.",
    "Take the medicine twice a day after meals.",
    "Drink plenty of water and get enough rest.",
    "Diabetes requires regular blood sugar checks.",
    "A persistent cough should be checked by a doctor.",
    "Chest pain can be a sign of heart disease.",
    "Children with diarrhea need extra fluids.",
    "Allergies often get worse in spring.",
    "Please describe your symptoms in detail.",
    "When did the pain start?",
    "Are you allergic to any drugs?",
    "Sleep problems may be caused by stress.",
    "Avoid spicy food when your stomach hurts.",
    "Pregnant women should ask a doctor before taking medicine.",
    "病人：我的孩子咳嗽，有痰。\n医生：多大了？",
    "医生：\n1. 多喝水\n2. 注意休息",
    "剂量：\t每次 1 片\t每日 3 次",
    "体温 38.5 度，需要物理降温。",
    "BMI 超过 28 属于肥胖。",
    "心率  每分钟  80  次。",
    "血糖偏高，建议复查。",
    "头晕、乏力、食欲不振。",
    "医生：您好，请问有什么可以帮您？",
    "病人：谢谢医生！",
]
ROUND_TRIP_TEXTS = [
    "病人：头痛三天了\n医生：发烧吗？",
    "line one\nline two\n\nline four\n",
    "剂量：\t1 片\t\t每日 3 次",
    "two  spaces, three   spaces, eighty" + " " * 80 + "x",
    "eighty-one" + " " * 81 + "y and " + " " * 161 + "z",
    "emoji 🩺😀 and 👋 bytes ŧ ß Ωμέγα",
    "  leading and trailing spaces  ",
    "\n\t mixed \t\n",
    "unseen 字符 龘 and symbols ∑∫",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, float]:
    result = build_chatglm_tokenizer(MEDICAL_TEXTS, tmp_path_factory.mktemp("built"))
    return result, 0.0


def test_builder_layout(built: tuple[Any, float]) -> None:
    result, _ = built
    learned = result.learned_pieces
    # As many pieces as the corpus gives, and no more: never a vocabulary padded to a target size.
    assert 50 < learned <= sum(len(t) for t in MEDICAL_TEXTS)
    tokenizer = result.load()
    # The layout of the real ChatGLM-6B, with 130000 (the first special id) replaced by learned + 6.
    assert tokenizer.vocab_size == result.vocab_size == learned + 350 == layout_size(learned)
    assert tokenizer.mask_token_id == learned + 6
    assert tokenizer.gmask_token_id == learned + 7
    assert tokenizer.bos_token_id == learned + 10
    assert tokenizer.eos_token_id == learned + 11
    assert tokenizer.pad_token_id == 3 and tokenizer.unk_token_id == 0
    assert tokenizer.convert_tokens_to_ids(["<n>", "\u2581", "<|tab|>"]) == [4, 5, learned + 14]
    assert tokenizer.convert_tokens_to_ids("<|blank_2|>") == learned + 15
    assert tokenizer.convert_tokens_to_ids("<|blank_80|>") == learned + 93
    assert tokenizer.convert_tokens_to_ids("<0x00>") == learned + 94
    assert tokenizer.convert_tokens_to_ids("<0xFF>") == learned + 349
    proto = sp_pb2.ModelProto()
    proto.ParseFromString((result.folder / "ice_text.model").read_bytes())
    types = [p.type for p in proto.pieces]
    assert types[:6] == [
        PIECE.UNKNOWN,
        PIECE.CONTROL,
        PIECE.CONTROL,
        PIECE.CONTROL,
        PIECE.USER_DEFINED,
        PIECE.NORMAL,
    ]
    assert set(types[6 : learned + 6]) == {PIECE.NORMAL}
    assert types[learned + 6 : learned + 14] == [PIECE.CONTROL] * 8
    assert types[learned + 14 : learned + 94] == [PIECE.USER_DEFINED] * 80
    assert types[learned + 94 :] == [PIECE.BYTE] * 256
    assert proto.normalizer_spec.name == "identity" and proto.normalizer_spec.add_dummy_prefix
    assert not proto.normalizer_spec.remove_extra_whitespaces and proto.trainer_spec.byte_fallback
    config = json.loads((result.folder / "tokenizer_config.json").read_text("utf-8"))
    assert config["tokenizer_class"] == "ChatGLMTokenizer" and config["bos_token"] == "<sop>"


def test_chatglm_layout_matches_fixture_model(tok: ChatGLMTokenizer) -> None:
    """The builder's layout function against the reference model's real layout."""
    learned = tok.mask_token_id - 6
    assert layout_size(learned) == tok.vocab_size
    for name, index in chatglm_layout(learned).items():
        assert tok.convert_tokens_to_ids(name) == index, name


@pytest.mark.parametrize("text", ROUND_TRIP_TEXTS)
def test_builder_round_trip(built: tuple[Any, float], text: str) -> None:
    tokenizer = built[0].load()
    ids = tokenizer.encode(text, add_special_tokens=False)
    assert tokenizer.decode(ids, clean_up_tokenization_spaces=False) == text
    assert tokenizer.decode(tokenizer.encode(text), clean_up_tokenization_spaces=False) == text
    pieces = tokenizer.convert_ids_to_tokens(ids)
    if "\n" in text:
        assert "<n>" in pieces
    if "\t" in text:
        assert "<|tab|>" in pieces
    if " " * 80 in text:
        assert "<|blank_80|>" in pieces
    if "🩺" in text:
        assert "<0xF0>" in pieces  # byte fallback: no emoji piece was learned from medical text


def test_builder_special_tokens_and_padding(built: tuple[Any, float]) -> None:
    tokenizer = built[0].load()
    ids = tokenizer.encode("头痛 <sop> 发烧", add_special_tokens=False)
    assert ids.count(tokenizer.bos_token_id) == 1
    batch = tokenizer.build_inputs_for_batch(["头痛", "病人：我最近总是头痛，怎么办？"])
    width = batch["input_ids"].shape[1]
    assert batch["position_ids"].shape == (2, 2, width) and batch["attention_mask"].shape == (
        2,
        1,
        width,
        width,
    )
    assert batch["input_ids"][0, 0] == tokenizer.pad_token_id


def test_builder_fixed_count_and_determinism(built: tuple[Any, float], tmp_path: Path) -> None:
    available = built[0].learned_pieces
    chosen = available // 2
    first = build_chatglm_tokenizer(MEDICAL_TEXTS, tmp_path / "a", learned_pieces=chosen)
    second = build_chatglm_tokenizer(MEDICAL_TEXTS, tmp_path / "b", learned_pieces=chosen)
    assert second.learned_pieces == chosen
    assert first.learned_pieces == chosen and first.vocab_size == chosen + 350
    assert first.load().gmask_token_id == chosen + 7
    assert (tmp_path / "a/ice_text.model").read_bytes() == (tmp_path / "b/ice_text.model").read_bytes()
    with pytest.raises(InputError, match="learned pieces"):
        build_chatglm_tokenizer(MEDICAL_TEXTS, tmp_path / "c", learned_pieces=available + 1000)
    with pytest.raises(InputError):
        build_chatglm_tokenizer(["", "   "], tmp_path / "d")
