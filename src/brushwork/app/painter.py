"""The Gatys optimizer for the app: one run in a worker thread, reporting every few iterations,
stoppable between iterations. Loads torch, Hydra's config and VGG19 on first use only."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brushwork.errors import BrushworkError


class Cancelled(Exception):
    """Raised inside the optimizer's callback to stop it."""


@dataclass
class Update:
    """What the run reports: ``kind`` is step, done, cancelled or error."""

    kind: str
    done: int = 0  # iterations finished, all levels together
    total: int = 0
    image: np.ndarray | None = None  # (1, 3, H, W) in [0, 1]
    terms: dict[str, float] = field(default_factory=dict)
    message: str = ""


def _config(painting: str, size: int, steps: int) -> Any:
    from brushwork.config.paintings import style_config
    from brushwork.config.registry import compose

    coarse = max(1, steps // 2)  # the coarse levels only lay out the strokes: half as many
    cfg = compose(
        "gatys",
        [f"gatys.size={size}", f"gatys.steps={steps}", f"gatys.coarse_steps={coarse}"]
        + ["gatys.progress=false", "content=upload", "output=none"],
    )
    cfg.style = style_config(painting)
    return cfg


class GatysJob:
    """Paint ``content`` (1, 3, H, W) in [0, 1] after ``painting`` (a shipped style name or an
    image path) at ``size`` px with ``steps`` iterations at full size; iterate :meth:`updates`."""

    def __init__(
        self, content: np.ndarray, painting: str, size: int, steps: int, every: int = 5
    ) -> None:
        self.stop = threading.Event()
        self._queue: queue.Queue[Update] = queue.Queue()
        args = (content, painting, size, steps, every)
        self._thread = threading.Thread(target=self._run, args=args, daemon=True)
        self._thread.start()

    def _run(self, content: np.ndarray, painting: str, size: int, steps: int, every: int) -> None:
        put = self._queue.put
        done = total = 0
        try:
            import torch

            from brushwork.gatys.optimizer import level_steps
            from brushwork.gatys.paint import paint

            cfg = _config(painting, size, steps)
            g = cfg.gatys
            total = sum(level_steps(size, g.levels, g.steps, g.coarse_steps))

            def on_step(level: int, step: int, image: Any, terms: dict[str, float]) -> None:
                nonlocal done
                if self.stop.is_set():
                    raise Cancelled
                done += 1
                if done % every == 0 or done == 1:
                    put(Update("step", done, total, image.clamp(0, 1).cpu().numpy(), terms))

            result = paint(cfg, torch.from_numpy(np.ascontiguousarray(content)), on_step)
            put(Update("done", total, total, result.cpu().numpy()))
        except Cancelled:
            put(Update("cancelled", done, total))
        except BrushworkError as e:
            put(Update("error", message=str(e)))
        except Exception as e:  # shown in the page, not a traceback in the server's log only
            put(Update("error", message=f"{type(e).__name__}: {e}"))

    def updates(self, timeout: float = 600.0) -> Iterator[Update]:
        """Each report in order, ending with done, cancelled or error."""
        while True:
            try:
                update = self._queue.get(timeout=timeout)
            except queue.Empty:
                self.stop.set()
                yield Update("error", message=f"no progress for {timeout:g} s: stopped")
                return
            yield update
            if update.kind != "step":
                return

    def cancel(self) -> None:
        """Stop after the iteration running now."""
        self.stop.set()
