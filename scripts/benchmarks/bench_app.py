"""``python scripts/benchmarks/benchmark.py app --models DIR``: how fast ``brushwork app`` answers.

* start: seconds from launching ``brushwork app`` until the page is served (``--reps`` fresh
  processes, after one run that caches the first model's ONNX copy), next to ``import gradio``
  alone in a fresh interpreter (the floor any Gradio app pays);
* result: seconds from dropping a ``--sizes``² photo on the page (headless Chromium) until the
  stylized image and its note are shown, and the model's own time from that note;
* ``--screenshot PATH``: the Stylize tab with a generated photo (nobody's picture) painted by the
  first model — the README's picture.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
FLAGS += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(
    models: str, env: dict, args: tuple[str, ...] = (), log: Path | None = None
) -> tuple[subprocess.Popen, str, float]:
    """``brushwork app`` with ``args``; (process, url, seconds until the page was served). Its
    output goes to ``log`` when given (a long run would fill an unread pipe), else a pipe."""
    port = _port()
    cmd = [sys.executable, "-m", "brushwork", "app", "--models", models, "--port", str(port)]
    out = log.open("wb") if log else subprocess.PIPE
    t0 = time.perf_counter()
    proc = subprocess.Popen([*cmd, *args], env=env, stdout=subprocess.DEVNULL, stderr=out)
    url = f"http://127.0.0.1:{port}/"
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url, time.perf_counter() - t0
        except OSError:
            if proc.poll() is not None:
                err = log.read_text() if log else proc.stderr.read().decode()
                raise SystemExit(f"error: the app did not start: {err}") from None
            time.sleep(0.02)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def _import_gradio(env: dict) -> float:
    code = "import time; t = time.perf_counter(); import gradio; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def _results(url: str, size: int, reps: int, tmp: Path, screenshot: str | None) -> dict:
    from playwright.sync_api import sync_playwright

    from brushwork.io.synthetic import photo

    chromium = os.environ.get("BRUSHWORK_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("error: app needs Chromium (apt-get install chromium)")
    shown, model = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.set_default_timeout(300_000)  # the first model load exports ONNX: slow when busy
        page.goto(url)
        upload = page.locator("#photo input[type=file]")
        for k in range(reps + 1):  # the first is a warm-up (the browser's own caches)
            path = tmp / f"photo{k}.png"
            photo(f"bench{k}", size, size).save(path)
            t0 = time.perf_counter()
            upload.set_input_files(path)
            note = page.locator("#note", has_text=f"photo{k}")
            note.wait_for()
            page.locator("#result img").last.wait_for()
            if k:
                shown.append(time.perf_counter() - t0)
                model.append(float(re.search(r"([\d.]+) s \(", note.inner_text()).group(1)))
        if screenshot:
            path = tmp / "city.png"
            photo("city", 768, 512).save(path)
            upload.set_input_files(path)
            page.locator("#note", has_text="city").wait_for()
            page.wait_for_timeout(500)  # the slider's images settle
            page.screenshot(path=screenshot)
            print(f"screenshot: {screenshot}")
        browser.close()
    return {
        f"{size}² shown in the browser s": statistics.median(shown),
        f"{size}² model s (server)": statistics.median(model),
    }


def bench_app(args, machine: Callable[[], dict]) -> int:
    if not args.models:
        print("error: app needs --models DIR (a folder of trained models)")
        return 2
    print(f"machine: {machine()}", flush=True)
    models, size = args.models[0], (args.sizes or [1024])[0]
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, _ = _start(models, env)  # caches the first model's ONNX copy
        time.sleep(3)
        _stop(proc)
        starts, floors = [], []
        for _ in range(args.reps):  # interleaved: the app, then the floor
            proc, url, seconds = _start(models, env)
            starts.append(seconds)
            _stop(proc)
            floors.append(_import_gradio(env))
        proc, url, _ = _start(models, env)
        try:
            shown = _results(url, size, args.reps, Path(tmp), args.screenshot)
        finally:
            _stop(proc)
    row = {
        "start s (page served)": statistics.median(starts),
        "import gradio s (floor)": statistics.median(floors),
        **shown,
    }
    print("\n| measure | median |\n|---|---:|")
    for k, v in row.items():
        print(f"| {k} | {v:.3f} |")
    out = Path(args.json or "bench_app.json")
    report = {"machine": machine(), "models": models, "size": size, "reps": args.reps}
    out.write_text(json.dumps(report | {"results": row, "starts": starts}, indent=2))
    print(f"\nwrote {out}")
    return 0
