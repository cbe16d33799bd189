"""The page: Stylize, Compare and Gatys tabs over a :class:`~brushwork.app.shelf.Shelf`.

Every event takes its inputs unprocessed (``preprocess=False``): uploads arrive as the path of the
file in the app's temporary folder and are checked and decoded here (brushwork.app.uploads), so a
text file or a decompression bomb gets one clear line instead of a decoder's exception.
"""

import os
import time
from pathlib import Path
from typing import Any

from brushwork.app.brush import brush_tab
from brushwork.app.shelf import Shelf
from brushwork.app.tempdir import TempFolder
from brushwork.app.uploads import photo_array, read_upload, result_folder, shown_jpeg, upload_path
from brushwork.errors import BrushworkError
from brushwork.io.images import to_uint8, write_array

TITLE = "brushwork"
MAX_UPLOAD = "40mb"
SIZES = (128, 2048)  # output long side; above 2048 px the net would tile (torch, slower)
# The browser gets system fonts: the default theme asks Google Fonts, which an offline machine
# cannot reach (each page load then waits for the request to fail).
FONTS = ["ui-sans-serif", "system-ui", "sans-serif"]
MONO = ["ui-monospace", "monospace"]


def gradio() -> Any:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home
    import gradio as gr

    return gr


def painting_names() -> list[str]:
    """The shipped styles (configs/style/*.yaml), read without loading OmegaConf (0.2 s)."""
    return sorted(p.stem for p in (Path(__file__).parents[1] / "configs" / "style").glob("*.yaml"))


def build(shelf: Shelf, temp: TempFolder) -> Any:
    """The Gradio Blocks of the app; results are written in ``temp`` (the bounded temporary
    folder); a result that cannot be written (a full disk) is one line on the page."""
    gr = gradio()

    def fail(e: BrushworkError) -> Exception:
        return gr.Error(temp.public(e), print_exception=False)

    opts = {"preprocess": False, "trigger_mode": "always_last"}
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown("## brushwork — paint your photo in the style of a painting")
        with gr.Tab("Stylize"):
            loads = [_stylize_tab(gr, shelf, temp, fail, opts)]
        with gr.Tab("Compare"):
            loads.append(_compare_tab(gr, shelf, temp, fail, opts))
        with gr.Tab("Gatys"):
            _gatys_tab(gr, fail)
        with gr.Tab("Brush"):
            loads.append(brush_tab(gr, shelf, temp, fail, opts))
        for load in loads:  # each tab's choices, filled when a page opens
            demo.load(*load, preprocess=False)
    return demo


def _stylize_handlers(gr: Any, shelf: Shelf, temp: TempFolder, fail: Any) -> tuple:
    """The Stylize tab's events: stylize, keep_png, pick_model."""

    def stylize(photo, label, style, strength, keep, size):
        """The result shown (JPEGs) and its note; the exact PNG is written by :func:`keep_png`
        just after, so the picture does not wait for the PNG encoder (0.25 s at 1024²)."""
        hidden = gr.update(visible=False)
        if upload_path(photo) is None:
            return None, "", hidden, None
        try:
            img = photo_array(photo, size)
            loaded = shelf.get(label, style or None)
            res = loaded(img, float(strength), bool(keep))
            style = style or (loaded.styles[0] if len(loaded.styles) > 1 else None)
            with result_folder(photo, temp) as (folder, stem):
                png = folder / f"{stem}-{Path(label).stem}{f'-{style}' if style else ''}.png"
                pair = (shown_jpeg(img, folder / stem), shown_jpeg(res.image, png))
        except BrushworkError as e:
            raise fail(e) from None
        name = label + (f" · {style}" if style else "")
        h, w = res.image.shape[-2:]
        what = f"{upload_path(photo)[1]} in {name}: {w}×{h} px, strength {strength:g}"
        note = f"{what}: **{res.seconds:.2f} s** ({res.backend})"
        return pair, note, hidden, (res.image, str(png))

    def keep_png(last):
        if last is None:
            return gr.update(visible=False)
        try:
            return gr.update(value=str(write_array(*last)), visible=True)
        except BrushworkError as e:
            raise fail(e) from None

    def pick_model(label):
        try:
            styles = shelf.styles(label)
        except BrushworkError as e:
            raise fail(e) from None
        many = len(styles) > 1
        return gr.update(choices=styles, value=styles[0] if many else None, visible=many)

    return stylize, keep_png, pick_model


def _stylize_tab(gr: Any, shelf: Shelf, temp: TempFolder, fail: Any, opts: dict) -> tuple:
    """One photo in one model or style; returns the page-load hook (the model's styles)."""
    stylize, keep_png, pick_model = _stylize_handlers(gr, shelf, temp, fail)
    with gr.Row():
        with gr.Column(scale=1):
            photo = gr.Image(label="Photo", type="filepath", elem_id="photo")
            model = gr.Dropdown(shelf.labels, value=shelf.labels[0], label="Model", elem_id="model")
            style = gr.Dropdown([], label="Style", visible=False, elem_id="style")
            strength = gr.Slider(0, 1, 1, step=0.05, label="Strength", elem_id="strength")
            keep = gr.Checkbox(label="Keep the photo's colours", elem_id="keep")
            size = gr.Slider(*SIZES, 1024, step=32, label="Largest side of the result (px)")
        with gr.Column(scale=2):
            result = gr.ImageSlider(label="Photo | stylized", format="png", elem_id="result")
            note = gr.Markdown(elem_id="note")
            download = gr.DownloadButton("Download PNG", visible=False, elem_id="download")
    args = [photo, model, style, strength, keep, size]
    last = gr.State()  # the last result and its PNG's path, for keep_png
    outs = [result, note, download, last]
    # .input fires on the user's own changes only: the style list that pick_model sets
    # (on load, or for a new model) would otherwise stylize the same photo twice.
    triggers = (photo.change, style.input, keep.input)
    events = [trigger(stylize, args, outs, **opts) for trigger in triggers]
    events += [slider.release(stylize, args, outs, **opts) for slider in (strength, size)]
    model_change = model.input(pick_model, model, style, **opts)
    events.append(model_change.then(stylize, args, outs, **opts))
    for event in events:
        event.then(keep_png, last, download, **opts)
    return pick_model, model, style


def _compare_tab(gr: Any, shelf: Shelf, temp: TempFolder, fail: Any, opts: dict) -> tuple:
    """One photo in several models and styles; returns the page-load hook (the choices)."""

    def compare(photo, names, strength, size):
        if not names:
            raise fail(BrushworkError("tick at least one model or style to compare"))
        try:
            img = photo_array(photo, size)
            cells, start = [], time.perf_counter()
            for name in names:
                res = shelf.entry(name)(img, float(strength), False)
                cells.append((res.image, f"{name} ({res.seconds:.2f} s)"))
            total = time.perf_counter() - start
            cells = [(img, "photo"), *cells]
            with result_folder(photo, temp) as (folder, stem):
                grid = [(shown_jpeg(im, folder / f"{stem}-{k}"), text)
                        for k, (im, text) in enumerate(cells)]  # fmt: skip
        except BrushworkError as e:
            raise fail(e) from None
        return grid, f"{len(names)} results in {total:.1f} s"

    with gr.Row():
        with gr.Column(scale=1):
            c_photo = gr.Image(label="Photo", type="filepath", elem_id="c_photo")
            picks = gr.CheckboxGroup([], label="Models and styles", elem_id="picks")
            c_strength = gr.Slider(0, 1, 1, step=0.05, label="Strength")
            c_size = gr.Slider(*SIZES, 512, step=32, label="Largest side (px)")
            c_go = gr.Button("Compare", variant="primary", elem_id="c_go")
        with gr.Column(scale=2):
            grid = gr.Gallery(label="Results", columns=3, elem_id="grid")
            c_note = gr.Markdown(elem_id="c_note")
    c_go.click(compare, [c_photo, picks, c_strength, c_size], [grid, c_note], **opts)
    return lambda: gr.update(choices=shelf.entries()), None, picks


def _gatys_handlers(gr: Any, fail: Any) -> tuple:
    """The Gatys tab's events: paint (a generator of progress) and cancel, one job per page."""
    from brushwork.app.painter import GatysJob

    jobs: dict[str, GatysJob] = {}

    def paint(photo, painting, own, size, steps, request: gr.Request):
        try:
            content = photo_array(photo)
            if upload_path(own) is not None:
                read_upload(own, "painting")  # checked before the optimizer starts
                painting = str(upload_path(own)[0])
        except BrushworkError as e:
            raise fail(e) from None
        if request.session_hash in jobs:  # Paint pressed again: one optimizer per page
            jobs[request.session_hash].cancel()
        job = jobs[request.session_hash] = GatysJob(content, painting, int(size), int(steps))
        shown = None
        try:
            for u in job.updates():
                if u.kind == "error":
                    raise fail(BrushworkError(u.message))
                shown = to_uint8(u.image) if u.image is not None else shown
                terms = ", ".join(f"{k} {v:.3g}" for k, v in u.terms.items() if k != "total")
                status = {
                    "step": f"iteration {u.done} of {u.total} — {terms}",
                    "done": f"done: {u.total} iterations",
                    "cancelled": f"cancelled after {u.done} of {u.total} iterations",
                }[u.kind]
                yield shown, gr.update(value=u.done / max(u.total, 1)), status
        finally:  # also when the page went away mid-run: the optimizer stops with it
            job.cancel()

    def cancel(request: gr.Request):
        job = jobs.get(request.session_hash)
        if job is not None:
            job.cancel()

    return paint, cancel


def _gatys_tab(gr: Any, fail: Any) -> None:
    """The optimizer on one photo and a shipped or uploaded painting, shown as it paints."""
    paint, cancel = _gatys_handlers(gr, fail)
    with gr.Row():
        with gr.Column(scale=1):
            g_photo = gr.Image(label="Photo", type="filepath", elem_id="g_photo")
            names = painting_names()
            painting = gr.Dropdown(names, value=names[0], label="Painting")
            own = gr.Image(label="…or your painting", type="filepath", elem_id="own")
            g_size = gr.Slider(
                64, 768, 256, step=32, label="Size (long side, px)", elem_id="g_size"
            )
            steps = gr.Slider(
                5, 500, 100, step=5, label="Iterations at full size", elem_id="g_steps"
            )
            with gr.Row():
                g_go = gr.Button("Paint", variant="primary", elem_id="g_go")
                g_stop = gr.Button("Cancel", variant="stop", elem_id="g_stop")
        with gr.Column(scale=2):
            g_out = gr.Image(label="Result", format="png", elem_id="g_out")
            bar = gr.Slider(0, 1, 0, label="Progress", interactive=False, elem_id="bar")
            g_note = gr.Markdown(elem_id="g_note")
    g_args = [g_photo, painting, own, g_size, steps]
    g_go.click(paint, g_args, [g_out, bar, g_note], preprocess=False)
    g_stop.click(cancel, None, None, queue=False)
