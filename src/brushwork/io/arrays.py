"""Images as numpy arrays for the torch-free inference path: float32 (B, 3, H, W) in [0, 1].

Reading and writing give the same values :func:`brushwork.io.images.load_image` gives and the same
bytes ``save_image`` writes; padding, chroma transfer and resizing are the numpy twins of
``brushwork.nn.layers.pad_axis``, ``brushwork.nn.color.transfer_chroma`` and
``brushwork.io.images.resize`` (tests/test_array_ops.py pins every pair equal, so both inference
paths paint the same pixels). :data:`RGB_TO_YIQ` is the one colour matrix of both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from brushwork.errors import BrushworkError
from brushwork.io.files import save_pil
from brushwork.io.images import decode_image

# NTSC YIQ as plain numbers: Y is luminance, I and Q the chroma (brushwork.nn.color uses it too).
RGB_TO_YIQ = (
    (0.299, 0.587, 0.114),
    (0.595716, -0.274453, -0.321263),
    (0.211456, -0.522591, 0.311135),
)


def read_array(path: str | Path) -> np.ndarray:
    """:func:`load_image` without torch: float32 array (1, 3, H, W) in [0, 1], the same values."""
    im = decode_image(path)
    if im.mode == "F":
        gray = np.clip(np.asarray(im, dtype=np.float32), 0.0, 1.0)
        return np.ascontiguousarray(np.broadcast_to(gray, (1, 3, *gray.shape)))
    arr = np.asarray(im, dtype=np.uint8).transpose(2, 0, 1)[None]  # (1, 3, H, W)
    return arr.astype(np.float32) / np.float32(255.0)


def write_array(img: np.ndarray, path: str | Path, quality: int = 95) -> Path:
    """:func:`save_image` without torch, for a (1, 3, H, W) array: the same rounding, the same
    bytes."""
    return save_pil(Image.fromarray(to_uint8(img)), path, quality, img.shape[0])


def to_uint8(img: np.ndarray) -> np.ndarray:
    """(1, 3, H, W) in [0, 1] -> (H, W, 3) uint8, rounded as :func:`save_image` rounds (what a
    page shows is then what a file holds)."""
    if img.ndim != 4 or img.shape[1] != 3:
        raise BrushworkError(f"expected an image of shape (1, 3, H, W), got {tuple(img.shape)}")
    chw = np.clip(np.nan_to_num(img[0].astype(np.float32), nan=0.0), 0.0, 1.0)
    arr = np.rint(chw * np.float32(255.0)).astype(np.uint8).transpose(1, 2, 0)
    return np.ascontiguousarray(arr)


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
