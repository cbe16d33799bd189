"""Rendering evaluation reports (``brushwork.evaluate.compare``): Markdown and W&B tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from torch import Tensor

from brushwork.io.images import tensor_to_pil

TERMS = ("content", "style", "tv", "total")


def _bound(relation: str) -> str:
    """How a speed-up at equal loss reads when the equivalent iterations are only a bound."""
    return {"<": "< ", ">": "> "}.get(relation, "")


FEATURE_TERMS = ("content", "style")  # the terms computed on VGG layers, each its own


def _layers(loss: dict[str, Any], kind: str) -> str:
    return ", ".join(loss.get(f"{kind}_layers") or []) or "none"


def markdown(report: dict[str, Any]) -> str:
    """The human-readable report: setup, averaged table, per-photo table, contact sheet."""
    avg, steps = report["average"], report["gatys_steps"]
    loss = report["objective"]["loss"]
    style = report["style"]
    eq = avg["equivalent_iterations"]  # None without a Gatys run
    gatys_line = (
        f"- **equivalent Gatys iterations of the feed-forward net: {eq}** (mean loss placed on the"
        " mean per-iteration L-BFGS curve, log-linear; Johnson et al. 2016, Fig. 5)"
        if steps
        else "- Gatys: not run (`--gatys-steps 0`): the feed-forward net's terms only"
    )
    lines = [
        f"# Evaluation of {Path(report['model']).name}",
        "",
        f"- style: {style.get('title') or style.get('name')} ({Path(report['style_image']).name},"
        f" Gram targets at {report['objective']['style_size']} px)",
        "- objective: "
        + "; ".join(f"{t} [{_layers(loss, t)}] × {loss[t + '_weight']:g}" for t in FEATURE_TERMS)
        + f"; tv × {loss['tv_weight']:g}",
        f"- photos: {len(report['photos'])} from {report['content']}, longer side "
        f"{report['size']} px; device {report['device']}"
        + ("; Gatys: L-BFGS from the photo, one level" if steps else ""),
        gatys_line,
        "",
        "| method | content | style | tv | total | SSIM (Y) | s / image | feed-forward speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ff = avg["feed_forward"]
    cells = " | ".join(f"{ff[k]:.4g}" for k in TERMS)
    lines.append(f"| feed-forward | {cells} | {ff['ssim']:.3f} | {ff['seconds']:.3g} | 1× |")
    for n in steps:
        g = avg["gatys"][str(n)]
        cells = " | ".join(f"{g[k]:.4g}" for k in TERMS)
        speed = avg["speedup"][str(n)]
        lines.append(
            f"| Gatys-{n} | {cells} | {g['ssim']:.3f} | {g['seconds']:.3g} | {speed:.3g}× |"
        )
    if steps:
        rel = avg["equivalent"]["relation"]
        lines.append(
            f"| Gatys at equal loss ({eq} its) | | | | {ff['total']:.4g} | | "
            f"{_bound(rel)}{avg['gatys_seconds_at_equivalent']:.3g} | "
            f"{_bound(rel)}{avg['speedup_at_equal_loss']:.3g}× |"
        )
    lines += [
        "",
        "## Per photo (total loss; SSIM of the luminance against the photo)",
        "",
        "| photo | feed-forward | "
        + " | ".join(f"Gatys-{n}" for n in steps)
        + " | equivalent its | SSIM ff | "
        + " | ".join(f"SSIM G-{n}" for n in steps)
        + " |",
        "|---|" + "---:|" * (3 + 2 * len(steps)),
    ]
    for p in report["per_photo"]:
        totals = " | ".join(f"{p['gatys'][str(n)]['total']:.4g}" for n in steps)
        ssims = " | ".join(f"{p['gatys'][str(n)]['ssim']:.3f}" for n in steps)
        lines.append(
            f"| {p['photo']} | {p['feed_forward']['total']:.4g} | {totals} | "
            f"{p['equivalent_iterations'] or '-'} | {p['feed_forward']['ssim']:.3f} | {ssims} |"
        )
    columns = " | ".join(["photo", *(f"Gatys-{n}" for n in steps), "feed-forward"])
    lines += [
        "",
        "## Contact sheet",
        "",
        f"Rows: the photos above, in order. Columns: {columns}.",
        "",
        "![contact sheet](contact_sheet.png)",
        "",
    ]
    return "\n".join(lines)


def log_wandb(report: dict[str, Any], sheet: Tensor) -> bool:
    """Log the per-photo table and the contact sheet to the active W&B run, if any; say if so."""
    wandb = sys.modules.get("wandb")  # never imported here: no import, no active run
    if wandb is None or wandb.run is None:
        return False
    columns = ["photo", "method", *TERMS, "ssim", "seconds", "equivalent_iterations"]
    data = []
    for p in report["per_photo"]:
        methods = [("feed-forward", p["feed_forward"])]
        methods += [(f"gatys-{n}", g) for n, g in p["gatys"].items()]
        for name, t in methods:
            eq = p["equivalent_iterations"] if name == "feed-forward" else ""
            data.append([p["photo"], name, *(t[k] for k in TERMS), t["ssim"], t["seconds"], eq])
    steps = " | ".join(f"Gatys-{n}" for n in report["gatys_steps"])
    caption = f"rows: photos; columns: photo | {steps} | feed-forward"
    wandb.run.log(
        {
            "eval/table": wandb.Table(columns=columns, data=data),
            "eval/contact_sheet": wandb.Image(tensor_to_pil(sheet), caption=caption),
        }
    )
    if report["average"]["equivalent_iterations"]:  # None without a Gatys run
        wandb.run.summary["eval/equivalent_iterations"] = report["average"]["equivalent_iterations"]
    return True
