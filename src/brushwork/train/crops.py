"""Where a training crop comes from in a photo: torchvision's RandomResizedCrop boxes (random
area and aspect) for training, the centred square for validation. Boxes are PIL crop boxes."""

from __future__ import annotations

import math

import torch

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
