"""Training end to end on tiny data: real configs and CLI, checkpoints, export, W&B offline.

One smoke run through ``python train.py`` (module fixture) feeds the checkpoint, export, resume and
wrong-architecture tests; the rest compose configs with ``hydra.compose`` and call ``train()``.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from PIL import Image

from brushwork.config.groups import CONFIG_DIR, group_choices
from brushwork.errors import BrushworkError
from brushwork.nn.nets import build_net

REPO = Path(__file__).resolve().parents[1]
TINY = ["model.width=8", "model.n_residual=1"]  # a 2-step run of the full net is needlessly slow
NAMES_2 = ["starry_night", "great_wave"]
# The default for new trainings (configs/model/shuffle.yaml, experiment=cpu) with TINY's overrides.
TINY_DEFAULT_ARCH = {
    "arch": "shuffle",
    "width": 8,
    "n_residual": 1,
    "separable": True,
    "upsample": "bilinear",
    "grain": 0.05,  # the default recipe's (experiment=cpu)
}


def _photo(path: Path, w: int, h: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)  # smooth blobs, photo-like enough
    Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC).save(path)


@pytest.fixture(scope="module")
def folders(tmp_path_factory, data_dir) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("data")
    train, val, junk = root / "train", root / "val", root / "junk"
    for d in (train, val, junk):
        d.mkdir()
    for i in range(6):
        _photo(train / f"p{i}.jpg", 48, 48 - 4 * i, seed=i)
    _photo(val / "wide.png", 40, 24, seed=10)
    _photo(val / "tall.png", 24, 40, seed=11)
    (junk / "broken.jpg").write_bytes(b"not a jpeg at all")
    (root / "garbage.jpg").write_bytes(os.urandom(512))
    return {"root": root, "train": train, "val": val, "junk": junk}


def _env(tmp: Path) -> dict[str, str]:
    """A clean environment: W&B 'auto' must find no credentials here, so it goes offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env |= {"WANDB_SILENT": "true", "NETRC": str(home / ".netrc"), "WANDB_CONFIG_DIR": str(home)}
    return env


def _cli(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "train.py"), *args],
        cwd=cwd,
        env=_env(cwd),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _data_args(folders: dict[str, Path]) -> list[str]:
    return [f"data.dir={folders['train']}", f"data.val_dir={folders['val']}"]


@pytest.fixture(scope="module")
def smoke_run(folders, tmp_path_factory) -> Path:
    """Run folder of ``python train.py trainer=smoke`` with the default logger (W&B, mode auto)."""
    cwd = tmp_path_factory.mktemp("cli")
    run_dir = cwd / "run"
    out = _cli(["experiment=smoke", *TINY, *_data_args(folders), f"hydra.run.dir={run_dir}"], cwd)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert f"exported model: {run_dir / 'starry_night.pt'}" in out.stdout
    # The progress bar (brushwork.train.progress): the run's steps on stderr, stdout kept clean.
    bar = [line for line in out.stderr.replace("\r", "\n").splitlines() if "training:" in line]
    assert bar and "100%" in bar[-1] and "2/2" in bar[-1] and "step" in bar[-1], bar[-1:]
    assert "training:" not in out.stdout and "Epoch 0" not in out.stderr
    return run_dir


def _compose(overrides: list[str]):
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return compose("train", overrides=overrides)


def test_smoke_run_writes_checkpoint_export_grid_and_wandb(smoke_run: Path) -> None:
    ckpt = torch.load(smoke_run / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 2
    loss_keys = {k for k in ckpt["state_dict"] if k.startswith("loss.")}
    grams = {f"loss.gram_{n}" for n in ("relu1_2", "relu2_2", "relu3_4", "relu4_4")}
    assert loss_keys == grams | {"loss.has_style", "loss.style_factors"}  # targets, not VGG
    # the net and its weight average (optim.ema of the CPU recipe), nothing else
    assert all(k.startswith(("net.", "average.")) for k in ckpt["state_dict"].keys() - loss_keys)
    # the config's model group as composed (grain 0: a net that describes itself without it)
    # the config's every field; the model file leaves an unset dilation out (below)
    assert ckpt["hyper_parameters"]["model"] == TINY_DEFAULT_ARCH | {"dilation": 1}
    (adam,) = ckpt["optimizer_states"]
    n_params = len(list(build_net(**TINY_DEFAULT_ARCH).parameters()))
    assert len(adam["param_groups"][0]["params"]) == n_params  # VGG is not optimized
    assert list((smoke_run / "samples").glob("step_*.png"))
    (wandb_run,) = (smoke_run / "wandb").glob("offline-run-*")  # auto mode went offline
    (record,) = wandb_run.glob("*.wandb")
    logged = record.read_bytes()  # protobuf records: metric names and artifact names are plain
    assert b"train/total" in logged and b"val/total" in logged
    assert b"starry_night-style" in logged  # the export, logged as a model artifact


def test_export_stylizes_odd_sizes(smoke_run: Path) -> None:
    from brushwork.infer.model_file import load_model

    net, info = load_model(smoke_run / "starry_night.pt")
    assert net.model_args == TINY_DEFAULT_ARCH  # configs/train.yaml's default layout, at TINY size
    assert info["style"]["name"] == "starry_night" and info["meta"]["steps"] == 2
    with torch.no_grad():
        out = net(torch.rand(1, 3, 23, 37))
    assert out.shape == (1, 3, 23, 37) and out.min() >= 0 and out.max() <= 1


def test_resume_continues_global_step(smoke_run: Path, folders, tmp_path: Path) -> None:
    from brushwork.train.pipeline import train

    last = smoke_run / "checkpoints" / "last.ckpt"
    cfg = _compose(
        [
            "experiment=smoke",
            *TINY,
            *_data_args(folders),
            "logger=csv",
            f"run_dir={tmp_path}",
            f"ckpt_path={last}",
            "trainer.max_steps=4",
            "export=false",
        ]
    )
    result = train(cfg)
    ckpt = torch.load(result["last_checkpoint"], map_location="cpu", weights_only=True)
    assert ckpt["global_step"] == 4 and result["export"] is None
    with open(tmp_path / "csv" / "metrics.csv") as f:
        steps = [int(r["step"]) for r in csv.DictReader(f) if r.get("train/total")]
    assert steps and min(steps) >= 2  # only the two new steps ran


def test_resume_continues_the_wandb_run(smoke_run: Path, folders, tmp_path: Path) -> None:
    from brushwork.train.pipeline import train

    run_id = (smoke_run / "wandb_id").read_text()
    (first,) = (smoke_run / "wandb").glob("offline-run-*")
    assert first.name.endswith(f"-{run_id}")
    cfg = _compose(
        [
            "experiment=smoke",
            *TINY,
            *_data_args(folders),
            "logger.mode=offline",
            f"run_dir={tmp_path}",
            f"ckpt_path={smoke_run / 'checkpoints' / 'last.ckpt'}",
            "trainer.max_steps=3",
            "export=false",
        ]
    )
    train(cfg)
    (resumed,) = (tmp_path / "wandb").glob("offline-run-*")
    assert resumed.name.endswith(f"-{run_id}")  # the same W&B run, continued
    assert (tmp_path / "wandb_id").read_text() == run_id
    # A fresh run (no ckpt_path) gets a W&B run of its own.
    fresh = _compose(
        [
            "experiment=smoke",
            *TINY,
            *_data_args(folders),
            "logger.mode=offline",
            f"run_dir={tmp_path / 'fresh'}",
            "export=false",
        ]
    )
    train(fresh)
    assert (tmp_path / "fresh" / "wandb_id").read_text() != run_id


def test_reused_run_dir_keeps_one_current_last_checkpoint(folders, tmp_path: Path) -> None:
    # Lightning would write last-v1.ckpt next to the old last.ckpt, leaving the path train()
    # returns (and the resume hint) pointing at the previous run's weights.
    from brushwork.train.pipeline import train

    for steps in (2, 3):
        cfg = _compose(
            [
                "experiment=smoke",
                *TINY,
                *_data_args(folders),
                "logger=none",
                f"run_dir={tmp_path}",
                f"trainer.max_steps={steps}",
                "export=false",
                "eval.enabled=false",
            ]
        )
        result = train(cfg)
    ckpt = torch.load(result["last_checkpoint"], map_location="cpu", weights_only=True)
    assert ckpt["global_step"] == 3
    assert not list((tmp_path / "checkpoints").glob("last-v*.ckpt"))


def test_the_run_ends_saved_and_prints_steps_eta_and_terms_without_noise(folders, tmp_path):
    """5 steps, checkpoints every 2: last.ckpt holds step 5 (not 4); the bar counts the global
    step of max_steps with each loss term; Lightning's noise a user cannot act on is gone."""
    run_dir = tmp_path / "run"
    args = ["experiment=smoke", *TINY, *_data_args(folders), "logger=csv", "export=false"]
    args += ["trainer.max_steps=5", "checkpoint_every_n_steps=2", f"hydra.run.dir={run_dir}"]
    out = _cli(args, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    ckpt = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 5
    text = out.stdout + out.stderr
    assert re.search(r"training: 100%\S* *\| *5/5 \[", text), text[-2000:]
    assert all(f"{term}=" in text for term in ("loss", "content", "style", "val"))
    assert "Epoch 0" not in text  # Lightning's per-epoch bar
    noises = ("module(s) in eval mode", "💡", "configured so 100%", "LeafSpec", "summary")
    noises += ("GPU available", "TPU available", "Modules in eval mode", "Total FLOPs")
    for noise in noises:
        assert noise not in text, noise
    assert re.search(r"net: ShuffleNet, \d+ K parameters trained; loss: frozen VGG19 to relu", text)


def test_ddp_on_two_cpu_processes_trains_once_writes_once_and_resumes(folders, tmp_path):
    """strategy=ddp with 2 CPU processes (gloo): both ranks start and step together; the model
    file, the grids, the evaluation and the W&B run are written once (rank 0); a resume from the
    checkpoint continues under DDP."""
    run_dir = tmp_path / "run"
    ddp = ["trainer.strategy=ddp", "trainer.devices=2", "trainer.accelerator=cpu"]
    ev = ["eval.enabled=true", "eval.count=1", "eval.gatys_steps=[1]", "eval.size=32"]
    args = ["experiment=smoke", *TINY, *_data_args(folders), *ddp, *ev, "trainer.max_steps=3"]
    out = _cli([*args, f"hydra.run.dir={run_dir}"], tmp_path, timeout=600)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    assert "GLOBAL_RANK: 0, MEMBER: 1/2" in text and "GLOBAL_RANK: 1, MEMBER: 2/2" in text
    ckpt = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 3  # the steps of both ranks are one step each (synced grads)
    assert [p.name for p in run_dir.glob("*.pt")] == ["starry_night.pt"]
    assert len(list((run_dir / "wandb").glob("offline-run-*"))) == 1
    assert len(list((run_dir / "eval").glob("report.json"))) == 1
    assert list((run_dir / "samples").glob("step_*.png"))
    more = [*args[:-1], "trainer.max_steps=5", f"ckpt_path={run_dir / 'checkpoints' / 'last.ckpt'}"]
    out = _cli([*more, "export=false", f"hydra.run.dir={tmp_path / 'more'}"], tmp_path, timeout=600)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    ckpt = torch.load(tmp_path / "more" / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 5


def test_fast_dev_run(folders, tmp_path: Path) -> None:
    from brushwork.train.pipeline import train

    cfg = _compose(
        [
            "experiment=smoke",
            *TINY,
            *_data_args(folders),
            "logger=none",
            f"run_dir={tmp_path}",
            "trainer.fast_dev_run=true",
            "model=johnson",
            "optim.schedule=cosine",
        ]
    )
    result = train(cfg)
    assert result["last_checkpoint"] is None  # fast_dev_run writes no checkpoints
    assert Path(result["export"]).is_file()


@pytest.mark.parametrize("target_loss", ["pixel", "feature"])
def test_target_term_joins_the_total(target_loss: str, data_dir: Path) -> None:
    from brushwork.train.module import StyleTransferModule

    module = StyleTransferModule(
        model={"arch": "johnson", "width": 4, "n_residual": 0, "separable": False},
        loss={"content_layers": ["relu2_2"], "style_layers": ["relu1_2", "relu2_2"]},
        styles=[{"name": "starry_night"}],
        paintings=[str(data_dir / "styles" / "starry_night.jpg")],
        style_sizes=[32],
        distill={"weight": 2.0, "loss": target_loss},
    )
    logged = {}
    module.log = lambda name, value, **kw: logged.__setitem__(name, float(value))
    x = torch.rand(2, 3, 16, 16)
    total = module.training_step({"content": x, "target": torch.rand(2, 3, 16, 16)}, 0)
    parts = sum(logged[f"train/{k}"] for k in ("content", "style", "tv", "target"))
    assert logged["train/target"] > 0
    assert float(total) == pytest.approx(parts, rel=1e-5)


@pytest.mark.parametrize("style", group_choices("style"))
def test_every_style_composes(style: str, data_dir: Path) -> None:
    from brushwork.io.assets import resolve_style_image

    cfg = _compose([f"style={style}"])
    assert cfg.style.name == style and float(cfg.style.weight) > 0
    assert resolve_style_image(cfg.style.image, allow_download=False).is_file()
    assert cfg.data.dir == f"{data_dir}/train"


def test_resume_and_reload_need_no_painting(folders, tmp_path: Path, data_dir: Path) -> None:
    # The Gram targets travel in the checkpoint: once the painting is gone, the run still
    # resumes and the checkpoint still loads, with the same targets.
    from brushwork.train.module import StyleTransferModule
    from brushwork.train.pipeline import train

    painting = tmp_path / "my_painting.jpg"
    painting.write_bytes((data_dir / "styles" / "the_scream.jpg").read_bytes())
    base = [
        "experiment=smoke",
        *TINY,
        *_data_args(folders),
        "logger=none",
        "export=false",
        f"style.image={painting}",
    ]
    first = train(_compose([*base, f"run_dir={tmp_path / 'a'}"]))
    before = StyleTransferModule.load_from_checkpoint(first["last_checkpoint"])
    painting.unlink()
    after = StyleTransferModule.load_from_checkpoint(first["last_checkpoint"])
    assert (
        after.loss.style_grams and after.loss.style_grams.keys() == before.loss.style_grams.keys()
    )
    for name, gram in before.loss.style_grams.items():
        torch.testing.assert_close(after.loss.style_grams[name], gram, rtol=0, atol=0)
    ckpt = f"ckpt_path={first['last_checkpoint']}"
    resumed = train(_compose([*base, f"run_dir={tmp_path / 'b'}", ckpt, "trainer.max_steps=3"]))
    state = torch.load(resumed["last_checkpoint"], map_location="cpu", weights_only=True)
    assert state["global_step"] == 3
    with pytest.raises(BrushworkError, match="style image not found"):  # no checkpoint to help
        train(_compose([*base, f"run_dir={tmp_path / 'c'}"]))


@pytest.mark.parametrize("experiment", group_choices("experiment"))
def test_experiments_compose_and_trainer_groups_hold_trainer_keys_only(experiment: str) -> None:
    import inspect

    import pytorch_lightning as pl

    cfg = _compose([f"experiment={experiment}"])
    assert set(cfg.trainer) <= set(inspect.signature(pl.Trainer.__init__).parameters)
    for trainer in group_choices("trainer"):  # a preset that changes more is an experiment
        text = (CONFIG_DIR / "trainer" / f"{trainer}.yaml").read_text()
        assert "@package" not in text and not any(f"\n{g}:" in text for g in ("data", "optim"))


@pytest.mark.parametrize("trainer", group_choices("trainer"))
def test_trainer_presets_are_valid_trainer_kwargs(trainer: str) -> None:
    import inspect

    import pytorch_lightning as pl

    cfg = _compose([f"trainer={trainer}"])
    assert set(cfg.trainer) <= set(inspect.signature(pl.Trainer.__init__).parameters)


def test_help_and_cfg_job(tmp_path: Path) -> None:
    out = _cli(["--help"], tmp_path)
    assert out.returncode == 0 and "style: " in out.stdout, out.stderr
    out = _cli(["--cfg", "job", "experiment=gpu", "model=johnson"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "precision: bf16-mixed" in out.stdout and "arch: johnson" in out.stdout
    assert "channels_last: true" in out.stdout and "size: 256" in out.stdout  # the whole recipe


BAD_INPUTS = {
    "unknown style": (["style=nope"], "unknown style 'nope'; known: candy"),
    "unknown model": (["model=huge"], "unknown model 'huge'; known: johnson, shuffle"),
    "unknown trainer": (["trainer=tpu"], "unknown trainer 'tpu'; known: cpu"),
    "unknown experiment": (
        ["experiment=tpu"],
        "unknown experiment 'tpu'; known: cpu, cpu_long, cpu_strokes, ddp, gpu",
    ),
    "missing data": (["data.dir={root}/missing"], "training photos not found"),
    "unreadable data": (["data.dir={junk}"], "no readable images in"),
    "garbage style image": (["style.image={root}/garbage.jpg"], "garbage.jpg"),
    "a painting path that is no image": (["style={root}/garbage.jpg"], "garbage.jpg"),
    "a painting path that is not there": (["style={root}/none.png"], "style image not found"),
    "other architecture": (["ckpt_path={ckpt}", "model.width=16"], "another architecture: width=8"),
    "unknown style in styles": (["styles=[starry_night,nope]"], "unknown style 'nope'; known:"),
    "a style twice": (["styles=[candy,candy]"], "names a painting twice: candy, candy"),
    "styles not a list": (["styles=some"], "styles= wants a list ([a,b]) or 'all'"),
    "init missing": (["init={root}/none.pt"], "style model not found"),
    "init of another architecture": (["init={export}", "model.width=16"], "another architecture"),
    "finetune=norm without init": (["finetune=norm"], "finetune=norm needs init="),
    "finetune=norm on a single-style file": (
        ["init={export}", "finetune=norm", "style=candy"],
        "finetune=norm needs a multi-style model",
    ),
    "unknown finetune": (["init={export}", "finetune=conv"], "unknown finetune 'conv'"),
    "distillation with styles": (
        ["styles=[candy,mosaic]", "distill.weight=1", "data.targets={root}"],
        "distill.weight > 0 trains one style",
    ),
}


@pytest.mark.parametrize(
    ("override", "says"),
    [
        ("model.width=wide", "Value 'wide' of type 'str' could not be converted to Integer"),
        ("loss.contnt_weight=1", "Could not override 'loss.contnt_weight'"),
    ],
)
def test_typed_configs_refuse_typos_and_wrong_types_at_compose_time(
    override: str, says: str, tmp_path: Path
) -> None:
    out = _cli(["experiment=smoke", override, f"hydra.run.dir={tmp_path}"], tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]  # one line
    assert out.stderr.startswith("error: ") and says in out.stderr
    assert not list(tmp_path.glob("*.pt"))  # nothing ran


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_inputs_fail_in_one_line(case: str, folders, smoke_run: Path, tmp_path: Path) -> None:
    args, expected = BAD_INPUTS[case]
    paths = {"root": folders["root"], "junk": folders["junk"]}
    paths["ckpt"] = smoke_run / "checkpoints" / "last.ckpt"
    paths["export"] = smoke_run / "starry_night.pt"
    args = [a.format(**paths) for a in args]
    base = ["experiment=smoke", "logger=none", *TINY, *_data_args(folders)]
    out = _cli([*base, *args, f"hydra.run.dir={tmp_path}"], tmp_path)
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and expected in errors[0], out.stderr[-2000:]
    assert not list(tmp_path.rglob("*.pt")) and not list(tmp_path.rglob("*.ckpt"))


def test_multirun_trains_one_run_per_style(folders, tmp_path: Path) -> None:
    # README: python train.py -m style=starry_night,great_wave (one run and one W&B run each).
    sweep = tmp_path / "sweep"
    args = [
        "-m",
        "style=starry_night,great_wave",
        "experiment=smoke",
        *TINY,
        *_data_args(folders),
        "logger.mode=offline",
        f"hydra.sweep.dir={sweep}",
    ]
    out = _cli(args, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    runs = sorted(p.name for p in sweep.iterdir() if p.is_dir())
    assert runs == ["0_starry_night", "1_great_wave"]
    ids = {(sweep / r / "wandb_id").read_text() for r in runs}
    assert len(ids) == 2  # a W&B run per style, not one shared run
    for run in runs:
        style = run.split("_", 1)[1]
        assert (sweep / run / f"{style}.pt").is_file()


@pytest.mark.parametrize("experiment", group_choices("experiment"))
def test_experiment_values_survive_composition(experiment: str) -> None:
    # The old trainer presets set optim.* that train.yaml's own values silently overrode (its
    # _self_ came after them): every value a recipe sets must be in the composed config.
    from omegaconf import OmegaConf

    preset = OmegaConf.load(CONFIG_DIR / "experiment" / f"{experiment}.yaml")
    preset.pop("defaults", None)
    cfg = _compose([f"experiment={experiment}"])
    flat = OmegaConf.to_container(preset)

    def walk(node: dict, prefix: str = "") -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                assert OmegaConf.select(cfg, f"{prefix}{key}") == value, f"{prefix}{key}"

    walk(flat)


def _norm_state(net) -> tuple[dict, dict]:
    """(the per-style norm rows, the shared weights) of a net's state dict."""
    from brushwork.nn.stylemix import norm_keys

    keys = norm_keys(net)
    state = net.state_dict()
    return {k: state[k] for k in keys}, {k: v for k, v in state.items() if k not in keys}


def test_styles_train_into_one_network_and_finetune_norm_appends_one(
    folders, smoke_run: Path, tmp_path: Path
) -> None:
    from brushwork.infer.model_file import load_model
    from brushwork.io.images import load_image
    from brushwork.train.pipeline import train

    base = ["experiment=smoke", *TINY, *_data_args(folders), "logger=none"]
    two = train(_compose([*base, "styles=[starry_night,great_wave]", f"run_dir={tmp_path / 'a'}"]))
    assert Path(two["export"]).name == "starry_night+great_wave.pt"
    net, info = load_model(two["export"])
    assert net.n_styles == 2 and [s["name"] for s in info["styles"]] == NAMES_2
    assert all(s["image"] and s["style_weight"] > 0 for s in info["styles"])
    ckpt = torch.load(two["last_checkpoint"], map_location="cpu", weights_only=True)
    assert ckpt["state_dict"]["loss.gram_relu1_2"].shape == (2, 64, 64)  # a target per style
    # The grid shows every style: photos, then one row per style (the smoke run's has two rows).
    (grid,) = (tmp_path / "a" / "samples").glob("step_*.png")
    (single,) = (smoke_run / "samples").glob("step_*.png")
    rows = load_image(grid).shape[-2] / load_image(single).shape[-2]
    assert rows == pytest.approx(3 / 2, rel=0.05)

    # finetune=norm: the convolutions and the old styles' rows stay bit-identical; candy is new.
    args = [f"init={two['export']}", "finetune=norm", "style=candy", f"run_dir={tmp_path / 'b'}"]
    three = train(_compose([*base, *args]))
    assert Path(three["export"]).name == "starry_night+great_wave+candy.pt"
    grown, info = load_model(three["export"])
    assert [s["name"] for s in info["styles"]] == [*NAMES_2, "candy"]
    assert info["meta"]["init"]["finetune"] == "norm"
    (old_rows, old_shared), (new_rows, new_shared) = _norm_state(net), _norm_state(grown)
    assert old_shared.keys() == new_shared.keys()
    assert all(torch.equal(old_shared[k], new_shared[k]) for k in old_shared)
    assert all(torch.equal(new_rows[k][:2], old_rows[k]) for k in old_rows)
    moved = [not torch.allclose(new_rows[k][2], old_rows[k].mean(0)) for k in old_rows]
    assert any(moved)  # the new pair started at the mean of the others and learned


def test_round_robin_gives_every_style_the_same_samples() -> None:
    from brushwork.train.module import StyleTransferModule

    ids = StyleTransferModule._style_ids
    holder = type("M", (), {"styles": [0, 1, 2], "_style_ids": ids})()
    drawn = torch.cat([holder._style_ids(4, 4 * step) for step in range(6)])
    assert torch.bincount(drawn).tolist() == [8, 8, 8]
    assert holder._style_ids(4, 4).tolist() == [1, 2, 0, 1]


def test_init_starts_from_a_trained_network(folders, smoke_run: Path, tmp_path: Path) -> None:
    from brushwork.infer.model_file import load_model
    from brushwork.train.pipeline import train

    init = smoke_run / "starry_night.pt"
    args = ["experiment=smoke", *TINY, *_data_args(folders), "logger=none", "style=the_scream"]
    args += [f"init={init}", "optim.lr=1e-12", f"run_dir={tmp_path}"]  # steps that change ~nothing
    out = train(_compose(args))
    start, _ = load_model(init)
    warm, info = load_model(out["export"])
    assert info["style"]["name"] == "the_scream"
    digest = hashlib.sha256(init.read_bytes()).hexdigest()  # the file, not this machine's path
    assert info["meta"]["init"] == {"model": init.name, "sha256": digest, "finetune": "all"}
    for key, value in start.state_dict().items():
        torch.testing.assert_close(warm.state_dict()[key], value, rtol=0, atol=1e-6)


def test_styles_all_and_auto_weights_per_painting(monkeypatch, data_dir: Path) -> None:
    from brushwork.calibrate import weight as calibration
    from brushwork.train import styles as plan_styles

    cfg = _compose(["styles=all", *TINY])
    every = plan_styles.plan(cfg)
    assert [s["name"] for s in every.styles] == group_choices("style")
    assert every.model["n_styles"] == len(group_choices("style"))
    own = data_dir / "styles" / "candy.jpg"  # a user's painting, by path
    mixed = plan_styles.plan(_compose([f"styles=[starry_night,{own}]", *TINY]))
    assert [(s["name"], s["image"]) for s in mixed.styles][1] == ("candy", "candy.jpg")
    # loss.style_weight=auto calibrates each painting on its own (probes stubbed: seconds, not
    # minutes); the weights become the first style's weight and per-style factors.
    calibrated = {"starry_night": 2e-5, "candy": 8e-5}
    monkeypatch.setattr(
        calibration, "resolve_auto_weight", lambda c: {"weight": calibrated[c.style.name]}
    )
    cfg = _compose(["styles=[starry_night,candy]", "loss.style_weight=auto", *TINY])
    written = OmegaConf.to_yaml(cfg)
    result = calibration.auto_weights(cfg, plan_styles.style_nodes(cfg))
    assert result["weights"] == [2e-5, 8e-5]
    assert OmegaConf.to_yaml(cfg) == written  # the config stays as the user wrote it (auto)
    chosen = plan_styles.plan(cfg).with_style_weights(result["weights"])
    assert chosen.factors == pytest.approx([1.0, 4.0])
    assert [s["style_weight"] for s in chosen.styles] == [2e-5, 8e-5]


def test_a_painting_keeps_its_own_size(data_dir: Path) -> None:
    """``style.size``: that painting's Gram targets at its own size, recorded in its entry."""
    from brushwork.config import load_group
    from brushwork.train import styles as plan_styles

    own = plan_styles.plan(_compose(["style.size=96", "style_size=64", *TINY]))
    assert own.sizes == [96] and own.styles[0]["style_size"] == 96
    run = plan_styles.plan(_compose(["style.size=null", "style_size=64", *TINY]))
    assert run.sizes == [64] and "style_size" not in run.styles[0]  # the meta has the run's
    cfg = _compose(["styles=all", *TINY])
    every = plan_styles.plan(cfg)
    want = [load_group("style", s["name"]).size or cfg.style_size for s in every.styles]
    assert every.sizes == want
    assert [s.get("style_size", cfg.style_size) for s in every.styles] == want


def test_a_multi_style_run_is_named_after_its_styles(folders, tmp_path: Path) -> None:
    args = ["experiment=smoke", *TINY, *_data_args(folders), "logger=none", "styles=[candy,mosaic]"]
    out = _cli(args, tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    (export,) = (tmp_path / "outputs" / "candy+mosaic").glob("*/candy+mosaic.pt")
    assert f"exported model: {export}" in out.stdout


def test_strokes_train_one_painting_at_several_sizes(folders, tmp_path: Path) -> None:
    from brushwork.infer.model_file import load_model
    from brushwork.infer.stylizer import Stylizer
    from brushwork.train.pipeline import train

    args = ["experiment=smoke", *TINY, *_data_args(folders), "logger=none", "style=candy"]
    out = train(_compose([*args, "strokes=[32,64]", f"run_dir={tmp_path}"]))
    assert Path(out["export"]).name == "candy-strokes.pt"
    net, info = load_model(out["export"])
    assert [(s["name"], s["stroke"], s["style_size"]) for s in info["styles"]] == [
        ("candy@32", 32, 32),
        ("candy@64", 64, 64),
    ]
    ckpt = torch.load(out["last_checkpoint"], map_location="cpu", weights_only=True)
    grams = ckpt["state_dict"]["loss.gram_relu1_2"]
    assert grams.shape[0] == 2 and not torch.equal(grams[0], grams[1])  # the sizes differ
    x = torch.rand(1, 3, 40, 40)
    with torch.no_grad():
        between = Stylizer(out["export"], "cpu", backend="torch", stroke=45)(x)
        want = net(x, style=torch.tensor([0.5, 0.5]))  # 45 px ~ the log-middle of 32 and 64
    torch.testing.assert_close(between, want, rtol=0, atol=2e-3)
    with pytest.raises(BrushworkError, match="strokes= wants two or more distinct sizes"):
        train(_compose([*args, "strokes=[32]", f"run_dir={tmp_path / 'x'}"]))
    with pytest.raises(BrushworkError, match="for one style"):
        train(_compose([*args, "strokes=[32,64]", "styles=[candy,mosaic]", f"run_dir={tmp_path}"]))


def _metric_rows(run_dir: Path) -> list[dict[str, str]]:
    import csv

    with (run_dir / "csv" / "metrics.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_a_resumed_csv_run_continues_the_curve_of_its_checkpoint(folders, tmp_path):
    """Lightning's CSV writer deletes the metrics.csv it finds: a run resumed in its own folder
    lost its curve. It now keeps its checkpoint's rows before that step, then logs its own (rows
    a run logged after the checkpoint it is resumed from, e.g. before a crash, are dropped)."""
    import shutil

    from brushwork.train.pipeline import train

    base = [
        "experiment=smoke",
        *TINY,
        *_data_args(folders),
        "logger=csv",
        "export=false",
        "trainer.log_every_n_steps=1",
        "checkpoint_every_n_steps=2",
        "trainer.val_check_interval=2",
        f"run_dir={tmp_path}",
    ]
    train(_compose([*base, "trainer.max_steps=4"]))
    first = _metric_rows(tmp_path)
    ckpts = tmp_path / "checkpoints"  # the periodic one, as an interrupted run leaves it
    at_4 = shutil.copy(ckpts / "step0000004.ckpt", ckpts / "at_4.ckpt")
    train(_compose([*base, "trainer.max_steps=6", f"ckpt_path={at_4}"]))
    assert [int(r["step"]) for r in _metric_rows(tmp_path) if r["train/total"]] == [*range(6)]
    train(_compose([*base, "trainer.max_steps=5", f"ckpt_path={at_4}"]))  # from step 4 again
    rows = _metric_rows(tmp_path)
    assert [int(r["step"]) for r in rows if r["train/total"]] == [*range(5)]
    assert [int(r["step"]) for r in rows if r["lr-Adam"]] == [*range(5)]

    def vals(rs):
        return [(r["step"], float(r["val/total"])) for r in rs if r["val/total"]]

    assert len(vals(first)) == 2 and vals(rows) == vals(first)
