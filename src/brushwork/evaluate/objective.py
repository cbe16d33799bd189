"""The training objective an exported network carries (``meta``), rebuilt for scoring it.

Used by :mod:`brushwork.evaluate.compare` and the benchmarks: every comparison scores a network under
the loss it was trained with, with its final weights.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from brushwork.config.groups import load_group, plain
from brushwork.config.schema import LossConfig
from brushwork.errors import BrushworkError

LOSS_KEYS = ("content_layers", "style_layers", "content_layer_weights", "style_layer_weights")
OBJECTIVE_KEYS = (*LOSS_KEYS, "vgg", "pooling", "normalize")  # beyond the three term weights


def objective_of(
    meta: dict[str, Any], loss_name: str | None = None, style: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The training objective recorded in an export's ``meta``: ``{"loss": {...}, "style_size"}``.

    ``loss`` holds ``PerceptualLoss``'s arguments (a ``configs/loss`` node) with the FINAL
    weights. Keys missing from the meta (layers, vgg, pooling, normalize; older exports)
    come from ``configs/loss/<loss_name>.yaml``. ``style``: one entry of a multi-style model's
    ``styles``, whose own final weight and painting size (``strokes=[...]``) then apply.
    """
    loss = dict(meta.get("loss") or {})
    missing = [k for k in ("content_weight", "style_weight", "tv_weight") if k not in loss]
    if missing or "style_size" not in meta:
        missing = [f"loss.{k}" for k in missing] + ["style_size"] * ("style_size" not in meta)
        need = ", ".join(missing)
        raise BrushworkError(f"the model's metadata lacks its training objective ({need})")
    if any(k not in loss for k in OBJECTIVE_KEYS):
        if loss_name is None:
            raise BrushworkError(
                "the model's metadata lacks its loss layers or normalisation (exported before they "
                "were recorded): name the loss config it was trained with, e.g. --loss johnson"
            )
        loss = {**plain(load_group("loss", loss_name)), **loss}
    fields = {f.name for f in dataclasses.fields(LossConfig)}  # PerceptualLoss's arguments
    style = style or {}
    if style.get("style_weight"):  # the painting's own final weight
        loss["style_weight"] = float(style["style_weight"])
    return {
        "loss": {k: v for k, v in loss.items() if k in fields},
        "style_size": int(style.get("style_size", meta["style_size"])),
    }
