"""The guided filter (He et al. 2010): edge-aware upsampling for large strokes (brushwork.infer.strokes).
The net stylizes a copy downscaled by S; the local linear model ``out ≈ A · I + B``, fitted at low
resolution, brings the result to full size with the photo's edges sharp.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from brushwork.nn.color import rgb_to_yiq
from brushwork.nn.layers import BoxFilter


def luminance(x: Tensor) -> Tensor:
    """(B, 3, H, W) RGB → (B, 1, H, W) luminance (YIQ's Y; nn.color's grey image, one channel)."""
    return rgb_to_yiq(x)[:, :1]


def local_gain(guide: Tensor, src: Tensor, radius: int, eps: float) -> Tensor:
    """The guided filter's A (like ``src``, (B, C, H, W)), box-averaged: the local slope of
    ``src ≈ A · guide + B`` over (2r+1)² windows, ``guide`` (B, 1, H, W); ``eps`` keeps A small
    in flat areas. (B is not needed here: the strokes come from ``src`` itself.)"""
    box = BoxFilter(2 * radius + 1)  # odd size: centred, edges replicated
    mean_i, mean_p = box(guide), box(src)
    var_i = box(guide * guide) - mean_i * mean_i
    cov_ip = box(guide * src) - mean_i * mean_p
    return box(cov_ip / (var_i + eps))


def guided_upsample(
    guide_small: Tensor, src_small: Tensor, guide: Tensor, radius: int = 2, eps: float = 1e-3
) -> Tensor:
    """``src_small`` (B, C, h, w) brought to the size of ``guide`` (B, 1, H, W), with the detail
    the guide has beyond ``guide_small`` (B, 1, h, w) added back at the local gain A of the
    guided filter's linear model ``src ≈ A · guide + B``.

    The fast guided upsampling ``A↑ · guide + B↑`` (He & Sun 2015) would also keep the edges,
    but B is box-filtered twice at low resolution: in flat areas (A ≈ 0) it blurs the strokes
    away. Here the strokes come from ``src_small`` itself (bicubic), and only the photo's
    missing high frequencies go through the linear model.
    """
    with torch.autocast(guide.device.type, enabled=False):
        a = local_gain(guide_small.float(), src_small.float(), radius, eps)
        size = guide.shape[-2:]

        def up(t: Tensor, mode: str) -> Tensor:
            return F.interpolate(t, size, mode=mode, align_corners=False)

        detail = guide.float() - up(guide_small.float(), "bicubic")  # (B, 1, H, W)
        return up(src_small.float(), "bicubic") + up(a, "bilinear") * detail
