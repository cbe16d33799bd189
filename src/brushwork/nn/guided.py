"""The guided filter (He, Sun & Tang 2010), used to upsample a stylized image edge-aware.

Used to paint large strokes on a large photo (brushwork.infer.strokes): the net stylizes a copy
downscaled by S; the result is enlarged back to full size, and the photo's fine detail (what the
downscaled copy lost) is added through the guided filter's local linear model ``out ≈ A · I + B``,
A fitted at low resolution where the stylized image and the downscaled photo are both known.
The strokes grow by S; the photo's edges stay sharp.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from brushwork.nn.yiq import RGB_TO_YIQ


def luminance(x: Tensor) -> Tensor:
    """(B, 3, H, W) RGB → (B, 1, H, W) luminance (YIQ's Y)."""
    weights = torch.tensor(RGB_TO_YIQ[0], dtype=x.dtype, device=x.device)
    return (x * weights.view(1, 3, 1, 1)).sum(1, keepdim=True)


def box(x: Tensor, radius: int) -> Tensor:
    """Mean over the (2r+1)² window around each pixel, edges replicated: same shape as ``x``."""
    if radius == 0:
        return x
    k = 2 * radius + 1
    return F.avg_pool2d(F.pad(x, (radius,) * 4, mode="replicate"), k, stride=1)


def guided_coefficients(
    guide: Tensor, src: Tensor, radius: int, eps: float
) -> tuple[Tensor, Tensor]:
    """A and B (each like ``src``, (B, C, H, W)) such that box-averaged ``A · guide + B`` is the
    guided filter of ``src`` with ``guide`` (B, 1, H, W); ``eps`` keeps A small in flat areas."""
    mean_i, mean_p = box(guide, radius), box(src, radius)
    var_i = box(guide * guide, radius) - mean_i * mean_i
    cov_ip = box(guide * src, radius) - mean_i * mean_p
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box(a, radius), box(b, radius)


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
        a, _ = guided_coefficients(guide_small.float(), src_small.float(), radius, eps)
        size = guide.shape[-2:]

        def up(t: Tensor, mode: str) -> Tensor:
            return F.interpolate(t, size, mode=mode, align_corners=False)

        detail = guide.float() - up(guide_small.float(), "bicubic")  # (B, 1, H, W)
        return up(src_small.float(), "bicubic") + up(a, "bilinear") * detail
