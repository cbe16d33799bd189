"""Download what training needs: ``brushwork fetch photos|styles [--to DIR]``.

Photos go to ``$BRUSHWORK_DATA/train``, styles to ``$BRUSHWORK_DATA/styles``; downloads resume,
are checked against their pinned digest and never leave a partial file that looks complete.
``$BRUSHWORK_MIRROR``: a base URL serving the same file names.
"""

from __future__ import annotations

from pathlib import Path

from brushwork.cli.main import parser
from brushwork.io.assets import data_dir, download, fetch_photos
from brushwork.io.fetch import PHOTO_SETS, source_url


def fetch_styles(to: Path) -> list[Path]:
    """Download every shipped painting that is not in ``to`` yet."""
    from brushwork.config.groups import group_choices, load_group

    done = []
    for name in group_choices("style"):
        style = load_group("style", name)
        dest = to / style.image
        if not dest.is_file():
            print(f"{name}: {source_url(style.url)} -> {dest}")
            download(source_url(style.url), dest)
        done.append(dest)
    print(f"{len(done)} paintings in {to}")
    return done


def main(argv: list[str], prog: str = "brushwork fetch") -> int:
    p = parser(prog, __doc__)
    p.add_argument("what", choices=["photos", "styles"])
    p.add_argument("--set", default="coco-val2017", choices=list(PHOTO_SETS), help="photo set")
    p.add_argument("--to", help="destination folder (default: where the configs look)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    if args.what == "photos":
        to = Path(args.to).expanduser() if args.to else data_dir() / "train"
        fetch_photos(args.set, to, progress=not args.no_progress)
        print(f"train with: python train.py style=starry_night data.dir={to}")
    else:
        fetch_styles(Path(args.to).expanduser() if args.to else data_dir() / "styles")
    return 0
