"""Image folders: ``images/`` beside ``masks/``, ``positive/``, ``negative/``, matched by stem.

Layout read::

    <root>/images/<stem>.png|.jpg|...     the images (RGB or grayscale)
    <root>/masks/<stem>.png               true masks: class ids, 255 = unknown   (optional)
    <root>/positive/<stem>.png            positive drawings: drawn class, 255 elsewhere (optional)
    <root>/negative/<stem>.png            negative drawings: ȳ ("not ȳ"), 255 elsewhere (optional)

Label files are single-channel PNGs of class ids, the format ``coarseseg import-drawings``
and ``coarseseg predict`` write. At least one label folder must exist. An image may lack
a file in some label folder (that map is "not given"), but not in all of them; a label
file whose stem has no image is an error too. Both are listed in one error.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from coarseseg_tf.data.examples import ImageRecord
from coarseseg_tf.data.datasets.files import (DatasetError, check_drawn, check_size, files_by_stem,
                                     read_binary, read_image, read_label_map, resize_and_crop,
                                     stack_records)
from coarseseg_tf.labels import IGNORE_LABEL

LABEL_KINDS = ("mask", "positive", "negative")


@dataclass(frozen=True)
class MatchedFiles:
    """One image and its label files by kind (a kind absent from ``labels``: not given)."""

    key: str
    image: str
    labels: dict = field(default_factory=dict)


def _listing(paths, limit=10):
    shown = "\n  ".join(paths[:limit])
    return "\n  " + shown + ("\n  ..." if len(paths) > limit else "")


def match_by_stem(image_dir: str, label_dirs: dict) -> list[MatchedFiles]:
    """Matches images to label files by stem, sorted by stem.

    Args:
      image_dir: the images' folder.
      label_dirs: {kind: folder} or {kind: (folder, stem suffix)}, e.g.
        ``{"fov": ("masks", "_mask")}`` matches ``masks/12_mask.gif`` to ``images/12.png``.
        Folders that do not exist are skipped.
    Raises:
      DatasetError listing every label file without an image and every image without
      any label file, or when no label folder exists.
    """
    images = files_by_stem(image_dir)
    if not images:
        raise DatasetError(f"no image files in {image_dir}")
    found = {}
    for kind, spec in label_dirs.items():
        folder, suffix = spec if isinstance(spec, tuple) else (spec, "")
        if os.path.isdir(folder):
            found[kind] = files_by_stem(folder, suffix)
    if not found:
        raise DatasetError(f"none of the label folders {sorted(str(v) for v in label_dirs.values())} exists")
    orphans = sorted(path for files in found.values() for stem, path in files.items() if stem not in images)
    unlabelled = sorted(path for stem, path in images.items()
                        if not any(stem in files for files in found.values()))
    problems = []
    if orphans:
        problems.append(f"{len(orphans)} label file(s) with no image of the same stem in {image_dir}:"
                        + _listing(orphans))
    if unlabelled:
        problems.append(f"{len(unlabelled)} image(s) with no file in any of "
                        f"{sorted(found)} folders:" + _listing(unlabelled))
    if problems:
        raise DatasetError("unmatched files\n" + "\n".join(problems))
    return [MatchedFiles(key=stem, image=path,
                         labels={kind: files[stem] for kind, files in found.items() if stem in files})
            for stem, path in sorted(images.items())]


def check_class_ids(labels: np.ndarray, num_classes: int, path: str) -> np.ndarray:
    """Raises DatasetError naming ``path`` if a value is outside [0, L) and not 255."""
    bad = (labels >= num_classes) & (labels != IGNORE_LABEL)
    if bad.any():
        values = sorted(set(labels[bad].tolist()))
        raise DatasetError(f"{path}: unknown label id(s) {values[:10]}; with num_classes={num_classes} "
                           f"ids must be in [0, {num_classes}) or {IGNORE_LABEL} (not annotated)")
    return labels


def read_matched(files: MatchedFiles, num_classes: int = 2, binary_masks: bool = False,
                 strict: bool = False) -> ImageRecord:
    """Reads one image and its label files into an :class:`ImageRecord`.

    ``binary_masks=True`` reads masks as 0/255 (or 0/1) files: non-zero is class 1.
    Sizes must match the image; drawings must not be empty (a warning, an error
    when ``strict``).
    """
    image = read_image(files.image)
    maps = {}
    for kind in LABEL_KINDS:
        path = files.labels.get(kind)
        if path is None:
            maps[kind] = None
            continue
        if kind == "mask" and binary_masks:
            labels = read_binary(path).astype(np.uint8)
        else:
            labels = check_class_ids(read_label_map(path), num_classes, path)
        check_size(labels, image.shape, path, files.image)
        if kind != "mask":
            check_drawn(labels, path, strict)
        maps[kind] = labels
    return ImageRecord(key=files.key, image=image, **maps)


def iter_records(root: str, num_classes: int = 2, images: str = "images", masks: str = "masks",
                 positive: str = "positive", negative: str = "negative", size=None, crop=None,
                 binary_masks: bool = False, keys=None, strict: bool = False) -> Iterator[ImageRecord]:
    """The images under ``root`` as :class:`ImageRecord`, sorted by stem.

    Folder names are relative to ``root`` (or absolute). ``size`` / ``crop`` (H, W)
    resize (nearest neighbour for label maps) and centre-crop every record. ``keys``:
    read only these stems (None: all). Unmatched files are reported before any
    image is read.
    """
    def where(name):
        return os.path.join(root, name)
    matched = match_by_stem(where(images), {"mask": where(masks), "positive": where(positive),
                                            "negative": where(negative)})
    for files in matched:
        if keys is not None and files.key not in keys:
            continue
        yield resize_and_crop(read_matched(files, num_classes, binary_masks, strict), size, crop)


def load_arrays(root: str, **options) -> dict[str, np.ndarray]:
    """A folder as arrays for :func:`coarseseg_tf.fit` (see :func:`~coarseseg_tf.data.datasets.files.stack_records`)."""
    return stack_records(iter_records(root, **options), root)
