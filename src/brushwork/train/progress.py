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
from pytorch_lightning.callbacks.progress import ProgressBar
from tqdm.auto import tqdm

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


class StepProgressBar(ProgressBar):
    """The run's global step out of ``trainer.max_steps``, its ETA and the latest loss terms."""

    def __init__(self) -> None:
        super().__init__()
        self._enabled = True
        self.bar: Any = None
        self.val_bar: Any = None

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def _shown(self, trainer: pl.Trainer) -> bool:
        return self._enabled and trainer.is_global_zero

    def terms(self, trainer: pl.Trainer) -> dict[str, str]:
        """The latest value of each logged loss term, short names, 3 significant digits."""
        metrics = trainer.callback_metrics
        # A term whose weight is 0 (tv in the default loss) stays 0: not worth a column.
        values = {name: float(metrics[k]) for k, name in TERMS.items() if k in metrics}
        return {name: f"{v:.3g}" for name, v in values.items() if v != 0.0}

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        total = trainer.max_steps if trainer.max_steps > 0 else None
        self.bar = tqdm(
            total=total,
            initial=trainer.global_step,
            desc="training",
            unit="step",
            disable=not self._shown(trainer),
            dynamic_ncols=True,
            file=sys.stderr,
        )

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.bar is not None:
            self.bar.update(trainer.global_step - self.bar.n)
            self.bar.set_postfix(self.terms(trainer), refresh=False)

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        desc = "sanity check" if trainer.sanity_checking else "validating"
        total = sum(
            trainer.num_sanity_val_batches if trainer.sanity_checking else trainer.num_val_batches
        )
        self.val_bar = tqdm(
            total=total,
            desc=desc,
            unit="batch",
            leave=False,
            position=1 if self.bar is not None else 0,
            disable=not self._shown(trainer),
            dynamic_ncols=True,
            file=sys.stderr,
        )

    def on_validation_batch_end(self, *args: Any, **kwargs: Any) -> None:
        if self.val_bar is not None:
            self.val_bar.update(1)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.val_bar is not None:
            self.val_bar.close()
            self.val_bar = None
        if self.bar is not None and not trainer.sanity_checking:
            self.bar.set_postfix(self.terms(trainer))

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.bar is not None:
            self.bar.set_postfix(self.terms(trainer))
            self.bar.close()
            self.bar = None

    def print(self, *args: Any, sep: str = " ", **kwargs: Any) -> None:
        tqdm.write(sep.join(map(str, args)), file=sys.stderr)


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
