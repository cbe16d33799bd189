"""Stylize one photo with the Gatys optimizer.

python scripts/gatys.py content=photo.jpg style=starry_night output=out.png gatys.size=512
"""

import sys

import hydra

from brushwork.cli import CONFIG_DIR, check_choices, run_gatys
from brushwork.errors import exit_on_error


@hydra.main(config_path=str(CONFIG_DIR), config_name="gatys", version_base="1.3")
@exit_on_error
def main(cfg) -> None:
    run_gatys(cfg)


if __name__ == "__main__":
    exit_on_error(check_choices)(sys.argv[1:])
    main()
