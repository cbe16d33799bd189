"""numpy twins of the torch image operations the torch-free path needs, one each: padding
(brushwork.nn.layers.pad_axis), chroma transfer (brushwork.nn.color.transfer_chroma) and resizing
(brushwork.io.images.resize). tests/test_array_ops.py pins every pair equal, so both inference
paths paint the same pixels. Arrays are float32 (B, 3, H, W) in [0, 1]."""

from __future__ import annotations

import numpy as np
from PIL import Image

from brushwork.nn.yiq import RGB_TO_YIQ


def pad_array(x: np.ndarray, before: int, after: int, axis: int) -> np.ndarray:
    """pad_axis on an array: reflect where the side allows it, else repeat the edge."""
    if before == 0 and after == 0:
        return x
    width = [(0, 0)] * x.ndim
    width[axis] = (before, after)
    mode = "reflect" if max(before, after) < x.shape[axis] else "edge"
    return np.pad(x, width, mode=mode)


def transfer_chroma_array(stylized: np.ndarray, content: np.ndarray) -> np.ndarray:
    """transfer_chroma on arrays: the luminance (Y) of ``stylized``, the I and Q of ``content``."""
    to_yiq = np.asarray(RGB_TO_YIQ, dtype=np.float32)
    to_rgb = np.linalg.inv(to_yiq).astype(np.float32)
    y = np.einsum("j,bjhw->bhw", to_yiq[0], stylized)[:, None]
    iq = np.einsum("ij,bjhw->bihw", to_yiq[1:], content)
    return np.clip(np.einsum("ij,bjhw->bihw", to_rgb, np.concatenate([y, iq], 1)), 0, 1)


def resize_array(img: np.ndarray, size: int) -> np.ndarray:
    """resize (long side to ``size``, bicubic, antialiased, clamped) on a (1, 3, H, W) array:
    Pillow's bicubic filter, whose antialiasing torch's reproduces."""
    h, w = img.shape[-2:]
    scale = size / max(h, w)
    new_w = size if w >= h else max(1, round(w * scale))
    new_h = size if h > w else max(1, round(h * scale))
    channels = [
        np.asarray(Image.fromarray(c).resize((new_w, new_h), Image.Resampling.BICUBIC))
        for c in img[0]
    ]
    return np.clip(np.stack(channels)[None], 0.0, 1.0).astype(np.float32)
