"""Conditional instance normalization (Dumoulin et al. 2017): one network, many styles.

Each instance norm holds one (γ, β) row per style; convolutions are shared. A mix (N weights
summing to 1) normalises with γ = Σ_k m_k γ_k; it may vary per pixel (regional styles), averaged
down to each layer's resolution. The mix reaches the layers through the :func:`styled` context,
not ``forward`` arguments, so the nets' blocks stay ``nn.Sequential`` and ONNX sees one more input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ConditionalInstanceNorm2d(nn.Module):
    """Instance norm with one affine pair per style: (B, C, H, W) -> (B, C, H, W).

    Parameters ``weight`` (γ) and ``bias`` (β), each (n_styles, C), initialised as
    ``nn.InstanceNorm2d(affine=True)`` (γ = 1, β = 0). The mix in force (see :func:`styled`) is
    (N,) (one mix for the batch), (B, N) (one per image) or (B, N, H', W') (one per pixel of the
    padded input; H', W' multiples of this layer's H, W). A single-style net uses
    ``nn.InstanceNorm2d`` itself, whose state-dict keys are the same with (C,) shapes.
    """

    def __init__(self, channels: int, n_styles: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.channels, self.n_styles, self.eps = channels, n_styles, eps
        self.weight = nn.Parameter(torch.ones(n_styles, channels))
        self.bias = nn.Parameter(torch.zeros(n_styles, channels))
        self.mix: Tensor | None = None  # set by styled() for one forward pass
        self.pooled: dict[int, Tensor] = {}  # a mix per pixel at each stride, shared by the net

    def forward(self, x: Tensor) -> Tensor:
        return self.affine(F.instance_norm(x, eps=self.eps))

    def affine(self, y: Tensor) -> Tensor:
        """The mixed (γ, β) applied to normalised ``y`` (B, C, H, W); tiling normalises with
        statistics of its own (brushwork.infer.tiling) and then calls this."""
        if self.mix is None:
            raise RuntimeError("a multi-style net runs inside styled(net, mix)")
        mix = self.mix.to(self.weight.dtype)
        if mix.dim() == 4:  # a mix per pixel: averaged over the input pixels each one covers
            k = mix.shape[-1] // y.shape[-1]  # the layer's stride: fixed by the architecture
            if k not in self.pooled:  # once per stride for the whole net
                self.pooled[k] = F.avg_pool2d(mix, k) if k > 1 else mix
            # Σ_k m_k γ_k per pixel: a 1x1 convolution of the map (fast in every runtime).
            gamma = F.conv2d(self.pooled[k], self.weight.t()[:, :, None, None])
            beta = F.conv2d(self.pooled[k], self.bias.t()[:, :, None, None])
            return y * gamma.to(y.dtype) + beta.to(y.dtype)
        gamma = (mix @ self.weight).reshape(-1, self.channels, 1, 1)  # (1 or B, C, 1, 1)
        beta = (mix @ self.bias).reshape(-1, self.channels, 1, 1)
        return y * gamma.to(y.dtype) + beta.to(y.dtype)

    def extra_repr(self) -> str:
        return f"{self.channels}, n_styles={self.n_styles}, eps={self.eps}"


def norm_layer(channels: int, n_styles: int = 1) -> nn.Module:
    """The instance norm of a net holding ``n_styles`` styles: the plain affine one for a single
    style (today's files load unchanged), the conditional one otherwise."""
    if n_styles == 1:
        return nn.InstanceNorm2d(channels, affine=True)
    return ConditionalInstanceNorm2d(channels, n_styles)


def conditional_norms(net: nn.Module) -> list[ConditionalInstanceNorm2d]:
    return [m for m in net.modules() if isinstance(m, ConditionalInstanceNorm2d)]


@contextlib.contextmanager
def styled(net: nn.Module, mix: Tensor | None) -> Iterator[None]:
    """Within the block every conditional norm of ``net`` uses ``mix`` ((N,) or (B, N) weights)."""
    norms = conditional_norms(net)
    pooled: dict[int, Tensor] = {}
    for m in norms:
        m.mix, m.pooled = mix, pooled
    try:
        yield
    finally:
        for m in norms:
            m.mix, m.pooled = None, {}
