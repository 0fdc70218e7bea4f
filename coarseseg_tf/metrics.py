"""Mean intersection-over-union from an accumulated confusion matrix.

One implementation of the arithmetic (:func:`iou_from_confusion`) serves the numpy
helpers, the Keras metric and the TFMA metric. Background (class 0) is an ordinary
class and is included in the mean by default, as in the paper; pass
``include_background=False`` to leave it out. Pixels whose true label is the ignore
value (255) are never counted.
"""
from __future__ import annotations

import numpy as np

from coarseseg_tf.labels import IGNORE_LABEL


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """Counts C[t, p] of pixels with true label t and predicted label p.

    Args:
      y_true: int array of any shape; values in [0, L) or IGNORE_LABEL.
      y_pred: int array of the same shape; values in [0, L).
      num_classes: L.
    Returns:
      (L, L) int64 array.
    """
    y_true = np.asarray(y_true).reshape(-1).astype(np.int64)
    y_pred = np.asarray(y_pred).reshape(-1).astype(np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} pixels but y_pred has {y_pred.size}")
    keep = y_true != IGNORE_LABEL
    y_true, y_pred = y_true[keep], y_pred[keep]
    bad = (y_true < 0) | (y_true >= num_classes)
    if bad.any():
        raise ValueError(f"true label {y_true[bad][0]} is outside [0, {num_classes}) "
                         f"and is not the ignore value {IGNORE_LABEL}")
    bad = (y_pred < 0) | (y_pred >= num_classes)
    if bad.any():
        raise ValueError(f"predicted label {y_pred[bad][0]} is outside [0, {num_classes})")
    return np.bincount(y_true * num_classes + y_pred,
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def iou_arithmetic(cm, xp, include_background: bool = True):
    """Per-class IoU and their mean from an (L, L) float confusion matrix.

    IoU_c = C[c, c] / (sum_t C[t, c] + sum_p C[c, p] - C[c, c]). A class with an
    empty union (never in truth nor prediction) is left out of the mean.
    ``xp`` is ``numpy`` or ``keras.ops``: the numpy helpers and the Keras metric
    share this one implementation.

    Returns:
      (per_class_iou (L,), mean_iou scalar); a class left out has IoU 0 here.
    """
    tp = xp.diagonal(cm)
    union = xp.sum(cm, axis=0) + xp.sum(cm, axis=1) - tp
    present = union > 0
    per_class = xp.where(present, tp / xp.maximum(union, 1e-12), 0.0 * tp)
    if not include_background:
        per_class, present = per_class[1:], present[1:]
    counted = xp.where(present, xp.ones_like(per_class), xp.zeros_like(per_class))
    mean = xp.sum(per_class * counted) / xp.maximum(xp.sum(counted), 1.0)
    return per_class, mean


def iou_from_confusion(cm, include_background: bool = True):
    """numpy wrapper of :func:`iou_arithmetic`; absent classes get NaN per class."""
    cm = np.asarray(cm, dtype=np.float64)
    per_class, mean = iou_arithmetic(cm, np, include_background)
    union = cm.sum(axis=0) + cm.sum(axis=1) - np.diag(cm)
    full = np.where(union > 0, iou_arithmetic(cm, np, True)[0], np.nan)
    if not (union[int(not include_background):] > 0).any():
        mean = float("nan")
    return full, float(mean)


def mean_iou(y_true, y_pred, num_classes: int, include_background: bool = True) -> float:
    """mIoU of integer label maps (ignore value 255 in ``y_true`` is skipped)."""
    return iou_from_confusion(confusion_matrix(y_true, y_pred, num_classes),
                              include_background)[1]


def _keras():
    import keras  # deferred: the numpy helpers must not pay for TensorFlow start-up
    return keras


def make_keras_mean_iou(num_classes: int, include_background: bool = True,
                        name: str = "mean_iou"):
    """A Keras metric accumulating the (L, L) confusion matrix over batches.

    ``update_state(y_true (B, H, W) int, y_pred (B, H, W, L) probabilities)``;
    ignore-valued pixels (255) are skipped. ``result()`` is the mIoU.
    """
    keras = _keras()
    ops = keras.ops

    class MeanIoU(keras.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(name=name, **kwargs)
            self.num_classes = num_classes
            self.include_background = include_background
            self.total_cm = self.add_variable(
                shape=(num_classes, num_classes), initializer="zeros",
                dtype="float64", name="total_confusion_matrix")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_true = ops.reshape(ops.cast(y_true, "int32"), (-1,))
            y_hat = ops.reshape(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), (-1,))
            keep = ops.cast(ops.not_equal(y_true, IGNORE_LABEL), "float64")
            index = ops.where(y_true == IGNORE_LABEL, 0, y_true) * num_classes + y_hat
            counts = ops.segment_sum(keep, index, num_segments=num_classes * num_classes)
            self.total_cm.assign_add(ops.reshape(counts, (num_classes, num_classes)))

        def result(self):
            return iou_arithmetic(self.total_cm, ops, include_background)[1]

        def reset_state(self):
            self.total_cm.assign(ops.zeros_like(self.total_cm))

        def get_config(self):
            return {"name": self.name}

    return MeanIoU()
