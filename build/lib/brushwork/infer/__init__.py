"""Inference: the model file, ONNX/TorchScript exporters, the Stylizer, tiling and video.

Imports neither Lightning, Hydra, OmegaConf nor W&B (a test checks): stylizing needs only torch.

    from brushwork.infer import Stylizer
    out = Stylizer("starry_night.pt")(load_image("photo.jpg"), strength=0.8)
"""

from brushwork.infer.model_file import export_model, load_model
from brushwork.infer.stylizer import Stylizer

__all__ = ["Stylizer", "export_model", "load_model"]
