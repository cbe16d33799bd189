"""What the browser uploads, checked before it is decoded: a photo file in the app's temporary
folder becomes a float32 (1, 3, H, W) array in [0, 1] (the package's image convention), or one
line saying why not. No torch."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from brushwork.errors import BrushworkError
from brushwork.io.files import why_not_written
from brushwork.io.images import read_array, resize_array, write_array

if TYPE_CHECKING:
    from brushwork.app.tempdir import TempFolder

# A 12-bit-per-side phone photo is ~50 MP; anything far beyond that is a decompression bomb (a
# few kB of PNG that inflate to gigabytes) or not a photo anyone stylizes in a browser.
MAX_PIXELS = 64_000_000
FORMATS = "PNG, JPEG, WebP, BMP, TIFF or GIF"


def upload_path(value: Any) -> tuple[Path, str] | None:
    """The file behind a Gradio upload (the raw payload dict an event with ``preprocess=False``
    gets, or a path) and the name the user gave it; None when nothing was uploaded."""
    if value is None:
        return None
    if isinstance(value, str | Path):
        return Path(value), Path(value).name
    if not value.get("path"):
        return None
    return Path(value["path"]), str(value.get("orig_name") or Path(value["path"]).name)


def check_upload(
    value: Any, what: str = "photo", max_pixels: int = MAX_PIXELS
) -> tuple[Path, str, int, int]:
    """The file of an upload (see :func:`upload_path`), the user's name for it, its width and
    height, read from the header only. Raises BrushworkError naming the file as the user called
    it (never the temporary path): no upload, not an image, or over ``max_pixels`` pixels."""
    found = upload_path(value)
    if found is None:
        raise BrushworkError(f"drop or paste a {what} first")
    path, name = found
    with contextlib.suppress(OSError):  # in use: the bounded folder keeps what is used
        os.utime(path)
    try:
        with Image.open(path) as im:  # reads the header only
            width, height = im.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        # Pillow refuses gigantic headers itself (DecompressionBombError): the same answer.
        raise BrushworkError(f"{name} is not an image ({FORMATS}) or is too large") from None
    if width * height > max_pixels:
        raise BrushworkError(
            f"{name} is {width}x{height} px, over the {max_pixels / 1e6:g} MP this app takes"
        )
    return path, name, width, height


def read_upload(value: Any, what: str = "photo", max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode an upload into (1, 3, H, W) float32 in [0, 1], after :func:`check_upload`; a
    damaged or truncated file raises BrushworkError too."""
    path, name, _, _ = check_upload(value, what, max_pixels)
    try:
        return read_array(path)
    except BrushworkError:
        raise BrushworkError(f"{name} is damaged or truncated: it could not be decoded") from None


def photo_array(value: Any, size: float | None = None) -> np.ndarray:
    """The upload, shrunk so its long side is at most ``size`` (never enlarged: a small photo
    keeps its size, and every event computes the same result from the same inputs)."""
    img = read_upload(value)
    if size and max(img.shape[-2:]) > int(size):
        img = resize_array(img, int(size))
    return img


@contextlib.contextmanager
def result_folder(value: Any, temp: TempFolder) -> Iterator[tuple[Path, str]]:
    """A fresh folder in the app's bounded ``temp`` folder for one result, and the upload's name
    stem (for names); removed again if writing the result fails (a full disk leaves no part of
    it). BrushworkError when the disk refuses even the folder."""
    stem = Path(upload_path(value)[1]).stem if upload_path(value) else "photo"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)[:80]
    try:
        folder = temp.result()
    except OSError as e:
        raise BrushworkError(f"cannot keep the result: {why_not_written(e, temp.root)}") from None
    try:
        yield folder, safe
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def shown_jpeg(img: np.ndarray, path: Path) -> str:
    """``img`` as the JPEG (quality 95, 4:4:4) the page shows, far faster than Gradio's own PNG
    encoding of an array; the download button gives the exact PNG."""
    return str(write_array(img, path.with_suffix(".jpg"), quality=95))
