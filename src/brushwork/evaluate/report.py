"""The report of a net scored under its own objective (``brushwork.evaluate.compare``): a typed
value, its ``report.json`` layout, and its renderings (Markdown, W&B tables)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from torch import Tensor

from brushwork.evaluate.metrics import Equivalent
from brushwork.io.images import tensor_to_pil

TERMS = ("content", "style", "tv", "total")


@dataclass(frozen=True)
class Terms:
    """One image's scores: the objective's weighted terms, luminance SSIM against the photo
    (1: the same structure), and the seconds it took to make the image."""

    content: float
    style: float
    tv: float
    total: float
    ssim: float
    seconds: float

    @staticmethod
    def mean(items: Sequence[Terms]) -> Terms:
        n = len(items)
        return Terms(**{f.name: sum(getattr(t, f.name) for t in items) / n for f in fields(Terms)})


@dataclass(frozen=True)
class PhotoResult:
    """One photo: the net's output and Gatys after each of the report's ``gatys_steps``
    iterations; ``curve[i]``: the Gatys total after i + 1 iterations, ``curve_seconds[i]`` the
    seconds to reach it; ``start_loss``: the photo's own total (None without Gatys)."""

    photo: str
    height: int
    width: int
    feed_forward: Terms
    gatys: dict[int, Terms]
    start_loss: float | None
    equivalent: Equivalent | None
    curve: list[float]
    curve_seconds: list[float]


@dataclass(frozen=True)
class ObjectiveReport:
    """A net against Gatys under the net's own objective, over ``per_photo``; the means:
    ``feed_forward``, ``gatys`` (by iteration count), ``curve`` / ``curve_seconds``, and where
    the net's mean total falls on the mean curve (``equivalent``, None without Gatys)."""

    model: str
    style: dict[str, Any]
    style_image: str
    objective: dict[str, Any]
    content: str | list[str]
    size: int
    gatys_steps: list[int]
    device: str
    per_photo: list[PhotoResult]
    feed_forward: Terms
    gatys: dict[int, Terms]
    equivalent: Equivalent | None
    gatys_seconds_at_equivalent: float | None
    curve: list[float]
    curve_seconds: list[float]

    @property
    def photos(self) -> list[str]:
        return [p.photo for p in self.per_photo]

    @property
    def speedup(self) -> dict[int, float]:
        """Gatys-N's seconds over the net's, for each N."""
        return {n: g.seconds / self.feed_forward.seconds for n, g in self.gatys.items()}

    @property
    def speedup_at_equal_loss(self) -> float | None:
        at = self.gatys_seconds_at_equivalent
        return at / self.feed_forward.seconds if at is not None else None

    @staticmethod
    def from_json(d: dict[str, Any]) -> ObjectiveReport:
        """The report a ``report.json`` holds (:meth:`to_json`'s inverse)."""

        def eq(e: dict | None) -> Equivalent | None:
            return Equivalent(**e) if e else None

        def by_steps(g: dict[str, dict]) -> dict[int, Terms]:
            return {int(n): Terms(**t) for n, t in g.items()}

        avg, keep = d["average"], ("curve", "curve_seconds")
        per_photo = [
            PhotoResult(
                **{k: p[k] for k in ("photo", "height", "width", "start_loss", *keep)},
                feed_forward=Terms(**p["feed_forward"]),
                gatys=by_steps(p["gatys"]),
                equivalent=eq(p["equivalent"]),
            )
            for p in d["per_photo"]
        ]
        setup = ("model", "style", "style_image", "objective", "content", "size", "gatys_steps")
        return ObjectiveReport(
            **{k: d[k] for k in (*setup, "device")},
            **{k: avg[k] for k in (*keep, "gatys_seconds_at_equivalent")},
            per_photo=per_photo,
            feed_forward=Terms(**avg["feed_forward"]),
            gatys=by_steps(avg["gatys"]),
            equivalent=eq(avg["equivalent"]),
        )

    def to_json(self) -> dict[str, Any]:
        """The ``report.json`` layout (string keys; iteration counts as strings)."""

        def photo(p: PhotoResult) -> dict[str, Any]:
            eq = p.equivalent
            return {
                "photo": p.photo,
                "height": p.height,
                "width": p.width,
                "feed_forward": asdict(p.feed_forward),
                "gatys": {str(n): asdict(g) for n, g in p.gatys.items()},
                "start_loss": p.start_loss,
                "equivalent_iterations": str(eq) if eq else None,
                "equivalent": vars(eq) if eq else None,
                "curve": p.curve,
                "curve_seconds": p.curve_seconds,
            }

        eq = self.equivalent
        head = {k: getattr(self, k) for k in ("model", "style", "style_image", "objective")}
        return head | {
            "content": self.content,
            "photos": self.photos,
            "size": self.size,
            "gatys_steps": self.gatys_steps,
            "device": self.device,
            "average": {
                "feed_forward": asdict(self.feed_forward),
                "gatys": {str(n): asdict(g) for n, g in self.gatys.items()},
                "speedup": {str(n): v for n, v in self.speedup.items()},
                "equivalent_iterations": str(eq) if eq else None,
                "equivalent": vars(eq) if eq else None,
                "gatys_seconds_at_equivalent": self.gatys_seconds_at_equivalent,
                "speedup_at_equal_loss": self.speedup_at_equal_loss,
                "curve": self.curve,
                "curve_seconds": self.curve_seconds,
            },
            "per_photo": [photo(p) for p in self.per_photo],
        }


def _bound(relation: str) -> str:
    """How a speed-up at equal loss reads when the equivalent iterations are only a bound."""
    return {"<": "< ", ">": "> "}.get(relation, "")


FEATURE_TERMS = ("content", "style")  # the terms computed on VGG layers, each its own


def _layers(loss: dict[str, Any], kind: str) -> str:
    return ", ".join(loss.get(f"{kind}_layers") or []) or "none"


def markdown(report: ObjectiveReport) -> str:
    """The human-readable report: setup, averaged table, per-photo table, contact sheet."""
    steps, loss, style = report.gatys_steps, report.objective["loss"], report.style
    gatys_line = (
        f"- **equivalent Gatys iterations of the feed-forward net: {report.equivalent}** (mean"
        " loss placed on the mean per-iteration L-BFGS curve, log-linear; Johnson et al. 2016,"
        " Fig. 5)"
        if steps
        else "- Gatys: not run (`--gatys-steps 0`): the feed-forward net's terms only"
    )
    lines = [
        f"# Evaluation of {Path(report.model).name}",
        "",
        f"- style: {style.get('title') or style.get('name')} ({Path(report.style_image).name},"
        f" Gram targets at {report.objective['style_size']} px)",
        "- objective: "
        + "; ".join(f"{t} [{_layers(loss, t)}] × {loss[t + '_weight']:g}" for t in FEATURE_TERMS)
        + f"; tv × {loss['tv_weight']:g}",
        f"- photos: {len(report.per_photo)} from {report.content}, longer side "
        f"{report.size} px; device {report.device}"
        + ("; Gatys: L-BFGS from the photo, one level" if steps else ""),
        gatys_line,
        "",
        *_average_table(report),
        "",
        "## Per photo (total loss; SSIM of the luminance against the photo)",
        "",
        "| photo | feed-forward | "
        + " | ".join(f"Gatys-{n}" for n in steps)
        + " | equivalent its | SSIM ff | "
        + " | ".join(f"SSIM G-{n}" for n in steps)
        + " |",
        "|---|" + "---:|" * (3 + 2 * len(steps)),
    ]
    for p in report.per_photo:
        totals = " | ".join(f"{p.gatys[n].total:.4g}" for n in steps)
        ssims = " | ".join(f"{p.gatys[n].ssim:.3f}" for n in steps)
        lines.append(
            f"| {p.photo} | {p.feed_forward.total:.4g} | {totals} | "
            f"{p.equivalent or '-'} | {p.feed_forward.ssim:.3f} | {ssims} |"
        )
    columns = " | ".join(["photo", *(f"Gatys-{n}" for n in steps), "feed-forward"])
    lines += ["", "## Contact sheet", "", f"Rows: the photos above, in order. Columns: {columns}."]
    return "\n".join([*lines, "", "![contact sheet](contact_sheet.png)", ""])


def _average_table(report: ObjectiveReport) -> list[str]:
    """The mean of each method: the net, Gatys-N for each N, Gatys at the net's loss."""
    ff, eq = report.feed_forward, report.equivalent
    lines = [
        "| method | content | style | tv | total | SSIM (Y) | s / image | feed-forward speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, t, speed in [
        ("feed-forward", ff, 1.0),
        *((f"Gatys-{n}", g, report.speedup[n]) for n, g in report.gatys.items()),
    ]:
        cells = " | ".join(f"{getattr(t, k):.4g}" for k in TERMS)
        lines.append(f"| {name} | {cells} | {t.ssim:.3f} | {t.seconds:.3g} | {speed:.3g}× |")
    if eq is not None:
        at, speed = report.gatys_seconds_at_equivalent, report.speedup_at_equal_loss
        lines.append(
            f"| Gatys at equal loss ({eq} its) | | | | {ff.total:.4g} | | "
            f"{_bound(eq.relation)}{at:.3g} | {_bound(eq.relation)}{speed:.3g}× |"
        )
    return lines


def log_wandb(report: ObjectiveReport, sheet: Tensor) -> bool:
    """Log the per-photo table and the contact sheet to the active W&B run, if any; say if so."""
    wandb = sys.modules.get("wandb")  # never imported here: no import, no active run
    if wandb is None or wandb.run is None:
        return False
    columns = ["photo", "method", *TERMS, "ssim", "seconds", "equivalent_iterations"]
    data = []
    for p in report.per_photo:
        methods = [("feed-forward", p.feed_forward)]
        methods += [(f"gatys-{n}", g) for n, g in p.gatys.items()]
        for name, t in methods:
            eq = str(p.equivalent) if name == "feed-forward" and p.equivalent else ""
            data.append([p.photo, name, *(getattr(t, k) for k in TERMS), t.ssim, t.seconds, eq])
    steps = " | ".join(f"Gatys-{n}" for n in report.gatys_steps)
    caption = f"rows: photos; columns: photo | {steps} | feed-forward"
    wandb.run.log(
        {
            "eval/table": wandb.Table(columns=columns, data=data),
            "eval/contact_sheet": wandb.Image(tensor_to_pil(sheet), caption=caption),
        }
    )
    if report.equivalent is not None:  # None without a Gatys run
        wandb.run.summary["eval/equivalent_iterations"] = str(report.equivalent)
    return True
