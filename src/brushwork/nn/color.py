"""Colour preservation (Gatys et al. 2016) on float RGB (B, 3, H, W) in [0, 1]: luminance-only
transfer (keep the content's YIQ chroma) and colour matching (give the style image the content's
RGB mean and covariance).
"""

from __future__ import annotations

import torch
from torch import Tensor

from brushwork.io.images import RGB_TO_YIQ

_RGB_TO_YIQ = torch.tensor(RGB_TO_YIQ)
_YIQ_TO_RGB = torch.linalg.inv(_RGB_TO_YIQ)


def _mix(x: Tensor, matrix: Tensor) -> Tensor:
    return torch.einsum("ij,bjhw->bihw", matrix.to(x), x)


def rgb_to_yiq(x: Tensor) -> Tensor:
    """(B, 3, H, W) RGB → YIQ (Y in [0,1]; I, Q roughly in [-0.6, 0.6])."""
    return _mix(x, _RGB_TO_YIQ)


def yiq_to_rgb(x: Tensor) -> Tensor:
    """(B, 3, H, W) YIQ → RGB (not clamped)."""
    return _mix(x, _YIQ_TO_RGB)


def luminance(x: Tensor) -> Tensor:
    """(B, 3, H, W) RGB → (B, 3, H, W) grey image whose three channels are the luminance Y."""
    return rgb_to_yiq(x)[:, :1].expand(-1, 3, -1, -1).contiguous()


def match_luminance(style: Tensor, content: Tensor) -> Tensor:
    """Grey luminance of ``style`` with its mean and std matched to the content's luminance."""
    ys, yc = luminance(style), luminance(content)
    return ((ys - ys.mean()) / (ys.std() + 1e-6) * yc.std() + yc.mean()).clamp(0, 1)


def transfer_chroma(stylized: Tensor, content: Tensor) -> Tensor:
    """Luminance of ``stylized`` combined with the chroma (I, Q) of ``content``; same shapes, [0,1]."""
    y = rgb_to_yiq(stylized)[:, :1]
    iq = rgb_to_yiq(content)[:, 1:]
    return yiq_to_rgb(torch.cat([y, iq], dim=1)).clamp(0, 1)


def _sqrtm(cov: Tensor, inverse: bool = False) -> Tensor:
    vals, vecs = torch.linalg.eigh(cov)
    vals = vals.clamp_min(1e-8)
    vals = vals.rsqrt() if inverse else vals.sqrt()
    return vecs @ torch.diag(vals) @ vecs.T


def match_color(source: Tensor, target: Tensor) -> Tensor:
    """Affine colour transfer: ``source`` (1, 3, H, W) re-coloured to the RGB mean and covariance of
    ``target`` (1, 3, H', W'). Returns the source's shape, clamped to [0,1]."""
    s = source.double().reshape(3, -1)  # (3, N)
    t = target.double().reshape(3, -1)
    mu_s, mu_t = s.mean(1, keepdim=True), t.mean(1, keepdim=True)
    eye = torch.eye(3, dtype=torch.float64) * 1e-5  # regularise flat images
    cov_s = torch.cov(s) + eye
    cov_t = torch.cov(t) + eye
    a = _sqrtm(cov_t) @ _sqrtm(cov_s, inverse=True)
    out = a @ (s - mu_s) + mu_t
    return out.reshape(source.shape).to(source.dtype).clamp(0, 1)
