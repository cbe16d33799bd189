"""Stroke scale at inference: the guided upsampling, the Stylizer's ``stroke_scale``, the CLI."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from brushwork.errors import BrushworkError
from brushwork.infer.choices import auto_scale, check_stroke_scale
from brushwork.infer.model_file import export_model
from brushwork.infer.strokes import stylize_at_scale
from brushwork.nn.guided import guided_upsample, luminance
from brushwork.nn.nets import ShuffleNet


def test_a_stylization_linear_in_the_photo_is_restored_at_full_resolution() -> None:
    # If the stylized image is exactly a*photo+b at low resolution, the detail the small copy
    # lost comes back at gain a: the full-size result is a*photo+b up to the eps of the fit.
    torch.manual_seed(0)
    guide = F.interpolate(torch.rand(1, 1, 24, 32), (96, 128), mode="bicubic").clamp(0, 1)
    guide = (guide + 0.2 * torch.rand_like(guide)).clamp(0, 1)  # fine detail: the test's point
    small = F.interpolate(guide, (24, 32), mode="area")
    src_small = torch.cat([0.8 * small + 0.1, 1.0 - 0.5 * small], 1)
    out = guided_upsample(small, src_small, guide, eps=1e-6)
    want = torch.cat([0.8 * guide + 0.1, 1.0 - 0.5 * guide], 1)
    inner = (..., slice(8, -8), slice(8, -8))  # away from the replicated borders
    torch.testing.assert_close(out[inner], want[inner], rtol=0, atol=2e-2)
    plain = F.interpolate(src_small, (96, 128), mode="bicubic")  # no detail: far worse
    assert (plain - want)[inner].abs().mean() > 3 * (out - want)[inner].abs().mean()


def test_scale_one_is_the_plain_path_and_odd_sizes_keep_their_shape() -> None:
    calls = []

    def run(t: torch.Tensor) -> torch.Tensor:
        calls.append(tuple(t.shape))
        return t.flip(1)

    x = torch.rand(1, 3, 101, 77)
    assert torch.equal(stylize_at_scale(run, x, 1.0), x.flip(1)) and calls == [(1, 3, 101, 77)]
    for scale in (2.0, 3.0, 4.5):
        out = stylize_at_scale(run, x, scale)
        assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
        assert calls[-1] == (1, 3, round(101 / scale), round(77 / scale))


def test_stylizer_stroke_scale(tmp_path) -> None:
    from brushwork.infer.stylizer import Stylizer

    torch.manual_seed(0)
    model = export_model(
        ShuffleNet(width=4, n_residual=1), tmp_path / "m.pt", [{"name": "m"}], {"train_size": 32}
    )
    x = torch.rand(1, 3, 67, 91)
    plain = Stylizer(model, "cpu", backend="torch")
    one = Stylizer(model, "cpu", backend="torch", stroke_scale=1)
    assert torch.equal(one(x), plain(x))  # S = 1 is bit-identical to today
    for s in (2, "auto"):
        out = Stylizer(model, "cpu", backend="torch", stroke_scale=s)(x, preserve_color=True)
        assert out.shape == x.shape and not torch.equal(out, plain(x))
    assert auto_scale(67, 91, 32) == pytest.approx(91 / 32)
    assert auto_scale(20, 30, 32) == 1.0  # never below 1
    # Strength 0 is still the photo; colour preservation keeps its chroma.
    torch.testing.assert_close(Stylizer(model, "cpu", stroke_scale=3)(x, strength=0.0), x)
    lum = luminance(x)
    assert lum.shape == (1, 1, 67, 91)


@pytest.mark.parametrize(
    ("value", "says"),
    [(0.5, "in [1, 64]"), ("big", "a number >= 1 or auto"), (float("nan"), "in [1, 64]")],
)
def test_bad_stroke_scales(value, says) -> None:
    with pytest.raises(BrushworkError, match=says.replace("[", r"\[").replace("]", r"\]")):
        check_stroke_scale(value)
    with pytest.raises(BrushworkError, match="training crop size"):
        auto_scale(100, 100, None)


def _texture(sigma: float, seed: int = 0) -> torch.Tensor:
    """Noise blurred by a gaussian of ``sigma`` px: a texture of known scale."""
    torch.manual_seed(seed)
    k = 6 * int(sigma) + 1
    g = torch.exp(-((torch.arange(k) - k // 2) ** 2) / (2 * sigma**2))
    g = (g[:, None] * g[None, :] / g.sum() ** 2).expand(3, 1, k, k)
    noise = torch.rand(1, 3, 192, 192)
    return F.conv2d(F.pad(noise, (k // 2,) * 4, mode="reflect"), g, groups=3)


def test_stroke_size_grows_with_the_texture_scale() -> None:
    from measures import stroke_size  # scripts/benchmarks: a study's measure

    sizes = [stroke_size(_texture(s)) for s in (1, 2, 4)]
    assert sizes[0] < sizes[1] < sizes[2]
    assert 1.5 < sizes[1] / sizes[0] < 2.5  # about proportional at small scales
    # A photo's large shapes do not count: a smooth ramp under the texture changes little.
    ramp = torch.linspace(0, 0.5, 192).view(1, 1, 1, 192).expand(1, 3, 192, 192)
    assert stroke_size(_texture(2) * 0.5 + ramp) == pytest.approx(sizes[1], rel=0.15)


def test_stroke_choice_picks_or_blends_trained_sizes() -> None:
    from brushwork.infer.choices import choose

    entries = [{"name": f"s@{px}", "stroke": px} for px in (128, 256, 512)]
    assert choose(entries, stroke=256)[0] == [0.0, 1.0, 0.0]
    weights, label, _ = choose(entries, stroke=362)  # ~ the geometric middle of 256 and 512
    assert weights[0] == 0 and weights[1] == pytest.approx(0.5, abs=0.01) and "362" in label
    for kwargs, says in [
        ({"stroke": 100}, "within the trained sizes 128-512"),
        ({"stroke": 600}, "within the trained sizes 128-512"),
        ({"stroke": 200, "style": "s@128"}, "not with --style/--mix"),
    ]:
        with pytest.raises(BrushworkError, match=says):
            choose(entries, **kwargs)
    with pytest.raises(BrushworkError, match="trained with strokes="):
        choose([{"name": "plain"}, {"name": "other"}], stroke=128)
