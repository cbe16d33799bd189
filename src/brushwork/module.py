"""The LightningModule: a Johnson et al. TransformerNet trained against the shared PerceptualLoss.

It takes primitives only (no nn.Module through the config), so ``save_hyperparameters()`` records
everything needed to rebuild it. The frozen VGG19 inside the loss is rebuilt from its weight source,
never stored: checkpoints hold the transformer net (plus optimizer state) only.

Batches (see ``brushwork.data``): ``{"content": (B, 3, H, W) in [0,1], "path": [...]}`` plus
``"target": (B, 3, H, W)`` when pre-computed targets are used (``target_weight > 0``).
"""

from __future__ import annotations

import math
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import Tensor

from brushwork.errors import BrushworkError
from brushwork.images import load_image
from brushwork.losses import PerceptualLoss
from brushwork.transformer import RESAMPLE, TransformerNet

ARCH_KEYS = ("width", "n_residual", "separable", "resample")
LR_SCHEDULES = ("none", "cosine")
TARGET_LOSSES = ("pixel", "feature")
_TARGET_FEATURE = "relu2_2"  # feature-space distance to targets, as Johnson's content layer


def architecture_of(state: dict[str, Tensor], prefix: str = "net.") -> dict[str, Any] | None:
    """``TransformerNet.arch_args`` read off a state dict's keys and shapes; None if it is not one.

    Read from the weights, not the hyper-parameters: ``load_from_checkpoint(..., width=16)``
    rewrites the latter.
    """
    first = state.get(f"{prefix}encoder.0.conv.weight")  # conv: (width, 3, 9, 9)
    resample = "conv"
    if first is None:  # shuffle: encoder.0 is the pixel-unshuffle, then a (4 width, 48, 3, 3) conv
        first, resample = state.get(f"{prefix}encoder.1.conv.weight"), "shuffle"
    if not isinstance(first, Tensor) or first.ndim != 4:
        return None
    width = first.shape[0] // 4 if resample == "shuffle" else first.shape[0]
    body = f"{prefix}residuals."
    blocks = {k[len(body) :].split(".")[0] for k in state if k.startswith(body)}
    separable = any(k.startswith(body) and ".depthwise." in k for k in state)
    return {"width": width, "n_residual": len(blocks), "separable": separable, "resample": resample}


def check_architecture(saved: dict[str, Any] | None, current: dict[str, Any], source: str) -> None:
    """Raise BrushworkError unless ``saved`` (see :func:`architecture_of`) is ``current``'s arch."""
    if saved is None:
        raise BrushworkError(f"{source} is not a brushwork training checkpoint")
    diff = [f"{k}={saved[k]} (now {current[k]})" for k in ARCH_KEYS if saved[k] != current[k]]
    if diff:
        raise BrushworkError(
            f"{source} was trained with another architecture: {', '.join(diff)}; "
            "pick the matching model=... / model.* overrides or start without ckpt_path"
        )


class StyleTransferModule(pl.LightningModule):
    """Train ``TransformerNet(width, n_residual, separable, resample)`` for one style.

    Loss terms are logged as ``{train,val}/{content,style,tv,total}`` (+ ``train/target``), each
    already weighted. ``style_weight`` is the final weight (loss.style_weight × style.weight).
    The style image is read once, at ``style_size`` px on its longer side, and its Gram targets are
    computed here once; they follow the module across devices as non-persistent buffers.
    ``style_info`` (name, title, artist, url) travels into checkpoints and the export.
    """

    def __init__(
        self,
        style_name: str,
        style_image: str,
        style_size: int = 256,
        width: int = 32,
        n_residual: int = 5,
        separable: bool = False,
        resample: str = "conv",
        content_layers: list[str] | None = None,
        style_layers: list[str] | None = None,
        content_layer_weights: list[float] | None = None,
        style_layer_weights: list[float] | None = None,
        content_weight: float = 1.0,
        style_weight: float = 1e-5,
        tv_weight: float = 0.0,
        vgg: str = "caffe",
        pooling: str = "max",
        normalize: bool = False,
        lr: float = 1e-3,
        lr_schedule: str = "none",
        max_steps: int = -1,
        target_weight: float = 0.0,
        target_loss: str = "pixel",
        channels_last: bool = False,
        style_info: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        for name, value, choices in (
            ("optim.schedule", lr_schedule, LR_SCHEDULES),
            ("loss.target_loss", target_loss, TARGET_LOSSES),
            ("model.resample", resample, RESAMPLE),
        ):
            if value not in choices:
                raise BrushworkError(f"unknown {name} {value!r}; choose {' or '.join(choices)}")
        if lr <= 0 or target_weight < 0:
            raise BrushworkError(f"need lr > 0 and target_weight >= 0, got {lr}, {target_weight}")
        style_tensor = load_image(style_image, style_size)  # a bad file fails before VGG loads
        self.net = TransformerNet(width, n_residual, separable, resample)
        self.loss = PerceptualLoss(
            content_layers=content_layers or ["relu2_2"],
            style_layers=style_layers or ["relu1_2", "relu2_2", "relu3_4", "relu4_4"],
            content_weight=content_weight,
            style_weight=style_weight,
            tv_weight=tv_weight,
            content_layer_weights=content_layer_weights,
            style_layer_weights=style_layer_weights,
            weights=vgg,
            pooling=pooling,
            normalize=normalize,
        )
        reaches_feature = hasattr(self.loss.vgg.body, _TARGET_FEATURE)
        if target_weight and target_loss == "feature" and not reaches_feature:
            raise BrushworkError(
                f"loss.target_loss=feature needs VGG up to {_TARGET_FEATURE}; the loss stops before"
            )
        # Once per style, on CPU (a single image; cheap): the buffers move with the module.
        self.loss.set_style([style_tensor])

    # --- forward / steps -------------------------------------------------------------------

    def forward(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) in [0,1] → stylized, same shape."""
        return self.net(x)

    def _features(self, x: Tensor) -> Tensor:
        """The loss VGG's ``relu2_2`` activations of ``x``, (B, 128, H/2, W/2)."""
        vgg = self.loss.vgg
        h = vgg.normalize(x)
        for name, layer in vgg.body.named_children():
            h = layer(h)
            if name == _TARGET_FEATURE:
                return h
        raise AssertionError("unreachable: checked in __init__")

    def _target_term(self, out: Tensor, target: Tensor) -> Tensor:
        if self.hparams.target_loss == "pixel":
            return F.mse_loss(out.float(), target.float())
        with torch.no_grad():
            want = self._features(target)
        return F.mse_loss(self._features(out).float(), want.float())

    def _step(self, batch: dict[str, Any], stage: str) -> Tensor:
        content = batch["content"]
        if self.hparams.channels_last:
            content = content.contiguous(memory_format=torch.channels_last)
        out = self.net(content)
        terms = self.loss(out, content=content)
        # Targets exist for training photos only; validation reports the perceptual terms.
        if self.hparams.target_weight > 0 and stage == "train":
            if "target" not in batch:
                raise BrushworkError("loss.target_weight > 0 needs data.targets (a targets folder)")
            terms["target"] = self.hparams.target_weight * self._target_term(out, batch["target"])
            terms["total"] = terms["total"] + terms["target"]
        batch_size = content.shape[0]
        # Validation: epoch means over all ranks. Training: per-step values stay local (no sync).
        for key, value in terms.items():
            self.log(
                f"{stage}/{key}",
                value.detach(),
                prog_bar=key == "total",
                batch_size=batch_size,
                sync_dist=stage == "val",
            )
        return terms["total"]

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self._step(batch, "val")

    # --- device / optimizer ----------------------------------------------------------------

    def setup(self, stage: str) -> None:
        if self.hparams.channels_last:
            # Tensor-core convs on GPU want NHWC; the batch is converted in _step.
            self.to(memory_format=torch.channels_last)

    def configure_optimizers(self) -> Any:
        # The net only: VGG is frozen and must not carry Adam state into checkpoints.
        fused = self.device.type == "cuda"
        optimizer = torch.optim.Adam(self.net.parameters(), lr=self.hparams.lr, fused=fused)
        if self.hparams.lr_schedule == "none":
            return optimizer
        total = self.hparams.max_steps
        if total is None or total <= 0:
            total = int(self.trainer.estimated_stepping_batches)
        if not math.isfinite(total) or total <= 0:
            raise BrushworkError("optim.schedule=cosine needs trainer.max_steps (or max_epochs)")
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=int(total))
        schedule = {"scheduler": scheduler, "interval": "step"}
        return {"optimizer": optimizer, "lr_scheduler": schedule}

    # --- checkpoints ----------------------------------------------------------------------

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # VGG19 is ~80 MB of frozen weights rebuilt from hparams.vgg: keep it out of every file.
        state = checkpoint["state_dict"]
        for key in [k for k in state if k.startswith("loss.")]:
            del state[key]

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved = architecture_of(checkpoint.get("state_dict") or {})
        check_architecture(saved, self.net.arch_args, "the checkpoint")
        # Put this module's own loss state back so strict loading sees every key it expects.
        state = checkpoint["state_dict"]
        for key, value in self.loss.state_dict().items():
            state.setdefault(f"loss.{key}", value)
