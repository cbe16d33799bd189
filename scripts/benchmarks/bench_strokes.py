"""``python scripts/benchmarks/benchmark.py strokes --model M.pt``: stroke scale at inference, measured.

* style: at ``--size`` px (long side) with ``--stroke-scale S``, the model's own style term with
  the painting scaled like the image (its training ratio style_size / train_size), against the
  plain net's at size/S with the painting at that ratio too: the strokes grew with the image;
* edges: correlation of |∇Y| of the output with the photo's, S against 1 (kept fraction);
* cost at 3840×2160: the net's time at S = 1 (tiled) and at 1/S, plus the guided upsampling;
* ``--sheet``: one photo at 512, 1024 and 2048 px, rows for stroke scale 1, 2, 4.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from timing import median_seconds


def _grad_corr(out: torch.Tensor, photo: torch.Tensor) -> float:
    from brushwork.nn.guided import luminance

    def mag(x: torch.Tensor) -> torch.Tensor:
        y = luminance(x)[0, 0]
        gy, gx = y[1:, :-1] - y[:-1, :-1], y[:-1, 1:] - y[:-1, :-1]
        return (gx.square() + gy.square()).sqrt().flatten()

    a, b = mag(out), mag(photo)
    return float(torch.corrcoef(torch.stack([a, b]))[0, 1])


def _style_term(model: Path, image: torch.Tensor, photo: torch.Tensor, painting_size: int) -> float:
    from brushwork.evaluate.objective import objective_of
    from brushwork.infer.model_file import load_model
    from brushwork.io.assets import resolve_style_image
    from brushwork.io.images import load_image
    from brushwork.nn.losses import PerceptualLoss

    _, info = load_model(model)
    objective = objective_of(info["meta"])
    loss = PerceptualLoss(**objective["loss"])
    painting = resolve_style_image(str(info["meta"]["style_image"]), info["style"].get("url"))
    loss.set_styles([load_image(painting, painting_size)])
    with torch.no_grad():
        return float(loss(image, content=photo)["style"])


def _quality(model: Path, photos: list[Path], size: int, scale: float) -> dict[str, float]:
    from brushwork.infer.model_file import load_model
    from brushwork.infer.stylizer import Stylizer
    from brushwork.io.images import load_image, resize

    _, info = load_model(model)
    ratio = info["meta"]["style_size"] / info["meta"]["train_size"]
    plain = Stylizer(model, "cpu", backend="torch", tile=0)
    scaled = Stylizer(model, "cpu", backend="torch", tile=0, stroke_scale=scale)
    rows = []
    for path in photos:
        photo = resize(load_image(path), size)  # upscaled where the file is smaller
        small = resize(photo, round(size / scale))
        own, big, one = plain(small), scaled(photo), plain(photo)
        rows.append(
            {
                "style own (size/S)": _style_term(model, own, small, round(size / scale * ratio)),
                "style S (size)": _style_term(model, big, photo, round(size * ratio)),
                "edges S=1": _grad_corr(one, photo),
                "edges S": _grad_corr(big, photo),
            }
        )
    mean = {k: statistics.mean(r[k] for r in rows) for k in rows[0]}
    mean["style S / own"] = mean["style S (size)"] / mean["style own (size/S)"]
    mean["edges kept"] = mean["edges S"] / mean["edges S=1"]
    return mean


def _cost(model: Path, scale: float, reps: int) -> dict[str, float]:
    from brushwork.infer.stylizer import Stylizer
    from brushwork.nn.guided import guided_upsample, luminance

    x = torch.rand(1, 3, 2160, 3840)
    small = F.interpolate(x, (round(2160 / scale), round(3840 / scale)), mode="area")
    net = Stylizer(model, "cpu", backend="torch")

    with torch.inference_mode():
        y_small = net(small)
        full = median_seconds(lambda: net(x), reps)
        low = median_seconds(lambda: net(small), reps)
        guide = median_seconds(
            lambda: guided_upsample(luminance(small), y_small, luminance(x)), reps
        )
    return {
        "net 4K s": full,
        "net 4K/S s": low,
        "guided upsampling s": guide,
        "(net 4K/S) / (net 4K)": low / full,
        "1/S²": 1 / scale**2,
    }


def _sheet(model: Path, photo: Path, out: Path) -> None:
    from brushwork.infer.stylizer import Stylizer
    from brushwork.io.images import load_image, resize, save_image
    from brushwork.io.sheets import contact_sheet

    image = load_image(photo)
    rows = []
    for scale in (1, 2, 4):
        stylizer = Stylizer(model, "cpu", stroke_scale=scale)
        # Each size shown at the same height, so the strokes' relative size is what differs.
        rows.append([stylizer(resize(image, px)) for px in (512, 1024, 2048)])
    save_image(contact_sheet(rows, 512), out)
    print(f"sheet: {out} (columns: 512, 1024, 2048 px; rows: stroke scale 1, 2, 4)")


def bench_strokes(args, machine: Callable[[], dict]) -> int:
    if not args.model:
        print("error: strokes needs --model (a trained .pt)")
        return 2
    from brushwork.io.files import find_images

    print(f"machine: {machine()}", flush=True)
    model, size, scale = Path(args.model), (args.sizes or [2048])[0], args.scale
    photos = find_images(Path(args.data) / "content")[: args.photos]
    quality = _quality(model, photos, size, scale)
    cost = _cost(model, scale, args.reps) if args.reps else {}
    print(f"\n{len(photos)} photos at {size} px, stroke scale {scale:g}\n| measure | value |")
    print("|---|---:|")
    for k, v in {**quality, **cost}.items():
        print(f"| {k} | {v:.4g} |")
    if args.sheet:
        _sheet(model, photos[0], Path(args.sheet))
    out = Path(args.json or "bench_strokes.json")
    report = {"machine": machine(), "model": str(model), "size": size, "scale": scale}
    out.write_text(json.dumps(report | {"quality": quality, "cost_4k": cost}, indent=2))
    print(f"\nwrote {out}")
    return 0
