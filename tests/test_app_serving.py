"""The app as a server for a day: its temporary folder stays under ``--max-temp-mb`` with the
newest results kept, ``--auth`` keeps strangers out, and a full disk is one line on the page.
Requests go through ``gradio_client`` as a script would send them (no browser needed)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from synthetic import make_models

from brushwork.app.serve import is_loopback
from brushwork.app.tempdir import TempFolder, tree_bytes
from brushwork.app.uploads import check_upload
from brushwork.io.synthetic import photo

MB = 1_000_000


def _result(temp: TempFolder, n: int, size: int = 100_000) -> Path:
    """One request's worth: Gradio's copy of an upload, then a result folder with one file."""
    upload = temp.gradio / f"{n:064x}"
    upload.mkdir()
    (upload / "photo.png").write_bytes(os.urandom(size))
    folder = temp.result()
    (folder / "result.jpg").write_bytes(os.urandom(size))
    return folder


def test_the_folder_stays_under_its_bound_and_keeps_the_newest_results(tmp_path) -> None:
    temp = TempFolder(tmp_path / "app", max_mb=1, keep=3, min_age_s=0)
    (temp.gradio / "bookkeeping").mkdir()  # Gradio's own entries are not ours to remove
    folders = []
    for n in range(30):  # 6 MB without the bound
        folders.append(_result(temp, n))
        assert temp.size() <= 1 * MB + 200_000  # over only by the request just written
    temp.trim()
    assert temp.size() <= 1 * MB
    assert all((f / "result.jpg").is_file() for f in folders[-3:])  # still downloadable
    assert not folders[0].exists() and (temp.gradio / "bookkeeping").is_dir()


def test_young_files_and_the_newest_results_outrank_the_bound(tmp_path) -> None:
    young = TempFolder(tmp_path / "young", max_mb=0.1, keep=0, min_age_s=3600)
    made = [_result(young, n) for n in range(5)]
    assert all(f.exists() for f in made)  # an upload may still be read by its event
    kept = TempFolder(tmp_path / "kept", max_mb=0.1, keep=4, min_age_s=0)
    made = [_result(kept, n) for n in range(6)]
    kept.trim()
    assert [f.exists() for f in made] == [False, False, True, True, True, True]
    assert tree_bytes(kept.results) == 4 * 100_000


def test_a_file_handed_out_again_counts_as_new(tmp_path) -> None:
    """Gradio gives an identical result from its first copy (touching the file, not the folder)
    and an event touches the upload it reads: both then count as just used."""
    made = [_result(TempFolder(tmp_path / "app"), n) for n in range(5)]  # 1 MB, under 256
    temp = TempFolder(tmp_path / "app", max_mb=0.5, keep=0, min_age_s=0)  # now over the bound
    upload = temp.gradio / f"{0:064x}" / "photo.png"
    photo("street", 320, 240).save(upload)
    used = sorted(
        temp.root.rglob("*"), key=lambda f: (f.parent != upload.parent, f.stat().st_mtime)
    )
    for age, f in enumerate(used):  # an hour ago, the upload's request first
        os.utime(f, (time.time() - 3600 + age, time.time() - 3600 + age))
    check_upload(str(upload))  # the page stylizes its first photo again
    temp.trim()
    assert upload.is_file() and not made[0].exists()  # the same request's result went


def test_only_loopback_counts_as_private() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "localhost", "::1", "127.0.0.2"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.20", "my-laptop", "::"]))


gradio_client = pytest.importorskip("gradio_client", reason="pip install '.[app]'")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(root: Path, *args: str) -> tuple[subprocess.Popen, str, Path]:
    """``brushwork app`` with ``args`` and its TMPDIR under ``root``; (process, url, its log)."""
    models, tmp = make_models(root / "models"), root / "tmp"
    tmp.mkdir(exist_ok=True)
    port = _free_port()
    cmd = [sys.executable, "-m", "brushwork", "app", "--models", str(models), "--port", str(port)]
    log = root / f"app-{port}.log"
    with log.open("wb") as out:
        env = {**os.environ, "TMPDIR": str(tmp)}
        proc = subprocess.Popen([*cmd, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
    url, deadline = f"http://127.0.0.1:{port}/", time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url, log
        except urllib.error.HTTPError:  # served, and asking for a login
            return proc, url, log
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the app did not start: {log.read_text()[-2000:]}")
            time.sleep(0.25)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app with a 2 MB bound and a password; yields (url, its temporary folder)."""
    root = tmp_path_factory.mktemp("serving")
    proc, url, log = _serve(root, "--max-temp-mb", "2", "--auth", "ann:s3cret:with:colons")
    yield url, next((root / "tmp").glob("brushwork-app-*"))
    _stop(proc)
    assert "warning" not in log.read_text()  # loopback: nothing to warn about


def _stylize(client, path: Path):
    return client.predict(
        gradio_client.handle_file(str(path)), "tiny.pt", None, 1.0, False, 512, api_name="/stylize"
    )


def test_without_the_password_nothing_is_served(app) -> None:
    url, _ = app
    with pytest.raises(urllib.error.HTTPError, match="401"):
        urllib.request.urlopen(url + "config", timeout=10)
    with pytest.raises(Exception, match="credentials"):
        gradio_client.Client(url, verbose=False)
    with pytest.raises(Exception, match="(?i)incorrect|credentials|login"):
        gradio_client.Client(url, auth=("ann", "wrong"), verbose=False)


def test_requests_past_the_bound_keep_the_folder_under_it(app, tmp_path) -> None:
    url, folder = app
    client = gradio_client.Client(url, auth=("ann", "s3cret:with:colons"), verbose=False)
    shown = []
    for n in range(20):  # ~150 kB a request (upload, two JPEGs, Gradio's copies): ~3 MB
        src = tmp_path / f"p{n}.png"
        photo(f"street{n}", 256, 192).save(src)  # distinct: Gradio dedups by content
        shown.append(_stylize(client, src)[0][1])
        if n == 13:
            time.sleep(11)  # these are past the age an upload is protected for
    size = tree_bytes(folder)
    assert size <= 2.2 * MB, size  # the bound, plus the request just written
    assert all(Path(p).is_file() for p in shown)  # each result came back to the client
    results = sorted((folder / "results").iterdir(), key=lambda p: p.stat().st_mtime)
    assert len(results) < 20  # the oldest went
    assert all(len(list(f.glob("*.jpg"))) == 2 for f in results[-8:])  # the newest 8 stay


def test_sharing_beyond_this_machine_without_a_password_warns(tmp_path) -> None:
    proc, _, log = _serve(tmp_path, "--host", "0.0.0.0")
    _stop(proc)  # the line is printed before the server waits: nothing to wait for
    assert "warning: anyone who can reach 0.0.0.0:" in log.read_text()
    assert "--auth USER:PASS" in log.read_text()


def test_a_full_disk_is_one_line_on_the_page(tmp_path) -> None:
    from test_full_disk import fill

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(tmp)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    proc, url, log = _serve(tmp_path)
    try:
        client = gradio_client.Client(url, verbose=False)
        src = tmp_path / "flat.png"  # a few kB that decode to 1024 x 768 px
        photo("flat", 1024, 768).convert("L").point(lambda v: 128).save(src)
        fill(tmp, leave=8192)  # room for the upload, none for the results
        with pytest.raises(Exception, match=r"disk is full \(0\.\d MB free\)") as e:
            _stylize(client, src)
        assert str(tmp) not in str(e.value)  # the server's paths stay private
        assert "\n" not in str(e.value) and "Traceback" not in str(e.value)
        ours = [p.name for p in tmp.rglob("brushwork-app-*/results/*/*")]
        assert ours == [], ours  # no partial result
    finally:
        _stop(proc)
        subprocess.run(["umount", "-l", str(tmp)], check=False)
    line = rf"error: cannot write {re.escape(str(tmp))}/.*: no space left on the disk"
    assert re.search(line, log.read_text())
