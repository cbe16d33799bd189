"""Running a Hydra command (train, gatys, calibrate, targets) from ``brushwork <command> ...``.

The configs are the package's (brushwork/configs), so they resolve after a plain ``pip install``;
their schemas are registered first, and ``group=unknown`` overrides fail in one line before Hydra's
multi-line error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from brushwork.config.groups import CONFIG_DIR, check_choices, painting_overrides, register
from brushwork.errors import exit_on_error

COMMAND_ENV = "BRUSHWORK_COMMAND"  # the Hydra command a DDP rank re-runs


def run_hydra(config_name: str, run: Callable[[Any], Any], argv: list[str], prog: str) -> None:
    """Compose ``configs/<config_name>.yaml`` with the Hydra overrides ``argv`` and call
    ``run(cfg)``; a BrushworkError anywhere is one ``error:`` line and exit status 2."""
    import hydra

    argv = painting_overrides(argv)  # style=my_painting.jpg: named after its file
    exit_on_error(check_choices)(argv)
    register()

    @hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base="1.3")
    @exit_on_error
    def main(cfg: Any) -> None:
        run(cfg)

    # Hydra reads its overrides (and --help, --cfg, -m) from sys.argv. Its first entry stays the
    # script that started this process: Lightning's DDP launcher starts every other rank as
    # `python <sys.argv[0]> <overrides>` (or `python -m <this module>`), and main() puts the
    # command back in front for those ranks (BRUSHWORK_COMMAND, see brushwork.cli.main).
    os.environ[COMMAND_ENV] = prog.split()[-1]
    sys.argv = [sys.argv[0] if sys.argv else prog, *argv]
    main()
