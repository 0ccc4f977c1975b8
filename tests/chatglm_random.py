"""Randomly initialised ChatGLM models for the quantization and CPU-kernel tests.

PyTorch's default init gives near-zero activations in a small ChatGLM, so greedy outputs would all be the
same token; these scales keep the logits spread, as a trained model's are.
"""

from __future__ import annotations

import torch

from workbench.chatglm import ChatGLMConfig, ChatGLMForConditionalGeneration


def random_chatglm(config: ChatGLMConfig, seed: int = 0) -> ChatGLMForConditionalGeneration:
    """A model in eval mode whose weights depend only on ``config`` and ``seed``."""
    torch.manual_seed(seed)
    model = ChatGLMForConditionalGeneration(config)
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layernorm" in name:
                p.normal_(1.0 if name.endswith("weight") else 0.0, 0.1, generator=gen)
            elif p.dim() == 2:
                p.normal_(0, 1.0 if "word_embeddings" in name else p.shape[1] ** -0.5, generator=gen)
            else:
                p.normal_(0, 0.05, generator=gen)
    return model.eval()


def hold_table_in_bf16(model: ChatGLMForConditionalGeneration) -> ChatGLMForConditionalGeneration:
    """The tied embedding / lm_head table in bf16 under a float32 model, as loading holds a quantized model's
    float table on CPU under "auto" (``loading.float_table_dtype``)."""
    embeddings = model.transformer.word_embeddings
    embeddings.weight = torch.nn.Parameter(embeddings.weight.detach().to(torch.bfloat16), requires_grad=False)
    model.tie_weights()
    return model
