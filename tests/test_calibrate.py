"""Style-weight calibration: the ladder, the criterion, the CLI with its cache, and train.py's
``loss.style_weight=auto`` together with the end-of-training evaluation."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bench_calibration import study
from hydra import compose, initialize_config_dir
from PIL import Image

import brushwork.calibrate.weight
from brushwork.calibrate.criterion import choose, ladder, ratio_at
from brushwork.calibrate.probes import probe_photos
from brushwork.cli.calibrate import run as run_calibrate
from brushwork.cli.main import exit_on_error
from brushwork.config.groups import CONFIG_DIR, group_choices
from brushwork.config.paintings import style_config
from brushwork.errors import BrushworkError

REPO = Path(__file__).resolve().parents[1]


def _hand_set(style: str, loss_weight: float = 1e-5) -> float:
    """The final hand-set weight: loss.style_weight × the painting's own style.weight."""
    return loss_weight * float(style_config(style).weight)


def _table(content: list[float], style: list[float], weights: list[float] | None = None):
    weights = weights or [10.0**-k for k in range(7, 7 - len(content), -1)]  # 1e-7, 1e-6, ...
    return [
        {"weight": w, "content_ratio": c, "style_ratio": s}
        for w, c, s in zip(weights, content, style, strict=True)
    ]


def test_ladder_is_geometric_with_exact_ends() -> None:
    steps = ladder(1e-7, 1e-3, 2)
    assert len(steps) == 9 and steps[0] == pytest.approx(1e-7) and steps[-1] == pytest.approx(1e-3)
    assert all(b / a == pytest.approx(10**0.5) for a, b in zip(steps, steps[1:], strict=False))
    assert ladder(1e-5, 1e-5, 2) == [1e-5]
    with pytest.raises(BrushworkError):
        ladder(1e-3, 1e-7, 2)


def test_choose_interpolates_the_content_crossing() -> None:
    table = _table([0.05, 0.1, 0.3, 0.6], [0.9, 0.08, 0.05, 0.01])  # weights 1e-7 … 1e-4
    weight, status = choose(table, max_content=0.2, max_style=0.1)
    # between 1e-6 (0.1) and 1e-5 (0.3), as a power law: 0.1 · (w / 1e-6)^log10(3) = 0.2
    assert status == "ok" and weight == pytest.approx(1e-6 * 10 ** (math.log(2) / math.log(3)))
    assert ratio_at(table, weight, "content_ratio") == pytest.approx(0.2)


def test_choose_reports_the_edge_cases() -> None:
    table = _table([0.05, 0.1, 0.3, 0.6], [0.9, 0.08, 0.05, 0.01])
    assert choose(table, 0.01, 0.1) == (1e-7, "below ladder")
    assert choose(table, 0.9, 0.1) == (pytest.approx(1e-4), "above ladder")
    assert choose(table, 0.2, 0.01)[1] == "weak style"  # style only cut to ~0.06 there


def _photo(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    Image.fromarray(small).resize((32, 24), Image.Resampling.BICUBIC).save(path)


FAST = [
    "calibrate.size=32",
    "calibrate.style_size=32",
    "calibrate.steps=2",
    "calibrate.photos=1",
    "calibrate.per_decade=1",
]
TINY = [*FAST, "calibrate.min_weight=1e-6", "calibrate.max_weight=1e-4"]  # 3 weights


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("photos")
    for i in range(2):
        _photo(root / f"p{i}.png", i)
    return root


def test_cli_calibrates_caches_and_prints_the_table(photos: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    args = [*TINY, f"calibrate.content_dir={photos}", f"calibrate.cache_dir={cache}"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "brushwork.cli.main",
            "calibrate",
            "style=candy",
            *args,
            "progress=false",
            "device=cpu",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "**candy: style weight" in proc.stdout and "| 1e-05" in proc.stdout
    assert f"; hand-set {_hand_set('candy'):.3g}" in proc.stdout  # beside the calibrated one
    (entry,) = cache.glob("candy_*.json")
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("calibrate", ["style=candy", *args, "progress=false"])
    (again,) = run_calibrate(cfg)  # same settings: the probes come from the cache
    assert again["cached"] and again["cache"] == str(entry)
    # all=true (the README's command): every shipped painting, each beside its hand-set weight
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        every = run_calibrate(compose("calibrate", ["all=true", *args, "progress=false"]))
    assert [r["style"] for r in every] == group_choices("style")
    assert all(r["hand_set"] == pytest.approx(_hand_set(r["style"])) for r in every)
    assert all(r["weight"] > 0 for r in every)


def _never(*args, **kwargs):
    raise AssertionError("called")


def _off(row: dict, target: float) -> float:
    """How far a content ratio is from the target, as a factor >= 1."""
    return max(row["content_ratio"] / target, target / row["content_ratio"])


def test_probe_photos_spread_over_the_folder(tmp_path: Path) -> None:
    for i in range(10):
        (tmp_path / f"{i:02d}.jpg").write_bytes(b"")  # only names are listed
    names = lambda n: [p.name for p in probe_photos(tmp_path, n)]  # noqa: E731
    assert names(2) == ["02.jpg", "07.jpg"]  # the middles of the two halves, not 00, 01
    assert names(4) == ["01.jpg", "03.jpg", "06.jpg", "08.jpg"]
    assert names(1) == ["05.jpg"] and len(names(10)) == 10 and len(names(50)) == 10


def test_auto_bound_is_the_anchors_own_ratio(photos: Path, tmp_path: Path) -> None:
    """max_content=auto: the bound is by definition the content ratio of Starry Night at 1e-5
    under the gatys loss on the probe photos — its own probe at that ladder point, to the digit
    (the probes are deterministic), so Starry Night calibrates to 1e-5 wherever its curve
    rises; a fixed bound replaces it."""
    from brushwork.calibrate.weight import calibrate

    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(
            "calibrate",
            [
                "style=starry_night",
                *TINY,
                f"calibrate.content_dir={photos}",
                f"calibrate.cache_dir={tmp_path}",
                # the mechanism, under one loss: the anchor at a ladder point of this calibration
                "calibrate.anchor.weight=1e-5",
                "calibrate.anchor.loss=gatys",
            ],
        )
    result = calibrate(cfg.style, cfg.loss, cfg.calibrate, "cpu")
    row = next(r for r in result["table"] if r["weight"] == pytest.approx(1e-5))
    assert result["max_content"] == pytest.approx(row["content_ratio"], rel=1e-6)
    assert ratio_at(result["table"], 1e-5, "content_ratio") == pytest.approx(result["max_content"])
    assert len(list(tmp_path.glob("anchor_starry_night_*.json"))) == 1  # cached like the tables
    cfg.calibrate.max_content = 0.123
    fixed = calibrate(cfg.style, cfg.loss, cfg.calibrate, "cpu")
    assert fixed["anchor"] is None and fixed["max_content"] == 0.123 and fixed["cached"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("calibrate.max_content=lots", "calibrate.max_content must be auto or > 0, got lots"),
        ("calibrate.max_content=0", "calibrate.max_content must be auto or > 0, got 0"),
        (
            "calibrate.anchor.loss=nope",
            "unknown calibrate.anchor.loss 'nope'; choose one of: gatys, johnson",
        ),
        ("calibrate.anchor.style=nope", "unknown style 'nope'; known: candy"),
    ],
)
def test_bad_bound_settings_fail_in_one_line(photos: Path, override: str, message: str) -> None:
    from brushwork.calibrate.probes import target_content

    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("calibrate", [*TINY, f"calibrate.content_dir={photos}", override])
    with pytest.raises(BrushworkError, match=message.replace("(", r"\(")):
        target_content(cfg.calibrate, probe_photos(photos, 1), "cpu")


def test_validation_compares_both_weights_on_unseen_photos(
    photos: Path, tmp_path: Path, monkeypatch
) -> None:
    sheet, doc = tmp_path / "sheet.png", tmp_path / "cal.md"
    monkeypatch.setenv("BRUSHWORK_CACHE", str(tmp_path / "cache"))
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(
            "calibrate",
            [
                "style=candy",
                *TINY,
                f"calibrate.content_dir={photos}",
            ],
        )
    assert cfg.calibrate.cache_dir == "auto"
    # The study computes the probe photos' bound once per run and hands it to every calibration.
    monkeypatch.setattr(brushwork.calibrate.weight, "target_content", _never)
    (result,) = study(cfg, ["candy"], 3, photos, str(sheet), str(doc))
    # cache_dir=auto: the probes land in brushwork's cache folder.
    assert result["cache"] and Path(result["cache"]).parent == tmp_path / "cache" / "calibration"
    assert Path(result["cache"]).is_file()
    found = result["validation"]
    assert [v["weight"] for v in found.values()] == [
        pytest.approx(_hand_set("candy")),
        result["weight"],
    ]
    # max_content=auto: the bound is what the anchor (the training default) reaches on the same
    # photos, so it differs between the probe photo and the validation photo.
    target = result["validation_target"]
    assert 0 < target < 1 and 0 < result["max_content"] < 1 and target != result["max_content"]
    assert result["anchor"] == {"style": "starry_night", "weight": 3.0, "loss": "johnson"}
    for v in found.values():
        assert v["content_ratio"] > 0 and v["style_ratio"] > 0  # stylized: moved off the photo
        assert v["meets"] == (v["content_ratio"] <= target and v["style_ratio"] <= 0.1)
    # One row (one style) of photo | hand-set | calibrated, 24-px cells and 2-px gutters.
    assert Image.open(sheet).size == (2 + 3 * (32 + 2), 2 + 24 + 2)
    # The probe photo (p1.png: the middle of two) is skipped: one photo is left of the three asked.
    assert result["settings"]["photos"] == ["p1.png"] and result["validation_photos"] == ["p0.png"]
    text = doc.read_text()
    assert "## Validation: hand-set vs calibrated on unseen photos" in text
    assert "never saw: p0.png (the content folder)" in text
    closer = int(_off(found["calibrated"], target) <= _off(found["hand-set"], target))
    assert f"calibrated at least as close to the target as hand-set in {closer}/1 styles" in text
    assert f"| {_off(found['calibrated'], target):.2f} |" in text  # how far off, as a factor
    # All photos used by the probes: nothing left to validate on, said in one line.
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(
            "calibrate",
            [
                *TINY,
                f"calibrate.content_dir={photos}",
                "calibrate.photos=2",
                "calibrate.cache_dir=null",
            ],
        )
    with pytest.raises(BrushworkError, match="no photos besides the 2 the calibration probes use"):
        study(cfg, ["candy"], 1, photos)


def test_empty_content_dir_fails_in_one_line(tmp_path: Path, capsys) -> None:
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("calibrate", [*TINY, f"calibrate.content_dir={tmp_path}"])
    with pytest.raises(SystemExit) as exit_info:
        exit_on_error(run_calibrate)(cfg)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no images found in"), err


def test_train_auto_weight_and_end_of_training_evaluation(photos: Path, tmp_path: Path) -> None:
    """``loss.style_weight=auto`` resolves before training and lands in the export's meta; the
    quick evaluation runs after export and logs its figures."""
    from brushwork.infer.model_file import load_model
    from brushwork.train.pipeline import train

    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(
            "train",
            [
                "trainer=smoke",
                "model.width=4",
                "model.n_residual=1",
                "logger=csv",
                f"data.dir={photos}",
                f"data.val_dir={photos}",
                f"run_dir={tmp_path / 'run'}",
                "loss.style_weight=auto",
                *FAST,
                f"calibrate.content_dir={photos}",
                f"calibrate.cache_dir={tmp_path / 'cache'}",
                "eval.enabled=true",
                "eval.size=32",
                "eval.gatys_steps=[2]",
                "eval.count=1",
            ],
        )
    result = train(cfg)
    assert cfg.loss.style_weight == "auto"  # the run's config stays as written
    _, info = load_model(result["export"])
    meta = info["meta"]
    weight = meta["calibration"]["weight"]
    assert 1e-2 <= weight <= 1e2  # the ladder of normalized terms
    assert meta["loss"]["style_weight"] == pytest.approx(weight)  # the final weight trained
    assert info["styles"][0]["style_weight"] == pytest.approx(weight)
    assert len(meta["calibration"]["table"]) == 5  # 1e-2 … 1e2, one per decade
    objective = {k: meta["loss"][k] for k in ("content_layers", "vgg", "normalize")}
    assert objective == {
        "content_layers": list(cfg.loss.content_layers),
        "vgg": "caffe",
        "normalize": bool(cfg.loss.normalize),
    }
    run = Path(result["run_dir"])
    assert (run / "eval" / "report.md").is_file() and (run / "eval" / "contact_sheet.png").is_file()
    assert "eval/equivalent_iterations" in (run / "csv" / "metrics.csv").read_text()
