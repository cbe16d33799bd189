"""The feed-forward image transformation networks: Johnson et al. (2016) and brushwork's fast layout.

"Perceptual Losses for Real-Time Style Transfer and Super-Resolution": a fully convolutional
encoder / residual body / decoder that maps a content image to a stylized one in a single pass,
with the usual later refinements: instance normalization instead of batch normalization
(Ulyanov et al. 2016), reflection padding instead of zero padding, and nearest-neighbour
upsampling + convolution instead of transposed convolution (Odena et al. 2016).

Both nets share one frame, :class:`TransformerNet`: pad to the total stride → ``body`` →
sigmoid → crop. Only ``body`` differs. ``build_net(**model_config)`` builds one by name;
``net.arch_args`` gives those arguments back (the model file and checkpoints store them).

Contract of every net: input (B, 3, H, W) RGB in [0, 1], any H, W >= 1; output the same shape, in
[0, 1], in the input's dtype (also under autocast). Each image is processed independently
(instance norm, no batch statistics), so results do not depend on the batch or on train/eval mode.
"""

from __future__ import annotations

import contextlib
import inspect
from typing import ClassVar

import torch
from torch import nn

from brushwork.errors import BrushworkError, check_choice
from brushwork.nn.conditional import norm_layer, styled
from brushwork.nn.layers import BoxFilter, ConvLayer, ResidualBlock, UpsampleConvLayer, pad_axis


def _norm_relu(ch: int, n_styles: int) -> list[nn.Module]:
    return [norm_layer(ch, n_styles), nn.ReLU()]


class TransformerNet(nn.Module):
    """The frame shared by every architecture; subclasses define ``body`` and two constants.

    ``multiple``: the total stride (H and W are padded to a multiple of it so that downsampling
    and upsampling round-trip exactly). ``margin``: px of reflected border the net also sees
    around the image at inference and crops off again. A net trained on crops paints a frame
    along them (brighter, busier strokes in the outer ~16 px, measured: ``benchmark.py grid``);
    with the margin that frame falls outside the picture. A multiple of every stride, so the
    image keeps its phase on the stride grid (tiling and stable video rely on it). Training
    passes ``margin=0``: the frame costs the loss little and the margin +10 % of a step.
    ``min_side``: the smallest side the exported graphs accept: twice the stride (the 3x3 convs
    at the lowest resolution reflect-pad by 1 and need >= 2 px there) and more than the margin
    (reflection needs it). The eager net pads smaller images up to it; exported graphs
    (brushwork.infer.exporters) need callers to.
    """

    arch: ClassVar[str]
    multiple: ClassVar[int]
    margin: ClassVar[int] = 32

    def __init__(self, width: int, n_residual: int, separable: bool, n_styles: int = 1) -> None:
        super().__init__()
        if width < 1 or n_residual < 0 or n_styles < 1:
            raise BrushworkError(
                "need model.width >= 1, model.n_residual >= 0 and at least one style, got "
                f"{width}, {n_residual}, {n_styles}"
            )
        self.width, self.n_residual, self.separable = width, n_residual, separable
        self.n_styles = n_styles

    @classmethod
    def min_side(cls, margin: int | None = None) -> int:
        """For ``margin`` px of reflected border (default :attr:`margin`; 0 in training)."""
        m, margin = cls.multiple, cls.margin if margin is None else margin
        return max(2 * m, -(-(margin + 1) // m) * m) if margin else 2 * m

    @property
    def arch_args(self) -> dict[str, int | bool | str]:
        """Plain constructor arguments: ``build_net(**net.arch_args)`` rebuilds the net.
        ``n_styles`` only when > 1, so single-style nets describe themselves as before."""
        args: dict[str, int | bool | str] = {
            "arch": self.arch,
            "width": self.width,
            "n_residual": self.n_residual,
            "separable": self.separable,
        }
        if self.n_styles > 1:
            args["n_styles"] = self.n_styles
        return args

    def style_mix(self, style: int | torch.Tensor | None) -> torch.Tensor | None:
        """The mix the conditional norms use: None for a single-style net; else (N,) or (B, N)
        weights from an index, a (B,) tensor of indices, or weights given as (N,) / (B, N)."""
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
        if style.shape[-1] != n or style.dim() not in (1, 2):
            raise ValueError(f"a style mix has shape ({n},) or (B, {n}), got {tuple(style.shape)}")
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
        ph = max(smallest, -(-h // m) * m) - h
        pw = max(smallest, -(-w // m) * m) - w
        top, left = ph // 2, pw // 2
        y = pad_axis(x, left, pw - left, dim=-1)
        y = pad_axis(y, top, ph - top, dim=-2)
        if margin:  # after the stride padding: reflection then always has the side it needs
            y = pad_axis(pad_axis(y, margin, margin, dim=-1), margin, margin, dim=-2)
            top, left = top + margin, left + margin
        # Centre the input on zero. The first InstanceNorm would remove a constant offset anyway,
        # but near-zero-mean activations keep its variance free of cancellation error in bf16.
        mix = self.style_mix(style)
        with styled(self, mix) if mix is not None else contextlib.nullcontext():
            y = self.body(y - 0.5)
        # Sigmoid, not clamp: it keeps the output in [0, 1] while still passing a gradient for
        # pixels pushed past the range (a clamp would give them zero gradient).
        y = torch.sigmoid(y)
        y = y[..., top : top + h, left : left + w]
        # Under autocast the body runs in reduced precision; images stay in the caller's dtype.
        return y.to(x.dtype)


class JohnsonNet(TransformerNet):
    """Johnson et al.'s network, scaled by a base ``width`` w (every conv but the last is
    followed by InstanceNorm2d(affine=True) and ReLU)::

        conv 9x9 3->w | conv 3x3/2 w->2w | conv 3x3/2 2w->4w          (encoder, H/4 x W/4)
        n_residual x ResidualBlock(4w)                                 (body)
        upsample-conv 3x3 4w->2w | upsample-conv 3x3 2w->w | conv 9x9 w->3   (decoder)

    ``JohnsonNet()`` (w=32, 5 blocks) is the paper's network, ~1.68 M parameters. ``separable``
    makes the residual convs depthwise-separable (the ``fast`` config).
    """

    arch = "johnson"
    multiple = 4  # two stride-2 convs

    def __init__(
        self, width: int = 32, n_residual: int = 5, separable: bool = False, n_styles: int = 1
    ) -> None:
        super().__init__(width, n_residual, separable, n_styles)
        w, n = width, n_styles
        # Convs feeding an InstanceNorm2d have no bias: its mean subtraction cancels it exactly.
        # One layer of the paper's table per line (kept by fmt: skip).
        self.encoder = nn.Sequential(
            ConvLayer(3, w, 9, bias=False), *_norm_relu(w, n),
            ConvLayer(w, 2 * w, 3, stride=2, bias=False), *_norm_relu(2 * w, n),
            ConvLayer(2 * w, 4 * w, 3, stride=2, bias=False), *_norm_relu(4 * w, n),
        )  # fmt: skip
        self.residuals = nn.Sequential(
            *(ResidualBlock(4 * w, separable, n) for _ in range(n_residual))
        )
        self.decoder = nn.Sequential(
            UpsampleConvLayer(4 * w, 2 * w, 3, bias=False), *_norm_relu(2 * w, n),
            UpsampleConvLayer(2 * w, w, 3, bias=False), *_norm_relu(w, n),
            ConvLayer(w, 3, 9),
        )  # fmt: skip

    def body(self, y: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.residuals(self.encoder(y)))


class ShuffleNet(TransformerNet):
    """brushwork's fast layout. Johnson's full- and half-resolution layers cost most of the time
    at high resolution (many channels over many pixels, memory-bound): here lossless pixel
    (un)shuffles (Shi et al. 2016) replace them, and the body runs at 1/8 resolution, where twice
    the channels cost less and see twice as far (what the deep style layers reward, measured)::

        pixel-unshuffle 4 (3 -> 48 ch) | conv 3x3 48->4w                 (a, H/4 x W/4)
        conv 3x3/2 4w->8w | n_residual x ResidualBlock(8w)               (body, H/8 x W/8)
        conv 1x1 8w->4w | bilinear x2, + a (skip)                        (H/4 x W/4)
        IN, ReLU | conv 3x3 4w->48 | pixel-shuffle 4 | 4x4 box filter

    A pixel-shuffled output alone paints a pattern locked to the 4-px grid (each of the 16
    phases has its own weights); the fixed box filter (Sugawara et al. 2019) has zeros at
    exactly those frequencies (k/4 cycles per px) and removes it (docs/BENCHMARKS.md).

    ``upsample`` names the way up from 1/8 to 1/4 (model files record it): ``bilinear`` (conv
    1x1 8w->4w at 1/8, then bilinear x2), which treats every phase alike. A pixel shuffle there
    gave each of the 4 phases at 1/4 its own weights: a pattern locked to the 8-px grid that the
    4x4 box filter cannot cancel (docs/BENCHMARKS.md, "Grid patterns and borders").
    """

    arch = "shuffle"
    multiple = 8  # pixel-unshuffle 4, then one stride-2 conv
    UPSAMPLE = ("bilinear",)

    def __init__(
        self,
        width: int = 16,
        n_residual: int = 5,
        separable: bool = True,
        n_styles: int = 1,
        upsample: str = "bilinear",
    ) -> None:
        super().__init__(width, n_residual, separable, n_styles)
        self.upsample = check_choice("model.upsample", upsample, self.UPSAMPLE)
        n = n_styles
        w, block = width, 3 * 4**2  # RGB of a 4x4 block as channels
        self.encoder = nn.Sequential(
            nn.PixelUnshuffle(4), ConvLayer(block, 4 * w, 3, bias=False), *_norm_relu(4 * w, n)
        )
        self.down = nn.Sequential(
            ConvLayer(4 * w, 8 * w, 3, stride=2, bias=False), *_norm_relu(8 * w, n)
        )
        self.residuals = nn.Sequential(
            *(ResidualBlock(8 * w, separable, n) for _ in range(n_residual))
        )
        # No norm before the skip sum: the decoder's InstanceNorm normalises the sum.
        # Conv first: the 1x1 conv costs 4x less at 1/8 than at 1/4.
        self.up = nn.Sequential(
            nn.Conv2d(8 * w, 4 * w, 1, bias=False),
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        )
        self.decoder = nn.Sequential(
            *_norm_relu(4 * w, n), ConvLayer(4 * w, block, 3), nn.PixelShuffle(4), BoxFilter(4)
        )

    @property
    def arch_args(self) -> dict[str, int | bool | str]:
        return super().arch_args | {"upsample": self.upsample}

    def body(self, y: torch.Tensor) -> torch.Tensor:
        a = self.encoder(y)
        return self.decoder(a + self.up(self.residuals(self.down(a))))


NETS: dict[str, type[TransformerNet]] = {net.arch: net for net in (JohnsonNet, ShuffleNet)}


def net_class(arch: str) -> type[TransformerNet]:
    """The class of architecture ``arch`` (``johnson`` or ``shuffle``)."""
    return NETS[check_choice("model.arch", arch, NETS)]


def build_net(arch: str = "shuffle", **kwargs: int | bool | str | None) -> TransformerNet:
    """``build_net(**cfg.model)``: the net named ``arch`` with its constructor's ``kwargs``
    (None values are left out: a layout-specific option unset means the layout's default)."""
    cls = net_class(arch)
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    unknown = sorted(set(kwargs) - set(inspect.signature(cls.__init__).parameters))
    if unknown:
        options = ", ".join(f"model.{k}" for k in unknown)
        raise BrushworkError(f"{options}: not an option of the {arch} layout")
    return cls(**kwargs)


def min_side(arch: str) -> int:
    """Smallest image side the exported graph of architecture ``arch`` accepts."""
    return net_class(arch).min_side()
