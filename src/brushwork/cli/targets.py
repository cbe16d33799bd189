"""``brushwork targets style=NAME data.dir=PHOTOS out=TARGETS [shard=i/n]``: stylize a folder of
photos with the Gatys optimizer, distillation targets for ``train data.targets=...``
(configs/make_targets.yaml; resumable, shardable)."""

from __future__ import annotations

from omegaconf import DictConfig

from brushwork.gatys.targets import make_targets


def run(cfg: DictConfig) -> None:
    make_targets(cfg)
