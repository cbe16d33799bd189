"""The trainer's optimisation recipe: the learning-rate schedule and the weight average.

A constant Adam rate leaves the net hopping around a minimum it never settles into; a short
linear warm-up and a decay to ~0 let the last steps settle, and an exponential moving average of the weights (Polyak
averaging) smooths what noise the steps leave. Which recipe won is in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

from brushwork.errors import BrushworkError, check_choice

LR_SCHEDULES = ("none", "cosine", "linear")


def recipe(optim: dict[str, Any] | None) -> dict[str, Any]:
    """``optim`` (``{"lr", "schedule", "warmup", "ema"}``, any subset) with defaults filled in:
    Adam at a constant 1e-3, no warm-up, no average. BrushworkError for values out of range."""
    o = {"lr": 1e-3, "schedule": "none", "warmup": 0.0, "ema": 0.0} | (optim or {})
    check_choice("optim.schedule", o["schedule"], LR_SCHEDULES)
    if o["lr"] <= 0 or not 0 <= o["warmup"] < 1 or not 0 <= o["ema"] < 1:
        raise BrushworkError(
            "need optim.lr > 0, 0 <= optim.warmup < 1 and 0 <= optim.ema < 1, got "
            f"{o['lr']}, {o['warmup']}, {o['ema']}"
        )
    return o


def optimizers(params: list, o: dict[str, Any], total: float, fused: bool = False) -> Any:
    """Lightning's ``configure_optimizers`` answer for recipe ``o`` over ``total`` steps: Adam at
    ``o["lr"]``, with a per-step LambdaLR when there is a schedule or a warm-up."""
    optimizer = torch.optim.Adam(params, lr=o["lr"], fused=fused)
    if o["schedule"] == "none" and o["warmup"] == 0:
        return optimizer
    if not math.isfinite(total) or total <= 0:
        raise BrushworkError("optim.schedule and optim.warmup need trainer.max_steps")
    warmup = round(o["warmup"] * total)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, int(total), warmup, o["schedule"])
    )
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


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
