"""Rows of ``brushwork evaluate``'s 1:1 sheets, stacked into one picture for the docs.

    python scripts/benchmarks/wallpaper_rows.py outputs/ref/after docs/wallpaper_after.jpg \
        candy:0 starry_night:0 mosaic:1

Each ``STYLE:ROW`` takes row ROW of ``<report>/sheet_<STYLE>.png`` (row 0: a generated photo with
a sky; row 1: the blurred flat input; columns photo | ours | peer, each 512 px at 1:1).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

CELL, GAP = 512, 2  # the sheets' cell and gap, px (brushwork.evaluate.verdicts)


def rows(report: Path, picks: list[str]) -> Image.Image:
    cut = []
    for pick in picks:
        style, _, row = pick.partition(":")
        with Image.open(report / f"sheet_{style}.png") as sheet:
            top = int(row or 0) * (CELL + GAP)
            cut.append(sheet.convert("RGB").crop((0, top, sheet.width, top + CELL + 2 * GAP)))
    out = Image.new("RGB", (cut[0].width, sum(c.height for c in cut)), "white")
    for k, c in enumerate(cut):
        out.paste(c, (0, sum(x.height for x in cut[:k])))
    return out


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    rows(Path(sys.argv[1]), sys.argv[3:]).save(sys.argv[2], quality=90)
    print(f"wrote {sys.argv[2]}")
