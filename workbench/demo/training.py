"""The training loop both demo models share: length-bucketed batches, warm-up then cosine, one variant per epoch."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from workbench.demo.recipe import Progress


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    torch.manual_seed(seed)


def _token_batches(lengths: Sequence[int], batch_tokens: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches of about ``batch_tokens`` padded tokens, in a shuffled order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        if cur and (len(cur) + 1) * max(lengths[j] for j in (*cur, i)) > batch_tokens:
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    rng.shuffle(batches)
    return batches


def _schedule(step: int, total: int, warmup: int) -> float:
    """Linear warm-up, then cosine decay to 10%."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def train_loop(
    model: Any,
    groups: Sequence[Sequence[Any]],
    length: Callable[[Any], int],
    batch_loss: Callable[[list[Any]], Any],
    *,
    epochs: int,
    batch_tokens: int,
    lr: float,
    warmup: int,
    seed: int,
    label: str,
    say: Progress,
) -> float:
    """Train on ``groups`` (the variants of one example); each epoch uses one random variant per group.

    Sampling a variant per epoch shows the model every history variant over the run at the cost of one.
    """
    import torch

    rng = random.Random(seed)
    plan: list[list[list[Any]]] = []
    for _ in range(epochs):
        chosen = [g[rng.randrange(len(g))] for g in groups]
        plan.append(
            [[chosen[i] for i in b] for b in _token_batches([length(c) for c in chosen], batch_tokens, rng)]
        )
    total = sum(len(p) for p in plan)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _schedule(s, total, warmup))
    model.train()
    last, t0 = float("nan"), time.perf_counter()
    for epoch, batches in enumerate(plan):
        running = 0.0
        for batch in batches:
            loss = batch_loss(batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            running += loss.item()
        last = running / max(1, len(batches))
        if epoch == 0 or (epoch + 1) % 4 == 0 or epoch + 1 == epochs:
            say(f"demo {label}: epoch {epoch + 1}/{epochs} loss {last:.3f} ({time.perf_counter() - t0:.1f}s)")
    model.eval()
    return last
