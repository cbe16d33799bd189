"""``brushwork calibrate style=NAME | all=true``: calibrate one or every shipped style's weight
and print each probe table beside the hand-set weight (configs/calibrate.yaml). The study that
checks calibrated against hand-set weights on unseen photos: scripts/benchmarks/bench_calibration.py."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from brushwork.calibrate.probes import probe_photos, target_content
from brushwork.calibrate.weight import calibrate_styles
from brushwork.config.groups import group_choices
from brushwork.config.paintings import style_config


def run(cfg: DictConfig) -> list[dict[str, Any]]:
    """Calibrate ``cfg.style`` (or every shipped style with ``all=true``) and print the tables."""
    cal = cfg.calibrate
    styles = [style_config(n) for n in group_choices("style")] if cfg.get("all") else [cfg.style]
    # The bound on the probe photos: once per run, not per style.
    target = target_content(cal, probe_photos(str(cal.content_dir), int(cal.photos)), cfg.device)
    return calibrate_styles(cfg, styles, target)
