"""Which files a command reads and writes, and how it writes them.

Inputs given as files, folders or glob patterns (:func:`find_images`, :func:`collect_inputs`) and
the output path of each (:func:`plan_outputs`), checked before any slow work starts. Every file
brushwork writes (images, model files, ONNX/TorchScript copies, reports, downloads) goes through
:func:`atomic_write`: a hidden temp file in the destination folder (``os.replace`` is only atomic
within one filesystem; image searches skip dot-files), flushed to disk, then renamed, so a failed
or interrupted write never leaves a half-written output.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from brushwork.errors import BrushworkError

if TYPE_CHECKING:
    from PIL import Image

IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".jfif", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".ppm", ".pgm"}
)

# Formats we write; the extension alone decides, so a typo fails before any long run starts.
SAVE_FORMATS: dict[str, str] = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}


def make_output_dir(out: Path) -> Path:
    """Create folder ``out`` if needed and check it is writable, before any slow work starts."""
    if out.exists() and not out.is_dir():
        raise BrushworkError(f"{out} is a file, expected a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BrushworkError(f"cannot create output folder {out}: {e.strerror or e}") from e
    if not os.access(out, os.W_OK | os.X_OK):
        raise BrushworkError(f"output folder {out} is not writable")
    return out


def _default_mode() -> int:
    umask = os.umask(0)  # umask has no getter
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | Path, write: Callable[[Path], None], suffix: str = ".part") -> Path:
    """Run ``write(tmp)`` on a hidden temp path beside ``path``, then rename it into place.

    ``suffix`` ends the temp name (writers that pick a format from the extension need the real
    one). The temp file gets the mode ``open()`` would give (mkstemp makes 0600) and is synced to
    disk before the rename; on any failure it is removed and an OSError or ValueError (what PIL
    raises for unwritable data) becomes a one-line BrushworkError naming ``path``.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise BrushworkError(f"cannot write {path}: it is a directory")
    if not path.parent.is_dir():
        raise BrushworkError(f"cannot write {path}: folder {path.parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    except OSError as e:
        raise BrushworkError(f"cannot write {path}: {e.strerror or e}") from e
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as done:
            os.fsync(done.fileno())
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, (OSError, ValueError)) and not isinstance(e, BrushworkError):
            raise BrushworkError(f"cannot write {path}: {why_not_written(e, path.parent)}") from e
        raise
    return path


def why_not_written(e: BaseException, folder: Path) -> str:
    """The reason a write failed, on one line; a full disk (or quota) says how much is free
    there, measured after the partial file was removed."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        try:
            free = f"{shutil.disk_usage(folder).free / 1e6:.1f} MB free"
        except OSError:
            free = "free space unknown"
        return f"no space left on the disk ({free} in {folder})"
    return " ".join(str(e).split()) or type(e).__name__


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically. Writers whose own file code reports a full disk
    vaguely (torch's C++ writer raises a RuntimeError) serialise to memory and come here, so the
    disk's errors arrive as OSError and get :func:`why_not_written`'s line."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def check_writable(path: str | Path) -> Path:
    """Check that an image can be saved at ``path``; call it before long work starts.

    The extension must be a supported output format, ``path`` must not be a directory, and its
    parent folder must exist and be writable. Returns the path; raises BrushworkError otherwise.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise BrushworkError(f"cannot write {path}: it is a directory, expected an image file")
    ext = path.suffix.lower()
    if ext not in SAVE_FORMATS:
        supported = ", ".join(sorted(SAVE_FORMATS))
        raise BrushworkError(f"cannot write {path}: unsupported extension {ext!r} ({supported})")
    parent = path.parent
    if not parent.is_dir():
        raise BrushworkError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BrushworkError(f"cannot write {path}: folder {parent} is not writable")
    return path


def report_folder(folder: str | Path | None, image: str) -> Path | None:
    """Create the report ``folder`` (None: no report) and check that ``image`` (a file name) can
    be saved in it, before long work starts. BrushworkError naming the folder otherwise."""
    if folder is None:
        return None
    out = Path(folder).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BrushworkError(f"cannot create report folder {out}: {e}") from e
    check_writable(out / image)
    return out


def save_pil(pil: Image.Image, path: str | Path, quality: int, batch: int) -> Path:
    """Write ``pil`` to ``path`` atomically in the format its extension names (``quality``
    1-100 for JPEG and WebP); ``batch`` != 1 is refused, naming the file."""
    path = check_writable(path)
    if batch != 1:
        raise BrushworkError(f"cannot write {path}: got a batch of {batch}, expected 1")
    if not 1 <= quality <= 100:
        raise BrushworkError(f"cannot write {path}: quality must be in 1..100, got {quality}")
    fmt = SAVE_FORMATS[path.suffix.lower()]
    # JPEG at 4:4:4 chroma: the default 4:2:0 smears the fine colour texture style transfer makes.
    jpeg = {"quality": quality, "subsampling": 0}
    # PNG at zlib level 1: several times faster to write than the default 6, for somewhat
    # larger files; the pixels are the same.
    png = {"compress_level": 1}
    options = {"JPEG": jpeg, "WEBP": {"quality": quality}, "PNG": png}.get(fmt, {})

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as out:  # PIL is told the format: the temp name's suffix is cosmetic
            pil.save(out, format=fmt, **options)

    return atomic_write(path, write, suffix=path.suffix)


def find_images(root: str | Path) -> list[Path]:
    """Return the image files under ``root``, recursively and sorted.

    Matches :data:`IMAGE_EXTENSIONS` case-insensitively and skips hidden files and folders
    (names starting with "."). A ``root`` that is itself an image file gives ``[root]``.
    Raises BrushworkError if ``root`` is missing, is a non-image file, or holds no images.
    """
    root = Path(root).expanduser()
    exts = ", ".join(sorted(IMAGE_EXTENSIONS))
    if not root.exists():
        raise BrushworkError(f"image path not found: {root}")
    if root.is_file():
        if root.suffix.lower() in IMAGE_EXTENSIONS:
            return [root]
        raise BrushworkError(f"{root} is not an image file (extensions: {exts})")
    found: list[Path] = []
    seen: set[str] = set()  # real paths of visited dirs: symlink loops must not recurse forever
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            path = Path(dirpath, name)
            if path.is_file():  # drops broken symlinks
                found.append(path)
    if not found:
        raise BrushworkError(f"no images found in {root} (looked for {exts})")
    return sorted(found)


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
