"""Inference: the model file, exporters, the Stylizer, tiling and video. Imports neither Lightning,
Hydra, OmegaConf nor W&B (tested); names load on first use (``from brushwork.infer import Stylizer``).
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
