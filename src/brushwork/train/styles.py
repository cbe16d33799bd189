"""Which styles a training run teaches, with which weights, starting from which network.

``style=candy`` trains one; ``styles=[a,b]`` / ``styles=all`` one net holding several
(conditional instance norm); ``init=<model>.pt`` / ``init=shipped`` starts from a trained net of the
same architecture (the default ``init=auto``: the shipped net for one painting given by path,
where the run's architecture is its own); ``finetune=norm`` trains only new styles' norm rows on a
frozen multi-style net (Dumoulin et al. 2017, §4); ``strokes=[128,256]`` trains one painting at
several sizes (``<name>@<px>``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from brushwork.config.groups import group_choices, joined_name, plain
from brushwork.config.paintings import style_entry, style_weight, styles_of, with_style_weight
from brushwork.errors import BrushworkError, check_choice
from brushwork.infer.choices import MODEL, shipped_model
from brushwork.infer.model_file import load_model
from brushwork.nn.nets import build_net
from brushwork.nn.stylemix import layout, transfer

FINETUNE = ("all", "norm")


def stroke_sizes(cfg: DictConfig) -> list[int] | None:
    """``cfg.strokes`` checked: two or more distinct sizes in px (the painting's long side), for
    one painting; None when not set."""
    strokes = cfg.get("strokes")
    if strokes is None:
        return None
    if isinstance(strokes, (str, int, float)) or cfg.get("styles") is not None:
        raise BrushworkError(
            "strokes= wants a list of sizes in px for one style: strokes=[128,256]"
        )
    try:
        sizes = [int(s) for s in strokes]
    except (TypeError, ValueError):
        raise BrushworkError(f"strokes= wants sizes in px, got {list(strokes)}") from None
    if len(sizes) < 2 or len(set(sizes)) != len(sizes) or min(sizes) < 16:
        raise BrushworkError(f"strokes= wants two or more distinct sizes >= 16 px, got {sizes}")
    return sizes


def style_nodes(cfg: DictConfig) -> list[DictConfig]:
    """The styles a run trains: ``cfg.styles`` (a list of names or paths, or ``all``) if set,
    else ``[cfg.style]``, once per stroke size with ``strokes=[...]``."""
    sizes = stroke_sizes(cfg)
    if sizes:
        return [cfg.style] * len(sizes)
    return styles_of(cfg)


def run_name(cfg: DictConfig) -> str:
    """The export's file stem: the style's name, or the styles' names joined (a count beyond 4)."""
    names = [str(s.name) for s in style_nodes(cfg)]
    if stroke_sizes(cfg):
        names = [f"{names[0]}-strokes"]
    init = init_path(cfg)
    if init and cfg.get("finetune") == "norm":
        names = [Path(init).name.removesuffix(".pt"), *names]
    return joined_name(names)


def init_path(cfg: DictConfig) -> str | None:
    """``cfg.init`` resolved: a model file; ``shipped``: the network in the package; ``auto``: that
    network for a run training one painting that is not a shipped style (given by path), where
    this installation has it (:func:`plan` drops it on another layout), else None."""
    init = cfg.get("init")
    if init == "auto":
        nodes = style_nodes(cfg)
        own = len(nodes) == 1 and nodes[0].name not in group_choices("style")
        return str(MODEL) if own and MODEL.is_file() else None
    return str(shipped_model()) if init == "shipped" else init


@dataclass
class StylePlan:
    """What :func:`plan` decided: the ``styles`` trained (model-file entries,
    :func:`~brushwork.config.paintings.style_entry`), their final style ``weights``, each one's
    factor of the first's, the styles the init net already holds and keeps
    (``kept``, untrained, first in the net), and the net's arguments."""

    styles: list[dict[str, Any]]
    weights: list[float]
    model: dict[str, Any]
    finetune: str = "all"
    kept: list[dict[str, Any]] = field(default_factory=list)
    init: str | None = None
    rows: list[int | None] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # each trained style's painting size, px
    source: Any = field(default=None, repr=False)  # the init model's net, loaded once

    @property
    def all_styles(self) -> list[dict[str, Any]]:
        return self.kept + self.styles

    @property
    def factors(self) -> list[float]:
        """Each trained style's weight relative to the first's (which the loss holds)."""
        w = self.weights
        return [x / w[0] for x in w] if w[0] > 0 else [1.0] * len(w)

    def with_style_weights(self, weights: list[float]) -> StylePlan:
        """The same plan with final style ``weights`` (calibration's) for the trained styles."""
        styles = [with_style_weight(s, w) for s, w in zip(self.styles, weights, strict=True)]
        return dataclasses.replace(self, styles=styles, weights=list(weights))

    def loss(self, loss: DictConfig) -> dict[str, Any]:
        """``PerceptualLoss``'s arguments: ``loss`` with the first trained style's final weight
        (the others' are :attr:`factors` of it)."""
        return with_style_weight(loss, self.weights[0])


def plan(cfg: DictConfig) -> StylePlan:
    """The run's styles and net with their final weights (for a weight of ``auto``,
    placeholders until :meth:`StylePlan.with_style_weights`). Loads ``init`` once (fails in one line on
    a missing, foreign or mismatched file) but no painting."""
    nodes = style_nodes(cfg)
    finetune = check_choice("finetune", str(cfg.get("finetune") or "all"), FINETUNE)
    if len(nodes) > 1 and cfg.distill.weight > 0:
        raise BrushworkError("distill.weight > 0 trains one style: its targets are one painting's")
    hand = [style_weight(cfg.loss, n) for n in nodes]  # None for auto: calibration comes later
    weights = [float(n.weight) if w is None else w for n, w in zip(nodes, hand, strict=True)]
    styles = [style_entry(n, w) for n, w in zip(nodes, weights, strict=True)]
    sizes = stroke_sizes(cfg)
    for style, px in zip(styles, sizes or [], strict=False):
        # One painting at several sizes: larger paintings, larger strokes (Jing et al. 2018).
        style |= {"name": f"{style['name']}@{px}", "stroke": px, "style_size": px}
    if sizes is None:  # a painting's own size (style.size) is recorded; the run's is in the meta
        sizes = [int(n.get("size") or cfg.style_size) for n in nodes]
        for style, node in zip(styles, nodes, strict=True):
            if node.get("size"):
                style["style_size"] = int(node.size)
    model = plain(cfg.model)
    init = init_path(cfg)
    kept: list[dict[str, Any]] = []
    rows: list[int | None] = []
    source = None
    if init:
        source, info = load_model(str(init))
        if cfg.get("init") == "auto" and layout(source) != layout(build_net(**model)):
            init, source = None, None  # auto: a warm start only onto the shipped layout
    if init:
        if finetune == "norm":
            if source.n_styles == 1:
                raise BrushworkError(
                    f"finetune=norm needs a multi-style model; {init} holds one style "
                    "(train one with styles=[a,b,...], or use finetune=all)"
                )
            kept = [dict(s) for s in info["styles"]]
            clash = {s["name"] for s in kept} & {s["name"] for s in styles}
            if clash:
                raise BrushworkError(f"{init} already holds {', '.join(sorted(clash))}")
        old = [s.get("name") for s in info["styles"]]
        rows = list(range(len(kept))) + [
            None if finetune == "norm" or s["name"] not in old else old.index(s["name"])
            for s in styles
        ]
        n = len(rows)
        target = build_net(**model, **({"n_styles": n} if n > 1 else {}))
        transfer(source, target, rows)  # fails in one line on another architecture
    elif finetune == "norm":
        raise BrushworkError("finetune=norm needs init=<multi-style model>.pt")
    n = len(kept) + len(styles)
    if n > 1:
        model = model | {"n_styles": n}
    return StylePlan(styles, weights, model, finetune, kept, init, rows, sizes, source)


def apply_init(net: Any, plan_: StylePlan) -> None:
    """Load the init model's weights into ``net`` (built from ``plan_.model``)."""
    if plan_.source is not None:
        transfer(plan_.source, net, plan_.rows)
