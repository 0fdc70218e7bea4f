"""Reading dataset files: images and label maps from disk, errors that name the file.

Shared by the dataset readers (:mod:`~coarseseg_tf.data.datasets.cityscapes`,
:mod:`~coarseseg_tf.data.datasets.fundus`, :mod:`~coarseseg_tf.data.datasets.folders`) and the drawing
importer (:mod:`~coarseseg_tf.data.datasets.drawings_import`). A problem that makes a file
unusable raises :class:`DatasetError`; a suspicious but usable file (an unknown label
id, an empty drawing) warns with :class:`DatasetWarning`, which ``strict=True`` turns
into :class:`DatasetError`.
"""
from __future__ import annotations

import importlib.util
import os
import warnings

import numpy as np

from coarseseg_tf.data.examples import ImageRecord
from coarseseg_tf.images import to_unit_range
from coarseseg_tf.labels import IGNORE_LABEL

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".tif", ".tiff", ".bmp")


class DatasetError(ValueError):
    """A dataset file is missing, unreadable or inconsistent; the message names it."""


class DatasetWarning(UserWarning):
    """A dataset file is suspicious but usable; ``strict=True`` makes it a DatasetError."""


def warn_or_raise(message: str, strict: bool) -> None:
    """Warns with :class:`DatasetWarning`, or raises :class:`DatasetError` when ``strict``."""
    if strict:
        raise DatasetError(message)
    warnings.warn(message, DatasetWarning, stacklevel=3)


def package_data_path(package: str, relative: str, install: str) -> str:
    """The path of a data file shipped inside an installed package, without importing it.

    ``find_spec`` on a top-level package locates it without running its ``__init__``,
    which for some packages (stardist) would import TensorFlow and more.
    Raises FileNotFoundError naming the package and ``install`` (how to get it).
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package {package} is not installed; it ships {relative}, "
                                f"read offline ({install})")
    path = os.path.join(spec.submodule_search_locations[0], relative)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{package} is installed but {path} is missing")
    return path


def files_by_stem(folder: str, suffix: str = "") -> dict[str, str]:
    """Image files in ``folder`` keyed by file stem, ``suffix`` removed from the stem.

    ``files_by_stem("masks", "_mask")`` maps ``"12"`` to ``masks/12_mask.gif``. Files
    whose stem lacks the suffix, and non-image files, are not listed.
    Raises :class:`DatasetError` if two files share a stem (``a.png`` and ``a.jpg``).
    """
    if not os.path.isdir(folder):
        raise DatasetError(f"{folder} is not a directory")
    found: dict[str, str] = {}
    for name in sorted(os.listdir(folder)):
        stem, extension = os.path.splitext(name)
        if extension.lower() not in IMAGE_EXTENSIONS or not stem.endswith(suffix):
            continue
        stem = stem[: len(stem) - len(suffix)] if suffix else stem
        if stem in found:
            raise DatasetError(f"{folder}: {os.path.basename(found[stem])} and {name} have the "
                               "same stem; keep one file per image")
        found[stem] = os.path.join(folder, name)
    return found


def _open(path: str):
    from PIL import Image, UnidentifiedImageError
    if not os.path.exists(path):
        raise DatasetError(f"{path} does not exist")
    try:
        image = Image.open(path)
        image.load()
        return image
    except (UnidentifiedImageError, OSError) as error:
        raise DatasetError(f"{path}: not a readable image ({error})") from error


def read_image(path: str) -> np.ndarray:
    """An 8-bit image file -> (H, W, 3) uint8 RGB, or (H, W, 1) for grayscale files."""
    with _open(path) as image:
        if image.mode in ("I", "I;16", "I;16B", "F"):
            # PIL would clip, not rescale, these to 8 bits
            raise DatasetError(f"{path}: {image.mode} images are not supported; convert it to 8 bits")
        if image.mode in ("L", "LA", "1"):
            return np.asarray(image.convert("L"), np.uint8)[..., None]
        return np.asarray(image.convert("RGB"), np.uint8)


def read_label_map(path: str) -> np.ndarray:
    """A single-channel PNG of class ids -> (H, W) uint8.

    Palette PNGs give their palette indices (the class ids). Colour files are refused:
    a colour rendering of labels (Cityscapes' ``*_color.png``) is not a label map.
    """
    with _open(path) as image:
        if image.mode not in ("L", "P", "1"):
            raise DatasetError(f"{path}: a label map must be a single-channel PNG of class ids, "
                               f"got mode {image.mode}")
        return np.asarray(image if image.mode != "1" else image.convert("L"), np.uint8)


def read_binary(path: str) -> np.ndarray:
    """A binary mask file (0/255, 0/1, 1-bit, or palette GIF) -> (H, W) bool."""
    with _open(path) as image:
        grey = np.asarray(image.convert("L"), np.uint8)
    # 0/1 files and 0/255 files both occur in the wild
    return grey > (0 if grey.max() <= 1 else 127)


def check_size(array: np.ndarray, shape, path: str, reference: str) -> None:
    """Raises DatasetError if ``array``'s (H, W) differs from ``shape``."""
    if tuple(array.shape[:2]) != tuple(shape[:2]):
        raise DatasetError(f"{path} is {array.shape[1]}x{array.shape[0]} (WxH) but {reference} is "
                           f"{shape[1]}x{shape[0]}: a label or drawing must match its image")


def check_drawn(drawing: np.ndarray | None, path: str, strict: bool) -> None:
    """Warns (or raises when ``strict``) if a drawing holds no drawn pixel."""
    if drawing is not None and not (drawing != IGNORE_LABEL).any():
        warn_or_raise(f"{path}: the drawing is empty (no pixel drawn)", strict)


# ---------------------------------------------------------------- resize and crop
def _resize(array: np.ndarray, size, resample) -> np.ndarray:
    from PIL import Image
    squeeze = array.ndim == 3 and array.shape[-1] == 1
    pil = Image.fromarray(array[..., 0] if squeeze else array)
    out = np.asarray(pil.resize((size[1], size[0]), resample=resample))
    return out[..., None] if squeeze else out


def resize_image(image: np.ndarray, size) -> np.ndarray:
    """(H, W, C) uint8 -> (size[0], size[1], C), bilinear."""
    from PIL import Image
    return _resize(image, size, Image.BILINEAR)


def resize_labels(labels: np.ndarray, size) -> np.ndarray:
    """(H, W) uint8 class ids -> (size[0], size[1]), nearest neighbour: no invented ids."""
    from PIL import Image
    return _resize(labels, size, Image.NEAREST)


def centre_crop(array: np.ndarray, size) -> np.ndarray:
    """The centred (size[0], size[1]) window of an (H, W, ...) array."""
    height, width = array.shape[:2]
    if size[0] > height or size[1] > width:
        raise DatasetError(f"crop {size[0]}x{size[1]} (HxW) is larger than the image {height}x{width}")
    top, left = (height - size[0]) // 2, (width - size[1]) // 2
    return array[top: top + size[0], left: left + size[1]]


def resize_and_crop(record: ImageRecord, size=None, crop=None) -> ImageRecord:
    """Resizes a record to ``size`` (H, W), then takes the centred ``crop`` (H, W).

    The image is resized bilinearly, label maps by nearest neighbour. Either step is
    skipped when its argument is None.
    """
    maps = {"mask": record.mask, "positive": record.positive, "negative": record.negative}
    image = record.image
    if size is not None:
        image = resize_image(image, size)
        maps = {k: None if v is None else resize_labels(v, size) for k, v in maps.items()}
    if crop is not None:
        image = centre_crop(image, crop)
        maps = {k: None if v is None else centre_crop(v, crop) for k, v in maps.items()}
    return ImageRecord(key=record.key, image=image, **maps)


def stack_records(records, where: str = "dataset") -> dict[str, np.ndarray]:
    """Records of one size -> arrays for :func:`coarseseg_tf.fit`.

    Returns ``images`` (N, H, W, C) float32 in [0, 1] and those of ``masks``,
    ``positive``, ``negative`` (N, H, W) uint8 that every record has (255 = not given);
    ``keys`` (N,) str. Raises DatasetError if the records differ in size.
    """
    records = list(records)
    if not records:
        raise DatasetError(f"{where}: no images")
    shapes = sorted({r.image.shape for r in records})
    if len(shapes) > 1:
        raise DatasetError(f"{where}: images of several sizes {shapes}; resize them (size=(H, W)) "
                           "or tile them first")
    out = {"keys": np.array([r.key for r in records]),
           "images": to_unit_range(np.stack([r.image for r in records]))}
    for name, key in (("mask", "masks"), ("positive", "positive"), ("negative", "negative")):
        maps = [getattr(r, name) for r in records]
        if any(m is not None for m in maps):
            empty = np.full(records[0].image.shape[:2], IGNORE_LABEL, np.uint8)
            out[key] = np.stack([empty if m is None else m for m in maps])
    return out
