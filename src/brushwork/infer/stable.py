"""Stable video: stylize a clip's frames so the result does not flicker.

Per-frame stylization flickers for three reasons, measured on clips with known motion
(:mod:`brushwork.nn.motion`, ``scripts/benchmark.py video``); each gets its own fix:

* **The stride grid.** The nets downsample by 8 (``shuffle``) or 4 (``johnson``): content that
  moves by a pixel lands on another phase of the grid and is painted differently (most of the
  error on a pan). :class:`StableVideo` estimates each frame's motion (phase correlation per
  64² block; the global shift is their median) and runs the net on the window of the frame
  whose edges lie on the grid with the content at a fixed phase ("grid lock"): on a pan the net
  then sees the same pixels in the same places. Padding the frame instead would be simpler,
  but the nets are trained on crops whose edges lie on their grid, and a few reflected pixels
  at the edge cost up to 30 % of the style term (measured); the strips outside the window
  (< the stride) take what the previous frame painted there, else the nearest window pixel.
* **Instance-norm statistics** recomputed per frame change as content enters and leaves the
  view. ``momentum`` < 1 makes them a running estimate over the clip (a
  :class:`~brushwork.infer.clipgraph.ClipGraph`, one pass per frame), reset at a scene cut.
  Measured on the default net it changes the warping error by < 5 % and lags brightness
  changes, so the default is 1 (each frame's own statistics).
* **What remains** (borders, zooms, noise the net amplifies): an optional temporal filter
  (``blend`` > 0; ``--smooth``) blends each output with the previous output moved by the block
  motion, pixel by pixel only where the input frames agree there (so moving objects and new
  content are not smeared). It calms zooms and noise but averages brush strokes away (the
  style term rises, docs/BENCHMARKS.md), so it is off by default.

A scene cut (inputs that differ by more than ``cut`` on average once the motion is undone,
compared at 1/4 size) resets all three. Costs per frame besides the net: block FFTs on a grey
copy, the cut test at 1/16 of the pixels, warping the strips; with ``blend``, two whole-frame
warps and the blend.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from brushwork.errors import BrushworkError, check_choice
from brushwork.infer.clipgraph import ClipGraph, OnnxClipGraph
from brushwork.nn.layers import pad_axis
from brushwork.nn.nets import TransformerNet

_BLOCK = 64  # side of the blocks whose motion is estimated (phase correlation)


def _gray(x: Tensor) -> Tensor:
    return (x.float() * x.new_tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1)[0]


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


def estimate_motion(prev: Tensor, cur: Tensor, block: int = _BLOCK, max_shift: int = 16):
    """Block-wise motion between frames (1, 3, H, W): ``cur[y, x] ≈ prev[y + fy, x + fx]``.

    Returns ``(shift, flow)``: the global whole-pixel shift (dy, dx) (the median over the blocks)
    and a smooth flow (2, H, W), float: each block's phase-correlation shift (the global one
    where a block has too little texture to tell) interpolated between block centres.
    """
    a, b = _gray(prev), _gray(cur)
    h, w = a.shape
    bh, bw = min(h, block), min(w, block)
    ny, nx = h // bh, w // bw
    top, left = (h - ny * bh) // 2, (w - nx * bw) // 2

    def blocks(g: Tensor) -> Tensor:
        g = g[top : top + ny * bh, left : left + nx * bw]
        return g.reshape(ny, bh, nx, bw).permute(0, 2, 1, 3).reshape(ny * nx, bh, bw)

    shifts, sure = _phase_peaks(blocks(a), blocks(b), max_shift)
    found = shifts[sure] if sure.any() else shifts.new_zeros(1, 2)
    dy, dx = (int(v) for v in found.median(0).values)
    shifts = torch.where(sure[:, None], shifts, shifts.new_tensor([dy, dx])).float()
    field = shifts.T.reshape(1, 2, ny, nx)
    flow = F.interpolate(field, size=(h, w), mode="bilinear", align_corners=False)[0]
    return (dy, dx), flow


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


def frame_change(prev: Tensor, cur: Tensor, flow: Tensor, factor: int = 4) -> float:
    """Mean |cur - prev moved by ``flow``| over the overlap, on copies shrunk ``factor`` times
    (box mean): the scene-cut test, 1/factor² of the pixels. Sensor noise averages out there;
    a cut (new content everywhere) does not. inf when nothing overlaps."""
    if min(cur.shape[-2:]) < 4 * factor:
        factor = 1
    a, b = F.avg_pool2d(prev.float(), factor), F.avg_pool2d(cur.float(), factor)
    c = factor // 2  # the flow at the cells' centres, in cells
    small = flow[:, c::factor, c::factor][:, : b.shape[-2], : b.shape[-1]] / factor
    moved, valid = warp(a, small)
    return float((b - moved).abs().mean(1)[0][valid].mean()) if valid.any() else math.inf


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


class StableVideo:
    """Stylize the frames of one clip, in order, with the three fixes of the module doc.

    ``net``: a TransformerNet (eval mode). Frames (1, 3, H, W) in [0, 1] -> (1, 3, H, W) in [0, 1]
    (float32). ``momentum``: weight of each new frame in the running instance-norm statistics
    (1 = per-frame statistics). ``blend``: the most the previous output counts in the filter
    (0 = off); ``sigma``: input difference (0-1 scale) at which that weight falls to 1/e.
    ``grid_lock``: keep the content on the net's stride grid. ``cut``: mean input difference
    that counts as a scene cut. ``runtime``: ``torch`` (on the net's device) or ``onnxruntime``
    (CPU, fp32; ``threads``), the net as a :class:`~brushwork.infer.clipgraph.ClipGraph` either
    way; ``graph``: one built before for this net and runtime (its state lives here, so one graph
    serves many clips). ``plain``: with ``momentum`` 1, a faster callable computing the net on a
    window (1, 3, h, w) with h, w multiples of the stride, used instead of the graph (the
    Stylizer passes its ONNX Runtime session). Call :meth:`reset` between clips. Not thread-safe.
    """

    def __init__(
        self,
        net: TransformerNet,
        *,
        momentum: float = 1.0,
        blend: float = 0.0,
        sigma: float = 0.06,
        grid_lock: bool = True,
        cut: float = 0.12,
        runtime: str = "torch",
        threads: int | None = None,
        graph: Any = None,
        plain: Any = None,
    ) -> None:
        if not 0 < momentum <= 1 or not 0 <= blend < 1 or sigma <= 0 or cut <= 0:
            raise BrushworkError(
                "need 0 < momentum <= 1, 0 <= blend < 1, sigma > 0 and cut > 0, got "
                f"{momentum}, {blend}, {sigma}, {cut}"
            )
        check_choice("runtime", runtime, ("torch", "onnxruntime"))
        self.device = next(net.parameters()).device
        # Each frame's own statistics need no state: the caller's net runs the window, and no
        # ClipGraph is built or exported (~1 s for ONNX).
        self.plain = plain if momentum == 1 else None
        self.graph: Any = None
        self.initial: list[Tensor] = []
        if self.plain is None:
            torch_graph = ClipGraph(net)
            self.initial = torch_graph.initial(self.device)
            self.graph = torch_graph if graph is None else graph
            if runtime == "onnxruntime":
                self.graph = OnnxClipGraph(torch_graph, threads) if graph is None else graph
                self.device = torch.device("cpu")
                self.initial = [t.cpu() for t in self.initial]
        self.multiple, self.min_side = net.multiple, net.min_side()
        self.momentum, self.blend, self.sigma = momentum, blend, sigma
        self.grid_lock, self.cut = grid_lock, cut
        self.cuts = 0  # scene cuts seen since the last reset (after the first frame)
        self.reset()

    def reset(self) -> None:
        """Forget the clip: the next frame is stylized as a first frame."""
        self.state: list[Tensor] | None = None  # the running statistics
        self.offset = (0, 0)  # the content's accumulated shift, for the grid lock
        self.prev_in: Tensor | None = None
        self.prev_out: Tensor | None = None

    def _window(self, length: int, offset: int) -> tuple[int, int]:
        """(start, size) of the grid-locked window along one axis of ``length`` px."""
        m = self.multiple
        start = (-offset) % m if self.grid_lock else 0
        size = (length - start) // m * m
        if not self.grid_lock or size < self.min_side:  # too small to crop: the net pads it
            return 0, length
        return start, size

    def _run(self, x: Tensor) -> tuple[Tensor, list[tuple[int, int, int, int]]]:
        """The net on the window of ``x`` whose edges lie on the stride grid with the content
        at a fixed phase; returns the output (1, 3, H, W), edge-extended over the strips (< the
        stride) outside the window, and those strips as regions (y0, y1, x0, x1)."""
        (top, h), (left, w) = (
            self._window(n, o) for n, o in zip(x.shape[-2:], self.offset, strict=True)
        )
        window = x[..., top : top + h, left : left + w]
        m, smallest = self.multiple, self.min_side
        ph, pw = max(smallest, -(-h // m) * m) - h, max(smallest, -(-w // m) * m) - w
        window = pad_axis(pad_axis(window, ph // 2, ph - ph // 2, -2), pw // 2, pw - pw // 2, -1)
        if self.plain is not None:
            y = self.plain(window.to(self.device))
        else:
            first = self.state is None
            momentum = torch.tensor(1.0 if first else self.momentum, device=self.device)
            state = self.initial if first else self.state
            y, *self.state = self.graph(window.to(self.device), momentum, *state)
        y = y[..., ph // 2 : ph // 2 + h, pw // 2 : pw // 2 + w].float().to(x.device)
        full_h, full_w = x.shape[-2:]
        pads = (left, full_w - left - w, top, full_h - top - h)
        strips = [
            (0, top, 0, full_w),
            (top + h, full_h, 0, full_w),
            (top, top + h, 0, left),
            (top, top + h, left + w, full_w),
        ]
        strips = [r for r in strips if r[1] > r[0] and r[3] > r[2]]
        return (F.pad(y, pads, mode="replicate") if any(pads) else y), strips

    @torch.inference_mode()
    def __call__(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[:2] != (1, 3):
            raise BrushworkError(f"expected one RGB frame (1, 3, H, W), got {tuple(x.shape)}")
        x = x.float()
        prev_in, prev_out = self.prev_in, self.prev_out
        shift = (0, 0)
        if prev_in is not None and prev_in.shape != x.shape:
            raise BrushworkError("every frame of a clip must have the same size (call reset())")
        if prev_in is not None:
            shift, flow = estimate_motion(prev_in, x)
            if frame_change(prev_in, x, flow) > self.cut:
                self.cuts += 1
                self.reset()
                prev_in = prev_out = None
        if prev_in is not None:
            self.offset = (self.offset[0] + shift[0], self.offset[1] + shift[1])
        y, strips = self._run(x)
        if prev_out is not None:
            # The strips outside the grid-locked window: what the last frame painted there
            # (warped there only: a whole-frame warp cost more than the strips' few pixels).
            for y0, y1, x0, x1 in strips:
                moved, inside = warp(prev_out, flow, (y0, y1, x0, x1))
                y[..., y0:y1, x0:x1] = torch.where(inside, moved, y[..., y0:y1, x0:x1])
        if prev_out is not None and self.blend > 0:
            moved_in, valid = warp(prev_in, flow)
            moved_out, _ = warp(prev_out, flow)
            diff = (x - moved_in).abs().mean(1, keepdim=True)  # (1, 1, H, W)
            # Smooth the difference first: sensor noise is per pixel, real change is not.
            agree = F.avg_pool2d(diff, 5, stride=1, padding=2, count_include_pad=False)
            weight = self.blend * torch.exp(-((agree / self.sigma) ** 2)) * valid
            y = torch.lerp(y, moved_out, weight)
        self.prev_in, self.prev_out = x, y
        return y
