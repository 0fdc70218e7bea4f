"""MNIST with synthetic coarse drawings: the built-in data of the demo and the benchmark."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coarseseg_tf.data.datasets.mnist import DigitSet, add_gaussian_noise, load_mnist
from coarseseg_tf.data.synthesis.draw import draw_all
from coarseseg_tf.data.synthesis.styles import DEFAULT_STYLE, DrawingStyle
from coarseseg_tf.labels import IGNORE_LABEL


@dataclass
class CoarseSplit:
    """images (N, 28, 28, 1) float32, masks/positive/negative (N, 28, 28) uint8."""

    images: np.ndarray
    masks: np.ndarray
    positive: np.ndarray
    negative: np.ndarray


def example_key(split: str, index: int) -> str:
    """The key of digit ``index`` of a split, in the library and in the pipeline's records.

    Drawings are seeded by the key, so one key for both makes a digit's drawings the
    same in :func:`make_coarse_mnist` and in the pipeline's CoarseLabelGen.
    """
    return f"mnist-{split}-{index:05d}"


def make_coarse_mnist(num_train: int = 400, num_test: int = 1000, seed: int = 0,
                      noise_sigma: float = 0.0, digits: DigitSet | None = None,
                      style: str | DrawingStyle | None = DEFAULT_STYLE, progress=None):
    """A seeded train/test split of the real digits with drawings on the training part.

    The test digits are the last ``num_test`` of a seeded permutation, the training
    digits the first ``num_train``: they never overlap. ``noise_sigma`` > 0 adds the
    benchmark's Gaussian noise to both images (the masks stay those of the clean digit).
    Training digit i gets ``draw(mask, example_key("train", i), style, seed=seed)``;
    ``style=None`` draws nothing. ``progress(done, total)`` follows the drawing.
    Returns (train: CoarseSplit, test: CoarseSplit), drawings all 255 where not drawn.
    """
    digits = digits if digits is not None else load_mnist()
    if num_train + num_test > len(digits):
        raise ValueError(f"asked for {num_train} + {num_test} digits, only {len(digits)} available")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(digits))
    train, test = digits.subset(order[:num_train]), digits.subset(order[len(digits) - num_test:])
    if style is None:
        pos = neg = np.full(train.masks.shape, IGNORE_LABEL, np.uint8)
    else:
        keys = [example_key("train", i) for i in range(len(train))]
        pos, neg = draw_all(train.masks, keys, style, seed=seed, progress=progress)
    noise_rng = np.random.default_rng([seed, 7])
    images = {}
    for name, part in (("train", train), ("test", test)):
        x = add_gaussian_noise(part.images, noise_sigma, noise_rng) if noise_sigma > 0 else part.images
        images[name] = x[..., None].astype(np.float32)
    empty = np.full(test.masks.shape, IGNORE_LABEL, np.uint8)
    return (CoarseSplit(images["train"], train.masks, pos, neg),
            CoarseSplit(images["test"], test.masks, empty, empty))
