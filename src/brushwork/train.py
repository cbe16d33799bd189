"""``python train.py``: one composed Hydra config in, a trained and exported style network out.

Everything a run writes lands in its run folder (Hydra's ``outputs/<style>/<time>`` or ``run_dir``):
``checkpoints/`` (Lightning, resumable with ``ckpt_path=``), ``samples/`` (image grids),
``wandb/`` + ``wandb_id`` (the W&B run a resume continues) or ``csv/`` (metrics) and
``<style>.pt`` (the inference file, see ``brushwork.export``).
"""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import LearningRateMonitor, ModelCheckpoint, TQDMProgressBar
from pytorch_lightning.loggers import CSVLogger, Logger, WandbLogger

from brushwork import __version__
from brushwork.assets import resolve_style_image
from brushwork.calibrate import resolve_auto_weight
from brushwork.callbacks import ImageGridCallback
from brushwork.data import PhotoDataModule
from brushwork.errors import BrushworkError
from brushwork.evaluate import LOSS_KEYS, quick_evaluate
from brushwork.export import export_model
from brushwork.module import StyleTransferModule, architecture_of, check_architecture

WANDB_MODES = ("auto", "online", "offline", "disabled")
WANDB_ID = "wandb_id"  # in the run folder: the W&B run a resumed training continues


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


def _plain(node: Any) -> Any:
    """OmegaConf node → plain Python values (lists, dicts), resolved."""
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


def build_module(cfg: DictConfig) -> StyleTransferModule:
    """The LightningModule for ``cfg.style`` with ``cfg.loss``, ``cfg.model`` and ``cfg.optim``."""
    style, loss, model = cfg.style, cfg.loss, cfg.model
    image = resolve_style_image(str(style.image), style.get("url"))
    return StyleTransferModule(
        style_name=str(style.name),
        style_image=str(image.resolve()),  # absolute: checkpoints may be loaded from elsewhere
        style_size=int(cfg.data.style_size),
        width=int(model.width),
        n_residual=int(model.n_residual),
        separable=bool(model.separable),
        resample=str(model.get("resample", "conv")),
        content_layers=_plain(loss.content_layers),
        style_layers=_plain(loss.style_layers),
        content_layer_weights=_plain(loss.get("content_layer_weights")),
        style_layer_weights=_plain(loss.get("style_layer_weights")),
        content_weight=float(loss.content_weight),
        style_weight=float(loss.style_weight) * float(style.get("weight", 1.0)),
        tv_weight=float(loss.tv_weight),
        vgg=str(loss.get("vgg", "caffe")),
        pooling=str(loss.get("pooling", "max")),
        normalize=bool(loss.get("normalize", False)),
        lr=float(cfg.optim.lr),
        lr_schedule=str(cfg.optim.schedule),
        max_steps=int(cfg.trainer.get("max_steps", -1)),
        target_weight=float(loss.get("target_weight", 0.0)),
        target_loss=str(loss.get("target_loss", "pixel")),
        channels_last=bool(model.get("channels_last", False)),
        style_info={k: style.get(k) for k in ("name", "title", "artist", "url")},
    )


def build_data(cfg: DictConfig) -> PhotoDataModule:
    d = cfg.data
    if float(cfg.loss.get("target_weight", 0.0)) > 0 and not d.get("targets"):
        raise BrushworkError("loss.target_weight > 0 needs data.targets=<folder of targets>")
    return PhotoDataModule(
        dir=str(d.dir),
        size=int(d.size),
        batch_size=int(d.batch_size),
        num_workers=int(d.num_workers),
        val_dir=d.get("val_dir"),
        val_size=int(d.val_size),
        val_count=int(d.val_count),
        targets=d.get("targets"),
        seed=int(cfg.seed),
    )


def _check_checkpoint(path: str, model: DictConfig) -> Path:
    """Fail before any work if ``ckpt_path`` is missing, unreadable or not of ``model``'s shape."""
    ckpt = Path(path).expanduser()
    if not ckpt.is_file():
        raise BrushworkError(f"checkpoint not found: {ckpt}")
    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
    except Exception as e:  # unpickling failures have no common base class
        raise BrushworkError(f"cannot read checkpoint {ckpt}: {type(e).__name__}") from e
    weights = state.get("state_dict") if isinstance(state, dict) else None
    saved = architecture_of(weights) if isinstance(weights, dict) else None
    arch = {"width": int(model.width), "n_residual": int(model.n_residual)}
    arch |= {"separable": bool(model.separable), "resample": str(model.get("resample", "conv"))}
    check_architecture(saved, arch, str(ckpt))
    return ckpt


def wandb_mode(requested: str) -> str:
    """``auto`` → ``$WANDB_MODE`` if set, else online when credentials exist, else offline."""
    if requested not in WANDB_MODES:
        raise BrushworkError(f"unknown logger.mode {requested!r}; choose {', '.join(WANDB_MODES)}")
    import wandb

    if requested == "auto":
        requested = os.environ.get("WANDB_MODE") or "auto"
    if requested in ("auto", "online"):
        # Reads WANDB_API_KEY / settings / netrc; never prompts, never contacts the server.
        logged_in = wandb.login(prompt=False, verify=False)
        if requested == "online" and not logged_in:
            raise BrushworkError(
                "logger.mode=online but W&B has no credentials: run `wandb login`, set "
                "WANDB_API_KEY, or use logger.mode=offline"
            )
        requested = "online" if logged_in else "offline"
    return requested


def build_logger(cfg: DictConfig, run_dir: Path, resume_id: str | None = None) -> Logger | None:
    """The run's logger; with W&B, ``resume_id`` continues that run (a resumed training)."""
    log = cfg.logger
    if log.kind == "none":
        return None
    if log.kind == "csv":
        return CSVLogger(run_dir, name="csv", version="")
    if log.kind != "wandb":
        raise BrushworkError(f"unknown logger.kind {log.kind!r}; use wandb, csv or none")
    os.environ.setdefault("WANDB_SILENT", "true")  # no banners in the training log; we print paths
    mode = wandb_mode(str(log.get("mode", "auto")))
    import wandb

    return WandbLogger(
        project=str(log.project),
        entity=log.get("entity"),
        name=f"{cfg.style.name}/{run_dir.name}",
        save_dir=os.environ.get("WANDB_DIR") or str(run_dir),
        tags=[str(cfg.style.name), *(_plain(log.get("tags")) or [])],
        log_model=False,  # the artifact is the export (see _log_export), not Lightning checkpoints
        mode=mode,
        settings=wandb.Settings(console="off"),  # the progress bar would flood its output.log
        **({"id": resume_id, "resume": "allow"} if resume_id else {}),
    )


def _trainer_kwargs(cfg: DictConfig) -> dict[str, Any]:
    kwargs = _plain(cfg.trainer)
    known = set(inspect.signature(pl.Trainer.__init__).parameters) - {"self"}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise BrushworkError(f"unknown trainer option(s) {', '.join(unknown)} (see pl.Trainer)")
    return kwargs


def _log_export(logger: WandbLogger, path: Path, style: str, meta: dict[str, Any]) -> None:
    import wandb

    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", style) + "-style"
    artifact = wandb.Artifact(name, type="model", metadata=meta)
    artifact.add_file(str(path))
    logger.experiment.log_artifact(artifact)


def train(cfg: DictConfig) -> dict[str, str | None]:
    """Train, checkpoint and export one style; return the paths written.

    Keys: ``run_dir``, ``checkpoint_dir``, ``last_checkpoint`` (None when none was written, e.g.
    under ``trainer.fast_dev_run``) and ``export`` (None when ``export=false``).
    """
    run_dir = run_dir_of(cfg)
    pl.seed_everything(int(cfg.seed), workers=True, verbose=False)
    trainer_kwargs = _trainer_kwargs(cfg)
    ckpt_path = _check_checkpoint(cfg.ckpt_path, cfg.model) if cfg.get("ckpt_path") else None
    data = build_data(cfg)
    data.setup("fit")  # bad data folders fail here, before VGG is loaded
    calibration = resolve_auto_weight(cfg)  # loss.style_weight=auto → the calibrated weight
    module = build_module(cfg)

    # A resumed training continues the W&B run of its checkpoint's run folder (one curve, not two).
    id_file = Path(ckpt_path).parent.parent / WANDB_ID if ckpt_path else None
    resume_id = id_file.read_text().strip() if id_file and id_file.is_file() else None
    logger = build_logger(cfg, run_dir, resume_id)
    ckpt_dir = run_dir / "checkpoints"
    checkpoint = ModelCheckpoint(
        dirpath=ckpt_dir,
        filename="step{step:07d}",
        auto_insert_metric_name=False,
        every_n_train_steps=int(cfg.checkpoint_every_n_steps),
        save_top_k=1,  # no monitor: the newest periodic one, plus last.ckpt
        save_last=True,
        # A run folder used again (run_dir=...) must not keep a stale last.ckpt beside a new
        # last-v1.ckpt: the resume hint and the returned path name last.ckpt.
        enable_version_counter=False,
    )
    callbacks: list[pl.Callback] = [
        ImageGridCallback(run_dir / "samples", int(cfg.grid_every_n_steps), int(cfg.data.val_size)),
        TQDMProgressBar(),
    ]
    # fast_dev_run is a debugging pass: Lightning skips periodic checkpoints but would still
    # write last.ckpt at train end, which would look like a resumable run.
    if not trainer_kwargs.get("fast_dev_run"):
        callbacks.insert(0, checkpoint)
    if logger is not None:
        callbacks.append(LearningRateMonitor(logging_interval="step"))

    ok = False
    try:
        if isinstance(logger, WandbLogger):
            logger.experiment.config.update(_plain(cfg), allow_val_change=True)
            (run_dir / WANDB_ID).write_text(logger.experiment.id)
        trainer = pl.Trainer(
            **trainer_kwargs, logger=logger or False, callbacks=callbacks, default_root_dir=run_dir
        )
        trainer.fit(module, datamodule=data, ckpt_path=ckpt_path)
        export = None
        if cfg.get("export", True) and trainer.is_global_zero:
            hp = module.hparams
            meta = {
                "brushwork": __version__,
                "steps": int(trainer.global_step),
                "style_image": Path(hp.style_image).name,
                "style_size": int(hp.style_size),
                "train_size": int(cfg.data.size),
                "loss": {k: hp[k] for k in ("content_weight", "style_weight", "tv_weight")},
            }
            # The full objective (layers as resolved by the loss), for brushwork.evaluate.
            meta["loss"] |= {k: list(getattr(module.loss, k)) for k in LOSS_KEYS}
            meta["loss"] |= {"vgg": hp.vgg, "pooling": hp.pooling, "normalize": hp.normalize}
            if calibration is not None:
                meta["calibration"] = calibration
            style = hp.style_info or {"name": hp.style_name}
            export = export_model(module.net, run_dir / f"{cfg.style.name}.pt", style, meta)
            if isinstance(logger, WandbLogger) and cfg.logger.get("log_model", True):
                _log_export(logger, export, str(cfg.style.name), meta)
            if export is not None and cfg.get("eval") and cfg.eval.get("enabled"):
                device = trainer.strategy.root_device
                quick_evaluate(export, cfg, run_dir / "eval", logger, trainer.global_step, device)
        ok = True
    finally:
        if isinstance(logger, WandbLogger):
            import wandb

            run = wandb.run  # not logger.experiment: that would start a run if none exists
            wandb_dir = Path(run.dir).parent if run is not None else None
            wandb.finish(exit_code=0 if ok else 1)  # one W&B run per job, also in multiruns
            if ok and wandb_dir is not None:
                hint = f" (upload: wandb sync {wandb_dir})" if "offline" in wandb_dir.name else ""
                print(f"W&B run: {wandb_dir}{hint}")

    last = ckpt_dir / "last.ckpt"
    result = {
        "run_dir": str(run_dir),
        "checkpoint_dir": str(ckpt_dir),
        "last_checkpoint": str(last) if last.is_file() else None,
        "export": str(export) if export else None,
    }
    if result["last_checkpoint"]:
        print(f"checkpoints: {ckpt_dir} (resume: ckpt_path={last})")
    if export:
        print(f"exported model: {export}")
    return result
