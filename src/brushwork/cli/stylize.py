"""Apply a trained style network to image files, folders, globs or a video.

    brushwork stylize photo.jpg -o out.png --style candy      (the shipped model; --list-styles)
    brushwork stylize --model starry.pt photos/ more/*.jpg -o styled/ --max-size 2048
    brushwork stylize --model starry.pt --video clip.mp4 -o styled.mp4 [--stable]
    brushwork stylize --mix starry_night=0.7,great_wave=0.3 photo.jpg -o out.png
    brushwork stylize photo.jpg -o out.png --style candy --mask sky.png   (white paints)
    brushwork stylize photo.jpg -o out.png --region candy=sea.png --region udnie=land.png

One input file and an image extension writes that file, else the output folder mirrors the
inputs' names. Outputs are atomic and never replace existing ones without ``--force``.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

from brushwork.cli.main import parser
from brushwork.errors import BrushworkError
from brushwork.infer.choices import (
    BACKENDS,
    PRECISIONS,
    check_stable_options,
    check_strength,
    check_stroke_scale,
    parse_tile,
)
from brushwork.infer.lite import model_styles
from brushwork.infer.masks import area_from_options
from brushwork.infer.pipeline import stylize_files
from brushwork.io.files import collect_inputs, plan_outputs


def _parser(prog: str) -> argparse.ArgumentParser:
    p = parser(prog, __doc__)
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="image files, folders or globs")
    p.add_argument("-o", "--output", help="output file (one input) or folder")
    _style_options(p.add_argument_group("model and style"))
    _painting_options(p.add_argument_group("how it paints"))
    _runtime_options(p.add_argument_group("how it runs"))
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument("--json", action="store_true", help="print machine-readable results")
    return p


def _style_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--model",
        help="style model: brushwork .pt export or .onnx (default: the shipped model, 10 styles)",
    )
    g.add_argument("--style", help="which style of a multi-style model (see --list-styles)")
    g.add_argument(
        "--mix",
        metavar="A=W,B=W",
        help="a mix of a multi-style model's styles, e.g. starry_night=0.7,great_wave=0.3",
    )
    g.add_argument("--list-styles", action="store_true", help="list the model's styles, exit")
    g.add_argument(
        "--stroke",
        type=float,
        metavar="PX",
        help="stroke size of a model trained with strokes=[...] (between trained sizes: blended)",
    )


def _painting_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument("--video", metavar="IN", help="stylize this video (frames + audio) into -o")
    g.add_argument(
        "--stable",
        action="store_true",
        help="video without flicker: frames stylized as one clip (a .pt model)",
    )
    g.add_argument(
        "--smooth",
        type=float,
        default=0.0,
        metavar="W",
        help="with --stable: temporal filter weight in [0, 0.9] (calmer, less crisp strokes)",
    )
    g.add_argument(
        "--stroke-scale",
        default="1",
        metavar="S",
        help="paint strokes S times larger (S >= 1, or auto: as large relative to the image as "
        "in training); edges stay sharp",
    )
    g.add_argument(
        "--mask", metavar="M.png", help="paint where M is white, keep the photo where black"
    )
    g.add_argument("--mask-invert", action="store_true", help="paint where the mask is black")
    g.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="STYLE=M.png",
        help="a multi-style model: STYLE paints where M is white (repeat: one per region)",
    )
    g.add_argument("--max-size", type=int, help="shrink images so the long side is at most this")
    g.add_argument("--strength", type=float, default=1.0, help="0..1 blend with the photo")
    g.add_argument("--preserve-color", action="store_true", help="keep the photo's colours")


def _runtime_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    g.add_argument("--precision", default="fp32", choices=PRECISIONS)
    g.add_argument("--batch", type=int, default=1, help="images per forward pass (same size)")
    g.add_argument("--tile", default="auto", help="tile side in px, 0 = never, auto (default)")
    g.add_argument("--threads", type=int, help="CPU threads")
    g.add_argument(
        "--backend",
        default="auto",
        choices=BACKENDS,
        help="auto: onnxruntime on CPU in fp32 when installed, else torch",
    )
    g.add_argument("--compile", action="store_true", help="torch.compile (slow start)")


def _engine(args: argparse.Namespace, tile: int | None, torch_stylizer: Any) -> Any:
    """The engine brushwork.infer.pipeline.choose_engine picks for these options."""
    from brushwork.infer.pipeline import choose_engine

    choice = (args.style, args.mix, args.stroke)
    engine, note = choose_engine(args.model, torch_stylizer, **_settings(args, tile))
    styles = engine.styles
    if len(styles) > 1 and not (any(choice) or args.region):
        note = f"painting {styles[0]}, the first of the model's {len(styles)} styles (pick one "
        note += "with --style NAME; --list-styles)"
    if note:
        print(f"note: {note}", file=sys.stderr)
    return engine


def _area(args: argparse.Namespace, styles: list[str], inputs: list[Path]) -> Any:
    """``--mask`` / ``--region`` as an Area (or None), checked against every input's shape
    before anything is written."""
    if args.region and (args.style or args.mix):
        raise BrushworkError("--region picks the styles itself: drop --style / --mix")
    if not (args.mask or args.region or args.mask_invert):
        return None  # the whole picture, painted
    area, notes = area_from_options(args.mask, args.mask_invert, args.region, styles, inputs)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return area


def main(argv: list[str], prog: str = "brushwork stylize") -> int:
    args = _parser(prog).parse_args(argv)
    if args.model is None:
        from brushwork.infer.choices import shipped_model

        args.model = str(shipped_model())
    if args.list_styles:
        return _list_styles(args.model, args.json)
    tile = _checked(args)
    torch_stylizer = partial(_torch_stylizer, args, tile)
    if args.video:
        report, summary, device, backend = _video(args, torch_stylizer)
    else:
        report, summary, device, backend = _files(args, tile, torch_stylizer)
    if args.json:
        report.update(model=str(args.model), device=device, backend=backend)
        print(json.dumps(report, indent=2))
    else:
        print(summary)
    return 0


def _list_styles(model: str, as_json: bool) -> int:
    styles = model_styles(model)
    if as_json:
        print(json.dumps(styles, indent=2))
    for st in styles if not as_json else []:
        by = f" ({st.get('title')}, {st.get('artist')})" if st.get("title") else ""
        print(f"{st.get('name')}{by}")
    return 0


def _checked(args: argparse.Namespace) -> int | None:
    """Every option checked before a model loads (BrushworkError, one line); the tile size."""
    if not args.output:
        raise BrushworkError("-o/--output is required")
    check_strength(args.strength)
    args.stroke_scale = check_stroke_scale(args.stroke_scale)
    if args.batch < 1:
        raise BrushworkError(f"--batch must be >= 1, got {args.batch}")
    if args.max_size is not None and args.max_size < 1:
        raise BrushworkError(f"--max-size must be >= 1, got {args.max_size}")
    check_stable_options(bool(args.video), args.stable, args.smooth)
    return parse_tile(args.tile)


def _settings(args: argparse.Namespace, tile: int | None) -> dict[str, Any]:
    """The options both the engine choice and the torch Stylizer take, by the same names."""
    names = ("device", "precision", "compile", "threads", "backend", "style", "mix", "stroke")
    return {k: getattr(args, k) for k in names} | {"tile": tile, "stroke_scale": args.stroke_scale}


def _torch_stylizer(args: argparse.Namespace, tile: int | None, quiet: bool = False) -> Any:
    from brushwork.infer.stylizer import Stylizer  # imports torch: ~1.6 s

    stylizer = Stylizer(args.model, **_settings(args, tile))
    if stylizer.mix_note and not quiet:
        print(f"note: {stylizer.mix_note}", file=sys.stderr)
    return stylizer


def _video(args: argparse.Namespace, torch_stylizer: Any) -> tuple[dict, str, str, str]:
    """``--video``: (report, summary line, device, backend); the paths checked before the
    model loads."""
    from brushwork.infer.video import check_video_output, stylize_video

    if args.inputs:
        raise BrushworkError("--video takes no other INPUT")
    if not Path(args.video).expanduser().is_file():
        raise BrushworkError(f"video not found: {args.video}")
    check_video_output(Path(args.output).expanduser(), args.force)
    stylizer = torch_stylizer()
    report = stylize_video(
        stylizer,
        args.video,
        args.output,
        strength=args.strength,
        max_size=args.max_size,
        preserve_color=args.preserve_color,
        force=args.force,
        progress=not args.json,
        stable={"blend": args.smooth} if args.stable else None,
        area=_area(args, stylizer.styles, []),
    )
    summary = (
        f"stylized {report['frames']} frames ({report['width']}x{report['height']}) "
        f"in {report['seconds']:.1f} s -> {report['output']}"
    )
    return report, summary, stylizer.device.type, stylizer.backend


def _files(args: argparse.Namespace, tile: int | None, torch_stylizer: Any) -> tuple:
    """Images, folders, globs: (report, summary line, device, backend)."""
    found, single = collect_inputs(args.inputs)
    jobs = plan_outputs(found, single, args.output, args.force)
    engine = _engine(args, tile, torch_stylizer)
    area = _area(args, engine.styles, [src for src, _ in jobs])
    report = stylize_files(
        engine,
        jobs,
        batch=args.batch,
        max_size=args.max_size,
        strength=args.strength,
        preserve_color=args.preserve_color,
        progress=not args.json,
        single=single,
        area=area,
    )
    skipped = f", skipped {len(report['skipped'])}" if report["skipped"] else ""
    n = report["images"]
    summary = (
        f"stylized {n} image{'s' * (n != 1)} ({report['megapixels']:.2f} MP) in "
        f"{report['seconds']:.1f} s on {engine.device} ({engine.backend}){skipped}"
    )
    return report, summary, engine.device, engine.backend
