"""``fit()``: train a CoarseSegModel from arrays or a tf.data.Dataset in one call.

Settings come from :class:`~coarseseg_tf.train.config.TrainingConfig`; the methods are
the entries of :mod:`coarseseg_tf.models.objectives`.
"""
from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from coarseseg_tf.images import as_image_batch, to_unit_range_tensor
from coarseseg_tf.labels import IGNORE_LABEL, as_label_batch, check_num_classes
from coarseseg_tf.models.batch_norm import recalibrate_batch_norm
from coarseseg_tf.models.coarse_seg_model import CoarseSegModel
from coarseseg_tf.models.objectives import get_objective
from coarseseg_tf.progress import progress_printer
from coarseseg_tf.train.config import TrainingConfig
from coarseseg_tf.train.inputs import check_every_image_annotated
from coarseseg_tf.train.tensorboard import tensorboard_callbacks
from coarseseg_tf.train.two_step import refine_arrays, refine_dataset

LABEL_KEYS = ("positive", "negative", "mask")
NUM_LOGGED_EXAMPLES = 3  # training images shown in TensorBoard each epoch
#: training images whose statistics the batch norms take after training: enough for a
#: mean and variance over hundreds of thousands of pixels; the pixel cap (32 MB per
#: float channel) keeps a few full-size Cityscapes frames from filling memory
RECALIBRATION_IMAGES, RECALIBRATION_PIXELS = 256, 1 << 23


@dataclass
class FitResult:
    """What :func:`fit` returns: the trained model and Keras' History."""

    model: CoarseSegModel
    history: keras.callbacks.History


def arrays_to_dataset(images, positive=None, negative=None, masks=None, num_classes=2,
                      require_annotation=True):
    """Validates arrays and builds an (unbatched) dataset of dicts with every key present."""
    images = as_image_batch(images)
    maps = {key: as_label_batch(value, images, num_classes, key)
            for key, value in zip(LABEL_KEYS, (positive, negative, masks))}
    if require_annotation:
        check_every_image_annotated(len(images), **maps)
    empty = np.full(images.shape[:3], IGNORE_LABEL, np.int32)
    tensors = {"image": images, **{k: (v if v is not None else empty) for k, v in maps.items()}}
    return tf.data.Dataset.from_tensor_slices(tensors), len(images), images.shape[-1]


def padded_batches(dataset: tf.data.Dataset, batch_size: int, drop_remainder: bool = False):
    """Batches dicts of (H, W, C) images and (H, W) maps that may differ in size.

    Smaller elements are padded at the bottom and right: images with 0 and label maps
    with 255, so padding is never trained on nor scored. Same-size data batches as usual.
    """
    padding = {key: (tf.constant(0.0) if key == "image" else tf.constant(IGNORE_LABEL))
               for key in dataset.element_spec}
    return dataset.padded_batch(batch_size, padding_values=padding, drop_remainder=drop_remainder)


def first_images(batches: tf.data.Dataset, max_images: int, max_pixels: int) -> list:
    """The image tensors (B, H, W, C) of the first batches, up to ``max_images`` images
    and ``max_pixels`` pixels (at least one image), read once so that every use sees
    the same images."""
    out, images, pixels = [], 0, 0
    for batch in batches:
        batch = batch["image"]
        per_image = int(batch.shape[1]) * int(batch.shape[2])
        room = min(max_images - images, (max_pixels - pixels) // per_image)
        if room <= 0 and out:
            break
        out.append(batch[:max(room, 1)])
        images += int(out[-1].shape[0])
        pixels += int(out[-1].shape[0]) * per_image
    return out


def complete_elements(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """Keeps "image" and the label keys, adding all-ignore maps for missing label keys.

    Other keys (e.g. an example's "key" string) are dropped: the model never sees them.
    Images are scaled by the image-scale contract (:mod:`coarseseg_tf.images`).
    """
    spec = dataset.element_spec
    if not isinstance(spec, dict) or "image" not in spec:
        raise ValueError("a dataset passed to fit() must yield dicts with an 'image' key "
                         f"and some of {LABEL_KEYS}; got {spec}")

    def complete(element):
        image = to_unit_range_tensor(element["image"], "dataset image")
        if image.shape.rank == 2:
            image = image[..., None]
        out = {"image": image}
        for key in LABEL_KEYS:
            out[key] = (tf.cast(element[key], tf.int32) if key in element
                        else tf.fill(tf.shape(image)[:2], IGNORE_LABEL))
        return out
    return dataset.map(complete)


def fit(images=None, positive=None, negative=None, masks=None, num_classes=None, *,
        config: TrainingConfig | None = None, validation_data=None, strategy=None, callbacks=None,
        verbose="auto", steps_per_epoch=None, log_dir=None, **overrides) -> FitResult:
    """Trains a segmentation model from coarse drawings (and/or true masks).

    Args:
      images: (N, H, W) or (N, H, W, C) array (uint8, uint16 or float in [0, 1]: the
        image-scale contract of :mod:`coarseseg_tf.images`), or a ``tf.data.Dataset`` of dicts
        {"image", "positive", "negative", "mask"} (missing keys mean "not given").
      positive: (N, H, W) positive drawings: the drawn class, 255 where not drawn.
      negative: (N, H, W) negative drawings: complementary label ȳ ("not ȳ"), 255 elsewhere.
      masks: (N, H, W) true masks (255 = none): images with a mask are trained on it.
        Two-step methods (an objective with a ``refiner``) first turn the drawings of
        the other images into masks (:mod:`coarseseg_tf.train.two_step`).
      num_classes: L (default: the config's, 2).
      config: a :class:`~coarseseg_tf.train.config.TrainingConfig`; None for the defaults.
      **overrides: any of its fields, e.g. ``method="cm"``, ``epochs=10``,
        ``cm_form="low_rank"``; the methods are the entries of
        :mod:`coarseseg_tf.models.objectives`. ``input_channels`` comes from the images.
      validation_data: (images, masks) arrays, or a dataset of dicts with "image" and
        "mask", scored by mIoU after each epoch.
      strategy: a ``tf.distribute.Strategy``; the model is built in its scope.
      steps_per_epoch: batches per epoch; a dataset is then repeated as often as needed.
        None: an epoch is one pass.
      log_dir: a TensorBoard directory for every loss term and validation mIoU per
        epoch and a few training images with drawings, prediction and CM diagonal
        (:mod:`coarseseg_tf.train.tensorboard`); None writes nothing.
    Returns:
      :class:`FitResult` with ``.model`` and ``.history``.

    A dataset is refined once for methods with a refiner (the default among them): the
    first epoch refines each element and caches the result in memory, later epochs read
    the cache reshuffled (``shuffle_buffer`` elements). Pass it finite; one that repeats
    forever, or ``cache_refined=False`` for data larger than memory, is refined again on
    every pass.

    After training, the batch norms take the statistics of the first 256 training images
    (fewer where they exceed 8M pixels) under the final weights (``recalibrate_batch_norm``,
    :mod:`coarseseg_tf.models.batch_norm`), so that inference runs the network training
    shaped even after a few dozen steps.
    """
    config = config or TrainingConfig()
    if num_classes is not None:
        overrides["num_classes"] = check_num_classes(num_classes)
    config = config.replace(**overrides)
    num_classes = config.num_classes
    keras.utils.set_random_seed(config.seed)
    objective = get_objective(config.method)
    refiner = objective.refiner
    if isinstance(images, tf.data.Dataset):
        dataset, size = complete_elements(images), None
        channels = dataset.element_spec["image"].shape[-1]
        if refiner:
            dataset = refine_dataset(dataset, refiner, objective.refined_as, num_classes)
            if config.cache_refined and dataset.cardinality() != tf.data.INFINITE_CARDINALITY:
                # refine once: later epochs read the cached maps. The cache replays its
                # first pass in that pass's order, so the shuffle comes after it.
                dataset = dataset.cache().shuffle(config.shuffle_buffer, seed=config.seed,
                                                  reshuffle_each_iteration=True)
        if steps_per_epoch:
            dataset = dataset.repeat()
    else:
        if images is None:
            raise ValueError("fit() needs images")
        if refiner:
            progress = progress_printer(f"refining drawings ({refiner})") if verbose else None
            positive, negative, masks = refine_arrays(images, positive, negative, masks, refiner,
                                                      objective.refined_as, num_classes, progress)
        dataset, size, channels = arrays_to_dataset(images, positive, negative, masks, num_classes)
        dataset = dataset.shuffle(size, seed=config.seed, reshuffle_each_iteration=True)
    callbacks = list(callbacks or [])
    if log_dir is not None:
        examples = next(padded_batches(dataset.take(NUM_LOGGED_EXAMPLES), NUM_LOGGED_EXAMPLES).as_numpy_iterator())
        callbacks += tensorboard_callbacks(log_dir, examples, num_classes)
    dataset = padded_batches(dataset, config.batch_size).prefetch(tf.data.AUTOTUNE)

    val = None
    if isinstance(validation_data, tf.data.Dataset):
        val = padded_batches(complete_elements(validation_data), config.validation_batch_size)
    elif validation_data is not None:
        val_images, val_masks = validation_data
        val, _, _ = arrays_to_dataset(val_images, masks=val_masks, num_classes=num_classes,
                                      require_annotation=False)
        val = val.batch(config.validation_batch_size)

    model_config = dataclasses.replace(config.model_config(), input_channels=int(channels))
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        model = CoarseSegModel(**model_config.to_dict())
        model.build()
        model.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    history = model.fit(dataset, epochs=config.epochs, validation_data=val, steps_per_epoch=steps_per_epoch,
                        callbacks=callbacks, verbose=verbose)
    if config.recalibrate_batch_norm:
        recalibrate_batch_norm(model.trunk, first_images(dataset, RECALIBRATION_IMAGES, RECALIBRATION_PIXELS))
    # the custom train step logs tensors; History users expect plain numbers
    history.history = {k: [float(v) for v in values] for k, values in history.history.items()}
    return FitResult(model=model, history=history)
