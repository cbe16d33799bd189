"""Training photos decoded once: each photo, decoded and shrunk to what the random crop needs,
kept as a raw array under the cache folder, keyed by the file's content.

Why: on a small CPU the loader's workers decode a JPEG and resample it for every crop on the
same cores the training step needs. A cached photo is a memory-mapped ``.npy`` read and a
smaller resample.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from brushwork.io.assets import cache_dir
from brushwork.io.files import atomic_write
from brushwork.io.images import open_image

# Photos are kept with their shorter side at KEEP × the crop size: the smallest random crop
# (area 1/2, aspect 4/3: sides ≥ 0.61 × the short side) is still shrunk, never enlarged, on its
# way to the crop size, as it is from the full photo.
KEEP = 2


def photo_digest(path: Path) -> str:
    """The key of a photo: SHA-1 of its bytes (a renamed photo is found, an edited one is not)."""
    return hashlib.sha1(path.read_bytes()).hexdigest()[:24]


class DecodedPhotos:
    """``get(path)``: the photo as RGB PIL, from the cache when there (``folder``, default
    ``<cache>/photos/short<N>``), else decoded, shrunk to a short side of ``KEEP · crop`` px
    and stored. Safe across DataLoader workers (writes are atomic; a race writes twice)."""

    def __init__(self, crop: int, folder: str | Path | None = None) -> None:
        self.short = KEEP * crop
        self.folder = Path(folder) if folder else cache_dir() / "photos" / f"short{self.short}"
        self._digests: dict[Path, str] = {}

    def file(self, path: Path) -> Path:
        if path not in self._digests:
            self._digests[path] = photo_digest(path)
        return self.folder / f"{self._digests[path]}.npy"

    def get(self, path: Path) -> Image.Image:
        cached = self.file(path)
        if cached.is_file():
            try:
                return Image.fromarray(np.load(cached, mmap_mode="r"))
            except (OSError, ValueError):
                pass  # a damaged entry is rebuilt below
        im = open_image(path)
        scale = self.short / min(im.size)
        if scale < 1:
            size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
            im = im.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)
        self.folder.mkdir(parents=True, exist_ok=True)
        arr = np.asarray(im, dtype=np.uint8)

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.save(f, arr)

        atomic_write(cached, write, suffix=".npy")
        return im
