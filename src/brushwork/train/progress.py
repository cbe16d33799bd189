"""What a training run prints: one bar for the whole run, and none of Lightning's noise.

Lightning's own bar counts batches per epoch ("Epoch 4 96/185") and shows the total loss only;
a style run is defined by its steps, so the bar here shows the global step of ``max_steps``, the ETA
of the whole run (from the steps done in this process: a resumed run starts at its checkpoint's
step) and each loss term. Validation gets a short-lived second bar.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import TQDMProgressBar
from pytorch_lightning.callbacks.progress.tqdm_progress import Tqdm

from brushwork.nn.layers import count_parameters
from brushwork.nn.vgg import LAYER_NAMES

# Logged term -> its name on the bar, in this order.
TERMS = {
    "train/total": "loss",
    "train/content": "content",
    "train/style": "style",
    "train/tv": "tv",
    "train/temporal": "temporal",
    "train/target": "target",
    "val/total": "val",
}


class StepProgressBar(TQDMProgressBar):
    """Lightning's bar counting the run's global step out of ``trainer.max_steps`` (not batches
    per epoch), with the ETA of the whole run and the latest loss terms; on stderr, so that
    stdout keeps the lines a script reads (the paths written)."""

    train_description, validation_description = "training", "validating"
    sanity_check_description = "sanity check"

    def _bar(self, desc: str, unit: str, leave: bool, position: int, **kwargs: Any) -> Tqdm:
        return Tqdm(
            desc=desc,
            unit=unit,
            leave=leave,
            position=position,
            disable=self.is_disabled,
            dynamic_ncols=True,
            file=sys.stderr,
            **kwargs,
        )

    def init_train_tqdm(self) -> Tqdm:
        trainer = self.trainer  # a resumed run starts at its checkpoint's step
        total = trainer.max_steps if trainer.max_steps > 0 else None
        start = trainer.global_step
        return self._bar(self.train_description, "step", True, 0, total=total, initial=start)

    def init_validation_tqdm(self) -> Tqdm:
        return self._bar(self.validation_description, "batch", False, 1)

    def init_sanity_tqdm(self) -> Tqdm:
        return self._bar(self.sanity_check_description, "batch", False, 0)

    def on_train_epoch_start(self, *_: Any) -> None:
        pass  # one bar for the whole run, not one per epoch

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: Any, *_: Any) -> None:
        bar = self.train_progress_bar
        bar.update(trainer.global_step - bar.n)
        bar.set_postfix(self.get_metrics(trainer, pl_module), refresh=False)

    def on_train_epoch_end(self, *_: Any) -> None:
        pass

    def on_validation_batch_start(self, trainer: pl.Trainer, *args: Any, **kwargs: Any) -> None:
        super().on_validation_batch_start(trainer, *args, **kwargs)
        sanity = trainer.sanity_checking
        desc = self.sanity_check_description if sanity else self.validation_description
        self.val_progress_bar.set_description(desc)  # one data loader: no "DataLoader 0"

    def get_metrics(self, trainer: pl.Trainer, pl_module: Any) -> dict[str, str]:
        """The latest value of each logged loss term, short names, 3 significant digits."""
        metrics = trainer.callback_metrics
        # A term whose weight is 0 (tv in the default loss) stays 0: not worth a column.
        values = {name: float(metrics[k]) for k, name in TERMS.items() if k in metrics}
        return {name: f"{v:.3g}" for name, v in values.items() if v != 0.0}


class _DropLines(logging.Filter):
    def __init__(self, *fragments: str) -> None:
        super().__init__()
        self.fragments = fragments

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(f in message for f in self.fragments)


def quiet_lightning() -> None:
    """Silence what Lightning prints that a user of brushwork cannot act on (idempotent):

    * "Found 29 module(s) in eval mode": VGG19 inside the loss is frozen in eval mode on purpose;
    * its advertisement for a cloud logger ("💡 Tip: ...");
    * "limit_val_batches=1.0 was configured so 100% of the batches will be used": the configs
      name every Trainer option, so Lightning reports the default being set;
    * a deprecation inside Lightning's own code (``LeafSpec``), not in brushwork's;
    * "Precision bf16-mixed is not supported by the model summary": its size estimate only;
    * "GPU available: False, used: False", "TPU available: ...": the recipe line names the device.
    """
    warnings.filterwarnings("ignore", message=r"Found \d+ module\(s\) in eval mode")
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")
    warnings.filterwarnings("ignore", message=r"Precision bf16-mixed is not supported by the model")
    for name in ("pytorch_lightning.utilities.rank_zero", "lightning.pytorch.utilities.rank_zero"):
        log = logging.getLogger(name)
        if not any(isinstance(f, _DropLines) for f in log.filters):
            log.addFilter(
                _DropLines("💡 Tip", "was configured so 100%", "GPU available:", "TPU available:")
            )


def net_summary(net: torch.nn.Module, loss_layers: list[str], init: str | None = None) -> str:
    """One line instead of Lightning's model table (whose FLOPs are 0 and whose "modules in eval
    mode" are the frozen VGG): what is trained, from which model file, and what judges it."""
    trained = count_parameters(net, trainable=True)
    deepest = max(loss_layers, key=LAYER_NAMES.index)
    start = f", starting from {Path(init).name}" if init else ""
    return (
        f"net: {type(net).__name__}, {trained / 1e3:.0f} K parameters trained{start}; "
        f"loss: frozen VGG19 to {deepest}"
    )
