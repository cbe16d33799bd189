"""The Gatys optimizer driven by a composed ``configs/gatys.yaml``: what ``brushwork gatys``,
``brushwork sheet`` and the app's Gatys tab run."""

from __future__ import annotations

import torch
from omegaconf import DictConfig

from brushwork.config.groups import load_style_images, loss_args, plain, styles_of
from brushwork.gatys.optimizer import StepCallback, optimize_image
from brushwork.nn.device import pick_device
from brushwork.nn.losses import PerceptualLoss


def paint(
    cfg: DictConfig, content: torch.Tensor, callback: StepCallback | None = None
) -> torch.Tensor:
    """``content`` (1, 3, H, W) in [0,1] painted in ``cfg.style`` (+ ``cfg.mix``) with the settings
    of a composed configs/gatys.yaml; returns (1, 3, h, w), longer side ``cfg.gatys.size``."""
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    style_images = load_style_images(styles_of(cfg))
    loss = PerceptualLoss(**loss_args(cfg)).to(device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    return optimize_image(
        content,
        style_images,
        loss,
        **plain(cfg.gatys),
        blend=plain(cfg.blend),
        seed=cfg.seed,
        callback=callback,
    )
