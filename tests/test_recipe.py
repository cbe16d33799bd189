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


def test_early_stopping_counts_validations_without_a_relative_fall() -> None:
    class Trainer:
        sanity_checking, should_stop, global_step = False, False, 0
        callback_metrics: dict = {}

    stop, trainer = RelativeEarlyStopping(patience=2, min_delta=0.1), Trainer()
    for value, stops in ((10.0, False), (9.5, False), (8.9, False), (8.8, False), (8.5, True)):
        trainer.callback_metrics = {"val/total": torch.tensor(value)}
        stop.on_validation_end(trainer, None)
        assert trainer.should_stop is stops, value
    assert stop.best == pytest.approx(8.9)


def test_bad_recipe_values_fail_in_one_line(data_dir, tmp_path) -> None:
    for bad in ("optim.warmup=1.5", "optim.ema=1.0", "optim.schedule=step"):
        with pytest.raises(BrushworkError, match="optim"):
            _train(data_dir, tmp_path, bad)
