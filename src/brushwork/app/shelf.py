"""The model files of a folder, each loaded once, behind one numpy interface.

A ``.pt`` export whose ONNX copy is cached (or an ``.onnx`` file) runs in onnxruntime without
torch (brushwork.infer.lite); otherwise the torch Stylizer loads it, and caches the ONNX copy for
the next start. Images are float32 (1, 3, H, W) arrays in [0, 1].
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from brushwork.errors import BrushworkError
from brushwork.infer.pipeline import choose_engine

SUFFIXES = (".pt", ".onnx")


@dataclass
class Result:
    image: np.ndarray  # (1, 3, H, W) in [0, 1]
    seconds: float
    backend: str


class Loaded:
    """One model file, fixed to one of its styles (None: its first)."""

    def __init__(self, path: Path, style: str | None, device: str, threads: int | None) -> None:
        self.lock = threading.Lock()  # onnxruntime sessions are thread-safe; the Stylizer is not

        def torch_stylizer(quiet: bool = False) -> Any:
            from brushwork.infer.stylizer import Stylizer  # imports torch (~1.6 s)

            return Stylizer(path, device, threads=threads, style=style)

        self.engine, _ = choose_engine(
            path, torch_stylizer, device=device, threads=threads, style=style
        )
        self.styles = self.engine.styles

    def __call__(
        self, img: np.ndarray, strength: float, preserve_color: bool, area: Any = None
    ) -> Result:
        """``img`` painted; ``area`` (brushwork.infer.masks): only where it says."""
        start = time.perf_counter()
        with self.lock:
            image = self.engine.stylize([img], strength, preserve_color, area)[0]
            return Result(image, time.perf_counter() - start, self.engine.backend)


def _graph_of(onnx: Path) -> Path:
    """The ``.pt`` whose graph ``onnx`` would be: ``m.onnx`` and ``m.regions.onnx`` of ``m.pt``."""
    return onnx.with_name(onnx.name.removesuffix(".onnx").removesuffix(".regions") + ".pt")


class Shelf:
    """The ``.pt`` / ``.onnx`` model files under ``folders`` (one or several, searched
    recursively), by label (their path relative to their folder). An ``.onnx`` beside a ``.pt``
    of the same name (or ``NAME.regions.onnx``) is that model's graph, not another model. Raises BrushworkError if a folder
    is missing or none holds a model."""

    def __init__(
        self,
        folders: str | Path | list[str | Path],
        device: str = "auto",
        threads: int | None = None,
    ):
        many = folders if isinstance(folders, list) else [folders]
        self.folders = [Path(f).expanduser() for f in many]
        self.paths: dict[str, Path] = {}
        for folder in self.folders:
            if not folder.is_dir():
                raise BrushworkError(f"models folder not found: {folder}")
            found = {p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()}
            found -= {p for p in found if p.suffix == ".onnx" and _graph_of(p) in found}
            self.paths |= {p.relative_to(folder).as_posix(): p for p in sorted(found)}
        if not self.paths:
            raise BrushworkError(
                f"no model files (.pt, .onnx) in {', '.join(map(str, self.folders))}: train one "
                "(python train.py style=starry_night) or pass --models DIR"
            )
        self.folder = self.folders[0]
        self.device, self.threads = device, threads
        self._loaded: dict[tuple[str, str | None], Loaded] = {}
        self._lock = threading.Lock()

    @property
    def labels(self) -> list[str]:
        return list(self.paths)

    def get(self, label: str, style: str | None = None) -> Loaded:
        """The model ``label`` fixed to ``style``, loaded on first use."""
        if label not in self.paths:
            raise BrushworkError(
                f"unknown model {label!r}; the folder has: {', '.join(self.paths)}"
            )
        key = (label, style or None)
        with self._lock:  # two requests for one model load it once
            if key not in self._loaded:
                self._loaded[key] = Loaded(self.paths[label], style, self.device, self.threads)
            return self._loaded[key]

    def styles(self, label: str) -> list[str]:
        """The styles of model ``label`` in order (one entry for a single-style model)."""
        return self.get(label).styles

    def entries(self) -> list[str]:
        """Every model, and every style of a multi-style one, as ``label`` or ``label · style``;
        models that do not load are left out (their error shows when they are picked)."""
        out = []
        for label in self.paths:
            try:
                styles = self.styles(label)
            except BrushworkError:
                continue
            out += [label] if len(styles) == 1 else [f"{label} · {s}" for s in styles]
        return out

    def entry(self, name: str) -> Loaded:
        """The model behind an :meth:`entries` name."""
        label, _, style = name.partition(" · ")
        return self.get(label, style or None)
