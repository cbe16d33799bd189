"""Choose a painting's style weight from short Gatys probes (see brushwork.calibrate).

python scripts/calibrate.py style=starry_night [loss=johnson] [calibrate.steps=30 ...]
python scripts/calibrate.py all=true out=docs/CALIBRATION.md
"""

import sys

import hydra

from brushwork.cli import CONFIG_DIR, check_choices
from brushwork.errors import exit_on_error


@hydra.main(config_path=str(CONFIG_DIR), config_name="calibrate", version_base="1.3")
@exit_on_error
def main(cfg) -> None:
    from brushwork.calibrate_cli import run_calibrate  # torch loads after Hydra handled --help

    run_calibrate(cfg)


if __name__ == "__main__":
    exit_on_error(check_choices)(sys.argv[1:])
    main()
