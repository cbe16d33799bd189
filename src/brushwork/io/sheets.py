"""Contact sheets: rows of images of different shapes laid out as one image (reports, W&B grids)."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor
from torchvision.utils import make_grid


def contact_sheet(rows: Sequence[Sequence[Tensor]], height: int) -> Tensor:
    """Rows of (1, 3, H, W) images → one (3, H', W') grid in [0,1], white 2-px gutters.

    Every cell is scaled to ``height`` px (aspect kept) and padded white on the right to the
    widest cell, so H' = rows·(height + 2) + 2 and W' = cols·(widest + 2) + 2.
    """
    cols = len(rows[0]) if rows else 0
    if not cols or any(len(r) != cols for r in rows):
        raise ValueError("contact sheet rows must all have the same number of images")
    cells = []
    for t in (t.detach().float().cpu() for r in rows for t in r):
        w = max(1, round(t.shape[-1] * height / t.shape[-2]))
        if t.shape[-2:] != (height, w):
            t = F.interpolate(t, (height, w), mode="bicubic", antialias=True).clamp(0, 1)
        cells.append(t)
    widest = max(t.shape[-1] for t in cells)
    padded = [F.pad(t, (0, widest - t.shape[-1]), value=1.0)[0] for t in cells]
    return make_grid(padded, nrow=cols, padding=2, pad_value=1.0)
