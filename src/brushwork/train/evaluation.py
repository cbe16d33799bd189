"""The end-of-training evaluation: the exported net against Gatys on the validation photos."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from brushwork.errors import BrushworkError
from brushwork.evaluate.compare import evaluate
from brushwork.evaluate.report import ObjectiveReport
from brushwork.io.assets import data_dir


def quick_evaluate(
    export: str | Path,
    cfg: DictConfig,
    out_dir: str | Path,
    logger: Any = None,
    step: int | None = None,
    device: str | torch.device = "auto",
    style: str | None = None,
    painting: str | Path | None = None,
    photos: list[Path] | None = None,
) -> ObjectiveReport | None:
    """End-of-training evaluation of ``export`` with the settings ``cfg.eval`` (gatys_steps, size,
    count) on the validation photos (``cfg.data.val_dir``, default ``$BRUSHWORK_DATA/content``;
    ``photos``: those held out of training where there are none, PhotoDataModule.held_out).

    Writes the report to ``out_dir``, prints the equivalent-iteration figure and logs scalars
    ``eval/*`` to ``logger`` (any Lightning logger; W&B also gets the table and the sheet).
    ``style``: which style of a multi-style export (default its first); ``painting``: its file
    (the painting the run trained on, wherever it is).
    Returns the report, or None after printing why it could not run: a trained and exported run
    does not fail because of its evaluation.
    """
    e = cfg.eval
    content = photos or cfg.data.get("val_dir") or data_dir() / "content"
    steps = list(e.gatys_steps) if OmegaConf.is_list(e.gatys_steps) else e.gatys_steps
    try:
        report = evaluate(
            export,
            content,
            gatys_steps=steps,
            size=int(e.size),
            count=None if e.count is None else int(e.count),
            device=device,
            out_dir=out_dir,
            progress=False,
            style=style,
            painting=painting,
        )
    except BrushworkError as err:
        print(f"evaluation skipped: {err}", file=sys.stderr)
        return None
    _tell(report, Path(out_dir), logger, step, style)
    return report


def _tell(report: ObjectiveReport, out_dir: Path, logger: Any, step: Any, style: Any) -> None:
    """One line of the evaluation's figures; scalars ``eval/*`` (``eval/<style>/*``) logged."""
    n = report.gatys_steps[-1]
    ff, gatys, eq = report.feed_forward, report.gatys[n], report.equivalent
    label = f" [{style}]" if style else ""
    print(
        f"evaluation{label}: feed-forward ≈ {eq} Gatys iterations "
        f"(total loss {ff.total:.4g}; Gatys-{n} {gatys.total:.4g}), SSIM {ff.ssim:.3f}, "
        f"{report.speedup[n]:.3g}x faster than Gatys-{n}; "
        f"report: {out_dir / 'report.md'}"
    )
    if logger is not None:
        prefix = f"eval/{style}/" if style else "eval/"
        metrics = {
            f"{prefix}equivalent_iterations": eq.iterations,
            f"{prefix}feed_forward_total": ff.total,
            f"{prefix}feed_forward_ssim": ff.ssim,
            f"{prefix}gatys{n}_total": gatys.total,
            f"{prefix}speedup_gatys{n}": report.speedup[n],
        }
        logger.log_metrics(metrics, step=step)
        logger.save()


def closing_evaluation(
    export: Path,
    cfg: DictConfig,
    styles: Any,
    module: Any,
    trainer: Any,
    logger: Any,
    run_dir: Path,
) -> None:
    """:func:`quick_evaluate` of a run's export for each style it trained (a multi-style run:
    one report per style under ``<run dir>/eval/<style>``), each against the painting the run
    trained on, wherever that file is (a painting given by path too)."""
    multi = len(styles.all_styles) > 1
    names = [s["name"] for s in styles.styles] if multi else [None]
    images = module.hparams.paintings
    device, step = trainer.strategy.root_device, trainer.global_step
    held = sorted(getattr(trainer.datamodule, "held_out", ()))  # no content photos: these
    for name, image in zip(names, images, strict=False):
        out = run_dir / "eval" / (name or "")
        quick_evaluate(export, cfg, out, logger, step, device, name, image, held)
