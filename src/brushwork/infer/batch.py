"""Stylizing many image files with one engine: decode ahead, save behind, one progress bar."""

from __future__ import annotations

import sys
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tqdm import tqdm

from brushwork.errors import BrushworkError


def stylize_files(
    engine: Any,
    jobs: list[tuple[Path, Path]],
    *,
    batch: int = 1,
    max_size: int | None = None,
    strength: float = 1.0,
    preserve_color: bool = False,
    progress: bool = True,
    single: bool = False,
    area: Any = None,
) -> dict[str, Any]:
    """Stylize each ``(input, output)`` of ``jobs`` with ``engine`` (brushwork.infer.engines),
    ``batch`` same-size images per forward pass, decoding ahead and saving behind on a thread
    pool. Unreadable inputs raise when ``single``, else are skipped with a warning. Returns the
    report: counts, seconds and one entry per written file. ``area`` (brushwork.infer.masks):
    where each image is painted."""
    results: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    start = time.perf_counter()
    bar = tqdm(total=len(jobs), unit="img", disable=not progress or len(jobs) < 2, file=sys.stderr)
    with ThreadPoolExecutor(max_workers=2) as pool, bar:
        ahead = max(2, 2 * batch)
        loads: deque[tuple[Path, Path, Future]] = deque()  # decoded ahead, saved behind
        saves: deque[Future] = deque()
        queue = iter(jobs)

        def refill() -> None:
            for src, dst in queue:
                loads.append((src, dst, pool.submit(engine.load, src, max_size)))
                if len(loads) >= ahead:
                    return

        refill()
        while loads:
            group_in: list[tuple[Path, Path, Any]] = []
            while loads and len(group_in) < batch:
                src, dst, fut = loads.popleft()
                try:
                    group_in.append((src, dst, fut.result()))
                except BrushworkError as e:
                    if single:
                        raise
                    skipped.append({"input": str(src), "error": str(e)})
                    bar.write(f"warning: skipped {src}: {e}", file=sys.stderr)
                    bar.update()
                refill()
            for shape in dict.fromkeys(tuple(img.shape) for _, _, img in group_in):
                group = [(s, d, img) for s, d, img in group_in if tuple(img.shape) == shape]
                t0 = time.perf_counter()
                images = [img for _, _, img in group]
                out = engine.stylize(images, strength, preserve_color, area)
                seconds = (time.perf_counter() - t0) / len(group)
                for k, (src, dst, _) in enumerate(group):
                    saves.append(pool.submit(engine.save, out[k], dst))
                    h, w = shape[-2:]
                    results.append(
                        {
                            "input": str(src),
                            "output": str(dst),
                            "width": w,
                            "height": h,
                            "seconds": round(seconds, 4),
                        }
                    )
                    bar.update()
            while len(saves) > ahead:
                saves.popleft().result()
        for fut in saves:
            fut.result()
    if not results:
        raise BrushworkError(f"none of the {len(jobs)} input images could be read")
    mp = sum(r["width"] * r["height"] for r in results) / 1e6
    return {
        "images": len(results),
        "megapixels": round(mp, 3),
        "skipped": skipped,
        "seconds": round(time.perf_counter() - start, 3),
        "files": results,
    }
