"""``python scripts/benchmarks/benchmark.py arch``: the speed / quality trade-off behind the default model.

Trains every ``configs/model/`` candidate (``--models``) for the same short schedule with the real
trainer (``trainer=cpu`` with ``trainer.max_steps=--steps``, same seed, data, loss and learning
rate), then scores each export under its own training objective on the content photos
(``$BRUSHWORK_DATA/content``, longer side ``--size``): mean content and style terms, and their
ratio to the reference Johnson net (``model=johnson``). A candidate keeps the reference's quality
when both terms are within 5 % of it (or lower). Also: parameters, conv multiply-adds at 1024²
(forward hooks), and the **grid pattern**: the spread (max - min) of the mean output over the
16 pixel phases (y mod 4, x mod 4), largest colour, averaged over the photos (the photos
themselves: ~0.005). Pixel-shuffle outputs paint a pattern locked to that grid, which the losses
barely see and eyes do. Speed itself: ``python scripts/benchmarks/benchmark.py infer``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from measures import grid_pattern

from brushwork.config import compose
from brushwork.infer.model_file import load_model
from brushwork.io.files import find_images
from brushwork.io.images import load_image
from brushwork.nn.layers import count_parameters
from brushwork.nn.losses import PerceptualLoss
from brushwork.nn.nets import build_net

REFERENCE = "johnson"
TOLERANCE = 0.05  # "within 5 %": content and style terms at most 5 % above the reference's


def conv_gmacs(arch: dict, size: int = 1024) -> float:
    """Multiply-adds of every conv for one size x size image, in billions."""
    net, total = build_net(**arch).eval(), [0]

    def hook(m: torch.nn.Conv2d, _inp, out: torch.Tensor) -> None:
        k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels // m.groups
        total[0] += out.numel() * k

    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.register_forward_hook(hook)
    with torch.inference_mode():
        net(torch.zeros(1, 3, size, size))
    return total[0] / 1e9


def short_run(choices: list[str], args, run_dir: Path) -> tuple[Path, float]:
    """Train ``--steps`` steps of the CPU recipe with Hydra ``choices`` (style, model, seed...)
    into ``run_dir``, no logger, evaluation or grids; return the export and the seconds taken.
    ``choices`` come after this recipe's own overrides, so they may replace them (data.dir, a
    time limit instead of steps); ``--train-overrides`` come last."""
    from brushwork.train.pipeline import train

    overrides = [
        "trainer=cpu",
        f"trainer.max_steps={args.steps}",
        f"data.dir={Path(args.data) / 'train'}",
        "logger=none",
        "eval.enabled=false",
        f"run_dir={run_dir}",
        "grid_every_n_steps=0",
        f"trainer.val_check_interval={args.steps}",
        f"checkpoint_every_n_steps={args.steps}",
        *choices,
        *args.train_overrides,
    ]
    t0 = time.perf_counter()
    result = train(compose("train", overrides))
    return Path(result["export"]), time.perf_counter() - t0


def score(export: Path, photos: list[torch.Tensor], style_image: Path) -> dict[str, float]:
    net, info = load_model(export)
    loss_meta = info["meta"]["loss"]
    loss = PerceptualLoss(
        loss_meta["content_layers"],
        loss_meta["style_layers"],
        content_weight=loss_meta["content_weight"],
        style_weight=loss_meta["style_weight"],
        normalize=loss_meta["normalize"],
    )
    loss.set_styles([load_image(style_image, int(info["meta"]["style_size"]))])
    terms = {"content": 0.0, "style": 0.0, "grid": 0.0}
    with torch.inference_mode():
        for p in photos:
            y = net(p)
            t = loss(y, content=p) | {"grid": grid_pattern(y, 4)}
            terms = {k: v + float(t[k]) / len(photos) for k, v in terms.items()}
    return terms


def bench_arch(args, machine: Callable[[], dict]) -> int:
    data = Path(args.data)
    models = args.models or ["shuffle", REFERENCE]
    if REFERENCE not in models:
        models = [*models, REFERENCE]
    print(f"machine: {machine()}", flush=True)
    photos = [load_image(f, args.size) for f in find_images(data / "content")]
    style_image = data / "styles" / f"{args.style}.jpg"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        for model in models:
            runs = []
            for seed in args.seeds:
                # seed 0 keeps the folder name of runs made before --seeds existed (--reuse)
                run_dir = root / (model if seed == 0 else f"{model}-seed{seed}")
                done = run_dir / f"{args.style}.pt"
                if args.reuse and done.is_file():  # same command and code, trained before
                    print(f"model={model} seed={seed}: reusing {done}", flush=True)
                    export, seconds = done, None
                else:
                    print(f"training model={model} seed={seed}: {args.steps} steps", flush=True)
                    export, seconds = short_run(
                        [f"style={args.style}", f"model={model}", f"seed={seed}"], args, run_dir
                    )
                runs.append(
                    {"seed": seed, "train_s": seconds, **score(export, photos, style_image)}
                )
            net, _ = load_model(export)
            row = {
                "model": model,
                "arch": net.model_args,
                "params": count_parameters(net),
                "gmacs_1024": conv_gmacs(net.model_args),
                "runs": runs,
            }
            # The rule compares means over seeds: one init moves a 400-step style term ~3 %.
            row |= {k: statistics.mean(r[k] for r in runs) for k in ("content", "style", "grid")}
            rows.append(row)
            print(json.dumps(row), flush=True)
    ref = next(r for r in rows if r["model"] == REFERENCE)
    print(
        f"\n{args.style}, {args.steps} steps of trainer=cpu, seeds {args.seeds} (mean); losses "
        f"on {len(photos)} content photos at {args.size} px (training objective)\n"
    )
    print(
        "| model | params | conv GMAC @1024² | content | style | content / ref | style / ref "
        "| grid pattern | keeps quality (≤ +5 %) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        rc, rs = r["content"] / ref["content"], r["style"] / ref["style"]
        r |= {
            "content_ratio": rc,
            "style_ratio": rs,
            "keeps_quality": rc <= 1 + TOLERANCE and rs <= 1 + TOLERANCE,
        }
        print(
            f"| {r['model']} | {r['params'] / 1e6:.2f} M | {r['gmacs_1024']:.1f} "
            f"| {r['content']:.3f} | {r['style']:.3f} | {rc:.3f} | {rs:.3f} "
            f"| {r['grid']:.3f} | {'yes' if r['keeps_quality'] else 'no'} |"
        )
    out = Path(args.json or "bench_arch.json")
    out.write_text(
        json.dumps(
            {
                "machine": machine(),
                "steps": args.steps,
                "seeds": args.seeds,
                "style": args.style,
                "size": args.size,
                "rows": rows,
            },
            indent=2,
        )
    )
    print(f"wrote {out}")
    return 0
