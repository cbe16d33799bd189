"""``python train.py``: one composed Hydra config in, a trained and exported style network out.

Everything a run writes lands in its run folder (Hydra's ``outputs/<style>/<time>`` or ``run_dir``):
``checkpoints/`` (Lightning, resumable with ``ckpt_path=``), ``samples/`` (image grids),
``wandb/`` + ``wandb_id`` (the W&B run a resume continues) or ``csv/`` (metrics) and
``<style>.pt`` (the inference file, see ``brushwork.infer.model_file``).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig
from pytorch_lightning.callbacks import LearningRateMonitor, ModelCheckpoint
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.utilities import rank_zero_only

from brushwork.calibrate.weight import auto_weights
from brushwork.config.groups import plain
from brushwork.config.paintings import STYLE_KEYS
from brushwork.errors import BrushworkError
from brushwork.gatys.optimizer import resolve_precision
from brushwork.io.assets import resolve_style_image
from brushwork.train.callbacks import (
    AtomicCheckpointIO,
    FinalCheckpoint,
    ImageGridCallback,
    LowestCheckpoint,
    RelativeEarlyStopping,
)
from brushwork.train.checkpoints import check_checkpoint
from brushwork.train.data import PhotoDataModule
from brushwork.train.export import export_run, finish_wandb, provenance
from brushwork.train.loggers import WANDB_ID, build_logger
from brushwork.train.module import StyleTransferModule
from brushwork.train.progress import StepProgressBar, net_summary, quiet_lightning
from brushwork.train.styles import StylePlan, apply_init, plan, style_nodes


def run_dir_of(cfg: DictConfig) -> Path:
    """``cfg.run_dir`` if set, else Hydra's output folder (Hydra ≥ 1.2 does not chdir there)."""
    if cfg.get("run_dir"):
        path = Path(str(cfg.run_dir)).expanduser()
    else:
        from hydra.core.hydra_config import HydraConfig

        if not HydraConfig.initialized():
            raise BrushworkError("run_dir= is required when not launched through Hydra")
        path = Path(HydraConfig.get().runtime.output_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _image_path(style: DictConfig, resuming: bool) -> str | None:
    try:
        image = resolve_style_image(style.image, style.url, allow_download=not resuming)
        return str(image.resolve())  # absolute: checkpoints may be loaded from elsewhere
    except BrushworkError:
        if not resuming:
            raise
        return None


def build_module(
    cfg: DictConfig, resuming: bool = False, styles: StylePlan | None = None
) -> StyleTransferModule:
    """The LightningModule for ``cfg.style`` (or ``cfg.styles``) with ``cfg.model``, ``cfg.loss``,
    ``cfg.optim`` and ``cfg.distill``. ``resuming``: a checkpoint will provide the Gram targets,
    so a painting that is no longer where the config says is not fetched (nor an error).
    ``styles``: the run's :func:`~brushwork.train.styles.plan` (made here if None)."""
    styles = styles or plan(cfg)
    nodes = style_nodes(cfg)
    images = [_image_path(node, resuming) for node in nodes]
    return StyleTransferModule(
        model=styles.model,
        loss=styles.loss(cfg.loss),
        styles=[{k: s[k] for k in STYLE_KEYS} for s in styles.styles],
        paintings=images,
        style_sizes=styles.sizes,
        optim=plain(cfg.optim),
        distill=plain(cfg.distill),
        max_steps=cfg.trainer.get("max_steps", -1),
        channels_last=cfg.channels_last,
        style_factors=styles.factors,
        kept_styles=len(styles.kept),
        finetune=styles.finetune,
    )


def build_data(cfg: DictConfig) -> PhotoDataModule:
    """``PhotoDataModule(**cfg.data)``, checked against the distillation settings."""
    if cfg.distill.weight > 0 and not cfg.data.targets:
        raise BrushworkError("distill.weight > 0 needs data.targets=<folder of targets>")
    return PhotoDataModule(**plain(cfg.data), seed=cfg.seed)


def _trainer_kwargs(cfg: DictConfig) -> dict[str, Any]:
    kwargs = plain(cfg.trainer)
    known = set(inspect.signature(pl.Trainer.__init__).parameters) - {"self"}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise BrushworkError(f"unknown trainer option(s) {', '.join(unknown)} (see pl.Trainer)")
    kwargs.setdefault("enable_model_summary", False)  # brushwork prints its own line
    kwargs.setdefault("plugins", [AtomicCheckpointIO()])  # a full disk keeps the last checkpoint
    if kwargs.get("precision") == "auto":
        kwargs["precision"] = auto_precision(str(kwargs.get("accelerator", "auto")))
    return kwargs


def auto_precision(accelerator: str) -> str:
    """``trainer.precision=auto``: bf16-mixed where the device computes bf16 natively (CUDA with
    bf16, a CPU with AVX512-BF16/AMX), else 32. The Gram matrices and the loss stay fp32 either way (brushwork.nn.losses)."""
    cuda = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if cuda else "cpu")
    return "bf16-mixed" if resolve_precision("auto", device) == "bf16" else "32"


def early_stopping(cfg: DictConfig, ckpt_dir: Path) -> list[pl.Callback]:
    """``early_stop.patience`` > 0: stop once the validation loss has not fallen by more than
    ``early_stop.min_delta`` (relative) for that many validations (steps that buy nothing), and
    export the weights that scored lowest (checkpointed as ``lowest.ckpt``)."""
    e = cfg.get("early_stop") or {}
    if not e.get("patience"):
        return []
    stop = RelativeEarlyStopping(int(e.patience), float(e.get("min_delta", 0.0)))
    return [stop, LowestCheckpoint(ckpt_dir)]


def build_callbacks(
    cfg: DictConfig, run_dir: Path, logger: Any, fast_dev_run: bool
) -> list[pl.Callback]:
    """Checkpoints (periodic + ``last.ckpt``), image grids, the progress bar, the early stop and,
    with a logger, the learning rate."""
    ckpt_dir = run_dir / "checkpoints"
    checkpoint = ModelCheckpoint(
        dirpath=ckpt_dir,
        filename="step{step:07d}",
        auto_insert_metric_name=False,
        every_n_train_steps=cfg.checkpoint_every_n_steps,
        save_top_k=1,  # no monitor: the newest periodic one, plus last.ckpt
        save_last=True,
        # A run folder used again (run_dir=...) must not keep a stale last.ckpt beside a new
        # last-v1.ckpt: the resume hint and the returned path name last.ckpt.
        enable_version_counter=False,
    )
    callbacks: list[pl.Callback] = [
        ImageGridCallback(run_dir / "samples", cfg.grid_every_n_steps, cfg.data.val_size),
        StepProgressBar(),
    ]
    # fast_dev_run is a debugging pass: Lightning skips periodic checkpoints but would still
    # write last.ckpt at train end, which would look like a resumable run.
    if not fast_dev_run:
        callbacks[:0] = [checkpoint, FinalCheckpoint(ckpt_dir / "last.ckpt")]
    callbacks += early_stopping(cfg, ckpt_dir)
    if logger is not None:
        callbacks.append(LearningRateMonitor(logging_interval="step"))
    return callbacks


def train(cfg: DictConfig) -> dict[str, str | None]:
    """Train, checkpoint and export one style; return the paths written.

    Keys: ``run_dir``, ``checkpoint_dir``, ``last_checkpoint`` (None when none was written, e.g.
    under ``trainer.fast_dev_run``) and ``export`` (None when ``export=false``).
    """
    run_dir = run_dir_of(cfg)
    pl.seed_everything(int(cfg.seed), workers=True, verbose=False)
    trainer_kwargs = _trainer_kwargs(cfg)
    styles = plan(cfg)  # the styles and the net, checked before any slow work
    made_by = provenance(cfg)  # now: the tree may change while the run trains
    ckpt_path = check_checkpoint(cfg.ckpt_path, styles.model) if cfg.get("ckpt_path") else None
    data = build_data(cfg)
    data.prepare_data()  # a fresh machine: the training photos are fetched first
    data.setup("fit")  # bad data folders fail here, before VGG is loaded
    calibration = auto_weights(cfg, style_nodes(cfg))  # a weight of auto: each painting calibrated
    if calibration is not None:
        styles = styles.with_style_weights(calibration["weights"])
    module = build_module(cfg, resuming=ckpt_path is not None, styles=styles)
    if ckpt_path is None:
        apply_init(module.net, styles)  # init=<model>.pt: a warm start
        module.sync_average()
    logger = build_logger(cfg, run_dir, ckpt_path)
    callbacks = build_callbacks(cfg, run_dir, logger, bool(trainer_kwargs.get("fast_dev_run")))

    quiet_lightning()
    ok, export = False, None
    try:
        if isinstance(logger, WandbLogger) and rank_zero_only.rank == 0:  # DDP: one W&B run
            said = plain(cfg) | ({"calibration": calibration} if calibration else {})
            logger.experiment.config.update(said, allow_val_change=True)  # auto: the weights found
            (run_dir / WANDB_ID).write_text(logger.experiment.id)
        trainer = pl.Trainer(
            **trainer_kwargs, logger=logger or False, callbacks=callbacks, default_root_dir=run_dir
        )
        if trainer.is_global_zero:
            layers = [*module.loss.content_layers, *module.loss.style_layers]
            start = styles.init if ckpt_path is None else None
            print(net_summary(module.net, layers, start), flush=True)
        trainer.fit(module, datamodule=data, ckpt_path=ckpt_path)
        for lowest in (c for c in callbacks if isinstance(c, LowestCheckpoint)):
            lowest.restore(trainer, module)  # an early stop exports its lowest check
        if cfg.get("export", True) and trainer.is_global_zero:
            export = export_run(cfg, module, styles, calibration, made_by, trainer, logger, run_dir)
        ok = True
    finally:
        finish_wandb(logger, ok)
    return _report(run_dir, export)


def _report(run_dir: Path, export: Path | None) -> dict[str, str | None]:
    """The paths a run wrote (said once, on the first DDP rank)."""
    ckpt_dir = run_dir / "checkpoints"
    last = ckpt_dir / "last.ckpt"
    result = {
        "run_dir": str(run_dir),
        "checkpoint_dir": str(ckpt_dir),
        "last_checkpoint": str(last) if last.is_file() else None,
        "export": str(export) if export else None,
    }
    if rank_zero_only.rank != 0:  # the other DDP ranks: the same paths, said once
        return result
    if result["last_checkpoint"]:
        print(f"checkpoints: {ckpt_dir} (resume: ckpt_path={last})")
    if export:
        print(f"exported model: {export}")
    return result
