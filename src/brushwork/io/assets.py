"""Where images live: the data directory (``$BRUSHWORK_DATA``, default ``./data``) and style images.

A style config names a file in ``$BRUSHWORK_DATA/styles/`` and a public URL. A missing file is
downloaded there once (atomically, so an interrupted download leaves nothing behind); offline, the error
names the file, where to put it and where to get it.
"""

from __future__ import annotations

import os
from pathlib import Path

from brushwork.errors import BrushworkError
from brushwork.io.fetch import download_verified

DATA_ENV = "BRUSHWORK_DATA"


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
