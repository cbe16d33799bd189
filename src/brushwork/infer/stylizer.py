"""Inference API: load a trained style network once, then stylize any number of images.

    stylizer = Stylizer("starry_night.pt")                  # or .onnx
    out = stylizer(image, strength=0.8, preserve_color=False, max_size=2048)
    Stylizer("four.pt", style="great_wave")                 # one style of a multi-style model
    Stylizer("four.pt", mix="starry_night=0.7,great_wave=0.3")

Images: float32 RGB in [0, 1], (B, 3, H, W); large ones run in overlapping tiles. A multi-style
``.pt`` collapses to the chosen style or mix when loaded; its ONNX copy takes the mix as an input.
``backend="auto"`` runs a ``.pt`` model through its cached ONNX copy in onnxruntime on CPU when
installed (the fastest CPU path); tiled images run in PyTorch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from brushwork.errors import BrushworkError
from brushwork.infer.choices import (
    AUTO_TILE_PIXELS,
    DEFAULT_OVERLAP,
    DEFAULT_TILE,
    STATS_PIXELS,
    auto_scale,
    check_settings,
    check_strength,
    check_stroke_scale,
    choose,
)
from brushwork.infer.exporters import onnx_stylizer
from brushwork.infer.lite import OnnxStylizer, runs_in_onnxruntime
from brushwork.infer.masks import Area
from brushwork.infer.model_file import load_model, with_style
from brushwork.infer.stable import StableVideo
from brushwork.infer.strokes import stylize_at_scale
from brushwork.infer.tiling import StatsNet, stylize_tiled
from brushwork.io.images import resize
from brushwork.nn.color import transfer_chroma
from brushwork.nn.device import pick_device

_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


class Stylizer:
    """A style network loaded once, callable on images.

    ``model_path``: a ``.pt`` export, or an ``.onnx`` file (onnxruntime: ``brushwork[onnx]``;
    cpu or cuda, fp32, untiled). ``device``: auto, cpu, cuda or mps. ``precision``: fp32, fp16
    (GPU) or bf16. ``tile``: None tiles images over :data:`AUTO_TILE_PIXELS` in
    :data:`DEFAULT_TILE` px tiles; 0 never; N tiles any side over N px. ``threads``: CPU threads
    (process-wide). ``style`` / ``mix``: a multi-style model's choice (brushwork.infer.choices;
    default its first style; ``styles`` lists them, ``mix_note`` says when weights were
    normalised). ``stroke_scale`` S >= 1 or ``auto``: strokes S times larger; ``stroke`` (px): a
    ``strokes=[...]`` model's stroke size. BrushworkError for any bad argument or model file;
    not thread-safe (tiling keeps per-image statistics in the instance).
    """

    def __init__(
        self,
        model_path: str | Path,
        device: str = "auto",
        precision: str = "fp32",
        compile: bool = False,
        tile: int | None = None,
        *,
        overlap: int = DEFAULT_OVERLAP,
        stats_pixels: int = STATS_PIXELS,
        threads: int | None = None,
        channels_last: bool | None = None,
        backend: str = "auto",
        style: str | None = None,
        mix: str | None = None,
        stroke_scale: float | str = 1.0,
        stroke: float | None = None,
    ) -> None:
        check_settings(precision, backend, tile, threads)
        self.stroke_scale = check_stroke_scale(stroke_scale)
        self.model_path = Path(model_path).expanduser()
        self.device = pick_device(device)
        if precision == "fp16" and self.device.type == "cpu":
            raise BrushworkError("precision fp16 needs a GPU; on CPU use bf16 or fp32")
        self.precision, self.tile, self.overlap = precision, tile, overlap
        self.stats_pixels, self.threads = stats_pixels, threads
        if threads:
            torch.set_num_threads(threads)
        self.channels_last = self.device.type == "cuda" if channels_last is None else channels_last
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        self._onnx: OnnxStylizer | None = None  # the ONNX Runtime backend, when it runs there
        self.net: Any = None  # the torch net; _net: the same, compiled with compile=True
        self._net: Any = None
        self._stats: dict[bool, StatsNet] = {}  # tiles' fixed statistics: plain, regions
        self._regions: OnnxStylizer | None = None  # --region in ONNX Runtime
        self._full: tuple[Any, dict] | None = None  # the whole .pt model: ONNX copy, regions
        if self.model_path.suffix.lower() == ".onnx":
            self._open_onnx(backend, style, mix, stroke)
            return
        full, info = load_model(self.model_path, self.device)
        self.styles = [str(st.get("name")) for st in info["styles"]]
        weights, self.style_label, self.mix_note = choose(info["styles"], style, mix, stroke)
        self._full, self._weights = (full, info), weights  # the whole model: ONNX, regions
        net, self.info = with_style(full, info, weights, self.style_label)
        if self.channels_last:
            net = net.to(memory_format=torch.channels_last)
        self.net, self._net = net, torch.compile(net) if compile else net
        self.backend = "torch"
        if runs_in_onnxruntime(self.device.type, precision, backend, compile):
            self._onnx = self._export_onnx(threads)
            self.backend = "onnxruntime"

    def _open_onnx(
        self, backend: str, style: str | None, mix: str | None, stroke: float | None
    ) -> None:
        """An ``.onnx`` model file: ONNX Runtime is its only backend, fp32 its only precision."""
        if backend == "torch":
            raise BrushworkError("an .onnx model runs in onnxruntime: use the .pt for torch")
        if self.precision != "fp32":
            raise BrushworkError("ONNX models run in fp32; use the .pt export for fp16/bf16")
        self._onnx = OnnxStylizer(self.model_path, self.threads, self.device)
        self.mix_note = self._onnx.select(style, mix, stroke)
        self.styles, self.style_label = self._onnx.styles, self._onnx.label
        entries, label = self._onnx.entries, self.style_label
        style = next((e for e in entries if e.get("name") == label), {"name": label})
        self.info: dict[str, Any] = {"style": style, "styles": entries, "meta": self._onnx.meta}
        self.backend = "onnxruntime"

    def _export_onnx(self, threads: int | None) -> OnnxStylizer:
        """The loaded ``.pt`` model in ONNX Runtime (exported once, cached)."""
        if self.precision != "fp32":
            raise BrushworkError(
                "backend onnxruntime runs in fp32; use backend torch for bf16/fp16"
            )
        min_side = self.net.min_side()
        return onnx_stylizer(
            self.model_path, *self._full, self._weights, threads, self.device, min_side
        )

    def tile_size(self, height: int, width: int) -> int | None:
        """The tile side used for an image of this size, or None if it runs in one pass."""
        if self.net is None or self.tile == 0:  # .onnx files run untiled
            return None
        if self.tile is None:
            return DEFAULT_TILE if height * width > AUTO_TILE_PIXELS else None
        return self.tile if max(height, width) > self.tile else None

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "fp32":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=_DTYPES[self.precision])

    def run_onnx(self, x: Tensor) -> Tensor:
        """The net alone in ONNX Runtime (``backend == "onnxruntime"``): (B, 3, H, W) -> same."""
        return torch.from_numpy(self._onnx.run(x.detach().cpu().float().numpy()))  # type: ignore[union-attr]

    @contextlib.contextmanager
    def grain_at(self, origin: tuple[int, int]) -> Iterator[None]:
        """Within the block a net with grain (torch and ONNX alike) reads its noise as if the
        image it is given started at picture px ``origin`` (a window of a video's scene)."""
        onnx = self._onnx
        saved = onnx.origin if onnx is not None else (0, 0)
        if onnx is not None:
            onnx.origin = origin
        try:
            with self.net.grain_at(origin):
                yield
        finally:
            if onnx is not None:
                onnx.origin = saved

    def _run_regions(self, x: Tensor, mix: Tensor) -> Tensor:
        if self._full is None:
            raise BrushworkError("regions need the .pt model, not the .onnx export")
        if mix.shape[-2:] != x.shape[-2:]:  # --stroke-scale: the net sees a smaller copy
            mix = F.interpolate(mix, x.shape[-2:], mode="area")
        if self.backend == "onnxruntime" and self.tile_size(*x.shape[-2:]) is None:
            if self._regions is None:  # the regions graph, exported once and cached
                args = (*self._full, self._weights, self.threads, self.device)
                self._regions = onnx_stylizer(self.model_path, *args, self.net.min_side(), True)
            out = self._regions.run(x.cpu().float().numpy(), mix.cpu().numpy())
            return torch.from_numpy(out).to(self.device)
        return self._run_torch(x, mix)

    def _run_torch(self, x: Tensor, mix: Tensor | None = None) -> Tensor:
        """The net (``mix``: regions, the whole model) on ``x``, in tiles where it needs them."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        tile, regions = self.tile_size(*x.shape[-2:]), mix is not None
        with self._autocast():
            if tile is None:
                return (self._full[0](x, mix) if regions else self._net(x)).float()
            if regions not in self._stats:
                self._stats[regions] = StatsNet(self._full[0] if regions else self.net)
            args = (self.overlap, self.stats_pixels, self.net.multiple, mix)
            return stylize_tiled(self._stats[regions], x, tile, *args).float()

    @torch.inference_mode()
    def __call__(
        self,
        img: Tensor,
        strength: float = 1.0,
        preserve_color: bool = False,
        max_size: int | None = None,
        clip: StableVideo | None = None,
        area: Area | None = None,
    ) -> Tensor:
        """Stylize ``img`` (B, 3, H, W) in [0, 1]; return float32 (B, 3, H, W) on img's device.

        ``max_size``: shrink the long side to at most that first (the output has that size).
        ``strength`` in [0, 1]: a linear blend with the content (0: the input, no net run).
        ``preserve_color``: the content's chroma (YIQ I, Q) with the stylized luminance.
        ``clip`` (brushwork.infer.video.stable_clip): ``img`` is the next frame of that clip.
        ``area`` (brushwork.infer.masks): paint only there, regions in one pass of the net."""
        strength = check_strength(strength)
        if not isinstance(img, Tensor) or img.ndim != 4 or img.shape[1] != 3:
            shape = tuple(img.shape) if isinstance(img, Tensor) else type(img).__name__
            raise BrushworkError(f"expected an image tensor of shape (B, 3, H, W), got {shape}")
        x = img.float()
        if max_size is not None:
            if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
                raise BrushworkError(f"max_size must be a positive integer, got {max_size!r}")
            if max(x.shape[-2:]) > max_size:
                x = resize(x, max_size)
        if strength == 0.0:
            return x.clone()
        xd = x.to(self.device)
        scale = self.stroke_scale
        if scale == "auto":
            scale = auto_scale(*x.shape[-2:], self.info.get("meta", {}).get("train_size"))

        alpha, mix = area.at(*x.shape[-2:]) if area is not None else (None, None)

        def run(t: Tensor) -> Tensor:
            # Tiled images need the PyTorch net (shared instance-norm statistics, see tiling).
            if mix is not None:  # regions: the whole model, one mix per pixel, untiled
                return self._run_regions(t, torch.from_numpy(mix).to(self.device))
            if clip is not None:
                with self._autocast():
                    return clip(t)
            if self._onnx is not None and self.tile_size(*t.shape[-2:]) is None:
                return self.run_onnx(t).to(self.device)
            return self._run_torch(t)

        y = stylize_at_scale(run, xd, scale)
        if preserve_color:
            y = transfer_chroma(y, xd)
        if alpha is not None:
            y = torch.lerp(xd, y, strength * torch.from_numpy(alpha).to(self.device))
        elif strength < 1.0:
            y = torch.lerp(xd, y, strength)
        return y.to(img.device)

    def __repr__(self) -> str:
        return (
            f"Stylizer({str(self.model_path)!r}, device={self.device.type!r}, "
            f"precision={self.precision!r}, backend={self.backend!r}, tile={self.tile})"
        )
