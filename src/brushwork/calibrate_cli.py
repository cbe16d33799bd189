"""``scripts/calibrate.py``: calibrate one or every shipped style, and check the weights found.

The check (``validate=N``) answers "is the calibrated weight at least as good as the hand-set
one?" on photos the probes did not see: the first N photos of ``validate_dir`` (the content
folder by default; the probes sample the training folder), any probe photo skipped. Both
weights run the same Gatys probe there (same iterations, sizes and meter, see
:mod:`brushwork.calibrate`), and each result is scored by the calibration criterion itself: it
*meets* it when the content ratio is ≤ ``max_content`` and the style ratio ≤ ``max_style``.
``sheet=FILE.png`` draws one row per style: photo | hand-set | calibrated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig

from brushwork.calibrate import calibrate, meets
from brushwork.errors import BrushworkError
from brushwork.probes import probe, probe_photos, target_content
from brushwork.report import document, table_markdown, write_text

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
    ``max_content`` on these photos (:func:`brushwork.probes.target_content`).

    Returns ``({label: {"weight", "content_ratio", "style_ratio", "meets"}}, images)`` with
    ``images`` one list per label of the (1, 3, H, W) results, photo by photo.
    """
    from brushwork.assets import resolve_style_image
    from brushwork.cli import pick_device
    from brushwork.images import load_image

    painting = load_image(resolve_style_image(str(style.image), style.get("url")))
    images: list[list[torch.Tensor]] = []
    rows = probe(painting, loss_cfg, photos, list(weights.values()), int(cal.style_size),
                 int(cal.steps), pick_device(device), progress, images)  # fmt: skip
    bounds = max_content, float(cal.max_style)
    found = {k: r | {"meets": meets(r, *bounds)} for k, r in zip(weights, rows, strict=True)}
    return found, images


def validation_photos(cfg: DictConfig, count: int) -> list[Path]:
    """The first ``count`` photos of ``cfg.validate_dir`` that the probes do not use
    (BrushworkError if there are none)."""
    from brushwork.images import find_images

    cal = cfg.calibrate
    probes = {p.resolve() for p in probe_photos(str(cal.content_dir), int(cal.photos))}
    paths = [p for p in find_images(str(cfg.validate_dir)) if p.resolve() not in probes][:count]
    if not paths:
        raise BrushworkError(
            f"validate={count}: {cfg.validate_dir} has no photos besides the "
            f"{len(probes)} the calibration probes use"
        )
    return paths


def run_calibrate(cfg: DictConfig) -> list[dict[str, Any]]:
    """Calibrate ``cfg.style`` (or every shipped style with ``all=true``), print the tables and,
    with ``out=FILE.md``, write them with the hand-set weights alongside. ``validate=N`` compares
    hand-set and calibrated weights on N further photos; ``sheet=FILE.png`` draws them."""
    from brushwork.cli import group_choices, style_config
    from brushwork.images import check_writable, load_image, save_image
    from brushwork.metrics import contact_sheet

    cal = cfg.calibrate
    max_s = float(cal.max_style)
    out = Path(str(cfg.out)).expanduser() if cfg.get("out") else None
    if out is not None and not out.parent.is_dir():
        raise BrushworkError(f"cannot write {out}: folder {out.parent} does not exist")
    count = int(cfg.get("validate") or 0)
    sheet = check_writable(str(cfg.sheet)) if cfg.get("sheet") else None
    if sheet is not None and count < 1:
        raise BrushworkError("sheet= draws the validation: add validate=N (N >= 1 photos)")
    styles = [style_config(n) for n in group_choices("style")] if cfg.get("all") else [cfg.style]
    hand = str(cfg.loss.style_weight)
    if count and hand == "auto":
        raise BrushworkError("validate= compares with the hand-set weight: set loss.style_weight")
    paths = validation_photos(cfg, count) if count else []  # fails before minutes of probes
    photos = [load_image(p, int(cal.size)) for p in paths]
    # The bounds on the probe photos and on the validation photos: once per run, not per style.
    probe_target = target_content(cal, probe_photos(str(cal.content_dir), int(cal.photos)),
                                  cfg.device)  # fmt: skip
    target = target_content(cal, paths, cfg.device)["max_content"] if count else None
    results, rows = [], []
    for style in styles:
        result = calibrate(style, cfg.loss, cal, cfg.device, bool(cfg.get("progress", True)),
                           probe_target)  # fmt: skip
        result["hand_set"] = None if hand == "auto" else float(hand) * float(style.weight)
        print(table_markdown(result, result["max_content"], max_s) + "\n")
        if count:
            weights = dict(zip(LABELS, (result["hand_set"], result["weight"]), strict=True))
            result["validation"], images = validate(style, cfg.loss, cal, weights, photos, target,
                                                    cfg.device, bool(cfg.get("progress", True)))  # fmt: skip
            result["validation_target"] = target
            print(" | ".join(f"{k}: w {v['weight']:.3g}, content {v['content_ratio']:.3f}, "
                             f"style {v['style_ratio']:.4f}{' ✓' if v['meets'] else ''}"
                             for k, v in result["validation"].items()))  # fmt: skip
            result["validation_photos"] = [p.name for p in paths]
            rows.append([photos[0], *(group[0] for group in images)])  # the first photo
        results.append(result)
    if sheet is not None:
        save_image(contact_sheet(rows, height=min(r[0].shape[-2] for r in rows)), sheet)
        print(f"wrote {sheet} (rows: {', '.join(str(s.name) for s in styles)}; "
              f"columns: photo | {' | '.join(LABELS)})")  # fmt: skip
    if out is not None:
        write_text(out, document(results, cfg))
        print(f"wrote {out}")
    return results
