"""Which net and which painting an evaluation scores: one style of a model file, with the
painting it was trained on (shared by the training-objective and the reference evaluations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from brushwork.config.paintings import style_config
from brushwork.infer.choices import mix_weights
from brushwork.infer.model_file import load_model, with_style
from brushwork.io.assets import resolve_style_image


def net_and_painting(
    model: str | Path,
    device: torch.device,
    style: str | None = None,
    painting: str | Path | None = None,
) -> tuple[torch.nn.Module, dict[str, Any], dict[str, Any] | None, Path]:
    """Load ``model`` → ``(net, info, entry, painting_path)``.

    A multi-style model is narrowed to ``style`` (a name it holds; default its first), ``entry``
    then being that style's record (own painting and weight). A single-style model paints its
    own style; ``style`` (a name or image) only changes the painting it is scored against
    (``entry`` None). ``painting``: the painting's file, where the model names one that the data
    folder does not hold (a painting trained by path). BrushworkError for an unknown style.
    """
    net, info = load_model(model, device)
    entry = None
    if net.n_styles > 1:
        names = [str(s.get("name")) for s in info["styles"]]
        weights, label, _ = mix_weights(names, style)
        net, info = with_style(net, info, weights, label)
        entry = info["style"]
        image, url = str(entry.get("image", "")), entry.get("url")
    elif style is not None:
        s = style_config(style)
        image, url = str(s.image), s.get("url")
    else:
        image, url = str(info["meta"].get("style_image", "")), info["style"].get("url")
    if painting is not None:
        return net, info, entry, Path(painting).expanduser()
    return net, info, entry, resolve_style_image(image, url)
