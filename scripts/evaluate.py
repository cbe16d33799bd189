"""Evaluate a trained style network against the Gatys optimizer under its own training objective.

python scripts/evaluate.py --model outputs/starry_night/<run>/starry_night.pt --content photos/ \
    [--gatys-steps 50,100,300] [--size 256] [--out report_dir] [--device auto] [--count N]

Writes report_dir/report.md, report.json and contact_sheet.png (see brushwork.evaluate).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from brushwork.errors import BrushworkError, exit_on_error


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, via exit_on_error
        raise BrushworkError(message)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = _Parser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="exported style network (<style>.pt)")
    p.add_argument("--content", required=True, help="folder of photos (or one photo)")
    p.add_argument("--gatys-steps", default="50,100,300", help="L-BFGS iteration counts")
    p.add_argument("--size", type=int, default=256, help="longer side of the photos, px")
    p.add_argument("--out", default=None, help="report folder (default: <model stem>_eval)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    p.add_argument("--count", type=int, default=None, help="use only the first N photos")
    p.add_argument("--loss", default=None, help="loss config, for exports without its layers")
    p.add_argument("--style", default=None, help="style name or image, overriding the export's")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p.parse_args(argv)


@exit_on_error
def main(argv: list[str]) -> None:
    args = parse_args(argv)
    from brushwork.evaluate import evaluate  # torch loads after the arguments are checked

    out = Path(args.out or f"{Path(args.model).stem}_eval")
    report = evaluate(
        args.model, args.content, gatys_steps=args.gatys_steps, size=args.size,
        device=args.device, out_dir=out, count=args.count, loss_name=args.loss,
        style=args.style, progress=not args.no_progress and sys.stderr.isatty(),
    )  # fmt: skip
    avg = report["average"]
    print(f"equivalent Gatys iterations: {avg['equivalent_iterations']}")
    print(f"wrote {out / 'report.md'}, {out / 'report.json'}, {out / 'contact_sheet.png'}")


if __name__ == "__main__":
    main(sys.argv[1:])
