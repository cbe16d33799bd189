"""Fetching public photo sets: resumable (HTTP Range into a hidden ``.part`` file), verified against
a pinned digest, unpacked into a hidden folder and renamed into place, so nothing partial looks
complete. Offline, one line says what to download, from where, and where to put it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from brushwork.errors import BrushworkError
from brushwork.io.files import IMAGE_EXTENSIONS

MIRROR_ENV = "BRUSHWORK_MIRROR"  # a base URL serving the same archive names (mirrors, proxies)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class PhotoSet:
    """A public photo archive: where it is, its pinned digest (``algorithm:hex``: a set nobody
    can pin is not offered), and which archive members are the photos (a path prefix)."""

    name: str
    url: str
    digest: str
    prefix: str
    photos: int
    about: str


PHOTO_SETS = {
    "coco-val2017": PhotoSet(
        "coco-val2017",
        "http://images.cocodataset.org/zips/val2017.zip",
        # 815,585,330 bytes. COCO publishes no digest; this SHA-256 is the one TensorFlow Datasets
        # records for this URL (tensorflow/datasets, object_detection/lvis/checksums.tsv).
        "sha256:4f7e2ccb2866ec5041993c9cf2a952bbed69647b115d0f74da7ce8f4bef82f05",
        "val2017/",
        5000,
        "COCO 2017 validation images (Lin et al. 2014; CC BY 4.0 annotations, Flickr photos)",
    ),
}


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def source_url(url: str) -> str:
    """``url``, or the same file name under ``$BRUSHWORK_MIRROR`` when that is set."""
    mirror = os.environ.get(MIRROR_ENV)
    return f"{mirror.rstrip('/')}/{url.rsplit('/', 1)[-1]}" if mirror else url


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def download_verified(
    url: str, dest: Path, digest: str | None, *, progress: bool = True, timeout: float = 30.0
) -> Path:
    """Download ``url`` to ``dest`` (resuming ``.<dest>.part``), check ``digest`` (``algorithm:hex``;
    None: unchecked), rename into place. ``progress``: a bar, and the size and free space stated
    first. Raises BrushworkError: offline (what to fetch and where to put it), interrupted (the
    part stays, run again to resume), or a digest mismatch (the part is removed)."""
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.part")
    have = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": "brushwork", **({"Range": f"bytes={have}-"} if have else {})}
    try:
        resp = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as e:
        if not (e.code == 416 and have):  # 416 with a part: it was complete already
            raise BrushworkError(
                f"cannot download {url} (HTTP {e.code}): fetch it yourself and put the file at "
                f"{dest}"
            ) from e
        resp = None
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise BrushworkError(
            f"cannot download {url} ({reason}): fetch it yourself and put the file at {dest}"
        ) from e
    if resp is not None:
        _receive(resp, url, part, have, dest.parent, progress)
    _verify(part, url, dest, digest)
    os.replace(part, dest)
    return dest


def _receive(resp, url: str, part: Path, have: int, folder: Path, progress: bool) -> None:
    """Append the response body to ``part`` (or restart it when the range was ignored)."""
    with resp:
        if have and resp.status != 206:  # the server ignored the range: start again
            have = 0
        length = resp.headers.get("Content-Length")
        total = have + int(length) if length else None
        free = shutil.disk_usage(folder).free
        if total is not None:
            # The archive, then its photos unpacked beside it: about twice its size at the peak.
            need = 2 * total - have
            if progress:
                print(
                    f"downloading {url} ({_human(total)}; needs {_human(need)} free in "
                    f"{folder}, {_human(free)} free)"
                )
            if need > free:
                raise BrushworkError(
                    f"not enough disk space in {folder}: {_human(need)} needed, {_human(free)} free"
                )
        bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, disable=not progress)
        try:
            with bar, open(part, "ab" if have else "wb") as out:
                while chunk := resp.read(_CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
        except OSError as e:  # a cut connection: keep what arrived, for the next run
            raise BrushworkError(
                f"download of {url} interrupted ({e}); run the same command again to resume"
            ) from e
    got = part.stat().st_size
    if total is not None and got < total:
        raise BrushworkError(
            f"download of {url} interrupted at {_human(got)} of {_human(total)}; run the same "
            "command again to resume"
        )


def _verify(part: Path, url: str, dest: Path, digest: str | None) -> None:
    """Check the complete download against ``digest``; a mismatch removes it."""
    if digest is None:
        return
    algorithm, want = digest.split(":", 1)
    actual = file_digest(part, algorithm)
    if actual != want:
        part.unlink()
        raise BrushworkError(
            f"{dest.name} from {url} is corrupt or not the expected file ({algorithm} "
            f"{actual}, expected {want}); removed it, run again to download it afresh"
        )


def _photo_members(archive: Path, prefix: str) -> list[tuple[str, object]]:
    """(name, member) of every image file under ``prefix`` in a .zip or .tar(.gz) archive."""

    def wanted(name: str) -> bool:
        return name.startswith(prefix) and Path(name).suffix.lower() in IMAGE_EXTENSIONS

    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            return [(i.filename, i) for i in z.infolist() if not i.is_dir() and wanted(i.filename)]
    with tarfile.open(archive) as t:
        return [(m.name, m) for m in t.getmembers() if m.isfile() and wanted(m.name)]


def unpack_photos(archive: Path, prefix: str, to: Path, label: str) -> int:
    """Extract the images under ``prefix`` into ``to`` (flat: file names only, so no member can
    write outside it), through a hidden folder renamed into place. Returns how many."""
    members = _photo_members(archive, prefix)
    if not members:
        raise BrushworkError(f"{archive} holds no images under {prefix}")
    staging = to.with_name(f".{to.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    names = set()
    is_zip = zipfile.is_zipfile(archive)
    with zipfile.ZipFile(archive) if is_zip else tarfile.open(archive) as src:
        for name, member in tqdm(members, desc=f"unpacking {label}", unit="img"):
            base = Path(name).name
            if base in names:
                raise BrushworkError(f"{archive} holds two photos named {base}")
            names.add(base)
            data = src.open(member) if is_zip else src.extractfile(member)
            with data as f, open(staging / base, "wb") as out:
                shutil.copyfileobj(f, out)
    if to.exists():
        to.rmdir()  # the caller checked it is empty; a folder with files is never replaced
    os.replace(staging, to)
    return len(members)
