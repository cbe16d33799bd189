"""The network that ships inside the package: the ten shipped paintings in one model file.

``brushwork stylize photo.jpg -o out.jpg --style candy`` with no ``--model`` runs it, and so does
``brushwork app`` without ``--models``. Package data, ``brushwork/models/``:

- ``brushwork-10.pt``: the model file (format of brushwork.infer.model_file; its ``meta``
  records the commit, command and resolved config that trained it);
- ``brushwork-10.onnx``: its ONNX graph, so the first run on CPU needs no torch, and
  ``brushwork-10.regions.onnx`` the graph that takes a style mix per pixel (``--region``);
- ``brushwork-10.json``: the record (:data:`RECORD`): both files' SHA-256, the training command
  and commit, for the model card (docs/MODELS.md) and the provenance test.

Torch-free: the CLI's fast path imports this.
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
