"""Convert a brushwork model file (.pt) to ONNX or TorchScript (both match the net to 1e-4 in fp32).

    brushwork export --model starry_night.pt --format onnx            # -> starry_night.onnx
    brushwork export --model starry_night.pt --format torchscript -o starry.ts.pt

ONNX: opset 17, dynamic batch/height/width; run it with onnxruntime or ``brushwork stylize --model``.
"""

from __future__ import annotations

from brushwork.cli.main import parser

FORMATS = ("onnx", "torchscript")  # brushwork.infer.exporters.FORMATS, without importing torch


def main(argv: list[str], prog: str = "brushwork export") -> int:
    ap = parser(prog, __doc__)
    ap.add_argument("--model", required=True, help="brushwork .pt export")
    ap.add_argument("--format", required=True, choices=FORMATS)
    ap.add_argument("-o", "--output", help="output file (default: next to the model)")
    args = ap.parse_args(argv)
    from brushwork.infer.exporters import convert

    print(f"wrote {convert(args.model, args.format, args.output)}")
    return 0
