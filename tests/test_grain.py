"""The grain: smooth noise a style net paints from where the photo is flat (brushwork.nn.frame)."""

from __future__ import annotations

import pytest
import torch

from brushwork.errors import BrushworkError


def test_grain_is_fixed_at_inference_and_fresh_in_training() -> None:
    from brushwork.nn.nets import build_net

    torch.manual_seed(0)
    net = build_net("shuffle", width=2, n_residual=1, grain=0.05).eval()
    assert net.model_args["grain"] == 0.05
    again = build_net(**net.model_args).eval()
    again.load_state_dict(net.state_dict())  # the field is not a weight: old files still load
    assert "grain_field" not in net.state_dict()
    x = torch.full((1, 3, 40, 56), 0.5)
    with torch.no_grad():
        assert torch.equal(net(x), again(x))  # the same field from the seed, every load
        y = torch.zeros(2, 3, 64, 64)
        net.train()
        a, b = net.grained(y), net.grained(y)
        assert not torch.equal(a, b) and not torch.equal(a[0], a[1])  # fresh per image and step
        assert 0.02 < float(a.std()) < 0.08
        net.eval()
        fixed = net.grained(torch.zeros(1, 3, 1100, 700))
        # the field repeats every 512 px and not before
        assert torch.equal(fixed[..., :512, :], fixed[..., 512:1024, :])
        assert not torch.equal(fixed[..., :256, :], fixed[..., 256:512, :])
    assert "grain" not in build_net("shuffle", width=2, n_residual=1).model_args
    with pytest.raises(BrushworkError, match="grain"):
        build_net("shuffle", width=2, n_residual=1, grain=-0.1)


def test_grain_survives_onnx_export(tmp_path) -> None:
    pytest.importorskip("onnxruntime")
    from brushwork.infer.exporters import export_onnx
    from brushwork.infer.lite import OnnxStylizer
    from brushwork.nn.nets import build_net

    torch.manual_seed(0)
    net = build_net("shuffle", width=2, n_residual=1, grain=0.1).eval()
    graph = OnnxStylizer(export_onnx(net, tmp_path / "g.onnx"))
    assert graph.grain and [i.name for i in graph.session.get_inputs()] == ["image", "origin"]
    # past one period of the field; smaller than the graph takes (padded outside it); a tile
    for shape, origin in [
        ((1, 3, 64, 80), (0, 0)),
        ((1, 3, 600, 520), (0, 0)),
        ((1, 3, 5, 7), (0, 0)),
        ((1, 3, 40, 48), (-12, 700)),
    ]:
        x = torch.rand(shape)
        with torch.no_grad(), net.grain_at(origin):
            expected = net(x).numpy()
        graph.origin = origin
        assert abs(graph.run(x.numpy()) - expected).max() < 1e-5


def test_the_field_is_anchored_in_the_picture() -> None:
    import torch.nn.functional as F

    from brushwork.nn.frame import GRAIN_CELL, grain_noise

    field = torch.randn(1, 3, 128, 128, generator=torch.Generator().manual_seed(1))
    whole = F.interpolate(field, scale_factor=GRAIN_CELL, mode="bilinear", align_corners=False)
    window = grain_noise(field, 100, 50, 64, 70)  # F.interpolate's samples, read anywhere
    torch.testing.assert_close(window, whole[..., 100:164, 50:120])
    # one period (512 px) on, or before the picture (a margin): the same noise
    assert torch.equal(grain_noise(field, -300, 900, 8, 9), grain_noise(field, 212, 388, 8, 9))
    # and across the period's seam it stays smooth (wrapped, not clamped)
    seam = grain_noise(field, 0, 500, 1, 24)[0, 0, 0]
    assert float(seam.diff().abs().max()) < 2 * float(whole[0, 0, 0].diff().abs().max())


def test_tiles_read_the_grain_the_whole_picture_reads(tmp_path, monkeypatch) -> None:
    import contextlib

    from brushwork.infer import tiling
    from brushwork.infer.model_file import export_model
    from brushwork.infer.stylizer import Stylizer
    from brushwork.nn.nets import build_net

    torch.manual_seed(0)
    net = build_net("shuffle", width=4, n_residual=1, grain=1.0)  # strong: the noise shows
    model = export_model(net, tmp_path / "g.pt", [{"name": "g"}])
    x = torch.full((1, 3, 120, 160), 0.5) + 0.1 * torch.linspace(0, 1, 160)  # flat: all grain
    whole = Stylizer(model, device="cpu", tile=0, backend="torch")(x)
    tiled = Stylizer(model, device="cpu", tile=64, overlap=16)(x)
    assert (tiled - whole).abs().mean() < 1e-3  # measured 1.7e-5
    # each tile reading the field from its own corner: the motif shifts per tile
    monkeypatch.setattr(tiling, "_grain_at", lambda net, origin: contextlib.nullcontext())
    shifted = Stylizer(model, device="cpu", tile=64, overlap=16)(x)
    assert (shifted - whole).abs().mean() > 0.01  # measured 0.023


def test_a_net_without_grain_warm_starts_one_with_it() -> None:
    from brushwork.nn.nets import build_net
    from brushwork.nn.stylemix import layout, transfer

    torch.manual_seed(0)
    source = build_net("shuffle", width=2, n_residual=1, n_styles=2)
    target = build_net("shuffle", width=2, n_residual=1, n_styles=3, grain=0.05)
    assert layout(source) == layout(target)
    transfer(source, target, [0, 1, None])
    conv = "residuals.0.conv1.depthwise.conv.weight"
    state = dict(target.state_dict())
    assert torch.equal(state[conv], source.state_dict()[conv]) and target.grain == 0.05


def test_the_default_recipe_trains_with_grain_and_a_larger_painting(tmp_path) -> None:
    from brushwork.config import compose
    from brushwork.config.groups import plain
    from brushwork.nn.nets import build_net

    default = compose("train", [f"data.dir={tmp_path}"])
    assert default.style_size == 2 * default.data.size == 256
    assert build_net(**plain(default.model)).grain == 0.05
    # the name brushwork-10's record trained with is the default, unchanged
    assert compose("train", ["experiment=cpu_strokes", f"data.dir={tmp_path}"]) == default


def test_one_style_of_a_grain_net_keeps_its_grain() -> None:
    """Narrowing a multi-style net to one style (stylize --style, evaluate) keeps the grain it
    paints from: without it the picture is another one (found by the shipped graph's test)."""
    from brushwork.nn.nets import build_net
    from brushwork.nn.stylemix import collapse

    torch.manual_seed(0)
    net = build_net("shuffle", width=4, n_residual=1, n_styles=3, grain=0.5).eval()
    one = collapse(net, [0.0, 1.0, 0.0])
    assert one.grain == 0.5 and one.n_styles == 1
    x = torch.rand(1, 3, 40, 48)
    with torch.no_grad():
        torch.testing.assert_close(one(x), net(x, 1), atol=1e-5, rtol=0)
