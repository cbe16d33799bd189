"""``python scripts/benchmarks/benchmark.py video --model M.pt``: flicker, quality and speed of video paths.

Clips with exactly known motion (measures.py) are cut from the content photos
(``$BRUSHWORK_DATA/content``; generated photos when there are none): pans and zooms, with and
without sensor noise, and a pan under a brightness ramp. For each clip and each path —
``per-frame`` (what ``brushwork stylize --video`` does without ``--stable``) and ``stable``
(``--stable``) — the warping error (Lai et al. 2018, over the known overlap), next to the input
clip's own error (the floor), and the content / style terms of the model's training objective on
every frame (the painting at the model's ``style_size``, frames at ``--size``), also inside an
8-px margin ("inside": without the strips the stable path fills from the previous frame).

Then throughput at 1280x720 on this machine (frames/s, both paths, interleaved repetitions), and
with ``--memory`` the peak RSS of whole ``brushwork stylize --video`` processes on a 10-s and a
60-s clip (ffmpeg's test pattern with audio, 160x120, 25 fps).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

CLIPS = {  # name: measures.make_clip arguments
    "pan": {"motion": "pan", "step": 2},
    "pan + noise": {"motion": "pan", "step": 2, "noise": 0.02},
    "pan + brightness ramp": {"motion": "pan", "step": 2, "brightness": 0.3},
    "zoom": {"motion": "zoom", "step": 1},
    "zoom + noise": {"motion": "zoom", "step": 1, "noise": 0.02},
}
PATHS = {  # name: StableVideo settings (None: frame by frame); "stable" is --stable's default
    "per-frame": None,
    "stable": {},
    "stable --smooth 0.3": {"blend": 0.3},
}


def _photos(size: int) -> list[torch.Tensor]:
    """The content photos, short side ``size`` (room for the clips' frames and motion)."""
    from brushwork.io.assets import data_dir
    from brushwork.io.files import find_images
    from brushwork.io.images import load_image, pil_to_tensor
    from brushwork.io.synthetic import photo

    folder = data_dir() / "content"
    if folder.is_dir():
        return [load_image(p, size, side="short") for p in find_images(folder)]
    return [pil_to_tensor(photo(f"video{i}", size * 4 // 3, size)) for i in range(8)]


def _objective(stylizer, style_image: str | None):
    """The model's training loss with its painting's targets, or None (no painting here)."""
    from brushwork.errors import BrushworkError
    from brushwork.evaluate.objective import objective_of
    from brushwork.io.assets import resolve_style_image
    from brushwork.io.images import load_image
    from brushwork.nn.losses import PerceptualLoss

    meta = stylizer.info["meta"]
    objective = objective_of(meta)
    try:
        path = resolve_style_image(style_image or meta["style_image"], allow_download=False)
    except BrushworkError as e:  # the table says why the terms are missing
        print(f"no quality terms: {e}", flush=True)
        return None
    loss = PerceptualLoss(**objective["loss"])
    loss.set_styles([load_image(path, objective["style_size"])])
    return loss


def _run(stylizer, clip, path: str) -> torch.Tensor:
    from brushwork.infer.video import stable_clip

    settings = PATHS[path]
    state = stable_clip(stylizer, **settings) if settings is not None else None
    return torch.cat([stylizer(f[None], clip=state) for f in clip.frames])


BORDER = 8  # px: the stable path's strips outside its grid-locked window lie within it


def _terms(loss, frames_in: torch.Tensor, frames_out: torch.Tensor) -> dict[str, float]:
    """Content and style terms of the frames, whole and inside a BORDER-px margin."""
    inner = (..., slice(BORDER, -BORDER), slice(BORDER, -BORDER))
    with torch.inference_mode():
        t = loss(frames_out, content=frames_in)
        i = loss(frames_out[inner], content=frames_in[inner])
    terms = {"content": float(t["content"]), "style": float(t["style"])}
    return terms | {"content inside": float(i["content"]), "style inside": float(i["style"])}


def _quality_table(stylizer, loss, photos, frames: int, size: int, names) -> list[dict]:
    from measures import make_clip, warping_error

    rows = []
    frame_size = (size * 3 // 4, size)
    for name, kwargs in CLIPS.items():
        if names is not None and name not in names:
            continue
        acc: dict[str, list[float]] = {}
        for k, p in enumerate(photos):
            clip = make_clip(p, frames, frame_size, seed=k, **kwargs)
            acc.setdefault("input", []).append(warping_error(clip.frames, clip))
            for path in PATHS:
                out = _run(stylizer, clip, path)
                acc.setdefault(path, []).append(warping_error(out, clip))
                if loss is not None:
                    for term, v in _terms(loss, clip.frames, out).items():
                        acc.setdefault(f"{path} {term}", []).append(v)
        row = {"clip": name, **{k: statistics.mean(v) for k, v in acc.items()}}
        rows.append(row)
        for path in PATHS:
            cells = [
                f"{row[path]:.4f}",
                "-" if path == "per-frame" else f"{row[path] / row['per-frame']:.2f}x",
            ]
            if loss is not None:
                for term in ("content", "style", "content inside", "style inside"):
                    ratio = row[f"{path} {term}"] / row[f"per-frame {term}"]
                    row[f"{path} {term} ratio"] = ratio
                    if "inside" not in term:
                        cells.append(f"{row[f'{path} {term}']:.3f} ({ratio:.3f})")
                    else:
                        cells.append(f"{ratio:.3f}")
            first = f"| {name} | {row['input']:.4f} " if path == "per-frame" else "| | "
            print(f"{first}| {path} | " + " | ".join(cells) + " |", flush=True)
    return rows


def _fps(stylizer, photo: torch.Tensor, frames: int, reps: int) -> dict[str, float]:
    import torch.nn.functional as F
    from measures import make_clip

    big = F.interpolate(photo, size=(800, 1400), mode="bilinear", antialias=True)
    clip = make_clip(big, frames, (720, 1280), motion="pan", step=2, noise=0.01)
    paths = list(PATHS)
    times: dict[str, list[float]] = {p: [] for p in paths}
    for path in paths:  # warm-up (ONNX sessions, allocator)
        _run(stylizer, make_clip(big, 2, (720, 1280)), path)
    for rep in range(reps):
        for path in paths if rep % 2 == 0 else reversed(paths):
            start = time.perf_counter()
            _run(stylizer, clip, path)
            times[path].append(frames / (time.perf_counter() - start))
    return {p: statistics.median(v) for p, v in times.items()}


def _peak_rss(cmd: list[str]) -> float:
    """Peak RSS (MB) of one whole process, from the kernel's own accounting (wait4)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed: {proc.stderr.read().decode()[-400:]}")
    return usage.ru_maxrss / 1024


def _memory(model: Path) -> dict[str, float]:
    import imageio_ffmpeg

    out = {}
    with tempfile.TemporaryDirectory() as t:
        for seconds in (10, 60):
            clip = Path(t) / f"clip{seconds}.mp4"
            lavfi = ["-f", "lavfi", "-i"]
            subprocess.run(
                [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", *lavfi,
                 "testsrc=size=160x120:rate=25", *lavfi, "sine=frequency=440", "-t", str(seconds),
                 "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(clip)],
                check=True,
            )  # fmt: skip
            for flag in ([], ["--stable"]):
                cmd = [sys.executable, "-m", "brushwork", "stylize", "--model", str(model)]
                cmd += ["--video", str(clip), "-o", str(Path(t) / "out.mp4"), "--force", *flag]
                out[f"{seconds}s{' stable' if flag else ''}"] = _peak_rss(cmd)
    return out


def bench_video(args, machine: Callable[[], dict]) -> int:
    from brushwork.infer.stylizer import Stylizer

    if not args.model:
        print("error: video needs --model (a trained .pt, e.g. python train.py style=starry_night)")
        return 2
    print(f"machine: {machine()}", flush=True)
    stylizer = Stylizer(args.model)
    photos = _photos(args.size + 4 * args.frames)
    loss = _objective(stylizer, args.style_image)
    print(
        f"\n{len(photos)} photos, {args.frames}-frame clips at {args.size}x{args.size * 3 // 4}, "
        f"per-frame backend {stylizer.backend}; warping error (mean |Δ| over the known overlap, "
        "0-1 scale), and stable / per-frame ratios of the terms"
    )
    terms = (
        " content (× per-frame) | style (× per-frame) | content × inside | style × inside |"
        if loss is not None
        else ""
    )
    print(f"| clip | input (floor) | path | warping error | × per-frame |{terms}")
    print("|---|---:|---|---:|---:|" + "---:|" * (4 if loss is not None else 0))
    rows = _quality_table(stylizer, loss, photos, args.frames, args.size, args.clips)
    fps = _fps(stylizer, photos[0], args.fps_frames, args.reps) if args.fps_frames else {}
    if fps:
        print(f"\n1280x720 pan, {args.fps_frames} frames x {args.reps} reps (median fps):")
        for path, v in fps.items():
            print(f"  {path}: {v:.2f} fps ({fps['per-frame'] / v:.2f}x per-frame's time)")
    memory = _memory(Path(args.model)) if args.memory else {}
    if memory:
        print("\npeak RSS, whole stylize --video process (MB): " + ", ".join(
            f"{k} {v:.0f}" for k, v in memory.items()))  # fmt: skip
    out = Path(args.json or "bench_video.json")
    report = {"machine": machine(), "model": str(args.model), "clips": rows}
    report |= {"fps_720p": fps, "peak_rss_mb": memory, "frames": args.frames, "size": args.size}
    out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {out}")
    return 0
