"""Training side effects: a grid of the fixed validation photos, stylized, every N steps; the
final checkpoint, written atomically; the early stop and the checkpoint of the lowest-scored
weights (Lightning's, with a relative ``min_delta`` and a restore for the export).

The grid is always written as a PNG under the run folder (so runs without W&B still show pictures)
and, when a :class:`~pytorch_lightning.loggers.WandbLogger` is attached, logged as ``samples``.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from lightning_fabric.plugins import TorchCheckpointIO
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.utilities import rank_zero_only
from torch import Tensor

from brushwork.io.files import write_bytes
from brushwork.io.images import save_image, tensor_to_pil
from brushwork.io.sheets import contact_sheet


class ImageGridCallback(pl.Callback):
    """Stylize the datamodule's ``val_images()`` every ``every_n_steps`` steps and at train end.

    Grids land in ``<out_dir>/step_XXXXXXX.png``; ``every_n_steps <= 0`` keeps only the final one.
    A multi-style run gets one row per trained style. Rows are ``height`` px at most, or the smallest photo's height (photos are not upscaled).
    """

    def __init__(self, out_dir: str | Path, every_n_steps: int = 200, height: int = 256) -> None:
        super().__init__()
        self.out_dir = Path(out_dir)
        self.every_n_steps = every_n_steps
        self.height = height
        self._last_step = -1

    def _images(self, trainer: pl.Trainer) -> list[Tensor]:
        data = trainer.datamodule
        return data.val_images() if data is not None and hasattr(data, "val_images") else []

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args) -> None:
        step = trainer.global_step
        if self.every_n_steps > 0 and step % self.every_n_steps == 0:
            self._log_grid(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._log_grid(trainer, pl_module)

    @rank_zero_only
    def _log_grid(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        step = trainer.global_step
        contents = self._images(trainer)
        if not contents or step == self._last_step or trainer.sanity_checking:
            return
        self._last_step = step
        was_training = pl_module.training
        pl_module.eval()
        n_styles = len(getattr(pl_module, "styles", [None]))
        try:
            with torch.no_grad():
                stylized = [
                    [pl_module(c.to(pl_module.device), style=k).float() for c in contents]
                    for k in range(n_styles)
                ]
        finally:
            pl_module.train(was_training)
        height = min(self.height, *(c.shape[-2] for c in contents))
        grid = contact_sheet([contents, *stylized], height)  # rows: photos | each style
        self.out_dir.mkdir(parents=True, exist_ok=True)
        save_image(grid, self.out_dir / f"step_{step:07d}.png")
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(
                    "samples", [tensor_to_pil(grid)], step=step, caption=[f"step {step}"]
                )


class FinalCheckpoint(pl.Callback):
    """Write ``path`` (the run's ``last.ckpt``) when training ends, so that it holds the final
    step: the periodic checkpoints (every N steps) miss the steps after the last multiple of N,
    and continuing a finished run from ``last.ckpt`` would redo them."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.global_step > 0:
            trainer.save_checkpoint(
                self.path, weights_only=False
            )  # every rank calls it; rank 0 writes


class AtomicCheckpointIO(TorchCheckpointIO):
    """Checkpoints written beside their path and renamed into place: Lightning's own writer
    opens the final path, so a full disk left a truncated ``last.ckpt`` that no run could resume
    from. Here the previous checkpoint survives and the run ends with one line naming the path
    and the free space (``brushwork.io.files.why_not_written``)."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None):
        buf = io.BytesIO()
        torch.save(checkpoint, buf)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, buf.getvalue())


class RelativeEarlyStopping(EarlyStopping):
    """Lightning's early stop on ``val/total`` (lower is better) with ``min_delta`` a fraction of
    the best so far: a check counts as a fall only below ``(1 − min_delta)`` × the best.
    Relative, because the loss's scale moves with the style weight; the validation photos are
    fixed, so the loss is not noisy between checks. Says the step it stopped at (``stopped_at``).
    """

    def __init__(self, patience: int, min_delta: float = 0.0, monitor: str = "val/total") -> None:
        super().__init__(monitor=monitor, mode="min", patience=patience)
        self.relative = min_delta
        self.stopped_at: int | None = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        best = float(self.best_score)
        # Lightning keeps the delta of a "min" monitor negated (EarlyStopping.__init__).
        self.min_delta = -self.relative * best if math.isfinite(best) else 0.0
        stopping = trainer.should_stop
        super().on_validation_end(trainer, pl_module)
        if trainer.should_stop and not stopping and not trainer.sanity_checking:
            self.stopped_at = trainer.global_step
            by = f" by {self.relative:.0%}" if self.relative else ""
            print(
                f"early stop at step {self.stopped_at}: {self.monitor} has not fallen{by} below "
                f"{float(self.best_score):.4g} for {self.wait_count} validations",
                flush=True,
            )


class LowestCheckpoint(ModelCheckpoint):
    """Lightning's checkpoint of the lowest ``val/total`` (weights only, ``<dir>/lowest.ckpt``),
    and :meth:`restore`: the run ends with the weights that scored lowest when it ended on a
    check that scored higher (the early stop fired, or the last check rose): the export is the
    lowest-scored network, not the one ``patience`` checks past it. ``last.ckpt`` keeps the
    final step: a resume continues the real trajectory.
    """

    def __init__(self, dirpath: str | Path, monitor: str = "val/total") -> None:
        super().__init__(
            dirpath=dirpath,
            filename="lowest",
            monitor=monitor,
            mode="min",
            save_top_k=1,
            save_weights_only=True,
            auto_insert_metric_name=False,
            enable_version_counter=False,
        )
        self.restored_step: int | None = None
        self.checked_step = -1  # the step of the last validation seen by this process

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        super().on_validation_end(trainer, pl_module)
        if not trainer.sanity_checking:
            self.checked_step = trainer.global_step

    def restore(self, trainer: pl.Trainer, pl_module: Any) -> int | None:
        """After ``fit`` (pipeline.train): put the lowest-scored weights back into
        ``pl_module.inference_net``; return their step (None: nothing done). Not a train-end
        hook: Lightning writes ``last.ckpt`` after every such hook."""
        # Steps trained after the last check (max_steps not a multiple of the interval) are
        # not judged: the final weights stay.
        step = trainer.global_step
        if not self.best_model_path or self.checked_step != step:
            return None
        saved = torch.load(self.best_model_path, map_location="cpu", weights_only=True)
        if saved["global_step"] == step:
            return None
        prefix = "average.net." if pl_module.average is not None else "net."
        state = saved["state_dict"]
        pl_module.inference_net.load_state_dict(
            {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        )
        self.restored_step = int(saved["global_step"])
        if trainer.is_global_zero:
            print(
                f"keeping the weights of step {self.restored_step} ({self.monitor} "
                f"{float(self.best_model_score):.4g}, the lowest) for the export",
                flush=True,
            )
        return self.restored_step
