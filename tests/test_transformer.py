"""Contracts of the transformation networks, JohnsonNet and ShuffleNet (tiny nets and images, CPU)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from brushwork.errors import BrushworkError
from brushwork.nn.frame import TransformerNet
from brushwork.nn.layers import (
    BoxFilter,
    ConvLayer,
    ResidualBlock,
    UpsampleConvLayer,
    count_parameters,
)
from brushwork.nn.nets import NETS, JohnsonNet, ShuffleNet, build_net


def tiny_net(**kwargs) -> TransformerNet:
    torch.manual_seed(0)
    args = {"arch": "johnson", "width": 4, "n_residual": 1, "separable": False} | kwargs
    return build_net(**args)


def images(b: int, h: int, w: int, seed: int = 1) -> torch.Tensor:
    return torch.rand(b, 3, h, w, generator=torch.Generator().manual_seed(seed))


ARCHS = pytest.mark.parametrize("arch", ["johnson", "shuffle"])


@ARCHS
@pytest.mark.parametrize("size", [(1, 17), (2, 2), (3, 5), (31, 33), (64, 64), (1, 1)])
def test_any_size_in_same_size_out(size: tuple[int, int], arch: str) -> None:
    net = tiny_net(arch=arch)
    with torch.no_grad():
        out = net(images(2, *size))
    assert out.shape == (2, 3, *size)
    assert out.dtype == torch.float32


def test_output_range_is_unit_interval() -> None:
    net = tiny_net()
    # Inputs far outside [0, 1] still give an image in [0, 1]: the sigmoid bounds the output.
    x = torch.cat([images(1, 16, 16), 50 * images(1, 16, 16, seed=2) - 25])
    with torch.no_grad():
        out = net(x)
    assert out.min() >= 0 and out.max() <= 1
    assert torch.isfinite(out).all()


def test_reference_parameter_count() -> None:
    # Johnson et al.'s network (width 32, 5 residual blocks) has about 1.68 M parameters.
    n = count_parameters(JohnsonNet())
    assert 1.6e6 < n < 1.75e6
    assert count_parameters(JohnsonNet(separable=True)) < n
    assert count_parameters(ResidualBlock(128, separable=True)) < count_parameters(
        ResidualBlock(128)
    )
    net = JohnsonNet()
    frozen = sum(p.numel() for p in net.parameters() if p.dim() == 4)  # every conv weight
    for p in net.parameters():
        p.requires_grad_(p.dim() != 4)
    assert count_parameters(net) == n  # all of them, trainable or not
    assert count_parameters(net, trainable=True) == n - frozen


@ARCHS
@pytest.mark.parametrize("separable", [False, True])
def test_arch_args_round_trip(separable: bool, arch: str) -> None:
    net = tiny_net(width=8, n_residual=2, separable=separable, arch=arch)
    args = net.model_args
    layout = {"upsample": "bilinear"} if arch == "shuffle" else {}
    assert args == {"arch": arch, "width": 8, "n_residual": 2, "separable": separable, **layout}
    assert all(type(v) in (int, bool, str) for v in args.values())  # plain, serialisable values

    torch.manual_seed(123)  # different init, so equal outputs below come from load_state_dict
    clone = build_net(**args)
    assert type(clone) is NETS[arch]
    # The graphs' smallest side: >= 2 strides (the 1/8 convs), > the margin (reflection), on the grid
    side, m = clone.min_side(), clone.multiple
    assert side >= 2 * m and side > clone.margin and side % m == 0 and clone.min_side(0) == 2 * m
    sd, clone_sd = net.state_dict(), clone.state_dict()
    assert {k: v.shape for k, v in sd.items()} == {k: v.shape for k, v in clone_sd.items()}

    clone.load_state_dict(sd)
    x = images(1, 13, 19)
    with torch.no_grad():
        torch.testing.assert_close(clone(x), net(x), rtol=0, atol=0)


@ARCHS
@pytest.mark.parametrize("separable", [False, True])
def test_gradient_reaches_every_parameter(separable: bool, arch: str) -> None:
    net = tiny_net(width=4, n_residual=2, separable=separable, arch=arch)
    x = images(2, 12, 12)
    loss = (net(x) - images(2, 12, 12, seed=3)).pow(2).mean()
    loss.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        # No dead weights: there are no conv biases cancelled by a following instance norm.
        assert p.grad.abs().sum() > 0, name


def test_architecture_has_no_transposed_conv_and_affine_instance_norms() -> None:
    for net in (JohnsonNet(), JohnsonNet(separable=True)):
        modules = list(net.modules())
        assert not any(isinstance(m, nn.ConvTranspose2d) for m in modules)
        assert not any(isinstance(m, nn.BatchNorm2d) for m in modules)
        norms = [m for m in modules if isinstance(m, nn.InstanceNorm2d)]
        assert len(norms) == 3 + 2 + 2 * 5  # encoder, decoder, two per residual block
        assert all(m.affine for m in norms)
        assert sum(isinstance(m, UpsampleConvLayer) for m in modules) == 2


def test_shuffle_runs_every_conv_at_quarter_resolution_or_below() -> None:
    net = ShuffleNet(width=16, separable=True)
    seen: list[tuple[int, int]] = []
    for m in net.modules():
        if isinstance(m, nn.Conv2d):  # the output size of every conv
            m.register_forward_hook(lambda _m, _i, out: seen.append(tuple(out.shape[-2:])))
    with torch.no_grad():
        assert net(images(1, 64, 96), margin=0).shape == (1, 3, 64, 96)
    # In and out at 1/4; the stride-2 conv, 5 blocks (depthwise + pointwise, twice) and the 1x1
    # before the 2x bilinear upsampling at 1/8.
    assert sorted(seen, reverse=True) == [(16, 24)] * 2 + [(8, 12)] * (1 + 5 * 4 + 1)


def test_box_filter_cancels_any_pattern_on_its_grid() -> None:
    # What keeps the pixel-shuffled output free of a 4-px grid pattern: any 4-periodic image
    # (here random per phase) becomes constant away from the edges.
    pattern = torch.rand(1, 3, 4, 4).repeat(1, 1, 6, 7)
    out = BoxFilter(4)(pattern)
    assert out.shape == pattern.shape
    inner = out[..., 1:-2, 1:-2]
    torch.testing.assert_close(inner, pattern.mean(dim=(2, 3), keepdim=True).expand_as(inner))


def test_a_dilated_body_reaches_further_at_the_same_cost_and_round_trips() -> None:
    plain, dilated = (
        build_net("shuffle", width=4, n_residual=2),
        build_net("shuffle", width=4, n_residual=2, dilation=2),
    )
    assert count_parameters(dilated) == count_parameters(plain)  # same weights, wider reach
    assert "dilation" not in plain.model_args and dilated.model_args["dilation"] == 2
    clone = build_net(**dilated.model_args)
    clone.load_state_dict(dilated.state_dict())
    x = images(1, 40, 56)
    with torch.no_grad():
        torch.testing.assert_close(clone(x), dilated(x), rtol=0, atol=0)

    body_3x3 = [
        m
        for m in dilated.residuals.modules()
        if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)
    ]
    assert len(body_3x3) == 4 and all(m.dilation == (2, 2) for m in body_3x3)
    layer = ConvLayer(1, 1, 3, bias=False, dilation=2)  # reflection-padded: same size out
    torch.nn.init.ones_(layer.conv.weight)
    poke = torch.zeros(1, 1, 15, 15)
    poke[..., 7, 7] = 1
    reached = layer(poke)[0, 0].nonzero()
    assert layer(poke).shape == poke.shape and int(reached[:, 1].max() - reached[:, 1].min()) == 4
    with pytest.raises(BrushworkError, match="model.dilation must be 1, 2, 3 or 4"):
        build_net("shuffle", dilation=0)


def test_an_option_of_another_layout_is_refused() -> None:
    with pytest.raises(
        BrushworkError, match=r"model.upsample: not an option of the johnson layout"
    ):
        build_net("johnson", upsample="bilinear")
    with pytest.raises(BrushworkError, match="unknown model.upsample 'cubic'"):
        build_net("shuffle", upsample="cubic")


def test_unknown_architecture_is_refused() -> None:
    with pytest.raises(
        BrushworkError, match="unknown model.arch 'unet'; choose one of: johnson, shuffle"
    ):
        build_net("unet", width=4, n_residual=1, separable=False)
    with pytest.raises(BrushworkError, match="model.width >= 1"):
        build_net("shuffle", width=0, n_residual=1, separable=False)


@ARCHS
def test_batch_items_are_independent(arch: str) -> None:
    net = tiny_net(width=8, arch=arch)
    a, b = images(1, 20, 24), images(1, 20, 24, seed=5)
    with torch.no_grad():
        both = net(torch.cat([a, b]))
        torch.testing.assert_close(both[:1], net(a), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(both[1:], net(b), rtol=1e-5, atol=1e-6)
    net.eval()  # instance norm has no running statistics: eval mode changes nothing
    with torch.no_grad():
        torch.testing.assert_close(net(torch.cat([a, b])), both, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [(3, 5), (20, 28)])
def test_channels_last_matches_contiguous(size: tuple[int, int]) -> None:
    net = tiny_net(width=8)
    x = images(2, *size)
    with torch.no_grad():
        expected = net(x)
        net_cl = net.to(memory_format=torch.channels_last)
        out = net_cl(x.contiguous(memory_format=torch.channels_last))
    assert out.shape == expected.shape
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)


def test_bf16_autocast_on_cpu() -> None:
    net = tiny_net(width=8)
    x = images(1, 17, 23)
    with torch.no_grad():
        expected = net(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = net(x)
    assert out.shape == x.shape and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1
    assert (out - expected).abs().max() < 0.05  # bf16 keeps ~3 significant digits


def test_rejects_non_rgb_input() -> None:
    with pytest.raises(ValueError, match="B, 3, H, W"):
        tiny_net()(torch.rand(1, 1, 8, 8))
