"""The torch-free path's numpy twins equal the torch operations they stand for (issue: one
implementation each, or a test that pins the pairs equal)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from brushwork.io.images import (
    pad_array,
    pil_to_tensor,
    resize,
    resize_array,
    transfer_chroma_array,
)
from brushwork.io.synthetic import photo
from brushwork.nn.color import transfer_chroma
from brushwork.nn.layers import pad_axis


@pytest.mark.parametrize("before,after", [(0, 0), (1, 2), (3, 3), (4, 6)])
@pytest.mark.parametrize("axis", [-1, -2])
def test_padding_equals_pad_axis(before: int, after: int, axis: int) -> None:
    x = torch.rand(2, 3, 4, 5)  # pads of 4+ exceed the 4-px side: the edge-repeat fallback
    want = pad_axis(x, before, after, axis).numpy()
    got = pad_array(x.numpy(), before, after, axis)
    assert got.shape == want.shape
    assert np.array_equal(got, want)


def test_chroma_transfer_equals_transfer_chroma() -> None:
    g = torch.Generator().manual_seed(0)
    stylized, content = torch.rand(2, 3, 9, 11, generator=g), torch.rand(2, 3, 9, 11, generator=g)
    want = transfer_chroma(stylized, content).numpy()
    got = transfer_chroma_array(stylized.numpy(), content.numpy())
    assert got.shape == want.shape
    assert np.abs(got - want).max() < 1e-5


@pytest.mark.parametrize("w,h,size", [(120, 80, 50), (80, 120, 50), (64, 64, 100), (90, 60, 33)])
def test_resizing_equals_resize(w: int, h: int, size: int) -> None:
    x = pil_to_tensor(photo("twins", w, h))
    want = resize(x, size).numpy()
    got = resize_array(x.numpy(), size)
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1 / 255  # below one 8-bit level: the same saved pixels
