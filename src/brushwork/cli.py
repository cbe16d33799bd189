"""Glue between Hydra configs and the library: choices checked up front, styles and losses built from
config nodes, and the Gatys command. Entry-point scripts stay thin and call into here."""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf

from brushwork.assets import resolve_style_image
from brushwork.errors import BrushworkError
from brushwork.images import check_writable, load_image, save_image
from brushwork.losses import PerceptualLoss

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
GROUPS = ("style", "loss", "model", "data", "trainer", "logger")


def group_choices(group: str, config_dir: Path = CONFIG_DIR) -> list[str]:
    """Names of the configs in a Hydra group folder (``configs/<group>/*.yaml``)."""
    return sorted(p.stem for p in (config_dir / group).glob("*.yaml"))


def check_choices(argv: list[str], config_dir: Path = CONFIG_DIR) -> None:
    """Fail in one line on ``group=unknown`` overrides before Hydra prints its multi-line error."""
    for arg in argv:
        key, sep, value = arg.partition("=")
        key = key.lstrip("+~")
        if not sep or key not in GROUPS or not (config_dir / key).is_dir():
            continue
        known = group_choices(key, config_dir)
        for choice in value.split(","):  # multirun: style=a,b
            if choice and choice not in known:
                raise BrushworkError(f"unknown {key} {choice!r}; known: {', '.join(known)}")


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` → cuda, else mps, else cpu; an explicit device that is absent is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError as e:
        raise BrushworkError(f"unknown device {name!r}; use auto, cpu, cuda or mps") from e
    if device.type == "cuda" and not torch.cuda.is_available():
        raise BrushworkError("device=cuda requested but no CUDA GPU is available")
    return device


def style_config(name_or_path: str) -> DictConfig:
    """A style config by name (``configs/style/<name>.yaml``) or an ad-hoc one for an image path."""
    file = CONFIG_DIR / "style" / f"{name_or_path}.yaml"
    if file.is_file():
        return OmegaConf.load(file)
    if Path(name_or_path).suffix:
        return OmegaConf.create(
            {"name": Path(name_or_path).stem, "image": name_or_path, "weight": 1}
        )
    known = ", ".join(group_choices("style"))
    raise BrushworkError(f"unknown style {name_or_path!r}; known: {known} (or give an image path)")


def load_style_images(styles: list[DictConfig], size: int | None = None) -> list[torch.Tensor]:
    """Load each style's image (downloading a shipped style if missing), (1, 3, H, W) in [0,1]."""
    return [load_image(resolve_style_image(s.image, s.get("url")), size) for s in styles]


def build_loss(loss_cfg: DictConfig, style_weight_scale: float = 1.0) -> PerceptualLoss:
    """PerceptualLoss from a ``loss`` config node; ``style_weight_scale`` is the style's own factor."""
    return PerceptualLoss(
        content_layers=list(loss_cfg.content_layers),
        style_layers=list(loss_cfg.style_layers),
        content_weight=float(loss_cfg.content_weight),
        style_weight=float(loss_cfg.style_weight) * float(style_weight_scale),
        tv_weight=float(loss_cfg.tv_weight),
        content_layer_weights=loss_cfg.get("content_layer_weights"),
        style_layer_weights=loss_cfg.get("style_layer_weights"),
        weights=str(loss_cfg.get("vgg", "caffe")),
        pooling=str(loss_cfg.get("pooling", "max")),
        normalize=bool(loss_cfg.get("normalize", False)),
    )


def gatys_options(cfg: DictConfig) -> dict:
    """``brushwork.gatys.stylize`` keyword arguments from ``cfg.gatys`` (+ ``cfg.blend``, ``cfg.seed``),
    shared by scripts/gatys.py and scripts/make_targets.py."""
    g = cfg.gatys
    return {
        "size": int(g.size),
        "steps": int(g.steps),
        "coarse_steps": None if g.get("coarse_steps") is None else int(g.coarse_steps),
        "levels": int(g.levels),
        "optimizer": str(g.optimizer),
        "lr": float(g.lr),
        "init": str(g.init),
        "style_scale": float(g.style_scale),
        "blend": list(cfg.blend) if cfg.get("blend") else None,
        "preserve_color": str(g.preserve_color),
        "seed": int(cfg.seed),
        "precision": str(g.get("precision", "auto")),
    }


def _required(cfg: DictConfig, key: str, hint: str) -> str:
    if OmegaConf.is_missing(cfg, key) or not cfg[key]:
        raise BrushworkError(f"{key}= is required ({hint})")
    return str(cfg[key])


def run_gatys(cfg: DictConfig) -> Path:
    """``scripts/gatys.py``: stylize ``cfg.content`` with ``cfg.style`` (+ ``cfg.mix``) into ``cfg.output``."""
    from brushwork.gatys import stylize

    content_path = _required(cfg, "content", "content=path/to/photo.jpg")
    output = check_writable(_required(cfg, "output", "output=path/to/result.png"))
    g = cfg.gatys
    styles = [cfg.style] + [style_config(str(m)) for m in cfg.get("mix") or []]
    device = pick_device(cfg.get("device", "auto"))
    torch.manual_seed(int(cfg.seed))
    content = load_image(content_path)
    style_images = load_style_images(styles)
    loss = build_loss(cfg.loss, float(cfg.style.get("weight", 1.0))).to(device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    save_every = int(g.get("save_every", 0))

    def on_step(level: int, step: int, image: torch.Tensor, terms: dict[str, float]) -> None:
        if save_every and (step + 1) % save_every == 0:
            save_image(
                image.clamp(0, 1), output.with_name(f"{output.stem}_L{level}_{step + 1:04d}.png")
            )

    result = stylize(
        content,
        style_images,
        loss,
        **gatys_options(cfg),
        progress=bool(g.get("progress", True)),
        callback=on_step if save_every else None,
    )
    save_image(result, output)
    print(f"wrote {output} ({result.shape[-1]}x{result.shape[-2]})")
    return output
