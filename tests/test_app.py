"""The app's parts without a browser: upload checks, the model shelf, the Gatys worker, the
command's errors. (tests/test_app_browser.py drives the whole page in Chromium.)"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from synthetic import make_models

from brushwork.app.painter import GatysJob
from brushwork.app.shelf import Shelf
from brushwork.app.uploads import check_upload, read_upload
from brushwork.errors import BrushworkError
from brushwork.io.images import read_array, to_uint8
from brushwork.io.synthetic import painting, photo


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    return make_models(tmp_path_factory.mktemp("models"))


@pytest.fixture
def picture(tmp_path) -> Path:
    path = tmp_path / "street.png"
    photo("street", 200, 150).save(path)
    return path


def test_an_upload_decodes_to_the_package_convention(picture) -> None:
    img = read_upload({"path": str(picture), "orig_name": "street.png"})
    assert img.shape == (1, 3, 150, 200) and img.dtype == np.float32
    np.testing.assert_array_equal(img, read_array(picture))
    assert check_upload(str(picture))[1:] == ("street.png", 200, 150)


def test_a_text_file_is_refused_by_the_name_the_user_gave_it(tmp_path) -> None:
    fake = tmp_path / "a1b2c3" / "upload.png"
    fake.parent.mkdir()
    fake.write_text("these are my notes, not a picture\n")
    with pytest.raises(BrushworkError, match=r"^notes\.png is not an image \(PNG") as e:
        read_upload({"path": str(fake), "orig_name": "notes.png"})
    assert "a1b2c3" not in str(e.value)  # the temporary path stays private


def test_too_many_pixels_are_refused_before_decoding(picture, tmp_path) -> None:
    with pytest.raises(BrushworkError, match=r"street\.png is 200x150 px, over the 0\.01 MP"):
        read_upload(str(picture), max_pixels=10_000)
    # A real decompression bomb: 225 MP of one colour in a few kB of PNG.
    bomb = tmp_path / "bomb.png"
    Image.new("1", (15_000, 15_000)).save(bomb)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(BrushworkError, match=r"bomb\.png is not an image .* or is too large"):
        read_upload(str(bomb))


def test_a_truncated_photo_is_refused_and_nothing_is_missing_is_asked_for(picture) -> None:
    data = picture.read_bytes()
    picture.write_bytes(data[: len(data) // 2])
    with pytest.raises(BrushworkError, match="street.png is damaged or truncated"):
        read_upload(str(picture))
    with pytest.raises(BrushworkError, match="drop or paste a photo first"):
        read_upload(None)


def test_the_shelf_lists_model_files_and_the_styles_they_hold(models) -> None:
    shelf = Shelf(models, device="cpu")
    assert shelf.labels == ["more/two.pt", "tiny.pt"]
    assert shelf.styles("tiny.pt") == ["tiny"]
    assert shelf.styles("more/two.pt") == ["dots", "waves"]
    assert shelf.entries() == ["more/two.pt · dots", "more/two.pt · waves", "tiny.pt"]
    assert shelf.get("tiny.pt") is shelf.get("tiny.pt")  # loaded once
    with pytest.raises(BrushworkError, match="unknown model 'nope.pt'; the folder has: more/two"):
        shelf.get("nope.pt")


def test_the_shelf_stylizes_and_strength_zero_gives_the_photo_back(models, picture) -> None:
    shelf = Shelf(models, device="cpu")
    img = read_array(picture)
    out = shelf.get("tiny.pt")(img, 1.0, False)
    assert out.image.shape == img.shape and out.seconds > 0
    assert np.abs(out.image - img).mean() > 0.01
    same = shelf.get("tiny.pt")(img, 0.0, False).image
    np.testing.assert_array_equal(to_uint8(same), to_uint8(img))
    dots = shelf.entry("more/two.pt · dots")(img, 1.0, False).image
    waves = shelf.entry("more/two.pt · waves")(img, 1.0, False).image
    assert dots.shape == waves.shape == img.shape


def test_without_models_the_app_offers_the_shipped_network_and_your_outputs(
    models, tmp_path, monkeypatch
) -> None:
    from brushwork.cli.app import default_models
    from brushwork.infer import choices

    monkeypatch.chdir(tmp_path)
    assert default_models() == [choices.MODELS_DIR]  # no ./outputs yet
    (tmp_path / "outputs").symlink_to(models)
    assert default_models() == [choices.MODELS_DIR, Path("outputs")]
    shelf = Shelf(default_models(), device="cpu")
    # The shipped graph beside the shipped file is the same model, not a second one.
    assert shelf.labels == ["brushwork-10.pt", "more/two.pt", "tiny.pt"]
    assert shelf.styles("brushwork-10.pt") == choices.record()["styles"]


def test_the_shelf_refuses_a_missing_or_empty_folder(tmp_path) -> None:
    with pytest.raises(BrushworkError, match="models folder not found"):
        Shelf(tmp_path / "absent")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(BrushworkError, match=r"no model files \(.pt, .onnx\) in .*train one"):
        Shelf(tmp_path)


def _painting(tmp_path: Path) -> str:
    path = tmp_path / "my_painting.png"
    painting("mine", 96, 80).save(path)
    return str(path)


def test_the_gatys_worker_reports_progress_and_ends_with_the_painted_photo(tmp_path) -> None:
    content = np.asarray(photo("street", 64, 48), dtype=np.float32).transpose(2, 0, 1)[None] / 255
    job = GatysJob(content, _painting(tmp_path), size=48, steps=4, every=1)
    updates = list(job.updates(timeout=120))
    assert [u.kind for u in updates[:-1]] == ["step"] * (len(updates) - 1)
    last = updates[-1]
    assert last.kind == "done", last.message
    assert last.image.shape == (1, 3, 36, 48)
    total = last.total
    assert [u.done for u in updates[:-1]] == list(range(1, total + 1))
    assert total == 4 + 2  # 4 at 48 px, 2 (half) at 32 px: the levels the pyramid allows
    assert {"content", "style"} <= set(updates[-2].terms)


def test_the_gatys_worker_stops_when_cancelled(tmp_path) -> None:
    content = np.asarray(photo("street", 64, 48), dtype=np.float32).transpose(2, 0, 1)[None] / 255
    job = GatysJob(content, _painting(tmp_path), size=48, steps=400, every=1)
    start = time.perf_counter()
    for update in job.updates(timeout=120):
        if update.kind == "step" and update.done == 2:
            job.cancel()
    assert update.kind == "cancelled" and 2 <= update.done < update.total
    assert time.perf_counter() - start < 60


def test_the_gatys_worker_reports_a_bad_painting_in_one_line(tmp_path) -> None:
    content = np.zeros((1, 3, 32, 32), np.float32)
    updates = list(GatysJob(content, str(tmp_path / "gone.png"), 32, 2).updates(timeout=60))
    assert [u.kind for u in updates] == ["error"]
    assert "gone.png" in updates[0].message and "\n" not in updates[0].message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--models", "/nonexistent/models"], "models folder not found: /nonexistent/models"),
        (["--port", "0"], "--port must be in 1..65535, got 0"),
        (["--max-temp-mb", "0"], "--max-temp-mb must be > 0, got 0"),
        (["--auth", "ann"], "--auth takes USER:PASS, both non-empty"),
        (["--auth", ":s3cret"], "--auth takes USER:PASS, both non-empty"),
    ],
)
def test_the_app_command_refuses_bad_options_in_one_line(args, message) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "brushwork", "app", *args], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {message}"


def test_brush_strokes_become_a_mask_or_one_region_per_colour(tmp_path) -> None:
    from brushwork.app.brush import brushed_area, stroke_masks

    layer = np.zeros((20, 30, 4), np.uint8)
    layer[2:6, 3:12] = (255, 0, 0, 255)  # a red stroke
    layer[10:14, 15:28] = (0, 255, 0, 128)  # a half-transparent green one
    Image.fromarray(layer).save(tmp_path / "layer.png")
    masks = stroke_masks([{"path": str(tmp_path / "layer.png")}], 40, 60)
    assert set(masks) == {"red", "green"} and masks["red"].shape == (40, 60)
    assert masks["red"][8, 12] == pytest.approx(1.0) and masks["red"][30, 40] == 0
    assert masks["green"][24, 40] == pytest.approx(128 / 255, abs=0.01)
    one = brushed_area(masks, ["tiny"], {})
    assert one.mask is not None and one.at(40, 60)[0].max() == pytest.approx(1.0)
    two = brushed_area(masks, ["dots", "waves"], {"red": "waves", "green": "dots"})
    alpha, mix = two.at(40, 60)
    assert mix[0, 1, 8, 12] == pytest.approx(1.0) and mix[0, 0, 24, 40] == pytest.approx(1.0)
    with pytest.raises(BrushworkError, match="brush on the photo"):
        brushed_area({}, ["tiny"], {})
