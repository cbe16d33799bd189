"""The frame every style network shares (:class:`TransformerNet`): pad to the total stride and a
reflected margin, run the architecture's ``body``, sigmoid, crop back.

Contract of every net: input (B, 3, H, W) RGB in [0, 1], any H, W >= 1; output the same shape, in
[0, 1], in the input's dtype (also under autocast). Each image is processed independently
(instance norm, no batch statistics), so results do not depend on the batch or on train/eval mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brushwork.errors import BrushworkError
from brushwork.io.images import stride_padding
from brushwork.nn.conditional import styled
from brushwork.nn.layers import pad_axis

GRAIN_CELL = 4  # px per noise sample: grain a few px across, what the nets paint strokes from
GRAIN_CELLS = (128, 128)  # the fixed field's samples: it repeats every 512 px, past any motif


def _smooth_axis(field: Tensor, dim: int, start: Tensor | int, size: Tensor | int) -> Tensor:
    """``field`` upsampled bilinearly × :data:`GRAIN_CELL` along ``dim`` (2 or 3), read
    periodically at px [start, start + size): F.interpolate's sampling (align_corners=False),
    wrapped around instead of clamped, so any window of the infinite field is the same."""
    px = start + torch.arange(size, device=field.device)
    src = (px.float() + 0.5) / GRAIN_CELL - 0.5
    low = torch.floor(src)
    frac = src - low
    low, n = low.long(), field.shape[dim]
    a = field.index_select(dim, torch.remainder(low, n))
    b = field.index_select(dim, torch.remainder(low + 1, n))
    return a + (b - a) * (frac[:, None] if dim == 2 else frac)


def grain_noise(
    field: Tensor, top: Tensor | int, left: Tensor | int, height: Tensor | int, width: Tensor | int
) -> Tensor:
    """(1, 3, h, w) noise samples → smooth unit-ish noise (1, 3, height, width): the picture's
    px [top, top + height) × [left, left + width) of the field upsampled × :data:`GRAIN_CELL`
    and repeated forever (period GRAIN_CELL × (h, w) px). Anchored in picture coordinates,
    so a tile, a padded copy or a video window reads the noise the whole picture reads there.
    Gathers on sizes and offsets, so the ONNX graph computes it for any size and origin (and
    holds only the samples)."""
    return _smooth_axis(_smooth_axis(field, 2, top, height), 3, left, width)


class TransformerNet(nn.Module):
    """The frame shared by every architecture; subclasses define ``body`` and two constants.

    ``multiple``: the total stride (H, W are padded to a multiple so down- and upsampling
    round-trip). ``margin``: px of reflected border seen around the image at inference and cropped
    off again, so the frame a net trained on crops paints along their edges falls outside the
    picture (a multiple of the stride, keeping the grid phase; 0 in training, where it would cost
    every step). ``min_side``: the smallest side the exported graphs accept; the eager net pads
    smaller images up to it.
    """

    arch: ClassVar[str]
    multiple: ClassVar[int]
    margin: ClassVar[int] = 32

    def __init__(
        self, width: int, n_residual: int, separable: bool, n_styles: int = 1, grain: float = 0.0
    ) -> None:
        super().__init__()
        if width < 1 or n_residual < 0 or n_styles < 1 or not 0 <= grain <= 1:
            raise BrushworkError(
                "need model.width >= 1, model.n_residual >= 0, at least one style and "
                f"0 <= model.grain <= 1, got {width}, {n_residual}, {n_styles}, {grain}"
            )
        self.width, self.n_residual, self.separable = width, n_residual, separable
        self.n_styles, self.grain = n_styles, float(grain)
        if grain:  # fixed at inference, drawn from a seed: no weights, old model files load
            field = torch.randn((1, 3, *GRAIN_CELLS), generator=torch.Generator().manual_seed(0))
            self.register_buffer("grain_field", field, persistent=False)
        # The picture px (y, x) at the top-left of the net's input: (0, 0) for a photo; a tile
        # or a video window sets where it lies (grain_at), so all read one field.
        self.grain_origin = (0, 0)

    @classmethod
    def min_side(cls, margin: int | None = None) -> int:
        """For ``margin`` px of reflected border (default :attr:`margin`; 0 in training)."""
        m, margin = cls.multiple, cls.margin if margin is None else margin
        return max(2 * m, -(-(margin + 1) // m) * m) if margin else 2 * m

    @contextlib.contextmanager
    def grain_at(self, origin: tuple[int, int]) -> Iterator[None]:
        """Within the block the net's input starts at picture px ``origin`` (y, x): a tile of
        the picture, a window of a video frame (in the scene's coordinates)."""
        saved, self.grain_origin = self.grain_origin, (int(origin[0]), int(origin[1]))
        try:
            yield
        finally:
            self.grain_origin = saved

    def grained(self, y: Tensor, top: Tensor | int = 0, left: Tensor | int = 0) -> Tensor:
        """``y`` (B, 3, H, W) plus :attr:`grain` × noise: fresh per image in training; at
        inference the fixed field, ``y``'s top-left pixel at picture px (``top``, ``left``)
        (negative over a padding margin)."""
        if not self.grain:
            return y
        h, w = y.shape[-2], y.shape[-1]
        if self.training:
            cells = (-(-h // GRAIN_CELL), -(-w // GRAIN_CELL))
            field = torch.randn((y.shape[0], 3, *cells), device=y.device)
            noise = F.interpolate(field, scale_factor=GRAIN_CELL, mode="bilinear")[..., :h, :w]
        else:
            noise = grain_noise(self.grain_field, top, left, h, w)
        return y + self.grain * noise.to(y.dtype)

    @property
    def model_args(self) -> dict[str, int | bool | str]:
        """Plain constructor arguments: ``build_net(**net.model_args)`` rebuilds the net.
        ``n_styles`` only when > 1 and ``grain`` only when set, so nets without them describe
        themselves as before."""
        args: dict[str, int | bool | str] = {
            "arch": self.arch,
            "width": self.width,
            "n_residual": self.n_residual,
            "separable": self.separable,
        }
        if self.n_styles > 1:
            args["n_styles"] = self.n_styles
        if self.grain:
            args["grain"] = self.grain
        return args

    def style_mix(self, style: int | torch.Tensor | None) -> torch.Tensor | None:
        """The mix the conditional norms use: None for a single-style net; else (N,) or (B, N)
        weights from an index, a (B,) tensor of indices, or weights given as (N,) / (B, N), or
        a mix per pixel (B, N, H, W) of the input's H, W (regional styles)."""
        n = self.n_styles
        if n == 1:
            if style is not None:
                raise ValueError("this net holds one style: call it without style=")
            return None
        if style is None:
            raise ValueError(f"this net holds {n} styles: pass style= (an index or a mix)")
        if isinstance(style, int):
            style = torch.tensor(style)
        style = style.to(next(self.parameters()).device)
        if not style.is_floating_point():  # indices: one-hot rows
            return torch.nn.functional.one_hot(style, n).float()
        if style.dim() == 4 and style.shape[1] == n:
            return style
        if style.shape[-1] != n or style.dim() not in (1, 2):
            raise ValueError(
                f"a style mix has shape ({n},), (B, {n}) or (B, {n}, H, W), got "
                f"{tuple(style.shape)}"
            )
        return style

    def body(self, y: torch.Tensor) -> torch.Tensor:
        """The layers between padding and sigmoid: (B, 3, H, W) centred on 0, H and W multiples
        of :attr:`multiple` and >= :meth:`min_side` -> (B, 3, H, W) logits. Shared with the
        exporters."""
        raise NotImplementedError

    def forward(
        self, x: torch.Tensor, style: int | torch.Tensor | None = None, margin: int | None = None
    ) -> torch.Tensor:
        """``style``: for a multi-style net, which style (see :meth:`style_mix`); else None.
        ``margin``: px of reflected border around the image (default :attr:`margin`; training
        passes 0)."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"expected an RGB batch of shape (B, 3, H, W), got {tuple(x.shape)}")
        h, w = x.shape[-2:]
        # Pad each side up to a multiple of the total stride and to at least min_side. Split the
        # padding evenly so the image stays centred in what the net sees, then crop it back out.
        margin = self.margin if margin is None else margin
        m, smallest = self.multiple, self.min_side(margin)
        (top, bottom), (left, right) = (stride_padding(n, m, smallest) for n in (h, w))

        def pad(t: torch.Tensor) -> torch.Tensor:
            t = pad_axis(pad_axis(t, left, right, dim=-1), top, bottom, dim=-2)
            if margin:  # after the stride padding: reflection then always has the side it needs
                t = pad_axis(pad_axis(t, margin, margin, dim=-1), margin, margin, dim=-2)
            return t

        y = pad(x)
        mix = self.style_mix(style)
        if mix is not None and mix.dim() == 4:  # a mix per pixel: padded as the image is
            if mix.shape[-2:] != x.shape[-2:]:
                raise ValueError(f"a style map of {tuple(mix.shape)} for an image of {h}x{w}")
            mix = pad(mix)
        top, left = top + margin, left + margin
        # Centre the input on zero. The first InstanceNorm would remove a constant offset anyway,
        # but near-zero-mean activations keep its variance free of cancellation error in bf16.
        with styled(self, mix) if mix is not None else contextlib.nullcontext():
            oy, ox = self.grain_origin
            y = self.body(self.grained(y - 0.5, oy - top, ox - left))
        # Sigmoid, not clamp: it keeps the output in [0, 1] while still passing a gradient for
        # pixels pushed past the range (a clamp would give them zero gradient).
        y = torch.sigmoid(y)
        y = y[..., top : top + h, left : left + w]
        # Under autocast the body runs in reduced precision; images stay in the caller's dtype.
        return y.to(x.dtype)
