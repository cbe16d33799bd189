"""Atomic file writes: a failed or interrupted write never leaves a half-written output."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from brushwork.errors import BrushworkError


def make_output_dir(out: Path) -> Path:
    """Create folder ``out`` if needed and check it is writable, before any slow work starts."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BrushworkError(f"cannot create output folder {out}: {e.strerror or e}") from e
    if not os.access(out, os.W_OK | os.X_OK):
        raise BrushworkError(f"output folder {out} is not writable")
    return out


def atomic_write(path: str | Path, write: Callable[[Path], None], suffix: str = ".part") -> Path:
    """Run ``write(tmp)`` on a hidden temp path beside ``path``, then rename it into place.

    The temp file gets the mode ``open()`` would give (mkstemp makes 0600); on any failure it is
    removed and an OSError becomes a one-line BrushworkError naming ``path``.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise BrushworkError(f"cannot write {path}: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)  # umask has no getter
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise BrushworkError(f"cannot write {path}: {e}") from e
        raise
    return path
