"""What trained a network, recorded in its exported file: the code, the command and the config.

A model file that travels (the shipped one, one shared with a colleague) must say how to make it
again: :func:`provenance` returns the commit of the source tree (and whether it had uncommitted
changes), the command line as Hydra received it, and the resolved config. All plain values, so
the export still loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from brushwork.config.groups import plain

SOURCE = Path(__file__).resolve().parents[3]  # the checkout holding src/brushwork, if any


def git_commit(root: Path = SOURCE) -> dict[str, Any] | None:
    """``{"commit": sha, "dirty": bool}`` of the git checkout at ``root``; None when brushwork
    runs from an installed wheel (no checkout) or git is missing."""
    if not (root / ".git").exists():
        return None
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": sha, "dirty": bool(status.strip())}


def command_line() -> str | None:
    """``python train.py <overrides>`` as Hydra parsed them; None outside Hydra's launcher."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None
    return " ".join(["python train.py", *HydraConfig.get().overrides.task])


def provenance(cfg: DictConfig) -> dict[str, Any]:
    """The ``meta["provenance"]`` of an export: ``source`` (:func:`git_commit`), ``command``
    (:func:`command_line`) and ``config`` (``cfg`` resolved, plain values)."""
    return {"source": git_commit(), "command": command_line(), "config": plain(cfg)}
