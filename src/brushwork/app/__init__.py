"""``brushwork app``: a local web page (Gradio, ``brushwork[app]``) to try models on your photos,
compare them and run the Gatys optimizer. Uses the inference API and Gatys only: no Lightning, no W&B.
"""
