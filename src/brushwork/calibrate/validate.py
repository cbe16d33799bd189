"""``brushwork calibrate validate=N``: is the calibrated weight at least as good as the hand-set one
on N photos the probes did not see? Both run the same probe and are scored by the calibration
criterion; ``sheet=FILE.png`` draws photo | hand-set | calibrated, one row per style.
"""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import DictConfig

from brushwork.calibrate.criterion import meets
from brushwork.calibrate.probes import probe, probe_photos
from brushwork.errors import BrushworkError
from brushwork.io.assets import resolve_style_image
from brushwork.io.images import find_images, load_image
from brushwork.nn.device import pick_device

LABELS = ("hand-set", "calibrated")


def validate(
    style: DictConfig,
    loss_cfg: DictConfig,
    cal: DictConfig,
    weights: dict[str, float],
    photos: list[torch.Tensor],
    max_content: float,
    device: str = "auto",
    progress: bool = False,
) -> tuple[dict[str, dict[str, float]], list[list[torch.Tensor]]]:
    """Probe ``weights`` (label → style weight) on ``photos`` ((1, 3, H, W), see
    :func:`validation_photos`), scored by the criterion of ``cal`` with the content bound
    ``max_content`` on these photos (:func:`brushwork.calibrate.probes.target_content`).

    Returns ``({label: {"weight", "content_ratio", "style_ratio", "meets"}}, images)`` with
    ``images`` one list per label of the (1, 3, H, W) results, photo by photo.
    """
    painting = load_image(resolve_style_image(str(style.image), style.get("url")))
    images: list[list[torch.Tensor]] = []
    rows = probe(
        painting,
        loss_cfg,
        photos,
        list(weights.values()),
        int(cal.style_size),
        int(cal.steps),
        pick_device(device),
        progress,
        images,
    )
    bounds = max_content, float(cal.max_style)
    found = {k: r | {"meets": meets(r, *bounds)} for k, r in zip(weights, rows, strict=True)}
    return found, images


def validation_photos(cfg: DictConfig, count: int) -> list[Path]:
    """The first ``count`` photos of ``cfg.validate_dir`` that the probes do not use
    (BrushworkError if there are none)."""
    cal = cfg.calibrate
    probes = {p.resolve() for p in probe_photos(str(cal.content_dir), int(cal.photos))}
    paths = [p for p in find_images(str(cfg.validate_dir)) if p.resolve() not in probes][:count]
    if not paths:
        raise BrushworkError(
            f"validate={count}: {cfg.validate_dir} has no photos besides the "
            f"{len(probes)} the calibration probes use"
        )
    return paths
