"""``python scripts/benchmarks/benchmark.py train``: what a CPU training step costs, and what it buys.

Variants of the CPU preset (experiment=cpu: 4 × 128² crops, the default net), each through
Lightning as ``train.py`` runs it:

* ``today``: fp32, NCHW, photos decoded from their files every step (the preset before issue 12);
* ``bf16``: ``trainer.precision=bf16-mixed`` (VGG and the net under bf16 autocast; Gram matrices
  and the loss stay fp32);
* ``bf16+cl``: also ``channels_last=true``;
* ``bf16+cl+cache``: also ``data.cache=true`` (each photo decoded and downscaled once).

Timing: ``--rounds`` rounds, each running every variant for ``--steps`` steps (interleaved, so
machine noise hits all alike); s/step is the median over rounds of the steps after the first 3.
Quality: from one seed, ``today`` trains ``--train-steps`` steps and its wall time T is noted;
every other variant trains the same steps (the val loss after equal steps), then on to T (the
val loss after equal wall time, and how many steps that was). Val loss: the perceptual total in
fp32 on the 8 validation photos at 128 px, the same for all.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytorch_lightning as pl
import torch

VARIANTS = {
    "today": {"precision": "32", "channels_last": False, "cache": False},
    "bf16": {"precision": "bf16-mixed", "channels_last": False, "cache": False},
    "bf16+cl": {"precision": "bf16-mixed", "channels_last": True, "cache": False},
    "bf16+cl+cache": {"precision": "bf16-mixed", "channels_last": True, "cache": True},
}


class _Clock(pl.Callback):
    """Step times; the val loss at step ``at`` and after ``stop_seconds`` of training (each
    evaluation pauses the clock); stops once both are taken."""

    def __init__(self, at: int | None = None, stop_seconds: float | None = None) -> None:
        self.times: list[float] = []  # wall clock at each step's end
        self.trained: list[float] = []  # training seconds at each step's end
        self.at, self.stop_seconds = at, stop_seconds
        self.loss_at: float | None = None
        self.loss_time: float | None = None
        self.steps_time = 0
        self.start = self.paused = 0.0

    def on_train_start(self, trainer, module) -> None:
        self.start = time.perf_counter()

    def _eval(self, module, now: float) -> float:
        loss = val_loss(module)
        self.paused += time.perf_counter() - now
        return loss

    def on_train_batch_end(self, trainer, module, *args) -> None:
        now = time.perf_counter()
        self.times.append(now)
        self.trained.append(now - self.start - self.paused)
        if self.at is not None and trainer.global_step == self.at:
            self.loss_at = self._eval(module, now)
        if self.stop_seconds and self.loss_time is None and self.trained[-1] >= self.stop_seconds:
            self.loss_time, self.steps_time = self._eval(module, now), trainer.global_step
        if self.loss_time is not None and (self.at is None or self.loss_at is not None):
            trainer.should_stop = True


_VAL: list[torch.Tensor] = []


@torch.no_grad()
def val_loss(module) -> float:
    """The mean perceptual total (fp32, no autocast) of the net on the validation photos."""
    totals = []
    for x in _VAL:
        with torch.autocast("cpu", enabled=False):
            out = module.net(x, module._net_style(0))
            totals.append(float(module.loss(out, content=x)["total"]))
    return statistics.fmean(totals)


def _run(cfg_overrides: list[str], variant: dict, steps: int, clock: _Clock, seed: int = 0):
    from brushwork.config.registry import compose
    from brushwork.train.pipeline import build_data, build_module
    from brushwork.train.progress import quiet_lightning

    quiet_lightning()
    pl.seed_everything(seed, verbose=False)
    over = [f"channels_last={variant['channels_last']}", f"data.cache={variant['cache']}"]
    cfg = compose("train", ["experiment=cpu", "logger=none", *cfg_overrides, *over])
    module, data = build_module(cfg), build_data(cfg)
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        precision=variant["precision"],
        max_steps=steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        callbacks=[clock],
    )
    trainer.fit(module, datamodule=data)
    return module


def bench_train(args, machine: Callable[[], dict]) -> int:
    from brushwork.io.files import find_images
    from brushwork.io.images import load_image

    print(f"machine: {machine()}", flush=True)
    data = Path(args.data)
    os.environ["BRUSHWORK_DATA"] = str(data)  # the paintings too
    overrides = [f"data.dir={data / 'train'}", f"data.val_dir={data / 'content'}"]
    overrides += list(args.train_overrides)
    _VAL[:] = [load_image(p, 128) for p in find_images(data / "content")[:8]]
    names = [n for n in VARIANTS if n in (args.variants or VARIANTS)]
    per_step: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(args.rounds):
        for name in names:
            clock = _Clock()
            _run(overrides, VARIANTS[name], args.steps, clock)
            gaps = [b - a for a, b in zip(clock.times[3:], clock.times[4:], strict=False)]
            per_step[name].append(statistics.median(gaps))
            print(f"{name}: {per_step[name][-1]:.3f} s/step", flush=True)
    rows = {n: {"s/step": statistics.median(v)} for n, v in per_step.items()}
    base = rows[names[0]]["s/step"]
    for row in rows.values():
        row["steps/min vs today"] = base / row["s/step"]
    if args.train_steps:
        clock = _Clock(at=args.train_steps)
        _run(overrides, VARIANTS[names[0]], args.train_steps, clock)
        budget = clock.trained[-1]
        rows[names[0]] |= {"val@steps": clock.loss_at, "val@time": clock.loss_at}
        rows[names[0]] |= {"steps@time": args.train_steps, "seconds": budget}
        for name in names[1:]:
            clock = _Clock(at=args.train_steps, stop_seconds=budget)
            _run(overrides, VARIANTS[name], 100 * args.train_steps, clock)
            rows[name] |= {"val@steps": clock.loss_at, "val@time": clock.loss_time}
            rows[name] |= {"steps@time": clock.steps_time, "seconds": clock.stop_seconds}
            print(f"{name}: {rows[name]}", flush=True)
    keys = list(next(iter(rows.values())))
    print("\n| variant | " + " | ".join(keys) + " |\n|---|" + "---:|" * len(keys))
    for name, row in rows.items():
        cells = " | ".join(f"{row[k]:.4g}" if row.get(k) is not None else "" for k in keys)
        print(f"| {name} | {cells} |")
    out = Path(args.json or "bench_train.json")
    report = {"machine": machine(), "steps": args.steps, "rounds": args.rounds}
    out.write_text(json.dumps(report | {"train_steps": args.train_steps, "rows": rows}, indent=2))
    print(f"\nwrote {out}")
    return 0
