"""Inference: the model file, ONNX/TorchScript exporters, the Stylizer, tiling and video.

Imports neither Lightning, Hydra, OmegaConf nor W&B (a test checks): stylizing needs only torch,
and the torch-free path (``brushwork.infer.lite``) not even that. Names load on first use:

    from brushwork.infer import Stylizer
    out = Stylizer("starry_night.pt")(load_image("photo.jpg"), strength=0.8)
"""

from __future__ import annotations

from brushwork.lazy import lazy_exports

_EXPORTS = {
    "Stylizer": "stylizer",
    "export_model": "model_file",
    "load_model": "model_file",
    "OnnxStylizer": "lite",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
