"""Perceptual loss of Gatys et al. 2015 / Johnson et al. 2016, shared by the optimizer and the trainer.

Images: float RGB in [0,1], (B, 3, H, W). Terms, each reported after its weight:

* content = content_weight · Σ_l a_l · mean((F_l(x) − F_l(c))²)
* style   = style_weight · Σ_l b_l · Σ_ij (G_l(x) − G̃_l)²_ij, batch-averaged, with the fp32 Gram
  G = F Fᵀ / (C·H·W) (size-independent) and G̃_l the blend of the style images' Grams; several
  styles at once (:meth:`PerceptualLoss.set_styles`) give each image its style's target and factor.
* tv      = tv_weight · (mean |∂x/∂i| + mean |∂x/∂j|)

``normalize=True`` makes both feature terms relative errors (content MSE / mean(F_l(c)²), Gram
distance / ‖G̃_l‖²): ~1 when completely off at any layer, so the weights are ratios (~1–10)
instead of the raw terms' ~1e-5.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brushwork.errors import BrushworkError
from brushwork.nn.terms import gram_matrix, total_variation
from brushwork.nn.vgg import VGG19Features, check_layers, layer_channels


def _layer_weights(layers: list[str], weights: Sequence[float] | None, kind: str) -> list[float]:
    if weights is None:
        return [1.0] * len(layers)
    weights = [float(w) for w in weights]
    if len(weights) != len(layers):
        raise BrushworkError(
            f"{kind}_layer_weights has {len(weights)} entries but {kind}_layers has {len(layers)}"
        )
    return weights


class PerceptualLoss(nn.Module):
    """Content + style + total-variation loss on VGG19 features.

    :meth:`set_styles` once, then ``loss(x, content=c)`` (trainer) or ``loss(x,
    content_targets=loss.content_targets(c))`` (optimizer: targets once) returns ``{"content",
    "style", "tv", "total"}`` scalar tensors, each already weighted. ``temporal_*``: the video
    stability term of :meth:`stability` (Gupta et al. 2017; how far and how noisy the moved copy
    is: brushwork.train.photos.shifted_pair), which the trainer adds."""

    def __init__(
        self,
        content_layers: Sequence[str] = ("relu4_2",),
        style_layers: Sequence[str] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
        content_weight: float = 1.0,
        style_weight: float = 1e-5,
        tv_weight: float = 0.0,
        content_layer_weights: Sequence[float] | None = None,
        style_layer_weights: Sequence[float] | None = None,
        vgg: str = "caffe",
        pooling: str = "max",
        normalize: bool = False,
        temporal_weight: float = 0.0,
        temporal_shift: int = 8,
        temporal_noise: float = 0.02,
    ) -> None:
        super().__init__()
        try:  # the config allows "auto" (calibrated by the trainer); here it must be a number
            style_weight = float(style_weight)
        except (TypeError, ValueError):
            raise BrushworkError(f"style_weight must be a number, got {style_weight!r}") from None
        self.content_layers = check_layers(content_layers) if content_weight else []
        self.style_layers = check_layers(style_layers) if style_weight else []
        numbers = {"content_weight": content_weight, "style_weight": style_weight}
        numbers |= {"tv_weight": tv_weight, "temporal_weight": temporal_weight}
        numbers |= {"temporal_shift": temporal_shift, "temporal_noise": temporal_noise}
        for name, w in numbers.items():
            if w < 0:
                raise BrushworkError(f"{name} must be >= 0, got {w}")
        self.temporal_weight, self.temporal_shift = temporal_weight, temporal_shift
        self.temporal_noise = temporal_noise
        self.content_weight, self.style_weight = content_weight, style_weight
        self.tv_weight = tv_weight
        self.content_layer_weights = _layer_weights(
            self.content_layers, content_layer_weights if content_weight else None, "content"
        )
        self.style_layer_weights = _layer_weights(
            self.style_layers, style_layer_weights if style_weight else None, "style"
        )
        layers = list(dict.fromkeys(self.content_layers + self.style_layers))
        self.vgg = VGG19Features(layers or ["relu1_1"], weights=vgg, pooling=pooling)
        self.normalize = normalize
        # The style targets are persistent buffers (a few MB): a training checkpoint carries them
        # and resumes without the painting. Zeros until set_styles; ``has_style`` says whether set.
        for name in self.style_layers:
            c = layer_channels(name)
            self.register_buffer(f"gram_{name}", torch.zeros(1, c, c))
        self.register_buffer("has_style", torch.zeros((), dtype=torch.bool))
        # Per-style factors of style_weight (one per target; several with set_styles).
        self.register_buffer("style_factors", torch.ones(1))
        # Mirrors of the buffers, set when the targets are: no recomputation in every forward.
        self._style_set = False
        self._style_scale: dict[str, Tensor] = {}  # (N,) 1 / ‖G̃_l‖²_F with normalize, else 1

    @property
    def n_styles(self) -> int:
        """How many style targets the loss holds (1 unless :meth:`set_styles` gave several)."""
        return int(self.style_factors.numel())

    @property
    def style_grams(self) -> dict[str, Tensor]:
        """Target Gram per style layer, (N, C, C) fp32; empty until :meth:`set_styles`."""
        if not self._style_set:
            return {}
        return {n: getattr(self, f"gram_{n}") for n in self.style_layers}

    @property
    def device(self) -> torch.device:
        return self.vgg.mean.device

    @torch.inference_mode()
    def _style_grams_of(self, image: Tensor) -> dict[str, Tensor]:
        feats = self.vgg(image.to(self.device))
        return {n: gram_matrix(feats[n]).mean(0, keepdim=True) for n in self.style_layers}

    def set_styles(
        self,
        images: Sequence[Tensor],
        factors: Sequence[float] | None = None,
        blend: Sequence[float] | None = None,
    ) -> None:
        """The style targets, from paintings (each (1, 3, H, W) in [0,1]), computed once: one
        per image, for nets that hold several styles (``forward(..., styles=ids)`` compares
        image b with style ``ids[b]``; ``factors``, one per style, > 0, default 1, multiply
        ``style_weight`` for that style's images); or with ``blend`` (one non-negative weight
        per image) one target, the weighted mean of their Grams (Gatys's style mixing)."""
        images = list(images)
        if not images:
            raise BrushworkError("at least one style image is needed")
        grams = [self._style_grams_of(image) for image in images]
        if blend is not None:
            blend = [float(b) for b in blend]
            if len(blend) != len(images) or any(b < 0 for b in blend) or sum(blend) <= 0:
                raise BrushworkError(
                    f"style blend weights must be {len(images)} non-negative numbers, got {blend}"
                )
            shares = [b / sum(blend) for b in blend]
            grams = [
                {n: sum(w * g[n] for w, g in zip(shares, grams, strict=True)) for n in grams[0]}
            ]
        factors = [1.0] * len(grams) if factors is None else [float(f) for f in factors]
        if len(factors) != len(grams) or any(f <= 0 for f in factors):
            raise BrushworkError(
                f"need one positive weight factor per style, got {len(grams)} styles and "
                f"factors {factors}"
            )
        self._store({n: [g[n] for g in grams] for n in self.style_layers}, factors)

    def _store(self, grams: dict[str, list[Tensor]], factors: list[float]) -> None:
        for name, gs in grams.items():
            # Clone out of inference mode so the targets can enter autograd graphs.
            setattr(self, f"gram_{name}", torch.cat(gs).clone())  # (N, C, C)
        self.style_factors = torch.tensor(factors, device=self.device)
        self.has_style.fill_(True)
        self._targets_set()

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # A checkpoint of a multi-style training holds (N, C, C) targets: take its shapes.
        for name in [*(f"gram_{n}" for n in self.style_layers), "style_factors"]:
            saved = state_dict.get(prefix + name)
            if saved is not None and saved.shape != getattr(self, name).shape:
                setattr(self, name, torch.empty_like(saved, device=self.device))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._targets_set()  # targets restored from a checkpoint

    def _targets_set(self) -> None:
        self._style_set = bool(self.has_style)
        for name in self.style_layers:
            g = getattr(self, f"gram_{name}")
            norm = g.square().sum(dim=(1, 2)).clamp_min(1e-12)  # (N,)
            self._style_scale[name] = 1.0 / norm if self.normalize else torch.ones_like(norm)

    def content_targets(self, content: Tensor) -> dict[str, Tensor]:
        """Content-layer features of ``content`` (B, 3, H, W), computed once without autograd
        (cloned out of inference mode, so they can enter autograd graphs)."""
        with torch.inference_mode():
            feats = self.vgg(content)
        return {n: feats[n].clone() for n in self.content_layers}

    def forward(
        self,
        x: Tensor,
        content: Tensor | None = None,
        content_targets: dict[str, Tensor] | None = None,
        styles: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """The weighted terms for ``x`` (B, 3, H, W). ``styles``: (B,) indices of each image's
        style target, needed when the loss holds several (:meth:`set_styles`)."""
        if self.style_layers and not self.style_grams:
            raise RuntimeError("PerceptualLoss.set_styles() must be called before the loss")
        if styles is None:
            if self.style_layers and self.n_styles > 1:
                raise ValueError(f"the loss holds {self.n_styles} styles: pass styles=")
            styles = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        if self.content_layers and content_targets is None:
            if content is None:
                raise ValueError("pass content= or content_targets=")
            with torch.no_grad():
                content_targets = {n: f for n, f in self.vgg(content).items()}
        if content is not None and content.shape != x.shape:
            raise ValueError(f"content {tuple(content.shape)} and image {tuple(x.shape)} differ")
        feats = self.vgg(x)
        zero = x.new_zeros((), dtype=torch.float32)
        c_loss, s_loss = zero, zero
        for name, a in zip(self.content_layers, self.content_layer_weights, strict=True):
            target = content_targets[name].float()
            mse = F.mse_loss(feats[name].float(), target)
            if self.normalize:
                mse = mse / target.square().mean().clamp_min(1e-12)
            c_loss = c_loss + a * mse
        per_image = x.new_zeros(x.shape[0], dtype=torch.float32)
        for name, b in zip(self.style_layers, self.style_layer_weights, strict=True):
            target = getattr(self, f"gram_{name}")
            target = target if self.n_styles == 1 else target[styles]  # (1 or B, C, C)
            diff = gram_matrix(feats[name]) - target  # (B, C, C)
            scale = self._style_scale[name][styles]  # (B,)
            per_image = per_image + b * scale * diff.square().sum(dim=(1, 2))
        if self.style_layers:
            s_loss = (self.style_factors[styles] * per_image).mean()
        tv = total_variation(x.float()) if self.tv_weight else zero
        terms = {
            "content": self.content_weight * c_loss,
            "style": self.style_weight * s_loss,
            "tv": self.tv_weight * tv,
        }
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        return terms

    def stability(self, out: Tensor, moved_out: Tensor, shift: tuple[int, int]) -> Tensor:
        """The weighted stability term: mean squared difference between ``out`` (B, 3, H, W), the
        net's output for a batch, and ``moved_out``, its output for the batch moved by ``shift``
        = (dy, dx) and noised (train.photos.shifted_pair), once the motion is undone. 0 for a net
        whose output moves with its input and ignores the noise."""
        dy, dx = shift
        return self.temporal_weight * F.mse_loss(out[..., dy:, dx:].float(), moved_out.float())
