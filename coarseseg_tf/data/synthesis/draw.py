"""The one way drawings are made: :func:`draw` (one example) and :func:`draw_all` (a stack).

An example's drawings depend on its mask, its key, the style and the seed only: the
generator is :func:`key_rng` ``(key, seed)``. So the same example gets the same drawings
in the library, the Beam job and the CLI, whatever order or worker it comes in.
"""
from __future__ import annotations

import zlib
from typing import Callable, Sequence

import numpy as np

from coarseseg_tf.data.synthesis.morpho import Drawings
from coarseseg_tf.data.synthesis.styles import DEFAULT_STYLE, DrawingStyle, get_style
from coarseseg_tf.labels import check_label_map


def key_rng(key: str, seed: int = 0) -> np.random.Generator:
    """A generator seeded by an example's key: its drawings do not depend on file order.

    A CRC of the key, not Python's ``hash()``, which is salted per process.
    """
    return np.random.default_rng([seed, zlib.crc32(key.encode())])


def draw(mask: np.ndarray, key: str, style: str | DrawingStyle = DEFAULT_STYLE, num_classes: int = 2,
         seed: int = 0, target_class: int | Sequence[int] | None = None) -> Drawings:
    """The positive and negative drawing of one example.

    Args:
      mask: (H, W) integer true mask, classes in [0, num_classes), 255 = unknown.
      key: the example's key (its tf.Example ``image/filename``); with ``seed`` it seeds
        every random choice.
      style: a name in :data:`~coarseseg_tf.data.synthesis.styles.STYLES` or a
        :class:`~coarseseg_tf.data.synthesis.styles.DrawingStyle`.
      target_class: the class drawn; a sequence: one of these, picked at random; None:
        one present in the mask (class 1 for binary masks), or for a style that draws
        every class (``boundary_negatives``) and more than two classes, every class
        present.

    Returns:
      :class:`~coarseseg_tf.data.synthesis.morpho.Drawings`: positive and negative
      (H, W) uint8 label maps, 255 where nothing was drawn. The positive map holds
      the drawn class, the negative map the complementary label ȳ ("not ȳ"); when
      every class is drawn, each pixel's own (``target_class`` of the result None).

    Raises:
      ValueError: an unknown style, or mask labels outside [0, num_classes).
    """
    style = get_style(style)
    return style.draw(check_label_map(mask, num_classes), key_rng(key, seed), num_classes, target_class)


def draw_all(masks: np.ndarray, keys: Sequence[str], style: str | DrawingStyle = DEFAULT_STYLE,
             num_classes: int = 2, seed: int = 0,
             progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`draw` for a stack: masks (N, H, W) and their N keys -> positive, negative (N, H, W) uint8.

    ``progress(done, total)`` is called after each example.
    """
    if len(keys) != len(masks):
        raise ValueError(f"{len(masks)} masks but {len(keys)} keys")
    positive = np.empty(np.shape(masks), np.uint8)
    negative = np.empty(np.shape(masks), np.uint8)
    for i, (mask, key) in enumerate(zip(masks, keys)):
        drawings = draw(mask, key, style, num_classes, seed)
        positive[i], negative[i] = drawings.positive, drawings.negative
        if progress is not None:
            progress(i + 1, len(masks))
    return positive, negative
