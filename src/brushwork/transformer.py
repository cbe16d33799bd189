"""The feed-forward image transformation network of Johnson et al. (2016).

"Perceptual Losses for Real-Time Style Transfer and Super-Resolution": a fully convolutional
encoder / residual body / decoder that maps a content image to a stylized one in a single pass.
The layout follows the paper's supplementary material and pytorch/examples ``fast_neural_style``,
with the usual later refinements: instance normalization instead of batch normalization
(Ulyanov et al. 2016), reflection padding instead of zero padding, and nearest-neighbour
upsampling + convolution instead of transposed convolution (Odena et al. 2016).

Image convention throughout: float32 RGB in [0, 1], shape (B, 3, H, W).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Total stride (H and W are padded to a multiple of it to come back to the same size) per layout:
# conv: two stride-2 convs; shuffle: pixel-unshuffle 4, then one stride-2 conv.
MULTIPLE = {"conv": 4, "shuffle": 8}
RESAMPLE = tuple(MULTIPLE)


def min_side(resample: str) -> int:
    """Smallest side the layout's layers accept: twice its total stride (8 for ``conv``, 16 for
    ``shuffle``). The 3x3 convs at the lowest resolution reflect-pad by 1 and need >= 2 px there
    (the 9x9 convs of ``conv`` need >= 5 px at full size). The eager net pads smaller images up
    to it; exported graphs (brushwork.formats) need callers to."""
    return 2 * MULTIPLE[resample]


class ConvLayer(nn.Module):
    """Reflection padding of ``kernel // 2`` then a Conv2d: (B, in_ch, H, W) -> (B, out_ch, H', W').

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
    ) -> None:
        super().__init__()
        self.pad = nn.ReflectionPad2d(kernel // 2)
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride, groups=groups, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.pad(x))


class SeparableConvLayer(nn.Module):
    """Depthwise ``kernel`` x ``kernel`` conv (reflection padded) then a pointwise 1x1 conv.

    (B, in_ch, H, W) -> (B, out_ch, H, W). Costs ``in_ch * k^2 + in_ch * out_ch`` weights instead
    of ``in_ch * out_ch * k^2`` (about 8x fewer for 3x3 at 128 channels).
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int = 3, *, bias: bool = True) -> None:
        super().__init__()
        # No depthwise bias: the pointwise conv right after is linear, so it would fold into
        # the pointwise bias.
        self.depthwise = ConvLayer(in_ch, in_ch, kernel, groups=in_ch, bias=False)
        self.pointwise = nn.Conv2d(in_ch, out_ch, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def _conv3x3(channels: int, separable: bool) -> nn.Module:
    # bias=False: an InstanceNorm2d always follows, and its mean subtraction cancels a conv bias
    # exactly (its affine shift plays that role instead), so the bias would only be dead weight.
    if separable:
        return SeparableConvLayer(channels, channels, 3, bias=False)
    return ConvLayer(channels, channels, 3, bias=False)


class ResidualBlock(nn.Module):
    """conv3x3 -> IN -> ReLU -> conv3x3 -> IN, plus the identity: (B, C, H, W) -> (B, C, H, W).

    As in He et al. (2016) / Gross & Wilber, with no ReLU after the addition, so the block can
    leave its input unchanged. ``separable=True`` makes each 3x3 conv depthwise-separable: a
    cheaper variant (about 8x fewer weights per block at 128 channels) for small, fast models.
    """

    def __init__(self, channels: int, separable: bool = False) -> None:
        super().__init__()
        self.conv1 = _conv3x3(channels, separable)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = _conv3x3(channels, separable)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)
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


class TransformerNet(nn.Module):
    """Johnson et al.'s image transformation network, scaled by a base ``width`` w.

    Layout with ``resample="conv"`` (every conv but the last is followed by
    InstanceNorm2d(affine=True) and ReLU)::

        conv 9x9 3->w | conv 3x3/2 w->2w | conv 3x3/2 2w->4w          (encoder, H/4 x W/4)
        n_residual x ResidualBlock(4w)                                 (body)
        upsample-conv 3x3 4w->2w | upsample-conv 3x3 2w->w | conv 9x9 w->3   (decoder)
        sigmoid

    ``TransformerNet()`` (w=32, 5 blocks) is the paper's network, ~1.68 M parameters.

    ``resample="shuffle"`` is brushwork's fast layout. Johnson's full- and half-resolution layers
    cost most of the time at high resolution (many channels over many pixels, memory-bound):
    here lossless pixel (un)shuffles (Shi et al. 2016) replace them, and the body runs at 1/8
    resolution, where twice the channels cost less and see twice as far (what the deep style
    layers relu3/relu4 reward, measured)::

        pixel-unshuffle 4 (3 -> 48 ch) | conv 3x3 48->4w                 (a, H/4 x W/4)
        conv 3x3/2 4w->8w | n_residual x ResidualBlock(8w)               (body, H/8 x W/8)
        conv 1x1 8w->16w | pixel-shuffle 2, + a (skip)                   (H/4 x W/4)
        IN, ReLU | conv 3x3 4w->48 | pixel-shuffle 4 | 4x4 box filter | sigmoid

    A pixel-shuffled output alone paints a pattern locked to the 4-px grid (each of the 16
    phases has its own weights); the fixed box filter (Sugawara et al. 2019) has zeros at
    exactly those frequencies (k/4 cycles per px) and removes it (measured: docs/BENCHMARKS.md).

    Contract: input (B, 3, H, W) RGB in [0, 1], any H, W >= 1; output the same shape, in
    [0, 1], in the input's dtype (also under autocast). Each image is processed independently
    (instance norm, no batch statistics), so results do not depend on the batch or on train/eval
    mode.
    """

    def __init__(
        self, width: int = 32, n_residual: int = 5, separable: bool = False, resample: str = "conv"
    ) -> None:
        super().__init__()
        if width < 1 or n_residual < 0:
            raise ValueError(f"need width >= 1 and n_residual >= 0, got {width}, {n_residual}")
        if resample not in RESAMPLE:
            raise ValueError(f"resample must be one of {', '.join(RESAMPLE)}, got {resample!r}")
        self.width = width
        self.n_residual = n_residual
        self.separable = separable
        self.resample = resample
        w = width

        def norm_relu(ch: int) -> list[nn.Module]:
            return [nn.InstanceNorm2d(ch, affine=True), nn.ReLU()]

        # Convs feeding an InstanceNorm2d have no bias: see _conv3x3.
        if resample == "shuffle":
            block = 3 * 4**2  # RGB of a 4x4 block as channels
            self.encoder = nn.Sequential(
                nn.PixelUnshuffle(4), ConvLayer(block, 4 * w, 3, bias=False), *norm_relu(4 * w)
            )
            self.down = nn.Sequential(
                ConvLayer(4 * w, 8 * w, 3, stride=2, bias=False), *norm_relu(8 * w)
            )
            self.residuals = nn.Sequential(
                *(ResidualBlock(8 * w, separable) for _ in range(n_residual))
            )
            # No norm before the skip sum: the decoder's InstanceNorm normalises the sum.
            self.up = nn.Sequential(nn.Conv2d(8 * w, 16 * w, 1, bias=False), nn.PixelShuffle(2))
            self.decoder = nn.Sequential(
                *norm_relu(4 * w), ConvLayer(4 * w, block, 3), nn.PixelShuffle(4), BoxFilter(4)
            )
            return
        self.encoder = nn.Sequential(
            ConvLayer(3, w, 9, bias=False), *norm_relu(w),
            ConvLayer(w, 2 * w, 3, stride=2, bias=False), *norm_relu(2 * w),
            ConvLayer(2 * w, 4 * w, 3, stride=2, bias=False), *norm_relu(4 * w),
        )  # fmt: skip
        self.residuals = nn.Sequential(
            *(ResidualBlock(4 * w, separable) for _ in range(n_residual))
        )
        self.decoder = nn.Sequential(
            UpsampleConvLayer(4 * w, 2 * w, 3, bias=False), *norm_relu(2 * w),
            UpsampleConvLayer(2 * w, w, 3, bias=False), *norm_relu(w),
            ConvLayer(w, 3, 9),
        )  # fmt: skip

    @property
    def arch_args(self) -> dict[str, int | bool | str]:
        """Constructor arguments, plain values: ``TransformerNet(**net.arch_args)`` rebuilds it."""
        return {
            "width": self.width,
            "n_residual": self.n_residual,
            "separable": self.separable,
            "resample": self.resample,
        }

    @property
    def multiple(self) -> int:
        """The net's total stride: it pads H and W to a multiple of this (tiles align to it)."""
        return MULTIPLE[self.resample]

    def body(self, y: torch.Tensor) -> torch.Tensor:
        """The layers between padding and sigmoid: (B, 3, H, W) centred on 0, H and W multiples
        of :attr:`multiple` and >= 2 x it -> (B, 3, H, W) logits. Shared with the exporters."""
        if self.resample == "shuffle":
            a = self.encoder(y)
            return self.decoder(a + self.up(self.residuals(self.down(a))))
        return self.decoder(self.residuals(self.encoder(y)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"expected an RGB batch of shape (B, 3, H, W), got {tuple(x.shape)}")
        h, w = x.shape[-2:]
        # Pad each side up to a multiple of the total stride (so downsampling and upsampling
        # round-trip exactly) and to at least twice it (so every reflection pad inside the net
        # is valid). Split the padding evenly so the image stays centred in what the net sees,
        # then crop the same box back out.
        m, smallest = self.multiple, min_side(self.resample)
        ph = max(smallest, -(-h // m) * m) - h
        pw = max(smallest, -(-w // m) * m) - w
        top, left = ph // 2, pw // 2
        y = pad_axis(x, left, pw - left, dim=-1)
        y = pad_axis(y, top, ph - top, dim=-2)

        # Centre the input on zero. The first InstanceNorm would remove a constant offset anyway
        # (reflection padding keeps it constant up to the border), but near-zero-mean
        # activations keep its variance free of cancellation error in bf16/fp16.
        y = self.body(y - 0.5)
        # Sigmoid, not clamp: the image convention is [0, 1], and a sigmoid keeps the output
        # there while still passing a gradient for pixels pushed past the range (a clamp would
        # give them zero gradient, and an unbounded output would need clamping at save time).
        y = torch.sigmoid(y)

        y = y[..., top : top + h, left : left + w]
        # Under autocast the body runs in reduced precision; images stay in the caller's dtype.
        return y.to(x.dtype)


def count_parameters(module: nn.Module) -> int:
    """Total number of scalar parameters in ``module``, trainable or frozen."""
    return sum(p.numel() for p in module.parameters())
