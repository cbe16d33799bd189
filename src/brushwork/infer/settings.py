"""The Stylizer's settings and their limits, torch-free: both inference paths and the command
check them the same way (one line each, BrushworkError)."""

from __future__ import annotations

from brushwork.errors import BrushworkError, check_choice

PRECISIONS = ("fp32", "fp16", "bf16")
BACKENDS = ("auto", "torch", "onnxruntime")
AUTO_TILE_PIXELS = 2048 * 2048  # tile=None tiles images above this many pixels ...
DEFAULT_TILE = 1024  # ... in tiles of this side,
DEFAULT_OVERLAP = 128  # overlapping by this much,
STATS_PIXELS = 1024 * 1024  # with instance-norm statistics from a pass at most this large.


def check_strength(strength: float) -> float:
    """Return ``strength`` as a float if it is in [0, 1]; raise BrushworkError otherwise."""
    if isinstance(strength, bool) or not isinstance(strength, (int, float)):
        raise BrushworkError(f"strength must be a number in [0, 1], got {strength!r}")
    if not 0.0 <= strength <= 1.0:  # also rejects NaN
        raise BrushworkError(f"strength must be in [0, 1], got {strength}")
    return float(strength)


MAX_STROKE_SCALE = 64.0


def check_stroke_scale(value: float | str) -> float | str:
    """``value`` as a float >= 1, or ``"auto"``; BrushworkError otherwise (one line)."""
    if value == "auto":
        return "auto"
    try:
        scale = float(value)
    except (TypeError, ValueError):
        raise BrushworkError(f"stroke scale must be a number >= 1 or auto, got {value!r}") from None
    if not 1.0 <= scale <= MAX_STROKE_SCALE:  # also refuses NaN
        raise BrushworkError(f"stroke scale must be in [1, {MAX_STROKE_SCALE:g}], got {value}")
    return scale


def auto_scale(height: int, width: int, train_size: int | None) -> float:
    """The stroke scale that keeps strokes the fraction of the image they were in training."""
    if not train_size:
        raise BrushworkError("--stroke-scale auto needs the model's training crop size (meta)")
    return max(1.0, max(height, width) / train_size)


def check_settings(precision: str, backend: str, tile: int | None, threads: int | None) -> None:
    """The Stylizer's ``precision``, ``backend``, ``tile`` (None, 0 or >= 64 px) and
    ``threads`` (>= 1)."""
    check_choice("precision", precision, PRECISIONS)
    check_choice("backend", backend, BACKENDS)
    if tile is not None and (isinstance(tile, bool) or tile < 0 or 0 < tile < 64):
        raise BrushworkError(f"tile must be 0 (off) or at least 64 px, got {tile}")
    if threads is not None and threads < 1:
        raise BrushworkError(f"threads must be >= 1, got {threads}")


def parse_tile(value: str) -> int | None:
    """``--tile``: ``auto`` (None: tile large images), 0 (never) or a side in px."""
    if value == "auto":
        return None
    try:
        return int(value)
    except ValueError:
        raise BrushworkError(f"--tile must be auto, 0 or a size in px, got {value!r}") from None


def check_stable_options(video: bool, stable: bool, smooth: float) -> None:
    """``--stable`` needs ``--video``, ``--smooth`` (in [0, 0.9]) needs ``--stable``."""
    if stable and not video:
        raise BrushworkError("--stable applies to --video")
    if smooth and not stable:
        raise BrushworkError("--smooth applies to --stable")
    if not 0 <= smooth <= 0.9:
        raise BrushworkError(f"--smooth must be in [0, 0.9], got {smooth}")
