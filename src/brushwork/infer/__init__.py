"""Inference: the model file, ONNX/TorchScript exporters, the Stylizer, tiling and video.

Imports neither Lightning, Hydra, OmegaConf nor W&B (a test checks): stylizing needs only torch,
and the torch-free path (``brushwork.infer.lite``) not even that. Names load on first use:

    from brushwork.infer import Stylizer
    out = Stylizer("starry_night.pt")(load_image("photo.jpg"), strength=0.8)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Stylizer": "stylizer",
    "export_model": "model_file",
    "load_model": "model_file",
    "OnnxStylizer": "lite",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'brushwork.infer' has no attribute {name!r}")
    return getattr(importlib.import_module(f"brushwork.infer.{_EXPORTS[name]}"), name)
