"""The torch-free inference path: a cached ONNX model in onnxruntime, with numpy and Pillow.

``import torch`` costs more than stylizing a 1024² photo, so on CPU, in fp32, for images that need
no tiling, ``brushwork stylize`` runs here. Pre- and post-processing match the Stylizer's (same
padding, strength blend, colour preservation, 8-bit outputs). Also here, for both paths: the
ONNX cache location and opening an onnxruntime session.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np

from brushwork.errors import BrushworkError
from brushwork.infer.choices import AUTO_TILE_PIXELS, check_strength, choose, onnx_copy
from brushwork.io.assets import cache_dir
from brushwork.io.images import pad_array, stride_padding, transfer_chroma_array

ONNX_OPSET = 17
# What the exporter puts around the net; a change makes cached copies stale. 2: the net's margin.
GRAPH_REVISION = "graph4"  # 3: a grain net's origin input; 4: one styles field
_LARGEST_MIN_SIDE = 16  # ShuffleNet's; for ONNX files that do not say theirs


def has_onnxruntime() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))


def runs_in_onnxruntime(device: str, precision: str, backend: str, compile: bool) -> bool:
    """The one rule for a ``.pt`` model's backend: ONNX Runtime when asked for
    (``backend="onnxruntime"``), or with ``auto`` on CPU in fp32 without torch.compile where
    onnxruntime is installed (the fastest CPU path); else torch. ``device``: cpu, cuda, mps."""
    if backend == "onnxruntime":
        return True
    cpu_fp32 = device == "cpu" and precision == "fp32" and not compile
    return backend == "auto" and cpu_fp32 and has_onnxruntime()


def onnx_cache_path(model_path: Path, regions: bool = False) -> Path:
    """Where the ONNX copy of the ``.pt`` export ``model_path`` is cached: keyed by the file's
    content and the torch version (a new exporter may write another graph), read from the
    installed metadata so that finding the copy needs no torch. ``regions``: the graph that
    takes a mix per pixel."""
    key = hashlib.sha1(model_path.read_bytes())
    key.update(f"{importlib.metadata.version('torch')} opset{ONNX_OPSET}".encode())
    key.update(GRAPH_REVISION.encode())
    kind = "-regions" if regions else ""
    return cache_dir() / "onnx" / f"{model_path.stem}-{key.hexdigest()[:16]}{kind}.onnx"


def onnx_session(
    path: str | Path | bytes, device: Any = "cpu", threads: int | None = None, check: bool = True
) -> Any:
    """An onnxruntime InferenceSession for ``path`` (or a serialized model's bytes) on ``device``
    (cpu or cuda; a name or a torch.device). Raises BrushworkError if onnxruntime is missing, the
    device has no provider, or (``check``) the file is not a brushwork ONNX model (input
    ``image``, then ``style`` for a multi-style model, then ``origin`` for a model with grain;
    one output ``stylized``)."""
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise BrushworkError("ONNX models need onnxruntime: pip install 'brushwork[onnx]'") from e
    if not isinstance(path, bytes):
        path = Path(path).expanduser()
        if not path.is_file():
            raise BrushworkError(f"style model not found: {path}")
    name = "the ONNX graph" if isinstance(path, bytes) else str(path)
    kind = getattr(device, "type", str(device))
    providers = ["CPUExecutionProvider"]
    if kind == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise BrushworkError(
                "this onnxruntime has no CUDA provider: pip install onnxruntime-gpu"
            )
        providers.insert(0, "CUDAExecutionProvider")
    elif kind != "cpu":
        raise BrushworkError(f"ONNX models run on cpu or cuda, not {kind}")
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
    try:
        model = path if isinstance(path, bytes) else str(path)
        sess = ort.InferenceSession(model, opts, providers=providers)
    except Exception as e:  # onnxruntime raises its own untyped errors for bad files
        raise BrushworkError(
            f"{name} is not a readable ONNX model: {str(e).splitlines()[0]}"
        ) from e
    names = [i.name for i in sess.get_inputs()], [o.name for o in sess.get_outputs()]
    known = [["image", *style, *origin] for style in ([], ["style"]) for origin in ([], ["origin"])]
    if check and (names[0] not in known or names[1] != ["stylized"]):
        raise BrushworkError(f"{name} is not a brushwork style model (inputs/outputs {names})")
    return sess


def style_entries(meta: dict[str, str], name: str) -> list[dict[str, Any]]:
    """The styles a brushwork ONNX graph's metadata lists (``styles``, as the model file's);
    graphs written before format v6 kept a single style's entry under ``style``."""
    try:
        entries = json.loads(meta["styles"]) if "styles" in meta else [json.loads(meta["style"])]
        entries = [dict(st) for st in entries]
    except (KeyError, ValueError, TypeError) as e:
        raise BrushworkError(f"{name}: a style model without its style list") from e
    if not entries:
        raise BrushworkError(f"{name}: a style model without its style list")
    return entries


class OnnxStylizer:
    """A brushwork ONNX model, called on float32 arrays (B, 3, H, W) in [0, 1]; also the ONNX
    backend of the torch :class:`brushwork.infer.stylizer.Stylizer` (``run``).

    ``device``: cpu or cuda (a name or a torch.device). ``min_side``: the smallest side the graph
    takes (images are padded up to it); None reads it from the file's metadata, or assumes the
    largest of any layout for files written before it was recorded. ``untiled_pixels``: the
    largest image it takes; larger ones need the torch Stylizer's tiling, which shares
    instance-norm statistics across tiles. A multi-style model (an input ``style``) runs the
    style chosen with :meth:`select` (default its first).
    """

    backend = "onnxruntime"
    untiled_pixels = AUTO_TILE_PIXELS

    def __init__(
        self,
        onnx_path: str | Path,
        threads: int | None = None,
        device: Any = "cpu",
        min_side: int | None = None,
    ) -> None:
        self.session = onnx_session(onnx_path, device, threads)
        self.meta = self.session.get_modelmeta().custom_metadata_map
        if min_side is None:
            try:
                min_side = int(self.meta["min_side"])
            except (KeyError, ValueError):
                min_side = _LARGEST_MIN_SIDE
        self.min_side = min_side
        inputs = {i.name: i for i in self.session.get_inputs()}
        self.conditional = "style" in inputs
        self.regions = self.conditional and len(inputs["style"].shape) == 4  # a mix per pixel
        # A net with grain reads its noise at the picture px of the image's top-left: (0, 0)
        # for a photo; a caller running part of a picture sets where it lies.
        self.grain = "origin" in inputs
        self.origin = (0, 0)
        self.entries = style_entries(self.meta, str(onnx_path))
        self.styles = [str(st.get("name")) for st in self.entries]
        self.mix = np.eye(len(self.styles), dtype=np.float32)[0]
        self.label = self.styles[0]

    def select(
        self, style: str | None = None, mix: str | None = None, stroke: float | None = None
    ) -> str | None:
        """Run ``style`` (a name), ``mix`` (``a=0.7,b=0.3``) or ``stroke`` (px, a model trained
        with strokes=[...]) from now on; return a note when the mix weights were normalised
        (see brushwork.infer.choices)."""
        weights, self.label, note = choose(self.entries, style, mix, stroke)
        self.mix = np.asarray(weights, dtype=np.float32)
        return note

    def run(self, x: np.ndarray, mix: np.ndarray | None = None) -> np.ndarray:
        """The net alone: (B, 3, H, W) -> (B, 3, H, W), small images padded as the eager net
        pads; ``mix``: a regions graph's mix per pixel (1, N, H, W)."""
        h, w = x.shape[-2:]
        # Only up to min_side: the graph pads to its stride itself.
        (top, bottom), (left, right) = (stride_padding(n, 1, self.min_side) for n in (h, w))

        def pad(t: np.ndarray) -> np.ndarray:
            return pad_array(pad_array(t, left, right, -1), top, bottom, -2)

        feed = {"image": np.ascontiguousarray(pad(x), np.float32)}
        if self.conditional:
            feed["style"] = np.ascontiguousarray(pad(mix), np.float32) if self.regions else self.mix
        if self.grain:
            feed["origin"] = np.array([self.origin[0] - top, self.origin[1] - left], np.int64)
        out = self.session.run(None, feed)[0]
        return out[..., top : top + h, left : left + w]

    def __call__(
        self, x: np.ndarray, strength: float = 1.0, preserve_color: bool = False
    ) -> np.ndarray:
        """Stylize ``x``; ``strength`` and ``preserve_color`` as the Stylizer's."""
        strength = check_strength(strength)
        if strength == 0.0:
            return x.copy()
        y = self.run(x)
        if preserve_color:
            y = transfer_chroma_array(y, x)
        if strength < 1.0:
            y = x + strength * (y - x)  # torch.lerp's formula
        return y


def _gpu_possible() -> bool:
    """Whether ``device=auto`` might find a GPU (then torch decides): an NVIDIA device node, or
    Apple silicon (MPS). Checked without torch."""
    if platform.system() == "Darwin":
        return platform.machine() == "arm64"
    return any(name.startswith("nvidia") and name[6:].isdigit() for name in os.listdir("/dev"))


def fast_stylizer(
    model: str | Path, device: str, precision: str, backend: str, compile: bool, threads: int | None
) -> OnnxStylizer | None:
    """The torch-free stylizer for these settings, or None where the torch Stylizer is needed:
    another device, precision or backend, ``compile``, no onnxruntime, or a ``.pt`` model whose
    ONNX copy is not cached yet (the torch path exports it, so the next run is fast)."""
    path = Path(model).expanduser()
    if device not in ("auto", "cpu") or (device == "auto" and _gpu_possible()):
        return None  # device=auto may find a GPU: then torch decides
    lite_fits = precision == "fp32" and not compile and has_onnxruntime()
    if not (lite_fits and runs_in_onnxruntime("cpu", precision, backend, compile)):
        return None  # the torch Stylizer runs it (or says why it cannot)
    if path.suffix.lower() == ".onnx":
        return OnnxStylizer(path, threads) if path.is_file() else None
    if not path.is_file():
        return None
    cached = onnx_copy(path) or onnx_cache_path(path)  # the shipped model has its graph beside it
    return OnnxStylizer(cached, threads) if cached.is_file() else None


def regions_stylizer(model: str | Path, threads: int | None = None) -> OnnxStylizer | None:
    """The regions graph of a ``.pt`` model (mix per pixel) when it is shipped or cached, else
    None (the torch path runs the regions and caches the graph)."""
    path = Path(model).expanduser()
    if path.suffix.lower() != ".pt" or not path.is_file() or not has_onnxruntime():
        return None
    cached = onnx_copy(path, regions=True) or onnx_cache_path(path, regions=True)
    return OnnxStylizer(cached, threads) if cached.is_file() else None


def model_styles(model: str | Path) -> list[dict[str, Any]]:
    """The styles a model file holds, in order (one for a single-style model)."""
    path = Path(model).expanduser()
    if path.suffix.lower() == ".onnx":
        return OnnxStylizer(path).entries
    from brushwork.infer.model_file import load_model

    return load_model(path)[1]["styles"]
