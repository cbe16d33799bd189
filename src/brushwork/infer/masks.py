"""Masks: where a style paints. Torch-free (numpy + Pillow), shared by both inference paths.

A mask is any image of the photo's aspect ratio (another shape is refused: it would paint
elsewhere than drawn): its luminance (times its alpha) is how much style a pixel gets, scaled to
the photo bilinearly. Regions (``--region NAME=MASK``): each style paints where its mask is
white, overlaps mix in proportion, and below a sum of 1 the photo shows; :func:`region_maps`
gives the per-pixel mix (B, N, H, W) and coverage (B, 1, H, W).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from brushwork.errors import BrushworkError
from brushwork.io.images import decode_image, image_size

ASPECT_TOLERANCE = 0.02  # relative: a 1000x750 mask fits a 4032x3024 photo, not a square one


class Mask:
    """A mask image read once (``path``), scaled on demand to each photo with :meth:`at`."""

    def __init__(self, path: str | Path, invert: bool = False) -> None:
        self.path = Path(path).expanduser()
        im = decode_image(self.path, flatten=False)  # one line for a missing or broken file
        if im.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in im.info:
            rgba = np.asarray(im.convert("RGBA"), dtype=np.float32) / np.float32(255.0)
            lum = np.asarray(im.convert("RGB").convert("L"), np.float32) / np.float32(255.0)
            lum = lum * rgba[..., 3]  # transparent: no paint
        else:
            lum = np.asarray(im.convert("L"), dtype=np.float32) / np.float32(255.0)
        self.values = 1.0 - lum if invert else lum  # (h, w) in [0, 1]
        self.width, self.height = im.size

    @classmethod
    def of(cls, values: np.ndarray, name: str = "the mask") -> Mask:
        """A mask from (h, w) values in [0, 1] (the app's brush strokes)."""
        mask = cls.__new__(cls)
        mask.path, mask.values = Path(name), np.clip(values, 0, 1).astype(np.float32)
        mask.height, mask.width = mask.values.shape
        return mask

    @property
    def constant(self) -> float | None:
        """The one value of a mask that holds a single value (then it is a --strength), else None."""
        lo, hi = float(self.values.min()), float(self.values.max())
        return lo if hi - lo < 1 / 255 else None

    def check_fits(self, height: int, width: int, what: str = "the photo") -> None:
        """BrushworkError (one line) unless the mask has the aspect ratio of a ``height`` x
        ``width`` image."""
        mine, theirs = self.width / self.height, width / height
        if abs(mine / theirs - 1) > ASPECT_TOLERANCE:
            raise BrushworkError(
                f"mask {self.path.name} is {self.width}x{self.height} but {what} is "
                f"{width}x{height}: draw the mask on the photo (the same shape, any size)"
            )

    def at(self, height: int, width: int) -> np.ndarray:
        """The mask scaled to ``height`` x ``width``: float32 (1, 1, H, W) in [0, 1]."""
        self.check_fits(height, width)
        if (self.height, self.width) == (height, width):
            out = self.values
        else:
            im = Image.fromarray(self.values.astype(np.float32), mode="F")
            out = np.asarray(im.resize((width, height), Image.Resampling.BILINEAR))
        return np.clip(out, 0.0, 1.0).astype(np.float32)[None, None]


def parse_region(spec: str) -> tuple[str, Path]:
    """``NAME=MASK`` -> (style name, mask path); BrushworkError (one line) otherwise."""
    name, sep, path = spec.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise BrushworkError(f"--region takes STYLE=MASK.png, got {spec!r}")
    return name.strip(), Path(path.strip()).expanduser()


def region_maps(
    masks: list[np.ndarray], rows: list[int], n_styles: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel mix weights and coverage from one mask (1, 1, H, W) per region, region k
    painting style ``rows[k]`` of ``n_styles``: ``(mix (1, N, H, W), coverage (1, 1, H, W))``.

    Where masks overlap, their styles mix in proportion (weights sum to 1); the coverage, their
    sum clipped to 1, is how much of that mix a pixel shows over the photo. Uncovered pixels get
    an even mix of the regions' styles (the photo shows there; the net still runs on them)."""
    h, w = masks[0].shape[-2:]
    mix = np.zeros((1, n_styles, h, w), dtype=np.float32)
    for m, row in zip(masks, rows, strict=True):
        mix[:, row] += m[:, 0]
    total = mix.sum(axis=1, keepdims=True)
    even = np.zeros((1, n_styles, 1, 1), dtype=np.float32)
    even[:, sorted(set(rows))] = 1.0 / len(set(rows))
    mix = np.where(total > 1e-6, mix / np.maximum(total, 1e-6), even)
    return mix.astype(np.float32), np.clip(total, 0.0, 1.0).astype(np.float32)


def blend(photo: np.ndarray, painted: np.ndarray, alpha: np.ndarray | float) -> np.ndarray:
    """``photo`` where ``alpha`` is 0, ``painted`` where it is 1, linear in between (arrays of
    one shape, ``alpha`` (1, 1, H, W) or a number)."""
    return photo + (painted - photo) * alpha


class Area:
    """Where a run paints: one ``mask`` (the style chosen as usual, faded into the photo), or
    ``regions`` ((style row, Mask) pairs of a model holding ``n_styles``: a mix per pixel).
    :meth:`at` gives both for an image's size; masks are checked against it."""

    def __init__(
        self,
        mask: Mask | None = None,
        regions: Sequence[tuple[int, Mask]] = (),
        n_styles: int = 1,
    ) -> None:
        if (mask is None) == (not regions):
            raise ValueError("an Area holds one mask or some regions")
        self.mask, self.regions, self.n_styles = mask, list(regions), n_styles
        self._last: tuple[tuple[int, int], tuple[np.ndarray, np.ndarray | None]] | None = None

    def check_fits(self, height: int, width: int, what: str = "the photo") -> None:
        for m in [self.mask] if self.mask is not None else [m for _, m in self.regions]:
            m.check_fits(height, width, what)

    def at(self, height: int, width: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``(alpha (1, 1, H, W), mix (1, N, H, W) or None)``: how much of the painting each
        pixel shows over the photo, and with regions the mix of styles it paints."""
        if self._last is not None and self._last[0] == (height, width):  # frames, folders
            return self._last[1]
        if self.mask is not None:
            out: tuple[np.ndarray, np.ndarray | None] = (self.mask.at(height, width), None)
        else:
            maps = [m.at(height, width) for _, m in self.regions]
            mix, coverage = region_maps(maps, [row for row, _ in self.regions], self.n_styles)
            out = (coverage, mix)
        self._last = ((height, width), out)
        return out


def area_from_options(
    mask: str | None,
    invert: bool,
    regions: list[str],
    styles: list[str],
    inputs: Sequence[Path] = (),
) -> tuple[Area | None, list[str]]:
    """The Area of ``--mask`` (``--mask-invert``) or ``--region NAME=MASK`` options for a model
    holding ``styles``, and notes to print; ``(None, [])`` when neither is given. BrushworkError
    (one line) for an unreadable mask, one whose shape does not fit one of ``inputs`` (read
    from their headers), a region naming a style the model lacks, more regions than styles, or
    a model of one style given regions."""
    area, notes = _area(mask, invert, regions, styles)
    for src in inputs if area is not None else []:
        size = image_size(src)  # the header only; unreadable files are skipped later
        if size is not None:
            area.check_fits(size[1], size[0], str(src))
    return area, notes


def _area(
    mask: str | None, invert: bool, regions: list[str], styles: list[str]
) -> tuple[Area | None, list[str]]:
    if invert and mask is None:
        raise BrushworkError("--mask-invert applies to --mask")
    if mask is None and not regions:
        return None, []
    if mask is not None and regions:
        raise BrushworkError("give --mask or --region, not both")
    if mask is not None:
        m = Mask(mask, invert)
        notes = []
        if m.constant is not None:
            notes.append(
                f"mask {m.path.name} holds one value ({m.constant:.2f}) everywhere: it paints "
                f"like --strength {m.constant:.2f}"
            )
        return Area(mask=m), notes
    if len(styles) < 2:
        raise BrushworkError(
            f"--region needs a model of several styles; this one paints {styles[0]} only "
            "(use --mask)"
        )
    if len(regions) > len(styles):
        raise BrushworkError(f"{len(regions)} regions but the model holds {len(styles)} styles")
    pairs = []
    for spec in regions:
        name, path = parse_region(spec)
        if name not in styles:
            raise BrushworkError(
                f"unknown style {name!r} in --region; the model's: {', '.join(styles)}"
            )
        pairs.append((styles.index(name), Mask(path)))
    return Area(regions=pairs, n_styles=len(styles)), []
