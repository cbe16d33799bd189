"""Hydra configs: typed schemas (``schema``), the shipped YAML groups (``groups``), a
painting's config (``paintings``), composing (``registry``)."""

from brushwork.config.groups import CONFIG_DIR, load_group, plain
from brushwork.config.paintings import style_config
from brushwork.config.registry import compose, register
from brushwork.config.schema import schema

__all__ = ["CONFIG_DIR", "compose", "load_group", "plain", "register", "schema", "style_config"]
