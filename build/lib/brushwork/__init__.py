"""brushwork: fast neural style transfer (Gatys optimizer + feed-forward style networks)."""

from brushwork.errors import BrushworkError

__all__ = ["BrushworkError"]
__version__ = "0.1.0"
