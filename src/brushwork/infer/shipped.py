"""The network shipped in the package (``brushwork/models/``), used when no model is given.

``brushwork-10.pt`` (the model file; its meta records commit, command and config),
``brushwork-10.onnx`` and ``brushwork-10.regions.onnx`` (torch-free paths, the second with a mix per
pixel), ``brushwork-10.json`` (:data:`RECORD`: digests and the training command). Torch-free.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from brushwork.errors import BrushworkError

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
NAME = "brushwork-10"
MODEL = MODELS_DIR / f"{NAME}.pt"
ONNX = MODELS_DIR / f"{NAME}.onnx"
REGIONS_ONNX = MODELS_DIR / f"{NAME}.regions.onnx"  # its style input: a mix per pixel
RECORD = MODELS_DIR / f"{NAME}.json"


def shipped_model() -> Path:
    """The shipped model file; BrushworkError (one line) where this installation lacks it."""
    if not MODEL.is_file():
        raise BrushworkError(f"no shipped model in {MODELS_DIR}: give one with --model FILE")
    return MODEL


def onnx_copy(model: str | Path, regions: bool = False) -> Path | None:
    """The shipped ONNX graph (``regions``: the one taking a mix per pixel) when ``model`` is
    the shipped model file, else None."""
    path = Path(model).expanduser()
    graph = REGIONS_ONNX if regions else ONNX
    if graph.is_file() and path.is_file() and path.resolve() == MODEL.resolve():
        return graph
    return None


def record() -> dict[str, Any]:
    """The shipped model's record (``brushwork-10.json``)."""
    try:
        return json.loads(RECORD.read_text())
    except (OSError, ValueError) as e:
        raise BrushworkError(f"the shipped model's record {RECORD} is unreadable: {e}") from e
