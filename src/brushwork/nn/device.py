"""Which torch device to run on: one rule for every command and the inference API."""

from __future__ import annotations

import torch

from brushwork.errors import BrushworkError


def pick_device(name: str | torch.device = "auto") -> torch.device:
    """``auto`` → cuda, else mps, else cpu; an explicit device that is absent is an error."""
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise BrushworkError(f"unknown device {name!r}; use auto, cpu, cuda or mps") from e
    if device.type == "cuda" and not torch.cuda.is_available():
        raise BrushworkError("device=cuda requested but no CUDA GPU is available")
    return device
