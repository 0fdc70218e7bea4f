"""TensorBoard logs of a training run: every logged scalar per epoch, and a few examples.

``log_dir/train`` and ``log_dir/validation`` hold Keras' scalars (each loss term of the
method, the total, and validation mIoU as ``epoch_mean_iou``); ``log_dir/examples``
holds, per epoch, a few training images with their drawings, the prediction and a map
of each drawing's confusion-matrix diagonal.
"""
from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf

from coarseseg_tf.labels import colour_labels

EXAMPLES_RUN = "examples"


class ExampleImages(keras.callbacks.Callback):
    """Writes image summaries of a fixed batch at the end of each epoch.

    Tags: ``image``, ``positive drawing``, ``negative drawing`` (drawn class colours,
    white where not drawn; a negative drawing in the colour of the class it negates),
    ``prediction`` and ``cm/{positive,negative} mean diagonal`` (mean over i of
    A[i, i] per pixel: white where the drawing is trusted, dark where the model
    thinks the annotator drew something else).

    Args:
      log_dir: the run's TensorBoard directory; summaries go to ``log_dir/examples``.
      batch: dict of numpy arrays: "image" (B, H, W, C), "positive" and "negative" (B, H, W).
      num_classes: L.
    """

    def __init__(self, log_dir: str, batch: dict, num_classes: int):
        super().__init__()
        self._writer = tf.summary.create_file_writer(os.path.join(log_dir, EXAMPLES_RUN))
        self._batch = batch
        self._num_classes = num_classes
        with self._writer.as_default(step=0):
            tf.summary.image("image", _displayable(batch["image"]), max_outputs=len(batch["image"]))
            for kind in ("positive", "negative"):
                tf.summary.image(f"{kind} drawing", colour_labels(batch[kind], num_classes),
                                 max_outputs=len(batch[kind]))

    def on_epoch_end(self, epoch, logs=None):
        images = self._batch["image"]
        prediction = keras.ops.convert_to_numpy(self.model(images, training=False)).argmax(-1)
        cms = self.model.confusion_matrices(images)
        with self._writer.as_default(step=epoch):
            tf.summary.image("prediction", colour_labels(prediction, self._num_classes), max_outputs=len(images))
            for kind, cm in cms.items():
                diagonal = np.diagonal(cm, axis1=-2, axis2=-1).mean(-1)  # (B, H, W)
                tf.summary.image(f"cm/{kind} mean diagonal", diagonal[..., None], max_outputs=len(images))
        self._writer.flush()

    def on_train_end(self, logs=None):
        self._writer.close()


def _displayable(images: np.ndarray) -> np.ndarray:
    """(B, H, W, C) in [0, 1] -> grey or RGB that tf.summary.image accepts (first 3 channels)."""
    return np.clip(images[..., :3] if images.shape[-1] >= 3 else images[..., :1], 0.0, 1.0)


def tensorboard_callbacks(log_dir: str, examples: dict, num_classes: int) -> list:
    """Keras' scalar logger and :class:`ExampleImages` of ``examples`` (a batch as in
    :class:`ExampleImages`), both writing under ``log_dir``."""
    return [keras.callbacks.TensorBoard(log_dir, write_graph=False, profile_batch=0),
            ExampleImages(log_dir, examples, num_classes)]
