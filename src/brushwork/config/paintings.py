"""A painting in the configs: by name (``configs/style/<name>.yaml``) or by path (one code path:
:func:`painting_by_path`, whether given as ``style=PATH`` on the command line or to
:func:`style_config`), its final style weight (the one formula, :func:`style_weight`), and what a
model file says of it (:func:`style_entry`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from brushwork.config.groups import CONFIG_DIR, group_choices, load_group, plain
from brushwork.config.schema import StyleConfig
from brushwork.errors import BrushworkError


def _quoted(value: str) -> str:
    """``value`` as a Hydra override value: bare when its grammar allows, else double-quoted."""
    if re.fullmatch(r"[\w./~+-]+", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def painting_overrides(argv: list[str], config_dir: Path = CONFIG_DIR) -> list[str]:
    """``argv`` with a painting given by path named after its file, never after another painting.

    ``style=path/to/my_painting.jpg`` (a value with a file suffix, not a shipped style) becomes
    the default style's config with ``image`` that path and ``name`` and ``title`` its file stem
    (no artist, no URL); ``style.image=PATH`` without ``style.name=`` is renamed the same way.
    Either way the painting's ``weight`` is 1 (the schema's) unless ``style.weight=`` is given.
    Everything else passes through unchanged.
    """
    known = set(group_choices("style", config_dir))
    given = {a.partition("=")[0].lstrip("+") for a in argv}
    named = "style.name" in given
    out: list[str] = []
    for arg in argv:
        key, sep, value = arg.partition("=")
        key = key.lstrip("+~")
        if (
            sep
            and key == "style"
            and value not in known
            and "," not in value
            and Path(value).suffix
        ):
            arg = f"style.image={_quoted(value)}"
        elif not (sep and key == "style.image" and value):
            out.append(arg)
            continue
        out.append(arg)
        entry = painting_by_path(value)
        if "style.weight" not in given:  # the default painting's own weight is not this one's
            out.append(f"style.weight={entry['weight']}")
        if not named:
            out += [f"style.{k}={_value(entry[k])}" for k in ("name", "title", "artist", "url")]
    return out


def _value(value: Any) -> str:
    return "null" if value is None else _quoted(str(value))


def painting_by_path(path: str) -> dict[str, Any]:
    """A painting given by path, as a style: named and titled after its file, no artist, no URL,
    weight 1 (the schema's). What ``style=PATH`` composes to and what :func:`style_config` gives."""
    stem = Path(path).stem
    return {"name": stem, "image": path, "title": stem, "artist": None, "url": None, "weight": 1.0}


def style_config(name_or_path: str) -> DictConfig:
    """A style config by name (``configs/style/<name>.yaml``) or an ad-hoc one for an image path."""
    if name_or_path in group_choices("style"):
        return load_group("style", name_or_path)
    if Path(name_or_path).suffix:
        return OmegaConf.structured(StyleConfig(**painting_by_path(name_or_path)))
    known = ", ".join(group_choices("style"))
    raise BrushworkError(f"unknown style {name_or_path!r}; known: {known} (or give an image path)")


def load_style_images(styles: list[DictConfig], size: int | None = None) -> list[Any]:
    """Each style's painting (downloading a shipped one when missing) as (1, 3, H, W) in [0,1]."""
    from brushwork.io.assets import resolve_style_image
    from brushwork.io.images import load_image

    return [load_image(resolve_style_image(s.image, s.get("url")), size) for s in styles]


def styles_of(cfg: DictConfig) -> list[DictConfig]:
    """The paintings a command uses: ``cfg.styles`` (names or image paths, or ``all``) when set,
    else ``[cfg.style]``. Training puts them in one net; Gatys blends them (``blend=``)."""
    styles = cfg.get("styles")
    if styles is None:
        return [cfg.style]
    if isinstance(styles, str):
        if styles != "all":
            raise BrushworkError(f"styles= wants a list ([a,b]) or 'all', got {styles!r}")
        names = group_choices("style")
    else:
        names = [str(s) for s in styles]
    if not names:
        raise BrushworkError("styles= is empty: name at least one style")
    nodes = [style_config(n) for n in names]
    seen = [str(n.name) for n in nodes]
    if len(set(seen)) != len(seen):
        raise BrushworkError(f"styles= names a painting twice: {', '.join(seen)}")
    return nodes


def style_weight(loss: Any, style: DictConfig) -> float | None:
    """The final style weight of ``style`` under the loss config ``loss``: loss.style_weight ×
    style.weight, the one formula (Gatys, training, calibration, model files); None when
    loss.style_weight is ``auto`` (the run's calibration chooses it, brushwork.calibrate)."""
    raw = loss["style_weight"]
    if str(raw) == "auto":
        return None
    try:
        return float(raw) * float(style.get("weight", 1.0))
    except (TypeError, ValueError):
        raise BrushworkError(f"loss.style_weight must be a number or auto, got {raw!r}") from None


def with_style_weight(args: Any, weight: float) -> dict[str, Any]:
    """``args`` — a loss config (``PerceptualLoss``'s arguments) or a model file's style entry —
    as a plain dict carrying the final style ``weight`` as ``style_weight``."""
    return plain(args) | {"style_weight": weight}


def loss_args(cfg: DictConfig, style: DictConfig | None = None) -> dict[str, Any]:
    """``PerceptualLoss(**loss_args(cfg))``: ``cfg.loss`` as plain keyword arguments, with the
    final style weight of ``style`` (default ``cfg.style``)."""
    weight = style_weight(cfg.loss, cfg.style if style is None else style)
    if weight is None:
        raise BrushworkError(
            "loss.style_weight=auto is chosen by a training run's calibration; give a number here"
        )
    return with_style_weight(cfg.loss, weight)


STYLE_KEYS = ("name", "title", "artist", "url")  # what a model file says of a painting


def style_entry(style: DictConfig, weight: float) -> dict[str, Any]:
    """A model file's description of ``style`` (a configs/style node) trained at the final style
    ``weight``: its :data:`STYLE_KEYS`, the painting's file name and the weight."""
    entry = {k: style.get(k) for k in STYLE_KEYS} | {"image": Path(str(style.image)).name}
    return with_style_weight(entry, weight)
