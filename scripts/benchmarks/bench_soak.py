"""``python scripts/benchmarks/benchmark.py soak [--models DIR] [--minutes 30] [--clients 4]``:
does ``brushwork app`` hold a day of use?

The real app on 127.0.0.1 (its own TMPDIR, ``--max-temp-mb`` passed on), ``--clients`` threads
each sending stylize, compare and brush requests in turn through ``gradio_client`` (photos
generated at several sizes, so Gradio's content-addressed copies do not dedupe them) with
``--think`` seconds between requests, until ``--minutes`` or ``--max-requests``. Every
``--sample`` seconds: the app's RSS and its temporary folder's size. Each request is served,
refused with a message (Gradio's error text), or failed (anything else: a 500, a timeout).

Goals (issue 44): RSS flat after warm-up (every sample after the first quarter within ±10 % of
their median), the folder under its bound, no failures. ``--plot PATH`` draws both curves.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench_app import _start

from brushwork.app.tempdir import tree_bytes
from brushwork.io.synthetic import photo


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _inputs(folder: Path) -> tuple[list[Path], Path]:
    """Photos of several sizes and a brush layer (a red stroke across the middle)."""
    from PIL import Image, ImageDraw

    photos = []
    for k, (w, h) in enumerate([(640, 480), (1024, 683), (512, 512), (800, 1200)] * 4):
        photos.append(folder / f"p{k}.jpg")
        photo(f"soak{k}", w, h).save(photos[-1], quality=90)
    layer = Image.new("RGBA", (640, 480), (0, 0, 0, 0))
    ImageDraw.Draw(layer).line([(40, 240), (600, 260)], fill=(255, 0, 0, 255), width=60)
    layer.save(folder / "layer.png")
    return photos, folder / "layer.png"


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts = {"served": 0, "refused": 0, "failed": 0}
        self.kinds: dict[str, int] = {}
        self.failures: list[str] = []

    def add(self, kind: str, outcome: str, why: str = "") -> None:
        with self.lock:
            self.counts[outcome] += 1
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            if outcome != "served" and len(self.failures) < 20:
                self.failures.append(f"{kind}: {outcome}: {why[:200]}")

    def total(self) -> int:
        return sum(self.counts.values())


def _client(url: str, tally: Tally, photos, layer, stop, seed: int, think: float, cap: int):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    client = Client(url, verbose=False)
    names = client.predict(api_name="/lambda")  # the Compare tab's choices
    names = names.get("choices", names) if isinstance(names, dict) else names
    names = [n[0] if isinstance(n, list | tuple) else n for n in names]
    label = client.view_api(print_info=False, return_format="dict")  # the Model dropdown
    label = label["named_endpoints"]["/stylize"]["parameters"][1]["parameter_default"]
    rng = random.Random(seed)
    kinds = ["stylize", "compare", "brush"]
    n = 0
    while not stop.is_set() and tally.total() < cap:
        kind, pic = kinds[n % 3], handle_file(str(rng.choice(photos)))
        n += 1
        try:
            if kind == "stylize":
                size = rng.choice([512, 768, 1024])
                client.predict(pic, label, None, rng.choice([0.6, 1.0]), False, size,
                               api_name="/stylize")  # fmt: skip
            elif kind == "compare":
                picks = rng.sample(names, min(2, len(names)))
                client.predict(pic, picks, 1.0, 512, api_name="/compare")
            else:
                editor = {"background": pic, "layers": [handle_file(str(layer))],
                          "composite": None, "id": None}  # fmt: skip
                client.predict(editor, label, None, None, None, 1.0, api_name="/paint_1")
            tally.add(kind, "served")
        except AppError as e:  # the app said no, in words
            tally.add(kind, "refused", str(e))
        except Exception as e:  # noqa: BLE001 - anything else is what the soak looks for
            tally.add(kind, "failed", f"{type(e).__name__}: {e}")
        stop.wait(think)


def soak(models: str, minutes: float, clients: int, sample: float, think: float, cap: int,
         max_temp_mb: float) -> dict:  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="brushwork-soak-"))
    photos, layer = _inputs(work)
    tmp = work / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc, url, _ = _start(models, env, ("--max-temp-mb", str(max_temp_mb)), work / "app.log")
    folder = next(tmp.glob("brushwork-app-*"))
    tally, stop, samples = Tally(), threading.Event(), []
    threads = [
        threading.Thread(target=_client, args=(url, tally, photos, layer, stop, k, think, cap))
        for k in range(clients)
    ]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    try:
        while time.monotonic() - t0 < minutes * 60 and tally.total() < cap:
            stop.wait(min(sample, minutes * 60 - (time.monotonic() - t0)))
            row = {"minute": round((time.monotonic() - t0) / 60, 2), "rss_mb": _rss_mb(proc.pid),
                   "temp_mb": tree_bytes(folder) / 1e6, **tally.counts}  # fmt: skip
            samples.append(row)
            print(" ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                           for k, v in row.items()), flush=True)  # fmt: skip
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
        proc.terminate()
        proc.wait(timeout=60)
    return _verdict(samples, tally, max_temp_mb, minutes, clients, think)


def _verdict(samples, tally, bound, minutes, clients, think) -> dict:
    settled = samples[len(samples) // 4 :] or samples
    mid = statistics.median(s["rss_mb"] for s in settled)
    spread = max(abs(s["rss_mb"] / mid - 1) for s in settled)
    temp = max(s["temp_mb"] for s in samples)
    return {
        "minutes": minutes, "clients": clients, "think_s": think, "max_temp_mb": bound,
        "requests": dict(tally.counts), "by_kind": tally.kinds, "failures": tally.failures,
        "rss_settled_median_mb": mid, "rss_settled_spread": spread, "temp_max_mb": temp,
        "goals": {"rss_flat": spread <= 0.10, "temp_bounded": temp <= bound,
                  "no_failures": tally.counts["failed"] == 0},
        "samples": samples,
    }  # fmt: skip


def plot(result: dict, out: Path, width: int = 900, height: int = 420) -> None:
    """RSS (MB, left axis) and the temporary folder (MB, right axis) against minutes."""
    from PIL import Image, ImageDraw

    s = result["samples"]
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    left, right, top, bottom = 70, width - 70, 30, height - 45
    d.rectangle([left, top, right, bottom], outline="black")
    t1 = max(r["minute"] for r in s) or 1
    r1 = max(r["rss_mb"] for r in s) * 1.15
    m1 = max(result["max_temp_mb"], max(r["temp_mb"] for r in s)) * 1.15

    def xy(r: dict, key: str, top_value: float) -> tuple[float, float]:
        return (left + r["minute"] / t1 * (right - left),
                bottom - r[key] / top_value * (bottom - top))  # fmt: skip

    for key, top_value, colour in (("rss_mb", r1, "#1f77b4"), ("temp_mb", m1, "#d62728")):
        d.line([xy(r, key, top_value) for r in s], fill=colour, width=2)
    bound_y = bottom - result["max_temp_mb"] / m1 * (bottom - top)
    d.line([left, bound_y, right, bound_y], fill="#d62728", width=1)
    d.text((right - 150, bound_y - 14), "--max-temp-mb", fill="#d62728")
    for k in range(6):
        y = bottom - k / 5 * (bottom - top)
        d.text((left - 45, y - 6), f"{k / 5 * r1:.0f}", fill="#1f77b4")
        d.text((right + 8, y - 6), f"{k / 5 * m1:.0f}", fill="#d62728")
        d.text((left + k / 5 * (right - left) - 8, bottom + 6), f"{k / 5 * t1:.3g}", fill="black")
    d.text((left, 8), "app RSS, MB (blue, left)   temporary folder, MB (red, right)", fill="black")
    d.text(((left + right) / 2 - 20, height - 20), "minutes", fill="black")
    img.save(out)
    print(f"wrote {out}")


def bench_soak(args, machine) -> int:
    from brushwork.infer.choices import MODELS_DIR

    models = args.models[0] if args.models else str(MODELS_DIR)
    result = soak(models, args.minutes, args.clients, args.sample, args.think, args.max_requests,
                  args.max_temp_mb)  # fmt: skip
    result["machine"] = machine()
    print(f"\n{'requests':>10} {'served':>7} {'refused':>8} {'failed':>7} {'RSS MB (settled)':>17}"
          f" {'spread':>7} {'temp max MB':>12}")  # fmt: skip
    c = result["requests"]
    print(f"{sum(c.values()):>10} {c['served']:>7} {c['refused']:>8} {c['failed']:>7} "
          f"{result['rss_settled_median_mb']:>17.0f} {result['rss_settled_spread']:>7.1%} "
          f"{result['temp_max_mb']:>12.1f}")  # fmt: skip
    print("goals:", ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in result["goals"].items()))
    for line in result["failures"]:
        print("  ", line)
    out = Path(args.json or "bench_soak.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    if args.plot:
        plot(result, Path(args.plot))
    return 0 if all(result["goals"].values()) else 1
