"""Image arrays as the networks take them: one pixel scale for every way in.

The image-scale contract. A network sees float32 pixels in [0, 1]. Whatever a user
hands in is brought there by :func:`to_unit_range` (numpy) or
:func:`to_unit_range_tensor` (TensorFlow graphs), which agree to the last bit:

- unsigned integer images are divided by their dtype's largest value: uint8 by 255,
  uint16 by 65535. That is what an 8- or 16-bit PNG means, and what
  ``tf.image.convert_image_dtype`` computes (a multiplication by the float32
  reciprocal, which the numpy side copies so both give the same floats);
- float images must already lie in [0, 1]; NaN, inf or anything outside raises
  ValueError naming the array and the range found. Refusing, rather than warning or
  guessing, because a float array in [0, 255] trains a model whose masks disagree
  with its own served masks (the server decodes PNGs to [0, 1]), and no rule tells a
  0-255 float from a standardised one;
- other dtypes (signed integers, bool, uint32, ...) are refused: their range says
  nothing about the pixels' scale.

Every entry point goes through these two functions: ``fit()`` (arrays and datasets),
``CoarseSegModel.segment`` / ``confusion_matrices``, ``tiling.predict_tiled``, the
figures, the CLI's ``.npz`` files, the dataset readers' arrays, ``make_example``
(tf.Example path) and ``decode_image_tensor`` (tf.Example parsing and the SavedModel
signatures).
"""
from __future__ import annotations

import numpy as np

#: the unsigned integer dtypes the contract scales, each by its largest value
INTEGER_DTYPES = (np.uint8, np.uint16)
_HINT = ("float images must be in [0, 1]; integer images are scaled by their dtype "
         "(uint8 / 255, uint16 / 65535): pass 8-bit pixels as uint8, or divide them by 255")


def _range_problem(pixels: np.ndarray) -> str:
    if not np.isfinite(pixels).all():
        return "has NaN or inf pixels"
    return f"holds values in [{pixels.min():g}, {pixels.max():g}], outside [0, 1]"


def to_unit_range(pixels, name: str = "image", batch: bool = False) -> np.ndarray:
    """Pixels of any shape -> float32 in [0, 1], by the contract above.

    Args:
      pixels: uint8, uint16 or float array.
      name: the array's name in error messages.
      batch: axis 0 indexes images: an error names the first bad one, ``name[i]``.
    Raises:
      ValueError naming the array (and image) for another dtype, or floats that are
      not finite or outside [0, 1].
    """
    pixels = np.asarray(pixels)
    if pixels.dtype in INTEGER_DTYPES:
        return pixels.astype(np.float32) * np.float32(1.0 / np.iinfo(pixels.dtype).max)
    if not np.issubdtype(pixels.dtype, np.floating):
        raise ValueError(f"{name} has dtype {pixels.dtype}: images must be uint8, uint16 or float in [0, 1]")
    pixels = pixels.astype(np.float32)
    # written so that NaN (which compares False) counts as bad
    bad = ~((pixels >= 0) & (pixels <= 1))
    if bad.any():
        if batch:
            index = int(np.argmax(bad.reshape(len(bad), -1).any(axis=1)))
            name, pixels = f"{name}[{index}]", pixels[index]
        raise ValueError(f"{name} {_range_problem(pixels)}: {_HINT}")
    return pixels


def to_unit_range_tensor(image, name: str = "image"):
    """The contract in a TensorFlow graph: uint8/uint16 or float tensor -> float32 in [0, 1].

    Float tensors are checked when the graph runs (InvalidArgumentError naming
    ``name``); a dtype outside the contract raises ValueError when the graph is traced.
    """
    import tensorflow as tf
    image = tf.convert_to_tensor(image)
    if image.dtype in (tf.uint8, tf.uint16):
        return tf.image.convert_image_dtype(image, tf.float32)
    if not image.dtype.is_floating:
        raise ValueError(f"{name} has dtype {image.dtype.name}: images must be uint8, uint16 or float in [0, 1]")
    image = tf.cast(image, tf.float32)
    inside = tf.reduce_all((image >= 0.0) & (image <= 1.0))
    with tf.control_dependencies([tf.debugging.Assert(inside, [f"{name} is not in [0, 1]: {_HINT}"])]):
        return tf.identity(image)


def as_image_batch(images, name: str = "images") -> np.ndarray:
    """(N, H, W) or (N, H, W, C) pixels -> float32 (N, H, W, C) in [0, 1] (see the contract)."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"{name} must have shape (N, H, W) or (N, H, W, C), got {images.shape}")
    return to_unit_range(images, name, batch=True)
