"""``brushwork evaluate``'s reference protocol from arguments to the written report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from brushwork.errors import BrushworkError
from brushwork.evaluate.judge import Judge, StyleVerdict
from brushwork.evaluate.peer import PEER, peer_command
from brushwork.evaluate.reference import HELD_OUT, SIZES, held_out_photos
from brushwork.evaluate.verdicts import write_report
from brushwork.infer.model_file import load_model
from brushwork.io.assets import data_dir
from brushwork.io.files import find_images, report_folder
from brushwork.nn.device import pick_device


def reference_photos(content: str | Path | None = None, count: int | None = None) -> list[Path]:
    """The photos ``content`` names (a folder or one photo), or by default the held-out split
    of ``$BRUSHWORK_DATA/train``; the first ``count``. BrushworkError when there are none."""
    if content is not None:
        photos = find_images(content)
    else:
        train = data_dir() / "train"
        if not train.is_dir():
            raise BrushworkError(
                f"no training photos at {train} to take the held-out split from; "
                "give --content DIR (photos no net trained on) or `brushwork fetch photos`"
            )
        photos = held_out_photos(train)
        if not photos:
            raise BrushworkError(
                f"too few photos in {train} to hold {HELD_OUT} out of training; give --content DIR"
            )
    if count is not None:
        if count <= 0:
            raise BrushworkError(f"count must be positive, got {count}")
        photos = photos[:count]
    return photos


def reference_evaluate(
    model: str | Path,
    content: str | Path | None = None,
    *,
    style: str | None = None,
    painting: str | Path | None = None,
    sizes: Sequence[int] = SIZES,
    peer: bool = True,
    device: str = "auto",
    out_dir: str | Path | None = None,
    count: int | None = None,
    progress: bool = False,
) -> list[StyleVerdict]:
    """Judge ``style`` of ``model`` (``"all"``: each style it holds) under the reference protocol
    on :func:`reference_photos`; with ``out_dir``, write the report there (rewritten after each
    style, so ``all`` shows the styles done so far). Checks everything that can fail fast (model,
    photos, peer, report folder) before the slow work."""
    _, info = load_model(model)  # BrushworkError for a missing or foreign file
    names = [str(s.get("name")) for s in info["styles"]]
    styles: list[str | None] = list(names) if style == "all" else [style]
    photos = reference_photos(content, count)
    if peer and peer_command() is None:
        raise BrushworkError(f"the peer is not installed: pip install {PEER} (or --no-peer)")
    out = report_folder(out_dir, "sheet.png")  # fail now, not after minutes of painting
    judge = Judge(photos, sizes, peer, pick_device(device), progress)
    verdicts: list[StyleVerdict] = []
    for s in styles:  # the report grows as each style is judged: a long run shows its progress
        verdicts.append(judge.judge(model, s, painting))
        if out is not None:
            write_report(verdicts, photos, str(model), out, sheets=verdicts[-1:])
    return verdicts
