"""What the user chose, checked, torch-free: which model file (the shipped one by default), which
style or mix of a multi-style model, and the stylizing settings with their limits. Both inference
paths and the command check them here, the same way (one line each, BrushworkError).

The shipped network (``brushwork/models/``): ``brushwork-10.pt`` (the model file; its meta records
commit, command and config), ``brushwork-10.onnx`` and ``brushwork-10.regions.onnx`` (torch-free
paths, the second with a mix per pixel), ``brushwork-10.json`` (:data:`RECORD`: digests and the
training command).

A mix is a convex combination of the styles' (γ, β) pairs (Dumoulin et al. 2017, §5). On input
the weights need not sum to 1 (``great_wave=2,the_scream=1``): they are normalised, and the
caller is told so. Negative weights would extrapolate past the trained pairs into statistics no
style has: refused.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from brushwork.errors import BrushworkError, check_choice

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
NAME = "brushwork-10"
MODEL = MODELS_DIR / f"{NAME}.pt"
ONNX = MODELS_DIR / f"{NAME}.onnx"
REGIONS_ONNX = MODELS_DIR / f"{NAME}.regions.onnx"  # its style input: a mix per pixel
RECORD = MODELS_DIR / f"{NAME}.json"


def shipped_model() -> Path:
    """The shipped model file; BrushworkError (one line) where this installation lacks it."""
    if not MODEL.is_file():
        raise BrushworkError(f"no shipped model in {MODELS_DIR}: give one with --model FILE")
    return MODEL


def onnx_copy(model: str | Path, regions: bool = False) -> Path | None:
    """The shipped ONNX graph (``regions``: the one taking a mix per pixel) when ``model`` is
    the shipped model file, else None."""
    path = Path(model).expanduser()
    graph = REGIONS_ONNX if regions else ONNX
    if graph.is_file() and path.is_file() and path.resolve() == MODEL.resolve():
        return graph
    return None


def record() -> dict[str, Any]:
    """The shipped model's record (``brushwork-10.json``)."""
    try:
        return json.loads(RECORD.read_text())
    except (OSError, ValueError) as e:
        raise BrushworkError(f"the shipped model's record {RECORD} is unreadable: {e}") from e


def _unknown(name: str, names: list[str]) -> BrushworkError:
    return BrushworkError(f"unknown style {name!r}; this model holds: {', '.join(names)}")


def parse_mix(text: str, names: list[str]) -> dict[str, float]:
    """``"starry_night=0.7,great_wave=0.3"`` as {name: weight}, checked against ``names``."""
    mix: dict[str, float] = {}
    for part in str(text).split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip()
        if not part.strip():
            continue
        if not sep or not name:
            raise BrushworkError(f"--mix wants name=weight pairs separated by commas, got {part!r}")
        try:
            weight = float(value)
        except ValueError:
            raise BrushworkError(
                f"mix weight of {name} is not a number: {value.strip()!r}"
            ) from None
        if not math.isfinite(weight) or weight < 0:
            raise BrushworkError(f"mix weights must be finite and >= 0, got {name}={value.strip()}")
        if name not in names:
            raise _unknown(name, names)
        mix[name] = mix.get(name, 0.0) + weight
    if not mix:
        raise BrushworkError("--mix is empty: give name=weight pairs, e.g. a=0.7,b=0.3")
    if sum(mix.values()) <= 0:
        raise BrushworkError("mix weights are all 0: at least one must be positive")
    return mix


def mix_weights(
    names: list[str], style: str | None = None, mix: str | None = None
) -> tuple[list[float], str, str | None]:
    """The mix vector over ``names`` (the model's styles, in order) for ``style`` or ``mix``.

    Returns ``(weights, label, note)``: weights sum to 1; ``label`` names the choice (a style
    name, or ``a=0.70+b=0.30``); ``note`` says when the input weights were rescaled (else None).
    Neither given: the model's first style (its only one for single-style models).
    """
    if style is not None and mix is not None:
        raise BrushworkError("give --style or --mix, not both")
    if mix is None:
        name = names[0] if style is None else style
        if name not in names:
            raise _unknown(name, names)
        return [float(n == name) for n in names], name, None
    chosen = parse_mix(mix, names)
    total = sum(chosen.values())
    weights = [chosen.get(n, 0.0) / total for n in names]
    label = "+".join(f"{n}={w:.2f}" for n, w in zip(names, weights, strict=True) if w > 0)
    note = None
    if abs(total - 1.0) > 1e-6:
        note = f"mix weights sum to {total:g}, normalised to 1: {label}"
    return weights, label, note


def stroke_weights(styles: list[dict[str, Any]], stroke: float) -> tuple[list[float], str]:
    """The mix for stroke size ``stroke`` (px) of a model trained with ``strokes=[...]`` (each
    style entry has a ``stroke``): a trained size itself, or the two trained sizes around it,
    weighted linearly in log size (Jing et al. 2018 interpolate between trained stroke sizes)."""
    sizes = [s.get("stroke") for s in styles]
    if any(not isinstance(x, (int, float)) for x in sizes):
        raise BrushworkError("--stroke needs a model trained with strokes=[...]; this one has none")
    try:
        stroke = float(stroke)
    except (TypeError, ValueError):
        raise BrushworkError(f"--stroke must be a number of px, got {stroke!r}") from None
    lo_size, hi_size = min(sizes), max(sizes)
    if not lo_size <= stroke <= hi_size:  # also refuses NaN
        raise BrushworkError(f"--stroke must be within the trained sizes {lo_size}-{hi_size} px")
    below = max(x for x in sizes if x <= stroke)
    above = min(x for x in sizes if x >= stroke)
    t = 0.0 if above == below else math.log(stroke / below) / math.log(above / below)
    weights = [0.0] * len(sizes)
    weights[sizes.index(below)] += 1.0 - t
    weights[sizes.index(above)] += t
    return weights, f"stroke {stroke:g} px"


def choose(
    styles: list[dict[str, Any]],
    style: str | None = None,
    mix: str | None = None,
    stroke: float | None = None,
) -> tuple[list[float], str, str | None]:
    """:func:`mix_weights` over the model's style entries, or :func:`stroke_weights` when
    ``stroke`` is given: ``(weights, label, note)``."""
    if stroke is None:
        return mix_weights([str(s.get("name")) for s in styles], style, mix)
    if style is not None or mix is not None:
        raise BrushworkError("--stroke picks a stroke size of one painting: not with --style/--mix")
    weights, label = stroke_weights(styles, stroke)
    return weights, label, None


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
