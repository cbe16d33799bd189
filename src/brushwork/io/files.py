"""Atomic file writes: a failed or interrupted write never leaves a half-written output.

Every file brushwork writes (images, model files, ONNX/TorchScript copies, reports, downloads)
goes through :func:`atomic_write`: a hidden temp file in the destination folder (``os.replace`` is
only atomic within one filesystem; image searches skip dot-files), flushed to disk, then renamed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from brushwork.errors import BrushworkError


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
            reason = " ".join(str(e).split()) or type(e).__name__
            raise BrushworkError(f"cannot write {path}: {reason}") from e
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
