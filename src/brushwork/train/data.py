"""Training photos for the feed-forward network: a folder of images (any nesting) as square crops.

``PhotoFolder`` yields ``{"content": (3, S, S), "path": str}`` (+ ``"target"`` for distillation),
float32 RGB in [0, 1]. ``PhotoDataModule`` wraps it for Lightning and adds a fixed validation set:
the same few photos every epoch, aspect kept, so logged images show one picture improving.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytorch_lightning as pl
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from brushwork.errors import BrushworkError
from brushwork.evaluate.reference import held_out_photos
from brushwork.io.assets import data_dir, ensure_training_photos
from brushwork.io.files import find_images
from brushwork.io.images import DECODE_ERRORS, load_image, open_image, pil_to_tensor
from brushwork.train.photos import DecodedPhotos, center_box, random_box


def scan_images(root: str | Path) -> list[Path]:
    """Sorted images under ``root`` whose header PIL reads (the rest skipped with ONE warning);
    BrushworkError if ``root`` is missing or holds no readable image."""
    root = Path(root).expanduser()
    if not root.exists():
        raise BrushworkError(f"data folder not found: {root}")
    good, bad = [], []
    for path in find_images(root):  # raises "no images found in ROOT"
        try:
            with Image.open(path):  # header only: cheap, decoding happens in __getitem__
                good.append(path)
        except DECODE_ERRORS:
            bad.append(path)
    if not good:
        raise BrushworkError(f"no readable images in {root} ({len(bad)} unreadable)")
    if bad:
        warnings.warn(
            f"skipped {len(bad)} unreadable images in {root}, e.g. {bad[0].name}", stacklevel=2
        )
    return good


class PhotoFolder(Dataset):
    """Photos under ``root`` (recursive, sorted; less ``exclude``) as ``size`` x ``size`` crops.

    train=True: random resized crop (area 0.5-1, aspect 3/4-4/3) + random horizontal flip.
    train=False: shorter side to ``size`` + centre crop (deterministic).
    cache: decode each photo once (brushwork.train.photos) instead of every time it is drawn.
    targets: folder of stylized targets mirroring ``root`` (``targets/sub/a.png`` for
    ``root/sub/a.jpg``, any extension); each gets exactly the photo's crop and flip, mapped to
    its own resolution. A photo that fails to decode is replaced by the next one (one warning).
    Raises BrushworkError for a missing/empty folder or photos without a target.
    """

    def __init__(
        self,
        root: str | Path,
        size: int = 256,
        train: bool = True,
        targets: str | Path | None = None,
        cache: bool = False,
        exclude: frozenset[Path] = frozenset(),
    ) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise BrushworkError(f"data size must be a positive integer, got {size!r}")
        self.root = Path(root).expanduser()
        self.size, self.train = size, train
        self.files = [f for f in scan_images(self.root) if f not in exclude]
        self.base = self.root if self.root.is_dir() else self.root.parent
        self.targets: list[Path] | None = None
        if targets is not None:
            self.targets = self._pair(Path(targets).expanduser())
        self._bad: set[int] = set()
        self._warned = False
        # Photos decoded once (brushwork.train.photos); targets are read as they are.
        self.decoded = DecodedPhotos(size) if cache else None

    def _pair(self, folder: Path) -> list[Path]:
        if not folder.is_dir():
            raise BrushworkError(f"targets folder not found: {folder}")
        found: dict[Path, Path] = {}
        for path in find_images(folder):  # sorted: with a.jpg and a.png, a.jpg wins
            found.setdefault(path.relative_to(folder).with_suffix(""), path)
        keys = [p.relative_to(self.base).with_suffix("") for p in self.files]
        missing = [k for k in keys if k not in found]
        if missing:
            raise BrushworkError(
                f"{len(missing)} of {len(keys)} photos have no target in {folder} "
                f"(e.g. {missing[0]}.*); run `brushwork targets` first"
            )
        return [found[k] for k in keys]

    def __len__(self) -> int:
        return len(self.files)

    def _load(self, idx: int) -> dict[str, Tensor | str]:
        path = self.files[idx]
        photo = self.decoded.get(path) if self.decoded else open_image(path)
        width, height = photo.size
        box = random_box(width, height) if self.train else center_box(width, height)
        flip = self.train and torch.rand(1).item() < 0.5
        out: dict[str, Tensor | str] = {"path": str(self.files[idx])}
        images = {"content": photo}
        if self.targets is not None:
            images["target"] = open_image(self.targets[idx])
        for key, im in images.items():
            sx, sy = im.width / width, im.height / height  # target may differ in resolution
            b = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)
            t = pil_to_tensor(im.resize((self.size, self.size), Image.Resampling.BICUBIC, box=b))
            out[key] = (t.flip(-1) if flip else t)[0]  # (3, S, S)
        return out

    def __getitem__(self, idx: int) -> dict[str, Tensor | str]:
        n = len(self.files)
        for k in range(n):
            j = (idx + k) % n
            if j in self._bad:
                continue
            try:
                return self._load(j)
            except BrushworkError as e:
                self._bad.add(j)
                if not self._warned:
                    self._warned = True
                    warnings.warn(f"{e}; using the next image instead", stacklevel=2)
        raise BrushworkError(f"none of the {n} images in {self.root} could be decoded")


class PhotoDataModule(pl.LightningDataModule):
    """Random crops of ``dir`` for training; the first ``val_count`` photos of ``val_dir`` (default
    ``$BRUSHWORK_DATA/content``), longer side ``val_size``, aspect kept, batch 1, for validation.

    No ``val_dir`` and no ``$BRUSHWORK_DATA/content`` (a fresh machine has only the fetched photos):
    ``val_count`` photos spread over ``dir`` are held out of training instead (``held_out``), so
    the early stop, grids and curves still run. The reference protocol's photos of ``dir``
    (:attr:`reference`) are never trained or validated on. A ``val_dir`` missing or empty disables
    validation with a warning. ``seed`` fixes the shuffle and the crops' RNG.
    """

    def __init__(
        self,
        dir: str,
        size: int = 256,
        batch_size: int = 4,
        num_workers: int = 2,
        val_dir: str | None = None,
        val_size: int = 256,
        val_count: int = 8,
        targets: str | None = None,
        pin_memory: bool | None = None,
        cache: bool = False,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if batch_size <= 0 or num_workers < 0:
            raise BrushworkError(
                f"need batch_size >= 1, num_workers >= 0; got {batch_size}, {num_workers}"
            )
        self.dir, self.size, self.targets, self.cache = dir, size, targets, cache
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        self.val_dir = Path(val_dir).expanduser() if val_dir else None
        self.held_out: frozenset[Path] = frozenset()  # training photos used for validation
        self._reference: frozenset[Path] | None = None
        self.val_size, self.val_count = val_size, val_count
        self.pin_memory = torch.cuda.is_available() if pin_memory is None else pin_memory
        self.train_set: PhotoFolder | None = None
        self._val: list[dict[str, Tensor | str]] | None = None  # {"content": (3, H, W), "path"}

    def prepare_data(self) -> None:
        """The default photo folder, empty on a fresh machine, gets the pinned public set."""
        ensure_training_photos(self.dir)

    def setup(self, stage: str | None = None) -> None:
        """Scan the folders; bad ``dir``/``targets`` raise BrushworkError here, before training."""
        fit = self.train_set is None and stage in (None, "fit")
        if fit and not Path(self.dir).expanduser().exists():
            raise BrushworkError(
                f"training photos not found: {self.dir}; download a public set with "
                "`brushwork fetch photos` (or point data.dir= at a folder of photos)"
            )
        self.val_images()  # first: it decides which photos are held out of training
        if fit:
            exclude = self.held_out | self.reference
            self.train_set = PhotoFolder(
                self.dir, self.size, True, self.targets, self.cache, exclude
            )

    @property
    def reference(self) -> frozenset[Path]:
        """The reference protocol's held-out photos of ``dir`` (brushwork.evaluate.reference):
        never trained or validated on, so quality figures are measured on unseen photos. Listed
        once."""
        if self._reference is None:
            self._reference = frozenset(held_out_photos(self.dir))
        return self._reference

    def _val_files(self) -> list[Path]:
        if self.val_dir is not None:
            return scan_images(self.val_dir)
        content = data_dir() / "content"
        if content.is_dir() and any(content.iterdir()):
            return scan_images(content)
        # names only: PhotoFolder checks the headers once
        photos = [p for p in find_images(self.dir) if p not in self.reference]
        if len(photos) < 2 * self.val_count:
            raise BrushworkError(f"no {content}, and too few photos in {self.dir} to hold some out")
        held = [photos[i * len(photos) // self.val_count] for i in range(self.val_count)]
        self.held_out = frozenset(held)
        print(f"validation: {len(held)} photos of {self.dir} held out of training (no {content})")
        return held

    def _load_val(self) -> list[dict[str, Tensor | str]]:
        if self.val_count <= 0:
            return []
        try:
            files = self._val_files()
        except BrushworkError as e:
            warnings.warn(f"no validation images ({e}); validation disabled", stacklevel=3)
            return []
        items: list[dict[str, Tensor | str]] = []
        for path in files:  # the first val_count that decode
            if len(items) == self.val_count:
                break
            try:
                image = load_image(path, self.val_size, side="long")[0]  # (3, H, W)
                items.append({"content": image, "path": str(path)})
            except BrushworkError as e:
                warnings.warn(f"skipped validation image: {e}", stacklevel=3)
        if not items:
            warnings.warn(f"no decodable validation images: {files[0].parent}", stacklevel=3)
        return items

    def val_images(self) -> list[Tensor]:
        """The fixed validation photos, each (1, 3, H, W) in [0, 1], in name order."""
        if self._val is None:
            self._val = self._load_val()
        return [item["content"][None] for item in self._val]  # type: ignore[index]

    def train_dataloader(self) -> DataLoader:
        if self.train_set is None:
            self.setup("fit")
        assert self.train_set is not None
        return DataLoader(
            self.train_set,
            batch_size=self.batch_size,
            shuffle=True,
            drop_last=len(self.train_set) >= self.batch_size,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            pin_memory=self.pin_memory,
            generator=torch.Generator().manual_seed(self.seed),
        )

    def val_dataloader(self) -> DataLoader | list:
        if not self.val_images():
            return []
        # Preloaded and tiny: workers would only add start-up time. Batch 1 since sizes differ.
        return DataLoader(self._val, batch_size=1, shuffle=False, pin_memory=self.pin_memory)
