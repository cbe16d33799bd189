import pytest
import torch

from brushwork.errors import BrushworkError
from brushwork.nn.losses import PerceptualLoss
from brushwork.nn.terms import gram_matrix, total_variation


@pytest.fixture(scope="module")
def loss():
    return PerceptualLoss(style_weight=1e-5, tv_weight=1.0)


def test_gram_matches_naive_loop():
    f = torch.randn(2, 4, 3, 5)
    b, c, h, w = f.shape
    naive = torch.zeros(b, c, c)
    for n in range(b):
        for i in range(c):
            for j in range(c):
                naive[n, i, j] = sum(
                    f[n, i, y, x] * f[n, j, y, x] for y in range(h) for x in range(w)
                )
    assert torch.allclose(gram_matrix(f), naive / (c * h * w), atol=1e-5)


def test_gram_is_fp32_under_autocast():
    f = torch.randn(1, 8, 4, 4, dtype=torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        g = gram_matrix(f)
    assert g.dtype == torch.float32
    assert torch.allclose(g, g.transpose(1, 2))


def test_total_variation():
    flat = torch.full((1, 3, 8, 8), 0.3)
    assert total_variation(flat) == 0
    stripes = torch.zeros(1, 3, 4, 4)
    stripes[..., ::2] = 1.0  # vertical stripes: every horizontal step changes by 1
    assert torch.isclose(total_variation(stripes), torch.tensor(1.0))


def test_terms_are_reported_separately_and_sum(loss, starry, tubingen):
    loss.set_styles([starry])
    x = torch.rand_like(tubingen)
    terms = loss(x, content=tubingen)
    assert set(terms) == {"content", "style", "tv", "total"}
    assert all(terms[k] > 0 for k in terms)
    assert torch.isclose(terms["total"], terms["content"] + terms["style"] + terms["tv"])


def test_zero_at_the_targets(loss, starry, tubingen):
    loss.set_styles([starry])
    assert loss(tubingen, content=tubingen)["content"] == 0
    assert loss(starry, content=starry)["style"] < 1e-6 * loss(tubingen, content=tubingen)["style"]


def test_precomputed_content_targets_match(loss, starry, tubingen):
    loss.set_styles([starry])
    x = torch.rand_like(tubingen)
    a = loss(x, content=tubingen)["total"]
    b = loss(x, content_targets=loss.content_targets(tubingen))["total"]
    assert torch.isclose(a, b)


def test_gradient_reaches_the_image(loss, starry, tubingen):
    loss.set_styles([starry])
    x = tubingen.clone().requires_grad_(True)
    loss(x, content=tubingen)["total"].backward()
    assert x.grad.abs().sum() > 0


def test_blend_of_two_styles_lies_between(data_dir, tubingen):
    from brushwork.io.images import load_image

    a = load_image(data_dir / "styles" / "starry_night.jpg", 64)
    b = load_image(data_dir / "styles" / "composition_vii.jpg", 64)
    loss = PerceptualLoss(content_weight=0.0)

    def style_loss_to(target, blend):
        loss.set_styles([a, b], blend=blend)
        return loss(target)["style"].item()

    # Style distance from painting A grows monotonically as the blend moves from A to B.
    d = [style_loss_to(a, [1 - t, t]) for t in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert d[0] < 1e-6 * d[-1]
    assert all(x < y for x, y in zip(d, d[1:], strict=False))
    # The half/half Gram target is the mean of the two, so its Gram lies between.
    loss.set_styles([a, b], blend=[0.5, 0.5])
    g_half = loss.style_grams["relu3_1"]
    loss.set_styles([a])
    g_a = loss.style_grams["relu3_1"]
    loss.set_styles([b])
    g_b = loss.style_grams["relu3_1"]
    assert torch.allclose(g_half, (g_a + g_b) / 2, rtol=1e-4, atol=1e-6)


def test_style_targets_travel_in_the_state_dict(loss, starry):
    # A training checkpoint carries the Gram targets, so resuming needs no painting.
    loss.set_styles([starry])
    state = {k: v for k, v in loss.state_dict().items() if not k.startswith("vgg.")}
    assert set(state) == {f"gram_{n}" for n in loss.style_layers} | {"has_style", "style_factors"}
    fresh = PerceptualLoss(style_weight=1e-5)
    assert not fresh.style_grams  # nothing set: the loss refuses to run
    with pytest.raises(RuntimeError, match="set_style"):
        fresh(starry, content=starry)
    fresh.load_state_dict(loss.state_dict())
    assert fresh.style_grams.keys() == loss.style_grams.keys()
    x = torch.rand_like(starry)
    with torch.no_grad():
        torch.testing.assert_close(
            fresh(x, content=starry)["style"], loss(x, content=starry)["style"]
        )


def test_bad_configuration():
    with pytest.raises(BrushworkError, match="style_layer_weights has 1 entries"):
        PerceptualLoss(style_layers=["relu1_1", "relu2_1"], style_layer_weights=[1.0])
    with pytest.raises(BrushworkError, match="style_weight must be >= 0"):
        PerceptualLoss(style_weight=-1)
    with pytest.raises(BrushworkError, match="blend"):
        PerceptualLoss().set_styles([torch.rand(1, 3, 16, 16)], blend=[1.0, 2.0])
