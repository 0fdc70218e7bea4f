"""Whole images through a model trained on tiles: tile geometry and stitched inference.

Large images (fundus photographs, street scenes) are trained on as overlapping tiles and
segmented tile by tile; where tiles overlap their class probabilities are averaged.
"""
from __future__ import annotations

import numpy as np

from coarseseg_tf.images import to_unit_range


def _pair(tile):
    return (int(tile), int(tile)) if np.isscalar(tile) else (int(tile[0]), int(tile[1]))


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles covering [0, length): a stride of tile - overlap, the last
    tile flush with the end (so it may overlap more)."""
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap must be in [0, tile), got overlap={overlap}, tile={tile}")
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile + 1, tile - overlap))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return starts


def _pad_to(array, height, width, fill):
    pad = [(0, max(0, height - array.shape[0])), (0, max(0, width - array.shape[1]))]
    return np.pad(array, pad + [(0, 0)] * (array.ndim - 2), constant_values=fill)


def tile_image(array: np.ndarray, tile, overlap: int = 0, fill=0):
    """Cuts an (H, W, ...) array into overlapping tiles.

    Args:
      tile: tile side, or (height, width).
      overlap: pixels shared by neighbouring tiles.
      fill: pad value when the array is smaller than a tile (0 for images, 255 for labels).
    Returns:
      (tiles (T, th, tw, ...), positions [(top, left)] * T).
    """
    th, tw = _pair(tile)
    array = _pad_to(np.asarray(array), th, tw, fill)
    positions = [(top, left) for top in tile_starts(array.shape[0], th, overlap)
                 for left in tile_starts(array.shape[1], tw, overlap)]
    return np.stack([array[t: t + th, l: l + tw] for t, l in positions]), positions


def predict_tiled(model, image: np.ndarray, tile, overlap: int = 0, batch_size: int = 8) -> np.ndarray:
    """Class probabilities of a whole image, tile by tile.

    Args:
      model: a Keras model mapping (B, th, tw, C) images to (B, th, tw, L) probabilities
        (a :class:`~coarseseg_tf.models.CoarseSegModel`); th, tw divisible by its 2**depth.
      image: (H, W) or (H, W, C), uint8, uint16 or float in [0, 1]
        (:func:`coarseseg_tf.images.to_unit_range`).
    Returns:
      (H, W, L) float32: where tiles overlap, the mean of their probabilities.
    """
    image = np.asarray(image)
    image = image[..., None] if image.ndim == 2 else image
    image = to_unit_range(image)
    th, tw = _pair(tile)
    multiple = 2 ** getattr(model, "depth", 0)
    if th % multiple or tw % multiple:
        raise ValueError(f"tile {th}x{tw} must be divisible by {multiple} (2**depth of the model)")
    tiles, positions = tile_image(image, (th, tw), overlap, fill=0.0)
    probabilities = np.asarray(model.predict(tiles, batch_size=batch_size, verbose=0), np.float32)
    height, width = max(image.shape[0], th), max(image.shape[1], tw)
    total = np.zeros((height, width, probabilities.shape[-1]), np.float32)
    count = np.zeros((height, width, 1), np.float32)
    for p, (top, left) in zip(probabilities, positions):
        total[top: top + th, left: left + tw] += p
        count[top: top + th, left: left + tw] += 1
    return (total / count)[: image.shape[0], : image.shape[1]]


def segment_tiled(model, image: np.ndarray, tile, overlap: int = 0, batch_size: int = 8) -> np.ndarray:
    """(H, W) uint8 class ids of a whole image: argmax of :func:`predict_tiled`."""
    return predict_tiled(model, image, tile, overlap, batch_size).argmax(axis=-1).astype(np.uint8)
