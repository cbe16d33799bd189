"""``scripts/calibrate.py``: calibrate one or every shipped style, and check the weights found.

The check (``validate=N``) answers "is the calibrated weight at least as good as the hand-set
one?" on photos the probes did not see: the next N photos of ``calibrate.content_dir``. Both
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

from brushwork.calibrate import calibrate, meets, probe
from brushwork.errors import BrushworkError
from brushwork.report import document, table_markdown, write_text

LABELS = ("hand-set", "calibrated")


def validate(
    style: DictConfig,
    loss_cfg: DictConfig,
    cal: DictConfig,
    weights: dict[str, float],
    photos: list[torch.Tensor],
    device: str = "auto",
    progress: bool = False,
) -> tuple[dict[str, dict[str, float]], list[list[torch.Tensor]]]:
    """Probe ``weights`` (label → style weight) on ``photos`` ((1, 3, H, W), see
    :func:`validation_photos`), scored by the criterion of ``cal``.

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
    bounds = float(cal.max_content), float(cal.max_style)
    found = {k: r | {"meets": meets(r, *bounds)} for k, r in zip(weights, rows, strict=True)}
    return found, images


def validation_photos(cal: DictConfig, count: int) -> list[torch.Tensor]:
    """The ``count`` photos of ``cal.content_dir`` after the probes' ones, loaded at the probe
    size (BrushworkError if there are none)."""
    from brushwork.images import find_images, load_image

    paths = find_images(str(cal.content_dir))[int(cal.photos) : int(cal.photos) + count]
    if not paths:
        raise BrushworkError(
            f"validate={count}: {cal.content_dir} has no photos besides the "
            f"{cal.photos} calibration probes use"
        )
    return [load_image(p, int(cal.size)) for p in paths]


def run_calibrate(cfg: DictConfig) -> list[dict[str, Any]]:
    """Calibrate ``cfg.style`` (or every shipped style with ``all=true``), print the tables and,
    with ``out=FILE.md``, write them with the hand-set weights alongside. ``validate=N`` compares
    hand-set and calibrated weights on N further photos; ``sheet=FILE.png`` draws them."""
    from brushwork.cli import group_choices, style_config
    from brushwork.images import check_writable, save_image
    from brushwork.metrics import contact_sheet

    cal = cfg.calibrate
    max_c, max_s = float(cal.max_content), float(cal.max_style)
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
    photos = validation_photos(cal, count) if count else []  # fails before minutes of probes
    results, rows = [], []
    for style in styles:
        result = calibrate(style, cfg.loss, cal, cfg.device, bool(cfg.get("progress", True)))
        result["hand_set"] = None if hand == "auto" else float(hand) * float(style.weight)
        print(table_markdown(result, max_c, max_s) + "\n")
        if count:
            weights = dict(zip(LABELS, (result["hand_set"], result["weight"]), strict=True))
            result["validation"], images = validate(style, cfg.loss, cal, weights, photos,
                                                    cfg.device, bool(cfg.get("progress", True)))  # fmt: skip
            print(" | ".join(f"{k}: w {v['weight']:.3g}, content {v['content_ratio']:.3f}, "
                             f"style {v['style_ratio']:.4f}{' ✓' if v['meets'] else ''}"
                             for k, v in result["validation"].items()))  # fmt: skip
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
