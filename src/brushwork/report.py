"""Rendering reports: evaluations (``brushwork.evaluate``: Markdown, W&B) and style-weight
calibrations (``brushwork.calibrate``: Markdown); atomic text files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig
from torch import Tensor

from brushwork.atomic import atomic_write
from brushwork.images import tensor_to_pil

TERMS = ("content", "style", "tv", "total")


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (hidden temp file in the same folder + os.replace)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _bound(relation: str) -> str:
    """How a speed-up at equal loss reads when the equivalent iterations are only a bound."""
    return {"<": "< ", ">": "> "}.get(relation, "")


def _layers(loss: dict[str, Any], kind: str) -> str:
    return ", ".join(loss.get(f"{kind}_layers") or []) or "none"


def markdown(report: dict[str, Any]) -> str:
    """The human-readable report: setup, averaged table, per-photo table, contact sheet."""
    avg, steps = report["average"], report["gatys_steps"]
    loss = report["objective"]["loss"]
    style = report["style"]
    eq, rel = avg["equivalent_iterations"], avg["equivalent"]["relation"]
    lines = [
        f"# Evaluation of {Path(report['model']).name}",
        "",
        f"- style: {style.get('title') or style.get('name')} ({Path(report['style_image']).name},"
        f" Gram targets at {report['objective']['style_size']} px)",
        f"- objective: content [{_layers(loss, 'content')}] × {loss['content_weight']:g}; "
        f"style [{_layers(loss, 'style')}] × {loss['style_weight']:g}; tv × {loss['tv_weight']:g}",
        f"- photos: {len(report['photos'])} from {report['content']}, longer side "
        f"{report['size']} px; device {report['device']}; Gatys: L-BFGS from the photo, one level",
        f"- **equivalent Gatys iterations of the feed-forward net: {eq}** (mean loss placed on the"
        " mean per-iteration L-BFGS curve, log-linear; Johnson et al. 2016, Fig. 5)",
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
    lines += [
        f"| Gatys at equal loss ({eq} its) | | | | {ff['total']:.4g} | | "
        f"{_bound(rel)}{avg['gatys_seconds_at_equivalent']:.3g} | "
        f"{_bound(rel)}{avg['speedup_at_equal_loss']:.3g}× |",
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
            f"{p['equivalent_iterations']} | {p['feed_forward']['ssim']:.3f} | {ssims} |"
        )
    columns = " | ".join(["photo", *(f"Gatys-{n}" for n in steps), "feed-forward"])
    lines += ["", "## Contact sheet", "", f"Rows: the photos above, in order. Columns: {columns}.",
              "", "![contact sheet](contact_sheet.png)", ""]  # fmt: skip
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
    wandb.run.log({
        "eval/table": wandb.Table(columns=columns, data=data),
        "eval/contact_sheet": wandb.Image(tensor_to_pil(sheet), caption=caption),
    })  # fmt: skip
    wandb.run.summary["eval/equivalent_iterations"] = report["average"]["equivalent_iterations"]
    return True


def table_markdown(result: dict[str, Any], max_content: float, max_style: float) -> str:
    """One calibration as Markdown: the chosen weight, then weight → ratios, one row per probe."""
    from brushwork.calibrate import meets  # calibrate imports this module

    lines = [
        f"**{result['style']}: style weight {result['weight']:.3g}** ({result['status']}; "
        f"largest weight with content ratio ≤ {max_content:.3g}, style ratio there ≤ {max_style:g})",
        "",
        "| weight | content ratio | style ratio | style reduction |",
        "|---:|---:|---:|---:|",
    ]
    for r in result["table"]:
        mark = " ✓" if meets(r, max_content, max_style) else ""
        lines.append(
            f"| {r['weight']:.3g}{mark} | {r['content_ratio']:.3f} | {r['style_ratio']:.4f} | "
            f"{1 / max(r['style_ratio'], 1e-12):.3g}× |"
        )
    return "\n".join(lines)


def document(results: list[dict[str, Any]], cfg: DictConfig) -> str:
    """Markdown comparing calibrated and hand-set weights (docs/CALIBRATION.md)."""
    from brushwork.calibrate import ratio_at

    cal, s, anchor = cfg.calibrate, results[0]["settings"], results[0]["anchor"]
    max_c, max_s = results[0]["max_content"], float(cal.max_style)
    why = (f" — what the anchor, {anchor['style']} at {anchor['weight']:g} under loss "
           f"`{anchor['loss']}`, reaches on the same photos" if anchor else "")  # fmt: skip
    lines = [
        "# Style weights: calibrated vs hand-set",
        "",
        "Criterion (`brushwork.calibrate`): the largest style weight whose Gatys probe keeps the "
        f"content ratio ≤ {max_c:.3g} (content term relative to a flat grey image's{why}), with "
        f"the style ratio there ≤ {max_s:g} (style term relative to the photo's own).",
        f"Probes: loss `{', '.join(s['loss']['content_layers'])}` / "
        f"`{', '.join(s['loss']['style_layers'])}`; photos {', '.join(s['photos'])} at "
        f"{s['size']} px; painting at {s['style_size']} px; {s['steps']} L-BFGS iterations; "
        f"{len(s['weights'])} weights {s['weights'][0]:.3g} … {s['weights'][-1]:.3g}.",
        "Ratios at the hand-set weight are interpolated from the probes. Reproduce with "
        "`python scripts/calibrate.py all=true out=docs/CALIBRATION.md` (+ the calibrate.* above).",
        "",
        "| style | hand-set | calibrated | status | content ratio (hand / cal.) "
        "| style ratio (hand / cal.) |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for r in results:
        t, w, h = r["table"], r["weight"], r["hand_set"]
        hc = f"{ratio_at(t, h, 'content_ratio'):.3f}" if h else "–"
        hs = f"{ratio_at(t, h, 'style_ratio'):.4f}" if h else "–"
        lines.append(
            f"| {r['style']} | {h:.3g} | {w:.3g} | {r['status']} | {hc} / "
            f"{ratio_at(t, w, 'content_ratio'):.3f} | {hs} / {ratio_at(t, w, 'style_ratio'):.4f} |"
            if h
            else f"| {r['style']} | – | {w:.3g} | {r['status']} | – | – |"
        )
    lines += _validation(results, max_s, cfg)
    lines += ["", "## Probes", ""]
    for r in results:
        lines += [table_markdown(r, max_c, max_s), ""]
    return "\n".join(lines)


def _off_target(row: dict[str, Any], max_c: float) -> float:
    """How far a result's content ratio is from the criterion's target, as a factor >= 1."""
    c = max(float(row["content_ratio"]), 1e-12)
    return max(c / max_c, max_c / c)


def _validation(results: list[dict[str, Any]], max_s: float, cfg: Any) -> list[str]:
    """The ``validate=N`` section of :func:`document`: both weights on unseen photos."""
    done = [r for r in results if r.get("validation")]
    if not done:
        return []
    v0, max_c = done[0]["validation"], done[0]["validation_target"]
    n = {k: sum(r["validation"][k]["meets"] for r in done) for k in v0}
    off = {k: sorted(_off_target(r["validation"][k], max_c) for r in done) for k in v0}
    worst = {k: v[-1] for k, v in off.items()}
    mean = {k: sum(v) / len(v) for k, v in off.items()}
    hand, cal = list(v0)  # hand-set, calibrated (calibrate_cli.LABELS)
    closer = sum(
        _off_target(r["validation"][cal], max_c) <= _off_target(r["validation"][hand], max_c)
        for r in done
    )
    lines = [
        "",
        "## Validation: hand-set vs calibrated on unseen photos",
        "",
        f"The same probe (Gatys, {done[0]['settings']['steps']} L-BFGS iterations from the photo) "
        f"at each weight on photos the probes never saw: {', '.join(done[0]['validation_photos'])}"
        f" (`validate_dir`). *off* is how far the content ratio lands from the criterion's "
        f"target on these photos, {max_c:.3g} (a factor ≥ 1: 1.5 = 1.5× too much or too little "
        f"stylization); ✓ = content ratio ≤ {max_c:.3g} and style ratio ≤ {max_s:g}.",
        "",
        "Summary: off-target factor, mean / worst over the styles: "
        + ", ".join(f"{k} {mean[k]:.2f} / {worst[k]:.2f}" for k in v0)
        + "; criterion met: "
        + ", ".join(f"{k} {c}/{len(done)}" for k, c in n.items())
        + f"; {cal} at least as close to the target as {hand} in {closer}/{len(done)} styles.",
        "",
        "| style | " + " | ".join(f"{k}: weight | content | style | off" for k in v0) + " |",
        "|---|" + "---:|---:|---:|---:|" * len(v0),
    ]
    for r in done:
        cells = [
            f"{v['weight']:.3g} | {v['content_ratio']:.3f} | {v['style_ratio']:.4f}"
            + (" ✓" if v["meets"] else "")
            + f" | {_off_target(v, max_c):.2f}"
            for v in r["validation"].values()
        ]
        lines.append(f"| {r['style']} | " + " | ".join(cells) + " |")
    if cfg.get("sheet"):
        lines += ["", f"Contact sheet (`sheet={cfg.sheet}`): one row per style, photo | "
                  + " | ".join(v0) + "."]  # fmt: skip
    return lines
