"""The versioned inference file: one trained style network, loadable without Lightning/Hydra/VGG.

Layout of a ``.pt`` export (a plain dict written by ``torch.save``; only tensors, strings, numbers,
booleans, lists and dicts, so ``torch.load(..., weights_only=True)`` reads it)::

    {"format": "brushwork-style", "version": 3,
     "arch": {"arch": "shuffle", "width": 16, "n_residual": 5,     # build_net(**arch)
              "separable": True},
     "state_dict": {name: tensor on CPU},
     "style": {"name": ..., "title": ..., "url": ...},
     "meta": {...}}                                                 # training facts, free-form

Readers accept any version up to :data:`FORMAT_VERSION` and refuse newer ones with an upgrade hint;
a new version is only needed when an older reader would misread a file.

Versions: 1, the Johnson layout only; 2 adds ``arch["resample"]`` (``"shuffle"`` nets), which a
v1 reader cannot build; 3 names the architecture class instead (``arch["arch"]``: ``johnson`` or
``shuffle``, :data:`brushwork.nn.nets.NETS`), the same arguments as ``cfg.model``. Older files
load through :func:`brushwork.nn.nets.arch_from_legacy` (v1: ``johnson``; v2: ``resample``
``conv`` → ``johnson``). The state-dict keys are the same in every version.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from brushwork.errors import BrushworkError
from brushwork.io.files import atomic_write
from brushwork.nn.nets import TransformerNet, arch_from_legacy, build_net

FORMAT = "brushwork-style"
FORMAT_VERSION = 3

# torch.compile wraps the net; its state-dict keys gain this prefix.
_COMPILED_PREFIX = "_orig_mod."


def _plain_state_dict(net: nn.Module) -> dict[str, torch.Tensor]:
    """CPU copies of ``net``'s state, un-prefixed if the net was compiled."""
    state = {}
    for key, value in net.state_dict().items():
        key = key.replace(_COMPILED_PREFIX, "")
        # contiguous(): channels_last weights are saved in the default layout.
        state[key] = value.detach().to("cpu").contiguous().clone()
    return state


def export_model(
    net: nn.Module, path: str | Path, style: dict[str, Any], extra: dict[str, Any] | None = None
) -> Path:
    """Write ``net`` (a TransformerNet, possibly ``torch.compile``-d) to ``path``; return the path.

    ``style`` describes the painting (name, title, url, ...); ``extra`` lands in ``meta``. Both must
    hold only plain values. The file is written atomically: a crash leaves the old file (or none).
    """
    base = getattr(net, "_orig_mod", net)  # the un-compiled module carries arch_args
    if not isinstance(base, TransformerNet):
        raise TypeError(f"expected a TransformerNet, got {type(base).__name__}")
    payload = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "arch": dict(base.arch_args),
        "state_dict": _plain_state_dict(base),
        "style": dict(style),
        "meta": {"torch": str(torch.__version__), **(extra or {})},  # TorchVersion is no plain str
    }

    return atomic_write(path, lambda tmp: torch.save(payload, tmp))


def _read(path: Path, device: str | torch.device) -> dict[str, Any]:
    try:
        # weights_only: an export is data, never code; a crafted pickle must not run anything.
        payload = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as e:
        # Also what weights_only raises for pickles that reference arbitrary globals.
        raise BrushworkError(
            f"{path} is not a brushwork style model (foreign or unsafe pickle)"
        ) from e
    except (RuntimeError, EOFError, ValueError, OSError, AttributeError) as e:
        raise BrushworkError(f"{path} is not a brushwork style model ({type(e).__name__})") from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise BrushworkError(
            f"{path} is not a brushwork style model (no {FORMAT!r} header); "
            "training checkpoints (.ckpt) are not exports: see the run's <style>.pt"
        )
    return payload


def load_model(
    path: str | Path, device: str | torch.device = "cpu"
) -> tuple[TransformerNet, dict[str, Any]]:
    """Read an export: ``(net, info)``, the net in eval mode on ``device``, info with keys
    ``style``, ``meta`` and ``version``.

    Raises BrushworkError when the file is missing, is not an export, was written by a newer
    format version, or its weights do not fit its architecture.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise BrushworkError(f"style model not found: {path}")
    payload = _read(path, device)
    version = payload.get("version")
    if not isinstance(version, int) or version < 1:
        raise BrushworkError(f"{path}: invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise BrushworkError(
            f"{path} was written by a newer brushwork (format v{version}); "
            f"this one reads v{FORMAT_VERSION}: upgrade brushwork"
        )
    arch, state = payload.get("arch"), payload.get("state_dict")
    if not isinstance(arch, dict) or not isinstance(state, dict):
        raise BrushworkError(f"{path}: damaged style model (no arch or state_dict)")
    try:
        net = build_net(**(arch if version >= 3 else arch_from_legacy(arch)))
        net.load_state_dict(state)
    except (TypeError, ValueError, RuntimeError, BrushworkError) as e:
        reason = " ".join(str(e).split())[:300]  # one line; torch lists every key otherwise
        raise BrushworkError(f"{path}: weights do not match architecture {arch}: {reason}") from e
    net.to(device).eval().requires_grad_(False)
    info = {"style": payload.get("style", {}), "meta": payload.get("meta", {}), "version": version}
    return net, info
