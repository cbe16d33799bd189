"""Checks on a training checkpoint before it is resumed: readable, and of the net's architecture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from brushwork.errors import BrushworkError
from brushwork.nn.nets import build_net


def check_checkpoint(path: str, model: dict[str, Any]) -> Path:
    """Fail before any work if ``ckpt_path`` is missing, unreadable or not of ``model``'s shape."""
    ckpt = Path(path).expanduser()
    if not ckpt.is_file():
        raise BrushworkError(f"checkpoint not found: {ckpt}")
    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
    except Exception as e:  # unpickling failures have no common base class
        raise BrushworkError(f"cannot read checkpoint {ckpt}: {type(e).__name__}") from e
    hparams = state.get("hyper_parameters") if isinstance(state, dict) else None
    saved = hparams.get("model") if isinstance(hparams, dict) else None
    check_architecture(saved, build_net(**model).model_args, str(ckpt))
    return ckpt


def check_architecture(saved: Any, current: dict[str, Any], source: str) -> None:
    """Raise BrushworkError unless ``saved`` (a checkpoint's ``hyper_parameters["model"]``) is
    the architecture ``current`` (``net.model_args``)."""
    if not isinstance(saved, dict) or "arch" not in saved:
        raise BrushworkError(
            f"{source} is not a brushwork training checkpoint of this version (no model "
            "architecture in its hyper-parameters); its exported .pt still loads for stylizing"
        )
    diff = [f"{k}={saved.get(k)} (now {v})" for k, v in current.items() if saved.get(k) != v]
    if diff:
        raise BrushworkError(
            f"{source} was trained with another architecture: {', '.join(diff)}; "
            "pick the matching model=... / model.* overrides or start without ckpt_path"
        )
