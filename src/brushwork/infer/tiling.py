"""Tiled inference for images too large for one pass, without seams or colour shifts.

Tiles sit on the net's stride grid and overlap, blended by raised-cosine ramps that sum to 1
(no seams). :class:`StatsNet` records every instance norm's statistics once on the whole image
(downscaled to at most ``stats_pixels``) and reuses them for each tile, so tiles share one
contrast and tint; with ``stats_pixels >= H * W`` the result matches the untiled pass up to the
blended borders. Peak memory: input, output, one tile's activations.
"""

from __future__ import annotations

import contextlib
import copy
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brushwork.io.images import stride_padding
from brushwork.nn.conditional import ConditionalInstanceNorm2d
from brushwork.nn.layers import pad_axis

GRID = 4  # default grid: the Johnson layout's total stride (TransformerNet.multiple)


class _FixedStatsNorm(nn.Module):
    """InstanceNorm2d that either records its input's statistics or uses recorded ones.

    ``record=True``: normalize as InstanceNorm2d does and keep the (B, C) mean and variance (fp32).
    ``record=False``: normalize with the kept statistics instead of the input's own.
    """

    def __init__(self, norm: nn.Module) -> None:
        super().__init__()
        self.weight, self.bias, self.eps = norm.weight, norm.bias, norm.eps
        # A conditional norm (regions: a style mix per pixel) applies its own mixed (γ, β).
        self.conditional = norm if isinstance(norm, ConditionalInstanceNorm2d) else None
        self.record = True
        self.mean: Tensor | None = None
        self.var: Tensor | None = None

    def forward(self, x: Tensor) -> Tensor:
        xf = x.float()
        if self.record:
            var, mean = torch.var_mean(xf, dim=(2, 3), unbiased=False)  # (B, C)
            self.var, self.mean = var, mean
        if self.mean is None or self.var is None:
            raise RuntimeError("no recorded statistics: run a record pass first")
        scale = torch.rsqrt(self.var + self.eps)
        if self.conditional is not None:
            shift = -self.mean * scale
            y = xf * scale[:, :, None, None] + shift[:, :, None, None]
            return self.conditional.affine(y.to(x.dtype))
        if self.weight is not None:
            scale = scale * self.weight
        shift = -self.mean * scale
        if self.bias is not None:
            shift = shift + self.bias
        y = xf * scale[:, :, None, None] + shift[:, :, None, None]
        return y.to(x.dtype)


class StatsNet(nn.Module):
    """A copy of a net whose InstanceNorm2d layers use statistics recorded once (see module doc)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = copy.deepcopy(net)
        self.norms: list[_FixedStatsNorm] = []
        for module in list(self.net.modules()):
            for child_name, child in list(module.named_children()):
                if isinstance(child, (nn.InstanceNorm2d, ConditionalInstanceNorm2d)):
                    fixed = _FixedStatsNorm(child)
                    setattr(module, child_name, fixed)
                    self.norms.append(fixed)
        if not self.norms:
            raise ValueError("the net has no InstanceNorm2d layers to fix")

    def set_record(self, record: bool) -> None:
        for norm in self.norms:
            norm.record = record

    def forward(self, x: Tensor, style: Tensor | None = None) -> Tensor:
        return self.net(x) if style is None else self.net(x, style)


def spans(
    length: int, tile: int, overlap: int, grid: int = GRID
) -> list[tuple[int, int, int, int, int]]:
    """Split one axis of ``length`` px into overlapping tiles on the net's ``grid`` (its total
    stride, :attr:`TransformerNet.multiple`), aligned with the untiled pass's padding.

    Returns one ``(start, end, pad_before, pad_after, ramp_in)`` per tile: its real pixels
    [start, end),
    the reflection padding that completes it to the grid at the image borders (as the untiled
    pass pads), and the length of its overlap with the previous tile. A single tile is returned
    unpadded: the net then pads it exactly as it pads the whole image.
    """
    if length <= tile:
        return [(0, length, 0, 0, 0)]
    # Starts are rounded to the grid, which can shorten an overlap by up to a grid step: keep at
    # least one step of it so that no pixel is left uncovered.
    overlap = max(overlap, 2 * grid)
    before, after = stride_padding(length, grid)  # the net's centred padding of the image
    padded = length + before + after
    n = math.ceil((padded - overlap) / (tile - overlap))
    starts = [grid * round(k * (padded - tile) / (n - 1) / grid) for k in range(n)]
    out = []
    for k, v in enumerate(starts):
        s, e = v - before, v - before + tile  # real coordinates, may poke out of the image
        ramp = starts[k - 1] + tile - v if k else 0
        out.append((max(s, 0), min(e, length), max(-s, 0), max(e - length, 0), ramp))
    return out


def _window(axis: list[tuple[int, int, int, int, int]], length: int) -> list[Tensor]:
    """1-D blending weights per tile over its real pixels; they sum to 1 at every pixel."""
    ramps_in = [a[4] for a in axis]
    ramps_out = ramps_in[1:] + [0]
    weights = []
    for (s, e, pb, _pa, _), r_in, r_out in zip(axis, ramps_in, ramps_out, strict=True):
        w = torch.ones(e - s + pb + _pa)
        if r_in:
            w[:r_in] = 0.5 - 0.5 * torch.cos(math.pi * (torch.arange(r_in) + 0.5) / r_in)
        if r_out:
            w[-r_out:] = 0.5 + 0.5 * torch.cos(math.pi * (torch.arange(r_out) + 0.5) / r_out)
        weights.append(w[pb : pb + e - s])
    total = torch.zeros(length)
    for (s, e, *_), w in zip(axis, weights, strict=True):
        total[s:e] += w
    return [w / total[s:e] for (s, e, *_), w in zip(axis, weights, strict=True)]


def _grain_at(net: nn.Module, origin: tuple[int, int]) -> contextlib.AbstractContextManager:
    """A net with grain reads the tile's part of the picture's noise (brushwork.nn.frame)."""
    return net.grain_at(origin) if getattr(net, "grain", 0) else contextlib.nullcontext()


def _cut(t: Tensor, rows: tuple[int, ...], cols: tuple[int, ...]) -> Tensor:
    """The tile [r0, r1) x [c0, c1) of ``t``, reflection-padded to the grid as the spans say."""
    (r0, r1, rpb, rpa), (c0, c1, cpb, cpa) = rows, cols
    return pad_axis(pad_axis(t[..., r0:r1, c0:c1], rpb, rpa, dim=-2), cpb, cpa, dim=-1)


def stylize_tiled(
    net: StatsNet,
    x: Tensor,
    tile: int,
    overlap: int,
    stats_pixels: int,
    grid: int = GRID,
    mix: Tensor | None = None,
) -> Tensor:
    """Run ``net`` over (B, 3, H, W) ``x`` in overlapping tiles; return (B, 3, H, W).

    ``tile`` and ``overlap`` are rounded down to the grid (overlap 8 px to tile / 4); the
    statistics pass sees ``x`` downscaled to at most ``stats_pixels`` pixels. ``mix``: a style
    mix per pixel (B, N, H, W) for a multi-style net (regions), cut into the same tiles. Call it
    under the caller's inference/autocast context; the output has ``x``'s dtype and device.
    """
    tile = max(8 * grid, tile // grid * grid)
    overlap = min(tile // 4, overlap) // grid * grid
    h, w = x.shape[-2:]
    scale = min(1.0, math.sqrt(stats_pixels / (h * w)))
    small, small_mix = x, mix
    if scale < 1.0:
        size = (max(1, round(h * scale)), max(1, round(w * scale)))
        small = F.interpolate(x, size, mode="bilinear", antialias=True, align_corners=False)
        small_mix = None if mix is None else F.interpolate(mix, size, mode="area")
    net.set_record(True)
    net(small, small_mix)  # records every InstanceNorm's statistics
    del small, small_mix
    net.set_record(False)
    rows, cols = spans(h, tile, overlap, grid), spans(w, tile, overlap, grid)
    row_w, col_w = _window(rows, h), _window(cols, w)
    out = torch.zeros_like(x)
    for (r0, r1, rpb, rpa, _), wy in zip(rows, row_w, strict=True):
        for (c0, c1, cpb, cpa, _), wx in zip(cols, col_w, strict=True):
            cut = (r0, r1, rpb, rpa), (c0, c1, cpb, cpa)
            with _grain_at(net.net, (r0 - rpb, c0 - cpb)):  # the tile's place in the picture
                y = net(_cut(x, *cut), None if mix is None else _cut(mix, *cut))
            y = y[..., rpb : rpb + r1 - r0, cpb : cpb + c1 - c0]
            weight = (wy[:, None] * wx[None, :]).to(y)  # (h_tile, w_tile)
            out[..., r0:r1, c0:c1] += y * weight
    return out
