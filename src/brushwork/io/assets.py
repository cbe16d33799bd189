"""Where images live: the data directory (``$BRUSHWORK_DATA``, default ``./data``), its style
paintings (``styles/``, downloaded once from the style's URL when missing; offline, one line says
what to put where) and training photos (``train/``, the pinned set :data:`DEFAULT_PHOTOS`).
"""

from __future__ import annotations

import os
from pathlib import Path

from brushwork.errors import BrushworkError
from brushwork.io.fetch import (
    MIRROR_ENV,
    PHOTO_SETS,
    download_verified,
    source_url,
    unpack_photos,
)
from brushwork.io.files import find_images

DATA_ENV = "BRUSHWORK_DATA"
DEFAULT_PHOTOS = "coco-val2017"  # the photo set that training fetches


def data_dir() -> Path:
    """The data directory: ``$BRUSHWORK_DATA`` or ``./data``."""
    return Path(os.path.expanduser(os.environ.get(DATA_ENV) or "data"))


def cache_dir() -> Path:
    """Where derived files are cached (ONNX copies of models, calibration probes):
    ``$BRUSHWORK_CACHE``, else ``$XDG_CACHE_HOME/brushwork``, else ``~/.cache/brushwork``."""
    if os.environ.get("BRUSHWORK_CACHE"):
        return Path(os.environ["BRUSHWORK_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "brushwork"


def download(url: str, dest: Path, timeout: float = 30.0) -> Path:
    """A missing painting: :func:`brushwork.io.fetch.download_verified` without a digest (its
    sources publish none), the data folder named in the one-line error."""
    try:
        return download_verified(url, dest, None, progress=False, timeout=timeout)
    except BrushworkError as e:
        raise BrushworkError(
            f"{dest.name} is not in {dest.parent}: {e} (or set ${DATA_ENV})"
        ) from e


def resolve_style_image(image: str, url: str | None = None, allow_download: bool = True) -> Path:
    """Path of a style image given its config: an existing path as-is, else ``<data>/styles/<image>``,
    downloaded from ``url`` when missing."""
    if not image:
        raise BrushworkError(
            "style.image is empty: name a file in $BRUSHWORK_DATA/styles or a path"
        )
    given = Path(os.path.expanduser(image))
    if given.is_absolute() or given.parent != Path(".") or given.exists():
        if not given.exists():
            raise BrushworkError(f"style image not found: {given}")
        return given
    dest = data_dir() / "styles" / image
    if dest.exists():
        return dest
    if not url or not allow_download:
        raise BrushworkError(
            f"style image {image} not found: put it at {dest} (or set ${DATA_ENV})"
        )
    print(f"downloading style image {image} from {url} -> {dest}")
    return download(url, dest)


def fetch_photos(name: str, to: Path, progress: bool = True) -> Path:
    """Download and unpack the photo set ``name`` into ``to`` (nothing to do if it has photos)."""
    photo_set = PHOTO_SETS[name]
    if to.is_dir() and any(to.iterdir()):
        try:
            count = len(find_images(to))
        except BrushworkError:
            raise BrushworkError(
                f"{to} is not empty and holds no photos: pick another folder"
            ) from None
        print(f"{to} already holds {count} photos; nothing to fetch")
        return to
    url = source_url(photo_set.url)
    archive = cache_dir() / "downloads" / url.rsplit("/", 1)[-1]
    print(f"{photo_set.about}: {photo_set.photos} photos -> {to}")
    download_verified(url, archive, photo_set.digest, progress=progress)
    count = unpack_photos(archive, photo_set.prefix, to, name)
    archive.unlink()  # the photos are what training reads; the archive would double the space
    print(f"{count} photos in {to}")
    return to


def ensure_training_photos(folder: str | Path, progress: bool = True) -> None:
    """Fetch :data:`DEFAULT_PHOTOS` into ``folder`` when it is the default training folder
    (``$BRUSHWORK_DATA/train``) and holds nothing yet, so that one command trains on a fresh
    machine. Any other folder is left as it is (a missing one is the data module's error).
    Offline: one line naming ``brushwork fetch photos`` and the mirror variable."""
    folder = Path(folder).expanduser()
    if folder.resolve() != (data_dir() / "train").resolve():
        return
    if folder.is_dir() and any(folder.iterdir()):
        return
    try:
        fetch_photos(DEFAULT_PHOTOS, folder, progress=progress)
    except BrushworkError as e:
        raise BrushworkError(
            f"no training photos in {folder} and fetching them failed ({e}); run "
            f"`brushwork fetch photos` when online, set {MIRROR_ENV}=<base URL of a mirror>, "
            "or point data.dir= at a folder of photos"
        ) from e
