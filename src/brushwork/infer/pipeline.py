"""What ``brushwork stylize`` runs: one interface over the two inference paths, and the loop over
many files.

:class:`LiteEngine` (numpy, the cached ONNX graph, no torch; hands an image that needs tiling to a
:class:`TorchEngine` made on first need) and :class:`TorchEngine` (the Stylizer). Both read and
write the same pixels. Images are (1, 3, H, W) in [0, 1]; ``stylize`` maps a list of same-size
images. :func:`stylize_files` runs an engine over files: decode ahead, save behind, one progress
bar.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from brushwork.errors import BrushworkError
from brushwork.infer.lite import OnnxStylizer, fast_stylizer, regions_stylizer
from brushwork.infer.masks import Area, blend
from brushwork.io.images import read_array, resize_array, transfer_chroma_array, write_array


class LiteEngine:
    """The torch-free path; ``fallback()`` builds a TorchEngine for images it cannot take."""

    device = "cpu"

    def __init__(
        self,
        net: OnnxStylizer,
        fallback: Callable[[], TorchEngine],
        tile: int | None,
        regions: Callable[[], OnnxStylizer | None] = lambda: None,
    ):
        self.net, self._fallback, self._torch = net, fallback, None
        self._regions, self._regions_net = regions, None  # the regions graph, opened on need
        # tile=None: images over the limit are tiled by torch; tile=0: nothing is ever tiled.
        self.limit = net.untiled_pixels if tile is None else None
        self.backend = net.backend

    def load(self, path: Path, max_size: int | None) -> np.ndarray:
        img = read_array(path)
        return resize_array(img, max_size) if max_size and max(img.shape[-2:]) > max_size else img

    @property
    def styles(self) -> list[str]:
        return list(self.net.styles)

    def stylize(
        self, images: list[Any], strength: float, preserve_color: bool, area: Area | None = None
    ) -> list[Any]:
        h, w = images[0].shape[-2:]
        alpha, mix = area.at(h, w) if area is not None else (None, None)
        if mix is not None and self._regions_net is None:
            self._regions_net = self._regions()
        tiled = self.limit is not None and h * w > self.limit
        if tiled or (mix is not None and self._regions_net is None):
            # Tiles, and regions without their graph (not cached yet), run in PyTorch.
            if self._torch is None:
                self._torch = self._fallback()
            return self._torch.stylize(images, strength, preserve_color, area)  # arrays out
        x = np.concatenate(images)
        if mix is not None:  # regions: one pass of the graph with a mix per pixel
            out = self._regions_net.run(x, mix)
            out = transfer_chroma_array(out, x) if preserve_color else out
        else:
            out = self.net(x, strength if alpha is None else 1.0, preserve_color)
        if alpha is not None:  # the painting shows where the mask is white
            out = blend(x, out, strength * alpha)
        return [out[k : k + 1] for k in range(len(images))]

    def save(self, img: Any, dst: Path) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        write_array(np.asarray(img), dst)


class TorchEngine:
    """The torch path around a :class:`brushwork.infer.stylizer.Stylizer`."""

    def __init__(self, stylizer: Any) -> None:
        self.stylizer = stylizer
        self.device, self.backend = stylizer.device.type, stylizer.backend

    def load(self, path: Path, max_size: int | None) -> Any:
        from brushwork.io.images import load_image, resize

        img = load_image(path)
        return resize(img, max_size) if max_size and max(img.shape[-2:]) > max_size else img

    @property
    def styles(self) -> list[str]:
        return list(self.stylizer.styles)

    def stylize(
        self, images: list[Any], strength: float, preserve_color: bool, area: Area | None = None
    ) -> list[Any]:
        """Tensors in, tensors out; numpy arrays (the lite path's images) in, arrays out."""
        import torch

        arrays = isinstance(images[0], np.ndarray)
        if arrays:
            images = [torch.from_numpy(np.ascontiguousarray(i)) for i in images]
        out = self.stylizer(torch.cat(images), strength, preserve_color, area=area)
        outs = [out[k : k + 1].clone() for k in range(len(images))]
        return [o.numpy() for o in outs] if arrays else outs

    def save(self, img: Any, dst: Path) -> None:
        from brushwork.io.images import save_image

        dst.parent.mkdir(parents=True, exist_ok=True)
        save_image(img, dst)


def choose_engine(
    model: str | Path,
    torch_stylizer: Callable[..., Any],
    *,
    device: str = "auto",
    precision: str = "fp32",
    backend: str = "auto",
    compile: bool = False,
    threads: int | None = None,
    tile: int | None = None,
    stroke_scale: float | str = 1.0,
    style: str | None = None,
    mix: str | None = None,
    stroke: float | None = None,
) -> tuple[LiteEngine | TorchEngine, str | None]:
    """The one place the backend is chosen for ``model`` with these settings: the torch-free
    engine (:class:`LiteEngine`, the ONNX graph in onnxruntime) on CPU in fp32 for a model
    whose graph is shipped or cached, no fixed tile size and no stroke scale (its guided
    upsampling is torch); else ``torch_stylizer()`` (a :class:`brushwork.infer.stylizer.Stylizer`
    made with the same settings, which may itself run onnxruntime). The lite engine hands what
    it cannot take (tiles, regions without their graph) to ``torch_stylizer(quiet=True)``.
    Also the note when mix weights were normalised (the torch path reports its own)."""
    lite = None
    if tile in (None, 0) and stroke_scale in (1.0, "1"):
        lite = fast_stylizer(model, device, precision, backend, compile, threads)
    if lite is None:
        return TorchEngine(torch_stylizer()), None
    note = lite.select(style, mix, stroke)
    fallback = lambda: TorchEngine(torch_stylizer(quiet=True))  # noqa: E731
    regions = partial(regions_stylizer, model, threads)  # the regions graph, opened on need
    return LiteEngine(lite, fallback, tile, regions), note


def _decoded(
    loads: deque, batch: int, single: bool, skipped: list, bar: Any, refill: Callable[[], None]
) -> list[tuple[Path, Path, Any]]:
    """Up to ``batch`` decoded inputs off the front of ``loads`` (refilled as they go); an
    unreadable one is skipped with a warning, or raised when it is the only input."""
    group: list[tuple[Path, Path, Any]] = []
    while loads and len(group) < batch:
        src, dst, fut = loads.popleft()
        try:
            group.append((src, dst, fut.result()))
        except BrushworkError as e:
            if single:
                raise
            skipped.append({"input": str(src), "error": str(e)})
            bar.write(f"warning: skipped {src}: {e}", file=sys.stderr)
            bar.update()
        refill()
    return group


def stylize_files(
    engine: Any,
    jobs: list[tuple[Path, Path]],
    *,
    batch: int = 1,
    max_size: int | None = None,
    strength: float = 1.0,
    preserve_color: bool = False,
    progress: bool = True,
    single: bool = False,
    area: Any = None,
) -> dict[str, Any]:
    """Stylize each ``(input, output)`` of ``jobs`` with ``engine`` (:func:`choose_engine`),
    ``batch`` same-size images per forward pass, decoding ahead and saving behind on a thread
    pool. Unreadable inputs raise when ``single``, else are skipped with a warning. Returns the
    report: counts, seconds and one entry per written file. ``area`` (brushwork.infer.masks):
    where each image is painted."""
    results: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    start = time.perf_counter()
    bar = tqdm(total=len(jobs), unit="img", disable=not progress or len(jobs) < 2, file=sys.stderr)
    with ThreadPoolExecutor(max_workers=2) as pool, bar:
        ahead = max(2, 2 * batch)
        loads: deque[tuple[Path, Path, Future]] = deque()  # decoded ahead, saved behind
        saves: deque[Future] = deque()
        queue = iter(jobs)

        def refill() -> None:
            for src, dst in queue:
                loads.append((src, dst, pool.submit(engine.load, src, max_size)))
                if len(loads) >= ahead:
                    return

        refill()
        while loads:
            group_in = _decoded(loads, batch, single, skipped, bar, refill)
            for shape in dict.fromkeys(tuple(img.shape) for _, _, img in group_in):
                group = [(s, d, img) for s, d, img in group_in if tuple(img.shape) == shape]
                t0 = time.perf_counter()
                out = engine.stylize([img for _, _, img in group], strength, preserve_color, area)
                seconds = round((time.perf_counter() - t0) / len(group), 4)
                h, w = shape[-2:]
                for k, (src, dst, _) in enumerate(group):
                    saves.append(pool.submit(engine.save, out[k], dst))
                    results.append(
                        {"input": str(src), "output": str(dst), "width": w, "height": h}
                        | {"seconds": seconds}
                    )
                    bar.update()
            while len(saves) > ahead:
                saves.popleft().result()
        for fut in saves:
            fut.result()
    return _report(results, skipped, len(jobs), time.perf_counter() - start)


def _report(results: list[dict], skipped: list[dict], n_jobs: int, seconds: float) -> dict:
    if not results:
        raise BrushworkError(f"none of the {n_jobs} input images could be read")
    mp = sum(r["width"] * r["height"] for r in results) / 1e6
    return {
        "images": len(results),
        "megapixels": round(mp, 3),
        "skipped": skipped,
        "seconds": round(seconds, 3),
        "files": results,
    }
