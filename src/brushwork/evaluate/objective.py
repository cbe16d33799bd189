"""The training objective an exported network carries (``meta``), rebuilt for scoring it:
every comparison scores a network under the loss it was trained with, with its final weights."""

from __future__ import annotations

import dataclasses
from typing import Any

from brushwork.config.schema import schema
from brushwork.errors import BrushworkError

LOSS_KEYS = ("content_layers", "style_layers", "content_layer_weights", "style_layer_weights")
TERM_KEYS = ("content_weight", "style_weight", "tv_weight", "vgg", "pooling", "normalize")


def objective_of(meta: dict[str, Any], style: dict[str, Any] | None = None) -> dict[str, Any]:
    """The training objective recorded in an export's ``meta``: ``{"loss": {...}, "style_size"}``.

    ``loss`` holds ``PerceptualLoss``'s arguments with the FINAL weights. ``style``: one entry of
    a multi-style model's ``styles``, whose own final weight and painting size (``strokes=[...]``)
    then apply. BrushworkError when the meta lacks any of it (a model file not made by training).
    """
    loss = dict(meta.get("loss") or {})
    missing = [f"loss.{k}" for k in (*LOSS_KEYS, *TERM_KEYS) if k not in loss]
    missing += ["style_size"] * ("style_size" not in meta)
    if missing:
        need = ", ".join(missing)
        raise BrushworkError(f"the model's metadata lacks its training objective ({need})")
    fields = {f.name for f in dataclasses.fields(schema("loss"))}  # PerceptualLoss's arguments
    style = style or {}
    if style.get("style_weight"):  # the painting's own final weight
        loss["style_weight"] = float(style["style_weight"])
    return {
        "loss": {k: v for k, v in loss.items() if k in fields},
        "style_size": int(style.get("style_size", meta["style_size"])),
    }
