"""ONNX and TorchScript exports: parity with the eager net at odd and varying sizes, metadata,
the export script, and ONNX models in the Stylizer."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from brushwork.errors import BrushworkError
from brushwork.infer.exporters import convert, export_torchscript
from brushwork.infer.model_file import export_model, load_model
from brushwork.infer.stylizer import Stylizer
from brushwork.nn.nets import JohnsonNet, ShuffleNet

REPO = Path(__file__).resolve().parents[1]
STYLE = {"name": "tiny", "title": "Tiny"}
SHAPES = [(1, 3, 41, 45), (2, 3, 64, 40)]  # odd sizes, then another size and batch (>= min_side)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    net = JohnsonNet(width=4, n_residual=1)
    return export_model(net, tmp_path_factory.mktemp("m") / "tiny.pt", [STYLE])


@pytest.fixture(scope="module")
def onnx_path(model_path) -> Path:
    pytest.importorskip("onnxruntime")
    out = model_path.with_name("tiny.onnx")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "brushwork.cli.main",
            "export",
            "--model",
            str(model_path),
            "--format",
            "onnx",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"wrote {out}"
    assert sorted(p.name for p in out.parent.iterdir()) == ["tiny.onnx", "tiny.pt"]  # no temps
    return out


def _eager(model_path: Path, x: torch.Tensor) -> torch.Tensor:
    net, _ = load_model(model_path)
    with torch.no_grad():
        return net(x)


@pytest.mark.parametrize("shape", SHAPES)
def test_onnx_matches_eager(model_path, onnx_path, shape):
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    x = torch.rand(*shape)
    got = torch.from_numpy(sess.run(None, {"image": x.numpy()})[0])
    assert got.shape == x.shape
    assert (got - _eager(model_path, x)).abs().max() <= 1e-4


def test_onnx_carries_metadata_and_opset(onnx_path):
    import onnx

    model = onnx.load(str(onnx_path))
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["format"] == "brushwork-style" and json.loads(meta["styles"]) == [STYLE]
    assert json.loads(meta["arch"])["width"] == 4 and json.loads(meta["arch"])["arch"] == "johnson"


def test_onnx_written_before_v6_lists_its_one_style(onnx_path, tmp_path):
    """Graphs written before format v6 kept a single style under ``style``: still read."""
    import onnx

    from brushwork.infer.lite import OnnxStylizer, model_styles

    model = onnx.load(str(onnx_path))
    props = {p.key: p.value for p in model.metadata_props if p.key != "styles"}
    del model.metadata_props[:]
    for key, value in (props | {"style": json.dumps(STYLE)}).items():
        model.metadata_props.add(key=key, value=value)
    old = tmp_path / "old.onnx"
    onnx.save(model, str(old))
    assert OnnxStylizer(old).entries == [STYLE] == model_styles(old) == model_styles(onnx_path)
    del model.metadata_props[:]  # neither field: one line, not a KeyError
    onnx.save(model, str(old))
    with pytest.raises(BrushworkError, match="without its style list"):
        OnnxStylizer(old)


def test_torchscript_matches_eager(model_path, tmp_path):
    out = convert(model_path, "torchscript", tmp_path / "tiny.ts.pt")
    extra = {"brushwork.json": ""}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit deprecation notice
        module = torch.jit.load(str(out), _extra_files=extra)
    assert json.loads(extra["brushwork.json"])["format"] == "brushwork-style"
    for shape in SHAPES:
        x = torch.rand(*shape)
        with torch.no_grad():
            got = module(x)
        assert got.shape == x.shape
        assert (got - _eager(model_path, x)).abs().max() <= 1e-4


def test_stylizer_runs_onnx_models_like_pt(model_path, onnx_path):
    pt = Stylizer(model_path, device="cpu", tile=0)
    ox = Stylizer(onnx_path, device="cpu")
    assert ox.backend == "onnxruntime" and ox.tile_size(9000, 9000) is None
    for shape in [(1, 3, 37, 45), (1, 3, 1, 19), (1, 3, 5, 3)]:  # incl. sides under 8 px
        x = torch.rand(*shape)
        got = ox(x, strength=0.7, preserve_color=True)
        assert got.shape == x.shape
        assert (got - pt(x, strength=0.7, preserve_color=True)).abs().max() <= 1e-4


def test_onnx_model_rejects_reduced_precision(onnx_path):
    with pytest.raises(BrushworkError, match="fp32"):
        Stylizer(onnx_path, device="cpu", precision="bf16")


def test_bad_inputs_to_export(tmp_path, model_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not onnx at all")
    pytest.importorskip("onnxruntime")
    with pytest.raises(BrushworkError, match="not a readable ONNX model"):
        Stylizer(junk, device="cpu")
    with pytest.raises(BrushworkError, match="unknown format"):
        convert(model_path, "tflite")
    with pytest.raises(BrushworkError, match="not found"):
        convert(tmp_path / "missing.pt", "onnx")
    net, _ = load_model(model_path)
    with pytest.raises(BrushworkError, match="does not exist"):
        export_torchscript(net, tmp_path / "no" / "dir.pt")


def test_shuffle_net_exports_with_parity(tmp_path):
    # The default architecture (pixel-unshuffle / shuffle): same parity as the Johnson layout.
    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    net = ShuffleNet(width=4, n_residual=1, separable=True).eval()
    model = export_model(net, tmp_path / "shuffle.pt", [STYLE])
    sess = ort.InferenceSession(str(convert(model, "onnx")), providers=["CPUExecutionProvider"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit deprecation notice
        script = torch.jit.load(str(convert(model, "torchscript")))
    for shape in SHAPES:
        x = torch.rand(*shape)
        expected = _eager(model, x)
        got = torch.from_numpy(sess.run(None, {"image": x.numpy()})[0])
        assert (got - expected).abs().max() <= 1e-4
        with torch.no_grad():
            assert (script(x) - expected).abs().max() <= 1e-4
    # Sides under the graph's minimum (40 for this layout: its margin) are padded by the
    # Stylizer as the eager net pads them.
    onnx, eager = Stylizer(model.with_suffix(".onnx")), Stylizer(model, backend="torch")
    for shape in [(1, 3, 5, 3), (1, 3, 12, 40), (1, 3, 16, 17), (1, 3, 39, 41)]:
        x = torch.rand(*shape)
        assert (onnx(x) - eager(x)).abs().max() <= 1e-4


def test_pt_models_run_in_onnxruntime_on_cpu_by_default(model_path, tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("BRUSHWORK_CACHE", str(tmp_path / "cache"))
    auto = Stylizer(model_path, device="cpu")
    torch_ = Stylizer(model_path, device="cpu", backend="torch")
    assert (auto.backend, torch_.backend) == ("onnxruntime", "torch")
    (cached,) = (tmp_path / "cache" / "onnx").glob("tiny-*.onnx")  # exported once ...
    stamp = cached.stat().st_mtime_ns
    assert Stylizer(model_path, device="cpu").backend == "onnxruntime"
    assert cached.stat().st_mtime_ns == stamp  # ... and reused
    for shape in [(1, 3, 37, 45), (1, 3, 3, 19)]:
        x = torch.rand(*shape)
        assert (auto(x) - torch_(x)).abs().max() <= 1e-4
    # Reduced precision, compile or tiling stay in PyTorch.
    assert Stylizer(model_path, device="cpu", precision="bf16").backend == "torch"
    tiled = Stylizer(model_path, device="cpu", tile=64, overlap=16)
    x = torch.rand(1, 3, 100, 130)
    assert tiled.tile_size(100, 130) == 64
    ref = Stylizer(model_path, device="cpu", tile=64, overlap=16, backend="torch")
    assert (tiled(x) - ref(x)).abs().max() <= 1e-4


def test_pt_model_with_unwritable_cache_still_runs(model_path, tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("BRUSHWORK_CACHE", str(blocker))
    assert Stylizer(model_path, device="cpu").backend == "onnxruntime"


def test_backend_choices_are_checked(model_path, onnx_path):
    with pytest.raises(
        BrushworkError, match="unknown backend 'tensorrt'; choose one of: auto, torch, onnxruntime"
    ):
        Stylizer(model_path, device="cpu", backend="tensorrt")
    with pytest.raises(BrushworkError, match="use the .pt for torch"):
        Stylizer(onnx_path, device="cpu", backend="torch")
    with pytest.raises(BrushworkError, match="onnxruntime runs in fp32"):
        Stylizer(model_path, device="cpu", precision="bf16", backend="onnxruntime")
