"""``python scripts/benchmarks/benchmark.py distill``: learning from Gatys targets vs the perceptual loss alone,
at equal total wall time, the making of the targets included (a user pays it for every style).

1. **Targets.** ``--target-photos`` K training photos (evenly spaced over the sorted list, linked
   into ``<keep>/photos``) are stylized by the Gatys optimizer (``brushwork targets``: bf16 where
   native, single level, ``--target-steps`` L-BFGS iterations, longer side ``--target-size``, the
   painting at ``--target-style-scale`` of it: the CPU recipe paints 128-px crops of ~0.7 of a
   photo's shorter side with the painting at 128 px, i.e. at ~0.6 of the photo's longer side).
   Their cost C is timed; their own loss (the objective they were optimized for) is compared with
   the perceptual arm's network on the same photos, at the same size.
2. **Arms.** ``perceptual`` trains the default CPU recipe on every training photo for the budget B
   (``--budget`` minutes of training; Lightning's ``max_time``); each ``pixel:W`` / ``feature:W``
   arm trains the same recipe plus ``distill.weight=W`` (``distill.loss`` pixel: MSE on RGB;
   feature: MSE on VGG relu2_2) on the K photos with targets, for B - C.
3. **Scores** on the content photos (longer side ``--size``) under the training objective:
   content, style, total, SSIM and equivalent Gatys iterations (brushwork.evaluate; the Gatys curve
   to max(``--gatys-steps``) is run once, with the first arm, and shared: the objective is the
   same for every arm).

``--keep DIR --reuse`` keeps the targets and the trained arms and scores what is there.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Callable
from pathlib import Path

import torch


def parse_arm(arm: str) -> tuple[str, float]:
    """``"perceptual"`` → ("perceptual", 0); ``"pixel:30"`` → ("pixel", 30.0)."""
    kind, _, weight = arm.partition(":")
    if kind == "perceptual" and not weight:
        return kind, 0.0
    if kind not in ("pixel", "feature") or not weight:
        raise SystemExit(f"arms are perceptual, pixel:W or feature:W; got {arm!r}")
    return kind, float(weight)


def link_photos(train: Path, dest: Path, count: int) -> list[Path]:
    """``count`` photos spread evenly over the sorted ``train`` list, symlinked into ``dest``."""
    from brushwork.io.files import find_images

    files = find_images(train)
    picked = [files[round(i * len(files) / count)] for i in range(min(count, len(files)))]
    dest.mkdir(parents=True, exist_ok=True)
    for p in picked:
        link = dest / p.relative_to(train).as_posix().replace("/", "__")
        if not link.exists():
            link.symlink_to(p.resolve())
    return sorted(dest.iterdir())


def make_targets(args, style: str, photos: Path, out: Path) -> float:
    """Gatys targets of every photo in ``photos`` into ``out``; returns the seconds taken."""
    from brushwork.config.registry import compose
    from brushwork.gatys.targets import make_targets as run

    # Targets must beat the network under its own loss: make_targets.yaml's default is train.py's,
    # and a loss= among --train-overrides goes to both.
    loss = [o for o in args.train_overrides if o.startswith("loss=")]
    overrides = [
        f"style={style}",
        *loss,
        f"data.dir={photos}",
        f"out={out}",
        f"gatys.size={args.target_size}",
        f"gatys.steps={args.target_steps}",
        "gatys.levels=1",
        f"gatys.style_scale={args.target_style_scale}",
        "gatys.progress=false",
    ]
    return float(run(compose("make_targets", overrides))["seconds"])


def train_arm(args, style: str, kind: str, weight: float, seconds: float, run_dir: Path) -> Path:
    """The CPU recipe (bench_arch.short_run) for ``seconds`` of training (Lightning's max_time,
    no validation) with distillation ``kind`` at ``weight``; returns the export."""
    from bench_arch import short_run

    root = run_dir.parent  # <keep>: photos/ and targets/
    choices = [
        f"style={style}",
        "trainer.max_steps=-1",
        f"+trainer.max_time={{seconds:{max(1, round(seconds))}}}",
        "trainer.limit_val_batches=0",
        "checkpoint_every_n_steps=100000",
        # a time limit has no step count for a decay to end at: the constant rate it was measured with
        "optim.schedule=none",
        "optim.warmup=0",
        "optim.lr=1e-3",
    ]
    if kind != "perceptual":  # the photos that have targets, and the targets
        choices += [f"data.dir={root / 'photos'}", f"data.targets={root / 'targets'}"]
        choices += [f"distill.weight={weight}", f"distill.loss={kind}"]
    return short_run(choices, args, run_dir)[0]


def target_check(args, style_image: Path, photos: list[Path], targets: Path, net_file: Path):
    """Mean total of the targets and of ``net_file``'s outputs under the targets' own objective
    (photos at ``--target-size``, the painting at ``--target-style-scale`` of it), first 8 photos."""
    from brushwork.evaluate.objective import objective_of
    from brushwork.gatys.targets import target_path
    from brushwork.infer.model_file import load_model
    from brushwork.io.images import load_image, resize
    from brushwork.nn.losses import PerceptualLoss

    net, info = load_model(net_file)
    loss = PerceptualLoss(**objective_of(info["meta"])["loss"])
    painting = load_image(style_image)
    loss.set_styles([resize(painting, round(args.target_style_scale * args.target_size))])
    rows = []
    with torch.inference_mode():
        for p in photos[:8]:
            c = load_image(p, args.target_size)
            t = load_image(target_path(p, p.parent, targets))  # made from c's very resize
            rows.append(
                {
                    "target": float(loss(t, content=c)["total"]),
                    "net": float(loss(net(c).clamp(0, 1), content=c)["total"]),
                }
            )
    return {k: statistics.fmean(r[k] for r in rows) for k in rows[0]}


def bench_distill(args, machine: Callable[[], dict]) -> int:
    from brushwork.evaluate.compare import evaluate
    from brushwork.evaluate.metrics import equivalent_iterations
    from brushwork.infer.model_file import load_model

    data = Path(args.data)
    os.environ["BRUSHWORK_DATA"] = str(data)  # the painting too
    style = args.style
    names = args.arms or ["perceptual", "pixel:30", "pixel:100", "feature:3e-5"]
    arms = {name: parse_arm(name) for name in names}  # fail before any work
    root = Path(args.keep or "bench_distill_runs")
    budget = 60.0 * args.budget
    print(f"machine: {machine()}", flush=True)

    photos = link_photos(data / "train", root / "photos", args.target_photos)
    targets = root / "targets"
    timing = root / "targets.json"
    if args.reuse and timing.is_file():
        cost = json.loads(timing.read_text())["seconds"]
    else:
        cost = make_targets(args, style, root / "photos", targets)
        timing.write_text(json.dumps({"seconds": cost, "photos": len(photos)}))
    print(f"targets: {len(photos)} photos in {cost:.0f} s ({cost / len(photos):.2f} s/photo)")
    if cost >= budget:
        raise SystemExit(
            f"making the targets ({cost:.0f} s) takes the whole budget ({budget:.0f} s)"
        )

    rows, exports, curve = [], {}, None
    for arm, (kind, weight) in arms.items():
        seconds = budget if kind == "perceptual" else budget - cost
        run_dir = root / arm.replace(":", "_")
        export = run_dir / f"{style}.pt"
        if not (args.reuse and export.is_file()):
            print(f"training {arm}: {seconds:.0f} s", flush=True)
            export = train_arm(args, style, kind, weight, seconds, run_dir)
        exports[arm] = export
        steps = load_model(export)[1]["meta"].get("steps")
        gatys = args.gatys_steps if curve is None else "0"  # the shared curve: the net alone
        report = evaluate(export, data / "content", gatys_steps=gatys, size=args.size).to_json()
        if curve is None:
            curve, gatys_terms = report["average"]["curve"], report["average"]["gatys"]
        ff = report["average"]["feed_forward"]
        eq = equivalent_iterations(ff["total"], curve)
        row = {"arm": arm, "train_seconds": seconds, "steps": steps, **ff}
        row |= {"equivalent_iterations": eq.iterations, "equivalent": str(eq)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    # The network the targets must beat: the perceptual arm's, else the first arm's.
    net = exports.get("perceptual", next(iter(exports.values())))
    check = target_check(args, data / "styles" / f"{style}.jpg", photos, targets, net)
    _table(rows, gatys_terms, cost, len(photos), check, args)
    out = Path(args.json or "bench_distill.json")
    payload = {"machine": machine(), "budget_s": budget, "targets_s": cost, "photos": len(photos)}
    payload |= {"target_check": check, "gatys": gatys_terms, "rows": rows, "args": vars(args)}
    out.write_text(json.dumps(payload, indent=2, default=str))
    print(f"wrote {out}")
    return 0


def _table(rows, gatys_terms, cost, n_photos, check, args) -> None:
    print(
        f"\nbudget {args.budget} min of training per arm; targets: {n_photos} photos, "
        f"{cost:.0f} s ({args.target_steps} L-BFGS its at {args.target_size} px); targets' own "
        f"loss {check['target']:.3f} vs the perceptual net's {check['net']:.3f}\n"
    )
    print("| arm | training s | steps | content | style | total | SSIM | equivalent Gatys its |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['arm']} | {r['train_seconds']:.0f} | {r['steps']} | {r['content']:.3f} "
            f"| {r['style']:.3f} | {r['total']:.3f} | {r['ssim']:.3f} | {r['equivalent']} |"
        )
    for n, g in gatys_terms.items():
        print(
            f"| Gatys-{n} | | | {g['content']:.3f} | {g['style']:.3f} | {g['total']:.3f} | {g['ssim']:.3f} | |"
        )
