"""Typed configs: one dataclass per Hydra group, whose fields are a constructor's arguments.

    build_net(**cfg.model)                       ModelConfig
    PerceptualLoss(**cfg.loss)                   LossConfig
    optimize_image(c, s, loss, **cfg.gatys)      GatysConfig
    PhotoDataModule(**cfg.data, seed=cfg.seed)   DataConfig
    calibrate(style, cfg.loss, cfg.calibrate)    CalibrateConfig

Registered as ``<group>/schema`` and named first in each group file, so a typo or a wrong type
fails at compose time. Defaults are the constructors' own (tested). No Hydra import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional  # noqa: UP035 (OmegaConf 2.3 reads Optional, not `X | None`)


@dataclass
class StyleConfig:
    """One painting (configs/style/*.yaml): a file in ``$BRUSHWORK_DATA/styles`` or a path."""

    name: str = "???"
    image: str = "???"
    url: Optional[str] = None  # noqa: UP045
    title: Optional[str] = None  # noqa: UP045
    artist: Optional[str] = None  # noqa: UP045
    weight: float = 1.0  # multiplies loss.style_weight for this painting


@dataclass
class ModelConfig:
    """The transformer net: ``build_net(**cfg.model)``."""

    arch: str = "shuffle"  # johnson | shuffle
    width: int = 16
    n_residual: int = 5
    separable: bool = True
    upsample: Optional[str] = None  # noqa: UP045  # shuffle only: bilinear
    grain: float = 0.0  # std of the noise painted from where the photo is flat (nn.frame)


@dataclass
class LossConfig:
    """``PerceptualLoss(**cfg.loss)``. ``style_weight`` is a number, or ``auto`` in training
    (calibrated per painting, brushwork.calibrate), hence ``Any``."""

    content_layers: list[str] = field(default_factory=lambda: ["relu4_2"])
    style_layers: list[str] = field(
        default_factory=lambda: ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    )
    content_weight: float = 1.0
    style_weight: Any = 1e-5
    tv_weight: float = 0.0
    content_layer_weights: Optional[list[float]] = None  # noqa: UP045
    style_layer_weights: Optional[list[float]] = None  # noqa: UP045
    vgg: str = "caffe"  # caffe | torchvision | path to a weight file
    pooling: str = "max"  # max | avg
    normalize: bool = False
    temporal_weight: float = 0.0  # video stability term (training only, see nn.losses)
    temporal_shift: int = 8
    temporal_noise: float = 0.02


@dataclass
class GatysConfig:
    """``optimize_image(content, styles, loss, **cfg.gatys)``."""

    size: int = 512
    steps: int = 300
    coarse_steps: Optional[int] = None  # noqa: UP045
    levels: int = 1
    optimizer: str = "lbfgs"  # lbfgs | adam
    lr: float = 0.02
    init: str = "content"  # content | noise | style
    style_scale: float = 1.0
    preserve_color: str = "none"  # none | luminance | match
    precision: str = "auto"  # auto | fp32 | bf16
    progress: bool = True


@dataclass
class DataConfig:
    """``PhotoDataModule(**cfg.data, seed=cfg.seed)``."""

    dir: str = "???"
    size: int = 256
    batch_size: int = 4
    num_workers: int = 2
    val_dir: Optional[str] = None  # noqa: UP045
    val_size: int = 256
    val_count: int = 8
    targets: Optional[str] = None  # noqa: UP045
    pin_memory: Optional[bool] = None  # noqa: UP045
    cache: bool = False


@dataclass
class AnchorConfig:
    """The balance ``max_content=auto`` carries to every painting (see brushwork.calibrate)."""

    style: str = "starry_night"
    weight: Optional[float] = None  # noqa: UP045  # None: the anchor painting's training default
    loss: str = "gatys"


@dataclass
class CalibrateConfig:
    """Style-weight probes: ``calibrate(style, cfg.loss, cfg.calibrate)``."""

    content_dir: str = "???"
    photos: int = 4
    size: int = 128
    style_size: int = 256
    steps: int = 30
    min_weight: Optional[float] = None  # noqa: UP045
    max_weight: Optional[float] = None  # noqa: UP045
    per_decade: int = 2
    max_content: Any = "auto"  # auto | a number > 0
    max_style: float = 0.1
    anchor: AnchorConfig = field(default_factory=AnchorConfig)
    cache_dir: Optional[str] = "auto"  # noqa: UP045


SCHEMAS: dict[str, type] = {
    "style": StyleConfig,
    "model": ModelConfig,
    "loss": LossConfig,
    "gatys": GatysConfig,
    "data": DataConfig,
    "calibrate": CalibrateConfig,
}
