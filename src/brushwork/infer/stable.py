"""Stable video: stylize a clip's frames so the result does not flicker.

Three causes, three fixes (docs/ARCHITECTURE.md, "Stable video"): the stride grid (each frame is
stylized on a window whose edges lie on the net's grid at the content's phase, "grid lock", from
block phase correlation), instance-norm statistics (kept per frame), and what remains (an optional
motion-compensated temporal filter, ``blend`` > 0, where the input frames agree). A scene cut
(inputs differing by more than ``cut`` once motion is undone) resets both.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import torch
import torch.nn.functional as F
from torch import Tensor

from brushwork.errors import BrushworkError
from brushwork.infer.flow import cut_factor, estimate_motion, frame_change, gray, shrink, warp
from brushwork.io.images import stride_padding
from brushwork.nn.frame import TransformerNet
from brushwork.nn.layers import pad_axis

_EVERY = 2  # motion from every 2nd block row and column: 1/4 of the FFTs, the same global shift


class StableVideo:
    """Stylize the frames of one clip, in order, with the fixes of the module doc.

    ``net``: a TransformerNet (eval mode). Frames (1, 3, H, W) in [0, 1] -> (1, 3, H, W) in [0, 1]
    (float32). ``blend``: the most the previous output counts in the filter (0 = off);
    ``sigma``: input difference (0-1 scale) at which that weight falls to 1/e. ``grid_lock``:
    keep the content on the net's stride grid. ``cut``: mean input difference that counts as a
    scene cut. ``plain``: the callable that computes the net on a window (1, 3, h, w) with h, w
    multiples of the stride, on the net's device (default the net itself; the Stylizer passes its
    ONNX Runtime session); ``grain_at``: for a net with grain, the context that makes ``plain``
    read the noise at a window's place (default the net's own). Call :meth:`reset` between clips.
    Not thread-safe.
    """

    def __init__(
        self,
        net: TransformerNet,
        *,
        blend: float = 0.0,
        sigma: float = 0.06,
        grid_lock: bool = True,
        cut: float = 0.12,
        plain: Callable[[Tensor], Tensor] | None = None,
        grain_at: Callable[[tuple[int, int]], AbstractContextManager] | None = None,
    ) -> None:
        if not 0 <= blend < 1 or sigma <= 0 or cut <= 0:
            raise BrushworkError(
                f"need 0 <= blend < 1, sigma > 0 and cut > 0, got {blend}, {sigma}, {cut}"
            )
        self.device = next(net.parameters()).device
        self.plain = plain or net
        # A net with grain paints from a fixed noise field; anchored to the window, which moves
        # with the content only in whole strides, it would slide under the scene between steps
        # (warping error 0.0098 -> 0.0262 on pans): the net reads it at the scene's place.
        self.grain_at = (grain_at or net.grain_at) if net.grain else None
        self.multiple, self.min_side = net.multiple, net.min_side()
        self.blend, self.sigma = blend, sigma
        self.grid_lock, self.cut = grid_lock, cut
        self.cuts = 0  # scene cuts seen since the last reset (after the first frame)
        self.reset()

    def reset(self) -> None:
        """Forget the clip: the next frame is stylized as a first frame."""
        self.offset = (0, 0)  # the content's accumulated shift, for the grid lock
        self.prev_in: Tensor | None = None
        self.prev_out: Tensor | None = None
        self.prev_gray: Tensor | None = None  # the previous frame's grey and shrunk copies
        self.prev_small: Tensor | None = None

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
        (pt, pb), (pl, pr) = (stride_padding(n, self.multiple, self.min_side) for n in (h, w))
        window = pad_axis(pad_axis(window, pt, pb, -2), pl, pr, -1)
        if self.grain_at is None:
            y = self.plain(window.to(self.device))
        else:  # the grain field fixed to the scene, not to the window; photos keep (0, 0)
            origin = (top - pt + self.offset[0], left - pl + self.offset[1])
            with self.grain_at(origin):
                y = self.plain(window.to(self.device))
        y = y[..., pt : pt + h, pl : pl + w].float().to(x.device)
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
        # Each frame's grey and shrunk copies are made once, and serve again as the previous.
        grey, factor = gray(x), cut_factor(x.shape)
        small = shrink(x, factor)
        if prev_in is not None:
            shift, flow = estimate_motion(self.prev_gray, grey, every=_EVERY)
            if frame_change(self.prev_small, small, flow, factor, shrunk=True) > self.cut:
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
        self.prev_gray, self.prev_small = grey, small
        return y
