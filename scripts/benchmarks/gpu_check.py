"""The GPU checks behind scripts/benchmarks/gpu_check.sh; see there. Each check is recorded in the JSON with
its figures or its error; the exit status is 1 if any failed.

1. train: ``experiment=gpu`` for ``--steps`` steps (bf16-mixed, channels_last, fused Adam,
   8 workers): s/step, peak GPU memory;
2. ddp: the same recipe for a few steps under ``trainer.strategy=ddp`` on 1 GPU, then a resume
   from its ``last.ckpt`` that continues the global step;
3. infer: the trained net at 1920×1080 in fp16 and bf16 against fp32 (images/s, parity);
4. onnx_cuda: ONNX Runtime's CUDA provider (``pip install onnxruntime-gpu`` is tried first),
   its parity with the torch fp32 output and its images/s.

``--dry-run``: the same code paths on CPU at toy sizes (bf16 instead of fp16, no pip install).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[2]


def _train(overrides: list[str], run_dir: Path) -> dict[str, Any]:
    from brushwork.config.registry import compose
    from brushwork.train.pipeline import train

    cfg = compose("train", ["logger=csv", "eval.enabled=false", f"run_dir={run_dir}", *overrides])
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    result = train(cfg)
    seconds = time.perf_counter() - start
    ckpt = torch.load(result["last_checkpoint"], map_location="cpu", weights_only=True)
    out = {"seconds": seconds, "global_step": ckpt["global_step"], "export": result["export"]}
    if torch.cuda.is_available():
        out["peak_gpu_gb"] = torch.cuda.max_memory_allocated() / 2**30
    return out | {"last_checkpoint": result["last_checkpoint"]}


def _infer(model: str, device: str, size: tuple[int, int], precisions: list[str], reps: int):
    from brushwork.infer.stylizer import Stylizer

    x = torch.rand(1, 3, size[1], size[0], generator=torch.Generator().manual_seed(0))
    ref = Stylizer(model, device, "fp32", backend="torch", tile=0)(x)
    out: dict[str, Any] = {}
    for precision in precisions:
        stylizer = Stylizer(model, device, precision, backend="torch", tile=0)
        y = stylizer(x)  # warm-up (cuDNN autotuning)
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(reps):
            y = stylizer(x)
        if device == "cuda":
            torch.cuda.synchronize()
        diff = (y - ref).abs()
        out[precision] = {
            "images_per_s": reps / (time.perf_counter() - start),
            "mean_abs_diff": float(diff.mean()),
            "max_abs_diff": float(diff.max()),
        }
        if out[precision]["mean_abs_diff"] >= 1e-2:
            raise AssertionError(f"{precision} differs from fp32 by {diff.mean():.3g} (mean)")
    return out


def _onnx_cuda(model: str, size: tuple[int, int], dry_run: bool) -> dict[str, Any]:
    if not dry_run:
        pip = [sys.executable, "-m", "pip", "install", "-q", "onnxruntime-gpu"]
        subprocess.run(pip, capture_output=True, timeout=300)
    try:
        import onnxruntime as ort
    except ImportError:
        if dry_run:  # installed without the onnx extra: the GPU run installs onnxruntime-gpu
            return {"skipped": "onnxruntime is not installed"}
        raise

    from brushwork.infer.stylizer import Stylizer

    providers = ort.get_available_providers()
    if "CUDAExecutionProvider" not in providers:
        if dry_run:
            return {"skipped": f"no CUDA provider on this machine ({providers})"}
        raise AssertionError(f"onnxruntime-gpu has no CUDA provider here: {providers}")
    x = torch.rand(1, 3, size[1], size[0], generator=torch.Generator().manual_seed(0))
    ref = Stylizer(model, "cuda", "fp32", backend="torch", tile=0)(x).cpu()
    onnx = Stylizer(model, "cuda", "fp32", backend="onnxruntime", tile=0)
    y = onnx(x)
    start = time.perf_counter()
    for _ in range(5):
        y = onnx(x)
    return {
        "images_per_s": 5 / (time.perf_counter() - start),
        "max_abs_diff": float((y.cpu() - ref).abs().max()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dry-run", action="store_true", help="CPU, toy sizes: the code paths only")
    ap.add_argument("--steps", type=int, default=300, help="training steps of the GPU recipe")
    ap.add_argument("--out", default="gpu_check.json")
    args = ap.parse_args(argv)
    dry = args.dry_run
    if not dry and not torch.cuda.is_available():
        print("error: no CUDA device (use --dry-run to check the script on CPU)", file=sys.stderr)
        return 2
    device = "cpu" if dry else "cuda"
    recipe = ["experiment=gpu"]
    if dry:  # the GPU recipe's code paths at toy sizes on CPU
        recipe += ["trainer.accelerator=cpu", "data.size=32", "style_size=32", "data.val_size=32"]
        recipe += ["data.num_workers=2", "data.val_count=2", "model.width=8", "model.n_residual=1"]
    steps = 3 if dry else args.steps
    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name() if not dry else "cpu (dry run)",
        "torch": torch.__version__,
        "dry_run": dry,
    }
    failed = []
    tmp = Path(tempfile.mkdtemp(prefix="gpu_check-"))

    def check(name: str, fn) -> Any:
        print(f"== {name}", flush=True)
        try:
            report[name] = fn()
            return report[name]
        except Exception as e:  # every failure is recorded, and the other checks still run
            report[name] = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
            failed.append(name)
            return None

    trained = check("train", lambda: _train([*recipe, f"trainer.max_steps={steps}"], tmp / "t"))
    if trained:
        trained["s_per_step"] = trained["seconds"] / steps
    ddp = [*recipe, "trainer.strategy=ddp", "trainer.devices=1"]
    first = check("ddp", lambda: _train([*ddp, "trainer.max_steps=2"], tmp / "ddp"))
    if first:
        more = [*ddp, "trainer.max_steps=4", f"ckpt_path={first['last_checkpoint']}"]
        resumed = check("ddp_resume", lambda: _train(more, tmp / "ddp2"))
        if resumed and resumed["global_step"] != 4:
            report["ddp_resume"]["error"] = f"resumed to step {resumed['global_step']}, not 4"
            failed.append("ddp_resume")
    model = trained and trained["export"]
    size = (64, 36) if dry else (1920, 1080)
    if model:
        precisions = ["bf16"] if dry else ["fp16", "bf16"]
        check("infer", lambda: _infer(model, device, size, precisions, 2 if dry else 10))
        check("onnx_cuda", lambda: _onnx_cuda(model, size, dry))
    report["failed"] = failed
    Path(args.out).write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps({k: v for k, v in report.items() if k != "trace"}, indent=2, default=str))
    print(f"wrote {args.out}; {'FAILED: ' + ', '.join(failed) if failed else 'all checks passed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("WANDB_MODE", "offline")
    sys.path.insert(0, str(REPO / "src"))
    sys.exit(main())
