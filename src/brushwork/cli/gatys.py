"""``brushwork gatys content=PHOTO style=NAME output=OUT.png [overrides]``: stylize one photo
with the Gatys optimizer (configs/gatys.yaml; any Hydra override works)."""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import DictConfig

from brushwork.config.groups import required
from brushwork.gatys.paint import paint
from brushwork.io.files import check_writable
from brushwork.io.images import load_image, save_image


def run(cfg: DictConfig) -> Path:
    """Stylize ``cfg.content`` with ``cfg.style`` (or the paintings of ``cfg.styles``, blended) into ``cfg.output``."""
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
