"""A style net with running instance-norm statistics as explicit inputs and outputs.

For stable video (:mod:`brushwork.infer.stable`) every InstanceNorm2d normalizes with a running
estimate over the clip's frames instead of the frame's own statistics. Written as a pure function
of (frame, momentum, statistics) it runs the same in PyTorch and, exported, in ONNX Runtime —
which is what the per-frame path runs on CPU, so ``--stable`` costs no change of runtime.

Contract of :class:`ClipGraph`: ``(x, momentum, *means, *vars) -> (y, *means, *vars)``; ``x``
(1, 3, H, W) in [0, 1] with H, W multiples of the net's stride and >= its ``min_side`` (the
caller pads; the graph has no shape logic); ``momentum`` a 0-d tensor; one (1, C) mean and
variance per norm, fp32. Each norm uses ``(1 - momentum) * given + momentum * own`` and returns
it. Momentum 1 with the zero statistics of :meth:`ClipGraph.initial` gives exactly the net's own
output: the first frame of a clip.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from brushwork.infer.lite import ONNX_OPSET, onnx_session
from brushwork.infer.tiling import StatsNet
from brushwork.nn.nets import TransformerNet


class ClipGraph(nn.Module):
    """See the module doc. ``net`` is copied (eval, fp32); the caller's net is untouched."""

    def __init__(self, net: TransformerNet) -> None:
        super().__init__()
        self.stats = StatsNet(net)  # a copy
        self.stats.eval()
        for norm in self.stats.norms:
            for name in ("weight", "bias"):
                # Plain tensors (graph constants), not parameters: the ONNX exporter merges
                # parameters of equal value (an untrained net's norms) and loses some of them.
                value = norm._parameters.pop(name, None)
                setattr(norm, name, None if value is None else value.detach().clone())
        self.body = self.stats.net.body
        self.margin = net.margin
        self.channels = [int(n.weight.numel()) for n in self.stats.norms]

    def initial(self, device: torch.device | str = "cpu") -> list[Tensor]:
        """Zero statistics (means, then variances): with momentum 1, the frame's own."""
        return [torch.zeros(1, c, device=device) for c in self.channels * 2]

    def forward(self, x: Tensor, momentum: Tensor, *state: Tensor) -> tuple[Tensor, ...]:
        k = len(self.stats.norms)
        for norm, mean, var in zip(self.stats.norms, state[:k], state[k:], strict=True):
            norm.mean, norm.var, norm.momentum, norm.record = mean, var, momentum, True
        # TransformerNet.forward without the stride padding (the caller's): only its margin.
        e = self.margin
        y = F.pad(x, (e, e, e, e), mode="reflect") - 0.5
        y = torch.sigmoid(self.body(y))[:, :, e : y.shape[-2] - e, e : y.shape[-1] - e]
        norms = self.stats.norms
        return (y, *[n.mean for n in norms], *[n.var for n in norms])


class OnnxClipGraph:
    """A :class:`ClipGraph` exported to ONNX (in memory, ~1 s) and run in onnxruntime; called
    like the module, on torch tensors (CPU), returning torch tensors."""

    def __init__(self, graph: ClipGraph, threads: int | None = None) -> None:
        k = len(graph.channels)
        names = [
            "image",
            "momentum",
            *[f"mean{i}" for i in range(k)],
            *[f"var{i}" for i in range(k)],
        ]
        outs = ["stylized", *[f"new_{n}" for n in names[2:]]]
        axes = {0: "batch", 2: "height", 3: "width"}
        example = (torch.rand(1, 3, 64, 64), torch.tensor(1.0), *graph.initial())
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # exporter chatter; parity is tested
            torch.onnx.export(
                graph.cpu().float().eval(),
                example,
                buf,
                dynamo=False,
                input_names=names,
                output_names=outs,
                dynamic_axes={"image": axes, "stylized": axes},
                opset_version=ONNX_OPSET,
            )
        self.session = onnx_session(buf.getvalue(), "cpu", threads, check=False)
        self.names = names

    def __call__(self, x: Tensor, momentum: Tensor, *state: Tensor) -> tuple[Tensor, ...]:
        feed: dict[str, Any] = {
            n: np.ascontiguousarray(t.detach().cpu().float().numpy())
            for n, t in zip(self.names, (x, momentum, *state), strict=True)
        }
        return tuple(torch.from_numpy(a) for a in self.session.run(None, feed))
