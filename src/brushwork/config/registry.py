"""Composing the shipped configs as the commands do: the schemas registered with Hydra, a
painting given by path rewritten (:func:`brushwork.config.paintings.painting_overrides`), and
which training recipe a run gets when the user names none (:func:`choose_recipe`: the GPU
schedule where CUDA is available, the CPU one otherwise; configs/experiment)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig, OmegaConf

from brushwork.config.groups import CONFIG_DIR, folder_name
from brushwork.config.paintings import painting_overrides
from brushwork.config.schema import GROUPS_WITH_SCHEMA, schema


def register() -> None:
    """Store every schema as ``<group>/schema`` in Hydra's ConfigStore (idempotent). Each group
    file names it first in its defaults list: the YAML values are then checked against it."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    for group in GROUPS_WITH_SCHEMA:
        store.store(group=group, name="schema", node=schema(group))
    # The run folder of a multi-style training: its styles' names, not the default style's.
    OmegaConf.register_new_resolver("brushwork_name", folder_name, replace=True)


def compose(config_name: str, overrides: list[str] | None = None, **kwargs: Any) -> DictConfig:
    """Compose ``configs/<config_name>.yaml`` with Hydra overrides, as the commands do (a
    painting given by path included; ``kwargs``: hydra.compose's, e.g.
    ``return_hydra_config=True``)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register()
    GlobalHydra.instance().clear()  # a Hydra app or an earlier compose may hold it
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return hydra_compose(config_name, painting_overrides(overrides or []), **kwargs)


# Options that only print (help, the composed config, Hydra's info): no recipe is needed.
_PRINT_ONLY = ("--help", "-h", "--hydra-help", "--cfg", "-c", "--info", "--resolve")
# Overrides that already say how to train: the user's choice wins.
_CHOSEN = ("experiment=", "trainer=", "+experiment=", "~experiment")


def _cuda() -> str | None:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def choose_recipe(
    argv: list[str], gpu_name: Callable[[], str | None] = _cuda
) -> tuple[list[str], str | None]:
    """``argv`` (Hydra overrides of ``brushwork train``) with ``experiment=gpu`` added when
    ``gpu_name()`` finds a CUDA device and the user chose neither an experiment nor a trainer;
    also the line that says which recipe runs (None when nothing was decided here)."""
    if any(a.split("=")[0] in _PRINT_ONLY for a in argv):
        return argv, None
    if any(a.startswith(_CHOSEN) for a in argv):
        return argv, None
    name = gpu_name()
    if name is None:
        return argv, "recipe: experiment=cpu (no CUDA GPU found)"
    note = f"recipe: experiment=gpu (CUDA: {name}; experiment=cpu to train on the CPU)"
    return [*argv, "experiment=gpu"], note
