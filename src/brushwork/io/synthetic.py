"""Procedural pictures from a seeded RNG: photo-like scenes (sky, buildings, trees, road, noise) and
painting-like stroke fields, with structure at several scales but nobody's photograph, for the
README's first screen and the tests' data directory.
"""

from __future__ import annotations

import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def photo(name: str, width: int, height: int) -> Image.Image:
    """A photo-like scene: gradients, hard edges, round shapes, texture and noise."""
    rng = _rng(name)
    y = np.linspace(0, 1, height)[:, None, None]
    sky_top, sky_low = rng.uniform(0.3, 1.0, 3), rng.uniform(0.5, 1.0, 3)
    ground = rng.uniform(0.1, 0.6, 3)
    horizon = rng.uniform(0.45, 0.7)
    sky = sky_top + (sky_low - sky_top) * (y / horizon)
    arr = np.where(y < horizon, sky, ground * (0.7 + 0.3 * y)) * np.ones((1, width, 1))
    im = Image.fromarray((arr.clip(0, 1) * 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    base = int(horizon * height)
    for _ in range(rng.integers(3, 7)):  # buildings with windows
        w, h = (rng.integers(width // 10, width // 4), rng.integers(height // 6, height // 2))
        x0 = int(rng.integers(0, width - w))
        wall = tuple(int(v) for v in rng.integers(40, 220, 3))
        draw.rectangle([x0, base - h, x0 + w, base], fill=wall, outline=(20, 20, 20))
        lit = tuple(int(v) for v in rng.integers(150, 255, 3))
        for wy in range(base - h + 6, base - 8, 12):
            for wx in range(x0 + 5, x0 + w - 8, 10):
                if rng.random() < 0.6:
                    draw.rectangle([wx, wy, wx + 4, wy + 6], fill=lit)
    for _ in range(rng.integers(2, 5)):  # trees, or a sun
        r = int(rng.integers(min(width, height) // 16, min(width, height) // 6))
        cx, cy = int(rng.integers(r, width - r)), int(rng.integers(r, base))
        draw.ellipse(
            [cx - r, cy - r, cx + r, cy + r], fill=tuple(int(v) for v in rng.integers(0, 255, 3))
        )
    # Texture below the horizon (gravel, grass): noise blurred to a few px, as a lens renders it.
    grain = Image.fromarray((rng.uniform(0, 255, (height, width))).astype(np.uint8))
    grain = np.asarray(grain.filter(ImageFilter.GaussianBlur(1.5)), dtype=np.float32)[..., None]
    road = (grain / 255 - 0.5) * 0.5 * (y[..., 0:1] > horizon)
    arr = np.asarray(im).astype(np.float32) / 255
    arr = arr + road + rng.normal(0, 0.01, arr.shape)  # sensor noise
    return Image.fromarray((arr.clip(0, 1) * 255).astype(np.uint8))


def painting(name: str, width: int, height: int) -> Image.Image:
    """Brush strokes along a swirling direction field, in the painting's own palette."""
    rng = _rng(name)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32) / max(width, height)
    angle = np.zeros_like(xx)
    for _ in range(4):  # a smooth direction field: a few random waves
        k, p = rng.uniform(2, 9, 2), rng.uniform(0, 2 * np.pi, 2)
        angle += rng.uniform(0.5, 1.5) * np.sin(k[0] * xx + p[0]) * np.cos(k[1] * yy + p[1])
    freq = rng.uniform(40, 120)
    along = xx * np.cos(angle) + yy * np.sin(angle)
    across = -xx * np.sin(angle) + yy * np.cos(angle)
    strokes = 0.5 + 0.5 * np.sin(freq * across + 3 * np.sin(freq / 8 * along))
    regions = np.sin(rng.uniform(3, 8) * xx + 2) * np.cos(rng.uniform(3, 8) * yy)  # large areas
    t = (0.6 * strokes + 0.4 * (regions + 1) / 2).clip(0, 1)
    palette = rng.uniform(0, 1, (4, 3))  # colour ramp through four colours
    pos = t * (len(palette) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(palette) - 2)
    frac = (pos - lo)[..., None]
    arr = palette[lo] * (1 - frac) + palette[lo + 1] * frac
    arr += rng.normal(0, 0.03, arr.shape)
    im = Image.fromarray((arr.clip(0, 1) * 255).astype(np.uint8))
    return im.filter(ImageFilter.SMOOTH)
