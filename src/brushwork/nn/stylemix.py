"""Moving weights between nets holding different numbers of styles: only the instance norms'
``weight``/``bias`` change shape ((C,) for one style, (N, C) for N). :func:`collapse` turns an
N-style net and a mix into the equivalent plain net; :func:`transfer` copies another net's
weights, norm rows by style name, new rows at the mean of the old (the "average painting").
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from brushwork.errors import BrushworkError
from brushwork.nn.conditional import ConditionalInstanceNorm2d
from brushwork.nn.frame import TransformerNet
from brushwork.nn.nets import build_net


def norm_keys(net: nn.Module) -> set[str]:
    """State-dict keys of the instance norms' affine parameters (the per-style ones)."""
    keys = set()
    for name, module in net.named_modules():
        if isinstance(module, (nn.InstanceNorm2d, ConditionalInstanceNorm2d)):
            keys |= {f"{name}.weight", f"{name}.bias"}
    return keys


def _rows(value: Tensor) -> Tensor:
    return value if value.dim() == 2 else value[None]  # (C,) -> (1, C)


def collapse(net: TransformerNet, mix: Sequence[float] | Tensor) -> TransformerNet:
    """A single-style copy of ``net`` whose norms hold ``Σ_k mix_k (γ_k, β_k)``; ``mix``: N weights
    (a convex combination; not renormalised here). A single-style net comes back as is."""
    if net.n_styles == 1:
        return net
    mix = torch.as_tensor(mix, dtype=torch.float32)
    if mix.shape != (net.n_styles,):
        raise BrushworkError(f"a mix of {net.n_styles} styles needs {net.n_styles} weights")
    plain = build_net(**layout(net), grain=net.grain)  # the same grain: it paints from it
    keys = norm_keys(net)
    state = {}
    for key, value in net.state_dict().items():
        state[key] = mix.to(value) @ value if key in keys else value
    plain.load_state_dict(state)
    device = next(net.parameters()).device
    return plain.to(device).train(net.training).requires_grad_(False)


def layout(net: TransformerNet) -> dict:
    """``net``'s architecture but for its number of styles and its grain (its ``model_args``):
    what decides whether weights fit (grain holds none, so a net trained without it warm-starts
    one with it)."""
    return {k: v for k, v in net.model_args.items() if k not in ("n_styles", "grain")}


def transfer(source: TransformerNet, target: TransformerNet, rows: Sequence[int | None]) -> None:
    """Load ``source``'s weights into ``target`` (same architecture but for the number of styles).

    ``rows[k]``: which style of ``source`` the target's style k copies, or None for a new style
    (the mean of the source's rows). Raises BrushworkError when the architectures differ.
    """
    a, b = layout(source), layout(target)
    if a != b:
        diff = ", ".join(f"{k}={a.get(k)} (here {v})" for k, v in b.items() if a.get(k) != v)
        raise BrushworkError(f"the init model has another architecture: {diff}")
    if len(rows) != target.n_styles:
        raise ValueError(f"rows names {len(rows)} styles, the target holds {target.n_styles}")
    keys = norm_keys(source)
    state = {}
    for key, value in source.state_dict().items():
        if key in keys:
            old = _rows(value)
            new = torch.stack([old.mean(0) if r is None else old[r] for r in rows])
            value = new if target.n_styles > 1 else new[0]
        state[key] = value.clone()
    target.load_state_dict(state)
