"""The statistics the perceptual loss compares: Gram matrices of features (the style of Gatys et
al. 2015) and total variation (smoothness). Tensors in, fp32 tensors out."""

from __future__ import annotations

import torch
from torch import Tensor


def gram_matrix(features: Tensor) -> Tensor:
    """(B, C, H, W) → (B, C, C) Gram matrices F Fᵀ / (C·H·W), always in fp32 (fp16 overflows)."""
    b, c, h, w = features.shape
    with torch.autocast(features.device.type, enabled=False):
        f = features.float().reshape(b, c, h * w)  # (B, C, H*W)
        return torch.bmm(f, f.transpose(1, 2)).div_(c * h * w)


def total_variation(x: Tensor) -> Tensor:
    """Anisotropic L1 total variation of (B, 3, H, W) images: mean |∂x/∂h| + mean |∂x/∂w|."""
    tv = x.new_zeros(())
    if x.shape[-2] > 1:
        tv = tv + (x[..., 1:, :] - x[..., :-1, :]).abs().mean()
    if x.shape[-1] > 1:
        tv = tv + (x[..., :, 1:] - x[..., :, :-1]).abs().mean()
    return tv
