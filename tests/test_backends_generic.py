"""The generic backends: any HF causal LM with a chat template, and any OpenAI-compatible server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workbench.config import HFCausalColumn, OpenAIColumn
from workbench.dialogue import Dialogue
from workbench.errors import GenerationError, ModelLoadError
from workbench.models.base import Trace
from workbench.models.registry import ModelPool, build_backend

DIALOGUE = Dialogue.of([("patient", "我头疼"), ("doctor", "多久了？"), ("patient", "三天")])
TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    """A random tiny Llama with a word-level tokenizer trained here and a chat template."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-llama")
    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    corpus = ["我头疼多久了三天请多喝水休息", "<|user|><|assistant|><|system|>", "abcdefghijklmnopqrstuvwxyz"]
    tok.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=["<unk>", "<s>", "</s>", "<pad>"]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
                                   pad_token="<pad>")
    fast.chat_template = TEMPLATE
    fast.save_pretrained(folder)
    cfg = LlamaConfig(vocab_size=fast.vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
                      bos_token_id=1, eos_token_id=2, pad_token_id=3)
    LlamaForCausalLM(cfg).save_pretrained(folder)
    return folder


def test_hf_causal_renders_the_chat_template_and_streams(tiny_llama, tmp_path):
    col = HFCausalColumn(name="Llama", backend="hf-causal", model={"path": str(tiny_llama), "device": "cpu"},
                         generation={"max_new_tokens": 8, "max_input_tokens": 400}, system_prompt="你是医生")
    b = build_backend(col, ModelPool(tmp_path), {})
    plan = b.plan(DIALOGUE)
    assert plan.input == "<|system|>你是医生\n<|user|>我头疼\n<|assistant|>多久了？\n<|user|>三天\n<|assistant|>"
    trace = Trace()
    chunks = list(b.stream(DIALOGUE, trace, seed=3))
    assert trace.input_text == plan.input and trace.prompt_tokens > 5
    assert 1 <= trace.output_tokens <= 8 and len(chunks) == trace.output_tokens
    assert b.generate(DIALOGUE, seed=3)[0] == chunks[-1]


def test_hf_causal_drops_oldest_turns_to_fit(tiny_llama, tmp_path):
    long = Dialogue.of([("patient", "头疼" * 30), ("doctor", "多久了"), ("patient", "三天")])
    col = HFCausalColumn(name="Llama", backend="hf-causal", model={"path": str(tiny_llama), "device": "cpu"},
                         generation={"max_new_tokens": 4, "max_input_tokens": 30})
    plan = build_backend(col, ModelPool(tmp_path), {}).plan(long)
    assert plan.input.endswith("<|user|>三天\n<|assistant|>") and "头疼" not in plan.input
    assert "dropped" in plan.reason


class _FakeOpenAI(BaseHTTPRequestHandler):
    """A minimal OpenAI-compatible SSE server: the real HTTP path, a scripted model."""

    seen: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"body": body, "auth": self.headers.get("Authorization")})
        if body["model"] == "broken":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b'{"error": "boom"}')
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in ["请问", "头疼", "多久了？"]:
            chunk = {"choices": [{"delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
        usage = {"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3}}
        self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def openai_server():
    _FakeOpenAI.seen = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()


def test_openai_compatible_streams_with_key_from_env(openai_server, monkeypatch, tmp_path):
    monkeypatch.setenv("TEST_OPENAI_KEY", "sk-secret-123")
    col = OpenAIColumn(name="GPT", backend="openai-compatible", base_url=openai_server, model_name="m1",
                       api_key_env="TEST_OPENAI_KEY", seed=9)
    b = build_backend(col, ModelPool(tmp_path), {})
    trace = Trace()
    chunks = list(b.stream(DIALOGUE, trace, seed=9))
    assert chunks == ["请问", "请问头疼", "请问头疼多久了？"]
    assert (trace.prompt_tokens, trace.output_tokens) == (12, 3)
    req = _FakeOpenAI.seen[0]
    assert req["auth"] == "Bearer sk-secret-123" and req["body"]["seed"] == 9
    assert [m["role"] for m in req["body"]["messages"]] == ["user", "assistant", "user"]
    assert "sk-secret" not in json.dumps(trace.__dict__, default=str)  # the key is never recorded


def test_openai_errors_are_errors(openai_server, monkeypatch, tmp_path):
    col = OpenAIColumn(name="GPT", backend="openai-compatible", base_url=openai_server, model_name="broken",
                       max_retries=0)
    with pytest.raises(GenerationError, match="500"):
        list(build_backend(col, ModelPool(tmp_path), {}).stream(DIALOGUE, Trace(), seed=None))
    monkeypatch.delenv("MISSING_KEY_VAR", raising=False)
    col = OpenAIColumn(name="GPT", backend="openai-compatible", base_url=openai_server, model_name="m",
                       api_key_env="MISSING_KEY_VAR")
    with pytest.raises(ModelLoadError, match="MISSING_KEY_VAR"):
        list(build_backend(col, ModelPool(tmp_path), {}).stream(DIALOGUE, Trace(), seed=None))
    dead = OpenAIColumn(name="GPT", backend="openai-compatible", base_url="http://127.0.0.1:9/v1", model_name="m")
    with pytest.raises(GenerationError, match="cannot reach"):
        list(build_backend(dead, ModelPool(tmp_path), {}).stream(DIALOGUE, Trace(), seed=None))
