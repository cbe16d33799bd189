"""Score a trained style network against the Gatys optimizer under the network's own objective.

For each photo (longer side ``size``): the net's output and Gatys L-BFGS from the photo after
each of ``gatys_steps`` iterations are scored by the loss terms, luminance SSIM and seconds.
The objective is rebuilt from the model file (:mod:`brushwork.evaluate.objective`). Equivalent
Gatys iterations (Johnson et al. 2016, Fig. 5): where the net's mean total falls on the mean
Gatys loss-per-iteration curve (:func:`equivalent_iterations`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from brushwork.errors import BrushworkError
from brushwork.evaluate.metrics import Equivalent, equivalent_iterations, ssim_luminance
from brushwork.evaluate.objective import objective_of
from brushwork.evaluate.painting import net_and_painting
from brushwork.evaluate.protocol import GATYS_STEPS, SIZE, parse_steps
from brushwork.evaluate.report import (
    TERMS,
    ObjectiveReport,
    PhotoResult,
    Terms,
    log_wandb,
    markdown,
)
from brushwork.gatys.optimizer import from_photo
from brushwork.io.files import find_images, report_folder, write_text
from brushwork.io.images import load_image, resize, save_image
from brushwork.io.sheets import contact_sheet
from brushwork.nn.device import pick_device
from brushwork.nn.losses import PerceptualLoss


def timed(fn: Callable[[], Tensor], device: torch.device) -> tuple[Tensor, float]:
    """Run ``fn`` and return (result, seconds), synchronising an accelerator around it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    out = fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return out, time.perf_counter() - start


def _terms(loss: Any, image: Tensor, photo: Tensor, targets: dict, seconds: float) -> Terms:
    """``image`` scored against ``photo`` (its content ``targets``) under ``loss``."""
    with torch.no_grad():
        terms = {k: float(v) for k, v in loss(image, content_targets=targets).items()}
    ssim = float(ssim_luminance(image, photo)[0])
    return Terms(**{k: terms[k] for k in TERMS}, ssim=ssim, seconds=seconds)


def _gatys_run(
    content: Tensor, style: Tensor, loss: Any, steps: list[int], style_size: int, progress: bool
) -> tuple[list[float], list[float], dict[int, Tensor]]:
    """L-BFGS to max(steps) → (losses of iterates 0..N-1, seconds to iterates 1..N, snapshots)."""
    before: list[float] = []
    seconds: list[float] = []
    snaps: dict[int, Tensor] = {}
    start = time.perf_counter()

    def on_step(level: int, step: int, image: Tensor, terms: dict[str, float]) -> None:
        # terms were computed (.item(): synchronised) at the iterate BEFORE this step's update.
        seconds.append(time.perf_counter() - start)
        before.append(terms["total"])
        if step + 1 in steps:
            snaps[step + 1] = image.clamp(0, 1).clone()

    from_photo(content, style, loss, style_size, steps[-1], progress, on_step)
    return before, seconds, snaps


def _time_at(eq: Equivalent, seconds: list[float]) -> float:
    """Seconds Gatys needed for ``eq`` iterations (linear between recorded iterations)."""
    k = min(max(eq.iterations, 1.0), float(len(seconds)))
    lo = int(k)
    if lo >= len(seconds):
        return seconds[-1]
    return seconds[lo - 1] + (k - lo) * (seconds[lo] - seconds[lo - 1])


def evaluate(
    model: str | Path,
    content: str | Path | list[Path],
    *,
    gatys_steps: str | Sequence[int] = GATYS_STEPS,
    size: int = SIZE,
    device: str | torch.device = "auto",
    out_dir: str | Path | None = None,
    count: int | None = None,
    style: str | None = None,
    painting: str | Path | None = None,
    progress: bool = True,
) -> ObjectiveReport:
    """Evaluate ``model`` on the photos under ``content`` or listed in it (the first ``count``);
    return the report.

        With ``out_dir``: writes ``report.md``, ``report.json`` and ``contact_sheet.png`` there (rows:
        photos; columns: photo | Gatys-N for each N | feed-forward) and, when a W&B run is active,
        logs the table and the sheet. ``style`` (a style name or image path) overrides the painting
        named in the export; for a multi-style model it names which of its styles is evaluated (with
        that style's own painting and weight; default the first). ``painting``: the painting's file,
        where the model names one that the data folder does not hold (a painting trained by path).
    Raises BrushworkError for a missing model or empty/missing folder.
    """
    steps = parse_steps(gatys_steps)
    if isinstance(size, bool) or not isinstance(size, int) or size < 16:
        raise BrushworkError(f"size must be an integer >= 16, got {size!r}")
    if count is not None and count <= 0:
        raise BrushworkError(f"count must be positive, got {count}")
    dev = pick_device(device)
    photos = (list(content) if isinstance(content, list) else find_images(content))[:count]
    out = report_folder(out_dir, "contact_sheet.png")  # fail now, not after minutes of Gatys
    net, info, entry, style_path = net_and_painting(model, dev, style, painting)
    objective = objective_of(info["meta"], entry)
    style_size = objective["style_size"]
    painting = load_image(style_path)  # full size: stylize() resizes it to style_size
    loss = PerceptualLoss(**objective["loss"]).to(dev)
    loss.set_styles([resize(painting.to(dev), style_size)])

    per_photo, rows = [], []
    for i, path in enumerate(photos):
        c = load_image(path, size, device=dev)
        if i == 0:
            with torch.no_grad():
                net(c)  # warm-up: the first call pays for allocations and kernel selection
        result, row = _photo(net, c, path.name, painting, loss, steps, style_size, progress)
        per_photo.append(result)
        rows.append(row)
    listed = [str(p) for p in photos] if isinstance(content, list) else str(content)
    setup = dict(model=str(model), style=dict(info["style"]), style_image=str(style_path))
    setup |= dict(objective=objective, content=listed, size=size, gatys_steps=steps)
    report = _averaged(per_photo, setup | {"device": str(dev)})
    if out is not None:
        sheet = contact_sheet(rows, height=min(256, min(r[0].shape[-2] for r in rows)))
        save_image(sheet, out / "contact_sheet.png")
        write_text(out / "report.json", json.dumps(report.to_json(), indent=1) + "\n")
        write_text(out / "report.md", markdown(report))
        log_wandb(report, sheet)
    return report


def _photo(
    net: Any,
    c: Tensor,
    name: str,
    painting: Tensor,
    loss: Any,
    steps: list[int],
    style_size: int,
    progress: bool,
) -> tuple[PhotoResult, list[Tensor]]:
    """One photo ``c``: the net's output and Gatys after each of ``steps`` iterations, scored;
    and its contact-sheet row (photo | Gatys-N for each N | the net)."""
    targets = loss.content_targets(c)
    with torch.no_grad():
        ff, ff_seconds = timed(lambda: net(c).clamp(0, 1), c.device)
    before, seconds, snaps = [], [], {}  # gatys_steps 0: the net's terms only
    if steps:
        before, seconds, snaps = _gatys_run(c, painting, loss, steps, style_size, progress)
    gatys = {n: _terms(loss, snaps[n], c, targets, seconds[n - 1]) for n in steps}
    curve = before[1:] + [gatys[n].total for n in steps[-1:]]  # after 1..N iterations
    ff_terms = _terms(loss, ff, c, targets, ff_seconds)
    eq = equivalent_iterations(ff_terms.total, curve) if steps else None
    result = PhotoResult(
        photo=name,
        height=c.shape[-2],
        width=c.shape[-1],
        feed_forward=ff_terms,
        gatys=gatys,
        start_loss=before[0] if before else None,
        equivalent=eq,
        curve=curve,
        curve_seconds=seconds,
    )
    return result, [c, *(snaps[n] for n in steps), ff]


def _averaged(per_photo: list[PhotoResult], setup: dict[str, Any]) -> ObjectiveReport:
    """The report: the photos' means, and where the net's mean total falls on the mean curve."""
    steps, n = setup["gatys_steps"], len(per_photo)
    its = steps[-1] if steps else 0
    curve = [sum(p.curve[k] for p in per_photo) / n for k in range(its)]
    seconds = [sum(p.curve_seconds[k] for p in per_photo) / n for k in range(its)]
    ff = Terms.mean([p.feed_forward for p in per_photo])
    eq = equivalent_iterations(ff.total, curve) if steps else None
    return ObjectiveReport(
        **setup,
        per_photo=per_photo,
        feed_forward=ff,
        gatys={k: Terms.mean([p.gatys[k] for p in per_photo]) for k in steps},
        equivalent=eq,
        gatys_seconds_at_equivalent=_time_at(eq, seconds) if eq else None,
        curve=curve,
        curve_seconds=seconds,
    )
