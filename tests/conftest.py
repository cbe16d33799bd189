"""Shared fixtures: the real data directory (../shared/data, via $BRUSHWORK_DATA) and tiny images."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import torch

from brushwork.config import register

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("BRUSHWORK_DATA") or REPO.parent / "shared" / "data").resolve()
os.environ["BRUSHWORK_DATA"] = str(DATA)
os.environ["BRUSHWORK_CACHE"] = tempfile.mkdtemp(prefix="brushwork-test-cache-")  # not ~/.cache
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
register()  # the configs' schemas, as every Hydra command registers them before composing


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA / "styles").is_dir():
        pytest.fail(f"test data not found at {DATA}: set BRUSHWORK_DATA (CI uses ../shared/data)")
    return DATA


@pytest.fixture(scope="session")
def starry(data_dir):
    from brushwork.io.images import load_image

    return load_image(data_dir / "styles" / "starry_night.jpg", 64)


@pytest.fixture(scope="session")
def tubingen(data_dir):
    from brushwork.io.images import load_image

    return load_image(data_dir / "content" / "tubingen.jpg", 64)
