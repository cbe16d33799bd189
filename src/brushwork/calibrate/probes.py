"""The probes behind :mod:`brushwork.calibrate.weight`: short Gatys runs at given style weights, scored
by a fixed meter (content and style ratios, see there), their photos, their cache, and the
anchor's content bound (``max_content = auto``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig
from tqdm.auto import tqdm

from brushwork.config.groups import group_choices, load_group, plain
from brushwork.config.paintings import style_config, style_weight
from brushwork.errors import BrushworkError, check_choice
from brushwork.gatys.optimizer import from_photo
from brushwork.io.assets import cache_dir as brushwork_cache
from brushwork.io.assets import resolve_style_image
from brushwork.io.files import find_images, write_text
from brushwork.io.images import load_image, resize
from brushwork.nn.device import pick_device
from brushwork.nn.losses import PerceptualLoss

MEASURE_CONTENT = ("relu4_2",)
MEASURE_STYLE = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def _cache_file(folder: Any, name: str) -> Path | None:
    """``calibrate.cache_dir``: a folder, ``auto`` (brushwork's cache, see
    :func:`brushwork.io.assets.cache_dir`) or null (no cache)."""
    if not folder:
        return None
    root = (
        brushwork_cache() / "calibration"
        if str(folder) == "auto"
        else Path(str(folder)).expanduser()
    )
    return root / name


def probe_photos(folder: str | Path, count: int) -> list[Path]:
    """``count`` photos spread evenly over the sorted images of ``folder`` (all if fewer).

    Why spread: the ratios depend on the photo (a smooth portrait keeps its content at weights
    that wash out a detailed street), so the probes should sample the folder's variety, not its
    first few names (often one source or one subject).
    """
    paths = find_images(folder)
    if count >= len(paths):
        return paths
    return [paths[int((i + 0.5) * len(paths) / count)] for i in range(count)]


def _sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def probe(
    painting: torch.Tensor,
    loss_cfg: DictConfig,
    photos: list[torch.Tensor],
    weights: list[float],
    style_size: int,
    steps: int,
    device: torch.device,
    progress: bool = False,
    images: list[list[torch.Tensor]] | None = None,
) -> list[dict[str, float]]:
    """Run the probes (see the module docstring): one row per weight, ratios averaged over photos.

    ``painting``: the style image at full size, ``photos``: (1, 3, H, W) at the probe size.
    ``images``: if a list, one list per weight of the results (CPU, one per photo) is appended.
    """
    loss = PerceptualLoss(**plain(loss_cfg) | {"style_weight": 1.0}).to(device)  # set per probe
    meter = PerceptualLoss(
        MEASURE_CONTENT, MEASURE_STYLE, style_weight=1.0, vgg=loss_cfg.vgg, pooling=loss_cfg.pooling
    ).to(device)
    meter.set_styles([resize(painting.to(device), style_size)])

    def measure(x: torch.Tensor, targets: dict[str, torch.Tensor]) -> tuple[float, float]:
        with torch.no_grad():
            terms = meter(x, content_targets=targets)
        return float(terms["content"]), float(terms["style"])

    refs = []  # per photo: (photo, meter's content targets, grey's content, photo's style)
    for c in photos:
        c = c.to(device)
        targets = meter.content_targets(c)
        grey = measure(torch.full_like(c, 0.5), targets)[0]
        refs.append((c, targets, max(grey, 1e-12), max(measure(c, targets)[1], 1e-12)))
    bar = tqdm(total=len(weights) * len(photos), desc="calibrating", disable=not progress)
    rows = []
    for w in weights:
        loss.style_weight = w
        r_c, r_s, outs = [], [], []
        for c, targets, grey, own in refs:
            x = from_photo(c, painting, loss, style_size, steps)
            content, style = measure(x, targets)
            r_c.append(content / grey)
            r_s.append(style / own)
            outs.append(x.cpu())
            bar.update()
        if images is not None:
            images.append(outs)
        rows.append(
            {"weight": w, "content_ratio": sum(r_c) / len(r_c), "style_ratio": sum(r_s) / len(r_s)}
        )
    bar.close()
    return rows


def probe_settings(
    image: Path, paths: list[Path], cal: DictConfig, weights: list[float], loss: dict[str, Any]
) -> dict[str, Any]:
    """What a probe table depends on besides the files' contents: its cache key (and its record)."""
    return {
        "style_image": image.name,
        "photos": [p.name for p in paths],
        "size": cal.size,
        "style_size": cal.style_size,
        "steps": cal.steps,
        "weights": weights,
        "loss": loss,
    }


def probe_cached(
    name: str,
    settings: dict[str, Any],
    files: list[Path],
    cache_dir: Any,
    run: Any,
) -> tuple[list[dict[str, float]], Path | None, bool]:
    """``run()``'s probe table, cached as ``<name>_<key>.json`` under ``cache_dir`` (key: the
    ``settings`` and the contents of ``files``). Returns ``(table, cache file, was cached)``."""
    key_src = {**settings, "files": [_sha1(p) for p in files]}
    key = hashlib.sha1(json.dumps(key_src, sort_keys=True).encode()).hexdigest()[:12]
    cache = _cache_file(cache_dir, f"{name}_{key}.json")
    if cache is not None and cache.is_file():
        try:
            return json.loads(cache.read_text())["table"], cache, True
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache entry is simply redone
    table = run()
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            write_text(
                cache, json.dumps({"key": key, "settings": settings, "table": table}, indent=1)
            )
        except (OSError, BrushworkError) as e:
            print(f"warning: calibration not cached ({e})")
    return table, cache, False


def target_content(
    cal: DictConfig, paths: list[Path], device: Any = "auto", progress: bool = False
) -> dict[str, Any]:
    """The criterion's content bound on the photos ``paths``: ``cal.max_content`` if a number;
    if ``auto``, the content ratio the anchor (``cal.anchor``: the painting and weight judged
    balanced, under its loss config) reaches on the SAME photos — which cancels how fragile a
    photo set's content is (portraits lose less content at one weight than city photos).
    ``{"max_content", "anchor"}``."""
    if str(cal.max_content) != "auto":
        try:
            bound = float(cal.max_content)
        except ValueError:
            bound = -1.0
        if not bound > 0:
            raise BrushworkError(
                f"calibrate.max_content must be auto or > 0, got {cal.max_content}"
            )
        return {"max_content": bound, "anchor": None}
    a = cal.anchor
    style = style_config(str(a.style))
    check_choice("calibrate.anchor.loss", str(a.loss), group_choices("loss"))
    loss_cfg = load_group("loss", str(a.loss))
    # null: the anchor painting's own training default (loss.style_weight × its style.weight),
    # so the anchor moves with the default instead of holding a copy of it.
    weight = style_weight(loss_cfg, style) if a.weight is None else a.weight
    if weight is None:
        raise BrushworkError("calibrate.anchor.loss must set a number for style_weight, not auto")
    image = resolve_style_image(str(style.image), style.get("url"))
    size, style_size, steps = cal.size, cal.style_size, cal.steps
    settings = probe_settings(image, paths, cal, [weight], plain(loss_cfg))

    def run() -> list[dict[str, float]]:
        photos = [load_image(p, size) for p in paths]
        painting = load_image(image)
        if progress:
            print(f"calibrating the anchor: {style.name} at {weight:g} on {len(paths)} photos")
        dev = pick_device(device)
        return probe(painting, loss_cfg, photos, [weight], style_size, steps, dev, progress)

    files = [image, *paths]
    (row,), _, _ = probe_cached(f"anchor_{style.name}", settings, files, cal.cache_dir, run)
    anchor = {"style": str(style.name), "weight": float(weight), "loss": str(a.loss)}
    return {"max_content": float(row["content_ratio"]), "anchor": anchor}
