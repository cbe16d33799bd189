"""The image transformation networks: Johnson et al. (2016) and brushwork's fast ``shuffle`` layout.

Encoder / residual body / decoder with instance norm (Ulyanov et al. 2016), reflection padding and
upsample + conv (Odena et al. 2016). Both share :class:`brushwork.nn.frame.TransformerNet` and its
contract; only ``body`` differs. ``build_net(**model_args)`` builds one by name; ``net.model_args``
gives the arguments back.
"""

from __future__ import annotations

import inspect

import torch
from torch import nn

from brushwork.errors import BrushworkError, check_choice
from brushwork.nn.conditional import norm_layer
from brushwork.nn.frame import TransformerNet
from brushwork.nn.layers import BoxFilter, ConvLayer, ResidualBlock, UpsampleConvLayer


def _norm_relu(ch: int, n_styles: int) -> list[nn.Module]:
    return [norm_layer(ch, n_styles), nn.ReLU()]


class JohnsonNet(TransformerNet):
    """Johnson et al.'s network, scaled by a base ``width`` w (every conv but the last is
    followed by InstanceNorm2d(affine=True) and ReLU)::

        conv 9x9 3->w | conv 3x3/2 w->2w | conv 3x3/2 2w->4w          (encoder, H/4 x W/4)
        n_residual x ResidualBlock(4w)                                 (body)
        upsample-conv 3x3 4w->2w | upsample-conv 3x3 2w->w | conv 9x9 w->3   (decoder)

    ``JohnsonNet()`` (w=32, 5 blocks) is the paper's network, ~1.68 M parameters. ``separable``
    makes the residual convs depthwise-separable.
    """

    arch = "johnson"
    multiple = 4  # two stride-2 convs

    def __init__(
        self,
        width: int = 32,
        n_residual: int = 5,
        separable: bool = False,
        n_styles: int = 1,
        grain: float = 0.0,
    ) -> None:
        super().__init__(width, n_residual, separable, n_styles, grain)
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
    """brushwork's fast layout: lossless pixel (un)shuffles (Shi et al. 2016) replace Johnson's costly
    full- and half-resolution layers, and the body runs at 1/8, where twice the channels cost less
    and see twice as far (what the deep style layers reward)::

        pixel-unshuffle 4 (3 -> 48 ch) | conv 3x3 48->4w                 (a, H/4 x W/4)
        conv 3x3/2 4w->8w | n_residual x ResidualBlock(8w)               (body, H/8 x W/8)
        conv 1x1 8w->4w | bilinear x2, + a (skip)                        (H/4 x W/4)
        IN, ReLU | conv 3x3 4w->48 | pixel-shuffle 4 | 4x4 box filter

    The fixed 4x4 box filter (Sugawara et al. 2019) has zeros at k/4 cycles per px: it cancels the
    pattern a pixel shuffle locks to the 4-px grid. ``upsample="bilinear"`` (recorded in model files)
    treats every phase alike on the way up from 1/8.
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
        grain: float = 0.0,
        dilation: int = 1,
    ) -> None:
        super().__init__(width, n_residual, separable, n_styles, grain)
        self.upsample = check_choice("model.upsample", upsample, self.UPSAMPLE)
        if isinstance(dilation, bool) or not isinstance(dilation, int) or not 1 <= dilation <= 4:
            raise BrushworkError(f"model.dilation must be 1, 2, 3 or 4, got {dilation!r}")
        self.dilation = dilation
        n = n_styles
        w, block = width, 3 * 4**2  # RGB of a 4x4 block as channels
        self.encoder = nn.Sequential(
            nn.PixelUnshuffle(4), ConvLayer(block, 4 * w, 3, bias=False), *_norm_relu(4 * w, n)
        )
        self.down = nn.Sequential(
            ConvLayer(4 * w, 8 * w, 3, stride=2, bias=False), *_norm_relu(8 * w, n)
        )
        self.residuals = nn.Sequential(
            *(ResidualBlock(8 * w, separable, n, dilation) for _ in range(n_residual))
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
    def model_args(self) -> dict[str, int | bool | str]:
        # dilation only when set: files of nets without it describe themselves as before
        extra = {"dilation": self.dilation} if self.dilation != 1 else {}
        return super().model_args | {"upsample": self.upsample} | extra

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
