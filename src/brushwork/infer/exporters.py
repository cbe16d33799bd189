"""ONNX and TorchScript copies of a model file, computing the same function as the net in fp32.

Graph input ``image`` float32 (B, 3, H, W) RGB in [0, 1] (dynamic B, H, W >= the net's
``min_side``; the Stylizer pads smaller images), output ``stylized`` of the same shape. A
multi-style net adds an input ``style``, float32 (N,), the mix of its styles, so one graph serves
every style and mix; a net with grain adds ``origin``, int64 (2,), the picture px (y, x) of the
image's top-left (0, 0 for a whole photo; negative where the caller padded it). The brushwork metadata (format, arch, styles) travels inside the file: ONNX
``metadata_props``, TorchScript ``_extra_files["brushwork.json"]``.
"""

from __future__ import annotations

import copy
import io
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from brushwork.errors import BrushworkError, check_choice
from brushwork.infer.lite import ONNX_OPSET, OnnxStylizer, onnx_cache_path
from brushwork.infer.model_file import FORMAT, load_model
from brushwork.io.files import atomic_write, write_bytes
from brushwork.nn.conditional import styled
from brushwork.nn.frame import TransformerNet

FORMATS = ("onnx", "torchscript")
SUFFIX = {"onnx": ".onnx", "torchscript": ".torchscript.pt"}
META_KEY = "brushwork"  # TorchScript extra file stem


class ExportableNet(nn.Module):
    """``TransformerNet`` with its padding written in trace/export-friendly form.

    TransformerNet.forward picks reflect or replicate padding with Python branches on the input
    size, which a tracer would freeze at the example's shape. Here the pad amounts are plain
    arithmetic on the (symbolic) sizes and always reflect, so one graph serves every H, W >=
    :meth:`~brushwork.nn.frame.TransformerNet.min_side`. Same split as the eager net (the extra pixel goes bottom/right), hence the
    same output, margin included (:attr:`~brushwork.nn.frame.TransformerNet.margin`).
    """

    def __init__(self, net: TransformerNet, regions: bool = False) -> None:
        super().__init__()
        self.net, self.regions = net, regions  # regions: the style input is a mix per pixel

    def forward(
        self, x: torch.Tensor, second: torch.Tensor | None = None, third: torch.Tensor | None = None
    ) -> torch.Tensor:
        """After the image, in the order of :meth:`inputs`: ``style`` for a multi-style net,
        then ``origin`` for a net with grain (plain positions: both exporters take them)."""
        extra = [t for t in (second, third) if t is not None]
        style = extra[0] if self.net.n_styles > 1 else None
        h, w, m, e = x.shape[-2], x.shape[-1], self.net.multiple, self.net.margin
        ph, pw = (m - h % m) % m, (m - w % m) % m
        top, left = ph // 2, pw // 2
        y = F.pad(x, (left, pw - left, top, ph - top), mode="reflect")
        y = F.pad(y, (e, e, e, e), mode="reflect") - 0.5  # the net's margin (sides >= min_side)
        if self.regions:  # (B, N, H, W): padded as the image is
            style = F.pad(style, (left, pw - left, top, ph - top), mode="reflect")
            style = F.pad(style, (e, e, e, e), mode="reflect")
        if self.net.grain:
            origin = extra[-1]
            y = self.net.grained(y, origin[0] - (top + e), origin[1] - (left + e))
        with styled(self.net, style):
            y = torch.sigmoid(self.net.body(y))
        return y[:, :, top + e : top + e + h, left + e : left + e + w]

    def inputs(self) -> list[str]:
        """The graph's input names, in order."""
        return ["image"] + ["style"] * (self.net.n_styles > 1) + ["origin"] * bool(self.net.grain)

    def example(self) -> tuple[torch.Tensor, ...]:
        """Inputs to trace with: an image, for a multi-style net an even mix (per pixel for a
        regions graph), for a net with grain an origin."""
        n = self.net.n_styles
        image = torch.rand(1, 3, 64, 64)
        mix = torch.full((1, n, 64, 64) if self.regions else (n,), 1.0 / n)
        origin = torch.tensor([3, 5], dtype=torch.int64)
        return (image,) + (mix,) * (n > 1) + (origin,) * bool(self.net.grain)


def _metadata(info: dict[str, Any], net: TransformerNet) -> dict[str, str]:
    return {
        "format": FORMAT,
        "version": str(info.get("version", 1)),
        "arch": json.dumps(net.model_args),
        "min_side": str(net.min_side()),  # the torch-free path pads small images to it
        # One entry per style, as the .pt's (unnamed where the caller gave none).
        "styles": json.dumps(info.get("styles") or [{"name": ""}] * net.n_styles),
    }


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    # Keep the model's own suffix on the temp file: exporters pick the format from it.
    return atomic_write(path, write, suffix=path.suffix)


def _dynamo_graph(module: Any, example: tuple, names: dict, side: int, regions: bool) -> Any:
    """The ONNX model through ``torch.export`` (onnxscript)."""
    dim = torch.export.Dim
    size = {0: dim("batch"), 2: dim("height", min=side), 3: dim("width", min=side)}
    # The mix and the origin keep their shapes.
    shapes = {"x": size} | {k: None for k in ("second", "third")[: len(example) - 1]}
    # torch.export's translation starts at opset 18; asking lower logs a failed
    # down-conversion, so let it keep 18.
    names = names | {"opset_version": max(names["opset_version"], 18)}
    program = torch.onnx.export(
        module, example, dynamo=True, dynamic_shapes=shapes, external_data=False, verbose=False,
        **names,
    )  # fmt: skip
    return program.model_proto


def _traced_graph(module: Any, example: tuple, names: dict, side: int, regions: bool) -> Any:
    """The ONNX model through the TorchScript-based exporter (dynamic batch, height, width)."""
    import onnx

    axes = {0: "batch", 2: "height", 3: "width"}
    buf = io.BytesIO()
    dynamic_axes = {"image": axes, "stylized": axes} | ({"style": axes} if regions else {})
    torch.onnx.export(module, example, buf, dynamo=False, dynamic_axes=dynamic_axes, **names)
    return onnx.load_from_string(buf.getvalue())


def export_onnx(
    net: TransformerNet,
    path: str | Path,
    info: dict[str, Any] | None = None,
    opset: int = ONNX_OPSET,
    dynamo: bool = False,
    regions: bool = False,
) -> Path:
    """Write ``net`` as ONNX (opset ``opset`` >= 17, dynamic batch/height/width); return the path.

    ``dynamo=False`` uses the TorchScript-based exporter: much faster to export, and the same
    graph speed in onnxruntime; ``dynamo=True`` goes through
    ``torch.export`` (needs onnxscript). Both match the eager net to 1e-6. ``regions``: a
    multi-style net whose ``style`` input is a mix per pixel, (B, N, H, W) (regional styles).
    """
    try:
        import onnx
    except ImportError as e:
        raise BrushworkError("ONNX export needs: pip install 'brushwork[onnx]'") from e
    if opset < 17:
        raise BrushworkError(f"ONNX opset must be >= 17, got {opset}")
    if regions and (dynamo or net.n_styles == 1):
        raise BrushworkError("a regions graph needs a multi-style net and dynamo=False")
    module = ExportableNet(copy.deepcopy(net).cpu().float(), regions).eval()  # net untouched
    example = module.example()
    inputs = module.inputs()
    names = {"input_names": inputs, "output_names": ["stylized"], "opset_version": opset}

    def write(tmp: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # exporter chatter; parity is what we test
            trace = _dynamo_graph if dynamo else _traced_graph
            model = trace(module, example, names, net.min_side(), regions)
        meta = _metadata(info or {}, net)
        del model.metadata_props[:]
        for key, value in meta.items():
            model.metadata_props.add(key=key, value=value)
        onnx.save(model, str(tmp))

    return _atomic(Path(path).expanduser(), write)


def export_torchscript(
    net: TransformerNet, path: str | Path, info: dict[str, Any] | None = None
) -> Path:
    """Write ``net`` as a traced TorchScript module (any B, H, W >= ``min_side``).

    Load it with ``torch.jit.load(path)``; no brushwork install is needed to run it. A
    multi-style net's module takes ``(image, style)``, ``style`` the (N,) mix; a net with grain
    also ``origin`` last, int64 (2,), the picture px of the image's top-left (as the ONNX graph).
    """
    module = ExportableNet(copy.deepcopy(net).cpu().float()).eval()  # caller's net untouched
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # TracerWarnings and TorchScript deprecation notices
        traced = torch.jit.trace(module, module.example(), check_trace=False)
    extra = {f"{META_KEY}.json": json.dumps(_metadata(info or {}, net))}

    buf = io.BytesIO()  # in memory: torch's C++ writer reports a full disk vaguely
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit's deprecation notice
        torch.jit.save(traced, buf, _extra_files=extra)
    return write_bytes(Path(path).expanduser(), buf.getvalue())


def convert(model_path: str | Path, fmt: str, out: str | Path | None = None) -> Path:
    """Convert a brushwork ``.pt`` export to ``fmt`` ("onnx" or "torchscript"); return the path.

    ``out`` defaults to the model's path with the format's suffix. Raises BrushworkError.
    """
    check_choice("format", fmt, FORMATS)
    model_path = Path(model_path).expanduser()
    net, info = load_model(model_path, "cpu")
    if out is None:
        out = model_path.with_name(model_path.name.removesuffix(".pt") + SUFFIX[fmt])
    if fmt == "onnx":
        return export_onnx(net, out, info)
    return export_torchscript(net, out, info)


def cached_onnx(
    model_path: Path, net: TransformerNet, info: dict[str, Any], tmp: Path, regions: bool = False
) -> Path:
    """An ONNX copy of the ``.pt`` export ``model_path`` (already loaded as ``net``), exported
    once: cached under :func:`brushwork.io.assets.cache_dir` by the file's content hash and the torch version (a
    new exporter may write a different graph). Falls back to ``tmp`` if the cache is unwritable.
    ``regions``: the graph whose style input is a mix per pixel."""
    path = onnx_cache_path(model_path, regions)
    if path.is_file():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return export_onnx(net, path, info, regions=regions)
    except (OSError, BrushworkError):
        return export_onnx(net, tmp / path.name, info, regions=regions)


def onnx_stylizer(
    model_path: Path,
    net: Any,
    info: dict,
    mix: Any,
    threads: int | None,
    device: Any,
    min_side: int,
    regions: bool = False,
) -> OnnxStylizer:
    """``net`` (the whole model at ``model_path``, as loaded with ``info``) in ONNX Runtime: the
    cached ONNX copy (exported on first use), with ``mix`` as its style vector (a multi-style
    graph takes the mix as an input: one export serves every style)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:  # only used if the cache is unwritable
        path = cached_onnx(model_path, net, info, Path(tmp), regions)
        # The session holds the graph: the temporary file may go.
        onnx = OnnxStylizer(path, threads, device, min_side=min_side)
        onnx.mix = np.asarray(mix, dtype=np.float32)
        return onnx
