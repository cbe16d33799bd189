"""Running a Hydra command (train, gatys, calibrate, targets) from ``brushwork <command> ...``.

The configs are the package's (brushwork/configs), so they resolve after a plain ``pip install``;
their schemas are registered first, and bad overrides (an unknown group choice or key, a value of
the wrong type) fail in one line before Hydra's multi-line error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from brushwork.config.groups import CONFIG_DIR, check_choices
from brushwork.config.paintings import painting_overrides
from brushwork.config.registry import register
from brushwork.errors import BrushworkError

COMMAND_ENV = "BRUSHWORK_COMMAND"  # the Hydra command a DDP rank re-runs


def run_hydra(config_name: str, run: Callable[[Any], Any], argv: list[str], prog: str) -> None:
    """Compose ``configs/<config_name>.yaml`` with the Hydra overrides ``argv`` and call
    ``run(cfg)``. Bad overrides raise BrushworkError before Hydra starts; ``run`` turns its own
    into the one ``error:`` line (``brushwork.cli.main`` wraps both in ``exit_on_error``)."""
    import hydra

    argv = painting_overrides(argv)  # style=my_painting.jpg: named after its file
    check_choices(argv)
    register()
    check_overrides(config_name, argv)

    @hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base="1.3")
    def main(cfg: Any) -> None:
        run(cfg)

    # Hydra reads its overrides (and --help, --cfg, -m) from sys.argv. Its first entry stays the
    # script that started this process: Lightning's DDP launcher starts every other rank as
    # `python <sys.argv[0]> <overrides>` (or `python -m <this module>`), and main() puts the
    # command back in front for those ranks (BRUSHWORK_COMMAND, see brushwork.cli.main).
    os.environ[COMMAND_ENV] = prog.split()[-1]
    sys.argv = [sys.argv[0] if sys.argv else prog, *argv]
    main()


def check_overrides(config_name: str, argv: list[str]) -> None:
    """Compose once to fail in one line on a key the config lacks or a value of the wrong type,
    where Hydra's own report is several lines. Options (``-m``, ``--cfg``, ``--help``) and
    ``hydra.*`` overrides are left to Hydra."""
    if any(a.startswith("-") for a in argv):
        return
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    overrides = [a for a in argv if not a.lstrip("+~").startswith(("hydra.", "hydra/"))]
    try:
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            compose(config_name, overrides=overrides)
    except (HydraException, OmegaConfBaseException) as e:
        said = [str(e), str(e.__cause__ or "")]  # the cause holds the reason for a bad value
        lines = [x.strip() for s in said for x in s.splitlines()[:2]]
        lines = [x for x in lines if x and not x.startswith(("full_key", "object_type"))]
        raise BrushworkError(" ".join(lines) or type(e).__name__) from None
