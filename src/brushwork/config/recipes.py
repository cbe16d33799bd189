"""Which training recipe a run gets when the user names none: the GPU schedule where CUDA is
available, the CPU one otherwise (``experiment=gpu`` / ``experiment=cpu``, configs/experiment)."""

from __future__ import annotations

from collections.abc import Callable

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
