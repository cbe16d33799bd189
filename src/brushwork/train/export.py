"""The end of a run: the model file (with what trained it), its W&B artifact, the closing
evaluation, and closing the W&B run.

A model file that travels (the shipped one, one shared with a colleague) must say how to make it
again: :func:`provenance` returns the commit of the source tree (and whether it had uncommitted
changes), the command line as Hydra received it, and the resolved config. All plain values, so
the export still loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from omegaconf import DictConfig
from pytorch_lightning.loggers import WandbLogger

from brushwork import __version__
from brushwork.config.groups import plain
from brushwork.evaluate.objective import LOSS_KEYS
from brushwork.infer.model_file import export_model
from brushwork.io.fetch import file_digest
from brushwork.train.callbacks import LowestCheckpoint
from brushwork.train.evaluation import closing_evaluation
from brushwork.train.loggers import log_export
from brushwork.train.styles import StylePlan, run_name


def export_run(
    cfg: DictConfig,
    module: Any,
    styles: StylePlan,
    calibration: dict[str, Any] | None,
    made_by: dict[str, Any],
    trainer: Any,
    logger: Any,
    run_dir: Path,
) -> Path:
    """Write ``<run dir>/<name>.pt`` from the module's inference net (the weight average when
    there is one; ``meta["weights_of_step"]`` names the step when the early stop put back an
    earlier, lower-scored one); log it to W&B; run the closing evaluation when ``cfg.eval.enabled``.
    """
    hp = module.hparams
    meta = {
        "brushwork": __version__,
        "steps": int(trainer.global_step),
        "style_image": styles.styles[0]["image"],
        "style_size": cfg.style_size,
        "train_size": cfg.data.size,
        # The full objective (layers as the loss resolved them), for brushwork.evaluate.
        "loss": dict(hp.loss) | {k: list(getattr(module.loss, k)) for k in LOSS_KEYS},
        "provenance": made_by,
    }
    if calibration is not None:
        meta["calibration"] = calibration
    for lowest in (c for c in trainer.callbacks if isinstance(c, LowestCheckpoint)):
        if lowest.restored_step is not None:
            meta["weights_of_step"] = lowest.restored_step
    if styles.init:  # the file's name and digest: its path is this machine's, not the model's
        init = {"model": Path(styles.init).name, "sha256": file_digest(Path(styles.init), "sha256")}
        meta["init"] = init | {"finetune": styles.finetune}
    name = run_name(cfg)
    export = export_model(module.inference_net, run_dir / f"{name}.pt", styles.all_styles, meta)
    if isinstance(logger, WandbLogger) and cfg.logger.get("log_model", True):
        log_export(logger, export, name, meta)
    if cfg.get("eval") and cfg.eval.get("enabled"):
        closing_evaluation(export, cfg, styles, module, trainer, logger, run_dir)
    return export


def finish_wandb(logger: Any, ok: bool) -> None:
    """End the run's W&B run (one per job, also in multiruns) and say where it is."""
    if not isinstance(logger, WandbLogger):
        return
    import wandb

    run = wandb.run  # not logger.experiment: that would start a run if none exists
    wandb_dir = Path(run.dir).parent if run is not None else None
    wandb.finish(exit_code=0 if ok else 1)
    if ok and wandb_dir is not None:
        hint = f" (upload: wandb sync {wandb_dir})" if "offline" in wandb_dir.name else ""
        print(f"W&B run: {wandb_dir}{hint}")


SOURCE = Path(__file__).resolve().parents[3]  # the checkout holding src/brushwork, if any


def git_commit(root: Path = SOURCE) -> dict[str, Any] | None:
    """``{"commit": sha, "dirty": bool}`` of the git checkout at ``root``; None when brushwork
    runs from an installed wheel (no checkout) or git is missing."""
    if not (root / ".git").exists():
        return None
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": sha, "dirty": bool(status.strip())}


def command_line() -> str | None:
    """``python train.py <overrides>`` as Hydra parsed them; None outside Hydra's launcher."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None
    return " ".join(["python train.py", *HydraConfig.get().overrides.task])


def provenance(cfg: DictConfig) -> dict[str, Any]:
    """The ``meta["provenance"]`` of an export: ``source`` (:func:`git_commit`), ``command``
    (:func:`command_line`) and ``config`` (``cfg`` resolved, plain values)."""
    return {"source": git_commit(), "command": command_line(), "config": plain(cfg)}
