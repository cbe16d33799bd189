"""The reference protocol: a fixed objective and fixed photos that no recipe trains on.

A net graded by the loss it trained on, on the photos that chose its weights, is graded by its own
exam. Every quality claim uses instead:

* **held-out photos** (:func:`held_out_split`): a fixed set of the training folder, chosen by the
  file names alone, that training, validation, the early stop and the export never see;
* **the reference objective** (:class:`ReferenceObjective`): Gatys et al.'s layers whatever the
  run's config — content relu4_2; style relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 with Gram
  F Fᵀ / (C·H·W) and the painting resized so its shorter side equals the photo's. Each term is
  normalised so 0 is perfect: content by a grey picture's, style by the photo's own (both then 1).

Images: float RGB in [0, 1], (1, 3, H, W).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brushwork.io.files import find_images
from brushwork.io.images import resize
from brushwork.nn.terms import gram_matrix
from brushwork.nn.vgg import VGG19Features

HELD_OUT = 40  # photos in the reference split
MIN_FACTOR = 4  # a folder gives up photos to the split only when it holds this many times more
SIZES = (256, 512)  # longer side of the photos scored: the benchmark's size and what people see
CONTENT_LAYER = "relu4_2"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def _rank(path: Path) -> str:
    return hashlib.sha256(path.name.encode()).hexdigest()


def held_out_split(photos: Sequence[Path], count: int = HELD_OUT) -> list[Path]:
    """The ``count`` photos of ``photos`` whose file names hash lowest (SHA-256), in name order;
    none where fewer than ``MIN_FACTOR * count`` photos are given (a small folder of one's own
    trains on all of it).

    Decided by each name alone, so the same photo is held out wherever the folder lives and
    whatever else it holds. Training and validation leave these out.
    """
    if len(photos) < MIN_FACTOR * count:
        return []
    return sorted(sorted(photos, key=_rank)[:count], key=lambda p: p.name)


def held_out_photos(folder: str | Path) -> list[Path]:
    """:func:`held_out_split` of the photos under ``folder`` (names only; [] if it is missing)."""
    root = Path(folder).expanduser()
    return held_out_split(find_images(root)) if root.exists() else []


@dataclass(frozen=True)
class Terms:
    """Reference terms of one picture: 0 perfect; content 1 = a grey picture, style 1 = the photo."""

    content: float
    style: float

    def dominates(self, other: Terms) -> bool:
        """Lower on both terms."""
        return self.content < other.content and self.style < other.style


@dataclass(frozen=True)
class PhotoTargets:
    """What the reference objective keeps of one photo: its relu4_2 features and Grams, and the
    content distance of a grey picture (the content term's unit)."""

    content: Tensor
    grams: list[Tensor]
    content_scale: float
    size: tuple[int, int]


class ReferenceObjective(nn.Module):
    """Scores pictures of photos against paintings under the fixed reference objective.

    ``photo = objective.photo(c)`` and ``grams = objective.painting(p, min(c.shape[-2:]))`` once
    (a caller scoring many styles or nets reuses both); ``objective.score(photo, grams, y)`` →
    :class:`Terms` for any picture ``y`` of the photo.
    """

    def __init__(self, vgg: str = "caffe") -> None:
        super().__init__()
        self.vgg = VGG19Features((CONTENT_LAYER, *STYLE_LAYERS), vgg)

    @torch.no_grad()
    def _features(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        f = self.vgg(x.to(self.vgg.mean.device).float())
        return f[CONTENT_LAYER], [gram_matrix(f[name]) for name in STYLE_LAYERS]

    @staticmethod
    def _style_distance(grams: list[Tensor], target: list[Tensor]) -> float:
        return float(sum(((g - t) ** 2).sum() for g, t in zip(grams, target, strict=True)))

    @torch.no_grad()
    def photo(self, photo: Tensor) -> PhotoTargets:
        """Targets of ``photo`` (1, 3, H, W)."""
        content, grams = self._features(photo)
        grey, _ = self._features(torch.full_like(photo, 0.5))
        scale = float(F.mse_loss(grey, content))
        return PhotoTargets(content, grams, scale, tuple(photo.shape[-2:]))

    @torch.no_grad()
    def painting(self, painting: Tensor, shorter: int) -> list[Tensor]:
        """Gram targets of ``painting`` (1, 3, h, w, any size) with its shorter side resized to
        ``shorter`` px (the photo's shorter side)."""
        return self._features(resize(painting, shorter, side="short"))[1]

    @torch.no_grad()
    def score(self, photo: PhotoTargets, grams: list[Tensor], picture: Tensor) -> Terms:
        """Reference terms of ``picture`` of ``photo`` (resized bicubically to the photo's size if
        a tool returned another) against the painting's ``grams``."""
        if tuple(picture.shape[-2:]) != photo.size:
            picture = F.interpolate(picture.float(), photo.size, mode="bicubic").clamp(0, 1)
        content, own = self._features(picture)
        c = float(F.mse_loss(content, photo.content)) / max(photo.content_scale, 1e-12)
        style_scale = self._style_distance(photo.grams, grams)
        s = self._style_distance(own, grams) / max(style_scale, 1e-12)
        return Terms(c, s)
