"""Rendering calibrations (``brushwork.calibrate``) as Markdown: the probe tables, and
docs/CALIBRATION.md comparing calibrated and hand-set weights (with the ``validate=N`` check)."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from brushwork.calibrate.criterion import meets, ratio_at


def table_markdown(result: dict[str, Any], max_content: float, max_style: float) -> str:
    """One calibration as Markdown: the chosen weight, then weight → ratios, one row per probe."""
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
    cal, s, anchor = cfg.calibrate, results[0]["settings"], results[0]["anchor"]
    max_c, max_s = results[0]["max_content"], float(cal.max_style)
    why = (
        f" — what the anchor, {anchor['style']} at {anchor['weight']:g} under loss "
        f"`{anchor['loss']}`, reaches on the same photos"
        if anchor
        else ""
    )
    lines = [
        "# Style weights: calibrated vs hand-set",
        "",
        "Criterion (`brushwork.calibrate.weight`): the largest style weight whose Gatys probe keeps the "
        f"content ratio ≤ {max_c:.3g} (content term relative to a flat grey image's{why}), with "
        f"the style ratio there ≤ {max_s:g} (style term relative to the photo's own).",
        f"Probes: loss `{', '.join(s['loss']['content_layers'])}` / "
        f"`{', '.join(s['loss']['style_layers'])}`; photos {', '.join(s['photos'])} at "
        f"{s['size']} px; painting at {s['style_size']} px; {s['steps']} L-BFGS iterations; "
        f"{len(s['weights'])} weights {s['weights'][0]:.3g} … {s['weights'][-1]:.3g}.",
        "Ratios at the hand-set weight are interpolated from the probes. Reproduce with "
        "`brushwork calibrate all=true out=docs/CALIBRATION.md` (+ the calibrate.* above).",
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
        lines += [
            "",
            f"Contact sheet (`sheet={cfg.sheet}`): one row per style, photo | "
            + " | ".join(v0)
            + ".",
        ]
    return lines
