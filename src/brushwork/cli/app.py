"""``brushwork app [--models DIR] [--host 127.0.0.1] [--port 7860] [--max-temp-mb 256] [--auth
USER:PASS]``: a local web page to try models on your photos (needs the extra: ``pip install
'brushwork[app]'``). Without ``--models``: the shipped model (10 paintings) and the models your
trainings wrote under ``./outputs``. The password may come from ``BRUSHWORK_APP_AUTH`` instead
(kept out of the shell's history and of ``ps``)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from brushwork.cli.main import parser
from brushwork.errors import BrushworkError

AUTH_ENV = "BRUSHWORK_APP_AUTH"


def parse_auth(text: str) -> tuple[str, str]:
    """``USER:PASS`` as Gradio's (user, password); the password may hold colons."""
    user, sep, password = text.partition(":")
    if not (sep and user and password):
        raise BrushworkError("--auth takes USER:PASS, both non-empty")
    return user, password


def default_models() -> list[Path]:
    """The shipped model's folder, and ``./outputs`` where trainings wrote models."""
    from brushwork.infer.choices import MODELS_DIR

    outputs = Path("outputs")
    mine = outputs.is_dir() and any(outputs.rglob("*.pt"))
    return [MODELS_DIR, outputs] if mine else [MODELS_DIR]


def main(argv: list[str], prog: str = "brushwork app") -> int:
    p = parser(prog, __doc__)
    p.add_argument(
        "--models",
        help="folder of model files (.pt, .onnx); default: the shipped model and ./outputs",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: this machine)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--threads", type=int, help="CPU threads for onnxruntime / torch")
    p.add_argument(
        "--max-temp-mb",
        type=float,
        default=256,
        help="uploads and results kept at most, MB; the oldest go first (default: 256)",
    )
    p.add_argument(
        "--auth",
        metavar="USER:PASS",
        default=os.environ.get(AUTH_ENV),
        help=f"ask visitors to log in (or set {AUTH_ENV}); needed to share beyond this machine",
    )
    args = p.parse_args(argv)
    if not 0 < args.port < 65536:
        raise BrushworkError(f"--port must be in 1..65535, got {args.port}")
    if not args.max_temp_mb > 0:
        raise BrushworkError(f"--max-temp-mb must be > 0, got {args.max_temp_mb:g}")
    auth = parse_auth(args.auth) if args.auth is not None else None
    if args.models and not Path(args.models).expanduser().is_dir():  # before Gradio is sought
        raise BrushworkError(f"models folder not found: {Path(args.models).expanduser()}")
    if importlib.util.find_spec("gradio") is None:
        raise BrushworkError("the app needs Gradio: pip install 'brushwork[app]'")
    from brushwork.app.serve import launch

    models = args.models or default_models()
    launch(models, args.host, args.port, args.device, args.threads,
           max_temp_mb=args.max_temp_mb, auth=auth)  # fmt: skip
    return 0
