"""Evaluation against Gatys: equivalent iterations, SSIM, contact sheet, the report and its CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from brushwork.errors import BrushworkError
from brushwork.evaluate.metrics import equivalent_iterations, ssim_luminance
from brushwork.io.sheets import contact_sheet

REPO = Path(__file__).resolve().parents[1]
GATYS_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
CURVE = [100.0, 50.0, 25.0, 12.5]  # loss after 1, 2, 3, 4 iterations


def test_equivalent_iterations_exact_points() -> None:
    for k, loss in enumerate(CURVE, start=1):
        eq = equivalent_iterations(loss, CURVE)
        assert (eq.iterations, eq.relation, str(eq)) == (k, "=", f"{k}.0")


def test_equivalent_iterations_in_between_is_log_linear() -> None:
    assert equivalent_iterations(math.sqrt(50 * 25), CURVE).iterations == pytest.approx(2.5)
    assert equivalent_iterations(70.0, CURVE).iterations == pytest.approx(
        1 + math.log(100 / 70) / math.log(2)
    )


def test_equivalent_iterations_beyond_both_ends() -> None:
    worse, better = equivalent_iterations(150.0, CURVE), equivalent_iterations(10.0, CURVE)
    assert (worse.relation, str(worse)) == ("<", "< 1")
    assert (better.relation, str(better)) == (">", "> 4")


def test_equivalent_iterations_on_a_noisy_curve() -> None:
    noisy = [100.0, 60.0, 70.0, math.nan, 40.0, 45.0, 20.0]  # best: 100 60 60 60 40 40 20
    assert equivalent_iterations(60.0, noisy).iterations == 2  # first iteration reaching it
    assert equivalent_iterations(65.0, noisy).iterations == pytest.approx(
        1 + math.log(100 / 65) / math.log(100 / 60)
    )
    # 50 lies between the plateau's end (iteration 4, best 60) and iteration 5 (40).
    assert equivalent_iterations(50.0, noisy).iterations == pytest.approx(
        4 + math.log(60 / 50) / math.log(60 / 40)
    )
    assert (
        equivalent_iterations(42.0, noisy).iterations
        < equivalent_iterations(40.0, noisy).iterations
    )
    assert str(equivalent_iterations(19.0, noisy)) == "> 7"
    with pytest.raises(ValueError):
        equivalent_iterations(1.0, [])


def test_ssim_luminance() -> None:
    torch.manual_seed(0)
    x = torch.rand(2, 3, 24, 20)
    assert torch.allclose(ssim_luminance(x, x), torch.ones(2), atol=1e-5)
    noisy = (x + 0.3 * torch.randn_like(x)).clamp(0, 1)
    assert (ssim_luminance(noisy, x) < 0.9).all()
    assert ssim_luminance(torch.rand(1, 3, 5, 7), torch.rand(1, 3, 5, 7)).shape == (1,)  # tiny


def test_contact_sheet_grid_size() -> None:
    rows = [[torch.rand(1, 3, 24, 32) for _ in range(4)] for _ in range(3)]
    assert contact_sheet(rows, height=24).shape == (3, 3 * (24 + 2) + 2, 4 * (32 + 2) + 2)
    rows[1][2] = torch.rand(1, 3, 48, 24)  # portrait: scaled to height 24 (12 wide), padded
    sheet = contact_sheet(rows, height=24)
    assert sheet.shape == (3, 3 * 26 + 2, 4 * 34 + 2) and sheet.min() >= 0 and sheet.max() <= 1


def _photo(path: Path, w: int, h: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC).save(path)


def _meta(**loss) -> dict:
    full = {
        "content_weight": 1.0,
        "style_weight": 1e-5,
        "tv_weight": 0.0,
        "content_layers": ["relu4_2"],
        "style_layers": GATYS_LAYERS,
        "content_layer_weights": [1.0],
        "style_layer_weights": [1.0] * 5,
        "vgg": "caffe",
        "pooling": "max",
        "normalize": False,
    }
    return {"style_image": "starry_night.jpg", "style_size": 32, "loss": {**full, **loss}}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, data_dir) -> dict[str, Path]:
    """A 2-photo folder, an empty folder and a tiny exported net carrying its objective."""
    from brushwork.infer.model_file import export_model
    from brushwork.nn.nets import JohnsonNet

    root = tmp_path_factory.mktemp("eval")
    photos, empty = root / "photos", root / "empty"
    photos.mkdir()
    empty.mkdir()
    _photo(photos / "a.png", 32, 24, 0)
    _photo(photos / "b.png", 24, 32, 1)
    torch.manual_seed(0)
    net = JohnsonNet(width=4, n_residual=1)
    style = {"name": "starry_night", "title": "The Starry Night"}
    model = export_model(net, root / "tiny.pt", [style], _meta())
    return {"root": root, "photos": photos, "empty": empty, "model": model}


def test_objective_from_meta_and_what_it_refuses() -> None:
    from brushwork.evaluate.objective import objective_of

    assert objective_of(_meta())["loss"]["style_layers"] == GATYS_LAYERS
    # a painting's own entry of a multi-style file: its weight and size win
    own = objective_of(_meta(), {"style_weight": 7e-5, "style_size": 64})
    assert own["loss"]["style_weight"] == 7e-5 and own["style_size"] == 64
    no_layers = {"style_size": 256, "loss": {"content_weight": 1.0, "style_weight": 3e-5}}
    with pytest.raises(
        BrushworkError, match=r"training objective \(loss.content_layers, .*tv_weight"
    ):
        objective_of(no_layers)
    no_normalize = _meta()
    del no_normalize["loss"]["normalize"]
    with pytest.raises(BrushworkError, match=r"\(loss.normalize\)"):
        objective_of(no_normalize)
    with pytest.raises(BrushworkError, match="style_size"):
        objective_of({"loss": _meta()["loss"]})


@pytest.fixture(scope="module")
def cli_report(tiny) -> tuple[subprocess.CompletedProcess, Path]:
    """``brushwork evaluate`` on the two photos with Gatys-2 and Gatys-3 at 32 px."""
    out = tiny["root"] / "report"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "brushwork.cli.main",
            "evaluate",
            "--protocol",
            "training",
            "--model",
            str(tiny["model"]),
            "--content",
            str(tiny["photos"]),
            "--gatys-steps",
            "3,2",
            "--size",
            "32",
            "--out",
            str(out),
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc, out


def test_evaluate_cli_writes_report_sheet_and_json(cli_report) -> None:
    proc, out = cli_report
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "equivalent Gatys iterations:" in proc.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["gatys_steps"] == [2, 3] and report["photos"] == ["a.png", "b.png"]
    avg = report["average"]
    assert len(avg["curve"]) == 3 and set(avg["gatys"]) == {"2", "3"}
    for p in report["per_photo"]:
        assert p["gatys"]["3"]["total"] == pytest.approx(p["curve"][-1])
        assert p["feed_forward"]["seconds"] > 0 and -1 <= p["feed_forward"]["ssim"] <= 1
    md = (out / "report.md").read_text()
    assert "equivalent Gatys iterations of the feed-forward net" in md and "| Gatys-3 |" in md
    # every row of the summary table fills the header's columns (content, style, tv, total, ...)
    lines = md.splitlines()
    header = next(line for line in lines if line.startswith("| method |"))
    rows = [line for line in lines if line.startswith(("| feed-forward |", "| Gatys-"))]
    assert len(rows) == 3 and all(r.count("|") == header.count("|") for r in rows)
    assert f"| {avg['feed_forward']['total']:.4g} |" in rows[0]
    # rows: 2 photos; columns: photo | Gatys-2 | Gatys-3 | feed-forward; cells 24 px high
    with Image.open(out / "contact_sheet.png") as sheet:
        assert sheet.size == (4 * (32 + 2) + 2, 2 * (24 + 2) + 2)


def _script_main():
    from brushwork.cli.main import main

    return lambda argv: main(["evaluate", "--protocol", "training", *argv])  # `brushwork evaluate`


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing model", "style model not found"),
        ("empty content", "no images found in"),
        ("bad steps", "gatys steps must be positive integers"),
        ("no model", "the following arguments are required: --model"),
    ],
)
def test_bad_inputs_fail_in_one_line(case: str, expected: str, tiny, capsys) -> None:
    args = {
        "missing model": ["--model", str(tiny["root"] / "no.pt"), "--content", str(tiny["photos"])],
        "empty content": ["--model", str(tiny["model"]), "--content", str(tiny["empty"])],
        "bad steps": [
            "--model",
            str(tiny["model"]),
            "--content",
            str(tiny["photos"]),
            "--gatys-steps",
            "10,x",
        ],
        "no model": ["--content", str(tiny["photos"])],
    }[case]
    out = tiny["root"] / f"out_{case.replace(' ', '_')}"
    with pytest.raises(SystemExit) as exit_info:
        _script_main()([*args, "--out", str(out), "--device", "cpu"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and expected in err[0], err
    assert not (out / "report.md").exists()


def test_active_wandb_run_gets_table_and_sheet(cli_report, monkeypatch) -> None:
    from brushwork.evaluate.report import ObjectiveReport, log_wandb

    logged: dict = {}
    run = SimpleNamespace(log=logged.update, summary={})
    fake = SimpleNamespace(
        run=run,
        Table=lambda columns, data: (columns, data),
        Image=lambda image, caption: (image.size, caption),
    )
    monkeypatch.setitem(sys.modules, "wandb", fake)
    saved = json.loads((cli_report[1] / "report.json").read_text())
    report = ObjectiveReport.from_json(saved)
    assert report.to_json() == saved  # the typed report round-trips through report.json
    assert log_wandb(report, torch.rand(3, 54, 138))
    columns, rows = logged["eval/table"]
    assert columns[:2] == ["photo", "method"] and len(rows) == 2 * 3  # 2 photos x 3 methods
    assert logged["eval/contact_sheet"][0] == (138, 54)
    assert run.summary["eval/equivalent_iterations"] == saved["average"]["equivalent_iterations"]
    fake.run = None
    assert not log_wandb(report, torch.rand(3, 54, 138))


def test_gatys_steps_0_scores_the_net_alone(tiny, tmp_path, capsys) -> None:
    from brushwork.evaluate.compare import evaluate

    # README: brushwork evaluate --model A.pt --content DIR --gatys-steps 0
    argv = ["--model", str(tiny["model"]), "--content", str(tiny["photos"]), "--gatys-steps", "0"]
    assert _script_main()([*argv, "--size", "32", "--device", "cpu", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "equivalent Gatys iterations" not in printed
    alone = json.loads((tmp_path / "report.json").read_text())
    kwargs = {"size": 32, "device": "cpu", "progress": False}
    full = evaluate(tiny["model"], tiny["photos"], gatys_steps="2", **kwargs)
    avg = alone["average"]
    assert alone["gatys_steps"] == [] and avg["gatys"] == {} and avg["curve"] == []
    assert avg["equivalent_iterations"] is None and avg["speedup_at_equal_loss"] is None
    for term in ("content", "style", "total"):  # the same net, the same terms as with Gatys
        assert avg["feed_forward"][term] == pytest.approx(getattr(full.feed_forward, term))
    assert f"total {avg['feed_forward']['total']:.4g}" in printed
    assert alone["per_photo"][0]["start_loss"] is None and alone["per_photo"][0]["curve"] == []
    md = (tmp_path / "report.md").read_text()
    assert "Gatys: not run" in md and "| Gatys-" not in md
    with Image.open(tmp_path / "contact_sheet.png") as sheet:  # photo | feed-forward
        assert sheet.size[0] == 2 * (32 + 2) + 2


def test_each_style_of_a_multi_style_model_is_scored_with_its_own_painting(tiny) -> None:
    from brushwork.evaluate.compare import evaluate
    from brushwork.infer.model_file import export_model
    from brushwork.nn.nets import JohnsonNet

    torch.manual_seed(0)
    styles = [
        {"name": "starry_night", "image": "starry_night.jpg", "style_weight": 1e-5},
        {"name": "candy", "image": "candy.jpg", "style_weight": 4e-5},
    ]
    model = export_model(
        JohnsonNet(width=4, n_residual=1, n_styles=2), tiny["root"] / "two.pt", styles, _meta()
    )
    kwargs = {"gatys_steps": "2", "size": 32, "device": "cpu", "progress": False}
    reports = {s: evaluate(model, tiny["photos"], style=s, **kwargs) for s in ("candy", None)}
    assert reports["candy"].style["name"] == "candy"
    assert Path(reports["candy"].style_image).name == "candy.jpg"
    assert reports["candy"].objective["loss"]["style_weight"] == 4e-5
    assert reports[None].style["name"] == "starry_night"  # the first style by default
    with pytest.raises(BrushworkError, match="unknown style 'udnie'; this model holds"):
        evaluate(model, tiny["photos"], style="udnie", **kwargs)


def test_the_closing_evaluation_and_the_command_share_one_protocol() -> None:
    """The training run's evaluation and `brushwork evaluate`'s defaults score the same photos at
    the same size against the same Gatys curve: one net, one equivalent-iteration figure."""
    import inspect

    from hydra import compose, initialize_config_dir

    from brushwork.config.groups import CONFIG_DIR
    from brushwork.evaluate.compare import evaluate
    from brushwork.evaluate.protocol import GATYS_STEPS, SIZE

    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("train")
    assert tuple(cfg.eval.gatys_steps) == GATYS_STEPS
    assert cfg.eval.size == SIZE and cfg.eval.count is None  # every validation photo
    assert cfg.data.val_dir is None  # the validation photos are $BRUSHWORK_DATA/content
    defaults = inspect.signature(evaluate).parameters
    assert defaults["gatys_steps"].default == GATYS_STEPS and defaults["size"].default == SIZE
