"""Wallpaper detector: how strongly a picture repeats one motif on a lattice, and the flat inputs
that provoke it.

A style net given a flat region (a sky, a blurred background) has nothing to paint from and may
stamp one motif on a regular grid. :func:`periodicity` reads that from the luminance's fine detail:
high-pass (the luminance minus its 3-px Gaussian blur), the 2-D autocorrelation normalised by the
overlap at each lag and by lag 0, and the largest value at any lag vector 8-64 px long. A stamped
lattice scores near 1, noise near 0; real photos read ~0.16 (windows, fences), a painting's
irregular strokes ~0.1. :func:`flat_inputs` are the generated pictures it is read on.

Periodicity misses a mesh of small cells whose spacing wanders (udnie's and mosaic's diagonal
hatching reads 0.06-0.14, the peer's large irregular strokes as much), so the protocol also reads
:func:`stroke_size`: how large the painted marks are, in px, beside the painting's own at the
picture's size. Images: float RGB in [0, 1], (1, 3, H, W).
"""

from __future__ import annotations

import io

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter
from torch import Tensor

from brushwork.io.images import pil_to_tensor
from brushwork.io.synthetic import photo
from brushwork.nn.color import rgb_to_yiq

STROKE_SIGMA = 24.0  # px: stroke size reads detail finer than this (not the input's own shading)
LAGS = (8, 64)  # px: shorter lags are one stroke's own extent, longer ones too few repeats
SIGMA = 3.0  # px: the high-pass keeps what is finer than this
# Detail weaker than this (std of the high-passed luminance) is no motif: 2 steps of an 8-bit
# image. Without a floor a flat picture's rounding errors or JPEG blocks, normalised by their
# own tiny energy, read as a perfect lattice.
FLOOR = 2 / 255
FLAT_INPUTS = ("gradient", "blurred", "sky_jpeg")


def _gaussian_blur(y: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur of (B, 1, H, W), reflected borders."""
    r = int(3 * sigma)
    x = torch.arange(-r, r + 1, dtype=torch.float32, device=y.device)
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    y = F.pad(y, (r, r, r, r), mode="reflect")
    y = F.conv2d(y, g.view(1, 1, 1, -1))
    return F.conv2d(y, g.view(1, 1, -1, 1))


def _luminance(image: Tensor) -> Tensor:
    """(1, 3, H, W) RGB -> (1, 1, H, W) luminance (YIQ Y), float32 on the CPU; ValueError for
    any other shape."""
    if image.dim() != 4 or image.shape[:2] != (1, 3):
        raise ValueError(f"expected (1, 3, H, W), got {tuple(image.shape)}")
    return rgb_to_yiq(image.float().cpu())[:, :1]


def autocorrelation(x: Tensor, floor: float = 0.0) -> Tensor:
    """(H, W) zero-mean signal → (2H-1, 2W-1) autocorrelation, lag (0, 0) at the centre, each lag
    the mean product over the overlap (not the sum: long lags are not penalised for being short)
    divided by the value at lag 0, or by ``floor``² where that is larger (a signal weaker than
    ``floor`` scores proportionally less). Computed by FFT with zero padding (no wrap-around)."""
    h, w = x.shape
    f = torch.fft.rfft2(x.double(), s=(2 * h, 2 * w))
    corr = torch.fft.irfft2(f * f.conj(), s=(2 * h, 2 * w))  # circular lags of the padded signal
    corr = torch.fft.fftshift(corr)[1:, 1:]  # (2H-1, 2W-1), lag 0 at (H-1, W-1)
    dy = torch.arange(-(h - 1), h, dtype=torch.float64).abs()
    dx = torch.arange(-(w - 1), w, dtype=torch.float64).abs()
    overlap = (h - dy)[:, None] * (w - dx)[None, :]
    corr = corr / overlap
    zero = max(float(corr[h - 1, w - 1]), floor**2)
    return (corr / zero if zero > 0 else torch.zeros_like(corr)).float()


def periodicity(image: Tensor, lags: tuple[int, int] = LAGS) -> float:
    """Largest normalised autocorrelation of the high-passed luminance of ``image`` (1, 3, H, W)
    in [0, 1] at any lag vector whose length is within ``lags`` (px): ~1 for a motif repeated on
    a lattice, ~0 for noise; ~0 for a flat picture (detail under :data:`FLOOR`). Needs
    H, W > 2 * lags[0]."""
    y = _luminance(image)
    h, w = image.shape[-2:]
    if min(h, w) <= 2 * lags[0]:
        raise ValueError(f"a {h}x{w} picture is too small for lags from {lags[0]} px")
    detail = (y - _gaussian_blur(y, SIGMA))[0, 0]
    detail = detail - detail.mean()
    corr = autocorrelation(detail, FLOOR)
    dy = torch.arange(-(h - 1), h, dtype=torch.float32)[:, None]
    dx = torch.arange(-(w - 1), w, dtype=torch.float32)[None, :]
    length = (dy**2 + dx**2).sqrt()
    # Lags must leave a quarter of each axis overlapping, or a few pixels decide the score.
    ring = (length >= lags[0]) & (length <= lags[1])
    ring &= (dy.abs() <= 3 * h / 4) & (dx.abs() <= 3 * w / 4)
    return float(corr[ring].max())


def stroke_size(image: Tensor, over: Tensor | None = None, sigma: float = STROKE_SIGMA) -> float:
    """The typical size in px of the marks in ``image`` (1, 3, H, W) in [0, 1] — with ``over``
    (the picture it was painted over, same shape), of the marks added to it: the luminance (minus
    ``over``'s) minus its ``sigma``-px Gaussian blur, Hann-windowed; 1 / the spatial frequency
    below which half of its power lies. A grating of period P reads ~P px; enlarging a picture
    k times multiplies the reading by ~k; white noise reads ~2-3 px; nothing painted 0."""
    y = _luminance(image)
    if over is not None:  # the input's own structure is not a stroke (a blurred photo's shapes)
        y = y - _luminance(over)
    sigma = min(sigma, (min(y.shape[-2:]) - 1) / 3)  # the blur's reflected border fits
    detail = (y - _gaussian_blur(y, sigma))[0, 0].double()
    detail = detail - detail.mean()
    if float(detail.std()) < FLOOR / 4:  # under 8-bit rounding: no marks to measure
        return 0.0
    h, w = detail.shape
    hann = torch.hann_window(h, dtype=torch.float64)[:, None]
    hann = hann * torch.hann_window(w, dtype=torch.float64)[None, :]
    power = (torch.fft.fft2(detail * hann).abs() ** 2).flatten()
    fy = torch.fft.fftfreq(h, dtype=torch.float64)[:, None]
    fx = torch.fft.fftfreq(w, dtype=torch.float64)[None, :]
    freq = (fy**2 + fx**2).sqrt().flatten()
    order = freq.argsort()
    cumulative = power[order].cumsum(0)
    half = int((cumulative >= cumulative[-1] / 2).nonzero()[0])
    return 1.0 / max(float(freq[order][half]), 1.0 / max(h, w))


def flat_inputs(size: int = 512) -> dict[str, Tensor]:
    """The generated flat pictures periodicity is read on, each (1, 3, size, size) in [0, 1]:

    * ``gradient``: a smooth blend between two colours along curved lines (float, no 8-bit bands);
    * ``blurred``: a generated photo blurred with a 12-px Gaussian (a defocused background);
    * ``sky_jpeg``: a sky (deep blue to pale near the horizon, a glow where the sun sets) saved as
      JPEG at quality 75 and read back, with the 8-px blocks and bands real skies carry.
    """
    # Curved level lines: along a straight one a translation-equivariant net repeats itself
    # exactly, which would read as a lattice whatever it paints.
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    ramp = (0.6 * yy + 0.8 * (xx - 0.3) ** 2).clamp(0, 1)[None]  # (1, size, size)
    a, b = torch.tensor([0.85, 0.45, 0.35]), torch.tensor([0.25, 0.45, 0.75])
    gradient = (a[:, None, None] * (1 - ramp) + b[:, None, None] * ramp)[None]
    blurred = photo("flat-blurred", size, size).filter(ImageFilter.GaussianBlur(12))
    y, x = (v.numpy()[..., None] for v in (yy, xx))
    top, low = np.array([0.16, 0.38, 0.78]), np.array([0.78, 0.86, 0.95])
    glow = np.exp(-((x - 0.8) ** 2 + (y - 0.9) ** 2) / 0.15)  # brighter towards a low sun
    sky = top + (low - top) * y**1.5 + 0.15 * glow
    buf = io.BytesIO()
    Image.fromarray((sky.clip(0, 1) * 255 + 0.5).astype(np.uint8)).save(buf, "JPEG", quality=75)
    buf.seek(0)
    return {
        "gradient": gradient.clamp(0, 1),
        "blurred": pil_to_tensor(blurred),
        "sky_jpeg": pil_to_tensor(Image.open(buf).convert("RGB")),
    }
