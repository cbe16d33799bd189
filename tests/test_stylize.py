"""The inference API: sizes, strength, colour, batching, tiling without seams or colour shifts."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from brushwork.errors import BrushworkError
from brushwork.infer.model_file import export_model
from brushwork.infer.stylizer import DEFAULT_TILE, Stylizer
from brushwork.infer.tiling import GRID, _window, spans
from brushwork.nn.color import rgb_to_yiq
from brushwork.nn.nets import JohnsonNet, ShuffleNet


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    net = JohnsonNet(width=4, n_residual=1)
    return export_model(net, tmp_path_factory.mktemp("m") / "tiny.pt", [{"name": "tiny"}])


@pytest.fixture(scope="module")
def stylizer(model_path) -> Stylizer:
    return Stylizer(model_path, device="cpu", tile=0)


@pytest.mark.parametrize("hw", [(37, 45), (1, 17), (17, 1), (1, 1), (2, 3), (5, 64)])
def test_output_has_exactly_the_input_size(stylizer, hw):
    x = torch.rand(1, 3, *hw)
    y = stylizer(x)
    assert y.shape == x.shape and y.dtype == torch.float32
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0


def test_max_size_shrinks_but_never_enlarges(stylizer):
    assert stylizer(torch.rand(1, 3, 40, 64), max_size=32).shape == (1, 3, 20, 32)
    assert stylizer(torch.rand(1, 3, 20, 30), max_size=32).shape == (1, 3, 20, 30)


def test_strength_zero_returns_the_input_and_half_blends(stylizer):
    x = torch.rand(1, 3, 24, 20)
    assert torch.equal(stylizer(x, strength=0.0), x)
    full = stylizer(x)
    torch.testing.assert_close(stylizer(x, strength=0.5), (x + full) / 2)


@pytest.mark.parametrize("strength", [1.5, -0.1, float("nan"), "1"])
def test_bad_strength_is_a_user_error(stylizer, strength):
    with pytest.raises(BrushworkError, match="strength"):
        stylizer(torch.rand(1, 3, 8, 8), strength=strength)


def test_preserve_color_keeps_the_content_chroma(stylizer, tubingen):
    plain = stylizer(tubingen)
    kept = stylizer(tubingen, preserve_color=True)
    yiq_in, yiq_out = rgb_to_yiq(tubingen), rgb_to_yiq(kept)
    assert (yiq_out[:, 1:] - yiq_in[:, 1:]).abs().mean() < 0.01  # I, Q from the photo
    torch.testing.assert_close(yiq_out[:, :1], rgb_to_yiq(plain)[:, :1], atol=0.05, rtol=0)
    assert (yiq_out[:, :1] - yiq_in[:, :1]).abs().mean() > 0.02  # Y is the stylized one


def test_batch_equals_one_by_one(stylizer):
    x = torch.rand(3, 3, 20, 28)
    torch.testing.assert_close(stylizer(x), torch.cat([stylizer(x[i : i + 1]) for i in range(3)]))


@pytest.mark.parametrize("grid", [GRID, 8])  # the conv and shuffle layouts' strides
@pytest.mark.parametrize(("length", "overlap"), [(65, 16), (100, 16), (257, 16), (1001, 0)])
def test_tile_spans_cover_the_axis_on_the_grid_with_weights_summing_to_one(length, overlap, grid):
    axis = spans(length, 64, overlap, grid)
    assert axis[0][0] == 0 and axis[-1][1] == length
    before = (-length % grid) // 2
    total = torch.zeros(length)
    for (s, e, pb, pa, _), w in zip(axis, _window(axis, length), strict=True):
        assert e - s + pb + pa == 64 and (s - pb + before) % grid == 0  # on the untiled grid
        total[s:e] += w
    torch.testing.assert_close(total, torch.ones(length))


def test_tiled_shuffle_net_matches_untiled(data_dir, tmp_path):
    # Pixel-shuffle nets see tiles on the same 4-px grid as the whole image: no phase shift.
    from brushwork.io.images import load_image

    torch.manual_seed(0)
    net = ShuffleNet(width=4, n_residual=1, separable=True)
    model = export_model(net, tmp_path / "shuffle.pt", [{"name": "tiny"}])
    x = load_image(data_dir / "content" / "tubingen.jpg", 160)
    untiled = Stylizer(model, device="cpu", tile=0)(x)
    tiled = Stylizer(model, device="cpu", tile=64, overlap=16)(x)
    assert (tiled - untiled).abs().mean() < 0.02  # measured 0.010


def test_tiled_output_matches_untiled(model_path, data_dir):
    from brushwork.io.images import load_image

    x = load_image(data_dir / "content" / "tubingen.jpg", 160)  # 120 x 160: 2 x 3 tiles of 64
    plain = Stylizer(model_path, device="cpu", tile=0)
    untiled = plain(x)
    tiled = Stylizer(model_path, device="cpu", tile=64, overlap=16)(x)
    assert tiled.shape == untiled.shape
    assert (tiled - untiled).abs().mean() < 0.02  # measured 0.006
    # Statistics from a pass at a quarter of the pixels, as for images too big for one pass: a
    # small scale bias (less on large photos: 0.008 at 1536 x 2048 with half the side).
    approx = Stylizer(model_path, device="cpu", tile=64, overlap=16, stats_pixels=120 * 160 // 4)
    assert (approx(x) - untiled).abs().mean() < 0.035  # measured 0.024
    # Naive tiling (each tile normalised on its own) shifts colours per tile: measured 0.056.
    naive = torch.zeros_like(x)
    for r in range(0, 120, 60):
        for c in range(0, 160, 80):
            naive[..., r : r + 60, c : c + 80] = plain(x[..., r : r + 60, c : c + 80])
    assert (naive - untiled).abs().mean() > 2 * (tiled - untiled).abs().mean()


def test_tile_choice(model_path):
    auto = Stylizer(model_path, device="cpu")
    assert auto.tile_size(1000, 1000) is None and auto.tile_size(6000, 8000) == DEFAULT_TILE
    assert Stylizer(model_path, device="cpu", tile=0).tile_size(6000, 8000) is None
    fixed = Stylizer(model_path, device="cpu", tile=256)
    assert fixed.tile_size(200, 256) is None and fixed.tile_size(200, 300) == 256


def test_bf16_autocast_on_cpu_runs(model_path):
    x = torch.rand(1, 3, 24, 32)
    y = Stylizer(model_path, device="cpu", precision="bf16")(x)
    assert y.dtype == torch.float32 and y.shape == x.shape
    assert (y - Stylizer(model_path, device="cpu")(x)).abs().mean() < 0.05


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"precision": "fp16"}, "fp16 needs a GPU"),
        ({"precision": "int8"}, "unknown precision 'int8'; choose one of: fp32"),
        ({"tile": 10}, "tile must be"),
        ({"device": "tpu"}, "unknown device"),
    ],
)
def test_bad_settings_are_user_errors(model_path, kwargs, match):
    with pytest.raises(BrushworkError, match=match):
        Stylizer(model_path, **{"device": "cpu", **kwargs})


def test_missing_model_is_a_user_error(tmp_path):
    with pytest.raises(BrushworkError, match="not found"):
        Stylizer(tmp_path / "nope.pt", device="cpu")
