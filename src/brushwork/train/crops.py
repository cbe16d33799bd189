"""Where a training crop comes from in a photo: torchvision's RandomResizedCrop boxes (random
area and aspect) for training, the centred square for validation. Boxes are PIL crop boxes."""

from __future__ import annotations

import math

import torch
from torch import Tensor

SCALE = (0.5, 1.0)  # crop area relative to the photo
RATIO = (3 / 4, 4 / 3)  # crop aspect ratio (w / h)
Box = tuple[float, float, float, float]  # PIL crop box: left, top, right, bottom


def random_box(width: int, height: int) -> Box:
    """A random crop box of area ``SCALE`` and aspect ``RATIO`` (torchvision's RandomResizedCrop).

    Draws from torch's global RNG, so DataLoader workers and ``seed_everything`` control it.
    """
    area = width * height
    log_ratio = (math.log(RATIO[0]), math.log(RATIO[1]))
    for _ in range(10):
        target = area * torch.empty(1).uniform_(*SCALE).item()
        aspect = math.exp(torch.empty(1).uniform_(*log_ratio).item())
        w = round(math.sqrt(target * aspect))
        h = round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            top = torch.randint(0, height - h + 1, (1,)).item()
            left = torch.randint(0, width - w + 1, (1,)).item()
            return (left, top, left + w, top + h)
    # Extreme aspect ratios: the largest centred crop whose ratio is within RATIO.
    w, h = width, height
    if width / height < RATIO[0]:
        h = round(width / RATIO[0])
    elif width / height > RATIO[1]:
        w = round(height * RATIO[1])
    left, top = (width - w) // 2, (height - h) // 2
    return (left, top, left + w, top + h)


def center_box(width: int, height: int) -> Box:
    """The centred square of side min(width, height): resize-shorter-side + center-crop."""
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    return (left, top, left + side, top + side)


def shifted_pair(x: Tensor, max_shift: int, noise: float, generator: torch.Generator | None = None):
    """A copy of ``x`` (B, 3, H, W) moved by a random whole-pixel shift of at most ``max_shift`` px
    per axis, plus Gaussian noise of std ``noise`` (clamped to [0, 1]); for the stability term.

    Returns ``(moved, (dy, dx))``: ``moved`` is ``x[..., dy:, dx:]`` (noised), so a stable net's
    output for it equals ``net(x)[..., dy:, dx:]``.
    """
    dy, dx = (int(v) for v in torch.randint(0, max_shift + 1, (2,), generator=generator))
    dy, dx = min(dy, x.shape[-2] - 1), min(dx, x.shape[-1] - 1)
    moved = x[..., dy:, dx:]
    if noise:
        eps = torch.randn(moved.shape, generator=generator).to(moved)
        moved = (moved + noise * eps).clamp(0, 1)
    return moved, (dy, dx)
