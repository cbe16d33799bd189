"""Serving the app: a temporary folder for uploads and results, the Gradio server, shutdown."""

import atexit
import contextlib
import ipaddress
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from brushwork.app.shelf import Shelf
from brushwork.app.tempdir import TempFolder
from brushwork.app.ui import FONTS, MAX_UPLOAD, MONO, build, gradio
from brushwork.errors import BrushworkError


def launch(
    models: str | Path | list[str | Path],
    host: str = "127.0.0.1",
    port: int = 7860,
    device: str = "auto",
    threads: int | None = None,
    block: bool = True,
    max_temp_mb: float = 256,
    auth: tuple[str, str] | None = None,
) -> Any:
    """Serve the app on ``host:port`` until interrupted (``block=False``: return the running
    Blocks; its ``close()`` stops it). Uploads and results live in a temporary folder of at most
    ``max_temp_mb`` MB (brushwork.app.tempdir), removed when the app stops; ``auth`` (user,
    password) asks every visitor to log in. Raises BrushworkError for a missing or empty models
    folder, or a busy port.
    """
    shelf = Shelf(models, device, threads)  # fails here, before the slow import
    if not auth and not is_loopback(host):  # said before anyone can connect
        warn = f"warning: anyone who can reach {host}:{port} can use this app; add --auth USER:PASS"
        print(warn, file=sys.stderr, flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="brushwork-app-"))
    atexit.register(shutil.rmtree, workdir, True)
    temp = TempFolder(workdir, max_temp_mb)
    os.environ["GRADIO_TEMP_DIR"] = str(temp.gradio)  # Gradio keeps uploads there, nowhere else
    gr = gradio()
    demo = build(shelf, temp)
    try:
        demo.launch(
            server_name=host,
            server_port=port,
            auth=auth,
            max_file_size=MAX_UPLOAD,
            show_error=True,
            quiet=True,
            prevent_thread_lock=True,
            footer_links=[],
            theme=gr.themes.Default(font=FONTS, font_mono=MONO),
        )
    except OSError as e:
        raise BrushworkError(f"cannot serve on {host}:{port} ({e}); pick another --port") from None
    # The first model loads while the page is fetched, so the first result comes at full speed.
    threading.Thread(target=_warm, args=(shelf,), daemon=True).start()
    # flush: a log file or pipe sees the address now, not when the app exits
    print(f"brushwork app on http://{host}:{port} ({len(shelf.labels)} models)", flush=True)
    if not block:
        return demo
    if threading.current_thread() is threading.main_thread():  # `kill` cleans up as Ctrl+C does
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        demo.block_thread()
    finally:
        demo.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return demo


def _warm(shelf: Shelf) -> None:
    with contextlib.suppress(BrushworkError):  # shown when the model is picked
        shelf.get(shelf.labels[0])


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address) binds this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
