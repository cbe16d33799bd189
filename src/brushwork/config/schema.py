"""Typed configs: each Hydra group's schema, so a typo or a wrong type fails at compose time.

Where a group's fields are a constructor's arguments, its schema is made from that
constructor's signature (names, types, defaults), read from the source file: composing a
config loads neither torch nor Lightning. Each option is then defined once, in its constructor;
the YAML holds the recipe's values.

    build_net(**cfg.model)                       ShuffleNet(...) + arch (other layouts' options None)
    PerceptualLoss(**cfg.loss)                   PerceptualLoss(...)
    optimize_image(c, s, loss, **cfg.gatys)      its keyword-only arguments
    PhotoDataModule(**cfg.data, seed=cfg.seed)   PhotoDataModule(...)

A painting (``style``) and the calibration probes (``calibrate``) are data with no constructor:
the dataclasses below define them. No Hydra import; registered by
:func:`brushwork.config.registry.register`.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Optional  # noqa: UP035 (OmegaConf 2.3 reads these, not `X | None`)

PACKAGE = Path(__file__).resolve().parents[1]
# group -> (source file, class or function, parameters that are not config fields)
CONSTRUCTORS: dict[str, tuple[str, str, set[str]]] = {
    "model": ("nn/nets.py", "ShuffleNet", {"self", "n_styles"}),  # n_styles: styles= sets it
    "loss": ("nn/losses.py", "PerceptualLoss", {"self"}),
    "gatys": (
        "gatys/optimizer.py",
        "optimize_image",
        {"content", "styles", "loss", "blend", "seed", "callback"},
    ),
    "data": ("train/data.py", "PhotoDataModule", {"self", "seed"}),
}
OTHER_LAYOUTS = ("JohnsonNet",)  # model options not in every layout default to None (build_net)
LOOSER = {("loss", "style_weight"): Any}  # the config also takes auto (calibrated in training)
_TYPES: dict[str, Any] = {"int": int, "float": float, "bool": bool, "str": str, "Path": str}


@dataclass
class StyleConfig:
    """One painting (configs/style/*.yaml): a file in ``$BRUSHWORK_DATA/styles`` or a path."""

    name: str = "???"
    image: str = "???"
    url: Optional[str] = None  # noqa: UP045
    title: Optional[str] = None  # noqa: UP045
    artist: Optional[str] = None  # noqa: UP045
    weight: float = 1.0  # multiplies loss.style_weight for this painting
    size: Optional[int] = None  # noqa: UP045  # its longer side for the Gram targets, px; None: style_size


@dataclass
class AnchorConfig:
    """The balance ``max_content=auto`` carries to every painting (see brushwork.calibrate)."""

    style: str = "starry_night"
    weight: Optional[float] = None  # noqa: UP045  # None: the anchor painting's training default
    loss: str = "gatys"


@dataclass
class CalibrateConfig:
    """Style-weight probes: ``calibrate(style, cfg.loss, cfg.calibrate)``."""

    content_dir: str = "???"
    photos: int = 4
    size: int = 128
    style_size: int = 256
    steps: int = 30
    min_weight: Optional[float] = None  # noqa: UP045
    max_weight: Optional[float] = None  # noqa: UP045
    per_decade: int = 2
    max_content: Any = "auto"  # auto | a number > 0
    max_style: float = 0.1
    anchor: AnchorConfig = field(default_factory=AnchorConfig)
    cache_dir: Optional[str] = "auto"  # noqa: UP045


def _one_type(text: str) -> Any:
    """A config type for one annotation term: ``int``, ``Sequence[str]``, ``Path`` (a string)."""
    seq = re.fullmatch(r"(?:Sequence|list|tuple)\[(\w+)(?:, \.\.\.)?\]", text)
    if seq:
        return List[_TYPES.get(seq[1], Any)]  # noqa: UP006
    return _TYPES.get(text, Any)


def config_type(annotation: str) -> Any:
    """The OmegaConf type for a constructor's annotation: ``int | None`` -> ``Optional[int]``,
    ``str | Path`` -> ``str``, ``Sequence[float]`` -> ``List[float]``, else ``Any``."""
    terms = [t.strip() for t in annotation.split("|")]
    kinds = {_one_type(t) for t in terms if t != "None"}
    kind = kinds.pop() if len(kinds) == 1 else Any
    return Optional[kind] if "None" in terms else kind  # noqa: UP045


def _arguments(path: str, name: str) -> ast.arguments:
    """The parameters of function ``name`` (or class ``name``'s ``__init__``) in ``path``."""
    for node in ast.walk(ast.parse((PACKAGE / path).read_text())):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node.args
        if isinstance(node, ast.ClassDef) and node.name == name:
            init = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
            return init[0].args
    raise LookupError(f"{name} not found in brushwork/{path}")


def parameters(path: str, name: str) -> dict[str, tuple[str, Any]]:
    """``{parameter: (annotation, default)}`` of a constructor, defaults as Python values
    (``dataclasses.MISSING`` where there is none)."""
    args = _arguments(path, name)
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = [*zip(positional, defaults, strict=True)]
    pairs += zip(args.kwonlyargs, args.kw_defaults, strict=True)
    return {
        a.arg: (
            ast.unparse(a.annotation) if a.annotation else "Any",
            dataclasses.MISSING if d is None else ast.literal_eval(d),
        )
        for a, d in pairs
    }


def _field(kind: Any, default: Any) -> tuple[Any, Any]:
    if default is dataclasses.MISSING:
        return kind, "???"  # required: the YAML must give it
    if isinstance(default, (list, tuple)):
        return kind, field(default_factory=lambda d=default: list(d))
    return kind, default


@functools.cache
def from_constructor(group: str) -> type:
    """The schema of ``group`` made from its constructor (:data:`CONSTRUCTORS`)."""
    path, name, skip = CONSTRUCTORS[group]
    params = {k: v for k, v in parameters(path, name).items() if k not in skip}
    fields: list[tuple[str, Any, Any]] = []
    if group == "model":  # arch picks the layout; an option some layout lacks: None, its default
        fields.append(("arch", str, "shuffle"))
        shared = set.intersection(*(set(parameters(path, n)) for n in OTHER_LAYOUTS))
        for k in set(params) - shared:
            params[k] = (f"{params[k][0]} | None", None)
    for k, (annotation, default) in params.items():
        kind = LOOSER.get((group, k)) or config_type(annotation)
        fields.append((k, *_field(kind, default)))
    return dataclasses.make_dataclass(f"{group.title()}Config", fields)


DATA_SCHEMAS: dict[str, type] = {"style": StyleConfig, "calibrate": CalibrateConfig}
GROUPS_WITH_SCHEMA = (*DATA_SCHEMAS, *CONSTRUCTORS)


def schema(group: str) -> type:
    """The dataclass that checks ``configs/<group>/*.yaml``."""
    if group in DATA_SCHEMAS:
        return DATA_SCHEMAS[group]
    return from_constructor(group)
