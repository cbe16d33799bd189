"""The app's temporary folder, bounded: uploads Gradio copies and the results it serves, plus the
files brushwork writes, held under a size limit by removing the least recently used first.

Layout: ``<root>/gradio`` is Gradio's own (``GRADIO_TEMP_DIR``: the uploads and its copies of the
files a page downloads), ``<root>/results/<fresh>`` one folder per result. A page keeps showing
its last results, so the newest ``keep`` results (and whatever Gradio wrote since the oldest of
them) and anything younger than ``min_age_s`` (an upload an event is still reading) are never
removed, even when that keeps the folder over its bound for a while: within reason, a result on
screen stays downloadable.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path


def tree_bytes(path: Path) -> int:
    """Bytes of the files under ``path`` (a file: its own size); 0 once it has gone."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            # A file removed meanwhile (Gradio cleans up after itself too) counts 0.
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(folder, name)).st_size
    return total


class TempFolder:
    """At most ``max_mb`` MB of uploads and results under ``root`` (created if needed).

    :meth:`result` gives a fresh folder for one result after trimming; :meth:`trim`, once over
    the bound, removes the least recently used entries of ``gradio/`` and ``results/`` until 90 %
    of it is left (the files Gradio copies after an event returns fit in the rest).
    Safe across the threads Gradio runs events on.
    """

    def __init__(self, root: Path, max_mb: float = 256, keep: int = 8, min_age_s: float = 10):
        if max_mb <= 0:
            raise ValueError(f"max_mb must be > 0, got {max_mb}")
        self.root, self.max_bytes = Path(root), int(max_mb * 1e6)
        self.keep, self.min_age_s = keep, min_age_s
        self.gradio, self.results = self.root / "gradio", self.root / "results"
        self.gradio.mkdir(parents=True, exist_ok=True)
        self.results.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def result(self) -> Path:
        """A fresh, empty folder for one result (the folder trimmed first)."""
        self.trim()
        return Path(tempfile.mkdtemp(dir=self.results))

    def size(self) -> int:
        """Bytes held now, uploads and results together."""
        return tree_bytes(self.gradio) + tree_bytes(self.results)

    def trim(self) -> int:
        """Over the bound: remove the least recently used removable entries down to 90 % of it;
        return the bytes removed."""
        with self._lock:
            # Gradio's files sit in folders named by their content's SHA-256; its other
            # entries (its own bookkeeping) stay.
            paths = [*_children(self.results)]
            paths += [p for p in _children(self.gradio) if _is_sha256(p.name)]
            usage = {p: _usage(p) for p in paths}  # one walk each: (bytes, last used)
            entries = [(used, p) for p, (_, used) in usage.items()]
            total = sum(size for size, _ in usage.values())
            if total <= self.max_bytes:
                return 0
            goal = 0.9 * self.max_bytes  # room for what Gradio copies after the event returns
            shown_since = self._shown_since([t for t, p in entries if p.parent == self.results])
            young = time.time() - self.min_age_s
            freed = 0
            for mtime, path in sorted(entries, key=lambda e: e[0]):
                if total - freed <= goal or mtime >= min(shown_since, young):
                    break
                _remove(path)
                freed += usage[path][0]
            return freed

    def public(self, e: Exception) -> str:
        """The line a page shows for ``e``. A write that failed in this folder names no server
        path there: a full disk says so and how much is free; the full line goes to the
        server's stderr, for whoever runs the app."""
        text = str(e)
        if str(self.root) not in text:
            return text
        print(f"error: {text}", file=sys.stderr, flush=True)
        cause = e.__cause__
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            free = shutil.disk_usage(self.root).free / 1e6
            return f"the server's disk is full ({free:.1f} MB free): no room for the result"
        return "the server could not keep the result (its log says why)"

    def _shown_since(self, times: list[float]) -> float:
        """The time of the oldest of the newest ``keep`` results (inf: none to keep)."""
        newest = sorted(times, reverse=True)[: max(self.keep, 0)]
        return newest[-1] if newest else float("inf")


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except FileNotFoundError:
        return []


def _usage(path: Path) -> tuple[int, float]:
    """Bytes under ``path`` and when it was last written or handed out: the newest time of the
    folder and its files. Gradio hands out an identical file again from its first copy and
    touches the file, not its folder; an upload is touched when an event reads it
    (brushwork.app.uploads). Gone meanwhile: (0, inf), never picked."""
    try:
        newest, total = path.stat().st_mtime, 0
        for f in path.rglob("*") if path.is_dir() else [path]:
            st = f.stat()
            if f.is_file():
                total += st.st_size
            newest = max(newest, st.st_mtime)
        return total, newest
    except FileNotFoundError:
        return 0, float("inf")


def _is_sha256(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
