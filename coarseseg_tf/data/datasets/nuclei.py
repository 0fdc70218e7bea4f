"""Real fluorescence nuclei, offline: the 2-D example that the package stardist ships.

``stardist/data/images/img2d.tif`` is a 512×512 fluorescence image of cell nuclei and
``mask2d.tif`` its instance mask (0 = background, k = nucleus k); the binary class map is
mask > 0. We locate the files without importing stardist (its ``__init__`` imports
TensorFlow, csbdeep and numba) and read them with tifffile.

One image gives both splits: the left part is cut into training tiles, the right part
into test tiles, with a gap between the two parts so no nucleus has pixels in both.
"""
from __future__ import annotations

import os

import numpy as np

from coarseseg_tf.data.datasets.files import package_data_path
from coarseseg_tf.data.datasets.splits import LabelledSplit
from coarseseg_tf.tiling import tile_image

NUM_CLASSES = 2  # background, nucleus
INSTALL = "pip install --no-deps stardist==0.9.2"
# Percentiles that map to 0 and 1: the stored values span 0..235 of the uint16 range, so
# scaling by the dtype range would leave the image almost black; percentiles (stardist's
# own choice for this image) make the result independent of the sensor's gain.
LOW_PERCENTILE, HIGH_PERCENTILE = 1.0, 99.8


def stardist_file(name: str) -> str:
    """Path of ``stardist/data/images/<name>``; FileNotFoundError naming stardist if absent."""
    return package_data_path("stardist", os.path.join("data", "images", name), INSTALL)


def load_nuclei() -> tuple[np.ndarray, np.ndarray]:
    """The whole image (512, 512) float32 in [0, 1] and its binary mask (512, 512) uint8.

    The image is clipped to its [1 %, 99.8 %] percentile range, then scaled to [0, 1].
    """
    import tifffile
    image = tifffile.imread(stardist_file("img2d.tif")).astype(np.float32)
    instances = tifffile.imread(stardist_file("mask2d.tif"))
    low, high = np.percentile(image, [LOW_PERCENTILE, HIGH_PERCENTILE])
    image = np.clip((image - low) / (high - low), 0.0, 1.0).astype(np.float32)
    return image, (instances > 0).astype(np.uint8)


def _tiles(image, mask, left: int, right: int, tile: int) -> LabelledSplit:
    """Tiles of the columns [left, right); the last tile of a row or column is flush with
    the region's edge (it may overlap its neighbour, never leave the region)."""
    if right - left < tile or image.shape[0] < tile:
        raise ValueError(f"tile {tile} does not fit a region of {image.shape[0]}x{right - left} (HxW)")
    images, positions = tile_image(image[:, left:right, None], tile)
    masks, _ = tile_image(mask[:, left:right], tile)
    origins = np.array([(top, left + offset) for top, offset in positions], np.int64)
    return LabelledSplit(images.astype(np.float32), masks.astype(np.uint8), origins)


def make_nuclei(tile: int = 64, train_fraction: float = 0.5, gap: int = 32) -> tuple[LabelledSplit, LabelledSplit]:
    """Disjoint train and test tiles of the stardist nuclei image.

    Args:
      tile: tile side; tiles within a split do not overlap except the last of each row
        and column, moved inside the region.
      train_fraction: share of the image width, from the left, cut into training tiles.
      gap: columns left out between the two parts. Nuclei here are 25 px wide (median,
        38 at most); with the default 32 no nucleus has pixels in both splits.
    Returns:
      (train, test) :class:`LabelledSplit` with images (N, tile, tile, 1), masks
      (N, tile, tile) in {0, 1} and origins (N, 2) in the 512×512 image.
    """
    image, mask = load_nuclei()
    split = int(round(image.shape[1] * train_fraction))
    return (_tiles(image, mask, 0, split, tile),
            _tiles(image, mask, split + gap, image.shape[1], tile))
