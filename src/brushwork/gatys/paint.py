"""The Gatys optimizer driven by a composed ``configs/gatys.yaml``: what ``brushwork gatys``,
``brushwork sheet``, the app's Gatys tab and ``brushwork targets`` run."""

from __future__ import annotations

import torch
from omegaconf import DictConfig

from brushwork.config.groups import plain
from brushwork.config.paintings import load_style_images, loss_args, styles_of
from brushwork.gatys.optimizer import StepCallback, optimize_image
from brushwork.nn.device import pick_device
from brushwork.nn.losses import PerceptualLoss


class Painter:
    """The Gatys optimizer with the settings of a composed configs/gatys.yaml: the paintings and
    VGG loaded once, then any number of photos (the ``gatys`` command, the sheet, the app and
    distillation targets)."""

    def __init__(self, cfg: DictConfig) -> None:
        self.cfg, self.device = cfg, pick_device(cfg.device)
        styles = styles_of(cfg)
        self.paintings = load_style_images(styles)
        # The first painting's weight: the one formula, whether it came as style= or styles=.
        self.loss = PerceptualLoss(**loss_args(cfg, styles[0])).to(self.device)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True

    def __call__(
        self,
        content: torch.Tensor,
        callback: StepCallback | None = None,
        progress: bool | None = None,
    ) -> torch.Tensor:
        """``content`` (1, 3, H, W) in [0,1] painted in ``cfg.style`` (or ``cfg.styles``,
        blended); returns (1, 3, h, w), longer side ``cfg.gatys.size``; ``progress`` overrides
        the config's bar.
        Seeded per call: a photo's result does not depend on the photos painted before it."""
        gatys = plain(self.cfg.gatys)
        if progress is not None:
            gatys["progress"] = progress
        torch.manual_seed(self.cfg.seed)
        blend, seed = plain(self.cfg.blend), self.cfg.seed
        args = (content, self.paintings, self.loss)
        return optimize_image(*args, **gatys, blend=blend, seed=seed, callback=callback)


def paint(
    cfg: DictConfig, content: torch.Tensor, callback: StepCallback | None = None
) -> torch.Tensor:
    """One photo: :class:`Painter` ``(cfg)(content, callback)``."""
    return Painter(cfg)(content, callback)
