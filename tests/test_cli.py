"""The one `brushwork` command: its help, each sub-command's help, unknown commands, real tiny runs
through the console script, and the configs of a non-editable install."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from synthetic import photo

from brushwork.cli.main import COMMANDS

REPO = Path(__file__).resolve().parents[1]
BRUSHWORK = Path(sys.executable).parent / "brushwork"  # the console script of this install


def run(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BRUSHWORK), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_every_command_with_one_line() -> None:
    out = run("--help")
    assert out.returncode == 0, out.stderr
    listed = [line.split()[0] for line in out.stdout.splitlines() if line.startswith("  ")]
    expected = ["train", "gatys", "stylize", "export", "evaluate", "calibrate", "targets"]
    assert listed == list(COMMANDS) == [*expected, "app", "sheet", "fetch"]


HYDRA_COMMANDS = ("train", "gatys", "calibrate", "targets")


@pytest.mark.parametrize("command", HYDRA_COMMANDS)
def test_every_hydra_command_has_help(command: str) -> None:
    out = run(command, "--help")  # a process of its own: Hydra keeps global state
    assert out.returncode == 0 and "Powered by Hydra" in out.stdout, out.stderr


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in HYDRA_COMMANDS])
def test_every_other_command_has_help(command: str, capsys) -> None:
    from brushwork.cli.main import main

    with pytest.raises(SystemExit) as done:  # argparse exits 0 after printing --help
        main([command, "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: brushwork {command}")


def test_python_m_brushwork_is_the_same_command(tmp_path: Path) -> None:
    module = subprocess.run(
        [sys.executable, "-m", "brushwork", "--help"], capture_output=True, text=True, cwd=tmp_path
    )
    assert module.returncode == 0 and module.stdout == run("--help").stdout


def test_unknown_command_is_one_line() -> None:
    out = run("paint")
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0
    assert "unknown command 'paint'; commands: train, gatys" in out.stderr


def test_gatys_then_export_then_stylize(tmp_path: Path, data_dir: Path) -> None:
    photo, painted = data_dir / "content" / "tubingen.jpg", tmp_path / "gatys.png"
    out = run(
        "gatys",
        f"content={photo}",
        f"output={painted}",
        "gatys.size=32",
        "gatys.steps=2",
        "gatys.levels=1",
        "gatys.progress=false",
        "device=cpu",
    )
    assert out.returncode == 0 and painted.is_file(), out.stderr[-2000:]

    from brushwork.infer.model_file import export_model
    from brushwork.nn.nets import ShuffleNet

    model = export_model(ShuffleNet(width=4, n_residual=1), tmp_path / "m.pt", [{"name": "m"}])
    out = run("export", "--model", str(model), "--format", "torchscript")
    assert out.returncode == 0 and (tmp_path / "m.torchscript.pt").is_file(), out.stderr
    out = run(
        "stylize",
        "--model",
        str(model),
        str(painted),
        "-o",
        str(tmp_path / "s.png"),
        "--backend",
        "torch",
    )
    assert out.returncode == 0 and (tmp_path / "s.png").is_file(), out.stderr
    out = run("stylize", "--model", str(tmp_path / "none.pt"), str(painted), "-o", "x.png")
    assert out.returncode == 2 and out.stderr.startswith("error: style model not found")


def test_sheet_paints_a_generated_or_given_photo_in_each_style(tmp_path: Path, capsys) -> None:
    from PIL import Image

    from brushwork.cli.main import main  # in this process: the command's work, not its start-up

    tiny = ["--size", "32", "--steps", "1", "--set", "gatys.levels=1", "gatys.progress=false"]
    assert (
        main(["sheet", "-o", str(tmp_path / "sheet.png"), "--styles", "candy,mosaic", *tiny]) == 0
    )
    with Image.open(tmp_path / "sheet.png") as sheet:  # generated photo | candy | mosaic, 24 px
        assert sheet.size == (3 * (32 + 2) + 2, 24 + 4)
    mine = tmp_path / "mine.jpg"
    Image.new("RGB", (40, 40), (200, 30, 30)).save(mine)
    argv = ["sheet", "-o", str(tmp_path / "own.png"), "--photo", str(mine), "--styles", "udnie"]
    assert main([*argv, *tiny]) == 0
    with Image.open(tmp_path / "own.png") as sheet:  # a square photo | udnie
        assert sheet.size == (2 * (32 + 2) + 2, 32 + 4)
    with pytest.raises(SystemExit) as bad:
        main(["sheet", "-o", str(tmp_path / "x.png"), "--styles", "candy,nope"])
    assert bad.value.code == 2 and "unknown style 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel of this checkout, built as `pip install .` builds it (non-editable), from a copy:
    setuptools leaves a build/ folder in the tree it builds."""
    out, src = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    skip = shutil.ignore_patterns("*.egg-info", "__pycache__")
    shutil.copytree(REPO / "src", src / "src", ignore=skip)
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    proc = subprocess.run([*pip, "-w", str(out), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (whl,) = out.glob("brushwork-*.whl")
    return whl


def test_installed_wheel_composes_its_packaged_configs(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site)]
    assert subprocess.run([*pip, str(wheel)], capture_output=True).returncode == 0
    code = (
        "import brushwork, sys; from brushwork.config import CONFIG_DIR, compose; "
        f"assert brushwork.__file__.startswith({str(site)!r}), brushwork.__file__; "
        "cfg = compose('train', ['style=candy', 'model=johnson']); "
        "print(CONFIG_DIR, cfg.style.name, cfg.model.arch, cfg.trainer.max_steps)"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(site / "brushwork" / "configs"), "candy", "johnson", "1000"]
    # The shipped model came with it: stylize needs no --model.
    photo("wheel", 64, 48).save(tmp_path / "photo.png")
    cmd = [sys.executable, "-m", "brushwork.cli.main", "stylize", "photo.png", "-o", "out.png"]
    run = subprocess.run(
        [*cmd, "--style", "candy", "--json"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout)["model"].startswith(str(site / "brushwork" / "models"))


def test_brushwork_help_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    # `pip install .` in a fresh venv: the console script answers --help without torch loaded
    # (the dependencies themselves are not installed here: no network, and --help needs none).
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)  # this pip installs into it (pip --python): faster
    py = env_dir / "bin" / "python"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    out = subprocess.run(
        [str(env_dir / "bin" / "brushwork"), "--help"], capture_output=True, text=True, cwd=tmp_path
    )
    assert out.returncode == 0 and "calibrate" in out.stdout, out.stderr


def test_torch_is_not_needed_for_help() -> None:
    code = "import sys; from brushwork.cli.main import main; main(['--help']); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().endswith("False"), out.stdout + out.stderr
