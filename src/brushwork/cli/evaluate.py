"""Evaluate a trained style network against the Gatys optimizer under its own training objective.

    brushwork evaluate --model outputs/starry_night/<run>/starry_night.pt --content photos/ \
        [--gatys-steps 25,50] [--size 256] [--out report_dir] [--device auto] [--count N]

Writes report_dir/report.md, report.json and contact_sheet.png (see brushwork.evaluate.compare).
"""

from __future__ import annotations

import sys
from pathlib import Path

from brushwork.cli.args import parser
from brushwork.evaluate.protocol import GATYS_STEPS, SIZE


def main(argv: list[str], prog: str = "brushwork evaluate") -> int:
    p = parser(prog, __doc__)
    p.add_argument("--model", required=True, help="exported style network (<style>.pt)")
    p.add_argument("--content", required=True, help="folder of photos (or one photo)")
    p.add_argument(
        "--gatys-steps",
        default=",".join(map(str, GATYS_STEPS)),  # the training run's closing evaluation's too
        help="L-BFGS iteration counts (0: no Gatys run, the net's terms only)",
    )
    p.add_argument("--size", type=int, default=SIZE, help="longer side of the photos, px")
    p.add_argument("--out", default=None, help="report folder (default: <model stem>_eval)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    p.add_argument("--count", type=int, default=None, help="use only the first N photos")
    p.add_argument("--style", default=None, help="style name or image, overriding the export's")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    from brushwork.evaluate.compare import evaluate  # torch loads after the arguments are checked

    out = Path(args.out or f"{Path(args.model).stem}_eval")
    report = evaluate(
        args.model,
        args.content,
        gatys_steps=args.gatys_steps,
        size=args.size,
        device=args.device,
        out_dir=out,
        count=args.count,
        style=args.style,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    avg = report["average"]
    if avg["equivalent_iterations"]:
        print(f"equivalent Gatys iterations: {avg['equivalent_iterations']}")
    ff = avg["feed_forward"]  # the net's own terms, the figures a comparison without Gatys needs
    print(f"content {ff['content']:.4g}, style {ff['style']:.4g}, total {ff['total']:.4g}")
    print(f"wrote {out / 'report.md'}, {out / 'report.json'}, {out / 'contact_sheet.png'}")
    return 0
