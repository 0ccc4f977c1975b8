"""Native ChatGLM-6B (v1), a one-way chain of modules (each imports only those before it):

``configuration`` -> ``tokenization`` / ``process_response`` -> ``machine_choice`` (choices timed once per
machine, saved in the cache directory) -> ``cpu_gemm`` (which CPU matmul is fastest here) -> ``modeling`` (the network only) ->
``quantization`` -> ``native_step`` (whole decode steps in C for quantized fp32 models) -> ``loading`` /
``generation`` (functions that take a model) -> ``compat`` (the
transformers-style class with ``chat``, ``from_pretrained``, ``quantize``). ``remote_code`` is the opt-in
path through the checkpoint's own code; ``tokenizer_builder`` builds tokenizers for tests and demos.

Importing this package never imports transformers or cpm_kernels, nor touches CUDA.
"""

from __future__ import annotations

from workbench.chatglm.compat import ChatGLMForConditionalGeneration, load_chatglm
from workbench.chatglm.configuration import ChatGLMConfig
from workbench.chatglm.generation import build_chat_prompt
from workbench.chatglm.modeling import ChatGLM, ChatGLMCache, ChatGLMOutput
from workbench.chatglm.process_response import process_response
from workbench.chatglm.tokenization import ChatGLMTokenizer
from workbench.checkpoints import weights_fingerprint

__all__ = [
    "ChatGLM",
    "ChatGLMCache",
    "ChatGLMConfig",
    "ChatGLMForConditionalGeneration",
    "ChatGLMOutput",
    "ChatGLMTokenizer",
    "build_chat_prompt",
    "load_chatglm",
    "process_response",
    "weights_fingerprint",
]
