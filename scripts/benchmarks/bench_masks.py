"""``python scripts/benchmarks/benchmark.py masks``: regional styles inside the net against
alpha-blending whole outputs, on the 8 content photos, with the shipped model.

Two regions meet at a vertical edge in the middle of each photo (style A left, B right), hard
(``--feather 0``) or soft (a linear ramp ``--feather`` px wide). ``in-net``: one pass with a mix
per pixel (brushwork.nn.conditional); ``alpha``: one pass per style, blended by the masks.

Seam statistics, in a band around the edge (the ramp plus 16 px each side) against strips of the
same width just outside it:

* detail: the band's mean high-frequency energy (|luminance − its 5-px box mean|) over the
  strips' (1: the same amount of brushwork across the edge; below 1: two textures averaged
  into a washed-out, ghosted band);
* colour abruptness: the steepest column-to-column change of the low-passed colour (15-px box)
  inside the band over the steepest in the strips (1: no more abrupt than the picture beside
  it; large: a step where the regions meet);
* far: mean |difference| to the one-style output at least ``--far`` px from the edge (what the
  other region changes where only one style should paint).

Cost: seconds per 1024² image, torch eager: plain, one mask (one pass + a blend), three regions
in the net (one pass), three regions alpha-blended (three passes); and the torch-free path (the
shipped ONNX graphs): plain, a mask, three regions through the regions graph.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import torch
import torch.nn.functional as F
from timing import median_seconds

from brushwork.infer import choices
from brushwork.infer.choices import shipped_model
from brushwork.infer.model_file import load_model
from brushwork.io.files import find_images
from brushwork.io.images import load_image


def _edge_masks(h: int, w: int, feather: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Left and right masks (1, 1, H, W) summing to 1, meeting at w/2 over ``feather`` px."""
    x = torch.arange(w, dtype=torch.float32) + 0.5
    left = ((w / 2 + feather / 2 - x) / max(feather, 1e-6)).clamp(0, 1) if feather else x < w / 2
    left = left.float().expand(h, w)[None, None]
    return left, 1 - left


def _box(img: torch.Tensor, k: int) -> torch.Tensor:
    return F.avg_pool2d(F.pad(img, [k // 2] * 4, mode="replicate"), k, stride=1)


def seam(out: torch.Tensor, feather: int, one: torch.Tensor, far: int) -> dict[str, float]:
    """The seam statistics of ``out`` (1, 3, H, W) around the middle edge (module doc);
    ``one``: (2, 3, H, W), the one-style outputs of the left and right styles."""
    w = out.shape[-1]
    lo, hi = int(w / 2 - feather / 2 - 16), int(w / 2 + feather / 2 + 16)
    width = hi - lo
    luma = out.mean(1, keepdim=True)
    detail = (luma - _box(luma, 5)).abs().mean(dim=(0, 1, 2))  # per column
    band = detail[lo:hi].mean()
    sides = torch.cat([detail[lo - width : lo], detail[hi : hi + width]]).mean()
    colour = _box(out, 15).mean(dim=2)[0]  # (3, W): the low-passed colour per column
    steps = (colour[:, 1:] - colour[:, :-1]).norm(dim=0)  # (W - 1,) column to column
    beside = (steps[lo - width : lo].max() + steps[hi : hi + width].max()) / 2
    left, right = slice(0, int(w / 2 - far)), slice(int(w / 2 + far), w)
    diff = torch.cat(
        [
            (out[..., left] - one[0:1, ..., left]).abs().flatten(),
            (out[..., right] - one[1:2, ..., right]).abs().flatten(),
        ]
    )
    return {
        "detail": float(band / sides),
        "abruptness": float(steps[lo:hi].max() / beside.clamp_min(1e-6)),
        "far": float(diff.mean()),
    }


def _lite_cost(thirds, mask, reps: int) -> dict[str, float]:
    """The torch-free path (the shipped graphs in onnxruntime) at 1024²: plain, a mask (one
    pass and a blend) and three regions (one pass of the regions graph)."""
    import numpy as np

    from brushwork.infer.lite import OnnxStylizer
    from brushwork.infer.masks import blend

    plain, regions = OnnxStylizer(choices.ONNX), OnnxStylizer(choices.REGIONS_ONNX)
    x = np.random.default_rng(0).random((1, 3, 1024, 1024), dtype=np.float32)
    return {
        "torch-free: plain": median_seconds(lambda: plain(x), reps),
        "torch-free: mask": median_seconds(lambda: blend(x, plain(x), mask), reps),
        "torch-free: 3 regions (regions graph)": median_seconds(
            lambda: regions.run(x, thirds), reps
        ),
    }


def sheet(out: Path, width: int = 768) -> None:
    """The README's picture, from a generated photo (nobody's picture): the photo, a soft round
    mask and the masked Candy; three soft-edged regions and their painting in one pass."""
    import numpy as np
    from PIL import Image

    from brushwork.infer.masks import Area, Mask
    from brushwork.infer.pipeline import TorchEngine
    from brushwork.infer.stylizer import Stylizer
    from brushwork.io.images import pil_to_tensor, save_image
    from brushwork.io.sheets import contact_sheet
    from brushwork.io.synthetic import photo

    h = width * 2 // 3
    x = pil_to_tensor(photo("brushwork", width, h))
    tmp = out.parent / ".masks"
    tmp.mkdir(exist_ok=True)
    yy, xx = np.mgrid[0:h, 0:width]
    r = np.hypot((xx - width * 0.62) / (width * 0.28), (yy - h * 0.45) / (h * 0.38))
    Image.fromarray((np.clip((1.15 - r) / 0.3, 0, 1) * 255).astype(np.uint8)).save(tmp / "o.png")
    ramps = [np.clip((width * (k + 1) / 3 + 40 - xx) / 80, 0, 1) for k in range(3)]
    bands = [ramps[0], ramps[1] - ramps[0], 1 - ramps[1]]
    for k, band in enumerate(bands):
        Image.fromarray((band * 255).astype(np.uint8)).save(tmp / f"r{k}.png")
    stylizer = Stylizer(shipped_model(), "cpu", backend="torch", style="candy")
    names = stylizer.styles
    engine = TorchEngine(stylizer)
    masked = engine.stylize([x], 1.0, False, Area(mask=Mask(tmp / "o.png")))[0]
    styles = ["candy", "the_scream", "great_wave"]
    regions = [(names.index(s), Mask(tmp / f"r{k}.png")) for k, s in enumerate(styles)]
    painted = engine.stylize([x], 1.0, False, Area(regions=regions, n_styles=len(names)))[0]
    mask_img = pil_to_tensor(Image.open(tmp / "o.png").convert("RGB"))
    colours = torch.tensor([[1.0, 0.3, 0.3], [0.3, 0.8, 0.3], [0.3, 0.4, 1.0]])
    bands_t = torch.from_numpy(np.stack(bands)).float()
    region_img = torch.einsum("khw,kc->chw", bands_t, colours)[None]
    rows = [[x, mask_img, masked], [x, region_img, painted]]
    save_image(contact_sheet(rows, height=h // 2), out)
    print(f"wrote {out} (photo | mask | --mask; photo | regions: {', '.join(styles)} | --region)")


def bench_masks(args, machine) -> int:
    if args.sheet:
        sheet(Path(args.sheet))
        return 0
    net, info = load_model(args.model or shipped_model())
    names = [s["name"] for s in info["styles"]]
    a, b = args.styles or ["candy", "the_scream"]
    ia, ib = names.index(a), names.index(b)
    n = net.n_styles
    photos = find_images(Path(args.data) / "content")
    rows = []
    print(f"machine: {machine()}", flush=True)
    for feather in (0, args.feather):
        per = {"in-net": [], "alpha": []}
        for p in photos:
            x = load_image(p, args.size)
            h, w = x.shape[-2:]
            ml, mr = _edge_masks(h, w, feather)
            with torch.no_grad():
                one = torch.cat([net(x, torch.tensor(ia)), net(x, torch.tensor(ib))])
                mix = torch.zeros(1, n, h, w)
                mix[:, ia], mix[:, ib] = ml[:, 0], mr[:, 0]
                outs = {"in-net": net(x, mix), "alpha": ml * one[0:1] + mr * one[1:2]}
            for k, out in outs.items():
                per[k].append(seam(out, feather, one, args.far))
        for k, stats in per.items():
            mean = {m: statistics.mean(s[m] for s in stats) for m in stats[0]}
            rows.append({"feather": feather, "method": k, **mean})
            print(json.dumps(rows[-1]), flush=True)
    # Cost at 1024², three regions (thirds) and one mask.
    x = torch.rand(1, 3, 1024, 1024)
    thirds = torch.zeros(1, n, 1024, 1024)
    for k, row in enumerate(range(3)):
        thirds[:, row, :, k * 341 : (k + 1) * 341 + (k == 2)] = 1
    mask = torch.rand(1, 1, 1024, 1024)
    with torch.no_grad():
        cost = {
            "plain": median_seconds(lambda: net(x, torch.tensor(0)), args.reps),
            "mask": median_seconds(lambda: x + (net(x, torch.tensor(0)) - x) * mask, args.reps),
            "3 regions in-net": median_seconds(lambda: net(x, thirds), args.reps),
            "3 regions alpha": median_seconds(
                lambda: sum(thirds[:, k : k + 1] * net(x, torch.tensor(k)) for k in range(3)),
                args.reps,
            ),
        }
    cost |= _lite_cost(thirds.numpy(), mask.numpy(), args.reps)
    print(f"\n{a} | {b}, 8 content photos at {args.size} px; edge hard and {args.feather} px\n")
    print("| edge | method | detail in the band (1 = as beside it) | colour abruptness | far |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        edge = "hard" if r["feather"] == 0 else f"{r['feather']} px ramp"
        print(
            f"| {edge} | {r['method']} | {r['detail']:.3f} | {r['abruptness']:.2f} "
            f"| {r['far']:.4f} |"
        )
    print("\n| 1024² | s | × plain (same path) |\n|---|---:|---:|")
    for k, v in cost.items():
        base = cost["torch-free: plain"] if k.startswith("torch-free") else cost["plain"]
        print(f"| {k} | {v:.3f} | {v / base:.2f} |")
    out = Path(args.json or "bench_masks.json")
    out.write_text(json.dumps({"machine": machine(), "seams": rows, "cost": cost}, indent=1))
    print(f"wrote {out}")
    return 0
