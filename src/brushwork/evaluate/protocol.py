"""The protocol every equivalent-iteration figure uses (torch-free, so the CLI reads it cheaply).

`brushwork evaluate`'s defaults and the training run's closing evaluation (configs/train.yaml,
``eval.*``; a test pins them equal) score the same photos at the same size against the same Gatys
curve, so one net gets one figure from both. The curve's length bounds the figure (">50").
"""

from __future__ import annotations

from collections.abc import Sequence

from brushwork.errors import BrushworkError

GATYS_STEPS = (25, 50)  # L-BFGS iterations scored; the curve runs to the last
SIZE = 256  # longer side of the photos, px


def parse_steps(text: str | Sequence[int]) -> list[int]:
    """Parse "50,100,300" (or a list) → sorted unique positive ints, or "0" → [] (the net's terms
    alone, no Gatys run); BrushworkError otherwise."""
    items = text.split(",") if isinstance(text, str) else list(text)
    bad = f"gatys steps must be positive integers like 50,100,300 (or 0: none), got {text!r}"
    try:
        steps = sorted({int(s) for s in items if str(s).strip()})
    except ValueError as e:
        raise BrushworkError(bad) from e
    if steps == [0]:
        return []
    if not steps or steps[0] <= 0:
        raise BrushworkError(bad)
    return steps


def parse_sizes(text: str) -> list[int]:
    """Parse "256,512" → [256, 512] (each an integer >= 64: periodicity needs room); else
    BrushworkError."""
    bad = f"sizes must be integers >= 64 like 256,512, got {text!r}"
    try:
        sizes = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError as e:
        raise BrushworkError(bad) from e
    if not sizes or sizes[0] < 64:
        raise BrushworkError(bad)
    return sizes
