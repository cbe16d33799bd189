"""The torch-free stylize path (brushwork.infer.lite / engines): chosen only where it applies,
never imports torch, and writes what the torch path writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from brushwork.infer.lite import OnnxStylizer, fast_stylizer, onnx_cache_path
from brushwork.infer.model_file import export_model
from brushwork.infer.pipeline import LiteEngine, TorchEngine
from brushwork.infer.stylizer import Stylizer
from brushwork.io.images import (
    load_image,
    read_array,
    resize,
    resize_array,
    save_image,
    write_array,
)
from brushwork.nn.nets import ShuffleNet

pytest.importorskip("onnxruntime")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("lite")
    path = export_model(ShuffleNet(width=4, n_residual=1), folder / "m.pt", [{"name": "m"}])
    Stylizer(path, device="cpu")  # the torch path exports the ONNX copy into the cache
    assert onnx_cache_path(path).is_file()
    return path


def _stylize(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    code = (
        "import sys; from brushwork.cli.main import main; rc = main(sys.argv[1:]); "
        "print('torch' in sys.modules, 'hydra' in sys.modules, file=sys.stderr); sys.exit(rc)"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "stylize", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )


@pytest.mark.parametrize(
    "options", [[], ["--strength", "0.5"], ["--preserve-color"], ["--max-size", "40"]]
)
def test_cached_model_stylizes_without_torch_as_the_torch_path(
    options: list[str], model: Path, data_dir: Path, tmp_path: Path
) -> None:
    photo = data_dir / "content" / "chicago.jpg"
    lite = _stylize("--model", str(model), str(photo), "-o", "lite.png", *options, cwd=tmp_path)
    assert lite.returncode == 0, lite.stderr
    assert lite.stderr.strip().splitlines()[-1] == "False False"  # neither torch nor Hydra
    assert "(onnxruntime)" in lite.stdout
    eager = _stylize(
        "--model",
        str(model),
        str(photo),
        "-o",
        "eager.png",
        "--backend",
        "torch",
        *options,
        cwd=tmp_path,
    )
    assert eager.returncode == 0 and eager.stderr.strip().splitlines()[-1].startswith("True")
    a, b = (np.asarray(Image.open(tmp_path / f), dtype=int) for f in ("lite.png", "eager.png"))
    assert a.shape == b.shape and np.abs(a - b).max() <= 1  # ≤ 1/255: ONNX vs eager rounding


def test_the_fast_path_is_chosen_only_where_it_applies(model: Path, tmp_path: Path) -> None:
    def pick(**kw):
        args = {"device": "cpu", "precision": "fp32", "backend": "auto", "compile": False} | kw
        return fast_stylizer(model, threads=None, **args)

    assert isinstance(pick(), OnnxStylizer) and pick().min_side == ShuffleNet.min_side()
    for kw in ({"device": "cuda"}, {"precision": "bf16"}, {"backend": "torch"}, {"compile": True}):
        assert pick(**kw) is None, kw
    other = export_model(ShuffleNet(width=4, n_residual=1), tmp_path / "new.pt", [{"name": "n"}])
    assert fast_stylizer(other, "cpu", "fp32", "auto", False, None) is None  # not cached yet
    onnx = onnx_cache_path(model)
    assert isinstance(fast_stylizer(onnx, "cpu", "fp32", "auto", False, None), OnnxStylizer)


def test_images_too_big_for_one_pass_go_to_torch_tiling(model: Path, data_dir: Path) -> None:
    net = fast_stylizer(model, "cpu", "fp32", "auto", False, None)
    net.untiled_pixels = 40 * 40  # as if the photo were over 2048²
    made = []

    def fallback() -> TorchEngine:
        made.append(TorchEngine(Stylizer(model, device="cpu", tile=64, overlap=16)))
        return made[-1]

    engine = LiteEngine(net, fallback, tile=None)
    x = engine.load(data_dir / "content" / "tubingen.jpg", 160)
    (out,) = engine.stylize([x], 1.0, False)
    assert made and out.shape == x.shape  # tiled by torch, handed back as an array
    small = engine.load(data_dir / "content" / "tubingen.jpg", 32)
    engine.stylize([small], 1.0, False)
    assert len(made) == 1  # made once, on first need


def test_arrays_read_and_write_what_tensors_do(data_dir: Path, tmp_path: Path) -> None:
    photo = data_dir / "content" / "amber.jpg"
    assert np.array_equal(read_array(photo), load_image(photo).numpy())
    y = torch.rand(1, 3, 20, 30)
    for suffix in (".png", ".jpg"):
        save_image(y, tmp_path / f"t{suffix}")
        write_array(y.numpy(), tmp_path / f"a{suffix}")
        assert (tmp_path / f"t{suffix}").read_bytes() == (tmp_path / f"a{suffix}").read_bytes()
    x = load_image(photo)
    small = resize_array(x.numpy(), 50)
    assert small.shape == resize(x, 50).shape
    assert np.abs(small - resize(x, 50).numpy()).max() <= 1 / 255  # Pillow's filter = torch's
