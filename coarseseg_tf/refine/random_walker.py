"""Random walker (Grady 2006, scikit-image's ``segmentation.random_walker``) seeded by the drawings.

Each unseeded pixel takes the class whose seeds a random walk starting there most
likely reaches first, edges weighted by exp(−β·|∇I|²) so walks rarely cross image
edges. Seeds are those of :mod:`coarseseg_tf.refine.seeds` (every class natively, so
L > 2 works): each drawn class's interior, class 0 far from the positive drawings,
and the class each negative stroke implies (for L > 2, "not 0" names no single class
and seeds nothing).

β = 130 is scikit-image's default, which it scales by the image's standard deviation,
so it does not depend on the images' contrast.
"""
from __future__ import annotations

import warnings

import numpy as np

from coarseseg_tf.labels import IGNORE_LABEL
from coarseseg_tf.refine.seeds import DILATE, ERODE, prepare

#: edge sensitivity: scikit-image's default (normalised by the image's spread)
BETA = 130.0


def random_walker(image, positive, negative, num_classes: int = 2, *, erode: float = ERODE,
                  dilate: float = DILATE, beta: float = BETA) -> np.ndarray:
    """One image's drawings refined into a mask by the random walker.

    Args:
      image: (H, W) or (H, W, C) float in [0, 1].
      positive, negative: (H, W) integer drawings, 255 = not drawn; None = no such drawing.
      num_classes: L >= 2.
      erode, dilate: see :mod:`coarseseg_tf.refine.seeds`; beta: see ``BETA``.
    Returns:
      (H, W) uint8 mask in [0, L); 255 only where the drawings are the fallback.
    """
    from skimage.segmentation import random_walker as walk
    job = prepare(image, positive, negative, num_classes, erode, dilate)
    if job.fallback is not None:
        return job.fallback
    classes = np.unique(job.seeds[job.seeds != IGNORE_LABEL])
    # the walker wants 0 = unseeded and 1..K for seeds, and answers 1..K in that order
    markers = np.where(job.seeds == IGNORE_LABEL, 0, np.searchsorted(classes, job.seeds) + 1)
    with warnings.catch_warnings():
        # Jacobi-preconditioned CG scales to large images where the direct solver does not;
        # its probabilities may stray past [0, 1] by the tolerance, harmless to the argmax.
        # The sparsity warning is about scikit-image's own matrix assembly.
        warnings.filterwarnings("ignore", "The probability range is outside")
        warnings.filterwarnings("ignore", "Changing the sparsity structure")
        walked = walk(job.image, markers, beta=beta, mode="cg_j", channel_axis=-1)
    return classes[walked - 1].astype(np.uint8)
