"""The split type of the datasets made in memory (nuclei tiles, MNIST scenes): images and
their true masks, with no drawings (those are made from the masks by
:mod:`coarseseg_tf.data.synthesis`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LabelledSplit:
    """images (N, H, W, 1) float32 in [0, 1], masks (N, H, W) uint8 class ids.

    origins (N, 2) int: the (top, left) of each tile in its source image, for data cut
    from one large image; None when every image is whole.
    """

    images: np.ndarray
    masks: np.ndarray
    origins: np.ndarray | None = None

    def __len__(self):
        return len(self.images)
