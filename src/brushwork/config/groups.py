"""The shipped Hydra configs (package data, ``brushwork/configs``): where they are, their groups,
one group file on its own, checks of ``group=name`` overrides, and run folders' names. A
painting's config is :mod:`brushwork.config.paintings`; composing, :mod:`brushwork.config.registry`.

The configs ship inside the package, so they resolve the same after ``pip install .`` as in a
checkout (the top-level ``configs`` folder of the repository is a link to them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from brushwork.config.schema import schema
from brushwork.errors import BrushworkError

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
# Groups a user picks with group=name (checked in one line before Hydra's multi-line error).
GROUPS = ("style", "loss", "model", "data", "trainer", "logger", "experiment", "calibrate", "gatys")


def folder_name(styles: Any, style_name: str) -> str:
    """``style_name``, or for ``styles=[a,b]`` the names joined (``styles=all``: ``all``)."""
    if styles is None:
        return style_name
    if isinstance(styles, str):
        return styles
    return joined_name([Path(str(s)).stem for s in styles])


def joined_name(names: list[str]) -> str:
    """Several styles' names as one file or folder name: joined by ``+``, a count beyond 4."""
    return "+".join(names) if len(names) <= 4 else f"{len(names)}_styles"


def group_choices(group: str, config_dir: Path = CONFIG_DIR) -> list[str]:
    """Names of the configs in a Hydra group folder (``configs/<group>/*.yaml``)."""
    return sorted(p.stem for p in (config_dir / group).glob("*.yaml"))


def check_choices(argv: list[str], config_dir: Path = CONFIG_DIR) -> None:
    """Fail in one line on ``group=unknown`` overrides before Hydra prints its multi-line error."""
    for arg in argv:
        key, sep, value = arg.partition("=")
        key = key.lstrip("+~")
        if not sep or key not in GROUPS or not (config_dir / key).is_dir():
            continue
        known = group_choices(key, config_dir)
        for choice in value.split(","):  # multirun: style=a,b
            if choice and choice not in known:
                raise BrushworkError(f"unknown {key} {choice!r}; known: {', '.join(known)}")


def load_group(group: str, name: str) -> DictConfig:
    """``configs/<group>/<name>.yaml`` on its own, checked against the group's schema."""
    if name not in group_choices(group):
        known = ", ".join(group_choices(group))
        raise BrushworkError(f"unknown {group} {name!r}; known: {known}")
    node = OmegaConf.load(CONFIG_DIR / group / f"{name}.yaml")
    node.pop("defaults", None)
    return OmegaConf.merge(OmegaConf.structured(schema(group)), node)


def plain(node: Any) -> Any:
    """A config node as plain Python values (dicts, lists), interpolations resolved."""
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


def required(cfg: DictConfig, key: str, example: str) -> str:
    """``cfg.<key>`` (dotted) as a string; one line naming the key when it is missing or empty."""
    value = OmegaConf.select(cfg, key, throw_on_missing=False)
    if value in (None, ""):
        raise BrushworkError(f"{key}= is required (e.g. {key}={example})")
    return str(value)
