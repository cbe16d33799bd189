"""A full disk: every output fails with one line naming the path and the free space, exit 2 where
a command, and leaves no partial file; a training stopped so resumes from its last checkpoint.

The real cases run on a small tmpfs filled to the brim (needs root to mount it: CI has it;
skipped with the reason elsewhere); the message itself is also checked without a mount.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from synthetic import make_models

from brushwork.config.groups import CONFIG_DIR
from brushwork.errors import BrushworkError
from brushwork.io.files import atomic_write
from brushwork.io.synthetic import photo

FULL = r"no space left on the disk \(\d+\.\d MB free in "


@pytest.fixture
def disk(tmp_path) -> Path:
    """A 32 MB tmpfs of its own, unmounted after the test."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    cmd = ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mnt)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(folder: Path, leave: int = 8192) -> Path:
    """Fill ``folder``'s disk until ``leave`` bytes are free; the filler file can be removed."""
    filler = folder / "filler.bin"
    free = shutil.disk_usage(folder).free - leave
    with open(filler, "wb") as f:
        f.write(b"\0" * max(free, 0))
    return filler


def leftovers(folder: Path) -> list[str]:
    """Files a failed write may have left: hidden temp files, or the output itself."""
    return sorted(p.name for p in folder.rglob("*") if p.is_file() and p.name != "filler.bin")


def brushwork(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "brushwork", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_enospc_is_named_with_the_free_space_without_any_mount(tmp_path) -> None:
    def write(tmp: Path) -> None:
        tmp.write_bytes(b"half a picture")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    out = tmp_path / "out.png"
    with pytest.raises(BrushworkError, match=rf"^cannot write {re.escape(str(out))}: {FULL}") as e:
        atomic_write(out, write)
    assert "\n" not in str(e.value) and str(tmp_path) in str(e.value)
    assert not list(tmp_path.iterdir())  # the partial temp file went with the error


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    return make_models(tmp_path_factory.mktemp("models"))


def test_stylize_on_a_full_disk_fails_in_one_line_and_writes_nothing(disk, models, tmp_path):
    src = tmp_path / "street.png"
    photo("street", 320, 240).save(src)
    fill(disk)
    done = brushwork(
        "stylize", "--model", str(models / "tiny.pt"), str(src), "-o", str(disk / "s.png")
    )
    assert done.returncode == 2, done.stderr
    line = done.stderr.strip()
    assert re.fullmatch(rf"error: cannot write {re.escape(str(disk / 's.png'))}: {FULL}.*\)", line)
    assert leftovers(disk) == []


def test_export_on_a_full_disk_fails_in_one_line_and_writes_nothing(disk, models) -> None:
    fill(disk)
    out = disk / "tiny.onnx"
    done = brushwork(
        "export", "--model", str(models / "tiny.pt"), "--format", "onnx", "-o", str(out)
    )
    assert done.returncode == 2, done.stderr
    assert re.fullmatch(
        rf"error: cannot write {re.escape(str(out))}: {FULL}.*\)", done.stderr.strip()
    )
    assert leftovers(disk) == []


def test_a_training_stopped_by_a_full_disk_resumes_from_its_last_checkpoint(disk, data_dir):
    from brushwork.train.pipeline import train

    def cfg(*more: str):
        tiny = ["model.width=8", "model.n_residual=1", "logger=none", "export=false"]
        base = ["experiment=smoke", *tiny, f"run_dir={disk / 'run'}", "checkpoint_every_n_steps=1"]
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            return compose("train", overrides=[*base, *more])

    last = Path(train(cfg("trainer.max_steps=2"))["last_checkpoint"])
    before = last.read_bytes()
    filler = fill(disk)
    with pytest.raises(
        BrushworkError, match=rf"^cannot write {re.escape(str(disk))}/run/.*: {FULL}"
    ):
        train(cfg("trainer.max_steps=4", f"ckpt_path={last}"))
    assert last.read_bytes() == before  # the last good checkpoint, whole
    assert not [p for p in (disk / "run").rglob(".*") if p.is_file()]  # no temp file left
    filler.unlink()  # space again: the run goes on from where the disk stopped it
    resumed = train(cfg("trainer.max_steps=4", f"ckpt_path={last}"))
    ckpt = torch.load(resumed["last_checkpoint"], map_location="cpu", weights_only=True)
    assert ckpt["global_step"] == 4
