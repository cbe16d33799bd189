"""Shared fixtures. Every test runs on a data directory the suite generates (tests/synthetic.py):
a fresh clone needs nothing else. Tests about the real development images take ``real_data``:
``$BRUSHWORK_DATA`` as the runner set it (CI: ../shared/data), skipped when it is not set."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import torch
from synthetic import make_data_dir

from brushwork.config import register

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = os.environ.get("BRUSHWORK_DATA")  # the development images, where the runner has them
DATA = make_data_dir(Path(tempfile.mkdtemp(prefix="brushwork-test-data-")))
os.environ["BRUSHWORK_DATA"] = str(DATA)  # what every command of the tests (subprocesses too) sees
os.environ["BRUSHWORK_CACHE"] = tempfile.mkdtemp(prefix="brushwork-test-cache-")  # not ~/.cache
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
register()  # the configs' schemas, as every Hydra command registers them before composing


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The generated data directory: styles/ (the 10 shipped names), content/, train/."""
    return DATA


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real development images (``$BRUSHWORK_DATA`` when the run started)."""
    if not REAL_DATA or not (Path(REAL_DATA) / "styles").is_dir():
        pytest.skip("needs the real images: set BRUSHWORK_DATA (CI sets ../shared/data)")
    return Path(REAL_DATA).resolve()


@pytest.fixture(scope="session")
def starry(data_dir):
    from brushwork.io.images import load_image

    return load_image(data_dir / "styles" / "starry_night.jpg", 64)


@pytest.fixture(scope="session")
def tubingen(data_dir):
    from brushwork.io.images import load_image

    return load_image(data_dir / "content" / "tubingen.jpg", 64)
