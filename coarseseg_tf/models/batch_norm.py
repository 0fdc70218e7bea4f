"""Precise batch-norm statistics: set each BatchNormalization's moving mean and variance
to the population statistics of its inputs under the final weights.

Keras keeps an exponential moving average (momentum 0.9 here) that starts at mean 0,
variance 1 and lags the weights. After the few hundred steps of a large training set
that is harmless; after the 30-60 steps of a few tiles it is not: 0.9^30 = 4 % of the
initial variance 1 remains, while the first layer's true variance on a dim fluorescence
image is ~0.005, so inference divided that layer by a standard deviation three times
too large and predicted with a network that training never saw.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import keras
import numpy as np

#: pixels per forward pass while measuring: small batches (2 images of a refinement test,
#: 16 of training) are merged up to this, so a layer costs a few passes, not one per
#: batch; a pass's activations, summed in float64, then take about F x 2 MB (F
#: channels), and a larger image goes through alone
CHUNK_PIXELS = 1 << 18


def merged_batches(image_batches: Iterable, max_pixels: int = CHUNK_PIXELS) -> list:
    """``image_batches`` ((B, H, W, C) tensors) regrouped into as few (B', H, W, C) arrays
    as fit ``max_pixels`` pixels each, in order; only consecutive batches of one image
    size are merged, and an image larger than ``max_pixels`` forms its own chunk."""
    chunks, pending, pending_pixels = [], [], 0
    for batch in image_batches:
        for image in np.asarray(batch):
            pixels = image.shape[0] * image.shape[1]
            if pending and (pending_pixels + pixels > max_pixels or image.shape != pending[0].shape):
                chunks.append(np.stack(pending))
                pending, pending_pixels = [], 0
            pending.append(image)
            pending_pixels += pixels
    if pending:
        chunks.append(np.stack(pending))
    return chunks


def batch_norm_layers(model: keras.Model) -> list:
    """The BatchNormalization layers of a functional ``model``, in graph order."""
    return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]


def recalibrate_batch_norm(model: keras.Model, image_batches: Sequence) -> None:
    """Sets every BatchNormalization of functional ``model`` to its inputs' population
    statistics over ``image_batches`` (a list of (B, H, W, C) image tensors).

    One layer at a time in graph order, each measured in inference mode with the layers
    before it already recalibrated, so the statistics are those inference will meet and
    no replica all-reduce is needed (the layers are synchronized under a strategy).
    No batches (an empty dataset) leave the layers as they are. The batches are merged
    first (:func:`merged_batches`): the statistics are the same, the passes fewer.
    """
    image_batches = merged_batches(image_batches)
    if not image_batches:
        return
    for layer in batch_norm_layers(model):
        probe = keras.Model(model.inputs, layer.input)
        total, total_squares, pixels = 0.0, 0.0, 0
        for images in image_batches:
            x = np.asarray(probe(images, training=False), np.float64)  # (B, H', W', F)
            x = x.reshape(-1, x.shape[-1])
            pixels += x.shape[0]
            total, total_squares = total + x.sum(axis=0), total_squares + np.square(x).sum(axis=0)
        mean = total / pixels
        variance = np.maximum(total_squares / pixels - np.square(mean), 0.0)
        layer.moving_mean.assign(mean.astype(np.float32))
        layer.moving_variance.assign(variance.astype(np.float32))
