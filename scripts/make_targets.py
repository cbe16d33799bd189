"""Stylize a folder of photos with the Gatys optimizer: targets for distillation training.

python scripts/make_targets.py style=starry_night data.dir=photos out=targets/starry_night
python scripts/make_targets.py ... shard=3/8   # one of 8 parallel jobs; re-runs resume
"""

import sys

import hydra

from brushwork.cli import CONFIG_DIR, check_choices
from brushwork.errors import exit_on_error
from brushwork.targets import make_targets


@hydra.main(config_path=str(CONFIG_DIR), config_name="make_targets", version_base="1.3")
@exit_on_error
def main(cfg) -> None:
    make_targets(cfg)


if __name__ == "__main__":
    exit_on_error(check_choices)(sys.argv[1:])
    main()
