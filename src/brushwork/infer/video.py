"""Stylize a video frame by frame, keeping its audio, via imageio-ffmpeg (``brushwork[video]``).

Frames are decoded and encoded by ffmpeg subprocesses, which run alongside the network. The output
(H.264 video, AAC audio) is written to a hidden temp file beside the target and renamed into place
at the end, so a failed or interrupted run leaves no partial video.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from brushwork.errors import BrushworkError
from brushwork.infer.stable import StableVideo
from brushwork.infer.stylizer import Stylizer
from brushwork.io.files import atomic_write

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".m4v")


def _ffmpeg() -> Any:
    try:
        import imageio_ffmpeg
    except ImportError as e:
        raise BrushworkError("video needs imageio-ffmpeg: pip install 'brushwork[video]'") from e
    return imageio_ffmpeg


def _first_line(e: BaseException) -> str:
    """The line of an ffmpeg error that says what went wrong (ffmpeg ends with generic ones)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    telling = [ln for ln in lines if "nvalid" in ln or "rror" in ln or "not found" in ln]
    return (telling or lines or [type(e).__name__])[-1]


def _frames(reader: Any, src: Path) -> Iterator[bytes]:
    """The reader's raw frames; a read error part way (a truncated file) as one BrushworkError."""
    n = 0
    try:
        for raw in reader:
            yield raw
            n += 1
    except (OSError, RuntimeError) as e:
        raise BrushworkError(
            f"cannot read video {src} after frame {n} (truncated or corrupt?): {_first_line(e)}"
        ) from e


def check_video_output(dst: Path, force: bool) -> None:
    """Fail early when ``dst`` cannot be written: bad suffix, missing folder, or an existing file
    without ``force``."""
    if dst.suffix.lower() not in VIDEO_SUFFIXES:
        raise BrushworkError(
            f"cannot write {dst}: video output must end in {', '.join(VIDEO_SUFFIXES)}"
        )
    if not dst.parent.is_dir():
        raise BrushworkError(f"cannot write {dst}: folder {dst.parent} does not exist")
    if not os.access(dst.parent, os.W_OK | os.X_OK):
        raise BrushworkError(f"cannot write {dst}: folder {dst.parent} is not writable")
    if dst.exists() and not force:
        raise BrushworkError(f"{dst} exists; use --force to overwrite")


def stable_clip(stylizer: Any, **settings: Any) -> StableVideo:
    """A :class:`~brushwork.infer.stable.StableVideo` over ``stylizer``'s net (``settings``: its
    own), to pass as ``clip=`` for each frame of one clip, in order."""
    if stylizer.net is None:
        raise BrushworkError(
            "stable video runs the PyTorch net: use the .pt model, not the .onnx export"
        )
    # The per-frame path's runtime (no change of speed); a net with grain reads its noise at
    # each window's place in the scene, in either runtime.
    if stylizer.backend == "onnxruntime":
        settings.setdefault("plain", stylizer.run_onnx)
        settings.setdefault("grain_at", stylizer.grain_at)
    return StableVideo(stylizer.net, **settings)


def _open(ffmpeg: Any, src: Path) -> tuple[Any, dict[str, Any]]:
    """The frame reader of ``src`` and its header (size, fps, duration, audio codec)."""
    try:
        reader = ffmpeg.read_frames(str(src))
        return reader, next(reader)
    except (OSError, RuntimeError, StopIteration, ValueError) as e:
        raise BrushworkError(f"cannot read video {src}: {_first_line(e)}") from e


def _check_area(area: Any, stable: bool, height: int, width: int, src: Path) -> None:
    if area is not None:
        area.check_fits(height, width, f"the video ({src.name})")
        if stable and area.regions:
            raise BrushworkError("--region runs frame by frame: drop --stable (--mask works)")


def _frame(raw: bytes, height: int, width: int) -> torch.Tensor:
    """One decoded RGB24 frame as (1, 3, H, W) float32 in [0, 1]."""
    frame = torch.frombuffer(bytearray(raw), dtype=torch.uint8)
    return frame.view(height, width, 3).permute(2, 0, 1)[None].float() / 255.0


def _encode(
    ffmpeg: Any,
    tmp: Path,
    painted: Iterator[torch.Tensor],
    fps: float,
    total: int | None,
    audio: Path | None,
    src: Path,
    progress: bool,
) -> dict[str, Any]:
    """Write the ``painted`` frames to ``tmp`` (H.264, sides made even by dropping the last
    row/column if odd; ``audio``'s track re-encoded as AAC); returns the frames and the size."""
    writer, frames, size = None, 0, (0, 0)
    try:
        with tqdm(total=total, unit="frame", disable=not progress, leave=False) as bar:
            for y in painted:
                h2, w2 = y.shape[-2] // 2 * 2, y.shape[-1] // 2 * 2
                if min(h2, w2) == 0:
                    raise BrushworkError(f"frames of {src} are too small to encode ({w2}x{h2})")
                arr = y[0, :, :h2, :w2].clamp(0, 1).mul(255).round().to(torch.uint8)
                if writer is None:
                    size = (w2, h2)
                    writer = ffmpeg.write_frames(
                        str(tmp), size, fps=fps, quality=8, macro_block_size=1,
                        audio_path=str(audio) if audio else None,
                        audio_codec="aac" if audio else None, ffmpeg_log_level="error",
                    )  # fmt: skip
                    writer.send(None)  # start ffmpeg
                writer.send(np.ascontiguousarray(arr.permute(1, 2, 0).cpu().numpy()))
                frames += 1
                bar.update()
        if writer is None:
            raise BrushworkError(f"{src} has no video frames")
        # ffmpeg decodes what a cut-off file holds and stops quietly: compare with the
        # length its header promises (with slack for rounded durations).
        if total and frames < 0.9 * total - 1:
            raise BrushworkError(
                f"cannot read video {src} after frame {frames} of {total} (truncated or corrupt?)"
            )
        writer.close()
        writer = None
    except (OSError, RuntimeError) as e:
        raise BrushworkError(f"video processing failed for {src}: {_first_line(e)}") from e
    finally:
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
    return {"frames": frames, "size": size}


def stylize_video(
    stylizer: Stylizer,
    src: str | Path,
    dst: str | Path,
    *,
    strength: float = 1.0,
    preserve_color: bool = False,
    max_size: int | None = None,
    force: bool = False,
    progress: bool = True,
    stable: dict[str, Any] | None = None,
    area: Any = None,
) -> dict[str, Any]:
    """Stylize every frame of ``src`` into ``dst`` (audio copied over, re-encoded as AAC).

    ``stable``: stylize the frames as one clip (brushwork.infer.stable.StableVideo with these
    settings, e.g. ``{}`` or ``{"blend": 0.3}``; scene cuts reset it) instead of one by one.
    ``area`` (brushwork.infer.masks): one mask (or regions) for the whole clip.

    Returns ``{"input", "output", "frames", "width", "height", "fps", "audio", "seconds"}``.
    Output sides are made even (H.264 needs it) by dropping the last row/column if odd.
    Raises BrushworkError for a missing/unreadable input or an unwritable output.
    """
    ffmpeg = _ffmpeg()
    src, dst = Path(src).expanduser(), Path(dst).expanduser()
    if not src.is_file():
        raise BrushworkError(f"video not found: {src}")
    check_video_output(dst, force)
    clip = stable_clip(stylizer, **stable) if stable is not None else None
    start = time.perf_counter()
    reader, meta = _open(ffmpeg, src)
    width, height = meta["size"]
    _check_area(area, stable is not None, height, width, src)
    fps = float(meta.get("fps") or 25.0)
    total = round(meta.get("duration", 0) * fps) or None
    audio = src if "audio_codec" in meta else None
    done: dict[str, Any] = {"frames": 0, "size": (0, 0)}

    def paint(x: torch.Tensor) -> torch.Tensor:
        args = {"strength": strength, "preserve_color": preserve_color, "max_size": max_size}
        return stylizer(x, **args, clip=clip, area=area)

    def encode(tmp: Path) -> None:  # frames streamed: memory stays flat in the clip's length
        with contextlib.closing(reader):
            frames = (_frame(raw, height, width) for raw in _frames(reader, src))
            done.update(_encode(ffmpeg, tmp, map(paint, frames), fps, total, audio, src, progress))

    atomic_write(dst, encode, suffix=dst.suffix)  # ffmpeg picks the container from the suffix
    return {
        "input": str(src),
        "output": str(dst),
        "frames": done["frames"],
        "width": done["size"][0],
        "height": done["size"][1],
        "fps": fps,
        "audio": audio is not None,
        "stable": clip is not None,
        "scene_cuts": clip.cuts if clip is not None else None,
        "seconds": round(time.perf_counter() - start, 3),
    }
