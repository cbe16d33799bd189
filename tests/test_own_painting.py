"""Your own painting: ``style=path/to/painting.jpg`` trains a style named after the file (never
after a shipped painting), and the run's closing evaluation scores it against that painting."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from synthetic import painting, photo

from brushwork.config.paintings import painting_overrides
from brushwork.config.registry import compose
from brushwork.infer.model_file import load_model

REPO = Path(__file__).resolve().parents[1]
SMOKE = ["experiment=smoke", "logger=none", "model.width=8", "model.n_residual=1"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["style=candy"], ["style=candy"]),  # a shipped style: unchanged
        (
            ["style=art/woodcut.png", "seed=1"],
            [
                "style.image=art/woodcut.png",
                "style.weight=1.0",
                "style.name=woodcut",
                "style.title=woodcut",
                "style.artist=null",
                "style.url=null",
                "seed=1",
            ],
        ),
        (
            ["style.image=/my art/block print (2).jpg"],
            [
                "style.image=/my art/block print (2).jpg",
                "style.weight=1.0",
                'style.name="block print (2)"',
                'style.title="block print (2)"',
                "style.artist=null",
                "style.url=null",
            ],
        ),
        (
            ["style.image=x.png", "style.name=mine"],
            ["style.image=x.png", "style.weight=1.0", "style.name=mine"],
        ),
        (
            ["style=x.png", "style.weight=3", "style.name=mine"],  # the user's weight is kept
            ["style.image=x.png", "style.weight=3", "style.name=mine"],
        ),
    ],
)
def test_a_painting_by_path_is_named_after_its_file(argv, expected) -> None:
    assert painting_overrides(argv) == expected


def test_style_image_alone_no_longer_carries_starry_nights_name_or_weight(tmp_path: Path) -> None:
    path = tmp_path / "linocut.png"
    assert compose("train").style.weight != 1.0  # the default painting has its own weight
    for argv in ([f"style.image={path}"], [f"style={path}"]):
        cfg = compose("train", painting_overrides(argv))
        assert (cfg.style.name, cfg.style.title, cfg.style.artist, cfg.style.url) == (
            "linocut",
            "linocut",
            None,
            None,
        )
        assert cfg.style.image == str(path) and cfg.style.weight == 1.0
    assert compose("train", [f"style={path}", "style.weight=2"]).style.weight == 2.0
    # One code path: a painting by path named in a list (styles=, mix:, evaluate --style PATH)
    # is the same style as `style=PATH` composes.
    from omegaconf import OmegaConf

    from brushwork.config.paintings import style_config

    composed = OmegaConf.to_container(compose("train", painting_overrides([f"style={path}"])).style)
    assert OmegaConf.to_container(style_config(str(path))) == composed


def test_a_painting_by_path_starts_from_the_shipped_network_where_it_fits(tmp_path: Path) -> None:
    from brushwork.infer import choices
    from brushwork.nn.nets import build_net
    from brushwork.train.progress import net_summary
    from brushwork.train.styles import apply_init, plan

    own = tmp_path / "woodcut.png"
    warm = plan(compose("train", [f"style={own}"]))  # the default layout is the shipped one's
    assert warm.init == str(choices.MODEL) and warm.model.get("n_styles") is None
    net = build_net(**warm.model)
    apply_init(net, warm)
    source, _ = load_model(choices.MODEL)
    for name, p in net.named_parameters():  # convolutions as shipped, norms: the styles' mean
        want = source.state_dict()[name]
        want = want.mean(0) if want.shape[:1] == (10,) and p.shape != want.shape else want
        torch.testing.assert_close(p.detach(), want, rtol=0, atol=0, msg=name)
    assert "starting from brushwork-10.pt" in net_summary(net, ["relu2_2"], warm.init)
    # another layout, or init=null: from scratch, without an error
    assert plan(compose("train", [f"style={own}", "model.width=8"])).init is None
    assert plan(compose("train", [f"style={own}", "init=null"])).init is None
    assert plan(compose("train", ["style=candy"])).init is None  # a shipped style: as before


def _tiny_eval_args(tmp_path: Path, photos: int) -> list[str]:
    """Generated training/validation photos and a seconds-long closing evaluation."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(photos):
        photo(f"own{i}", 40, 36).save(folder / f"p{i}.png")
    return [
        *SMOKE,
        f"data.dir={folder}",
        f"data.val_dir={folder}",
        "eval.enabled=true",
        "eval.gatys_steps=[2]",
        "eval.size=32",
        "eval.count=1",
    ]


def test_own_painting_trains_named_after_it_and_is_evaluated_against_it(tmp_path: Path) -> None:
    art = tmp_path / "my art"
    art.mkdir()
    own = art / "red woodcut.png"
    painting("red woodcut", 48, 40).save(own)
    run_dir = tmp_path / "run"
    args = [*_tiny_eval_args(tmp_path, 3), f"style={own}", f"run_dir={run_dir}"]
    out = subprocess.run(
        [sys.executable, str(REPO / "train.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    export = run_dir / "red woodcut.pt"
    assert f"exported model: {export}" in out.stdout
    (style,) = torch.load(export, weights_only=True)["styles"]
    said = {k: style[k] for k in ("name", "title", "artist", "url")}
    assert said == {"name": "red woodcut", "title": "red woodcut", "artist": None, "url": None}
    assert style["image"] == own.name
    assert "evaluation: feed-forward" in out.stdout and "skipped" not in out.stdout + out.stderr
    report = json.loads((run_dir / "eval" / "report.json").read_text())
    assert Path(report["style_image"]) == own


def test_a_painting_by_path_among_styles_is_evaluated_against_its_own_file(tmp_path: Path) -> None:
    from brushwork.train.pipeline import train

    own = tmp_path / "linocut.png"
    painting("linocut", 48, 40).save(own)
    args = [*_tiny_eval_args(tmp_path, 2), f"styles=[{own},candy]", f"run_dir={tmp_path / 'run'}"]
    train(compose("train", args))
    reports = {
        name: json.loads((tmp_path / "run" / "eval" / name / "report.json").read_text())
        for name in ("linocut", "candy")
    }
    assert Path(reports["linocut"]["style_image"]) == own
    assert Path(reports["candy"]["style_image"]).name == "candy.jpg"


def test_the_wandb_run_is_named_after_the_styles_trained(tmp_path: Path) -> None:
    from brushwork.train.loggers import build_logger

    cfg = compose("train", ["styles=[candy,mosaic]", "logger=wandb", "logger.mode=offline"])
    logger = build_logger(cfg, tmp_path / "run")
    assert logger._wandb_init["name"] == "candy+mosaic/run"  # not the default style's name
    assert "starry_night" not in logger._wandb_init["tags"]
