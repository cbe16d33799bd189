"""The optimisation recipe: learning-rate schedule, weight average, early stop (brushwork.train.optim,
RelativeEarlyStopping), each checked on a real tiny training where the trainer is involved."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir

from brushwork.config.groups import CONFIG_DIR
from brushwork.errors import BrushworkError
from brushwork.infer.model_file import load_model
from brushwork.train.callbacks import RelativeEarlyStopping
from brushwork.train.optim import WeightAverage, lr_factor

TINY = ["model.width=8", "model.n_residual=1"]


def _train(data_dir: Path, run_dir: Path, *overrides: str) -> dict:
    from brushwork.train.pipeline import train

    args = ["experiment=smoke", *TINY, f"data.dir={data_dir / 'train'}", "logger=csv"]
    args += [f"data.val_dir={data_dir / 'content'}", "data.val_count=2", f"run_dir={run_dir}"]
    args += ["early_stop.patience=0", "optim.ema=0"]  # the CPU recipe's, off unless under test
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return train(compose("train", overrides=[*args, *overrides]))


def _logged(run_dir: Path, key: str) -> dict[int, float]:
    with (run_dir / "csv" / "metrics.csv").open() as f:
        return {int(r["step"]): float(r[key]) for r in csv.DictReader(f) if r.get(key)}


def test_warmup_then_decay_reaches_zero_at_the_end() -> None:
    total, warmup = 100, 10
    for schedule, middle in (("cosine", 0.5 * (1 + math.cos(math.pi * 45 / 90))), ("linear", 0.5)):
        f = [lr_factor(s, total, warmup, schedule) for s in range(total)]
        assert f[0] == pytest.approx(0.1)  # the first step: 1/warmup of the peak
        assert f[9] == pytest.approx(1.0)  # the peak at the warm-up's end
        assert f[55] == pytest.approx(middle)  # half way through the decay
        assert 0 < f[-1] < 0.02  # the last step still moves, barely
        assert all(a >= b for a, b in zip(f[9:], f[10:], strict=False))  # never rises again
    assert [lr_factor(s, total, 0, "none") for s in (0, 50, 99)] == [1.0, 1.0, 1.0]


def test_the_trainer_follows_the_schedule_at_first_middle_and_last_step(data_dir, tmp_path):
    steps, lr = 20, 4e-3
    over = ["optim.schedule=cosine", "optim.warmup=0.2", f"optim.lr={lr}", "export=false"]
    _train(data_dir, tmp_path, f"trainer.max_steps={steps}", "trainer.log_every_n_steps=1", *over)
    logged = _logged(tmp_path, "lr-Adam")  # LearningRateMonitor: the rate used at each step
    warmup = 4
    assert logged[0] == pytest.approx(lr / warmup)
    assert logged[steps // 2] == pytest.approx(lr * lr_factor(steps // 2, steps, warmup, "cosine"))
    assert logged[steps - 1] == pytest.approx(lr * lr_factor(steps - 1, steps, warmup, "cosine"))
    assert logged[steps - 1] < lr / 20


def test_the_average_follows_the_weights_with_its_decay() -> None:
    net = torch.nn.Linear(2, 2)
    avg = WeightAverage(net, decay=0.5)
    start = net.weight.detach().clone()
    with torch.no_grad():
        net.weight.add_(1.0)
    avg.update(net)  # first update: decay min(0.5, 1/10) = 0.1
    assert torch.allclose(avg.net.weight, start + 0.9)
    with torch.no_grad():
        net.weight.add_(1.0)
    avg.update(net)  # second: min(0.5, 2/11)
    d = 2 / 11
    assert torch.allclose(avg.net.weight, d * (start + 0.9) + (1 - d) * (start + 2))
    assert not avg.net.weight.requires_grad
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(net, 1.0)


def test_the_export_holds_the_averaged_weights_not_the_last_ones(data_dir, tmp_path):
    result = _train(data_dir, tmp_path, "trainer.max_steps=6", "optim.ema=0.9", "optim.lr=1e-2")
    ckpt = torch.load(result["last_checkpoint"], map_location="cpu", weights_only=True)
    state = ckpt["state_dict"]
    net, _ = load_model(result["export"])
    exported = net.state_dict()
    assert int(state["average.updates"]) == 6
    for key, value in exported.items():
        assert torch.equal(value, state[f"average.net.{key}"]), key
    moved = [k for k in exported if not torch.equal(state[f"net.{k}"], state[f"average.net.{k}"])]
    assert moved  # the average is not the last weights


def test_a_run_resumed_with_the_average_turned_on_starts_it_from_the_net(data_dir, tmp_path):
    first = _train(data_dir, tmp_path / "a", "trainer.max_steps=2", "export=false")
    resumed = _train(
        data_dir,
        tmp_path / "b",
        "trainer.max_steps=4",
        "optim.ema=0.9",
        "export=false",
        f"ckpt_path={first['last_checkpoint']}",
    )
    state = torch.load(resumed["last_checkpoint"], weights_only=True)["state_dict"]
    assert int(state["average.updates"]) == 2  # the two resumed steps


def test_the_run_stops_when_the_validation_loss_no_longer_falls(data_dir, tmp_path, capsys):
    # A learning rate too small to move the loss by 1 %: two flat validations stop the run.
    over = ["optim.lr=1e-9", "trainer.max_steps=40", "trainer.val_check_interval=4"]
    over += ["early_stop.patience=2", "early_stop.min_delta=0.01", "export=false"]
    result = _train(data_dir, tmp_path, *over)
    step = torch.load(result["last_checkpoint"], weights_only=True)["global_step"]
    assert step == 12  # validations at 4 (best), 8 and 12 (no fall): stop
    assert "early stop at step 12" in capsys.readouterr().out


def _scripted(monkeypatch, scores: list[float], patience: int, min_delta: float = 0.0):
    """The run's validations score ``scores`` in turn (what is under test is what the early stop,
    the trainer and the export do with them, not the loss); returns the early stop and the
    inference net's weights at each check, by step."""
    import pytorch_lightning as pl

    import brushwork.train.pipeline as pipeline
    from brushwork.train.callbacks import LowestCheckpoint

    values, seen = iter(scores), {}

    class Scripted(pl.Callback):
        def on_validation_end(self, trainer, module) -> None:
            if not trainer.sanity_checking:
                trainer.callback_metrics["scripted"] = torch.tensor(next(values))
                net = module.inference_net.state_dict()
                seen[trainer.global_step] = {k: v.clone() for k, v in net.items()}

    stop = RelativeEarlyStopping(patience=patience, min_delta=min_delta, monitor="scripted")
    lowest = lambda d: LowestCheckpoint(d, monitor="scripted")  # noqa: E731
    monkeypatch.setattr(pipeline, "early_stopping", lambda cfg, d: [Scripted(), stop, lowest(d)])
    return stop, seen


def test_early_stopping_counts_validations_without_a_relative_fall(data_dir, tmp_path, monkeypatch):
    stop, seen = _scripted(monkeypatch, [10.0, 9.5, 8.9, 8.8, 8.5, 8.0], patience=2, min_delta=0.1)
    over = ["trainer.max_steps=40", "trainer.val_check_interval=2", "export=false"]
    result = _train(data_dir, tmp_path, *over)
    # 9.5 is no fall from 10 (< 10 %), 8.9 is; 8.8 and 8.5 are not below 8.01: the 5th check stops.
    assert stop.stopped_at == 10 and sorted(seen) == [2, 4, 6, 8, 10]
    assert float(stop.best_score) == pytest.approx(8.9)
    assert torch.load(result["last_checkpoint"], weights_only=True)["global_step"] == 10


def test_steps_trained_after_the_last_check_keep_the_final_weights(data_dir, tmp_path, monkeypatch):
    _, seen = _scripted(monkeypatch, [3.0, 3.5], patience=5)
    over = ["trainer.max_steps=5", "trainer.val_check_interval=2", "optim.lr=1e-2"]
    result = _train(data_dir, tmp_path, *over)
    assert sorted(seen) == [2, 4]  # step 5 is not judged: the export is the final net
    net, info = load_model(result["export"])
    assert info["meta"]["steps"] == 5 and "weights_of_step" not in info["meta"]
    last = torch.load(result["last_checkpoint"], map_location="cpu", weights_only=True)
    for key, value in net.state_dict().items():
        assert torch.equal(value, last["state_dict"][f"net.{key}"]), key


def test_an_early_stopped_run_exports_its_lowest_scored_weights(data_dir, tmp_path, monkeypatch):
    # Scripted scores on a real run: last.ckpt holds the final step; the model file the lowest.
    stop, seen = _scripted(monkeypatch, [3.0, 1.0, 2.0, 2.5], patience=2)
    over = ["trainer.max_steps=40", "trainer.val_check_interval=2", "optim.ema=0.9"]
    result = _train(data_dir, tmp_path, "optim.lr=1e-2", *over)
    assert stop.stopped_at == 8 and sorted(seen) == [2, 4, 6, 8]
    last = torch.load(result["last_checkpoint"], map_location="cpu", weights_only=True)
    assert last["global_step"] == 8
    net, info = load_model(result["export"])
    assert info["meta"]["steps"] == 8 and info["meta"]["weights_of_step"] == 4
    for key, value in net.state_dict().items():
        assert torch.equal(value, seen[4][key]), key  # the export: step 4's average
        assert torch.equal(last["state_dict"][f"average.net.{key}"], seen[8][key]), key
    assert any(not torch.equal(seen[4][k], seen[8][k]) for k in seen[4])
    # Lightning's checkpoint of the lowest check: weights only, and named in last.ckpt (a resume
    # keeps knowing it).
    lowest = torch.load(tmp_path / "checkpoints" / "lowest.ckpt", weights_only=True)
    assert lowest["global_step"] == 4 and "optimizer_states" not in lowest
    kept = [v.get("best_model_path", "") for v in last["callbacks"].values()]
    assert str(tmp_path / "checkpoints" / "lowest.ckpt") in kept


def test_without_content_photos_a_run_validates_and_evaluates_on_held_out_ones(
    data_dir, tmp_path, monkeypatch, capsys
):
    # A fresh machine: the data folder holds the fetched photos only (no content/).
    import json
    import shutil

    from brushwork.train.pipeline import train

    fresh = tmp_path / "data"
    shutil.copytree(data_dir / "train", fresh / "train")
    monkeypatch.setenv("BRUSHWORK_DATA", str(fresh))
    args = ["experiment=smoke", *TINY, "logger=csv", f"run_dir={tmp_path / 'run'}"]
    args += [f"style.image={data_dir / 'styles' / 'starry_night.jpg'}", "data.val_count=2"]
    args += ["trainer.max_steps=4", "trainer.val_check_interval=2", "eval.enabled=true"]
    args += ["eval.gatys_steps=[2]", "eval.size=32", "eval.count=1"]
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        result = train(compose("train", overrides=args))
    assert result["export"] is not None
    out = capsys.readouterr().out
    assert "validation: 2 photos of" in out and "evaluation: feed-forward" in out
    assert sorted(_logged(tmp_path / "run", "val/total")) == [1, 3]  # both checks ran
    report = json.loads((tmp_path / "run" / "eval" / "report.json").read_text())
    held = sorted((fresh / "train").iterdir())[0]  # the first of the two held out
    assert report["content"] == [str(held)]


def test_bad_recipe_values_fail_in_one_line(data_dir, tmp_path) -> None:
    for bad in ("optim.warmup=1.5", "optim.ema=1.0", "optim.schedule=step"):
        with pytest.raises(BrushworkError, match="optim"):
            _train(data_dir, tmp_path, bad)
