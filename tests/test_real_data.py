"""Tests about the real development images (``real_data``: ``$BRUSHWORK_DATA`` as the run began;
skipped without it, CI sets it). Everything else runs on the generated images (synthetic.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from brushwork.config import compose, load_group
from brushwork.config.groups import group_choices
from brushwork.gatys.optimizer import optimize_image
from brushwork.io.files import find_images
from brushwork.io.images import load_image
from brushwork.nn.losses import PerceptualLoss


@pytest.mark.parametrize("name", group_choices("style"))
def test_every_shipped_style_is_in_the_real_data(name: str, real_data: Path) -> None:
    style = load_group("style", name)
    painting = load_image(real_data / "styles" / style.image, 64)
    assert painting.shape[:2] == (1, 3) and 0.05 < painting.std() < 0.5  # a picture, not a flat
    assert style.url.startswith("https://") and Path(style.url).name.endswith(".jpg")


def test_real_folders_hold_what_the_configs_expect(real_data: Path) -> None:
    assert len(find_images(real_data / "content")) == 8
    assert len(find_images(real_data / "train")) >= 700
    assert (real_data / "SOURCES.md").is_file()  # provenance of every file


def test_gatys_stylizes_a_real_photo(real_data: Path) -> None:
    photo = load_image(real_data / "content" / "tubingen.jpg", 64)
    painting = load_image(real_data / "styles" / "starry_night.jpg", 64)
    loss = PerceptualLoss(style_weight=1e-5)  # FIELD_NOTES: balanced for Starry Night
    out = optimize_image(photo, [painting], loss, size=64, steps=10, progress=False, seed=0)
    with torch.no_grad():
        before, after = loss(photo, content=photo), loss(out, content=photo)
    assert after["total"] < 0.5 * before["total"]
    assert after["style"] < 0.5 * before["style"] and after["content"] > 0


def test_anchor_bound_is_a_real_fraction(real_data: Path, tmp_path: Path) -> None:
    # The calibration's anchor (Starry Night at 1e-5) on real training photos: it keeps part of
    # the content, neither all nor none (CALIBRATION.md: 0.53 on eight training photos at 128 px).
    from brushwork.calibrate.probes import probe_photos, target_content

    cfg = compose(
        "calibrate",
        [
            f"calibrate.cache_dir={tmp_path}",
            "calibrate.size=64",
            "calibrate.style_size=128",
            "calibrate.steps=10",
        ],
    )
    photos = probe_photos(real_data / "train", 2)
    target = target_content(cfg.calibrate, photos, "cpu")
    assert 0.05 < target["max_content"] < 0.95 and target["anchor"]["style"] == "starry_night"
