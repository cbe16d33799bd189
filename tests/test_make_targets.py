"""`brushwork targets` and brushwork.gatys.targets: sharding, resumability, one-line errors.

The CLI runs as a subprocess on 40 px photos with a 32 px, 2-step Gatys run; the style image is
the generated data directory's (tests/synthetic.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from PIL import Image

from brushwork.config.groups import CONFIG_DIR
from brushwork.errors import BrushworkError
from brushwork.gatys.targets import make_targets, parse_shard, shard_files, target_path

REPO = Path(__file__).resolve().parents[1]
TINY = ["gatys.size=32", "gatys.steps=2", "gatys.coarse_steps=1", "device=cpu"]
PHOTOS = {"a.jpg": (40, 30), "b.png": (30, 40), "sub/c.png": (40, 40), "sub/deep/d.jpg": (40, 24)}


def make_photos(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for rel, (w, h) in PHOTOS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / rel)
    return root


def run_cli(*args: str, wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:
    env = dict(os.environ)  # BRUSHWORK_DATA: the generated data directory (conftest)
    cmd = [sys.executable, "-m", "brushwork.cli.main", "targets", *args]
    kw = {
        "cwd": REPO,
        "env": env,
        "text": True,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
    }
    if wait:
        return subprocess.run(cmd, timeout=300, **kw)
    return subprocess.Popen(cmd, **kw)


@pytest.mark.parametrize("n_files", [0, 1, 7, 16, 23])
@pytest.mark.parametrize("n", [1, 2, 3, 8])
def test_shard_files_partition(n_files: int, n: int) -> None:
    files = [f"img{k:03d}.jpg" for k in range(n_files)]
    shards = [shard_files(files, f"{i}/{n}") for i in range(1, n + 1)]
    assert sorted(sum(shards, [])) == files  # union = all, and no file twice
    assert max(map(len, shards)) - min(map(len, shards)) <= 1  # balanced
    assert shards[0] == files[::n]  # file k → shard (k % n) + 1


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1/0", "2", "a/b", "1/2/3", "-1/2", "", "1 of 2"])
def test_bad_shard_strings(bad: str) -> None:
    with pytest.raises(BrushworkError, match="shard must be i/n"):
        shard_files(["a"], bad)


def test_parse_shard_accepts_spaces() -> None:
    assert parse_shard(" 3 / 8 ") == (3, 8)
    assert parse_shard("1/1") == (1, 1)


def test_target_path_mirrors_subfolders(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert target_path(tmp_path / "sub" / "x.jpeg", tmp_path, out) == out / "sub" / "x.png"


def test_config_composes_with_target_defaults() -> None:
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("make_targets", ["data.dir=photos", "out=t", "shard=3/8"])
    assert cfg.shard == "3/8" and cfg.style.name == "starry_night"
    assert (cfg.gatys.size, cfg.gatys.steps, cfg.gatys.coarse_steps, cfg.gatys.levels) == (
        256,
        100,
        100,
        2,
    )
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        gatys = compose("gatys")
    assert set(cfg.gatys) == set(gatys.gatys)  # one gatys group, two recipes


def test_cli_shards_cover_all_and_resume(tmp_path: Path) -> None:
    photos, out = make_photos(tmp_path / "photos"), tmp_path / "out"
    (photos / "broken.jpg").write_bytes(b"not a jpeg")  # sorts first → shard 1/2
    common = [f"data.dir={photos}", f"out={out}", *TINY]
    jobs = [
        run_cli(*common, f"shard={i}/2", wait=False) for i in (1, 2)
    ]  # concurrent, like a cluster
    (out1, err1), (out2, err2) = (job.communicate(timeout=300) for job in jobs)
    assert [job.returncode for job in jobs] == [0, 0], err1 + err2
    assert "make_targets 1/2: 2 written, 0 skipped (already there), 1 failed" in out1
    assert "broken.jpg" in out1  # the warning names the file
    assert "make_targets 2/2: 2 written, 0 skipped (already there), 0 failed" in out2

    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["a.png", "b.png", "sub/c.png", "sub/deep/d.png"]  # no temp files left
    for rel, (w, h) in PHOTOS.items():
        with Image.open((out / rel).with_suffix(".png")) as im:
            assert max(im.size) == 32
            assert abs(im.width / im.height - w / h) < 0.1  # the photo's aspect

    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    again = run_cli(*common)  # shard 1/1: everything done except the unreadable photo
    assert again.returncode == 0, again.stderr
    assert "make_targets 1/1: 0 written, 4 skipped (already there), 1 failed" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == mtimes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["out=OUT"], "data.dir= is required"),
        (["data.dir=PHOTOS", "out=OUT", "shard=0/2"], "shard must be i/n"),
        (["data.dir=PHOTOS", "out=OUT", "style=nope"], "unknown style 'nope'"),
    ],
)
def test_cli_bad_input_is_one_line_error(tmp_path: Path, args: list[str], message: str) -> None:
    photos = make_photos(tmp_path / "photos")
    args = [a.replace("PHOTOS", str(photos)).replace("OUT", str(tmp_path / "out")) for a in args]
    result = run_cli(*args, *TINY)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not (tmp_path / "out").exists()  # nothing created before the arguments are checked


@pytest.mark.parametrize(
    ("data_dir", "out", "message"),
    [
        ("MISSING", "OUT", "data folder not found"),
        ("PHOTOS", "PHOTOS/a.jpg", "is a file, expected a folder"),
        ("PHOTOS", "PHOTOS/a.jpg/x", "cannot create output folder"),
    ],
)
def test_bad_paths_fail_before_any_work(
    tmp_path: Path, data_dir: str, out: str, message: str
) -> None:
    photos = make_photos(tmp_path / "photos")
    subs = {"PHOTOS": str(photos), "OUT": str(tmp_path / "out"), "MISSING": str(tmp_path / "no")}
    for key, value in subs.items():
        data_dir, out = data_dir.replace(key, value), out.replace(key, value)
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("make_targets", [f"data.dir={data_dir}", f"out={out}", *TINY])
    with pytest.raises(BrushworkError, match=message):
        make_targets(cfg)


def test_cli_help() -> None:
    result = run_cli("--help")
    assert result.returncode == 0 and "gatys:" in result.stdout and "shard" in result.stdout
