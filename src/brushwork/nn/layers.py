"""Building blocks of the image transformation networks (:mod:`brushwork.nn.nets`).

All blocks take and return (B, C, H, W) tensors; the shapes are in each docstring.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from brushwork.nn.conditional import norm_layer


class ConvLayer(nn.Module):
    """Reflection padding of ``dilation * (kernel // 2)`` then a Conv2d: (B, in_ch, H, W) ->
    (B, out_ch, H', W').

    With an odd kernel, H' = ceil(H / stride). Reflection (not zero) padding keeps the borders free
    of the dark frame that zero padding teaches the network to paint.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel: int,
        stride: int = 1,
        *,
        groups: int = 1,
        bias: bool = True,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        self.pad = nn.ReflectionPad2d(dilation * (kernel // 2))
        self.conv = nn.Conv2d(
            in_ch, out_ch, kernel, stride, groups=groups, bias=bias, dilation=dilation
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pad(x))


class SeparableConvLayer(nn.Module):
    """Depthwise ``kernel`` x ``kernel`` conv (reflection padded) then a pointwise 1x1 conv.

    (B, in_ch, H, W) -> (B, out_ch, H, W). Costs ``in_ch * k^2 + in_ch * out_ch`` weights instead
    of ``in_ch * out_ch * k^2`` (about 8x fewer for 3x3 at 128 channels).
    """

    def __init__(
        self, in_ch: int, out_ch: int, kernel: int = 3, *, bias: bool = True, dilation: int = 1
    ) -> None:
        super().__init__()
        # No depthwise bias: the pointwise conv right after is linear, so it would fold into
        # the pointwise bias.
        self.depthwise = ConvLayer(
            in_ch, in_ch, kernel, groups=in_ch, bias=False, dilation=dilation
        )
        self.pointwise = nn.Conv2d(in_ch, out_ch, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def _conv3x3(channels: int, separable: bool, dilation: int = 1) -> nn.Module:
    # bias=False: an InstanceNorm2d always follows, and its mean subtraction cancels a conv bias
    # exactly (its affine shift plays that role instead), so the bias would only be dead weight.
    if separable:
        return SeparableConvLayer(channels, channels, 3, bias=False, dilation=dilation)
    return ConvLayer(channels, channels, 3, bias=False, dilation=dilation)


class ResidualBlock(nn.Module):
    """conv3x3 -> IN -> ReLU -> conv3x3 -> IN, plus the identity: (B, C, H, W) -> (B, C, H, W).

    As in He et al. (2016) / Gross & Wilber, with no ReLU after the addition, so the block can
    leave its input unchanged. ``separable=True`` makes each 3x3 conv depthwise-separable: a
    cheaper variant (about 8x fewer weights per block at 128 channels) for small, fast models.
    ``n_styles > 1``: conditional instance norms (brushwork.nn.conditional). ``dilation``: the
    3x3 convs' dilation (a wider reach at the same cost).
    """

    def __init__(
        self, channels: int, separable: bool = False, n_styles: int = 1, dilation: int = 1
    ) -> None:
        super().__init__()
        self.conv1 = _conv3x3(channels, separable, dilation)
        self.in1 = norm_layer(channels, n_styles)
        self.conv2 = _conv3x3(channels, separable, dilation)
        self.in2 = norm_layer(channels, n_styles)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.in1(self.conv1(x)))
        return x + self.in2(self.conv2(y))


class UpsampleConvLayer(nn.Module):
    """Nearest-neighbour upsampling by ``upsample`` then a reflection-padded conv.

    (B, in_ch, H, W) -> (B, out_ch, H * upsample, W * upsample). Used instead of a transposed
    convolution, whose uneven kernel overlap paints checkerboard artefacts (Odena et al. 2016).
    """

    def __init__(
        self, in_ch: int, out_ch: int, kernel: int, upsample: int = 2, *, bias: bool = True
    ) -> None:
        super().__init__()
        self.upsample = upsample
        self.conv = ConvLayer(in_ch, out_ch, kernel, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample > 1:
            x = F.interpolate(x, scale_factor=self.upsample, mode="nearest")
        return self.conv(x)


class BoxFilter(nn.Module):
    """Fixed ``size`` x ``size`` mean filter, edge-padded: (B, C, H, W) -> (B, C, H, W).

    Its frequency response is zero at k/size cycles per px (k = 1 .. size-1): after a
    pixel-shuffle by ``size`` it cancels any pattern repeating on that grid. An even size
    centres it half a pixel off; the learned layers before it absorb that.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        before = (self.size - 1) // 2
        x = F.pad(x, (before, self.size - 1 - before) * 2, mode="replicate")
        return F.avg_pool2d(x, self.size, stride=1)


def pad_axis(x: torch.Tensor, before: int, after: int, dim: int) -> torch.Tensor:
    """Pad dim -1 (W) or -2 (H) by (before, after): reflect where the side is long enough."""
    if before == 0 and after == 0:
        return x
    # Reflection needs pad < side; a 1-3 px side (1xN strips, 2x2 crops) falls back to
    # repeating the edge pixel, which is the only thing such a side has to offer anyway.
    mode = "reflect" if max(before, after) < x.shape[dim] else "replicate"
    pad = (before, after, 0, 0) if dim == -1 else (0, 0, before, after)
    return F.pad(x, pad, mode=mode)


def count_parameters(module: nn.Module, trainable: bool = False) -> int:
    """Number of scalar parameters in ``module``: all of them, or only those that require grad."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable)
