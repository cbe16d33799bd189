"""What the net is trained on, photo by photo: where a crop comes from (torchvision's
RandomResizedCrop boxes for training, the centred square for validation; PIL crop boxes), the
photos decoded once (each shrunk to what the crop needs, kept as a raw array under the cache
folder, keyed by the file's content), and the moved copy of a batch the stability term compares.

Why decode once: on a small CPU the loader's workers decode a JPEG and resample it for every crop
on the same cores the training step needs; a cached photo is a memory-mapped ``.npy`` read and a
smaller resample.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from brushwork.io.assets import cache_dir
from brushwork.io.files import atomic_write
from brushwork.io.images import open_image

SCALE = (0.5, 1.0)  # crop area relative to the photo
RATIO = (3 / 4, 4 / 3)  # crop aspect ratio (w / h)
Box = tuple[float, float, float, float]  # PIL crop box: left, top, right, bottom


def random_box(width: int, height: int) -> Box:
    """A random crop box of area ``SCALE`` and aspect ``RATIO`` (torchvision's RandomResizedCrop).

    Draws from torch's global RNG, so DataLoader workers and ``seed_everything`` control it.
    """
    area = width * height
    log_ratio = (math.log(RATIO[0]), math.log(RATIO[1]))
    for _ in range(10):
        target = area * torch.empty(1).uniform_(*SCALE).item()
        aspect = math.exp(torch.empty(1).uniform_(*log_ratio).item())
        w = round(math.sqrt(target * aspect))
        h = round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            top = torch.randint(0, height - h + 1, (1,)).item()
            left = torch.randint(0, width - w + 1, (1,)).item()
            return (left, top, left + w, top + h)
    # Extreme aspect ratios: the largest centred crop whose ratio is within RATIO.
    w, h = width, height
    if width / height < RATIO[0]:
        h = round(width / RATIO[0])
    elif width / height > RATIO[1]:
        w = round(height * RATIO[1])
    left, top = (width - w) // 2, (height - h) // 2
    return (left, top, left + w, top + h)


def center_box(width: int, height: int) -> Box:
    """The centred square of side min(width, height): resize-shorter-side + center-crop."""
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    return (left, top, left + side, top + side)


def shifted_pair(x: Tensor, max_shift: int, noise: float, generator: torch.Generator | None = None):
    """A copy of ``x`` (B, 3, H, W) moved by a random whole-pixel shift of at most ``max_shift`` px
    per axis, plus Gaussian noise of std ``noise`` (clamped to [0, 1]); for the stability term.

    Returns ``(moved, (dy, dx))``: ``moved`` is ``x[..., dy:, dx:]`` (noised), so a stable net's
    output for it equals ``net(x)[..., dy:, dx:]``.
    """
    dy, dx = (int(v) for v in torch.randint(0, max_shift + 1, (2,), generator=generator))
    dy, dx = min(dy, x.shape[-2] - 1), min(dx, x.shape[-1] - 1)
    moved = x[..., dy:, dx:]
    if noise:
        eps = torch.randn(moved.shape, generator=generator).to(moved)
        moved = (moved + noise * eps).clamp(0, 1)
    return moved, (dy, dx)


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
