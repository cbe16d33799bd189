"""The trainer's optimisation recipe: the learning-rate schedule and the weight average.

A constant Adam rate leaves the net hopping around a minimum it never settles into (the validation
loss of the former CPU preset went flat after a third of its steps); a short linear warm-up and a
decay to ~0 let the last steps settle, and an exponential moving average of the weights (Polyak
averaging) smooths what noise the steps leave. Which recipe won is in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

LR_SCHEDULES = ("none", "cosine", "linear")


def lr_factor(step: int, total: int, warmup: int, schedule: str) -> float:
    """The multiplier of the peak learning rate at optimizer step ``step`` (0-based) of ``total``.

    Linear warm-up from 1/``warmup`` to 1 over the first ``warmup`` steps, then ``schedule``:
    ``none`` stays at 1, ``cosine`` and ``linear`` fall to 0 at step ``total`` (so the last step,
    ``total - 1``, still moves a little).
    """
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    if schedule == "none":
        return 1.0
    t = min(max((step - warmup) / max(total - warmup, 1), 0.0), 1.0)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * t))
    return 1.0 - t  # linear


class WeightAverage(nn.Module):
    """An exponential moving average of a net's weights: ``net`` (a frozen copy) follows
    ``avg ← d·avg + (1 − d)·weights`` after every optimizer step.

    The decay ramps up as ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so the average
    does not remember the random initial weights in a short run. Buffers are copied, not averaged.
    """

    def __init__(self, net: nn.Module, decay: float) -> None:
        super().__init__()
        if not 0.0 < decay < 1.0:
            raise ValueError(f"the average's decay must lie in (0, 1), got {decay}")
        self.decay = decay
        self.net = copy.deepcopy(net).requires_grad_(False)
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def reset(self, net: nn.Module) -> None:
        """Start over from ``net``'s current weights (a warm start loaded after construction)."""
        self.net.load_state_dict(net.state_dict())
        self.updates.zero_()

    @torch.no_grad()
    def update(self, net: nn.Module) -> None:
        n = int(self.updates)
        d = min(self.decay, (1 + n) / (10 + n))
        for avg, p in zip(self.net.parameters(), net.parameters(), strict=True):
            avg.lerp_(p.detach().to(avg.dtype), 1.0 - d)
        for avg, b in zip(self.net.buffers(), net.buffers(), strict=True):
            avg.copy_(b)
        self.updates += 1
