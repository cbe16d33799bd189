"""Tests for brushwork.io.images: tiny images generated in tmp_path, no shared data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from brushwork.errors import BrushworkError
from brushwork.io.files import IMAGE_EXTENSIONS, check_writable, find_images
from brushwork.io.images import (
    load_image,
    open_image,
    pil_to_tensor,
    resize,
    save_image,
    tensor_to_pil,
)

RNG = np.random.default_rng(1234)


def noise_rgb(h: int = 12, w: int = 16) -> np.ndarray:
    return RNG.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def write(tmp_path: Path, name: str, im: Image.Image, **kw) -> Path:
    path = tmp_path / name
    im.save(path, **kw)
    return path


# --- round trips -------------------------------------------------------------------------


def test_png_round_trip_is_exact(tmp_path):
    arr = noise_rgb()
    t = torch.from_numpy(arr).permute(2, 0, 1)[None].float() / 255
    out = save_image(t, tmp_path / "out.png")
    assert out == tmp_path / "out.png"
    back = load_image(out)
    assert back.shape == (1, 3, 12, 16) and back.dtype == torch.float32
    assert torch.equal(back, t)
    assert np.array_equal(np.asarray(open_image(out)), arr)


def test_pil_tensor_round_trip_and_clamping():
    arr = noise_rgb()
    t = pil_to_tensor(Image.fromarray(arr))
    assert t.shape == (1, 3, 12, 16) and t.dtype == torch.float32
    assert t.min() >= 0.0 and t.max() <= 1.0
    assert np.array_equal(np.asarray(tensor_to_pil(t)), arr)
    assert np.array_equal(np.asarray(tensor_to_pil(t[0])), arr)
    wild = (
        torch.tensor([-1.0, 2.0, 0.5 / 255 + 1e-4, float("nan")])
        .view(1, 1, 1, 4)
        .expand(1, 3, 1, 4)
    )
    assert np.asarray(tensor_to_pil(wild))[0, :, 0].tolist() == [0, 255, 1, 0]


def test_jpeg_round_trip_is_close(tmp_path):
    y, x = np.mgrid[0:32, 0:32]
    arr = np.stack([x * 8, y * 8, (x + y) * 4], axis=-1).astype(np.uint8)
    t = pil_to_tensor(Image.fromarray(arr))
    back = load_image(save_image(t, tmp_path / "out.JPG", quality=95))
    assert back.shape == t.shape
    assert (back - t).abs().mean() < 0.01


@pytest.mark.parametrize(
    ("ext", "fmt"),
    [(".png", "PNG"), (".jpeg", "JPEG"), (".webp", "WEBP"), (".bmp", "BMP"), (".tiff", "TIFF")],
)
def test_save_format_follows_extension(tmp_path, ext, fmt):
    t = torch.rand(3, 5, 7)
    path = save_image(t, tmp_path / f"x{ext}")
    with Image.open(path) as im:
        assert im.format == fmt and im.size == (7, 5)
    assert sorted(os.listdir(tmp_path)) == [f"x{ext}"]


def test_load_image_resize_and_device(tmp_path):
    path = write(tmp_path, "wide.png", Image.fromarray(noise_rgb(10, 40)))
    t = load_image(path, size=20, device="cpu")
    assert t.shape == (1, 3, 5, 20) and t.device.type == "cpu"
    assert load_image(path, size=20, side="short").shape == (1, 3, 20, 80)


# --- decoding: orientation, modes, bit depth -------------------------------------------------


def test_exif_orientation_is_applied(tmp_path):
    arr = np.zeros((4, 8, 3), np.uint8)
    arr[:, :4] = (255, 0, 0)  # left half red
    arr[:, 4:] = (0, 0, 255)  # right half blue
    im = Image.fromarray(arr)
    exif = im.getexif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise
    path = write(tmp_path, "rot.jpg", im, exif=exif, quality=100)
    t = load_image(path)
    assert t.shape == (1, 3, 8, 4)
    # clockwise rotation puts the left (red) half on top
    assert t[0, 0, :3].mean() > 0.8 and t[0, 2, :3].mean() < 0.2
    assert t[0, 2, 5:].mean() > 0.8 and t[0, 0, 5:].mean() < 0.2
    assert open_image(path).size == (4, 8)


def test_grayscale_gives_three_equal_channels(tmp_path):
    gray = RNG.integers(0, 256, size=(6, 5), dtype=np.uint8)
    path = write(tmp_path, "g.png", Image.fromarray(gray, mode="L"))
    t = load_image(path)
    assert t.shape == (1, 3, 6, 5)
    assert torch.equal(t[0, 0], t[0, 1]) and torch.equal(t[0, 0], t[0, 2])
    assert torch.equal(t[0, 0], torch.from_numpy(gray).float() / 255)
    assert open_image(path).mode == "RGB"


def test_palette_image(tmp_path):
    im = Image.new("P", (4, 2))
    im.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    im.putpixel((3, 1), 1)
    t = load_image(write(tmp_path, "p.png", im))
    assert t[0, :, 0, 0].tolist() == [1.0, 0.0, 0.0]
    assert t[0, :, 1, 3].tolist() == [0.0, 1.0, 0.0]


def test_palette_transparency_goes_to_white(tmp_path):
    im = Image.new("P", (3, 3))
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.putpixel((1, 1), 1)
    t = load_image(write(tmp_path, "pt.gif", im, transparency=0))
    assert torch.equal(t[0, :, 0, 0], torch.ones(3))  # transparent black -> white
    assert t[0, :, 1, 1].tolist() == [1.0, 0.0, 0.0]


def test_rgba_composited_on_white(tmp_path):
    im = Image.new("RGBA", (3, 1), (0, 0, 0, 0))
    im.putpixel((1, 0), (255, 0, 0, 255))
    im.putpixel((2, 0), (0, 0, 0, 128))
    t = load_image(write(tmp_path, "a.png", im))
    assert t[0, :, 0, 0].tolist() == [1.0, 1.0, 1.0]
    assert t[0, :, 0, 1].tolist() == [1.0, 0.0, 0.0]
    assert torch.allclose(t[0, :, 0, 2], torch.full((3,), 127 / 255), atol=2 / 255)


def test_la_composited_on_white(tmp_path):
    im = Image.new("LA", (2, 1), (0, 0))
    im.putpixel((1, 0), (0, 255))
    t = load_image(write(tmp_path, "la.png", im))
    assert t[0, :, 0, 0].tolist() == [1.0] * 3 and t[0, :, 0, 1].tolist() == [0.0] * 3


@pytest.mark.parametrize("name", ["c.jpg", "c.tif"])
def test_cmyk_converted_to_rgb(tmp_path, name):
    path = write(tmp_path, name, Image.new("CMYK", (4, 4), (0, 255, 255, 0)))  # pure red ink
    t = load_image(path)
    assert torch.allclose(t[0, :, 2, 2], torch.tensor([1.0, 0.0, 0.0]), atol=0.05)


def test_16bit_grayscale_is_scaled_not_clipped(tmp_path):
    im = Image.new("I;16", (3, 1))
    for x, v in enumerate((65535, 32768, 1000)):
        im.putpixel((x, 0), v)
    path = write(tmp_path, "deep.png", im)
    t = load_image(path)
    assert t.shape == (1, 3, 1, 3)
    assert torch.equal(t[0, 0], t[0, 2])
    assert t[0, 0, 0, 0] == 1.0
    assert abs(t[0, 0, 0, 1].item() - 0.5) < 1e-4
    assert abs(t[0, 0, 0, 2].item() - 1000 / 65535) < 1e-6  # finer than any 8-bit level
    assert np.asarray(open_image(path))[0, :, 0].tolist() == [255, 128, 4]


def test_16bit_big_endian_tiff(tmp_path):
    im = Image.new("I;16B", (2, 1))
    im.putpixel((0, 0), 65535)
    im.putpixel((1, 0), 32768)
    t = load_image(write(tmp_path, "be.tif", im))
    assert t[0, 1, 0, 0] == 1.0 and abs(t[0, 1, 0, 1].item() - 0.5) < 1e-4


def test_float_image(tmp_path):
    path = write(tmp_path, "f.tif", Image.fromarray(np.array([[0.25, 1.0]], np.float32)))
    assert load_image(path)[0, :, 0, 0].tolist() == [0.25] * 3


# --- resize --------------------------------------------------------------------------------


def test_resize_long_and_short_side_keep_aspect():
    img = torch.rand(2, 3, 40, 20)
    assert resize(img, 10).shape == (2, 3, 10, 5)
    assert resize(img, 10, side="short").shape == (2, 3, 20, 10)
    assert resize(img, 80).shape == (2, 3, 80, 40)
    assert resize(torch.rand(1, 3, 3, 300), 10).shape == (1, 3, 1, 10)  # never 0 px


def test_resize_same_size_returns_input():
    img = torch.rand(1, 3, 8, 6)
    assert resize(img, 8) is img
    assert resize(img, 6, side="short") is img


# By 4, plain bicubic samples exactly between pixels and also gives 0.5; by 3 it samples pixel
# centres and gives pure 0/1, so that case is the one that proves antialiasing happens.
@pytest.mark.parametrize(("n", "factor"), [(32, 4), (36, 3)])
def test_resize_antialiases_checkerboard(n, factor):
    y, x = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    board = ((x + y) % 2).float().expand(1, 3, n, n).contiguous()
    small = resize(board, n // factor)
    assert small.shape == (1, 3, n // factor, n // factor)
    assert (small - 0.5).abs().max() < 0.05


def test_resize_clamps_overshoot():
    step = torch.zeros(1, 3, 4, 4)
    step[..., 2:] = 1.0
    big = resize(step, 32)
    assert big.min() >= 0.0 and big.max() <= 1.0 and big.max() == 1.0


@pytest.mark.parametrize(("size", "side"), [(0, "long"), (-3, "long"), (10, "diagonal")])
def test_resize_bad_arguments(size, side):
    with pytest.raises(BrushworkError):
        resize(torch.rand(1, 3, 4, 4), size, side=side)


def test_load_image_bad_size_fails_before_decoding(tmp_path):
    with pytest.raises(BrushworkError, match="size"):
        load_image(tmp_path / "missing.png", size=0)


# --- read errors ---------------------------------------------------------------------------


def assert_names(excinfo, path: Path) -> str:
    msg = str(excinfo.value)
    assert str(path) in msg and "\n" not in msg
    return msg


def test_missing_file(tmp_path):
    path = tmp_path / "nope.png"
    with pytest.raises(BrushworkError) as e:
        load_image(path)
    assert assert_names(e, path) == f"image not found: {path}"


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(BrushworkError) as e:
        open_image(tmp_path)
    assert "is a directory" in assert_names(e, tmp_path)


@pytest.mark.parametrize("name", ["cut.png", "cut.jpg"])
def test_truncated_file(tmp_path, name):
    path = write(tmp_path, name, Image.fromarray(noise_rgb(48, 48)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BrushworkError) as e:
        load_image(path)
    assert assert_names(e, path).startswith(f"cannot read image {path}:")


def test_garbage_bytes(tmp_path):
    path = tmp_path / "junk.jpg"
    path.write_bytes(b"definitely not a jpeg " * 20)
    with pytest.raises(BrushworkError) as e:
        open_image(path)
    assert assert_names(e, path).startswith(f"cannot read image {path}:")


# --- write errors and atomicity --------------------------------------------------------------


def test_missing_output_folder(tmp_path):
    path = tmp_path / "no" / "such" / "out.png"
    with pytest.raises(BrushworkError) as e:
        save_image(torch.rand(1, 3, 4, 4), path)
    assert assert_names(e, path).startswith(f"cannot write {path}:")
    assert not (tmp_path / "no").exists()


def test_unknown_extension(tmp_path):
    path = tmp_path / "out.xyz"
    with pytest.raises(BrushworkError) as e:
        save_image(torch.rand(1, 3, 4, 4), path)
    msg = assert_names(e, path)
    assert ".png" in msg and ".jpg" in msg
    assert list(tmp_path.iterdir()) == []


def test_output_path_is_directory(tmp_path):
    path = tmp_path / "out.png"
    path.mkdir()
    with pytest.raises(BrushworkError) as e:
        check_writable(path)
    assert "directory" in assert_names(e, path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_unwritable_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(BrushworkError) as e:
            save_image(torch.rand(1, 3, 4, 4), locked / "out.png")
        assert "not writable" in assert_names(e, locked / "out.png")
    finally:
        locked.chmod(0o700)


def test_unwritable_folder_reported_by_access_check(tmp_path, monkeypatch):
    # Same check as above, but runnable as root: os.access is what decides.
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != tmp_path)
    with pytest.raises(BrushworkError) as e:
        check_writable(tmp_path / "out.png")
    assert "not writable" in assert_names(e, tmp_path / "out.png")


def test_check_writable_accepts_good_path(tmp_path):
    assert check_writable(tmp_path / "Out.JPEG") == tmp_path / "Out.JPEG"
    assert list(tmp_path.iterdir()) == []  # checking writes nothing


def test_batch_and_quality_rejected(tmp_path):
    with pytest.raises(BrushworkError, match="batch of 2"):
        save_image(torch.rand(2, 3, 4, 4), tmp_path / "b.png")
    with pytest.raises(BrushworkError, match="quality"):
        save_image(torch.rand(1, 3, 4, 4), tmp_path / "q.jpg", quality=0)
    with pytest.raises(BrushworkError):
        tensor_to_pil(torch.rand(1, 4, 4, 4))
    assert list(tmp_path.iterdir()) == []


def test_failed_encode_leaves_no_temp_and_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "out.png"
    save_image(torch.zeros(1, 3, 4, 4), path)
    before = path.read_bytes()

    def broken_save(self, fp, *args, **kwargs):
        fp.write(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(BrushworkError) as e:
        save_image(torch.ones(1, 3, 4, 4), path)
    assert "disk full" in assert_names(e, path)
    assert os.listdir(tmp_path) == ["out.png"] and path.read_bytes() == before


def test_failed_replace_leaves_no_temp(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("cross-device link")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(BrushworkError):
        save_image(torch.rand(1, 3, 4, 4), tmp_path / "out.webp")
    assert os.listdir(tmp_path) == []


def test_interrupt_leaves_no_temp(tmp_path, monkeypatch):
    def interrupted(self, fp, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_image(torch.rand(1, 3, 4, 4), tmp_path / "out.png")
    assert os.listdir(tmp_path) == []


def test_saved_file_has_normal_permissions(tmp_path):
    path = save_image(torch.rand(1, 3, 2, 2), tmp_path / "p.png")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


# --- find_images ---------------------------------------------------------------------------


def test_find_images_recursive_mixed_case(tmp_path):
    tiny = Image.new("RGB", (1, 1))
    for rel in ["top.jpeg", "a/B.PNG", "a/b/c/deep.JpG", "z/w.TIFF", "a/b/anim.gif"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        tiny.save(tmp_path / rel, format=Image.registered_extensions()[Path(rel).suffix.lower()])
    for rel in ["notes.txt", "a/data.png.bak", ".hidden/x.png", "a/.y.png", "a/noext"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    found = find_images(tmp_path)
    rels = [p.relative_to(tmp_path).as_posix() for p in found]
    assert rels == ["a/B.PNG", "a/b/anim.gif", "a/b/c/deep.JpG", "top.jpeg", "z/w.TIFF"]
    assert found == sorted(found)


def test_find_images_single_file_and_errors(tmp_path):
    img = tmp_path / "one.Png"
    Image.new("RGB", (1, 1)).save(img, format="PNG")
    assert find_images(img) == [img]
    txt = tmp_path / "readme.txt"
    txt.write_text("hi")
    with pytest.raises(BrushworkError) as e:
        find_images(txt)
    assert_names(e, txt)
    missing = tmp_path / "gone"
    with pytest.raises(BrushworkError) as e:
        find_images(missing)
    assert "not found" in assert_names(e, missing)
    empty = tmp_path / "empty"
    (empty / ".git").mkdir(parents=True)
    (empty / ".git" / "logo.png").write_bytes(b"x")
    with pytest.raises(BrushworkError) as e:
        find_images(empty)
    assert "no images" in assert_names(e, empty)


def test_find_images_survives_symlink_loop(tmp_path):
    (tmp_path / "d").mkdir()
    Image.new("RGB", (1, 1)).save(tmp_path / "d" / "x.png")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d", target_is_directory=True)
    assert [p.name for p in find_images(tmp_path)] == ["x.png"]


def test_image_extensions_are_lowercase_with_dot():
    required = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
    assert required <= IMAGE_EXTENSIONS
    assert all(e.startswith(".") and e == e.lower() for e in IMAGE_EXTENSIONS)


@pytest.mark.parametrize("multiple", [1, 4, 8])
@pytest.mark.parametrize("smallest", [0, 16, 24])
def test_stride_padding_reaches_a_centred_multiple(multiple: int, smallest: int) -> None:
    from brushwork.io.images import stride_padding

    for length in range(1, 70):
        before, after = stride_padding(length, multiple, smallest)
        padded = length + before + after
        assert padded % multiple == 0 and padded >= max(smallest, length)
        assert padded - multiple < max(smallest, length) or padded == smallest  # the least such
        assert 0 <= before <= after <= before + 1  # centred; the extra pixel after
