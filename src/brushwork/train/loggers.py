"""The run's metrics logger: Weights & Biases (online when logged in, else offline; never
prompts), CSV, or none; and the exported model as a W&B artifact."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from omegaconf import DictConfig
from pytorch_lightning.loggers import CSVLogger, Logger, WandbLogger

from brushwork.config.groups import folder_name, plain
from brushwork.errors import BrushworkError, check_choice

WANDB_MODES = ("auto", "online", "offline", "disabled")
LOGGERS = ("wandb", "csv", "none")


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


def build_logger(cfg: DictConfig, run_dir: Path, resume_id: str | None = None) -> Logger | None:
    """The run's logger; with W&B, ``resume_id`` continues that run (a resumed training)."""
    log = cfg.logger
    if check_choice("logger.kind", log.kind, LOGGERS) == "none":
        return None
    if log.kind == "csv":
        return CSVLogger(run_dir, name="csv", version="")
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


def log_export(logger: WandbLogger, path: Path, style: str, meta: dict[str, Any]) -> None:
    """Upload the exported model file as a W&B ``model`` artifact named ``<style>-style``."""
    import wandb

    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", style) + "-style"
    artifact = wandb.Artifact(name, type="model", metadata=meta)
    artifact.add_file(str(path))
    logger.experiment.log_artifact(artifact)
