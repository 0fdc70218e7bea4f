"""GrabCut (OpenCV's ``cv2.grabCut`` in mask mode) seeded by the drawings: binary only.

GrabCut fits a colour GMM to the foreground and one to the background and cuts the graph
between them; pixels marked sure keep their label, probable ones may flip. From the
seeds of :mod:`coarseseg_tf.refine.seeds`:

========================================  ===========================================
seed class 1 (the drawing's interior)     ``GC_FGD``: the erosion has already removed
                                          what a few pixels of spill can reach, and a
                                          probable-only core can vanish when the object's
                                          colour resembles the background's
seed class 0 (negative strokes, and far   ``GC_BGD``: as outside the rectangle of
from the positive drawing)                GrabCut's own box mode
unseeded, on the positive drawing         ``GC_PR_FGD`` (its border band)
unseeded, off it (the outer band)         ``GC_PR_BGD``
========================================  ===========================================

For L > 2 it raises ValueError (GrabCut is a two-class cut; use ``random_walker``).
Images whose seeds hold one class only (no positive drawing, or no background left to
seed) get the drawings as they are (:class:`~coarseseg_tf.refine.seeds.Prepared`).
"""
from __future__ import annotations

import numpy as np

from coarseseg_tf.data.examples import to_uint8_image
from coarseseg_tf.refine.seeds import DILATE, ERODE, prepare

#: GrabCut's EM iterations (OpenCV's samples use 5; the cut settles within a few)
ITERATIONS = 5


def check_binary(num_classes: int) -> None:
    """Raises ValueError unless L = 2: GrabCut separates an object from its background."""
    if num_classes != 2:
        raise ValueError(f"grabcut refines binary drawings only (num_classes = 2), got "
                         f"num_classes = {num_classes}; random_walker handles L > 2")


def grabcut(image, positive, negative, num_classes: int = 2, *, erode: float = ERODE,
            dilate: float = DILATE, iterations: int = ITERATIONS) -> np.ndarray:
    """One image's drawings refined into a mask by GrabCut.

    Args:
      image: (H, W) or (H, W, C) float in [0, 1], C = 1 or 3 (grayscale is repeated to RGB).
      positive, negative: (H, W) integer drawings, 255 = not drawn; None = no such drawing.
      num_classes: must be 2.
      erode, dilate, iterations: see :mod:`coarseseg_tf.refine.seeds` and ``ITERATIONS``.
    Returns:
      (H, W) uint8 mask in {0, 1}; 255 only where the drawings are the fallback.
    """
    import cv2
    check_binary(num_classes)
    job = prepare(image, positive, negative, num_classes, erode, dilate)
    if job.fallback is not None:
        return job.fallback
    rgb = to_uint8_image(job.image)
    if rgb.shape[-1] == 1:
        rgb = np.repeat(rgb, 3, axis=-1)
    unseeded = np.where(job.positive == 1, cv2.GC_PR_FGD, cv2.GC_PR_BGD)
    gc_mask = np.select([job.seeds == 1, job.seeds == 0], [cv2.GC_FGD, cv2.GC_BGD], unseeded)
    gc_mask = gc_mask.astype(np.uint8)
    # GrabCut's k-means draws from OpenCV's RNG: reseed so equal inputs give equal masks
    cv2.setRNGSeed(0)
    models = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    gc_mask, _, _ = cv2.grabCut(np.ascontiguousarray(rgb), gc_mask, None, *models,
                                iterations, cv2.GC_INIT_WITH_MASK)
    return np.isin(gc_mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)

