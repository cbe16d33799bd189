"""The versioned inference file: one trained style network, loadable without Lightning/Hydra/VGG.

A ``.pt`` model file is a plain dict (tensors, strings, numbers, lists, dicts: it loads with
``torch.load(weights_only=True)``)::

    {"format": "brushwork-style", "version": FORMAT_VERSION,
     "arch": {"arch": "shuffle", ...},          # build_net(**arch); "n_styles" when several
     "state_dict": {name: tensor on CPU},
     "styles": [{"name": ..., "title": ..., "url": ..., "image": ..., "style_weight": ...}],
     "meta": {...}}                             # training facts, free-form

``styles`` holds one entry per style the net holds (its norm rows, in order), one for a
single-style net: the file has no other way to say what it paints (v6; v5 had a ``style`` field
beside it). Only the current version loads: an older file is refused in one line naming its
version, a newer one with an upgrade hint.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from brushwork.errors import BrushworkError
from brushwork.io.files import write_bytes
from brushwork.nn.frame import TransformerNet
from brushwork.nn.nets import build_net
from brushwork.nn.stylemix import collapse

FORMAT = "brushwork-style"
FORMAT_VERSION = 6

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
    net: nn.Module,
    path: str | Path,
    styles: list[dict[str, Any]],
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``net`` (a TransformerNet, possibly ``torch.compile``-d) to ``path``; return the path.

    ``styles`` describes each style the net holds (name, title, url, ...; one dict for a
    single-style net); ``extra`` lands in ``meta``. All must hold only plain values. The file is
    written atomically: a crash leaves the old file (or none).
    """
    base = getattr(net, "_orig_mod", net)  # the un-compiled module carries model_args
    if not isinstance(base, TransformerNet):
        raise TypeError(f"expected a TransformerNet, got {type(base).__name__}")
    if not isinstance(styles, list):
        raise TypeError(f"styles must be a list of dicts, got {type(styles).__name__}")
    if len(styles) != base.n_styles:
        raise ValueError(f"the net holds {base.n_styles} styles, {len(styles)} described")
    names = [str(s.get("name")) for s in styles]
    if len(set(names)) != len(names):
        raise BrushworkError(f"style names must differ, got {', '.join(names)}")
    payload = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "arch": dict(base.model_args),
        "state_dict": _plain_state_dict(base),
        "styles": [dict(s) for s in styles],
        "meta": {"torch": str(torch.__version__), **(extra or {})},  # TorchVersion is no plain str
    }

    buf = io.BytesIO()  # a full disk then fails in Python's own write, as one clear OSError
    torch.save(payload, buf)
    return write_bytes(path, buf.getvalue())


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
    """Read a model file: ``(net, info)``, the net in eval mode on ``device``, info with keys
    ``styles`` (the file's: one dict per style the net holds), ``style`` (:func:`painted`),
    ``meta`` and ``version``.

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
    if version < FORMAT_VERSION:
        raise BrushworkError(
            f"{path} is a model file of format v{version}, from an older brushwork; this one "
            f"reads v{FORMAT_VERSION}: train the style again (or stylize with that version)"
        )
    if version > FORMAT_VERSION:
        raise BrushworkError(
            f"{path} was written by a newer brushwork (format v{version}); "
            f"this one reads v{FORMAT_VERSION}: upgrade brushwork"
        )
    arch, state = payload.get("arch"), payload.get("state_dict")
    if not isinstance(arch, dict) or not isinstance(state, dict):
        raise BrushworkError(f"{path}: damaged style model (no arch or state_dict)")
    try:
        net = build_net(**arch)
        net.load_state_dict(state)
    except (TypeError, ValueError, RuntimeError, BrushworkError) as e:
        reason = " ".join(str(e).split())[:300]  # one line; torch lists every key otherwise
        raise BrushworkError(f"{path}: weights do not match architecture {arch}: {reason}") from e
    net.to(device).eval().requires_grad_(False)
    styles = payload.get("styles")
    if not isinstance(styles, list) or len(styles) != net.n_styles:
        raise BrushworkError(f"{path}: damaged style model (its style list does not fit the net)")
    meta = payload.get("meta", {})
    info = {"style": painted(styles), "styles": styles, "meta": meta, "version": version}
    return net, info


def painted(styles: list[dict[str, Any]]) -> dict[str, Any]:
    """What a net holding ``styles`` paints as a whole: the one style's entry, or for several
    ``{"name": "a+b+..."}`` (until :func:`with_style` picks one)."""
    if len(styles) == 1:
        return dict(styles[0])
    return {"name": "+".join(str(s.get("name")) for s in styles)}


def with_style(
    net: TransformerNet, info: dict[str, Any], weights: list[float], label: str
) -> tuple[TransformerNet, dict[str, Any]]:
    """A multi-style export's net fixed to the mix ``weights`` (one per style, summing to 1) that
    :func:`brushwork.infer.choices.choose` returned with ``label``: a single-style net, with
    ``info["style"]`` the chosen style's entry (a mix: named by ``label``). Single-style nets
    come back unchanged."""
    if net.n_styles == 1:
        return net, info
    picked = [s for s, w in zip(info["styles"], weights, strict=True) if w > 0]
    style = dict(picked[0]) if len(picked) == 1 else {"name": label}
    return collapse(net, weights).eval(), {**info, "style": style, "mix": list(weights)}
