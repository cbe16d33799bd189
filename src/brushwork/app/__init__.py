"""``brushwork app``: a local web page (Gradio, the optional extra ``brushwork[app]``) to try
trained models on your photos, compare them, and run the Gatys optimizer.

* :mod:`brushwork.app.uploads` — checks and decodes what a browser sends (no torch);
* :mod:`brushwork.app.shelf` — the model files of a folder, loaded once each (torch-free where
  the model's ONNX copy is cached);
* :mod:`brushwork.app.painter` — the Gatys optimizer in a worker thread, with progress and cancel;
* :mod:`brushwork.app.ui` — the page itself;
* :mod:`brushwork.app.serve` — :func:`~brushwork.app.serve.launch`: temporary folder, server.

Only the inference API (and the Gatys optimizer for its tab) is used: no Lightning, no W&B.
"""
