"""Which files a batch command reads and writes: inputs given as files, folders or glob patterns,
and the output path of each, checked before any slow work starts."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from brushwork.errors import BrushworkError
from brushwork.io.files import SAVE_FORMATS, check_writable, make_output_dir
from brushwork.io.images import IMAGE_EXTENSIONS, find_images

_MAGIC = set("*?[")


def _base_of(pattern: str) -> Path:
    """The folder a glob pattern's matches are named relative to: its parts before the first
    wildcard."""
    parts = Path(pattern).parts
    fixed = [part for part in parts[: next(i for i, s in enumerate(parts) if _MAGIC & set(s))]]
    return Path(*fixed) if fixed else Path(".")


def collect_inputs(inputs: list[str]) -> tuple[list[tuple[Path, Path]], bool]:
    """``[(file, relative name)]`` for every INPUT, and whether it is a single plain file."""
    if not inputs:
        raise BrushworkError("no INPUT given (image files, folders or globs)")
    found: list[tuple[Path, Path]] = []
    for item in inputs:
        path = Path(item).expanduser()
        if not path.exists() and _MAGIC & set(item):
            hits = sorted(Path(m) for m in glob.glob(os.path.expanduser(item), recursive=True))
            hits = [h for h in hits if h.is_file() and h.suffix.lower() in IMAGE_EXTENSIONS]
            if not hits:
                raise BrushworkError(f"no images match {item}")
            base = _base_of(os.path.expanduser(item))
            found += [(h, h.relative_to(base)) for h in hits]
        elif path.is_dir():
            found += [(f, f.relative_to(path)) for f in find_images(path)]
        else:
            found += [(f, Path(f.name)) for f in find_images(path)]  # errors if missing/non-image
    single = len(inputs) == 1 and Path(inputs[0]).expanduser().is_file()
    return found, single


def plan_outputs(
    found: list[tuple[Path, Path]], single: bool, output: str, force: bool
) -> list[tuple[Path, Path]]:
    """``[(input, output path)]``; creates the output folder once all checks pass. Raises
    BrushworkError on name clashes, existing outputs without ``force``, or an output folder that
    cannot be made or written."""
    out = Path(output).expanduser()
    looks_like_image = out.suffix.lower() in IMAGE_EXTENSIONS | set(SAVE_FORMATS)
    if out.is_dir():
        to_file = False
    elif len(found) > 1 and looks_like_image:
        raise BrushworkError(f"{len(found)} input images need an output folder, not {out}")
    else:
        to_file = (single and out.suffix != "") or (len(found) == 1 and looks_like_image)
    if to_file:
        jobs = [(found[0][0], check_writable(out))]
    else:
        if out.exists() and not out.is_dir():
            raise BrushworkError(f"output {out} is a file; several inputs need an output folder")
        inside = out.resolve()
        jobs = []
        for src, rel in found:
            if inside in src.resolve().parents:
                continue  # earlier outputs inside an input folder are not inputs
            suffix = rel.suffix if rel.suffix.lower() in SAVE_FORMATS else ".png"
            jobs.append((src, out / rel.with_suffix(suffix)))
        seen: dict[Path, Path] = {}
        for src, dst in jobs:
            if dst in seen:
                raise BrushworkError(f"{seen[dst]} and {src} would both be written to {dst}")
            seen[dst] = src
    existing = [dst for _, dst in jobs if dst.exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise BrushworkError(f"{existing[0]} exists{more}; use --force to overwrite")
    if not jobs:
        raise BrushworkError("no input images outside the output folder")
    if not to_file:  # made last, so a refused run leaves no empty folder behind
        make_output_dir(out)
    return jobs
