"""Classical two-step baselines: each image's drawings -> a mask, then supervised training.

The paper compares against "GrabCut+FCN" and "LazySnapping+FCN": a classical interactive
method turns the drawings into a mask per image, and the network is trained on those
masks with cross-entropy. The training methods ``grabcut`` and ``random_walker``
(:mod:`coarseseg_tf.models.objectives`) do this inside ``fit()``; the functions here
serve scripts, benchmarks and Beam jobs. Seeding rules: :mod:`coarseseg_tf.refine.seeds`.

A refiner maps one image, ``(image (H, W, C) float in [0, 1], positive (H, W),
negative (H, W), num_classes) -> mask (H, W) uint8``, with 255 only where the drawings
give it nothing to decide from (an image without drawings is all 255).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np

from coarseseg_tf.images import as_image_batch
from coarseseg_tf.labels import as_label_batch, check_num_classes
from coarseseg_tf.refine.agreement import refiners_agree
from coarseseg_tf.refine.grabcut import check_binary, grabcut
from coarseseg_tf.refine.random_walker import random_walker
from coarseseg_tf.refine.seeds import checked_sure_labels, sure_labels


@dataclass(frozen=True)
class Refiner:
    """A classical method: ``refine`` one image, and ``check_classes(L)`` that raises
    ValueError when it cannot handle L classes (so callers fail before any work)."""

    refine: Callable
    check_classes: Callable


#: every refiner by name (the ``refiner`` of a two-step objective)
REFINERS = {
    "grabcut": Refiner(grabcut, check_binary),
    "random_walker": Refiner(random_walker, check_num_classes),
    "agreement": Refiner(refiners_agree, check_num_classes),
    "sure": Refiner(sure_labels, check_num_classes),
    "checked_sure": Refiner(checked_sure_labels, check_num_classes),
}


def get_refiner(method: str, num_classes: int) -> Refiner:
    """The refiner ``method`` after checking it handles L = ``num_classes``; ValueError otherwise."""
    if method not in REFINERS:
        raise ValueError(f"refiner must be one of {tuple(REFINERS)}, got {method!r}")
    REFINERS[method].check_classes(check_num_classes(num_classes))
    return REFINERS[method]


def refine_drawings(images, positive, negative, method: str, num_classes: int,
                    progress: Callable | None = None) -> np.ndarray:
    """Every image's drawings refined into a mask.

    Args:
      images: (N, H, W) or (N, H, W, C) float in [0, 1].
      positive, negative: (N, H, W) integer drawings (255 = not drawn), or None.
      method: a name in ``REFINERS``; num_classes: L.
      progress: ``report(done, total)`` called after each image, e.g.
        :func:`coarseseg_tf.progress.progress_printer` (a line every ~10 %).
    Returns:
      (N, H, W) uint8 masks; all 255 for an image without drawings.
    """
    refiner = get_refiner(method, num_classes)
    images = as_image_batch(images)
    positive, negative = (as_label_batch(labels, images, num_classes, name)
                          for labels, name in ((positive, "positive"), (negative, "negative")))
    masks = np.empty(images.shape[:3], np.uint8)
    for i, image in enumerate(images):
        masks[i] = refiner.refine(image, None if positive is None else positive[i],
                                  None if negative is None else negative[i], num_classes)
        if progress is not None:
            progress(i + 1, len(images))
    return masks


def refine_example(record, method: str, num_classes: int):
    """One :class:`~coarseseg_tf.data.examples.ImageRecord` with ``mask`` replaced by its
    refined drawings; the image and drawings are kept.

    Pure and picklable (a module-level function of its arguments): what a Beam job's
    ``beam.Map(refine_example, method=..., num_classes=...)`` calls per record, e.g. to
    write the two-step masks once instead of refining at every training run.
    """
    mask = get_refiner(method, num_classes).refine(record.image, record.positive, record.negative, num_classes)
    return dataclasses.replace(record, mask=mask)
