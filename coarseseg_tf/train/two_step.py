"""The first step of two-step methods: each image's drawings become a mask before training.

An objective with a ``refiner`` (:mod:`coarseseg_tf.models.objectives`) is trained by the
model's true-mask cross-entropy on masks that a classical method
(:mod:`coarseseg_tf.refine`) made from the drawings. Images that come with a true mask
keep it (semi-supervised, as for every method); the drawings are set aside.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from coarseseg_tf.images import as_image_batch
from coarseseg_tf.labels import IGNORE_LABEL, as_label_batch
from coarseseg_tf.refine import get_refiner, refine_drawings
from coarseseg_tf.train.inputs import check_every_image_annotated


def refine_arrays(images, positive, negative, masks, refiner: str, refined_as: str, num_classes: int,
                  progress=None):
    """The (positive, negative, masks) to train on, each (N, H, W) int32 or None.

    Images with a true mask keep it. The others' drawings are refined by ``refiner``
    (``progress(done, total)`` follows it) and the refined map goes where ``refined_as``
    says: ``"mask"`` (trained on as a true mask, the drawings set aside) or
    ``"drawings"`` (it replaces both drawings).

    Raises ValueError for inputs ``fit()`` would refuse, before any refinement.
    """
    get_refiner(refiner, num_classes)
    images = as_image_batch(images)
    maps = {name: as_label_batch(labels, images, num_classes, name)
            for name, labels in (("positive", positive), ("negative", negative), ("mask", masks))}
    check_every_image_annotated(len(images), **maps)
    refined = np.full(images.shape[:3], IGNORE_LABEL, np.int32)
    has_mask = np.zeros(len(images), bool)
    if maps["mask"] is not None:
        has_mask = (maps["mask"] != IGNORE_LABEL).reshape(len(images), -1).any(axis=1)
    if not has_mask.all():
        todo = ~has_mask
        pick = {name: None if maps[name] is None else maps[name][todo] for name in ("positive", "negative")}
        refined[todo] = refine_drawings(images[todo], pick["positive"], pick["negative"], refiner,
                                        num_classes, progress)
    if refined_as == "drawings":
        return refined, None, maps["mask"]
    if maps["mask"] is not None:
        refined[has_mask] = maps["mask"][has_mask]
    return None, None, refined


def refine_dataset(dataset: tf.data.Dataset, refiner: str, refined_as: str, num_classes: int) -> tf.data.Dataset:
    """``dataset`` of complete elements (``fit``'s ``complete_elements``) with the drawings of
    images that have no true mask refined, placed as :func:`refine_arrays` places them.

    Refinement runs per element in ``tf.numpy_function`` each time the returned dataset
    is iterated; ``fit()`` caches it, so that is once per training run.
    """
    refine = get_refiner(refiner, num_classes).refine

    def refined(element):
        mask = tf.numpy_function(lambda image, positive, negative: refine(image, positive, negative, num_classes),
                                 [element["image"], element["positive"], element["negative"]], tf.uint8)
        return tf.ensure_shape(tf.cast(mask, tf.int32), element["positive"].shape)

    def first_step(element):
        has_mask = tf.reduce_any(element["mask"] != IGNORE_LABEL)
        not_drawn = tf.fill(tf.shape(element["mask"]), IGNORE_LABEL)
        if refined_as == "drawings":
            positive = tf.cond(has_mask, lambda: not_drawn, lambda: refined(element))
            return {**element, "positive": positive, "negative": not_drawn}
        mask = tf.cond(has_mask, lambda: element["mask"], lambda: refined(element))
        return {**element, "mask": mask, "positive": not_drawn, "negative": not_drawn}
    return dataset.map(first_step, num_parallel_calls=tf.data.AUTOTUNE)
