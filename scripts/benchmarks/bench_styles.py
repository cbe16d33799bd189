"""``python scripts/benchmarks/benchmark.py styles --model M.pt``: what a multi-style model costs.

* file size: a 10-style network of the default architecture against a single-style one;
* speed: ONNX Runtime at ``--size``² (one exported graph, the style mix an input), a pure style
  against a mix of all styles, interleaved, ``--reps`` times each (median);
* a contact sheet (``--sheet``): the content photos × the model's styles, then one row that
  interpolates between the first two styles in 5 steps.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch


def _file_sizes(tmp: Path) -> dict[str, float]:
    from brushwork.config.schema import schema
    from brushwork.infer.model_file import export_model
    from brushwork.nn.nets import build_net

    arch = vars(schema("model")())
    sizes = {}
    for n in (1, 10):
        styles = [{"name": f"style{k}"} for k in range(n)]
        net = build_net(**arch, **({"n_styles": n} if n > 1 else {}))
        path = export_model(net, tmp / f"{n}.pt", styles)
        sizes[f"{n} style(s), bytes"] = path.stat().st_size
    sizes["ratio"] = sizes["10 style(s), bytes"] / sizes["1 style(s), bytes"]
    return sizes


def _speed(model: Path, size: int, reps: int, tmp: Path) -> dict[str, float]:
    from brushwork.infer.exporters import convert
    from brushwork.infer.lite import OnnxStylizer

    onnx = OnnxStylizer(convert(model, "onnx", tmp / "m.onnx"))
    if not onnx.conditional:
        raise SystemExit("error: styles needs a multi-style model (train.py styles=[a,b,...])")
    n = len(onnx.styles)
    x = np.random.default_rng(0).random((1, 3, size, size), dtype=np.float32)
    mixes = {"pure": np.eye(n, dtype=np.float32)[0], "mix": np.full(n, 1 / n, np.float32)}
    times: dict[str, list[float]] = {k: [] for k in mixes}
    for mix in mixes.values():  # warm-up
        onnx.mix = mix
        onnx.run(x)
    for _ in range(reps):
        for name, mix in mixes.items():
            onnx.mix = mix
            t0 = time.perf_counter()
            onnx.run(x)
            times[name].append(time.perf_counter() - t0)
    out = {f"{k} s": statistics.median(v) for k, v in times.items()}
    out["mix / pure"] = out["mix s"] / out["pure s"]
    return out


def _sheet(model: Path, data: Path, photos: int, path: Path) -> None:
    from brushwork.infer.model_file import load_model
    from brushwork.io.files import find_images
    from brushwork.io.images import load_image, save_image
    from brushwork.io.sheets import contact_sheet

    net, info = load_model(model)
    n = net.n_styles
    images = [load_image(p, 256) for p in find_images(data / "content")[:photos]]
    rows = []
    with torch.inference_mode():
        for c in images:
            rows.append([c, *(net(c, style=k) for k in range(n))])
        ts = torch.linspace(0, 1, 5)
        mixes = [torch.tensor([1 - t, t] + [0.0] * (n - 2)) for t in ts]
        rows.append([images[0], *(net(images[0], style=m) for m in mixes)])
    cols = max(len(r) for r in rows)
    blank = torch.ones_like(images[0])
    rows = [r + [blank] * (cols - len(r)) for r in rows]
    save_image(contact_sheet(rows, 160), path)
    names = [s["name"] for s in info["styles"]]
    print(f"sheet: {path} (columns: photo, {', '.join(names)}; last row {names[0]} → {names[1]})")


def bench_styles(args, machine: Callable[[], dict]) -> int:
    if not args.model:
        print("error: styles needs --model (a multi-style .pt: train.py styles=[a,b,...])")
        return 2
    print(f"machine: {machine()}", flush=True)
    size = (args.sizes or [1024])[0]
    with tempfile.TemporaryDirectory() as tmp:
        files = _file_sizes(Path(tmp))
        speed = _speed(Path(args.model), size, args.reps, Path(tmp))
    print("\n| measure | value |\n|---|---:|")
    for k, v in {**files, **speed}.items():
        print(f"| {k} | {v:.4g} |")
    if args.sheet:
        _sheet(Path(args.model), Path(args.data), args.photos, Path(args.sheet))
    out = Path(args.json or "bench_styles.json")
    report = {"machine": machine(), "model": str(args.model), "size": size, "reps": args.reps}
    out.write_text(json.dumps(report | {"file": files, "onnx": speed}, indent=2))
    print(f"\nwrote {out}")
    return 0
