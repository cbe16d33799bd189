"""`brushwork fetch` against a real HTTP server on 127.0.0.1 (started here, serving archives built
here): verified, resumable, atomic downloads; unpacking; offline and corrupt-file errors."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from synthetic import STYLES, painting, photo

from brushwork.cli.fetch import fetch_styles
from brushwork.errors import BrushworkError
from brushwork.io.assets import fetch_photos
from brushwork.io.fetch import PHOTO_SETS, PhotoSet


class Server:
    """Serves ``files`` (name -> bytes) with Range support; ``cut[name] = n`` makes the next
    response for ``name`` stop after n bytes and close, as a dropped connection does."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut: dict[str, int] = {}
        self.requests: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                outer.requests.append((name, self.headers.get("Range")))
                if name not in outer.files:
                    self.send_error(404)
                    return
                body, start = outer.files[name], 0
                if rng := self.headers.get("Range"):
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                stop = outer.cut.pop(name, None)
                self.wfile.write(body[start:stop] if stop is not None else body[start:])
                if stop is not None:
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()


def _archive() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(5):
            jpg = io.BytesIO()
            photo(f"fetch{i}", 48, 40).save(jpg, format="JPEG")
            z.writestr(f"val2017/{i:012d}.jpg", jpg.getvalue())
        z.writestr("val2017/README.txt", "not a photo")
        z.writestr("annotations/skip.jpg", b"outside the photos' folder")
    return buf.getvalue()


@pytest.fixture
def photo_set(server, monkeypatch) -> PhotoSet:
    data = _archive()
    server.files["val2017.zip"] = data
    entry = PhotoSet(
        "test-set",
        f"{server.url}/val2017.zip",
        f"sha256:{hashlib.sha256(data).hexdigest()}",
        "val2017/",
        5,
        "test photos",
    )
    monkeypatch.setitem(PHOTO_SETS, "test-set", entry)
    return entry


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_fetch_verifies_unpacks_and_leaves_only_photos(photo_set, tmp_path: Path) -> None:
    to = tmp_path / "train"
    fetch_photos("test-set", to, progress=False)
    assert _files(to) == {f"{i:012d}.jpg" for i in range(5)}
    downloads = Path(os.environ["BRUSHWORK_CACHE"]) / "downloads"
    assert not list(downloads.glob("*val2017*")) and not list(downloads.glob(".*"))
    again = fetch_photos("test-set", to, progress=False)  # already there: nothing downloaded
    assert again == to and _files(to) == {f"{i:012d}.jpg" for i in range(5)}


def test_a_wrong_digest_removes_the_download(photo_set, server, monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(
        PHOTO_SETS,
        "test-set",
        photo_set.__class__(**{**photo_set.__dict__, "digest": "sha256:" + "0" * 64}),
    )
    with pytest.raises(BrushworkError, match="corrupt or not the expected file") as e:
        fetch_photos("test-set", tmp_path / "train", progress=False)
    assert "\n" not in str(e.value)
    assert not (tmp_path / "train").exists()
    assert not list((Path(os.environ["BRUSHWORK_CACHE"]) / "downloads").glob("*val2017*"))


def test_a_cut_connection_resumes_where_it_stopped(photo_set, server, tmp_path: Path) -> None:
    half = len(server.files["val2017.zip"]) // 2
    server.cut["val2017.zip"] = half
    with pytest.raises(BrushworkError, match="interrupted .* run the same command again"):
        fetch_photos("test-set", tmp_path / "train", progress=False)
    part = Path(os.environ["BRUSHWORK_CACHE"]) / "downloads" / ".val2017.zip.part"
    assert part.stat().st_size == half and not (tmp_path / "train").exists()
    fetch_photos("test-set", tmp_path / "train", progress=False)
    assert server.requests[-1] == ("val2017.zip", f"bytes={half}-")  # resumed, not restarted
    assert len(_files(tmp_path / "train")) == 5 and not part.exists()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    code = "import sys; from brushwork.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, "fetch", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_cli_refuses_a_file_that_is_not_the_pinned_one(server, tmp_path: Path) -> None:
    server.files["val2017.zip"] = _archive()  # not COCO's: its SHA-256 is not the pinned one
    out = _cli(
        "photos",
        "--to",
        str(tmp_path / "train"),
        "--no-progress",
        env={"BRUSHWORK_MIRROR": server.url},
    )
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert out.returncode == 2 and len(errors) == 1 and "sha256" in errors[0], out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "train").exists()


def test_cli_offline_says_what_to_get_and_where(tmp_path: Path) -> None:
    out = _cli(
        "photos", "--to", str(tmp_path / "train"), env={"BRUSHWORK_MIRROR": "http://127.0.0.1:9"}
    )
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "cannot download http://127.0.0.1:9/val2017.zip" in out.stderr
    assert "put the file at" in out.stderr and not (tmp_path / "train").exists()


def test_fetch_styles_downloads_each_missing_painting_once(server, tmp_path, monkeypatch) -> None:
    for name in STYLES:
        buf = io.BytesIO()
        painting(name, 40, 32).save(buf, format="JPEG")
        server.files[f"{name}.jpg"] = buf.getvalue()
    server.files["wave.jpg"] = server.files["great_wave.jpg"]  # the URL's own file name
    monkeypatch.setenv("BRUSHWORK_MIRROR", server.url)
    from brushwork.cli.main import main

    assert main(["fetch", "styles", "--to", str(tmp_path / "styles")]) == 0  # the README's command
    done = [tmp_path / "styles" / f"{name}.jpg" for name in STYLES]
    assert len(done) == len(STYLES) and all(p.is_file() for p in done)
    asked = len(server.requests)
    fetch_styles(tmp_path / "styles")
    assert len(server.requests) == asked  # nothing fetched twice


def test_training_without_photos_names_the_fetch_command(tmp_path: Path) -> None:
    from brushwork.train.data import PhotoDataModule

    with pytest.raises(BrushworkError, match="brushwork fetch photos"):
        PhotoDataModule(str(tmp_path / "data" / "train")).setup("fit")


def _fresh_data(root: Path, data_dir: Path) -> Path:
    """A data folder as on a fresh machine after `fetch styles`: paintings, test photos, no
    training photos."""
    for sub in ("styles", "content"):
        (root / sub).mkdir(parents=True)
        for f in sorted((data_dir / sub).iterdir())[: 2 if sub == "content" else None]:
            (root / sub / f.name).write_bytes(f.read_bytes())
    return root


def _smoke(run_dir: Path) -> list[str]:
    return [
        "experiment=smoke",
        "logger=none",
        "model.width=8",
        "model.n_residual=1",
        f"run_dir={run_dir}",
    ]


def test_one_command_trains_on_a_fresh_machine_fetching_the_photos(
    server, monkeypatch, tmp_path, data_dir, capsys
) -> None:
    from brushwork.config.registry import compose
    from brushwork.io.assets import DEFAULT_PHOTOS
    from brushwork.train.pipeline import train

    data = _fresh_data(tmp_path / "data", data_dir)
    monkeypatch.setenv("BRUSHWORK_DATA", str(data))
    archive = _archive()
    server.files["val2017.zip"] = archive
    pinned = PHOTO_SETS[DEFAULT_PHOTOS]  # the real set, served from here: its digest is this one
    served = PhotoSet(
        pinned.name,
        f"{server.url}/val2017.zip",
        f"sha256:{hashlib.sha256(archive).hexdigest()}",
        pinned.prefix,
        5,
        pinned.about,
    )
    monkeypatch.setitem(PHOTO_SETS, DEFAULT_PHOTOS, served)
    out = train(compose("train", _smoke(tmp_path / "run")))
    assert Path(out["export"]).is_file()
    assert _files(data / "train") == {f"{i:012d}.jpg" for i in range(5)}
    said = capsys.readouterr().out
    assert f"5 photos -> {data / 'train'}" in said and "5 photos in" in said
    assert [r for r in server.requests if r[0] == "val2017.zip"] == [("val2017.zip", None)]
    train(compose("train", _smoke(tmp_path / "again")))  # photos there: nothing fetched again
    assert len([r for r in server.requests if r[0] == "val2017.zip"]) == 1


def test_offline_the_first_training_says_how_to_get_photos_in_one_line(
    monkeypatch, tmp_path, data_dir
) -> None:
    data = _fresh_data(tmp_path / "data", data_dir)
    env = {**os.environ, "BRUSHWORK_DATA": str(data), "BRUSHWORK_MIRROR": "http://127.0.0.1:9"}
    run = subprocess.run(
        [sys.executable, "-m", "brushwork.cli.main", "train", *_smoke(tmp_path / "run")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, run.stderr[-2000:]
    assert "brushwork fetch photos" in errors[0] and "BRUSHWORK_MIRROR" in errors[0]
    assert not (data / "train").exists() or not any((data / "train").iterdir())
    assert not list((tmp_path / "run").rglob("*.pt"))


def test_a_folder_the_user_named_is_never_filled_by_a_download(monkeypatch, tmp_path) -> None:
    from brushwork.io.assets import ensure_training_photos

    monkeypatch.setenv("BRUSHWORK_DATA", str(tmp_path / "data"))
    ensure_training_photos(tmp_path / "mine")  # not the default folder: nothing happens
    assert not (tmp_path / "mine").exists()


def test_a_tar_archive_unpacks_its_photo_folders_flat(server, monkeypatch, tmp_path) -> None:
    # A .tgz with photos in train/, val/ and test/ under one prefix, and other files beside them.
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for i, split in enumerate(("train", "val", "test")):
            jpg = io.BytesIO()
            photo(f"tar{i}", 40, 32).save(jpg, format="JPEG")
            info = tarfile.TarInfo(f"SET/data/images/{split}/{100 + i}.jpg")
            info.size = len(jpg.getvalue())
            tar.addfile(info, io.BytesIO(jpg.getvalue()))
        info = tarfile.TarInfo("SET/data/groundTruth/train/100.mat")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"mat"))
    server.files["set.tgz"] = data = buf.getvalue()
    digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
    entry = PhotoSet("tar-set", f"{server.url}/set.tgz", digest, "SET/data/images/", 3, "tar")
    monkeypatch.setitem(PHOTO_SETS, "tar-set", entry)
    fetch_photos("tar-set", tmp_path / "train", progress=False)
    assert _files(tmp_path / "train") == {"100.jpg", "101.jpg", "102.jpg"}
