"""The calibration study (docs/CALIBRATION.md): is the calibrated style weight at least as good
as the hand-set one on photos the probes never saw?

    python scripts/benchmarks/benchmark.py calibration [--styles candy udnie] [--validate 8]
        [--sheet S.png] [--doc docs/CALIBRATION.md] [--train-overrides calibrate.steps=30 ...]

Every shipped style by default. Both weights run the same Gatys probe on the first N photos of
``$BRUSHWORK_DATA/content`` (probe photos skipped) and are scored by the calibration criterion;
``--sheet`` draws photo | hand-set | calibrated, one row per style; ``--doc`` writes the Markdown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig

from brushwork.calibrate.criterion import meets, ratio_at, table_markdown
from brushwork.calibrate.probes import probe, probe_photos, target_content
from brushwork.calibrate.weight import calibrate_styles
from brushwork.config.groups import group_choices
from brushwork.config.paintings import style_config, style_weight
from brushwork.config.registry import compose
from brushwork.errors import BrushworkError
from brushwork.io.assets import resolve_style_image
from brushwork.io.files import check_writable, find_images, write_text
from brushwork.io.images import load_image, save_image
from brushwork.io.sheets import contact_sheet
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


def validation_photos(cal: DictConfig, validate_dir: str | Path, count: int) -> list[Path]:
    """The first ``count`` photos of ``validate_dir`` that the probes do not use
    (BrushworkError if there are none)."""
    probes = {p.resolve() for p in probe_photos(str(cal.content_dir), int(cal.photos))}
    paths = [p for p in find_images(str(validate_dir)) if p.resolve() not in probes][:count]
    if not paths:
        raise BrushworkError(
            f"validate={count}: {validate_dir} has no photos besides the "
            f"{len(probes)} the calibration probes use"
        )
    return paths


def document(results: list[dict[str, Any]], cfg: DictConfig, sheet: str | None = None) -> str:
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
        "`python scripts/benchmarks/benchmark.py calibration --validate 8 --doc docs/CALIBRATION.md` "
        "(+ the calibrate.* above as --train-overrides).",
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
    lines += _validation(results, max_s, sheet)
    lines += ["", "## Probes", ""]
    for r in results:
        lines += [table_markdown(r, max_c, max_s), ""]
    return "\n".join(lines)


def _off_target(row: dict[str, Any], max_c: float) -> float:
    """How far a result's content ratio is from the criterion's target, as a factor >= 1."""
    c = max(float(row["content_ratio"]), 1e-12)
    return max(c / max_c, max_c / c)


def _validation(results: list[dict[str, Any]], max_s: float, sheet: str | None) -> list[str]:
    """The ``--validate N`` section of :func:`document`: both weights on unseen photos."""
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
        f" (the content folder). *off* is how far the content ratio lands from the criterion's "
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
    if sheet:
        lines += [
            "",
            f"Contact sheet (`--sheet {sheet}`): one row per style, photo | "
            + " | ".join(v0)
            + ".",
        ]
    return lines


def study(
    cfg: DictConfig,
    styles: list[str],
    count: int,
    validate_dir: str | Path,
    sheet: str | None = None,
    doc: str | None = None,
) -> list[dict[str, Any]]:
    """Calibrate each of ``styles`` (names or paintings) under ``cfg`` (the ``calibrate`` config)
    and compare hand-set and calibrated weights on ``count`` photos of ``validate_dir``."""
    cal = cfg.calibrate
    sheet_path = check_writable(sheet) if sheet else None
    if count < 1:
        raise BrushworkError("the study validates on N >= 1 photos (--validate N)")
    nodes = [style_config(s) for s in styles]
    if style_weight(cfg.loss, nodes[0]) is None:
        raise BrushworkError("the study compares with the hand-set weight, and it is auto")
    paths = validation_photos(cal, validate_dir, count)  # fails before minutes of probes
    photos = [load_image(p, int(cal.size)) for p in paths]
    # The bounds on the probe photos and on the validation photos: once per run, not per style.
    dev, progress = str(cfg.device), bool(cfg.progress)
    probe_target = target_content(cal, probe_photos(str(cal.content_dir), int(cal.photos)), dev)
    target = target_content(cal, paths, dev)["max_content"]
    rows = []
    results = calibrate_styles(cfg, nodes, probe_target)
    for style, result in zip(nodes, results, strict=True):
        weights = dict(zip(LABELS, (result["hand_set"], result["weight"]), strict=True))
        result["validation"], images = validate(
            style, cfg.loss, cal, weights, photos, target, dev, progress
        )
        result["validation_target"] = target
        result["validation_photos"] = [p.name for p in paths]
        print(
            f"{style.name}: "
            + " | ".join(
                f"{k}: w {v['weight']:.3g}, content {v['content_ratio']:.3f}, "
                f"style {v['style_ratio']:.4f}{' ✓' if v['meets'] else ''}"
                for k, v in result["validation"].items()
            )
        )
        rows.append([photos[0], *(group[0] for group in images)])  # the first photo
    if sheet_path is not None:
        save_image(contact_sheet(rows, height=min(r[0].shape[-2] for r in rows)), sheet_path)
        print(
            f"wrote {sheet_path} (rows: {', '.join(styles)}; columns: photo | {' | '.join(LABELS)})"
        )
    if doc:
        write_text(Path(doc), document(results, cfg, sheet))
        print(f"wrote {doc}")
    return results


def bench_calibration(args, machine) -> int:
    print(f"machine: {machine()}", flush=True)
    cfg = compose("calibrate", list(args.train_overrides))
    styles = args.styles or group_choices("style")
    results = study(cfg, styles, args.validate, Path(args.data) / "content", args.sheet, args.doc)
    out = Path(args.json or "bench_calibration.json")
    keep = ("style", "weight", "hand_set", "status", "validation", "validation_target")
    out.write_text(json.dumps([{k: r[k] for k in keep} for r in results], indent=2))
    print(f"wrote {out}")
    return 0
