"""The LightningModule: a transformer net trained against the shared PerceptualLoss. Checkpoints
hold the net, the paintings' Gram targets and the optimizer state; VGG19 is rebuilt, never stored.

Batches: ``{"content": (B, 3, H, W) in [0, 1], "path": [...]}`` (+ ``"target"`` when distilling).
Several styles: image b of step t takes style (t·B + b) mod K, so every style gets the same
samples and, with B >= K, every step updates the shared convolutions for all of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import Tensor

from brushwork.errors import BrushworkError, check_choice
from brushwork.io.images import load_image
from brushwork.nn.losses import PerceptualLoss
from brushwork.nn.nets import build_net
from brushwork.nn.stylemix import norm_keys
from brushwork.train.checkpoints import check_architecture
from brushwork.train.optim import WeightAverage, optimizers, recipe
from brushwork.train.photos import shifted_pair

DISTILL_LOSSES = ("pixel", "feature")
_TARGET_FEATURE = "relu2_2"  # feature-space distance to targets, as Johnson's content layer


class StyleTransferModule(pl.LightningModule):
    """Train ``build_net(**model)`` against ``PerceptualLoss(**loss)``; plain values only, so
    ``save_hyperparameters()`` records everything needed to rebuild it (the net's architecture
    as ``hyper_parameters["model"]``). ``loss``: its style weight is the final weight of the first
    style; ``style_factors`` scale the others'. ``optim``: ``{"lr", "schedule", "warmup", "ema"}``
    (train.optim); ``distill``: ``{"weight", "loss"}`` (the term towards Gatys targets).

    The Gram targets are computed once from ``paintings`` (one file per trained style, its
    longer side ``style_sizes``) into buffers, so a checkpoint resumes or loads without the
    paintings. Terms are logged as ``{train,val}/{content,style,tv,total}``, each weighted.
    ``styles`` (one entry per trained style: name, title, artist, url) travels into the
    checkpoint.
    The net's first ``kept_styles`` styles come from an init model and are not trained;
    ``finetune="norm"`` trains the norms' (γ, β) only (train.styles).
    """

    def __init__(
        self,
        model: dict[str, Any],
        loss: dict[str, Any],
        styles: list[dict[str, Any]],
        paintings: list[str | None],
        style_sizes: list[int],
        optim: dict[str, Any] | None = None,
        distill: dict[str, Any] | None = None,
        max_steps: int = -1,
        channels_last: bool = False,
        style_factors: list[float] | None = None,
        kept_styles: int = 0,
        finetune: str = "all",
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.optim = o = recipe(optim)
        self.distill = {"weight": 0.0, "loss": "pixel"} | (distill or {})
        check_choice("distill.loss", self.distill["loss"], DISTILL_LOSSES)
        if self.distill["weight"] < 0:
            raise BrushworkError(f"need distill.weight >= 0, got {self.distill['weight']}")
        self.styles = styles
        if not len(paintings) == len(style_sizes) == len(styles) or kept_styles < 0:
            raise BrushworkError(f"{len(styles)} styles but {len(paintings)} paintings")
        self.kept = kept_styles  # styles the net holds before the trained ones (finetune=norm)
        check_choice("finetune", finetune, ("all", "norm"))
        images = None
        if all(i is not None and Path(i).exists() for i in paintings):
            # A bad file fails before VGG loads.
            images = [load_image(i, px) for i, px in zip(paintings, style_sizes, strict=True)]  # type: ignore[arg-type]
        self.net = build_net(**model)
        if self.net.n_styles != kept_styles + len(self.styles):
            raise BrushworkError(
                f"the net holds {self.net.n_styles} styles, not {kept_styles} + {len(self.styles)}"
            )
        if finetune == "norm":
            # Only the (γ, β) rows learn: the shared convolutions stay bit-identical.
            trainable = norm_keys(self.net)
            for name, p in self.net.named_parameters():
                p.requires_grad_(name in trainable)
        # Validation, the image grids and the export use the averaged weights when there are any.
        self.average = WeightAverage(self.net, o["ema"]) if o["ema"] > 0 else None
        self.loss = PerceptualLoss(**loss)
        reaches_feature = hasattr(self.loss.vgg.body, _TARGET_FEATURE)
        if self.distill["weight"] and self.distill["loss"] == "feature" and not reaches_feature:
            raise BrushworkError(
                f"distill.loss=feature needs VGG up to {_TARGET_FEATURE}; the loss stops before"
            )
        if images is not None:
            # Once per style, on CPU (a single image; cheap): the buffers move with the module.
            self.loss.set_styles(images, style_factors)

    # --- forward / steps -------------------------------------------------------------------

    def _net_style(self, ids: Tensor | int) -> Tensor | int | None:
        """The net's style argument for trained-style indices ``ids``."""
        return None if self.net.n_styles == 1 else ids + self.kept

    @property
    def inference_net(self) -> torch.nn.Module:
        """The net users get: the weight average if ``optim.ema > 0``, else the trained net."""
        return self.average.net if self.average is not None else self.net

    def sync_average(self) -> None:
        """Restart the average from the net (after a warm start replaced its weights)."""
        if self.average is not None:
            self.average.reset(self.net)

    def forward(self, x: Tensor, style: int = 0) -> Tensor:
        """(B, 3, H, W) in [0,1] → stylized by :attr:`inference_net`, same shape; ``style``:
        which trained style."""
        return self.inference_net(x, self._net_style(style))

    def _style_ids(self, batch_size: int, start: int) -> Tensor:
        """Round-robin styles for a batch (module doc): (B,) indices into the trained styles."""
        return (torch.arange(batch_size) + start) % len(self.styles)

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
        if self.distill["loss"] == "pixel":
            return F.mse_loss(out.float(), target.float())
        with torch.no_grad():
            want = self._features(target)
        return F.mse_loss(self._features(out).float(), want.float())

    def _step(self, batch: dict[str, Any], stage: str, batch_idx: int = 0) -> Tensor:
        content = batch["content"]
        if self.hparams.channels_last:
            content = content.contiguous(memory_format=torch.channels_last)
        b = content.shape[0]
        ids = self._style_ids(b, (self.global_step if stage == "train" else batch_idx) * b)
        ids = ids.to(content.device)
        style = self._net_style(ids)
        # Training steps skip the inference margin (TransformerNet.margin: a cost per step for a
        # border the loss barely sees); validation scores what users get.
        margin = 0 if stage == "train" else None
        net = self.net if stage == "train" else self.inference_net
        out = net(content, style, margin)
        terms = self.loss(out, content=content, styles=ids if len(self.styles) > 1 else None)
        if self.loss.temporal_weight > 0 and stage == "train":
            # The same photos moved by a few px and noised: outputs must move along (video).
            moved, shift = shifted_pair(content, self.loss.temporal_shift, self.loss.temporal_noise)
            terms["temporal"] = self.loss.stability(out, self.net(moved, style, 0), shift)
            terms["total"] = terms["total"] + terms["temporal"]
        # Targets exist for training photos only; validation reports the perceptual terms.
        if self.distill["weight"] > 0 and stage == "train":
            if "target" not in batch:
                raise BrushworkError("distill.weight > 0 needs data.targets (a targets folder)")
            terms["target"] = self.distill["weight"] * self._target_term(out, batch["target"])
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
        return self._step(batch, "train", batch_idx)

    def on_train_batch_end(self, *args: Any) -> None:
        if self.average is not None:
            self.average.update(self.net)

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self._step(batch, "val", batch_idx)

    # --- device / optimizer ----------------------------------------------------------------

    def setup(self, stage: str) -> None:
        if self.hparams.channels_last:
            # Tensor-core convs on GPU want NHWC; the batch is converted in _step.
            self.to(memory_format=torch.channels_last)

    def on_fit_start(self) -> None:
        # After a resumed checkpoint was restored (Lightning restores after setup()).
        if not self.loss.style_grams:
            raise BrushworkError(
                f"painting {self.hparams.paintings} not found, and no checkpoint with its "
                "Gram targets was given (ckpt_path=...)"
            )

    def configure_optimizers(self) -> Any:
        # The net only: VGG is frozen and must not carry Adam state into checkpoints.
        params = [p for p in self.net.parameters() if p.requires_grad]  # finetune=norm: the norms
        total = self.hparams.max_steps
        if total is None or total <= 0:
            total = self.trainer.estimated_stepping_batches
        return optimizers(params, self.optim, total, fused=self.device.type == "cuda")

    # --- checkpoints ----------------------------------------------------------------------

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # VGG19 is ~80 MB of frozen weights rebuilt from the loss config: keep it out of every
        # file. The Gram targets (loss.gram_*, a few MB) stay: resuming needs no painting.
        state = checkpoint["state_dict"]
        for key in [k for k in state if k.startswith("loss.vgg.")]:
            del state[key]

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved = (checkpoint.get("hyper_parameters") or {}).get("model")
        check_architecture(saved, self.net.model_args, "the checkpoint")
        # Put this module's own VGG weights back so strict loading sees every key it expects.
        state = checkpoint["state_dict"]
        for key, value in self.loss.state_dict().items():
            state.setdefault(f"loss.{key}", value)
        if self.average is not None and not any(k.startswith("average.") for k in state):
            # A run resumed with optim.ema turned on: the average starts from the saved net.
            for key, value in list(state.items()):
                if key.startswith("net."):
                    state[f"average.{key}"] = value
            state["average.updates"] = torch.zeros((), dtype=torch.long)
