"""Choosing a style of a multi-style model: a name, or a mix of names (torch-free, like lite).

A mix is a convex combination of the styles' (γ, β) pairs (Dumoulin et al. 2017, §5). On input
the weights need not sum to 1 (``great_wave=2,the_scream=1``): they are normalised, and the
caller is told so. Negative weights would extrapolate past the trained pairs into statistics no
style has: refused.
"""

from __future__ import annotations

import math
from typing import Any

from brushwork.errors import BrushworkError


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
