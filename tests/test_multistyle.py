"""One network, many styles: conditional instance norm, mixes, the model file, exports, Stylizer.

Training with several styles and ``finetune=norm`` run in tests/test_train_styles.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from brushwork.errors import BrushworkError
from brushwork.infer.choices import mix_weights, parse_mix
from brushwork.infer.model_file import FORMAT_VERSION, export_model, load_model, with_style
from brushwork.nn.conditional import ConditionalInstanceNorm2d, styled
from brushwork.nn.losses import PerceptualLoss
from brushwork.nn.nets import build_net
from brushwork.nn.stylemix import collapse, norm_keys, transfer

NAMES = ["starry_night", "great_wave", "the_scream"]
STYLES = [{"name": n, "title": n.title(), "image": f"{n}.jpg", "style_weight": 1.0} for n in NAMES]


def _randomise_norms(net: nn.Module) -> nn.Module:
    """Trained-looking (γ, β): every style's pair differs, so a wrong row shows."""
    for m in net.modules():
        if isinstance(m, (ConditionalInstanceNorm2d, nn.InstanceNorm2d)):
            m.weight.data.normal_(1.0, 0.3)
            m.bias.data.normal_(0.0, 0.3)
    return net


def _net(arch: str = "shuffle", n_styles: int = 3) -> nn.Module:
    torch.manual_seed(0)
    return _randomise_norms(build_net(arch, width=4, n_residual=1, n_styles=n_styles)).eval()


def test_one_style_conditional_norm_is_the_plain_instance_norm() -> None:
    torch.manual_seed(0)
    plain = _randomise_norms(nn.InstanceNorm2d(6, affine=True))
    cin = ConditionalInstanceNorm2d(6, n_styles=1)
    cin.weight.data.copy_(plain.weight[None])
    cin.bias.data.copy_(plain.bias[None])
    x = torch.randn(2, 6, 9, 7)
    with styled(cin, torch.ones(1)):
        torch.testing.assert_close(cin(x), plain(x), rtol=0, atol=1e-6)
    with pytest.raises(RuntimeError, match="styled"):  # no mix in force: refuse, do not guess
        cin(x)


@pytest.mark.parametrize("arch", ["shuffle", "johnson"])
def test_a_style_of_a_conditional_net_is_the_plain_net_with_its_norms(arch: str) -> None:
    net = _net(arch)
    x = torch.rand(2, 3, 37, 29)
    with torch.no_grad():
        for k in range(3):
            plain = collapse(net, torch.eye(3)[k])
            assert plain.n_styles == 1 and not any(
                isinstance(m, ConditionalInstanceNorm2d) for m in plain.modules()
            )
            torch.testing.assert_close(plain(x), net(x, style=k), rtol=0, atol=1e-6)
        mix = torch.tensor([0.2, 0.5, 0.3])
        torch.testing.assert_close(collapse(net, mix)(x), net(x, style=mix), rtol=0, atol=1e-6)
        # Per-image styles in one batch: each image gets its own.
        both = net(x, style=torch.tensor([2, 0]))
        torch.testing.assert_close(both[0], net(x[:1], style=2)[0], rtol=0, atol=1e-6)
        torch.testing.assert_close(both[1], net(x[1:], style=0)[0], rtol=0, atol=1e-6)
        assert not torch.allclose(net(x, style=0), net(x, style=1))  # the styles differ


def test_the_style_argument_is_checked() -> None:
    x = torch.rand(1, 3, 16, 16)
    with pytest.raises(ValueError, match="holds 3 styles"):
        _net()(x)
    with pytest.raises(ValueError, match="holds one style"):
        _net(n_styles=1)(x, style=0)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        _net()(x, style=torch.ones(4) / 4)


def test_transfer_copies_rows_and_starts_new_styles_at_their_mean() -> None:
    source = _net()
    target = build_net("shuffle", width=4, n_residual=1, n_styles=4)
    transfer(source, target, [2, 0, None, 1])
    for key in norm_keys(source):
        old, new = source.state_dict()[key], target.state_dict()[key]
        assert torch.equal(new[0], old[2]) and torch.equal(new[3], old[1])
        torch.testing.assert_close(new[2], old.mean(0))
    shared = set(source.state_dict()) - norm_keys(source)
    assert all(torch.equal(source.state_dict()[k], target.state_dict()[k]) for k in shared)
    with pytest.raises(BrushworkError, match="another architecture: width=4"):
        transfer(source, build_net("shuffle", width=8, n_residual=1, n_styles=4), [0, 1, 2, 3])


def test_per_image_targets_score_each_image_against_its_own_style(starry, tubingen) -> None:
    torch.manual_seed(0)
    other = torch.rand(1, 3, 64, 64)
    kwargs = {"style_layers": ["relu1_1", "relu2_1"], "content_layers": ["relu2_1"]}
    kwargs |= {"normalize": True}
    both = PerceptualLoss(**kwargs)
    both.set_styles([starry, other], factors=[1.0, 3.0])
    one = PerceptualLoss(**kwargs)
    x = torch.cat([tubingen, tubingen])
    terms = both(x, content=x, styles=torch.tensor([0, 1]))
    one.set_styles([starry])
    a = one(tubingen, content=tubingen)["style"]
    one.set_styles([other])
    b = one(tubingen, content=tubingen)["style"]
    torch.testing.assert_close(terms["style"], (a + 3.0 * b) / 2)
    with pytest.raises(ValueError, match="pass styles="):
        both(x, content=x)


def test_model_file_lists_its_styles_in_the_one_current_format(tmp_path) -> None:
    net = _net()
    path = export_model(net, tmp_path / "three.pt", STYLES)
    raw = torch.load(path, weights_only=True)
    assert raw["version"] == FORMAT_VERSION and raw["arch"]["n_styles"] == 3
    loaded, info = load_model(path)
    assert [s["name"] for s in info["styles"]] == NAMES and loaded.n_styles == 3
    x = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x, style=1), net(x, style=1))
        plain, chosen = with_style(loaded, info, [0.0, 1.0, 0.0], "great_wave")
        assert chosen["style"]["name"] == "great_wave"
        torch.testing.assert_close(plain(x), net(x, style=1))
    single = export_model(_net(n_styles=1), tmp_path / "one.pt", [{"name": "one"}])
    assert torch.load(single, weights_only=True)["version"] == FORMAT_VERSION
    assert load_model(single)[1]["styles"] == [{"name": "one"}]
    johnson = {
        n: export_model(_net("johnson", n), tmp_path / f"j{n}.pt", STYLES[:n]) for n in (1, 3)
    }
    assert {torch.load(johnson[n], weights_only=True)["version"] for n in (1, 3)} == {
        FORMAT_VERSION
    }
    with pytest.raises(ValueError, match="3 styles, 2 described"):
        export_model(net, tmp_path / "bad.pt", STYLES[:2])


def test_ten_styles_cost_little_file_size(tmp_path) -> None:
    # The convolutions are shared: each style adds one (γ, β) pair per norm channel.
    sizes = {}
    for n in (1, 10):
        net = build_net("shuffle", n_styles=n)  # the default architecture
        styles = [{"name": f"s{k}"} for k in range(n)]
        sizes[n] = export_model(net, tmp_path / f"{n}.pt", styles)
    ratio = sizes[10].stat().st_size / sizes[1].stat().st_size
    assert 1.0 < ratio <= 1.2, ratio


@pytest.mark.parametrize(
    ("mix", "says"),
    [
        ("nope=1", "unknown style 'nope'; this model holds: starry_night, great_wave"),
        ("", "--mix is empty"),
        (" , ", "--mix is empty"),
        ("starry_night=x", "not a number: 'x'"),
        ("starry_night=-0.5", "must be finite and >= 0"),
        ("starry_night=nan", "must be finite and >= 0"),
        ("starry_night", "name=weight pairs"),
        ("starry_night=0,great_wave=0", "all 0"),
    ],
)
def test_bad_mixes_are_refused_in_one_line(mix: str, says: str) -> None:
    with pytest.raises(BrushworkError, match="^[^\n]*$") as err:
        parse_mix(mix, NAMES)
    assert says in str(err.value)


def test_mix_weights_are_normalised_and_say_so() -> None:
    weights, label, note = mix_weights(NAMES, mix="starry_night=2,the_scream=1")
    assert weights == pytest.approx([2 / 3, 0.0, 1 / 3]) and "normalised" in note
    assert label == "starry_night=0.67+the_scream=0.33"
    assert mix_weights(NAMES, mix="great_wave=0.25,the_scream=0.75")[2] is None
    assert mix_weights(NAMES) == ([1.0, 0.0, 0.0], "starry_night", None)
    assert mix_weights(NAMES, style="the_scream")[0] == [0.0, 0.0, 1.0]
    with pytest.raises(BrushworkError, match="not both"):
        mix_weights(NAMES, style="the_scream", mix="the_scream=1")
    with pytest.raises(BrushworkError, match="this model holds: one"):
        mix_weights(["one"], style="two")


def test_one_exported_graph_serves_every_style_and_mix(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from brushwork.infer.exporters import convert
    from brushwork.infer.lite import OnnxStylizer

    net = _net()
    model = export_model(net, tmp_path / "three.pt", STYLES)
    onnx = OnnxStylizer(convert(model, "onnx"))
    assert onnx.conditional and onnx.styles == NAMES
    assert [i.name for i in onnx.session.get_inputs()] == ["image", "style"]
    scripted = torch.jit.load(str(convert(model, "torchscript")))
    x = torch.rand(2, 3, 40, 56)
    for choice in ({"style": "the_scream"}, {"mix": "starry_night=0.7,great_wave=0.3"}):
        onnx.select(**choice)
        mix = torch.from_numpy(onnx.mix)
        with torch.no_grad():
            want = net(x, style=mix)
            torch.testing.assert_close(scripted(x, mix), want, rtol=0, atol=1e-4)
        got = torch.from_numpy(onnx.run(x.numpy()))
        torch.testing.assert_close(got, want, rtol=0, atol=1e-4)
    meta = json.loads(onnx.meta["styles"])
    assert [s["name"] for s in meta] == NAMES


@pytest.mark.parametrize("backend", ["torch", "onnxruntime"])
def test_stylizer_runs_the_chosen_style_or_mix(backend: str, tmp_path: Path) -> None:
    if backend == "onnxruntime":
        pytest.importorskip("onnxruntime")
    from brushwork.infer.stylizer import Stylizer

    net = _net()
    model = export_model(net, tmp_path / "three.pt", STYLES)
    x = torch.rand(1, 3, 48, 40)
    pure = Stylizer(model, "cpu", backend=backend, style="great_wave")
    mixed = Stylizer(model, "cpu", backend=backend, mix="great_wave=1,the_scream=3")
    assert pure.styles == NAMES and pure.mix_note is None and pure.backend == backend
    assert "normalised" in mixed.mix_note
    with torch.no_grad():
        torch.testing.assert_close(pure(x), net(x, style=1), rtol=0, atol=1e-4)
        want = net(x, style=torch.tensor([0.0, 0.25, 0.75]))
        torch.testing.assert_close(mixed(x), want, rtol=0, atol=1e-4)
        # Tiling runs the collapsed plain net: same image as one pass, up to the seams.
        tiled = Stylizer(model, "cpu", backend="torch", style="great_wave", tile=64)
        big = torch.rand(1, 3, 96, 130)
        assert tiled(big).shape == big.shape
    with pytest.raises(BrushworkError, match="unknown style 'candy'"):
        Stylizer(model, "cpu", backend=backend, style="candy")
