"""``brushwork calibrate style=NAME | all=true``: calibrate one or every shipped style's weight
and print each probe table beside the hand-set weight (configs/calibrate.yaml). The study that
checks calibrated against hand-set weights on unseen photos: scripts/benchmarks/bench_calibration.py."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from brushwork.calibrate.criterion import table_markdown
from brushwork.calibrate.probes import probe_photos, target_content
from brushwork.calibrate.weight import calibrate, hand_set_weight
from brushwork.config.groups import group_choices, style_config


def run(cfg: DictConfig) -> list[dict[str, Any]]:
    """Calibrate ``cfg.style`` (or every shipped style with ``all=true``) and print the tables."""
    cal = cfg.calibrate
    styles = [style_config(n) for n in group_choices("style")] if cfg.get("all") else [cfg.style]
    # The bound on the probe photos: once per run, not per style.
    target = target_content(cal, probe_photos(str(cal.content_dir), int(cal.photos)), cfg.device)
    results = []
    for style in styles:
        progress = bool(cfg.get("progress", True))
        result = calibrate(style, cfg.loss, cal, cfg.device, progress, target)
        result["hand_set"] = hand_set_weight(cfg, style)
        hand = f"; hand-set {result['hand_set']:.3g}" if result["hand_set"] is not None else ""
        print(table_markdown(result, result["max_content"], float(cal.max_style)) + hand + "\n")
        results.append(result)
    return results
