"""Artefacts a feed-forward net paints that the perceptual losses barely see and eyes do.

* :func:`grid_pattern` — a pattern locked to the net's stride grid (pixel-shuffle layers give
  every phase of the grid its own weights);
* :func:`border_frame` — a frame along the image's edges (a net trained on crops learns to
  paint their borders differently: brighter, busier strokes).

Both take one image (1, 3, H, W) in [0, 1] and return plain floats; measure the photo itself
too: it is the floor (natural images are neither grid-locked nor framed).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from brushwork.nn.color import rgb_to_yiq


def grid_pattern(img: Tensor, period: int) -> float:
    """The spread (max - min) of ``img``'s mean over each of the period² pixel phases
    (y mod period, x mod period), largest over the colours: 0 for anything not locked to the
    grid; a photo measures ~0.002-0.007 (its content, cut to whole periods)."""
    h, w = img.shape[-2] // period * period, img.shape[-1] // period * period
    if h == 0 or w == 0:
        raise ValueError(f"an image of {tuple(img.shape[-2:])} px has no whole {period}-px period")
    x = img[0, :, :h, :w].float().reshape(3, h // period, period, w // period, period)
    phases = x.mean(dim=(1, 3))  # (3, period, period)
    return float((phases.amax(dim=(1, 2)) - phases.amin(dim=(1, 2))).max())


def border_frame(img: Tensor, width: int = 16) -> dict[str, float]:
    """How the outer ``width`` px differ from the ``2 * width`` px just inside them, on the
    luminance Y, averaged over the four sides: ``shift``, the mean absolute difference of the
    strips' mean levels (0-1 scale; a brighter or darker frame), and ``detail``, the ratio of
    their mean local contrast (|Y - its 5x5 mean|; > 1: busier strokes along the edge).
    Needs sides of at least ``3 * width`` px."""
    if min(img.shape[-2:]) < 3 * width:
        raise ValueError(f"border statistics need sides >= {3 * width} px, got {img.shape[-2:]}")
    y = rgb_to_yiq(img.float())[:, :1]
    contrast = (y - F.avg_pool2d(F.pad(y, (2, 2, 2, 2), mode="replicate"), 5, 1)).abs()
    y, contrast = y[0, 0], contrast[0, 0]
    shifts, ratios = [], []
    for turn in range(4):  # each side in turn becomes the top one
        level, busy = torch.rot90(y, turn), torch.rot90(contrast, turn)
        strip, inside = slice(0, width), slice(width, 3 * width)
        shifts.append(float((level[strip].mean() - level[inside].mean()).abs()))
        ratios.append(float(busy[strip].mean() / busy[inside].mean().clamp_min(1e-6)))
    return {"shift": sum(shifts) / 4, "detail": sum(ratios) / 4}
