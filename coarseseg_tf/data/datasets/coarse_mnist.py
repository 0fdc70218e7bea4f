"""MNIST with synthetic coarse drawings: the built-in data of the demo and the benchmark."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coarseseg_tf.data.datasets.mnist import DigitSet, add_gaussian_noise, load_mnist
from coarseseg_tf.data.synthesis.morpho import (DEFAULT_NEGATIVE, DEFAULT_POSITIVE, DrawingRecipe,
                                         synthesize_drawings)


@dataclass
class CoarseSplit:
    """images (N, 28, 28, 1) float32, masks/positive/negative (N, 28, 28) uint8."""

    images: np.ndarray
    masks: np.ndarray
    positive: np.ndarray
    negative: np.ndarray


def draw_all(masks: np.ndarray, seed: int, positive: DrawingRecipe | None = DEFAULT_POSITIVE,
             negative: DrawingRecipe | None = DEFAULT_NEGATIVE, progress=None):
    """Drawings for every mask; drawing i uses the generator seeded by (seed, i).

    Seeding per example (not one stream for all) makes a drawing independent of how
    the work is split between processes or workers.
    """
    pos = np.empty(masks.shape, np.uint8)
    neg = np.empty(masks.shape, np.uint8)
    for i, mask in enumerate(masks):
        d = synthesize_drawings(mask, np.random.default_rng([seed, i]), 2,
                                positive=positive, negative=negative)
        pos[i], neg[i] = d.positive, d.negative
        if progress is not None:
            progress(i + 1, len(masks))
    return pos, neg


def make_coarse_mnist(num_train: int = 400, num_test: int = 1000, seed: int = 0,
                      noise_sigma: float = 0.0, digits: DigitSet | None = None,
                      positive: DrawingRecipe | None = DEFAULT_POSITIVE,
                      negative: DrawingRecipe | None = DEFAULT_NEGATIVE, progress=None):
    """A seeded train/test split of the real digits with drawings on the training part.

    The test digits are the last ``num_test`` of a seeded permutation, the training
    digits the first ``num_train``: they never overlap. ``noise_sigma`` > 0 adds the
    benchmark's Gaussian noise to both images (the masks stay those of the clean digit).
    Returns (train: CoarseSplit, test: CoarseSplit with drawings left empty).
    """
    digits = digits if digits is not None else load_mnist()
    if num_train + num_test > len(digits):
        raise ValueError(f"asked for {num_train} + {num_test} digits, only {len(digits)} available")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(digits))
    train, test = digits.subset(order[:num_train]), digits.subset(order[len(digits) - num_test:])
    pos, neg = draw_all(train.masks, seed, positive, negative, progress)
    noise_rng = np.random.default_rng([seed, 7])
    images = {}
    for name, part in (("train", train), ("test", test)):
        x = add_gaussian_noise(part.images, noise_sigma, noise_rng) if noise_sigma > 0 else part.images
        images[name] = x[..., None].astype(np.float32)
    empty = np.full(test.masks.shape, 255, np.uint8)
    return (CoarseSplit(images["train"], train.masks, pos, neg),
            CoarseSplit(images["test"], test.masks, empty, empty))
