"""Reading, converting, resizing and writing images: one set of operations for both paths.

An image is float32 RGB (B, 3, H, W) in [0, 1]: a numpy array on the torch-free path, a tensor
on the torch path. Each operation is written once on arrays (Pillow, numpy); the tensor
functions convert and call them, except :func:`resize`, which runs on the tensor's device
(tests/test_array_ops.py pins it to :func:`resize_array`). File problems raise
:class:`BrushworkError` naming the file; torch is imported only where tensors are made or taken.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps

from brushwork.errors import BrushworkError, check_choice
from brushwork.io.files import save_pil

if TYPE_CHECKING:
    import torch

# Decoders for arbitrary user files fail in many ways (truncation, bad headers, bombs).
DECODE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    struct.error,
    MemoryError,
    Image.DecompressionBombError,
)

_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_SIDES = ("long", "short")

# NTSC YIQ as plain numbers: Y is luminance, I and Q the chroma (brushwork.nn.color uses it too).
RGB_TO_YIQ = (
    (0.299, 0.587, 0.114),
    (0.595716, -0.274453, -0.321263),
    (0.211456, -0.522591, 0.311135),
)


def _reason(e: BaseException) -> str:
    msg = " ".join(str(e).split())  # keep messages on one line
    return msg or type(e).__name__


def _read(path: Path) -> Image.Image:
    """Open, fully decode and EXIF-orient ``path``; the result no longer needs the file."""
    if not path.exists():
        raise BrushworkError(f"image not found: {path}")
    if path.is_dir():
        raise BrushworkError(f"{path} is a directory, expected an image file")
    with Image.open(path) as im:
        im.load()  # decode now, so truncated files fail here rather than later and obscurely
        out = ImageOps.exif_transpose(im)
    return out if out is not None else im


def _flatten(im: Image.Image) -> Image.Image:
    """Convert any PIL mode to "RGB", or to "F" (grayscale in [0, 1]) for >8-bit grayscale.

    Transparency is composited on white. 16/32-bit integer modes are scaled, not clipped, and
    kept as float so their extra precision survives until the tensor.
    """
    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        arr = np.asarray(im).astype(np.float32)
        if mode.startswith("I;16"):
            arr /= 65535.0
        else:
            # "I"/"F" carry no declared range: guess the smallest common one that fits.
            top = float(arr.max()) if arr.size else 0.0
            scale = next((s for s in (1.0, 255.0, 65535.0) if top <= s), top)
            arr = np.clip(arr / scale, 0.0, 1.0)
        return Image.fromarray(np.ascontiguousarray(arr, dtype=np.float32))
    if mode in _ALPHA_MODES or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im if mode == "RGB" else im.convert("RGB")  # L, 1, P, CMYK, YCbCr, ...


def decode_image(path: str | Path, flatten: bool = True) -> Image.Image:
    """``_read`` + ``_flatten`` (RGB or "F"; ``flatten=False``: the file's own mode, alpha
    kept) with every decoding failure reported against ``path``."""
    path = Path(path).expanduser()
    try:
        return _flatten(_read(path)) if flatten else _read(path)
    except DECODE_ERRORS as e:
        raise BrushworkError(f"cannot read image {path}: {_reason(e)}") from e


def image_size(path: str | Path) -> tuple[int, int] | None:
    """(width, height) of ``path`` as :func:`load_image` gives it (EXIF orientation applied),
    from the header alone; None when the file cannot be read."""
    try:
        with Image.open(path) as im:
            (w, h), orientation = im.size, im.getexif().get(0x0112, 1)
    except DECODE_ERRORS:
        return None
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)  # turned a quarter


def open_image(path: str | Path) -> Image.Image:
    """Read ``path`` as an 8-bit RGB PIL image, EXIF-oriented, transparency on white.

    Use :func:`load_image` instead when 16-bit precision matters.
    Raises BrushworkError (naming the file) if it is missing, a directory, or unreadable.
    """
    im = decode_image(path)
    if im.mode == "F":
        arr = np.rint(np.asarray(im) * 255.0).astype(np.uint8)
        im = Image.fromarray(arr).convert("RGB")
    return im


def pil_to_array(img: Image.Image) -> np.ndarray:
    """PIL image of any mode -> float32 array (1, 3, H, W) in [0, 1].

    Non-RGB modes follow :func:`open_image`'s rules (alpha on white, 16-bit scaled, not clipped).
    """
    try:
        im = _flatten(img)
    except ValueError as e:
        raise BrushworkError(f"cannot convert image of mode {img.mode} to RGB: {_reason(e)}") from e
    if im.mode == "F":
        gray = np.clip(np.asarray(im, dtype=np.float32), 0.0, 1.0)
        return np.ascontiguousarray(np.broadcast_to(gray, (1, 3, *gray.shape)))
    arr = np.asarray(im, dtype=np.uint8).transpose(2, 0, 1)[None]
    return arr.astype(np.float32) / np.float32(255.0)


def read_array(path: str | Path) -> np.ndarray:
    """Read ``path`` as a float32 array (1, 3, H, W) in [0, 1]; BrushworkError naming the file."""
    return pil_to_array(decode_image(path))


def to_uint8(img: np.ndarray) -> np.ndarray:
    """(1, 3, H, W) in [0, 1] -> (H, W, 3) uint8: clamped (NaN -> 0), rounded to the nearest
    8-bit level (what a page shows is then what a file holds)."""
    if img.ndim != 4 or img.shape[:2] != (1, 3):
        raise BrushworkError(f"expected an image of shape (1, 3, H, W), got {tuple(img.shape)}")
    chw = np.clip(np.nan_to_num(img[0].astype(np.float32), nan=0.0), 0.0, 1.0)
    arr = np.rint(chw * np.float32(255.0)).astype(np.uint8).transpose(1, 2, 0)
    return np.ascontiguousarray(arr)


def write_array(img: np.ndarray, path: str | Path, quality: int = 95) -> Path:
    """Write a (1, 3, H, W) array in [0, 1] to ``path`` (:func:`save_image`'s rules)."""
    if img.ndim == 4 and img.shape[0] != 1:
        return save_pil(Image.new("RGB", (1, 1)), path, quality, img.shape[0])  # raises
    return save_pil(Image.fromarray(to_uint8(img)), path, quality, 1)


def resize_array(img: np.ndarray, size: int) -> np.ndarray:
    """:func:`resize` (long side to ``size``, bicubic, antialiased, clamped) on a (1, 3, H, W)
    array: Pillow's bicubic filter, whose antialiasing torch's reproduces."""
    h, w = img.shape[-2:]
    scale = size / max(h, w)
    new_w = size if w >= h else max(1, round(w * scale))
    new_h = size if h > w else max(1, round(h * scale))
    channels = [
        np.asarray(Image.fromarray(c).resize((new_w, new_h), Image.Resampling.BICUBIC))
        for c in img[0]
    ]
    return np.clip(np.stack(channels)[None], 0.0, 1.0).astype(np.float32)


def stride_padding(length: int, multiple: int, smallest: int = 0) -> tuple[int, int]:
    """(before, after) px that pad one side of ``length`` px up to a multiple of ``multiple``
    and to at least ``smallest``, split evenly (the extra pixel after) so the picture stays
    centred in what a net sees. The one padding rule of every inference path (the eager net,
    stable video, ONNX Runtime, tiles); the ONNX graph writes it in traceable form."""
    padded = max(smallest, -(-length // multiple) * multiple)
    return (padded - length) // 2, padded - length - (padded - length) // 2


def pad_array(x: np.ndarray, before: int, after: int, axis: int) -> np.ndarray:
    """``brushwork.nn.layers.pad_axis`` on an array: reflect where the side allows it, else
    repeat the edge."""
    if before == 0 and after == 0:
        return x
    width = [(0, 0)] * x.ndim
    width[axis] = (before, after)
    mode = "reflect" if max(before, after) < x.shape[axis] else "edge"
    return np.pad(x, width, mode=mode)


def transfer_chroma_array(stylized: np.ndarray, content: np.ndarray) -> np.ndarray:
    """``brushwork.nn.color.transfer_chroma`` on arrays: the luminance (Y) of ``stylized``, the
    I and Q of ``content``."""
    to_yiq = np.asarray(RGB_TO_YIQ, dtype=np.float32)
    to_rgb = np.linalg.inv(to_yiq).astype(np.float32)
    y = np.einsum("j,bjhw->bhw", to_yiq[0], stylized)[:, None]
    iq = np.einsum("ij,bjhw->bihw", to_yiq[1:], content)
    return np.clip(np.einsum("ij,bjhw->bihw", to_rgb, np.concatenate([y, iq], 1)), 0, 1)


def pil_to_tensor(img: Image.Image) -> torch.Tensor:
    """:func:`pil_to_array` as a tensor (1, 3, H, W)."""
    import torch

    return torch.from_numpy(pil_to_array(img))


def tensor_to_pil(t: torch.Tensor) -> Image.Image:
    """Tensor (1, 3, H, W) or (3, H, W), nominally in [0, 1] -> 8-bit RGB PIL image
    (:func:`to_uint8`'s rounding)."""
    import torch

    chw = t[0] if t.ndim == 4 and t.shape[0] == 1 else t
    if chw.ndim != 3 or chw.shape[0] != 3:
        raise BrushworkError(f"expected an image of shape (1, 3, H, W), got {tuple(t.shape)}")
    return Image.fromarray(to_uint8(chw.detach().to("cpu", torch.float32)[None].numpy()))


def _check_resize(size: int, side: str) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise BrushworkError(f"image size must be a positive integer, got {size!r}")
    check_choice("side", side, _SIDES)


def resize(img: torch.Tensor, size: int, side: str = "long") -> torch.Tensor:
    """Scale (B, 3, H, W) so its ``side`` ("long" or "short") side is ``size`` px.

    Keeps the aspect ratio (each side at least 1 px), antialiases when shrinking, and clamps the
    result to [0, 1] (bicubic overshoots). Returns ``img`` itself if it is already that size.
    """
    import torch.nn.functional as F

    _check_resize(size, side)
    if img.ndim != 4:
        raise BrushworkError(f"resize: expected shape (B, 3, H, W), got {tuple(img.shape)}")
    h, w = img.shape[-2:]
    ref = max(h, w) if side == "long" else min(h, w)
    if ref == size:
        return img
    scale = size / ref
    new_h = size if ref == h else max(1, round(h * scale))
    new_w = size if ref == w else max(1, round(w * scale))
    out = F.interpolate(img, (new_h, new_w), mode="bicubic", antialias=True, align_corners=False)
    return out.clamp_(0.0, 1.0)


def load_image(
    path: str | Path,
    size: int | None = None,
    side: str = "long",
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Read ``path`` as a float32 tensor (1, 3, H, W) in [0, 1] on ``device``.

    If ``size`` is given the image is resized with :func:`resize` (``side`` as there).
    16-bit grayscale keeps its full precision. Raises BrushworkError naming the file.
    """
    if size is not None:
        _check_resize(size, side)  # fail before spending time decoding
    t = pil_to_tensor(decode_image(path))
    if device is not None:
        t = t.to(device)  # move first: resizing on the accelerator is the cheaper place
    return resize(t, size, side) if size is not None else t


def save_image(img: torch.Tensor, path: str | Path, quality: int = 95) -> Path:
    """Write a (1, 3, H, W) or (3, H, W) image in [0, 1] to ``path``; return the path.

    The format follows the extension (.png .jpg .jpeg .webp .bmp .tif .tiff); ``quality``
    (1-100) applies to JPEG and WebP. The file is written atomically: either the complete new
    image is at ``path`` or nothing changed there. Raises BrushworkError naming the file.
    """
    import torch

    arr = img.detach().to("cpu", torch.float32).numpy()
    return write_array(arr if arr.ndim == 4 else arr[None], path, quality)
