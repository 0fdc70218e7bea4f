"""Retinal fundus images with vessel masks and field-of-view masks (the LES-AV layout).

Layout read (as unpacked from LES-AV's ``LES-AV.zip``; other sets fit once renamed)::

    <root>/images/<id>.png                  fundus photograph (RGB)
    <root>/vessel-segmentations/<id>.png    vessels: non-zero = vessel (class 1)
    <root>/masks/<id>_mask.gif              field of view: non-zero = inside the eye
    <root>/positive/<id>.png, negative/<id>.png   drawings, if someone drew them (optional)

``arteries-and-veins/`` and the spreadsheet that LES-AV also ships are not read.

Pixels outside the field of view become 255 in the mask and in the drawings, so the
losses and the mIoU never count the black corners around the eye. LES-AV images are
1444×1620 and 1958×2196: train on overlapping tiles (:func:`tile_record`) and segment
whole images tile by tile, averaging the class probabilities where tiles overlap
(:func:`coarseseg_tf.tiling.segment_tiled`).
"""
from __future__ import annotations

import os
from typing import Iterator

import numpy as np

from coarseseg_tf.data.examples import ImageRecord
from coarseseg_tf.data.datasets.files import (DatasetError, check_drawn, check_size, read_binary, read_image,
                                     read_label_map, resize_and_crop, stack_records, warn_or_raise)
from coarseseg_tf.data.datasets.folders import check_class_ids, match_by_stem
from coarseseg_tf.labels import IGNORE_LABEL
from coarseseg_tf.tiling import tile_image


def apply_fov(labels: np.ndarray | None, fov: np.ndarray) -> np.ndarray | None:
    """(H, W) labels with 255 wherever the (H, W) bool ``fov`` is False."""
    if labels is None:
        return None
    return np.where(fov, labels, IGNORE_LABEL).astype(np.uint8)


def iter_records(root: str, images: str = "images", vessels: str = "vessel-segmentations",
                 fov: str = "masks", fov_suffix: str = "_mask", size=None, tile=None,
                 overlap: int = 0, keys=None, strict: bool = False) -> Iterator[ImageRecord]:
    """The images under ``root`` as :class:`ImageRecord`, sorted by id.

    Args:
      images, vessels, fov: folder names relative to ``root``; FOV files are named
        ``<id><fov_suffix>.<ext>``.
      size: (H, W) to resize to (labels and FOV by nearest neighbour), or None.
      tile, overlap: yield overlapping tiles instead of whole images (see :func:`tile_record`).
      keys: read only these ids (None: all).
      strict: warnings (no FOV folder, an empty FOV or drawing) become errors.
    Returns:
      records with image (H, W, 3) uint8, mask (H, W) uint8 in {0, 1, 255},
      positive / negative (H, W) uint8 or None; 255 outside the FOV.
    Raises:
      DatasetError: an image without a vessel file (or FOV file when the FOV folder
      exists), a file without an image, or sizes that differ.
    """
    def where(name):
        return os.path.join(root, name)
    matched = match_by_stem(where(images), {"mask": where(vessels), "fov": (where(fov), fov_suffix),
                                            "positive": where("positive"), "negative": where("negative")})
    required = {"mask": where(vessels)}
    if os.path.isdir(where(fov)):
        required["fov"] = where(fov)
    else:
        warn_or_raise(f"{where(fov)} does not exist: without field-of-view masks the dark corners "
                      "around the eye count in the loss and the metric", strict)
    missing = [f"{files.image} has no file in {folder}" for files in matched
               for kind, folder in required.items() if kind not in files.labels]
    if missing:
        raise DatasetError("missing label files:\n  " + "\n  ".join(missing[:10]))
    for files in matched:
        if keys is not None and files.key not in keys:
            continue
        record = _read(files, strict)
        record = resize_and_crop(record, size)
        if tile is None:
            yield record
        else:
            yield from tile_record(record, tile, overlap)


def _read(files, strict) -> ImageRecord:
    image = read_image(files.image)
    inside = np.ones(image.shape[:2], bool)
    if "fov" in files.labels:
        inside = read_binary(files.labels["fov"])
        check_size(inside, image.shape, files.labels["fov"], files.image)
        if not inside.any():
            warn_or_raise(f"{files.labels['fov']}: the field of view is empty", strict)
    vessels = read_binary(files.labels["mask"])
    check_size(vessels, image.shape, files.labels["mask"], files.image)
    drawings = {}
    for kind in ("positive", "negative"):
        path = files.labels.get(kind)
        if path is None:
            drawings[kind] = None
            continue
        drawing = check_class_ids(read_label_map(path), 2, path)
        check_size(drawing, image.shape, path, files.image)
        drawings[kind] = apply_fov(drawing, inside)
        check_drawn(drawings[kind], path + " (inside the field of view)", strict)
    return ImageRecord(key=files.key, image=image, mask=apply_fov(vessels.astype(np.uint8), inside),
                       **drawings)


def load_arrays(root: str, **options) -> dict[str, np.ndarray]:
    """The dataset as arrays for :func:`coarseseg_tf.fit`; pass ``size`` or ``tile`` (images differ in size)."""
    return stack_records(iter_records(root, **options), root)


# ---------------------------------------------------------------- tiles
def tile_record(record: ImageRecord, tile, overlap: int = 0) -> Iterator[ImageRecord]:
    """Overlapping tiles of a record, keyed ``<key>@<top>,<left>``.

    Tiles without a single labelled pixel (wholly outside the FOV) are left out: they
    carry no training signal.
    """
    image_tiles, positions = tile_image(record.image, tile, overlap, fill=0)
    maps = {kind: None if labels is None else tile_image(labels, tile, overlap, IGNORE_LABEL)[0]
            for kind, labels in (("mask", record.mask), ("positive", record.positive),
                                 ("negative", record.negative))}
    for i, (top, left) in enumerate(positions):
        tiled = {kind: None if tiles is None else tiles[i] for kind, tiles in maps.items()}
        if not any(m is not None and (m != IGNORE_LABEL).any() for m in tiled.values()):
            continue
        yield ImageRecord(key=f"{record.key}@{top},{left}", image=image_tiles[i], **tiled)
