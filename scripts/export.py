"""Convert a brushwork style model (.pt export) to ONNX or TorchScript.

python scripts/export.py --model starry_night.pt --format onnx            # -> starry_night.onnx
python scripts/export.py --model starry_night.pt --format torchscript -o starry.ts.pt

ONNX: opset 17, dynamic batch/height/width (H, W >= 8; 16 for model=shuffle); run it with onnxruntime or pass it to
scripts/stylize.py --model. TorchScript: torch.jit.load(path)(image). Both match the eager net
to 1e-4 in fp32.
"""

import argparse
import sys

from brushwork.errors import BrushworkError, exit_on_error
from brushwork.formats import FORMATS, convert


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise BrushworkError(f"{message} (see --help)")


@exit_on_error
def main(argv: list[str] | None = None) -> int:
    ap = _Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="brushwork .pt export")
    ap.add_argument("--format", required=True, choices=FORMATS)
    ap.add_argument("-o", "--output", help="output file (default: next to the model)")
    args = ap.parse_args(argv)
    print(f"wrote {convert(args.model, args.format, args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
