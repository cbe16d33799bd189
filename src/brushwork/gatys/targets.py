"""Distillation targets: the Gatys optimizer over a folder of photos (``brushwork targets``).

Each photo ``data.dir/sub/a.jpg`` becomes ``out/sub/a.png`` (longer side ``gatys.size``, aspect
kept), which :class:`brushwork.train.data.PhotoFolder` pairs with the photo through ``targets=out``.
Jobs split the work with ``shard=i/n`` and are resumable: an existing output is never redone, and
outputs are written atomically, so an interrupted job leaves no half-written file behind.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from omegaconf import DictConfig
from tqdm.auto import tqdm

from brushwork.config.groups import required
from brushwork.errors import BrushworkError
from brushwork.gatys.paint import Painter
from brushwork.io.files import find_images, make_output_dir
from brushwork.io.images import load_image, save_image

log = logging.getLogger(__name__)
T = TypeVar("T")
_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def parse_shard(shard: str) -> tuple[int, int]:
    """``"i/n"`` → ``(i, n)`` with 1 ≤ i ≤ n; anything else raises BrushworkError."""
    match = _SHARD.fullmatch(str(shard))
    i, n = (int(match[1]), int(match[2])) if match else (0, 0)
    if not 1 <= i <= n:
        raise BrushworkError(f"shard must be i/n with 1 <= i <= n (e.g. shard=3/8), got {shard!r}")
    return i, n


def shard_files(files: Sequence[T], shard: str) -> list[T]:
    """The items of ``files`` that shard ``"i/n"`` handles: item k goes to shard (k % n) + 1.

    Pass the same sorted list to every job: the n shards then partition it, disjoint and balanced
    (sizes differ by at most one).
    """
    i, n = parse_shard(shard)
    return list(files[i - 1 :: n])


def target_path(photo: Path, root: Path, out: Path) -> Path:
    """Where the target of ``photo`` (under ``root``) goes: ``out/<relative path>.png``."""
    rel = photo.relative_to(root) if root.is_dir() else Path(photo.name)
    return (out / rel).with_suffix(".png")


def _photos(root: Path, out: Path) -> list[Path]:
    """Sorted photos under ``root``, minus any inside ``out``; one-line errors when unusable."""
    if not root.exists():
        raise BrushworkError(f"data folder not found: {root}")
    out_real = os.path.realpath(out)
    files = [p for p in find_images(root) if not os.path.realpath(p).startswith(out_real + os.sep)]
    if not files:
        raise BrushworkError(f"no images found in {root} outside the output folder {out}")
    seen: dict[Path, Path] = {}
    for p in files:
        dest = target_path(p, root, out)
        if dest in seen:
            raise BrushworkError(
                f"{seen[dest]} and {p} would both be written to {dest}; rename one of them"
            )
        seen[dest] = p
    return files


def make_targets(cfg: DictConfig) -> dict[str, float]:
    """Stylize this shard's photos of ``cfg.data.dir`` into ``cfg.out`` (configs/make_targets.yaml).

    Returns the summary counts ``{"written", "skipped", "failed", "seconds"}``, also printed as one
    line. Unreadable photos are logged and counted as failed; bad arguments raise BrushworkError.
    """
    start = time.perf_counter()
    shard = str(cfg.shard)
    parse_shard(shard)  # fail on a bad shard before scanning anything
    root = Path(required(cfg, "data.dir", "path/to/photos")).expanduser()
    out = Path(required(cfg, "out", "targets/starry_night")).expanduser()
    files = shard_files(_photos(root, out), shard)
    make_output_dir(out)
    todo = [p for p in files if not target_path(p, root, out).exists()]
    skipped = len(files) - len(todo)

    outer_bar = cfg.gatys.progress  # a bar over the photos, not one per optimisation
    written = failed = 0
    if todo:  # a finished shard needs neither the style images nor VGG
        painter = Painter(cfg)
        bar = tqdm(todo, desc=f"targets {shard}", disable=None if outer_bar else True)
        bar.set_postfix(done=0, skipped=skipped)
        for photo in bar:
            try:
                content = load_image(photo)
            except BrushworkError as e:
                log.warning("skipped: %s", e)
                failed += 1
                continue
            result = painter(content, progress=False)  # seeded per photo: shard-independent
            dest = target_path(photo, root, out)
            dest.parent.mkdir(parents=True, exist_ok=True)
            save_image(result, dest)
            written += 1
            bar.set_postfix(done=written, skipped=skipped)
        bar.close()
    seconds = time.perf_counter() - start
    print(
        f"make_targets {shard}: {written} written, {skipped} skipped (already there), "
        f"{failed} failed, {seconds:.1f}s -> {out}"
    )
    return {"written": written, "skipped": skipped, "failed": failed, "seconds": seconds}
