"""Tests for brushwork.train.data: tiny photos generated in tmp_path and the generated data dir."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from brushwork.errors import BrushworkError
from brushwork.train.data import PhotoDataModule, PhotoFolder
from brushwork.train.photos import center_box, random_box

RNG = np.random.default_rng(7)


def photo(path: Path, w: int = 48, h: int = 40, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path, **kw)
    return path


def folder(root: Path, n: int = 4) -> Path:
    for k in range(n):
        photo(root / f"p{k}.png", 40 + 4 * k, 36 + 2 * k)
    return root


def test_recursive_discovery_nesting_and_extensions(tmp_path: Path) -> None:
    photo(tmp_path / "a.jpg")
    photo(tmp_path / "sub" / "b.PNG")
    photo(tmp_path / "sub" / "deeper" / "c.webp")
    photo(tmp_path / "x" / "y" / "z" / "d.bmp")
    (tmp_path / "notes.txt").write_text("not an image")
    ds = PhotoFolder(tmp_path, size=32)
    assert [p.relative_to(tmp_path).as_posix() for p in ds.files] == [
        "a.jpg",
        "sub/b.PNG",
        "sub/deeper/c.webp",
        "x/y/z/d.bmp",
    ]
    assert len(ds) == 4


@pytest.mark.parametrize("train", [True, False])
def test_crops_shape_and_range(tmp_path: Path, train: bool) -> None:
    photo(tmp_path / "wide.png", 64, 33)
    photo(tmp_path / "tall.png", 33, 64)
    photo(tmp_path / "gray.png", 40, 40).with_suffix(".png")
    Image.new("L", (50, 37), 128).save(tmp_path / "mono.jpg")
    ds = PhotoFolder(tmp_path, size=32, train=train)
    for i in range(len(ds)):
        item = ds[i]
        x = item["content"]
        assert x.shape == (3, 32, 32) and x.dtype == torch.float32
        assert x.min() >= 0 and x.max() <= 1
        assert item["path"] == str(ds.files[i])


def test_val_transform_is_deterministic_center_crop(tmp_path: Path) -> None:
    # Left third black, middle white, right third black: a centre crop of the shorter side keeps
    # only the white middle column.
    arr = np.zeros((40, 120, 3), dtype=np.uint8)
    arr[:, 40:80] = 255
    Image.fromarray(arr).save(tmp_path / "stripes.png")
    ds = PhotoFolder(tmp_path, size=32, train=False)
    a, b = ds[0]["content"], ds[0]["content"]
    assert torch.equal(a, b)
    assert a[..., 1:-1].min() == 1.0  # the resampling filter reads one pixel past the box edge
    assert a.min() > 0.9
    assert center_box(120, 40) == (40, 0, 80, 40)


def test_random_boxes_stay_inside_and_vary() -> None:
    torch.manual_seed(0)
    boxes = {random_box(60, 40) for _ in range(20)}
    assert len(boxes) > 1
    for left, top, right, bottom in boxes:
        assert 0 <= left < right <= 60 and 0 <= top < bottom <= 40
        assert 0.45 <= (right - left) * (bottom - top) / 2400 <= 1.0
    left, top, right, bottom = random_box(400, 10)  # extreme aspect → centred fallback
    assert left >= 0 and right <= 400 and bottom - top == 10


def test_unreadable_files_skipped_with_one_counting_warning(tmp_path: Path) -> None:
    folder(tmp_path, 2)
    for name in ("bad1.jpg", "bad2.png", "sub/bad3.webp"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"this is not an image at all")
    with pytest.warns(UserWarning) as record:
        ds = PhotoFolder(tmp_path, size=32)
    # One warning for all three files (other libraries' warnings, if any, are not ours).
    msgs = [str(w.message) for w in record if "unreadable" in str(w.message)]
    assert len(msgs) == 1
    assert "skipped 3 unreadable images" in msgs[0] and str(tmp_path) in msgs[0]
    assert len(ds) == 2


def test_truncated_file_falls_back_to_next_index(tmp_path: Path) -> None:
    folder(tmp_path, 3)
    good = tmp_path / "p1.png"
    data = photo(tmp_path / "big.png", 64, 64).read_bytes()  # sorts first: "big" < "p0"
    (tmp_path / "big.png").write_bytes(data[: len(data) // 2])  # header ok, pixels missing
    ds = PhotoFolder(tmp_path, size=32, train=False)
    assert len(ds) == 4 and ds.files[0].name == "big.png"
    with pytest.warns(UserWarning, match="big.png") as record:
        item = ds[0]
        again = ds[0]
    assert len(record) == 1  # warned once
    assert item["path"] == str(tmp_path / "p0.png") == again["path"]
    assert ds[2]["path"] == str(good)
    assert ds[len(ds) - 1]["path"] == str(tmp_path / "p2.png")


def test_all_truncated_is_an_error(tmp_path: Path) -> None:
    data = photo(tmp_path / "a.png", 64, 64).read_bytes()
    (tmp_path / "a.png").write_bytes(data[: len(data) // 2])
    ds = PhotoFolder(tmp_path, size=32)
    with pytest.warns(UserWarning), pytest.raises(BrushworkError, match="could be decoded"):
        ds[0]


def test_empty_and_missing_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(BrushworkError, match="data folder not found"):
        PhotoFolder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BrushworkError, match="no images found"):
        PhotoFolder(tmp_path / "empty")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.jpg").write_bytes(b"garbage")
    with pytest.raises(BrushworkError, match="no readable images"):
        PhotoFolder(tmp_path / "junk")
    with pytest.raises(BrushworkError, match="positive integer"):
        PhotoFolder(tmp_path, size=0)


def test_targets_get_identical_crop_and_flip(tmp_path: Path) -> None:
    photos, targets = tmp_path / "photos", tmp_path / "targets"
    for rel, w, h in (("a.jpg", 48, 40), ("sub/b.png", 40, 56), ("sub/c.png", 64, 36)):
        src = (
            photo(photos / rel, w, h, quality=95)
            if rel.endswith("jpg")
            else photo(photos / rel, w, h)
        )
        dest = (targets / rel).with_suffix(".png")  # any extension: a.jpg → a.png
        dest.parent.mkdir(parents=True, exist_ok=True)
        Image.open(src).convert("RGB").save(dest)  # identical pixels (jpeg decoded once)
    ds = PhotoFolder(photos, size=32, train=True, targets=targets)
    assert [t.relative_to(targets).as_posix() for t in ds.targets] == [
        "a.png",
        "sub/b.png",
        "sub/c.png",
    ]
    torch.manual_seed(3)
    for _ in range(6):  # several random crops and flips
        for i in range(len(ds)):
            item = ds[i]
            assert item["target"].shape == (3, 32, 32)
            assert torch.equal(item["content"], item["target"])


def test_targets_at_other_resolution_are_aligned(tmp_path: Path) -> None:
    arr = np.zeros((40, 80, 3), dtype=np.uint8)
    arr[:, :40] = 255  # left half white
    Image.fromarray(arr).save(tmp_path / "p.png")
    (tmp_path / "t").mkdir()
    Image.fromarray(arr).resize((40, 20), Image.Resampling.NEAREST).save(tmp_path / "t" / "p.png")
    ds = PhotoFolder(tmp_path / "p.png", size=16, train=True, targets=tmp_path / "t")
    torch.manual_seed(0)
    for _ in range(8):
        item = ds[0]
        assert (item["content"] - item["target"]).abs().mean() < 0.1


def test_missing_targets_error(tmp_path: Path) -> None:
    folder(tmp_path / "photos", 4)
    (tmp_path / "targets").mkdir()
    photo(tmp_path / "targets" / "p0.png")
    with pytest.raises(BrushworkError, match=r"3 of 4 photos have no target in .*targets"):
        PhotoFolder(tmp_path / "photos", targets=tmp_path / "targets")
    with pytest.raises(BrushworkError, match="targets folder not found"):
        PhotoFolder(tmp_path / "photos", targets=tmp_path / "nothing")


def test_datamodule_loaders(tmp_path: Path) -> None:
    folder(tmp_path / "train", 5)
    val = tmp_path / "val"
    for name, (w, h) in {"c.png": (60, 30), "a.jpg": (30, 45), "b.png": (40, 40)}.items():
        photo(val / name, w, h)
    dm = PhotoDataModule(
        str(tmp_path / "train"),
        size=32,
        batch_size=2,
        num_workers=0,
        val_dir=str(val),
        val_size=24,
        val_count=2,
    )
    dm.setup("fit")
    batches = list(dm.train_dataloader())
    assert len(batches) == 2  # 5 photos, batch 2, drop_last
    assert batches[0]["content"].shape == (2, 3, 32, 32) and len(batches[0]["path"]) == 2
    vals = list(dm.val_dataloader())
    assert [Path(b["path"][0]).name for b in vals] == ["a.jpg", "b.png"]  # sorted, first 2
    assert [tuple(b["content"].shape) for b in vals] == [(1, 3, 24, 16), (1, 3, 24, 24)]
    images = dm.val_images()
    assert len(images) == 2 and torch.equal(images[0], vals[0]["content"])
    assert dm.pin_memory == torch.cuda.is_available()


def test_datamodule_small_set_keeps_last_batch(tmp_path: Path) -> None:
    folder(tmp_path, 3)
    dm = PhotoDataModule(str(tmp_path), size=32, batch_size=4, num_workers=0, val_dir=str(tmp_path))
    batches = list(dm.train_dataloader())
    assert len(batches) == 1 and batches[0]["content"].shape == (3, 3, 32, 32)


def test_datamodule_errors_and_missing_validation(tmp_path: Path) -> None:
    dm = PhotoDataModule(str(tmp_path / "nope"), num_workers=0, val_dir=str(tmp_path))
    with pytest.raises(BrushworkError, match="training photos not found: .*brushwork fetch photos"):
        dm.setup("fit")
    folder(tmp_path / "train", 2)
    dm = PhotoDataModule(
        str(tmp_path / "train"), size=32, num_workers=0, val_dir=str(tmp_path / "v")
    )
    with pytest.warns(UserWarning, match="validation disabled") as record:
        dm.setup("fit")
        assert dm.val_dataloader() == []
        assert dm.val_images() == []
    assert len(record) == 1


def test_without_content_photos_validation_is_held_out_of_the_training_folder(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    # A fresh machine: $BRUSHWORK_DATA holds the fetched train/ only, no content/.
    monkeypatch.setenv("BRUSHWORK_DATA", str(tmp_path))
    train = folder(tmp_path / "train", 20)
    dm = PhotoDataModule(str(train), size=32, num_workers=0, val_size=24, val_count=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dm.setup("fit")
    everything = sorted(p for p in train.iterdir())
    held = [Path(b["path"][0]) for b in dm.val_dataloader()]
    assert held == everything[0:20:5]  # spread over the folder, in name order
    assert set(dm.held_out) == set(held) and not set(held) & set(dm.train_set.files)
    assert sorted([*held, *dm.train_set.files]) == everything  # nothing else left out
    assert "4 photos of" in capsys.readouterr().out
    # Too few to spare any: all of them train, and validation is off (one warning).
    few = folder(tmp_path / "few", 5)
    dm = PhotoDataModule(str(few), size=32, num_workers=0, val_count=4)
    with pytest.warns(UserWarning, match="too few photos .* validation disabled"):
        dm.setup("fit")
    assert len(dm.train_set) == 5 and dm.val_images() == []


def test_default_val_dir_is_the_data_dirs_content(data_dir: Path) -> None:
    content = data_dir / "content"  # $BRUSHWORK_DATA/content; conftest points it at data_dir
    dm = PhotoDataModule("unused", num_workers=0, val_size=32, val_count=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images = dm.val_images()
    names = [Path(b["path"][0]).name for b in dm.val_dataloader()]
    assert names == sorted(p.name for p in content.iterdir() if not p.name.startswith("."))[:3]
    assert all(im.shape[0] == 1 and max(im.shape[-2:]) == 32 for im in images)


def test_decoded_photos_are_shrunk_once_stored_by_content_and_read_back(tmp_path: Path) -> None:
    from brushwork.train.photos import KEEP, DecodedPhotos

    big = photo(tmp_path / "photos" / "big.jpg", 200, 120, quality=95)
    small = photo(tmp_path / "photos" / "small.png", 30, 20)
    cache = DecodedPhotos(crop=32, folder=tmp_path / "cache")
    first = cache.get(big)
    assert min(first.size) == KEEP * 32 and first.size == (107, 64)  # aspect kept
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1
    again = DecodedPhotos(crop=32, folder=tmp_path / "cache").get(big)  # a new process: the file
    np.testing.assert_array_equal(np.asarray(again), np.asarray(first))
    assert cache.get(small).size == (30, 20)  # never enlarged
    copy = tmp_path / "elsewhere" / "renamed.jpg"
    copy.parent.mkdir()
    copy.write_bytes(big.read_bytes())
    assert cache.file(copy) == cache.file(big)  # keyed by content, not by name
    cache.file(big).write_bytes(b"damaged")
    np.testing.assert_array_equal(np.asarray(cache.get(big)), np.asarray(first))  # rebuilt


def test_cached_crops_match_crops_from_the_files(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BRUSHWORK_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "photos"
    root.mkdir()
    for k in range(3):  # smooth photos: resampling twice changes them little
        blobs = Image.fromarray(RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8))
        blobs.resize((160, 120), Image.Resampling.BICUBIC).save(root / f"p{k}.png")
    plain = PhotoFolder(root, size=32, train=False)
    cached = PhotoFolder(root, size=32, train=False, cache=True)
    for k in range(3):
        a, b = plain[k]["content"], cached[k]["content"]
        assert a.shape == b.shape == (3, 32, 32)
        assert (a - b).abs().mean() < 0.01  # one more resampling: the same picture
    assert len(list((tmp_path / "cache").rglob("*.npy"))) == 3
