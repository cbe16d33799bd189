"""Strokes at the scale the user wants: ``brushwork stylize --stroke-scale S``.

A network paints strokes of a fixed size in pixels (its receptive field; Johnson, neural-style
#36), so on a 4K photo they shrink into a texture. Stylizing a copy downscaled by S makes them S
times larger relative to the photo; :func:`brushwork.nn.guided.guided_upsample` then brings the
result to full size with the full-size photo as guide, so edges stay sharp. The net runs on
1/S² of the pixels. S = 1 is exactly the plain path (not even a copy).

``auto``: the S at which the strokes cover the same fraction of the image as they did of a
training crop: the image's long side over the crop side the net was trained on, never below 1.
"""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor

from brushwork.nn.guided import guided_upsample, luminance


def stylize_at_scale(run: Callable[[Tensor], Tensor], x: Tensor, scale: float) -> Tensor:
    """``run`` (B, 3, h, w) → stylized, applied at 1/``scale`` of ``x`` (B, 3, H, W) in [0, 1] and
    guided back to H × W. ``scale`` = 1 returns ``run(x)`` itself."""
    if scale == 1.0:
        return run(x)
    h, w = x.shape[-2:]
    size = (max(1, round(h / scale)), max(1, round(w / scale)))
    small = F.interpolate(x, size, mode="bicubic", antialias=True, align_corners=False).clamp(0, 1)
    out_small = run(small)
    guide_small, guide = luminance(small), luminance(x)
    return guided_upsample(guide_small, out_small, guide).clamp_(0, 1).to(x.dtype)
