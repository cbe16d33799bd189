"""Images as numpy arrays for the torch-free inference path: float32 (1, 3, H, W) in [0, 1], the
same values :func:`brushwork.io.images.load_image` gives and the same bytes ``save_image`` writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from brushwork.errors import BrushworkError
from brushwork.io.files import save_pil
from brushwork.io.images import decode_image


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
