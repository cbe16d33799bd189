"""Train a feed-forward style network (Johnson et al. 2016) and export it.

python train.py style=starry_night [model=fast] [trainer=gpu] [logger=csv] [key=value ...]
"""

import sys

import hydra

from brushwork.cli import check_choices
from brushwork.errors import exit_on_error


@hydra.main(config_path="configs", config_name="train", version_base="1.3")
@exit_on_error
def main(cfg) -> None:
    from brushwork.train import train  # torch/Lightning load after Hydra handled --help/--cfg

    train(cfg)


if __name__ == "__main__":
    exit_on_error(check_choices)(sys.argv[1:])
    main()
