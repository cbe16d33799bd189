"""``brushwork calibrate style=NAME | all=true [validate=N sheet=F.png out=F.md]``: calibrate one
or every shipped style's weight and check the weights found (configs/calibrate.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from brushwork.calibrate.probes import probe_photos, target_content
from brushwork.calibrate.report import document, table_markdown
from brushwork.calibrate.validate import LABELS, validate, validation_photos
from brushwork.calibrate.weight import calibrate, hand_set_weight
from brushwork.config.groups import group_choices, style_config
from brushwork.errors import BrushworkError
from brushwork.io.files import check_writable, write_text
from brushwork.io.images import load_image, save_image
from brushwork.io.sheets import contact_sheet


def run(cfg: DictConfig) -> list[dict[str, Any]]:
    """Calibrate ``cfg.style`` (or every shipped style with ``all=true``), print the tables and,
    with ``out=FILE.md``, write them with the hand-set weights alongside. ``validate=N`` compares
    hand-set and calibrated weights on N further photos; ``sheet=FILE.png`` draws them."""
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
    if count and hand_set_weight(cfg, cfg.style) is None:
        raise BrushworkError("validate= compares with the hand-set weight, and it is auto")
    paths = validation_photos(cfg, count) if count else []  # fails before minutes of probes
    photos = [load_image(p, int(cal.size)) for p in paths]
    # The bounds on the probe photos and on the validation photos: once per run, not per style.
    probe_target = target_content(
        cal, probe_photos(str(cal.content_dir), int(cal.photos)), cfg.device
    )
    target = target_content(cal, paths, cfg.device)["max_content"] if count else None
    results, rows = [], []
    for style in styles:
        result = calibrate(
            style, cfg.loss, cal, cfg.device, bool(cfg.get("progress", True)), probe_target
        )
        result["hand_set"] = hand_set_weight(cfg, style)
        print(table_markdown(result, result["max_content"], max_s) + "\n")
        if count:
            weights = dict(zip(LABELS, (result["hand_set"], result["weight"]), strict=True))
            result["validation"], images = validate(
                style,
                cfg.loss,
                cal,
                weights,
                photos,
                target,
                cfg.device,
                bool(cfg.get("progress", True)),
            )
            result["validation_target"] = target
            print(
                " | ".join(
                    f"{k}: w {v['weight']:.3g}, content {v['content_ratio']:.3f}, "
                    f"style {v['style_ratio']:.4f}{' ✓' if v['meets'] else ''}"
                    for k, v in result["validation"].items()
                )
            )
            result["validation_photos"] = [p.name for p in paths]
            rows.append([photos[0], *(group[0] for group in images)])  # the first photo
        results.append(result)
    if sheet is not None:
        save_image(contact_sheet(rows, height=min(r[0].shape[-2] for r in rows)), sheet)
        print(
            f"wrote {sheet} (rows: {', '.join(str(s.name) for s in styles)}; "
            f"columns: photo | {' | '.join(LABELS)})"
        )
    if out is not None:
        write_text(out, document(results, cfg))
        print(f"wrote {out}")
    return results
