"""The Brush tab: paint only where the user brushes on the photo (Gradio's image editor).

The strokes are the mask (brushwork.infer.masks): a stroke's opacity is how much of the painting
shows there. With a model of several styles each brush colour is a region whose style the user
picks (red, green, blue), painted in one pass inside the net.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from brushwork.errors import BrushworkError
from brushwork.infer.masks import Area, Mask

BRUSHES = {"red": "#ff0000", "green": "#00ff00", "blue": "#0000ff"}


def stroke_masks(layers: list[Any], height: int, width: int) -> dict[str, np.ndarray]:
    """Per brush colour, the (H, W) mask in [0, 1] of the strokes on the editor's ``layers``
    (files of RGBA images; later layers over earlier ones), scaled to ``height`` x ``width``.
    Colours without a stroke are left out."""
    rgba = None
    for layer in layers:
        path = layer.get("path") if isinstance(layer, dict) else layer
        if not path:
            continue
        top = np.asarray(Image.open(path).convert("RGBA"), np.float32) / 255.0
        if rgba is None:
            rgba = top
        else:  # alpha over: the later layer's strokes cover the earlier ones
            a = top[..., 3:]
            rgba = np.concatenate(
                [top[..., :3] * a + rgba[..., :3] * (1 - a), a + rgba[..., 3:] * (1 - a)], -1
            )
    if rgba is None:
        return {}
    alpha, brush = rgba[..., 3], rgba[..., :3].argmax(-1)  # which of red, green, blue
    out = {}
    for k, name in enumerate(BRUSHES):
        m = alpha * (brush == k)
        if m.max() > 0:
            im = Image.fromarray(m.astype(np.float32), mode="F")
            out[name] = np.asarray(im.resize((width, height), Image.Resampling.BILINEAR))
    return out


def brushed_area(masks: dict[str, np.ndarray], styles: list[str], picks: dict[str, str]) -> Area:
    """The Area of the strokes for a model of ``styles``: one mask for a single style, else a
    region per brush colour painting ``picks[colour]``. BrushworkError when nothing is brushed."""
    if not masks:
        raise BrushworkError("brush on the photo where it should be painted, then press Paint")
    if len(styles) == 1:
        return Area(mask=Mask.of(np.clip(sum(masks.values()), 0, 1), "the strokes"))
    regions = []
    for colour, m in masks.items():
        style = picks.get(colour) or styles[0]
        if style not in styles:
            raise BrushworkError(f"unknown style {style!r} for the {colour} brush")
        regions.append((styles.index(style), Mask.of(m, f"the {colour} strokes")))
    return Area(regions=regions, n_styles=len(styles))


def brush_tab(gr: Any, shelf: Any, temp: Any, fail: Any, opts: dict[str, Any]) -> tuple:
    """The tab's components and its events, inside the caller's ``gr.Tab``; returns the
    ``demo.load`` arguments that fill the style pickers of the first model."""
    brush = gr.Brush(colors=list(BRUSHES.values()), color_mode="fixed")
    with gr.Row():
        with gr.Column(scale=1):
            editor = gr.ImageEditor(
                label="Photo: brush where to paint", type="filepath", brush=brush,
                layers=False, transforms=(), elem_id="b_photo",
            )  # fmt: skip
            model = gr.Dropdown(shelf.labels, value=shelf.labels[0], label="Model")
            picks = [
                gr.Dropdown([], label=f"The {c} brush paints", elem_id=f"b_{c}") for c in BRUSHES
            ]
            strength = gr.Slider(0, 1, 1, step=0.05, label="Strength")
            go = gr.Button("Paint", variant="primary", elem_id="b_go")
        with gr.Column(scale=2):
            out = gr.Image(label="Painted where you brushed", format="png", elem_id="b_out")
            note = gr.Markdown(elem_id="b_note")
            download = gr.DownloadButton("Download PNG", visible=False, elem_id="b_download")

    def styles(label):
        names = shelf.styles(label)
        many = len(names) > 1
        return [gr.update(choices=names, value=names[min(k, len(names) - 1)], visible=many)
                for k in range(len(BRUSHES))]  # fmt: skip

    def paint(value, label, red, green, blue, strength):
        from brushwork.app.uploads import photo_array, result_folder, shown_jpeg
        from brushwork.io.images import write_array

        try:
            if not value or not value.get("background"):
                raise BrushworkError("upload a photo first")
            img = photo_array(value["background"], 2048)
            h, w = img.shape[-2:]
            names = shelf.styles(label)
            chosen = dict(zip(BRUSHES, (red, green, blue), strict=True))
            area = brushed_area(stroke_masks(value.get("layers") or [], h, w), names, chosen)
            res = shelf.get(label)(img, float(strength), False, area)
            with result_folder(value["background"], temp) as (folder, stem):
                png = write_array(res.image, folder / f"{stem}-brushed.png")
                shown = shown_jpeg(res.image, folder / stem)
        except BrushworkError as e:
            raise fail(e) from None
        text = f"{w}×{h} px: **{res.seconds:.2f} s** ({res.backend})"
        return shown, text, gr.update(value=str(png), visible=True)

    model.input(styles, model, picks, **opts)
    go.click(paint, [editor, model, *picks, strength], [out, note, download], **opts)
    return styles, model, picks
