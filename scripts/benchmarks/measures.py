"""Measures the studies use and the product does not: clips with exactly known motion and the
warping error that measures flicker on them (every frame samples a photo at integer positions, so
a noise-free clip's own warping error is exactly 0, and what a stylized clip adds is flicker), and
the artefacts the perceptual losses barely see (:func:`grid_pattern`, :func:`border_frame`), and
how large an image's texture is (:func:`stroke_size`).
Images: float RGB in [0, 1]; frames (T, 3, h, w)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from brushwork.errors import BrushworkError, check_choice
from brushwork.nn.color import rgb_to_yiq
from brushwork.nn.layers import BoxFilter

MOTIONS = ("pan", "zoom", "static")


@dataclass(frozen=True)
class Clip:
    """``frames`` (T, 3, h, w) in [0, 1]; ``rows`` (T, h) and ``cols`` (T, w), long: the photo
    row / column each frame row / column samples."""

    frames: Tensor
    rows: Tensor
    cols: Tensor


def _axis_maps(n: int, length: int, frames: int, motion: str, step: int) -> Tensor:
    """(frames, n) photo indices along one axis of ``length`` px for a frame side of ``n`` px."""
    t = torch.arange(frames)[:, None]
    q = torch.arange(n)[None, :]
    if motion == "static":
        return ((length - n) // 2 + q).expand(frames, n)
    if motion == "pan":  # the window slides by ``step`` px a frame, from the start of the axis
        return t * step + q
    # zoom: the window shrinks by 2*step px a frame around the centre, magnified to n px
    window = n - 2 * step * t  # (frames, 1)
    top = (length - window) // 2
    return top + torch.div((2 * q + 1) * window, 2 * n, rounding_mode="floor")


def make_clip(
    photo: Tensor,
    frames: int = 16,
    size: tuple[int, int] = (128, 128),
    motion: str = "pan",
    step: int = 2,
    noise: float = 0.0,
    brightness: float = 0.0,
    seed: int = 0,
) -> Clip:
    """A clip of ``frames`` frames of ``size`` (h, w) cut from ``photo`` (3, H, W) or (1, 3, H, W).

    ``motion``: ``pan`` (the window moves ``step`` px right and ``step // 2`` px down a frame),
    ``zoom`` (it shrinks by ``2 * step`` px a frame, magnified back to ``size``) or ``static``.
    ``noise``: std of Gaussian sensor noise added to each frame (fresh per frame). ``brightness``:
    the last frame is ``1 + brightness`` times as bright as the first (linear ramp). Frames are
    clamped to [0, 1]. Raises BrushworkError when the photo is too small for the motion.
    """
    check_choice("motion", motion, MOTIONS)
    if photo.dim() == 4:
        photo = photo[0]
    h, w = size
    _, height, width = photo.shape
    if frames < 2 or step < 0 or min(h, w) < 1:
        raise BrushworkError(
            f"need frames >= 2, step >= 0 and a positive size, got {frames}, {step}, {size}"
        )
    steps = {"pan": (step // 2, step), "zoom": (step, step * w // h), "static": (0, 0)}[motion]
    need_h = h + steps[0] * (frames - 1) if motion == "pan" else h
    need_w = w + steps[1] * (frames - 1) if motion == "pan" else w
    if motion == "zoom" and min(h, w) - 2 * max(steps) * (frames - 1) < 1:
        raise BrushworkError(
            f"a {frames}-frame zoom by {step} px a frame needs a larger frame than {size}"
        )
    if height < need_h or width < need_w:
        raise BrushworkError(
            f"a {frames}-frame {motion} of {w}x{h} needs a photo of at least {need_w}x{need_h}, "
            f"got {width}x{height}"
        )
    rows = _axis_maps(h, height, frames, motion, steps[0])
    cols = _axis_maps(w, width, frames, motion, steps[1])
    clip = photo[:, rows[:, :, None], cols[:, None, :]].permute(1, 0, 2, 3).float()
    gen = torch.Generator().manual_seed(seed)
    if brightness:
        ramp = 1 + brightness * torch.arange(frames) / (frames - 1)
        clip = clip * ramp.view(-1, 1, 1, 1)
    if noise:
        clip = clip + noise * torch.randn(clip.shape, generator=gen)
    return Clip(clip.clamp(0, 1).contiguous(), rows.contiguous(), cols.contiguous())


def _match(prev: Tensor, nxt: Tensor) -> tuple[Tensor, Tensor]:
    """For each index of ``nxt`` (n,), a position of ``prev`` (n,, non-decreasing) holding the same
    value (the middle one of a run) and whether there is one."""
    lo = torch.searchsorted(prev, nxt, right=False)
    hi = torch.searchsorted(prev, nxt, right=True)
    return ((lo + hi - 1) // 2).clamp(0, len(prev) - 1), hi > lo


def warp_previous(
    prev: Tensor, rows: tuple[Tensor, Tensor], cols: tuple[Tensor, Tensor]
) -> tuple[Tensor, Tensor]:
    """Frame ``prev`` (C, h, w) moved onto the next frame by the known motion.

    ``rows`` / ``cols``: the (previous, next) frames' maps. Returns ``(warped (C, h, w), mask (h,
    w) bool)``: ``mask`` marks the pixels of the next frame that the previous one also shows.
    """
    ri, rv = _match(rows[0], rows[1])
    ci, cv = _match(cols[0], cols[1])
    return prev[:, ri[:, None], ci[None, :]], rv[:, None] & cv[None, :]


def warping_error(frames: Tensor, clip: Clip) -> float:
    """Mean absolute difference between each frame t+1 of ``frames`` (T, C, h, w) and frame t
    moved by ``clip``'s known motion, over their overlap, averaged over the T-1 pairs. For
    the clip's own frames without noise or brightness ramp it is exactly 0."""
    if frames.shape[0] != clip.rows.shape[0] or frames.shape[-2:] != clip.frames.shape[-2:]:
        raise BrushworkError(
            f"frames {tuple(frames.shape)} do not match the clip {tuple(clip.frames.shape)}"
        )
    errors = []
    for t in range(frames.shape[0] - 1):
        warped, mask = warp_previous(
            frames[t], (clip.rows[t], clip.rows[t + 1]), (clip.cols[t], clip.cols[t + 1])
        )
        diff = (frames[t + 1].float() - warped.float()).abs().mean(0)
        errors.append(diff[mask].mean())
    return float(torch.stack(errors).mean())


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


def stroke_size(img: Tensor, window: int = 33) -> float:
    """The texture scale of (1, 3, H, W) ``img`` in px: the lag at which the autocorrelation of
    its high-passed luminance falls to 1/2, averaged over the two axes (linear interpolation
    between lags). The high-pass (minus a ``window``-px box mean) removes the photo's large
    shapes, so what is measured is the strokes; textures of twice the size measure about twice.
    """
    y = rgb_to_yiq(img.float())[:, :1]  # (1, 1, H, W)
    y = y - BoxFilter(window)(y)  # window odd: a centred, edge-replicated mean
    y = y[0, 0] - y.mean()
    h, w = y.shape
    spectrum = torch.fft.rfft2(y, s=(2 * h, 2 * w))  # zero-padded: no wrap-around
    ac = torch.fft.irfft2(spectrum.abs().square(), s=(2 * h, 2 * w))
    ones = torch.fft.rfft2(torch.ones_like(y), s=(2 * h, 2 * w))
    overlap = torch.fft.irfft2(ones.abs().square(), s=(2 * h, 2 * w)).clamp_min(1.0)
    ac = ac / overlap  # the mean product at each lag, not a sum over fewer and fewer pixels
    ac = ac / ac[0, 0].clamp_min(1e-12)
    sizes = []
    for profile in (ac[0, : w // 2], ac[: h // 2, 0]):
        below = torch.nonzero(profile < 0.5)
        if len(below) == 0:
            sizes.append(float(len(profile)))
            continue
        k = int(below[0])
        a, b = float(profile[k - 1]), float(profile[k])
        sizes.append(k - 1 + (a - 0.5) / (a - b))
    return sum(sizes) / len(sizes)
