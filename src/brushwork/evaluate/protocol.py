"""The protocol every equivalent-iteration figure uses (torch-free, so the CLI reads it cheaply).

`brushwork evaluate`'s defaults and the training run's closing evaluation (configs/train.yaml,
``eval.*``; a test pins them equal) score the same photos at the same size against the same Gatys
curve, so one net gets one figure from both. The curve's length bounds the figure (">50").
"""

GATYS_STEPS = (25, 50)  # L-BFGS iterations scored; the curve runs to the last
SIZE = 256  # longer side of the photos, px
