"""Writing files: atomic writes (a failed or interrupted write never leaves a half-written
output) and the image formats brushwork writes.

Every file brushwork writes (images, model files, ONNX/TorchScript copies, reports, downloads)
goes through :func:`atomic_write`: a hidden temp file in the destination folder (``os.replace`` is
only atomic within one filesystem; image searches skip dot-files), flushed to disk, then renamed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from brushwork.errors import BrushworkError

if TYPE_CHECKING:
    from PIL import Image

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
