"""Put a trained multi-style network into the package: brushwork/models/brushwork-10.{pt,onnx,json}
and brushwork-10.regions.onnx.

    python scripts/ship_model.py outputs/shipped/all10/10_styles.pt --wall "2 h 05 min" \
        --hardware "2 vCPU AMD EPYC (avx512_bf16), no GPU"

The model must hold every shipped painting and record a clean commit (train it from a committed
tree). Writes the model file as trained, its ONNX graph (the torch-free path runs it) and the
record: both files' SHA-256, the command, commit, steps, wall time and hardware. The model card
(docs/MODELS.md) quotes the record; tests/test_shipped.py checks the files against it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from brushwork.cli.main import exit_on_error
from brushwork.config.groups import group_choices
from brushwork.errors import BrushworkError
from brushwork.infer.choices import MODEL, ONNX, RECORD, REGIONS_ONNX
from brushwork.infer.exporters import convert, export_onnx
from brushwork.infer.model_file import load_model
from brushwork.io.fetch import file_digest


def _entry(path: Path) -> dict:
    return {"file": path.name, "sha256": file_digest(path, "sha256"), "bytes": path.stat().st_size}


def ship(export: Path, wall: str, hardware: str) -> dict:
    """Check ``export`` and write the package's model files; return the record."""
    _, info = load_model(export)
    names = [s["name"] for s in info["styles"]]
    if sorted(names) != group_choices("style"):
        raise BrushworkError(f"{export} holds {names}, not the shipped paintings")
    prov = info["meta"].get("provenance") or {}
    source = prov.get("source") or {}
    if not source.get("commit") or source.get("dirty"):
        raise BrushworkError(f"{export} was not trained from a clean commit: {source}")
    MODEL.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(export, MODEL)
    convert(MODEL, "onnx", ONNX)
    net, info = load_model(MODEL, "cpu")
    export_onnx(net, REGIONS_ONNX, info, regions=True)  # --region: a style mix per pixel
    record = {
        "model": _entry(MODEL),
        "onnx": _entry(ONNX),
        "regions_onnx": _entry(REGIONS_ONNX),
        "styles": names,
        "command": prov.get("command"),
        "commit": source["commit"],
        "steps": info["meta"].get("steps"),
        "wall_time": wall,
        "hardware": hardware,
    }
    RECORD.write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("export", type=Path, help="the trained multi-style model file (.pt)")
    p.add_argument("--wall", required=True, help="the training's wall time, as measured")
    p.add_argument("--hardware", required=True, help="what it trained on")
    args = p.parse_args(argv)
    record = ship(args.export, args.wall, args.hardware)
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(exit_on_error(main)(sys.argv[1:]))
