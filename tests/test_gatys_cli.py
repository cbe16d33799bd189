"""The Gatys command end to end, the style configs, and every bad input's one-line error."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from synthetic import STYLES  # the shipped styles, in configs/style

from brushwork.config.groups import CONFIG_DIR, group_choices
from brushwork.io.assets import resolve_style_image
from brushwork.io.images import load_image

REPO = Path(__file__).resolve().parents[1]

TINY = ["gatys.size=32", "gatys.steps=2", "gatys.coarse_steps=1", "gatys.progress=false"]


def run(*args, env=None):
    env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "brushwork.cli.main", "gatys", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )


def assert_clean_error(proc, *needles):
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("name", STYLES)
def test_every_style_composes_and_resolves(name, data_dir):
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("gatys", [f"style={name}", "content=x.jpg", "output=y.png"])
    assert cfg.style.name == name and cfg.style.url.startswith("https://")
    path = resolve_style_image(cfg.style.image, cfg.style.url, allow_download=False)
    assert path.parent == data_dir / "styles"
    assert load_image(path, 32).shape[:2] == (1, 3)


def test_shipped_styles_are_the_ten():
    assert sorted(STYLES) == group_choices("style")


def test_cli_writes_a_stylized_image(tmp_path, data_dir):
    out = tmp_path / "out.png"
    proc = run(f"content={data_dir / 'content' / 'tubingen.jpg'}", f"output={out}", *TINY)
    assert proc.returncode == 0, proc.stderr
    img = load_image(out)
    assert img.shape == (1, 3, 24, 32)  # tubingen is 4:3
    assert f"wrote {out}" in proc.stdout
    assert list(tmp_path.iterdir()) == [out]  # no temp files, no logs


def test_cli_blends_own_style_image_and_saves_intermediates(tmp_path, data_dir):
    out = tmp_path / "mix.jpg"
    proc = run(
        f"content={data_dir / 'content' / 'chicago.jpg'}",
        f"output={out}",
        f"styles=[{data_dir / 'styles' / 'mosaic.jpg'},candy]",
        "blend=[0.7,0.3]",
        "gatys.preserve_color=luminance",
        "save_every=1",
        "gatys.levels=1",
        *TINY,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.exists() and len(list(tmp_path.glob("mix_L0_*.png"))) == 2


def _in_process(*args: str, capsys) -> subprocess.CompletedProcess:
    """``brushwork gatys ARGS`` run here: (exit status, stdout, stderr) as a process would give."""
    from hydra.core.global_hydra import GlobalHydra

    from brushwork.cli.main import main

    capsys.readouterr()
    try:
        code = main(["gatys", *args])
    except SystemExit as e:
        code = e.code
    finally:
        GlobalHydra.instance().clear()  # the app leaves it set; other tests compose afresh
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


def test_bad_inputs_give_one_line_errors(tmp_path, data_dir, capsys):
    content = f"content={data_dir / 'content' / 'tubingen.jpg'}"
    output = f"output={tmp_path / 'o.png'}"
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes((data_dir / "content" / "amber.jpg").read_bytes()[:2000])
    cases = [
        ((f"content={tmp_path / 'nope.jpg'}", output), ["not found", "nope.jpg"]),
        ((f"content={tmp_path}", output), ["is a directory"]),
        ((f"content={truncated}", output), ["cannot read image", "cut.jpg"]),
        ((content, output, "style=van_gogh"), ["unknown style 'van_gogh'", "starry_night"]),
        ((content, output, "loss.style_layers=[relu6_1]"), ["relu6_1", "valid layers"]),
        ((content, output, "gatys.size=0"), ["size must be positive"]),
        ((content, output, "gatys.steps=-5"), ["steps must be positive"]),
        ((content, f"output={tmp_path / 'missing_dir' / 'o.png'}"), ["cannot write"]),
        ((content, f"output={tmp_path / 'o.gif2'}"), ["unsupported extension"]),
        ((output,), ["content= is required"]),
    ]
    # The first case as a whole process (exit status, stderr); the rest in this process, through
    # the same entry point (`brushwork gatys`), which saves a torch import per case.
    assert_clean_error(run(*TINY, *cases[0][0]), *cases[0][1])
    for args, needles in cases[1:]:
        assert_clean_error(_in_process(*TINY, *args, capsys=capsys), *needles)
    assert list(tmp_path.iterdir()) == [truncated]  # nothing half-written


def test_offline_download_names_file_and_place(tmp_path, data_dir):
    proc = run(
        f"content={data_dir / 'content' / 'tubingen.jpg'}",
        f"output={tmp_path / 'o.png'}",
        "style.image=not_here.jpg",
        "style.url=http://127.0.0.1:9/not_here.jpg",
        *TINY,
        env={"BRUSHWORK_DATA": str(tmp_path / "data")},
    )
    assert_clean_error(proc, "not_here.jpg", str(tmp_path / "data" / "styles"), "put the file at")
    assert not any((tmp_path / "data" / "styles").iterdir())  # no partial download left


def test_several_paintings_are_styles_weighted_by_the_first(data_dir) -> None:
    """``styles=[a,b]`` names Gatys's paintings as training's does; the loss takes the first
    painting's final weight (loss.style_weight × its style.weight), not the default style's."""
    from brushwork.config import compose as brushwork_compose
    from brushwork.config import load_group
    from brushwork.gatys.paint import Painter

    cfg = brushwork_compose("gatys", ["styles=[candy,mosaic]", "content=x.jpg", "output=y.png"])
    painter = Painter(cfg)
    assert len(painter.paintings) == 2
    want = float(cfg.loss.style_weight) * load_group("style", "candy").weight
    assert painter.loss.style_weight == pytest.approx(want)
    assert load_group("style", "candy").weight != cfg.style.weight  # the check can fail
