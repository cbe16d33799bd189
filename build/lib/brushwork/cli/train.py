"""``brushwork train style=NAME [model=johnson] [experiment=gpu] [key=value ...]`` (also
``python train.py ...``): train a feed-forward style network and export it (configs/train.yaml)."""

from __future__ import annotations

from omegaconf import DictConfig

CONFIG_NAME = "train"


def run(cfg: DictConfig) -> None:
    # Lightning and torch load here, after Hydra has handled --help and --cfg (seconds faster).
    from brushwork.train.run import train

    train(cfg)
