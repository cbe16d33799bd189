"""The model that ships in the package (brushwork/models, docs/MODELS.md): its files match the
record, it loads weights-only, the recipe it records still trains, and the commands use it when
no model is given."""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from synthetic import painting, photo

from brushwork.config.groups import group_choices
from brushwork.config.paintings import painting_overrides
from brushwork.config.registry import compose
from brushwork.infer import choices
from brushwork.infer.lite import OnnxStylizer, has_onnxruntime
from brushwork.infer.model_file import load_model

RECORD = choices.record()
# The recorded command's settings that say where and how long, not what is trained.
RUN_KEYS = ("run_dir", "logger", "hydra.run.dir", "trainer.max_steps", "trainer.val_check_interval")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_shipped_files_are_the_recorded_ones_and_small() -> None:
    assert _sha256(choices.MODEL) == RECORD["model"]["sha256"]
    assert _sha256(choices.ONNX) == RECORD["onnx"]["sha256"]
    assert _sha256(choices.REGIONS_ONNX) == RECORD["regions_onnx"]["sha256"]
    assert choices.MODEL.stat().st_size + choices.ONNX.stat().st_size <= 5 * 1024 * 1024


def test_the_shipped_model_loads_weights_only_and_says_what_trained_it() -> None:
    payload = torch.load(choices.MODEL, weights_only=True)
    assert [s["name"] for s in payload["styles"]] == RECORD["styles"] == group_choices("style")
    prov = payload["meta"]["provenance"]
    assert prov["source"] == {"commit": RECORD["commit"], "dirty": False}
    assert prov["command"] == RECORD["command"] and RECORD["command"].startswith("python train.py")
    assert payload["meta"]["steps"] == RECORD["steps"]
    model = {k: v for k, v in prov["config"]["model"].items() if v is not None}
    assert {k: v for k, v in payload["arch"].items() if k != "n_styles"} == model
    net, info = load_model(choices.MODEL)
    assert net.n_styles == 10 and info["styles"][0]["title"] == "Candy"


def test_one_step_of_the_recorded_recipe_trains(tmp_path: Path, data_dir: Path) -> None:
    from brushwork.train.pipeline import train

    recorded = shlex.split(RECORD["command"])[2:]  # after "python train.py"
    kept = [a for a in recorded if a.partition("=")[0] not in RUN_KEYS]
    tiny = [
        "logger=none",
        "trainer.max_steps=1",
        "trainer.val_check_interval=1",
        "trainer.limit_val_batches=1",
        "data.size=32",
        "data.num_workers=0",
        "data.val_count=1",
        "data.val_size=32",
        "style_size=32",
        "eval.enabled=false",
        f"run_dir={tmp_path}",
    ]
    out = train(compose("train", [*kept, *tiny]))
    net, info = load_model(out["export"])
    assert [s["name"] for s in info["styles"]] == RECORD["styles"]
    assert info["meta"]["steps"] == 1


def test_your_painting_as_an_eleventh_style_of_the_shipped_network(tmp_path: Path) -> None:
    from brushwork.train.pipeline import train

    own = tmp_path / "woodcut.png"
    painting("woodcut", 48, 40).save(own)
    args = ["experiment=smoke", "logger=none", f"style={own}", "init=shipped", "finetune=norm"]
    out = train(compose("train", [*painting_overrides(args), f"run_dir={tmp_path / 'run'}"]))
    assert Path(out["export"]).name == "brushwork-10+woodcut.pt"
    net, info = load_model(out["export"])
    assert [s["name"] for s in info["styles"]] == [*RECORD["styles"], "woodcut"]
    shipped_net, _ = load_model(choices.MODEL)
    want = dict(shipped_net.named_parameters())
    for name, p in net.named_parameters():  # the shipped styles and convolutions: unchanged
        kept = p[:10] if p.shape[0] == 11 else p  # norms: one (γ, β) row per style
        torch.testing.assert_close(kept, want[name], rtol=0, atol=0, msg=f"{name} moved")


@pytest.mark.skipif(not has_onnxruntime(), reason="the ONNX graph needs onnxruntime")
def test_the_shipped_graph_paints_what_the_model_file_paints() -> None:
    from brushwork.infer.stylizer import Stylizer

    x = np.asarray(photo("graph", 64, 48), np.float32).transpose(2, 0, 1)[None] / 255
    lite = OnnxStylizer(choices.ONNX)
    lite.select("mosaic")
    eager = Stylizer(choices.MODEL, "cpu", backend="torch", style="mosaic")
    want = eager(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(lite(x), want, atol=2e-3)


def _stylize(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "brushwork.cli.main", "stylize", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_stylize_without_a_model_uses_the_shipped_one(tmp_path: Path) -> None:
    photo("shipped", 96, 64).save(tmp_path / "photo.png")
    listed = _stylize("--list-styles", cwd=tmp_path)
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == RECORD["styles"]
    outs = {}
    for name, pick in {
        "candy": ["--style", "candy"],
        "mix": ["--mix", "candy=0.5,udnie=0.5"],
    }.items():
        run = _stylize("photo.png", "-o", f"{name}.png", *pick, "--json", cwd=tmp_path)
        assert run.returncode == 0, run.stderr[-2000:]
        report = json.loads(run.stdout)
        assert report["model"] == str(choices.MODEL)
        if has_onnxruntime():
            assert report["backend"] == "onnxruntime"  # the shipped graph: no torch needed
        outs[name] = np.asarray(Image.open(tmp_path / f"{name}.png"))
    assert np.abs(outs["candy"].astype(int) - outs["mix"].astype(int)).mean() > 1
    first = _stylize("photo.png", "-o", "first.png", cwd=tmp_path)
    assert (
        first.returncode == 0
        and "note: painting candy, the first of the model's 10" in first.stderr
    )


def test_an_unknown_shipped_style_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    photo("shipped", 64, 64).save(tmp_path / "photo.png")
    run = _stylize("photo.png", "-o", "out.png", "--style", "sunflowers", cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        "error: unknown style 'sunflowers'; this model holds: " + ", ".join(RECORD["styles"])
    ]
    assert not (tmp_path / "out.png").exists()
