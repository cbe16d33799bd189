"""Grid patterns and border frames: the measures (scripts/benchmarks/measures.py) and the net's
inference margin that keeps the frame out of the picture."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from measures import border_frame, grid_pattern

from brushwork.nn.nets import build_net


def _noise(h: int = 96, w: int = 128, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(1, 3, h, w, generator=g) * 0.5 + 0.25


def test_grid_pattern_sees_a_pattern_on_its_period_and_not_elsewhere() -> None:
    flat = torch.full((1, 3, 64, 64), 0.5)
    assert grid_pattern(flat, 4) == 0 and grid_pattern(flat, 8) == 0
    # One bright pixel in every 8x8 cell: the phase means spread by exactly its excess.
    cells = flat.clone()
    cells[..., ::8, ::8] += 0.2
    assert grid_pattern(cells, 8) == pytest.approx(0.2)
    assert grid_pattern(cells, 4) == pytest.approx(0.05)  # a quarter of the 4-px cells hold one
    # An 8-px pattern is invisible at periods that do not divide it, e.g. 3.
    assert grid_pattern(cells[..., :63, :63], 3) < 0.02
    # Noise has no grid: its spread shrinks with the image.
    assert grid_pattern(_noise(256, 256), 8) < 0.03
    with pytest.raises(ValueError, match="no whole 8-px period"):
        grid_pattern(flat[..., :5, :], 8)


def test_border_frame_measures_a_brighter_and_a_busier_edge() -> None:
    x = _noise()
    plain = border_frame(x)
    assert plain["shift"] < 0.01 and plain["detail"] == pytest.approx(1.0, abs=0.05)
    bright = x.clone()
    bright[..., :16, :] += 0.2  # the top edge only: a quarter of the sides
    assert border_frame(bright)["shift"] == pytest.approx(0.05, abs=0.005)
    busy = F.avg_pool2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), 5, 1)  # smooth everywhere...
    busy[..., :, :16] = x[..., :, :16]  # ...but the left edge keeps its full contrast
    assert border_frame(busy)["detail"] > 1.5
    with pytest.raises(ValueError, match="sides >= 48 px"):
        border_frame(x[..., :40, :])


@pytest.mark.parametrize("arch", ["johnson", "shuffle"])
def test_the_margin_is_reflected_border_cropped_off_again(arch: str) -> None:
    torch.manual_seed(0)
    net = build_net(arch, width=4, n_residual=1).eval()
    e = net.margin
    assert e % net.multiple == 0  # the image keeps its phase on the stride grid
    x = _noise(48, 64)  # sides on every stride grid: no stride padding
    with torch.no_grad():
        by_hand = net(F.pad(x, (e, e, e, e), mode="reflect"), margin=0)[..., e:-e, e:-e]
        torch.testing.assert_close(net(x), by_hand, rtol=0, atol=1e-6)
        # It changes the picture (mostly at the borders), and training's margin=0 skips it.
        bare = net(x, margin=0)
    diff = (net(x) - bare).abs().mean(dim=(0, 1))
    assert diff.max() > 0
    assert diff[:8].mean() > diff[20:28].mean()  # the edge rows move most


def test_small_images_pass_through_the_margin() -> None:
    net = build_net("shuffle", width=4, n_residual=1).eval()
    for h, w in [(1, 1), (5, 3), (39, 41), (2, 90)]:
        with torch.no_grad():
            y = net(torch.rand(1, 3, h, w))
        assert y.shape == (1, 3, h, w) and y.min() >= 0 and y.max() <= 1
