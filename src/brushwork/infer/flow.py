"""Motion between video frames without an optical-flow model, and what uses it.

Block phase correlation gives each 64² block a whole-pixel shift, and the frame a global one (the
median); :func:`warp` moves a picture by such a flow; :func:`frame_change` is the scene-cut test.
Frames are (1, 3, H, W) float in [0, 1]; flows (2, H, W) float, (dy, dx) in px, with
``cur[y, x] ≈ prev[y + fy, x + fx]``. Used by :class:`brushwork.infer.stable.StableVideo`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

_BLOCK = 64  # side of the blocks whose motion is estimated (phase correlation)


def gray(x: Tensor) -> Tensor:
    """Luminance (H, W), float32, of a frame (1, 3, H, W) in [0, 1]."""
    r, g, b = x[0].float()
    # In place on one new plane: a third of the memory traffic of weighting all three and summing.
    return (r * 0.299).add_(g, alpha=0.587).add_(b, alpha=0.114)


def _phase_peaks(a: Tensor, b: Tensor, max_shift: int) -> tuple[Tensor, Tensor]:
    """Phase correlation of same-size patches ``a``, ``b`` (N, h, w): per patch the whole-pixel
    shift (N, 2) with ``b[y, x] ≈ a[y + dy, x + dx]``, and whether it stands out (N,)."""
    n, h, w = a.shape
    window = torch.outer(torch.hann_window(h, periodic=False), torch.hann_window(w, periodic=False))
    window = window.to(a)
    fa = torch.fft.rfft2((a - a.mean((1, 2), keepdim=True)) * window)
    fb = torch.fft.rfft2((b - b.mean((1, 2), keepdim=True)) * window)
    cross = fa * fb.conj()
    corr = torch.fft.irfft2(cross / cross.abs().clamp_min(1e-8), s=(h, w)).flatten(1)
    height, peak = corr.max(1)
    dy, dx = peak // w, peak % w
    dy = torch.where(dy > h // 2, dy - h, dy)
    dx = torch.where(dx > w // 2, dx - w, dx)
    shift = torch.stack([dy, dx], 1)
    # A real shift gives one sharp peak; noise alone spreads ~1/sqrt(N) everywhere.
    sure = (height > 8 / math.sqrt(h * w)) & (shift.abs().amax(1) <= max_shift)
    return shift, sure


def estimate_motion(
    prev: Tensor, cur: Tensor, block: int = _BLOCK, max_shift: int = 16, every: int = 1
):
    """Block-wise motion between frames (1, 3, H, W), or their grey copies (H, W) (see
    :func:`gray`): ``cur[y, x] ≈ prev[y + fy, x + fx]``.

    Returns ``(shift, flow)``: the global whole-pixel shift (dy, dx) (the median over the blocks)
    and a smooth flow (2, H, W), float: each block's phase-correlation shift (the global one
    where a block has too little texture to tell) interpolated between block centres.
    ``every`` = k: only every k-th block row and column (1/k² of the FFTs; the flow is smooth).
    """
    a, b = (g if g.dim() == 2 else gray(g) for g in (prev, cur))
    h, w = a.shape
    bh, bw = min(h, block), min(w, block)
    ny, nx = h // bh, w // bw
    top, left = (h - ny * bh) // 2, (w - nx * bw) // 2
    # Every k-th block, centred: a frame too small for 3 of them along an axis keeps them all.
    ky, kx = (every if n >= 3 * every else 1 for n in (ny, nx))
    rows, cols = range((ny - 1) % ky // 2, ny, ky), range((nx - 1) % kx // 2, nx, kx)

    def blocks(g: Tensor) -> Tensor:
        g = g[top : top + ny * bh, left : left + nx * bw].reshape(ny, bh, nx, bw)
        return g[list(rows)][:, :, list(cols)].permute(0, 2, 1, 3).reshape(-1, bh, bw)

    shifts, sure = _phase_peaks(blocks(a), blocks(b), max_shift)
    found = shifts[sure] if sure.any() else shifts.new_zeros(1, 2)
    dy, dx = (int(v) for v in found.median(0).values)
    shifts = torch.where(sure[:, None], shifts, shifts.new_tensor([dy, dx])).float()
    field = shifts.T.reshape(1, 2, len(rows), len(cols))
    # The field's cells are the sampled blocks; their centres sit k blocks apart, the first at
    # top + (rows[0] + 1/2) block: interpolate on that lattice (edge values beyond it).
    pixels = {"dtype": torch.float32, "device": a.device}  # pixel centres at i + 1/2
    ys = (torch.arange(h, **pixels) + 0.5 - top - (rows[0] + 0.5) * bh) / (ky * bh)
    xs = (torch.arange(w, **pixels) + 0.5 - left - (cols[0] + 0.5) * bw) / (kx * bw)
    flow = _lattice(field[0], ys, xs)
    return (dy, dx), flow


def _lattice(field: Tensor, ys: Tensor, xs: Tensor) -> Tensor:
    """``field`` (C, n, m) sampled bilinearly at lattice coordinates ``ys`` (H,), ``xs`` (W,)
    (cell i at coordinate i; clamped to the edges) → (C, H, W), as two small matrix products."""

    def weights(coords: Tensor, n: int) -> Tensor:  # (L, n): the hat function around each cell
        cells = torch.arange(n, dtype=coords.dtype, device=coords.device)
        return (1 - (coords.clamp(0, n - 1)[:, None] - cells).abs()).clamp_min(0)

    return weights(ys, field.shape[-2]) @ field @ weights(xs, field.shape[-1]).T


def warp(
    x: Tensor, flow: Tensor, region: tuple[int, int, int, int] | None = None
) -> tuple[Tensor, Tensor]:
    """``x`` (B, C, H, W) sampled (bilinear) at ``(y + flow[0], x + flow[1])``; returns ``(out,
    valid (H, W) bool)``: valid where the sample lies inside ``x``. A constant whole-pixel flow
    copies pixels exactly (a static clip stays bit-identical). ``region`` (y0, y1, x0, x1):
    only those output pixels (out (B, C, y1 - y0, x1 - x0)), e.g. the strips around a window."""
    h, w = x.shape[-2:]
    y0, y1, x0, x1 = region or (0, h, 0, w)
    flow = flow[:, y0:y1, x0:x1]
    if region is None:
        dy, dx = (float(v) for v in flow[:, 0, 0])
        if dy.is_integer() and dx.is_integer() and bool((flow == flow[:, :1, :1]).all()):
            return _shift(x, int(dy), int(dx))  # a pan: a plain copy, ~10x faster than sampling
    ys = torch.arange(y0, y1, device=x.device, dtype=flow.dtype)[:, None] + flow[0]
    xs = torch.arange(x0, x1, device=x.device, dtype=flow.dtype)[None, :] + flow[1]
    valid = (ys >= 0) & (ys <= h - 1) & (xs >= 0) & (xs <= w - 1)
    if region is not None and bool((flow == flow.round()).all()):  # whole pixels: exact copies
        iy, ix = ys.long().clamp(0, h - 1), xs.long().clamp(0, w - 1)
        return x[:, :, iy, ix], valid
    grid = torch.stack([2 * xs / max(w - 1, 1) - 1, 2 * ys / max(h - 1, 1) - 1], -1)
    grid = grid[None].expand(x.shape[0], -1, -1, -1).to(x)
    return F.grid_sample(x, grid, align_corners=True), valid


def cut_factor(shape: torch.Size, factor: int = 4) -> int:
    """How much :func:`shrink` shrinks frames of ``shape`` for the cut test (1 when tiny)."""
    return factor if min(shape[-2:]) >= 4 * factor else 1


def shrink(x: Tensor, factor: int) -> Tensor:
    """A float32 copy of ``x`` (B, C, H, W) shrunk ``factor`` times (box mean)."""
    return F.avg_pool2d(x.float(), factor) if factor > 1 else x.float()


def frame_change(
    prev: Tensor, cur: Tensor, flow: Tensor, factor: int = 4, shrunk: bool = False
) -> float:
    """Mean |cur - prev moved by ``flow``| over the overlap, on copies shrunk ``factor`` times
    (box mean): the scene-cut test, 1/factor² of the pixels. Sensor noise averages out there;
    a cut (new content everywhere) does not. inf when nothing overlaps. ``shrunk``: ``prev``
    and ``cur`` are already :func:`shrink`'s copies by ``factor`` (a clip shrinks each frame
    once); otherwise the factor is :func:`cut_factor`'s."""
    if not shrunk:
        factor = cut_factor(cur.shape, factor)
        prev, cur = shrink(prev, factor), shrink(cur, factor)
    c = factor // 2  # the flow at the cells' centres, in cells
    small = flow[:, c::factor, c::factor][:, : cur.shape[-2], : cur.shape[-1]] / factor
    moved, valid = warp(prev, small)
    return float((cur - moved).abs().mean(1)[0][valid].mean()) if valid.any() else math.inf


def _shift(x: Tensor, dy: int, dx: int) -> tuple[Tensor, Tensor]:
    """:func:`warp` for a constant whole-pixel flow (dy, dx)."""
    h, w = x.shape[-2:]
    out = torch.zeros_like(x)
    valid = torch.zeros(h, w, dtype=torch.bool, device=x.device)
    src_y, dst_y = slice(max(dy, 0), h + min(dy, 0)), slice(max(-dy, 0), h + min(-dy, 0))
    src_x, dst_x = slice(max(dx, 0), w + min(dx, 0)), slice(max(-dx, 0), w + min(-dx, 0))
    out[..., dst_y, dst_x] = x[..., src_y, src_x]
    valid[dst_y, dst_x] = True
    return out, valid
