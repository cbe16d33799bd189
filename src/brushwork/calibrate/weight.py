"""Choose a painting's style weight from short Gatys probes (``loss.style_weight=auto``).

For each weight w of a geometric ladder, a few L-BFGS iterations from each probe photo give x_w,
scored by a fixed meter (raw Gatys terms, whatever the run's loss) as two scale-free ratios:
content ``C(x_w, c) / C(grey, c)`` and style ``S(x_w) / S(c)``. The chosen weight is the largest
whose content ratio stays within ``max_content`` (interpolated as a power law between ladder
points); ``auto`` takes the ratio the anchor (Starry Night at the training default) reaches on
the same photos, so every painting gets the anchor's balance. A style ratio above ``max_style``
there is reported as ``weak style``. Probe tables are cached as JSON under ``cache_dir``, keyed
by everything that changes them. docs/ARCHITECTURE.md, "Calibration", says why ratios.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from brushwork.calibrate.criterion import choose, ladder, table_markdown
from brushwork.calibrate.probes import (
    probe,
    probe_cached,
    probe_photos,
    probe_settings,
    target_content,
)
from brushwork.config.groups import plain
from brushwork.config.paintings import style_weight
from brushwork.errors import BrushworkError
from brushwork.io.assets import resolve_style_image
from brushwork.io.images import load_image
from brushwork.nn.device import pick_device

DEFAULT_LADDER = {False: (1e-7, 1e-3), True: (1e-2, 1e2)}  # by loss.normalize


def calibrate(
    style: DictConfig,
    loss_cfg: DictConfig,
    cal: DictConfig,
    device: str | torch.device = "auto",
    progress: bool = False,
    target: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Calibrate ``style`` (a configs/style node) under ``loss_cfg`` with settings ``cal``.

    ``target``: the content bound on the probe photos (:func:`brushwork.calibrate.probes.target_content`),
    when the caller calibrates several styles against one; computed here if None.
    Returns ``{"style", "weight", "status", "table", "max_content", "anchor", "settings",
    "cached", "cache"}``, probing only when no cached table matches.
    """
    if float(loss_cfg.content_weight) <= 0:
        raise BrushworkError("style weight calibration needs loss.content_weight > 0")
    lo, hi = DEFAULT_LADDER[bool(loss_cfg.get("normalize", False))]
    lo, hi = cal.get("min_weight") or lo, cal.get("max_weight") or hi
    weights = ladder(float(lo), float(hi), int(cal.per_decade))
    size, style_size, steps = int(cal.size), int(cal.style_size), int(cal.steps)
    if min(size, style_size, steps, int(cal.photos)) <= 0:
        raise BrushworkError("calibrate.size, style_size, steps and photos must be positive")
    image = resolve_style_image(str(style.image), style.get("url"))
    paths = probe_photos(str(cal.content_dir), int(cal.photos))
    loss_plain = {k: v for k, v in plain(loss_cfg).items() if k != "style_weight"}
    settings = probe_settings(image, paths, cal, weights, loss_plain)
    dev = pick_device(device)

    def run() -> list[dict[str, float]]:
        print(
            f"calibrating the style weight of {style.name}: {len(weights)} weights x "
            f"{len(paths)} photos x {steps} L-BFGS iterations at {size} px"
        )
        photos = [load_image(p, size) for p in paths]
        painting = load_image(image)
        return probe(painting, loss_cfg, photos, weights, style_size, steps, dev, progress)

    target = target or target_content(
        cal, paths, dev, progress
    )  # first: a bad bound fails before probes
    files = [image, *paths]
    table, cache, cached = probe_cached(str(style.name), settings, files, cal.cache_dir, run)
    weight, status = choose(table, target["max_content"], float(cal.max_style))
    found = {"style": str(style.name), "weight": weight, "status": status, "table": table}
    return found | target | {"settings": settings, "cached": cached, "cache": cache and str(cache)}


def calibrate_styles(
    cfg: DictConfig, styles: list[DictConfig], target: dict[str, Any]
) -> list[dict[str, Any]]:
    """Calibrate each of ``styles`` under ``cfg`` (the ``calibrate`` config) against the probe
    photos' bound ``target`` (:func:`target_content`, computed once for all), printing each
    table beside the hand-set weight; each result gains ``hand_set`` (None for ``auto``)."""
    cal, progress = cfg.calibrate, bool(cfg.get("progress", True))
    results = []
    for style in styles:
        result = calibrate(style, cfg.loss, cal, cfg.device, progress, target)
        result["hand_set"] = style_weight(cfg.loss, style)
        hand = f"; hand-set {result['hand_set']:.3g}" if result["hand_set"] is not None else ""
        print(table_markdown(result, result["max_content"], float(cal.max_style)) + hand + "\n")
        results.append(result)
    return results


def is_auto(cfg: DictConfig) -> bool:
    """Whether the run's style weight is to be calibrated (``loss.style_weight=auto``)."""
    return str(cfg.loss.get("style_weight")) == "auto"


def resolve_auto_weight(cfg: DictConfig) -> dict[str, Any]:
    """Calibrate ``cfg.style`` for ``loss.style_weight=auto``: a summary for the export's meta
    whose ``weight`` is the painting's final weight (``cfg`` is left as it is).

    Probes use ``cfg.calibrate`` with the painting scaled as in training (``style_size =
    painting size · calibrate.size / data.size``; the painting size ``style.size`` or
    ``style_size``).
    """
    cal = cfg.calibrate
    painting = cfg.style.get("size") or cfg.style_size
    style_size = max(16, round(painting * cal.size / cfg.data.size))
    cal = OmegaConf.merge(cal, {"style_size": style_size})
    device = str(cfg.get("device", "auto"))
    result = calibrate(cfg.style, cfg.loss, cal, device=device, progress=True)  # minutes: a bar
    print(table_markdown(result, result["max_content"], float(cal.max_style)))
    source = f"cached in {result['cache']}" if result["cached"] else "probed"
    print(f"loss.style_weight=auto -> {result['weight']:.3g} ({source})")
    keep = ("weight", "status", "table", "settings", "cache")
    criterion = {k: result[k] for k in ("max_content", "anchor")} | {"max_style": cal.max_style}
    return {k: result[k] for k in keep} | {"criterion": criterion}


def auto_weights(cfg: DictConfig, styles: list[DictConfig]) -> dict[str, Any] | None:
    """``loss.style_weight=auto``: calibrate every trained painting ``styles`` (probe tables are
    cached) and return ``{"weights": [final weight per style], ...}`` for the run's plan
    (:meth:`~brushwork.train.styles.StylePlan.with_style_weights`) and the export's meta; None
    when not auto. ``cfg`` is left as the user wrote it."""
    if not is_auto(cfg):
        return None
    results = []
    for node in styles:
        one = copy.deepcopy(cfg)
        with open_dict(one):
            one.style = node
        results.append(resolve_auto_weight(one))
    weights = [float(r["weight"]) for r in results]
    if len(styles) == 1:
        return results[0] | {"weights": weights}
    return {
        "weights": weights,
        "styles": {str(n.name): r for n, r in zip(styles, results, strict=True)},
    }
