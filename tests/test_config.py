"""Typed configs: each schema is made from its constructor's signature (read from the source,
without importing it), so ``PerceptualLoss(**cfg.loss)`` and friends take the composed groups as
they are, and a wrong type fails at compose time."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
import torch

from brushwork.calibrate.weight import calibrate
from brushwork.config import compose, plain
from brushwork.config.schema import config_type, schema
from brushwork.errors import BrushworkError
from brushwork.gatys.optimizer import optimize_image
from brushwork.nn.losses import PerceptualLoss
from brushwork.nn.nets import ShuffleNet, build_net
from brushwork.train.data import PhotoDataModule

# group -> (constructor, its parameters that are not config fields)
CONSTRUCTORS = {
    "loss": (PerceptualLoss.__init__, {"self"}),
    "gatys": (optimize_image, {"content", "styles", "loss", "blend", "seed", "callback"}),
    "data": (PhotoDataModule.__init__, {"self", "seed"}),
    # + arch, which picks the class; n_styles comes from styles= / strokes= (train.styles)
    "model": (ShuffleNet.__init__, {"self", "n_styles"}),
}


@pytest.mark.parametrize("group", CONSTRUCTORS)
def test_schema_fields_are_the_constructor_arguments(group: str) -> None:
    fn, others = CONSTRUCTORS[group]
    params = {n: p for n, p in inspect.signature(fn).parameters.items() if n not in others}
    fields = {f.name: f for f in dataclasses.fields(schema(group)) if f.name != "arch"}
    assert set(fields) == set(params)
    for name, f in fields.items():
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        want = params[name].default
        if want is inspect.Parameter.empty:
            assert default == "???", name  # required
        elif not (group == "model" and name in ("upsample", "dilation")):  # one layout's: None
            assert default == (list(want) if isinstance(want, tuple) else want), name
    assert [f.name for f in dataclasses.fields(schema("model"))][0] == "arch"
    assert dataclasses.fields(schema("model"))[0].default == "shuffle"


def test_config_types_follow_the_annotations() -> None:
    from typing import Any, List, Optional  # noqa: UP035

    assert config_type("int") is int and config_type("str | Path") is str
    assert config_type("Sequence[float] | None") == Optional[List[float]]  # noqa: UP006, UP045
    assert config_type("tuple[str, ...]") == List[str]  # noqa: UP006
    assert config_type("int | str") is Any and config_type("Callable[[int], None]") is Any


@pytest.mark.parametrize(
    "override", ["loss.content_weight=lots", "data.batch_size=four", "model.separable=maybe"]
)
def test_a_wrong_type_fails_at_compose(override: str) -> None:
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match=override.replace(".", r"\.")):
        compose("train", [override])


def test_composing_loads_neither_torch_nor_lightning() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from brushwork.config import compose; compose('train'); "
        "print(sorted(m for m in ('torch', 'pytorch_lightning') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_calibrate_takes_its_config() -> None:
    assert list(inspect.signature(calibrate).parameters)[:3] == ["style", "loss_cfg", "cal"]


def test_composed_groups_build_their_objects(tmp_path) -> None:
    cfg = compose("train", ["loss=gatys", "model=johnson", f"data.dir={tmp_path}"])
    loss = PerceptualLoss(**plain(cfg.loss))
    assert loss.content_layers == ["relu4_2"] and loss.style_weight == pytest.approx(1e-5)
    net = build_net(**cfg.model)

    def described(model) -> dict:  # None: the layout's default; grain 0 / dilation 1: without
        unset = {"grain": 0, "dilation": 1}
        return {k: v for k, v in plain(model).items() if v is not None and unset.get(k) != v}

    assert net.model_args == described(cfg.model)
    shuffle = compose("train", [f"data.dir={tmp_path}"]).model  # the default layout
    assert build_net(**shuffle).model_args == described(shuffle)
    assert shuffle.upsample == "bilinear"
    assert PhotoDataModule(**plain(cfg.data), seed=cfg.seed).dir == str(tmp_path)
    g = compose(
        "gatys",
        [
            "content=a.jpg",
            "output=b.png",
            "gatys.size=32",
            "gatys.steps=1",
            "gatys.levels=1",
            "gatys.progress=false",
        ],
    )
    loss.set_styles([torch.rand(1, 3, 32, 32)])
    out = optimize_image(torch.rand(1, 3, 24, 32), [torch.rand(1, 3, 32, 32)], loss, **g.gatys)
    assert out.shape == (1, 3, 24, 32)


def test_style_weight_must_be_a_number_where_a_loss_is_built() -> None:

    with pytest.raises(BrushworkError, match="style_weight must be a number, got 'auto'"):
        PerceptualLoss(style_weight="auto")


def test_train_picks_the_gpu_recipe_on_a_cuda_machine_unless_told_otherwise() -> None:
    from brushwork.config.registry import choose_recipe

    gpu, none = (lambda: "NVIDIA H200"), (lambda: None)
    argv, note = choose_recipe(["style=candy"], gpu)
    assert argv == ["style=candy", "experiment=gpu"] and "experiment=gpu (CUDA: NVIDIA H200" in note
    argv, note = choose_recipe(["style=candy"], none)
    assert argv == ["style=candy"] and note == "recipe: experiment=cpu (no CUDA GPU found)"
    for chosen in (["experiment=cpu"], ["trainer=cpu"], ["experiment=smoke"], ["--cfg", "job"]):
        assert choose_recipe(["style=candy", *chosen], gpu) == (["style=candy", *chosen], None)


def test_train_says_which_recipe_it_runs(tmp_path) -> None:
    import subprocess
    import sys

    # --cfg job prints only: no recipe line; a real (tiny, failing early) run says which.
    cmd = [sys.executable, "-m", "brushwork", "train", "data.dir=/nonexistent/photos"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    import torch

    expected = "experiment=gpu" if torch.cuda.is_available() else "experiment=cpu"
    assert f"recipe: {expected}" in out.stderr
    assert out.returncode == 2 and "/nonexistent/photos" in out.stderr
