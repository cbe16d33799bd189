"""Hydra configs: typed schemas (``schema``) and the shipped YAML groups (``groups``)."""

from brushwork.config.groups import CONFIG_DIR, compose, load_group, plain, register, style_config
from brushwork.config.schema import schema

__all__ = ["CONFIG_DIR", "compose", "load_group", "plain", "register", "schema", "style_config"]
