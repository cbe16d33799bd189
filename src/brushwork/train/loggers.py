"""The run's metrics logger: Weights & Biases (online when logged in, else offline; never
prompts), CSV, or none; and the exported model as a W&B artifact. A resumed training continues
its checkpoint's curve in either."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig
from pytorch_lightning.loggers import CSVLogger, Logger, WandbLogger

from brushwork.config.groups import folder_name, plain
from brushwork.errors import BrushworkError, check_choice

WANDB_MODES = ("auto", "online", "offline", "disabled")
LOGGERS = ("wandb", "csv", "none")
WANDB_ID = "wandb_id"  # in the run folder: the W&B run a resumed training continues


def wandb_mode(requested: str) -> str:
    """``auto`` → ``$WANDB_MODE`` if set, else online when credentials exist, else offline."""
    check_choice("logger.mode", requested, WANDB_MODES)
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


def build_logger(cfg: DictConfig, run_dir: Path, ckpt_path: Path | None = None) -> Logger | None:
    """The run's logger; a resumed training (``ckpt_path``) continues the curve of the run folder
    that checkpoint is in: the same W&B run, or its CSV rows up to the checkpoint's step."""
    log = cfg.logger
    if check_choice("logger.kind", log.kind, LOGGERS) == "none":
        return None
    if log.kind == "csv":
        return csv_logger(run_dir, ckpt_path)
    resume_id = wandb_resume_id(ckpt_path)
    os.environ.setdefault("WANDB_SILENT", "true")  # no banners in the training log; we print paths
    mode = wandb_mode(str(log.get("mode", "auto")))
    import wandb

    # The styles a run trains (styles=[a,b]: theirs, not the default style's).
    styles = folder_name(plain(cfg.get("styles")), str(cfg.style.name))
    return WandbLogger(
        project=str(log.project),
        entity=log.get("entity"),
        name=f"{styles}/{run_dir.name}",
        save_dir=os.environ.get("WANDB_DIR") or str(run_dir),
        tags=[styles, *(plain(log.get("tags")) or [])],
        log_model=False,  # the artifact is the export (see log_export), not Lightning checkpoints
        mode=mode,
        settings=wandb.Settings(console="off"),  # the progress bar would flood its output.log
        **({"id": resume_id, "resume": "allow"} if resume_id else {}),
    )


def wandb_resume_id(ckpt_path: Path | None) -> str | None:
    """The W&B run a resumed training continues: its checkpoint's run folder's (one curve)."""
    id_file = ckpt_path.parent.parent / WANDB_ID if ckpt_path else None
    return id_file.read_text().strip() if id_file and id_file.is_file() else None


def csv_logger(run_dir: Path, ckpt_path: Path | None = None) -> CSVLogger:
    """``run_dir/csv/metrics.csv``; resumed from ``ckpt_path``, it starts with the rows of that
    checkpoint's run before its step (Lightning's CSV writer deletes a file it finds)."""
    logger = CSVLogger(run_dir, name="csv", version="")
    before = ckpt_path.parent.parent / "csv" / "metrics.csv" if ckpt_path else None
    if before is None or not before.is_file():
        return logger
    step = torch.load(ckpt_path, map_location="cpu", weights_only=True).get("global_step", 0)
    with before.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        at = int(row.pop("step"))
        if at < step:  # the steps the checkpoint holds; the resumed run logs the rest
            logger.log_metrics(
                {k: int(v) if v.isdigit() else float(v) for k, v in row.items() if v}, at
            )
    logger.save()
    return logger


def log_export(logger: WandbLogger, path: Path, style: str, meta: dict[str, Any]) -> None:
    """Upload the exported model file as a W&B ``model`` artifact named ``<style>-style``."""
    import wandb

    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", style) + "-style"
    artifact = wandb.Artifact(name, type="model", metadata=meta)
    artifact.add_file(str(path))
    logger.experiment.log_artifact(artifact)
