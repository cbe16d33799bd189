"""Image-quality and convergence measures for evaluating style nets (see ``brushwork.evaluate.compare``).

* :func:`equivalent_iterations` — where a loss falls on a Gatys loss-vs-iteration curve
  (Johnson et al. 2016, Fig. 5);
* :func:`ssim_luminance` — SSIM of the luminance (Y of YIQ) with a gaussian window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from brushwork.errors import BrushworkError
from brushwork.nn.color import rgb_to_yiq


@dataclass(frozen=True)
class Equivalent:
    """An equivalent iteration count: ``relation`` "=" (interpolated), "<" (below 1) or ">"."""

    iterations: float
    relation: str = "="

    def __str__(self) -> str:
        if self.relation == "=":
            return f"{self.iterations:.1f}"
        return f"{self.relation} {self.iterations:g}"


def equivalent_iterations(loss: float, curve: Sequence[float]) -> Equivalent:
    """Where ``loss`` falls on a Gatys curve, ``curve[i]`` = total loss after i + 1 iterations.

    The curve is first replaced by its running minimum (the best loss reached by each iteration:
    L-BFGS may bump up; non-finite points count as no progress). Result: the first iteration
    whose best loss equals ``loss``, else interpolated between the bracketing iterations k and
    k + 1 linearly in log(loss) (losses fall roughly geometrically); ``< 1`` when ``loss`` is
    worse than iteration 1, ``> N`` when it is better than the last (N = len(curve)).
    """
    if not curve:
        raise ValueError("empty Gatys curve")
    if not math.isfinite(loss):
        raise BrushworkError(f"the network's loss is not finite ({loss})")
    best, run = [], math.inf
    for v in curve:
        run = min(run, v) if math.isfinite(v) else run
        best.append(run)
    if loss > best[0]:
        return Equivalent(1.0, "<")
    if loss < best[-1]:
        return Equivalent(float(len(best)), ">")
    k = next(i for i, v in enumerate(best) if v <= loss)  # k >= 1 unless loss == best[0]
    if best[k] == loss or k == 0:
        return Equivalent(float(k + 1))
    hi, lo = best[k - 1], best[k]  # iterations k and k + 1
    if lo > 0:
        t = (math.log(hi) - math.log(loss)) / (math.log(hi) - math.log(lo))
    else:
        t = (hi - loss) / (hi - lo)
    return Equivalent(k + t)


def ssim_luminance(x: Tensor, y: Tensor, window: int = 11, sigma: float = 1.5) -> Tensor:
    """Mean SSIM (Wang et al. 2004) of the luminance Y of two (B, 3, H, W) images in [0,1] → (B,).

    Gaussian window (``window`` px, shrunk to fit small images, ``sigma`` scaled alike), valid
    convolution, C1 = 0.01², C2 = 0.03² (data range 1).
    """
    if x.shape != y.shape:
        raise ValueError(f"SSIM of differently shaped images {tuple(x.shape)}, {tuple(y.shape)}")
    a = rgb_to_yiq(x.float())[:, :1]  # (B, 1, H, W)
    b = rgb_to_yiq(y.float())[:, :1]
    size = min(window, *a.shape[-2:])
    size -= 1 - size % 2  # odd
    coords = torch.arange(size, dtype=torch.float32, device=a.device) - size // 2
    g = torch.exp(-(coords**2) / (2 * (sigma * size / window) ** 2))
    g = g / g.sum()

    def blur(t: Tensor) -> Tensor:
        t = F.conv2d(t, g.view(1, 1, 1, -1))
        return F.conv2d(t, g.view(1, 1, -1, 1))

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return (num / den).mean(dim=(1, 2, 3))
