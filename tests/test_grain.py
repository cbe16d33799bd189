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
    ort = pytest.importorskip("onnxruntime")
    from brushwork.infer.exporters import export_onnx
    from brushwork.nn.nets import build_net

    torch.manual_seed(0)
    net = build_net("shuffle", width=2, n_residual=1, grain=0.1).eval()
    session = ort.InferenceSession(str(export_onnx(net, tmp_path / "g.onnx")))
    for shape in [(1, 3, 64, 80), (1, 3, 600, 520)]:  # past one period of the field too
        x = torch.rand(shape)
        with torch.no_grad():
            expected = net(x).numpy()
        got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
        assert abs(got - expected).max() < 1e-5


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


def test_the_strokes_recipe_trains_with_grain_and_a_larger_painting(tmp_path) -> None:
    from brushwork.config import compose
    from brushwork.config.groups import plain
    from brushwork.nn.nets import build_net

    cfg = compose("train", ["experiment=cpu_strokes", f"data.dir={tmp_path}"])
    default = compose("train", [f"data.dir={tmp_path}"])
    assert cfg.style_size == 2 * cfg.data.size == 256 and default.style_size == 128
    assert build_net(**plain(cfg.model)).grain == 0.05 and default.model.grain == 0.0
    assert cfg.optim == default.optim and cfg.trainer.max_steps == default.trainer.max_steps
