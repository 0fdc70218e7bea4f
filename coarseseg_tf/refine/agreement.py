"""Two classical refiners that check each other: GrabCut and the random walker, kept where they agree.

GrabCut models the colours of the object and of the background; the random walker follows
image edges from the seeds. They fail in different places (GrabCut where both colour
models overlap, the random walker where an edge is weak), so where they agree a pixel is
far more often right than either alone, and where they disagree the image has not
decided: that band is left unlabelled (255) for a model that learns from partial labels.
GrabCut is binary: for L > 2 the random walker alone answers.
"""
from __future__ import annotations

import numpy as np

from coarseseg_tf.labels import IGNORE_LABEL
from coarseseg_tf.refine.grabcut import grabcut
from coarseseg_tf.refine.random_walker import random_walker


def refiners_agree(image, positive, negative, num_classes: int = 2) -> np.ndarray:
    """(H, W) uint8: the class GrabCut and the random walker both give a pixel, 255 where
    they differ (for L > 2 the random walker's mask). Arguments as :func:`random_walker`."""
    walked = random_walker(image, positive, negative, num_classes)
    if num_classes > 2:
        return walked
    cut = grabcut(image, positive, negative, num_classes)
    return np.where(walked == cut, walked, IGNORE_LABEL).astype(np.uint8)
