"""Files in and out: images (load, convert, save), the data and cache folders, atomic writes."""

from brushwork.io.files import atomic_write, find_images, write_text
from brushwork.io.images import load_image, save_image

__all__ = ["atomic_write", "find_images", "load_image", "save_image", "write_text"]
