"""Combining a positive and a negative drawing into one label map, in TensorFlow ops.

Runs inside the train step, so it serves arrays and ``tf.data`` inputs alike.
Label maps are (B, H, W) int tensors with 255 where nothing was drawn.
"""
from __future__ import annotations

from keras import ops

from coarseseg_tf.labels import IGNORE_LABEL


def consensus_labels(positive, negative, num_classes):
    """Labels where the drawings do not contradict each other, 255 elsewhere (B, H, W).

    A positive label y is kept unless the negative drawing says "not y" there. A lone
    negative label ȳ says, for L = 2, the other class; for L > 2 background (class 0)
    unless ȳ is background itself, which names no single class.
    """
    positive = ops.cast(positive, "int32")
    negative = ops.cast(negative, "int32")
    pos_drawn = positive != IGNORE_LABEL
    neg_drawn = negative != IGNORE_LABEL
    from_negative = 1 - negative if num_classes == 2 else ops.where(negative != 0, 0, IGNORE_LABEL)
    conflict = pos_drawn & neg_drawn & (positive == negative)
    label = ops.where(pos_drawn, positive, ops.where(neg_drawn, from_negative, IGNORE_LABEL))
    return ops.where(conflict, IGNORE_LABEL, label)
