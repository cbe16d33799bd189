"""The NTSC YIQ colour space as plain numbers (no torch): Y is luminance, I and Q the chroma.

Shared by the torch colour transforms (brushwork.nn.color) and the torch-free inference path
(brushwork.infer.lite), so both preserve colours with the same matrix.
"""

RGB_TO_YIQ = (
    (0.299, 0.587, 0.114),
    (0.595716, -0.274453, -0.321263),
    (0.211456, -0.522591, 0.311135),
)
