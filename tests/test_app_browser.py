"""``brushwork app`` driven in a real headless Chromium (Playwright with the system browser):
the page a user sees, the files it returns. Skipped, with the reason, without Gradio, Playwright or
Chromium (``.ci/run`` installs them; ``BRUSHWORK_CHROMIUM`` names another browser binary)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from synthetic import make_models

from brushwork.io.synthetic import painting, photo

pytest.importorskip("gradio", reason="the app's extra is not installed: pip install '.[app]'")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = os.environ.get("BRUSHWORK_CHROMIUM") or shutil.which("chromium")
if not CHROMIUM:
    pytest.skip("no Chromium (apt-get install chromium)", allow_module_level=True)

# Chromium on a machine without internet: no background calls (each would wait to fail).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
FLAGS += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("BRUSHWORK_ARTIFACTS", Path(__file__).parents[1] / "artifacts"))
WAIT = 180_000  # ms; results take well under a second, the first model load (an ONNX export) a
# few seconds, many more on a loaded machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app serving two tiny models, run as users run it; yields (url, its TMPDIR)."""
    root = tmp_path_factory.mktemp("app")
    models, tmp = make_models(root / "models"), root / "tmp"
    tmp.mkdir()
    port = _free_port()
    env = {**os.environ, "TMPDIR": str(tmp), "BRUSHWORK_CACHE": str(root / "cache")}
    cmd = [sys.executable, "-m", "brushwork", "app", "--models", str(models), "--port", str(port)]
    # Its output goes to a file that failures quote (a pipe read only at the end blocks the app
    # once it is full).
    log = root / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the app did not start: {log.read_text()[-2000:]}")
            time.sleep(0.25)
    yield url, tmp
    proc.send_signal(signal.SIGINT)  # Ctrl+C
    try:
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the app outlived Ctrl+C: {log.read_text()[-2000:]}")
    assert not list(tmp.glob("brushwork-app-*")), "the temporary folder outlived the app"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.set_default_timeout(WAIT)
    page.goto(app[0])
    yield page
    page.close()


@pytest.fixture
def street(tmp_path) -> Path:
    path = tmp_path / "street.png"
    photo("street", 200, 150).save(path)
    return path


def _download(page, button: str, to: Path) -> np.ndarray:
    with page.expect_download() as info:
        page.locator(button).click()
    info.value.save_as(to)
    return np.asarray(Image.open(to))


def _note(page, selector: str, text: str) -> str:
    page.locator(selector, has_text=text).wait_for()
    return page.locator(selector).inner_text()


def _pick(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def _open_in_editor(page, path: Path) -> None:
    """The Brush tab, with ``path`` uploaded into its image editor as a user does (click, pick).
    Gradio's editor drops a file that arrives before its canvas is set up ("Cannot read
    properties of undefined (reading 'reset_layers')", about one page load in six here): wait
    for the canvas, and load the page again if the photo still did not arrive."""
    placeholder = page.locator("#b_photo").get_by_text("Upload an image")
    for _ in range(3):
        page.get_by_role("tab", name="Brush").click()
        page.locator("#b_photo .pixi-target-crop canvas").wait_for(state="attached")
        time.sleep(1)
        with page.expect_file_chooser() as chooser:
            placeholder.click()
        chooser.value.set_files(path)
        try:
            placeholder.wait_for(state="hidden", timeout=20_000)
            return
        except sync_api.TimeoutError:
            page.reload()
    pytest.fail("the image editor never took the photo")


def test_the_brush_tab_paints_near_the_stroke_and_nowhere_else(page, street, tmp_path):
    """One red stroke right of the middle: painted there, the photo byte for byte on the left."""
    _open_in_editor(page, street)
    time.sleep(1)  # the editor draws the photo onto its canvas
    box = page.locator("#b_photo canvas").first.bounding_box()
    y = box["y"] + box["height"] * 0.6
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    page.mouse.down()  # one stroke with the red brush, the tool the tab opens with
    for k in range(10):
        page.mouse.move(box["x"] + box["width"] * (0.6 + 0.03 * k), y, steps=2)
    page.mouse.up()
    page.locator("#b_go").click()
    _note(page, "#b_note", "200×150 px")
    got = _download(page, "#b_download", tmp_path / "brushed.png").astype(int)
    original = np.asarray(Image.open(street).convert("RGB")).astype(int)
    assert got.shape == original.shape
    changed = np.abs(got - original).max(axis=2) > 0
    rows, cols = np.nonzero(changed)
    assert changed.sum() > 300, "nothing was painted"
    assert cols.min() > 60 and rows.min() > 40, "painted far from the stroke"  # the left, the top
    np.testing.assert_array_equal(got[:, :60], original[:, :60])  # far from it: the photo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "app_brush.png")


def test_a_photo_is_stylized_downloaded_and_strength_zero_returns_it(page, street, app, tmp_path):
    page.locator("#photo input[type=file]").set_input_files(street)
    note = _note(page, "#note", "strength 1")
    assert (
        "street.png in more/two.pt · dots: 200×150 px, strength 1" in note
    )  # the first model, its first style
    uploads = list(app[1].glob("brushwork-app-*/**/street.png"))
    assert uploads, "the upload was not kept in the app's temporary folder"
    _pick(page, "Model", "tiny.pt")
    _note(page, "#note", "tiny.pt: 200×150 px, strength 1")
    styled = _download(page, "#download", tmp_path / "styled.png")
    original = np.asarray(Image.open(street).convert("RGB"))
    assert styled.shape == original.shape == (150, 200, 3)
    assert np.abs(styled.astype(int) - original).mean() > 3
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "app_stylize.png")
    # Drag the strength slider to its left end, as a user does.
    page.locator("#strength input[type=range]").click(position={"x": 1, "y": 5})
    _note(page, "#note", "strength 0:")
    back = _download(page, "#download", tmp_path / "back.png")
    np.testing.assert_array_equal(back, original)


def test_a_multi_style_model_lists_its_styles(page, street):
    page.locator("#photo input[type=file]").set_input_files(street)
    _note(page, "#note", "dots: 200×150")
    _pick(page, "Style", "waves")
    _note(page, "#note", "more/two.pt · waves: 200×150 px")


def test_a_file_that_is_not_an_image_gets_a_clear_message(page, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n")
    page.locator("#photo input[type=file]").set_input_files(notes)
    page.get_by_text("Invalid file type: notes.txt").first.wait_for()  # the browser refuses it
    disguised = tmp_path / "notes.png"  # past the browser's check: the server's
    disguised.write_text("shopping list\n")
    page.locator("#photo input[type=file]").set_input_files(disguised)
    page.get_by_text("notes.png is not an image (PNG, JPEG").first.wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "app_error.png")


def test_compare_paints_one_photo_with_every_ticked_model(page, street):
    page.get_by_role("tab", name="Compare").click()
    page.locator("#c_photo input[type=file]").set_input_files(street)
    page.get_by_label("tiny.pt", exact=True).check()
    page.get_by_label("more/two.pt · waves", exact=True).check()
    page.locator("#c_go").click()
    _note(page, "#c_note", "2 results")
    assert page.locator("#grid img").count() == 3  # the photo, then the two results


def test_the_gatys_tab_paints_with_progress_and_can_be_cancelled(page, street, tmp_path):
    own = tmp_path / "mine.png"
    painting("mine", 96, 80).save(own)
    page.get_by_role("tab", name="Gatys").click()
    page.locator("#g_photo input[type=file]").set_input_files(street)
    page.locator("#own input[type=file]").set_input_files(own)
    page.locator("#g_size input[type=number]").fill("64")
    page.locator("#g_steps input[type=number]").fill("10")
    page.locator("#g_go").click()
    _note(page, "#g_note", "done: 15 iterations")
    assert page.locator("#g_out img").count() == 1
    page.locator("#g_steps input[type=number]").fill("500")
    page.locator("#g_go").click()
    _note(page, "#g_note", "iteration")
    page.locator("#g_stop").click()
    assert "of 750 iterations" in _note(page, "#g_note", "cancelled after")
