"""Gatys et al. 2015 optimizer: find an image whose VGG19 features keep the content of a photo and the
Gram statistics of one or several paintings.

Speed: the targets are computed once per resolution in inference mode, never per step;
optimisation runs coarse-to-fine (``levels`` > 1 optimises at half, quarter... resolution first and
upsamples the result), because most of the large-scale structure settles on fewer pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm.auto import tqdm

from brushwork.errors import BrushworkError, check_choice
from brushwork.io.images import resize
from brushwork.nn.color import luminance, match_color, match_luminance, transfer_chroma
from brushwork.nn.losses import PerceptualLoss

INITS = ("content", "noise", "style")
OPTIMIZERS = ("lbfgs", "adam")
PRESERVE_COLOR = ("none", "luminance", "match")
PRECISIONS = ("auto", "fp32", "bf16")


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` → bf16 on CUDA and on CPUs with native bf16 (AVX512-BF16/AMX), else fp32."""
    check_choice("gatys.precision", precision, PRECISIONS)
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    native = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    return "bf16" if device.type == "cpu" and native() else "fp32"


PIXEL_SCALE = 255.0
OBJECTIVE_SCALE = 1e6
StepCallback = Callable[[int, int, Tensor, dict[str, float]], None]


def pyramid_sizes(size: int, levels: int, min_size: int = 32) -> list[int]:
    """Longer-side sizes coarse → fine: ``size / 2**k`` for k = levels-1 … 0, never below ``min_size``."""
    sizes = [max(min_size, round(size / 2**k)) for k in range(levels - 1, -1, -1)]
    return sorted(set(sizes[:-1]) - {size}) + [size]


def level_steps(size: int, levels: int, steps: int, coarse_steps: int | None) -> list[int]:
    """Iterations at each level of the pyramid, coarsest first: ``steps`` at full size,
    ``coarse_steps`` (default ``steps``) at each coarser one."""
    sizes = pyramid_sizes(size, levels)
    coarse = steps if coarse_steps is None else coarse_steps
    return [coarse] * (len(sizes) - 1) + [steps]


def _init_image(init: str, content: Tensor, style: Tensor, generator: torch.Generator) -> Tensor:
    if init == "content":
        return content.clone()
    if init == "noise":
        # Noise around the content's mean colour: a pure-noise start wastes iterations on contrast.
        noise = torch.rand(content.shape, generator=generator).to(content)
        return (0.5 * noise + 0.5 * content.mean(dim=(2, 3), keepdim=True)).clamp(0, 1)
    return F.interpolate(style, size=content.shape[-2:], mode="bilinear", antialias=True)


def optimize_image(
    content: Tensor,
    styles: Sequence[Tensor],
    loss: PerceptualLoss,
    *,
    size: int = 512,
    steps: int = 300,
    coarse_steps: int | None = None,
    levels: int = 1,
    optimizer: str = "lbfgs",
    lr: float = 0.02,
    init: str = "content",
    style_scale: float = 1.0,
    preserve_color: str = "none",
    precision: str = "auto",
    progress: bool = True,
    blend: Sequence[float] | None = None,
    seed: int | None = 0,
    callback: StepCallback | None = None,
) -> Tensor:
    """Optimise an image; returns (1, 3, H, W) in [0,1] with the longer side ``size``.

    The keyword arguments from ``size`` to ``progress`` are the fields of the ``gatys`` config
    (:class:`brushwork.config.schema.GatysConfig`): ``optimize_image(c, s, loss, **cfg.gatys)``.

    content: (1, 3, H, W) RGB in [0,1], any size (resized here). styles: list of (1, 3, h, w) RGB.
    steps: iterations at full resolution; coarse_steps: iterations at each coarser level (default
    ``steps``). style_scale: the style image's longer side relative to the content's at each level.
    callback(level, step, image, terms) runs after every iteration (intermediate saves, logging).
    precision: VGG's convolutions under bf16 autocast (faster on a CPU with AVX512-BF16 and on
    GPUs); the Gram matrices, the loss and the image stay fp32.
    """
    _check(optimizer, init, preserve_color, size, steps, levels, coarse_steps, style_scale)
    generator = torch.Generator().manual_seed(seed if seed is not None else torch.seed())
    device = loss.device
    amp = resolve_precision(precision, device) == "bf16"
    content, styles = content.to(device), [s.to(device) for s in styles]
    sizes = pyramid_sizes(size, levels)
    loss.vgg.to(memory_format=torch.channels_last)
    x = None
    for level, (level_size, n_steps) in enumerate(
        zip(sizes, level_steps(size, levels, steps, coarse_steps), strict=True)
    ):
        c, s = _level_images(content, styles, level_size, style_scale, preserve_color)
        loss.set_styles(s, blend=[1.0] * len(s) if blend is None else blend)
        targets = loss.content_targets(c)
        if x is None:
            x = _init_image(init, c, s[0], generator)
        else:  # coarse-to-fine: the previous level's result, upsampled, is the start here
            x = F.interpolate(x, size=c.shape[-2:], mode="bicubic", align_corners=False).clamp(0, 1)
        if preserve_color == "luminance":
            x = luminance(x)
        x = _optimize(
            x, loss, targets, n_steps, optimizer, lr, level, len(sizes), amp, progress, callback
        )
    assert x is not None
    x = x.clamp(0, 1)
    if preserve_color == "luminance":
        x = transfer_chroma(x, resize(content, size))
    return x


def _level_images(
    content: Tensor, styles: list[Tensor], size: int, style_scale: float, preserve_color: str
) -> tuple[Tensor, list[Tensor]]:
    """The photo and the paintings one pyramid level optimises at (longer side ``size``), with
    the colour handling of ``preserve_color``."""
    c = resize(content, size)
    s = [resize(im, max(16, round(style_scale * size))) for im in styles]
    if preserve_color == "luminance":
        return luminance(c), [match_luminance(im, c) for im in s]
    if preserve_color == "match":
        s = [match_color(im, c) for im in s]
    return c, s


def _check(
    optimizer: str,
    init: str,
    preserve_color: str,
    size: int,
    steps: int,
    levels: int,
    coarse_steps: int | None,
    style_scale: float,
) -> None:
    """BrushworkError, in one line, for any setting :func:`optimize_image` cannot take."""
    check_choice("gatys.optimizer", optimizer, OPTIMIZERS)
    check_choice("gatys.init", init, INITS)
    check_choice("gatys.preserve_color", preserve_color, PRESERVE_COLOR)
    for name, v in (("size", size), ("steps", steps), ("levels", levels)):
        if v <= 0:
            raise BrushworkError(f"gatys.{name} must be positive, got {v}")
    if coarse_steps is not None and coarse_steps < 0:
        raise BrushworkError(f"gatys.coarse_steps must be >= 0, got {coarse_steps}")
    if style_scale <= 0:
        raise BrushworkError(f"style_scale must be positive, got {style_scale}")


def from_photo(
    content: Tensor,
    painting: Tensor,
    loss: PerceptualLoss,
    style_size: int,
    steps: int,
    progress: bool = False,
    callback: StepCallback | None = None,
) -> Tensor:
    """Gatys as evaluation and calibration run it: L-BFGS from the photo ``content``
    (1, 3, H, W) at its own size, one level, the painting with its longer side ``style_size``;
    returns (1, 3, H, W) in [0,1]."""
    size = max(content.shape[-2:])
    return optimize_image(
        content,
        [painting],
        loss,
        size=size,
        steps=steps,
        levels=1,
        init="content",
        style_scale=style_size / size,
        progress=progress,
        callback=callback,
    )


def _optimize(
    x: Tensor,
    loss: PerceptualLoss,
    targets: dict[str, Tensor],
    steps: int,
    optimizer: str,
    lr: float,
    level: int,
    n_levels: int,
    amp: bool,
    progress: bool,
    callback: StepCallback | None,
) -> Tensor:
    # Optimise in 0–255 pixel units: L-BFGS's first step (1/|g|₁) and its early curvature estimates
    # are badly scaled in [0,1] units (it diverges there), and well behaved in the Caffe scale.
    p = (x.detach() * PIXEL_SCALE).contiguous().requires_grad_(True)
    if optimizer == "lbfgs":
        # One function evaluation per step() so that progress and callbacks see every iteration;
        # LBFGS keeps its curvature history in its state across calls.
        opt: torch.optim.Optimizer = torch.optim.LBFGS(
            [p], lr=1.0, max_iter=1, history_size=100, tolerance_grad=-1, tolerance_change=-1
        )
    else:
        opt = torch.optim.Adam([p], lr=lr * PIXEL_SCALE)
    terms: dict[str, float] = {}
    objective_scale: dict[str, float] = {}

    def closure() -> Tensor:
        opt.zero_grad(set_to_none=True)
        # channels_last speeds VGG's convolutions up (oneDNN on CPU, tensor cores on GPU); the
        # parameter itself stays contiguous because L-BFGS flattens it with .view(-1).
        x = (p / PIXEL_SCALE).contiguous(memory_format=torch.channels_last)
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=amp):
            out = loss(x, content_targets=targets)
        # L-BFGS's curvature test (y·s > 1e-10) is absolute: a loss of order 1 (normalize=True)
        # never passes it and the optimizer stalls. Rescale the objective it sees so the first
        # loss is ~1e6 (the raw caffe-scale regime); L-BFGS directions are invariant to this.
        if "scale" not in objective_scale:
            objective_scale["scale"] = OBJECTIVE_SCALE / max(out["total"].item(), 1e-12)
        (out["total"] * objective_scale["scale"]).backward()
        terms.update({k: v.item() for k, v in out.items()})
        return out["total"] * objective_scale["scale"]

    h, w = x.shape[-2:]
    desc = f"gatys {w}x{h}" + (f" [{level + 1}/{n_levels}]" if n_levels > 1 else "")
    bar = tqdm(range(steps), desc=desc, disable=not progress, leave=level == n_levels - 1)
    for step in bar:
        opt.step(closure)
        if optimizer == "adam":
            with torch.no_grad():
                p.clamp_(0, PIXEL_SCALE)
        bar.set_postfix({k: f"{v:.3g}" for k, v in terms.items()}, refresh=False)
        if callback is not None:
            callback(level, step, p.detach() / PIXEL_SCALE, dict(terms))
    bar.close()
    return p.detach() / PIXEL_SCALE
