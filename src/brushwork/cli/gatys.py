"""``brushwork gatys content=PHOTO style=NAME output=OUT.png [overrides]``: stylize one photo
with the Gatys optimizer (configs/gatys.yaml; any Hydra override works)."""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import DictConfig

from brushwork.config.groups import load_style_images, loss_args, plain, required, styles_of
from brushwork.gatys.optimizer import optimize_image
from brushwork.io.images import check_writable, load_image, save_image
from brushwork.nn.device import pick_device
from brushwork.nn.losses import PerceptualLoss


def paint(cfg: DictConfig, content: torch.Tensor, callback=None) -> torch.Tensor:
    """``content`` (1, 3, H, W) in [0,1] painted in ``cfg.style`` (+ ``cfg.mix``) with the settings
    of a composed configs/gatys.yaml; returns (1, 3, h, w), longer side ``cfg.gatys.size``."""
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    style_images = load_style_images(styles_of(cfg))
    loss = PerceptualLoss(**loss_args(cfg.loss, cfg.style.weight)).to(device)
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


def run(cfg: DictConfig) -> Path:
    """Stylize ``cfg.content`` with ``cfg.style`` (+ ``cfg.mix``) into ``cfg.output``."""
    content_path = required(cfg, "content", "path/to/photo.jpg")
    output = check_writable(required(cfg, "output", "path/to/result.png"))

    def on_step(level: int, step: int, image: torch.Tensor, terms: dict[str, float]) -> None:
        if (step + 1) % cfg.save_every == 0:
            name = f"{output.stem}_L{level}_{step + 1:04d}.png"
            save_image(image.clamp(0, 1), output.with_name(name))

    result = paint(cfg, load_image(content_path), on_step if cfg.save_every > 0 else None)
    save_image(result, output)
    print(f"wrote {output} ({result.shape[-1]}x{result.shape[-2]})")
    return output
