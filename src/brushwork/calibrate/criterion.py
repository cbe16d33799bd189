"""The calibration criterion (see :mod:`brushwork.calibrate.weight`): the ladder of style weights
probed, and the choice of a weight from a probe table ``[{"weight", "content_ratio",
"style_ratio"}]`` sorted by weight."""

from __future__ import annotations

import math
from typing import Any

from brushwork.errors import BrushworkError


def ladder(min_weight: float, max_weight: float, per_decade: int) -> list[float]:
    """Geometric ladder from ``min_weight`` to ``max_weight``, ``per_decade`` points per decade."""
    if not 0 < min_weight <= max_weight or per_decade < 1:
        raise BrushworkError(
            f"need 0 < min_weight <= max_weight and per_decade >= 1, got "
            f"{min_weight}, {max_weight}, {per_decade}"
        )
    n = max(1, round(math.log10(max_weight / min_weight) * per_decade)) + 1
    if min_weight == max_weight:
        return [float(min_weight)]
    return [float(min_weight * (max_weight / min_weight) ** (i / (n - 1))) for i in range(n)]


def _scale(v: float) -> float:
    return math.log(max(v, 1e-12))  # ratios span decades: interpolate them as power laws in w


def ratio_at(table: list[dict[str, float]], weight: float, key: str) -> float:
    """A table column (``key``) at ``weight``: log r linear in log w between rows (a power law),
    clamped at the ends."""
    ws = [math.log(r["weight"]) for r in table]
    x = math.log(weight)
    if x <= ws[0]:
        return table[0][key]
    for i in range(1, len(ws)):
        if x <= ws[i]:
            t = (x - ws[i - 1]) / (ws[i] - ws[i - 1])
            a, b = _scale(table[i - 1][key]), _scale(table[i][key])
            return math.exp(a + t * (b - a))
    return table[-1][key]


def choose(
    table: list[dict[str, float]], max_content: float, max_style: float
) -> tuple[float, str]:
    """Apply the criterion to a probe table (rows sorted by weight): ``(weight, status)``."""
    if not table:
        raise BrushworkError("no calibration probes to choose from")
    over = next((i for i, r in enumerate(table) if r["content_ratio"] > max_content), None)
    if over == 0:
        return table[0]["weight"], "below ladder"
    if over is None:
        weight, status = table[-1]["weight"], "above ladder"
    else:
        lo, hi = table[over - 1], table[over]
        a, b = _scale(lo["content_ratio"]), _scale(hi["content_ratio"])
        t = (_scale(max_content) - a) / (b - a)
        weight = math.exp(math.log(lo["weight"]) + t * math.log(hi["weight"] / lo["weight"]))
        status = "ok"
    if ratio_at(table, weight, "style_ratio") > max_style:
        status = "weak style"
    return weight, status


def meets(row: dict[str, float], max_content: float, max_style: float) -> bool:
    """Whether a probe row satisfies the criterion: both ratios within their bounds."""
    return row["content_ratio"] <= max_content and row["style_ratio"] <= max_style


def table_markdown(result: dict[str, Any], max_content: float, max_style: float) -> str:
    """One calibration as Markdown: the chosen weight, then weight → ratios, one row per probe."""
    lines = [
        f"**{result['style']}: style weight {result['weight']:.3g}** ({result['status']}; "
        f"largest weight with content ratio ≤ {max_content:.3g}, style ratio there ≤ {max_style:g})",
        "",
        "| weight | content ratio | style ratio | style reduction |",
        "|---:|---:|---:|---:|",
    ]
    for r in result["table"]:
        mark = " ✓" if meets(r, max_content, max_style) else ""
        lines.append(
            f"| {r['weight']:.3g}{mark} | {r['content_ratio']:.3f} | {r['style_ratio']:.4f} | "
            f"{1 / max(r['style_ratio'], 1e-12):.3g}× |"
        )
    return "\n".join(lines)
