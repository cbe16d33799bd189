"""Neural-network pieces: VGG19 features, the perceptual loss, colour transforms, the nets.

Submodules load on first use (``brushwork.nn.PerceptualLoss`` imports ``brushwork.nn.losses``), so
inference code that needs only the nets never loads VGG or the losses.
"""

from __future__ import annotations

from brushwork.lazy import lazy_exports

_EXPORTS = {
    "PerceptualLoss": "losses",
    "gram_matrix": "losses",
    "VGG19Features": "vgg",
    "pick_device": "device",
    "NETS": "nets",
    "JohnsonNet": "nets",
    "ShuffleNet": "nets",
    "TransformerNet": "nets",
    "build_net": "nets",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
