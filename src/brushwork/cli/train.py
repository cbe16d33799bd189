"""``brushwork train style=NAME [model=johnson] [experiment=gpu] [key=value ...]`` (also
``python train.py ...``): train a feed-forward style network and export it (configs/train.yaml)."""

from __future__ import annotations

from omegaconf import DictConfig

from brushwork.train.pipeline import train


def run(cfg: DictConfig) -> None:
    train(cfg)
