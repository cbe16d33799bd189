"""``python scripts/benchmarks/benchmark.py grid``: grid patterns and border frames, every style, every layout.

Trains each ``--models`` variant (``shuffle``: today's default; ``johnson``: the reference; the
former pixel-shuffle from 1/8 to 1/4 is a row in docs/BENCHMARKS.md) on each ``--styles``
painting for ``--steps`` steps of the default CPU recipe (the real trainer; the painting's
configured weight; ``--keep``/``--reuse`` keep the runs), then stylizes the content photos
(``$BRUSHWORK_DATA/content``, longer side ``--size``) and measures (measures.py):

* the grid pattern at periods 4 and 8 (the spread of the phase means; photos: the floor);
* the border frame (outer 16 px against the 32 px inside them: level shift, detail ratio), with
  the net's inference margin (what users get) and without it (``margin=0``: the bare net);
* the content and style terms of its own training objective on the photos at 256 px (the
  scale ``benchmark.py arch`` scores at), so a layout that drops the pattern shows its cost.

``--model M.pt`` measures one trained model file instead (no training).

The rule the default must keep: on every style its grid pattern (both periods) is no worse than
Johnson's, i.e. at most Johnson's + the photos' own level.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

TERMS_SIZE = 256
VARIANTS = {
    "shuffle": ["model=shuffle"],
    "johnson": ["model=johnson"],
}


def measure(model: Path, photos: list[torch.Tensor]) -> dict[str, float]:
    """Mean artefact measures of ``model`` over ``photos`` (each (1, 3, H, W) in [0, 1])."""
    from measures import border_frame, grid_pattern

    from brushwork.infer.model_file import load_model

    net, _ = load_model(model)
    rows = []
    with torch.inference_mode():
        for p in photos:
            out, bare = net(p), net(p, margin=0)
            frame, bare_frame = border_frame(out), border_frame(bare)
            rows.append(
                {
                    "grid4": grid_pattern(out, 4),
                    "grid8": grid_pattern(out, 8),
                    "shift": frame["shift"],
                    "detail": frame["detail"],
                    "shift_bare": bare_frame["shift"],
                    "detail_bare": bare_frame["detail"],
                }
            )
    return {k: statistics.mean(r[k] for r in rows) for k in rows[0]}


def photo_floor(photos: list[torch.Tensor]) -> dict[str, float]:
    from measures import border_frame, grid_pattern

    rows = [
        {"grid4": grid_pattern(p, 4), "grid8": grid_pattern(p, 8), **border_frame(p)}
        for p in photos
    ]
    return {k: statistics.mean(r[k] for r in rows) for k in rows[0]}


def bench_grid(args, machine: Callable[[], dict]) -> int:
    from brushwork.config.groups import group_choices
    from brushwork.io.files import find_images
    from brushwork.io.images import load_image

    data = Path(args.data)
    variants = args.models or list(VARIANTS)
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        raise SystemExit(f"unknown variant(s) {', '.join(unknown)}; choose from {list(VARIANTS)}")
    from bench_arch import score, short_run

    styles = args.styles or group_choices("style")
    files = find_images(data / "content")
    photos = [load_image(f, args.size) for f in files]
    small = [load_image(f, TERMS_SIZE) for f in files]
    floor = photo_floor(photos)
    print(f"machine: {machine()}\nphotos: {json.dumps(floor)}", flush=True)
    root = Path(args.keep or "bench_grid_runs")
    rows = []
    if args.model:  # one trained model file, no training: e.g. at 1:1 on large photos
        from brushwork.infer.model_file import load_model

        info = load_model(args.model)[1]
        style = str(info["style"].get("name"))
        row = {"style": style, "variant": Path(args.model).name, **measure(args.model, photos)}
        terms = score(Path(args.model), small, data / "styles" / info["meta"]["style_image"])
        rows.append(row | {"content": terms["content"], "style_term": terms["style"]})
        styles = []
    for style in styles:  # style-major: a cut-short run still compares the layouts per style
        for variant in variants:
            run_dir = root / f"{variant}-{style}"
            export = run_dir / f"{style}.pt"
            t0 = time.perf_counter()
            if not (args.reuse and export.is_file()):
                print(f"training {variant} on {style}: {args.steps} steps", flush=True)
                export = short_run([f"style={style}", *VARIANTS[variant]], args, run_dir)[0]
            row = {"style": style, "variant": variant, **measure(export, photos)}
            terms = score(export, small, data / "styles" / f"{style}.jpg")
            row |= {"content": terms["content"], "style_term": terms["style"]}
            row["seconds"] = time.perf_counter() - t0
            rows.append(row)
            print(json.dumps(row), flush=True)
    _table(rows, floor, args)
    out = Path(args.json or "bench_grid.json")
    payload = {"machine": machine(), "steps": args.steps, "size": args.size, "photos": floor}
    out.write_text(json.dumps(payload | {"rows": rows}, indent=2))
    print(f"wrote {out}")
    return 0


def _table(rows: list[dict], floor: dict[str, float], args) -> None:
    print(
        f"\n{args.steps} steps of the CPU recipe per net; {len(rows)} nets; content photos at "
        f"{args.size} px. Photos: grid4 {floor['grid4']:.4f}, grid8 {floor['grid8']:.4f}, "
        f"border shift {floor['shift']:.3f}, detail {floor['detail']:.2f}\n"
    )
    print(
        "| style | net | grid 4 px | grid 8 px | border shift | border detail "
        "| shift, no margin | detail, no margin | content | style | no worse than johnson |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    by = {(r["style"], r["variant"]): r for r in rows}
    for r in rows:
        ref = by.get((r["style"], "johnson"))
        verdict = "-"
        if ref is not None and r["variant"] != "johnson":
            ok = all(r[g] <= ref[g] + floor[g] for g in ("grid4", "grid8"))
            r["no_worse_than_johnson"] = ok
            verdict = "yes" if ok else "**no**"
        print(
            f"| {r['style']} | {r['variant']} | {r['grid4']:.4f} | {r['grid8']:.4f} "
            f"| {r['shift']:.3f} | {r['detail']:.2f} | {r['shift_bare']:.3f} "
            f"| {r['detail_bare']:.2f} | {r['content']:.3f} | {r['style_term']:.3f} | {verdict} |"
        )
