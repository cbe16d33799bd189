"""The README's benchmark commands run end to end at toy sizes (their figures come from full runs,
recorded in docs/BENCHMARKS.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _bench(args: list[str], tmp_path: Path) -> dict:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "benchmark.py"), *args, "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(out.read_text())


def test_arch_benchmark_trains_scores_and_compares(data_dir: Path, tmp_path: Path) -> None:
    result = _bench(["arch", "--models", "shuffle", "--steps", "2", "--size", "32",
                     "--data", str(data_dir), "--keep", str(tmp_path / "runs")], tmp_path)  # fmt: skip
    rows = {r["model"]: r for r in result["rows"]}
    assert list(rows) == ["shuffle", "johnson"]  # the reference is added when missing
    ref = rows["johnson"]
    assert ref["content_ratio"] == 1.0 and ref["style_ratio"] == 1.0 and ref["keeps_quality"]
    shuffle = rows["shuffle"]
    assert shuffle["arch"]["resample"] == "shuffle" and shuffle["params"] < ref["params"] / 4
    assert shuffle["gmacs_1024"] < ref["gmacs_1024"] / 10
    assert shuffle["keeps_quality"] == (
        max(shuffle["content_ratio"], shuffle["style_ratio"]) <= 1.05
    )
    assert all(0 <= r["grid"] < 1 for r in rows.values())
    # --reuse scores the kept exports without training again.
    again = _bench(["arch", "--models", "shuffle", "--steps", "2", "--size", "32", "--reuse",
                    "--data", str(data_dir), "--keep", str(tmp_path / "runs")], tmp_path)  # fmt: skip
    assert [r["train_s"] for r in again["rows"]] == [None, None]
    assert [r["style"] for r in again["rows"]] == [r["style"] for r in result["rows"]]


def test_infer_benchmark_times_every_net(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    result = _bench(["infer", "--sizes", "64", "--no-rss"], tmp_path)
    names = [r["name"] for r in result["rows"]]
    for net in ("shuffle", "fast", "johnson w32 (default)"):
        assert f"{net} · eager" in names and f"{net} · onnxruntime" in names
    assert all(r["s_64"] > 0 for r in result["rows"])
